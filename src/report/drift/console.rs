//! Console: sections in reading order, each resource with its changes, the controls it
//! broke and who changed it; then the findings that changed, notes, and a one-line summary.

use std::io::{self, Write};

use anstyle::{AnsiColor, Effects, Style};

use super::{Item, View, headline};
use crate::drift::DriftMode;
use crate::policy::Severity;

const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);
const RED: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .effects(Effects::BOLD);
const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const YELLOW: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));

/// Changes and findings shown per list; the JSON report has them all.
const LIST_LIMIT: usize = 20;

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

fn sign(nature: &str) -> (&'static str, Style) {
    match nature {
        "added" | "unmanaged" => ("+", GREEN),
        "removed" | "missing" => ("-", RED),
        _ => ("~", YELLOW),
    }
}

fn severity(s: Option<Severity>) -> String {
    let s = s.map_or("?", |s| s.as_str()).to_uppercase();
    paint(RED, &format!("{s:<8}"))
}

fn item(i: &Item, out: &mut dyn Write) -> io::Result<()> {
    let (mark, style) = sign(i.nature);
    let r = &i.resource;
    let place = match (&i.iac, &r.location) {
        (Some(iac), _) => format!(
            "{} ↔ {}",
            iac.address.clone().unwrap_or_else(|| iac.id.clone())
                + &iac
                    .location
                    .as_ref()
                    .map(|l| format!(" ({l})"))
                    .unwrap_or_default(),
            r.cloud_id.clone().unwrap_or_else(|| r.id.clone())
        ),
        (None, Some(l)) => l.clone(),
        (None, None) => r.cloud_id.clone().unwrap_or_default(),
    };
    writeln!(
        out,
        "  {} {}  {}",
        paint(style, mark),
        paint(BOLD, &r.id),
        paint(
            DIM,
            &if place.is_empty() {
                r.kind.clone()
            } else {
                format!("{} · {place}", r.kind)
            }
        )
    )?;
    for c in i.changes.iter().take(LIST_LIMIT) {
        writeln!(
            out,
            "      {}: {} {} {}",
            c.path,
            c.before,
            paint(DIM, "→"),
            c.after
        )?;
    }
    if i.changes.len() > LIST_LIMIT {
        writeln!(
            out,
            "      {}",
            paint(
                DIM,
                &format!("… and {} more changes", i.changes.len() - LIST_LIMIT)
            )
        )?;
    }
    for b in &i.breaks {
        writeln!(
            out,
            "      {} {} {}  {}",
            paint(RED, "breaks"),
            severity(b.severity),
            paint(BOLD, &b.id),
            if b.message.is_empty() {
                &b.title
            } else {
                &b.message
            }
        )?;
    }
    for e in &i.events {
        let from = if e.from.is_empty() {
            String::new()
        } else {
            format!(" from {}", e.from)
        };
        writeln!(
            out,
            "      {} {} {} {}{}",
            paint(DIM, "by"),
            paint(BOLD, &e.who),
            e.action,
            paint(DIM, &format!("at {}", e.time)),
            paint(DIM, &from)
        )?;
    }
    Ok(())
}

pub(super) fn render(view: &View<'_>, out: &mut dyn Write) -> io::Result<()> {
    let report = view.report;
    writeln!(
        out,
        "{}",
        paint(BOLD, &format!("plumb drift: {}", view.title))
    )?;
    writeln!(
        out,
        "{}",
        paint(
            DIM,
            &format!(
                "{} ({} resources) → {} ({} resources)",
                report.from.collected_at,
                report.from.resources,
                report.to.collected_at,
                report.to.resources
            )
        )
    )?;
    writeln!(out)?;
    for section in &view.sections {
        let style = if section.key == "breaking" { RED } else { BOLD };
        writeln!(out, "{}", paint(style, &section.title))?;
        for i in &section.items {
            item(i, out)?;
        }
        writeln!(out)?;
    }
    if let Some(managed) = &report.provider_managed
        && !managed.is_empty()
    {
        writeln!(
            out,
            "{}",
            paint(
                DIM,
                &format!(
                    "{} live resources are created and managed by the provider itself (default VPC, service-linked roles, ...): not drift; the JSON report lists them",
                    managed.len()
                )
            )
        )?;
        writeln!(out)?;
    }

    let f = &report.findings;
    if !f.new.is_empty() || !f.resolved.is_empty() {
        writeln!(out, "{}", paint(BOLD, "Findings"))?;
        for (label, list, style) in [("new", &f.new, RED), ("resolved", &f.resolved, GREEN)] {
            for x in list.iter().take(LIST_LIMIT) {
                writeln!(
                    out,
                    "  {} {} {}  {}  {}",
                    paint(style, &format!("{label:<8}")),
                    severity(Some(x.severity)),
                    paint(BOLD, &x.policy_id),
                    x.resource.id,
                    paint(DIM, &x.message)
                )?;
            }
            if list.len() > LIST_LIMIT {
                writeln!(
                    out,
                    "  {}",
                    paint(
                        DIM,
                        &format!("… and {} more {label}", list.len() - LIST_LIMIT)
                    )
                )?;
            }
        }
        writeln!(out)?;
    }
    if report.summary.ignored > 0 {
        writeln!(
            out,
            "{}",
            paint(
                DIM,
                &format!(
                    "{} changes hidden by .plumbignore rules",
                    report.summary.ignored
                )
            )
        )?;
    }
    for note in &report.notes {
        writeln!(out, "{} {note}", paint(YELLOW, "note:"))?;
    }
    if !report.notes.is_empty() || report.summary.ignored > 0 {
        writeln!(out)?;
    }
    let what = match report.mode {
        DriftMode::Snapshots => "snapshots",
        DriftMode::IacVsLive => "Terraform against live",
    };
    let line = headline(report);
    writeln!(
        out,
        "{} {}",
        paint(DIM, &format!("{what}:")),
        if report.summary.breaking > 0 {
            paint(RED, &line)
        } else {
            paint(BOLD, &line)
        }
    )
}
