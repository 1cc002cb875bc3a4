//! The organisation report ([`crate::org::OrgReport`]) as console text, JSON, Markdown or
//! one self-contained HTML page (no script, no external resource).

use std::io::{self, Write};

use crate::org::{OrgFinding, OrgReport, OrgScope, Rate};
use crate::report::drift::DriftFormat;

/// Findings listed at most in the console, Markdown and HTML (JSON lists them all).
const LIST_LIMIT: usize = 200;

pub fn render(
    format: DriftFormat,
    report: &OrgReport,
    pretty: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        DriftFormat::Json => {
            if pretty {
                serde_json::to_writer_pretty(&mut *out, report)?;
            } else {
                serde_json::to_writer(&mut *out, report)?;
            }
            writeln!(out)
        }
        DriftFormat::Console => console(report, out),
        DriftFormat::Markdown => markdown(report, out),
        DriftFormat::Html => html(report, out),
    }
}

fn rate(r: &Rate) -> String {
    r.pass_rate
        .map_or_else(|| "-".into(), |p| format!("{p:.1}%"))
}

fn more(shown: usize, total: usize) -> Option<String> {
    (total > shown).then(|| {
        format!(
            "… and {} more (the JSON report lists them all)",
            total - shown
        )
    })
}

fn console(r: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    writeln!(
        out,
        "organisation: {} scopes, {} resources, {} passed, {} failed ({}), {} new, {} resolved since {}",
        t.scopes,
        t.resources,
        t.rate.pass,
        t.rate.fail,
        rate(&t.rate),
        t.new,
        t.resolved,
        r.since
    )?;
    if t.missing + t.incomplete > 0 {
        writeln!(
            out,
            "attention: {} scopes without a snapshot since {}, {} incomplete",
            t.missing, r.since, t.incomplete
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<10}  {:>8}  {:>9}  {:>6}  {:>7}  {:>4}  {:>8}  {:<20}  SCOPE",
        "STATUS", "SNAPSHOT", "RESOURCES", "FAILED", "PASS", "NEW", "RESOLVED", "TAKEN"
    )?;
    for s in &r.scopes {
        writeln!(
            out,
            "{:<10}  {:>8}  {:>9}  {:>6}  {:>7}  {:>4}  {:>8}  {:<20}  {}",
            s.status.as_str(),
            s.snapshot,
            s.resources,
            s.rate.fail,
            rate(&s.rate),
            s.new,
            s.resolved,
            s.taken_at,
            s.scope
        )?;
    }
    if !r.controls.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{:>7}  {:>6}  {:>6}  CONTROL",
            "PASS", "FAILED", "SCOPES"
        )?;
        for c in &r.controls {
            writeln!(
                out,
                "{:>7}  {:>6}  {:>6}  {} {}",
                rate(&c.rate),
                c.rate.fail,
                c.scopes_failing,
                c.framework,
                c.control
            )?;
        }
    }
    for (title, list) in [("new", &r.new_findings), ("resolved", &r.resolved_findings)] {
        if list.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{title} ({})", list.len())?;
        for f in list.iter().take(LIST_LIMIT) {
            writeln!(
                out,
                "  {:<8} {}  {}  {}  {}",
                f.severity.as_str().to_uppercase(),
                f.scope,
                f.policy_id,
                f.resource,
                f.message
            )?;
        }
        if let Some(m) = more(LIST_LIMIT, list.len()) {
            writeln!(out, "  {m}")?;
        }
    }
    Ok(())
}

/// Text safe in a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('\n', " ")
}

fn markdown(r: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    writeln!(out, "# Organisation compliance report\n")?;
    writeln!(
        out,
        "Generated {} from `{}`. {} scopes, {} resources; {} checks passed, {} failed ({}); {} new and {} resolved failures since {}.\n",
        r.generated_at,
        md(&r.store),
        t.scopes,
        t.resources,
        t.rate.pass,
        t.rate.fail,
        rate(&t.rate),
        t.new,
        t.resolved,
        r.since
    )?;
    writeln!(out, "## Scopes\n")?;
    writeln!(
        out,
        "| Status | Scope | Snapshot | Taken | Resources | Failed | Pass rate | New | Resolved |"
    )?;
    writeln!(out, "|---|---|---:|---|---:|---:|---:|---:|---:|")?;
    for s in &r.scopes {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.status.as_str(),
            md(&s.scope),
            s.snapshot,
            s.taken_at,
            s.resources,
            s.rate.fail,
            rate(&s.rate),
            s.new,
            s.resolved
        )?;
    }
    if !r.controls.is_empty() {
        writeln!(out, "\n## Controls\n")?;
        writeln!(
            out,
            "| Framework | Control | Passed | Failed | Pass rate | Scopes failing |"
        )?;
        writeln!(out, "|---|---|---:|---:|---:|---:|")?;
        for c in &r.controls {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                md(&c.framework),
                md(&c.control),
                c.rate.pass,
                c.rate.fail,
                rate(&c.rate),
                c.scopes_failing
            )?;
        }
    }
    for (title, list) in [
        ("New failures", &r.new_findings),
        ("Resolved failures", &r.resolved_findings),
    ] {
        writeln!(out, "\n## {title} ({})\n", list.len())?;
        if list.is_empty() {
            writeln!(out, "None.")?;
            continue;
        }
        writeln!(out, "| Severity | Scope | Policy | Resource | Message |")?;
        writeln!(out, "|---|---|---|---|---|")?;
        for f in list.iter().take(LIST_LIMIT) {
            writeln!(
                out,
                "| {} | {} | {} | `{}` | {} |",
                f.severity.as_str(),
                md(&f.scope),
                md(&f.policy_id),
                md(&f.resource).replace('`', "'"),
                md(&f.message)
            )?;
        }
        if let Some(m) = more(LIST_LIMIT, list.len()) {
            writeln!(out, "\n{m}")?;
        }
    }
    Ok(())
}

