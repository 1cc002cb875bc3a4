//! `plumb collect aws` and `plumb scan --live-aws` against moto, seeded with a realistic
//! estate in two regions: the inventory's shape, the verdicts, redaction, progress output.
//!
//! The few read calls moto lacks (EFS `DescribeBackupPolicy`, Backup `ListBackupSelections`,
//! EC2 `GetEbsDefaultKmsKeyId`, IAM Access Analyzer `ListAnalyzers`) are answered from recorded responses in the services' wire
//! formats (`common::aws::moto_gaps`); every other call is answered by moto, through the
//! correcting proxy of `common::aws`.

#![cfg(feature = "aws")]

use crate::common;

use std::collections::BTreeMap;

use common::aws::{Moto, Proxy, collect_aws, moto_gaps, plumb_aws};
use common::{by_id, code, stderr};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";

/// A seeded moto behind the correcting proxy.
struct Estate {
    _moto: Moto,
    proxy: Proxy,
    seeded: Value,
}

fn estate() -> Estate {
    let moto = Moto::start();
    let seeded = moto.seed("estate", &[]);
    let proxy = Proxy::start(moto.port, moto_gaps());
    Estate {
        _moto: moto,
        proxy,
        seeded,
    }
}

/// Runs `plumb collect aws ARGS -o FILE`; (exit code, inventory, stderr).
fn collect(endpoint: &str, args: &[&str]) -> (i32, Value, String) {
    let c = collect_aws(endpoint, &[], args);
    (c.code, c.inventory, c.stderr)
}

fn id(region: &str, kind: &str, name: &str) -> String {
    format!("aws:{ACCOUNT}:{region}:{kind}:{name}")
}

fn get<'a>(all: &'a BTreeMap<String, Value>, id: &str) -> &'a Value {
    all.get(id)
        .unwrap_or_else(|| panic!("no {id} among {:#?}", all.keys().collect::<Vec<_>>()))
}

