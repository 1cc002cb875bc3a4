//! Facet derivers for Kubernetes objects. Every workload kind exposes its pod template through
//! the same facets, so one policy covers Pods, Deployments, CronJobs and the rest. Defaults are
//! the API server's (an omitted `replicas` is 1, an omitted service account is `default`).

use serde_json::{Map, Value, json};

use super::Derive;
use super::facets::{POD_TEMPLATE, RBAC_RULES, Setter};
use super::kinds::{Kind, SCALED, namespaced};

const POD_FACETS: &[&[&str]] = &[POD_TEMPLATE, &["namespace"]];
const REPLICATED_POD_FACETS: &[&[&str]] = &[POD_TEMPLATE, &["replicas", "namespace"]];

/// Every Kubernetes kind with facets, read alike from manifests and live clusters.
pub(super) const KINDS: &[Kind] = &[
    Kind::kubernetes("k8s/Pod", workload).facets(POD_FACETS),
    Kind::kubernetes("k8s/Deployment", workload)
        .facets(&[POD_TEMPLATE, &["replicas", "strategy", "namespace"]])
        .satellites(&[SCALED])
        .attributes(&[("replicas", "/spec/replicas")]),
    Kind::kubernetes("k8s/StatefulSet", workload)
        .facets(REPLICATED_POD_FACETS)
        .satellites(&[SCALED])
        .attributes(&[("replicas", "/spec/replicas")]),
    Kind::kubernetes("k8s/DaemonSet", workload).facets(POD_FACETS),
    Kind::kubernetes("k8s/ReplicaSet", workload)
        .facets(REPLICATED_POD_FACETS)
        .satellites(&[SCALED])
        .attributes(&[("replicas", "/spec/replicas")]),
    Kind::kubernetes("k8s/Job", workload).facets(POD_FACETS),
    Kind::kubernetes("k8s/CronJob", workload).facets(POD_FACETS),
    Kind::kubernetes("k8s/Namespace", namespace)
        .facets(&[&[
            "has_network_policy",
            "has_default_deny",
            "has_resource_quota",
            "has_limit_range",
        ]])
        .satellites(&[
            namespaced("k8s/NetworkPolicy"),
            namespaced("k8s/ResourceQuota"),
            namespaced("k8s/LimitRange"),
        ]),
    Kind::kubernetes("k8s/Role", role).facets(&[RBAC_RULES, &["namespace"]]),
    Kind::kubernetes("k8s/ClusterRole", role).facets(&[RBAC_RULES]),
    Kind::kubernetes("k8s/RoleBinding", binding).facets(&[&["namespace", "role_ref", "subjects"]]),
    Kind::kubernetes("k8s/ClusterRoleBinding", binding).facets(&[&["role_ref", "subjects"]]),
    Kind::kubernetes("k8s/NetworkPolicy", network_policy).facets(&[&[
        "namespace",
        "selects_all_pods",
        "default_deny_ingress",
        "allows_all_ingress",
    ]]),
    Kind::kubernetes("k8s/Service", service).facets(&[&[
        "namespace",
        "service_type",
        "internal_load_balancer",
        "ports",
        "source_ranges",
    ]]),
    Kind::kubernetes("k8s/HorizontalPodAutoscaler", autoscaler).facets(&[&[
        "namespace",
        "min_replicas",
        "max_replicas",
        "cpu_target",
        "memory_target",
    ]]),
    Kind::kubernetes("k8s/PeerAuthentication", peer_authentication)
        .facets(&[&["namespace", "mtls_mode"]]),
];

/// The pod spec inside an object of a workload kind.
pub(super) fn pod_spec<'a>(kind: &str, obj: &'a Value) -> Option<&'a Value> {
    let pointer = match kind {
        "k8s/Pod" => "/spec",
        "k8s/CronJob" => "/spec/jobTemplate/spec/template/spec",
        _ => "/spec/template/spec",
    };
    obj.pointer(pointer)
}

fn namespace_of(obj: &Value) -> String {
    obj.pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
        .unwrap_or("default")
        .to_string()
}

fn truthy(v: Option<&Value>) -> bool {
    v.and_then(Value::as_bool).unwrap_or(false)
}

