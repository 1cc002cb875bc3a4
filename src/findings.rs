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
    /// `inline <file:line>` for a suppression in the source; `<file>:<line>` of the waiver
    /// in `plumb.yaml` or a waivers file.
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// The values a verdict depended on, by the path the policy read (`facets.kms_key`,
/// `config.rpo_minutes`), in path order; written as a JSON object.
///
/// A sorted slice rather than a map: a finding's evidence holds a few values, a scan holds
/// hundreds of thousands of findings, and a map's smallest node is ten times the size of
/// these few pairs. Values are shared: the policies judging one resource read the same facets
/// (a pod's `containers`, ten policies over), and each finding holds the one copy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence(Box<[(Arc<str>, Arc<Value>)]>);

impl Evidence {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The value read at `path`.
    pub fn get(&self, path: &str) -> Option<&Value> {
        self.0
            .binary_search_by(|(k, _)| k.as_ref().cmp(path))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// The paths and their values, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Value)> {
        self.0.iter().map(|(k, v)| (k, &**v))
    }

    /// Evidence of shared values, sorted by path; of two values for one path the last is
    /// kept, as a map's insert would.
    pub fn shared(pairs: impl IntoIterator<Item = (Arc<str>, Arc<Value>)>) -> Self {
        let mut pairs: Vec<(Arc<str>, Arc<Value>)> = pairs.into_iter().collect();
        // Stable: equal paths keep their order, and the dedup below keeps the last.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut kept: Vec<(Arc<str>, Arc<Value>)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match kept.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => kept.push(pair),
            }
        }
        Evidence(kept.into_boxed_slice())
    }
}

impl FromIterator<(Arc<str>, Value)> for Evidence {
    /// Sorted by path; of two values for one path the last is kept, as a map's insert would.
    fn from_iter<I: IntoIterator<Item = (Arc<str>, Value)>>(pairs: I) -> Self {
        Evidence::shared(pairs.into_iter().map(|(k, v)| (k, Arc::new(v))))
    }
}

type EvidencePair<'a> = (&'a Arc<str>, &'a Value);

impl<'a> IntoIterator for &'a Evidence {
    type Item = EvidencePair<'a>;
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Arc<str>, Arc<Value>)>,
        fn(&'a (Arc<str>, Arc<Value>)) -> EvidencePair<'a>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, &**v))
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<Arc<str>, Value>::deserialize(deserializer)?;
        Ok(map.into_iter().collect())
    }
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
    pub evidence: Evidence,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Boxed: rare, and findings are many.
    pub waiver: Option<Box<Waiver>>,
    /// Stable identity of (policy, resource): unchanged when lines move or files are
    /// reordered.
    pub fingerprint: Fingerprint,
    /// Set on failures when the scan ran against a baseline (`--baseline`): whether this
    /// failure is new or was accepted in the baseline. Absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineState>,
}

/// Whether a failure was already in the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineState {
    /// Not in the baseline: fails the run.
    New,
    /// Recorded in the baseline: reported, but does not fail the run.
    Baselined,
}

impl BaselineState {
    pub fn as_str(self) -> &'static str {
        match self {
            BaselineState::New => "new",
            BaselineState::Baselined => "baselined",
        }
    }
}

/// Fingerprint of a (policy, resource) pair.
pub fn fingerprint(policy_id: &str, resource_id: &str) -> Fingerprint {
    let mut h = Sha256::new();
    h.update(policy_id.as_bytes());
    h.update([0]);
    h.update(resource_id.as_bytes());
    let digest = h.finalize();
    let mut out = [0; 16];
    out.copy_from_slice(&digest[..16]);
    Fingerprint(out)
}

/// A finding's stable identity: the first 128 bits of a SHA-256 of policy and resource id,
/// written as 32 lowercase hex digits. Held as bytes: a million findings would otherwise hold
/// a million small strings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint([u8; 16]);

impl Fingerprint {
    fn hex(self) -> [u8; 32] {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0; 32];
        for (i, b) in self.0.iter().enumerate() {
            out[2 * i] = HEX[usize::from(b >> 4)];
            out[2 * i + 1] = HEX[usize::from(b & 0xf)];
        }
        out
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex();
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = &'static str;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const WRONG: &str = "a fingerprint is 32 hexadecimal digits";
        if s.len() != 32 {
            return Err(WRONG);
        }
        let mut out = [0; 16];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte =
                u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or(WRONG)?, 16).map_err(|_| WRONG)?;
        }
        Ok(Fingerprint(out))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
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

/// A JSON report that cannot be used.
pub type ReportError = crate::document::DocumentError;

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
    /// Warnings about the inputs that leave the scan complete (a remote module that is not
    /// downloaded, a block judged through one representative instance).
    #[serde(default)]
    pub warnings: usize,
    /// Suppressions and waivers that were not honoured (no reason, unknown policy), have
    /// expired, or waive nothing. Reported, but they do not make the scan incomplete.
    pub rejected_suppressions: usize,
    /// When the scan ran against a baseline: how its failures compare with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineSummary>,
}

