//! IAM and the account (global): users with their access keys (age and last use), MFA and
//! console password; roles; groups; customer-managed policies with their documents; inline
//! policies and attachments as the provider's separate resources; the password policy; and
//! the live-only `aws_account` (root user facts from the account summary and the credential
//! report, the security contact); and the account's S3 Block Public Access settings
//! ([`super::s3control`]).
//!
//! `GetAccountAuthorizationDetails` returns users, groups, roles, local policies, inline
//! documents and attachments in a few pages, far fewer calls than listing each.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{EntityType, PolicyDetail, Tag};
use serde_json::{Value, json};

use super::Cx;
use super::shared::{
    Out, Scope, bounded, code, describe, n, policy_document, s, se, tag_map, time,
};
use crate::inventory::Resource;

const SERVICE: &str = "iam";
const USER: &str = "aws_iam_user";
const ROLE: &str = "aws_iam_role";
const GROUP: &str = "aws_iam_group";
const POLICY: &str = "aws_iam_policy";
const USER_POLICY: &str = "aws_iam_user_policy";
const ROLE_POLICY: &str = "aws_iam_role_policy";
const GROUP_POLICY: &str = "aws_iam_group_policy";
const USER_ATTACHMENT: &str = "aws_iam_user_policy_attachment";
const ROLE_ATTACHMENT: &str = "aws_iam_role_policy_attachment";
const GROUP_ATTACHMENT: &str = "aws_iam_group_policy_attachment";
const MEMBERSHIP: &str = "aws_iam_user_group_membership";
const PASSWORD_POLICY: &str = "aws_iam_account_password_policy";
const ACCOUNT: &str = "aws_account";

pub(super) const KINDS: &[&str] = &[
    USER,
    ROLE,
    GROUP,
    POLICY,
    USER_POLICY,
    ROLE_POLICY,
    GROUP_POLICY,
    USER_ATTACHMENT,
    ROLE_ATTACHMENT,
    GROUP_ATTACHMENT,
    MEMBERSHIP,
    PASSWORD_POLICY,
    ACCOUNT,
    super::s3control::ACCOUNT_BLOCK,
];

const DETAIL_KINDS: &[&str] = &[
    USER,
    ROLE,
    GROUP,
    POLICY,
    USER_POLICY,
    ROLE_POLICY,
    GROUP_POLICY,
    USER_ATTACHMENT,
    ROLE_ATTACHMENT,
    GROUP_ATTACHMENT,
    MEMBERSHIP,
];

fn tags(tags: &[Tag]) -> Value {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

/// One row of the credential report, by column name.
type Row = HashMap<String, String>;

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let scope = &cx.scope;

    let (details, report) = tokio::join!(
        client
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Role)
            .filter(EntityType::Group)
            .filter(EntityType::LocalManagedPolicy)
            .into_paginator()
            .send()
            .try_collect(),
        credential_report(&client),
    );
    let report: Result<HashMap<String, Row>, String> = report;

    match details {
        Ok(pages) => {
            for p in &pages {
                for u in p.user_detail_list() {
                    user(scope, u, &mut out);
                }
                for r in p.role_detail_list() {
                    role(scope, r, &mut out);
                }
                for g in p.group_detail_list() {
                    group(scope, g, &mut out);
                }
                for m in p.policies() {
                    managed_policy(scope, m, &mut out);
                }
            }
        }
        Err(e) => out.missing(
            scope,
            SERVICE,
            DETAIL_KINDS,
            format!("GetAccountAuthorizationDetails: {}", describe(&e)),
        ),
    }

    // Users' live-only facts: keys, MFA, console password.
    let users: Vec<usize> = out
        .resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == USER)
        .map(|(i, _)| i)
        .collect();
    let names: Vec<String> = users
        .iter()
        .map(|&i| out.resources[i].name.clone())
        .collect();
    let facts = bounded(names, cx.fanout, |name| {
        let client = client.clone();
        async move { user_facts(&client, &name).await }
    })
    .await;
    let mut recorded = Out::default();
    for (i, facts) in users.into_iter().zip(facts) {
        let r = &mut out.resources[i];
        let row = report.as_ref().ok().and_then(|rows| rows.get(&r.name));
        apply_user_facts(r, facts, row, report.as_ref().err(), &mut recorded);
    }
    out.errors.append(&mut recorded.errors);

    account(scope, &client, report.as_ref(), &mut out).await;
    if let Some(r) = out.resources.iter_mut().rev().find(|r| r.kind == ACCOUNT) {
        let mut contact_out = Out::default();
        security_contact(
            &aws_sdk_account::Client::new(&cx.config),
            r,
            &mut contact_out,
        )
        .await;
        out.errors.append(&mut contact_out.errors);
    }
    super::s3control::account_block(&cx, &mut out).await;
    out
}

