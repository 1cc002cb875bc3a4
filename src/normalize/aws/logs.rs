//! CloudWatch Logs log groups, and what the CIS AWS monitoring controls (4.1-4.15) ask of the
//! group CloudTrail delivers to: a metric filter per class of event, with an alarm on it.

use serde_json::Value;

use super::encryption;
use crate::inventory::{Attr, Resource};
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{At, any_of, arn_of, int_at, names_arn, str_at, str_or_ref};

const TOPIC: &str = "aws_sns_topic";

/// The classes of CloudTrail event the CIS AWS monitoring controls name, each with the terms a
/// metric filter's pattern must hold to match those events (whitespace and double quotes
/// removed, so `$.eventName = "CreateTrail"` and `$.eventName=CreateTrail` are one term). A
/// pattern holding every term of a class counts for it, whatever else it adds. Terms follow
/// the patterns the benchmark gives.
pub(crate) const MONITORED_EVENTS: &[(&str, &[&str])] = &[
    (
        "unauthorized_api_calls",
        &[
            "$.errorCode=*UnauthorizedOperation",
            "$.errorCode=AccessDenied*",
        ],
    ),
    (
        "console_sign_in_without_mfa",
        &[
            "$.eventName=ConsoleLogin",
            "$.additionalEventData.MFAUsed!=Yes",
        ],
    ),
    (
        "root_usage",
        &[
            "$.userIdentity.type=Root",
            "$.userIdentity.invokedByNOTEXISTS",
            "$.eventType!=AwsServiceEvent",
        ],
    ),
    (
        "iam_policy_changes",
        &[
            "$.eventName=DeleteGroupPolicy",
            "$.eventName=DeleteRolePolicy",
            "$.eventName=DeleteUserPolicy",
            "$.eventName=PutGroupPolicy",
            "$.eventName=PutRolePolicy",
            "$.eventName=PutUserPolicy",
            "$.eventName=CreatePolicy",
            "$.eventName=DeletePolicy",
            "$.eventName=CreatePolicyVersion",
            "$.eventName=DeletePolicyVersion",
            "$.eventName=AttachRolePolicy",
            "$.eventName=DetachRolePolicy",
            "$.eventName=AttachUserPolicy",
            "$.eventName=DetachUserPolicy",
            "$.eventName=AttachGroupPolicy",
            "$.eventName=DetachGroupPolicy",
        ],
    ),
    (
        "cloudtrail_changes",
        &[
            "$.eventName=CreateTrail",
            "$.eventName=UpdateTrail",
            "$.eventName=DeleteTrail",
            "$.eventName=StartLogging",
            "$.eventName=StopLogging",
        ],
    ),
    (
        "console_authentication_failures",
        &[
            "$.eventName=ConsoleLogin",
            "$.errorMessage=Failedauthentication",
        ],
    ),
    (
        "cmk_disabled_or_deleted",
        &[
            "$.eventSource=kms.amazonaws.com",
            "$.eventName=DisableKey",
            "$.eventName=ScheduleKeyDeletion",
        ],
    ),
    (
        "s3_bucket_policy_changes",
        &[
            "$.eventSource=s3.amazonaws.com",
            "$.eventName=PutBucketAcl",
            "$.eventName=PutBucketPolicy",
            "$.eventName=PutBucketCors",
            "$.eventName=PutBucketLifecycle",
            "$.eventName=PutBucketReplication",
            "$.eventName=DeleteBucketPolicy",
            "$.eventName=DeleteBucketCors",
            "$.eventName=DeleteBucketLifecycle",
            "$.eventName=DeleteBucketReplication",
        ],
    ),
    (
        "config_changes",
        &[
            "$.eventSource=config.amazonaws.com",
            "$.eventName=StopConfigurationRecorder",
            "$.eventName=DeleteDeliveryChannel",
            "$.eventName=PutDeliveryChannel",
            "$.eventName=PutConfigurationRecorder",
        ],
    ),
    (
        "security_group_changes",
        &[
            "$.eventName=AuthorizeSecurityGroupIngress",
            "$.eventName=AuthorizeSecurityGroupEgress",
            "$.eventName=RevokeSecurityGroupIngress",
            "$.eventName=RevokeSecurityGroupEgress",
            "$.eventName=CreateSecurityGroup",
            "$.eventName=DeleteSecurityGroup",
        ],
    ),
    (
        "nacl_changes",
        &[
            "$.eventName=CreateNetworkAcl",
            "$.eventName=CreateNetworkAclEntry",
            "$.eventName=DeleteNetworkAcl",
            "$.eventName=DeleteNetworkAclEntry",
            "$.eventName=ReplaceNetworkAclEntry",
            "$.eventName=ReplaceNetworkAclAssociation",
        ],
    ),
    (
        "network_gateway_changes",
        &[
            "$.eventName=CreateCustomerGateway",
            "$.eventName=DeleteCustomerGateway",
            "$.eventName=AttachInternetGateway",
            "$.eventName=CreateInternetGateway",
            "$.eventName=DeleteInternetGateway",
            "$.eventName=DetachInternetGateway",
        ],
    ),
    (
        "route_table_changes",
        &[
            "$.eventName=CreateRoute",
            "$.eventName=CreateRouteTable",
            "$.eventName=ReplaceRoute",
            "$.eventName=ReplaceRouteTableAssociation",
            "$.eventName=DeleteRouteTable",
            "$.eventName=DeleteRoute",
            "$.eventName=DisassociateRouteTable",
        ],
    ),
    (
        "vpc_changes",
        &[
            "$.eventName=CreateVpc",
            "$.eventName=DeleteVpc",
            "$.eventName=ModifyVpcAttribute",
            "$.eventName=AcceptVpcPeeringConnection",
            "$.eventName=CreateVpcPeeringConnection",
            "$.eventName=DeleteVpcPeeringConnection",
            "$.eventName=RejectVpcPeeringConnection",
        ],
    ),
    (
        "organizations_changes",
        &[
            "$.eventSource=organizations.amazonaws.com",
            "$.eventName=AcceptHandshake",
            "$.eventName=AttachPolicy",
            "$.eventName=CreateAccount",
            "$.eventName=CreateOrganizationalUnit",
            "$.eventName=CreatePolicy",
            "$.eventName=DeclineHandshake",
            "$.eventName=DeleteOrganization",
            "$.eventName=DeleteOrganizationalUnit",
            "$.eventName=DeletePolicy",
            "$.eventName=DetachPolicy",
            "$.eventName=DisablePolicyType",
            "$.eventName=EnablePolicyType",
            "$.eventName=InviteAccountToOrganization",
            "$.eventName=LeaveOrganization",
            "$.eventName=MoveAccount",
            "$.eventName=RemoveAccountFromOrganization",
            "$.eventName=UpdatePolicy",
            "$.eventName=UpdateOrganizationalUnit",
        ],
    ),
];

