//! CloudWatch Logs log groups.

use super::customer_key;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{int_at, str_or_ref};

pub(super) fn log_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("encrypted_at_rest", Some(true));
    f.set("kms_key", customer_key(str_or_ref(r, "/kms_key_id")));
    f.set("log_retention_days", int_at(r, "/retention_in_days", 0));
    f.set(
        "subscription_filters",
        Some(d.linked("aws_cloudwatch_log_subscription_filter").count() as i64),
    );
}
