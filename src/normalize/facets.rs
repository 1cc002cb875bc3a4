//! The facet catalogue: every facet name, its type and its meaning. Which kinds carry it, each
//! kind declares in the registry ([`super::kinds`]).
//!
//! Facets are a public API for policy authors (`resource.facets.<name>` in CEL), so this table
//! is the single place they are defined. `plumb policies lint` and policy loading reject a
//! condition that reads a facet its kinds do not have. A facet whose value cannot be known
//! (an unresolved variable, a value known only after apply, an API field that could not be
//! read) is `null`, and a policy reading it yields `unknown`.
//!
//! Conventions: booleans say whether a property holds; `*_days` / `*_minutes` are numbers
//! where `0` means "none" unless the facet says otherwise; strings are empty when unset.
//!
//! Unknowns stay local: a facet over a list (of blocks, of statements, of satellites) is
//! decided whenever the known part decides it. A boolean facet is false as soon as one known
//! element breaks it and true as soon as one known element makes it ("any" facets), and
//! `null` only when the unknown part could still change it. A list facet is `null` when an
//! element it would list, or leave out, depends on an unknown value, except the lists of
//! findings that policies test for emptiness (`service_wildcards`, `secret_reads_any`,
//! `managed_rule_groups`): those list what is known, and are `null` only when that is
//! nothing and an unknown could add to it. A value a facet does not read being unknown
//! changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

/// Facet values of one resource, by name.
pub type FacetMap = BTreeMap<String, Value>;

/// One facet: name, value type and what it means. The kinds that carry it say so in the kind
/// registry ([`super::kinds::Kind::facets`]).
#[derive(Debug)]
pub struct FacetDef {
    pub name: &'static str,
    /// `bool`, `int`, `string`, `list<string>`, `list<port_range>`, `list<container>`, ...
    pub ty: &'static str,
    pub doc: &'static str,
}

/// Facets that kinds carry together, declared once for the kinds' lists.
///
/// Encryption at rest and the customer key it uses.
pub const ENCRYPTION: &[&str] = &["encrypted_at_rest", "kms_key"];
/// The recovery point and time estimates of a data store ([`super::continuity`]).
pub const RECOVERY: &[&str] = &["rpo_minutes", "rpo_basis", "rto_minutes", "rto_basis"];
/// What a policy document grants (IAM policies and the identities holding them).
pub const POLICY_DOCUMENT: &[&str] = &[
    "admin_access",
    "service_wildcards",
    "pass_role_any",
    "secret_reads_any",
];
/// Managed databases and caches: retention, replicas, upgrades, engine.
pub const DATABASE: &[&str] = &[
    "backup_retention_days",
    "multi_az",
    "auto_minor_version_upgrade",
    "engine",
];
/// A Kubernetes pod template (a pod, or a workload's `template`).
pub const POD_TEMPLATE: &[&str] = &[
    "containers",
    "host_network",
    "host_pid",
    "host_ipc",
    "host_aliases",
    "sysctls",
    "supplemental_groups",
    "host_path_volumes",
    "namespace_declared",
    "service_account",
    "automount_service_account_token",
];
/// The rules of a Kubernetes Role or ClusterRole.
pub const RBAC_RULES: &[&str] = &[
    "grants",
    "wildcard_verbs",
    "wildcard_resources",
    "reads_secrets",
    "can_escalate",
    "creates_pods",
];

/// Kubernetes kinds whose objects carry a pod template.
pub const WORKLOADS: &[&str] = &[
    "k8s/Pod",
    "k8s/Deployment",
    "k8s/StatefulSet",
    "k8s/DaemonSet",
    "k8s/ReplicaSet",
    "k8s/Job",
    "k8s/CronJob",
];

