//! EKS: clusters with endpoint access, control-plane logging and secrets encryption.

use aws_sdk_eks::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, b, bounded, describe, s, strings, tag_map};

const SERVICE: &str = "eks";
const CLUSTER: &str = "aws_eks_cluster";

pub(super) const KINDS: &[&str] = &[CLUSTER];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let names = client
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let names = out.listed(&cx.scope, SERVICE, KINDS, "ListClusters", names);
    let described = bounded(names, cx.fanout, |name| {
        let client = client.clone();
        async move {
            let result = client
                .describe_cluster()
                .name(&name)
                .send()
                .await
                .map_err(|e| describe(&e));
            (name, result)
        }
    })
    .await;
    let scope = &cx.scope;
    for (name, result) in described {
        let c = match result {
            Ok(o) => match o.cluster() {
                Some(c) => c.clone(),
                None => continue,
            },
            Err(m) => {
                out.missing(
                    scope,
                    SERVICE,
                    KINDS,
                    format!("DescribeCluster {name}: {m}"),
                );
                continue;
            }
        };
        let arn = c.arn().map(str::to_string);
        let vpc = c.resources_vpc_config().map(|v| {
            json!([{
                "endpoint_public_access": v.endpoint_public_access(),
                "endpoint_private_access": v.endpoint_private_access(),
                "public_access_cidrs": strings(v.public_access_cidrs().iter().map(String::as_str)),
                "subnet_ids": strings(v.subnet_ids().iter().map(String::as_str)),
                "security_group_ids": strings(v.security_group_ids().iter().map(String::as_str)),
                "cluster_security_group_id": s(v.cluster_security_group_id()),
                "vpc_id": s(v.vpc_id()),
            }])
        });
        let logs: Vec<&str> = c
            .logging()
            .map(|l| l.cluster_logging())
            .unwrap_or_default()
            .iter()
            .filter(|setup| setup.enabled() == Some(true))
            .flat_map(|setup| setup.types().iter().map(|t| t.as_str()))
            .collect();
        let encryption: Vec<Value> = c
            .encryption_config()
            .iter()
            .map(|e| json!({"provider": [{"key_arn": s(e.provider().and_then(|p| p.key_arn()))}]}))
            .collect();
        let mut tags: Vec<(&String, &String)> =
            c.tags().map(|t| t.iter().collect()).unwrap_or_default();
        tags.sort();
        out.push(scope.resource(
            CLUSTER,
            &name,
            arn.clone(),
            json!({
                "id": name,
                "name": name,
                "arn": s(arn.as_deref()),
                "version": s(c.version()),
                "role_arn": s(c.role_arn()),
                "vpc_config": vpc.unwrap_or(json!([])),
                "enabled_cluster_log_types": strings(logs),
                "encryption_config": encryption,
                "deletion_protection": b(c.deletion_protection()),
                "tags": tag_map(tags.into_iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            }),
        ));
    }
    out
}
