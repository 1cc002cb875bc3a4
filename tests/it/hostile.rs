//! Hostile and unlucky input through the real binary: FIFOs, devices, symlinks and their
//! loops, text that is not UTF-8, closed pipes. Nothing may hang (every run here is killed
//! after a deadline), and nothing may be left out without being listed as not read.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common;

/// How long a run on hostile input may take before the test calls it a hang.
const DEADLINE: Duration = Duration::from_secs(60);

/// Runs plumb in `dir` and kills it if it has not ended by [`DEADLINE`] (the test then fails).
pub fn run_bounded(dir: &Path, args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("PATH", "/nonexistent")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes on their own threads, so a large output cannot block the child.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let stderr = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("plumb {args:?} did not end within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

/// `plumb scan . --format json --fail-on never` in `dir`: exit code and report.
fn scan(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", ".", "--format", "json", "--fail-on", "never"];
    args.extend_from_slice(extra);
    let out = run_bounded(dir, &args);
    let report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (common::code(&out), report)
}

/// The report's errors as `scope: message`.
fn errors(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e["scope"].as_str().unwrap(),
                        e["message"].as_str().unwrap()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Resource ids judged in a report.
fn judged(report: &Value) -> std::collections::BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["id"].as_str().unwrap().to_string())
        .collect()
}

fn write(dir: &Path, name: &str, text: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

const BUCKET: &str = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n";

fn pod(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: default\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n"
    )
}

#[cfg(unix)]
#[test]
fn fifos_named_as_inputs_are_listed_as_not_read_and_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", BUCKET.as_bytes());
    mkfifo(&dir.path().join("zz.tf"));
    mkfifo(&dir.path().join("pipe.yaml"));
    let (code, report) = scan(dir.path(), &[]);
    let errors = errors(&report);
    assert_eq!(code, 2, "incomplete: {errors:?}");
    for name in ["./zz.tf", "./pipe.yaml"] {
        assert!(
            errors
                .iter()
                .any(|e| e == &format!("{name}: not a regular file (a FIFO); not read")),
            "{name}: {errors:?}"
        );
    }
    assert_eq!(errors.len(), 2, "each FIFO listed once: {errors:?}");
    // The rest of the folder is still judged.
    assert!(
        judged(&report).contains("tf:aws_s3_bucket.logs"),
        "{report}"
    );
    // Named on the command line, it is the same error, not "no such file".
    let out = run_bounded(dir.path(), &["scan", "pipe.yaml", "--format", "json"]);
    assert_eq!(common::code(&out), 2);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("not a regular file (a FIFO); not read"),
        "{text}"
    );
}

#[cfg(unix)]
#[test]
fn inputs_linked_to_a_device_end_as_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", BUCKET.as_bytes());
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.tf")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.yaml")).unwrap();
    std::fs::create_dir_all(dir.path().join(".terraform/modules")).unwrap();
    std::os::unix::fs::symlink(
        "/dev/zero",
        dir.path().join(".terraform/modules/modules.json"),
    )
    .unwrap();
    let (code, report) = scan(dir.path(), &[]);
    let errors = errors(&report);
    assert_eq!(code, 2, "{errors:?}");
    for name in ["zero.tf", "zero.yaml", "modules.json"] {
        assert!(
            errors.iter().any(|e| e.contains(name)
                && e.contains("not a regular file (a character device); not read")),
            "{name}: {errors:?}"
        );
    }
}

