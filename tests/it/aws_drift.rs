//! The nightly job end to end, against the moto estate: `plumb collect aws --store`, a change
//! to the estate through boto3 (a bucket's versioning suspended, a security group opened to
//! 0.0.0.0/0, a DynamoDB table deleted, a bucket added), another `plumb collect aws --store`,
//! then `plumb drift --from previous --to latest`, and `plumb drift --iac` against a
//! Terraform state of the original estate.
//!
//! moto does not implement CloudTrail `LookupEvents`: the events of those changes are served
//! recorded, in the real wire format, by the loopback proxy ([`common::aws::Trail`]). The
//! Terraform state is written from the first snapshot inside the test, because moto makes up
//! ids (security groups, key ids) at random.

#![cfg(feature = "aws")]

use crate::common;

use chrono::Utc;
use common::aws::{Moto, Proxy, Recording, Trail, assumed_role, iam_user, moto_gaps, plumb_aws};
use common::drift::{changed, ids};
use common::{code, plumb, stderr, stdout};
use serde_json::{Value, json};

const PREFIX: &str = "aws:123456789012:eu-west-1";

/// The recorded events of the changes the test makes (and a failed call that changed nothing).
fn events_of_the_changes(web_sg: &str) -> Vec<(String, Value)> {
    let at = |seconds: i64| Utc::now() - chrono::Duration::seconds(seconds);
    let sg: &'static str = Box::leak(web_sg.to_string().into_boxed_str());
    let r = |id: &'static str, t, name: &'static str, source: &'static str, who: Value, res| {
        Recording {
            id,
            time: t,
            name,
            source,
            region: "eu-west-1",
            identity: who,
            resources: res,
            request: json!({}),
            read_only: false,
        }
        .event()
    };
    let sg_resources: &'static [(&'static str, &'static str)] =
        Box::leak(vec![("AWS::EC2::SecurityGroup", sg)].into_boxed_slice());
    vec![
        r(
            "ev-versioning",
            at(0),
            "PutBucketVersioning",
            "s3.amazonaws.com",
            iam_user("alice"),
            &[("AWS::S3::Bucket", "plumb-compliant-data")],
        ),
        r(
            "ev-sg",
            at(0),
            "AuthorizeSecurityGroupIngress",
            "ec2.amazonaws.com",
            assumed_role("Admin", "bob"),
            sg_resources,
        ),
        r(
            "ev-table",
            at(0),
            "DeleteTable",
            "dynamodb.amazonaws.com",
            iam_user("alice"),
            &[("AWS::DynamoDB::Table", "sessions")],
        ),
        r(
            "ev-bucket",
            at(0),
            "CreateBucket",
            "s3.amazonaws.com",
            iam_user("carol"),
            &[("AWS::S3::Bucket", "plumb-new-uploads")],
        ),
    ]
}

/// A Terraform state (format 4) describing `inventory`'s AWS resources as Terraform would:
/// each resource's provider-shaped attributes under its kind.
fn state_of(inventory: &Value) -> Value {
    let mut resources = Vec::new();
    for (i, r) in inventory["resources"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let kind = r["kind"].as_str().unwrap();
        if !kind.starts_with("aws_") {
            continue;
        }
        resources.push(json!({
            "mode": "managed",
            "type": kind,
            "name": format!("r{i}"),
            "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
            "instances": [{"schema_version": 0, "attributes": r["attrs"], "sensitive_attributes": []}],
        }));
    }
    json!({
        "version": 4,
        "terraform_version": "1.9.8",
        "serial": 1,
        "lineage": "00000000-0000-4000-8000-000000000000",
        "outputs": {},
        "resources": resources,
    })
}

fn drift_json(args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["drift", "--format", "json"];
    all.extend_from_slice(args);
    let out = plumb(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(&out)));
    (code(&out), report, stderr(&out))
}

