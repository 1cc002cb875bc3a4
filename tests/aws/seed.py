"""Seeds a moto server with an estate for plumb's live-AWS tests, through boto3.

    python seed.py ENDPOINT estate          a realistic, mixed estate in two regions
    python seed.py ENDPOINT config          an AWS Config recorder and what moto's Config reads
    python seed.py ENDPOINT bench COUNT     COUNT resources over two regions, for the benchmark
    python seed.py ENDPOINT drift WEB_SG    changes to the estate, for the drift test: suspends
                                            a bucket's versioning, opens WEB_SG to 0.0.0.0/0 on
                                            port 22, deletes a table, adds a bucket

Prints a JSON object with the ids the tests assert on. Fails loudly: a test must never pass
on an estate that was only half seeded.
"""

import json
import sys

import boto3

ENDPOINT, SCENARIO = sys.argv[1], sys.argv[2]
MAIN, OTHER = "eu-west-1", "us-east-1"
TAGS = {"Owner": "payments", "Environment": "prod", "CostCenter": "cc-42"}


def client(service, region=MAIN):
    return boto3.client(service, region_name=region, endpoint_url=ENDPOINT)


def s3control(account):
    """S3 Control addresses `{account}.s3-control...`; in front of the emulator's IP address
    the call goes to the address itself (as plumb's collector does)."""
    c = client("s3control")

    def at_address(request, **_):
        request.url = request.url.replace(f"://{account}.", "://", 1)

    c.meta.events.register("before-sign.s3-control.*", at_address)
    return c


def tag_list(tags, key="Key", value="Value"):
    return [{key: k, value: v} for k, v in tags.items()]


def bucket(s3, name, region, tags=None):
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags)})


