//! `--store` on commands that take snapshots, and opening the store for those that read it.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;

use crate::config::Config;
use crate::inventory::Inventory;
use crate::policy::PolicySet;
use crate::store::{self, Retention, Store};

/// Options of commands that can keep their result as a snapshot.
#[derive(Debug, Args, Clone)]
pub(crate) struct StoreArgs {
    /// Keep this run (inventory and findings) as a snapshot in the store: PATH or a
    /// postgres:// URL, else PLUMB_STORE, else `store` in plumb.yaml, else .plumb/plumb.db.
    /// Write --store=PATH: a bare --store followed by another argument would take that
    /// argument as its path.
    #[arg(long, value_name = "PATH|URL")]
    #[allow(clippy::option_option)] // absent / present without a value / present with one
    pub(crate) store: Option<Option<PathBuf>>,
    /// The scope the snapshot belongs to (one per nightly job: an account, a cluster).
    /// Retention, `latest` and the organisation views work per scope. Default: what the
    /// collectors read (`aws:123456789012/eu-west-1`).
    #[arg(long, value_name = "NAME", requires = "store")]
    pub(crate) scope: Option<String>,
    /// After storing, keep only the newest N snapshots (and any kept by --keep-days).
    #[arg(long, value_name = "N", requires = "store")]
    pub(crate) keep: Option<usize>,
    /// After storing, keep only the snapshots of the last DAYS days (and any kept by --keep).
    #[arg(long, value_name = "DAYS", requires = "store")]
    pub(crate) keep_days: Option<u32>,
}

/// Checks `--store`, `--keep` and `--keep-days` before any work is done.
pub(crate) fn validate(args: &StoreArgs, config: &Config) -> Result<()> {
    if let Some(flag) = &args.store {
        path(flag.as_deref(), config)?;
        retention(args.keep, args.keep_days, config)?;
    }
    Ok(())
}

/// The store: the flag's value, else `PLUMB_STORE`, else `store` in plumb.yaml, else the
/// default. A file path or a `postgres://` URL.
pub(crate) fn path(flag: Option<&Path>, config: &Config) -> Result<PathBuf> {
    let env = std::env::var_os("PLUMB_STORE")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let path = store::resolve_path(flag.or(env.as_deref()), config.store.path.as_deref());
    if !store::is_url(&path) && path.is_dir() {
        bail!(
            "{}: is a directory; the store is a file (write --store=PATH, or put a bare --store last)",
            path.display()
        );
    }
    Ok(path)
}

/// Retention from the flags, else plumb.yaml.
pub(crate) fn retention(
    keep: Option<usize>,
    keep_days: Option<u32>,
    config: &Config,
) -> Result<Retention> {
    let r = Retention {
        keep: keep.or(config.store.keep),
        keep_days: keep_days.or(config.store.keep_days),
    };
    if r.keep == Some(0) {
        bail!("keep must be at least 1: the newest snapshot is always kept");
    }
    Ok(r)
}

/// Opens the store a command is about to write to, to read its earlier snapshots: a file
/// must exist already (callers check), a server's tables are created if need be (the write
/// that follows would create them anyway).
pub(crate) fn open_before_write(path: &Path) -> Result<Store> {
    Ok(if store::is_url(path) {
        Store::open(path)?
    } else {
        Store::open_existing(path)?
    })
}

/// Opens an existing store for reading.
pub(crate) fn open_existing(flag: Option<&Path>, config: &Config) -> Result<Store> {
    Ok(Store::open_existing(&path(flag, config)?)?)
}

/// With `--store`: the settings and policies a collected snapshot is judged by, checked (with
/// the store path and retention) before a long collection rather than after it.
pub(crate) fn judge(
    args: &StoreArgs,
    policies: &super::PolicyArgs,
) -> Result<Option<(Config, PolicySet)>> {
    if args.store.is_none() {
        return Ok(None);
    }
    let config = policies.config()?;
    validate(args, &config)?;
    let set = policies.load(&config)?;
    Ok(Some((config, set)))
}

/// Evaluates a collected inventory and keeps it, with its findings, as a snapshot.
pub(crate) fn judge_and_keep(
    command: &str,
    inventory: &Inventory,
    args: &StoreArgs,
    policy_args: &super::PolicyArgs,
    config: &Config,
    policies: &PolicySet,
) -> Result<()> {
    // Judged as a scan judges it (waivers included), so the snapshot keeps the verdicts a
    // scan of the same inventory reports.
    let options = crate::pipeline::Options {
        waivers: &config.waiver_rules,
        hash_inventory: true,
        builtin: !policy_args.no_builtin,
        ..crate::pipeline::Options::default()
    };
    let judged = crate::pipeline::Pipeline::new(policies, &config.settings).judge(
        inventory,
        options,
        &mut |_| {},
    );
    let report = judged.report;
    let keep = super::Keep { command, args };
    keep.store(inventory, &report, policies, config, false)
}

/// The earlier snapshots of the store named by `--store`, as the CloudTrail event window needs
/// them (none when the store does not exist yet).
#[cfg(feature = "aws")]
pub(crate) fn priors(
    args: &StoreArgs,
    config: &Config,
) -> Result<Vec<crate::collect::aws::events::Prior>> {
    let Some(flag) = &args.store else {
        return Ok(Vec::new());
    };
    let path = path(flag.as_deref(), config)?;
    if !store::exists(&path) {
        return Ok(Vec::new());
    }
    let db = open_before_write(&path)?;
    Ok(db
        .list()?
        .into_iter()
        .map(|s| crate::collect::aws::events::Prior {
            collected_at: s.collected_at,
            scopes: s
                .sources
                .into_iter()
                .filter(|run| run.collector == crate::collect::aws::COLLECTOR)
                .map(|run| run.scope)
                .collect(),
        })
        .collect())
}
