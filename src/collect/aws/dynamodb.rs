//! DynamoDB: tables with their encryption, continuous backups (point-in-time recovery),
//! replicas and tags.

use aws_sdk_dynamodb::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, b, bounded, describe, n, s, tag_map};

const SERVICE: &str = "dynamodb";
const TABLE: &str = "aws_dynamodb_table";

pub(super) const KINDS: &[&str] = &[TABLE];

pub(super) async fn collect(cx: Cx) -> Out {
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
            .map(|k| k.attribute_name().to_string())
    };
    let stream = t.stream_specification();
    let facts = TableFacts {
        name: name.to_string(),
        arn: arn.clone(),
        billing_mode: t
            .billing_mode_summary()
            .and_then(|b| b.billing_mode())
            .map(|m| m.as_str().to_string()),
        hash_key: key("HASH"),
        range_key: key("RANGE"),
        deletion_protection_enabled: t.deletion_protection_enabled(),
        sse: t
            .sse_description()
            .filter(|d| d.status().map(|s| s.as_str()) == Some("ENABLED"))
            .map(|d| d.kms_master_key_arn().map(str::to_string)),
        replicas: t
            .replicas()
            .iter()
            .map(|r| {
                (
                    r.region_name().map(str::to_string),
                    r.kms_master_key_id().map(str::to_string),
                )
            })
            .collect(),
        stream_enabled: stream.map(|s| s.stream_enabled()),
        stream_view_type: stream
            .and_then(|s| s.stream_view_type())
            .map(|v| v.as_str().to_string()),
        table_class: t
            .table_class_summary()
            .and_then(|c| c.table_class())
            .map(|c| c.as_str().to_string()),
        item_count: t.item_count(),
    };
    let mut r = scope.resource(TABLE, name, Some(arn.clone()), table_attrs(&facts));

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
            let days = n(pitr
                .and_then(|p| p.recovery_period_in_days())
                .map(i64::from));
            r.attrs["point_in_time_recovery"] = point_in_time_recovery(enabled, days);
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

/// A DynamoDB table, as both sources describe it.
pub(super) struct TableFacts {
    pub name: String,
    pub arn: String,
    pub billing_mode: Option<String>,
    pub hash_key: Option<String>,
    pub range_key: Option<String>,
    pub deletion_protection_enabled: Option<bool>,
    /// Encryption with a KMS key (its ARN when the answer names it); `None` when the table
    /// uses an AWS-owned key, for which the provider's state has no
    /// `server_side_encryption` block.
    pub sse: Option<Option<String>>,
    /// Each replica's region and KMS key.
    pub replicas: Vec<(Option<String>, Option<String>)>,
    pub stream_enabled: Option<bool>,
    pub stream_view_type: Option<String>,
    pub table_class: Option<String>,
    pub item_count: Option<i64>,
}

/// `aws_dynamodb_table` without its point-in-time recovery and tags.
pub(super) fn table_attrs(t: &TableFacts) -> Value {
    let sse: Vec<Value> = t
        .sse
        .iter()
        .map(|key| json!({"enabled": true, "kms_key_arn": s(key.as_deref())}))
        .collect();
    let replicas: Vec<Value> = t
        .replicas
        .iter()
        .map(|(region, key)| json!({"region_name": s(region.as_deref()), "kms_key_arn": s(key.as_deref())}))
        .collect();
    json!({
        "id": t.name,
        "name": t.name,
        "arn": t.arn,
        "billing_mode": t.billing_mode.as_deref().unwrap_or("PROVISIONED"),
        "hash_key": s(t.hash_key.as_deref()),
        "range_key": s(t.range_key.as_deref()),
        "deletion_protection_enabled": b(t.deletion_protection_enabled),
        "server_side_encryption": sse,
        "replica": replicas,
        "stream_enabled": t.stream_enabled.unwrap_or(false),
        "stream_view_type": s(t.stream_view_type.as_deref()),
        "table_class": t.table_class.as_deref().unwrap_or("STANDARD"),
        "item_count": n(t.item_count),
    })
}

/// The `point_in_time_recovery` block, for the DynamoDB API and AWS Config items alike.
pub(super) fn point_in_time_recovery(enabled: bool, recovery_period_in_days: Value) -> Value {
    json!([{"enabled": enabled, "recovery_period_in_days": recovery_period_in_days}])
}
