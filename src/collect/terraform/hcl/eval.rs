//! The expression evaluator: Terraform's semantics over `hcl-edit` expressions.
//!
//! Why not `hcl::eval`: Terraform evaluates with *unknown* values, and a scanner must too. An
//! unknown must propagate through operators, templates and functions, stay distinct from an
//! error (so that `try` and `can` behave as in Terraform), be able to sit inside a known list or
//! object (`tags = { Owner = var.owner }`), and remember which resource it came from.
//! `hcl::eval` has no unknown value, evaluates every function argument eagerly (so `try` cannot
//! be written), and clones a variable's whole value on every reference. This evaluator works
//! on the spanned `hcl-edit` tree directly, so errors point at a line and column.
//!
//! While evaluating one attribute the evaluator records which managed resource instances were
//! read (`aws_s3_bucket.this[0].id` reads that instance): the attribute's `references`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use hcl_edit::expr::{
    BinaryOperator, Expression, ForExpr, FuncCall, ObjectKey, Traversal, TraversalOperator,
    UnaryOperator,
};
use hcl_edit::template::{Directive, Element, Strip, Template};

use super::error::string_fits;
pub(super) use super::error::{EvalError, MAX_ELEMENTS, Result};
pub(super) use super::files::Files;
use super::funcs;
use super::value::{Attrs, MAX_DEPTH, Value};
use crate::redact::is_secret_name;

/// A named value (variable, local, output) and whether it is sensitive.
#[derive(Debug, Clone)]
pub struct Named {
    pub value: Value,
    pub sensitive: bool,
}

/// A module call as the calling module sees it: its outputs (per instance).
#[derive(Debug, Clone)]
pub(super) struct ModuleEntry {
    pub value: Value,
    pub sensitive_outputs: HashSet<String>,
}

/// How much evaluation one root module may do: expressions evaluated and elements built.
/// Generous for any real configuration; it stops a configuration that would otherwise run
/// for hours or exhaust memory (nested `for` over huge `range`s, counts of millions).
pub(super) const STEPS: u64 = 20_000_000;

/// Bytes of a built string that cost one evaluation step: the budget bounds the strings a root
/// module builds to about 1.3 GB in all.
const STRING_BYTES_PER_STEP: u64 = 64;

/// Steps each instance of a `count` or `for_each` block costs when it is expanded, besides the
/// evaluation of its body: the budget allows some 400,000 instances per root module, each a
/// resource kept in memory until the scan ends.
pub(super) const STEPS_PER_INSTANCE: u64 = 50;

/// The evaluation budget of a root module, shared by all its module instances.
#[derive(Debug)]
pub(super) struct Budget {
    remaining: std::sync::atomic::AtomicI64,
}

impl Budget {
    pub(super) fn new(steps: u64) -> Self {
        Budget {
            remaining: std::sync::atomic::AtomicI64::new(steps.min(i64::MAX as u64) as i64),
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(STEPS)
    }
}

/// Everything the expressions of one module instance can refer to.
#[derive(Debug, Default)]
pub(super) struct Scope {
    pub vars: HashMap<String, Named>,
    pub locals: HashMap<String, Named>,
    /// Managed resources: type -> name -> an instance, or a list or map of instances.
    pub resources: HashMap<String, HashMap<String, Value>>,
    /// Data sources: type -> name -> value (unknown, unless the provider computes it from its
    /// arguments alone, see [`super::data`]).
    pub data: HashMap<String, HashMap<String, Value>>,
    pub modules: HashMap<String, ModuleEntry>,
    /// `path.module` and `path.root`, relative to the root module's directory.
    pub path_module: String,
    pub path_root: String,
    /// `path.cwd`: the root module's directory, absolute.
    pub path_cwd: String,
    pub files: Files,
    pub budget: Arc<Budget>,
    /// Some file of the module did not parse: what it declared is missing, and references to
    /// it are unknown rather than errors of their own (the syntax error is reported).
    pub incomplete: bool,
}

/// Evaluates expressions in a scope, with local bindings (`count`, `each`, `for` variables,
/// dynamic block iterators).
pub(super) struct Eval<'s> {
    pub scope: &'s Scope,
    bindings: Vec<(String, Value)>,
    /// Resource ids read since the last [`Eval::take_reads`].
    reads: Vec<Arc<str>>,
    /// Whether a sensitive value was read since the last [`Eval::take_sensitive`].
    sensitive: bool,
}

/// Evaluates an expression that may not refer to anything (a variable default, a tfvars value).
pub(super) fn constant(expr: &Expression) -> Result<Value> {
    let scope = Scope::default();
    Eval::new(&scope).eval(expr)
}

impl<'s> Eval<'s> {
    pub(super) fn new(scope: &'s Scope) -> Self {
        Eval {
            scope,
            bindings: Vec::new(),
            reads: Vec::new(),
            sensitive: false,
        }
    }

    pub(super) fn bind(&mut self, name: impl Into<String>, value: Value) {
        self.bindings.push((name.into(), value));
    }

    pub(super) fn unbind(&mut self) {
        self.bindings.pop();
    }

    pub(super) fn take_reads(&mut self) -> Vec<Arc<str>> {
        std::mem::take(&mut self.reads)
    }

    pub(super) fn take_sensitive(&mut self) -> bool {
        std::mem::replace(&mut self.sensitive, false)
    }

