//! Resilience: a fault-injecting proxy on loopback between plumb and moto. Transient faults
//! (throttling, 500s, slow answers, dropped connections) are retried until they succeed and
//! leave the inventory exactly as without them; persistent failures end as recorded errors
//! naming what is missing, with everything else intact; an endpoint that does not answer
//! ends in an error, not a hang.

#![cfg(feature = "aws")]

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::aws::{Collected, Fault, Moto, Proxy, Rule, collect_aws, moto_gaps, plumb_aws};
use common::code;
use serde_json::Value;

/// The recorded answers for what moto lacks, then `rules`.
fn rules(extra: Vec<Rule>) -> Vec<Rule> {
    let mut all = moto_gaps();
    all.extend(extra);
    all
}

fn collect(endpoint: &str, env: &[(&str, &str)], extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec!["--regions", "eu-west-1", "-q"];
    args.extend_from_slice(extra);
    let c = collect_aws(endpoint, env, &args);
    (c.code, c.inventory, c.stderr)
}

/// Resources without volatile values (timestamps the emulator moves).
fn stable(inv: &Value) -> Vec<Value> {
    inv["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            if let Some(keys) = r["attrs"]["access_keys"].as_array_mut() {
                for k in keys {
                    k["last_used_date"] = Value::Null;
                }
            }
            r
        })
        .collect()
}

