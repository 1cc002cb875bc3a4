//! The live AWS collector: reads accounts and regions through the official SDK into resources
//! in the Terraform AWS provider's attribute shape (`docs/live-aws-shapes.md`).
//!
//! Two sources:
//!
//! * **Service APIs** (default): read-only list/describe/get calls, one module per service.
//!   Global services (IAM, the account, the S3 bucket list) are read once; every other service
//!   is read in every selected region, regions in parallel with bounded concurrency, services
//!   of a region in parallel, per-resource calls with a bounded fan-out, every paginator to the
//!   end.
//! * **AWS Config** (`--source config`, or an aggregator for a whole organisation): the
//!   configuration items the recorder keeps, mapped into the same provider shape by
//!   [`config`]. Which kinds each account/region's recorder covers is recorded; a kind it
//!   does not record is reported as not collected.
//!
//! Whatever fails (a denied call, a throttled call that never succeeded, a region that does
//! not answer) is recorded in the inventory's errors, with the kinds it leaves missing; the
//! rest of the collection goes on. Time is bounded ([`deadline`]): each region has a
//! deadline, so has the run, and SIGINT/SIGTERM end it the same way, keeping every service
//! that finished; a circuit breaker and a retry budget per service and region ([`guard`])
//! stop a silent region or a broken API from costing every call its full timeout and backoff. Every collector run records, per account/region, which
//! kinds were read completely. Nothing here writes to an account: only `List*`, `Describe*`,
//! `Get*`, `Select*`/`BatchGet*` (Config), IAM's credential report and CloudTrail's
//! `LookupEvents` ([`events`]: who changed what, for drift) are called.

mod autoscaling;
mod backup;
mod cloudtrail;
pub mod config;
mod deadline;
mod dynamodb;
mod ec2;
mod ecr;
mod efs;
mod eks;
mod elasticache;
mod elbv2;
pub mod events;
mod guard;
mod iam;
mod kms;
mod logs;
mod posture;
mod rds;
mod s3;
mod s3control;
mod sdk;
mod secretsmanager;
mod shared;
mod sns;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use aws_types::SdkConfig;

use crate::collect::Collected;
use crate::inventory::{CollectError, CollectorRun};
pub use shared::{COLLECTOR, GLOBAL};
use shared::{Out, Scope, bounded, describe};

/// Which regions to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Regions {
    /// The region of the profile or environment (`AWS_REGION`).
    Default,
    /// These regions.
    List(Vec<String>),
    /// Every region enabled for the account (`DescribeRegions`).
    All,
}

/// Where configuration is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The services' own read-only APIs.
    Api,
    /// AWS Config configuration items of the account, per region.
    Config,
    /// An AWS Config aggregator: every account and region it aggregates, in one snapshot.
    Aggregator(String),
}

/// How to collect.
#[derive(Debug, Clone)]
pub struct AwsOptions {
    /// A named profile (else the standard chain: environment, default profile, SSO, container
    /// and instance roles).
    pub profile: Option<String>,
    /// A role to assume on top of those credentials.
    pub role_arn: Option<String>,
    pub regions: Regions,
    pub mode: Mode,
    /// Regions read at once.
    pub concurrency: usize,
    /// Per-resource calls of one service in one region at once.
    pub fanout: usize,
    /// Deadline of one call, retries included.
    pub call_timeout: Duration,
    /// Deadline of one attempt.
    pub attempt_timeout: Duration,
    pub connect_timeout: Duration,
    /// How long one region (or a global service) may take; what is still unread then is
    /// recorded as not read (`None`: no limit).
    pub region_timeout: Option<Duration>,
    /// How long the whole collection may take (`None`: no limit).
    pub run_timeout: Option<Duration>,
    /// Consecutive failed attempts (no answer, 5xx) that stop calls to a service in a region
    /// for the rest of the run (0: never).
    pub breaker_threshold: u32,
    /// Retries one service may spend in one region over the run.
    pub retry_budget: usize,
    /// Attempts per call (the first included) on throttling, 5xx and connection errors.
    pub max_attempts: u32,
    /// First retry delay; later ones grow exponentially, with full jitter.
    pub initial_backoff: Duration,
    /// CloudTrail write events to gather into the inventory's activity (`None`: none).
    /// Not with an aggregator: `LookupEvents` reads only the caller's own account.
    pub events: Option<events::EventOptions>,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            role_arn: None,
            regions: Regions::Default,
            mode: Mode::Api,
            concurrency: 4,
            fanout: 8,
            call_timeout: Duration::from_secs(120),
            attempt_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(3),
            region_timeout: Some(Duration::from_secs(300)),
            run_timeout: None,
            breaker_threshold: 3,
            retry_budget: 100,
            max_attempts: 8,
            initial_backoff: Duration::from_millis(500),
            events: Some(events::EventOptions::default()),
        }
    }
}