/// Whether the account registers a security contact (`GetAlternateContact SECURITY`), for
/// AWS to reach about abuse and compromise. Only that it is there is kept: the name, address
/// and number are personal data no policy needs.
async fn security_contact(
    client: &aws_sdk_account::Client,
    r: &mut crate::inventory::Resource,
    out: &mut Out,
) {
    use aws_sdk_account::types::AlternateContactType;
    match client
        .get_alternate_contact()
        .alternate_contact_type(AlternateContactType::Security)
        .send()
        .await
    {
        Ok(c) => {
            let contact = c.alternate_contact();
            let given = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
            r.attrs["security_contact_registered"] = json!(
                given(contact.and_then(|c| c.email_address()))
                    || given(contact.and_then(|c| c.phone_number()))
            );
        }
        Err(e) if code(&e) == Some("ResourceNotFoundException") => {
            r.attrs["security_contact_registered"] = json!(false);
        }
        Err(e) => out.unreadable(
            r,
            &["/security_contact_registered"],
            "account",
            format!("GetAlternateContact SECURITY: {}", describe(&e)),
        ),
    }
}

fn user(scope: &Scope, u: &aws_sdk_iam::types::UserDetail, out: &mut Out) {
    let Some(name) = out.required(
        scope,
        SERVICE,
        USER,
        u.user_name(),
        "UserName (GetAccountAuthorizationDetails)",
    ) else {
        return;
    };
    let arn = u.arn().map(str::to_string);
    out.push(scope.resource(
        USER,
        name,
        arn.clone(),
        json!({
            "id": name,
            "name": name,
            "arn": s(arn.as_deref()),
            "path": s(u.path()),
            "unique_id": s(u.user_id()),
            "create_date": time(u.create_date()),
            "permissions_boundary": se(u.permissions_boundary().and_then(|b| b.permissions_boundary_arn())),
            "tags": tags(u.tags()),
        }),
    ));
    inline(scope, USER_POLICY, "user", name, u.user_policy_list(), out);
    for a in u.attached_managed_policies() {
        attachment(scope, USER_ATTACHMENT, "user", name, a.policy_arn(), out);
    }
    if !u.group_list().is_empty() {
        out.push(group_membership(scope, name, u.group_list()));
    }
}

fn role(scope: &Scope, r: &aws_sdk_iam::types::RoleDetail, out: &mut Out) {
    let Some(name) = out.required(
        scope,
        SERVICE,
        ROLE,
        r.role_name(),
        "RoleName (GetAccountAuthorizationDetails)",
    ) else {
        return;
    };
    let arn = r.arn().map(str::to_string);
    out.push(scope.resource(
        ROLE,
        name,
        arn.clone(),
        json!({
            "id": name,
            "name": name,
            "arn": s(arn.as_deref()),
            "path": s(r.path()),
            "unique_id": s(r.role_id()),
            "create_date": time(r.create_date()),
            "assume_role_policy": r.assume_role_policy_document().map_or(Value::Null, policy_document),
            "permissions_boundary": se(r.permissions_boundary().and_then(|b| b.permissions_boundary_arn())),
            "role_last_used": [{
                "last_used_date": time(r.role_last_used().and_then(|l| l.last_used_date())),
                "region": s(r.role_last_used().and_then(|l| l.region())),
            }],
            "tags": tags(r.tags()),
        }),
    ));
    inline(scope, ROLE_POLICY, "role", name, r.role_policy_list(), out);
    for a in r.attached_managed_policies() {
        attachment(scope, ROLE_ATTACHMENT, "role", name, a.policy_arn(), out);
    }
}

