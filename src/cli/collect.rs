//! `plumb collect`: snapshot live infrastructure into an inventory document, with progress on
//! standard error.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub(crate) enum CollectCommand {
    /// Snapshot live Kubernetes clusters (kubeconfig contexts, or the cluster plumb runs in).
    K8s(K8sArgs),
    /// Snapshot live AWS accounts and regions into an inventory (read-only).
    ///
    /// Exits 0 when everything in scope was read, 2 when something could not be (the
    /// inventory is still written, with what was not read under `errors`).
    Aws(super::aws::CollectAwsArgs),
}

#[derive(Debug, Args)]
pub(crate) struct K8sArgs {
    /// Kubeconfig file. Default: $KUBECONFIG (several files are merged), then ~/.kube/config;
    /// inside a pod without one, the pod's service account.
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,
    /// A kubeconfig context to read (repeatable). Default: the current context.
    #[arg(long = "context", value_name = "NAME")]
    contexts: Vec<String>,
    /// Read every context of the kubeconfig, concurrently, into one inventory.
    #[arg(long, conflicts_with = "contexts")]
    all_contexts: bool,
    /// Read only this namespace (repeatable). Cluster-wide kinds (ClusterRoles, ...) are then
    /// not read, except the namespaces themselves.
    #[arg(long = "namespace", short = 'n', value_name = "NAMESPACE")]
    namespaces: Vec<String>,
    /// Write the inventory here. Default: standard output (nothing with --store).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Objects per list request; larger lists are read in pages.
    #[arg(long, value_name = "N", default_value_t = 500,
        value_parser = clap::value_parser!(u32).range(1..))]
    chunk_size: u32,
    /// Seconds to wait for an answer to one request.
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout: u64,
    /// The cluster's name in resource ids, instead of the context's (one cluster only; useful
    /// in-cluster, where there is no context).
    #[arg(long, value_name = "NAME", conflicts_with = "all_contexts")]
    cluster_name: Option<String>,
    /// Print no progress, only what could not be collected.
    #[arg(long, short = 'q')]
    quiet: bool,
    #[command(flatten)]
    store: super::store::StoreArgs,
    // With --store: the policies the stored findings are judged by.
    #[command(flatten)]
    policies: super::PolicyArgs,
}

/// Runs `plumb collect ...` and returns the exit code.
pub(crate) fn run(command: CollectCommand) -> Result<u8> {
    match command {
        CollectCommand::K8s(args) => k8s(args),
        CollectCommand::Aws(args) => super::aws::run(args),
    }
}

#[cfg(not(feature = "kubernetes"))]
fn k8s(_: K8sArgs) -> Result<u8> {
    anyhow::bail!(
        "this plumb was built without live Kubernetes support (cargo feature `kubernetes`)"
    )
}

#[cfg(feature = "kubernetes")]
fn k8s(args: K8sArgs) -> Result<u8> {
    use std::io::{self, BufWriter, IsTerminal, Write};

    use crate::collect::kubernetes::live::{self, Contexts, Options};

    let options = Options {
        kubeconfig: args.kubeconfig,
        contexts: if args.all_contexts {
            Contexts::All
        } else if args.contexts.is_empty() {
            Contexts::Current
        } else {
            Contexts::Named(args.contexts)
        },
        namespaces: args.namespaces,
        chunk_size: args.chunk_size,
        request_timeout: std::time::Duration::from_secs(args.request_timeout),
        cluster_name: args.cluster_name,
    };
    // Settings, policies and the store are checked before a long collection, not after.
    let judge = super::store::judge(&args.store, &args.policies)?;
    let display = progress::Display::new(args.quiet);
    let collected = live::collect(&options, &display)?;
    let inventory = collected.into_inventory();

    if let Some((config, policies)) = &judge {
        super::store::judge_and_keep(
            "collect",
            &inventory,
            &args.store,
            &args.policies,
            config,
            policies,
        )?;
    }

    match &args.output {
        Some(path) => super::write_json(path, &inventory)?,
        // Stored, and not asked for on standard output.
        None if judge.is_some() => {}
        None => {
            let stdout = io::stdout();
            let pretty = stdout.is_terminal();
            let mut out = BufWriter::new(stdout.lock());
            if pretty {
                serde_json::to_writer_pretty(&mut out, &inventory)?;
            } else {
                serde_json::to_writer(&mut out, &inventory)?;
            }
            writeln!(out)?;
            out.flush()?;
        }
    }

    let errors = &inventory.metadata.errors;
    let mut stderr = anstream::stderr().lock();
    if args.quiet {
        for e in errors {
            writeln!(stderr, "plumb: not collected: {e}")?;
        }
    } else {
        let clusters = inventory.metadata.collectors.len();
        writeln!(
            stderr,
            "plumb: {} resources from {clusters} cluster{}{}{}",
            inventory.resources.len(),
            if clusters == 1 { "" } else { "s" },
            args.output
                .as_ref()
                .map(|p| format!(" written to {}", p.display()))
                .unwrap_or_default(),
            match errors.len() {
                0 => String::new(),
                1 => "; 1 part could not be collected (listed above and in the inventory)"
                    .to_string(),
                n => format!(
                    "; {n} parts could not be collected (listed above and in the inventory)"
                ),
            }
        )?;
    }
    // An incomplete snapshot is not a clean run, but it is still written.
    Ok(if errors.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    })
}

