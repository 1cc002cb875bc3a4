//! DynamoDB tables, with point-in-time recovery from the supplementary configuration.

use serde_json::Value;

use super::item::*;
use crate::collect::aws::dynamodb::{TableFacts, point_in_time_recovery, table_attrs};

pub(super) fn dynamodb_table(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "tableName").unwrap_or_else(|| item.name.clone());
    let key = |kind: &str| {
        list(c, "keySchema")
            .iter()
            .find(|k| str_of(k, "keyType").as_deref() == Some(kind))
            .and_then(|k| text(k, "attributeName"))
    };
    let stream = get(c, "streamSpecification");
    let facts = TableFacts {
        arn: text(c, "tableArn")
            .or_else(|| item.arn.clone())
            .unwrap_or_else(|| item.scope.arn("dynamodb", &format!("table/{name}"))),
        name,
        billing_mode: path(c, &["billingModeSummary", "billingMode"])
            .and_then(|m| m.as_str().map(str::to_string)),
        hash_key: key("HASH"),
        range_key: key("RANGE"),
        deletion_protection_enabled: flag(c, "deletionProtectionEnabled"),
        sse: get(c, "sSEDescription")
            .filter(|d| str_of(d, "status").as_deref() == Some("ENABLED"))
            .map(|d| text(d, "kMSMasterKeyArn")),
        replicas: list(c, "replicas")
            .iter()
            .map(|r| (text(r, "regionName"), text(r, "kMSMasterKeyId")))
            .collect(),
        stream_enabled: stream.and_then(|s| flag(s, "streamEnabled")),
        stream_view_type: stream.and_then(|s| text(s, "streamViewType")),
        table_class: path(c, &["tableClassSummary", "tableClass"])
            .and_then(|m| m.as_str().map(str::to_string)),
        item_count: int(c, "itemCount"),
    };
    let mut r = item.resource(
        "aws_dynamodb_table",
        &facts.name,
        table_attrs(&facts),
        mapped,
    );
    match item.sup("ContinuousBackupsDescription") {
        Some(d) => {
            let pitr = get(d, "pointInTimeRecoveryDescription");
            let status = pitr.and_then(|p| text(p, "pointInTimeRecoveryStatus"));
            let days = pitr.map_or(Value::Null, |p| nv(p, "recoveryPeriodInDays"));
            let enabled = status.as_deref() == Some("ENABLED");
            r.attrs["point_in_time_recovery"] = point_in_time_recovery(enabled, days);
        }
        None => mapped.gap(&mut r, "/point_in_time_recovery"),
    }
    mapped.resources.push(r);
}
