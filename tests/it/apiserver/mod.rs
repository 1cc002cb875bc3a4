//! A Kubernetes API server for tests, on 127.0.0.1, speaking the API's wire format over HTTPS.
//!
//! No real API server can run on the test machines, so this one serves a fixture cluster
//! (`fixtures/cluster/<name>/*.yaml`: objects exactly as a real server stores them) the way
//! kube-apiserver does, for what clients need to read a cluster:
//!
//! * discovery: `/api`, `/apis` (APIVersions, APIGroupList) and each group version's
//!   APIResourceList, with the real resource names, kinds, scopes, verbs and short names;
//! * lists with `limit` and `continue` (opaque tokens, `remainingItemCount`), items without
//!   `apiVersion`/`kind` as in a typed list, in key order; single objects by name;
//! * `Status` answers: 401 for a wrong bearer token, 403 for resources the behaviour forbids,
//!   410 `Expired` for a continue token the behaviour expires, 404, 406, 405.
//!
//! Not implemented (requests using them get a 400, so a test notices): watches, label and
//! field selectors, `resourceVersion` semantics, version conversion (an object is served at
//! the group version its fixture names), protobuf and table output.
//!
//! Each server has its own CA; [`ApiServer::ca_pem`] goes into the kubeconfig, so clients
//! verify TLS as they would against a real cluster. Every request is logged for assertions.

#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

/// The objects of a fixture cluster, each with `apiVersion` and `kind`.
#[derive(Clone, Debug)]
pub struct Cluster {
    pub objects: Vec<Value>,
}

impl Cluster {
    /// Reads every `*.yaml` file of `dir` (multi-document YAML).
    pub fn load(dir: &Path) -> Cluster {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("a directory entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        let mut objects = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("fixture is readable");
            let docs = plumb::yaml::documents(&text)
                .unwrap_or_else(|e| panic!("{}: {}", file.display(), e.message));
            objects.extend(docs.iter().map(|d| d.to_json()).filter(|v| !v.is_null()));
        }
        Cluster { objects }
    }

    /// The objects of one kind (`Deployment`), in the server's key order.
    pub fn of_kind(&self, kind: &str) -> Vec<Value> {
        let mut out: Vec<Value> = self
            .objects
            .iter()
            .filter(|o| o["kind"] == kind)
            .cloned()
            .collect();
        out.sort_by_key(key);
        out
    }
}

/// How a server behaves beyond serving its cluster.
#[derive(Clone, Default)]
pub struct Behaviour {
    /// The bearer token clients must present.
    pub token: String,
    /// Resources (plural names) whose requests are forbidden (403).
    pub forbidden: Vec<&'static str>,
    /// Resources whose first continue token is expired (410) when it comes back.
    pub expire_continue: Vec<&'static str>,
    /// Servers that hold their first answer until every party has been asked something:
    /// proof that a client talks to them at the same time.
    pub rendezvous: Option<Arc<Rendezvous>>,
}

/// A meeting point for several servers' first requests.
pub struct Rendezvous {
    parties: usize,
    arrived: Mutex<BTreeSet<String>>,
    missed: AtomicBool,
}

impl Rendezvous {
    pub fn new(parties: usize) -> Arc<Rendezvous> {
        Arc::new(Rendezvous {
            parties,
            arrived: Mutex::new(BTreeSet::new()),
            missed: AtomicBool::new(false),
        })
    }

