//! Every output format: snapshots of the demo, SARIF validity, and determinism.

use crate::common;

use common::*;

#[test]
fn console_snapshot() {
    insta::assert_snapshot!(scan_stdout("console", "fixtures/demo"));
}

#[test]
fn json_snapshot() {
    let report: serde_json::Value =
        serde_json::from_str(&scan_stdout("json", "fixtures/demo/kubernetes")).unwrap();
    insta::assert_json_snapshot!(report, {
        ".scanned.collected_at" => "[time]",
        ".scanned.inventory_hash" => "[sha256]",
        ".scanned.sources.root" => "[root]",
        ".scanned.policy_pack.builtin" => "[version]",
        ".scanned.policy_pack.digest" => "[sha256]",
        ".tool.version" => "[version]",
        ".policies" => "[policies]",
    });
}

#[test]
fn sarif_snapshot() {
    let sarif: serde_json::Value =
        serde_json::from_str(&scan_stdout("sarif", "fixtures/demo/kubernetes")).unwrap();
    insta::assert_json_snapshot!(sarif, {
        ".runs[].tool.driver.version" => "[version]",
        ".runs[].tool.driver.semanticVersion" => "[version]",
    });
}

#[test]
fn json_report_has_the_documented_shape() {
    let (_, report) = scan_json(&["fixtures/demo", "--fail-on", "never"]);
    for key in [
        "schema", "tool", "summary", "findings", "errors", "policies", "scanned",
    ] {
        assert!(report.get(key).is_some(), "missing {key}");
    }
    assert_eq!(report["schema"], "plumb.dev/report/v1");
    let finding = &report["findings"][0];
    for key in [
        "policy_id",
        "title",
        "severity",
        "category",
        "status",
        "resource",
        "location",
        "message",
        "evidence",
        "fingerprint",
    ] {
        assert!(finding.get(key).is_some(), "finding lacks {key}: {finding}");
    }
    for key in ["id", "kind", "cloud_id", "name"] {
        assert!(
            finding["resource"].get(key).is_some(),
            "resource lacks {key}"
        );
    }
    for key in ["file", "start_line", "end_line"] {
        assert!(
            finding["location"].get(key).is_some(),
            "location lacks {key}"
        );
    }
    // Passes are listed too: the evidence of compliance.
    let statuses: std::collections::BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains("pass")
            && statuses.contains("fail")
            && statuses.contains("unknown")
            && statuses.contains("waived")
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("schemas/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    for path in [
        "fixtures/demo",
        "fixtures/demo/kubernetes",
        "fixtures/policies",
    ] {
        let args = [
            "scan",
            path,
            "--format",
            "sarif",
            "--fail-on",
            "never",
            "--keep-going",
        ];
        let out = plumb(&args);
        let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        let run = &sarif["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert!(!results.is_empty());
        for r in results {
            assert!(r["partialFingerprints"]["plumb/v1"].is_string());
            let rule = &run["tool"]["driver"]["rules"][r["ruleIndex"].as_u64().unwrap() as usize];
            assert_eq!(rule["id"], r["ruleId"]);
        }
    }
}

#[test]
fn sarif_fingerprints_survive_moved_lines() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string("fixtures/demo/kubernetes/batch.yaml").unwrap();
    std::fs::write(dir.path().join("batch.yaml"), &original).unwrap();
    let fingerprints = |d: &std::path::Path| {
        let out = plumb(&[
            "scan",
            d.to_str().unwrap(),
            "--format",
            "sarif",
            "--fail-on",
            "never",
        ]);
        let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut v: Vec<(String, String, u64)> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["plumb/v1"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    r["locations"][0]["physicalLocation"]["region"]["startLine"]
                        .as_u64()
                        .unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let before = fingerprints(dir.path());
    std::fs::write(
        dir.path().join("batch.yaml"),
        format!("# a comment\n\n\n{original}"),
    )
    .unwrap();
    let after = fingerprints(dir.path());
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!((&b.0, &b.1), (&a.0, &a.1));
        assert_eq!(a.2, b.2 + 3, "lines moved, fingerprints did not");
    }
}

#[test]
fn output_is_deterministic() {
    let strip = |s: String| {
        s.lines()
            .filter(|l| !l.contains("collected_at"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for format in ["json", "sarif", "console"] {
        let a = strip(scan_stdout(format, "fixtures/demo"));
        let b = strip(scan_stdout(format, "fixtures/demo"));
        assert_eq!(a, b, "{format} differs between runs");
    }
}

#[test]
fn writes_several_formats_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = plumb(&[
        "scan",
        "fixtures/demo",
        "--format",
        &format!("json={}/a/r.json", d.display()),
        "--format",
        &format!("sarif={}/r.sarif", d.display()),
        "--format",
        &format!("console={}/r.txt", d.display()),
        "--fail-on",
        "never",
    ]);
    assert_eq!(code(&out), 0);
    assert!(
        stdout(&out).is_empty(),
        "nothing on stdout when every format goes to a file"
    );
    let console = std::fs::read_to_string(d.join("r.txt")).unwrap();
    assert!(!console.contains('\u{1b}'), "no colour codes in files");
    assert!(std::fs::metadata(d.join("a/r.json")).unwrap().len() > 0);
}

#[test]
fn sarif_of_live_resources_gives_every_result_an_artifact() {
    use plumb::inventory::{Inventory, Metadata, Resource, Source};
    let mut db = Resource::new(
        "aws:123456789012:eu-west-1:aws_db_instance:billing",
        "aws_db_instance",
        Source::Aws {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
        },
    );
    db.attrs = serde_json::json!({"identifier": "billing", "publicly_accessible": true});
    let mut inv = Inventory::new(Metadata::default(), vec![db]);
    plumb::normalize::normalize(&mut inv.resources);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.json");
    std::fs::write(&path, serde_json::to_string(&inv).unwrap()).unwrap();
    let out = plumb(&["check", path.to_str().unwrap(), "--format", "sarif"]);
    assert_eq!(code(&out), 1);
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("schemas/sarif-schema-2.1.0.json")).unwrap();
    assert!(jsonschema::validator_for(&schema).unwrap().is_valid(&sarif));
    for r in sarif["runs"][0]["results"].as_array().unwrap() {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert_eq!(uri, "aws/123456789012/eu-west-1/aws_db_instance/billing");
    }
}
