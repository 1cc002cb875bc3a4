//! IaC against live: Terraform resources paired with deployed ones by cloud id.
//!
//! Only what both sides could contain is compared. An IaC resource is out of scope, and not
//! reported missing, when the live inventory did not look for its kind (a live collector
//! states the kinds it reads; otherwise the kinds present live are all that is known), when
//! its ARN names an account or region the live inventory did not read, or when the live
//! collector recorded that it could not read that kind. Satellites follow their parent: the
//! satellites of an unmanaged or missing resource are not listed again, and a satellite kind
//! one side models inline (security group rules) is compared through the parent's attributes
//! and facets.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::arn::parse_arn;
use super::diff::{Mode, resource_changes};
use super::events::{Events, unread_note};
use super::matching::{canonical_kind, default_vpcs, pair, provider_managed};
use super::snapshot::satellite_breaks;
use super::verdicts::{Verdicts, compare, index};
use super::{
    Changed, DRIFT_SCHEMA, DriftMode, DriftReport, DriftResource, Entry, Hidden, Input, Options,
    ProviderManaged, sort_changed, sort_entries,
};
use crate::inventory::{Inventory, Resource, Source, Tool};
use crate::pipeline::Pipeline;

/// What the live inventory read: kinds and (account, region) scopes.
struct LiveScope {
    kinds: HashSet<String>,
    unread_kinds: HashSet<String>,
    accounts: HashSet<(String, String)>,
}

impl LiveScope {
    fn of(live: &Inventory) -> Self {
        let mut kinds: HashSet<String> = live
            .resources
            .iter()
            .map(|r| canonical_kind(&r.kind).to_string())
            .collect();
        let mut accounts = HashSet::new();
        for run in &live.metadata.collectors {
            kinds.extend(run.kinds.keys().map(|k| canonical_kind(k).to_string()));
            if let Some((account, region)) = run.scope.split_once('/')
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
            {
                accounts.insert((account.to_string(), region.to_string()));
            }
        }
        for r in &live.resources {
            if let Source::Aws { account, region } = &r.source {
                accounts.insert((account.clone(), region.clone()));
            }
        }
        // Unread: named by an error, or stated by a run as not read completely.
        let unread_kinds = live
            .metadata
            .errors
            .iter()
            .flat_map(|e| e.kinds.iter())
            .chain(live.metadata.collectors.iter().flat_map(|run| {
                run.kinds
                    .iter()
                    .filter(|(_, complete)| !**complete)
                    .map(|(k, _)| k)
            }))
            .map(|k| canonical_kind(k).to_string())
            .collect();
        LiveScope {
            kinds,
            unread_kinds,
            accounts,
        }
    }

    /// Why `r` (IaC) is not compared, if it is not.
    fn excludes(&self, r: &Resource) -> Option<&'static str> {
        let kind = canonical_kind(&r.kind);
        if self.unread_kinds.contains(kind) {
            return Some("unread");
        }
        if !self.kinds.contains(kind) {
            return Some("kind");
        }
        let arn = r
            .cloud_id
            .as_deref()
            .or_else(|| r.attrs.get("arn").and_then(|v| v.as_str()))
            .and_then(parse_arn);
        if let Some(arn) = arn
            && !arn.account.is_empty()
            && !self.accounts.is_empty()
        {
            let region = if arn.region.is_empty() {
                "global"
            } else {
                arn.region
            };
            if !self
                .accounts
                .contains(&(arn.account.to_string(), region.to_string()))
            {
                return Some("region");
            }
        }
        None
    }
}

