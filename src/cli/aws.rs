//! `plumb collect aws` and the live-AWS options `plumb scan --live-aws` shares, with the
//! progress display (a bar per account/region on a terminal, plain lines elsewhere, nothing
//! with `-q`).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use super::{EXIT_ERROR, EXIT_OK, write_json};
use crate::collect::Collected;

#[derive(Debug, Args)]
pub(crate) struct CollectAwsArgs {
    #[command(flatten)]
    aws: AwsArgs,
    /// Where to write the inventory (JSON).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: PathBuf,
    /// No progress output.
    #[arg(short = 'q', long)]
    quiet: bool,
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
}

#[cfg(feature = "aws")]
impl AwsArgs {
    fn options(&self) -> Result<crate::collect::aws::AwsOptions> {
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
            ..defaults
        })
    }

    /// Collects live AWS, showing progress on standard error unless `quiet`.
    pub(crate) fn collect(&self, quiet: bool) -> Result<Collected> {
        let options = self.options()?;
        let progress: std::sync::Arc<dyn crate::collect::aws::Progress> = if quiet {
            std::sync::Arc::new(crate::collect::aws::Quiet)
        } else if std::io::stderr().is_terminal() {
            std::sync::Arc::new(bars::Bars::new())
        } else {
            std::sync::Arc::new(Lines)
        };
        Ok(crate::collect::aws::collect(&options, progress))
    }
}

#[cfg(not(feature = "aws"))]
impl AwsArgs {
    pub(crate) fn collect(&self, _quiet: bool) -> Result<Collected> {
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
/// not be (the inventory is still written).
pub(crate) fn run(args: CollectAwsArgs) -> Result<u8> {
    {
        {
            let collected = args.aws.collect(args.quiet)?;
            let inventory = collected.into_inventory();
            write_json(&args.output, &inventory)?;
            let errors = &inventory.metadata.errors;
            if !args.quiet {
                let mut err = anstream::stderr().lock();
                writeln!(
                    err,
                    "plumb: {} resources from {} scopes written to {}",
                    inventory.resources.len(),
                    inventory.metadata.collectors.len(),
                    args.output.display()
                )?;
                if !errors.is_empty() {
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
            }
            Ok(if errors.is_empty() {
                EXIT_OK
            } else {
                EXIT_ERROR
            })
        }
    }
}

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