#[test]
fn the_estate_is_read_in_the_providers_shape_with_its_live_facts() {
    let e = estate();
    let s = &e.seeded;
    let (code, inv, err) = collect(&e.proxy.endpoint(), &["--regions", "eu-west-1,us-east-1"]);
    assert_eq!(inv["metadata"]["errors"], serde_json::json!([]), "{err}");
    assert_eq!(code, 0, "a complete collection exits 0; stderr: {err}");
    let all = by_id(&inv);

    // S3: the bucket and its settings as the provider's separate resources, linked.
    let data = get(
        &all,
        &id("eu-west-1", "aws_s3_bucket", "plumb-compliant-data"),
    );
    assert_eq!(data["cloud_id"], "arn:aws:s3:::plumb-compliant-data");
    assert_eq!(data["facets"]["sse_algorithm"], "aws:kms");
    assert_eq!(data["facets"]["kms_key"], s["data_key_arn"]);
    assert_eq!(data["facets"]["versioning"], true);
    assert_eq!(data["facets"]["access_logging"], true);
    assert_eq!(data["facets"]["public_access_block"], true);
    assert_eq!(data["facets"]["encrypted_in_transit"], true);
    assert_eq!(data["facets"]["lifecycle_archive_days"], 30);
    assert_eq!(data["tags"]["CostCenter"], "cc-42");
    let versioning = get(
        &all,
        &id(
            "eu-west-1",
            "aws_s3_bucket_versioning",
            "plumb-compliant-data",
        ),
    );
    assert_eq!(versioning["parent"], data["id"]);
    assert_eq!(
        versioning["attrs"]["versioning_configuration"][0]["status"],
        "Enabled"
    );
    let public = get(
        &all,
        &id("eu-west-1", "aws_s3_bucket", "plumb-public-assets"),
    );
    assert_eq!(public["facets"]["publicly_accessible"], true);
    assert_eq!(
        public["facets"]["versioning"], false,
        "never enabled reads as Disabled"
    );
    let acl = get(
        &all,
        &id("eu-west-1", "aws_s3_bucket_acl", "plumb-public-assets"),
    );
    let grants = acl["attrs"]["access_control_policy"][0]["grant"].to_string();
    assert!(grants.contains("AllUsers"), "{grants}");
    // A bucket of the other region is read there.
    get(&all, &id("us-east-1", "aws_s3_bucket", "plumb-us-archive"));

    // EC2.
    let admin = get(
        &all,
        &id(
            "eu-west-1",
            "aws_security_group",
            s["admin_sg"].as_str().unwrap(),
        ),
    );
    let open: Vec<i64> = admin["facets"]["open_ingress"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["from_port"].as_i64().unwrap())
        .collect();
    assert_eq!(open, [22, 3389]);
    assert!(
        admin["cloud_id"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:ec2:eu-west-1:123456789012:security-group/")
    );
    get(
        &all,
        &id(
            "us-east-1",
            "aws_security_group",
            s["other_sg"].as_str().unwrap(),
        ),
    );
    // Network ACLs in the provider's shape: entries inline, without AWS's catch-all deny.
    let ssh = get(
        &all,
        &id(
            "eu-west-1",
            "aws_network_acl",
            s["ssh_acl"].as_str().unwrap(),
        ),
    );
    assert_eq!(
        ssh["attrs"]["ingress"],
        serde_json::json!([{
            "rule_no": 100, "action": "allow", "protocol": "6", "cidr_block": "0.0.0.0/0",
            "ipv6_cidr_block": "", "from_port": 22, "to_port": 22, "icmp_type": 0, "icmp_code": 0,
        }])
    );
    assert_eq!(ssh["attrs"]["vpc_id"], s["vpc"]);
    let default_acl = get(
        &all,
        &id(
            "eu-west-1",
            "aws_default_network_acl",
            s["default_acl"].as_str().unwrap(),
        ),
    );
    assert_eq!(
        default_acl["attrs"]["default_network_acl_id"],
        s["default_acl"]
    );
    // The region summary: GuardDuty and Security Hub on in eu-west-1, never turned on in
    // us-east-1.
    let eu = get(&all, &id("eu-west-1", "aws_region", "eu-west-1"));
    assert_eq!(eu["facets"]["guardduty_enabled"], true);
    assert_eq!(eu["facets"]["securityhub_enabled"], true);
    assert_eq!(eu["facets"]["access_analyzer_enabled"], true);
    assert_eq!(eu["facets"]["config_recording"], false);
    let us = get(&all, &id("us-east-1", "aws_region", "us-east-1"));
    assert_eq!(us["facets"]["guardduty_enabled"], false);
    assert_eq!(us["facets"]["securityhub_enabled"], false);
    // Only that a security contact exists is kept, never who it is.
    let account = get(&all, &id("global", "aws_account", ACCOUNT));
    assert_eq!(account["facets"]["security_contact"], true);
    assert!(!inv.to_string().contains("security-team@plumb.example"));
    assert!(!inv.to_string().contains("5555550100"));
    // The account's S3 Block Public Access, as set: three of the four.
    let block = get(
        &all,
        &id("global", "aws_s3_account_public_access_block", ACCOUNT),
    );
    assert_eq!(block["attrs"]["configured"], true);
    assert_eq!(block["attrs"]["block_public_acls"], true);
    assert_eq!(block["attrs"]["restrict_public_buckets"], false);
    assert_eq!(block["facets"]["public_access_block"], false);
    // SNS topics, with the count of confirmed subscriptions a live read gets.
    let security = get(&all, &id("eu-west-1", "aws_sns_topic", "security"));
    assert_eq!(
        security["attrs"]["kms_master_key_id"],
        "alias/security-alerts"
    );
    assert_eq!(security["facets"]["subscribers"], 1);
    assert_eq!(security["facets"]["encrypted_at_rest"], true);
    let unheard = get(&all, &id("eu-west-1", "aws_sns_topic", "unheard"));
    assert_eq!(unheard["facets"]["subscribers"], 0);
    assert_eq!(unheard["facets"]["encrypted_at_rest"], false);
    assert_eq!(unheard["tags"]["Owner"], "platform");
    let flow = get(
        &all,
        &id("eu-west-1", "aws_flow_log", s["flow_log"].as_str().unwrap()),
    );
    assert_eq!(flow["attrs"]["vpc_id"], s["vpc"]);
    let plain = get(
        &all,
        &id(
            "eu-west-1",
            "aws_ebs_volume",
            s["plain_volume"].as_str().unwrap(),
        ),
    );
    assert_eq!(plain["facets"]["encrypted_at_rest"], false);
    let enc = get(
        &all,
        &id(
            "eu-west-1",
            "aws_ebs_volume",
            s["encrypted_volume"].as_str().unwrap(),
        ),
    );
    assert_eq!(enc["facets"]["encrypted_at_rest"], true);
    let default = get(
        &all,
        &id("eu-west-1", "aws_ebs_encryption_by_default", "eu-west-1"),
    );
    assert_eq!(default["attrs"]["enabled"], true);
    let instance = get(
        &all,
        &id("eu-west-1", "aws_instance", s["instance"].as_str().unwrap()),
    );
    assert_eq!(
        instance["attrs"]["metadata_options"][0]["http_tokens"],
        "required"
    );

    // RDS, DynamoDB, KMS, Logs.
    let ledger = get(&all, &id("eu-west-1", "aws_db_instance", "ledger"));
    assert_eq!(ledger["facets"]["encrypted_at_rest"], true);
    assert_eq!(ledger["facets"]["multi_az"], true);
    assert_eq!(ledger["facets"]["backup_retention_days"], 35);
    let reporting = get(&all, &id("eu-west-1", "aws_db_instance", "reporting"));
    assert_eq!(reporting["facets"]["publicly_accessible"], true);
    let orders = get(&all, &id("eu-west-1", "aws_dynamodb_table", "orders"));
    assert_eq!(orders["facets"]["point_in_time_recovery"], true);
    assert_eq!(orders["facets"]["kms_key"], s["data_key_arn"]);
    let sessions = get(&all, &id("eu-west-1", "aws_dynamodb_table", "sessions"));
    assert_eq!(sessions["facets"]["point_in_time_recovery"], false);
    let key = get(
        &all,
        &id("eu-west-1", "aws_kms_key", s["data_key"].as_str().unwrap()),
    );
    assert_eq!(key["facets"]["key_rotation"], true);
    let stale = get(
        &all,
        &id("eu-west-1", "aws_kms_key", s["stale_key"].as_str().unwrap()),
    );
    assert_eq!(stale["facets"]["key_rotation"], false);
    let app = get(
        &all,
        &id("eu-west-1", "aws_cloudwatch_log_group", "/plumb/app"),
    );
    assert_eq!(app["facets"]["log_retention_days"], 30);
    let audit = get(
        &all,
        &id("eu-west-1", "aws_cloudwatch_log_group", "/plumb/audit"),
    );
    assert_eq!(audit["facets"]["kms_key"], s["data_key_arn"]);

    // CloudTrail: whether the trail is logging is a live-only fact.
    let trail = get(&all, &id("eu-west-1", "aws_cloudtrail", "org-trail"));
    assert_eq!(trail["attrs"]["is_logging"], true);
    assert_eq!(trail["attrs"]["is_multi_region_trail"], true);
    assert_eq!(trail["attrs"]["enable_log_file_validation"], true);
    assert_eq!(
        trail["attrs"]["event_selector"][0]["read_write_type"],
        "All"
    );
    let stopped = get(&all, &id("eu-west-1", "aws_cloudtrail", "stopped-trail"));
    assert_eq!(stopped["attrs"]["is_logging"], false);

    // IAM (global) and the account.
    let bob = get(&all, &id("global", "aws_iam_user", "bob"));
    let keys = bob["attrs"]["access_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["access_key_id"], s["bob_key"]);
    assert_eq!(keys[0]["status"], "Active");
    assert!(keys[0]["create_date"].as_str().unwrap().ends_with('Z'));
    assert_eq!(bob["attrs"]["mfa_enabled"], false);
    assert_eq!(bob["attrs"]["password_enabled"], false);
    let alice = get(&all, &id("global", "aws_iam_user", "alice"));
    assert_eq!(alice["attrs"]["mfa_enabled"], true);
    assert_eq!(alice["attrs"]["password_enabled"], true);
    let role = get(&all, &id("global", "aws_iam_role", "app-role"));
    assert!(
        role["attrs"]["assume_role_policy"]
            .as_str()
            .unwrap()
            .contains("ec2.amazonaws.com")
    );
    let inline = get(
        &all,
        &id("global", "aws_iam_role_policy", "app-role:read-data"),
    );
    assert!(
        inline["attrs"]["policy"]
            .as_str()
            .unwrap()
            .contains("s3:GetObject")
    );
    get(
        &all,
        &id(
            "global",
            "aws_iam_role_policy_attachment",
            "app-role/plumb-admin",
        ),
    );
    get(
        &all,
        &id(
            "global",
            "aws_iam_group_policy_attachment",
            "admins/plumb-admin",
        ),
    );
    let membership = get(&all, &id("global", "aws_iam_user_group_membership", "bob"));
    assert_eq!(membership["attrs"]["groups"], serde_json::json!(["admins"]));
    let policy = get(
        &all,
        &format!(
            "aws:{ACCOUNT}:global:aws_iam_policy:{}",
            s["policy_arn"].as_str().unwrap()
        ),
    );
    assert!(
        policy["attrs"]["policy"]
            .as_str()
            .unwrap()
            .contains("\"Action\":\"*\"")
    );
    let password = get(
        &all,
        &id("global", "aws_iam_account_password_policy", ACCOUNT),
    );
    assert_eq!(password["attrs"]["minimum_password_length"], 14);
    let account = get(&all, &id("global", "aws_account", ACCOUNT));
    assert_eq!(account["attrs"]["password_policy_set"], true);
    assert!(account["attrs"]["root_mfa_enabled"].is_boolean());
    assert!(account["attrs"]["root_access_keys_present"].is_boolean());

    // The long tail.
    get(
        &all,
        &id("eu-west-1", "aws_elasticache_cluster", "sessions-cache"),
    );
    let repo = get(&all, &id("eu-west-1", "aws_ecr_repository", "api"));
    assert_eq!(
        repo["attrs"]["image_scanning_configuration"][0]["scan_on_push"],
        true
    );
    get(&all, &id("eu-west-1", "aws_ecr_lifecycle_policy", "api"));
    let eks = get(&all, &id("eu-west-1", "aws_eks_cluster", "platform"));
    assert_eq!(
        eks["attrs"]["vpc_config"][0]["endpoint_public_access"],
        true
    );
    let lb = get(&all, &id("eu-west-1", "aws_lb", "public-web"));
    assert_eq!(lb["attrs"]["internal"], false);
    let listener = all
        .values()
        .find(|r| r["kind"] == "aws_lb_listener")
        .expect("a listener");
    assert_eq!(listener["attrs"]["load_balancer_arn"], s["lb_arn"]);
    assert_eq!(listener["attrs"]["default_action"][0]["type"], "redirect");
    let asg = get(&all, &id("eu-west-1", "aws_autoscaling_group", "api"));
    assert_eq!(asg["attrs"]["min_size"], 2);
    get(&all, &id("eu-west-1", "aws_backup_vault", "primary"));
    let plan = get(&all, &id("eu-west-1", "aws_backup_plan", "daily"));
    assert_eq!(plan["attrs"]["rule"][0]["lifecycle"][0]["delete_after"], 35);
    get(
        &all,
        &id("eu-west-1", "aws_secretsmanager_secret", "db/ledger"),
    );
    let fs = s["file_system"].as_str().unwrap();
    let efs = get(&all, &id("eu-west-1", "aws_efs_file_system", fs));
    assert_eq!(efs["attrs"]["encrypted"], true);
    let backup = get(&all, &id("eu-west-1", "aws_efs_backup_policy", fs));
    assert_eq!(backup["attrs"]["backup_policy"][0]["status"], "ENABLED");

    // Every scope says which kinds it read completely.
    let runs = inv["metadata"]["collectors"].as_array().unwrap();
    let scopes: Vec<&str> = runs.iter().map(|r| r["scope"].as_str().unwrap()).collect();
    assert_eq!(
        scopes,
        [
            format!("{ACCOUNT}/eu-west-1"),
            format!("{ACCOUNT}/global"),
            format!("{ACCOUNT}/us-east-1")
        ]
    );
    for run in runs {
        let kinds = run["kinds"].as_object().unwrap();
        assert!(kinds.values().all(|v| v == true), "{run}");
    }
    assert_eq!(runs[0]["kinds"]["aws_s3_bucket"], true);
    assert_eq!(runs[1]["kinds"]["aws_iam_user"], true);
}

#[test]
fn secrets_in_answers_never_reach_the_inventory() {
    let e = estate();
    let (_, inv, _) = collect(&e.proxy.endpoint(), &["--regions", "eu-west-1", "-q"]);
    let text = inv.to_string();
    for secret in [
        "hunter2-live-tag",
        "hunter2-userdata",
        "hunter2-rds-password",
        "hunter2-console-password",
        "hunter2-secret-value",
        e.seeded["bob_secret"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret} leaked into the inventory");
    }
    let all = by_id(&inv);
    let public = get(
        &all,
        &id("eu-west-1", "aws_s3_bucket", "plumb-public-assets"),
    );
    assert_eq!(public["tags"]["db_password"], "[redacted]");
}

#[test]
fn verdicts_on_the_live_estate_follow_the_policies() {
    let e = estate();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.json");
    let out = plumb_aws(
        &e.proxy.endpoint(),
        &[
            "collect",
            "aws",
            "--regions",
            "eu-west-1",
            "-q",
            "-o",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = plumb_aws(
        &e.proxy.endpoint(),
        &["check", path.to_str().unwrap(), "--format", "json"],
    );
    assert_eq!(code(&out), 1, "the estate has findings: {}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts = common::verdicts(&report);
    let s = &e.seeded;
    let v = |policy: &str, id: String| {
        verdicts
            .get(&(policy.to_string(), id.clone()))
            .unwrap_or_else(|| panic!("no verdict of {policy} on {id}"))
            .as_str()
    };
    assert_eq!(
        v(
            "PLB-S3-001",
            id("eu-west-1", "aws_s3_bucket", "plumb-compliant-data")
        ),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-S3-001",
            id("eu-west-1", "aws_s3_bucket", "plumb-access-logs")
        ),
        "fail"
    );
    assert_eq!(
        v(
            "PLB-S3-004",
            id("eu-west-1", "aws_s3_bucket", "plumb-public-assets")
        ),
        "fail"
    );
    assert_eq!(
        v(
            "PLB-S3-005",
            id("eu-west-1", "aws_s3_bucket", "plumb-compliant-data")
        ),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-S3-007",
            id("eu-west-1", "aws_s3_bucket", "plumb-compliant-data")
        ),
        "pass"
    );
    let admin = s["admin_sg"].as_str().unwrap();
    let web = s["web_sg"].as_str().unwrap();
    assert_eq!(
        v("PLB-SG-001", id("eu-west-1", "aws_security_group", admin)),
        "fail"
    );
    assert_eq!(
        v("PLB-SG-002", id("eu-west-1", "aws_security_group", admin)),
        "fail"
    );
    assert_eq!(
        v("PLB-SG-001", id("eu-west-1", "aws_security_group", web)),
        "pass"
    );
    assert_eq!(
        v("PLB-RDS-001", id("eu-west-1", "aws_db_instance", "ledger")),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-RDS-001",
            id("eu-west-1", "aws_db_instance", "reporting")
        ),
        "fail"
    );
    assert_eq!(
        v(
            "PLB-RDS-003",
            id("eu-west-1", "aws_db_instance", "reporting")
        ),
        "fail"
    );
    assert_eq!(
        v("PLB-RDS-004", id("eu-west-1", "aws_db_instance", "ledger")),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-DDB-001",
            id("eu-west-1", "aws_dynamodb_table", "orders")
        ),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-DDB-001",
            id("eu-west-1", "aws_dynamodb_table", "sessions")
        ),
        "fail"
    );
    assert_eq!(
        v(
            "PLB-KMS-001",
            id("eu-west-1", "aws_kms_key", s["data_key"].as_str().unwrap())
        ),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-KMS-001",
            id("eu-west-1", "aws_kms_key", s["stale_key"].as_str().unwrap())
        ),
        "fail"
    );
    assert_eq!(
        v(
            "PLB-LOG-001",
            id("eu-west-1", "aws_cloudwatch_log_group", "/plumb/app")
        ),
        "fail"
    );
    assert_eq!(
        v(
            "PLB-LOG-001",
            id("eu-west-1", "aws_cloudwatch_log_group", "/plumb/audit")
        ),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-EBS-001",
            id(
                "eu-west-1",
                "aws_ebs_volume",
                s["plain_volume"].as_str().unwrap()
            )
        ),
        "fail"
    );
    assert_eq!(
        v(
            "PLB-EBS-001",
            id(
                "eu-west-1",
                "aws_ebs_volume",
                s["encrypted_volume"].as_str().unwrap()
            )
        ),
        "pass"
    );
    assert_eq!(
        v(
            "PLB-TAG-001",
            id("eu-west-1", "aws_dynamodb_table", "orders")
        ),
        "pass"
    );

    // The policies on the defaults AWS creates, and on network ACLs, judge them live.
    let seeded = |k: &str| s[k].as_str().unwrap();
    let default_sg = id(
        "eu-west-1",
        "aws_default_security_group",
        seeded("default_sg"),
    );
    assert_eq!(
        v("PLB-SG-004", default_sg.clone()),
        "fail",
        "AWS's default rules"
    );
    assert_eq!(v("PLB-SG-001", default_sg), "pass");
    let acl = |kind: &str, key: &str| id("eu-west-1", kind, seeded(key));
    assert_eq!(v("PLB-VPC-003", acl("aws_network_acl", "ssh_acl")), "fail");
    assert_eq!(
        v("PLB-VPC-003", acl("aws_network_acl", "https_acl")),
        "pass"
    );
    assert_eq!(
        v("PLB-VPC-003", acl("aws_default_network_acl", "default_acl")),
        "fail",
        "the default ACL admits everything"
    );
    // The account and the region: posture services, the security contact.
    let region = id("eu-west-1", "aws_region", "eu-west-1");
    assert_eq!(v("PLB-GD-002", region.clone()), "pass");
    assert_eq!(v("PLB-SH-001", region.clone()), "pass");
    assert_eq!(v("PLB-IAM-015", region.clone()), "pass");
    assert_eq!(
        v("PLB-CFG-003", region),
        "fail",
        "no recorder in this estate"
    );
    assert_eq!(
        v("PLB-ACC-001", id("global", "aws_account", ACCOUNT)),
        "pass"
    );
    // Snapshots: public and unencrypted, private and encrypted.
    let public = id("eu-west-1", "aws_ebs_snapshot", seeded("public_snapshot"));
    let private = id(
        "eu-west-1",
        "aws_ebs_snapshot",
        seeded("encrypted_snapshot"),
    );
    assert_eq!(v("PLB-EBS-006", public.clone()), "fail");
    assert_eq!(v("PLB-EBS-005", public), "fail");
    assert_eq!(v("PLB-EBS-006", private.clone()), "pass");
    assert_eq!(v("PLB-EBS-005", private), "pass");
    // CIS monitoring on the log group the trail delivers to: root use alarms a topic a queue
    // subscribes to, trail changes a topic no one does, unauthorised calls have no filter.
    // Other groups are not judged.
    let trail_group = id("eu-west-1", "aws_cloudwatch_log_group", "/plumb/cloudtrail");
    assert_eq!(v("PLB-MON-003", trail_group.clone()), "pass");
    assert_eq!(v("PLB-MON-005", trail_group.clone()), "fail");
    assert_eq!(v("PLB-MON-001", trail_group), "fail");
    let app = id("eu-west-1", "aws_cloudwatch_log_group", "/plumb/app");
    assert_eq!(verdicts.get(&("PLB-MON-003".to_string(), app)), None);
    // The topics: encrypted with a key of its own and subscribed to, or neither.
    let security = id("eu-west-1", "aws_sns_topic", "security");
    let unheard = id("eu-west-1", "aws_sns_topic", "unheard");
    assert_eq!(v("PLB-SNS-001", security.clone()), "pass");
    assert_eq!(v("PLB-SNS-002", security.clone()), "pass");
    assert_eq!(v("PLB-SNS-003", security), "pass");
    assert_eq!(v("PLB-SNS-001", unheard.clone()), "fail");
    assert_eq!(v("PLB-SNS-003", unheard), "pass");
    // A customer-managed policy granting `*` on `*`, attached by ARN, is full access for the
    // role and the group holding it, as AWS's AdministratorAccess would be.
    for principal in [
        id("global", "aws_iam_policy", seeded("policy_arn")),
        id("global", "aws_iam_role", "app-role"),
        id("global", "aws_iam_group", "admins"),
    ] {
        assert_eq!(v("PLB-IAM-001", principal), "fail");
    }
}

