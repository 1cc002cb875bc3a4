//! Dockerfiles and GitHub Actions workflows through the real binary, and a repository that
//! holds every input plumb reads side by side (`fixtures/inputs/repo`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common;

const REPO: &str = "fixtures/inputs/repo";

/// Secrets planted in the repository fixture: a value under a secret's name in an `ENV`, and
/// a GitHub token shape under a plain `ARG` name.
const PLANTED: &[&str] = &[
    "planted-dockerfile-secret-9f3e",
    "ghp_PlantedTokenShape0123456789abcdefABCD",
];

/// Runs plumb in the repository root without `helm` on PATH (so the chart is not scanned,
/// whatever the machine has).
fn plumb(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .current_dir(common::root())
        .env("PATH", "/nonexistent")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn scan(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let out = plumb(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", common::stderr(&out)));
    (common::code(&out), report)
}

/// Failed findings as (policy, file:line).
fn failures(report: &Value) -> Vec<(String, String)> {
    common::failed(
        report,
        ["/policy_id", "/location/file", "/location/start_line"],
    )
    .into_iter()
    .map(|[p, file, line]| (p, format!("{file}:{line}")))
    .collect()
}

#[test]
fn dockerfiles_are_judged_at_the_offending_line() {
    let (code, report) = scan(&[&format!("{REPO}/services")]);
    assert_eq!(code, 1, "{report}");
    let mut got: Vec<(String, String)> = failures(&report)
        .into_iter()
        .filter(|(p, _)| p.starts_with("PLB-DKR"))
        .collect();
    got.sort();
    let api = format!("{REPO}/services/api/Dockerfile");
    let worker = format!("{REPO}/services/worker/worker.Dockerfile");
    let want: Vec<(String, String)> = [
        ("PLB-DKR-001", format!("{api}:4")),
        ("PLB-DKR-001", format!("{worker}:1")),
        ("PLB-DKR-003", format!("{worker}:1")),
        ("PLB-DKR-005", format!("{api}:9")),
        ("PLB-DKR-006", format!("{api}:11")),
        ("PLB-DKR-006", format!("{worker}:2")),
        ("PLB-DKR-007", format!("{worker}:5")),
        ("PLB-DKR-008", format!("{worker}:3")),
    ]
    .into_iter()
    .map(|(p, l)| (p.to_string(), l))
    .collect();
    assert_eq!(got, want);
    // The Containerfile is read and passes everything.
    let verdicts = common::verdicts(&report);
    let web = format!("dockerfile:{REPO}/services/web/Containerfile");
    let web_verdicts: Vec<&String> = verdicts
        .iter()
        .filter(|((_, r), _)| *r == web)
        .map(|(_, s)| s)
        .collect();
    assert!(!web_verdicts.is_empty(), "{verdicts:?}");
    assert!(web_verdicts.iter().all(|s| *s == "pass"), "{verdicts:?}");
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy_id"] == "PLB-DKR-008" && f["status"] == "fail")
        .unwrap()["message"]
        .as_str()
        .unwrap();
    assert_eq!(
        message,
        "apt libpq5 (line 3), pip celery (line 3) install without a version"
    );
}

#[test]
fn workflows_under_dot_github_are_judged_and_nothing_else_there_is() {
    let (_, report) = scan(&[REPO]);
    let ids: Vec<&str> = report["scanned"]["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["collector"] == "github-actions")
        .map(|c| c["scope"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            format!("{REPO}/.github/workflows/ci.yml"),
            format!("{REPO}/.github/workflows/deploy.yml")
        ]
    );
    let text = report.to_string();
    assert!(!text.contains("dependabot"), "{text}");
    let mut got: Vec<(String, String)> = failures(&report)
        .into_iter()
        .filter(|(p, _)| p.starts_with("PLB-GHA"))
        .collect();
    got.sort();
    let ci = format!("{REPO}/.github/workflows/ci.yml");
    let deploy = format!("{REPO}/.github/workflows/deploy.yml");
    let want: Vec<(String, String)> = [
        ("PLB-GHA-001", format!("{ci}:13")),
        ("PLB-GHA-001", format!("{deploy}:13")),
        ("PLB-GHA-002", format!("{deploy}:8")),
        ("PLB-GHA-005", format!("{deploy}:1")),
        ("PLB-GHA-006", format!("{deploy}:7")),
    ]
    .into_iter()
    .map(|(p, l)| (p.to_string(), l))
    .collect();
    assert_eq!(got, want);
    let gha5 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy_id"] == "PLB-GHA-005" && f["status"] == "fail")
        .unwrap();
    assert_eq!(
        gha5["message"],
        "job deploy prints a secret (line 12), azure/k8s-set-context@v4 gets a secret (job deploy, line 13)"
    );
}

#[test]
fn a_repository_with_every_input_side_by_side() {
    let (code, report) = scan(&[REPO]);
    // The chart cannot be rendered without helm: incomplete, exit 2.
    assert_eq!(code, 2, "{}", report["errors"]);
    let kinds: BTreeMap<String, usize> =
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, f| {
                *m.entry(f["resource"]["kind"].as_str().unwrap().to_string())
                    .or_default() += 1;
                m
            });
    for kind in [
        "aws_s3_bucket",
        "k8s/Deployment",
        "dockerfile",
        "github_workflow",
    ] {
        assert!(kinds.contains_key(kind), "{kind} not judged: {kinds:?}");
    }
    let collectors: Vec<&str> = report["scanned"]["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["collector"].as_str().unwrap())
        .collect();
    for c in [
        "dockerfile",
        "github-actions",
        "kubernetes-manifest",
        "kustomize",
        "terraform-hcl",
    ] {
        assert!(collectors.contains(&c), "{c}: {collectors:?}");
    }
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("helm template {REPO}/charts/web")),
        "{errors:?}"
    );
    // The overlay's object points at the base file that holds it, rendered with the
    // overlay's namespace; the base is not judged on its own.
    let verdicts = common::verdicts(&report);
    assert!(
        verdicts
            .keys()
            .any(|(_, r)| r == "k8s:manifest:apps/Deployment:shop-prod/api"),
        "{verdicts:?}"
    );
    assert!(
        !verdicts
            .keys()
            .any(|(_, r)| r.ends_with("Deployment:default/api") || r.ends_with("Deployment:/api")),
        "{verdicts:?}"
    );
    let files = &report["scanned"]["files"];
    assert_eq!(files["judged"], 8, "{files}");
}

#[test]
fn planted_secrets_are_redacted_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = |f: &str| dir.path().join(f).display().to_string();
    let outputs = [
        ("console", "c.txt"),
        ("json", "r.json"),
        ("sarif", "r.sarif"),
        ("junit", "r.xml"),
        ("markdown", "r.md"),
        ("csv", "r.csv"),
        ("html", "r.html"),
    ];
    let mut args = vec![
        "scan".to_string(),
        REPO.to_string(),
        "--show-passed".to_string(),
        "--save-inventory".to_string(),
        path("inventory.json"),
    ];
    for (format, file) in outputs {
        args.push("--format".into());
        args.push(format!("{format}={}", path(file)));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = plumb(&args);
    assert_eq!(common::code(&out), 2, "{}", common::stderr(&out));
    let mut files: Vec<&str> = outputs.iter().map(|(_, f)| *f).collect();
    files.push("inventory.json");
    for file in files {
        let bytes = std::fs::read(path(file)).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("PLB-DKR-006") || file == "inventory.json",
            "{file}"
        );
        for secret in PLANTED {
            assert!(!text.contains(secret), "{file} leaks {secret}");
        }
    }
    let stdout = common::stdout(&out) + &common::stderr(&out);
    for secret in PLANTED {
        assert!(!stdout.contains(secret), "stdout/stderr leak {secret}");
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn bad_dockerfiles_and_workflows_are_named_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM alpine:3.20\n\nRUNN echo hi\n",
    );
    write(
        dir.path(),
        "build/tools.Dockerfile",
        "FROM alpine:3.20\nRUN <<EOF\necho never closed\n",
    );
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  - build\n",
    );
    write(
        dir.path(),
        ".github/workflows/broken.yaml",
        "on: push\njobs:\n  a: {\n",
    );
    let d = dir.path().display().to_string();
    let out = plumb(&["scan", &d]);
    assert_eq!(common::code(&out), 2, "{}", common::stdout(&out));
    let text = common::stdout(&out) + &common::stderr(&out);
    for want in [
        format!("{d}/Dockerfile:3: unknown instruction \"RUNN\""),
        format!("{d}/build/tools.Dockerfile:2: heredoc <<EOF is never closed"),
        format!("{d}/.github/workflows/ci.yml:3: `jobs:` must map job ids to jobs"),
        format!("{d}/.github/workflows/broken.yaml:"),
    ] {
        assert!(text.contains(&want), "{want} not in:\n{text}");
    }
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn settings_admit_registries_and_action_owners() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        "FROM 123456789012.dkr.ecr.eu-west-1.amazonaws.com/base/python:3.12\nUSER 10001\n",
    );
    write(
        dir.path(),
        ".github/workflows/ci.yml",
        "on: push\npermissions: {contents: read}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n",
    );
    let d = dir.path().display().to_string();
    let status = |report: &Value, policy: &str| -> String {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["policy_id"] == policy)
            .map_or("none".into(), |f| f["status"].as_str().unwrap().to_string())
    };
    let (_, strict) = scan(&["--show-passed", &d]);
    assert_eq!(status(&strict, "PLB-DKR-001"), "fail");
    assert_eq!(status(&strict, "PLB-GHA-001"), "fail");
    let config = dir.path().join("plumb.yaml");
    std::fs::write(
        &config,
        "settings:\n  allowed_registries: [.dkr.ecr.eu-west-1.amazonaws.com]\n  trusted_action_owners: [actions]\n",
    )
    .unwrap();
    let (_, relaxed) = scan(&["--config", config.to_str().unwrap(), &d]);
    assert_eq!(status(&relaxed, "PLB-DKR-001"), "pass");
    assert_eq!(status(&relaxed, "PLB-GHA-001"), "pass");
}

#[test]
fn a_workflow_named_on_the_command_line_is_judged_wherever_it_is() {
    let (code, report) = scan(&["fixtures/policies/PLB-GHA-002/fail/job.yml"]);
    assert_eq!(code, 1, "{report}");
    let failed = failures(&report);
    assert!(
        failed.contains(&(
            "PLB-GHA-002".into(),
            "fixtures/policies/PLB-GHA-002/fail/job.yml:6".into()
        )),
        "{failed:?}"
    );
}
