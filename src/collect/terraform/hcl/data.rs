//! Data sources a plan knows without calling a cloud API: the provider computes their result
//! from their arguments alone, so Terraform reads them while planning. A scan computes them
//! too; every other data source is unknown.
//!
//! `aws_iam_policy_document` renders IAM policy JSON from `statement` blocks. Policies such as
//! "S3 buckets refuse plain HTTP" read that JSON: were it unknown, they could only say
//! "unknown" for the most common way of writing a bucket policy.

use serde_json::{Map, Value as Json, json};

use super::value::{Attrs, Value};

/// Data source types computed locally.
pub(super) const LOCAL: &[&str] = &["aws_iam_policy_document"];

/// The data source's result, as other expressions see it: its arguments plus the attributes
/// it computes. Unknown when an argument it needs is unknown.
pub(super) fn read(kind: &str, args: Attrs) -> Value {
    match kind {
        "aws_iam_policy_document" => policy_document(args),
        _ => Value::unknown(),
    }
}

/// Stands for an unknown value while a partly unknown document is rendered; no real policy
/// holds it.
const UNKNOWN: &str = "\u{0}plumb:unknown\u{0}";

/// Unknown parts as [`UNKNOWN`] (JSON text known only in part is kept as it is).
fn fill(v: &Value) -> Value {
    match v {
        Value::Unknown(Some(k)) if k.encoded.is_some() => v.clone(),
        Value::Unknown(_) | Value::Resource(_) => Value::string(UNKNOWN),
        Value::List(l) => Value::list(l.items.iter().map(fill).collect()),
        Value::Map(m) => Value::map(
            m.entries
                .iter()
                .map(|(k, v)| (k.clone(), fill(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// JSON with [`UNKNOWN`] where the value is unknown.
fn marked_json(v: &Value) -> Json {
    match v {
        Value::Unknown(Some(k)) if k.encoded.is_some() => {
            k.encoded.as_ref().map_or(Json::Null, marked_json)
        }
        Value::Unknown(_) | Value::Resource(_) => Json::String(UNKNOWN.into()),
        Value::List(l) => Json::Array(l.items.iter().map(marked_json).collect()),
        Value::Map(m) => Json::Object(
            m.entries
                .iter()
                .map(|(k, v)| (k.clone(), marked_json(v)))
                .collect(),
        ),
        other => other.to_json(&mut String::new(), &mut Vec::new()),
    }
}

/// The value of a rendered document: [`UNKNOWN`] back to unknown (an object with an unknown
/// key is unknown as a whole). `None` when nothing was unknown.
fn unmarked(doc: &Json) -> (Value, bool) {
    match doc {
        Json::String(s) if s == UNKNOWN => (Value::unknown(), true),
        Json::Array(items) => {
            let mut any = false;
            let items = items
                .iter()
                .map(|i| {
                    let (v, u) = unmarked(i);
                    any |= u;
                    v
                })
                .collect();
            (Value::list(items), any)
        }
        Json::Object(map) if map.keys().any(|k| k == UNKNOWN) => (Value::unknown(), true),
        Json::Object(map) => {
            let mut any = false;
            let entries = map
                .iter()
                .map(|(k, v)| {
                    let (v, u) = unmarked(v);
                    any |= u;
                    (k.clone(), v)
                })
                .collect();
            (Value::map(entries), any)
        }
        other => (Value::from_json(other), false),
    }
}

fn policy_document(args: Attrs) -> Value {
    let whole = Value::map(args.clone());
    if !whole.is_wholly_known() {
        // Which statements there are must be known; what they say may be known in part.
        let listed = |k: &str| {
            args.get(k).is_none_or(|v| match v {
                Value::Null => true,
                Value::List(l) => l.items.iter().all(|i| match i {
                    Value::Unknown(Some(k)) => k.encoded.is_some(),
                    other => !other.is_unknown(),
                }),
                _ => false,
            })
        };
        if ![
            "statement",
            "source_policy_documents",
            "override_policy_documents",
        ]
        .iter()
        .all(|k| listed(k))
        {
            return Value::unknown_of([&whole]);
        }
    }
    let mut args = match fill(&whole) {
        Value::Map(m) => m.entries.clone(),
        _ => args,
    };
    let text = |v: Option<&Value>| v.and_then(Value::to_text).unwrap_or_default();
    let mut statements: Vec<Json> = Vec::new();
    let put = |statements: &mut Vec<Json>, s: Json| {
        let sid = s
            .get("Sid")
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string();
        match statements
            .iter_mut()
            .find(|x| !sid.is_empty() && x.get("Sid").and_then(Json::as_str) == Some(&sid))
        {
            Some(existing) => *existing = s,
            None => statements.push(s),
        }
    };
    for doc in documents(args.get("source_policy_documents")) {
        for s in statements_of(doc) {
            put(&mut statements, s);
        }
    }
    for block in blocks(args.get("statement")) {
        put(&mut statements, statement(block));
    }
    for doc in documents(args.get("override_policy_documents")) {
        for s in statements_of(doc) {
            put(&mut statements, s);
        }
    }
    let mut doc = Map::new();
    let version = text(args.get("version"));
    doc.insert(
        "Version".into(),
        Json::String(if version.is_empty() {
            "2012-10-17".into()
        } else {
            version
        }),
    );
    let id = text(args.get("policy_id"));
    if !id.is_empty() {
        doc.insert("Id".into(), Json::String(id));
    }
    doc.insert("Statement".into(), Json::Array(statements));
    let doc = Json::Object(doc);
    let (value, partly_unknown) = unmarked(&doc);
    if partly_unknown {
        let mut refs = Vec::new();
        whole.collect_refs(&mut refs);
        args.insert(
            "json".into(),
            Value::encoded_from(value.clone(), refs.clone()),
        );
        args.insert("minified_json".into(), Value::encoded_from(value, refs));
        return Value::map(args);
    }
    let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let minified = serde_json::to_string(&doc).unwrap_or_default();
    args.insert("json".into(), Value::string(pretty));
    args.insert("minified_json".into(), Value::string(minified));
    Value::map(args)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        // A list known only after apply: one unknown stands for all of it.
        Some(Value::String(s)) if &**s == UNKNOWN => vec![UNKNOWN.to_string()],
        _ => v
            .and_then(Value::as_list)
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::to_text)
            .collect(),
    }
}

fn blocks(v: Option<&Value>) -> impl Iterator<Item = &Attrs> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_map)
}

/// The documents of `source_policy_documents` / `override_policy_documents`: JSON text, or
/// the structure of text known only in part.
fn documents(v: Option<&Value>) -> Vec<Json> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(|d| match d {
            Value::Unknown(Some(k)) => k.encoded.as_ref().map(marked_json),
            other => other
                .to_text()
                .and_then(|t| serde_json::from_str::<Json>(&t).ok()),
        })
        .collect()
}

fn statements_of(doc: Json) -> Vec<Json> {
    match doc.get("Statement").cloned() {
        Some(Json::Array(items)) => items,
        Some(one @ Json::Object(_)) => vec![one],
        _ => Vec::new(),
    }
}

/// One value as a string, several as a list: how IAM policies write them.
fn one_or_many(items: Vec<String>) -> Json {
    match items.as_slice() {
        [one] => Json::String(one.clone()),
        _ => json!(items),
    }
}

fn statement(block: &Attrs) -> Json {
    let mut s = Map::new();
    let sid = block
        .get("sid")
        .and_then(Value::to_text)
        .unwrap_or_default();
    if !sid.is_empty() {
        s.insert("Sid".into(), Json::String(sid));
    }
    let effect = block
        .get("effect")
        .and_then(Value::to_text)
        .unwrap_or_default();
    s.insert(
        "Effect".into(),
        Json::String(if effect.is_empty() {
            "Allow".into()
        } else {
            effect
        }),
    );
    for (arg, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        let items = strings(block.get(arg));
        if !items.is_empty() {
            s.insert(key.into(), one_or_many(items));
        }
    }
    for (arg, key) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        let mut by_type: Map<String, Json> = Map::new();
        let mut anyone = false;
        for p in blocks(block.get(arg)) {
            let kind = p.get("type").and_then(Value::to_text).unwrap_or_default();
            let ids = strings(p.get("identifiers"));
            if kind == "*" {
                anyone = true;
                continue;
            }
            by_type.insert(kind, one_or_many(ids));
        }
        if anyone && by_type.is_empty() {
            s.insert(key.into(), Json::String("*".into()));
        } else if !by_type.is_empty() {
            s.insert(key.into(), Json::Object(by_type));
        }
    }
    let mut conditions: Map<String, Json> = Map::new();
    for c in blocks(block.get("condition")) {
        let test = c.get("test").and_then(Value::to_text).unwrap_or_default();
        let variable = c
            .get("variable")
            .and_then(Value::to_text)
            .unwrap_or_default();
        let values = one_or_many(strings(c.get("values")));
        if let Json::Object(by_var) = conditions
            .entry(test)
            .or_insert_with(|| Json::Object(Map::new()))
        {
            by_var.insert(variable, values);
        }
    }
    if !conditions.is_empty() {
        s.insert("Condition".into(), Json::Object(conditions));
    }
    Json::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::terraform::hcl::eval::constant;

    #[test]
    fn renders_policy_documents() {
        let args = constant(
            &hcl_edit::parser::parse_expr(
                r#"{
                  statement = [{
                    sid = "DenyInsecureTransport", effect = "Deny", actions = ["s3:*"],
                    resources = ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
                    principals = [{ type = "*", identifiers = ["*"] }],
                    condition = [{ test = "Bool", variable = "aws:SecureTransport", values = ["false"] }]
                  }]
                }"#,
            )
            .unwrap(),
        )
        .unwrap();
        let v = read("aws_iam_policy_document", args.as_map().unwrap().clone());
        let doc: Json =
            serde_json::from_str(v.as_map().unwrap()["minified_json"].as_str().unwrap()).unwrap();
        assert_eq!(
            doc,
            json!({"Version": "2012-10-17", "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Action": "s3:*",
                "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"], "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})
        );
    }

    #[test]
    fn a_statement_known_in_part_keeps_the_document_structure() {
        let mut known = Attrs::new();
        known.insert("actions".into(), Value::list(vec![Value::string("s3:*")]));
        known.insert("resources".into(), Value::list(vec![Value::string("*")]));
        let mut partial = Attrs::new();
        partial.insert(
            "actions".into(),
            Value::list(vec![Value::string("s3:GetObject")]),
        );
        partial.insert(
            "resources".into(),
            Value::list(vec![Value::unknown_from(vec!["tf:aws_s3_bucket.b".into()])]),
        );
        let mut args = Attrs::new();
        args.insert(
            "statement".into(),
            Value::list(vec![Value::map(known), Value::map(partial)]),
        );
        let v = read("aws_iam_policy_document", args);
        let json = &v.as_map().unwrap()["json"];
        let mut unknown = Vec::new();
        let doc = json.to_json(&mut "/policy".to_string(), &mut unknown);
        assert_eq!(doc["Statement"][0]["Action"], "s3:*");
        assert_eq!(doc["Statement"][0]["Resource"], "*");
        assert_eq!(unknown, ["/policy/Statement/1/Resource"]);
        let mut refs = Vec::new();
        json.collect_refs(&mut refs);
        assert_eq!(refs, [std::sync::Arc::<str>::from("tf:aws_s3_bucket.b")]);
    }

    #[test]
    fn unknown_arguments_make_the_document_unknown() {
        let mut args = Attrs::new();
        args.insert("statement".into(), Value::list(vec![Value::unknown()]));
        assert!(read("aws_iam_policy_document", args).is_unknown());
    }
}