fn group(scope: &Scope, g: &aws_sdk_iam::types::GroupDetail, out: &mut Out) {
    let Some(name) = out.required(
        scope,
        SERVICE,
        GROUP,
        g.group_name(),
        "GroupName (GetAccountAuthorizationDetails)",
    ) else {
        return;
    };
    let arn = g.arn().map(str::to_string);
    out.push(scope.resource(
        GROUP,
        name,
        arn.clone(),
        json!({
            "id": name,
            "name": name,
            "arn": s(arn.as_deref()),
            "path": s(g.path()),
            "unique_id": s(g.group_id()),
        }),
    ));
    inline(
        scope,
        GROUP_POLICY,
        "group",
        name,
        g.group_policy_list(),
        out,
    );
    for a in g.attached_managed_policies() {
        attachment(scope, GROUP_ATTACHMENT, "group", name, a.policy_arn(), out);
    }
}

fn managed_policy(scope: &Scope, m: &aws_sdk_iam::types::ManagedPolicyDetail, out: &mut Out) {
    let Some(name) = out.required(
        scope,
        SERVICE,
        POLICY,
        m.policy_name(),
        "PolicyName (a managed policy in GetAccountAuthorizationDetails)",
    ) else {
        return;
    };
    let arn = m.arn().map(str::to_string);
    let document = m
        .policy_version_list()
        .iter()
        .find(|v| v.is_default_version())
        .and_then(|v| v.document())
        .map_or(Value::Null, policy_document);
    let facts = ManagedPolicyFacts {
        name: name.to_string(),
        arn,
        path: s(m.path()),
        policy_id: s(m.policy_id()),
        description: se(m.description()),
        default_version_id: s(m.default_version_id()),
        attachment_count: n(m.attachment_count().map(i64::from)),
        document,
    };
    out.push(managed_policy_resource(
        scope,
        facts,
        |kind, name, arn, attrs| scope.resource(kind, name, arn, attrs),
    ));
}

// The provider's shape of IAM's policies and their satellites, built here for the IAM API
// and AWS Config items (`config/iam.rs`) alike.

/// An inline policy of a user, role or group (`owner_field`: `user`, `role` or `group`).
pub(super) fn inline_policy(
    scope: &Scope,
    owner_field: &str,
    owner: &str,
    name: &str,
    document: Value,
) -> Resource {
    let id = format!("{owner}:{name}");
    let attrs = json!({"id": id, "name": name, owner_field: owner, "policy": document});
    scope.resource(&format!("aws_iam_{owner_field}_policy"), &id, None, attrs)
}

/// A managed policy attached to a user, role or group.
pub(super) fn policy_attachment(
    scope: &Scope,
    owner_field: &str,
    owner: &str,
    policy_arn: &str,
) -> Resource {
    let policy_name = policy_arn.rsplit('/').next().unwrap_or(policy_arn);
    let id = format!("{owner}/{policy_name}");
    let attrs = json!({"id": id, owner_field: owner, "policy_arn": policy_arn});
    let kind = format!("aws_iam_{owner_field}_policy_attachment");
    scope.resource(&kind, &id, None, attrs)
}

/// The groups a user belongs to.
pub(super) fn group_membership(scope: &Scope, user: &str, groups: &[String]) -> Resource {
    let attrs = json!({"id": user, "user": user, "groups": groups});
    scope.resource(MEMBERSHIP, user, None, attrs)
}

