//! The kind registry: every kind plumb derives facets for, declared once with its provider, its
//! facet deriver, and how a live inventory gets it.
//!
//! Each provider declares its kinds in one table next to its derivers (`aws::KINDS`,
//! `kubernetes::KINDS`, `terraform::KINDS`); [`super::kinds()`] chains them and [`super::kind`]
//! finds one by name, for everything else. The facets a
//! kind carries are the catalogue's ([`super::facets::FACETS`]). Tests hold the tables to the
//! rest of the tool: every declared kind has facets and a section in `docs/facets.md`, every
//! kind with facets is declared, and a kind declared as read live is one the live collector
//! (or AWS Config) produces, and the other way round.

use super::Deriver;

/// Whose kind it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Aws,
    Kubernetes,
    Terraform,
    /// What an application repository holds besides infrastructure: Dockerfiles, CI workflows.
    Repository,
}

/// How a live inventory gets a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    /// The service APIs (`plumb collect aws`).
    Api,
    /// AWS Config configuration items only (`--source config`).
    Config,
    /// Both sources.
    ApiAndConfig,
    /// Manifests and live clusters alike (Kubernetes objects).
    Cluster,
    /// Judged from Terraform (configuration, plan, state) only, for this reason.
    IacOnly(&'static str),
}

impl Live {
    /// Read by the service APIs of the live AWS collector.
    pub fn by_api(self) -> bool {
        matches!(self, Live::Api | Live::ApiAndConfig)
    }

    /// Read from AWS Config.
    pub fn by_config(self) -> bool {
        matches!(self, Live::Config | Live::ApiAndConfig)
    }
}

/// One kind: its name as resources carry it (`aws_s3_bucket`, `k8s/Deployment`), whose it is,
/// the function deriving its facets, and how it is read live.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub provider: Provider,
    pub(crate) derive: Deriver,
    pub live: Live,
}

impl Kind {
    pub(super) const fn aws(name: &'static str, derive: Deriver, live: Live) -> Kind {
        Kind {
            name,
            provider: Provider::Aws,
            derive,
            live,
        }
    }

    pub(super) const fn kubernetes(name: &'static str, derive: Deriver) -> Kind {
        Kind {
            name,
            provider: Provider::Kubernetes,
            derive,
            live: Live::Cluster,
        }
    }

    pub(super) const fn repository(
        name: &'static str,
        derive: Deriver,
        reason: &'static str,
    ) -> Kind {
        Kind {
            name,
            provider: Provider::Repository,
            derive,
            live: Live::IacOnly(reason),
        }
    }

    pub(super) const fn terraform(name: &'static str, derive: Deriver) -> Kind {
        Kind {
            name,
            provider: Provider::Terraform,
            derive,
            live: Live::IacOnly("a Terraform setting, not a cloud resource"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::normalize::{kind as get, kinds as all};

    #[test]
    fn every_kind_is_declared_once_and_has_facets() {
        let mut seen = BTreeSet::new();
        for k in all() {
            assert!(seen.insert(k.name), "{} is declared twice", k.name);
            assert!(
                !super::super::facets_of_kind(k.name).is_empty(),
                "{} is declared but has no facets in the catalogue",
                k.name
            );
        }
        for kind in super::super::normalised_kinds() {
            assert!(
                get(kind).is_some(),
                "{kind} has facets in the catalogue but is not declared (no deriver)"
            );
        }
    }

    #[test]
    fn every_kind_has_its_section_in_the_facet_docs() {
        let docs = super::super::facets::markdown();
        for k in all() {
            assert!(
                docs.contains(&format!("\n## `{}`\n", k.name)),
                "docs/facets.md has no section for {}",
                k.name
            );
        }
    }

    #[test]
    fn provider_prefixes_match_the_names() {
        for k in all() {
            let ok = match k.provider {
                Provider::Aws => k.name.starts_with("aws_"),
                Provider::Kubernetes => k.name.starts_with("k8s/"),
                Provider::Terraform => k.name.starts_with("terraform_"),
                Provider::Repository => k.name == "dockerfile" || k.name.starts_with("github_"),
            };
            assert!(ok, "{} is declared under {:?}", k.name, k.provider);
        }
    }
}
