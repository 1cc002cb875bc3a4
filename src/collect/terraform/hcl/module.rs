//! Module evaluation: the whole configuration of one root module, value by value in the order
//! of its dependency graph ([`super::graph`]), every module instance with its inputs, every
//! managed resource instance as a [`Resource`].
//!
//! First the static module tree is read: each module call resolved to its directory (a local
//! path, or a remote module `terraform init` installed), nested calls recursively. Then the
//! graph orders every variable, local, provider, resource, module expansion and output of
//! every module, and each is evaluated once per instance of its module. A module call's
//! instances (`count` / `for_each`) are created when its expansion node is reached, each with
//! its address prefix (`module.store["invoices"].`); its inputs are evaluated in the caller's
//! instance, and its outputs are visible to the caller as soon as each is computed.
//!
//! A `count` or `for_each` that is not known before apply does not stop the scan: the block is
//! evaluated once, as a representative instance (`aws_instance.web[*]`, Terraform's notation
//! for instances whose keys are not known yet) with `count.index` / `each.*` unknown, so every
//! verdict that does not depend on them is still decided.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value as Json;

use super::COLLECTOR;
use super::eval::{Budget, Eval, EvalError, Files, ModuleEntry, Named, Scope, relative};
use super::expand::{Evaluated, Expansion, RESOURCE_META, eval_body, expansion};
use super::graph::{self, Graph, Loaded, Node, Obj, StaticModule, provider_name, provider_of};
use super::load::{At, Body, Module, provider_key, read_module};
use super::types::convert;
use super::value::{Attrs, Value};
use super::vars::{Vars, default_value, root_inputs};
use crate::collect::terraform::{cloud_id, display_name, escape, redact_marked, tags};
use crate::inventory::{CollectError, Resource, Source, Suppression};

/// Module calls nested deeper than this are reported, not followed.
const MAX_MODULE_DEPTH: usize = 32;

/// Parsed modules by canonical directory, shared by every root of a scan: a module called a
/// thousand times is read once.
#[derive(Default)]
pub(super) struct Loader {
    modules: Mutex<HashMap<PathBuf, Arc<Loaded>>>,
    /// `--download-modules`: each root's index of downloaded modules, by canonical folder.
    downloads: HashMap<PathBuf, PathBuf>,
}

