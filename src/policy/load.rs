//! Loading policies: parse, compile, and validate everything before any scan starts.
//!
//! Every problem is reported with its file and line, all at once: bad YAML, unknown fields,
//! an unknown severity or category, CEL that does not compile, a condition that reads a facet
//! its kinds do not have or a setting that does not exist, duplicate ids.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path as FsPath;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use super::expr::{self, Path, PathRoot, Template, first_error};
use super::{Category, Policy, PolicyDoc, Severity};
use crate::normalize::{facets_of_kind, normalised_kinds};
use crate::yaml::{self, NodeValue};

include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

/// A policy file's name (as shown in messages) and text.
pub struct PolicyFile {
    pub name: String,
    pub text: String,
}

/// The built-in policy files compiled into the binary, named `builtin:policies/...`.
pub fn builtin_files() -> Vec<PolicyFile> {
    BUILTIN_POLICIES
        .iter()
        .map(|(name, text)| PolicyFile {
            name: format!("builtin:{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

/// Every `.yaml` / `.yml` file under `dir`, sorted by path, except `plumb.yaml` (settings
/// often live beside a team's policies) and hidden folders.
pub fn load_dir(dir: &FsPath) -> Result<Vec<PolicyFile>, LoadError> {
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .follow_links(true);
    for entry in walker {
        let entry =
            entry.map_err(|e| LoadError::new(dir.display().to_string(), None, e.to_string()))?;
        let path = entry.path();
        let is_yaml = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e == "yaml" || e == "yml");
        let is_settings = matches!(
            path.file_name().and_then(|n| n.to_str()),
            Some("plumb.yaml" | "plumb.yml")
        );
        // A FIFO or device named as a policy is refused by the reader, never skipped.
        if !entry.file_type().is_dir() && is_yaml && !is_settings {
            let text = crate::read::text(path, crate::read::Limit::Source)
                .map_err(|e| LoadError::new(path.display().to_string(), None, e.to_string()))?;
            files.push(PolicyFile {
                name: path.display().to_string(),
                text,
            });
        }
    }
    if files.is_empty() {
        return Err(LoadError::new(
            dir.display().to_string(),
            None,
            "no policy files (*.yaml, *.yml) found".into(),
        ));
    }
    Ok(files)
}

/// A policy that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LoadError {
    pub file: String,
    pub line: Option<u32>,
    pub message: String,
}

impl LoadError {
    fn new(file: String, line: Option<u32>, message: String) -> Self {
        LoadError {
            file,
            line,
            message,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    id: Spanned<String>,
    title: String,
    severity: Severity,
    category: Category,
    kinds: Vec<String>,
    #[serde(default)]
    when: Option<Spanned<String>>,
    condition: Spanned<String>,
    #[serde(default)]
    message: Option<Spanned<String>>,
    #[serde(default)]
    rationale: String,
    #[serde(default)]
    remediation: String,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    controls: BTreeMap<String, Vec<String>>,
}

/// Loads and compiles the policies of `files`. `settings` is the `config` object conditions
/// will see; reading a setting it lacks is an error. All errors are returned together, sorted.
pub fn load_files(files: &[PolicyFile], settings: &Value) -> Result<Vec<Policy>, Vec<LoadError>> {
    let mut policies = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for file in files {
        let specs = match parse_file(file) {
            Ok(specs) => specs,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        for spec in specs {
            let line = spec.id.referenced.line() as u32;
            let here = format!("{}:{line}", file.name);
            if let Some(first) = seen.get(&spec.id.value) {
                errors.push(LoadError::new(
                    file.name.clone(),
                    Some(line),
                    format!(
                        "duplicate policy id {} (first defined at {first})",
                        spec.id.value
                    ),
                ));
                continue;
            }
            seen.insert(spec.id.value.clone(), here);
            match compile(&file.name, spec, settings) {
                Ok(p) => policies.push(p),
                Err(mut e) => errors.append(&mut e),
            }
        }
    }
    if errors.is_empty() {
        Ok(policies)
    } else {
        errors.sort();
        Err(errors)
    }
}

fn parse_file(file: &PolicyFile) -> Result<Vec<Spec>, LoadError> {
    let err = |e: yaml::YamlError| LoadError::new(file.name.clone(), e.line, e.message);
    let docs = yaml::documents(&file.text).map_err(err)?;
    match docs.as_slice() {
        [] => Err(LoadError::new(
            file.name.clone(),
            None,
            "empty policy file".into(),
        )),
        [doc] => match doc.value {
            NodeValue::Seq(_) => yaml::from_str::<Vec<Spec>>(&file.text).map_err(err),
            NodeValue::Map(_) => yaml::from_str::<Spec>(&file.text)
                .map(|s| vec![s])
                .map_err(err),
            _ => Err(LoadError::new(
                file.name.clone(),
                Some(doc.line),
                "expected a policy (a mapping) or a list of policies".into(),
            )),
        },
        [_, second, ..] => Err(LoadError::new(
            file.name.clone(),
            Some(second.line),
            "one document per policy file: use a YAML list for several policies".into(),
        )),
    }
}

/// Identifiers CEL itself defines (type names), which a condition may use.
const CEL_IDENTS: &[&str] = &[
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

/// The fields CEL's `resource` has.
const RESOURCE_FIELDS: &[&str] = &["id", "kind", "name", "cloud_id", "tags", "attrs", "facets"];

/// Comprehensions nested deeper than this are refused at load time: each level multiplies
/// the work by the size of a collection, and CEL has no limit of its own.
pub(super) const MAX_COMPREHENSION_DEPTH: u32 = 3;

fn compile(file: &str, spec: Spec, settings: &Value) -> Result<Policy, Vec<LoadError>> {
    let mut errors = Vec::new();
    let id = spec.id.value.clone();
    let id_line = spec.id.referenced.line() as u32;
    let mut error = |line: u32, message: String| {
        errors.push(LoadError::new(
            file.to_string(),
            Some(line),
            format!("{id}: {message}"),
        ));
    };

    if !valid_id(&id) {
        error(
            id_line,
            "policy ids are upper-case words and numbers joined by dashes (PLB-S3-001)".into(),
        );
    }
    if spec.title.trim().is_empty() {
        error(id_line, "title is empty".into());
    }
    if spec.kinds.is_empty() {
        error(
            id_line,
            "kinds is empty: name the resource kinds the policy judges".into(),
        );
    }
    for kind in &spec.kinds {
        if let Err(why) = check_kind(kind) {
            error(id_line, why);
        }
    }

    let compile_expr = |what: &str, src: &Spanned<String>, errors: &mut dyn FnMut(u32, String)| {
        let line = src.referenced.line() as u32;
        let program = match cel::Program::compile(&src.value) {
            Ok(p) => p,
            Err(e) => {
                let cel_line = e.errors.first().map_or(1, |e| e.pos.0.max(1) as u32);
                errors(
                    line + cel_line - 1,
                    format!("{what} is not valid CEL: {}", first_error(&e)),
                );
                return None;
            }
        };
        let work = expr::Work::of(program.expression());
        if work.depth > MAX_COMPREHENSION_DEPTH {
            errors(
                line,
                format!(
                    "{what} nests comprehensions (all, exists, map, filter) {} deep; at most {MAX_COMPREHENSION_DEPTH} are allowed, since each level multiplies the work by the size of a collection",
                    work.depth
                ),
            );
        }
        for problem in expr::call_errors(program.expression()) {
            errors(line, format!("{what} {problem}"));
        }
        let (paths, idents) = expr::paths(program.expression());
        for ident in idents {
            if !CEL_IDENTS.contains(&ident.as_str()) {
                errors(
                    line,
                    format!(
                        "{what} reads unknown variable `{ident}` (conditions see `resource` and `config`)"
                    ),
                );
            }
        }
        Some((program, paths, work))
    };

    let mut work = expr::Work::default();
    let (condition, mut reads) = match compile_expr("condition", &spec.condition, &mut error) {
        Some((program, paths, w)) => {
            work = work.max(w);
            (Some(program), paths)
        }
        None => (None, Vec::new()),
    };
    let mut condition_reads = reads.clone();
    condition_reads.sort();
    condition_reads.dedup();
    let (when, when_reads) = match spec
        .when
        .as_ref()
        .map(|w| compile_expr("when", w, &mut error))
    {
        Some(Some((program, paths, w))) => {
            work = work.max(w);
            (Some(Some(program)), paths)
        }
        Some(None) => (Some(None), Vec::new()),
        None => (None, Vec::new()),
    };
    reads.extend(when_reads.iter().cloned());
    let (message, message_reads) = match &spec.message {
        Some(m) => match Template::compile(&m.value) {
            Ok((t, asts)) => (t, asts.iter().flat_map(|a| expr::paths(a).0).collect()),
            Err(e) => {
                error(m.referenced.line() as u32, format!("message: {e}"));
                (Template::default(), Vec::new())
            }
        },
        None => (Template::default(), Vec::new()),
    };
    reads.sort();
    reads.dedup();
    for path in reads.iter().chain(message_reads.iter()) {
        if let Err(msg) = check_path(path, &spec.kinds, settings) {
            error(spec.condition.referenced.line() as u32, msg);
        }
    }

    match (condition, when) {
        (Some(condition), when) if errors.is_empty() => {
            let reads_attrs = reads.iter().chain(&message_reads).any(|p| {
                p.root == PathRoot::Resource && p.segments.first().is_none_or(|s| s == "attrs")
            });
            let facets_read = facets_read(reads.iter().chain(&message_reads));
            Ok(Policy {
                id: Arc::from(id.as_str()),
                title: Arc::from(spec.title.as_str()),
                doc: PolicyDoc {
                    id,
                    title: spec.title,
                    severity: spec.severity,
                    category: spec.category,
                    kinds: spec.kinds,
                    rationale: spec.rationale.trim().to_string(),
                    remediation: spec.remediation.trim().to_string(),
                    references: spec.references,
                    controls: spec.controls,
                    origin: format!("{file}:{id_line}"),
                },
                evidence_keys: reads.iter().map(|p| Arc::from(p.evidence_key())).collect(),
                condition_source: spec.condition.value.trim().to_string(),
                when_source: spec.when.map(|w| w.value.trim().to_string()),
                condition,
                when: when.flatten(),
                message,
                reads,
                condition_reads,
                when_reads,
                reads_attrs,
                facets_read,
                work,
            })
        }
        _ => Err(errors),
    }
}

/// The facets the expressions read by name; `None` when one reads `resource` or
/// `resource.facets` as a whole (or through a computed key), so every facet is needed.
fn facets_read<'p>(paths: impl Iterator<Item = &'p Path>) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for p in paths.filter(|p| p.root == PathRoot::Resource) {
        match p.segments.as_slice() {
            [] => return None,
            [first] if first == "facets" => return None,
            [first, name, ..] if first == "facets" => names.push(name.clone()),
            _ => {}
        }
    }
    names.sort();
    names.dedup();
    Some(names)
}

fn valid_id(id: &str) -> bool {
    let mut parts = id.split('-');
    let first_ok = parts.next().is_some_and(|p| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    let mut rest = 0;
    let rest_ok = parts.all(|p| {
        rest += 1;
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    });
    first_ok && rest_ok && rest > 0
}

/// A kind a collector produces, or why not: a name one or two letters away from a declared
/// kind (`aws_s3_bukket`) is that kind mistyped, since a policy on it would judge nothing.
fn check_kind(kind: &str) -> Result<(), String> {
    if crate::normalize::kind(kind).is_some() || normalised_kinds().contains(&kind) {
        return Ok(());
    }
    if let Some(near) = nearest_kind(kind) {
        return Err(format!(
            "unknown kind {kind:?}: no collector produces it; did you mean {near}?"
        ));
    }
    if known_kind(kind) {
        Ok(())
    } else {
        Err(format!(
            "unknown kind {kind:?}: no collector produces it (AWS kinds are Terraform type \
             names like aws_s3_bucket, Kubernetes kinds are k8s/<Kind>)"
        ))
    }
}

/// The declared kind of the same provider and service within two edits of `kind`, if one
/// is.
fn nearest_kind(kind: &str) -> Option<&'static str> {
    if kind.len() < 6 {
        return None;
    }
    // Within one service only: `aws_ecs_cluster` is not `aws_eks_cluster` mistyped.
    let family = |k: &str| -> String {
        match k.strip_prefix("k8s/") {
            Some(_) => "k8s/".to_string(),
            None => k.split('_').take(2).collect::<Vec<_>>().join("_"),
        }
    };
    let own = family(kind);
    crate::normalize::kinds()
        .filter(|k| family(k.name) == own)
        .map(|k| (edit_distance(kind, k.name), k.name))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, name)| name)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Kinds a collector can produce: every kind with facets, every satellite, and, for policies
/// on raw attributes, any Terraform provider type or Kubernetes kind by shape.
fn known_kind(kind: &str) -> bool {
    if normalised_kinds().contains(&kind) {
        return true;
    }
    if let Some(k) = kind.strip_prefix("k8s/") {
        return k.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && k.chars().all(|c| c.is_ascii_alphanumeric());
    }
    let (provider, rest) = kind.split_once('_').unwrap_or(("", ""));
    !provider.is_empty()
        && !rest.is_empty()
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_path(path: &Path, kinds: &[String], settings: &Value) -> Result<(), String> {
    match path.root {
        PathRoot::Config => match path.segments.first() {
            None => Ok(()),
            Some(name) if settings.get(name).is_some() => Ok(()),
            Some(name) => Err(format!(
                "reads config.{name}, which is not a setting (add it under `settings:` in plumb.yaml)"
            )),
        },
        PathRoot::Resource => match path.segments.first().map(String::as_str) {
            None => Ok(()),
            Some("facets") => {
                let Some(name) = path.segments.get(1) else {
                    return Ok(());
                };
                let missing: Vec<&str> = kinds
                    .iter()
                    .filter(|k| !facets_of_kind(k).contains(&name.as_str()))
                    .map(String::as_str)
                    .collect();
                if missing.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "reads facet `{name}`, which {} {} not have (see `plumb policies facets`)",
                        missing.join(", "),
                        if missing.len() == 1 { "does" } else { "do" }
                    ))
                }
            }
            Some(field) if RESOURCE_FIELDS.contains(&field) => Ok(()),
            Some(field) => Err(format!(
                "reads resource.{field}; a resource has {}",
                RESOURCE_FIELDS.join(", ")
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn load(text: &str) -> Result<Vec<Policy>, Vec<LoadError>> {
        let file = PolicyFile {
            name: "p.yaml".into(),
            text: text.into(),
        };
        load_files(&[file], &Settings::default().to_json())
    }

    const GOOD: &str = "id: T-001\ntitle: t\nseverity: high\ncategory: encryption\nkinds: [aws_s3_bucket]\ncondition: resource.facets.versioning\n";

    #[test]
    fn loads_a_valid_policy() {
        let p = load(GOOD).unwrap();
        assert_eq!(p[0].doc.id, "T-001");
        assert_eq!(p[0].doc.origin, "p.yaml:1");
        assert_eq!(p[0].reads[0].to_string(), "resource.facets.versioning");
        assert!(!p[0].reads_attrs);
    }

    fn first_error(text: &str) -> String {
        load(text).unwrap_err()[0].to_string()
    }

    #[test]
    fn rejects_bad_policies_with_file_and_line() {
        let e = first_error(&GOOD.replace(
            "condition: resource.facets.versioning",
            "condition: resource.facets.versioning &&",
        ));
        assert!(
            e.starts_with("p.yaml:6: T-001: condition is not valid CEL"),
            "{e}"
        );
        let e = first_error(&format!("{GOOD}colour: red\n"));
        assert!(e.starts_with("p.yaml:7:"), "{e}");
        let e = first_error(&GOOD.replace("high", "severe"));
        assert!(e.starts_with("p.yaml:3:") && e.contains("severe"), "{e}");
        let e = first_error(&GOOD.replace("encryption", "crypto"));
        assert!(e.starts_with("p.yaml:4:"), "{e}");
        let e = first_error(&GOOD.replace("versioning", "versionning"));
        assert!(
            e.contains("facet `versionning`") && e.contains("aws_s3_bucket"),
            "{e}"
        );
        let e = first_error(&GOOD.replace("resource.facets.versioning", "config.nope > 1"));
        assert!(e.contains("config.nope"), "{e}");
        let e = first_error(&GOOD.replace("aws_s3_bucket]", "aws_s3_bucket, S3Bucket]"));
        assert!(e.contains("unknown kind \"S3Bucket\""), "{e}");
        let e = first_error(&GOOD.replace("aws_s3_bucket]", "aws_s3_bukket]"));
        assert!(
            e.contains("unknown kind \"aws_s3_bukket\"")
                && e.contains("did you mean aws_s3_bucket?"),
            "{e}"
        );
        let e = first_error(&GOOD.replace("kinds: [aws_s3_bucket]", "kinds: [k8s/Deploymnet]"));
        assert!(e.contains("did you mean k8s/Deployment?"), "{e}");
        let e =
            first_error(&GOOD.replace("resource.facets.versioning", "resourse.facets.versioning"));
        assert!(e.contains("unknown variable `resourse`"), "{e}");
    }

    #[test]
    fn rejects_calls_cel_cannot_make() {
        for (condition, error) in [
            (
                "resource.name.startWith('a')",
                "calls unknown function `startWith`",
            ),
            ("sizee(resource.tags) > 0", "calls unknown function `sizee`"),
            (
                "resource.name.startsWith('a', 'b')",
                "calls `.startsWith()` with 2 arguments; it takes 1 argument",
            ),
            (
                "size() == 0",
                "calls `size()` with 0 arguments; it takes 1 argument",
            ),
            (
                "startsWith(resource.name, 'a')",
                "calls `startsWith` as a function",
            ),
            (
                "resource.name.timestamp() > 0",
                "calls `timestamp` on a value",
            ),
        ] {
            let e = first_error(&GOOD.replace("resource.facets.versioning", condition));
            assert!(e.contains(error), "{condition}: {e}");
        }
    }

    #[test]
    fn knows_the_functions_cel_defines() {
        for source in [
            "resource.name.startsWith('a') && resource.name.endsWith('b')",
            "size(resource.tags) > 0 && resource.name.matches('^a') && 'x' in resource.tags",
            "int('1') == 1 && string(1) == '1' && double(1) > 0.5 && !has(resource.tags.x)",
            "resource.tags.all(k, k.contains('a')) && [1].exists(x, x > 0)",
            "timestamp('2026-01-01T00:00:00Z') < timestamp('2027-01-01T00:00:00Z')",
            "[1, 2].map(x, x * 2).filter(x, x > 2).size() == 1 && type(1) == int",
        ] {
            let program = cel::Program::compile(source).unwrap();
            assert_eq!(
                super::expr::call_errors(program.expression()),
                Vec::<String>::new(),
                "{source}"
            );
        }
    }

    #[test]
    fn rejects_duplicate_ids_naming_the_first() {
        let list = format!(
            "- {}\n- {}",
            GOOD.replace('\n', "\n  "),
            GOOD.replace('\n', "\n  ")
        );
        let errors = load(&list).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("first defined at p.yaml:1"),
            "{}",
            errors[0]
        );
    }
}
