//! Reading attributes for facets: each helper returns `None` when the value cannot be known,
//! and the given default when the attribute is not set (the provider's or API's default).
//!
//! Unknowns stay local: [`At`] reads one position of a resource's attributes (the resource
//! itself, a nested block, one element of a list) and says for each field it is asked about
//! whether *that field* is known, so one unknown value in a list of blocks unknowns only what
//! depends on it. [`any_of`] and [`all_of`] then combine per-element answers the way a facet
//! needs: decided whenever the known part decides.

use std::borrow::Cow;

use serde_json::Value;

use crate::inventory::{Attr, Resource};

/// A boolean attribute; strings `"true"`, `"Enabled"` count as true.
pub(crate) fn bool_at(r: &Resource, pointer: &str, default: bool) -> Option<bool> {
    match r.attr(pointer) {
        Attr::Known(v) => as_bool(v),
        Attr::Absent => Some(default),
        Attr::Unknown => None,
    }
}

/// An integer attribute (numbers, or numeric strings as some APIs give them).
pub(crate) fn int_at(r: &Resource, pointer: &str, default: i64) -> Option<i64> {
    match r.attr(pointer) {
        Attr::Known(v) => as_int(v),
        Attr::Absent => Some(default),
        Attr::Unknown => None,
    }
}

/// A string attribute; empty when not set.
pub(crate) fn str_at(r: &Resource, pointer: &str) -> Option<String> {
    match r.attr(pointer) {
        Attr::Known(Value::String(s)) => Some(s.clone()),
        Attr::Known(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
        Attr::Known(_) | Attr::Absent => Some(String::new()),
        Attr::Unknown => None,
    }
}

/// A string attribute that may refer to another resource whose value is only known after
/// apply (`kms_key_id = aws_kms_key.logs.arn`): then the referenced resource's id stands in,
/// since *which* resource it is matters more to a policy than its future ARN.
pub(crate) fn str_or_ref(r: &Resource, pointer: &str) -> Option<String> {
    match str_at(r, pointer) {
        Some(s) => Some(s),
        None => r
            .references
            .get(pointer)
            .and_then(|ids| ids.first())
            .cloned(),
    }
}

/// Whether attribute `pointer` of `holder` refers to `target` in Terraform
/// (`topic_arn = aws_sns_topic.alerts.arn`).
pub(crate) fn refers_to(holder: &Resource, pointer: &str, target: &Resource) -> bool {
    holder
        .references
        .get(pointer)
        .is_some_and(|ids| ids.iter().any(|id| id == &target.id))
}

/// Whether attribute `pointer` of `holder` names `target`: holds its ARN (as a string or in a
/// list of them) or refers to it.
pub(crate) fn names_arn(holder: &Resource, pointer: &str, target: &Resource) -> bool {
    let arn = arn_of(target);
    let holds = match (holder.attr(pointer), arn) {
        (Attr::Known(Value::String(v)), Some(arn)) => v == arn,
        (Attr::Known(Value::Array(vs)), Some(arn)) => vs.iter().any(|v| v.as_str() == Some(arn)),
        _ => false,
    };
    holds || refers_to(holder, pointer, target)
}

/// A resource's ARN: its known `arn` attribute, else its cloud id.
pub(crate) fn arn_of(r: &Resource) -> Option<&str> {
    match r.attr("/arn") {
        Attr::Known(Value::String(arn)) => Some(arn.as_str()),
        _ => r.cloud_id.as_deref(),
    }
}

/// A list attribute; empty when not set, `None` when unknown.
pub(crate) fn list_at<'a>(r: &'a Resource, pointer: &str) -> Option<&'a [Value]> {
    match r.attr(pointer) {
        Attr::Known(Value::Array(items)) => Some(items),
        Attr::Known(_) | Attr::Absent => Some(&[]),
        Attr::Unknown => None,
    }
}

/// A list of strings; `None` when the list or any element is unknown.
pub(crate) fn strings_at(r: &Resource, pointer: &str) -> Option<Vec<String>> {
    let items = list_at(r, pointer)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        if r.is_unknown(&format!("{pointer}/{i}")) {
            return None;
        }
        match item {
            Value::String(s) => out.push(s.clone()),
            Value::Null => {}
            other => out.push(other.to_string()),
        }
    }
    Some(out)
}