/// Every facet plumb derives. Kept sorted by area, then name.
pub const FACETS: &[FacetDef] = &[
    // --- encryption
    FacetDef {
        name: "encrypted_at_rest",
        ty: "bool",
        doc: "Data is encrypted at rest. S3 (SSE-S3 by default since January 2023), DynamoDB and \
              CloudWatch Logs always encrypt; RDS, EBS, EFS, ElastiCache and OpenSearch only \
              when encryption is turned on; SNS topics only when given a KMS key. Instances and launch templates: every EBS block \
              device is encrypted (unknown when a device leaves it to the AMI and the \
              account's default encryption).",
    },
    FacetDef {
        name: "kms_key",
        ty: "string",
        doc: "The customer-managed KMS key (id, ARN or alias) encrypting the data; empty when an \
              AWS-owned or AWS-managed key is used (or, for a trail, no KMS encryption).",
    },
    FacetDef {
        name: "sse_algorithm",
        ty: "string",
        doc: "Default server-side encryption of new objects: `AES256` (SSE-S3), `aws:kms` \
              (SSE-KMS) or `aws:kms:dsse`.",
    },
    FacetDef {
        name: "encrypted_in_transit",
        ty: "bool",
        doc: "Plain-text connections are refused. S3: the bucket policy denies requests where \
              `aws:SecureTransport` is false. ElastiCache: in-transit encryption is on. \
              OpenSearch: the domain enforces HTTPS.",
    },
    FacetDef {
        name: "min_tls_version",
        ty: "string",
        doc: "Oldest TLS version clients may use, as `1.0` / `1.1` / `1.2` / `1.3` (`0` for \
              SSLv3), from the listener's ELB security policy, the distribution's viewer \
              `minimum_protocol_version` (TLSv1 with CloudFront's default certificate), or the \
              domain's TLS policy. Empty for a listener that is not HTTPS/TLS, or a policy \
              name plumb does not know.",
    },
    FacetDef {
        name: "node_to_node_encryption",
        ty: "bool",
        doc: "Traffic between the domain's nodes is encrypted.",
    },
    FacetDef {
        name: "key_rotation",
        ty: "bool",
        doc: "Automatic yearly rotation of the key material is on. Always false for asymmetric \
              and HMAC keys, which cannot rotate.",
    },
    FacetDef {
        name: "key_spec",
        ty: "string",
        doc: "The key spec, `SYMMETRIC_DEFAULT` unless an asymmetric or HMAC spec is chosen.",
    },
    FacetDef {
        name: "deletion_window_days",
        ty: "int",
        doc: "Waiting period before a scheduled key deletion completes (7 to 30; AWS default 30).",
    },
    FacetDef {
        name: "enabled",
        ty: "bool",
        doc: "The account-level feature is on: EBS encryption by default (the resource's \
              `enabled`, default true), the GuardDuty detector (`enable`, default true), the \
              AWS Config recorder is recording (its `aws_config_configuration_recorder_status`).",
    },
    FacetDef {
        name: "secrets_encryption",
        ty: "bool",
        doc: "Kubernetes Secrets are envelope-encrypted with a customer-managed KMS key \
              (`encryption_config` covering `secrets`).",
    },
    FacetDef {
        name: "protocol",
        ty: "string",
        doc: "Listener protocol, upper-case (`HTTP`, the default for Application Load \
              Balancers; `HTTPS`, `TCP`, `TLS`, `UDP`, `TCP_UDP`).",
    },
    FacetDef {
        name: "ssl_policy",
        ty: "string",
        doc: "The ELB security policy of an HTTPS or TLS listener.",
    },
    FacetDef {
        name: "redirects_to_https",
        ty: "bool",
        doc: "The listener's default action redirects to HTTPS.",
    },
    FacetDef {
        name: "viewer_https_only",
        ty: "bool",
        doc: "Every cache behaviour refuses plain HTTP from viewers (`redirect-to-https` or \
              `https-only`).",
    },
    FacetDef {
        name: "origin_https_only",
        ty: "bool",
        doc: "Every custom origin is reached over HTTPS only (`https-only`, or `match-viewer` \
              with HTTPS-only viewers) with no protocol older than TLS 1.2. S3 origins always \
              use HTTPS.",
    },
    // --- network
    FacetDef {
        name: "publicly_accessible",
        ty: "bool",
        doc: "Reachable from the internet. S3: the bucket's ACL or policy grants public access \
              that its public access block does not stop. RDS: the instance has a public \
              address. EBS snapshot: anyone may create a volume from it (its live \
              create-volume permissions include the group `all`).",
    },
    FacetDef {
        name: "public_access_block",
        ty: "bool",
        doc: "All four S3 Block Public Access settings are on: for the bucket (its own \
              `aws_s3_bucket_public_access_block`), or for the whole account \
              (`aws_s3_account_public_access_block`; a live account that never set them has \
              all four off).",
    },
    FacetDef {
        name: "public_policy",
        ty: "bool",
        doc: "The resource policy allows any principal (`Principal: \"*\"`) without a \
              condition narrowing it.",
    },
    FacetDef {
        name: "open_ingress",
        ty: "list<port_range>",
        doc: "Ingress open to the whole internet (0.0.0.0/0 or ::/0), each \
              `{protocol, from_port, to_port, cidr}`; protocol `-1` (all) spans ports 0-65535. \
              Network ACLs: allow rules, minus the ranges a lower-numbered deny rule takes.",
    },
    FacetDef {
        name: "unrestricted_egress",
        ty: "bool",
        doc: "An egress rule allows all protocols to 0.0.0.0/0 or ::/0.",
    },
    FacetDef {
        name: "rule_count",
        ty: "int",
        doc: "Number of rules: a security group's ingress and egress rules, inline and from \
              separate rule resources; a web ACL's rules.",
    },
    FacetDef {
        name: "flow_logs",
        ty: "bool",
        doc: "An `aws_flow_log` captures the VPC's traffic.",
    },
    FacetDef {
        name: "public_ip_on_launch",
        ty: "bool",
        doc: "Instances launched in the subnet get a public IPv4 address \
              (`map_public_ip_on_launch`, default false).",
    },
    FacetDef {
        name: "public_ip",
        ty: "bool",
        doc: "The instance (or a network interface of the template) asks for a public IPv4 \
              address. Unset means no request; the subnet may still assign one.",
    },
    FacetDef {
        name: "imdsv2_required",
        ty: "bool",
        doc: "Instance metadata requires IMDSv2 session tokens (`http_tokens = required`) or is \
              turned off. The provider's default is `optional`.",
    },
    FacetDef {
        name: "internal",
        ty: "bool",
        doc: "The load balancer is internal (no public addresses).",
    },
    FacetDef {
        name: "load_balancer_type",
        ty: "string",
        doc: "`application` (the default), `network` or `gateway`.",
    },
    FacetDef {
        name: "drops_invalid_headers",
        ty: "bool",
        doc: "The load balancer drops HTTP headers with invalid names.",
    },
    FacetDef {
        name: "waf",
        ty: "bool",
        doc: "A WAF web ACL protects it: an `aws_wafv2_web_acl_association` naming the load \
              balancer, or the distribution's `web_acl_id`.",
    },
    FacetDef {
        name: "rate_limited",
        ty: "bool",
        doc: "A rule of the web ACL is a rate-based statement.",
    },
    FacetDef {
        name: "managed_rule_groups",
        ty: "list<string>",
        doc: "Managed rule groups the web ACL applies (not overridden to count), as \
              `Vendor/Name` (`AWS/AWSManagedRulesCommonRuleSet`): those known to be applied; \
              `null` when none is known and a rule whose fields are unknown could be one.",
    },
    FacetDef {
        name: "public_endpoint",
        ty: "bool",
        doc: "The Kubernetes API endpoint is reachable from the whole internet (public access \
              on, and its CIDRs include 0.0.0.0/0, the default).",
    },
    FacetDef {
        name: "private_endpoint",
        ty: "bool",
        doc: "The Kubernetes API endpoint is reachable from inside the VPC.",
    },
    FacetDef {
        name: "ssh_from_internet",
        ty: "bool",
        doc: "Remote access gives an SSH key without source security groups, which opens \
              port 22 to 0.0.0.0/0.",
    },
    FacetDef {
        name: "in_vpc",
        ty: "bool",
        doc: "The domain lives in a VPC (no public endpoint).",
    },
    // --- retention
    FacetDef {
        name: "versioning",
        ty: "bool",
        doc: "Object versioning is enabled (not suspended, not never enabled).",
    },
    FacetDef {
        name: "mfa_delete",
        ty: "bool",
        doc: "Versioning requires MFA to delete versions or change the versioning state.",
    },
    FacetDef {
        name: "object_lock",
        ty: "bool",
        doc: "S3 Object Lock is enabled on the bucket.",
    },
    FacetDef {
        name: "lifecycle_rules",
        ty: "int",
        doc: "Number of enabled lifecycle rules.",
    },
    FacetDef {
        name: "lifecycle_archive_days",
        ty: "int",
        doc: "Fewest days after which an enabled lifecycle rule moves current objects to an \
              archive class (GLACIER, GLACIER_IR, DEEP_ARCHIVE); 0 when no rule archives.",
    },
    FacetDef {
        name: "log_retention_days",
        ty: "int",
        doc: "Days log events are kept; 0 means they never expire (CloudWatch's own convention).",
    },
    FacetDef {
        name: "subscription_filters",
        ty: "int",
        doc: "Subscription filters streaming the log group elsewhere (an archive, a SIEM).",
    },
    FacetDef {
        name: "cloudtrail_delivers",
        ty: "bool",
        doc: "A CloudTrail trail of the estate delivers its events to this log group \
              (`cloud_watch_logs_group_arn`).",
    },
    FacetDef {
        name: "alarmed_events",
        ty: "list<string>",
        doc: "The classes of CloudTrail event the CIS AWS monitoring controls name that a \
              metric filter of this group matches and a metric alarm watches whose action reaches \
              someone (an SNS topic of the estate with a confirmed subscriber, or an action \
              plumb cannot follow, such as another account's topic): \
              `unauthorized_api_calls`, `console_sign_in_without_mfa`, `root_usage`, \
              `iam_policy_changes`, `cloudtrail_changes`, `console_authentication_failures`, \
              `cmk_disabled_or_deleted`, `s3_bucket_policy_changes`, `config_changes`, \
              `security_group_changes`, `nacl_changes`, `network_gateway_changes`, \
              `route_table_changes`, `vpc_changes`, `organizations_changes`. A pattern counts \
              for a class when it holds every term of the benchmark's pattern for it \
              (whitespace and quotes aside).",
    },
    FacetDef {
        name: "subscribers",
        ty: "int",
        doc: "Confirmed subscriptions of the topic: the count a live read gets from SNS, or \
              the topic's `aws_sns_topic_subscription` resources not pending confirmation.",
    },
    FacetDef {
        name: "lifecycle_policy",
        ty: "bool",
        doc: "A lifecycle policy expires old images.",
    },
    FacetDef {
        name: "immutable_tags",
        ty: "bool",
        doc: "Image tags cannot be overwritten (`IMMUTABLE`, or `IMMUTABLE_WITH_EXCLUSION`).",
    },
    FacetDef {
        name: "rotation",
        ty: "bool",
        doc: "Automatic rotation is configured (an `aws_secretsmanager_secret_rotation`).",
    },
    FacetDef {
        name: "rotation_days",
        ty: "int",
        doc: "Longest time between rotations, days (`automatically_after_days`, or the gap a \
              `schedule_expression` allows); 0 when rotation is off.",
    },
    // --- backup and continuity
    FacetDef {
        name: "backup_retention_days",
        ty: "int",
        doc: "Days automated backups (ElastiCache: daily snapshots) are kept; 0 means they are \
              off.",
    },
    FacetDef {
        name: "point_in_time_recovery",
        ty: "bool",
        doc: "The data can be restored to any second within the retention window (RDS: automated \
              backups on; DynamoDB: continuous backups on).",
    },
    FacetDef {
        name: "multi_az",
        ty: "bool",
        doc: "A standby or replica in another availability zone takes over automatically (RDS \
              Multi-AZ; an Aurora cluster with at least two instances; an ElastiCache \
              replication group with Multi-AZ, automatic failover and a replica).",
    },
    FacetDef {
        name: "cross_region_copy",
        ty: "bool",
        doc: "A copy is kept in another region: S3 replication, RDS cross-region automated \
              backups, Aurora global database or cross-region replica, DynamoDB global table, \
              EFS replication, ElastiCache global datastore, or an AWS Backup rule (of a plan \
              covering the resource) copying to a vault in another region. Unknown when a copy's \
              destination region is.",
    },
    FacetDef {
        name: "deletion_protection",
        ty: "bool",
        doc: "The resource cannot be deleted until deletion protection is turned off.",
    },
    FacetDef {
        name: "rpo_minutes",
        ty: "int",
        doc: "Estimated recovery point objective: the most recent writes, in minutes, that can \
              be lost (point-in-time recovery about 5, versioning 0, daily snapshots 1440). -1: \
              nothing to recover from. How each estimate is made is documented in \
              `src/normalize/continuity.rs` and stated in `rpo_basis`.",
    },
    FacetDef {
        name: "rpo_basis",
        ty: "string",
        doc: "What `rpo_minutes` rests on (\"point-in-time recovery from automated backups kept \
              7 days\").",
    },
    FacetDef {
        name: "rto_minutes",
        ty: "int",
        doc: "Estimated recovery time objective: minutes the store is unavailable when the \
              infrastructure under it fails (a Multi-AZ failover about 2, a restore from backup \
              more, growing with size). -1: it cannot be brought back.",
    },
    FacetDef {
        name: "rto_basis",
        ty: "string",
        doc: "What `rto_minutes` rests on.",
    },
    FacetDef {
        name: "backup_plans",
        ty: "list<string>",
        doc: "AWS Backup plans (through their selections, by ARN or tag) and, for EBS, Data \
              Lifecycle Manager policies (by target tags) covering the resource. A selection \
              whose plan is not in the scan (a variable, a data source, a literal id) lists \
              the plan id it names; the estimates resting on that plan's rules are then \
              unknown.",
    },
    FacetDef {
        name: "region",
        ty: "string",
        doc: "The region the resource lives in: the live source's region, the `region` \
              attribute or the ARN's. Unknown in a plan until the ARN is.",
    },
    FacetDef {
        name: "global_table",
        ty: "bool",
        doc: "The table has replicas in other regions (global table).",
    },
    FacetDef {
        name: "autoscaling",
        ty: "bool",
        doc: "Capacity follows demand: on-demand billing (`PAY_PER_REQUEST`), or an Application \
              Auto Scaling target on the table.",
    },
    FacetDef {
        name: "one_zone",
        ty: "bool",
        doc: "An EFS One Zone file system, stored in a single Availability Zone.",
    },
    FacetDef {
        name: "automatic_backups",
        ty: "bool",
        doc: "EFS automatic daily backups are on (an `aws_efs_backup_policy`; the API turns \
              them on by default for One Zone file systems only).",
    },
    FacetDef {
        name: "automatic_failover",
        ty: "bool",
        doc: "A replica is promoted automatically when the primary fails.",
    },
    FacetDef {
        name: "replica",
        ty: "bool",
        doc: "The instance is a read replica of another (`replicate_source_db`).",
    },
    FacetDef {
        name: "managed_master_password",
        ty: "bool",
        doc: "RDS keeps the master user password in Secrets Manager \
              (`manage_master_user_password`), instead of a password in the configuration.",
    },
    FacetDef {
        name: "storage_gb",
        ty: "int",
        doc: "Allocated storage, GiB (unknown for replicas and restores, which inherit it).",
    },
    FacetDef {
        name: "auto_minor_version_upgrade",
        ty: "bool",
        doc: "Minor engine versions (security patches) are applied automatically in the \
              maintenance window (the default). A cluster has it when every instance does.",
    },
    FacetDef {
        name: "performance_insights",
        ty: "bool",
        doc: "Performance Insights is on (for a cluster: on every instance).",
    },
    FacetDef {
        name: "monitoring_interval",
        ty: "int",
        doc: "Enhanced Monitoring interval in seconds; 0 when off (for a cluster: the lowest of \
              its instances).",
    },
    FacetDef {
        name: "engine",
        ty: "string",
        doc: "Database engine (`postgres`, `aurora-postgresql`, `mysql`, `redis`, `valkey`, ...).",
    },
    FacetDef {
        name: "iam_auth",
        ty: "bool",
        doc: "IAM database authentication is enabled.",
    },
    FacetDef {
        name: "log_exports",
        ty: "list<string>",
        doc: "Database logs exported to CloudWatch Logs (`postgresql`, `audit`, ...).",
    },
    FacetDef {
        name: "volume_type",
        ty: "string",
        doc: "EBS volume type (`gp3`, `io2`, ...).",
    },
    FacetDef {
        name: "rules",
        ty: "list<backup_rule>",
        doc: "The plan's rules, each `{name, frequency_minutes` (longest gap between two runs; \
              a rule without a schedule runs daily), `retention_days` (0: kept until deleted), \
              `continuous, copies` (destination vaults), `copy_regions}`.",
    },
    FacetDef {
        name: "selections",
        ty: "int",
        doc: "Backup selections assigning resources to the plan.",
    },
    FacetDef {
        name: "locked",
        ty: "bool",
        doc: "AWS Backup Vault Lock protects the vault's recovery points from deletion.",
    },
    FacetDef {
        name: "lock_min_retention_days",
        ty: "int",
        doc: "Shortest retention the vault lock enforces, days (0 when none).",
    },
    FacetDef {
        name: "lock_compliance_mode",
        ty: "bool",
        doc: "The lock is in compliance mode (`changeable_for_days` set): once the grace time \
              ends, nobody can remove it.",
    },
    FacetDef {
        name: "min_size",
        ty: "int",
        doc: "Fewest instances (nodes) the group keeps.",
    },
    FacetDef {
        name: "max_size",
        ty: "int",
        doc: "Most instances (nodes) the group scales to.",
    },
    FacetDef {
        name: "zones",
        ty: "int",
        doc: "Availability Zones (or subnets) the group launches into.",
    },
    FacetDef {
        name: "subnets",
        ty: "int",
        doc: "Subnets the node group launches into.",
    },
    FacetDef {
        name: "health_check_type",
        ty: "string",
        doc: "`EC2` (the default: instance status checks) or `ELB` (the load balancer's health \
              checks too).",
    },
    FacetDef {
        name: "health_check_grace_period",
        ty: "int",
        doc: "Seconds a new instance is given before health checks count (default 300).",
    },
    FacetDef {
        name: "load_balanced",
        ty: "bool",
        doc: "The group registers its instances with a load balancer or target group.",
    },
    FacetDef {
        name: "failover",
        ty: "bool",
        doc: "The record uses a failover routing policy.",
    },
    FacetDef {
        name: "health_check",
        ty: "bool",
        doc: "The record's health is checked: a `health_check_id`, or an alias evaluating its \
              target's health.",
    },
    // --- tagging
    FacetDef {
        name: "propagated_tags",
        ty: "list<string>",
        doc: "Tag keys the group copies to the instances it launches (`propagate_at_launch`).",
    },
    // --- audit
    FacetDef {
        name: "access_logging",
        ty: "bool",
        doc: "Access logs are delivered (S3 server access logging; load balancer access logs; \
              CloudFront standard logging: `logging_config`, or v2, an `ACCESS_LOGS` \
              `aws_cloudwatch_log_delivery_source` for the distribution with an \
              `aws_cloudwatch_log_delivery`).",
    },
    FacetDef {
        name: "log_sources",
        ty: "list<string>",
        doc: "Logs the bucket receives, from known evidence only: `cloudtrail` (a trail delivers \
              to it, or its policy lets CloudTrail write), `elb` (its policy lets Elastic Load \
              Balancing write access logs), `s3-access-logs` (its policy lets S3 server access \
              logging write, or its ACL is `log-delivery-write`), `log-delivery` (its policy \
              lets the vended-log service write: VPC flow logs, NLB, WAF). Empty when none is \
              known.",
    },
    FacetDef {
        name: "multi_region_trail",
        ty: "bool",
        doc: "The trail records events in every region.",
    },
    FacetDef {
        name: "log_file_validation",
        ty: "bool",
        doc: "Digest files let anyone prove a log file was not changed after delivery.",
    },
    FacetDef {
        name: "logging",
        ty: "bool",
        doc: "Logs are being delivered. Trail: live status (`is_logging`) or `enable_logging` \
              (default true). Web ACL: an `aws_wafv2_web_acl_logging_configuration` exists.",
    },
    FacetDef {
        name: "cloudwatch_logs",
        ty: "bool",
        doc: "The trail also delivers to a CloudWatch Logs group (for metric filters and alarms).",
    },
    FacetDef {
        name: "management_events",
        ty: "bool",
        doc: "The trail records read and write management events (the default without event \
              selectors).",
    },
    FacetDef {
        name: "s3_object_reads",
        ty: "bool",
        doc: "The trail records S3 object-level read events (data events).",
    },
    FacetDef {
        name: "s3_object_writes",
        ty: "bool",
        doc: "The trail records S3 object-level write events (data events).",
    },
    FacetDef {
        name: "bucket",
        ty: "string",
        doc: "The S3 bucket the trail delivers to.",
    },
    FacetDef {
        name: "log_types",
        ty: "list<string>",
        doc: "Control-plane logs sent to CloudWatch Logs (`api`, `audit`, `authenticator`, \
              `controllerManager`, `scheduler`).",
    },
    FacetDef {
        name: "audit_logging",
        ty: "bool",
        doc: "The domain publishes audit logs to CloudWatch Logs.",
    },
    FacetDef {
        name: "records_all_resources",
        ty: "bool",
        doc: "The recorder records every supported resource type, global ones (IAM) included.",
    },
    FacetDef {
        name: "origin_failover",
        ty: "bool",
        doc: "An origin group fails over to a secondary origin.",
    },
    FacetDef {
        name: "scan_on_push",
        ty: "bool",
        doc: "Images are scanned for vulnerabilities when pushed (the repository's own setting; \
              registry-level enhanced scanning is configured elsewhere).",
    },
    // --- iam
    FacetDef {
        name: "admin_access",
        ty: "bool",
        doc: "Full administrative access: a statement allowing `*` on `*`, or a policy granting \
              it attached to the role, user or group: the AWS managed `AdministratorAccess`, or \
              a customer-managed `aws_iam_policy` of the estate whose document allows `*` on \
              `*`, attached by reference or ARN (also through an `aws_iam_policy_attachment` \
              listing the principal, or `managed_policy_arns`).",
    },
    FacetDef {
        name: "service_wildcards",
        ty: "list<string>",
        doc: "Allowed actions naming every action of a service (`s3:*`) or everything (`*`), and \
              `NotAction` allows (`NotAction:iam:*`). Roles: of their inline policies. Lists \
              what is known to be allowed, beside statements whose actions are unknown; \
              `null` when nothing is known to be and an unknown action could be.",
    },
    FacetDef {
        name: "pass_role_any",
        ty: "bool",
        doc: "`iam:PassRole` is allowed on every role (`Resource: \"*\"`).",
    },
    FacetDef {
        name: "secret_reads_any",
        ty: "list<string>",
        doc: "Secret-reading actions allowed on every resource: \
              `secretsmanager:GetSecretValue`, `ssm:GetParameter*`, `kms:Decrypt`. Lists what \
              is known to be allowed; `null` when nothing is known to be and an unknown field \
              could allow one.",
    },
    FacetDef {
        name: "trust_anyone",
        ty: "bool",
        doc: "The trust policy lets any principal assume the role, with no condition.",
    },
    FacetDef {
        name: "attached_policies",
        ty: "int",
        doc: "Policies attached to the user directly (inline or managed, including \
              `aws_iam_policy_attachment` listing the user), not through a group.",
    },
    FacetDef {
        name: "credential_report",
        ty: "bool",
        doc: "Credential facts are known (a live inventory). From Terraform they are not, and \
              the credential facets below stay null.",
    },
    FacetDef {
        name: "console_access",
        ty: "bool",
        doc: "The user has a console password.",
    },
    FacetDef {
        name: "mfa_enabled",
        ty: "bool",
        doc: "The user has an MFA device.",
    },
    FacetDef {
        name: "active_access_keys",
        ty: "int",
        doc: "Active access keys.",
    },
    FacetDef {
        name: "oldest_active_key_days",
        ty: "int",
        doc: "Age of the oldest active access key, days, as of collection.",
    },
    FacetDef {
        name: "unused_credential_days",
        ty: "int",
        doc: "Days the stalest active credential (console password or access key) has gone \
              unused, as of collection (since creation when never used).",
    },
    FacetDef {
        name: "minimum_password_length",
        ty: "int",
        doc: "Shortest password allowed (IAM's default 6).",
    },
    FacetDef {
        name: "password_reuse_prevention",
        ty: "int",
        doc: "Previous passwords that cannot be reused (0: none).",
    },
    FacetDef {
        name: "requires_complexity",
        ty: "bool",
        doc: "Passwords need lower- and upper-case letters, numbers and symbols.",
    },
    FacetDef {
        name: "root_access_keys",
        ty: "bool",
        doc: "The root user has access keys (live inventories only).",
    },
    FacetDef {
        name: "root_mfa",
        ty: "bool",
        doc: "The root user has MFA (live inventories only).",
    },
    FacetDef {
        name: "security_contact",
        ty: "bool",
        doc: "The account registers a security alternate contact (an email address or phone \
              number) for AWS to reach about security events (live inventories only).",
    },
    // --- the live region summary
    FacetDef {
        name: "guardduty_enabled",
        ty: "bool",
        doc: "A GuardDuty detector of the region is enabled (live inventories only).",
    },
    FacetDef {
        name: "securityhub_enabled",
        ty: "bool",
        doc: "Security Hub is enabled in the region (`DescribeHub` answers; live inventories \
              only).",
    },
    FacetDef {
        name: "access_analyzer_enabled",
        ty: "bool",
        doc: "An IAM Access Analyzer of the account's or the organisation's external access \
              is active in the region (live inventories only).",
    },
    FacetDef {
        name: "config_recording",
        ty: "bool",
        doc: "An AWS Config configuration recorder of the region is recording (live \
              inventories only).",
    },
    // --- kubernetes workloads
    FacetDef {
        name: "containers",
        ty: "list<container>",
        doc: "Every container of the pod template, init containers included, each: `name`, \
              `init` (bool), `image`, `image_tag` (empty when none), `image_digest` (empty when \
              not pinned), `registry` (the image's registry host, `docker.io` by default), \
              `privileged`, `allow_privilege_escalation` (true unless set false), \
              `run_as_non_root` (effective, from the container or the pod), `read_only_root_fs`, \
              `capabilities_added` (list), `drops_all_capabilities`, `seccomp` (effective \
              profile type: `RuntimeDefault`, `Localhost`, `Unconfined`, or empty when unset), \
              `apparmor` (effective AppArmor profile type, from the field or the beta \
              annotation, alike; empty when unset: the runtime's default then applies), \
              `run_as_user` and `run_as_group` (effective, from the container or the pod; null \
              when unset: the image decides), `proc_mount` (`Default` unless set), `selinux` \
              (effective `type`, `user`, `role`, `level`, each empty when unset), \
              `ports` (the container ports it declares), `host_ports` (list), `secret_env` (reads a Secret into an environment variable), \
              `limits` and `requests` (maps with `cpu` / `memory`, empty when unset), \
              `liveness_probe`, `readiness_probe` (bool).",
    },
    FacetDef {
        name: "host_network",
        ty: "bool",
        doc: "The pod shares the node's network namespace.",
    },
    FacetDef {
        name: "host_pid",
        ty: "bool",
        doc: "The pod shares the node's process namespace.",
    },
    FacetDef {
        name: "host_ipc",
        ty: "bool",
        doc: "The pod shares the node's IPC namespace.",
    },
    FacetDef {
        name: "host_aliases",
        ty: "bool",
        doc: "The pod adds entries to its containers' `/etc/hosts` (`hostAliases`).",
    },
    FacetDef {
        name: "sysctls",
        ty: "list<string>",
        doc: "The names of the kernel parameters the pod sets (`securityContext.sysctls`).",
    },
    FacetDef {
        name: "supplemental_groups",
        ty: "list<int>",
        doc: "The group ids the pod adds to every container's process: `supplementalGroups` \
              and `fsGroup`.",
    },
    FacetDef {
        name: "host_path_volumes",
        ty: "list<string>",
        doc: "Paths on the node mounted through `hostPath` volumes.",
    },
    FacetDef {
        name: "replicas",
        ty: "int",
        doc: "Workloads: the fewest replicas that run: the HorizontalPodAutoscaler's \
              `minReplicas` when one targets the workload, else `spec.replicas` (Kubernetes \
              defaults an omitted count to 1). ElastiCache: read replicas per shard.",
    },
    FacetDef {
        name: "strategy",
        ty: "string",
        doc: "Rollout strategy: `RollingUpdate` (the default) or `Recreate`.",
    },
    FacetDef {
        name: "namespace",
        ty: "string",
        doc: "The object's namespace (`default` when a manifest names none).",
    },
    FacetDef {
        name: "namespace_declared",
        ty: "bool",
        doc: "The object names its namespace. A manifest without one lands wherever it is \
              applied (`kubectl -n`, Kustomize, Helm), which the manifest cannot tell.",
    },
    FacetDef {
        name: "service_account",
        ty: "string",
        doc: "Service account the pods run as (`default` when unset).",
    },
    FacetDef {
        name: "automount_service_account_token",
        ty: "bool",
        doc: "The service account token is mounted into the pods (Kubernetes' default is yes).",
    },
    FacetDef {
        name: "min_replicas",
        ty: "int",
        doc: "Fewest replicas the autoscaler keeps (default 1).",
    },
    FacetDef {
        name: "max_replicas",
        ty: "int",
        doc: "Most replicas the autoscaler scales to.",
    },
    FacetDef {
        name: "cpu_target",
        ty: "int",
        doc: "Target average CPU utilisation, percent; 0 when the autoscaler does not scale on \
              CPU utilisation.",
    },
    FacetDef {
        name: "memory_target",
        ty: "int",
        doc: "Target average memory utilisation, percent; 0 when not scaling on it.",
    },
    // --- kubernetes namespaces
    FacetDef {
        name: "has_network_policy",
        ty: "bool",
        doc: "At least one NetworkPolicy applies in the namespace. Null when the namespace's \
              NetworkPolicies could not be read.",
    },
    FacetDef {
        name: "has_default_deny",
        ty: "bool",
        doc: "A NetworkPolicy selects every pod of the namespace for ingress with no rule \
              allowing traffic (default deny).",
    },
    FacetDef {
        name: "has_resource_quota",
        ty: "bool",
        doc: "A ResourceQuota is defined in the namespace. Null when its ResourceQuotas could \
              not be read.",
    },
    FacetDef {
        name: "has_limit_range",
        ty: "bool",
        doc: "A LimitRange is defined in the namespace. Null when its LimitRanges could not \
              be read.",
    },
    // --- kubernetes RBAC
    FacetDef {
        name: "grants",
        ty: "list<string>",
        doc: "The powerful permissions some rule grants, directly or through `*` (in verbs, \
              resources, API groups, or `*/sub` for a subresource), as the API server's \
              authorizer matches rules; a rule limited by `resourceNames` grants only on the \
              objects it names. `exec_pods` (create or get on pods/exec), `attach_pods` \
              (pods/attach), `proxy_nodes` (any verb but list and watch on nodes/proxy), \
              `write_bindings` (create, update or patch on rolebindings or \
              clusterrolebindings), `write_webhooks` (any write on validating or mutating \
              webhook configurations), `approve_csrs` (update or patch on \
              certificatesigningrequests/approval), `write_service_status` (update or patch \
              on services/status), `delete_pod_logs` (delete on pods/log), \
              `write_configmaps` (any write on configmaps), `write_networking` (any write on \
              services, endpoints, endpointslices, ingresses or networkpolicies), \
              `write_aws_auth` (update, patch or delete on the ConfigMap aws-auth in kube-system; a Role elsewhere cannot reach it).",
    },
    FacetDef {
        name: "wildcard_verbs",
        ty: "bool",
        doc: "A rule grants verb `*`.",
    },
    FacetDef {
        name: "wildcard_resources",
        ty: "bool",
        doc: "A rule grants resource `*` or API group `*`.",
    },
    FacetDef {
        name: "reads_secrets",
        ty: "bool",
        doc: "A rule grants get, list or watch on secrets (directly or through a wildcard).",
    },
    FacetDef {
        name: "can_escalate",
        ty: "bool",
        doc: "A rule grants `bind`, `escalate` or `impersonate`, or every verb (`*`) on every \
              resource, on service accounts, users or groups (impersonate), or on roles, \
              cluster roles or their bindings (escalate, bind).",
    },
    FacetDef {
        name: "creates_pods",
        ty: "bool",
        doc: "A rule grants `create` on pods, or on a workload kind that creates pods \
              (deployments, jobs, ...), directly or through a wildcard.",
    },
    FacetDef {
        name: "role_ref",
        ty: "string",
        doc: "The bound role, as `Kind/name` (`ClusterRole/cluster-admin`).",
    },
    FacetDef {
        name: "subjects",
        ty: "list<string>",
        doc: "Bound subjects as `Kind:namespace/name` (namespace empty for users and groups).",
    },
    // --- kubernetes network
    FacetDef {
        name: "selects_all_pods",
        ty: "bool",
        doc: "The pod selector is empty: the policy applies to every pod of its namespace.",
    },
    FacetDef {
        name: "default_deny_ingress",
        ty: "bool",
        doc: "Selects all pods for ingress and allows nothing.",
    },
    FacetDef {
        name: "allows_all_ingress",
        ty: "bool",
        doc: "Has an ingress rule without `from` (any source).",
    },
    FacetDef {
        name: "mtls_mode",
        ty: "string",
        doc: "Istio mutual TLS: the weakest mode the object sets for the workload or a port \
              (`DISABLE`, `PERMISSIVE`, `STRICT`; `UNSET` inherits the namespace's or mesh's).",
    },
    FacetDef {
        name: "service_type",
        ty: "string",
        doc: "`ClusterIP` (the default), `NodePort`, `LoadBalancer` or `ExternalName`.",
    },
    FacetDef {
        name: "internal_load_balancer",
        ty: "bool",
        doc: "A LoadBalancer service annotated to get an internal (VPC-only) load balancer.",
    },
    FacetDef {
        name: "ports",
        ty: "list<int>",
        doc: "The service's ports.",
    },
    FacetDef {
        name: "source_ranges",
        ty: "list<string>",
        doc: "`loadBalancerSourceRanges`: the client CIDRs a load balancer admits (empty: any).",
    },
    // --- terraform
    FacetDef {
        name: "remote_state",
        ty: "bool",
        doc: "The root module keeps its state in a remote backend the team shares (`s3`, `gcs`, \
              `azurerm`, HCP Terraform, ...), not in a local file (no backend block means \
              `local`).",
    },
    FacetDef {
        name: "state_encrypted",
        ty: "bool",
        doc: "The backend encrypts the state at rest by its configuration: `s3` and `oss` with \
              `encrypt = true` or a KMS or customer key; `gcs`, `azurerm` and HCP Terraform \
              always; `local` and `consul` never. Unknown for `pg`, `http` and `kubernetes` \
              (it depends on the server), and for a partial configuration that leaves the \
              setting to `terraform init -backend-config`.",
    },
    FacetDef {
        name: "state_locking",
        ty: "bool",
        doc: "Concurrent runs are stopped by a state lock: `s3` with `use_lockfile = true` (S3 \
              native locking) or a `dynamodb_table`; `gcs`, `azurerm`, HCP Terraform, `pg` \
              and `kubernetes` always; `consul` unless `lock = false`; `http` with a \
              `lock_address`; `oss` with a `tablestore_table`. False for `local` state, whose \
              lock holds on one machine only.",
    },
    // --- repository: Dockerfiles and GitHub Actions workflows
    FacetDef {
        name: "stages",
        ty: "int",
        doc: "The number of build stages (`FROM` instructions).",
    },
    FacetDef {
        name: "multi_stage",
        ty: "bool",
        doc: "The image is built in more than one stage, so build tools and sources stay out of the final image.",
    },
    FacetDef {
        name: "base_images",
        ty: "list<base_image>",
        doc: "The external images stages are built `FROM` (not `scratch`, not an earlier stage), each `{image, registry, tag, digest, stage, line}`: `registry` is `docker.io` for Docker Hub names, `tag` and `digest` are empty when not written. `ARG`s declared before the first `FROM` are substituted; `null` when a `FROM` names a variable without a default.",
    },
    FacetDef {
        name: "undigested_base_images",
        ty: "list<base_image>",
        doc: "The `base_images` not pinned by digest (`@sha256:...`); `null` when a base image is unknown.",
    },
    FacetDef {
        name: "unversioned_base_images",
        ty: "list<base_image>",
        doc: "The `base_images` with neither a digest nor a tag other than `latest` (`FROM node`, `FROM node:latest`); `null` when a base image is unknown.",
    },
    FacetDef {
        name: "final_user",
        ty: "string",
        doc: "The `USER` in effect at the end of the final stage (inherited from an earlier stage it is built from); empty when no `USER` is written, which leaves the base image's default, root for most images.",
    },
    FacetDef {
        name: "runs_as_root",
        ty: "bool",
        doc: "The final image runs as root: no `USER`, or `root` / `0`. Unknown when the user is a variable.",
    },
    FacetDef {
        name: "compiles",
        ty: "bool",
        doc: "A `RUN` instruction compiles (`go build`, `cargo build`, `mvn`, `gradle`, `gcc`, `make`, `dotnet publish`, `npm run build`, `tsc`, ...).",
    },
    FacetDef {
        name: "healthcheck",
        ty: "bool",
        doc: "The final stage declares a `HEALTHCHECK` (not `HEALTHCHECK NONE`), itself or through the stage it is built from.",
    },
    FacetDef {
        name: "exposed_ports",
        ty: "list<string>",
        doc: "The ports the final stage `EXPOSE`s: a service that listens.",
    },
    FacetDef {
        name: "secret_vars",
        ty: "list<var>",
        doc: "`ENV` and `ARG` variables that hold secrets, each `{name, instruction, line}`: named like a password, token or key (the names `redact` knows), or with a value of a well-known token shape (AWS access key, GitHub, GitLab, npm, Slack, Stripe token, private key). Their values are redacted when the file is read.",
    },
    FacetDef {
        name: "remote_adds",
        ty: "list<source>",
        doc: "`ADD` sources that are URLs or git remotes, each `{source, line}`.",
    },
    FacetDef {
        name: "unpinned_packages",
        ty: "list<package>",
        doc: "Packages `RUN` installs without a version, each `{manager, package, line}`: `apt-get`/`apt install x` (pinned: `x=1.2`), `apk add x` (`x=1.2`), `pip install x` (`x==1.2`), `npm install`/`yarn add`/`pnpm add x` (`x@1.2`). Requirement files, lockfile installs (`npm ci`, `npm install` without names) and words holding a variable are not listed.",
    },
    FacetDef {
        name: "triggers",
        ty: "list<string>",
        doc: "The events that run the workflow (`on:`).",
    },
    FacetDef {
        name: "permissions_declared",
        ty: "bool",
        doc: "The workflow sets `permissions:` at the top, so every job's `GITHUB_TOKEN` starts from it rather than from the repository default.",
    },
    FacetDef {
        name: "jobs_without_permissions",
        ty: "list<job>",
        doc: "Jobs whose token has the repository's default permissions: neither the workflow nor the job sets `permissions:`. Each `{job, line}`.",
    },
    FacetDef {
        name: "write_all",
        ty: "list<job>",
        doc: "Where `permissions: write-all` is set, each `{job, line}` (`job` empty for the workflow's top level).",
    },
    FacetDef {
        name: "unpinned_actions",
        ty: "list<action>",
        doc: "Actions and reusable workflows used by a reference other than a full 40-hex commit SHA, each `{job, step, uses, owner, line}`. Local actions (`./`) and `docker://` images by digest are pinned.",
    },
    FacetDef {
        name: "pr_head_checkouts",
        ty: "list<step>",
        doc: "In a workflow run by `pull_request_target`: `actions/checkout` steps that check out the pull request's head (`ref:` from `github.event.pull_request.head.*` or `github.head_ref`), each `{job, step, line}`.",
    },
    FacetDef {
        name: "secrets_echoed",
        ty: "list<step>",
        doc: "`run:` lines that print (`echo`, `printf`, `cat`) a secret, directly (`${{ secrets.X }}`) or through a step environment variable set from one, and neither mask it (`::add-mask::`) nor redirect it; each `{job, step, line}`.",
    },
    FacetDef {
        name: "secrets_to_unpinned_actions",
        ty: "list<action>",
        doc: "Unpinned actions or reusable workflows given a secret (`with:`, `env:` or `secrets:` reading `secrets.*`, or `secrets: inherit`), each `{job, step, uses, owner, line}`.",
    },
    FacetDef {
        name: "deploy_jobs",
        ty: "list<string>",
        doc: "Jobs that deploy: named `deploy`, or running `kubectl apply`, `helm upgrade`, `terraform apply`, `aws ecs update-service`, `cdk deploy`, ... or a deployment action.",
    },
    FacetDef {
        name: "ungated_deploy_jobs",
        ty: "list<job>",
        doc: "Deploy jobs without an `environment:`, whose protection rules (reviewers, branch restrictions) would gate them; each `{job, line}`.",
    },
];

