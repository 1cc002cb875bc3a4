//! The pipeline: an inventory judged by a policy set, with settings and options, into a
//! [`ScanReport`].
//!
//! Every command that judges goes through here (`scan`, `check`, `collect --store`, `drift`,
//! `policies test`), so a stored snapshot keeps exactly the verdicts a scan reports. The
//! stages, in order: evaluation ([`crate::engine`], which produces findings only), the
//! inventory's collection problems, waivers and inline suppressions, the baseline comparison,
//! the trend, and the summary (kept current by [`ScanReport`] at each stage). What is done
//! with the report (formats, the store, the exit code) is the caller's.

pub mod cases;

use chrono::NaiveDate;

use crate::baseline::{Baseline, content_digest};
use crate::config::Settings;
use crate::engine;
use crate::findings::{Finding, PolicyPack, ScanReport, Scanned, Trend};
use crate::inventory::{CollectError, Inventory, Resource, json_digest};
use crate::policy::{PolicySet, Severity};
use crate::waivers::{self, WaiverRule};

/// A policy set and the settings its conditions read: what judges an inventory.
#[derive(Debug, Clone, Copy)]
pub struct Pipeline<'a> {
    policies: &'a PolicySet,
    settings: &'a Settings,
}

/// What a report is judged with besides the policies and settings.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// Accepted failures: `plumb.yaml`'s waivers and those of a `--waivers` file.
    pub waivers: &'a [WaiverRule],
    /// A baseline to mark failures new or known against, and the name it goes by in the
    /// report (its path).
    pub baseline: Option<(&'a Baseline, &'a str)>,
    /// Also make a baseline of this report (`--write-baseline`), named so in the report. With
    /// no baseline to compare, the report is compared with the new one: nothing is new.
    pub write_baseline: Option<&'a str>,
    /// Earlier scans of the same estate, when a history is kept.
    pub trend: Option<Trend>,
    /// Record the inventory's content hash in the report (it serialises the whole inventory:
    /// asked for only by the formats that show it).
    pub hash_inventory: bool,
    /// The built-in policies are part of the set.
    pub builtin: bool,
    /// The day waivers expire against; today when `None`.
    pub today: Option<NaiveDate>,
}

/// A judged inventory.
#[derive(Debug)]
pub struct Judged {
    pub report: ScanReport,
    /// The baseline asked for by [`Options::write_baseline`].
    pub baseline: Option<Baseline>,
    /// Collection problems that leave the scan incomplete (warnings do not).
    pub incomplete: usize,
}

/// What a judged scan comes to, for an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Everything was read and judged, and nothing failed at or above the threshold.
    Passed,
    /// Some failure is at or above the threshold (or, with [`Gate::fail_on_unknown`], some
    /// check could not be decided).
    Failed,
    /// Part of the input was not read, or a policy could not be evaluated (a finding with
    /// status `error`): no verdict can be trusted as complete.
    Incomplete,
}

/// What makes a judged scan fail: `--fail-on`, `--fail-on-unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    /// Failures from this severity up fail the run; `None`: failures never do.
    pub threshold: Option<Severity>,
    /// Checks that could not be decided (`unknown`) fail the run too.
    pub fail_on_unknown: bool,
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            threshold: Some(Severity::Low),
            fail_on_unknown: false,
        }
    }
}

impl Judged {
    /// The verdict under `gate`. A broken policy or an unreadable input is never a pass: a
    /// finding with status `error` makes the run incomplete, like an input not read.
    pub fn verdict(&self, gate: Gate) -> Verdict {
        let summary = &self.report.summary;
        if self.incomplete > 0 || summary.error > 0 {
            Verdict::Incomplete
        } else if gate
            .threshold
            .is_some_and(|t| self.report.failures_at_or_above(t) > 0)
            || (gate.fail_on_unknown && summary.unknown > 0)
        {
            Verdict::Failed
        } else {
            Verdict::Passed
        }
    }
}

impl<'a> Pipeline<'a> {
    pub fn new(policies: &'a PolicySet, settings: &'a Settings) -> Self {
        Pipeline { policies, settings }
    }

    /// The findings of every policy on `resources`, and the suppressions that were not
    /// honoured: evaluation alone, for comparing verdicts (drift) rather than reporting them.
    pub fn verdicts(&self, resources: &[Resource]) -> (Vec<Finding>, Vec<CollectError>) {
        engine::evaluate(self.policies, self.settings, resources)
    }

    /// Judges `inventory` into a report. `phase` is told when each stage ends (for
    /// `PLUMB_TIMINGS`).
    pub fn judge(
        &self,
        inventory: &Inventory,
        options: Options<'_>,
        phase: &mut dyn FnMut(&str),
    ) -> Judged {
        let (findings, mut errors) = self.verdicts(&inventory.resources);
        phase("evaluate");
        let incomplete = inventory
            .metadata
            .errors
            .iter()
            .filter(|e| !e.warning)
            .count();
        errors.extend(inventory.metadata.errors.iter().cloned());
        let inventory_hash = options.hash_inventory.then(|| inventory.content_hash());
        phase("inventory hash");
        let mut report = ScanReport::new(
            Scanned {
                collected_at: inventory.metadata.collected_at.clone(),
                collectors: inventory.metadata.collectors.clone(),
                inventory_hash,
                policy_pack: Some(self.policy_pack(options.builtin)),
                files: inventory.metadata.files.clone(),
                sources: None,
            },
            inventory.resources.len(),
            self.policies.iter().map(|p| p.doc.clone()).collect(),
            findings,
            errors,
        );
        let today = options
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive());
        waivers::apply(&mut report, options.waivers, &inventory.resources, today);
        phase("waivers");
        let content = |id: &str| inventory.get(id).map(content_digest);
        let written = options.write_baseline.map(|name| {
            let written = Baseline::of(&report, &content);
            if options.baseline.is_none() {
                written.compare(&mut report, name, &content);
            }
            written
        });
        if let Some((baseline, name)) = options.baseline {
            baseline.compare(&mut report, name, &content);
        }
        report.trend = options.trend;
        phase("assemble report");
        Judged {
            report,
            baseline: written,
            incomplete,
        }
    }

    /// Which policies judge, and a digest of what they check.
    pub fn policy_pack(&self, builtin: bool) -> PolicyPack {
        let checked: Vec<_> = self
            .policies
            .iter()
            .map(|p| {
                (
                    &p.doc.id,
                    &p.condition_source,
                    &p.when_source,
                    p.doc.severity,
                    &p.doc.kinds,
                    &p.doc.controls,
                )
            })
            .collect();
        PolicyPack {
            builtin: builtin.then(|| env!("CARGO_PKG_VERSION").to_string()),
            custom: self
                .policies
                .iter()
                .filter(|p| !p.doc.origin.starts_with("builtin:"))
                .count(),
            digest: json_digest(&checked),
        }
    }
}
