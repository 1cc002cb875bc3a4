//! CEL plumbing: JSON to CEL values, the paths an expression reads, and message templates.

use std::collections::HashMap;
use std::fmt;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;
use cel::{Context, Program, Value as Cel};
use serde_json::Value;

/// A CEL view of JSON that borrows its strings: no text is copied, only the containers are
/// built. Integers become CEL `int` whenever they fit, so comparisons with literals behave the
/// same whatever the source.
pub fn json_val<'v>(v: &'v Value) -> Box<dyn Val + 'v> {
    match v {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Box::new(CelInt::from(i)),
            (None, Some(u)) => Box::new(CelUInt::from(u)),
            _ => Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN))),
        },
        Value::String(s) => Box::new(CelString::from(s.as_str())),
        Value::Array(items) => Box::new(CelList::from(
            items.iter().map(json_val).collect::<Vec<_>>(),
        )),
        Value::Object(map) => Box::new(CelMap::from(
            map.iter()
                .map(|(k, v)| (CelMapKey::from(k.as_str()), json_val(v)))
                .collect::<HashMap<_, _>>(),
        )),
    }
}

/// A CEL map of borrowed entries.
pub fn map_val<'v>(
    entries: impl IntoIterator<Item = (&'v str, Box<dyn Val + 'v>)>,
) -> Box<dyn Val + 'v> {
    Box::new(CelMap::from(
        entries
            .into_iter()
            .map(|(k, v)| (CelMapKey::from(k), v))
            .collect::<HashMap<_, _>>(),
    ))
}

/// A borrowed CEL string.
pub fn str_val(s: &str) -> Box<dyn Val + '_> {
    Box::new(CelString::from(s))
}

/// The variable a path starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathRoot {
    Resource,
    Config,
}

/// A field path an expression reads, like `resource.facets.kms_key` or `config.rpo_minutes`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path {
    pub root: PathRoot,
    pub segments: Vec<String>,
}

impl Path {
    /// How the path is named in a finding's evidence: `facets.kms_key`, `config.rpo_minutes`.
    pub fn evidence_key(&self) -> String {
        match self.root {
            PathRoot::Resource => self.segments.join("."),
            PathRoot::Config => format!("config.{}", self.segments.join(".")),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.root {
            PathRoot::Resource => "resource",
            PathRoot::Config => "config",
        })?;
        for s in &self.segments {
            write!(f, ".{s}")?;
        }
        Ok(())
    }
}

/// Every maximal `resource.a.b` / `config.x` field chain in an expression (indexing with a
/// string literal, `resource.tags["Owner"]`, counts as a field). Also returns the other
/// top-level identifiers read, so unknown variables can be rejected at load time.
pub(crate) fn paths(expr: &IdedExpr) -> (Vec<Path>, Vec<String>) {
    let mut out = Vec::new();
    let mut idents = Vec::new();
    walk(expr, &mut Vec::new(), &mut out, &mut idents);
    out.sort();
    out.dedup();
    idents.sort();
    idents.dedup();
    (out, idents)
}

