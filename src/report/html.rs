//! HTML: one self-contained file an auditor can open and hand on.
//!
//! Rendered with tera from the templates in `reports/` (embedded in the binary, so an
//! installed `plumb` needs no files): `report.html` is the page, `resource.html` one resource
//! and the evidence of every verdict on it. Styles, the script and the charts (SVG) are
//! inline; a Content-Security-Policy allows only that style and that script (by hash) and
//! forbids every request, so nothing leaves the page. tera escapes every value: resource
//! names, tags and messages come from the scanned infrastructure.
//!
//! Resources are rendered one at a time straight to the writer, between the two halves of
//! the page, so a report of a hundred thousand resources never exists whole in memory as a
//! template context.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::sync::Arc;

use base64::Engine as _;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tera::{Context, Tera};

use crate::findings::{
    BaselineState, Finding, ResourceRef, ScanReport, Status, TrendPoint, Waiver, WaiverRecord,
    WaiverState,
};
use crate::inventory::{CollectError, Location};
use crate::policy::{Category, Severity};

const PAGE: &str = include_str!("../../reports/report.html");
const RESOURCE: &str = include_str!("../../reports/resource.html");
const CSS: &str = include_str!("../../reports/report.css");
const SCRIPT: &str = include_str!("../../reports/report.js");

/// Where the page template puts the resources; a comment the template writes itself (every
/// value before it is escaped, so none can contain `<!--`).
const RESOURCES_MARKER: &str = "<!--plumb:resources-->";

/// Evidence values longer than this (characters of JSON) are folded, so a container list does
/// not make every row a page tall.
const LONG_EVIDENCE: usize = 120;

/// Rows of the resources table at most. A browser opens a page of this many rows in a few
/// seconds; one of 300,000 (100,000 resources) it does not open at all. Past it the page lists
/// the findings that need attention, most severe first, and says how many it left out; the
/// counts, the control matrix and the JSON and CSV reports cover everything.
pub(super) const ROW_LIMIT: usize = 20_000;

/// Failing resources listed per control at most; the rest are counted.
const CONTROL_RESOURCES: usize = 12;

/// The Content-Security-Policy source for an inline style or script: its SHA-256.
pub(crate) fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The page's Content-Security-Policy: its own style and script only, no request of any kind.
fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        csp_hash(CSS),
        csp_hash(SCRIPT)
    )
}

fn templates() -> Result<Tera, tera::Error> {
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_templates(vec![("report.html", PAGE), ("resource.html", RESOURCE)])?;
    Ok(tera)
}

fn tera_error(e: tera::Error) -> io::Error {
    // The chain holds the useful part ("Variable `x` not found in context ...").
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    io::Error::other(format!("HTML template: {message}"))
}

/// Passed, failed, ... of a set of findings.
#[derive(Debug, Default, Clone, Serialize)]
struct Tally {
    pass: usize,
    fail: usize,
    unknown: usize,
    error: usize,
    waived: usize,
    /// Judged checks (waived ones excluded: an accepted risk is neither a pass nor a fail).
    judged: usize,
    /// Whole percent of judged checks that pass; `None` when nothing was judged.
    rate: Option<u32>,
    /// Bar widths (0-100) of pass, fail, unknown+error, for the stacked bar.
    bar_pass: f64,
    bar_fail: f64,
    bar_unknown: f64,
}

impl Tally {
    fn add(&mut self, status: Status) {
        match status {
            Status::Pass => self.pass += 1,
            Status::Fail => self.fail += 1,
            Status::Unknown => self.unknown += 1,
            Status::Error => self.error += 1,
            Status::Waived => self.waived += 1,
        }
    }

    fn finish(mut self) -> Self {
        self.judged = self.pass + self.fail + self.unknown + self.error;
        if self.judged > 0 {
            let pct = |n: usize| (n as f64 * 1000.0 / self.judged as f64).round() / 10.0;
            self.rate = Some((self.pass as f64 * 100.0 / self.judged as f64).floor() as u32);
            self.bar_pass = pct(self.pass);
            self.bar_fail = pct(self.fail);
            self.bar_unknown = pct(self.unknown + self.error);
        }
        self
    }