/// A filter pattern with whitespace and double quotes removed.
fn squeezed(pattern: &str) -> String {
    pattern
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '"')
        .collect()
}

/// The event classes a pattern matches (see [`MONITORED_EVENTS`]).
pub(crate) fn classes(pattern: &str) -> impl Iterator<Item = &'static str> {
    let pattern = squeezed(pattern);
    MONITORED_EVENTS
        .iter()
        .filter(move |(_, terms)| terms.iter().all(|t| pattern.contains(t)))
        .map(|(class, _)| *class)
}

/// Whether an alarm's actions reach someone. An action that is an SNS topic of the estate (by
/// ARN, or by reference in Terraform) does when the topic has a confirmed subscriber, as the
/// benchmark's audit asks; any other action (a topic of another account, an Auto Scaling or
/// EC2 action, a value plumb cannot follow) is taken to. `None` when that rests on something
/// unknown.
fn notifies(d: &Derive<'_>, alarm: &Resource) -> Option<bool> {
    let topics: Vec<&Resource> = d
        .linked(TOPIC)
        .filter(|t| names_arn(alarm, "/alarm_actions", t))
        .collect();
    let reached = |topics: &[&Resource]| any_of(topics.iter().map(|t| subscribed(d, t)));
    let Some(actions) = At::root(alarm).list("/alarm_actions") else {
        // The list as a whole is known only after apply: the topics it refers to decide.
        return if topics.is_empty() {
            None
        } else {
            reached(&topics)
        };
    };
    let mut unknown = false;
    for action in &actions {
        match action.attr() {
            Attr::Known(Value::String(arn)) if !topics.iter().any(|t| arn_of(t) == Some(arn)) => {
                return Some(true);
            }
            Attr::Unknown => unknown = true,
            _ => {}
        }
    }
    if topics.is_empty() {
        // No topic of the estate is named: an action known only after apply is taken to reach
        // someone; no action reaches no one.
        return Some(unknown);
    }
    reached(&topics)
}