fn workload(d: &Derive<'_>, f: &mut Setter<'_>) {
    let obj = &d.r.attrs;
    let empty = Value::Null;
    let spec = pod_spec(&d.r.kind, obj).unwrap_or(&empty);
    let pod_security = spec.get("securityContext");

    let mut containers = Vec::new();
    // Seccomp and AppArmor profiles: the field, or the annotation older manifests use; the
    // container's own before the pod's.
    let annotations = match d.r.kind.as_str() {
        "k8s/Pod" => obj.pointer("/metadata/annotations"),
        "k8s/CronJob" => obj.pointer("/spec/jobTemplate/spec/template/metadata/annotations"),
        _ => obj.pointer("/spec/template/metadata/annotations"),
    };
    let annotated = |name: &str| {
        annotations
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
            .map(profile_annotation)
    };
    let field = |context: Option<&Value>, field: &str| {
        context
            .and_then(|s| s.get(field))
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let pod_seccomp = field(pod_security, "seccompProfile")
        .or_else(|| annotated("seccomp.security.alpha.kubernetes.io/pod"));
    let pod_apparmor = field(pod_security, "appArmorProfile");
    // A container list that is not a list of objects (`containers: "notalist"`, containers
    // written as a map of names) leaves the containers unknown, whatever source produced it:
    // a pod that policies would pass for having no containers is not a verdict.
    let mut well_formed = true;
    for (list, init) in [("initContainers", true), ("containers", false)] {
        let items: &[Value] = match spec.get(list) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(items)) => items,
            Some(_) => {
                well_formed = false;
                &[]
            }
        };
        for c in items {
            if !c.is_object() {
                well_formed = false;
                continue;
            }
            let name = c.get("name").and_then(Value::as_str).unwrap_or("");
            let own = c.get("securityContext");
            let profile = |name_field: &str, annotation: &str, pod: &Option<String>| {
                field(own, name_field)
                    .or_else(|| annotated(&format!("{annotation}/{name}")))
                    .or_else(|| pod.clone())
                    .unwrap_or_default()
            };
            let seccomp = profile(
                "seccompProfile",
                "container.seccomp.security.alpha.kubernetes.io",
                &pod_seccomp,
            );
            let apparmor = profile(
                "appArmorProfile",
                "container.apparmor.security.beta.kubernetes.io",
                &pod_apparmor,
            );
            containers.push(container(
                c,
                init,
                pod_security,
                Profiles { seccomp, apparmor },
            ));
        }
    }
    f.set(
        "containers",
        well_formed.then_some(Value::Array(containers)),
    );
    f.set("host_network", Some(truthy(spec.get("hostNetwork"))));
    f.set("host_pid", Some(truthy(spec.get("hostPID"))));
    f.set("host_ipc", Some(truthy(spec.get("hostIPC"))));
    let host_paths: Vec<Value> = items(Some(spec), "volumes")
        .filter_map(|v| v.pointer("/hostPath/path").cloned())
        .collect();
    f.set("host_path_volumes", Some(Value::Array(host_paths)));
    f.set(
        "host_aliases",
        Some(items(Some(spec), "hostAliases").next().is_some()),
    );
    let sysctls: Vec<Value> = items(pod_security, "sysctls")
        .filter_map(|s| s.get("name").cloned())
        .collect();
    f.set("sysctls", Some(Value::Array(sysctls)));
    // fsGroup is added to every container's supplementary groups.
    let groups: Vec<Value> = items(pod_security, "supplementalGroups")
        .chain(pod_security.and_then(|s| s.get("fsGroup")))
        .filter(|g| g.is_i64())
        .cloned()
        .collect();
    f.set("supplemental_groups", Some(Value::Array(groups)));
    if matches!(
        d.r.kind.as_str(),
        "k8s/Deployment" | "k8s/StatefulSet" | "k8s/ReplicaSet"
    ) {
        // An autoscaler targeting the workload owns its replica count: its minReplicas
        // (default 1) is what runs at the least.
        let replicas = match d.one("k8s/HorizontalPodAutoscaler") {
            Some(hpa) => Some(
                hpa.attrs
                    .pointer("/spec/minReplicas")
                    .and_then(Value::as_i64)
                    .unwrap_or(1),
            ),
            None => match obj.pointer("/spec/replicas") {
                None | Some(Value::Null) => Some(1),
                Some(v) => v.as_i64(),
            },
        };
        f.set("replicas", replicas);
    }
    if d.r.kind == "k8s/Deployment" {
        f.set(
            "strategy",
            Some(
                obj.pointer("/spec/strategy/type")
                    .and_then(Value::as_str)
                    .unwrap_or("RollingUpdate"),
            ),
        );
    }
    f.set("namespace", Some(namespace_of(obj)));
    f.set(
        "namespace_declared",
        Some(
            obj.pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .is_some_and(|ns| !ns.is_empty()),
        ),
    );
    let account = spec
        .get("serviceAccountName")
        .or_else(|| spec.get("serviceAccount"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    f.set("service_account", Some(account));
    f.set(
        "automount_service_account_token",
        Some(
            spec.get("automountServiceAccountToken")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        ),
    );
}

/// A seccomp or AppArmor annotation as the profile type its field would name: `runtime/default`
/// (and seccomp's `docker/default`) is the runtime's default profile.
fn profile_annotation(value: &str) -> String {
    match value {
        "runtime/default" | "docker/default" => "RuntimeDefault".into(),
        "unconfined" => "Unconfined".into(),
        v if v.starts_with("localhost/") => "Localhost".into(),
        v => v.to_string(),
    }
}

/// The registry host of an image reference: the first path segment when it looks like a
/// host (has a dot or a port, or is `localhost`), else Docker Hub.
pub(super) fn image_registry(image: &str) -> &str {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first
        }
        _ => "docker.io",
    }
}

