//! Attribute-level comparison of two versions of a resource.
//!
//! Rules, the same for every kind (documented in `docs/drift.md`):
//!
//! * A value that is `null`, absent, an empty string, an empty list or an empty map is
//!   *unset*; moving between these is not a change.
//! * Numbers compare by value (`7` equals `7.0`).
//! * Lists compare as collections: the same elements in another order are not a change (the
//!   provider returns sets such as security group rules in any order). Elements that differ are
//!   paired in order when as many disappeared as appeared, and compared field by field;
//!   otherwise each is reported whole, as removed (`after: null`) or added (`before: null`).
//! * Volatile fields ([`super::volatile`]) and values either side could not read (its
//!   `unknown` pointers) are not compared.
//!
//! In [`Mode::Stated`] (IaC against live) only what the IaC side states is compared: its keys,
//! where its value is not `null` or an empty string. An empty list or map is a statement
//! ("no ingress rules", "no tags") and is compared. Facets are compared where both sides know
//! them.

use serde_json::{Map, Value};

use super::arn::normalise_arn;
use super::volatile::VolatileFields;
use crate::inventory::Resource;

/// One difference: where, and the value on each side (`null` where there is none).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// JSON pointer from the resource: `/attrs/versioning/0/enabled`, `/facets/versioning`.
    pub path: String,
    pub before: Value,
    pub after: Value,
}

/// What to compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Two snapshots: every field.
    Full,
    /// IaC (before) against live (after): what the IaC states.
    Stated,
}

/// Lists longer than this are compared in order rather than as collections, to stay linear.
const MATCH_LIMIT: usize = 256;

const NULL: Value = Value::Null;

/// The differences between two versions of a resource, attributes then facets, each in path
/// order.
pub fn resource_changes(before: &Resource, after: &Resource, mode: Mode) -> Vec<Change> {
    let volatile = VolatileFields::for_kind(&after.kind);
    let mut d = Differ {
        mode,
        volatile: &volatile,
        before,
        after,
        path: Vec::new(),
        out: Vec::new(),
    };
    match (mode, tag_views(before, after)) {
        // The provider's `tags_all` (the resource's tags plus provider default tags) is what
        // the cloud holds as tags: compare it with the live tags, and compare the rest
        // without either.
        (Mode::Stated, Some((iac_tags, live_tags))) => {
            let strip = |v: &Value| match v {
                Value::Object(map) => Value::Object(
                    map.iter()
                        .filter(|(k, _)| *k != "tags" && *k != "tags_all")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                other => other.clone(),
            };
            d.path.push("tags".into());
            d.value(iac_tags, live_tags);
            d.path.pop();
            let mut rest = std::mem::take(&mut d.out);
            d.value(&strip(&before.attrs), &strip(&after.attrs));
            rest.append(&mut d.out);
            rest.sort_by(|a, b| a.path.cmp(&b.path));
            d.out = rest;
        }
        _ => d.value(&before.attrs, &after.attrs),
    }
    let mut changes = d.out;
    if mode == Mode::Full && before.cloud_id != after.cloud_id {
        changes.push(Change {
            path: "/cloud_id".into(),
            before: before.cloud_id.clone().map_or(Value::Null, Value::String),
            after: after.cloud_id.clone().map_or(Value::Null, Value::String),
        });
    }
    changes.extend(facet_changes(before, after, mode));
    changes
}

/// IaC `tags_all` and live `tags`, when the IaC has `tags_all` and the live side does not.
fn tag_views<'v>(iac: &'v Resource, live: &'v Resource) -> Option<(&'v Value, &'v Value)> {
    let iac_all = iac.attrs.get("tags_all").filter(|v| v.is_object())?;
    if live.attrs.get("tags_all").is_some_and(|v| !v.is_null()) {
        return None;
    }
    Some((iac_all, live.attrs.get("tags").unwrap_or(&NULL)))
}

/// Facets that differ. Facets are compared strictly (a `null` facet means "unknown", which is
/// not the same as an empty one), except that in [`Mode::Stated`] a facet unknown on either
/// side is not compared.
pub fn facet_changes(before: &Resource, after: &Resource, mode: Mode) -> Vec<Change> {
    let mut out = Vec::new();
    let names = before.facets.keys().chain(
        after
            .facets
            .keys()
            .filter(|k| !before.facets.contains_key(*k)),
    );
    let mut names: Vec<&String> = names.collect();
    names.sort();
    for name in names {
        let x = before.facets.get(name).unwrap_or(&NULL);
        let y = after.facets.get(name).unwrap_or(&NULL);
        if mode == Mode::Stated && (x.is_null() || y.is_null()) {
            continue;
        }
        if !same_scalar_or_equal(x, y) {
            out.push(Change {
                path: format!("/facets/{}", escape(name)),
                before: x.clone(),
                after: y.clone(),
            });
        }
    }
    out
}

