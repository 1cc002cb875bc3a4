//! Markdown: a drift report for a ticket or a pull-request comment. It stays within GitHub's
//! comment limit (65,536 characters): past [`BUDGET`] the remaining rows are counted, not
//! shown, and the JSON report has them all.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Item, View};

/// Characters of Markdown at most.
const BUDGET: usize = 60_000;

/// Text safe inside a table cell.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A value or path as inline code, safe inside a table cell.
fn code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    // A code span cannot hold its own delimiter; a neighbouring quote reads the same.
    format!(
        "`{}`",
        text.replace('`', "'")
            .replace('|', "\\|")
            .replace(['\n', '\r'], " ")
    )
}

fn resource_cell(i: &Item) -> String {
    let r = &i.resource;
    let mut s = format!("{} {}", code(&r.kind), cell(&r.name));
    match &i.iac {
        Some(iac) => {
            let address = iac.address.as_deref().unwrap_or(&iac.id);
            let _ = write!(
                s,
                "<br>{} ↔ {}",
                code(address),
                code(r.cloud_id.as_deref().unwrap_or(&r.id))
            );
        }
        None => {
            if let Some(id) = r.cloud_id.as_deref().or(r.location.as_deref()) {
                let _ = write!(s, "<br>{}", code(id));
            }
        }
    }
    s
}

fn breaks_cell(i: &Item) -> String {
    i.breaks
        .iter()
        .map(|b| {
            let sev = b.severity.map_or(String::new(), |s| format!(" ({s})"));
            format!("**{}**{sev} {}", cell(&b.id), cell(&b.title))
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

fn who_cell(i: &Item) -> String {
    i.events
        .iter()
        .map(|e| {
            let from = if e.from.is_empty() {
                String::new()
            } else {
                format!(" from {}", cell(&e.from))
            };
            format!(
                "{} {} at {}{from}",
                cell(&e.who),
                code(&e.action),
                cell(&e.time)
            )
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

pub(super) fn render(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let report = view.report;
    let mut md = String::new();
    let _ = writeln!(md, "## plumb drift: {}\n", cell(&view.title));
    let _ = writeln!(md, "**{}**\n", cell(&view.headline));
    let _ = writeln!(
        md,
        "_{} ({} resources) → {} ({} resources)_\n",
        cell(&report.from.collected_at),
        report.from.resources,
        cell(&report.to.collected_at),
        report.to.resources
    );
    let mut omitted = 0usize;
    for section in &view.sections {
        let icon = if section.key == "breaking" {
            "🔴 "
        } else {
            ""
        };
        let _ = writeln!(md, "### {icon}{}\n", cell(&section.title));
        let _ = writeln!(
            md,
            "| | Resource | Change | Before | After | Breaks | Who |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- | --- | --- | --- |");
        for i in &section.items {
            let mark = match i.nature {
                "added" | "unmanaged" => "➕",
                "removed" | "missing" => "➖",
                _ => "✏️",
            };
            let mut rows = Vec::new();
            if i.changes.is_empty() {
                rows.push(format!(
                    "| {mark} | {} | {} | | | {} | {} |",
                    resource_cell(i),
                    i.nature,
                    breaks_cell(i),
                    who_cell(i)
                ));
            }
            for (n, c) in i.changes.iter().enumerate() {
                let first = n == 0;
                rows.push(format!(
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    if first { mark } else { "" },
                    if first {
                        resource_cell(i)
                    } else {
                        String::new()
                    },
                    code(&c.path),
                    code(&c.before),
                    code(&c.after),
                    if first { breaks_cell(i) } else { String::new() },
                    if first { who_cell(i) } else { String::new() },
                ));
            }
            for row in rows {
                if md.len() + row.len() > BUDGET {
                    omitted += 1;
                } else {
                    md.push_str(&row);
                    md.push('\n');
                }
            }
        }
        md.push('\n');
    }
    if let Some(managed) = &report.provider_managed
        && !managed.is_empty()
    {
        let _ = writeln!(
            md,
            "{} live resources are managed by the provider itself (default VPC, service-linked roles, ...) and are not drift.\n",
            managed.len()
        );
    }
    let f = &report.findings;
    if !f.new.is_empty() || !f.resolved.is_empty() {
        let _ = writeln!(md, "### Findings\n");
        let _ = writeln!(md, "| | Severity | Policy | Resource | Message |");
        let _ = writeln!(md, "| --- | --- | --- | --- | --- |");
        for (label, list) in [("new", &f.new), ("resolved", &f.resolved)] {
            for x in list {
                let row = format!(
                    "| {label} | {} | **{}** {} | {} | {} |\n",
                    x.severity,
                    cell(&x.policy_id),
                    cell(&x.title),
                    code(&x.resource.id),
                    cell(&x.message)
                );
                if md.len() + row.len() > BUDGET {
                    omitted += 1;
                } else {
                    md.push_str(&row);
                }
            }
        }
        let _ = writeln!(md, "\n{} findings fail on both sides.\n", f.open.len());
    }
    if omitted > 0 {
        let _ = writeln!(
            md,
            "_{omitted} more rows are not shown here, to stay within a comment's size; the JSON report (`--format json`) has them all._\n"
        );
    }
    if report.summary.ignored > 0 {
        let _ = writeln!(
            md,
            "_{} changes hidden by `.plumbignore` rules._\n",
            report.summary.ignored
        );
    }
    for note in &report.notes {
        let _ = writeln!(md, "> **Note:** {}\n", cell(note));
    }
    out.write_all(md.trim_end().as_bytes())?;
    writeln!(out)
}