/// Facets that list one item per element of attribute lists: facet -> the lists, in the
/// order the facet lists their items, as pointers below the workload's pod spec
/// ([`crate::normalize::kubernetes::pod_spec`]).
pub const FACET_ITEM_ATTRIBUTES: &[(&str, &[&str])] =
    &[("containers", &["/initContainers", "/containers"])];

/// For the items of a [`FACET_ITEM_ATTRIBUTES`] facet: item field -> the attributes below the
/// item's element it is derived from (one entry each, the one that decides most often first).
pub const FACET_ITEM_FIELDS: &[(&str, &str, &str)] = &[
    ("containers", "image", "/image"),
    ("containers", "image_tag", "/image"),
    ("containers", "image_digest", "/image"),
    ("containers", "registry", "/image"),
    ("containers", "privileged", "/securityContext/privileged"),
    (
        "containers",
        "allow_privilege_escalation",
        "/securityContext/allowPrivilegeEscalation",
    ),
    // A privileged container always allows escalation.
    (
        "containers",
        "allow_privilege_escalation",
        "/securityContext/privileged",
    ),
    (
        "containers",
        "run_as_non_root",
        "/securityContext/runAsNonRoot",
    ),
    (
        "containers",
        "read_only_root_fs",
        "/securityContext/readOnlyRootFilesystem",
    ),
    (
        "containers",
        "capabilities_added",
        "/securityContext/capabilities/add",
    ),
    (
        "containers",
        "drops_all_capabilities",
        "/securityContext/capabilities/drop",
    ),
    ("containers", "seccomp", "/securityContext/seccompProfile"),
    ("containers", "apparmor", "/securityContext/appArmorProfile"),
    ("containers", "run_as_user", "/securityContext/runAsUser"),
    ("containers", "run_as_group", "/securityContext/runAsGroup"),
    ("containers", "proc_mount", "/securityContext/procMount"),
    ("containers", "selinux", "/securityContext/seLinuxOptions"),
    ("containers", "ports", "/ports"),
    ("containers", "host_ports", "/ports"),
    ("containers", "secret_env", "/env"),
    ("containers", "limits", "/resources/limits"),
    ("containers", "requests", "/resources/requests"),
    ("containers", "liveness_probe", "/livenessProbe"),
    ("containers", "readiness_probe", "/readinessProbe"),
];

