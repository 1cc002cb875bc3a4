//! Waivers: failures an organisation has accepted, with who approved them and until when.
//!
//! A waiver names a policy (id or glob), a resource pattern (a resource id, name or cloud
//! id, or a glob over them), a reason, an approver and the last day it applies. Waivers live
//! in `plumb.yaml` under `waivers:` or in a file given with `--waivers` (same shape):
//!
//! ```yaml
//! waivers:
//!   - policy: PLB-S3-004
//!     resource: "tf:aws_s3_bucket.legacy[*]"
//!     reason: Read-only archive, decommissioned in Q1 (RISK-231)
//!     approved_by: jane.doe@example.com
//!     expires: 2027-03-31
//! ```
//!
//! A waiver turns the failing (or unknown, or erroring) findings it matches into `waived`,
//! carrying its reason, approver and expiry. An expired waiver waives nothing and is
//! reported; so is a waiver that matches no failing finding (stale) or names an unknown
//! policy. Inline suppressions (`plumb.dev/ignore`, applied by the engine) share the
//! [`Waiver`] a finding carries and appear in the same register.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::findings::{Finding, ScanReport, Status, Waiver, WaiverRecord, WaiverState};
use crate::inventory::{CollectError, Resource};
use crate::yaml::{self, YamlError};

/// One waiver as written.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct WaiverSpec {
    policy: String,
    resource: String,
    reason: String,
    approved_by: String,
    expires: String,
}

/// A waiver, checked and ready to match findings.
#[derive(Debug, Clone)]
pub struct WaiverRule {
    pub policy: String,
    pub resource: String,
    pub reason: String,
    pub approved_by: String,
    /// The last day the waiver applies.
    pub expires: NaiveDate,
    /// Where it is written: `file:line`.
    pub origin: String,
    policy_glob: Option<GlobMatcher>,
    resource_glob: Option<GlobMatcher>,
}

/// A waiver that cannot be used: the file, line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct WaiverError {
    pub file: String,
    pub line: u32,
    pub message: String,
}

/// The `waivers:` list as it is deserialised, each entry with its line.
#[derive(Debug, Clone, Default)]
pub struct WaiverList(Vec<Spanned<WaiverSpec>>);

impl<'de> Deserialize<'de> for WaiverList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(WaiverList(Vec::deserialize(d)?))
    }
}

impl WaiverList {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Checks every waiver; all problems are reported together. `file` names the file the
    /// list was read from.
    pub fn rules(&self, file: &str) -> Result<Vec<WaiverRule>, Vec<WaiverError>> {
        let mut rules = Vec::new();
        let mut errors = Vec::new();
        for spanned in &self.0 {
            let line = spanned.referenced.line() as u32;
            match rule(&spanned.value, &format!("{file}:{line}")) {
                Ok(r) => rules.push(r),
                Err(message) => errors.push(WaiverError {
                    file: file.to_string(),
                    line,
                    message,
                }),
            }
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            Err(errors)
        }
    }
}

/// `*`, `?` and `{a,b}` are wildcards. Brackets are literal: resource addresses are full of
/// them (`aws_s3_bucket.logs[0]`), so `logs[*]` means any instance of `logs`.
fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '{'])
}

fn glob(field: &str, pattern: &str) -> Result<Option<GlobMatcher>, String> {
    if !has_glob(pattern) {
        return Ok(None);
    }
    let literal_brackets: String = pattern
        .chars()
        .map(|c| match c {
            '[' => "[[]".to_string(),
            ']' => "[]]".to_string(),
            c => c.to_string(),
        })
        .collect();
    Glob::new(&literal_brackets)
        .map(|g| Some(g.compile_matcher()))
        .map_err(|e| format!("{field}: {pattern:?} is not a valid pattern: {e}"))
}

fn rule(spec: &WaiverSpec, origin: &str) -> Result<WaiverRule, String> {
    for (field, value) in [
        ("policy", &spec.policy),
        ("resource", &spec.resource),
        ("reason", &spec.reason),
        ("approved_by", &spec.approved_by),
    ] {
        if value.trim().is_empty() {
            return Err(format!("waiver: {field} is empty; every waiver needs one"));
        }
    }
    let expires = NaiveDate::parse_from_str(spec.expires.trim(), "%Y-%m-%d").map_err(|_| {
        format!(
            "waiver: expires {:?} is not a date (expected YYYY-MM-DD)",
            spec.expires
        )
    })?;
    Ok(WaiverRule {
        policy: spec.policy.trim().to_string(),
        resource: spec.resource.trim().to_string(),
        reason: spec.reason.trim().to_string(),
        approved_by: spec.approved_by.trim().to_string(),
        expires,
        origin: origin.to_string(),
        policy_glob: glob("policy", spec.policy.trim())?,
        resource_glob: glob("resource", spec.resource.trim())?,
    })
}

