//! EC2: VPCs, subnets, security groups and network ACLs (rules inline, as the provider's state
//! has them), flow logs, EBS volumes and the account's own snapshots (with who may create
//! volumes from them), the region's default EBS encryption, and instances.
//!
//! The group and the ACL AWS creates with every VPC come under the types Terraform adopts them
//! with (`aws_default_security_group`, `aws_default_network_acl`), so the policies on the
//! defaults judge them live as they do in Terraform; drift matches them with either type.

use std::collections::HashMap;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{IpPermission, NetworkAcl, NetworkAclEntry, Tag};
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, b, bounded, describe, n, s, se, strings, tag_map, time};

const SERVICE: &str = "ec2";
const VPC: &str = "aws_vpc";
const SUBNET: &str = "aws_subnet";
const SG: &str = "aws_security_group";
const DEFAULT_SG: &str = "aws_default_security_group";
const NACL: &str = "aws_network_acl";
const DEFAULT_NACL: &str = "aws_default_network_acl";
const FLOW_LOG: &str = "aws_flow_log";
const VOLUME: &str = "aws_ebs_volume";
const SNAPSHOT: &str = "aws_ebs_snapshot";
const DEFAULT_ENCRYPTION: &str = "aws_ebs_encryption_by_default";
const INSTANCE: &str = "aws_instance";

pub(super) const KINDS: &[&str] = &[
    VPC,
    SUBNET,
    SG,
    DEFAULT_SG,
    NACL,
    DEFAULT_NACL,
    FLOW_LOG,
    VOLUME,
    SNAPSHOT,
    DEFAULT_ENCRYPTION,
    INSTANCE,
];