/// Progress of a collection, for a display. Called from worker threads.
pub trait Progress: Send + Sync {
    /// A service starts reading a scope (`account/region`).
    fn begin(&self, scope: &str, service: &str);
    /// It finished, with this many resources and errors.
    fn end(&self, scope: &str, service: &str, resources: usize, errors: usize);
}

/// A progress sink that shows nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn begin(&self, _: &str, _: &str) {}
    fn end(&self, _: &str, _: &str, _: usize, _: usize) {}
}

/// What a service module reads from: the SDK configuration for one region, the scope, and
/// the fan-out bound.
#[derive(Clone)]
pub(crate) struct Cx {
    pub config: SdkConfig,
    pub scope: Scope,
    pub fanout: usize,
}

type ServiceFuture = Pin<Box<dyn Future<Output = Out> + Send>>;
type Service = (
    &'static str,
    &'static [&'static str],
    fn(Cx) -> ServiceFuture,
);

/// The regional services, in the order progress lists them.
const REGIONAL: &[Service] = &[
    ("ec2", ec2::KINDS, |cx| Box::pin(ec2::collect(cx))),
    ("rds", rds::KINDS, |cx| Box::pin(rds::collect(cx))),
    ("dynamodb", dynamodb::KINDS, |cx| {
        Box::pin(dynamodb::collect(cx))
    }),
    ("kms", kms::KINDS, |cx| Box::pin(kms::collect(cx))),
    ("logs", logs::KINDS, |cx| Box::pin(logs::collect(cx))),
    ("cloudtrail", cloudtrail::KINDS, |cx| {
        Box::pin(cloudtrail::collect(cx))
    }),
    ("elasticache", elasticache::KINDS, |cx| {
        Box::pin(elasticache::collect(cx))
    }),
    ("ecr", ecr::KINDS, |cx| Box::pin(ecr::collect(cx))),
    ("eks", eks::KINDS, |cx| Box::pin(eks::collect(cx))),
    ("elbv2", elbv2::KINDS, |cx| Box::pin(elbv2::collect(cx))),
    ("autoscaling", autoscaling::KINDS, |cx| {
        Box::pin(autoscaling::collect(cx))
    }),
    ("backup", backup::KINDS, |cx| Box::pin(backup::collect(cx))),
    ("secretsmanager", secretsmanager::KINDS, |cx| {
        Box::pin(secretsmanager::collect(cx))
    }),
    ("efs", efs::KINDS, |cx| Box::pin(efs::collect(cx))),
    ("sns", sns::KINDS, |cx| Box::pin(sns::collect(cx))),
    ("posture", posture::KINDS, |cx| {
        Box::pin(posture::collect(cx))
    }),
];

/// Every kind the service-API source can produce, for errors that leave all of them missing.
pub fn api_kinds() -> Vec<&'static str> {
    // The global services, and every regional one.
    let mut kinds: Vec<&str> = [s3::KINDS, iam::KINDS]
        .into_iter()
        .chain(REGIONAL.iter().map(|(_, kinds, _)| *kinds))
        .flatten()
        .copied()
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Collects live AWS. Never fails as a whole: what could not be read is in the errors.
pub fn collect(options: &AwsOptions, progress: Arc<dyn Progress>) -> Collected {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    match runtime {
        Ok(rt) => rt.block_on(run(options, progress)),
        Err(e) => {
            let mut collected = Collected::default();
            collected.errors.push(whole_scope_error(
                "aws",
                format!("cannot start the async runtime: {e}"),
                &api_kinds(),
            ));
            collected
        }
    }
}

fn whole_scope_error(scope: &str, message: String, kinds: &[&str]) -> CollectError {
    CollectError {
        collector: COLLECTOR.into(),
        scope: scope.into(),
        line: None,
        column: None,
        kinds: kinds.iter().map(|k| (*k).to_string()).collect(),
        message,
        warning: false,
    }
}

