//! Who changed what: `plumb collect aws` gathers CloudTrail management write events into the
//! inventory's `activity`.
//!
//! moto does not implement CloudTrail `LookupEvents`, so these tests serve a recorded event
//! history in the real wire format (JSON 1.1, `Events[].CloudTrailEvent` a JSON string) from
//! the loopback proxy ([`common::aws::Trail`]); every other call is answered by moto.

#![cfg(feature = "aws")]

use crate::common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::aws::{
    Fault, Moto, Proxy, Recording, Rule, Trail, assumed_role, collect_aws, iam_user, moto_gaps,
    plumb_aws,
};
use common::{code, stderr};
use serde_json::{Value, json};

/// moto's recorded gaps, without the empty event history, then `extra`.
fn rules(extra: Vec<Rule>) -> Vec<Rule> {
    let mut all: Vec<Rule> = moto_gaps()
        .into_iter()
        .filter(|r| r.operation != "LookupEvents")
        .collect();
    all.extend(extra);
    all
}

fn ago(minutes: i64) -> DateTime<Utc> {
    Utc::now() - chrono::Duration::minutes(minutes)
}

/// A history: writes by each kind of identity in eu-west-1, a read (which the ReadOnly filter
/// must leave out), an event older than the window, and global (IAM) and regional events in
/// us-east-1.
fn history() -> Vec<(String, Value)> {
    let r = |id: &'static str,
             minutes: i64,
             name: &'static str,
             source: &'static str,
             region: &'static str,
             identity: Value,
             resources: &'static [(&'static str, &'static str)]| Recording {
        id,
        time: ago(minutes),
        name,
        source,
        region,
        identity,
        resources,
        request: json!({}),
        read_only: false,
    };
    let mut secret = r(
        "e-secret",
        50,
        "PutParameter",
        "ssm.amazonaws.com",
        "eu-west-1",
        iam_user("deployer"),
        &[("AWS::SSM::Parameter", "/prod/db/password")],
    );
    secret.request = json!({"name": "/prod/db/password", "value": "hunter2-cloudtrail-secret", "type": "SecureString"});
    let mut read = r(
        "e-read",
        40,
        "DescribeInstances",
        "ec2.amazonaws.com",
        "eu-west-1",
        iam_user("alice"),
        &[],
    );
    read.read_only = true;
    vec![
        r(
            "e-user",
            60,
            "PutBucketVersioning",
            "s3.amazonaws.com",
            "eu-west-1",
            iam_user("alice"),
            &[("AWS::S3::Bucket", "plumb-compliant-data")],
        )
        .event(),
        r(
            "e-role",
            55,
            "AuthorizeSecurityGroupIngress",
            "ec2.amazonaws.com",
            "eu-west-1",
            assumed_role("Admin", "bob@example.com"),
            &[("AWS::EC2::SecurityGroup", "sg-0123456789abcdef0")],
        )
        .event(),
        r(
            "e-root",
            45,
            "DeleteTable",
            "dynamodb.amazonaws.com",
            "eu-west-1",
            json!({"type": "Root", "principalId": "123456789012", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012"}),
            &[("AWS::DynamoDB::Table", "sessions")],
        )
        .event(),
        r(
            "e-service",
            30,
            "CreateNetworkInterface",
            "ec2.amazonaws.com",
            "eu-west-1",
            json!({"type": "AWSService", "invokedBy": "elasticloadbalancing.amazonaws.com"}),
            &[("AWS::EC2::NetworkInterface", "eni-0abc")],
        )
        .event(),
        secret.event(),
        read.event(),
        r(
            "e-old",
            60 * 24 * 5,
            "DeleteBucket",
            "s3.amazonaws.com",
            "eu-west-1",
            iam_user("alice"),
            &[("AWS::S3::Bucket", "gone")],
        )
        .event(),
        r(
            "e-iam",
            20,
            "AttachUserPolicy",
            "iam.amazonaws.com",
            "us-east-1",
            iam_user("alice"),
            &[("AWS::IAM::User", "bob")],
        )
        .event(),
        r(
            "e-virginia",
            25,
            "RunInstances",
            "ec2.amazonaws.com",
            "us-east-1",
            iam_user("alice"),
            &[("AWS::EC2::Instance", "i-0virginia")],
        )
        .event(),
    ]
}

/// `plumb collect aws ARGS` through `proxy`; (exit code, inventory, its text, stderr).
fn collect(proxy: &Proxy, args: &[&str]) -> (i32, Value, String, String) {
    let mut all = vec!["-q"];
    all.extend_from_slice(args);
    let c = collect_aws(&proxy.endpoint(), &[], &all);
    (c.code, c.inventory, c.text, c.stderr)
}

fn event<'a>(inv: &'a Value, id: &str) -> &'a Value {
    inv["activity"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("no event {id} in {:#}", inv["activity"]))
}

