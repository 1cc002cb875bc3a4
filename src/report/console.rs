//! Console: failures grouped by resource, with the source lines for file-based resources,
//! then one line per failing policy on how to fix it, then what could not be decided or read,
//! then one summary line. Styles are ANSI; the caller
//! strips them when the output is not a colour terminal.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use anstyle::{AnsiColor, Effects, Style};

use super::{Excerpts, RenderOptions};
use crate::findings::{BaselineState, Finding, ScanReport, ScannedSources, Status};
use crate::inventory::{CollectError, Location};
use crate::policy::Severity;
use crate::redact::{redact_line, redact_source};
use crate::report::visible;

const BOLD: Style = Style::new().effects(Effects::BOLD);
const DIM: Style = Style::new().effects(Effects::DIMMED);
const GREEN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));

/// Source lines shown per resource at most.
const SNIPPET_LINES: u32 = 8;
const SNIPPET_WIDTH: usize = 120;

fn severity_style(s: Severity) -> Style {
    let color = match s {
        Severity::Critical => AnsiColor::BrightRed,
        Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low => AnsiColor::Blue,
        Severity::Info => AnsiColor::White,
    };
    Style::new()
        .fg_color(Some(anstyle::Color::Ansi(color)))
        .effects(Effects::BOLD)
}

fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