/// Reads a waivers file (`waivers:` with a list, as in `plumb.yaml`).
pub fn read_file(path: &Path) -> Result<Vec<WaiverRule>, Vec<WaiverError>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        waivers: WaiverList,
    }
    let display = path.display().to_string();
    let one = |line: Option<u32>, message: String| {
        vec![WaiverError {
            file: display.clone(),
            line: line.unwrap_or(1),
            message,
        }]
    };
    let text = crate::read::text(path, crate::read::Limit::Source)
        .map_err(|e| one(None, e.to_string()))?;
    let file: File = yaml::from_str(&text).map_err(|e: YamlError| one(e.line, e.message))?;
    file.waivers.rules(&display)
}

impl WaiverRule {
    fn matches_policy(&self, id: &str) -> bool {
        match &self.policy_glob {
            Some(g) => g.is_match(id),
            None => self.policy == id,
        }
    }

    /// The resource id, name or cloud id, exactly or by the glob.
    fn matches_resource(&self, f: &Finding) -> bool {
        let r = &f.resource;
        let candidates = [
            Some(r.id.as_str()),
            Some(r.name.as_str()),
            r.cloud_id.as_deref(),
        ];
        candidates.iter().flatten().any(|c| {
            *c == self.resource || self.resource_glob.as_ref().is_some_and(|g| g.is_match(c))
        })
    }

    fn matches(&self, f: &Finding) -> bool {
        self.matches_policy(&f.policy_id) && self.matches_resource(f)
    }

    fn is_expired(&self, today: NaiveDate) -> bool {
        today > self.expires
    }

    fn problem(&self, message: String) -> CollectError {
        let (scope, line) = match self.origin.rsplit_once(':') {
            Some((file, line)) => (file.to_string(), line.parse().ok()),
            None => (self.origin.clone(), None),
        };
        CollectError {
            collector: CollectError::WAIVER.into(),
            scope,
            line,
            column: None,
            kinds: Vec::new(),
            message,
            warning: false,
        }
    }

    fn describe(&self) -> String {
        format!(
            "waiver of {} on {:?} (approved by {})",
            self.policy, self.resource, self.approved_by
        )
    }
}

/// Whether a finding is one a waiver may accept.
fn waivable(status: Status) -> bool {
    matches!(status, Status::Fail | Status::Unknown | Status::Error)
}

/// Applies `rules` to the report's findings as of `today`, and fills the waiver register with
/// them and with the inline suppressions of `resources`. Expired, stale and unknown-policy
/// waivers are added to the report's errors (as waiver problems: they do not make the scan
/// incomplete). The summary is recounted.
pub fn apply(
    report: &mut ScanReport,
    rules: &[WaiverRule],
    resources: &[Resource],
    today: NaiveDate,
) {
    let mut matched = vec![0usize; rules.len()];
    for f in report.findings.iter_mut().filter(|f| waivable(f.status)) {
        let mut first_active = None;
        for (i, rule) in rules.iter().enumerate() {
            if rule.matches(f) {
                matched[i] += 1;
                if first_active.is_none() && !rule.is_expired(today) {
                    first_active = Some(i);
                }
            }
        }
        if let Some(i) = first_active {
            let rule = &rules[i];
            f.status = Status::Waived;
            f.waiver = Some(Box::new(Waiver {
                reason: rule.reason.clone(),
                source: rule.origin.clone(),
                approved_by: Some(rule.approved_by.clone()),
                expires: Some(rule.expires.to_string()),
            }));
        }
    }

    let mut register = Vec::new();
    let mut problems = Vec::new();
    for (rule, &matched) in rules.iter().zip(&matched) {
        let known_policy = has_glob(&rule.policy) || report.policy(&rule.policy).is_some();
        let state = if !known_policy {
            problems.push(rule.problem(format!(
                "{} names unknown policy {}; it waives nothing",
                rule.describe(),
                rule.policy
            )));
            WaiverState::Rejected
        } else if rule.is_expired(today) {
            problems.push(rule.problem(format!(
                "{} expired on {}; the {matched} finding{} it covered count again",
                rule.describe(),
                rule.expires,
                plural(matched)
            )));
            WaiverState::Expired
        } else if matched == 0 {
            problems.push(rule.problem(format!(
                "{} matches no failing finding; remove it, or fix its pattern",
                rule.describe()
            )));
            WaiverState::Stale
        } else {
            WaiverState::Active
        };
        register.push(WaiverRecord {
            policy: rule.policy.clone(),
            resource: rule.resource.clone(),
            reason: rule.reason.clone(),
            approved_by: Some(rule.approved_by.clone()),
            expires: Some(rule.expires.to_string()),
            source: rule.origin.clone(),
            state,
            matched,
        });
    }
    register.extend(inline_register(report, resources));
    register.sort_by(|a, b| (&a.source, &a.policy).cmp(&(&b.source, &b.policy)));
    report.waivers = register;
    report.add_errors(problems);
}

