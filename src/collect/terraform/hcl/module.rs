//! Module evaluation: one module instance at a time, its objects in dependency order, module
//! calls recursively with their inputs, every managed resource instance as a [`Resource`].
//!
//! The order is computed once per module from the references its expressions make (a cycle
//! is reported, and its members evaluated with the back references unknown). Then, per
//! instance: variables, providers, locals, resources and module calls in that order, outputs
//! last. A module call evaluates the child module once per `count` / `for_each` instance, with
//! its address prefix (`module.store["invoices"].`), the chain of calls that led there, the
//! providers it inherits or is given, and the suppressions written on the call.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use serde_json::Value as Json;

use super::COLLECTOR;
use super::deps;
use super::eval::{Budget, Eval, EvalError, Files, ModuleEntry, Named, Scope, relative};
use super::expand::{Evaluated, RESOURCE_META, eval_body, expansion};
use super::load::{At, Body, Module, read_module};
use super::types::convert;
use super::value::{Attrs, Value};
use super::vars::{Vars, default_value, root_inputs};
use crate::collect::terraform::{cloud_id, display_name, escape, redact_marked, tags};
use crate::inventory::{CollectError, Resource, Source, Suppression};

/// Module calls nested deeper than this are reported, not followed.
const MAX_MODULE_DEPTH: usize = 32;

/// A parsed module and the order its objects are evaluated in.
#[derive(Debug)]
pub struct Loaded {
    pub module: Module,
    order: Vec<Node>,
    /// Dependency cycles between the module's objects.
    pub cycles: Vec<CollectError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    Var(usize),
    /// A data source computed locally ([`super::data::LOCAL`]).
    Data(usize),
    Provider(usize),
    Local(usize),
    Resource(usize),
    Call(usize),
}

impl Loaded {
    pub fn new(module: Module) -> Self {
        let (order, cycles) = analyse(&module);
        Loaded {
            module,
            order,
            cycles,
        }
    }
}

/// The provider configuration key a resource uses: its `provider` meta-argument
/// (`aws.west`), else the default configuration of its type's provider (`aws`).
fn provider_key(body: &Body, kind: &str) -> String {
    match body.attr("provider").map(|a| &a.expr) {
        Some(expr) => reference_text(expr),
        None => kind.split('_').next().unwrap_or(kind).to_string(),
    }
}

/// `aws.west` from a provider reference expression.
fn reference_text(expr: &Expression) -> String {
    match expr {
        Expression::Variable(v) => v.as_str().to_string(),
        Expression::Traversal(t) => {
            let mut s = match &t.expr {
                Expression::Variable(v) => v.as_str().to_string(),
                other => other.to_string().trim().to_string(),
            };
            for op in t.operators.iter() {
                if let TraversalOperator::GetAttr(a) = op.value() {
                    s.push('.');
                    s.push_str(a.as_str());
                }
            }
            s
        }
        Expression::String(s) => s.value().to_string(),
        other => other.to_string().trim().to_string(),
    }
}

fn provider_name(p: &super::load::ProviderConfig) -> String {
    match &p.alias {
        Some(alias) => format!("{}.{alias}", p.name),
        None => p.name.clone(),
    }
}