/// A customer-managed policy, as both sources describe it.
pub(super) struct ManagedPolicyFacts {
    pub name: String,
    pub arn: Option<String>,
    pub path: Value,
    pub policy_id: Value,
    pub description: Value,
    pub default_version_id: Value,
    pub attachment_count: Value,
    /// The default version's document.
    pub document: Value,
}

/// The `aws_iam_policy` resource, made by `make` (kind, name, ARN, attributes) as the source
/// makes its resources. Several policies may share a name on different paths, so its id
/// carries the ARN.
pub(super) fn managed_policy_resource(
    scope: &Scope,
    m: ManagedPolicyFacts,
    make: impl FnOnce(&str, &str, Option<String>, Value) -> Resource,
) -> Resource {
    let attrs = json!({
        "id": m.arn,
        "name": m.name,
        "arn": m.arn,
        "path": m.path,
        "policy_id": m.policy_id,
        "description": m.description,
        "default_version_id": m.default_version_id,
        "attachment_count": m.attachment_count,
        "policy": m.document,
    });
    let mut r = make(POLICY, &m.name, m.arn.clone(), attrs);
    if let Some(arn) = &m.arn {
        r.id = format!("aws:{}:{}:{POLICY}:{arn}", scope.account, scope.region);
        r.cloud_id = Some(arn.clone());
    }
    r
}

fn inline(
    scope: &Scope,
    kind: &str,
    owner_field: &str,
    owner: &str,
    policies: &[PolicyDetail],
    out: &mut Out,
) {
    for p in policies {
        let Some(name) = out.required(
            scope,
            SERVICE,
            kind,
            p.policy_name(),
            &format!("PolicyName (an inline policy of {owner})"),
        ) else {
            continue;
        };
        let document = p.policy_document().map_or(Value::Null, policy_document);
        out.push(inline_policy(scope, owner_field, owner, name, document));
    }
}

fn attachment(
    scope: &Scope,
    kind: &str,
    owner_field: &str,
    owner: &str,
    policy_arn: Option<&str>,
    out: &mut Out,
) {
    let Some(policy_arn) = out.required(
        scope,
        SERVICE,
        kind,
        policy_arn,
        &format!("PolicyArn (a policy attached to {owner})"),
    ) else {
        return;
    };
    out.push(policy_attachment(scope, owner_field, owner, policy_arn));
}

/// What the per-user calls found.
struct UserFacts {
    keys: Result<Vec<Value>, String>,
    mfa: Result<bool, String>,
    password: Result<bool, String>,
}

async fn user_facts(client: &Client, name: &str) -> UserFacts {
    let keys = match client
        .list_access_keys()
        .user_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(keys) => {
            let mut out = Vec::new();
            let mut failed = None;
            for k in keys {
                let Some(id) = k.access_key_id() else {
                    failed = Some("ListAccessKeys: an access key without AccessKeyId".into());
                    continue;
                };
                match client
                    .get_access_key_last_used()
                    .access_key_id(id)
                    .send()
                    .await
                {
                    Ok(used) => {
                        let last = used.access_key_last_used();
                        let service = last.map(|l| l.service_name()).filter(|s| *s != "N/A");
                        out.push(json!({
                            "access_key_id": id,
                            "status": s(k.status().map(|s| s.as_str())),
                            "create_date": time(k.create_date()),
                            "last_used_date": time(last.and_then(|l| l.last_used_date())),
                            "last_used_service": s(service),
                        }));
                    }
                    Err(e) => failed = Some(format!("GetAccessKeyLastUsed {id}: {}", describe(&e))),
                }
            }
            match failed {
                Some(m) => Err(m),
                None => Ok(out),
            }
        }
        Err(e) => Err(format!("ListAccessKeys: {}", describe(&e))),
    };
    let mfa = client
        .list_mfa_devices()
        .user_name(name)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map(|d| !d.is_empty())
        .map_err(|e| format!("ListMFADevices: {}", describe(&e)));
    let password = match client.get_login_profile().user_name(name).send().await {
        Ok(_) => Ok(true),
        Err(e) if code(&e) == Some("NoSuchEntity") => Ok(false),
        Err(e) => Err(format!("GetLoginProfile: {}", describe(&e))),
    };
    UserFacts {
        keys,
        mfa,
        password,
    }
}

