//! The command line: argument definitions and wiring. The only place that prints.

mod aws;
mod collect;
mod policies;

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};

use crate::collect::terraform::hcl::Vars;
use crate::collect::{Collected, Options, collect_paths_with};
use crate::config::Config;
use crate::engine::evaluate;
use crate::findings::{ScanReport, Scanned};
use crate::inventory::Inventory;
use crate::policy::{self, PolicySet, Severity};
use crate::report::{self, Format, Output, RenderOptions};

/// Exit code: no failure at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: failures at or above the threshold.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: usage or input error.
pub const EXIT_ERROR: u8 = 2;

/// plumb: policy-as-code compliance for Terraform, Kubernetes and live AWS.
#[derive(Debug, Parser)]
#[command(name = "plumb", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan Terraform configuration, plans and state, and Kubernetes manifests (files or
    /// directories), and live AWS with --live-aws.
    Scan(ScanArgs),
    /// Evaluate a saved inventory (from `plumb scan --save-inventory` or `plumb collect`).
    Check(CheckArgs),
    /// Snapshot live infrastructure (Kubernetes, AWS) into an inventory, for `plumb check`.
    #[command(subcommand)]
    Collect(collect::CollectCommand),
    /// List, show, test and lint policies.
    #[command(subcommand)]
    Policies(policies::PoliciesCommand),
}

#[derive(Debug, Args)]
struct ScanArgs {
    /// Files and directories to scan. Directories are walked; hidden folders are skipped.
    /// Default: the current directory, unless a live source is given.
    paths: Vec<PathBuf>,
    /// Report what could not be read and scan everything else, instead of stopping.
    #[arg(long)]
    keep_going: bool,
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
    #[command(flatten)]
    live: aws::LiveArgs,
    #[command(flatten)]
    eval: EvalArgs,
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
    /// An inventory document.
    inventory: PathBuf,
    #[command(flatten)]
    eval: EvalArgs,
}

/// Options shared by every command that evaluates policies.
#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Output format, optionally with a file: console, json, sarif (`--format sarif=out.sarif`).
    /// Repeatable. Default: console on standard output.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=PATH]")]
    formats: Vec<Output>,
    /// Lowest severity that makes the run fail (exit 1): critical, high, medium, low, info,
    /// or never. Default: low, or `fail_on` in plumb.yaml.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    #[command(flatten)]
    pub(crate) policies: PolicyArgs,
    /// Console: list passing checks too.
    #[arg(long)]
    show_passed: bool,
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

    /// Loads and compiles every policy; all load errors are reported together.
    pub(crate) fn load(&self, config: &Config) -> Result<PolicySet> {
        let mut files = if self.no_builtin {
            Vec::new()
        } else {
            policy::builtin_files()
        };
        for dir in self.dirs.iter().chain(&config.policies) {
            files.extend(policy::load_dir(dir).map_err(|e| anyhow::anyhow!("{e}"))?);
        }
        match policy::load_files(&files, &config.settings.to_json()) {
            Ok(policies) => Ok(PolicySet::new(policies).without(&config.disable)),
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
        Command::Scan(args) => scan(args),
        Command::Check(args) => check(args),
        Command::Collect(cmd) => collect::run(cmd),
        Command::Policies(cmd) => policies::run(cmd),
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
                "plumb: {phase}: {:.1} ms",
                (now - self.last).as_secs_f64() * 1e3
            );
            self.last = now;
        }
    }
}

fn scan(args: ScanArgs) -> Result<u8> {
    let mut timings = Timings::new();
    let config = args.eval.policies.config()?;
    let policies = args.eval.policies.load(&config)?;
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
    };
    let paths = if args.paths.is_empty() && !args.live.live_aws {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut collected: Collected = collect_paths_with(&paths, &options);
    timings.done("collect");
    if !args.keep_going && !collected.errors.is_empty() {
        let list: Vec<String> = collected.errors.iter().map(ToString::to_string).collect();
        bail!(
            "cannot read {} input{} (use --keep-going to scan the rest and report these):\n  {}",
            collected.errors.len(),
            if collected.errors.len() == 1 { "" } else { "s" },
            list.join("\n  ")
        );
    }
    // A live collection is never thrown away for what it could not read: its errors are
    // reported with the findings, and the exit code says the scan was incomplete.
    if args.live.live_aws {
        collected.merge(args.live.aws.collect(false)?);
        timings.done("collect live AWS");
    }
    let inventory = collected.into_inventory();
    timings.done("normalise");
    if let Some(path) = &args.save_inventory {
        write_json(path, &inventory)?;
        timings.done("save inventory");
    }
    let code = evaluate_and_report(&inventory, &policies, &config, &args.eval, &mut timings);
    std::mem::forget(inventory); // as for the report: exit without freeing it piece by piece
    code
}

fn check(args: CheckArgs) -> Result<u8> {
    let config = args.eval.policies.config()?;
    let policies = args.eval.policies.load(&config)?;
    let mut timings = Timings::new();
    let inventory = Inventory::read(&args.inventory)?;
    timings.done("read inventory");
    evaluate_and_report(&inventory, &policies, &config, &args.eval, &mut timings)
}

/// Evaluates, writes every requested format, and decides the exit code.
fn evaluate_and_report(
    inventory: &Inventory,
    policies: &PolicySet,
    config: &Config,
    args: &EvalArgs,
    timings: &mut Timings,
) -> Result<u8> {
    let threshold = fail_threshold(args.fail_on.as_deref().or(config.fail_on.as_deref()))?;
    let (findings, mut errors) = evaluate(policies, &config.settings, &inventory.resources);
    timings.done("evaluate");
    let input_errors = inventory.metadata.errors.len();
    errors.extend(inventory.metadata.errors.iter().cloned());
    let report = ScanReport::new(
        Scanned {
            collected_at: inventory.metadata.collected_at.clone(),
            collectors: inventory.metadata.collectors.clone(),
        },
        inventory.resources.len(),
        policies.iter().map(|p| p.doc.clone()).collect(),
        findings,
        errors,
    );
    let options = RenderOptions {
        show_passed: args.show_passed,
        pretty: false,
    };
    let outputs = if args.formats.is_empty() {
        vec![Output {
            format: Format::Console,
            path: None,
        }]
    } else {
        args.formats.clone()
    };
    timings.done("assemble report");
    for output in &outputs {
        write_report(output, &report, &options)?;
        timings.done(&format!("write {}", output.format));
    }
    let code = exit_code(&report, threshold, input_errors);
    // The process ends here: freeing hundreds of thousands of findings one by one would only
    // delay the exit.
    std::mem::forget(report);
    Ok(code)
}

/// Input errors (unread sources) outrank findings: an incomplete scan is not a verdict.
fn exit_code(report: &ScanReport, threshold: Option<Severity>, input_errors: usize) -> u8 {
    if input_errors > 0 {
        EXIT_ERROR
    } else if threshold.is_some_and(|t| report.failures_at_or_above(t) > 0) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn fail_threshold(value: Option<&str>) -> Result<Option<Severity>> {
    match value {
        None => Ok(Some(Severity::Low)),
        Some("never") => Ok(None),
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
