//! Where the values of a rendered object were set: the provenance of patched values.
//!
//! An object starts with the file and lines of its base resource. Each transformation that
//! changes it (a strategic merge or JSON 6902 patch, `images`, `replicas`, `namespace`,
//! `namePrefix`/`nameSuffix`, labels, annotations) is followed by a diff of the object before
//! and after: every JSON pointer whose value was added or changed is recorded with the file
//! and line of what set it (the value's line in the patch, an inline patch's line in
//! `kustomization.yaml`, the entry of `images:` or `replicas:`). A later transformation
//! overrides an earlier record for the same pointer. Lists whose elements all carry a `name`
//! are compared element by element by name, so a patch that reorders containers does not
//! claim the containers it did not touch, and earlier records follow their element to its new
//! index. Records under values that are gone are dropped.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::inventory::Origin;
use crate::yaml::{Node, NodeValue};

/// Pointer (RFC 6901) -> where its value was set.
pub type Origins = BTreeMap<String, Origin>;

/// One segment of a JSON pointer, escaped.
fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

fn join(segs: &[String]) -> String {
    segs.iter().fold(String::new(), |mut s, seg| {
        s.push('/');
        s.push_str(&escape(seg));
        s
    })
}

/// The segments of a JSON pointer (`""` is the root).
pub fn segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .strip_prefix('/')
        .unwrap_or(pointer)
        .split('/')
        .map(unescape)
        .collect()
}

/// What changed between two versions of an object.
#[derive(Default)]
struct Diff {
    /// Pointers (after) of values added or changed: leaves, and the roots of added subtrees.
    changed: Vec<Vec<String>>,
    /// List elements that moved: (pointer before, pointer after).
    moved: Vec<(String, String)>,
    /// Pointers (before) of values that are gone: keys removed, list elements not kept.
    removed: Vec<String>,
}

/// The key list elements are matched by, when every element of both lists has one.
fn named(items: &[Value]) -> Option<Vec<&str>> {
    items
        .iter()
        .map(|i| i.get("name").and_then(Value::as_str))
        .collect()
}

fn added(v: &Value, path: &mut Vec<String>, out: &mut Diff) {
    out.changed.push(path.clone());
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                path.push(k.clone());
                added(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                path.push(i.to_string());
                added(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn diff(
    before: &Value,
    after: &Value,
    from: &mut Vec<String>,
    to: &mut Vec<String>,
    out: &mut Diff,
) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                from.push(k.clone());
                out.removed.push(join(from));
                from.pop();
            }
            for (k, av) in a {
                to.push(k.clone());
                match b.get(k) {
                    Some(bv) => {
                        from.push(k.clone());
                        diff(bv, av, from, to, out);
                        from.pop();
                    }
                    None => added(av, to, out),
                }
                to.pop();
            }
        }
        (Value::Array(b), Value::Array(a)) => {
            let pairs: Vec<(Option<usize>, usize)> = match (named(b), named(a)) {
                (Some(bn), Some(an)) => an
                    .iter()
                    .enumerate()
                    .map(|(j, n)| (bn.iter().position(|m| m == n), j))
                    .collect(),
                _ => (0..a.len())
                    .map(|j| ((j < b.len()).then_some(j), j))
                    .collect(),
            };
            let mut kept = vec![false; b.len()];
            for i in pairs.iter().filter_map(|(i, _)| *i) {
                kept[i] = true;
            }
            for i in (0..b.len()).filter(|i| !kept[*i]) {
                from.push(i.to_string());
                out.removed.push(join(from));
                from.pop();
            }
            for (i, j) in pairs {
                to.push(j.to_string());
                match i {
                    Some(i) => {
                        from.push(i.to_string());
                        // An element that moved takes its records along, changed or not.
                        if i != j {
                            out.moved.push((join(from), join(to)));
                        }
                        diff(&b[i], &a[j], from, to, out);
                        from.pop();
                    }
                    None => added(&a[j], to, out),
                }
                to.pop();
            }
        }
        _ => added(after, to, out),
    }
}

/// Whether `pointer` is `at` or below it.
fn under(pointer: &str, at: &str) -> bool {
    pointer == at || (pointer.starts_with(at) && pointer.as_bytes().get(at.len()) == Some(&b'/'))
}

