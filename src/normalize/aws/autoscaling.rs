//! EC2 Auto Scaling groups.

use serde_json::Value;

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{as_bool, int_at, known_list, list_at, str_at, strings_at};

pub(super) fn group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("min_size", int_at(r, "/min_size", 0));
    f.set("max_size", int_at(r, "/max_size", 0));
    // Zones: the listed Availability Zones, or the subnets of vpc_zone_identifier (one per
    // zone in any sane layout). Subnets known only after apply count by reference.
    let zones = match (
        strings_at(r, "/availability_zones"),
        strings_at(r, "/vpc_zone_identifier"),
    ) {
        (Some(a), Some(s)) => Some(a.len().max(s.len()) as i64),
        (Some(a), None) => r
            .references
            .get("/vpc_zone_identifier")
            .map(|ids| a.len().max(ids.len()) as i64),
        _ => None,
    };
    f.set("zones", zones);
    // EC2 status checks unless told to use the load balancer's; a 300 s grace period.
    f.set(
        "health_check_type",
        str_at(r, "/health_check_type").map(|t| if t.is_empty() { "EC2".into() } else { t }),
    );
    f.set(
        "health_check_grace_period",
        int_at(r, "/health_check_grace_period", 300),
    );
    let attached = d.linked("aws_autoscaling_attachment").next().is_some()
        || d.linked("aws_autoscaling_traffic_source_attachment")
            .next()
            .is_some();
    f.set(
        "load_balanced",
        match (
            list_at(r, "/target_group_arns"),
            list_at(r, "/load_balancers"),
            list_at(r, "/traffic_source"),
        ) {
            (Some(t), Some(l), Some(s)) => {
                Some(attached || !t.is_empty() || !l.is_empty() || !s.is_empty())
            }
            _ => None,
        },
    );
    // Tags that reach the instances: `tag` blocks (and the older `tags` list) with
    // propagate_at_launch.
    f.set(
        "propagated_tags",
        known_list(r, "/tag").map(|tags| {
            let mut keys: Vec<String> = tags
                .iter()
                .chain(list_at(r, "/tags").unwrap_or_default())
                .filter(|t| {
                    t.get("propagate_at_launch")
                        .and_then(as_bool)
                        .unwrap_or(false)
                })
                .filter_map(|t| t.get("key").and_then(Value::as_str))
                .map(str::to_string)
                .collect();
            keys.sort();
            keys.dedup();
            keys
        }),
    );
}
