//! The command line as a CI job and a user meet it: inputs, exit codes, errors.

use crate::common;

use common::*;
use std::fs;

#[test]
fn demo_scan_fails_on_findings_and_passes_with_fail_on_never() {
    let out = plumb(&["scan", "fixtures/demo"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("PLB-RDS-003"), "{text}");
    assert!(text.contains("77 resources"), "{text}");
    assert_eq!(
        code(&plumb(&["scan", "fixtures/demo", "--fail-on", "never"])),
        0
    );
}

#[test]
fn fail_on_threshold_counts_only_failures_at_or_above_it() {
    // The KMS key case fails only a medium policy.
    let case = "fixtures/policies/PLB-KMS-001/fail/not-rotating.case.yaml";
    let dir = tempfile::tempdir().unwrap();
    // A case file is not a scannable input; give the scanner the same facts as a state file.
    let state = serde_json::json!({
        "version": 4, "terraform_version": "1.9.8", "lineage": "l", "serial": 1,
        "resources": [{"mode": "managed", "type": "aws_kms_key", "name": "k", "instances": [
            {"attributes": {"enable_key_rotation": false, "tags": {"Owner": "a", "Environment": "b", "CostCenter": "c"}}}]}]
    });
    let path = dir.path().join("terraform.tfstate");
    fs::write(&path, state.to_string()).unwrap();
    let p = path.to_str().unwrap();
    assert!(fs::metadata(case).is_ok());
    assert_eq!(code(&plumb(&["scan", p, "--fail-on", "medium"])), 1);
    assert_eq!(code(&plumb(&["scan", p, "--fail-on", "high"])), 0);
    assert_eq!(code(&plumb(&["scan", p])), 1, "default threshold is low");
    let bad = plumb(&["scan", p, "--fail-on", "severe"]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("--fail-on"), "{}", stderr(&bad));
}

#[test]
fn malformed_input_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("plan.json"),
        "{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [,]\n}\n",
    )
    .unwrap();
    // The report is still written, and lists each problem.
    let out = plumb(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("Not read (2)"), "{report}");
    assert!(report.contains("broken.yaml:"), "{report}");
    assert!(report.contains("plan.json:3:"), "{report}");
    // --fail-fast stops before judging anything.
    let out = plumb(&["scan", dir.path().to_str().unwrap(), "--fail-fast"]);
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(err.contains("broken.yaml:"), "{err}");
    assert!(err.contains("plan.json:3:"), "{err}");
}

#[test]
fn keep_going_reports_errors_and_scans_everything_else() {
    let dir = broken_beside_good();
    let (code, report) = scan_json(&[dir.path().to_str().unwrap(), "--keep-going"]);
    assert_eq!(code, 2, "an incomplete scan is not a clean verdict");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0]["scope"]
            .as_str()
            .unwrap()
            .ends_with("broken.yaml")
    );
    assert!(errors[0]["line"].as_u64().is_some());
    assert_eq!(
        report["summary"]["resources"], 3,
        "api.yaml was still scanned"
    );
}