/// The attribute pointer of each item of a facet listing attribute list elements (the
/// `containers` of a workload: `/spec/template/spec/containers/0`, ...), in the facet's order;
/// `None` for other facets.
pub fn facet_items(kind: &str, facet: &str, attrs: &Value) -> Option<Vec<String>> {
    let (_, lists) = FACET_ITEM_ATTRIBUTES.iter().find(|(f, _)| *f == facet)?;
    let spec = match kind {
        "k8s/Pod" => "/spec",
        "k8s/CronJob" => "/spec/jobTemplate/spec/template/spec",
        k if WORKLOADS.contains(&k) => "/spec/template/spec",
        _ => return None,
    };
    let mut out = Vec::new();
    for list in *lists {
        let pointer = format!("{spec}{list}");
        let n = attrs
            .pointer(&pointer)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        out.extend((0..n).map(|i| format!("{pointer}/{i}")));
    }
    Some(out)
}

/// The attributes below an item's element that its `field` is derived from.
pub fn facet_item_fields<'a>(
    facet: &'a str,
    field: &'a str,
) -> impl Iterator<Item = &'static str> + 'a {
    FACET_ITEM_FIELDS
        .iter()
        .filter(move |(f, n, _)| *f == facet && *n == field)
        .map(|(_, _, p)| *p)
}

