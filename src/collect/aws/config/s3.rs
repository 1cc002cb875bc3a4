//! S3 buckets from `AWS::S3::Bucket` items: the bucket and the satellites its supplementary configuration gives.

use serde_json::{Value, json};

use super::item::*;
use crate::collect::aws::s3;
use crate::collect::aws::shared::policy_document;

/// What an `AWS::S3::Bucket` item gives: every S3 kind but object lock, which Config does
/// not record.
pub(super) const KINDS: &[&str] = &[
    "aws_s3_bucket",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_logging",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_lifecycle_configuration",
    "aws_s3_bucket_replication_configuration",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_acl",
];

pub(super) fn s3_bucket(item: &Item, mapped: &mut Mapped) {
    let name = &item.name;
    let sat = |kind: &str, attrs: Value| s3::satellite(&item.scope, kind, name, attrs);
    let mut bucket = s3::bucket_resource(&item.scope, name);
    let tags = item
        .sup("BucketTaggingConfiguration")
        .and_then(|t| list(t, "tagSets").first())
        .and_then(|set| get(set, "tags"))
        .cloned();
    bucket.attrs["tags"] = tags.unwrap_or(json!({}));

    match item.sup("ServerSideEncryptionConfiguration") {
        Some(sse) => {
            let rules: Vec<Value> = list(sse, "rules")
                .iter()
                .map(|r| {
                    let default = get(r, "applyServerSideEncryptionByDefault")
                        .map(|d| (sv(d, "sseAlgorithm"), se(d, "kmsMasterKeyID")));
                    s3::encryption_rule(default, bv(r, "bucketKeyEnabled"))
                })
                .collect();
            mapped.resources.push(sat(
                "aws_s3_bucket_server_side_encryption_configuration",
                json!({"rule": rules}),
            ));
        }
        None => {
            let mut r = sat(
                "aws_s3_bucket_server_side_encryption_configuration",
                json!({}),
            );
            mapped.gap(&mut r, "/rule");
            mapped.resources.push(r);
        }
    }

    let versioning = match item.sup("BucketVersioningConfiguration") {
        Some(v) => {
            let status = match str_of(v, "status").as_deref() {
                Some("Enabled") => "Enabled",
                Some("Suspended") => "Suspended",
                _ => "Disabled",
            };
            let mfa = if get(v, "isMfaDeleteEnabled").and_then(Value::as_bool) == Some(true) {
                "Enabled"
            } else {
                "Disabled"
            };
            sat("aws_s3_bucket_versioning", s3::versioning(status, mfa))
        }
        None => {
            let mut versioning = sat("aws_s3_bucket_versioning", json!({}));
            mapped.gap(&mut versioning, "/versioning_configuration");
            versioning
        }
    };
    mapped.resources.push(versioning);

    match item.sup("BucketLoggingConfiguration") {
        Some(l) => {
            if let Some(target) = str_of(l, "destinationBucketName") {
                mapped.resources.push(sat(
                    "aws_s3_bucket_logging",
                    s3::logging(json!(target), se(l, "logFilePrefix")),
                ));
            }
        }
        None => mapped.gap(&mut bucket, "/logging"),
    }

    if let Some(p) = item.sup("PublicAccessBlockConfiguration") {
        let flags = [
            "blockPublicAcls",
            "ignorePublicAcls",
            "blockPublicPolicy",
            "restrictPublicBuckets",
        ]
        .map(|k| get(p, k).and_then(Value::as_bool));
        mapped.resources.push(sat(
            "aws_s3_bucket_public_access_block",
            s3::public_access_block(flags),
        ));
    }

    match item.sup("BucketPolicy") {
        Some(p) => {
            if let Some(text) = str_of(p, "policyText") {
                mapped.resources.push(sat(
                    "aws_s3_bucket_policy",
                    json!({"policy": policy_document(&text)}),
                ));
            }
        }
        None => mapped.gap(&mut bucket, "/policy"),
    }

    if let Some(l) = item.sup("BucketLifecycleConfiguration") {
        let rules: Vec<Value> = list(l, "rules")
            .iter()
            .map(|r| {
                let transitions = list(r, "transitions")
                    .iter()
                    .map(|t| (nv(t, "days"), Value::Null, sv(t, "storageClass")))
                    .collect();
                let expiration = match nv(r, "expirationInDays") {
                    Value::Null => json!([]),
                    days => s3::expiration(days, Value::Null, Value::Null),
                };
                // Config records neither a rule's filter nor its noncurrent-version expiry.
                s3::LifecycleRule {
                    id: sv(r, "id"),
                    status: sv(r, "status"),
                    filter: Value::Null,
                    transitions,
                    expiration,
                    noncurrent: Value::Null,
                }
                .to_json()
            })
            .collect();
        mapped.resources.push(sat(
            "aws_s3_bucket_lifecycle_configuration",
            json!({"rule": rules}),
        ));
    }

    if let Some(rep) = item.sup("BucketReplicationConfiguration") {
        // Config records a rule's destination bucket, not its priority, account or class.
        let rule = |id: Value, r: &Value, to: Option<&Value>| {
            let to = [to.cloned().unwrap_or(Value::Null), Value::Null, Value::Null];
            s3::replication_rule(id, Value::Null, sv(r, "status"), to)
        };
        let rules: Vec<Value> = match get(rep, "rules") {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(id, r)| {
                    let to = path(r, &["destinationConfig", "bucketARN"]);
                    rule(json!(id), r, to)
                })
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|r| rule(sv(r, "id"), r, path(r, &["destination", "bucket"])))
                .collect(),
            _ => Vec::new(),
        };
        mapped.resources.push(sat(
            "aws_s3_bucket_replication_configuration",
            json!({"role": sv(rep, "roleARN"), "rule": rules}),
        ));
    }

    if let Some(acl) = item.sup("AccessControlList") {
        let grants: Vec<Value> = list(acl, "grantList")
            .iter()
            .map(|g| {
                let grantee = match get(g, "grantee") {
                    Some(Value::String(group)) => [
                        json!("Group"),
                        Value::Null,
                        json!(format!("http://acs.amazonaws.com/groups/global/{group}")),
                        Value::Null,
                    ],
                    Some(other) => [
                        json!("CanonicalUser"),
                        sv(other, "id"),
                        Value::Null,
                        Value::Null,
                    ],
                    None => [Value::Null, Value::Null, Value::Null, Value::Null],
                };
                let permission = str_of(g, "permission").map(|p| match p.as_str() {
                    "FullControl" => "FULL_CONTROL".to_string(),
                    "ReadAcp" => "READ_ACP".to_string(),
                    "WriteAcp" => "WRITE_ACP".to_string(),
                    other => other.to_ascii_uppercase(),
                });
                s3::grant(json!(permission), grantee)
            })
            .collect();
        mapped.resources.push(sat(
            "aws_s3_bucket_acl",
            s3::acl(grants, json!([{"id": path(acl, &["owner", "id"])}])),
        ));
    }

    // AWS Config does not record a bucket's object lock settings.
    mapped.gap(&mut bucket, "/object_lock_enabled");
    mapped.resources.push(bucket);
}