/// Whether a nested block (Terraform's list-of-one-object shape, or a plain object) is
/// present and not empty.
pub(crate) fn has_block(r: &Resource, pointer: &str) -> Option<bool> {
    match r.attr(pointer) {
        Attr::Known(Value::Array(items)) => Some(!items.is_empty()),
        Attr::Known(Value::Object(map)) => Some(!map.is_empty()),
        Attr::Known(_) => Some(true),
        Attr::Absent => Some(false),
        Attr::Unknown => None,
    }
}

pub(crate) fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "enabled" | "yes" => Some(true),
            "false" | "disabled" | "no" | "" => Some(false),
            _ => None,
        },
        Value::Null => Some(false),
        _ => None,
    }
}

pub(crate) fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Combines facts: unknown if any part is unknown.
pub(crate) fn all<T>(parts: impl IntoIterator<Item = Option<T>>) -> Option<Vec<T>> {
    parts.into_iter().collect()
}

/// The AWS region a resource lives in: its live source's region, its `region` attribute
/// (provider 6 adds one to every resource), or the region field of its ARN. `None` when none
/// of these is known (a plan's ARN is only known after apply).
pub(crate) fn region_of(r: &Resource) -> Option<String> {
    if let crate::inventory::Source::Aws { region, .. } = &r.source
        && region != "global"
        && !region.is_empty()
    {
        return Some(region.clone());
    }
    for pointer in ["/region", "/arn"] {
        if let Attr::Known(Value::String(s)) = r.attr(pointer) {
            let region = if pointer == "/arn" {
                s.split(':').nth(3).unwrap_or("")
            } else {
                s.as_str()
            };
            if !region.is_empty() {
                return Some(region.to_string());
            }
        }
    }
    None
}

/// Three-valued "any": true as soon as one part is known true, false when every part is known
/// false, unknown otherwise (a known-compliant set with an unknown member).
pub(crate) fn any_of(parts: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = Some(false);
    for part in parts {
        match part {
            Some(true) => return Some(true),
            Some(false) => {}
            None => out = None,
        }
    }
    out
}

/// Three-valued "all": false as soon as one part is known false, true when every part is known
/// true, unknown otherwise.
pub(crate) fn all_of(parts: impl IntoIterator<Item = Option<bool>>) -> Option<bool> {
    any_of(parts.into_iter().map(|p| p.map(|b| !b))).map(|b| !b)
}

/// One position in a resource's attributes (the resource itself, a nested block, one element
/// of a list), read in place.
///
/// Every read says whether the field it reads is known: [`Attr::Unknown`] when the field, or
/// anything containing it, is marked unknown in [`Resource::unknown`]; an unknown elsewhere in
/// the resource, even inside the same block, does not matter. A resource without unknowns is
/// read straight from its JSON, without building pointers.
#[derive(Debug, Clone)]
pub(crate) struct At<'a> {
    r: &'a Resource,
    /// The JSON at this position; `Null` when absent or unknown.
    value: &'a Value,
    /// The JSON pointer of this position; kept (and built) only when `partial`.
    pointer: String,
    /// Whether some unknown pointer lies at, above or below this position.
    partial: bool,
}

const NULL: Value = Value::Null;

/// Whether `unknown` is `pointer`, contains it, or lies inside it.
fn overlaps(unknown: &str, pointer: &str) -> bool {
    let (short, long) = if unknown.len() <= pointer.len() {
        (unknown, pointer)
    } else {
        (pointer, unknown)
    };
    long.starts_with(short) && (long.len() == short.len() || long.as_bytes()[short.len()] == b'/')
}

impl<'a> At<'a> {
    /// The resource's attributes as a whole.
    pub(crate) fn root(r: &'a Resource) -> Self {
        At {
            r,
            value: &r.attrs,
            pointer: String::new(),
            partial: !r.unknown.is_empty(),
        }
    }

    /// A JSON value that is not part of `r`'s attributes (a policy document parsed from text),
    /// read as wholly known.
    pub(crate) fn detached(r: &'a Resource, value: &'a Value) -> Self {
        At {
            r,
            value,
            pointer: String::new(),
            partial: false,
        }
    }

