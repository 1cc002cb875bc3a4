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
pub fn paths(expr: &IdedExpr) -> (Vec<Path>, Vec<String>) {
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

/// The functions an expression calls that CEL does not define (`startWith` for `startsWith`),
/// each once, in name order: such a call is an error every time it is reached, so a policy
/// holding one is refused when it loads rather than reported as failing to evaluate later.
pub fn unknown_functions(expr: &IdedExpr) -> Vec<String> {
    let mut calls = Vec::new();
    calls_in(expr, &mut calls);
    let mut out: Vec<String> = calls
        .into_iter()
        .filter(|(name, member)| !defined(name, *member))
        .map(|(name, _)| name.to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Every call in `expr`: the function's name, and whether it is called on a target
/// (`a.startsWith(b)`). Operators (`_&&_`, `@in`, `!_`) are calls too.
fn calls_in<'e>(expr: &'e IdedExpr, out: &mut Vec<(&'e str, bool)>) {
    match &expr.expr {
        Expr::Call(call) => {
            out.push((call.func_name.as_str(), call.target.is_some()));
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
pub struct Work {
    /// `a.all(x, x.b.all(y, y))` is 2; a comprehension over another's result
    /// (`a.map(x, x).all(y, y)`) does not nest in it.
    pub depth: u32,
    /// Elements of the largest list or map literal.
    pub literal: usize,
}

impl Work {
    /// The work of `expr`.
    pub fn of(expr: &IdedExpr) -> Work {
        let mut literal = 0;
        let depth = nesting(expr, &mut literal);
        Work { depth, literal }
    }

    /// The larger of two (a condition and its precondition).
    pub fn max(self, other: Work) -> Work {
        Work {
            depth: self.depth.max(other.depth),
            literal: self.literal.max(other.literal),
        }
    }

    /// An upper bound on the iterations of one evaluation over collections of at most
    /// `largest` elements.
    pub fn iterations(self, largest: usize) -> u128 {
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
pub fn largest_collection(value: &Value) -> usize {
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
pub fn display(v: &Cel, out: &mut String) {
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
}
