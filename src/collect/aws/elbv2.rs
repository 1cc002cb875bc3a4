//! Elastic Load Balancing v2: application, network and gateway load balancers with the
//! attributes that matter for compliance (access logs, deletion protection, invalid header
//! handling), and their listeners (protocol, TLS policy, certificate, default actions).

use aws_sdk_elasticloadbalancingv2::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, bounded, describe, n, s, se, strings, tag_map};

const SERVICE: &str = "elbv2";
const LB: &str = "aws_lb";
const LISTENER: &str = "aws_lb_listener";

pub(super) const KINDS: &[&str] = &[LB, LISTENER];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let lbs = client
        .describe_load_balancers()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let lbs = out.listed(&cx.scope, SERVICE, KINDS, "DescribeLoadBalancers", lbs);
    // Tags come 20 load balancers at a time.
    let arns: Vec<String> = lbs
        .iter()
        .filter_map(|l| l.load_balancer_arn().map(str::to_string))
        .collect();
    let mut tags: std::collections::HashMap<String, Value> = Default::default();
    let mut tags_error = None;
    for chunk in arns.chunks(20) {
        match client
            .describe_tags()
            .set_resource_arns(Some(chunk.to_vec()))
            .send()
            .await
        {
            Ok(o) => {
                for d in o.tag_descriptions() {
                    if let Some(arn) = d.resource_arn() {
                        tags.insert(
                            arn.to_string(),
                            tag_map(d.tags().iter().map(|t| (t.key(), t.value()))),
                        );
                    }
                }
            }
            Err(e) => tags_error = Some(describe(&e)),
        }
    }
    let scope = cx.scope.clone();
    let results = bounded(lbs, cx.fanout, |lb| {
        let client = client.clone();
        let scope = scope.clone();
        async move { load_balancer(&scope, &client, &lb).await }
    })
    .await;
    for mut lb_out in results {
        for r in lb_out.resources.iter_mut().filter(|r| r.kind == LB) {
            match (r.cloud_id.as_ref().and_then(|a| tags.get(a)), &tags_error) {
                (Some(t), _) => r.attrs["tags"] = t.clone(),
                (None, Some(m)) => {
                    let mut pending = Out::default();
                    pending.unreadable(r, &["/tags"], SERVICE, m.clone());
                    out.errors.append(&mut pending.errors);
                }
                (None, None) => r.attrs["tags"] = json!({}),
            }
        }
        out.merge(lb_out);
    }
    out
}

async fn load_balancer(
    scope: &Scope,
    client: &Client,
    lb: &aws_sdk_elasticloadbalancingv2::types::LoadBalancer,
) -> Out {
    let mut out = Out::default();
    let (Some(arn), Some(name)) = (lb.load_balancer_arn(), lb.load_balancer_name()) else {
        return out;
    };
    let mut r = scope.resource(
        LB,
        name,
        Some(arn.to_string()),
        json!({
            "id": arn,
            "arn": arn,
            "name": name,
            "load_balancer_type": s(lb.r#type().map(|t| t.as_str())),
            "internal": json!(lb.scheme().map(|s| s.as_str()) == Some("internal")),
            "dns_name": s(lb.dns_name()),
            "vpc_id": s(lb.vpc_id()),
            "ip_address_type": s(lb.ip_address_type().map(|t| t.as_str())),
            "security_groups": strings(lb.security_groups().iter().map(String::as_str)),
            "subnets": strings(lb.availability_zones().iter().filter_map(|z| z.subnet_id())),
        }),
    );
    match client
        .describe_load_balancer_attributes()
        .load_balancer_arn(arn)
        .send()
        .await
    {
        Ok(o) => {
            let attr = |k: &str| {
                o.attributes()
                    .iter()
                    .find(|a| a.key() == Some(k))
                    .and_then(|a| a.value())
            };
            let flag = |k: &str| attr(k).map(|v| json!(v == "true")).unwrap_or(Value::Null);
            r.attrs["access_logs"] = json!([{
                "enabled": attr("access_logs.s3.enabled") == Some("true"),
                "bucket": se(attr("access_logs.s3.bucket")),
                "prefix": se(attr("access_logs.s3.prefix")),
            }]);
            r.attrs["enable_deletion_protection"] = flag("deletion_protection.enabled");
            r.attrs["drop_invalid_header_fields"] =
                flag("routing.http.drop_invalid_header_fields.enabled");
            r.attrs["desync_mitigation_mode"] = s(attr("routing.http.desync_mitigation_mode"));
            r.attrs["enable_cross_zone_load_balancing"] = flag("load_balancing.cross_zone.enabled");
        }
        Err(e) => out.unreadable(
            &mut r,
            &[
                "/access_logs",
                "/enable_deletion_protection",
                "/drop_invalid_header_fields",
            ],
            SERVICE,
            describe(&e),
        ),
    }
    match client
        .describe_listeners()
        .load_balancer_arn(arn)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
    {
        Ok(listeners) => {
            for l in listeners {
                let Some(listener_arn) = out.required(
                    scope,
                    SERVICE,
                    LISTENER,
                    l.listener_arn(),
                    "ListenerArn (DescribeListeners)",
                ) else {
                    continue;
                };
                let id = listener_arn.rsplit('/').next().unwrap_or(listener_arn);
                let actions: Vec<Value> = l
                    .default_actions()
                    .iter()
                    .map(|a| {
                        let redirect = a.redirect_config().map(|r| {
                            json!([{
                                "protocol": s(r.protocol()),
                                "port": s(r.port()),
                                "host": s(r.host()),
                                "path": s(r.path()),
                                "status_code": s(r.status_code().map(|c| c.as_str())),
                            }])
                        });
                        json!({
                            "type": s(a.r#type().map(|t| t.as_str())),
                            "order": n(a.order().map(i64::from)),
                            "target_group_arn": se(a.target_group_arn()),
                            "redirect": redirect.unwrap_or(json!([])),
                        })
                    })
                    .collect();
                out.push(scope.resource(
                    LISTENER,
                    &format!("{name}/{id}"),
                    Some(listener_arn.to_string()),
                    json!({
                        "id": listener_arn,
                        "arn": listener_arn,
                        "load_balancer_arn": arn,
                        "port": n(l.port().map(i64::from)),
                        "protocol": s(l.protocol().map(|p| p.as_str())),
                        "ssl_policy": se(l.ssl_policy()),
                        "certificate_arn": se(l.certificates().iter().find_map(|c| c.certificate_arn())),
                        "alpn_policy": se(l.alpn_policy().first().map(String::as_str)),
                        "default_action": actions,
                    }),
                ));
            }
        }
        Err(e) => out.missing(
            scope,
            SERVICE,
            &[LISTENER],
            format!("DescribeListeners {name}: {}", describe(&e)),
        ),
    }
    out.push(r);
    out
}
