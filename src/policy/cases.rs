//! Policy test cases: every policy ships with inputs it must pass, fail, and (where its facets
//! can be unknown) leave unknown.
//!
//! Layout: `<fixtures>/<POLICY-ID>/{pass,fail,unknown}/<case>`. A case is any input `plumb
//! scan` reads (a plan, a state, a manifest), or a compact `*.case.yaml` listing Terraform
//! resources directly:
//!
//! ```yaml
//! resources:
//!   - address: aws_s3_bucket.logs
//!     values: {bucket: logs}
//!     unknown: [/arn]                              # JSON pointers known only after apply
//!     references: {/bucket: [aws_s3_bucket.logs]} # what an expression refers to
//! ```
//!
//! A case holds when the policy judged at least one resource of it, and judged every resource
//! it applied to with the expected status.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use crate::collect::{Collected, collect_paths, terraform};
use crate::config::Settings;
use crate::engine::evaluate;
use crate::findings::Status;
use crate::inventory::{CollectorRun, Resource, Source};
use crate::policy::PolicySet;
use crate::yaml;

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseResult {
    pub policy_id: String,
    pub file: String,
    pub expected: Status,
    /// Status per judged resource id.
    pub got: BTreeMap<String, Status>,
    /// Why the case did not hold; empty when it did.
    pub problem: String,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.problem.is_empty()
    }
}

/// Everything `plumb policies test` found.
#[derive(Debug, Default)]
pub struct CaseRun {
    pub results: Vec<CaseResult>,
    /// Policies lacking a pass or a fail case.
    pub missing: Vec<String>,
    /// Case folders naming no loaded policy, and unreadable cases.
    pub problems: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseFile {
    resources: Vec<CaseResource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseResource {
    address: String,
    #[serde(default)]
    values: Value,
    #[serde(default)]
    unknown: Vec<String>,
    #[serde(default)]
    references: BTreeMap<String, Vec<String>>,
}

/// Reads a compact case file into resources, as a plan would describe them.
pub fn read_case(path: &Path) -> Result<Vec<Resource>, String> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    let case: CaseFile = yaml::from_str(&text).map_err(|e| format!("{name}:{e}"))?;
    let mut out = Vec::new();
    for (i, res) in case.resources.into_iter().enumerate() {
        let kind = res
            .address
            .rsplit('.')
            .nth(1)
            .ok_or_else(|| {
                format!(
                    "{name}: resources[{i}]: address {:?} is not TYPE.NAME",
                    res.address
                )
            })?
            .to_string();
        let mut r = Resource::new(
            format!("tf:{}", res.address),
            kind,
            Source::File {
                path: name.clone(),
                start_line: 1,
                end_line: 1,
                module_calls: Vec::new(),
            },
        );
        r.attrs = match res.values {
            Value::Null => Value::Object(Default::default()),
            v => v,
        };
        for pointer in res.unknown {
            terraform::set_pointer(&mut r.attrs, &pointer, Value::Null);
            r.unknown.insert(pointer);
        }
        r.references = res
            .references
            .into_iter()
            .map(|(k, ids)| (k, ids.into_iter().map(|a| format!("tf:{a}")).collect()))
            .collect();
        let (tags, unknown_tags) = terraform::tags(&r.attrs, &r.unknown);
        r.tags = tags;
        if unknown_tags {
            r.unknown.insert("/tags".into());
        }
        r.cloud_id = terraform::cloud_id(&r.kind, &r.attrs);
        r.name = terraform::display_name(&r.id[3..], &r.attrs);
        terraform::redact_marked(&mut r, &[]);
        out.push(r);
    }
    Ok(out)
}

fn collect_case(path: &Path) -> Result<Collected, String> {
    if path.to_string_lossy().ends_with(".case.yaml") {
        let resources = read_case(path)?;
        return Ok(Collected {
            runs: vec![CollectorRun {
                collector: "case".into(),
                scope: path.display().to_string(),
                resources: resources.len(),
                ..CollectorRun::default()
            }],
            resources,
            ..Collected::default()
        });
    }
    let collected = collect_paths(&[path.to_path_buf()]);
    match collected.errors.first() {
        Some(e) => Err(e.to_string()),
        None => Ok(collected),
    }
}

/// Runs every case under `fixtures` against `policies`.
pub fn run_cases(policies: &PolicySet, settings: &Settings, fixtures: &Path) -> CaseRun {
    let mut run = CaseRun::default();
    for policy in policies.iter() {
        let id = &policy.doc.id;
        let dir = fixtures.join(id);
        let mut has = BTreeMap::new();
        for (folder, expected) in [
            ("pass", Status::Pass),
            ("fail", Status::Fail),
            ("unknown", Status::Unknown),
        ] {
            for file in files(&dir.join(folder)) {
                *has.entry(folder).or_insert(0) += 1;
                run.results
                    .push(run_case(policies, settings, id, &file, expected));
            }
        }
        if !has.contains_key("pass") || !has.contains_key("fail") {
            run.missing.push(id.clone());
        }
    }
    if let Ok(entries) = std::fs::read_dir(fixtures) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if entry.path().is_dir() && policies.get(&name).is_none() {
                run.problems.push(format!(
                    "{}: names no loaded policy",
                    entry.path().display()
                ));
            }
        }
    }
    run.problems.sort();
    run
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn run_case(
    policies: &PolicySet,
    settings: &Settings,
    id: &str,
    file: &Path,
    expected: Status,
) -> CaseResult {
    let mut result = CaseResult {
        policy_id: id.to_string(),
        file: file.display().to_string(),
        expected,
        got: BTreeMap::new(),
        problem: String::new(),
    };
    let collected = match collect_case(file) {
        Ok(c) => c,
        Err(e) => {
            result.problem = format!("cannot read case: {e}");
            return result;
        }
    };
    let inventory = collected.into_inventory();
    let (findings, _) = evaluate(policies, settings, &inventory.resources);
    for f in findings.into_iter().filter(|f| &*f.policy_id == id) {
        result.got.insert(f.resource.id.clone(), f.status);
    }
    if result.got.is_empty() {
        result.problem = "the policy judged no resource of this case".into();
    } else if let Some((rid, status)) = result.got.iter().find(|(_, s)| **s != expected) {
        result.problem = format!("{rid}: expected {expected}, got {status}");
    }
    result
}
