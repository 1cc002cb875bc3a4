//! The report formats for auditors and CI: JUnit, Markdown, CSV and HTML snapshots, the shape
//! of each, escaping of hostile values, GitHub's comment size limit, and `plumb report`.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use common::*;
use quick_xml::events::Event;
use serde_json::json;

/// Volatile fields (time, tool version) replaced, so snapshots hold across runs and releases.
fn stable(text: &str) -> String {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut line = line.replace(&format!("plumb {version}"), "plumb [version]");
        line = line.replace(&format!("built-in {version}"), "built-in [version]");
        // RFC 3339 times: 2026-11-27T13:07:00Z
        while let Some(i) = line.find("Z").and_then(|z| {
            let start = z.checked_sub(19)?;
            let candidate = line.get(start..z)?;
            (candidate.len() == 19
                && candidate.as_bytes()[10] == b'T'
                && candidate.as_bytes()[4] == b'-')
                .then_some(start)
        }) {
            line.replace_range(i..i + 20, "[time]");
        }
        out.push_str(&line);
    }
    // Digests (inventory, policy pack) change with every collector or policy change.
    let mut hashed = String::with_capacity(out.len());
    let mut run = String::new();
    for c in out.chars() {
        if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
            run.push(c);
            continue;
        }
        hashed.push_str(if run.len() == 64 { "[sha256]" } else { &run });
        run.clear();
        hashed.push(c);
    }
    hashed.push_str(if run.len() == 64 { "[sha256]" } else { &run });
    hashed
}

#[test]
fn junit_snapshot() {
    insta::assert_snapshot!(stable(&scan_stdout("junit", "fixtures/demo/kubernetes")));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!(stable(&scan_stdout("markdown", "fixtures/demo")));
}

#[test]
fn csv_snapshot() {
    insta::assert_snapshot!(stable(&scan_stdout("csv", "fixtures/demo/kubernetes")));
}

/// The page's structure and data: its inline style and script (and their hashes in the
/// Content-Security-Policy) are left out, the browser test checks those.
fn without_assets(html: &str) -> String {
    let cut = |text: &str, open: &str, close: &str, placeholder: &str| -> String {
        let start = text.find(open).expect("the opening tag") + open.len();
        let end = start + text[start..].find(close).expect("the closing tag");
        format!("{}{placeholder}{}", &text[..start], &text[end..])
    };
    let html = cut(html, "<style>", "</style>", "[inline style]");
    let html = cut(&html, "<script>", "</script>", "[inline script]");
    cut(&html, "content=\"default-src", "\">", " [policy]")
}

#[test]
fn html_snapshot() {
    insta::assert_snapshot!(without_assets(&stable(&scan_stdout(
        "html",
        "fixtures/demo/kubernetes"
    ))));
}

#[test]
fn new_formats_are_deterministic() {
    for format in ["junit", "markdown", "csv", "html"] {
        let a = stable(&scan_stdout(format, "fixtures/demo"));
        let b = stable(&scan_stdout(format, "fixtures/demo"));
        assert_eq!(a, b, "{format} differs between runs");
    }
}

/// Elements and attributes allowed by the Ant/Surefire JUnit schema (Jenkins' junit-10.xsd),
/// plus `file` and `line` on `testcase` (read by GitLab and annotation actions).
fn allowed(element: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    // (required attributes, optional attributes)
    Some(match element {
        "testsuites" => (&[], &["name", "time", "tests", "failures", "errors"]),
        "testsuite" => (
            &["name", "tests", "failures", "errors"],
            &[
                "time",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "group",
            ],
        ),
        "properties" => (&[], &[]),
        "property" => (&["name", "value"], &[]),
        "testcase" => (&["name"], &["time", "classname", "group", "file", "line"]),
        "failure" | "error" | "skipped" => (&[], &["type", "message"]),
        "system-out" | "system-err" => (&[], &[]),
        _ => return None,
    })
}

#[derive(Default, Debug, PartialEq)]
struct Counts {
    tests: u64,
    failures: u64,
    errors: u64,
    skipped: u64,
}

