//! EFS file systems.

use super::encryption;
use crate::normalize::facets::Setter;
use crate::normalize::value::{bool_at, region_of, str_at, str_or_ref};
use crate::normalize::{Derive, backup, continuity};

pub(super) fn file_system(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // `encrypted` defaults to false; a KMS key implies encryption.
    encryption(
        f,
        bool_at(r, "/encrypted", false),
        str_or_ref(r, "/kms_key_id"),
    );
    // One Zone file systems name their Availability Zone.
    let one_zone = str_at(r, "/availability_zone_name").map(|z| !z.is_empty());
    f.set("one_zone", one_zone);
    // Automatic backups: the aws_efs_backup_policy satellite, else the API's default, which
    // is on for One Zone file systems only (CreateFileSystem `Backup`).
    let automatic = match d.one("aws_efs_backup_policy") {
        Some(p) => str_at(p, "/backup_policy/0/status").map(|s| s == "ENABLED" || s == "ENABLING"),
        None => one_zone,
    };
    f.set("automatic_backups", automatic);
    let replicated = Some(d.one("aws_efs_replication_configuration").is_some());
    let region = region_of(r);
    let scheduled = backup::scheduled(d.backup_plans, region.as_deref());
    f.set(
        "cross_region_copy",
        if replicated == Some(true) {
            Some(true)
        } else {
            scheduled.cross_region
        },
    );
    f.set("backup_plans", Some(scheduled.plans.clone()));
    f.set("region", region);
    let (rpo, rto) = continuity::efs(one_zone, automatic, replicated, &scheduled);
    continuity::set(f, rpo, rto);
}
