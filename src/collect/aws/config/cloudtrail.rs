//! CloudTrail trails, with logging status and event selectors from the supplementary configuration.

use serde_json::{Value, json};

use super::item::*;

pub(super) fn trail(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "name").unwrap_or_else(|| item.name.clone());
    let mut r = item.resource(
        "aws_cloudtrail",
        &name,
        json!({
            "id": sv(c, "trailARN"),
            "name": name,
            "arn": sv(c, "trailARN"),
            "home_region": sv(c, "homeRegion"),
            "s3_bucket_name": sv(c, "s3BucketName"),
            "s3_key_prefix": se(c, "s3KeyPrefix"),
            "is_multi_region_trail": bv(c, "isMultiRegionTrail"),
            "is_organization_trail": bv(c, "isOrganizationTrail"),
            "include_global_service_events": bv(c, "includeGlobalServiceEvents"),
            "enable_log_file_validation": bv(c, "logFileValidationEnabled"),
            "kms_key_id": se(c, "kmsKeyId"),
            "cloud_watch_logs_group_arn": se(c, "cloudWatchLogsLogGroupArn"),
        }),
        mapped,
    );
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
    match item.sup("EventSelectors") {
        Some(sel) => {
            let selectors: Vec<Value> = sel
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_else(|| list(sel, "eventSelectors"))
                .iter()
                .map(|e| json!({"read_write_type": sv(e, "readWriteType"), "include_management_events": bv(e, "includeManagementEvents")}))
                .collect();
            r.attrs["event_selector"] = Value::Array(selectors);
        }
        None => mapped.gap(&mut r, "/event_selector"),
    }
    mapped.resources.push(r);
}
