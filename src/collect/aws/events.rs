//! Who changed what: CloudTrail management write events (`LookupEvents`, the account's 90-day
//! event history) for a window of time, mapped to [`ChangeEvent`]s.
//!
//! Every selected region's history is read to the last page, with the `ReadOnly=false`
//! lookup attribute so that only calls that can change something come back. Global services
//! (IAM, STS, Organizations, CloudFront, Route 53, ...) record their events in the
//! partition's global region (us-east-1 for the commercial partition): their events are taken
//! from that region's history only, read once even when that region is not selected, so each
//! is kept once.
//!
//! `LookupEvents` is limited to 2 requests per second per account and region: the pages of a
//! region are requested at most that often ([`EventOptions::pace`]), and a throttled request is
//! retried by the SDK's standard retry mode like every other call.
//!
//! Only who, when, what and on which resources is kept: never `requestParameters` nor
//! `responseElements`, which can carry secrets (a `PutParameter` value, a
//! `CreateLoginProfile` password, a `CreateAccessKey` secret).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_cloudtrail::Client;
use aws_sdk_cloudtrail::types::{Event, LookupAttribute, LookupAttributeKey};
use aws_types::SdkConfig;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::shared::{bounded, describe};
use super::{COLLECTOR, Progress, sdk};
use crate::collect::Collected;
use crate::inventory::{Activity, Actor, ChangeEvent, CollectError, EventResource};

/// The log these events come from, as [`Activity::source`] names it.
pub const SOURCE: &str = "aws-cloudtrail";

/// How long CloudTrail's event history keeps events.
pub const RETENTION_DAYS: i64 = 90;

/// The events to gather.
#[derive(Debug, Clone)]
pub struct EventOptions {
    pub since: Since,
    /// Least time between two `LookupEvents` requests to one region (the API allows 2 per
    /// second per account and region).
    pub pace: Duration,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            since: Since::Previous {
                snapshots: Vec::new(),
                otherwise: Duration::from_secs(24 * 3600),
            },
            pace: Duration::from_millis(500),
        }
    }
}

/// Where the window starts (it ends when the events are read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// At this time.
    At(DateTime<Utc>),
    /// At the collection time of the newest of these earlier snapshots that read every
    /// account/region read now (the drift window to the new snapshot); else `otherwise` ago.
    Previous {
        snapshots: Vec<Prior>,
        otherwise: Duration,
    },
}

/// An earlier snapshot, as the window needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    /// RFC 3339.
    pub collected_at: String,
    /// The `account/region` scopes its AWS collector runs read.
    pub scopes: Vec<String>,
}

/// Global services: their events are recorded in the partition's global region.
const GLOBAL_SOURCES: &[&str] = &[
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "organizations.amazonaws.com",
    "account.amazonaws.com",
    "cloudfront.amazonaws.com",
    "route53.amazonaws.com",
    "route53domains.amazonaws.com",
    "waf.amazonaws.com",
    "shield.amazonaws.com",
    "globalaccelerator.amazonaws.com",
    "signin.amazonaws.com",
];

fn is_global(service: &str) -> bool {
    GLOBAL_SOURCES.contains(&service)
}

/// The region a partition's global services record their events in.
fn global_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "cn-north-1"
    } else if region.starts_with("us-gov-") {
        "us-gov-west-1"
    } else {
        "us-east-1"
    }
}

