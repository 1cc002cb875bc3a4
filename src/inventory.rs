//! The inventory: the one contract between collectors and everything downstream.
//!
//! A collector turns a source (a Terraform plan, a state file, a folder of Kubernetes
//! manifests, a live account) into [`Resource`]s. The normaliser links satellite resources to
//! their parent and derives [`Resource::facets`]. An [`Inventory`] is the resulting snapshot; it
//! serialises to a versioned JSON document so that collection and evaluation can run on
//! different machines and days.
//!
//! Nothing downstream of collection knows which source a resource came from except through
//! [`Resource::source`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Version of the inventory document. Bumped on any incompatible change to these types.
pub const SCHEMA_VERSION: &str = "plumb.dev/inventory/v1";

/// A snapshot: what was read, from where, when, and what could not be read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Always [`SCHEMA_VERSION`] for documents this build writes; checked on read.
    pub schema: String,
    pub metadata: Metadata,
    /// Sorted by `id`; ids are unique.
    pub resources: Vec<Resource>,
    /// Changes the provider's audit log recorded before the snapshot (AWS CloudTrail management
    /// events), for saying who changed a drifted resource. `None` when no log was read: then
    /// nothing is known about who changed what, which is not the same as "nobody did".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<Activity>,
}

/// The audit-log events a live collector gathered for a window of time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// Which log: `aws-cloudtrail`.
    pub source: String,
    /// The window the events cover, RFC 3339: every write event in it was gathered (minus the
    /// scopes listed in the inventory's `errors`).
    pub since: String,
    pub until: String,
    /// Sorted by time, then id.
    #[serde(default)]
    pub events: Vec<ChangeEvent>,
    /// The scopes (`account/region`, `account/global` for global services) whose events could
    /// not be read, sorted; each has an entry in the inventory's `errors`. The window is
    /// covered only when this is empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unread: Vec<String>,
}

/// One write call recorded by the provider's audit log: who called what, when, from where,
/// on which resources.
///
/// For AWS this is a CloudTrail management event (`LookupEvents`, read-only events left out).
/// Only these fields are kept: request parameters are not, because they can carry secrets
/// (a `PutParameter` value, a `CreateLoginProfile` password).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChangeEvent {
    /// RFC 3339 UTC time of the call.
    pub time: String,
    /// The log's own id (CloudTrail `eventID`): an event gathered twice is kept once.
    pub id: String,
    /// The API call, e.g. `PutBucketVersioning`.
    pub action: String,
    /// The service that received it, e.g. `s3.amazonaws.com`.
    pub service: String,
    pub actor: Actor,
    /// The caller's IP address, or the AWS service that called on the actor's behalf
    /// (`cloudformation.amazonaws.com`), as CloudTrail's `sourceIPAddress` gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The resources the event names, ARNs or names as the log gives them.
    #[serde(default)]
    pub resources: Vec<EventResource>,
    /// Set when the call failed (`AccessDenied`): such a call changed nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

/// Who made a call (CloudTrail `userIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Actor {
    /// `IAMUser`, `AssumedRole`, `Root`, `AWSService`, `FederatedUser`, `IdentityCenterUser`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// The caller's ARN (for an assumed role, the session ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    /// A person-readable name: the IAM user name, or the role session name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The AWS service that made the call for the actor (`invokedBy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = self
            .name
            .as_deref()
            .or(self.arn.as_deref())
            .or(self.invoked_by.as_deref())
            .unwrap_or(self.kind.as_str());
        f.write_str(who)?;
        // The role behind a session name is what an investigator asks next.
        if let Some(arn) = &self.arn
            && self.kind == "AssumedRole"
            && let Some(role) = arn.split(':').nth(5).and_then(|r| r.split('/').nth(1))
        {
            write!(f, " (role {role})")?;
        }
        Ok(())
    }
}

/// A resource named by an event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventResource {
    /// The log's resource type, e.g. `AWS::S3::Bucket`, when it gives one.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// An ARN or a name (`sg-0abc`, `logs-bucket`), as the log gives it.
    pub name: String,
}

