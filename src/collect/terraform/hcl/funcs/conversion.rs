//! Type conversion functions, `sensitive` and its kin, and the functions Terraform does not
//! offer in configurations (registered so that their error is Terraform's).

use super::super::error::Result;
use super::super::value::Value;
use super::Context;
use super::collections::dedup_sorted;
use super::{
    Category::Conversion as C, Category::Unavailable, Func, VARIADIC, boolean, entries, err, items,
    num, text,
};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("can", C, 1, 1, lazy)
        .own_unknowns()
        .nulls_from(0)
        .note("an argument with an unknown part gives unknown, as in Terraform"),
    Func::new("ephemeralasnull", C, 1, 1, same)
        .own_unknowns()
        .nulls_from(0)
        .note("returns its argument: a scan has no ephemeral values"),
    Func::new("issensitive", C, 1, 1, issensitive)
        .shallow()
        .nulls_from(0)
        .note("true when its argument read a sensitive variable or output, or `sensitive()`"),
    Func::new("nonsensitive", C, 1, 1, same)
        .own_unknowns()
        .nulls_from(0),
    Func::new("sensitive", C, 1, 1, sensitive)
        .own_unknowns()
        .nulls_from(0)
        .note("the attribute using it is redacted"),
    Func::new("tobool", C, 1, 1, tobool).nulls_from(0),
    Func::new("tolist", C, 1, 1, tolist).shallow().nulls_from(0),
    Func::new("tomap", C, 1, 1, tomap).shallow().nulls_from(0),
    Func::new("tonumber", C, 1, 1, tonumber).nulls_from(0),
    Func::new("toset", C, 1, 1, toset)
        .shallow()
        .nulls_from(0)
        .note("sorted and de-duplicated; unknown elements are kept, last"),
    Func::new("tostring", C, 1, 1, tostring).nulls_from(0),
    Func::new("try", C, 1, VARIADIC, lazy)
        .own_unknowns()
        .nulls_from(0)
        .note("an argument with an unknown part gives unknown, as in Terraform"),
    Func::new("list", Unavailable, 0, VARIADIC, list)
        .nulls_from(0)
        .note("removed in Terraform 0.12: an error"),
    Func::new("map", Unavailable, 0, VARIADIC, map)
        .nulls_from(0)
        .note("removed in Terraform 0.12: an error"),
    Func::new("type", Unavailable, 1, 1, type_fn)
        .own_unknowns()
        .nulls_from(0)
        .note("only in `terraform console`: an error"),
];

/// `try` and `can` evaluate their arguments themselves (`Eval::call`); never called.
fn lazy(_: &[Value], _: &mut dyn Context) -> Result<Value> {
    err("is evaluated with its arguments unevaluated")
}

fn same(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(a[0].clone())
}

fn sensitive(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    ev.mark_sensitive();
    Ok(a[0].clone())
}

/// The evaluator evaluates the argument with the sensitivity flag cleared and restores it
/// afterwards, so the flag says whether the argument read something sensitive.
fn issensitive(_: &[Value], ev: &mut dyn Context) -> Result<Value> {
    Ok(Value::Bool(ev.take_sensitive()))
}

fn tobool(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    if a[0].is_null() {
        return Ok(Value::Null);
    }
    Ok(Value::Bool(boolean(&a[0])?))
}

fn tonumber(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    if a[0].is_null() {
        return Ok(Value::Null);
    }
    Ok(Value::Number(num(&a[0])?))
}

fn tostring(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    if a[0].is_null() {
        return Ok(Value::Null);
    }
    Ok(Value::string(text(&a[0])?))
}

fn tolist(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => Ok(Value::list(items(v)?.to_vec())),
    }
}

fn toset(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => Ok(Value::list(dedup_sorted(items(v)?.to_vec()))),
    }
}

fn tomap(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    match &a[0] {
        Value::Null => Ok(Value::Null),
        v => Ok(Value::map(entries(v)?.clone())),
    }
}

fn list(_: &[Value], _: &mut dyn Context) -> Result<Value> {
    err(
        "the \"list\" function was deprecated in Terraform v0.12 and is no longer available; use tolist([ ... ]) syntax to write a literal list",
    )
}

fn map(_: &[Value], _: &mut dyn Context) -> Result<Value> {
    err(
        "the \"map\" function was deprecated in Terraform v0.12 and is no longer available; use tomap({ ... }) syntax to write a literal map",
    )
}

fn type_fn(_: &[Value], _: &mut dyn Context) -> Result<Value> {
    err("type() is only available in terraform console")
}