/// The window's start: the option's, capped to what CloudTrail keeps; and whether it was
/// capped.
pub fn window_start(
    since: &Since,
    account: &str,
    regions: &[String],
    now: DateTime<Utc>,
) -> (DateTime<Utc>, bool) {
    let start = match since {
        Since::At(t) => *t,
        Since::Previous {
            snapshots,
            otherwise,
        } => {
            let needed: Vec<String> = regions.iter().map(|r| format!("{account}/{r}")).collect();
            snapshots
                .iter()
                .filter(|p| needed.iter().all(|n| p.scopes.contains(n)))
                .filter_map(|p| DateTime::parse_from_rfc3339(&p.collected_at).ok())
                .map(|t| t.with_timezone(&Utc))
                .max()
                .unwrap_or_else(|| {
                    now - chrono::Duration::from_std(*otherwise)
                        .unwrap_or(chrono::Duration::days(1))
                })
        }
    };
    let oldest = now - chrono::Duration::days(RETENTION_DAYS);
    if start < oldest {
        (oldest, true)
    } else {
        (start, false)
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Which events of one region's history to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// A selected region: its own events, global services' left to the global region.
    Regional,
    /// The global region, selected: everything.
    All,
    /// The global region, not selected: only global services' events.
    Global,
}

impl Keep {
    fn keeps(self, e: &ChangeEvent) -> bool {
        match self {
            Keep::All => true,
            Keep::Regional => !is_global(&e.service),
            Keep::Global => is_global(&e.service),
        }
    }
}

/// Reads the write events of `account` in `regions` (and the global region) into
/// `collected.activity`; a region whose history could not be read is an error and is named
/// in [`Activity::unread`].
pub(super) async fn gather(
    base: &SdkConfig,
    account: &str,
    regions: &[String],
    options: &EventOptions,
    concurrency: usize,
    progress: Arc<dyn Progress>,
    collected: &mut Collected,
) {
    let now = Utc::now();
    let (start, capped) = window_start(&options.since, account, regions, now);
    if capped {
        collected.notes.push(format!(
            "CloudTrail keeps {RETENTION_DAYS} days of events: who changed what is known from {} only",
            rfc3339(start)
        ));
    }
    let Some(first) = regions.first() else {
        return;
    };
    let global = global_region(first);
    let mut reads: Vec<(String, Keep)> = regions
        .iter()
        .map(|r| {
            let keep = if r == global {
                Keep::All
            } else {
                Keep::Regional
            };
            (r.clone(), keep)
        })
        .collect();
    if !regions.iter().any(|r| r == global) {
        reads.push((global.to_string(), Keep::Global));
    }

    let pace = options.pace;
    let results = bounded(reads, concurrency, |(region, keep)| {
        let config = sdk::in_region(base, &region);
        let progress = progress.clone();
        let label = match keep {
            Keep::Global => format!("{account}/global"),
            _ => format!("{account}/{region}"),
        };
        async move {
            progress.begin(&label, "cloudtrail-events");
            let read = lookup(&config, start, now, pace).await;
            let (count, errors) = match &read {
                Ok(events) => (events.len(), 0),
                Err(_) => (0, 1),
            };
            progress.end(&label, "cloudtrail-events", count, errors);
            (label, keep, read)
        }
    })
    .await;

    let mut seen = HashSet::new();
    let mut activity = Activity {
        source: SOURCE.into(),
        since: rfc3339(start),
        until: rfc3339(now),
        events: Vec::new(),
        unread: Vec::new(),
    };
    for (label, keep, read) in results {
        match read {
            Ok(events) => {
                for e in events {
                    if keep.keeps(&e) && seen.insert(e.id.clone()) {
                        activity.events.push(e);
                    }
                }
            }
            Err(message) => {
                collected.errors.push(CollectError {
                    collector: COLLECTOR.into(),
                    scope: format!("{label}/cloudtrail-events"),
                    line: None,
                    column: None,
                    // No resource is left unread: only who changed them.
                    kinds: Vec::new(),
                    message: format!(
                        "cannot read the CloudTrail event history (cloudtrail:LookupEvents): {message}"
                    ),
                    warning: false,
                });
                activity.unread.push(label);
            }
        }
    }
    activity.events.sort();
    activity.unread.sort();
    collected.activity = Some(activity);
}

/// Every page of one region's write events in `[start, end]`, each request `pace` after the
/// previous answer.
async fn lookup(
    config: &SdkConfig,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    pace: Duration,
) -> Result<Vec<ChangeEvent>, String> {
    let client = Client::new(config);
    let read_only = LookupAttribute::builder()
        .attribute_key(LookupAttributeKey::ReadOnly)
        .attribute_value("false")
        .build()
        .map_err(|e| e.to_string())?;
    let smithy = |t: DateTime<Utc>| aws_smithy_types::DateTime::from_secs(t.timestamp());
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let out = client
            .lookup_events()
            .lookup_attributes(read_only.clone())
            .start_time(smithy(start))
            .end_time(smithy(end))
            .max_results(50)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        events.extend(out.events().iter().filter_map(change_event));
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
        // Counted from the answer, not the request: a call the SDK had to retry does not
        // let the next page follow at once.
        tokio::time::sleep(pace).await;
    }
    Ok(events)
}

