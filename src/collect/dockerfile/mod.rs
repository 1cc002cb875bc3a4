//! Dockerfiles (`Dockerfile`, `*.Dockerfile`, `Dockerfile.*`, `Containerfile`): one
//! `dockerfile` resource per file, its instructions in `attrs` with their lines.
//!
//! The syntax is read by [`parse`] (why not a crate: see there). What the collector records,
//! per instruction: the keyword, the stage it belongs to (0-based, in `FROM` order), its
//! lines, its arguments and, for `FROM`, the image, stage name and platform; for `ENV` and
//! `ARG`, the variables. Secrets are redacted here, before anything is stored: a variable
//! named like a secret or holding a well-known token shape has its value replaced and is
//! marked `secret: true`, and token shapes are masked in every other argument (a `RUN curl`
//! with a bearer token).

pub mod parse;

use serde_json::{Map, Value, json};

use crate::inventory::{CollectError, Resource, Source};
use crate::redact::{REDACTED, has_token, is_secret_name, mask_tokens};

/// The collector's name in runs and errors.
pub const COLLECTOR: &str = "dockerfile";

/// The resource kind.
pub const KIND: &str = "dockerfile";

/// Whether a file name is a Dockerfile's.
pub fn is_dockerfile(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
        || (lower.starts_with("dockerfile.")
            && !matches!(
                lower.rsplit('.').next(),
                Some("md" | "txt" | "orig" | "bak" | "swp" | "dockerignore")
            ))
}

/// Reads one Dockerfile into its resource.
pub fn collect(path: &str, text: &str) -> Result<Resource, CollectError> {
    let file = parse::parse(text).map_err(|e| CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line: Some(e.line),
        column: None,
        kinds: vec![KIND.into()],
        message: e.message,
        warning: false,
    })?;
    let first = file.instructions.first().map_or(1, |i| i.line);
    let last = file.instructions.last().map_or(1, |i| i.end_line);
    let mut r = Resource::new(
        format!("dockerfile:{path}"),
        KIND,
        Source::File {
            path: path.to_string(),
            start_line: first,
            end_line: last,
            module_calls: Vec::new(),
        },
    );
    r.name = path.to_string();
    let mut stage: i64 = -1;
    let mut instructions = Vec::new();
    for (n, i) in file.instructions.iter().enumerate() {
        let mut o = Map::new();
        if i.keyword == "FROM" {
            stage += 1;
        }
        o.insert("instruction".into(), json!(i.keyword));
        o.insert("stage".into(), json!(stage));
        o.insert("line".into(), json!(i.line));
        o.insert("end_line".into(), json!(i.end_line));
        match i.keyword.as_str() {
            "ENV" | "ARG" => {
                let vars: Vec<Value> = parse::pairs(&i.args, i.keyword == "ENV")
                    .into_iter()
                    .map(|(name, value)| {
                        let secret =
                            is_secret_name(&name) || value.as_deref().is_some_and(has_token);
                        let value = match value {
                            Some(v) if secret && !v.is_empty() => json!(REDACTED),
                            Some(v) => json!(v),
                            None => Value::Null,
                        };
                        json!({"name": name, "value": value, "secret": secret})
                    })
                    .collect();
                let args: Vec<String> = vars
                    .iter()
                    .map(|v| match v["value"].as_str() {
                        Some(value) => format!("{}={value}", v["name"].as_str().unwrap_or("")),
                        None => v["name"].as_str().unwrap_or("").to_string(),
                    })
                    .collect();
                o.insert("args".into(), json!(args.join(" ")));
                o.insert("vars".into(), Value::Array(vars));
            }
            _ => {
                o.insert("args".into(), json!(mask_tokens(&i.args)));
            }
        }
        if i.keyword == "FROM" {
            let words = parse::words(&i.args);
            let mut rest = words.iter().filter(|w| {
                if let Some(p) = w.strip_prefix("--platform=") {
                    o.insert("platform".into(), json!(p));
                    false
                } else {
                    !w.starts_with("--")
                }
            });
            let image = rest.next().cloned().unwrap_or_default();
            let name = match (rest.next(), rest.next()) {
                (Some(as_), Some(name)) if as_.eq_ignore_ascii_case("as") => name.to_lowercase(),
                _ => String::new(),
            };
            o.insert("image".into(), json!(image));
            o.insert("name".into(), json!(name));
        }
        if !i.heredocs.is_empty() {
            let bodies: Vec<String> = i.heredocs.iter().map(|h| mask_tokens(h)).collect();
            o.insert("heredocs".into(), json!(bodies));
        }
        r.attr_lines.insert(format!("/instructions/{n}"), i.line);
        instructions.push(Value::Object(o));
    }
    // Where the final stage starts, and where its user is set: what findings about the
    // final image point at.
    let last_from = file
        .instructions
        .iter()
        .rposition(|i| i.keyword == "FROM")
        .unwrap_or(0);
    let from_line = file.instructions.get(last_from).map_or(first, |i| i.line);
    let user_line = file.instructions[last_from..]
        .iter()
        .rev()
        .find(|i| i.keyword == "USER")
        .map_or(from_line, |i| i.line);
    r.attr_lines.insert("/final_stage".into(), from_line);
    r.attr_lines.insert("/final_stage/user".into(), user_line);
    r.attrs = json!({
        "syntax": file.syntax,
        "escape": file.escape.to_string(),
        "instructions": instructions,
        "final_stage": {"index": stage, "line": from_line},
    });
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for yes in [
            "Dockerfile",
            "Containerfile",
            "api.Dockerfile",
            "Dockerfile.prod",
        ] {
            assert!(is_dockerfile(yes), "{yes}");
        }
        for no in [
            "Dockerfile.md",
            "docker-compose.yml",
            "dockerfile-notes.txt",
        ] {
            assert!(!is_dockerfile(no), "{no}");
        }
    }

    #[test]
    fn secrets_are_redacted_before_they_are_stored() {
        let r = collect(
            "Dockerfile",
            "FROM alpine:3.20\nENV DB_PASSWORD=hunter2 MODE=prod\nARG GH=ghp_0123456789abcdefghijABCDEFGHIJ012345\nRUN curl -u x:ghp_0123456789abcdefghijABCDEFGHIJ012345 https://x\n",
        )
        .expect("collects");
        let text = serde_json::to_string(&r).expect("serialises");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(!text.contains("ghp_0123"), "{text}");
        assert_eq!(r.attrs["instructions"][1]["vars"][0]["secret"], true);
        assert_eq!(r.attrs["instructions"][1]["vars"][1]["value"], "prod");
        assert_eq!(r.attrs["instructions"][2]["vars"][0]["secret"], true);
    }
}
