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
pub const LOCAL: &[&str] = &["aws_iam_policy_document"];

/// The data source's result, as other expressions see it: its arguments plus the attributes
/// it computes. Unknown when an argument it needs is unknown.
pub fn read(kind: &str, args: Attrs) -> Value {
    match kind {
        "aws_iam_policy_document" => policy_document(args),
        _ => Value::unknown(),
    }
}

fn policy_document(mut args: Attrs) -> Value {
    let whole = Value::map(args.clone());
    if !whole.is_wholly_known() {
        return Value::unknown_of([&whole]);
    }
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
    for doc in strings(args.get("source_policy_documents")) {
        for s in parsed_statements(&doc) {
            put(&mut statements, s);
        }
    }
    for block in blocks(args.get("statement")) {
        put(&mut statements, statement(block));
    }
    for doc in strings(args.get("override_policy_documents")) {
        for s in parsed_statements(&doc) {
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
    let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let minified = serde_json::to_string(&doc).unwrap_or_default();
    args.insert("json".into(), Value::string(pretty));
    args.insert("minified_json".into(), Value::string(minified));
    Value::map(args)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::to_text)
        .collect()
}

fn blocks(v: Option<&Value>) -> impl Iterator<Item = &Attrs> {
    v.and_then(Value::as_list)
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_map)
}

fn parsed_statements(doc: &str) -> Vec<Json> {
    match serde_json::from_str::<Json>(doc)
        .ok()
        .and_then(|d| d.get("Statement").cloned())
    {
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
    fn unknown_arguments_make_the_document_unknown() {
        let mut args = Attrs::new();
        args.insert("statement".into(), Value::list(vec![Value::unknown()]));
        assert!(read("aws_iam_policy_document", args).is_unknown());
    }
}