    /// The position `path` below this one (`/custom_origin_config/0`).
    pub(crate) fn at(&self, path: &str) -> At<'a> {
        let value = self.value.pointer(path).unwrap_or(&NULL);
        if !self.partial {
            return At {
                r: self.r,
                value,
                pointer: String::new(),
                partial: false,
            };
        }
        let pointer = format!("{}{path}", self.pointer);
        let partial = self.r.unknown.iter().any(|u| overlaps(u, &pointer));
        At {
            r: self.r,
            value,
            pointer,
            partial,
        }
    }

    /// This position's value, kept apart from "not set" and "cannot be known".
    pub(crate) fn attr(&self) -> Attr<'a> {
        if self.partial && self.r.is_unknown(&self.pointer) {
            return Attr::Unknown;
        }
        match self.value {
            Value::Null => Attr::Absent,
            v => Attr::Known(v),
        }
    }

    /// The field at `path` below this position.
    pub(crate) fn get(&self, path: &str) -> Attr<'a> {
        if !self.partial {
            return match self.value.pointer(path) {
                None | Some(Value::Null) => Attr::Absent,
                Some(v) => Attr::Known(v),
            };
        }
        self.at(path).attr()
    }

    /// A string field (numbers and booleans as text); empty when not set.
    pub(crate) fn text(&self, path: &str) -> Option<Cow<'a, str>> {
        match self.get(path) {
            Attr::Known(Value::String(s)) => Some(Cow::Borrowed(s)),
            Attr::Known(v @ (Value::Number(_) | Value::Bool(_))) => Some(Cow::Owned(v.to_string())),
            Attr::Known(_) | Attr::Absent => Some(Cow::Borrowed("")),
            Attr::Unknown => None,
        }
    }

    /// As [`At::text`], but a field known only after apply that refers to another resource
    /// reads as that resource's id (see [`str_or_ref`]).
    pub(crate) fn text_or_ref(&self, path: &str) -> Option<Cow<'a, str>> {
        self.text(path).or_else(|| {
            let pointer = format!("{}{path}", self.pointer);
            self.r
                .references
                .get(&pointer)
                .and_then(|ids| ids.first())
                .map(|id| Cow::Borrowed(id.as_str()))
        })
    }

    /// A boolean field (see [`as_bool`]); `default` when not set.
    pub(crate) fn bool(&self, path: &str, default: bool) -> Option<bool> {
        match self.get(path) {
            Attr::Known(v) => as_bool(v),
            Attr::Absent => Some(default),
            Attr::Unknown => None,
        }
    }

    /// An integer field (see [`as_int`]); `default` when not set.
    pub(crate) fn int(&self, path: &str, default: i64) -> Option<i64> {
        match self.get(path) {
            Attr::Known(v) => as_int(v),
            Attr::Absent => Some(default),
            Attr::Unknown => None,
        }
    }

    /// The elements of the list at `path` (a plain object counts as a list of one): empty when
    /// not set, `None` when the list itself is unknown. An element may still hold unknowns.
    pub(crate) fn list(&self, path: &str) -> Option<Vec<At<'a>>> {
        let here = self.at(path);
        match here.attr() {
            Attr::Unknown => None,
            Attr::Known(Value::Array(items)) => Some(
                (0..items.len())
                    .map(|i| here.at(&format!("/{i}")))
                    .collect(),
            ),
            Attr::Known(Value::Object(_)) => Some(vec![here]),
            Attr::Known(_) | Attr::Absent => Some(Vec::new()),
        }
    }

    /// The first element of a nested block (Terraform's list-of-one shape): `Some(None)` when
    /// the block is not written, `None` when it is unknown.
    pub(crate) fn block(&self, path: &str) -> Option<Option<At<'a>>> {
        Some(self.list(path)?.into_iter().next())
    }

    /// Whether a string-or-list field holds a value that `pred` accepts: true when a known
    /// value does, unknown when none does but a value (or the list) is unknown.
    pub(crate) fn any_text(&self, path: &str, pred: impl Fn(&str) -> bool) -> Option<bool> {
        let one = |attr: Attr<'_>| match attr {
            Attr::Known(Value::String(s)) => Some(pred(s)),
            Attr::Known(Value::Null) | Attr::Absent => Some(false),
            Attr::Known(v) => Some(pred(&v.to_string())),
            Attr::Unknown => None,
        };
        match self.get(path) {
            Attr::Known(Value::Array(_)) => any_of(self.list(path)?.iter().map(|i| one(i.attr()))),
            other => one(other),
        }
    }
}

