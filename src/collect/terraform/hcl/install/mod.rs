//! `--download-modules`: remote module calls installed the way `terraform init` installs them,
//! into a cache of plumb's own instead of the user's `.terraform` folder.
//!
//! For each root module the installer walks the module calls recursively: a remote source is
//! fetched (module registry, git, HTTP archives; see [`source`]), and the calls inside the
//! downloaded module are walked in turn, so a downloaded module may call further remote
//! modules, and its local `./x` and `../sibling` calls resolve inside the downloaded package
//! (never outside it, as Terraform requires). The result is an index shaped like
//! `.terraform/modules/modules.json` (keys are the call names joined by `.`), written to the
//! cache and read by the evaluator; calls that `.terraform/modules/modules.json` lists keep
//! Terraform's installation.
//!
//! The cache (`$XDG_CACHE_HOME/plumb/modules`, `~/.cache/plumb/modules` or `--module-cache`)
//! keeps each package under its source address (and a registry module under its version), so
//! the next scan is offline: like `terraform init` without `-upgrade`, a registry call whose
//! constraint a cached version meets uses the newest such version without asking the registry.
//! Every download is bounded (timeouts, body and unpacked size caps), and every failure is
//! the message of the module call it belongs to, never a panic or a silent skip.

mod archive;
mod fetch;
mod source;
mod version;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::load::literal_string;
use super::module::{Loader, clean, is_local_source};
use crate::inventory::CollectError;
pub use archive::Caps;
use source::Package;
use version::Constraint;

/// Module calls deeper than this are not followed (the evaluator has the same bound).
const MAX_DEPTH: usize = 32;

/// Called with one line of progress for each download (the CLI prints it on stderr).
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// Settings of `--download-modules`.
#[derive(Clone)]
pub struct Download {
    /// Where packages are kept between scans.
    pub cache: PathBuf,
    /// The registry that `NAMESPACE/NAME/PROVIDER` addresses name.
    pub default_registry: String,
    /// Time to open a connection.
    pub connect_timeout: Duration,
    /// Time for one whole request (answer and body), and for one `git` command.
    pub request_timeout: Duration,
    /// Largest download accepted.
    pub max_download: u64,
    /// Caps on what one archive unpacks to.
    pub caps: Caps,
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("cache", &self.cache)
            .field("default_registry", &self.default_registry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_download", &self.max_download)
            .field("caps", &self.caps)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// Defaults, caching in `cache` (see [`Download::default_cache`]).
    pub fn new(cache: PathBuf) -> Download {
        Download {
            cache,
            default_registry: DEFAULT_REGISTRY.to_string(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
            max_download: 256 << 20,
            caps: Caps::default(),
            progress: None,
        }
    }

    /// `$XDG_CACHE_HOME/plumb/modules`, else `~/.cache/plumb/modules`; `None` when neither
    /// variable is set.
    pub fn default_cache() -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".cache"))
            })?;
        Some(base.join("plumb").join("modules"))
    }
}

/// The public Terraform registry.
pub const DEFAULT_REGISTRY: &str = "registry.terraform.io";

/// The index file name written for each root module, beside Terraform's.
const INDEX_FILE: &str = "modules.json";

/// Installs the remote modules of the root modules `roots` (a folder, and the one file scanned
/// when a file is scanned on its own). Returns each root's index file (by canonical folder)
/// and the errors that belong to no one module call (an unusable cache).
pub(super) fn install(
    download: &Download,
    loader: &Loader,
    roots: &[(PathBuf, Option<PathBuf>)],
) -> (HashMap<PathBuf, PathBuf>, Vec<CollectError>) {
    let mut installer = Installer {
        fetch: fetch::Fetcher::new(download),
        download,
        packages: HashMap::new(),
    };
    let mut indexes = HashMap::new();
    let mut errors = Vec::new();
    for (dir, only) in roots {
        let canonical = dir.canonicalize().unwrap_or_else(|_| dir.clone());
        let existing = terraform_keys(dir);
        let mut walk = Walk {
            entries: BTreeMap::new(),
            existing: &existing,
        };
        installer.walk(
            loader,
            dir,
            &canonical,
            only.as_deref(),
            &[],
            None,
            &mut walk,
        );
        if walk.entries.is_empty() {
            continue;
        }
        match write_index(&download.cache, &canonical, only.as_deref(), &walk.entries) {
            Ok(path) => {
                indexes.insert(canonical, path);
            }
            Err(message) => errors.push(CollectError {
                collector: super::COLLECTOR.into(),
                scope: dir.display().to_string(),
                line: None,
                column: None,
                kinds: Vec::new(),
                message,
                warning: false,
            }),
        }
    }
    (indexes, errors)
}

/// What one module key became.
enum Entry {
    Installed {
        source: String,
        version: Option<String>,
        dir: PathBuf,
    },
    Failed {
        source: String,
        error: String,
    },
}

