//! Fields the API server sets on the objects it stores, removed so that a live object reads
//! like the manifest that produced it.
//!
//! A Deployment applied from a twenty-line manifest comes back from the API with its status,
//! bookkeeping metadata (`managedFields`, `resourceVersion`, `uid`, ...) and every default the
//! server filled in (`dnsPolicy: ClusterFirst`, `terminationMessagePath`, a rolling-update
//! strategy, ...). [`normalise`] removes those, so the live object and its manifest have the
//! same attributes and therefore the same facets and verdicts.
//!
//! Only values that *equal* the server's default are removed, and only for fields manifests
//! rarely spell out. Fields that carry intent are kept even at their default value
//! (`replicas`, `policyTypes`, `minReplicas`, `serviceAccountName` in templates), because a
//! policy reading them must see what the cluster runs. The defaults are those of the
//! Kubernetes API's defaulting functions (`pkg/apis/*/v1/defaults.go`) and admission plugins
//! (service account token volume, default tolerations, priority).
//!
//! Applying [`normalise`] twice, or to a manifest, is harmless: it only removes.

use serde_json::{Map, Value, json};

/// Annotations the control plane writes on the objects it manages.
const SERVER_ANNOTATIONS: &[&str] = &[
    super::LAST_APPLIED_ANNOTATION,
    "deployment.kubernetes.io/revision",
    "deprecated.daemonset.template.generation",
];

/// Object metadata only the server writes.
const SERVER_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
];

/// Labels a Job's controller adds to its pod template and generated selector.
const JOB_CONTROLLER_LABELS: &[&str] = &[
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
];

