//! Collectors: each turns a source into [`Resource`]s in the shared model.
//!
//! File sources are recognised by content, not only by name: a Terraform plan or state is
//! JSON with their tell-tale keys, a manifest is YAML or JSON whose documents carry
//! `apiVersion` and `kind`. Terraform configuration is recognised by name (`.tf`, `.tf.json`),
//! and read per folder: a folder of configuration files is a module
//! ([`terraform::hcl`]). Directories are walked (hidden folders such as `.git` and
//! `.terraform` are skipped); a file found there that is none of these is skipped and counted,
//! while a file named on the command line that is none of these is an error.

#[cfg(feature = "aws")]
pub mod aws;
pub mod json_lines;
pub mod kubernetes;
pub mod terraform;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::inventory::{Activity, CollectError, CollectorRun, Inventory, Metadata, Resource};
use crate::normalize::normalize_as_of;

/// What collecting some paths produced.
#[derive(Debug, Default)]
pub struct Collected {
    pub resources: Vec<Resource>,
    pub runs: Vec<CollectorRun>,
    pub errors: Vec<CollectError>,
    /// Files in walked directories that are not a recognised source.
    pub skipped: Vec<String>,
    /// Audit-log events gathered by a live collector.
    pub activity: Option<Activity>,
    /// What the user should know about the collection that is not an error (a window cut
    /// short by the provider's retention).
    pub notes: Vec<String>,
}

impl Collected {
    /// Normalises the resources (linking, facets) into an inventory collected now.
    pub fn into_inventory(self) -> Inventory {
        self.into_inventory_as_of(chrono::Utc::now())
    }

    /// As [`Collected::into_inventory`], collected at `as_of`: time-dependent facets (the
    /// age of an access key) are computed for that instant.
    pub fn into_inventory_as_of(mut self, as_of: chrono::DateTime<chrono::Utc>) -> Inventory {
        normalize_as_of(&mut self.resources, as_of);
        self.runs.sort();
        self.errors.sort();
        let metadata = Metadata {
            collected_at: as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            collectors: self.runs,
            errors: self.errors,
            ..Metadata::default()
        };
        let mut inventory = Inventory::new(metadata, self.resources);
        inventory.activity = self.activity;
        inventory
    }

    /// Adds another collection's resources, runs, errors and skipped files.
    pub fn merge(&mut self, other: Collected) {
        self.resources.extend(other.resources);
        self.runs.extend(other.runs);
        self.errors.extend(other.errors);
        self.skipped.extend(other.skipped);
        if self.activity.is_none() {
            self.activity = other.activity;
        }
        self.notes.extend(other.notes);
    }
}

/// A candidate file, and whether the user named it (rather than it being found in a folder).
struct Candidate {
    path: PathBuf,
    explicit: bool,
}

/// What a scan is given besides the paths.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Values of Terraform root module variables.
    pub terraform_vars: terraform::hcl::Vars,
    /// `--download-modules`: fetch remote Terraform modules into this cache; `None` fetches
    /// nothing.
    pub download_modules: Option<terraform::hcl::install::Download>,
}

/// Collects every recognised source under `paths` (files and directories), in parallel.
pub fn collect_paths(paths: &[PathBuf]) -> Collected {
    collect_paths_with(paths, &Options::default())
}

/// [`collect_paths`] with options.
pub fn collect_paths_with(paths: &[PathBuf], options: &Options) -> Collected {
    let mut collected = Collected::default();
    let mut candidates = Vec::new();
    let mut modules = BTreeSet::new();
    let mut config_files = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut candidates, &mut modules, &mut collected);
        } else if path.is_file() {
            if is_terraform_config(path) {
                config_files.push(path.clone());
                continue;
            }
            candidates.push(Candidate {
                path: path.clone(),
                explicit: true,
            });
        } else {
            collected.errors.push(CollectError {
                collector: "scan".into(),
                scope: path.display().to_string(),
                line: None,
                column: None,
                kinds: Vec::new(),
                message: "no such file or directory".into(),
                warning: false,
            });
        }
    }
    let (mut results, hcl): (Vec<Collected>, Vec<Collected>) = rayon::join(
        || candidates.par_iter().map(collect_file).collect(),
        || {
            if modules.is_empty() && config_files.is_empty() {
                Vec::new()
            } else {
                terraform::hcl::collect(
                    &modules,
                    &config_files,
                    paths,
                    &options.terraform_vars,
                    options.download_modules.as_ref(),
                )
            }
        },
    );
    results.extend(hcl);
    qualify_colliding_ids(&mut results);
    for r in results {
        collected.merge(r);
    }
    collected.skipped.sort();
    collected
}

