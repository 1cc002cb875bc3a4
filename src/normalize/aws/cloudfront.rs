//! CloudFront distributions.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{
    At, all_of, any_of, as_bool, elements, has_block, str_at, str_or_ref,
};

/// The lowest TLS version a viewer `minimum_protocol_version` accepts (`TLSv1.2_2021` ->
/// `1.2`; `TLSv1` and `TLSv1_2016` -> `1.0`; `SSLv3` -> `0`).
pub(super) fn viewer_min_tls(version: &str) -> String {
    let v = version.trim();
    if v.starts_with("SSL") {
        return "0".into();
    }
    match v.strip_prefix("TLSv") {
        Some(rest) => {
            let number: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            if number.contains('.') {
                number
            } else {
                format!("{number}.0")
            }
        }
        None => String::new(),
    }
}

/// Origin TLS protocols weaker than TLS 1.2.
const WEAK_ORIGIN_PROTOCOLS: &[&str] = &["SSLv3", "TLSv1", "TLSv1.1"];

/// Whether one origin is reached over HTTPS with TLS 1.2 or later only.
fn origin_https_only(origin: &At<'_>, viewer_https: Option<bool>) -> Option<bool> {
    let Some(custom) = origin.block("/custom_origin_config")? else {
        return Some(true);
    };
    let policy = custom
        .text("/origin_protocol_policy")
        .and_then(|p| match p.as_ref() {
            "https-only" => Some(true),
            "match-viewer" => viewer_https,
            _ => Some(false),
        });
    let weak = custom.any_text("/origin_ssl_protocols", |p| {
        WEAK_ORIGIN_PROTOCOLS.contains(&p)
    });
    all_of([policy, weak.map(|w| !w)])
}

/// Standard logging (legacy: `logging_config`), or v2: an `ACCESS_LOGS` delivery source for
/// the distribution with a delivery to some destination.
fn access_logging(d: &Derive<'_>) -> Option<bool> {
    let v2 = any_of(
        d.linked("aws_cloudwatch_log_delivery_source")
            .filter(|source| {
                d.linked("aws_cloudwatch_log_delivery")
                    .any(|delivery| delivery.parent.as_deref() == Some(source.id.as_str()))
            })
            .map(|source| str_at(source, "/log_type").map(|t| t == "ACCESS_LOGS")),
    );
    any_of([has_block(d.r, "/logging_config"), v2])
}

pub(super) fn distribution(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // Every behaviour must redirect or refuse plain HTTP; one known to allow it decides.
    let behaviours = |pointer: &str| {
        elements(r, pointer).and_then(|list| {
            all_of(list.iter().map(|b| {
                b.text("/viewer_protocol_policy")
                    .map(|p| !p.is_empty() && p != "allow-all")
            }))
        })
    };
    let viewer_https = all_of([
        behaviours("/default_cache_behavior"),
        behaviours("/ordered_cache_behavior"),
    ]);
    f.set("viewer_https_only", viewer_https);
    // With CloudFront's own certificate (*.cloudfront.net), viewers may use TLSv1; otherwise
    // `minimum_protocol_version` applies, which the provider defaults to TLSv1.
    let default_cert = match r.attr("/viewer_certificate/0/cloudfront_default_certificate") {
        crate::inventory::Attr::Known(v) => as_bool(v),
        crate::inventory::Attr::Absent => Some(false),
        crate::inventory::Attr::Unknown => None,
    };
    let minimum = str_at(r, "/viewer_certificate/0/minimum_protocol_version");
    f.set(
        "min_tls_version",
        match (default_cert, minimum) {
            (Some(true), _) => Some("1.0".to_string()),
            (Some(false), Some(m)) if m.is_empty() => Some("1.0".to_string()),
            (Some(false), Some(m)) => Some(viewer_min_tls(&m)),
            _ => None,
        },
    );
    // Custom origins: HTTPS only (or match-viewer when viewers must use HTTPS), and no
    // protocol older than TLS 1.2. S3 origins always use HTTPS. Each origin is judged on its
    // own fields: one naming a load balancer known only after apply is judged all the same.
    f.set(
        "origin_https_only",
        elements(r, "/origin")
            .and_then(|origins| all_of(origins.iter().map(|o| origin_https_only(o, viewer_https)))),
    );
    f.set("waf", str_or_ref(r, "/web_acl_id").map(|w| !w.is_empty()));
    f.set("access_logging", access_logging(d));
    f.set("origin_failover", has_block(r, "/origin_group"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_viewer_protocol_versions() {
        assert_eq!(viewer_min_tls("TLSv1.2_2021"), "1.2");
        assert_eq!(viewer_min_tls("TLSv1.2_2019"), "1.2");
        assert_eq!(viewer_min_tls("TLSv1.1_2016"), "1.1");
        assert_eq!(viewer_min_tls("TLSv1_2016"), "1.0");
        assert_eq!(viewer_min_tls("TLSv1"), "1.0");
        assert_eq!(viewer_min_tls("SSLv3"), "0");
    }
}
