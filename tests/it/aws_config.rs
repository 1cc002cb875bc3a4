//! `--source config` and `--aggregator`: configuration items mapped into the provider's
//! shape, and kinds the recorder does not record reported as not collected.
//!
//! * The account source runs against moto (its Config discovery covers S3 buckets and IAM
//!   roles and policies), through the proxy that corrects moto's timestamps.
//! * moto does not implement aggregators (`SelectAggregateResourceConfig` returns nothing), so
//!   the aggregator path is tested with recorded responses in the real wire format (AWS
//!   JSON 1.1: PascalCase envelopes, configuration items with `configuration` and
//!   `supplementaryConfiguration` as JSON strings, timestamps as epoch seconds), served by a
//!   loopback server.

#![cfg(feature = "aws")]

use crate::common;

use std::collections::BTreeMap;

use common::aws::{Moto, Proxy, Recorded, collect_aws, plumb_aws};
use common::by_id;
use serde_json::{Value, json};

fn collect(endpoint: &str, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec!["-q"];
    all.extend_from_slice(args);
    let c = collect_aws(endpoint, &[], &all);
    (c.code, c.inventory, c.stderr)
}

fn error_for<'a>(inv: &'a Value, scope: &str, kind: &str) -> &'a Value {
    let errors = inv["metadata"]["errors"].as_array().unwrap();
    errors
        .iter()
        .find(|e| {
            e["scope"].as_str().unwrap().starts_with(scope)
                && e["kinds"]
                    .as_array()
                    .is_some_and(|kinds| kinds.iter().any(|k| k == kind))
        })
        .unwrap_or_else(|| panic!("no error for {kind} in {scope}: {errors:#?}"))
}

