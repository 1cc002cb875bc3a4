//! Values of Terraform's expression language, with unknowns.
//!
//! Terraform evaluates a configuration with values that may be *unknown*: a variable nobody
//! gave a value, a data source, an attribute the provider computes at apply time. Unknowns
//! propagate: an operation on an unknown is unknown, a template interpolating one is unknown, a
//! list may hold known and unknown elements. [`Value::Unknown`] models that, and remembers the
//! managed resources an unknown came from, so that `bucket = aws_s3_bucket.b.id` still tells
//! which bucket is meant.
//!
//! Collections are reference-counted (locals and resource values are read many times) and know
//! their nesting depth, which is bounded: no input makes a value deep enough to overflow the
//! stack of the recursive code that walks it.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::collect::terraform::escape;

/// Values nested deeper than this are an evaluation error.
pub(super) const MAX_DEPTH: u32 = 100;

/// What is known of an unknown value: `None` for nothing at all.
pub(super) type Refs = Option<Arc<Known>>;

/// What is known of an unknown value.
#[derive(Debug, Default)]
pub struct Known {
    /// Ids (`tf:...`) of the managed resources it derives from.
    pub refs: Vec<Arc<str>>,
    /// For the JSON text of a partly unknown value (`jsonencode`, a policy document with a
    /// statement naming `aws_s3_bucket.b.arn`): the value encoded, unknown parts in place. The
    /// text is unknown, but its structure is not, and an inventory keeps that structure (see
    /// [`Value::to_json`]), so that a known statement can still be judged.
    pub encoded: Option<Value>,
}

/// An object's or map's attributes.
pub(super) type Attrs = BTreeMap<String, Value>;

#[derive(Debug, Clone)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(Arc<str>),
    /// A tuple, list or set.
    List(Arc<List>),
    /// An object or map (Terraform orders both by key).
    Map(Arc<Map>),
    /// Known only after apply, or not known to the scan.
    Unknown(Refs),
    /// A managed resource instance as other expressions see it: the attributes its author
    /// wrote; every other attribute is computed by the provider, hence unknown.
    Resource(Arc<Instance>),
}

#[derive(Debug)]
pub struct List {
    pub items: Vec<Value>,
    depth: u32,
}

#[derive(Debug)]
pub struct Map {
    pub entries: Attrs,
    depth: u32,
}

#[derive(Debug)]
pub struct Instance {
    /// The resource id, `tf:<address>`.
    pub id: Arc<str>,
    pub attrs: Attrs,
    depth: u32,
}

impl Value {
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    pub fn unknown() -> Value {
        Value::Unknown(None)
    }

    pub fn list(items: Vec<Value>) -> Value {
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        Value::List(Arc::new(List { items, depth }))
    }

    pub fn map(entries: Attrs) -> Value {
        let depth = 1 + entries.values().map(Value::depth).max().unwrap_or(0);
        Value::Map(Arc::new(Map { entries, depth }))
    }

    pub fn resource(id: Arc<str>, attrs: Attrs) -> Value {
        let depth = 1 + attrs.values().map(Value::depth).max().unwrap_or(0);
        Value::Resource(Arc::new(Instance { id, attrs, depth }))
    }

    /// An unknown that derives from the given resources.
    pub fn unknown_from(refs: Vec<Arc<str>>) -> Value {
        if refs.is_empty() {
            Value::Unknown(None)
        } else {
            Value::Unknown(Some(Arc::new(Known {
                refs,
                encoded: None,
            })))
        }
    }

    /// The JSON text of `value`, which has unknown parts: unknown, its structure kept.
    pub fn encoded(value: Value) -> Value {
        Value::encoded_from(value, Vec::new())
    }

    /// As [`Value::encoded`], also deriving from the resources `refs`.
    pub fn encoded_from(value: Value, mut refs: Vec<Arc<str>>) -> Value {
        value.collect_refs(&mut refs);
        Value::Unknown(Some(Arc::new(Known {
            refs,
            encoded: Some(value),
        })))
    }

    /// The structure of JSON text that is known only in part ([`Value::encoded`]).
    pub fn encoded_value(&self) -> Option<&Value> {
        match self {
            Value::Unknown(Some(k)) => k.encoded.as_ref(),
            _ => None,
        }
    }

