//! Expansion: `count` and `for_each` into instances, and a block body into attributes in the
//! provider's shape (nested blocks as lists of objects, `dynamic` blocks expanded), with the
//! line of every attribute, what each attribute refers to, and which are sensitive.

use std::collections::BTreeMap;
use std::sync::Arc;

use hcl_edit::expr::{Expression, TraversalOperator};
use serde_json::Value as Json;

use super::eval::{Eval, EvalError, MAX_ELEMENTS, STEPS_PER_INSTANCE};
use super::load::{Attr, Body, SourceFile};
use super::value::{Attrs, Value};
use crate::collect::terraform::escape;

/// Resource meta-arguments: not attributes of the resource.
pub(super) const RESOURCE_META: &[&str] = &["count", "for_each", "provider", "depends_on"];
/// Meta-blocks: not nested blocks of the resource.
const META_BLOCKS: &[&str] = &[
    "lifecycle",
    "provisioner",
    "connection",
    "precondition",
    "postcondition",
];

/// How many instances a block has, and their keys.
#[derive(Debug)]
pub(super) enum Expansion {
    Single,
    Count(usize),
    ForEach(Vec<(String, Value)>),
    /// `count` or `for_each` is not known before apply: one representative instance, `[*]`,
    /// with `count.index` or `each.key` and `each.value` unknown. The text says why.
    Unknown {
        by: &'static str,
        why: String,
    },
}