#[test]
fn the_nightly_job_shows_exactly_the_changes_the_controls_they_broke_and_who_made_them() {
    let moto = Moto::start();
    let seeded = moto.seed("estate", &[]);
    let web_sg = seeded["web_sg"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let store = format!("--store={}", dir.path().join("plumb.db").display());
    let first = dir.path().join("first.json");
    let second = dir.path().join("second.json");
    let snapshot = |proxy: &Proxy, path: &std::path::Path| {
        let out = plumb_aws(
            &proxy.endpoint(),
            &[
                "collect",
                "aws",
                "--regions",
                "eu-west-1",
                "-q",
                &store,
                "-o",
                path.to_str().unwrap(),
            ],
        );
        assert_eq!(code(&out), 0, "{}", stderr(&out));
    };

    // Night one: an empty event history.
    let proxy = Proxy::start(moto.port, moto_gaps());
    snapshot(&proxy, &first);

    // During the day (in a later second than the snapshot's, which is precise to the
    // second): the changes, and CloudTrail recording them.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    moto.seed("drift", &[&web_sg]);
    let trail = Trail::new(events_of_the_changes(&web_sg), 50);
    let rules: Vec<_> = moto_gaps()
        .into_iter()
        .filter(|r| r.operation != "LookupEvents")
        .collect();
    let proxy = Proxy::answering(moto.port, rules, trail.answer());
    snapshot(&proxy, &second);

    // The second night's window starts where the first snapshot was taken.
    let first_inv: Value = serde_json::from_str(&std::fs::read_to_string(&first).unwrap()).unwrap();
    let second_inv: Value =
        serde_json::from_str(&std::fs::read_to_string(&second).unwrap()).unwrap();
    assert_eq!(
        second_inv["activity"]["since"],
        first_inv["metadata"]["collected_at"]
    );

    let (code, r, err) = drift_json(&[&store, "--from", "previous", "--to", "latest"]);
    assert_eq!(code, 1, "drift exits 1: {err}");
    let sg = format!("{PREFIX}:aws_security_group:{web_sg}");
    let data = format!("{PREFIX}:aws_s3_bucket:plumb-compliant-data");
    let versioning = format!("{PREFIX}:aws_s3_bucket_versioning:plumb-compliant-data");
    let changed = changed(&r, "id");
    assert_eq!(
        changed.keys().cloned().collect::<Vec<_>>(),
        [data.clone(), versioning.clone(), sg.clone()],
        "{:#}",
        r["changed"]
    );
    assert_eq!(changed[&sg].2, ["ev-sg"]);
    assert!(
        changed[&sg].1.contains(&"PLB-SG-001".to_string()),
        "opening SSH to the world breaks PLB-SG-001: {:?}",
        changed[&sg]
    );
    let (paths, breaks, events) = &changed[&versioning];
    assert_eq!(paths, &["/attrs/versioning_configuration/0/status"]);
    assert_eq!(events, &["ev-versioning"]);
    assert!(
        breaks.contains(&"PLB-S3-005".to_string()),
        "suspending versioning breaks PLB-S3-005: {breaks:?}"
    );
    let added = ids(&r["added"]);
    let bucket = format!("{PREFIX}:aws_s3_bucket:plumb-new-uploads");
    assert!(
        added.contains(&bucket) && added.iter().all(|id| id.ends_with(":plumb-new-uploads")),
        "only the new bucket (and its settings) is added: {added:?}"
    );
    let new_bucket = r["added"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["resource"]["id"] == bucket.as_str())
        .unwrap();
    assert_eq!(new_bucket["events"][0]["id"], "ev-bucket");
    assert_eq!(
        ids(&r["removed"]),
        [format!("{PREFIX}:aws_dynamodb_table:sessions")]
    );
    let removed = &r["removed"][0]["events"][0];
    assert_eq!(removed["id"], "ev-table");
    assert_eq!(removed["actor"]["name"], "alice");
    assert_eq!(r["attribution"]["source"], "aws-cloudtrail");
    assert_eq!(r["attribution"]["complete"], true, "{}", r["notes"]);
    assert_eq!(r["attribution"]["events"], 4);

    // The console report shows who, next to the change.
    let out = plumb(&["drift", &store, "--from", "previous", "--to", "latest"]);
    let text = stdout(&out);
    assert!(text.contains("AuthorizeSecurityGroupIngress"), "{text}");
    assert!(text.contains("bob (role Admin)"), "{text}");

    // Against a Terraform state of the original estate.
    let state = dir.path().join("estate.tfstate");
    std::fs::write(&state, state_of(&first_inv).to_string()).unwrap();
    let (code, r, err) = drift_json(&[
        "--iac",
        state.to_str().unwrap(),
        "--live",
        first.to_str().unwrap(),
    ]);
    assert_eq!(
        code,
        0,
        "the state describes the first snapshot: {err} changed {:#} unmanaged {:?} missing {:?}",
        r["changed"],
        ids(&r["unmanaged"]),
        ids(&r["missing"])
    );
    let (code, r, err) = drift_json(&[
        "--iac",
        state.to_str().unwrap(),
        "--live",
        second.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{err}");
    let changed = common::drift::changed(&r, "id");
    assert_eq!(
        changed.keys().cloned().collect::<Vec<_>>(),
        [data, versioning.clone(), sg.clone()],
        "{:#}",
        r["changed"]
    );
    assert_eq!(changed[&sg].2, ["ev-sg"]);
    assert!(changed[&versioning].1.contains(&"PLB-S3-005".to_string()));
    let unmanaged = ids(&r["unmanaged"]);
    assert!(
        unmanaged.contains(&bucket)
            && unmanaged
                .iter()
                .all(|id| id.ends_with(":plumb-new-uploads")),
        "only the new bucket (and its settings) is unmanaged: {unmanaged:?}"
    );
    let missing = ids(&r["missing"]);
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert_eq!(r["missing"][0]["resource"]["kind"], "aws_dynamodb_table");
    assert_eq!(r["missing"][0]["events"][0]["id"], "ev-table");
}
