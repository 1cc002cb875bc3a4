//! IAM users, roles and groups with their inline policies, attachments and memberships, and managed policies.

use serde_json::{Value, json};

use super::item::*;
use crate::collect::aws::shared::policy_document;

pub(super) const USER_KINDS: &[&str] = &[
    "aws_iam_user",
    "aws_iam_user_policy",
    "aws_iam_user_policy_attachment",
    "aws_iam_user_group_membership",
];
pub(super) const ROLE_KINDS: &[&str] = &[
    "aws_iam_role",
    "aws_iam_role_policy",
    "aws_iam_role_policy_attachment",
];
pub(super) const GROUP_KINDS: &[&str] = &[
    "aws_iam_group",
    "aws_iam_group_policy",
    "aws_iam_group_policy_attachment",
];

pub(super) fn user(item: &Item, mapped: &mut Mapped) {
    iam_principal(item, "aws_iam_user", "user", mapped);
}

pub(super) fn role(item: &Item, mapped: &mut Mapped) {
    iam_principal(item, "aws_iam_role", "role", mapped);
}

pub(super) fn group(item: &Item, mapped: &mut Mapped) {
    iam_principal(item, "aws_iam_group", "group", mapped);
}

fn iam_principal(item: &Item, kind: &str, owner_field: &str, mapped: &mut Mapped) {
    let c = &item.config;
    let name_key = match owner_field {
        "user" => "userName",
        "role" => "roleName",
        _ => "groupName",
    };
    let name = str_of(c, name_key).unwrap_or_else(|| item.name.clone());
    let mut attrs = json!({
        "id": name,
        "name": name,
        "path": sv(c, "path"),
        "permissions_boundary": path(c, &["permissionsBoundary", "permissionsBoundaryArn"]).cloned().unwrap_or(json!("")),
    });
    if kind == "aws_iam_role" {
        attrs["assume_role_policy"] =
            str_of(c, "assumeRolePolicyDocument").map_or(Value::Null, |d| policy_document(&d));
    }
    let mut r = if kind == "aws_iam_group" {
        // Groups carry no tags.
        let mut attrs = attrs;
        attrs["arn"] = json!(item.arn);
        item.scope.resource(kind, &name, item.arn.clone(), attrs)
    } else {
        item.resource(kind, &name, attrs, mapped)
    };
    if kind == "aws_iam_user" {
        // Keys, MFA and console passwords are not in configuration items.
        for pointer in [
            "/access_keys",
            "/mfa_enabled",
            "/password_enabled",
            "/password_last_used",
        ] {
            mapped.gap(&mut r, pointer);
        }
    }
    mapped.resources.push(r);
    let policy_list = match owner_field {
        "user" => "userPolicyList",
        "role" => "rolePolicyList",
        _ => "groupPolicyList",
    };
    for p in list(c, policy_list) {
        let Some(policy_name) = str_of(p, "policyName") else {
            continue;
        };
        let id = format!("{name}:{policy_name}");
        mapped.resources.push(item.scope.resource(
            &format!("aws_iam_{owner_field}_policy"),
            &id,
            None,
            json!({
                "id": id,
                "name": policy_name,
                owner_field: name,
                "policy": str_of(p, "policyDocument").map_or(Value::Null, |d| policy_document(&d)),
            }),
        ));
    }
    for a in list(c, "attachedManagedPolicies") {
        let Some(arn) = str_of(a, "policyArn") else {
            continue;
        };
        let id = format!("{name}/{}", arn.rsplit('/').next().unwrap_or(&arn));
        mapped.resources.push(item.scope.resource(
            &format!("aws_iam_{owner_field}_policy_attachment"),
            &id,
            None,
            json!({"id": id, owner_field: name, "policy_arn": arn}),
        ));
    }
    if owner_field == "user" {
        let groups = strings_of(c, "groupList");
        if !groups.is_empty() {
            mapped.resources.push(item.scope.resource(
                "aws_iam_user_group_membership",
                &name,
                None,
                json!({"id": name, "user": name, "groups": groups}),
            ));
        }
    }
}

pub(super) fn iam_policy(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let name = str_of(c, "policyName").unwrap_or_else(|| item.name.clone());
    let document = list(c, "policyVersionList")
        .iter()
        .find(|v| get(v, "isDefaultVersion").and_then(Value::as_bool) == Some(true))
        .and_then(|v| str_of(v, "document"))
        .map_or(Value::Null, |d| policy_document(&d));
    let arn = str_of(c, "arn").or(item.arn.clone());
    let mut r = item.resource(
        "aws_iam_policy",
        &name,
        json!({
            "id": arn,
            "name": name,
            "arn": arn,
            "path": sv(c, "path"),
            "policy_id": sv(c, "policyId"),
            "description": se(c, "description"),
            "default_version_id": sv(c, "defaultVersionId"),
            "attachment_count": nv(c, "attachmentCount"),
            "policy": document,
        }),
        mapped,
    );
    if let Some(arn) = &arn {
        r.id = format!(
            "aws:{}:{}:aws_iam_policy:{arn}",
            item.scope.account, item.scope.region
        );
        r.cloud_id = Some(arn.clone());
    }
    mapped.resources.push(r);
}
