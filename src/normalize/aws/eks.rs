//! EKS clusters and managed node groups.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{At, all_of, any_of, bool_at, elements, int_at, strings_at};

pub(super) fn cluster(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // The API's defaults: public endpoint on, open to 0.0.0.0/0; private endpoint off.
    let public = bool_at(r, "/vpc_config/0/endpoint_public_access", true);
    let cidrs = strings_at(r, "/vpc_config/0/public_access_cidrs").map(|c| {
        if c.is_empty() {
            vec!["0.0.0.0/0".to_string()]
        } else {
            c
        }
    });
    f.set(
        "public_endpoint",
        match (public, &cidrs) {
            (Some(false), _) => Some(false),
            (Some(true), Some(c)) => Some(c.iter().any(|c| c == "0.0.0.0/0" || c == "::/0")),
            _ => None,
        },
    );
    f.set(
        "private_endpoint",
        bool_at(r, "/vpc_config/0/endpoint_private_access", false),
    );
    // Envelope encryption of Secrets with a customer-managed key: some encryption config
    // names `secrets` and a key.
    f.set(
        "secrets_encryption",
        elements(r, "/encryption_config").and_then(|configs| {
            any_of(configs.iter().map(|c| {
                all_of([
                    c.any_text("/resources", |x| x == "secrets"),
                    c.text_or_ref("/provider/0/key_arn").map(|k| !k.is_empty()),
                ])
            }))
        }),
    );
    f.set("log_types", strings_at(r, "/enabled_cluster_log_types"));
}

pub(super) fn node_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("min_size", int_at(r, "/scaling_config/0/min_size", 0));
    f.set("max_size", int_at(r, "/scaling_config/0/max_size", 0));
    f.set(
        "subnets",
        strings_at(r, "/subnet_ids")
            .map(|s| s.len() as i64)
            .or_else(|| {
                r.references
                    .get("/subnet_ids")
                    .map(|ids| ids.len() as i64)
                    .filter(|n| *n > 1)
            }),
    );
    // An SSH key without source security groups opens port 22 to 0.0.0.0/0.
    f.set(
        "ssh_from_internet",
        At::root(r).block("/remote_access").and_then(|access| {
            let Some(a) = access else {
                return Some(false);
            };
            all_of([
                a.text("/ec2_ssh_key").map(|k| !k.is_empty()),
                a.list("/source_security_group_ids").map(|s| s.is_empty()),
            ])
        }),
    );
}