async fn run(options: &AwsOptions, progress: Arc<dyn Progress>) -> Collected {
    let mut collected = Collected::default();
    let stop = deadline::Stop::start(options.run_timeout);
    let base = sdk::load(options).await;
    let all_kinds = match &options.mode {
        Mode::Api => api_kinds(),
        Mode::Config | Mode::Aggregator(_) => config::kinds(),
    };

    let home = base.region().map(|r| r.as_ref().to_string());
    // STS needs a region to find its endpoint even when the profile names none.
    let sts_region = home
        .clone()
        .or_else(|| match &options.regions {
            Regions::List(list) => list.first().cloned(),
            _ => None,
        })
        .unwrap_or_else(|| "us-east-1".into());
    let account = match aws_sdk_sts::Client::new(&sdk::in_region(&base, &sts_region))
        .get_caller_identity()
        .send()
        .await
    {
        Ok(id) => id.account().unwrap_or_default().to_string(),
        Err(e) => {
            collected.errors.push(whole_scope_error(
                "aws",
                format!(
                    "cannot identify the caller (sts:GetCallerIdentity): {}",
                    describe(&e)
                ),
                &all_kinds,
            ));
            return collected;
        }
    };

    let regions = match &options.regions {
        Regions::List(list) => list.clone(),
        Regions::Default => match &home {
            Some(r) => vec![r.clone()],
            None => {
                collected.errors.push(whole_scope_error(
                    &account,
                    "no region: pass --regions, or set AWS_REGION or the profile's region".into(),
                    &all_kinds,
                ));
                return collected;
            }
        },
        Regions::All => {
            let home = home.clone().unwrap_or_else(|| "us-east-1".into());
            match enabled_regions(&sdk::in_region(&base, &home)).await {
                Ok(regions) => regions,
                Err(message) => {
                    collected.errors.push(whole_scope_error(
                        &format!("{account}/{home}/ec2"),
                        format!("cannot list the enabled regions (ec2:DescribeRegions): {message}"),
                        &all_kinds,
                    ));
                    return collected;
                }
            }
        }
    };

    match &options.mode {
        Mode::Api => {
            api(
                options,
                &base,
                &account,
                &regions,
                &stop,
                progress.clone(),
                &mut collected,
            )
            .await
        }
        // AWS Config answers are added to the collection as they arrive, so a stopped run
        // keeps what was read before it stopped.
        Mode::Config => {
            let read = config::account(&base, &account, &regions, progress.clone(), &mut collected);
            let cut = stop.clone().during(read).await;
            not_all_read(&mut collected, &account, &all_kinds, cut);
        }
        Mode::Aggregator(name) => {
            let region = home
                .or_else(|| regions.first().cloned())
                .unwrap_or_default();
            let read = config::aggregator(&base, &region, name, progress.clone(), &mut collected);
            let cut = stop.clone().during(read).await;
            not_all_read(&mut collected, &account, &all_kinds, cut);
        }
    }
    // After the resources, so that the window ends as close to the snapshot's time as it can.
    if let (Some(events), Mode::Api | Mode::Config) = (&options.events, &options.mode) {
        let cut = match stop.reason() {
            Some(reason) => Some(reason.describe()),
            None => {
                let read = events::gather(
                    &base,
                    &account,
                    &regions,
                    events,
                    options.concurrency,
                    progress,
                    &mut collected,
                );
                stop.clone().during(read).await
            }
        };
        if let Some(why) = cut {
            collected.errors.push(whole_scope_error(
                &account,
                format!("CloudTrail events not all gathered: {why}"),
                &[],
            ));
        }
    }
    collected
}

/// A part of the run that was stopped before its end (`cut`: why) may have left `kinds`
/// missing: that is recorded.
fn not_all_read(collected: &mut Collected, scope: &str, kinds: &[&str], cut: Option<String>) {
    if let Some(why) = cut {
        collected.errors.push(whole_scope_error(
            scope,
            format!("not all read: {why}"),
            kinds,
        ));
    }
}

/// Regions enabled for the account: those not opted out.
async fn enabled_regions(config: &SdkConfig) -> Result<Vec<String>, String> {
    let out = aws_sdk_ec2::Client::new(config)
        .describe_regions()
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter(|r| r.opt_in_status() != Some("not-opted-in"))
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    regions.sort();
    Ok(regions)
}