#[cfg(feature = "kubernetes")]
mod progress {
    //! Progress of live collection on standard error: a bar per cluster on a terminal, one
    //! line per event elsewhere (CI logs), nothing with `--quiet`.

    use std::collections::HashMap;
    use std::io::{IsTerminal, Write};
    use std::sync::Mutex;

    use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

    use crate::collect::kubernetes::live::{Event, Progress};

    pub(super) enum Display {
        Quiet,
        Lines,
        Bars {
            multi: MultiProgress,
            bars: Mutex<HashMap<String, ProgressBar>>,
        },
    }

    impl Display {
        pub(super) fn new(quiet: bool) -> Self {
            if quiet {
                Display::Quiet
            } else if std::io::stderr().is_terminal() {
                Display::Bars {
                    multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                    bars: Mutex::new(HashMap::new()),
                }
            } else {
                Display::Lines
            }
        }

        fn line(&self, text: &str) {
            match self {
                Display::Quiet => {}
                Display::Lines => {
                    let _ = writeln!(anstream::stderr().lock(), "plumb: {text}");
                }
                Display::Bars { multi, .. } => {
                    let _ = multi.println(format!("plumb: {text}"));
                }
            }
        }
    }

    impl Progress for Display {
        fn report(&self, event: Event<'_>) {
            match event {
                Event::Connecting { cluster, server } => match self {
                    Display::Bars { multi, bars } => {
                        let bar = multi.add(ProgressBar::new_spinner());
                        bar.set_style(
                            ProgressStyle::with_template("{prefix:.bold} {spinner} {wide_msg}")
                                .expect("the template is valid"),
                        );
                        bar.set_prefix(cluster.to_string());
                        bar.set_message(format!("discovering the API of {server}"));
                        bar.enable_steady_tick(std::time::Duration::from_millis(120));
                        if let Ok(mut bars) = bars.lock() {
                            bars.insert(cluster.to_string(), bar);
                        }
                    }
                    _ => self.line(&format!("{cluster}: connecting to {server}")),
                },
                Event::Started { cluster, kinds } => match self {
                    Display::Bars { bars, .. } => {
                        if let Some(bar) = bars.lock().ok().and_then(|b| b.get(cluster).cloned()) {
                            bar.disable_steady_tick();
                            bar.set_style(
                                ProgressStyle::with_template(
                                    "{prefix:.bold} [{bar:24}] {pos}/{len} kinds {wide_msg}",
                                )
                                .expect("the template is valid")
                                .progress_chars("=> "),
                            );
                            bar.set_length(kinds as u64);
                            bar.set_message("");
                        }
                    }
                    _ => self.line(&format!("{cluster}: reading {kinds} kinds")),
                },
                Event::Listed {
                    cluster,
                    kind,
                    resources,
                } => match self {
                    Display::Bars { bars, .. } => {
                        if let Some(bar) = bars.lock().ok().and_then(|b| b.get(cluster).cloned()) {
                            bar.set_message(format!("{}: {resources}", kind.qualified()));
                            bar.inc(1);
                        }
                    }
                    _ => self.line(&format!("{cluster}: {}: {resources}", kind.qualified())),
                },
                Event::NotCollected { cluster: _, error } => {
                    self.line(&format!("not collected: {error}"));
                }
                Event::Finished {
                    cluster,
                    resources,
                    errors,
                } => {
                    let summary = match errors {
                        0 => format!("{resources} resources"),
                        n => format!("{resources} resources, {n} not collected"),
                    };
                    match self {
                        Display::Bars { bars, .. } => {
                            match bars.lock().ok().and_then(|b| b.get(cluster).cloned()) {
                                // Still a spinner: discovery never answered.
                                Some(bar) if bar.length().is_none() => {
                                    bar.finish_with_message("not collected");
                                }
                                Some(bar) => bar.finish_with_message(summary),
                                None => self.line(&format!("{cluster}: {summary}")),
                            }
                        }
                        _ => self.line(&format!("{cluster}: done, {summary}")),
                    }
                }
            }
        }
    }
}
