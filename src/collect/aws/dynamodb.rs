//! DynamoDB: tables with their encryption, continuous backups (point-in-time recovery),
//! replicas and tags.

use aws_sdk_dynamodb::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, b, bounded, describe, n, s, tag_map};

const SERVICE: &str = "dynamodb";
const TABLE: &str = "aws_dynamodb_table";

pub const KINDS: &[&str] = &[TABLE];

pub async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let names = client
        .list_tables()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let names = out.listed(&cx.scope, SERVICE, KINDS, "ListTables", names);
    let scope = cx.scope.clone();
    for table_out in bounded(names, cx.fanout, |name| {
        let client = client.clone();
        let scope = scope.clone();
        async move { table(&scope, &client, &name).await }
    })
    .await
    {
        out.merge(table_out);
    }
    out
}

async fn table(scope: &super::shared::Scope, client: &Client, name: &str) -> Out {
    let mut out = Out::default();
    let described = match client.describe_table().table_name(name).send().await {
        Ok(d) => d,
        Err(e) => {
            out.missing(
                scope,
                SERVICE,
                KINDS,
                format!("DescribeTable {name}: {}", describe(&e)),
            );
            return out;
        }
    };
    let Some(t) = out.required(
        scope,
        SERVICE,
        TABLE,
        described.table(),
        &format!("Table (DescribeTable {name})"),
    ) else {
        return out;
    };
    let arn = t.table_arn().map_or_else(
        || scope.arn("dynamodb", &format!("table/{name}")),
        str::to_string,
    );
    let key = |kind: &str| {
        t.key_schema()
            .iter()
            .find(|k| k.key_type().as_str() == kind)
            .map(|k| k.attribute_name())
    };
    // Without an SSE description the table uses an AWS-owned key: the provider's state then
    // has no server_side_encryption block.
    let sse: Vec<Value> = t
        .sse_description()
        .filter(|d| d.status().map(|s| s.as_str()) == Some("ENABLED"))
        .map(|d| json!({"enabled": true, "kms_key_arn": s(d.kms_master_key_arn())}))
        .into_iter()
        .collect();
    let replicas: Vec<Value> = t
        .replicas()
        .iter()
        .map(
            |r| json!({"region_name": s(r.region_name()), "kms_key_arn": s(r.kms_master_key_id())}),
        )
        .collect();
    let stream = t.stream_specification();
    let mut r = scope.resource(
        TABLE,
        name,
        Some(arn.clone()),
        json!({
            "id": name,
            "name": name,
            "arn": arn,
            "billing_mode": t.billing_mode_summary().and_then(|b| b.billing_mode()).map_or("PROVISIONED", |m| m.as_str()),
            "hash_key": s(key("HASH")),
            "range_key": s(key("RANGE")),
            "deletion_protection_enabled": b(t.deletion_protection_enabled()),
            "server_side_encryption": sse,
            "replica": replicas,
            "stream_enabled": json!(stream.is_some_and(|s| s.stream_enabled())),
            "stream_view_type": s(stream.and_then(|s| s.stream_view_type()).map(|v| v.as_str())),
            "table_class": t.table_class_summary().and_then(|c| c.table_class()).map_or("STANDARD", |c| c.as_str()),
            "item_count": n(t.item_count()),
        }),
    );

    match client
        .describe_continuous_backups()
        .table_name(name)
        .send()
        .await
    {
        Ok(c) => {
            let pitr = c
                .continuous_backups_description()
                .and_then(|d| d.point_in_time_recovery_description());
            let enabled = pitr
                .and_then(|p| p.point_in_time_recovery_status())
                .map(|s| s.as_str())
                == Some("ENABLED");
            r.attrs["point_in_time_recovery"] = json!([{
                "enabled": enabled,
                "recovery_period_in_days": n(pitr.and_then(|p| p.recovery_period_in_days()).map(i64::from)),
            }]);
        }
        Err(e) => out.unreadable(&mut r, &["/point_in_time_recovery"], SERVICE, describe(&e)),
    }

    let mut tags = Vec::new();
    let mut token: Option<String> = None;
    let tags_read = loop {
        match client
            .list_tags_of_resource()
            .resource_arn(&arn)
            .set_next_token(token.clone())
            .send()
            .await
        {
            Ok(page) => {
                tags.extend(
                    page.tags()
                        .iter()
                        .map(|t| (t.key().to_string(), t.value().to_string())),
                );
                match page.next_token() {
                    Some(next) if Some(next) != token.as_deref() => token = Some(next.to_string()),
                    _ => break Ok(()),
                }
            }
            Err(e) => break Err(describe(&e)),
        }
    };
    match tags_read {
        Ok(()) => r.attrs["tags"] = tag_map(tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        Err(m) => out.unreadable(&mut r, &["/tags"], SERVICE, m),
    }
    out.push(r);
    out
}
