//! Redaction of secrets before anything reaches an inventory, a report or a log.
//!
//! Sources mark some values sensitive themselves (a plan's `after_sensitive`, a state's
//! `sensitive_attributes`, a Kubernetes `Secret`); those are redacted by their collectors.
//! This module adds a name-based pass every collector runs, for secrets a source does not
//! mark: attributes named like passwords, tokens and private keys, `name`/`value` pairs whose
//! name is such a word (container environment variables), and user data.

use serde_json::Value;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Attribute names whose string values are secrets, compared lower-case with `-` as `_`.
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "private_key",
    "secret_key",
    "api_key",
    "apikey",
    "client_secret",
    "secret_string",
    "secret_binary",
    "access_token",
    "auth_token",
    "refresh_token",
    "credentials",
    "connection_string",
    "passphrase",
    "user_data",
    "user_data_base64",
    "private_key_pem",
    "secret_access_key",
    "ses_smtp_password_v4",
];

/// Suffixes that make a name secret (`master_password`, `DB_PASSWORD`, `github_token`).
const SECRET_SUFFIXES: &[&str] = &[
    "_password",
    "_passwd",
    "_secret",
    "_token",
    "_private_key",
    "_secret_key",
    "_api_key",
    "_apikey",
    "_passphrase",
    "_credentials",
];

/// Whether an attribute or variable name denotes a secret.
pub fn is_secret_name(name: &str) -> bool {
    // Called for every attribute of every resource: normalise on the stack, not the heap.
    let mut buf = [0u8; 64];
    let Some(n) = buf.get_mut(..name.len()) else {
        return false;
    };
    for (dst, src) in n.iter_mut().zip(name.bytes()) {
        *dst = if src == b'-' {
            b'_'
        } else {
            src.to_ascii_lowercase()
        };
    }
    let Ok(n) = std::str::from_utf8(n) else {
        return false;
    };
    SECRET_NAMES.contains(&n) || SECRET_SUFFIXES.iter().any(|s| n.ends_with(s))
}

/// Redacts, in place, every secret the name rules find. Booleans and nulls are kept: a flag
/// such as `manage_master_user_password = true` is configuration, not a secret.
pub fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // A {name: SECRET_NAME, value: "..."} pair (container env, ECS, Lambda).
            let named_secret = map
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(is_secret_name);
            for (k, v) in map.iter_mut() {
                if is_secret_name(k) || (named_secret && k == "value") {
                    redact_all(v);
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Replaces every string and number under `value`.
pub fn redact_all(value: &mut Value) {
    match value {
        Value::String(s) if !s.is_empty() && s != REDACTED => *s = REDACTED.to_string(),
        Value::Number(_) => *value = Value::String(REDACTED.to_string()),
        Value::Object(map) => map.values_mut().for_each(redact_all),
        Value::Array(items) => items.iter_mut().for_each(redact_all),
        _ => {}
    }
}

/// Masks the value on a source line that assigns a secret (`password = "x"`,
/// `"password": "x"`, `password: x`). Used where source lines are shown. `previous` is the
/// line before, so a `value:` line after a `name: DB_PASSWORD` line is masked too.
pub fn redact_line(line: &str, previous: Option<&str>) -> String {
    mask_tokens(&redact_assignment(line, previous))
}

/// A Dockerfile `ENV` / `ARG` line: every `NAME=value` pair (or the legacy `ENV NAME value`)
/// whose name is a secret's, masked.
fn redact_docker_vars(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let (word, rest) = trimmed.split_once(char::is_whitespace)?;
    if !(word.eq_ignore_ascii_case("env") || word.eq_ignore_ascii_case("arg")) {
        return None;
    }
    let indent = &line[..line.len() - trimmed.len()];
    let rest = rest.trim();
    if !rest.contains('=') {
        let (name, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        if is_secret_name(name) && !value.trim().is_empty() {
            return Some(format!("{indent}{word} {name} {REDACTED}"));
        }
        return None;
    }
    let masked: Vec<String> = rest
        .split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if is_secret_name(name) && !value.is_empty() => {
                format!("{name}={REDACTED}")
            }
            _ => pair.to_string(),
        })
        .collect();
    Some(format!("{indent}{word} {}", masked.join(" ")))
}

fn redact_assignment(line: &str, previous: Option<&str>) -> String {
    if let Some(masked) = redact_docker_vars(line) {
        return masked;
    }
    let assigned = |l: &str| -> Option<(usize, String)> {
        let trimmed = l.trim_start().trim_start_matches("- ");
        let (key, _) = trimmed.split_once([':', '='])?;
        let key = key.trim().trim_matches('"').trim_matches('\'').to_string();
        let at = l.find([':', '='])?;
        Some((at, key))
    };
    let previous_names_secret = previous.is_some_and(|p| {
        assigned(p).is_some_and(|(at, key)| {
            key == "name" && is_secret_name(p[at + 1..].trim().trim_matches(['"', '\'', ',']))
        })
    });
    match assigned(line) {
        Some((at, key)) if is_secret_name(&key) || (previous_names_secret && key == "value") => {
            let rest = line[at + 1..].trim();
            // Keep structure-only lines (`password: {`, `secret:`) as they are.
            if rest.is_empty() || rest == "{" || rest == "[" || rest == "|" || rest == ">" {
                return line.to_string();
            }
            format!("{} {REDACTED}", &line[..=at])
        }
        _ => line.to_string(),
    }
}

/// Well-known credential shapes, found anywhere in a text: AWS access key ids, GitHub,
/// GitLab, npm, Slack and Stripe tokens, Google API keys, PEM private keys. A value of such a
/// shape is a secret whatever it is named.
fn token_shapes() -> &'static regex::Regex {
    static SHAPES: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    SHAPES.get_or_init(|| {
        regex::Regex::new(concat!(
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"|\bgh[pousr]_[A-Za-z0-9]{36,}",
            r"|\bgithub_pat_[A-Za-z0-9_]{22,}",
            r"|\bglpat-[A-Za-z0-9_-]{20,}",
            r"|\bnpm_[A-Za-z0-9]{36}\b",
            r"|\bxox[abprs]-[A-Za-z0-9-]{10,}",
            r"|\b[sr]k_live_[A-Za-z0-9]{16,}",
            r"|\bAIza[0-9A-Za-z_-]{35}",
            r"|-----BEGIN [A-Z ]*PRIVATE KEY-----",
        ))
        .expect("the token shapes are valid regular expressions")
    })
}

