//! Fuzzing the Terraform HCL front end (parser, evaluator, expansion, normalisation): no input
//! makes it panic, overflow the stack or hang, and what it produces keeps the inventory's
//! invariants.
//!
//! Three generators: token soup from HCL's vocabulary, well-formed configurations built from
//! random expressions over every supported function, and random edits of the fixtures.
//!
//! Each target runs a batch of cases; `PLUMB_FUZZ_SECONDS=N` keeps each running for N seconds.
//! The coverage-guided targets in `fuzz/` (`./scripts/fuzz`) go deeper; these find what random
//! edits of real files find, on every `cargo test`.

use std::path::Path;
use std::time::{Duration, Instant};

use plumb::collect::terraform::hcl::{Vars, evaluate_text, funcs::FUNCTIONS};
use plumb::inventory::Source;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

pub(crate) fn fuzz<S: Strategy>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let seconds: u64 = std::env::var("PLUMB_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let config = Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    };
    let mut batches = 0u64;
    loop {
        let mut runner = TestRunner::new(config.clone());
        if let Err(e) = runner.run(&strategy, &test) {
            panic!("{e}");
        }
        batches += 1;
        if Instant::now() >= deadline {
            break;
        }
    }
    if seconds > 0 {
        eprintln!(
            "{} inputs in {seconds} s, none failed",
            batches * u64::from(config.cases)
        );
    }
}

/// Evaluates a configuration text and checks the invariants of what it produced.
fn check(name: &str, text: &str) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let collected = evaluate_text(dir.path(), name, text, &Vars::default());
    let mut resources = collected.resources;
    plumb::normalize::normalize(&mut resources);
    for r in &resources {
        prop_assert!(r.id.starts_with("tf:"), "{}", r.id);
        prop_assert!(r.attrs.is_object(), "{}: {}", r.id, r.attrs);
        for p in &r.unknown {
            prop_assert!(
                p == "/tags" || r.attrs.pointer(p).is_some_and(|v| v.is_null()),
                "{}: unknown {p} is not null in {}",
                r.id,
                r.attrs
            );
        }
        if let Source::File {
            start_line,
            end_line,
            ..
        } = &r.source
        {
            prop_assert!(*start_line >= 1 && start_line <= end_line);
        }
    }
    for e in &collected.errors {
        prop_assert!(!e.message.is_empty() && !e.scope.is_empty());
    }
    Ok(())
}

const TOKENS: &[&str] = &[
    "resource",
    "\"aws_s3_bucket\"",
    "\"b\"",
    "data",
    "module",
    "variable",
    "locals",
    "output",
    "provider",
    "terraform",
    "backend",
    "\"s3\"",
    "dynamic",
    "\"ingress\"",
    "content",
    "for_each",
    "count",
    "source",
    "\"./\"",
    "\"../x\"",
    "default",
    "type",
    "string",
    "list(string)",
    "object({a=optional(number, 1)})",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    ":",
    "=>",
    "?",
    "...",
    ",",
    ".",
    "*",
    "[*]",
    ".*",
    "\n",
    " ",
    "  ",
    "var",
    "local",
    "each",
    "count.index",
    "each.key",
    "each.value",
    "aws_s3_bucket.b",
    ".id",
    ".arn",
    "\"",
    "${",
    "%{ if true }",
    "%{ else }",
    "%{ endif }",
    "%{ for x in [1] }",
    "%{ endfor }",
    "~",
    "for",
    "in",
    "if",
    "1",
    "0",
    "-1",
    "1.5e3",
    "true",
    "false",
    "null",
    "+",
    "-",
    "/",
    "%",
    "&&",
    "||",
    "!",
    "==",
    "!=",
    "<",
    ">=",
    "#",
    "// c\n",
    "/* c */",
    "<<EOT\n",
    "<<-EOT\n",
    "EOT\n",
    "jsonencode(",
    "merge(",
    "try(",
    "can(",
    "lookup(",
    "cidrsubnet(",
    "format(",
    "\"%s\"",
    "toset(",
    "flatten(",
    "range(",
    "file(",
    "templatefile(",
    "\"x\"",
    "\"\\u00e9\"",
    "\"\\n\"",
    "a",
    "b",
    "x",
    "# plumb:ignore PLB-S3-001 why\n",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|t| t.concat())
}

