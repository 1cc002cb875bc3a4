//! `plumb drift`: snapshot against snapshot, or Terraform against live.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};

use super::{EXIT_FINDINGS, EXIT_OK, PolicyArgs, Timings, create, store};
use crate::collect::collect_paths;
use crate::config::Config;
use crate::drift::{self, DriftReport, IgnoreRules, Input, Options};
use crate::findings::Finding;
use crate::inventory::{Inventory, Tool};
use crate::report::drift::{DriftFormat, DriftOutput, render};
use crate::store::{PolicyPack, Selector, Store, StoredInventory};

#[derive(Debug, Args)]
pub(crate) struct DriftArgs {
    /// The earlier side: a snapshot id, latest, previous, latest~N, or a file (an inventory,
    /// a plan, a state, manifests). Default: previous.
    #[arg(long, value_name = "SNAPSHOT|FILE", conflicts_with = "since")]
    from: Option<String>,
    /// The later side, in the same forms. Default: latest.
    #[arg(long, value_name = "SNAPSHOT|FILE", conflicts_with = "since")]
    to: Option<String>,
    /// Across every scope of the store: what changed in the last WINDOW (24h, 7d), each
    /// scope's newest snapshot against its newest from before the window; scopes whose drift
    /// breaks a control first, scopes without a snapshot in the window listed.
    #[arg(long, value_name = "WINDOW", conflicts_with_all = ["iac", "scope"])]
    since: Option<String>,
    /// latest, previous and latest~N count back among this scope's snapshots.
    #[arg(long, value_name = "NAME")]
    scope: Option<String>,
    /// Terraform to compare with what is live: a state, a plan, or a directory. Repeatable.
    #[arg(long, value_name = "PATH", requires = "live", conflicts_with_all = ["from", "to"])]
    iac: Vec<PathBuf>,
    /// What is live: a snapshot (latest, an id) or an inventory file.
    #[arg(long, value_name = "SNAPSHOT|FILE", requires = "iac")]
    live: Option<String>,
    /// The store: a file or a postgres:// URL. Default: PLUMB_STORE, else `store` in
    /// plumb.yaml, else .plumb/plumb.db.
    #[arg(long, value_name = "PATH|URL")]
    store: Option<PathBuf>,
    /// Output format, optionally with a file: console, json, markdown, html
    /// (`--format html=drift.html`). Repeatable. Default: console on standard output.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=PATH]")]
    formats: Vec<DriftOutput>,
    /// Known drift to hide (see docs/drift.md). Default: ./.plumbignore when present.
    #[arg(long, value_name = "FILE")]
    ignore: Option<PathBuf>,
    /// Show all drift: do not read .plumbignore.
    #[arg(long, conflicts_with = "ignore")]
    no_ignore: bool,
    /// When to exit 1: on any drift, only on drift that breaks a control, or never.
    #[arg(long, value_enum, value_name = "WHEN", default_value = "drift")]
    fail_on: FailOn,
    #[command(flatten)]
    policies: PolicyArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Drift,
    Breaking,
    Never,
}

/// One side, loaded.
struct Side {
    inventory: Inventory,
    label: String,
    snapshot: Option<i64>,
    hash: Option<String>,
    /// The failures stored with the snapshot, when judged by this plumb with today's policies.
    failures: Option<Vec<Finding>>,
}

impl Side {
    fn input(&self) -> Input<'_> {
        Input {
            inventory: &self.inventory,
            label: self.label.clone(),
            snapshot: self.snapshot,
            hash: self.hash.clone(),
            failures: self.failures.as_deref(),
        }
    }
}

/// Opens the store on first use: file-only comparisons never need one.
struct LazyStore<'a> {
    flag: Option<&'a Path>,
    config: &'a Config,
    /// `--scope`: selectors count back in it.
    scope: Option<&'a str>,
    store: Option<Store>,
}

impl LazyStore<'_> {
    fn get(&mut self) -> Result<&Store> {
        if self.store.is_none() {
            self.store = Some(store::open_existing(self.flag, self.config)?);
        }
        Ok(self.store.as_ref().expect("just opened"))
    }
}

/// A side named on the command line, found but not yet decoded.
enum Found<'s> {
    Stored {
        id: i64,
        selector: Selector,
        hash: String,
        blob: StoredInventory,
        failures: Option<Vec<Finding>>,
    },
    File(&'s str),
}

