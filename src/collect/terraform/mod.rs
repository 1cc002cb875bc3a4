//! Terraform collectors: source directories (`.tf`, `.tf.json`), plan JSON
//! (`terraform show -json`) and state (version 4).
//!
//! All produce resources in the provider's attribute shape, addressed exactly as Terraform
//! addresses them (`module.store["invoices"].aws_s3_bucket.this`, `aws_ebs_volume.scratch[0]`).

pub mod hcl;
pub mod plan;
pub mod state;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::inventory::Resource;
use crate::redact::{redact_all, redact_resource};

/// `[0]` or `["key"]`, as Terraform writes an instance key.
pub fn index_suffix(index: Option<&Value>) -> String {
    match index {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => format!("[{}]", Value::String(s.clone())),
        Some(other) => format!("[{other}]"),
    }
}

/// The id the provider gives a resource, for drift matching: its ARN when known, an S3
/// bucket's ARN from its name (S3 ARNs carry no account or region), else its `id`.
pub fn cloud_id(kind: &str, attrs: &Value) -> Option<String> {
    let text = |k: &str| {
        attrs
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(arn) = text("arn") {
        return Some(arn.to_string());
    }
    if kind == "aws_s3_bucket"
        && let Some(bucket) = text("bucket")
    {
        return Some(format!("arn:aws:s3:::{bucket}"));
    }
    text("id").map(str::to_string)
}

/// Attributes that hold a resource's human name, most specific first.
const NAME_ATTRS: &[&str] = &[
    "bucket",
    "identifier",
    "cluster_identifier",
    "name",
    "function_name",
    "table_name",
];

/// A short name for messages: the first naming attribute that is known, else the address.
pub fn display_name(address: &str, attrs: &Value) -> String {
    NAME_ATTRS
        .iter()
        .filter_map(|k| attrs.get(*k).and_then(Value::as_str))
        .find(|s| !s.is_empty())
        .map_or_else(|| address.to_string(), str::to_string)
}

/// Tags as strings: `tags_all` (provider default tags included) when known, else `tags`.
/// Returns whether the tags are unknown.
pub fn tags(attrs: &Value, unknown: &BTreeSet<String>) -> (BTreeMap<String, String>, bool) {
    let pick = if attrs.get("tags_all").is_some_and(Value::is_object) {
        "tags_all"
    } else {
        "tags"
    };
    let mut out = BTreeMap::new();
    if let Some(Value::Object(map)) = attrs.get(pick) {
        for (k, v) in map {
            if let Some(s) = v.as_str() {
                out.insert(k.clone(), s.to_string());
            } else if !v.is_null() {
                out.insert(k.clone(), v.to_string());
            }
        }
    }
    let tags_unknown = unknown
        .iter()
        .any(|u| u == &format!("/{pick}") || u.starts_with(&format!("/{pick}/")))
        && !(pick == "tags_all" && attrs.get("tags").is_some_and(Value::is_object));
    (out, tags_unknown)
}

/// Escapes a key for a JSON pointer.
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Walks a Terraform "marks" tree (`after_unknown`, `after_sensitive`: the value's shape with
/// `true` where marked) and calls `f` with the JSON pointer of every marked position.
pub fn marked(tree: &Value, pointer: &mut String, f: &mut impl FnMut(&str)) {
    match tree {
        Value::Bool(true) => f(pointer),
        Value::Object(map) => {
            for (k, v) in map {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(k));
                marked(v, pointer, f);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                marked(v, pointer, f);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Sets the value at `pointer`, creating objects along the way where absent.
pub fn set_pointer(root: &mut Value, pointer: &str, value: Value) {
    let mut cur = root;
    let parts: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if cur.is_null() {
            *cur = Value::Object(Default::default());
        }
        cur = match cur {
            Value::Object(map) => {
                if last {
                    map.insert(part.clone(), value);
                    return;
                }
                map.entry(part.clone()).or_insert(Value::Null)
            }
            Value::Array(items) => match part.parse::<usize>() {
                Ok(n) if n < items.len() => {
                    if last {
                        items[n] = value;
                        return;
                    }
                    &mut items[n]
                }
                _ => return,
            },
            _ => return,
        };
    }
}

/// Redacts the sensitive positions a source marked, then the attributes the provider schema
/// marks sensitive for the resource's type, then runs the name and shape pass.
pub fn redact_marked(r: &mut Resource, sensitive: &[String]) {
    for pointer in sensitive {
        if pointer.is_empty() {
            redact_all(&mut r.attrs);
        } else if let Some(v) = r.attrs.pointer_mut(pointer)
            && !v.is_null()
            && !v.is_boolean()
        {
            redact_all(v);
        }
    }
    redact_resource(&r.kind, &mut r.attrs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn formats_instance_keys_like_terraform() {
        assert_eq!(index_suffix(None), "");
        assert_eq!(index_suffix(Some(&json!(0))), "[0]");
        assert_eq!(index_suffix(Some(&json!("invoices"))), "[\"invoices\"]");
    }

    #[test]
    fn walks_marks() {
        let mut seen = Vec::new();
        marked(
            &json!({"arn": true, "rule": [{"kms": true, "alg": false}], "tags": {"a/b": true}}),
            &mut String::new(),
            &mut |p| seen.push(p.to_string()),
        );
        assert_eq!(seen, ["/arn", "/rule/0/kms", "/tags/a~1b"]);
    }

    #[test]
    fn sets_nested_pointers() {
        let mut v = json!({"a": [{"b": 1}]});
        set_pointer(&mut v, "/a/0/c", json!(null));
        set_pointer(&mut v, "/x/y", json!(2));
        assert_eq!(v, json!({"a": [{"b": 1, "c": null}], "x": {"y": 2}}));
    }
}