/// Parses a JUnit document and checks it element by element; returns the totals.
fn check_junit(xml: &str) -> Counts {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut suites: Vec<(BTreeMap<String, String>, Counts)> = Vec::new();
    let mut root: Option<BTreeMap<String, String>> = None;
    let mut totals = Counts::default();
    let mut in_case_outcomes = 0;
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed at {}: {e}", reader.buffer_position()));
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = e.name().into_inner().to_string();
            let (required, optional) =
                allowed(&name).unwrap_or_else(|| panic!("element <{name}> is not JUnit"));
            let attrs: BTreeMap<String, String> = e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    (
                        a.key.into_inner().to_string(),
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .unwrap()
                            .into_owned(),
                    )
                })
                .collect();
            for r in required {
                assert!(attrs.contains_key(*r), "<{name}> lacks {r}: {attrs:?}");
            }
            for k in attrs.keys() {
                assert!(
                    required.contains(&k.as_str()) || optional.contains(&k.as_str()),
                    "<{name}> has attribute {k} the schema does not allow"
                );
            }
            if let Some(t) = attrs.get("time") {
                assert!(t.parse::<f64>().is_ok(), "time {t:?}");
            }
            let parent = stack.last().map(String::as_str);
            match name.as_str() {
                "testsuites" => {
                    assert_eq!(parent, None);
                    root = Some(attrs.clone());
                }
                "testsuite" => {
                    assert_eq!(parent, Some("testsuites"));
                    suites.push((attrs.clone(), Counts::default()));
                }
                "testcase" => {
                    assert_eq!(parent, Some("testsuite"));
                    suites.last_mut().unwrap().1.tests += 1;
                    in_case_outcomes = 0;
                }
                "failure" | "error" | "skipped" => {
                    assert_eq!(parent, Some("testcase"));
                    in_case_outcomes += 1;
                    assert_eq!(in_case_outcomes, 1, "one outcome per test case");
                    let c = &mut suites.last_mut().unwrap().1;
                    match name.as_str() {
                        "failure" => {
                            c.failures += 1;
                            assert!(attrs.contains_key("message"), "a failure has a message");
                        }
                        "error" => c.errors += 1,
                        _ => c.skipped += 1,
                    }
                }
                "property" => assert_eq!(parent, Some("properties")),
                "properties" => assert_eq!(parent, Some("testsuite")),
                _ => {}
            }
            if !empty {
                stack.push(name);
            }
        }
        if matches!(event, Event::Eof) {
            break;
        }
        let closed = matches!(event, Event::End(_))
            .then(|| stack.pop())
            .flatten();
        if closed.as_deref() == Some("testsuite") {
            let (attrs, counts) = suites.last().unwrap();
            let n = |k: &str| attrs[k].parse::<u64>().unwrap();
            assert_eq!(
                (n("tests"), n("failures"), n("errors"), n("skipped")),
                (counts.tests, counts.failures, counts.errors, counts.skipped),
                "counts of suite {}",
                attrs["name"]
            );
            totals.tests += counts.tests;
            totals.failures += counts.failures;
            totals.errors += counts.errors;
            totals.skipped += counts.skipped;
        }
    }
    assert!(stack.is_empty());
    let root = root.expect("a <testsuites> root");
    let n = |k: &str| root[k].parse::<u64>().unwrap();
    assert_eq!(
        (n("tests"), n("failures"), n("errors")),
        (totals.tests, totals.failures, totals.errors)
    );
    totals
}