/// Finds the side `spec` names: a snapshot selector (unless a file of that name exists), or a
/// file or folder. `pack` is today's policy pack: a snapshot judged by this plumb with the
/// same pack brings its failures along.
fn find<'s>(spec: &'s str, store: &mut LazyStore<'_>, pack: &PolicyPack) -> Result<Found<'s>> {
    match spec.parse::<Selector>() {
        Ok(selector) if !Path::new(spec).exists() => {
            let scope = store.scope;
            let db = store.get()?;
            let id = db.resolve_in(selector, scope)?;
            stored(db, id, selector, pack)
        }
        _ => Ok(Found::File(spec)),
    }
}

/// Snapshot `id`, found but not yet decoded.
fn stored<'s>(db: &Store, id: i64, selector: Selector, pack: &PolicyPack) -> Result<Found<'s>> {
    let info = db.info(id)?;
    let same_judge = info.tool_version == env!("CARGO_PKG_VERSION")
        && info.policy_hash.as_deref() == Some(pack.hash.as_str());
    Ok(Found::Stored {
        id,
        selector,
        hash: info.inventory_hash,
        blob: db.inventory_blob(id)?,
        failures: if same_judge { db.failures(id)? } else { None },
    })
}

/// Decodes a side (the slow part: decompressing and parsing).
fn decode(found: Found<'_>) -> Result<Side> {
    let mut side = match found {
        Found::Stored {
            id,
            selector,
            hash,
            blob,
            failures,
        } => Side {
            inventory: blob.decode()?,
            label: format!("snapshot {id} ({selector})"),
            snapshot: Some(id),
            hash: Some(hash),
            failures,
        },
        Found::File(spec) => Side {
            inventory: read_inventory(Path::new(spec))?,
            label: spec.to_string(),
            snapshot: None,
            hash: None,
            failures: None,
        },
    };
    // Facets and links come from the running plumb, so that a change of plumb between two
    // snapshots does not show as drift. Files are normalised always: they may have been
    // written by hand or by another tool.
    if side.snapshot.is_none() || side.inventory.metadata.tool != Tool::default() {
        crate::normalize::normalize_inventory(&mut side.inventory);
    }
    Ok(side)
}

/// Reads two sides, decoding them in parallel.
fn load_pair(
    a: &str,
    b: &str,
    store: &mut LazyStore<'_>,
    pack: &PolicyPack,
) -> Result<(Side, Side)> {
    let (a, b) = (find(a, store, pack)?, find(b, store, pack)?);
    let (a, b) = rayon::join(|| decode(a), || decode(b));
    Ok((a?, b?))
}

/// An inventory document, or any input `plumb scan` reads (collected the same way).
fn read_inventory(path: &Path) -> Result<Inventory> {
    if path.is_file() {
        let text = crate::read::bytes(path, crate::read::Limit::Document)
            .with_context(|| path.display().to_string())?;
        if let Ok(text) = std::str::from_utf8(&text)
            && let Ok(Some(schema)) = crate::document::declared_schema(text)
            && schema.starts_with("plumb.dev/inventory/")
        {
            return Ok(Inventory::from_json(&path.display().to_string(), text)?);
        }
    }
    let collected = collect_paths(&[path.to_path_buf()]);
    // Warnings (a module not downloaded) are listed by the report; errors would make the
    // comparison claim drift that is only unread input.
    if collected.errors.iter().any(|e| !e.warning) {
        let list: Vec<String> = collected.errors.iter().map(ToString::to_string).collect();
        bail!("cannot read {}:\n  {}", path.display(), list.join("\n  "));
    }
    if collected.resources.is_empty() && collected.runs.is_empty() {
        bail!(
            "{}: no inventory, Terraform plan or state, or Kubernetes manifest here",
            path.display()
        );
    }
    Ok(collected.into_inventory())
}

