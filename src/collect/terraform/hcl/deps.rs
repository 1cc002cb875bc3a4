//! What an expression refers to, read from its syntax: the dependencies that order the
//! evaluation of a module (locals, resources, module calls, providers).

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::template::{Directive, Element, Template};

/// Calls `f(root, operators)` for every reference in `expr`: `var.x.y` gives
/// (`var`, [`.x`, `.y`]), a bare `each` gives (`each`, []).
pub(super) fn walk<'e>(
    expr: &'e Expression,
    f: &mut impl FnMut(&'e str, &[&'e TraversalOperator]),
) {
    match expr {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => {}
        Expression::Array(items) => items.iter().for_each(|i| walk(i, f)),
        Expression::Object(obj) => {
            for (k, v) in obj.iter() {
                if let ObjectKey::Expression(e) = k {
                    walk(e, f);
                }
                walk(v.expr(), f);
            }
        }
        Expression::StringTemplate(t) => template(t, f),
        Expression::HeredocTemplate(h) => template(&h.template, f),
        Expression::Parenthesis(p) => walk(p.inner(), f),
        Expression::Variable(v) => f(v.as_str(), &[]),
        Expression::Conditional(c) => {
            walk(&c.cond_expr, f);
            walk(&c.true_expr, f);
            walk(&c.false_expr, f);
        }
        Expression::FuncCall(call) => call.args.iter().for_each(|a| walk(a, f)),
        Expression::Traversal(t) => {
            let ops: Vec<&TraversalOperator> = t.operators.iter().map(|o| o.value()).collect();
            match &t.expr {
                Expression::Variable(v) => f(v.as_str(), &ops),
                other => walk(other, f),
            }
            for op in ops {
                if let TraversalOperator::Index(e) = op {
                    walk(e, f);
                }
            }
        }
        Expression::UnaryOp(op) => walk(&op.expr, f),
        Expression::BinaryOp(op) => {
            walk(&op.lhs_expr, f);
            walk(&op.rhs_expr, f);
        }
        Expression::ForExpr(fe) => {
            walk(&fe.intro.collection_expr, f);
            if let Some(k) = &fe.key_expr {
                walk(k, f);
            }
            walk(&fe.value_expr, f);
            if let Some(c) = &fe.cond {
                walk(&c.expr, f);
            }
        }
    }
}

fn template<'e>(t: &'e Template, f: &mut impl FnMut(&'e str, &[&'e TraversalOperator])) {
    for element in t.iter() {
        match element {
            Element::Literal(_) => {}
            Element::Interpolation(i) => walk(&i.expr, f),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    walk(&d.if_expr.cond_expr, f);
                    template(&d.if_expr.template, f);
                    if let Some(e) = &d.else_expr {
                        template(&e.template, f);
                    }
                }
                Directive::For(d) => {
                    walk(&d.for_expr.collection_expr, f);
                    template(&d.for_expr.template, f);
                }
            },
        }
    }
}

/// Every reference of a body (attributes and nested blocks).
pub(super) fn walk_body<'e>(
    body: &'e super::load::Body,
    f: &mut impl FnMut(&'e str, &[&'e TraversalOperator]),
) {
    for attr in &body.attrs {
        walk(&attr.expr, f);
    }
    for block in &body.blocks {
        walk_body(&block.body, f);
    }
}
