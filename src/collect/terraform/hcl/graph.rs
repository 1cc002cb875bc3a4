//! The dependency graph of a whole configuration, per value, as Terraform builds it.
//!
//! Terraform orders *values*, not modules: every input variable, local, output, resource,
//! data source and provider configuration of every module is a node of one graph, and an edge
//! runs from each node to the values its expressions name. A provider configured from a
//! module's output, two modules that read each other's unrelated outputs, or a data source
//! that reads an output of a module that does not depend on it are therefore acyclic, and so
//! they are here. Module instances (`count` / `for_each` on a call) are one more node per call,
//! [`Obj::Expand`], which everything inside the called module waits for.
//!
//! The graph is built over the *static* module tree ([`StaticModule`]: one per module call
//! path, whatever its instances); evaluation then walks [`Graph::order`] and evaluates each
//! node once per instance of its module.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use hcl_edit::expr::TraversalOperator;

use super::deps;
use super::load::{At, Body, Module};
use crate::inventory::{CollectError, Suppression};

/// A parsed module, with the tables that find its objects by name.
#[derive(Debug)]
pub(super) struct Loaded {
    pub module: Module,
    pub names: Names,
}

impl Loaded {
    pub(super) fn new(module: Module) -> Self {
        let names = Names::of(&module);
        Loaded { module, names }
    }
}

/// A module as it appears in the configuration: the root, or the module a chain of calls
/// leads to. A directory called from two places is two static modules.
#[derive(Debug)]
pub(super) struct StaticModule {
    pub loaded: Arc<Loaded>,
    /// The calling module and the index of the call in it; `None` for the root.
    pub parent: Option<(usize, usize)>,
    /// Per module call of this module: the static module it leads to, when it could be read.
    pub children: Vec<Option<usize>>,
    /// Module call names from the root, for `.terraform/modules/modules.json` keys.
    pub call_names: Vec<String>,
    /// `file:line` of every module call that led here, outermost first.
    pub calls: Vec<String>,
    /// Suppressions written on those module calls.
    pub suppressions: Vec<Suppression>,
}

impl StaticModule {
    pub(super) fn module(&self) -> &Module {
        &self.loaded.module
    }

    /// `module.a.module.b.` (no instance keys): how messages name the static module.
    pub(super) fn prefix(&self) -> String {
        self.call_names
            .iter()
            .map(|c| format!("module.{c}."))
            .collect()
    }
}

/// What a node of a module is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Obj {
    Var(usize),
    Provider(usize),
    Local(usize),
    /// A data source computed locally ([`super::data::LOCAL`]); other data sources are
    /// unknown and need no evaluation.
    Data(usize),
    Resource(usize),
    /// The instances of a module call (`count` / `for_each`).
    Expand(usize),
    Output(usize),
}

/// One value of one static module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct Node {
    pub module: usize,
    pub obj: Obj,
}

/// The evaluation order of a configuration, and its dependency cycles.
#[derive(Debug, Default)]
pub(super) struct Graph {
    pub order: Vec<Node>,
    pub cycles: Vec<CollectError>,
    /// Per static module, the position in `order` after which nothing reads its instances'
    /// scopes any more (its own nodes, its children's inputs and outputs).
    pub last_use: Vec<usize>,
}

/// Name -> index tables of one module, built once per parsed module.
#[derive(Debug, Default)]
pub(super) struct Names {
    vars: HashMap<String, usize>,
    locals: HashMap<String, usize>,
    calls: HashMap<String, usize>,
    outputs: HashMap<String, usize>,
    resources: HashMap<String, HashMap<String, usize>>,
    data: HashMap<String, HashMap<String, usize>>,
    providers: HashMap<String, usize>,
}

