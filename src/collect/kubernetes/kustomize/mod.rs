//! Kustomize, rendered in-process as `kubectl kustomize DIR` renders it; no kustomize binary
//! is needed.
//!
//! A kustomization accumulates its `resources` (and the older `bases`): files of objects, and
//! folders that are kustomizations themselves, rendered first with their own transformations
//! (a folder that includes itself, directly or not, is an error naming the cycle). Its
//! `components` then work on everything accumulated so far. Its generators add ConfigMaps
//! and Secrets ([`generate`]), and its transformations run in Kustomize's order: strategic
//! merge patches (`patchesStrategicMerge`, then `patches`), `namespace`, `namePrefix`,
//! `nameSuffix`, `commonLabels` and `labels`, `commonAnnotations`, `patchesJson6902`,
//! `replicas`, `images`. An object renamed on one level has the references to it renamed
//! among the objects of that level (ConfigMaps and Secrets in pod specs, service accounts,
//! roles in bindings, claims, services in ingresses, scale targets). Generated objects get
//! their content hash suffix last, on the top-level kustomization, and references follow.
//!
//! Remote resources (URLs, git) are not fetched: each is an error saying it was not scanned.
//! Fields plumb does not apply (`replacements`, `vars`, `helmCharts`, plugins) are warnings.
//! Every rendered object remembers the file and lines it came from (for a generated object,
//! the generator's entry in `kustomization.yaml`), and the file and line of what set each
//! value a transformation changed ([`origin`]).

pub mod generate;
pub mod origin;
pub mod patch;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::inventory::CollectError;
use crate::yaml::{self, Node, NodeValue};

use generate::{Behavior, generate, name_hash, scalar_text};
use origin::Origins;
use patch::{Merged, json6902, strategic_merge};

const COLLECTOR: &str = "kustomize";

/// The names a kustomization file may have, in the order Kustomize looks for them.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Fields Kustomize knows that plumb does not apply.
const NOT_APPLIED: [&str; 10] = [
    "replacements",
    "vars",
    "helmCharts",
    "helmGlobals",
    "generators",
    "transformers",
    "validators",
    "configurations",
    "crds",
    "openapi",
];

/// The kustomization file of a folder, if it has one.
pub fn kustomization_file(dir: &Path) -> Option<PathBuf> {
    FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
}

/// `a/b/../c` as `a/c`: paths in reports as a user would write them (lexically; symlinks are
/// not resolved).
fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Whether the kustomization in `dir` is a `Component`: applied only inside the
/// kustomizations that list it, never rendered on its own.
pub fn is_component(dir: &Path) -> bool {
    kustomization_file(dir)
        .and_then(|f| crate::read::text(&f, crate::read::Limit::Source).ok())
        .and_then(|t| yaml::documents(&t).ok())
        .and_then(|docs| docs.first().map(Node::to_json))
        .is_some_and(|v| v.get("kind").and_then(Value::as_str) == Some("Component"))
}

/// One rendered object and where it came from.
#[derive(Debug, Clone)]
pub struct Object {
    pub value: Value,
    pub file: PathBuf,
    pub line: u32,
    pub end_line: u32,
    /// Every name the object has had, the current one last: patches and `replicas` may name
    /// an object by the name its base gave it.
    names: Vec<String>,
    /// The name at the start of the current level's transformations.
    mark: String,
    /// Gets the generators' content hash suffix.
    hash: bool,
    /// Where the values transformations changed were set, by pointer.
    pub origins: Origins,
}