#[test]
fn text_is_decoded_or_reported_with_where_it_goes_wrong() {
    let dir = tempfile::tempdir().unwrap();
    // UTF-8 with a byte order mark, as JSON and as YAML.
    let json = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "bom-json", "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}
    });
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(json.to_string().as_bytes());
    write(dir.path(), "bom.json", &bom);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(pod("bom-yaml").as_bytes());
    write(dir.path(), "bom.yaml", &bom);
    // UTF-16, both byte orders, with their byte order marks.
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(pod("utf16-le").encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    write(dir.path(), "le.yaml", &le);
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(pod("utf16-be").encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    write(dir.path(), "be.yaml", &be);
    // Latin-1 on line 3: not read, and said where.
    let mut latin = pod("latin").into_bytes();
    latin.splice(25..25, *b"# caf\xE9\n");
    write(dir.path(), "latin1.yaml", &latin);
    let (code, report) = scan(dir.path(), &[]);
    let errors = errors(&report);
    assert_eq!(code, 2, "{errors:?}");
    let ids = judged(&report);
    for name in ["bom-json", "bom-yaml", "utf16-le", "utf16-be"] {
        assert!(
            ids.iter()
                .any(|id| id.ends_with(&format!("Pod:default/{name}"))),
            "{name} not judged: {ids:?} {errors:?}"
        );
    }
    assert!(!ids.iter().any(|id| id.ends_with("/latin")), "{ids:?}");
    assert_eq!(
        errors,
        vec!["./latin1.yaml: not UTF-8 text (invalid byte at offset 30, line 3); not read"]
    );
}

#[cfg(unix)]
#[test]
fn symlinked_files_and_folders_are_followed_and_loops_reported() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "shared/pod.yaml",
        pod("through-folder").as_bytes(),
    );
    write(
        outside.path(),
        "single.yaml",
        pod("through-file").as_bytes(),
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "local.yaml", pod("local").as_bytes());
    std::os::unix::fs::symlink(outside.path().join("shared"), dir.path().join("shared")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("single.yaml"),
        dir.path().join("single.yaml"),
    )
    .unwrap();
    let (code, report) = scan(dir.path(), &[]);
    let ids = judged(&report);
    assert_eq!(code, 0, "{:?}", errors(&report));
    for name in ["local", "through-folder", "through-file"] {
        assert!(
            ids.iter()
                .any(|id| id.ends_with(&format!("Pod:default/{name}"))),
            "{name}: {ids:?}"
        );
    }
    // A link back to a folder being walked: reported as not read, the rest judged.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("sub/up")).unwrap();
    // A dangling link is reported too.
    std::os::unix::fs::symlink("/nonexistent/plumb.yaml", dir.path().join("gone.yaml")).unwrap();
    let (code, report) = scan(dir.path(), &[]);
    let errors = errors(&report);
    assert_eq!(code, 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("./sub/up: ") && e.contains("loop")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("./gone.yaml: ")),
        "{errors:?}"
    );
    assert!(judged(&report).iter().any(|id| id.ends_with("/local")));
}

#[test]
fn a_closed_standard_output_ends_only_what_goes_there() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", BUCKET.as_bytes());
    // A pipe whose reader is gone before plumb writes: every write to it is EPIPE.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut child = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args([
            "scan",
            ".",
            "--format",
            "json",
            "--format",
            "console",
            "--format",
            "sarif=out/plumb.sarif",
            "--store=store.db",
        ])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("PATH", "/nonexistent")
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < DEADLINE, "plumb did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    // The bucket fails policies at low and above: the verdict's exit code, not 0, not a panic.
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let sarif: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("out/plumb.sarif")).unwrap())
            .unwrap();
    assert!(
        !sarif["runs"][0]["results"].as_array().unwrap().is_empty(),
        "{sarif}"
    );
    assert!(stderr.contains("stored snapshot"), "{stderr}");
    assert!(dir.path().join("store.db").is_file());
}

