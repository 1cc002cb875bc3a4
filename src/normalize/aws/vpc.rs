//! VPC networking: flow logs on VPCs, public addressing of subnets, network ACL rules.

use super::ec2::{open_ranges, protocol_name, world};
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{At, bool_at, elements};

/// `aws_vpc`, `aws_default_vpc`: flow logs are any `aws_flow_log` naming the VPC.
pub(super) fn vpc(d: &Derive<'_>, f: &mut Setter<'_>) {
    f.set("flow_logs", Some(d.linked("aws_flow_log").next().is_some()));
}

/// `aws_subnet`: `map_public_ip_on_launch` defaults to false.
pub(super) fn subnet(d: &Derive<'_>, f: &mut Setter<'_>) {
    f.set(
        "public_ip_on_launch",
        bool_at(d.r, "/map_public_ip_on_launch", false),
    );
}

/// One ingress entry of a network ACL.
struct Entry {
    number: i64,
    allow: bool,
    protocol: String,
    from: i64,
    to: i64,
    cidr: String,
}

/// An entry from its fields; `None` when a field the entry's effect depends on is unknown
/// (an unknown elsewhere, such as `network_acl_id`, changes nothing); `Some(None)` for an
/// entry without a rule number, which the provider would refuse.
fn entry(at: &At<'_>, number_key: &str, action_key: &str) -> Option<Option<Entry>> {
    let number = at.int(&format!("/{number_key}"), -1)?;
    if number < 0 {
        return Some(None);
    }
    let protocol = protocol_name(&at.text("/protocol")?);
    let (from, to) = if protocol == "-1" {
        (0, 65535)
    } else {
        let from = at.int("/from_port", 0)?;
        let to = at.int("/to_port", from)?;
        if from <= 0 && to <= 0 {
            (0, 65535)
        } else {
            (from, to)
        }
    };
    let cidr = at.text("/cidr_block")?;
    let cidr = if cidr.is_empty() {
        at.text("/ipv6_cidr_block")?
    } else {
        cidr
    };
    Some(Some(Entry {
        number,
        allow: at
            .text(&format!("/{action_key}"))?
            .eq_ignore_ascii_case("allow"),
        protocol,
        from,
        to,
        cidr: cidr.into_owned(),
    }))
}

/// Inline `ingress` blocks and `aws_network_acl_rule` satellites; `None` if a field of an
/// entry is unknown, since any entry may open or close what the others leave.
fn ingress_entries(d: &Derive<'_>) -> Option<Vec<Entry>> {
    let mut entries = Vec::new();
    for at in elements(d.r, "/ingress")? {
        entries.extend(entry(&at, "rule_no", "action")?);
    }
    for rule in d.linked("aws_network_acl_rule") {
        if bool_at(rule, "/egress", false)? {
            continue;
        }
        entries.extend(entry(&At::root(rule), "rule_number", "rule_action")?);
    }
    entries.sort_by_key(|e| e.number);
    Some(entries)
}

/// Removes `[from, to]` from a list of port ranges.
fn subtract(ranges: Vec<(i64, i64)>, from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    for (a, b) in ranges {
        if to < a || from > b {
            out.push((a, b));
            continue;
        }
        if a < from {
            out.push((a, from - 1));
        }
        if b > to {
            out.push((to + 1, b));
        }
    }
    out
}

/// `aws_network_acl`, `aws_default_network_acl`: the port ranges an internet-wide allow rule
/// opens, after the lower-numbered deny rules that take precedence over it.
pub(super) fn network_acl(d: &Derive<'_>, f: &mut Setter<'_>) {
    let open = ingress_entries(d).map(|entries| {
        let mut open: Vec<(String, i64, i64, String)> = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            if !e.allow || !world(&e.cidr) {
                continue;
            }
            let mut ranges = vec![(e.from, e.to)];
            for deny in entries[..i].iter().filter(|x| !x.allow && world(&x.cidr)) {
                if deny.protocol == "-1" || deny.protocol == e.protocol {
                    ranges = subtract(ranges, deny.from, deny.to);
                }
            }
            for (from, to) in ranges {
                open.push((e.protocol.clone(), from, to, e.cidr.clone()));
            }
        }
        open
    });
    f.set(
        "open_ingress",
        open.map(|open| {
            open_ranges(
                open.iter()
                    .map(|(p, a, b, c)| (p.as_str(), *a, *b, c.as_str())),
            )
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtracts_port_ranges() {
        assert_eq!(subtract(vec![(0, 65535)], 22, 22), [(0, 21), (23, 65535)]);
        assert_eq!(subtract(vec![(22, 22)], 0, 1024), []);
        assert_eq!(subtract(vec![(80, 90)], 100, 200), [(80, 90)]);
    }
}
