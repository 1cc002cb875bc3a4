//! Markdown: a summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`.
//!
//! The verdict and counts first (with the baseline comparison and the trend when there are
//! any), then the failures (new ones first, then by severity), how to fix each failing policy
//! (its remediation and a link), what could not be read, waiver
//! problems, and the waived findings. GitHub rejects a comment over 65,536 characters, so the
//! document is cut to fit [`LIMIT`] bytes (bytes are never fewer than characters), with a note
//! saying how much was left out. Every value from the scanned infrastructure is escaped: it
//! can neither break the table nor mention anyone nor inject markup.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::findings::{BaselineState, Finding, ScanReport, Status, WaiverState};
use crate::inventory::CollectError;
use crate::policy::Severity;

/// GitHub's limit on a comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// What this renderer writes at most, in bytes: GitHub's limit, less room for a header an
/// action may put above it.
pub const LIMIT: usize = GITHUB_COMMENT_LIMIT - 1_536;

/// Longest message shown in a table cell.
const CELL: usize = 240;
/// Lines listed at most for unread inputs, waiver problems and waived findings.
const LIST: usize = 25;

/// Failing policies listed at most under "How to fix".
const FIXES: usize = 50;

/// One line per failing policy, most severe first: its remediation and where to read more.
/// At most [`FIXES`] lines, so the failures table keeps most of the budget.
fn how_to_fix(report: &ScanReport, failures: &[&Finding]) -> String {
    let mut ids: Vec<(Severity, &str)> = Vec::new();
    for f in failures {
        if !ids.iter().any(|(_, id)| *id == &*f.policy_id) {
            ids.push((f.severity, &f.policy_id));
        }
    }
    if ids.is_empty() {
        return String::new();
    }
    ids.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut t = format!(
        "#### How to fix ({})\n\n",
        plural(ids.len(), "policy", "policies")
    );
    for (_, id) in ids.iter().take(FIXES) {
        let Some(doc) = report.policy(id) else {
            continue;
        };
        let fix = doc.remediation_line();
        let link = doc.docs_link();
        let link = if link.starts_with("https://") && !link.contains([')', ' ', '<', '>']) {
            format!("[docs]({link})")
        } else {
            format!("`{}`", link.replace('`', "'"))
        };
        let _ = writeln!(
            t,
            "- **{}** {}: {} {link}",
            md(id),
            md(&doc.title),
            md(if fix.is_empty() {
                "see the policy"
            } else {
                &fix
            })
        );
    }
    if ids.len() > FIXES {
        let _ = writeln!(
            t,
            "- … and {} more: `plumb policies show ID` prints each one's remediation",
            ids.len() - FIXES
        );
    }
    t.push('\n');
    t
}

/// Text from the scanned infrastructure, safe in a table cell: markup, table pipes and
/// `@mentions` are neutralised, newlines become spaces, long values are cut.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (n, c) in s.chars().enumerate() {
        if n == CELL {
            out.push('…');
            break;
        }
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' => out.push_str("&#124;"),
            '@' => out.push_str("&#64;"),
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '~' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn severity_mark(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "🟥 critical",
        Severity::High => "🟧 high",
        Severity::Medium => "🟨 medium",
        Severity::Low => "🟦 low",
        Severity::Info => "⬜ info",
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn delta(now: usize, before: usize) -> String {
    match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("+{}", now - before),
        std::cmp::Ordering::Less => format!("−{}", before - now),
        std::cmp::Ordering::Equal => "±0".into(),
    }
}

