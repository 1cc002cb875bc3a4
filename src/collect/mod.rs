//! Collectors: each turns a source into [`Resource`]s in the shared model.
//!
//! File sources are recognised by content, not only by name: a Terraform plan or state is
//! JSON with their tell-tale keys, a manifest is YAML or JSON whose documents carry
//! `apiVersion` and `kind`. Terraform configuration is recognised by name (`.tf`, `.tf.json`),
//! and read per folder: a folder of configuration files is a module
//! ([`terraform::hcl`]). A folder with `kustomization.yaml` is rendered as Kustomize renders
//! it ([`kubernetes::kustomize`]); a folder with `Chart.yaml` is a Helm chart
//! ([`kubernetes::helm`]). Directories are walked (hidden folders such as `.git` and
//! `.terraform` are skipped); each file found is first classified by its path ([`classify`]),
//! then, for YAML and JSON, by its content. A file found there that is none of these is
//! skipped and counted with the reason ([`Files`]), while a file named on the command line
//! that is none of these is an error. Symlinks are followed (a loop is an error); every file
//! is read through `crate::read`, so one that cannot be read (a FIFO, a device, too large,
//! not text) is an error, listed as not read, never a skip.
//!
//! Which kustomizations are judged: the top-level ones. A kustomization that another one in
//! the scan includes (a base, a component) is rendered inside each overlay that includes it
//! and not on its own, since what is applied is the overlay. Every file a kustomization reads
//! (resources, patches, generator sources) is judged through the rendering only, never raw.

#[cfg(feature = "aws")]
pub mod aws;
pub mod dockerfile;
pub mod json_lines;
pub mod kubernetes;
pub mod terraform;
pub mod workflow;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::inventory::{
    Activity, CollectError, CollectorRun, Files, Inventory, Metadata, Resource, SkippedFile, Source,
};
use crate::normalize::normalize_as_of;

/// What collecting some paths produced.
#[derive(Debug, Default)]
pub struct Collected {
    pub resources: Vec<Resource>,
    pub runs: Vec<CollectorRun>,
    pub errors: Vec<CollectError>,
    /// Files read, and files found and not judged (with the reason). `judged` is counted when
    /// the inventory is made, from the resources' files.
    pub files: Files,
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
        let judged: BTreeSet<&str> = self
            .resources
            .iter()
            .filter_map(|r| r.source.file())
            .collect();
        self.files.judged = judged.len();
        self.files.skipped.sort();
        let files = (self.files != Files::default()).then_some(self.files);
        let metadata = Metadata {
            collected_at: as_of.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            collectors: self.runs,
            errors: self.errors,
            files,
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
        self.files.read += other.files.read;
        self.files.other += other.files.other;
        self.files.skipped.extend(other.files.skipped);
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
    /// How Helm charts are rendered (`--helm-values`, `--helm-set`).
    pub helm: kubernetes::helm::HelmOptions,
    /// Paths not to read (`--skip-path`).
    pub skip_paths: SkipPaths,
}

/// `--skip-path`: globs over the paths a scan does not read. Each skipped file or folder is
/// listed with the pattern that skipped it, as every other skipped file is.
#[derive(Debug, Clone, Default)]
pub struct SkipPaths {
    set: Option<globset::GlobSet>,
    patterns: Vec<String>,
}

impl SkipPaths {
    /// Compiles the globs; a malformed one is an error naming it.
    pub fn new(globs: &[String]) -> Result<SkipPaths, String> {
        if globs.is_empty() {
            return Ok(SkipPaths::default());
        }
        let mut set = globset::GlobSetBuilder::new();
        let mut patterns = Vec::new();
        for g in globs.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
            let pattern = g.trim_start_matches("./").trim_end_matches('/');
            set.add(
                globset::Glob::new(pattern)
                    .map_err(|e| format!("{g:?} is not a valid pattern: {e}"))?,
            );
            patterns.push(g.to_string());
        }
        let set = set.build().map_err(|e| e.to_string())?;
        Ok(SkipPaths {
            set: Some(set),
            patterns,
        })
    }