#[test]
fn the_account_source_maps_configuration_items_and_reports_what_is_not_recorded() {
    let moto = Moto::start();
    moto.seed("config", &[]);
    let proxy = Proxy::start(moto.port, vec![]);
    let (code, inv, err) = collect(
        &proxy.endpoint(),
        &["--source", "config", "--regions", "eu-west-1"],
    );
    assert_eq!(
        code, 2,
        "kinds not recorded make the collection incomplete: {err}"
    );
    let all = by_id(&inv);
    let id =
        |region: &str, kind: &str, name: &str| format!("aws:123456789012:{region}:{kind}:{name}");

    let recorder = &all[&id("eu-west-1", "aws_config_configuration_recorder", "default")];
    assert_eq!(recorder["attrs"]["is_enabled"], true);
    assert_eq!(
        recorder["attrs"]["recording_group"][0]["resource_types"],
        json!(["AWS::IAM::Policy", "AWS::IAM::Role", "AWS::S3::Bucket"])
    );

    // Buckets, in the provider's shape, with satellites linked.
    let bucket = &all[&id("eu-west-1", "aws_s3_bucket", "plumb-config-data")];
    assert_eq!(bucket["tags"]["CostCenter"], "cc-42");
    assert_eq!(bucket["facets"]["public_access_block"], true);
    assert_eq!(bucket["facets"]["access_logging"], true);
    let pab = &all[&id(
        "eu-west-1",
        "aws_s3_bucket_public_access_block",
        "plumb-config-data",
    )];
    assert_eq!(pab["parent"], bucket["id"]);
    // moto's items carry no encryption or versioning settings: unknown, and said so.
    assert!(bucket["facets"]["versioning"].is_null());
    assert!(bucket["facets"]["sse_algorithm"].is_null());
    let errors = inv["metadata"]["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("aws_s3_bucket_versioning: /versioning_configuration not read")),
        "{errors:#?}"
    );

    // IAM roles and policies (global), recorded by inclusion.
    let role = &all[&id("global", "aws_iam_role", "config-role")];
    assert_eq!(role["tags"]["Owner"], "payments");
    assert!(all.keys().any(|k| k.starts_with(
        "aws:123456789012:global:aws_iam_policy:arn:aws:iam::123456789012:policy/config-policy"
    )));

    // What the recorder does not record is reported, with the kinds, never read as compliant.
    let sg = error_for(&inv, "123456789012/eu-west-1/config", "aws_security_group");
    assert!(
        sg["message"]
            .as_str()
            .unwrap()
            .contains("does not record AWS::EC2::SecurityGroup"),
        "{sg}"
    );
    error_for(&inv, "123456789012/global/config", "aws_iam_user");
    let run = inv["metadata"]["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["scope"] == "123456789012/eu-west-1")
        .unwrap();
    assert_eq!(run["kinds"]["aws_s3_bucket"], true);
    assert_eq!(run["kinds"]["aws_security_group"], false);
}

#[test]
fn a_region_without_a_recorder_collects_nothing_and_says_so() {
    let moto = Moto::start();
    moto.seed("config", &[]);
    let proxy = Proxy::start(moto.port, vec![]);
    let (code, inv, _) = collect(
        &proxy.endpoint(),
        &["--source", "config", "--regions", "us-east-1"],
    );
    assert_eq!(code, 2);
    let e = error_for(&inv, "123456789012/us-east-1/config", "aws_s3_bucket");
    assert!(
        e["message"].as_str().unwrap().contains("no recorder"),
        "{e}"
    );
}

// ---------------------------------------------------------------- aggregator (recorded)

/// A configuration item as `BatchGetAggregateResourceConfig` returns it.
fn item(
    account: &str,
    region: &str,
    kind: &str,
    id: &str,
    name: &str,
    configuration: Value,
    supplementary: Value,
) -> Value {
    let supplementary: serde_json::Map<String, Value> = supplementary
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    json!({
        "version": "1.3",
        "accountId": account,
        "configurationItemCaptureTime": 1.7648e9,
        "configurationItemStatus": "OK",
        "configurationStateId": "1764800000000",
        "arn": format!("arn:aws:{}:{region}:{account}:{id}", kind.split("::").nth(1).unwrap().to_lowercase()),
        "resourceType": kind,
        "resourceId": id,
        "resourceName": name,
        "awsRegion": region,
        "availabilityZone": "Multiple Availability Zones",
        "resourceCreationTime": 1.7e9,
        "configuration": configuration.to_string(),
        "supplementaryConfiguration": supplementary,
    })
}

fn recorded_items() -> Vec<Value> {
    let tags = json!([{"key": "Owner", "value": "payments"}, {"key": "Environment", "value": "prod"}, {"key": "CostCenter", "value": "cc-1"}]);
    vec![
        item(
            "111111111111",
            "eu-west-1",
            "AWS::S3::Bucket",
            "org-logs",
            "org-logs",
            json!({"name": "org-logs", "owner": {"id": "abc"}, "creationDate": "2024-01-01T00:00:00.000Z"}),
            json!({
                "ServerSideEncryptionConfiguration": {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyID": "arn:aws:kms:eu-west-1:111111111111:key/k1"}, "bucketKeyEnabled": true}]},
                "BucketVersioningConfiguration": {"status": "Enabled", "isMfaDeleteEnabled": null},
                "BucketLoggingConfiguration": {"destinationBucketName": null, "logFilePrefix": null},
                "BucketPolicy": {"policyText": null},
                "PublicAccessBlockConfiguration": {"blockPublicAcls": true, "ignorePublicAcls": true, "blockPublicPolicy": true, "restrictPublicBuckets": true},
                "BucketTaggingConfiguration": {"tagSets": [{"tags": {"Owner": "payments", "Environment": "prod", "CostCenter": "cc-1"}}]},
            }),
        ),
        item(
            "111111111111",
            "eu-west-1",
            "AWS::EC2::SecurityGroup",
            "sg-0a1",
            "bastion",
            json!({"groupId": "sg-0a1", "groupName": "bastion", "description": "ssh", "vpcId": "vpc-1", "ownerId": "111111111111",
                   "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"], "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": []}],
                   "ipPermissionsEgress": [{"ipProtocol": "-1", "ipv4Ranges": [{"cidrIp": "0.0.0.0/0"}], "ipRanges": ["0.0.0.0/0"], "ipv6Ranges": [], "prefixListIds": [], "userIdGroupPairs": []}],
                   "tags": tags}),
            json!({}),
        ),
        item(
            "222222222222",
            "eu-west-1",
            "AWS::EC2::SecurityGroup",
            "sg-0b2",
            "internal",
            json!({"groupId": "sg-0b2", "groupName": "internal", "description": "vpc only", "vpcId": "vpc-2",
                   "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "ipv4Ranges": [{"cidrIp": "10.0.0.0/8"}], "ipv6Ranges": []}],
                   "ipPermissionsEgress": [], "tags": []}),
            json!({}),
        ),
        item(
            "111111111111",
            "us-east-1",
            "AWS::EC2::Volume",
            "vol-1",
            "vol-1",
            json!({"volumeId": "vol-1", "availabilityZone": "us-east-1a", "encrypted": false, "size": 100, "volumeType": "gp3", "tags": tags}),
            json!({}),
        ),
        item(
            "111111111111",
            "eu-west-1",
            "AWS::RDS::DBInstance",
            "db-ABC",
            "ledger",
            json!({"dBInstanceIdentifier": "ledger", "dBInstanceClass": "db.r6g.large", "engine": "postgres", "storageEncrypted": true,
                   "kmsKeyId": "arn:aws:kms:eu-west-1:111111111111:key/k1", "publiclyAccessible": false, "multiAZ": true,
                   "backupRetentionPeriod": 30, "deletionProtection": true, "dbiResourceId": "db-ABC",
                   "dBInstanceArn": "arn:aws:rds:eu-west-1:111111111111:db:ledger", "enabledCloudwatchLogsExports": ["postgresql"], "tagList": tags}),
            json!({}),
        ),
        item(
            "111111111111",
            "eu-west-1",
            "AWS::DynamoDB::Table",
            "orders",
            "orders",
            json!({"tableName": "orders", "tableArn": "arn:aws:dynamodb:eu-west-1:111111111111:table/orders", "keySchema": [{"attributeName": "id", "keyType": "HASH"}],
                   "sSEDescription": {"status": "ENABLED", "sSEType": "KMS", "kMSMasterKeyArn": "arn:aws:kms:eu-west-1:111111111111:key/k1"}, "tags": tags}),
            json!({"ContinuousBackupsDescription": {"continuousBackupsStatus": "ENABLED", "pointInTimeRecoveryDescription": {"pointInTimeRecoveryStatus": "ENABLED"}}}),
        ),
        item(
            "111111111111",
            "eu-west-1",
            "AWS::KMS::Key",
            "k1",
            "k1",
            json!({"keyId": "k1", "arn": "arn:aws:kms:eu-west-1:111111111111:key/k1", "keyManager": "CUSTOMER", "keySpec": "SYMMETRIC_DEFAULT", "enabled": true, "keyState": "Enabled", "tags": tags}),
            json!({}),
        ),
        item(
            "111111111111",
            "eu-west-1",
            "AWS::KMS::Key",
            "aws-managed",
            "aws-managed",
            json!({"keyId": "aws-managed", "keyManager": "AWS"}),
            json!({}),
        ),
        item(
            "111111111111",
            "eu-west-1",
            "AWS::Logs::LogGroup",
            "/org/app",
            "/org/app",
            json!({"logGroupName": "/org/app", "retentionInDays": 14, "arn": "arn:aws:logs:eu-west-1:111111111111:log-group:/org/app", "tags": tags}),
            json!({}),
        ),
        item(
            "111111111111",
            "eu-west-1",
            "AWS::CloudTrail::Trail",
            "org",
            "org",
            json!({"name": "org", "trailARN": "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org", "s3BucketName": "org-logs",
                   "isMultiRegionTrail": true, "logFileValidationEnabled": true, "isOrganizationTrail": true, "tags": []}),
            json!({}),
        ),
        item(
            "111111111111",
            "global",
            "AWS::IAM::Role",
            "AROA1",
            "auditor",
            json!({"roleName": "auditor", "roleId": "AROA1", "arn": "arn:aws:iam::111111111111:role/auditor", "path": "/",
                   "assumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D",
                   "rolePolicyList": [{"policyName": "inline", "policyDocument": "%7B%22Statement%22%3A%5B%5D%7D"}],
                   "attachedManagedPolicies": [{"policyName": "SecurityAudit", "policyArn": "arn:aws:iam::aws:policy/SecurityAudit"}],
                   "tags": tags}),
            json!({}),
        ),
    ]
}

