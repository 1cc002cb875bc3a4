//! EC2 items: VPCs, subnets, security groups, flow logs, volumes and instances.

use serde_json::{Value, json};

use super::item::*;
use crate::collect::aws::ec2::{
    FlowLogFacts, RuleFacts, SecurityGroupFacts, SubnetFacts, VolumeFacts, VpcFacts,
    flow_log_attrs, metadata_options, security_group_attrs, subnet_attrs, volume_attrs, vpc_attrs,
};

pub(super) fn vpc(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let attrs = vpc_attrs(VpcFacts {
        id: item.id.clone(),
        arn: json!(item.arn),
        cidr_block: sv(c, "cidrBlock"),
        instance_tenancy: sv(c, "instanceTenancy"),
        dhcp_options_id: sv(c, "dhcpOptionsId"),
        owner_id: sv(c, "ownerId"),
        default: bv(c, "isDefault"),
    });
    let r = item.resource("aws_vpc", &item.id, attrs, mapped);
    mapped.resources.push(r);
}

pub(super) fn subnet(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let attrs = subnet_attrs(SubnetFacts {
        id: item.id.clone(),
        arn: json!(item.arn),
        vpc_id: sv(c, "vpcId"),
        cidr_block: sv(c, "cidrBlock"),
        availability_zone: sv(c, "availabilityZone"),
        map_public_ip_on_launch: bv(c, "mapPublicIpOnLaunch"),
        assign_ipv6_address_on_creation: bv(c, "assignIpv6AddressOnCreation"),
        owner_id: sv(c, "ownerId"),
    });
    let r = item.resource("aws_subnet", &item.id, attrs, mapped);
    mapped.resources.push(r);
}

fn sg_rules(permissions: &[Value]) -> Vec<RuleFacts> {
    let each = |items: &[Value], key: &str| -> Vec<String> {
        items.iter().filter_map(|i| str_of(i, key)).collect()
    };
    permissions
        .iter()
        .map(|p| {
            // Config lists IPv4 ranges as `ipv4Ranges: [{cidrIp}]` and as `ipRanges: ["..."]`.
            let mut cidrs = each(list(p, "ipv4Ranges"), "cidrIp");
            if cidrs.is_empty() {
                cidrs = list(p, "ipRanges")
                    .iter()
                    .filter_map(|r| {
                        r.as_str()
                            .map(str::to_string)
                            .or_else(|| str_of(r, "cidrIp"))
                    })
                    .collect();
            }
            RuleFacts {
                protocol: str_of(p, "ipProtocol").unwrap_or_else(|| "-1".into()),
                from_port: int(p, "fromPort"),
                to_port: int(p, "toPort"),
                cidr_blocks: cidrs,
                ipv6_cidr_blocks: each(list(p, "ipv6Ranges"), "cidrIpv6"),
                prefix_list_ids: each(list(p, "prefixListIds"), "prefixListId"),
                security_groups: each(list(p, "userIdGroupPairs"), "groupId"),
                description: None,
            }
        })
        .collect()
}

pub(super) fn security_group(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let facts = SecurityGroupFacts {
        id: item.id.clone(),
        arn: item.arn.clone(),
        name: text(c, "groupName"),
        description: text(c, "description"),
        vpc_id: text(c, "vpcId"),
        owner_id: text(c, "ownerId"),
        ingress: sg_rules(list(c, "ipPermissions")),
        egress: sg_rules(list(c, "ipPermissionsEgress")),
    };
    let mut r = item.resource(facts.kind(), &item.id, security_group_attrs(&facts), mapped);
    r.name = facts.label();
    mapped.resources.push(r);
}

pub(super) fn flow_log(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let attrs = flow_log_attrs(FlowLogFacts {
        id: item.id.clone(),
        arn: json!(item.arn),
        target: str_of(c, "resourceId").unwrap_or_default(),
        traffic_type: sv(c, "trafficType"),
        log_destination: sv(c, "logDestination"),
        log_destination_type: sv(c, "logDestinationType"),
        log_group_name: sv(c, "logGroupName"),
        iam_role_arn: sv(c, "deliverLogsPermissionArn"),
        log_format: sv(c, "logFormat"),
        max_aggregation_interval: nv(c, "maxAggregationInterval"),
    });
    let r = item.resource("aws_flow_log", &item.id, attrs, mapped);
    mapped.resources.push(r);
}

pub(super) fn volume(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let facts = VolumeFacts {
        id: item.id.clone(),
        arn: item.arn.clone(),
        availability_zone: text(c, "availabilityZone"),
        encrypted: flag(c, "encrypted"),
        kms_key_id: text(c, "kmsKeyId"),
        size: int(c, "size"),
        volume_type: text(c, "volumeType"),
        iops: int(c, "iops"),
        throughput: int(c, "throughput"),
        snapshot_id: text(c, "snapshotId"),
        multi_attach_enabled: flag(c, "multiAttachEnabled"),
    };
    let r = item.resource("aws_ebs_volume", &item.id, volume_attrs(&facts), mapped);
    mapped.resources.push(r);
}

pub(super) fn instance(item: &Item, mapped: &mut Mapped) {
    let c = &item.config;
    let metadata = get(c, "metadataOptions").map(|m| {
        metadata_options([
            sv(m, "httpEndpoint"),
            sv(m, "httpTokens"),
            nv(m, "httpPutResponseHopLimit"),
            sv(m, "instanceMetadataTags"),
        ])
    });
    let profile = path(c, &["iamInstanceProfile", "arn"])
        .and_then(Value::as_str)
        .and_then(|a| a.rsplit('/').next())
        .unwrap_or_default();
    let r = item.resource(
        "aws_instance",
        &item.id,
        json!({
            "id": item.id,
            "ami": sv(c, "imageId"),
            "instance_type": sv(c, "instanceType"),
            "instance_state": path(c, &["state", "name"]).cloned().unwrap_or(Value::Null),
            "availability_zone": path(c, &["placement", "availabilityZone"]).cloned().unwrap_or(Value::Null),
            "subnet_id": sv(c, "subnetId"),
            "vpc_security_group_ids": list(c, "securityGroups").iter().filter_map(|g| str_of(g, "groupId")).collect::<Vec<_>>(),
            "associate_public_ip_address": json!(get(c, "publicIpAddress").is_some()),
            "public_ip": se(c, "publicIpAddress"),
            "private_ip": sv(c, "privateIpAddress"),
            "iam_instance_profile": profile,
            "key_name": se(c, "keyName"),
            "monitoring": json!(path(c, &["monitoring", "state"]).and_then(Value::as_str) == Some("enabled")),
            "ebs_optimized": bv(c, "ebsOptimized"),
            "metadata_options": metadata.unwrap_or(json!([])),
        }),
        mapped,
    );
    mapped.resources.push(r);
}
