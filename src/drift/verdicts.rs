//! Comparing the verdicts of the two sides: which failures are new, resolved or still open,
//! and which policies a change broke.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::{FindingChange, FindingChanges};
use crate::findings::{Finding, Status};

/// Findings by (policy id, resource id), in one id space for both sides.
pub(super) type Verdicts<'a> = HashMap<(&'a str, &'a str), &'a Finding>;

pub(super) fn index(findings: &[Finding]) -> Verdicts<'_> {
    findings
        .iter()
        .map(|f| ((&*f.policy_id, f.resource.id.as_str()), f))
        .collect()
}

fn change(f: &Finding, before: Option<Status>, after: Option<Status>) -> FindingChange {
    FindingChange {
        policy_id: f.policy_id.to_string(),
        title: f.title.to_string(),
        severity: f.severity,
        category: f.category,
        resource: (*f.resource).clone(),
        message: f.message.to_string(),
        before,
        after,
    }
}

/// Policies broken per resource (id of the `after` side).
pub(super) type Breaks = BTreeMap<String, Vec<String>>;

/// Files a failing `after` finding as open or new (and, from pass or not applying, broken).
fn file_after(out: &mut FindingChanges, breaks: &mut Breaks, f: &Finding, was: Option<Status>) {
    if was == Some(Status::Fail) {
        out.open.push(change(f, was, Some(f.status)));
        return;
    }
    out.new.push(change(f, was, Some(f.status)));
    if matches!(was, None | Some(Status::Pass)) {
        breaks
            .entry(f.resource.id.clone())
            .or_default()
            .push(f.policy_id.to_string());
    }
}

/// New, resolved and open failures, and per resource (id of the `after` side) the policies
/// that went from pass, or from not applying, to fail.
pub(super) fn compare(before: &Verdicts<'_>, after: &Verdicts<'_>) -> (FindingChanges, Breaks) {
    let mut out = FindingChanges::default();
    let mut breaks = Breaks::new();
    for (key, f) in after {
        if f.status == Status::Fail {
            file_after(&mut out, &mut breaks, f, before.get(key).map(|b| b.status));
        }
    }
    for (key, f) in before {
        if f.status == Status::Fail {
            let now = after.get(key).map(|a| a.status);
            if now != Some(Status::Fail) {
                out.resolved.push(change(f, Some(f.status), now));
            }
        }
    }
    finish(out, breaks)
}

/// [`compare`] for two snapshots of one estate, where most resources did not change: `after`
/// holds every finding of the later snapshot, `before` only those of the earlier resources
/// that differ (changed or removed), `moved` the ids of the later resources that differ
/// (changed or added). A resource that did not move kept its verdicts, so only moved ones are
/// looked up.
pub(super) fn compare_snapshots(
    before: &[Finding],
    after: &[Finding],
    moved: &HashSet<&str>,
) -> (FindingChanges, Breaks) {
    let before_v = index(before);
    let after_moved: Verdicts<'_> = after
        .iter()
        .filter(|f| moved.contains(f.resource.id.as_str()))
        .map(|f| ((&*f.policy_id, f.resource.id.as_str()), f))
        .collect();
    let mut out = FindingChanges::default();
    let mut breaks = Breaks::new();
    for f in after.iter().filter(|f| f.status == Status::Fail) {
        let key = (&*f.policy_id, f.resource.id.as_str());
        let was = if moved.contains(key.1) {
            before_v.get(&key).map(|b| b.status)
        } else {
            Some(f.status)
        };
        file_after(&mut out, &mut breaks, f, was);
    }
    for f in before.iter().filter(|f| f.status == Status::Fail) {
        let now = after_moved
            .get(&(&*f.policy_id, f.resource.id.as_str()))
            .map(|a| a.status);
        if now != Some(Status::Fail) {
            out.resolved.push(change(f, Some(f.status), now));
        }
    }
    finish(out, breaks)
}

fn finish(mut out: FindingChanges, mut breaks: Breaks) -> (FindingChanges, Breaks) {
    for list in [&mut out.new, &mut out.resolved, &mut out.open] {
        list.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.policy_id.cmp(&b.policy_id))
                .then_with(|| a.resource.id.cmp(&b.resource.id))
        });
    }
    for list in breaks.values_mut() {
        list.sort();
    }
    (out, breaks)
}
