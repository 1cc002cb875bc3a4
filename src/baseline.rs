//! Baselines: accept today's failures, fail CI only on new ones.
//!
//! `plumb scan --write-baseline FILE` records every failure of a scan; `--baseline FILE`
//! marks each failure of a later scan `new` or `baselined`, and only new ones fail the run.
//!
//! A failure is "the same" as a recorded one when, for the same policy, the first of these
//! holds (each recorded failure is matched at most once, strongest rule first, so a weak
//! match never takes an entry a strong one needs):
//!
//! 1. the same resource id (the fingerprint): lines moved, files reordered;
//! 2. the same kind and cloud id (ARN, bucket name, Kubernetes object), when both have one;
//! 3. the same kind, the same address once `count` / `for_each` keys are removed, and the
//!    same content: `aws_s3_bucket.logs[0]` renamed `aws_s3_bucket.logs["logs"]`;
//! 4. the same kind and the same content under another address (a `moved` block, a resource
//!    moved into a module).
//!
//! Content is a SHA-256 of the resource's kind and attributes ([`content_digest`]).

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::findings::{BaselineState, BaselineSummary, Finding, ScanReport, Status};
use crate::inventory::{Resource, Tool, json_digest};

/// Version of the baseline document.
pub(crate) const BASELINE_SCHEMA: &str = "plumb.dev/baseline/v1";

/// The failures of one scan, as `--write-baseline` writes them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub schema: String,
    pub tool: Tool,
    /// When the scan's inventory was collected.
    pub created_at: String,
    /// Sorted by policy, then resource id.
    pub findings: Vec<BaselineEntry>,
}

/// One accepted failure.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub policy_id: String,
    pub resource_id: String,
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub cloud_id: Option<String>,
    /// [`content_digest`] of the resource, when it was known.
    #[serde(default)]
    pub content: Option<String>,
    pub fingerprint: String,
    /// The failure message, for people reading the file.
    #[serde(default)]
    pub message: String,
}

/// A baseline that cannot be used.
pub(crate) type BaselineError = crate::document::DocumentError;

/// SHA-256 of a resource's kind and attributes: what it is, whatever its address.
pub(crate) fn content_digest(r: &Resource) -> String {
    json_digest(&(&r.kind, &r.attrs))
}

/// A resource address without its `count` / `for_each` keys:
/// `tf:module.a["x"].aws_s3_bucket.logs[0]` -> `tf:module.a.aws_s3_bucket.logs`.
pub(crate) fn address_stem(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for c in id.chars() {
        if depth > 0 {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '[' if !in_string => depth += 1,
                ']' if !in_string => depth -= 1,
                _ => {}
            }
        } else if c == '[' {
            depth = 1;
        } else {
            out.push(c);
        }
    }
    out
}

