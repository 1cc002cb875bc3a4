//! Attribution: the audit-log events that touched a drifted resource in the window between
//! the two sides.
//!
//! An event names resources by ARN or by name (`sg-0abc`, a bucket name, a table name); a
//! resource is touched by an event that names any of its match keys ([`super::matching::keys`]:
//! its ARN, provider id, or the id its ARN ends with). A satellite (a bucket's versioning) is touched by the events on its parent
//! (`PutBucketVersioning` names the bucket). Failed calls (`errorCode` set) changed nothing and
//! are left out.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset};

use super::Attribution;
use super::arn::{arn_short_id, normalise_arn};
use super::matching::keys;
use crate::inventory::{ChangeEvent, Inventory, Resource};

fn time(s: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(s).ok()
}

/// A note naming the scopes whose events `inv`'s collector could not read, if any.
pub(super) fn unread_note(inv: &Inventory) -> Option<String> {
    let unread = &inv.activity.as_ref()?.unread;
    (!unread.is_empty()).then(|| {
        format!(
            "the audit-log events of {} could not be read (see the inventory's errors): who made changes there is not known",
            unread.join(", ")
        )
    })
}

/// The events of a window, indexed by the names they give their resources.
pub(super) struct Events<'a> {
    by_name: HashMap<&'a str, Vec<usize>>,
    events: Vec<&'a ChangeEvent>,
}

impl<'a> Events<'a> {
    /// Events from `sides` (deduplicated by id) after `since` (exclusive) and up to `until`.
    /// Returns them with what the report says about attribution.
    pub(super) fn window(
        sides: &[&'a Inventory],
        since: Option<&str>,
        until: Option<&str>,
    ) -> (Self, Attribution) {
        let from = since.and_then(time);
        let to = until.and_then(time);
        let mut seen = BTreeSet::new();
        let mut events = Vec::new();
        let mut source = None;
        // Covered when one side's events span the whole window, from every scope it read.
        let mut covered = false;
        for inv in sides {
            let Some(activity) = &inv.activity else {
                continue;
            };
            source.get_or_insert_with(|| activity.source.clone());
            let starts_in_time = match (time(&activity.since), from) {
                (Some(c), Some(f)) => c <= f,
                (Some(_), None) => true,
                (None, _) => false,
            };
            covered |= starts_in_time && activity.unread.is_empty();
            for e in &activity.events {
                let Some(t) = time(&e.time) else { continue };
                let in_window = from.is_none_or(|f| t > f) && to.is_none_or(|u| t <= u);
                if in_window && e.error_code.is_none() && seen.insert(e.id.as_str()) {
                    events.push(e);
                }
            }
        }
        events.sort();
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, e) in events.iter().enumerate() {
            for r in &e.resources {
                let name = normalise_arn(&r.name);
                by_name.entry(name).or_default().push(i);
                if let Some(short) = arn_short_id(name) {
                    by_name.entry(short).or_default().push(i);
                }
            }
        }
        let attribution = Attribution {
            complete: source.is_some() && covered,
            source,
            since: since.map(str::to_string),
            until: until.map(str::to_string),
            events: events.len(),
        };
        (Events { by_name, events }, attribution)
    }

    /// The events that touched `r` (or `parent`, for a satellite), oldest first.
    pub(super) fn touching(&self, r: &Resource, parent: Option<&Resource>) -> Vec<ChangeEvent> {
        if self.events.is_empty() {
            return Vec::new();
        }
        let mut hits = BTreeSet::new();
        for res in std::iter::once(r).chain(parent) {
            for name in keys(res) {
                if let Some(list) = self.by_name.get(name.as_str()) {
                    hits.extend(list.iter().copied());
                }
            }
        }
        hits.into_iter().map(|i| self.events[i].clone()).collect()
    }
}
