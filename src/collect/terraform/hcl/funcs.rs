//! Terraform's built-in functions, as far as a scan can compute them.
//!
//! [`FUNCTIONS`] lists every supported function (it generates the table in
//! `docs/terraform-hcl.md`). A function that depends on the moment or the machine (`timestamp`,
//! `uuid`, `bcrypt`, `abspath`) is unknown, as it is in a plan. A function that is not listed
//! is reported with its location, and the value it would produce is unknown.
//!
//! Unknown arguments: most functions return an unknown when any argument holds an unknown.
//! The functions that only move values around (`merge`, `concat`, `lookup`, `length`, ...)
//! keep unknown elements in place instead, as Terraform does: `merge(var.tags, { Name = "x" })`
//! with `var.tags = { Owner = var.owner }` knows `Name`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::Digest as _;

use super::eval::{Eval, EvalError, MAX_ELEMENTS, Result};
use super::value::{Attrs, Value, format_number};

/// A supported function, for the documentation.
pub struct FuncDoc {
    pub name: &'static str,
    pub category: &'static str,
    /// What differs from Terraform, if anything.
    pub note: &'static str,
}

const fn f(name: &'static str, category: &'static str, note: &'static str) -> FuncDoc {
    FuncDoc {
        name,
        category,
        note,
    }
}

/// Every function plumb evaluates, by category.
pub const FUNCTIONS: &[FuncDoc] = &[
    f("abs", "numeric", ""),
    f("ceil", "numeric", ""),
    f("floor", "numeric", ""),
    f("log", "numeric", ""),
    f("max", "numeric", ""),
    f("min", "numeric", ""),
    f("parseint", "numeric", ""),
    f("pow", "numeric", ""),
    f("signum", "numeric", ""),
    f("sum", "numeric", ""),
    f("chomp", "string", ""),
    f("endswith", "string", ""),
    f(
        "format",
        "string",
        "verbs %v %s %q %d %f %e %g %t %x %X %o %b, flags, width, precision, %[n]",
    ),
    f("formatlist", "string", ""),
    f("indent", "string", ""),
    f("join", "string", ""),
    f("lower", "string", ""),
    f(
        "regex",
        "string",
        "Rust `regex` syntax, which matches RE2's for ordinary patterns",
    ),
    f("regexall", "string", ""),
    f("replace", "string", "`/pattern/` substrings as regex"),
    f("split", "string", ""),
    f("startswith", "string", ""),
    f("strcontains", "string", ""),
    f("strrev", "string", ""),
    f(
        "substr",
        "string",
        "counts Unicode scalar values, not grapheme clusters",
    ),
    f("templatestring", "string", ""),
    f("title", "string", ""),
    f("trim", "string", ""),
    f("trimprefix", "string", ""),
    f("trimspace", "string", ""),
    f("trimsuffix", "string", ""),
    f("upper", "string", ""),
    f("alltrue", "collection", ""),
    f("anytrue", "collection", ""),
    f("chunklist", "collection", ""),
    f("coalesce", "collection", ""),
    f("coalescelist", "collection", ""),
    f("compact", "collection", ""),
    f("concat", "collection", ""),
    f("contains", "collection", ""),
    f("distinct", "collection", ""),
    f("element", "collection", ""),
    f("flatten", "collection", ""),
    f("index", "collection", ""),
    f("keys", "collection", ""),
    f("length", "collection", ""),
    f("lookup", "collection", ""),
    f("matchkeys", "collection", ""),
    f("merge", "collection", ""),
    f("one", "collection", ""),
    f("range", "collection", "at most 1,048,576 elements"),
    f("reverse", "collection", ""),
    f("setintersection", "collection", ""),
    f("setproduct", "collection", ""),
    f("setsubtract", "collection", ""),
    f("setunion", "collection", ""),
    f("slice", "collection", ""),
    f("sort", "collection", ""),
    f("transpose", "collection", ""),
    f("values", "collection", ""),
    f("zipmap", "collection", ""),
    f("base64decode", "encoding", ""),
    f("base64encode", "encoding", ""),
    f("jsondecode", "encoding", ""),
    f(
        "jsonencode",
        "encoding",
        "object keys sorted and `<`, `>`, `&` escaped, as Terraform writes them",
    ),
    f("urlencode", "encoding", ""),
    f("yamldecode", "encoding", ""),
    f("basename", "filesystem", ""),
    f("dirname", "filesystem", ""),
    f(
        "file",
        "filesystem",
        "all file functions: paths relative to the root module, files inside the scanned directories only",
    ),
    f("filebase64", "filesystem", ""),
    f("filebase64sha256", "filesystem", ""),
    f("filebase64sha512", "filesystem", ""),
    f("fileexists", "filesystem", ""),
    f("filemd5", "filesystem", ""),
    f("fileset", "filesystem", "patterns `*`, `**`, `?`"),
    f("filesha1", "filesystem", ""),
    f("filesha256", "filesystem", ""),
    f("filesha512", "filesystem", ""),
    f("templatefile", "filesystem", ""),
    f("abspath", "filesystem", "unknown: depends on the machine"),
    f(
        "pathexpand",
        "filesystem",
        "unknown: depends on the machine",
    ),
    f("plantimestamp", "date and time", "unknown until plan"),
    f("timestamp", "date and time", "unknown until apply"),
    f("base64sha256", "hash", ""),
    f("base64sha512", "hash", ""),
    f("bcrypt", "hash", "unknown: salted at random"),
    f("md5", "hash", ""),
    f("sha1", "hash", ""),
    f("sha256", "hash", ""),
    f("sha512", "hash", ""),
    f("uuid", "hash", "unknown: random"),
    f("cidrhost", "network", ""),
    f("cidrnetmask", "network", ""),
    f("cidrsubnet", "network", ""),
    f("cidrsubnets", "network", ""),
    f(
        "can",
        "type conversion",
        "an unknown argument gives unknown, as in Terraform",
    ),
    f("ephemeralasnull", "type conversion", "returns its argument"),
    f("nonsensitive", "type conversion", ""),
    f(
        "sensitive",
        "type conversion",
        "the attribute using it is redacted",
    ),
    f("tobool", "type conversion", ""),
    f("tolist", "type conversion", ""),
    f("tomap", "type conversion", ""),
    f("tonumber", "type conversion", ""),
    f("toset", "type conversion", "sorted and de-duplicated"),
    f("tostring", "type conversion", ""),
    f(
        "try",
        "type conversion",
        "an unknown argument gives unknown, as in Terraform",
    ),
];

