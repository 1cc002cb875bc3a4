//! JSON: the report itself, pretty-printed. The schema is the serde shape of
//! [`ScanReport`](crate::findings::ScanReport), versioned by its `schema` field and
//! documented in `docs/json-report.md`.

use std::io::{self, Write};

use crate::findings::ScanReport;

pub fn render(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