fn apply_user_facts(
    r: &mut crate::inventory::Resource,
    facts: UserFacts,
    row: Option<&Row>,
    report_error: Option<&String>,
    out: &mut Out,
) {
    match facts.keys {
        Ok(keys) => r.attrs["access_keys"] = Value::Array(keys),
        Err(m) => out.unreadable(r, &["/access_keys"], SERVICE, m),
    }
    match facts.mfa {
        Ok(mfa) => r.attrs["mfa_enabled"] = json!(mfa),
        Err(m) => out.unreadable(r, &["/mfa_enabled"], SERVICE, m),
    }
    match facts.password {
        Ok(p) => r.attrs["password_enabled"] = json!(p),
        Err(m) => out.unreadable(r, &["/password_enabled"], SERVICE, m),
    }
    match (row, report_error) {
        (Some(row), _) => {
            r.attrs["password_last_used"] = report_date(row.get("password_last_used"))
        }
        // A user created after the report was generated has no row yet.
        (None, None) => r.attrs["password_last_used"] = Value::Null,
        (None, Some(m)) => out.unreadable(r, &["/password_last_used"], SERVICE, m.clone()),
    }
}

/// A credential report date column: RFC 3339, or `null` for "N/A", "no_information", ...
fn report_date(v: Option<&String>) -> Value {
    match v {
        Some(v) if v.len() >= 10 && v.as_bytes()[4] == b'-' => {
            // The report writes `2024-05-01T10:00:00+00:00`; keep it as RFC 3339 in UTC.
            match chrono::DateTime::parse_from_rfc3339(v) {
                Ok(t) => json!(
                    t.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                Err(_) => json!(v),
            }
        }
        _ => Value::Null,
    }
}

/// Generates (read-only: it only assembles a report of existing users) and reads the
/// credential report. Rows by user name; the root user is `<root_account>`.
async fn credential_report(client: &Client) -> Result<HashMap<String, Row>, String> {
    // Generation is asynchronous: ask until it is complete, for at most about a minute.
    let mut ready = false;
    for attempt in 0..30 {
        match client.generate_credential_report().send().await {
            Ok(o) if o.state().map(|s| s.as_str()) == Some("COMPLETE") => {
                ready = true;
                break;
            }
            Ok(_) => {}
            Err(e) => return Err(format!("GenerateCredentialReport: {}", describe(&e))),
        }
        tokio::time::sleep(Duration::from_millis(200 * (attempt + 1).min(10))).await;
    }
    if !ready {
        return Err("the credential report was not ready after a minute".into());
    }
    let report = client
        .get_credential_report()
        .send()
        .await
        .map_err(|e| format!("GetCredentialReport: {}", describe(&e)))?;
    let content = report
        .content()
        .map(|b| b.as_ref().to_vec())
        .unwrap_or_default();
    parse_report(&content)
}

fn parse_report(content: &[u8]) -> Result<HashMap<String, Row>, String> {
    let mut reader = csv::Reader::from_reader(content);
    let headers = reader
        .headers()
        .map_err(|e| format!("credential report: {e}"))?
        .clone();
    let mut rows = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("credential report: {e}"))?;
        let row: Row = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect();
        if let Some(user) = row.get("user").cloned() {
            rows.insert(user, row);
        }
    }
    Ok(rows)
}

