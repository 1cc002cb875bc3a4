//! CloudTrail trails.

use super::customer_key;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{At, all_of, any_of, bool_at, elements, str_or_ref};

/// Which events a trail records: management (read and write), and S3 object reads / writes;
/// each `None` when a selector field it depends on is unknown.
struct Events {
    management: Option<bool>,
    s3_read: Option<bool>,
    s3_write: Option<bool>,
}

impl Events {
    /// The events of several selectors together: recorded when any selector records them.
    fn any(selectors: impl Iterator<Item = Events>) -> Events {
        let (mut management, mut s3_read, mut s3_write) = (Vec::new(), Vec::new(), Vec::new());
        for e in selectors {
            management.push(e.management);
            s3_read.push(e.s3_read);
            s3_write.push(e.s3_write);
        }
        Events {
            management: any_of(management),
            s3_read: any_of(s3_read),
            s3_write: any_of(s3_write),
        }
    }
}

/// Classic event selectors. `read_write_type` defaults to `All` and
/// `include_management_events` to true.
fn classic(selectors: &[At<'_>]) -> Events {
    Events::any(selectors.iter().map(|s| {
        let rw = s.text("/read_write_type");
        let read = rw.as_deref().map(|rw| rw != "WriteOnly");
        let write = rw.as_deref().map(|rw| rw != "ReadOnly");
        let s3 = s.list("/data_resource").and_then(|resources| {
            any_of(
                resources
                    .iter()
                    .map(|d| d.text("/type").map(|t| t == "AWS::S3::Object")),
            )
        });
        Events {
            management: all_of([s.bool("/include_management_events", true), read, write]),
            s3_read: all_of([s3, read]),
            s3_write: all_of([s3, write]),
        }
    }))
}

/// One advanced event selector: its `field_selector` blocks as (field, equals); `None` when
/// a field or value is unknown, since then which events it picks is unknown.
fn field_selectors(s: &At<'_>) -> Option<Vec<(String, Vec<String>)>> {
    let mut out = Vec::new();
    for f in s.list("/field_selector")? {
        let name = f.text("/field")?.into_owned();
        let mut equals = Vec::new();
        for v in f.list("/equals")? {
            equals.push(v.text("")?.into_owned());
        }
        out.push((name, equals));
    }
    Some(out)
}

/// Advanced event selectors: `field_selector` blocks with `field` and `equals`.
fn advanced(selectors: &[At<'_>]) -> Events {
    Events::any(selectors.iter().map(|s| {
        let Some(fields) = field_selectors(s) else {
            return Events {
                management: None,
                s3_read: None,
                s3_write: None,
            };
        };
        let equals = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let first = |name: &str| equals(name).and_then(|v| v.first()).map(String::as_str);
        let (read, write) = match first("readOnly") {
            Some("true") => (true, false),
            Some("false") => (false, true),
            _ => (true, true),
        };
        let (mut management, mut s3_read, mut s3_write) = (false, false, false);
        match first("eventCategory") {
            Some("Management") if read && write => management = true,
            Some("Data")
                if equals("resources.type")
                    .is_some_and(|t| t.iter().any(|t| t == "AWS::S3::Object")) =>
            {
                s3_read = read;
                s3_write = write;
            }
            _ => {}
        }
        Events {
            management: Some(management),
            s3_read: Some(s3_read),
            s3_write: Some(s3_write),
        }
    }))
}

pub(super) fn trail(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set(
        "multi_region_trail",
        bool_at(r, "/is_multi_region_trail", false),
    );
    f.set(
        "log_file_validation",
        bool_at(r, "/enable_log_file_validation", false),
    );
    f.set("kms_key", customer_key(str_or_ref(r, "/kms_key_id")));
    // A live read says whether the trail is delivering (GetTrailStatus); Terraform says
    // whether it should (`enable_logging`, default true).
    let logging = match r.attr("/is_logging") {
        crate::inventory::Attr::Absent => bool_at(r, "/enable_logging", true),
        _ => bool_at(r, "/is_logging", false),
    };
    f.set("logging", logging);
    f.set(
        "cloudwatch_logs",
        str_or_ref(r, "/cloud_watch_logs_group_arn").map(|a| !a.is_empty()),
    );
    let events = match (
        elements(r, "/event_selector"),
        elements(r, "/advanced_event_selector"),
    ) {
        (Some(c), Some(a)) if c.is_empty() && a.is_empty() => Events {
            // No selector: all management events, no data events.
            management: Some(true),
            s3_read: Some(false),
            s3_write: Some(false),
        },
        (Some(c), Some(a)) if a.is_empty() => classic(&c),
        (_, Some(a)) if !a.is_empty() => advanced(&a),
        _ => Events {
            management: None,
            s3_read: None,
            s3_write: None,
        },
    };
    f.set("management_events", events.management);
    f.set("s3_object_reads", events.s3_read);
    f.set("s3_object_writes", events.s3_write);
    f.set("bucket", str_or_ref(r, "/s3_bucket_name"));
}
