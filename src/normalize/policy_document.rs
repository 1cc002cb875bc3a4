//! Reading AWS policy documents (IAM identity and trust policies, S3 bucket, KMS key, ECR
//! repository and Secrets Manager resource policies): what a document allows, and to whom.
//!
//! The analysis is deliberately literal: it reads `Effect`, `Principal`, `Action` /
//! `NotAction`, `Resource` and whether a `Condition` is present. A condition is taken to
//! narrow a statement (it usually does: `aws:SourceArn`, `aws:PrincipalOrgID`), so a
//! conditioned statement never raises an alarm on its own.

use serde_json::Value;

use super::value::as_bool;

/// A parsed policy document: `Some(None)` when there is none, `None` when unknown.
pub type Document = Option<Option<Value>>;

/// Parses the JSON text of a policy. Empty text is no policy; text that is not JSON is kept
/// as `Null`, which allows nothing.
pub fn parse(text: Option<String>) -> Document {
    let text = text?;
    if text.trim().is_empty() {
        return Some(None);
    }
    Some(Some(serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// The statements of a document (a single statement object counts as a list of one).
pub fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => vec![],
    }
}

/// A string-or-list field as a list.
pub fn one_or_many(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    }
}

fn strings<'a>(s: &'a Value, field: &str) -> Vec<&'a str> {
    one_or_many(s.get(field))
        .into_iter()
        .filter_map(Value::as_str)
        .collect()
}

fn allows(s: &Value) -> bool {
    s.get("Effect").and_then(Value::as_str) == Some("Allow")
}

/// `Principal: "*"` or `{"AWS": "*"}`: anyone, in any account, signed in or not.
fn anyone(s: &Value) -> bool {
    let principal = s.get("Principal");
    principal == Some(&Value::String("*".into()))
        || one_or_many(principal.and_then(|p| p.get("AWS")))
            .iter()
            .any(|p| p.as_str() == Some("*"))
}

/// A statement allowing anyone (`Principal: "*"`) with no condition.
pub fn allows_anonymous(policy: &Value) -> bool {
    statements(policy)
        .into_iter()
        .any(|s| allows(s) && anyone(s) && s.get("Condition").is_none())
}

/// A statement denying requests where `aws:SecureTransport` is false.
pub fn denies_insecure_transport(policy: &Value) -> bool {
    statements(policy).into_iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Deny")
            && s.get("Condition")
                .and_then(|c| c.get("Bool"))
                .and_then(|b| b.get("aws:SecureTransport"))
                .is_some_and(|v| {
                    one_or_many(Some(v))
                        .iter()
                        .any(|x| as_bool(x) == Some(false))
                })
    })
}

/// Whether an IAM action pattern (`s3:Get*`, `*`) covers `action` (`s3:GetObject`).
/// Both are compared case-insensitively, as IAM does.
pub fn action_matches(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

/// `*` matches any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
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

/// What an identity policy grants, as the facets present it.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Grants {
    /// `Action: "*"` on `Resource: "*"`: full administrative access.
    pub admin: bool,
    /// Actions granting every action of a service (`s3:*`), or everything (`*`), and
    /// `NotAction` allows (`NotAction:iam:*`), in document order, without repeats.
    pub service_wildcards: Vec<String>,
    /// `iam:PassRole` on every role.
    pub pass_role_any: bool,
    /// Secret-reading actions (`secretsmanager:GetSecretValue`, `ssm:GetParameter*`,
    /// `kms:Decrypt`) granted on every resource.
    pub secret_reads_any: Vec<String>,
}

const SECRET_READS: &[&str] = &[
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "kms:Decrypt",
];

/// The grants of the `Allow` statements of an identity policy.
pub fn grants(policy: &Value) -> Grants {
    let mut g = Grants::default();
    for s in statements(policy).into_iter().filter(|s| allows(s)) {
        let resources = strings(s, "Resource");
        let every_resource = resources.contains(&"*") || s.get("NotResource").is_some();
        let actions = strings(s, "Action");
        for action in &actions {
            let wildcard = *action == "*"
                || *action == "*:*"
                || action.split_once(':').is_some_and(|(_, rest)| rest == "*");
            if wildcard && !g.service_wildcards.iter().any(|w| w == action) {
                g.service_wildcards.push((*action).to_string());
            }
        }
        for action in strings(s, "NotAction") {
            let entry = format!("NotAction:{action}");
            if !g.service_wildcards.contains(&entry) {
                g.service_wildcards.push(entry);
            }
        }
        let not_action = s.get("NotAction").is_some();
        let grants_action = |wanted: &str| {
            actions.iter().any(|a| action_matches(a, wanted))
                || (not_action
                    && !strings(s, "NotAction")
                        .iter()
                        .any(|a| action_matches(a, wanted)))
        };
        if every_resource {
            if actions.iter().any(|a| *a == "*" || *a == "*:*") {
                g.admin = true;
            }
            if grants_action("iam:PassRole") {
                g.pass_role_any = true;
            }
            for wanted in SECRET_READS {
                if grants_action(wanted) && !g.secret_reads_any.iter().any(|w| w == wanted) {
                    g.secret_reads_any.push((*wanted).to_string());
                }
            }
        }
    }
    g
}

/// A trust policy letting anyone assume the role: `Principal: "*"` (or `{"AWS": "*"}`)
/// with no condition.
pub fn trusts_anyone(policy: &Value) -> bool {
    allows_anonymous(policy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        let g = grants(&admin);
        assert!(g.admin && g.pass_role_any);
        assert_eq!(g.service_wildcards, ["*"]);
        assert_eq!(g.secret_reads_any.len(), SECRET_READS.len());

        let scoped = json!({"Statement": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*"},
            {"Effect": "Allow", "Action": ["ec2:Describe*", "logs:*"], "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"}
        ]});
        let g = grants(&scoped);
        assert!(!g.admin && !g.pass_role_any);
        assert_eq!(g.service_wildcards, ["logs:*"]);
        assert!(g.secret_reads_any.is_empty());

        let not_action =
            json!({"Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}});
        let g = grants(&not_action);
        assert_eq!(g.service_wildcards, ["NotAction:iam:*"]);
        assert!(!g.pass_role_any);
        assert!(g.secret_reads_any.contains(&"kms:Decrypt".to_string()));
    }

    #[test]
    fn conditions_narrow_anonymous_access() {
        let open = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sts:AssumeRole"}]});
        assert!(trusts_anyone(&open));
        let org = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}]});
        assert!(!trusts_anyone(&org));
    }
}
