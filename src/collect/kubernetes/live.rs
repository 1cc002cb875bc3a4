//! Live clusters through the Kubernetes API: a snapshot of every kind plumb's policies read,
//! in the shape manifests have.
//!
//! Credentials come from kubeconfig (with exec plugins such as `aws eks get-token`, and
//! client certificates) or, inside a pod, from the service account. Each cluster is read
//! concurrently with the others:
//!
//! 1. discovery (`/api`, `/apis` and the group versions plumb needs) says which version of
//!    each kind the server prefers;
//! 2. each kind is listed in pages (`limit` / `continue`); a continue token the server no
//!    longer honours (410 Gone) restarts that list;
//! 3. objects lose server-set fields ([`super::server_fields`]); ReplicaSets owned by a
//!    Deployment, Jobs owned by a CronJob and Pods owned by any controller are left out, since
//!    their owner is the workload that policies judge.
//!
//! Whatever could not be read (a kind the credentials may not list, a cluster that does not
//! answer) becomes a [`CollectError`] naming the kinds it leaves out; the rest is collected.
//! Secrets are never requested.

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use kube::core::discovery::{Scope, verbs};
use kube::core::params::{GetParams, ListParams};
use kube::core::{ApiResource, DynamicObject, ObjectList, Request, Resource as _};
use kube::discovery::Discovery;
use kube::{Client, Config};
use serde_json::Value;

use super::{Identity, resource, server_fields};
use crate::collect::Collected;
use crate::inventory::{CollectError, CollectorRun, Resource, Source};

/// The collector name in inventories.
pub const COLLECTOR: &str = "kubernetes";

/// A kind plumb reads from clusters. `group` is the API group (`""` for core).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveKind {
    pub group: &'static str,
    pub kind: &'static str,
}

impl LiveKind {
    const fn new(group: &'static str, kind: &'static str) -> Self {
        LiveKind { group, kind }
    }

    /// `apps/Deployment`, `core/Pod`: the kind as resource ids spell it.
    pub fn qualified(&self) -> String {
        let group = if self.group.is_empty() {
            "core"
        } else {
            self.group
        };
        format!("{group}/{}", self.kind)
    }

    /// `k8s/Deployment`: the resource kind.
    pub fn resource_kind(&self) -> String {
        format!("k8s/{}", self.kind)
    }
}

const RBAC: &str = "rbac.authorization.k8s.io";
const NETWORKING: &str = "networking.k8s.io";

/// Every kind a live snapshot holds. Secrets are deliberately absent: their names are not
/// worth the `list secrets` permission, which reads their values too.
pub const KINDS: &[LiveKind] = &[
    LiveKind::new("", "Namespace"),
    LiveKind::new("apps", "Deployment"),
    LiveKind::new("apps", "StatefulSet"),
    LiveKind::new("apps", "DaemonSet"),
    LiveKind::new("apps", "ReplicaSet"),
    LiveKind::new("batch", "Job"),
    LiveKind::new("batch", "CronJob"),
    LiveKind::new("", "Pod"),
    LiveKind::new("", "Service"),
    LiveKind::new(NETWORKING, "Ingress"),
    LiveKind::new(NETWORKING, "NetworkPolicy"),
    LiveKind::new("", "ResourceQuota"),
    LiveKind::new("", "LimitRange"),
    LiveKind::new("", "ServiceAccount"),
    LiveKind::new(RBAC, "Role"),
    LiveKind::new(RBAC, "ClusterRole"),
    LiveKind::new(RBAC, "RoleBinding"),
    LiveKind::new(RBAC, "ClusterRoleBinding"),
    LiveKind::new("policy", "PodDisruptionBudget"),
    LiveKind::new("autoscaling", "HorizontalPodAutoscaler"),
];

/// The API groups of [`KINDS`]: discovery reads only these.
const GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    NETWORKING,
    RBAC,
    "policy",
    "autoscaling",
];

/// A continue token may expire again while a restarted list is read; give up after this many
/// attempts.
const LIST_ATTEMPTS: usize = 3;

