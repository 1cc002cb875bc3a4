//! `plumb collect aws` and the live-AWS options `plumb scan --live-aws` shares, with the
//! progress display (a bar per account/region on a terminal, plain lines elsewhere, nothing
//! with `-q`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use super::{EXIT_ERROR, EXIT_OK, write_json};
use crate::collect::Collected;

#[derive(Debug, Args)]
pub(crate) struct CollectAwsArgs {
    #[command(flatten)]
    aws: AwsArgs,
    /// Where to write the inventory (JSON). Required unless --store is given.
    #[arg(
        short = 'o',
        long,
        value_name = "FILE",
        required_unless_present = "store"
    )]
    output: Option<PathBuf>,
    /// No progress output and no summary notes; what could not be read is still printed.
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    store: super::store::StoreArgs,
    // With --store: the policies the stored findings are judged by.
    #[command(flatten)]
    policies: super::PolicyArgs,
}

/// Where configuration is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SourceArg {
    /// The services' own read-only APIs.
    Api,
    /// AWS Config configuration items (the recorder must record the kinds you check).
    Config,
}

/// How to reach AWS. Credentials come from the standard chain: environment, shared config
/// and credentials files, SSO, web identity, container and instance roles.
#[derive(Debug, Args, Clone)]
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub(crate) struct AwsArgs {
    /// Named profile from ~/.aws/config.
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Regions to read, comma-separated, or `all` for every region enabled for the account.
    /// Default: the profile's or AWS_REGION's region.
    #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
    regions: Vec<String>,
    /// Role to assume (for example a read-only auditing role in another account).
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// api (default): the services' APIs; config: AWS Config configuration items.
    #[arg(long, value_enum, default_value = "api")]
    source: SourceArg,
    /// Read a whole organisation through this AWS Config aggregator (implies --source config).
    #[arg(long, value_name = "NAME")]
    aggregator: Option<String>,
    /// Regions read at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
    /// Seconds one API call may take, retries included.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    call_timeout: u64,
    /// Attempts per call on throttling, 5xx and connection errors (exponential backoff with
    /// jitter between them).
    #[arg(long, value_name = "N", default_value_t = 8)]
    max_attempts: u32,
    /// Seconds one region (and each global service) may take; what is unread then is
    /// recorded as not read, and the rest is kept. 0: no limit.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        env = "PLUMB_REGION_TIMEOUT"
    )]
    region_timeout: u64,
    /// Seconds the whole collection may take; then what was read is written and the rest is
    /// recorded as not read. 0 (the default): no limit.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 0,
        env = "PLUMB_TIMEOUT"
    )]
    timeout: u64,
    /// Retries one service may spend in one region over the run, beyond which failed calls
    /// are not retried.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 100,
        env = "PLUMB_RETRY_BUDGET"
    )]
    retry_budget: usize,
    /// Gather the CloudTrail write events (who changed what) since this time: a duration ago
    /// (`30m`, `24h`, `7d`, `2w`) or an RFC 3339 time. Default: since the previous snapshot
    /// of the same account and regions in the store (with --store), else the last 24 hours.
    /// CloudTrail keeps 90 days.
    #[arg(long, value_name = "DURATION|TIME", value_parser = parse_since)]
    events_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Do not gather CloudTrail events (and need no cloudtrail:LookupEvents permission).
    #[arg(long, conflicts_with = "events_since")]
    no_events: bool,
}

/// A limit in seconds; 0 is none.
#[cfg(feature = "aws")]
fn seconds(limit: u64) -> Option<std::time::Duration> {
    (limit > 0).then(|| std::time::Duration::from_secs(limit))
}