/// The supported functions as a Markdown table (`docs/terraform-hcl.md`).
pub fn markdown() -> String {
    let mut out = String::from("| category | functions | notes |\n| --- | --- | --- |\n");
    let mut categories: Vec<&str> = FUNCTIONS.iter().map(|f| f.category).collect();
    categories.dedup();
    for category in categories {
        let members: Vec<&FuncDoc> = FUNCTIONS
            .iter()
            .filter(|f| f.category == category)
            .collect();
        let names: Vec<String> = members.iter().map(|f| format!("`{}`", f.name)).collect();
        let notes: Vec<String> = members
            .iter()
            .filter(|f| !f.note.is_empty())
            .map(|f| format!("`{}`: {}", f.name, f.note))
            .collect();
        out.push_str(&format!(
            "| {category} | {} | {} |\n",
            names.join(", "),
            notes.join("; ").replace('|', "\\|")
        ));
    }
    out
}

/// Functions that keep unknown elements of their arguments in place.
const STRUCTURAL: &[&str] = &[
    "length",
    "keys",
    "values",
    "merge",
    "concat",
    "lookup",
    "element",
    "tolist",
    "tomap",
    "slice",
    "reverse",
    "zipmap",
    "coalescelist",
    "one",
    "chunklist",
    "flatten",
    "sensitive",
    "nonsensitive",
    "ephemeralasnull",
];

/// Functions whose value is not known before apply, or depends on the scanning machine.
const UNKNOWABLE: &[&str] = &[
    "timestamp",
    "plantimestamp",
    "uuid",
    "bcrypt",
    "abspath",
    "pathexpand",
];

/// Calls a built-in function on evaluated arguments.
pub fn call(name: &str, args: Vec<Value>, ev: &mut Eval<'_>) -> Result<Value> {
    if !FUNCTIONS.iter().any(|f| f.name == name) {
        return Err(EvalError::new(if name == "type" {
            "type() is only available in terraform console".to_string()
        } else {
            format!(
                "function `{name}` is not supported by plumb (see docs/terraform-hcl.md); its value is treated as unknown"
            )
        }));
    }
    if UNKNOWABLE.contains(&name) {
        return Ok(Value::unknown());
    }
    if name == "sensitive" {
        ev.mark_sensitive();
    }
    let structural = STRUCTURAL.contains(&name);
    let unknown = args.iter().any(|a| {
        if structural {
            matches!(a, Value::Unknown(_) | Value::Resource(_))
        } else {
            !a.is_wholly_known()
        }
    });
    if unknown {
        return Ok(Value::unknown_of(&args));
    }
    let result = dispatch(name, &args, ev)
        .map_err(|e| EvalError::new(format!("{name}(): {}", e.message)))?;
    // Functions can build large collections from small arguments (range, setproduct).
    let size = match &result {
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.entries.len(),
        Value::String(s) => s.len() / 64,
        _ => 0,
    };
    ev.charge(size as u64)?;
    Ok(result)
}

fn err<T>(message: impl Into<String>) -> Result<T> {
    Err(EvalError::new(message))
}

fn arity(args: &[Value], min: usize, max: usize) -> Result<()> {
    if args.len() < min || args.len() > max {
        let want = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return err(format!(
            "takes {want} argument{}, got {}",
            if want == "1" { "" } else { "s" },
            args.len()
        ));
    }
    Ok(())
}

fn text(v: &Value) -> Result<String> {
    v.to_text()
        .ok_or_else(|| EvalError::new(format!("a string is required, not {}", v.type_name())))
}

fn num(v: &Value) -> Result<f64> {
    v.to_number()
        .ok_or_else(|| EvalError::new(format!("a number is required, not {}", v.type_name())))
}

fn int(v: &Value) -> Result<i64> {
    let n = num(v)?;
    if n.fract() != 0.0 {
        return err(format!("a whole number is required, not {n}"));
    }
    Ok(n as i64)
}

fn boolean(v: &Value) -> Result<bool> {
    v.to_bool()
        .ok_or_else(|| EvalError::new(format!("a bool is required, not {}", v.type_name())))
}

fn items(v: &Value) -> Result<&[Value]> {
    v.as_list()
        .ok_or_else(|| EvalError::new(format!("a list is required, not {}", v.type_name())))
}

fn entries(v: &Value) -> Result<&Attrs> {
    match v {
        Value::Map(m) => Ok(&m.entries),
        other => err(format!("a map is required, not {}", other.type_name())),
    }
}

fn strings(v: &Value) -> Result<Vec<String>> {
    items(v)?.iter().map(text).collect()
}

fn string_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::list(items.into_iter().map(Value::string).collect())
}

fn contains(list: &[Value], v: &Value) -> bool {
    list.iter().any(|x| x.equals(v) == Some(true))
}

fn dedup_sorted(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by(Value::total_cmp);
    items.dedup_by(|a, b| a.equals(b) == Some(true));
    items
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn regex(pattern: &str) -> Result<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| EvalError::new(format!("invalid regular expression {pattern:?}: {e}")))
}