    pub(super) fn mark_sensitive(&mut self) {
        self.sensitive = true;
    }

    fn record(&mut self, id: &Arc<str>) {
        if !self.reads.contains(id) {
            self.reads.push(id.clone());
        }
    }

    /// Uses `n` steps of the root module's evaluation budget. The first evaluation past the
    /// budget is an error; every later one is unknown, so the problem is reported once.
    pub(super) fn charge(&mut self, n: u64) -> Result<()> {
        use std::sync::atomic::Ordering;
        let n = n.min(i64::MAX as u64) as i64;
        let before = self.scope.budget.remaining.fetch_sub(n, Ordering::Relaxed);
        if before >= 0 && before - n < 0 {
            return Err(EvalError::new(format!(
                "evaluation stopped: this root module needs more than {STEPS} evaluation steps (a for expression, count or function over a huge collection); what is left is unknown"
            )));
        }
        if before < 0 {
            return Err(EvalError {
                offset: None,
                message: String::new(),
            });
        }
        Ok(())
    }

    /// Whether the evaluation budget is spent.
    pub(super) fn exhausted(&self) -> bool {
        self.scope
            .budget
            .remaining
            .load(std::sync::atomic::Ordering::Relaxed)
            < 0
    }

    /// Evaluates an expression.
    pub(super) fn eval(&mut self, expr: &Expression) -> Result<Value> {
        self.charge(1).map_err(|e| e.at(expr))?;
        let v = self.eval_inner(expr).map_err(|e| e.at(expr))?;
        // Long strings are charged by their size, so the strings a root module builds are
        // bounded in total as well as one by one.
        if let Value::String(text) = &v
            && text.len() > 1024
        {
            string_fits(text.len()).map_err(|e| e.at(expr))?;
            self.charge(text.len() as u64 / STRING_BYTES_PER_STEP)
                .map_err(|e| e.at(expr))?;
        }
        if v.depth() > MAX_DEPTH {
            return Err(
                EvalError::new(format!("value nested more than {MAX_DEPTH} levels deep")).at(expr),
            );
        }
        Ok(v)
    }

