//! Normalisation: link satellite resources to their parent, then derive facets.
//!
//! Collectors fill [`Resource::attrs`] in the Terraform / Kubernetes shape. This stage runs
//! after every collector and before evaluation, whatever the source:
//!
//! 1. **Linking.** A satellite (an `aws_s3_bucket_versioning`, an `aws_security_group_rule`, a
//!    Kubernetes `NetworkPolicy` in a namespace) names its parent through one attribute. The
//!    parent's kind declares which ([`kinds::Kind::satellites`]); the satellite gets
//!    [`Resource::parent`]. Collectors may
//!    also record [`Resource::references`] (from a plan's configuration, where the value itself
//!    is unknown until apply), which take precedence over matching values. A few satellites
//!    name several parents (an `aws_iam_policy_attachment` lists users, roles and groups):
//!    [`links::many`] finds them, and each parent's deriver sees them among its satellites.
//!    A few relations hang one resource under others the same way ([`links::related`]): a
//!    customer-managed policy under every attachment naming it, a trail under the log group
//!    it delivers to, a metric alarm under the log metric filters publishing its metric.
//! 2. **Coverage.** AWS Backup selections pick data stores by ARN or by tag, not by naming one
//!    parent; [`backup::coverage`] works out which plans protect which resource, so the
//!    recovery estimates of [`continuity`] can count them.
//! 3. **Facets.** One deriver per kind computes the facets its kind declares
//!    ([`kinds::Kind::facets`], defined in the catalogue [`facets::FACETS`]) from the resource, its satellites and the plans covering it. Every
//!    facet listed for a kind is present afterwards; `null` means the value cannot be known.
//!
//! Facets that depend on time (the age of an access key) are computed as of one instant,
//! the collection time, so an inventory judged later gives the same verdicts.

mod aws;
mod backup;
mod continuity;
pub mod facets;
pub mod kinds;
mod kubernetes;
mod links;
mod policy_document;
mod repository;
mod terraform;
pub(crate) mod value;

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde_json::Value;

use crate::inventory::Resource;

pub use facets::{FACETS, FacetDef, facets_of_kind, normalised_kinds};

/// Links satellites to parents and derives every resource's facets, in place, as of now.
pub fn normalize(resources: &mut [Resource]) {
    normalize_as_of(resources, Utc::now());
}

/// Links and facets for a saved inventory, derived by the running plumb exactly as collection
/// derives them, as of the instant it was collected: an inventory written by hand, by another
/// tool or by an older plumb (without facets, or with facets of another catalogue) is judged
/// as the scan that wrote it would have judged it. Deriving again is harmless: facets come
/// from attributes only.
pub fn normalize_inventory(inventory: &mut crate::inventory::Inventory) {
    let as_of = DateTime::parse_from_rfc3339(&inventory.metadata.collected_at)
        .map_or_else(|_| Utc::now(), |t| t.with_timezone(&Utc));
    normalize_as_of(&mut inventory.resources, as_of);
}

/// As [`normalize`], with time-dependent facets (credential ages) computed as of `as_of`.
pub fn normalize_as_of(resources: &mut [Resource], as_of: DateTime<Utc>) {
    links::link(resources);

    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        if let Some(parent) = &r.parent {
            children.entry(parent.as_str()).or_default().push(i);
        }
    }
    for (satellite, parent) in links::many(resources)
        .into_iter()
        .chain(links::related(resources))
    {
        children
            .entry(resources[parent].id.as_str())
            .or_default()
            .push(satellite);
    }
    let covered = backup::coverage(resources, &children);
    let derived: Vec<Option<facets::FacetMap>> = resources
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let satellites: Vec<&Resource> = beneath(resources, &children, i)
                .into_iter()
                .map(|i| &resources[i])
                .collect();
            let backup_plans: Vec<&Resource> = covered
                .get(&i)
                .map(|idx| idx.iter().map(|&p| &resources[p]).collect())
                .unwrap_or_default();
            let ctx = Derive {
                r,
                satellites: &satellites,
                backup_plans: &backup_plans,
                as_of,
            };
            derive(&ctx)
        })
        .collect();
    for (r, facets) in resources.iter_mut().zip(derived) {
        if let Some(facets) = facets {
            r.facets = facets;
        }
    }
}