fn event_ids(inv: &Value) -> Vec<String> {
    inv["activity"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

fn epoch(t: &Value) -> f64 {
    t.as_f64().expect("an epoch-seconds timestamp")
}

#[test]
fn write_events_are_read_page_by_page_for_the_window_and_mapped_without_secrets() {
    let moto = Moto::start();
    let trail = Trail::new(history(), 2);
    let proxy = Proxy::answering(moto.port, rules(vec![]), trail.answer());
    let before = Utc::now();
    let (code, inv, text, err) =
        collect(&proxy, &["--regions", "eu-west-1", "--events-since", "2d"]);
    let after = Utc::now();
    assert_eq!(inv["metadata"]["errors"], json!([]), "{err}");
    assert_eq!(code, 0, "{err}");

    // The window: what was asked for, and what the activity says it covers.
    let requests = trail.requests.lock().unwrap().clone();
    for (region, body, _) in &requests {
        assert_eq!(
            body["LookupAttributes"],
            json!([{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]),
            "{region}: only write events are asked for"
        );
        let start = epoch(&body["StartTime"]);
        let end = epoch(&body["EndTime"]);
        let two_days = 2.0 * 86_400.0;
        assert!(
            (start - (before.timestamp() as f64 - two_days)).abs() < 120.0,
            "StartTime {start} is two days back"
        );
        assert!(
            end >= before.timestamp() as f64 - 1.0 && end <= after.timestamp() as f64 + 1.0,
            "EndTime {end} is the time of the lookup"
        );
    }
    let since = DateTime::parse_from_rfc3339(inv["activity"]["since"].as_str().unwrap()).unwrap();
    assert!((since.timestamp() - (before.timestamp() - 2 * 86_400)).abs() < 120);
    assert_eq!(inv["activity"]["source"], "aws-cloudtrail");

    // Pagination: five writes in the window in eu-west-1, two per page: three requests, each
    // after the first carrying the previous page's token.
    let eu: Vec<&Value> = requests
        .iter()
        .filter(|(r, _, _)| r == "eu-west-1")
        .map(|(_, b, _)| b)
        .collect();
    assert_eq!(eu.len(), 3, "{eu:#?}");
    assert_eq!(eu[0].get("NextToken"), None);
    assert_eq!(eu[1]["NextToken"], "page-2");
    assert_eq!(eu[2]["NextToken"], "page-4");
    // us-east-1 is read once, for the global services' events only.
    assert_eq!(
        requests.iter().filter(|(r, _, _)| r == "us-east-1").count(),
        1
    );
    assert_eq!(
        event_ids(&inv),
        [
            "e-user",
            "e-role",
            "e-secret",
            "e-root",
            "e-service",
            "e-iam"
        ],
        "oldest first; no read, nothing before the window, no regional event of an unselected region"
    );

    // Identities.
    let user = event(&inv, "e-user");
    assert_eq!(
        user["actor"],
        json!({"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "name": "alice"})
    );
    assert_eq!(user["action"], "PutBucketVersioning");
    assert_eq!(user["service"], "s3.amazonaws.com");
    assert_eq!(user["source_ip"], "203.0.113.10");
    assert_eq!(user["user_agent"], "aws-cli/2.15.0 Python/3.11");
    assert_eq!(user["account"], "123456789012");
    assert_eq!(user["region"], "eu-west-1");
    assert_eq!(
        user["resources"],
        json!([{"type": "AWS::S3::Bucket", "name": "plumb-compliant-data"}])
    );
    let role = event(&inv, "e-role");
    assert_eq!(role["actor"]["type"], "AssumedRole");
    assert_eq!(role["actor"]["name"], "bob@example.com");
    assert_eq!(
        role["actor"]["arn"],
        "arn:aws:sts::123456789012:assumed-role/Admin/bob@example.com"
    );
    let root = event(&inv, "e-root");
    assert_eq!(root["actor"]["type"], "Root");
    assert_eq!(root["actor"]["name"], "root");
    let service = event(&inv, "e-service");
    assert_eq!(
        service["actor"],
        json!({"type": "AWSService", "invoked_by": "elasticloadbalancing.amazonaws.com"})
    );
    assert_eq!(event(&inv, "e-iam")["region"], "us-east-1");

    // Request parameters are never kept.
    assert!(
        !text.contains("hunter2-cloudtrail-secret") && !text.contains("requestParameters"),
        "the inventory carries request parameters"
    );
}

#[test]
fn lookups_are_paced_and_throttling_is_survived() {
    let moto = Moto::start();
    let trail = Trail::new(history(), 1);
    // The first three lookups are throttled (HTTP 400 ThrottlingException, as CloudTrail
    // answers past its 2 requests per second).
    let proxy = Proxy::answering(
        moto.port,
        rules(vec![Rule::new("LookupEvents", Fault::Throttle, 3)]),
        trail.answer(),
    );
    let (code, inv, _, err) = collect(
        &proxy,
        &["--regions", "eu-west-1,us-east-1", "--events-since", "2d"],
    );
    assert_eq!(inv["metadata"]["errors"], json!([]), "{err}");
    assert_eq!(code, 0);
    let throttled = proxy.rules.len() - 1;
    assert_eq!(proxy.hits(throttled), 3);
    let mut ids = event_ids(&inv);
    ids.sort();
    assert_eq!(
        ids,
        [
            "e-iam",
            "e-role",
            "e-root",
            "e-secret",
            "e-service",
            "e-user",
            "e-virginia"
        ],
        "every page of both regions, us-east-1 read once"
    );

    // One page per event: requests to one region are at least half a second apart.
    let requests = trail.requests.lock().unwrap().clone();
    for region in ["eu-west-1", "us-east-1"] {
        let times: Vec<_> = requests
            .iter()
            .filter(|(r, _, _)| r == region)
            .map(|(_, _, t)| *t)
            .collect();
        assert!(times.len() >= 2, "{region}: {} requests", times.len());
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_millis(450),
                "{region}: two LookupEvents {gap:?} apart"
            );
        }
    }
}

#[test]
fn an_unreadable_event_history_is_an_error_and_leaves_the_activity_incomplete() {
    let moto = Moto::start();
    let trail = Trail::new(history(), 50);
    let proxy = Proxy::answering(
        moto.port,
        rules(vec![Rule::new(
            "LookupEvents",
            Fault::ServerError,
            usize::MAX,
        )]),
        trail.answer(),
    );
    let (code, inv, _, err) = collect(&proxy, &["--regions", "eu-west-1", "--max-attempts", "1"]);
    assert_eq!(
        code, 2,
        "unread events make the collection incomplete: {err}"
    );
    let errors = inv["metadata"]["errors"].as_array().unwrap();
    let scopes: Vec<&str> = errors
        .iter()
        .map(|e| e["scope"].as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        [
            "123456789012/eu-west-1/cloudtrail-events",
            "123456789012/global/cloudtrail-events"
        ]
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("cloudtrail:LookupEvents"),
        "{errors:#?}"
    );
    assert_eq!(errors[0].get("kinds"), None, "no resource is left unread");
    assert_eq!(
        inv["activity"]["unread"],
        json!(["123456789012/eu-west-1", "123456789012/global"])
    );
    assert!(!inv["resources"].as_array().unwrap().is_empty());
}

#[test]
fn no_events_reads_no_history_and_the_default_window_is_a_day() {
    let moto = Moto::start();
    let trail = Trail::new(history(), 50);
    let proxy = Proxy::answering(moto.port, rules(vec![]), trail.answer());
    let (code, inv, _, err) = collect(&proxy, &["--regions", "eu-west-1", "--no-events"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(inv.get("activity"), None);
    assert!(trail.requests.lock().unwrap().is_empty());

    let now = Utc::now().timestamp();
    let (code, inv, _, err) = collect(&proxy, &["--regions", "eu-west-1"]);
    assert_eq!(code, 0, "{err}");
    let since = DateTime::parse_from_rfc3339(inv["activity"]["since"].as_str().unwrap()).unwrap();
    assert!((since.timestamp() - (now - 86_400)).abs() < 120, "{since}");
    // e-old (five days back) is outside the window.
    assert!(!event_ids(&inv).contains(&"e-old".to_string()));
}

#[test]
fn with_a_store_the_window_starts_at_the_previous_snapshot_of_the_same_regions_and_is_capped_at_90_days()
 {
    let moto = Moto::start();
    let trail = Trail::new(history(), 50);
    let proxy = Proxy::answering(moto.port, rules(vec![]), trail.answer());
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("plumb.db");
    let store_arg = format!("--store={}", store.display());
    let run = |args: &[&str]| {
        let mut all = vec!["collect", "aws", "-q", store_arg.as_str()];
        all.extend_from_slice(args);
        let out = plumb_aws(&proxy.endpoint(), &all);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        out
    };
    let last_start = || {
        let requests = trail.requests.lock().unwrap();
        epoch(&requests.last().unwrap().1["StartTime"])
    };

    // No earlier snapshot: the last 24 hours. A far start is cut to what CloudTrail keeps.
    let out = run(&[
        "--regions",
        "eu-west-1",
        "--events-since",
        "2020-01-01T00:00:00Z",
    ]);
    assert!(
        stderr(&out).contains("CloudTrail keeps 90 days of events"),
        "{}",
        stderr(&out)
    );
    let ninety = Utc::now().timestamp() as f64 - 90.0 * 86_400.0;
    assert!((last_start() - ninety).abs() < 120.0);

    let history = common::plumb(&["history", &store_arg, "--format", "json"]);
    let snapshots: Value = serde_json::from_str(&common::stdout(&history)).unwrap();
    let first_at = snapshots[0]["collected_at"].as_str().unwrap().to_string();
    let first_at = DateTime::parse_from_rfc3339(&first_at).unwrap().timestamp() as f64;

    // The next snapshot of the same region starts where the stored one was taken.
    std::thread::sleep(Duration::from_millis(1100));
    run(&["--regions", "eu-west-1"]);
    assert_eq!(last_start(), first_at);

    // A snapshot of more regions than any stored one: no previous snapshot covers it.
    let now = Utc::now().timestamp() as f64;
    run(&["--regions", "eu-west-1,us-east-1"]);
    assert!((last_start() - (now - 86_400.0)).abs() < 120.0);
}
