//! Reading AWS policy documents (IAM identity and trust policies, S3 bucket, KMS key, ECR
//! repository and Secrets Manager resource policies): what a document allows, and to whom.
//!
//! The analysis is deliberately literal: it reads `Effect`, `Principal`, `Action` /
//! `NotAction`, `Resource` and whether a `Condition` is present. A condition is taken to
//! narrow a statement (it usually does: `aws:SourceArn`, `aws:PrincipalOrgID`), so a
//! conditioned statement never raises an alarm on its own.
//!
//! A document arrives as JSON text (a plan, a state, a live read), or as the JSON value
//! itself with its unknown positions listed in [`Resource::unknown`] under the attribute (HCL
//! `jsonencode(...)` and `aws_iam_policy_document` whose content is partly known only after
//! apply). Either way each statement is judged on the fields a question reads: a statement
//! naming `aws_s3_bucket.b.arn` as its `Resource` leaves every other statement, and its own
//! `Action`, judged. Every answer is three-valued (`None`: unknown), decided whenever the
//! known part decides it.

use serde_json::Value;

use super::value::{At, all_of, any_of, as_bool};
use crate::inventory::{Attr, Resource};

/// A policy document attribute, read.
pub(super) enum Document<'a> {
    /// The attribute (or the text it is built from) is known only after apply.
    Unknown,
    /// No document: the attribute is not set, or empty.
    Absent,
    /// JSON text, parsed (text that is not JSON is `Null`, which allows nothing).
    Parsed(&'a Resource, Value),
    /// The document as a JSON value in the attributes, unknowns marked in place.
    InPlace(At<'a>),
}

impl<'a> Document<'a> {
    /// The document's root: `Some(None)` when there is none, `None` when unknown.
    pub(super) fn root(&self) -> Option<Option<At<'_>>> {
        match self {
            Document::Unknown => None,
            Document::Absent => Some(None),
            Document::Parsed(r, v) => Some(Some(At::detached(r, v))),
            Document::InPlace(at) => Some(Some(at.clone())),
        }
    }

    /// A question about the document; a missing document answers `none`.
    pub(super) fn judge(
        &self,
        none: bool,
        f: impl FnOnce(&At<'_>) -> Option<bool>,
    ) -> Option<bool> {
        match self.root()? {
            Some(doc) => f(&doc),
            None => Some(none),
        }
    }
}

/// Reads the policy document at `pointer` of `r`, text or value.
pub(super) fn read<'a>(r: &'a Resource, pointer: &str) -> Document<'a> {
    match r.attr(pointer) {
        Attr::Unknown => Document::Unknown,
        Attr::Absent => Document::Absent,
        Attr::Known(Value::String(text)) if text.trim().is_empty() => Document::Absent,
        Attr::Known(Value::String(text)) => {
            Document::Parsed(r, serde_json::from_str(text).unwrap_or(Value::Null))
        }
        Attr::Known(Value::Object(_) | Value::Array(_)) => {
            Document::InPlace(At::root(r).at(pointer))
        }
        Attr::Known(_) => Document::Parsed(r, Value::Null),
    }
}

/// The statements of a document (a single statement object counts as a list of one); `None`
/// when the list is unknown.
pub(super) fn statements<'a>(policy: &At<'a>) -> Option<Vec<At<'a>>> {
    policy.list("/Statement")
}

/// A string-or-list JSON value as a list.
pub(super) fn one_or_many(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    }
}

/// A string-or-list field, each value as text (`None` where unknown); `None` when the field
/// itself is unknown.
fn values(s: &At<'_>, field: &str) -> Option<Vec<Option<String>>> {
    let one = |at: &At<'_>| match at.attr() {
        Attr::Known(Value::String(v)) => Some(v.clone()),
        Attr::Known(v) => Some(v.to_string()),
        Attr::Absent => Some(String::new()),
        Attr::Unknown => None,
    };
    match s.get(field) {
        Attr::Unknown => None,
        Attr::Absent => Some(Vec::new()),
        Attr::Known(Value::Array(_)) => Some(s.list(field)?.iter().map(one).collect()),
        Attr::Known(_) => Some(vec![one(&s.at(field))]),
    }
}

