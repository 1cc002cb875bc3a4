//! EKS clusters and managed node groups.

use serde_json::Value;

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{bool_at, int_at, known_list, str_or_ref, strings_at};

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
    // Envelope encryption of Secrets with a customer-managed key.
    let encrypted = known_list(r, "/encryption_config").map(|configs| {
        configs.iter().any(|c| {
            c.get("resources")
                .and_then(Value::as_array)
                .is_some_and(|res| res.iter().any(|x| x.as_str() == Some("secrets")))
        })
    });
    let key = str_or_ref(r, "/encryption_config/0/provider/0/key_arn");
    f.set(
        "secrets_encryption",
        match (encrypted, key) {
            (Some(true), Some(k)) => Some(!k.is_empty()),
            (Some(true), None) => None,
            (e, _) => e,
        },
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
        known_list(r, "/remote_access").map(|access| {
            access.first().is_some_and(|a| {
                let key = a.get("ec2_ssh_key").and_then(Value::as_str).unwrap_or("");
                let sources = a
                    .get("source_security_group_ids")
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                !key.is_empty() && sources == 0
            })
        }),
    );
}
