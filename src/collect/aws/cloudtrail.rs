//! CloudTrail: trails in their home region, with whether they are logging (a live-only fact,
//! `is_logging`), event selectors and tags.

use aws_sdk_cloudtrail::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, b, describe, s, se, strings, tag_map};

const SERVICE: &str = "cloudtrail";
const TRAIL: &str = "aws_cloudtrail";

pub(super) const KINDS: &[&str] = &[TRAIL];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    // Shadow trails (multi-region trails seen from other regions) are left to their home
    // region, so each trail appears once.
    let trails = match client
        .describe_trails()
        .include_shadow_trails(false)
        .send()
        .await
    {
        Ok(o) => o.trail_list().to_vec(),
        Err(e) => {
            out.missing(
                &cx.scope,
                SERVICE,
                KINDS,
                format!("DescribeTrails: {}", describe(&e)),
            );
            return out;
        }
    };
    for t in trails {
        out.merge(trail(&cx.scope, &client, &t).await);
    }
    out
}

async fn trail(scope: &Scope, client: &Client, t: &aws_sdk_cloudtrail::types::Trail) -> Out {
    let mut out = Out::default();
    let Some(name) = out.required(scope, SERVICE, TRAIL, t.name(), "Name (DescribeTrails)") else {
        return out;
    };
    let arn = t.trail_arn().map_or_else(
        || scope.arn("cloudtrail", &format!("trail/{name}")),
        str::to_string,
    );
    let facts = TrailFacts {
        name: name.to_string(),
        arn: arn.clone(),
        home_region: t.home_region().map(str::to_string),
        s3_bucket_name: t.s3_bucket_name().map(str::to_string),
        s3_key_prefix: t.s3_key_prefix().map(str::to_string),
        is_multi_region_trail: t.is_multi_region_trail(),
        is_organization_trail: t.is_organization_trail(),
        include_global_service_events: t.include_global_service_events(),
        log_file_validation_enabled: t.log_file_validation_enabled(),
        kms_key_id: t.kms_key_id().map(str::to_string),
        cloud_watch_logs_group_arn: t.cloud_watch_logs_log_group_arn().map(str::to_string),
        cloud_watch_logs_role_arn: t.cloud_watch_logs_role_arn().map(str::to_string),
        sns_topic_arn: t.sns_topic_arn().map(str::to_string),
    };
    let mut r = scope.resource(TRAIL, name, Some(arn.clone()), trail_attrs(&facts));

    match client.get_trail_status().name(&arn).send().await {
        Ok(status) => {
            r.attrs["is_logging"] = b(status.is_logging());
            r.attrs["enable_logging"] = b(status.is_logging());
        }
        Err(e) => out.unreadable(
            &mut r,
            &["/is_logging", "/enable_logging"],
            SERVICE,
            describe(&e),
        ),
    }

    match client.get_event_selectors().trail_name(&arn).send().await {
        Ok(sel) => {
            let basic: Vec<Value> = sel
                .event_selectors()
                .iter()
                .map(|e| {
                    let data = e.data_resources().iter().map(|d| {
                        let values = d.values().iter().map(String::as_str);
                        (s(d.r#type()), strings(values))
                    });
                    let excluded = e.exclude_management_event_sources().iter();
                    event_selector(
                        s(e.read_write_type().map(|t| t.as_str())),
                        b(e.include_management_events()),
                        strings(excluded.map(String::as_str)),
                        data.collect(),
                    )
                })
                .collect();
            let advanced: Vec<Value> = sel
                .advanced_event_selectors()
                .iter()
                .map(|a| {
                    let fields = a.field_selectors().iter().map(|f| {
                        let each = |v: &[String]| strings(v.iter().map(String::as_str));
                        FieldSelector {
                            field: json!(f.field()),
                            equals: each(f.equals()),
                            not_equals: each(f.not_equals()),
                            starts_with: each(f.starts_with()),
                            not_starts_with: each(f.not_starts_with()),
                            ends_with: each(f.ends_with()),
                            not_ends_with: each(f.not_ends_with()),
                        }
                    });
                    advanced_event_selector(s(a.name()), fields.collect())
                })
                .collect();
            r.attrs["event_selector"] = Value::Array(basic);
            r.attrs["advanced_event_selector"] = Value::Array(advanced);
        }
        Err(e) => out.unreadable(
            &mut r,
            &["/event_selector", "/advanced_event_selector"],
            SERVICE,
            describe(&e),
        ),
    }

    match client.list_tags().resource_id_list(&arn).send().await {
        Ok(tags) => {
            r.attrs["tags"] = tag_map(
                tags.resource_tag_list()
                    .iter()
                    .flat_map(|t| t.tags_list())
                    .map(|t| (t.key(), t.value())),
            );
        }
        Err(e) => out.unreadable(&mut r, &["/tags"], SERVICE, describe(&e)),
    }
    out.push(r);
    out
}

/// A trail, as both sources describe it.
pub(super) struct TrailFacts {
    pub name: String,
    pub arn: String,
    pub home_region: Option<String>,
    pub s3_bucket_name: Option<String>,
    pub s3_key_prefix: Option<String>,
    pub is_multi_region_trail: Option<bool>,
    pub is_organization_trail: Option<bool>,
    pub include_global_service_events: Option<bool>,
    pub log_file_validation_enabled: Option<bool>,
    pub kms_key_id: Option<String>,
    pub cloud_watch_logs_group_arn: Option<String>,
    pub cloud_watch_logs_role_arn: Option<String>,
    pub sns_topic_arn: Option<String>,
}

/// `aws_cloudtrail` without its logging status and event selectors.
pub(super) fn trail_attrs(t: &TrailFacts) -> Value {
    json!({
        "id": t.arn,
        "name": t.name,
        "arn": t.arn,
        "home_region": s(t.home_region.as_deref()),
        "s3_bucket_name": s(t.s3_bucket_name.as_deref()),
        "s3_key_prefix": se(t.s3_key_prefix.as_deref()),
        "is_multi_region_trail": b(t.is_multi_region_trail),
        "is_organization_trail": b(t.is_organization_trail),
        "include_global_service_events": b(t.include_global_service_events),
        "enable_log_file_validation": b(t.log_file_validation_enabled),
        "kms_key_id": se(t.kms_key_id.as_deref()),
        "cloud_watch_logs_group_arn": se(t.cloud_watch_logs_group_arn.as_deref()),
        "cloud_watch_logs_role_arn": se(t.cloud_watch_logs_role_arn.as_deref()),
        "sns_topic_arn": se(t.sns_topic_arn.as_deref()),
    })
}

// The provider's shape of a trail's event selectors, built here for the service API and AWS
// Config items (`config/cloudtrail.rs`) alike.

/// One basic event selector: read/write type, management events, the management event sources
/// left out, and the data resources as (type, values).
pub(super) fn event_selector(
    read_write_type: Value,
    include_management_events: Value,
    exclude_management_event_sources: Value,
    data_resources: Vec<(Value, Value)>,
) -> Value {
    let data: Vec<Value> = data_resources
        .into_iter()
        .map(|(kind, values)| json!({"type": kind, "values": values}))
        .collect();
    json!({
        "read_write_type": read_write_type,
        "include_management_events": include_management_events,
        "exclude_management_event_sources": exclude_management_event_sources,
        "data_resource": data,
    })
}

/// One field selector of an advanced event selector; each condition is a list of strings.
pub(super) struct FieldSelector {
    pub field: Value,
    pub equals: Value,
    pub not_equals: Value,
    pub starts_with: Value,
    pub not_starts_with: Value,
    pub ends_with: Value,
    pub not_ends_with: Value,
}

/// One advanced event selector: its name and field selectors.
pub(super) fn advanced_event_selector(name: Value, fields: Vec<FieldSelector>) -> Value {
    let fields: Vec<Value> = fields
        .into_iter()
        .map(|f| {
            json!({
                "field": f.field,
                "equals": f.equals,
                "not_equals": f.not_equals,
                "starts_with": f.starts_with,
                "not_starts_with": f.not_starts_with,
                "ends_with": f.ends_with,
                "not_ends_with": f.not_ends_with,
            })
        })
        .collect();
    json!({"name": name, "field_selector": fields})
}
