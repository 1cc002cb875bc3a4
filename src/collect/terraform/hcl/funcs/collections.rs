//! Collection functions. Most only move values around, so they keep unknown elements in place
//! ([`Func::shallow`]); the ones that must compare elements are unknown when one is.

use std::collections::BTreeMap;

use super::super::error::{MAX_ELEMENTS, Result};
use super::super::value::{Attrs, Value};
use super::Context;
use super::{
    Category::Collection as C, Func, VARIADIC, boolean, entries, err, int, items, num, string_list,
    strings, text,
};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("alltrue", C, 1, 1, alltrue),
    Func::new("anytrue", C, 1, 1, anytrue)
        .shallow()
        .note("known when a known `true` decides it"),
    Func::new("chunklist", C, 2, 2, chunklist).shallow(),
    Func::new("coalesce", C, 1, VARIADIC, coalesce)
        .own_unknowns()
        .nulls_from(0)
        .note("skips nulls and empty strings; unknown if an unknown comes before the first known value"),
    Func::new("coalescelist", C, 1, VARIADIC, coalescelist).shallow(),
    Func::new("compact", C, 1, 1, compact),
    Func::new("concat", C, 1, VARIADIC, concat).shallow(),
    Func::new("contains", C, 2, 2, contains_fn)
        .shallow()
        .note("known when a known element equals the value, or no element can"),
    Func::new("distinct", C, 1, 1, distinct),
    Func::new("element", C, 2, 2, element).shallow(),
    Func::new("flatten", C, 1, 1, flatten)
        .shallow()
        .note("an unknown element makes the result unknown: it may be a list (Terraform knows its type)"),
    Func::new("index", C, 2, 2, index),
    Func::new("keys", C, 1, 1, keys).shallow(),
    Func::new("length", C, 1, 1, length).shallow(),
    Func::new("lookup", C, 2, 3, lookup).shallow().nulls_from(2),
    Func::new("matchkeys", C, 3, 3, matchkeys),
    Func::new("merge", C, 0, VARIADIC, merge).shallow().nulls_from(0),
    Func::new("one", C, 1, 1, one).shallow(),
    Func::new("range", C, 1, 3, range).note("at most 1,048,576 elements"),
    Func::new("reverse", C, 1, 1, reverse).shallow(),
    Func::new("setintersection", C, 1, VARIADIC, setintersection),
    Func::new("setproduct", C, 1, VARIADIC, setproduct).shallow(),
    Func::new("setsubtract", C, 2, 2, setsubtract),
    Func::new("setunion", C, 1, VARIADIC, setunion).shallow(),
    Func::new("slice", C, 3, 3, slice).shallow(),
    Func::new("sort", C, 1, 1, sort)
        .shallow()
        .note("with an unknown element, every element is unknown (the length is known)"),
    Func::new("transpose", C, 1, 1, transpose),
    Func::new("values", C, 1, 1, values).shallow(),
    Func::new("zipmap", C, 2, 2, zipmap).shallow(),
];

pub(super) fn contains(list: &[Value], v: &Value) -> bool {
    list.iter().any(|x| x.equals(v) == Some(true))
}

/// Set order: sorted, duplicates removed. Unknown elements sort last and stay, as each may
/// be any value.
pub(super) fn dedup_sorted(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by(Value::total_cmp);
    items.dedup_by(|a, b| a.equals(b) == Some(true));
    items
}

fn alltrue(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let bools = items(&a[0])?
        .iter()
        .map(boolean)
        .collect::<Result<Vec<bool>>>()?;
    Ok(Value::Bool(bools.iter().all(|b| *b)))
}

fn anytrue(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    // One known `true` decides it, whatever the unknown elements turn out to be.
    let list = items(&a[0])?;
    let mut unknown = false;
    for v in list {
        match v {
            Value::Null => {}
            v if !v.is_wholly_known() => unknown = true,
            v if boolean(v)? => return Ok(Value::Bool(true)),
            _ => {}
        }
    }
    Ok(if unknown {
        Value::unknown_of(list)
    } else {
        Value::Bool(false)
    })
}

fn chunklist(a: &[Value], _: &mut dyn Context) -> Result<Value> {
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

fn coalesce(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    for v in a {
        match v {
            Value::Null => continue,
            Value::String(x) if x.is_empty() => continue,
            // It may be null or empty: what comes after may be the answer.
            Value::Unknown(_) | Value::Resource(_) => return Ok(Value::unknown_of([v])),
            other => return Ok(other.clone()),
        }
    }
    err("no non-null, non-empty argument")
}

fn coalescelist(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    for v in a {
        if !items(v)?.is_empty() {
            return Ok(v.clone());
        }
    }
    Ok(Value::list(Vec::new()))
}

fn compact(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::list(
        items(&a[0])?
            .iter()
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
            .cloned()
            .collect(),
    ))
}

