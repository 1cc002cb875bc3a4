//! Comparing the verdicts of the two sides: which failures are new, resolved or still open,
//! and which policies a change broke.

use std::collections::{BTreeMap, HashMap};

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

/// New, resolved and open failures, and per resource (id of the `after` side) the policies
/// that went from pass, or from not applying, to fail.
pub(super) fn compare(
    before: &Verdicts<'_>,
    after: &Verdicts<'_>,
) -> (FindingChanges, BTreeMap<String, Vec<String>>) {
    let mut out = FindingChanges::default();
    let mut breaks: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, f) in after {
        if f.status != Status::Fail {
            continue;
        }
        let was = before.get(key).map(|b| b.status);
        if was == Some(Status::Fail) {
            out.open.push(change(f, was, Some(f.status)));
            continue;
        }
        out.new.push(change(f, was, Some(f.status)));
        if matches!(was, None | Some(Status::Pass)) {
            breaks
                .entry(key.1.to_string())
                .or_default()
                .push(key.0.to_string());
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
