//! Waivers in plumb.yaml and in `--waivers` files: waived findings carry reason, approver and
//! expiry in every format; expired waivers stop waiving and are reported; stale ones too.

use crate::common;

use common::*;
use serde_json::Value;
use std::fs;

const DB: &str = "tf:aws_db_instance.reporting";

fn waiver(policy: &str, resource: &str, expires: &str) -> String {
    format!(
        "  - policy: {policy}\n    resource: \"{resource}\"\n    reason: Reporting replica is reached through a bastion only (RISK-42)\n    approved_by: ciso@example.com\n    expires: {expires}\n"
    )
}

/// Runs `plumb scan fixtures/demo/terraform` with a waivers file; returns the exit code and the
/// JSON report.
fn scan_with(waivers: &str, extra: &[&str]) -> (i32, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("waivers.yaml");
    fs::write(&file, format!("waivers:\n{waivers}")).unwrap();
    let mut args = vec![
        "scan",
        "fixtures/demo/terraform",
        "--format",
        "json",
        "--waivers",
        file.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = plumb(&args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (code(&out), report, stderr(&out))
}

fn finding<'a>(report: &'a Value, policy: &str, resource: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy_id"] == policy && f["resource"]["id"] == resource)
        .unwrap_or_else(|| panic!("no finding {policy} on {resource}"))
}

fn waiver_problems(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["collector"] == "waiver")
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_active_waiver_waives_with_reason_approver_and_expiry() {
    let (code, report, err) = scan_with(
        &waiver("PLB-RDS-003", DB, "2099-12-31"),
        &["--fail-on", "never"],
    );
    assert_eq!(code, 0, "{err}");
    let f = finding(&report, "PLB-RDS-003", DB);
    assert_eq!(f["status"], "waived");
    assert_eq!(f["waiver"]["approved_by"], "ciso@example.com");
    assert_eq!(f["waiver"]["expires"], "2099-12-31");
    assert!(f["waiver"]["reason"].as_str().unwrap().contains("RISK-42"));
    assert!(
        f["waiver"]["source"]
            .as_str()
            .unwrap()
            .ends_with("waivers.yaml:2")
    );
    let register = report["waivers"].as_array().unwrap();
    let entry = register
        .iter()
        .find(|w| w["policy"] == "PLB-RDS-003")
        .unwrap();
    assert_eq!(entry["state"], "active");
    assert_eq!(entry["matched"], 1);
    assert!(waiver_problems(&report).is_empty());
}

#[test]
fn inline_suppressions_are_in_the_register() {
    let (_, report) = scan_json(&["fixtures/demo", "--fail-on", "never"]);
    let inline: Vec<&Value> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["source"].as_str().unwrap().starts_with("inline "))
        .collect();
    assert!(!inline.is_empty());
    assert!(
        inline
            .iter()
            .all(|w| w["state"] == "active" && w["matched"] == 1)
    );
}

#[test]
fn an_expired_waiver_stops_waiving_and_is_reported() {
    let (code, report, err) = scan_with(
        &waiver("PLB-RDS-003", DB, "2020-01-31"),
        &["--fail-on", "critical"],
    );
    assert_eq!(code, 1, "the critical failure counts again: {err}");
    assert_eq!(finding(&report, "PLB-RDS-003", DB)["status"], "fail");
    let problems = waiver_problems(&report);
    assert!(
        problems.iter().any(|p| p.contains("expired on 2020-01-31")),
        "{problems:?}"
    );
    let entry = &report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["policy"] == "PLB-RDS-003")
        .unwrap();
    assert_eq!(entry["state"], "expired");
    assert_eq!(
        report["summary"]["errors"], 0,
        "a waiver problem is not an unread input"
    );
}