/// Escapes one JSON-pointer segment.
pub fn escape(segment: &str) -> String {
    if segment.contains(['~', '/']) {
        segment.replace('~', "~0").replace('/', "~1")
    } else {
        segment.to_string()
    }
}

struct Differ<'a> {
    mode: Mode,
    volatile: &'a VolatileFields,
    before: &'a Resource,
    after: &'a Resource,
    /// Unescaped segments under `attrs`.
    path: Vec<String>,
    out: Vec<Change>,
}

impl Differ<'_> {
    fn pointer(&self) -> String {
        self.path
            .iter()
            .map(|s| format!("/{}", escape(s)))
            .collect()
    }

    fn skipped(&self) -> bool {
        if self.path.is_empty() {
            return false;
        }
        let segments: Vec<&str> = self.path.iter().map(String::as_str).collect();
        if self.volatile.covers(&segments) {
            return true;
        }
        let pointer = self.pointer();
        self.before.is_unknown(&pointer) || self.after.is_unknown(&pointer)
    }

    fn record(&mut self, before: &Value, after: &Value) {
        // A list element that is itself unset on both sides (`[null]` against `[]`).
        if equivalent(before, after) {
            return;
        }
        self.out.push(Change {
            path: format!("/attrs{}", self.pointer()),
            before: before.clone(),
            after: after.clone(),
        });
    }

    fn value(&mut self, x: &Value, y: &Value) {
        if self.skipped() {
            return;
        }
        match self.mode {
            Mode::Full if equivalent(x, y) => return,
            Mode::Stated if !stated(x) || stated_eq(x, y) => return,
            _ => {}
        }
        match (x, y) {
            // IaC states "none here": everything live has under it is a difference.
            (Value::Object(mx), Value::Object(my)) if mx.is_empty() => {
                self.mode = Mode::Full;
                self.object(mx, my);
                self.mode = Mode::Stated;
            }
            (Value::Object(mx), Value::Object(my)) => self.object(mx, my),
            (Value::Object(mx), Value::Null) if self.mode == Mode::Stated => {
                self.object(mx, &Map::new())
            }
            (Value::Array(ax), Value::Array(ay)) => self.array(ax, ay),
            (Value::Array(ax), Value::Null) => self.array(ax, &[]),
            (Value::Null, Value::Array(ay)) if self.mode == Mode::Full => self.array(&[], ay),
            _ => self.record(x, y),
        }
    }

    fn object(&mut self, mx: &Map<String, Value>, my: &Map<String, Value>) {
        let mut keys: Vec<&String> = mx.keys().collect();
        if self.mode == Mode::Full {
            keys.extend(my.keys().filter(|k| !mx.contains_key(*k)));
            keys.sort();
        }
        for k in keys {
            self.path.push(k.clone());
            self.value(mx.get(k).unwrap_or(&NULL), my.get(k).unwrap_or(&NULL));
            self.path.pop();
        }
    }

    fn array(&mut self, ax: &[Value], ay: &[Value]) {
        let eq = match self.mode {
            Mode::Full => equivalent,
            Mode::Stated => stated_eq,
        };
        let Some((gone, new)) = unmatched(ax, ay, eq) else {
            // Too long to match as collections: report the whole list.
            self.record(&Value::Array(ax.to_vec()), &Value::Array(ay.to_vec()));
            return;
        };
        if gone.len() == new.len() {
            for (&i, &j) in gone.iter().zip(&new) {
                self.path.push(j.to_string());
                self.value(&ax[i], &ay[j]);
                self.path.pop();
            }
            return;
        }
        for i in gone {
            self.path.push(i.to_string());
            if !self.skipped() {
                self.record(&ax[i], &NULL);
            }
            self.path.pop();
        }
        for j in new {
            self.path.push(j.to_string());
            if !self.skipped() {
                self.record(&NULL, &ay[j]);
            }
            self.path.pop();
        }
    }
}