/// SHA-256 of `bytes`, as reports write it.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn saved_reports_show_lines_only_of_files_that_still_hold_what_was_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "main.tf", BUCKET.as_bytes());
    let out = run_bounded(
        dir.path(),
        &["scan", ".", "--format", "json=r.json", "--fail-on", "never"],
    );
    assert_eq!(
        common::code(&out),
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let saved: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).unwrap()).unwrap();
    let sources = &saved["scanned"]["sources"];
    assert_eq!(
        sources["sha256"]["./main.tf"],
        sha256_hex(BUCKET.as_bytes()),
        "{sources}"
    );
    let shown = |dir: &Path, report: &str| {
        let out = run_bounded(dir, &["report", report]);
        assert_eq!(
            common::code(&out),
            0,
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // Unchanged: the lines are shown.
    let text = shown(dir.path(), "r.json");
    assert!(
        text.contains("│ resource \"aws_s3_bucket\" \"logs\" {"),
        "{text}"
    );
    // Changed since: no lines, the finding still listed.
    write(
        dir.path(),
        "main.tf",
        BUCKET.replace("logs\"\n", "logs-2\"\n").as_bytes(),
    );
    let text = shown(dir.path(), "r.json");
    assert!(!text.contains("│"), "{text}");
    assert!(text.contains("main.tf:1"), "{text}");
    write(dir.path(), "main.tf", BUCKET.as_bytes());

    // A crafted report: a secret file outside the scan root, named with its true hash, by
    // absolute path and by `..`; and a report that records no hashes at all.
    let outside = tempfile::tempdir().unwrap();
    let canary = "root:canary-6d1f:19000:0:99999:7:::\n";
    write(outside.path(), "shadow", canary.as_bytes());
    let secret = outside.path().join("shadow").display().to_string();
    let relative = format!(
        "../{}/shadow",
        outside.path().file_name().unwrap().to_str().unwrap()
    );
    for (name, file) in [
        ("abs.json", secret.as_str()),
        ("rel.json", relative.as_str()),
    ] {
        let mut crafted = saved.clone();
        for f in crafted["findings"].as_array_mut().unwrap() {
            if f["location"].is_object() {
                f["location"]["file"] = Value::from(file);
            }
        }
        crafted["scanned"]["sources"]["sha256"][file] = Value::from(sha256_hex(canary.as_bytes()));
        std::fs::write(dir.path().join(name), crafted.to_string()).unwrap();
        let text = shown(dir.path(), name);
        assert!(!text.contains("canary"), "{name}: {text}");
        assert!(
            text.contains("shadow:1"),
            "{name}: the finding is still listed: {text}"
        );
    }
    let mut bare = saved.clone();
    bare["scanned"].as_object_mut().unwrap().remove("sources");
    std::fs::write(dir.path().join("bare.json"), bare.to_string()).unwrap();
    let text = shown(dir.path(), "bare.json");
    assert!(!text.contains("│"), "{text}");
}

#[test]
fn nested_comprehensions_run_under_a_budget_or_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data: serde_json::Map<String, Value> = (0..20_000)
        .map(|i| (format!("k{i}"), Value::from("v")))
        .collect();
    let big = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "big", "namespace": "default"}, "data": data,
    });
    write(dir.path(), "scan/big.json", big.to_string().as_bytes());
    write(
        dir.path(),
        "scan/small.yaml",
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: small\n  namespace: default\ndata:\n  a: x\n  b: y\n",
    );
    let policy = "id: ACME-NEST-001\ntitle: t\nseverity: low\ncategory: kubernetes\nkinds: [k8s/ConfigMap]\ncondition: resource.attrs.data.all(a, resource.attrs.data.all(b, a != b || a == b))\n";
    write(dir.path(), "policies/nest.yaml", policy.as_bytes());
    let out = run_bounded(
        dir.path(),
        &[
            "scan",
            "scan",
            "--policies",
            "policies",
            "--no-builtin",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(common::code(&out), 2, "an error finding is no verdict");
    let verdicts = common::verdicts(&report);
    let status = |name: &str| {
        verdicts
            .iter()
            .find(|((p, r), _)| {
                p == "ACME-NEST-001" && r.ends_with(&format!("ConfigMap:default/{name}"))
            })
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    assert_eq!(status("small"), "pass", "{verdicts:?}");
    assert_eq!(status("big"), "error", "{verdicts:?}");
    let message = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status"] == "error")
        .unwrap()["message"]
        .clone();
    assert_eq!(
        message,
        "not evaluated: comprehensions nested 2 deep over collections of up to 20000 elements could take 400000000 iterations, over the budget of 100000000"
    );

    // Four deep is refused when the policy loads, with its file and line.
    let deep = "id: ACME-NEST-002\ntitle: t\nseverity: low\ncategory: kubernetes\nkinds: [k8s/ConfigMap]\ncondition: resource.attrs.data.all(a, [1].all(b, [2].all(c, [3].map(d, d).size() > 0)))\n";
    write(dir.path(), "policies/nest.yaml", deep.as_bytes());
    let out = run_bounded(
        dir.path(),
        &["policies", "lint", "--policies", "policies", "--no-builtin"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(common::code(&out), 2, "{err}");
    assert!(
        err.contains("nest.yaml:6: ACME-NEST-002: condition nests comprehensions (all, exists, map, filter) 4 deep; at most 3 are allowed"),
        "{err}"
    );
}

/// Small configurations that would build values of gigabytes end as errors naming where,
/// and the scan goes on: a count of a million, string locals that double each other, a
/// template looping over a large range, a product of three large ranges.
#[test]
fn configurations_that_would_exhaust_memory_end_as_errors() {
    let doubling: String = (1..=30)
        .map(|i| format!("  a{i} = \"${{local.a{p}}}${{local.a{p}}}\"\n", p = i - 1))
        .collect();
    let cases = [
        (
            "count",
            "resource \"aws_s3_bucket\" \"b\" {\n  count  = 1000000\n  bucket = \"b-${count.index}\"\n}\n"
                .to_string(),
            2,
            "evaluation steps",
        ),
        (
            "doubling",
            format!(
                "locals {{\n  a0 = \"{}\"\n{doubling}}}\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket = local.a30\n}}\n",
                "x".repeat(64)
            ),
            0,
            "more than the 16 MiB",
        ),
        (
            "template",
            "locals {\n  t = \"%{for i in range(1000000)}${i}-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%{endfor}\"\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = local.t\n}\n"
                .to_string(),
            2,
            "more than the 16 MiB",
        ),
        (
            "product",
            "locals {\n  p = setproduct(range(1000), range(1000), range(1000))\n}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = length(local.p)\n}\n"
                .to_string(),
            2,
            "1000000000 elements",
        ),
    ];
    for (name, text, line, message) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "main.tf", text.as_bytes());
        let (code, report) = scan(dir.path(), &[]);
        assert_eq!(code, 2, "{name}");
        let found = report["errors"].as_array().unwrap().iter().any(|e| {
            e["scope"].as_str().unwrap().ends_with("main.tf")
                && e["message"].as_str().unwrap().contains(message)
                && (line == 0 || e["line"] == line)
        });
        assert!(found, "{name}: {}", report["errors"]);
    }
}
