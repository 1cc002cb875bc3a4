//! Terraform state (format version 4, Terraform 0.12 and later).
//!
//! State is the provider's record of what exists, so every value is known. It also holds
//! secrets in plain text (database passwords, private keys): values listed in an instance's
//! `sensitive_attributes` are redacted, and the name-based pass catches the rest.

use serde_json::Value;

use super::{cloud_id, display_name, escape, index_suffix, redact_marked, tags};
use crate::collect::json_lines::element_lines;
use crate::inventory::{CollectError, Resource, Source};

const COLLECTOR: &str = "terraform-state";

/// Whether a JSON document is a Terraform state.
pub fn is_state(doc: &Value) -> bool {
    doc.get("version").is_some_and(Value::is_number)
        && doc.get("resources").is_some_and(Value::is_array)
        && (doc.get("lineage").is_some() || doc.get("terraform_version").is_some())
}

/// Every managed resource instance in the state.
pub fn collect(path: &str, text: &str, doc: &Value) -> Result<Vec<Resource>, CollectError> {
    let error = |message: String| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line: None,
        column: None,
        kinds: Vec::new(),
        message,
    };
    let version = doc.get("version").and_then(Value::as_u64).unwrap_or(0);
    if version != 4 {
        return Err(error(format!(
            "state version {version} is not supported (plumb reads version 4, Terraform 0.12 and later)"
        )));
    }
    let lines = element_lines(text, "resources");
    let mut out = Vec::new();
    let resources = doc["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for (i, res) in resources.iter().enumerate() {
        if res.get("mode").and_then(Value::as_str) != Some("managed") {
            continue;
        }
        let field = |k: &str| res.get(k).and_then(Value::as_str).unwrap_or("");
        let (kind, name, module) = (field("type"), field("name"), field("module"));
        if kind.is_empty() || name.is_empty() {
            return Err(error(format!("resources[{i}] has no type or name")));
        }
        let (line, end_line) = lines.get(i).copied().unwrap_or((1, 1));
        let prefix = if module.is_empty() {
            String::new()
        } else {
            format!("{module}.")
        };
        for instance in res
            .get("instances")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let address = format!(
                "{prefix}{kind}.{name}{}",
                index_suffix(instance.get("index_key"))
            );
            let mut r = Resource::new(
                format!("tf:{address}"),
                kind,
                Source::File {
                    path: path.to_string(),
                    start_line: line,
                    end_line,
                    module_calls: Vec::new(),
                },
            );
            r.attrs = match instance.get("attributes") {
                Some(v @ Value::Object(_)) => v.clone(),
                _ => Value::Object(Default::default()),
            };
            let sensitive = sensitive_paths(instance.get("sensitive_attributes"));
            redact_marked(&mut r, &sensitive);
            r.tags = tags(&r.attrs, &r.unknown).0;
            r.cloud_id = cloud_id(kind, &r.attrs);
        r.name = display_name(&r.id[3..], &r.attrs);
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