fn tags(tags: &[Tag]) -> Value {
    tag_map(tags.iter().map(|t| (t.key(), t.value())))
}

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let scope = &cx.scope;

    let (
        vpcs,
        subnets,
        groups,
        acls,
        flow_logs,
        volumes,
        snapshots,
        instances,
        default_encryption,
        default_key,
    ) = tokio::join!(
        client
            .describe_vpcs()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_subnets()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_security_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_network_acls()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_flow_logs()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_volumes()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_snapshots()
            .owner_ids("self")
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_instances()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client.get_ebs_encryption_by_default().send(),
        client.get_ebs_default_kms_key_id().send(),
    );

    let vpcs = out.listed(scope, SERVICE, &[VPC], "DescribeVpcs", vpcs);
    for v in vpcs {
        let Some(id) = out.required(scope, SERVICE, VPC, v.vpc_id(), "VpcId (DescribeVpcs)") else {
            continue;
        };
        let arn = scope.arn("ec2", &format!("vpc/{id}"));
        let mut attrs = vpc_attrs(VpcFacts {
            id: id.to_string(),
            arn: json!(arn),
            cidr_block: s(v.cidr_block()),
            instance_tenancy: s(v.instance_tenancy().map(|t| t.as_str())),
            dhcp_options_id: s(v.dhcp_options_id()),
            owner_id: s(v.owner_id()),
            default: b(v.is_default()),
        });
        attrs["tags"] = tags(v.tags());
        out.push(scope.resource(VPC, id, Some(arn), attrs));
    }

    let subnets = out.listed(scope, SERVICE, &[SUBNET], "DescribeSubnets", subnets);
    for sn in subnets {
        let Some(id) = out.required(
            scope,
            SERVICE,
            SUBNET,
            sn.subnet_id(),
            "SubnetId (DescribeSubnets)",
        ) else {
            continue;
        };
        let arn = sn
            .subnet_arn()
            .map_or_else(|| scope.arn("ec2", &format!("subnet/{id}")), str::to_string);
        let mut attrs = subnet_attrs(SubnetFacts {
            id: id.to_string(),
            arn: json!(arn),
            vpc_id: s(sn.vpc_id()),
            cidr_block: s(sn.cidr_block()),
            availability_zone: s(sn.availability_zone()),
            map_public_ip_on_launch: b(sn.map_public_ip_on_launch()),
            assign_ipv6_address_on_creation: b(sn.assign_ipv6_address_on_creation()),
            owner_id: s(sn.owner_id()),
        });
        attrs["tags"] = tags(sn.tags());
        out.push(scope.resource(SUBNET, id, Some(arn), attrs));
    }

    let groups = out.listed(
        scope,
        SERVICE,
        &[SG, DEFAULT_SG],
        "DescribeSecurityGroups",
        groups,
    );
    for g in groups {
        let Some(id) = out.required(
            scope,
            SERVICE,
            SG,
            g.group_id(),
            "GroupId (DescribeSecurityGroups)",
        ) else {
            continue;
        };
        let arn = g.security_group_arn().map_or_else(
            || scope.arn("ec2", &format!("security-group/{id}")),
            str::to_string,
        );
        let facts = SecurityGroupFacts {
            id: id.to_string(),
            arn: Some(arn.clone()),
            name: g.group_name().map(str::to_string),
            description: g.description().map(str::to_string),
            vpc_id: g.vpc_id().map(str::to_string),
            owner_id: g.owner_id().map(str::to_string),
            ingress: rules(g.ip_permissions()),
            egress: rules(g.ip_permissions_egress()),
        };
        let mut attrs = security_group_attrs(&facts);
        attrs["tags"] = tags(g.tags());
        let mut r = scope.resource(facts.kind(), id, Some(arn.clone()), attrs);
        r.name = facts.label();
        out.push(r);
    }

    let acls = out.listed(
        scope,
        SERVICE,
        &[NACL, DEFAULT_NACL],
        "DescribeNetworkAcls",
        acls,
    );
    for acl in acls {
        let Some(id) = out.required(
            scope,
            SERVICE,
            NACL,
            acl.network_acl_id(),
            "NetworkAclId (DescribeNetworkAcls)",
        ) else {
            continue;
        };
        let (kind, attrs) = network_acl(scope.arn("ec2", &format!("network-acl/{id}")), id, &acl);
        let arn = attrs["arn"].as_str().map(str::to_string);
        out.push(scope.resource(kind, id, arn, attrs));
    }

    let logs = out.listed(scope, SERVICE, &[FLOW_LOG], "DescribeFlowLogs", flow_logs);
    for f in logs {
        let Some(id) = out.required(
            scope,
            SERVICE,
            FLOW_LOG,
            f.flow_log_id(),
            "FlowLogId (DescribeFlowLogs)",
        ) else {
            continue;
        };
        let arn = scope.arn("ec2", &format!("vpc-flow-log/{id}"));
        let mut attrs = flow_log_attrs(FlowLogFacts {
            id: id.to_string(),
            arn: json!(arn),
            target: f.resource_id().unwrap_or_default().to_string(),
            traffic_type: s(f.traffic_type().map(|t| t.as_str())),
            log_destination: s(f.log_destination()),
            log_destination_type: s(f.log_destination_type().map(|t| t.as_str())),
            log_group_name: s(f.log_group_name()),
            iam_role_arn: s(f.deliver_logs_permission_arn()),
            log_format: s(f.log_format()),
            max_aggregation_interval: n(f.max_aggregation_interval().map(i64::from)),
        });
        attrs["tags"] = tags(f.tags());
        out.push(scope.resource(FLOW_LOG, id, Some(arn), attrs));
    }

    // What instances' block devices say about their volumes, in the provider's block shape.
    let mut volume_facts: HashMap<String, Value> = HashMap::new();
    let volumes = out.listed(scope, SERVICE, &[VOLUME], "DescribeVolumes", volumes);
    for v in volumes {
        let Some(id) = out.required(
            scope,
            SERVICE,
            VOLUME,
            v.volume_id(),
            "VolumeId (DescribeVolumes)",
        ) else {
            continue;
        };
        let arn = v
            .volume_arn()
            .map_or_else(|| scope.arn("ec2", &format!("volume/{id}")), str::to_string);
        volume_facts.insert(
            id.to_string(),
            json!({
                "encrypted": b(v.encrypted()),
                "kms_key_id": s(v.kms_key_id()),
                "volume_type": s(v.volume_type().map(|t| t.as_str())),
                "volume_size": n(v.size().map(i64::from)),
            }),
        );
        let facts = VolumeFacts {
            id: id.to_string(),
            arn: Some(arn.clone()),
            availability_zone: v.availability_zone().map(str::to_string),
            encrypted: v.encrypted(),
            kms_key_id: v.kms_key_id().map(str::to_string),
            size: v.size().map(i64::from),
            volume_type: v.volume_type().map(|t| t.as_str().to_string()),
            iops: v.iops().map(i64::from),
            throughput: v.throughput().map(i64::from),
            snapshot_id: v.snapshot_id().map(str::to_string),
            multi_attach_enabled: v.multi_attach_enabled(),
        };
        let mut attrs = volume_attrs(&facts);
        attrs["create_time"] = time(v.create_time());
        attrs["attached_instance_ids"] =
            strings(v.attachments().iter().filter_map(|a| a.instance_id()));
        attrs["tags"] = tags(v.tags());
        out.push(scope.resource(VOLUME, id, Some(arn.clone()), attrs));
    }

    let snapshots = out.listed(scope, SERVICE, &[SNAPSHOT], "DescribeSnapshots", snapshots);
    let ids: Vec<(String, usize)> = snapshots
        .iter()
        .enumerate()
        .filter_map(|(i, sn)| {
            out.required(
                scope,
                SERVICE,
                SNAPSHOT,
                sn.snapshot_id(),
                "SnapshotId (DescribeSnapshots)",
            )
            .map(|id| (id.to_string(), i))
        })
        .collect();
    let permissions = bounded(ids, cx.fanout, |(id, i)| {
        let client = client.clone();
        async move {
            let answer = client
                .describe_snapshot_attribute()
                .snapshot_id(&id)
                .attribute(aws_sdk_ec2::types::SnapshotAttributeName::CreateVolumePermission)
                .send()
                .await;
            (id, i, answer)
        }
    })
    .await;
    for (id, i, answer) in permissions {
        let sn = &snapshots[i];
        let arn = scope.arn("ec2", &format!("snapshot/{id}"));
        let attrs = json!({
            "id": id,
            "arn": arn,
            "volume_id": s(sn.volume_id()),
            "encrypted": b(sn.encrypted()),
            "kms_key_id": s(sn.kms_key_id()),
            "owner_id": s(sn.owner_id()),
            "volume_size": n(sn.volume_size().map(i64::from)),
            "description": se(sn.description()),
            "storage_tier": s(sn.storage_tier().map(|t| t.as_str())),
            "start_time": time(sn.start_time()),
            "tags": tags(sn.tags()),
        });
        let mut r = scope.resource(SNAPSHOT, &id, Some(arn), attrs);
        snapshot_permissions(&mut r, answer, &mut out);
        out.push(r);
    }

    // The region's default EBS encryption: one resource per region, as the provider has it.
    {
        let id = scope.region.to_string();
        let mut r = scope.resource(DEFAULT_ENCRYPTION, &id, None, json!({ "id": id }));
        match default_encryption {
            Ok(o) => r.attrs["enabled"] = b(o.ebs_encryption_by_default()),
            Err(e) => out.unreadable(&mut r, &["/enabled"], SERVICE, describe(&e)),
        }
        match default_key {
            Ok(o) => r.attrs["kms_key_id"] = se(o.kms_key_id()),
            Err(e) => out.unreadable(&mut r, &["/kms_key_id"], SERVICE, describe(&e)),
        }
        out.push(r);
    }

    let reservations = out.listed(scope, SERVICE, &[INSTANCE], "DescribeInstances", instances);
    for i in reservations.iter().flat_map(|r| r.instances()) {
        let Some(id) = out.required(
            scope,
            SERVICE,
            INSTANCE,
            i.instance_id(),
            "InstanceId (DescribeInstances)",
        ) else {
            continue;
        };
        if i.state().and_then(|s| s.name()).map(|s| s.as_str()) == Some("terminated") {
            continue;
        }
        let arn = scope.arn("ec2", &format!("instance/{id}"));
        let root_name = i.root_device_name();
        let devices: Vec<(bool, Value)> = i
            .block_device_mappings()
            .iter()
            .filter_map(|m| {
                let ebs = m.ebs()?;
                let volume = ebs.volume_id()?;
                let mut device = json!({
                    "device_name": s(m.device_name()),
                    "volume_id": volume,
                    "delete_on_termination": b(ebs.delete_on_termination()),
                    "encrypted": null,
                    "kms_key_id": null,
                    "volume_type": null,
                    "volume_size": null,
                });
                if let (Some(Value::Object(facts)), Some(d)) =
                    (volume_facts.get(volume), device.as_object_mut())
                {
                    d.extend(facts.clone());
                }
                Some((m.device_name() == root_name, device))
            })
            .collect();
        let root: Vec<&Value> = devices.iter().filter(|(r, _)| *r).map(|(_, d)| d).collect();
        let other: Vec<&Value> = devices
            .iter()
            .filter(|(r, _)| !*r)
            .map(|(_, d)| d)
            .collect();
        let metadata = i.metadata_options().map(|m| {
            metadata_options([
                s(m.http_endpoint().map(|v| v.as_str())),
                s(m.http_tokens().map(|v| v.as_str())),
                n(m.http_put_response_hop_limit().map(i64::from)),
                s(m.instance_metadata_tags().map(|v| v.as_str())),
            ])
        });
        let profile = i
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .and_then(|arn| arn.rsplit('/').next());
        out.push(scope.resource(
            INSTANCE,
            id,
            Some(arn.clone()),
            json!({
                "id": id,
                "arn": arn,
                "ami": s(i.image_id()),
                "instance_type": s(i.instance_type().map(|t| t.as_str())),
                "instance_state": s(i.state().and_then(|s| s.name()).map(|s| s.as_str())),
                "availability_zone": s(i.placement().and_then(|p| p.availability_zone())),
                "subnet_id": s(i.subnet_id()),
                "vpc_security_group_ids": strings(i.security_groups().iter().filter_map(|g| g.group_id())),
                "associate_public_ip_address": json!(i.public_ip_address().is_some()),
                "public_ip": se(i.public_ip_address()),
                "private_ip": s(i.private_ip_address()),
                "iam_instance_profile": se(profile),
                "key_name": se(i.key_name()),
                "monitoring": json!(i.monitoring().and_then(|m| m.state()).map(|s| s.as_str()) == Some("enabled")),
                "ebs_optimized": b(i.ebs_optimized()),
                "metadata_options": metadata.unwrap_or(json!([])),
                "root_block_device": root,
                "ebs_block_device": other,
                "tags": tags(i.tags()),
            }),
        ));
    }
    out
}