/// `--events-since`: `N` followed by m, h, d or w, counted back from now; or an RFC 3339 time.
fn parse_since(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let expected = || format!("{s:?}: expected a duration (30m, 24h, 7d, 2w) or an RFC 3339 time");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(expected)?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().map_err(|_| expected())?;
    let ago = match unit {
        "m" => chrono::Duration::try_minutes(n),
        "h" => chrono::Duration::try_hours(n),
        "d" => chrono::Duration::try_days(n),
        "w" => chrono::Duration::try_weeks(n),
        _ => None,
    }
    .ok_or_else(expected)?;
    Ok(chrono::Utc::now() - ago)
}

#[cfg(feature = "aws")]
impl AwsArgs {
    fn options(
        &self,
        priors: Vec<crate::collect::aws::events::Prior>,
    ) -> Result<crate::collect::aws::AwsOptions> {
        use crate::collect::aws::events::{EventOptions, Since};
        use crate::collect::aws::{AwsOptions, Mode, Regions};
        let regions = match self.regions.as_slice() {
            [] => Regions::Default,
            [all] if all == "all" => Regions::All,
            list => {
                if list.iter().any(|r| r == "all") {
                    bail!("--regions: `all` cannot be combined with named regions");
                }
                if let Some(bad) = list.iter().find(|r| {
                    r.is_empty()
                        || !r
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                }) {
                    bail!("--regions: {bad:?} is not a region name (like eu-west-1)");
                }
                Regions::List(list.to_vec())
            }
        };
        let mode = match (&self.aggregator, self.source) {
            (Some(name), _) => Mode::Aggregator(name.clone()),
            (None, SourceArg::Config) => Mode::Config,
            (None, SourceArg::Api) => Mode::Api,
        };
        if self.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        let defaults = AwsOptions::default();
        let call = std::time::Duration::from_secs(self.call_timeout.max(1));
        Ok(AwsOptions {
            profile: self.profile.clone(),
            role_arn: self.role_arn.clone(),
            regions,
            mode,
            concurrency: self.concurrency,
            call_timeout: call,
            attempt_timeout: defaults.attempt_timeout.min(call),
            max_attempts: self.max_attempts.max(1),
            region_timeout: seconds(self.region_timeout),
            run_timeout: seconds(self.timeout),
            retry_budget: self.retry_budget,
            events: (!self.no_events).then(|| {
                let defaults = EventOptions::default();
                EventOptions {
                    since: match (self.events_since, defaults.since) {
                        (Some(t), _) => Since::At(t),
                        (None, Since::Previous { otherwise, .. }) => Since::Previous {
                            snapshots: priors,
                            otherwise,
                        },
                        (None, since) => since,
                    },
                    ..defaults
                }
            }),
            ..defaults
        })
    }

    /// Collects live AWS, showing progress on standard error unless `quiet`. `priors`: the
    /// store's earlier snapshots, where the default CloudTrail event window starts.
    pub(crate) fn collect(
        &self,
        quiet: bool,
        priors: Vec<crate::collect::aws::events::Prior>,
    ) -> Result<Collected> {
        let options = self.options(priors)?;
        let progress: std::sync::Arc<dyn crate::collect::aws::Progress> = if quiet {
            std::sync::Arc::new(crate::collect::aws::Quiet)
        } else if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
            std::sync::Arc::new(bars::Bars::new())
        } else {
            std::sync::Arc::new(Lines)
        };
        Ok(crate::collect::aws::collect(&options, progress))
    }
}

#[cfg(not(feature = "aws"))]
impl AwsArgs {
    pub(crate) fn collect(&self, _quiet: bool, _priors: Vec<Never>) -> Result<Collected> {
        bail!("this plumb was built without live AWS support (the `aws` cargo feature)")
    }
}

/// Live scope options of `plumb scan`.
#[derive(Debug, Args, Clone)]
pub(crate) struct LiveArgs {
    /// Also collect live AWS (read-only) and evaluate it with the same policies.
    #[arg(long)]
    pub(crate) live_aws: bool,
    #[command(flatten)]
    pub(crate) aws: AwsArgs,
}

