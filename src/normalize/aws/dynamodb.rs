//! DynamoDB tables.

use super::customer_key;
use crate::normalize::facets::Setter;
use crate::normalize::value::{bool_at, has_block, region_of, str_at, str_or_ref};
use crate::normalize::{Derive, backup, continuity};

pub(super) fn dynamodb_table(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // DynamoDB encrypts every table at rest; a customer key only with SSE enabled and a key ARN.
    f.set("encrypted_at_rest", Some(true));
    let key = match bool_at(r, "/server_side_encryption/0/enabled", false) {
        Some(true) => customer_key(str_or_ref(r, "/server_side_encryption/0/kms_key_arn")),
        Some(false) => Some(String::new()),
        None => None,
    };
    f.set("kms_key", key);
    f.set(
        "point_in_time_recovery",
        bool_at(r, "/point_in_time_recovery/0/enabled", false),
    );
    f.set(
        "deletion_protection",
        bool_at(r, "/deletion_protection_enabled", false),
    );
    let global = has_block(r, "/replica");
    f.set("global_table", global);
    let region = region_of(r);
    let scheduled = backup::scheduled(d.backup_plans, region.as_deref());
    f.set(
        "cross_region_copy",
        match global {
            Some(true) => Some(true),
            Some(false) => scheduled.cross_region,
            None => None,
        },
    );
    // PROVISIONED is the provider's default billing mode; on-demand tables scale by
    // themselves, provisioned ones through Application Auto Scaling targets.
    f.set(
        "autoscaling",
        str_at(r, "/billing_mode").map(|mode| {
            mode == "PAY_PER_REQUEST" || d.linked("aws_appautoscaling_target").next().is_some()
        }),
    );
    f.set("backup_plans", Some(scheduled.plans.clone()));
    f.set("region", region);
    let pitr = bool_at(r, "/point_in_time_recovery/0/enabled", false);
    let (rpo, rto) = continuity::dynamodb(pitr, &scheduled);
    continuity::set(f, rpo, rto);
}
