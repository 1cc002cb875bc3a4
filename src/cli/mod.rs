//! The command line: argument definitions and wiring. The only place that prints.

mod aws;
mod collect;
mod completions;
mod drift;
mod history;
mod org;
mod policies;
mod select;
mod store;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::baseline::Baseline;
use crate::collect::terraform::hcl::{Vars, install};
use crate::collect::{Collected, Options, collect_paths_with};
use crate::config::Config;
use crate::findings::ScanReport;
use crate::inventory::{Files, Inventory};
use crate::pipeline::{self, Pipeline, Verdict};
use crate::policy::{self, PolicySet, Severity};
use crate::report::{self, Format, Output, RenderOptions};
use crate::waivers::{self, WaiverRule};

/// Exit code: no failure at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: failures at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_ERROR: u8 = 2;

/// plumb: policy-as-code compliance for Terraform, Kubernetes and live AWS.
#[derive(Debug, Parser)]
#[command(name = "plumb", version = completions::VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan Terraform configuration, plans and state, and Kubernetes manifests (files or
    /// directories), and live AWS with --live-aws.
    Scan(Box<ScanArgs>),
    /// Evaluate a saved inventory (from `plumb scan --save-inventory` or `plumb collect`).
    Check(CheckArgs),
    /// Snapshot live infrastructure (Kubernetes, AWS) into an inventory, for `plumb check`.
    #[command(subcommand)]
    Collect(collect::CollectCommand),
    /// Render a saved JSON report (`plumb scan --format json=FILE`) in other formats, without
    /// scanning again: `plumb report plumb.json --format html=report.html`.
    Report(ReportArgs),
    /// List, show, test and lint policies.
    #[command(subcommand)]
    Policies(policies::PoliciesCommand),
    /// List, show, prune and verify the snapshots in the store.
    History(history::HistoryArgs),
    /// What changed between two snapshots, or where live differs from Terraform.
    Drift(drift::DriftArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), or write one per command with --dir.
    Man(completions::ManArgs),
}

#[derive(Debug, Args)]
struct ReportArgs {
    /// A JSON report written by `plumb scan --format json=FILE` or `plumb check`.
    #[arg(
        value_name = "REPORT",
        required_unless_present = "org",
        conflicts_with = "org"
    )]
    source: Option<PathBuf>,
    /// One report over the newest snapshot of every scope in the store: pass rates per scope
    /// and per control, failures new and resolved since the window began, missing and
    /// incomplete scopes first. Formats: console, json, markdown, html.
    #[arg(long)]
    org: bool,
    /// With --org: the store. Default: PLUMB_STORE, else `store` in plumb.yaml, else
    /// .plumb/plumb.db.
    #[arg(long, value_name = "PATH|URL", requires = "org")]
    store: Option<PathBuf>,
    /// With --org: a scope without a snapshot in this window (24h, 36h, 7d) is missing, and
    /// new and resolved failures are counted against the snapshot before it.
    #[arg(long, value_name = "WINDOW", default_value = "24h", requires = "org")]
    since: String,
    /// With --org: settings file. Default: ./plumb.yaml when present.
    #[arg(long, value_name = "FILE", requires = "org")]
    config: Option<PathBuf>,
    /// Output format, optionally with a file (see `plumb scan --help`). Repeatable.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=PATH]")]
    formats: Vec<Output>,
    /// Console: list passing checks too.
    #[arg(long)]
    show_passed: bool,
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Files and directories to scan. Directories are walked; hidden folders are skipped.
    /// Default: the current directory, unless a live source is given.
    paths: Vec<PathBuf>,
    /// Accepted for older scripts; scanning everything that can be read and listing what
    /// could not is what a scan always does.
    #[arg(long, hide = true)]
    keep_going: bool,
    /// Stop before evaluating when an input cannot be read or evaluated (exit 2), instead of
    /// judging everything else and listing the problems in every report.
    #[arg(long)]
    fail_fast: bool,
    /// Also write the collected inventory (JSON) here, for `plumb check` later.
    #[arg(long, value_name = "FILE")]
    save_inventory: Option<PathBuf>,
    /// Set a Terraform root module variable, as `terraform plan -var` does. Repeatable.
    /// Lists, maps and objects use HCL syntax: `--var 'azs=["a","b"]'`. Overrides
    /// terraform.tfvars, *.auto.tfvars, --var-file and TF_VAR_NAME.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    /// A Terraform variables file (.tfvars or .tfvars.json) for the root modules scanned,
    /// read after terraform.tfvars and *.auto.tfvars. Repeatable.
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,
    /// Fetch remote Terraform modules (registry, git, HTTPS archives) that `terraform init`
    /// has not installed, into a cache outside the repository, and scan them. Without it
    /// nothing is downloaded.
    #[arg(long)]
    download_modules: bool,
    /// The module cache of --download-modules. Default: $XDG_CACHE_HOME/plumb/modules, else
    /// ~/.cache/plumb/modules.
    #[arg(long, value_name = "DIR", requires = "download_modules")]
    module_cache: Option<PathBuf>,
    /// The module registry that NAMESPACE/NAME/PROVIDER sources name (a private mirror, say).
    /// Loopback hosts (127.0.0.1:PORT, localhost) are reached over plain http; all others
    /// over https.
    #[arg(
        long,
        value_name = "HOST",
        env = "PLUMB_MODULE_REGISTRY",
        default_value = "registry.terraform.io",
        hide_env_values = true
    )]
    module_registry: String,
    /// Longest time one download request or `git` command of --download-modules may take.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    module_timeout: u64,
    /// A values file for the Helm charts scanned, as `helm template --values`. Repeatable.
    #[arg(long = "helm-values", value_name = "FILE")]
    helm_values: Vec<PathBuf>,
    /// Set a value for the Helm charts scanned, as `helm template --set`. Repeatable.
    #[arg(long = "helm-set", value_name = "KEY=VALUE")]
    helm_set: Vec<String>,
    #[command(flatten)]
    skip_path: select::SkipPathArgs,
    #[command(flatten)]
    live: aws::LiveArgs,
    #[command(flatten)]
    eval: EvalArgs,
    #[command(flatten)]
    store: store::StoreArgs,
}

