//! Organisation views over a store that many jobs write to: one entry per scope (an
//! account, a cluster, a Terraform root), from each scope's newest snapshot and the one it is
//! compared with.
//!
//! Built a scope at a time: only one scope's report and failures are decoded at once, so an
//! organisation of a million resources is read in the memory of its largest scope. Everything
//! else comes from the metadata each snapshot keeps uncompressed (counts, times, sources).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::findings::{Finding, Status};
use crate::policy::Severity;
use crate::store::{SnapshotInfo, Store, StoreError};

/// The JSON schema of [`OrgReport`].
pub(crate) const SCHEMA: &str = "plumb.dev/org-report/v1";

/// A window of time as people write it: `24h`, `7d`, `90m`.
pub(crate) fn parse_window(s: &str) -> Result<chrono::Duration, String> {
    let bad = || format!("{s:?}: expected a number and a unit, as in 24h, 7d or 90m");
    let unit = s.chars().last().ok_or_else(bad)?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(format!("{s:?}: the window must be longer than nothing"));
    }
    match unit {
        'm' => Ok(chrono::Duration::minutes(n)),
        'h' => Ok(chrono::Duration::hours(n)),
        'd' => Ok(chrono::Duration::days(n)),
        _ => Err(bad()),
    }
}

fn taken(info: &SnapshotInfo) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&info.taken_at)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// One scope's snapshots, oldest first, and what the organisation views compare.
pub(crate) struct ScopeHistory {
    pub scope: String,
    pub snapshots: Vec<SnapshotInfo>,
}

impl ScopeHistory {
    /// Every scope of the store, by name, from metadata alone.
    pub(crate) fn all(store: &Store) -> Result<Vec<ScopeHistory>, StoreError> {
        let mut scopes: BTreeMap<String, Vec<SnapshotInfo>> = BTreeMap::new();
        for info in store.list()? {
            scopes.entry(info.scope.clone()).or_default().push(info);
        }
        Ok(scopes
            .into_iter()
            .map(|(scope, snapshots)| ScopeHistory { scope, snapshots })
            .collect())
    }

    pub(crate) fn latest(&self) -> &SnapshotInfo {
        self.snapshots.last().expect("a scope has a snapshot")
    }

    /// Whether the newest snapshot was taken after `cutoff`: the job ran in the window.
    pub(crate) fn fresh(&self, cutoff: DateTime<Utc>) -> bool {
        taken(self.latest()).is_some_and(|t| t > cutoff)
    }

    /// What the newest snapshot is compared with: the newest taken at or before `cutoff`
    /// (the state before the window), else the one before the newest. `None` for a scope
    /// with one snapshot.
    pub(crate) fn baseline(&self, cutoff: DateTime<Utc>) -> Option<&SnapshotInfo> {
        let (latest, earlier) = self.snapshots.split_last()?;
        earlier
            .iter()
            .rev()
            .find(|s| taken(s).is_some_and(|t| t <= cutoff))
            .or_else(|| earlier.last())
            .filter(|s| s.id != latest.id)
    }
}

/// How a scope's newest snapshot stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScopeStatus {
    /// No snapshot in the window: the job did not run, or failed before storing.
    Missing,
    /// Parts of the scope could not be read.
    Incomplete,
    /// Stored without evaluating policies (`plumb collect`).
    Unjudged,
    Ok,
}

impl ScopeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeStatus::Missing => "missing",
            ScopeStatus::Incomplete => "incomplete",
            ScopeStatus::Unjudged => "unjudged",
            ScopeStatus::Ok => "ok",
        }
    }
}

/// Passing and failing checks, and the share that passed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rate {
    pub pass: usize,
    pub fail: usize,
    /// pass / (pass + fail), in percent with one decimal; `None` when nothing was checked.
    pub pass_rate: Option<f64>,
}

impl Rate {
    fn new(pass: usize, fail: usize) -> Rate {
        let total = pass + fail;
        Rate {
            pass,
            fail,
            pass_rate: (total > 0).then(|| (pass as f64 * 1000.0 / total as f64).round() / 10.0),
        }
    }
}