/// Whether a string-or-list field holds a value `pred` accepts (three-valued).
fn any_value(s: &At<'_>, field: &str, pred: impl Fn(&str) -> bool) -> Option<bool> {
    any_of(values(s, field)?.iter().map(|v| v.as_deref().map(&pred)))
}

/// Whether a field is present (its content may still be partly unknown).
fn present(s: &At<'_>, field: &str) -> Option<bool> {
    match s.get(field) {
        Attr::Unknown => None,
        Attr::Absent => Some(false),
        Attr::Known(_) => Some(true),
    }
}

fn effect(s: &At<'_>, wanted: &str) -> Option<bool> {
    s.text("/Effect").map(|e| e == wanted)
}

/// `Principal: "*"` or `{"AWS": "*"}`: anyone, in any account, signed in or not.
fn anyone(s: &At<'_>) -> Option<bool> {
    match s.get("/Principal") {
        Attr::Unknown => None,
        Attr::Absent => Some(false),
        Attr::Known(Value::Object(_)) => any_value(s, "/Principal/AWS", |p| p == "*"),
        Attr::Known(_) => any_value(s, "/Principal", |p| p == "*"),
    }
}

/// A statement allowing anyone (`Principal: "*"`) with no condition.
pub(super) fn allows_anonymous(policy: &At<'_>) -> Option<bool> {
    any_of(statements(policy)?.iter().map(|s| {
        all_of([
            effect(s, "Allow"),
            anyone(s),
            present(s, "/Condition").map(|c| !c),
        ])
    }))
}

/// A statement denying requests where `aws:SecureTransport` is false.
pub(super) fn denies_insecure_transport(policy: &At<'_>) -> Option<bool> {
    any_of(statements(policy)?.iter().map(|s| {
        all_of([
            effect(s, "Deny"),
            any_value(s, "/Condition/Bool/aws:SecureTransport", |v| {
                as_bool(&Value::String(v.to_string())) == Some(false)
            }),
        ])
    }))
}

/// Whether an IAM action pattern (`s3:Get*`, `*`) covers `action` (`s3:GetObject`).
/// Both are compared case-insensitively, as IAM does.
pub(super) fn action_matches(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// `*` matches any run of characters, `?` one character.
pub(super) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// What an identity policy grants, as the facets present it; each `None` when a field it
/// depends on is unknown. The lists hold what is known to be granted: one known wildcard is
/// listed (and decides a policy wanting none) beside a statement whose actions are unknown; a
/// list is `None` only when it would be empty but an unknown could add to it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Grants {
    /// `Action: "*"` on `Resource: "*"`: full administrative access.
    pub admin: Option<bool>,
    /// Actions granting every action of a service (`s3:*`), or everything (`*`), and
    /// `NotAction` allows (`NotAction:iam:*`), in document order, without repeats.
    pub service_wildcards: Option<Vec<String>>,
    /// `iam:PassRole` on every role.
    pub pass_role_any: Option<bool>,
    /// Secret-reading actions (`secretsmanager:GetSecretValue`, `ssm:GetParameter*`,
    /// `kms:Decrypt`) granted on every resource.
    pub secret_reads_any: Option<Vec<String>>,
}

impl Default for Grants {
    /// What no document grants: nothing, known.
    fn default() -> Self {
        Grants {
            admin: Some(false),
            service_wildcards: Some(Vec::new()),
            pass_role_any: Some(false),
            secret_reads_any: Some(Vec::new()),
        }
    }
}

impl Grants {
    /// What two documents grant together.
    pub(super) fn merge(&mut self, other: Grants) {
        self.admin = any_of([self.admin, other.admin]);
        self.pass_role_any = any_of([self.pass_role_any, other.pass_role_any]);
        for (mine, theirs) in [
            (&mut self.service_wildcards, other.service_wildcards),
            (&mut self.secret_reads_any, other.secret_reads_any),
        ] {
            let unsure = mine.is_none() || theirs.is_none();
            let mut all = mine.take().unwrap_or_default();
            for x in theirs.unwrap_or_default() {
                if !all.contains(&x) {
                    all.push(x);
                }
            }
            *mine = known_list(all, unsure);
        }
    }
}

const SECRET_READS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
];

/// A list of what is known to be granted: `None` when it is empty but `unsure`.
fn known_list(items: Vec<String>, unsure: bool) -> Option<Vec<String>> {
    (!items.is_empty() || !unsure).then_some(items)
}