/// `--download-modules` settings, progress on stderr.
fn download_settings(args: &ScanArgs) -> Result<Option<install::Download>> {
    if !args.download_modules {
        return Ok(None);
    }
    let cache = match &args.module_cache {
        Some(dir) => dir.clone(),
        None => install::Download::default_cache().ok_or_else(|| {
            anyhow::anyhow!(
                "--download-modules: no cache folder (neither XDG_CACHE_HOME nor HOME is set); give --module-cache DIR"
            )
        })?,
    };
    let mut download = install::Download::new(cache);
    download.default_registry = args.module_registry.trim().to_ascii_lowercase();
    download.request_timeout = std::time::Duration::from_secs(args.module_timeout.max(1));
    download.connect_timeout = download.connect_timeout.min(download.request_timeout);
    download.progress = Some(std::sync::Arc::new(|line: &str| {
        eprintln!("plumb: {line}");
    }));
    Ok(Some(download))
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected NAME=VALUE, got {s:?}")),
    }
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// An inventory document (JSON, from `plumb collect -o`, `plumb scan --save-inventory`
    /// or written by hand). Facets are derived again as collection derives them.
    inventory: PathBuf,
    #[command(flatten)]
    eval: EvalArgs,
    #[command(flatten)]
    store: store::StoreArgs,
}

/// Options shared by every command that evaluates policies.
#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Output format, optionally with a file: console, json, sarif, junit, markdown (or md),
    /// csv, html (`--format sarif=out.sarif`). Repeatable. Default: console on standard
    /// output.
    #[arg(
        long = "format",
        short = 'f',
        value_name = "FORMAT[=PATH]",
        env = "PLUMB_FORMAT",
        value_delimiter = ','
    )]
    formats: Vec<Output>,
    /// Lowest severity that makes the run fail (exit 1): critical, high, medium, low, info
    /// (any case), or never. Default: low, or `fail_on` in plumb.yaml. Independently of it,
    /// a finding with status error, or an input not read, exits 2.
    #[arg(long, value_name = "SEVERITY", env = "PLUMB_FAIL_ON")]
    fail_on: Option<String>,
    #[command(flatten)]
    select: select::SelectArgs,
    #[command(flatten)]
    pub(crate) policies: PolicyArgs,
    /// Console: list passing checks too.
    #[arg(long)]
    show_passed: bool,
    /// A waivers file (`waivers:` as in plumb.yaml), in addition to plumb.yaml's.
    #[arg(long, value_name = "FILE")]
    waivers: Option<PathBuf>,
    /// Compare failures with a baseline written by `--write-baseline`: only failures not in
    /// it fail the run; every format says which are new.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record this scan's failures as the baseline (JSON). They no longer fail this run,
    /// unless `--baseline` compares with an older one.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
}