/// Where and when an inventory was taken.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// RFC 3339 time the collection finished.
    pub collected_at: String,
    /// plumb's name and version.
    pub tool: Tool,
    /// One entry per collector run: which collector and which scope it read.
    #[serde(default)]
    pub collectors: Vec<CollectorRun>,
    /// Parts of the scope that could not be read. Unread is not compliant: reports show these.
    #[serde(default)]
    pub errors: Vec<CollectError>,
    /// For scans of files: how many were read and judged, and which were skipped and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Files>,
}

/// What a scan of files and folders did with the files it found: nothing is silently left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Files {
    /// Files whose content was read.
    pub read: usize,
    /// Files the judged resources came from (a Kustomize base's files, a chart's templates).
    pub judged: usize,
    /// Files recognised by name or content and not judged, with the reason; sorted by path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<SkippedFile>,
    /// Files of no format plumb reads (source code, documentation, images): counted only.
    #[serde(default)]
    pub other: usize,
}

impl Files {
    /// Skipped files counted by reason, most common first (then by reason).
    pub fn skipped_by_reason(&self) -> Vec<(&str, usize)> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for s in &self.skipped {
            *counts.entry(s.reason.as_str()).or_default() += 1;
        }
        let mut out: Vec<(&str, usize)> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        out
    }

    /// One line: `12 files read, 9 judged, 3 skipped (2 Helm chart metadata, 1 JSON Schema)`.
    pub fn line(&self) -> String {
        let mut line = format!("{} files read, {} judged", self.read, self.judged);
        if !self.skipped.is_empty() {
            let reasons: Vec<String> = self
                .skipped_by_reason()
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            line.push_str(&format!(
                ", {} skipped ({})",
                self.skipped.len(),
                reasons.join("; ")
            ));
        }
        if self.other > 0 {
            line.push_str(&format!(
                ", {} other files not of a format plumb reads",
                self.other
            ));
        }
        line
    }
}

/// A file a scan found and did not judge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SkippedFile {
    pub path: String,
    /// Why: `Docker Compose file`, `CloudFormation template (not supported)`, `Helm chart
    /// metadata`, ... (a file that cannot be read is an error, not a skip).
    pub reason: String,
}

/// The producing tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// One collector's run over one scope (a file, a directory, an account and region, a cluster).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CollectorRun {
    /// `terraform-plan`, `terraform-state`, `kubernetes-manifest`, `aws`, `kubernetes`, ...
    pub collector: String,
    /// What it read: a path, `account/region`, a cluster context.
    pub scope: String,
    /// How many resources it produced.
    pub resources: usize,
    /// Live collectors: the resource kinds this run was to read in its scope, each with whether
    /// it was read completely (`false`: a listing failed or, for AWS Config, the recorder does
    /// not record the kind; `errors` says why). A kind absent here was not looked for.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub kinds: BTreeMap<String, bool>,
}

/// A part of the scope a collector could not read, or an input it could not parse.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CollectError {
    pub collector: String,
    /// The file, or the account/region/service, or cluster/kind, that was not read.
    pub scope: String,
    /// 1-based line in `scope` when the error is about a position in a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Resource kinds that are therefore missing from the inventory, when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    pub message: String,
    /// A warning: listed in every report, but the scan is still complete (a remote module
    /// that is not downloaded, a block judged through a representative instance).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warning: bool,
}

impl CollectError {
    /// The stage that reports suppressions that are not honoured.
    pub const SUPPRESSION: &'static str = "suppression";
    /// The stage that reports waivers that are not honoured, have expired, or waive nothing.
    pub const WAIVER: &'static str = "waiver";

    /// Whether this is a suppression or waiver problem rather than something left unread:
    /// reported, but it does not make the scan incomplete.
    pub fn is_suppression(&self) -> bool {
        self.collector == Self::SUPPRESSION || self.collector == Self::WAIVER
    }

    /// Splits a report's problems into (unread input, warnings, waiver and suppression
    /// problems), the three lists every report format shows.
    pub fn sorted_out(errors: &[CollectError]) -> Problems<'_> {
        let mut p = Problems::default();
        for e in errors {
            if e.is_suppression() {
                p.rejected.push(e);
            } else if e.warning {
                p.warnings.push(e);
            } else {
                p.unread.push(e);
            }
        }
        p
    }
}

