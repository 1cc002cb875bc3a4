//! Kubernetes manifests: YAML (multi-document) or JSON files, `List` kinds, rendered Helm or
//! Kustomize output. Each object becomes a resource with the lines it spans.

use serde_json::Value;

use crate::inventory::{CollectError, Resource, Source, Suppression};
use crate::redact::{redact, redact_all};
use crate::yaml::{self, Node, NodeValue};

const COLLECTOR: &str = "kubernetes-manifest";

/// The annotation that suppresses policies on an object: `POLICY-ID reason`, one per line
/// (or separated by `;`).
pub const IGNORE_ANNOTATION: &str = "plumb.dev/ignore";

/// Kinds that live outside namespaces.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "APIService",
    "RuntimeClass",
    "CSIDriver",
];

/// Whether any document of a parsed YAML/JSON stream looks like a Kubernetes object.
pub fn looks_like_manifest(docs: &[Node]) -> bool {
    docs.iter().any(|d| {
        d.get("apiVersion").and_then(Node::as_str).is_some()
            && d.get("kind").and_then(Node::as_str).is_some()
    })
}

/// The objects of a manifest file. `cluster` names where they are meant to run (`manifest`
/// for files).
pub fn collect(path: &str, docs: &[Node]) -> Result<Vec<Resource>, CollectError> {
    let mut out = Vec::new();
    for (n, doc) in docs.iter().enumerate() {
        if matches!(doc.value, NodeValue::Null) {
            continue;
        }
        let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
        let items = doc
            .get("items")
            .filter(|_| kind == "List" || kind.ends_with("List"));
        match items.map(|i| &i.value) {
            Some(NodeValue::Seq(items)) => {
                for item in items {
                    out.push(object(path, item)?);
                }
            }
            _ => out.push(object(path, doc).map_err(|mut e| {
                if e.line.is_none() {
                    e.line = Some(doc.line);
                }
                e.message = format!("document {}: {}", n + 1, e.message);
                e
            })?),
        }
    }
    Ok(out)
}

fn object(path: &str, node: &Node) -> Result<Resource, CollectError> {
    let error = |message: String| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line: Some(node.line),
        column: None,
        kinds: Vec::new(),
        message,
    };
    let mut obj = node.to_json();
    let text = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (api_version, kind) = (text("/apiVersion"), text("/kind"));
    if api_version.is_empty() || kind.is_empty() {
        return Err(error(
            "expected a Kubernetes object with apiVersion and kind".into(),
        ));
    }
    let name = match text("/metadata/name") {
        n if !n.is_empty() => n,
        _ => match text("/metadata/generateName") {
            g if !g.is_empty() => format!("{g}*"),
            _ => return Err(error(format!("{kind} has no metadata.name"))),
        },
    };
    let group = match api_version.split_once('/') {
        Some((group, _)) => group.to_string(),
        None => "core".to_string(),
    };
    let namespaced = !CLUSTER_SCOPED.contains(&kind.as_str());
    let namespace = if namespaced {
        match text("/metadata/namespace") {
            ns if ns.is_empty() => "default".to_string(),
            ns => ns,
        }
    } else {
        String::new()
    };
    let object_id = if namespaced {
        format!("{group}/{kind}:{namespace}/{name}")
    } else {
        format!("{group}/{kind}:{name}")
    };

    let annotations = obj.pointer("/metadata/annotations").cloned();
    protect_secrets(&kind, &mut obj);

    let mut r = Resource::new(
        format!("k8s:manifest:{object_id}"),
        format!("k8s/{kind}"),
        Source::File {
            path: path.to_string(),
            start_line: node.line,
            end_line: node.last_line(),
            module_calls: Vec::new(),
        },
    );
    r.cloud_id = Some(object_id);
    r.name = if namespaced {
        format!("{namespace}/{name}")
    } else {
        name
    };
    if let Some(Value::Object(labels)) = obj.pointer("/metadata/labels") {
        for (k, v) in labels {
            r.tags.insert(
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            );
        }
    }
    r.suppressions = suppressions(annotations.as_ref(), &format!("{path}:{}", node.line));
    r.attrs = obj;
    Ok(r)
}

/// Secret data never leaves the collector; `last-applied-configuration` annotations repeat
/// the whole object, secrets included, so they go too.
pub fn protect_secrets(kind: &str, obj: &mut Value) {
    if kind == "Secret" {
        for field in ["data", "stringData"] {
            if let Some(v) = obj.get_mut(field) {
                redact_all(v);
            }
        }
    }
    if let Some(Value::Object(annotations)) = obj.pointer_mut("/metadata/annotations") {
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
    redact(obj);
}

/// Parses `plumb.dev/ignore`: `PLB-K8S-001 runs a CNI agent; PLB-K8S-004 vendor image`.
pub fn suppressions(annotations: Option<&Value>, at: &str) -> Vec<Suppression> {
    let Some(text) = annotations
        .and_then(|a| a.get(IGNORE_ANNOTATION))
        .and_then(Value::as_str)
    else {
        return Vec::new();
    };
    text.split(['\n', ';'])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let (id, reason) = entry.split_once(char::is_whitespace).unwrap_or((entry, ""));
            Suppression {
                policy_id: id.trim_end_matches(':').to_string(),
                reason: reason.trim().to_string(),
                at: Some(at.to_string()),
            }
        })
        .collect()
}

/// Parses a manifest text (YAML or JSON) into documents.
pub fn parse(path: &str, text: &str) -> Result<Vec<Node>, CollectError> {
    yaml::documents(text).map_err(|e| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line: e.line,
        column: e.column,
        kinds: Vec::new(),
        message: e.message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Vec<Resource> {
        collect("m.yaml", &parse("m.yaml", text).unwrap()).unwrap()
    }

    #[test]
    fn reads_documents_lists_and_lines() {
        let rs = load(
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: pay\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: api\n    namespace: pay\n    labels: {app: api}\n",
        );
        assert_eq!(rs.len(), 2);
        assert_eq!(rs[0].id, "k8s:manifest:core/Namespace:pay");
        assert_eq!(rs[1].id, "k8s:manifest:apps/Deployment:pay/api");
        assert_eq!(rs[1].kind, "k8s/Deployment");
        assert_eq!(rs[1].tags["app"], "api");
        assert_eq!(rs[1].location().unwrap().start_line, 9);
        assert_eq!(rs[1].location().unwrap().end_line, 14);
    }

    #[test]
    fn redacts_secrets() {
        let rs = load(
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: hunter2\n  url: postgres://u:p@h/db\n",
        );
        let text = serde_json::to_string(&rs[0].attrs).unwrap();
        assert!(
            !text.contains("hunter2") && !text.contains("u:p@h"),
            "{text}"
        );
    }

    #[test]
    fn objects_without_kind_are_errors_with_a_line() {
        let docs = parse(
            "m.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nfoo: bar\n",
        )
        .unwrap();
        let err = collect("m.yaml", &docs).unwrap_err();
        assert_eq!(err.line, Some(5));
        assert!(err.message.contains("document 2"), "{}", err.message);
    }

    #[test]
    fn parses_ignore_annotations() {
        let a =
            serde_json::json!({IGNORE_ANNOTATION: "PLB-K8S-001 CNI agent needs it; PLB-K8S-002"});
        let s = suppressions(Some(&a), "m.yaml:3");
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].reason, "CNI agent needs it");
        assert_eq!(s[1].reason, "");
    }
}
