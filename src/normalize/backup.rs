//! Scheduled backups: what an AWS Backup plan's rules (and a Data Lifecycle Manager policy's
//! schedules) promise, and which data stores they cover.
//!
//! An `aws_backup_selection` (linked to its plan) picks resources by ARN (exact, or a pattern
//! with `*`), by tag (`selection_tag`: any one matching tag is enough) and narrows them with
//! `condition` blocks (all must hold) and `not_resources`. A DLM policy picks EBS volumes
//! whose tags include all of its `target_tags`. Only matches that are known count: a
//! selection whose ARNs are unknown until apply covers the resources its expressions refer
//! to, and nothing else, so an estimate never rests on a guess.
//!
//! A selection whose plan is not in the inventory (defined in another configuration, read from
//! a data source, or named by a literal id) still covers what it selects: the plan exists,
//! only its rules are unknown, so the estimates that rest on them are unknown rather than
//! "no backup".
//!
//! Defaults relied on: a rule without `schedule` runs daily at 05:00 UTC (AWS Backup's
//! default `cron(0 5 ? * * *)`); a rule without `lifecycle` keeps recovery points until they
//! are deleted by hand; a DLM policy is `ENABLED` unless its `state` says otherwise.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::continuity::{DAILY, Scheduled};
use super::policy_document::glob;
use super::value::{as_bool, as_int, list_at, refers_to, str_at, strings_at};
use crate::inventory::{Attr, Resource};

/// One backup rule, as facets and estimates see it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Rule {
    pub name: String,
    /// Longest gap between two runs, minutes; `None` when the schedule cannot be read.
    pub interval: Option<i64>,
    /// Days recovery points are kept; 0 = until deleted by hand.
    pub retention_days: i64,
    pub continuous: bool,
    /// Destination vault ARNs (or the ids of the vaults they refer to).
    pub copies: Vec<String>,
}

impl Rule {
    pub(super) fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "frequency_minutes": self.interval,
            "retention_days": self.retention_days,
            "continuous": self.continuous,
            "copies": self.copies,
            "copy_regions": self.copies.iter().filter_map(|c| arn_region(c)).collect::<Vec<_>>(),
        })
    }
}

/// The region of an ARN (`arn:aws:backup:eu-west-1:...`), when it names one.
pub(super) fn arn_region(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    let region = parts.nth(2)?;
    (!region.is_empty()).then(|| region.to_string())
}

/// The rules of an `aws_backup_plan`; `None` when any rule is unknown.
pub(super) fn plan_rules(plan: &Resource) -> Option<Vec<Rule>> {
    let rules = list_at(plan, "/rule")?;
    let mut out = Vec::with_capacity(rules.len());
    for (i, rule) in rules.iter().enumerate() {
        let base = format!("/rule/{i}");
        let schedule = str_at(plan, &format!("{base}/schedule"))?;
        // AWS Backup's default schedule: daily at 05:00 UTC.
        let schedule = if schedule.is_empty() {
            "cron(0 5 ? * * *)".to_string()
        } else {
            schedule
        };
        let retention = match plan.attr(&format!("{base}/lifecycle/0/delete_after")) {
            Attr::Known(v) => as_int(v).unwrap_or(0),
            Attr::Absent => 0,
            Attr::Unknown => return None,
        };
        let mut copies = Vec::new();
        for (j, _) in list_at(plan, &format!("{base}/copy_action"))?
            .iter()
            .enumerate()
        {
            let pointer = format!("{base}/copy_action/{j}/destination_vault_arn");
            match str_at(plan, &pointer) {
                Some(arn) if !arn.is_empty() => copies.push(arn),
                _ => copies.extend(
                    plan.references
                        .get(&pointer)
                        .and_then(|ids| ids.first())
                        .cloned()
                        .or(Some("(unknown vault)".to_string())),
                ),
            }
        }
        out.push(Rule {
            name: rule
                .get("rule_name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            interval: schedule_interval(&schedule),
            retention_days: retention,
            continuous: rule
                .get("enable_continuous_backup")
                .and_then(as_bool)
                .unwrap_or(false),
            copies,
        });
    }
    Some(out)
}

/// The schedules of an `aws_dlm_lifecycle_policy`, as rules.
pub(super) fn dlm_rules(policy: &Resource) -> Option<Vec<Rule>> {
    let schedules = list_at(policy, "/policy_details/0/schedule")?;
    let mut out = Vec::new();
    for s in schedules {
        let create = s.pointer("/create_rule/0");
        let interval = match create {
            Some(c) => match c.get("cron_expression").and_then(Value::as_str) {
                Some(expr) if !expr.is_empty() => schedule_interval(expr),
                _ => {
                    let n = c.get("interval").and_then(as_int).unwrap_or(24);
                    let unit = c
                        .get("interval_unit")
                        .and_then(Value::as_str)
                        .unwrap_or("HOURS");
                    (unit == "HOURS").then_some(n * 60)
                }
            },
            None => None,
        };
        let retain = s.pointer("/retain_rule/0");
        let retention_days = retain
            .and_then(|r| {
                let n = r.get("interval").and_then(as_int)?;
                Some(match r.get("interval_unit").and_then(Value::as_str)? {
                    "DAYS" => n,
                    "WEEKS" => n * 7,
                    "MONTHS" => n * 30,
                    "YEARS" => n * 365,
                    _ => return None,
                })
            })
            // A count-based rule keeps `count` snapshots: count x interval.
            .or_else(|| {
                let count = retain?.get("count").and_then(as_int)?;
                Some((count * interval? / DAILY).max(1))
            })
            .unwrap_or(0);
        let copies = s
            .get("cross_region_copy_rule")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| {
                c.get("target_region")
                    .or_else(|| c.get("target"))
                    .and_then(Value::as_str)
                    .map(|region| format!("arn:aws:ec2:{region}::snapshot"))
            })
            .collect();
        out.push(Rule {
            name: s
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            interval,
            retention_days,
            continuous: false,
            copies,
        });
    }
    Some(out)
}