/// A report's problems, by what they mean for the scan.
#[derive(Debug, Default)]
pub struct Problems<'a> {
    /// Input that was not read or not evaluated: the scan is incomplete.
    pub unread: Vec<&'a CollectError>,
    /// Listed, but the scan is complete.
    pub warnings: Vec<&'a CollectError>,
    /// Waivers and inline suppressions that were not honoured.
    pub rejected: Vec<&'a CollectError>,
}

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.scope)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// One infrastructure object, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Stable address, unique in an inventory: `tf:module.vpc.aws_subnet.private[0]`,
    /// `aws:123456789012:eu-west-1:aws_s3_bucket:logs`, `k8s:prod:apps/Deployment:payments/api`.
    pub id: String,
    /// Canonical type: the Terraform AWS provider type name for AWS (`aws_s3_bucket`), whatever
    /// the source; `k8s/<Kind>` for Kubernetes (`k8s/Deployment`).
    pub kind: String,
    /// A short human name for messages: the bucket name, the database identifier, the
    /// Kubernetes `namespace/name`; the address when nothing better is known.
    pub name: String,
    /// The provider's own identifier (ARN, bucket name, `namespace/name`) when known: how IaC
    /// and live resources are matched for drift.
    #[serde(default)]
    pub cloud_id: Option<String>,
    /// Where the resource was read.
    pub source: Source,
    /// Tags (AWS) or labels (Kubernetes).
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Raw attributes in the Terraform / Kubernetes shape. Secrets are already redacted.
    #[serde(default)]
    pub attrs: Value,
    /// JSON pointers (RFC 6901) into `attrs` whose value cannot be known at collection time (a
    /// plan's "known after apply", an unresolved variable, an API field the caller may not
    /// read). `attrs` holds `null` there. `/tags` marks the tags themselves as unknown.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub unknown: BTreeSet<String>,
    /// The source-independent view built-in policies read. `null` means unknown.
    /// Names and meanings: [`crate::normalize::facets`].
    #[serde(default)]
    pub facets: BTreeMap<String, Value>,
    /// For IaC attributes whose value is an expression referring to other resources: attribute
    /// name -> ids of the resources it refers to. Lets the linking pass find a satellite's
    /// parent when the parent's id is only known after apply.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub references: BTreeMap<String, Vec<String>>,
    /// For IaC attributes whose value is unknown and refers to no other resource (`bucket =
    /// var.name` with the variable unset): attribute pointer -> a key naming the expression it
    /// was computed from, qualified by the module instance that wrote it. Two attributes with
    /// the same key hold the same value once it is known, so the linking pass can match a
    /// satellite to its parent by expression when neither value is known. The key is opaque:
    /// only equality matters.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expressions: BTreeMap<String, String>,
    /// For a satellite resource (an S3 bucket's encryption configuration, a security group
    /// rule) folded into its parent by the linking pass: the parent's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Inline suppressions found next to the resource in its source (`# plumb:ignore ...`, the
    /// `plumb.dev/ignore` annotation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<Suppression>,
    /// For resources read from source files: the 1-based line where each attribute or nested
    /// block was written, by JSON pointer into `attrs` (`/versioning/0/enabled`). Lets a
    /// finding that rests on one attribute point at that line rather than at the whole block.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attr_lines: BTreeMap<String, u32>,
    /// For objects a transformation changed after they were read (a Kustomize patch, an
    /// `images:` entry): by JSON pointer into `attrs`, the file and line of what set the value
    /// there. Values read as the base file wrote them have no entry.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attr_origins: BTreeMap<String, Origin>,
}

/// Where a value of a resource was set, when not where the resource was read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Origin {
    pub path: String,
    pub line: u32,
}

