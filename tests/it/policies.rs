//! The built-in policy pack: its cases, and the same verdict whatever the source.

use crate::common;

use plumb::config::Settings;
use plumb::pipeline::cases::run_cases;
use plumb::policy::{PolicySet, builtin_files, load_files};

fn builtin() -> PolicySet {
    PolicySet::new(
        load_files(&builtin_files(), &Settings::default().to_json())
            .expect("built-in policies load"),
    )
}

#[test]
fn every_builtin_policy_passes_its_cases() {
    let run = run_cases(
        &builtin(),
        &Settings::default(),
        &common::root().join("fixtures/policies"),
    );
    let failed: Vec<String> = run
        .results
        .iter()
        .filter(|r| !r.passed())
        .map(|r| format!("{} {}: {}", r.policy_id, r.file, r.problem))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        run.missing.is_empty(),
        "policies without pass and fail cases: {:?}",
        run.missing
    );
    assert!(run.problems.is_empty(), "{:?}", run.problems);
}

#[test]
fn the_policy_test_command_agrees() {
    let out = common::plumb(&["policies", "test"]);
    assert_eq!(common::code(&out), 0, "{}", common::stdout(&out));
}

#[test]
fn builtin_policies_cover_the_required_categories_and_name_baseline_sections() {
    let set = builtin();
    assert!(set.len() >= 100, "{} built-in policies", set.len());
    let categories: std::collections::BTreeSet<_> =
        set.iter().map(|p| p.doc.category.as_str()).collect();
    for c in plumb::policy::Category::ALL {
        assert!(categories.contains(c.as_str()), "no {c} policy");
    }
    for p in set.iter() {
        assert!(
            !p.doc.references.is_empty(),
            "{} has no references",
            p.doc.id
        );
        for (framework, ids) in &p.doc.controls {
            assert!(
                plumb::policy::docs::FRAMEWORKS
                    .iter()
                    .any(|(f, _)| f == framework),
                "{} maps to unknown framework {framework}",
                p.doc.id
            );
            assert!(!ids.is_empty(), "{} lists no {framework} control", p.doc.id);
        }
    }
    for p in set.iter() {
        assert!(
            p.doc
                .controls
                .get("baseline")
                .is_some_and(|b| !b.is_empty()),
            "{} names no baseline section",
            p.doc.id
        );
        assert!(
            !p.doc.remediation.is_empty() && !p.doc.rationale.is_empty(),
            "{}",
            p.doc.id
        );
    }
}

