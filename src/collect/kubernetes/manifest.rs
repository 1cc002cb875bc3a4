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
    if let Err((line, message)) = containers_shape(node) {
        return Err(CollectError {
            collector: COLLECTOR.into(),
            scope: path.to_string(),
            line: Some(line),
            column: None,
            kinds: Vec::new(),
            message,
            warning: false,
        });
    }
    let source = Source::File {
        path: path.to_string(),
        start_line: node.line,
        end_line: node.last_line(),
        module_calls: Vec::new(),
    };
    let at = format!("{path}:{}", node.line);
    Ok(resource(obj, &identity, "manifest", source, Some(&at)))
}

/// The container lists of a workload's pod spec are lists of objects: anything else
/// (`containers: "notalist"`, a container written as a map of names) is an error at its
/// line, not a pod that policies over its containers would pass for having none.
fn containers_shape(node: &Node) -> Result<(), (u32, String)> {
    let kind = node.get("kind").and_then(Node::as_str).unwrap_or("");
    let path: &[&str] = match kind {
        "Pod" => &["spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &["spec", "template", "spec"],
        _ => return Ok(()),
    };
    let Some(spec) = path.iter().try_fold(node, |n, key| n.get(key)) else {
        return Ok(());
    };
    let at = path.join(".");
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(value) = spec.get(list) else {
            continue;
        };
        match &value.value {
            NodeValue::Null => {}
            NodeValue::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    if !matches!(item.value, NodeValue::Map(_)) {
                        return Err((
                            item.line,
                            format!(
                                "{at}.{list}[{i}] is {}, not a container (an object)",
                                what(item)
                            ),
                        ));
                    }
                }
            }
            _ => {
                return Err((
                    value.line,
                    format!("{at}.{list} is {}, not a list of containers", what(value)),
                ));
            }
        }
    }
    Ok(())
}

fn what(node: &Node) -> &'static str {
    match node.value {
        NodeValue::Null => "null",
        NodeValue::Bool(_) => "a boolean",
        NodeValue::Number(_) => "a number",
        NodeValue::String(_) => "a string",
        NodeValue::Seq(_) => "a list",
        NodeValue::Map(_) => "a map",
    }
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

    #[test]
    fn container_lists_of_the_wrong_shape_are_errors_at_their_line() {
        let err = |text: &str| {
            let docs = parse("m.yaml", text).unwrap();
            collect("m.yaml", &docs).unwrap_err()
        };
        let e =
            err("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: notalist\n");
        assert_eq!(e.line, Some(5));
        assert!(
            e.message
                .ends_with("spec.containers is a string, not a list of containers"),
            "{}",
            e.message
        );
        let e = err(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n  template:\n    spec:\n      containers:\n        app: {image: nginx}\n",
        );
        assert_eq!(e.line, Some(8));
        assert!(
            e.message.contains("spec.template.spec.containers is a map"),
            "{}",
            e.message
        );
        let e = err(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n    - nginx\n",
        );
        assert_eq!(e.line, Some(6));
        assert!(
            e.message
                .contains("spec.containers[0] is a string, not a container"),
            "{}",
            e.message
        );
        let docs = parse("m.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n    - {name: app, image: nginx}\n").unwrap();
        assert_eq!(collect("m.yaml", &docs).unwrap().len(), 1);
    }
}
