//! Function tests: the cases kept from before the split into categories, and the table of
//! `terraform console` answers (`terraform_console.txt`).

use super::super::eval::{Eval, Result};
use super::super::value::Value;
use super::filesystem::glob_match;
use crate::collect::terraform::hcl::eval::{Scope, constant};

fn run(src: &str) -> Result<serde_json::Value> {
    let scope = Scope::default();
    let expr = hcl_edit::parser::parse_expr(src).unwrap();
    let _ = constant;
    Eval::new(&scope)
        .eval(&expr)
        .map(|v| v.to_json(&mut String::new(), &mut Vec::new()))
}

fn ok(src: &str) -> serde_json::Value {
    run(src).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn collection_functions() {
    assert_eq!(
        ok("merge({a = 1}, null, {b = 2, a = 3})"),
        serde_json::json!({"a": 3, "b": 2})
    );
    assert_eq!(ok("concat([1], [2, 3])"), serde_json::json!([1, 2, 3]));
    assert_eq!(ok("lookup({a = 1}, \"b\", 7)"), 7);
    assert_eq!(ok("flatten([[1, [2]], 3])"), serde_json::json!([1, 2, 3]));
    assert_eq!(ok("distinct([1, 2, 1])"), serde_json::json!([1, 2]));
    assert_eq!(
        ok("toset([\"b\", \"a\", \"b\"])"),
        serde_json::json!(["a", "b"])
    );
    assert_eq!(ok("element([1, 2], 3)"), 2);
    assert_eq!(ok("keys({b = 1, a = 2})"), serde_json::json!(["a", "b"]));
    assert_eq!(ok("coalesce(null, \"\", \"x\")"), "x");
    assert_eq!(ok("contains([\"a\"], \"a\")"), true);
    assert_eq!(ok("length(\"héllo\")"), 5);
    assert_eq!(ok("range(3)"), serde_json::json!([0, 1, 2]));
    assert_eq!(ok("zipmap([\"a\"], [1])"), serde_json::json!({"a": 1}));
    assert_eq!(ok("one([])"), serde_json::Value::Null);
    assert!(run("range(1e9)").is_err());
}

#[test]
fn string_functions() {
    assert_eq!(
        ok("format(\"%s-%03d-%.2f-%q\", \"a\", 7, 1.5, \"x\")"),
        "a-007-1.50-\"x\""
    );
    assert_eq!(ok("format(\"%[2]s %[1]s\", \"a\", \"b\")"), "b a");
    assert_eq!(ok("join(\",\", [\"a\", \"b\"], [\"c\"])"), "a,b,c");
    assert_eq!(ok("split(\",\", \"a,b\")"), serde_json::json!(["a", "b"]));
    assert_eq!(ok("replace(\"a-b-c\", \"/-(b)-/\", \"+$1+\")"), "a+b+c");
    assert_eq!(ok("upper(\"a\")"), "A");
    assert_eq!(ok("title(\"hello world\")"), "Hello World");
    assert_eq!(ok("substr(\"hello\", 1, 3)"), "ell");
    assert_eq!(
        ok("regex(\"(?P<a>[a-z]+)-(?P<n>[0-9]+)\", \"x-12\")"),
        serde_json::json!({"a": "x", "n": "12"})
    );
    assert_eq!(
        ok("formatlist(\"%s=%s\", [\"a\", \"b\"], \"v\")"),
        serde_json::json!(["a=v", "b=v"])
    );
    assert_eq!(ok("indent(2, \"a\\nb\")"), "a\n  b");
    assert_eq!(ok("trimprefix(\"abc\", \"a\")"), "bc");
}

#[test]
fn encoding_functions() {
    assert_eq!(
        ok("jsonencode({b = [1, true], a = \"<x>\"})"),
        r#"{"a":"\u003cx\u003e","b":[1,true]}"#
    );
    assert_eq!(
        ok("jsondecode(\"{\\\"a\\\": [1]}\")"),
        serde_json::json!({"a": [1]})
    );
    assert_eq!(ok("base64decode(base64encode(\"hi\"))"), "hi");
    assert_eq!(
        ok("sha256(\"\")"),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(ok("md5(\"\")"), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(ok("urlencode(\"a b&c\")"), "a+b%26c");
    assert_eq!(
        ok("yamldecode(\"a: [1, x]\")"),
        serde_json::json!({"a": [1, "x"]})
    );
}

#[test]
fn network_functions() {
    assert_eq!(ok("cidrsubnet(\"10.0.0.0/16\", 8, 2)"), "10.0.2.0/24");
    assert_eq!(ok("cidrsubnet(\"fd00::/56\", 8, 1)"), "fd00:0:0:1::/64");
    assert_eq!(ok("cidrhost(\"10.0.1.0/24\", 5)"), "10.0.1.5");
    assert_eq!(ok("cidrhost(\"10.0.1.0/24\", -2)"), "10.0.1.254");
    assert_eq!(ok("cidrnetmask(\"10.0.0.0/12\")"), "255.240.0.0");
    assert_eq!(
        ok("cidrsubnets(\"10.1.0.0/16\", 4, 4, 8, 4)"),
        serde_json::json!([
            "10.1.0.0/20",
            "10.1.16.0/20",
            "10.1.32.0/24",
            "10.1.48.0/20"
        ])
    );
    assert!(run("cidrsubnet(\"10.0.0.0/30\", 4, 0)").is_err());
}

#[test]
fn unknown_arguments() {
    let mut scope = Scope::default();
    scope.vars.insert(
        "u".into(),
        crate::collect::terraform::hcl::eval::Named {
            value: Value::unknown(),
            sensitive: false,
        },
    );
    let eval = |src: &str| {
        Eval::new(&scope)
            .eval(&hcl_edit::parser::parse_expr(src).unwrap())
            .unwrap()
            .to_json(&mut String::new(), &mut Vec::new())
    };
    assert_eq!(
        eval("merge({a = var.u}, {b = 1})"),
        serde_json::json!({"a": null, "b": 1})
    );
    assert_eq!(eval("length([var.u, 1])"), 2);
    // The text is unknown; the inventory keeps its structure, the unknown part in place.
    assert_eq!(
        eval("jsonencode({a = var.u})"),
        serde_json::json!({"a": null})
    );
    assert_eq!(eval("upper(var.u)"), serde_json::Value::Null);
    assert!(
        Eval::new(&scope)
            .eval(&hcl_edit::parser::parse_expr("nosuchfn(1)").unwrap())
            .unwrap_err()
            .message
            .contains("not supported")
    );
}

#[test]
fn globs() {
    assert!(glob_match(b"*.json", b"a.json"));
    assert!(!glob_match(b"*.json", b"d/a.json"));
    assert!(glob_match(b"**/*.json", b"d/e/a.json"));
    assert!(glob_match(b"**/*.json", b"a.json"));
    assert!(glob_match(b"a?c", b"abc"));
}

// ---------------------------------------------------------------- terraform console

use std::sync::Arc;

use super::super::eval::{Files, Named};
use super::super::value::Attrs;

/// The scope `console/main.tf` declares, with plumb's values: every unknown of Terraform's
/// is an unknown here, `var.n` is null.
fn console_scope() -> Scope {
    let u = Value::unknown;
    let named = |value| Named {
        value,
        sensitive: false,
    };
    let mut scope = Scope::default();
    scope.vars.insert("n".into(), named(Value::Null));
    scope.vars.insert("unknown".into(), named(u()));
    let mut pm = Attrs::new();
    pm.insert("a".into(), u());
    pm.insert("b".into(), Value::string("c"));
    for (name, value) in [
        ("us", u()),
        ("ul", u()),
        ("um", u()),
        ("ub", u()),
        ("un", u()),
        ("pl", Value::list(vec![u(), Value::string("b")])),
        ("pm", Value::map(pm)),
        ("uu", Value::list(vec![u(), u()])),
    ] {
        scope.locals.insert(name.into(), named(value));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/collect/terraform/hcl/funcs/console")
        .canonicalize()
        .expect("the console fixture directory exists");
    scope.path_module = ".".into();
    scope.path_root = ".".into();
    scope.files = Files {
        base: dir.clone(),
        allowed: Arc::new(vec![dir]),
    };
    scope
}

/// A value as JSON with the pointers of its unknown parts: what the comparison sees.
fn observed(v: &Value) -> (serde_json::Value, Vec<String>) {
    // JSON text known only in part is unknown text, as the console shows it; the structure
    // plumb keeps of it is for the inventory.
    if v.encoded_value().is_some() {
        return (serde_json::Value::Null, vec![String::new()]);
    }
    let mut unknown = Vec::new();
    let j = v.to_json(&mut String::new(), &mut unknown);
    (j, unknown)
}

/// Terraform's answer as a value: the console prints values in HCL syntax, with
/// `(known after apply)` for unknowns and multi-line strings as heredocs (ending in one more
/// line break than the string has).
fn expected(answer: &str, scope: &Scope) -> Value {
    let mut src = answer.replace("(known after apply)", "var.unknown");
    // `tolist(null) /* of dynamic */`: the comment says the type, which plumb does not track.
    while let Some(start) = src.find("/*") {
        let end = src[start..].find("*/").map_or(src.len(), |e| start + e + 2);
        src.replace_range(start..end, "");
    }
    let src = src.trim_end();
    let expr = hcl_edit::parser::parse_expr(src)
        .unwrap_or_else(|e| panic!("the console answer {answer:?} does not parse: {e}"));
    let v = Eval::new(scope)
        .eval(&expr)
        .unwrap_or_else(|e| panic!("the console answer {answer:?} does not evaluate: {e}"));
    match v {
        Value::String(s) if answer.starts_with("<<EOT") => {
            Value::string(s.strip_suffix('\n').unwrap_or(&s))
        }
        other => other,
    }
}

/// Every case of `console/cases.txt`: plumb gives the value `terraform console` gave, with
/// unknowns in the same places, or fails where it failed.
#[test]
fn terraform_console_answers() {
    let scope = console_scope();
    let cases = include_str!("console/cases.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for block in cases.split("\n> ").skip(1) {
        let (expr, answer) = block.split_once('\n').unwrap_or((block, ""));
        let answer = answer.trim_end();
        count += 1;
        let mut ev = Eval::new(&scope);
        let got = hcl_edit::parser::parse_expr(expr)
            .map_err(|e| e.to_string())
            .and_then(|e| ev.eval(&e).map_err(|e| e.message));
        let sensitive = ev.take_sensitive();
        let verdict = match (answer, got) {
            (a, Err(_)) if a.starts_with("error: ") => Ok(()),
            (a, Ok(v)) if a.starts_with("error: ") => {
                Err(format!("{:?}, not an error", observed(&v)))
            }
            (_, Err(e)) => Err(format!("error {e}")),
            ("(sensitive value)", Ok(_)) if sensitive => Ok(()),
            ("(sensitive value)", Ok(_)) => Err("not sensitive".to_string()),
            (a, Ok(v)) => {
                let want = observed(&expected(a, &scope));
                let got = observed(&v);
                if want == got {
                    Ok(())
                } else {
                    Err(format!("{got:?}, not {want:?}"))
                }
            }
        };
        if let Err(why) = verdict {
            failures.push(format!("{expr}\n    terraform: {answer}\n    plumb: {why}"));
        }
    }
    assert!(count > 400, "only {count} cases read");
    assert!(
        failures.is_empty(),
        "{} of {count} cases differ from terraform console:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every registered function has at least one case in the console table, but those whose
/// result Terraform itself cannot know before apply (tested below) and those only the
/// console has.
#[test]
fn every_function_has_a_console_case() {
    let cases = include_str!("console/cases.txt");
    let missing: Vec<&str> = super::FUNCTIONS
        .iter()
        .filter(|f| f.known == super::Known::Yes)
        .map(|f| f.name)
        .filter(|name| !["abspath", "pathexpand", "type"].contains(name))
        .filter(|name| !cases.contains(&format!("\n> {name}(")))
        .collect();
    assert!(missing.is_empty(), "no console case for {missing:?}");
}

/// What the console cannot answer for: functions Terraform knows only at plan or apply,
/// those that depend on the machine, provider-defined functions and `type`.
#[test]
fn functions_the_console_cannot_check() {
    let scope = console_scope();
    for src in [
        "timestamp()",
        "plantimestamp()",
        "uuid()",
        "bcrypt(\"x\")",
        "bcrypt(\"x\", 10)",
        "abspath(\"a\")",
        "pathexpand(\"~/a\")",
        "rsadecrypt(\"x\", \"k\")",
        "base64gzip(\"hello\")",
        "provider::terraform::encode_expr(1)",
        "provider::aws::arn_parse(local.us)",
        "textencodebase64(\"x\", \"Shift_JIS\")",
    ] {
        let v = Eval::new(&scope)
            .eval(&hcl_edit::parser::parse_expr(src).unwrap())
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(v.is_unknown(), "{src} gives {v:?}, not unknown");
    }
    let err = |src: &str| {
        Eval::new(&scope)
            .eval(&hcl_edit::parser::parse_expr(src).unwrap())
            .unwrap_err()
            .message
    };
    assert_eq!(
        err("type(1)"),
        "type(): type() is only available in terraform console"
    );
    assert_eq!(
        err("timestamp(1)"),
        "function \"timestamp\" takes 0 arguments, got 1"
    );
    assert_eq!(
        err("upper(\"a\", \"b\")"),
        "function \"upper\" takes 1 argument, got 2"
    );
    assert_eq!(
        err("lookup({})"),
        "function \"lookup\" takes 2 or 3 arguments, got 1"
    );
    assert_eq!(
        err("max()"),
        "function \"max\" takes at least 1 argument, got 0"
    );
    assert_eq!(err("can()"), "function \"can\" takes 1 argument, got 0");
    assert_eq!(
        err("upper(null)"),
        "function \"upper\": argument 1 must not be null"
    );
    assert!(err("nosuch(1)").starts_with("function \"nosuch\" is not supported by plumb"));
}

/// `issensitive` sees what its argument read; `nonsensitive` drops it; neither result is
/// sensitive itself.
#[test]
fn sensitivity_functions() {
    let mut scope = console_scope();
    scope.vars.insert(
        "secret".into(),
        Named {
            value: Value::string("s3cr3t"),
            sensitive: true,
        },
    );
    let eval = |src: &str| {
        let mut ev = Eval::new(&scope);
        let v = ev
            .eval(&hcl_edit::parser::parse_expr(src).unwrap())
            .unwrap();
        (observed(&v).0, ev.take_sensitive())
    };
    assert_eq!(
        eval("issensitive(var.secret)"),
        (serde_json::json!(true), false)
    );
    assert_eq!(
        eval("issensitive(var.n)"),
        (serde_json::json!(false), false)
    );
    assert_eq!(
        eval("nonsensitive(var.secret)"),
        (serde_json::json!("s3cr3t"), false)
    );
    assert_eq!(eval("sensitive(var.n)"), (serde_json::Value::Null, true));
    assert!(
        eval("[var.secret, issensitive(\"a\")]").1,
        "what was read before stays read"
    );
}

/// The registry's own invariants: one line per name, and a name an expression can call.
#[test]
fn registry_names_are_unique() {
    let mut names: Vec<&str> = super::FUNCTIONS.iter().map(|f| f.name).collect();
    let n = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), n, "a function is registered twice");
    assert!(names.iter().all(|n| super::lookup(n).is_some()));
    assert!(n >= 120, "{n} functions");
}

/// Where plumb knowingly differs from the console: Terraform knows the type of an unknown
/// value, plumb does not, so `flatten` cannot tell an unknown string from an unknown list.
#[test]
fn flatten_of_an_unknown_element_is_unknown() {
    let scope = console_scope();
    for src in ["flatten(local.pl)", "flatten([local.ul, [\"a\"]])"] {
        let v = Eval::new(&scope)
            .eval(&hcl_edit::parser::parse_expr(src).unwrap())
            .unwrap();
        assert!(v.is_unknown(), "{src} gives {v:?}");
    }
}

#[test]
fn what_a_function_would_build_is_bounded_before_it_is_built() {
    let fails = |src: &str, expected: &str| {
        let e = run(src).expect_err(src).to_string();
        assert!(e.contains(expected), "{src}: {e}");
    };
    // A billion rows would be refused only after they were made.
    fails(
        "setproduct(range(1000), range(1000), range(1000))",
        "the product has 1000000000 elements",
    );
    assert_eq!(ok("length(setproduct(range(10), range(10)))"), 100);
    fails(
        "replace(join(\"\", [for i in range(4096) : \"aaaa\"]), \"a\", join(\"\", [for i in range(1100) : \"bbbb\"]))",
        "more than the 16 MiB",
    );
    fails(
        "join(\",\", [for i in range(70000) : join(\"\", [for j in range(64) : \"cccc\"])])",
        "more than the 16 MiB",
    );
    assert_eq!(ok("length(join(\",\", [\"a\", \"b\"]))"), 3);
}