impl Expansion {
    /// (address suffix, `count`/`each` binding) of every instance.
    pub(super) fn instances(&self) -> Vec<(String, Option<(&'static str, Value)>)> {
        match self {
            Expansion::Single => vec![(String::new(), None)],
            Expansion::Count(n) => (0..*n)
                .map(|i| {
                    let mut count = Attrs::new();
                    count.insert("index".into(), Value::Number(i as f64));
                    (format!("[{i}]"), Some(("count", Value::map(count))))
                })
                .collect(),
            Expansion::ForEach(pairs) => pairs
                .iter()
                .map(|(k, v)| {
                    let mut each = Attrs::new();
                    each.insert("key".into(), Value::string(k.as_str()));
                    each.insert("value".into(), v.clone());
                    (
                        format!("[{}]", Json::String(k.clone())),
                        Some(("each", Value::map(each))),
                    )
                })
                .collect(),
            Expansion::Unknown { by, .. } => {
                let mut binding = Attrs::new();
                if *by == "count" {
                    binding.insert("index".into(), Value::unknown());
                } else {
                    binding.insert("key".into(), Value::unknown());
                    binding.insert("value".into(), Value::unknown());
                }
                vec![("[*]".to_string(), Some((*by, Value::map(binding))))]
            }
        }
    }

    /// The value other expressions see for the whole block, from its instances' values.
    pub(super) fn collect(&self, values: Vec<Value>) -> Value {
        match self {
            Expansion::Single => values.into_iter().next().unwrap_or(Value::Null),
            Expansion::Count(_) => Value::list(values),
            Expansion::ForEach(pairs) => {
                Value::map(pairs.iter().map(|(k, _)| k.clone()).zip(values).collect())
            }
            // Which instances exist is not known; the representative's resources are what
            // references to them name.
            Expansion::Unknown { .. } => Value::unknown_of(&values),
        }
    }
}

/// Evaluates `count` / `for_each` of a block. An unknown count or key set is not an error: the
/// block gets one representative instance ([`Expansion::Unknown`]).
pub(super) fn expansion(ev: &mut Eval<'_>, body: &Body) -> Result<Expansion, EvalError> {
    let count = body.attr("count");
    let for_each = body.attr("for_each");
    match (count, for_each) {
        (Some(c), Some(_)) => Err(EvalError {
            offset: Some(c.span.start),
            message: "count and for_each cannot be used together".into(),
        }),
        (Some(c), None) => {
            let v = ev.eval(&c.expr)?;
            let at = |message: String| EvalError {
                offset: Some(c.span.start),
                message,
            };
            if v.is_unknown() {
                return Ok(Expansion::Unknown {
                    by: "count",
                    why: unknown_expansion("count", &c.expr, ev),
                });
            }
            let n = v
                .to_number()
                .ok_or_else(|| at(format!("count must be a number, not {}", v.type_name())))?;
            if n < 0.0 || n.fract() != 0.0 {
                return Err(at(format!(
                    "count must be a whole number of 0 or more, not {n}"
                )));
            }
            if n > MAX_ELEMENTS as f64 {
                return Err(at(format!("count {n} is more than plumb expands")));
            }
            ev.charge(n as u64 * STEPS_PER_INSTANCE)
                .map_err(|e| at(e.message))?;
            Ok(Expansion::Count(n as usize))
        }
        (None, Some(f)) => {
            let expansion = instances_of_for_each(ev, f)?;
            if let Expansion::ForEach(pairs) = &expansion {
                ev.charge(pairs.len() as u64 * STEPS_PER_INSTANCE)
                    .map_err(|e| EvalError {
                        offset: Some(f.span.start),
                        message: e.message,
                    })?;
            }
            Ok(expansion)
        }
        (None, None) => Ok(Expansion::Single),
    }
}

/// The instances `for_each` asks for.
fn instances_of_for_each(ev: &mut Eval<'_>, f: &Attr) -> Result<Expansion, EvalError> {
    let v = ev.eval(&f.expr)?;
    let at = |message: String| EvalError {
        offset: Some(f.span.start),
        message,
    };
    match &v {
        Value::Unknown(_) | Value::Resource(_) => Ok(Expansion::Unknown {
            by: "each",
            why: unknown_expansion("for_each", &f.expr, ev),
        }),
        Value::Map(m) => Ok(Expansion::ForEach(
            m.entries
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )),
        Value::List(l) => {
            let mut keys = Vec::new();
            for item in &l.items {
                match item {
                    Value::String(s) => keys.push(s.to_string()),
                    Value::Unknown(_) | Value::Resource(_) => {
                        return Ok(Expansion::Unknown {
                            by: "each",
                            why: unknown_expansion("for_each", &f.expr, ev),
                        });
                    }
                    other => {
                        return Err(at(format!(
                            "for_each needs a map or a set of strings; this set holds a {}",
                            other.type_name()
                        )));
                    }
                }
            }
            keys.sort();
            keys.dedup();
            Ok(Expansion::ForEach(
                keys.into_iter()
                    .map(|k| {
                        let v = Value::string(k.as_str());
                        (k, v)
                    })
                    .collect(),
            ))
        }
        Value::Null => Err(at("for_each is null".into())),
        other => Err(at(format!(
            "for_each needs a map or a set of strings, not {}",
            other.type_name()
        ))),
    }
}

/// Why a count or for_each is unknown, naming the variables without a value it reads.
fn unknown_expansion(what: &str, expr: &Expression, ev: &Eval<'_>) -> String {
    let mut unset = Vec::new();
    variables_in(expr, &mut |name| {
        if ev
            .scope
            .vars
            .get(name)
            .is_some_and(|v| !v.value.is_wholly_known())
            && !unset.contains(&name.to_string())
        {
            unset.push(name.to_string());
        }
    });
    if unset.is_empty() {
        format!(
            "{what} is not known before apply (it depends on a data source or a computed attribute)"
        )
    } else {
        format!(
            "{what} depends on {}, which {} no value (give {} with --var, a .tfvars file or TF_VAR_{})",
            unset
                .iter()
                .map(|v| format!("var.{v}"))
                .collect::<Vec<_>>()
                .join(", "),
            if unset.len() == 1 { "has" } else { "have" },
            if unset.len() == 1 {
                "it one"
            } else {
                "them values"
            },
            unset[0]
        )
    }
}

/// Calls `f` with the name of every `var.NAME` an expression reads.
pub(super) fn variables_in(expr: &Expression, f: &mut impl FnMut(&str)) {
    super::deps::walk(expr, &mut |root, ops| {
        if root == "var"
            && let Some(TraversalOperator::GetAttr(n)) = ops.first()
        {
            f(n.as_str());
        }
    });
}

/// Whether an expression means the same value wherever it is written in one module
/// instance: not when it reads `count`, `each` or `self`, or calls a function whose result
/// changes from call to call.
fn stable(expr: &Expression) -> bool {
    let mut stable = true;
    super::deps::walk(expr, &mut |root, _| {
        if matches!(root, "count" | "each" | "self") {
            stable = false;
        }
    });
    let text = expr.to_string();
    stable
        && ![
            "uuid(",
            "timestamp(",
            "bcrypt(",
            "plantimestamp(",
            "uuidv4(",
        ]
        .iter()
        .any(|f| text.contains(f))
}

/// What evaluating a body produced besides its values.
#[derive(Debug, Default)]
pub(super) struct Evaluated {
    /// Attribute JSON pointer -> ids of the managed resources it refers to.
    pub refs: BTreeMap<String, Vec<String>>,
    /// JSON pointer -> line of the attribute or block.
    pub lines: BTreeMap<String, u32>,
    /// JSON pointers of attributes computed from sensitive values.
    pub sensitive: Vec<String>,
    /// Attribute JSON pointer -> its expression's text (whitespace collapsed), for top-level
    /// attributes that are unknown as a whole and name no managed resource (`var.name`,
    /// `local.bucket`): two resources of one module instance that write the same such
    /// expression mean the same value, which links a satellite to its parent.
    pub expressions: BTreeMap<String, String>,
    pub errors: Vec<EvalError>,
}

/// Evaluates a body into attribute values. `skip` lists attribute names that are not
/// attributes (meta-arguments).
pub(super) fn eval_body(
    ev: &mut Eval<'_>,
    body: &Body,
    skip: &[&str],
    file: &SourceFile,
    pointer: &mut String,
    out: &mut Evaluated,
) -> Attrs {
    let mut attrs = Attrs::new();
    for attr in &body.attrs {
        if skip.contains(&attr.name.as_str()) {
            continue;
        }
        ev.take_reads();
        ev.take_sensitive();
        let value = match ev.eval(&attr.expr) {
            Ok(v) => v,
            Err(e) => {
                out.errors.push(e);
                Value::unknown()
            }
        };
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape(&attr.name));
        let mut refs: Vec<Arc<str>> = ev.take_reads();
        value.collect_refs(&mut refs);
        if !refs.is_empty() {
            out.refs.insert(
                pointer.clone(),
                refs.iter().map(|r| r.to_string()).collect(),
            );
        } else if value.is_unknown() && pointer.matches('/').count() == 1 && stable(&attr.expr) {
            let text = attr.expr.to_string();
            let words: Vec<&str> = text.split_whitespace().collect();
            out.expressions.insert(pointer.clone(), words.join(" "));
        }
        if ev.take_sensitive() {
            out.sensitive.push(pointer.clone());
        }
        out.lines
            .insert(pointer.clone(), file.line(attr.span.start));
        pointer.truncate(len);
        attrs.insert(attr.name.clone(), value);
    }

