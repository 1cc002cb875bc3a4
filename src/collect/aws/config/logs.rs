//! CloudWatch log groups.

use serde_json::{Value, json};

use super::item::*;

pub(super) fn log_group(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "logGroupName").unwrap_or_else(|| item.name.clone());
    let retention = match nv(c, "retentionInDays") {
        Value::Null => json!(0),
        days => days,
    };
    let r = item.resource(
        "aws_cloudwatch_log_group",
        &name,
        json!({
            "id": name,
            "name": name,
            "retention_in_days": retention,
            "kms_key_id": se(c, "kmsKeyId"),
            "log_group_class": sv(c, "logGroupClass"),
        }),
        mapped,
    );
    mapped.resources.push(r);
}