struct Walk<'e> {
    entries: BTreeMap<String, Entry>,
    /// Keys `.terraform/modules/modules.json` lists: Terraform's installation wins.
    existing: &'e HashSet<String>,
}

struct Installer<'d> {
    fetch: fetch::Fetcher<'d>,
    download: &'d Download,
    /// Packages fetched in this scan, by cache key: a module called by many roots is fetched
    /// (or found in the cache) once.
    packages: HashMap<String, Result<PathBuf, String>>,
}

impl Installer<'_> {
    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        loader: &Loader,
        dir: &Path,
        canonical: &Path,
        only: Option<&Path>,
        prefix: &[String],
        package: Option<&Path>,
        out: &mut Walk<'_>,
    ) {
        if prefix.len() >= MAX_DEPTH {
            return;
        }
        let loaded = loader.load(dir, canonical, only);
        for call in &loaded.module.calls {
            let mut key_parts = prefix.to_vec();
            key_parts.push(call.name.clone());
            let key = key_parts.join(".");
            if out.existing.contains(&key) || out.entries.contains_key(&key) {
                continue;
            }
            let source = call.source.as_str();
            if is_local_source(source) {
                let child = clean(&dir.join(source));
                let Ok(child_canonical) = child.canonicalize() else {
                    // The evaluator reports the missing folder at the call.
                    continue;
                };
                if let Some(root) = package
                    && !child_canonical.starts_with(root)
                {
                    out.entries.insert(
                        key,
                        Entry::Failed {
                            source: source.to_string(),
                            error: format!(
                                "the local path {source:?} leaves the downloaded package it is called from"
                            ),
                        },
                    );
                    continue;
                }
                if child_canonical.is_dir() {
                    self.walk(
                        loader,
                        &child,
                        &child_canonical,
                        None,
                        &key_parts,
                        package,
                        out,
                    );
                }
                continue;
            }
            let version = call
                .body
                .attr("version")
                .and_then(|a| literal_string(&a.expr));
            match self.module_dir(&call.name, source, version.as_deref()) {
                Ok((module_dir, package_root, chosen)) => {
                    let module_canonical = module_dir.canonicalize().unwrap_or(module_dir.clone());
                    // Compared with canonical folders below: the cache may sit behind a link.
                    let package_root = package_root.canonicalize().unwrap_or(package_root);
                    out.entries.insert(
                        key,
                        Entry::Installed {
                            source: source.to_string(),
                            version: chosen,
                            dir: module_dir.clone(),
                        },
                    );
                    self.walk(
                        loader,
                        &module_dir,
                        &module_canonical,
                        None,
                        &key_parts,
                        Some(&package_root),
                        out,
                    );
                }
                Err(error) => {
                    out.entries.insert(
                        key,
                        Entry::Failed {
                            source: source.to_string(),
                            error,
                        },
                    );
                }
            }
        }
    }

    /// The folder of a remote module, its package's root, and the registry version chosen.
    fn module_dir(
        &mut self,
        name: &str,
        source: &str,
        version: Option<&str>,
    ) -> Result<(PathBuf, PathBuf, Option<String>), String> {
        let remote = source::parse(source)?;
        let (root, subdir, chosen) = match &remote.package {
            Package::Registry {
                host,
                namespace,
                name: module,
                provider,
            } => {
                let host = host
                    .clone()
                    .unwrap_or_else(|| self.download.default_registry.clone());
                let constraint = Constraint::parse(version.unwrap_or(""))?;
                let address = format!("{host}/{namespace}/{module}/{provider}");
                let (v, location) = self.fetch.registry(
                    &address,
                    &host,
                    &[namespace, module, provider],
                    &constraint,
                    version.unwrap_or(""),
                    name,
                )?;
                let inner = source::parse(&location)
                    .map_err(|e| format!("the registry's download address {location:?}: {e}"))?;
                if matches!(inner.package, Package::Registry { .. }) {
                    return Err(format!(
                        "the registry's download address {location:?} is another registry address"
                    ));
                }
                let root = self.package(name, &inner.package)?;
                let subdir = join_subdirs(&inner.subdir, &remote.subdir);
                (root, subdir, Some(v))
            }
            Package::Http { url } => {
                if version.is_some() {
                    return Err("a version constraint is only allowed for registry modules".into());
                }
                let location = self.fetch.terraform_get(url, name)?;
                let inner = source::parse(&location)
                    .map_err(|e| format!("{url} answered with {location:?}: {e}"))?;
                if matches!(
                    inner.package,
                    Package::Registry { .. } | Package::Http { .. }
                ) {
                    return Err(format!(
                        "{url} answered with {location:?}, which is not a package address"
                    ));
                }
                let root = self.package(name, &inner.package)?;
                (root, join_subdirs(&inner.subdir, &remote.subdir), None)
            }
            other => {
                if version.is_some() {
                    return Err("a version constraint is only allowed for registry modules".into());
                }
                (self.package(name, other)?, remote.subdir.clone(), None)
            }
        };
        let dir = resolve_subdir(&root, &subdir)?;
        Ok((dir, root, chosen))
    }

    /// The cached folder of a git repository or archive, fetched when missing.
    fn package(&mut self, call: &str, package: &Package) -> Result<PathBuf, String> {
        let key = format!("{package:?}");
        if let Some(done) = self.packages.get(&key) {
            return done.clone();
        }
        let result = self.fetch.package(package, call);
        self.packages.insert(key, result.clone());
        result
    }
}

