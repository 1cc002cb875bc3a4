//! The Terraform HCL collector through the CLI: one test per behaviour a user relies on.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;
use serde_json::Value;

const ESTATE: &str = "fixtures/hcl/estate";

/// Scans with `--save-inventory` and returns (exit code, JSON report, inventory).
fn scan_with_inventory(args: &[&str]) -> (i32, Value, Value) {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.json");
    let mut all = vec!["scan", "--format", "json", "--save-inventory"];
    all.push(inv.to_str().unwrap());
    all.extend_from_slice(args);
    let out = plumb(&all);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&out)));
    let inventory: Value = serde_json::from_str(&fs::read_to_string(&inv).unwrap()).unwrap();
    (code(&out), report, inventory)
}

fn resource<'a>(inventory: &'a Value, id: &str) -> &'a Value {
    inventory["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| {
            let ids: Vec<&str> = inventory["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_str().unwrap())
                .collect();
            panic!("no {id} in {ids:#?}")
        })
}

fn finding<'a>(report: &'a Value, policy: &str, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy_id"] == policy && f["resource"]["id"] == id)
        .unwrap_or_else(|| panic!("no {policy} finding on {id}"))
}

fn error_messages(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}:{}: {}",
                e["scope"].as_str().unwrap(),
                e["line"],
                e["column"],
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// The line of `needle` in a fixture file.
fn line_of(file: &str, needle: &str) -> u64 {
    fs::read_to_string(root().join(file))
        .unwrap()
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not in {file}")) as u64
        + 1
}

