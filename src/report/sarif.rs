//! SARIF 2.1.0, as GitHub code scanning and other SARIF viewers read it.
//!
//! Results are the findings that need attention: failures (level from severity), unknowns
//! and evaluation errors (level `note`, kind `review`), and waived failures (with an in-source
//! or external suppression and its justification). Passes are left out: SARIF viewers list
//! problems, and the JSON report keeps the evidence of compliance. Only rules with a result
//! are listed, sorted by id. `partialFingerprints` come from (policy, resource), so a result
//! keeps its identity when lines move.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::{Serialize, Serializer};
use serde_json::{Value, json};
use serde_sarif::sarif::{
    ArtifactLocation, Invocation, Location, Message, MultiformatMessageString, Notification,
    PhysicalLocation, PropertyBag, Region, ReportingConfiguration, ReportingDescriptor, ResultKind,
    ResultLevel, Tool, ToolComponent,
};

use crate::findings::{BaselineState, Finding, ScanReport, Status};
use crate::policy::{PolicyDoc, Severity};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(severity: Severity) -> ResultLevel {
    match severity {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

/// GitHub ranks security results by this CVSS-like score.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn text(s: impl Into<String>) -> Message {
    Message::builder().text(s.into()).build()
}

fn multiformat(s: impl Into<String>) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s.into()).build()
}

fn properties(values: BTreeMap<String, Value>, tags: Option<Vec<String>>) -> PropertyBag {
    let mut bag = PropertyBag::builder().additional_properties(values).build();
    bag.tags = tags;
    bag
}

/// A path as a SARIF URI: relative paths stay relative (to the scan's root), absolute ones
/// become `file://` URIs.
fn uri(path: &str) -> (String, Option<String>) {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path).to_string();
    let escaped = path.replace('%', "%25").replace(' ', "%20");
    if path.starts_with('/') {
        (format!("file://{escaped}"), None)
    } else {
        (escaped, Some("%SRCROOT%".to_string()))
    }
}

/// A repository-relative stand-in path for a resource that has no file.
fn live_path(id: &str) -> String {
    id.split(':')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn rule(doc: &PolicyDoc) -> ReportingDescriptor {
    let mut help = doc.remediation.clone();
    if help.is_empty() {
        help = doc.title.clone();
    }
    let mut markdown = format!("**{}**\n\n", doc.title);
    if !doc.rationale.is_empty() {
        markdown.push_str(&format!("{}\n\n", doc.rationale));
    }
    if !doc.remediation.is_empty() {
        markdown.push_str(&format!("**Remediation.** {}\n\n", doc.remediation));
    }
    for r in &doc.references {
        markdown.push_str(&format!("- <{r}>\n"));
    }
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".into(),
        json!(security_severity(doc.severity)),
    );
    props.insert("precision".into(), json!("high"));
    props.insert(
        "problem.severity".into(),
        json!(match level(doc.severity) {
            ResultLevel::Error => "error",
            ResultLevel::Warning => "warning",
            _ => "recommendation",
        }),
    );
    props.insert("severity".into(), json!(doc.severity));
    props.insert("category".into(), json!(doc.category));
    props.insert("kinds".into(), json!(doc.kinds));
    if !doc.controls.is_empty() {
        props.insert("controls".into(), json!(doc.controls));
    }
    let mut tags = vec!["security".to_string(), doc.category.to_string()];
    for (framework, ids) in &doc.controls {
        for id in ids {
            tags.push(format!("{framework}/{id}"));
        }
    }
    let mut full = doc.rationale.clone();
    if full.is_empty() {
        full = doc.title.clone();
    }
    let mut help_message = multiformat(help);
    help_message.markdown = Some(markdown);
    let mut descriptor = ReportingDescriptor::builder()
        .id(doc.id.clone())
        .name(rule_name(&doc.title))
        .short_description(multiformat(doc.title.clone()))
        .full_description(multiformat(full))
        .help(help_message)
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(doc.severity)))
                .build(),
        )
        .properties(properties(props, Some(tags)))
        .build();
    // Only a web page over TLS: a reference may be anything a policy author wrote
    // (`javascript:`, `file:`), and code-scanning UIs make helpUri a link.
    descriptor.help_uri = doc
        .references
        .iter()
        .find(|r| r.starts_with("https://"))
        .cloned();
    descriptor
}

