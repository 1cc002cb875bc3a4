//! ElastiCache: replication groups (Redis / Valkey) and clusters outside a replication group
//! (Memcached, single-node Redis).

use aws_sdk_elasticache::Client;
use serde_json::json;

use super::Cx;
use super::shared::{Out, b, n, s, se, strings};

const SERVICE: &str = "elasticache";
const GROUP: &str = "aws_elasticache_replication_group";
const CLUSTER: &str = "aws_elasticache_cluster";

pub(super) const KINDS: &[&str] = &[GROUP, CLUSTER];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let scope = &cx.scope;
    let (groups, clusters) = tokio::join!(
        client
            .describe_replication_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
        client
            .describe_cache_clusters()
            .into_paginator()
            .items()
            .send()
            .try_collect(),
    );
    let groups = out.listed(
        scope,
        SERVICE,
        &[GROUP],
        "DescribeReplicationGroups",
        groups,
    );
    for g in groups {
        let Some(id) = out.required(
            scope,
            SERVICE,
            GROUP,
            g.replication_group_id(),
            "ReplicationGroupId (DescribeReplicationGroups)",
        ) else {
            continue;
        };
        let arn = g.arn().map_or_else(
            || scope.arn("elasticache", &format!("replicationgroup:{id}")),
            str::to_string,
        );
        out.push(scope.resource(
            GROUP,
            id,
            Some(arn.clone()),
            json!({
                "id": id,
                "replication_group_id": id,
                "arn": arn,
                "description": s(g.description()),
                "engine": s(g.engine()),
                "node_type": s(g.cache_node_type()),
                "at_rest_encryption_enabled": b(g.at_rest_encryption_enabled()),
                "transit_encryption_enabled": b(g.transit_encryption_enabled()),
                "transit_encryption_mode": s(g.transit_encryption_mode().map(|m| m.as_str())),
                "auth_token_enabled": b(g.auth_token_enabled()),
                "kms_key_id": se(g.kms_key_id()),
                "automatic_failover_enabled": json!(matches!(g.automatic_failover().map(|a| a.as_str()), Some("enabled" | "enabling"))),
                "multi_az_enabled": json!(g.multi_az().map(|m| m.as_str()) == Some("enabled")),
                "num_cache_clusters": n(Some(g.member_clusters().len() as i64)),
                "num_node_groups": n(Some(g.node_groups().len() as i64)),
                "member_clusters": strings(g.member_clusters().iter().map(String::as_str)),
                "snapshot_retention_limit": n(g.snapshot_retention_limit().map(i64::from)),
                "snapshot_window": s(g.snapshot_window()),
                "auto_minor_version_upgrade": b(g.auto_minor_version_upgrade()),
                "cluster_mode": s(g.cluster_mode().map(|m| m.as_str())),
            }),
        ));
    }
    let clusters = out.listed(
        scope,
        SERVICE,
        &[CLUSTER],
        "DescribeCacheClusters",
        clusters,
    );
    // Members of a replication group are described by the group.
    for c in clusters
        .iter()
        .filter(|c| c.replication_group_id().is_none())
    {
        let Some(id) = out.required(
            scope,
            SERVICE,
            CLUSTER,
            c.cache_cluster_id(),
            "CacheClusterId (DescribeCacheClusters)",
        ) else {
            continue;
        };
        let arn = c.arn().map_or_else(
            || scope.arn("elasticache", &format!("cluster:{id}")),
            str::to_string,
        );
        out.push(scope.resource(
            CLUSTER,
            id,
            Some(arn.clone()),
            json!({
                "id": id,
                "cluster_id": id,
                "arn": arn,
                "engine": s(c.engine()),
                "engine_version": s(c.engine_version()),
                "node_type": s(c.cache_node_type()),
                "num_cache_nodes": n(c.num_cache_nodes().map(i64::from)),
                "at_rest_encryption_enabled": b(c.at_rest_encryption_enabled()),
                "transit_encryption_enabled": b(c.transit_encryption_enabled()),
                "snapshot_retention_limit": n(c.snapshot_retention_limit().map(i64::from)),
                "subnet_group_name": s(c.cache_subnet_group_name()),
                "security_group_ids": strings(c.security_groups().iter().filter_map(|g| g.security_group_id())),
                "auto_minor_version_upgrade": b(c.auto_minor_version_upgrade()),
            }),
        ));
    }
    out
}