/// Failures compared with a baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineSummary {
    /// The baseline file.
    pub file: String,
    /// Failures not in the baseline.
    pub new: usize,
    /// Failures recorded in the baseline.
    pub baselined: usize,
    /// Baseline entries that no longer fail (fixed, or the resource is gone).
    pub resolved: usize,
}

/// What was scanned.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scanned {
    pub collected_at: String,
    pub collectors: Vec<CollectorRun>,
    /// SHA-256 of the inventory's resources ([`crate::inventory::Inventory::content_hash`]):
    /// equal for two scans of the same infrastructure. Written with the formats that show it
    /// (JSON, HTML, Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_hash: Option<String>,
    /// The policies the verdicts came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_pack: Option<PolicyPack>,
    /// For scans of files: files read, judged and skipped (with the reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<crate::inventory::Files>,
    /// The files findings point at, with what they held when scanned: a saved report shows
    /// source lines only from files that still hold it ([`ScannedSources::verified`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sources: Option<ScannedSources>,
}

/// The folder a scan ran in, and the SHA-256 of each file its findings point at (paths as
/// the findings write them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedSources {
    /// Absolute, as the scan saw it.
    pub root: String,
    /// Path (as in `location.file`) -> lower-case hex SHA-256 of the file's bytes.
    pub sha256: BTreeMap<String, String>,
}

impl ScannedSources {
    /// Hashes the files failing `findings` point at (those the console shows lines of),
    /// under `root`. A file that cannot be read now is
    /// left out (no excerpt will be shown from it).
    pub fn of(findings: &[Finding], root: &std::path::Path) -> ScannedSources {
        let files: std::collections::BTreeSet<&str> = findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .filter_map(|f| f.location.as_ref().map(|l| l.file.as_str()))
            .collect();
        let sha256 = files
            .into_iter()
            .filter_map(|file| {
                let mut hasher = Sha256::new();
                crate::read::each_chunk(&root.join(file), crate::read::Limit::Generated, |b| {
                    hasher.update(b)
                })
                .ok()?;
                Some((file.to_string(), crate::inventory::hex(&hasher.finalize())))
            })
            .collect();
        ScannedSources {
            root: root.display().to_string(),
            sha256,
        }
    }

    /// The text of `file` when it may be shown from a saved report: it lies under the
    /// recorded root (after resolving `..` and symlinks) and still hashes to what was
    /// scanned. Anything else, a path the report names outside its root above all, is
    /// never opened as a source.
    pub fn verified(&self, file: &str) -> Option<String> {
        let expected = self.sha256.get(file)?;
        let root = std::path::Path::new(&self.root).canonicalize().ok()?;
        let full = root.join(file).canonicalize().ok()?;
        if !full.starts_with(&root) {
            return None;
        }
        let bytes = crate::read::bytes(&full, crate::read::Limit::Generated).ok()?;
        if sha256_hex(&bytes) != *expected {
            return None;
        }
        crate::read::decode(bytes).ok()
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::inventory::hex(&Sha256::digest(bytes))
}

/// Which policies were evaluated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyPack {
    /// Version of the built-in pack (the tool's version); `None` when it was not loaded.
    pub builtin: Option<String>,
    /// How many policies came from the user's own directories.
    pub custom: usize,
    /// SHA-256 over every evaluated policy's id, conditions, severity and controls: changes
    /// whenever what the policies check changes.
    pub digest: String,
}

/// A waiver or inline suppression, and what it did in this scan: the waiver register.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WaiverRecord {
    /// Policy id, or a glob over policy ids.
    pub policy: String,
    /// Resource pattern: a resource id, name or cloud id, or a glob over them. For an inline
    /// suppression, the id of the resource it is written on.
    pub resource: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<String>,
    /// Last day the waiver applies (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Where it is written: `file:line`, `inline file:line` for a suppression.
    pub source: String,
    pub state: WaiverState,
    /// Findings it waives (for an expired waiver: would have waived).
    pub matched: usize,
}

/// What a waiver did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WaiverState {
    /// In force, and waives at least one finding.
    Active,
    /// Past its expiry date: waives nothing; the findings it matched count again.
    Expired,
    /// Matches no failing finding (fixed, renamed, or a typo): remove it.
    Stale,
    /// Not honoured: no reason, or an unknown policy.
    Rejected,
}

impl WaiverState {
    pub fn as_str(self) -> &'static str {
        match self {
            WaiverState::Active => "active",
            WaiverState::Expired => "expired",
            WaiverState::Stale => "stale",
            WaiverState::Rejected => "rejected",
        }
    }
}

