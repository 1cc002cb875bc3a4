//! SNS: topics with their encryption key, resource policy, tags and how many subscriptions
//! each has confirmed, the fact the CIS AWS monitoring controls ask of an alarm's topic (it
//! must reach someone). Subscriptions are counted from `ListSubscriptionsByTopic`, as the
//! benchmark's audit does (a pending one has no ARN yet), and not kept: their endpoints are
//! e-mail addresses, phone numbers and URLs that may carry tokens.

use std::collections::HashMap;

use aws_sdk_sns::Client;
use serde_json::{Value, json};

use super::Cx;
use super::shared::{Out, Scope, bounded, describe, policy_document, s, se, tag_map};

const SERVICE: &str = "sns";
const TOPIC: &str = "aws_sns_topic";

pub(super) const KINDS: &[&str] = &[TOPIC];

pub(super) async fn collect(cx: Cx) -> Out {
    let client = Client::new(&cx.config);
    let mut out = Out::default();
    out.covers(KINDS);
    let topics = client
        .list_topics()
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await;
    let topics = out.listed(&cx.scope, SERVICE, KINDS, "ListTopics", topics);
    let arns: Vec<String> = topics
        .iter()
        .filter_map(|t| {
            out.required(
                &cx.scope,
                SERVICE,
                TOPIC,
                t.topic_arn(),
                "TopicArn (ListTopics)",
            )
            .map(str::to_string)
        })
        .collect();
    let scope = cx.scope.clone();
    for topic_out in bounded(arns, cx.fanout, |arn| {
        let client = client.clone();
        let scope = scope.clone();
        async move { topic(&scope, &client, &arn).await }
    })
    .await
    {
        out.merge(topic_out);
    }
    out
}

/// One topic: its attributes (without them it is not known what it is, so a failure leaves
/// the kind incomplete) and its tags (a failure leaves only the tags unknown).
async fn topic(scope: &Scope, client: &Client, arn: &str) -> Out {
    let mut out = Out::default();
    let (attributes, tags, subscriptions) = tokio::join!(
        client.get_topic_attributes().topic_arn(arn).send(),
        client.list_tags_for_resource().resource_arn(arn).send(),
        client
            .list_subscriptions_by_topic()
            .topic_arn(arn)
            .into_paginator()
            .items()
            .send()
            .try_collect(),
    );
    let attributes = match attributes {
        Ok(a) => a.attributes().cloned().unwrap_or_default(),
        Err(e) => {
            out.missing(
                scope,
                SERVICE,
                KINDS,
                format!("GetTopicAttributes {arn}: {}", describe(&e)),
            );
            return out;
        }
    };
    let name = arn.rsplit(':').next().unwrap_or(arn);
    let mut r = scope.resource(
        TOPIC,
        name,
        Some(arn.to_string()),
        topic_attrs(arn, name, &attributes),
    );
    match tags {
        Ok(t) => {
            r.attrs["tags"] = tag_map(t.tags().iter().map(|t| (t.key(), t.value())));
        }
        Err(e) => out.unreadable(&mut r, &["/tags"], SERVICE, describe(&e)),
    }
    match subscriptions {
        Ok(subs) => {
            let confirmed = subs
                .iter()
                .filter(|s| s.subscription_arn().is_some_and(|a| a.starts_with("arn:")))
                .count();
            r.attrs["subscriptions_confirmed"] = json!(confirmed);
        }
        Err(e) => out.unreadable(&mut r, &["/subscriptions_confirmed"], SERVICE, describe(&e)),
    }
    out.push(r);
    out
}

/// A topic in the provider's shape, from the `GetTopicAttributes` map.
fn topic_attrs(arn: &str, name: &str, a: &HashMap<String, String>) -> Value {
    let get = |k: &str| a.get(k).map(String::as_str);
    let flag = |k: &str| json!(get(k) == Some("true"));
    let count = |k: &str| match get(k).map(str::parse::<i64>) {
        Some(Ok(n)) => json!(n),
        _ => Value::Null,
    };
    json!({
        "id": arn,
        "arn": arn,
        "name": name,
        "display_name": se(get("DisplayName")),
        "owner": s(get("Owner")),
        "kms_master_key_id": se(get("KmsMasterKeyId")),
        "policy": get("Policy").map_or(Value::Null, policy_document),
        "delivery_policy": se(get("DeliveryPolicy")),
        "fifo_topic": flag("FifoTopic"),
        "content_based_deduplication": flag("ContentBasedDeduplication"),
        "signature_version": count("SignatureVersion"),
        "tracing_config": se(get("TracingConfig")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_reads_the_attribute_map_into_the_provider_shape() {
        let a: HashMap<String, String> = [
            ("KmsMasterKeyId", "alias/aws/sns"),
            ("SignatureVersion", "2"),
            ("FifoTopic", "false"),
            ("Policy", "{\"Version\": \"2012-10-17\", \"Statement\": []}"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let v = topic_attrs("arn:aws:sns:eu-west-1:123456789012:alerts", "alerts", &a);
        assert_eq!(v["kms_master_key_id"], "alias/aws/sns");
        assert_eq!(v["signature_version"], 2);
        assert_eq!(v["fifo_topic"], false);
        assert_eq!(v["policy"], "{\"Statement\":[],\"Version\":\"2012-10-17\"}");
        assert_eq!(v["display_name"], "");
    }
}