def estate():
    out = {}
    kms = client("kms")
    data_key = kms.create_key(Description="data", Tags=tag_list(TAGS, "TagKey", "TagValue"))["KeyMetadata"]
    kms.enable_key_rotation(KeyId=data_key["KeyId"])
    stale_key = kms.create_key(Description="stale", Tags=tag_list(TAGS, "TagKey", "TagValue"))["KeyMetadata"]
    out["data_key"], out["data_key_arn"], out["stale_key"] = data_key["KeyId"], data_key["Arn"], stale_key["KeyId"]

    # S3: one bucket done right, one public, one log target, one in the other region.
    s3 = client("s3")
    bucket(s3, "plumb-access-logs", MAIN, TAGS)
    s3.put_bucket_acl(Bucket="plumb-access-logs", ACL="log-delivery-write")
    s3.put_bucket_encryption(
        Bucket="plumb-access-logs",
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    bucket(s3, "plumb-compliant-data", MAIN, TAGS)
    s3.put_bucket_encryption(
        Bucket="plumb-compliant-data",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": data_key["Arn"]},
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_versioning(Bucket="plumb-compliant-data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(
        Bucket="plumb-compliant-data",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "plumb-access-logs", "TargetPrefix": "data/"}},
    )
    s3.put_public_access_block(
        Bucket="plumb-compliant-data",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_policy(
        Bucket="plumb-compliant-data",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TlsOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": ["arn:aws:s3:::plumb-compliant-data", "arn:aws:s3:::plumb-compliant-data/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ],
            }
        ),
    )
    s3.put_bucket_lifecycle_configuration(
        Bucket="plumb-compliant-data",
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "archive",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
                }
            ]
        },
    )
    # A secret-looking tag value: it must never reach an inventory.
    bucket(s3, "plumb-public-assets", MAIN, {"Owner": "web", "db_password": "hunter2-live-tag"})
    s3.put_bucket_acl(Bucket="plumb-public-assets", ACL="public-read")
    s3.put_bucket_policy(
        Bucket="plumb-public-assets",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::plumb-public-assets/*"}
                ],
            }
        ),
    )
    bucket(client("s3", OTHER), "plumb-us-archive", OTHER, TAGS)

    # EC2: a VPC with flow logs, groups open and closed, volumes, an instance.
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=tag_list(TAGS))
    subnet_a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="eu-west-1a")["Subnet"]["SubnetId"]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="eu-west-1b")["Subnet"]["SubnetId"]
    logs = client("logs")
    logs.create_log_group(logGroupName="/plumb/flow-logs")
    flow = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="/plumb/flow-logs",
        DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs",
    )["FlowLogIds"][0]
    web = ec2.create_security_group(GroupName="web", Description="https from anywhere", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    admin = ec2.create_security_group(GroupName="admin", Description="admin ports", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=admin,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
            {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
        ],
    )
    ec2.create_tags(Resources=[web, admin], Tags=tag_list(TAGS))
    encrypted = ec2.create_volume(
        AvailabilityZone="eu-west-1a", Size=20, VolumeType="gp3", Encrypted=True, KmsKeyId=data_key["Arn"],
        TagSpecifications=[{"ResourceType": "volume", "Tags": tag_list(TAGS)}],
    )["VolumeId"]
    plain = ec2.create_volume(AvailabilityZone="eu-west-1a", Size=8, VolumeType="gp2")["VolumeId"]
    ec2.enable_ebs_encryption_by_default()
    instance = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet_a,
        SecurityGroupIds=[web], UserData="#!/bin/sh\nexport DB_PASSWORD=hunter2-userdata\n",
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
    )["Instances"][0]["InstanceId"]
    # Network ACLs: one admitting SSH from anywhere, one HTTPS only; and the VPC's defaults (the
    # group with its self rule, the ACL allowing everything), which AWS creates.
    ssh_acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    https_acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for acl, port in ((ssh_acl, 22), (https_acl, 443)):
        ec2.create_network_acl_entry(
            NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
            CidrBlock="0.0.0.0/0", PortRange={"From": port, "To": port},
        )
    in_vpc = {"Name": "vpc-id", "Values": [vpc]}
    default_sg = ec2.describe_security_groups(Filters=[in_vpc, {"Name": "group-name", "Values": ["default"]}])
    default_acl = ec2.describe_network_acls(Filters=[in_vpc, {"Name": "default", "Values": ["true"]}])
    out.update(vpc=vpc, subnet=subnet_a, subnet_b=subnet_b, flow_log=flow, web_sg=web, admin_sg=admin,
               encrypted_volume=encrypted, plain_volume=plain, instance=instance,
               ssh_acl=ssh_acl, https_acl=https_acl,
               default_sg=default_sg["SecurityGroups"][0]["GroupId"],
               default_acl=default_acl["NetworkAcls"][0]["NetworkAclId"])
    other_ec2 = client("ec2", OTHER)
    other_vpc = other_ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    out["other_sg"] = other_ec2.create_security_group(GroupName="db", Description="db", VpcId=other_vpc)["GroupId"]

    # RDS: one instance as the baseline wants, one not.
    rds = client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier="ledger", DBInstanceClass="db.r6g.large", Engine="postgres", AllocatedStorage=100,
        MasterUsername="ledger", MasterUserPassword="hunter2-rds-password", StorageEncrypted=True,
        KmsKeyId=data_key["Arn"], MultiAZ=True, BackupRetentionPeriod=35, DeletionProtection=True,
        PubliclyAccessible=False, EnableCloudwatchLogsExports=["postgresql"], Tags=tag_list(TAGS),
    )
    rds.create_db_instance(
        DBInstanceIdentifier="reporting", DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
        MasterUsername="report", MasterUserPassword="hunter2-rds-password", StorageEncrypted=False,
        MultiAZ=False, BackupRetentionPeriod=1, PubliclyAccessible=True,
    )

    # DynamoDB.
    ddb = client("dynamodb")
    for name, pitr in (("orders", True), ("sessions", False)):
        kwargs = {}
        if pitr:
            kwargs["SSESpecification"] = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": data_key["Arn"]}
        ddb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], Tags=tag_list(TAGS), **kwargs,
        )
        if pitr:
            ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    # CloudWatch Logs.
    logs.create_log_group(logGroupName="/plumb/app", tags=TAGS)
    logs.put_retention_policy(logGroupName="/plumb/app", retentionInDays=30)
    logs.create_log_group(logGroupName="/plumb/audit", kmsKeyId=data_key["Arn"], tags=TAGS)
    logs.put_retention_policy(logGroupName="/plumb/audit", retentionInDays=400)
    client("logs", OTHER).create_log_group(logGroupName="/plumb/us", tags=TAGS)

    # CloudTrail.
    trail = client("cloudtrail")
    trail.create_trail(
        Name="org-trail", S3BucketName="plumb-access-logs", IsMultiRegionTrail=True,
        EnableLogFileValidation=True, IncludeGlobalServiceEvents=True, KmsKeyId=data_key["Arn"],
        TagsList=tag_list(TAGS),
    )
    trail.start_logging(Name="org-trail")
    trail.put_event_selectors(
        TrailName="org-trail",
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}],
    )
    trail.create_trail(Name="stopped-trail", S3BucketName="plumb-access-logs")

    # IAM.
    iam = client("iam")
    iam.create_user(UserName="alice", Tags=tag_list(TAGS))
    iam.create_login_profile(UserName="alice", Password="hunter2-console-password")
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=mfa, AuthenticationCode1="123456", AuthenticationCode2="654321")
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    out["bob_key"] = key["AccessKeyId"]
    out["bob_secret"] = key["SecretAccessKey"]
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="bob")
    policy = iam.create_policy(
        PolicyName="plumb-admin",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="admins", PolicyArn=policy)
    iam.create_role(
        RoleName="app-role",
        AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        ),
        Tags=tag_list(TAGS),
    )
    iam.put_role_policy(
        RoleName="app-role", PolicyName="read-data",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    )
    iam.attach_role_policy(RoleName="app-role", PolicyArn=policy)
    iam.update_account_password_policy(MinimumPasswordLength=14, RequireSymbols=True, RequireNumbers=True,
                                       RequireUppercaseCharacters=True, RequireLowercaseCharacters=True,
                                       PasswordReusePrevention=24, MaxPasswordAge=90)
    out["policy_arn"] = policy

    # The long tail.
    client("elasticache").create_cache_cluster(
        CacheClusterId="sessions-cache", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=1,
    )
    ecr = client("ecr")
    ecr.create_repository(repositoryName="api", imageScanningConfiguration={"scanOnPush": True},
                          imageTagMutability="IMMUTABLE", tags=tag_list(TAGS))
    ecr.put_lifecycle_policy(
        repositoryName="api",
        lifecyclePolicyText=json.dumps(
            {"rules": [{"rulePriority": 1, "description": "keep 30 images", "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}, "action": {"type": "expire"}}]}
        ),
    )
    ecr.create_repository(repositoryName="scratch")
    client("eks").create_cluster(
        name="platform", roleArn="arn:aws:iam::123456789012:role/eks", version="1.30",
        resourcesVpcConfig={"subnetIds": [subnet_a, subnet_b], "endpointPublicAccess": True, "endpointPrivateAccess": False},
        tags=TAGS,
    )
    elb = client("elbv2")
    lb = elb.create_load_balancer(Name="public-web", Subnets=[subnet_a, subnet_b], SecurityGroups=[web],
                                  Scheme="internet-facing", Type="application", Tags=tag_list(TAGS))["LoadBalancers"][0]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}],
    )["Listeners"][0]["ListenerArn"]
    out["listener"] = listener.rsplit("/", 1)[1]
    out["lb_arn"] = lb["LoadBalancerArn"]
    ec2.create_launch_template(LaunchTemplateName="api", LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"})
    client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName="api", LaunchTemplate={"LaunchTemplateName": "api", "Version": "$Latest"},
        MinSize=2, MaxSize=6, DesiredCapacity=2, VPCZoneIdentifier=f"{subnet_a},{subnet_b}",
        Tags=[{"Key": k, "Value": v, "PropagateAtLaunch": True} for k, v in TAGS.items()],
    )
    backup = client("backup")
    backup.create_backup_vault(BackupVaultName="primary", EncryptionKeyArn=data_key["Arn"])
    out["backup_plan"] = backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "daily",
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "primary", "ScheduleExpression": "cron(0 5 ? * * *)",
                       "Lifecycle": {"DeleteAfterDays": 35}}],
        }
    )["BackupPlanId"]
    sm = client("secretsmanager")
    sm.create_secret(Name="db/ledger", SecretString="hunter2-secret-value", KmsKeyId=data_key["Arn"], Tags=tag_list(TAGS))
    efs = client("efs")
    fs = efs.create_file_system(CreationToken="shared", Encrypted=True, KmsKeyId=data_key["Arn"],
                                PerformanceMode="generalPurpose", Tags=tag_list(TAGS))["FileSystemId"]
    # moto does not implement EFS backup policies; the tests answer DescribeBackupPolicy from
    # a recorded response instead.
    out["file_system"] = fs

    # The region's posture: GuardDuty and Security Hub on in the main region only (IAM Access
    # Analyzer, which moto lacks, is answered from a recorded response). A security contact.
    out["detector"] = client("guardduty").create_detector(Enable=True)["DetectorId"]
    client("securityhub").enable_security_hub()
    client("account", "us-east-1").put_alternate_contact(
        AlternateContactType="SECURITY", EmailAddress="security-team@plumb.example", Name="Security team",
        PhoneNumber="+15555550100", Title="Security",
    )
    # The account's S3 Block Public Access: three of the four on (restrict_public_buckets off).
    account = client("sts").get_caller_identity()["Account"]
    s3control(account).put_public_access_block(
        AccountId=account,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False,
        },
    )
    # EBS snapshots: the plain volume's, made public; the encrypted volume's, private.
    public_snapshot = ec2.create_snapshot(VolumeId=plain)["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=public_snapshot, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"],
    )
    out.update(public_snapshot=public_snapshot, encrypted_snapshot=ec2.create_snapshot(VolumeId=encrypted)["SnapshotId"])
    # CIS monitoring: a trail delivering to a log group with two metric filters, root use (its
    # alarm notifies a topic) and trail changes (its alarm notifies no one). moto cannot answer
    # CloudWatch in the protocol the SDK speaks (RPC v2 CBOR): the tests answer DescribeAlarms
    # with these two alarms from a recorded response, so only the filters are made here.
    logs.create_log_group(logGroupName="/plumb/cloudtrail")
    trail.create_trail(
        Name="monitored-trail", S3BucketName="plumb-access-logs", IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{MAIN}:123456789012:log-group:/plumb/cloudtrail:*",
        CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/cloudtrail-logs",
    )
    for name, metric, pattern in (
        ("root-usage", "RootUsage",
         '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'),
        ("trail-changes", "TrailChanges",
         "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || "
         "($.eventName = StartLogging) || ($.eventName = StopLogging) }"),
    ):
        logs.put_metric_filter(
            logGroupName="/plumb/cloudtrail", filterName=name, filterPattern=pattern,
            metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}],
        )
    # The alarms' topics: `security` (a key of its own, a queue subscribed) and `unheard` (no
    # key, no subscriber), which the trail-changes alarm notifies.
    sns, sqs = client("sns"), client("sqs")
    queue = sqs.create_queue(QueueName="oncall")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    security = sns.create_topic(Name="security", Attributes={"KmsMasterKeyId": "alias/security-alerts"})
    sns.subscribe(TopicArn=security["TopicArn"], Protocol="sqs", Endpoint=queue_arn)
    sns.create_topic(Name="unheard", Tags=[{"Key": "Owner", "Value": "platform"}])
    return out


def config():
    cfg = client("config")
    s3 = client("s3")
    cfg.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": "arn:aws:iam::123456789012:role/config",
            "recordingGroup": {
                "allSupported": False,
                "includeGlobalResourceTypes": False,
                "resourceTypes": ["AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::Policy"],
            },
        }
    )
    bucket(s3, "plumb-config-logs", MAIN)
    s3.put_bucket_acl(Bucket="plumb-config-logs", ACL="log-delivery-write")
    cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "plumb-config-logs"})
    cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    bucket(s3, "plumb-config-data", MAIN, TAGS)
    s3.put_public_access_block(
        Bucket="plumb-config-data",
        PublicAccessBlockConfiguration={"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
    )
    s3.put_bucket_logging(
        Bucket="plumb-config-data",
        BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": "plumb-config-logs", "TargetPrefix": "x/"}},
    )
    iam = client("iam")
    iam.create_role(
        RoleName="config-role",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        Tags=tag_list(TAGS),
    )
    iam.create_policy(PolicyName="config-policy", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}]}))
    return {}


def bench(count):
    """COUNT resources, half per region: log groups, security groups, volumes, tables, buckets."""
    made = 0
    per_region = count // 2
    for region in (MAIN, OTHER):
        logs, ec2, ddb, s3 = client("logs", region), client("ec2", region), client("dynamodb", region), client("s3", region)
        vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
        mix = [("log", 40), ("sg", 25), ("volume", 15), ("table", 10), ("bucket", 10)]
        for kind, share in mix:
            for i in range(per_region * share // 100):
                name = f"bench-{region}-{kind}-{i}"
                if kind == "log":
                    logs.create_log_group(logGroupName=f"/{name}", tags=TAGS)
                    logs.put_retention_policy(logGroupName=f"/{name}", retentionInDays=(30, 90, 365)[i % 3])
                elif kind == "sg":
                    sg = ec2.create_security_group(GroupName=name, Description="bench", VpcId=vpc)["GroupId"]
                    ec2.authorize_security_group_ingress(
                        GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22 if i % 4 == 0 else 443,
                                                    "ToPort": 22 if i % 4 == 0 else 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
                elif kind == "volume":
                    ec2.create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=i % 2 == 0)
                elif kind == "table":
                    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
                else:
                    bucket(s3, name, region, TAGS)
                made += 1
    return {"resources": made}


def drift(web_sg):
    s3 = client("s3")
    s3.put_bucket_versioning(Bucket="plumb-compliant-data", VersioningConfiguration={"Status": "Suspended"})
    client("ec2").authorize_security_group_ingress(
        GroupId=web_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    client("dynamodb").delete_table(TableName="sessions")
    bucket(s3, "plumb-new-uploads", MAIN)
    return {"changed": 4}


if SCENARIO == "estate":
    result = estate()
elif SCENARIO == "config":
    result = config()
elif SCENARIO == "drift":
    result = drift(sys.argv[3])
elif SCENARIO == "bench":
    result = bench(int(sys.argv[3]))
else:
    raise SystemExit(f"unknown scenario {SCENARIO}")
print(json.dumps(result))
