//! One model: every kind the live collector reads from the seeded estate, and the same
//! resource written by hand as Terraform (`tests/aws/one-model-plan.json`), get identical
//! facets and identical verdicts. Kinds without a facet deriver compare equal trivially today
//! and tighten as derivers land.

#![cfg(feature = "aws")]

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::aws::{Moto, Proxy, moto_gaps, plumb_aws};
use common::{by_id, code, stderr};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
/// Kinds that exist only live: no Terraform resource describes them.
const LIVE_ONLY: &[&str] = &["aws_account", "aws_region"];

/// Facets that rest on facts only the cloud knows (an IAM user's credential report: MFA, key
/// ages, last use), which no Terraform configuration holds: unknown (or, for the report
/// itself, absent) on the Terraform side, and the verdicts over them `unknown` there or not
/// given at all.
const LIVE_ONLY_FACETS: &[(&str, &[&str])] = &[(
    "aws_iam_user",
    &[
        "active_access_keys",
        "console_access",
        "credential_report",
        "mfa_enabled",
        "oldest_active_key_days",
        "unused_credential_days",
    ],
)];

#[test]
fn live_resources_and_their_terraform_twins_have_identical_facets_and_verdicts() {
    let moto = Moto::start();
    let seeded = moto.seed("estate", &[]);
    // The read calls moto lacks are answered from recorded responses (`moto_gaps`).
    let proxy = Proxy::start(moto.port, moto_gaps());
    let dir = tempfile::tempdir().unwrap();

    // The live side.
    let live_path = dir.path().join("live.json");
    let out = plumb_aws(
        &proxy.endpoint(),
        &[
            "collect",
            "aws",
            "--regions",
            "eu-west-1",
            "-q",
            "-o",
            live_path.to_str().unwrap(),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // The Terraform side: the hand-written twins, with the provider-assigned ids filled in.
    let mut text =
        std::fs::read_to_string(common::root().join("tests/aws/one-model-plan.json")).unwrap();
    for (k, v) in seeded.as_object().unwrap() {
        if let Some(v) = v.as_str() {
            text = text.replace(&format!("{{{{{k}}}}}"), v);
        }
    }
    assert!(!text.contains("{{"), "an unfilled placeholder: {text}");
    let twins: Value = serde_json::from_str(&text).unwrap();
    let twins = twins["resources"].as_array().unwrap();
    let changes: Vec<Value> = twins
        .iter()
        .map(|t| {
            json!({
                "address": format!("{}.{}", t["type"].as_str().unwrap(), t["name"].as_str().unwrap()),
                "mode": "managed", "type": t["type"], "name": t["name"],
                "change": {"actions": ["create"], "before": null, "after": t["values"], "after_unknown": {}, "after_sensitive": {}},
            })
        })
        .collect();
    let plan =
        json!({"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": changes});
    let plan_path = dir.path().join("plan.json");
    std::fs::write(&plan_path, plan.to_string()).unwrap();
    let plan_inv = dir.path().join("plan-inventory.json");
    let out = plumb_aws(
        "http://127.0.0.1:9",
        &[
            "scan",
            plan_path.to_str().unwrap(),
            "--save-inventory",
            plan_inv.to_str().unwrap(),
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let live: Value = serde_json::from_str(&std::fs::read_to_string(&live_path).unwrap()).unwrap();
    let tf: Value = serde_json::from_str(&std::fs::read_to_string(&plan_inv).unwrap()).unwrap();
    let (live_by_id, tf_by_id) = (by_id(&live), by_id(&tf));

    // Verdicts of both inventories.
    let verdicts = |path: &std::path::Path| {
        let out = plumb_aws(
            "http://127.0.0.1:9",
            &[
                "check",
                path.to_str().unwrap(),
                "--format",
                "json",
                "--fail-on",
                "never",
            ],
        );
        let report: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        let mut by_resource: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for ((policy, id), status) in common::verdicts(&report) {
            by_resource.entry(id).or_default().insert(policy, status);
        }
        by_resource
    };
    let (live_verdicts, tf_verdicts) = (verdicts(&live_path), verdicts(&plan_inv));

    let mut compared_kinds = BTreeSet::new();
    for twin in twins {
        // A satellite Terraform declares apart and a live read folds into its parent (an SNS
        // subscription, counted on its topic) has no twin of its own.
        let Some(live) = twin["live"].as_str() else {
            continue;
        };
        let live_id = format!("aws:{ACCOUNT}:{live}");
        let tf_id = format!(
            "tf:{}.{}",
            twin["type"].as_str().unwrap(),
            twin["name"].as_str().unwrap()
        );
        let l = live_by_id
            .get(&live_id)
            .unwrap_or_else(|| panic!("no live {live_id}"));
        let t = tf_by_id
            .get(&tf_id)
            .unwrap_or_else(|| panic!("no {tf_id} from the plan"));
        assert_eq!(l["kind"], t["kind"]);
        let live_only = LIVE_ONLY_FACETS
            .iter()
            .find(|(kind, _)| l["kind"] == *kind)
            .map_or(&[][..], |(_, facets)| *facets);
        let (mut lf, mut tf) = (l["facets"].clone(), t["facets"].clone());
        for facet in live_only {
            let from_terraform = tf.as_object_mut().unwrap().remove(*facet);
            assert!(
                matches!(from_terraform, Some(Value::Null | Value::Bool(false))),
                "{tf_id}: {facet} cannot be known from Terraform, got {from_terraform:?}"
            );
            lf.as_object_mut().unwrap().remove(*facet);
        }
        assert_eq!(lf, tf, "facets of {live_id} and {tf_id} differ");
        let no_verdicts = BTreeMap::new();
        let (lv, tv) = (
            live_verdicts.get(&live_id).unwrap_or(&no_verdicts),
            tf_verdicts.get(&tf_id).unwrap_or(&no_verdicts),
        );
        if live_only.is_empty() {
            assert_eq!(lv, tv, "verdicts on {live_id} and {tf_id} differ");
        } else {
            for (policy, status) in lv {
                let twin = tv.get(policy).map(String::as_str);
                assert!(
                    twin == Some(status.as_str()) || matches!(twin, None | Some("unknown")),
                    "{policy} on {live_id} is {status}, on {tf_id} {twin:?}"
                );
            }
        }
        // Satellites fold into the twin of their live parent.
        match (l["parent"].as_str(), t["parent"].as_str()) {
            (None, None) => {}
            (Some(lp), Some(tp)) => {
                let twin_of = twins
                    .iter()
                    .find(|x| format!("aws:{ACCOUNT}:{}", x["live"].as_str().unwrap()) == lp);
                let expected = twin_of.map(|x| {
                    format!(
                        "tf:{}.{}",
                        x["type"].as_str().unwrap(),
                        x["name"].as_str().unwrap()
                    )
                });
                assert_eq!(
                    expected.as_deref(),
                    Some(tp),
                    "{live_id} and {tf_id} fold into different parents"
                );
            }
            other => panic!("{live_id} / {tf_id}: linked on one side only: {other:?}"),
        }
        compared_kinds.insert(l["kind"].as_str().unwrap().to_string());
    }
    let collected: BTreeSet<String> = live_by_id
        .values()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .filter(|k| !LIVE_ONLY.contains(&k.as_str()))
        .collect();
    let missing: Vec<&String> = collected.difference(&compared_kinds).collect();
    assert!(
        missing.is_empty(),
        "kinds collected live without a Terraform twin: {missing:?}"
    );
    // The comparison is not vacuous where derivers exist.
    assert_eq!(
        live_by_id[&format!("aws:{ACCOUNT}:eu-west-1:aws_s3_bucket:plumb-compliant-data")]["facets"]
            ["sse_algorithm"],
        "aws:kms"
    );
}