/// Where a resource was read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// A file: IaC or a manifest. Lines are 1-based and inclusive.
    File {
        path: String,
        start_line: u32,
        end_line: u32,
        /// For resources inside Terraform modules: the chain of module calls, outermost
        /// first, each as `file:line`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        module_calls: Vec<String>,
    },
    /// A live AWS account and region (`global` for global services).
    Aws { account: String, region: String },
    /// A live Kubernetes cluster (kubeconfig context) and namespace (empty when cluster-wide).
    Kubernetes { cluster: String, namespace: String },
}

impl Source {
    /// The file path, for file-based sources.
    pub fn file(&self) -> Option<&str> {
        match self {
            Source::File { path, .. } => Some(path),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File {
                path, start_line, ..
            } => write!(f, "{path}:{start_line}"),
            Source::Aws { account, region } => write!(f, "aws {account} {region}"),
            Source::Kubernetes { cluster, namespace } if namespace.is_empty() => {
                write!(f, "cluster {cluster}")
            }
            Source::Kubernetes { cluster, namespace } => {
                write!(f, "cluster {cluster} namespace {namespace}")
            }
        }
    }
}

/// An inline suppression: the policy it waives for this resource, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Suppression {
    pub policy_id: String,
    /// Empty when the author gave none; such a suppression is reported, not honoured.
    pub reason: String,
    /// Where it was written, `file:line`, when from a file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

impl Resource {
    /// A resource with empty tags, attributes and facets.
    pub fn new(id: impl Into<String>, kind: impl Into<String>, source: Source) -> Self {
        let id = id.into();
        Resource {
            name: id.clone(),
            id,
            kind: kind.into(),
            cloud_id: None,
            source,
            tags: BTreeMap::new(),
            attrs: Value::Object(Default::default()),
            unknown: BTreeSet::new(),
            facets: BTreeMap::new(),
            references: BTreeMap::new(),
            expressions: BTreeMap::new(),
            parent: None,
            suppressions: Vec::new(),
            attr_lines: BTreeMap::new(),
            attr_origins: BTreeMap::new(),
        }
    }

    /// The line of the attribute at `pointer`, or of the nearest enclosing attribute or block
    /// written in the source.
    pub fn attr_line(&self, pointer: &str) -> Option<u32> {
        let mut p = pointer;
        loop {
            if let Some(line) = self.attr_lines.get(p) {
                return Some(*line);
            }
            p = &p[..p.rfind('/')?];
            if p.is_empty() {
                return None;
            }
        }
    }

    /// Where the value at `pointer` was set, when a transformation set it: its own record,
    /// else the nearest enclosing value's (a patch that added the whole block), else the
    /// first, by line, of the values recorded inside it (a patch that set one field of it).
    pub fn attr_site(&self, pointer: &str) -> Option<&Origin> {
        if self.attr_origins.is_empty() {
            return None;
        }
        let mut p = pointer;
        while !p.is_empty() {
            if let Some(o) = self.attr_origins.get(p) {
                return Some(o);
            }
            p = &p[..p.rfind('/')?];
        }
        let inside = format!("{pointer}/");
        self.attr_origins
            .range(inside.clone()..)
            .take_while(|(k, _)| k.starts_with(&inside))
            .map(|(_, o)| o)
            .min_by_key(|o| o.line)
    }

    /// The attribute at `pointer` (RFC 6901, e.g. `/versioning/0/enabled`).
    pub fn attr(&self, pointer: &str) -> Attr<'_> {
        if self.is_unknown(pointer) {
            return Attr::Unknown;
        }
        match self.attrs.pointer(pointer) {
            None | Some(Value::Null) => Attr::Absent,
            Some(value) => Attr::Known(value),
        }
    }

    /// Whether `pointer`, or any attribute containing it, is marked unknown.
    pub fn is_unknown(&self, pointer: &str) -> bool {
        // A pointer is unknown if it, or an attribute containing it, is recorded.
        self.unknown.iter().any(|u| {
            pointer == u
                || (pointer.starts_with(u.as_str())
                    && pointer.as_bytes().get(u.len()) == Some(&b'/'))
        })
    }

    /// The file location, when the resource was read from a file.
    pub fn location(&self) -> Option<Location> {
        match &self.source {
            Source::File {
                path,
                start_line,
                end_line,
                module_calls,
            } => Some(Location {
                file: path.clone(),
                start_line: *start_line,
                end_line: *end_line,
                module_calls: module_calls.clone(),
            }),
            _ => None,
        }
    }
}

