//! OpenSearch Service (and legacy Elasticsearch Service) domains.

use super::customer_key;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{all_of, any_of, bool_at, elements, has_block, str_at, str_or_ref};

/// The lowest TLS version of a domain TLS policy (`Policy-Min-TLS-1-2-2019-07` -> `1.2`).
fn min_tls(policy: &str) -> String {
    if policy.contains("TLS-1-2") {
        "1.2".into()
    } else if policy.contains("TLS-1-0") {
        "1.0".into()
    } else {
        String::new()
    }
}

pub(super) fn domain(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set(
        "encrypted_at_rest",
        bool_at(r, "/encrypt_at_rest/0/enabled", false),
    );
    f.set(
        "kms_key",
        customer_key(str_or_ref(r, "/encrypt_at_rest/0/kms_key_id")),
    );
    f.set(
        "node_to_node_encryption",
        bool_at(r, "/node_to_node_encryption/0/enabled", false),
    );
    f.set(
        "encrypted_in_transit",
        bool_at(r, "/domain_endpoint_options/0/enforce_https", false),
    );
    // Left unset, the TLS policy is the service's choice, which Terraform does not show.
    f.set(
        "min_tls_version",
        str_at(r, "/domain_endpoint_options/0/tls_security_policy").and_then(|p| {
            if p.is_empty() {
                None
            } else {
                Some(min_tls(&p))
            }
        }),
    );
    f.set("in_vpc", has_block(r, "/vpc_options"));
    f.set(
        "audit_logging",
        elements(r, "/log_publishing_options").and_then(|opts| {
            any_of(opts.iter().map(|o| {
                all_of([
                    o.text("/log_type").map(|t| t == "AUDIT_LOGS"),
                    o.bool("/enabled", true),
                ])
            }))
        }),
    );
}