/// Terraform joins a registry address's subdirectory under the download address's own.
fn join_subdirs(outer: &str, inner: &str) -> String {
    match (outer.is_empty(), inner.is_empty()) {
        (true, _) => inner.to_string(),
        (false, true) => outer.to_string(),
        (false, false) => format!("{outer}/{inner}"),
    }
}

/// `root/subdir`, where a `*` component matches the one folder there (archives made from a
/// repository hold a single top folder whose name carries a commit).
fn resolve_subdir(root: &Path, subdir: &str) -> Result<PathBuf, String> {
    let mut dir = root.to_path_buf();
    for part in subdir.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            return Err(format!("the subdirectory {subdir:?} leaves the package"));
        }
        if part.contains('*') {
            let mut matches: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| glob_match(part, &e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect();
            matches.sort();
            match matches.len() {
                1 => dir = matches.remove(0),
                0 => return Err(format!("no folder of the package matches {subdir:?}")),
                n => return Err(format!("{n} folders of the package match {subdir:?}")),
            }
        } else {
            dir.push(part);
        }
    }
    if !dir.is_dir() {
        return Err(format!(
            "the package has no folder {subdir:?} (looked in {})",
            root.display()
        ));
    }
    Ok(dir)
}

/// `*` matches any run of characters; everything else matches itself.
fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

/// The keys `.terraform/modules/modules.json` lists (an unreadable file lists none here: the
/// evaluator reports it).
fn terraform_keys(dir: &Path) -> HashSet<String> {
    let path = dir.join(".terraform/modules/modules.json");
    let Ok(text) = crate::read::text(&path, crate::read::Limit::Source) else {
        return HashSet::new();
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
        return HashSet::new();
    };
    doc.get("Modules")
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("Key").and_then(|k| k.as_str()))
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
}

/// A short stable name for a cache entry.
pub(crate) fn digest(text: &str) -> String {
    let hash = Sha256::digest(text.as_bytes());
    hash[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the root's index, shaped like Terraform's `modules.json` (with `Error` on the calls
/// that could not be installed), and returns its path.
fn write_index(
    cache: &Path,
    root: &Path,
    only: Option<&Path>,
    entries: &BTreeMap<String, Entry>,
) -> Result<PathBuf, String> {
    let mut name = root.display().to_string();
    if let Some(f) = only {
        name.push('\n');
        name.push_str(&f.display().to_string());
    }
    let dir = cache.join("index").join(digest(&name));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the module cache {}: {e}", dir.display()))?;
    let mut modules = vec![serde_json::json!({"Key": "", "Source": "", "Dir": root})];
    for (key, entry) in entries {
        modules.push(match entry {
            Entry::Installed {
                source,
                version,
                dir,
            } => {
                let mut m = serde_json::json!({"Key": key, "Source": source, "Dir": dir});
                if let Some(v) = version {
                    m["Version"] = serde_json::Value::String(v.clone());
                }
                m
            }
            Entry::Failed { source, error } => {
                serde_json::json!({"Key": key, "Source": source, "Error": error})
            }
        });
    }
    let text = serde_json::to_string_pretty(&serde_json::json!({ "Modules": modules }))
        .map_err(|e| format!("cannot write the module index: {e}"))?;
    let path = dir.join(INDEX_FILE);
    // Written whole and renamed, so a parallel scan never reads half an index.
    let tmp = dir.join(format!("{INDEX_FILE}.{}", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| format!("cannot write the module index {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_and_subdirs() {
        assert!(glob_match("*", "repo-abc123"));
        assert!(glob_match("repo-*", "repo-abc123"));
        assert!(!glob_match("repo-*", "other"));
        assert!(glob_match("a*c", "abbbc"));
        assert!(!glob_match("a*c", "abbbd"));
        assert_eq!(join_subdirs("", "m/x"), "m/x");
        assert_eq!(join_subdirs("top", ""), "top");
        assert_eq!(join_subdirs("top", "m/x"), "top/m/x");

        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("repo-1234/modules/sub")).unwrap();
        assert_eq!(
            resolve_subdir(d.path(), "*/modules/sub").unwrap(),
            d.path().join("repo-1234/modules/sub")
        );
        assert!(
            resolve_subdir(d.path(), "missing")
                .unwrap_err()
                .contains("no folder \"missing\"")
        );
        std::fs::create_dir_all(d.path().join("repo-5678")).unwrap();
        assert!(
            resolve_subdir(d.path(), "*")
                .unwrap_err()
                .contains("2 folders")
        );
    }
}