/// Whether a topic has a confirmed subscriber (see [`super::sns::subscribers`]), counting only
/// the subscriptions of that topic among the log group's satellites.
fn subscribed(d: &Derive<'_>, topic: &Resource) -> Option<bool> {
    let subscriptions: Vec<&Resource> = d
        .linked("aws_sns_topic_subscription")
        .filter(|s| names_arn(s, "/topic_arn", topic))
        .collect();
    let of_topic = Derive {
        r: topic,
        satellites: &subscriptions,
        backup_plans: &[],
        as_of: d.as_of,
    };
    super::sns::subscribers(&of_topic).map(|n| n > 0)
}

/// The event classes the group's metric filters match whose metric an alarm with an action
/// that reaches someone watches (see [`notifies`]); `None` when a pattern or an alarm's
/// actions are unknown.
fn alarmed_events(d: &Derive<'_>) -> Option<Vec<String>> {
    // A live collector that could not list every filter and alarm says so.
    if d.r.is_unknown("/metric_filters") {
        return None;
    }
    let mut found: Vec<String> = Vec::new();
    for filter in d.linked("aws_cloudwatch_log_metric_filter") {
        let pattern = str_at(filter, "/pattern")?;
        let metrics: Vec<(String, String)> = At::root(filter)
            .list("/metric_transformation")?
            .iter()
            .filter_map(|t| {
                Some((
                    t.text("/namespace")?.into_owned(),
                    t.text("/name")?.into_owned(),
                ))
            })
            .collect();
        let mut alarmed = false;
        for alarm in d.linked("aws_cloudwatch_metric_alarm") {
            let watches = metrics.iter().any(|(namespace, name)| {
                str_at(alarm, "/namespace").as_deref() == Some(namespace.as_str())
                    && str_at(alarm, "/metric_name").as_deref() == Some(name.as_str())
            });
            if !watches {
                continue;
            }
            let enabled = !matches!(alarm.attrs.get("actions_enabled"), Some(Value::Bool(false)));
            alarmed |= enabled && notifies(d, alarm)?;
        }
        if alarmed {
            found.extend(classes(&pattern).map(str::to_string));
        }
    }
    found.sort();
    found.dedup();
    Some(found)
}

pub(super) fn log_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // Log groups are always encrypted; a key only says whose.
    encryption(f, Some(true), str_or_ref(r, "/kms_key_id"));
    f.set("log_retention_days", int_at(r, "/retention_in_days", 0));
    f.set(
        "subscription_filters",
        Some(d.linked("aws_cloudwatch_log_subscription_filter").count() as i64),
    );
    f.set(
        "cloudtrail_delivers",
        Some(d.linked("aws_cloudtrail").next().is_some()),
    );
    f.set("alarmed_events", alarmed_events(d));
}
