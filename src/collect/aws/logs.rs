//! CloudWatch Logs: log groups with retention, KMS key, class and tags.

use aws_sdk_cloudwatchlogs::Client;
use serde_json::json;

use super::Cx;
use super::shared::{Out, bounded, describe, n, s, se, tag_map};

const SERVICE: &str = "logs";
const GROUP: &str = "aws_cloudwatch_log_group";

pub const KINDS: &[&str] = &[GROUP];

pub async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let groups = match client
        .describe_log_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(groups) => groups,
        Err(e) => {
            out.missing(
                &cx.scope,
                SERVICE,
                KINDS,
                format!("DescribeLogGroups: {}", describe(&e)),
            );
            return out;
        }
    };
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
        let Some(name) = g.log_group_name() else {
            continue;
        };
        let mut r = scope.resource(
            GROUP,
            name,
            arn.clone(),
            json!({
                "id": name,
                "name": name,
                "arn": s(arn.as_deref()),
                // Absent retention means events never expire, which the provider writes as 0.
                "retention_in_days": n(Some(g.retention_in_days().map_or(0, i64::from))),
                "kms_key_id": se(g.kms_key_id()),
                "log_group_class": s(g.log_group_class().map(|c| c.as_str())),
                "deletion_protection_enabled": g.deletion_protection_enabled(),
            }),
        );
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
