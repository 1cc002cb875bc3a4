//! EC2 Auto Scaling groups.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{At, elements, int_at, list_at, str_at, strings_at};

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
    // propagate_at_launch. A tag whose value alone is unknown still has a known key.
    let propagated = |list: Option<Vec<At<'_>>>| -> Option<Vec<String>> {
        let mut keys = Vec::new();
        for t in list? {
            if t.bool("/propagate_at_launch", false)? {
                keys.push(t.text("/key")?.into_owned());
            }
        }
        Some(keys)
    };
    f.set(
        "propagated_tags",
        propagated(elements(r, "/tag"))
            // The older `tags` list reads as unknown whenever `tags_all` is: it adds only
            // what is known of it.
            .zip(propagated(elements(r, "/tags").or(Some(Vec::new()))))
            .map(|(mut keys, more)| {
                keys.extend(more);
                keys.retain(|k| !k.is_empty());
                keys.sort();
                keys.dedup();
                keys
            }),
    );
}