#[test]
fn addresses_follow_terraform_for_count_for_each_and_modules() {
    let (_, _, inv) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    for id in [
        "tf:aws_ebs_volume.scratch[0]",
        "tf:aws_ebs_volume.scratch[1]",
        r#"tf:module.bucket["invoices"].aws_s3_bucket.this"#,
        r#"tf:module.bucket["scratch"].aws_s3_bucket_versioning.this"#,
        r#"tf:module.bucket["scratch"].module.lifecycle.aws_s3_bucket_lifecycle_configuration.this"#,
        "tf:module.network[0].aws_security_group.this",
        "tf:aws_db_instance.ledger",
        "tf:provider.aws",
        "tf:terraform.backend",
    ] {
        resource(&inv, id);
    }
    // Data sources are read by the provider, not resources of the estate.
    assert!(
        inv["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| !r["id"].as_str().unwrap().contains("data."))
    );
    assert_eq!(
        inv["metadata"]["collectors"][0]["collector"],
        "terraform-hcl"
    );
    assert_eq!(
        inv["metadata"]["collectors"][0]["scope"],
        "fixtures/hcl/estate/envs/prod"
    );
}

#[test]
fn known_values_are_evaluated_through_variables_locals_functions_and_templates() {
    let (_, report, inv) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    let bucket = resource(&inv, r#"tf:module.bucket["invoices"].aws_s3_bucket.this"#);
    // A for expression in a local that reads a local declared after it.
    assert_eq!(bucket["attrs"]["bucket"], "acme-prod-invoices");
    // Provider default_tags, built from a local and a .auto.tfvars.json value.
    assert_eq!(
        bucket["tags"],
        serde_json::json!({"CostCenter": "cc-finance", "Environment": "prod", "Owner": "platform"})
    );
    let db = resource(&inv, "tf:aws_db_instance.ledger");
    assert_eq!(
        db["attrs"]["backup_retention_period"], 14,
        "\"14\" converted to a number"
    );
    assert_eq!(db["attrs"]["multi_az"], true);
    let logs = resource(&inv, "tf:aws_cloudwatch_log_group.app");
    assert_eq!(
        logs["attrs"]["retention_in_days"], 90,
        "lookup() in a map default"
    );
    let scratch = resource(&inv, "tf:aws_ebs_volume.scratch[1]");
    assert_eq!(scratch["attrs"]["size"], 20, "count.index arithmetic");
    assert_eq!(scratch["attrs"]["availability_zone"], "eu-west-1a");
    // Dynamic blocks from a list of objects with optional types.
    let sg = resource(&inv, "tf:module.network[0].aws_security_group.this");
    assert_eq!(sg["attrs"]["ingress"][1]["from_port"], 3389);
    assert_eq!(
        sg["attrs"]["ingress"][1]["cidr_blocks"],
        serde_json::json!(["0.0.0.0/0"])
    );
    // A jsonencode() policy built from known values is evaluated: the TLS statement counts.
    let tls = finding(
        &report,
        "PLB-S3-002",
        r#"tf:module.bucket["invoices"].aws_s3_bucket.this"#,
    );
    assert_eq!(tls["status"], "pass");
    let versions = finding(
        &report,
        "PLB-S3-005",
        r#"tf:module.bucket["scratch"].aws_s3_bucket.this"#,
    );
    assert_eq!(
        versions["status"], "fail",
        "optional(bool, true) overridden to false"
    );
    assert_eq!(
        finding(
            &report,
            "PLB-S3-005",
            r#"tf:module.bucket["invoices"].aws_s3_bucket.this"#
        )["status"],
        "pass",
        "optional(bool, true) default"
    );
}

#[test]
fn variables_follow_terraform_precedence_and_types() {
    let dir = tempfile::tempdir().unwrap();
    let inv_path = dir.path().join("inv.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args([
            "scan",
            "fixtures/hcl/variables",
            "--var-file",
            "fixtures/hcl/variables/extra.tfvars",
            "--var",
            "v_cli=cli",
            "--var",
            r#"zones=["a", "b"]"#,
            "--fail-on",
            "never",
            "--save-inventory",
            inv_path.to_str().unwrap(),
        ])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("TF_VAR_v_env", "env")
        .env("TF_VAR_v_env_over", "env")
        .env("TF_VAR_days", "30")
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let inv: Value = serde_json::from_str(&fs::read_to_string(&inv_path).unwrap()).unwrap();
    let echo = resource(&inv, "tf:aws_cloudwatch_log_group.echo");
    assert_eq!(
        echo["attrs"]["tags"],
        serde_json::json!({
            "default": "default",
            "env": "env",
            "env_over": "tfvars",
            "tfvars": "tfvars",
            "json": "json",
            "auto": "auto-b",
            "file": "var-file",
            "cli": "cli",
            "zones": "a,b",
            "backups": 7,
        })
    );
    assert_eq!(
        echo["attrs"]["retention_in_days"], 30,
        "TF_VAR_days converted to number"
    );
    assert_eq!(echo["attrs"]["name"], "/acme/echo");

    let bad = plumb(&["scan", "fixtures/hcl/variables", "--var", "novalue"]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("NAME=VALUE"), "{}", stderr(&bad));
    let missing = plumb(&[
        "scan",
        "fixtures/hcl/variables",
        "--var-file",
        "nope.tfvars",
    ]);
    assert_eq!(code(&missing), 2);
    assert!(
        stderr(&missing).contains("nope.tfvars"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn unknown_values_give_unknown_verdicts_not_failures() {
    let (_, report, inv) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    // A variable nobody gave a value.
    let table = resource(&inv, "tf:aws_dynamodb_table.sessions");
    assert!(table["attrs"]["point_in_time_recovery"][0]["enabled"].is_null());
    assert!(
        table["unknown"]
            .as_array()
            .unwrap()
            .contains(&Value::from("/point_in_time_recovery/0/enabled"))
    );
    assert_eq!(
        finding(&report, "PLB-DDB-001", "tf:aws_dynamodb_table.sessions")["status"],
        "unknown"
    );
    // A data source.
    let logs = resource(&inv, "tf:aws_cloudwatch_log_group.app");
    assert!(
        logs["unknown"]
            .as_array()
            .unwrap()
            .contains(&Value::from("/kms_key_id"))
    );
    // A computed attribute of another resource: unknown, but which resource is known.
    let sse = resource(
        &inv,
        r#"tf:module.bucket["invoices"].aws_s3_bucket_server_side_encryption_configuration.this"#,
    );
    assert!(sse["attrs"]["bucket"].is_null());
    assert_eq!(
        sse["references"]["/bucket"],
        serde_json::json!([r#"tf:module.bucket["invoices"].aws_s3_bucket.this"#])
    );
    // No verdict rests on an unknown and fails.
    for f in report["findings"].as_array().unwrap() {
        if f["status"] == "fail" {
            assert!(
                f["evidence"]
                    .as_object()
                    .unwrap()
                    .values()
                    .all(|v| !v.is_null()),
                "a failure with unknown evidence: {f}"
            );
        }
    }
}

#[test]
fn satellites_link_to_their_parent_across_modules() {
    let (_, report, inv) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    let lifecycle = resource(
        &inv,
        r#"tf:module.bucket["scratch"].module.lifecycle.aws_s3_bucket_lifecycle_configuration.this"#,
    );
    assert_eq!(
        lifecycle["parent"],
        r#"tf:module.bucket["scratch"].aws_s3_bucket.this"#
    );
    let bucket = resource(&inv, r#"tf:module.bucket["scratch"].aws_s3_bucket.this"#);
    assert_eq!(bucket["facets"]["kms_key"], "tf:aws_kms_key.data");
    assert_eq!(bucket["facets"]["lifecycle_archive_days"], 90);
    assert_eq!(
        finding(
            &report,
            "PLB-S3-007",
            r#"tf:module.bucket["scratch"].aws_s3_bucket.this"#
        )["status"],
        "pass"
    );
}

#[test]
fn findings_point_at_the_attribute_and_name_the_module_calls() {
    let main = "fixtures/hcl/estate/envs/prod/main.tf";
    let (_, report, _) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    let backups = finding(&report, "PLB-RDS-004", "tf:aws_db_instance.ledger");
    assert_eq!(backups["status"], "fail");
    let line = line_of(main, "backup_retention_period");
    assert_eq!(
        backups["location"],
        serde_json::json!({"file": main, "start_line": line, "end_line": line})
    );
    // Inside a module: the module's file, and the chain of calls.
    let call = line_of(main, "module \"bucket\"");
    let versions = finding(
        &report,
        "PLB-S3-005",
        r#"tf:module.bucket["scratch"].aws_s3_bucket.this"#,
    );
    let location = &versions["location"];
    assert_eq!(
        location["file"],
        "fixtures/hcl/estate/modules/bucket/main.tf"
    );
    assert_eq!(
        location["start_line"],
        line_of(
            "fixtures/hcl/estate/modules/bucket/main.tf",
            "resource \"aws_s3_bucket\" \"this\""
        )
    );
    assert_eq!(
        location["module_calls"],
        serde_json::json!([format!("{main}:{call}")])
    );

    let sarif = plumb(&["scan", ESTATE, "--format", "sarif", "--fail-on", "never"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["ruleId"] == "PLB-S3-005"
                && r["properties"]["resource"]["id"]
                    == r#"tf:module.bucket["scratch"].aws_s3_bucket.this"#
        })
        .expect("a SARIF result");
    let related = &result["relatedLocations"][0];
    assert_eq!(related["physicalLocation"]["artifactLocation"]["uri"], main);
    assert_eq!(related["physicalLocation"]["region"]["startLine"], call);
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains(&format!("[{main}:{call}](1)"))
    );

    let console = stdout(&plumb(&["scan", ESTATE, "--fail-on", "never"]));
    assert!(
        console.contains(&format!("called from {main}:{call}")),
        "{console}"
    );
}

#[test]
fn inline_suppressions_waive_every_instance_and_work_inside_modules() {
    let (_, report, _) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    let main = "fixtures/hcl/estate/envs/prod/main.tf";
    for i in 0..2 {
        let f = finding(
            &report,
            "PLB-EBS-001",
            &format!("tf:aws_ebs_volume.scratch[{i}]"),
        );
        assert_eq!(f["status"], "waived");
        assert_eq!(f["waiver"]["reason"], "scratch space, wiped on every run");
        assert_eq!(
            f["waiver"]["source"],
            format!(
                "inline {main}:{}",
                line_of(main, "plumb:ignore PLB-EBS-001")
            )
        );
    }
    for key in ["invoices", "scratch"] {
        let f = finding(
            &report,
            "PLB-S3-006",
            &format!(r#"tf:module.bucket["{key}"].aws_s3_bucket.this"#),
        );
        assert_eq!(f["status"], "waived");
        assert_eq!(
            f["waiver"]["reason"],
            "access is audited through CloudTrail data events"
        );
    }
    let console = stdout(&plumb(&["scan", ESTATE, "--fail-on", "never"]));
    assert!(
        console.contains("scratch space, wiped on every run"),
        "{console}"
    );
}

#[test]
fn suppressions_without_reason_or_with_unknown_ids_are_reported() {
    let file = "fixtures/hcl/suppressions/main.tf";
    let (_, report) = scan_json(&["fixtures/hcl/suppressions", "--fail-on", "never"]);
    assert_eq!(
        finding(&report, "PLB-EBS-001", "tf:aws_ebs_volume.no_reason")["status"],
        "fail"
    );
    assert_eq!(
        finding(&report, "PLB-EBS-001", "tf:aws_ebs_volume.typo")["status"],
        "fail"
    );
    for key in ["a", "b", "c"] {
        assert_eq!(
            finding(
                &report,
                "PLB-EBS-001",
                &format!(r#"tf:aws_ebs_volume.each["{key}"]"#)
            )["status"],
            "waived"
        );
    }
    let errors = error_messages(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{file}:1:")) && e.contains("gives no reason")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(
            |e| e.starts_with(&format!("{file}:{}:", line_of(file, "PLB-NOPE-9")))
                && e.contains("unknown policy PLB-NOPE-9")
        ),
        "{errors:#?}"
    );
    assert_eq!(report["summary"]["rejected_suppressions"], 2, "{errors:#?}");
}

#[test]
fn state_backend_and_providers_become_resources() {
    let (_, report, inv) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    let backend = resource(&inv, "tf:terraform.backend");
    assert_eq!(backend["kind"], "terraform_backend");
    assert_eq!(backend["attrs"]["type"], "s3");
    assert_eq!(backend["attrs"]["dynamodb_table"], "terraform-locks");
    assert_eq!(
        backend["facets"],
        serde_json::json!({"remote_state": true, "state_encrypted": true, "state_locking": true})
    );
    for policy in ["PLB-TF-001", "PLB-TF-002", "PLB-TF-003"] {
        assert_eq!(
            finding(&report, policy, "tf:terraform.backend")["status"],
            "pass"
        );
    }
    let provider = resource(&inv, "tf:provider.aws");
    assert_eq!(provider["kind"], "terraform_provider");
    assert_eq!(provider["attrs"]["region"], "eu-west-1");

    // A root module without a backend block keeps its state locally.
    let (_, report) = scan_json(&["fixtures/hcl/json", "--fail-on", "never"]);
    let local = finding(&report, "PLB-TF-001", "tf:terraform.backend");
    assert_eq!(local["status"], "fail");
    assert!(local["message"].as_str().unwrap().contains("local backend"));
}

#[test]
fn called_modules_are_not_roots_and_installed_remote_modules_are_read() {
    let (code, report, inv) = scan_with_inventory(&["fixtures/hcl/discovery/live"]);
    assert_eq!(
        code, 1,
        "findings, but everything was read: {:?}",
        report["errors"]
    );
    let ids: Vec<&str> = inv["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"tf:module.app.aws_s3_bucket.this"), "{ids:?}");
    assert!(
        ids.contains(&"tf:module.vpc.aws_security_group.default"),
        "{ids:?}"
    );
    let logs = resource(&inv, "tf:module.app.aws_cloudwatch_log_group.this");
    assert_eq!(
        logs["attrs"]["retention_in_days"], 365,
        "the caller's input"
    );

    // Scanning the parent folder: the called module is still not a root of its own, so its
    // unset variables raise no false alarm.
    let (_, report, inv) = scan_with_inventory(&["fixtures/hcl/discovery", "--keep-going"]);
    let scopes: Vec<&str> = report["scanned"]["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["scope"].as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        [
            "fixtures/hcl/discovery/live",
            "fixtures/hcl/discovery/orphan"
        ]
    );
    assert!(
        inv["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"] != "tf:aws_s3_bucket.this"),
        "modules/app scanned as a root"
    );
}

#[test]
fn remote_modules_that_are_not_downloaded_are_reported() {
    // A warning, not an error: listed in every report, the rest judged, and the exit code is
    // the verdict's.
    let file = "fixtures/hcl/discovery/orphan/main.tf";
    let (code, report) = scan_json(&["fixtures/hcl/discovery/orphan", "--fail-on", "never"]);
    assert_eq!(code, 0, "{:?}", report["errors"]);
    let errors = error_messages(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with(&format!("{file}:1:1: module \"db\""))
                && e.contains("not downloaded")
                && e.contains("terraform init")),
        "{errors:#?}"
    );
    assert_eq!(report["errors"][0]["warning"], true);
    assert_eq!(report["summary"]["warnings"], 1);
    assert_eq!(report["summary"]["errors"], 0);
    // The rest of the module was scanned.
    finding(&report, "PLB-EBS-001", "tf:aws_ebs_volume.data");
    let console = stdout(&plumb(&["scan", "fixtures/hcl/discovery/orphan"]));
    assert!(
        console.contains("Warnings (1)")
            && console.contains("not downloaded")
            && console.contains("1 warning"),
        "{console}"
    );
}

#[test]
fn syntax_errors_give_file_line_and_column_and_keep_going_scans_the_rest() {
    let out = plumb(&["scan", "fixtures/hcl/errors/syntax", "--fail-fast"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("fixtures/hcl/errors/syntax/broken.tf:5:1: "),
        "{}",
        stderr(&out)
    );
    let (code, report) = scan_json(&["fixtures/hcl/errors/syntax", "--keep-going"]);
    assert_eq!(code, 2);
    assert_eq!(
        finding(&report, "PLB-EBS-001", "tf:aws_ebs_volume.data")["status"],
        "fail",
        "the good file of the same module is scanned"
    );
    assert!(
        error_messages(&report)
            .iter()
            .any(|e| e.starts_with("fixtures/hcl/errors/syntax/broken.tf:5:1: "))
    );
}

#[test]
fn modules_including_themselves_and_cycles_are_errors_not_loops() {
    let (code, report) = scan_json(&["fixtures/hcl/errors/module-cycle", "--keep-going"]);
    assert_eq!(code, 2);
    let errors = error_messages(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("module \"again\" includes itself")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("includes itself")
            && e.contains("errors/module-cycle/a -> fixtures/hcl/errors/module-cycle/b -> fixtures/hcl/errors/module-cycle/a")),
        "{errors:#?}"
    );
    let (_, report) = scan_json(&["fixtures/hcl/errors/locals-cycle", "--keep-going"]);
    let errors = error_messages(&report);
    assert!(
        errors.iter().any(|e| e.starts_with("fixtures/hcl/errors/locals-cycle/main.tf:2:3: dependency cycle: local.size -> local.twice -> local.size")),
        "{errors:#?}"
    );
}

#[test]
fn deeply_nested_and_huge_files_do_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("deep");
    fs::create_dir(&deep).unwrap();
    let depth = 100_000;
    fs::write(
        deep.join("main.tf"),
        format!(
            "locals {{\n  x = {}1{}\n}}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ),
    )
    .unwrap();
    let out = plumb(&[
        "scan",
        deep.to_str().unwrap(),
        "--keep-going",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = error_messages(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("main.tf:2:") && e.contains("nesting")),
        "{errors:#?}"
    );

    // Values nested by chains of locals are bounded too.
    let chain = dir.path().join("chain");
    fs::create_dir(&chain).unwrap();
    let mut text = String::from("locals {\n  l0 = 1\n");
    for i in 1..500 {
        text.push_str(&format!("  l{i} = [local.l{}]\n", i - 1));
    }
    text.push_str("}\n");
    fs::write(chain.join("main.tf"), text).unwrap();
    let out = plumb(&[
        "scan",
        chain.to_str().unwrap(),
        "--keep-going",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        error_messages(&report)
            .iter()
            .any(|e| e.contains("nested more than")),
        "{:#?}",
        error_messages(&report)
    );

    let huge = dir.path().join("huge");
    fs::create_dir(&huge).unwrap();
    let mut text = String::new();
    for i in 0..5_000 {
        text.push_str(&format!(
            "resource \"aws_ebs_volume\" \"v{i}\" {{\n  availability_zone = \"eu-west-1a\"\n  size = {i}\n  encrypted = {}\n}}\n",
            i % 2 == 0
        ));
    }
    fs::write(huge.join("main.tf"), text).unwrap();
    let (code, report) = scan_json(&[huge.to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["resources"], 5_001);
}

#[test]
fn json_syntax_is_read_like_native_syntax() {
    let file = "fixtures/hcl/json/main.tf.json";
    let (_, report, inv) = scan_with_inventory(&["fixtures/hcl/json", "--fail-on", "never"]);
    let bucket = resource(&inv, "tf:aws_s3_bucket.this");
    assert_eq!(bucket["attrs"]["bucket"], "acme-json");
    assert_eq!(bucket["source"]["start_line"], line_of(file, "\"this\": {"));
    let versioning = resource(&inv, "tf:aws_s3_bucket_versioning.this");
    assert_eq!(versioning["parent"], "tf:aws_s3_bucket.this");
    assert_eq!(
        finding(&report, "PLB-S3-005", "tf:aws_s3_bucket.this")["status"],
        "fail"
    );
    let waived = finding(&report, "PLB-S3-006", "tf:aws_s3_bucket.this");
    assert_eq!(waived["status"], "waived");
    assert_eq!(
        waived["waiver"]["reason"],
        "logs are shipped by the platform team"
    );
}

#[test]
fn file_functions_read_inside_the_scanned_directories_only() {
    let (_, report, inv) = scan_with_inventory(&["fixtures/hcl/files/root", "--keep-going"]);
    // templatefile() with a for directive renders the TLS policy.
    assert_eq!(
        finding(&report, "PLB-S3-002", "tf:aws_s3_bucket.site")["status"],
        "pass"
    );
    let notes = resource(&inv, "tf:aws_s3_bucket.notes");
    assert!(notes["attrs"]["tags"]["Note"].is_null());
    let errors = error_messages(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("fixtures/hcl/files/root/main.tf:12:")
                && e.contains("outside the scanned directories")),
        "{errors:#?}"
    );
    let text = serde_json::to_string(&report).unwrap() + &serde_json::to_string(&inv).unwrap();
    assert!(!text.contains("not for the scan"));
}

#[test]
fn an_unknown_count_is_reported_with_the_variable_to_set() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("main.tf"),
        "variable \"replicas\" {\n  type = number\n}\n\nresource \"aws_ebs_volume\" \"v\" {\n  count             = var.replicas\n  availability_zone = \"eu-west-1a\"\n  size              = 10\n}\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    // Not an error: the volume is judged once, as a representative instance, and the
    // report says which variable would give the real count.
    let (code, report) = scan_json(&[path, "--fail-on", "never"]);
    assert_eq!(code, 0, "{:?}", report["errors"]);
    let errors = error_messages(&report);
    assert!(
        errors.iter().any(|e| e.contains("main.tf:6:3: ")
            && e.contains("count depends on var.replicas, which has no value")
            && e.contains("aws_ebs_volume.v[*]")),
        "{errors:#?}"
    );
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["warning"] == true)
    );
    let representative = finding(&report, "PLB-EBS-001", "tf:aws_ebs_volume.v[*]");
    assert_eq!(representative["status"], "fail");
    assert!(
        representative["message"]
            .as_str()
            .unwrap()
            .contains("how many instances there are is not known before apply")
    );
    let (code, report) = scan_json(&[path, "--var", "replicas=2", "--fail-on", "never"]);
    assert_eq!(code, 0, "{:?}", report["errors"]);
    finding(&report, "PLB-EBS-001", "tf:aws_ebs_volume.v[1]");
}

#[test]
fn a_named_tf_file_is_a_module_of_its_own() {
    let (code, report) = scan_json(&["fixtures/hcl/errors/syntax/good.tf", "--fail-on", "never"]);
    assert_eq!(
        code, 0,
        "the broken sibling file is not read: {:?}",
        report["errors"]
    );
    finding(&report, "PLB-EBS-001", "tf:aws_ebs_volume.data");
}

#[test]
fn sensitive_values_never_reach_any_output() {
    let secret = "s3cr3t-estate-pw-9911";
    let (_, report, inv) = scan_with_inventory(&[ESTATE, "--fail-on", "never"]);
    assert!(!serde_json::to_string(&report).unwrap().contains(secret));
    assert!(!serde_json::to_string(&inv).unwrap().contains(secret));
    let db = resource(&inv, "tf:aws_db_instance.ledger");
    assert_eq!(db["attrs"]["password"], "[redacted]");
    for format in ["console", "sarif"] {
        let out = plumb(&[
            "scan",
            ESTATE,
            "--format",
            format,
            "--fail-on",
            "never",
            "--show-passed",
        ]);
        assert!(!stdout(&out).contains(secret), "{format}");
    }
}

/// The same configuration as HCL and as the plan Terraform writes for it gives the same
/// verdict for every resource and policy the plan describes. (A plan does not describe the
/// state backend or providers, which the HCL scan adds.)
#[test]
fn hcl_and_plan_of_the_same_configuration_give_identical_verdicts() {
    let verdicts_of = |path: &str| -> (BTreeMap<(String, String), String>, Value) {
        let (code, report) = scan_json(&[path, "--fail-on", "never"]);
        assert_eq!(code, 0, "{path}: {:?}", report["errors"]);
        (verdicts(&report), report)
    };
    let (from_plan, _) = verdicts_of("fixtures/hcl/equivalence/plan.json");
    let (from_hcl, hcl_report) = verdicts_of("fixtures/hcl/equivalence/config");
    let kinds: BTreeMap<String, String> = hcl_report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["resource"]["id"].as_str().unwrap().to_string(),
                f["resource"]["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let from_hcl: BTreeMap<_, _> = from_hcl
        .into_iter()
        .filter(|((_, id), _)| !kinds[id].starts_with("terraform_"))
        .collect();
    // Where they differ, the plan cannot tell: it shows a `jsonencode` with an ARN computed at
    // apply as unknown text, while the HCL scan keeps the document's structure and judges its
    // known statements. Everything the plan decides, the HCL scan decides the same way.
    let differ: Vec<(&(String, String), &String, &String)> = from_plan
        .iter()
        .filter_map(|(k, v)| {
            let h = &from_hcl[k];
            (h != v).then_some((k, v, h))
        })
        .collect();
    let exports = |p: &str| (p.to_string(), "tf:aws_s3_bucket.exports".to_string());
    assert_eq!(
        differ,
        [
            (
                &exports("PLB-S3-002"),
                &"unknown".to_string(),
                &"pass".to_string()
            ),
            (
                &exports("PLB-S3-004"),
                &"unknown".to_string(),
                &"pass".to_string()
            ),
        ]
    );
    assert_eq!(
        from_plan.keys().collect::<Vec<_>>(),
        from_hcl.keys().collect::<Vec<_>>()
    );
    let statuses: std::collections::BTreeSet<&str> =
        from_plan.values().map(String::as_str).collect();
    assert_eq!(
        statuses,
        ["fail", "pass", "unknown"].into_iter().collect(),
        "the fixture exercises every verdict"
    );
    assert!(
        from_plan.len() > 30,
        "{} verdicts compared",
        from_plan.len()
    );
    // And the inventories agree on which satellite belongs to which parent.
    let parents = |path: &str| -> BTreeMap<String, Value> {
        let (_, _, inv) = scan_with_inventory(&[path, "--fail-on", "never"]);
        inv["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| !r["kind"].as_str().unwrap().starts_with("terraform_"))
            .map(|r| (r["id"].as_str().unwrap().to_string(), r["parent"].clone()))
            .collect()
    };
    assert_eq!(
        parents("fixtures/hcl/equivalence/plan.json"),
        parents("fixtures/hcl/equivalence/config")
    );
}

#[test]
fn modules_json_with_a_missing_directory_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root_dir = dir.path();
    fs::create_dir_all(root_dir.join(".terraform/modules")).unwrap();
    fs::write(
        root_dir.join(".terraform/modules/modules.json"),
        r#"{"Modules":[{"Key":"vpc","Source":"x/vpc/aws","Dir":".terraform/modules/vpc"}]}"#,
    )
    .unwrap();
    fs::write(
        root_dir.join("main.tf"),
        "module \"vpc\" {\n  source = \"x/vpc/aws\"\n}\n",
    )
    .unwrap();
    let (code, report) = scan_json(&[root_dir.to_str().unwrap(), "--keep-going"]);
    assert_eq!(code, 2);
    let errors = error_messages(&report);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("main.tf:1:1: module \"vpc\": cannot read its source")),
        "{errors:#?}"
    );
    assert!(Path::new(root_dir).exists());
}

#[test]
fn policy_documents_are_rendered_as_terraform_reads_them_at_plan_time() {
    let dir = tempfile::tempdir().unwrap();
    let statement = |resources: &str| {
        format!(
            r#"  statement {{
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = {resources}
    principals {{
      type        = "*"
      identifiers = ["*"]
    }}
    condition {{
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }}
  }}"#
        )
    };
    fs::write(
        dir.path().join("main.tf"),
        format!(
            r#"resource "aws_s3_bucket" "known" {{
  bucket = "acme-known"
}}

data "aws_iam_policy_document" "known" {{
{}
}}

resource "aws_s3_bucket_policy" "known" {{
  bucket = aws_s3_bucket.known.id
  policy = data.aws_iam_policy_document.known.json
}}

resource "aws_s3_bucket" "later" {{
  bucket = "acme-later"
}}

data "aws_iam_policy_document" "later" {{
{}
}}

resource "aws_s3_bucket_policy" "later" {{
  bucket = aws_s3_bucket.later.id
  policy = data.aws_iam_policy_document.later.json
}}
"#,
            statement(r#"["arn:aws:s3:::acme-known", "arn:aws:s3:::acme-known/*"]"#),
            statement(r#"[aws_s3_bucket.later.arn, "${aws_s3_bucket.later.arn}/*"]"#),
        ),
    )
    .unwrap();
    let (_, report) = scan_json(&[dir.path().to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(report["errors"], serde_json::json!([]));
    // Known arguments: the document is known, as in a plan.
    assert_eq!(
        finding(&report, "PLB-S3-002", "tf:aws_s3_bucket.known")["status"],
        "pass"
    );
    // Resources known only after apply: the text of the document is too, but the statement
    // denying plain HTTP is known apart from its resources, and decides.
    assert_eq!(
        finding(&report, "PLB-S3-002", "tf:aws_s3_bucket.later")["status"],
        "pass"
    );
}

#[test]
fn functions_read_module_files_and_give_unknown_for_unknown_arguments() {
    let (_, report, inv) = scan_with_inventory(&["fixtures/hcl/functions/root", "--keep-going"]);
    let web = resource(&inv, "tf:module.app.aws_instance.web");
    // file() of JSON and templatefile() of a shell script, both under "${path.module}/".
    assert_eq!(web["attrs"]["instance_type"], "t3.micro");
    // Expected values from `terraform console`.
    assert_eq!(
        resource(&inv, "tf:module.app.terraform_data.boot_script")["attrs"]["input"],
        "#!/bin/sh\necho \"hello shop\"\nopen 80\nopen 443\n"
    );
    assert_eq!(web["tags"]["Name"], "shop", "coalesce(null, \"shop\")");
    assert!(web["tags"]["Created"].is_null(), "timestamp() is unknown");
    let manifest = resource(&inv, "tf:module.app.terraform_data.manifest");
    assert_eq!(
        manifest["attrs"]["input"],
        "\"apiVersion\": \"v1\"\n\"data\":\n  \"ports.txt\": |-\n    80\n    443\n\"kind\": \"ConfigMap\"\n\"metadata\":\n  \"name\": \"shop\"\n"
    );
    // cidrsubnet of an unset variable, element/lookup/length of a data source: unknown.
    let subnet = resource(&inv, "tf:aws_subnet.a");
    assert!(subnet["attrs"]["cidr_block"].is_null());
    assert!(subnet["attrs"]["availability_zone"].is_null());
    assert!(subnet["tags"]["Name"].is_null());
    assert!(subnet["tags"]["Count"].is_null());
    // The only error: a call with too many arguments, at its line.
    let line = line_of("fixtures/hcl/functions/root/main.tf", "upper(\"a\", \"b\")");
    let errors = error_messages(&report);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].starts_with(&format!("fixtures/hcl/functions/root/main.tf:{line}:"))
            && errors[0].ends_with(": function \"upper\" takes 1 argument, got 2"),
        "{errors:#?}"
    );
}

#[test]
fn values_not_modules_are_ordered_so_real_configurations_have_no_false_cycles() {
    // A provider configured from a module output, two modules reading each other's unrelated
    // outputs, a data source reading a module output, a local between them, and a module whose
    // for_each is known only after apply.
    let (code, report, inv) = scan_with_inventory(&["fixtures/hcl/graph", "--fail-on", "never"]);
    assert_eq!(code, 0, "{:?}", report["errors"]);
    let errors = error_messages(&report);
    assert!(
        errors.iter().all(|e| !e.contains("dependency cycle")),
        "{errors:#?}"
    );
    // The one problem listed is the warning for the representative instance.
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 1, "{errors:#?}");
    assert!(errors[0].contains("fixtures/hcl/graph/main.tf:58:3: module.zone: for_each"));

    let helm = resource(&inv, "tf:provider.helm");
    assert_eq!(
        helm["attrs"]["kubernetes"][0]["host"],
        "https://cluster.example.internal"
    );
    let release = resource(&inv, "tf:helm_release.agent");
    assert_eq!(release["attrs"]["name"], "agent-blue");
    // The volume's key comes from the other module, which reads this one's role.
    assert_eq!(
        finding(
            &report,
            "PLB-EBS-001",
            "tf:module.cluster.aws_ebs_volume.data"
        )["status"],
        "pass"
    );
    let scratch = finding(
        &report,
        "PLB-EBS-001",
        "tf:module.zone[*].aws_ebs_volume.scratch",
    );
    assert_eq!(scratch["status"], "fail");
    // The bucket policy's document is known but for the ARNs computed at apply.
    let policy = resource(&inv, "tf:aws_s3_bucket_policy.logs");
    assert_eq!(
        policy["attrs"]["policy"]["Statement"][0]["Action"],
        "s3:GetObject"
    );
    let unknown: Vec<&str> = policy["unknown"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(
        unknown.contains(&"/policy/Statement/0/Resource"),
        "{unknown:?}"
    );
    assert!(!unknown.contains(&"/policy"), "{unknown:?}");
}

#[test]
fn repeated_object_keys_resource_references_and_null_arguments_read_as_terraform_reads_them() {
    let (code, report, inv) =
        scan_with_inventory(&["fixtures/hcl/constructs", "--fail-on", "never"]);
    assert_eq!(code, 0, "{:?}", report["errors"]);
    assert!(report["errors"].as_array().unwrap().is_empty());
    let tagged = resource(&inv, "tf:aws_ebs_volume.tagged");
    assert_eq!(tagged["attrs"]["tags"]["Name"], "second");
    assert!(tagged["attrs"]["tags"]["Group"].is_null());
    assert!(
        tagged["unknown"]
            .as_array()
            .unwrap()
            .contains(&Value::from("/tags/Group"))
    );
    // Lines hold although the repeated key was marked for the parser.
    assert_eq!(tagged["attr_lines"]["/tags"], 13);
    assert_eq!(tagged["attr_lines"]["/type"], 21);
}