fn head(report: &ScanReport) -> String {
    let s = &report.summary;
    let mut t = String::new();
    let verdict = match &s.baseline {
        Some(b) if b.new > 0 => format!(
            "❌ {} new {}",
            b.new,
            if b.new == 1 { "failure" } else { "failures" }
        ),
        Some(_) => "✅ no new failures".to_string(),
        None if s.fail > 0 => format!("❌ {} failed", s.fail),
        None => "✅ no failures".to_string(),
    };
    let _ = writeln!(t, "### plumb: {verdict}\n");
    let _ = writeln!(
        t,
        "{} · {} · {}: **{} passed**, **{} failed**, {} unknown, {} waived, {}{}\n",
        plural(s.resources, "resource", "resources"),
        plural(s.policies, "policy", "policies"),
        plural(s.evaluations, "check", "checks"),
        s.pass,
        s.fail,
        s.unknown,
        s.waived,
        plural(s.error, "check error", "check errors"),
        if s.errors > 0 {
            format!(" · ⚠️ **{} not read**", plural(s.errors, "input", "inputs"))
        } else {
            String::new()
        }
    );
    if let Some(b) = &s.baseline {
        let _ = writeln!(
            t,
            "Against the baseline {}: **{} new**, {} baselined, {} resolved since.\n",
            md(&b.file),
            b.new,
            b.baselined,
            b.resolved
        );
    }
    if let Some(prev) = report.trend.as_ref().and_then(|t| t.previous()) {
        let _ = writeln!(
            t,
            "Since the previous scan ({}, {}): failures {} ({}), passes {} ({}).\n",
            md(&prev.snapshot),
            md(&prev.taken_at),
            s.fail,
            delta(s.fail, prev.fail),
            s.pass,
            delta(s.pass, prev.pass)
        );
    }
    if s.fail > 0 {
        t.push_str("| Severity | Failed |");
        let with_new = s.baseline.is_some();
        t.push_str(if with_new {
            " New |\n|---|--:|--:|\n"
        } else {
            "\n|---|--:|\n"
        });
        for sev in Severity::ALL {
            let Some(n) = s.failures_by_severity.get(&sev) else {
                continue;
            };
            let _ = write!(t, "| {} | {n} |", severity_mark(sev));
            if with_new {
                let new = report
                    .findings
                    .iter()
                    .filter(|f| {
                        f.status == Status::Fail
                            && f.severity == sev
                            && f.baseline == Some(BaselineState::New)
                    })
                    .count();
                let _ = write!(t, " {new} |");
            }
            t.push('\n');
        }
        t.push('\n');
    }
    t
}

fn failure_row(f: &Finding, with_baseline: bool) -> String {
    let place = match &f.location {
        Some(l) => format!("{}:{}", md(&l.file), l.start_line),
        None => md(f.resource.cloud_id.as_deref().unwrap_or("")),
    };
    let mark = if with_baseline {
        match f.baseline {
            Some(BaselineState::New) => "🆕 | ",
            _ => "| ",
        }
    } else {
        ""
    };
    format!(
        "| {mark}{} | **{}** {} | {} | {place} | {} |\n",
        severity_mark(f.severity),
        md(&f.policy_id),
        md(&f.title),
        md(&f.resource.id),
        md(&f.message)
    )
}

/// Lists that stay short whatever the scan: the first [`LIST`] items and a count of the rest.
fn capped_list(title: &str, items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut t = format!("**{title} ({})**\n\n", items.len());
    for item in items.iter().take(LIST) {
        let _ = writeln!(t, "- {item}");
    }
    if items.len() > LIST {
        let _ = writeln!(t, "- … and {} more", items.len() - LIST);
    }
    t.push('\n');
    t
}

