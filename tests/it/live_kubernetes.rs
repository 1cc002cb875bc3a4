//! `plumb collect k8s` against loopback API servers serving the fixture cluster
//! (`fixtures/cluster/demo`: the demo manifests as a real cluster stores them, plus what its
//! controllers and admission made), and `kubectl` against the same servers.

#![cfg(feature = "kubernetes")]

use crate::apiserver;
use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use apiserver::{ApiServer, Behaviour, Cluster, Context, Rendezvous, User};
use plumb::collect::collect_paths;
use plumb::collect::kubernetes::{Identity, protect_secrets, server_fields};
use plumb::inventory::{Inventory, Resource};
use serde_json::Value;

const PROD_TOKEN: &str = "prod-token-from-exec-plugin";
const STAGING_TOKEN: &str = "staging-static-token";

fn demo_cluster() -> Cluster {
    Cluster::load(&common::root().join("fixtures/cluster/demo"))
}

fn prod(rendezvous: Option<std::sync::Arc<Rendezvous>>) -> ApiServer {
    ApiServer::start(
        demo_cluster(),
        Behaviour {
            token: PROD_TOKEN.into(),
            rendezvous,
            ..Behaviour::default()
        },
    )
}

/// A scratch directory with a kubeconfig; HOME points here, so no user kubeconfig is read.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(contexts: &[Context], current: &str) -> Workspace {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(
            dir.path().join("kubeconfig"),
            apiserver::kubeconfig(contexts, current),
        )
        .expect("kubeconfig written");
        Workspace { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn kubeconfig(&self) -> String {
        self.path("kubeconfig").display().to_string()
    }

    /// Runs `plumb` with a clean environment: no proxy, no user kubeconfig.
    fn plumb(&self, args: &[&str]) -> Output {
        isolated(Command::new(env!("CARGO_BIN_EXE_plumb")), self.dir.path())
            .args(args)
            .output()
            .expect("the plumb binary runs")
    }

    /// `plumb collect k8s --kubeconfig ... ARGS -o inventory.json`, and the inventory.
    fn collect(&self, args: &[&str]) -> (Output, Inventory) {
        let out_path = self.path("inventory.json");
        let _ = std::fs::remove_file(&out_path);
        let kubeconfig = self.kubeconfig();
        let out_str = out_path.display().to_string();
        let mut all = vec![
            "collect",
            "k8s",
            "--kubeconfig",
            &kubeconfig,
            "-o",
            &out_str,
        ];
        all.extend_from_slice(args);
        let output = self.plumb(&all);
        let inventory = Inventory::read(&out_path)
            .unwrap_or_else(|e| panic!("no inventory ({e}); stderr:\n{}", common::stderr(&output)));
        (output, inventory)
    }
}

fn isolated(mut command: Command, home: &Path) -> Command {
    command
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .current_dir(home);
    for var in [
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(var);
    }
    command
}

fn context(name: &str, server: &ApiServer, user: User) -> Context {
    Context {
        name: name.into(),
        server: server.url.clone(),
        ca_pem: server.ca_pem.clone(),
        user,
    }
}

fn key_of(obj: &Value) -> String {
    Identity::of(obj).map_or_else(|e| e, |id| id.object_id())
}

fn ids(inv: &Inventory) -> BTreeSet<String> {
    inv.resources.iter().map(|r| r.id.clone()).collect()
}

fn by_cloud_id<'a>(inv: &'a Inventory, cluster: &str) -> BTreeMap<String, &'a Resource> {
    inv.resources
        .iter()
        .filter(|r| r.id.starts_with(&format!("k8s:{cluster}:")))
        .map(|r| {
            (
                r.cloud_id
                    .clone()
                    .expect("kubernetes resources have a cloud id"),
                r,
            )
        })
        .collect()
}

/// JSON pointers where two values differ.
fn differences(a: &Value, b: &Value, at: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let next = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => differences(p, q, &next, out),
                    _ => out.push(next),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differences(p, q, &format!("{at}/{i}"), out);
            }
        }
        _ if a != b => out.push(at.to_string()),
        _ => {}
    }
}

