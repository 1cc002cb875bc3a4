//! What every service module shares: the scope a resource was read in, the output of one
//! service over one scope (resources, errors, which kinds were read), error descriptions,
//! bounded fan-out, and small converters from SDK values to the provider's JSON shape.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde_json::{Map, Value};

use crate::collect::terraform::set_pointer;
use crate::inventory::{CollectError, Resource, Source};
use crate::redact::redact_resource;

/// The collector name in inventories and errors.
pub const COLLECTOR: &str = "aws";

/// Region name used for global services (IAM, the account itself).
pub const GLOBAL: &str = "global";

/// An account and region (or [`GLOBAL`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Scope {
    pub account: Arc<str>,
    pub region: Arc<str>,
}

impl Scope {
    pub(crate) fn new(account: &str, region: &str) -> Self {
        Scope {
            account: account.into(),
            region: region.into(),
        }
    }

    /// `account/region`, as collector runs and errors name it.
    pub(crate) fn label(&self) -> String {
        format!("{}/{}", self.account, self.region)
    }

    /// The partition of the scope's region (`aws`, `aws-cn`, `aws-us-gov`).
    pub(crate) fn partition(&self) -> &'static str {
        if self.region.starts_with("cn-") {
            "aws-cn"
        } else if self.region.starts_with("us-gov-") {
            "aws-us-gov"
        } else {
            "aws"
        }
    }

    /// An ARN in this account and region, for APIs that return only an id.
    pub(crate) fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition(),
            self.region,
            self.account
        )
    }

    /// A resource in this scope: `aws:<account>:<region>:<kind>:<name>`.
    pub(crate) fn resource(
        &self,
        kind: &str,
        name: &str,
        cloud_id: Option<String>,
        attrs: Value,
    ) -> Resource {
        let mut r = Resource::new(
            format!("aws:{}:{}:{kind}:{name}", self.account, self.region),
            kind,
            Source::Aws {
                account: self.account.to_string(),
                region: self.region.to_string(),
            },
        );
        r.name = name.to_string();
        r.cloud_id = cloud_id;
        r.attrs = attrs;
        r
    }
}

/// What one service produced over one scope.
#[derive(Debug, Default)]
pub(super) struct Out {
    pub resources: Vec<Resource>,
    pub errors: Vec<CollectError>,
    /// Kinds this service reads in the scope: `true` when the listing succeeded.
    pub kinds: BTreeMap<String, bool>,
}

impl Out {
    /// Declares the kinds a service reads; each stays covered unless a listing fails.
    pub(super) fn covers(&mut self, kinds: &[&str]) {
        for kind in kinds {
            self.kinds.entry((*kind).to_string()).or_insert(true);
        }
    }

    /// A listing failed: `kinds` are missing from the scope.
    pub(super) fn missing(
        &mut self,
        scope: &Scope,
        service: &str,
        kinds: &[&str],
        message: String,
    ) {
        for kind in kinds {
            self.kinds.insert((*kind).to_string(), false);
        }
        self.errors.push(CollectError {
            collector: COLLECTOR.into(),
            scope: format!("{}/{service}", scope.label()),
            line: None,
            column: None,
            kinds: kinds.iter().map(|k| (*k).to_string()).collect(),
            message,
            warning: false,
        });
    }

    /// The items of a listing, or none: when the listing failed, the kinds it feeds are
    /// recorded as missing, with the operation and the service's answer. Every listing goes
    /// through here, so no failed page is mistaken for an empty account.
    pub(super) fn listed<T, E, R>(
        &mut self,
        scope: &Scope,
        service: &str,
        kinds: &[&str],
        operation: &str,
        listing: Result<Vec<T>, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
    ) -> Vec<T>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: Debug,
    {
        match listing {
            Ok(items) => items,
            Err(e) => {
                self.missing(
                    scope,
                    service,
                    kinds,
                    format!("{operation}: {}", describe(&e)),
                );
                Vec::new()
            }
        }
    }

