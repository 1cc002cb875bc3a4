//! Helpers shared by the integration tests: run the real binary on fixtures.

#![allow(dead_code)]

#[cfg(feature = "aws")]
pub mod aws;
pub mod drift;
pub mod pg_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root (where fixtures live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `plumb` with `args` from the repository root, without a user's plumb.yaml or colours.
pub fn plumb(args: &[&str]) -> Output {
    plumb_in(&root(), args)
}

pub fn plumb_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("the plumb binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("plumb exits normally, not by a signal")
}

/// `plumb scan PATH --format FORMAT --fail-on never`: its standard output, after asserting
/// exit 0.
pub fn scan_stdout(format: &str, path: &str) -> String {
    let out = plumb(&["scan", path, "--format", format, "--fail-on", "never"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    stdout(&out)
}

/// The `resources` of an inventory or a report, by id.
pub fn by_id(doc: &serde_json::Value) -> std::collections::BTreeMap<String, serde_json::Value> {
    doc["resources"]
        .as_array()
        .expect("a resources list")
        .iter()
        .map(|r| (r["id"].as_str().expect("an id").to_string(), r.clone()))
        .collect()
}

/// Runs a scan and parses its JSON report.
pub fn scan_json(args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = plumb(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&out)));
    (code(&out), report)
}

/// (policy, resource id) -> status, from a JSON report.
pub fn verdicts(
    report: &serde_json::Value,
) -> std::collections::BTreeMap<(String, String), String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                (
                    f["policy_id"].as_str().unwrap().to_string(),
                    f["resource"]["id"].as_str().unwrap().to_string(),
                ),
                f["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The failing findings of a JSON report, each projected by `fields`: JSON pointers into the
/// finding (`/policy_id`, `/resource/id`); a missing or null value reads as `-`, a non-string
/// one as its JSON.
pub fn failed<const N: usize>(report: &serde_json::Value, fields: [&str; N]) -> Vec<[String; N]> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| {
            fields.map(|p| match f.pointer(p) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Null) | None => "-".to_string(),
                Some(other) => other.to_string(),
            })
        })
        .collect()
}

/// Secrets planted in the demo estate; none may ever appear in output.
pub const PLANTED_SECRETS: &[&str] = &[
    "hunter2-demo-password",
    "reporting-secret-123",
    "legacy-db-password-7731",
    "wJalrXUtnFEMI",
    "BEXAMPLESMTPPASSWORD",
    "s3cr3t-report-password",
    "tok_live_4f9a8e7d6c5b",
];

/// A directory with a manifest that cannot be parsed (`broken.yaml`, line 3) beside a good
/// one (`api.yaml`, from the demo estate).
pub fn broken_beside_good() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n",
    )
    .unwrap();
    std::fs::copy(
        root().join("fixtures/demo/kubernetes/api.yaml"),
        dir.path().join("api.yaml"),
    )
    .unwrap();
    dir
}
