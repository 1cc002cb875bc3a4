//! `configMapGenerator` and `secretGenerator`: ConfigMaps and Secrets from literals, files
//! and env files, and the name suffix Kustomize derives from their content.
//!
//! The suffix rule, checked against `kubectl kustomize` (Kustomize v5): SHA-256 over the
//! Go `encoding/json` text of `{"data": DATA, "kind": KIND, "name": "", ...}` (keys sorted,
//! `<`, `>`, `&` escaped as `\u003c` and so on; `binaryData` added for a ConfigMap that has
//! it, `type` (and `stringData`) for a Secret). The name is empty: Kustomize looks the name up
//! under a path its lookup does not split, so it is never found. The first ten hex digits
//! form the suffix, with `0 1 3 a e` written `g h k m t`, so the suffix never reads as a
//! number or a word.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// How a generator's object meets one of the same name from a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behavior {
    Create,
    Merge,
    Replace,
}

/// A generated ConfigMap or Secret.
#[derive(Debug)]
pub struct Generated {
    pub object: Value,
    pub behavior: Behavior,
    /// Whether the name gets the content hash suffix.
    pub hash: bool,
}

/// Builds the object of one generator entry of `kind` (`ConfigMap` or `Secret`), reading
/// its files relative to `dir`. `defaults` is the kustomization's `generatorOptions`.
pub fn generate(
    kind: &str,
    entry: &Value,
    dir: &Path,
    defaults: Option<&Value>,
    read: &mut BTreeSet<PathBuf>,
) -> Result<Generated, String> {
    let name = entry
        .get("name")
        .and_then(Value::as_str)
        .ok_or("a generator needs a `name`")?;
    let behavior = match entry.get("behavior").and_then(Value::as_str) {
        None | Some("create") => Behavior::Create,
        Some("merge") => Behavior::Merge,
        Some("replace") => Behavior::Replace,
        Some(other) => return Err(format!("unknown behavior `{other}`")),
    };
    let mut data: Vec<(String, Vec<u8>)> = Vec::new();
    for literal in strings(entry.get("literals"))? {
        let (k, v) = literal
            .split_once('=')
            .ok_or_else(|| format!("literal `{}` is not KEY=VALUE", key_only(&literal)))?;
        data.push((k.to_string(), unquote(v).as_bytes().to_vec()));
    }
    for file in strings(entry.get("files"))? {
        let (key, path) = match file.split_once('=') {
            Some((k, p)) => (k.to_string(), p.to_string()),
            None => (
                Path::new(&file)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                file.clone(),
            ),
        };
        let full = dir.join(&path);
        let bytes = crate::read::bytes(&full, crate::read::Limit::Source)
            .map_err(|e| format!("file `{path}`: {e}"))?;
        read.insert(full);
        data.push((key, bytes));
    }
    let mut envs = strings(entry.get("envs"))?;
    envs.extend(strings(entry.get("env"))?);
    for env in envs {
        let full = dir.join(&env);
        let text = crate::read::text(&full, crate::read::Limit::Source)
            .map_err(|e| format!("env file `{env}`: {e}"))?;
        read.insert(full);
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start_matches('\u{feff}').trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (k, v) = line.split_once('=').ok_or_else(|| {
                format!(
                    "env file `{env}` line {}: `{}` is not KEY=VALUE",
                    n + 1,
                    key_only(line)
                )
            })?;
            data.push((k.trim().to_string(), v.as_bytes().to_vec()));
        }
    }

    let option = |field: &str| {
        entry
            .pointer(&format!("/options/{field}"))
            .or_else(|| defaults.and_then(|d| d.get(field)))
    };
    let mut object = Map::new();
    object.insert("apiVersion".into(), json!("v1"));
    object.insert("kind".into(), json!(kind));
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(name));
    if let Some(ns) = entry.get("namespace").and_then(Value::as_str) {
        metadata.insert("namespace".into(), json!(ns));
    }
    for field in ["labels", "annotations"] {
        let mut merged = Map::new();
        for source in [
            defaults.and_then(|d| d.get(field)),
            entry.pointer(&format!("/options/{field}")),
        ] {
            if let Some(Value::Object(m)) = source {
                merged.extend(m.iter().map(|(k, v)| (k.clone(), json!(scalar_text(v)))));
            }
        }
        if !merged.is_empty() {
            metadata.insert(field.into(), Value::Object(merged));
        }
    }
    object.insert("metadata".into(), Value::Object(metadata));
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let (mut text, mut binary) = (Map::new(), Map::new());
    for (k, v) in data {
        if kind == "Secret" {
            text.insert(k, json!(b64(&v)));
        } else {
            match String::from_utf8(v) {
                Ok(s) => text.insert(k, json!(s)),
                Err(e) => binary.insert(k, json!(b64(e.as_bytes()))),
            };
        }
    }
    if !text.is_empty() {
        object.insert("data".into(), Value::Object(text));
    }
    if !binary.is_empty() {
        object.insert("binaryData".into(), Value::Object(binary));
    }
    if kind == "Secret" {
        let t = entry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("Opaque");
        object.insert("type".into(), json!(t));
    }
    if option("immutable").and_then(Value::as_bool) == Some(true) {
        object.insert("immutable".into(), json!(true));
    }
    let hash = option("disableNameSuffixHash").and_then(Value::as_bool) != Some(true);
    Ok(Generated {
        object: Value::Object(object),
        behavior,
        hash,
    })
}