/// The profiles a container runs under, each from its field or the annotation older
/// manifests use, the container's before the pod's.
struct Profiles {
    seccomp: String,
    apparmor: String,
}

fn container(c: &Value, init: bool, pod_security: Option<&Value>, profiles: Profiles) -> Value {
    let Profiles { seccomp, apparmor } = profiles;
    let sc = c.get("securityContext");
    let setting = |name: &str| {
        sc.and_then(|s| s.get(name))
            .filter(|v| !v.is_null())
            .or_else(|| {
                pod_security
                    .and_then(|s| s.get(name))
                    .filter(|v| !v.is_null())
            })
    };
    let run_as_user = setting("runAsUser").and_then(Value::as_i64);
    let run_as_group = setting("runAsGroup").and_then(Value::as_i64);
    let selinux = |field: &str| {
        setting("seLinuxOptions")
            .and_then(|o| o.get(field))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let run_as_non_root = match setting("runAsNonRoot").and_then(Value::as_bool) {
        Some(b) => b || run_as_user.is_some_and(|u| u > 0),
        None => run_as_user.is_some_and(|u| u > 0),
    };
    let image = c.get("image").and_then(Value::as_str).unwrap_or("");
    let (tag, digest) = image_reference(image);
    let resources = |which: &str| {
        let mut out = Map::new();
        if let Some(Value::Object(map)) = c.pointer(&format!("/resources/{which}")) {
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.insert(k.clone(), Value::String(text));
            }
        }
        Value::Object(out)
    };
    let capabilities = |which: &str| -> Vec<String> {
        sc.and_then(|s| s.pointer(&format!("/capabilities/{which}")))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    let privileged = truthy(sc.and_then(|s| s.get("privileged")));
    let ports: Vec<i64> = c
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("containerPort").and_then(Value::as_i64))
        .collect();
    let host_ports: Vec<i64> = c
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("hostPort").and_then(Value::as_i64))
        .filter(|p| *p > 0)
        .collect();
    let secret_env = c
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|e| e.pointer("/valueFrom/secretKeyRef").is_some())
        || c.get("envFrom")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|e| e.get("secretRef").is_some());
    json!({
        "name": c.get("name").and_then(Value::as_str).unwrap_or(""),
        "init": init,
        "image": image,
        "image_tag": tag,
        "image_digest": digest,
        "registry": image_registry(image),
        "privileged": privileged,
        // Privileged containers and CAP_SYS_ADMIN always allow escalation.
        "allow_privilege_escalation": privileged
            || sc.and_then(|s| s.get("allowPrivilegeEscalation")).and_then(Value::as_bool).unwrap_or(true),
        "run_as_non_root": run_as_non_root,
        "read_only_root_fs": truthy(sc.and_then(|s| s.get("readOnlyRootFilesystem"))),
        "capabilities_added": capabilities("add"),
        "drops_all_capabilities": capabilities("drop").iter().any(|c| c.eq_ignore_ascii_case("ALL")),
        "seccomp": seccomp,
        "apparmor": apparmor,
        "run_as_user": run_as_user,
        "run_as_group": run_as_group,
        "proc_mount": sc.and_then(|s| s.get("procMount")).and_then(Value::as_str).unwrap_or("Default"),
        "selinux": {
            "type": selinux("type"),
            "user": selinux("user"),
            "role": selinux("role"),
            "level": selinux("level"),
        },
        "ports": ports,
        "host_ports": host_ports,
        "secret_env": secret_env,
        "limits": resources("limits"),
        "requests": resources("requests"),
        "liveness_probe": c.get("livenessProbe").is_some_and(|p| !p.is_null()),
        "readiness_probe": c.get("readinessProbe").is_some_and(|p| !p.is_null()),
    })
}