/// The evaluation order of a module's objects, and its dependency cycles.
fn analyse(m: &Module) -> (Vec<Node>, Vec<CollectError>) {
    let mut nodes: Vec<Node> = Vec::new();
    nodes.extend((0..m.variables.len()).map(Node::Var));
    nodes.extend((0..m.providers.len()).map(Node::Provider));
    nodes.extend((0..m.locals.len()).map(Node::Local));
    nodes.extend(
        (0..m.data.len())
            .filter(|&i| super::data::LOCAL.contains(&m.data[i].kind.as_str()))
            .map(Node::Data),
    );
    nodes.extend((0..m.resources.len()).map(Node::Resource));
    nodes.extend((0..m.calls.len()).map(Node::Call));
    let index: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();

    let vars: HashMap<&str, Node> = m
        .variables
        .iter()
        .enumerate()
        .map(|(i, v)| (v.name.as_str(), Node::Var(i)))
        .collect();
    let locals: HashMap<&str, Node> = m
        .locals
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.as_str(), Node::Local(i)))
        .collect();
    let calls: HashMap<&str, Node> = m
        .calls
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), Node::Call(i)))
        .collect();
    let mut resources: HashMap<&str, HashMap<&str, Node>> = HashMap::new();
    for (i, r) in m.resources.iter().enumerate() {
        resources
            .entry(r.kind.as_str())
            .or_default()
            .insert(r.name.as_str(), Node::Resource(i));
    }
    let mut data: HashMap<&str, HashMap<&str, Node>> = HashMap::new();
    for (i, d) in m.data.iter().enumerate() {
        if super::data::LOCAL.contains(&d.kind.as_str()) {
            data.entry(d.kind.as_str())
                .or_default()
                .insert(d.name.as_str(), Node::Data(i));
        }
    }
    let providers: HashMap<String, Node> = m
        .providers
        .iter()
        .enumerate()
        .map(|(i, p)| (provider_name(p), Node::Provider(i)))
        .collect();

    let target = |root: &str, ops: &[&TraversalOperator]| -> Option<Node> {
        let attr = match ops.first() {
            Some(TraversalOperator::GetAttr(a)) => a.as_str(),
            _ => return None,
        };
        match root {
            "var" => vars.get(attr).copied(),
            "local" => locals.get(attr).copied(),
            "module" => calls.get(attr).copied(),
            "data" => match ops.get(1) {
                Some(TraversalOperator::GetAttr(name)) => {
                    data.get(attr).and_then(|d| d.get(name.as_str())).copied()
                }
                _ => None,
            },
            kind => resources.get(kind).and_then(|r| r.get(attr)).copied(),
        }
    };
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        let mut deps_of: Vec<Node> = Vec::new();
        let mut add = |root: &str, ops: &[&TraversalOperator]| {
            if let Some(t) = target(root, ops) {
                deps_of.push(t);
            }
        };
        match node {
            Node::Var(_) => {}
            Node::Provider(p) => deps::walk_body(&m.providers[*p].body, &mut add),
            Node::Local(l) => deps::walk(&m.locals[*l].expr, &mut add),
            Node::Data(d) => deps::walk_body(&m.data[*d].body, &mut add),
            Node::Resource(r) => {
                let rc = &m.resources[*r];
                deps::walk_body(&rc.body, &mut add);
                if let Some(p) = providers.get(&provider_key(&rc.body, &rc.kind)) {
                    deps_of.push(*p);
                }
            }
            Node::Call(c) => {
                deps::walk_body(&m.calls[*c].body, &mut add);
                // Children use this module's providers, inherited or passed.
                deps_of.extend(providers.values().copied());
            }
        }
        let mut e: Vec<usize> = deps_of
            .into_iter()
            .filter_map(|d| index.get(&d).copied())
            .filter(|&d| d != i || matches!(node, Node::Local(_) | Node::Call(_)))
            .collect();
        e.sort_unstable();
        e.dedup();
        edges[i] = e;
    }

    // Kahn's algorithm, ready nodes in declaration order.
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut waiting: Vec<usize> = vec![0; nodes.len()];
    for (i, e) in edges.iter().enumerate() {
        waiting[i] = e.len();
        for &d in e {
            dependents[d].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..nodes.len()).filter(|&i| waiting[i] == 0).collect();
    let mut order = Vec::with_capacity(nodes.len());
    let mut done = vec![false; nodes.len()];
    while let Some(i) = ready.pop_first() {
        order.push(nodes[i]);
        done[i] = true;
        for &d in &dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.insert(d);
            }
        }
    }
    let mut cycles = Vec::new();
    if order.len() < nodes.len() {
        let mut reported: HashSet<usize> = HashSet::new();
        for start in (0..nodes.len()).filter(|&i| !done[i]) {
            if reported.contains(&start) {
                continue;
            }
            // Follow unfinished dependencies until a node repeats: that is a cycle.
            let mut path = vec![start];
            let mut seen: HashMap<usize, usize> = HashMap::from([(start, 0)]);
            let cycle = loop {
                let cur = *path.last().expect("path is never empty");
                let Some(&next) = edges[cur].iter().find(|&&d| !done[d]) else {
                    break None;
                };
                if let Some(&pos) = seen.get(&next) {
                    break Some(path[pos..].to_vec());
                }
                seen.insert(next, path.len());
                path.push(next);
            };
            let Some(cycle) = cycle else { continue };
            if cycle.iter().any(|c| reported.contains(c)) {
                continue;
            }
            reported.extend(cycle.iter().copied());
            let names: Vec<String> = cycle.iter().map(|&c| describe(m, nodes[c])).collect();
            let at = at_of(m, nodes[cycle[0]]);
            cycles.push(m.error(
                at,
                at.span.start,
                format!(
                    "dependency cycle: {} -> {} (each needs the other's value; they are evaluated as unknown)",
                    names.join(" -> "),
                    names[0]
                ),
            ));
        }
        order.extend((0..nodes.len()).filter(|&i| !done[i]).map(|i| nodes[i]));
    }
    (order, cycles)
}

fn describe(m: &Module, node: Node) -> String {
    match node {
        Node::Var(i) => format!("var.{}", m.variables[i].name),
        Node::Data(i) => format!("data.{}.{}", m.data[i].kind, m.data[i].name),
        Node::Provider(i) => format!("provider.{}", provider_name(&m.providers[i])),
        Node::Local(i) => format!("local.{}", m.locals[i].name),
        Node::Resource(i) => format!("{}.{}", m.resources[i].kind, m.resources[i].name),
        Node::Call(i) => format!("module.{}", m.calls[i].name),
    }
}

