//! JUnit XML, as CI systems (GitLab, Jenkins, Azure Pipelines, test-report actions) read it.
//!
//! A `<testsuite>` per policy that applied to something, a `<testcase>` per resource it
//! judged (`classname` the policy id, `name` the resource id, `file` and `line` where it is
//! written). A failure is a `<failure>` with the message, location, evidence and remediation;
//! an evaluation error is an `<error>`. What must not fail a CI run is `<skipped>` with the
//! reason: unknown verdicts, waived failures (with reason, approver and expiry) and failures
//! accepted by the baseline. Unread inputs are `<error>` cases of a `plumb:inputs` suite;
//! waiver and suppression problems are `<skipped>` cases of `plumb:waivers`.
//!
//! The shape is that of the widely used Ant/Surefire JUnit schema (Jenkins' `junit-10.xsd`),
//! plus the `file` and `line` attributes on `<testcase>` that GitLab and the GitHub
//! test-report actions read to annotate the source.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use crate::findings::{BaselineState, Finding, ScanReport, Status};
use crate::inventory::CollectError;

/// Characters XML 1.0 cannot carry even escaped become U+FFFD: resource names are
/// attacker-controlled and must not make the document unreadable.
fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}');
    if s.chars().any(bad) {
        s.chars()
            .map(|c| if bad(c) { '\u{FFFD}' } else { c })
            .collect::<String>()
            .into()
    } else {
        s.into()
    }
}

/// What a finding is in JUnit terms.
enum Outcome {
    Passed,
    Failure,
    Error,
    Skipped(String),
}

fn outcome(f: &Finding) -> Outcome {
    match f.status {
        Status::Pass => Outcome::Passed,
        Status::Fail if f.baseline == Some(BaselineState::Baselined) => {
            Outcome::Skipped(format!("accepted in the baseline: {}", f.message))
        }
        Status::Fail => Outcome::Failure,
        Status::Error => Outcome::Error,
        Status::Unknown => Outcome::Skipped(format!("unknown: {}", f.message)),
        Status::Waived => {
            let mut text = String::from("waived");
            if let Some(w) = &f.waiver {
                let _ = write!(text, ": {}", w.reason);
                if let Some(by) = &w.approved_by {
                    let _ = write!(text, " (approved by {by}");
                    match &w.expires {
                        Some(until) => {
                            let _ = write!(text, ", until {until})");
                        }
                        None => text.push(')'),
                    }
                }
                let _ = write!(text, " [{}]", w.source);
            }
            Outcome::Skipped(text)
        }
    }
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

impl Counts {
    fn add(&mut self, o: &Outcome) {
        self.tests += 1;
        match o {
            Outcome::Passed => {}
            Outcome::Failure => self.failures += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }

    fn attributes<'a>(&self, e: &mut BytesStart<'a>) {
        e.push_attribute(("tests", self.tests.to_string().as_str()));
        e.push_attribute(("failures", self.failures.to_string().as_str()));
        e.push_attribute(("errors", self.errors.to_string().as_str()));
        e.push_attribute(("skipped", self.skipped.to_string().as_str()));
        e.push_attribute(("time", "0"));
    }
}

/// The body of a failure: where, why, and what to do.
fn details(report: &ScanReport, f: &Finding) -> String {
    let mut text = format!("{} ({})\n", f.resource.id, f.resource.kind);
    if let Some(l) = &f.location {
        let _ = writeln!(text, "at {}:{}-{}", l.file, l.start_line, l.end_line);
    }
    if let Some(c) = &f.resource.cloud_id {
        let _ = writeln!(text, "cloud id: {c}");
    }
    if f.baseline == Some(BaselineState::New) {
        text.push_str("new: not in the baseline\n");
    }
    if !f.evidence.is_empty() {
        text.push_str("evidence:\n");
        for (k, v) in &f.evidence {
            let _ = writeln!(text, "  {k} = {v}");
        }
    }
    if let Some(doc) = report.policy(&f.policy_id)
        && !doc.remediation.is_empty()
    {
        let _ = writeln!(text, "remediation: {}", doc.remediation);
    }
    text
}

type Xml<'a> = Writer<&'a mut dyn Write>;

fn start(w: &mut Xml<'_>, e: BytesStart<'_>) -> io::Result<()> {
    w.write_event(Event::Start(e)).map_err(io::Error::other)
}

fn end(w: &mut Xml<'_>, name: &str) -> io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
        .map_err(io::Error::other)
}

fn empty(w: &mut Xml<'_>, e: BytesStart<'_>) -> io::Result<()> {
    w.write_event(Event::Empty(e)).map_err(io::Error::other)
}

fn text(w: &mut Xml<'_>, s: &str) -> io::Result<()> {
    w.write_event(Event::Text(BytesText::new(&xml_safe(s))))
        .map_err(io::Error::other)
}

fn element<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
    let mut e = BytesStart::new(name);
    for (k, v) in attrs {
        e.push_attribute((*k, xml_safe(v).as_ref()));
    }
    e
}

