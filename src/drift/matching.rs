//! Pairing IaC resources with live ones, and recognising live resources nobody manages with
//! Terraform.
//!
//! Resources are matched by `cloud_id`, in the forms the two sides give it: a Terraform state
//! holds both `arn` and `id` (`sg-0abc`, a bucket or table name, a KMS key id), a live
//! inventory holds the ARN where there is one. Each resource gets a list of keys, strongest
//! first (its ARN, then the provider id, then the id an ARN ends with); a pair is made on the
//! first key that names exactly one unpaired resource of the same kind on the other side.
//! Satellites (a bucket's versioning, a rule of a security group) are paired through their
//! parents.

use std::collections::HashMap;

use serde_json::Value;

use crate::inventory::Resource;

use super::arn::{arn_short_id, normalise_arn};

/// The kind both sides use for one thing: Terraform has separate types for the default VPC and
/// its default security group, network ACL and route table, which live collectors read as
/// plain VPCs, groups, ACLs and tables.
pub fn canonical_kind(kind: &str) -> &str {
    match kind {
        "aws_default_vpc" => "aws_vpc",
        "aws_default_subnet" => "aws_subnet",
        "aws_default_security_group" => "aws_security_group",
        "aws_default_network_acl" => "aws_network_acl",
        "aws_default_route_table" => "aws_route_table",
        "aws_default_vpc_dhcp_options" => "aws_vpc_dhcp_options",
        other => other,
    }
}

/// The keys a resource can be matched by, strongest first.
pub fn keys(r: &Resource) -> Vec<String> {
    let text = |k: &str| {
        r.attrs
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let mut out: Vec<String> = Vec::new();
    let mut push = |k: &str| {
        let k = normalise_arn(k).to_string();
        if !out.contains(&k) {
            out.push(k);
        }
    };
    for arn in [r.cloud_id.as_deref(), text("arn")].into_iter().flatten() {
        push(arn);
    }
    if let Some(id) = text("id") {
        push(id);
    }
    for arn in [r.cloud_id.as_deref(), text("arn")].into_iter().flatten() {
        if let Some(short) = arn_short_id(arn) {
            push(short);
        }
    }
    out
}

/// Pairs `iac` resources with `live` ones. Returns, per IaC index, the live index it matches.
pub fn pair(iac: &[&Resource], live: &[&Resource]) -> Vec<Option<usize>> {
    // (kind, key) -> live indexes having that key.
    let mut index: HashMap<(&str, String), Vec<usize>> = HashMap::new();
    for (j, r) in live.iter().enumerate() {
        if r.parent.is_some() {
            continue;
        }
        for k in keys(r) {
            index
                .entry((canonical_kind(&r.kind), k))
                .or_default()
                .push(j);
        }
    }
    let mut taken = vec![false; live.len()];
    let mut out = vec![None; iac.len()];
    for (i, r) in iac.iter().enumerate() {
        if r.parent.is_some() {
            continue;
        }
        let kind = canonical_kind(&r.kind);
        for k in keys(r) {
            let candidates: Vec<usize> = index
                .get(&(kind, k))
                .map(|c| c.iter().copied().filter(|&j| !taken[j]).collect())
                .unwrap_or_default();
            if let [j] = candidates[..] {
                taken[j] = true;
                out[i] = Some(j);
                break;
            }
        }
    }

    // Satellites follow their parents: the one satellite of a kind under the paired parent,
    // or, when a parent has several of a kind (security group rules), the one with equal
    // attributes.
    let iac_ids: HashMap<&str, usize> = iac
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut live_children: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (j, r) in live.iter().enumerate() {
        if let Some(p) = &r.parent {
            live_children
                .entry((p.as_str(), canonical_kind(&r.kind)))
                .or_default()
                .push(j);
        }
    }
    let mut iac_children: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, r) in iac.iter().enumerate() {
        if let Some(p) = &r.parent {
            iac_children
                .entry((p.as_str(), canonical_kind(&r.kind)))
                .or_default()
                .push(i);
        }
    }
    for ((parent, kind), children) in iac_children {
        let Some(live_parent) = iac_ids.get(parent).and_then(|&p| out[p]) else {
            continue;
        };
        let Some(candidates) = live_children.get(&(live[live_parent].id.as_str(), kind)) else {
            continue;
        };
        if let ([i], [j]) = (&children[..], &candidates[..]) {
            out[*i] = Some(*j);
            taken[*j] = true;
            continue;
        }
        for i in children {
            if let Some(&j) = candidates
                .iter()
                .find(|&&j| !taken[j] && super::diff::equivalent(&iac[i].attrs, &live[j].attrs))
            {
                out[i] = Some(j);
                taken[j] = true;
            }
        }
    }
    out
}

