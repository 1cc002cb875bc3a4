//! Reporters: one module per format, each taking the whole [`ScanReport`] and a writer;
//! [`drift`] does the same for drift reports.
//! Reporters never print on their own and never decide exit codes.
//!
//! Every format shows waived findings with their waiver, and, when the scan ran against a
//! baseline, which failures are new.

mod console;
mod csv;
pub mod drift;
mod html;
mod json;
mod junit;
pub mod markdown;
pub mod org;
mod sarif;
mod visible;

pub use visible::visible;

use std::fmt;
use std::io::{self, Write};
use std::path::PathBuf;
use std::str::FromStr;

use crate::findings::ScanReport;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Console,
    Json,
    Sarif,
    Junit,
    Markdown,
    Csv,
    Html,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Console,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Csv,
        Format::Html,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Console => "console",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A report format `--format NAME[=PATH]` can name.
pub trait NamedFormat: Copy + Eq + 'static {
    /// Every format, in the order help texts list them.
    const ALL: &'static [Self];
    /// The name `--format` takes.
    fn name(self) -> &'static str;
}

impl NamedFormat for Format {
    const ALL: &'static [Self] = &Format::ALL;
    fn name(self) -> &'static str {
        Format::name(self)
    }
}

/// `FORMAT` or `FORMAT=PATH`, as given to `--format`: a scan's [`Format`] or a drift
/// report's [`drift::DriftFormat`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output<F = Format> {
    pub format: F,
    /// Where to write; standard output when `None`.
    pub path: Option<PathBuf>,
}

impl<F: NamedFormat> FromStr for Output<F> {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, path) = match s.split_once('=') {
            Some((name, path)) if !path.is_empty() => (name, Some(PathBuf::from(path))),
            Some((name, _)) => return Err(format!("--format {name}= needs a path after '='")),
            None => (s, None),
        };
        // `md` is short for Markdown, wherever there is one.
        let wanted = if name == "md" { "markdown" } else { name };
        let format = F::ALL
            .iter()
            .copied()
            .find(|f| f.name() == wanted)
            .ok_or_else(|| {
                let names: Vec<_> = F::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown format {name:?} (expected one of: {})",
                    names.join(", ")
                )
            })?;
        Ok(Output { format, path })
    }
}

/// Settings that shape rendering but are not part of the report.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Console: also list passing checks.
    pub show_passed: bool,
    /// JSON and SARIF: indent for reading (on a terminal); compact otherwise, which is half
    /// the size and time on a large estate.
    pub pretty: bool,
    /// Console: list only failures, what was not read, and the summary (`--quiet`).
    pub quiet: bool,
    /// Console: no remediation and docs link under each failing policy (`--no-remediation`).
    pub hide_remediation: bool,
    /// Console: where the source lines under a failure come from.
    pub excerpts: Excerpts,
}

/// Where the console reads the source lines it shows under a failure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Excerpts {
    /// The files just scanned, as the findings name them.
    #[default]
    Scanned,
    /// A saved report: only files under the report's scan root that still hash to what was
    /// scanned ([`crate::findings::ScannedSources::verified`]); none when it records no hashes.
    /// A saved report is data: the paths it names are not opened on its word.
    Verified,
}

/// Writes `report` in `format`. Console output carries ANSI styles; the caller strips them
/// where the destination is not a colour terminal.
pub fn render(
    format: Format,
    report: &ScanReport,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    // Text from inputs and policies is shown visibly (control characters, bidi overrides) in
    // the formats people read.
    let shown = || visible::sanitised(report);
    match format {
        Format::Console => console::render(&shown(), options, out),
        Format::Json => json::render(report, options.pretty, out),
        Format::Sarif => sarif::render(report, options.pretty, out),
        Format::Junit => junit::render(report, out),
        Format::Markdown => markdown::render(&shown(), out),
        Format::Csv => csv::render(report, out),
        Format::Html => html::render(&shown(), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_format_with_optional_path() {
        assert_eq!(
            "sarif=out.sarif".parse::<Output>(),
            Ok(Output {
                format: Format::Sarif,
                path: Some("out.sarif".into())
            })
        );
        assert_eq!("json".parse::<Output>().unwrap().path, None);
        assert_eq!("md".parse::<Output>().unwrap().format, Format::Markdown);
        assert!(
            "xml"
                .parse::<Output>()
                .unwrap_err()
                .contains("console, json, sarif, junit, markdown, csv, html")
        );
        assert!("json=".parse::<Output>().is_err());
    }
}
