//! S3: buckets and the settings the provider models as separate resources (encryption,
//! versioning, logging, public access block, lifecycle, object lock, replication, policy, ACL).
//!
//! The bucket list is global; each bucket is read in its own region, and only buckets in the
//! selected regions are kept. A setting that is not configured gives no satellite (as in
//! Terraform); a setting that could not be read is `null` and unknown, on the satellite where
//! its presence alone would mean something, else on the bucket's own attribute.

use std::collections::BTreeMap;

use aws_sdk_s3::Client;
use serde_json::{Value, json};

use super::shared::{Out, Scope, b, bounded, code, describe, n, policy_document, s, se, time};
use super::{Cx, sdk};
use crate::inventory::Resource;

const SERVICE: &str = "s3";
const BUCKET: &str = "aws_s3_bucket";
const SSE: &str = "aws_s3_bucket_server_side_encryption_configuration";
const VERSIONING: &str = "aws_s3_bucket_versioning";
const LOGGING: &str = "aws_s3_bucket_logging";
const PAB: &str = "aws_s3_bucket_public_access_block";
const LIFECYCLE: &str = "aws_s3_bucket_lifecycle_configuration";
const LOCK: &str = "aws_s3_bucket_object_lock_configuration";
const REPLICATION: &str = "aws_s3_bucket_replication_configuration";
const POLICY: &str = "aws_s3_bucket_policy";
const ACL: &str = "aws_s3_bucket_acl";

pub(super) const KINDS: &[&str] = &[
    BUCKET,
    SSE,
    VERSIONING,
    LOGGING,
    PAB,
    LIFECYCLE,
    LOCK,
    REPLICATION,
    POLICY,
    ACL,
];

/// One answer about an optional setting.
enum Got<T> {
    Set(T),
    NotSet,
    Failed(String),
}

/// Maps a call's result: the error codes in `absent` mean "not configured".
fn got<T, E, R>(
    result: Result<T, aws_smithy_runtime_api::client::result::SdkError<E, R>>,
    absent: &[&str],
) -> Got<T>
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(v) => Got::Set(v),
        Err(e) if code(&e).is_some_and(|c| absent.contains(&c)) => Got::NotSet,
        Err(e) => Got::Failed(describe(&e)),
    }
}

/// Every bucket in `regions`, with its settings. `cx` is the global scope.
pub(super) async fn collect(cx: Cx, regions: Vec<String>) -> Out {
    let mut out = Out::default();
    out.covers(KINDS);
    let client = Client::new(&cx.config);
    let listed = client
        .list_buckets()
        .into_paginator()
        .send()
        .try_collect()
        .await;
    let pages = match listed {
        Ok(pages) => pages,
        Err(e) => {
            let message = format!("cannot list buckets: {}", describe(&e));
            out.missing(&cx.scope, SERVICE, KINDS, message);
            return out;
        }
    };
    let buckets: Vec<(String, Option<String>)> = pages
        .iter()
        .flat_map(|p| p.buckets())
        .filter_map(|b| {
            let name = out.required(&cx.scope, SERVICE, BUCKET, b.name(), "Name (ListBuckets)")?;
            Some((name.to_string(), b.bucket_region().map(str::to_string)))
        })
        .collect();

    // Where each bucket lives (ListBuckets may not say).
    let located = bounded(buckets, cx.fanout, |(name, region)| {
        let client = client.clone();
        async move {
            if let Some(region) = region {
                return (name, Ok(region));
            }
            let region = client
                .get_bucket_location()
                .bucket(&name)
                .send()
                .await
                .map(|o| match o.location_constraint().map(|c| c.as_str()) {
                    None | Some("") => "us-east-1".to_string(),
                    Some("EU") => "eu-west-1".to_string(),
                    Some(other) => other.to_string(),
                })
                .map_err(|e| describe(&e));
            (name, region)
        }
    })
    .await;

    let mut clients: BTreeMap<String, Client> = BTreeMap::new();
    let mut work = Vec::new();
    for (name, region) in located {
        match region {
            Ok(region) if regions.contains(&region) => {
                let client = clients
                    .entry(region.clone())
                    .or_insert_with(|| Client::new(&sdk::in_region(&cx.config, &region)))
                    .clone();
                work.push((Scope::new(&cx.scope.account, &region), client, name));
            }
            Ok(_) => {}
            Err(message) => out.missing(
                &cx.scope,
                SERVICE,
                KINDS,
                format!("bucket {name}: cannot find its region: {message}"),
            ),
        }
    }
    for bucket_out in bounded(work, cx.fanout, |(scope, client, name)| async move {
        bucket(&scope, &client, &name).await
    })
    .await
    {
        out.merge(bucket_out);
    }
    out
}

