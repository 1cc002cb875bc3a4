//! `plumb scan --download-modules`: remote Terraform modules fetched from a module registry,
//! HTTP archives and git repositories that the tests serve themselves on 127.0.0.1.

use crate::common;

use std::collections::HashMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// One canned answer: status, extra headers, body.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, body: impl Into<Vec<u8>>) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.into(),
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 answering GETs from a route table (path without the
/// query -> reply), counting requests. Stops (and closes its port) when dropped.
struct Server {
    port: u16,
    routes: Arc<Mutex<HashMap<String, Reply>>>,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let routes: Arc<Mutex<HashMap<String, Reply>>> = Arc::default();
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (routes, hits, stop) = (routes.clone(), hits.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    hits.fetch_add(1, Ordering::SeqCst);
                    serve(conn, &routes);
                }
            })
        };
        Server {
            port,
            routes,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn route(&self, path: &str, r: Reply) {
        self.routes.lock().unwrap().insert(path.to_string(), r);
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and the listener closes.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, routes: &Mutex<HashMap<String, Reply>>) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let target = first.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/");
    let r = routes
        .lock()
        .unwrap()
        .get(path)
        .cloned()
        .unwrap_or_else(|| reply(404, "not found"));
    let mut out = conn;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        r.body.len()
    );
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&r.body);
}

/// A gzipped tar of `files` (path -> text).
fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (name, text) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, text.as_bytes()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

/// A zip of `files`, names written as given (a hostile one may hold `../`).
fn zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in files {
        w.start_file(*name, opts).unwrap();
        w.write_all(text.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const BUCKET_MODULE: &str = r#"
variable "name" {
  type = string
}

resource "aws_s3_bucket" "this" {
  bucket = "${var.name}-VERSION"
}

module "shared" {
  source = "../shared"
  name   = var.name
}

module "policy" {
  source = "POLICY_SOURCE"
}
"#;

const SHARED_MODULE: &str = r#"
variable "name" {
  type = string
}

resource "aws_cloudwatch_log_group" "shared" {
  name = "/shared/${var.name}"
}
"#;

const POLICY_MODULE: &str = r#"
resource "aws_sqs_queue" "dead_letters" {
  name = "dead-letters"
}
"#;

/// A registry of module `acme/bucket/aws` in versions 1.0.0, 1.1.0, 1.2.3 and 2.0.0, each an
/// archive whose `bucket/` folder is the module; it calls `../shared` inside its package and
/// a zip archive served here too.
fn registry() -> Server {
    let s = Server::start();
    s.route(
        "/.well-known/terraform.json",
        reply(200, r#"{"modules.v1": "/v1/modules/"}"#),
    );
    s.route(
        "/v1/modules/acme/bucket/aws/versions",
        reply(
            200,
            r#"{"modules": [{"versions": [{"version": "1.0.0"}, {"version": "2.0.0"}, {"version": "1.2.3"}, {"version": "1.1.0"}]}]}"#,
        ),
    );
    let policy = format!("http://{}/archives/policy.zip", s.host());
    for v in ["1.0.0", "1.1.0", "1.2.3", "2.0.0"] {
        let module = BUCKET_MODULE
            .replace("VERSION", v)
            .replace("POLICY_SOURCE", &policy);
        s.route(
            &format!("/archives/bucket-{v}.tar.gz"),
            reply(
                200,
                tar_gz(&[
                    ("bucket/main.tf", &module),
                    ("shared/main.tf", SHARED_MODULE),
                ]),
            ),
        );
        // Answered the old way (204 + X-Terraform-Get, relative) and the new (JSON location).
        let download = if v == "1.2.3" {
            Reply {
                status: 204,
                headers: vec![(
                    "X-Terraform-Get".into(),
                    format!("/archives/bucket-{v}.tar.gz//bucket"),
                )],
                body: Vec::new(),
            }
        } else {
            reply(
                200,
                format!(
                    r#"{{"location": "http://{}/archives/bucket-{v}.tar.gz//bucket"}}"#,
                    s.host()
                ),
            )
        };
        s.route(
            &format!("/v1/modules/acme/bucket/aws/{v}/download"),
            download,
        );
    }
    s.route(
        "/archives/policy.zip",
        reply(200, zip(&[("main.tf", POLICY_MODULE)])),
    );
    s
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// `plumb scan --format json --download-modules --module-cache CACHE ...` in `dir`: exit
/// code, report, stderr (and the inventory's resource ids in `report["inventory_ids"]`).
fn scan_downloading(dir: &Path, cache: &Path, extra: &[&str]) -> (i32, Value, String) {
    let saved = tempfile::tempdir().unwrap();
    let inventory = saved.path().join("inventory.json");
    let cache = cache.to_str().unwrap();
    let mut args = vec![
        "scan",
        "--format",
        "json",
        "--keep-going",
        "--save-inventory",
        inventory.to_str().unwrap(),
        "--download-modules",
        "--module-cache",
        cache,
    ];
    args.extend_from_slice(extra);
    args.push(".");
    let out = plumb_in(dir, &args);
    let mut report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&out)));
    let inv: Value = serde_json::from_str(&fs::read_to_string(&inventory).unwrap()).unwrap();
    let ids: Vec<Value> = inv["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    report["inventory_ids"] = Value::Array(ids);
    (code(&out), report, stderr(&out))
}

/// Whether the scan's inventory holds `id`.
fn has(report: &Value, id: &str) -> bool {
    report["inventory_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == id)
}

/// Resource id -> (file, start line) of its first finding.
fn located(report: &Value) -> HashMap<String, (String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["resource"]["id"].as_str().unwrap().to_string(),
                (
                    f["location"]["file"].as_str().unwrap_or("").to_string(),
                    f["location"]["start_line"].as_u64().unwrap_or(0),
                ),
            )
        })
        .collect()
}