pub(super) fn render(
    report: &ScanReport,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut sources = Sources {
        files: HashMap::new(),
        verified: match options.excerpts {
            Excerpts::Scanned => None,
            Excerpts::Verified => Some(report.scanned.sources.as_ref()),
        },
    };
    // Failures grouped by resource; findings are sorted by file and line, so groups come in
    // the order of their first finding.
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        let i = *index.entry(f.resource.id.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[i].push(f);
    }
    for findings in &groups {
        let first = findings[0];
        let place = match &first.location {
            Some(l) => format!("{}:{}", l.file, l.start_line),
            None => first
                .resource
                .cloud_id
                .clone()
                .unwrap_or_else(|| first.resource.id.clone()),
        };
        writeln!(
            out,
            "{}  {}",
            paint(BOLD, &first.resource.id),
            paint(DIM, &format!("{} · {place}", first.resource.kind))
        )?;
        if let Some(l) = first
            .location
            .as_ref()
            .filter(|l| !l.module_calls.is_empty())
        {
            writeln!(
                out,
                "  {}",
                paint(DIM, &format!("called from {}", l.module_calls.join(" › ")))
            )?;
        }
        let mut sorted = findings.clone();
        sorted.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then(a.policy_id.cmp(&b.policy_id))
        });
        for f in sorted {
            let mark = match f.baseline {
                Some(BaselineState::New) => format!("  {}", paint(BOLD, "NEW")),
                Some(BaselineState::Baselined) => format!("  {}", paint(DIM, "(baselined)")),
                None => String::new(),
            };
            writeln!(
                out,
                "  {} {}  {}{mark}",
                paint(
                    severity_style(f.severity),
                    &format!("{:<8}", f.severity.as_str().to_uppercase())
                ),
                paint(BOLD, &f.policy_id),
                f.title
            )?;
            if *f.message != *f.title {
                writeln!(out, "           {}", f.message)?;
            }
            // A value set elsewhere than the resource's file (a Kustomize patch): where.
            if let (Some(at), Some(home)) = (&f.location, &first.location)
                && at.file != home.file
            {
                writeln!(
                    out,
                    "           {}",
                    paint(DIM, &format!("at {}:{}", at.file, at.start_line))
                )?;
            }
        }
        // The lines the findings point at: the resource's block, or the attributes they rest on.
        let located: Vec<&Location> = findings
            .iter()
            .filter_map(|f| f.location.as_deref())
            .filter(|l| {
                first
                    .location
                    .as_ref()
                    .is_none_or(|home| home.file == l.file)
            })
            .collect();
        if let Some(l) = located.first() {
            let span = Location {
                start_line: located
                    .iter()
                    .map(|l| l.start_line)
                    .min()
                    .unwrap_or(l.start_line),
                end_line: located
                    .iter()
                    .map(|l| l.end_line)
                    .max()
                    .unwrap_or(l.end_line),
                ..(*l).clone()
            };
            sources.snippet(&span, out)?;
        }
        writeln!(out)?;
    }
    if !options.hide_remediation {
        how_to_fix(report, out)?;
    }

    let unknown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Unknown)
        .collect();
    if !unknown.is_empty() && !options.quiet {
        writeln!(
            out,
            "{}",
            paint(BOLD, &format!("Could not decide ({})", unknown.len()))
        )?;
        for f in unknown {
            writeln!(
                out,
                "  {}  {}  {}",
                f.policy_id,
                f.resource.id,
                paint(DIM, &f.message)
            )?;
        }
        writeln!(out)?;
    }
    let errors: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .collect();
    if !errors.is_empty() {
        writeln!(
            out,
            "{}",
            paint(BOLD, &format!("Evaluation errors ({})", errors.len()))
        )?;
        for f in errors {
            writeln!(out, "  {}  {}  {}", f.policy_id, f.resource.id, f.message)?;
        }
        writeln!(out)?;
    }
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if !waived.is_empty() && !options.quiet {
        writeln!(
            out,
            "{}",
            paint(BOLD, &format!("Waived ({})", waived.len()))
        )?;
        for f in waived {
            let why = f.waiver.as_ref().map_or(String::new(), |w| {
                let mut why = w.reason.clone();
                if let Some(by) = &w.approved_by {
                    why.push_str(&format!(" (approved by {by}"));
                    if let Some(until) = &w.expires {
                        why.push_str(&format!(", until {until}"));
                    }
                    why.push(')');
                }
                why
            });
            writeln!(
                out,
                "  {}  {}  {}",
                f.policy_id,
                f.resource.id,
                paint(DIM, &why)
            )?;
        }
        writeln!(out)?;
    }
    if options.show_passed && !options.quiet {
        let passed: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.status == Status::Pass)
            .collect();
        writeln!(
            out,
            "{}",
            paint(BOLD, &format!("Passed ({})", passed.len()))
        )?;
        for f in passed {
            writeln!(
                out,
                "  {}  {}  {}",
                paint(GREEN, "ok"),
                f.policy_id,
                f.resource.id
            )?;
        }
        writeln!(out)?;
    }
    let problems = CollectError::sorted_out(&report.errors);
    let rejected = problems.rejected;
    if !problems.unread.is_empty() {
        let heading = format!(
            "Not read ({}): unread is not compliant",
            problems.unread.len()
        );
        writeln!(out, "{}", paint(severity_style(Severity::High), &heading))?;
        for e in problems.unread {
            writeln!(out, "  {e}")?;
        }
        writeln!(out)?;
    }
    if !problems.warnings.is_empty() && !options.quiet {
        let heading = format!("Warnings ({})", problems.warnings.len());
        writeln!(out, "{}", paint(BOLD, &heading))?;
        for e in problems.warnings {
            writeln!(out, "  {e}")?;
        }
        writeln!(out)?;
    }
    if !rejected.is_empty() {
        let heading = format!("Waiver and suppression problems ({})", rejected.len());
        writeln!(out, "{}", paint(BOLD, &heading))?;
        for e in rejected {
            writeln!(out, "  {e}")?;
        }
        writeln!(out)?;
    }
    summary(report, out)
}

/// One line per failing policy, most severe first: what to do, and where to read more.
fn how_to_fix(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    let mut failing: Vec<(Severity, &str)> = Vec::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        if !failing.iter().any(|(_, id)| *id == &*f.policy_id) {
            failing.push((f.severity, &f.policy_id));
        }
    }
    if failing.is_empty() {
        return Ok(());
    }
    failing.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    writeln!(
        out,
        "{}",
        paint(BOLD, &format!("How to fix ({} policies)", failing.len()))
    )?;
    for (_, id) in failing {
        let Some(doc) = report.policy(id) else {
            continue;
        };
        let fix = doc.remediation_line();
        writeln!(
            out,
            "  {}  {}{}",
            paint(BOLD, id),
            if fix.is_empty() { &doc.title } else { &fix },
            paint(DIM, &format!("  → {}", doc.docs_link()))
        )?;
    }
    writeln!(out)
}