/// How many levels of satellites a deriver sees: a subscription hangs off the topic an alarm
/// notifies, the alarm off the metric filter whose metric it watches, the filter off its log
/// group, and the log group judges them together.
const DEPTH: usize = 4;

/// The satellites of resource `i`, theirs in turn, and so on down to [`DEPTH`] levels; each
/// once (relations may form cycles), nearest first.
fn beneath(resources: &[Resource], children: &HashMap<&str, Vec<usize>>, i: usize) -> Vec<usize> {
    let mut found: Vec<usize> = Vec::new();
    let Some(first) = children.get(resources[i].id.as_str()) else {
        return found;
    };
    let mut seen: HashSet<usize> = HashSet::from([i]);
    let mut level: Vec<usize> = first.clone();
    for _ in 0..DEPTH {
        let mut next = Vec::new();
        for c in level {
            if !seen.insert(c) {
                continue;
            }
            found.push(c);
            if let Some(grand) = children.get(resources[c].id.as_str()) {
                next.extend(grand.iter().copied());
            }
        }
        if next.is_empty() {
            break;
        }
        level = next;
    }
    found
}

/// The facets `r` gets with `satellites` linked to it (and no backup plan); `None` for kinds
/// without a deriver. Drift compares two such sets to tell which facets one satellite's change
/// moved; time-dependent facets are computed as of one fixed instant so that they never differ
/// between the two.
pub fn facets_with(r: &Resource, satellites: &[&Resource]) -> Option<facets::FacetMap> {
    derive(&Derive {
        r,
        satellites,
        backup_plans: &[],
        as_of: DateTime::<Utc>::UNIX_EPOCH,
    })
}

/// The facets of one resource; `None` for kinds not declared in [`kinds`].
fn derive(ctx: &Derive<'_>) -> Option<facets::FacetMap> {
    let kind = ctx.r.kind.as_str();
    let deriver = self::kind(kind)?.derive;
    let mut map = facets::FacetMap::new();
    for name in facets_of_kind(kind) {
        map.insert((*name).to_string(), Value::Null);
    }
    deriver(ctx, &mut facets::Setter::new(kind, &mut map));
    Some(map)
}

/// Every declared kind, provider by provider, in declaration order.
pub fn kinds() -> impl Iterator<Item = &'static kinds::Kind> {
    aws::KINDS
        .iter()
        .chain(kubernetes::KINDS)
        .chain(terraform::KINDS)
        .chain(repository::KINDS)
}

/// The declared kind of this name.
pub fn kind(name: &str) -> Option<&'static kinds::Kind> {
    static BY_NAME: OnceLock<HashMap<&'static str, &'static kinds::Kind>> = OnceLock::new();
    BY_NAME
        .get_or_init(|| kinds().map(|k| (k.name, k)).collect())
        .get(name)
        .copied()
}

/// What a facet deriver sees: the resource, the satellites linked to it (and those linked to
/// them), the AWS Backup plans
/// whose selections cover it, and the instant time-dependent facets are computed for.
pub(crate) struct Derive<'a> {
    pub r: &'a Resource,
    pub satellites: &'a [&'a Resource],
    pub backup_plans: &'a [&'a Resource],
    pub as_of: DateTime<Utc>,
}

impl<'a> Derive<'a> {
    /// Satellites of one kind, in id order.
    pub(crate) fn linked<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'a Resource> + 's {
        self.satellites
            .iter()
            .copied()
            .filter(move |s| s.kind == kind)
    }

    /// The single satellite of one kind, if any (the last one wins, as in Terraform, where two
    /// would fight over the same setting).
    pub(crate) fn one(&self, kind: &str) -> Option<&'a Resource> {
        self.linked(kind).last()
    }
}

pub(crate) type Deriver = fn(&Derive<'_>, &mut facets::Setter<'_>);