fn is_terraform_config(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(terraform::hcl::is_config_file)
}

/// Two sources may describe the same address (a plan and a state of one root, two root
/// modules calling the same module). Ids must be unique before linking, since satellites
/// name their parent by id: an id found in more than one source is qualified with that
/// source (`tf:aws_s3_bucket.logs@envs/prod`), in the resources and in the references made
/// to them from the same source.
fn qualify_colliding_ids(groups: &mut [Collected]) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for g in groups.iter() {
        let ids: BTreeSet<&str> = g.resources.iter().map(|r| r.id.as_str()).collect();
        for id in ids {
            *seen.entry(id).or_default() += 1;
        }
    }
    let colliding: BTreeSet<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id.to_string())
        .collect();
    if colliding.is_empty() {
        return;
    }
    for g in groups.iter_mut() {
        let Some(scope) = g.runs.first().map(|r| r.scope.clone()) else {
            continue;
        };
        let renames: BTreeMap<String, String> = g
            .resources
            .iter()
            .filter(|r| colliding.contains(&r.id))
            .map(|r| (r.id.clone(), format!("{}@{scope}", r.id)))
            .collect();
        if renames.is_empty() {
            continue;
        }
        for r in &mut g.resources {
            if let Some(new) = renames.get(&r.id) {
                r.id = new.clone();
            }
            for ids in r.references.values_mut() {
                for id in ids.iter_mut() {
                    if let Some(new) = renames.get(id.as_str()) {
                        *id = new.clone();
                    }
                }
            }
            if let Some(parent) = &mut r.parent
                && let Some(new) = renames.get(parent.as_str())
            {
                *parent = new.clone();
            }
        }
    }
}

fn walk(
    dir: &Path,
    out: &mut Vec<Candidate>,
    modules: &mut BTreeSet<PathBuf>,
    collected: &mut Collected,
) {
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()));
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => {
                if is_terraform_config(e.path()) {
                    if let Some(parent) = e.path().parent() {
                        modules.insert(parent.to_path_buf());
                    }
                } else if has_source_extension(e.path()) && !is_tfvars(e.path()) {
                    out.push(Candidate {
                        path: e.path().to_path_buf(),
                        explicit: false,
                    });
                }
            }
            Ok(_) => {}
            Err(e) => collected.errors.push(CollectError {
                collector: "scan".into(),
                scope: e
                    .path()
                    .map_or_else(|| dir.display().to_string(), |p| p.display().to_string()),
                line: None,
                column: None,
                kinds: Vec::new(),
                message: format!("cannot read: {e}"),
                warning: false,
            }),
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
}

/// Variables files are read with their root module, not as sources of their own.
fn is_tfvars(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tfvars.json"))
}

fn has_source_extension(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "yaml" | "yml" | "tfstate")
    )
}

