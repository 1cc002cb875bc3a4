//! A guard around the HTTP client every SDK call goes through: a circuit breaker and a retry
//! budget per service and region, so one broken API or one silent region costs a bounded
//! amount of time instead of every call's full deadline and backoff.
//!
//! Each signed request names its region and service in the SigV4 credential scope
//! (`Credential=AKID/20260101/eu-west-1/ec2/aws4_request`), so the guard needs no help from
//! the service modules. Per (service, region):
//!
//! * **Circuit breaker.** An attempt fails when no answer comes (connection refused or reset,
//!   an attempt dropped at its timeout) or the answer is a 5xx. After `threshold` consecutive
//!   failures the breaker opens for the rest of the run: every later attempt fails at once
//!   with a connector error the SDK does not retry, so the collector records the rest of that
//!   scope as not read straight away. Any other answer (a 4xx included: the service answered)
//!   resets the count, and so does a 5xx that names a throttling error (EC2's
//!   `RequestLimitExceeded` and S3's `SlowDown` come as 503): a service that says "slow down"
//!   is alive, and a busy account must not lose a region's EC2 to its own concurrency.
//! * **Retry budget.** The SDK marks each attempt (`amz-sdk-request: attempt=N`); every attempt
//!   after a call's first spends one unit. A spent budget fails later retries at once, so
//!   retries are bounded per scope, not only per call.
//!
//! Unsigned requests (none are sent by the collector today) pass through unguarded.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

/// The limits of the guard.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Consecutive failed attempts that open a scope's breaker (0: never).
    pub threshold: u32,
    /// Retries one scope may spend over the whole run.
    pub retry_budget: usize,
}

/// The state of one (service, region).
#[derive(Debug, Default)]
struct Scope {
    failures: AtomicU32,
    open: AtomicBool,
    retries: AtomicUsize,
}

/// Breakers and budgets of every scope seen so far, shared by all connectors.
#[derive(Debug)]
struct Scopes {
    limits: Limits,
    by_key: Mutex<HashMap<(String, String), Arc<Scope>>>,
}

impl Scopes {
    fn get(&self, service: &str, region: &str) -> Arc<Scope> {
        let mut map = self.by_key.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry((service.to_string(), region.to_string()))
            .or_default()
            .clone()
    }
}

/// Wraps `inner` so that every connector it hands out is guarded.
pub(super) fn guarded(inner: SharedHttpClient, limits: Limits) -> SharedHttpClient {
    SharedHttpClient::new(GuardedClient {
        inner,
        scopes: Arc::new(Scopes {
            limits,
            by_key: Mutex::new(HashMap::new()),
        }),
    })
}

#[derive(Debug)]
struct GuardedClient {
    inner: SharedHttpClient,
    scopes: Arc<Scopes>,
}

impl HttpClient for GuardedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(GuardedConnector {
            inner: self.inner.http_connector(settings, components),
            scopes: self.scopes.clone(),
        })
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.inner.connector_metadata()
    }
}

#[derive(Debug)]
struct GuardedConnector {
    inner: SharedHttpConnector,
    scopes: Arc<Scopes>,
}

/// Why the guard refused an attempt. Shown in the collection error of the call.
#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl HttpConnector for GuardedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let headers = request.headers();
        let Some((region, service)) = headers.get("authorization").and_then(credential_scope)
        else {
            return self.inner.call(request);
        };
        let (region, service) = (region.to_string(), service.to_string());
        let retry = headers
            .get("amz-sdk-request")
            .and_then(attempt)
            .is_some_and(|n| n > 1);
        let limits = self.scopes.limits;
        let scope = self.scopes.get(&service, &region);
        if scope.open.load(Ordering::Relaxed) {
            return refuse(format!(
                "not called: {service} in {region} failed {} times in a row (no answer or 5xx), so the rest of it is not read in this run",
                limits.threshold
            ));
        }
        if retry && scope.retries.fetch_add(1, Ordering::Relaxed) >= limits.retry_budget {
            return refuse(format!(
                "not retried: the retry budget of {service} in {region} ({} retries per run) is spent",
                limits.retry_budget
            ));
        }
        let attempt = self.inner.call(request);
        let outcome = Outcome {
            scope,
            threshold: limits.threshold,
            answered: None,
        };
        HttpConnectorFuture::new(async move {
            // The whole guard moves into the attempt, so that dropping the attempt drops it.
            let mut outcome = outcome;
            let mut result = attempt.await;
            outcome.answered = Some(match &mut result {
                Ok(response) if response.status().as_u16() >= 500 => throttled(response).await,
                Ok(_) => true,
                Err(_) => false,
            });
            result
        })
    }
}

fn refuse(message: String) -> HttpConnectorFuture {
    HttpConnectorFuture::ready(Err(ConnectorError::other(Box::new(Refused(message)), None)))
}

