//! VPC networking: flow logs on VPCs, public addressing of subnets, network ACL rules.

use super::ec2::{open_ranges, protocol_name, world};
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{as_int, bool_at, known_list};

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

fn entry(value: &serde_json::Value, number_key: &str, action_key: &str) -> Option<Entry> {
    let text = |k: &str| value.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let protocol = protocol_name(
        &value
            .get("protocol")
            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
            .unwrap_or_default(),
    );
    let (from, to) = if protocol == "-1" {
        (0, 65535)
    } else {
        let from = value.get("from_port").and_then(as_int).unwrap_or(0);
        let to = value.get("to_port").and_then(as_int).unwrap_or(from);
        if from <= 0 && to <= 0 {
            (0, 65535)
        } else {
            (from, to)
        }
    };
    let cidr = [text("cidr_block"), text("ipv6_cidr_block")]
        .into_iter()
        .find(|c| !c.is_empty())
        .unwrap_or("")
        .to_string();
    Some(Entry {
        number: value.get(number_key).and_then(as_int)?,
        allow: text(action_key).eq_ignore_ascii_case("allow"),
        protocol,
        from,
        to,
        cidr,
    })
}

/// Inline `ingress` blocks and `aws_network_acl_rule` satellites; `None` if any is unknown.
fn ingress_entries(d: &Derive<'_>) -> Option<Vec<Entry>> {
    let mut entries = Vec::new();
    for value in known_list(d.r, "/ingress")? {
        entries.extend(entry(value, "rule_no", "action"));
    }
    for rule in d.linked("aws_network_acl_rule") {
        if bool_at(rule, "/egress", false)? {
            continue;
        }
        if rule.unknown.iter().any(|u| u != "/id") {
            return None;
        }
        entries.extend(entry(&rule.attrs, "rule_number", "rule_action"));
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
