//! The kind registry: every kind plumb derives facets for, declared once with its provider, its
//! facet deriver, how a live inventory gets it, the facets it carries (and the attributes they
//! are read from), the satellites folded into it, and, for a data store, the shape of its ARN
//! that AWS Backup selections match.
//!
//! Each provider declares its kinds in one table next to its derivers (`aws::KINDS`,
//! `kubernetes::KINDS`, `terraform::KINDS`); [`super::kinds()`] chains them and [`super::kind`]
//! finds one by name, for everything else: the facet index and the
//! docs, the linking pass and backup coverage read it. Tests hold the tables to the rest of the
//! tool: every declared kind has facets defined in the catalogue and a section in
//! `docs/facets.md`, every facet is carried by some kind, a kind's source attributes name its
//! own facets, backup coverage and the ARN shape go together, and a kind declared as read live
//! is one the live collector (or AWS Config) produces, and the other way round.

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
/// the function deriving its facets, how it is read live, the facets it carries, the satellites
/// folded into it, and whether AWS Backup protects it.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    pub name: &'static str,
    pub provider: Provider,
    pub(crate) derive: Deriver,
    pub live: Live,
    /// The facets it carries, named from the catalogue ([`super::facets::FACETS`]), in groups
    /// that kinds share ([`super::facets::ENCRYPTION`], ...). Documents list them in the
    /// catalogue's order, whatever the order here.
    pub facets: &'static [&'static [&'static str]],
    /// The satellites that name a resource of this kind as their parent.
    pub satellites: &'static [Satellite],
    /// For a data store AWS Backup can protect: the service and the resource-type prefix of its
    /// ARN (`("rds", "db:")`), to match a selection's ARN patterns against a resource whose ARN
    /// is unknown until apply.
    pub backup_arn: Option<(&'static str, &'static str)>,
    /// Facets that are one attribute of the resource itself, as written in the source: (facet,
    /// JSON pointer of the attribute). A finding that rests on such a facet points at the
    /// attribute's line when the source recorded it.
    pub attributes: &'static [(&'static str, &'static str)],
}

impl Kind {
    const fn new(name: &'static str, provider: Provider, derive: Deriver, live: Live) -> Kind {
        Kind {
            name,
            provider,
            derive,
            live,
            facets: &[],
            satellites: &[],
            backup_arn: None,
            attributes: &[],
        }
    }

    pub(super) const fn aws(name: &'static str, derive: Deriver, live: Live) -> Kind {
        Kind::new(name, Provider::Aws, derive, live)
    }

    pub(super) const fn kubernetes(name: &'static str, derive: Deriver) -> Kind {
        Kind::new(name, Provider::Kubernetes, derive, Live::Cluster)
    }

    pub(super) const fn repository(
        name: &'static str,
        derive: Deriver,
        reason: &'static str,
    ) -> Kind {
        Kind::new(name, Provider::Repository, derive, Live::IacOnly(reason))
    }

    pub(super) const fn terraform(name: &'static str, derive: Deriver) -> Kind {
        let live = Live::IacOnly("a Terraform setting, not a cloud resource");
        Kind::new(name, Provider::Terraform, derive, live)
    }

    pub(super) const fn facets(self, facets: &'static [&'static [&'static str]]) -> Kind {
        Kind { facets, ..self }
    }

    pub(super) const fn satellites(self, satellites: &'static [Satellite]) -> Kind {
        Kind { satellites, ..self }
    }

    pub(super) const fn attributes(
        self,
        attributes: &'static [(&'static str, &'static str)],
    ) -> Kind {
        Kind { attributes, ..self }
    }

    pub(super) const fn backed_up(self, service: &'static str, prefix: &'static str) -> Kind {
        Kind {
            backup_arn: Some((service, prefix)),
            ..self
        }
    }
}

/// A satellite kind, the attribute naming its parent, and the parent attributes that
/// attribute may hold (tried in order). The parent kind declares it
/// ([`Kind::satellites`]); [`super::links`] folds it into its parent.
#[derive(Debug)]
pub struct Satellite {
    pub kind: &'static str,
    pub via: &'static str,
    pub parent_keys: &'static [&'static str],
    /// A prefix the satellite's value carries before the parent's key (`table/` in an
    /// Application Auto Scaling `resource_id`).
    pub strip: &'static str,
    /// Kubernetes: the parent must be in the satellite's namespace.
    pub same_namespace: bool,
}

/// A satellite naming its parent by `via`, whose value is one of the parent's `parent_keys`.
pub(super) const fn satellite(
    kind: &'static str,
    via: &'static str,
    parent_keys: &'static [&'static str],
) -> Satellite {
    Satellite {
        kind,
        via,
        parent_keys,
        strip: "",
        same_namespace: false,
    }
}

pub(super) const BUCKET_KEYS: &[&str] = &["/bucket", "/id"];
const NAMESPACE_KEYS: &[&str] = &["/metadata/name"];

pub(super) const ID: &[&str] = &["/id"];
pub(super) const ARN: &[&str] = &["/arn"];
pub(super) const NAME: &[&str] = &["/name"];
/// A name, or the id the provider gives it (which is the name).
pub(super) const NAME_OR_ID: &[&str] = &["/name", "/id"];

/// A part of an S3 bucket managed as a resource of its own.
pub(super) const fn bucket(kind: &'static str) -> Satellite {
    satellite(kind, "/bucket", BUCKET_KEYS)
}

/// A rule resource of a security group.
pub(super) const fn sg_rule(kind: &'static str) -> Satellite {
    satellite(kind, "/security_group_id", ID)
}

/// A namespaced Kubernetes object, under its namespace.
pub(super) const fn namespaced(kind: &'static str) -> Satellite {
    satellite(kind, "/metadata/namespace", NAMESPACE_KEYS)
}

/// A HorizontalPodAutoscaler scales the workload its `scaleTargetRef` names, in its own
/// namespace.
pub(super) const SCALED: Satellite = Satellite {
    kind: "k8s/HorizontalPodAutoscaler",
    via: "/spec/scaleTargetRef/name",
    parent_keys: &["/metadata/name"],
    strip: "",
    same_namespace: true,
};

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
    fn what_a_kind_declares_is_wired() {
        use crate::normalize::facets::facet;
        for k in all() {
            for name in k.facets.iter().flat_map(|group| group.iter()) {
                assert!(
                    facet(name).is_some(),
                    "{}: facet {name} is not in the catalogue",
                    k.name
                );
            }
            for (name, _) in k.attributes {
                assert!(
                    k.facets.iter().any(|group| group.contains(name)),
                    "{}: an attribute is declared for {name}, a facet it does not carry",
                    k.name
                );
            }
            // A store AWS Backup can protect reports the plans covering it, and only such a
            // store: coverage is worked out for the kinds with an ARN shape.
            assert_eq!(
                k.backup_arn.is_some(),
                super::super::facets_of_kind(k.name).contains(&"backup_plans"),
                "{}: backup_plans and the ARN shape go together",
                k.name
            );
            let mut satellites = BTreeSet::new();
            for s in k.satellites {
                assert!(
                    satellites.insert(s.kind),
                    "{}: satellite {} declared twice",
                    k.name,
                    s.kind
                );
            }
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
