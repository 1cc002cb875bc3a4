//! The region's security posture services: whether GuardDuty, Security Hub, IAM Access
//! Analyzer and the AWS Config recorder are on, as one live-only `aws_region` resource per
//! account and region, plus GuardDuty's detectors under their Terraform type.
//!
//! CIS AWS asks for each of these "in every region", which no per-resource view can judge: a
//! region where GuardDuty was never turned on has no detector to find disabled. The
//! `aws_region` resource exists for every region read and says so. A call that fails leaves
//! its attribute unknown (with the error), never "off".

use aws_sdk_accessanalyzer::Client as Analyzers;
use aws_sdk_config::Client as ConfigService;
use aws_sdk_guardduty::Client as GuardDuty;
use aws_sdk_securityhub::Client as SecurityHub;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, code, describe, s, tag_map};

const REGION: &str = "aws_region";
const DETECTOR: &str = "aws_guardduty_detector";

pub(super) const KINDS: &[&str] = &[REGION, DETECTOR];

/// Security Hub's answer to `DescribeHub` in a region where the account never enabled it.
const NOT_SUBSCRIBED: &str = "InvalidAccessException";

pub(super) async fn collect(cx: Cx) -> Out {
    let mut out = Out::default();
    out.covers(KINDS);
    let scope = &cx.scope;
    let region = scope.region.to_string();
    let mut r = scope.resource(
        REGION,
        &region,
        None,
        json!({ "id": region, "region": region }),
    );

    let guardduty = GuardDuty::new(&cx.config);
    let config = ConfigService::new(&cx.config);
    let (detectors, hub, analyzers, recorders, statuses) = tokio::join!(
        detectors(scope, &guardduty),
        SecurityHub::new(&cx.config).describe_hub().send(),
        Analyzers::new(&cx.config)
            .list_analyzers()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        config.describe_configuration_recorders().send(),
        config.describe_configuration_recorder_status().send(),
    );

    match detectors {
        Ok((list, detector_out)) => {
            // A detector whose status could not be read (its error is recorded with it)
            // leaves the region's GuardDuty unknown unless another is enabled.
            let unread = list.iter().any(|d| d["status"].is_null());
            let enabled = list.iter().any(|d| d["status"] == "ENABLED");
            if unread && !enabled {
                r.unknown.insert("/guardduty_detectors".into());
            }
            r.attrs["guardduty_detectors"] = Value::Array(list);
            out.merge(detector_out);
        }
        Err(message) => {
            out.missing(scope, "guardduty", &[DETECTOR], message.clone());
            out.unreadable(&mut r, &["/guardduty_detectors"], "guardduty", message);
        }
    }

    match hub {
        Ok(h) => {
            r.attrs["securityhub"] = json!({
                "enabled": true,
                "hub_arn": s(h.hub_arn()),
                "subscribed_at": s(h.subscribed_at()),
                "auto_enable_controls": h.auto_enable_controls(),
            });
        }
        Err(e) if code(&e) == Some(NOT_SUBSCRIBED) => {
            r.attrs["securityhub"] = json!({ "enabled": false });
        }
        Err(e) => out.unreadable(
            &mut r,
            &["/securityhub"],
            "securityhub",
            format!("DescribeHub: {}", describe(&e)),
        ),
    }

    match analyzers {
        Ok(list) => {
            r.attrs["access_analyzers"] = list
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name(),
                        "arn": a.arn(),
                        "type": a.r#type().as_str(),
                        "status": a.status().as_str(),
                    })
                })
                .collect();
        }
        Err(e) => out.unreadable(
            &mut r,
            &["/access_analyzers"],
            "access-analyzer",
            format!("ListAnalyzers: {}", describe(&e)),
        ),
    }

    match (recorders, statuses) {
        (Ok(recorders), Ok(statuses)) => {
            r.attrs["config_recorders"] = recorders
                .configuration_recorders()
                .iter()
                .map(|c| {
                    let name = c.name().unwrap_or_default();
                    let status = statuses
                        .configuration_recorders_status()
                        .iter()
                        .find(|st| st.name() == Some(name));
                    let group = c.recording_group();
                    json!({
                        "name": name,
                        "recording": status.map(|st| st.recording()),
                        "last_status": s(status.and_then(|st| st.last_status()).map(|v| v.as_str())),
                        "all_supported": group.map(|g| g.all_supported()),
                        "include_global_resource_types": group.map(|g| g.include_global_resource_types()),
                    })
                })
                .collect();
        }
        (Err(e), _) => out.unreadable(
            &mut r,
            &["/config_recorders"],
            "config",
            format!("DescribeConfigurationRecorders: {}", describe(&e)),
        ),
        (_, Err(e)) => out.unreadable(
            &mut r,
            &["/config_recorders"],
            "config",
            format!("DescribeConfigurationRecorderStatus: {}", describe(&e)),
        ),
    }

    out.push(r);
    out
}

/// GuardDuty's detectors in the region: their summary for the `aws_region` resource, and each
/// as an `aws_guardduty_detector` in the provider's shape (`enable` is the detector's status).
async fn detectors(scope: &Scope, client: &GuardDuty) -> Result<(Vec<Value>, Out), String> {
    let ids: Vec<String> = client
        .list_detectors()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| format!("ListDetectors: {}", describe(&e)))?;
    let mut out = Out::default();
    let mut summary = Vec::new();
    for id in ids {
        let arn = scope.arn("guardduty", &format!("detector/{id}"));
        let mut r = scope.resource(
            DETECTOR,
            &id,
            Some(arn.clone()),
            json!({"id": id, "arn": arn}),
        );
        match client.get_detector().detector_id(&id).send().await {
            Ok(d) => {
                let status = d.status().map(|v| v.as_str().to_string());
                r.attrs["enable"] = json!(status.as_deref() == Some("ENABLED"));
                r.attrs["finding_publishing_frequency"] =
                    s(d.finding_publishing_frequency().map(|v| v.as_str()));
                r.attrs["created_at"] = s(d.created_at());
                let mut tags: Vec<(&str, &str)> = d
                    .tags()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                tags.sort();
                r.attrs["tags"] = tag_map(tags);
                summary.push(json!({"id": id, "status": status}));
            }
            Err(e) => {
                out.unreadable(
                    &mut r,
                    &["/enable"],
                    "guardduty",
                    format!("GetDetector {id}: {}", describe(&e)),
                );
                summary.push(json!({"id": id, "status": null}));
            }
        }
        out.push(r);
    }
    Ok((summary, out))
}
