//! Redaction of secrets before anything reaches an inventory, a report or a log.
//!
//! Three passes, every collector runs them:
//! - **by schema**: [`sensitive.txt`](sensitive.txt) lists, per resource type, the attributes
//!   the providers' schemas mark `sensitive` (`random_password.result`, `aws_ssm_parameter.value`,
//!   nested ones by path); they are redacted whether or not the state or plan marked them;
//! - **by name**: attributes named like passwords, tokens and private keys (any length),
//!   `name`/`value` pairs whose name is such a word (container and Lambda environment
//!   variables), and user data;
//! - **by shape**: values that look like credentials whatever they are named (the
//!   40-character secret beside an AWS access key id, PEM private keys, GitHub, GitLab, npm,
//!   Slack, Stripe and Google tokens, JWTs), and JSON held in a string, redacted inside. An
//!   access key id itself is kept in attributes: it names the key (policies on key age and use
//!   read it) and opens nothing without its secret. Source excerpts mask it all the same.
//!
//! Sources also mark values themselves (a plan's `after_sensitive`, a state's
//! `sensitive_attributes`, a Kubernetes `Secret`); their collectors redact those first.
//!
//! A redacted value becomes [`REDACTED`], or, when `PLUMB_REDACTION_KEY` is set,
//! `[redacted hmac:<12 hex>]`: the first 12 hex digits of HMAC-SHA256 of the value under
//! that key, so that drift between two scans can say a secret changed without showing it.

mod source;

pub(crate) use source::redact_source;

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::OnceLock;

/// What a redacted value is replaced with when no redaction key is set.
pub(crate) const REDACTED: &str = "[redacted]";

/// The environment variable holding the key for `[redacted hmac:…]` markers.
pub(crate) const KEY_VARIABLE: &str = "PLUMB_REDACTION_KEY";

/// The key from [`KEY_VARIABLE`], read once; an empty value is no key.
fn key() -> Option<&'static [u8]> {
    static KEY: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    KEY.get_or_init(|| {
        std::env::var_os(KEY_VARIABLE)
            .map(|k| k.to_string_lossy().into_owned().into_bytes())
            .filter(|k| !k.is_empty())
    })
    .as_deref()
}

/// What `secret` is replaced with: [`REDACTED`], or with the redaction key set, a marker
/// carrying a keyed hash of it.
pub(crate) fn marker(secret: &str) -> String {
    marker_with(key(), secret)
}

/// [`marker`] under an explicit key.
pub(crate) fn marker_with(key: Option<&[u8]>, secret: &str) -> String {
    let Some(key) = key else {
        return REDACTED.to_string();
    };
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return REDACTED.to_string();
    };
    mac.update(secret.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("[redacted hmac:{hex}]")
}

/// Whether a text is already a redaction marker.
pub(crate) fn is_redacted(s: &str) -> bool {
    s == REDACTED || (s.len() == 28 && s.starts_with("[redacted hmac:") && s.ends_with(']'))
}

/// Attribute names whose string values are secrets, compared lower-case with `-` as `_`.
const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "passwords",
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
    "_private_key_pem",
    "_secret_key",
    "_secret_access_key",
    "_api_key",
    "_apikey",
    "_passphrase",
    "_credentials",
    "_connection_string",
];

/// Whether an attribute or variable name denotes a secret. Names of any length.
pub(crate) fn is_secret_name(name: &str) -> bool {
    // Called for every attribute of every resource: normalise short names on the stack.
    let mut buf = [0u8; 64];
    let mut heap = Vec::new();
    let n: &mut [u8] = match buf.get_mut(..name.len()) {
        Some(n) => n,
        None => {
            heap.resize(name.len(), 0);
            &mut heap
        }
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

/// The provider-schema table: resource type -> sensitive attribute paths.
fn schema() -> &'static HashMap<&'static str, Vec<Vec<&'static str>>> {
    static TABLE: OnceLock<HashMap<&'static str, Vec<Vec<&'static str>>>> = OnceLock::new();
    TABLE.get_or_init(|| parse_schema(include_str!("sensitive.txt")))
}

/// Parses `sensitive.txt`: `type attr nested.attr ...` per line, `#` comments.
fn parse_schema(text: &str) -> HashMap<&str, Vec<Vec<&str>>> {
    let mut table: HashMap<&str, Vec<Vec<&str>>> = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(kind) = words.next() else {
            continue;
        };
        table
            .entry(kind)
            .or_default()
            .extend(words.map(|w| w.split('.').collect()));
    }
    table
}

