//! `plumb report --org`: one report over the newest snapshot of every scope of the store.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::{EXIT_OK, create, store};
use crate::config::Config;
use crate::report::drift::DriftFormat;
use crate::report::{Format, Output};

/// What `--org` needs from `plumb report`'s arguments.
pub(crate) struct OrgArgs<'a> {
    pub(crate) store: Option<&'a Path>,
    pub(crate) config: Option<&'a Path>,
    pub(crate) since: &'a str,
    pub(crate) formats: &'a [Output],
}

/// The organisation report's formats: those of drift reports (no SARIF, JUnit or CSV: they
/// describe one scan's findings).
fn format(output: &Output) -> Result<DriftFormat> {
    Ok(match output.format {
        Format::Console => DriftFormat::Console,
        Format::Json => DriftFormat::Json,
        Format::Markdown => DriftFormat::Markdown,
        Format::Html => DriftFormat::Html,
        other => bail!(
            "--format {other}: the organisation report is written as console, json, markdown or html"
        ),
    })
}

pub(crate) fn run(args: OrgArgs<'_>) -> Result<u8> {
    let window =
        crate::org::parse_window(args.since).map_err(|e| anyhow::anyhow!("--since {e}"))?;
    // Checked before reading anything: a large organisation takes a while.
    let outputs: Vec<(DriftFormat, Option<PathBuf>)> = if args.formats.is_empty() {
        vec![(DriftFormat::Console, None)]
    } else {
        args.formats
            .iter()
            .map(|o| Ok((format(o)?, o.path.clone())))
            .collect::<Result<_>>()?
    };
    let config = match args.config.map(Path::to_path_buf).or_else(Config::discover) {
        Some(path) => Config::read(&path)?,
        None => Config::default(),
    };
    let db = store::open_existing(args.store, &config)?;
    let report = crate::org::report(&db, chrono::Utc::now(), window)?;
    for (format, path) in outputs {
        match path {
            None => {
                let pretty = io::stdout().is_terminal();
                let mut out = BufWriter::new(io::stdout().lock());
                crate::report::org::render(format, &report, pretty, &mut out)?;
                out.flush()?;
            }
            Some(path) => {
                let mut out = BufWriter::new(create(&path)?);
                crate::report::org::render(format, &report, false, &mut out)
                    .and_then(|()| out.flush())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
        }
    }
    Ok(EXIT_OK)
}
