//! ElastiCache replication groups (Redis OSS, Valkey).

use super::customer_key;
use crate::inventory::Attr;
use crate::normalize::facets::Setter;
use crate::normalize::value::{as_int, bool_at, int_at, list_at, region_of, str_at, str_or_ref};
use crate::normalize::{Derive, continuity};

pub(super) fn replication_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let engine = str_at(r, "/engine").map(|e| if e.is_empty() { "redis".into() } else { e });
    f.set("engine", engine.clone());
    // Encryption at rest and in transit are off unless asked for with Redis OSS; Valkey's
    // defaults depend on the engine version, so an unset value there is unknown.
    let flag = |pointer: &str| match (r.attr(pointer), engine.as_deref()) {
        (Attr::Absent, Some("valkey")) | (_, None) => None,
        _ => bool_at(r, pointer, false),
    };
    f.set("encrypted_at_rest", flag("/at_rest_encryption_enabled"));
    f.set("encrypted_in_transit", flag("/transit_encryption_enabled"));
    f.set("kms_key", customer_key(str_or_ref(r, "/kms_key_id")));
    // Replicas per shard: `num_cache_clusters` counts the primary (default 1), cluster mode
    // sets `replicas_per_node_group`, and state lists `member_clusters`.
    let replicas = match (
        r.attr("/num_cache_clusters"),
        r.attr("/replicas_per_node_group"),
    ) {
        (Attr::Unknown, _) | (_, Attr::Unknown) => None,
        (Attr::Known(n), _) => as_int(n).map(|n| (n - 1).max(0)),
        (_, Attr::Known(n)) => as_int(n),
        (Attr::Absent, Attr::Absent) => match list_at(r, "/member_clusters") {
            Some(m) if !m.is_empty() => {
                let shards = int_at(r, "/num_node_groups", 1).unwrap_or(1).max(1);
                Some((m.len() as i64 / shards - 1).max(0))
            }
            Some(_) => Some(0),
            None => None,
        },
    };
    f.set("replicas", replicas);
    let failover = bool_at(r, "/automatic_failover_enabled", false);
    f.set("automatic_failover", failover);
    let multi_az = bool_at(r, "/multi_az_enabled", false);
    f.set(
        "multi_az",
        match (multi_az, failover, replicas) {
            (Some(m), Some(a), Some(n)) => Some(m && a && n > 0),
            _ => None,
        },
    );
    let snapshots = int_at(r, "/snapshot_retention_limit", 0);
    f.set("backup_retention_days", snapshots);
    f.set(
        "auto_minor_version_upgrade",
        bool_at(r, "/auto_minor_version_upgrade", true),
    );
    f.set(
        "cross_region_copy",
        str_at(r, "/global_replication_group_id").map(|g| !g.is_empty()),
    );
    f.set("region", region_of(r));
    let (rpo, rto) = continuity::elasticache(replicas, failover, snapshots);
    continuity::set(f, rpo, rto);
}
