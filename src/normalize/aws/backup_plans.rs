//! AWS Backup plans and vaults.

use serde_json::Value;

use crate::normalize::Derive;
use crate::normalize::backup::{arn_region, plan_rules};
use crate::normalize::facets::Setter;
use crate::normalize::value::{bool_at, int_at, region_of};

pub(super) fn plan(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let rules = plan_rules(r);
    f.set(
        "rules",
        rules
            .as_ref()
            .map(|rules| Value::Array(rules.iter().map(|rule| rule.to_json()).collect())),
    );
    f.set(
        "selections",
        Some(d.linked("aws_backup_selection").count() as i64),
    );
    let region = region_of(r);
    // A copy to a vault in another region; unknown when a destination or the plan's own
    // region is not known.
    f.set(
        "cross_region_copy",
        rules.map(|rules| {
            let copies: Vec<&String> = rules.iter().flat_map(|rule| &rule.copies).collect();
            if copies.is_empty() {
                return Value::Bool(false);
            }
            let mut unknown = false;
            for copy in copies {
                match (arn_region(copy), region.as_deref()) {
                    (Some(to), Some(from)) if to != from => return Value::Bool(true),
                    (Some(_), Some(_)) => {}
                    _ => unknown = true,
                }
            }
            if unknown {
                Value::Null
            } else {
                Value::Bool(false)
            }
        }),
    );
    f.set("region", region);
}

pub(super) fn vault(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // Vault Lock: an aws_backup_vault_lock_configuration; live reads carry `locked`.
    let lock = d.one("aws_backup_vault_lock_configuration");
    f.set(
        "locked",
        match lock {
            Some(_) => Some(true),
            None => bool_at(r, "/locked", false),
        },
    );
    f.set(
        "lock_min_retention_days",
        match lock {
            Some(l) => int_at(l, "/min_retention_days", 0),
            None => int_at(r, "/min_retention_days", 0),
        },
    );
    // Governance mode can be removed by privileged users; compliance mode starts after
    // `changeable_for_days` and then cannot.
    f.set(
        "lock_compliance_mode",
        match lock {
            Some(l) => Some(
                l.attrs
                    .get("changeable_for_days")
                    .is_some_and(|v| !v.is_null()),
            ),
            None => r
                .attrs
                .get("lock_date")
                .map(|v| !v.is_null())
                .or(Some(false)),
        },
    );
}
