//! Organisation-scale benchmark: 100 scopes x 10,000 resources written by 8 concurrent
//! `plumb scan --store` jobs into PostgreSQL, two nights, then `plumb drift --since 24h` and
//! `plumb report --org` over all of it; and the same for one scope on SQLite. Reports wall
//! time and each command's peak memory. Ignored by default, run with:
//!
//! ```sh
//! cargo test --release --no-default-features --test it -- --ignored --nocapture org_bench::
//! ```
//!
//! `PLUMB_BENCH_SCOPES`, `PLUMB_BENCH_RESOURCES` and `PLUMB_BENCH_WRITERS` change the sizes.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use common::pg_server::Server;
use serde_json::json;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A plan of `n` resources for scope `scope`; on night 2 one resource in a hundred changes
/// (an EBS volume loses its encryption) and one is added.
fn plan(path: &Path, scope: usize, n: usize, night: u32) {
    let mut changes: Vec<_> = (0..n)
        .map(|i| {
            let (kind, after) = match i % 3 {
                0 => (
                    "aws_s3_bucket",
                    json!({"bucket": format!("s{scope}-bucket-{i}"), "tags": {"Owner": "team"}}),
                ),
                1 => (
                    "aws_ebs_volume",
                    json!({"size": 10 + i % 90, "type": "gp3",
                           "encrypted": !(night == 2 && i % 100 == 1), "tags": {"Owner": "team"}}),
                ),
                _ => (
                    "aws_cloudwatch_log_group",
                    json!({"name": format!("/s{scope}/app/{i}"), "retention_in_days": 365}),
                ),
            };
            json!({"address": format!("{kind}.r{i}"), "mode": "managed", "type": kind, "name": format!("r{i}"),
                   "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {}}})
        })
        .collect();
    if night == 2 {
        changes.push(
            json!({"address": "aws_s3_bucket.added", "mode": "managed", "type": "aws_s3_bucket",
            "name": "added", "change": {"actions": ["create"], "before": null, "after_unknown": {},
            "after": {"bucket": format!("s{scope}-added")}}}),
        );
    }
    let plan = json!({"format_version": "1.2", "terraform_version": "1.9.8",
                      "resource_changes": changes, "configuration": {"root_module": {}}});
    std::fs::write(path, serde_json::to_vec(&plan).unwrap()).unwrap();
}

/// Runs plumb, returning its wall time (s) and peak resident memory (MiB). Measured by GNU
/// time: a child spawned from this (large) test process would report the test's own
/// high-water mark, inherited through vfork and exec, as its peak.
fn measure(args: &[&str]) -> (f64, f64) {
    let report = tempfile::NamedTempFile::new().unwrap();
    let started = Instant::now();
    let status = Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(report.path())
        .arg(env!("CARGO_BIN_EXE_plumb"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("/usr/bin/time runs (Debian package time)");
    let wall = started.elapsed().as_secs_f64();
    let code = status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "plumb {args:?} exited {code}");
    let kib: f64 = std::fs::read_to_string(report.path())
        .unwrap()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .expect("time prints the peak in KiB");
    (wall, kib / 1024.0)
}

/// Writes one night: `scopes` plans of `n` resources, `writers` jobs at a time. Returns the
/// wall time and the largest writer's peak memory.
fn night(
    dir: &Path,
    store: &str,
    scopes: usize,
    n: usize,
    writers: usize,
    night: u32,
) -> (f64, f64) {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let peak = std::thread::scope(|s| {
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let next = &next;
                s.spawn(move || {
                    let mut peak: f64 = 0.0;
                    loop {
                        let scope = next.fetch_add(1, Ordering::SeqCst);
                        if scope >= scopes {
                            return peak;
                        }
                        let path: PathBuf = dir.join(format!("w{w}.json"));
                        plan(&path, scope, n, night);
                        let name = format!("account-{scope:03}");
                        let (_, mib) = measure(&[
                            "scan",
                            path.to_str().unwrap(),
                            "--fail-on",
                            "never",
                            "--format",
                            "json=/dev/null",
                            "--store",
                            store,
                            "--scope",
                            &name,
                        ]);
                        peak = peak.max(mib);
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .fold(0.0, f64::max)
    });
    (started.elapsed().as_secs_f64(), peak)
}

fn org_commands(label: &str, store: &str) {
    let (wall, mib) = measure(&[
        "drift",
        "--store",
        store,
        "--since",
        "24h",
        "--fail-on",
        "never",
        "--format",
        "json=/dev/null",
    ]);
    eprintln!("{label}: drift --since 24h: {wall:.1} s, {mib:.0} MiB peak");
    let (wall, mib) = measure(&[
        "report",
        "--org",
        "--store",
        store,
        "--format",
        "json=/dev/null",
        "--format",
        "html=/dev/null",
    ]);
    eprintln!("{label}: report --org (json + html): {wall:.1} s, {mib:.0} MiB peak");
    assert!(
        mib < 2048.0,
        "the organisation report needs {mib:.0} MiB, more than 2 GB"
    );
}

#[test]
#[ignore = "benchmark: cargo test --release --no-default-features --test it -- --ignored --nocapture org_bench::"]
fn a_hundred_scopes_of_ten_thousand_resources() {
    let scopes = env_or("PLUMB_BENCH_SCOPES", 100);
    let n = env_or("PLUMB_BENCH_RESOURCES", 10_000);
    let writers = env_or("PLUMB_BENCH_WRITERS", 8);
    let server = Server::start().expect("PostgreSQL is needed for this benchmark");
    let url = server.database("bench");
    let dir = tempfile::tempdir().unwrap();
    let age = |client: &mut postgres::Client| {
        client
            .execute(
                "UPDATE plumb_snapshots SET taken_at = to_char((now() - interval '30 hours')
                   AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                &[],
            )
            .unwrap();
    };

    let (wall, mib) = night(dir.path(), &url, scopes, n, writers, 1);
    eprintln!(
        "postgres: night 1, {scopes} scopes x {n} resources, {writers} writers: {wall:.1} s, {mib:.0} MiB peak per writer"
    );
    age(&mut server.client("bench"));
    let (wall, mib) = night(dir.path(), &url, scopes, n, writers, 2);
    eprintln!("postgres: night 2: {wall:.1} s, {mib:.0} MiB peak per writer");
    let size: i64 = server
        .client("bench")
        .query_one("SELECT pg_total_relation_size('plumb_snapshots')", &[])
        .unwrap()
        .get(0);
    eprintln!(
        "postgres: {} snapshots, {:.0} MB on the server",
        scopes * 2,
        size as f64 / 1e6
    );
    org_commands("postgres", &url);

    // The same for one scope on SQLite.
    let db = dir.path().join("one.db");
    let sqlite = db.to_str().unwrap();
    let (wall, _) = night(dir.path(), sqlite, 1, n, 1, 1);
    eprintln!("sqlite: night 1, 1 scope x {n} resources: {wall:.1} s");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE snapshots SET taken_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 hours')",
            [],
        )
        .unwrap();
    let (wall, _) = night(dir.path(), sqlite, 1, n, 1, 2);
    eprintln!("sqlite: night 2: {wall:.1} s");
    org_commands("sqlite (one scope)", sqlite);
    // And one scope on PostgreSQL, to set beside it.
    let one = server.database("one");
    night(dir.path(), &one, 1, n, 1, 1);
    age(&mut server.client("one"));
    night(dir.path(), &one, 1, n, 1, 2);
    org_commands("postgres (one scope)", &one);
}
