//! `plumb drift` as a nightly job and an engineer meet it: two snapshots of a live estate
//! (`fixtures/drift/live-*.json`, in the live collector's shape, with CloudTrail events), and
//! the Terraform state that describes the original estate (`fixtures/drift/estate.tfstate`).
//!
//! Between the snapshots: a bucket's versioning was suspended, a security group opened SSH to
//! 0.0.0.0/0, a DynamoDB table was deleted, a bucket was added, and the database's
//! point-in-time window moved (volatile).

use crate::common;

use std::fs;

use common::drift::{changed, ids, strings};
use common::*;
use serde_json::Value;

const BEFORE: &str = "fixtures/drift/live-before.json";
const AFTER: &str = "fixtures/drift/live-after.json";
const STATE: &str = "fixtures/drift/estate.tfstate";
const ACCOUNT: &str = "aws:123456789012:eu-west-1";

fn drift_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["drift", "--format", "json"];
    all.extend_from_slice(args);
    let out = plumb(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&out)));
    (code(&out), report)
}

#[test]
fn snapshots_show_exactly_what_changed_what_broke_and_who() {
    let (code, r) = drift_json(&["--from", BEFORE, "--to", AFTER]);
    assert_eq!(code, 1, "drift exits 1");
    assert_eq!(r["schema"], "plumb.dev/drift/v1");
    assert_eq!(r["mode"], "snapshots");

    let sg = format!("{ACCOUNT}:aws_security_group:sg-0a1b2c3d4e5f60001");
    let logs = format!("{ACCOUNT}:aws_s3_bucket:acme-logs");
    let versioning = format!("{ACCOUNT}:aws_s3_bucket_versioning:acme-logs");
    let changed = changed(&r, "action");
    assert_eq!(
        changed.keys().cloned().collect::<Vec<_>>(),
        [logs.clone(), versioning.clone(), sg.clone()],
        "the database's moving restore window is volatile, not a change"
    );
    assert_eq!(
        changed[&sg],
        (
            vec![
                "/attrs/ingress/0".into(),
                "/facets/open_ingress".into(),
                "/facets/rule_count".into()
            ],
            vec!["PLB-SG-001".into(), "PLB-SG-003".into()],
            vec!["AuthorizeSecurityGroupIngress".into()],
        ),
        "the failed second call (UnauthorizedOperation) is not shown"
    );
    assert_eq!(
        changed[&versioning],
        (
            vec!["/attrs/versioning_configuration/0/status".into()],
            // Versioning is also what met the recovery point objective.
            vec!["PLB-S3-005".into(), "PLB-S3-008".into()],
            vec!["PutBucketVersioning".into()],
        ),
        "the satellite's change is the one that broke versioning; the tagging call before the window is not shown"
    );
    assert_eq!(
        changed[&logs].0,
        [
            "/facets/rpo_basis",
            "/facets/rpo_minutes",
            "/facets/versioning"
        ],
        "the bucket's facets (versioning, and the recovery point it gave) moved with its satellite"
    );
    let sg_change = r["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"]["id"] == sg.as_str())
        .unwrap();
    assert_eq!(sg_change["changes"][0]["before"], Value::Null);
    assert_eq!(
        sg_change["changes"][0]["after"]["cidr_blocks"][0],
        "0.0.0.0/0"
    );
    let event = &sg_change["events"][0];
    assert_eq!(event["actor"]["name"], "bob");
    assert_eq!(event["source_ip"], "198.51.100.23");

    // Breaking changes come first, most severe first.
    assert_eq!(r["changed"][0]["resource"]["id"], sg.as_str());
    assert!(
        r["changed"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c["breaks"].as_array().unwrap().is_empty())
    );

    assert_eq!(
        ids(&r["added"]),
        [format!("{ACCOUNT}:aws_s3_bucket:acme-scratch")]
    );
    assert!(strings(&r["added"][0]["breaks"]).contains(&"PLB-S3-003".to_string()));
    assert_eq!(r["added"][0]["events"][0]["action"], "CreateBucket");
    assert_eq!(
        ids(&r["removed"]),
        [format!("{ACCOUNT}:aws_dynamodb_table:orders")]
    );
    assert_eq!(
        r["removed"][0]["events"][0]["actor"]["invoked_by"],
        "cloudformation.amazonaws.com"
    );

    let new: Vec<(String, String)> = r["findings"]["new"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["policy_id"].as_str().unwrap().to_string(),
                f["resource"]["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(new.contains(&("PLB-SG-001".into(), sg.clone())));
    assert!(new.contains(&("PLB-S3-005".into(), logs.clone())));
    // Only the deleted table's failures went away, with it.
    let resolved = r["findings"]["resolved"].as_array().unwrap();
    assert!(!resolved.is_empty());
    for f in resolved {
        assert_eq!(
            f["resource"]["id"],
            format!("{ACCOUNT}:aws_dynamodb_table:orders")
        );
        assert!(f["after"].is_null());
    }
    let s = &r["summary"];
    assert_eq!(
        (
            s["changed"].as_u64(),
            s["added"].as_u64(),
            s["removed"].as_u64(),
            s["breaking"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(4))
    );
    assert_eq!(r["attribution"]["source"], "aws-cloudtrail");
    assert_eq!(r["attribution"]["complete"], true);
}

#[test]
fn iac_against_live_shows_changed_missing_unmanaged_and_provider_defaults() {
    let (code, r) = drift_json(&["--iac", STATE, "--live", AFTER]);
    assert_eq!(code, 1);
    assert_eq!(r["mode"], "iac_vs_live");
    let changed = changed(&r, "action");
    let sg = format!("{ACCOUNT}:aws_security_group:sg-0a1b2c3d4e5f60001");
    assert_eq!(
        changed.keys().cloned().collect::<Vec<_>>(),
        [
            format!("{ACCOUNT}:aws_s3_bucket:acme-logs"),
            format!("{ACCOUNT}:aws_s3_bucket_versioning:acme-logs"),
            sg.clone(),
        ],
        "tags_all against live tags, log-group ARNs with and without :*, and attributes Terraform does not state are not drift"
    );
    assert_eq!(changed[&sg].1, ["PLB-SG-001", "PLB-SG-003"]);
    let sg_change = r["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["resource"]["id"] == sg.as_str())
        .unwrap();
    assert_eq!(sg_change["iac"]["address"], "aws_security_group.web");
    assert_eq!(
        sg_change["resource"]["cloud_id"],
        "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0a1b2c3d4e5f60001"
    );
    assert_eq!(
        ids(&r["unmanaged"]),
        [format!("{ACCOUNT}:aws_s3_bucket:acme-scratch")]
    );
    assert_eq!(ids(&r["missing"]), ["tf:aws_dynamodb_table.orders"]);
    assert_eq!(r["missing"][0]["events"][0]["action"], "DeleteTable");
    let managed: Vec<String> = r["provider_managed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["resource"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        managed,
        ["default", "vpc-0default00000001", "AWSServiceRoleForRDS"]
    );
    assert!(
        strings(&r["notes"])
            .iter()
            .any(|n| n.starts_with("1 IaC resource of kinds the live inventory does not read")),
        "random_id is out of scope: {}",
        r["notes"]
    );

    // The state describes the estate as it was: no drift against the first snapshot.
    let (code, r) = drift_json(&["--iac", STATE, "--live", BEFORE]);
    assert_eq!(code, 0, "{}", r["changed"]);
    assert_eq!(r["summary"]["drift"], false);
}

#[test]
fn store_snapshots_compare_previous_with_latest() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("terraform.tfstate");
    let db = dir.path().join("history.db");
    let store = format!("--store={}", db.display());
    let scan = |state_text: &str| {
        fs::write(&state, state_text).unwrap();
        let out = plumb(&[
            "scan",
            state.to_str().unwrap(),
            &store,
            "--fail-on",
            "never",
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert!(stderr(&out).contains("stored snapshot"), "{}", stderr(&out));
    };
    let original = fs::read_to_string(STATE).unwrap();
    scan(&original);
    scan(&original.replacen("\"retention_in_days\": 90", "\"retention_in_days\": 7", 1));

    let out = plumb(&["history", "--store", db.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listing = stdout(&out);
    assert!(listing.contains("2 snapshots"), "{listing}");

    let (status, r) = drift_json(&["--store", db.to_str().unwrap()]);
    assert_eq!(status, 1);
    assert_eq!(r["from"]["snapshot"], 1);
    assert_eq!(r["to"]["snapshot"], 2);
    let changed = changed(&r, "action");
    let (paths, breaks, _) = &changed["tf:aws_cloudwatch_log_group.api"];
    assert_eq!(
        paths,
        &["/attrs/retention_in_days", "/facets/log_retention_days"]
    );
    assert!(
        breaks.iter().any(|b| b.starts_with("PLB-LOG")),
        "{breaks:?}"
    );

    // The same comparison from exported inventories.
    let inv = dir.path().join("one.json");
    let out = plumb(&[
        "history",
        "--store",
        db.to_str().unwrap(),
        "show",
        "1",
        "--inventory",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    fs::write(&inv, &out.stdout).unwrap();
    let (status, r2) = drift_json(&[
        "--store",
        db.to_str().unwrap(),
        "--from",
        inv.to_str().unwrap(),
        "--to",
        "latest",
    ]);
    assert_eq!(status, 1);
    assert_eq!(r2["changed"], r["changed"]);
    // Judging everything again gives the findings the store's verdicts gave.
    let latest = dir.path().join("two.json");
    let out = plumb(&[
        "history",
        "--store",
        db.to_str().unwrap(),
        "show",
        "latest",
        "--inventory",
    ]);
    fs::write(&latest, &out.stdout).unwrap();
    let (_, r3) = drift_json(&[
        "--from",
        inv.to_str().unwrap(),
        "--to",
        latest.to_str().unwrap(),
    ]);
    assert_eq!(r3["findings"], r["findings"]);
    assert_eq!(r3["summary"], r["summary"]);
    assert!(!r["findings"]["open"].as_array().unwrap().is_empty());

    // Unknown snapshots are errors (exit 2), naming what the store holds.
    let out = plumb(&[
        "drift",
        "--store",
        db.to_str().unwrap(),
        "--from",
        "latest~5",
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no snapshot latest~5 (the store holds 2 snapshots)"),
        "{}",
        stderr(&out)
    );
    let out = plumb(&[
        "drift",
        "--store",
        dir.path().join("none.db").to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no store here"), "{}", stderr(&out));
}

#[test]
fn plumbignore_hides_known_drift_and_reports_stale_rules() {
    let dir = tempfile::tempdir().unwrap();
    let ignore = dir.path().join("known-drift");
    fs::write(
        &ignore,
        "# accepted drift\n\
         aws_s3_bucket acme-scratch            # the data team's scratch space\n\
         aws_security_group web /attrs/ingress  # rules managed by the firewall team\n\
         aws_security_group web /facets/*\n\
         aws_s3_bucket* acme-logs\n\
         aws_lambda_function * /attrs/last_modified\n",
    )
    .unwrap();
    let (status, r) = drift_json(&[
        "--from",
        BEFORE,
        "--to",
        AFTER,
        "--ignore",
        ignore.to_str().unwrap(),
    ]);
    assert_eq!(status, 1, "the deleted table is still drift");
    assert!(
        r["changed"].as_array().unwrap().is_empty(),
        "{}",
        r["changed"]
    );
    assert!(r["added"].as_array().unwrap().is_empty());
    assert_eq!(r["removed"].as_array().unwrap().len(), 1);
    let ignored: Vec<(String, Option<String>)> = r["ignored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["resource"].as_str().unwrap().to_string(),
                i["path"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert!(ignored.contains(&(
        format!("{ACCOUNT}:aws_security_group:sg-0a1b2c3d4e5f60001"),
        Some("/attrs/ingress/0".into())
    )));
    assert!(ignored.contains(&(format!("{ACCOUNT}:aws_s3_bucket:acme-scratch"), None)));
    let notes = strings(&r["notes"]);
    assert!(
        notes.iter().any(|n| n.contains(":6 matched nothing")),
        "{notes:?}"
    );
    // Findings are compliance, not drift: ignoring drift does not hide them.
    assert!(!r["findings"]["new"].as_array().unwrap().is_empty());

    fs::write(&ignore, "aws_s3_bucket\n").unwrap();
    let out = plumb(&[
        "drift",
        "--from",
        BEFORE,
        "--to",
        AFTER,
        "--ignore",
        ignore.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("known-drift:1: expected KIND RESOURCE [PATH]"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn exit_codes_follow_fail_on() {
    let run = |extra: &[&str]| {
        let mut args = vec!["drift", "--from", BEFORE, "--to", AFTER, "--format", "json"];
        args.extend_from_slice(extra);
        code(&plumb(&args))
    };
    assert_eq!(run(&[]), 1);
    assert_eq!(run(&["--fail-on", "breaking"]), 1);
    assert_eq!(run(&["--fail-on", "never"]), 0);
    // Identical sides: no drift.
    let out = plumb(&["drift", "--from", BEFORE, "--to", BEFORE]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("no drift"), "{}", stdout(&out));
}

#[test]
fn human_formats_snapshot() {
    let run = |format: &str| {
        let out = plumb(&["drift", "--from", BEFORE, "--to", AFTER, "--format", format]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        stdout(&out)
    };
    insta::assert_snapshot!("drift_console", run("console"));
    insta::assert_snapshot!("drift_markdown", run("markdown"));
}

#[test]
fn html_is_self_contained_and_escapes_what_resources_say() {
    let dir = tempfile::tempdir().unwrap();
    // A bucket whose name and tags carry markup, added between the snapshots.
    let mut after: Value = serde_json::from_str(&fs::read_to_string(AFTER).unwrap()).unwrap();
    let hostile = "<script>alert(1)</script>";
    let resources = after["resources"].as_array_mut().unwrap();
    let mut evil = resources
        .iter()
        .find(|r| r["name"] == "acme-scratch")
        .unwrap()
        .clone();
    evil["id"] = format!("{ACCOUNT}:aws_s3_bucket:{hostile}").into();
    evil["name"] = hostile.into();
    evil["attrs"]["tags"]["Owner"] = "\"><img src=x onerror=alert(2)>".into();
    resources.push(evil);
    resources.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let path = dir.path().join("after.json");
    fs::write(&path, serde_json::to_string(&after).unwrap()).unwrap();
    let html_path = dir.path().join("out/drift.html");
    let out = plumb(&[
        "drift",
        "--from",
        BEFORE,
        "--to",
        path.to_str().unwrap(),
        "--format",
        &format!("html={}", html_path.display()),
        "--format",
        "console",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let html = fs::read_to_string(&html_path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains(hostile),
        "markup from a resource reached the page"
    );
    assert!(!html.contains("<img"), "markup from a tag reached the page");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    for external in ["src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(external), "external reference {external}");
    }
    // The policy forbids every request and allows the page's own style only, by its hash.
    assert!(
        html.contains("content=\"default-src &#x27;none&#x27;; style-src &#x27;sha256-")
            || html.contains("content=\"default-src 'none'; style-src 'sha256-"),
        "{}",
        &html[..400]
    );
    assert!(!html.contains("unsafe-inline") && !html.contains("<script"));
    assert!(html.contains("Drift that breaks a control"));
    assert!(html.contains("PutBucketVersioning"));
    assert!(html.contains("PLB-SG-001"));
    // The console output went to standard output at the same time.
    assert!(stdout(&out).contains("plumb drift:"));
}

#[test]
fn markdown_stays_within_a_pull_request_comment() {
    // 500 buckets whose versioning was suspended overnight: some 250,000 characters of rows.
    let dir = tempfile::tempdir().unwrap();
    let side = |status: &str| {
        let resources: Vec<Value> = (0..500)
            .flat_map(|i| {
                let b = format!("bucket-{i:04}");
                [
                    serde_json::json!({"id": format!("{ACCOUNT}:aws_s3_bucket:{b}"), "kind": "aws_s3_bucket", "name": b,
                        "cloud_id": format!("arn:aws:s3:::{b}"), "source": {"type": "aws", "account": "123456789012", "region": "eu-west-1"},
                        "attrs": {"bucket": b}}),
                    serde_json::json!({"id": format!("{ACCOUNT}:aws_s3_bucket_versioning:{b}"), "kind": "aws_s3_bucket_versioning", "name": b,
                        "source": {"type": "aws", "account": "123456789012", "region": "eu-west-1"},
                        "attrs": {"bucket": b, "versioning_configuration": [{"status": status}]}}),
                ]
            })
            .collect();
        let inv = serde_json::json!({"schema": "plumb.dev/inventory/v1",
            "metadata": {"collected_at": "2026-11-27T01:00:00Z", "tool": {"name": "plumb", "version": "0"}},
            "resources": resources});
        let path = dir.path().join(format!("{status}.json"));
        fs::write(&path, inv.to_string()).unwrap();
        path
    };
    let (before, after) = (side("Enabled"), side("Suspended"));
    let out = plumb(&[
        "drift",
        "--from",
        before.to_str().unwrap(),
        "--to",
        after.to_str().unwrap(),
        "--format",
        "markdown",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let md = stdout(&out);
    assert!(md.len() < 65_536, "{} characters", md.len());
    assert!(md.contains("more rows are not shown here"), "{md}");
    assert!(md.starts_with("## plumb drift:"));
}
