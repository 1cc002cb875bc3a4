//! Collectors on the demo estate: addresses, unknowns, redaction, linking, lines.

use crate::common;

use std::path::PathBuf;

use plumb::collect::collect_paths;
use plumb::inventory::{Attr, Inventory, Source};

fn inventory(path: &str) -> Inventory {
    let collected = collect_paths(&[common::root().join(path)]);
    assert!(collected.errors.is_empty(), "{:?}", collected.errors);
    collected.into_inventory()
}

fn find<'a>(inv: &'a Inventory, id: &str) -> &'a plumb::inventory::Resource {
    inv.get(id).unwrap_or_else(|| {
        let ids: Vec<_> = inv.resources.iter().map(|r| r.id.as_str()).collect();
        panic!("no {id} in {ids:#?}")
    })
}

#[test]
fn plan_addresses_follow_terraform_for_modules_count_and_for_each() {
    let inv = inventory("fixtures/demo/terraform/plan.json");
    for id in [
        "tf:aws_ebs_volume.scratch[0]",
        "tf:aws_ebs_volume.scratch[1]",
        r#"tf:module.store["invoices"].aws_s3_bucket.this"#,
        r#"tf:module.store["receipts"].aws_s3_bucket_server_side_encryption_configuration.this"#,
        "tf:aws_rds_cluster_instance.ledger[1]",
    ] {
        find(&inv, id);
    }
}

#[test]
fn satellites_link_through_references_when_the_parent_id_is_unknown() {
    let inv = inventory("fixtures/demo/terraform/plan.json");
    let sse = find(
        &inv,
        r#"tf:module.store["receipts"].aws_s3_bucket_server_side_encryption_configuration.this"#,
    );
    assert_eq!(
        sse.attr("/bucket"),
        Attr::Unknown,
        "the bucket id is known only after apply"
    );
    assert_eq!(
        sse.parent.as_deref(),
        Some(r#"tf:module.store["receipts"].aws_s3_bucket.this"#)
    );
    let bucket = find(&inv, r#"tf:module.store["receipts"].aws_s3_bucket.this"#);
    assert_eq!(bucket.facets["sse_algorithm"], "aws:kms");
    assert_eq!(bucket.facets["versioning"], true);
    // The SG rule names its group through an unknown id too.
    let rule = find(&inv, "tf:aws_security_group_rule.admin_rdp");
    assert_eq!(rule.parent.as_deref(), Some("tf:aws_security_group.admin"));
    // A KMS key known only by reference stands in for its future ARN.
    let logs = find(&inv, "tf:aws_s3_bucket.logs");
    assert_eq!(logs.facets["kms_key"], "tf:aws_kms_key.data");
    let cluster = find(&inv, "tf:aws_rds_cluster.ledger");
    assert_eq!(
        cluster.facets["multi_az"], true,
        "two linked cluster instances"
    );
}

#[test]
fn unknown_values_stay_unknown_and_computed_defaults_do_not() {
    let inv = inventory("fixtures/demo/terraform/plan.json");
    let cache = find(&inv, "tf:aws_ebs_volume.cache");
    assert_eq!(
        cache.attr("/encrypted"),
        Attr::Unknown,
        "written from a variable"
    );
    assert!(cache.facets["encrypted_at_rest"].is_null());
    // `arn` was never written: the provider computes it; it is not a reason for "unknown".
    let export = find(&inv, "tf:aws_ebs_volume.export");
    assert_eq!(export.attr("/arn"), Attr::Absent);
    assert_eq!(export.facets["encrypted_at_rest"], false);
}

#[test]
fn sensitive_values_are_redacted_in_plans_and_state() {
    let plan = inventory("fixtures/demo/terraform/plan.json");
    let db = find(&plan, "tf:aws_db_instance.reporting");
    assert_eq!(db.attrs["password"], "[redacted]");
    let state = inventory("fixtures/demo/terraform/legacy.tfstate");
    let key = find(&state, "tf:aws_iam_access_key.ci");
    assert_eq!(key.attrs["secret"], "[redacted]");
    assert_eq!(key.attrs["ses_smtp_password_v4"], "[redacted]");
    assert_eq!(
        key.attrs["id"], "AKIAIOSFODNN7EXAMPLE",
        "key ids are not secrets"
    );
}

#[test]
fn state_reads_modules_instances_and_lines() {
    let inv = inventory("fixtures/demo/terraform/legacy.tfstate");
    let vol = find(&inv, "tf:module.network.aws_ebs_volume.data[1]");
    assert_eq!(
        vol.cloud_id.as_deref(),
        Some("arn:aws:ec2:eu-west-1:123456789012:volume/vol-0data1")
    );
    let Source::File {
        start_line,
        end_line,
        ..
    } = &vol.source
    else {
        panic!()
    };
    assert!(*start_line > 1 && end_line > start_line);
    assert!(
        inv.resources.iter().all(|r| !r.kind.starts_with("data")),
        "data sources are not resources"
    );
    let bucket = find(&inv, "tf:aws_s3_bucket.legacy_exports");
    assert_eq!(
        bucket.facets["publicly_accessible"], true,
        "public-read ACL satellite, no block"
    );
}

#[test]
fn every_workload_kind_exposes_its_pod_spec_through_the_same_facets() {
    let dir = tempfile::tempdir().unwrap();
    // The same container, indented to sit under each kind's pod spec.
    let pod_spec = |indent: usize| {
        let pad = " ".repeat(indent);
        format!(
            "{pad}containers:\n{pad}  - name: c\n{pad}    image: app:1.0\n{pad}    securityContext: {{privileged: true, runAsNonRoot: true}}\n"
        )
    };
    let mut docs = vec![format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: w}}\nspec:\n{}",
        pod_spec(2)
    )];
    for kind in [
        "Deployment",
        "StatefulSet",
        "DaemonSet",
        "ReplicaSet",
        "Job",
    ] {
        docs.push(format!(
            "apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: w}}\nspec:\n  template:\n    spec:\n{}",
            pod_spec(6)
        ));
    }
    docs.push(format!(
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: w}}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n{}",
        pod_spec(10)
    ));
    let path: PathBuf = dir.path().join("workloads.yaml");
    std::fs::write(&path, docs.join("---\n")).unwrap();
    let collected = collect_paths(&[path]);
    assert!(collected.errors.is_empty(), "{:?}", collected.errors);
    let inv = collected.into_inventory();
    assert_eq!(inv.resources.len(), 7);
    for r in &inv.resources {
        let c = &r.facets["containers"][0];
        assert_eq!(c["privileged"], true, "{}", r.id);
        assert_eq!(c["run_as_non_root"], true, "{}", r.id);
        assert_eq!(c["image_tag"], "1.0", "{}", r.id);
    }
}

#[test]
fn manifests_know_each_objects_lines() {
    let inv = inventory("fixtures/demo/kubernetes/batch.yaml");
    let cron = find(&inv, "k8s:manifest:batch/CronJob:batch/nightly-report");
    assert_eq!(cron.location().unwrap().start_line, 24);
    let secret = find(&inv, "k8s:manifest:core/Secret:batch/report-db");
    assert_eq!(secret.attrs["stringData"]["password"], "[redacted]");
}