impl Names {
    /// Whether the module declares input variable `name`.
    pub(super) fn has_var(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    pub(super) fn of(m: &Module) -> Names {
        let index = |names: &mut dyn Iterator<Item = String>| -> HashMap<String, usize> {
            let mut out = HashMap::new();
            for (i, n) in names.enumerate() {
                out.entry(n).or_insert(i);
            }
            out
        };
        let mut resources: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (i, r) in m.resources.iter().enumerate() {
            resources
                .entry(r.kind.clone())
                .or_default()
                .entry(r.name.clone())
                .or_insert(i);
        }
        let mut data: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (i, d) in m.data.iter().enumerate() {
            if super::data::LOCAL.contains(&d.kind.as_str()) {
                data.entry(d.kind.clone())
                    .or_default()
                    .entry(d.name.clone())
                    .or_insert(i);
            }
        }
        Names {
            vars: index(&mut m.variables.iter().map(|v| v.name.clone())),
            locals: index(&mut m.locals.iter().map(|l| l.name.clone())),
            calls: index(&mut m.calls.iter().map(|c| c.name.clone())),
            outputs: index(&mut m.outputs.iter().map(|o| o.name.clone())),
            resources,
            data,
            providers: index(&mut m.providers.iter().map(provider_name)),
        }
    }
}

/// `aws` or `aws.west`: how resources and `providers = {...}` name a configuration.
pub(super) fn provider_name(p: &super::load::ProviderConfig) -> String {
    match &p.alias {
        Some(alias) => format!("{}.{alias}", p.name),
        None => p.name.clone(),
    }
}

/// The provider configuration a resource of static module `m` uses under `key`: defined in
/// `m` itself, or passed down by the calls that led there (`providers = { aws = aws.west }`),
/// or, for a default (unaliased) configuration, inherited from the caller.
pub(super) fn provider_of(modules: &[StaticModule], m: usize, key: &str) -> Option<(usize, usize)> {
    let mut m = m;
    let mut key = key.to_string();
    loop {
        let sm = &modules[m];
        if let Some(&p) = sm.loaded.names.providers.get(&key) {
            return Some((m, p));
        }
        let (parent, call) = sm.parent?;
        let call = &modules[parent].module().calls[call];
        let passed = super::load::passed_providers(call);
        match passed.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => key = v.clone(),
            None if !key.contains('.') => {}
            None => return None,
        }
        m = parent;
    }
}

/// Attributes of a resource or data block that are not values: they order nothing.
const NOT_VALUES: &[&str] = &["depends_on"];
/// Blocks of a resource whose expressions are not evaluated by a scan.
const META_BLOCKS: &[&str] = &[
    "lifecycle",
    "provisioner",
    "connection",
    "precondition",
    "postcondition",
];

/// Every reference of a block's value expressions: attributes and nested blocks, without
/// `depends_on` and the meta-blocks.
fn walk_values<'e>(body: &'e Body, f: &mut impl FnMut(&'e str, &[&'e TraversalOperator])) {
    for attr in &body.attrs {
        if !NOT_VALUES.contains(&attr.name.as_str()) {
            deps::walk(&attr.expr, f);
        }
    }
    for block in &body.blocks {
        if !META_BLOCKS.contains(&block.kind.as_str()) {
            walk_values(&block.body, f);
        }
    }
}

/// Builds the graph of `modules` (index 0 is the root).
pub(super) fn analyse(modules: &[StaticModule]) -> Graph {
    // Nodes in a fixed order: module by module, and within one in the order Terraform's
    // objects are usually written. Kahn's algorithm below takes ready nodes in this order.
    let mut nodes: Vec<Node> = Vec::new();
    for (mi, sm) in modules.iter().enumerate() {
        let m = sm.module();
        let node = |obj| Node { module: mi, obj };
        nodes.extend((0..m.variables.len()).map(|i| node(Obj::Var(i))));
        nodes.extend((0..m.providers.len()).map(|i| node(Obj::Provider(i))));
        nodes.extend((0..m.locals.len()).map(|i| node(Obj::Local(i))));
        nodes.extend(
            (0..m.data.len())
                .filter(|&i| super::data::LOCAL.contains(&m.data[i].kind.as_str()))
                .map(|i| node(Obj::Data(i))),
        );
        nodes.extend((0..m.resources.len()).map(|i| node(Obj::Resource(i))));
        nodes.extend((0..m.calls.len()).map(|i| node(Obj::Expand(i))));
        nodes.extend((0..m.outputs.len()).map(|i| node(Obj::Output(i))));
    }
    let index: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();

    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut targets: Vec<Node> = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        targets.clear();
        depends_on(modules, *node, &mut targets);
        let mut e: Vec<usize> = targets
            .iter()
            .filter_map(|t| index.get(t).copied())
            // A local or output naming itself is a cycle of one; anything else naming itself
            // (a resource reading its own attributes through `self`-like references) is not.
            .filter(|&d| d != i || matches!(node.obj, Obj::Local(_) | Obj::Output(_)))
            .collect();
        e.sort_unstable();
        e.dedup();
        edges[i] = e;
    }

    let (order, done) = kahn(&nodes, &edges);
    let mut cycles = Vec::new();
    let mut order = order;
    if order.len() < nodes.len() {
        cycles = find_cycles(modules, &nodes, &edges, &done);
        order.extend((0..nodes.len()).filter(|&i| !done[i]).map(|i| nodes[i]));
    }

    let mut last_use = vec![0; modules.len()];
    for (pos, node) in order.iter().enumerate() {
        last_use[node.module] = pos;
        if let (Obj::Var(_) | Obj::Output(_), Some((parent, _))) =
            (node.obj, modules[node.module].parent)
        {
            last_use[parent] = last_use[parent].max(pos);
        }
    }
    Graph {
        order,
        cycles,
        last_use,
    }
}