fn dispatch(name: &str, a: &[Value], ev: &mut Eval<'_>) -> Result<Value> {
    let n = |v: f64| Ok(Value::Number(v));
    let s = |v: String| Ok(Value::string(v));
    match name {
        // ---------------------------------------------------------- numeric
        "abs" => {
            arity(a, 1, 1)?;
            n(num(&a[0])?.abs())
        }
        "ceil" => {
            arity(a, 1, 1)?;
            n(num(&a[0])?.ceil())
        }
        "floor" => {
            arity(a, 1, 1)?;
            n(num(&a[0])?.floor())
        }
        "log" => {
            arity(a, 2, 2)?;
            n(num(&a[0])?.log(num(&a[1])?))
        }
        "pow" => {
            arity(a, 2, 2)?;
            n(num(&a[0])?.powf(num(&a[1])?))
        }
        "signum" => {
            arity(a, 1, 1)?;
            let x = num(&a[0])?;
            n(if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            })
        }
        "max" | "min" => {
            arity(a, 1, usize::MAX)?;
            let nums = a.iter().map(num).collect::<Result<Vec<f64>>>()?;
            let pick = if name == "max" { f64::max } else { f64::min };
            n(nums.into_iter().reduce(pick).unwrap_or(0.0))
        }
        "sum" => {
            arity(a, 1, 1)?;
            let list = items(&a[0])?;
            if list.is_empty() {
                return err("cannot sum an empty list");
            }
            n(list.iter().map(num).sum::<Result<f64>>()?)
        }
        "parseint" => {
            arity(a, 2, 2)?;
            let base = int(&a[1])?;
            if !(2..=62).contains(&base) {
                return err(format!("base {base} is not between 2 and 62"));
            }
            let t = text(&a[0])?;
            let (neg, digits) = match t.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, t.strip_prefix('+').unwrap_or(&t)),
            };
            let v = i64::from_str_radix(digits, base as u32)
                .map_err(|_| EvalError::new(format!("{t:?} is not a base {base} integer")))?;
            n(if neg { -v } else { v } as f64)
        }

        // ---------------------------------------------------------- strings
        "chomp" => {
            arity(a, 1, 1)?;
            s(text(&a[0])?.trim_end_matches(['\n', '\r']).to_string())
        }
        "startswith" | "endswith" | "strcontains" => {
            arity(a, 2, 2)?;
            let (x, y) = (text(&a[0])?, text(&a[1])?);
            Ok(Value::Bool(match name {
                "startswith" => x.starts_with(&y),
                "endswith" => x.ends_with(&y),
                _ => x.contains(&y),
            }))
        }
        "format" => {
            arity(a, 1, usize::MAX)?;
            s(format(&text(&a[0])?, &a[1..])?)
        }
        "formatlist" => {
            arity(a, 1, usize::MAX)?;
            let fmt = text(&a[0])?;
            let mut len = None;
            for v in &a[1..] {
                if let Some(l) = v.as_list() {
                    match len {
                        Some(n) if n != l.len() => {
                            return err("all list arguments must have the same length");
                        }
                        _ => len = Some(l.len()),
                    }
                }
            }
            let len = len.unwrap_or(1);
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                let row: Vec<Value> = a[1..]
                    .iter()
                    .map(|v| match v.as_list() {
                        Some(l) => l[i].clone(),
                        None => v.clone(),
                    })
                    .collect();
                out.push(Value::string(format(&fmt, &row)?));
            }
            Ok(Value::list(out))
        }
        "indent" => {
            arity(a, 2, 2)?;
            let pad = " ".repeat(int(&a[0])?.clamp(0, 1024) as usize);
            let t = text(&a[1])?;
            let mut out = String::new();
            for (i, line) in t.split('\n').enumerate() {
                if i > 0 {
                    out.push('\n');
                    if !line.is_empty() {
                        out.push_str(&pad);
                    }
                }
                out.push_str(line);
            }
            s(out)
        }
        "join" => {
            arity(a, 2, usize::MAX)?;
            let sep = text(&a[0])?;
            let mut parts = Vec::new();
            for list in &a[1..] {
                for v in items(list)? {
                    if v.is_null() {
                        return err("cannot join a null element");
                    }
                    parts.push(text(v)?);
                }
            }
            s(parts.join(&sep))
        }
        "lower" => {
            arity(a, 1, 1)?;
            s(text(&a[0])?.to_lowercase())
        }
        "upper" => {
            arity(a, 1, 1)?;
            s(text(&a[0])?.to_uppercase())
        }
        "title" => {
            arity(a, 1, 1)?;
            let mut out = String::new();
            let mut start = true;
            for c in text(&a[0])?.chars() {
                if start && c.is_alphabetic() {
                    out.extend(c.to_uppercase());
                } else {
                    out.push(c);
                }
                start = !c.is_alphanumeric();
            }
            s(out)
        }
        "regex" | "regexall" => {
            arity(a, 2, 2)?;
            let re = regex(&text(&a[0])?)?;
            let subject = text(&a[1])?;
            let one = |caps: regex::Captures<'_>| -> Value {
                let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
                if names.is_empty() {
                    Value::string(caps.get(0).map_or("", |m| m.as_str()))
                } else if names.iter().all(Option::is_some) {
                    Value::map(
                        names
                            .iter()
                            .flatten()
                            .map(|n| {
                                (
                                    n.to_string(),
                                    caps.name(n)
                                        .map_or(Value::Null, |m| Value::string(m.as_str())),
                                )
                            })
                            .collect(),
                    )
                } else {
                    Value::list(
                        (1..caps.len())
                            .map(|i| {
                                caps.get(i)
                                    .map_or(Value::Null, |m| Value::string(m.as_str()))
                            })
                            .collect(),
                    )
                }
            };
            if name == "regex" {
                match re.captures(&subject) {
                    Some(c) => Ok(one(c)),
                    None => err(format!("pattern did not match {subject:?}")),
                }
            } else {
                Ok(Value::list(re.captures_iter(&subject).map(one).collect()))
            }
        }
        "replace" => {
            arity(a, 3, 3)?;
            let (subject, search, with) = (text(&a[0])?, text(&a[1])?, text(&a[2])?);
            if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
                let re = regex(&search[1..search.len() - 1])?;
                s(re.replace_all(&subject, with.as_str()).into_owned())
            } else if search.is_empty() {
                s(subject)
            } else {
                s(subject.replace(&search, &with))
            }
        }
        "split" => {
            arity(a, 2, 2)?;
            let (sep, t) = (text(&a[0])?, text(&a[1])?);
            Ok(if sep.is_empty() {
                string_list(t.chars().map(String::from))
            } else {
                string_list(t.split(sep.as_str()).map(str::to_string))
            })
        }
        "strrev" => {
            arity(a, 1, 1)?;
            s(text(&a[0])?.chars().rev().collect())
        }
        "substr" => {
            arity(a, 3, 3)?;
            let chars: Vec<char> = text(&a[0])?.chars().collect();
            let len = chars.len() as i64;
            let mut offset = int(&a[1])?;
            let length = int(&a[2])?;
            if offset < 0 {
                offset += len;
            }
            if offset < 0 || offset > len {
                return err("offset out of range");
            }
            let end = if length < 0 {
                len
            } else {
                offset.saturating_add(length).min(len)
            };
            s(chars[offset as usize..end as usize].iter().collect())
        }
        "templatestring" => {
            arity(a, 2, 2)?;
            let vars = entries(&a[1])?.clone();
            ev.template_file(&text(&a[0])?, &vars)
        }
        "trim" => {
            arity(a, 2, 2)?;
            let cut: Vec<char> = text(&a[1])?.chars().collect();
            s(text(&a[0])?.trim_matches(|c| cut.contains(&c)).to_string())
        }
        "trimprefix" => {
            arity(a, 2, 2)?;
            let (t, p) = (text(&a[0])?, text(&a[1])?);
            s(t.strip_prefix(p.as_str()).unwrap_or(&t).to_string())
        }
        "trimsuffix" => {
            arity(a, 2, 2)?;
            let (t, p) = (text(&a[0])?, text(&a[1])?);
            s(t.strip_suffix(p.as_str()).unwrap_or(&t).to_string())
        }
        "trimspace" => {
            arity(a, 1, 1)?;
            s(text(&a[0])?.trim().to_string())
        }

        // ---------------------------------------------------------- collections
        "alltrue" | "anytrue" => {
            arity(a, 1, 1)?;
            let bools = items(&a[0])?
                .iter()
                .map(boolean)
                .collect::<Result<Vec<bool>>>()?;
            Ok(Value::Bool(if name == "alltrue" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "chunklist" => {
            arity(a, 2, 2)?;
            let list = items(&a[0])?;
            let size = int(&a[1])?;
            if size < 0 {
                return err("the chunk size must not be negative");
            }
            if size == 0 {
                return Ok(Value::list(vec![a[0].clone()]));
            }
            Ok(Value::list(
                list.chunks(size as usize)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            ))
        }
        "coalesce" => {
            arity(a, 1, usize::MAX)?;
            for v in a {
                match v {
                    Value::Null => continue,
                    Value::String(x) if x.is_empty() => continue,
                    other => return Ok(other.clone()),
                }
            }
            err("no non-null, non-empty argument")
        }
        "coalescelist" => {
            arity(a, 1, usize::MAX)?;
            for v in a {
                if !items(v)?.is_empty() {
                    return Ok(v.clone());
                }
            }
            Ok(Value::list(Vec::new()))
        }
        "compact" => {
            arity(a, 1, 1)?;
            Ok(Value::list(
                items(&a[0])?
                    .iter()
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .cloned()
                    .collect(),
            ))
        }
        "concat" => {
            let mut out = Vec::new();
            for v in a {
                out.extend(items(v)?.iter().cloned());
            }
            Ok(Value::list(out))
        }
        "contains" => {
            arity(a, 2, 2)?;
            Ok(Value::Bool(contains(items(&a[0])?, &a[1])))
        }
        "distinct" => {
            arity(a, 1, 1)?;
            let mut out: Vec<Value> = Vec::new();
            for v in items(&a[0])? {
                if !contains(&out, v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        }
        "element" => {
            arity(a, 2, 2)?;
            let list = items(&a[0])?;
            let i = int(&a[1])?;
            if list.is_empty() {
                return err("cannot use element on an empty list");
            }
            if i < 0 {
                return err("the index must not be negative");
            }
            Ok(list[i as usize % list.len()].clone())
        }
        "flatten" => {
            arity(a, 1, 1)?;
            fn walk(v: &Value, out: &mut Vec<Value>) -> std::result::Result<(), Value> {
                match v {
                    Value::List(l) => {
                        for item in &l.items {
                            walk(item, out)?;
                        }
                        Ok(())
                    }
                    Value::Unknown(_) => Err(v.clone()),
                    other => {
                        out.push(other.clone());
                        Ok(())
                    }
                }
            }
            let mut out = Vec::new();
            for v in items(&a[0])? {
                if let Err(u) = walk(v, &mut out) {
                    return Ok(Value::unknown_of([&u]));
                }
            }
            Ok(Value::list(out))
        }
        "index" => {
            arity(a, 2, 2)?;
            match items(&a[0])?
                .iter()
                .position(|x| x.equals(&a[1]) == Some(true))
            {
                Some(i) => n(i as f64),
                None => err("the item is not in the list"),
            }
        }
        "keys" => {
            arity(a, 1, 1)?;
            Ok(string_list(entries(&a[0])?.keys().cloned()))
        }
        "values" => {
            arity(a, 1, 1)?;
            Ok(Value::list(entries(&a[0])?.values().cloned().collect()))
        }
        "length" => {
            arity(a, 1, 1)?;
            n(match &a[0] {
                Value::List(l) => l.items.len(),
                Value::Map(m) => m.entries.len(),
                Value::String(t) => t.chars().count(),
                other => return err(format!("cannot take the length of {}", other.type_name())),
            } as f64)
        }
        "lookup" => {
            arity(a, 2, 3)?;
            let map = entries(&a[0])?;
            let key = text(&a[1])?;
            match (map.get(&key), a.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(default)) => Ok(default.clone()),
                (None, None) => err(format!("no key {key:?} and no default")),
            }
        }
        "matchkeys" => {
            arity(a, 3, 3)?;
            let (vals, keys, search) = (items(&a[0])?, items(&a[1])?, items(&a[2])?);
            if vals.len() != keys.len() {
                return err("the values and keys lists must have the same length");
            }
            Ok(Value::list(
                vals.iter()
                    .zip(keys)
                    .filter(|(_, k)| contains(search, k))
                    .map(|(v, _)| v.clone())
                    .collect(),
            ))
        }
        "merge" => {
            let mut out = Attrs::new();
            for v in a {
                match v {
                    Value::Null => {}
                    Value::Map(m) => {
                        for (k, x) in &m.entries {
                            out.insert(k.clone(), x.clone());
                        }
                    }
                    other => {
                        return err(format!("arguments must be maps, not {}", other.type_name()));
                    }
                }
            }
            Ok(Value::map(out))
        }
        "one" => {
            arity(a, 1, 1)?;
            match items(&a[0])? {
                [] => Ok(Value::Null),
                [x] => Ok(x.clone()),
                more => err(format!(
                    "the list has {} elements; one allows at most one",
                    more.len()
                )),
            }
        }
        "range" => {
            arity(a, 1, 3)?;
            let nums = a.iter().map(num).collect::<Result<Vec<f64>>>()?;
            let (start, end, step) = match nums.as_slice() {
                [end] => (0.0, *end, 1.0),
                [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
                [start, end, step] => (*start, *end, *step),
                _ => unreachable!("arity checked"),
            };
            if step == 0.0 || (step > 0.0) != (end >= start) && start != end {
                return err("the step must move from start towards end");
            }
            let count = ((end - start) / step).ceil().max(0.0);
            if count > MAX_ELEMENTS as f64 {
                return err(format!("more than {MAX_ELEMENTS} elements"));
            }
            Ok(Value::list(
                (0..count as usize)
                    .map(|i| Value::Number(start + step * i as f64))
                    .collect(),
            ))
        }
        "reverse" => {
            arity(a, 1, 1)?;
            Ok(Value::list(items(&a[0])?.iter().rev().cloned().collect()))
        }
        "setintersection" | "setsubtract" | "setunion" => {
            arity(a, 1, usize::MAX)?;
            let first = items(&a[0])?.to_vec();
            let mut acc = first;
            for v in &a[1..] {
                let other = items(v)?;
                match name {
                    "setintersection" => acc.retain(|x| contains(other, x)),
                    "setsubtract" => acc.retain(|x| !contains(other, x)),
                    _ => acc.extend(other.iter().cloned()),
                }
            }
            Ok(Value::list(dedup_sorted(acc)))
        }
        "setproduct" => {
            arity(a, 1, usize::MAX)?;
            let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
            for v in a {
                let list = items(v)?;
                let mut next = Vec::new();
                for row in &rows {
                    for x in list {
                        let mut r = row.clone();
                        r.push(x.clone());
                        next.push(r);
                    }
                }
                if next.len() > MAX_ELEMENTS {
                    return err(format!("more than {MAX_ELEMENTS} elements"));
                }
                rows = next;
            }
            Ok(Value::list(rows.into_iter().map(Value::list).collect()))
        }
        "slice" => {
            arity(a, 3, 3)?;
            let list = items(&a[0])?;
            let (start, end) = (int(&a[1])?, int(&a[2])?);
            if start < 0 || end < start || end as usize > list.len() {
                return err(format!(
                    "indexes {start}..{end} are out of range for a list of {}",
                    list.len()
                ));
            }
            Ok(Value::list(list[start as usize..end as usize].to_vec()))
        }
        "sort" => {
            arity(a, 1, 1)?;
            let mut list = strings(&a[0])?;
            list.sort();
            Ok(string_list(list))
        }
        "transpose" => {
            arity(a, 1, 1)?;
            let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
            for (k, v) in entries(&a[0])? {
                for x in strings(v)? {
                    out.entry(x).or_default().push(k.clone());
                }
            }
            Ok(Value::map(
                out.into_iter().map(|(k, v)| (k, string_list(v))).collect(),
            ))
        }
        "zipmap" => {
            arity(a, 2, 2)?;
            let (keys, vals) = (items(&a[0])?, items(&a[1])?);
            if keys.len() != vals.len() {
                return err("the keys and values lists must have the same length");
            }
            if keys.iter().any(|k| !k.is_wholly_known()) {
                return Ok(Value::unknown_of(keys));
            }
            Ok(Value::map(
                keys.iter()
                    .zip(vals)
                    .map(|(k, v)| Ok((text(k)?, v.clone())))
                    .collect::<Result<Attrs>>()?,
            ))
        }

        // ---------------------------------------------------------- encoding
        "base64decode" => {
            arity(a, 1, 1)?;
            let bytes = BASE64
                .decode(text(&a[0])?.as_bytes())
                .map_err(|e| EvalError::new(format!("invalid base64: {e}")))?;
            s(String::from_utf8(bytes)
                .map_err(|_| EvalError::new("the decoded bytes are not UTF-8"))?)
        }
        "base64encode" => {
            arity(a, 1, 1)?;
            s(BASE64.encode(text(&a[0])?))
        }
        "jsondecode" => {
            arity(a, 1, 1)?;
            let j: serde_json::Value = serde_json::from_str(&text(&a[0])?)
                .map_err(|e| EvalError::new(format!("invalid JSON: {e}")))?;
            Ok(Value::from_json(&j))
        }
        "jsonencode" => {
            arity(a, 1, 1)?;
            let j = a[0].to_plain_json().unwrap_or_default();
            let out = serde_json::to_string(&j).unwrap_or_default();
            s(out
                .replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026"))
        }
        "urlencode" => {
            arity(a, 1, 1)?;
            use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
            const QUERY: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
                .remove(b'-')
                .remove(b'_')
                .remove(b'.')
                .remove(b'~');
            s(utf8_percent_encode(&text(&a[0])?, QUERY)
                .to_string()
                .replace("%20", "+"))
        }
        "yamldecode" => {
            arity(a, 1, 1)?;
            let t = text(&a[0])?;
            let j: serde_json::Value = crate::yaml::from_str(&t)
                .map_err(|e| EvalError::new(format!("invalid YAML: {}", e.message)))?;
            Ok(Value::from_json(&j))
        }

        // ---------------------------------------------------------- filesystem
        "basename" | "dirname" => {
            arity(a, 1, 1)?;
            let t = text(&a[0])?;
            let trimmed = t.trim_end_matches('/');
            let (dir, base) = match trimmed.rfind('/') {
                Some(0) => ("/", &trimmed[1..]),
                Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
                None => (".", trimmed),
            };
            s(if name == "basename" { base } else { dir }.to_string())
        }
        "file" | "filebase64" | "filemd5" | "filesha1" | "filesha256" | "filesha512"
        | "filebase64sha256" | "filebase64sha512" => {
            arity(a, 1, 1)?;
            let bytes = ev.files().read(&text(&a[0])?).map_err(EvalError::new)?;
            file_function(name, bytes)
        }
        "fileexists" => {
            arity(a, 1, 1)?;
            Ok(Value::Bool(
                ev.files().exists(&text(&a[0])?).map_err(EvalError::new)?,
            ))
        }
        "fileset" => {
            arity(a, 2, 2)?;
            fileset(ev, &text(&a[0])?, &text(&a[1])?)
        }
        "templatefile" => {
            arity(a, 2, 2)?;
            let path = text(&a[0])?;
            let bytes = ev.files().read(&path).map_err(EvalError::new)?;
            let t = String::from_utf8(bytes)
                .map_err(|_| EvalError::new(format!("{path} is not UTF-8 text")))?;
            let vars = entries(&a[1])?.clone();
            ev.template_file(&t, &vars)
                .map_err(|e| EvalError::new(format!("{path}: {}", e.message)))
        }

        // ---------------------------------------------------------- hashes
        "md5" | "sha1" | "sha256" | "sha512" | "base64sha256" | "base64sha512" => {
            arity(a, 1, 1)?;
            let as_file = match name {
                "md5" => "filemd5",
                "sha1" => "filesha1",
                "sha256" => "filesha256",
                "sha512" => "filesha512",
                "base64sha256" => "filebase64sha256",
                _ => "filebase64sha512",
            };
            file_function(as_file, text(&a[0])?.into_bytes())
        }

        // ---------------------------------------------------------- network
        "cidrhost" => {
            arity(a, 2, 2)?;
            let net = Cidr::parse(&text(&a[0])?)?;
            let host = int(&a[1])?;
            s(net.host(host)?)
        }
        "cidrnetmask" => {
            arity(a, 1, 1)?;
            let net = Cidr::parse(&text(&a[0])?)?;
            if net.bits != 32 {
                return err("cidrnetmask only supports IPv4 prefixes");
            }
            s(format_ip(net.mask(), 32))
        }
        "cidrsubnet" => {
            arity(a, 3, 3)?;
            let net = Cidr::parse(&text(&a[0])?)?;
            s(net.subnet(int(&a[1])?, int(&a[2])?)?.to_string())
        }
        "cidrsubnets" => {
            arity(a, 1, usize::MAX)?;
            let net = Cidr::parse(&text(&a[0])?)?;
            let newbits = a[1..].iter().map(int).collect::<Result<Vec<i64>>>()?;
            Ok(string_list(net.subnets(&newbits)?))
        }

        // ---------------------------------------------------------- conversion
        "sensitive" | "nonsensitive" | "ephemeralasnull" => {
            arity(a, 1, 1)?;
            Ok(a[0].clone())
        }
        "tobool" => {
            arity(a, 1, 1)?;
            if a[0].is_null() {
                return Ok(Value::Null);
            }
            Ok(Value::Bool(boolean(&a[0])?))
        }
        "tonumber" => {
            arity(a, 1, 1)?;
            if a[0].is_null() {
                return Ok(Value::Null);
            }
            n(num(&a[0])?)
        }
        "tostring" => {
            arity(a, 1, 1)?;
            if a[0].is_null() {
                return Ok(Value::Null);
            }
            s(text(&a[0])?)
        }
        "tolist" => {
            arity(a, 1, 1)?;
            match &a[0] {
                Value::Null => Ok(Value::Null),
                v => Ok(Value::list(items(v)?.to_vec())),
            }
        }
        "toset" => {
            arity(a, 1, 1)?;
            match &a[0] {
                Value::Null => Ok(Value::Null),
                v => Ok(Value::list(dedup_sorted(items(v)?.to_vec()))),
            }
        }
        "tomap" => {
            arity(a, 1, 1)?;
            match &a[0] {
                Value::Null => Ok(Value::Null),
                v => Ok(Value::map(entries(v)?.clone())),
            }
        }
        other => err(format!("function `{other}` is listed but not implemented")),
    }
}

fn file_function(name: &str, bytes: Vec<u8>) -> Result<Value> {
    let b64 = |b: &[u8]| Value::string(BASE64.encode(b));
    Ok(match name {
        "file" => Value::string(
            String::from_utf8(bytes)
                .map_err(|_| EvalError::new("the file is not UTF-8 text; use filebase64"))?,
        ),
        "filebase64" => b64(&bytes),
        "filemd5" => Value::string(hex(&md5::Md5::digest(&bytes))),
        "filesha1" => Value::string(hex(&sha1::Sha1::digest(&bytes))),
        "filesha256" => Value::string(hex(&sha2::Sha256::digest(&bytes))),
        "filesha512" => Value::string(hex(&sha2::Sha512::digest(&bytes))),
        "filebase64sha256" => b64(&sha2::Sha256::digest(&bytes)),
        _ => b64(&sha2::Sha512::digest(&bytes)),
    })
}

/// `fileset(path, pattern)`: files under `path` (relative to the root module) whose path
/// relative to it matches `pattern`.
fn fileset(ev: &Eval<'_>, path: &str, pattern: &str) -> Result<Value> {
    let files = ev.files();
    if !files.exists(path).unwrap_or(false) && !files.base.join(path).is_dir() {
        return Ok(Value::list(Vec::new()));
    }
    let dir = files.base.join(path);
    // Reading a directory listing is as sensitive as reading a file: same boundary.
    files.exists(path).map_err(EvalError::new)?;
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .take(MAX_ELEMENTS)
    {
        if let Ok(rel) = entry.path().strip_prefix(&dir) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if glob_match(pattern.as_bytes(), rel.as_bytes()) {
                out.push(rel);
            }
        }
    }
    Ok(string_list(out))
}

/// Glob matching with `*` (within a path segment), `**` (any segments) and `?`.
fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (Some(b'*'), _) if p.get(1) == Some(&b'*') => {
            let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
            (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && glob_match(rest, &s[i..]))
                || glob_match(&p[2..], s)
        }
        (Some(b'*'), _) => (0..=s.len())
            .take_while(|&i| i == 0 || s[i - 1] != b'/')
            .any(|i| glob_match(&p[1..], &s[i..])),
        (Some(b'?'), Some(c)) if *c != b'/' => glob_match(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob_match(&p[1..], &s[1..]),
        _ => false,
    }
}

// ---------------------------------------------------------------- format

/// Widest padding and longest precision `format` honours.
const MAX_WIDTH: usize = 4096;

/// Terraform's `format`, which follows Go's `fmt` verbs.
fn format(fmt: &str, args: &[Value]) -> Result<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut next = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let (mut minus, mut plus, mut space, mut zero, mut sharp) =
            (false, false, false, false, false);
        while let Some(c) = chars.get(i) {
            match c {
                '-' => minus = true,
                '+' => plus = true,
                ' ' => space = true,
                '0' => zero = true,
                '#' => sharp = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..]
                .iter()
                .position(|c| *c == ']')
                .ok_or_else(|| EvalError::new("unclosed [ in format"))?;
            let index: String = chars[i + 1..i + close].iter().collect();
            next = index
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| EvalError::new(format!("invalid argument index [{index}]")))?
                - 1;
            i += close + 1;
        }
        let mut width = String::new();
        while let Some(c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
            width.push(*c);
            i += 1;
        }
        let mut precision: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = String::new();
            while let Some(c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                p.push(*c);
                i += 1;
            }
            precision = Some(p.parse::<usize>().unwrap_or(0).min(MAX_WIDTH));
        }
        let verb = *chars
            .get(i)
            .ok_or_else(|| EvalError::new("format ends in the middle of a verb"))?;
        i += 1;
        let arg = args.get(next).ok_or_else(|| {
            EvalError::new(format!(
                "not enough arguments for the format (verb %{verb})"
            ))
        })?;
        next += 1;
        let numeric = matches!(
            verb,
            'd' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b'
        ) && !(matches!(verb, 'x' | 'X')
            && arg.as_str().is_some_and(|s| s.parse::<f64>().is_err()));
        let mut body = match verb {
            'v' => match arg {
                Value::List(_) | Value::Map(_) => {
                    serde_json::to_string(&arg.to_plain_json().unwrap_or_default())
                        .unwrap_or_default()
                }
                Value::Null => "null".into(),
                other => text(other)?,
            },
            's' => text(arg)?,
            'q' => serde_json::to_string(&text(arg)?).unwrap_or_default(),
            't' => boolean(arg)?.to_string(),
            'd' => int(arg)?.abs().to_string(),
            'f' | 'F' => format!("{:.*}", precision.unwrap_or(6), num(arg)?.abs()),
            'e' | 'E' => {
                let s = go_exp(num(arg)?.abs(), precision.unwrap_or(6));
                if verb == 'E' { s.to_uppercase() } else { s }
            }
            'g' | 'G' => match precision {
                Some(p) => format!("{:.*}", p, num(arg)?.abs()),
                None => format_number(num(arg)?.abs()),
            },
            'x' | 'X' if !numeric => {
                let h = hex(text(arg)?.as_bytes());
                if verb == 'X' { h.to_uppercase() } else { h }
            }
            'x' => format!("{:x}", int(arg)?.unsigned_abs()),
            'X' => format!("{:X}", int(arg)?.unsigned_abs()),
            'o' => format!("{:o}", int(arg)?.unsigned_abs()),
            'b' => format!("{:b}", int(arg)?.unsigned_abs()),
            other => return err(format!("unsupported format verb %{other}")),
        };
        if numeric {
            let negative = num(arg)? < 0.0;
            if sharp {
                match verb {
                    'x' => body.insert_str(0, "0x"),
                    'X' => body.insert_str(0, "0X"),
                    'o' => body.insert(0, '0'),
                    _ => {}
                }
            }
            let sign = if negative {
                "-"
            } else if plus {
                "+"
            } else if space {
                " "
            } else {
                ""
            };
            let w: usize = width.parse::<usize>().unwrap_or(0).min(MAX_WIDTH);
            if zero && !minus && body.len() + sign.len() < w {
                body = "0".repeat(w - body.len() - sign.len()) + &body;
            }
            body.insert_str(0, sign);
        } else if let Some(p) = precision
            && matches!(verb, 's' | 'v')
        {
            body = body.chars().take(p).collect();
        }
        let w: usize = width.parse::<usize>().unwrap_or(0).min(MAX_WIDTH);
        let len = body.chars().count();
        if len < w {
            let pad = " ".repeat(w - len);
            body = if minus { body + &pad } else { pad + &body };
        }
        out.push_str(&body);
    }
    Ok(out)
}

