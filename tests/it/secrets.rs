//! Secrets planted in every position the collectors read, and hostile names: a canary in
//! each secret position (container and Lambda environment variables, schema-sensitive state
//! and plan attributes the file does not mark sensitive, a heredoc password, a one-line
//! object password, a secret-ish key longer than 64 bytes, JSON in a string, a PEM block), scanned
//! with every format, saved as an inventory, stored, listed and compared by drift; every
//! byte written (files, standard output, standard error) is searched for the canary, and so is
//! every cell of the store with its compressed blobs opened. Hostile names (escape sequences,
//! bidi overrides) in scan and drift output are shown visibly.

use crate::common::*;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

/// In every planted secret; nothing plumb writes may contain it.
const CANARY: &str = "CNRYq7Zp";

/// Runs plumb in `dir` with `env` set.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumb"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("PLUMB_REDACTION_KEY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the plumb binary runs")
}

/// The estate, every secret ending in `round` so a second scan can change them all.
fn plant(dir: &Path, round: &str) {
    let c = |what: &str| format!("{CANARY}-{what}-{round}");
    let pem = format!(
        "-----BEGIN RSA PRIVATE KEY-----\\nMIIE{}\\n-----END RSA PRIVATE KEY-----\\n",
        c("pem")
    );
    let long_key = format!("{}_client_password", "x".repeat(64));
    assert!(long_key.len() > 64);
    let container_definitions = serde_json::json!([{
        "name": "app",
        "image": "app:1",
        "environment": [{"name": "AWS_SECRET_ACCESS_KEY", "value": c("ecs-env")}],
    }])
    .to_string();
    let state = serde_json::json!({
        "version": 4,
        "terraform_version": "1.9.0",
        "serial": 1,
        "lineage": "5e1d0c1e-0000-4000-8000-000000000001",
        "outputs": {},
        "resources": [
            {"mode": "managed", "type": "random_password", "name": "db",
             "provider": "provider[\"registry.terraform.io/hashicorp/random\"]",
             "instances": [{"schema_version": 3, "attributes": {
                 "id": "none", "length": 24, "result": c("random-result"),
                 "bcrypt_hash": c("random-bcrypt")}, "sensitive_attributes": []}]},
            {"mode": "managed", "type": "aws_ssm_parameter", "name": "db",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                 "name": "/app/db", "type": "SecureString", "value": c("ssm-value"),
                 "arn": "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"},
                 "sensitive_attributes": []}]},
            {"mode": "managed", "type": "tls_private_key", "name": "k",
             "provider": "provider[\"registry.terraform.io/hashicorp/tls\"]",
             "instances": [{"schema_version": 1, "attributes": {
                 "id": "k", "algorithm": "RSA",
                 "private_key_pem": pem,
                 "private_key_openssh": c("tls-openssh"),
                 "private_key_pem_pkcs8": c("tls-pkcs8"),
                 "public_key_pem": "public"}, "sensitive_attributes": []}]},
            {"mode": "managed", "type": "kubernetes_secret", "name": "s",
             "provider": "provider[\"registry.terraform.io/hashicorp/kubernetes\"]",
             "instances": [{"schema_version": 0, "attributes": {
                 "id": "default/s", "metadata": [{"name": "s", "namespace": "default"}],
                 "data": {"config": c("k8s-secret-data")}, "type": "Opaque"},
                 "sensitive_attributes": []}]},
            {"mode": "managed", "type": "aws_lambda_function", "name": "f",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 0, "attributes": {
                 "function_name": "f", "runtime": "python3.12",
                 "arn": "arn:aws:lambda:eu-west-1:123456789012:function:f",
                 "environment": [{"variables": {
                     "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                     "AWS_SECRET_ACCESS_KEY": c("lambda-env")}}],
                 "tags": {long_key.clone(): c("long-key")}},
                 "sensitive_attributes": []}]},
            {"mode": "managed", "type": "aws_ecs_task_definition", "name": "t",
             "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
             "instances": [{"schema_version": 1, "attributes": {
                 "family": "t", "container_definitions": container_definitions},
                 "sensitive_attributes": []}]}
        ]
    });
    fs::write(dir.join("estate.tfstate"), state.to_string()).unwrap();

    let plan = serde_json::json!({
        "format_version": "1.2",
        "terraform_version": "1.9.0",
        "planned_values": {"root_module": {"resources": [
            {"address": "random_password.api", "mode": "managed", "type": "random_password",
             "name": "api", "provider_name": "registry.terraform.io/hashicorp/random",
             "schema_version": 3, "values": {"length": 32, "result": c("plan-result")},
             "sensitive_values": {}}]}},
        "resource_changes": [
            {"address": "random_password.api", "mode": "managed", "type": "random_password",
             "name": "api", "provider_name": "registry.terraform.io/hashicorp/random",
             "change": {"actions": ["create"], "before": null,
                        "after": {"length": 32, "result": c("plan-result")},
                        "after_unknown": {}, "before_sensitive": false,
                        "after_sensitive": {}}}]
    });
    fs::create_dir_all(dir.join("plan")).unwrap();
    fs::write(dir.join("plan/plan.json"), plan.to_string()).unwrap();

    fs::create_dir_all(dir.join("tf")).unwrap();
    fs::write(
        dir.join("tf/main.tf"),
        format!(
            "resource \"aws_db_instance\" \"db\" {{\n  master = {{ password = \"{}\" }}\n  password = <<EOT\n{}\nEOT\n  engine = \"postgres\"\n  instance_class = \"db.t3.micro\"\n  publicly_accessible = true\n}}\n\nresource \"aws_s3_bucket\" \"b\" {{\n  bucket = \"b\"\n  {long_key} = \"{}\"\n}}\n",
            c("hcl-one-line"),
            c("hcl-heredoc"),
            c("hcl-long-key"),
        ),
    )
    .unwrap();

    fs::create_dir_all(dir.join("k8s")).unwrap();
    fs::write(
        dir.join("k8s/app.yaml"),
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {{app: app}}\n  template:\n    metadata:\n      labels: {{app: app}}\n    spec:\n      containers:\n        - name: app\n          image: app:latest\n          env:\n            - name: AWS_SECRET_ACCESS_KEY\n              value: {}\n",
            c("container-env")
        ),
    )
    .unwrap();
}