/// A network ACL in the provider's shape, and the type it comes under. The provider leaves out
/// the catch-all deny entries AWS adds to every ACL (rule 32767, and 32768 for IPv6), which no
/// configuration can change.
fn network_acl(arn: String, id: &str, acl: &NetworkAcl) -> (&'static str, Value) {
    let entries = |egress: bool| {
        Value::Array(
            acl.entries()
                .iter()
                .filter(|e| e.egress() == Some(egress))
                .filter(|e| !matches!(e.rule_number(), Some(32767 | 32768)))
                .map(acl_entry)
                .collect(),
        )
    };
    let default = acl.is_default() == Some(true);
    let mut attrs = json!({
        "id": id,
        "arn": arn,
        "vpc_id": s(acl.vpc_id()),
        "owner_id": s(acl.owner_id()),
        "subnet_ids": strings(acl.associations().iter().filter_map(|a| a.subnet_id())),
        "ingress": entries(false),
        "egress": entries(true),
        "tags": tags(acl.tags()),
    });
    if default {
        attrs["default_network_acl_id"] = json!(id);
        (DEFAULT_NACL, attrs)
    } else {
        (NACL, attrs)
    }
}

/// One entry of a network ACL, in the provider's block shape: ports 0/0 where the protocol
/// carries none.
fn acl_entry(e: &NetworkAclEntry) -> Value {
    let ports = e.port_range();
    json!({
        "rule_no": n(e.rule_number().map(i64::from)),
        "action": s(e.rule_action().map(|a| a.as_str())),
        "protocol": s(e.protocol()),
        "cidr_block": e.cidr_block().unwrap_or_default(),
        "ipv6_cidr_block": e.ipv6_cidr_block().unwrap_or_default(),
        "from_port": ports.and_then(|p| p.from()).map_or(0, i64::from),
        "to_port": ports.and_then(|p| p.to()).map_or(0, i64::from),
        "icmp_type": e.icmp_type_code().and_then(|c| c.r#type()).map_or(0, i64::from),
        "icmp_code": e.icmp_type_code().and_then(|c| c.code()).map_or(0, i64::from),
    })
}

/// Who may create volumes from a snapshot (live only, `create_volume_permissions`): the
/// group `all` makes it public; account ids share it with those accounts.
fn snapshot_permissions(
    r: &mut crate::inventory::Resource,
    answer: Result<
        aws_sdk_ec2::operation::describe_snapshot_attribute::DescribeSnapshotAttributeOutput,
        aws_sdk_ec2::error::SdkError<
            aws_sdk_ec2::operation::describe_snapshot_attribute::DescribeSnapshotAttributeError,
        >,
    >,
    out: &mut Out,
) {
    match answer {
        Ok(a) => {
            r.attrs["create_volume_permissions"] = a
                .create_volume_permissions()
                .iter()
                .map(|p| {
                    json!({
                        "group": s(p.group().map(|g| g.as_str())),
                        "user_id": s(p.user_id()),
                    })
                })
                .collect();
        }
        Err(e) => out.unreadable(
            r,
            &["/create_volume_permissions"],
            SERVICE,
            format!("DescribeSnapshotAttribute: {}", describe(&e)),
        ),
    }
}

/// Security group rules from the EC2 API.
fn rules(permissions: &[IpPermission]) -> Vec<RuleFacts> {
    permissions
        .iter()
        .map(|p| RuleFacts {
            protocol: p.ip_protocol().unwrap_or("-1").to_string(),
            from_port: Some(p.from_port().unwrap_or(0).into()),
            to_port: Some(p.to_port().unwrap_or(0).into()),
            cidr_blocks: owned(p.ip_ranges().iter().filter_map(|r| r.cidr_ip())),
            ipv6_cidr_blocks: owned(p.ipv6_ranges().iter().filter_map(|r| r.cidr_ipv6())),
            prefix_list_ids: owned(
                p.prefix_list_ids()
                    .iter()
                    .filter_map(|r| r.prefix_list_id()),
            ),
            security_groups: owned(p.user_id_group_pairs().iter().filter_map(|g| g.group_id())),
            description: p
                .ip_ranges()
                .iter()
                .find_map(|r| r.description())
                .map(str::to_string),
        })
        .collect()
}

fn owned<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    items.map(str::to_string).collect()
}