/// `%e` as Go writes it: `1.500000e+03`.
fn go_exp(x: f64, precision: usize) -> String {
    let s = format!("{:.*e}", precision, x);
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let e: i32 = exp.parse().unwrap_or(0);
            format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
        }
        None => s,
    }
}

// ---------------------------------------------------------------- CIDR

/// An IPv4 or IPv6 prefix, as Terraform's CIDR functions see it.
struct Cidr {
    addr: u128,
    prefix: u32,
    bits: u32,
}

impl Cidr {
    fn parse(s: &str) -> Result<Cidr> {
        let (ip, len) = s
            .split_once('/')
            .ok_or_else(|| EvalError::new(format!("invalid CIDR prefix {s:?}")))?;
        let (addr, bits) = match ip.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V4(v4)) => (u128::from(u32::from(v4)), 32),
            Ok(std::net::IpAddr::V6(v6)) => (u128::from(v6), 128),
            Err(_) => return err(format!("invalid IP address {ip:?}")),
        };
        let prefix: u32 = len
            .parse()
            .ok()
            .filter(|p| *p <= bits)
            .ok_or_else(|| EvalError::new(format!("invalid prefix length in {s:?}")))?;
        Ok(Cidr { addr, prefix, bits })
    }

    fn full(&self) -> u128 {
        if self.bits == 128 {
            u128::MAX
        } else {
            (1u128 << self.bits) - 1
        }
    }

    fn mask_of(&self, prefix: u32) -> u128 {
        if prefix == 0 {
            0
        } else {
            (self.full() >> (self.bits - prefix)) << (self.bits - prefix) & self.full()
        }
    }

    fn mask(&self) -> u128 {
        self.mask_of(self.prefix)
    }

    fn network(&self) -> u128 {
        self.addr & self.mask()
    }

    fn subnet(&self, newbits: i64, netnum: i64) -> Result<Cidr> {
        let new_prefix = self.prefix as i64 + newbits;
        if newbits < 0 || new_prefix > self.bits as i64 {
            return err(format!(
                "cannot extend prefix /{} by {newbits} bits in a {}-bit address",
                self.prefix, self.bits
            ));
        }
        let new_prefix = new_prefix as u32;
        if netnum < 0 || (newbits < 127 && (netnum as u128) >= (1u128 << newbits)) {
            return err(format!(
                "prefix extension of {newbits} bits does not fit {netnum}"
            ));
        }
        let shift = self.bits - new_prefix;
        let addr = self.network() | ((netnum as u128) << shift);
        Ok(Cidr {
            addr,
            prefix: new_prefix,
            bits: self.bits,
        })
    }

    fn host(&self, hostnum: i64) -> Result<String> {
        let host_bits = self.bits - self.prefix;
        let size: u128 = if host_bits >= 127 {
            u128::MAX
        } else {
            1u128 << host_bits
        };
        let n: u128 = if hostnum < 0 {
            let back = hostnum.unsigned_abs() as u128;
            if back > size {
                return err(format!(
                    "host number {hostnum} does not fit /{}",
                    self.prefix
                ));
            }
            size - back
        } else {
            let n = hostnum as u128;
            if n >= size {
                return err(format!(
                    "host number {hostnum} does not fit /{}",
                    self.prefix
                ));
            }
            n
        };
        Ok(format_ip(self.network() | n, self.bits))
    }

    /// Terraform's `cidrsubnets`: consecutive, aligned subnets.
    fn subnets(&self, newbits: &[i64]) -> Result<Vec<String>> {
        let Some(first) = newbits.first() else {
            return Ok(Vec::new());
        };
        let full = self.full();
        let block = |prefix: u32| -> u128 {
            if self.bits - prefix >= 128 {
                u128::MAX
            } else {
                1u128 << (self.bits - prefix)
            }
        };
        let first_prefix = self.prefix as i64 + first;
        if first_prefix > self.bits as i64 || *first < 1 {
            return err("each new prefix must be longer than the base prefix and fit the address");
        }
        // The subnet just before the network, at the first length.
        let mut current_start =
            self.network().wrapping_sub(1) & full & self.mask_of(first_prefix as u32);
        let mut current_prefix = first_prefix as u32;
        let mut out = Vec::new();
        for &nb in newbits {
            let p = self.prefix as i64 + nb;
            if nb < 1 || p > self.bits as i64 {
                return err(
                    "each new prefix must be longer than the base prefix and fit the address",
                );
            }
            let p = p as u32;
            let current_last = current_start
                .wrapping_add(block(current_prefix))
                .wrapping_sub(1)
                & full;
            let aligned = current_last & self.mask_of(p);
            let next = aligned.wrapping_add(block(p)) & full;
            if next == 0 || (next & self.mask()) != self.network() {
                return err("not enough address space for the requested subnets");
            }
            out.push(format!("{}/{p}", format_ip(next, self.bits)));
            current_start = next;
            current_prefix = p;
        }
        Ok(out)
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}",
            format_ip(self.network(), self.bits),
            self.prefix
        )
    }
}

fn format_ip(addr: u128, bits: u32) -> String {
    if bits == 32 {
        std::net::Ipv4Addr::from(addr as u32).to_string()
    } else {
        std::net::Ipv6Addr::from(addr).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(eval("jsonencode({a = var.u})"), serde_json::Value::Null);
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
}
