//! Auto Scaling: groups with their sizes, zones, health checks, launch template and tags.

use aws_sdk_autoscaling::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, b, n, s, se, strings, tag_map};

const SERVICE: &str = "autoscaling";
const GROUP: &str = "aws_autoscaling_group";

pub(super) const KINDS: &[&str] = &[GROUP];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let groups = client
        .describe_auto_scaling_groups()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let groups = out.listed(
        &cx.scope,
        SERVICE,
        KINDS,
        "DescribeAutoScalingGroups",
        groups,
    );
    let scope = &cx.scope;
    for g in groups {
        let Some(name) = out.required(
            scope,
            SERVICE,
            GROUP,
            g.auto_scaling_group_name(),
            "AutoScalingGroupName (DescribeAutoScalingGroups)",
        ) else {
            continue;
        };
        let arn = g.auto_scaling_group_arn().map(str::to_string);
        let template = g.launch_template().map(|t| {
            json!([{"id": s(t.launch_template_id()), "name": s(t.launch_template_name()), "version": s(t.version())}])
        });
        let tag_blocks: Vec<Value> = g
            .tags()
            .iter()
            .map(|t| json!({"key": s(t.key()), "value": s(t.value()), "propagate_at_launch": b(t.propagate_at_launch())}))
            .collect();
        let subnets: Vec<&str> = g
            .vpc_zone_identifier()
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        out.push(scope.resource(
            GROUP,
            name,
            arn.clone(),
            json!({
                "id": name,
                "name": name,
                "arn": s(arn.as_deref()),
                "min_size": n(g.min_size().map(i64::from)),
                "max_size": n(g.max_size().map(i64::from)),
                "desired_capacity": n(g.desired_capacity().map(i64::from)),
                "availability_zones": strings(g.availability_zones().iter().map(String::as_str)),
                "vpc_zone_identifier": strings(subnets),
                "health_check_type": s(g.health_check_type()),
                "health_check_grace_period": n(g.health_check_grace_period().map(i64::from)),
                "launch_configuration": se(g.launch_configuration_name()),
                "launch_template": template.unwrap_or(json!([])),
                "capacity_rebalance": b(g.capacity_rebalance()),
                "max_instance_lifetime": n(g.max_instance_lifetime().map(i64::from)),
                "target_group_arns": strings(std::iter::empty()),
                "load_balancers": strings(g.load_balancer_names().iter().map(String::as_str)),
                "tag": tag_blocks,
                "tags": tag_map(g.tags().iter().map(|t| (t.key(), t.value()))),
            }),
        ));
    }
    out
}