/// Follows a select / literal-index chain down to its root identifier.
fn chain(expr: &IdedExpr) -> Option<(&str, Vec<String>)> {
    match &expr.expr {
        Expr::Ident(name) => Some((name.as_str(), Vec::new())),
        Expr::Select(sel) => {
            let (root, mut segs) = chain(&sel.operand)?;
            segs.push(sel.field.clone());
            Some((root, segs))
        }
        Expr::Call(call) if call.func_name == "_[_]" && call.args.len() == 2 => {
            let (root, mut segs) = chain(&call.args[0])?;
            match &call.args[1].expr {
                Expr::Literal(LiteralValue::String(key)) => {
                    segs.push(key.inner().to_string());
                    Some((root, segs))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn walk(expr: &IdedExpr, bound: &mut Vec<String>, out: &mut Vec<Path>, idents: &mut Vec<String>) {
    if let Some((root, segments)) = chain(expr)
        && !bound.iter().any(|b| b == root)
    {
        match root {
            "resource" => out.push(Path {
                root: PathRoot::Resource,
                segments,
            }),
            "config" => out.push(Path {
                root: PathRoot::Config,
                segments,
            }),
            other => idents.push(other.to_string()),
        }
        // A literal index chain may hide a dynamic index deeper down; nothing else to visit.
        return;
    }
    match &expr.expr {
        Expr::Select(sel) => walk(&sel.operand, bound, out, idents),
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                walk(target, bound, out, idents);
            }
            for arg in &call.args {
                walk(arg, bound, out, idents);
            }
        }
        Expr::Comprehension(c) => {
            walk(&c.iter_range, bound, out, idents);
            walk(&c.accu_init, bound, out, idents);
            let depth = bound.len();
            bound.push(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            bound.push(c.accu_var.clone());
            walk(&c.loop_cond, bound, out, idents);
            walk(&c.loop_step, bound, out, idents);
            walk(&c.result, bound, out, idents);
            bound.truncate(depth);
        }
        Expr::List(list) => {
            for e in &list.elements {
                walk(e, bound, out, idents);
            }
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(e) = &entry.expr {
                    walk(&e.key, bound, out, idents);
                    walk(&e.value, bound, out, idents);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(f) = &entry.expr {
                    walk(&f.value, bound, out, idents);
                }
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// CEL's standard functions as the cel crate defines them: the name, whether it is called on a
/// target (`a.startsWith(b)`) or as a function (`size(a)`), and the argument counts it takes,
/// the target not counted. Operators and macros are not here: the parser checks those.
/// `standard_functions_take_what_the_table_says` holds the table to the crate.
const STANDARD: &[(&str, bool, &[usize])] = &[
    ("bool", false, &[1]),
    ("bytes", false, &[1]),
    ("contains", true, &[1]),
    ("double", false, &[1]),
    ("duration", false, &[1]),
    ("dyn", false, &[1]),
    ("endsWith", true, &[1]),
    ("getDate", true, &[0, 1]),
    ("getDayOfMonth", true, &[0, 1]),
    ("getDayOfWeek", true, &[0, 1]),
    ("getDayOfYear", true, &[0, 1]),
    ("getFullYear", true, &[0, 1]),
    ("getHours", true, &[0, 1]),
    ("getMilliseconds", true, &[0, 1]),
    ("getMinutes", true, &[0, 1]),
    ("getMonth", true, &[0, 1]),
    ("getSeconds", true, &[0, 1]),
    ("hasValue", true, &[0]),
    ("int", false, &[1]),
    ("matches", false, &[2]),
    ("matches", true, &[1]),
    ("or", true, &[1]),
    ("orValue", true, &[1]),
    ("size", false, &[1]),
    ("size", true, &[0]),
    ("startsWith", true, &[1]),
    ("string", false, &[1]),
    ("timestamp", false, &[1]),
    ("type", false, &[1]),
    ("uint", false, &[1]),
    ("value", true, &[0]),
];

/// What is wrong with the calls an expression makes, each once, in order: a function CEL does
/// not define (`startWith` for `startsWith`), a method called as a function or the other way
/// round, or a standard function given the wrong number of arguments. Such a call is an error
/// every time it is reached, so a policy holding one is refused when it loads rather than
/// reported as failing to evaluate later.
pub(crate) fn call_errors(expr: &IdedExpr) -> Vec<String> {
    let mut calls = Vec::new();
    calls_in(expr, &mut calls);
    let mut out: Vec<String> = calls
        .into_iter()
        .filter_map(|(name, member, args)| call_error(name, member, args))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What is wrong with one call of `name` with `args` arguments (on a target when `member`).
fn call_error(name: &str, member: bool, args: usize) -> Option<String> {
    let takes = |m: bool| {
        STANDARD
            .iter()
            .find(|(n, on, _)| *n == name && *on == m)
            .map(|(_, _, counts)| *counts)
    };
    let shown = if member {
        format!("`.{name}()`")
    } else {
        format!("`{name}()`")
    };
    match (takes(member), takes(!member)) {
        (Some(counts), _) if !counts.contains(&args) => Some(format!(
            "calls {shown} with {}; it takes {}",
            plural(args, "argument"),
            counts
                .iter()
                .map(|&n| plural(n, "argument"))
                .collect::<Vec<_>>()
                .join(" or ")
        )),
        (Some(_), _) => None,
        (None, Some(_)) if member => Some(format!(
            "calls `{name}` on a value; it is a function: `{name}(value)`"
        )),
        (None, Some(_)) => Some(format!(
            "calls `{name}` as a function; it is called on a value: `value.{name}(…)`"
        )),
        (None, None) if !defined(name, member) => Some(format!(
            "calls unknown function `{name}` (CEL has no function of that name)"
        )),
        (None, None) => None,
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Every call in `expr`: the function's name, whether it is called on a target
/// (`a.startsWith(b)`), and how many arguments it is given besides the target. Operators
/// (`_&&_`, `@in`, `!_`) are calls too.
fn calls_in<'e>(expr: &'e IdedExpr, out: &mut Vec<(&'e str, bool, usize)>) {
    match &expr.expr {
        Expr::Call(call) => {
            out.push((
                call.func_name.as_str(),
                call.target.is_some(),
                call.args.len(),
            ));
            if let Some(target) = &call.target {
                calls_in(target, out);
            }
            for arg in &call.args {
                calls_in(arg, out);
            }
        }
        Expr::Select(sel) => calls_in(&sel.operand, out),
        Expr::Comprehension(c) => {
            for e in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                calls_in(e, out);
            }
        }
        Expr::List(list) => list.elements.iter().for_each(|e| calls_in(e, out)),
        Expr::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(e) = &entry.expr {
                    calls_in(&e.key, out);
                    calls_in(&e.value, out);
                }
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                if let EntryExpr::StructField(f) = &entry.expr {
                    calls_in(&f.value, out);
                }
            }
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
    }
}

/// Whether CEL defines a function of this name (as a member function when `member`). CEL
/// offers no list of its functions, so each name is asked once: calling it without arguments
/// is an undeclared reference only when no function of that name exists (a defined one answers
/// that no overload takes those arguments).
fn defined(name: &str, member: bool) -> bool {
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return true;
    }
    static ASKED: std::sync::OnceLock<std::sync::Mutex<HashMap<(String, bool), bool>>> =
        std::sync::OnceLock::new();
    let asked = ASKED.get_or_init(Default::default);
    let key = (name.to_string(), member);
    if let Some(&known) = asked.lock().ok().as_ref().and_then(|m| m.get(&key)) {
        return known;
    }
    let source = if member {
        format!("null.{name}()")
    } else {
        format!("{name}()")
    };
    // A name the parser reads otherwise (a macro without its arguments) is CEL's own.
    let known = match Program::compile(&source) {
        Ok(program) => !matches!(
            program.execute(&Context::default()),
            Err(cel::ExecutionError::UndeclaredReference(n)) if n.as_str() == name
        ),
        Err(_) => true,
    };
    if let Ok(mut m) = asked.lock() {
        m.insert(key, known);
    }
    known
}

/// What bounds the work of evaluating an expression: how deep its comprehensions (`all`,
/// `exists`, `exists_one`, `map`, `filter`) nest, and the largest list or map written in it.
/// Each nested level runs once per element of its collection, so the work grows as the size
/// of the collections to the power of the depth; CEL itself sets no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Work {
    /// `a.all(x, x.b.all(y, y))` is 2; a comprehension over another's result
    /// (`a.map(x, x).all(y, y)`) does not nest in it.
    pub depth: u32,
    /// Elements of the largest list or map literal.
    pub literal: usize,
}

impl Work {
    /// The work of `expr`.
    pub(crate) fn of(expr: &IdedExpr) -> Work {
        let mut literal = 0;
        let depth = nesting(expr, &mut literal);
        Work { depth, literal }
    }

    /// The larger of two (a condition and its precondition).
    pub(crate) fn max(self, other: Work) -> Work {
        Work {
            depth: self.depth.max(other.depth),
            literal: self.literal.max(other.literal),
        }
    }

    /// An upper bound on the iterations of one evaluation over collections of at most
    /// `largest` elements.
    pub(crate) fn iterations(self, largest: usize) -> u128 {
        let size = largest.max(self.literal).max(1) as u128;
        size.saturating_pow(self.depth)
    }
}

fn deepest<'e>(exprs: impl Iterator<Item = &'e IdedExpr>, literal: &mut usize) -> u32 {
    exprs.map(|e| nesting(e, literal)).max().unwrap_or(0)
}

fn nesting(expr: &IdedExpr, literal: &mut usize) -> u32 {
    match &expr.expr {
        Expr::Comprehension(c) => {
            let body = deepest([&c.loop_cond, &c.loop_step].into_iter(), literal);
            let once = deepest(
                [&c.iter_range, &c.accu_init, &c.result].into_iter(),
                literal,
            );
            (1 + body).max(once)
        }
        Expr::Select(sel) => nesting(&sel.operand, literal),
        Expr::Call(call) => deepest(
            call.target.iter().map(|t| &**t).chain(call.args.iter()),
            literal,
        ),
        Expr::List(list) => {
            *literal = (*literal).max(list.elements.len());
            deepest(list.elements.iter(), literal)
        }
        Expr::Map(map) => {
            *literal = (*literal).max(map.entries.len());
            let parts = map.entries.iter().flat_map(|entry| match &entry.expr {
                EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
                _ => Vec::new(),
            });
            deepest(parts, literal)
        }
        Expr::Struct(s) => {
            let parts = s.entries.iter().filter_map(|entry| match &entry.expr {
                EntryExpr::StructField(f) => Some(&f.value),
                _ => None,
            });
            deepest(parts, literal)
        }
        Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => 0,
    }
}

/// The most elements of any list or map in `value`, however deep.
pub(crate) fn largest_collection(value: &Value) -> usize {
    match value {
        Value::Array(items) => items
            .iter()
            .map(largest_collection)
            .max()
            .unwrap_or(0)
            .max(items.len()),
        Value::Object(map) => map
            .values()
            .map(largest_collection)
            .max()
            .unwrap_or(0)
            .max(map.len()),
        _ => 0,
    }
}

/// A message with `{{ CEL }}` placeholders, compiled once.
#[derive(Debug, Default)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Expr(Program),
}

impl Template {
    /// Compiles a template; the error names the placeholder that does not compile.
    pub fn compile(source: &str) -> Result<(Template, Vec<IdedExpr>), String> {
        let mut parts = Vec::new();
        let mut asts = Vec::new();
        let mut rest = source;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in message {source:?}"))?;
            let expr = after[..end].trim();
            let program = Program::compile(expr)
                .map_err(|e| format!("placeholder `{{{{ {expr} }}}}`: {}", first_error(&e)))?;
            asts.push(program.expression().clone());
            parts.push(Part::Expr(program));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok((Template { parts }, asts))
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Renders with the variables of `ctx`. A placeholder that cannot be evaluated renders
    /// as `?` rather than losing the whole message.
    pub fn render(&self, ctx: &Context<'_, '_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Expr(program) => match program.execute(ctx) {
                    Ok(v) => display(&v, &mut out),
                    Err(_) => out.push('?'),
                },
            }
        }
        out
    }
}

pub(crate) fn first_error(e: &cel::ParseErrors) -> String {
    e.errors
        .first()
        .map(|e| format!("{}:{}: {}", e.pos.0, e.pos.1, e.msg))
        .unwrap_or_else(|| "syntax error".into())
}

/// Human text for a CEL value: strings bare, lists joined, null as `unknown`.
pub(crate) fn display(v: &Cel, out: &mut String) {
    use std::fmt::Write;
    match v {
        Cel::String(s) => out.push_str(s),
        Cel::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Cel::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Cel::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Cel::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Cel::Null => out.push_str("unknown"),
        Cel::List(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                display(item, out);
            }
        }
        Cel::Map(map) => {
            let mut entries: Vec<_> = map.map.iter().collect();
            entries.sort_by_key(|(k, _)| k.to_string());
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{k}: ");
                display(v, out);
            }
            out.push('}');
        }
        other => {
            let _ = write!(out, "{other:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(src: &str) -> Vec<String> {
        let ast = Program::compile(src).unwrap().expression().clone();
        paths(&ast).0.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn finds_the_paths_a_condition_reads() {
        assert_eq!(
            read("resource.facets.log_retention_days >= config.log_retention_days"),
            [
                "resource.facets.log_retention_days",
                "config.log_retention_days"
            ]
        );
        assert_eq!(
            read(r#"has(resource.tags.Owner) && resource.tags["cost-center"] != """#),
            ["resource.tags.Owner", "resource.tags.cost-center"]
        );
        assert_eq!(
            read("resource.facets.containers.all(c, c.privileged == false)"),
            ["resource.facets.containers"]
        );
        assert_eq!(
            read("config.required_tags.all(t, t in resource.tags)"),
            ["resource.tags", "config.required_tags"]
        );
    }

    #[test]
    fn measures_how_deep_comprehensions_nest() {
        let work = |src: &str| Work::of(Program::compile(src).unwrap().expression());
        assert_eq!(work("resource.facets.x == true").depth, 0);
        assert_eq!(
            work("resource.attrs.c.all(c, c.privileged == false)").depth,
            1
        );
        assert_eq!(
            work("resource.attrs.c.all(c, c.ports.exists(p, p == 22))").depth,
            2
        );
        // Over another's result: once, then once per element: not nested.
        assert_eq!(work("resource.attrs.c.map(c, c).all(d, d)").depth, 1);
        let deep = work("[1,2,3].all(a, [1,2].all(b, [1].all(c, [1].all(d, [1].all(e, true)))))");
        assert_eq!(
            deep,
            Work {
                depth: 5,
                literal: 3
            }
        );
        assert_eq!(deep.iterations(10), 100_000);
        assert_eq!(deep.iterations(0), 243);
        assert_eq!(
            Work {
                depth: 40,
                literal: 0
            }
            .iterations(1 << 20),
            u128::MAX
        );
    }

    #[test]
    fn finds_the_largest_collection_in_a_value() {
        let v = serde_json::json!({"a": [1, 2, 3, {"b": [1, 2, 3, 4, 5]}], "c": 1});
        assert_eq!(largest_collection(&v), 5);
        assert_eq!(largest_collection(&serde_json::json!("text")), 0);
    }

    #[test]
    fn reports_foreign_identifiers() {
        let ast = Program::compile("resourse.facets.x && size(y) > 0")
            .unwrap()
            .expression()
            .clone();
        assert_eq!(paths(&ast).1, ["resourse", "y"]);
    }

    #[test]
    fn renders_templates() {
        let (t, _) = Template::compile("bucket {{ name }} keeps {{ days }} days").unwrap();
        let mut ctx = Context::default();
        ctx.add_variable_from_value("name", "logs");
        ctx.add_variable_from_value("days", 7i64);
        assert_eq!(t.render(&ctx), "bucket logs keeps 7 days");
        assert!(Template::compile("{{ unclosed").is_err());
        assert!(Template::compile("{{ a + }}").is_err());
    }

    /// Whether CEL takes `name` with `args` arguments for some types: each argument (and the
    /// target, when `member`) is tried with a value of every type, and a call counts as
    /// accepted unless every try finds no overload. The call is compiled once, over variables.
    fn accepts(name: &str, member: bool, args: usize) -> bool {
        const VALUES: &[&str] = &[
            "null",
            "true",
            "1",
            "1u",
            "1.0",
            "'UTC'",
            "b'a'",
            "[1]",
            "{'a': 1}",
            "timestamp('2026-01-01T00:00:00Z')",
            "duration('1s')",
            "int",
            "optional.of(1)",
        ];
        let values: Vec<Cel> = VALUES
            .iter()
            .map(|v| {
                let program = Program::compile(v).unwrap();
                program.execute(&Context::default()).unwrap()
            })
            .collect();
        let slots = args + usize::from(member);
        let vars: Vec<String> = (0..slots).map(|i| format!("x{i}")).collect();
        let source = if member {
            format!("x0.{name}({})", vars[1..].join(", "))
        } else {
            format!("{name}({})", vars.join(", "))
        };
        let program = Program::compile(&source).unwrap();
        let root = Context::default();
        (0..values.len().pow(slots as u32)).any(|mut i| {
            let mut ctx = root.new_inner_scope();
            for var in &vars {
                ctx.add_variable_from_value(var.as_str(), values[i % values.len()].clone());
                i /= values.len();
            }
            !matches!(
                program.execute(&ctx),
                Err(cel::ExecutionError::NoSuchOverload(_)
                    | cel::ExecutionError::UndeclaredReference(_))
            )
        })
    }

    #[test]
    fn standard_functions_take_what_the_table_says() {
        for &(name, member, counts) in STANDARD {
            // One more argument than the most it takes, and every count below.
            let most = counts.iter().max().copied().unwrap_or(0);
            for args in 0..=most + 1 {
                assert_eq!(
                    accepts(name, member, args),
                    counts.contains(&args),
                    "{name} (member: {member}) with {args} arguments"
                );
            }
        }
    }

    #[test]
    fn calls_are_checked_for_name_style_and_count() {
        let errors = |src: &str| call_errors(Program::compile(src).unwrap().expression());
        assert!(errors("size(a) + a.size() > 0 && a.b.startsWith('x') && a.getHours('UTC') > 1 && a.getHours() > 1").is_empty());
        assert_eq!(
            errors("a.endsWith() || a.endsWith() || matches(a)"),
            [
                "calls `.endsWith()` with 0 arguments; it takes 1 argument",
                "calls `matches()` with 1 argument; it takes 2 arguments",
            ]
        );
        assert_eq!(
            errors("a.getMonth(1, 2)"),
            ["calls `.getMonth()` with 2 arguments; it takes 0 arguments or 1 argument"]
        );
    }
}