fn recorded_aggregator() -> Recorded {
    recorded_aggregator_with(recorded_items())
}

fn recorded_aggregator_with(items: Vec<Value>) -> Recorded {
    Recorded::start(move |op, body| {
        let json = |v: Value| (200, "application/x-amz-json-1.1".to_string(), v.to_string());
        match op {
            // STS answers in the query protocol (XML).
            "GetCallerIdentity" if body.starts_with("Action=") => (
                200,
                "text/xml".into(),
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:iam::111111111111:user/auditor</Arn><UserId>AIDAEXAMPLE</UserId><Account>111111111111</Account>\
                 </GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
                    .into(),
            ),
            "GetCallerIdentity" => json(json!({"Account": "111111111111", "Arn": "arn:aws:iam::111111111111:user/auditor", "UserId": "AIDAEXAMPLE"})),
            "DescribeConfigurationAggregatorSourcesStatus" => json(json!({"AggregatedSourceStatusList": [
                {"SourceId": "111111111111", "SourceType": "ACCOUNT", "AwsRegion": "eu-west-1", "LastUpdateStatus": "SUCCEEDED", "LastUpdateTime": 1.7648e9},
                {"SourceId": "111111111111", "SourceType": "ACCOUNT", "AwsRegion": "us-east-1", "LastUpdateStatus": "SUCCEEDED", "LastUpdateTime": 1.7648e9},
                {"SourceId": "222222222222", "SourceType": "ACCOUNT", "AwsRegion": "eu-west-1", "LastUpdateStatus": "SUCCEEDED", "LastUpdateTime": 1.7648e9},
                {"SourceId": "333333333333", "SourceType": "ACCOUNT", "AwsRegion": "eu-west-1", "LastUpdateStatus": "FAILED",
                 "LastErrorCode": "AccessDeniedException", "LastErrorMessage": "not authorized to aggregate"},
            ]})),
            "SelectAggregateResourceConfig" => {
                let request: Value = serde_json::from_str(body).unwrap_or_default();
                let expression = request["Expression"].as_str().unwrap_or_default();
                let rows: Vec<String> = if expression.contains("AWS::Config::ConfigurationRecorder") {
                    vec![
                        json!({"accountId": "111111111111", "awsRegion": "eu-west-1", "configuration": {"recordingGroup": {"allSupported": true, "includeGlobalResourceTypes": true}}}).to_string(),
                        json!({"accountId": "111111111111", "awsRegion": "us-east-1", "configuration": {"recordingGroup": {"allSupported": true, "includeGlobalResourceTypes": false}}}).to_string(),
                        json!({"accountId": "222222222222", "awsRegion": "eu-west-1", "configuration": {"recordingGroup": {"allSupported": false, "resourceTypes": ["AWS::EC2::SecurityGroup", "AWS::S3::Bucket"]}}}).to_string(),
                    ]
                } else {
                    items
                        .iter()
                        .filter(|i| expression.contains(&format!("'{}'", i["resourceType"].as_str().unwrap())))
                        .map(|i| {
                            json!({"resourceId": i["resourceId"], "resourceName": i["resourceName"], "resourceType": i["resourceType"],
                                   "accountId": i["accountId"], "awsRegion": i["awsRegion"]})
                            .to_string()
                        })
                        .collect()
                };
                json(json!({"Results": rows, "QueryInfo": {"SelectFields": [{"Name": "resourceId"}]}}))
            }
            "BatchGetAggregateResourceConfig" => {
                let request: Value = serde_json::from_str(body).unwrap_or_default();
                let wanted: Vec<(String, String)> = request["ResourceIdentifiers"]
                    .as_array()
                    .map(|ids| {
                        ids.iter()
                            .map(|i| (i["SourceAccountId"].as_str().unwrap_or_default().to_string(), i["ResourceId"].as_str().unwrap_or_default().to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                let found: Vec<&Value> = items
                    .iter()
                    .filter(|i| wanted.iter().any(|(a, id)| i["accountId"] == a.as_str() && i["resourceId"] == id.as_str()))
                    .collect();
                json(json!({"BaseConfigurationItems": found, "UnprocessedResourceIdentifiers": []}))
            }
            other => (
                400,
                "application/x-amz-json-1.1".into(),
                json!({"__type": "UnknownOperationException", "message": format!("not recorded: {other}")}).to_string(),
            ),
        }
    })
}

#[test]
fn an_aggregator_gives_one_snapshot_across_accounts_and_regions() {
    let server = recorded_aggregator();
    let (code, inv, err) = collect(
        &server.endpoint(),
        &["--aggregator", "org", "--regions", "eu-west-1"],
    );
    assert_eq!(code, 2, "one source failed: {err}");
    let all = by_id(&inv);

    let bucket = &all["aws:111111111111:eu-west-1:aws_s3_bucket:org-logs"];
    assert_eq!(bucket["facets"]["sse_algorithm"], "aws:kms");
    assert_eq!(bucket["facets"]["versioning"], true);
    assert_eq!(bucket["facets"]["public_access_block"], true);
    assert_eq!(bucket["facets"]["access_logging"], false);
    assert_eq!(bucket["tags"]["CostCenter"], "cc-1");

    let bastion = &all["aws:111111111111:eu-west-1:aws_security_group:sg-0a1"];
    assert_eq!(bastion["facets"]["open_ingress"][0]["from_port"], 22);
    assert_eq!(bastion["facets"]["unrestricted_egress"], true);
    let internal = &all["aws:222222222222:eu-west-1:aws_security_group:sg-0b2"];
    assert_eq!(internal["facets"]["open_ingress"], json!([]));
    let volume = &all["aws:111111111111:us-east-1:aws_ebs_volume:vol-1"];
    assert_eq!(volume["facets"]["encrypted_at_rest"], false);
    let db = &all["aws:111111111111:eu-west-1:aws_db_instance:ledger"];
    assert_eq!(db["facets"]["multi_az"], true);
    assert_eq!(db["facets"]["backup_retention_days"], 30);
    assert_eq!(db["tags"]["Owner"], "payments");
    let table = &all["aws:111111111111:eu-west-1:aws_dynamodb_table:orders"];
    assert_eq!(table["facets"]["point_in_time_recovery"], true);
    let key = &all["aws:111111111111:eu-west-1:aws_kms_key:k1"];
    assert!(
        key["facets"]["key_rotation"].is_null(),
        "AWS Config does not record rotation"
    );
    assert!(!all.contains_key("aws:111111111111:eu-west-1:aws_kms_key:aws-managed"));
    let logs = &all["aws:111111111111:eu-west-1:aws_cloudwatch_log_group:/org/app"];
    assert_eq!(logs["facets"]["log_retention_days"], 14);
    let trail = &all["aws:111111111111:eu-west-1:aws_cloudtrail:org"];
    assert_eq!(trail["attrs"]["enable_log_file_validation"], true);
    assert!(trail["attrs"]["is_logging"].is_null());
    let role = &all["aws:111111111111:global:aws_iam_role:auditor"];
    assert_eq!(
        role["attrs"]["assume_role_policy"],
        r#"{"Statement":[],"Version":"2012-10-17"}"#
    );
    assert!(all.contains_key("aws:111111111111:global:aws_iam_role_policy:auditor:inline"));
    assert!(all.contains_key(
        "aws:111111111111:global:aws_iam_role_policy_attachment:auditor/SecurityAudit"
    ));

    // The failed source is recorded with every kind; the rest is kept.
    let failed = error_for(&inv, "333333333333/eu-west-1", "aws_s3_bucket");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException"),
        "{failed}"
    );
    // Account 222222222222 records only buckets and security groups: volumes are not collected.
    let volumes = error_for(&inv, "222222222222/eu-west-1", "aws_ebs_volume");
    assert!(
        volumes["message"]
            .as_str()
            .unwrap()
            .contains("does not record AWS::EC2::Volume"),
        "{volumes}"
    );
    // us-east-1 of 111111111111 does not record global types, but eu-west-1 does.
    let runs: BTreeMap<String, Value> = inv["metadata"]["collectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["scope"].as_str().unwrap().to_string(), r["kinds"].clone()))
        .collect();
    assert_eq!(runs["111111111111/eu-west-1"]["aws_security_group"], true);
    assert_eq!(runs["222222222222/eu-west-1"]["aws_ebs_volume"], false);
    assert_eq!(runs["111111111111/global"]["aws_iam_role"], true);

    // The verdicts span the organisation.
    let path = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(path.path(), inv.to_string()).unwrap();
    let out = plumb_aws(
        &server.endpoint(),
        &["check", path.path().to_str().unwrap(), "--format", "json"],
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts = common::verdicts(&report);
    assert_eq!(
        verdicts[&(
            "PLB-SG-001".to_string(),
            "aws:111111111111:eu-west-1:aws_security_group:sg-0a1".to_string()
        )],
        "fail"
    );
    assert_eq!(
        verdicts[&(
            "PLB-SG-001".to_string(),
            "aws:222222222222:eu-west-1:aws_security_group:sg-0b2".to_string()
        )],
        "pass"
    );
    assert_eq!(
        verdicts[&(
            "PLB-KMS-001".to_string(),
            "aws:111111111111:eu-west-1:aws_kms_key:k1".to_string()
        )],
        "unknown"
    );
}

/// Items of every mapped type not in [`recorded_items`], with the fields their mappers read.
fn every_type_items() -> Vec<Value> {
    let tags = json!([{"key": "Owner", "value": "payments"}]);
    let a = "111111111111";
    let r = "eu-west-1";
    vec![
        item(
            a,
            r,
            "AWS::EC2::VPC",
            "vpc-1",
            "vpc-1",
            json!({"vpcId": "vpc-1", "cidrBlock": "10.0.0.0/16", "instanceTenancy": "default", "dhcpOptionsId": "dopt-1", "ownerId": a, "isDefault": false, "tags": tags}),
            json!({}),
        ),
        item(
            a,
            r,
            "AWS::EC2::Subnet",
            "subnet-1",
            "subnet-1",
            json!({"subnetId": "subnet-1", "vpcId": "vpc-1", "cidrBlock": "10.0.1.0/24", "availabilityZone": "eu-west-1a", "mapPublicIpOnLaunch": true, "ownerId": a, "tags": tags}),
            json!({}),
        ),
        item(
            a,
            r,
            "AWS::EC2::FlowLog",
            "fl-1",
            "fl-1",
            json!({"flowLogId": "fl-1", "resourceId": "subnet-1", "trafficType": "ALL", "logDestination": "arn:aws:s3:::org-logs", "logDestinationType": "s3", "maxAggregationInterval": 600, "tags": []}),
            json!({}),
        ),
        item(
            a,
            r,
            "AWS::EC2::Instance",
            "i-1",
            "i-1",
            json!({"instanceId": "i-1", "imageId": "ami-1", "instanceType": "t3.micro", "state": {"name": "running"}, "placement": {"availabilityZone": "eu-west-1a"},
                   "subnetId": "subnet-1", "securityGroups": [{"groupId": "sg-0a1"}], "publicIpAddress": "203.0.113.7", "privateIpAddress": "10.0.1.5",
                   "iamInstanceProfile": {"arn": "arn:aws:iam::111111111111:instance-profile/web"}, "keyName": "ops", "monitoring": {"state": "disabled"},
                   "ebsOptimized": true, "metadataOptions": {"httpEndpoint": "enabled", "httpTokens": "optional", "httpPutResponseHopLimit": 1}, "tags": tags}),
            json!({}),
        ),
        item(
            a,
            r,
            "AWS::RDS::DBInstance",
            "db-MEM",
            "member-1",
            json!({"dBInstanceIdentifier": "member-1", "dBClusterIdentifier": "aurora", "engine": "aurora-postgresql", "storageEncrypted": "true",
                   "allocatedStorage": "1", "vpcSecurityGroups": [{"vpcSecurityGroupId": "sg-0a1"}], "tagList": []}),
            json!({}),
        ),
        item(
            a,
            r,
            "AWS::RDS::DBCluster",
            "cluster-XYZ",
            "aurora",
            json!({"dBClusterIdentifier": "aurora", "dBClusterArn": "arn:aws:rds:eu-west-1:111111111111:cluster:aurora", "engine": "aurora-postgresql",
                   "storageEncrypted": true, "backupRetentionPeriod": 7, "availabilityZones": ["eu-west-1a", "eu-west-1b"],
                   "dBClusterMembers": [{"dBInstanceIdentifier": "member-1", "isClusterWriter": true}], "tagList": tags}),
            json!({}),
        ),
        item(
            a,
            r,
            "AWS::CloudTrail::Trail",
            "full",
            "full",
            json!({"name": "full", "trailARN": "arn:aws:cloudtrail:eu-west-1:111111111111:trail/full", "s3BucketName": "org-logs", "kmsKeyId": "k1", "tags": []}),
            json!({"TrailStatus": {"isLogging": true}, "EventSelectors": [{"readWriteType": "All", "includeManagementEvents": true}]}),
        ),
        item(
            a,
            "global",
            "AWS::IAM::User",
            "AIDA1",
            "alice",
            json!({"userName": "alice", "path": "/", "arn": "arn:aws:iam::111111111111:user/alice", "groupList": ["admins"],
                   "userPolicyList": [{"policyName": "self", "policyDocument": "%7B%7D"}],
                   "attachedManagedPolicies": [{"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}], "tags": tags}),
            json!({}),
        ),
        item(
            a,
            "global",
            "AWS::IAM::Group",
            "AGPA1",
            "admins",
            json!({"groupName": "admins", "path": "/", "arn": "arn:aws:iam::111111111111:group/admins",
                   "attachedManagedPolicies": [{"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}]}),
            json!({}),
        ),
        item(
            a,
            "global",
            "AWS::IAM::Policy",
            "ANPA1",
            "deploy",
            json!({"policyName": "deploy", "arn": "arn:aws:iam::111111111111:policy/deploy", "path": "/", "policyId": "ANPA1", "defaultVersionId": "v2",
                   "attachmentCount": 1, "policyVersionList": [{"versionId": "v1", "isDefaultVersion": false, "document": "%7B%7D"},
                   {"versionId": "v2", "isDefaultVersion": true, "document": "%7B%22Version%22%3A%222012-10-17%22%7D"}], "tags": []}),
            json!({}),
        ),
        item(
            a,
            r,
            "AWS::S3::Bucket",
            "full-bucket",
            "full-bucket",
            json!({"name": "full-bucket"}),
            json!({
                "BucketLoggingConfiguration": {"destinationBucketName": "org-logs", "logFilePrefix": "full/"},
                "BucketPolicy": {"policyText": "{\"Statement\": []}"},
                "BucketLifecycleConfiguration": {"rules": [{"id": "age", "status": "Enabled", "expirationInDays": 30, "transitions": [{"days": 7, "storageClass": "GLACIER"}]}]},
                "BucketReplicationConfiguration": {"roleARN": "arn:aws:iam::111111111111:role/rep", "rules": {"r1": {"status": "Enabled", "destinationConfig": {"bucketARN": "arn:aws:s3:::dr"}}}},
                "AccessControlList": serde_json::to_string(&json!({"grantList": [{"grantee": "AllUsers", "permission": "Read"}, {"grantee": {"id": "abc"}, "permission": "FullControl"}], "owner": {"id": "abc"}}).to_string()).unwrap(),
            }),
        ),
    ]
}

#[test]
fn configuration_items_of_every_mapped_type_keep_their_shape() {
    let mut items = recorded_items();
    items.extend(every_type_items());
    let server = recorded_aggregator_with(items);
    let (_, inv, _) = collect(
        &server.endpoint(),
        &["--aggregator", "org", "--regions", "eu-west-1"],
    );
    let mut resources = inv["resources"].as_array().unwrap().clone();
    resources.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let mut errors = inv["metadata"]["errors"].as_array().unwrap().clone();
    errors.sort_by_key(|e| e.to_string());
    insta::assert_json_snapshot!(
        "aws_config_every_type",
        json!({"resources": resources, "errors": errors, "collectors": inv["metadata"]["collectors"]})
    );
}