    fn eval_inner(&mut self, expr: &Expression) -> Result<Value> {
        Ok(match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => Value::Number(n.value().as_f64().unwrap_or(0.0)),
            Expression::String(s) => Value::string(s.value().as_str()),
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items.iter() {
                    out.push(self.eval(item)?);
                }
                Value::list(out)
            }
            Expression::Object(obj) => {
                let mut out = Attrs::new();
                let mut unknown_key = None;
                for (key, value) in obj.iter() {
                    let k = match key {
                        ObjectKey::Ident(i) => super::keys::original_key(i.as_str()).to_string(),
                        ObjectKey::Expression(e) => match self.eval(e)? {
                            v @ Value::Unknown(_) => {
                                unknown_key = Some(v);
                                continue;
                            }
                            v => v
                                .to_text()
                                .map(|k| super::keys::original_key(&k).to_string())
                                .ok_or_else(|| {
                                    EvalError::new(format!(
                                        "an object key must be a string, not {}",
                                        v.type_name()
                                    ))
                                    .at(e)
                                })?,
                        },
                    };
                    let v = self.eval(value.expr())?;
                    out.insert(k, v);
                }
                // A key known only after apply makes the whole object unknown.
                match unknown_key {
                    Some(u) => u,
                    None => Value::map(out),
                }
            }
            Expression::StringTemplate(t) => self.template(t, true)?,
            Expression::HeredocTemplate(h) => self.template(&h.template, true)?,
            Expression::Parenthesis(p) => self.eval(p.inner())?,
            Expression::Variable(v) => self.root(v.as_str(), &[])?.0,
            Expression::Traversal(t) => self.traversal(t)?,
            Expression::FuncCall(call) => self.call(call)?,
            Expression::Conditional(c) => {
                let cond = self.eval(&c.cond_expr)?;
                match cond {
                    Value::Unknown(_) => cond,
                    _ => match cond.to_bool() {
                        Some(true) => self.eval(&c.true_expr)?,
                        Some(false) => self.eval(&c.false_expr)?,
                        None => {
                            return Err(EvalError::new(format!(
                                "the condition must be a bool, not {}",
                                cond.type_name()
                            ))
                            .at(&c.cond_expr));
                        }
                    },
                }
            }
            Expression::UnaryOp(op) => {
                let v = self.eval(&op.expr)?;
                if v.is_unknown() {
                    return Ok(v);
                }
                match op.operator.value() {
                    UnaryOperator::Not => Value::Bool(!v.to_bool().ok_or_else(|| {
                        EvalError::new(format!("`!` needs a bool, not {}", v.type_name()))
                    })?),
                    UnaryOperator::Neg => Value::Number(-v.to_number().ok_or_else(|| {
                        EvalError::new(format!("`-` needs a number, not {}", v.type_name()))
                    })?),
                }
            }
            Expression::BinaryOp(op) => {
                let lhs = self.eval(&op.lhs_expr)?;
                let rhs = self.eval(&op.rhs_expr)?;
                binary(*op.operator.value(), lhs, rhs)?
            }
            Expression::ForExpr(f) => self.for_expr(f)?,
        })
    }

    // ------------------------------------------------------------ references

    fn traversal(&mut self, t: &Traversal) -> Result<Value> {
        let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
        let (value, consumed) = match &t.expr {
            Expression::Variable(v) => self.root(v.as_str(), &ops)?,
            other => (self.eval(other)?, 0),
        };
        // Attributes a data source computes but the scan does not are unknown, not errors.
        let data = matches!(&t.expr, Expression::Variable(v) if v.as_str() == "data");
        let lenient = data || matches!(value, Value::Resource(_));
        self.apply(value, &ops[consumed..], lenient)
    }

    /// Resolves the start of a reference: returns its value and how many operators it used.
    fn root(&mut self, name: &str, ops: &[&TraversalOperator]) -> Result<(Value, usize)> {
        match self.resolve_root(name, ops) {
            Err(e) if self.scope.incomplete && e.message.starts_with("reference to undeclared") => {
                Ok((Value::unknown(), ops.len()))
            }
            other => other,
        }
    }

    fn resolve_root(&mut self, name: &str, ops: &[&TraversalOperator]) -> Result<(Value, usize)> {
        if let Some((_, v)) = self.bindings.iter().rev().find(|(n, _)| n == name) {
            return Ok((v.clone(), 0));
        }
        let attr = |i: usize| match ops.get(i) {
            Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
            _ => None,
        };
        let scope = self.scope;
        match name {
            "var" => {
                let n = attr(0)
                    .ok_or_else(|| EvalError::new("`var` must be followed by a variable name"))?;
                let named = scope.vars.get(n).ok_or_else(|| {
                    EvalError::new(format!("reference to undeclared input variable `var.{n}`"))
                })?;
                self.sensitive |= named.sensitive;
                Ok((named.value.clone(), 1))
            }
            "local" => {
                let n = attr(0)
                    .ok_or_else(|| EvalError::new("`local` must be followed by a local name"))?;
                let named = scope.locals.get(n).ok_or_else(|| {
                    EvalError::new(format!("reference to undeclared local value `local.{n}`"))
                })?;
                self.sensitive |= named.sensitive;
                Ok((named.value.clone(), 1))
            }
            "module" => {
                let n = attr(0)
                    .ok_or_else(|| EvalError::new("`module` must be followed by a module name"))?;
                let entry = scope.modules.get(n).ok_or_else(|| {
                    EvalError::new(format!("reference to undeclared module call `module.{n}`"))
                })?;
                let output = match ops.get(1) {
                    Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)) => {
                        attr(2)
                    }
                    _ => attr(1),
                };
                if output.is_some_and(|o| entry.sensitive_outputs.contains(o)) {
                    self.sensitive = true;
                }
                Ok((entry.value.clone(), 1))
            }
            "data" => {
                let (Some(kind), Some(n)) = (attr(0), attr(1)) else {
                    return Err(EvalError::new(
                        "`data` must be followed by a data source type and name",
                    ));
                };
                match scope.data.get(kind).and_then(|names| names.get(n)) {
                    // Read from the provider at plan time: unknown to a scan.
                    Some(Value::Unknown(_)) => Ok((Value::unknown(), ops.len())),
                    Some(v) => Ok((v.clone(), 2)),
                    None => Err(EvalError::new(format!(
                        "reference to undeclared data source `data.{kind}.{n}`"
                    ))),
                }
            }
            "path" => match attr(0) {
                Some("module") => Ok((Value::string(scope.path_module.as_str()), 1)),
                Some("root") => Ok((Value::string(scope.path_root.as_str()), 1)),
                // Terraform's working directory, as an absolute path: the root module's.
                Some("cwd") => Ok((Value::string(scope.path_cwd.as_str()), 1)),
                _ => Err(EvalError::new("`path` has module, root and cwd")),
            },
            "terraform" => match attr(0) {
                Some("workspace") => Ok((Value::string("default"), 1)),
                _ => Ok((Value::unknown(), ops.len())),
            },
            "count" | "each" => Err(EvalError::new(format!(
                "`{name}` is only available in a block that sets {}",
                if name == "count" { "count" } else { "for_each" }
            ))),
            "self" => Ok((Value::unknown(), ops.len())),
            // `resource.aws_s3_bucket.b`: the long form of `aws_s3_bucket.b` (Terraform 1.x
            // accepts it so that a resource type may share a name with a reserved word).
            "resource" if attr(0).is_some_and(|k| scope.resources.contains_key(k)) => {
                let kind = attr(0).unwrap_or_default();
                let (v, used) = self.resolve_root(kind, &ops[1..])?;
                Ok((v, used + 1))
            }
            kind => {
                let Some(by_name) = scope.resources.get(kind) else {
                    return Err(EvalError::new(format!(
                        "reference to undeclared name `{kind}`: not a resource type of this module, nor var, local, module, data, path, count or each"
                    )));
                };
                let n = attr(0).ok_or_else(|| {
                    EvalError::new(format!(
                        "a reference to a resource type must name the resource: `{kind}.NAME`"
                    ))
                })?;
                let v = by_name.get(n).ok_or_else(|| {
                    EvalError::new(format!("reference to undeclared resource `{kind}.{n}`"))
                })?;
                Ok((v.clone(), 1))
            }
        }
    }

    /// Applies traversal operators. `lenient` once a resource was entered: attributes its
    /// author did not write are computed by the provider, so they are unknown, not errors.
    fn apply(
        &mut self,
        mut value: Value,
        ops: &[&TraversalOperator],
        mut lenient: bool,
    ) -> Result<Value> {
        let mut i = 0;
        while i < ops.len() {
            match ops[i] {
                TraversalOperator::GetAttr(name) => {
                    value = self.get_attr(value, name.as_str(), &mut lenient)?;
                }
                TraversalOperator::Index(e) => {
                    let key = self.eval(e)?;
                    value = self.index(value, key, &mut lenient)?;
                }
                TraversalOperator::LegacyIndex(n) => {
                    value = self.index(value, Value::Number(*n.value() as f64), &mut lenient)?;
                }
                TraversalOperator::AttrSplat(_) => {
                    let end = ops[i + 1..]
                        .iter()
                        .position(|o| {
                            !matches!(
                                o,
                                TraversalOperator::GetAttr(_) | TraversalOperator::LegacyIndex(_)
                            )
                        })
                        .map_or(ops.len(), |p| i + 1 + p);
                    value = self.splat(value, &ops[i + 1..end], lenient)?;
                    i = end;
                    continue;
                }
                TraversalOperator::FullSplat(_) => {
                    return self.splat(value, &ops[i + 1..], lenient);
                }
            }
            i += 1;
        }
        Ok(value)
    }

    fn splat(&mut self, value: Value, ops: &[&TraversalOperator], lenient: bool) -> Result<Value> {
        match value {
            Value::Unknown(_) => Ok(value),
            Value::Null => Ok(Value::list(Vec::new())),
            Value::List(l) => {
                let mut out = Vec::with_capacity(l.items.len());
                for item in &l.items {
                    let lenient = lenient || matches!(item, Value::Resource(_));
                    out.push(self.apply(item.clone(), ops, lenient)?);
                }
                Ok(Value::list(out))
            }
            other => {
                let lenient = lenient || matches!(other, Value::Resource(_));
                Ok(Value::list(vec![self.apply(other, ops, lenient)?]))
            }
        }
    }

    fn get_attr(&mut self, value: Value, name: &str, lenient: &mut bool) -> Result<Value> {
        match value {
            Value::Resource(inst) => {
                self.record(&inst.id);
                *lenient = true;
                if is_secret_name(name) {
                    self.sensitive = true;
                }
                // An attribute written as null is the provider's to compute when it is
                // computed as well as optional; without the provider's schema, unknown is the
                // reading that is never wrong.
                Ok(match inst.attrs.get(name) {
                    Some(Value::Unknown(None) | Value::Null) | None => {
                        Value::unknown_from(vec![inst.id.clone()])
                    }
                    Some(v) => v.clone(),
                })
            }
            Value::Map(m) => match m.entries.get(name) {
                Some(v) => Ok(v.clone()),
                None if *lenient => Ok(Value::unknown()),
                None => Err(EvalError::new(format!(
                    "this object has no attribute `{name}`{}",
                    suggest(m.entries.keys(), name)
                ))),
            },
            Value::Unknown(_) => Ok(value),
            Value::Null if *lenient => Ok(Value::unknown()),
            Value::Null => Err(EvalError::new(format!(
                "cannot read attribute `{name}` of a null value"
            ))),
            Value::List(_) => Err(EvalError::new(format!(
                "cannot read attribute `{name}` of a list: use an index (`[0].{name}`) or a splat (`[*].{name}`)"
            ))),
            other => Err(EvalError::new(format!(
                "cannot read attribute `{name}` of a {}",
                other.type_name()
            ))),
        }
    }

    fn index(&mut self, value: Value, key: Value, lenient: &mut bool) -> Result<Value> {
        if key.is_unknown() {
            return Ok(Value::unknown_of([&key, &value]));
        }
        match value {
            Value::Unknown(_) => Ok(value),
            Value::List(l) => {
                let n = key.to_number().ok_or_else(|| {
                    EvalError::new(format!(
                        "a list index must be a number, not {}",
                        key.type_name()
                    ))
                })?;
                if n < 0.0 || n.fract() != 0.0 {
                    return Err(EvalError::new(format!("invalid list index {n}")));
                }
                match l.items.get(n as usize) {
                    Some(v) => Ok(v.clone()),
                    None if *lenient => Ok(Value::unknown()),
                    None => Err(EvalError::new(format!(
                        "index {n} is out of range for a list of {} elements",
                        l.items.len()
                    ))),
                }
            }
            Value::Map(m) => {
                let k = key.to_text().ok_or_else(|| {
                    EvalError::new(format!(
                        "a map key must be a string, not {}",
                        key.type_name()
                    ))
                })?;
                match m.entries.get(&k) {
                    Some(v) => Ok(v.clone()),
                    None if *lenient => Ok(Value::unknown()),
                    None => Err(EvalError::new(format!(
                        "no element with key {k:?}{}",
                        suggest(m.entries.keys(), &k)
                    ))),
                }
            }
            Value::Resource(_) => {
                let k = key.to_text().unwrap_or_default();
                self.get_attr(value, &k, lenient)
            }
            Value::Null if *lenient => Ok(Value::unknown()),
            other => Err(EvalError::new(format!(
                "cannot index a {}",
                other.type_name()
            ))),
        }
    }

    // ------------------------------------------------------------ templates

    fn template(&mut self, t: &Template, unwrap: bool) -> Result<Value> {
        // `"${x}"` alone is x itself, not x converted to a string.
        if unwrap && let Some(Element::Interpolation(i)) = t.as_single_element() {
            return self.eval(&i.expr);
        }
        let mut out = String::new();
        match self.render(t, false, false, &mut out)? {
            Some(unknown) => Ok(unknown),
            None => Ok(Value::string(out)),
        }
    }

    /// Renders a template into `out`; returns an unknown when part of it is unknown.
    /// `trim_start` / `trim_end`: strip markers of the directive around this template.
    fn render(
        &mut self,
        t: &Template,
        trim_start: bool,
        trim_end: bool,
        out: &mut String,
    ) -> Result<Option<Value>> {
        let elements: Vec<&Element> = t.iter().collect();
        let mut unknown: Option<Value> = None;
        for (i, element) in elements.iter().enumerate() {
            string_fits(out.len())?;
            match element {
                Element::Literal(text) => {
                    let mut s: &str = text.as_str();
                    let strip_before = if i == 0 {
                        trim_start
                    } else {
                        strip_of(elements[i - 1]).1
                    };
                    let strip_after = match elements.get(i + 1) {
                        Some(next) => strip_of(next).0,
                        None => trim_end,
                    };
                    if strip_before {
                        s = s.trim_start();
                    }
                    if strip_after {
                        s = s.trim_end();
                    }
                    out.push_str(s);
                }
                Element::Interpolation(interp) => {
                    let v = self.eval(&interp.expr)?;
                    match v {
                        Value::Unknown(_) => merge_unknown(&mut unknown, &v),
                        Value::Null => {
                            return Err(EvalError::new(
                                "a template cannot interpolate a null value",
                            )
                            .at(&interp.expr));
                        }
                        ref other => match other.to_text() {
                            Some(s) => out.push_str(&s),
                            None if !other.is_wholly_known() => merge_unknown(&mut unknown, other),
                            None => {
                                return Err(EvalError::new(format!(
                                    "a template cannot interpolate a {}",
                                    other.type_name()
                                ))
                                .at(&interp.expr));
                            }
                        },
                    }
                }
                Element::Directive(directive) => match directive.as_ref() {
                    Directive::If(d) => {
                        let cond = self.eval(&d.if_expr.cond_expr)?;
                        if cond.is_unknown() {
                            merge_unknown(&mut unknown, &cond);
                            continue;
                        }
                        let c = cond.to_bool().ok_or_else(|| {
                            EvalError::new(format!(
                                "an if directive needs a bool, not {}",
                                cond.type_name()
                            ))
                            .at(&d.if_expr.cond_expr)
                        })?;
                        let after_if = d.if_expr.strip.strip_end();
                        let endif_start = d.endif_expr.strip.strip_start();
                        let part = if c {
                            let end = match &d.else_expr {
                                Some(e) => e.strip.strip_start(),
                                None => endif_start,
                            };
                            self.render(&d.if_expr.template, after_if, end, out)?
                        } else if let Some(e) = &d.else_expr {
                            self.render(&e.template, e.strip.strip_end(), endif_start, out)?
                        } else {
                            None
                        };
                        if let Some(u) = part {
                            merge_unknown(&mut unknown, &u);
                        }
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        let collection = self.eval(&f.collection_expr)?;
                        let pairs = match pairs_of(&collection) {
                            Some(p) => p,
                            None if collection.is_unknown() => {
                                merge_unknown(&mut unknown, &collection);
                                continue;
                            }
                            None => {
                                return Err(EvalError::new(format!(
                                    "a for directive needs a list or map, not {}",
                                    collection.type_name()
                                ))
                                .at(&f.collection_expr));
                            }
                        };
                        let (start, end) = (f.strip.strip_end(), d.endfor_expr.strip.strip_start());
                        for (k, v) in pairs {
                            let bound = self.bind_pair(
                                f.key_var.as_deref().map(|i| i.as_str()),
                                f.value_var.as_str(),
                                k,
                                v,
                            );
                            let part = self.render(&f.template, start, end, out);
                            for _ in 0..bound {
                                self.unbind();
                            }
                            if let Some(u) = part? {
                                merge_unknown(&mut unknown, &u);
                            }
                        }
                    }
                },
            }
        }
        Ok(unknown)
    }

    fn bind_pair(&mut self, key_var: Option<&str>, value_var: &str, k: Value, v: Value) -> usize {
        let mut n = 0;
        if let Some(kv) = key_var {
            self.bind(kv, k);
            n += 1;
        }
        self.bind(value_var, v);
        n + 1
    }

    // ------------------------------------------------------------ for expressions

    fn for_expr(&mut self, f: &ForExpr) -> Result<Value> {
        let collection = self.eval(&f.intro.collection_expr)?;
        let pairs = match pairs_of(&collection) {
            Some(p) => p,
            None if collection.is_unknown() => return Ok(collection),
            None => {
                return Err(EvalError::new(format!(
                    "a for expression needs a list, set or map, not {}",
                    collection.type_name()
                ))
                .at(&f.intro.collection_expr));
            }
        };
        let key_var = f.intro.key_var.as_deref().map(|i| i.as_str().to_string());
        let value_var = f.intro.value_var.as_str().to_string();
        let mut list = Vec::new();
        let mut map = Attrs::new();
        let mut grouped: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
        let mut unknown: Option<Value> = None;
        for (k, v) in pairs {
            let bound = self.bind_pair(key_var.as_deref(), &value_var, k, v);
            let step = self.for_step(f);
            for _ in 0..bound {
                self.unbind();
            }
            match step? {
                Step::Skip => {}
                Step::Unknown(u) => merge_unknown(&mut unknown, &u),
                Step::Item(v) => list.push(v),
                Step::Entry(k, v) => {
                    if f.grouping {
                        grouped.entry(k).or_default().push(v);
                    } else if map.insert(k.clone(), v).is_some() {
                        return Err(EvalError::new(format!(
                            "duplicate key {k:?} in a for expression: add `...` after the value to group them"
                        ))
                        .at(&f.value_expr));
                    }
                }
            }
            if list.len() + map.len() + grouped.len() > MAX_ELEMENTS {
                return Err(EvalError::new("a for expression builds too many elements"));
            }
        }
        if let Some(u) = unknown {
            return Ok(u);
        }
        Ok(if f.key_expr.is_none() {
            Value::list(list)
        } else if f.grouping {
            Value::map(
                grouped
                    .into_iter()
                    .map(|(k, v)| (k, Value::list(v)))
                    .collect(),
            )
        } else {
            Value::map(map)
        })
    }

    fn for_step(&mut self, f: &ForExpr) -> Result<Step> {
        if let Some(cond) = &f.cond {
            let c = self.eval(&cond.expr)?;
            match c {
                Value::Unknown(_) => return Ok(Step::Unknown(c)),
                _ => match c.to_bool() {
                    Some(true) => {}
                    Some(false) => return Ok(Step::Skip),
                    None => {
                        return Err(EvalError::new(format!(
                            "a for condition must be a bool, not {}",
                            c.type_name()
                        ))
                        .at(&cond.expr));
                    }
                },
            }
        }
        let value = self.eval(&f.value_expr)?;
        match &f.key_expr {
            None => Ok(Step::Item(value)),
            Some(key_expr) => {
                let key = self.eval(key_expr)?;
                if key.is_unknown() {
                    return Ok(Step::Unknown(key));
                }
                let k = key.to_text().ok_or_else(|| {
                    EvalError::new(format!("a key must be a string, not {}", key.type_name()))
                        .at(key_expr)
                })?;
                Ok(Step::Entry(k, value))
            }
        }
    }

    // ------------------------------------------------------------ functions

    fn call(&mut self, call: &FuncCall) -> Result<Value> {
        let namespace: Vec<&str> = call.name.namespace.iter().map(|n| n.as_str()).collect();
        let name = call.name.name.as_str();
        match namespace.as_slice() {
            [] | ["core"] => {}
            // Provider-defined functions run inside the provider: unknown to a scan.
            _ => return Ok(Value::unknown()),
        }
        match name {
            "try" => {
                funcs::resolve(name)?.check_arity(call.args.len())?;
                let mut last = None;
                for arg in call.args.iter() {
                    match self.eval(arg) {
                        Ok(v) if v.is_wholly_known() => return Ok(v),
                        Ok(v) => return Ok(Value::unknown_of([&v])),
                        Err(e) if self.exhausted() => return Err(e),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(last
                    .unwrap_or_else(|| EvalError::new("try needs at least one argument"))
                    .map_message(|m| {
                        format!("no argument of try succeeded; the last failed with: {m}")
                    }));
            }
            "can" => {
                funcs::resolve(name)?.check_arity(call.args.len())?;
                let Some(arg) = call.args.iter().next() else {
                    return Err(EvalError::new("can takes one argument"));
                };
                return match self.eval(arg) {
                    Ok(v) if v.is_wholly_known() => Ok(Value::Bool(true)),
                    Ok(v) => Ok(Value::unknown_of([&v])),
                    Err(e) if self.exhausted() => Err(e),
                    Err(_) => Ok(Value::Bool(false)),
                };
            }
            // What the argument reads does not make the result sensitive: nonsensitive drops
            // it, issensitive reports it (reading the flag).
            "nonsensitive" | "issensitive" => {
                let before = self.take_sensitive();
                let args = self.args(call);
                let result = args.and_then(|args| funcs::call(name, args, self));
                self.sensitive = before;
                return result;
            }
            _ => {}
        }
        let args = self.args(call)?;
        funcs::call(name, args, self)
    }

    fn args(&mut self, call: &FuncCall) -> Result<Vec<Value>> {
        let n = call.args.len();
        let mut args = Vec::with_capacity(n);
        for (i, arg) in call.args.iter().enumerate() {
            let v = self.eval(arg)?;
            if call.args.expand_final() && i + 1 == n {
                match v {
                    Value::List(l) => args.extend(l.items.iter().cloned()),
                    Value::Unknown(_) => args.push(v),
                    other => {
                        return Err(EvalError::new(format!(
                            "the `...` argument must be a list, not {}",
                            other.type_name()
                        ))
                        .at(arg));
                    }
                }
            } else {
                args.push(v);
            }
        }
        Ok(args)
    }

    /// The file reader of this scope.
    pub(super) fn files(&self) -> &Files {
        &self.scope.files
    }

    /// Renders a template file's text with only `vars` in scope (`templatefile`).
    pub(super) fn template_file(&mut self, text: &str, vars: &Attrs) -> Result<Value> {
        let template = hcl_edit::parser::parse_template(text).map_err(|e| {
            EvalError::new(format!(
                "template line {}, column {}: {}",
                e.location().line(),
                e.location().column(),
                e.message()
            ))
        })?;
        // The template sees only its variables, and spends the caller's budget.
        let scope = Scope {
            budget: self.scope.budget.clone(),
            ..Scope::default()
        };
        let mut inner = Eval::new(&scope);
        for (k, v) in vars {
            inner.bind(k.as_str(), v.clone());
        }
        inner.template(&template, true)
    }
}

impl funcs::Context for Eval<'_> {
    fn charge(&mut self, n: u64) -> Result<()> {
        Eval::charge(self, n)
    }

    fn files(&self) -> &Files {
        Eval::files(self)
    }

    fn mark_sensitive(&mut self) {
        Eval::mark_sensitive(self);
    }

    fn take_sensitive(&mut self) -> bool {
        Eval::take_sensitive(self)
    }

    fn template_file(&mut self, text: &str, vars: &Attrs) -> Result<Value> {
        Eval::template_file(self, text, vars)
    }
}

