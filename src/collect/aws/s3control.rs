//! The account's own S3 Block Public Access settings (S3 Control `GetPublicAccessBlock`), read
//! once per account as `aws_s3_account_public_access_block`, the provider's resource for them.
//!
//! An account that never set them has all four off, and that is what S3 applies: the resource
//! is produced either way, its `configured` attribute saying whether the account set them.
//!
//! S3 Control addresses each account at its own host name (`{account}.s3-control.…`). In
//! front of an endpoint override that is an IP address (an emulator on loopback) such a name
//! cannot exist, so there the call goes to the address itself; the account is in the
//! `x-amz-account-id` header either way.

use std::net::IpAddr;

use aws_sdk_s3control::Client;
use aws_sdk_s3control::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
use aws_smithy_runtime_api::client::endpoint::EndpointFuture;
use serde_json::json;

use super::Cx;
use super::shared::{Out, code, describe};

const SERVICE: &str = "s3control";
pub(super) const ACCOUNT_BLOCK: &str = "aws_s3_account_public_access_block";

/// The SDK's resolver, with the account label dropped in front of an IP address.
#[derive(Debug, Default)]
struct AtAddress(DefaultResolver);

impl ResolveEndpoint for AtAddress {
    fn resolve_endpoint<'a>(&'a self, params: &'a Params) -> EndpointFuture<'a> {
        let resolved = self.0.resolve_endpoint(params);
        EndpointFuture::new(async move {
            let endpoint = resolved.await?;
            Ok(match without_label_before_address(endpoint.url()) {
                Some(url) => endpoint.into_builder().url(url).build(),
                None => endpoint,
            })
        })
    }
}

/// `http://123456789012.127.0.0.1:5000/x` → `http://127.0.0.1:5000/x`; `None` for a URL whose
/// host is a name (or has no label in front of an address).
fn without_label_before_address(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (label, host_port) = authority.split_once('.')?;
    let host = match host_port.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => host_port,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (!label.is_empty() && host.parse::<IpAddr>().is_ok())
        .then(|| format!("{scheme}://{host_port}{tail}"))
}

/// Reads the account's Block Public Access settings into `out`.
pub(super) async fn account_block(cx: &Cx, out: &mut Out) {
    let scope = &cx.scope;
    let config = aws_sdk_s3control::config::Builder::from(&cx.config)
        .endpoint_resolver(AtAddress::default())
        .build();
    let client = Client::from_conf(config);
    let answer = client
        .get_public_access_block()
        .account_id(scope.account.as_ref())
        .send()
        .await;
    let (configured, settings) = match &answer {
        Ok(o) => (true, o.public_access_block_configuration()),
        Err(e) if code(e) == Some("NoSuchPublicAccessBlockConfiguration") => (false, None),
        Err(e) => {
            out.missing(
                scope,
                SERVICE,
                &[ACCOUNT_BLOCK],
                format!("GetPublicAccessBlock: {}", describe(e)),
            );
            return;
        }
    };
    let flag =
        |get: fn(&aws_sdk_s3control::types::PublicAccessBlockConfiguration) -> Option<bool>| {
            settings.and_then(get).unwrap_or(false)
        };
    out.push(scope.resource(
        ACCOUNT_BLOCK,
        &scope.account,
        Some(scope.account.to_string()),
        json!({
            "id": scope.account.as_ref(),
            "account_id": scope.account.as_ref(),
            "configured": configured,
            "block_public_acls": flag(|c| c.block_public_acls()),
            "ignore_public_acls": flag(|c| c.ignore_public_acls()),
            "block_public_policy": flag(|c| c.block_public_policy()),
            "restrict_public_buckets": flag(|c| c.restrict_public_buckets()),
        }),
    ));
}

#[cfg(test)]
mod tests {
    use super::without_label_before_address;

    #[test]
    fn the_account_label_is_dropped_only_in_front_of_an_address() {
        for (url, expected) in [
            (
                "http://123456789012.127.0.0.1:5000/v20180820/configuration/publicAccessBlock",
                Some("http://127.0.0.1:5000/v20180820/configuration/publicAccessBlock"),
            ),
            ("http://123456789012.127.0.0.1", Some("http://127.0.0.1")),
            (
                "http://123456789012.[::1]:5000/x",
                Some("http://[::1]:5000/x"),
            ),
            (
                "https://123456789012.s3-control.us-east-1.amazonaws.com/v20180820/x",
                None,
            ),
            ("http://127.0.0.1:5000/x", None),
            ("http://localhost:5000/x", None),
        ] {
            assert_eq!(
                without_label_before_address(url).as_deref(),
                expected,
                "{url}"
            );
        }
    }
}