/// Splits `registry/repo:tag@sha256:...` into its tag (empty when none) and digest.
pub(super) fn image_reference(image: &str) -> (&str, &str) {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, digest),
        None => (image, ""),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map_or("", |(_, tag)| tag);
    (tag, digest)
}

/// A live collector that could not list a namespace's NetworkPolicies (ResourceQuotas,
/// LimitRanges) marks `/networkpolicies` (`/resourcequotas`, `/limitranges`) unknown on the
/// namespace: what was not read is unknown, not "none".
fn namespace(d: &Derive<'_>, f: &mut Setter<'_>) {
    let read = |satellites: &str| !d.r.is_unknown(satellites);
    let policies: Vec<_> = d.linked("k8s/NetworkPolicy").collect();
    let policies_read = read("/networkpolicies");
    f.set(
        "has_network_policy",
        policies_read.then_some(!policies.is_empty()),
    );
    f.set(
        "has_default_deny",
        policies_read.then(|| policies.iter().any(|p| denies_all_ingress(&p.attrs))),
    );
    f.set(
        "has_resource_quota",
        read("/resourcequotas").then(|| d.linked("k8s/ResourceQuota").next().is_some()),
    );
    f.set(
        "has_limit_range",
        read("/limitranges").then(|| d.linked("k8s/LimitRange").next().is_some()),
    );
}

fn selects_all(policy: &Value) -> bool {
    match policy.pointer("/spec/podSelector") {
        None | Some(Value::Null) => true,
        Some(Value::Object(sel)) => sel.values().all(|v| match v {
            Value::Object(m) => m.is_empty(),
            Value::Array(a) => a.is_empty(),
            Value::Null => true,
            _ => false,
        }),
        Some(_) => false,
    }
}

fn governs_ingress(policy: &Value) -> bool {
    match policy
        .pointer("/spec/policyTypes")
        .and_then(Value::as_array)
    {
        Some(types) => types.iter().any(|t| t.as_str() == Some("Ingress")),
        // Without policyTypes, a policy always governs ingress.
        None => true,
    }
}

fn ingress_rules(policy: &Value) -> &[Value] {
    policy
        .pointer("/spec/ingress")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn denies_all_ingress(policy: &Value) -> bool {
    selects_all(policy) && governs_ingress(policy) && ingress_rules(policy).is_empty()
}

fn network_policy(d: &Derive<'_>, f: &mut Setter<'_>) {
    let obj = &d.r.attrs;
    f.set("selects_all_pods", Some(selects_all(obj)));
    f.set("default_deny_ingress", Some(denies_all_ingress(obj)));
    f.set(
        "allows_all_ingress",
        Some(ingress_rules(obj).iter().any(|rule| {
            rule.get("from")
                .and_then(Value::as_array)
                .is_none_or(|from| from.is_empty())
        })),
    );
    f.set("namespace", Some(namespace_of(obj)));
}

/// The elements of the list `field` of an object (none when it is absent or not a list).
fn items<'a>(obj: Option<&'a Value>, field: &str) -> impl Iterator<Item = &'a Value> {
    obj.and_then(|o| o.get(field))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn rules(obj: &Value) -> impl Iterator<Item = &Value> {
    items(Some(obj), "rules")
}

fn strings<'a>(rule: &'a Value, field: &str) -> Vec<&'a str> {
    items(Some(rule), field).filter_map(Value::as_str).collect()
}