#[test]
fn junit_has_a_suite_per_policy_and_a_case_per_resource() {
    let (_, report) = scan_json(&["fixtures/demo", "--fail-on", "never"]);
    let xml = scan_stdout("junit", "fixtures/demo");
    let totals = check_junit(&xml);
    let s = &report["summary"];
    assert_eq!(totals.tests, s["evaluations"].as_u64().unwrap());
    assert_eq!(totals.failures, s["fail"].as_u64().unwrap());
    assert_eq!(totals.errors, s["error"].as_u64().unwrap());
    assert_eq!(
        totals.skipped,
        s["unknown"].as_u64().unwrap() + s["waived"].as_u64().unwrap()
    );
    // A failure names its message and location.
    assert!(xml.contains(r#"<testcase name="tf:aws_db_instance.reporting" classname="PLB-RDS-003" time="0" file="fixtures/demo/terraform/plan.json" line="798">"#), "{xml}");
    assert!(xml.contains(
        r#"<failure message="database payments-reporting has a public address" type="critical">"#
    ));
    assert!(xml.contains("at fixtures/demo/terraform/plan.json:798-"));
}

#[test]
fn junit_reports_unread_inputs_as_errors() {
    let dir = broken_beside_good();
    let out = plumb(&[
        "scan",
        dir.path().to_str().unwrap(),
        "--keep-going",
        "--format",
        "junit",
    ]);
    assert_eq!(code(&out), 2);
    let xml = stdout(&out);
    let totals = check_junit(&xml);
    assert_eq!(totals.errors, 1);
    assert!(xml.contains(r#"<testsuite name="plumb:inputs""#), "{xml}");
}

/// A state with `n` buckets whose names are long: many failures with long messages.
fn big_state(dir: &Path, n: usize) -> String {
    let resources: Vec<_> = (0..n)
        .map(|i| {
            json!({"mode": "managed", "type": "aws_s3_bucket", "name": format!("bucket_{i:05}_with_a_rather_long_name_for_its_address"),
                "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
                "instances": [{"attributes": {"bucket": format!("acme-{i:05}-{}", "x".repeat(40))}}]})
        })
        .collect();
    let state = json!({"version": 4, "terraform_version": "1.9.8", "serial": 1, "lineage": "l", "outputs": {}, "resources": resources});
    let path = dir.join("terraform.tfstate");
    fs::write(&path, state.to_string()).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn markdown_fits_in_a_github_comment() {
    let dir = tempfile::tempdir().unwrap();
    let state = big_state(dir.path(), 1500);
    let md = scan_stdout("markdown", &state);
    let chars = md.chars().count();
    assert!(chars <= 65_536, "{chars} characters");
    assert!(chars > 50_000, "the space is used: {chars} characters");
    assert!(md.contains("more failures not shown"), "the cut is said");
    assert!(
        md.trim_end().ends_with("</sub>"),
        "the footer survives the cut"
    );
    // Every table row is whole.
    for line in md.lines().filter(|l| l.starts_with('|')) {
        assert!(line.ends_with('|'), "cut row: {line}");
    }
}

#[test]
fn markdown_of_a_small_scan_lists_every_failure() {
    let md = scan_stdout("markdown", "fixtures/demo");
    let (_, report) = scan_json(&["fixtures/demo", "--fail-on", "never"]);
    let rows = md
        .lines()
        .filter(|l| {
            l.starts_with("| 🟥")
                || l.starts_with("| 🟧")
                || l.starts_with("| 🟨")
                || l.starts_with("| 🟦")
                || l.starts_with("| ⬜")
        })
        .count();
    // The severity table has one row per severity present, the failure table one per failure.
    let severities = report["summary"]["failures_by_severity"]
        .as_object()
        .unwrap()
        .len();
    assert_eq!(
        rows,
        report["summary"]["fail"].as_u64().unwrap() as usize + severities
    );
    assert!(!md.contains("not shown"));
}

/// A manifest whose name, labels and annotations are hostile.
fn hostile(dir: &Path) -> String {
    let name = "evil<script>alert(1)</script>";
    fs::write(
        dir.join("hostile.yaml"),
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name:?}\n  namespace: \"=cmd|'/c calc'!A1\"\n  labels: {{team: \"@org/admins | [x](javascript:alert(1))\"}}\nspec:\n  containers:\n  - name: \"c,\\\"quoted\\\"\\nline\"\n    image: x:1\n    securityContext: {{privileged: true}}\n"
        ),
    )
    .unwrap();
    dir.to_str().unwrap().to_string()
}

#[test]
fn hostile_values_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile(dir.path());
    let html = scan_stdout("html", &path);
    assert!(!html.contains("<script>alert"), "HTML runs nothing");
    assert!(html.contains("evil&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"));
    let md = scan_stdout("markdown", &path);
    assert!(
        !md.contains("<script>") && md.contains("&lt;script&gt;"),
        "{md}"
    );
    assert!(!md.contains("@org"), "no mention: {md}");
    let xml = scan_stdout("junit", &path);
    check_junit(&xml);
    assert!(xml.contains("evil&lt;script&gt;"));

    let csv = scan_stdout("csv", &path);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let resource = header.iter().position(|h| h == "resource_id").unwrap();
    let name = header.iter().position(|h| h == "resource_name").unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(records.iter().all(|r| r.len() == header.len()));
    assert!(records.iter().any(|r| r[resource].contains("evil<script>")));
    // A namespace that a spreadsheet would run as a formula is defused.
    assert!(records.iter().all(|r| !r[name].starts_with('=')));
    assert!(records.iter().any(|r| r[name].starts_with("'=cmd")));
    // Quotes, commas and newlines in evidence survive the round trip.
    let evidence = header.iter().position(|h| h == "evidence").unwrap();
    assert!(
        records
            .iter()
            .any(|r| r[evidence].contains(r#"c,\"quoted\"\nline"#))
    );
}

#[test]
fn csv_has_one_row_per_finding() {
    let (_, report) = scan_json(&["fixtures/demo", "--fail-on", "never"]);
    let csv = scan_stdout("csv", "fixtures/demo");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(&reader.headers().unwrap()[0], "status");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(findings) {
        assert_eq!(&row[0], f["status"].as_str().unwrap());
        assert_eq!(&row[2], f["policy_id"].as_str().unwrap());
        assert_eq!(&row[5], f["resource"]["id"].as_str().unwrap());
    }
    let waived = rows.iter().find(|r| &r[0] == "waived").unwrap();
    assert!(!waived[14].is_empty(), "a waived row carries its reason");
}

#[test]
fn report_renders_a_saved_json_report_without_rescanning() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("plumb.json");
    let out = plumb(&[
        "scan",
        "fixtures/demo",
        "--fail-on",
        "never",
        "--format",
        &format!("json={}", json_path.display()),
        "--format",
        &format!("html={}", dir.path().join("direct.html").display()),
        "--format",
        &format!("markdown={}", dir.path().join("direct.md").display()),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Rendered from the saved report, in a folder without the scanned files.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = plumb_in(
        elsewhere.path(),
        &[
            "report",
            json_path.to_str().unwrap(),
            "--format",
            &format!("html={}", dir.path().join("saved.html").display()),
            "--format",
            &format!("markdown={}", dir.path().join("saved.md").display()),
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for (a, b) in [("direct.html", "saved.html"), ("direct.md", "saved.md")] {
        let a = fs::read_to_string(dir.path().join(a)).unwrap();
        let b = fs::read_to_string(dir.path().join(b)).unwrap();
        assert_eq!(a, b, "a saved report renders exactly as the scan did");
    }
    // Not a report: the file and what is expected.
    let out = plumb(&[
        "report",
        "fixtures/demo/terraform/plan.json",
        "--format",
        "html",
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("plan.json"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("plumb scan --format json"),
        "{}",
        stderr(&out)
    );
    let out = plumb(&["report", "no-such.json"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no-such.json: cannot read"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn html_shows_the_trend_when_the_report_has_history() {
    let (_, mut report) = scan_json(&["fixtures/demo", "--fail-on", "never"]);
    let fail = report["summary"]["fail"].as_u64().unwrap();
    report["trend"] = json!({"history": [
        {"snapshot": "snap-1", "taken_at": "2026-11-01T02:00:00Z", "evaluations": 150, "pass": 80, "fail": fail + 7, "unknown": 2, "waived": 1},
        {"snapshot": "snap-2", "taken_at": "2026-11-26T02:00:00Z", "evaluations": 150, "pass": 90, "fail": fail + 2, "unknown": 1, "waived": 2}
    ]});
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("r.json");
    fs::write(&saved, report.to_string()).unwrap();
    let out = plumb(&["report", saved.to_str().unwrap(), "--format", "html"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let html = stdout(&out);
    assert!(
        html.contains("Since the previous scan (snap-2, 2026-11-26T02:00:00Z): failures −2"),
        "trend missing"
    );
    assert!(html.contains("<polyline points=\"0,"));
    let out = plumb(&["report", saved.to_str().unwrap(), "--format", "markdown"]);
    assert!(stdout(&out).contains("failures ") && stdout(&out).contains("(−2)"));
    // Without history there is no trend section.
    assert!(!scan_stdout("html", "fixtures/demo").contains("Since the previous scan"));
}