/// Every file under `dir` (recursively) and every output, searched for the canary.
fn assert_no_canary(dir: &Path, outputs: &[&Output]) {
    for o in outputs {
        for (what, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
            let text = String::from_utf8_lossy(bytes);
            assert!(
                !text.contains(CANARY),
                "canary in {what}: {}",
                text.lines()
                    .filter(|l| l.contains(CANARY))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
    for entry in walk(dir) {
        let name = entry.display().to_string();
        if name.contains("estate.tfstate")
            || name.ends_with("plan.json")
            || name.contains("/tf/")
            || name.contains("/k8s/")
        {
            continue; // the inputs themselves
        }
        let bytes = fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(CANARY.len()).any(|w| w == CANARY.as_bytes()),
            "canary in {name}"
        );
    }
}

/// Every cell of every table of the SQLite store, its zstd blobs decompressed (the raw file
/// holds them compressed, where a byte search would find nothing), searched for the canary.
/// Returns how many blobs were read, so the caller can check the search saw the snapshots.
fn assert_no_canary_in_store(db: &Path) -> usize {
    use rusqlite::types::ValueRef;
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut blobs = 0;
    for table in tables {
        let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
        let columns = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            for i in 0..columns {
                let bytes: Vec<u8> = match row.get_ref(i).unwrap() {
                    ValueRef::Text(t) => t.to_vec(),
                    ValueRef::Blob(b) => {
                        blobs += 1;
                        zstd::decode_all(b).unwrap_or_else(|_| b.to_vec())
                    }
                    _ => continue,
                };
                if let Some(at) = bytes
                    .windows(CANARY.len())
                    .position(|w| w == CANARY.as_bytes())
                {
                    panic!(
                        "canary in the store, table {table} column {i}: …{}",
                        String::from_utf8_lossy(&bytes[at.saturating_sub(200)..at + CANARY.len()])
                    );
                }
            }
        }
    }
    blobs
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn scan(dir: &Path, round: &str, env: &[(&str, &str)]) -> Output {
    let out_dir = format!("out-{round}");
    fs::create_dir_all(dir.join(&out_dir)).unwrap();
    let mut args: Vec<String> = [
        "scan",
        "estate.tfstate",
        "plan",
        "tf",
        "k8s",
        "--fail-on",
        "never",
    ]
    .map(String::from)
    .to_vec();
    args.push("--format".into());
    args.push("console".into());
    for (f, ext) in [
        ("json", "json"),
        ("sarif", "sarif"),
        ("html", "html"),
        ("md", "md"),
        ("csv", "csv"),
        ("junit", "xml"),
    ] {
        args.push("--format".into());
        args.push(format!("{f}={out_dir}/report.{ext}"));
    }
    args.push("--save-inventory".into());
    args.push(format!("{out_dir}/inventory.json"));
    args.push("--store=store.db".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(dir, &args, env);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    out
}

#[test]
fn no_planted_secret_reaches_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let key = [("PLUMB_REDACTION_KEY", "test-key")];
    plant(d, "one");
    let first = scan(d, "one", &key);
    let console = stdout(&first);
    // The excerpt of the database is shown, its secrets masked by span.
    assert!(
        console.contains("master = { password = [redacted hmac:"),
        "{console}"
    );
    plant(d, "two");
    let second = scan(d, "two", &key);

    let mut outputs = vec![first, second];
    for args in [
        &["history", "--store", "store.db"][..],
        &["history", "--store", "store.db", "--format", "json"],
        &["history", "--store", "store.db", "show", "latest"],
        &[
            "history",
            "--store",
            "store.db",
            "show",
            "latest",
            "--inventory",
        ],
    ] {
        let o = run(d, args, &key);
        assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
        outputs.push(o);
    }
    let drift_json = run(
        d,
        &[
            "drift", "--store", "store.db", "--from", "previous", "--to", "latest", "--format",
            "json",
        ],
        &key,
    );
    let report: serde_json::Value = serde_json::from_slice(&drift_json.stdout)
        .unwrap_or_else(|e| panic!("drift JSON ({e}): {}", stderr(&drift_json)));
    // With the key, drift sees the changed secret through its hashed marker.
    let text = report.to_string();
    assert!(
        text.contains("random_password.db") && text.contains("[redacted hmac:"),
        "drift does not show the secret changed: {text}"
    );
    outputs.push(drift_json);
    for format in ["console", "markdown", "html"] {
        let o = run(
            d,
            &[
                "drift", "--store", "store.db", "--from", "previous", "--to", "latest", "--format",
                format,
            ],
            &key,
        );
        outputs.push(o);
    }
    // Without a key: plain markers, and still no canary.
    plant(d, "three");
    outputs.push(scan(d, "three", &[]));
    // Every snapshot as plumb reads it back, not only the newest.
    for snapshot in ["latest", "latest~1", "latest~2"] {
        for extra in [&[][..], &["--inventory"]] {
            let mut args = vec!["history", "--store", "store.db", "show", snapshot];
            args.extend_from_slice(extra);
            let o = run(d, &args, &[]);
            assert_eq!(code(&o), 0, "{args:?}: {}", stderr(&o));
            outputs.push(o);
        }
    }
    let refs: Vec<&Output> = outputs.iter().collect();
    assert_no_canary(d, &refs);
    // Three snapshots, each an inventory and a report at least.
    let blobs = assert_no_canary_in_store(&d.join("store.db"));
    assert!(blobs >= 6, "{blobs} blobs read from the store");
    let inventory = fs::read_to_string(d.join("out-three/inventory.json")).unwrap();
    assert!(inventory.contains("[redacted]") && !inventory.contains("hmac:"));
}

#[test]
fn hostile_names_are_shown_visibly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = "evil\u{1b}]0;owned\u{7}.yaml";
    fs::write(
        d.join(file),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"api\\e[2J\\u202Egpj\"\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:latest\n",
    )
    .unwrap();
    let out = run(
        d,
        &[
            "scan",
            ".",
            "--fail-on",
            "never",
            "--format",
            "console",
            "--format",
            "html=r.html",
            "--format",
            "md=r.md",
        ],
        &[],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let console = stdout(&out);
    assert!(
        !console.contains('\u{1b}'),
        "raw escape on the console: {console:?}"
    );
    assert!(!console.contains('\u{7}') && !console.contains('\u{202e}'));
    assert!(console.contains("evil\\x1b]0;owned\\x07.yaml"), "{console}");
    assert!(console.contains("api\\x1b[2J\\u{202e}gpj"), "{console}");
    for report in ["r.html", "r.md"] {
        let text = fs::read_to_string(d.join(report)).unwrap();
        assert!(!text.contains('\u{202e}'), "bidi override in {report}");
        assert!(!text.contains('\u{1b}'), "escape in {report}");
        // Shown as its code point (Markdown escapes the backslash and braces too).
        assert!(
            text.contains("202e") && text.contains("gpj"),
            "{report}: {text}"
        );
    }
}

#[test]
fn hostile_names_are_shown_visibly_by_drift() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let manifest = |image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"api\\e]0;owned\\a\\u202Egpj\"\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: \"{image}\"\n"
        )
    };
    for image in ["app:1", "app:2\\e[2J"] {
        fs::write(d.join("app.yaml"), manifest(image)).unwrap();
        let out = run(
            d,
            &[
                "scan",
                "app.yaml",
                "--fail-on",
                "never",
                "--format",
                "json=/dev/null",
                "--store=store.db",
            ],
            &[],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    for format in ["console", "markdown", "html"] {
        let out = run(
            d,
            &[
                "drift",
                "--store",
                "store.db",
                "--from",
                "previous",
                "--to",
                "latest",
                "--format",
                format,
                "--fail-on",
                "never",
            ],
            &[],
        );
        assert_eq!(code(&out), 0, "{format}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
            "raw control or bidi character in drift {format}: {text:?}"
        );
        // The changed value and the resource name, shown visibly.
        assert!(
            text.contains("2J") && text.contains("gpj"),
            "{format}: {text}"
        );
        if format == "console" {
            // Values are shown as JSON, which doubles the visible form's backslash.
            assert!(text.contains(r#""app:2\\x1b[2J""#), "{text}");
            assert!(text.contains("api\\x1b]0;owned\\x07\\u{202e}gpj"), "{text}");
        }
    }
}
