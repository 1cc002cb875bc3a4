//! Secrets Manager secrets: rotation, encryption key and resource policy.

use super::customer_key;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::policy_document::{allows_anonymous, read};
use crate::normalize::value::{bool_at, int_at, str_at, str_or_ref};

pub(super) fn secret(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // Rotation is configured by an aws_secretsmanager_secret_rotation; live reads (and older
    // provider versions) carry `rotation_enabled` and `rotation_rules` on the secret itself.
    let (rotation, pointer_owner) = match d.one("aws_secretsmanager_secret_rotation") {
        Some(rot) => (Some(true), rot),
        None => (bool_at(r, "/rotation_enabled", false), r),
    };
    f.set("rotation", rotation);
    // Days between rotations: `automatically_after_days`, or the longest gap a
    // `schedule_expression` allows; 0 when rotation is off.
    let days = match rotation {
        Some(true) => {
            let base = "/rotation_rules/0";
            match str_at(pointer_owner, &format!("{base}/schedule_expression")) {
                Some(expr) if !expr.is_empty() => {
                    crate::normalize::backup::schedule_interval(&expr).map(|m| (m + 1439) / 1440)
                }
                Some(_) => int_at(
                    pointer_owner,
                    &format!("{base}/automatically_after_days"),
                    0,
                ),
                None => None,
            }
        }
        Some(false) => Some(0),
        None => None,
    };
    f.set("rotation_days", days);
    f.set("kms_key", customer_key(str_or_ref(r, "/kms_key_id")));
    let policy = match d.one("aws_secretsmanager_secret_policy") {
        Some(p) => read(p, "/policy"),
        None => read(r, "/policy"),
    };
    f.set("public_policy", policy.judge(false, allows_anonymous));
}