/// The inline suppressions, as register entries: what each one waived.
fn inline_register(report: &ScanReport, resources: &[Resource]) -> Vec<WaiverRecord> {
    let mut waived: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &report.findings {
        if let Some(w) = &f.waiver
            && w.source.starts_with("inline")
        {
            *waived.entry((&f.policy_id, &f.resource.id)).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for r in resources {
        for s in &r.suppressions {
            let matched = waived
                .get(&(s.policy_id.as_str(), r.id.as_str()))
                .copied()
                .unwrap_or(0);
            let state = if s.reason.trim().is_empty() || report.policy(&s.policy_id).is_none() {
                WaiverState::Rejected
            } else if matched == 0 {
                WaiverState::Stale
            } else {
                WaiverState::Active
            };
            out.push(WaiverRecord {
                policy: s.policy_id.clone(),
                resource: r.id.clone(),
                reason: s.reason.clone(),
                approved_by: None,
                expires: None,
                source: s
                    .at
                    .as_ref()
                    .map_or_else(|| "inline".to_string(), |at| format!("inline {at}")),
                state,
                matched,
            });
        }
    }
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<Vec<WaiverRule>, Vec<WaiverError>> {
        #[derive(Deserialize)]
        struct F {
            waivers: WaiverList,
        }
        let f: F = yaml::from_str(text).unwrap();
        f.waivers.rules("w.yaml")
    }

    const ONE: &str = "waivers:\n  - policy: PLB-S3-001\n    resource: \"tf:aws_s3_bucket.logs[*]\"\n    reason: archive\n    approved_by: jane\n    expires: 2030-01-31\n";

    #[test]
    fn reads_waivers_with_their_line() {
        let r = rules(ONE).unwrap();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].origin, "w.yaml:2");
        assert_eq!(r[0].expires.to_string(), "2030-01-31");
    }

    #[test]
    fn rejects_bad_dates_and_missing_fields_with_a_line() {
        let bad = ONE.replace("2030-01-31", "next spring");
        let errors = rules(&bad).unwrap_err();
        assert_eq!(errors[0].line, 2);
        assert!(
            errors[0].to_string().contains("expected YYYY-MM-DD"),
            "{}",
            errors[0]
        );
        let empty = ONE.replace("reason: archive", "reason: \"\"");
        assert!(rules(&empty).unwrap_err()[0].message.contains("reason"));
    }

    #[test]
    fn matches_exact_ids_with_brackets_and_globs() {
        use crate::findings::ResourceRef;
        use std::sync::Arc;
        let r = &rules(ONE).unwrap()[0];
        let finding = |id: &str| Finding {
            policy_id: "PLB-S3-001".into(),
            title: "t".into(),
            severity: crate::policy::Severity::High,
            category: crate::policy::Category::Encryption,
            status: Status::Fail,
            resource: Arc::new(ResourceRef {
                id: id.into(),
                kind: "aws_s3_bucket".into(),
                name: "logs".into(),
                cloud_id: None,
            }),
            location: None,
            message: "m".into(),
            evidence: Default::default(),
            waiver: None,
            fingerprint: Default::default(),
            baseline: None,
        };
        assert!(r.matches(&finding("tf:aws_s3_bucket.logs[0]")));
        assert!(!r.matches(&finding("tf:aws_s3_bucket.other")));
        assert!(r.matches(&finding("tf:aws_s3_bucket.logs[\"eu\"]")));
        assert!(!r.matches(&finding("tf:aws_s3_bucket.logs")));
        let exact = rules(&ONE.replace("logs[*]", "logs[0]")).unwrap();
        assert!(exact[0].matches(&finding("tf:aws_s3_bucket.logs[0]")));
        assert!(!exact[0].matches(&finding("tf:aws_s3_bucket.logs[1]")));
        let by_name = rules(&ONE.replace("tf:aws_s3_bucket.logs[*]", "logs")).unwrap();
        assert!(by_name[0].matches(&finding("tf:aws_s3_bucket.x")));
    }

    #[test]
    fn expires_after_its_last_day() {
        let r = &rules(ONE).unwrap()[0];
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!r.is_expired(day("2030-01-31")));
        assert!(r.is_expired(day("2030-02-01")));
    }
}
