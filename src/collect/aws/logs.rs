//! CloudWatch Logs: log groups with retention, KMS key, class and tags; their metric filters,
//! and the CloudWatch metric alarms (which watch what the filters publish: the CIS AWS
//! monitoring controls judge the two together, so they are read together).

use aws_sdk_cloudwatchlogs::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, bounded, describe, n, s, se, strings, tag_map};

const SERVICE: &str = "logs";
const GROUP: &str = "aws_cloudwatch_log_group";
const FILTER: &str = "aws_cloudwatch_log_metric_filter";
const ALARM: &str = "aws_cloudwatch_metric_alarm";

pub(super) const KINDS: &[&str] = &[GROUP, FILTER, ALARM];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let groups = client
        .describe_log_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let groups = out.listed(&cx.scope, SERVICE, KINDS, "DescribeLogGroups", groups);
    let scope = &cx.scope;
    // Without every filter and alarm, no group's monitoring is known.
    let monitoring_read = filters_and_alarms(&cx, &client, &mut out).await;
    // Tags need one call per group, addressed by the ARN without the `:*` suffix.
    let arns: Vec<Option<String>> = groups
        .iter()
        .map(|g| {
            g.log_group_arn()
                .map(str::to_string)
                .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
        })
        .collect();
    let tags = bounded(arns.clone(), cx.fanout, |arn| {
        let client = client.clone();
        async move {
            let Some(arn) = arn else {
                return Ok(Default::default());
            };
            client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map(|o| o.tags().cloned().unwrap_or_default())
                .map_err(|e| describe(&e))
        }
    })
    .await;
    for ((g, arn), tags) in groups.iter().zip(arns).zip(tags) {
        let Some(name) = out.required(
            scope,
            SERVICE,
            GROUP,
            g.log_group_name(),
            "logGroupName (DescribeLogGroups)",
        ) else {
            continue;
        };
        let facts = LogGroupFacts {
            name: name.to_string(),
            arn: arn.clone(),
            retention_in_days: g.retention_in_days().map(i64::from),
            kms_key_id: g.kms_key_id().map(str::to_string),
            log_group_class: g.log_group_class().map(|c| c.as_str().to_string()),
        };
        let mut attrs = log_group_attrs(&facts);
        attrs["deletion_protection_enabled"] = json!(g.deletion_protection_enabled());
        let mut r = scope.resource(GROUP, name, arn.clone(), attrs);
        match tags {
            Ok(tags) => {
                let mut pairs: Vec<(&String, &String)> = tags.iter().collect();
                pairs.sort();
                r.attrs["tags"] = tag_map(pairs.into_iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
            Err(m) => out.unreadable(&mut r, &["/tags"], SERVICE, m),
        }
        if !monitoring_read {
            r.unknown.insert("/metric_filters".into());
        }
        out.push(r);
    }
    out
}

/// The region's metric filters and metric alarms, in the provider's shapes; false when
/// either listing failed (its kinds are then recorded as not read).
async fn filters_and_alarms(cx: &Cx, client: &Client, out: &mut Out) -> bool {
    let scope = &cx.scope;
    let (filters, alarms) = tokio::join!(
        client
            .describe_metric_filters()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        aws_sdk_cloudwatch::Client::new(&cx.config)
            .describe_alarms()
            .into_paginator()
            .send()
            .try_collect(),
    );
    let filters_read = filters.is_ok();
    let alarms_read = alarms.is_ok();
    for f in out.listed(scope, SERVICE, &[FILTER], "DescribeMetricFilters", filters) {
        let Some(name) = out.required(
            scope,
            SERVICE,
            FILTER,
            f.filter_name(),
            "filterName (DescribeMetricFilters)",
        ) else {
            continue;
        };
        let transformations: Vec<Value> = f
            .metric_transformations()
            .iter()
            .map(|t| {
                json!({
                    "name": t.metric_name(),
                    "namespace": t.metric_namespace(),
                    "value": t.metric_value(),
                    "default_value": t.default_value().map(|v| v.to_string()),
                    "unit": s(t.unit().map(|u| u.as_str())),
                })
            })
            .collect();
        let attrs = json!({
            "id": name,
            "name": name,
            "pattern": s(f.filter_pattern()),
            "log_group_name": s(f.log_group_name()),
            "metric_transformation": transformations,
        });
        let group = f.log_group_name().unwrap_or_default();
        out.push(scope.resource(FILTER, &format!("{group}:{name}"), None, attrs));
    }
    let pages = out.listed(scope, "monitoring", &[ALARM], "DescribeAlarms", alarms);
    for a in pages.iter().flat_map(|p| p.metric_alarms()) {
        alarm(scope, a, out);
    }
    filters_read && alarms_read
}

/// One metric alarm, as `aws_cloudwatch_metric_alarm`.
fn alarm(scope: &Scope, a: &aws_sdk_cloudwatch::types::MetricAlarm, out: &mut Out) {
    let Some(name) = out.required(
        scope,
        "monitoring",
        ALARM,
        a.alarm_name(),
        "AlarmName (DescribeAlarms)",
    ) else {
        return;
    };
    let attrs = json!({
        "id": name,
        "alarm_name": name,
        "arn": s(a.alarm_arn()),
        "namespace": s(a.namespace()),
        "metric_name": s(a.metric_name()),
        "statistic": s(a.statistic().map(|v| v.as_str())),
        "comparison_operator": s(a.comparison_operator().map(|v| v.as_str())),
        "threshold": a.threshold(),
        "evaluation_periods": n(a.evaluation_periods().map(i64::from)),
        "period": n(a.period().map(i64::from)),
        "actions_enabled": a.actions_enabled(),
        "alarm_actions": strings(a.alarm_actions().iter().map(String::as_str)),
    });
    out.push(scope.resource(ALARM, name, a.alarm_arn().map(str::to_string), attrs));
}

/// A log group, as both the Logs API and AWS Config (`config/logs.rs`) describe it.
pub(super) struct LogGroupFacts {
    pub name: String,
    pub arn: Option<String>,
    pub retention_in_days: Option<i64>,
    pub kms_key_id: Option<String>,
    pub log_group_class: Option<String>,
}

/// `aws_cloudwatch_log_group` without its tags.
pub(super) fn log_group_attrs(g: &LogGroupFacts) -> Value {
    json!({
        "id": g.name,
        "name": g.name,
        "arn": s(g.arn.as_deref()),
        // Absent retention means events never expire, which the provider writes as 0.
        "retention_in_days": g.retention_in_days.unwrap_or(0),
        "kms_key_id": se(g.kms_key_id.as_deref()),
        "log_group_class": s(g.log_group_class.as_deref()),
    })
}