#[test]
fn scan_live_aws_evaluates_the_account_with_the_same_policies() {
    let e = estate();
    let out = plumb_aws(
        &e.proxy.endpoint(),
        &[
            "scan",
            "--live-aws",
            "--regions",
            "eu-west-1",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts = common::verdicts(&report);
    assert_eq!(
        verdicts[&(
            "PLB-RDS-003".to_string(),
            id("eu-west-1", "aws_db_instance", "reporting")
        )],
        "fail"
    );
    // Plain progress lines on standard error when it is not a terminal.
    let err = stderr(&out);
    assert!(
        err.contains(&format!("plumb: {ACCOUNT}/eu-west-1 ec2: ")),
        "{err}"
    );
}

#[test]
fn progress_is_plain_lines_off_a_terminal_and_quiet_with_q() {
    let e = estate();
    let (_, _, err) = collect(&e.proxy.endpoint(), &["--regions", "eu-west-1"]);
    assert!(
        err.contains(&format!("plumb: {ACCOUNT}/eu-west-1 rds: 2 resources")),
        "{err}"
    );
    assert!(err.contains("plumb: global iam: "), "{err}");
    let (_, _, err) = collect(&e.proxy.endpoint(), &["--regions", "eu-west-1", "-q"]);
    assert_eq!(err, "");
}

#[test]
fn regions_all_reads_every_region_the_account_has_enabled() {
    let e = estate();
    let (code, inv, err) = collect(
        &e.proxy.endpoint(),
        &["--regions", "all", "-q", "--concurrency", "8"],
    );
    assert_eq!(code, 0, "{err}");
    let scopes: Vec<&str> = inv["metadata"]["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["scope"].as_str().unwrap())
        .collect();
    assert!(scopes.len() > 10, "{scopes:?}");
    assert!(
        scopes.contains(&"123456789012/ap-southeast-2"),
        "{scopes:?}"
    );
    assert!(
        e.proxy
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|op| op == "DescribeRegions")
    );
}

#[test]
fn bad_region_names_are_usage_errors() {
    let out = plumb_aws(
        "http://127.0.0.1:9",
        &[
            "collect",
            "aws",
            "--regions",
            "eu-west-1,all",
            "-o",
            "x.json",
        ],
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--regions"), "{}", stderr(&out));
}