// ---------------------------------------------------------------- shapes
//
// The provider's shapes, built once from plain facts: the EC2 API fills them above, AWS
// Config's items in `config/ec2.rs`. Attributes only one source knows are added by that
// source.

/// A security group, as both sources describe it.
pub(super) struct SecurityGroupFacts {
    pub id: String,
    pub arn: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
    pub ingress: Vec<RuleFacts>,
    pub egress: Vec<RuleFacts>,
}

impl SecurityGroupFacts {
    /// The type it comes under: the group every VPC is created with is always named
    /// `default` (AWS refuses the name for any other), and Terraform adopts it as
    /// `aws_default_security_group`.
    pub(super) fn kind(&self) -> &'static str {
        if self.name.as_deref() == Some("default") {
            DEFAULT_SG
        } else {
            SG
        }
    }

    /// The resource's name: `name (sg-id)`, since group names repeat across VPCs.
    pub(super) fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.id),
            None => self.id.clone(),
        }
    }
}

/// One permission of a security group.
pub(super) struct RuleFacts {
    pub protocol: String,
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub cidr_blocks: Vec<String>,
    pub ipv6_cidr_blocks: Vec<String>,
    pub prefix_list_ids: Vec<String>,
    pub security_groups: Vec<String>,
    pub description: Option<String>,
}