fn summary(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|sev| {
            s.failures_by_severity
                .get(sev)
                .map(|n| paint(severity_style(*sev), &format!("{n} {sev}")))
        })
        .collect();
    let failed = if s.fail == 0 {
        paint(GREEN, "0 failed")
    } else {
        format!(
            "{} ({})",
            paint(BOLD, &format!("{} failed", s.fail)),
            by_severity.join(", ")
        )
    };
    writeln!(
        out,
        "{} resources, {} policies, {} checks: {} passed, {failed}, {} unknown, {}, {} waived{}{}",
        s.resources,
        s.policies,
        s.evaluations,
        s.pass,
        s.unknown,
        // Checks that could not be evaluated; distinct from the inputs not read below.
        match s.error {
            1 => "1 check error".to_string(),
            n => format!("{n} check errors"),
        },
        s.waived,
        if s.errors > 0 {
            format!("; {} inputs not read", s.errors)
        } else {
            String::new()
        },
        match s.warnings {
            0 => String::new(),
            1 => "; 1 warning".to_string(),
            n => format!("; {n} warnings"),
        }
    )?;
    if let Some(files) = &report.scanned.files {
        writeln!(out, "{}", files.line())?;
    }
    if let Some(b) = &s.baseline {
        writeln!(
            out,
            "against baseline {}: {} new, {} baselined, {} resolved since",
            b.file,
            paint(BOLD, &b.new.to_string()),
            b.baselined,
            b.resolved
        )?;
    }
    Ok(())
}

/// Source files read once each, for snippets.
struct Sources<'r> {
    files: HashMap<String, Option<Vec<String>>>,
    /// For a saved report: the hashes it recorded (`Some(None)`: it recorded none, and no
    /// file is read).
    verified: Option<Option<&'r ScannedSources>>,
}

impl Sources<'_> {
    fn snippet(&mut self, l: &Location, out: &mut dyn Write) -> io::Result<()> {
        let verified = self.verified;
        let lines = self.files.entry(l.file.clone()).or_insert_with(|| {
            let text = match verified {
                None => crate::read::text(Path::new(&l.file), crate::read::Limit::Generated).ok(),
                Some(None) => None,
                Some(Some(sources)) => sources.verified(&l.file),
            };
            text.map(|t| redact_source(&t).lines().map(str::to_string).collect())
        });
        let Some(lines) = lines else {
            return Ok(());
        };
        let end = l.end_line.min(l.start_line + SNIPPET_LINES - 1);
        let width = end.to_string().len();
        for n in l.start_line..=end {
            let Some(line) = lines.get(n as usize - 1) else {
                break;
            };
            // Cut first: a compact JSON plan is one line of many megabytes.
            let cut = |l: &str| -> String { l.chars().take(SNIPPET_WIDTH + 1).collect() };
            let previous = (n > 1).then(|| cut(&lines[n as usize - 2]));
            let mut shown = visible(&redact_line(&cut(line), previous.as_deref())).into_owned();
            if shown.chars().count() > SNIPPET_WIDTH {
                shown = shown.chars().take(SNIPPET_WIDTH).collect::<String>() + "…";
            }
            writeln!(
                out,
                "    {} {}",
                paint(DIM, &format!("{n:>width$} │")),
                shown
            )?;
        }
        if end < l.end_line {
            writeln!(
                out,
                "    {}",
                paint(
                    DIM,
                    &format!("{:>width$} ┆ ({} more lines)", "", l.end_line - end)
                )
            )?;
        }
        Ok(())
    }
}
