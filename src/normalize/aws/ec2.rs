//! EC2: security groups, EBS volumes and snapshots and the account's default EBS encryption,
//! instances and launch templates.

use serde_json::{Value, json};

use super::encryption;
use crate::inventory::{Attr, Resource};
use crate::normalize::facets::Setter;
use crate::normalize::value::{
    any_of, as_bool, bool_at, elements, int_at, list_at, region_of, str_at, str_or_ref, strings_at,
};
use crate::normalize::{Derive, backup, continuity};

/// A CIDR that means the whole internet.
pub(super) fn world(cidr: &str) -> bool {
    cidr == "0.0.0.0/0" || cidr == "::/0"
}

/// `open_ingress` values: `{protocol, from_port, to_port, cidr}`, sorted, without repeats.
pub(super) fn open_ranges<'a>(ranges: impl Iterator<Item = (&'a str, i64, i64, &'a str)>) -> Value {
    let mut open: Vec<Value> = ranges
        .map(|(protocol, from, to, cidr)| {
            json!({"protocol": protocol, "from_port": from, "to_port": to, "cidr": cidr})
        })
        .collect();
    open.sort_by_key(|v| v.to_string());
    open.dedup();
    Value::Array(open)
}

/// One rule, as the facets present it.
struct Rule {
    ingress: bool,
    protocol: String,
    from_port: i64,
    to_port: i64,
    cidrs: Vec<String>,
}

pub(super) fn security_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let rules = sg_rules(d);
    f.set(
        "open_ingress",
        rules.as_ref().map(|rules| {
            open_ranges(rules.iter().filter(|r| r.ingress).flat_map(|r| {
                r.cidrs
                    .iter()
                    .filter(|c| world(c))
                    .map(move |c| (r.protocol.as_str(), r.from_port, r.to_port, c.as_str()))
            }))
        }),
    );
    f.set(
        "unrestricted_egress",
        rules.as_ref().map(|rules| {
            rules
                .iter()
                .any(|r| !r.ingress && r.protocol == "-1" && r.cidrs.iter().any(|c| world(c)))
        }),
    );
    f.set("rule_count", rules.map(|r| r.len() as i64));
}

/// Inline rules plus rule resources. `None` if any rule's protocol, ports or CIDRs are unknown.
fn sg_rules(d: &Derive<'_>) -> Option<Vec<Rule>> {
    let mut rules = Vec::new();
    for (direction, ingress) in [("ingress", true), ("egress", false)] {
        let pointer = format!("/{direction}");
        for (i, _) in list_at(d.r, &pointer)?.iter().enumerate() {
            let base = format!("{pointer}/{i}");
            let mut cidrs = strings_at(d.r, &format!("{base}/cidr_blocks"))?;
            cidrs.extend(strings_at(d.r, &format!("{base}/ipv6_cidr_blocks"))?);
            rules.push(rule(d.r, &base, "protocol", ingress, cidrs)?);
        }
    }
    for s in d.linked("aws_security_group_rule") {
        let ingress = str_at(s, "/type")? == "ingress";
        let mut cidrs = strings_at(s, "/cidr_blocks")?;
        cidrs.extend(strings_at(s, "/ipv6_cidr_blocks")?);
        rules.push(rule(s, "", "protocol", ingress, cidrs)?);
    }
    for (kind, ingress) in [
        ("aws_vpc_security_group_ingress_rule", true),
        ("aws_vpc_security_group_egress_rule", false),
    ] {
        for s in d.linked(kind) {
            let cidrs: Vec<String> = [str_at(s, "/cidr_ipv4")?, str_at(s, "/cidr_ipv6")?]
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect();
            rules.push(rule(s, "", "ip_protocol", ingress, cidrs)?);
        }
    }
    Some(rules)
}

fn rule(
    r: &Resource,
    base: &str,
    protocol: &str,
    ingress: bool,
    cidrs: Vec<String>,
) -> Option<Rule> {
    let protocol = protocol_name(&str_at(r, &format!("{base}/{protocol}"))?);
    let (from_port, to_port) = if protocol == "-1" {
        (0, 65535)
    } else {
        let from = int_at(r, &format!("{base}/from_port"), 0)?;
        let to = int_at(r, &format!("{base}/to_port"), from)?;
        // The API writes -1 for "all ports" of an ICMP or all-traffic rule.
        if from < 0 || to < 0 {
            (0, 65535)
        } else {
            (from, to)
        }
    };
    Some(Rule {
        ingress,
        protocol,
        from_port,
        to_port,
        cidrs,
    })
}

