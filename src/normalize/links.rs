//! The linking pass: which resources are satellites of which parents, and how they name them.

use std::collections::HashMap;

use serde_json::Value;

use crate::inventory::{Attr, Resource, Source};

/// A satellite kind, the attribute naming its parent, the parent kind, and the parent
/// attributes that attribute may hold (tried in order).
pub struct Link {
    pub satellite: &'static str,
    pub via: &'static str,
    pub parent: &'static str,
    pub parent_keys: &'static [&'static str],
}

const BUCKET_KEYS: &[&str] = &["/bucket", "/id"];
const SG_KEYS: &[&str] = &["/id"];
const NAMESPACE_KEYS: &[&str] = &["/metadata/name"];

const fn bucket(satellite: &'static str) -> Link {
    Link {
        satellite,
        via: "/bucket",
        parent: "aws_s3_bucket",
        parent_keys: BUCKET_KEYS,
    }
}

const fn namespaced(satellite: &'static str) -> Link {
    Link {
        satellite,
        via: "/metadata/namespace",
        parent: "k8s/Namespace",
        parent_keys: NAMESPACE_KEYS,
    }
}

/// Every satellite relation plumb folds. A satellite of several possible parents is linked to
/// the first that matches.
pub const LINKS: &[Link] = &[
    bucket("aws_s3_bucket_server_side_encryption_configuration"),
    bucket("aws_s3_bucket_versioning"),
    bucket("aws_s3_bucket_logging"),
    bucket("aws_s3_bucket_public_access_block"),
    bucket("aws_s3_bucket_lifecycle_configuration"),
    bucket("aws_s3_bucket_object_lock_configuration"),
    bucket("aws_s3_bucket_policy"),
    bucket("aws_s3_bucket_acl"),
    bucket("aws_s3_bucket_replication_configuration"),
    Link {
        satellite: "aws_security_group_rule",
        via: "/security_group_id",
        parent: "aws_security_group",
        parent_keys: SG_KEYS,
    },
    Link {
        satellite: "aws_vpc_security_group_ingress_rule",
        via: "/security_group_id",
        parent: "aws_security_group",
        parent_keys: SG_KEYS,
    },
    Link {
        satellite: "aws_vpc_security_group_egress_rule",
        via: "/security_group_id",
        parent: "aws_security_group",
        parent_keys: SG_KEYS,
    },
    Link {
        satellite: "aws_rds_cluster_instance",
        via: "/cluster_identifier",
        parent: "aws_rds_cluster",
        parent_keys: &["/cluster_identifier", "/id"],
    },
    Link {
        satellite: "aws_db_instance_automated_backups_replication",
        via: "/source_db_instance_arn",
        parent: "aws_db_instance",
        parent_keys: &["/arn"],
    },
    namespaced("k8s/NetworkPolicy"),
    namespaced("k8s/ResourceQuota"),
    namespaced("k8s/LimitRange"),
];

/// Sets [`Resource::parent`] on every satellite whose parent is in `resources`.
///
/// A reference recorded by the collector (the parent's address, from the plan's
/// configuration) decides first, because the parent's id may be unknown until apply. Otherwise
/// the satellite's attribute value is matched against the parent's key attributes, preferring
/// a parent from the same file or account.
pub fn link(resources: &mut [Resource]) {
    // (parent kind, key value) -> candidate parent indexes.
    let mut by_key: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        ids.insert(r.id.as_str(), i);
        for link in LINKS.iter().filter(|l| l.parent == r.kind) {
            for key in link.parent_keys {
                if let Attr::Known(Value::String(v)) = r.attr(key) {
                    by_key.entry((link.parent, v.as_str())).or_default().push(i);
                }
            }
        }
    }

    let mut parents: Vec<(usize, String)> = Vec::new();
    for (i, r) in resources.iter().enumerate() {
        if r.parent.is_some() {
            continue;
        }
        for link in LINKS.iter().filter(|l| l.satellite == r.kind) {
            let by_reference = r.references.get(link.via).and_then(|refs| {
                refs.iter()
                    .filter_map(|id| ids.get(id.as_str()))
                    .find(|&&p| resources[p].kind == link.parent)
            });
            let by_value = || match r.attr(link.via) {
                Attr::Known(Value::String(v)) => {
                    let candidates = by_key.get(&(link.parent, v.as_str()))?;
                    candidates
                        .iter()
                        .find(|&&p| same_origin(&resources[p].source, &r.source))
                        // Files of one scan form one estate; live sources never mix.
                        .or_else(|| {
                            candidates.iter().find(|&&p| {
                                matches!(
                                    (&resources[p].source, &r.source),
                                    (Source::File { .. }, Source::File { .. })
                                )
                            })
                        })
                }
                // A namespaced Kubernetes object without a namespace lands in `default`.
                Attr::Absent if link.parent == "k8s/Namespace" => by_key
                    .get(&(link.parent, "default"))?
                    .iter()
                    .find(|&&p| same_origin(&resources[p].source, &r.source)),
                _ => None,
            };
            if let Some(&p) = by_reference.or_else(by_value) {
                parents.push((i, resources[p].id.clone()));
                break;
            }
        }
    }
    for (i, parent) in parents {
        resources[i].parent = Some(parent);
    }
}

fn same_origin(a: &Source, b: &Source) -> bool {
    match (a, b) {
        (Source::File { path: x, .. }, Source::File { path: y, .. }) => x == y,
        (Source::Aws { account: x, .. }, Source::Aws { account: y, .. }) => x == y,
        (Source::Kubernetes { cluster: x, .. }, Source::Kubernetes { cluster: y, .. }) => x == y,
        _ => false,
    }
}