fn errors(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}: {}",
                e["scope"].as_str().unwrap(),
                e["line"],
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn registry_modules_are_downloaded_by_version_constraint_with_nested_sources() {
    let server = registry();
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "main.tf",
        r#"module "x" {
  source  = "acme/bucket/aws"
  version = "~> 1.1"
  name    = "logs"
}
"#,
    );
    let registry = server.host();
    let (code, report, err) =
        scan_downloading(root.path(), cache.path(), &["--module-registry", &registry]);
    assert_eq!(errors(&report), Vec::<String>::new(), "stderr: {err}");
    assert_eq!(
        code, 1,
        "findings on the downloaded resources; stderr: {err}"
    );
    assert!(err.contains("acme/bucket/aws 1.2.3"), "progress: {err}");

    let at = located(&report);
    let (file, line) = &at["tf:module.x.aws_s3_bucket.this"];
    let cache_dir = cache.path().canonicalize().unwrap();
    assert!(
        Path::new(file).starts_with(&cache_dir) && file.ends_with("bucket/main.tf"),
        "the finding points into the cache: {file}"
    );
    assert_eq!(*line, 6, "the resource block's line in the cached file");
    let text = fs::read_to_string(file).unwrap();
    assert!(text.contains("${var.name}-1.2.3"), "the newest 1.x: {text}");
    // The local `../shared` call resolves inside the downloaded package; the nested zip
    // module is fetched too.
    assert!(
        at["tf:module.x.module.shared.aws_cloudwatch_log_group.shared"]
            .0
            .ends_with("shared/main.tf")
    );
    assert!(
        has(
            &report,
            "tf:module.x.module.policy.aws_sqs_queue.dead_letters"
        ),
        "{:?}",
        report["inventory_ids"]
    );

    // The index is shaped like Terraform's modules.json.
    let index = fs::read_dir(cache.path().join("index"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("modules.json");
    let doc: Value = serde_json::from_str(&fs::read_to_string(index).unwrap()).unwrap();
    let keys: Vec<&str> = doc["Modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["", "x", "x.policy"]);
    assert_eq!(doc["Modules"][1]["Version"], "1.2.3");

    // Warm cache, registry gone: the same scan, offline.
    let hits = server.hits();
    assert!(hits >= 4, "discovery, versions, download, archives: {hits}");
    drop(server);
    let (code2, report2, err2) =
        scan_downloading(root.path(), cache.path(), &["--module-registry", &registry]);
    assert_eq!(errors(&report2), Vec::<String>::new(), "stderr: {err2}");
    assert_eq!(code2, 1);
    assert_eq!(verdicts(&report2), verdicts(&report));
    assert!(
        !err2.contains("module x:"),
        "nothing downloaded again: {err2}"
    );
}

#[test]
fn without_the_flag_nothing_is_fetched_and_terraform_init_wins() {
    let server = registry();
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let source = format!("{}/acme/bucket/aws", server.host());
    write(
        root.path(),
        "main.tf",
        &format!(
            "module \"x\" {{\n  source  = \"{source}\"\n  version = \"1.0.0\"\n  name    = \"logs\"\n}}\n"
        ),
    );
    let out = plumb_in(
        root.path(),
        &["scan", "--format", "json", "--keep-going", "."],
    );
    assert!(stdout(&out).contains("not downloaded"), "{}", stdout(&out));
    assert_eq!(server.hits(), 0, "no request without --download-modules");

    // A module `terraform init` installed is read from there, not downloaded.
    write(
        root.path(),
        ".terraform/modules/x/main.tf",
        "resource \"aws_sqs_queue\" \"installed\" {\n  name = \"q\"\n}\n",
    );
    write(
        root.path(),
        ".terraform/modules/modules.json",
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"x","Source":"acme/bucket/aws","Version":"1.0.0","Dir":".terraform/modules/x"}]}"#,
    );
    write(
        root.path(),
        ".terraform/modules/x/variables.tf",
        "variable \"name\" {\n  type = string\n}\n",
    );
    let (_, report, err) = scan_downloading(root.path(), cache.path(), &[]);
    assert_eq!(errors(&report), Vec::<String>::new(), "{err}");
    assert!(has(&report, "tf:module.x.aws_sqs_queue.installed"));
    assert_eq!(server.hits(), 0, "terraform init's copy wins");
}