fn role(d: &Derive<'_>, f: &mut Setter<'_>) {
    let obj = &d.r.attrs;
    let mut wildcard_verbs = false;
    let mut wildcard_resources = false;
    let mut reads_secrets = false;
    let mut can_escalate = false;
    let mut creates_pods = false;
    let rules: Vec<Rule<'_>> = rules(obj).map(Rule::read).collect();
    for rule in &rules {
        let Rule {
            verbs,
            resources,
            groups,
            ..
        } = rule;
        let any_verb = verbs.contains(&"*");
        let any_resource = resources.contains(&"*");
        wildcard_verbs |= any_verb;
        wildcard_resources |= any_resource || groups.contains(&"*");
        let core = groups.is_empty() || groups.iter().any(|g| g.is_empty() || *g == "*");
        let on_secrets = core && (any_resource || resources.contains(&"secrets"));
        reads_secrets |= on_secrets
            && (any_verb || verbs.iter().any(|v| matches!(*v, "get" | "list" | "watch")));
        // `*` verbs include impersonate (on service accounts, users, groups) and escalate and
        // bind (on roles), and on bindings they grant any role to anyone.
        let rbac = groups
            .iter()
            .any(|g| *g == "*" || *g == "rbac.authorization.k8s.io");
        let escalating_resource = resources.iter().any(|r| {
            (core && matches!(*r, "serviceaccounts" | "users" | "groups"))
                || (rbac
                    && matches!(
                        *r,
                        "roles" | "clusterroles" | "rolebindings" | "clusterrolebindings"
                    ))
        });
        can_escalate |= verbs
            .iter()
            .any(|v| matches!(*v, "bind" | "escalate" | "impersonate"))
            || (any_verb && (any_resource || escalating_resource));
        let creates = any_verb || verbs.contains(&"create");
        creates_pods |= creates
            && (any_resource
                || resources.iter().any(|r| {
                    matches!(
                        *r,
                        "pods"
                            | "deployments"
                            | "statefulsets"
                            | "daemonsets"
                            | "replicasets"
                            | "jobs"
                            | "cronjobs"
                            | "replicationcontrollers"
                    )
                }));
    }
    f.set("grants", Some(grants(obj, &rules)));
    f.set("wildcard_verbs", Some(wildcard_verbs));
    f.set("wildcard_resources", Some(wildcard_resources));
    f.set("reads_secrets", Some(reads_secrets));
    f.set("can_escalate", Some(can_escalate));
    f.set("creates_pods", Some(creates_pods));
    if d.r.kind == "k8s/Role" {
        f.set("namespace", Some(namespace_of(obj)));
    }
}

/// A named permission a role may grant: any of `verbs` on any of `resources` (with `/` for a
/// subresource) in any of `groups` (`""` is the core group), on the objects named `names` (all
/// objects when empty) in `namespace` (any when `None`; a Role grants only in its own). Each
/// is a way to take over more than the role says on its face.
struct Permission {
    name: &'static str,
    namespace: Option<&'static str>,
    groups: &'static [&'static str],
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
    names: &'static [&'static str],
}

const WRITE: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