#[test]
fn recognises_files_by_content_and_skips_hidden_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A state under an unusual name, named explicitly.
    fs::copy(
        "fixtures/demo/terraform/legacy.tfstate",
        d.join("prod-state.txt"),
    )
    .unwrap();
    // Copies that must not be read: hidden folders.
    for hidden in [".terraform/modules", ".git"] {
        fs::create_dir_all(d.join(hidden)).unwrap();
        fs::copy(
            "fixtures/demo/kubernetes/api.yaml",
            d.join(hidden).join("api.yaml"),
        )
        .unwrap();
    }
    // Unrelated YAML and JSON in a walked folder are skipped, not errors.
    fs::write(
        d.join("docker-compose.yml"),
        "services:\n  web:\n    image: nginx\n",
    )
    .unwrap();
    fs::write(d.join("package.json"), "{\"name\": \"x\"}").unwrap();
    fs::copy("fixtures/demo/kubernetes/api.yaml", d.join("api.yaml")).unwrap();

    let named = d.join("prod-state.txt");
    let (_, report) = scan_json(&[named.to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(
        report["scanned"]["collectors"][0]["collector"],
        "terraform-state"
    );

    let (code, report) = scan_json(&[d.to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(code, 0);
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| !id.contains('@')),
        "hidden copies were read: {ids:?}"
    );
    assert_eq!(
        report["summary"]["resources"], 3,
        "only api.yaml's three objects"
    );
}

#[test]
fn a_named_file_that_is_no_known_source_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.json");
    fs::write(&f, "{\"hello\": 1}").unwrap();
    let out = plumb(&["scan", f.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("not a Terraform plan"), "{report}");
    let missing = plumb(&["scan", "no/such/dir"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("no/such/dir: no such file or directory"));
}

#[test]
fn secrets_never_reach_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let json = format!("json={d}/r.json");
    let sarif = format!("sarif={d}/r.sarif");
    let console = format!("console={d}/r.txt");
    let inventory = format!("{d}/inventory.json");
    let out = plumb(&[
        "scan",
        "fixtures/demo",
        "--format",
        &json,
        "--format",
        &sarif,
        "--format",
        &console,
        "--format",
        "console",
        "--show-passed",
        "--save-inventory",
        &inventory,
    ]);
    assert_eq!(code(&out), 1);
    let mut texts = vec![stdout(&out), stderr(&out)];
    for f in ["r.json", "r.sarif", "r.txt", "inventory.json"] {
        texts.push(fs::read_to_string(dir.path().join(f)).unwrap());
    }
    for text in &texts {
        for secret in PLANTED_SECRETS {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }
    assert!(
        texts[5].contains("[redacted]"),
        "the inventory marks what it redacted"
    );
}

#[test]
fn a_saved_inventory_gives_the_same_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.json");
    let (_, scanned) = scan_json(&["fixtures/demo", "--save-inventory", inv.to_str().unwrap()]);
    let out = plumb(&["check", inv.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code(&out), 1);
    let checked: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdicts(&scanned), verdicts(&checked));

    fs::write(&inv, "{\"schema\": \"other\"}").unwrap();
    let out = plumb(&["check", inv.to_str().unwrap()]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("inventory schema"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bad_policies_are_rejected_before_scanning_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("mine.yaml"),
        "id: ACME-001\ntitle: t\nseverity: high\ncategory: encryption\nkinds: [aws_s3_bucket]\ncondition: resource.facets.versioning &&\n",
    )
    .unwrap();
    let out = plumb(&[
        "scan",
        "fixtures/demo",
        "--policies",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(
        err.contains("mine.yaml:6: ACME-001: condition is not valid CEL"),
        "{err}"
    );
}

#[test]
fn custom_policies_and_settings_apply() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("acme.yaml"),
        r#"
- id: ACME-LOG-001
  title: Log groups keep logs a full year
  severity: high
  category: retention
  kinds: [aws_cloudwatch_log_group]
  condition: resource.facets.log_retention_days == 0 || resource.facets.log_retention_days >= config.audit_days
  message: "{{ resource.name }} keeps {{ resource.facets.log_retention_days }} days"
"#,
    )
    .unwrap();
    fs::write(
        dir.path().join("plumb.yaml"),
        "settings:\n  audit_days: 365\npolicies: [.]\n",
    )
    .unwrap();
    let config = dir.path().join("plumb.yaml");
    let (_, report) = scan_json(&[
        "fixtures/demo/terraform",
        "--config",
        config.to_str().unwrap(),
        "--no-builtin",
    ]);
    let v = verdicts(&report);
    assert_eq!(
        v[&(
            "ACME-LOG-001".into(),
            "tf:aws_cloudwatch_log_group.app".into()
        )],
        "fail"
    );
    assert_eq!(
        v[&(
            "ACME-LOG-001".into(),
            "tf:aws_cloudwatch_log_group.audit".into()
        )],
        "pass"
    );
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "fail")
        .unwrap();
    assert_eq!(f["message"], "/payments/app keeps 30 days");
    assert_eq!(f["evidence"]["config.audit_days"], 365);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(code(&plumb(&["scan", "--format", "xml"])), 2);
    assert_eq!(code(&plumb(&["frobnicate"])), 2);
    assert_eq!(code(&plumb(&["--version"])), 0);
}

#[test]
fn suppressions_without_reason_are_reported_and_not_honoured() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("pod.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    plumb.dev/ignore: \"PLB-K8S-001; PLB-NOPE-1 typo\"\nspec:\n  containers:\n  - name: c\n    image: x:1\n    securityContext: {privileged: true}\n",
    )
    .unwrap();
    let (_, report) = scan_json(&[dir.path().to_str().unwrap(), "--fail-on", "never"]);
    let v = verdicts(&report);
    assert_eq!(
        v[&(
            "PLB-K8S-001".into(),
            "k8s:manifest:core/Pod:default/p".into()
        )],
        "fail"
    );
    let errors: Vec<String> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("gives no reason")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("unknown policy PLB-NOPE-1")),
        "{errors:?}"
    );
}

