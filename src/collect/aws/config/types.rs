//! The AWS Config resource types plumb maps: one line per type, with the kinds its items give
//! (the first is the main kind, named when the type is not recorded) and its mapper.

use super::item::{Item, Mapped};
use super::{cloudtrail, dynamodb, ec2, iam, kms, logs, rds, s3};

/// A Config resource type and how its items become resources.
pub(super) struct ConfigType {
    pub name: &'static str,
    pub kinds: &'static [&'static str],
    pub map: fn(&Item, &mut Mapped),
}

const fn t(
    name: &'static str,
    kinds: &'static [&'static str],
    map: fn(&Item, &mut Mapped),
) -> ConfigType {
    ConfigType { name, kinds, map }
}

#[rustfmt::skip]
pub(super) const TYPES: &[ConfigType] = &[
    t("AWS::S3::Bucket", s3::KINDS, s3::s3_bucket),
    t("AWS::EC2::VPC", &["aws_vpc"], ec2::vpc),
    t("AWS::EC2::Subnet", &["aws_subnet"], ec2::subnet),
    t("AWS::EC2::SecurityGroup", &["aws_security_group", "aws_default_security_group"], ec2::security_group),
    t("AWS::EC2::FlowLog", &["aws_flow_log"], ec2::flow_log),
    t("AWS::EC2::Volume", &["aws_ebs_volume"], ec2::volume),
    t("AWS::EC2::Instance", &["aws_instance"], ec2::instance),
    t("AWS::RDS::DBInstance", &["aws_db_instance", "aws_rds_cluster_instance"], rds::db_instance),
    t("AWS::RDS::DBCluster", &["aws_rds_cluster"], rds::db_cluster),
    t("AWS::DynamoDB::Table", &["aws_dynamodb_table"], dynamodb::dynamodb_table),
    t("AWS::KMS::Key", &["aws_kms_key"], kms::kms_key),
    t("AWS::Logs::LogGroup", &["aws_cloudwatch_log_group"], logs::log_group),
    t("AWS::CloudTrail::Trail", &["aws_cloudtrail"], cloudtrail::trail),
    t("AWS::IAM::User", iam::USER_KINDS, iam::user),
    t("AWS::IAM::Role", iam::ROLE_KINDS, iam::role),
    t("AWS::IAM::Group", iam::GROUP_KINDS, iam::group),
    t("AWS::IAM::Policy", &["aws_iam_policy"], iam::iam_policy),
];
