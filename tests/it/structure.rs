//! The shape of the code: the kind registry agrees with the collectors, and no module or file
//! depends on itself through others (the flow collect → normalize → inventory → engine and
//! pipeline → report, with drift and the store beside, stays a one-way street).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::root;

/// A module path (`collect/terraform/hcl/eval`) per source file under `src/`.
fn modules(src: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts.last().is_some_and(|p| p == "mod") {
            parts.pop();
        }
        if parts == ["lib"] || parts == ["main"] {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        out.insert(parts.join("/"), text);
    }
    out
}

/// The code of a file without its unit tests and comments.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Which modules each module uses: every `crate::`, `super::` and `self::` path, and the
/// names in `use` groups, resolved to the longest prefix that is a module of its own. Uses of
/// a module's own ancestors (which declare it) are not dependencies.
fn dependencies(modules: &BTreeMap<String, String>) -> BTreeMap<&str, BTreeSet<&str>> {
    let path = regex::Regex::new(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)").unwrap();
    let group = regex::Regex::new(
        r"(?s)\buse\s+(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};",
    )
    .unwrap();
    let resolve = |parts: &[String]| -> Option<&str> {
        (1..=parts.len()).rev().find_map(|n| {
            modules
                .get_key_value(&parts[..n].join("/"))
                .map(|(k, _)| k.as_str())
        })
    };
    let base = |module: &str, head: &str| -> Vec<String> {
        let mut b: Vec<String> = module.split('/').map(String::from).collect();
        match head {
            "crate" => b.clear(),
            "super" => {
                b.pop();
            }
            _ => {}
        }
        b
    };
    let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (module, text) in modules {
        let code = code(text);
        let deps = out.entry(module.as_str()).or_default();
        let mut add = |mut b: Vec<String>, rest: Vec<String>| {
            let mut rest = rest.into_iter().peekable();
            while rest.peek().is_some_and(|p| p == "super") {
                b.pop();
                rest.next();
            }
            b.extend(rest);
            if let Some(target) = resolve(&b) {
                let ancestor = module.starts_with(&format!("{target}/"));
                if target != module && !ancestor {
                    deps.insert(target);
                }
            }
        };
        for c in path.captures_iter(&code) {
            let rest = c[2].split("::").skip(1).map(String::from).collect();
            add(base(module, &c[1]), rest);
        }
        for c in group.captures_iter(&code) {
            let prefix: Vec<String> = c[2].split("::").skip(1).map(String::from).collect();
            for item in c[3].split(',') {
                let name = item
                    .trim()
                    .trim_start_matches('{')
                    .split("::")
                    .next()
                    .unwrap_or("");
                let name = name.split_whitespace().next().unwrap_or("");
                if name.is_empty() || name == "self" {
                    continue;
                }
                let mut rest = prefix.clone();
                rest.push(name.to_string());
                add(base(module, &c[1]), rest);
            }
        }
    }
    out
}

/// The cycles of a graph (its strongly connected components of more than one node).
fn cycles<'a>(graph: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    struct Tarjan<'g, 'a> {
        graph: &'g BTreeMap<&'a str, BTreeSet<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<&'a str>>,
    }
    impl<'a> Tarjan<'_, 'a> {
        fn visit(&mut self, n: &'a str) {
            let i = self.index.len();
            self.index.insert(n, i);
            self.low.insert(n, i);
            self.stack.push(n);
            self.on_stack.insert(n);
            for &m in self.graph.get(n).into_iter().flatten() {
                if !self.index.contains_key(m) {
                    self.visit(m);
                    let low = self.low[n].min(self.low[m]);
                    self.low.insert(n, low);
                } else if self.on_stack.contains(m) {
                    let low = self.low[n].min(self.index[m]);
                    self.low.insert(n, low);
                }
            }
            if self.low[n] == self.index[n] {
                let mut component = Vec::new();
                while let Some(m) = self.stack.pop() {
                    self.on_stack.remove(m);
                    component.push(m);
                    if m == n {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort_unstable();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for &n in graph.keys() {
        if !t.index.contains_key(n) {
            t.visit(n);
        }
    }
    t.found
}

#[test]
fn no_file_depends_on_itself_through_others() {
    let modules = modules(&root().join("src"));
    let files = dependencies(&modules);
    assert!(files.len() > 100, "read only {} files", files.len());
    assert_eq!(
        cycles(&files),
        Vec::<Vec<&str>>::new(),
        "cycles between files"
    );

    // The same between top-level modules (`policy`, `engine`, `collect`, ...).
    let mut top: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (from, to) in &files {
        let a = from.split('/').next().unwrap_or(from);
        let entry = top.entry(a).or_default();
        for t in to {
            let b = t.split('/').next().unwrap_or(t);
            if a != b {
                entry.insert(b);
            }
        }
    }
    assert_eq!(
        cycles(&top),
        Vec::<Vec<&str>>::new(),
        "cycles between modules"
    );
    // The direction of the flow: collection knows nothing of policies or evaluation, policies
    // nothing of collection or evaluation.
    for (module, forbidden) in [
        ("collect", ["policy", "engine", "pipeline", "report"]),
        ("normalize", ["policy", "engine", "pipeline", "collect"]),
        ("policy", ["collect", "engine", "pipeline", "findings"]),
        ("engine", ["collect", "pipeline", "report", "store"]),
    ] {
        for f in forbidden {
            assert!(
                !top.get(module).is_some_and(|d| d.contains(f)),
                "{module} depends on {f}: {:?}",
                top[module]
            );
        }
    }
}

#[test]
fn the_checker_sees_a_cycle_when_there_is_one() {
    let mut modules = BTreeMap::new();
    modules.insert("a".to_string(), "use crate::b::thing;".to_string());
    modules.insert("b".to_string(), "fn f() { crate::c::g() }".to_string());
    modules.insert("c".to_string(), "use super::{a, d};".to_string());
    modules.insert("d".to_string(), "// crate::a::x in a comment".to_string());
    let deps = dependencies(&modules);
    assert_eq!(cycles(&deps), vec![vec!["a", "b", "c"]]);
}

#[cfg(feature = "aws")]
#[test]
fn the_kind_registry_agrees_with_the_live_collectors() {
    use plumb::normalize::{self, kinds};
    let api: BTreeSet<&str> = plumb::collect::aws::api_kinds().into_iter().collect();
    let config: BTreeSet<&str> = plumb::collect::aws::config::kinds().into_iter().collect();
    for k in normalize::kinds().filter(|k| k.provider == kinds::Provider::Aws) {
        assert_eq!(
            api.contains(k.name),
            k.live.by_api(),
            "{}: declared {:?}, the service collectors {} it",
            k.name,
            k.live,
            if api.contains(k.name) {
                "produce"
            } else {
                "do not produce"
            }
        );
        assert_eq!(
            config.contains(k.name),
            k.live.by_config(),
            "{}: declared {:?}, the AWS Config mapping {} it",
            k.name,
            k.live,
            if config.contains(k.name) {
                "produces"
            } else {
                "does not produce"
            }
        );
    }
}