    fn status(&self) -> &'static str {
        if self.fail > 0 {
            "fail"
        } else if self.unknown + self.error > 0 {
            "unknown"
        } else if self.pass > 0 {
            "pass"
        } else if self.waived > 0 {
            "waived"
        } else {
            "none"
        }
    }
}

#[derive(Serialize)]
struct Rate {
    name: String,
    tally: Tally,
}

#[derive(Serialize)]
struct SeverityBar {
    severity: &'static str,
    count: usize,
    width: f64,
}

#[derive(Serialize)]
struct PolicyCell<'a> {
    id: &'a str,
    title: &'a str,
    status: &'static str,
}

#[derive(Serialize)]
struct ResourceLink<'a> {
    id: &'a str,
    anchor: String,
}

#[derive(Serialize)]
struct Control<'a> {
    id: &'a str,
    status: &'static str,
    policies: Vec<PolicyCell<'a>>,
    tally: Tally,
    failing: Vec<ResourceLink<'a>>,
    more_failing: usize,
}

#[derive(Serialize)]
struct Framework<'a> {
    name: &'a str,
    tally: Tally,
    controls: Vec<Control<'a>>,
    failing_controls: usize,
}

#[derive(Serialize)]
struct TrendView<'a> {
    previous: &'a TrendPoint,
    fail_delta: String,
    pass_delta: String,
    unknown_delta: String,
    /// SVG polyline points of failures over time, this scan last.
    points: String,
    /// The point of this scan.
    last_x: f64,
    last_y: f64,
    scans: usize,
}

#[derive(Serialize)]
struct Meta<'a> {
    collected_at: &'a str,
    tool: String,
    builtin_pack: Option<&'a str>,
    custom_policies: Option<usize>,
    policy_digest: Option<&'a str>,
    inventory_hash: Option<&'a str>,
    /// Files read, judged and skipped by reason, when files were scanned.
    files: Option<String>,
    collectors: Vec<(&'a str, &'a str, usize)>,
}

#[derive(Serialize)]
struct Page<'a> {
    csp: String,
    css: &'static str,
    script: &'static str,
    verdict: &'static str,
    verdict_text: String,
    summary: &'a crate::findings::Summary,
    overall: Tally,
    severities: Vec<SeverityBar>,
    categories: Vec<Rate>,
    frameworks: Vec<Framework<'a>>,
    trend: Option<TrendView<'a>>,
    waivers: &'a [WaiverRecord],
    expired_waivers: usize,
    stale_waivers: usize,
    unread: Vec<String>,
    warnings: Vec<String>,
    problems: Vec<String>,
    meta: Meta<'a>,
    resource_count: usize,
    finding_count: usize,
    /// Findings (and resources) the page does not list, past its row limit.
    unlisted_findings: usize,
    unlisted_resources: usize,
    row_limit: usize,
    categories_present: Vec<&'static str>,
    resources_marker: &'static str,
    /// Every policy that fails somewhere, most severe first: why, how to fix, references.
    fixes: Vec<FixView<'a>>,
}

/// A failing policy's guidance, once per page (findings link to it).
#[derive(Serialize)]
struct FixView<'a> {
    anchor: String,
    id: &'a str,
    title: &'a str,
    severity: Severity,
    failures: usize,
    rationale: &'a str,
    remediation: &'a str,
    references: &'a [String],
}

/// The anchor of a policy's guidance: its id, with anything but letters, digits and `-`
/// replaced (custom ids may hold anything).
fn fix_anchor(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("fix-{safe}")
}

