//! Baselines: `--write-baseline` accepts today's failures; `--baseline` fails only on new
//! ones, and recognises the same resource after moved lines, reordered files and renamed
//! `count` / `for_each` keys.

use crate::common;

use common::*;
use serde_json::{Value, json};
use std::fs;
use std::path::Path;

/// An EBS volume instance in a v4 state: no ARN or id, so only its address and content
/// identify it.
fn volume(module: &str, name: &str, key: Value, size: u64) -> Value {
    let mut r = json!({
        "mode": "managed", "type": "aws_ebs_volume", "name": name,
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"attributes": {"encrypted": false, "size": size, "availability_zone": "eu-west-1a",
            "tags": {"Owner": "a", "Environment": "b", "CostCenter": "c"}}}]
    });
    if !key.is_null() {
        r["instances"][0]["index_key"] = key;
    }
    if !module.is_empty() {
        r["module"] = json!(module);
    }
    r
}

fn bucket(name: &str) -> Value {
    json!({
        "mode": "managed", "type": "aws_s3_bucket", "name": name,
        "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
        "instances": [{"attributes": {"bucket": format!("acme-{name}"),
            "arn": format!("arn:aws:s3:::acme-{name}"),
            "tags": {"Owner": "a", "Environment": "b", "CostCenter": "c"}}}]
    })
}

fn state(resources: Vec<Value>) -> String {
    serde_json::to_string_pretty(&json!({
        "version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "l",
        "outputs": {}, "resources": resources
    }))
    .unwrap()
}

fn scan(dir: &Path, extra: &[&str]) -> (i32, Value, String) {
    let d = dir.to_str().unwrap();
    let mut args = vec!["scan", d, "--format", "json"];
    args.extend_from_slice(extra);
    let out = plumb(&args);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", stderr(&out)));
    (code(&out), report, stderr(&out))
}

/// (policy, resource) -> baseline state of every failure.
fn states(report: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = common::failed(report, ["/policy_id", "/resource/id", "/baseline"])
        .into_iter()
        .map(|[p, r, b]| (p, r, b))
        .collect();
    v.sort();
    v
}

struct Estate {
    dir: tempfile::TempDir,
    baseline: String,
}

impl Estate {
    /// An estate whose failures are recorded in a baseline.
    fn new(resources: Vec<Value>) -> Estate {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("infra")).unwrap();
        fs::write(dir.path().join("infra/terraform.tfstate"), state(resources)).unwrap();
        let baseline = dir.path().join("plumb-baseline.json");
        let baseline = baseline.to_str().unwrap().to_string();
        let (code, report, err) = scan(&dir.path().join("infra"), &["--write-baseline", &baseline]);
        assert_eq!(code, 0, "writing a baseline accepts every failure: {err}");
        assert!(report["summary"]["fail"].as_u64().unwrap() > 0);
        assert_eq!(report["summary"]["baseline"]["new"], 0);
        Estate { dir, baseline }
    }

    fn rescan(&self, resources: Vec<Value>) -> (i32, Value) {
        let infra = self.dir.path().join("infra");
        fs::write(infra.join("terraform.tfstate"), state(resources)).unwrap();
        let (code, report, err) = scan(&infra, &["--baseline", &self.baseline]);
        assert_ne!(code, 2, "{err}");
        (code, report)
    }
}

#[test]
fn the_same_estate_passes_against_its_baseline() {
    let resources = vec![bucket("logs"), volume("", "data", Value::Null, 10)];
    let estate = Estate::new(resources.clone());
    let written: Value =
        serde_json::from_str(&fs::read_to_string(&estate.baseline).unwrap()).unwrap();
    assert_eq!(written["schema"], "plumb.dev/baseline/v1");
    assert!(!written["findings"].as_array().unwrap().is_empty());
    let (code, report) = estate.rescan(resources);
    assert_eq!(code, 0);
    assert!(states(&report).iter().all(|s| s.2 == "baselined"));
    assert_eq!(report["summary"]["baseline"]["new"], 0);
    assert_eq!(report["summary"]["baseline"]["resolved"], 0);
}

#[test]
fn a_new_failure_fails_the_run_and_is_marked_new() {
    let estate = Estate::new(vec![bucket("logs")]);
    let (code, report) = estate.rescan(vec![bucket("logs"), bucket("exports")]);
    assert_eq!(code, 1, "a new failing bucket fails the run");
    for (policy, resource, state) in states(&report) {
        let expected = if resource.contains("exports") {
            "new"
        } else {
            "baselined"
        };
        assert_eq!(state, expected, "{policy} on {resource}");
    }
    let b = &report["summary"]["baseline"];
    assert!(b["new"].as_u64().unwrap() > 0 && b["baselined"].as_u64().unwrap() > 0);
}

#[test]
fn moved_lines_and_reordered_resources_keep_their_identity() {
    let estate = Estate::new(vec![bucket("logs"), volume("", "data", Value::Null, 10)]);
    // Reversed order: every line of the file moves.
    let (code, report) = estate.rescan(vec![volume("", "data", Value::Null, 10), bucket("logs")]);
    assert_eq!(code, 0);
    assert!(states(&report).iter().all(|s| s.2 == "baselined"));
}

