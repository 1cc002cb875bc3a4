//! EFS: file systems with encryption, throughput and lifecycle, and their backup policy (the
//! provider's `aws_efs_backup_policy`).

use aws_sdk_efs::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, b, bounded, code, describe, s, se, tag_map};

const SERVICE: &str = "efs";
const FS: &str = "aws_efs_file_system";
const BACKUP_POLICY: &str = "aws_efs_backup_policy";

pub(super) const KINDS: &[&str] = &[FS, BACKUP_POLICY];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let systems = client
        .describe_file_systems()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let systems = out.listed(&cx.scope, SERVICE, KINDS, "DescribeFileSystems", systems);
    let scope = cx.scope.clone();
    for fs_out in bounded(systems, cx.fanout, |fs| {
        let client = client.clone();
        let scope = scope.clone();
        async move { file_system(&scope, &client, &fs).await }
    })
    .await
    {
        out.merge(fs_out);
    }
    out
}

async fn file_system(
    scope: &Scope,
    client: &Client,
    fs: &aws_sdk_efs::types::FileSystemDescription,
) -> Out {
    let mut out = Out::default();
    let id = fs.file_system_id();
    let arn = fs.file_system_arn().map_or_else(
        || scope.arn("elasticfilesystem", &format!("file-system/{id}")),
        str::to_string,
    );
    let mut r = scope.resource(
        FS,
        id,
        Some(arn.clone()),
        json!({
            "id": id,
            "arn": arn,
            "creation_token": fs.creation_token(),
            "name": s(fs.name()),
            "encrypted": b(fs.encrypted()),
            "kms_key_id": se(fs.kms_key_id()),
            "performance_mode": fs.performance_mode().as_str(),
            "throughput_mode": s(fs.throughput_mode().map(|t| t.as_str())),
            "availability_zone_name": se(fs.availability_zone_name()),
            "number_of_mount_targets": fs.number_of_mount_targets(),
            "tags": tag_map(fs.tags().iter().map(|t| (t.key(), t.value()))),
        }),
    );
    if let Some(name) = fs.name() {
        r.name = format!("{name} ({id})");
    }
    match client
        .describe_lifecycle_configuration()
        .file_system_id(id)
        .send()
        .await
    {
        Ok(l) => {
            let policies: Vec<Value> = l
                .lifecycle_policies()
                .iter()
                .map(|p| {
                    json!({
                        "transition_to_ia": s(p.transition_to_ia().map(|t| t.as_str())),
                        "transition_to_archive": s(p.transition_to_archive().map(|t| t.as_str())),
                        "transition_to_primary_storage_class": s(p.transition_to_primary_storage_class().map(|t| t.as_str())),
                    })
                })
                .collect();
            r.attrs["lifecycle_policy"] = Value::Array(policies);
        }
        Err(e) => out.unreadable(&mut r, &["/lifecycle_policy"], SERVICE, describe(&e)),
    }
    match client
        .describe_backup_policy()
        .file_system_id(id)
        .send()
        .await
    {
        Ok(p) => {
            if let Some(policy) = p.backup_policy() {
                out.push(scope.resource(
                    BACKUP_POLICY,
                    id,
                    None,
                    json!({"id": id, "file_system_id": id, "backup_policy": [{"status": policy.status().as_str()}]}),
                ));
            }
        }
        Err(e) if code(&e) == Some("PolicyNotFound") => {}
        Err(e) => out.missing(
            scope,
            SERVICE,
            &[BACKUP_POLICY],
            format!("DescribeBackupPolicy {id}: {}", describe(&e)),
        ),
    }
    out.push(r);
    out
}