fn fixes(report: &ScanReport) -> Vec<FixView<'_>> {
    let mut failures: BTreeMap<&str, usize> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.status == Status::Fail) {
        *failures.entry(&f.policy_id).or_default() += 1;
    }
    let mut fixes: Vec<FixView<'_>> = failures
        .into_iter()
        .filter_map(|(id, n)| {
            let doc = report.policy(id)?;
            Some(FixView {
                anchor: fix_anchor(id),
                id: &doc.id,
                title: &doc.title,
                severity: doc.severity,
                failures: n,
                rationale: &doc.rationale,
                remediation: &doc.remediation,
                references: &doc.references,
            })
        })
        .collect();
    fixes.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.id.cmp(b.id)));
    fixes
}

/// One resource and every verdict on it.
#[derive(Serialize)]
struct ResourceView<'a> {
    anchor: String,
    resource: &'a ResourceRef,
    location: Option<&'a Location>,
    status: &'static str,
    findings: Vec<FindingView<'a>>,
    /// Findings on this resource not listed (past the page's row limit).
    unlisted: usize,
}

#[derive(Serialize)]
struct FindingView<'a> {
    status: Status,
    severity: Severity,
    category: Category,
    policy_id: &'a str,
    title: &'a str,
    message: &'a str,
    /// (path, value as shown, whether it is long enough to fold away).
    evidence: Vec<(&'a str, String, bool)>,
    waiver: Option<&'a Waiver>,
    baseline: Option<BaselineState>,
    /// For a failure: the anchor of its policy's guidance.
    fix: Option<String>,
}

fn finding_view(f: &Finding) -> FindingView<'_> {
    FindingView {
        fix: (f.status == Status::Fail).then(|| fix_anchor(&f.policy_id)),
        status: f.status,
        severity: f.severity,
        category: f.category,
        policy_id: &f.policy_id,
        title: &f.title,
        message: &f.message,
        evidence: f
            .evidence
            .iter()
            .map(|(k, v)| {
                // Strings as they are (an auditor reads the value, not its JSON escaping).
                let shown = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let long = shown.len() > LONG_EVIDENCE;
                (&**k, shown, long)
            })
            .collect(),
        waiver: f.waiver.as_deref(),
        baseline: f.baseline,
    }
}

/// Which findings get a row: all of them up to `limit`; past it, the ones that need
/// attention (not passing), most severe first, up to `limit`.
fn listed(report: &ScanReport, limit: usize) -> Vec<bool> {
    let n = report.findings.len();
    if n <= limit {
        return vec![true; n];
    }
    let mut candidates: Vec<usize> = (0..n)
        .filter(|&i| report.findings[i].status != Status::Pass)
        .collect();
    candidates.sort_by_key(|&i| (std::cmp::Reverse(report.findings[i].severity), i));
    let mut shown = vec![false; n];
    for i in candidates.into_iter().take(limit) {
        shown[i] = true;
    }
    shown
}

/// A resource, the findings listed for it, and how many of its findings are not listed.
struct Group<'a> {
    resource: &'a Arc<ResourceRef>,
    findings: Vec<&'a Finding>,
    unlisted: usize,
}

/// Resources in report order (the order of their first finding) with their listed findings;
/// resources with none listed are left out.
fn by_resource(report: &ScanReport, limit: usize) -> Vec<Group<'_>> {
    let shown = listed(report, limit);
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (f, shown) in report.findings.iter().zip(shown) {
        let i = *index.entry(&f.resource.id).or_insert_with(|| {
            groups.push(Group {
                resource: &f.resource,
                findings: Vec::new(),
                unlisted: 0,
            });
            groups.len() - 1
        });
        if shown {
            groups[i].findings.push(f);
        } else {
            groups[i].unlisted += 1;
        }
    }
    groups.retain(|g| !g.findings.is_empty());
    // Within a resource, what needs attention first: failures, then errors, unknowns,
    // waived and passed checks, each most severe first.
    let rank = |s: Status| match s {
        Status::Fail => 0,
        Status::Error => 1,
        Status::Unknown => 2,
        Status::Waived => 3,
        Status::Pass => 4,
    };
    for g in &mut groups {
        g.findings.sort_by(|a, b| {
            (rank(a.status), std::cmp::Reverse(a.severity), &a.policy_id).cmp(&(
                rank(b.status),
                std::cmp::Reverse(b.severity),
                &b.policy_id,
            ))
        });
    }
    groups
}

