//! Facet derivers for AWS kinds, one file per service, reading the Terraform AWS provider's
//! attribute shape (which the live collector also produces, see `docs/live-aws-shapes.md`).
//! Where a setting is left out, the value is the one AWS or the provider applies by default;
//! each such default is named where it is used.

use crate::normalize::facets::Setter;

mod autoscaling;
mod backup_plans;
mod cloudfront;
mod cloudtrail;
mod dynamodb;
mod ec2;
mod ecr;
mod efs;
mod eks;
mod elasticache;
mod elb;
mod governance;
mod iam;
mod kms;
mod logs;
mod opensearch;
mod rds;
mod route53;
mod s3;
mod secrets;
mod sns;
mod vpc;
mod waf;

use super::facets::{DATABASE, ENCRYPTION, POLICY_DOCUMENT, RECOVERY};
use super::kinds::{
    ARN, BUCKET_KEYS, ID, Kind, Live, NAME, NAME_OR_ID, Satellite, bucket, satellite, sg_rule,
};

/// Why a kind is judged from Terraform only.
const NO_READER: &str = "the live collector has no reader for it yet";
const ADOPTED: &str = "Terraform adopts the VPC's default under a type of its own; the live \
    collector reads it under the plain type";
const OLDER_NAME: &str = "the provider's older name of a type the live collector produces";

/// Facets kinds of the same resource share (a type and its older or adopted name).
const SECURITY_GROUP_FACETS: &[&[&str]] = &[&["open_ingress", "unrestricted_egress", "rule_count"]];
const LAUNCH_FACETS: &[&[&str]] = &[&["encrypted_at_rest", "public_ip", "imdsv2_required"]];
const LOAD_BALANCER_FACETS: &[&[&str]] = &[&[
    "internal",
    "load_balancer_type",
    "drops_invalid_headers",
    "waf",
    "deletion_protection",
    "access_logging",
]];
const LISTENER_FACETS: &[&[&str]] = &[&[
    "min_tls_version",
    "protocol",
    "ssl_policy",
    "redirects_to_https",
]];
const SEARCH_DOMAIN_FACETS: &[&[&str]] = &[
    ENCRYPTION,
    &[
        "encrypted_in_transit",
        "min_tls_version",
        "node_to_node_encryption",
        "in_vpc",
        "audit_logging",
    ],
];

/// The rule resources of a security group; they manage the VPC's default group as much as any
/// other.
const SG_RULES: &[Satellite] = &[
    sg_rule("aws_security_group_rule"),
    sg_rule("aws_vpc_security_group_ingress_rule"),
    sg_rule("aws_vpc_security_group_egress_rule"),
];

