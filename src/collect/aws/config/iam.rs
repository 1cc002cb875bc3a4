//! IAM users, roles and groups with their inline policies, attachments and memberships, and managed policies.

use serde_json::{Value, json};

use super::item::*;
use crate::collect::aws::iam;
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
        let document = str_of(p, "policyDocument").map_or(Value::Null, |d| policy_document(&d));
        let policy = iam::inline_policy(&item.scope, owner_field, &name, &policy_name, document);
        mapped.resources.push(policy);
    }
    for a in list(c, "attachedManagedPolicies") {
        let Some(arn) = str_of(a, "policyArn") else {
            continue;
        };
        let attachment = iam::policy_attachment(&item.scope, owner_field, &name, &arn);
        mapped.resources.push(attachment);
    }
    if owner_field == "user" {
        let groups = strings_of(c, "groupList");
        if !groups.is_empty() {
            let membership = iam::group_membership(&item.scope, &name, &groups);
            mapped.resources.push(membership);
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
    let facts = iam::ManagedPolicyFacts {
        name,
        arn: str_of(c, "arn").or(item.arn.clone()),
        path: sv(c, "path"),
        policy_id: sv(c, "policyId"),
        description: se(c, "description"),
        default_version_id: sv(c, "defaultVersionId"),
        attachment_count: nv(c, "attachmentCount"),
        document,
    };
    let r = iam::managed_policy_resource(&item.scope, facts, |kind, name, _, attrs| {
        item.resource(kind, name, attrs, mapped)
    });
    mapped.resources.push(r);
}