impl EvalError {
    fn map_message(mut self, f: impl FnOnce(&str) -> String) -> Self {
        self.message = f(&self.message);
        self
    }
}

enum Step {
    Skip,
    Unknown(Value),
    Item(Value),
    Entry(String, Value),
}

/// The (key, value) pairs a `for` iterates: index and element of a list, key and value of a
/// map (in key order).
fn pairs_of(collection: &Value) -> Option<Vec<(Value, Value)>> {
    match collection {
        Value::List(l) => Some(
            l.items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v.clone()))
                .collect(),
        ),
        Value::Map(m) => Some(
            m.entries
                .iter()
                .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
                .collect(),
        ),
        Value::Resource(r) => Some(
            r.attrs
                .iter()
                .map(|(k, v)| (Value::string(k.as_str()), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

/// Strip markers (`~`) of a template element: (before it, after it).
fn strip_of(element: &Element) -> (bool, bool) {
    let pair = |s: Strip| (s.strip_start(), s.strip_end());
    match element {
        Element::Literal(_) => (false, false),
        Element::Interpolation(i) => pair(i.strip),
        Element::Directive(d) => match d.as_ref() {
            Directive::If(d) => (
                d.if_expr.strip.strip_start(),
                d.endif_expr.strip.strip_end(),
            ),
            Directive::For(d) => (
                d.for_expr.strip.strip_start(),
                d.endfor_expr.strip.strip_end(),
            ),
        },
    }
}

fn merge_unknown(acc: &mut Option<Value>, v: &Value) {
    *acc = Some(match acc.take() {
        Some(prev) => Value::unknown_of([&prev, v]),
        None => Value::unknown_of([v]),
    });
}

fn suggest<'a>(keys: impl Iterator<Item = &'a String>, name: &str) -> String {
    let keys: Vec<&String> = keys.collect();
    if keys.is_empty() {
        return String::new();
    }
    let shown: Vec<&str> = keys.iter().take(8).map(|k| k.as_str()).collect();
    let close = keys
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name) || (k.len() > 2 && one_edit_apart(k, name)));
    match close {
        Some(k) => format!(" (did you mean `{k}`?)"),
        None => format!(
            " (it has {}{})",
            shown.join(", "),
            if keys.len() > 8 { ", ..." } else { "" }
        ),
    }
}