/// The error codes AWS services throttle with (the SDK's own list of throttling errors).
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error bodies longer than this are not read to find their code (an error answer is a few
/// hundred bytes; a longer one is not a throttle).
const MAX_ERROR_BODY: u64 = 64 * 1024;

/// Whether a 5xx answer is a throttle. The body is read (when short) and put back, so the SDK
/// still sees the whole answer.
async fn throttled(response: &mut aws_smithy_runtime_api::http::Response) -> bool {
    let header = |name: &str| response.headers().get(name).map(str::to_string);
    if let Some(kind) = header("x-amzn-errortype") {
        return is_throttling(kind.split(':').next().unwrap_or_default());
    }
    let short = header("content-length")
        .and_then(|length| length.parse::<u64>().ok())
        .is_some_and(|length| length <= MAX_ERROR_BODY);
    if !short {
        return false;
    }
    let body = response.take_body();
    match ByteStream::new(body).collect().await {
        Ok(bytes) => {
            let bytes = bytes.into_bytes();
            let code = error_code(&String::from_utf8_lossy(&bytes)).is_some_and(is_throttling);
            *response.body_mut() = SdkBody::from(bytes);
            code
        }
        // The body is gone with the connection: the attempt failed, as for no answer at all.
        Err(e) => {
            *response.body_mut() = SdkBody::from(format!("the error answer broke off: {e}"));
            false
        }
    }
}

fn is_throttling(code: &str) -> bool {
    THROTTLING.contains(&code.trim())
}

/// The error code of an AWS error body: `<Code>…</Code>` in the XML protocols, `__type` (after
/// any `namespace#`) or `code` in the JSON ones.
fn error_code(body: &str) -> Option<&str> {
    if let Some((_, rest)) = body.split_once("<Code>") {
        return rest.split_once("</Code>").map(|(code, _)| code);
    }
    ["\"__type\"", "\"code\"", "\"Code\""]
        .iter()
        .find_map(|key| {
            let (_, rest) = body.split_once(key)?;
            let value = rest
                .trim_start()
                .strip_prefix(':')?
                .trim_start()
                .strip_prefix('"')?;
            let (value, _) = value.split_once('"')?;
            Some(value.rsplit('#').next().unwrap_or(value))
        })
}

/// Records how one attempt ended, also when the SDK drops it at its timeout (then it never
/// answered).
struct Outcome {
    scope: Arc<Scope>,
    threshold: u32,
    answered: Option<bool>,
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if self.answered == Some(true) {
            self.scope.failures.store(0, Ordering::Relaxed);
            return;
        }
        let failures = self.scope.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if self.threshold > 0 && failures >= self.threshold {
            self.scope.open.store(true, Ordering::Relaxed);
        }
    }
}

/// Region and service of a SigV4 `Authorization` header.
fn credential_scope(authorization: &str) -> Option<(&str, &str)> {
    let credential = authorization
        .split([' ', ','])
        .find_map(|part| part.strip_prefix("Credential="))?;
    let mut parts = credential.split('/');
    let (_key, _date) = (parts.next()?, parts.next()?);
    let region = parts.next()?;
    let service = parts.next()?;
    (parts.next()? == "aws4_request").then_some((region, service))
}

/// The attempt number of an `amz-sdk-request` header (`attempt=2; max=8`).
fn attempt(header: &str) -> Option<u32> {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("attempt="))?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_region_and_service_from_the_credential_scope() {
        let header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";
        assert_eq!(credential_scope(header), Some(("eu-west-1", "ec2")));
        assert_eq!(credential_scope("Bearer token"), None);
        assert_eq!(
            credential_scope("AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/ec2/other"),
            None
        );
        assert_eq!(attempt("attempt=3; max=8"), Some(3));
        assert_eq!(attempt("max=8"), None);
    }

    #[test]
    fn consecutive_failures_open_the_breaker_and_an_answer_resets_the_count() {
        let scope = Arc::new(Scope::default());
        let end = |answered| {
            drop(Outcome {
                scope: scope.clone(),
                threshold: 3,
                answered,
            })
        };
        end(None);
        end(Some(false));
        end(Some(true));
        assert_eq!(scope.failures.load(Ordering::Relaxed), 0);
        end(Some(false));
        end(None);
        assert!(!scope.open.load(Ordering::Relaxed));
        end(None);
        assert!(scope.open.load(Ordering::Relaxed));
    }

    #[test]
    fn throttling_answers_are_told_by_their_error_code() {
        let ec2 = "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>";
        let s3 = "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
        let json = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate exceeded"}"#;
        let outage = "<Error><Code>ServiceUnavailable</Code></Error>";
        for (body, code, throttle) in [
            (ec2, Some("RequestLimitExceeded"), true),
            (s3, Some("SlowDown"), true),
            (json, Some("ThrottlingException"), true),
            (outage, Some("ServiceUnavailable"), false),
            ("<html>bad gateway</html>", None, false),
        ] {
            assert_eq!(error_code(body), code, "{body}");
            assert_eq!(
                error_code(body).is_some_and(is_throttling),
                throttle,
                "{body}"
            );
        }
    }

    #[test]
    fn a_throttling_503_counts_as_an_answer_and_keeps_its_body() {
        let answer = |body: &'static str, kind: Option<&str>| {
            let mut response = aws_smithy_runtime_api::http::Response::new(
                503.try_into().unwrap(),
                SdkBody::from(body),
            );
            response
                .headers_mut()
                .insert("content-length", body.len().to_string());
            if let Some(kind) = kind {
                response
                    .headers_mut()
                    .insert("x-amzn-ErrorType", kind.to_string());
            }
            response
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let body = "<Error><Code>SlowDown</Code></Error>";
        let mut response = answer(body, None);
        assert!(runtime.block_on(throttled(&mut response)));
        assert_eq!(response.body().bytes(), Some(body.as_bytes()));
        let mut response = answer("<Error><Code>InternalError</Code></Error>", None);
        assert!(!runtime.block_on(throttled(&mut response)));
        let mut response = answer(
            "{}",
            Some("ThrottlingException:http://internal.amazon.com/"),
        );
        assert!(runtime.block_on(throttled(&mut response)));
    }
}
