//! KMS: customer-managed keys with rotation, key policy and tags. AWS-managed keys
//! (`alias/aws/...`) are AWS's to manage and rotate, and no Terraform resource describes them;
//! they are left out.

use aws_sdk_kms::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, b, bounded, code, describe, n, policy_document, s, tag_map};

const SERVICE: &str = "kms";
const KEY: &str = "aws_kms_key";

pub(super) const KINDS: &[&str] = &[KEY];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let keys = client
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let keys = out.listed(&cx.scope, SERVICE, KINDS, "ListKeys", keys);
    let ids: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            out.required(&cx.scope, SERVICE, KEY, k.key_id(), "KeyId (ListKeys)")
                .map(str::to_string)
        })
        .collect();
    let scope = cx.scope.clone();
    for key_out in bounded(ids, cx.fanout, |id| {
        let client = client.clone();
        let scope = scope.clone();
        async move { key(&scope, &client, &id).await }
    })
    .await
    {
        out.merge(key_out);
    }
    out
}

async fn key(scope: &Scope, client: &Client, id: &str) -> Out {
    let mut out = Out::default();
    let described = match client.describe_key().key_id(id).send().await {
        Ok(d) => d,
        Err(e) => {
            out.missing(
                scope,
                SERVICE,
                KINDS,
                format!("DescribeKey {id}: {}", describe(&e)),
            );
            return out;
        }
    };
    let Some(m) = out.required(
        scope,
        SERVICE,
        KEY,
        described.key_metadata(),
        &format!("KeyMetadata (DescribeKey {id})"),
    ) else {
        return out;
    };
    if m.key_manager().map(|k| k.as_str()) == Some("AWS") {
        return out;
    }
    let arn = m
        .arn()
        .map_or_else(|| scope.arn("kms", &format!("key/{id}")), str::to_string);
    let facts = KeyFacts {
        id: id.to_string(),
        arn: arn.clone(),
        description: m.description().map(str::to_string),
        key_usage: m.key_usage().map(|u| u.as_str().to_string()),
        spec: m.key_spec().map(|k| k.as_str().to_string()),
        enabled: m.enabled(),
        multi_region: m.multi_region(),
        state: m.key_state().map(|s| s.as_str().to_string()),
        origin: m.origin().map(|o| o.as_str().to_string()),
        creation_date: m
            .creation_date()
            .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok()),
        deletion_window_in_days: m.pending_deletion_window_in_days().map(i64::from),
    };
    let mut r = scope.resource(KEY, id, Some(arn), key_attrs(&facts));
    if !facts.can_rotate() {
        r.attrs["enable_key_rotation"] = json!(false);
    } else {
        match client.get_key_rotation_status().key_id(id).send().await {
            Ok(o) => {
                r.attrs["enable_key_rotation"] = json!(o.key_rotation_enabled());
                r.attrs["rotation_period_in_days"] = n(o.rotation_period_in_days().map(i64::from));
            }
            Err(e) if code(&e) == Some("UnsupportedOperationException") => {
                r.attrs["enable_key_rotation"] = json!(false);
            }
            Err(e) => out.unreadable(&mut r, &["/enable_key_rotation"], SERVICE, describe(&e)),
        }
    }

    match client
        .get_key_policy()
        .key_id(id)
        .policy_name("default")
        .send()
        .await
    {
        Ok(p) => r.attrs["policy"] = p.policy().map_or(json!(null), policy_document),
        Err(e) => out.unreadable(&mut r, &["/policy"], SERVICE, describe(&e)),
    }

    match client
        .list_resource_tags()
        .key_id(id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(tags) => {
            r.attrs["tags"] = tag_map(tags.iter().map(|t| (t.tag_key(), t.tag_value())));
        }
        Err(e) => out.unreadable(&mut r, &["/tags"], SERVICE, describe(&e)),
    }
    out.push(r);
    out
}

/// A customer managed KMS key, as both sources describe it.
pub(super) struct KeyFacts {
    pub id: String,
    pub arn: String,
    pub description: Option<String>,
    pub key_usage: Option<String>,
    pub spec: Option<String>,
    pub enabled: bool,
    pub multi_region: Option<bool>,
    pub state: Option<String>,
    pub origin: Option<String>,
    pub creation_date: Option<String>,
    /// Only known while a deletion is pending.
    pub deletion_window_in_days: Option<i64>,
}

impl KeyFacts {
    /// Only symmetric encryption keys rotate (other specs answer rotation questions with an
    /// error that means "no"), and a key pending deletion or import cannot rotate either.
    pub(super) fn can_rotate(&self) -> bool {
        let symmetric = self
            .spec
            .as_deref()
            .is_none_or(|s| s == "SYMMETRIC_DEFAULT");
        let pending = matches!(
            self.state.as_deref(),
            Some("PendingDeletion" | "PendingImport")
        );
        symmetric && !pending
    }
}

/// `aws_kms_key` without its rotation, policy and tags.
pub(super) fn key_attrs(k: &KeyFacts) -> Value {
    let mut attrs = json!({
        "id": k.id,
        "key_id": k.id,
        "arn": k.arn,
        "description": s(k.description.as_deref()),
        "key_usage": s(k.key_usage.as_deref()),
        "customer_master_key_spec": s(k.spec.as_deref()),
        "is_enabled": k.enabled,
        "multi_region": b(k.multi_region),
        "key_state": s(k.state.as_deref()),
        "origin": s(k.origin.as_deref()),
        "creation_date": s(k.creation_date.as_deref()),
    });
    // The provider's default stands when no deletion is pending.
    if let Some(days) = k.deletion_window_in_days {
        attrs["deletion_window_in_days"] = json!(days);
    }
    attrs
}