/// Indexes of `ax` with no equal element in `ay`, and of `ay` with none in `ax` (each element
/// matches at most one other). `None` when the lists are too long to match.
fn unmatched(
    ax: &[Value],
    ay: &[Value],
    eq: fn(&Value, &Value) -> bool,
) -> Option<(Vec<usize>, Vec<usize>)> {
    if ax.len() > MATCH_LIMIT || ay.len() > MATCH_LIMIT {
        return None;
    }
    let mut taken = vec![false; ay.len()];
    let mut gone = Vec::new();
    for (i, x) in ax.iter().enumerate() {
        // The same position first: the usual case, and it keeps pairs stable.
        let found = if ay.get(i).is_some_and(|y| !taken[i] && eq(x, y)) {
            Some(i)
        } else {
            (0..ay.len()).find(|&j| !taken[j] && eq(x, &ay[j]))
        };
        match found {
            Some(j) => taken[j] = true,
            None => gone.push(i),
        }
    }
    let new = (0..ay.len()).filter(|&j| !taken[j]).collect();
    Some((gone, new))
}

/// Whether a value counts as unset: `null`, `""`, `[]`, `{}`.
fn is_unset(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

fn same_scalar_or_equal(x: &Value, y: &Value) -> bool {
    match (x, y) {
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        _ => x == y,
    }
}

/// Two ARNs that differ only in a form the API and the provider write differently (a log
/// group's trailing `:*`).
fn same_arn(x: &str, y: &str) -> bool {
    x.starts_with("arn:") && normalise_arn(x) == normalise_arn(y)
}

/// Equality for snapshots: unset values are equal, numbers by value, lists as collections.
pub fn equivalent(x: &Value, y: &Value) -> bool {
    if x == y || (is_unset(x) && is_unset(y)) {
        return true;
    }
    match (x, y) {
        (Value::Number(_), Value::Number(_)) => same_scalar_or_equal(x, y),
        (Value::String(a), Value::String(b)) => same_arn(a, b),
        (Value::Object(mx), Value::Object(my)) => {
            mx.iter()
                .all(|(k, v)| equivalent(v, my.get(k).unwrap_or(&NULL)))
                && my
                    .iter()
                    .filter(|(k, _)| !mx.contains_key(*k))
                    .all(|(_, v)| is_unset(v))
        }
        (Value::Array(ax), Value::Array(ay)) => {
            ax.len() == ay.len()
                && matches!(unmatched(ax, ay, equivalent), Some((g, n)) if g.is_empty() && n.is_empty())
        }
        _ => false,
    }
}

/// Whether the IaC value states anything: not `null` and not an empty string.
fn stated(x: &Value) -> bool {
    !matches!(x, Value::Null) && !matches!(x, Value::String(s) if s.is_empty())
}

/// Whether `y` (live) agrees with everything `x` (IaC) states.
fn stated_eq(x: &Value, y: &Value) -> bool {
    if !stated(x) || x == y {
        return true;
    }
    match (x, y) {
        (Value::Number(_), Value::Number(_)) => same_scalar_or_equal(x, y),
        (Value::String(a), Value::String(b)) => same_arn(a, b),
        // An empty map states "none" (no tags).
        (Value::Object(mx), _) if mx.is_empty() => is_unset(y),
        (Value::Object(mx), Value::Object(my)) => mx
            .iter()
            .all(|(k, v)| stated_eq(v, my.get(k).unwrap_or(&NULL))),
        (Value::Object(mx), Value::Null) => mx.values().all(|v| stated_eq(v, &NULL)),
        (Value::Array(ax), _) if is_unset(y) => ax.is_empty(),
        (Value::Array(ax), Value::Array(ay)) => {
            ax.len() == ay.len()
                && matches!(unmatched(ax, ay, stated_eq), Some((g, n)) if g.is_empty() && n.is_empty())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Source;
    use serde_json::json;

    fn res(kind: &str, attrs: Value) -> Resource {
        let mut r = Resource::new(
            "aws:1:eu-west-1:x:y",
            kind,
            Source::Aws {
                account: "1".into(),
                region: "eu-west-1".into(),
            },
        );
        r.attrs = attrs;
        r
    }

    fn changes(mode: Mode, a: Value, b: Value) -> Vec<(String, Value, Value)> {
        resource_changes(&res("aws_x", a), &res("aws_x", b), mode)
            .into_iter()
            .map(|c| (c.path, c.before, c.after))
            .collect()
    }

    #[test]
    fn nested_blocks_report_the_leaf_that_changed() {
        let c = changes(
            Mode::Full,
            json!({"versioning": [{"enabled": true, "mfa_delete": false}], "bucket": "b"}),
            json!({"versioning": [{"enabled": false, "mfa_delete": false}], "bucket": "b"}),
        );
        assert_eq!(
            c,
            [(
                "/attrs/versioning/0/enabled".into(),
                json!(true),
                json!(false)
            )]
        );
    }

    #[test]
    fn unset_forms_numbers_and_order_are_not_changes() {
        let c = changes(
            Mode::Full,
            json!({"a": null, "b": "", "c": [], "n": 7, "rules": [{"p": 22}, {"p": 443}], "t": {}}),
            json!({"a": "", "c": null, "n": 7.0, "rules": [{"p": 443}, {"p": 22}], "x": null}),
        );
        assert!(c.is_empty(), "{c:?}");
    }

    #[test]
    fn added_and_removed_list_elements_are_reported_whole() {
        let open = json!({"from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]});
        let web = json!({"from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"]});
        let c = changes(
            Mode::Full,
            json!({"ingress": [web.clone()]}),
            json!({"ingress": [open.clone(), web.clone()]}),
        );
        assert_eq!(c, [("/attrs/ingress/0".into(), json!(null), open.clone())]);
        let c = changes(
            Mode::Full,
            json!({"ingress": [open.clone(), web.clone()]}),
            json!({"ingress": [web]}),
        );
        assert_eq!(c, [("/attrs/ingress/0".into(), open, json!(null))]);
    }

    #[test]
    fn pointer_segments_are_escaped() {
        let c = changes(
            Mode::Full,
            json!({"tags": {"a/b": "1"}}),
            json!({"tags": {"a/b": "2"}}),
        );
        assert_eq!(c[0].0, "/attrs/tags/a~1b");
    }

    #[test]
    fn volatile_and_unknown_fields_are_skipped() {
        let mut a = res(
            "aws_db_instance",
            json!({"latest_restorable_time": "t1", "status": "available", "arn": null, "multi_az": true}),
        );
        let mut b = res(
            "aws_db_instance",
            json!({"latest_restorable_time": "t2", "status": "backing-up", "arn": "arn:x", "multi_az": false}),
        );
        a.unknown.insert("/arn".into());
        b.unknown.clear();
        let c = resource_changes(&a, &b, Mode::Full);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].path, "/attrs/multi_az");
    }

    #[test]
    fn stated_mode_compares_only_what_iac_states() {
        // Live has many attributes IaC does not mention, and one that differs.
        let c = changes(
            Mode::Stated,
            json!({"name": "web", "description": "", "tags": {"Owner": "a"}, "kms_key_id": null,
                   "ingress": [{"from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"], "description": ""}]}),
            json!({"name": "web", "description": "Managed by Terraform", "tags": {"Owner": "a", "Extra": "x"},
                   "kms_key_id": "k", "owner_id": "123",
                   "ingress": [{"from_port": 443, "to_port": 443, "cidr_blocks": ["10.0.0.0/8"], "description": "x"},
                               {"from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]}]}),
        );
        assert_eq!(
            c,
            [(
                "/attrs/ingress/1".into(),
                json!(null),
                json!({"from_port": 22, "to_port": 22, "cidr_blocks": ["0.0.0.0/0"]})
            )]
        );
        // An empty map is a statement: tags added live are drift.
        let c = changes(
            Mode::Stated,
            json!({"tags": {}}),
            json!({"tags": {"a": "b"}}),
        );
        assert_eq!(c, [("/attrs/tags/a".into(), json!(null), json!("b"))]);
    }

    #[test]
    fn stated_mode_compares_tags_all_with_live_tags_and_arns_in_either_form() {
        let c = changes(
            Mode::Stated,
            json!({"tags": {"Owner": "a"}, "tags_all": {"Owner": "a", "Env": "prod"},
                   "arn": "arn:aws:logs:eu-west-1:1:log-group:/app"}),
            json!({"tags": {"Owner": "a", "Env": "dev"}, "arn": "arn:aws:logs:eu-west-1:1:log-group:/app:*"}),
        );
        assert_eq!(c, [("/attrs/tags/Env".into(), json!("prod"), json!("dev"))]);
    }

    #[test]
    fn facets_are_strict_in_full_mode_and_known_only_in_stated_mode() {
        let mut a = res("aws_s3_bucket", json!({}));
        let mut b = res("aws_s3_bucket", json!({}));
        a.facets.insert("versioning".into(), json!(true));
        b.facets.insert("versioning".into(), json!(false));
        a.facets.insert("kms_key".into(), json!(null));
        b.facets.insert("kms_key".into(), json!(""));
        let full: Vec<String> = resource_changes(&a, &b, Mode::Full)
            .into_iter()
            .map(|c| c.path)
            .collect();
        assert_eq!(full, ["/facets/kms_key", "/facets/versioning"]);
        let stated: Vec<String> = resource_changes(&a, &b, Mode::Stated)
            .into_iter()
            .map(|c| c.path)
            .collect();
        assert_eq!(stated, ["/facets/versioning"]);
    }
}