impl Object {
    fn kind(&self) -> &str {
        self.value.get("kind").and_then(Value::as_str).unwrap_or("")
    }
    fn name(&self) -> &str {
        self.value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    fn namespace(&self) -> &str {
        self.value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    fn set_name(&mut self, name: String) {
        if let Some(m) = metadata(&mut self.value) {
            m.insert("name".into(), json!(name));
        }
        self.names.push(name);
    }
}

/// What rendering a kustomization produced.
#[derive(Debug, Default)]
pub struct Rendering {
    pub objects: Vec<Object>,
    /// Every local file it read: kustomization files, resources, patches, generator sources.
    pub files: BTreeSet<PathBuf>,
    /// The kustomization folders it included (resources, bases, components), canonical.
    pub included: BTreeSet<PathBuf>,
    pub errors: Vec<CollectError>,
}

/// Renders the kustomization in `dir`.
pub fn render(dir: &Path) -> Rendering {
    let mut r = Renderer::default();
    let mut objects = r.target(dir);
    // Hash suffixes come last, over the final content, and only at the top.
    let mut renames = Vec::new();
    for o in objects.iter_mut().filter(|o| o.hash) {
        let old = o.name().to_string();
        let new = format!("{old}-{}", name_hash(&o.value));
        renames.push((
            o.kind().to_string(),
            o.namespace().to_string(),
            old,
            new.clone(),
        ));
        o.set_name(new);
    }
    for (kind, ns, old, new) in renames {
        rename_references(&mut objects, &kind, &ns, &old, &new);
    }
    Rendering {
        objects,
        files: r.files,
        included: r.included,
        errors: r.errors,
    }
}

#[derive(Default)]
struct Renderer {
    files: BTreeSet<PathBuf>,
    included: BTreeSet<PathBuf>,
    errors: Vec<CollectError>,
    /// The kustomizations being rendered, outermost first: a cycle is an error.
    stack: Vec<PathBuf>,
}

/// A kustomization file, parsed.
struct Kustomization {
    file: PathBuf,
    dir: PathBuf,
    node: Node,
    value: Value,
}

impl Kustomization {
    fn field(&self, name: &str) -> Option<&Value> {
        self.value.get(name).filter(|v| !v.is_null())
    }
    fn line(&self, name: &str) -> u32 {
        self.node.get(name).map_or(1, |n| n.line)
    }
    /// The entries of a list field with their lines.
    fn entries(&self, name: &str) -> Vec<(Value, u32)> {
        match self.node.get(name).map(|n| &n.value) {
            Some(NodeValue::Seq(items)) => items.iter().map(|n| (n.to_json(), n.line)).collect(),
            _ => Vec::new(),
        }
    }
    fn text(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(Value::as_str)
    }
    /// The line of the value of `key` in the entry `index` of the list field `name` (an
    /// inline patch: the YAML reader gives a block scalar the line its text starts on).
    fn entry_line(&self, name: &str, index: usize, key: &str) -> u32 {
        match self.node.get(name).map(|n| &n.value) {
            Some(NodeValue::Seq(items)) => items
                .get(index)
                .map_or(1, |n| n.get(key).map_or(n.line, |v| v.line)),
            _ => 1,
        }
    }
}

/// Applies `f` to an object and records where the values it changed were set: `locate`
/// gives their line in `file` from the object as changed and the pointer's segments.
fn change<R>(
    o: &mut Object,
    file: &Path,
    f: impl FnOnce(&mut Value) -> R,
    locate: impl Fn(&Value, &[String]) -> u32,
) -> R {
    let before = o.value.clone();
    let out = f(&mut o.value);
    let Object { value, origins, .. } = o;
    let after = &*value;
    origin::record(origins, &before, after, file, &|segs: &[String]| {
        locate(after, segs)
    });
    out
}

impl Renderer {
    fn error(&mut self, file: &Path, line: Option<u32>, message: String, warning: bool) {
        self.errors.push(CollectError {
            collector: COLLECTOR.into(),
            scope: file.display().to_string(),
            line,
            column: None,
            kinds: Vec::new(),
            message,
            warning,
        });
    }

    /// A kustomization rendered on its own: what a folder in `resources` contributes.
    fn target(&mut self, dir: &Path) -> Vec<Object> {
        let mut objects = Vec::new();
        self.accumulate(dir, &mut objects);
        objects
    }

    fn load(&mut self, dir: &Path) -> Option<Kustomization> {
        let Some(file) = kustomization_file(dir) else {
            self.error(
                dir,
                None,
                "a folder named as a resource or component has no kustomization.yaml".into(),
                false,
            );
            return None;
        };
        self.files.insert(file.clone());
        let text = match crate::read::text(&file, crate::read::Limit::Source) {
            Ok(t) => t,
            Err(e) => {
                self.error(&file, None, e.to_string(), false);
                return None;
            }
        };
        let node = match yaml::documents(&text) {
            Ok(mut docs) if !docs.is_empty() => docs.swap_remove(0),
            Ok(_) => Node {
                line: 1,
                value: NodeValue::Map(Vec::new()),
            },
            Err(e) => {
                self.error(&file, e.line, format!("invalid YAML: {}", e.message), false);
                return None;
            }
        };
        let value = node.to_json();
        if !value.is_object() && !value.is_null() {
            self.error(
                &file,
                Some(node.line),
                "a kustomization is a mapping".into(),
                false,
            );
            return None;
        }
        Some(Kustomization {
            file,
            dir: dir.to_path_buf(),
            node,
            value,
        })
    }

    /// Adds the kustomization in `dir` to `objects`: its resources, components, generated
    /// objects, then its transformations over all of them.
    fn accumulate(&mut self, dir: &Path, objects: &mut Vec<Object>) {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        if let Some(i) = self.stack.iter().position(|d| *d == canonical) {
            let cycle: Vec<String> = self.stack[i..]
                .iter()
                .chain([&canonical])
                .map(|d| d.display().to_string())
                .collect();
            self.error(
                dir,
                None,
                format!("kustomizations include each other: {}", cycle.join(" -> ")),
                false,
            );
            return;
        }
        if self.stack.len() >= 64 {
            self.error(
                dir,
                None,
                "kustomizations nested more than 64 deep".into(),
                false,
            );
            return;
        }
        let Some(k) = self.load(dir) else {
            return;
        };
        self.stack.push(canonical);
        for field in NOT_APPLIED {
            if k.field(field).is_some() {
                let line = Some(k.line(field));
                self.error(
                    &k.file,
                    line,
                    format!("`{field}` is not applied by plumb; the objects are judged without it"),
                    true,
                );
            }
        }
        let mut resources = k.entries("resources");
        resources.extend(k.entries("bases"));
        for (entry, line) in resources {
            let Some(entry) = entry.as_str() else {
                self.error(&k.file, Some(line), "a resource is a path".into(), false);
                continue;
            };
            self.resource(&k, entry, line, objects);
        }
        for (entry, line) in k.entries("components") {
            let Some(entry) = entry.as_str() else {
                self.error(&k.file, Some(line), "a component is a path".into(), false);
                continue;
            };
            if is_remote(entry) {
                self.remote(&k, entry, line);
                continue;
            }
            let path = tidy(&k.dir.join(entry));
            self.included
                .insert(path.canonicalize().unwrap_or_else(|_| path.clone()));
            self.accumulate(&path, objects);
        }
        self.generators(&k, objects);
        for o in objects.iter_mut() {
            o.mark = o.name().to_string();
        }
        self.transform(&k, objects);
        let renamed: Vec<(String, String, String, String)> = objects
            .iter()
            .filter(|o| o.mark != o.name())
            .map(|o| {
                (
                    o.kind().to_string(),
                    o.namespace().to_string(),
                    o.mark.clone(),
                    o.name().to_string(),
                )
            })
            .collect();
        for (kind, ns, old, new) in renamed {
            rename_references(objects, &kind, &ns, &old, &new);
        }
        self.stack.pop();
    }

    fn remote(&mut self, k: &Kustomization, entry: &str, line: u32) {
        self.error(
            &k.file,
            Some(line),
            format!(
                "not scanned: remote resource `{entry}` (plumb does not fetch remote kustomizations; render them with `kubectl kustomize {}` and scan the output)",
                k.dir.display()
            ),
            false,
        );
    }

    fn resource(&mut self, k: &Kustomization, entry: &str, line: u32, objects: &mut Vec<Object>) {
        if is_remote(entry) {
            self.remote(k, entry, line);
            return;
        }
        let path = tidy(&k.dir.join(entry));
        if path.is_dir() {
            if kustomization_file(&path).is_none() {
                self.error(
                    &k.file,
                    Some(line),
                    format!("resource `{entry}` is a folder without kustomization.yaml"),
                    false,
                );
                return;
            }
            self.included
                .insert(path.canonicalize().unwrap_or_else(|_| path.clone()));
            let sub = self.target(&path);
            objects.extend(sub);
        } else if path.is_file() {
            objects.extend(self.objects_of(&path));
        } else {
            self.error(
                &k.file,
                Some(line),
                format!("resource `{entry}` does not exist"),
                false,
            );
        }
    }

    /// The objects of a resource file.
    fn objects_of(&mut self, path: &Path) -> Vec<Object> {
        self.files.insert(path.to_path_buf());
        let docs = match crate::read::text(path, crate::read::Limit::Source)
            .map_err(|e| (None, e.to_string()))
            .and_then(|t| {
                yaml::documents(&t).map_err(|e| (e.line, format!("invalid YAML: {}", e.message)))
            }) {
            Ok(docs) => docs,
            Err((line, message)) => {
                self.error(path, line, message, false);
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for doc in &docs {
            if matches!(doc.value, NodeValue::Null) {
                continue;
            }
            let kind = doc.get("kind").and_then(Node::as_str).unwrap_or("");
            let items = match doc.get("items").map(|i| &i.value) {
                Some(NodeValue::Seq(items)) if kind.ends_with("List") => items.iter().collect(),
                _ => vec![doc],
            };
            for node in items {
                let value = node.to_json();
                let has = |p: &str| value.pointer(p).and_then(Value::as_str).is_some();
                if !has("/apiVersion") || !has("/kind") {
                    self.error(
                        path,
                        Some(node.line),
                        "expected a Kubernetes object with apiVersion and kind".into(),
                        false,
                    );
                    continue;
                }
                let name = value
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                out.push(Object {
                    value,
                    file: path.to_path_buf(),
                    line: node.line,
                    end_line: node.last_line(),
                    mark: name.clone(),
                    names: vec![name],
                    hash: false,
                    origins: Origins::new(),
                });
            }
        }
        out
    }

    fn generators(&mut self, k: &Kustomization, objects: &mut Vec<Object>) {
        let defaults = k.field("generatorOptions").cloned();
        for (field, kind) in [
            ("configMapGenerator", "ConfigMap"),
            ("secretGenerator", "Secret"),
        ] {
            for (entry, line) in k.entries(field) {
                let g = match generate(kind, &entry, &k.dir, defaults.as_ref(), &mut self.files) {
                    Ok(g) => g,
                    Err(e) => {
                        self.error(&k.file, Some(line), format!("{field}: {e}"), false);
                        continue;
                    }
                };
                let name = g.object["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                let ns = g
                    .object
                    .pointer("/metadata/namespace")
                    .and_then(Value::as_str);
                let existing = objects.iter_mut().find(|o| {
                    o.kind() == kind
                        && o.names.contains(&name)
                        && ns.is_none_or(|ns| ns == o.namespace())
                });
                match (g.behavior, existing) {
                    (Behavior::Create, _) => objects.push(Object {
                        value: g.object,
                        file: k.file.clone(),
                        line,
                        end_line: line,
                        mark: name.clone(),
                        names: vec![name],
                        hash: g.hash,
                        origins: Origins::new(),
                    }),
                    (behavior, Some(o)) => {
                        for f in ["data", "binaryData"] {
                            let new = g.object.get(f).cloned();
                            let merged = match (behavior, o.value.get(f).cloned(), new) {
                                (
                                    Behavior::Merge,
                                    Some(Value::Object(mut old)),
                                    Some(Value::Object(n)),
                                ) => {
                                    old.extend(n);
                                    Some(Value::Object(old))
                                }
                                (Behavior::Merge, old, None) => old,
                                (_, _, new) => new,
                            };
                            if let Some(map) = o.value.as_object_mut() {
                                match merged {
                                    Some(v) => map.insert(f.into(), v),
                                    None => map.remove(f),
                                };
                            }
                        }
                        for f in ["labels", "annotations"] {
                            if let Some(Value::Object(add)) =
                                g.object.pointer(&format!("/metadata/{f}"))
                            {
                                add_to_map(&mut o.value, &["metadata", f], add);
                            }
                        }
                        o.hash = g.hash;
                    }
                    (_, None) => self.error(
                        &k.file,
                        Some(line),
                        format!(
                            "{field}: `{name}` merges into or replaces a {kind} no base generates"
                        ),
                        false,
                    ),
                }
            }
        }
    }

    fn transform(&mut self, k: &Kustomization, objects: &mut Vec<Object>) {
        // Strategic merge patches: files (or inline text) of patch documents.
        for (entry, line) in k.entries("patchesStrategicMerge") {
            let Some(text) = entry.as_str() else { continue };
            let (origin, content) = self.patch_text(k, text, line);
            let Some(content) = content else { continue };
            let start = if origin == k.file { line } else { 1 };
            for (doc, node) in self.patch_docs(&origin, &content, start) {
                self.smp_by_identity(&origin, line, &doc, &node, objects);
            }
        }
        for (index, (entry, line)) in k.entries("patches").into_iter().enumerate() {
            let mut start = 1;
            let source = match (
                entry.get("path").and_then(Value::as_str),
                entry.get("patch").and_then(Value::as_str),
            ) {
                (Some(path), _) => self.patch_file(k, path, line),
                (None, Some(inline)) => {
                    start = k.entry_line("patches", index, "patch");
                    (k.file.clone(), Some(inline.to_string()))
                }
                (None, None) => {
                    self.error(
                        &k.file,
                        Some(line),
                        "a patch needs `path` or `patch`".into(),
                        false,
                    );
                    continue;
                }
            };
            let (origin, Some(content)) = source else {
                continue;
            };
            let target = entry.get("target").filter(|t| t.is_object());
            let docs = self.patch_docs(&origin, &content, start);
            for (doc, node) in docs {
                if doc.is_array() {
                    let Some(target) = target else {
                        self.error(
                            &origin,
                            Some(line),
                            "a JSON 6902 patch needs a `target`".into(),
                            false,
                        );
                        continue;
                    };
                    self.json_patch(&origin, line, target, &doc, &node, objects);
                } else if let Some(target) = target {
                    let selected = select(objects, target);
                    let mut deleted = Vec::new();
                    let patch = strip_identity(&doc);
                    for i in selected {
                        let kind = objects[i].kind().to_string();
                        let merged = change(
                            &mut objects[i],
                            &origin,
                            |v| strategic_merge(v, &patch, &kind),
                            |after, segs| origin::line_in(&node, after, segs),
                        );
                        if merged == Merged::Deleted {
                            deleted.push(i);
                        }
                    }
                    for i in deleted.into_iter().rev() {
                        objects.remove(i);
                    }
                } else {
                    self.smp_by_identity(&origin, line, &doc, &node, objects);
                }
            }
        }
        let file = &k.file;
        if let Some(ns) = k.text("namespace") {
            let at = k.line("namespace");
            for o in objects.iter_mut() {
                change(o, file, |v| set_namespace(v, ns), |_, _| at);
            }
        }
        let prefix = k.text("namePrefix").unwrap_or("");
        let suffix = k.text("nameSuffix").unwrap_or("");
        if !prefix.is_empty() || !suffix.is_empty() {
            let at = k.line(if prefix.is_empty() {
                "nameSuffix"
            } else {
                "namePrefix"
            });
            for o in objects.iter_mut() {
                if !matches!(o.kind(), "Namespace" | "CustomResourceDefinition") {
                    let name = format!("{prefix}{}{suffix}", o.name());
                    o.set_name(name);
                    o.origins.insert(
                        "/metadata/name".into(),
                        crate::inventory::Origin {
                            path: file.display().to_string(),
                            line: at,
                        },
                    );
                }
            }
        }
        if let Some(Value::Object(labels)) = k.field("commonLabels") {
            let at = k.line("commonLabels");
            for o in objects.iter_mut() {
                change(o, file, |v| add_labels(v, labels, true, true), |_, _| at);
            }
        }
        for (entry, at) in k.entries("labels") {
            let Some(Value::Object(pairs)) = entry.get("pairs") else {
                continue;
            };
            let flag = |f: &str| entry.get(f).and_then(Value::as_bool).unwrap_or(false);
            let (selectors, templates) = (flag("includeSelectors"), flag("includeTemplates"));
            for o in objects.iter_mut() {
                change(
                    o,
                    file,
                    |v| add_labels(v, pairs, selectors, selectors || templates),
                    |_, _| at,
                );
            }
        }
        if let Some(Value::Object(annotations)) = k.field("commonAnnotations") {
            let at = k.line("commonAnnotations");
            for o in objects.iter_mut() {
                change(o, file, |v| add_annotations(v, annotations), |_, _| at);
            }
        }
        for (index, (entry, line)) in k.entries("patchesJson6902").into_iter().enumerate() {
            let Some(target) = entry.get("target").filter(|t| t.is_object()) else {
                self.error(
                    &k.file,
                    Some(line),
                    "patchesJson6902 needs a `target`".into(),
                    false,
                );
                continue;
            };
            let source = match (
                entry.get("path").and_then(Value::as_str),
                entry.get("patch").and_then(Value::as_str),
            ) {
                (Some(path), _) => (1, self.patch_file(k, path, line)),
                (None, Some(inline)) => (
                    k.entry_line("patchesJson6902", index, "patch"),
                    (k.file.clone(), Some(inline.to_string())),
                ),
                (None, None) => continue,
            };
            let (start, (origin, Some(content))) = source else {
                continue;
            };
            for (doc, node) in self.patch_docs(&origin, &content, start) {
                self.json_patch(&origin, line, target, &doc, &node, objects);
            }
        }
        for (entry, line) in k.entries("replicas") {
            let (Some(name), Some(count)) = (
                entry.get("name").and_then(Value::as_str),
                entry.get("count").filter(|c| c.is_number()),
            ) else {
                self.error(
                    &k.file,
                    Some(line),
                    "a replicas entry needs `name` and `count`".into(),
                    false,
                );
                continue;
            };
            for o in objects.iter_mut().filter(|o| {
                o.names.iter().any(|n| n == name)
                    && matches!(
                        o.kind(),
                        "Deployment" | "ReplicaSet" | "StatefulSet" | "ReplicationController"
                    )
            }) {
                let set = |v: &mut Value| {
                    if let Some(spec) = v
                        .as_object_mut()
                        .map(|m| m.entry("spec").or_insert_with(|| json!({})))
                        .and_then(Value::as_object_mut)
                    {
                        spec.insert("replicas".into(), count.clone());
                    }
                };
                change(o, file, set, |_, _| line);
            }
        }
        let images = k.entries("images");
        if !images.is_empty() {
            for o in objects.iter_mut() {
                for (entry, at) in &images {
                    change(o, file, |v| set_images(v, entry, false), |_, _| *at);
                }
            }
        }
    }

    /// Reads a patch file named in a kustomization.
    fn patch_file(
        &mut self,
        k: &Kustomization,
        path: &str,
        line: u32,
    ) -> (PathBuf, Option<String>) {
        let full = tidy(&k.dir.join(path));
        match crate::read::text(&full, crate::read::Limit::Source) {
            Ok(t) => {
                self.files.insert(full.clone());
                (full, Some(t))
            }
            Err(e) => {
                self.error(&k.file, Some(line), format!("patch `{path}`: {e}"), false);
                (full, None)
            }
        }
    }

    /// A `patchesStrategicMerge` entry is a file, or the patch itself inline.
    fn patch_text(
        &mut self,
        k: &Kustomization,
        text: &str,
        line: u32,
    ) -> (PathBuf, Option<String>) {
        if text.contains('\n') || text.trim_start().starts_with('{') {
            (k.file.clone(), Some(text.to_string()))
        } else {
            self.patch_file(k, text, line)
        }
    }

    /// The documents of a patch, with their lines in its file: `start` is the line the text
    /// starts on (1 for a patch file, an inline patch's line in `kustomization.yaml`).
    fn patch_docs(&mut self, origin: &Path, text: &str, start: u32) -> Vec<(Value, Node)> {
        let offset = start.saturating_sub(1);
        match yaml::documents(text) {
            Ok(docs) => docs
                .into_iter()
                .map(|mut n| {
                    origin::shift(&mut n, offset);
                    (n.to_json(), n)
                })
                .filter(|(v, _)| !v.is_null())
                .collect(),
            Err(e) => {
                self.error(
                    origin,
                    e.line.map(|l| l + offset),
                    format!("invalid YAML in patch: {}", e.message),
                    false,
                );
                Vec::new()
            }
        }
    }

    fn smp_by_identity(
        &mut self,
        origin: &Path,
        line: u32,
        doc: &Value,
        node: &Node,
        objects: &mut Vec<Object>,
    ) {
        let text = |p: &str| doc.pointer(p).and_then(Value::as_str);
        let (Some(kind), Some(name)) = (text("/kind"), text("/metadata/name")) else {
            self.error(
                origin,
                Some(line),
                "a strategic merge patch names its object's kind and metadata.name".into(),
                false,
            );
            return;
        };
        let ns = text("/metadata/namespace");
        let found: Vec<usize> = objects
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                o.kind() == kind
                    && o.names.iter().any(|n| n == name)
                    && ns.is_none_or(|ns| {
                        ns == o.namespace() || (ns == "default" && o.namespace().is_empty())
                    })
            })
            .map(|(i, _)| i)
            .collect();
        if found.is_empty() {
            self.error(
                origin,
                Some(line),
                format!("patch matches no object: {kind} {name}"),
                false,
            );
            return;
        }
        let patch = strip_identity(doc);
        for i in found.into_iter().rev() {
            let merged = change(
                &mut objects[i],
                origin,
                |v| strategic_merge(v, &patch, kind),
                |after, segs| origin::line_in(node, after, segs),
            );
            if merged == Merged::Deleted {
                objects.remove(i);
            }
        }
    }

    fn json_patch(
        &mut self,
        origin: &Path,
        line: u32,
        target: &Value,
        ops: &Value,
        node: &Node,
        objects: &mut [Object],
    ) {
        for i in select(objects, target) {
            let applied = change(
                &mut objects[i],
                origin,
                |v| json6902(v, ops),
                |after, segs| origin::line_in_ops(node, after, segs),
            );
            if let Err(e) = applied {
                let who = format!("{} {}", objects[i].kind(), objects[i].name());
                self.error(
                    origin,
                    Some(line),
                    format!("JSON patch on {who}: {e}"),
                    false,
                );
            }
        }
    }
}

fn is_remote(entry: &str) -> bool {
    entry.contains("://")
        || entry.starts_with("git@")
        || entry.starts_with("github.com/")
        || entry.starts_with("gitlab.com/")
        || entry.starts_with("bitbucket.org/")
        || entry.contains("?ref=")
}

/// A patch's identity fields are not merged: the object keeps its own (it may have been
/// renamed since the patch was written).
fn strip_identity(doc: &Value) -> Value {
    let mut p = doc.clone();
    if let Some(m) = p.as_object_mut() {
        m.remove("apiVersion");
        m.remove("kind");
        if let Some(Value::Object(meta)) = m.get_mut("metadata") {
            meta.remove("name");
            meta.remove("namespace");
            if meta.is_empty() {
                m.remove("metadata");
            }
        }
    }
    p
}

/// The objects a patch `target` selects: group, version, kind, name and namespace (kind, name
/// and namespace are anchored regular expressions), label and annotation selectors.
fn select(objects: &[Object], target: &Value) -> Vec<usize> {
    let text = |k: &str| target.get(k).and_then(Value::as_str);
    let pattern = |k: &str| {
        text(k).map(|p| regex::Regex::new(&format!("^(?:{p})$")).map_err(|_| p.to_string()))
    };
    let matches = |k: &str, value: &str| match pattern(k) {
        None => true,
        Some(Ok(re)) => re.is_match(value),
        Some(Err(p)) => p == value,
    };
    objects
        .iter()
        .enumerate()
        .filter(|(_, o)| {
            let api = o
                .value
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("");
            let (group, version) = api.rsplit_once('/').unwrap_or(("", api));
            text("group").is_none_or(|g| g == group)
                && text("version").is_none_or(|v| v == version)
                && matches("kind", o.kind())
                && (text("name").is_none() || o.names.iter().any(|n| matches("name", n)))
                && matches("namespace", o.namespace())
                && text("labelSelector")
                    .is_none_or(|s| selector_matches(s, o.value.pointer("/metadata/labels")))
                && text("annotationSelector")
                    .is_none_or(|s| selector_matches(s, o.value.pointer("/metadata/annotations")))
        })
        .map(|(i, _)| i)
        .collect()
}

/// `k=v,k2!=v2,k3`: equality, inequality and existence terms.
fn selector_matches(selector: &str, labels: Option<&Value>) -> bool {
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    selector
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .all(|term| {
            if let Some((k, v)) = term.split_once("!=") {
                get(k.trim()) != Some(v.trim())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                get(k.trim()) == Some(v.trim())
            } else if let Some(k) = term.strip_prefix('!') {
                get(k.trim()).is_none()
            } else {
                get(term).is_some()
            }
        })
}

fn metadata(v: &mut Value) -> Option<&mut Map<String, Value>> {
    v.as_object_mut()?
        .entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
}

/// Adds `add` to the map at `path` (creating it and the maps above it).
fn add_to_map(v: &mut Value, path: &[&str], add: &Map<String, Value>) {
    let mut cur = v;
    for seg in path {
        let Some(m) = cur.as_object_mut() else { return };
        cur = m.entry(*seg).or_insert_with(|| json!({}));
        if cur.is_null() {
            *cur = json!({});
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.extend(add.iter().map(|(k, v)| (k.clone(), json!(scalar_text(v)))));
    }
}

/// Adds to the map at `path` only when the map is there.
fn add_if_present(v: &mut Value, path: &[&str], add: &Map<String, Value>) {
    let pointer = format!("/{}", path.join("/"));
    if v.pointer(&pointer).is_some_and(Value::is_object) {
        add_to_map(v, path, add);
    }
}

const WORKLOADS: [&str; 6] = [
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
    "ReplicationController",
];

fn add_labels(v: &mut Value, labels: &Map<String, Value>, selectors: bool, templates: bool) {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    add_to_map(v, &["metadata", "labels"], labels);
    if templates {
        if WORKLOADS.contains(&kind.as_str()) {
            add_to_map(v, &["spec", "template", "metadata", "labels"], labels);
        }
        if kind == "CronJob" {
            add_to_map(v, &["spec", "jobTemplate", "metadata", "labels"], labels);
            add_to_map(
                v,
                &[
                    "spec",
                    "jobTemplate",
                    "spec",
                    "template",
                    "metadata",
                    "labels",
                ],
                labels,
            );
        }
    }
    if !selectors {
        return;
    }
    match kind.as_str() {
        "Service" | "ReplicationController" => add_to_map(v, &["spec", "selector"], labels),
        "Deployment" | "ReplicaSet" | "DaemonSet" | "StatefulSet" => {
            add_to_map(v, &["spec", "selector", "matchLabels"], labels);
            if kind == "StatefulSet"
                && let Some(Value::Array(claims)) = v.pointer_mut("/spec/volumeClaimTemplates")
            {
                for c in claims {
                    add_to_map(c, &["metadata", "labels"], labels);
                }
            }
        }
        "Job" => add_if_present(v, &["spec", "selector", "matchLabels"], labels),
        "CronJob" => add_if_present(
            v,
            &["spec", "jobTemplate", "spec", "selector", "matchLabels"],
            labels,
        ),
        "PodDisruptionBudget" => add_if_present(v, &["spec", "selector", "matchLabels"], labels),
        "NetworkPolicy" => {
            add_if_present(v, &["spec", "podSelector", "matchLabels"], labels);
            for (dir, peers) in [("ingress", "from"), ("egress", "to")] {
                if let Some(Value::Array(rules)) = v.pointer_mut(&format!("/spec/{dir}")) {
                    for rule in rules {
                        if let Some(Value::Array(ps)) = rule.get_mut(peers) {
                            for p in ps {
                                add_if_present(p, &["podSelector", "matchLabels"], labels);
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

fn add_annotations(v: &mut Value, annotations: &Map<String, Value>) {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    add_to_map(v, &["metadata", "annotations"], annotations);
    if WORKLOADS.contains(&kind.as_str()) {
        add_to_map(
            v,
            &["spec", "template", "metadata", "annotations"],
            annotations,
        );
    }
    if kind == "CronJob" {
        add_to_map(
            v,
            &["spec", "jobTemplate", "metadata", "annotations"],
            annotations,
        );
        add_to_map(
            v,
            &[
                "spec",
                "jobTemplate",
                "spec",
                "template",
                "metadata",
                "annotations",
            ],
            annotations,
        );
    }
}

fn set_namespace(v: &mut Value, ns: &str) {
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if kind == "Namespace" {
        // Kustomize renames a Namespace object to the namespace it sets.
        if let Some(m) = metadata(v) {
            m.insert("name".into(), json!(ns));
        }
        return;
    }
    if !super::is_cluster_scoped(&kind)
        && let Some(m) = metadata(v)
    {
        m.insert("namespace".into(), json!(ns));
    }
    if matches!(kind.as_str(), "RoleBinding" | "ClusterRoleBinding")
        && let Some(Value::Array(subjects)) = v.get_mut("subjects")
    {
        for s in subjects {
            if s.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                && s.get("namespace").is_some()
                && let Some(m) = s.as_object_mut()
            {
                m.insert("namespace".into(), json!(ns));
            }
        }
    }
}

/// Applies one `images` entry to every container image under `v`.
fn set_images(v: &mut Value, entry: &Value, in_containers: bool) {
    match v {
        Value::Object(m) => {
            if in_containers
                && let Some(Value::String(image)) = m.get_mut("image")
                && let Some(new) = retag(image, entry)
            {
                *image = new;
            }
            for (k, child) in m.iter_mut() {
                let containers = matches!(
                    k.as_str(),
                    "containers" | "initContainers" | "ephemeralContainers"
                );
                if containers || !in_containers {
                    set_images(child, entry, containers);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                set_images(item, entry, in_containers);
            }
        }
        _ => {}
    }
}

/// The image `entry` makes of `image`, when it names it.
fn retag(image: &str, entry: &Value) -> Option<String> {
    let text = |k: &str| entry.get(k).map(scalar_text).filter(|s| !s.is_empty());
    let name = text("name")?;
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let (repo, tag) = match rest.rfind(':') {
        Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
        _ => (rest, None),
    };
    if repo != name {
        return None;
    }
    let repo = text("newName").unwrap_or_else(|| repo.to_string());
    Some(match (text("digest"), text("newTag")) {
        (Some(d), _) => format!("{repo}@{d}"),
        (None, Some(t)) => format!("{repo}:{t}"),
        (None, None) => {
            let mut s = repo;
            if let Some(t) = tag {
                s = format!("{s}:{t}");
            }
            if let Some(d) = digest {
                s = format!("{s}@{d}");
            }
            s
        }
    })
}

/// Where an object kind keeps its pod spec.
fn pod_spec_pointer(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "/spec",
        "PodTemplate" => "/template/spec",
        "CronJob" => "/spec/jobTemplate/spec/template/spec",
        k if WORKLOADS.contains(&k) => "/spec/template/spec",
        _ => return None,
    })
}

/// Applies `f` to every value at `path` below `v` (`[]` walks a list's elements).
fn visit(v: &mut Value, path: &[&str], f: &mut dyn FnMut(&mut Value)) {
    let Some((first, rest)) = path.split_first() else {
        f(v);
        return;
    };
    if *first == "[]" {
        if let Value::Array(items) = v {
            for item in items {
                visit(item, rest, f);
            }
        }
    } else if let Some(child) = v.get_mut(*first) {
        visit(child, rest, f);
    }
}

/// Renames references to the object `kind` `old` (in namespace `ns`) to `new`, in the
/// objects of the same namespace (any namespace for a cluster-wide kind).
fn rename_references(objects: &mut [Object], kind: &str, ns: &str, old: &str, new: &str) {
    let cluster_wide = super::is_cluster_scoped(kind);
    let mut rename = |v: &mut Value| {
        if v.as_str() == Some(old) {
            *v = json!(new);
        }
    };
    const CONTAINERS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];
    for o in objects.iter_mut() {
        let same_ns = cluster_wide || o.namespace() == ns;
        let referrer = o.kind().to_string();
        let binding = matches!(referrer.as_str(), "RoleBinding" | "ClusterRoleBinding");
        if !same_ns && !binding {
            continue;
        }
        let own_ns = o.namespace().to_string();
        let v = &mut o.value;
        if let Some(pointer) = pod_spec_pointer(&referrer)
            && let Some(spec) = v.pointer_mut(pointer)
        {
            let mut paths: Vec<Vec<&str>> = Vec::new();
            match kind {
                "ConfigMap" => {
                    paths.push(vec!["volumes", "[]", "configMap", "name"]);
                    paths.push(vec![
                        "volumes",
                        "[]",
                        "projected",
                        "sources",
                        "[]",
                        "configMap",
                        "name",
                    ]);
                    for c in CONTAINERS {
                        paths.push(vec![
                            c,
                            "[]",
                            "env",
                            "[]",
                            "valueFrom",
                            "configMapKeyRef",
                            "name",
                        ]);
                        paths.push(vec![c, "[]", "envFrom", "[]", "configMapRef", "name"]);
                    }
                }
                "Secret" => {
                    paths.push(vec!["volumes", "[]", "secret", "secretName"]);
                    paths.push(vec![
                        "volumes",
                        "[]",
                        "projected",
                        "sources",
                        "[]",
                        "secret",
                        "name",
                    ]);
                    paths.push(vec!["imagePullSecrets", "[]", "name"]);
                    for c in CONTAINERS {
                        paths.push(vec![
                            c,
                            "[]",
                            "env",
                            "[]",
                            "valueFrom",
                            "secretKeyRef",
                            "name",
                        ]);
                        paths.push(vec![c, "[]", "envFrom", "[]", "secretRef", "name"]);
                    }
                }
                "ServiceAccount" => {
                    paths.push(vec!["serviceAccountName"]);
                    paths.push(vec!["serviceAccount"]);
                }
                "PersistentVolumeClaim" => {
                    paths.push(vec!["volumes", "[]", "persistentVolumeClaim", "claimName"]);
                }
                "PriorityClass" => paths.push(vec!["priorityClassName"]),
                _ => {}
            }
            for p in &paths {
                visit(spec, p, &mut rename);
            }
        }
        match (kind, referrer.as_str()) {
            ("Secret", "ServiceAccount") => {
                visit(v, &["secrets", "[]", "name"], &mut rename);
                visit(v, &["imagePullSecrets", "[]", "name"], &mut rename);
            }
            ("Secret", "Ingress") => visit(v, &["spec", "tls", "[]", "secretName"], &mut rename),
            ("Service", "Ingress") => {
                visit(
                    v,
                    &["spec", "defaultBackend", "service", "name"],
                    &mut rename,
                );
                visit(
                    v,
                    &[
                        "spec", "rules", "[]", "http", "paths", "[]", "backend", "service", "name",
                    ],
                    &mut rename,
                );
            }
            ("Service", "StatefulSet") => visit(v, &["spec", "serviceName"], &mut rename),
            ("ServiceAccount" | "Role" | "ClusterRole", "RoleBinding" | "ClusterRoleBinding") => {
                if kind == "ServiceAccount" {
                    if let Some(Value::Array(subjects)) = v.get_mut("subjects") {
                        for s in subjects {
                            let subject_ns = s
                                .get("namespace")
                                .and_then(Value::as_str)
                                .unwrap_or(&own_ns);
                            if s.get("kind").and_then(Value::as_str) == Some("ServiceAccount")
                                && subject_ns == ns
                                && s.get("name").and_then(Value::as_str) == Some(old)
                                && let Some(m) = s.as_object_mut()
                            {
                                // Kustomize writes the namespace of the account it resolved.
                                m.insert("name".into(), json!(new));
                                if !ns.is_empty() {
                                    m.insert("namespace".into(), json!(ns));
                                }
                            }
                        }
                    }
                } else if same_ns
                    && v.pointer("/roleRef/kind").and_then(Value::as_str) == Some(kind)
                    && let Some(name) = v.pointer_mut("/roleRef/name")
                {
                    rename(name);
                }
            }
            (_, "HorizontalPodAutoscaler")
                if v.pointer("/spec/scaleTargetRef/kind")
                    .and_then(Value::as_str)
                    == Some(kind) =>
            {
                if let Some(name) = v.pointer_mut("/spec/scaleTargetRef/name") {
                    rename(name);
                }
            }
            _ => {}
        }
    }
}
