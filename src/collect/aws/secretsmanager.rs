//! Secrets Manager: secrets' settings (KMS key, rotation), never their values:
//! `GetSecretValue` is not called, and the read-only policy does not grant it.

use aws_sdk_secretsmanager::Client;
use serde_json::json;

use super::Cx;
use super::shared::{Out, describe, n, s, se, tag_map, time};

const SERVICE: &str = "secretsmanager";
const SECRET: &str = "aws_secretsmanager_secret";
const ROTATION: &str = "aws_secretsmanager_secret_rotation";

pub(super) const KINDS: &[&str] = &[SECRET, ROTATION];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let secrets = match client
        .list_secrets()
        .into_paginator()
        .send()
        .try_collect()
        .await
    {
        Ok(pages) => pages
            .iter()
            .flat_map(|p| p.secret_list().to_vec())
            .collect::<Vec<_>>(),
        Err(e) => {
            out.missing(
                &cx.scope,
                SERVICE,
                KINDS,
                format!("ListSecrets: {}", describe(&e)),
            );
            return out;
        }
    };
    let scope = &cx.scope;
    for sec in secrets {
        let Some(name) = out.required(scope, SERVICE, SECRET, sec.name(), "Name (ListSecrets)")
        else {
            continue;
        };
        let arn = sec.arn().map(str::to_string);
        out.push(scope.resource(
            SECRET,
            name,
            arn.clone(),
            json!({
                "id": s(arn.as_deref()),
                "arn": s(arn.as_deref()),
                "name": name,
                "description": se(sec.description()),
                "kms_key_id": se(sec.kms_key_id()),
                "primary_region": s(sec.primary_region()),
                "last_rotated_date": time(sec.last_rotated_date()),
                "last_accessed_date": time(sec.last_accessed_date()),
                "rotation_enabled": json!(sec.rotation_enabled() == Some(true)),
                "tags": tag_map(sec.tags().iter().map(|t| (t.key(), t.value()))),
            }),
        ));
        if sec.rotation_enabled() == Some(true) {
            let rules = sec.rotation_rules().map(|r| {
                json!([{
                    "automatically_after_days": n(r.automatically_after_days()),
                    "schedule_expression": s(r.schedule_expression()),
                    "duration": s(r.duration()),
                }])
            });
            out.push(scope.resource(
                ROTATION,
                name,
                None,
                json!({
                    "id": s(arn.as_deref()),
                    "secret_id": s(arn.as_deref()),
                    "rotation_lambda_arn": se(sec.rotation_lambda_arn()),
                    "rotation_rules": rules.unwrap_or(json!([])),
                }),
            ));
        }
    }
    out
}
