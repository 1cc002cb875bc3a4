//! SNS topics: encryption key, resource policy, and whether anyone is subscribed.

use super::encryption;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::policy_document::{allows_anonymous, read};
use crate::normalize::value::{bool_at, int_at, str_or_ref};

const SUBSCRIPTION: &str = "aws_sns_topic_subscription";

pub(super) fn topic(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // SNS encrypts a topic only when it is given a key; there is no default encryption.
    let key = str_or_ref(r, "/kms_master_key_id");
    encryption(f, key.as_ref().map(|k| !k.is_empty()), key);
    let policy = match d.one("aws_sns_topic_policy") {
        Some(p) => read(p, "/policy"),
        None => read(r, "/policy"),
    };
    f.set("public_policy", policy.judge(false, allows_anonymous));
    f.set("subscribers", subscribers(d));
}

/// Confirmed subscriptions: what a live read counted (`subscriptions_confirmed`), or the
/// `aws_sns_topic_subscription` resources of the topic not waiting for confirmation.
pub(super) fn subscribers(d: &Derive<'_>) -> Option<i64> {
    if d.r.attrs.get("subscriptions_confirmed").is_some() {
        return int_at(d.r, "/subscriptions_confirmed", 0);
    }
    let mut count = 0;
    for s in d.linked(SUBSCRIPTION) {
        // Terraform waits for e-mail and HTTP subscriptions to be confirmed only when told to;
        // a state records the ones still pending.
        if !bool_at(s, "/pending_confirmation", false)? {
            count += 1;
        }
    }
    Some(count)
}
