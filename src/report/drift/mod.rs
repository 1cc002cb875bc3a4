//! Drift reporters: one module per format, each taking the whole [`DriftReport`] and a writer.
//!
//! The human formats (console, Markdown, HTML) share one reading order, built here as a
//! [`View`]: drift that breaks a control first, then the rest of the changes, then what
//! appeared and disappeared (or, IaC against live, what is unmanaged and what is missing),
//! then the findings that changed.

mod console;
mod html;
mod markdown;

use std::fmt;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::Value;

use crate::drift::{Change, Changed, DriftMode, DriftReport, DriftResource, Entry};
use crate::inventory::ChangeEvent;
use crate::policy::Severity;

/// A drift report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftFormat {
    Console,
    Json,
    Markdown,
    Html,
}

impl DriftFormat {
    pub const ALL: [DriftFormat; 4] = [
        DriftFormat::Console,
        DriftFormat::Json,
        DriftFormat::Markdown,
        DriftFormat::Html,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DriftFormat::Console => "console",
            DriftFormat::Json => "json",
            DriftFormat::Markdown => "markdown",
            DriftFormat::Html => "html",
        }
    }
}

impl fmt::Display for DriftFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl super::NamedFormat for DriftFormat {
    const ALL: &'static [Self] = &DriftFormat::ALL;
    fn name(self) -> &'static str {
        DriftFormat::name(self)
    }
}

/// `FORMAT` or `FORMAT=PATH`, as given to `plumb drift --format`.
pub type DriftOutput = super::Output<DriftFormat>;

/// Writes `report` in `format`. Console output carries ANSI styles; the caller strips them
/// where the destination is not a colour terminal. JSON is indented when `pretty`.
pub fn render(
    format: DriftFormat,
    report: &DriftReport,
    pretty: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Text from inputs is shown visibly (control characters, bidi overrides) in the formats
    // people read.
    let shown = || super::visible::sanitised(report);
    match format {
        DriftFormat::Console => console::render(&View::of(&shown()), out),
        DriftFormat::Json => {
            if pretty {
                serde_json::to_writer_pretty(&mut *out, report)?;
            } else {
                serde_json::to_writer(&mut *out, report)?;
            }
            writeln!(out)
        }
        DriftFormat::Markdown => markdown::render(&View::of(&shown()), out),
        DriftFormat::Html => html::render(&View::of(&shown()), out),
    }
}

/// A policy an entry broke, with what a reader needs to judge it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Broken {
    pub id: String,
    pub severity: Option<Severity>,
    pub title: String,
    pub message: String,
}

/// One attribute change, values shown as compact JSON (`(none)` for no value).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChangeRow {
    pub path: String,
    pub before: String,
    pub after: String,
}

/// One audit-log event, as people read it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EventRow {
    pub time: String,
    pub who: String,
    pub action: String,
    pub service: String,
    pub from: String,
}

/// One resource in a section.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Item {
    /// `changed`, `added`, `removed`, `unmanaged`, `missing`.
    pub nature: &'static str,
    pub resource: DriftResource,
    pub iac: Option<DriftResource>,
    pub changes: Vec<ChangeRow>,
    pub breaks: Vec<Broken>,
    pub events: Vec<EventRow>,
}

/// A titled list of items.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Section {
    /// `breaking`, `changed`, `added`, `removed`, `unmanaged`, `missing`.
    pub key: &'static str,
    pub title: String,
    pub items: Vec<Item>,
}

/// The report in reading order.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct View<'a> {
    pub report: &'a DriftReport,
    pub title: String,
    pub headline: String,
    pub sections: Vec<Section>,
}

/// Longest value shown in human formats; the JSON report has them whole.
const VALUE_WIDTH: usize = 160;

/// A value for people: compact JSON, cut at [`VALUE_WIDTH`].
pub(crate) fn show(v: &Value) -> String {
    let text = match v {
        Value::Null => return "(none)".into(),
        other => other.to_string(),
    };
    if text.chars().count() > VALUE_WIDTH {
        text.chars().take(VALUE_WIDTH).collect::<String>() + "…"
    } else {
        text
    }
}