    /// The identifier an answer must carry to become a resource. An answer without it cannot
    /// be used: that is recorded as an error naming the operation and the missing field, and
    /// the kind is marked as not read completely, so the item is never dropped silently.
    pub(super) fn required<T>(
        &mut self,
        scope: &Scope,
        service: &str,
        kind: &str,
        value: Option<T>,
        what: &str,
    ) -> Option<T> {
        if value.is_none() {
            self.kinds.insert(kind.to_string(), false);
            self.errors.push(CollectError {
                collector: COLLECTOR.into(),
                scope: format!("{}/{service}", scope.label()),
                line: None,
                column: None,
                kinds: vec![kind.to_string()],
                message: format!("{kind}: an answer without {what} was not read"),
                warning: false,
            });
        }
        value
    }

    /// Attributes of a resource could not be read: each becomes `null` and unknown, and the
    /// failure is recorded once. The resource itself is kept.
    pub(super) fn unreadable(
        &mut self,
        r: &mut Resource,
        pointers: &[&str],
        service: &str,
        message: String,
    ) {
        for pointer in pointers {
            set_pointer(&mut r.attrs, pointer, Value::Null);
            r.unknown.insert((*pointer).to_string());
        }
        let (account, region) = match &r.source {
            Source::Aws { account, region } => (account.as_str(), region.as_str()),
            _ => ("", ""),
        };
        self.errors.push(CollectError {
            collector: COLLECTOR.into(),
            scope: format!("{account}/{region}/{service}"),
            line: None,
            column: None,
            kinds: Vec::new(),
            message: format!(
                "{} {}: {} not read: {message}",
                r.kind,
                r.name,
                pointers.join(", ")
            ),
            warning: false,
        });
    }

    pub(super) fn push(&mut self, r: Resource) {
        self.resources.push(r);
    }

    pub(super) fn merge(&mut self, other: Out) {
        self.resources.extend(other.resources);
        self.errors.extend(other.errors);
        for (kind, ok) in other.kinds {
            let entry = self.kinds.entry(kind).or_insert(true);
            *entry &= ok;
        }
    }

    /// Redacts secrets (by the resource type's schema, names and shapes) and fills `tags` from the `tags` attribute of every resource.
    pub(super) fn finish(&mut self) {
        for r in &mut self.resources {
            redact_resource(&r.kind, &mut r.attrs);
            if let Some(Value::Object(tags)) = r.attrs.get("tags") {
                r.tags = tags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect();
            }
        }
    }
}

/// A short description of an SDK error: the service's error code and message, or what went
/// wrong on the way (timeout, connection, an answer that could not be read), without the raw
/// response.
pub(super) fn describe<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            match (err.code(), err.message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => format!("unreadable error answer: {}", chain(err)),
            }
        }
        SdkError::TimeoutError(_) => "timed out (no answer within the call timeout)".into(),
        SdkError::DispatchFailure(d) if d.is_timeout() => "timed out connecting".into(),
        SdkError::DispatchFailure(_) => format!("could not reach the endpoint: {}", chain(e)),
        SdkError::ResponseError(_) => format!("unreadable answer: {}", chain(e)),
        _ => chain(e),
    }
}

/// An error and its sources, joined: `outer: inner: innermost`.
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// The service's error code, when the service answered with an error.
pub(super) fn code<E, R>(e: &aws_smithy_runtime_api::client::result::SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    match e {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// Runs `f` over `items` with at most `limit` running at once; results in input order.
pub(super) async fn bounded<T, O, F, Fut>(items: Vec<T>, limit: usize, f: F) -> Vec<O>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = O> + Send + 'static,
    O: Send + 'static,
{
    let semaphore = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let count = items.len();
    for (i, item) in items.into_iter().enumerate() {
        let permit = semaphore
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let fut = f(item);
        set.spawn(async move {
            let out = fut.await;
            drop(permit);
            (i, out)
        });
    }
    let mut results: Vec<Option<O>> = (0..count).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((i, out)) => results[i] = Some(out),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => {}
        }
    }
    results.into_iter().flatten().collect()
}

// ---------------------------------------------------------------- JSON converters

/// An optional string as JSON (`null` when absent).
pub(super) fn s(v: Option<&str>) -> Value {
    v.map_or(Value::Null, |s| Value::String(s.to_string()))
}