/// The attribute a facet of a kind is read from, when it is one attribute of the resource as
/// written in the source (declared with the kind, [`super::kinds::Kind::attributes`]).
pub fn facet_attribute(kind: &str, facet: &str) -> Option<&'static str> {
    super::kind(kind)?
        .attributes
        .iter()
        .find(|(f, _)| *f == facet)
        .map(|(_, p)| *p)
}

/// Each declared kind's facets, in the catalogue's order.
fn by_kind() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let position: HashMap<&str, usize> = FACETS
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name, i))
            .collect();
        super::kinds()
            .map(|kind| {
                let mut names: Vec<&'static str> = kind
                    .facets
                    .iter()
                    .flat_map(|group| group.iter().copied())
                    .collect();
                // A name the catalogue does not define sorts last, where the registry's test
                // finds it.
                names.sort_by_key(|name| position.get(name).copied().unwrap_or(usize::MAX));
                names.dedup();
                (kind.name, names)
            })
            .collect()
    })
}

/// The facet names a kind carries (empty for kinds without a normaliser).
pub fn facets_of_kind(kind: &str) -> &'static [&'static str] {
    by_kind().get(kind).map(Vec::as_slice).unwrap_or(&[])
}

/// Every kind that has facets, sorted.
pub fn normalised_kinds() -> Vec<&'static str> {
    let mut kinds: Vec<_> = by_kind()
        .iter()
        .filter(|(_, facets)| !facets.is_empty())
        .map(|(kind, _)| *kind)
        .collect();
    kinds.sort_unstable();
    kinds
}