/// Text safe in HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}\
td.n{text-align:right}tr.missing td{background:#fde2e2}tr.incomplete td{background:#fff4d6}\
.summary{font-size:1.1rem}";

fn scope_row(s: &OrgScope) -> String {
    format!(
        "<tr class=\"{status}\"><td>{status}</td><td>{scope}</td><td class=\"n\">{snapshot}</td><td>{taken}</td><td class=\"n\">{resources}</td><td class=\"n\">{fail}</td><td class=\"n\">{rate}</td><td class=\"n\">{new}</td><td class=\"n\">{resolved}</td></tr>\n",
        status = s.status.as_str(),
        scope = esc(&s.scope),
        snapshot = s.snapshot,
        taken = esc(&s.taken_at),
        resources = s.resources,
        fail = s.rate.fail,
        rate = rate(&s.rate),
        new = s.new,
        resolved = s.resolved
    )
}

fn finding_rows(list: &[OrgFinding]) -> String {
    list.iter()
        .take(LIST_LIMIT)
        .map(|f| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                f.severity.as_str(),
                esc(&f.scope),
                esc(&f.policy_id),
                esc(&f.resource),
                esc(&f.message)
            )
        })
        .collect()
}

fn html(r: &OrgReport, out: &mut dyn Write) -> io::Result<()> {
    let t = &r.totals;
    write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
<title>Organisation compliance report</title><style>{STYLE}</style></head><body>\n\
<h1>Organisation compliance report</h1>\n\
<p class=\"summary\">{} scopes, {} resources: {} checks passed, {} failed (pass rate {}); {} new and {} resolved failures since {}.</p>\n\
<p>Generated {} from <code>{}</code>.</p>\n",
        t.scopes,
        t.resources,
        t.rate.pass,
        t.rate.fail,
        rate(&t.rate),
        t.new,
        t.resolved,
        esc(&r.since),
        esc(&r.generated_at),
        esc(&r.store)
    )?;
    writeln!(
        out,
        "<h2>Scopes</h2>\n<table><thead><tr><th>Status</th><th>Scope</th><th>Snapshot</th><th>Taken</th><th>Resources</th><th>Failed</th><th>Pass rate</th><th>New</th><th>Resolved</th></tr></thead><tbody>"
    )?;
    for s in &r.scopes {
        out.write_all(scope_row(s).as_bytes())?;
    }
    writeln!(out, "</tbody></table>")?;
    if !r.controls.is_empty() {
        writeln!(
            out,
            "<h2>Controls</h2>\n<table><thead><tr><th>Framework</th><th>Control</th><th>Passed</th><th>Failed</th><th>Pass rate</th><th>Scopes failing</th></tr></thead><tbody>"
        )?;
        for c in &r.controls {
            writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(&c.framework),
                esc(&c.control),
                c.rate.pass,
                c.rate.fail,
                rate(&c.rate),
                c.scopes_failing
            )?;
        }
        writeln!(out, "</tbody></table>")?;
    }
    for (title, list) in [
        ("New failures", &r.new_findings),
        ("Resolved failures", &r.resolved_findings),
    ] {
        writeln!(out, "<h2>{title} ({})</h2>", list.len())?;
        if list.is_empty() {
            writeln!(out, "<p>None.</p>")?;
            continue;
        }
        writeln!(
            out,
            "<table><thead><tr><th>Severity</th><th>Scope</th><th>Policy</th><th>Resource</th><th>Message</th></tr></thead><tbody>\n{}</tbody></table>",
            finding_rows(list)
        )?;
        if let Some(m) = more(LIST_LIMIT, list.len()) {
            writeln!(out, "<p>{}</p>", esc(&m))?;
        }
    }
    writeln!(out, "</body></html>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_markdown_escape_what_they_show() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(md("a|b<c\nd"), "a\\|b&lt;c d");
    }
}