fn at_of(m: &Module, node: Node) -> &At {
    match node {
        Node::Var(i) => &m.variables[i].at,
        Node::Data(i) => &m.data[i].at,
        Node::Provider(i) => &m.providers[i].at,
        Node::Local(i) => &m.locals[i].at,
        Node::Resource(i) => &m.resources[i].at,
        Node::Call(i) => &m.calls[i].at,
    }
}

/// Parsed modules by canonical directory, shared by every root of a scan: a module called a
/// thousand times is read once.
#[derive(Default)]
pub struct Loader {
    modules: Mutex<HashMap<PathBuf, Arc<Loaded>>>,
    /// `--download-modules`: each root's index of downloaded modules, by canonical folder.
    downloads: HashMap<PathBuf, PathBuf>,
}

impl Loader {
    /// The module in `dir` (as written), read on first use. `canonical` is its key.
    pub fn load(&self, dir: &Path, canonical: &Path, only: Option<&Path>) -> Arc<Loaded> {
        let key = match only {
            Some(file) => canonical.join(file.file_name().unwrap_or_default()),
            None => canonical.to_path_buf(),
        };
        if let Some(m) = self.lock().get(&key) {
            return m.clone();
        }
        let loaded = Arc::new(Loaded::new(read_module(dir, only)));
        self.lock().entry(key).or_insert(loaded).clone()
    }

    /// Sets the index of downloaded modules of each root (by canonical folder).
    pub fn set_downloads(&mut self, indexes: HashMap<PathBuf, PathBuf>) {
        self.downloads = indexes;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Loaded>>> {
        // A panic while holding the lock cannot leave the map inconsistent (inserts only).
        self.modules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parse errors and cycles of every module read, each once.
    pub fn problems(&self) -> Vec<CollectError> {
        let mut out = Vec::new();
        for m in self.lock().values() {
            out.extend(m.module.errors.iter().cloned());
            out.extend(m.cycles.iter().cloned());
        }
        out
    }
}

/// A provider configuration as resources see it.
#[derive(Debug, Default)]
struct ProviderInfo {
    /// `default_tags { tags = ... }`, when configured.
    default_tags: Option<Value>,
}

/// One module instance being evaluated.
#[derive(Clone)]
struct Frame {
    loaded: Arc<Loaded>,
    /// Address prefix of everything in this instance: `` or `module.a["x"].`.
    address: String,
    /// Module call names from the root, for `.terraform/modules/modules.json` keys.
    call_names: Vec<String>,
    /// `file:line` of every module call that led here, outermost first.
    calls: Vec<String>,
    /// Suppressions written on those module calls.
    suppressions: Vec<Suppression>,
    providers: HashMap<String, Arc<ProviderInfo>>,
    /// Canonical directories of this module and its callers.
    stack: Vec<PathBuf>,
    /// The same directories as written, for messages.
    dirs: Vec<PathBuf>,
}

/// The evaluation of one root module.
pub struct Run<'a> {
    loader: &'a Loader,
    root_dir: PathBuf,
    /// The root module as named in messages: its folder, or the one file scanned.
    label: String,
    allowed: Arc<Vec<PathBuf>>,
    /// `.terraform/modules/modules.json`, then plumb's own download index: module key ->
    /// directory.
    installed: Option<HashMap<String, PathBuf>>,
    /// Modules `--download-modules` could not install: key -> why.
    not_downloaded: HashMap<String, String>,
    budget: Arc<Budget>,
    pub resources: Vec<Resource>,
    pub errors: Vec<CollectError>,
}

#[derive(serde::Deserialize)]
struct ModulesJson {
    #[serde(rename = "Modules", default)]
    modules: Vec<ModuleEntryJson>,
}

#[derive(serde::Deserialize)]
struct ModuleEntryJson {
    #[serde(rename = "Key", default)]
    key: String,
    #[serde(rename = "Dir", default)]
    dir: String,
    /// Only in plumb's download index: why the module could not be installed.
    #[serde(rename = "Error", default)]
    error: String,
}

impl<'a> Run<'a> {
    /// Evaluates the root module in `dir` (or the single file `only`).
    pub fn root(
        loader: &'a Loader,
        dir: &Path,
        only: Option<&Path>,
        allowed: &[PathBuf],
        vars: &Vars,
    ) -> Run<'a> {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let loaded = loader.load(dir, &canonical, only);
        let label = only.unwrap_or(dir).display().to_string();
        Self::with_module(loader, dir, loaded, label, allowed, vars)
    }