/// An attribute lookup that keeps "not set" apart from "cannot be known".
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Attr<'a> {
    Known(&'a Value),
    /// Not set (absent or `null`).
    Absent,
    /// Set, but its value cannot be known until apply (or could not be read).
    Unknown,
}

/// A span in a file. Lines are 1-based and inclusive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub start_line: u32,
    pub end_line: u32,
    /// For a resource inside Terraform modules: the module calls that led to it, outermost
    /// first, each as `file:line`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub module_calls: Vec<String>,
}

/// A inventory that cannot be used.
pub type InventoryError = crate::document::DocumentError;

impl Inventory {
    /// An inventory holding `resources`, sorted by id, with ids made unique.
    pub fn new(metadata: Metadata, mut resources: Vec<Resource>) -> Self {
        disambiguate_ids(&mut resources);
        resources.sort_by(|a, b| a.id.cmp(&b.id));
        Inventory {
            schema: SCHEMA_VERSION.to_string(),
            metadata,
            resources,
            activity: None,
        }
    }

    /// Reads an inventory document written by `plumb collect`.
    pub fn read(path: &Path) -> Result<Inventory, InventoryError> {
        crate::document::read(path)
    }

    /// Parses an inventory document; `origin` names it in errors.
    pub fn from_json(origin: &str, text: &str) -> Result<Inventory, InventoryError> {
        crate::document::parse(origin, text)
    }

    /// SHA-256 (hex) over the SHA-256 of each resource as JSON (resources are sorted by id),
    /// without the collection metadata: equal for two inventories of the same
    /// infrastructure, whenever and however they were collected. Resources are hashed in
    /// parallel: on a large estate this is a full serialisation of the inventory.
    pub fn content_hash(&self) -> String {
        use rayon::prelude::*;
        let digests: Vec<[u8; 32]> = self
            .resources
            .par_iter()
            .map(|r| {
                let mut hasher = HashWriter(Sha256::new());
                serde_json::to_writer(&mut hasher, r)
                    .expect("resources are plain data and always serialise");
                hasher.0.finalize().into()
            })
            .collect();
        let mut all = Sha256::new();
        for d in &digests {
            all.update(d);
        }
        hex(&all.finalize())
    }

    /// Looks a resource up by id (resources are sorted by id).
    pub fn get(&self, id: &str) -> Option<&Resource> {
        self.resources
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.resources[i])
    }
}

/// Two sources may describe the same address (a plan and a state of one root, two roots with
/// the same resource names). Ids must stay unique, so colliding ids are qualified with their
/// file (`tf:aws_s3_bucket.logs@envs/prod/plan.json`), and with an ordinal if that is not enough.
fn disambiguate_ids(resources: &mut [Resource]) {
    let colliding = |resources: &[Resource]| {
        let mut count: BTreeMap<&str, usize> = BTreeMap::new();
        for r in resources {
            *count.entry(&r.id).or_default() += 1;
        }
        count
            .into_iter()
            .filter(|(_, n)| *n > 1)
            .map(|(id, _)| id.to_string())
            .collect::<BTreeSet<String>>()
    };
    let mut renames: BTreeMap<(String, String), String> = BTreeMap::new();
    let first = colliding(resources);
    if first.is_empty() {
        return;
    }
    for r in resources.iter_mut().filter(|r| first.contains(&r.id)) {
        let qualified = match &r.source {
            Source::File { path, .. } => format!("{}@{path}", r.id),
            other => format!("{}@{other}", r.id),
        };
        renames.insert((r.id.clone(), source_key(&r.source)), qualified.clone());
        r.id = qualified;
    }
    let second = colliding(resources);
    let mut ordinal: BTreeMap<String, usize> = BTreeMap::new();
    for r in resources.iter_mut().filter(|r| second.contains(&r.id)) {
        let n = ordinal.entry(r.id.clone()).or_default();
        *n += 1;
        r.id = format!("{}#{n}", r.id);
    }
    // The linking pass ran per source, so a parent shares its satellite's source.
    for r in resources.iter_mut() {
        if let Some(parent) = &r.parent
            && let Some(new) = renames.get(&(parent.clone(), source_key(&r.source)))
        {
            r.parent = Some(new.clone());
        }
    }
}

