//! CloudTrail trails.

use serde_json::Value;

use super::customer_key;
use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::value::{as_bool, bool_at, known_list, str_or_ref};

/// Which events a trail records: management (read and write), and S3 object reads / writes.
#[derive(Default)]
struct Events {
    management: bool,
    s3_read: bool,
    s3_write: bool,
}

/// Classic event selectors. `read_write_type` defaults to `All` and
/// `include_management_events` to true.
fn classic(selectors: &[Value]) -> Events {
    let mut e = Events::default();
    for s in selectors {
        let rw = s
            .get("read_write_type")
            .and_then(Value::as_str)
            .unwrap_or("All");
        let (read, write) = (rw != "WriteOnly", rw != "ReadOnly");
        if s.get("include_management_events")
            .and_then(as_bool)
            .unwrap_or(true)
            && read
            && write
        {
            e.management = true;
        }
        let s3 = s
            .get("data_resource")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|d| d.get("type").and_then(Value::as_str) == Some("AWS::S3::Object"));
        if s3 {
            e.s3_read |= read;
            e.s3_write |= write;
        }
    }
    e
}

/// Advanced event selectors: `field_selector` blocks with `field` and `equals`.
fn advanced(selectors: &[Value]) -> Events {
    let mut e = Events::default();
    for s in selectors {
        let fields: Vec<(&str, Vec<&str>)> = s
            .get("field_selector")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|f| {
                let name = f.get("field").and_then(Value::as_str).unwrap_or("");
                let equals = f
                    .get("equals")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                (name, equals)
            })
            .collect();
        let equals = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
        let read_only = equals("readOnly").and_then(|v| v.first().copied());
        let (read, write) = match read_only {
            Some("true") => (true, false),
            Some("false") => (false, true),
            _ => (true, true),
        };
        match equals("eventCategory").and_then(|v| v.first().copied()) {
            Some("Management") if read && write => e.management = true,
            Some("Data")
                if equals("resources.type").is_some_and(|t| t.contains(&"AWS::S3::Object")) =>
            {
                e.s3_read |= read;
                e.s3_write |= write;
            }
            _ => {}
        }
    }
    e
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
        known_list(r, "/event_selector"),
        known_list(r, "/advanced_event_selector"),
    ) {
        (Some(c), Some(a)) if c.is_empty() && a.is_empty() => Some(Events {
            // No selector: all management events, no data events.
            management: true,
            ..Events::default()
        }),
        (Some(c), Some([])) => Some(classic(c)),
        (Some(_), Some(a)) => Some(advanced(a)),
        _ => None,
    };
    f.set("management_events", events.as_ref().map(|e| e.management));
    f.set("s3_object_reads", events.as_ref().map(|e| e.s3_read));
    f.set("s3_object_writes", events.as_ref().map(|e| e.s3_write));
    f.set("bucket", str_or_ref(r, "/s3_bucket_name"));
}