/// Kinds listed at the same time in one cluster.
const CONCURRENT_LISTS: usize = 4;

/// Which kubeconfig contexts to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contexts {
    /// The kubeconfig's current context; inside a pod without kubeconfig, the pod's cluster.
    Current,
    /// These contexts.
    Named(Vec<String>),
    /// Every context in the kubeconfig.
    All,
}

/// What to collect, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The kubeconfig file; default `$KUBECONFIG` (a list of files is merged), then
    /// `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    pub contexts: Contexts,
    /// Only these namespaces (and no cluster-wide kinds but the namespaces themselves); empty
    /// for the whole cluster.
    pub namespaces: Vec<String>,
    /// Objects per list request (`limit`).
    pub chunk_size: u32,
    /// How long one request may wait for an answer.
    pub request_timeout: Duration,
    /// The name resources carry instead of the context's (one cluster only).
    pub cluster_name: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            kubeconfig: None,
            contexts: Contexts::Current,
            namespaces: Vec::new(),
            chunk_size: 500,
            request_timeout: Duration::from_secs(60),
            cluster_name: None,
        }
    }
}

/// Something that happened while collecting, for a progress display.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Collection of a cluster begins: discovery is asked which kinds it serves.
    Connecting { cluster: &'a str, server: &'a str },
    /// Discovery answered; `kinds` lists are about to run.
    Started { cluster: &'a str, kinds: usize },
    /// One kind was read: `resources` objects kept (controller-owned ones are not counted).
    Listed {
        cluster: &'a str,
        kind: LiveKind,
        resources: usize,
    },
    /// Part of the cluster (or all of it) could not be read.
    NotCollected {
        cluster: &'a str,
        error: &'a CollectError,
    },
    /// The cluster is done.
    Finished {
        cluster: &'a str,
        resources: usize,
        errors: usize,
    },
}

/// Receives [`Event`]s as collection goes (the command line draws them).
pub trait Progress: Sync {
    fn report(&self, event: Event<'_>);
}

/// No progress display.
impl Progress for () {
    fn report(&self, _: Event<'_>) {}
}

/// Collection could not start: nothing says which cluster to read, or how.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("cannot read the kubeconfig: {0}")]
    Kubeconfig(String),
    #[error("the kubeconfig has no context {name:?} (it has: {available})")]
    UnknownContext { name: String, available: String },
    #[error("the kubeconfig has no contexts")]
    NoContexts,
    #[error("the kubeconfig names no current context; choose one with --context")]
    NoCurrentContext,
    #[error("no kubeconfig ($KUBECONFIG or ~/.kube/config) and not running inside a cluster: {0}")]
    NoCluster(String),
    #[error("a cluster name can only be given when one cluster is read")]
    ClusterNameForMany,
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

/// Reads the clusters `options` names. A cluster or kind that cannot be read is an error in
/// the result; only a setup that names no cluster at all fails.
pub fn collect(options: &Options, progress: &dyn Progress) -> Result<Collected, LiveError> {
    // rustls needs one crypto provider for the process; other crates in the build may bring
    // a second one, and then it will not choose on its own. Already installed is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let targets = targets(options).await?;
        let clusters = targets
            .into_iter()
            .map(|target| collect_cluster(target, options, progress));
        let mut collected = Collected::default();
        for one in futures::future::join_all(clusters).await {
            collected.resources.extend(one.resources);
            collected.runs.extend(one.runs);
            collected.errors.extend(one.errors);
        }
        Ok(collected)
    })
}

/// A cluster to read: its name in resource ids, and how to reach it (or why that failed).
struct Target {
    name: String,
    config: Result<Config, String>,
}