#[test]
fn failures_name_the_module_call_and_the_rest_is_judged() {
    let server = registry();
    server.route(
        "/archives/slip.zip",
        reply(
            200,
            zip(&[("main.tf", POLICY_MODULE), ("../../escaped.tf", "# x\n")]),
        ),
    );
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let host = server.host();
    let main = format!(
        r#"module "down" {{
  source  = "127.0.0.1:{closed}/acme/bucket/aws"
  version = "1.0.0"
}}

module "missing" {{
  source = "http://{host}/archives/nope.zip"
}}

module "nomatch" {{
  source  = "{host}/acme/bucket/aws"
  version = "~> 3.0"
}}

module "slip" {{
  source = "http://{host}/archives/slip.zip"
}}

module "bucket_store" {{
  source = "s3::https://s3-eu-west-1.amazonaws.com/acme/vpc.zip"
}}

module "plain" {{
  source = "http://203.0.113.7/vpc.zip"
}}

resource "aws_ebs_volume" "data" {{
  availability_zone = "eu-west-1a"
  size              = 10
}}
"#
    );
    write(root.path(), "main.tf", &main);
    let (code, report, err) = scan_downloading(root.path(), cache.path(), &[]);
    assert_eq!(
        code, 2,
        "an incomplete scan is not a verdict; stderr: {err}"
    );
    let errs = errors(&report);
    let line = |needle: &str| main.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let expect = [
        ("down", "Connection refused"),
        ("missing", "404"),
        ("nomatch", "no version of"),
        ("slip", "points outside the package"),
        ("bucket_store", "S3 (s3::) sources are not supported"),
        ("plain", "plain http is allowed only for loopback hosts"),
    ];
    for (call, why) in expect {
        let want = format!(
            "main.tf:{}: module \"{call}\"",
            line(&format!("module \"{call}\""))
        );
        assert!(
            errs.iter().any(|e| e.contains(&want) && e.contains(why)),
            "{want} ... {why} not in {errs:#?}"
        );
    }
    assert!(
        errs.iter()
            .any(|e| e.contains("the registry has 1.0.0, 1.1.0, 1.2.3, 2.0.0")),
        "{errs:#?}"
    );
    assert_eq!(errs.len(), expect.len(), "one error per call: {errs:#?}");
    // The rest of the module was judged.
    assert!(located(&report).contains_key("tf:aws_ebs_volume.data"));
    // Nothing escaped the cache's staging folder.
    let escaped: Vec<PathBuf> = walk(cache.path().parent().unwrap())
        .into_iter()
        .filter(|p| p.ends_with("escaped.tf"))
        .collect();
    assert!(escaped.is_empty(), "{escaped:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=plumb",
            "-c",
            "user.email=plumb@example.com",
        ])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