/// The sensitive attribute paths the provider schema gives a resource type (empty when the
/// type is not listed).
pub(crate) fn sensitive_paths(kind: &str) -> &'static [Vec<&'static str>] {
    schema().get(kind).map_or(&[] as &[_], Vec::as_slice)
}

/// Redacts a resource's attributes: the schema's sensitive attributes of its type, then the
/// name and shape pass ([`redact`]).
pub(crate) fn redact_resource(kind: &str, attrs: &mut Value) {
    for path in sensitive_paths(kind) {
        redact_path(attrs, path);
    }
    redact(attrs);
}

/// Redacts everything at `path` under `value`; lists on the way are crossed element by
/// element, `*` is any key.
fn redact_path(value: &mut Value, path: &[&str]) {
    let Some((first, rest)) = path.split_first() else {
        redact_all(value);
        return;
    };
    match value {
        Value::Array(items) => items.iter_mut().for_each(|i| redact_path(i, path)),
        Value::Object(map) if *first == "*" => {
            map.values_mut().for_each(|v| redact_path(v, rest));
        }
        Value::Object(map) => {
            if let Some(v) = map.get_mut(*first) {
                redact_path(v, rest);
            }
        }
        // A nested value kept as a JSON string (a plan's `container_definitions`).
        Value::String(s) => {
            if let Some(mut inner) = embedded_json(s) {
                let before = inner.clone();
                redact_path(&mut inner, path);
                if inner != before {
                    *s = inner.to_string();
                }
            }
        }
        _ => {}
    }
}

/// Redacts, in place, every secret the name and shape rules find. Booleans and nulls are
/// kept: a flag such as `manage_master_user_password = true` is configuration, not a secret.
pub(crate) fn redact(value: &mut Value) {
    match value {
        Value::Object(map) => {
            // A {name: SECRET_NAME, value: "..."} pair (container env, ECS, Lambda).
            let named_secret = map
                .get("name")
                .and_then(Value::as_str)
                .is_some_and(is_secret_name);
            // An AWS access key id beside a 40-character value: that value is its secret.
            let beside_key_id = map
                .values()
                .any(|v| v.as_str().is_some_and(is_access_key_id));
            for (k, v) in map.iter_mut() {
                if is_secret_name(k)
                    || (named_secret && k == "value")
                    || (beside_key_id && v.as_str().is_some_and(is_secret_key_shape))
                {
                    redact_all(v);
                } else {
                    redact(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        Value::String(s) => redact_string(s),
        _ => {}
    }
}

/// A string outside any secret-named attribute: JSON inside it is redacted as JSON, and
/// credential shapes are masked.
fn redact_string(s: &mut String) {
    if is_redacted(s) {
        return;
    }
    if let Some(mut inner) = embedded_json(s) {
        let before = inner.clone();
        redact(&mut inner);
        if inner != before {
            *s = inner.to_string();
        }
        return;
    }
    if has_token(s) {
        *s = token_shapes()
            .replace_all(s, |c: &regex::Captures<'_>| {
                // An access key id names a key; policies read it. Its secret is what is masked.
                if is_access_key_id(&c[0]) {
                    c[0].to_string()
                } else {
                    marker(&c[0])
                }
            })
            .into_owned();
    }
}

/// The JSON value a string holds, when it holds an object or an array.
fn embedded_json(s: &str) -> Option<Value> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<Value>(t)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
}

/// `AKIA` / `ASIA` and 16 upper-case letters or digits.
fn is_access_key_id(s: &str) -> bool {
    s.len() == 20
        && (s.starts_with("AKIA") || s.starts_with("ASIA"))
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// 40 characters of base64 (an AWS secret access key's shape).
fn is_secret_key_shape(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'+')
        && s.bytes()
            .any(|b| b.is_ascii_digit() || b == b'/' || b == b'+')
}

/// Replaces every string and number under `value`.
pub(crate) fn redact_all(value: &mut Value) {
    match value {
        Value::String(s) if !s.is_empty() && !is_redacted(s) => *s = marker(s),
        Value::Number(n) => {
            let text = n.to_string();
            *value = Value::String(marker(&text));
        }
        Value::Object(map) => map.values_mut().for_each(redact_all),
        Value::Array(items) => items.iter_mut().for_each(redact_all),
        _ => {}
    }
}

/// Masks the value on a source line that assigns a secret (`password = "x"`,
/// `"password": "x"`, `password: x`). Used where source lines are shown. `previous` is the
/// line before, so a `value:` line after a `name: DB_PASSWORD` line is masked too.
pub(crate) fn redact_line(line: &str, previous: Option<&str>) -> String {
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
/// GitLab, npm, Slack and Stripe tokens, Google API keys, JWTs, PEM private keys (the whole
/// block, or to the end of the text when it has no end line). A value of such a
/// shape is a secret whatever it is named.
pub(crate) fn token_shapes() -> &'static regex::Regex {
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
            r"|\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",
            r"|(?s:-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\z))",
        ))
        .expect("the token shapes are valid regular expressions")
    })
}