/// Characters kept before the first difference when [`show_pair`] cuts.
const CONTEXT: usize = 40;

/// Before and after for people. Two long values (a list that gained an element) cut at the
/// same width would read as two identical prefixes: both are shown from a little before
/// where they first differ.
pub(crate) fn show_pair(before: &Value, after: &Value) -> (String, String) {
    let (b, a) = (show(before), show(after));
    if b != a || before == after || before.is_null() || after.is_null() {
        return (b, a);
    }
    let (bt, at): (Vec<char>, Vec<char>) = (
        before.to_string().chars().collect(),
        after.to_string().chars().collect(),
    );
    let first = bt.iter().zip(&at).take_while(|(x, y)| x == y).count();
    let start = first.saturating_sub(CONTEXT);
    let window = |t: &[char]| -> String {
        let end = (start + VALUE_WIDTH).min(t.len());
        let mut out: String = if start > 0 {
            "…".into()
        } else {
            String::new()
        };
        out.extend(&t[start..end]);
        if end < t.len() {
            out.push('…');
        }
        out
    };
    (window(&bt), window(&at))
}

fn change_row(c: &Change) -> ChangeRow {
    let (before, after) = show_pair(&c.before, &c.after);
    ChangeRow {
        path: c.path.clone(),
        before,
        after,
    }
}