/// The elements of the list attribute at `pointer` of `r`, each read in place (see [`At`]);
/// `None` when the list itself is unknown.
pub(crate) fn elements<'a>(r: &'a Resource, pointer: &str) -> Option<Vec<At<'a>>> {
    At::root(r).list(pointer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Source;
    use serde_json::json;

    fn resource(attrs: Value, unknown: &[&str]) -> Resource {
        let mut r = Resource::new(
            "tf:x.y",
            "x",
            Source::Aws {
                account: "1".into(),
                region: "eu-west-1".into(),
            },
        );
        r.attrs = attrs;
        r.unknown = unknown.iter().map(|u| u.to_string()).collect();
        r
    }

    #[test]
    fn three_valued_any_and_all() {
        assert_eq!(any_of([Some(false), None, Some(true)]), Some(true));
        assert_eq!(any_of([Some(false), None]), None);
        assert_eq!(any_of([Some(false), Some(false)]), Some(false));
        assert_eq!(any_of(std::iter::empty()), Some(false));
        assert_eq!(all_of([Some(true), None, Some(false)]), Some(false));
        assert_eq!(all_of([Some(true), None]), None);
        assert_eq!(all_of([Some(true), Some(true)]), Some(true));
        assert_eq!(all_of(std::iter::empty()), Some(true));
    }

    #[test]
    fn unknowns_stay_at_their_own_field() {
        let r = resource(
            json!({"origin": [
                {"domain_name": null, "custom_origin_config": [{"origin_ssl_protocols": ["SSLv3"]}]},
                {"domain_name": "b", "custom_origin_config": [{"origin_ssl_protocols": [null, "TLSv1.2"]}]}
            ]}),
            &[
                "/origin/0/domain_name",
                "/origin/1/custom_origin_config/0/origin_ssl_protocols/0",
            ],
        );
        let origins = elements(&r, "/origin").expect("the list is known");
        assert_eq!(origins.len(), 2);
        assert_eq!(origins[0].get("/domain_name"), Attr::Unknown);
        assert_eq!(origins[1].text("/domain_name").as_deref(), Some("b"));
        let weak = |p: &str| p.starts_with("SSL");
        let first = origins[0].block("/custom_origin_config").flatten();
        assert_eq!(
            first.map(|c| c.any_text("/origin_ssl_protocols", weak)),
            Some(Some(true))
        );
        let second = origins[1].block("/custom_origin_config").flatten();
        assert_eq!(
            second.map(|c| c.any_text("/origin_ssl_protocols", weak)),
            Some(None)
        );
        assert_eq!(origins[1].text("/missing").as_deref(), Some(""));
    }

    #[test]
    fn an_unknown_list_or_element_is_unknown_throughout() {
        let r = resource(
            json!({"rule": null, "tag": [null, {"key": "a"}]}),
            &["/rule", "/tag/0"],
        );
        assert!(elements(&r, "/rule").is_none());
        let tags = elements(&r, "/tag").expect("the list is known");
        assert_eq!(tags[0].get("/key"), Attr::Unknown);
        assert_eq!(tags[0].bool("/propagate_at_launch", false), None);
        assert_eq!(tags[1].bool("/propagate_at_launch", false), Some(false));
        // A resource without unknowns reads the same without pointers.
        let known = resource(json!({"tag": [{"key": "a", "n": "3"}]}), &[]);
        let tags = elements(&known, "/tag").expect("known");
        assert_eq!(tags[0].int("/n", 0), Some(3));
        assert_eq!(tags[0].text("/key").as_deref(), Some("a"));
        assert!(!overlaps("/tag/1", "/tag/10"));
        assert!(overlaps("/tag", "/tag/1/key"));
        assert!(overlaps("/tag/1/key", "/tag/1"));
    }
}