/// The permissions the `grants` facet names, in the order it lists them.
const PERMISSIONS: &[Permission] = &[
    // `kubectl exec` and `attach` open a stream with POST (create); older clients used GET.
    Permission {
        namespace: None,
        name: "exec_pods",
        groups: &[""],
        resources: &["pods/exec"],
        verbs: &["create", "get"],
        names: &[],
    },
    Permission {
        namespace: None,
        name: "attach_pods",
        groups: &[""],
        resources: &["pods/attach"],
        verbs: &["create", "get"],
        names: &[],
    },
    // The kubelet's API through the API server: exec into any pod of the node, unaudited.
    Permission {
        namespace: None,
        name: "proxy_nodes",
        groups: &[""],
        resources: &["nodes/proxy"],
        verbs: &["get", "create", "update", "patch", "delete"],
        names: &[],
    },
    Permission {
        namespace: None,
        name: "write_bindings",
        groups: &["rbac.authorization.k8s.io"],
        resources: &["rolebindings", "clusterrolebindings"],
        verbs: &["create", "update", "patch"],
        names: &[],
    },
    Permission {
        namespace: None,
        name: "write_webhooks",
        groups: &["admissionregistration.k8s.io"],
        resources: &[
            "validatingwebhookconfigurations",
            "mutatingwebhookconfigurations",
        ],
        verbs: WRITE,
        names: &[],
    },
    Permission {
        namespace: None,
        name: "approve_csrs",
        groups: &["certificates.k8s.io"],
        resources: &["certificatesigningrequests/approval"],
        verbs: &["update", "patch"],
        names: &[],
    },
    Permission {
        namespace: None,
        name: "write_service_status",
        groups: &[""],
        resources: &["services/status"],
        verbs: &["update", "patch"],
        names: &[],
    },
    Permission {
        namespace: None,
        name: "delete_pod_logs",
        groups: &[""],
        resources: &["pods/log"],
        verbs: &["delete", "deletecollection"],
        names: &[],
    },
    Permission {
        namespace: None,
        name: "write_configmaps",
        groups: &[""],
        resources: &["configmaps"],
        verbs: WRITE,
        names: &[],
    },
    Permission {
        namespace: None,
        name: "write_networking",
        groups: &["", "networking.k8s.io", "discovery.k8s.io", "extensions"],
        resources: &[
            "services",
            "endpoints",
            "endpointslices",
            "ingresses",
            "networkpolicies",
        ],
        verbs: WRITE,
        names: &[],
    },
    // EKS maps IAM roles to Kubernetes groups (`system:masters` among them) in this ConfigMap.
    Permission {
        namespace: Some("kube-system"),
        name: "write_aws_auth",
        groups: &[""],
        resources: &["configmaps"],
        verbs: &["update", "patch", "delete"],
        names: &["aws-auth"],
    },
];

/// One RBAC rule's lists, read once for every request it is asked about.
struct Rule<'a> {
    groups: Vec<&'a str>,
    resources: Vec<&'a str>,
    verbs: Vec<&'a str>,
    names: Vec<&'a str>,
}

impl<'a> Rule<'a> {
    fn read(rule: &'a Value) -> Self {
        Rule {
            groups: strings(rule, "apiGroups"),
            resources: strings(rule, "resources"),
            verbs: strings(rule, "verbs"),
            names: strings(rule, "resourceNames"),
        }
    }

    /// Whether the rule allows a request, as the API server's authorizer decides: `*` matches
    /// any group, verb or resource, `*/sub` any resource's subresource `sub`, and a rule with
    /// `resourceNames` only the objects it names.
    fn allows(&self, group: &str, resource: &str, verb: &str, name: Option<&str>) -> bool {
        let listed = |list: &[&str], wanted: &str| list.iter().any(|v| *v == "*" || *v == wanted);
        let resource_matches = self.resources.iter().any(|r| {
            *r == "*"
                || *r == resource
                || resource
                    .split_once('/')
                    .is_some_and(|(_, sub)| r.strip_prefix("*/") == Some(sub))
        });
        let name_matches = self.names.is_empty() || name.is_some_and(|n| self.names.contains(&n));
        listed(&self.groups, group) && listed(&self.verbs, verb) && resource_matches && name_matches
    }
}

