//! GitHub Actions workflows (`.github/workflows/*.yml`): one `github_workflow` resource per
//! file, the workflow document in `attrs`, the line of every key in `attr_lines`.
//!
//! `on:` is kept under `/on` whatever the YAML reader made of the key (YAML 1.1 reads a bare
//! `on` as `true`). Literal secrets are redacted before anything is stored: a string under a
//! key named like a secret (`env: {API_TOKEN: ...}`) unless it is a `${{ ... }}` expression
//! (a reference, not a value), and every well-known token shape anywhere in the document.

use serde_json::{Map, Value};

use crate::inventory::{CollectError, Resource, Source};
use crate::redact::{REDACTED, is_secret_name, mask_tokens};
use crate::yaml::{Node, NodeValue};

/// The collector's name in runs and errors.
pub const COLLECTOR: &str = "github-actions";

/// The resource kind.
pub const KIND: &str = "github_workflow";

/// Whether a parsed YAML document is a workflow: a mapping with `jobs` and a trigger.
pub fn looks_like_workflow(doc: &Node) -> bool {
    doc.get("jobs")
        .is_some_and(|j| matches!(j.value, NodeValue::Map(_)))
        && (doc.get("on").is_some() || doc.get("true").is_some())
}

/// Reads one workflow file.
pub fn collect(path: &str, text: &str) -> Result<Resource, CollectError> {
    let error = |line: Option<u32>, column: Option<u32>, message: String| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line,
        column,
        kinds: vec![KIND.into()],
        message,
        warning: false,
    };
    let docs = crate::yaml::documents(text)
        .map_err(|e| error(e.line, e.column, format!("invalid YAML: {}", e.message)))?;
    let docs: Vec<&Node> = docs
        .iter()
        .filter(|d| !matches!(d.value, NodeValue::Null))
        .collect();
    let [doc] = docs.as_slice() else {
        return Err(error(
            None,
            None,
            format!(
                "a workflow is one YAML document, this file has {}",
                docs.len()
            ),
        ));
    };
    if !matches!(doc.value, NodeValue::Map(_)) {
        return Err(error(
            Some(doc.line),
            None,
            "a workflow is a mapping".into(),
        ));
    }
    if doc.get("jobs").is_none() {
        return Err(error(
            Some(doc.line),
            None,
            "no `jobs:` in this workflow".into(),
        ));
    }
    if let Some(jobs) = doc.get("jobs")
        && !matches!(jobs.value, NodeValue::Map(_))
    {
        return Err(error(
            Some(jobs.line),
            None,
            "`jobs:` must map job ids to jobs".into(),
        ));
    }
    let mut r = Resource::new(
        format!("github:workflow:{path}"),
        KIND,
        Source::File {
            path: path.to_string(),
            start_line: doc.line,
            end_line: doc.last_line(),
            module_calls: Vec::new(),
        },
    );
    r.name = match doc.get("name").and_then(Node::as_str) {
        Some(name) => format!("{path} ({name})"),
        None => path.to_string(),
    };
    let mut attrs = to_json(doc, "", &mut r.attr_lines, true);
    redact_literals(&mut attrs, false);
    r.attrs = attrs;
    Ok(r)
}

/// The document as JSON, `true` renamed `on` at the top, recording every pointer's line.
fn to_json(
    node: &Node,
    pointer: &str,
    lines: &mut std::collections::BTreeMap<String, u32>,
    top: bool,
) -> Value {
    if !pointer.is_empty() {
        lines.insert(pointer.to_string(), node.line);
    }
    match &node.value {
        NodeValue::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                let key = if top && k == "true" { "on" } else { k.as_str() };
                let p = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                map.insert(key.to_string(), to_json(v, &p, lines, false));
            }
            Value::Object(map)
        }
        NodeValue::Seq(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| to_json(v, &format!("{pointer}/{i}"), lines, false))
                .collect(),
        ),
        _ => node.to_json(),
    }
}

fn is_expression(s: &str) -> bool {
    let t = s.trim();
    t.starts_with("${{") && t.ends_with("}}") && t.matches("${{").count() == 1
}

fn redact_literals(v: &mut Value, secret: bool) {
    match v {
        Value::String(s) if secret && !s.is_empty() && !is_expression(s) => {
            *s = REDACTED.to_string();
        }
        Value::String(s) => {
            let masked = mask_tokens(s);
            if masked != *s {
                *s = masked;
            }
        }
        Value::Number(_) if secret => *v = Value::String(REDACTED.into()),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                redact_literals(v, secret || is_secret_name(k));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| redact_literals(i, secret)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_on_and_lines_and_redacts_literal_secrets() {
        let text = "name: ci\non:\n  push:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n      API_TOKEN: hunter2\n      GH_TOKEN: ${{ secrets.GH_TOKEN }}\n    steps:\n      - uses: actions/checkout@v4\n";
        let r = collect(".github/workflows/ci.yml", text).expect("collects");
        assert!(r.attrs.get("on").is_some(), "{}", r.attrs);
        assert_eq!(r.attrs["jobs"]["build"]["env"]["API_TOKEN"], REDACTED);
        assert_eq!(
            r.attrs["jobs"]["build"]["env"]["GH_TOKEN"],
            "${{ secrets.GH_TOKEN }}"
        );
        assert_eq!(r.attr_line("/jobs/build/steps/0/uses"), Some(11));
        assert_eq!(r.name, ".github/workflows/ci.yml (ci)");
    }

    #[test]
    fn bad_workflows_name_the_line() {
        let e = collect("w.yml", "on: push\njobs: [a]\n").expect_err("jobs list");
        assert_eq!(e.line, Some(2));
        let e = collect("w.yml", "on: push\njobs:\n  a: {\n").expect_err("yaml");
        assert!(e.line.is_some(), "{e:?}");
    }
}