    /// The pattern that skips `path`, found walking `root`: matched against the path, the
    /// path under `root`, and the file name.
    pub fn matching(&self, path: &Path, root: &Path) -> Option<&str> {
        let set = self.set.as_ref()?;
        let plain = |p: &Path| p.strip_prefix(".").unwrap_or(p).to_path_buf();
        let mut candidates = vec![plain(path)];
        if let Ok(under) = path.strip_prefix(root)
            && !under.as_os_str().is_empty()
        {
            candidates.push(under.to_path_buf());
        }
        if let Some(name) = path.file_name() {
            candidates.push(PathBuf::from(name));
        }
        candidates
            .iter()
            .find_map(|c| set.matches(c).first().copied())
            .map(|i| self.patterns[i].as_str())
    }
}

/// Collects every recognised source under `paths` (files and directories), in parallel.
pub fn collect_paths(paths: &[PathBuf]) -> Collected {
    collect_paths_with(paths, &Options::default())
}

/// [`collect_paths`] with options.
pub fn collect_paths_with(paths: &[PathBuf], options: &Options) -> Collected {
    let mut collected = Collected::default();
    let mut found = Found::default();
    let mut config_files = Vec::new();
    for path in paths {
        if let Some(pattern) = options.skip_paths.matching(path, path) {
            found.skipped.push(SkippedFile {
                path: path.display().to_string(),
                reason: format!("--skip-path {pattern}"),
            });
        } else if path.is_dir() {
            walk(path, &options.skip_paths, &mut found, &mut collected);
        } else if path.is_file() {
            match classify(path) {
                Input::TerraformConfig => config_files.push(path.clone()),
                Input::Kustomization => {
                    if let Some(parent) = path.parent() {
                        found.kustomizations.insert(parent.to_path_buf());
                    }
                }
                _ => found.candidates.push(Candidate {
                    path: path.clone(),
                    explicit: true,
                }),
            }
        } else if std::fs::metadata(path).is_ok() {
            // A FIFO, socket or device: the reader refuses it, without opening it.
            found.candidates.push(Candidate {
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
    collected.files.read += found.terraform_files + config_files.len();
    collected.files.other += found.other;
    collected.files.skipped.append(&mut found.skipped);

    // Kustomizations first: the files they read are judged through them only.
    found
        .kustomizations
        .retain(|dir| !kubernetes::kustomize::is_component(dir));
    let renderings: Vec<(PathBuf, kubernetes::kustomize::Rendering)> = found
        .kustomizations
        .par_iter()
        .map(|dir| (dir.clone(), kubernetes::kustomize::render(dir)))
        .collect();
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let included: BTreeSet<PathBuf> = renderings
        .iter()
        .flat_map(|(_, r)| r.included.iter().cloned())
        .collect();
    let used: BTreeSet<PathBuf> = renderings
        .iter()
        .flat_map(|(_, r)| r.files.iter().map(|f| canonical(f)))
        .collect();
    found
        .candidates
        .retain(|c| !used.contains(&canonical(&c.path)));
    collected.files.read += used.len();
    let mut groups: Vec<Collected> = renderings
        .into_iter()
        .filter(|(dir, _)| !included.contains(&canonical(dir)))
        .map(|(dir, r)| kustomized(&dir, r))
        .collect();
    groups.extend(
        found
            .charts
            .par_iter()
            .map(|chart| charted(chart, &options.helm))
            .collect::<Vec<_>>(),
    );

    let modules = found.modules;
    let candidates = found.candidates;
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
    results.extend(groups);
    qualify_colliding_ids(&mut results);
    for r in results {
        collected.merge(r);
    }
    collected
}

/// The objects of a top-level kustomization.
fn kustomized(dir: &Path, rendering: kubernetes::kustomize::Rendering) -> Collected {
    let mut out = Collected {
        errors: rendering.errors,
        ..Collected::default()
    };
    for o in rendering.objects {
        let path = o.file.display().to_string();
        match kubernetes::Identity::of(&o.value) {
            Ok(identity) => {
                let at = format!("{path}:{}", o.line);
                let source = Source::File {
                    path,
                    start_line: o.line,
                    end_line: o.end_line,
                    module_calls: Vec::new(),
                };
                let mut r = kubernetes::resource(o.value, &identity, "manifest", source, Some(&at));
                // Secrets are redacted in `attrs`: only origins of values still there stay.
                let attrs = &r.attrs;
                r.attr_origins = o
                    .origins
                    .into_iter()
                    .filter(|(p, _)| attrs.pointer(p).is_some())
                    .collect();
                out.resources.push(r);
            }
            Err(message) => out.errors.push(CollectError {
                collector: "kustomize".into(),
                scope: path,
                line: Some(o.line),
                column: None,
                kinds: Vec::new(),
                message,
                warning: false,
            }),
        }
    }
    out.runs.push(CollectorRun {
        collector: "kustomize".into(),
        scope: dir.display().to_string(),
        resources: out.resources.len(),
        ..CollectorRun::default()
    });
    out
}

/// The objects of a Helm chart, or why it was not scanned.
fn charted(chart: &Path, options: &kubernetes::helm::HelmOptions) -> Collected {
    let mut out = Collected::default();
    match kubernetes::helm::collect(chart, options) {
        Ok(resources) => {
            out.files.read += walkdir::WalkDir::new(chart)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_file())
                .count();
            out.runs.push(CollectorRun {
                collector: "helm".into(),
                scope: chart.display().to_string(),
                resources: resources.len(),
                ..CollectorRun::default()
            });
            out.resources = resources;
        }
        Err(e) => out.errors.push(e),
    }
    out
}

/// What a walk found.
#[derive(Default)]
struct Found {
    candidates: Vec<Candidate>,
    /// Folders holding Terraform configuration.
    modules: BTreeSet<PathBuf>,
    terraform_files: usize,
    kustomizations: BTreeSet<PathBuf>,
    charts: BTreeSet<PathBuf>,
    skipped: Vec<SkippedFile>,
    other: usize,
}

/// What a file is to a scan, told from its path. Files whose name does not say are told
/// from their content ([`collect_file`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// Terraform configuration: read with its folder, as a module.
    TerraformConfig,
    /// Terraform variables: read with their root module, not on their own.
    TerraformVars,
    /// A kustomization file: its folder is rendered.
    Kustomization,
    /// YAML or JSON (or a Terraform state): plan, state, manifest, or something to skip.
    Document,
    /// A Dockerfile ([`dockerfile`]).
    Dockerfile,
    /// A GitHub Actions workflow ([`workflow`]).
    Workflow,
    /// Recognised by its name and not judged, for this reason.
    Skipped(&'static str),
    /// No format plumb reads: counted, not listed.
    Other,
}

/// Classifies a file by its path.
pub fn classify(path: &Path) -> Input {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let lower = name.to_ascii_lowercase();
    let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
    let in_workflows = path
        .parent()
        .is_some_and(|p| p.ends_with(".github/workflows"));
    if terraform::hcl::is_config_file(name) {
        Input::TerraformConfig
    } else if name.ends_with(".tfvars.json") || name.ends_with(".tfvars") {
        Input::TerraformVars
    } else if kubernetes::kustomize::FILE_NAMES.contains(&name) {
        Input::Kustomization
    } else if yaml && in_workflows {
        Input::Workflow
    } else if dockerfile::is_dockerfile(name) {
        Input::Dockerfile
    } else if yaml && (lower.starts_with("skaffold")) {
        Input::Skipped("Skaffold configuration")
    } else if yaml && (lower.starts_with("docker-compose") || lower.starts_with("compose.")) {
        Input::Skipped("Docker Compose file (not supported)")
    } else if lower == ".gitlab-ci.yml" || lower == ".gitlab-ci.yaml" {
        Input::Skipped("GitLab CI configuration (not judged)")
    } else if matches!(name, "Chart.yaml" | "Chart.lock" | "values.schema.json") {
        Input::Skipped("Helm chart metadata")
    } else if lower.ends_with(".schema.json") {
        Input::Skipped("JSON Schema")
    } else if has_source_extension(path) {
        Input::Document
    } else {
        Input::Other
    }
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

fn walk(dir: &Path, skip: &SkipPaths, found: &mut Found, collected: &mut Collected) {
    let mut charts = BTreeSet::new();
    let mut skipped = Vec::new();
    // Symlinks are followed, as Terraform and kubectl follow them; a link back to a folder
    // being walked is a loop, which the walk reports as an error (input not read).
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            // Of `.github`, only the workflows folder holds something plumb judges.
            let in_github = e
                .path()
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|p| p == ".github");
            if in_github {
                return e.file_name() == "workflows" && e.file_type().is_dir();
            }
            if e.depth() > 0 && is_hidden(e.file_name()) && e.file_name() != ".github" {
                return false;
            }
            if e.depth() > 0
                && let Some(pattern) = skip.matching(e.path(), dir)
            {
                skipped.push(SkippedFile {
                    path: e.path().display().to_string(),
                    reason: format!("--skip-path {pattern}"),
                });
                return false;
            }
            // A chart is rendered as a whole; its templates are not YAML.
            if e.file_type().is_dir() && kubernetes::helm::is_chart(e.path()) {
                charts.insert(e.path().to_path_buf());
                return false;
            }
            true
        });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_dir() => {
                if kubernetes::kustomize::kustomization_file(e.path()).is_some() {
                    found.kustomizations.insert(e.path().to_path_buf());
                }
            }
            Ok(e) if e.file_type().is_file() => match classify(e.path()) {
                Input::TerraformConfig => {
                    found.terraform_files += 1;
                    if let Some(parent) = e.path().parent() {
                        found.modules.insert(parent.to_path_buf());
                    }
                }
                Input::TerraformVars | Input::Kustomization => {}
                Input::Document | Input::Dockerfile | Input::Workflow => {
                    found.candidates.push(Candidate {
                        path: e.path().to_path_buf(),
                        explicit: false,
                    })
                }
                Input::Skipped(reason) => found.skipped.push(SkippedFile {
                    path: e.path().display().to_string(),
                    reason: reason.into(),
                }),
                Input::Other => found.other += 1,
            },
            // A FIFO, socket or device (itself or through a symlink): one named as an input
            // goes to the reader that refuses it, so it is listed as not read; any other is
            // counted with the files of no format plumb reads.
            Ok(e) => match classify(e.path()) {
                Input::TerraformConfig => {
                    if let Some(parent) = e.path().parent() {
                        found.modules.insert(parent.to_path_buf());
                    }
                }
                Input::Document
                | Input::Dockerfile
                | Input::Workflow
                | Input::TerraformVars
                | Input::Kustomization => found.candidates.push(Candidate {
                    path: e.path().to_path_buf(),
                    explicit: false,
                }),
                Input::Skipped(_) | Input::Other => found.other += 1,
            },
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
    found.charts.append(&mut charts);
    found.skipped.append(&mut skipped);
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.'))
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
    let skip = |out: &mut Collected, reason: &str| {
        out.files.skipped.push(SkippedFile {
            path: name.clone(),
            reason: reason.into(),
        });
    };
    let ext = c.path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let limit = if matches!(ext, "json" | "tfstate") {
        crate::read::Limit::Generated
    } else {
        crate::read::Limit::Source
    };
    // A file that cannot be read is input not read, whether named or found: the scan is
    // incomplete, never quietly smaller.
    let text = match crate::read::text(&c.path, limit) {
        Ok(text) => text,
        Err(e @ crate::read::ReadError::NotText { .. }) if c.explicit => {
            out.errors.push(error(
                "scan",
                None,
                None,
                format!("{e}; for a binary plan, run `terraform show -json plan.out > plan.json`"),
            ));
            return out;
        }
        Err(e) => {
            out.errors.push(error("scan", None, None, e.to_string()));
            return out;
        }
    };
    out.files.read += 1;
    let by_name = classify(&c.path);
    let trimmed = text.trim_start();
    let looks_json =
        matches!(ext, "json" | "tfstate") || trimmed.starts_with('{') || trimmed.starts_with('[');

    let outcome = if by_name == Input::Dockerfile {
        Outcome::Collected(
            "dockerfile",
            dockerfile::collect(&name, &text).map(|r| vec![r]),
        )
    } else if by_name == Input::Workflow {
        Outcome::Collected(
            workflow::COLLECTOR,
            workflow::collect(&name, &text).map(|r| vec![r]),
        )
    } else if looks_json {
        match sniff(&text) {
            Ok((kind, top)) => collect_json(&name, &text, kind, top),
            Err(e) if e.is_data() => Outcome::NotRecognised(NOT_AN_OBJECT.into()),
            Err(e) => {
                if c.explicit || plausibly_ours(&text) {
                    Outcome::Error(error(
                        "scan",
                        Some(e.line() as u32),
                        Some(e.column() as u32),
                        format!("invalid JSON: {e}"),
                    ))
                } else {
                    Outcome::NotRecognised("invalid JSON".into())
                }
            }
        }
    } else {
        match kubernetes::parse(&name, &text) {
            Ok(docs) => {
                let values: Vec<serde_json::Value> = docs
                    .iter()
                    .filter(|d| !matches!(d.value, crate::yaml::NodeValue::Null))
                    .map(crate::yaml::Node::to_json)
                    .collect();
                let docs_only: Vec<&crate::yaml::Node> = docs
                    .iter()
                    .filter(|d| !matches!(d.value, crate::yaml::NodeValue::Null))
                    .collect();
                match values.iter().map(not_an_object).collect::<Option<Vec<_>>>() {
                    Some(reasons) if !reasons.is_empty() => {
                        Outcome::NotRecognised(reasons[0].into())
                    }
                    _ if kubernetes::looks_like_manifest(&docs) => {
                        Outcome::Collected("kubernetes-manifest", kubernetes::collect(&name, &docs))
                    }
                    // A workflow named on the command line, wherever it is; found elsewhere
                    // than `.github/workflows`, GitHub does not run it.
                    _ if docs_only.len() == 1 && workflow::looks_like_workflow(docs_only[0]) => {
                        if c.explicit {
                            Outcome::Collected(
                                workflow::COLLECTOR,
                                workflow::collect(&name, &text).map(|r| vec![r]),
                            )
                        } else {
                            Outcome::NotRecognised(
                                "GitHub Actions workflow outside .github/workflows (not run by GitHub)".into(),
                            )
                        }
                    }
                    _ => Outcome::NotRecognised(values.first().map_or("empty", unsupported).into()),
                }
            }
            Err(e) if c.explicit || plausibly_ours(&text) => Outcome::Error(e),
            Err(_) => Outcome::NotRecognised("invalid YAML".into()),
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
        Outcome::NotRecognised(reason) if c.explicit => out.errors.push(error(
            "scan",
            None,
            None,
            format!("not a Terraform plan (terraform show -json), a Terraform state or a Kubernetes manifest: {reason}"),
        )),
        Outcome::NotRecognised(reason) => skip(&mut out, &reason),
    }
    out
}

enum Outcome {
    Collected(&'static str, Result<Vec<Resource>, CollectError>),
    Error(CollectError),
    /// Not a source plumb judges, for this reason.
    NotRecognised(String),
}

const NOT_AN_OBJECT: &str = "no apiVersion and kind: not a Kubernetes object";

/// Documents that carry `apiVersion` and `kind` without being objects of a cluster's API.
fn not_an_object(v: &serde_json::Value) -> Option<&'static str> {
    let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
    let (api, kind) = (text("apiVersion"), text("kind"));
    if api.starts_with("skaffold/") {
        Some("Skaffold configuration")
    } else if api.starts_with("kustomize.config.k8s.io/") {
        Some("Kustomize file outside a kustomization folder")
    } else if kind == "Config" && (v.get("clusters").is_some() || v.get("contexts").is_some()) {
        Some("kubeconfig (not judged)")
    } else if has_patch_directive(v) {
        Some("Kustomize patch")
    } else {
        None
    }
}

fn has_patch_directive(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(m) => m.iter().any(|(k, v)| {
            k == "$patch" || k.starts_with("$setElementOrder/") || has_patch_directive(v)
        }),
        serde_json::Value::Array(items) => items.iter().any(has_patch_directive),
        _ => false,
    }
}

/// Why a YAML or JSON document that is no source of ours is skipped: named when users would
/// expect plumb to read it.
fn unsupported(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    let aws_resources = v
        .get("Resources")
        .and_then(Value::as_object)
        .is_some_and(|r| {
            r.values().any(|x| {
                x.get("Type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("AWS::"))
            })
        });
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("");
    if text("schema").starts_with("plumb.dev/") {
        "plumb's own output (a report, inventory or baseline)"
    } else if text("$schema").contains("sarif") {
        "SARIF log"
    } else if v.get("AWSTemplateFormatVersion").is_some() || aws_resources {
        "CloudFormation template (not supported)"
    } else if v.get("openapi").is_some() || v.get("swagger").is_some() {
        "OpenAPI document"
    } else if v.get("$schema").is_some() {
        "JSON Schema"
    } else if v.get("services").is_some() && v.get("apiVersion").is_none() {
        "Docker Compose file (not supported)"
    } else if let Some(r) = not_an_object(v) {
        r
    } else {
        NOT_AN_OBJECT
    }
}

/// What a JSON document is, told from its top-level keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    Plan,
    State,
    Manifest,
    Other,
}

/// A JSON document's top-level keys, each with its value's text.
type TopLevel<'t> = BTreeMap<String, &'t serde_json::value::RawValue>;

/// Reads only the top-level keys of a JSON document: one pass that validates the whole text
/// (so syntax errors carry their line) but allocates nothing for the values.
fn sniff(text: &str) -> Result<(JsonKind, TopLevel<'_>), serde_json::Error> {
    let top: TopLevel<'_> = serde_json::from_str(text)?;
    // A key whose value is `null` counts as absent.
    let has = |k: &str| top.get(k).is_some_and(|v| v.get() != "null");
    let kind = if has("format_version")
        && (has("resource_changes") || has("planned_values") || has("configuration"))
    {
        JsonKind::Plan
    } else if has("version") && has("resources") && (has("lineage") || has("terraform_version")) {
        JsonKind::State
    } else if has("apiVersion") && has("kind") {
        JsonKind::Manifest
    } else {
        JsonKind::Other
    };
    Ok((kind, top))
}

fn collect_json(name: &str, text: &str, kind: JsonKind, top: TopLevel<'_>) -> Outcome {
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
        JsonKind::Other => Outcome::NotRecognised(unsupported(&outline(text, top)).into()),
    }
}