/// `git daemon` serving `base` on 127.0.0.1; killed when dropped.
struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    fn start(base: &Path) -> GitDaemon {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("git")
            .args([
                "daemon",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                "--export-all",
                "--reuseaddr",
                &format!("--base-path={}", base.display()),
            ])
            .arg(base)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon runs");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        GitDaemon { child, port }
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn git_repositories_are_cloned_at_the_ref_with_a_subdirectory() {
    let repos = tempfile::tempdir().unwrap();
    let repo = repos.path().join("mods");
    fs::create_dir(&repo).unwrap();
    let sub = "module \"sibling\" {\n  source = \"../sibling\"\n}\n\nresource \"aws_s3_bucket\" \"sub\" {\n  bucket = \"at-tag\"\n}\n";
    write(&repo, "modules/sub/main.tf", sub);
    write(
        &repo,
        "modules/sibling/main.tf",
        "resource \"aws_sqs_queue\" \"sibling\" {\n  name = \"q\"\n}\n",
    );
    // Terraform refuses local paths that leave the remote package they are in.
    write(
        &repo,
        "modules/escape/main.tf",
        "module \"out\" {\n  source = \"../../..\"\n}\n",
    );
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "modules"]);
    git(&repo, &["tag", "v1.0.0"]);
    write(
        &repo,
        "modules/sub/main.tf",
        &sub.replace("at-tag", "after-tag"),
    );
    git(&repo, &["commit", "-qam", "later"]);
    let daemon = GitDaemon::start(repos.path());

    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "main.tf",
        &format!(
            "module \"g\" {{\n  source = \"git::git://127.0.0.1:{}/mods//modules/sub?ref=v1.0.0\"\n}}\n\nmodule \"f\" {{\n  source = \"git::file://{}//modules/sub?ref=v1.0.0&depth=1\"\n}}\n\nmodule \"head\" {{\n  source = \"git::file://{}//modules/sub\"\n}}\n",
            daemon.port,
            repo.display(),
            repo.display()
        ),
    );
    let escape = format!("git::file://{}//modules/escape", repo.display());
    write(
        root.path(),
        "escape.tf",
        &format!("module \"escape\" {{\n  source = \"{escape}\"\n}}\n"),
    );
    let (_, report, err) = scan_downloading(root.path(), cache.path(), &[]);
    let errs = errors(&report);
    assert_eq!(errs.len(), 1, "{errs:#?}\nstderr: {err}");
    assert!(
        errs[0].contains("escape/main.tf:1: module \"out\"")
            && errs[0].contains("leaves the downloaded package"),
        "{errs:#?}"
    );
    let at = located(&report);
    for call in ["g", "f", "head"] {
        let (file, _) = &at[&format!("tf:module.{call}.aws_s3_bucket.sub")];
        let text = fs::read_to_string(file).unwrap();
        let want = if call == "head" {
            "after-tag"
        } else {
            "at-tag"
        };
        assert!(text.contains(want), "module {call}: {text}");
        assert!(has(
            &report,
            &format!("tf:module.{call}.module.sibling.aws_sqs_queue.sibling")
        ));
    }

    // Warm cache, daemon stopped: still scanned.
    drop(daemon);
    let (_, report2, err2) = scan_downloading(root.path(), cache.path(), &[]);
    assert_eq!(errors(&report2), errs, "stderr: {err2}");
    assert_eq!(verdicts(&report2), verdicts(&report));
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepts one connection and says nothing for a while (bounded, so the thread ends).
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = std::thread::spawn(move || {
        if let Ok((conn, _)) = listener.accept() {
            std::thread::sleep(Duration::from_secs(3));
            drop(conn);
        }
    });
    let root = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "main.tf",
        &format!("module \"slow\" {{\n  source = \"http://127.0.0.1:{port}/m.zip\"\n}}\n"),
    );
    let started = Instant::now();
    let (code, report, err) =
        scan_downloading(root.path(), cache.path(), &["--module-timeout", "1"]);
    let took = started.elapsed();
    assert_eq!(code, 2, "{err}");
    let errs = errors(&report);
    assert!(
        errs.len() == 1
            && errs[0].contains("main.tf:1: module \"slow\"")
            && errs[0].contains("timeout"),
        "{errs:#?}"
    );
    assert!(
        took < Duration::from_secs(5),
        "bounded by --module-timeout: {took:?}"
    );
    silent.join().unwrap();
}
