//! CloudFront distributions.

use serde_json::Value;

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{as_bool, has_block, known_list, list_at, str_at, str_or_ref};

/// The lowest TLS version a viewer `minimum_protocol_version` accepts (`TLSv1.2_2021` ->
/// `1.2`; `TLSv1` and `TLSv1_2016` -> `1.0`; `SSLv3` -> `0`).
pub fn viewer_min_tls(version: &str) -> String {
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

pub(super) fn distribution(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // Each behaviour's viewer_protocol_policy; unknown if any is.
    let policies = |pointer: &str| -> Option<Vec<String>> {
        let count = list_at(r, pointer)?.len();
        (0..count)
            .map(|i| str_at(r, &format!("{pointer}/{i}/viewer_protocol_policy")))
            .collect()
    };
    let viewer_https = match (
        policies("/default_cache_behavior"),
        policies("/ordered_cache_behavior"),
    ) {
        (Some(a), Some(b)) => Some(
            a.iter()
                .chain(&b)
                .all(|p| !p.is_empty() && p != "allow-all"),
        ),
        _ => None,
    };
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
    // protocol older than TLS 1.2. S3 origins always use HTTPS.
    let origins = known_list(r, "/origin");
    f.set(
        "origin_https_only",
        match (origins, viewer_https) {
            (Some(origins), Some(viewer)) => Some(origins.iter().all(|o| {
                let Some(custom) = o.pointer("/custom_origin_config/0") else {
                    return true;
                };
                let policy = custom
                    .get("origin_protocol_policy")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let weak = custom
                    .get("origin_ssl_protocols")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|p| WEAK_ORIGIN_PROTOCOLS.contains(&p));
                (policy == "https-only" || (policy == "match-viewer" && viewer)) && !weak
            })),
            _ => None,
        },
    );
    f.set("waf", str_or_ref(r, "/web_acl_id").map(|w| !w.is_empty()));
    f.set("access_logging", has_block(r, "/logging_config"));
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