/// Reads one file, recognises what it is, and collects it.
fn collect_file(c: &Candidate) -> Collected {
    let name = c.path.display().to_string();
    let mut out = Collected::default();
    let error = |collector: &str, line, column, message: String| CollectError {
        collector: collector.into(),
        scope: name.clone(),
        line,
        column,
        kinds: Vec::new(),
        message,
        warning: false,
    };
    let text = match std::fs::read(&c.path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) if !c.explicit => {
                out.skipped.push(name);
                return out;
            }
            Err(_) => {
                out.errors.push(error("scan", None, None, "not UTF-8 text; for a binary plan, run `terraform show -json plan.out > plan.json`".into()));
                return out;
            }
        },
        Err(e) => {
            out.errors
                .push(error("scan", None, None, format!("cannot read: {e}")));
            return out;
        }
    };
    let ext = c.path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let looks_json =
        matches!(ext, "json" | "tfstate") || trimmed.starts_with('{') || trimmed.starts_with('[');

    let outcome = if looks_json {
        match sniff(&text) {
            Ok(kind) => collect_json(&name, &text, kind),
            Err(e) if e.is_data() => Outcome::NotRecognised,
            Err(e) => {
                if c.explicit || plausibly_ours(&text) {
                    Outcome::Error(error(
                        "scan",
                        Some(e.line() as u32),
                        Some(e.column() as u32),
                        format!("invalid JSON: {e}"),
                    ))
                } else {
                    Outcome::NotRecognised
                }
            }
        }
    } else {
        match kubernetes::parse(&name, &text) {
            Ok(docs) if kubernetes::looks_like_manifest(&docs) => {
                Outcome::Collected("kubernetes-manifest", kubernetes::collect(&name, &docs))
            }
            Ok(_) => Outcome::NotRecognised,
            Err(e) if c.explicit || plausibly_ours(&text) => Outcome::Error(e),
            Err(_) => Outcome::NotRecognised,
        }
    };
    match outcome {
        Outcome::Collected(collector, Ok(resources)) => {
            out.runs.push(CollectorRun {
                collector: collector.into(),
                scope: name,
                resources: resources.len(),
                ..CollectorRun::default()
            });
            out.resources = resources;
        }
        Outcome::Collected(_, Err(e)) | Outcome::Error(e) => out.errors.push(e),
        Outcome::NotRecognised if c.explicit => out.errors.push(error(
            "scan",
            None,
            None,
            "not a Terraform plan (terraform show -json), a Terraform state or a Kubernetes manifest".into(),
        )),
        Outcome::NotRecognised => out.skipped.push(name),
    }
    out
}

enum Outcome {
    Collected(&'static str, Result<Vec<Resource>, CollectError>),
    Error(CollectError),
    NotRecognised,
}

/// What a JSON document is, told from its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    Plan,
    State,
    Manifest,
    Other,
}

/// Reads only the top-level keys of a JSON document: one pass that validates the whole text
/// (so syntax errors carry their line) but allocates nothing for the values.
fn sniff(text: &str) -> Result<JsonKind, serde_json::Error> {
    use serde::de::IgnoredAny;
    #[derive(serde::Deserialize)]
    struct Keys {
        format_version: Option<IgnoredAny>,
        resource_changes: Option<IgnoredAny>,
        planned_values: Option<IgnoredAny>,
        configuration: Option<IgnoredAny>,
        version: Option<IgnoredAny>,
        resources: Option<IgnoredAny>,
        lineage: Option<IgnoredAny>,
        terraform_version: Option<IgnoredAny>,
        #[serde(rename = "apiVersion")]
        api_version: Option<IgnoredAny>,
        kind: Option<IgnoredAny>,
    }
    let k: Keys = serde_json::from_str(text)?;
    Ok(
        if k.format_version.is_some()
            && (k.resource_changes.is_some()
                || k.planned_values.is_some()
                || k.configuration.is_some())
        {
            JsonKind::Plan
        } else if k.version.is_some()
            && k.resources.is_some()
            && (k.lineage.is_some() || k.terraform_version.is_some())
        {
            JsonKind::State
        } else if k.api_version.is_some() && k.kind.is_some() {
            JsonKind::Manifest
        } else {
            JsonKind::Other
        },
    )
}

fn collect_json(name: &str, text: &str, kind: JsonKind) -> Outcome {
    match kind {
        JsonKind::Plan => {
            Outcome::Collected("terraform-plan", terraform::plan::collect(name, text))
        }
        JsonKind::State => {
            Outcome::Collected("terraform-state", terraform::state::collect(name, text))
        }
        // JSON is YAML: the YAML reader also gives each object's lines.
        JsonKind::Manifest => match kubernetes::parse(name, text) {
            Ok(docs) => Outcome::Collected("kubernetes-manifest", kubernetes::collect(name, &docs)),
            Err(e) => Outcome::Error(e),
        },
        JsonKind::Other => Outcome::NotRecognised,
    }
}

/// A broken file found in a folder is reported only if it looks like one of our sources;
/// folders hold plenty of other JSON and YAML.
fn plausibly_ours(text: &str) -> bool {
    (text.contains("apiVersion") && text.contains("kind"))
        || text.contains("\"format_version\"")
        || text.contains("\"terraform_version\"")
}
