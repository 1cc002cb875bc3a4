//! A configuration item parsed for the mappers, the resources mapped from items with the
//! attributes items do not carry, and readers for Config's JSON (keys compared without case,
//! values that arrive as strings, JSON nested in strings).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use super::{SERVICE, error};
use crate::collect::aws::shared::{Out, Scope, tag_map};
use crate::collect::terraform::set_pointer;
use crate::inventory::{CollectError, Resource};

/// Resources mapped from configuration items, and the attributes items did not carry.
#[derive(Default)]
pub(super) struct Mapped {
    pub resources: Vec<Resource>,
    /// (scope label, kind, pointer) -> how many resources lack it.
    gaps: BTreeMap<(String, String, String), usize>,
}

impl Mapped {
    /// Marks `pointer` of `r` as unknown because the configuration item does not carry it.
    pub(super) fn gap(&mut self, r: &mut Resource, pointer: &str) {
        set_pointer(&mut r.attrs, pointer, Value::Null);
        r.unknown.insert(pointer.to_string());
        if let crate::inventory::Source::Aws { account, region } = &r.source {
            *self
                .gaps
                .entry((
                    format!("{account}/{region}/{SERVICE}"),
                    r.kind.clone(),
                    pointer.to_string(),
                ))
                .or_default() += 1;
        }
    }

    pub(super) fn gap_errors(&self) -> Vec<CollectError> {
        self.gaps
            .iter()
            .map(|((scope, kind, pointer), count)| {
                error(
                    scope.clone(),
                    Vec::new(),
                    format!("{count} {kind}: {pointer} not read: the AWS Config configuration item does not carry it"),
                )
            })
            .collect()
    }

    pub(super) fn finish_into(self, out: &mut Out) {
        out.errors.extend(self.gap_errors());
        out.resources.extend(self.resources);
    }

    pub(super) fn by_scope(&mut self) -> BTreeMap<(String, String), Vec<Resource>> {
        let mut map: BTreeMap<(String, String), Vec<Resource>> = BTreeMap::new();
        for r in std::mem::take(&mut self.resources) {
            if let crate::inventory::Source::Aws { account, region } = &r.source {
                map.entry((account.clone(), region.clone()))
                    .or_default()
                    .push(r);
            }
        }
        map
    }
}

/// A key of a JSON object, compared case-insensitively (Config writes `dBInstanceIdentifier`,
/// `sSEDescription`, `multiAZ`).
pub(super) fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let map = v.as_object()?;
    map.get(key)
        .or_else(|| {
            map.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_null())
}

pub(super) fn path<'a>(v: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v, |v, k| get(v, k))
}

pub(super) fn str_of(v: &Value, key: &str) -> Option<String> {
    get(v, key).and_then(Value::as_str).map(str::to_string)
}

pub(super) fn sv(v: &Value, key: &str) -> Value {
    get(v, key).cloned().map_or(Value::Null, |x| match x {
        Value::String(_) => x,
        Value::Null => Value::Null,
        other => Value::String(other.to_string()),
    })
}

/// A value as text, as [`sv`] gives it, for the shape builders' facts.
pub(super) fn text(v: &Value, key: &str) -> Option<String> {
    sv(v, key).as_str().map(str::to_string)
}

/// A boolean, as [`bv`] reads it.
pub(super) fn flag(v: &Value, key: &str) -> Option<bool> {
    bv(v, key).as_bool()
}

/// An integer, as [`nv`] reads it.
pub(super) fn int(v: &Value, key: &str) -> Option<i64> {
    nv(v, key).as_i64()
}

pub(super) fn se(v: &Value, key: &str) -> Value {
    match sv(v, key) {
        Value::Null => json!(""),
        x => x,
    }
}

pub(super) fn bv(v: &Value, key: &str) -> Value {
    match get(v, key) {
        Some(Value::Bool(b)) => json!(b),
        Some(Value::String(s)) => json!(s.eq_ignore_ascii_case("true")),
        _ => Value::Null,
    }
}

pub(super) fn nv(v: &Value, key: &str) -> Value {
    match get(v, key) {
        Some(Value::Number(n)) => Value::Number(n.clone()),
        Some(Value::String(s)) => s.parse::<i64>().map_or(Value::Null, |n| json!(n)),
        _ => Value::Null,
    }
}

pub(super) fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    get(v, key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// Config often nests JSON in strings (twice for an S3 bucket's ACL).
pub(super) fn parse_nested(v: Value) -> Value {
    match v {
        Value::String(s) => match serde_json::from_str::<Value>(&s) {
            Ok(inner) => parse_nested(inner),
            Err(_) => Value::String(s),
        },
        other => other,
    }
}

/// Tags from an item: a `tags`/`tagList` list of `{key, value}` or a map.
pub(super) fn item_tags(config: &Value) -> Option<Value> {
    let tags = get(config, "tags").or_else(|| get(config, "tagList"))?;
    match tags {
        Value::Object(map) => Some(tag_map(map.iter().map(|(k, v)| {
            (
                k.as_str(),
                v.as_str()
                    .or_else(|| get(v, "Value").and_then(Value::as_str)),
            )
        }))),
        Value::Array(items) => Some(tag_map(items.iter().map(|t| {
            (
                get(t, "key").and_then(Value::as_str),
                get(t, "value").and_then(Value::as_str),
            )
        }))),
        _ => None,
    }
}

/// One configuration item, parsed.
pub(super) struct Item {
    pub scope: Scope,
    pub id: String,
    pub name: String,
    pub arn: Option<String>,
    pub config: Value,
    pub supplementary: HashMap<String, Value>,
}

impl Item {
    pub(super) fn sup(&self, key: &str) -> Option<&Value> {
        self.supplementary.get(key).filter(|v| !v.is_null())
    }

    /// The main resource, with tags from the item (unknown when it carries none).
    pub(super) fn resource(
        &self,
        kind: &str,
        name: &str,
        mut attrs: Value,
        mapped: &mut Mapped,
    ) -> Resource {
        let tags = item_tags(&self.config);
        attrs["arn"] = attrs
            .get("arn")
            .cloned()
            .filter(|a| !a.is_null())
            .unwrap_or_else(|| json!(self.arn));
        let mut r = self.scope.resource(kind, name, self.arn.clone(), attrs);
        match tags {
            Some(t) => r.attrs["tags"] = t,
            None => mapped.gap(&mut r, "/tags"),
        }
        r
    }
}

pub(super) fn strings_of(v: &Value, key: &str) -> Vec<String> {
    list(v, key)
        .iter()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_json_strings_are_unwrapped() {
        let twice = Value::String(serde_json::to_string(&r#"{"grantList":[]}"#).unwrap());
        assert_eq!(parse_nested(twice), json!({"grantList": []}));
        assert_eq!(
            get(&json!({"multiAZ": true}), "multiAz"),
            Some(&json!(true))
        );
    }
}