/// Records what a transformation changed in an object: `locate` gives the line, in `file`,
/// of what set the value at a pointer (given as segments).
pub fn record(
    origins: &mut Origins,
    before: &Value,
    after: &Value,
    file: &Path,
    locate: &dyn Fn(&[String]) -> u32,
) {
    if before == after {
        return;
    }
    let mut d = Diff::default();
    diff(before, after, &mut Vec::new(), &mut Vec::new(), &mut d);
    let reshaped = !d.moved.is_empty() || !d.removed.is_empty();
    if reshaped && !origins.is_empty() {
        let old = std::mem::take(origins);
        for (pointer, origin) in old {
            if d.removed.iter().any(|r| under(&pointer, r)) {
                continue;
            }
            // The innermost move: its pointer after already follows the moves around it.
            let moved = d
                .moved
                .iter()
                .filter(|(from, _)| under(&pointer, from))
                .max_by_key(|(from, _)| from.len());
            let pointer = match moved {
                Some((from, to)) => format!("{to}{}", &pointer[from.len()..]),
                None => pointer,
            };
            origins.insert(pointer, origin);
        }
    }
    origins.retain(|p, _| after.pointer(p).is_some());
    let path = file.display().to_string();
    for segs in d.changed {
        if segs.is_empty() {
            continue;
        }
        let origin = Origin {
            path: path.clone(),
            line: locate(&segs),
        };
        origins.insert(join(&segs), origin);
    }
}

/// Keys a list element may be matched by in a patch, as the Kubernetes types merge lists.
const MERGE_KEYS: [&str; 8] = [
    "name",
    "mountPath",
    "devicePath",
    "containerPort",
    "port",
    "ip",
    "topologyKey",
    "type",
];

/// The line, in a patch document `node`, of the value that set `segs` in the patched object
/// `after` (the object as the patch left it): the deepest node of the patch on the way there,
/// list elements matched by their merge key.
pub fn line_in(node: &Node, after: &Value, segs: &[String]) -> u32 {
    let mut node = node;
    let mut value = Some(after);
    for seg in segs {
        let next = match &node.value {
            NodeValue::Map(_) => node.get(seg),
            NodeValue::Seq(items) => {
                let element = value.and_then(|v| v.get(seg.parse::<usize>().unwrap_or(usize::MAX)));
                let by_key = element.and_then(|e| {
                    MERGE_KEYS.iter().find_map(|k| {
                        let key = e.get(*k)?;
                        items
                            .iter()
                            .find(|i| i.get(k).is_some_and(|n| n.to_json() == *key))
                    })
                });
                by_key.or_else(|| {
                    let has_keys =
                        element.is_some_and(|e| MERGE_KEYS.iter().any(|k| e.get(*k).is_some()));
                    if has_keys {
                        None
                    } else {
                        seg.parse::<usize>().ok().and_then(|i| items.get(i))
                    }
                })
            }
            _ => None,
        };
        let Some(next) = next else { break };
        node = next;
        value = value.and_then(|v| match v {
            Value::Array(items) => seg.parse::<usize>().ok().and_then(|i| items.get(i)),
            other => other.get(seg),
        });
    }
    node.line
}

/// The line, in a list of JSON 6902 operations, of what set `segs`: the last operation whose
/// path leads to it (into its `value` when there is one), else the first operation's line.
pub fn line_in_ops(ops: &Node, after: &Value, segs: &[String]) -> u32 {
    let NodeValue::Seq(items) = &ops.value else {
        return ops.line;
    };
    let same = |a: &str, b: &str| {
        a == b || a == "-" || (a.parse::<usize>().is_ok() && b.parse::<usize>().is_ok())
    };
    for op in items.iter().rev() {
        let Some(path) = op.get("path").and_then(Node::as_str) else {
            continue;
        };
        let op_segs = segments(path);
        let n = op_segs.len().min(segs.len());
        if !op_segs[..n]
            .iter()
            .zip(&segs[..n])
            .all(|(a, b)| same(a.as_str(), b.as_str()))
        {
            continue;
        }
        if op_segs.len() <= segs.len()
            && let Some(value) = op.get("value")
        {
            let at = after
                .pointer(&join(&segs[..op_segs.len()]))
                .unwrap_or(after);
            return line_in(value, at, &segs[op_segs.len()..]);
        }
        return op.line;
    }
    items.first().map_or(ops.line, |o| o.line)
}

