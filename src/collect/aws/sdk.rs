//! The SDK configuration every client is built from: the standard credential chain (or a
//! role assumed on top of it), one HTTPS client, explicit retries and timeouts.
//!
//! `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`) are honoured by the
//! SDK itself, which is how a local emulator is reached.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_types::SdkConfig;
use aws_types::region::Region;

use super::{AwsOptions, guard};

/// Loads the base configuration: profile, region, credentials, retries, timeouts.
///
/// Retries use the SDK's standard mode, set explicitly: exponential backoff with full jitter
/// on throttling errors, 5xx answers, timeouts and broken connections. Every call has a
/// deadline (`call_timeout`) and so has each attempt, and connecting has its own short limit,
/// so an unreachable region ends in a recorded error rather than a hang. Every attempt goes
/// through [`guard`]: a circuit breaker and a retry budget per service and region.
pub(super) async fn load(options: &AwsOptions) -> SdkConfig {
    let http = guard::guarded(
        aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https(),
        guard::Limits {
            threshold: options.breaker_threshold,
            retry_budget: options.retry_budget,
        },
    );
    let retry = RetryConfig::standard()
        .with_max_attempts(options.max_attempts.max(1))
        .with_initial_backoff(options.initial_backoff)
        .with_max_backoff(Duration::from_secs(20));
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(options.connect_timeout)
        .operation_attempt_timeout(options.attempt_timeout)
        .operation_timeout(options.call_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(retry)
        .timeout_config(timeouts)
        .app_name(aws_config::AppName::new("plumb").expect("a valid app name"));
    if let Some(profile) = &options.profile {
        loader = loader.profile_name(profile);
    }
    let base = loader.load().await;
    match &options.role_arn {
        None => base,
        Some(arn) => {
            let provider = aws_config::sts::AssumeRoleProvider::builder(arn)
                .session_name("plumb-collect")
                .configure(&base)
                .build()
                .await;
            base.to_builder()
                .credentials_provider(
                    aws_credential_types::provider::SharedCredentialsProvider::new(provider),
                )
                .build()
        }
    }
}

/// The same configuration pointed at another region.
pub(super) fn in_region(base: &SdkConfig, region: &str) -> SdkConfig {
    base.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}