fn testcase(w: &mut Xml<'_>, report: &ScanReport, f: &Finding, o: &Outcome) -> io::Result<()> {
    let line = f.location.as_ref().map(|l| l.start_line.to_string());
    let mut attrs = vec![
        ("name", f.resource.id.as_str()),
        ("classname", &*f.policy_id),
        ("time", "0"),
    ];
    if let (Some(l), Some(line)) = (&f.location, &line) {
        attrs.push(("file", &l.file));
        attrs.push(("line", line));
    }
    let case = element("testcase", &attrs);
    let (tag, message, body) = match o {
        Outcome::Passed => return empty(w, case),
        Outcome::Failure => ("failure", f.message.to_string(), details(report, f)),
        Outcome::Error => ("error", f.message.to_string(), details(report, f)),
        Outcome::Skipped(m) => ("skipped", m.clone(), String::new()),
    };
    start(w, case)?;
    let inner = element(tag, &[("message", &message), ("type", f.severity.as_str())]);
    if body.is_empty() {
        empty(w, inner)?;
    } else {
        start(w, inner)?;
        text(w, &body)?;
        end(w, tag)?;
    }
    end(w, "testcase")
}

/// The files a scan skipped, one skipped case each with its reason, under a suite whose
/// properties say how many files were read and judged.
fn skipped_files_suite(w: &mut Xml<'_>, files: &crate::inventory::Files) -> io::Result<()> {
    let mut suite = element("testsuite", &[("name", "plumb:files")]);
    let n = files.skipped.len().to_string();
    for (k, v) in [
        ("tests", n.as_str()),
        ("failures", "0"),
        ("errors", "0"),
        ("skipped", n.as_str()),
    ] {
        suite.push_attribute((k, v));
    }
    start(w, suite)?;
    start(w, BytesStart::new("properties"))?;
    for (name, value) in [("read", files.read), ("judged", files.judged)] {
        let value = value.to_string();
        empty(w, element("property", &[("name", name), ("value", &value)]))?;
    }
    end(w, "properties")?;
    for f in &files.skipped {
        let attrs = [
            ("name", f.path.as_str()),
            ("classname", "plumb:files"),
            ("time", "0"),
            ("file", f.path.as_str()),
        ];
        start(w, element("testcase", &attrs))?;
        empty(w, element("skipped", &[("message", f.reason.as_str())]))?;
        end(w, "testcase")?;
    }
    end(w, "testsuite")
}

