//! S3 buckets from `AWS::S3::Bucket` items: the bucket and the satellites its supplementary configuration gives.

use serde_json::{Value, json};

use super::item::*;
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
    let arn = format!("arn:{}:s3:::{name}", item.scope.partition());
    let sat = |kind: &str, mut attrs: Value| {
        attrs["id"] = json!(name);
        attrs["bucket"] = json!(name);
        item.scope.resource(kind, name, Some(name.clone()), attrs)
    };
    let mut bucket = item.scope.resource(
        "aws_s3_bucket",
        name,
        Some(arn.clone()),
        json!({"id": name, "bucket": name, "arn": arn, "region": item.scope.region.as_ref()}),
    );
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
                    let d = get(r, "applyServerSideEncryptionByDefault")
                        .cloned()
                        .unwrap_or(Value::Null);
                    json!({
                        "apply_server_side_encryption_by_default": [{
                            "sse_algorithm": sv(&d, "sseAlgorithm"),
                            "kms_master_key_id": se(&d, "kmsMasterKeyID"),
                        }],
                        "bucket_key_enabled": bv(r, "bucketKeyEnabled"),
                    })
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

    let mut versioning = sat("aws_s3_bucket_versioning", json!({}));
    match item.sup("BucketVersioningConfiguration") {
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
            versioning.attrs["versioning_configuration"] =
                json!([{"status": status, "mfa_delete": mfa}]);
        }
        None => mapped.gap(&mut versioning, "/versioning_configuration"),
    }
    mapped.resources.push(versioning);

    match item.sup("BucketLoggingConfiguration") {
        Some(l) => {
            if let Some(target) = str_of(l, "destinationBucketName") {
                mapped.resources.push(sat(
                    "aws_s3_bucket_logging",
                    json!({"target_bucket": target, "target_prefix": se(l, "logFilePrefix")}),
                ));
            }
        }
        None => mapped.gap(&mut bucket, "/logging"),
    }

    if let Some(p) = item.sup("PublicAccessBlockConfiguration") {
        let flag = |k: &str| json!(get(p, k).and_then(Value::as_bool).unwrap_or(false));
        mapped.resources.push(sat(
            "aws_s3_bucket_public_access_block",
            json!({
                "block_public_acls": flag("blockPublicAcls"),
                "ignore_public_acls": flag("ignorePublicAcls"),
                "block_public_policy": flag("blockPublicPolicy"),
                "restrict_public_buckets": flag("restrictPublicBuckets"),
            }),
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
                let transitions: Vec<Value> = list(r, "transitions")
                    .iter()
                    .map(|t| json!({"days": nv(t, "days"), "storage_class": sv(t, "storageClass")}))
                    .collect();
                let expiration = match nv(r, "expirationInDays") {
                    Value::Null => json!([]),
                    days => json!([{"days": days}]),
                };
                json!({"id": sv(r, "id"), "status": sv(r, "status"), "transition": transitions, "expiration": expiration})
            })
            .collect();
        mapped.resources.push(sat(
            "aws_s3_bucket_lifecycle_configuration",
            json!({"rule": rules}),
        ));
    }

    if let Some(rep) = item.sup("BucketReplicationConfiguration") {
        let rules: Vec<Value> = match get(rep, "rules") {
            Some(Value::Object(map)) => map
                .iter()
                .map(|(id, r)| {
                    json!({
                        "id": id,
                        "status": sv(r, "status"),
                        "destination": [{"bucket": path(r, &["destinationConfig", "bucketARN"]).cloned().unwrap_or(Value::Null)}],
                    })
                })
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|r| json!({"id": sv(r, "id"), "status": sv(r, "status"), "destination": [{"bucket": path(r, &["destination", "bucket"]).cloned().unwrap_or(Value::Null)}]}))
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
                    Some(Value::String(group)) => json!([{
                        "type": "Group",
                        "uri": format!("http://acs.amazonaws.com/groups/global/{group}"),
                        "id": null,
                    }]),
                    Some(other) => {
                        json!([{"type": "CanonicalUser", "id": sv(other, "id"), "uri": null}])
                    }
                    None => json!([]),
                };
                let permission = str_of(g, "permission").map(|p| match p.as_str() {
                    "FullControl" => "FULL_CONTROL".to_string(),
                    "ReadAcp" => "READ_ACP".to_string(),
                    "WriteAcp" => "WRITE_ACP".to_string(),
                    other => other.to_ascii_uppercase(),
                });
                json!({"permission": permission, "grantee": grantee})
            })
            .collect();
        mapped.resources.push(sat(
            "aws_s3_bucket_acl",
            json!({"access_control_policy": [{"grant": grants, "owner": [{"id": path(acl, &["owner", "id"]).cloned().unwrap_or(Value::Null)}]}]}),
        ));
    }

    // AWS Config does not record a bucket's object lock settings.
    mapped.gap(&mut bucket, "/object_lock_enabled");
    mapped.resources.push(bucket);
}