fn ids(inv: &Value) -> BTreeSet<String> {
    inv["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn transient_faults_are_retried_until_they_succeed() {
    let moto = Moto::start();
    moto.seed("estate", &[]);
    let clean = Proxy::start(moto.port, moto_gaps());
    let (code_clean, baseline, err) = collect(&clean.endpoint(), &[], &[]);
    assert_eq!(code_clean, 0, "{err}");

    let faulty = Proxy::start(
        moto.port,
        rules(vec![
            Rule::new("DescribeVolumes", Fault::Throttle, 2),
            Rule::new("DescribeSecurityGroups", Fault::ServerError, 2),
            Rule::new("DescribeDBInstances", Fault::Drop, 1),
            Rule::new("ListKeys", Fault::Slow(Duration::from_millis(1500)), 1),
            Rule::new("GetAccountAuthorizationDetails", Fault::Throttle, 2),
            Rule::new("DescribeTable", Fault::Throttle, 1),
            Rule::new("s3:GET:encryption", Fault::ServerError, 1),
        ]),
    );
    let (code, inv, err) = collect(&faulty.endpoint(), &[], &[]);
    assert_eq!(inv["metadata"]["errors"], serde_json::json!([]), "{err}");
    assert_eq!(code, 0);
    for (i, rule) in faulty.rules.iter().enumerate().skip(moto_gaps().len()) {
        assert_eq!(
            faulty.hits(i),
            rule.times,
            "{} fired {} times",
            rule.operation,
            faulty.hits(i)
        );
    }
    assert_eq!(
        stable(&inv),
        stable(&baseline),
        "retried calls give the same inventory"
    );
}

/// Two answers that each hold an item without the identifier plumb names resources by: a VPC
/// without `vpcId`, and a managed policy without `PolicyName` (the shape that once hid four
/// `*:*` policies). Each such item is an error naming the field, its kind is marked as not
/// read completely, and the run exits 2; the well-formed items beside it are kept.
#[test]
fn answers_without_an_identifier_are_errors_never_silent_drops() {
    const VPCS: &str = r#"<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>recorded</requestId><vpcSet><item><vpcId>vpc-0kept</vpcId><cidrBlock>10.0.0.0/16</cidrBlock><isDefault>false</isDefault></item><item><cidrBlock>10.1.0.0/16</cidrBlock><isDefault>false</isDefault></item></vpcSet></DescribeVpcsResponse>"#;
    const DETAILS: &str = r#"<GetAccountAuthorizationDetailsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetAccountAuthorizationDetailsResult><IsTruncated>false</IsTruncated><UserDetailList/><GroupDetailList/><RoleDetailList/><Policies><member><PolicyName>kept-policy</PolicyName><PolicyId>ANPAKEPT</PolicyId><Arn>arn:aws:iam::123456789012:policy/kept-policy</Arn><DefaultVersionId>v1</DefaultVersionId><PolicyVersionList/></member><member><PolicyId>ANPANONAME</PolicyId><Arn>arn:aws:iam::123456789012:policy/admin</Arn><DefaultVersionId>v1</DefaultVersionId><PolicyVersionList/></member></Policies></GetAccountAuthorizationDetailsResult><ResponseMetadata><RequestId>recorded</RequestId></ResponseMetadata></GetAccountAuthorizationDetailsResponse>"#;
    let moto = Moto::start();
    moto.seed("estate", &[]);
    let proxy = Proxy::start(
        moto.port,
        rules(vec![
            Rule::new("DescribeVpcs", Fault::Recorded(VPCS), usize::MAX),
            Rule::new(
                "GetAccountAuthorizationDetails",
                Fault::Recorded(DETAILS),
                usize::MAX,
            ),
        ]),
    );
    let (exit, inv, err) = collect(&proxy.endpoint(), &[], &[]);
    assert_eq!(
        exit, 2,
        "a dropped answer makes the collection incomplete: {err}"
    );

    let errors = inv["metadata"]["errors"].as_array().unwrap();
    for (kind, field) in [("aws_vpc", "VpcId"), ("aws_iam_policy", "PolicyName")] {
        let e = errors
            .iter()
            .find(|e| e["kinds"] == serde_json::json!([kind]))
            .unwrap_or_else(|| panic!("no error for {kind}: {errors:#?}"));
        let message = e["message"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
        let incomplete = inv["metadata"]["collectors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kinds"][kind] == false);
        assert!(incomplete, "{kind} is marked as not read completely");
    }
    let ids = ids(&inv);
    assert!(ids.iter().any(|id| id.ends_with("vpc-0kept")), "{ids:?}");
    assert!(ids.iter().any(|id| id.contains("kept-policy")), "{ids:?}");
}

#[test]
fn persistent_failures_are_recorded_and_everything_else_is_kept() {
    let moto = Moto::start();
    let seeded = moto.seed("estate", &[]);
    let clean = Proxy::start(moto.port, moto_gaps());
    let (_, baseline, _) = collect(&clean.endpoint(), &[], &[]);

    let faulty = Proxy::start(
        moto.port,
        rules(vec![
            Rule::new("DescribeVolumes", Fault::ServerError, usize::MAX),
            Rule::new("GetKeyRotationStatus", Fault::Throttle, usize::MAX),
        ]),
    );
    let started = Instant::now();
    let (exit, inv, _) = collect(&faulty.endpoint(), &[], &["--max-attempts", "3"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(exit, 2, "an incomplete collection exits 2");

    let errors = inv["metadata"]["errors"].as_array().unwrap();
    let volumes = errors
        .iter()
        .find(|e| e["kinds"] == serde_json::json!(["aws_ebs_volume"]))
        .unwrap_or_else(|| panic!("no error for volumes: {errors:#?}"));
    assert_eq!(volumes["scope"], "123456789012/eu-west-1/ec2");
    assert!(
        volumes["message"]
            .as_str()
            .unwrap()
            .contains("DescribeVolumes"),
        "{volumes}"
    );
    let run = &inv["metadata"]["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "123456789012/eu-west-1")
        .unwrap()["kinds"];
    assert_eq!(run["aws_ebs_volume"], false);
    assert_eq!(run["aws_security_group"], true);

    // Nothing else is lost: every resource but the volumes is there.
    let expected: BTreeSet<String> = ids(&baseline)
        .into_iter()
        .filter(|id| !id.contains(":aws_ebs_volume:"))
        .collect();
    assert_eq!(ids(&inv), expected);

    // A value that could not be read is null and unknown, never a silent false.
    let key_id = format!(
        "aws:123456789012:eu-west-1:aws_kms_key:{}",
        seeded["data_key"].as_str().unwrap()
    );
    let key = inv["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == key_id)
        .unwrap();
    assert!(key["attrs"]["enable_key_rotation"].is_null());
    assert_eq!(key["unknown"], serde_json::json!(["/enable_key_rotation"]));
    assert!(key["facets"]["key_rotation"].is_null());
    assert!(errors.iter().any(|e| {
        e["message"]
            .as_str()
            .unwrap()
            .contains("ThrottlingException")
    }));

    // Reports show it: the failed part is listed and the verdict on the key is unknown.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.json");
    std::fs::write(&path, inv.to_string()).unwrap();
    let out = plumb_aws(
        "http://127.0.0.1:9",
        &["check", path.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(code(&out), 2, "an incomplete inventory is not a verdict");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kinds"] == serde_json::json!(["aws_ebs_volume"]))
    );
    let verdicts = common::verdicts(&report);
    assert_eq!(verdicts[&("PLB-KMS-001".to_string(), key_id)], "unknown");
}

#[test]
fn an_endpoint_that_does_not_answer_ends_in_an_error_not_a_hang() {
    let moto = Moto::start();
    moto.seed("estate", &[]);
    // Nothing listens on this port: every RDS call fails to connect.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{dead}");
    let proxy = Proxy::start(
        moto.port,
        rules(vec![
            // DynamoDB answers too slowly for the call timeout.
            Rule::new(
                "ListTables",
                Fault::Slow(Duration::from_secs(30)),
                usize::MAX,
            ),
        ]),
    );
    let started = Instant::now();
    let (code, inv, _) = collect(
        &proxy.endpoint(),
        &[("AWS_ENDPOINT_URL_RDS", dead.as_str())],
        &["--call-timeout", "4", "--max-attempts", "2"],
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(25), "took {took:?}");
    assert_eq!(code, 2);
    let errors = inv["metadata"]["errors"].as_array().unwrap();
    let rds = errors
        .iter()
        .find(|e| {
            e["scope"] == "123456789012/eu-west-1/rds"
                && e["kinds"]
                    .as_array()
                    .is_some_and(|k| k.contains(&"aws_db_instance".into()))
        })
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(
        rds["message"]
            .as_str()
            .unwrap()
            .contains("DescribeDBInstances"),
        "{rds}"
    );
    let ddb = errors
        .iter()
        .find(|e| e["scope"] == "123456789012/eu-west-1/dynamodb")
        .unwrap_or_else(|| panic!("{errors:#?}"));
    assert!(
        ddb["message"].as_str().unwrap().contains("timed out"),
        "{ddb}"
    );
    // The rest was read.
    assert!(
        inv["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "aws_security_group")
    );
}

/// Errors of one scope (`account/region/service`), by prefix.
fn errors_in<'a>(inv: &'a Value, prefix: &str) -> Vec<&'a Value> {
    inv["metadata"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["scope"].as_str().unwrap_or("").starts_with(prefix))
        .collect()
}

fn regions_of(inv: &Value) -> BTreeSet<String> {
    inv["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["source"]["region"].as_str().map(str::to_string))
        .collect()
}

/// Everything signed for us-east-1 waits forever: the region accepts connections and never
/// answers.
fn black_hole(moto: &Moto) -> Proxy {
    Proxy::start(
        moto.port,
        rules(vec![Rule::new(
            "region:us-east-1",
            Fault::Slow(Duration::from_secs(3600)),
            usize::MAX,
        )]),
    )
}

/// Collects eu-west-1 and a black-holed us-east-1 with `flags`; what was collected, and how
/// long it took.
fn collect_beside_a_black_hole(flags: &[&str]) -> (Collected, Duration) {
    let moto = Moto::start();
    moto.seed("estate", &[]);
    let proxy = black_hole(&moto);
    let started = Instant::now();
    let args = [&["--regions", "eu-west-1,us-east-1", "-q"][..], flags].concat();
    let c = collect_aws(&proxy.endpoint(), &[], &args);
    (c, started.elapsed())
}

#[test]
fn a_region_that_never_answers_trips_its_breakers_and_the_good_region_is_kept() {
    let (c, took) = collect_beside_a_black_hole(&["--call-timeout", "3"]);
    // Three attempts of 3 s per service, then every call of that service in that region is
    // refused at once: not 8 attempts of every call.
    assert!(took < Duration::from_secs(45), "took {took:?}");
    assert_eq!(c.code, 2, "{}", c.stderr);
    assert!(regions_of(&c.inventory).contains("eu-west-1"));
    assert!(errors_in(&c.inventory, "123456789012/eu-west-1/").is_empty());
    let dead = errors_in(&c.inventory, "123456789012/us-east-1/");
    assert!(
        dead.iter()
            .any(|e| e["scope"] == "123456789012/us-east-1/ec2"
                && e["kinds"]
                    .as_array()
                    .is_some_and(|k| k.contains(&"aws_security_group".into()))),
        "{dead:#?}"
    );
    // Some call met the open breaker and says why it was not made.
    assert!(
        dead.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("failed 3 times in a row")),
        "{dead:#?}"
    );
    let runs = c.inventory["metadata"]["collectors"].as_array().unwrap();
    let east = runs
        .iter()
        .find(|r| r["scope"] == "123456789012/us-east-1")
        .unwrap();
    assert_eq!(east["kinds"]["aws_security_group"], false, "{east}");
}

#[test]
fn the_region_deadline_ends_a_silent_region_and_names_the_limit() {
    let (c, took) = collect_beside_a_black_hole(&["--no-events", "--region-timeout", "4"]);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert_eq!(c.code, 2, "{}", c.stderr);
    assert!(regions_of(&c.inventory).contains("eu-west-1"));
    let dead = errors_in(&c.inventory, "123456789012/us-east-1/");
    assert!(!dead.is_empty());
    assert!(
        dead.iter().all(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("the region's deadline passed (--region-timeout 4 s)")),
        "{dead:#?}"
    );
}

#[test]
fn an_interrupted_run_writes_what_it_read_and_exits_2() {
    let moto = Moto::start();
    moto.seed("estate", &[]);
    let proxy = black_hole(&moto);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let home = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["collect", "aws", "-q", "--no-events", "-o"])
        .arg(&path)
        .args(["--regions", "eu-west-1,us-east-1"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .envs(common::aws::test_credentials())
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Long enough for eu-west-1 to be read; us-east-1 never answers, so the run is still on.
    std::thread::sleep(Duration::from_secs(10));
    assert!(child.try_wait().unwrap().is_none(), "the run ended early");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "no exit after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(status.code(), Some(2));
    let inv: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(regions_of(&inv).contains("eu-west-1"), "{inv:#}");
    assert!(errors_in(&inv, "123456789012/eu-west-1/").is_empty());
    let dead = errors_in(&inv, "123456789012/us-east-1/");
    assert!(
        dead.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("interrupted (SIGINT)")),
        "{dead:#?}"
    );
}