/// A suite for problems that are not findings (unread inputs, waiver problems).
fn problems_suite(
    w: &mut Xml<'_>,
    name: &str,
    problems: &[&CollectError],
    as_error: bool,
) -> io::Result<()> {
    let mut counts = Counts::default();
    for _ in problems {
        counts.add(&if as_error {
            Outcome::Error
        } else {
            Outcome::Skipped(String::new())
        });
    }
    let mut suite = element("testsuite", &[("name", name)]);
    counts.attributes(&mut suite);
    start(w, suite)?;
    for e in problems {
        let line = e.line.map(|l| l.to_string());
        let mut attrs = vec![
            ("name", e.scope.as_str()),
            ("classname", name),
            ("time", "0"),
            ("file", e.scope.as_str()),
        ];
        if let Some(line) = &line {
            attrs.push(("line", line));
        }
        start(w, element("testcase", &attrs))?;
        let message = e.to_string();
        if as_error {
            start(
                w,
                element("error", &[("message", &message), ("type", &e.collector)]),
            )?;
            text(w, &message)?;
            end(w, "error")?;
        } else {
            empty(w, element("skipped", &[("message", &message)]))?;
        }
        end(w, "testcase")?;
    }
    end(w, "testsuite")
}

pub(super) fn render(report: &ScanReport, out: &mut dyn Write) -> io::Result<()> {
    let mut by_policy: BTreeMap<&str, Vec<(&Finding, Outcome)>> = BTreeMap::new();
    for f in &report.findings {
        by_policy
            .entry(&f.policy_id)
            .or_default()
            .push((f, outcome(f)));
    }
    let sorted = CollectError::sorted_out(&report.errors);
    let (unread, warnings, waiver_problems) = (sorted.unread, sorted.warnings, sorted.rejected);
    let mut total = Counts::default();
    for cases in by_policy.values() {
        for (_, o) in cases {
            total.add(o);
        }
    }
    total.tests += unread.len() + warnings.len() + waiver_problems.len();
    total.errors += unread.len();
    total.skipped += warnings.len() + waiver_problems.len();
    let skipped_files = report.scanned.files.as_ref().map_or(0, |f| f.skipped.len());
    total.tests += skipped_files;
    total.skipped += skipped_files;

    let mut w: Xml<'_> = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(io::Error::other)?;
    let mut root = element("testsuites", &[("name", "plumb")]);
    root.push_attribute(("tests", total.tests.to_string().as_str()));
    root.push_attribute(("failures", total.failures.to_string().as_str()));
    root.push_attribute(("errors", total.errors.to_string().as_str()));
    root.push_attribute(("time", "0"));
    start(&mut w, root)?;
    for (policy, cases) in &by_policy {
        let mut counts = Counts::default();
        for (_, o) in cases {
            counts.add(o);
        }
        let mut suite = element("testsuite", &[("name", policy)]);
        counts.attributes(&mut suite);
        start(&mut w, suite)?;
        if let Some(doc) = report.policy(policy) {
            start(&mut w, BytesStart::new("properties"))?;
            let mut props = vec![
                ("title".to_string(), doc.title.clone()),
                ("severity".to_string(), doc.severity.to_string()),
                ("category".to_string(), doc.category.to_string()),
            ];
            for (framework, ids) in &doc.controls {
                for id in ids {
                    props.push((format!("control:{framework}"), id.clone()));
                }
            }
            for (name, value) in &props {
                empty(
                    &mut w,
                    element("property", &[("name", name), ("value", value)]),
                )?;
            }
            end(&mut w, "properties")?;
        }
        for (f, o) in cases {
            testcase(&mut w, report, f, o)?;
        }
        end(&mut w, "testsuite")?;
    }
    if !unread.is_empty() {
        problems_suite(&mut w, "plumb:inputs", &unread, true)?;
    }
    if let Some(files) = report
        .scanned
        .files
        .as_ref()
        .filter(|f| !f.skipped.is_empty())
    {
        skipped_files_suite(&mut w, files)?;
    }
    if !warnings.is_empty() {
        problems_suite(&mut w, "plumb:warnings", &warnings, false)?;
    }
    if !waiver_problems.is_empty() {
        problems_suite(&mut w, "plumb:waivers", &waiver_problems, false)?;
    }
    end(&mut w, "testsuites")?;
    writeln!(w.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(xml_safe("a\u{1}b\tc"), "a\u{FFFD}b\tc");
        assert_eq!(xml_safe("plain"), "plain");
    }
}