pub(crate) fn run(args: DriftArgs) -> Result<u8> {
    let mut timings = Timings::new();
    let config = args.policies.config()?;
    let policies = args.policies.load(&config)?;
    let ignore = if args.no_ignore {
        None
    } else {
        match args.ignore.clone().or_else(|| {
            let default = PathBuf::from(IgnoreRules::FILE);
            default.is_file().then_some(default)
        }) {
            Some(path) => Some(IgnoreRules::read(&path)?),
            None => None,
        }
    };
    let options = Options {
        policies: &policies,
        settings: &config.settings,
        ignore: ignore.as_ref(),
    };
    timings.done("load policies");
    let pack = PolicyPack::of(&policies, &config.settings);
    let mut store = LazyStore {
        flag: args.store.as_deref(),
        config: &config,
        scope: args.scope.as_deref(),
        store: None,
    };
    if let Some(window) = &args.since {
        let window =
            crate::org::parse_window(window).map_err(|e| anyhow::anyhow!("--since {e}"))?;
        return across_scopes(&args, window, &options, &pack, &mut store, &mut timings);
    }
    let report = if args.iac.is_empty() {
        let (from, to) = load_pair(
            args.from.as_deref().unwrap_or("previous"),
            args.to.as_deref().unwrap_or("latest"),
            &mut store,
            &pack,
        )?;
        timings.done("read snapshots");
        let report = drift::snapshots(&from.input(), &to.input(), &options);
        // Large inventories are not freed piece by piece: the process is about to end.
        std::mem::forget((from, to));
        report
    } else {
        let live_spec = args
            .live
            .as_deref()
            .expect("clap requires --live with --iac");
        let found = find(live_spec, &mut store, &pack)?;
        let (iac, live) = rayon::join(
            || {
                let collected = collect_paths(&args.iac);
                if collected.errors.iter().any(|e| !e.warning) {
                    let list: Vec<String> =
                        collected.errors.iter().map(ToString::to_string).collect();
                    bail!("cannot read the IaC:\n  {}", list.join("\n  "));
                }
                Ok(collected.into_inventory())
            },
            || decode(found),
        );
        let (iac, live) = (iac?, live?);
        timings.done("read inventories");
        let label: Vec<String> = args.iac.iter().map(|p| p.display().to_string()).collect();
        let report = drift::iac_vs_live(
            &Input {
                inventory: &iac,
                label: label.join(", "),
                snapshot: None,
                hash: None,
                failures: None,
            },
            &live.input(),
            &options,
        );
        std::mem::forget((iac, live));
        report
    };
    timings.done("compare");
    let outputs = if args.formats.is_empty() {
        vec![DriftOutput {
            format: DriftFormat::Console,
            path: None,
        }]
    } else {
        args.formats.clone()
    };
    for output in &outputs {
        write(output, &report)?;
        timings.done(&format!("write {}", output.format));
    }
    let code = exit_code(&report, args.fail_on);
    // The process ends here: freeing two large inventories piece by piece would only delay
    // the exit.
    std::mem::forget(report);
    Ok(code)
}