// The provider's shape of a bucket and its satellites, built here for both sources: the
// service APIs below and AWS Config items (`config/s3.rs`). Each takes the values as the source
// has them (`null` where it does not record one).

/// The bucket itself: its name, ARN and region. The sources add its tags and settings.
pub(super) fn bucket_resource(scope: &Scope, name: &str) -> Resource {
    let arn = format!("arn:{}:s3:::{name}", scope.partition());
    let attrs = json!({"id": name, "bucket": name, "arn": arn, "region": scope.region.as_ref()});
    scope.resource(BUCKET, name, Some(arn), attrs)
}

/// A satellite of the bucket `bucket`, whose id is the bucket's name, as the provider's are.
pub(super) fn satellite(scope: &Scope, kind: &str, bucket: &str, mut attrs: Value) -> Resource {
    attrs["id"] = json!(bucket);
    attrs["bucket"] = json!(bucket);
    scope.resource(kind, bucket, Some(bucket.to_string()), attrs)
}

/// One rule of default encryption: its algorithm and key (`None`: the rule sets no default).
pub(super) fn encryption_rule(default: Option<(Value, Value)>, bucket_key: Value) -> Value {
    let default = default.map_or(
        json!([]),
        |(algorithm, key)| json!([{"sse_algorithm": algorithm, "kms_master_key_id": key}]),
    );
    json!({"apply_server_side_encryption_by_default": default, "bucket_key_enabled": bucket_key})
}

/// The versioning satellite's attributes: `Enabled`, `Suspended` or `Disabled`, and MFA delete.
pub(super) fn versioning(status: &str, mfa_delete: &str) -> Value {
    json!({"versioning_configuration": [{"status": status, "mfa_delete": mfa_delete}]})
}

/// The logging satellite's attributes.
pub(super) fn logging(target_bucket: Value, target_prefix: Value) -> Value {
    json!({"target_bucket": target_bucket, "target_prefix": target_prefix})
}

/// The bucket's own public access block; a flag left out is off.
pub(super) fn public_access_block(flags: [Option<bool>; 4]) -> Value {
    let [block_acls, ignore_acls, block_policy, restrict] = flags.map(|f| f.unwrap_or(false));
    json!({
        "block_public_acls": block_acls,
        "ignore_public_acls": ignore_acls,
        "block_public_policy": block_policy,
        "restrict_public_buckets": restrict,
    })
}

/// One lifecycle rule.
pub(super) struct LifecycleRule {
    pub id: Value,
    pub status: Value,
    /// The provider's `filter` block list; `null` when the source does not record it.
    pub filter: Value,
    /// (days, date, storage class) of each transition.
    pub transitions: Vec<(Value, Value, Value)>,
    /// The `expiration` block list.
    pub expiration: Value,
    /// The `noncurrent_version_expiration` block list.
    pub noncurrent: Value,
}

impl LifecycleRule {
    pub(super) fn to_json(&self) -> Value {
        let transitions: Vec<Value> = self
            .transitions
            .iter()
            .map(|(days, date, class)| json!({"days": days, "date": date, "storage_class": class}))
            .collect();
        json!({
            "id": self.id,
            "status": self.status,
            "filter": self.filter,
            "transition": transitions,
            "expiration": self.expiration,
            "noncurrent_version_expiration": self.noncurrent,
        })
    }
}

/// A lifecycle rule's `expiration` block.
pub(super) fn expiration(days: Value, date: Value, expired_object_delete_marker: Value) -> Value {
    json!([{"days": days, "date": date, "expired_object_delete_marker": expired_object_delete_marker}])
}

/// One replication rule; `null` where the source does not record a value.
pub(super) fn replication_rule(id: Value, priority: Value, status: Value, to: [Value; 3]) -> Value {
    let [bucket, account, storage_class] = to;
    json!({
        "id": id,
        "priority": priority,
        "status": status,
        "destination": [{"bucket": bucket, "account": account, "storage_class": storage_class}],
    })
}

/// One ACL grant: the permission (`FULL_CONTROL`, `READ`, ...) and the grantee's type, id, URI
/// and email address.
pub(super) fn grant(permission: Value, grantee: [Value; 4]) -> Value {
    let [kind, id, uri, email] = grantee;
    json!({
        "permission": permission,
        "grantee": [{"type": kind, "id": id, "uri": uri, "email_address": email}],
    })
}

/// The ACL satellite's attributes: its grants and the owner's block list.
pub(super) fn acl(grants: Vec<Value>, owner: Value) -> Value {
    json!({"access_control_policy": [{"grant": grants, "owner": owner}]})
}

