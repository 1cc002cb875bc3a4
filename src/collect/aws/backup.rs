//! AWS Backup: vaults (encryption key, lock), plans with their rules (schedule, retention,
//! cross-region copies, continuous backup) and selections.

use aws_sdk_backup::Client;
use aws_sdk_backup::types::Lifecycle;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, b, bounded, describe, n, s, se, strings};

const SERVICE: &str = "backup";
const VAULT: &str = "aws_backup_vault";
const LOCK: &str = "aws_backup_vault_lock_configuration";
const PLAN: &str = "aws_backup_plan";
const SELECTION: &str = "aws_backup_selection";

pub(super) const KINDS: &[&str] = &[VAULT, LOCK, PLAN, SELECTION];

fn lifecycle(l: Option<&Lifecycle>) -> Value {
    l.map(|l| {
        json!([{
            "delete_after": n(l.delete_after_days()),
            "cold_storage_after": n(l.move_to_cold_storage_after_days()),
        }])
    })
    .unwrap_or(json!([]))
}

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let scope = &cx.scope;
    let (vaults, plans) = tokio::join!(
        client
            .list_backup_vaults()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .list_backup_plans()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
    );
    let vaults = out.listed(scope, SERVICE, &[VAULT, LOCK], "ListBackupVaults", vaults);
    for v in vaults {
        let Some(name) = out.required(
            scope,
            SERVICE,
            VAULT,
            v.backup_vault_name(),
            "BackupVaultName (ListBackupVaults)",
        ) else {
            continue;
        };
        let arn = v.backup_vault_arn().map(str::to_string);
        out.push(scope.resource(
            VAULT,
            name,
            arn.clone(),
            json!({
                "id": name,
                "name": name,
                "arn": s(arn.as_deref()),
                "kms_key_arn": se(v.encryption_key_arn()),
                "recovery_points": v.number_of_recovery_points(),
                "locked": b(v.locked()),
            }),
        ));
        if v.locked() == Some(true) || v.min_retention_days().is_some() {
            out.push(scope.resource(
                LOCK,
                name,
                None,
                json!({
                    "id": name,
                    "backup_vault_name": name,
                    "backup_vault_arn": s(arn.as_deref()),
                    "min_retention_days": n(v.min_retention_days()),
                    "max_retention_days": n(v.max_retention_days()),
                }),
            ));
        }
    }
    let plans = out.listed(scope, SERVICE, &[PLAN, SELECTION], "ListBackupPlans", plans);
    let ids: Vec<String> = plans
        .iter()
        .filter_map(|p| {
            out.required(
                scope,
                SERVICE,
                PLAN,
                p.backup_plan_id(),
                "BackupPlanId (ListBackupPlans)",
            )
            .map(str::to_string)
        })
        .collect();
    let scope = scope.clone();
    for plan_out in bounded(ids, cx.fanout, |id| {
        let client = client.clone();
        let scope = scope.clone();
        async move { plan(&scope, &client, &id).await }
    })
    .await
    {
        out.merge(plan_out);
    }
    out
}

async fn plan(scope: &Scope, client: &Client, id: &str) -> Out {
    let mut out = Out::default();
    let got = match client.get_backup_plan().backup_plan_id(id).send().await {
        Ok(p) => p,
        Err(e) => {
            out.missing(
                scope,
                SERVICE,
                &[PLAN],
                format!("GetBackupPlan {id}: {}", describe(&e)),
            );
            return out;
        }
    };
    let Some(p) = out.required(
        scope,
        SERVICE,
        PLAN,
        got.backup_plan(),
        &format!("BackupPlan (GetBackupPlan {id})"),
    ) else {
        return out;
    };
    let rules: Vec<Value> = p
        .rules()
        .iter()
        .map(|r| {
            json!({
                "rule_name": r.rule_name(),
                "target_vault_name": r.target_backup_vault_name(),
                "schedule": s(r.schedule_expression()),
                "start_window": n(r.start_window_minutes()),
                "completion_window": n(r.completion_window_minutes()),
                "enable_continuous_backup": b(r.enable_continuous_backup()),
                "lifecycle": lifecycle(r.lifecycle()),
                "copy_action": r.copy_actions().iter().map(|c| json!({
                    "destination_vault_arn": c.destination_backup_vault_arn(),
                    "lifecycle": lifecycle(c.lifecycle()),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let arn = got.backup_plan_arn().map(str::to_string);
    out.push(scope.resource(
        PLAN,
        p.backup_plan_name(),
        arn.clone(),
        json!({
            "id": id,
            "name": p.backup_plan_name(),
            "arn": s(arn.as_deref()),
            "version": s(got.version_id()),
            "rule": rules,
        }),
    ));
    match client
        .list_backup_selections()
        .backup_plan_id(id)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(selections) => {
            for sel in selections {
                let Some(sel_id) = out.required(
                    scope,
                    SERVICE,
                    SELECTION,
                    sel.selection_id(),
                    "SelectionId (ListBackupSelections)",
                ) else {
                    continue;
                };
                match client
                    .get_backup_selection()
                    .backup_plan_id(id)
                    .selection_id(sel_id)
                    .send()
                    .await
                {
                    Ok(got) => {
                        let Some(b) = out.required(
                            scope,
                            SERVICE,
                            SELECTION,
                            got.backup_selection(),
                            &format!("BackupSelection (GetBackupSelection {sel_id})"),
                        ) else {
                            continue;
                        };
                        out.push(scope.resource(
                            SELECTION,
                            &format!("{}/{}", p.backup_plan_name(), b.selection_name()),
                            None,
                            json!({
                                "id": sel_id,
                                "plan_id": id,
                                "name": b.selection_name(),
                                "iam_role_arn": b.iam_role_arn(),
                                "resources": strings(b.resources().iter().map(String::as_str)),
                                "not_resources": strings(b.not_resources().iter().map(String::as_str)),
                                "selection_tag": b.list_of_tags().iter().map(|t| json!({
                                    "type": t.condition_type().as_str(),
                                    "key": t.condition_key(),
                                    "value": t.condition_value(),
                                })).collect::<Vec<_>>(),
                            }),
                        ));
                    }
                    Err(e) => out.missing(
                        scope,
                        SERVICE,
                        &[SELECTION],
                        format!("GetBackupSelection {sel_id}: {}", describe(&e)),
                    ),
                }
            }
        }
        Err(e) => out.missing(
            scope,
            SERVICE,
            &[SELECTION],
            format!("ListBackupSelections {id}: {}", describe(&e)),
        ),
    }
    out
}
