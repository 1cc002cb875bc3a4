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

pub(super) const KINDS: &[&str] = &[
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

pub(super) async fn collect(cx: Cx) -> Out {
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

    let instances = out.listed(
        scope,
        SERVICE,
        &[INSTANCE, MEMBER, BACKUP_REPLICATION],
        "DescribeDBInstances",
        instances,
    );
    for i in instances {
        let Some(name) = out.required(
            scope,
            SERVICE,
            INSTANCE,
            i.db_instance_identifier(),
            "DBInstanceIdentifier (DescribeDBInstances)",
        ) else {
            continue;
        };
        let arn = i
            .db_instance_arn()
            .map_or_else(|| scope.arn("rds", &format!("db:{name}")), str::to_string);
        let facts = DbInstanceFacts {
            identifier: name.to_string(),
            arn: arn.clone(),
            resource_id: i.dbi_resource_id().map(str::to_string),
            cluster_identifier: i.db_cluster_identifier().map(str::to_string),
            engine: i.engine().map(str::to_string),
            engine_version: i.engine_version().map(str::to_string),
            instance_class: i.db_instance_class().map(str::to_string),
            allocated_storage: i.allocated_storage().map(i64::from),
            storage_type: i.storage_type().map(str::to_string),
            storage_encrypted: i.storage_encrypted(),
            kms_key_id: i.kms_key_id().map(str::to_string),
            publicly_accessible: i.publicly_accessible(),
            multi_az: i.multi_az(),
            availability_zone: i.availability_zone().map(str::to_string),
            backup_retention_period: i.backup_retention_period().map(i64::from),
            backup_window: i.preferred_backup_window().map(str::to_string),
            deletion_protection: i.deletion_protection(),
            iam_database_authentication_enabled: i.iam_database_authentication_enabled(),
            enabled_cloudwatch_logs_exports: i.enabled_cloudwatch_logs_exports().to_vec(),
            auto_minor_version_upgrade: i.auto_minor_version_upgrade(),
            copy_tags_to_snapshot: i.copy_tags_to_snapshot(),
            ca_cert_identifier: i.ca_certificate_identifier().map(str::to_string),
            performance_insights_enabled: i.performance_insights_enabled(),
            monitoring_interval: i.monitoring_interval().map(i64::from),
            db_subnet_group_name: i
                .db_subnet_group()
                .and_then(|g| g.db_subnet_group_name())
                .map(str::to_string),
            vpc_security_group_ids: i
                .vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id())
                .map(str::to_string)
                .collect(),
            replicate_source_db: i
                .read_replica_source_db_instance_identifier()
                .map(str::to_string),
            username: i.master_username().map(str::to_string),
        };
        let mut attrs = db_instance_attrs(&facts);
        attrs["tags"] = tags(i.tag_list());
        let kind = facts.kind();
        out.push(scope.resource(kind, name, Some(arn.clone()), attrs));
        for replication in i.db_instance_automated_backups_replications() {
            let Some(target) = out.required(
                scope,
                SERVICE,
                BACKUP_REPLICATION,
                replication.db_instance_automated_backups_arn(),
                &format!("DBInstanceAutomatedBackupsArn (a backup replication of {name})"),
            ) else {
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

    let clusters = out.listed(scope, SERVICE, &[CLUSTER], "DescribeDBClusters", clusters);
    for c in clusters {
        let Some(name) = out.required(
            scope,
            SERVICE,
            CLUSTER,
            c.db_cluster_identifier(),
            "DBClusterIdentifier (DescribeDBClusters)",
        ) else {
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
        let facts = DbClusterFacts {
            identifier: name.to_string(),
            arn: arn.clone(),
            resource_id: c.db_cluster_resource_id().map(str::to_string),
            engine: c.engine().map(str::to_string),
            engine_mode: c.engine_mode().map(str::to_string),
            engine_version: c.engine_version().map(str::to_string),
            instance_class: c.db_cluster_instance_class().map(str::to_string),
            storage_encrypted: c.storage_encrypted(),
            kms_key_id: c.kms_key_id().map(str::to_string),
            backup_retention_period: c.backup_retention_period().map(i64::from),
            backup_window: c.preferred_backup_window().map(str::to_string),
            deletion_protection: c.deletion_protection(),
            iam_database_authentication_enabled: c.iam_database_authentication_enabled(),
            enabled_cloudwatch_logs_exports: c.enabled_cloudwatch_logs_exports().to_vec(),
            global_cluster_identifier: c.global_cluster_identifier().map(str::to_string),
            replication_source_identifier: c.replication_source_identifier().map(str::to_string),
            availability_zones: c.availability_zones().to_vec(),
            copy_tags_to_snapshot: c.copy_tags_to_snapshot(),
            master_username: c.master_username().map(str::to_string),
            vpc_security_group_ids: c
                .vpc_security_groups()
                .iter()
                .filter_map(|g| g.vpc_security_group_id())
                .map(str::to_string)
                .collect(),
            db_subnet_group_name: c.db_subnet_group().map(str::to_string),
            members: c
                .db_cluster_members()
                .iter()
                .map(|m| {
                    (
                        m.db_instance_identifier().map(str::to_string),
                        m.is_cluster_writer(),
                    )
                })
                .collect(),
        };
        let mut attrs = db_cluster_attrs(&facts);
        attrs["tags"] = tags(c.tag_list());
        out.push(scope.resource(CLUSTER, name, Some(arn.clone()), attrs));
    }

    let snapshots = out.listed(
        scope,
        SERVICE,
        &[SNAPSHOT],
        "DescribeDBSnapshots",
        snapshots,
    );
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

    let snapshots = out.listed(
        scope,
        SERVICE,
        &[CLUSTER_SNAPSHOT],
        "DescribeDBClusterSnapshots",
        cluster_snapshots,
    );
    for snap in snapshots {
        let Some(name) = out.required(
            scope,
            SERVICE,
            CLUSTER_SNAPSHOT,
            snap.db_cluster_snapshot_identifier(),
            "DBClusterSnapshotIdentifier (DescribeDBClusterSnapshots)",
        ) else {
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
    out
}

/// A DB instance, as both sources describe it.
pub(super) struct DbInstanceFacts {
    pub identifier: String,
    pub arn: String,
    pub resource_id: Option<String>,
    pub cluster_identifier: Option<String>,
    pub engine: Option<String>,
    pub engine_version: Option<String>,
    pub instance_class: Option<String>,
    pub allocated_storage: Option<i64>,
    pub storage_type: Option<String>,
    pub storage_encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub publicly_accessible: Option<bool>,
    pub multi_az: Option<bool>,
    pub availability_zone: Option<String>,
    pub backup_retention_period: Option<i64>,
    pub backup_window: Option<String>,
    pub deletion_protection: Option<bool>,
    pub iam_database_authentication_enabled: Option<bool>,
    pub enabled_cloudwatch_logs_exports: Vec<String>,
    pub auto_minor_version_upgrade: Option<bool>,
    pub copy_tags_to_snapshot: Option<bool>,
    pub ca_cert_identifier: Option<String>,
    pub performance_insights_enabled: Option<bool>,
    pub monitoring_interval: Option<i64>,
    pub db_subnet_group_name: Option<String>,
    pub vpc_security_group_ids: Vec<String>,
    pub replicate_source_db: Option<String>,
    pub username: Option<String>,
}

impl DbInstanceFacts {
    /// A member of a cluster is an `aws_rds_cluster_instance` in the provider.
    pub(super) fn kind(&self) -> &'static str {
        if self.cluster_identifier.is_some() {
            MEMBER
        } else {
            INSTANCE
        }
    }
}

/// `aws_db_instance` (or `aws_rds_cluster_instance`) without its tags.
pub(super) fn db_instance_attrs(i: &DbInstanceFacts) -> Value {
    json!({
        "id": s(i.resource_id.as_deref()),
        "identifier": i.identifier,
        "arn": i.arn,
        "resource_id": s(i.resource_id.as_deref()),
        "cluster_identifier": s(i.cluster_identifier.as_deref()),
        "engine": s(i.engine.as_deref()),
        "engine_version": s(i.engine_version.as_deref()),
        "instance_class": s(i.instance_class.as_deref()),
        "allocated_storage": n(i.allocated_storage),
        "storage_type": s(i.storage_type.as_deref()),
        "storage_encrypted": b(i.storage_encrypted),
        "kms_key_id": se(i.kms_key_id.as_deref()),
        "publicly_accessible": b(i.publicly_accessible),
        "multi_az": b(i.multi_az),
        "availability_zone": s(i.availability_zone.as_deref()),
        "backup_retention_period": n(i.backup_retention_period),
        "backup_window": s(i.backup_window.as_deref()),
        "deletion_protection": b(i.deletion_protection),
        "iam_database_authentication_enabled": b(i.iam_database_authentication_enabled),
        "enabled_cloudwatch_logs_exports": strings(i.enabled_cloudwatch_logs_exports.iter().map(String::as_str)),
        "auto_minor_version_upgrade": b(i.auto_minor_version_upgrade),
        "copy_tags_to_snapshot": b(i.copy_tags_to_snapshot),
        "ca_cert_identifier": s(i.ca_cert_identifier.as_deref()),
        "performance_insights_enabled": b(i.performance_insights_enabled),
        "monitoring_interval": n(i.monitoring_interval),
        "db_subnet_group_name": s(i.db_subnet_group_name.as_deref()),
        "vpc_security_group_ids": strings(i.vpc_security_group_ids.iter().map(String::as_str)),
        "replicate_source_db": se(i.replicate_source_db.as_deref()),
        "username": s(i.username.as_deref()),
    })
}

/// An Aurora (or Multi-AZ) DB cluster, as both sources describe it.
pub(super) struct DbClusterFacts {
    pub identifier: String,
    pub arn: String,
    pub resource_id: Option<String>,
    pub engine: Option<String>,
    pub engine_mode: Option<String>,
    pub engine_version: Option<String>,
    pub instance_class: Option<String>,
    pub storage_encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub backup_retention_period: Option<i64>,
    pub backup_window: Option<String>,
    pub deletion_protection: Option<bool>,
    pub iam_database_authentication_enabled: Option<bool>,
    pub enabled_cloudwatch_logs_exports: Vec<String>,
    pub global_cluster_identifier: Option<String>,
    pub replication_source_identifier: Option<String>,
    pub availability_zones: Vec<String>,
    pub copy_tags_to_snapshot: Option<bool>,
    pub master_username: Option<String>,
    pub vpc_security_group_ids: Vec<String>,
    pub db_subnet_group_name: Option<String>,
    /// Each member's instance identifier and whether it is the writer.
    pub members: Vec<(Option<String>, Option<bool>)>,
}

/// `aws_rds_cluster` without its tags.
pub(super) fn db_cluster_attrs(c: &DbClusterFacts) -> Value {
    let members: Vec<Value> = c
        .members
        .iter()
        .map(|(id, writer)| {
            json!({
                "db_instance_identifier": s(id.as_deref()),
                "is_cluster_writer": b(*writer),
            })
        })
        .collect();
    json!({
        "id": c.identifier,
        "cluster_identifier": c.identifier,
        "arn": c.arn,
        "cluster_resource_id": s(c.resource_id.as_deref()),
        "engine": s(c.engine.as_deref()),
        "engine_mode": se(c.engine_mode.as_deref()),
        "engine_version": s(c.engine_version.as_deref()),
        "db_cluster_instance_class": se(c.instance_class.as_deref()),
        "storage_encrypted": b(c.storage_encrypted),
        "kms_key_id": se(c.kms_key_id.as_deref()),
        "backup_retention_period": n(c.backup_retention_period),
        "preferred_backup_window": s(c.backup_window.as_deref()),
        "deletion_protection": b(c.deletion_protection),
        "iam_database_authentication_enabled": b(c.iam_database_authentication_enabled),
        "enabled_cloudwatch_logs_exports": strings(c.enabled_cloudwatch_logs_exports.iter().map(String::as_str)),
        "global_cluster_identifier": se(c.global_cluster_identifier.as_deref()),
        "replication_source_identifier": se(c.replication_source_identifier.as_deref()),
        "availability_zones": strings(c.availability_zones.iter().map(String::as_str)),
        "copy_tags_to_snapshot": b(c.copy_tags_to_snapshot),
        "master_username": s(c.master_username.as_deref()),
        "vpc_security_group_ids": strings(c.vpc_security_group_ids.iter().map(String::as_str)),
        "db_subnet_group_name": s(c.db_subnet_group_name.as_deref()),
        "cluster_members": members,
    })
}