/// What drifted between what Terraform describes (`iac`) and what is deployed (`live`).
pub fn iac_vs_live(iac: &Input<'_>, live: &Input<'_>, opts: &Options<'_>) -> DriftReport {
    let (i_inv, l_inv) = (iac.inventory, live.inventory);
    let scope = LiveScope::of(l_inv);
    let mut excluded: HashMap<&'static str, usize> = HashMap::new();
    let iac_rs: Vec<&Resource> = i_inv
        .resources
        .iter()
        .filter(|r| match scope.excludes(r) {
            // A satellite kind the live side models inline is compared through its parent.
            Some("kind") if r.parent.is_some() => false,
            Some(why) => {
                *excluded.entry(why).or_default() += 1;
                false
            }
            None => true,
        })
        .collect();
    let live_rs: Vec<&Resource> = l_inv.resources.iter().collect();
    let pairs = pair(&iac_rs, &live_rs);
    let mut live_pair: Vec<Option<usize>> = vec![None; live_rs.len()];
    for (i, j) in pairs.iter().enumerate() {
        if let Some(j) = j {
            live_pair[*j] = Some(i);
        }
    }
    let iac_index: HashMap<&str, usize> = iac_rs
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let live_index: HashMap<&str, usize> = live_rs
        .iter()
        .enumerate()
        .map(|(j, r)| (r.id.as_str(), j))
        .collect();
    // Satellite kinds present under each parent, per side.
    let satellite_kinds = |rs: &[&Resource]| -> HashSet<(String, String)> {
        rs.iter()
            .filter_map(|r| {
                r.parent
                    .as_ref()
                    .map(|p| (p.clone(), canonical_kind(&r.kind).to_string()))
            })
            .collect()
    };
    let iac_sat_kinds = satellite_kinds(&iac_rs);
    let live_sat_kinds = satellite_kinds(&live_rs);

    let mut hidden = Hidden::new(opts);

    // Live resources: unmanaged, provider-managed, or paired.
    let defaults = default_vpcs(&live_rs);
    let defaults: Vec<&str> = defaults.iter().map(String::as_str).collect();
    let mut unmanaged = Vec::new();
    let mut managed_by_provider = Vec::new();
    let mut hidden_live: HashSet<&str> = HashSet::new();
    for (j, r) in live_rs.iter().enumerate() {
        if live_pair[j].is_some() {
            continue;
        }
        if hidden.resource(r) {
            hidden_live.insert(&r.id);
            continue;
        }
        if let Some(reason) = provider_managed(r, &defaults) {
            hidden_live.insert(&r.id);
            managed_by_provider.push(ProviderManaged {
                resource: DriftResource::from(*r),
                reason: reason.to_string(),
            });
            continue;
        }
        if let Some(parent) = &r.parent {
            let parent_pair = live_index.get(parent.as_str()).and_then(|&p| live_pair[p]);
            match parent_pair {
                // Listed with its unmanaged (or provider-managed) parent.
                None => continue,
                // Terraform models this setting inline, or not at all: compared through the
                // parent.
                Some(ip) => {
                    let key = (iac_rs[ip].id.clone(), canonical_kind(&r.kind).to_string());
                    if !iac_sat_kinds.contains(&key) {
                        continue;
                    }
                }
            }
        }
        unmanaged.push(r);
    }

    // IaC resources not found live.
    let mut missing = Vec::new();
    for (i, r) in iac_rs.iter().enumerate() {
        if pairs[i].is_some() || hidden.resource(r) {
            continue;
        }
        if let Some(parent) = &r.parent {
            match iac_index.get(parent.as_str()).and_then(|&p| pairs[p]) {
                None => continue,
                Some(lp) => {
                    let key = (live_rs[lp].id.clone(), canonical_kind(&r.kind).to_string());
                    if !live_sat_kinds.contains(&key) && !scope_lists(l_inv, &r.kind) {
                        continue;
                    }
                }
            }
        }
        missing.push(*r);
    }

    // Verdicts: IaC findings carried over to the id of the live resource they describe.
    let iac_owned: Vec<Resource> = iac_rs.iter().map(|r| (*r).clone()).collect();
    let (iac_findings, _) = Pipeline::new(opts.policies, opts.settings).verdicts(&iac_owned);
    let (live_findings, _) = Pipeline::new(opts.policies, opts.settings).verdicts(&l_inv.resources);
    let to_live: HashMap<&str, &str> = pairs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| j.map(|j| (iac_rs[i].id.as_str(), live_rs[j].id.as_str())))
        .collect();
    let before: Verdicts<'_> = index(&iac_findings)
        .into_iter()
        .map(|((p, id), f)| ((p, to_live.get(id).copied().unwrap_or(id)), f))
        .collect();
    let after: Verdicts<'_> = index(&live_findings)
        .into_iter()
        .filter(|((_, id), _)| !hidden_live.contains(id))
        .collect();
    let (findings, breaks) = compare(&before, &after);

    let activity = l_inv.activity.as_ref();
    let (events, attribution) = Events::window(
        &[l_inv],
        activity.map(|a| a.since.as_str()),
        activity.map(|a| a.until.as_str()),
    );
    let parent_of = |r: &Resource| -> Option<&Resource> {
        r.parent
            .as_deref()
            .and_then(|p| live_index.get(p))
            .map(|&j| live_rs[j])
    };

    let mut iac_children: HashMap<&str, Vec<&Resource>> = HashMap::new();
    for r in &iac_rs {
        if let Some(p) = &r.parent {
            iac_children.entry(p.as_str()).or_default().push(r);
        }
    }
    let mut changed = Vec::new();
    for (i, j) in pairs.iter().enumerate() {
        let Some(j) = *j else { continue };
        let (x, y) = (iac_rs[i], live_rs[j]);
        if hidden.resource(x) || hidden.resource(y) {
            continue;
        }
        let kept: Vec<_> = resource_changes(x, y, Mode::Stated)
            .into_iter()
            .filter(|c| !hidden.change(y, Some(x), &c.path))
            .collect();
        if kept.is_empty() {
            continue;
        }
        let breaks = match (&x.parent, &y.parent) {
            (Some(ip), Some(lp)) => match iac_index.get(ip.as_str()) {
                Some(&p) => satellite_breaks(
                    opts.policies,
                    iac_rs[p],
                    iac_children
                        .get(ip.as_str())
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    Some(x),
                    Some(y),
                    breaks.get(lp).map(Vec::as_slice).unwrap_or_default(),
                ),
                None => Vec::new(),
            },
            _ => breaks.get(&y.id).cloned().unwrap_or_default(),
        };
        changed.push(Changed {
            resource: DriftResource::from(y),
            iac: Some(DriftResource::from(x)),
            changes: kept,
            breaks,
            events: events.touching(y, parent_of(y)),
        });
    }
    let mut unmanaged: Vec<Entry> = unmanaged
        .into_iter()
        .map(|r| Entry {
            resource: DriftResource::from(*r),
            breaks: breaks.get(&r.id).cloned().unwrap_or_default(),
            events: events.touching(r, parent_of(r)),
        })
        .collect();
    let mut missing: Vec<Entry> = missing
        .into_iter()
        .map(|r| Entry {
            resource: DriftResource::from(r),
            breaks: Vec::new(),
            // Who deleted it: the events name it as the cloud does, as the IaC records it.
            events: events.touching(r, None),
        })
        .collect();
    sort_changed(&mut changed, opts.policies);
    sort_entries(&mut unmanaged, opts.policies);
    sort_entries(&mut missing, opts.policies);
    managed_by_provider.sort_by(|a, b| a.resource.id.cmp(&b.resource.id));

    let mut notes = Vec::new();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if let Some(&n) = excluded.get("kind") {
        notes.push(format!(
            "{n} IaC resource{} of kinds the live inventory does not read were not compared",
            plural(n)
        ));
    }
    if let Some(&n) = excluded.get("region") {
        notes.push(format!(
            "{n} IaC resource{} in accounts or regions the live inventory did not read were not compared",
            plural(n)
        ));
    }
    if let Some(&n) = excluded.get("unread") {
        let kinds: BTreeSet<&String> = scope.unread_kinds.iter().collect();
        let kinds: Vec<&str> = kinds.into_iter().map(String::as_str).collect();
        notes.push(format!(
            "{n} IaC resource{} of kinds the live collector could not read ({}) were not compared: unread is not missing",
            plural(n),
            kinds.join(", ")
        ));
    }
    notes.extend(hidden.unused());
    if attribution.source.is_none() && !changed.is_empty() {
        notes.push(
            "the live inventory carries no audit-log events: who made these changes is not known"
                .into(),
        );
    }
    notes.extend(unread_note(l_inv));

    let mut report = DriftReport {
        schema: DRIFT_SCHEMA.into(),
        tool: Tool::default(),
        mode: DriftMode::IacVsLive,
        from: iac.side(),
        to: live.side(),
        summary: Default::default(),
        changed,
        added: Vec::new(),
        removed: Vec::new(),
        unmanaged: Some(unmanaged),
        missing: Some(missing),
        provider_managed: Some(managed_by_provider),
        findings,
        attribution,
        ignored: hidden.list,
        notes,
    };
    report.finish();
    report
}

/// Whether a live collector stated that it reads `kind` as a resource of its own.
fn scope_lists(live: &Inventory, kind: &str) -> bool {
    let kind = canonical_kind(kind);
    live.metadata
        .collectors
        .iter()
        .any(|run| run.kinds.keys().any(|k| canonical_kind(k) == kind))
}
