//! Kubernetes objects into resources, from manifest files ([`manifest`]) or live clusters
//! (`live`, with the `kubernetes` cargo feature).
//!
//! Both sources share one model, built here: a resource's `kind` is `k8s/<Kind>`, its
//! `cloud_id` is `<group>/<Kind>:<namespace>/<name>` (`<group>/<Kind>:<name>` for cluster-wide
//! kinds; the core group is `core`), and its id is `k8s:<cluster>:<cloud_id>`, where the
//! cluster is the kubeconfig context for live objects and `manifest` for files. A manifest
//! and the live object it produced therefore share a `cloud_id`. Live objects first lose the
//! fields the API server sets ([`server_fields`]), so both give the same facets.

pub mod helm;
pub mod kustomize;
#[cfg(feature = "kubernetes")]
pub mod live;
pub mod manifest;
pub mod server_fields;

use serde_json::Value;

use crate::inventory::{Resource, Source, Suppression};
use crate::redact::{redact, redact_all};

pub use manifest::{collect, looks_like_manifest, parse};

/// The annotation that suppresses policies on an object: `POLICY-ID reason`, one per line
/// (or separated by `;`).
pub const IGNORE_ANNOTATION: &str = "plumb.dev/ignore";

/// The annotation `kubectl apply` stores the whole applied object in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

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

/// Whether objects of `kind` live outside namespaces.
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// Where an object sits: its API group and kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The API group, `core` for the core group (`v1`).
    pub group: String,
    pub kind: String,
    /// Empty for cluster-wide kinds; `default` for a namespaced object that names none.
    pub namespace: String,
    /// The name, or `<generateName>*` for an object named by the server on creation.
    pub name: String,
}

impl Identity {
    /// Reads an object's identity; the error says what is missing.
    pub fn of(obj: &Value) -> Result<Identity, String> {
        let text = |p: &str| obj.pointer(p).and_then(Value::as_str).unwrap_or("");
        let (api_version, kind) = (text("/apiVersion"), text("/kind"));
        if api_version.is_empty() || kind.is_empty() {
            return Err("expected a Kubernetes object with apiVersion and kind".into());
        }
        let name = match (text("/metadata/name"), text("/metadata/generateName")) {
            ("", "") => return Err(format!("{kind} has no metadata.name")),
            ("", generate) => format!("{generate}*"),
            (name, _) => name.to_string(),
        };
        let group = match api_version.split_once('/') {
            Some((group, _)) => group,
            None => "core",
        };
        let namespace = if CLUSTER_SCOPED.contains(&kind) {
            ""
        } else {
            match text("/metadata/namespace") {
                "" => "default",
                ns => ns,
            }
        };
        Ok(Identity {
            group: group.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name,
        })
    }

    /// `<group>/<Kind>:<namespace>/<name>`, or `<group>/<Kind>:<name>` for cluster-wide kinds:
    /// the `cloud_id` manifests and live objects share.
    pub fn object_id(&self) -> String {
        let Identity {
            group,
            kind,
            namespace,
            name,
        } = self;
        if namespace.is_empty() {
            format!("{group}/{kind}:{name}")
        } else {
            format!("{group}/{kind}:{namespace}/{name}")
        }
    }

    /// `namespace/name`, or the name of a cluster-wide object.
    pub fn display_name(&self) -> String {
        if self.namespace.is_empty() {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }
}

/// The resource for one object, read in `cluster` (`manifest` for files). Secrets are
/// redacted, labels become tags, `plumb.dev/ignore` becomes suppressions (`at` says where it
/// was written, when that is a file position).
pub(crate) fn resource(
    mut obj: Value,
    identity: &Identity,
    cluster: &str,
    source: Source,
    at: Option<&str>,
) -> Resource {
    let object_id = identity.object_id();
    let suppressions = suppressions(obj.pointer("/metadata/annotations"), at);
    protect_secrets(&identity.kind, &mut obj);

    let mut r = Resource::new(
        format!("k8s:{cluster}:{object_id}"),
        format!("k8s/{}", identity.kind),
        source,
    );
    r.cloud_id = Some(object_id);
    r.name = identity.display_name();
    if let Some(Value::Object(labels)) = obj.pointer("/metadata/labels") {
        for (k, v) in labels {
            r.tags.insert(
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            );
        }
    }
    r.suppressions = suppressions;
    r.attrs = obj;
    r
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
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
    redact(obj);
}

/// Parses `plumb.dev/ignore`: `PLB-K8S-001 runs a CNI agent; PLB-K8S-004 vendor image`.
/// `at` is where the annotation was written (`file:line`), when known.
pub fn suppressions(annotations: Option<&Value>, at: Option<&str>) -> Vec<Suppression> {
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
                at: at.map(str::to_string),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identities_follow_group_scope_and_defaults() {
        let id = Identity::of(&json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "pay"}}))
        .unwrap();
        assert_eq!(id.object_id(), "apps/Deployment:pay/api");
        assert_eq!(id.display_name(), "pay/api");
        let id = Identity::of(&json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"generateName": "cfg-"}}))
        .unwrap();
        assert_eq!(id.object_id(), "core/ConfigMap:default/cfg-*");
        let id = Identity::of(&json!({"apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole", "metadata": {"name": "ops", "namespace": "ignored"}}))
        .unwrap();
        assert_eq!(id.object_id(), "rbac.authorization.k8s.io/ClusterRole:ops");
        let err = Identity::of(&json!({"apiVersion": "v1", "kind": "Pod"})).unwrap_err();
        assert_eq!(err, "Pod has no metadata.name");
    }

    #[test]
    fn parses_ignore_annotations() {
        let a = json!({IGNORE_ANNOTATION: "PLB-K8S-001 CNI agent needs it; PLB-K8S-002"});
        let s = suppressions(Some(&a), Some("m.yaml:3"));
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].reason, "CNI agent needs it");
        assert_eq!(s[0].at.as_deref(), Some("m.yaml:3"));
        assert_eq!(s[1].reason, "");
        assert_eq!(suppressions(Some(&a), None)[0].at, None);
    }
}
