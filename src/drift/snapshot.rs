//! Snapshot against snapshot: resources matched by id.

use std::collections::{BTreeSet, HashMap, HashSet};

use rayon::prelude::*;

use super::diff::{Mode, resource_changes};
use super::events::{Events, unread_note};
use super::verdicts::compare_snapshots;
use super::{
    Changed, DRIFT_SCHEMA, DriftMode, DriftReport, DriftResource, Entry, Hidden, Input, Options,
    sort_changed, sort_entries,
};
use crate::inventory::{Inventory, Resource, Source, Tool};
use crate::normalize::facets_with;
use crate::pipeline::Pipeline;
use crate::policy::{PathRoot, PolicySet};

/// Whether two versions of a resource are the same in every way a verdict can depend on.
/// Such a resource keeps its verdicts, so it is evaluated once, not twice.
fn identical(a: &Resource, b: &Resource) -> bool {
    a.attrs == b.attrs
        && a.facets == b.facets
        && a.tags == b.tags
        && a.cloud_id == b.cloud_id
        && a.name == b.name
        && a.kind == b.kind
        && a.unknown == b.unknown
        && a.suppressions == b.suppressions
}

/// An inventory's resources by id: sorted references, searched by bisection (inventories are
/// written sorted, so this is usually a check, not a sort).
struct ById<'a>(Vec<&'a Resource>);

impl<'a> ById<'a> {
    fn of(inv: &'a Inventory) -> Self {
        let mut refs: Vec<&Resource> = inv.resources.iter().collect();
        if !refs.is_sorted_by(|x, y| x.id <= y.id) {
            refs.sort_by(|x, y| x.id.cmp(&y.id));
        }
        ById(refs)
    }

    fn get(&self, id: &str) -> Option<&'a Resource> {
        self.0
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| self.0[i])
    }

    fn contains_key(&self, id: &str) -> bool {
        self.get(id).is_some()
    }
}

