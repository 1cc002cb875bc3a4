//! RDS items: DB instances (cluster members as `aws_rds_cluster_instance`) and clusters.

use serde_json::{Value, json};

use super::item::*;

pub(super) fn db_instance(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "dBInstanceIdentifier").unwrap_or_else(|| item.name.clone());
    let cluster = str_of(c, "dBClusterIdentifier");
    let kind = if cluster.is_some() {
        "aws_rds_cluster_instance"
    } else {
        "aws_db_instance"
    };
    let r = item.resource(
        kind,
        &name,
        json!({
            "id": sv(c, "dbiResourceId"),
            "identifier": name,
            "arn": sv(c, "dBInstanceArn"),
            "resource_id": sv(c, "dbiResourceId"),
            "cluster_identifier": json!(cluster),
            "engine": sv(c, "engine"),
            "engine_version": sv(c, "engineVersion"),
            "instance_class": sv(c, "dBInstanceClass"),
            "allocated_storage": nv(c, "allocatedStorage"),
            "storage_type": sv(c, "storageType"),
            "storage_encrypted": bv(c, "storageEncrypted"),
            "kms_key_id": se(c, "kmsKeyId"),
            "publicly_accessible": bv(c, "publiclyAccessible"),
            "multi_az": bv(c, "multiAZ"),
            "availability_zone": sv(c, "availabilityZone"),
            "backup_retention_period": nv(c, "backupRetentionPeriod"),
            "deletion_protection": bv(c, "deletionProtection"),
            "iam_database_authentication_enabled": bv(c, "iAMDatabaseAuthenticationEnabled"),
            "enabled_cloudwatch_logs_exports": strings_of(c, "enabledCloudwatchLogsExports"),
            "auto_minor_version_upgrade": bv(c, "autoMinorVersionUpgrade"),
            "copy_tags_to_snapshot": bv(c, "copyTagsToSnapshot"),
            "ca_cert_identifier": sv(c, "cACertificateIdentifier"),
            "vpc_security_group_ids": list(c, "vpcSecurityGroups").iter().filter_map(|g| str_of(g, "vpcSecurityGroupId")).collect::<Vec<_>>(),
            "username": sv(c, "masterUsername"),
        }),
        mapped,
    );
    mapped.resources.push(r);
}

pub(super) fn db_cluster(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "dBClusterIdentifier").unwrap_or_else(|| item.name.clone());
    let members: Vec<Value> = list(c, "dBClusterMembers")
        .iter()
        .map(|m| json!({"db_instance_identifier": sv(m, "dBInstanceIdentifier"), "is_cluster_writer": bv(m, "isClusterWriter")}))
        .collect();
    let r = item.resource(
        "aws_rds_cluster",
        &name,
        json!({
            "id": name,
            "cluster_identifier": name,
            "arn": sv(c, "dBClusterArn"),
            "engine": sv(c, "engine"),
            "engine_mode": se(c, "engineMode"),
            "engine_version": sv(c, "engineVersion"),
            "db_cluster_instance_class": se(c, "dBClusterInstanceClass"),
            "storage_encrypted": bv(c, "storageEncrypted"),
            "kms_key_id": se(c, "kmsKeyId"),
            "backup_retention_period": nv(c, "backupRetentionPeriod"),
            "deletion_protection": bv(c, "deletionProtection"),
            "iam_database_authentication_enabled": bv(c, "iAMDatabaseAuthenticationEnabled"),
            "enabled_cloudwatch_logs_exports": strings_of(c, "enabledCloudwatchLogsExports"),
            "global_cluster_identifier": se(c, "globalClusterIdentifier"),
            "replication_source_identifier": se(c, "replicationSourceIdentifier"),
            "availability_zones": strings_of(c, "availabilityZones"),
            "copy_tags_to_snapshot": bv(c, "copyTagsToSnapshot"),
            "cluster_members": members,
        }),
        mapped,
    );
    mapped.resources.push(r);
}