/// (policy, cloud id) -> status, from a JSON report.
fn verdicts_by_cloud_id(report: &Value) -> BTreeMap<(String, String), String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| {
            Some((
                (
                    f["policy_id"].as_str()?.to_string(),
                    f["resource"]["cloud_id"].as_str()?.to_string(),
                ),
                f["status"].as_str()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn a_live_cluster_reads_like_the_manifests_it_was_applied_from() {
    let server = prod(None);
    let ws = Workspace::new(
        &[context("prod", &server, User::Exec(PROD_TOKEN.into()))],
        "prod",
    );
    let (out, live) = ws.collect(&["--chunk-size", "2"]);
    let stderr = common::stderr(&out);
    assert_eq!(common::code(&out), 0, "{stderr}");
    assert!(
        live.metadata.errors.is_empty(),
        "{:?}",
        live.metadata.errors
    );

    // Progress, one plain line per kind off a terminal.
    assert!(
        stderr.contains(&format!("plumb: prod: connecting to {}/", server.url)),
        "{stderr}"
    );
    assert!(stderr.contains("plumb: prod: reading 20 kinds"), "{stderr}");
    assert!(
        stderr.contains("plumb: prod: done, 37 resources"),
        "{stderr}"
    );
    assert!(
        stderr.contains("plumb: prod: apps/Deployment: 3"),
        "{stderr}"
    );
    assert!(stderr.contains("plumb: prod: core/Pod: 1"), "{stderr}");

    // Workloads, not the objects their controllers made from them.
    let all = ids(&live);
    for id in [
        "k8s:prod:apps/Deployment:payments/api",
        "k8s:prod:apps/DaemonSet:kube-system/kube-proxy",
        "k8s:prod:batch/CronJob:batch/nightly-report",
        "k8s:prod:batch/Job:batch/migrate-ledger",
        "k8s:prod:core/Pod:default/debug",
        "k8s:prod:core/Namespace:monitoring",
        "k8s:prod:core/ServiceAccount:payments/api",
        "k8s:prod:policy/PodDisruptionBudget:payments/api",
        "k8s:prod:autoscaling/HorizontalPodAutoscaler:payments/api",
        "k8s:prod:networking.k8s.io/Ingress:payments/api",
        "k8s:prod:rbac.authorization.k8s.io/ClusterRoleBinding:cluster-admin",
    ] {
        assert!(all.contains(id), "{id} missing from {all:#?}");
    }
    let kinds: BTreeSet<&str> = live.resources.iter().map(|r| r.kind.as_str()).collect();
    assert!(
        !kinds.contains("k8s/ReplicaSet"),
        "every ReplicaSet has a Deployment"
    );
    assert!(!kinds.contains("k8s/Secret"), "Secrets are never read");
    let pods: Vec<&str> = live
        .resources
        .iter()
        .filter(|r| r.kind == "k8s/Pod")
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(
        pods,
        ["k8s:prod:core/Pod:default/debug"],
        "only the bare Pod"
    );
    assert!(!all.contains("k8s:prod:batch/Job:batch/nightly-report-29391000"));
    assert_eq!(
        live.get("k8s:prod:apps/Deployment:batch/worker")
            .unwrap()
            .source,
        plumb::inventory::Source::Kubernetes {
            cluster: "prod".into(),
            namespace: "batch".into()
        }
    );
    assert_eq!(live.metadata.collectors.len(), 1);
    assert_eq!(live.metadata.collectors[0].scope, "prod");

    // Lists were paged, Secrets never requested, and no secret value was kept.
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/pods?") && r.contains("continue=")),
        "{requests:#?}"
    );
    assert!(
        requests.iter().all(|r| !r.contains("/secrets")),
        "{requests:#?}"
    );
    let text = std::fs::read_to_string(ws.path("inventory.json")).unwrap();
    for secret in common::PLANTED_SECRETS.iter().chain(&[
        "czNjcjN0LXJlcG9ydC1wYXNzd29yZA",
        "last-applied-configuration",
    ]) {
        assert!(!text.contains(secret), "{secret} leaked into the inventory");
    }

    // One model: every manifest object has the same attributes, facets and verdicts live,
    // once server-set fields are gone. The one difference is a value the server chose for a
    // field the manifest left out and that policies read: the worker's replica count.
    let collected = collect_paths(&[common::root().join("fixtures/demo/kubernetes")]);
    assert!(collected.errors.is_empty());
    let manifests = collected.into_inventory();
    let live_objects = by_cloud_id(&live, "prod");
    let mut diffs = Vec::new();
    for m in manifests
        .resources
        .iter()
        .filter(|r| r.kind != "k8s/Secret")
    {
        let cloud_id = m.cloud_id.clone().unwrap();
        let l = live_objects
            .get(&cloud_id)
            .unwrap_or_else(|| panic!("{cloud_id} is not in the live inventory"));
        assert_eq!(l.kind, m.kind);
        assert_eq!(l.name, m.name);
        assert_eq!(l.tags, m.tags, "{cloud_id}");
        assert_eq!(l.facets, m.facets, "{cloud_id}: facets differ");
        let policies = |r: &Resource| -> Vec<String> {
            r.suppressions.iter().map(|s| s.policy_id.clone()).collect()
        };
        assert_eq!(policies(l), policies(m), "{cloud_id}");
        let mut at = Vec::new();
        differences(&m.attrs, &l.attrs, "", &mut at);
        diffs.extend(at.into_iter().map(|p| format!("{cloud_id}{p}")));
    }
    assert_eq!(diffs, ["apps/Deployment:batch/worker/spec/replicas"]);

    let report = |args: &[&str]| -> Value {
        let out = ws.plumb(args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)))
    };
    let manifest_path = common::root().join("fixtures/demo/kubernetes");
    let from_manifests = verdicts_by_cloud_id(&report(&[
        "scan",
        manifest_path.to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    let from_cluster = verdicts_by_cloud_id(&report(&[
        "check",
        ws.path("inventory.json").to_str().unwrap(),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]));
    assert!(from_manifests.len() > 30, "{from_manifests:#?}");
    for (key, verdict) in &from_manifests {
        assert_eq!(
            from_cluster.get(key),
            Some(verdict),
            "{key:?}: manifest {verdict}, live {:?}",
            from_cluster.get(key)
        );
    }
}

#[test]
fn every_context_is_read_at_once_and_what_was_not_read_is_recorded() {
    let meeting = Rendezvous::new(2);
    let prod = prod(Some(meeting.clone()));
    let staging = ApiServer::start(
        demo_cluster(),
        Behaviour {
            token: STAGING_TOKEN.into(),
            forbidden: vec!["clusterroles", "networkpolicies"],
            expire_continue: vec!["deployments"],
            rendezvous: Some(meeting.clone()),
        },
    );
    // Nothing listens at a port just released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // Both credential plugins wait (up to ten seconds) for the other to start: run one after
    // the other, the first would give up and leave a mark.
    let meet = tempfile::tempdir().unwrap();
    let plugin = |me: &str, other: &str, token: &str| {
        let dir = meet.path().display();
        User::ExecAfter {
            token: token.into(),
            first: format!(
                "touch {dir}/{me}; i=0; while [ ! -e {dir}/{other} ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; [ -e {dir}/{other} ] || touch {dir}/missed"
            ),
        }
    };
    let ws = Workspace::new(
        &[
            context("prod", &prod, plugin("prod", "staging", PROD_TOKEN)),
            context(
                "staging",
                &staging,
                plugin("staging", "prod", STAGING_TOKEN),
            ),
            context("stale", &staging, User::Token("revoked".into())),
            Context {
                name: "gone".into(),
                server: format!("https://{closed}"),
                ca_pem: prod.ca_pem.clone(),
                user: User::Token("x".into()),
            },
        ],
        "prod",
    );
    let (out, inv) = ws.collect(&["--all-contexts", "--chunk-size", "2"]);
    let stderr = common::stderr(&out);
    assert_eq!(
        common::code(&out),
        2,
        "something was not collected: {stderr}"
    );
    assert!(
        meeting.met(),
        "both servers had a request in flight at the same time"
    );
    assert!(
        !meet.path().join("missed").exists(),
        "both credential plugins ran at the same time"
    );

    let errors: BTreeMap<&str, &plumb::inventory::CollectError> = inv
        .metadata
        .errors
        .iter()
        .map(|e| (e.scope.as_str(), e))
        .collect();
    assert_eq!(
        errors.keys().copied().collect::<Vec<_>>(),
        [
            "gone",
            "staging/networking.k8s.io/NetworkPolicy",
            "staging/rbac.authorization.k8s.io/ClusterRole",
            "stale"
        ],
        "{:#?}",
        inv.metadata
            .errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    let gone = errors["gone"];
    assert!(
        gone.message.starts_with(&format!(
            "cannot read the API server at https://{closed}/: "
        )) && gone.message.contains("Connection refused"),
        "{gone:?}"
    );
    assert_eq!(
        gone.kinds.len(),
        20,
        "a cluster not read leaves out every kind"
    );
    assert!(
        errors["stale"].message.contains("Unauthorized (401)"),
        "{:?}",
        errors["stale"]
    );
    let forbidden = errors["staging/rbac.authorization.k8s.io/ClusterRole"];
    assert_eq!(forbidden.kinds, ["k8s/ClusterRole"]);
    assert!(
        forbidden.message.starts_with(
            "cannot list rbac.authorization.k8s.io/ClusterRole: Forbidden (403): clusterroles.rbac.authorization.k8s.io is forbidden"
        ),
        "{}",
        forbidden.message
    );
    assert!(stderr.contains("plumb: not collected: gone: "), "{stderr}");

    // Both readable clusters are in the one inventory, and staging's Deployments survived
    // their expired continue token: the list started over.
    let count = |cluster: &str, kind: &str| {
        inv.resources
            .iter()
            .filter(|r| r.id.starts_with(&format!("k8s:{cluster}:")) && r.kind == kind)
            .count()
    };
    assert_eq!(count("prod", "k8s/Deployment"), 3);
    assert_eq!(count("staging", "k8s/Deployment"), 3);
    assert_eq!(count("prod", "k8s/ClusterRole"), 3);
    assert_eq!(count("staging", "k8s/ClusterRole"), 0);
    // Unread NetworkPolicies make a namespace's policy facets unknown, not "none".
    let payments = |cluster: &str| {
        inv.get(&format!("k8s:{cluster}:core/Namespace:payments"))
            .unwrap()
            .facets
            .clone()
    };
    assert_eq!(payments("prod")["has_network_policy"], true);
    assert_eq!(payments("staging")["has_network_policy"], Value::Null);
    assert_eq!(payments("staging")["has_default_deny"], Value::Null);
    assert_eq!(payments("staging")["has_resource_quota"], true);
    let check = ws.plumb(&[
        "check",
        ws.path("inventory.json").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let verdicts = common::verdicts(&report);
    let verdict = |cluster: &str| {
        verdicts[&(
            "PLB-K8S-010".to_string(),
            format!("k8s:{cluster}:core/Namespace:batch"),
        )]
            .clone()
    };
    assert_eq!(verdict("prod"), "fail");
    assert_eq!(verdict("staging"), "unknown");

    let fresh_starts = staging
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET /apis/apps/v1/deployments?") && !r.contains("continue="))
        .count();
    assert_eq!(fresh_starts, 2, "{:#?}", staging.requests());
    let scopes: Vec<&str> = inv
        .metadata
        .collectors
        .iter()
        .map(|c| c.scope.as_str())
        .collect();
    assert_eq!(scopes, ["prod", "staging"]);
}

#[test]
fn kubectl_sees_what_the_collector_saw() {
    let server = prod(None);
    // A static token: every kubectl release reads it (exec credentials v1 need kubectl 1.22).
    let ws = Workspace::new(
        &[context("prod", &server, User::Token(PROD_TOKEN.into()))],
        "prod",
    );
    let (out, inv) = ws.collect(&["--chunk-size", "2"]);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));

    let kubectl = isolated(Command::new("kubectl"), ws.dir.path())
        .args([
            "--kubeconfig",
            &ws.kubeconfig(),
            "get",
            "deployments",
            "--all-namespaces",
            "--output",
            "json",
            "--chunk-size",
            "2",
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!("kubectl is needed for this test (./scripts/test installs it): {e}")
        });
    assert!(
        kubectl.status.success(),
        "kubectl failed: {}",
        common::stderr(&kubectl)
    );
    let list: Value = serde_json::from_slice(&kubectl.stdout).expect("kubectl printed JSON");
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().expect("items");

    // kubectl read the fixture objects exactly, through discovery and paged lists. (Since
    // 1.21 it hides managedFields unless asked; they are no part of the comparison.)
    let without_managed_fields = |obj: &Value| {
        let mut obj = obj.clone();
        if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
            meta.remove("managedFields");
        }
        obj
    };
    let fixture = demo_cluster().of_kind("Deployment");
    assert_eq!(items.len(), fixture.len());
    for (item, object) in items.iter().zip(&fixture) {
        let mut at = Vec::new();
        differences(
            &without_managed_fields(object),
            &without_managed_fields(item),
            "",
            &mut at,
        );
        assert!(
            at.is_empty(),
            "{}: kubectl differs at {at:?}",
            key_of(object)
        );
    }
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.starts_with("GET /apis/apps/v1/deployments?") && r.contains("continue=")),
        "kubectl paged too"
    );

    // And the collector holds the same objects, normalised.
    let live = by_cloud_id(&inv, "prod");
    let deployments: BTreeSet<&String> = live
        .iter()
        .filter(|(_, r)| r.kind == "k8s/Deployment")
        .map(|(id, _)| id)
        .collect();
    let mut seen = BTreeSet::new();
    for item in items {
        let id = Identity::of(item).expect("a Kubernetes object").object_id();
        let mut expected = item.clone();
        server_fields::normalise(&mut expected);
        protect_secrets("Deployment", &mut expected);
        assert_eq!(live[&id].attrs, expected, "{id}");
        seen.insert(id);
    }
    assert_eq!(deployments, seen.iter().collect());
}

#[test]
fn a_namespace_scope_reads_that_namespace_only() {
    let server = prod(None);
    let ws = Workspace::new(
        &[context("prod", &server, User::Token(PROD_TOKEN.into()))],
        "prod",
    );
    let (out, inv) = ws.collect(&["--namespace", "payments", "--quiet"]);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    assert_eq!(
        common::stderr(&out),
        "",
        "--quiet prints nothing when all was read"
    );
    assert!(inv.resources.iter().all(|r| matches!(
        &r.source,
        plumb::inventory::Source::Kubernetes { namespace, .. } if namespace == "payments"
    ) || r.id == "k8s:prod:core/Namespace:payments"));
    assert!(ids(&inv).contains("k8s:prod:apps/Deployment:payments/api"));
    let namespace = inv.get("k8s:prod:core/Namespace:payments").unwrap();
    assert_eq!(namespace.facets["has_network_policy"], true);
    let requests = server.requests();
    assert!(
        requests.contains(&"GET /api/v1/namespaces/payments".to_string()),
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| !r.contains("clusterrole") && !r.contains("/api/v1/namespaces?")),
        "no cluster-wide lists: {requests:#?}"
    );
    assert_eq!(inv.metadata.collectors[0].scope, "prod/payments");
}