async fn targets(options: &Options) -> Result<Vec<Target>, LiveError> {
    let mut targets = match &options.contexts {
        Contexts::Current => vec![current_target(options).await?],
        Contexts::Named(names) => {
            let mut names = names.clone();
            names.sort();
            names.dedup();
            let kubeconfig = read_kubeconfig(options)?;
            for name in &names {
                if !kubeconfig.contexts.iter().any(|c| &c.name == name) {
                    return Err(LiveError::UnknownContext {
                        name: name.clone(),
                        available: context_names(&kubeconfig).join(", "),
                    });
                }
            }
            context_targets(&kubeconfig, &names).await
        }
        Contexts::All => {
            let kubeconfig = read_kubeconfig(options)?;
            let names = context_names(&kubeconfig);
            if names.is_empty() {
                return Err(LiveError::NoContexts);
            }
            context_targets(&kubeconfig, &names).await
        }
    };
    if let Some(name) = &options.cluster_name {
        match targets.as_mut_slice() {
            [only] => only.name = name.clone(),
            _ => return Err(LiveError::ClusterNameForMany),
        }
    }
    Ok(targets)
}

fn read_kubeconfig(options: &Options) -> Result<Kubeconfig, LiveError> {
    match &options.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    }
    .map_err(|e| LiveError::Kubeconfig(chain(&e)))
}

fn context_names(kubeconfig: &Kubeconfig) -> Vec<String> {
    let mut names: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    names.sort();
    names.dedup();
    names
}

async fn context_targets(kubeconfig: &Kubeconfig, names: &[String]) -> Vec<Target> {
    let mut out = Vec::new();
    for name in names {
        out.push(context_target(kubeconfig, name).await);
    }
    out
}

async fn context_target(kubeconfig: &Kubeconfig, name: &str) -> Target {
    let options = KubeConfigOptions {
        context: Some(name.to_string()),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig.clone(), &options)
        .await
        .map_err(|e| format!("cannot use context {name:?}: {}", chain(&e)));
    Target {
        name: name.to_string(),
        config,
    }
}

/// The current context, or the pod's own cluster when there is no kubeconfig at all.
async fn current_target(options: &Options) -> Result<Target, LiveError> {
    let kubeconfig = match &options.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    };
    match kubeconfig {
        Ok(kubeconfig) => {
            let name = kubeconfig
                .current_context
                .clone()
                .filter(|c| !c.is_empty())
                .ok_or(LiveError::NoCurrentContext)?;
            if !kubeconfig.contexts.iter().any(|c| c.name == name) {
                return Err(LiveError::UnknownContext {
                    available: context_names(&kubeconfig).join(", "),
                    name,
                });
            }
            Ok(context_target(&kubeconfig, &name).await)
        }
        Err(e) if options.kubeconfig.is_none() && no_kubeconfig(&e) => {
            let config = Config::incluster().map_err(|e| LiveError::NoCluster(chain(&e)))?;
            Ok(Target {
                name: "in-cluster".into(),
                config: Ok(config),
            })
        }
        Err(e) => Err(LiveError::Kubeconfig(chain(&e))),
    }
}

fn no_kubeconfig(e: &KubeconfigError) -> bool {
    match e {
        KubeconfigError::FindPath => true,
        KubeconfigError::ReadConfig(io, _) => io.kind() == std::io::ErrorKind::NotFound,
        _ => false,
    }
}

/// One list (or, for a named namespace, one read) to run.
struct Job {
    kind: LiveKind,
    api: ApiResource,
    namespace: Option<String>,
    /// Read this one object (a namespace named with --namespace) instead of listing.
    get: Option<String>,
}