    /// Nesting depth: 0 for scalars.
    pub fn depth(&self) -> u32 {
        match self {
            Value::List(l) => l.depth,
            Value::Map(m) => m.depth,
            Value::Resource(r) => r.depth,
            _ => 0,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether no part of the value is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) | Value::Resource(_) => false,
            Value::List(l) => l.items.iter().all(Value::is_wholly_known),
            Value::Map(m) => m.entries.values().all(Value::is_wholly_known),
            _ => true,
        }
    }

    /// The resources every unknown part of the value derives from, in first-seen order.
    pub fn collect_refs(&self, out: &mut Vec<Arc<str>>) {
        match self {
            Value::Unknown(Some(known)) => {
                for r in &known.refs {
                    if !out.contains(r) {
                        out.push(r.clone());
                    }
                }
            }
            Value::Resource(r) if !out.contains(&r.id) => out.push(r.id.clone()),
            Value::List(l) => l.items.iter().for_each(|v| v.collect_refs(out)),
            Value::Map(m) => m.entries.values().for_each(|v| v.collect_refs(out)),
            _ => {}
        }
    }

    /// An unknown carrying the refs of every unknown in `values`.
    pub fn unknown_of<'a>(values: impl IntoIterator<Item = &'a Value>) -> Value {
        let mut refs = Vec::new();
        for v in values {
            v.collect_refs(&mut refs);
        }
        Value::unknown_from(refs)
    }

    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Map(_) => "object",
            Value::Unknown(_) => "unknown value",
            Value::Resource(_) => "resource object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The items of a list, or `None`.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(&l.items),
            _ => None,
        }
    }

    /// The entries of an object or map (a resource's written attributes), or `None`.
    pub fn as_map(&self) -> Option<&Attrs> {
        match self {
            Value::Map(m) => Some(&m.entries),
            Value::Resource(r) => Some(&r.attrs),
            _ => None,
        }
    }

    /// Terraform's automatic conversion of a primitive to a string.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.to_string()),
            Value::Number(n) => Some(format_number(*n)),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// Terraform's automatic conversion to a number.
    pub fn to_number(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(*n),
            Value::String(s) => parse_number(s),
            _ => None,
        }
    }

    /// Terraform's automatic conversion to a bool.
    pub fn to_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match &**s {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    /// Equality as Terraform's `==`: `None` when an unknown part decides it.
    pub fn equals(&self, other: &Value) -> Option<bool> {
        match (self, other) {
            (Value::Unknown(_), _) | (_, Value::Unknown(_)) => None,
            (Value::Resource(_), _) | (_, Value::Resource(_)) => None,
            (Value::Null, Value::Null) => Some(true),
            (Value::Bool(a), Value::Bool(b)) => Some(a == b),
            (Value::Number(a), Value::Number(b)) => Some(a == b),
            (Value::String(a), Value::String(b)) => Some(a == b),
            (Value::List(a), Value::List(b)) => {
                if a.items.len() != b.items.len() {
                    return Some(false);
                }
                let mut unknown = false;
                for (x, y) in a.items.iter().zip(&b.items) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            (Value::Map(a), Value::Map(b)) => {
                if a.entries.len() != b.entries.len()
                    || a.entries.keys().zip(b.entries.keys()).any(|(x, y)| x != y)
                {
                    return Some(false);
                }
                let mut unknown = false;
                for (x, y) in a.entries.values().zip(b.entries.values()) {
                    match x.equals(y) {
                        Some(false) => return Some(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown { None } else { Some(true) }
            }
            _ => Some(false),
        }
    }

    /// A total order for sorting set elements: by type, then value.
    pub fn total_cmp(&self, other: &Value) -> Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Bool(_) => 1,
                Value::Number(_) => 2,
                Value::String(_) => 3,
                Value::List(_) => 4,
                Value::Map(_) => 5,
                Value::Resource(_) => 6,
                Value::Unknown(_) => 7,
            }
        }
        match (self, other) {
            (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
            (Value::Number(a), Value::Number(b)) => a.total_cmp(b),
            (Value::String(a), Value::String(b)) => a.cmp(b),
            (Value::List(a), Value::List(b)) => {
                for (x, y) in a.items.iter().zip(&b.items) {
                    let o = x.total_cmp(y);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.items.len().cmp(&b.items.len())
            }
            (Value::Map(a), Value::Map(b)) => {
                for ((ka, va), (kb, vb)) in a.entries.iter().zip(&b.entries) {
                    let o = ka.cmp(kb).then_with(|| va.total_cmp(vb));
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                a.entries.len().cmp(&b.entries.len())
            }
            _ => rank(self).cmp(&rank(other)),
        }
    }

    /// A value from JSON (tfvars files, `jsondecode`).
    pub fn from_json(json: &Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            Json::String(s) => Value::string(s.as_str()),
            Json::Array(items) => Value::list(items.iter().map(Value::from_json).collect()),
            Json::Object(map) => Value::map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The value as JSON in the provider's shape. Unknown parts become `null`, and their JSON
    /// pointers (below `pointer`) are added to `unknown`.
    pub fn to_json(&self, pointer: &mut String, unknown: &mut Vec<String>) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Number(n) => number_json(*n),
            Value::String(s) => Json::String(s.to_string()),
            Value::Unknown(Some(known)) if known.encoded.is_some() => match &known.encoded {
                Some(v) => v.to_json(pointer, unknown),
                None => Json::Null,
            },
            Value::Unknown(_) | Value::Resource(_) => {
                unknown.push(pointer.clone());
                Json::Null
            }
            Value::List(l) => Json::Array(
                l.items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let len = pointer.len();
                        pointer.push('/');
                        pointer.push_str(&i.to_string());
                        let j = v.to_json(pointer, unknown);
                        pointer.truncate(len);
                        j
                    })
                    .collect(),
            ),
            Value::Map(m) => Json::Object(
                m.entries
                    .iter()
                    .map(|(k, v)| {
                        let len = pointer.len();
                        pointer.push('/');
                        pointer.push_str(&escape(k));
                        let j = v.to_json(pointer, unknown);
                        pointer.truncate(len);
                        (k.clone(), j)
                    })
                    .collect(),
            ),
        }
    }

    /// The value as plain JSON, for `jsonencode`: `None` if any part is unknown.
    pub fn to_plain_json(&self) -> Option<Json> {
        if !self.is_wholly_known() {
            return None;
        }
        Some(self.to_json(&mut String::new(), &mut Vec::new()))
    }
}

/// A number as JSON: integral values as integers, as Terraform writes them.
pub(super) fn number_json(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Json::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
    }
}

