//! Patches as Kustomize applies them: strategic merge patches and JSON 6902 operations.
//!
//! Strategic merge follows the Kubernetes types' merge keys: lists of containers, volumes,
//! env vars, ports and the like are merged element by element, matched by their key; other
//! lists are replaced. Directives: `$patch: delete` (an object, a map or a list element),
//! `$patch: replace` (a map, or a list through a `{$patch: replace}` element); the
//! `$setElementOrder/...`, `$retainKeys` and `$deleteFromPrimitiveList/...` directives are
//! dropped. The order of a merged list is the order `kubectl kustomize` produces: the
//! patch's elements first (merged with the original element of the same key), then the
//! original elements the patch does not name.

use serde_json::{Map, Value};

/// What a strategic merge patch did to an object.
#[derive(Debug, PartialEq, Eq)]
pub enum Merged {
    Kept,
    /// The patch was `$patch: delete` at its top: the object goes.
    Deleted,
}

/// Applies a strategic merge patch to `obj` (of `kind`).
pub fn strategic_merge(obj: &mut Value, patch: &Value, kind: &str) -> Merged {
    if directive(patch) == Some("delete") {
        return Merged::Deleted;
    }
    let mut path = Vec::new();
    merge_value(obj, patch, kind, &mut path);
    Merged::Kept
}

fn directive(v: &Value) -> Option<&str> {
    v.get("$patch").and_then(Value::as_str)
}

fn is_directive_key(k: &str) -> bool {
    k == "$patch"
        || k == "$retainKeys"
        || k.starts_with("$setElementOrder/")
        || k.starts_with("$deleteFromPrimitiveList/")
}

/// A patch value without its directives, for where there is nothing to merge it into.
fn clean(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !is_directive_key(k) && !v.is_null())
                .map(|(k, v)| (k.clone(), clean(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .filter(|i| directive(i).is_none())
                .map(clean)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn merge_value(orig: &mut Value, patch: &Value, kind: &str, path: &mut Vec<String>) {
    match (orig, patch) {
        (Value::Object(o), Value::Object(p)) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                *o = match clean(patch) {
                    Value::Object(m) => m,
                    _ => Map::new(),
                };
                return;
            }
            for (k, pv) in p {
                if is_directive_key(k) {
                    continue;
                }
                if pv.is_null() || directive(pv) == Some("delete") {
                    o.remove(k);
                    continue;
                }
                path.push(k.clone());
                match o.get_mut(k) {
                    Some(ov) if ov.is_object() && pv.is_object() => merge_value(ov, pv, kind, path),
                    Some(Value::Array(ol)) if pv.is_array() => {
                        let pl = pv.as_array().map(Vec::as_slice).unwrap_or_default();
                        merge_list(ol, pl, kind, path);
                    }
                    _ => {
                        o.insert(k.clone(), clean(pv));
                    }
                }
                path.pop();
            }
        }
        (orig, patch) => *orig = clean(patch),
    }
}

/// The merge key of a list field, from the Kubernetes types (`patchMergeKey`).
fn merge_key(kind: &str, path: &[String]) -> Option<&'static str> {
    let field = path.last()?.as_str();
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "conditions" => "type",
        "readinessGates" => "conditionType",
        "ports" if kind == "Service" && path.len() == 2 && path[0] == "spec" => "port",
        "ports" => "containerPort",
        _ => return None,
    })
}

fn merge_list(orig: &mut Vec<Value>, patch: &[Value], kind: &str, path: &mut Vec<String>) {
    if patch.iter().any(|p| directive(p) == Some("replace")) {
        *orig = patch
            .iter()
            .filter(|p| directive(p).is_none())
            .map(clean)
            .collect();
        return;
    }
    let Some(key) = merge_key(kind, path) else {
        *orig = patch.iter().map(clean).collect();
        return;
    };
    let key_of = |v: &Value| v.get(key).cloned();
    let mut rest: Vec<Option<Value>> = orig.drain(..).map(Some).collect();
    let mut out = Vec::new();
    for p in patch {
        let pk = key_of(p);
        let found = pk.as_ref().and_then(|pk| {
            rest.iter()
                .position(|o| o.as_ref().and_then(key_of).as_ref() == Some(pk))
        });
        if directive(p) == Some("delete") {
            if let Some(i) = found {
                rest[i] = None;
            }
            continue;
        }
        match found {
            Some(i) => {
                let mut o = rest[i].take().unwrap_or(Value::Null);
                path.push(out.len().to_string());
                merge_value(&mut o, p, kind, path);
                path.pop();
                out.push(o);
            }
            None => out.push(clean(p)),
        }
    }
    out.extend(rest.into_iter().flatten());
    *orig = out;
}

/// Applies JSON 6902 operations (`add`, `remove`, `replace`, `move`, `copy`, `test`).
/// The error names the operation (1-based) and what was wrong.
pub fn json6902(obj: &mut Value, ops: &Value) -> Result<(), String> {
    let Some(ops) = ops.as_array() else {
        return Err("a JSON 6902 patch is a list of operations".into());
    };
    for (n, op) in ops.iter().enumerate() {
        apply_op(obj, op).map_err(|e| format!("operation {}: {e}", n + 1))?;
    }
    Ok(())
}