    /// Evaluates an already loaded root module.
    pub fn with_module(
        loader: &'a Loader,
        dir: &Path,
        loaded: Arc<Loaded>,
        label: String,
        allowed: &[PathBuf],
        vars: &Vars,
    ) -> Run<'a> {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let mut allowed = allowed.to_vec();
        allowed.push(canonical.clone());
        let mut run = Run {
            loader,
            root_dir: dir.to_path_buf(),
            label,
            allowed: Arc::new(allowed),
            installed: None,
            not_downloaded: HashMap::new(),
            budget: Arc::new(Budget::default()),
            resources: Vec::new(),
            errors: Vec::new(),
        };
        run.installed = run.read_modules_json();
        let inputs = root_inputs(&loaded.module, vars, &mut run.errors);
        let frame = Frame {
            loaded,
            address: String::new(),
            call_names: Vec::new(),
            calls: Vec::new(),
            suppressions: Vec::new(),
            providers: HashMap::new(),
            stack: vec![canonical],
            dirs: vec![dir.to_path_buf()],
        };
        run.module(&frame, inputs, true);
        run
    }

    /// Terraform's installed modules, and those `--download-modules` installed for the calls
    /// Terraform's list does not name.
    fn read_modules_json(&mut self) -> Option<HashMap<String, PathBuf>> {
        let terraform = self.read_index(&self.root_dir.join(".terraform/modules/modules.json"));
        let canonical = self.root_dir.canonicalize().ok();
        let index = canonical.and_then(|c| self.loader.downloads.get(&c).cloned());
        let Some(index) = index else {
            return terraform.map(|t| {
                t.into_iter()
                    .filter(|(_, m)| m.error.is_empty())
                    .map(|(k, m)| (k, PathBuf::from(m.dir)))
                    .collect()
            });
        };
        let mut all = self.read_index(&index).unwrap_or_default();
        all.extend(terraform.unwrap_or_default());
        let mut installed = HashMap::new();
        for (key, m) in all {
            if m.error.is_empty() {
                installed.insert(key, PathBuf::from(m.dir));
            } else {
                self.not_downloaded.insert(key, m.error);
            }
        }
        Some(installed)
    }

    fn read_index(&mut self, path: &Path) -> Option<HashMap<String, ModuleEntryJson>> {
        let text = std::fs::read_to_string(path).ok()?;
        match serde_json::from_str::<ModulesJson>(&text) {
            Ok(doc) => Some(
                doc.modules
                    .into_iter()
                    .filter(|m| !m.key.is_empty())
                    .map(|m| (m.key.clone(), m))
                    .collect(),
            ),
            Err(e) => {
                self.errors.push(CollectError {
                    collector: COLLECTOR.into(),
                    scope: path.display().to_string(),
                    line: Some(e.line() as u32),
                    column: Some(e.column() as u32),
                    kinds: Vec::new(),
                    message: format!("cannot read the installed modules list: {e}"),
                });
                None
            }
        }
    }

    fn error(&mut self, m: &Module, file: usize, e: EvalError, fallback: usize) {
        // Past the evaluation budget, errors carry no message: the first one said it all.
        if e.message.is_empty() {
            return;
        }
        let at = At {
            file,
            span: fallback..fallback,
        };
        let err = m.error(&at, e.offset.unwrap_or(fallback), e.message);
        self.errors.push(err);
    }

    /// Evaluates one module instance; returns its outputs.
    fn module(
        &mut self,
        frame: &Frame,
        mut inputs: HashMap<String, Named>,
        is_root: bool,
    ) -> HashMap<String, Named> {
        let loaded = frame.loaded.clone();
        let m = &loaded.module;
        let mut allowed = self.allowed.as_ref().clone();
        if let Some(dir) = frame.stack.last() {
            allowed.push(dir.clone());
        }
        let mut scope = Scope {
            path_module: relative(&m.dir, &self.root_dir),
            path_root: ".".into(),
            files: Files {
                base: self.root_dir.clone(),
                allowed: Arc::new(allowed),
            },
            budget: self.budget.clone(),
            incomplete: !m.errors.is_empty(),
            ..Scope::default()
        };
        for v in &m.variables {
            scope.vars.insert(
                v.name.clone(),
                Named {
                    value: Value::unknown(),
                    sensitive: v.sensitive,
                },
            );
        }
        for l in &m.locals {
            scope.locals.insert(
                l.name.clone(),
                Named {
                    value: Value::unknown(),
                    sensitive: false,
                },
            );
        }
        for r in &m.resources {
            scope
                .resources
                .entry(r.kind.clone())
                .or_default()
                .insert(r.name.clone(), Value::unknown());
        }
        for d in &m.data {
            scope
                .data
                .entry(d.kind.clone())
                .or_default()
                .insert(d.name.clone(), Value::unknown());
        }
        for c in &m.calls {
            scope.modules.insert(
                c.name.clone(),
                ModuleEntry {
                    value: Value::unknown(),
                    sensitive_outputs: HashSet::new(),
                },
            );
        }
        let mut providers = frame.providers.clone();

        for node in &loaded.order {
            match *node {
                Node::Var(i) => {
                    let v = &m.variables[i];
                    let named = match inputs.remove(&v.name) {
                        Some(n) if n.value.is_null() && !v.nullable => Named {
                            value: default_value(m, v, &mut self.errors),
                            sensitive: n.sensitive,
                        },
                        Some(n) => n,
                        None => Named {
                            value: default_value(m, v, &mut self.errors),
                            sensitive: v.sensitive,
                        },
                    };
                    scope.vars.insert(v.name.clone(), named);
                }
                Node::Local(i) => {
                    let l = &m.locals[i];
                    let mut ev = Eval::new(&scope);
                    let value = match ev.eval(&l.expr) {
                        Ok(v) => v,
                        Err(e) => {
                            self.error(m, l.at.file, e, l.at.span.start);
                            Value::unknown()
                        }
                    };
                    let sensitive = ev.take_sensitive();
                    scope
                        .locals
                        .insert(l.name.clone(), Named { value, sensitive });
                }
                Node::Data(i) => {
                    let d = &m.data[i];
                    let value = self.data(frame, &scope, i);
                    scope
                        .data
                        .entry(d.kind.clone())
                        .or_default()
                        .insert(d.name.clone(), value);
                }
                Node::Provider(i) => {
                    let (key, info) = self.provider(frame, &scope, i);
                    providers.insert(key, Arc::new(info));
                }
                Node::Resource(i) => {
                    let value = self.resource(frame, &scope, &providers, i);
                    let rc = &m.resources[i];
                    scope
                        .resources
                        .entry(rc.kind.clone())
                        .or_default()
                        .insert(rc.name.clone(), value);
                }
                Node::Call(i) => {
                    let entry = self.call(frame, &scope, &providers, i);
                    scope.modules.insert(m.calls[i].name.clone(), entry);
                }
            }
        }

        let mut outputs = HashMap::new();
        for o in &m.outputs {
            let Some(expr) = &o.expr else { continue };
            let mut ev = Eval::new(&scope);
            let value = match ev.eval(expr) {
                Ok(v) => v,
                Err(e) => {
                    self.error(m, o.at.file, e, o.at.span.start);
                    Value::unknown()
                }
            };
            let sensitive = o.sensitive || ev.take_sensitive();
            outputs.insert(o.name.clone(), Named { value, sensitive });
        }
        if is_root {
            self.backend(frame, &scope);
        }
        outputs
    }

    fn source(&self, frame: &Frame, file: usize, at: &std::ops::Range<usize>) -> Source {
        let f = &frame.loaded.module.files[file];
        let (start_line, end_line) = f.lines(at);
        Source::File {
            path: f.path.clone(),
            start_line,
            end_line,
            module_calls: frame.calls.clone(),
        }
    }

    fn suppressions(&self, frame: &Frame, at: &At) -> Vec<Suppression> {
        let mut out = frame.suppressions.clone();
        out.extend(frame.loaded.module.files[at.file].suppressions_for(&at.span));
        out
    }

    /// Expands and evaluates a managed resource; returns the value other expressions see.
    fn resource(
        &mut self,
        frame: &Frame,
        scope: &Scope,
        providers: &HashMap<String, Arc<ProviderInfo>>,
        i: usize,
    ) -> Value {
        let loaded = frame.loaded.clone();
        let m = &loaded.module;
        let rc = &m.resources[i];
        let file = &m.files[rc.at.file];
        let mut ev = Eval::new(scope);
        let expansion = match expansion(&mut ev, &rc.body) {
            Ok(x) => x,
            Err(e) => {
                let e = EvalError {
                    message: format!("{}{}.{}: {}", frame.address, rc.kind, rc.name, e.message),
                    ..e
                };
                self.error(m, rc.at.file, e, rc.at.span.start);
                return Value::unknown();
            }
        };
        let default_tags = providers
            .get(&provider_key(&rc.body, &rc.kind))
            .and_then(|p| p.default_tags.clone());
        let base = format!("{}{}.{}", frame.address, rc.kind, rc.name);
        let source = self.source(frame, rc.at.file, &rc.at.span);
        let suppressions = self.suppressions(frame, &rc.at);
        let mut values = Vec::new();
        for (suffix, binding) in expansion.instances() {
            if let Err(e) = ev.charge(1) {
                self.error(m, rc.at.file, e, rc.at.span.start);
                break;
            }
            let bound = binding.is_some();
            if let Some((name, v)) = binding {
                ev.bind(name, v);
            }
            let mut out = Evaluated::default();
            let mut attrs = eval_body(
                &mut ev,
                &rc.body,
                RESOURCE_META,
                file,
                &mut String::new(),
                &mut out,
            );
            if bound {
                ev.unbind();
            }
            for e in std::mem::take(&mut out.errors) {
                self.error(m, rc.at.file, e, rc.at.span.start);
            }
            if let Some(default) = &default_tags
                && rc.kind.starts_with("aws_")
                && (attrs.contains_key("tags") || taggable(&rc.kind))
            {
                attrs.insert("tags_all".into(), tags_all(default, attrs.get("tags")));
            }
            let id: Arc<str> = format!("tf:{base}{suffix}").into();
            let address = &id[3..];
            let r = build_resource(
                address,
                &rc.kind,
                &attrs,
                out,
                source.clone(),
                suppressions.clone(),
            );
            self.resources.push(r);
            values.push(Value::resource(id, attrs));
        }
        expansion.collect(values)
    }

    /// A locally computed data source, with its `count` / `for_each` instances. Unknown (as
    /// for any data source) when its arguments are.
    fn data(&mut self, frame: &Frame, scope: &Scope, i: usize) -> Value {
        let loaded = frame.loaded.clone();
        let m = &loaded.module;
        let d = &m.data[i];
        let file = &m.files[d.at.file];
        let mut ev = Eval::new(scope);
        let expansion = match expansion(&mut ev, &d.body) {
            Ok(x) => x,
            // Terraform reads such a data source at apply time: unknown, not an error.
            Err(_) => return Value::unknown(),
        };
        let mut values = Vec::new();
        for (_, binding) in expansion.instances() {
            let bound = binding.is_some();
            if let Some((name, v)) = binding {
                ev.bind(name, v);
            }
            let mut out = Evaluated::default();
            let args = eval_body(
                &mut ev,
                &d.body,
                RESOURCE_META,
                file,
                &mut String::new(),
                &mut out,
            );
            if bound {
                ev.unbind();
            }
            for e in std::mem::take(&mut out.errors) {
                self.error(m, d.at.file, e, d.at.span.start);
            }
            values.push(super::data::read(&d.kind, args));
        }
        expansion.collect(values)
    }

    fn provider(&mut self, frame: &Frame, scope: &Scope, i: usize) -> (String, ProviderInfo) {
        let loaded = frame.loaded.clone();
        let m = &loaded.module;
        let p = &m.providers[i];
        let file = &m.files[p.at.file];
        let mut ev = Eval::new(scope);
        let mut out = Evaluated::default();
        let attrs = eval_body(&mut ev, &p.body, &[], file, &mut String::new(), &mut out);
        for e in std::mem::take(&mut out.errors) {
            self.error(m, p.at.file, e, p.at.span.start);
        }
        let default_tags = match attrs.get("default_tags") {
            Some(Value::List(l)) => l.items.first().and_then(|b| match b {
                Value::Map(m) => Some(m.entries.get("tags").cloned().unwrap_or(Value::Null)),
                _ => None,
            }),
            Some(u @ Value::Unknown(_)) => Some(u.clone()),
            _ => None,
        };
        let key = provider_name(p);
        let mut r = build_resource(
            &format!("{}provider.{key}", frame.address),
            "terraform_provider",
            &attrs,
            out,
            self.source(frame, p.at.file, &p.at.span),
            self.suppressions(frame, &p.at),
        );
        r.name = key.clone();
        self.resources.push(r);
        (key, ProviderInfo { default_tags })
    }

    /// The root module's state backend: its `backend` or `cloud` block, or the implicit
    /// local backend when there is none.
    fn backend(&mut self, frame: &Frame, scope: &Scope) {
        let loaded = frame.loaded.clone();
        let m = &loaded.module;
        if m.files.is_empty() {
            return;
        }
        let (kind, attrs, out, at, written) = match &m.backend {
            Some(b) => {
                let mut ev = Eval::new(scope);
                let mut out = Evaluated::default();
                let attrs = eval_body(
                    &mut ev,
                    &b.body,
                    &[],
                    &m.files[b.at.file],
                    &mut String::new(),
                    &mut out,
                );
                for e in std::mem::take(&mut out.errors) {
                    self.error(m, b.at.file, e, b.at.span.start);
                }
                (b.kind.clone(), attrs, out, b.at.clone(), true)
            }
            None => (
                "local".to_string(),
                Attrs::new(),
                Evaluated::default(),
                m.terraform_block.clone().unwrap_or(At {
                    file: 0,
                    span: 0..0,
                }),
                m.terraform_block.is_some(),
            ),
        };
        let mut attrs = attrs;
        attrs.insert("type".into(), Value::string(kind.as_str()));
        // Without a terraform block, there is no place a suppression could have been written.
        let suppressions = if written {
            self.suppressions(frame, &at)
        } else {
            Vec::new()
        };
        let mut r = build_resource(
            "terraform.backend",
            "terraform_backend",
            &attrs,
            out,
            self.source(frame, at.file, &at.span),
            suppressions,
        );
        r.name = format!("{kind} backend of {}", self.label);
        self.resources.push(r);
    }

    /// Evaluates a module call: every instance of the child module, with its inputs.
    fn call(
        &mut self,
        frame: &Frame,
        scope: &Scope,
        providers: &HashMap<String, Arc<ProviderInfo>>,
        i: usize,
    ) -> ModuleEntry {
        let unknown = ModuleEntry {
            value: Value::unknown(),
            sensitive_outputs: HashSet::new(),
        };
        let loaded = frame.loaded.clone();
        let m = &loaded.module;
        let call = &m.calls[i];
        let file = &m.files[call.at.file];
        let (dir, canonical) = match self.resolve(frame, call) {
            Ok(d) => d,
            Err(message) => {
                let e = m.error(&call.at, call.at.span.start, message);
                self.errors.push(e);
                return unknown;
            }
        };
        if let Some(pos) = frame.stack.iter().position(|d| *d == canonical) {
            let chain: Vec<String> = frame.dirs[pos..]
                .iter()
                .chain([&dir])
                .map(|d| d.display().to_string())
                .collect();
            let e = m.error(
                &call.at,
                call.at.span.start,
                format!(
                    "module \"{}\" includes itself: {} (a module cannot call itself, directly or through other modules)",
                    call.name,
                    chain.join(" -> ")
                ),
            );
            self.errors.push(e);
            return unknown;
        }
        if frame.stack.len() >= MAX_MODULE_DEPTH {
            let e = m.error(
                &call.at,
                call.at.span.start,
                format!(
                    "module \"{}\" is nested more than {MAX_MODULE_DEPTH} calls deep; not followed",
                    call.name
                ),
            );
            self.errors.push(e);
            return unknown;
        }
        let child = self.loader.load(&dir, &canonical, None);
        let mut ev = Eval::new(scope);
        let expansion = match expansion(&mut ev, &call.body) {
            Ok(x) => x,
            Err(e) => {
                let e = EvalError {
                    message: format!("{}module.{}: {}", frame.address, call.name, e.message),
                    ..e
                };
                self.error(m, call.at.file, e, call.at.span.start);
                return unknown;
            }
        };
        let child_providers = Self::child_providers(call, providers);
        let mut suppressions = frame.suppressions.clone();
        suppressions.extend(file.suppressions_for(&call.at.span));
        let call_site = format!("{}:{}", file.path, file.line(call.at.span.start));
        let declared: HashMap<&str, &super::load::Variable> = child
            .module
            .variables
            .iter()
            .map(|v| (v.name.as_str(), v))
            .collect();

        let mut values = Vec::new();
        let mut sensitive_outputs = HashSet::new();
        for (suffix, binding) in expansion.instances() {
            if let Err(e) = ev.charge(1) {
                self.error(m, call.at.file, e, call.at.span.start);
                break;
            }
            let bound = binding.is_some();
            if let Some((name, v)) = binding {
                ev.bind(name, v);
            }
            let mut inputs = HashMap::new();
            for attr in &call.body.attrs {
                if matches!(
                    attr.name.as_str(),
                    "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
                ) {
                    continue;
                }
                ev.take_sensitive();
                let value = match ev.eval(&attr.expr) {
                    Ok(v) => v,
                    Err(e) => {
                        self.error(m, call.at.file, e, attr.span.start);
                        Value::unknown()
                    }
                };
                let sensitive = ev.take_sensitive();
                let Some(var) = declared.get(attr.name.as_str()) else {
                    let e = m.error(
                        &call.at,
                        attr.span.start,
                        format!(
                            "module \"{}\" ({}) has no variable \"{}\"",
                            call.name,
                            dir.display(),
                            attr.name
                        ),
                    );
                    self.errors.push(e);
                    continue;
                };
                let value = match &var.ty {
                    Some(ty) => convert(&value, ty).unwrap_or_else(|msg| {
                        let e = m.error(
                            &call.at,
                            attr.span.start,
                            format!(
                                "module \"{}\" input \"{}\" does not match the variable's type: {msg}",
                                call.name, attr.name
                            ),
                        );
                        self.errors.push(e);
                        Value::unknown()
                    }),
                    None => value,
                };
                inputs.insert(
                    attr.name.clone(),
                    Named {
                        value,
                        sensitive: sensitive || var.sensitive,
                    },
                );
            }
            if bound {
                ev.unbind();
            }
            let mut calls = frame.calls.clone();
            calls.push(call_site.clone());
            let mut call_names = frame.call_names.clone();
            call_names.push(call.name.clone());
            let mut stack = frame.stack.clone();
            stack.push(canonical.clone());
            let mut dirs = frame.dirs.clone();
            dirs.push(dir.clone());
            let child_frame = Frame {
                loaded: child.clone(),
                address: format!("{}module.{}{suffix}.", frame.address, call.name),
                call_names,
                calls,
                suppressions: suppressions.clone(),
                providers: child_providers.clone(),
                stack,
                dirs,
            };
            let outputs = self.module(&child_frame, inputs, false);
            let mut obj = Attrs::new();
            for (k, named) in outputs {
                if named.sensitive {
                    sensitive_outputs.insert(k.clone());
                }
                obj.insert(k, named.value);
            }
            values.push(Value::map(obj));
        }
        ModuleEntry {
            value: expansion.collect(values),
            sensitive_outputs,
        }
    }

    /// The providers a child module gets: those named in `providers = {...}`, else the
    /// caller's default (unaliased) configurations.
    fn child_providers(
        call: &super::load::ModuleCall,
        providers: &HashMap<String, Arc<ProviderInfo>>,
    ) -> HashMap<String, Arc<ProviderInfo>> {
        let mut out: HashMap<String, Arc<ProviderInfo>> = providers
            .iter()
            .filter(|(k, _)| !k.contains('.'))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if let Some(Expression::Object(obj)) = call.body.attr("providers").map(|a| &a.expr) {
            for (key, value) in obj.iter() {
                let k = match key {
                    ObjectKey::Ident(i) => i.as_str().to_string(),
                    ObjectKey::Expression(e) => reference_text(e),
                };
                let v = reference_text(value.expr());
                match providers.get(&v) {
                    Some(p) => {
                        out.insert(k, p.clone());
                    }
                    None => {
                        out.remove(&k);
                    }
                }
            }
        }
        out
    }

    /// The directory of a called module: a local path, or an installed remote module.
    fn resolve(
        &self,
        frame: &Frame,
        call: &super::load::ModuleCall,
    ) -> Result<(PathBuf, PathBuf), String> {
        let source = call.source.as_str();
        let mut key = frame.call_names.clone();
        key.push(call.name.clone());
        let key = key.join(".");
        if let Some(why) = self.not_downloaded.get(&key) {
            return Err(format!(
                "module \"{}\" (source {source:?}) could not be installed: {why}; its resources are not scanned",
                call.name
            ));
        }
        let dir = if is_local_source(source) {
            clean(&frame.loaded.module.dir.join(source))
        } else {
            match self.installed.as_ref().and_then(|i| i.get(&key)) {
                Some(d) => clean(&self.root_dir.join(d)),
                None => {
                    return Err(format!(
                        "module \"{}\" (source {source:?}) is not downloaded: run `terraform init` so that .terraform/modules/modules.json lists it; its resources are not scanned",
                        call.name
                    ));
                }
            }
        };
        let canonical = dir.canonicalize().map_err(|e| {
            format!(
                "module \"{}\": cannot read its source {} ({e})",
                call.name,
                dir.display()
            )
        })?;
        if !canonical.is_dir() {
            return Err(format!(
                "module \"{}\": its source {} is not a directory",
                call.name,
                dir.display()
            ));
        }
        Ok((dir, canonical))
    }
}