#[test]
fn reordered_files_keep_their_identity() {
    let estate = Estate::new(vec![bucket("logs"), volume("", "data", Value::Null, 10)]);
    let infra = estate.dir.path().join("infra");
    // The same resources, split over two files in another order.
    fs::write(infra.join("terraform.tfstate"), state(vec![])).unwrap();
    fs::write(
        infra.join("a.tfstate"),
        state(vec![volume("", "data", Value::Null, 10)]),
    )
    .unwrap();
    fs::write(infra.join("b.tfstate"), state(vec![bucket("logs")])).unwrap();
    let (code, report, err) = scan(&infra, &["--baseline", &estate.baseline]);
    assert_eq!(code, 0, "{err}");
    assert!(states(&report).iter().all(|s| s.2 == "baselined"));
}

#[test]
fn a_renamed_count_index_is_the_same_resource() {
    let estate = Estate::new(vec![volume("", "data", json!(0), 10)]);
    // count -> for_each: data[0] becomes data["primary"], same volume.
    let (code, report) = estate.rescan(vec![volume("", "data", json!("primary"), 10)]);
    assert_eq!(code, 0, "{:#?}", states(&report));
    let s = states(&report);
    assert!(!s.is_empty());
    assert!(
        s.iter()
            .all(|s| s.1 == "tf:aws_ebs_volume.data[\"primary\"]" && s.2 == "baselined")
    );
    assert_eq!(report["summary"]["baseline"]["resolved"], 0);
}

#[test]
fn a_resource_moved_into_a_module_is_the_same_resource() {
    let estate = Estate::new(vec![volume("", "data", Value::Null, 10)]);
    let (code, report) = estate.rescan(vec![volume("module.storage", "data", Value::Null, 10)]);
    assert_eq!(code, 0, "{:#?}", states(&report));
    assert!(states(&report).iter().all(|s| s.2 == "baselined"));
}

#[test]
fn a_different_resource_at_a_renamed_index_is_new() {
    let estate = Estate::new(vec![volume("", "data", json!(0), 10)]);
    // Another volume (other content) under another key: not the baselined one.
    let (code, report) = estate.rescan(vec![volume("", "data", json!("big"), 500)]);
    assert_eq!(code, 1);
    assert!(states(&report).iter().all(|s| s.2 == "new"));
    assert!(report["summary"]["baseline"]["resolved"].as_u64().unwrap() > 0);
}

#[test]
fn fixed_failures_are_counted_as_resolved() {
    let estate = Estate::new(vec![bucket("logs"), volume("", "data", Value::Null, 10)]);
    let (code, report) = estate.rescan(vec![bucket("logs")]);
    assert_eq!(code, 0);
    assert!(report["summary"]["baseline"]["resolved"].as_u64().unwrap() > 0);
}

#[test]
fn every_format_says_which_failures_are_new() {
    let estate = Estate::new(vec![bucket("logs")]);
    let infra = estate.dir.path().join("infra");
    fs::write(
        infra.join("terraform.tfstate"),
        state(vec![bucket("logs"), bucket("exports")]),
    )
    .unwrap();
    let run = |format: &str| {
        let out = plumb(&[
            "scan",
            infra.to_str().unwrap(),
            "--baseline",
            &estate.baseline,
            "--format",
            format,
        ]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        stdout(&out)
    };
    let console = run("console");
    assert!(
        console.contains("NEW") && console.contains("(baselined)"),
        "{console}"
    );
    assert!(console.contains("against baseline"), "{console}");
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["baselineState"].as_str())
        .collect();
    assert!(
        states.contains(&"new") && states.contains(&"unchanged"),
        "{states:?}"
    );
    let markdown = run("markdown");
    assert!(markdown.contains("new failure"), "{markdown}");
    assert!(markdown.contains("🆕"), "{markdown}");
    let csv = run("csv");
    assert!(
        csv.contains(",new,") && csv.contains(",baselined,"),
        "{csv}"
    );
    let junit = run("junit");
    assert!(junit.contains("accepted in the baseline"), "{junit}");
    let html = run("html");
    assert!(html.contains("data-baseline=\"new\"") && html.contains("new failures"));
}

#[test]
fn a_broken_baseline_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.json");
    fs::write(
        &path,
        "{\n  \"schema\": \"plumb.dev/baseline/v1\",\n  \"findings\": [,]\n}",
    )
    .unwrap();
    let out = plumb(&[
        "scan",
        "fixtures/demo",
        "--baseline",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("b.json:3:"), "{}", stderr(&out));
    fs::write(&path, "{\"schema\": \"plumb.dev/report/v1\"}").unwrap();
    let out = plumb(&[
        "scan",
        "fixtures/demo",
        "--baseline",
        path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("baseline schema"), "{}", stderr(&out));
}
