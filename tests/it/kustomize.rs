//! Kustomize, Helm charts and file classification through the real binary; plumb's own
//! Kustomize rendering compared with `kubectl kustomize` on the fixtures.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::common;

/// The objects of a rendering, by `kind namespace/name`.
fn by_id(objects: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    objects
        .into_iter()
        .map(|o| {
            let text = |p: &str| {
                o.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            (
                format!(
                    "{} {}/{}",
                    text("/kind"),
                    text("/metadata/namespace"),
                    text("/metadata/name")
                ),
                o,
            )
        })
        .collect()
}

fn kubectl_kustomize(dir: &Path) -> Option<BTreeMap<String, Value>> {
    let out = match Command::new("kubectl").arg("kustomize").arg(dir).output() {
        Ok(out) => out,
        Err(_) => {
            eprintln!(
                "notice: kubectl is not on PATH; the comparison with kubectl kustomize is skipped"
            );
            return None;
        }
    };
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs = plumb::yaml::documents(&text).unwrap();
    Some(by_id(docs.iter().map(|d| d.to_json())))
}

#[test]
fn renderings_equal_kubectl_kustomize() {
    for dir in [
        "fixtures/kustomize/app/overlays/prod",
        "fixtures/kustomize/app/base",
        "fixtures/kustomize/provenance/overlay",
    ] {
        let dir = common::root().join(dir);
        let rendering = plumb::collect::kubernetes::kustomize::render(&dir);
        assert!(rendering.errors.is_empty(), "{:?}", rendering.errors);
        let ours = by_id(rendering.objects.into_iter().map(|o| o.value));
        let Some(theirs) = kubectl_kustomize(&dir) else {
            return;
        };
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            theirs.keys().collect::<Vec<_>>(),
            "{}",
            dir.display()
        );
        for (id, theirs) in &theirs {
            assert_eq!(&ours[id], theirs, "{id} in {}", dir.display());
        }
    }
}

#[test]
fn findings_point_at_the_patch_that_set_the_offending_value() {
    let out = common::plumb(&["scan", "--format", "json", "fixtures/kustomize/provenance"]);
    let report: Value = serde_json::from_str(&common::stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    let failed: Vec<[String; 3]> = common::failed(
        &report,
        ["/policy_id", "/location/file", "/location/start_line"],
    )
    .into_iter()
    .map(|[id, file, line]| {
        let file = file
            .strip_prefix("fixtures/kustomize/provenance/")
            .map_or(file.clone(), str::to_string);
        [id, file, line]
    })
    .collect();
    let mut failed: Vec<[&str; 3]> = failed
        .iter()
        .map(|[id, file, line]| [id.as_str(), file.as_str(), line.as_str()])
        .collect();
    failed.sort();
    // Lines counted in the fixture files. The base alone is compliant: every failure comes
    // from the overlay, and points at what in the overlay set the offending value.
    assert_eq!(
        failed,
        [
            // `privileged: true`, on its line in the patch file.
            ["PLB-K8S-001", "overlay/privileged.yaml", "12"],
            // `:latest` from the overlay's `images:` entry.
            ["PLB-K8S-005", "overlay/kustomization.yaml", "23"],
            // The inline patch's `readOnlyRootFilesystem: false`, on its line in
            // kustomization.yaml; the other container is compliant, so the failing one is
            // found by judging each container on its own.
            ["PLB-K8S-006", "overlay/kustomization.yaml", "21"],
            // A privileged container allows escalation: the same patch line.
            ["PLB-K8S-008", "overlay/privileged.yaml", "12"],
            // `replicas:` sets the count to 1.
            ["PLB-K8S-009", "overlay/kustomization.yaml", "26"],
        ]
    );

    // The console names the site of each finding set in another file than the one its
    // resource is shown at (here the first finding's, kustomization.yaml:21).
    let out = common::plumb(&["scan", "fixtures/kustomize/provenance"]);
    let text = common::stdout(&out);
    assert_eq!(
        text.matches("at fixtures/kustomize/provenance/overlay/privileged.yaml:12\n")
            .count(),
        2,
        "{text}"
    );
    assert!(!text.contains("at fixtures/kustomize/provenance/overlay/kustomization.yaml"));
}

#[test]
fn overlays_are_judged_bases_are_not_judged_raw_and_secrets_stay_redacted() {
    let out = common::plumb(&["scan", "--format", "json", "fixtures/kustomize/app"]);
    let text = common::stdout(&out);
    assert!(
        !text.contains("fixture-password-not-real"),
        "a generated secret leaked"
    );
    let report: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    let ids: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["resource"]["id"].as_str())
        .collect();
    assert!(
        ids.contains(&"k8s:manifest:apps/Deployment:shop-prod/prod-api-v2"),
        "{ids:?}"
    );
    // The base on its own is not judged: only the overlay that includes it.
    assert!(
        !ids.iter().any(|id| id.ends_with("Deployment:default/api")),
        "{ids:?}"
    );
    let deployment = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["id"] == "k8s:manifest:apps/Deployment:shop-prod/prod-api-v2")
        .unwrap();
    let file = deployment["location"]["file"].as_str().unwrap_or_default();
    assert!(file.ends_with("base/deployment.yaml"), "{deployment}");
    assert_eq!(deployment["location"]["start_line"], 1);
    let runs = report["scanned"]["collectors"].as_array().unwrap();
    assert!(
        runs.iter().any(|r| r["collector"] == "kustomize"
            && r["scope"].as_str().unwrap().ends_with("overlays/prod")),
        "{runs:?}"
    );
    assert!(
        !runs.iter().any(
            |r| r["collector"] == "kustomize" && r["scope"].as_str().unwrap().ends_with("base")
        ),
        "{runs:?}"
    );
}