fn event_row(e: &ChangeEvent) -> EventRow {
    EventRow {
        time: e.time.clone(),
        who: e.actor.to_string(),
        action: e.action.clone(),
        service: e.service.clone(),
        from: e
            .source_ip
            .clone()
            .or_else(|| e.actor.invoked_by.clone())
            .unwrap_or_default(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl<'a> View<'a> {
    pub(crate) fn of(report: &'a DriftReport) -> View<'a> {
        let broken = |id: &str, resource: &DriftResource| -> Broken {
            // A satellite's breaks are failures of its parent.
            let on = resource.parent.as_deref().unwrap_or(&resource.id);
            let f = report
                .broken(id, on)
                .or_else(|| report.broken(id, &resource.id));
            Broken {
                id: id.to_string(),
                severity: f.map(|f| f.severity).or_else(|| report.severity_of(id)),
                title: f.map(|f| f.title.clone()).unwrap_or_default(),
                message: f.map(|f| f.message.clone()).unwrap_or_default(),
            }
        };
        let from_changed = |c: &Changed| Item {
            nature: "changed",
            resource: c.resource.clone(),
            iac: c.iac.clone(),
            changes: c.changes.iter().map(change_row).collect(),
            breaks: c.breaks.iter().map(|id| broken(id, &c.resource)).collect(),
            events: c.events.iter().map(event_row).collect(),
        };
        let from_entry = |nature: &'static str, e: &Entry| Item {
            nature,
            resource: e.resource.clone(),
            iac: None,
            changes: Vec::new(),
            breaks: e.breaks.iter().map(|id| broken(id, &e.resource)).collect(),
            events: e.events.iter().map(event_row).collect(),
        };
        let mut breaking = Vec::new();
        let mut changed = Vec::new();
        for c in &report.changed {
            let item = from_changed(c);
            if item.breaks.is_empty() {
                changed.push(item);
            } else {
                breaking.push(item);
            }
        }
        let mut sections = Vec::new();
        let mut lists: Vec<(&'static str, &'static str, Vec<Item>)> = Vec::new();
        let entries: [(&'static str, &'static str, Option<&Vec<Entry>>); 4] = match report.mode {
            DriftMode::Snapshots => [
                ("added", "Added", Some(&report.added)),
                ("removed", "Removed", Some(&report.removed)),
                ("unmanaged", "", None),
                ("missing", "", None),
            ],
            DriftMode::IacVsLive => [
                (
                    "unmanaged",
                    "Unmanaged: live, not in Terraform",
                    report.unmanaged.as_ref(),
                ),
                (
                    "missing",
                    "Missing: in Terraform, not found live",
                    report.missing.as_ref(),
                ),
                ("added", "", None),
                ("removed", "", None),
            ],
        };
        for (key, title, list) in entries {
            let Some(list) = list else { continue };
            let mut items = Vec::new();
            for e in list {
                let item = from_entry(key, e);
                if item.breaks.is_empty() {
                    items.push(item);
                } else {
                    breaking.push(item);
                }
            }
            lists.push((key, title, items));
        }
        if !breaking.is_empty() {
            sections.push(Section {
                key: "breaking",
                title: format!("Drift that breaks a control ({})", breaking.len()),
                items: breaking,
            });
        }
        let changed_title = match report.mode {
            DriftMode::Snapshots => "Changed",
            DriftMode::IacVsLive => "Changed: live differs from Terraform",
        };
        if !changed.is_empty() {
            sections.push(Section {
                key: "changed",
                title: format!("{changed_title} ({})", changed.len()),
                items: changed,
            });
        }
        for (key, title, items) in lists {
            if !items.is_empty() {
                sections.push(Section {
                    key,
                    title: format!("{title} ({})", items.len()),
                    items,
                });
            }
        }
        let name = |s: &crate::drift::Side| match s.snapshot {
            Some(id) => format!("snapshot {id}"),
            None => s.label.clone(),
        };
        let title = match report.mode {
            DriftMode::Snapshots => format!("{} → {}", name(&report.from), name(&report.to)),
            DriftMode::IacVsLive => format!(
                "Terraform ({}) → live ({})",
                name(&report.from),
                name(&report.to)
            ),
        };
        View {
            report,
            title,
            headline: headline(report),
            sections,
        }
    }
}

/// One line: what drifted, and what it did to the findings.
pub(crate) fn headline(report: &DriftReport) -> String {
    let s = &report.summary;
    if !s.drift {
        return format!(
            "no drift · findings: {} new, {} resolved, {} still open",
            s.findings_new, s.findings_resolved, s.findings_open
        );
    }
    let mut parts = Vec::new();
    if s.changed > 0 {
        parts.push(plural(s.changed, "changed", "changed"));
    }
    match report.mode {
        DriftMode::Snapshots => {
            if s.added > 0 {
                parts.push(format!("{} added", s.added));
            }
            if s.removed > 0 {
                parts.push(format!("{} removed", s.removed));
            }
        }
        DriftMode::IacVsLive => {
            if s.unmanaged > 0 {
                parts.push(format!("{} unmanaged", s.unmanaged));
            }
            if s.missing > 0 {
                parts.push(format!("{} missing", s.missing));
            }
        }
    }
    let breaking = if s.breaking > 0 {
        format!(" ({} break a control)", s.breaking)
    } else {
        String::new()
    };
    format!(
        "{}{breaking} · findings: {} new, {} resolved, {} still open",
        parts.join(", "),
        s.findings_new,
        s.findings_resolved,
        s.findings_open
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_formats() {
        assert_eq!(
            "html=drift.html".parse::<DriftOutput>(),
            Ok(DriftOutput {
                format: DriftFormat::Html,
                path: Some("drift.html".into())
            })
        );
        assert_eq!(
            "md".parse::<DriftOutput>().unwrap().format,
            DriftFormat::Markdown
        );
        assert!(
            "sarif"
                .parse::<DriftOutput>()
                .unwrap_err()
                .contains("console, json, markdown, html")
        );
    }

    #[test]
    fn long_values_are_cut_and_null_is_none() {
        assert_eq!(show(&Value::Null), "(none)");
        assert_eq!(show(&serde_json::json!("x")), "\"x\"");
        let long = Value::String("a".repeat(500));
        assert!(show(&long).ends_with('…'));
        // A long list that gained an element: the two sides differ where they are shown.
        let items: Vec<String> = (0..40).map(|i| format!("subnet-{i:04}")).collect();
        let mut more = items.clone();
        more.push("subnet-new".into());
        let (b, a) = show_pair(&serde_json::json!(items), &serde_json::json!(more));
        assert_ne!(b, a);
        assert!(a.contains("subnet-new") && a.starts_with('…'), "{a}");
    }
}