/// SARIF rule names are identifiers: `S3BucketsEncryptDataAtRest`.
fn rule_name(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// One SARIF result, serialised straight from the finding it borrows (the hot path of a large
/// scan: no intermediate tree, no copies). Field names are those of the 2.1.0 schema.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultView<'a> {
    rule_id: &'a str,
    rule_index: i64,
    level: ResultLevel,
    kind: ResultKind,
    message: MessageView,
    locations: [LocationView<'a>; 1],
    partial_fingerprints: Fingerprints,
    /// The module calls that lead to a resource inside Terraform modules, outermost first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedView>,
    /// With a baseline: `new` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline_state: Option<&'static str>,
    properties: ResultProperties<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressions: Option<[SuppressionView<'a>; 1]>,
}

#[derive(Serialize)]
struct MessageView {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LocationView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<PhysicalView>,
    logical_locations: [LogicalView<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalView {
    artifact_location: ArtifactView,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<RegionView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedView {
    id: i64,
    physical_location: PhysicalView,
    message: MessageView,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactView {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionView {
    start_line: u32,
    end_line: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogicalView<'a> {
    fully_qualified_name: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct Fingerprints {
    #[serde(rename = "plumb/v1")]
    plumb: crate::findings::Fingerprint,
}

#[derive(Serialize)]
struct ResultProperties<'a> {
    status: Status,
    resource: &'a crate::findings::ResourceRef,
    #[serde(skip_serializing_if = "crate::findings::Evidence::is_empty")]
    evidence: &'a crate::findings::Evidence,
}

#[derive(Serialize)]
struct SuppressionView<'a> {
    kind: &'static str,
    status: &'static str,
    justification: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    properties: Option<WaiverProperties<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WaiverProperties<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    approved_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<&'a str>,
    source: &'a str,
}

fn result(f: &Finding, rule_index: i64) -> ResultView<'_> {
    let (level, kind) = match f.status {
        Status::Fail | Status::Waived => (level(f.severity), ResultKind::Fail),
        Status::Unknown | Status::Error => (ResultLevel::Note, ResultKind::Review),
        Status::Pass => (ResultLevel::None, ResultKind::Pass),
    };
    let text = match f.status {
        Status::Unknown => format!("{} ({}): {}", f.title, f.resource.id, f.message),
        Status::Error => format!(
            "{} ({}): evaluation error: {}",
            f.title, f.resource.id, f.message
        ),
        _ => format!("{} ({})", f.message, f.resource.id),
    };
    let calls: &[String] = f.location.as_ref().map_or(&[], |l| &l.module_calls);
    let related_locations: Vec<RelatedView> = calls
        .iter()
        .enumerate()
        .map(|(i, call)| {
            let (file, line) = match call.rsplit_once(':') {
                Some((file, line)) => (file, line.parse::<u32>().unwrap_or(1)),
                None => (call.as_str(), 1),
            };
            let (uri, uri_base_id) = uri(file);
            RelatedView {
                id: i as i64 + 1,
                physical_location: PhysicalView {
                    artifact_location: ArtifactView { uri, uri_base_id },
                    region: Some(RegionView {
                        start_line: line.max(1),
                        end_line: line.max(1),
                    }),
                },
                message: MessageView {
                    text: format!("module call {} of {}", i + 1, calls.len()),
                },
            }
        })
        .collect();
    let mut text = text;
    if !calls.is_empty() {
        let links: Vec<String> = calls
            .iter()
            .enumerate()
            .map(|(i, call)| format!("[{call}]({})", i + 1))
            .collect();
        text.push_str(&format!("; called from {}", links.join(" > ")));
    }
    let physical_location = Some(match f.location.as_ref() {
        Some(l) => {
            let (uri, uri_base_id) = uri(&l.file);
            PhysicalView {
                artifact_location: ArtifactView { uri, uri_base_id },
                region: Some(RegionView {
                    start_line: l.start_line.max(1),
                    end_line: l.end_line.max(l.start_line).max(1),
                }),
            }
        }
        // A live resource has no file. Code-scanning services reject a result without an
        // artifact, and accept only repository-relative paths, so the resource id stands in
        // as a path (`aws/123456789012/eu-west-1/aws_s3_bucket/logs`).
        None => PhysicalView {
            artifact_location: ArtifactView {
                uri: live_path(&f.resource.id),
                uri_base_id: None,
            },
            region: None,
        },
    });
    ResultView {
        rule_id: &f.policy_id,
        rule_index,
        level,
        kind,
        message: MessageView { text },
        locations: [LocationView {
            physical_location,
            logical_locations: [LogicalView {
                fully_qualified_name: &f.resource.id,
                kind: "resource",
            }],
        }],
        partial_fingerprints: Fingerprints {
            plumb: f.fingerprint,
        },
        related_locations,
        baseline_state: f.baseline.map(|b| match b {
            BaselineState::New => "new",
            BaselineState::Baselined => "unchanged",
        }),
        properties: ResultProperties {
            status: f.status,
            resource: &f.resource,
            evidence: &f.evidence,
        },
        suppressions: f.waiver.as_ref().map(|w| {
            let mut justification = w.reason.clone();
            if let Some(by) = &w.approved_by {
                justification.push_str(&format!(" (approved by {by}"));
                if let Some(until) = &w.expires {
                    justification.push_str(&format!(", until {until}"));
                }
                justification.push(')');
            }
            [SuppressionView {
                kind: if w.source.starts_with("inline") {
                    "inSource"
                } else {
                    "external"
                },
                status: "accepted",
                justification,
                properties: w.approved_by.is_some().then_some(WaiverProperties {
                    approved_by: w.approved_by.as_deref(),
                    expires: w.expires.as_deref(),
                    source: &w.source,
                }),
            }]
        }),
    }
}

pub(super) fn render(report: &ScanReport, pretty: bool, out: &mut dyn Write) -> io::Result<()> {
    let shown: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.status != Status::Pass)
        .collect();
    let mut rule_ids: Vec<&str> = shown.iter().map(|f| &*f.policy_id).collect();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let rules: Vec<ReportingDescriptor> = rule_ids
        .iter()
        .filter_map(|id| report.policy(id))
        .map(rule)
        .collect();
    let notifications: Vec<Notification> = report
        .errors
        .iter()
        .map(|e| {
            let mut n = Notification::builder().message(text(e.to_string())).build();
            // Unread input is an error; a waiver or suppression problem, or a warning about
            // the input, is a warning.
            n.level = Some(json!(if e.is_suppression() || e.warning {
                "warning"
            } else {
                "error"
            }));
            if e.scope.contains('/') || e.scope.contains('.') {
                let (uri, base) = uri(&e.scope);
                let mut artifact = ArtifactLocation::builder().uri(uri).build();
                artifact.uri_base_id = base;
                let mut physical = PhysicalLocation::builder()
                    .artifact_location(artifact)
                    .build();
                if let Some(line) = e.line {
                    physical.region =
                        Some(Region::builder().start_line(i64::from(line.max(1))).build());
                }
                n.locations = Some(vec![
                    Location::builder().physical_location(physical).build(),
                ]);
            }
            n
        })
        .collect();
    let mut invocation = Invocation::builder().execution_successful(true).build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    // What was read, judged and skipped: a scan that judged little says so here too.
    if let Some(files) = &report.scanned.files
        && let Ok(value) = serde_json::to_value(files)
    {
        let mut values = BTreeMap::new();
        values.insert("files".to_string(), value);
        invocation.properties = Some(properties(values, None));
    }

    let driver = ToolComponent::builder()
        .name("plumb".to_string())
        .semantic_version(report.tool.version.clone())
        .version(report.tool.version.clone())
        .rules(rules)
        .build();
    // Results are serialised one at a time as they are built: a large estate has hundreds of
    // thousands, and the log need never exist whole in memory.
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [RunView {
            tool: Tool::builder().driver(driver).build(),
            invocations: [invocation],
            column_kind: "utf16CodeUnits",
            results: Results {
                findings: &shown,
                rule_ids: &rule_ids,
            },
        }],
    };
    if pretty {
        serde_json::to_writer_pretty(&mut *out, &log)?;
    } else {
        serde_json::to_writer(&mut *out, &log)?;
    }
    writeln!(out)
}

/// The SARIF log, with results streamed (field names as in the 2.1.0 schema).
#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [RunView<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunView<'a> {
    tool: Tool,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Results<'a>,
}

struct Results<'a> {
    findings: &'a [&'a Finding],
    rule_ids: &'a [&'a str],
}

impl Serialize for Results<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.findings.iter().map(|f| {
            let index = self
                .rule_ids
                .binary_search(&&*f.policy_id)
                .map_or(-1, |i| i as i64);
            result(f, index)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_rules_as_identifiers() {
        assert_eq!(
            rule_name("S3 buckets encrypt data at rest"),
            "S3BucketsEncryptDataAtRest"
        );
    }

    #[test]
    fn live_resources_get_a_repository_relative_stand_in_path() {
        assert_eq!(
            live_path("aws:123456789012:eu-west-1:aws_s3_bucket:logs"),
            "aws/123456789012/eu-west-1/aws_s3_bucket/logs"
        );
        assert_eq!(
            live_path("k8s:prod:apps/Deployment:pay/api"),
            "k8s/prod/apps_Deployment/pay_api"
        );
    }

    #[test]
    fn makes_uris() {
        assert_eq!(
            uri("./a b/plan.json"),
            ("a%20b/plan.json".into(), Some("%SRCROOT%".into()))
        );
        assert_eq!(uri("/abs/x.json").0, "file:///abs/x.json");
    }
}
