//! RDS: DB instances (Aurora members as `aws_rds_cluster_instance`), clusters with their
//! members, cross-region automated backup replication, and manual snapshots with whom they
//! are shared.

use aws_sdk_rds::Client;
use aws_sdk_rds::types::Tag;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, b, bounded, describe, n, s, se, strings, tag_map, time};

const SERVICE: &str = "rds";
const INSTANCE: &str = "aws_db_instance";
const MEMBER: &str = "aws_rds_cluster_instance";
const CLUSTER: &str = "aws_rds_cluster";
const BACKUP_REPLICATION: &str = "aws_db_instance_automated_backups_replication";
const SNAPSHOT: &str = "aws_db_snapshot";
const CLUSTER_SNAPSHOT: &str = "aws_db_cluster_snapshot";

pub const KINDS: &[&str] = &[
    INSTANCE,
    MEMBER,
    CLUSTER,
    BACKUP_REPLICATION,
    SNAPSHOT,
    CLUSTER_SNAPSHOT,
];

fn tags(tags: &[Tag]) -> Value {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

pub async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let scope = &cx.scope;

    let (instances, clusters, snapshots, cluster_snapshots) = tokio::join!(
        client
            .describe_db_instances()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_db_clusters()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_db_snapshots()
            .snapshot_type("manual")
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_db_cluster_snapshots()
            .snapshot_type("manual")
            .into_paginator()
            .items()
            .send()
            .try_collect(),
    );

    match instances {
        Ok(instances) => {
            for i in instances {
                let Some(name) = i.db_instance_identifier() else {
                    continue;
                };
                let arn = i
                    .db_instance_arn()
                    .map_or_else(|| scope.arn("rds", &format!("db:{name}")), str::to_string);
                let kind = if i.db_cluster_identifier().is_some() {
                    MEMBER
                } else {
                    INSTANCE
                };
                let attrs = json!({
                    "id": s(i.dbi_resource_id()),
                    "identifier": name,
                    "arn": arn,
                    "resource_id": s(i.dbi_resource_id()),
                    "cluster_identifier": s(i.db_cluster_identifier()),
                    "engine": s(i.engine()),
                    "engine_version": s(i.engine_version()),
                    "instance_class": s(i.db_instance_class()),
                    "allocated_storage": n(i.allocated_storage().map(i64::from)),
                    "storage_type": s(i.storage_type()),
                    "storage_encrypted": b(i.storage_encrypted()),
                    "kms_key_id": se(i.kms_key_id()),
                    "publicly_accessible": b(i.publicly_accessible()),
                    "multi_az": b(i.multi_az()),
                    "availability_zone": s(i.availability_zone()),
                    "backup_retention_period": n(i.backup_retention_period().map(i64::from)),
                    "backup_window": s(i.preferred_backup_window()),
                    "deletion_protection": b(i.deletion_protection()),
                    "iam_database_authentication_enabled": b(i.iam_database_authentication_enabled()),
                    "enabled_cloudwatch_logs_exports": strings(i.enabled_cloudwatch_logs_exports().iter().map(String::as_str)),
                    "auto_minor_version_upgrade": b(i.auto_minor_version_upgrade()),
                    "copy_tags_to_snapshot": b(i.copy_tags_to_snapshot()),
                    "ca_cert_identifier": s(i.ca_certificate_identifier()),
                    "performance_insights_enabled": b(i.performance_insights_enabled()),
                    "monitoring_interval": n(i.monitoring_interval().map(i64::from)),
                    "db_subnet_group_name": s(i.db_subnet_group().and_then(|g| g.db_subnet_group_name())),
                    "vpc_security_group_ids": strings(i.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id())),
                    "replicate_source_db": se(i.read_replica_source_db_instance_identifier()),
                    "username": s(i.master_username()),
                    "tags": tags(i.tag_list()),
                });
                out.push(scope.resource(kind, name, Some(arn.clone()), attrs));
                for replication in i.db_instance_automated_backups_replications() {
                    let Some(target) = replication.db_instance_automated_backups_arn() else {
                        continue;
                    };
                    out.push(scope.resource(
                        BACKUP_REPLICATION,
                        name,
                        Some(target.to_string()),
                        json!({"id": target, "source_db_instance_arn": arn}),
                    ));
                }
            }
        }
        Err(e) => out.missing(
            scope,
            SERVICE,
            &[INSTANCE, MEMBER, BACKUP_REPLICATION],
            format!("DescribeDBInstances: {}", describe(&e)),
        ),
    }

    match clusters {
        Ok(clusters) => {
            for c in clusters {
                let Some(name) = c.db_cluster_identifier() else {
                    continue;
                };
                // DescribeDBClusters also answers for Neptune and DocumentDB; those are other
                // provider types.
                if matches!(c.engine(), Some("neptune" | "docdb")) {
                    continue;
                }
                let arn = c.db_cluster_arn().map_or_else(
                    || scope.arn("rds", &format!("cluster:{name}")),
                    str::to_string,
                );
                let members: Vec<Value> = c
                    .db_cluster_members()
                    .iter()
                    .map(|m| {
                        json!({
                            "db_instance_identifier": s(m.db_instance_identifier()),
                            "is_cluster_writer": b(m.is_cluster_writer()),
                        })
                    })
                    .collect();
                out.push(scope.resource(
                    CLUSTER,
                    name,
                    Some(arn.clone()),
                    json!({
                        "id": name,
                        "cluster_identifier": name,
                        "arn": arn,
                        "cluster_resource_id": s(c.db_cluster_resource_id()),
                        "engine": s(c.engine()),
                        "engine_mode": se(c.engine_mode()),
                        "engine_version": s(c.engine_version()),
                        "db_cluster_instance_class": se(c.db_cluster_instance_class()),
                        "storage_encrypted": b(c.storage_encrypted()),
                        "kms_key_id": se(c.kms_key_id()),
                        "backup_retention_period": n(c.backup_retention_period().map(i64::from)),
                        "preferred_backup_window": s(c.preferred_backup_window()),
                        "deletion_protection": b(c.deletion_protection()),
                        "iam_database_authentication_enabled": b(c.iam_database_authentication_enabled()),
                        "enabled_cloudwatch_logs_exports": strings(c.enabled_cloudwatch_logs_exports().iter().map(String::as_str)),
                        "global_cluster_identifier": se(c.global_cluster_identifier()),
                        "replication_source_identifier": se(c.replication_source_identifier()),
                        "availability_zones": strings(c.availability_zones().iter().map(String::as_str)),
                        "copy_tags_to_snapshot": b(c.copy_tags_to_snapshot()),
                        "master_username": s(c.master_username()),
                        "vpc_security_group_ids": strings(c.vpc_security_groups().iter().filter_map(|g| g.vpc_security_group_id())),
                        "db_subnet_group_name": s(c.db_subnet_group()),
                        "cluster_members": members,
                        "tags": tags(c.tag_list()),
                    }),
                ));
            }
        }
        Err(e) => out.missing(
            scope,
            SERVICE,
            &[CLUSTER],
            format!("DescribeDBClusters: {}", describe(&e)),
        ),
    }

    match snapshots {
        Ok(snapshots) => {
            let client = client.clone();
            let shared = bounded(
                snapshots
                    .iter()
                    .filter_map(|s| s.db_snapshot_identifier().map(str::to_string))
                    .collect(),
                cx.fanout,
                |id| {
                    let client = client.clone();
                    async move {
                        client
                            .describe_db_snapshot_attributes()
                            .db_snapshot_identifier(&id)
                            .send()
                            .await
                            .map(|o| {
                                o.db_snapshot_attributes_result()
                                    .map(|r| r.db_snapshot_attributes())
                                    .unwrap_or_default()
                                    .iter()
                                    .filter(|a| a.attribute_name() == Some("restore"))
                                    .flat_map(|a| a.attribute_values().iter().cloned())
                                    .collect::<Vec<String>>()
                            })
                            .map_err(|e| describe(&e))
                    }
                },
            )
            .await;
            for (snap, shared) in snapshots
                .iter()
                .filter(|s| s.db_snapshot_identifier().is_some())
                .zip(shared)
            {
                let name = snap.db_snapshot_identifier().unwrap_or_default();
                let arn = snap.db_snapshot_arn().map_or_else(
                    || scope.arn("rds", &format!("snapshot:{name}")),
                    str::to_string,
                );
                let mut r = scope.resource(
                    SNAPSHOT,
                    name,
                    Some(arn.clone()),
                    json!({
                        "id": name,
                        "db_snapshot_identifier": name,
                        "db_snapshot_arn": arn,
                        "db_instance_identifier": s(snap.db_instance_identifier()),
                        "encrypted": b(snap.encrypted()),
                        "kms_key_id": se(snap.kms_key_id()),
                        "snapshot_type": s(snap.snapshot_type()),
                        "engine": s(snap.engine()),
                        "snapshot_create_time": time(snap.snapshot_create_time()),
                        "tags": tags(snap.tag_list()),
                    }),
                );
                match shared {
                    Ok(accounts) => {
                        r.attrs["shared_accounts"] = strings(accounts.iter().map(String::as_str))
                    }
                    Err(m) => out.unreadable(&mut r, &["/shared_accounts"], SERVICE, m),
                }
                out.push(r);
            }
        }
        Err(e) => out.missing(
            scope,
            SERVICE,
            &[SNAPSHOT],
            format!("DescribeDBSnapshots: {}", describe(&e)),
        ),
    }

    match cluster_snapshots {
        Ok(snapshots) => {
            for snap in snapshots {
                let Some(name) = snap.db_cluster_snapshot_identifier() else {
                    continue;
                };
                let arn = snap.db_cluster_snapshot_arn().map_or_else(
                    || scope.arn("rds", &format!("cluster-snapshot:{name}")),
                    str::to_string,
                );
                out.push(scope.resource(
                    CLUSTER_SNAPSHOT,
                    name,
                    Some(arn.clone()),
                    json!({
                        "id": name,
                        "db_cluster_snapshot_identifier": name,
                        "db_cluster_snapshot_arn": arn,
                        "db_cluster_identifier": s(snap.db_cluster_identifier()),
                        "storage_encrypted": b(snap.storage_encrypted()),
                        "kms_key_id": se(snap.kms_key_id()),
                        "snapshot_type": s(snap.snapshot_type()),
                        "engine": s(snap.engine()),
                        "tags": tags(snap.tag_list()),
                    }),
                ));
            }
        }
        Err(e) => out.missing(
            scope,
            SERVICE,
            &[CLUSTER_SNAPSHOT],
            format!("DescribeDBClusterSnapshots: {}", describe(&e)),
        ),
    }
    out
}