/// One scope in the organisation report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgScope {
    pub scope: String,
    pub status: ScopeStatus,
    pub snapshot: i64,
    pub taken_at: String,
    /// The snapshot new and resolved findings are counted against.
    pub baseline: Option<i64>,
    pub resources: usize,
    /// Parts of the scope that could not be read.
    pub errors: usize,
    #[serde(flatten)]
    pub rate: Rate,
    pub failures_by_severity: BTreeMap<Severity, usize>,
    pub new: usize,
    pub resolved: usize,
}

/// One framework control across the organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgControl {
    pub framework: String,
    pub control: String,
    #[serde(flatten)]
    pub rate: Rate,
    /// Scopes with at least one failing check of this control.
    pub scopes_failing: usize,
}

/// A failing finding that appeared or went away.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgFinding {
    pub scope: String,
    pub policy_id: String,
    pub severity: Severity,
    pub title: String,
    pub resource: String,
    pub message: String,
}

impl OrgFinding {
    fn of(scope: &str, f: &Finding) -> OrgFinding {
        OrgFinding {
            scope: scope.to_string(),
            policy_id: f.policy_id.to_string(),
            severity: f.severity,
            title: f.title.to_string(),
            resource: f.resource.id.clone(),
            message: f.message.to_string(),
        }
    }
}

/// Organisation totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrgTotals {
    pub scopes: usize,
    pub missing: usize,
    pub incomplete: usize,
    pub resources: usize,
    #[serde(flatten)]
    pub rate: Rate,
    pub new: usize,
    pub resolved: usize,
}

/// The organisation report: the newest snapshot of every scope.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgReport {
    pub schema: String,
    pub generated_at: String,
    /// The store, as it names itself (no password).
    pub store: String,
    /// A scope without a snapshot since this time is missing.
    pub since: String,
    pub totals: OrgTotals,
    /// Missing and incomplete scopes first, then by name.
    pub scopes: Vec<OrgScope>,
    /// By framework, then control.
    pub controls: Vec<OrgControl>,
    /// Most severe first, then by scope, policy and resource.
    pub new_findings: Vec<OrgFinding>,
    pub resolved_findings: Vec<OrgFinding>,
}

