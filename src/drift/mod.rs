//! Drift: what changed between two inventories, and whether it broke a control.
//!
//! Two comparisons, one report type ([`DriftReport`]):
//!
//! * [`snapshots`]: an earlier and a later snapshot of the same estate. Resources are matched
//!   by id; the report lists those added, removed and changed (attribute by attribute, see
//!   [`diff`]), ignoring volatile fields ([`volatile`]).
//! * [`iac_vs_live`]: what Terraform describes against what is deployed. Resources are matched
//!   by cloud id ([`matching`]); the report lists live resources Terraform does not manage
//!   (`unmanaged`), IaC resources not found live (`missing`), and paired resources whose live
//!   attributes or facets differ from what the IaC states. Resources the provider creates and
//!   manages itself (the default VPC, service-linked roles, ...) are listed apart.
//!
//! Both sides are evaluated with the *current* policies and settings, so a verdict that
//! changed can only have changed because the resource did. A change that turned a policy
//! from pass (or not applicable) to fail "breaks" it: such changes are listed first. Where
//! the inventories carry audit-log events ([`crate::inventory::Activity`]), the events that
//! touched a drifted resource in the window between the two are shown next to it
//! ([`events`]). `.plumbignore` rules ([`ignore`]) hide known drift.

mod arn;
pub mod diff;
mod events;
mod iac;
pub mod ignore;
pub mod matching;
mod snapshot;
mod verdicts;
pub mod volatile;

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::findings::{Finding, ResourceRef, Status};
use crate::inventory::{ChangeEvent, CollectorRun, Inventory, Resource, Tool};
use crate::policy::{Category, PolicySet, Severity};

pub use diff::Change;
pub use iac::iac_vs_live;
pub use ignore::{IgnoreError, IgnoreRules};
pub use snapshot::snapshots;

/// Version of the drift report document (`docs/drift.md` documents it).
pub const DRIFT_SCHEMA: &str = "plumb.dev/drift/v1";

/// What the report compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftMode {
    /// An earlier snapshot (`from`) against a later one (`to`).
    Snapshots,
    /// Terraform (`from`) against live (`to`).
    IacVsLive,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Side {
    /// How the user named it: `snapshot 12`, a file path, the IaC paths.
    pub label: String,
    /// The store's snapshot id, when it came from the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<i64>,
    pub collected_at: String,
    pub resources: usize,
    /// [`Inventory::content_hash`].
    pub inventory_hash: String,
    pub sources: Vec<CollectorRun>,
}

/// An inventory and how the user named it.
pub struct Input<'a> {
    pub inventory: &'a Inventory,
    pub label: String,
    pub snapshot: Option<i64>,
    /// [`Inventory::content_hash`] when already known (the store keeps it); computed when
    /// `None`.
    pub hash: Option<String>,
    /// The inventory's failing findings as the current policies and settings judge them, when
    /// already known (the store keeps them with each snapshot, with the policy pack's hash).
    /// Given for the later side of [`snapshots`], resources that did not change keep these
    /// verdicts instead of being judged again.
    pub failures: Option<&'a [Finding]>,
}

impl Input<'_> {
    fn side(&self) -> Side {
        Side {
            label: self.label.clone(),
            snapshot: self.snapshot,
            collected_at: self.inventory.metadata.collected_at.clone(),
            resources: self.inventory.resources.len(),
            inventory_hash: self
                .hash
                .clone()
                .unwrap_or_else(|| self.inventory.content_hash()),
            sources: self.inventory.metadata.collectors.clone(),
        }
    }
}

/// The policies and settings both sides are judged by, and the known drift to hide.
pub struct Options<'a> {
    pub policies: &'a PolicySet,
    pub settings: &'a Settings,
    pub ignore: Option<&'a IgnoreRules>,
}

/// A resource as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DriftResource {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub cloud_id: Option<String>,
    /// The Terraform address, for resources read from Terraform.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// For a satellite (a bucket's versioning, a security group rule): its parent's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// `file:line` for resources read from files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

impl From<&Resource> for DriftResource {
    fn from(r: &Resource) -> Self {
        DriftResource {
            id: r.id.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            cloud_id: r.cloud_id.clone(),
            address: r.id.strip_prefix("tf:").map(str::to_string),
            parent: r.parent.clone(),
            location: r.location().map(|l| format!("{}:{}", l.file, l.start_line)),
        }
    }
}

