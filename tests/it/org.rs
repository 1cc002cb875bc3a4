//! The organisation views over a store many jobs write to (`history --all-scopes`,
//! `drift --since`, `report --org`), on SQLite and on PostgreSQL alike.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::pg_server::{PASSWORD, Server};
use common::*;
use serde_json::{Value, json};

/// A plan of EBS volumes, `(name, encrypted)`.
fn volumes(dir: &Path, file: &str, list: &[(&str, bool)]) -> PathBuf {
    let changes: Vec<_> = list
        .iter()
        .map(|(name, encrypted)| {
            json!({"address": format!("aws_ebs_volume.{name}"), "mode": "managed",
                   "type": "aws_ebs_volume", "name": name,
                   "change": {"actions": ["create"], "before": null, "after_unknown": {},
                              "after": {"size": 10, "type": "gp3", "encrypted": encrypted,
                                        "tags": {"Owner": "team"}}}})
        })
        .collect();
    let plan = json!({"format_version": "1.2", "terraform_version": "1.9.8",
                      "resource_changes": changes, "configuration": {"root_module": {}}});
    let path = dir.join(file);
    std::fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();
    path
}

fn ok(out: &Output) -> &Output {
    assert!(
        code(out) == 0 || code(out) == 1,
        "exit {}: {}{}",
        code(out),
        stdout(out),
        stderr(out)
    );
    out
}

fn scan(path: &Path, store: &str, scope: &str, extra: &[&str]) {
    let mut args = vec![
        "scan",
        path.to_str().unwrap(),
        "--fail-on",
        "never",
        "--format",
        "json=/dev/null",
        "--store",
        store,
        "--scope",
        scope,
    ];
    args.extend_from_slice(extra);
    let out = plumb(&args);
    // A scan that could not read everything exits 2, and still keeps what it read.
    assert!(
        stderr(&out).contains("stored snapshot"),
        "exit {}: {}",
        code(&out),
        stderr(&out)
    );
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}{}", stdout(out), stderr(out)))
}