/// Longest gap, in minutes, between two runs of a schedule: `cron(...)` in AWS's six-field
/// form (minutes hours day-of-month month day-of-week year) or `rate(N unit)`. `None` when it
/// cannot be read.
pub(super) fn schedule_interval(expr: &str) -> Option<i64> {
    let expr = expr.trim();
    if let Some(rate) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        let (n, unit) = rate.trim().split_once(' ')?;
        let n: i64 = n.parse().ok()?;
        let per = match unit.trim().trim_end_matches('s') {
            "minute" => 1,
            "hour" => 60,
            "day" => DAILY,
            _ => return None,
        };
        return Some(n * per);
    }
    let body = expr.strip_prefix("cron(")?.strip_suffix(')')?;
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [_minutes, hours, dom, month, dow, _year] = fields.as_slice() else {
        return None;
    };
    let hours = values(hours, 0, 23, &[])?;
    let daily_gap = max_gap(&hours, 24)? * 60;
    let any = |f: &str| f == "*" || f == "?";
    let day_gap = if !any(month) {
        let months = values(month, 1, 12, &MONTHS)?;
        max_gap(&months, 12)? * 31
    } else if !any(dom) {
        if dom.contains('L') || dom.contains('W') {
            31
        } else {
            let days = values(dom, 1, 31, &[])?;
            max_gap(&days, 31)?
        }
    } else if !any(dow) {
        if dow.contains('#') || dow.contains('L') {
            35
        } else {
            let days = values(dow, 1, 7, &DAYS)?;
            max_gap(&days, 7)?
        }
    } else {
        1
    };
    Some(if day_gap > 1 {
        day_gap * DAILY
    } else {
        daily_gap
    })
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// The values a cron field selects in `lo..=hi`; names map to `lo + index`.
fn values(field: &str, lo: i64, hi: i64, names: &[&str]) -> Option<Vec<i64>> {
    let number = |s: &str| -> Option<i64> {
        s.parse().ok().or_else(|| {
            names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(s))
                .map(|i| lo + i as i64)
        })
    };
    let mut out = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<i64>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (start, end) = match range {
            "*" | "?" => (lo, hi),
            r => match r.split_once('-') {
                Some((a, b)) => (number(a)?, number(b)?),
                None if step > 1 => (number(r)?, hi),
                None => (number(r)?, number(r)?),
            },
        };
        let mut v = start;
        while v <= end {
            if (lo..=hi).contains(&v) {
                out.push(v);
            }
            v += step;
        }
    }
    out.sort_unstable();
    out.dedup();
    (!out.is_empty()).then_some(out)
}

/// Largest circular gap between sorted values in a cycle of `period`.
fn max_gap(values: &[i64], period: i64) -> Option<i64> {
    let first = *values.first()?;
    let last = *values.last()?;
    let wrap = period - last + first;
    Some(
        values
            .windows(2)
            .map(|w| w[1] - w[0])
            .chain([wrap])
            .max()
            .unwrap_or(period),
    )
}