/// The nodes `node`'s value is computed from.
fn depends_on(modules: &[StaticModule], node: Node, out: &mut Vec<Node>) {
    let sm = &modules[node.module];
    let m = sm.module();
    let here = node.module;
    let add = |module: usize| {
        move |out: &mut Vec<Node>, root: &str, ops: &[&TraversalOperator]| {
            reference(modules, module, root, ops, out);
        }
    };
    match node.obj {
        Obj::Var(i) => {
            // An input is the caller's expression, evaluated in the caller, per instance.
            if let Some((parent, call)) = sm.parent {
                let c = &modules[parent].module().calls[call];
                if let Some(attr) = c.body.attr(&m.variables[i].name) {
                    let f = add(parent);
                    deps::walk(&attr.expr, &mut |r, o| f(out, r, o));
                }
            }
        }
        Obj::Provider(i) => {
            let f = add(here);
            deps::walk_body(&m.providers[i].body, &mut |r, o| f(out, r, o));
        }
        Obj::Local(i) => {
            let f = add(here);
            deps::walk(&m.locals[i].expr, &mut |r, o| f(out, r, o));
        }
        Obj::Data(i) => {
            let f = add(here);
            walk_values(&m.data[i].body, &mut |r, o| f(out, r, o));
        }
        Obj::Resource(i) => {
            let rc = &m.resources[i];
            let f = add(here);
            walk_values(&rc.body, &mut |r, o| f(out, r, o));
            let key = super::load::provider_key(&rc.body, &rc.kind);
            if let Some((pm, p)) = provider_of(modules, here, &key) {
                out.push(Node {
                    module: pm,
                    obj: Obj::Provider(p),
                });
            }
        }
        Obj::Expand(i) => {
            let body = &m.calls[i].body;
            let f = add(here);
            for name in ["count", "for_each"] {
                if let Some(attr) = body.attr(name) {
                    deps::walk(&attr.expr, &mut |r, o| f(out, r, o));
                }
            }
        }
        Obj::Output(i) => {
            if let Some(expr) = &m.outputs[i].expr {
                let f = add(here);
                deps::walk(expr, &mut |r, o| f(out, r, o));
            }
        }
    }
    // Nothing of a called module exists before its instances are known.
    if let Some((parent, call)) = sm.parent {
        out.push(Node {
            module: parent,
            obj: Obj::Expand(call),
        });
    }
}