/// Three scopes over two nights: `prod` ran both nights (one failure fixed, one new),
/// `stale` ran only the first night, `partial` ran last night and could not read everything.
/// `age` moves every snapshot so far 30 hours back (to "last night but one").
fn org_views(store: &str, age: &dyn Fn()) {
    let dir = tempfile::tempdir().unwrap();
    let night1 = volumes(
        dir.path(),
        "n1.json",
        &[("a", true), ("b", false), ("c", true)],
    );
    let night2 = volumes(
        dir.path(),
        "n2.json",
        &[("a", true), ("b", true), ("c", false), ("d", true)],
    );
    scan(&night1, store, "prod", &[]);
    scan(&night1, store, "stale", &[]);
    age();
    scan(&night2, store, "prod", &[]);
    let broken = broken_beside_good();
    scan(broken.path(), store, "partial", &["--keep-going"]);

    let out = plumb(&[
        "history",
        "--store",
        store,
        "--all-scopes",
        "--format",
        "json",
    ]);
    let scopes = json_of(ok(&out));
    let names: Vec<&str> = scopes
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scope"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["partial", "prod", "stale"]);
    assert_eq!(scopes[1]["snapshots"], 2);
    let out = plumb(&["history", "--store", store, "--all-scopes"]);
    assert!(
        stdout(ok(&out)).contains("3 scopes, 4 snapshots"),
        "{}",
        stdout(&out)
    );
    let out = plumb(&[
        "history", "--store", store, "--scope", "prod", "show", "previous",
    ]);
    assert!(
        stdout(ok(&out)).contains("scope      prod"),
        "{}",
        stdout(&out)
    );

    // What changed anywhere in the last day: prod drifted (and its drift breaks a control);
    // stale has no snapshot in the window; partial has nothing to compare with yet.
    let out = plumb(&[
        "drift",
        "--store",
        store,
        "--since",
        "24h",
        "--format",
        "json",
        "--fail-on",
        "breaking",
    ]);
    assert_eq!(
        code(&out),
        1,
        "breaking drift fails the run: {}",
        stderr(&out)
    );
    let drift = json_of(&out);
    assert_eq!(drift["drifted"].as_array().unwrap().len(), 1, "{drift}");
    assert_eq!(drift["drifted"][0]["scope"], "prod");
    let summary = &drift["drifted"][0]["report"]["summary"];
    assert_eq!(
        (summary["added"].as_u64(), summary["changed"].as_u64()),
        (Some(1), Some(2)),
        "{summary}"
    );
    assert!(summary["breaking"].as_u64().unwrap() >= 1, "{summary}");
    assert_eq!(drift["missing"][0]["scope"], "stale");
    assert_eq!(drift["first"][0]["scope"], "partial");
    let out = plumb(&["drift", "--store", store, "--since", "24h"]);
    assert!(stdout(&out).contains("=== prod ==="), "{}", stdout(&out));
    assert!(stdout(&out).contains("missing: stale"), "{}", stdout(&out));
    let out = plumb(&[
        "drift", "--store", store, "--since", "24h", "--format", "html",
    ]);
    assert_eq!(code(&out), 2);

    // The organisation report.
    let html = dir.path().join("org.html");
    let md = dir.path().join("org.md");
    let out = plumb(&[
        "report",
        "--org",
        "--store",
        store,
        "--format",
        "json",
        "--format",
        &format!("html={}", html.display()),
        "--format",
        &format!("markdown={}", md.display()),
    ]);
    let report = json_of(ok(&out));
    assert_eq!(report["schema"], "plumb.dev/org-report/v1");
    let order: Vec<(&str, &str)> = report["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["status"].as_str().unwrap(), s["scope"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("missing", "stale"),
            ("incomplete", "partial"),
            ("ok", "prod")
        ]
    );
    let prod = &report["scopes"][2];
    // New: c's encryption failure, whatever the new volume d fails, and b's key, now that b
    // is encrypted (with the AWS-managed key, PLB-KMS-003); resolved: b's encryption failure.
    let all_new = report["new_findings"].as_array().unwrap();
    let b_new: Vec<&str> = all_new
        .iter()
        .filter(|f| {
            f["resource"]
                .as_str()
                .unwrap()
                .ends_with("aws_ebs_volume.b")
        })
        .map(|f| f["policy_id"].as_str().unwrap())
        .collect();
    assert_eq!(b_new, ["PLB-KMS-003"]);
    let new: Vec<&str> = all_new
        .iter()
        .map(|f| f["resource"].as_str().unwrap())
        .filter(|r| !r.ends_with("aws_ebs_volume.b"))
        .collect();
    assert!(
        new.iter()
            .all(|r| r.ends_with("aws_ebs_volume.c") || r.ends_with("aws_ebs_volume.d")),
        "{new:?}"
    );
    assert_eq!(
        new.iter()
            .filter(|r| r.ends_with("aws_ebs_volume.c"))
            .count(),
        1,
        "{new:?}"
    );
    assert!(
        new.iter().any(|r| r.ends_with("aws_ebs_volume.d")),
        "{new:?}"
    );
    assert_eq!(prod["new"].as_u64(), Some(all_new.len() as u64));
    // Resolved: b's encryption failure, and c's key (c is no longer encrypted at all, which is
    // its new failure).
    assert_eq!(prod["resolved"], 2, "{prod}");
    let resolved: Vec<(String, String)> = report["resolved_findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let resource = f["resource"].as_str().unwrap();
            let name = resource.rsplit('.').next().unwrap();
            (
                f["policy_id"].as_str().unwrap().to_string(),
                name.to_string(),
            )
        })
        .collect();
    assert!(
        resolved.contains(&("PLB-EBS-001".into(), "b".into()))
            && resolved.contains(&("PLB-KMS-003".into(), "c".into())),
        "{resolved:?}"
    );
    assert!(prod["fail"].as_u64().unwrap() > 0 && prod["pass"].as_u64().unwrap() > 0);
    assert_eq!(report["totals"]["missing"], 1);
    assert_eq!(report["totals"]["incomplete"], 1);
    let controls = report["controls"].as_array().unwrap();
    assert!(
        controls
            .iter()
            .any(|c| c["framework"] == "soc2" && c["fail"].as_u64() > Some(0)),
        "{controls:?}"
    );
    let html = std::fs::read_to_string(&html).unwrap();
    assert!(
        html.contains("<tr class=\"missing\"><td>missing</td><td>stale</td>"),
        "{html}"
    );
    assert!(html.contains("Content-Security-Policy"));
    let md = std::fs::read_to_string(&md).unwrap();
    assert!(md.contains("| missing | stale |"), "{md}");
    assert!(
        md.contains(&format!("## New failures ({})", all_new.len())),
        "{md}"
    );
    for text in [&html, &md, &stdout(&out)] {
        assert!(!text.contains(PASSWORD), "the password leaked");
    }
    let out = plumb(&["report", "--org", "--store", store, "--format", "sarif"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("console, json, markdown or html"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn organisation_views_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("org.db");
    let path = db.clone();
    org_views(db.to_str().unwrap(), &move || {
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute(
                "UPDATE snapshots SET taken_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-30 hours')",
                [],
            )
            .unwrap();
    });
}

#[test]
fn organisation_views_on_postgres() {
    let Some(server) = Server::start() else {
        return;
    };
    let url = server.database("org");
    org_views(&url, &|| {
        server
            .client("org")
            .execute(
                "UPDATE plumb_snapshots SET taken_at =
                   to_char((now() - interval '30 hours') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                &[],
            )
            .unwrap();
    });
}
