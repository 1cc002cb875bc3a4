//! CloudWatch Logs: log groups with retention, KMS key, class and tags.

use aws_sdk_cloudwatchlogs::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, bounded, describe, s, se, tag_map};

const SERVICE: &str = "logs";
const GROUP: &str = "aws_cloudwatch_log_group";

pub const KINDS: &[&str] = &[GROUP];

pub async fn collect(cx: Cx) -> Out {
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
        out.push(r);
    }
    out
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
