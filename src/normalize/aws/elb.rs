//! Elastic Load Balancing v2: load balancers (`aws_lb`, `aws_alb`) and their listeners.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{all_of, any_of, bool_at, elements, str_at};

pub(super) fn load_balancer(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("internal", bool_at(r, "/internal", false));
    f.set(
        "load_balancer_type",
        str_at(r, "/load_balancer_type").map(|t| {
            if t.is_empty() {
                "application".to_string()
            } else {
                t
            }
        }),
    );
    // Access logs are off unless `access_logs.enabled` is true, even with a bucket named.
    f.set(
        "access_logging",
        bool_at(r, "/access_logs/0/enabled", false),
    );
    f.set(
        "waf",
        Some(
            d.linked("aws_wafv2_web_acl_association").next().is_some()
                || d.linked("aws_wafregional_web_acl_association")
                    .next()
                    .is_some(),
        ),
    );
    f.set(
        "deletion_protection",
        bool_at(r, "/enable_deletion_protection", false),
    );
    f.set(
        "drops_invalid_headers",
        bool_at(r, "/drop_invalid_header_fields", false),
    );
}

/// The lowest TLS version a predefined ELB security policy accepts, from its name; empty for
/// a name plumb does not know.
pub(super) fn elb_policy_min_tls(policy: &str) -> &'static str {
    let p = policy.to_ascii_uppercase();
    if p.contains("TLS13-1-3") {
        "1.3"
    } else if p.contains("TLS13-1-2") || p.contains("TLS-1-2") || p.contains("FS-1-2") {
        "1.2"
    } else if p.contains("TLS13-1-1") || p.contains("TLS-1-1") || p.contains("FS-1-1") {
        "1.1"
    } else if p.contains("TLS13-1-0")
        || p == "ELBSECURITYPOLICY-2016-08"
        || p == "ELBSECURITYPOLICY-2015-05"
        || p == "ELBSECURITYPOLICY-FS-2018-06"
    {
        "1.0"
    } else {
        ""
    }
}

pub(super) fn listener(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // `protocol` defaults to HTTP for Application Load Balancers.
    let protocol = str_at(r, "/protocol").map(|p| {
        if p.is_empty() {
            "HTTP".to_string()
        } else {
            p.to_ascii_uppercase()
        }
    });
    f.set("protocol", protocol.clone());
    let tls = protocol.as_deref().map(|p| p == "HTTPS" || p == "TLS");
    // A plain listener has no TLS policy, whatever the API echoes back for one.
    let policy = match tls {
        Some(false) => Some(String::new()),
        _ => str_at(r, "/ssl_policy"),
    };
    f.set("ssl_policy", policy.clone());
    f.set(
        "min_tls_version",
        match (tls, policy) {
            (Some(false), _) => Some(String::new()),
            // Required for TLS listeners; when left to the provider it is unknown here.
            (Some(true), Some(p)) if p.is_empty() => None,
            (Some(true), Some(p)) => Some(elb_policy_min_tls(&p).to_string()),
            _ => None,
        },
    );
    f.set(
        "redirects_to_https",
        elements(r, "/default_action").and_then(|actions| {
            any_of(actions.iter().map(|a| {
                all_of([
                    a.text("/type").map(|t| t == "redirect"),
                    a.text("/redirect/0/protocol").map(|p| p == "HTTPS"),
                ])
            }))
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_minimum_tls_from_policy_names() {
        assert_eq!(
            elb_policy_min_tls("ELBSecurityPolicy-TLS13-1-2-2021-06"),
            "1.2"
        );
        assert_eq!(
            elb_policy_min_tls("ELBSecurityPolicy-TLS13-1-3-2021-06"),
            "1.3"
        );
        assert_eq!(
            elb_policy_min_tls("ELBSecurityPolicy-TLS-1-2-Ext-2018-06"),
            "1.2"
        );
        assert_eq!(
            elb_policy_min_tls("ELBSecurityPolicy-FS-1-2-Res-2020-10"),
            "1.2"
        );
        assert_eq!(
            elb_policy_min_tls("ELBSecurityPolicy-TLS-1-1-2017-01"),
            "1.1"
        );
        assert_eq!(elb_policy_min_tls("ELBSecurityPolicy-2016-08"), "1.0");
        assert_eq!(
            elb_policy_min_tls("ELBSecurityPolicy-TLS13-1-0-2021-06"),
            "1.0"
        );
        assert_eq!(elb_policy_min_tls("my-custom"), "");
    }
}