async fn collect_cluster(target: Target, options: &Options, progress: &dyn Progress) -> Collected {
    let cluster = target.name.as_str();
    let mut out = Collected::default();
    let fail = |out: &mut Collected, message: String| {
        let error = CollectError {
            collector: COLLECTOR.into(),
            scope: cluster.to_string(),
            line: None,
            column: None,
            kinds: KINDS.iter().map(LiveKind::resource_kind).collect(),
            message,
            warning: false,
        };
        progress.report(Event::NotCollected {
            cluster,
            error: &error,
        });
        out.errors.push(error);
        progress.report(Event::Finished {
            cluster,
            resources: 0,
            errors: 1,
        });
    };
    let mut config = match target.config {
        Ok(config) => config,
        Err(message) => {
            fail(&mut out, message);
            return out;
        }
    };
    let server = config.cluster_url.to_string();
    progress.report(Event::Connecting {
        cluster,
        server: &server,
    });
    config.read_timeout = Some(options.request_timeout);
    config.reset_reader_on_write = true;
    // Credentials are made here: an exec plugin (`aws eks get-token`) runs now, and may take
    // a second or more. On a blocking thread, so that clusters still start together.
    let client = match tokio::task::spawn_blocking(move || Client::try_from(config)).await {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => {
            fail(
                &mut out,
                format!("cannot connect to {server}: {}", chain(&e)),
            );
            return out;
        }
        Err(e) => {
            fail(&mut out, format!("cannot connect to {server}: {e}"));
            return out;
        }
    };
    let discovery = match Discovery::new(client.clone()).filter(GROUPS).run().await {
        Ok(d) => d,
        Err(e) => {
            fail(
                &mut out,
                format!("cannot read the API server at {server}: {}", describe(&e)),
            );
            return out;
        }
    };

    let jobs = plan(&discovery, &options.namespaces);
    progress.report(Event::Started {
        cluster,
        kinds: jobs.len(),
    });
    let chunk = options.chunk_size.max(1);
    let mut results = futures::stream::iter(jobs)
        .map(|job| {
            let client = client.clone();
            async move {
                let read = match &job.get {
                    Some(name) => get(&client, &job, name, cluster).await,
                    None => list(&client, &job, chunk, cluster).await,
                };
                (job, read)
            }
        })
        .buffer_unordered(CONCURRENT_LISTS);

    let mut unread: Vec<(LiveKind, Option<String>)> = Vec::new();
    while let Some((job, read)) = results.next().await {
        match read {
            Ok(read) => {
                for error in &read.errors {
                    progress.report(Event::NotCollected { cluster, error });
                }
                progress.report(Event::Listed {
                    cluster,
                    kind: job.kind,
                    resources: read.resources.len(),
                });
                out.resources.extend(read.resources);
                out.errors.extend(read.errors);
            }
            Err(e) => {
                let verb = if job.get.is_some() { "read" } else { "list" };
                let within = match (&job.get, &job.namespace) {
                    (Some(name), _) => format!(" {name}"),
                    (None, Some(ns)) => format!(" in namespace {ns}"),
                    (None, None) => String::new(),
                };
                let error = CollectError {
                    collector: COLLECTOR.into(),
                    scope: format!("{cluster}/{}", job.kind.qualified()),
                    line: None,
                    column: None,
                    kinds: vec![job.kind.resource_kind()],
                    message: format!(
                        "cannot {verb} {}{within}: {}",
                        job.kind.qualified(),
                        describe(&e)
                    ),
                    warning: false,
                };
                progress.report(Event::NotCollected {
                    cluster,
                    error: &error,
                });
                out.errors.push(error);
                unread.push((job.kind, job.namespace.clone()));
            }
        }
    }
    mark_unread_satellites(&mut out.resources, &unread);
    let scope = match options.namespaces.as_slice() {
        [] => cluster.to_string(),
        namespaces => format!("{cluster}/{}", namespaces.join(",")),
    };
    out.runs.push(CollectorRun {
        collector: COLLECTOR.into(),
        scope,
        resources: out.resources.len(),
        // What was looked for, each read completely: drift tells a deleted object from a kind
        // never read by this.
        kinds: KINDS.iter().map(|k| (k.resource_kind(), true)).collect(),
    });
    progress.report(Event::Finished {
        cluster,
        resources: out.resources.len(),
        errors: out.errors.len(),
    });
    out
}