/// Where policies and settings come from.
#[derive(Debug, Args, Clone)]
pub(crate) struct PolicyArgs {
    /// A directory of your own policies (YAML). Repeatable.
    #[arg(long = "policies", value_name = "DIR")]
    pub(crate) dirs: Vec<PathBuf>,
    /// Do not load the built-in policies.
    #[arg(long)]
    pub(crate) no_builtin: bool,
    /// Settings file. Default: ./plumb.yaml when present.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

impl PolicyArgs {
    pub(crate) fn config(&self) -> Result<Config> {
        match self.config.clone().or_else(Config::discover) {
            Some(path) => Ok(Config::read(&path)?),
            None => Ok(Config::default()),
        }
    }

    /// Loads and compiles every policy but those `disable:` in plumb.yaml names; all load
    /// errors are reported together.
    pub(crate) fn load(&self, config: &Config) -> Result<PolicySet> {
        let selection = select::SelectArgs::default().resolve(config)?.selection;
        self.load_selected(config, &selection)
    }

    /// [`Self::load`], keeping only what `selection` selects. A selector that names no
    /// policy is a warning on standard error.
    pub(crate) fn load_selected(
        &self,
        config: &Config,
        selection: &crate::policy::select::Selection,
    ) -> Result<PolicySet> {
        let mut files = if self.no_builtin {
            Vec::new()
        } else {
            policy::builtin_files()
        };
        for dir in self.dirs.iter().chain(&config.policies) {
            files.extend(policy::load_dir(dir).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        match policy::load_files(&files, &config.settings.to_json()) {
            Ok(policies) => {
                let (set, warnings) = selection.apply(PolicySet::new(policies));
                for w in warnings {
                    eprintln!("plumb: warning: {w}");
                }
                Ok(set)
            }
            Err(errors) => {
                let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
                bail!(
                    "{} policy error{}:\n  {}",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" },
                    list.join("\n  ")
                )
            }
        }
    }
}

/// Runs the command line and returns the process exit code.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    let outcome = match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Check(args) => check(args),
        Command::Collect(cmd) => collect::run(cmd),
        Command::Report(args) => render_saved(args),
        Command::Policies(cmd) => policies::run(cmd),
        Command::History(args) => history::run(args),
        Command::Drift(args) => drift::run(args),
        Command::Completions(args) => completions::completions(&args),
        Command::Man(args) => completions::man(&args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            let mut stderr = anstream::stderr();
            let _ = writeln!(
                stderr,
                "{}error:{} {e:#}",
                anstyle::Style::new()
                    .bold()
                    .fg_color(Some(anstyle::AnsiColor::Red.into())),
                anstyle::Reset
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

/// Phase timings on standard error when `PLUMB_TIMINGS` is set: where a slow scan spends
/// its time.
struct Timings {
    on: bool,
    last: std::time::Instant,
}

impl Timings {
    fn new() -> Self {
        Timings {
            on: std::env::var_os("PLUMB_TIMINGS").is_some(),
            last: std::time::Instant::now(),
        }
    }

    fn done(&mut self, phase: &str) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "plumb: {phase}: {:.1} ms{}",
                (now - self.last).as_secs_f64() * 1e3,
                resident()
            );
            self.last = now;
        }
    }
}

/// The process's resident memory now and at its peak, where the system says (Linux's
/// `/proc/self/status`): which phase holds the memory of a large scan.
fn resident() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().strip_suffix(" kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb / 1024)
    };
    match (field("VmRSS:"), field("VmHWM:")) {
        (Some(now), Some(peak)) => format!(", {now} MB resident, {peak} MB peak"),
        _ => String::new(),
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    let mut timings = Timings::new();
    let config = args.eval.policies.config()?;
    store::validate(&args.store, &config)?;
    let flags = args.eval.select.resolve(&config)?;
    let policies = args
        .eval
        .policies
        .load_selected(&config, &flags.selection)?;
    timings.done("load policies");
    for file in &args.var_files {
        if !file.is_file() {
            bail!("--var-file {}: no such file", file.display());
        }
    }
    let options = Options {
        terraform_vars: Vars {
            cli: args.vars.clone(),
            files: args.var_files.clone(),
            env: Vars::from_env(),
        },
        download_modules: download_settings(&args)?,
        helm: crate::collect::kubernetes::helm::HelmOptions {
            values: args.helm_values.clone(),
            set: args.helm_set.clone(),
            ..Default::default()
        },
        skip_paths: crate::collect::SkipPaths::new(&args.skip_path.globs(&config))
            .map_err(|e| anyhow::anyhow!("--skip-path: {e}"))?,
    };
    let paths = if args.paths.is_empty() && !args.live.live_aws {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // A path that does not exist is a mistake on the command line, not an input to list.
    for path in &paths {
        if std::fs::symlink_metadata(path).is_err() {
            bail!("{}: no such file or directory", path.display());
        }
    }
    let mut collected: Collected = collect_paths_with(&paths, &options);
    timings.done("collect");
    // A scan that judged nothing (a mistyped path, a folder of unsupported files) is an
    // error, never a green run; what could not be read is reported as usual instead.
    if !args.live.live_aws
        && collected.resources.is_empty()
        && collected.errors.iter().all(|e| e.warning)
    {
        let under: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let files = &collected.files;
        let mut message = format!(
            "no supported inputs under {}: {}",
            under.join(", "),
            Files {
                judged: 0,
                ..files.clone()
            }
            .line()
        );
        for s in files.skipped.iter().take(20) {
            message.push_str(&format!("\n  {}: {}", s.path, s.reason));
        }
        bail!(message);
    }
    let _ = args.keep_going;
    let unread: Vec<String> = collected
        .errors
        .iter()
        .filter(|e| !e.warning)
        .map(ToString::to_string)
        .collect();
    if args.fail_fast && !unread.is_empty() {
        bail!(
            "cannot read {} input{} (without --fail-fast the rest is scanned and these are listed):\n  {}",
            unread.len(),
            if unread.len() == 1 { "" } else { "s" },
            unread.join("\n  ")
        );
    }
    // A live collection is never thrown away for what it could not read: its errors are
    // reported with the findings, and the exit code says the scan was incomplete.
    if args.live.live_aws {
        let priors = aws_priors(&args.store, &config)?;
        let live = args.live.aws.collect(false, priors)?;
        if !flags.quiet {
            for note in &live.notes {
                eprintln!("plumb: note: {note}");
            }
        }
        collected.merge(live);
        timings.done("collect live AWS");
    }
    let inventory = collected.into_inventory();
    timings.done("normalise");
    if let Some(path) = &args.save_inventory {
        write_json(path, &inventory)?;
        timings.done("save inventory");
    }
    let keep = Keep {
        command: "scan",
        args: &args.store,
    };
    let code = evaluate_and_report(
        &inventory,
        &policies,
        &config,
        &args.eval,
        &flags,
        &keep,
        &mut timings,
    );
    std::mem::forget(inventory); // as for the report: exit without freeing it piece by piece
    code
}

fn check(args: CheckArgs) -> Result<u8> {
    let config = args.eval.policies.config()?;
    store::validate(&args.store, &config)?;
    let flags = args.eval.select.resolve(&config)?;
    let policies = args
        .eval
        .policies
        .load_selected(&config, &flags.selection)?;
    let mut timings = Timings::new();
    let mut inventory = Inventory::read(&args.inventory)?;
    timings.done("read inventory");
    // Facets as collection derives them: the file may come from another tool, an older
    // plumb, or a hand (fixtures/drift), and may carry none.
    crate::normalize::normalize_inventory(&mut inventory);
    timings.done("normalise");
    let keep = Keep {
        command: "check",
        args: &args.store,
    };
    evaluate_and_report(
        &inventory,
        &policies,
        &config,
        &args.eval,
        &flags,
        &keep,
        &mut timings,
    )
}

#[cfg(feature = "aws")]
use store::priors as aws_priors;

#[cfg(not(feature = "aws"))]
fn aws_priors(_: &store::StoreArgs, _: &Config) -> Result<Vec<aws::Never>> {
    Ok(Vec::new())
}

/// Whether, and how, to keep a run as a snapshot.
struct Keep<'a> {
    /// The command that took it.
    command: &'a str,
    args: &'a store::StoreArgs,
}

/// How many earlier snapshots the trend of a report shows.
const TREND_POINTS: usize = 30;

impl Keep<'_> {
    /// With `--store`: the earlier snapshots of the same scope (sharing a collector run's scope
    /// with `collectors`), oldest first, the last [`TREND_POINTS`], from the counts each
    /// snapshot keeps (no report is decoded). `None` without a store or earlier snapshots.
    fn trend(
        &self,
        collectors: &[crate::inventory::CollectorRun],
        config: &Config,
    ) -> Result<Option<crate::findings::Trend>> {
        let Some(flag) = &self.args.store else {
            return Ok(None);
        };
        let path = store::path(flag.as_deref(), config)?;
        if !crate::store::exists(&path) {
            return Ok(None);
        }
        let db = store::open_before_write(&path)?;
        let scopes: std::collections::HashSet<(&str, &str)> = collectors
            .iter()
            .map(|r| (r.collector.as_str(), r.scope.as_str()))
            .collect();
        let mut history: Vec<crate::findings::TrendPoint> = db
            .list()?
            .into_iter()
            .filter(|s| match &self.args.scope {
                Some(scope) => &s.scope == scope,
                None => s
                    .sources
                    .iter()
                    .any(|r| scopes.contains(&(r.collector.as_str(), r.scope.as_str()))),
            })
            .filter_map(|s| {
                let c = s.summary?;
                Some(crate::findings::TrendPoint {
                    snapshot: s.id.to_string(),
                    taken_at: s.collected_at,
                    evaluations: c.evaluations,
                    pass: c.pass,
                    fail: c.fail,
                    unknown: c.unknown,
                    waived: c.waived,
                    failures_by_severity: c.failures_by_severity,
                })
            })
            .collect();
        let skip = history.len().saturating_sub(TREND_POINTS);
        history.drain(..skip);
        Ok((!history.is_empty()).then_some(crate::findings::Trend { history }))
    }

