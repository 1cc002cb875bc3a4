//! `plumb history`: the snapshots in the store.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, Subcommand, ValueEnum};

use super::store;
use super::{EXIT_ERROR, EXIT_OK};
use crate::config::Config;
use crate::findings::{Status, Summary};
use crate::policy::Severity;
use crate::store::{Selector, SnapshotInfo, Store};

#[derive(Debug, Args)]
pub(crate) struct HistoryArgs {
    #[command(subcommand)]
    command: Option<HistoryCommand>,
    /// The store: a file or a postgres:// URL. Default: PLUMB_STORE, else `store` in
    /// plumb.yaml, else .plumb/plumb.db.
    #[arg(long, value_name = "PATH|URL", global = true)]
    store: Option<PathBuf>,
    /// One line per scope (job, account, cluster): its newest snapshot and how many it has.
    #[arg(long, conflicts_with = "scope")]
    all_scopes: bool,
    /// Only this scope's snapshots; `latest`, `previous` and `latest~N` count back in it.
    #[arg(long, value_name = "NAME", global = true)]
    scope: Option<String>,
    /// Settings file. Default: ./plumb.yaml when present.
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// console (a table) or json (every snapshot's metadata).
    #[arg(
        long,
        short = 'f',
        value_enum,
        default_value = "console",
        global = true
    )]
    format: ListFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Console,
    Json,
}

#[derive(Debug, Subcommand)]
enum HistoryCommand {
    /// Print one snapshot: where it came from, what it holds, what failed.
    Show {
        /// A snapshot id, latest, previous or latest~N.
        snapshot: String,
        /// Print the snapshot's inventory document instead (for `plumb check` or
        /// `plumb drift --from FILE`).
        #[arg(long)]
        inventory: bool,
    },
    /// Delete old snapshots. A snapshot is kept when either rule keeps it; the newest always is.
    Prune {
        /// Keep the newest N snapshots.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Keep the snapshots of the last DAYS days.
        #[arg(long, value_name = "DAYS")]
        keep_days: Option<u32>,
    },
    /// Check the database and read back every snapshot, comparing its content hash.
    Verify,
}

pub(crate) fn run(args: HistoryArgs) -> Result<u8> {
    let config = match args.config.clone().or_else(Config::discover) {
        Some(path) => Config::read(&path)?,
        None => Config::default(),
    };
    let open = || store::open_existing(args.store.as_deref(), &config);
    let mut out = BufWriter::new(io::stdout().lock());
    match args.command {
        None if args.all_scopes => scopes(&open()?, args.format, &mut out)?,
        None => list(&open()?, args.scope.as_deref(), args.format, &mut out)?,
        Some(HistoryCommand::Show {
            snapshot,
            inventory,
        }) => {
            let db = open()?;
            let selector: Selector = snapshot.parse().map_err(anyhow::Error::msg)?;
            let id = db.resolve_in(selector, args.scope.as_deref())?;
            if inventory {
                out.write_all(&db.inventory_json(id)?)?;
                writeln!(out)?;
            } else {
                show(&db, id, args.format, &mut out)?;
            }
        }
        Some(HistoryCommand::Prune { keep, keep_days }) => {
            if keep.is_none() && keep_days.is_none() {
                bail!("say what to keep: --keep N, --keep-days DAYS, or both");
            }
            let retention = store::retention(keep, keep_days, &Config::default())?;
            let mut db = open()?;
            let pruned = db.prune(&retention)?;
            let ids: Vec<String> = pruned.iter().map(ToString::to_string).collect();
            writeln!(
                out,
                "removed {} snapshot{}{}",
                pruned.len(),
                if pruned.len() == 1 { "" } else { "s" },
                if ids.is_empty() {
                    String::new()
                } else {
                    format!(": {}", ids.join(", "))
                }
            )?;
        }
        Some(HistoryCommand::Verify) => {
            let db = open()?;
            let problems = db.verify()?;
            let count = db.list()?.len();
            out.flush()?;
            if problems.is_empty() {
                writeln!(out, "{}: {count} snapshots, all intact", db.path())?;
            } else {
                for p in &problems {
                    writeln!(out, "{}: {p}", db.path())?;
                }
                out.flush()?;
                return Ok(EXIT_ERROR);
            }
        }
    }
    out.flush()?;
    Ok(EXIT_OK)
}

fn sources(s: &SnapshotInfo) -> String {
    match s.sources.as_slice() {
        [] => "-".into(),
        [one] => format!("{} {}", one.collector, one.scope),
        [first, rest @ ..] => format!("{} {} +{}", first.collector, first.scope, rest.len()),
    }
}