/// Whether two names differ by one inserted, deleted or replaced character: after their
/// common prefix, the rests are equal once the extra (or differing) character is skipped.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let mut i = 0;
    while i < a.len().min(b.len()) && a[i] == b[i] {
        i += 1;
    }
    a[i..]
        .iter()
        .skip(usize::from(a.len() >= b.len()))
        .eq(b[i..].iter().skip(usize::from(b.len() >= a.len())))
}

fn binary(op: BinaryOperator, lhs: Value, rhs: Value) -> Result<Value> {
    use BinaryOperator::*;
    match op {
        Eq | NotEq => {
            return Ok(match lhs.equals(&rhs) {
                Some(eq) => Value::Bool(eq == (op == Eq)),
                None => Value::unknown_of([&lhs, &rhs]),
            });
        }
        And | Or => {
            let (a, b) = (lhs.to_bool(), rhs.to_bool());
            let short = op == Or;
            // A known operand that decides the result wins over an unknown one.
            if a == Some(short) || b == Some(short) {
                return Ok(Value::Bool(short));
            }
            if lhs.is_unknown() || rhs.is_unknown() {
                return Ok(Value::unknown_of([&lhs, &rhs]));
            }
            return match (a, b) {
                (Some(x), Some(y)) => Ok(Value::Bool(if short { x || y } else { x && y })),
                _ => Err(EvalError::new(format!(
                    "`{}` needs bools, not {} and {}",
                    if short { "||" } else { "&&" },
                    lhs.type_name(),
                    rhs.type_name()
                ))),
            };
        }
        _ => {}
    }
    if lhs.is_unknown() || rhs.is_unknown() {
        return Ok(Value::unknown_of([&lhs, &rhs]));
    }
    let (Some(a), Some(b)) = (lhs.to_number(), rhs.to_number()) else {
        return Err(EvalError::new(format!(
            "`{}` needs numbers, not {} and {}",
            op.as_str(),
            lhs.type_name(),
            rhs.type_name()
        )));
    };
    Ok(match op {
        Plus => Value::Number(a + b),
        Minus => Value::Number(a - b),
        Mul => Value::Number(a * b),
        Div | Mod if b == 0.0 => return Err(EvalError::new("division by zero")),
        Div => Value::Number(a / b),
        Mod => Value::Number(a % b),
        Less => Value::Bool(a < b),
        LessEq => Value::Bool(a <= b),
        Greater => Value::Bool(a > b),
        GreaterEq => Value::Bool(a >= b),
        Eq | NotEq | And | Or => unreachable!("handled above"),
    })
}