/// Counts of an earlier scan, for the trend against it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrendPoint {
    /// The snapshot's id in the store.
    pub snapshot: String,
    /// When it was taken (RFC 3339).
    pub taken_at: String,
    pub evaluations: usize,
    pub pass: usize,
    pub fail: usize,
    pub unknown: usize,
    pub waived: usize,
    #[serde(default)]
    pub failures_by_severity: BTreeMap<Severity, usize>,
}

impl TrendPoint {
    /// The counts of a report, as a point of history.
    pub fn of(report: &ScanReport, snapshot: impl Into<String>) -> Self {
        let s = &report.summary;
        TrendPoint {
            snapshot: snapshot.into(),
            taken_at: report.scanned.collected_at.clone(),
            evaluations: s.evaluations,
            pass: s.pass,
            fail: s.fail,
            unknown: s.unknown,
            waived: s.waived,
            failures_by_severity: s.failures_by_severity.clone(),
        }
    }
}

/// Earlier scans of the same estate, oldest first; the last one is the previous snapshot.
/// Filled by whatever keeps history; reports show the trend when it is present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    pub history: Vec<TrendPoint>,
}

impl Trend {
    /// The snapshot just before this scan.
    pub fn previous(&self) -> Option<&TrendPoint> {
        self.history.last()
    }
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
    /// and waivers that were not honoured, expired, or waive nothing.
    pub errors: Vec<CollectError>,
    /// The waiver register: every waiver and inline suppression, and what it did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverRecord>,
    /// Earlier scans of the same estate, when a history is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
}

impl ScanReport {
    /// Assembles a report: sorts findings and errors and computes the summary.
    pub fn new(
        scanned: Scanned,
        resources: usize,
        policies: Vec<PolicyDoc>,
        mut findings: Vec<Finding>,
        errors: Vec<CollectError>,
    ) -> Self {
        findings.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
        let mut report = ScanReport {
            schema: REPORT_SCHEMA.to_string(),
            tool: Tool::default(),
            scanned,
            summary: Summary {
                resources,
                ..Summary::default()
            },
            policies,
            findings,
            errors: Vec::new(),
            waivers: Vec::new(),
            trend: None,
        };
        report.add_errors(errors);
        report
    }

    /// Adds problems found after evaluation (waivers), keeping errors sorted and the summary
    /// current.
    pub fn add_errors(&mut self, errors: Vec<CollectError>) {
        self.errors.extend(errors);
        self.errors.sort();
        self.errors.dedup();
        self.recount();
    }

    /// Recomputes the summary's counts from the findings and errors (after a stage changed
    /// statuses, such as waivers). The baseline comparison is kept.
    pub fn recount(&mut self) {
        let errors = &self.errors;
        let mut summary = Summary {
            resources: self.summary.resources,
            policies: self.policies.len(),
            evaluations: self.findings.len(),
            errors: errors
                .iter()
                .filter(|e| !e.is_suppression() && !e.warning)
                .count(),
            warnings: errors.iter().filter(|e| e.warning).count(),
            rejected_suppressions: errors.iter().filter(|e| e.is_suppression()).count(),
            baseline: self.summary.baseline.take(),
            ..Summary::default()
        };
        for f in &self.findings {
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
        self.summary = summary;
    }

    /// Failures at or above `threshold`. With a baseline, only the new ones: failures the
    /// baseline accepted do not fail the run.
    pub fn failures_at_or_above(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| {
                f.status == Status::Fail
                    && f.severity >= threshold
                    && f.baseline != Some(BaselineState::Baselined)
            })
            .count()
    }

    /// Reads a JSON report written by `plumb scan --format json`.
    pub fn read(path: &std::path::Path) -> Result<ScanReport, ReportError> {
        crate::document::read(path)
    }

    /// Parses a JSON report; `origin` names it in errors.
    pub fn from_json(origin: &str, text: &str) -> Result<ScanReport, ReportError> {
        crate::document::parse(origin, text)
    }

    /// The documentation of a policy, by id.
    pub fn policy(&self, id: &str) -> Option<&PolicyDoc> {
        self.policies
            .binary_search_by(|p| p.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.policies[i])
    }
}

impl crate::document::Versioned for ScanReport {
    const SCHEMA: crate::document::Schema = crate::document::Schema {
        id: REPORT_SCHEMA,
        what: "JSON report",
        hint: "; write one with `plumb scan --format json=FILE`",
    };

    fn schema(&self) -> &str {
        &self.schema
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
        let text = a.to_string();
        assert_eq!(text.len(), 32);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(text.parse::<Fingerprint>(), Ok(a));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(serde_json::from_str::<Fingerprint>(&json).unwrap(), a);
        for bad in [
            "",
            "0123",
            &text[..31],
            &format!("{}g", &text[..31]),
            "é0123456789abcdef0123456789abcd",
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad}");
        }
    }
}
