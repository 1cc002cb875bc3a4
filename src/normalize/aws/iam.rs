//! IAM: policy documents, roles, users, groups, the account password policy, and the live
//! account summary (`aws_account`).
//!
//! Credential facts (access keys, password use, MFA) exist only in live inventories (see
//! `docs/live-aws-shapes.md`); for users read from Terraform, `credential_report` is false and
//! the policies about credentials do not apply.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::inventory::Attr;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::policy_document::{Document, Grants, grants, read, trusts_anyone};
use crate::normalize::value::{
    At, any_of, as_bool, bool_at, elements, int_at, list_at, str_at, strings_at,
};

/// The AWS managed policy granting `*` on `*`.
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn set_grants(f: &mut Setter<'_>, g: Option<Grants>, attached_admin: Option<bool>) {
    let g = g.unwrap_or(Grants {
        admin: None,
        service_wildcards: None,
        pass_role_any: None,
        secret_reads_any: None,
    });
    f.set("admin_access", any_of([g.admin, attached_admin]));
    f.set("service_wildcards", g.service_wildcards);
    f.set("pass_role_any", g.pass_role_any);
    f.set("secret_reads_any", g.secret_reads_any);
}

/// The grants of several documents together.
fn combined<'a>(docs: impl IntoIterator<Item = Document<'a>>) -> Grants {
    let mut all = Grants::default();
    for doc in docs {
        match doc.root() {
            Some(Some(root)) => all.merge(grants(&root)),
            Some(None) => {}
            None => all.merge(Grants {
                admin: None,
                service_wildcards: None,
                pass_role_any: None,
                secret_reads_any: None,
            }),
        }
    }
    all
}

/// `aws_iam_policy`, `aws_iam_role_policy`, `aws_iam_user_policy`, `aws_iam_group_policy`.
pub(super) fn policy(d: &Derive<'_>, f: &mut Setter<'_>) {
    set_grants(f, Some(combined([read(d.r, "/policy")])), Some(false));
}

/// Whether `AdministratorAccess` is attached through satellites of `kind` or
/// `aws_iam_policy_attachment`, or the `managed_policy_arns` list, or a customer-managed
/// policy of the estate granting `*` on `*` is (the normaliser links those under their
/// attachments).
fn admin_attached(d: &Derive<'_>, kind: &str) -> Option<bool> {
    let customer = d
        .linked("aws_iam_policy")
        .map(|p| combined([read(p, "/policy")]).admin);
    let attachments = d
        .linked(kind)
        .chain(d.linked("aws_iam_policy_attachment"))
        .map(|a| match str_at(a, "/policy_arn") {
            Some(arn) => Some(arn == ADMINISTRATOR_ACCESS),
            // `aws_iam_policy.x.arn`: a policy of the configuration, whose document the
            // normaliser links in (`customer` above), not the AWS managed one.
            None if a.references.contains_key("/policy_arn") => Some(false),
            None => None,
        });
    let managed = At::root(d.r).any_text("/managed_policy_arns", |a| a == ADMINISTRATOR_ACCESS);
    any_of(attachments.chain([managed]).chain(customer))
}

pub(super) fn role(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set(
        "trust_anyone",
        read(r, "/assume_role_policy").judge(false, trusts_anyone),
    );
    // Inline policies written as `inline_policy` blocks of the role.
    let inline = elements(r, "/inline_policy").map(|blocks| {
        combined((0..blocks.len()).map(|i| read(r, &format!("/inline_policy/{i}/policy"))))
    });
    set_grants(
        f,
        inline,
        admin_attached(d, "aws_iam_role_policy_attachment"),
    );
}

pub(super) fn group(d: &Derive<'_>, f: &mut Setter<'_>) {
    f.set(
        "admin_access",
        admin_attached(d, "aws_iam_group_policy_attachment"),
    );
}

