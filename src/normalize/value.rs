//! Reading attributes for facets: each helper returns `None` when the value cannot be known,
//! and the given default when the attribute is not set (the provider's or API's default).

use serde_json::Value;

use crate::inventory::{Attr, Resource};

/// A boolean attribute; strings `"true"`, `"Enabled"` count as true.
pub fn bool_at(r: &Resource, pointer: &str, default: bool) -> Option<bool> {
    match r.attr(pointer) {
        Attr::Known(v) => as_bool(v),
        Attr::Absent => Some(default),
        Attr::Unknown => None,
    }
}

/// An integer attribute (numbers, or numeric strings as some APIs give them).
pub fn int_at(r: &Resource, pointer: &str, default: i64) -> Option<i64> {
    match r.attr(pointer) {
        Attr::Known(v) => as_int(v),
        Attr::Absent => Some(default),
        Attr::Unknown => None,
    }
}

/// A string attribute; empty when not set.
pub fn str_at(r: &Resource, pointer: &str) -> Option<String> {
    match r.attr(pointer) {
        Attr::Known(Value::String(s)) => Some(s.clone()),
        Attr::Known(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        Attr::Known(_) | Attr::Absent => Some(String::new()),
        Attr::Unknown => None,
    }
}

/// A string attribute that may refer to another resource whose value is only known after
/// apply (`kms_key_id = aws_kms_key.logs.arn`): then the referenced resource's id stands in,
/// since *which* resource it is matters more to a policy than its future ARN.
pub fn str_or_ref(r: &Resource, pointer: &str) -> Option<String> {
    match str_at(r, pointer) {
        Some(s) => Some(s),
        None => r
            .references
            .get(pointer)
            .and_then(|ids| ids.first())
            .cloned(),
    }
}

/// A list attribute; empty when not set, `None` when unknown.
pub fn list_at<'a>(r: &'a Resource, pointer: &str) -> Option<&'a [Value]> {
    match r.attr(pointer) {
        Attr::Known(Value::Array(items)) => Some(items),
        Attr::Known(_) | Attr::Absent => Some(&[]),
        Attr::Unknown => None,
    }
}

/// A list of strings; `None` when the list or any element is unknown.
pub fn strings_at(r: &Resource, pointer: &str) -> Option<Vec<String>> {
    let items = list_at(r, pointer)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if r.is_unknown(&format!("{pointer}/{i}")) {
            return None;
        }
        match item {
            Value::String(s) => out.push(s.clone()),
            Value::Null => {}
            other => out.push(other.to_string()),
        }
    }
    Some(out)
}

/// Whether a nested block (Terraform's list-of-one-object shape, or a plain object) is
/// present and not empty.
pub fn has_block(r: &Resource, pointer: &str) -> Option<bool> {
    match r.attr(pointer) {
        Attr::Known(Value::Array(items)) => Some(!items.is_empty()),
        Attr::Known(Value::Object(map)) => Some(!map.is_empty()),
        Attr::Known(_) => Some(true),
        Attr::Absent => Some(false),
        Attr::Unknown => None,
    }
}

pub fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "enabled" | "yes" => Some(true),
            "false" | "disabled" | "no" | "" => Some(false),
            _ => None,
        },
        Value::Null => Some(false),
        _ => None,
    }
}

pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Combines facts: unknown if any part is unknown.
pub fn all<T>(parts: impl IntoIterator<Item = Option<T>>) -> Option<Vec<T>> {
    parts.into_iter().collect()
}

/// The AWS region a resource lives in: its live source's region, its `region` attribute
/// (provider 6 adds one to every resource), or the region field of its ARN. `None` when none
/// of these is known (a plan's ARN is only known after apply).
pub fn region_of(r: &Resource) -> Option<String> {
    if let crate::inventory::Source::Aws { region, .. } = &r.source
        && region != "global"
        && !region.is_empty()
    {
        return Some(region.clone());
    }
    for pointer in ["/region", "/arn"] {
        if let Attr::Known(Value::String(s)) = r.attr(pointer) {
            let region = if pointer == "/arn" {
                s.split(':').nth(3).unwrap_or("")
            } else {
                s.as_str()
            };
            if !region.is_empty() {
                return Some(region.to_string());
            }
        }
    }
    None
}

/// A list attribute whose every element is known: `None` when the list, or anything inside
/// it, is marked unknown. For derivers that read nested blocks as plain JSON, where a value
/// known only after apply would otherwise read as "not set".
pub fn known_list<'a>(r: &'a Resource, pointer: &str) -> Option<&'a [Value]> {
    let inside = format!("{pointer}/");
    if r.unknown.iter().any(|u| u.starts_with(&inside)) {
        return None;
    }
    list_at(r, pointer)
}
