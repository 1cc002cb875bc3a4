//! CSV: one row per finding (passes included), with a header, RFC 4180 quoting.
//!
//! Resource names, tags and messages come from the scanned infrastructure, so a cell that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
//! return) is prefixed with `'`, as OWASP advises against CSV injection.

use std::io::{self, Write};

use crate::findings::ScanReport;

const HEADER: [&str; 20] = [
    "status",
    "severity",
    "policy_id",
    "title",
    "category",
    "resource_id",
    "resource_kind",
    "resource_name",
    "cloud_id",
    "file",
    "start_line",
    "end_line",
    "message",
    "evidence",
    "waiver_reason",
    "waiver_approved_by",
    "waiver_expires",
    "waiver_source",
    "baseline",
    "fingerprint",
];

/// A cell a spreadsheet will show as text, never evaluate.
fn cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

pub(super) fn render(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    for f in &report.findings {
        let (file, start, end) = match &f.location {
            Some(l) => (
                l.file.as_str(),
                l.start_line.to_string(),
                l.end_line.to_string(),
            ),
            None => ("", String::new(), String::new()),
        };
        let evidence = if f.evidence.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&f.evidence)?
        };
        let waiver = f.waiver.as_ref();
        let fingerprint = f.fingerprint.to_string();
        let record: [&str; 20] = [
            f.status.as_str(),
            f.severity.as_str(),
            &f.policy_id,
            &f.title,
            f.category.as_str(),
            &f.resource.id,
            &f.resource.kind,
            &f.resource.name,
            f.resource.cloud_id.as_deref().unwrap_or(""),
            file,
            &start,
            &end,
            &f.message,
            &evidence,
            waiver.map_or("", |w| w.reason.as_str()),
            waiver.and_then(|w| w.approved_by.as_deref()).unwrap_or(""),
            waiver.and_then(|w| w.expires.as_deref()).unwrap_or(""),
            waiver.map_or("", |w| w.source.as_str()),
            f.baseline.map_or("", |b| b.as_str()),
            &fingerprint,
        ];
        w.write_record(record.iter().map(|s| cell(s).into_owned()))?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("logs"), "logs");
    }
}
