//! CloudWatch log groups, through the shape the Logs collector builds.

use super::item::{Item, Mapped, int, str_of, text};
use crate::collect::aws::logs::{LogGroupFacts, log_group_attrs};

pub(super) fn log_group(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let facts = LogGroupFacts {
        name: str_of(c, "logGroupName").unwrap_or_else(|| item.name.clone()),
        arn: item.arn.clone(),
        retention_in_days: int(c, "retentionInDays"),
        kms_key_id: text(c, "kmsKeyId"),
        log_group_class: text(c, "logGroupClass"),
    };
    let mut r = item.resource(
        "aws_cloudwatch_log_group",
        &facts.name,
        log_group_attrs(&facts),
        mapped,
    );
    // AWS Config records no metric filter or alarm: the group's monitoring is not known.
    r.unknown.insert("/metric_filters".into());
    mapped.resources.push(r);
}
