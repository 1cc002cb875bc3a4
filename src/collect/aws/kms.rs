//! KMS: customer-managed keys with rotation, key policy and tags. AWS-managed keys
//! (`alias/aws/...`) are AWS's to manage and rotate, and no Terraform resource describes them;
//! they are left out.

use aws_sdk_kms::Client;
use serde_json::json;

use super::Cx;
use super::shared::{Out, Scope, b, bounded, code, describe, n, policy_document, s, tag_map, time};

const SERVICE: &str = "kms";
const KEY: &str = "aws_kms_key";

pub const KINDS: &[&str] = &[KEY];

pub async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let keys = match client
        .list_keys()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(keys) => keys,
        Err(e) => {
            out.missing(
                &cx.scope,
                SERVICE,
                KINDS,
                format!("ListKeys: {}", describe(&e)),
            );
            return out;
        }
    };
    let ids: Vec<String> = keys
        .iter()
        .filter_map(|k| k.key_id().map(str::to_string))
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
    let Some(m) = described.key_metadata() else {
        return out;
    };
    if m.key_manager().map(|k| k.as_str()) == Some("AWS") {
        return out;
    }
    let arn = m
        .arn()
        .map_or_else(|| scope.arn("kms", &format!("key/{id}")), str::to_string);
    let spec = m.key_spec().map(|k| k.as_str());
    let state = m.key_state().map(|s| s.as_str());
    let mut r = scope.resource(
        KEY,
        id,
        Some(arn.clone()),
        json!({
            "id": id,
            "key_id": id,
            "arn": arn,
            "description": s(m.description()),
            "key_usage": s(m.key_usage().map(|u| u.as_str())),
            "customer_master_key_spec": s(spec),
            "is_enabled": m.enabled(),
            "multi_region": b(m.multi_region()),
            "key_state": s(state),
            "origin": s(m.origin().map(|o| o.as_str())),
            "creation_date": time(m.creation_date()),
            "deletion_window_in_days": n(m.pending_deletion_window_in_days().map(i64::from)),
        }),
    );
    if r.attrs["deletion_window_in_days"].is_null()
        && let Some(map) = r.attrs.as_object_mut()
    {
        // Only known while a deletion is pending; the provider's default otherwise.
        map.remove("deletion_window_in_days");
    }

    // Rotation: only symmetric encryption keys rotate; other specs answer with an error that
    // means "no".
    let symmetric = spec.is_none_or(|s| s == "SYMMETRIC_DEFAULT");
    // A key pending deletion or import cannot rotate either.
    let pending = matches!(state, Some("PendingDeletion" | "PendingImport"));
    if !symmetric || pending {
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
