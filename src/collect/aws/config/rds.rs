//! RDS items: DB instances (cluster members as `aws_rds_cluster_instance`) and clusters.

use serde_json::Value;

use super::item::*;
use crate::collect::aws::rds::{
    DbClusterFacts, DbInstanceFacts, db_cluster_attrs, db_instance_attrs,
};

pub(super) fn db_instance(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "dBInstanceIdentifier").unwrap_or_else(|| item.name.clone());
    let facts = DbInstanceFacts {
        arn: text(c, "dBInstanceArn")
            .or_else(|| item.arn.clone())
            .unwrap_or_else(|| item.scope.arn("rds", &format!("db:{name}"))),
        identifier: name,
        resource_id: text(c, "dbiResourceId"),
        cluster_identifier: text(c, "dBClusterIdentifier"),
        engine: text(c, "engine"),
        engine_version: text(c, "engineVersion"),
        instance_class: text(c, "dBInstanceClass"),
        allocated_storage: int(c, "allocatedStorage"),
        storage_type: text(c, "storageType"),
        storage_encrypted: flag(c, "storageEncrypted"),
        kms_key_id: text(c, "kmsKeyId"),
        publicly_accessible: flag(c, "publiclyAccessible"),
        multi_az: flag(c, "multiAZ"),
        availability_zone: text(c, "availabilityZone"),
        backup_retention_period: int(c, "backupRetentionPeriod"),
        backup_window: text(c, "preferredBackupWindow"),
        deletion_protection: flag(c, "deletionProtection"),
        iam_database_authentication_enabled: flag(c, "iAMDatabaseAuthenticationEnabled"),
        enabled_cloudwatch_logs_exports: strings_of(c, "enabledCloudwatchLogsExports"),
        auto_minor_version_upgrade: flag(c, "autoMinorVersionUpgrade"),
        copy_tags_to_snapshot: flag(c, "copyTagsToSnapshot"),
        ca_cert_identifier: text(c, "cACertificateIdentifier"),
        performance_insights_enabled: flag(c, "performanceInsightsEnabled"),
        monitoring_interval: int(c, "monitoringInterval"),
        db_subnet_group_name: get(c, "dBSubnetGroup").and_then(|g| text(g, "dBSubnetGroupName")),
        vpc_security_group_ids: security_groups(c),
        replicate_source_db: text(c, "readReplicaSourceDBInstanceIdentifier"),
        username: text(c, "masterUsername"),
    };
    let r = item.resource(
        facts.kind(),
        &facts.identifier,
        db_instance_attrs(&facts),
        mapped,
    );
    mapped.resources.push(r);
}

pub(super) fn db_cluster(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "dBClusterIdentifier").unwrap_or_else(|| item.name.clone());
    let facts = DbClusterFacts {
        arn: text(c, "dBClusterArn")
            .or_else(|| item.arn.clone())
            .unwrap_or_else(|| item.scope.arn("rds", &format!("cluster:{name}"))),
        identifier: name,
        resource_id: text(c, "dbClusterResourceId"),
        engine: text(c, "engine"),
        engine_mode: text(c, "engineMode"),
        engine_version: text(c, "engineVersion"),
        instance_class: text(c, "dBClusterInstanceClass"),
        storage_encrypted: flag(c, "storageEncrypted"),
        kms_key_id: text(c, "kmsKeyId"),
        backup_retention_period: int(c, "backupRetentionPeriod"),
        backup_window: text(c, "preferredBackupWindow"),
        deletion_protection: flag(c, "deletionProtection"),
        iam_database_authentication_enabled: flag(c, "iAMDatabaseAuthenticationEnabled"),
        enabled_cloudwatch_logs_exports: strings_of(c, "enabledCloudwatchLogsExports"),
        global_cluster_identifier: text(c, "globalClusterIdentifier"),
        replication_source_identifier: text(c, "replicationSourceIdentifier"),
        availability_zones: strings_of(c, "availabilityZones"),
        copy_tags_to_snapshot: flag(c, "copyTagsToSnapshot"),
        master_username: text(c, "masterUsername"),
        vpc_security_group_ids: security_groups(c),
        db_subnet_group_name: text(c, "dBSubnetGroup"),
        members: list(c, "dBClusterMembers")
            .iter()
            .map(|m| (text(m, "dBInstanceIdentifier"), flag(m, "isClusterWriter")))
            .collect(),
    };
    let r = item.resource(
        "aws_rds_cluster",
        &facts.identifier,
        db_cluster_attrs(&facts),
        mapped,
    );
    mapped.resources.push(r);
}

fn security_groups(c: &Value) -> Vec<String> {
    list(c, "vpcSecurityGroups")
        .iter()
        .filter_map(|g| str_of(g, "vpcSecurityGroupId"))
        .collect()
}
