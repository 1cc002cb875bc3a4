//! CloudWatch Logs log groups.

use super::encryption;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{int_at, str_or_ref};

pub(super) fn log_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // Log groups are always encrypted; a key only says whose.
    encryption(f, Some(true), str_or_ref(r, "/kms_key_id"));
    f.set("log_retention_days", int_at(r, "/retention_in_days", 0));
    f.set(
        "subscription_filters",
        Some(d.linked("aws_cloudwatch_log_subscription_filter").count() as i64),
    );
}