/// `aws_security_group` without its tags, rules inline as the provider's state has them.
pub(super) fn security_group_attrs(g: &SecurityGroupFacts) -> Value {
    json!({
        "id": g.id,
        "arn": s(g.arn.as_deref()),
        "name": s(g.name.as_deref()),
        "description": s(g.description.as_deref()),
        "vpc_id": s(g.vpc_id.as_deref()),
        "owner_id": s(g.owner_id.as_deref()),
        "ingress": rule_attrs(&g.ingress),
        "egress": rule_attrs(&g.egress),
    })
}

/// Rules in the provider's inline shape: one entry per permission.
fn rule_attrs(rules: &[RuleFacts]) -> Value {
    let text = |v: &[String]| strings(v.iter().map(String::as_str));
    Value::Array(
        rules
            .iter()
            .map(|r| {
                // The provider writes 0/0 for "all traffic" rules, which carry no ports.
                let (from, to) = if r.protocol == "-1" {
                    (json!(0), json!(0))
                } else {
                    (n(r.from_port), n(r.to_port))
                };
                json!({
                    "protocol": r.protocol,
                    "from_port": from,
                    "to_port": to,
                    "cidr_blocks": text(&r.cidr_blocks),
                    "ipv6_cidr_blocks": text(&r.ipv6_cidr_blocks),
                    "prefix_list_ids": text(&r.prefix_list_ids),
                    "security_groups": text(&r.security_groups),
                    "self": false,
                    "description": se(r.description.as_deref()),
                })
            })
            .collect(),
    )
}