fn worst(findings: &[&Finding]) -> &'static str {
    let mut t = Tally::default();
    for f in findings {
        t.add(f.status);
    }
    t.status()
}

fn delta(now: usize, before: usize) -> String {
    match now.cmp(&before) {
        std::cmp::Ordering::Greater => format!("+{}", now - before),
        std::cmp::Ordering::Less => format!("−{}", before - now),
        std::cmp::Ordering::Equal => "±0".into(),
    }
}

fn trend_view(report: &ScanReport) -> Option<TrendView<'_>> {
    let trend = report.trend.as_ref()?;
    let previous = trend.previous()?;
    let s = &report.summary;
    let mut fails: Vec<usize> = trend.history.iter().map(|p| p.fail).collect();
    fails.push(s.fail);
    let max = fails.iter().copied().max().unwrap_or(0).max(1) as f64;
    let (w, h) = (240.0, 48.0);
    let step = if fails.len() > 1 {
        w / (fails.len() - 1) as f64
    } else {
        0.0
    };
    let xy = |i: usize, n: usize| {
        let x = (i as f64 * step * 10.0).round() / 10.0;
        let y = ((h - 4.0 - (n as f64 / max) * (h - 8.0)) * 10.0).round() / 10.0;
        (x, y)
    };
    let points: Vec<String> = fails
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let (x, y) = xy(i, n);
            format!("{x},{y}")
        })
        .collect();
    let (last_x, last_y) = xy(fails.len() - 1, s.fail);
    Some(TrendView {
        previous,
        fail_delta: delta(s.fail, previous.fail),
        pass_delta: delta(s.pass, previous.pass),
        unknown_delta: delta(s.unknown, previous.unknown),
        points: points.join(" "),
        last_x,
        last_y,
        scans: fails.len(),
    })
}

fn frameworks<'a>(report: &'a ScanReport, anchors: &BTreeMap<&str, String>) -> Vec<Framework<'a>> {
    // Findings by policy, once.
    let mut by_policy: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_policy.entry(&f.policy_id).or_default().push(f);
    }
    // framework -> control -> policies
    let mut map: BTreeMap<&str, BTreeMap<&str, Vec<&crate::policy::PolicyDoc>>> = BTreeMap::new();
    for doc in &report.policies {
        for (framework, ids) in &doc.controls {
            for id in ids {
                map.entry(framework)
                    .or_default()
                    .entry(id)
                    .or_default()
                    .push(doc);
            }
        }
    }
    let mut out = Vec::new();
    for (name, controls) in map {
        let mut framework_tally = Tally::default();
        let mut counted: BTreeSet<&str> = BTreeSet::new();
        let mut views = Vec::new();
        for (id, docs) in controls {
            let mut tally = Tally::default();
            let mut failing: BTreeSet<&str> = BTreeSet::new();
            let mut policies = Vec::new();
            for doc in docs {
                let findings = by_policy
                    .get(doc.id.as_str())
                    .map_or(&[][..], Vec::as_slice);
                let mut own = Tally::default();
                for f in findings {
                    tally.add(f.status);
                    own.add(f.status);
                    if f.status == Status::Fail {
                        failing.insert(&f.resource.id);
                    }
                }
                // A policy mapped to several controls counts once in the framework's rate.
                if counted.insert(&doc.id) {
                    for f in findings {
                        framework_tally.add(f.status);
                    }
                }
                policies.push(PolicyCell {
                    id: &doc.id,
                    title: &doc.title,
                    status: own.status(),
                });
            }
            let status = tally.status();
            let more_failing = failing.len().saturating_sub(CONTROL_RESOURCES);
            views.push(Control {
                id,
                status,
                policies,
                tally: tally.finish(),
                failing: failing
                    .into_iter()
                    .take(CONTROL_RESOURCES)
                    .map(|id| ResourceLink {
                        id,
                        anchor: anchors.get(id).cloned().unwrap_or_default(),
                    })
                    .collect(),
                more_failing,
            });
        }
        let failing_controls = views.iter().filter(|c| c.status == "fail").count();
        out.push(Framework {
            name,
            tally: framework_tally.finish(),
            controls: views,
            failing_controls,
        });
    }
    // The requirements baseline first: it is what every policy enforces.
    out.sort_by_key(|f| (f.name != "baseline", f.name));
    out
}