/// Namespaces whose NetworkPolicies, ResourceQuotas or LimitRanges could not be listed get
/// `/networkpolicies`, `/resourcequotas` or `/limitranges` in their `unknown`: the facets that
/// count them are then unknown rather than "none" (see `normalize::kubernetes`).
fn mark_unread_satellites(resources: &mut [Resource], unread: &[(LiveKind, Option<String>)]) {
    for (kind, namespace) in unread {
        let pointer = match kind.kind {
            "NetworkPolicy" => "/networkpolicies",
            "ResourceQuota" => "/resourcequotas",
            "LimitRange" => "/limitranges",
            _ => continue,
        };
        for r in resources.iter_mut().filter(|r| r.kind == "k8s/Namespace") {
            if namespace.as_ref().is_none_or(|ns| *ns == r.name) {
                r.unknown.insert(pointer.to_string());
            }
        }
    }
}

/// The lists to run, at the version the server prefers for each kind. Kinds the server does
/// not serve (an old cluster) have no objects and are left out.
fn plan(discovery: &Discovery, namespaces: &[String]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for kind in KINDS {
        let Some((api, scope)) = resolve(discovery, kind) else {
            continue;
        };
        match (scope, namespaces) {
            (_, []) => jobs.push(Job {
                kind: *kind,
                api,
                namespace: None,
                get: None,
            }),
            (Scope::Namespaced, namespaces) => {
                for ns in namespaces {
                    jobs.push(Job {
                        kind: *kind,
                        api: api.clone(),
                        namespace: Some(ns.clone()),
                        get: None,
                    });
                }
            }
            // Within chosen namespaces, the only cluster-wide objects read are those
            // namespaces themselves.
            (Scope::Cluster, namespaces) if kind.kind == "Namespace" => {
                for ns in namespaces {
                    jobs.push(Job {
                        kind: *kind,
                        api: api.clone(),
                        namespace: None,
                        get: Some(ns.clone()),
                    });
                }
            }
            (Scope::Cluster, _) => {}
        }
    }
    jobs
}

/// The kind at the group's preferred version, or else at the most stable version serving it.
fn resolve(discovery: &Discovery, kind: &LiveKind) -> Option<(ApiResource, Scope)> {
    let group = discovery.get(kind.group)?;
    std::iter::once(group.preferred_version_or_latest())
        .chain(group.versions())
        .find_map(|version| {
            group
                .versioned_resources(version)
                .into_iter()
                .find(|(api, caps)| api.kind == kind.kind && caps.supports_operation(verbs::LIST))
        })
        .map(|(api, caps)| (api, caps.scope))
}

/// The resources of one kind, and the objects among them plumb could not place.
#[derive(Default)]
struct Read {
    resources: Vec<Resource>,
    errors: Vec<CollectError>,
}

impl Read {
    fn add(&mut self, cluster: &str, api: &ApiResource, obj: Value) {
        match live_resource(cluster, api, obj) {
            Ok(Some(r)) => self.resources.push(r),
            Ok(None) => {}
            Err(error) => self.errors.push(error),
        }
    }
}