/// Whether an action names every action of a service, or everything.
fn wildcard(action: &str) -> bool {
    action == "*" || action == "*:*" || action.split_once(':').is_some_and(|(_, rest)| rest == "*")
}

/// One `Allow` statement's contribution, each part three-valued.
struct Statement<'s, 'a> {
    s: &'s At<'a>,
    allow: Option<bool>,
    every_resource: Option<bool>,
    actions: Option<Vec<Option<String>>>,
    not_actions: Option<Vec<Option<String>>>,
}

impl Statement<'_, '_> {
    /// Whether the statement grants `wanted` (on whatever resources it names).
    fn grants_action(&self, wanted: &str) -> Option<bool> {
        let matches = |list: &Option<Vec<Option<String>>>| {
            list.as_ref().and_then(|l| {
                any_of(
                    l.iter()
                        .map(|a| a.as_deref().map(|a| action_matches(a, wanted))),
                )
            })
        };
        let by_not_action = match present(self.s, "/NotAction") {
            Some(true) => matches(&self.not_actions).map(|m| !m),
            other => other,
        };
        any_of([matches(&self.actions), by_not_action])
    }

    /// Whether the statement grants `wanted` on every resource.
    fn grants_everywhere(&self, wanted: &str) -> Option<bool> {
        all_of([self.allow, self.every_resource, self.grants_action(wanted)])
    }
}

/// The grants of the `Allow` statements of an identity policy.
pub(super) fn grants(policy: &At<'_>) -> Grants {
    let Some(list) = statements(policy) else {
        return Grants {
            admin: None,
            service_wildcards: None,
            pass_role_any: None,
            secret_reads_any: None,
        };
    };
    let statements: Vec<Statement<'_, '_>> = list
        .iter()
        .map(|s| Statement {
            s,
            allow: effect(s, "Allow"),
            every_resource: any_of([
                any_value(s, "/Resource", |r| r == "*"),
                present(s, "/NotResource"),
            ]),
            actions: values(s, "/Action"),
            not_actions: values(s, "/NotAction"),
        })
        .collect();

    // The wildcards of statements that allow; unknown when a statement that might allow one
    // has an unknown effect or action.
    let mut service_wildcards = Vec::new();
    let mut wildcards_unsure = false;
    for st in &statements {
        if st.allow == Some(false) {
            continue;
        }
        let mut found = Vec::new();
        let mut unsure = false;
        for (list, prefix) in [(&st.actions, ""), (&st.not_actions, "NotAction:")] {
            match list {
                None => unsure = true,
                Some(items) => {
                    for a in items {
                        match a {
                            Some(a) if prefix.is_empty() && !wildcard(a) => {}
                            Some(a) => found.push(format!("{prefix}{a}")),
                            None => unsure = true,
                        }
                    }
                }
            }
        }
        wildcards_unsure |= unsure;
        // A statement of unknown effect may or may not grant what it names.
        if st.allow.is_none() {
            wildcards_unsure |= !found.is_empty();
            continue;
        }
        for w in found {
            if !service_wildcards.contains(&w) {
                service_wildcards.push(w);
            }
        }
    }

    let admin = any_of(statements.iter().map(|st| {
        all_of([
            st.allow,
            st.every_resource,
            st.actions.as_ref().and_then(|l| {
                any_of(
                    l.iter()
                        .map(|a| a.as_deref().map(|a| a == "*" || a == "*:*")),
                )
            }),
        ])
    }));
    let pass_role_any = any_of(
        statements
            .iter()
            .map(|st| st.grants_everywhere("iam:PassRole")),
    );
    let mut secret_reads_any = Vec::new();
    let mut reads_unsure = false;
    for wanted in SECRET_READS {
        match any_of(statements.iter().map(|st| st.grants_everywhere(wanted))) {
            Some(true) => secret_reads_any.push((*wanted).to_string()),
            Some(false) => {}
            None => reads_unsure = true,
        }
    }
    Grants {
        admin,
        service_wildcards: known_list(service_wildcards, wildcards_unsure),
        pass_role_any,
        secret_reads_any: known_list(secret_reads_any, reads_unsure),
    }
}