/// The fenced block of `lang` in the README section headed `heading` whose first line is
/// `first`, without that line; or the first block of the section when `first` is empty.
fn readme_block(heading: &str, lang: &str, first: &str) -> String {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let at = readme
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading}"));
    let section = &readme[at..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let fence = format!("```{lang}\n");
    for block in section.split(&fence).skip(1) {
        let block = &block[..block.find("```").unwrap()];
        // Indented blocks (in a list item) lose their indentation.
        let indent = block.len() - block.trim_start_matches(' ').len();
        let lines: Vec<&str> = block
            .lines()
            .map(|l| {
                l.get(indent.min(l.len() - l.trim_start().len())..)
                    .unwrap_or(l)
            })
            .collect();
        if first.is_empty() || lines.first().is_some_and(|l| l.trim() == first) {
            return lines
                .iter()
                .skip(usize::from(!first.is_empty()))
                .map(|l| format!("{l}\n"))
                .collect();
        }
    }
    panic!("no ```{lang} block starting {first:?} under {heading}");
}

#[test]
fn the_readme_plumb_yaml_example_works_as_written() {
    let yaml = readme_block("## Configuration: `plumb.yaml`", "yaml", "");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("plumb.yaml"), &yaml).unwrap();
    let demo = root().join("fixtures/demo");
    let out = plumb_in(dir.path(), &["scan", demo.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "fails on high findings: {}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    assert!(stdout(&out).contains("77 resources"), "{}", stdout(&out));
}

#[test]
fn the_readme_tutorial_works_verbatim() {
    let heading = "## Write your first policy";
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for file in [
        "my-policies/ACME-LOG-001.yaml",
        "my-tests/ACME-LOG-001/fail/thirty-days.case.yaml",
        "my-tests/ACME-LOG-001/pass/a-year.case.yaml",
    ] {
        let text = readme_block(heading, "yaml", &format!("# {file}"));
        fs::create_dir_all(d.join(file).parent().unwrap()).unwrap();
        fs::write(d.join(file), text).unwrap();
    }
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let demo = root().join("fixtures/demo");
    let demo = demo.to_str().unwrap();
    let steps: [(&str, i32); 3] = [
        ("plumb policies lint --policies my-policies", 0),
        (
            "plumb scan fixtures/demo --policies my-policies --no-builtin",
            1,
        ),
        (
            "plumb policies test --policies my-policies --no-builtin --fixtures my-tests",
            0,
        ),
    ];
    for (command, expected) in steps {
        assert!(
            readme.contains(&format!("`{command}`")),
            "the README no longer says {command}"
        );
        let args: Vec<String> = command
            .split_whitespace()
            .skip(1)
            .map(|a| {
                if a == "fixtures/demo" {
                    demo.to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = plumb_in(d, &args);
        assert_eq!(
            code(&out),
            expected,
            "{command}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        if command.contains(" scan ") {
            assert!(stdout(&out).contains("/payments/app"), "{}", stdout(&out));
        }
    }
}

#[test]
fn policies_list_columns_line_up() {
    let text = stdout(&plumb(&["policies", "list"]));
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("PLB-")).collect();
    assert!(rows.len() > 100, "{text}");
    let starts: std::collections::BTreeSet<Vec<usize>> = rows
        .iter()
        .map(|l| {
            // Where each of the first three columns ends: two spaces after it.
            let mut ends = Vec::new();
            let mut from = 0;
            for _ in 0..3 {
                let word_end = from + l[from..].find(' ').unwrap();
                let next = word_end + l[word_end..].find(|c: char| c != ' ').unwrap();
                ends.push(next);
                from = next;
            }
            ends
        })
        .collect();
    assert_eq!(
        starts.len(),
        1,
        "columns start at different places: {starts:?}"
    );
}

#[test]
fn help_lists_md_and_speaks_only_of_what_each_command_takes() {
    let scan = stdout(&plumb(&["scan", "--help"]));
    assert!(scan.contains("markdown (or md)"), "{scan}");
    for command in [&["check", "--help"][..], &["collect", "k8s", "--help"]] {
        let help = stdout(&plumb(command));
        assert!(!help.is_empty(), "{command:?}");
        assert!(!help.contains("paths to scan"), "{command:?}: {help}");
    }
}

#[cfg(feature = "aws")]
#[test]
fn collect_aws_quiet_still_says_what_could_not_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inv.json");
    // Nothing listens there: every call fails.
    let out = common::aws::plumb_aws(
        "http://127.0.0.1:9",
        &[
            "collect",
            "aws",
            "-q",
            "-o",
            inv.to_str().unwrap(),
            "--regions",
            "eu-west-1",
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("could not be read"),
        "-q printed nothing: {err}"
    );
}