/// Shifts every line of a patch parsed from text that starts `offset` lines into its file
/// (an inline patch in `kustomization.yaml`).
pub fn shift(node: &mut Node, offset: u32) {
    node.line += offset;
    match &mut node.value {
        NodeValue::Seq(items) => items.iter_mut().for_each(|n| shift(n, offset)),
        NodeValue::Map(entries) => entries.iter_mut().for_each(|(_, n)| shift(n, offset)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin(line: u32) -> Origin {
        Origin {
            path: "p.yaml".into(),
            line,
        }
    }

    #[test]
    fn records_added_and_changed_values_only() {
        let before =
            json!({"spec": {"replicas": 1, "keep": "x", "list": [{"name": "a", "image": "i:1"}]}});
        let after = json!({"spec": {"replicas": 3, "keep": "x", "new": {"k": true},
            "list": [{"name": "b"}, {"name": "a", "image": "i:1"}]}});
        let mut o = Origins::new();
        o.insert("/spec/list/0/image".into(), origin(1));
        record(
            &mut o,
            &before,
            &after,
            Path::new("p.yaml"),
            &|segs: &[String]| segs.len() as u32 * 10,
        );
        let keys: Vec<&str> = o.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "/spec/list/0",
                "/spec/list/0/name",
                "/spec/list/1/image",
                "/spec/new",
                "/spec/new/k",
                "/spec/replicas"
            ]
        );
        // The element that moved keeps its earlier record; new values get the locator's line.
        assert_eq!(o["/spec/list/1/image"].line, 1);
        assert_eq!(o["/spec/replicas"].line, 20);
    }

    #[test]
    fn records_follow_elements_that_moved_and_changed_and_go_with_removed_ones() {
        let before = json!({"c": [{"name": "gone", "env": [1]}, {"name": "a", "image": "i:1"}]});
        let after = json!({"c": [{"name": "a", "image": "i:2"}, {"name": "b", "env": [1]}]});
        let mut o = Origins::new();
        o.insert("/c/0/env".into(), origin(3));
        o.insert("/c/1/name".into(), origin(4));
        record(&mut o, &before, &after, Path::new("p.yaml"), &|_| 9);
        // `a` moved to 0 and changed: its name keeps its record, its image gets the new one;
        // `gone`'s env does not pass to `b`, which is new.
        assert_eq!(o["/c/0/name"].line, 4);
        assert_eq!(o["/c/0/image"].line, 9);
        assert_eq!(o["/c/1/env"].line, 9);
        assert_eq!(o["/c/1/name"].line, 9);
        assert_eq!(o.len(), 6, "{o:?}");
    }

    #[test]
    fn records_under_removed_values_go() {
        let before = json!({"a": {"b": 1}, "c": 1});
        let after = json!({"c": 2});
        let mut o = Origins::new();
        o.insert("/a/b".into(), origin(4));
        record(&mut o, &before, &after, Path::new("p.yaml"), &|_| 7);
        assert_eq!(o.keys().collect::<Vec<_>>(), ["/c"]);
    }

    #[test]
    fn finds_the_line_of_a_value_in_a_patch() {
        let text = "spec:\n  template:\n    spec:\n      containers:\n        - name: b\n          image: x\n        - name: a\n          securityContext:\n            privileged: true\n";
        let node = crate::yaml::documents(text).unwrap().remove(0);
        let after = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "b", "image": "x"}, {"name": "a", "securityContext": {"privileged": true}}]}}}});
        let segs = segments("/spec/template/spec/containers/1/securityContext/privileged");
        assert_eq!(line_in(&node, &after, &segs), 9);
        assert_eq!(
            line_in(
                &node,
                &after,
                &segments("/spec/template/spec/containers/0/image")
            ),
            6
        );
        // Not in the patch: the deepest patch value on the way, `spec`'s (it starts on line 2).
        assert_eq!(line_in(&node, &after, &segments("/spec/other")), 2);
    }

    #[test]
    fn finds_the_operation_that_set_a_value() {
        let text = "- op: replace\n  path: /spec/replicas\n  value: 3\n- op: add\n  path: /spec/template/spec/containers/0/securityContext\n  value:\n    privileged: true\n";
        let node = crate::yaml::documents(text).unwrap().remove(0);
        let after = json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [
            {"name": "a", "securityContext": {"privileged": true}}]}}}});
        assert_eq!(line_in_ops(&node, &after, &segments("/spec/replicas")), 3);
        let p = segments("/spec/template/spec/containers/0/securityContext/privileged");
        assert_eq!(line_in_ops(&node, &after, &p), 7);
    }
}