/// Whether a text holds a value of a well-known credential shape.
pub(crate) fn has_token(text: &str) -> bool {
    token_shapes().is_match(text)
}

/// `text` with every value of a well-known credential shape replaced by [`REDACTED`].
pub(crate) fn mask_tokens(text: &str) -> String {
    token_shapes()
        .replace_all(text, |c: &regex::Captures<'_>| marker(&c[0]))
        .into_owned()
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

    #[test]
    fn the_schema_table_names_types_and_paths() {
        let table = parse_schema(include_str!("sensitive.txt"));
        assert!(table.len() >= 80, "{} types", table.len());
        for (kind, paths) in &table {
            assert!(
                kind.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{kind}"
            );
            assert!(!paths.is_empty(), "{kind} lists no attribute");
        }
        assert_eq!(
            sensitive_paths("random_password"),
            [vec!["result"], vec!["bcrypt_hash"]]
        );
        assert!(sensitive_paths("aws_s3_bucket").is_empty());
    }

    #[test]
    fn redacts_by_schema_even_when_unmarked() {
        let mut v = json!({"result": "abc", "length": 16, "special": true});
        redact_resource("random_password", &mut v);
        assert_eq!(v["result"], REDACTED);
        assert_eq!(v["length"], 16);
        let mut v = json!({"advanced_security_options": [{"enabled": true,
            "master_user_options": [{"master_user_name": "admin", "master_user_password": "pw"}]}]});
        redact_resource("aws_opensearch_domain", &mut v);
        let opts = &v["advanced_security_options"][0];
        assert_eq!(
            opts["master_user_options"][0]["master_user_password"],
            REDACTED
        );
        assert_eq!(opts["master_user_options"][0]["master_user_name"], "admin");
        assert_eq!(opts["enabled"], true);
        let mut v = json!({"data": {"a": "x", "b": "y"}});
        redact_resource("kubernetes_secret", &mut v);
        assert_eq!(v, json!({"data": {"a": REDACTED, "b": REDACTED}}));
    }

    #[test]
    fn names_of_any_length_and_shapes() {
        let long = format!("{}_password", "x".repeat(100));
        assert!(is_secret_name(&long));
        assert!(is_secret_name("AWS_SECRET_ACCESS_KEY"));
        assert!(!is_secret_name(&"x".repeat(100)));
        assert!(!is_secret_name("AWS_ACCESS_KEY_ID"));
        let defs = json!([{"environment": [
            {"name": "AWS_SECRET_ACCESS_KEY", "value": "s3cret"}]}])
        .to_string();
        let mut v = json!({
            "container_definitions": defs,
            "id": "AKIAIOSFODNN7EXAMPLE",
            "other": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "note": "token ghp_0123456789abcdefghijABCDEFGHIJ012345 here",
            "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijklmnop",
            "pem": "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----\n",
            "policy": "{\"Version\": \"2012-10-17\"}",
        });
        v[long.as_str()] = json!("x");
        redact(&mut v);
        let text = v.to_string();
        assert_eq!(
            v["id"], "AKIAIOSFODNN7EXAMPLE",
            "a key id is not its secret"
        );
        for secret in ["s3cret", "wJalrXUtnFEMI", "ghp_", "eyJ", "MIIEv"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(v[long.as_str()], REDACTED);
        assert_eq!(v["note"], "token [redacted] here");
        assert_eq!(
            v["policy"], "{\"Version\": \"2012-10-17\"}",
            "unchanged JSON kept as written"
        );
    }

    #[test]
    fn keyed_markers_tell_changes_apart_without_the_value() {
        let a = marker_with(Some(b"k"), "one");
        assert!(a.starts_with("[redacted hmac:") && is_redacted(&a), "{a}");
        assert_eq!(a.len(), 28);
        assert_eq!(a, marker_with(Some(b"k"), "one"));
        assert_ne!(a, marker_with(Some(b"k"), "two"));
        assert_ne!(a, marker_with(Some(b"other"), "one"));
        assert_eq!(marker_with(None, "one"), REDACTED);
    }
}