#[test]
fn a_waiver_that_matches_nothing_is_stale() {
    let (code, report, _) = scan_with(
        &(waiver("PLB-RDS-003", "tf:aws_db_instance.gone", "2099-01-01")
            + &waiver("PLB-NOPE-001", DB, "2099-01-01")),
        &["--fail-on", "never"],
    );
    assert_eq!(code, 0, "waiver problems do not make the scan incomplete");
    let problems = waiver_problems(&report);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("matches no failing finding")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("unknown policy PLB-NOPE-001")),
        "{problems:?}"
    );
    let states: Vec<&str> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| !w["source"].as_str().unwrap().starts_with("inline"))
        .map(|w| w["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["stale", "rejected"]);
}

#[test]
fn patterns_match_ids_names_and_globs() {
    // By name (the database identifier), and by a glob over ids.
    let (_, report, _) = scan_with(
        &(waiver("PLB-RDS-003", "payments-reporting", "2099-01-01")
            + &waiver("PLB-S3-*", "tf:aws_s3_bucket.*", "2099-01-01")),
        &["--fail-on", "never"],
    );
    assert_eq!(finding(&report, "PLB-RDS-003", DB)["status"], "waived");
    let s3: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["resource"]["id"]
                .as_str()
                .unwrap()
                .starts_with("tf:aws_s3_bucket.")
                && f["policy_id"].as_str().unwrap().starts_with("PLB-S3-")
        })
        .collect();
    assert!(!s3.is_empty());
    assert!(
        s3.iter()
            .all(|f| f["status"] == "waived" || f["status"] == "pass")
    );
}

#[test]
fn waivers_in_plumb_yaml_apply_and_bad_ones_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("plumb.yaml");
    fs::write(
        &config,
        format!(
            "fail_on: critical\nwaivers:\n{}",
            waiver("PLB-RDS-003", DB, "2099-01-01")
        ),
    )
    .unwrap();
    let root = root();
    let demo = root.join("fixtures/demo/terraform");
    let out = plumb_in(
        dir.path(),
        &["scan", demo.to_str().unwrap(), "--format", "json"],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(finding(&report, "PLB-RDS-003", DB)["status"], "waived");

    fs::write(
        &config,
        format!("waivers:\n{}", waiver("PLB-RDS-003", DB, "soon")),
    )
    .unwrap();
    let out = plumb_in(dir.path(), &["scan", demo.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("plumb.yaml:2: waiver: expires \"soon\""),
        "{}",
        stderr(&out)
    );

    fs::write(&config, "waivers:\n  - policy: PLB-RDS-003\n    resource: x\n    reason: r\n    expires: 2099-01-01\n").unwrap();
    let out = plumb_in(dir.path(), &["scan", demo.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("approved_by"), "{}", stderr(&out));
}

#[test]
fn waived_findings_show_their_waiver_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("w.yaml");
    fs::write(
        &file,
        format!("waivers:\n{}", waiver("PLB-RDS-003", DB, "2099-12-31")),
    )
    .unwrap();
    for format in ["console", "sarif", "junit", "markdown", "csv", "html"] {
        let out = plumb(&[
            "scan",
            "fixtures/demo/terraform",
            "--waivers",
            file.to_str().unwrap(),
            "--format",
            format,
            "--fail-on",
            "never",
        ]);
        let text = stdout(&out);
        assert!(text.contains("RISK-42"), "{format}: reason missing");
        assert!(text.contains("2099-12-31"), "{format}: expiry missing");
        assert!(
            text.contains("ciso@example.com") || text.contains("ciso&#64;example.com"),
            "{format}: approver missing"
        );
    }
    // An expired waiver is reported in every format too.
    fs::write(
        &file,
        format!("waivers:\n{}", waiver("PLB-RDS-003", DB, "2021-06-30")),
    )
    .unwrap();
    for format in ["console", "sarif", "junit", "markdown", "html"] {
        let out = plumb(&[
            "scan",
            "fixtures/demo/terraform",
            "--waivers",
            file.to_str().unwrap(),
            "--format",
            format,
            "--fail-on",
            "never",
        ]);
        assert!(
            stdout(&out).contains("expired on 2021-06-30"),
            "{format}: expiry not reported"
        );
    }
}