fn tail(report: &ScanReport) -> String {
    let sorted = CollectError::sorted_out(&report.errors);
    let mut t = String::new();
    if let Some(files) = &report.scanned.files {
        t.push_str(&format!("{}\n\n", md(&files.line())));
    }
    let unread: Vec<String> = sorted.unread.iter().map(|e| md(&e.to_string())).collect();
    t.push_str(&capped_list(
        "⚠️ Not read: unread is not compliant",
        &unread,
    ));
    let warnings: Vec<String> = sorted.warnings.iter().map(|e| md(&e.to_string())).collect();
    t.push_str(&capped_list("Warnings", &warnings));
    let problems: Vec<String> = sorted.rejected.iter().map(|e| md(&e.to_string())).collect();
    t.push_str(&capped_list("Waiver and suppression problems", &problems));
    let waived: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Waived)
        .collect();
    if !waived.is_empty() {
        let _ = writeln!(
            t,
            "<details><summary>Waived ({})</summary>\n\n| Policy | Resource | Reason | Approved by | Expires |\n|---|---|---|---|---|",
            waived.len()
        );
        for f in waived.iter().take(LIST) {
            let w = f.waiver.as_ref();
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {} |",
                md(&f.policy_id),
                md(&f.resource.id),
                md(w.map_or("", |w| w.reason.as_str())),
                md(w.and_then(|w| w.approved_by.as_deref()).unwrap_or("inline")),
                md(w.and_then(|w| w.expires.as_deref()).unwrap_or("")),
            );
        }
        if waived.len() > LIST {
            let _ = writeln!(t, "\n… and {} more.", waived.len() - LIST);
        }
        t.push_str("\n</details>\n\n");
    }
    let expired = report
        .waivers
        .iter()
        .filter(|w| w.state == WaiverState::Expired)
        .count();
    if expired > 0 {
        let _ = writeln!(
            t,
            "{} expired: the findings they covered count again.\n",
            plural(expired, "waiver has", "waivers have")
        );
    }
    let _ = write!(t, "<sub>plumb {}", md(&report.tool.version));
    if let Some(hash) = &report.scanned.inventory_hash {
        let _ = write!(t, " · inventory sha256 {}", md(hash));
    }
    let _ = writeln!(t, " · {}</sub>", md(&report.scanned.collected_at));
    t
}

pub fn render(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    let head = head(report);
    let tail = tail(report);
    let with_baseline = report.summary.baseline.is_some();
    let mut failures: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    failures.sort_by(|a, b| {
        let new = |f: &Finding| f.baseline != Some(BaselineState::New);
        (
            new(a),
            std::cmp::Reverse(a.severity),
            &a.policy_id,
            &a.resource.id,
        )
            .cmp(&(
                new(b),
                std::cmp::Reverse(b.severity),
                &b.policy_id,
                &b.resource.id,
            ))
    });
    let mut body = String::new();
    if !failures.is_empty() {
        body.push_str("#### Failures\n\n");
        body.push_str(if with_baseline {
            "| | Severity | Policy | Resource | Where | Message |\n|---|---|---|---|---|---|\n"
        } else {
            "| Severity | Policy | Resource | Where | Message |\n|---|---|---|---|---|\n"
        });
    }
    let fixes = how_to_fix(report, &failures);
    // Room for the rows: the limit, less everything else and the note on what was cut.
    const NOTE: usize = 200;
    let budget = LIMIT.saturating_sub(head.len() + tail.len() + body.len() + fixes.len() + NOTE);
    let mut used = 0;
    let mut shown = 0;
    for f in &failures {
        let row = failure_row(f, with_baseline);
        if used + row.len() > budget {
            break;
        }
        used += row.len();
        body.push_str(&row);
        shown += 1;
    }
    if shown < failures.len() {
        let _ = writeln!(
            body,
            "\n_… and {} more failures not shown, to stay within GitHub's comment size limit: the SARIF, HTML or JSON report lists them all._",
            failures.len() - shown
        );
    }
    if !failures.is_empty() {
        body.push('\n');
    }
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.write_all(fixes.as_bytes())?;
    out.write_all(tail.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_pipes_and_mentions() {
        assert_eq!(
            md("<img src=x> | @org/team *x*"),
            "&lt;img src=x&gt; &#124; &#64;org/team \\*x\\*"
        );
        assert_eq!(md("a\nb"), "a b");
        assert!(md(&"x".repeat(1000)).chars().count() <= CELL + 1);
    }
}