/// Terraform's rule: a local module source starts with `./` or `../`.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\")
}

/// Lexically cleaned path: `a/./b/../c` -> `a/c` (leading `..` kept).
pub fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

/// Suffixes of AWS resource types that take no tags: associations, attachments, and the
/// satellite settings of a parent (S3 bucket configurations, security group rules).
const UNTAGGED_SUFFIXES: &[&str] = &[
    "_policy",
    "_attachment",
    "_association",
    "_versioning",
    "_acl",
    "_public_access_block",
    "_logging",
    "_configuration",
    "_security_group_rule",
    "_notification",
    "_ownership_controls",
    "_route",
    "_record",
    "_membership",
    "_inventory",
    "_metric",
];

fn taggable(kind: &str) -> bool {
    !UNTAGGED_SUFFIXES.iter().any(|s| kind.ends_with(s))
}

/// `tags_all`: the provider's default tags overlaid with the resource's own.
fn tags_all(default: &Value, tags: Option<&Value>) -> Value {
    match (default, tags) {
        (Value::Map(_), None | Some(Value::Null)) => default.clone(),
        (Value::Null, None | Some(Value::Null)) => Value::map(Attrs::new()),
        (Value::Null, Some(t @ Value::Map(_))) => t.clone(),
        (Value::Map(d), Some(Value::Map(t))) => {
            let mut merged = d.entries.clone();
            for (k, v) in &t.entries {
                merged.insert(k.clone(), v.clone());
            }
            Value::map(merged)
        }
        (d, t) => Value::unknown_of([Some(d), t].into_iter().flatten()),
    }
}

/// A resource in the inventory's shape from its evaluated attributes.
fn build_resource(
    address: &str,
    kind: &str,
    attrs: &Attrs,
    out: Evaluated,
    source: Source,
    suppressions: Vec<Suppression>,
) -> Resource {
    let mut r = Resource::new(format!("tf:{address}"), kind, source);
    let mut unknown = Vec::new();
    let mut json = serde_json::Map::new();
    for (k, v) in attrs {
        let mut pointer = format!("/{}", escape(k));
        json.insert(k.clone(), v.to_json(&mut pointer, &mut unknown));
    }
    r.attrs = Json::Object(json);
    r.unknown = unknown.into_iter().collect();
    r.references = out.refs;
    r.attr_lines = out.lines;
    r.suppressions = suppressions;
    redact_marked(&mut r, &out.sensitive);
    let (tags, tags_unknown) = tags(&r.attrs, &r.unknown);
    r.tags = tags;
    if tags_unknown {
        r.unknown.insert("/tags".into());
    }
    r.cloud_id = cloud_id(kind, &r.attrs);
    r.name = display_name(address, &r.attrs);
    r
}
