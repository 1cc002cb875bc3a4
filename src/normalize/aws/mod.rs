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

use super::kinds::{Kind, Live};

/// Why a kind is judged from Terraform only.
const NO_READER: &str = "the live collector has no reader for it yet";
const ADOPTED: &str = "Terraform adopts the VPC's default under a type of its own; the live \
    collector reads it under the plain type";
const OLDER_NAME: &str = "the provider's older name of a type the live collector produces";

/// Every AWS kind with facets: its deriver, and how a live inventory gets it.
pub(super) const KINDS: &[Kind] = &[
    Kind::aws("aws_s3_bucket", s3::bucket, Live::ApiAndConfig),
    Kind::aws(
        "aws_s3_account_public_access_block",
        s3::account_block,
        Live::Api,
    ),
    Kind::aws(
        "aws_security_group",
        ec2::security_group,
        Live::ApiAndConfig,
    ),
    Kind::aws(
        "aws_default_security_group",
        ec2::security_group,
        Live::ApiAndConfig,
    ),
    Kind::aws("aws_ebs_volume", ec2::ebs_volume, Live::ApiAndConfig),
    Kind::aws("aws_ebs_snapshot", ec2::ebs_snapshot, Live::Api),
    Kind::aws(
        "aws_ebs_encryption_by_default",
        ec2::ebs_encryption_by_default,
        Live::Api,
    ),
    Kind::aws("aws_instance", ec2::instance, Live::ApiAndConfig),
    Kind::aws(
        "aws_launch_template",
        ec2::launch_template,
        Live::IacOnly(NO_READER),
    ),
    Kind::aws("aws_vpc", vpc::vpc, Live::ApiAndConfig),
    Kind::aws("aws_default_vpc", vpc::vpc, Live::IacOnly(ADOPTED)),
    Kind::aws("aws_subnet", vpc::subnet, Live::ApiAndConfig),
    Kind::aws("aws_network_acl", vpc::network_acl, Live::Api),
    Kind::aws("aws_default_network_acl", vpc::network_acl, Live::Api),
    Kind::aws("aws_db_instance", rds::db_instance, Live::ApiAndConfig),
    Kind::aws("aws_rds_cluster", rds::rds_cluster, Live::ApiAndConfig),
    Kind::aws(
        "aws_dynamodb_table",
        dynamodb::dynamodb_table,
        Live::ApiAndConfig,
    ),
    Kind::aws("aws_efs_file_system", efs::file_system, Live::Api),
    Kind::aws(
        "aws_elasticache_replication_group",
        elasticache::replication_group,
        Live::Api,
    ),
    Kind::aws(
        "aws_cloudwatch_log_group",
        logs::log_group,
        Live::ApiAndConfig,
    ),
    Kind::aws("aws_kms_key", kms::kms_key, Live::ApiAndConfig),
    Kind::aws("aws_secretsmanager_secret", secrets::secret, Live::Api),
    Kind::aws("aws_sns_topic", sns::topic, Live::Api),
    Kind::aws("aws_cloudtrail", cloudtrail::trail, Live::ApiAndConfig),
    Kind::aws("aws_lb", elb::load_balancer, Live::Api),
    Kind::aws("aws_alb", elb::load_balancer, Live::IacOnly(OLDER_NAME)),
    Kind::aws("aws_lb_listener", elb::listener, Live::Api),
    Kind::aws("aws_alb_listener", elb::listener, Live::IacOnly(OLDER_NAME)),
    Kind::aws(
        "aws_cloudfront_distribution",
        cloudfront::distribution,
        Live::IacOnly(NO_READER),
    ),
    Kind::aws("aws_wafv2_web_acl", waf::web_acl, Live::IacOnly(NO_READER)),
    Kind::aws("aws_ecr_repository", ecr::repository, Live::Api),
    Kind::aws("aws_eks_cluster", eks::cluster, Live::Api),
    Kind::aws(
        "aws_eks_node_group",
        eks::node_group,
        Live::IacOnly(NO_READER),
    ),
    Kind::aws("aws_autoscaling_group", autoscaling::group, Live::Api),
    Kind::aws("aws_backup_plan", backup_plans::plan, Live::Api),
    Kind::aws("aws_backup_vault", backup_plans::vault, Live::Api),
    Kind::aws("aws_iam_policy", iam::policy, Live::ApiAndConfig),
    Kind::aws("aws_iam_role_policy", iam::policy, Live::ApiAndConfig),
    Kind::aws("aws_iam_user_policy", iam::policy, Live::ApiAndConfig),
    Kind::aws("aws_iam_group_policy", iam::policy, Live::ApiAndConfig),
    Kind::aws("aws_iam_role", iam::role, Live::ApiAndConfig),
    Kind::aws("aws_iam_user", iam::user, Live::ApiAndConfig),
    Kind::aws("aws_iam_group", iam::group, Live::ApiAndConfig),
    Kind::aws(
        "aws_iam_account_password_policy",
        iam::password_policy,
        Live::Api,
    ),
    Kind::aws("aws_account", iam::account, Live::Api),
    Kind::aws(
        "aws_opensearch_domain",
        opensearch::domain,
        Live::IacOnly(NO_READER),
    ),
    Kind::aws(
        "aws_elasticsearch_domain",
        opensearch::domain,
        Live::IacOnly(NO_READER),
    ),
    Kind::aws(
        "aws_guardduty_detector",
        governance::guardduty_detector,
        Live::Api,
    ),
    Kind::aws("aws_region", governance::region, Live::Api),
    Kind::aws(
        "aws_config_configuration_recorder",
        governance::config_recorder,
        Live::Config,
    ),
    Kind::aws(
        "aws_route53_record",
        route53::record,
        Live::IacOnly(NO_READER),
    ),
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