/// The kinds carrying a facet, sorted.
pub fn kinds_of_facet(name: &str) -> Vec<&'static str> {
    normalised_kinds()
        .into_iter()
        .filter(|kind| facets_of_kind(kind).contains(&name))
        .collect()
}

/// The definition of a facet, by name.
pub fn facet(name: &str) -> Option<&'static FacetDef> {
    FACETS.iter().find(|f| f.name == name)
}

/// The catalogue as Markdown (`docs/facets.md`), grouped by kind.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Facets\n\nThe normalised, source-independent view of a resource that policies read as \
         `resource.facets.<name>`. A facet whose value cannot be known is `null`, and a policy \
         reading it yields `unknown`. Unknowns stay local: a facet over a list of blocks, \
         statements or satellites is decided whenever its known part decides it (one known \
         offending element fails; a known compliant set beside an unknown element stays \
         `null`), and an unknown value the facet does not read changes nothing. Generated \
         from `src/normalize/facets.rs` (`PLUMB_UPDATE_DOCS=1 cargo test --test it docs::` \
         refreshes it).\n",
    );
    for kind in normalised_kinds() {
        out.push_str(&format!(
            "\n## `{kind}`\n\n| facet | type | meaning |\n| --- | --- | --- |\n"
        ));
        for name in facets_of_kind(kind) {
            let def = facet(name).expect("listed facets are defined");
            let doc = def.doc.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push_str(&format!(
                "| `{name}` | {} | {} |\n",
                def.ty.replace('<', "&lt;").replace('>', "&gt;"),
                doc.replace('|', "\\|")
            ));
        }
    }
    out
}

/// Writes a kind's facets; each name must be one its kind declares.
pub struct Setter<'a> {
    kind: &'a str,
    map: &'a mut FacetMap,
}

impl<'a> Setter<'a> {
    pub(crate) fn new(kind: &'a str, map: &'a mut FacetMap) -> Self {
        Setter { kind, map }
    }

    /// Sets a facet; `None` records that it cannot be known.
    pub fn set(&mut self, name: &'static str, value: Option<impl Into<Value>>) {
        debug_assert!(
            self.map.contains_key(name),
            "facet {name} is not declared for {} in the kind registry",
            self.kind
        );
        self.map
            .insert(name.to_string(), value.map_or(Value::Null, Into::into));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for def in FACETS {
            assert!(seen.insert(def.name), "facet {} defined twice", def.name);
            assert!(!def.doc.is_empty(), "{}", def.name);
            assert!(
                super::super::kinds().any(|k| facets_of_kind(k.name).contains(&def.name)),
                "facet {} is carried by no kind",
                def.name
            );
        }
    }
}
