//! KMS customer managed keys (AWS managed keys are skipped, as the service collector does).

use serde_json::{Value, json};

use super::item::*;

pub(super) fn kms_key(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    if str_of(c, "keyManager").as_deref() == Some("AWS") {
        return;
    }
    let id = str_of(c, "keyId").unwrap_or_else(|| item.id.clone());
    let mut r = item.resource(
        "aws_kms_key",
        &id,
        json!({
            "id": id,
            "key_id": id,
            "description": sv(c, "description"),
            "key_usage": sv(c, "keyUsage"),
            "customer_master_key_spec": get(c, "keySpec").or(get(c, "customerMasterKeySpec")).cloned().unwrap_or(Value::Null),
            "is_enabled": bv(c, "enabled"),
            "multi_region": bv(c, "multiRegion"),
            "key_state": sv(c, "keyState"),
        }),
        mapped,
    );
    match item
        .sup("KeyRotationStatus")
        .or_else(|| get(c, "keyRotationEnabled"))
    {
        Some(v) => {
            r.attrs["enable_key_rotation"] =
                json!(v.as_bool().unwrap_or(false) || v.as_str() == Some("true"))
        }
        None => mapped.gap(&mut r, "/enable_key_rotation"),
    }
    mapped.resources.push(r);
}
