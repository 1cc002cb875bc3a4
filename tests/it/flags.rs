//! The flags other scanners' users type (`--severity`, `--check`, `--skip-check`,
//! `--skip-path`, `-q`, `-o`, `--fail-on-unknown`, `--no-remediation`), their environment
//! variables and plumb.yaml settings; exit codes a CI can trust; fix guidance in the console,
//! HTML and Markdown; unknowns that name what to set; `check` deriving facets.

use crate::common;

use common::*;
use serde_json::Value;
use std::fs;
use std::process::{Command, Output};

const DEMO: &str = "fixtures/demo";

/// `plumb` from the repository root with extra environment variables.
fn plumb_env(env: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(out)))
}

fn failing(report: &Value) -> Vec<(String, String, String)> {
    common::failed(report, ["/policy_id", "/resource/id", "/severity"])
        .into_iter()
        .map(|[p, r, s]| (p, r, s))
        .collect()
}

fn policy_ids(report: &Value) -> Vec<String> {
    report["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn severity_check_and_skip_check_choose_the_policies_judged() {
    let (exit, all) = scan_json(&[DEMO, "--fail-on", "never"]);
    assert_eq!(exit, 0);
    let total = policy_ids(&all).len();

    let (_, r) = scan_json(&[DEMO, "--fail-on", "never", "--severity", "HIGH,Critical"]);
    let sevs: Vec<&str> = r["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["severity"].as_str().unwrap())
        .collect();
    assert!(!sevs.is_empty() && sevs.len() < total);
    assert!(
        sevs.iter().all(|s| ["high", "critical"].contains(s)),
        "{sevs:?}"
    );
    assert!(
        failing(&r)
            .iter()
            .all(|(_, _, s)| s == "high" || s == "critical")
    );

    let (_, r) = scan_json(&[DEMO, "--fail-on", "never", "--check", "plb-s3-*"]);
    let ids = policy_ids(&r);
    assert!(
        !ids.is_empty() && ids.iter().all(|id| id.starts_with("PLB-S3-")),
        "{ids:?}"
    );

    let (_, r) = scan_json(&[DEMO, "--fail-on", "never", "--check", "cis-aws-3.0"]);
    let policies = r["policies"].as_array().unwrap();
    assert!(!policies.is_empty() && policies.len() < total);
    assert!(
        policies
            .iter()
            .all(|p| p["controls"]["cis-aws-3.0"].is_array())
    );

    let (_, r) = scan_json(&[DEMO, "--fail-on", "never", "--check", "encryption"]);
    assert!(
        r["policies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["category"] == "encryption")
    );

    let (_, r) = scan_json(&[
        DEMO,
        "--fail-on",
        "never",
        "--skip-check",
        "PLB-S3-*,tagging",
    ]);
    let ids = policy_ids(&r);
    assert!(ids.iter().all(|id| !id.starts_with("PLB-S3-")), "{ids:?}");
    assert!(!ids.iter().any(|id| id.starts_with("PLB-TAG-")), "{ids:?}");

    // A name that matches nothing is a warning, not a silent everything.
    let out = plumb(&[
        "scan",
        DEMO,
        "--fail-on",
        "never",
        "--check",
        "PLB-S3-*,PLB-NOPE-*",
        "-f",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--check PLB-NOPE-*: matches no policy"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn flags_are_environment_variables_and_plumb_yaml_settings() {
    let out = plumb_env(
        &[("PLUMB_SEVERITY", "critical"), ("PLUMB_FAIL_ON", "NEVER")],
        &["scan", DEMO, "-f", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json_of(&out);
    assert!(
        r["policies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["severity"] == "critical")
    );
    // --fail-on-unknown by environment: the demo has unknowns.
    let out = plumb_env(
        &[("PLUMB_FAIL_ON_UNKNOWN", "true")],
        &["scan", DEMO, "--fail-on", "never", "-q"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("plumb.yaml");
    fs::write(
        &config,
        "disable: [PLB-S3-*, PLB-GONE-001]\nskip_check: [tagging]\nseverity: [HIGH, critical, medium, low, info]\nfail_on: never\n",
    )
    .unwrap();
    let out = plumb(&[
        "scan",
        DEMO,
        "--config",
        config.to_str().unwrap(),
        "-f",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let ids = policy_ids(&json_of(&out));
    assert!(!ids.is_empty());
    assert!(
        ids.iter()
            .all(|id| !id.starts_with("PLB-S3-") && !id.starts_with("PLB-TAG-"))
    );
    assert!(
        stderr(&out).contains("disable: PLB-GONE-001: matches no policy"),
        "{}",
        stderr(&out)
    );
    // The command line wins over plumb.yaml.
    let out = plumb(&[
        "scan",
        DEMO,
        "--config",
        config.to_str().unwrap(),
        "-f",
        "json",
        "--skip-check",
        "network",
    ]);
    let ids = policy_ids(&json_of(&out));
    assert!(
        ids.iter().any(|id| id.starts_with("PLB-TAG-")),
        "--skip-check replaced skip_check"
    );
}

#[test]
fn output_writes_the_one_format_and_quiet_keeps_only_what_matters() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("r.sarif");
    let out = plumb(&["scan", DEMO, "-f", "sarif", "-o", sarif.to_str().unwrap()]);
    assert_eq!(code(&out), 1);
    assert!(out.stdout.is_empty(), "the report went to the file");
    let log: Value = serde_json::from_str(&fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(log["version"], "2.1.0");
    // Without --format, the extension names it.
    let json = dir.path().join("r.json");
    plumb(&["scan", DEMO, "--output", json.to_str().unwrap()]);
    let r: Value = serde_json::from_str(&fs::read_to_string(&json).unwrap()).unwrap();
    assert!(r["summary"]["fail"].as_u64().unwrap() > 0);
    let bad = plumb(&["scan", DEMO, "-f", "json", "-f", "html", "-o", "x"]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("FORMAT=PATH"), "{}", stderr(&bad));

    let loud = stdout(&plumb(&["scan", DEMO]));
    let quiet = plumb(&["scan", DEMO, "-q"]);
    let text = stdout(&quiet);
    assert!(
        loud.contains("Waived (") && loud.contains("Could not decide ("),
        "{loud}"
    );
    assert!(
        !text.contains("Waived (") && !text.contains("Could not decide ("),
        "{text}"
    );
    assert!(
        text.contains("PLB-RDS-003") && text.contains("77 resources"),
        "{text}"
    );
}

#[test]
fn skip_path_leaves_matching_files_unread_and_says_so() {
    let (_, r) = scan_json(&[DEMO, "--fail-on", "never", "--skip-path", "kubernetes"]);
    let kinds: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["kind"].as_str().unwrap())
        .collect();
    assert!(!kinds.is_empty());
    assert!(kinds.iter().all(|k| !k.starts_with("k8s/")), "{kinds:?}");
    let skipped = r["scanned"]["files"]["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["reason"] == "--skip-path kubernetes"
                && s["path"].as_str().unwrap().ends_with("kubernetes")),
        "{skipped:?}"
    );
    let (_, r) = scan_json(&[DEMO, "--fail-on", "never", "--skip-path", "**/*.tfstate"]);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["resource"]["id"].as_str().unwrap().contains("warehouse")),
        "the state file's database was read"
    );
}

/// A KMS key in a state file, and a policy whose condition cannot be evaluated on it.
fn broken_policy_estate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let state = serde_json::json!({
        "version": 4, "terraform_version": "1.9.8", "lineage": "l", "serial": 1,
        "resources": [{"mode": "managed", "type": "aws_kms_key", "name": "k", "instances": [
            {"attributes": {"enable_key_rotation": true, "tags": {"Owner": "a", "Environment": "b", "CostCenter": "c"}}}]}]
    });
    fs::write(dir.path().join("terraform.tfstate"), state.to_string()).unwrap();
    fs::create_dir(dir.path().join("policies")).unwrap();
    fs::write(
        dir.path().join("policies/broken.yaml"),
        "id: ACME-ERR-001\ntitle: t\nseverity: low\ncategory: encryption\nkinds: [aws_kms_key]\ncondition: int(resource.name) > 0\n",
    )
    .unwrap();
    dir
}

#[test]
fn error_findings_exit_2_and_unknowns_fail_only_when_asked() {
    let dir = broken_policy_estate();
    let d = dir.path().to_str().unwrap();
    let state = format!("{d}/terraform.tfstate");
    let policies = format!("{d}/policies");
    let out = plumb(&["scan", &state, "--policies", &policies, "--no-builtin"]);
    let text = stdout(&out);
    assert_eq!(
        code(&out),
        2,
        "a policy that cannot be evaluated is no pass: {text}"
    );
    assert!(text.contains("1 check error,"), "{text}");
    assert!(text.contains("Evaluation errors (1)"), "{text}");

    // The demo has unknowns: they are counted, and fail the run only with --fail-on-unknown.
    let out = plumb(&["scan", DEMO, "--fail-on", "never"]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).contains(" unknown, 0 check errors"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        code(&plumb(&[
            "scan",
            DEMO,
            "--fail-on",
            "never",
            "--fail-on-unknown"
        ])),
        1
    );
    // Severities in any case.
    assert_eq!(code(&plumb(&["scan", DEMO, "--fail-on", "CRITICAL"])), 1);
}

#[test]
fn unknown_verdicts_name_the_variable_to_set() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("main.tf"),
        "variable \"volume_encrypted\" {\n  type = bool\n}\n\nresource \"aws_ebs_volume\" \"data\" {\n  availability_zone = \"eu-west-1a\"\n  size              = 10\n  encrypted         = var.volume_encrypted\n}\n",
    )
    .unwrap();
    let (_, r) = scan_json(&[dir.path().to_str().unwrap(), "--fail-on", "never"]);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy_id"] == "PLB-EBS-001")
        .unwrap();
    assert_eq!(f["status"], "unknown", "{f}");
    let m = f["message"].as_str().unwrap();
    assert!(
        m.contains(
            "var.volume_encrypted has no value: --var volume_encrypted=VALUE or a .tfvars file"
        ),
        "{m}"
    );
    // Set as the message says, it is decided.
    let (_, r) = scan_json(&[
        dir.path().to_str().unwrap(),
        "--fail-on",
        "never",
        "--var",
        "volume_encrypted=true",
    ]);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy_id"] == "PLB-EBS-001")
        .unwrap();
    assert_eq!(f["status"], "pass", "{f}");
}

#[test]
fn console_html_and_markdown_say_how_to_fix_each_failing_policy() {
    let text = stdout(&plumb(&["scan", DEMO]));
    let fix = text.find("How to fix (").expect("a How to fix section");
    let line = text[fix..]
        .lines()
        .find(|l| l.trim_start().starts_with("PLB-RDS-003"))
        .unwrap();
    assert!(
        line.contains("publicly_accessible = false") && line.contains("→ https://"),
        "{line}"
    );
    let hidden = stdout(&plumb(&["scan", DEMO, "--no-remediation"]));
    assert!(!hidden.contains("How to fix ("));

    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("r.html");
    let md = dir.path().join("r.md");
    plumb(&[
        "scan",
        DEMO,
        "-f",
        &format!("html={}", html.display()),
        "-f",
        &format!("md={}", md.display()),
    ]);
    let page = fs::read_to_string(&html).unwrap();
    let doc = stdout(&plumb(&["policies", "show", "PLB-RDS-003"]));
    assert!(page.contains("id=\"fix-PLB-RDS-003\""));
    assert!(page.contains("href=\"#fix-PLB-RDS-003\""));
    // Rationale and references as the policy states them.
    let at = page.find("id=\"fix-PLB-RDS-003\"").unwrap();
    let article = &page[at..at + page[at..].find("</article>").unwrap()];
    assert!(article.contains("<pre class=\"remediation\">"), "{article}");
    assert!(article.contains("href=\"https:"), "{article}");
    assert!(
        article.contains("<p>Databases belong in private subnets"),
        "{article}"
    );
    assert!(doc.contains("Databases belong in private subnets"), "{doc}");
    // Within each resource, failures come before anything else.
    for group in page.split("<tbody class=\"resource").skip(1) {
        let statuses: Vec<&str> = group
            .split("data-status=\"")
            .skip(1)
            .map(|s| &s[..s.find('"').unwrap()])
            .collect();
        if let Some(last_fail) = statuses.iter().rposition(|s| *s == "fail") {
            assert!(
                statuses[..last_fail].iter().all(|s| *s == "fail"),
                "{statuses:?}"
            );
        }
    }
    let md = fs::read_to_string(&md).unwrap();
    assert!(md.len() <= plumb::report::markdown::LIMIT);
    let fixes = &md[md.find("#### How to fix").expect("a How to fix section")..];
    assert!(fixes.contains("**PLB-RDS-003**"), "{fixes}");
    assert!(fixes.contains("publicly\\_accessible = false"), "{fixes}");
}

#[test]
fn check_derives_facets_and_agrees_with_drift_and_scan() {
    let after = "fixtures/drift/live-after.json";
    let out = plumb(&["check", after, "-f", "json", "--fail-on", "never"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = json_of(&out);
    assert_eq!(r["summary"]["unknown"], 0, "facets were derived");
    let sg = "aws:123456789012:eu-west-1:aws_security_group:sg-0a1b2c3d4e5f60001";
    let fails = failing(&r);
    assert!(
        fails.contains(&("PLB-SG-001".into(), sg.into(), "high".into())),
        "{fails:?}"
    );
    // Drift judges the same file the same way.
    let d = plumb(&[
        "drift",
        "--from",
        "fixtures/drift/live-before.json",
        "--to",
        after,
        "--format",
        "json",
    ]);
    let d = json_of(&d);
    let new = d["findings"]["new"].as_array().unwrap();
    assert!(!new.is_empty());
    for f in new.iter().filter(|f| f["after"] == "fail") {
        let key = (
            f["policy_id"].as_str().unwrap().to_string(),
            f["resource"]["id"].as_str().unwrap().to_string(),
            f["severity"].as_str().unwrap().to_string(),
        );
        assert!(fails.contains(&key), "drift fails {key:?}, check does not");
    }
    // And a saved inventory without its facets is judged as the scan judged it.
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.json");
    let (_, scanned) = scan_json(&[
        DEMO,
        "--fail-on",
        "never",
        "--save-inventory",
        inv.to_str().unwrap(),
    ]);
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&inv).unwrap()).unwrap();
    for r in doc["resources"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("facets");
    }
    fs::write(&inv, doc.to_string()).unwrap();
    let checked = json_of(&plumb(&[
        "check",
        inv.to_str().unwrap(),
        "-f",
        "json",
        "--fail-on",
        "never",
    ]));
    assert_eq!(verdicts(&checked), verdicts(&scanned));
}

#[test]
fn lint_rejects_a_mistyped_kind() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("p.yaml"),
        "id: ACME-S3-001\ntitle: t\nseverity: low\ncategory: encryption\nkinds: [aws_s3_bukket]\ncondition: resource.facets.versioning == true\n",
    )
    .unwrap();
    let out = plumb(&[
        "policies",
        "lint",
        "--policies",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("p.yaml:1"), "{err}");
    assert!(err.contains("did you mean aws_s3_bucket?"), "{err}");
}