/// The [`PERMISSIONS`] some rule of the role `obj` grants, by name.
fn grants(obj: &Value, rules: &[Rule<'_>]) -> Vec<&'static str> {
    let own_namespace =
        (obj.get("kind").and_then(Value::as_str) == Some("Role")).then(|| namespace_of(obj));
    let granted = |p: &Permission, rule: &Rule<'_>| {
        let on = |name| {
            p.groups.iter().any(|group| {
                p.resources.iter().any(|resource| {
                    p.verbs
                        .iter()
                        .any(|verb| rule.allows(group, resource, verb, name))
                })
            })
        };
        if p.names.is_empty() {
            on(None)
        } else {
            p.names.iter().any(|name| on(Some(name)))
        }
    };
    PERMISSIONS
        .iter()
        .filter(|p| match (&own_namespace, p.namespace) {
            (Some(own), Some(theirs)) => own == theirs,
            _ => true,
        })
        .filter(|p| rules.iter().any(|rule| granted(p, rule)))
        .map(|p| p.name)
        .collect()
}

fn binding(d: &Derive<'_>, f: &mut Setter<'_>) {
    let obj = &d.r.attrs;
    let role_ref = format!(
        "{}/{}",
        obj.pointer("/roleRef/kind")
            .and_then(Value::as_str)
            .unwrap_or(""),
        obj.pointer("/roleRef/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    );
    f.set("role_ref", Some(role_ref));
    let subjects: Vec<Value> = obj
        .get("subjects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|s| {
            let field = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("");
            Value::String(format!(
                "{}:{}/{}",
                field("kind"),
                field("namespace"),
                field("name")
            ))
        })
        .collect();
    f.set("subjects", Some(Value::Array(subjects)));
    if d.r.kind == "k8s/RoleBinding" {
        f.set("namespace", Some(namespace_of(obj)));
    }
}

fn service(d: &Derive<'_>, f: &mut Setter<'_>) {
    let obj = &d.r.attrs;
    let ty = obj
        .pointer("/spec/type")
        .and_then(Value::as_str)
        .unwrap_or("ClusterIP");
    f.set("service_type", Some(ty));
    let annotation = |name: &str| {
        obj.pointer("/metadata/annotations")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
    };
    let internal = ty == "LoadBalancer"
        && (annotation("service.beta.kubernetes.io/aws-load-balancer-internal")
            .is_some_and(|v| v == "true" || v == "0.0.0.0/0")
            || annotation("service.beta.kubernetes.io/aws-load-balancer-scheme")
                .is_some_and(|v| v == "internal"));
    f.set("internal_load_balancer", Some(internal));
    f.set("namespace", Some(namespace_of(obj)));
    let ports: Vec<i64> = obj
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("port").and_then(Value::as_i64))
        .collect();
    f.set("ports", Some(ports));
    let ranges: Vec<&str> = obj
        .pointer("/spec/loadBalancerSourceRanges")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    f.set("source_ranges", Some(ranges));
}

/// `autoscaling/v2` (and `v1`'s `targetCPUUtilizationPercentage`) HorizontalPodAutoscalers.
fn autoscaler(d: &Derive<'_>, f: &mut Setter<'_>) {
    let obj = &d.r.attrs;
    f.set(
        "min_replicas",
        Some(
            obj.pointer("/spec/minReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(1),
        ),
    );
    f.set(
        "max_replicas",
        Some(
            obj.pointer("/spec/maxReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(0),
        ),
    );
    let target = |resource: &str| -> i64 {
        obj.pointer("/spec/metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|m| m.get("type").and_then(Value::as_str) == Some("Resource"))
            .filter_map(|m| m.get("resource"))
            .filter(|r| r.get("name").and_then(Value::as_str) == Some(resource))
            .find_map(|r| {
                r.pointer("/target/averageUtilization")
                    .or_else(|| r.get("targetAverageUtilization"))
                    .and_then(Value::as_i64)
            })
            .or_else(|| {
                (resource == "cpu")
                    .then(|| obj.pointer("/spec/targetCPUUtilizationPercentage"))
                    .flatten()
                    .and_then(Value::as_i64)
            })
            .unwrap_or(0)
    };
    f.set("cpu_target", Some(target("cpu")));
    f.set("memory_target", Some(target("memory")));
    f.set("namespace", Some(namespace_of(obj)));
}

/// Istio `PeerAuthentication`: the weakest mutual-TLS mode it sets, for the workload or any
/// port (`DISABLE` < `PERMISSIVE` < `STRICT`; `UNSET` inherits the parent's).
fn peer_authentication(d: &Derive<'_>, f: &mut Setter<'_>) {
    let obj = &d.r.attrs;
    let rank = |m: &str| match m {
        "DISABLE" => 0,
        "PERMISSIVE" => 1,
        "STRICT" => 3,
        _ => 2,
    };
    let modes = obj
        .pointer("/spec/mtls/mode")
        .and_then(Value::as_str)
        .into_iter()
        .chain(
            obj.pointer("/spec/portLevelMtls")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|ports| ports.values())
                .filter_map(|p| p.get("mode").and_then(Value::as_str)),
        );
    let weakest = modes.min_by_key(|m| rank(m)).unwrap_or("UNSET");
    f.set("mtls_mode", Some(weakest));
    f.set("namespace", Some(namespace_of(obj)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{Resource, Source};
    use serde_json::json;

    fn containers_of(spec: Value) -> Value {
        let mut r = Resource::new(
            "k8s:live:apps:Pod:web",
            "k8s/Pod",
            Source::Kubernetes {
                cluster: "live".into(),
                namespace: "apps".into(),
            },
        );
        r.attrs = json!({"metadata": {"name": "web", "namespace": "apps"}, "spec": spec});
        let mut all = [r];
        crate::normalize::normalize(&mut all);
        all[0].facets["containers"].clone()
    }

    #[test]
    fn containers_of_the_wrong_shape_are_unknown_whatever_the_source() {
        let ok = containers_of(json!({"containers": [{"name": "app", "image": "app:1"}]}));
        assert_eq!(ok.as_array().map(Vec::len), Some(1));
        assert_eq!(containers_of(json!({})), json!([]));
        for spec in [
            json!({"containers": "notalist"}),
            json!({"containers": {"app": {"image": "app:1"}}}),
            json!({"containers": ["app"]}),
            json!({"initContainers": 3, "containers": []}),
        ] {
            assert_eq!(containers_of(spec.clone()), Value::Null, "{spec}");
        }
    }

    fn granted_by(role: &Value) -> Vec<&'static str> {
        grants(role, &rules(role).map(Rule::read).collect::<Vec<_>>())
    }

    fn granted(rules: Value) -> Vec<&'static str> {
        granted_by(&json!({ "kind": "ClusterRole", "rules": rules }))
    }

    #[test]
    fn grants_match_rules_as_the_authorizer_does() {
        let cases = [
            (
                json!([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
                vec!["exec_pods"],
            ),
            // A subresource is not its resource; `*/exec` is every resource's exec.
            (
                json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}]),
                vec![],
            ),
            (
                json!([{"apiGroups": [""], "resources": ["*/exec", "*/attach"], "verbs": ["get"]}]),
                vec!["exec_pods", "attach_pods"],
            ),
            // The group must match: rolebindings of the core group do not exist.
            (
                json!([{"apiGroups": [""], "resources": ["rolebindings"], "verbs": ["create"]}]),
                vec![],
            ),
            (
                json!([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings"], "verbs": ["patch"]}]),
                vec!["write_bindings"],
            ),
            // Named objects: aws-auth only when the rule names it, or names nothing.
            (
                json!([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["app-settings"], "verbs": ["update"]}]),
                vec![],
            ),
            (
                json!([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["aws-auth"], "verbs": ["update"]}]),
                vec!["write_aws_auth"],
            ),
            (
                json!([{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list", "watch"]}]),
                vec![],
            ),
            (
                json!([{"apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update"]}]),
                vec!["approve_csrs"],
            ),
        ];
        for (rules, expected) in cases {
            assert_eq!(granted(rules.clone()), expected, "{rules}");
        }
        let role_in = |namespace: &str| {
            granted_by(
                &json!({"kind": "Role", "metadata": {"namespace": namespace}, "rules": [
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["patch"]}]}),
            )
        };
        assert_eq!(role_in("apps"), vec!["write_configmaps"]);
        assert_eq!(
            role_in("kube-system"),
            vec!["write_configmaps", "write_aws_auth"]
        );
        let everything = granted(json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]));
        let all: Vec<&str> = PERMISSIONS.iter().map(|p| p.name).collect();
        assert_eq!(everything, all);
    }

    #[test]
    fn every_permission_is_documented_on_the_facet() {
        let doc = super::super::facets::FACETS
            .iter()
            .find(|f| f.name == "grants")
            .map(|f| f.doc)
            .unwrap();
        for p in PERMISSIONS {
            assert!(doc.contains(&format!("`{}`", p.name)), "{}", p.name);
        }
    }

    #[test]
    fn splits_image_references() {
        assert_eq!(image_reference("nginx"), ("", ""));
        assert_eq!(image_reference("nginx:1.27"), ("1.27", ""));
        assert_eq!(
            image_reference("registry:5000/team/app:v2@sha256:abc"),
            ("v2", "sha256:abc")
        );
        assert_eq!(image_reference("registry:5000/team/app"), ("", ""));
        assert_eq!(image_registry("nginx:1.27"), "docker.io");
        assert_eq!(image_registry("bitnami/redis:7"), "docker.io");
        assert_eq!(image_registry("ghcr.io/org/app:v1"), "ghcr.io");
        assert_eq!(image_registry("registry:5000/team/app"), "registry:5000");
        assert_eq!(
            image_registry("1234.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:ab"),
            "1234.dkr.ecr.eu-west-1.amazonaws.com"
        );
    }
}
