//! JSON: the report itself, pretty-printed. The schema is the serde shape of
//! [`ScanReport`](crate::findings::ScanReport), versioned by its `schema` field and
//! documented in `docs/json-report.md`.

use std::io::{self, Write};

use crate::findings::ScanReport;

pub(super) fn render(report: &ScanReport, pretty: bool, out: &mut dyn Write) -> io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, report)?;
    } else {
        serde_json::to_writer(&mut *out, report)?;
    }
    writeln!(out)
}
