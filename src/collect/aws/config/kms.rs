//! KMS customer managed keys (AWS managed keys are skipped, as the service collector does).

use serde_json::json;

use super::item::*;
use crate::collect::aws::kms::{KeyFacts, key_attrs};

pub(super) fn kms_key(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    if str_of(c, "keyManager").as_deref() == Some("AWS") {
        return;
    }
    let id = str_of(c, "keyId").unwrap_or_else(|| item.id.clone());
    let facts = KeyFacts {
        arn: text(c, "arn")
            .or_else(|| item.arn.clone())
            .unwrap_or_else(|| item.scope.arn("kms", &format!("key/{id}"))),
        id,
        description: text(c, "description"),
        key_usage: text(c, "keyUsage"),
        spec: text(c, "keySpec").or_else(|| text(c, "customerMasterKeySpec")),
        enabled: flag(c, "enabled").unwrap_or(false),
        multi_region: flag(c, "multiRegion"),
        state: text(c, "keyState"),
        origin: text(c, "origin"),
        creation_date: text(c, "creationDate"),
        deletion_window_in_days: int(c, "pendingDeletionWindowInDays"),
    };
    let mut r = item.resource("aws_kms_key", &facts.id, key_attrs(&facts), mapped);
    // AWS Config records rotation only as supplementary configuration, when it does.
    let rotation = item
        .sup("KeyRotationStatus")
        .or_else(|| get(c, "keyRotationEnabled"));
    match rotation {
        _ if !facts.can_rotate() => r.attrs["enable_key_rotation"] = json!(false),
        Some(v) => {
            r.attrs["enable_key_rotation"] =
                json!(v.as_bool().unwrap_or(false) || v.as_str() == Some("true"))
        }
        None => mapped.gap(&mut r, "/enable_key_rotation"),
    }
    mapped.resources.push(r);
}
