//! KMS keys.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::policy_document::{allows_anonymous, read};
use crate::normalize::value::{bool_at, int_at, str_at};

pub(super) fn kms_key(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let spec = str_at(r, "/customer_master_key_spec").map(|s| {
        if s.is_empty() {
            "SYMMETRIC_DEFAULT".to_string()
        } else {
            s
        }
    });
    let rotation = match (bool_at(r, "/enable_key_rotation", false), spec.as_deref()) {
        (_, Some(s)) if s != "SYMMETRIC_DEFAULT" => Some(false),
        (rotation, _) => rotation,
    };
    f.set("key_rotation", rotation);
    f.set("key_spec", spec);
    f.set(
        "deletion_window_days",
        int_at(r, "/deletion_window_in_days", 30),
    );
    // Without a policy, KMS applies the default key policy: the account's own principals.
    let policy = match d.one("aws_kms_key_policy") {
        Some(p) => read(p, "/policy"),
        None => read(r, "/policy"),
    };
    f.set("public_policy", policy.judge(false, allows_anonymous));
}