/// The node(s) a reference `root.ops...` written in static module `m` names.
fn reference(
    modules: &[StaticModule],
    m: usize,
    root: &str,
    ops: &[&TraversalOperator],
    out: &mut Vec<Node>,
) {
    let names = &modules[m].loaded.names;
    let attr = |i: usize| match ops.get(i) {
        Some(TraversalOperator::GetAttr(a)) => Some(a.as_str()),
        _ => None,
    };
    let node = |obj| Node { module: m, obj };
    let Some(first) = attr(0) else { return };
    match root {
        "var" => out.extend(names.vars.get(first).map(|&i| node(Obj::Var(i)))),
        "local" => out.extend(names.locals.get(first).map(|&i| node(Obj::Local(i)))),
        "module" => {
            let Some(&call) = names.calls.get(first) else {
                return;
            };
            out.push(node(Obj::Expand(call)));
            let Some(child) = modules[m].children[call] else {
                return;
            };
            let child_names = &modules[child].loaded.names;
            // `module.c.out`, `module.c[0].out`, `module.c["k"].out`, `module.c[*].out`: the
            // first attribute after the instance key names the output.
            let output = ops[1..].iter().find_map(|op| match op {
                TraversalOperator::GetAttr(a) => Some(Some(a.as_str())),
                TraversalOperator::Index(_)
                | TraversalOperator::LegacyIndex(_)
                | TraversalOperator::AttrSplat(_)
                | TraversalOperator::FullSplat(_) => None,
            });
            let outputs = modules[child].module().outputs.len();
            match output.flatten().and_then(|o| child_names.outputs.get(o)) {
                Some(&o) => out.push(Node {
                    module: child,
                    obj: Obj::Output(o),
                }),
                // The whole module object (or an output it does not declare: reported when
                // evaluated): every output.
                None => out.extend((0..outputs).map(|o| Node {
                    module: child,
                    obj: Obj::Output(o),
                })),
            }
        }
        "data" => {
            if let Some(name) = attr(1)
                && let Some(&i) = names.data.get(first).and_then(|d| d.get(name))
            {
                out.push(node(Obj::Data(i)));
            }
        }
        // `resource.aws_s3_bucket.b` is the long form of `aws_s3_bucket.b`.
        "resource" => {
            if let Some(name) = attr(1)
                && let Some(&i) = names.resources.get(first).and_then(|r| r.get(name))
            {
                out.push(node(Obj::Resource(i)));
            }
        }
        kind => {
            if let Some(&i) = names.resources.get(kind).and_then(|r| r.get(first)) {
                out.push(node(Obj::Resource(i)));
            }
        }
    }
}

/// Kahn's algorithm, ready nodes in node order. Returns the order and which nodes it reached.
fn kahn(nodes: &[Node], edges: &[Vec<usize>]) -> (Vec<Node>, Vec<bool>) {
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut waiting: Vec<usize> = vec![0; nodes.len()];
    for (i, e) in edges.iter().enumerate() {
        waiting[i] = e.len();
        for &d in e {
            dependents[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..nodes.len()).filter(|&i| waiting[i] == 0).collect();
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
    (order, done)
}

/// One error per dependency cycle among the nodes Kahn's algorithm could not order.
fn find_cycles(
    modules: &[StaticModule],
    nodes: &[Node],
    edges: &[Vec<usize>],
    done: &[bool],
) -> Vec<CollectError> {
    let mut cycles = Vec::new();
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
        let names: Vec<String> = cycle.iter().map(|&c| describe(modules, nodes[c])).collect();
        let first = nodes[cycle[0]];
        let m = modules[first.module].module();
        let at = at_of(modules, first);
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
    cycles
}

/// How a message names a node: `module.eks.var.name`, `aws_s3_bucket.b`.
pub(super) fn describe(modules: &[StaticModule], node: Node) -> String {
    let sm = &modules[node.module];
    let m = sm.module();
    let prefix = sm.prefix();
    match node.obj {
        Obj::Var(i) => format!("{prefix}var.{}", m.variables[i].name),
        Obj::Data(i) => format!("{prefix}data.{}.{}", m.data[i].kind, m.data[i].name),
        Obj::Provider(i) => format!("{prefix}provider.{}", provider_name(&m.providers[i])),
        Obj::Local(i) => format!("{prefix}local.{}", m.locals[i].name),
        Obj::Resource(i) => format!("{prefix}{}.{}", m.resources[i].kind, m.resources[i].name),
        Obj::Expand(i) => format!("{prefix}module.{}", m.calls[i].name),
        Obj::Output(i) => format!("{prefix}output.{}", m.outputs[i].name),
    }
}

fn at_of(modules: &[StaticModule], node: Node) -> &At {
    let m = modules[node.module].module();
    match node.obj {
        Obj::Var(i) => &m.variables[i].at,
        Obj::Data(i) => &m.data[i].at,
        Obj::Provider(i) => &m.providers[i].at,
        Obj::Local(i) => &m.locals[i].at,
        Obj::Resource(i) => &m.resources[i].at,
        Obj::Expand(i) => &m.calls[i].at,
        Obj::Output(i) => &m.outputs[i].at,
    }
}