/// Days from an RFC 3339 date to `as_of`; `None` for anything else (never used, N/A).
fn days_since(date: Option<&Value>, as_of: DateTime<Utc>) -> Option<i64> {
    let date = DateTime::parse_from_rfc3339(date?.as_str()?).ok()?;
    Some((as_of - date.with_timezone(&Utc)).num_days().max(0))
}

pub(super) fn user(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let direct = d.linked("aws_iam_user_policy").count()
        + d.linked("aws_iam_user_policy_attachment").count()
        + d.linked("aws_iam_policy_attachment").count();
    let live = strings_at(r, "/managed_policy_arns")
        .map(|a| a.len())
        .unwrap_or(0)
        + strings_at(r, "/inline_policy_names")
            .map(|a| a.len())
            .unwrap_or(0);
    f.set("attached_policies", Some((direct + live) as i64));
    f.set(
        "admin_access",
        admin_attached(d, "aws_iam_user_policy_attachment"),
    );

    // Credential facts: present in live inventories only.
    let report = match (r.attr("/access_keys"), r.attr("/password_enabled")) {
        (Attr::Unknown, _) | (_, Attr::Unknown) => None,
        (Attr::Absent, Attr::Absent) => Some(false),
        _ => Some(true),
    };
    f.set("credential_report", report);
    // From Terraform there is nothing to judge: the credential facets stay null, and the
    // policies reading them apply only where `credential_report` is true.
    if report != Some(true) {
        return;
    }
    let console = bool_at(r, "/password_enabled", false);
    f.set("console_access", console);
    f.set("mfa_enabled", bool_at(r, "/mfa_enabled", false));
    let keys = list_at(r, "/access_keys").unwrap_or_default();
    let active: Vec<&Value> = keys
        .iter()
        .filter(|k| k.get("status").and_then(Value::as_str) == Some("Active"))
        .collect();
    f.set("active_access_keys", Some(active.len() as i64));
    f.set(
        "oldest_active_key_days",
        Some(
            active
                .iter()
                .filter_map(|k| days_since(k.get("create_date"), d.as_of))
                .max()
                .unwrap_or(0),
        ),
    );
    // How long the stalest active credential has gone unused: since its last use, or since
    // its creation when never used.
    let mut unused = active
        .iter()
        .filter_map(|k| {
            days_since(k.get("last_used_date"), d.as_of)
                .or_else(|| days_since(k.get("create_date"), d.as_of))
        })
        .max()
        .unwrap_or(0);
    if console == Some(true) {
        let since = days_since(r.attrs.get("password_last_used"), d.as_of)
            .or_else(|| days_since(r.attrs.get("create_date"), d.as_of))
            .unwrap_or(0);
        unused = unused.max(since);
    }
    f.set("unused_credential_days", Some(unused));
}

/// `aws_iam_account_password_policy`, with IAM's defaults for unset fields.
pub(super) fn password_policy(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set(
        "minimum_password_length",
        int_at(r, "/minimum_password_length", 6),
    );
    f.set(
        "password_reuse_prevention",
        int_at(r, "/password_reuse_prevention", 0),
    );
    let require = |name: &str| bool_at(r, &format!("/require_{name}"), false);
    let flags = [
        require("lowercase_characters"),
        require("uppercase_characters"),
        require("numbers"),
        require("symbols"),
    ];
    f.set(
        "requires_complexity",
        flags
            .iter()
            .copied()
            .collect::<Option<Vec<bool>>>()
            .map(|v| v.iter().all(|b| *b)),
    );
}

/// `aws_account` (live only): the root user's credentials, the security contact.
pub(super) fn account(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let flag = |pointer: &str| match r.attr(pointer) {
        Attr::Known(v) => as_bool(v),
        _ => None,
    };
    f.set("root_access_keys", flag("/root_access_keys_present"));
    f.set("root_mfa", flag("/root_mfa_enabled"));
    f.set("security_contact", flag("/security_contact_registered"));
}