#[test]
fn charts_without_helm_are_not_scanned_and_fail_the_scan() {
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["scan", "--format", "json", "fixtures/inputs"])
        .current_dir(common::root())
        .env("PATH", "/nonexistent")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(common::code(&out), 2, "{}", common::stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = report["errors"].as_array().unwrap();
    let chart = errors
        .iter()
        .find(|e| e["collector"] == "helm")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert!(
        chart["message"]
            .as_str()
            .unwrap()
            .contains("helm template fixtures/inputs/charts/web"),
        "{chart}"
    );
    assert!(
        !errors
            .iter()
            .any(|e| e["scope"].as_str().unwrap_or("").contains("templates")),
        "{errors:?}"
    );
    let skipped: BTreeMap<String, String> = report["scanned"]["files"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |f: &str| {
        skipped
            .get(&format!("fixtures/inputs/misc/{f}"))
            .map(String::as_str)
    };
    assert_eq!(reason("skaffold.yaml"), Some("Skaffold configuration"));
    assert_eq!(
        reason("docker-compose.yml"),
        Some("Docker Compose file (not supported)")
    );
    assert_eq!(
        reason("stack.yaml"),
        Some("CloudFormation template (not supported)")
    );
    assert_eq!(reason("delete-patch.yaml"), Some("Kustomize patch"));
    assert_eq!(
        reason("settings.yaml"),
        Some("no apiVersion and kind: not a Kubernetes object")
    );
    // A repeated key is an error at its line, as `kubectl` (and kustomize) refuse it too.
    let dup = errors
        .iter()
        .find(|e| e["scope"] == "fixtures/inputs/misc/pod.yaml")
        .unwrap_or_else(|| panic!("{errors:?}"));
    assert_eq!(dup["line"], 6, "{dup}");
    assert!(
        dup["message"]
            .as_str()
            .unwrap()
            .contains("duplicate mapping key: labels"),
        "{dup}"
    );
}

#[test]
fn charts_render_through_helm_with_values_and_sets_passed_on() {
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("args");
    let script = format!(
        "#!/bin/sh\necho \"$@\" > {}\ncat <<'EOF'\n---\n# Source: web/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: release-name-web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\nEOF\n",
        log.display()
    );
    let helm = bin.path().join("helm");
    std::fs::write(&helm, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helm, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args([
            "scan",
            "--format",
            "json",
            "--helm-values",
            "prod.yaml",
            "--helm-set",
            "image=x",
            "fixtures/inputs/charts",
        ])
        .current_dir(common::root())
        .env("PATH", path)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        "template fixtures/inputs/charts/web --values prod.yaml --set image=x"
    );
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["id"] == "k8s:manifest:apps/Deployment:default/release-name-web")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(
        f["location"]["file"],
        "fixtures/inputs/charts/web/templates/deployment.yaml"
    );
    assert_eq!(f["location"]["start_line"], 2);
}

#[test]
fn a_scan_that_judges_nothing_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), "services: {}\n").unwrap();
    std::fs::write(dir.path().join("notes.md"), "# notes\n").unwrap();
    let out = common::plumb(&["scan", dir.path().to_str().unwrap()]);
    assert_eq!(common::code(&out), 2);
    let err = common::stderr(&out);
    assert!(err.contains("no supported inputs under"), "{err}");
    assert!(err.contains("compose.yaml: Docker Compose file"), "{err}");
}

#[test]
fn every_report_says_what_was_read_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let path = |f: &str| dir.path().join(f).display().to_string();
    let mut args = vec!["scan".to_string(), "fixtures/inputs".to_string()];
    for (format, file) in [
        ("console", "c.txt"),
        ("md", "r.md"),
        ("html", "r.html"),
        ("sarif", "r.sarif"),
        ("junit", "r.xml"),
    ] {
        args.push("--format".into());
        args.push(format!("{format}={}", path(file)));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(&args)
        .current_dir(common::root())
        .env("PATH", "/nonexistent")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(common::code(&out), 2, "{}", common::stderr(&out));
    let read = |f: &str| std::fs::read_to_string(path(f)).unwrap();
    for file in ["c.txt", "r.md", "r.html"] {
        let text = read(file);
        assert!(text.contains("files read,"), "{file}: {text}");
        assert!(text.contains("CloudFormation template"), "{file}");
    }
    let sarif: Value = serde_json::from_str(&read("r.sarif")).unwrap();
    let files = &sarif["runs"][0]["invocations"][0]["properties"]["files"];
    assert!(files["read"].as_u64().unwrap() > 0, "{files}");
    assert!(
        files["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"] == "CloudFormation template (not supported)"),
        "{files}"
    );
    let junit = read("r.xml");
    assert!(junit.contains("<testsuite name=\"plumb:files\""), "{junit}");
    assert!(
        junit.contains("<skipped message=\"CloudFormation template (not supported)\"/>"),
        "{junit}"
    );
}
