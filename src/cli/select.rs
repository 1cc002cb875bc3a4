//! The flags other scanners' users already type: `--severity`, `--check`, `--skip-check`,
//! `--skip-path`, `-q/--quiet`, `-o/--output`, `--fail-on-unknown`, `--no-remediation`.
//!
//! Each is also an environment variable (`PLUMB_<FLAG>`) and a `plumb.yaml` setting; the
//! command line wins over the environment, which wins over `plumb.yaml`.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;

use crate::config::Config;
use crate::policy::Severity;
use crate::policy::select::{Selection, Selector};
use crate::report::{Format, Output};

/// Which policies judge, what is read, and how much is said.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct SelectArgs {
    /// Judge and report only policies of these severities (comma-separated, any case):
    /// `--severity HIGH,CRITICAL`. Default: all, or `severity` in plumb.yaml.
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        env = "PLUMB_SEVERITY"
    )]
    severity: Vec<String>,
    /// Judge only these policies: ids (`PLB-S3-001`), id patterns (`PLB-S3-*`), categories
    /// (`encryption`) or frameworks (`cis-aws-3.0`). Comma-separated or repeated. A name that
    /// matches no policy is a warning.
    #[arg(
        long,
        value_name = "ID|PATTERN|CATEGORY|FRAMEWORK",
        value_delimiter = ',',
        env = "PLUMB_CHECK"
    )]
    check: Vec<String>,
    /// Do not judge these policies (same names as --check); adds to `disable` in plumb.yaml.
    #[arg(
        long,
        value_name = "ID|PATTERN|CATEGORY|FRAMEWORK",
        value_delimiter = ',',
        env = "PLUMB_SKIP_CHECK"
    )]
    skip_check: Vec<String>,
    /// Checks that could not be decided (status unknown) fail the run (exit 1) too.
    /// Default: off; an unknown is listed and counted, but does not fail.
    #[arg(long, env = "PLUMB_FAIL_ON_UNKNOWN")]
    fail_on_unknown: bool,
    /// No notes on standard error, and the console lists only failures, what was not read
    /// and the summary. Errors are still printed.
    #[arg(short, long, env = "PLUMB_QUIET")]
    pub(crate) quiet: bool,
    /// Write the report to this file: the one --format given (or the format its extension
    /// names: .json, .sarif, .xml, .md, .csv, .html; else console). `--format X=PATH` does
    /// the same per format.
    #[arg(short, long, value_name = "PATH", env = "PLUMB_OUTPUT")]
    output: Option<PathBuf>,
    /// Console: do not print the remediation and docs link under each failing policy.
    #[arg(long, env = "PLUMB_NO_REMEDIATION")]
    no_remediation: bool,
}

/// `--skip-path`, for commands that read files.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct SkipPathArgs {
    /// Do not read files or folders whose path matches this glob (`**/test/**`,
    /// `legacy/*.tf`, `node_modules`): matched against the path, the path under the folder
    /// scanned, and the file name. Repeatable; skipped paths are listed in every report.
    #[arg(
        long = "skip-path",
        value_name = "GLOB",
        value_delimiter = ',',
        env = "PLUMB_SKIP_PATH"
    )]
    pub(crate) globs: Vec<String>,
}

impl SkipPathArgs {
    /// The globs: the command line's, else plumb.yaml's.
    pub(crate) fn globs(&self, config: &Config) -> Vec<String> {
        if self.globs.is_empty() {
            config.skip_path.clone()
        } else {
            self.globs.clone()
        }
    }
}

/// The flags resolved against plumb.yaml.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub selection: Selection,
    pub fail_on_unknown: bool,
    pub quiet: bool,
    pub remediation: bool,
    pub output: Option<PathBuf>,
}