/// What drifted from `from` (earlier) to `to` (later).
pub fn snapshots(from: &Input<'_>, to: &Input<'_>, opts: &Options<'_>) -> DriftReport {
    let (a, b) = (from.inventory, to.inventory);
    let (a_by_id, b_by_id) = rayon::join(|| ById::of(a), || ById::of(b));
    let mut hidden = Hidden::new(opts);

    // Attribute diffs, in parallel: most resources are identical and cost one comparison.
    let diffs: Vec<(&Resource, &Resource, bool, Vec<super::Change>)> = b
        .resources
        .par_iter()
        .filter_map(|y| a_by_id.get(y.id.as_str()).map(|x| (x, y)))
        .map(|(x, y)| {
            if identical(x, y) {
                (x, y, true, Vec::new())
            } else {
                (x, y, false, resource_changes(x, y, Mode::Full))
            }
        })
        .collect();
    // Resources that differ: changed ones (both sides), added (later), removed (earlier).
    let (added, removed): (Vec<&Resource>, Vec<&Resource>) = rayon::join(
        || {
            b.resources
                .iter()
                .filter(|r| !a_by_id.contains_key(&r.id))
                .collect()
        },
        || {
            a.resources
                .iter()
                .filter(|r| !b_by_id.contains_key(&r.id))
                .collect()
        },
    );
    let moving = diffs.iter().filter(|d| !d.2);
    let moved: HashSet<&str> = moving
        .clone()
        .map(|d| d.1.id.as_str())
        .chain(added.iter().map(|r| r.id.as_str()))
        .collect();

    // Verdicts: every resource of `to`; of `from`, only what differs (the rest is the same).
    let differing: Vec<Resource> = moving
        .map(|d| d.0)
        .chain(removed.iter().copied())
        .cloned()
        .collect();
    let ((after_findings, _), (before_findings, _)) = rayon::join(
        || match to.failures {
            // Only what moved is judged; the rest keeps the verdicts it was stored with.
            Some(failures) => {
                let moved_now: Vec<Resource> = b
                    .resources
                    .iter()
                    .filter(|r| moved.contains(r.id.as_str()))
                    .cloned()
                    .collect();
                let (mut findings, errors) =
                    Pipeline::new(opts.policies, opts.settings).verdicts(&moved_now);
                findings.extend(
                    failures
                        .iter()
                        .filter(|f| !moved.contains(f.resource.id.as_str()))
                        .cloned(),
                );
                (findings, errors)
            }
            None => Pipeline::new(opts.policies, opts.settings).verdicts(&b.resources),
        },
        || Pipeline::new(opts.policies, opts.settings).verdicts(&differing),
    );
    let (findings, breaks) = compare_snapshots(&before_findings, &after_findings, &moved);

    let (events, attribution) = Events::window(
        &[a, b],
        Some(&a.metadata.collected_at),
        Some(&b.metadata.collected_at),
    );
    let a_children = children(a);
    let parent_of = |r: &Resource, inv: &ById<'_>| -> Option<Resource> {
        r.parent.as_deref().and_then(|p| inv.get(p)).cloned()
    };
    let attributed = |before: Option<&Resource>, after: Option<&Resource>| -> Vec<String> {
        let s = after.or(before).expect("one side exists");
        match &s.parent {
            None => after
                .and_then(|r| breaks.get(&r.id))
                .cloned()
                .unwrap_or_default(),
            Some(parent) => match a_by_id.get(parent.as_str()) {
                Some(p) => satellite_breaks(
                    opts.policies,
                    p,
                    a_children
                        .get(parent.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    before,
                    after,
                    breaks.get(parent).map(Vec::as_slice).unwrap_or_default(),
                ),
                None => Vec::new(),
            },
        }
    };

    let mut changed = Vec::new();
    for (x, y, is_same, changes) in diffs {
        if is_same || changes.is_empty() {
            continue;
        }
        if hidden.resource(y) {
            continue;
        }
        let kept: Vec<_> = changes
            .into_iter()
            .filter(|c| !hidden.change(y, None, &c.path))
            .collect();
        if kept.is_empty() {
            continue;
        }
        let parent = parent_of(y, &b_by_id);
        changed.push(Changed {
            resource: DriftResource::from(y),
            iac: None,
            changes: kept,
            breaks: attributed(Some(x), Some(y)),
            events: events.touching(y, parent.as_ref()),
        });
    }

    let mut one_side = |only: &[&Resource], added: bool| {
        let mut out = Vec::new();
        for &r in only {
            if hidden.resource(r) {
                continue;
            }
            let (before, after) = if added {
                (None, Some(r))
            } else {
                (Some(r), None)
            };
            let parent = parent_of(r, if added { &b_by_id } else { &a_by_id });
            out.push(Entry {
                resource: DriftResource::from(r),
                breaks: attributed(before, after),
                events: events.touching(r, parent.as_ref()),
            });
        }
        out
    };
    let mut added = one_side(&added, true);
    let mut removed = one_side(&removed, false);
    sort_changed(&mut changed, opts.policies);
    sort_entries(&mut added, opts.policies);
    sort_entries(&mut removed, opts.policies);

    let mut notes = source_notes(a, b);
    notes.extend(hidden.unused());
    let live = b
        .resources
        .iter()
        .any(|r| matches!(r.source, Source::Aws { .. }));
    if live && attribution.source.is_none() {
        notes.push(
            "neither snapshot carries audit-log events: who made these changes is not known".into(),
        );
    } else if let Some(note) = unread_note(b) {
        notes.push(note);
    } else if attribution.source.is_some() && !attribution.complete {
        notes.push(
            "the audit-log events gathered do not cover the whole window: changes without events may have been made before they start"
                .into(),
        );
    }

    let mut report = DriftReport {
        schema: DRIFT_SCHEMA.into(),
        tool: Tool::default(),
        mode: DriftMode::Snapshots,
        from: from.side(),
        to: to.side(),
        summary: Default::default(),
        changed,
        added,
        removed,
        unmanaged: None,
        missing: None,
        provider_managed: None,
        findings,
        attribution,
        ignored: hidden.list,
        notes,
    };
    report.finish();
    report
}

