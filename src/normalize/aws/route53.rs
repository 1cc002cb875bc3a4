//! Route 53 records.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{bool_at, has_block, str_or_ref};

/// A record with a failover routing policy, and whether its health is checked: a
/// `health_check_id`, or an alias that evaluates its target's health.
pub(super) fn record(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("failover", has_block(r, "/failover_routing_policy"));
    let checked = str_or_ref(r, "/health_check_id").map(|h| !h.is_empty());
    let alias = bool_at(r, "/alias/0/evaluate_target_health", false);
    f.set(
        "health_check",
        match (checked, alias) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
    );
}