/// A number as Terraform writes it in a string: `42`, `1.5`.
pub(super) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Parses a number as Terraform converts a string: decimal, optional sign and exponent.
pub(super) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_parts_become_null_with_their_pointer() {
        let mut tags = Attrs::new();
        tags.insert("Owner".into(), Value::unknown());
        tags.insert("a/b".into(), Value::string("x"));
        let mut attrs = Attrs::new();
        attrs.insert("tags".into(), Value::map(tags));
        attrs.insert("cidrs".into(), Value::list(vec![Value::unknown()]));
        attrs.insert("size".into(), Value::Number(20.0));
        let mut unknown = Vec::new();
        let j = Value::map(attrs).to_json(&mut String::new(), &mut unknown);
        assert_eq!(
            j,
            json!({"tags": {"Owner": null, "a/b": "x"}, "cidrs": [null], "size": 20})
        );
        assert_eq!(unknown, ["/cidrs/0", "/tags/Owner"]);
    }

    #[test]
    fn equality_is_unknown_only_when_an_unknown_decides_it() {
        let a = Value::list(vec![Value::Number(1.0), Value::unknown()]);
        let b = Value::list(vec![Value::Number(2.0), Value::unknown()]);
        assert_eq!(a.equals(&b), Some(false));
        assert_eq!(a.equals(&a.clone()), None);
        assert_eq!(Value::string("1").equals(&Value::Number(1.0)), Some(false));
    }

    #[test]
    fn depth_is_tracked() {
        let mut v = Value::Null;
        for _ in 0..5 {
            v = Value::list(vec![v]);
        }
        assert_eq!(v.depth(), 5);
    }

    #[test]
    fn numbers_format_like_terraform() {
        assert_eq!(format_number(42.0), "42");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(parse_number(" 10 "), Some(10.0));
        assert_eq!(parse_number("0x10"), None);
        assert_eq!(parse_number("inf"), None);
    }
}