/// A resource that appeared, disappeared, or exists on one side only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub resource: DriftResource,
    /// Policies this made fail: for a resource that appeared (or exists only live), those it
    /// fails; for a removed satellite, those its parent now fails because of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<String>,
    /// Audit-log events that touched it in the window.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ChangeEvent>,
}

/// A resource present on both sides whose attributes or facets differ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changed {
    /// The later (or live) resource.
    pub resource: DriftResource,
    /// IaC mode: the Terraform resource it was matched with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iac: Option<DriftResource>,
    /// `before` is the earlier (or IaC) value, `after` the later (or live) one.
    pub changes: Vec<Change>,
    /// Policies that passed (or did not apply) before and fail after, because of these
    /// changes: "drift that breaks a control".
    #[serde(default)]
    pub breaks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ChangeEvent>,
}

/// A live resource the cloud or cluster manages itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderManaged {
    pub resource: DriftResource,
    pub reason: String,
}

/// Drift a `.plumbignore` rule hid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ignored {
    pub resource: String,
    /// The hidden change; absent when the whole resource was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The rule, `file:line`.
    pub rule: String,
}

/// A finding whose verdict differs between the sides (or that fails on both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingChange {
    pub policy_id: String,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub resource: ResourceRef,
    /// The failing side's message.
    pub message: String,
    /// Verdict before / after; `null` where the resource or the policy's applicability was
    /// absent.
    pub before: Option<Status>,
    pub after: Option<Status>,
}

/// Failures that are new, resolved, or on both sides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FindingChanges {
    pub new: Vec<FindingChange>,
    pub resolved: Vec<FindingChange>,
    pub open: Vec<FindingChange>,
}

/// Whether "who changed it" could be answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attribution {
    /// The audit log read (`aws-cloudtrail`); `null` when neither side carries events.
    pub source: Option<String>,
    /// The window events were matched in.
    pub since: Option<String>,
    pub until: Option<String>,
    /// Whether the gathered events cover the whole window.
    pub complete: bool,
    /// Events in the window.
    pub events: usize,
}

/// Counts, for the headline and the exit code.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DriftSummary {
    /// Whether anything drifted (after `.plumbignore`).
    pub drift: bool,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Entries whose drift breaks a control.
    pub breaking: usize,
    pub unmanaged: usize,
    pub missing: usize,
    pub provider_managed: usize,
    pub ignored: usize,
    pub findings_new: usize,
    pub findings_resolved: usize,
    pub findings_open: usize,
}

/// What drifted between two inventories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DriftReport {
    pub schema: String,
    pub tool: Tool,
    pub mode: DriftMode,
    pub from: Side,
    pub to: Side,
    pub summary: DriftSummary,
    /// Breaking changes first (most severe first), then the rest by id; satellites follow
    /// their parent.
    pub changed: Vec<Changed>,
    pub added: Vec<Entry>,
    pub removed: Vec<Entry>,
    /// IaC mode: live resources Terraform does not manage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unmanaged: Option<Vec<Entry>>,
    /// IaC mode: Terraform resources not found live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<Entry>>,
    /// IaC mode: live resources the provider manages itself; not drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_managed: Option<Vec<ProviderManaged>>,
    pub findings: FindingChanges,
    pub attribution: Attribution,
    pub ignored: Vec<Ignored>,
    /// What the reader should know to trust the report: sources that differ, kinds not read,
    /// rules that matched nothing.
    pub notes: Vec<String>,
}

impl DriftReport {
    /// The severity of a policy, from the findings this report carries.
    pub fn severity_of(&self, policy_id: &str) -> Option<Severity> {
        self.findings
            .new
            .iter()
            .chain(&self.findings.open)
            .find(|f| f.policy_id == policy_id)
            .map(|f| f.severity)
    }

    /// The finding behind a `breaks` entry: `policy_id` failing on `resource_id` now.
    pub fn broken(&self, policy_id: &str, resource_id: &str) -> Option<&FindingChange> {
        self.findings
            .new
            .iter()
            .find(|f| f.policy_id == policy_id && f.resource.id == resource_id)
    }