/// Only the key of a `KEY=VALUE` text, for messages: values may be secrets.
fn key_only(s: &str) -> &str {
    s.split('=').next().unwrap_or("")
}

fn strings(v: Option<&Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => Ok(items.iter().map(scalar_text).collect()),
        Some(_) => Err("expected a list of strings".into()),
    }
}

/// A label or literal written as a YAML number or boolean, as text.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Kustomize drops one pair of matching quotes around a literal's value.
fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

/// The suffix Kustomize appends to a generated ConfigMap's or Secret's name.
pub fn name_hash(object: &Value) -> String {
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
    let field = |k: &str| object.get(k).cloned();
    let mut m = Map::new();
    m.insert("kind".into(), json!(kind));
    m.insert("name".into(), json!(""));
    m.insert("data".into(), field("data").unwrap_or(json!("")));
    if kind == "Secret" {
        m.insert(
            "type".into(),
            field("type").filter(|t| t.is_string()).unwrap_or(json!("")),
        );
        if let Some(sd @ Value::Object(_)) = field("stringData") {
            m.insert("stringData".into(), sd);
        }
    } else if let Some(bd @ Value::Object(_)) = field("binaryData") {
        m.insert("binaryData".into(), bd);
    }
    let mut text = String::new();
    go_json(&Value::Object(m), &mut text);
    let digest = Sha256::digest(text.as_bytes());
    digest
        .iter()
        .flat_map(|b| [b >> 4, b & 0xf])
        .take(10)
        .map(|n| match n {
            0 => 'g',
            1 => 'h',
            3 => 'k',
            0xa => 'm',
            0xe => 't',
            n => char::from_digit(u32::from(n), 16).unwrap_or('0'),
        })
        .collect()
}

/// JSON text as Go's `encoding/json` writes it: sorted keys (serde_json's map is sorted),
/// no spaces, HTML-significant characters and line separators escaped.
fn go_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_string(k, out);
                out.push(':');
                go_json(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                go_json(v, out);
            }
            out.push(']');
        }
        Value::String(s) => go_string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn go_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    // Suffixes `kubectl kustomize` (Kustomize v5.5) gave for these generators.
    #[test]
    fn hash_suffixes_match_kustomize() {
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"A": "1"}});
        assert_eq!(name_hash(&cm), "89g4tffbfk");
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "p-cfg"},
            "data": {"A": "1", "B": "x<y&z"}});
        assert_eq!(name_hash(&cm), "mgk8mb4fgh");
        let secret = json!({"kind": "Secret", "metadata": {"name": "sec"},
            "data": {"pw": "aHVudGVyMg=="}, "type": "Opaque"});
        assert_eq!(name_hash(&secret), "9b766bfc5b");
    }

    #[test]
    fn literals_files_and_env_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("app.env"),
            "# comment\nA=1\n\nB=two words\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("conf.ini"), "x=1\n").unwrap();
        let entry = json!({"name": "c", "literals": ["L=\"q\""], "files": ["conf.ini", "k=conf.ini"],
            "envs": ["app.env"], "options": {"labels": {"v": 1}}});
        let mut read = BTreeSet::new();
        let g = generate("ConfigMap", &entry, dir.path(), None, &mut read).unwrap();
        assert_eq!(
            g.object["data"],
            json!({"L": "q", "conf.ini": "x=1\n", "k": "x=1\n", "A": "1", "B": "two words"})
        );
        assert_eq!(g.object["metadata"]["labels"], json!({"v": "1"}));
        assert_eq!(read.len(), 2);
        let err = generate(
            "Secret",
            &json!({"name": "s", "literals": ["token"]}),
            dir.path(),
            None,
            &mut read,
        )
        .unwrap_err();
        assert!(err.contains("`token`"), "{err}");
    }
}