    /// Stores the snapshot when `--store` was given.
    fn store(
        &self,
        inventory: &Inventory,
        report: &ScanReport,
        policies: &PolicySet,
        config: &Config,
        quiet: bool,
    ) -> Result<()> {
        let Some(flag) = &self.args.store else {
            return Ok(());
        };
        let path = store::path(flag.as_deref(), config)?;
        let retention = store::retention(self.args.keep, self.args.keep_days, config)?;
        let mut db = crate::store::Store::open(&path)?;
        let stored = db.put_in_scope(
            &crate::store::NewSnapshot {
                command: self.command,
                inventory,
                report: Some(report),
                policies: Some(crate::store::PolicyPack::of(policies, &config.settings)),
            },
            self.args.scope.as_deref(),
            &retention,
        )?;
        let pruned = match stored.pruned.len() {
            0 => String::new(),
            n => format!(
                "; retention removed {n} older snapshot{}",
                if n == 1 { "" } else { "s" }
            ),
        };
        // The store's own name for itself: a server URL without its password.
        if quiet {
            return Ok(());
        }
        eprintln!(
            "plumb: stored snapshot {} in {}{pruned}",
            stored.id,
            db.path()
        );
        Ok(())
    }
}

/// Judges the inventory through the pipeline, writes every requested format and the
/// snapshot, and decides the exit code.
fn evaluate_and_report(
    inventory: &Inventory,
    policies: &PolicySet,
    config: &Config,
    args: &EvalArgs,
    flags: &select::Resolved,
    keep: &Keep<'_>,
    timings: &mut Timings,
) -> Result<u8> {
    let gate = pipeline::Gate {
        threshold: fail_threshold(args.fail_on.as_deref().or(config.fail_on.as_deref()))?,
        fail_on_unknown: flags.fail_on_unknown,
    };
    let outputs = select::outputs(&args.formats, flags.output.as_deref())?;
    let mut rules: Vec<WaiverRule> = config.waiver_rules.clone();
    if let Some(path) = &args.waivers {
        rules.extend(waivers::read_file(path).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("{}", list.join("\n"))
        })?);
    }
    let baseline = match &args.baseline {
        Some(path) => Some((Baseline::read(path)?, path.display().to_string())),
        None => None,
    };
    let write_baseline = args
        .write_baseline
        .as_ref()
        .map(|p| p.display().to_string());
    let options = pipeline::Options {
        waivers: &rules,
        baseline: baseline.as_ref().map(|(b, name)| (b, name.as_str())),
        write_baseline: write_baseline.as_deref(),
        trend: keep.trend(&inventory.metadata.collectors, config)?,
        // Hashing serialises the whole inventory: done only for the formats that show it.
        hash_inventory: outputs
            .iter()
            .any(|o| matches!(o.format, Format::Json | Format::Html | Format::Markdown)),
        builtin: !args.policies.no_builtin,
        today: None,
    };
    let mut judged =
        Pipeline::new(policies, &config.settings)
            .judge(inventory, options, &mut |p| timings.done(p));
    // A JSON report can be rendered again later (`plumb report`): it records what the files
    // its failures point at held, so that their lines are shown only while they still do.
    if outputs.iter().any(|o| o.format == Format::Json)
        && let Ok(root) = std::env::current_dir().and_then(|d| d.canonicalize())
    {
        judged.report.scanned.sources = Some(crate::findings::ScannedSources::of(
            &judged.report.findings,
            &root,
        ));
        timings.done("hash sources");
    }
    if let (Some(path), Some(written)) = (&args.write_baseline, &judged.baseline) {
        write_json(path, written)?;
    }
    let render = RenderOptions {
        show_passed: args.show_passed,
        quiet: flags.quiet,
        hide_remediation: !flags.remediation,
        ..RenderOptions::default()
    };
    write_all(&outputs, &judged.report, &render, timings)?;
    keep.store(inventory, &judged.report, policies, config, flags.quiet)?;
    timings.done("store");
    let code = match judged.verdict(gate) {
        Verdict::Incomplete => EXIT_ERROR,
        Verdict::Failed => EXIT_FINDINGS,
        Verdict::Passed => EXIT_OK,
    };
    // The process ends here: freeing hundreds of thousands of findings one by one would only
    // delay the exit.
    std::mem::forget(judged);
    Ok(code)
}