/// Whether a text holds a value of a well-known credential shape.
pub fn has_token(text: &str) -> bool {
    token_shapes().is_match(text)
}

/// `text` with every value of a well-known credential shape replaced by [`REDACTED`].
pub fn mask_tokens(text: &str) -> String {
    token_shapes().replace_all(text, REDACTED).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn redacts_by_name_but_keeps_flags() {
        let mut v = json!({
            "password": "hunter2",
            "manage_master_user_password": true,
            "kms_key_id": "arn:aws:kms:...",
            "env": [{"name": "DB_PASSWORD", "value": "s3cret"}, {"name": "MODE", "value": "prod"}],
            "connection": {"auth_token": "abc"},
        });
        redact(&mut v);
        assert_eq!(v["password"], REDACTED);
        assert_eq!(v["manage_master_user_password"], true);
        assert_eq!(v["kms_key_id"], "arn:aws:kms:...");
        assert_eq!(v["env"][0]["value"], REDACTED);
        assert_eq!(v["env"][1]["value"], "prod");
        assert_eq!(v["connection"]["auth_token"], REDACTED);
    }

    #[test]
    fn masks_source_lines() {
        assert_eq!(
            redact_line("  password = \"hunter2\"", None),
            "  password = [redacted]"
        );
        assert_eq!(
            redact_line("    \"master_password\": \"x\",", None),
            "    \"master_password\": [redacted]"
        );
        assert_eq!(
            redact_line("      value: s3cret", Some("    - name: DB_PASSWORD")),
            "      value: [redacted]"
        );
        assert_eq!(
            mask_tokens(
                "curl -H 'Authorization: token ghp_0123456789abcdefghijABCDEFGHIJ012345' x"
            ),
            "curl -H 'Authorization: token [redacted]' x"
        );
        assert!(has_token("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(
            redact_line("ENV MODE=prod DB_PASSWORD=hunter2", None),
            "ENV MODE=prod DB_PASSWORD=[redacted]"
        );
        assert_eq!(
            redact_line("ENV API_TOKEN abc def", None),
            "ENV API_TOKEN [redacted]"
        );
        assert_eq!(redact_line("ENV PORT=8080", None), "ENV PORT=8080");
        assert!(!has_token("AKIA-not-a-key"));
        assert_eq!(
            redact_line("  bucket = \"logs\"", None),
            "  bucket = \"logs\""
        );
    }
}
