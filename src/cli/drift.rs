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
    #[arg(long, value_name = "SNAPSHOT|FILE")]
    from: Option<String>,
    /// The later side, in the same forms. Default: latest.
    #[arg(long, value_name = "SNAPSHOT|FILE")]
    to: Option<String>,
    /// Terraform to compare with what is live: a state, a plan, or a directory. Repeatable.
    #[arg(long, value_name = "PATH", requires = "live", conflicts_with_all = ["from", "to"])]
    iac: Vec<PathBuf>,
    /// What is live: a snapshot (latest, an id) or an inventory file.
    #[arg(long, value_name = "SNAPSHOT|FILE", requires = "iac")]
    live: Option<String>,
    /// The store. Default: `store` in plumb.yaml, else .plumb/plumb.db.
    #[arg(long, value_name = "PATH")]
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
            let db = store.get()?;
            let id = db.resolve(selector)?;
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
        _ => Ok(Found::File(spec)),
    }
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
        crate::normalize::normalize(&mut side.inventory.resources);
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
        #[derive(serde::Deserialize)]
        struct Header {
            schema: Option<String>,
        }
        let text =
            std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
        if let Ok(text) = std::str::from_utf8(&text)
            && let Ok(Header {
                schema: Some(schema),
            }) = serde_json::from_str(text)
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
        store: None,
    };
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
