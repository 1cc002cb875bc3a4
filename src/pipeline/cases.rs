//! Policy test cases: every policy ships with inputs it must pass, fail, and (where its facets
//! can be unknown) leave unknown.
//!
//! Layout: `<fixtures>/<POLICY-ID>/{pass,fail,unknown}/<case>`. A case is any input `plumb
//! scan` reads (a plan, a state, a manifest), or a compact `*.case.yaml` listing Terraform
//! resources directly:
//!
//! ```yaml
//! as_of: 2026-01-31T00:00:00Z                      # optional: the collection time
//! resources:
//!   - address: aws_s3_bucket.logs
//!     values: {bucket: logs}
//!     unknown: [/arn]                              # JSON pointers known only after apply
//!     references: {/bucket: [aws_s3_bucket.logs]} # what an expression refers to
//!     expressions: {/bucket: "var.name"}           # an unknown value's expression key
//!     source: {account: "123456789012", region: eu-west-1}  # optional: read live
//! ```
//!
//! `settings` overrides `plumb.yaml` settings for the case (`settings: {allowed_regions:
//! [eu-west-1]}`), for policies that apply only when a setting is given. `as_of` fixes the instant time-dependent facets are computed for (credential ages), so a
//! case keeps its verdict as the calendar moves. `source` makes a resource live-read (its id
//! becomes `aws:ACCOUNT:REGION:KIND:NAME`), for facts only a live inventory has.
//!
//! A case holds when the policy judged at least one resource of it, and judged every resource
//! it applied to with the expected status.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::collect::{Collected, collect_paths, terraform};
use crate::config::Settings;
use crate::findings::Status;
use crate::inventory::{CollectorRun, Resource, Source};
use crate::pipeline::Pipeline;
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
    #[serde(default)]
    as_of: Option<String>,
    #[serde(default)]
    settings: serde_json::Map<String, Value>,
    resources: Vec<CaseResource>,
}

/// A live source for a case resource.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LiveSource {
    account: String,
    region: String,
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
    /// Expression keys of unknown attributes (see [`Resource::expressions`]).
    #[serde(default)]
    expressions: BTreeMap<String, String>,
    #[serde(default)]
    source: Option<LiveSource>,
}

/// A case file's resources and, when it names one, its collection time.
pub struct Case {
    pub resources: Vec<Resource>,
    pub as_of: Option<DateTime<Utc>>,
    /// Settings the case overrides.
    pub settings: serde_json::Map<String, Value>,
}

/// Reads a compact case file into resources, as a plan (or, with `source`, a live
/// collector) would describe them.
pub fn read_case(path: &Path) -> Result<Case, String> {
    let name = path.display().to_string();
    let text =
        crate::read::text(path, crate::read::Limit::Source).map_err(|e| format!("{name}: {e}"))?;
    let case: CaseFile = yaml::from_str(&text).map_err(|e| format!("{name}:{e}"))?;
    let as_of = match &case.as_of {
        Some(t) => Some(
            DateTime::parse_from_rfc3339(t)
                .map_err(|e| format!("{name}: as_of {t:?} is not an RFC 3339 time: {e}"))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
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
        let (id, source) = match &res.source {
            Some(live) => (
                format!(
                    "aws:{}:{}:{kind}:{}",
                    live.account,
                    live.region,
                    res.address.rsplit('.').next().unwrap_or_default()
                ),
                Source::Aws {
                    account: live.account.clone(),
                    region: live.region.clone(),
                },
            ),
            None => (
                format!("tf:{}", res.address),
                Source::File {
                    path: name.clone(),
                    start_line: 1,
                    end_line: 1,
                    module_calls: Vec::new(),
                },
            ),
        };
        let mut r = Resource::new(id, kind, source);
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
        r.expressions = res.expressions;
        let (tags, unknown_tags) = terraform::tags(&r.attrs, &r.unknown);
        r.tags = tags;
        if unknown_tags {
            r.unknown.insert("/tags".into());
        }
        r.cloud_id = terraform::cloud_id(&r.kind, &r.attrs);
        r.name = terraform::display_name(&res.address, &r.attrs);
        terraform::redact_marked(&mut r, &[]);
        out.push(r);
    }
    Ok(Case {
        resources: out,
        as_of,
        settings: case.settings,
    })
}

/// What running a case needs besides its resources.
#[derive(Default)]
struct CaseContext {
    as_of: Option<DateTime<Utc>>,
    settings: serde_json::Map<String, Value>,
}

fn collect_case(path: &Path) -> Result<(Collected, CaseContext), String> {
    if path.to_string_lossy().ends_with(".case.yaml") {
        let case = read_case(path)?;
        return Ok((
            Collected {
                runs: vec![CollectorRun {
                    collector: "case".into(),
                    scope: path.display().to_string(),
                    resources: case.resources.len(),
                    ..CollectorRun::default()
                }],
                resources: case.resources,
                ..Collected::default()
            },
            CaseContext {
                as_of: case.as_of,
                settings: case.settings,
            },
        ));
    }
    let collected = collect_paths(&[path.to_path_buf()]);
    match collected.errors.first() {
        Some(e) => Err(e.to_string()),
        None => Ok((collected, CaseContext::default())),
    }
}

/// `base` with the case's overrides; an override that does not fit a setting is an error.
fn with_overrides(
    base: &Settings,
    overrides: &serde_json::Map<String, Value>,
) -> Result<Settings, String> {
    if overrides.is_empty() {
        return Ok(base.clone());
    }
    let mut json = base.to_json();
    if let Value::Object(map) = &mut json {
        for (k, v) in overrides {
            map.insert(k.clone(), v.clone());
        }
    }
    serde_json::from_value(json).map_err(|e| format!("settings: {e}"))
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
    let (collected, context) = match collect_case(file) {
        Ok(c) => c,
        Err(e) => {
            result.problem = format!("cannot read case: {e}");
            return result;
        }
    };
    let settings = match with_overrides(settings, &context.settings) {
        Ok(s) => s,
        Err(e) => {
            result.problem = format!("cannot read case: {}: {e}", file.display());
            return result;
        }
    };
    let inventory = collected.into_inventory_as_of(context.as_of.unwrap_or_else(Utc::now));
    let (findings, _) = Pipeline::new(policies, &settings).verdicts(&inventory.resources);
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