/// A string, or `""` when absent (where the provider's state writes an empty string).
pub(super) fn se(v: Option<&str>) -> Value {
    Value::String(v.unwrap_or_default().to_string())
}

/// An optional boolean as JSON.
pub(super) fn b(v: Option<bool>) -> Value {
    v.map_or(Value::Null, Value::Bool)
}

/// An optional integer as JSON.
pub(super) fn n(v: Option<i64>) -> Value {
    v.map_or(Value::Null, |n| Value::Number(n.into()))
}

/// A list of strings.
pub(super) fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::Array(items.into_iter().map(|s| Value::String(s.into())).collect())
}

/// An SDK timestamp as RFC 3339 (`null` when absent).
pub(super) fn time(t: Option<&DateTime>) -> Value {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
        .map_or(Value::Null, Value::String)
}

/// Tags as the provider's `tags` map: the one conversion for every source of tags (SDK tag
/// lists, whose keys and values may be optional, key/value maps, AWS Config's tag lists and
/// maps). A tag without a key is dropped; a missing value is `""`.
pub(super) fn tag_map<'a, K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Value
where
    K: Into<Option<&'a str>>,
    V: Into<Option<&'a str>>,
{
    let map: Map<String, Value> = pairs
        .into_iter()
        .filter_map(|(k, v)| {
            let key = k.into()?;
            Some((
                key.to_string(),
                Value::String(v.into().unwrap_or_default().to_string()),
            ))
        })
        .collect();
    Value::Object(map)
}

/// A JSON policy document as the provider keeps it: a string. IAM returns documents
/// URL-encoded; they are decoded and re-serialised compactly so equal documents compare equal.
pub(super) fn policy_document(text: &str) -> Value {
    let decoded = if text.trim_start().starts_with('{') {
        text.to_string()
    } else {
        url_decode(text)
    };
    match serde_json::from_str::<Value>(&decoded) {
        Ok(doc) => Value::String(doc.to_string()),
        Err(_) => Value::String(decoded),
    }
}

fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_iam_documents() {
        let doc =
            policy_document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D");
        assert_eq!(
            doc,
            Value::String(r#"{"Statement":[],"Version":"2012-10-17"}"#.into())
        );
        assert_eq!(
            policy_document("not json %zz"),
            Value::String("not json %zz".into())
        );
    }

    #[test]
    fn an_answer_without_its_identifier_is_recorded_and_its_kind_incomplete() {
        let scope = Scope::new("123456789012", "eu-west-1");
        let mut out = Out::default();
        out.covers(&["aws_vpc", "aws_subnet"]);
        assert_eq!(
            out.required(&scope, "ec2", "aws_vpc", Some("vpc-1"), "VpcId"),
            Some("vpc-1")
        );
        assert!(out.errors.is_empty());
        assert_eq!(
            out.required(
                &scope,
                "ec2",
                "aws_vpc",
                None::<&str>,
                "VpcId (DescribeVpcs)"
            ),
            None
        );
        assert!(!out.kinds["aws_vpc"]);
        assert!(out.kinds["aws_subnet"]);
        assert_eq!(out.errors.len(), 1);
        assert_eq!(out.errors[0].scope, "123456789012/eu-west-1/ec2");
        assert_eq!(out.errors[0].kinds, ["aws_vpc"]);
        assert!(out.errors[0].message.contains("VpcId (DescribeVpcs)"));
    }

    #[test]
    fn failed_attribute_is_null_unknown_and_recorded() {
        let scope = Scope::new("123456789012", "eu-west-1");
        let mut r = scope.resource(
            "aws_kms_key",
            "k",
            None,
            serde_json::json!({"enable_key_rotation": true}),
        );
        let mut out = Out::default();
        out.unreadable(
            &mut r,
            &["/enable_key_rotation"],
            "kms",
            "AccessDenied".into(),
        );
        assert!(r.attrs["enable_key_rotation"].is_null());
        assert!(r.is_unknown("/enable_key_rotation"));
        assert_eq!(out.errors[0].scope, "123456789012/eu-west-1/kms");
        assert!(out.errors[0].message.contains("AccessDenied"));
    }
}