fn exit_code(report: &DriftReport, fail_on: FailOn) -> u8 {
    let s = &report.summary;
    match fail_on {
        FailOn::Drift if s.drift => EXIT_FINDINGS,
        FailOn::Breaking if s.breaking > 0 => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}

fn write(output: &DriftOutput, report: &DriftReport) -> Result<()> {
    let styled = output.format == DriftFormat::Console;
    let pretty = output.path.is_none() && io::stdout().is_terminal();
    match &output.path {
        None if styled => {
            let mut text = Vec::new();
            render(output.format, report, pretty, &mut text)?;
            let mut out = anstream::stdout().lock();
            out.write_all(&text)?;
            out.flush()?;
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            render(output.format, report, pretty, &mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let mut out = BufWriter::new(create(path)?);
            let written = if styled {
                let mut text = Vec::new();
                render(output.format, report, pretty, &mut text)?;
                out.write_all(&anstream::adapter::strip_bytes(&text).into_vec())
            } else {
                render(output.format, report, pretty, &mut out)
            };
            written
                .and_then(|()| out.flush())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

/// One scope's drift in the window.
#[derive(serde::Serialize)]
struct ScopeDrift {
    scope: String,
    report: DriftReport,
}

/// A scope that could not be compared: no snapshot in the window, or no earlier one.
#[derive(serde::Serialize)]
struct Uncompared {
    scope: String,
    latest: i64,
    taken_at: String,
}

/// `plumb drift --since`: every scope of the store.
#[derive(serde::Serialize)]
struct OrgDrift {
    schema: &'static str,
    store: String,
    since: String,
    /// Scopes that drifted, those whose drift breaks a control first. Each report's
    /// `findings.open` is left empty (its summary counts them).
    drifted: Vec<ScopeDrift>,
    /// Scopes compared that did not drift.
    unchanged: Vec<String>,
    /// No snapshot in the window: the job did not run, or failed before storing.
    missing: Vec<Uncompared>,
    /// One snapshot only: nothing to compare it with yet.
    first: Vec<Uncompared>,
}

fn across_scopes(
    args: &DriftArgs,
    window: chrono::Duration,
    options: &Options<'_>,
    pack: &PolicyPack,
    store: &mut LazyStore<'_>,
    timings: &mut Timings,
) -> Result<u8> {
    // Checked before the (long) comparison.
    for output in &args.formats {
        if output.format == DriftFormat::Html {
            bail!(
                "--since writes console, json or markdown (an HTML page is one comparison: name it with --from/--to and --scope)"
            );
        }
    }
    let db = store.get()?;
    let cutoff = chrono::Utc::now() - window;
    let mut org = OrgDrift {
        schema: "plumb.dev/org-drift/v1",
        store: db.path().to_string(),
        since: cutoff.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        drifted: Vec::new(),
        unchanged: Vec::new(),
        missing: Vec::new(),
        first: Vec::new(),
    };
    // One scope at a time: two inventories decoded, compared, and dropped before the next.
    for history in crate::org::ScopeHistory::all(db)? {
        let latest = history.latest();
        let uncompared = || Uncompared {
            scope: history.scope.clone(),
            latest: latest.id,
            taken_at: latest.taken_at.clone(),
        };
        if !history.fresh(cutoff) {
            org.missing.push(uncompared());
            continue;
        }
        let Some(base) = history.baseline(cutoff) else {
            org.first.push(uncompared());
            continue;
        };
        let (a, b) = (
            stored(db, base.id, Selector::Id(base.id), pack)?,
            stored(db, latest.id, Selector::Id(latest.id), pack)?,
        );
        let (from, to) = rayon::join(|| decode(a), || decode(b));
        let (from, to) = (from?, to?);
        let mut report = drift::snapshots(&from.input(), &to.input(), options);
        drop((from, to));
        // What changed, not what stayed: the failures open on both sides are counted
        // (summary.findings_open) but not kept, or a hundred scopes' worth of them would
        // hold gigabytes. `plumb report --org` and `--scope` list them.
        report.findings.open = Vec::new();
        if report.summary.drift {
            org.drifted.push(ScopeDrift {
                scope: history.scope.clone(),
                report,
            });
        } else {
            org.unchanged.push(history.scope.clone());
        }
    }
    org.drifted.sort_by(|a, b| {
        b.report
            .summary
            .breaking
            .cmp(&a.report.summary.breaking)
            .then_with(|| a.scope.cmp(&b.scope))
    });
    timings.done("compare every scope");
    let outputs = if args.formats.is_empty() {
        vec![DriftOutput {
            format: DriftFormat::Console,
            path: None,
        }]
    } else {
        args.formats.clone()
    };
    for output in &outputs {
        write_org(output, &org)?;
        timings.done(&format!("write {}", output.format));
    }
    let breaking: usize = org.drifted.iter().map(|d| d.report.summary.breaking).sum();
    Ok(match args.fail_on {
        FailOn::Drift if !org.drifted.is_empty() => EXIT_FINDINGS,
        FailOn::Breaking if breaking > 0 => EXIT_FINDINGS,
        _ => EXIT_OK,
    })
}

fn render_org(
    format: DriftFormat,
    org: &OrgDrift,
    pretty: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == DriftFormat::Json {
        if pretty {
            serde_json::to_writer_pretty(&mut *out, org)?;
        } else {
            serde_json::to_writer(&mut *out, org)?;
        }
        return writeln!(out);
    }
    let md = format == DriftFormat::Markdown;
    let breaking: usize = org.drifted.iter().map(|d| d.report.summary.breaking).sum();
    if md {
        writeln!(
            out,
            "# Drift across the organisation since {}
",
            org.since
        )?;
    }
    writeln!(
        out,
        "{} scopes drifted ({breaking} changes break a control), {} unchanged, {} without a snapshot since {}, {} with a first snapshot only{}",
        org.drifted.len(),
        org.unchanged.len(),
        org.missing.len(),
        org.since,
        org.first.len(),
        if md { "." } else { "" }
    )?;
    for m in &org.missing {
        if md {
            writeln!(
                out,
                "- missing: `{}` (last snapshot {} at {})",
                m.scope, m.latest, m.taken_at
            )?;
        } else {
            writeln!(
                out,
                "  missing: {} (last snapshot {} at {})",
                m.scope, m.latest, m.taken_at
            )?;
        }
    }
    for d in &org.drifted {
        writeln!(out)?;
        if md {
            writeln!(
                out,
                "## {}
",
                d.scope
            )?;
        } else {
            writeln!(out, "=== {} ===", d.scope)?;
        }
        render(format, &d.report, pretty, out)?;
    }
    Ok(())
}

fn write_org(output: &DriftOutput, org: &OrgDrift) -> Result<()> {
    let pretty = output.path.is_none() && io::stdout().is_terminal();
    let mut text = Vec::new();
    render_org(output.format, org, pretty, &mut text)?;
    match &output.path {
        None if output.format == DriftFormat::Console => {
            let mut out = anstream::stdout().lock();
            out.write_all(&text)?;
            out.flush()?;
        }
        None => {
            let mut out = io::stdout().lock();
            out.write_all(&text)?;
            out.flush()?;
        }
        Some(path) => {
            let text = if output.format == DriftFormat::Console {
                anstream::adapter::strip_bytes(&text).into_vec()
            } else {
                text
            };
            let mut out = BufWriter::new(create(path)?);
            out.write_all(&text)
                .and_then(|()| out.flush())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}