async fn bucket(scope: &Scope, client: &Client, name: &str) -> Out {
    let mut out = Out::default();
    let mut r = bucket_resource(scope, name);

    // Tags.
    match got(
        client.get_bucket_tagging().bucket(name).send().await,
        &["NoSuchTagSet", "NoSuchTagSetError"],
    ) {
        Got::Set(t) => {
            r.attrs["tags"] =
                super::shared::tag_map(t.tag_set().iter().map(|t| (t.key(), t.value())));
        }
        Got::NotSet => r.attrs["tags"] = json!({}),
        Got::Failed(m) => out.unreadable(&mut r, &["/tags"], SERVICE, m),
    }

    // Default encryption.
    match got(
        client.get_bucket_encryption().bucket(name).send().await,
        &["ServerSideEncryptionConfigurationNotFoundError"],
    ) {
        Got::Set(o) => {
            let rules: Vec<Value> = o
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default()
                .iter()
                .map(|rule| {
                    let default = rule
                        .apply_server_side_encryption_by_default()
                        .map(|d| (json!(d.sse_algorithm().as_str()), se(d.kms_master_key_id())));
                    encryption_rule(default, b(rule.bucket_key_enabled()))
                })
                .collect();
            out.push(satellite(scope, SSE, name, json!({ "rule": rules })));
        }
        Got::NotSet => {}
        Got::Failed(m) => {
            let mut sat = satellite(scope, SSE, name, json!({}));
            out.unreadable(&mut sat, &["/rule"], SERVICE, m);
            out.push(sat);
        }
    }

    // Versioning: a bucket that never had it reads as "Disabled", as the provider writes it.
    match client.get_bucket_versioning().bucket(name).send().await {
        Ok(v) => {
            let status = v.status().map_or("Disabled", |s| s.as_str());
            let mfa = v.mfa_delete().map_or("Disabled", |m| m.as_str());
            out.push(satellite(scope, VERSIONING, name, versioning(status, mfa)));
        }
        Err(e) => {
            let mut sat = satellite(scope, VERSIONING, name, json!({}));
            out.unreadable(
                &mut sat,
                &["/versioning_configuration"],
                SERVICE,
                describe(&e),
            );
            out.push(sat);
        }
    }

    // Access logging.
    match client.get_bucket_logging().bucket(name).send().await {
        Ok(l) => {
            if let Some(l) = l.logging_enabled() {
                let target = logging(json!(l.target_bucket()), json!(l.target_prefix()));
                out.push(satellite(scope, LOGGING, name, target));
            }
        }
        Err(e) => out.unreadable(&mut r, &["/logging"], SERVICE, describe(&e)),
    }

    // Public access block (the bucket's own).
    match got(
        client.get_public_access_block().bucket(name).send().await,
        &["NoSuchPublicAccessBlockConfiguration"],
    ) {
        Got::Set(o) => {
            let c = o.public_access_block_configuration();
            let flags = [
                c.and_then(|c| c.block_public_acls()),
                c.and_then(|c| c.ignore_public_acls()),
                c.and_then(|c| c.block_public_policy()),
                c.and_then(|c| c.restrict_public_buckets()),
            ];
            out.push(satellite(scope, PAB, name, public_access_block(flags)));
        }
        Got::NotSet => {}
        Got::Failed(m) => {
            let mut sat = satellite(scope, PAB, name, json!({}));
            out.unreadable(
                &mut sat,
                &[
                    "/block_public_acls",
                    "/ignore_public_acls",
                    "/block_public_policy",
                    "/restrict_public_buckets",
                ],
                SERVICE,
                m,
            );
            out.push(sat);
        }
    }

    // Bucket policy.
    match got(
        client.get_bucket_policy().bucket(name).send().await,
        &["NoSuchBucketPolicy"],
    ) {
        Got::Set(p) => {
            if let Some(policy) = p.policy() {
                out.push(satellite(
                    scope,
                    POLICY,
                    name,
                    json!({ "policy": policy_document(policy) }),
                ));
            }
        }
        Got::NotSet => {}
        Got::Failed(m) => out.unreadable(&mut r, &["/policy"], SERVICE, m),
    }

    // Lifecycle.
    match got(
        client
            .get_bucket_lifecycle_configuration()
            .bucket(name)
            .send()
            .await,
        &["NoSuchLifecycleConfiguration"],
    ) {
        Got::Set(l) => {
            let rules: Vec<Value> = l.rules().iter().map(lifecycle_rule).collect();
            out.push(satellite(scope, LIFECYCLE, name, json!({ "rule": rules })));
        }
        Got::NotSet => {}
        Got::Failed(m) => out.unreadable(&mut r, &["/lifecycle_rule"], SERVICE, m),
    }

    // Object lock.
    match got(
        client
            .get_object_lock_configuration()
            .bucket(name)
            .send()
            .await,
        &["ObjectLockConfigurationNotFoundError"],
    ) {
        Got::Set(o) => {
            let c = o.object_lock_configuration();
            let enabled =
                c.and_then(|c| c.object_lock_enabled()).map(|e| e.as_str()) == Some("Enabled");
            r.attrs["object_lock_enabled"] = json!(enabled);
            if enabled {
                let retention = c.and_then(|c| c.rule()).and_then(|r| r.default_retention());
                let rule = retention.map(|d| {
                    json!([{"default_retention": [{
                        "mode": s(d.mode().map(|m| m.as_str())),
                        "days": n(d.days().map(i64::from)),
                        "years": n(d.years().map(i64::from)),
                    }]}])
                });
                out.push(satellite(
                    scope,
                    LOCK,
                    name,
                    json!({"object_lock_enabled": "Enabled", "rule": rule.unwrap_or(json!([]))}),
                ));
            }
        }
        Got::NotSet => r.attrs["object_lock_enabled"] = json!(false),
        Got::Failed(m) => out.unreadable(&mut r, &["/object_lock_enabled"], SERVICE, m),
    }

    // Replication.
    match got(
        client.get_bucket_replication().bucket(name).send().await,
        &["ReplicationConfigurationNotFoundError"],
    ) {
        Got::Set(o) => {
            if let Some(c) = o.replication_configuration() {
                let rules: Vec<Value> = c
                    .rules()
                    .iter()
                    .map(|rule| {
                        let to = rule.destination().map_or(
                            [Value::Null, Value::Null, Value::Null],
                            |d| {
                                [
                                    json!(d.bucket()),
                                    s(d.account()),
                                    s(d.storage_class().map(|c| c.as_str())),
                                ]
                            },
                        );
                        replication_rule(
                            s(rule.id()),
                            n(rule.priority().map(i64::from)),
                            json!(rule.status().as_str()),
                            to,
                        )
                    })
                    .collect();
                out.push(satellite(
                    scope,
                    REPLICATION,
                    name,
                    json!({"role": c.role(), "rule": rules}),
                ));
            }
        }
        Got::NotSet => {}
        Got::Failed(m) => out.unreadable(&mut r, &["/replication_configuration"], SERVICE, m),
    }

    // ACL grants.
    match client.get_bucket_acl().bucket(name).send().await {
        Ok(answer) => {
            let grants: Vec<Value> = answer
                .grants()
                .iter()
                .map(|g| {
                    let grantee = g.grantee();
                    grant(
                        s(g.permission().map(|p| p.as_str())),
                        [
                            s(grantee.map(|g| g.r#type().as_str())),
                            s(grantee.and_then(|g| g.id())),
                            s(grantee.and_then(|g| g.uri())),
                            s(grantee.and_then(|g| g.email_address())),
                        ],
                    )
                })
                .collect();
            let owner = answer
                .owner()
                .map(|o| json!([{"id": s(o.id()), "display_name": s(o.display_name())}]));
            let attrs = acl(grants, owner.unwrap_or(json!([])));
            out.push(satellite(scope, ACL, name, attrs));
        }
        Err(e) => out.unreadable(&mut r, &["/acl"], SERVICE, describe(&e)),
    }

    out.push(r);
    out
}

fn lifecycle_rule(rule: &aws_sdk_s3::types::LifecycleRule) -> Value {
    let transitions = rule
        .transitions()
        .iter()
        .map(|t| {
            (
                n(t.days().map(i64::from)),
                time(t.date()),
                s(t.storage_class().map(|c| c.as_str())),
            )
        })
        .collect();
    let filter = rule.filter().map(|f| {
        json!([{
            "prefix": s(f.prefix()),
            "object_size_greater_than": n(f.object_size_greater_than()),
            "object_size_less_than": n(f.object_size_less_than()),
            "tag": f.tag().map(|t| json!([{"key": t.key(), "value": t.value()}])).unwrap_or(json!([])),
        }])
    });
    let expiration = rule.expiration().map(|e| {
        expiration(
            n(e.days().map(i64::from)),
            time(e.date()),
            b(e.expired_object_delete_marker()),
        )
    });
    let noncurrent = rule
        .noncurrent_version_expiration()
        .map(|e| json!([{"noncurrent_days": n(e.noncurrent_days().map(i64::from))}]));
    LifecycleRule {
        id: s(rule.id()),
        status: json!(rule.status().as_str()),
        filter: filter.unwrap_or(json!([])),
        transitions,
        expiration: expiration.unwrap_or(json!([])),
        noncurrent: noncurrent.unwrap_or(json!([])),
    }
    .to_json()
}
