//! Facet derivers for AWS kinds, one file per service, reading the Terraform AWS provider's
//! attribute shape (which the live collector also produces, see `docs/live-aws-shapes.md`).
//! Where a setting is left out, the value is the one AWS or the provider applies by default;
//! each such default is named where it is used.

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
mod vpc;
mod waf;

use super::Deriver;

pub(super) fn deriver(kind: &str) -> Option<Deriver> {
    Some(match kind {
        "aws_s3_bucket" => s3::bucket,
        "aws_security_group" | "aws_default_security_group" => ec2::security_group,
        "aws_ebs_volume" => ec2::ebs_volume,
        "aws_ebs_encryption_by_default" => ec2::ebs_encryption_by_default,
        "aws_instance" => ec2::instance,
        "aws_launch_template" => ec2::launch_template,
        "aws_vpc" | "aws_default_vpc" => vpc::vpc,
        "aws_subnet" => vpc::subnet,
        "aws_network_acl" | "aws_default_network_acl" => vpc::network_acl,
        "aws_db_instance" => rds::db_instance,
        "aws_rds_cluster" => rds::rds_cluster,
        "aws_dynamodb_table" => dynamodb::dynamodb_table,
        "aws_efs_file_system" => efs::file_system,
        "aws_elasticache_replication_group" => elasticache::replication_group,
        "aws_cloudwatch_log_group" => logs::log_group,
        "aws_kms_key" => kms::kms_key,
        "aws_secretsmanager_secret" => secrets::secret,
        "aws_cloudtrail" => cloudtrail::trail,
        "aws_lb" | "aws_alb" => elb::load_balancer,
        "aws_lb_listener" | "aws_alb_listener" => elb::listener,
        "aws_cloudfront_distribution" => cloudfront::distribution,
        "aws_wafv2_web_acl" => waf::web_acl,
        "aws_ecr_repository" => ecr::repository,
        "aws_eks_cluster" => eks::cluster,
        "aws_eks_node_group" => eks::node_group,
        "aws_autoscaling_group" => autoscaling::group,
        "aws_backup_plan" => backup_plans::plan,
        "aws_backup_vault" => backup_plans::vault,
        "aws_iam_policy"
        | "aws_iam_role_policy"
        | "aws_iam_user_policy"
        | "aws_iam_group_policy" => iam::policy,
        "aws_iam_role" => iam::role,
        "aws_iam_user" => iam::user,
        "aws_iam_group" => iam::group,
        "aws_iam_account_password_policy" => iam::password_policy,
        "aws_account" => iam::account,
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => opensearch::domain,
        "aws_guardduty_detector" => governance::guardduty_detector,
        "aws_config_configuration_recorder" => governance::config_recorder,
        "aws_route53_record" => route53::record,
        _ => return None,
    })
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
