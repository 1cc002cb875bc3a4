//! Account-wide detective services: GuardDuty detectors, AWS Config recorders, and the live
//! `aws_region` summary of which of them (and Security Hub, IAM Access Analyzer) are on.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{At, any_of, bool_at, elements};

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

/// The live `aws_region`: whether the region's posture services are on. Each facet is unknown
/// when its service could not be read, and false when it was read and is off (or absent).
pub(super) fn region(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let any = |list: &str, on: &dyn Fn(&At<'_>) -> Option<bool>| {
        elements(r, list).and_then(|items| any_of(items.iter().map(on)))
    };
    f.set(
        "guardduty_enabled",
        any("/guardduty_detectors", &|det| {
            det.text("/status").map(|s| s == "ENABLED")
        }),
    );
    f.set(
        "securityhub_enabled",
        bool_at(r, "/securityhub/enabled", false),
    );
    // An analyzer of the account's or the organisation's external access; the unused-access
    // analyzers answer another question.
    f.set(
        "access_analyzer_enabled",
        any("/access_analyzers", &|a| {
            let external = a
                .text("/type")
                .map(|t| t == "ACCOUNT" || t == "ORGANIZATION");
            let active = a.text("/status").map(|s| s == "ACTIVE");
            match (external, active) {
                (Some(e), Some(a)) => Some(e && a),
                _ => None,
            }
        }),
    );
    f.set(
        "config_recording",
        any("/config_recorders", &|c| c.bool("/recording", false)),
    );
}