/// The directory `path` relative to `base`, both as written (lexically).
pub(super) fn relative(path: &Path, base: &Path) -> String {
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), b.len() - common).collect();
    parts.extend(
        p[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_in(scope: &Scope, src: &str) -> Result<Value> {
        let expr = hcl_edit::parser::parse_expr(src).unwrap();
        Eval::new(scope).eval(&expr)
    }

    fn json(v: &Value) -> serde_json::Value {
        v.to_json(&mut String::new(), &mut Vec::new())
    }

    fn scope() -> Scope {
        let mut s = Scope::default();
        let named = |v: Value| Named {
            value: v,
            sensitive: false,
        };
        s.vars.insert("known".into(), named(Value::string("k")));
        s.vars.insert("unset".into(), named(Value::unknown()));
        s.vars.insert(
            "cfg".into(),
            named(
                constant(&hcl_edit::parser::parse_expr("{ a = 1, list = [1, 2, 3] }").unwrap())
                    .unwrap(),
            ),
        );
        let mut bucket = Attrs::new();
        bucket.insert("bucket".into(), Value::string("logs"));
        let inst = Value::resource("tf:aws_s3_bucket.b".into(), bucket);
        s.resources
            .entry("aws_s3_bucket".into())
            .or_default()
            .insert("b".into(), inst);
        s
    }

    #[test]
    fn unknowns_propagate_and_remember_their_resource() {
        let s = scope();
        assert!(eval_in(&s, "\"x-${var.unset}\"").unwrap().is_unknown());
        assert!(
            eval_in(&s, "var.unset == \"a\" ? 1 : 2")
                .unwrap()
                .is_unknown()
        );
        let mut e = Eval::new(&s);
        let v = e
            .eval(&hcl_edit::parser::parse_expr("aws_s3_bucket.b.arn").unwrap())
            .unwrap();
        let mut refs = Vec::new();
        v.collect_refs(&mut refs);
        assert_eq!(refs, [Arc::<str>::from("tf:aws_s3_bucket.b")]);
        assert_eq!(e.take_reads(), refs);
        // Written attributes of another resource are known, as in a plan.
        assert_eq!(
            json(&eval_in(&s, "aws_s3_bucket.b.bucket").unwrap()),
            "logs"
        );
    }

    #[test]
    fn known_values_are_evaluated() {
        let s = scope();
        let v = eval_in(
            &s,
            "{ for i, n in var.cfg.list : \"k${i}\" => n * 2 if n > 1 }",
        )
        .unwrap();
        assert_eq!(json(&v), serde_json::json!({"k1": 4, "k2": 6}));
        assert_eq!(
            json(&eval_in(&s, "[for x in [1, 2] : x][*]").unwrap()),
            serde_json::json!([1, 2])
        );
        assert_eq!(json(&eval_in(&s, "true || var.unset").unwrap()), true);
        assert_eq!(
            json(&eval_in(&s, "<<-EOT\n  a %{ if true ~} b %{~ endif }\n  EOT").unwrap()),
            "a b\n"
        );
    }

    #[test]
    fn try_and_can_tell_errors_from_unknowns() {
        let s = scope();
        assert_eq!(
            json(&eval_in(&s, "try(var.cfg.missing, \"d\")").unwrap()),
            "d"
        );
        assert!(eval_in(&s, "try(var.unset.x, \"d\")").unwrap().is_unknown());
        assert_eq!(json(&eval_in(&s, "can(var.cfg.missing)").unwrap()), false);
        assert!(eval_in(&s, "can(var.unset)").unwrap().is_unknown());
    }

    #[test]
    fn errors_name_the_problem() {
        let s = scope();
        let e = eval_in(&s, "var.nope").unwrap_err();
        assert!(
            e.message.contains("undeclared input variable `var.nope`"),
            "{e}"
        );
        let e = eval_in(&s, "var.cfg.lst").unwrap_err();
        assert!(e.message.contains("did you mean `list`"), "{e}");
        let e = eval_in(&s, "1 + \"a\"").unwrap_err();
        assert!(e.message.contains("needs numbers"), "{e}");
    }

    #[test]
    fn the_budget_stops_runaway_evaluation_once() {
        let s = Scope {
            budget: Arc::new(Budget::new(10_000)),
            ..Scope::default()
        };
        let e = eval_in(
            &s,
            "[for a in range(100000) : [for b in range(100000) : b]]",
        )
        .unwrap_err();
        assert!(e.message.contains("evaluation stopped"), "{e}");
        // Later evaluations fail silently: the problem is reported once.
        assert_eq!(eval_in(&s, "1").unwrap_err().message, "");
        assert!(eval_in(&s, "can(1)").is_err());
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("a/b"), Path::new("a/b")), ".");
        assert_eq!(
            relative(Path::new("modules/x"), Path::new("envs/prod")),
            "../../modules/x"
        );
    }
}