/// The same facts, read from a plan, a state file and a live-shaped inventory, give the same
/// verdicts: policies read facets, not sources.
#[test]
fn same_facts_same_verdicts_whatever_the_source() {
    use plumb::engine::evaluate;
    use plumb::inventory::{Inventory, Metadata, Resource, Source};
    use serde_json::json;

    let attrs = json!({"bucket": "acme-same", "arn": "arn:aws:s3:::acme-same",
        "tags": {"Owner": "o", "Environment": "e", "CostCenter": "c"}});
    let sse = json!({"bucket": "acme-same", "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "arn:aws:kms:eu-west-1:1:key/k"}]}]});
    let versioning =
        json!({"bucket": "acme-same", "versioning_configuration": [{"status": "Enabled"}]});
    let sources = [
        (
            "tf",
            Source::File {
                path: "plan.json".into(),
                start_line: 1,
                end_line: 1,
                module_calls: vec![],
            },
        ),
        (
            "tfstate",
            Source::File {
                path: "terraform.tfstate".into(),
                start_line: 3,
                end_line: 9,
                module_calls: vec![],
            },
        ),
        (
            "aws",
            Source::Aws {
                account: "123456789012".into(),
                region: "eu-west-1".into(),
            },
        ),
    ];
    let set = builtin();
    let mut all = Vec::new();
    for (prefix, source) in sources {
        let mut resources = Vec::new();
        for (kind, a) in [
            ("aws_s3_bucket", &attrs),
            ("aws_s3_bucket_server_side_encryption_configuration", &sse),
            ("aws_s3_bucket_versioning", &versioning),
        ] {
            let mut r = Resource::new(format!("{prefix}:{kind}"), kind, source.clone());
            r.attrs = a.clone();
            r.tags = [("Owner", "o"), ("Environment", "e"), ("CostCenter", "c")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            resources.push(r);
        }
        let mut inv = Inventory::new(Metadata::default(), resources);
        plumb::normalize::normalize(&mut inv.resources);
        let (findings, _) = evaluate(&set, &Settings::default(), &inv.resources);
        let verdicts: std::collections::BTreeMap<String, String> = findings
            .into_iter()
            .map(|f| (f.policy_id.to_string(), f.status.to_string()))
            .collect();
        all.push(verdicts);
    }
    assert!(!all[0].is_empty());
    assert_eq!(all[0], all[1]);
    assert_eq!(all[0], all[2]);
}

/// The kinds the pack must judge, each by at least one policy.
#[test]
fn the_pack_judges_every_kind_the_requirements_name() {
    let set = builtin();
    for kind in [
        "aws_s3_bucket",
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_dynamodb_table",
        "aws_elasticache_replication_group",
        "aws_ebs_volume",
        "aws_ebs_encryption_by_default",
        "aws_efs_file_system",
        "aws_kms_key",
        "aws_secretsmanager_secret",
        "aws_cloudwatch_log_group",
        "aws_cloudtrail",
        "aws_vpc",
        "aws_subnet",
        "aws_security_group",
        "aws_network_acl",
        "aws_lb",
        "aws_lb_listener",
        "aws_cloudfront_distribution",
        "aws_wafv2_web_acl",
        "aws_ecr_repository",
        "aws_eks_cluster",
        "aws_autoscaling_group",
        "aws_backup_plan",
        "aws_backup_vault",
        "aws_iam_policy",
        "aws_iam_role",
        "aws_iam_user",
        "aws_iam_account_password_policy",
        "aws_account",
        "k8s/Deployment",
        "k8s/Namespace",
        "k8s/ClusterRole",
        "k8s/ClusterRoleBinding",
        "k8s/Service",
    ] {
        assert!(
            set.for_kind(kind).next().is_some(),
            "no policy judges {kind}"
        );
    }
    // Every data store has recovery estimates that a policy compares with the objectives.
    for kind in [
        "aws_db_instance",
        "aws_rds_cluster",
        "aws_dynamodb_table",
        "aws_s3_bucket",
        "aws_ebs_volume",
        "aws_efs_file_system",
        "aws_elasticache_replication_group",
    ] {
        let facets = plumb::normalize::facets_of_kind(kind);
        for f in ["rpo_minutes", "rto_minutes", "rpo_basis", "rto_basis"] {
            assert!(facets.contains(&f), "{kind} lacks {f}");
        }
        assert!(
            set.for_kind(kind).any(|p| p
                .reads
                .iter()
                .any(|r| r.to_string().starts_with("resource.facets.rpo_minutes")
                    || r.to_string().starts_with("resource.facets.rto_minutes"))),
            "no policy reads the recovery estimates of {kind}"
        );
    }
}

#[test]
fn policies_list_filters_by_framework_and_prints_controls_as_json() {
    let out = common::plumb(&[
        "policies",
        "list",
        "--framework",
        "cis-aws-3.0",
        "--format",
        "json",
    ]);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    let list: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(list.len() >= 20, "{}", list.len());
    for p in &list {
        for key in ["id", "title", "severity", "category", "kinds", "controls"] {
            assert!(p.get(key).is_some(), "{p} lacks {key}");
        }
        assert!(p["controls"]["cis-aws-3.0"].is_array(), "{p}");
    }
    let ids: Vec<&str> = list.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"PLB-IAM-009") && !ids.contains(&"PLB-K8S-001"),
        "{ids:?}"
    );

    let out = common::plumb(&["policies", "show", "PLB-RDS-010"]);
    let text = common::stdout(&out);
    for part in [
        "Why",
        "Remediation",
        "backup_retention_period",
        "Controls",
        "References",
    ] {
        assert!(text.contains(part), "show lacks {part}: {text}");
    }
}