fn apply_op(obj: &mut Value, op: &Value) -> Result<(), String> {
    let text = |k: &str| op.get(k).and_then(Value::as_str);
    let name = text("op").ok_or("no `op`")?;
    let path = text("path").ok_or("no `path`")?;
    let value = || op.get("value").cloned().ok_or("no `value`");
    match name {
        "add" => add(obj, path, value()?),
        "remove" => remove(obj, path).map(drop),
        "replace" => {
            let target = obj
                .pointer_mut(path)
                .ok_or_else(|| format!("`{path}` does not exist"))?;
            *target = value()?;
            Ok(())
        }
        "move" => {
            let from = text("from").ok_or("no `from`")?;
            let v = remove(obj, from)?;
            add(obj, path, v)
        }
        "copy" => {
            let from = text("from").ok_or("no `from`")?;
            let v = obj
                .pointer(from)
                .cloned()
                .ok_or_else(|| format!("`{from}` does not exist"))?;
            add(obj, path, v)
        }
        "test" => match obj.pointer(path) {
            Some(v) if *v == value()? => Ok(()),
            _ => Err(format!("test of `{path}` failed")),
        },
        other => Err(format!("unknown operation `{other}`")),
    }
}

/// The parent's pointer and the last token (unescaped).
fn split(path: &str) -> Result<(&str, String), String> {
    let i = path
        .rfind('/')
        .ok_or_else(|| format!("`{path}` is not a JSON pointer"))?;
    let last = path[i + 1..].replace("~1", "/").replace("~0", "~");
    Ok((&path[..i], last))
}

fn add(obj: &mut Value, path: &str, v: Value) -> Result<(), String> {
    if path.is_empty() {
        *obj = v;
        return Ok(());
    }
    let (parent, last) = split(path)?;
    match obj.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(last, v);
            Ok(())
        }
        Some(Value::Array(items)) => {
            if last == "-" {
                items.push(v);
                return Ok(());
            }
            match last.parse::<usize>() {
                Ok(i) if i <= items.len() => {
                    items.insert(i, v);
                    Ok(())
                }
                _ => Err(format!("`{path}`: index out of range")),
            }
        }
        _ => Err(format!("`{parent}` does not exist")),
    }
}

fn remove(obj: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, last) = split(path)?;
    let missing = || format!("`{path}` does not exist");
    match obj.pointer_mut(parent) {
        Some(Value::Object(m)) => m.remove(&last).ok_or_else(missing),
        Some(Value::Array(items)) => match last.parse::<usize>() {
            Ok(i) if i < items.len() => Ok(items.remove(i)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_merge_by_key_patch_elements_first() {
        let mut obj = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "api", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "side", "image": "b"}]}}}});
        let patch = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "new", "image": "n"},
            {"name": "api", "env": [{"name": "Y", "value": "2"}]},
            {"name": "side", "$patch": "delete"}]}}}});
        assert_eq!(
            strategic_merge(&mut obj, &patch, "Deployment"),
            Merged::Kept
        );
        assert_eq!(
            obj["spec"]["template"]["spec"]["containers"],
            json!([{"name": "new", "image": "n"},
                {"name": "api", "image": "a:1", "env": [{"name": "Y", "value": "2"}, {"name": "X", "value": "1"}]}])
        );
    }

    #[test]
    fn directives_replace_delete_and_null() {
        let mut obj = json!({"a": {"x": 1, "y": 2}, "b": [1, 2], "c": 3});
        let patch = json!({"a": {"$patch": "replace", "z": 1}, "b": [3], "c": null});
        strategic_merge(&mut obj, &patch, "ConfigMap");
        assert_eq!(obj, json!({"a": {"z": 1}, "b": [3]}));
        let gone = json!({"$patch": "delete", "metadata": {"name": "x"}});
        assert_eq!(
            strategic_merge(&mut obj, &gone, "ConfigMap"),
            Merged::Deleted
        );
    }

    #[test]
    fn json6902_operations() {
        let mut obj = json!({"spec": {"replicas": 1, "list": ["a"]}, "metadata": {"labels": {}}});
        let ops = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 3},
            {"op": "add", "path": "/spec/list/-", "value": "b"},
            {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "x"},
            {"op": "copy", "from": "/spec/replicas", "path": "/spec/copy"},
            {"op": "move", "from": "/spec/copy", "path": "/spec/moved"},
            {"op": "remove", "path": "/spec/list/0"},
            {"op": "test", "path": "/spec/moved", "value": 3}
        ]);
        json6902(&mut obj, &ops).unwrap();
        assert_eq!(
            obj,
            json!({"spec": {"replicas": 3, "list": ["b"], "moved": 3},
                "metadata": {"labels": {"app.kubernetes.io/name": "x"}}})
        );
        let err = json6902(&mut obj, &json!([{"op": "remove", "path": "/nope/x"}])).unwrap_err();
        assert_eq!(err, "operation 1: `/nope/x` does not exist");
    }
}