/// Why a live resource is one that the cloud or cluster creates and manages itself, and that
/// nobody manages with Terraform in practice; `None` for everything else.
pub fn provider_managed(r: &Resource, default_vpcs: &[&str]) -> Option<&'static str> {
    let attr = |k: &str| r.attrs.get(k);
    let text = |k: &str| attr(k).and_then(Value::as_str).unwrap_or("");
    let flag = |k: &str| attr(k).and_then(Value::as_bool) == Some(true);
    let cloud_id = r.cloud_id.as_deref().unwrap_or("");
    let in_default_vpc = default_vpcs.contains(&text("vpc_id"));
    let k8s_name = || {
        r.attrs
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    let k8s_namespace = || {
        r.attrs
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    Some(match canonical_kind(&r.kind) {
        "aws_vpc" if flag("default") || flag("is_default") => {
            "the default VPC AWS creates in every region"
        }
        "aws_subnet" if flag("default_for_az") => "a default subnet of the default VPC",
        "aws_security_group" if text("name") == "default" || text("group_name") == "default" => {
            "the default security group AWS creates with every VPC"
        }
        "aws_network_acl" if flag("default") || flag("is_default") => {
            "the default network ACL AWS creates with every VPC"
        }
        "aws_route_table" if flag("main") || flag("is_main") => {
            "the main route table AWS creates with every VPC"
        }
        "aws_internet_gateway" if in_default_vpc => "the internet gateway of the default VPC",
        "aws_vpc_dhcp_options" if flag("default") || flag("is_default") => {
            "the default DHCP options set"
        }
        "aws_iam_role"
            if text("path").starts_with("/aws-service-role/")
                || cloud_id.contains(":role/aws-service-role/") =>
        {
            "a service-linked role, created and managed by an AWS service"
        }
        "aws_iam_role"
            if text("path").starts_with("/aws-reserved/")
                || cloud_id.contains(":role/aws-reserved/") =>
        {
            "a role IAM Identity Center manages for a permission set"
        }
        "aws_iam_policy"
            if cloud_id.starts_with("arn:aws:iam::aws:policy/")
                || cloud_id.contains(":iam::aws:policy/") =>
        {
            "an AWS-managed IAM policy"
        }
        "aws_kms_key" if text("key_manager") == "AWS" => "an AWS-managed KMS key (aws/<service>)",
        "aws_kms_alias" if text("name").starts_with("alias/aws/") => {
            "the alias of an AWS-managed KMS key"
        }
        "aws_db_parameter_group"
        | "aws_rds_cluster_parameter_group"
        | "aws_elasticache_parameter_group"
            if text("name").starts_with("default.") =>
        {
            "a default parameter group AWS provides per engine version"
        }
        "aws_db_option_group" if text("name").starts_with("default:") => {
            "a default option group AWS provides per engine"
        }
        "aws_db_subnet_group" if text("name") == "default" => "the default DB subnet group",
        "aws_account" => "account-level settings, read live; no Terraform resource describes them",
        "aws_s3_account_public_access_block"
            if r.attrs.get("configured") == Some(&Value::Bool(false)) =>
        {
            "the account's S3 Block Public Access, never set (S3 applies all four off)"
        }
        "aws_region" => {
            "a region's security services, read live; no Terraform resource describes them"
        }
        "k8s/Namespace"
            if matches!(
                k8s_name(),
                "default" | "kube-system" | "kube-public" | "kube-node-lease"
            ) =>
        {
            "a namespace every cluster has"
        }
        "k8s/ServiceAccount" if k8s_name() == "default" => {
            "the default service account of a namespace"
        }
        "k8s/ConfigMap" if k8s_name() == "kube-root-ca.crt" => {
            "the cluster CA bundle published in every namespace"
        }
        "k8s/ClusterRole" | "k8s/ClusterRoleBinding" | "k8s/Role" | "k8s/RoleBinding"
            if k8s_name().starts_with("system:") =>
        {
            "a role or binding the cluster bootstraps (system:*)"
        }
        _ if r.kind.starts_with("k8s/") && k8s_namespace() == "kube-system" => {
            "an object of the cluster's own components (kube-system)"
        }
        _ => return None,
    })
}

/// The ids of the default VPCs in a live inventory.
pub fn default_vpcs(live: &[&Resource]) -> Vec<String> {
    live.iter()
        .filter(|r| canonical_kind(&r.kind) == "aws_vpc")
        .filter(|r| {
            ["default", "is_default"]
                .iter()
                .any(|k| r.attrs.get(*k).and_then(Value::as_bool) == Some(true))
        })
        .filter_map(|r| {
            r.attrs
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Source;
    use serde_json::json;

    fn res(id: &str, kind: &str, cloud_id: Option<&str>, attrs: Value) -> Resource {
        let mut r = Resource::new(
            id,
            kind,
            Source::File {
                path: "x".into(),
                start_line: 1,
                end_line: 1,
                module_calls: vec![],
            },
        );
        r.cloud_id = cloud_id.map(str::to_string);
        r.attrs = attrs;
        r
    }

    #[test]
    fn short_ids_from_arns() {
        assert_eq!(arn_short_id("arn:aws:s3:::logs"), Some("logs"));
        assert_eq!(
            arn_short_id("arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0abc"),
            Some("sg-0abc")
        );
        assert_eq!(
            arn_short_id("arn:aws:iam::123456789012:role/service-role/deploy"),
            Some("deploy")
        );
        assert_eq!(
            arn_short_id("arn:aws:logs:eu-west-1:123456789012:log-group:/app/api:*"),
            Some("/app/api")
        );
        assert_eq!(
            arn_short_id("arn:aws:dynamodb:eu-west-1:123456789012:table/orders"),
            Some("orders")
        );
        assert_eq!(
            arn_short_id("arn:aws:rds:eu-west-1:123456789012:db:main"),
            Some("main")
        );
        assert_eq!(arn_short_id("sg-0abc"), None);
    }

    #[test]
    fn state_ids_match_live_arns_and_default_types_match_plain_ones() {
        let iac = [
            res(
                "tf:aws_security_group.web",
                "aws_security_group",
                Some("sg-0abc"),
                json!({"id": "sg-0abc"}),
            ),
            res(
                "tf:aws_cloudwatch_log_group.api",
                "aws_cloudwatch_log_group",
                Some("arn:aws:logs:eu-west-1:1:log-group:/app/api"),
                json!({"id": "/app/api", "arn": "arn:aws:logs:eu-west-1:1:log-group:/app/api"}),
            ),
            res(
                "tf:aws_default_security_group.d",
                "aws_default_security_group",
                Some("sg-0def"),
                json!({"id": "sg-0def"}),
            ),
            res(
                "tf:aws_s3_bucket.gone",
                "aws_s3_bucket",
                Some("arn:aws:s3:::gone"),
                json!({"bucket": "gone"}),
            ),
        ];
        let live = [
            res(
                "aws:1:eu-west-1:aws_cloudwatch_log_group:/app/api",
                "aws_cloudwatch_log_group",
                Some("arn:aws:logs:eu-west-1:1:log-group:/app/api:*"),
                json!({}),
            ),
            res(
                "aws:1:eu-west-1:aws_security_group:sg-0def",
                "aws_security_group",
                Some("arn:aws:ec2:eu-west-1:1:security-group/sg-0def"),
                json!({"id": "sg-0def"}),
            ),
            res(
                "aws:1:eu-west-1:aws_security_group:sg-0abc",
                "aws_security_group",
                Some("arn:aws:ec2:eu-west-1:1:security-group/sg-0abc"),
                json!({}),
            ),
        ];
        let iac_refs: Vec<&Resource> = iac.iter().collect();
        let live_refs: Vec<&Resource> = live.iter().collect();
        assert_eq!(
            pair(&iac_refs, &live_refs),
            [Some(2), Some(0), Some(1), None]
        );
    }

    #[test]
    fn recognises_what_aws_manages_itself() {
        let slr = res(
            "aws:1:global:aws_iam_role:AWSServiceRoleForRDS",
            "aws_iam_role",
            Some("arn:aws:iam::1:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS"),
            json!({"path": "/aws-service-role/rds.amazonaws.com/"}),
        );
        assert!(provider_managed(&slr, &[]).is_some());
        let sg = res(
            "a",
            "aws_security_group",
            None,
            json!({"name": "default", "vpc_id": "vpc-1"}),
        );
        assert!(provider_managed(&sg, &[]).is_some());
        let mine = res(
            "b",
            "aws_security_group",
            None,
            json!({"name": "web", "vpc_id": "vpc-1"}),
        );
        assert!(provider_managed(&mine, &["vpc-1"]).is_none());
        let key = res("c", "aws_kms_key", None, json!({"key_manager": "CUSTOMER"}));
        assert!(provider_managed(&key, &[]).is_none());
    }
}