    fn finish(&mut self) {
        let s = &mut self.summary;
        s.added = self.added.len();
        s.removed = self.removed.len();
        s.changed = self.changed.len();
        s.unmanaged = self.unmanaged.as_ref().map_or(0, Vec::len);
        s.missing = self.missing.as_ref().map_or(0, Vec::len);
        s.provider_managed = self.provider_managed.as_ref().map_or(0, Vec::len);
        s.ignored = self.ignored.len();
        s.breaking = self.changed.iter().filter(|c| !c.breaks.is_empty()).count()
            + self
                .added
                .iter()
                .chain(&self.removed)
                .chain(self.unmanaged.iter().flatten())
                .filter(|e| !e.breaks.is_empty())
                .count();
        s.findings_new = self.findings.new.len();
        s.findings_resolved = self.findings.resolved.len();
        s.findings_open = self.findings.open.len();
        s.drift = s.added + s.removed + s.changed + s.unmanaged + s.missing > 0;
        self.ignored.sort();
        self.ignored.dedup();
    }
}

/// Highest severity among `breaks`.
fn worst(policies: &PolicySet, breaks: &[String]) -> Option<Severity> {
    breaks
        .iter()
        .filter_map(|id| policies.get(id).map(|p| p.doc.severity))
        .max()
}

/// Orders changes: breaking first, most severe first; satellites right after their parent.
fn sort_changed(changed: &mut [Changed], policies: &PolicySet) {
    changed.sort_by_cached_key(|c| {
        let group = c
            .resource
            .parent
            .clone()
            .unwrap_or_else(|| c.resource.id.clone());
        (
            c.breaks.is_empty(),
            Reverse(worst(policies, &c.breaks)),
            group,
            c.resource.parent.is_some(),
            c.resource.id.clone(),
        )
    });
}

fn sort_entries(entries: &mut [Entry], policies: &PolicySet) {
    entries.sort_by_cached_key(|e| {
        let group = e
            .resource
            .parent
            .clone()
            .unwrap_or_else(|| e.resource.id.clone());
        (
            e.breaks.is_empty(),
            Reverse(worst(policies, &e.breaks)),
            group,
            e.resource.parent.is_some(),
            e.resource.id.clone(),
        )
    });
}

/// Applies `.plumbignore` and records what it hid and which rules were used.
struct Hidden<'o> {
    ignore: Option<&'o IgnoreRules>,
    used: std::collections::HashSet<usize>,
    list: Vec<Ignored>,
}

impl<'o> Hidden<'o> {
    fn new(opts: &Options<'o>) -> Self {
        Hidden {
            ignore: opts.ignore,
            used: Default::default(),
            list: Vec::new(),
        }
    }

    fn hit(&mut self, r: &Resource, path: Option<&str>, rule: usize) {
        self.used.insert(rule);
        self.list.push(Ignored {
            resource: r.id.clone(),
            path: path.map(str::to_string),
            rule: self
                .ignore
                .map(|i| i.rules[rule].at.clone())
                .unwrap_or_default(),
        });
    }

    /// Whether a rule leaves `r` out entirely.
    fn resource(&mut self, r: &Resource) -> bool {
        match self.ignore.and_then(|i| i.ignores_resource(r)) {
            Some(rule) => {
                self.hit(r, None, rule);
                true
            }
            None => false,
        }
    }

    /// Whether a rule hides the change at `path` of `r` (or of its counterpart `other`).
    fn change(&mut self, r: &Resource, other: Option<&Resource>, path: &str) -> bool {
        let Some(ignore) = self.ignore else {
            return false;
        };
        let rule = ignore
            .ignores_change(r, path)
            .or_else(|| other.and_then(|o| ignore.ignores_change(o, path)));
        match rule {
            Some(rule) => {
                self.hit(r, Some(path), rule);
                true
            }
            None => false,
        }
    }

    /// Notes for rules that hid nothing: stale rules would hide tomorrow's real drift.
    fn unused(&self) -> Vec<String> {
        let Some(rules) = self.ignore else {
            return Vec::new();
        };
        rules
            .rules
            .iter()
            .enumerate()
            .filter(|(n, _)| !self.used.contains(n))
            .map(|(_, r)| format!("ignore rule at {} matched nothing: {}", r.at, r.text))
            .collect()
    }
}