/// Runs `plumb collect aws`: exit 0 when everything in scope was read, 2 when something could
/// not be (the inventory is still written, and stored with --store).
pub(crate) fn run(args: CollectAwsArgs) -> Result<u8> {
    let judge = super::store::judge(&args.store, &args.policies)?;
    let priors = match &judge {
        Some((config, _)) => priors(&args.store, config)?,
        None => Vec::new(),
    };
    let collected = args.aws.collect(args.quiet, priors)?;
    for note in &collected.notes {
        eprintln!("plumb: note: {note}");
    }
    let inventory = collected.into_inventory();
    if let Some(path) = &args.output {
        write_json(path, &inventory)?;
    }
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
    let errors = &inventory.metadata.errors;
    if !args.quiet {
        let mut err = anstream::stderr().lock();
        writeln!(
            err,
            "plumb: {} resources from {} scopes{}",
            inventory.resources.len(),
            inventory.metadata.collectors.len(),
            args.output
                .as_ref()
                .map(|p| format!(" written to {}", p.display()))
                .unwrap_or_default()
        )?;
        if let Some(a) = &inventory.activity {
            writeln!(
                err,
                "plumb: {} CloudTrail write events from {} to {}",
                a.events.len(),
                a.since,
                a.until
            )?;
        }
    }
    // What could not be read is not progress: `-q` silences the notes above, never this.
    if !errors.is_empty() {
        let mut err = anstream::stderr().lock();
        writeln!(
            err,
            "plumb: incomplete: {} parts could not be read:",
            errors.len()
        )?;
        for e in errors.iter().take(20) {
            writeln!(err, "  {e}")?;
        }
        if errors.len() > 20 {
            writeln!(
                err,
                "  ... and {} more (see `errors` in the inventory)",
                errors.len() - 20
            )?;
        }
    }
    Ok(if errors.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    })
}

use super::aws_priors as priors;

/// Without live AWS support there is no earlier AWS snapshot to start a window at.
#[cfg(not(feature = "aws"))]
pub(crate) enum Never {}

/// Plain progress lines, for logs and CI.
#[cfg(feature = "aws")]
struct Lines;

#[cfg(feature = "aws")]
impl crate::collect::aws::Progress for Lines {
    fn begin(&self, _scope: &str, _service: &str) {}

    fn end(&self, scope: &str, service: &str, resources: usize, errors: usize) {
        let mut err = std::io::stderr().lock();
        let _ = if errors == 0 {
            writeln!(err, "plumb: {scope} {service}: {resources} resources")
        } else {
            writeln!(
                err,
                "plumb: {scope} {service}: {resources} resources, {errors} errors"
            )
        };
    }
}

#[cfg(feature = "aws")]
mod bars {
    //! One progress bar per account/region: services done out of started, and the ones
    //! still running.

    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

    pub(super) struct Bars {
        multi: MultiProgress,
        bars: Mutex<BTreeMap<String, (ProgressBar, Vec<String>)>>,
    }

    impl Bars {
        pub(super) fn new() -> Self {
            Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                bars: Mutex::new(BTreeMap::new()),
            }
        }
    }

    impl crate::collect::aws::Progress for Bars {
        fn begin(&self, scope: &str, service: &str) {
            let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
            let (bar, running) = bars.entry(scope.to_string()).or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new(0));
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix:<28} {pos}/{len} {wide_msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                bar.set_prefix(scope.to_string());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                (bar, Vec::new())
            });
            bar.inc_length(1);
            running.push(service.to_string());
            bar.set_message(running.join(" "));
        }

        fn end(&self, scope: &str, service: &str, resources: usize, errors: usize) {
            let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((bar, running)) = bars.get_mut(scope) {
                running.retain(|s| s != service);
                bar.inc(1);
                if errors > 0 {
                    bar.println(format!(
                        "{scope} {service}: {resources} resources, {errors} errors"
                    ));
                }
                if running.is_empty() {
                    bar.finish_with_message("done");
                } else {
                    bar.set_message(running.join(" "));
                }
            }
        }
    }
}