impl SelectArgs {
    /// The command line (and environment) over plumb.yaml.
    pub(crate) fn resolve(&self, config: &Config) -> Result<Resolved> {
        let or_config = |flag: &[String], setting: &[String]| -> Vec<String> {
            if flag.is_empty() {
                setting.to_vec()
            } else {
                flag.to_vec()
            }
        };
        let severities = or_config(&self.severity, &config.severity)
            .iter()
            .flat_map(|s| s.split(','))
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                s.parse::<Severity>()
                    .map_err(|e| anyhow::anyhow!("--severity: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        let check = Selection::selectors("--check", &or_config(&self.check, &config.check))
            .map_err(anyhow::Error::msg)?;
        let mut skip: Vec<(Selector, String)> = Vec::new();
        for (from, list) in [
            (
                "--skip-check",
                or_config(&self.skip_check, &config.skip_check),
            ),
            ("plumb.yaml: disable:", config.disable.clone()),
        ] {
            for s in Selection::selectors(from, &list).map_err(anyhow::Error::msg)? {
                skip.push((s, from.to_string()));
            }
        }
        Ok(Resolved {
            selection: Selection {
                check,
                skip,
                severities,
            },
            fail_on_unknown: self.fail_on_unknown || config.fail_on_unknown == Some(true),
            quiet: self.quiet || config.quiet == Some(true),
            remediation: !self.no_remediation && config.remediation != Some(false),
            output: self.output.clone().or_else(|| config.output.clone()),
        })
    }
}

/// The outputs to write: `--format` as given, with `-o PATH` giving the file of the one
/// format without a path (or, with no `--format`, the format the file's extension names).
pub(crate) fn outputs(formats: &[Output], output: Option<&Path>) -> Result<Vec<Output>> {
    let Some(path) = output else {
        return Ok(formats.to_vec());
    };
    let mut outputs = formats.to_vec();
    let unnamed: Vec<usize> = (0..outputs.len())
        .filter(|&i| outputs[i].path.is_none())
        .collect();
    match unnamed.as_slice() {
        [] if outputs.is_empty() => outputs.push(Output {
            format: format_of(path),
            path: Some(path.to_path_buf()),
        }),
        [] => bail!(
            "-o/--output {}: every --format already names its file",
            path.display()
        ),
        [i] => outputs[*i].path = Some(path.to_path_buf()),
        _ => bail!(
            "-o/--output {} names the file of one format, but {} are given without a file: write --format FORMAT=PATH for each",
            path.display(),
            unnamed.len()
        ),
    }
    Ok(outputs)
}

/// The format a report file's extension names; console text otherwise.
fn format_of(path: &Path) -> Format {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Format::Json,
        Some("sarif") => Format::Sarif,
        Some("xml") => Format::Junit,
        Some("md" | "markdown") => Format::Markdown,
        Some("csv") => Format::Csv,
        Some("html" | "htm") => Format::Html,
        _ => Format::Console,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(s: &str) -> Output {
        s.parse().unwrap()
    }

    #[test]
    fn output_names_the_file_of_the_one_format() {
        let o = outputs(&[out("sarif")], Some(Path::new("r.sarif"))).unwrap();
        assert_eq!(o, [out("sarif=r.sarif")]);
        let o = outputs(
            &[out("json=a.json"), out("html")],
            Some(Path::new("r.html")),
        )
        .unwrap();
        assert_eq!(o, [out("json=a.json"), out("html=r.html")]);
        let o = outputs(&[], Some(Path::new("r.SARIF"))).unwrap();
        assert_eq!(o, [out("sarif=r.SARIF")]);
        let o = outputs(&[], Some(Path::new("r.txt"))).unwrap();
        assert_eq!(o, [out("console=r.txt")]);
        let e = outputs(&[out("json"), out("html")], Some(Path::new("r"))).unwrap_err();
        assert!(e.to_string().contains("FORMAT=PATH"), "{e}");
        assert!(outputs(&[out("json=a")], Some(Path::new("r"))).is_err());
        assert_eq!(outputs(&[out("json")], None).unwrap(), [out("json")]);
    }
}