async fn account(
    scope: &Scope,
    client: &Client,
    report: Result<&HashMap<String, Row>, &String>,
    out: &mut Out,
) {
    let account_id = scope.account.to_string();
    let mut r = scope.resource(
        ACCOUNT,
        &account_id,
        Some(account_id.clone()),
        json!({"id": account_id, "account_id": account_id}),
    );

    let summary = client.get_account_summary().send().await;
    let root = report.ok().and_then(|rows| rows.get("<root_account>"));
    match &summary {
        Ok(sum) => {
            let map = sum.summary_map();
            let get = |k: &str| {
                map.and_then(|m| m.iter().find(|(key, _)| key.as_str() == k).map(|(_, v)| *v))
            };
            r.attrs["root_mfa_enabled"] = json!(get("AccountMFAEnabled").unwrap_or(0) > 0);
            r.attrs["root_access_keys_present"] =
                json!(get("AccountAccessKeysPresent").unwrap_or(0) > 0);
            let mut summary_json: Vec<(String, i32)> = map
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.as_str().to_string(), *v))
                        .collect()
                })
                .unwrap_or_default();
            summary_json.sort();
            r.attrs["summary"] = Value::Object(
                summary_json
                    .into_iter()
                    .map(|(k, v)| (k, json!(v)))
                    .collect(),
            );
        }
        Err(e) => match root {
            // The credential report says the same about the root user.
            Some(row) => {
                let yes = |c: &str| row.get(c).is_some_and(|v| v == "true");
                r.attrs["root_mfa_enabled"] = json!(yes("mfa_active"));
                r.attrs["root_access_keys_present"] =
                    json!(yes("access_key_1_active") || yes("access_key_2_active"));
            }
            None => out.unreadable(
                &mut r,
                &["/root_mfa_enabled", "/root_access_keys_present"],
                SERVICE,
                format!("GetAccountSummary: {}", describe(e)),
            ),
        },
    }
    match (root, report) {
        (Some(row), _) => {
            r.attrs["root_password_last_used"] = report_date(row.get("password_last_used"))
        }
        (None, Err(m)) => out.unreadable(&mut r, &["/root_password_last_used"], SERVICE, m.clone()),
        (None, Ok(_)) => r.attrs["root_password_last_used"] = Value::Null,
    }

    match client.get_account_password_policy().send().await {
        Ok(p) => {
            r.attrs["password_policy_set"] = json!(true);
            if let Some(p) = p.password_policy() {
                out.push(scope.resource(
                    PASSWORD_POLICY,
                    &account_id,
                    None,
                    json!({
                        "id": "iam-account-password-policy",
                        "minimum_password_length": n(p.minimum_password_length().map(i64::from)),
                        "require_lowercase_characters": p.require_lowercase_characters(),
                        "require_uppercase_characters": p.require_uppercase_characters(),
                        "require_numbers": p.require_numbers(),
                        "require_symbols": p.require_symbols(),
                        "allow_users_to_change_password": p.allow_users_to_change_password(),
                        "expire_passwords": p.expire_passwords(),
                        "max_password_age": n(p.max_password_age().map(i64::from)),
                        "password_reuse_prevention": n(p.password_reuse_prevention().map(i64::from)),
                        "hard_expiry": p.hard_expiry(),
                    }),
                ));
            }
        }
        Err(e) if code(&e) == Some("NoSuchEntity") => r.attrs["password_policy_set"] = json!(false),
        Err(e) => {
            out.unreadable(&mut r, &["/password_policy_set"], SERVICE, describe(&e));
            out.kinds.insert(PASSWORD_POLICY.into(), false);
        }
    }
    out.push(r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_credential_report() {
        let csv = "user,arn,user_creation_time,password_enabled,password_last_used,mfa_active,access_key_1_active,access_key_2_active\n\
                   <root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2024-05-01T10:00:00+00:00,false,true,false\n\
                   alice,arn:aws:iam::123456789012:user/alice,2021-02-03T04:05:06+00:00,true,N/A,true,false,false\n";
        let rows = parse_report(csv.as_bytes()).unwrap();
        assert_eq!(rows["<root_account>"]["access_key_1_active"], "true");
        assert_eq!(
            report_date(rows["<root_account>"].get("password_last_used")),
            json!("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            report_date(rows["alice"].get("password_last_used")),
            Value::Null
        );
    }
}