    async fn arrive(&self, who: &str) {
        self.arrived.lock().unwrap().insert(who.to_string());
        // Ten seconds: far longer than any request of a concurrent client takes.
        for _ in 0..1000 {
            if self.arrived.lock().unwrap().len() >= self.parties {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.missed.store(true, Ordering::SeqCst);
    }

    /// Whether every party arrived while the others were still waiting.
    pub fn met(&self) -> bool {
        !self.missed.load(Ordering::SeqCst) && self.arrived.lock().unwrap().len() >= self.parties
    }
}

/// A running server. Dropping it stops it.
pub struct ApiServer {
    /// `https://127.0.0.1:<port>`
    pub url: String,
    /// The CA that signed the server's certificate, PEM.
    pub ca_pem: String,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl ApiServer {
    pub fn start(cluster: Cluster, behaviour: Behaviour) -> ApiServer {
        let (ca_pem, tls) = certificates();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the test server");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a free loopback port");
        let port = listener.local_addr().expect("bound").port();
        let url = format!("https://127.0.0.1:{port}");
        let mut by_kind: HashMap<String, Vec<Value>> = HashMap::new();
        for obj in cluster.objects {
            let kind = obj["kind"].as_str().unwrap_or("").to_string();
            by_kind.entry(kind).or_default().push(obj);
        }
        for objects in by_kind.values_mut() {
            objects.sort_by_key(key);
        }
        let state = Arc::new(State {
            name: url.clone(),
            by_kind,
            behaviour,
            log: Mutex::new(Vec::new()),
            expired: Mutex::new(BTreeSet::new()),
            first: AtomicBool::new(true),
        });
        let acceptor = TlsAcceptor::from(Arc::new(tls));
        let serving = state.clone();
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let state = serving.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    let service = hyper::service::service_fn(move |req| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(state.answer(req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        ApiServer {
            url,
            ca_pem,
            state,
            runtime: Some(runtime),
        }
    }

    /// Every request so far, as `GET /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.state.log.lock().unwrap().clone()
    }
}

/// A CA and a server certificate for 127.0.0.1 and localhost, made for this run.
fn certificates() -> (String, rustls::ServerConfig) {
    use rcgen::{
        BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
        KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "plumb test cluster CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("a CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().expect("a server key");
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".into()])
        .expect("server parameters");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    let cert = params
        .signed_by(&key, &issuer)
        .expect("a server certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("a server TLS configuration");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca_cert.pem(), config)
}

struct State {
    name: String,
    /// The cluster's objects by kind, in key order.
    by_kind: HashMap<String, Vec<Value>>,
    behaviour: Behaviour,
    log: Mutex<Vec<String>>,
    /// Resources whose continue token was already expired once.
    expired: Mutex<BTreeSet<String>>,
    first: AtomicBool,
}

/// A resource the server serves.
struct Def {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
}

const fn def(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    status: bool,
) -> Def {
    // Singular names are the lower-cased kinds for every resource below.
    Def {
        group,
        version,
        plural,
        singular: "",
        kind,
        namespaced,
        short,
        status,
    }
}

/// What a v1.32 cluster serves, for the groups a client of these tests reads (and two it
/// does not, so that filtering is exercised).
const RESOURCES: &[Def] = &[
    def("", "v1", "configmaps", "ConfigMap", true, &["cm"], false),
    def("", "v1", "endpoints", "Endpoints", true, &["ep"], false),
    def("", "v1", "events", "Event", true, &["ev"], false),
    def(
        "",
        "v1",
        "limitranges",
        "LimitRange",
        true,
        &["limits"],
        false,
    ),
    def("", "v1", "namespaces", "Namespace", false, &["ns"], true),
    def("", "v1", "nodes", "Node", false, &["no"], true),
    def(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
        true,
    ),
    def("", "v1", "pods", "Pod", true, &["po"], true),
    def(
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        true,
        &["quota"],
        true,
    ),
    def("", "v1", "secrets", "Secret", true, &[], false),
    def(
        "",
        "v1",
        "serviceaccounts",
        "ServiceAccount",
        true,
        &["sa"],
        false,
    ),
    def("", "v1", "services", "Service", true, &["svc"], true),
    def(
        "apps",
        "v1",
        "controllerrevisions",
        "ControllerRevision",
        true,
        &[],
        false,
    ),
    def("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"], true),
    def(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        true,
        &["deploy"],
        true,
    ),
    def(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        true,
        &["rs"],
        true,
    ),
    def(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        true,
        &["sts"],
        true,
    ),
    def(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        true,
    ),
    def(
        "autoscaling",
        "v1",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
        true,
    ),
    def("batch", "v1", "cronjobs", "CronJob", true, &["cj"], true),
    def("batch", "v1", "jobs", "Job", true, &[], true),
    def(
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "IngressClass",
        false,
        &[],
        false,
    ),
    def(
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        true,
        &["ing"],
        true,
    ),
    def(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
        false,
    ),
    def(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
        true,
    ),
    def(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        &[],
        false,
    ),
    def(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
        &[],
        false,
    ),
    def(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
        &[],
        false,
    ),
    def(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "Role",
        true,
        &[],
        false,
    ),
    def(
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
        false,
    ),
    def(
        "coordination.k8s.io",
        "v1",
        "leases",
        "Lease",
        true,
        &[],
        false,
    ),
];

/// API groups in the order kube-apiserver lists them, with their versions, preferred first.
const GROUPS: &[(&str, &[&str])] = &[
    ("apps", &["v1"]),
    ("autoscaling", &["v2", "v1"]),
    ("batch", &["v1"]),
    ("networking.k8s.io", &["v1"]),
    ("policy", &["v1"]),
    ("rbac.authorization.k8s.io", &["v1"]),
    ("storage.k8s.io", &["v1"]),
    ("coordination.k8s.io", &["v1"]),
];

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// Items are stored under `<namespace>/<name>` (or `<name>`), and lists run in that order.
fn key(obj: &Value) -> String {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    match obj["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    }
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

fn status(code: u16, reason: &str, message: &str, details: Value) -> (u16, Value) {
    let mut body = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if !details.is_null() {
        body["details"] = details;
    }
    (code, body)
}

fn not_found() -> (u16, Value) {
    status(
        404,
        "NotFound",
        "the server could not find the requested resource",
        json!({}),
    )
}

/// Whether a client accepts plain JSON, the only format served.
fn accepts_json(accept: Option<&str>) -> bool {
    let Some(accept) = accept else { return true };
    accept.split(',').any(|media| {
        let mut parts = media.split(';').map(str::trim);
        let ty = parts.next().unwrap_or("");
        let plain = parts.all(|p| !p.starts_with("as="));
        plain && matches!(ty, "application/json" | "application/*" | "*/*")
    })
}

impl State {
    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let uri = req.uri().clone();
        self.log
            .lock()
            .unwrap()
            .push(format!("{} {}", req.method(), uri));
        if self.first.swap(false, Ordering::SeqCst)
            && let Some(meeting) = &self.behaviour.rendezvous
        {
            meeting.arrive(&self.name).await;
        }
        let authorized = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(format!("Bearer {}", self.behaviour.token).as_str());
        let accept = req
            .headers()
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (code, body) = if !authorized {
            status(401, "Unauthorized", "Unauthorized", Value::Null)
        } else if req.method() != hyper::Method::GET {
            status(
                405,
                "MethodNotAllowed",
                "the test server only reads",
                Value::Null,
            )
        } else if !accepts_json(accept.as_deref()) {
            status(
                406,
                "NotAcceptable",
                "only application/json is served",
                Value::Null,
            )
        } else {
            self.route(uri.path(), uri.query().unwrap_or(""))
        };
        let text = serde_json::to_vec(&body).expect("JSON values serialise");
        Response::builder()
            .status(StatusCode::from_u16(code).expect("a valid status code"))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(text)))
            .expect("a valid response")
    }

    fn route(&self, path: &str, query: &str) -> (u16, Value) {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        match segments.as_slice() {
            ["version"] => (
                200,
                json!({"major": "1", "minor": "32", "gitVersion": "v1.32.4",
                    "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335", "gitTreeState": "clean",
                    "buildDate": "2025-04-22T16:02:27Z", "goVersion": "go1.23.6",
                    "compiler": "gc", "platform": "linux/amd64"}),
            ),
            ["api"] => (
                200,
                json!({"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}]}),
            ),
            ["apis"] => (200, self.group_list()),
            ["api", "v1"] => (200, resource_list("", "v1")),
            ["apis", group, version]
                if GROUPS
                    .iter()
                    .any(|(g, vs)| g == group && vs.contains(version)) =>
            {
                (200, resource_list(group, version))
            }
            ["api", "v1", rest @ ..] => self.resource("", "v1", rest, query),
            ["apis", group, version, rest @ ..] => self.resource(group, version, rest, query),
            _ => not_found(),
        }
    }

    fn group_list(&self) -> Value {
        let groups: Vec<Value> = GROUPS
            .iter()
            .map(|(name, versions)| {
                let versions: Vec<Value> = versions
                    .iter()
                    .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
                    .collect();
                json!({"name": name, "versions": versions, "preferredVersion": versions[0]})
            })
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `<plural>`, `<plural>/<name>`, `namespaces/<ns>/<plural>`, `namespaces/<ns>/<plural>/<name>`.
    fn resource(&self, group: &str, version: &str, rest: &[&str], query: &str) -> (u16, Value) {
        let find = |plural: &str| {
            RESOURCES
                .iter()
                .find(|d| d.group == group && d.version == version && d.plural == plural)
        };
        let (def, namespace, name) = match rest {
            [plural] => (find(plural), None, None),
            ["namespaces", ns, plural] => (find(plural).filter(|d| d.namespaced), Some(*ns), None),
            ["namespaces", ns, plural, name] => (
                find(plural).filter(|d| d.namespaced),
                Some(*ns),
                Some(*name),
            ),
            [plural, name] => (find(plural).filter(|d| !d.namespaced), None, Some(*name)),
            _ => (None, None, None),
        };
        let Some(def) = def else {
            return not_found();
        };
        let params: HashMap<String, String> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                Some((decode(k)?, decode(v)?))
            })
            .collect();
        for unsupported in ["watch", "labelSelector", "fieldSelector", "resourceVersion"] {
            if params.contains_key(unsupported) {
                return status(
                    400,
                    "BadRequest",
                    &format!("the test server does not implement {unsupported}"),
                    Value::Null,
                );
            }
        }
        let full = group_version(def.group, def.version);
        if self.behaviour.forbidden.contains(&def.plural) {
            let verb = if name.is_some() { "get" } else { "list" };
            let resource = if def.group.is_empty() {
                def.plural.to_string()
            } else {
                format!("{}.{}", def.plural, def.group)
            };
            let scope = match namespace {
                Some(ns) => format!("in the namespace \"{ns}\""),
                None => "at the cluster scope".to_string(),
            };
            return status(
                403,
                "Forbidden",
                &format!(
                    "{resource} is forbidden: User \"system:serviceaccount:plumb:reader\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
                    def.plural, def.group
                ),
                json!({"group": def.group, "kind": def.plural}),
            );
        }
        let objects: Vec<&Value> = self
            .by_kind
            .get(def.kind)
            .into_iter()
            .flatten()
            .filter(|o| o["apiVersion"] == full.as_str())
            .filter(|o| namespace.is_none_or(|ns| o["metadata"]["namespace"] == ns))
            .collect();
        if let Some(name) = name {
            return match objects.into_iter().find(|o| o["metadata"]["name"] == name) {
                Some(obj) => (200, obj.clone()),
                None => status(
                    404,
                    "NotFound",
                    &format!("{} \"{name}\" not found", def.plural),
                    json!({"name": name, "kind": def.plural}),
                ),
            };
        }
        self.list(def, &full, objects, &params)
    }

    fn list(
        &self,
        def: &Def,
        group_version: &str,
        objects: Vec<&Value>,
        params: &HashMap<String, String>,
    ) -> (u16, Value) {
        let revision = 70500;
        let start = match params.get("continue") {
            None => String::new(),
            Some(token) => {
                let Some(start) = decode_token(token) else {
                    return status(
                        400,
                        "BadRequest",
                        "continue key is not valid: illegal base64 data at input byte 0",
                        Value::Null,
                    );
                };
                if self.behaviour.expire_continue.contains(&def.plural)
                    && self.expired.lock().unwrap().insert(def.plural.to_string())
                {
                    let mut body = status(
                        410,
                        "Expired",
                        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
                        Value::Null,
                    );
                    body.1["metadata"] = json!({"continue": encode_token(revision + 1, &start)});
                    return body;
                }
                start
            }
        };
        let limit = match params.get("limit").map(|l| l.parse::<usize>()) {
            None => usize::MAX,
            Some(Ok(0)) => usize::MAX,
            Some(Ok(n)) => n,
            Some(Err(_)) => {
                return status(400, "BadRequest", "limit must be a number", Value::Null);
            }
        };
        let remaining: Vec<&Value> = objects
            .into_iter()
            .filter(|o| key(o).as_str() >= start.as_str())
            .collect();
        let more = remaining.len() > limit;
        let page: Vec<Value> = remaining
            .iter()
            .take(limit)
            .map(|o| {
                let mut item = (*o).clone();
                if let Value::Object(map) = &mut item {
                    map.remove("apiVersion");
                    map.remove("kind");
                }
                item
            })
            .collect();
        let mut metadata = json!({"resourceVersion": revision.to_string()});
        if more {
            let next = format!("{}\u{0}", key(remaining[limit - 1]));
            metadata["continue"] = json!(encode_token(revision, &next));
            metadata["remainingItemCount"] = json!(remaining.len() - limit);
        }
        (
            200,
            json!({"kind": format!("{}List", def.kind), "apiVersion": group_version,
                "metadata": metadata, "items": page}),
        )
    }
}

fn resource_list(group: &str, version: &str) -> Value {
    let mut resources = Vec::new();
    for d in RESOURCES
        .iter()
        .filter(|d| d.group == group && d.version == version)
    {
        let singular = if d.singular.is_empty() {
            d.kind.to_lowercase()
        } else {
            d.singular.to_string()
        };
        let mut entry = json!({"name": d.plural, "singularName": singular,
            "namespaced": d.namespaced, "kind": d.kind, "verbs": VERBS});
        if !d.short.is_empty() {
            entry["shortNames"] = json!(d.short);
        }
        if matches!(
            d.kind,
            "Pod"
                | "Service"
                | "Deployment"
                | "StatefulSet"
                | "DaemonSet"
                | "ReplicaSet"
                | "Job"
                | "CronJob"
        ) {
            entry["categories"] = json!(["all"]);
        }
        resources.push(entry);
        if d.status {
            resources.push(
                json!({"name": format!("{}/status", d.plural), "singularName": "",
                "namespaced": d.namespaced, "kind": d.kind, "verbs": ["get", "patch", "update"]}),
            );
        }
    }
    json!({"kind": "APIResourceList", "apiVersion": "v1",
        "groupVersion": group_version(group, version), "resources": resources})
}

fn encode_token(revision: u64, start: &str) -> String {
    let token = json!({"v": "meta.k8s.io/v1", "rv": revision, "start": start});
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(token.to_string())
}

fn decode_token(token: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value["start"].as_str().map(str::to_string)
}

/// Percent-decoding of one query component.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// A kubeconfig user.
pub enum User {
    /// A static bearer token.
    Token(String),
    /// An exec credential plugin (as `aws eks get-token` is) that prints this token.
    Exec(String),
    /// The same, running a shell snippet first.
    ExecAfter { token: String, first: String },
}

/// A kubeconfig context pointing at a server (or at an address where none listens).
pub struct Context {
    pub name: String,
    pub server: String,
    pub ca_pem: String,
    pub user: User,
}

/// A kubeconfig document for these contexts.
pub fn kubeconfig(contexts: &[Context], current: &str) -> String {
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let q = |s: &str| serde_json::to_string(s).expect("strings serialise");
    let mut clusters = String::new();
    let mut users = String::new();
    let mut entries = String::new();
    for c in contexts {
        clusters += &format!(
            "- name: {name}\n  cluster:\n    server: {server}\n    certificate-authority-data: {ca}\n",
            name = q(&c.name),
            server = q(&c.server),
            ca = b64(&c.ca_pem),
        );
        users += &format!("- name: {}\n  user:\n", q(&c.name));
        match &c.user {
            User::Token(token) => users += &format!("    token: {}\n", q(token)),
            User::Exec(token) | User::ExecAfter { token, .. } => {
                let credential = json!({"apiVersion": "client.authentication.k8s.io/v1",
                    "kind": "ExecCredential", "status": {"token": token}})
                .to_string();
                let first = match &c.user {
                    User::ExecAfter { first, .. } => format!("{first}; "),
                    _ => String::new(),
                };
                let script = format!("{first}printf '%s' '{credential}'");
                users += &format!(
                    "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sh\n      args: [\"-c\", {}]\n      interactiveMode: Never\n",
                    q(&script)
                );
            }
        }
        entries += &format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n",
            name = q(&c.name)
        );
    }
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {}\nclusters:\n{clusters}users:\n{users}contexts:\n{entries}",
        q(current)
    )
}
