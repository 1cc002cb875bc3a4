//! Reading `plumb drift --format json` reports in tests.

use std::collections::BTreeMap;

use serde_json::Value;

/// The resource ids of a list of entries (`added`, `removed`, `unmanaged`, ...).
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
        .collect()
}

/// A list of strings; empty when absent.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// What a changed entry says: (paths, breaks, one field of each event).
pub type Said = (Vec<String>, Vec<String>, Vec<String>);

/// Changed resource id -> what its entry says, each event given by `event_field` (`id`,
/// `action`).
pub fn changed(report: &Value, event_field: &str) -> BTreeMap<String, Said> {
    report["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let paths = c["changes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["path"].as_str().unwrap().to_string())
                .collect();
            let events = c["events"]
                .as_array()
                .map(|e| {
                    e.iter()
                        .map(|x| x[event_field].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            (
                c["resource"]["id"].as_str().unwrap().to_string(),
                (paths, strings(&c["breaks"]), events),
            )
        })
        .collect()
}
