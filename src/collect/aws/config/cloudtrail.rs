//! CloudTrail trails, with logging status and event selectors from the supplementary configuration.

use serde_json::{Value, json};

use super::item::*;
use crate::collect::aws::cloudtrail::{self, TrailFacts, trail_attrs};

pub(super) fn trail(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "name").unwrap_or_else(|| item.name.clone());
    let facts = TrailFacts {
        arn: text(c, "trailARN")
            .or_else(|| item.arn.clone())
            .unwrap_or_else(|| item.scope.arn("cloudtrail", &format!("trail/{name}"))),
        name,
        home_region: text(c, "homeRegion"),
        s3_bucket_name: text(c, "s3BucketName"),
        s3_key_prefix: text(c, "s3KeyPrefix"),
        is_multi_region_trail: flag(c, "isMultiRegionTrail"),
        is_organization_trail: flag(c, "isOrganizationTrail"),
        include_global_service_events: flag(c, "includeGlobalServiceEvents"),
        log_file_validation_enabled: flag(c, "logFileValidationEnabled"),
        kms_key_id: text(c, "kmsKeyId"),
        cloud_watch_logs_group_arn: text(c, "cloudWatchLogsLogGroupArn"),
        cloud_watch_logs_role_arn: text(c, "cloudWatchLogsRoleArn"),
        sns_topic_arn: text(c, "snsTopicARN").or_else(|| text(c, "snsTopicArn")),
    };
    let mut r = item.resource("aws_cloudtrail", &facts.name, trail_attrs(&facts), mapped);
    match item.sup("TrailStatus").and_then(|s| get(s, "isLogging")) {
        Some(v) => {
            let on = v.as_bool() == Some(true) || v.as_str() == Some("true");
            r.attrs["is_logging"] = json!(on);
            r.attrs["enable_logging"] = json!(on);
        }
        None => {
            mapped.gap(&mut r, "/is_logging");
            mapped.gap(&mut r, "/enable_logging");
        }
    }
    // The supplementary item is the `GetEventSelectors` answer, or its list of basic selectors.
    match item.sup("EventSelectors") {
        Some(sel) => {
            let basic: Vec<Value> = sel
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_else(|| list(sel, "eventSelectors"))
                .iter()
                .map(|e| {
                    let data = list(e, "dataResources")
                        .iter()
                        .map(|d| (sv(d, "type"), json!(strings_of(d, "values"))));
                    cloudtrail::event_selector(
                        sv(e, "readWriteType"),
                        bv(e, "includeManagementEvents"),
                        json!(strings_of(e, "excludeManagementEventSources")),
                        data.collect(),
                    )
                })
                .collect();
            let basic_is_empty = basic.is_empty();
            r.attrs["event_selector"] = Value::Array(basic);
            match get(sel, "advancedEventSelectors") {
                Some(Value::Array(advanced)) => {
                    let advanced: Vec<Value> = advanced.iter().map(advanced_selector).collect();
                    r.attrs["advanced_event_selector"] = Value::Array(advanced);
                }
                // A trail uses basic or advanced selectors, never both: basic ones mean no
                // advanced ones. An empty list alone does not say which.
                _ if sel.is_array() && basic_is_empty => {
                    mapped.gap(&mut r, "/advanced_event_selector");
                }
                _ => r.attrs["advanced_event_selector"] = json!([]),
            }
        }
        None => {
            mapped.gap(&mut r, "/event_selector");
            mapped.gap(&mut r, "/advanced_event_selector");
        }
    }
    mapped.resources.push(r);
}

fn advanced_selector(a: &Value) -> Value {
    let fields = list(a, "fieldSelectors")
        .iter()
        .map(|f| {
            let each = |key: &str| json!(strings_of(f, key));
            cloudtrail::FieldSelector {
                field: sv(f, "field"),
                equals: each("equals"),
                not_equals: each("notEquals"),
                starts_with: each("startsWith"),
                not_starts_with: each("notStartsWith"),
                ends_with: each("endsWith"),
                not_ends_with: each("notEndsWith"),
            }
        })
        .collect();
    cloudtrail::advanced_event_selector(sv(a, "name"), fields)
}