/// A protocol as rules name it: `-1` for all, `tcp`, `udp`, `icmp`, or the number.
pub(super) fn protocol_name(protocol: &str) -> String {
    match protocol.to_ascii_lowercase().as_str() {
        "all" | "-1" | "" => "-1".to_string(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "1" => "icmp".into(),
        "58" => "icmpv6".into(),
        other => other.to_string(),
    }
}

pub(super) fn ebs_volume(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    encryption(
        f,
        bool_at(r, "/encrypted", false),
        str_or_ref(r, "/kms_key_id"),
    );
    // gp2 was the API default before gp3; the provider still defaults to gp2.
    f.set(
        "volume_type",
        str_at(r, "/type").map(|t| if t.is_empty() { "gp2".into() } else { t }),
    );
    let region = region_of(r);
    let scheduled = backup::scheduled(d.backup_plans, region.as_deref());
    f.set("backup_plans", Some(scheduled.plans.clone()));
    f.set("region", region);
    let (rpo, rto) = continuity::ebs(&scheduled);
    continuity::set(f, rpo, rto);
}

/// `aws_ebs_snapshot`: encrypted as its volume was (`encrypted`, default false); public when
/// its live `create_volume_permissions` include the group `all`. Terraform cannot make a
/// snapshot public (`aws_snapshot_create_volume_permission` names one account), so from
/// Terraform it is not.
pub(super) fn ebs_snapshot(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    encryption(
        f,
        bool_at(r, "/encrypted", false),
        str_or_ref(r, "/kms_key_id"),
    );
    f.set(
        "publicly_accessible",
        elements(r, "/create_volume_permissions").and_then(|permissions| {
            any_of(
                permissions
                    .iter()
                    .map(|p| p.text("/group").map(|g| g == "all")),
            )
        }),
    );
}

/// `aws_ebs_encryption_by_default`: the account and region encrypt every new volume. The
/// resource's `enabled` defaults to true.
pub(super) fn ebs_encryption_by_default(d: &Derive<'_>, f: &mut Setter<'_>) {
    f.set("enabled", bool_at(d.r, "/enabled", true));
}

/// Whether instance metadata needs IMDSv2 session tokens (or is off altogether). The
/// provider's default for `http_tokens` is `optional`, and for `http_endpoint` `enabled`.
fn imdsv2_required(r: &Resource, base: &str) -> Option<bool> {
    let tokens = str_at(r, &format!("{base}/http_tokens"))?;
    let endpoint = str_at(r, &format!("{base}/http_endpoint"))?;
    Some(tokens == "required" || endpoint == "disabled")
}

/// Whether every listed block device is encrypted. A device whose `encrypted` is not set
/// takes the AMI snapshot's and the account's default encryption, which the configuration
/// does not show: unknown.
fn devices_encrypted<'a>(devices: impl Iterator<Item = Attr<'a>>) -> Option<bool> {
    let mut all_known = true;
    for device in devices {
        match device {
            Attr::Known(v) => {
                if as_bool(v) == Some(false) {
                    return Some(false);
                }
            }
            Attr::Absent | Attr::Unknown => all_known = false,
        }
    }
    all_known.then_some(true)
}

pub(super) fn instance(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("imdsv2_required", imdsv2_required(r, "/metadata_options/0"));
    // Not set: the instance asks for no public address (the subnet's
    // map_public_ip_on_launch may still give it one; a subnet policy covers that).
    f.set(
        "public_ip",
        bool_at(r, "/associate_public_ip_address", false),
    );
    let mut devices = vec![r.attr("/root_block_device/0/encrypted")];
    let ebs = list_at(r, "/ebs_block_device").unwrap_or_default().len();
    for i in 0..ebs {
        devices.push(r.attr(&format!("/ebs_block_device/{i}/encrypted")));
    }
    f.set("encrypted_at_rest", devices_encrypted(devices.into_iter()));
}

pub(super) fn launch_template(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("imdsv2_required", imdsv2_required(r, "/metadata_options/0"));
    let interfaces = list_at(r, "/network_interfaces");
    f.set(
        "public_ip",
        interfaces.map(|ifs| {
            ifs.iter().any(|i| {
                i.get("associate_public_ip_address")
                    .and_then(as_bool)
                    .unwrap_or(false)
            })
        }),
    );
    let mappings = list_at(r, "/block_device_mappings")
        .unwrap_or_default()
        .len();
    let devices: Vec<Attr<'_>> = (0..mappings)
        .filter(|i| {
            // Instance-store and "no device" mappings have no EBS block.
            matches!(
                r.attr(&format!("/block_device_mappings/{i}/ebs/0")),
                Attr::Known(_)
            )
        })
        .map(|i| r.attr(&format!("/block_device_mappings/{i}/ebs/0/encrypted")))
        .collect();
    f.set(
        "encrypted_at_rest",
        if devices.is_empty() {
            // No mapping: the AMI's own devices and the account default decide.
            None
        } else {
            devices_encrypted(devices.into_iter())
        },
    );
}
