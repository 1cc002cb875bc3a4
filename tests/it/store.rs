//! The snapshot store under stress: writers killed mid-write, writers racing each other, and
//! the history commands on what they leave.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use plumb::store::Store;
use rusqlite::{Connection, ErrorCode};
use serde_json::json;

const RETENTION: [u32; 4] = [0, 30, 90, 365];

/// A Terraform plan of `n` resources: big enough that storing it takes a noticeable time.
fn big_plan(dir: &Path, n: usize) -> PathBuf {
    let changes: Vec<_> = (0..n)
        .map(|i| {
            let (kind, after) = match i % 3 {
                0 => (
                    "aws_s3_bucket",
                    json!({"bucket": format!("bucket-{i}"), "tags": {"Owner": "team", "Index": i.to_string()}}),
                ),
                1 => (
                    "aws_ebs_volume",
                    json!({"size": 10 + i % 90, "type": "gp3", "encrypted": i % 4 != 0, "tags": {"Owner": "team"}}),
                ),
                _ => (
                    "aws_cloudwatch_log_group",
                    json!({"name": format!("/app/{i}"), "retention_in_days": RETENTION[i % 4]}),
                ),
            };
            json!({"address": format!("{kind}.r{i}"), "mode": "managed", "type": kind, "name": format!("r{i}"),
                   "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {}}})
        })
        .collect();
    let plan = json!({"format_version": "1.2", "terraform_version": "1.9.8",
                      "resource_changes": changes, "configuration": {"root_module": {}}});
    let path = dir.join("plan.json");
    std::fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();
    path
}

fn writer(plan: &Path, db: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["scan", plan.to_str().unwrap(), "--fail-on", "never"])
        .arg(format!("--store={}", db.display()))
        .args(["--format", "json=/dev/null"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("plumb starts")
}

/// Snapshot ids in the store, after checking the database and every snapshot in it.
fn intact_ids(db: &Path) -> Vec<i64> {
    let store = Store::open(db).expect("the store opens");
    let problems = store.verify().expect("verify runs");
    assert!(problems.is_empty(), "store damaged: {problems:?}");
    store.list().unwrap().iter().map(|s| s.id).collect()
}

/// Snapshot ids in the store after a quick structural check: cheap enough for every round.
fn ids(db: &Path) -> Vec<i64> {
    let conn = Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA quick_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut stmt = conn
        .prepare("SELECT id FROM snapshots ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Whether a writer holds the store's write lock right now.
fn write_locked(probe: &Connection) -> bool {
    match probe.execute_batch("BEGIN IMMEDIATE") {
        Ok(()) => {
            probe.execute_batch("ROLLBACK").unwrap();
            false
        }
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == ErrorCode::DatabaseBusy => true,
        Err(e) => panic!("probe failed: {e}"),
    }
}

#[test]
fn a_writer_killed_mid_write_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let plan = big_plan(dir.path(), 2_000);
    let db = dir.path().join("plumb.db");
    let first = writer(&plan, &db).wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(intact_ids(&db), [1]);

    let probe = Connection::open(&db).unwrap();
    probe.busy_timeout(Duration::ZERO).unwrap();
    let mut mid_transaction = 0;
    let mut rolled_back = 0;
    let mut runs = 0;
    // Kill writers while they hold the write lock (inside the snapshot's transaction); every
    // other run is killed at a time spread over the whole run instead, to hit the other
    // phases (reading, evaluating, compressing).
    while runs < 12 && (mid_transaction < 3 || runs < 6) {
        runs += 1;
        let before = ids(&db);
        let mut child = writer(&plan, &db);
        let started = Instant::now();
        let timed_kill = Duration::from_millis(100 * runs as u64);
        let mut killed_in_transaction = false;
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            let lock = runs % 2 == 1 && write_locked(&probe);
            if lock || (runs % 2 == 0 && started.elapsed() >= timed_kill) {
                child.kill().unwrap(); // SIGKILL: no destructor, no rollback by the writer
                child.wait().unwrap();
                killed_in_transaction = lock;
                break None;
            }
            if started.elapsed() > Duration::from_secs(120) {
                panic!("writer hangs");
            }
        };
        let after = ids(&db);
        match finished {
            Some(status) => {
                assert!(status.success());
                assert_eq!(
                    after.len(),
                    before.len() + 1,
                    "a finished writer stored one snapshot"
                );
            }
            None => {
                // All or nothing: the store as it was, or with the whole new snapshot.
                assert!(
                    after == before
                        || (after.len() == before.len() + 1 && after[..before.len()] == before[..]),
                    "before {before:?}, after {after:?}"
                );
                if killed_in_transaction {
                    mid_transaction += 1;
                    if after == before {
                        rolled_back += 1;
                    }
                }
            }
        }
    }
    assert!(
        rolled_back >= 1,
        "no writer was killed inside its transaction ({mid_transaction} kills under the lock in {runs} runs)"
    );
    // Every snapshot that made it is whole: it decompresses, parses and matches its hash.
    assert_eq!(intact_ids(&db), ids(&db));
}

#[test]
fn two_concurrent_writers_both_succeed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh/plumb.db");
    // Two writers race from the start, the store not yet created.
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                for _ in 0..4 {
                    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
                        .current_dir(root())
                        .args([
                            "scan",
                            "fixtures/demo",
                            "--fail-on",
                            "never",
                            "--format",
                            "json=/dev/null",
                        ])
                        .arg(format!("--store={}", db.display()))
                        .output()
                        .unwrap();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("writer thread");
    }
    assert_eq!(intact_ids(&db), (1..=8).collect::<Vec<_>>());
    let mode: String = Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn history_lists_shows_prunes_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let store = format!("--store={}", db.display());
    for _ in 0..3 {
        let out = plumb(&[
            "scan",
            "fixtures/demo/terraform",
            "--fail-on",
            "never",
            &store,
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    let dbs = db.to_str().unwrap();
    let out = plumb(&["history", "--store", dbs, "--format", "json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let first = &list[0];
    for key in [
        "id",
        "taken_at",
        "collected_at",
        "tool_version",
        "policy_pack",
        "policy_hash",
        "inventory_hash",
        "sources",
    ] {
        assert!(!first[key].is_null(), "{key} missing: {first}");
    }
    assert_eq!(first["command"], "scan");
    assert_eq!(
        first["inventory_hash"], list[2]["inventory_hash"],
        "same estate, same hash"
    );
    assert!(
        first["policy_pack"]
            .as_str()
            .unwrap()
            .starts_with("builtin ")
    );

    let out = plumb(&["history", "--store", dbs, "show", "previous"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("snapshot 2\n"), "{text}");
    assert!(
        text.contains("terraform-plan fixtures/demo/terraform/plan.json"),
        "{text}"
    );
    assert!(text.contains("failing ("), "{text}");

    // The stored inventory is a document `plumb check` reads.
    let inv = dir.path().join("inv.json");
    let out = plumb(&["history", "--store", dbs, "show", "1", "--inventory"]);
    std::fs::write(&inv, &out.stdout).unwrap();
    let out = plumb(&["check", inv.to_str().unwrap(), "--fail-on", "never"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Retention on write, then on demand.
    let out = plumb(&[
        "scan",
        "fixtures/demo/terraform",
        "--fail-on",
        "never",
        &store,
        "--keep",
        "2",
    ]);
    assert!(
        stderr(&out).contains("retention removed 2 older snapshots"),
        "{}",
        stderr(&out)
    );
    assert_eq!(intact_ids(&db), [3, 4]);
    let out = plumb(&["history", "--store", dbs, "prune", "--keep", "1"]);
    assert_eq!(stdout(&out).trim(), "removed 1 snapshot: 3");
    let out = plumb(&["history", "--store", dbs, "verify"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(
        stdout(&out).contains("1 snapshots, all intact"),
        "{}",
        stdout(&out)
    );
    let out = plumb(&["history", "--store", dbs, "prune"]);
    assert_eq!(code(&out), 2);

    // The store path and retention can come from plumb.yaml.
    let cfg = dir.path().join("plumb.yaml");
    std::fs::write(&cfg, "store:\n  path: from-config.db\n  keep: 1\n").unwrap();
    for _ in 0..2 {
        let out = plumb(&[
            "scan",
            "fixtures/demo/terraform",
            "--fail-on",
            "never",
            "--store",
            "--config",
            cfg.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    }
    assert_eq!(intact_ids(&dir.path().join("from-config.db")), [2]);

    // A store that is not one is refused, and left alone.
    let out = plumb(&["history", "--store", "fixtures/demo/terraform/plan.json"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("not a plumb store"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_stored_scan_reports_its_trend_against_the_earlier_snapshots_of_the_same_scope() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("plumb.db");
    let store = format!("--store={}", db.display());
    let json = dir.path().join("report.json");
    let html = dir.path().join("report.html");
    let scan = |path: &str, with_outputs: bool| {
        let json_arg = format!("json={}", json.display());
        let html_arg = format!("html={}", html.display());
        let mut args = vec!["scan", path, &store, "--fail-on", "never"];
        if with_outputs {
            args.extend(["--format", &json_arg, "--format", &html_arg]);
        } else {
            args.extend(["--format", "json=/dev/null"]);
        }
        let out = plumb(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    };

    // The first scan of a scope has no trend.
    scan("fixtures/demo/terraform", true);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report.get("trend"), None);
    let first_fail = report["summary"]["fail"].as_u64().unwrap();

    // Another scope in between is not part of this one's trend.
    scan("fixtures/demo/kubernetes", false);
    scan("fixtures/demo/terraform", true);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let history = report["trend"]["history"].as_array().expect("a trend");
    assert_eq!(history.len(), 1, "{history:#?}");
    assert_eq!(history[0]["snapshot"], "1");
    assert_eq!(history[0]["fail"].as_u64(), Some(first_fail));
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("Since the previous scan (1, "),
        "the HTML report shows the trend against snapshot 1"
    );
    assert!(
        page.contains("failures ±0"),
        "the same estate scanned again: no change in failures"
    );
}