/// Builds the organisation report as of `now`, a scope without a snapshot in the last
/// `window` counting as missing.
pub(crate) fn report(
    store: &Store,
    now: DateTime<Utc>,
    window: chrono::Duration,
) -> Result<OrgReport, StoreError> {
    let cutoff = now - window;
    let mut scopes = Vec::new();
    let mut controls: BTreeMap<(String, String), (usize, usize, usize)> = BTreeMap::new();
    let mut new_findings = Vec::new();
    let mut resolved_findings = Vec::new();
    for history in ScopeHistory::all(store)? {
        let latest = history.latest();
        let baseline = history.baseline(cutoff);
        let status = if !history.fresh(cutoff) {
            ScopeStatus::Missing
        } else if latest.errors > 0 {
            ScopeStatus::Incomplete
        } else if latest.summary.is_none() {
            ScopeStatus::Unjudged
        } else {
            ScopeStatus::Ok
        };
        // Per-control counts from this scope's report, decoded and dropped here.
        if latest.summary.is_some()
            && let Some(report) = store.report(latest.id)?
        {
            let by_policy: BTreeMap<&str, &BTreeMap<String, Vec<String>>> = report
                .policies
                .iter()
                .map(|p| (p.id.as_str(), &p.controls))
                .collect();
            let mut failing_here: BTreeSet<(String, String)> = BTreeSet::new();
            for f in &report.findings {
                let (pass, fail) = match f.status {
                    Status::Pass => (1, 0),
                    Status::Fail => (0, 1),
                    _ => continue,
                };
                let Some(mapped) = by_policy.get(&*f.policy_id) else {
                    continue;
                };
                for (framework, ids) in mapped.iter() {
                    for id in ids {
                        let key = (framework.clone(), id.clone());
                        if fail == 1 {
                            failing_here.insert(key.clone());
                        }
                        let entry = controls.entry(key).or_default();
                        entry.0 += pass;
                        entry.1 += fail;
                    }
                }
            }
            for key in failing_here {
                controls.entry(key).or_default().2 += 1;
            }
        }
        let (mut new, mut resolved) = (0, 0);
        if let Some(base) = baseline
            && let (Some(now_failing), Some(then_failing)) =
                (store.failures(latest.id)?, store.failures(base.id)?)
        {
            let then: BTreeSet<_> = then_failing.iter().map(|f| f.fingerprint).collect();
            let now_set: BTreeSet<_> = now_failing.iter().map(|f| f.fingerprint).collect();
            for f in now_failing
                .iter()
                .filter(|f| !then.contains(&f.fingerprint))
            {
                new += 1;
                new_findings.push(OrgFinding::of(&history.scope, f));
            }
            for f in then_failing
                .iter()
                .filter(|f| !now_set.contains(&f.fingerprint))
            {
                resolved += 1;
                resolved_findings.push(OrgFinding::of(&history.scope, f));
            }
        }
        let summary = latest.summary.clone().unwrap_or_default();
        scopes.push(OrgScope {
            scope: history.scope.clone(),
            status,
            snapshot: latest.id,
            taken_at: latest.taken_at.clone(),
            baseline: baseline.map(|b| b.id),
            resources: latest.resources,
            errors: latest.errors,
            rate: Rate::new(summary.pass, summary.fail),
            failures_by_severity: summary.failures_by_severity,
            new,
            resolved,
        });
    }
    scopes.sort_by(|a, b| a.status.cmp(&b.status).then_with(|| a.scope.cmp(&b.scope)));
    let order = |a: &OrgFinding, b: &OrgFinding| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.scope.cmp(&b.scope))
            .then_with(|| a.policy_id.cmp(&b.policy_id))
            .then_with(|| a.resource.cmp(&b.resource))
    };
    new_findings.sort_by(order);
    resolved_findings.sort_by(order);
    let (pass, fail) = scopes
        .iter()
        .fold((0, 0), |(p, f), s| (p + s.rate.pass, f + s.rate.fail));
    let totals = OrgTotals {
        scopes: scopes.len(),
        missing: scopes
            .iter()
            .filter(|s| s.status == ScopeStatus::Missing)
            .count(),
        incomplete: scopes
            .iter()
            .filter(|s| s.status == ScopeStatus::Incomplete)
            .count(),
        resources: scopes.iter().map(|s| s.resources).sum(),
        rate: Rate::new(pass, fail),
        new: new_findings.len(),
        resolved: resolved_findings.len(),
    };
    let secs = chrono::SecondsFormat::Secs;
    Ok(OrgReport {
        schema: SCHEMA.to_string(),
        generated_at: now.to_rfc3339_opts(secs, true),
        store: store.path().to_string(),
        since: cutoff.to_rfc3339_opts(secs, true),
        totals,
        scopes,
        controls: controls
            .into_iter()
            .map(
                |((framework, control), (pass, fail, scopes_failing))| OrgControl {
                    framework,
                    control,
                    rate: Rate::new(pass, fail),
                    scopes_failing,
                },
            )
            .collect(),
        new_findings,
        resolved_findings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse() {
        assert_eq!(parse_window("24h"), Ok(chrono::Duration::hours(24)));
        assert_eq!(parse_window("7d"), Ok(chrono::Duration::days(7)));
        assert_eq!(parse_window("90m"), Ok(chrono::Duration::minutes(90)));
        for bad in ["", "h", "24", "24x", "-1h", "0d"] {
            assert!(parse_window(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pass_rates_round_to_a_tenth_of_a_percent() {
        assert_eq!(Rate::new(2, 1).pass_rate, Some(66.7));
        assert_eq!(Rate::new(0, 0).pass_rate, None);
        assert_eq!(Rate::new(5, 0).pass_rate, Some(100.0));
    }
}