/// A trust policy letting anyone assume the role: `Principal: "*"` (or `{"AWS": "*"}`)
/// with no condition.
pub(super) fn trusts_anyone(policy: &At<'_>) -> Option<bool> {
    allows_anonymous(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Source;
    use serde_json::json;

    /// A resource whose `/policy` holds `doc`, with `unknown` pointers below it.
    fn with_policy(doc: Value, unknown: &[&str]) -> Resource {
        let mut r = Resource::new(
            "tf:aws_iam_policy.p",
            "aws_iam_policy",
            Source::File {
                path: "main.tf".into(),
                start_line: 1,
                end_line: 1,
                module_calls: Vec::new(),
            },
        );
        r.attrs = json!({ "policy": doc });
        r.unknown = unknown.iter().map(|u| u.to_string()).collect();
        r
    }

    fn grants_of(doc: Value, unknown: &[&str]) -> Grants {
        let r = with_policy(doc, unknown);
        let document = read(&r, "/policy");
        let root = document.root().expect("known").expect("present");
        grants(&root)
    }

    fn as_text(doc: Value) -> Value {
        Value::String(doc.to_string())
    }

    #[test]
    fn globs_like_iam() {
        assert!(action_matches("s3:Get*", "s3:GetObject"));
        assert!(action_matches("S3:*", "s3:PutObject"));
        assert!(action_matches("*", "iam:PassRole"));
        assert!(!action_matches("s3:Get*", "s3:PutObject"));
        assert!(glob(
            "arn:aws:ec2:*:*:volume/*",
            "arn:aws:ec2:eu-west-1:1:volume/vol-1"
        ));
        assert!(!glob(
            "arn:aws:rds:*:*:db:*",
            "arn:aws:ec2:eu-west-1:1:volume/vol-1"
        ));
    }

    #[test]
    fn reads_identity_grants() {
        let admin = json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}});
        let g = grants_of(as_text(admin), &[]);
        assert_eq!((g.admin, g.pass_role_any), (Some(true), Some(true)));
        assert_eq!(g.service_wildcards.as_deref(), Some(&["*".to_string()][..]));
        assert_eq!(
            g.secret_reads_any.map(|s| s.len()),
            Some(SECRET_READS.len())
        );

        let scoped = json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": ["ec2:Describe*", "logs:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"}
        ]});
        let g = grants_of(as_text(scoped), &[]);
        assert_eq!((g.admin, g.pass_role_any), (Some(false), Some(false)));
        assert_eq!(g.service_wildcards, Some(vec!["logs:*".to_string()]));
        assert_eq!(g.secret_reads_any, Some(vec![]));

        let not_action =
            json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}});
        let g = grants_of(as_text(not_action), &[]);
        assert_eq!(
            g.service_wildcards,
            Some(vec!["NotAction:iam:*".to_string()])
        );
        assert_eq!(g.pass_role_any, Some(false));
        assert!(
            g.secret_reads_any
                .is_some_and(|s| s.contains(&"kms:Decrypt".to_string()))
        );
    }

    #[test]
    fn a_document_in_place_is_judged_per_statement() {
        // `s3:*` on `*`, beside a statement whose resource is known only after apply.
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": null}
        ]});
        let g = grants_of(doc.clone(), &["/policy/Statement/1/Resource"]);
        assert_eq!(g.service_wildcards, Some(vec!["s3:*".to_string()]));
        assert_eq!(g.admin, Some(false));
        assert_eq!(g.pass_role_any, Some(false));
        assert_eq!(g.secret_reads_any, Some(vec![]));

        // The unknown resource decides whether `kms:Decrypt` is granted everywhere...
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": null}
        ]});
        let g = grants_of(doc, &["/policy/Statement/1/Resource"]);
        assert_eq!(g.secret_reads_any, None);
        assert_eq!(g.service_wildcards, Some(vec![]));
        // ... but not whether a known grant on every resource is listed.
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": null}
        ]});
        let g = grants_of(doc, &["/policy/Statement/1/Resource"]);
        assert_eq!(
            g.secret_reads_any,
            Some(vec!["ssm:GetParameter".to_string()])
        );

        // Documents together: what either is known to grant.
        let mut both = Grants {
            admin: None,
            service_wildcards: None,
            pass_role_any: None,
            secret_reads_any: None,
        };
        both.merge(Grants {
            service_wildcards: Some(vec!["s3:*".into()]),
            ..Grants::default()
        });
        assert_eq!(both.service_wildcards, Some(vec!["s3:*".to_string()]));
        assert_eq!(both.secret_reads_any, None);
        assert_eq!(both.admin, None);

        // `*` on `*` is admin whatever the other statement's unknown action is; the
        // wildcards are then unknown, since that action might be one.
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Effect": "Allow", "Action": [null], "Resource": "*"}
        ]});
        let g = grants_of(doc, &["/policy/Statement/1/Action/0"]);
        assert_eq!(g.admin, Some(true));
        assert_eq!(g.pass_role_any, Some(true));
        // The known wildcard is listed; the unknown action may add another.
        assert_eq!(g.service_wildcards, Some(vec!["*".to_string()]));

        // Nothing known to list, and an unknown action that could be a wildcard.
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": [null], "Resource": "*"}
        ]});
        let g = grants_of(doc, &["/policy/Statement/1/Action/0"]);
        assert_eq!(g.service_wildcards, None);
        assert_eq!(g.secret_reads_any, None);

        // A known-compliant set with an unknown member stays unknown.
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Action": null, "Resource": "*"}
        ]});
        let g = grants_of(doc, &["/policy/Statement/1/Action"]);
        assert_eq!((g.admin, g.pass_role_any), (None, None));

        // A statement of unknown effect naming no wildcard adds none either way.
        let doc =
            json!({"Statement": [{"Effect": null, "Action": "s3:GetObject", "Resource": "*"}]});
        let g = grants_of(doc, &["/policy/Statement/0/Effect"]);
        assert_eq!(g.service_wildcards, Some(vec![]));
        assert_eq!(g.admin, Some(false));

        // An unknown statement list is unknown throughout.
        let g = grants_of(json!({"Statement": null}), &["/policy/Statement"]);
        assert_eq!(g.admin, None);
        assert_eq!(g.service_wildcards, None);
    }

    #[test]
    fn reads_text_value_missing_and_unknown_documents() {
        let r = with_policy(Value::Null, &["/policy"]);
        assert!(matches!(read(&r, "/policy"), Document::Unknown));
        let r = with_policy(json!(""), &[]);
        assert!(matches!(read(&r, "/policy"), Document::Absent));
        let r = with_policy(json!("not json"), &[]);
        let doc = read(&r, "/policy");
        assert_eq!(doc.judge(false, allows_anonymous), Some(false));
        let open =
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]});
        for value in [open.clone(), as_text(open)] {
            let r = with_policy(value, &[]);
            assert_eq!(
                read(&r, "/policy").judge(false, allows_anonymous),
                Some(true)
            );
        }
    }

    #[test]
    fn conditions_narrow_anonymous_access() {
        let judge = |doc: Value, unknown: &[&str]| {
            let r = with_policy(doc, unknown);
            read(&r, "/policy").judge(false, trusts_anyone)
        };
        let open = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sts:AssumeRole"}]});
        assert_eq!(judge(open, &[]), Some(true));
        let org = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": null}}}]});
        // The condition is there, whatever its unknown value.
        assert_eq!(
            judge(
                org,
                &["/policy/Statement/0/Condition/StringEquals/aws:PrincipalOrgID"]
            ),
            Some(false)
        );
        let unknown_principal = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": null}, "Action": "sts:AssumeRole"},
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
        ]});
        assert_eq!(
            judge(
                unknown_principal.clone(),
                &["/policy/Statement/0/Principal/AWS"]
            ),
            Some(true)
        );
        let only_unknown = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": null}, "Action": "sts:AssumeRole"}
        ]});
        assert_eq!(
            judge(only_unknown, &["/policy/Statement/0/Principal/AWS"]),
            None
        );
    }

    #[test]
    fn reads_transport_conditions() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Principal": {"AWS": null}, "Action": "s3:GetObject"},
            {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]});
        let r = with_policy(doc, &["/policy/Statement/0/Principal/AWS"]);
        let policy = read(&r, "/policy");
        assert_eq!(policy.judge(false, denies_insecure_transport), Some(true));
        // Whether the first statement lets anyone in rests on its unknown principal.
        assert_eq!(policy.judge(false, allows_anonymous), None);
    }
}
