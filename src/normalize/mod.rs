//! Normalisation: link satellite resources to their parent, then derive facets.
//!
//! Collectors fill [`Resource::attrs`] in the Terraform / Kubernetes shape. This stage runs
//! after every collector and before evaluation, whatever the source:
//!
//! 1. **Linking.** A satellite (an `aws_s3_bucket_versioning`, an `aws_security_group_rule`, a
//!    Kubernetes `NetworkPolicy` in a namespace) names its parent through one attribute. The
//!    [`links::LINKS`] table says which; the satellite gets [`Resource::parent`]. Collectors may
//!    also record [`Resource::references`] (from a plan's configuration, where the value itself
//!    is unknown until apply), which take precedence over matching values.
//! 2. **Facets.** One deriver per kind computes the facets listed for it in
//!    [`facets::FACETS`] from the resource and its satellites. Every facet listed for a kind is
//!    present afterwards; `null` means the value cannot be known.

mod aws;
pub mod facets;
mod kubernetes;
mod links;
mod terraform;
pub(crate) mod value;

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::Value;

use crate::inventory::Resource;

pub use facets::{FACETS, FacetDef, facets_of_kind, normalised_kinds};

/// Links satellites to parents and derives every resource's facets, in place.
pub fn normalize(resources: &mut [Resource]) {
    links::link(resources);

    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        if let Some(parent) = &r.parent {
            children.entry(parent.as_str()).or_default().push(i);
        }
    }
    let derived: Vec<Option<facets::FacetMap>> = resources
        .par_iter()
        .map(|r| {
            let satellites: Vec<&Resource> = children
                .get(r.id.as_str())
                .map(|idx| idx.iter().map(|&i| &resources[i]).collect())
                .unwrap_or_default();
            derive(r, &satellites)
        })
        .collect();
    for (r, facets) in resources.iter_mut().zip(derived) {
        if let Some(facets) = facets {
            r.facets = facets;
        }
    }
}

/// The facets `r` gets with `satellites` linked to it; `None` for kinds without a deriver.
/// Drift uses it to tell which facets one satellite's change moved.
pub fn facets_with(r: &Resource, satellites: &[&Resource]) -> Option<facets::FacetMap> {
    derive(r, satellites)
}

/// The facets of one resource given its satellites; `None` for kinds without a deriver.
fn derive(r: &Resource, satellites: &[&Resource]) -> Option<facets::FacetMap> {
    let deriver = aws::deriver(&r.kind)
        .or_else(|| kubernetes::deriver(&r.kind))
        .or_else(|| terraform::deriver(&r.kind))?;
    let ctx = Derive { r, satellites };
    let mut map = facets::FacetMap::new();
    for name in facets_of_kind(&r.kind) {
        map.insert((*name).to_string(), Value::Null);
    }
    deriver(&ctx, &mut facets::Setter::new(&r.kind, &mut map));
    Some(map)
}

/// What a facet deriver sees: the resource and the satellites linked to it.
pub(crate) struct Derive<'a> {
    pub r: &'a Resource,
    pub satellites: &'a [&'a Resource],
}

impl<'a> Derive<'a> {
    /// Satellites of one kind, in id order.
    pub fn linked<'s>(&'s self, kind: &'s str) -> impl Iterator<Item = &'a Resource> + 's {
        self.satellites
            .iter()
            .copied()
            .filter(move |s| s.kind == kind)
    }

    /// The single satellite of one kind, if any (the last one wins, as in Terraform, where two
    /// would fight over the same setting).
    pub fn one(&self, kind: &str) -> Option<&'a Resource> {
        self.linked(kind).last()
    }
}

pub(crate) type Deriver = fn(&Derive<'_>, &mut facets::Setter<'_>);