fn concat(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let mut out = Vec::new();
    for v in a {
        out.extend(items(v)?.iter().cloned());
    }
    Ok(Value::list(out))
}

fn contains_fn(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let list = items(&a[0])?;
    if !a[1].is_wholly_known() {
        return Ok(Value::unknown_of(&a[1..]));
    }
    if contains(list, &a[1]) {
        return Ok(Value::Bool(true));
    }
    // Not among the known elements; an unknown one may still be it.
    Ok(if list.iter().any(|v| v.equals(&a[1]).is_none()) {
        Value::unknown_of(list)
    } else {
        Value::Bool(false)
    })
}

fn distinct(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in items(&a[0])? {
        if !contains(&out, v) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

fn element(a: &[Value], _: &mut dyn Context) -> Result<Value> {
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

fn flatten(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    fn walk(v: &Value, out: &mut Vec<Value>) -> std::result::Result<(), Value> {
        match v {
            Value::List(l) => {
                for item in &l.items {
                    walk(item, out)?;
                }
                Ok(())
            }
            // An unknown may be a list of any length: the whole result is unknown.
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

fn index(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    match items(&a[0])?
        .iter()
        .position(|x| x.equals(&a[1]) == Some(true))
    {
        Some(i) => Ok(Value::Number(i as f64)),
        None => err("the item is not in the list"),
    }
}

fn keys(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(string_list(entries(&a[0])?.keys().cloned()))
}

fn values(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::list(entries(&a[0])?.values().cloned().collect()))
}

fn length(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::Number(match &a[0] {
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.entries.len(),
        Value::String(t) => t.chars().count(),
        other => return err(format!("cannot take the length of {}", other.type_name())),
    } as f64))
}

fn lookup(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let map = entries(&a[0])?;
    let key = text(&a[1])?;
    match (map.get(&key), a.get(2)) {
        (Some(v), _) => Ok(v.clone()),
        (None, Some(default)) => Ok(default.clone()),
        (None, None) => err(format!("no key {key:?} and no default")),
    }
}

fn matchkeys(a: &[Value], _: &mut dyn Context) -> Result<Value> {
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

fn merge(a: &[Value], _: &mut dyn Context) -> Result<Value> {
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

fn one(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    match items(&a[0])? {
        [] => Ok(Value::Null),
        [x] => Ok(x.clone()),
        more => err(format!(
            "the list has {} elements; one allows at most one",
            more.len()
        )),
    }
}

fn range(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let nums = a.iter().map(num).collect::<Result<Vec<f64>>>()?;
    let (start, end, step) = match nums.as_slice() {
        [end] => (0.0, *end, 1.0),
        [start, end] => (*start, *end, if end >= start { 1.0 } else { -1.0 }),
        [start, end, step] => (*start, *end, *step),
        _ => return err("takes 1 to 3 arguments"),
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

fn reverse(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::list(items(&a[0])?.iter().rev().cloned().collect()))
}

fn setintersection(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let mut acc = items(&a[0])?.to_vec();
    for v in &a[1..] {
        let other = items(v)?;
        acc.retain(|x| contains(other, x));
    }
    Ok(Value::list(dedup_sorted(acc)))
}

fn setsubtract(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let mut acc = items(&a[0])?.to_vec();
    let other = items(&a[1])?;
    acc.retain(|x| !contains(other, x));
    Ok(Value::list(dedup_sorted(acc)))
}

fn setunion(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let mut acc = Vec::new();
    for v in a {
        acc.extend(items(v)?.iter().cloned());
    }
    Ok(Value::list(dedup_sorted(acc)))
}

fn setproduct(a: &[Value], ctx: &mut dyn Context) -> Result<Value> {
    // The size is known before anything is built: refuse a product over the bound at once.
    let mut total: usize = 1;
    for v in a {
        total = total.saturating_mul(items(v)?.len());
    }
    if total > MAX_ELEMENTS {
        return err(format!(
            "the product has {total} elements, more than {MAX_ELEMENTS}"
        ));
    }
    ctx.charge((total * a.len().max(1)) as u64)?;
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

fn slice(a: &[Value], _: &mut dyn Context) -> Result<Value> {
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

fn sort(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let list = items(&a[0])?;
    // The order is unknown, the length is not.
    if list.iter().any(|v| !v.is_wholly_known()) {
        return Ok(Value::list(vec![Value::unknown_of(list); list.len()]));
    }
    let mut list = strings(&a[0])?;
    list.sort();
    Ok(string_list(list))
}

fn transpose(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in entries(&a[0])? {
        for x in strings(v)? {
            out.entry(x).or_default().push(k.clone());
        }
    }
    Ok(Value::map(
        out.into_iter().map(|(k, v)| (k, string_list(v))).collect(),
    ))
}

fn zipmap(a: &[Value], _: &mut dyn Context) -> Result<Value> {
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
