//! Account-wide detective services: GuardDuty detectors and AWS Config recorders.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::bool_at;

/// `aws_guardduty_detector`: `enable` defaults to true.
pub(super) fn guardduty_detector(d: &Derive<'_>, f: &mut Setter<'_>) {
    f.set("enabled", bool_at(d.r, "/enable", true));
}

/// `aws_config_configuration_recorder`: records every supported resource type
/// (`all_supported` defaults to true) including global ones such as IAM
/// (`include_global_resource_types` defaults to false), and is recording (its
/// `aws_config_configuration_recorder_status`, or the live `is_enabled`).
pub(super) fn config_recorder(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let all = bool_at(r, "/recording_group/0/all_supported", true);
    let global = bool_at(r, "/recording_group/0/include_global_resource_types", false);
    f.set(
        "records_all_resources",
        match (all, global) {
            (Some(a), Some(g)) => Some(a && g),
            _ => None,
        },
    );
    f.set(
        "enabled",
        match d.one("aws_config_configuration_recorder_status") {
            Some(status) => bool_at(status, "/is_enabled", false),
            None => bool_at(r, "/is_enabled", false),
        },
    );
}