/// Satellites by parent id.
pub(super) fn children(inv: &Inventory) -> HashMap<&str, Vec<&Resource>> {
    let mut out: HashMap<&str, Vec<&Resource>> = HashMap::new();
    for r in &inv.resources {
        if let Some(p) = &r.parent {
            out.entry(p.as_str()).or_default().push(r);
        }
    }
    out
}

/// The policies a satellite's change broke on its parent: of those the parent now fails
/// (`parent_breaks`), the ones that read a facet this change alone moves. The parent's facets
/// are derived twice from its earlier satellites: as they were, and with only this one
/// replaced by its later version (or removed, or added).
pub(super) fn satellite_breaks(
    policies: &PolicySet,
    parent: &Resource,
    satellites: &[&Resource],
    before: Option<&Resource>,
    after: Option<&Resource>,
    parent_breaks: &[String],
) -> Vec<String> {
    if parent_breaks.is_empty() {
        return Vec::new();
    }
    let mut variant: Vec<&Resource> = satellites
        .iter()
        .copied()
        .filter(|s| before.is_none_or(|b| b.id != s.id))
        .collect();
    variant.extend(after);
    let (Some(base), Some(moved)) = (
        facets_with(parent, satellites),
        facets_with(parent, &variant),
    ) else {
        return Vec::new();
    };
    let changed: BTreeSet<&str> = base
        .iter()
        .filter(|(k, v)| moved.get(*k) != Some(*v))
        .map(|(k, _)| k.as_str())
        .collect();
    parent_breaks
        .iter()
        .filter(|id| {
            policies.get(id).is_some_and(|p| {
                p.reads.iter().any(|path| {
                    path.root == PathRoot::Resource
                        && path.segments.first().map(String::as_str) == Some("facets")
                        && path
                            .segments
                            .get(1)
                            .is_none_or(|name| changed.contains(name.as_str()))
                })
            })
        })
        .cloned()
        .collect()
}

/// Notes on the two snapshots themselves: different sources, parts not read.
fn source_notes(a: &Inventory, b: &Inventory) -> Vec<String> {
    let mut notes = Vec::new();
    let scopes = |inv: &Inventory| -> BTreeSet<(String, String)> {
        inv.metadata
            .collectors
            .iter()
            .map(|c| (c.collector.clone(), c.scope.clone()))
            .collect()
    };
    let (sa, sb) = (scopes(a), scopes(b));
    if sa != sb {
        let show = |s: Vec<&(String, String)>| {
            let mut names: Vec<String> =
                s.iter().take(5).map(|(c, s)| format!("{c} {s}")).collect();
            if s.len() > 5 {
                names.push(format!("and {} more", s.len() - 5));
            }
            names.join(", ")
        };
        let only_a: Vec<_> = sa.difference(&sb).collect();
        let only_b: Vec<_> = sb.difference(&sa).collect();
        let mut parts = Vec::new();
        if !only_a.is_empty() {
            parts.push(format!("only the earlier read {}", show(only_a)));
        }
        if !only_b.is_empty() {
            parts.push(format!("only the later read {}", show(only_b)));
        }
        notes.push(format!(
            "the snapshots read different sources ({}): resources there show as added or removed",
            parts.join("; ")
        ));
    }
    for (inv, which) in [(a, "earlier"), (b, "later")] {
        let unread = inv
            .metadata
            .errors
            .iter()
            .filter(|e| !e.is_suppression())
            .count();
        if unread > 0 {
            notes.push(format!(
                "the {which} snapshot could not read {unread} part{} of its scope (see its errors): resources there may show as added or removed",
                if unread == 1 { "" } else { "s" }
            ));
        }
    }
    if a.metadata.tool.version != b.metadata.tool.version {
        notes.push(format!(
            "the snapshots were taken by different plumb versions ({} and {})",
            a.metadata.tool.version, b.metadata.tool.version
        ));
    }
    notes
}