/// Feeds serialised bytes straight into a hash, without building the document.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// SHA-256 (hex) of a value's JSON form. Object keys are sorted (serde_json's map is ordered),
/// so equal values hash equally.
pub(crate) fn json_digest(value: &impl Serialize) -> String {
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, value).expect("plain data always serialises");
    hex(&hasher.0.finalize())
}

fn source_key(source: &Source) -> String {
    match source {
        Source::File { path, .. } => path.clone(),
        other => other.to_string(),
    }
}

impl crate::document::Versioned for Inventory {
    const SCHEMA: crate::document::Schema = crate::document::Schema {
        id: SCHEMA_VERSION,
        what: "inventory",
        hint: "",
    };

    fn schema(&self) -> &str {
        &self.schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bucket() -> Resource {
        let mut r = Resource::new(
            "tf:aws_s3_bucket.logs",
            "aws_s3_bucket",
            Source::File {
                path: "plan.json".into(),
                start_line: 1,
                end_line: 1,
                module_calls: vec![],
            },
        );
        r.attrs = json!({"bucket": "logs", "versioning": [{"enabled": true}], "arn": null});
        r.unknown.insert("/arn".into());
        r.unknown.insert("/logging".into());
        r
    }

    #[test]
    fn attr_keeps_unknown_apart_from_absent() {
        let r = bucket();
        assert_eq!(r.attr("/bucket"), Attr::Known(&json!("logs")));
        assert_eq!(r.attr("/arn"), Attr::Unknown);
        assert_eq!(r.attr("/logging/0/target_bucket"), Attr::Unknown);
        assert_eq!(r.attr("/loggingx"), Attr::Absent);
        assert_eq!(r.attr("/policy"), Attr::Absent);
        assert_eq!(r.attr("/versioning/0/enabled"), Attr::Known(&json!(true)));
    }

    #[test]
    fn round_trips_through_json() {
        let inv = Inventory::new(Metadata::default(), vec![bucket()]);
        let text = serde_json::to_string(&inv).unwrap();
        let back = Inventory::from_json("inv.json", &text).unwrap();
        assert_eq!(inv, back);
    }

    #[test]
    fn content_hash_ignores_when_and_sees_what() {
        let a = Inventory::new(Metadata::default(), vec![bucket()]);
        let later = Metadata {
            collected_at: "2030-01-01T00:00:00Z".into(),
            ..Metadata::default()
        };
        let b = Inventory::new(later, vec![bucket()]);
        assert_eq!(a.content_hash(), b.content_hash());
        assert_eq!(a.content_hash().len(), 64);
        let mut changed = bucket();
        changed.attrs["bucket"] = json!("other");
        let c = Inventory::new(Metadata::default(), vec![changed]);
        assert_ne!(a.content_hash(), c.content_hash());
    }

    #[test]
    fn rejects_other_schema_with_the_file_name() {
        let err = Inventory::from_json("old.json", r#"{"schema":"plumb/v0"}"#).unwrap_err();
        assert!(
            err.to_string().starts_with("old.json: inventory schema"),
            "{err}"
        );
        let err = Inventory::from_json("bad.json", "{\n  \"schema\": ").unwrap_err();
        assert!(err.to_string().starts_with("bad.json:2:"), "{err}");
    }

    #[test]
    fn colliding_ids_are_qualified_by_source() {
        let a = bucket();
        let mut b = bucket();
        b.source = Source::File {
            path: "state.json".into(),
            start_line: 4,
            end_line: 9,
            module_calls: vec![],
        };
        let inv = Inventory::new(Metadata::default(), vec![a, b]);
        let ids: Vec<_> = inv.resources.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "tf:aws_s3_bucket.logs@plan.json",
                "tf:aws_s3_bucket.logs@state.json"
            ]
        );
    }
}