/// One `LookupEvents` event as a [`ChangeEvent`]; `None` without an id or a time.
///
/// The identity and origin come from the `CloudTrailEvent` document; the resources from the
/// answer's `Resources` list and the document's `resources`. Request parameters and response
/// elements are never read.
pub fn change_event(e: &Event) -> Option<ChangeEvent> {
    let doc: Value = e
        .cloud_trail_event()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);

    let id = e
        .event_id()
        .map(str::to_string)
        .or_else(|| text(&doc["eventID"]))?;
    let time = text(&doc["eventTime"])
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            e.event_time()
                .and_then(|t| DateTime::from_timestamp(t.secs(), 0))
        })
        .map(rfc3339)?;

    let who = &doc["userIdentity"];
    let kind = text(&who["type"]).unwrap_or_else(|| "Unknown".into());
    let arn = text(&who["arn"]);
    let name = match kind.as_str() {
        "Root" => Some("root".to_string()),
        // arn:aws:sts::123456789012:assumed-role/ROLE/SESSION: the session names the person
        // or the tool; the role is shown from the ARN.
        "AssumedRole" => arn
            .as_deref()
            .and_then(|a| a.rsplit_once('/'))
            .map(|(_, session)| session.to_string())
            .or_else(|| e.username().map(str::to_string)),
        "AWSService" => None,
        _ => text(&who["userName"])
            .or_else(|| text(&who["sessionContext"]["sessionIssuer"]["userName"]))
            .or_else(|| e.username().map(str::to_string)),
    };
    let actor = Actor {
        kind,
        arn,
        name,
        invoked_by: text(&who["invokedBy"]),
    };

    let mut resources = BTreeSet::new();
    for r in e.resources() {
        if let Some(name) = r.resource_name().filter(|n| !n.is_empty()) {
            resources.insert(EventResource {
                kind: r.resource_type().map(str::to_string),
                name: name.to_string(),
            });
        }
    }
    for r in doc["resources"].as_array().into_iter().flatten() {
        if let Some(name) = text(&r["ARN"]) {
            resources.insert(EventResource {
                kind: text(&r["type"]),
                name,
            });
        }
    }

    Some(ChangeEvent {
        time,
        id,
        action: e
            .event_name()
            .map(str::to_string)
            .or_else(|| text(&doc["eventName"]))
            .unwrap_or_default(),
        service: e
            .event_source()
            .map(str::to_string)
            .or_else(|| text(&doc["eventSource"]))
            .unwrap_or_default(),
        actor,
        source_ip: text(&doc["sourceIPAddress"]),
        user_agent: text(&doc["userAgent"]),
        account: text(&doc["recipientAccountId"]),
        region: text(&doc["awsRegion"]),
        resources: resources.into_iter().collect(),
        error_code: text(&doc["errorCode"]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(doc: Value, resources: &[(&str, &str)]) -> Event {
        let mut b = Event::builder()
            .event_id(doc["eventID"].as_str().unwrap_or("id"))
            .event_name(doc["eventName"].as_str().unwrap_or("Call"))
            .event_source(doc["eventSource"].as_str().unwrap_or("ec2.amazonaws.com"))
            .cloud_trail_event(doc.to_string());
        for (t, n) in resources {
            b = b.resources(
                aws_sdk_cloudtrail::types::Resource::builder()
                    .resource_type(*t)
                    .resource_name(*n)
                    .build(),
            );
        }
        b.build()
    }

    #[test]
    fn an_assumed_role_is_named_by_its_session_and_secrets_are_not_kept() {
        let doc = serde_json::json!({
            "eventID": "e1",
            "eventTime": "2026-03-01T10:00:00Z",
            "eventName": "PutParameter",
            "eventSource": "ssm.amazonaws.com",
            "awsRegion": "eu-west-1",
            "recipientAccountId": "123456789012",
            "sourceIPAddress": "203.0.113.7",
            "userAgent": "aws-cli/2.15",
            "userIdentity": {
                "type": "AssumedRole",
                "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
                "sessionContext": {"sessionIssuer": {"userName": "Admin"}}
            },
            "requestParameters": {"name": "db", "value": "hunter2-secret"},
            "responseElements": {"version": 1}
        });
        let e = change_event(&event(doc, &[("AWS::SSM::Parameter", "db")])).unwrap();
        assert_eq!(e.actor.kind, "AssumedRole");
        assert_eq!(e.actor.name.as_deref(), Some("alice"));
        assert_eq!(e.actor.to_string(), "alice (role Admin)");
        assert_eq!(e.source_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(e.region.as_deref(), Some("eu-west-1"));
        assert_eq!(e.resources[0].name, "db");
        let json = serde_json::to_string(&e).unwrap();
        assert!(!json.contains("hunter2"), "{json}");
    }

    #[test]
    fn root_and_service_identities() {
        let root = serde_json::json!({
            "eventID": "r", "eventTime": "2026-03-01T10:00:00.123Z",
            "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"}
        });
        let e = change_event(&event(root, &[])).unwrap();
        assert_eq!(e.actor.name.as_deref(), Some("root"));
        assert_eq!(e.time, "2026-03-01T10:00:00Z");
        let service = serde_json::json!({
            "eventID": "s", "eventTime": "2026-03-01T10:00:00Z",
            "userIdentity": {"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"},
            "errorCode": "AccessDenied"
        });
        let e = change_event(&event(service, &[])).unwrap();
        assert_eq!(e.actor.name, None);
        assert_eq!(e.actor.to_string(), "autoscaling.amazonaws.com");
        assert_eq!(e.error_code.as_deref(), Some("AccessDenied"));
    }

    #[test]
    fn the_window_starts_at_the_newest_snapshot_that_read_the_same_regions_capped_at_90_days() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let prior = |at: &str, scopes: &[&str]| Prior {
            collected_at: at.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        };
        let since = Since::Previous {
            snapshots: vec![
                prior("2026-03-08T00:00:00Z", &["1/eu-west-1", "1/us-east-1"]),
                prior("2026-03-09T00:00:00Z", &["1/eu-west-1"]),
                prior("2026-03-09T12:00:00Z", &["2/eu-west-1", "2/us-east-1"]),
            ],
            otherwise: Duration::from_secs(3600),
        };
        let regions = ["eu-west-1".to_string(), "us-east-1".to_string()];
        let start = |since: &Since, account: &str| {
            let (t, capped) = window_start(since, account, &regions, now);
            (rfc3339(t), capped)
        };
        assert_eq!(start(&since, "1"), ("2026-03-08T00:00:00Z".into(), false));
        assert_eq!(start(&since, "3"), ("2026-03-09T23:00:00Z".into(), false));
        let old = Since::At(now - chrono::Duration::days(200));
        assert_eq!(start(&old, "1"), ("2025-12-10T00:00:00Z".into(), true));
    }
}