/// What [`unsupported`] reads of a JSON document that is no source of ours: its top-level
/// keys (`top`, as [`sniff`] read them), with the values of the few it looks into. A folder may hold a JSON file of a
/// gigabyte (a report, a data export); parsed whole, it would cost several times that.
/// Patch directives may sit at any depth: only a document that spells one is parsed whole.
fn outline(text: &str, top: TopLevel<'_>) -> serde_json::Value {
    use serde_json::Value;
    if text.contains("\"$patch\"") || text.contains("\"$setElementOrder/") {
        return serde_json::from_str(text).unwrap_or(Value::Null);
    }
    const READ: [&str; 8] = [
        "schema",
        "$schema",
        "apiVersion",
        "kind",
        "AWSTemplateFormatVersion",
        "Resources",
        "openapi",
        "swagger",
    ];
    let outline = top
        .into_iter()
        .map(|(key, raw)| {
            let value = if READ.contains(&key.as_str()) {
                serde_json::from_str(raw.get()).unwrap_or(Value::Null)
            } else {
                Value::Null
            };
            (key, value)
        })
        .collect();
    Value::Object(outline)
}

/// A broken file found in a folder is reported only if it looks like one of our sources;
/// folders hold plenty of other JSON and YAML.
fn plausibly_ours(text: &str) -> bool {
    (text.contains("apiVersion") && text.contains("kind"))
        || text.contains("\"format_version\"")
        || text.contains("\"terraform_version\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_no_source_of_ours_is_named_from_its_outline() {
        let reason = |text: &str| match sniff(text) {
            Ok((JsonKind::Other, top)) => unsupported(&outline(text, top)),
            Ok((kind, _)) => panic!("{text}: read as {kind:?}"),
            Err(_) => NOT_AN_OBJECT,
        };
        let cases = [
            (
                r#"{"AWSTemplateFormatVersion": "2010-09-09"}"#,
                "CloudFormation template (not supported)",
            ),
            (
                r#"{"Resources": {"Logs": {"Type": "AWS::S3::Bucket"}}, "data": [1, 2]}"#,
                "CloudFormation template (not supported)",
            ),
            (r#"{"Resources": [1]}"#, NOT_AN_OBJECT),
            (r#"{"openapi": "3.1.0", "paths": {}}"#, "OpenAPI document"),
            (r#"{"swagger": "2.0"}"#, "OpenAPI document"),
            (r#"{"$schema": "https://json-schema.org/x"}"#, "JSON Schema"),
            (
                r#"{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}"#,
                "SARIF log",
            ),
            (
                r#"{"schema": "plumb.dev/report/v1", "findings": []}"#,
                "plumb's own output (a report, inventory or baseline)",
            ),
            (
                r#"{"services": {"web": {"image": "nginx"}}}"#,
                "Docker Compose file (not supported)",
            ),
            (
                r#"{"apiVersion": "skaffold/v4beta6"}"#,
                "Skaffold configuration",
            ),
            (
                r#"{"apiVersion": "kustomize.config.k8s.io/v1beta1"}"#,
                "Kustomize file outside a kustomization folder",
            ),
            (
                r#"{"spec": {"template": {"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}}}"#,
                "Kustomize patch",
            ),
            (r#"{"a\u0020b": 1, "settings": {"x": true}}"#, NOT_AN_OBJECT),
            (r#"[{"$schema": "x"}]"#, NOT_AN_OBJECT),
        ];
        for (text, want) in cases {
            assert_eq!(reason(text), want, "{text}");
        }
    }
}