fn failed(summary: &Option<Summary>) -> String {
    summary
        .as_ref()
        .map_or_else(|| "-".into(), |s| s.fail.to_string())
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 10_000_000 => format!("{:.0} MB", b as f64 / 1e6),
        b if b >= 1_000_000 => format!("{:.1} MB", b as f64 / 1e6),
        b if b >= 1_000 => format!("{:.0} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}

fn list(db: &Store, scope: Option<&str>, format: ListFormat, out: &mut dyn Write) -> Result<()> {
    let snapshots = match scope {
        Some(scope) => db.list_scope(scope)?,
        None => db.list()?,
    };
    if format == ListFormat::Json {
        json(&snapshots, out)?;
        return Ok(());
    }
    if snapshots.is_empty() {
        writeln!(out, "{}: no snapshots", db.path())?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>5}  {:<20}  {:<7}  {:>9}  {:>6}  {:>6}  {:<12}  SOURCES",
        "ID", "TAKEN", "COMMAND", "RESOURCES", "FAILED", "ERRORS", "INVENTORY"
    )?;
    for s in &snapshots {
        writeln!(
            out,
            "{:>5}  {:<20}  {:<7}  {:>9}  {:>6}  {:>6}  {:<12}  {}",
            s.id,
            s.taken_at,
            s.command,
            s.resources,
            failed(&s.summary),
            s.errors,
            &s.inventory_hash[..12.min(s.inventory_hash.len())],
            sources(s)
        )?;
    }
    let stored: u64 = snapshots.iter().map(|s| s.stored_bytes).sum();
    writeln!(
        out,
        "{} snapshots, {} of inventories and reports stored",
        snapshots.len(),
        size(stored)
    )?;
    Ok(())
}

/// `history --all-scopes`: one line per scope, by name.
fn scopes(db: &Store, format: ListFormat, out: &mut dyn Write) -> Result<()> {
    let scopes = db.scopes()?;
    if format == ListFormat::Json {
        return json(&scopes, out);
    }
    if scopes.is_empty() {
        writeln!(out, "{}: no snapshots", db.path())?;
        return Ok(());
    }
    writeln!(
        out,
        "{:>9}  {:>6}  {:<20}  {:>9}  {:>6}  {:>6}  SCOPE",
        "SNAPSHOTS", "LATEST", "TAKEN", "RESOURCES", "FAILED", "ERRORS"
    )?;
    for s in &scopes {
        let l = &s.latest;
        writeln!(
            out,
            "{:>9}  {:>6}  {:<20}  {:>9}  {:>6}  {:>6}  {}",
            s.snapshots,
            l.id,
            l.taken_at,
            l.resources,
            failed(&l.summary),
            l.errors,
            s.scope
        )?;
    }
    let total: usize = scopes.iter().map(|s| s.snapshots).sum();
    writeln!(out, "{} scopes, {total} snapshots", scopes.len())?;
    Ok(())
}

fn json(value: &impl serde::Serialize, out: &mut dyn Write) -> Result<()> {
    if io::stdout().is_terminal() {
        serde_json::to_writer_pretty(&mut *out, value)?;
    } else {
        serde_json::to_writer(&mut *out, value)?;
    }
    writeln!(out)?;
    Ok(())
}

/// Failing findings listed by `history show` at most.
const SHOW_LIMIT: usize = 50;

fn show(db: &Store, id: i64, format: ListFormat, out: &mut dyn Write) -> Result<()> {
    let info = db.info(id)?;
    let report = db.report(id)?;
    if format == ListFormat::Json {
        #[derive(serde::Serialize)]
        struct Shown<'a> {
            snapshot: &'a SnapshotInfo,
            report: &'a Option<crate::findings::ScanReport>,
        }
        json(
            &Shown {
                snapshot: &info,
                report: &report,
            },
            out,
        )?;
        return Ok(());
    }
    writeln!(out, "snapshot {}", info.id)?;
    writeln!(
        out,
        "  taken      {} (collected {})",
        info.taken_at, info.collected_at
    )?;
    writeln!(
        out,
        "  command    plumb {} {}",
        info.command, info.tool_version
    )?;
    writeln!(out, "  scope      {}", info.scope)?;
    if let Some(pack) = &info.policy_pack {
        writeln!(
            out,
            "  policies   {pack} · {}",
            info.policy_hash
                .as_deref()
                .map_or("", |h| &h[..12.min(h.len())])
        )?;
    }
    writeln!(
        out,
        "  inventory  {} resources · sha256 {} · {} ({} stored)",
        info.resources,
        info.inventory_hash,
        size(info.inventory_bytes),
        size(info.stored_bytes)
    )?;
    for (n, s) in info.sources.iter().enumerate() {
        writeln!(
            out,
            "  {}  {} {} ({} resources)",
            if n == 0 { "sources  " } else { "         " },
            s.collector,
            s.scope,
            s.resources
        )?;
    }
    writeln!(
        out,
        "  errors     {}",
        if info.errors == 0 {
            "none: every source was read".to_string()
        } else {
            format!("{} parts of the scope could not be read", info.errors)
        }
    )?;
    let Some(report) = report else {
        writeln!(
            out,
            "  findings   none stored (policies were not evaluated)"
        )?;
        return Ok(());
    };
    let s = &report.summary;
    let by_severity: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|sev| {
            s.failures_by_severity
                .get(sev)
                .map(|n| format!("{n} {sev}"))
        })
        .collect();
    writeln!(
        out,
        "  findings   {} checks: {} passed, {} failed{}, {} unknown, {} errors, {} waived",
        s.evaluations,
        s.pass,
        s.fail,
        if by_severity.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_severity.join(", "))
        },
        s.unknown,
        s.error,
        s.waived
    )?;
    let mut failing: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.status == Status::Fail)
        .collect();
    failing.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.policy_id.cmp(&b.policy_id))
            .then_with(|| a.resource.id.cmp(&b.resource.id))
    });
    if !failing.is_empty() {
        writeln!(out)?;
        writeln!(out, "failing ({})", failing.len())?;
        for f in failing.iter().take(SHOW_LIMIT) {
            writeln!(
                out,
                "  {:<8} {}  {}  {}",
                f.severity.as_str().to_uppercase(),
                f.policy_id,
                f.resource.id,
                f.message
            )?;
        }
        if failing.len() > SHOW_LIMIT {
            writeln!(
                out,
                "  … and {} more (--format json lists them all)",
                failing.len() - SHOW_LIMIT
            )?;
        }
    }
    Ok(())
}