/// Which plans (`aws_backup_plan`, through their selections) and DLM policies cover each data
/// store: resource index -> indexes of the plans and policies, sorted.
pub(super) fn coverage(
    resources: &[Resource],
    children: &HashMap<&str, Vec<usize>>,
) -> HashMap<usize, Vec<usize>> {
    let mut out: HashMap<usize, Vec<usize>> = HashMap::new();
    let selectors: Vec<(usize, Vec<&Resource>)> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == "aws_backup_plan")
        .map(|(i, plan)| {
            let selections = children
                .get(plan.id.as_str())
                .into_iter()
                .flatten()
                .map(|&s| &resources[s])
                .filter(|s| s.kind == "aws_backup_selection")
                .collect();
            (i, selections)
        })
        .filter(|(_, s): &(usize, Vec<&Resource>)| !s.is_empty())
        // A selection linked to no plan of the inventory stands for its plan.
        .chain(
            resources
                .iter()
                .enumerate()
                .filter(|(_, r)| r.kind == "aws_backup_selection" && r.parent.is_none())
                .map(|(i, s)| (i, vec![s])),
        )
        .collect();
    let policies: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| r.kind == "aws_dlm_lifecycle_policy" && dlm_targets_volumes(r))
        .map(|(i, _)| i)
        .collect();
    if selectors.is_empty() && policies.is_empty() {
        return out;
    }
    for (i, r) in resources.iter().enumerate() {
        if arn_shape(&r.kind).is_none() {
            continue;
        }
        for (plan, selections) in &selectors {
            if selections.iter().any(|s| selects(s, r)) {
                out.entry(i).or_default().push(*plan);
            }
        }
        if r.kind == "aws_ebs_volume" {
            for &p in &policies {
                if dlm_selects(&resources[p], r) {
                    out.entry(i).or_default().push(p);
                }
            }
        }
    }
    out
}

/// The ARN of a resource, when known.
fn arn(r: &Resource) -> Option<&str> {
    match r.attr("/arn") {
        Attr::Known(Value::String(s)) if !s.is_empty() => Some(s),
        _ => r.cloud_id.as_deref().filter(|c| c.starts_with("arn:")),
    }
}

/// The service and resource-type prefix of the ARN of a data store AWS Backup can protect
/// (declared with its kind); `None` for every other kind.
fn arn_shape(kind: &str) -> Option<(&'static str, &'static str)> {
    super::kind(kind)?.backup_arn
}

/// Whether an ARN pattern selects `r`.
fn pattern_selects(pattern: &str, r: &Resource) -> bool {
    if pattern == "*" {
        return true;
    }
    if let Some(arn) = arn(r) {
        return glob(pattern, arn);
    }
    // Unknown ARN: only a pattern that picks every resource of this type can be decided.
    let Some((service, prefix)) = arn_shape(&r.kind) else {
        return false;
    };
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let [_, _, svc, region, account, resource] = parts.as_slice() else {
        return false;
    };
    glob(svc, service)
        && (region.is_empty() || *region == "*")
        && (account.is_empty() || *account == "*")
        && glob(resource, &format!("{prefix}\u{1}"))
}

/// Whether a backup selection covers `r`.
fn selects(s: &Resource, r: &Resource) -> bool {
    let by_resources = refers_to(s, "/resources", r)
        || strings_at(s, "/resources")
            .unwrap_or_default()
            .iter()
            .any(|p| pattern_selects(p, r));
    let by_tag = list_at(s, "/selection_tag")
        .unwrap_or_default()
        .iter()
        .any(|t| {
            let field = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or("");
            field("type").eq_ignore_ascii_case("STRINGEQUALS")
                && r.tags.get(field("key")).map(String::as_str) == Some(field("value"))
        });
    if !(by_resources || by_tag) {
        return false;
    }
    let excluded = refers_to(s, "/not_resources", r)
        || strings_at(s, "/not_resources")
            .unwrap_or_default()
            .iter()
            .any(|p| p != "*" && pattern_selects(p, r));
    !excluded && conditions_hold(s, r)
}