#[test]
fn naming_no_usable_cluster_is_a_usage_error() {
    let server = prod(None);
    let ws = Workspace::new(
        &[context("prod", &server, User::Token(PROD_TOKEN.into()))],
        "prod",
    );
    let kubeconfig = ws.kubeconfig();
    let out = ws.plumb(&[
        "collect",
        "k8s",
        "--kubeconfig",
        &kubeconfig,
        "--context",
        "nope",
    ]);
    assert_eq!(common::code(&out), 2);
    assert!(
        common::stderr(&out).contains("the kubeconfig has no context \"nope\" (it has: prod)"),
        "{}",
        common::stderr(&out)
    );
    // No kubeconfig anywhere (HOME is the empty workspace) and not inside a pod.
    std::fs::remove_file(ws.path("kubeconfig")).unwrap();
    let out = ws.plumb(&["collect", "k8s"]);
    assert_eq!(common::code(&out), 2);
    assert!(
        common::stderr(&out).contains(
            "no kubeconfig ($KUBECONFIG or ~/.kube/config) and not running inside a cluster"
        ),
        "{}",
        common::stderr(&out)
    );
    assert!(server.requests().is_empty());
}

/// Not a test: serves the fixture cluster until the time is up, for trying
/// `plumb collect k8s` (and kubectl) by hand and for measuring collection. `PLUMB_SERVE_SCALE`
/// adds that many Deployments, each with a controller-owned Pod, across 50 namespaces:
///
/// ```sh
/// PLUMB_SERVE_SECONDS=600 PLUMB_SERVE_SCALE=5000 \
///   cargo test --test it -- --ignored --nocapture live_kubernetes::serve_the_fixture_cluster
/// ```
#[test]
#[ignore = "a server for manual runs, not a test"]
fn serve_the_fixture_cluster() {
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let mut cluster = demo_cluster();
    let template = cluster.of_kind("Deployment")[2].clone();
    let pod = cluster.of_kind("Pod")[0].clone();
    for i in 0..env("PLUMB_SERVE_SCALE", 0) {
        let namespace = format!("load-{}", i % 50);
        let mut deployment = template.clone();
        deployment["metadata"]["name"] = format!("app-{i}").into();
        deployment["metadata"]["namespace"] = namespace.clone().into();
        cluster.objects.push(deployment);
        let mut owned = pod.clone();
        owned["metadata"]["name"] = format!("app-{i}-6b8f9d7c4d-x2x2x").into();
        owned["metadata"]["namespace"] = namespace.into();
        cluster.objects.push(owned);
    }
    let server = ApiServer::start(
        cluster,
        Behaviour {
            token: PROD_TOKEN.into(),
            ..Behaviour::default()
        },
    );
    let dir = std::env::temp_dir().join("plumb-fixture-cluster");
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        apiserver::kubeconfig(
            &[context("fixture", &server, User::Token(PROD_TOKEN.into()))],
            "fixture",
        ),
    )
    .unwrap();
    println!("serving {} at {}", kubeconfig.display(), server.url);
    std::thread::sleep(std::time::Duration::from_secs(
        env("PLUMB_SERVE_SECONDS", 60) as u64,
    ));
}