impl Loader {
    /// The module in `dir` (as written), read on first use. `canonical` is its key.
    pub(super) fn load(&self, dir: &Path, canonical: &Path, only: Option<&Path>) -> Arc<Loaded> {
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
    pub(super) fn set_downloads(&mut self, indexes: HashMap<PathBuf, PathBuf>) {
        self.downloads = indexes;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Arc<Loaded>>> {
        // A panic while holding the lock cannot leave the map inconsistent (inserts only).
        self.modules.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Parse errors of every module read, each once.
    pub(super) fn problems(&self) -> Vec<CollectError> {
        let mut out = Vec::new();
        for m in self.lock().values() {
            out.extend(m.module.errors.iter().cloned());
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

/// One instance of a static module.
struct Inst {
    module: usize,
    /// The calling instance; `None` for the root.
    parent: Option<usize>,
    /// `count` / `each` of the call that made this instance, for evaluating its inputs in the
    /// caller.
    binding: Option<(&'static str, Value)>,
    /// Address prefix of everything in this instance: `` or `module.a["x"].`.
    address: String,
    scope: Scope,
    /// Provider configurations defined in this instance, by `aws` / `aws.west`.
    providers: HashMap<String, Arc<ProviderInfo>>,
    /// Every declared output: unknown until computed.
    outputs: Attrs,
    sensitive_outputs: HashSet<String>,
    /// Per module call: its expansion and the instances it made, once its node is reached.
    children: Vec<Option<(Expansion, Vec<usize>)>>,
}

/// Where evaluation results go.
struct Sink<'s> {
    resources: &'s mut Vec<Resource>,
    errors: &'s mut Vec<CollectError>,
    /// The module instance being evaluated (`module.a["x"].`), named in errors: one module
    /// is often called many times, and only some calls may give a value that fails.
    within: String,
}

impl Sink<'_> {
    fn error(&mut self, m: &Module, file: usize, e: EvalError, fallback: usize) {
        // Past the evaluation budget, errors carry no message: the first one said it all.
        if e.message.is_empty() {
            return;
        }
        let at = At {
            file,
            span: fallback..fallback,
        };
        let message = match self.within.strip_suffix('.') {
            Some(instance) => format!("{} (in {instance})", e.message),
            None => e.message,
        };
        let err = m.error(&at, e.offset.unwrap_or(fallback), message);
        self.errors.push(err);
    }

    /// A representative instance stands for instances whose number is not known: said once
    /// per block, as a warning (the scan is complete; the verdicts on it hold for all).
    fn unknown_expansion(&mut self, m: &Module, at: &At, body: &Body, address: &str, why: &str) {
        let offset = body
            .attr("count")
            .or_else(|| body.attr("for_each"))
            .map_or(at.span.start, |a| a.span.start);
        let mut e = m.error(
            at,
            offset,
            format!("{address}: {why}; judged once, as the representative instance {address}[*]"),
        );
        e.warning = true;
        self.errors.push(e);
    }
}

/// The evaluation of one root module.
pub(super) struct Run<'a> {
    loader: &'a Loader,
    /// The root module as named in messages: its folder, or the one file scanned.
    label: String,
    allowed: Arc<Vec<PathBuf>>,
    /// `.terraform/modules/modules.json`, then plumb's own download index: module key ->
    /// directory.
    installed: Option<HashMap<String, PathBuf>>,
    /// Modules `--download-modules` could not install: key -> why.
    not_downloaded: HashMap<String, String>,
    /// Per static module, its canonical directory.
    canonical: Vec<PathBuf>,
    tree: Tree,
    state: Instances,
    pub resources: Vec<Resource>,
    pub errors: Vec<CollectError>,
}

/// The static module tree of a root module, and what its instances share.
struct Tree {
    root_dir: PathBuf,
    /// `path.cwd`.
    cwd: String,
    budget: Arc<Budget>,
    modules: Vec<StaticModule>,
    /// Per static module, where `file()` may read from its instances.
    files: Vec<Files>,
}

/// Every module instance made so far.
#[derive(Default)]
struct Instances {
    insts: Vec<Inst>,
    /// Per static module, its instances.
    by_module: Vec<Vec<usize>>,
}

impl Instances {
    /// A new instance of static module `module`, with every name declared and unknown.
    fn add(
        &mut self,
        tree: &Tree,
        module: usize,
        parent: Option<usize>,
        binding: Option<(&'static str, Value)>,
        address: String,
    ) -> usize {
        let m = tree.modules[module].module();
        let mut scope = Scope {
            path_module: relative(&m.dir, &tree.root_dir),
            path_root: ".".into(),
            path_cwd: tree.cwd.clone(),
            files: tree.files[module].clone(),
            budget: tree.budget.clone(),
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
        let outputs: Attrs = m
            .outputs
            .iter()
            .map(|o| (o.name.clone(), Value::unknown()))
            .collect();
        let children = (0..m.calls.len()).map(|_| None).collect();
        self.insts.push(Inst {
            module,
            parent,
            binding,
            address,
            scope,
            providers: HashMap::new(),
            outputs,
            sensitive_outputs: HashSet::new(),
            children,
        });
        let id = self.insts.len() - 1;
        self.by_module[module].push(id);
        id
    }
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
    pub(super) fn root(
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
    pub(super) fn with_module(
        loader: &'a Loader,
        dir: &Path,
        loaded: Arc<Loaded>,
        label: String,
        allowed: &[PathBuf],
        vars: &Vars,
    ) -> Run<'a> {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
        let mut run = Run {
            loader,
            label,
            allowed: Arc::new(allowed.to_vec()),
            installed: None,
            not_downloaded: HashMap::new(),
            canonical: Vec::new(),
            tree: Tree {
                root_dir: dir.to_path_buf(),
                cwd: canonical.display().to_string(),
                budget: Arc::new(Budget::default()),
                modules: Vec::new(),
                files: Vec::new(),
            },
            state: Instances::default(),
            resources: Vec::new(),
            errors: Vec::new(),
        };
        run.installed = run.read_modules_json();
        let inputs = root_inputs(&loaded.module, vars, &mut run.errors);
        run.add_module(
            StaticModule {
                loaded,
                parent: None,
                children: Vec::new(),
                call_names: Vec::new(),
                calls: Vec::new(),
                suppressions: Vec::new(),
            },
            &canonical,
        );
        run.add_children(0, &mut vec![canonical], &mut vec![dir.to_path_buf()]);
        run.share_files();
        let graph = graph::analyse(&run.tree.modules);
        run.errors.extend(graph.cycles.iter().cloned());
        run.evaluate(&graph, inputs);
        run
    }

    /// Terraform's installed modules, and those `--download-modules` installed for the calls
    /// Terraform's list does not name.
    fn read_modules_json(&mut self) -> Option<HashMap<String, PathBuf>> {
        let root = self.tree.root_dir.clone();
        let terraform = self.read_index(&root.join(".terraform/modules/modules.json"));
        let canonical = root.canonicalize().ok();
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
        let text = match crate::read::text(path, crate::read::Limit::Source) {
            Ok(text) => text,
            Err(crate::read::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return None;
            }
            Err(e) => {
                self.errors.push(CollectError {
                    collector: COLLECTOR.into(),
                    scope: path.display().to_string(),
                    line: None,
                    column: None,
                    kinds: Vec::new(),
                    message: format!("the installed modules list: {e}"),
                    warning: false,
                });
                return None;
            }
        };
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
                    warning: false,
                });
                None
            }
        }
    }

    fn add_module(&mut self, sm: StaticModule, canonical: &Path) -> usize {
        self.canonical.push(canonical.to_path_buf());
        self.tree.modules.push(sm);
        self.state.by_module.push(Vec::new());
        self.tree.modules.len() - 1
    }

    /// Where `file()` and its kin may read, for every module of the configuration: the
    /// scanned paths, and the smallest folder holding every module of the configuration, as
    /// Terraform reads a local module's files relative to the whole configuration
    /// (`${path.module}/../../templates/x.tpl` in a module called as `../../modules/y`). That
    /// folder never reaches above the repository (the folder holding `.git`) the root module
    /// is in, nor is it the filesystem's root: a configuration cannot make a scan read the
    /// rest of the machine.
    fn share_files(&mut self) {
        let mut allowed = self.allowed.as_ref().clone();
        allowed.extend(self.canonical.iter().cloned());
        let with_files: Vec<&PathBuf> = self
            .canonical
            .iter()
            .zip(&self.tree.modules)
            .filter(|(_, sm)| !sm.module().files.is_empty())
            .map(|(c, _)| c)
            .collect();
        if let Some(first) = with_files.first() {
            let mut common: PathBuf = (*first).clone();
            for c in &with_files[1..] {
                while !c.starts_with(&common) {
                    if !common.pop() {
                        break;
                    }
                }
            }
            let repository = first.ancestors().find(|a| a.join(".git").exists());
            let inside = match repository {
                Some(repo) => common.starts_with(repo),
                None => true,
            };
            if inside && common.parent().is_some() {
                allowed.push(common);
            }
        }
        let files = Files {
            base: self.tree.root_dir.clone(),
            allowed: Arc::new(allowed),
        };
        self.tree.files = vec![files; self.tree.modules.len()];
    }

    /// Resolves the module calls of static module `m`, recursively. `stack` holds the
    /// canonical directories of `m` and its callers, `dirs` the same as written.
    fn add_children(&mut self, m: usize, stack: &mut Vec<PathBuf>, dirs: &mut Vec<PathBuf>) {
        let loaded = self.tree.modules[m].loaded.clone();
        let module = &loaded.module;
        let mut children = vec![None; module.calls.len()];
        for (ci, call) in module.calls.iter().enumerate() {
            let Some((dir, canonical)) = self.resolve_call(m, ci, stack, dirs) else {
                continue;
            };
            let child = self.loader.load(&dir, &canonical, None);
            let file = &module.files[call.at.file];
            // Inputs the child does not declare: Terraform refuses the configuration.
            for attr in &call.body.attrs {
                if !is_call_meta(&attr.name) && !child.names.has_var(&attr.name) {
                    let e = module.error(
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
                }
            }
            let parent = &self.tree.modules[m];
            let mut call_names = parent.call_names.clone();
            call_names.push(call.name.clone());
            let mut calls = parent.calls.clone();
            calls.push(format!("{}:{}", file.path, file.line(call.at.span.start)));
            let mut suppressions = parent.suppressions.clone();
            suppressions.extend(file.suppressions_for(&call.at.span));
            let id = self.add_module(
                StaticModule {
                    loaded: child,
                    parent: Some((m, ci)),
                    children: Vec::new(),
                    call_names,
                    calls,
                    suppressions,
                },
                &canonical,
            );
            children[ci] = Some(id);
            stack.push(canonical);
            dirs.push(dir);
            self.add_children(id, stack, dirs);
            stack.pop();
            dirs.pop();
        }
        self.tree.modules[m].children = children;
    }

    /// The directory of module call `ci` of static module `m`, or why it cannot be followed
    /// (reported here, once).
    fn resolve_call(
        &mut self,
        m: usize,
        ci: usize,
        stack: &[PathBuf],
        dirs: &[PathBuf],
    ) -> Option<(PathBuf, PathBuf)> {
        let loaded = self.tree.modules[m].loaded.clone();
        let module = &loaded.module;
        let call = &module.calls[ci];
        let (dir, canonical) = match self.resolve(m, call) {
            Ok(d) => d,
            Err((message, warning)) => {
                let mut e = module.error(&call.at, call.at.span.start, message);
                e.warning = warning;
                self.errors.push(e);
                return None;
            }
        };
        if let Some(pos) = stack.iter().position(|d| *d == canonical) {
            let chain: Vec<String> = dirs[pos..]
                .iter()
                .chain([&dir])
                .map(|d| d.display().to_string())
                .collect();
            let e = module.error(
                &call.at,
                call.at.span.start,
                format!(
                    "module \"{}\" includes itself: {} (a module cannot call itself, directly or through other modules)",
                    call.name,
                    chain.join(" -> ")
                ),
            );
            self.errors.push(e);
            return None;
        }
        if stack.len() >= MAX_MODULE_DEPTH {
            let e = module.error(
                &call.at,
                call.at.span.start,
                format!(
                    "module \"{}\" is nested more than {MAX_MODULE_DEPTH} calls deep; not followed",
                    call.name
                ),
            );
            self.errors.push(e);
            return None;
        }
        Some((dir, canonical))
    }

    /// The directory of a called module: a local path, or an installed remote module. A
    /// remote module that is not installed is a warning (`true`): its resources are not
    /// scanned, and the report says so.
    fn resolve(
        &self,
        m: usize,
        call: &super::load::ModuleCall,
    ) -> Result<(PathBuf, PathBuf), (String, bool)> {
        let source = call.source.as_str();
        let sm = &self.tree.modules[m];
        let mut key = sm.call_names.clone();
        key.push(call.name.clone());
        let key = key.join(".");
        if let Some(why) = self.not_downloaded.get(&key) {
            return Err((
                format!(
                    "module \"{}\" (source {source:?}) could not be installed: {why}; its resources are not scanned",
                    call.name
                ),
                false,
            ));
        }
        let dir = if is_local_source(source) {
            clean(&sm.module().dir.join(source))
        } else {
            match self.installed.as_ref().and_then(|i| i.get(&key)) {
                Some(d) => clean(&self.tree.root_dir.join(d)),
                None => {
                    return Err((
                        format!(
                            "module \"{}\" (source {source:?}) is not downloaded: run `terraform init` so that .terraform/modules/modules.json lists it; its resources are not scanned",
                            call.name
                        ),
                        true,
                    ));
                }
            }
        };
        let canonical = dir.canonicalize().map_err(|e| {
            (
                format!(
                    "module \"{}\": cannot read its source {} ({e})",
                    call.name,
                    dir.display()
                ),
                false,
            )
        })?;
        if !canonical.is_dir() {
            return Err((
                format!(
                    "module \"{}\": its source {} is not a directory",
                    call.name,
                    dir.display()
                ),
                false,
            ));
        }
        Ok((dir, canonical))
    }

    /// Evaluates every node in the graph's order, each for every instance of its module.
    fn evaluate(&mut self, graph: &Graph, mut root_inputs: HashMap<String, Named>) {
        self.state.add(&self.tree, 0, None, None, String::new());
        // Scopes no later node reads are dropped as soon as possible: a configuration of
        // many module instances never holds all of them at once.
        let mut release: HashMap<usize, Vec<usize>> = HashMap::new();
        for (m, &pos) in graph.last_use.iter().enumerate().skip(1) {
            release.entry(pos).or_default().push(m);
        }
        for (pos, node) in graph.order.iter().enumerate() {
            self.node(*node, &mut root_inputs);
            for &m in release.get(&pos).map(Vec::as_slice).unwrap_or_default() {
                for &i in &self.state.by_module[m] {
                    self.state.insts[i].scope = Scope::default();
                }
            }
        }
        self.backend();
    }

    fn node(&mut self, node: Node, root_inputs: &mut HashMap<String, Named>) {
        let m = node.module;
        let instances = self.state.by_module[m].clone();
        let Run {
            tree,
            state,
            resources,
            errors,
            ..
        } = self;
        let modules = &tree.modules;
        let sm = &modules[m];
        let module = sm.module();
        let mut sink = Sink {
            resources,
            errors,
            within: String::new(),
        };
        match node.obj {
            Obj::Var(i) => {
                let v = &module.variables[i];
                for ii in instances {
                    sink.within.clone_from(&state.insts[ii].address);
                    let given = match (state.insts[ii].parent, sm.parent) {
                        (Some(p), Some((pm, ci))) => {
                            let caller = modules[pm].module();
                            let call = &caller.calls[ci];
                            call.body.attr(&v.name).map(|attr| {
                                let mut ev = Eval::new(&state.insts[p].scope);
                                if let Some((name, value)) = &state.insts[ii].binding {
                                    ev.bind(*name, value.clone());
                                }
                                let value = match ev.eval(&attr.expr) {
                                    Ok(v) => v,
                                    Err(e) => {
                                        sink.error(caller, call.at.file, e, attr.span.start);
                                        Value::unknown()
                                    }
                                };
                                let sensitive = ev.take_sensitive();
                                let value = match &v.ty {
                                    Some(ty) => convert(&value, ty).unwrap_or_else(|msg| {
                                        let e = caller.error(
                                            &call.at,
                                            attr.span.start,
                                            format!(
                                                "module \"{}\" input \"{}\" does not match the variable's type: {msg}",
                                                call.name, attr.name
                                            ),
                                        );
                                        sink.errors.push(e);
                                        Value::unknown()
                                    }),
                                    None => value,
                                };
                                Named {
                                    value,
                                    sensitive: sensitive || v.sensitive,
                                }
                            })
                        }
                        _ => root_inputs.remove(&v.name),
                    };
                    let named = match given {
                        Some(n) if n.value.is_null() && !v.nullable => Named {
                            value: default_value(module, v, sink.errors),
                            sensitive: n.sensitive,
                        },
                        Some(n) => n,
                        None => Named {
                            value: default_value(module, v, sink.errors),
                            sensitive: v.sensitive,
                        },
                    };
                    state.insts[ii].scope.vars.insert(v.name.clone(), named);
                }
            }
            Obj::Local(i) => {
                let l = &module.locals[i];
                for ii in instances {
                    sink.within.clone_from(&state.insts[ii].address);
                    let mut ev = Eval::new(&state.insts[ii].scope);
                    let value = match ev.eval(&l.expr) {
                        Ok(v) => v,
                        Err(e) => {
                            sink.error(module, l.at.file, e, l.at.span.start);
                            Value::unknown()
                        }
                    };
                    let sensitive = ev.take_sensitive();
                    state.insts[ii]
                        .scope
                        .locals
                        .insert(l.name.clone(), Named { value, sensitive });
                }
            }
            Obj::Data(i) => {
                let d = &module.data[i];
                for ii in instances {
                    sink.within.clone_from(&state.insts[ii].address);
                    let value = data(sm, &state.insts[ii].scope, i, &mut sink);
                    state.insts[ii]
                        .scope
                        .data
                        .entry(d.kind.clone())
                        .or_default()
                        .insert(d.name.clone(), value);
                }
            }
            Obj::Provider(i) => {
                for ii in instances {
                    sink.within.clone_from(&state.insts[ii].address);
                    let (key, info) = provider(sm, &state.insts[ii], i, &mut sink);
                    state.insts[ii].providers.insert(key, Arc::new(info));
                }
            }
            Obj::Resource(i) => {
                let rc = &module.resources[i];
                let key = provider_key(&rc.body, &rc.kind);
                let configured = provider_of(modules, m, &key);
                for ii in instances {
                    sink.within.clone_from(&state.insts[ii].address);
                    let info = configured.and_then(|(pm, p)| {
                        let mut at = ii;
                        while state.insts[at].module != pm {
                            at = state.insts[at].parent?;
                        }
                        let name = provider_name(&modules[pm].module().providers[p]);
                        state.insts[at].providers.get(&name).cloned()
                    });
                    let value = resource(sm, &state.insts[ii], info.as_deref(), i, &mut sink);
                    state.insts[ii]
                        .scope
                        .resources
                        .entry(rc.kind.clone())
                        .or_default()
                        .insert(rc.name.clone(), value);
                }
            }
            Obj::Expand(ci) => {
                let Some(child) = sm.children[ci] else {
                    return;
                };
                let call = &module.calls[ci];
                for ii in instances {
                    sink.within.clone_from(&state.insts[ii].address);
                    let mut ev = Eval::new(&state.insts[ii].scope);
                    let expansion = match expansion(&mut ev, &call.body) {
                        Ok(x) => x,
                        Err(e) => {
                            let e = EvalError {
                                message: format!(
                                    "{}module.{}: {}",
                                    state.insts[ii].address, call.name, e.message
                                ),
                                ..e
                            };
                            sink.error(module, call.at.file, e, call.at.span.start);
                            continue;
                        }
                    };
                    let base = format!("{}module.{}", state.insts[ii].address, call.name);
                    if let Expansion::Unknown { why, .. } = &expansion {
                        sink.unknown_expansion(module, &call.at, &call.body, &base, why);
                    }
                    let mut made = Vec::new();
                    for (suffix, binding) in expansion.instances() {
                        if let Err(e) = ev.charge(1) {
                            sink.error(module, call.at.file, e, call.at.span.start);
                            break;
                        }
                        made.push((format!("{base}{suffix}."), binding));
                    }
                    drop(ev);
                    let ids: Vec<usize> = made
                        .into_iter()
                        .map(|(address, binding)| {
                            state.add(tree, child, Some(ii), binding, address)
                        })
                        .collect();
                    state.insts[ii].children[ci] = Some((expansion, ids));
                }
            }
            Obj::Output(i) => {
                let o = &module.outputs[i];
                let Some(expr) = &o.expr else { return };
                let mut parents: Vec<usize> = Vec::new();
                for ii in instances {
                    sink.within.clone_from(&state.insts[ii].address);
                    let mut ev = Eval::new(&state.insts[ii].scope);
                    let value = match ev.eval(expr) {
                        Ok(v) => v,
                        Err(e) => {
                            sink.error(module, o.at.file, e, o.at.span.start);
                            Value::unknown()
                        }
                    };
                    let sensitive = o.sensitive || ev.take_sensitive();
                    let inst = &mut state.insts[ii];
                    inst.outputs.insert(o.name.clone(), value);
                    if sensitive {
                        inst.sensitive_outputs.insert(o.name.clone());
                    }
                    if let Some(p) = inst.parent
                        && parents.last() != Some(&p)
                    {
                        parents.push(p);
                    }
                }
                // The caller sees the module's outputs as soon as each is known.
                if let Some((_, ci)) = sm.parent {
                    let caller = sm.parent.map_or(0, |(pm, _)| pm);
                    let name = &modules[caller].module().calls[ci].name;
                    for p in parents {
                        let Some((expansion, ids)) = &state.insts[p].children[ci] else {
                            continue;
                        };
                        let values: Vec<Value> = ids
                            .iter()
                            .map(|&c| Value::map(state.insts[c].outputs.clone()))
                            .collect();
                        let mut sensitive_outputs = HashSet::new();
                        for &c in ids {
                            sensitive_outputs
                                .extend(state.insts[c].sensitive_outputs.iter().cloned());
                        }
                        let value = expansion.collect(values);
                        state.insts[p].scope.modules.insert(
                            name.clone(),
                            ModuleEntry {
                                value,
                                sensitive_outputs,
                            },
                        );
                    }
                }
            }
        }
    }

    /// The root module's state backend: its `backend` or `cloud` block, or the implicit
    /// local backend when there is none.
    fn backend(&mut self) {
        let Some(&root) = self.state.by_module.first().and_then(|r| r.first()) else {
            return;
        };
        let sm = &self.tree.modules[0];
        let m = sm.module();
        if m.files.is_empty() {
            return;
        }
        let scope = &self.state.insts[root].scope;
        let mut sink = Sink {
            resources: &mut self.resources,
            errors: &mut self.errors,
            within: String::new(),
        };
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
                    sink.error(m, b.at.file, e, b.at.span.start);
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
            suppressions(sm, &at)
        } else {
            Vec::new()
        };
        let mut r = build_resource(
            "terraform.backend",
            "terraform_backend",
            &attrs,
            out,
            source(sm, at.file, &at.span),
            suppressions,
        );
        r.name = format!("{kind} backend of {}", self.label);
        sink.resources.push(r);
    }
}

/// Arguments of a module call that are not inputs of the called module.
fn is_call_meta(name: &str) -> bool {
    matches!(
        name,
        "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
    )
}

fn source(sm: &StaticModule, file: usize, at: &std::ops::Range<usize>) -> Source {
    let f = &sm.module().files[file];
    let (start_line, end_line) = f.lines(at);
    Source::File {
        path: f.path.clone(),
        start_line,
        end_line,
        module_calls: sm.calls.clone(),
    }
}

fn suppressions(sm: &StaticModule, at: &At) -> Vec<Suppression> {
    let mut out = sm.suppressions.clone();
    out.extend(sm.module().files[at.file].suppressions_for(&at.span));
    out
}

/// Expands and evaluates managed resource `i` in one module instance; returns the value other
/// expressions see.
fn resource(
    sm: &StaticModule,
    inst: &Inst,
    provider: Option<&ProviderInfo>,
    i: usize,
    sink: &mut Sink<'_>,
) -> Value {
    let m = sm.module();
    let rc = &m.resources[i];
    let mut ev = Eval::new(&inst.scope);
    let base = format!("{}{}.{}", inst.address, rc.kind, rc.name);
    let expansion = match expansion(&mut ev, &rc.body) {
        Ok(x) => x,
        Err(e) => {
            let e = EvalError {
                message: format!("{base}: {}", e.message),
                ..e
            };
            sink.error(m, rc.at.file, e, rc.at.span.start);
            return Value::unknown();
        }
    };
    if let Expansion::Unknown { why, .. } = &expansion {
        sink.unknown_expansion(m, &rc.at, &rc.body, &base, why);
    }
    let default_tags = provider.and_then(|p| p.default_tags.clone());
    let source = source(sm, rc.at.file, &rc.at.span);
    let suppressions = suppressions(sm, &rc.at);
    let mut values = Vec::new();
    for (suffix, binding) in expansion.instances() {
        if let Err(e) = ev.charge(1) {
            sink.error(m, rc.at.file, e, rc.at.span.start);
            break;
        }
        let (mut attrs, out) = instance_body(&mut ev, binding, m, &rc.body, &rc.at, sink);
        if let Some(default) = &default_tags
            && rc.kind.starts_with("aws_")
            && (attrs.contains_key("tags") || taggable(&rc.kind))
        {
            attrs.insert("tags_all".into(), tags_all(default, attrs.get("tags")));
        }
        let id: Arc<str> = format!("tf:{base}{suffix}").into();
        let address = &id[3..];
        let mut r = build_resource(
            address,
            &rc.kind,
            &attrs,
            out,
            source.clone(),
            suppressions.clone(),
        );
        // Expressions mean the same value only within one module instance.
        for e in r.expressions.values_mut() {
            *e = format!("{}|{e}", inst.address);
        }
        sink.resources.push(r);
        values.push(Value::resource(id, attrs));
    }
    expansion.collect(values)
}

/// A locally computed data source, with its `count` / `for_each` instances. Unknown (as for
/// any data source) when its arguments are.
fn data(sm: &StaticModule, scope: &Scope, i: usize, sink: &mut Sink<'_>) -> Value {
    let m = sm.module();
    let d = &m.data[i];
    let mut ev = Eval::new(scope);
    let expansion = match expansion(&mut ev, &d.body) {
        Ok(x) => x,
        // Terraform reads such a data source at apply time: unknown, not an error.
        Err(_) => return Value::unknown(),
    };
    let mut values = Vec::new();
    for (_, binding) in expansion.instances() {
        let (args, _) = instance_body(&mut ev, binding, m, &d.body, &d.at, sink);
        values.push(super::data::read(&d.kind, args));
    }
    expansion.collect(values)
}

/// The attributes of one `count` / `for_each` instance of a resource or data block, with its
/// binding in scope; evaluation errors go to `sink` at the block.
fn instance_body(
    ev: &mut Eval<'_>,
    binding: Option<(&'static str, Value)>,
    m: &Module,
    body: &Body,
    at: &At,
    sink: &mut Sink<'_>,
) -> (Attrs, Evaluated) {
    let bound = binding.is_some();
    if let Some((name, v)) = binding {
        ev.bind(name, v);
    }
    let mut out = Evaluated::default();
    let attrs = eval_body(
        ev,
        body,
        RESOURCE_META,
        &m.files[at.file],
        &mut String::new(),
        &mut out,
    );
    if bound {
        ev.unbind();
    }
    for e in std::mem::take(&mut out.errors) {
        sink.error(m, at.file, e, at.span.start);
    }
    (attrs, out)
}

/// A provider configuration of one module instance, as a `terraform_provider` resource, and
/// what the resources using it see.
fn provider(
    sm: &StaticModule,
    inst: &Inst,
    i: usize,
    sink: &mut Sink<'_>,
) -> (String, ProviderInfo) {
    let m = sm.module();
    let p = &m.providers[i];
    let file = &m.files[p.at.file];
    let mut ev = Eval::new(&inst.scope);
    let mut out = Evaluated::default();
    let attrs = eval_body(&mut ev, &p.body, &[], file, &mut String::new(), &mut out);
    for e in std::mem::take(&mut out.errors) {
        sink.error(m, p.at.file, e, p.at.span.start);
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
        &format!("{}provider.{key}", inst.address),
        "terraform_provider",
        &attrs,
        out,
        source(sm, p.at.file, &p.at.span),
        suppressions(sm, &p.at),
    );
    r.name = key.clone();
    sink.resources.push(r);
    (key, ProviderInfo { default_tags })
}

pub(super) fn is_local_source(source: &str) -> bool {
    source.starts_with("./")
        || source.starts_with("../")
        || source.starts_with(".\\")
        || source.starts_with("..\\")
}

/// Lexically cleaned path: `a/./b/../c` -> `a/c` (leading `..` kept).
pub(super) fn clean(path: &Path) -> PathBuf {
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
    r.expressions = out.expressions;
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