/// `condition { string_equals { key = "aws:ResourceTag/Team" value = "pay" } ... }`: every
/// one must hold.
fn conditions_hold(s: &Resource, r: &Resource) -> bool {
    let Some(conditions) = list_at(s, "/condition") else {
        return false;
    };
    conditions.iter().all(|c| {
        [
            ("string_equals", false, false),
            ("string_like", true, false),
            ("string_not_equals", false, true),
            ("string_not_like", true, true),
        ]
        .iter()
        .all(|(name, like, negated)| {
            c.get(*name)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .all(|cond| {
                    let key = cond.get("key").and_then(Value::as_str).unwrap_or("");
                    let value = cond.get("value").and_then(Value::as_str).unwrap_or("");
                    let tag = key
                        .strip_prefix("aws:ResourceTag/")
                        .and_then(|k| r.tags.get(k));
                    let matched =
                        tag.is_some_and(|t| if *like { glob(value, t) } else { t == value });
                    matched != *negated
                })
        })
    })
}

fn dlm_targets_volumes(p: &Resource) -> bool {
    let enabled = str_at(p, "/state").is_some_and(|s| s.is_empty() || s == "ENABLED");
    let volumes = strings_at(p, "/policy_details/0/resource_types")
        .is_some_and(|t| t.iter().any(|t| t == "VOLUME"));
    enabled && volumes
}

fn dlm_selects(p: &Resource, volume: &Resource) -> bool {
    match p.attr("/policy_details/0/target_tags") {
        Attr::Known(Value::Object(tags)) if !tags.is_empty() => tags.iter().all(|(k, v)| {
            v.as_str()
                .is_some_and(|v| volume.tags.get(k).map(String::as_str) == Some(v))
        }),
        _ => false,
    }
}

/// The name a covering plan is listed by: its own, or for a selection whose plan is outside
/// the inventory, the plan id it names (else the selection's name).
fn plan_name(plan: &Resource) -> String {
    if plan.kind == "aws_backup_selection"
        && let Attr::Known(Value::String(id)) = plan.attr("/plan_id")
        && !id.is_empty()
    {
        return id.clone();
    }
    plan.name.clone()
}

/// What the plans and policies covering a store promise it. `region` is the store's region,
/// to tell a cross-region copy from a same-region one.
pub(super) fn scheduled(covering: &[&Resource], region: Option<&str>) -> Scheduled {
    let mut s = Scheduled::default();
    let mut cross_region = Some(false);
    for plan in covering {
        let rules = match plan.kind.as_str() {
            "aws_backup_plan" => plan_rules(plan),
            // A selection standing for a plan outside the inventory.
            "aws_backup_selection" => None,
            _ => dlm_rules(plan),
        };
        s.plans.push(plan_name(plan));
        let Some(rules) = rules else {
            s.unknown_rules = true;
            if cross_region == Some(false) {
                cross_region = None;
            }
            continue;
        };
        for rule in &rules {
            if let Some(i) = rule.interval {
                s.interval = Some(s.interval.map_or(i, |best: i64| best.min(i)));
            }
            s.continuous |= rule.continuous;
            for copy in &rule.copies {
                cross_region = match (cross_region, arn_region(copy), region) {
                    (Some(true), _, _) => Some(true),
                    (_, Some(to), Some(from)) if to != from => Some(true),
                    (c, Some(_), Some(_)) => c,
                    _ => None,
                };
            }
        }
    }
    s.plans.sort();
    s.plans.dedup();
    s.cross_region = cross_region;
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_schedules() {
        assert_eq!(schedule_interval("cron(0 5 ? * * *)"), Some(DAILY));
        assert_eq!(schedule_interval("cron(0 */4 ? * * *)"), Some(240));
        assert_eq!(schedule_interval("cron(0 1,13 ? * * *)"), Some(720));
        assert_eq!(schedule_interval("cron(0 5 ? * SUN *)"), Some(7 * DAILY));
        assert_eq!(
            schedule_interval("cron(0 5 ? * MON-FRI *)"),
            Some(3 * DAILY)
        );
        assert_eq!(schedule_interval("cron(0 5 1 * ? *)"), Some(31 * DAILY));
        assert_eq!(
            schedule_interval("cron(0 5 1 1 ? *)"),
            Some(12 * 31 * DAILY)
        );
        assert_eq!(schedule_interval("rate(12 hours)"), Some(720));
        assert_eq!(schedule_interval("cron(0 5 * *)"), None);
        assert_eq!(schedule_interval("every day"), None);
    }

    #[test]
    fn reads_arn_regions() {
        assert_eq!(
            arn_region("arn:aws:backup:eu-central-1:1:backup-vault:dr").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_region("tf:aws_backup_vault.dr"), None);
    }
}