/// What the page lists, for the note above the table.
struct Listing {
    rows: usize,
    resources: usize,
    limit: usize,
}

fn page<'a>(
    report: &'a ScanReport,
    anchors: &BTreeMap<&str, String>,
    listing: &Listing,
) -> Page<'a> {
    let s = &report.summary;
    let mut overall = Tally::default();
    let mut by_category: BTreeMap<Category, Tally> = BTreeMap::new();
    for f in &report.findings {
        overall.add(f.status);
        by_category.entry(f.category).or_default().add(f.status);
    }
    let max_sev = s
        .failures_by_severity
        .values()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let severities = Severity::ALL
        .iter()
        .map(|sev| {
            let count = s.failures_by_severity.get(sev).copied().unwrap_or(0);
            SeverityBar {
                severity: sev.as_str(),
                count,
                width: (count as f64 * 1000.0 / max_sev as f64).round() / 10.0,
            }
        })
        .collect();
    let (verdict, verdict_text) = match &s.baseline {
        Some(b) if b.new > 0 => ("fail", format!("{} new failures", b.new)),
        Some(b) => (
            "pass",
            format!("No new failures ({} accepted in the baseline)", b.baselined),
        ),
        None if s.fail > 0 => ("fail", format!("{} failed checks", s.fail)),
        None if s.errors > 0 => ("unknown", "Incomplete: some inputs were not read".into()),
        None => ("pass", "No failures".into()),
    };
    let sorted = CollectError::sorted_out(&report.errors);
    let (problems, unread, warnings) = (sorted.rejected, sorted.unread, sorted.warnings);
    let pack = report.scanned.policy_pack.as_ref();
    Page {
        csp: content_security_policy(),
        css: CSS,
        script: SCRIPT,
        verdict,
        verdict_text,
        summary: s,
        overall: overall.finish(),
        severities,
        categories: by_category
            .into_iter()
            .map(|(c, t)| Rate {
                name: c.to_string(),
                tally: t.finish(),
            })
            .collect(),
        frameworks: frameworks(report, anchors),
        trend: trend_view(report),
        waivers: &report.waivers,
        expired_waivers: report
            .waivers
            .iter()
            .filter(|w| w.state == WaiverState::Expired)
            .count(),
        stale_waivers: report
            .waivers
            .iter()
            .filter(|w| w.state == WaiverState::Stale)
            .count(),
        unread: unread.iter().map(ToString::to_string).collect(),
        warnings: warnings.iter().map(ToString::to_string).collect(),
        problems: problems.iter().map(ToString::to_string).collect(),
        meta: Meta {
            collected_at: &report.scanned.collected_at,
            tool: format!("{} {}", report.tool.name, report.tool.version),
            builtin_pack: pack.and_then(|p| p.builtin.as_deref()),
            custom_policies: pack.map(|p| p.custom),
            policy_digest: pack.map(|p| p.digest.as_str()),
            inventory_hash: report.scanned.inventory_hash.as_deref(),
            files: report.scanned.files.as_ref().map(|f| f.line()),
            collectors: report
                .scanned
                .collectors
                .iter()
                .map(|c| (c.collector.as_str(), c.scope.as_str(), c.resources))
                .collect(),
        },
        resource_count: listing.resources,
        finding_count: listing.rows,
        unlisted_findings: report.findings.len() - listing.rows,
        unlisted_resources: report.summary.resources.saturating_sub(listing.resources),
        row_limit: listing.limit,
        categories_present: Category::ALL
            .iter()
            .filter(|c| report.findings.iter().any(|f| f.category == **c))
            .map(|c| c.as_str())
            .collect(),
        resources_marker: RESOURCES_MARKER,
        fixes: fixes(report),
    }
}