/// Every AWS kind with facets: its deriver, how a live inventory gets it, its facets, its
/// satellites, and whether AWS Backup protects it.
pub(super) const KINDS: &[Kind] = &[
    Kind::aws("aws_s3_bucket", s3::bucket, Live::ApiAndConfig)
        .facets(&[
            ENCRYPTION,
            RECOVERY,
            &[
                "sse_algorithm",
                "encrypted_in_transit",
                "publicly_accessible",
                "public_access_block",
                "versioning",
                "mfa_delete",
                "object_lock",
                "lifecycle_rules",
                "lifecycle_archive_days",
                "cross_region_copy",
                "backup_plans",
                "region",
                "access_logging",
                "log_sources",
            ],
        ])
        .satellites(&[
            bucket("aws_s3_bucket_server_side_encryption_configuration"),
            bucket("aws_s3_bucket_versioning"),
            bucket("aws_s3_bucket_logging"),
            bucket("aws_s3_bucket_public_access_block"),
            bucket("aws_s3_bucket_lifecycle_configuration"),
            bucket("aws_s3_bucket_object_lock_configuration"),
            bucket("aws_s3_bucket_policy"),
            bucket("aws_s3_bucket_acl"),
            bucket("aws_s3_bucket_replication_configuration"),
            // A trail is not part of its bucket, but the bucket's protection is part of the
            // trail's evidence: the bucket learns that it receives CloudTrail logs.
            satellite("aws_cloudtrail", "/s3_bucket_name", BUCKET_KEYS),
        ])
        .backed_up("s3", ""),
    Kind::aws(
        "aws_s3_account_public_access_block",
        s3::account_block,
        Live::Api,
    )
    .facets(&[&["public_access_block"]]),
    Kind::aws(
        "aws_security_group",
        ec2::security_group,
        Live::ApiAndConfig,
    )
    .facets(SECURITY_GROUP_FACETS)
    .satellites(SG_RULES),
    Kind::aws(
        "aws_default_security_group",
        ec2::security_group,
        Live::ApiAndConfig,
    )
    .facets(SECURITY_GROUP_FACETS)
    .satellites(SG_RULES),
    Kind::aws("aws_ebs_volume", ec2::ebs_volume, Live::ApiAndConfig)
        .facets(&[
            ENCRYPTION,
            RECOVERY,
            &["backup_plans", "region", "volume_type"],
        ])
        .backed_up("ec2", "volume/")
        .attributes(&[
            ("encrypted_at_rest", "/encrypted"),
            ("kms_key", "/kms_key_id"),
            ("volume_type", "/type"),
        ]),
    Kind::aws("aws_ebs_snapshot", ec2::ebs_snapshot, Live::Api)
        .facets(&[ENCRYPTION, &["publicly_accessible"]]),
    Kind::aws(
        "aws_ebs_encryption_by_default",
        ec2::ebs_encryption_by_default,
        Live::Api,
    )
    .facets(&[&["enabled"]]),
    Kind::aws("aws_instance", ec2::instance, Live::ApiAndConfig).facets(LAUNCH_FACETS),
    Kind::aws(
        "aws_launch_template",
        ec2::launch_template,
        Live::IacOnly(NO_READER),
    )
    .facets(LAUNCH_FACETS),
    Kind::aws("aws_vpc", vpc::vpc, Live::ApiAndConfig)
        .facets(&[&["flow_logs"]])
        .satellites(&[satellite("aws_flow_log", "/vpc_id", ID)]),
    Kind::aws("aws_default_vpc", vpc::vpc, Live::IacOnly(ADOPTED))
        .facets(&[&["flow_logs"]])
        .satellites(&[satellite("aws_flow_log", "/vpc_id", ID)]),
    Kind::aws("aws_subnet", vpc::subnet, Live::ApiAndConfig).facets(&[&["public_ip_on_launch"]]),
    Kind::aws("aws_network_acl", vpc::network_acl, Live::Api)
        .facets(&[&["open_ingress"]])
        .satellites(&[satellite("aws_network_acl_rule", "/network_acl_id", ID)]),
    Kind::aws("aws_default_network_acl", vpc::network_acl, Live::Api)
        .facets(&[&["open_ingress"]])
        .satellites(&[satellite("aws_network_acl_rule", "/network_acl_id", ID)]),
    Kind::aws("aws_db_instance", rds::db_instance, Live::ApiAndConfig)
        .facets(&[
            ENCRYPTION,
            RECOVERY,
            DATABASE,
            &[
                "publicly_accessible",
                "point_in_time_recovery",
                "cross_region_copy",
                "deletion_protection",
                "backup_plans",
                "region",
                "replica",
                "managed_master_password",
                "storage_gb",
                "performance_insights",
                "monitoring_interval",
                "iam_auth",
                "log_exports",
            ],
        ])
        .satellites(&[satellite(
            "aws_db_instance_automated_backups_replication",
            "/source_db_instance_arn",
            ARN,
        )])
        .backed_up("rds", "db:")
        .attributes(&[
            ("encrypted_at_rest", "/storage_encrypted"),
            ("kms_key", "/kms_key_id"),
            ("publicly_accessible", "/publicly_accessible"),
            ("multi_az", "/multi_az"),
            ("backup_retention_days", "/backup_retention_period"),
            ("point_in_time_recovery", "/backup_retention_period"),
            ("deletion_protection", "/deletion_protection"),
            ("iam_auth", "/iam_database_authentication_enabled"),
            ("log_exports", "/enabled_cloudwatch_logs_exports"),
        ]),
    Kind::aws("aws_rds_cluster", rds::rds_cluster, Live::ApiAndConfig)
        .facets(&[
            ENCRYPTION,
            RECOVERY,
            DATABASE,
            &[
                "point_in_time_recovery",
                "cross_region_copy",
                "deletion_protection",
                "backup_plans",
                "region",
                "managed_master_password",
                "performance_insights",
                "monitoring_interval",
                "iam_auth",
                "log_exports",
            ],
        ])
        .satellites(&[satellite(
            "aws_rds_cluster_instance",
            "/cluster_identifier",
            &["/cluster_identifier", "/id"],
        )])
        .backed_up("rds", "cluster:")
        .attributes(&[
            ("encrypted_at_rest", "/storage_encrypted"),
            ("kms_key", "/kms_key_id"),
            ("backup_retention_days", "/backup_retention_period"),
            ("point_in_time_recovery", "/backup_retention_period"),
            ("deletion_protection", "/deletion_protection"),
            ("iam_auth", "/iam_database_authentication_enabled"),
            ("log_exports", "/enabled_cloudwatch_logs_exports"),
        ]),
    Kind::aws(
        "aws_dynamodb_table",
        dynamodb::dynamodb_table,
        Live::ApiAndConfig,
    )
    .facets(&[
        ENCRYPTION,
        RECOVERY,
        &[
            "point_in_time_recovery",
            "cross_region_copy",
            "deletion_protection",
            "backup_plans",
            "region",
            "global_table",
            "autoscaling",
        ],
    ])
    .satellites(&[Satellite {
        kind: "aws_appautoscaling_target",
        via: "/resource_id",
        parent_keys: NAME,
        strip: "table/",
        same_namespace: false,
    }])
    .backed_up("dynamodb", "table/")
    .attributes(&[
        ("point_in_time_recovery", "/point_in_time_recovery"),
        ("deletion_protection", "/deletion_protection_enabled"),
        ("kms_key", "/server_side_encryption"),
    ]),
    Kind::aws("aws_efs_file_system", efs::file_system, Live::Api)
        .facets(&[
            ENCRYPTION,
            RECOVERY,
            &[
                "cross_region_copy",
                "backup_plans",
                "region",
                "one_zone",
                "automatic_backups",
            ],
        ])
        .satellites(&[
            satellite("aws_efs_backup_policy", "/file_system_id", ID),
            satellite(
                "aws_efs_replication_configuration",
                "/source_file_system_id",
                ID,
            ),
        ])
        .backed_up("elasticfilesystem", "file-system/"),
    Kind::aws(
        "aws_elasticache_replication_group",
        elasticache::replication_group,
        Live::Api,
    )
    .facets(&[
        ENCRYPTION,
        RECOVERY,
        DATABASE,
        &[
            "encrypted_in_transit",
            "cross_region_copy",
            "region",
            "automatic_failover",
            "replicas",
        ],
    ]),
    Kind::aws(
        "aws_cloudwatch_log_group",
        logs::log_group,
        Live::ApiAndConfig,
    )
    .facets(&[
        ENCRYPTION,
        &[
            "log_retention_days",
            "subscription_filters",
            "cloudtrail_delivers",
            "alarmed_events",
        ],
    ])
    .satellites(&[
        satellite(
            "aws_cloudwatch_log_subscription_filter",
            "/log_group_name",
            NAME_OR_ID,
        ),
        satellite(
            "aws_cloudwatch_log_metric_filter",
            "/log_group_name",
            NAME_OR_ID,
        ),
    ])
    .attributes(&[
        ("log_retention_days", "/retention_in_days"),
        ("kms_key", "/kms_key_id"),
    ]),
    Kind::aws("aws_kms_key", kms::kms_key, Live::ApiAndConfig)
        .facets(&[&[
            "key_rotation",
            "key_spec",
            "deletion_window_days",
            "public_policy",
        ]])
        .satellites(&[satellite(
            "aws_kms_key_policy",
            "/key_id",
            &["/key_id", "/id", "/arn"],
        )])
        .attributes(&[
            ("key_rotation", "/enable_key_rotation"),
            ("key_spec", "/customer_master_key_spec"),
            ("deletion_window_days", "/deletion_window_in_days"),
        ]),
    Kind::aws("aws_secretsmanager_secret", secrets::secret, Live::Api)
        .facets(&[&["kms_key", "public_policy", "rotation", "rotation_days"]])
        .satellites(&[
            satellite(
                "aws_secretsmanager_secret_rotation",
                "/secret_id",
                &["/arn", "/id", "/name"],
            ),
            satellite(
                "aws_secretsmanager_secret_policy",
                "/secret_arn",
                &["/arn", "/id"],
            ),
        ]),
    Kind::aws("aws_sns_topic", sns::topic, Live::Api)
        .facets(&[ENCRYPTION, &["public_policy", "subscribers"]])
        .satellites(&[
            satellite("aws_sns_topic_policy", "/arn", ARN),
            satellite("aws_sns_topic_subscription", "/topic_arn", ARN),
        ]),
    Kind::aws("aws_cloudtrail", cloudtrail::trail, Live::ApiAndConfig).facets(&[&[
        "kms_key",
        "multi_region_trail",
        "log_file_validation",
        "logging",
        "cloudwatch_logs",
        "management_events",
        "s3_object_reads",
        "s3_object_writes",
        "bucket",
    ]]),
    Kind::aws("aws_lb", elb::load_balancer, Live::Api)
        .facets(LOAD_BALANCER_FACETS)
        .satellites(&[
            satellite("aws_lb_listener", "/load_balancer_arn", ARN),
            satellite("aws_alb_listener", "/load_balancer_arn", ARN),
            satellite("aws_wafv2_web_acl_association", "/resource_arn", ARN),
            satellite("aws_wafregional_web_acl_association", "/resource_arn", ARN),
        ]),
    Kind::aws("aws_alb", elb::load_balancer, Live::IacOnly(OLDER_NAME))
        .facets(LOAD_BALANCER_FACETS)
        .satellites(&[
            satellite("aws_lb_listener", "/load_balancer_arn", ARN),
            satellite("aws_alb_listener", "/load_balancer_arn", ARN),
            satellite("aws_wafv2_web_acl_association", "/resource_arn", ARN),
        ]),
    Kind::aws("aws_lb_listener", elb::listener, Live::Api).facets(LISTENER_FACETS),
    Kind::aws("aws_alb_listener", elb::listener, Live::IacOnly(OLDER_NAME)).facets(LISTENER_FACETS),
    Kind::aws(
        "aws_cloudfront_distribution",
        cloudfront::distribution,
        Live::IacOnly(NO_READER),
    )
    .facets(&[&[
        "min_tls_version",
        "viewer_https_only",
        "origin_https_only",
        "waf",
        "access_logging",
        "origin_failover",
    ]])
    .satellites(&[
        // CloudFront standard logging v2: a delivery source names the distribution, a delivery
        // names the source.
        satellite("aws_cloudwatch_log_delivery_source", "/resource_arn", ARN),
    ]),
    Kind::aws("aws_wafv2_web_acl", waf::web_acl, Live::IacOnly(NO_READER))
        .facets(&[&[
            "rule_count",
            "rate_limited",
            "managed_rule_groups",
            "logging",
        ]])
        .satellites(&[satellite(
            "aws_wafv2_web_acl_logging_configuration",
            "/resource_arn",
            ARN,
        )]),
    Kind::aws("aws_ecr_repository", ecr::repository, Live::Api)
        .facets(&[&[
            "kms_key",
            "public_policy",
            "lifecycle_policy",
            "immutable_tags",
            "scan_on_push",
        ]])
        .satellites(&[
            satellite("aws_ecr_lifecycle_policy", "/repository", NAME_OR_ID),
            satellite("aws_ecr_repository_policy", "/repository", NAME_OR_ID),
        ]),
    Kind::aws("aws_eks_cluster", eks::cluster, Live::Api).facets(&[&[
        "secrets_encryption",
        "public_endpoint",
        "private_endpoint",
        "log_types",
    ]]),
    Kind::aws(
        "aws_eks_node_group",
        eks::node_group,
        Live::IacOnly(NO_READER),
    )
    .facets(&[&["ssh_from_internet", "min_size", "max_size", "subnets"]]),
    Kind::aws("aws_autoscaling_group", autoscaling::group, Live::Api)
        .facets(&[&[
            "min_size",
            "max_size",
            "zones",
            "health_check_type",
            "health_check_grace_period",
            "load_balanced",
            "propagated_tags",
        ]])
        .satellites(&[
            satellite(
                "aws_autoscaling_attachment",
                "/autoscaling_group_name",
                NAME_OR_ID,
            ),
            satellite(
                "aws_autoscaling_traffic_source_attachment",
                "/autoscaling_group_name",
                NAME_OR_ID,
            ),
        ]),
    Kind::aws("aws_backup_plan", backup_plans::plan, Live::Api)
        .facets(&[&["cross_region_copy", "region", "rules", "selections"]])
        .satellites(&[satellite("aws_backup_selection", "/plan_id", ID)]),
    Kind::aws("aws_backup_vault", backup_plans::vault, Live::Api)
        .facets(&[&["locked", "lock_min_retention_days", "lock_compliance_mode"]])
        .satellites(&[satellite(
            "aws_backup_vault_lock_configuration",
            "/backup_vault_name",
            NAME_OR_ID,
        )]),
    Kind::aws("aws_iam_policy", iam::policy, Live::ApiAndConfig).facets(&[POLICY_DOCUMENT]),
    Kind::aws("aws_iam_role_policy", iam::policy, Live::ApiAndConfig).facets(&[POLICY_DOCUMENT]),
    Kind::aws("aws_iam_user_policy", iam::policy, Live::ApiAndConfig).facets(&[POLICY_DOCUMENT]),
    Kind::aws("aws_iam_group_policy", iam::policy, Live::ApiAndConfig).facets(&[POLICY_DOCUMENT]),
    Kind::aws("aws_iam_role", iam::role, Live::ApiAndConfig)
        .facets(&[POLICY_DOCUMENT, &["trust_anyone"]])
        .satellites(&[satellite("aws_iam_role_policy_attachment", "/role", NAME)]),
    Kind::aws("aws_iam_user", iam::user, Live::ApiAndConfig)
        .facets(&[&[
            "admin_access",
            "attached_policies",
            "credential_report",
            "console_access",
            "mfa_enabled",
            "active_access_keys",
            "oldest_active_key_days",
            "unused_credential_days",
        ]])
        .satellites(&[
            satellite("aws_iam_user_policy", "/user", NAME),
            satellite("aws_iam_user_policy_attachment", "/user", NAME),
        ]),
    Kind::aws("aws_iam_group", iam::group, Live::ApiAndConfig)
        .facets(&[&["admin_access"]])
        .satellites(&[satellite("aws_iam_group_policy_attachment", "/group", NAME)]),
    Kind::aws(
        "aws_iam_account_password_policy",
        iam::password_policy,
        Live::Api,
    )
    .facets(&[&[
        "minimum_password_length",
        "password_reuse_prevention",
        "requires_complexity",
    ]]),
    Kind::aws("aws_account", iam::account, Live::Api).facets(&[&[
        "root_access_keys",
        "root_mfa",
        "security_contact",
    ]]),
    Kind::aws(
        "aws_opensearch_domain",
        opensearch::domain,
        Live::IacOnly(NO_READER),
    )
    .facets(SEARCH_DOMAIN_FACETS),
    Kind::aws(
        "aws_elasticsearch_domain",
        opensearch::domain,
        Live::IacOnly(NO_READER),
    )
    .facets(SEARCH_DOMAIN_FACETS),
    Kind::aws(
        "aws_guardduty_detector",
        governance::guardduty_detector,
        Live::Api,
    )
    .facets(&[&["enabled"]]),
    Kind::aws("aws_region", governance::region, Live::Api).facets(&[&[
        "guardduty_enabled",
        "securityhub_enabled",
        "access_analyzer_enabled",
        "config_recording",
    ]]),
    Kind::aws(
        "aws_config_configuration_recorder",
        governance::config_recorder,
        Live::Config,
    )
    .facets(&[&["enabled", "records_all_resources"]])
    .satellites(&[satellite(
        "aws_config_configuration_recorder_status",
        "/name",
        NAME,
    )]),
    Kind::aws(
        "aws_route53_record",
        route53::record,
        Live::IacOnly(NO_READER),
    )
    .facets(&[&["failover", "health_check"]]),
];

/// The encryption-at-rest facets from a resource's encryption flag and its KMS key: setting a
/// key implies encryption (the provider encrypts whenever a key is given), and an AWS-managed
/// key is no customer key. An unknown flag stays unknown unless a key settles it.
fn encryption(f: &mut Setter<'_>, encrypted: Option<bool>, key: Option<String>) {
    let encrypted = match (encrypted, key.as_deref()) {
        (Some(true), _) => Some(true),
        (_, Some(k)) if !k.is_empty() => Some(true),
        (e, _) => e,
    };
    f.set("encrypted_at_rest", encrypted);
    f.set("kms_key", customer_key(key));
}

/// An empty KMS key id, or an AWS-managed alias (`alias/aws/s3`), means no customer key.
fn customer_key(key: Option<String>) -> Option<String> {
    key.map(|k| {
        if k.starts_with("alias/aws/") || k.contains(":alias/aws/") {
            String::new()
        } else {
            k
        }
    })
}
