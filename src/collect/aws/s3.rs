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

pub const KINDS: &[&str] = &[
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
pub async fn collect(cx: Cx, regions: Vec<String>) -> Out {
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

fn satellite(scope: &Scope, kind: &str, bucket: &str, mut attrs: Value) -> Resource {
    attrs["id"] = json!(bucket);
    attrs["bucket"] = json!(bucket);
    scope.resource(kind, bucket, Some(bucket.to_string()), attrs)
}

async fn bucket(scope: &Scope, client: &Client, name: &str) -> Out {
    let mut out = Out::default();
    let mut r = scope.resource(
        BUCKET,
        name,
        Some(format!("arn:aws:s3:::{name}")),
        json!({
            "id": name,
            "bucket": name,
            "arn": format!("arn:aws:s3:::{name}"),
            "region": scope.region.as_ref(),
        }),
    );

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
                    let default = rule.apply_server_side_encryption_by_default().map(|d| {
                        json!([{
                            "sse_algorithm": d.sse_algorithm().as_str(),
                            "kms_master_key_id": se(d.kms_master_key_id()),
                        }])
                    });
                    json!({
                        "apply_server_side_encryption_by_default": default.unwrap_or(json!([])),
                        "bucket_key_enabled": b(rule.bucket_key_enabled()),
                    })
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
            out.push(satellite(
                scope,
                VERSIONING,
                name,
                json!({"versioning_configuration": [{"status": status, "mfa_delete": mfa}]}),
            ));
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
                out.push(satellite(
                    scope,
                    LOGGING,
                    name,
                    json!({"target_bucket": l.target_bucket(), "target_prefix": l.target_prefix()}),
                ));
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
            let flag = |f: Option<bool>| json!(f.unwrap_or(false));
            out.push(satellite(
                scope,
                PAB,
                name,
                json!({
                    "block_public_acls": flag(c.and_then(|c| c.block_public_acls())),
                    "ignore_public_acls": flag(c.and_then(|c| c.ignore_public_acls())),
                    "block_public_policy": flag(c.and_then(|c| c.block_public_policy())),
                    "restrict_public_buckets": flag(c.and_then(|c| c.restrict_public_buckets())),
                }),
            ));
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
                        json!({
                            "id": s(rule.id()),
                            "priority": n(rule.priority().map(i64::from)),
                            "status": rule.status().as_str(),
                            "destination": rule.destination().map(|d| json!([{
                                "bucket": d.bucket(),
                                "account": s(d.account()),
                                "storage_class": s(d.storage_class().map(|c| c.as_str())),
                            }])).unwrap_or(json!([])),
                        })
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
        Ok(acl) => {
            let grants: Vec<Value> = acl
                .grants()
                .iter()
                .map(|g| {
                    let grantee = g.grantee();
                    json!({
                        "permission": s(g.permission().map(|p| p.as_str())),
                        "grantee": [{
                            "type": s(grantee.map(|g| g.r#type().as_str())),
                            "id": s(grantee.and_then(|g| g.id())),
                            "uri": s(grantee.and_then(|g| g.uri())),
                            "email_address": s(grantee.and_then(|g| g.email_address())),
                        }],
                    })
                })
                .collect();
            let owner = acl
                .owner()
                .map(|o| json!([{"id": s(o.id()), "display_name": s(o.display_name())}]));
            out.push(satellite(
                scope,
                ACL,
                name,
                json!({"access_control_policy": [{"grant": grants, "owner": owner.unwrap_or(json!([]))}]}),
            ));
        }
        Err(e) => out.unreadable(&mut r, &["/acl"], SERVICE, describe(&e)),
    }

    out.push(r);
    out
}

fn lifecycle_rule(rule: &aws_sdk_s3::types::LifecycleRule) -> Value {
    let transitions: Vec<Value> = rule
        .transitions()
        .iter()
        .map(|t| {
            json!({
                "days": n(t.days().map(i64::from)),
                "date": time(t.date()),
                "storage_class": s(t.storage_class().map(|c| c.as_str())),
            })
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
        json!([{
            "days": n(e.days().map(i64::from)),
            "date": time(e.date()),
            "expired_object_delete_marker": b(e.expired_object_delete_marker()),
        }])
    });
    let noncurrent = rule
        .noncurrent_version_expiration()
        .map(|e| json!([{"noncurrent_days": n(e.noncurrent_days().map(i64::from))}]));
    json!({
        "id": s(rule.id()),
        "status": rule.status().as_str(),
        "filter": filter.unwrap_or(json!([])),
        "transition": transitions,
        "expiration": expiration.unwrap_or(json!([])),
        "noncurrent_version_expiration": noncurrent.unwrap_or(json!([])),
    })
}