/// An EBS volume, as both sources describe it.
pub(super) struct VolumeFacts {
    pub id: String,
    pub arn: Option<String>,
    pub availability_zone: Option<String>,
    pub encrypted: Option<bool>,
    pub kms_key_id: Option<String>,
    pub size: Option<i64>,
    pub volume_type: Option<String>,
    pub iops: Option<i64>,
    pub throughput: Option<i64>,
    pub snapshot_id: Option<String>,
    pub multi_attach_enabled: Option<bool>,
}

/// `aws_ebs_volume` without its tags and what only the EC2 API tells (attachments, creation).
pub(super) fn volume_attrs(v: &VolumeFacts) -> Value {
    json!({
        "id": v.id,
        "arn": s(v.arn.as_deref()),
        "availability_zone": s(v.availability_zone.as_deref()),
        "encrypted": b(v.encrypted),
        "kms_key_id": se(v.kms_key_id.as_deref()),
        "size": n(v.size),
        "type": s(v.volume_type.as_deref()),
        "iops": n(v.iops),
        "throughput": n(v.throughput),
        "snapshot_id": se(v.snapshot_id.as_deref()),
        "multi_attach_enabled": b(v.multi_attach_enabled),
    })
}

/// An instance's `metadata_options` block: the endpoint, whether tokens (IMDSv2) are
/// required, the hop limit, and whether tags are served.
pub(super) fn metadata_options(options: [Value; 4]) -> Value {
    let [endpoint, tokens, hop_limit, tags] = options;
    json!([{
        "http_endpoint": endpoint,
        "http_tokens": tokens,
        "http_put_response_hop_limit": hop_limit,
        "instance_metadata_tags": tags,
    }])
}