/// (API group, resource, verb) of every request for objects; discovery requests aside.
fn object_requests(requests: &[String]) -> BTreeSet<(String, String, String)> {
    let mut out = BTreeSet::new();
    for request in requests {
        let path = request
            .trim_start_matches("GET ")
            .split('?')
            .next()
            .unwrap_or("");
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, rest) = match segments.as_slice() {
            ["api", "v1", rest @ ..] => ("", rest),
            ["apis", group, _, rest @ ..] => (*group, rest),
            _ => continue,
        };
        let (resource, verb) = match rest {
            [plural] | ["namespaces", _, plural] => (*plural, "list"),
            [plural, _] | ["namespaces", _, plural, _] => (*plural, "get"),
            _ => continue,
        };
        out.insert((group.to_string(), resource.to_string(), verb.to_string()));
    }
    out
}

#[test]
fn the_documented_cluster_role_is_all_plumb_needs_and_reads_no_secrets() {
    let text = std::fs::read_to_string(common::root().join("docs/plumb-reader.yaml")).unwrap();
    let docs = plumb::yaml::documents(&text).expect("docs/plumb-reader.yaml is YAML");
    let role = docs
        .iter()
        .map(|d| d.to_json())
        .find(|d| d["kind"] == "ClusterRole")
        .expect("a ClusterRole");
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().unwrap() {
        let strings = |field: &str| -> Vec<String> {
            rule[field]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        for group in strings("apiGroups") {
            for resource in strings("resources") {
                for verb in strings("verbs") {
                    assert!(matches!(verb.as_str(), "get" | "list"), "read-only: {verb}");
                    assert!(resource != "secrets" && resource != "*" && group != "*");
                    granted.insert((group.clone(), resource.clone(), verb));
                }
            }
        }
    }

    let server = prod(None);
    let ws = Workspace::new(
        &[context("prod", &server, User::Token(PROD_TOKEN.into()))],
        "prod",
    );
    let (out, _) = ws.collect(&["--quiet"]);
    assert_eq!(common::code(&out), 0);
    let (out, _) = ws.collect(&["--quiet", "--namespace", "payments"]);
    assert_eq!(common::code(&out), 0);
    let needed = object_requests(&server.requests());
    assert_eq!(
        needed.len(),
        21,
        "20 kinds listed, 1 namespace read: {needed:#?}"
    );
    let missing: Vec<_> = needed.difference(&granted).collect();
    assert!(missing.is_empty(), "not granted: {missing:?}");
    let unused: Vec<_> = granted.difference(&needed).collect();
    assert!(unused.is_empty(), "granted but never used: {unused:?}");
}

#[test]
fn collected_snapshots_go_to_the_store_and_drift_compares_them() {
    let server = prod(None);
    let ws = Workspace::new(
        &[context("prod", &server, User::Token(PROD_TOKEN.into()))],
        "prod",
    );
    let kubeconfig = ws.kubeconfig();
    for _ in 0..2 {
        let out = ws.plumb(&[
            "collect",
            "k8s",
            "--kubeconfig",
            &kubeconfig,
            "--quiet",
            "--store",
        ]);
        assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
        assert!(
            common::stdout(&out).is_empty(),
            "the inventory went to the store"
        );
        assert!(common::stderr(&out).contains("stored snapshot"));
    }
    let out = ws.plumb(&["history", "--format", "json"]);
    let list: Value = serde_json::from_slice(&out.stdout).expect("history as JSON");
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["command"], "collect");
    assert!(
        list[1]["summary"]["evaluations"].as_u64().unwrap() > 0,
        "the findings are stored with the inventory"
    );
    assert_eq!(
        list[0]["inventory_hash"], list[1]["inventory_hash"],
        "the same cluster read twice"
    );
    let out = ws.plumb(&["drift", "--format", "json"]);
    assert_eq!(common::code(&out), 0, "{}", common::stdout(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["drift"], false);
    assert!(!report["findings"]["open"].as_array().unwrap().is_empty());
}
