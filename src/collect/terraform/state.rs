//! Terraform state (format version 4, Terraform 0.12 and later).
//!
//! State is the provider's record of what exists, so every value is known. It also holds
//! secrets in plain text (database passwords, private keys): values listed in an instance's
//! `sensitive_attributes` are redacted, and the name-based pass catches the rest.

use serde::Deserialize;
use serde_json::Value;

use super::{cloud_id, display_name, escape, index_suffix, redact_marked, tags};
use crate::collect::json_lines::element_lines;
use crate::inventory::{CollectError, Resource, Source};

const COLLECTOR: &str = "terraform-state";

/// The parts of a state plumb reads; `outputs` (which hold secrets) are skipped unread.
#[derive(Deserialize)]
struct StateDoc {
    #[serde(default)]
    version: Value,
    #[serde(default)]
    resources: Vec<StateResource>,
}

#[derive(Deserialize)]
struct StateResource {
    #[serde(default)]
    module: String,
    #[serde(default)]
    mode: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    instances: Vec<Instance>,
}

#[derive(Deserialize)]
struct Instance {
    #[serde(default)]
    index_key: Option<Value>,
    #[serde(default)]
    attributes: Value,
    #[serde(default)]
    sensitive_attributes: Value,
}

/// Every managed resource instance in the state.
pub fn collect(path: &str, text: &str) -> Result<Vec<Resource>, CollectError> {
    let error = |line: Option<u32>, message: String| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line,
        column: None,
        kinds: Vec::new(),
        message,
        warning: false,
    };
    let doc: StateDoc = serde_json::from_str(text)
        .map_err(|e| error(Some(e.line() as u32), format!("not a Terraform state: {e}")))?;
    let version = doc.version.as_u64().unwrap_or(0);
    if version != 4 {
        return Err(error(
            None,
            format!(
                "state version {version} is not supported (plumb reads version 4, Terraform 0.12 and later)"
            ),
        ));
    }
    let lines = element_lines(text, "resources");
    let mut out = Vec::new();
    for (i, res) in doc.resources.into_iter().enumerate() {
        if res.mode != "managed" {
            continue;
        }
        let (line, end_line) = lines.get(i).copied().unwrap_or((1, 1));
        if res.kind.is_empty() || res.name.is_empty() {
            return Err(error(
                Some(line),
                format!("resources[{i}] has no type or name"),
            ));
        }
        let prefix = if res.module.is_empty() {
            String::new()
        } else {
            format!("{}.", res.module)
        };
        for instance in res.instances {
            let address = format!(
                "{prefix}{}.{}{}",
                res.kind,
                res.name,
                index_suffix(instance.index_key.as_ref())
            );
            let mut r = Resource::new(
                format!("tf:{address}"),
                res.kind.as_str(),
                Source::File {
                    path: path.to_string(),
                    start_line: line,
                    end_line,
                    module_calls: Vec::new(),
                },
            );
            r.attrs = match instance.attributes {
                v @ Value::Object(_) => v,
                // Absent: an instance written before attributes were recorded (or only
                // `attributes_flat`).
                Value::Null => Value::Object(Default::default()),
                other => {
                    return Err(error(
                        Some(line),
                        format!(
                            "resources[{i}] ({address}): attributes is {}, not an object",
                            json_kind(&other)
                        ),
                    ));
                }
            };
            let sensitive = sensitive_paths(Some(&instance.sensitive_attributes));
            redact_marked(&mut r, &sensitive);
            r.tags = tags(&r.attrs, &r.unknown).0;
            r.cloud_id = cloud_id(&res.kind, &r.attrs);
            r.name = display_name(&address, &r.attrs);
            out.push(r);
        }
    }
    Ok(out)
}

/// `sensitive_attributes` as JSON pointers. Each entry is a path: a list of steps
/// `{"type": "get_attr", "value": "password"}` / `{"type": "index", "value": {"value": 0}}`.
fn sensitive_paths(v: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(paths)) = v else {
        return Vec::new();
    };
    paths
        .iter()
        .filter_map(|path| {
            let steps: Vec<&Value> = match path {
                Value::Array(steps) => steps.iter().collect(),
                step @ Value::Object(_) => vec![step],
                _ => return None,
            };
            let mut pointer = String::new();
            for step in steps {
                let value = step.get("value")?;
                let key = match value {
                    Value::String(s) => s.clone(),
                    // Index steps wrap the key: {"value": 0, "type": "number"}.
                    Value::Object(o) => match o.get("value")? {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                    other => other.to_string(),
                };
                pointer.push('/');
                pointer.push_str(&escape(&key));
            }
            Some(pointer)
        })
        .collect()
}

/// What a JSON value is, for messages.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_that_are_not_an_object_are_an_error_at_their_resource() {
        let state = |attributes: Value| {
            json!({"version": 4, "lineage": "l", "resources": [{
                "mode": "managed", "type": "aws_s3_bucket", "name": "logs",
                "instances": [{"attributes": attributes}]
            }]})
            .to_string()
        };
        let e = collect("s.tfstate", &state(json!("notanobject"))).unwrap_err();
        assert_eq!(
            e.message,
            "resources[0] (aws_s3_bucket.logs): attributes is a string, not an object"
        );
        assert!(e.line.is_some());
        assert!(collect("s.tfstate", &state(json!([1]))).is_err());
        let ok = collect("s.tfstate", &state(json!({"bucket": "logs"}))).unwrap();
        assert_eq!(ok[0].attrs["bucket"], "logs");
    }

    #[test]
    fn reads_both_sensitive_path_shapes() {
        let v = json!([
            [{"type": "get_attr", "value": "password"}],
            [{"type": "get_attr", "value": "settings"}, {"type": "index", "value": {"value": 0, "type": "number"}}],
            {"type": "get_attr", "value": "token"}
        ]);
        assert_eq!(
            sensitive_paths(Some(&v)),
            ["/password", "/settings/0", "/token"]
        );
    }
}