    // Nested blocks, static and dynamic, in the order written, per type.
    let mut blocks: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut unknown: Vec<String> = Vec::new();
    for block in &body.blocks {
        if META_BLOCKS.contains(&block.kind.as_str()) {
            continue;
        }
        if block.kind == "dynamic" {
            let Some(kind) = block.labels.first() else {
                continue;
            };
            dynamic(
                ev,
                block,
                kind,
                file,
                pointer,
                out,
                &mut blocks,
                &mut unknown,
            );
            continue;
        }
        let list = blocks.entry(block.kind.clone()).or_default();
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape(&block.kind));
        pointer.push('/');
        pointer.push_str(&list.len().to_string());
        out.lines
            .insert(pointer.clone(), file.line(block.span.start));
        let inner = eval_body(ev, &block.body, &[], file, pointer, out);
        pointer.truncate(len);
        list.push(Value::map(inner));
    }
    // A dynamic block over an unknown collection: that block type is unknown as a whole.
    for kind in &unknown {
        attrs.insert(kind.clone(), Value::unknown());
    }
    for (kind, list) in blocks {
        if !unknown.contains(&kind) && !attrs.contains_key(&kind) {
            attrs.insert(kind, Value::list(list));
        }
    }
    attrs
}

#[allow(clippy::too_many_arguments)]
fn dynamic(
    ev: &mut Eval<'_>,
    block: &super::load::Block,
    kind: &str,
    file: &SourceFile,
    pointer: &mut String,
    out: &mut Evaluated,
    blocks: &mut BTreeMap<String, Vec<Value>>,
    unknown: &mut Vec<String>,
) {
    let Some(for_each) = block.body.attr("for_each") else {
        out.errors.push(EvalError {
            offset: Some(block.span.start),
            message: format!("dynamic \"{kind}\" needs for_each"),
        });
        return;
    };
    let iterator = match block.body.attr("iterator").map(|a| &a.expr) {
        Some(Expression::Variable(v)) => v.as_str().to_string(),
        Some(_) => {
            out.errors.push(EvalError {
                offset: Some(block.span.start),
                message: "a dynamic block's iterator must be a name".into(),
            });
            return;
        }
        None => kind.to_string(),
    };
    let Some(content) = block.body.blocks("content").next() else {
        out.errors.push(EvalError {
            offset: Some(block.span.start),
            message: format!("dynamic \"{kind}\" needs a content block"),
        });
        return;
    };
    let collection = match ev.eval(&for_each.expr) {
        Ok(v) => v,
        Err(e) => {
            out.errors.push(e);
            Value::unknown()
        }
    };
    let pairs: Vec<(Value, Value)> = match &collection {
        Value::List(l) => l
            .items
            .iter()
            .enumerate()
            .map(|(i, v)| (Value::Number(i as f64), v.clone()))
            .collect(),
        Value::Map(m) => m
            .entries
            .iter()
            .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
            .collect(),
        Value::Null => Vec::new(),
        Value::Unknown(_) | Value::Resource(_) => {
            if !unknown.iter().any(|k| k == kind) {
                unknown.push(kind.to_string());
            }
            return;
        }
        other => {
            out.errors.push(EvalError {
                offset: Some(for_each.span.start),
                message: format!(
                    "a dynamic block's for_each needs a list, set or map, not {}",
                    other.type_name()
                ),
            });
            return;
        }
    };
    let list = blocks.entry(kind.to_string()).or_default();
    for (k, v) in pairs {
        if let Err(e) = ev.charge(1) {
            out.errors.push(e);
            break;
        }
        let mut it = Attrs::new();
        it.insert("key".into(), k);
        it.insert("value".into(), v);
        ev.bind(iterator.as_str(), Value::map(it));
        let len = pointer.len();
        pointer.push('/');
        pointer.push_str(&escape(kind));
        pointer.push('/');
        pointer.push_str(&list.len().to_string());
        out.lines
            .insert(pointer.clone(), file.line(content.span.start));
        let inner = eval_body(ev, &content.body, &[], file, pointer, out);
        pointer.truncate(len);
        ev.unbind();
        list.push(Value::map(inner));
    }
}