/// Writes every requested format (console on standard output when none is).
fn write_all(
    formats: &[Output],
    report: &ScanReport,
    options: &RenderOptions,
    timings: &mut Timings,
) -> Result<()> {
    let console = [Output {
        format: Format::Console,
        path: None,
    }];
    let outputs = if formats.is_empty() {
        &console[..]
    } else {
        formats
    };
    // A reader that closes standard output (`| head`) ends what goes there, nothing else:
    // the formats written to files are still written, and the caller still stores the
    // snapshot and exits with the verdict.
    let mut stdout_closed = false;
    for output in outputs {
        if output.path.is_none() && stdout_closed {
            continue;
        }
        match write_report(output, report, options) {
            Err(e) if output.path.is_none() && is_broken_pipe(&e) => stdout_closed = true,
            written => written?,
        }
        timings.done(&format!("write {}", output.format));
    }
    Ok(())
}

/// `plumb report`: renders a saved report; never re-evaluates.
fn render_saved(args: ReportArgs) -> Result<u8> {
    let Some(source) = &args.source else {
        return org::run(org::OrgArgs {
            store: args.store.as_deref(),
            config: args.config.as_deref(),
            since: &args.since,
            formats: &args.formats,
        });
    };
    let mut timings = Timings::new();
    let report = ScanReport::read(source)?;
    timings.done("read report");
    let options = RenderOptions {
        show_passed: args.show_passed,
        excerpts: crate::report::Excerpts::Verified,
        ..RenderOptions::default()
    };
    write_all(&args.formats, &report, &options, &mut timings)?;
    Ok(EXIT_OK)
}