/// A VPC, as both sources describe it (`null` where a source records no value).
pub(super) struct VpcFacts {
    pub id: String,
    pub arn: Value,
    pub cidr_block: Value,
    pub instance_tenancy: Value,
    pub dhcp_options_id: Value,
    pub owner_id: Value,
    pub default: Value,
}

/// `aws_vpc` without its tags.
pub(super) fn vpc_attrs(v: VpcFacts) -> Value {
    json!({
        "id": v.id,
        "arn": v.arn,
        "cidr_block": v.cidr_block,
        "instance_tenancy": v.instance_tenancy,
        "dhcp_options_id": v.dhcp_options_id,
        "owner_id": v.owner_id,
        "default": v.default,
    })
}

/// A subnet, as both sources describe it.
pub(super) struct SubnetFacts {
    pub id: String,
    pub arn: Value,
    pub vpc_id: Value,
    pub cidr_block: Value,
    pub availability_zone: Value,
    pub map_public_ip_on_launch: Value,
    pub assign_ipv6_address_on_creation: Value,
    pub owner_id: Value,
}

/// `aws_subnet` without its tags.
pub(super) fn subnet_attrs(sn: SubnetFacts) -> Value {
    json!({
        "id": sn.id,
        "arn": sn.arn,
        "vpc_id": sn.vpc_id,
        "cidr_block": sn.cidr_block,
        "availability_zone": sn.availability_zone,
        "map_public_ip_on_launch": sn.map_public_ip_on_launch,
        "assign_ipv6_address_on_creation": sn.assign_ipv6_address_on_creation,
        "owner_id": sn.owner_id,
    })
}

/// A flow log, as both sources describe it.
pub(super) struct FlowLogFacts {
    pub id: String,
    pub arn: Value,
    /// The id of the VPC, subnet, network interface or transit gateway it records.
    pub target: String,
    pub traffic_type: Value,
    pub log_destination: Value,
    pub log_destination_type: Value,
    pub log_group_name: Value,
    pub iam_role_arn: Value,
    pub log_format: Value,
    pub max_aggregation_interval: Value,
}

/// `aws_flow_log` without its tags. The provider names the target by its kind: `vpc_id`,
/// `subnet_id`, `eni_id` or `transit_gateway_id`, told by the id's prefix.
pub(super) fn flow_log_attrs(f: FlowLogFacts) -> Value {
    let field = match f.target.split('-').next() {
        Some("subnet") => "subnet_id",
        Some("eni") => "eni_id",
        Some("tgw") => "transit_gateway_id",
        _ => "vpc_id",
    };
    let mut attrs = json!({
        "id": f.id,
        "arn": f.arn,
        "traffic_type": f.traffic_type,
        "log_destination": f.log_destination,
        "log_destination_type": f.log_destination_type,
        "log_group_name": f.log_group_name,
        "iam_role_arn": f.iam_role_arn,
        "log_format": f.log_format,
        "max_aggregation_interval": f.max_aggregation_interval,
    });
    attrs[field] = json!(f.target);
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_log_names_its_target_by_the_targets_kind() {
        for (target, field) in [
            ("vpc-0a1", "vpc_id"),
            ("subnet-0a1", "subnet_id"),
            ("eni-0a1", "eni_id"),
            ("tgw-0a1", "transit_gateway_id"),
        ] {
            let attrs = flow_log_attrs(FlowLogFacts {
                id: "fl-1".into(),
                arn: Value::Null,
                target: target.into(),
                traffic_type: json!("ALL"),
                log_destination: Value::Null,
                log_destination_type: Value::Null,
                log_group_name: Value::Null,
                iam_role_arn: Value::Null,
                log_format: Value::Null,
                max_aggregation_interval: Value::Null,
            });
            assert_eq!(attrs[field], target, "{target}");
            let named = ["vpc_id", "subnet_id", "eni_id", "transit_gateway_id"];
            assert_eq!(
                named.iter().filter(|f| attrs.get(**f).is_some()).count(),
                1,
                "{target}: {attrs}"
            );
        }
    }
}
