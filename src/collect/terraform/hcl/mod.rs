//! Terraform source directories (`.tf`, `.tf.json`), evaluated the way Terraform evaluates
//! them, into the same resources a plan of that configuration gives.
//!
//! * [`load`]: a module directory's files, parsed with `hcl-edit` (spans of every block and
//!   attribute; line and column of syntax errors), override files merged, suppressions found.
//! * [`eval`] and [`funcs`]: expressions and built-in functions, with unknown values.
//! * [`module`]: module instances, objects in dependency order, module calls (local paths, and
//!   remote modules installed by `terraform init`), providers and the state backend.
//! * [`expand`]: `count`, `for_each` and `dynamic` blocks; attributes in the provider's shape.
//! * [`vars`]: root variable values (tfvars files, `--var`, `--var-file`, `TF_VAR_`).
//! * [`install`]: `--download-modules`, remote modules fetched into a cache as `terraform
//!   init` fetches them.
//!
//! Discovery: every folder holding configuration files is a module. A folder that another
//! scanned folder calls as a local module is evaluated through its callers, with their
//! inputs, not on its own (its variables would be unresolved there). The others are root
//! modules.

mod data;
mod deps;
mod error;
mod eval;
mod expand;
mod files;
pub mod funcs;
mod graph;
pub mod install;
mod keys;
mod load;
mod module;
mod types;
mod value;
pub mod vars;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::collect::Collected;
use crate::inventory::CollectorRun;
use graph::Loaded;
pub use load::is_config_file;
use module::{Loader, Run, clean, is_local_source};
pub use vars::Vars;

/// The collector name in runs and errors.
pub const COLLECTOR: &str = "terraform-hcl";

/// Evaluates the root modules among `dirs` (folders holding configuration files) and the
/// configuration files named on their own (each a module by itself), one [`Collected`] per
/// root. `scan_roots` are the paths the user asked to scan: file functions may read there.
/// With `download`, remote modules are installed first (see [`install`]).
pub fn collect(
    dirs: &BTreeSet<PathBuf>,
    files: &[PathBuf],
    scan_roots: &[PathBuf],
    vars: &Vars,
    download: Option<&install::Download>,
) -> Vec<Collected> {
    let mut loader = Loader::default();
    let allowed: Vec<PathBuf> = scan_roots
        .iter()
        .filter_map(|p| {
            let dir = if p.is_file() {
                p.parent().map(Path::to_path_buf).unwrap_or_default()
            } else {
                p.clone()
            };
            dir.canonicalize().ok()
        })
        .collect();

    // Read every module once, in parallel, and note which folders others call.
    let dirs: Vec<(PathBuf, PathBuf)> = dirs
        .iter()
        .map(|d| {
            let d = clean(d);
            let c = d.canonicalize().unwrap_or_else(|_| d.clone());
            (d, c)
        })
        .collect();
    let calls: Vec<Vec<PathBuf>> = dirs
        .par_iter()
        .map(|(dir, canonical)| {
            let loaded = loader.load(dir, canonical, None);
            loaded
                .module
                .calls
                .iter()
                .filter(|c| is_local_source(&c.source))
                .filter_map(|c| clean(&dir.join(&c.source)).canonicalize().ok())
                .collect()
        })
        .collect();
    let position: HashMap<&PathBuf, usize> =
        dirs.iter().enumerate().map(|(i, (_, c))| (c, i)).collect();
    let called: HashSet<usize> = calls
        .iter()
        .flatten()
        .filter_map(|c| position.get(c).copied())
        .collect();

    // Roots: folders nobody calls. A folder reached from no root belongs to a group that only
    // calls itself; its first folder is evaluated as a root so the cycle is reported.
    let mut roots: Vec<usize> = (0..dirs.len()).filter(|i| !called.contains(i)).collect();
    let mut reached = vec![false; dirs.len()];
    let reach = |start: usize, reached: &mut Vec<bool>| {
        let mut todo = vec![start];
        while let Some(i) = todo.pop() {
            if !std::mem::replace(&mut reached[i], true) {
                todo.extend(calls[i].iter().filter_map(|c| position.get(c).copied()));
            }
        }
    };
    for &r in &roots {
        reach(r, &mut reached);
    }
    for i in 0..dirs.len() {
        if !reached[i] {
            roots.push(i);
            reach(i, &mut reached);
        }
    }

    let mut jobs: Vec<(PathBuf, Option<PathBuf>)> =
        roots.iter().map(|&i| (dirs[i].0.clone(), None)).collect();
    for f in files {
        let dir = match f.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        jobs.push((clean(&dir), Some(f.clone())));
    }
    let mut install_errors = Vec::new();
    if let Some(download) = download {
        let (indexes, errors) = install::install(download, &loader, &jobs);
        loader.set_downloads(indexes);
        install_errors = errors;
    }
    let mut out: Vec<Collected> = jobs
        .par_iter()
        .map(|(dir, only)| {
            let run = Run::root(&loader, dir, only.as_deref(), &allowed, vars);
            let scope = match only {
                Some(f) => f.display().to_string(),
                None => dir.display().to_string(),
            };
            Collected {
                runs: vec![CollectorRun {
                    collector: COLLECTOR.into(),
                    scope,
                    resources: run.resources.len(),
                    ..CollectorRun::default()
                }],
                resources: run.resources,
                errors: run.errors,
                ..Collected::default()
            }
        })
        .collect();
    // Problems of the modules themselves (syntax errors), once each.
    let mut problems = loader.problems();
    problems.extend(install_errors);
    problems.sort();
    problems.dedup();
    if !problems.is_empty() {
        out.push(Collected {
            errors: problems,
            ..Collected::default()
        });
    }
    for c in &mut out {
        c.errors.sort();
        c.errors.dedup();
    }
    out
}

/// Evaluates one configuration file given as text, as a root module of its own, in `dir`
/// (where local module calls and file functions resolve). For tests and fuzzing: the text is
/// not read from disk, and nothing outside `dir` is.
pub fn evaluate_text(dir: &Path, name: &str, text: &str, vars: &Vars) -> Collected {
    let loader = Loader::default();
    let loaded = std::sync::Arc::new(Loaded::new(load::module_from_text(dir, name, text)));
    let mut errors = loaded.module.errors.clone();
    let allowed: Vec<PathBuf> = dir.canonicalize().into_iter().collect();
    let run = Run::with_module(&loader, dir, loaded, name.to_string(), &allowed, vars);
    errors.extend(run.errors);
    errors.extend(loader.problems());
    errors.sort();
    errors.dedup();
    Collected {
        runs: vec![CollectorRun {
            collector: COLLECTOR.into(),
            scope: name.to_string(),
            resources: run.resources.len(),
            ..CollectorRun::default()
        }],
        resources: run.resources,
        errors,
        ..Collected::default()
    }
}