/// Removes server-set fields and server defaults from one live object (with its `kind`).
pub fn normalise(obj: &mut Value) {
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let Some(map) = obj.as_object_mut() else {
        return;
    };
    map.remove("status");
    if let Some(Value::Object(meta)) = map.get_mut("metadata") {
        object_metadata(&kind, meta);
    }
    let Some(Value::Object(spec)) = map.get_mut("spec") else {
        return;
    };
    match kind.as_str() {
        "Pod" => pod_spec(spec, true),
        "Deployment" => {
            remove_eq(
                spec,
                "strategy",
                &json!({"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            remove_eq(spec, "revisionHistoryLimit", &json!(10));
            remove_eq(spec, "progressDeadlineSeconds", &json!(600));
            pod_template(spec.get_mut("template"));
        }
        "StatefulSet" => {
            remove_eq(spec, "podManagementPolicy", &json!("OrderedReady"));
            remove_eq(
                spec,
                "updateStrategy",
                &json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            );
            remove_eq(spec, "revisionHistoryLimit", &json!(10));
            remove_eq(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                &json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            for claim in items_mut(spec, "volumeClaimTemplates") {
                claim_template(claim);
            }
            pod_template(spec.get_mut("template"));
        }
        "DaemonSet" => {
            remove_eq(
                spec,
                "updateStrategy",
                &json!({"type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
            );
            remove_eq(spec, "revisionHistoryLimit", &json!(10));
            pod_template(spec.get_mut("template"));
        }
        "ReplicaSet" => pod_template(spec.get_mut("template")),
        "Job" => job_spec(spec),
        "CronJob" => {
            remove_eq(spec, "concurrencyPolicy", &json!("Allow"));
            remove_eq(spec, "suspend", &json!(false));
            remove_eq(spec, "successfulJobsHistoryLimit", &json!(3));
            remove_eq(spec, "failedJobsHistoryLimit", &json!(1));
            if let Some(Value::Object(job)) = spec.get_mut("jobTemplate") {
                template_metadata(job);
                if let Some(Value::Object(job_spec)) = job.get_mut("spec") {
                    pod_template(job_spec.get_mut("template"));
                }
            }
        }
        "Service" => service_spec(spec),
        "NetworkPolicy" => {
            for direction in ["ingress", "egress"] {
                for rule in items_mut(spec, direction) {
                    if let Value::Object(rule) = rule {
                        for port in items_mut(rule, "ports") {
                            remove_eq_in(port, "protocol", &json!("TCP"));
                        }
                    }
                }
            }
        }
        "Namespace" => {
            remove_eq(spec, "finalizers", &json!(["kubernetes"]));
        }
        "HorizontalPodAutoscaler" => {
            remove_eq(spec, "selectionStrategy", &json!("LabelSelector"));
        }
        _ => {}
    }
    if spec.is_empty() {
        map.remove("spec");
    }
}

fn object_metadata(kind: &str, meta: &mut Map<String, Value>) {
    for field in SERVER_METADATA {
        meta.remove(*field);
    }
    if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
        for name in SERVER_ANNOTATIONS {
            annotations.remove(*name);
        }
    }
    if kind == "Namespace" {
        let name = meta.get("name").cloned();
        if let (Some(Value::Object(labels)), Some(name)) = (meta.get_mut("labels"), name)
            && labels.get("kubernetes.io/metadata.name") == Some(&name)
        {
            labels.remove("kubernetes.io/metadata.name");
        }
    }
    remove_empty(meta, "annotations");
    remove_empty(meta, "labels");
}

/// The metadata of an embedded template: the server writes `creationTimestamp: null` there.
fn template_metadata(template: &mut Map<String, Value>) {
    if let Some(Value::Object(meta)) = template.get_mut("metadata") {
        remove_eq(meta, "creationTimestamp", &Value::Null);
    }
    remove_empty(template, "metadata");
}

fn pod_template(template: Option<&mut Value>) {
    let Some(Value::Object(template)) = template else {
        return;
    };
    template_metadata(template);
    if let Some(Value::Object(spec)) = template.get_mut("spec") {
        pod_spec(spec, false);
    }
}

/// A pod spec. `pod` is true for a Pod object, which also gets the defaults and admission
/// changes templates never receive.
fn pod_spec(spec: &mut Map<String, Value>, pod: bool) {
    remove_eq(spec, "dnsPolicy", &json!("ClusterFirst"));
    // Jobs must name OnFailure or Never themselves; Always is only ever the default.
    remove_eq(spec, "restartPolicy", &json!("Always"));
    remove_eq(spec, "schedulerName", &json!("default-scheduler"));
    remove_eq(spec, "securityContext", &json!({}));
    remove_eq(spec, "terminationGracePeriodSeconds", &json!(30));
    // The server repeats serviceAccountName in the deprecated serviceAccount field.
    if spec.get("serviceAccount").is_some()
        && spec.get("serviceAccount") == spec.get("serviceAccountName")
    {
        spec.remove("serviceAccount");
    }
    if pod {
        admitted_pod(spec);
    }
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        for c in items_mut(spec, list) {
            if let Value::Object(c) = c {
                container(c);
            }
        }
    }
    for volume in items_mut(spec, "volumes") {
        let Value::Object(volume) = volume else {
            continue;
        };
        for source in ["configMap", "secret", "downwardAPI", "projected"] {
            if let Some(Value::Object(source)) = volume.get_mut(source) {
                remove_eq(source, "defaultMode", &json!(420));
                for projection in items_mut(source, "sources") {
                    if let Some(Value::Object(token)) = projection.get_mut("serviceAccountToken") {
                        remove_eq(token, "expirationSeconds", &json!(3600));
                    }
                }
            }
        }
        if let Some(Value::Object(host_path)) = volume.get_mut("hostPath") {
            remove_eq(host_path, "type", &json!(""));
        }
    }
}

/// What the API server and its admission plugins add to a Pod on creation: scheduling
/// results, the service account and its token volume, default tolerations and priority.
fn admitted_pod(spec: &mut Map<String, Value>) {
    remove_eq(spec, "enableServiceLinks", &json!(true));
    spec.remove("nodeName");
    remove_eq(spec, "serviceAccountName", &json!("default"));
    if spec.get("priorityClassName").is_none() {
        remove_eq(spec, "priority", &json!(0));
    }
    remove_eq(spec, "preemptionPolicy", &json!("PreemptLowerPriority"));
    if let Some(Value::Array(tolerations)) = spec.get_mut("tolerations") {
        tolerations.retain(|t| {
            ![
                "node.kubernetes.io/not-ready",
                "node.kubernetes.io/unreachable",
            ]
            .iter()
            .any(|key| {
                *t == json!({"key": key, "operator": "Exists", "effect": "NoExecute",
                        "tolerationSeconds": 300})
            })
        });
    }
    remove_empty(spec, "tolerations");

    // The service account admission plugin mounts a projected token volume named
    // kube-api-access-<random> into every container.
    let mut token_volumes = Vec::new();
    if let Some(Value::Array(volumes)) = spec.get_mut("volumes") {
        volumes.retain(|v| {
            let injected = v
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.starts_with("kube-api-access-"))
                && v.get("projected").is_some();
            if injected {
                token_volumes.push(v["name"].clone());
            }
            !injected
        });
    }
    remove_empty(spec, "volumes");
    if token_volumes.is_empty() {
        return;
    }
    for list in ["initContainers", "containers"] {
        for c in items_mut(spec, list) {
            let Value::Object(c) = c else { continue };
            if let Some(Value::Array(mounts)) = c.get_mut("volumeMounts") {
                mounts.retain(|m| !m.get("name").is_some_and(|n| token_volumes.contains(n)));
            }
            remove_empty(c, "volumeMounts");
        }
    }
}

fn container(c: &mut Map<String, Value>) {
    remove_eq(c, "terminationMessagePath", &json!("/dev/termination-log"));
    remove_eq(c, "terminationMessagePolicy", &json!("File"));
    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
    let pull = default_pull_policy(image);
    remove_eq(c, "imagePullPolicy", &json!(pull));
    remove_eq(c, "resources", &json!({}));
    for port in items_mut(c, "ports") {
        remove_eq_in(port, "protocol", &json!("TCP"));
    }
    for var in items_mut(c, "env") {
        if let Some(Value::Object(field)) = var.pointer_mut("/valueFrom/fieldRef") {
            remove_eq(field, "apiVersion", &json!("v1"));
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(Value::Object(probe)) = c.get_mut(probe) {
            remove_eq(probe, "timeoutSeconds", &json!(1));
            remove_eq(probe, "periodSeconds", &json!(10));
            remove_eq(probe, "successThreshold", &json!(1));
            remove_eq(probe, "failureThreshold", &json!(3));
            http_get(probe);
        }
    }
    if let Some(Value::Object(lifecycle)) = c.get_mut("lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(Value::Object(hook)) = lifecycle.get_mut(hook) {
                http_get(hook);
            }
        }
    }
}

fn http_get(handler: &mut Map<String, Value>) {
    if let Some(Value::Object(get)) = handler.get_mut("httpGet") {
        remove_eq(get, "scheme", &json!("HTTP"));
    }
}

/// The pull policy the server gives a container that names none: `Always` for `:latest` or an
/// image with neither tag nor digest, `IfNotPresent` otherwise.
fn default_pull_policy(image: &str) -> &'static str {
    let (name, digest) = image.split_once('@').unwrap_or((image, ""));
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map_or("", |(_, tag)| tag);
    if tag == "latest" || (tag.is_empty() && digest.is_empty()) {
        "Always"
    } else {
        "IfNotPresent"
    }
}

fn claim_template(claim: &mut Value) {
    let Value::Object(claim) = claim else { return };
    remove_eq(claim, "apiVersion", &json!("v1"));
    remove_eq(claim, "kind", &json!("PersistentVolumeClaim"));
    claim.remove("status");
    template_metadata(claim);
    if let Some(Value::Object(spec)) = claim.get_mut("spec") {
        remove_eq(spec, "volumeMode", &json!("Filesystem"));
    }
}

fn job_spec(spec: &mut Map<String, Value>) {
    // Completions and parallelism are defaulted together, to 1.
    if spec.get("parallelism") == Some(&json!(1)) {
        spec.remove("parallelism");
        remove_eq(spec, "completions", &json!(1));
    }
    remove_eq(spec, "backoffLimit", &json!(6));
    remove_eq(spec, "completionMode", &json!("NonIndexed"));
    remove_eq(spec, "suspend", &json!(false));
    remove_eq(spec, "podReplacementPolicy", &json!("TerminatingOrFailed"));
    // Unless the author chose a selector (manualSelector), the Job controller generates one
    // from the Job's uid and labels the pod template to match.
    if spec.get("manualSelector") != Some(&json!(true)) {
        let generated = spec.get("selector").is_some_and(|s| {
            s.get("matchExpressions").is_none()
                && s.get("matchLabels")
                    .and_then(Value::as_object)
                    .is_some_and(|m| {
                        m.keys()
                            .all(|k| JOB_CONTROLLER_LABELS.contains(&k.as_str()))
                    })
        });
        if generated {
            spec.remove("selector");
        }
        if let Some(Value::Object(meta)) =
            spec.get_mut("template").and_then(|t| t.get_mut("metadata"))
        {
            if let Some(Value::Object(labels)) = meta.get_mut("labels") {
                for label in JOB_CONTROLLER_LABELS {
                    labels.remove(*label);
                }
            }
            remove_empty(meta, "labels");
        }
    }
    pod_template(spec.get_mut("template"));
}

fn service_spec(spec: &mut Map<String, Value>) {
    let ty = spec
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP")
        .to_string();
    // Addresses and node ports are allocated by the server; a headless service's `None` is
    // the author's choice.
    if spec.get("clusterIP") != Some(&json!("None")) {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    } else {
        remove_eq(spec, "clusterIPs", &json!(["None"]));
    }
    if spec.get("ipFamilyPolicy") == Some(&json!("SingleStack")) {
        spec.remove("ipFamilyPolicy");
        spec.remove("ipFamilies");
    }
    spec.remove("healthCheckNodePort");
    remove_eq(spec, "type", &json!("ClusterIP"));
    remove_eq(spec, "sessionAffinity", &json!("None"));
    remove_eq(spec, "internalTrafficPolicy", &json!("Cluster"));
    remove_eq(spec, "externalTrafficPolicy", &json!("Cluster"));
    if ty == "LoadBalancer" {
        remove_eq(spec, "allocateLoadBalancerNodePorts", &json!(true));
    }
    for port in items_mut(spec, "ports") {
        let Value::Object(port) = port else { continue };
        remove_eq(port, "protocol", &json!("TCP"));
        if port.get("targetPort").is_some() && port.get("targetPort") == port.get("port") {
            port.remove("targetPort");
        }
        if ty != "ClusterIP" {
            port.remove("nodePort");
        }
    }
}

/// The elements of an array field (none when absent or not an array).
fn items_mut<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a mut Value> {
    map.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

fn remove_eq(map: &mut Map<String, Value>, key: &str, default: &Value) {
    if map.get(key) == Some(default) {
        map.remove(key);
    }
}

fn remove_eq_in(obj: &mut Value, key: &str, default: &Value) {
    if let Value::Object(map) = obj {
        remove_eq(map, key, default);
    }
}

fn remove_empty(map: &mut Map<String, Value>, key: &str) {
    let empty = match map.get(key) {
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    if empty {
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_policy_defaults_follow_the_tag() {
        assert_eq!(default_pull_policy("nginx"), "Always");
        assert_eq!(default_pull_policy("nginx:latest"), "Always");
        assert_eq!(default_pull_policy("registry:5000/nginx"), "Always");
        assert_eq!(
            default_pull_policy("registry:5000/nginx:1.27"),
            "IfNotPresent"
        );
        assert_eq!(default_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn only_values_equal_to_the_default_are_removed() {
        let mut obj = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "a", "uid": "u", "annotations": {"deployment.kubernetes.io/revision": "3"}},
            "spec": {
                "replicas": 1,
                "revisionHistoryLimit": 5,
                "progressDeadlineSeconds": 600,
                "template": {"metadata": {"creationTimestamp": null},
                    "spec": {"dnsPolicy": "Default", "restartPolicy": "Always",
                        "containers": [{"name": "c", "image": "app:1", "imagePullPolicy": "Always",
                            "ports": [{"containerPort": 80, "protocol": "UDP"}, {"containerPort": 81, "protocol": "TCP"}]}]}}
            },
            "status": {"replicas": 1}
        });
        normalise(&mut obj);
        assert_eq!(
            obj,
            json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "a"},
                "spec": {
                    "replicas": 1,
                    "revisionHistoryLimit": 5,
                    "template": {"spec": {"dnsPolicy": "Default",
                        "containers": [{"name": "c", "image": "app:1", "imagePullPolicy": "Always",
                            "ports": [{"containerPort": 80, "protocol": "UDP"}, {"containerPort": 81}]}]}}
                }
            })
        );
        let once = obj.clone();
        normalise(&mut obj);
        assert_eq!(obj, once, "idempotent");
    }

    #[test]
    fn pods_lose_what_admission_added() {
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "debug", "namespace": "default"},
            "spec": {
                "nodeName": "node-1", "serviceAccount": "default", "serviceAccountName": "default",
                "priority": 0, "preemptionPolicy": "PreemptLowerPriority", "enableServiceLinks": true,
                "tolerations": [
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                    {"key": "dedicated", "operator": "Equal", "value": "debug", "effect": "NoSchedule"}
                ],
                "volumes": [{"name": "kube-api-access-x7k2p", "projected": {"defaultMode": 420, "sources": []}},
                    {"name": "data", "emptyDir": {}}],
                "containers": [{"name": "sh", "image": "busybox:1.36", "volumeMounts": [
                    {"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true},
                    {"name": "data", "mountPath": "/data"}]}]
            }
        });
        normalise(&mut pod);
        assert_eq!(
            pod["spec"],
            json!({
                "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "debug", "effect": "NoSchedule"}],
                "volumes": [{"name": "data", "emptyDir": {}}],
                "containers": [{"name": "sh", "image": "busybox:1.36",
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}]
            })
        );
    }

    #[test]
    fn services_lose_allocations_but_keep_headless_and_chosen_ports() {
        let mut svc = json!({
            "apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},
            "spec": {"clusterIP": "None", "clusterIPs": ["None"], "type": "ClusterIP",
                "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "sessionAffinity": "None",
                "internalTrafficPolicy": "Cluster",
                "ports": [{"port": 5432, "targetPort": 5432, "protocol": "TCP"},
                    {"port": 443, "targetPort": "https", "protocol": "TCP"}]}
        });
        normalise(&mut svc);
        assert_eq!(
            svc["spec"],
            json!({"clusterIP": "None", "ports": [{"port": 5432}, {"port": 443, "targetPort": "https"}]})
        );
    }
}
