//! DynamoDB tables, with point-in-time recovery from the supplementary configuration.

use serde_json::{Value, json};

use super::item::*;

pub(super) fn dynamodb_table(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "tableName").unwrap_or_else(|| item.name.clone());
    let key = |kind: &str| {
        list(c, "keySchema")
            .iter()
            .find(|k| str_of(k, "keyType").as_deref() == Some(kind))
            .map_or(Value::Null, |k| sv(k, "attributeName"))
    };
    let sse: Vec<Value> = get(c, "sSEDescription")
        .filter(|d| str_of(d, "status").as_deref() == Some("ENABLED"))
        .map(|d| json!({"enabled": true, "kms_key_arn": sv(d, "kMSMasterKeyArn")}))
        .into_iter()
        .collect();
    let mut r = item.resource(
        "aws_dynamodb_table",
        &name,
        json!({
            "id": name,
            "name": name,
            "arn": sv(c, "tableArn"),
            "billing_mode": path(c, &["billingModeSummary", "billingMode"]).cloned().unwrap_or(json!("PROVISIONED")),
            "hash_key": key("HASH"),
            "range_key": key("RANGE"),
            "deletion_protection_enabled": bv(c, "deletionProtectionEnabled"),
            "server_side_encryption": sse,
            "replica": list(c, "replicas").iter().map(|r| json!({"region_name": sv(r, "regionName")})).collect::<Vec<_>>(),
        }),
        mapped,
    );
    match item.sup("ContinuousBackupsDescription") {
        Some(d) => {
            let status = path(
                d,
                &[
                    "pointInTimeRecoveryDescription",
                    "pointInTimeRecoveryStatus",
                ],
            )
            .and_then(Value::as_str);
            r.attrs["point_in_time_recovery"] = json!([{"enabled": status == Some("ENABLED")}]);
        }
        None => mapped.gap(&mut r, "/point_in_time_recovery"),
    }
    mapped.resources.push(r);
}