/// Every object of one list, page by page; each page becomes resources as it arrives, so a
/// large cluster is never held as raw JSON. An expired continue token (410 Gone: the server
/// compacted the revision the list started from) restarts the list from the beginning.
async fn list(client: &Client, job: &Job, chunk: u32, cluster: &str) -> Result<Read, kube::Error> {
    let path = DynamicObject::url_path(&job.api, job.namespace.as_deref());
    let mut attempt = 1;
    'restart: loop {
        let mut read = Read::default();
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(chunk);
            if let Some(token) = &token {
                params = params.continue_token(token);
            }
            let request = Request::new(&path)
                .list(&params)
                .map_err(kube::Error::BuildRequest)?;
            match client.request::<ObjectList<Value>>(request).await {
                Ok(page) => {
                    for obj in page.items {
                        read.add(cluster, &job.api, obj);
                    }
                    token = page.metadata.continue_.filter(|t| !t.is_empty());
                    if token.is_none() {
                        return Ok(read);
                    }
                }
                Err(kube::Error::Api(status))
                    if status.code == 410 && token.is_some() && attempt < LIST_ATTEMPTS =>
                {
                    attempt += 1;
                    continue 'restart;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

async fn get(client: &Client, job: &Job, name: &str, cluster: &str) -> Result<Read, kube::Error> {
    let path = DynamicObject::url_path(&job.api, job.namespace.as_deref());
    let request = Request::new(&path)
        .get(name, &GetParams::default())
        .map_err(kube::Error::BuildRequest)?;
    let mut read = Read::default();
    read.add(cluster, &job.api, client.request::<Value>(request).await?);
    Ok(read)
}

/// The resource for one listed object; `None` for an object its controller stands for.
fn live_resource(
    cluster: &str,
    api: &ApiResource,
    mut obj: Value,
) -> Result<Option<Resource>, CollectError> {
    // Items of a typed list carry no apiVersion and kind: the list says what they are.
    if let Value::Object(map) = &mut obj {
        map.entry("apiVersion")
            .or_insert_with(|| Value::String(api.api_version.clone()));
        map.entry("kind")
            .or_insert_with(|| Value::String(api.kind.clone()));
    }
    if stands_for_its_owner(&api.kind, &obj) {
        return Ok(None);
    }
    server_fields::normalise(&mut obj);
    let identity = Identity::of(&obj).map_err(|message| CollectError {
        collector: COLLECTOR.into(),
        scope: format!("{cluster}/{}", api.kind),
        line: None,
        column: None,
        kinds: vec![format!("k8s/{}", api.kind)],
        message: format!("the API server returned an object plumb cannot place: {message}"),
        warning: false,
    })?;
    let source = Source::Kubernetes {
        cluster: cluster.to_string(),
        namespace: identity.namespace.clone(),
    };
    Ok(Some(resource(obj, &identity, cluster, source, None)))
}

/// Whether a controller owns this object and is judged in its place: a Deployment's
/// ReplicaSets, a CronJob's Jobs, any controller's Pods.
fn stands_for_its_owner(kind: &str, obj: &Value) -> bool {
    let controller = obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true));
    let Some(owner) = controller else {
        return false;
    };
    let owner_kind = owner.get("kind").and_then(Value::as_str).unwrap_or("");
    match kind {
        "Pod" => true,
        "ReplicaSet" => owner_kind == "Deployment",
        "Job" => owner_kind == "CronJob",
        _ => false,
    }
}

/// An API error as a reader wants it: the server's own message for a Status answer.
fn describe(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => {
            let reason = match status.reason.as_str() {
                "" => "error",
                reason => reason,
            };
            format!("{reason} ({}): {}", status.code, status.message)
        }
        // The transport's own errors say what happened; kube's wrapper adds only its name.
        kube::Error::Service(e) => chain(e.as_ref()),
        kube::Error::HyperError(e) => chain(e),
        other => chain(other),
    }
}

/// An error and its causes, `outer: inner: innermost`, without repeats.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn controllers_stand_for_what_they_own() {
        let owned = |kind: &str| {
            json!({"metadata": {"ownerReferences": [
                {"apiVersion": "apps/v1", "kind": kind, "name": "x", "uid": "u", "controller": true}
            ]}})
        };
        assert!(stands_for_its_owner("ReplicaSet", &owned("Deployment")));
        assert!(!stands_for_its_owner("ReplicaSet", &owned("Rollout")));
        assert!(stands_for_its_owner("Pod", &owned("ReplicaSet")));
        assert!(stands_for_its_owner("Job", &owned("CronJob")));
        assert!(!stands_for_its_owner("Pod", &json!({"metadata": {}})));
        let not_controller = json!({"metadata": {"ownerReferences": [
            {"kind": "Deployment", "name": "x", "uid": "u"}]}});
        assert!(!stands_for_its_owner("ReplicaSet", &not_controller));
    }

    #[test]
    fn every_kind_has_a_discovered_group() {
        for kind in KINDS {
            assert!(GROUPS.contains(&kind.group), "{}", kind.qualified());
        }
        assert_eq!(KINDS[0].qualified(), "core/Namespace");
    }
}