pub(super) fn render(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    render_listing(report, ROW_LIMIT, out)
}

/// The page, listing at most `limit` findings in the resources table.
fn render_listing(report: &ScanReport, limit: usize, out: &mut dyn Write) -> io::Result<()> {
    let tera = templates().map_err(tera_error)?;
    let groups = by_resource(report, limit);
    let anchors: BTreeMap<&str, String> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.resource.id.as_str(), format!("r{i}")))
        .collect();
    let listing = Listing {
        rows: groups.iter().map(|g| g.findings.len()).sum(),
        resources: groups.len(),
        limit,
    };
    let context = Context::from_serialize(page(report, &anchors, &listing)).map_err(tera_error)?;
    let html = tera.render("report.html", &context).map_err(tera_error)?;
    let (before, after) = html
        .split_once(RESOURCES_MARKER)
        .ok_or_else(|| io::Error::other("HTML template: the resources marker is missing"))?;
    out.write_all(before.as_bytes())?;
    for (i, g) in groups.iter().enumerate() {
        let view = ResourceView {
            anchor: format!("r{i}"),
            resource: g.resource,
            location: g.findings[0].location.as_deref(),
            status: worst(&g.findings),
            findings: g.findings.iter().map(|f| finding_view(f)).collect(),
            unlisted: g.unlisted,
        };
        let context = Context::from_serialize(view).map_err(tera_error)?;
        tera.render_to("resource.html", &context, &mut *out)
            .map_err(tera_error)?;
    }
    out.write_all(after.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none';"));
        assert!(csp.contains(&csp_hash(CSS)) && csp.contains(&csp_hash(SCRIPT)));
        assert!(!csp.contains("unsafe"));
    }

    #[test]
    fn past_the_row_limit_the_most_severe_findings_are_listed() {
        use crate::findings::Scanned;
        use crate::policy::Category;
        let finding = |i: usize, status: Status, severity: Severity| Finding {
            policy_id: format!("P-{i}").into(),
            title: "t".into(),
            severity,
            category: Category::Encryption,
            status,
            resource: Arc::new(ResourceRef {
                id: format!("tf:r.r{}", i / 2),
                kind: "k".into(),
                name: "n".into(),
                cloud_id: None,
            }),
            location: None,
            message: "m".into(),
            evidence: Default::default(),
            waiver: None,
            fingerprint: Default::default(),
            baseline: None,
        };
        let findings = vec![
            finding(0, Status::Pass, Severity::Critical),
            finding(1, Status::Fail, Severity::Low),
            finding(2, Status::Fail, Severity::Critical),
            finding(3, Status::Unknown, Severity::High),
            finding(4, Status::Fail, Severity::Medium),
            finding(5, Status::Pass, Severity::High),
        ];
        let report = ScanReport::new(Scanned::default(), 3, Vec::new(), findings, Vec::new());
        let ids = |limit| -> Vec<String> {
            by_resource(&report, limit)
                .iter()
                .flat_map(|g| g.findings.iter().map(|f| f.policy_id.to_string()))
                .collect()
        };
        assert_eq!(ids(6).len(), 6, "under the limit everything is listed");
        // Passes go first, then the least severe; report order is kept.
        assert_eq!(ids(3), ["P-2", "P-3", "P-4"]);
        let mut page = Vec::new();
        render_listing(&report, 3, &mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert!(
            page.contains("3 more checks"),
            "the page says what it left out"
        );
        assert!(page.contains("1 more check on this resource"));
    }

    #[test]
    fn templates_compile() {
        templates().unwrap();
        assert!(PAGE.contains("{{ resources_marker | safe }}"));
    }
}
