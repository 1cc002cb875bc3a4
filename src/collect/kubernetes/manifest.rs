//! Kubernetes manifests: YAML (multi-document) or JSON files, `List` kinds, rendered Helm or
//! Kustomize output. Each object becomes a resource with the lines it spans, in the cluster
//! named `manifest`.

use crate::inventory::{CollectError, Resource, Source};
use crate::yaml::{self, Node, NodeValue};

use super::{Identity, resource};

const COLLECTOR: &str = "kubernetes-manifest";

/// Whether any document of a parsed YAML/JSON stream looks like a Kubernetes object.
pub fn looks_like_manifest(docs: &[Node]) -> bool {
    docs.iter().any(|d| {
        d.get("apiVersion").and_then(Node::as_str).is_some()
            && d.get("kind").and_then(Node::as_str).is_some()
    })
}

/// The objects of a manifest file.
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
    let obj = node.to_json();
    let identity = Identity::of(&obj).map_err(|message| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line: Some(node.line),
        column: None,
        kinds: Vec::new(),
        message,
        warning: false,
    })?;
    let source = Source::File {
        path: path.to_string(),
        start_line: node.line,
        end_line: node.last_line(),
        module_calls: Vec::new(),
    };
    let at = format!("{path}:{}", node.line);
    Ok(resource(obj, &identity, "manifest", source, Some(&at)))
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
        warning: false,
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
}