/// A random expression over the configuration's names and every supported function.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("1".to_string()),
        Just("-2.5".to_string()),
        Just("\"s\"".to_string()),
        Just("\"10.0.0.0/16\"".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("var.known".to_string()),
        Just("var.unset".to_string()),
        Just("var.known.list".to_string()),
        Just("local.one".to_string()),
        Just("aws_s3_bucket.b".to_string()),
        Just("aws_s3_bucket.b[0].id".to_string()),
        Just("data.aws_caller_identity.me.account_id".to_string()),
        Just("path.module".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        "[a-z]{0,6}".prop_map(|s| format!("\"{s}\"")),
        (0i64..300).prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(5, 64, 4, |inner| {
        let names: Vec<&'static str> = FUNCTIONS.iter().map(|f| f.name).collect();
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-z]{1,4}", inner.clone()), 0..4).prop_map(|v| {
                let fields: Vec<String> =
                    v.into_iter().map(|(k, e)| format!("{k} = {e}")).collect();
                format!("{{ {} }}", fields.join(", "))
            }),
            (
                prop::sample::select(names),
                prop::collection::vec(inner.clone(), 0..4)
            )
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (
                inner.clone(),
                prop::sample::select(
                    &["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||"][..]
                ),
                inner.clone()
            )
                .prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
            (inner.clone(), inner.clone()).prop_map(|(c, v)| format!("[for i, x in {c} : {v}]")),
            (inner.clone(), inner.clone())
                .prop_map(|(c, v)| format!("{{ for k, x in {c} : \"${{k}}\" => {v}... }}")),
            (inner.clone(), inner.clone()).prop_map(|(a, i)| format!("{a}[{i}]")),
            inner.clone().prop_map(|a| format!("{a}[*].id")),
            inner.clone().prop_map(|a| format!("\"pre-${{{a}}}-post\"")),
            inner
                .clone()
                .prop_map(|a| format!("\"%{{ for v in {a} }}${{v}},%{{ endfor }}\"")),
            inner.clone().prop_map(|a| format!("!{a}")),
            inner.prop_map(|a| format!("try({a}, \"fallback\")")),
        ]
    })
}

fn configuration() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(expression(), 8),
        prop_oneof![
            Just("2".to_string()),
            Just("var.unset".to_string()),
            expression()
        ],
    )
        .prop_map(|(e, count)| {
            format!(
                r#"variable "known" {{
  default = {{ list = [1, "2", true], name = "n" }}
}}
variable "unset" {{}}
data "aws_caller_identity" "me" {{}}
locals {{
  one = {e0}
  two = {e1}
}}
resource "aws_s3_bucket" "b" {{
  count  = {count}
  bucket = {e2}
  tags   = {e3}
  dynamic "rule" {{
    for_each = {e4}
    content {{
      value = {e5}
    }}
  }}
}}
resource "aws_s3_bucket_versioning" "v" {{
  for_each = {e6}
  bucket   = aws_s3_bucket.b[0].id
  versioning_configuration {{
    status = {e7}
  }}
}}
output "o" {{
  value = local.two
}}
"#,
                e0 = e[0],
                e1 = e[1],
                e2 = e[2],
                e3 = e[3],
                e4 = e[4],
                e5 = e[5],
                e6 = e[6],
                e7 = e[7],
            )
        })
}

/// Configuration files of the fixtures, to mutate.
fn fixtures() -> Vec<String> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/hcl"))
        .into_iter()
        .flatten()
    {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "tf") {
            out.push(std::fs::read_to_string(p).expect("fixture text"));
        }
    }
    out.sort();
    out
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len().max(1);
        match edit {
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n % 16).min(chars.len());
                chars.drain(at.min(chars.len())..end);
            }
            Edit::Insert(at, token) => {
                let at = (at % len).min(chars.len());
                for (i, c) in token.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
            Edit::Duplicate(at, n) => {
                let at = (at % len).min(chars.len());
                let end = (at + n % 64).min(chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                for (i, c) in copy.into_iter().enumerate() {
                    chars.insert(end + i, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(a, t)| Edit::Insert(a, t)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

#[test]
fn token_soup_never_panics() {
    fuzz(token_soup(), |text| check("main.tf", &text));
}

#[test]
fn arbitrary_text_never_panics() {
    fuzz("\\PC{0,300}", |text| {
        check("main.tf", &text)?;
        check("main.tf.json", &text)
    });
}

#[test]
fn random_expressions_never_panic() {
    fuzz(configuration(), |text| check("main.tf", &text));
}

#[test]
fn edited_fixtures_never_panic() {
    let files = fixtures();
    assert!(files.len() > 10, "fixtures found: {}", files.len());
    fuzz(
        (
            prop::sample::select(files),
            prop::collection::vec(edit(), 1..6),
        ),
        |(text, edits)| check("main.tf", &apply(&text, &edits)),
    );
}