async fn api(
    options: &AwsOptions,
    base: &SdkConfig,
    account: &str,
    regions: &[String],
    stop: &deadline::Stop,
    progress: Arc<dyn Progress>,
    collected: &mut Collected,
) {
    let region_deadline = || {
        options
            .region_timeout
            .map(|limit| (tokio::time::Instant::now() + limit, limit))
    };
    // Global: IAM and the account, once.
    let global = Scope::new(account, GLOBAL);
    let global_cx = Cx {
        config: sdk::in_region(base, regions.first().map_or("us-east-1", String::as_str)),
        scope: global.clone(),
        fanout: options.fanout,
    };
    let iam_task = {
        let progress = progress.clone();
        let cx = global_cx.clone();
        let (deadline, stop) = (region_deadline(), stop.clone());
        tokio::spawn(async move {
            let scope = cx.scope.clone();
            let read =
                deadline::within("iam", iam::KINDS, &scope, deadline, stop, iam::collect(cx));
            timed(&*progress, "iam", read).await
        })
    };
    // S3 lists buckets once and reads each in its own region.
    let s3_task = {
        let progress = progress.clone();
        let cx = global_cx.clone();
        let regions = regions.to_vec();
        let (deadline, stop) = (region_deadline(), stop.clone());
        tokio::spawn(async move {
            let scope = cx.scope.clone();
            let read = deadline::within(
                "s3",
                s3::KINDS,
                &scope,
                deadline,
                stop,
                s3::collect(cx, regions),
            );
            timed(&*progress, "s3", read).await
        })
    };

    let per_region = bounded(regions.to_vec(), options.concurrency, |region| {
        let cx = Cx {
            config: sdk::in_region(base, &region),
            scope: Scope::new(account, &region),
            fanout: options.fanout,
        };
        let progress = progress.clone();
        // From when the region's turn comes, not from the start of the run.
        let deadline = region_deadline();
        let stop = stop.clone();
        async move {
            let services = REGIONAL.iter().map(|(name, kinds, run)| {
                let progress = progress.clone();
                let fut = run(cx.clone());
                let (scope, stop) = (cx.scope.clone(), stop.clone());
                async move {
                    let label = scope.label();
                    progress.begin(&label, name);
                    let out = deadline::within(name, kinds, &scope, deadline, stop, fut).await;
                    progress.end(&label, name, out.resources.len(), out.errors.len());
                    out
                }
            });
            let outs = bounded(services.collect(), REGIONAL.len(), |f| f).await;
            let mut region_out = Out::default();
            for out in outs {
                region_out.merge(out);
            }
            (cx.scope, region_out)
        }
    })
    .await;

    let joined = |r: Result<Out, tokio::task::JoinError>| match r {
        Ok(out) => out,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Out::default(),
    };
    let mut iam_out = joined(iam_task.await);
    let s3_out = joined(s3_task.await);

    iam_out.finish();
    record(collected, &global, iam_out);
    // Buckets go to their region's run; the bucket listing covers S3 kinds in every region.
    let mut s3_by_region: BTreeMap<String, Out> = BTreeMap::new();
    let mut s3_out = s3_out;
    s3_out.finish();
    for r in std::mem::take(&mut s3_out.resources) {
        if let crate::inventory::Source::Aws { region, .. } = &r.source {
            s3_by_region.entry(region.clone()).or_default().push(r);
        }
    }
    collected.errors.append(&mut s3_out.errors);
    for (scope, mut out) in per_region {
        out.finish();
        let mut buckets = s3_by_region
            .remove(scope.region.as_ref())
            .unwrap_or_default();
        buckets.kinds = s3_out.kinds.clone();
        out.merge(buckets);
        record(collected, &scope, out);
    }
}

async fn timed(progress: &dyn Progress, service: &str, fut: impl Future<Output = Out>) -> Out {
    progress.begin("global", service);
    let out = fut.await;
    progress.end("global", service, out.resources.len(), out.errors.len());
    out
}

/// Adds one scope's output to the collection, with its collector run.
fn record(collected: &mut Collected, scope: &Scope, out: Out) {
    collected.runs.push(CollectorRun {
        collector: COLLECTOR.into(),
        scope: scope.label(),
        resources: out.resources.len(),
        kinds: out.kinds,
    });
    collected.resources.extend(out.resources);
    collected.errors.extend(out.errors);
}