impl Baseline {
    /// The failures of `report`; `content` gives a resource's [`content_digest`] by id.
    pub fn of(report: &ScanReport, content: &dyn Fn(&str) -> Option<String>) -> Baseline {
        let mut findings: Vec<BaselineEntry> = report
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| BaselineEntry {
                policy_id: f.policy_id.to_string(),
                resource_id: f.resource.id.clone(),
                kind: f.resource.kind.clone(),
                name: f.resource.name.clone(),
                cloud_id: f.resource.cloud_id.clone(),
                content: content(&f.resource.id),
                fingerprint: f.fingerprint.to_string(),
                message: f.message.to_string(),
            })
            .collect();
        findings.sort();
        Baseline {
            schema: BASELINE_SCHEMA.to_string(),
            tool: report.tool.clone(),
            created_at: report.scanned.collected_at.clone(),
            findings,
        }
    }

    /// Reads a baseline written by `--write-baseline`.
    pub fn read(path: &Path) -> Result<Baseline, BaselineError> {
        crate::document::read(path)
    }

    /// Marks every failure of `report` new or baselined, and records the comparison in its
    /// summary (`file` names the baseline there). `content` gives a resource's
    /// [`content_digest`] by id.
    pub fn compare(
        &self,
        report: &mut ScanReport,
        file: &str,
        content: &dyn Fn(&str) -> Option<String>,
    ) {
        let mut taken = vec![false; self.findings.len()];
        let failing: Vec<usize> = (0..report.findings.len())
            .filter(|&i| report.findings[i].status == Status::Fail)
            .collect();
        let contents: HashMap<&str, Option<String>> = failing
            .iter()
            .map(|&i| {
                let id = report.findings[i].resource.id.as_str();
                (id, content(id))
            })
            .collect();
        let mut state: HashMap<usize, BaselineState> = HashMap::new();
        for rule in 0..RULES {
            // Unmatched entries, by the key this rule compares.
            let mut index: HashMap<Key, Vec<usize>> = HashMap::new();
            for (j, e) in self.findings.iter().enumerate().rev() {
                if !taken[j]
                    && let Some(k) = entry_key(rule, e)
                {
                    index.entry(k).or_default().push(j);
                }
            }
            for &i in &failing {
                if state.contains_key(&i) {
                    continue;
                }
                let f = &report.findings[i];
                let digest = contents.get(f.resource.id.as_str()).cloned().flatten();
                let Some(k) = finding_key(rule, f, digest.as_deref()) else {
                    continue;
                };
                if let Some(j) = index.get_mut(&k).and_then(Vec::pop) {
                    taken[j] = true;
                    state.insert(i, BaselineState::Baselined);
                }
            }
        }
        let mut summary = BaselineSummary {
            file: file.to_string(),
            resolved: taken.iter().filter(|t| !**t).count(),
            ..BaselineSummary::default()
        };
        for i in failing {
            let s = state.get(&i).copied().unwrap_or(BaselineState::New);
            match s {
                BaselineState::New => summary.new += 1,
                BaselineState::Baselined => summary.baselined += 1,
            }
            report.findings[i].baseline = Some(s);
        }
        report.summary.baseline = Some(summary);
    }
}

/// How many matching rules there are (see the module documentation).
const RULES: usize = 4;

/// What a rule compares: the policy and up to three strings.
type Key = (String, &'static str, String, String);

fn entry_key(rule: usize, e: &BaselineEntry) -> Option<Key> {
    let p = e.policy_id.clone();
    match rule {
        0 => Some((p, "id", e.resource_id.clone(), String::new())),
        1 => e.cloud_id.clone().map(|c| (p, "cloud", e.kind.clone(), c)),
        2 => e.content.clone().map(|c| {
            (
                p,
                "stem",
                format!("{}\0{}", e.kind, address_stem(&e.resource_id)),
                c,
            )
        }),
        _ => e.content.clone().map(|c| (p, "content", e.kind.clone(), c)),
    }
}

fn finding_key(rule: usize, f: &Finding, content: Option<&str>) -> Option<Key> {
    let p = f.policy_id.to_string();
    let r = &f.resource;
    match rule {
        0 => Some((p, "id", r.id.clone(), String::new())),
        1 => r.cloud_id.clone().map(|c| (p, "cloud", r.kind.clone(), c)),
        2 => content.map(|c| {
            (
                p,
                "stem",
                format!("{}\0{}", r.kind, address_stem(&r.id)),
                c.to_string(),
            )
        }),
        _ => content.map(|c| (p, "content", r.kind.clone(), c.to_string())),
    }
}

impl crate::document::Versioned for Baseline {
    const SCHEMA: crate::document::Schema = crate::document::Schema {
        id: BASELINE_SCHEMA,
        what: "baseline",
        hint: "",
    };

    fn schema(&self) -> &str {
        &self.schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_stems_drop_count_and_for_each_keys() {
        assert_eq!(
            address_stem("tf:aws_s3_bucket.logs[0]"),
            "tf:aws_s3_bucket.logs"
        );
        assert_eq!(
            address_stem(r#"tf:module.a["x[1]\"y"].aws_s3_bucket.logs["k"]"#),
            "tf:module.a.aws_s3_bucket.logs"
        );
        assert_eq!(
            address_stem("k8s:prod:apps/Deployment:a/b"),
            "k8s:prod:apps/Deployment:a/b"
        );
    }
}
