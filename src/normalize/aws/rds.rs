//! RDS: DB instances and clusters (Aurora, and Multi-AZ DB clusters).

use serde_json::Value;

use super::encryption;
use crate::inventory::{Attr, Resource};
use crate::normalize::facets::Setter;
use crate::normalize::value::{
    all, as_int, bool_at, int_at, list_at, region_of, str_at, str_or_ref, strings_at,
};
use crate::normalize::{Derive, backup, continuity};

pub(super) fn db_instance(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // Setting a KMS key implies storage encryption.
    encryption(
        f,
        bool_at(r, "/storage_encrypted", false),
        str_or_ref(r, "/kms_key_id"),
    );
    f.set(
        "publicly_accessible",
        bool_at(r, "/publicly_accessible", false),
    );
    let multi_az = bool_at(r, "/multi_az", false);
    f.set("multi_az", multi_az);
    // CreateDBInstance keeps automated backups 1 day unless told otherwise.
    let retention = int_at(r, "/backup_retention_period", 1);
    f.set("backup_retention_days", retention);
    f.set("point_in_time_recovery", retention.map(|days| days > 0));
    let region = region_of(r);
    let scheduled = backup::scheduled(d.backup_plans, region.as_deref());
    let replicated = d
        .one("aws_db_instance_automated_backups_replication")
        .is_some();
    f.set(
        "cross_region_copy",
        if replicated {
            Some(true)
        } else {
            scheduled.cross_region
        },
    );
    let replica = str_at(r, "/replicate_source_db").map(|s| !s.is_empty());
    f.set("replica", replica);
    f.set(
        "managed_master_password",
        bool_at(r, "/manage_master_user_password", false),
    );
    // The API upgrades minor versions automatically unless told not to.
    f.set(
        "auto_minor_version_upgrade",
        bool_at(r, "/auto_minor_version_upgrade", true),
    );
    f.set(
        "performance_insights",
        bool_at(r, "/performance_insights_enabled", false),
    );
    f.set("monitoring_interval", int_at(r, "/monitoring_interval", 0));
    let storage = match r.attr("/allocated_storage") {
        Attr::Known(v) => as_int(v),
        // A replica or a restore inherits its size: not known from the configuration.
        Attr::Absent | Attr::Unknown => None,
    };
    f.set("storage_gb", storage);
    f.set("backup_plans", Some(scheduled.plans.clone()));
    f.set("region", region);
    let (rpo, rto) = continuity::rds_instance(retention, multi_az, storage, &scheduled);
    continuity::set(f, rpo, rto);
    f.set(
        "deletion_protection",
        bool_at(r, "/deletion_protection", false),
    );
    f.set("engine", str_at(r, "/engine"));
    f.set(
        "iam_auth",
        bool_at(r, "/iam_database_authentication_enabled", false),
    );
    f.set(
        "log_exports",
        strings_at(r, "/enabled_cloudwatch_logs_exports"),
    );
}

pub(super) fn rds_cluster(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let key = str_or_ref(r, "/kms_key_id");
    let serverless_v1 = str_at(r, "/engine_mode").map(|m| m == "serverless");
    // Serverless v1 clusters are always encrypted.
    let encrypted = match serverless_v1 {
        Some(true) => Some(true),
        _ => bool_at(r, "/storage_encrypted", false),
    };
    encryption(f, encrypted, key);
    // Aurora keeps at least one day of continuous backups; point-in-time restore is always on.
    let retention = int_at(r, "/backup_retention_period", 1);
    f.set("backup_retention_days", retention);
    f.set("point_in_time_recovery", retention.map(|days| days > 0));
    // Multi-AZ: a Multi-AZ DB cluster (db_cluster_instance_class) or two or more Aurora
    // instances; live inventories list members in `cluster_members`.
    let instances = d.linked("aws_rds_cluster_instance").count();
    let members = list_at(r, "/cluster_members").map(<[Value]>::len);
    let multi_az = match str_at(r, "/db_cluster_instance_class") {
        Some(class) if !class.is_empty() => Some(true),
        Some(_) => members.map(|m| m.max(instances) >= 2),
        None => None,
    };
    f.set("multi_az", multi_az);
    let region = region_of(r);
    let scheduled = backup::scheduled(d.backup_plans, region.as_deref());
    let global = str_at(r, "/global_cluster_identifier");
    let source = str_at(r, "/replication_source_identifier");
    f.set(
        "cross_region_copy",
        match all([global, source]).map(|v| v.iter().any(|s| !s.is_empty())) {
            Some(true) => Some(true),
            Some(false) => scheduled.cross_region,
            None => None,
        },
    );
    f.set(
        "managed_master_password",
        bool_at(r, "/manage_master_user_password", false),
    );
    // Performance Insights, monitoring and minor upgrades are set per instance in Aurora
    // (per cluster in a Multi-AZ DB cluster): the cluster has them when every instance does.
    let linked: Vec<&Resource> = d.linked("aws_rds_cluster_instance").collect();
    let per_instance = |pointer: &str, default: bool| -> Option<bool> {
        let own = bool_at(r, pointer, default);
        if linked.is_empty() {
            return own;
        }
        all(linked.iter().map(|m| bool_at(m, pointer, default))).map(|v| v.iter().all(|b| *b))
    };
    f.set(
        "performance_insights",
        per_instance("/performance_insights_enabled", false),
    );
    f.set(
        "auto_minor_version_upgrade",
        per_instance("/auto_minor_version_upgrade", true),
    );
    f.set(
        "monitoring_interval",
        if linked.is_empty() {
            int_at(r, "/monitoring_interval", 0)
        } else {
            all(linked.iter().map(|m| int_at(m, "/monitoring_interval", 0)))
                .map(|v| v.into_iter().min().unwrap_or(0))
        },
    );
    f.set("backup_plans", Some(scheduled.plans.clone()));
    f.set("region", region);
    let count = members.map(|m| m.max(instances));
    let dedicated = str_at(r, "/db_cluster_instance_class").map(|c| !c.is_empty());
    let (rpo, rto) = continuity::rds_cluster(retention, count, dedicated);
    continuity::set(f, rpo, rto);
    f.set(
        "deletion_protection",
        bool_at(r, "/deletion_protection", false),
    );
    f.set("engine", str_at(r, "/engine"));
    f.set(
        "iam_auth",
        bool_at(r, "/iam_database_authentication_enabled", false),
    );
    f.set(
        "log_exports",
        strings_at(r, "/enabled_cloudwatch_logs_exports"),
    );
}
