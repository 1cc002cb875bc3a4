//! Findings and the scan report: the contract between evaluation and the reporters.
//!
//! A [`ScanReport`] holds one [`Finding`] per evaluated (policy, resource) pair, passes
//! included: auditors need the evidence of compliance, not only of failure. Findings are
//! sorted (file and line, then resource id, then policy id), so every format is deterministic.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::inventory::{CollectError, CollectorRun, Location, Resource, Tool};
use crate::policy::{Category, PolicyDoc, Severity};

/// Version of the JSON report document.
pub const REPORT_SCHEMA: &str = "plumb.dev/report/v1";

/// The verdict of one policy on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The condition holds.
    Pass,
    /// The condition does not hold, and every value it read was known.
    Fail,
    /// The condition does not hold, but it read a value that cannot be known yet (known only
    /// after apply, an unresolved variable, an API field not readable). Not a pass.
    Unknown,
    /// The condition could not be evaluated (a type error, a missing attribute). Never
    /// aborts the scan.
    Error,
    /// A failure that an inline suppression or a waiver accepts, with its reason.
    Waived,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unknown => "unknown",
            Status::Error => "error",
            Status::Waived => "waived",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The resource a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceRef {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub cloud_id: Option<String>,
}

impl From<&Resource> for ResourceRef {
    fn from(r: &Resource) -> Self {
        ResourceRef {
            id: r.id.clone(),
            kind: r.kind.clone(),
            name: r.name.clone(),
            cloud_id: r.cloud_id.clone(),
        }
    }
}

/// Why a finding is waived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub reason: String,
    /// `inline` for a suppression in the source, else the waivers file.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One policy's verdict on one resource, with the evidence it rested on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub policy_id: Arc<str>,
    pub title: Arc<str>,
    pub severity: Severity,
    pub category: Category,
    pub status: Status,
    /// Shared by every finding on the same resource.
    pub resource: Arc<ResourceRef>,
    /// File span of the resource, for findings on files; `null` for live resources.
    pub location: Option<Arc<Location>>,
    pub message: Arc<str>,
    /// The values the verdict depended on, by path (`facets.kms_key`, `config.rpo_minutes`).
    pub evidence: BTreeMap<Arc<str>, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Boxed: rare, and findings are many.
    pub waiver: Option<Box<Waiver>>,
    /// Stable identity of (policy, resource): unchanged when lines move or files are
    /// reordered.
    pub fingerprint: String,
}

/// Fingerprint of a (policy, resource) pair.
pub fn fingerprint(policy_id: &str, resource_id: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut h = Sha256::new();
    h.update(policy_id.as_bytes());
    h.update([0]);
    h.update(resource_id.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 0xf)] as char);
    }
    out
}

/// Report order: file and line, then resource, then policy.
fn order_key(f: &Finding) -> (Option<(&str, u32)>, &str, &str) {
    (
        f.location
            .as_deref()
            .map(|l| (l.file.as_str(), l.start_line)),
        &f.resource.id,
        &f.policy_id,
    )
}

/// Counts over all findings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub resources: usize,
    pub policies: usize,
    pub evaluations: usize,
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub error: usize,
    pub waived: usize,
    /// Failures by severity.
    pub failures_by_severity: BTreeMap<Severity, usize>,
    /// Inputs or scope that could not be read.
    pub errors: usize,
    /// Suppressions that were not honoured (no reason, unknown policy).
    pub rejected_suppressions: usize,
}

/// What was scanned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scanned {
    pub collected_at: String,
    pub collectors: Vec<CollectorRun>,
}

/// Everything a reporter needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    pub schema: String,
    pub tool: Tool,
    pub scanned: Scanned,
    pub summary: Summary,
    /// Every policy that was loaded, by id.
    pub policies: Vec<PolicyDoc>,
    pub findings: Vec<Finding>,
    /// Parts of the scope that were not read, inputs that could not be parsed, suppressions
    /// that were not honoured.
    pub errors: Vec<CollectError>,
}

impl ScanReport {
    /// Assembles a report: sorts findings and errors and computes the summary.
    pub fn new(
        scanned: Scanned,
        resources: usize,
        policies: Vec<PolicyDoc>,
        mut findings: Vec<Finding>,
        mut errors: Vec<CollectError>,
    ) -> Self {
        findings.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
        errors.sort();
        errors.dedup();
        let mut summary = Summary {
            resources,
            policies: policies.len(),
            evaluations: findings.len(),
            errors: errors.iter().filter(|e| !e.is_suppression()).count(),
            rejected_suppressions: errors.iter().filter(|e| e.is_suppression()).count(),
            ..Summary::default()
        };
        for f in &findings {
            match f.status {
                Status::Pass => summary.pass += 1,
                Status::Fail => {
                    summary.fail += 1;
                    *summary.failures_by_severity.entry(f.severity).or_default() += 1;
                }
                Status::Unknown => summary.unknown += 1,
                Status::Error => summary.error += 1,
                Status::Waived => summary.waived += 1,
            }
        }
        ScanReport {
            schema: REPORT_SCHEMA.to_string(),
            tool: Tool::default(),
            scanned,
            summary,
            policies,
            findings,
            errors,
        }
    }

    /// Failures at or above `threshold`.
    pub fn failures_at_or_above(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.status == Status::Fail && f.severity >= threshold)
            .count()
    }

    /// The documentation of a policy, by id.
    pub fn policy(&self, id: &str) -> Option<&PolicyDoc> {
        self.policies
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.policies[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_only_on_policy_and_resource() {
        let a = fingerprint("PLB-S3-001", "tf:aws_s3_bucket.logs");
        assert_eq!(a, fingerprint("PLB-S3-001", "tf:aws_s3_bucket.logs"));
        assert_ne!(a, fingerprint("PLB-S3-002", "tf:aws_s3_bucket.logs"));
        assert_eq!(a.len(), 32);
    }
}