fn fail_threshold(value: Option<&str>) -> Result<Option<Severity>> {
    match value {
        None => Ok(Some(Severity::Low)),
        Some(s) if s.trim().eq_ignore_ascii_case("never") => Ok(None),
        Some(s) => s
            .parse::<Severity>()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("--fail-on: {e}, or never")),
    }
}

fn write_report(output: &Output, report: &ScanReport, options: &RenderOptions) -> Result<()> {
    let on_terminal = RenderOptions {
        pretty: output.path.is_none() && io::stdout().is_terminal(),
        ..options.clone()
    };
    let options = &on_terminal;
    // Console text carries ANSI styles: kept on a colour terminal (anstream honours NO_COLOR
    // and CLICOLOR_FORCE), stripped everywhere else.
    let styled = output.format == Format::Console;
    match &output.path {
        None if styled => {
            let mut text = Vec::new();
            report::render(output.format, report, options, &mut text)?;
            let mut out = anstream::stdout().lock();
            out.write_all(&text)?;
            out.flush()?;
        }
        None => {
            let mut out = BufWriter::new(io::stdout().lock());
            report::render(output.format, report, options, &mut out)?;
            out.flush()?;
        }
        Some(path) => {
            let mut out = BufWriter::new(create(path)?);
            let written = if styled {
                let mut text = Vec::new();
                report::render(output.format, report, options, &mut text)?;
                out.write_all(&anstream::adapter::strip_bytes(&text).into_vec())
            } else {
                report::render(output.format, report, options, &mut out)
            };
            written
                .and_then(|()| out.flush())
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(())
}

fn create(path: &Path) -> Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    File::create(path).with_context(|| format!("creating {}", path.display()))
}

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let mut out = BufWriter::new(create(path)?);
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
