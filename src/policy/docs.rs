//! The policy reference, as Markdown pages: one page per policy, an index by category and by
//! framework, and the baseline requirement by requirement (with the reason each unchecked one
//! cannot be checked from configuration). `plumb policies docs` writes them; `docs/policies/`
//! holds the built-in pack's, kept current by a test.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::baseline::{Requirement, requirements};
use super::{Category, Policy, PolicySet};

/// One generated file, its path relative to the reference's folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub path: String,
    pub text: String,
}

/// Framework keys of `controls`, in the order pages list them, with their full names.
pub const FRAMEWORKS: &[(&str, &str)] = &[
    ("baseline", "Requirements baseline"),
    ("cis-aws-3.0", "CIS AWS Foundations Benchmark v3.0.0"),
    ("cis-k8s-1.9", "CIS Kubernetes Benchmark v1.9"),
    ("cis-docker-1.6", "CIS Docker Benchmark v1.6.0"),
    ("nist-800-53", "NIST SP 800-53 Rev. 5"),
    ("soc2", "SOC 2 (Trust Services Criteria 2017)"),
    ("pci-dss-4.0", "PCI DSS v4.0"),
];

fn framework_name(key: &str) -> &str {
    FRAMEWORKS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(key, |(_, name)| name)
}

/// Sorts control ids as people read them: `1.9` before `1.10`, `AC-6` before `AC-6(1)`.
fn natural_key(id: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut number = String::new();
    for c in id.chars() {
        if c.is_ascii_digit() {
            number.push(c);
        } else {
            if !number.is_empty() {
                out.push((std::mem::take(&mut text), number.parse().unwrap_or(0)));
                number.clear();
            }
            text.push(c);
        }
    }
    out.push((text, number.parse().unwrap_or(0)));
    out
}

fn link(id: &str) -> String {
    format!("[{id}]({id}.md)")
}

/// Markdown-safe table cell text.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Remediation text: prose paragraphs as they are, configuration snippets fenced.
fn remediation(text: &str, out: &mut String) {
    for para in text.split("\n\n") {
        let lines: Vec<&str> = para.lines().collect();
        let code = lines.iter().any(|l| {
            l.starts_with(' ')
                || l.trim_end().ends_with('{')
                || l.trim_end() == "}"
                || l.contains(" = ")
                || (l.trim_end().ends_with(':') && lines.len() > 1)
        });
        if code {
            let first = lines.first().copied().unwrap_or("").trim_start();
            let yaml = first.ends_with(':')
                || first.starts_with("apiVersion")
                || first.starts_with("- ")
                || first.starts_with("image:");
            let _ = writeln!(
                out,
                "```{}\n{para}\n```\n",
                if yaml { "yaml" } else { "hcl" }
            );
        } else {
            let _ = writeln!(out, "{para}\n");
        }
    }
}

fn policy_page(p: &Policy) -> Page {
    let d = &p.doc;
    let mut out = format!("# {}: {}\n\n", d.id, d.title);
    let _ = writeln!(out, "| | |\n| --- | --- |");
    let _ = writeln!(out, "| Severity | {} |", d.severity);
    let _ = writeln!(
        out,
        "| Category | [{}](README.md#{}) |",
        d.category, d.category
    );
    let kinds: Vec<String> = d.kinds.iter().map(|k| format!("`{k}`")).collect();
    let _ = writeln!(out, "| Kinds | {} |", kinds.join(", "));
    let origin = d.origin.strip_prefix("builtin:").unwrap_or(&d.origin);
    let origin = origin.rsplit_once(':').map_or(origin, |(file, _)| file);
    let _ = writeln!(out, "| Defined in | `{origin}` |\n");
    if let Some(when) = &p.when_source {
        let _ = writeln!(out, "Applies when:\n\n```cel\n{when}\n```\n");
    }
    let _ = writeln!(
        out,
        "Compliant when:\n\n```cel\n{}\n```\n",
        p.condition_source
    );
    if !d.rationale.is_empty() {
        let _ = writeln!(out, "## Why\n\n{}\n", d.rationale);
    }
    if !d.remediation.is_empty() {
        out.push_str("## Remediation\n\n");
        remediation(&d.remediation, &mut out);
    }
    if !d.controls.is_empty() {
        out.push_str("## Controls\n\n| Framework | Controls |\n| --- | --- |\n");
        let mut frameworks: Vec<(&String, &Vec<String>)> = d.controls.iter().collect();
        frameworks.sort_by_key(|(k, _)| {
            FRAMEWORKS
                .iter()
                .position(|(f, _)| f == k)
                .unwrap_or(FRAMEWORKS.len())
        });
        for (framework, ids) in frameworks {
            let ids: Vec<String> = if framework == "baseline" {
                ids.iter()
                    .map(|id| format!("[{}](baseline.md)", cell(id)))
                    .collect()
            } else {
                ids.iter().map(|id| cell(id)).collect()
            };
            let _ = writeln!(
                out,
                "| {} | {} |",
                framework_name(framework),
                ids.join(", ")
            );
        }
        out.push('\n');
    }
    if !d.references.is_empty() {
        out.push_str("## References\n\n");
        for r in &d.references {
            let _ = writeln!(out, "- <{r}>");
        }
        out.push('\n');
    }
    Page {
        path: format!("{}.md", d.id),
        text: out.trim_end().to_string() + "\n",
    }
}

fn index_page(set: &PolicySet) -> Page {
    let mut out = String::from("# Policy reference\n\n");
    let _ = writeln!(
        out,
        "{} policies. Each page gives what the policy checks, why, how to fix a failure, the \
         controls it evidences and its references; [baseline.md](baseline.md) follows the \
         requirements baseline line by line, with the reason for every requirement \
         configuration cannot show. `plumb policies show ID` prints the same documentation, \
         `plumb policies docs` regenerates these pages.\n",
        set.len()
    );
    out.push_str("## By category\n\n");
    for category in Category::ALL {
        let in_category: Vec<&Policy> = set
            .iter()
            .map(AsRef::as_ref)
            .filter(|p| p.doc.category == category)
            .collect();
        if in_category.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "### {category}\n\n| Policy | Severity | Title | Kinds |\n| --- | --- | --- | --- |"
        );
        for p in in_category {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                link(&p.doc.id),
                p.doc.severity,
                cell(&p.doc.title),
                p.doc
                    .kinds
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        }
        out.push('\n');
    }
    out.push_str("## By framework\n\n");
    let mut by_framework: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for p in set.iter() {
        for (framework, ids) in &p.doc.controls {
            for id in ids {
                by_framework
                    .entry(framework)
                    .or_default()
                    .entry(id)
                    .or_default()
                    .push(&p.doc.id);
            }
        }
    }
    let mut frameworks: Vec<&str> = by_framework.keys().copied().collect();
    frameworks.sort_by_key(|k| {
        FRAMEWORKS
            .iter()
            .position(|(f, _)| f == k)
            .unwrap_or(FRAMEWORKS.len())
    });
    for framework in frameworks {
        let controls = &by_framework[framework];
        let _ = writeln!(out, "### {}\n", framework_name(framework));
        if framework == "baseline" {
            let _ = writeln!(
                out,
                "{} requirements are checked; [baseline.md](baseline.md) lists every requirement \
                 and the policies checking it.\n",
                controls.len()
            );
            continue;
        }
        let _ = writeln!(out, "| Control | Policies |\n| --- | --- |");
        let mut ids: Vec<&&str> = controls.keys().collect();
        ids.sort_by_key(|id| natural_key(id));
        for id in ids {
            let policies: Vec<String> = controls[*id].iter().map(|p| link(p)).collect();
            let _ = writeln!(out, "| {} | {} |", cell(id), policies.join(" "));
        }
        out.push('\n');
    }
    Page {
        path: "README.md".into(),
        text: out.trim_end().to_string() + "\n",
    }
}

fn baseline_page(set: &PolicySet) -> Page {
    let mut checked_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in set.iter() {
        for id in p.doc.controls.get("baseline").into_iter().flatten() {
            checked_by.entry(id).or_default().push(&p.doc.id);
        }
    }
    let all = requirements();
    let checkable = all.iter().filter(|r| r.checkable()).count();
    let mut out = String::from("# The requirements baseline, requirement by requirement\n\n");
    let _ = writeln!(
        out,
        "The baseline has {} requirement lines. {checkable} can be checked from configuration \
         (Terraform, Kubernetes manifests, live AWS), and each of them is checked by the \
         policies listed; the other {} cannot, for the reason given (they are also listed \
         together [at the end](#requirements-configuration-cannot-show)).\n",
        all.len(),
        all.len() - checkable
    );
    let mut by_section: Vec<(&str, Vec<&Requirement>)> = Vec::new();
    for r in all {
        let section = r.section.split(" › ").next().unwrap_or(&r.section);
        match by_section.last_mut() {
            Some((s, list)) if *s == section => list.push(r),
            _ => by_section.push((section, vec![r])),
        }
    }
    for (section, list) in &by_section {
        let _ = writeln!(
            out,
            "## {section}\n\n| Requirement | Where in the baseline | Checked by |\n| --- | --- | --- |"
        );
        for r in list {
            let place = r
                .section
                .split(" › ")
                .skip(1)
                .collect::<Vec<_>>()
                .join(" › ");
            let verdict = match (&r.reason, checked_by.get(r.id.as_str())) {
                (None, Some(policies)) => policies
                    .iter()
                    .map(|p| format!("[{p}]({p}.md)"))
                    .collect::<Vec<_>>()
                    .join(" "),
                (None, None) => "no policy yet".to_string(),
                (Some(reason), _) => format!("not checkable: {}", cell(reason)),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(r.text()),
                cell(&place),
                verdict
            );
        }
        out.push('\n');
    }
    out.push_str("## Requirements configuration cannot show\n\n");
    for r in all.iter().filter(|r| !r.checkable()) {
        let _ = writeln!(
            out,
            "- **{}** ({}): {}",
            r.text(),
            r.section,
            r.reason.as_deref().unwrap_or("")
        );
    }
    let unknown: Vec<&&str> = checked_by
        .keys()
        .filter(|id| super::baseline::requirement(id).is_none())
        .collect();
    if !unknown.is_empty() {
        out.push_str("\n## Requirements named by policies but not in the baseline\n\n");
        for id in unknown {
            let _ = writeln!(out, "- {}: {}", id, checked_by[*id].join(", "));
        }
    }
    Page {
        path: "baseline.md".into(),
        text: out.trim_end().to_string() + "\n",
    }
}

/// Every page of the reference for `set`, sorted by path.
pub fn reference(set: &PolicySet) -> Vec<Page> {
    let mut pages = vec![index_page(set), baseline_page(set)];
    pages.extend(set.iter().map(|p| policy_page(p)));
    pages.sort_by(|a, b| a.path.cmp(&b.path));
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_control_ids_naturally() {
        let mut ids = vec!["1.10", "1.9", "AC-6(1)", "AC-6", "AC-17", "2.1.1"];
        ids.sort_by_key(|id| natural_key(id));
        assert_eq!(ids, ["1.9", "1.10", "2.1.1", "AC-6", "AC-6(1)", "AC-17"]);
    }

    #[test]
    fn fences_configuration_in_remediation() {
        let mut out = String::new();
        remediation(
            "Enable it:\n\nresource \"aws_x\" \"y\" {\n  enabled = true\n}\n\nThen apply.",
            &mut out,
        );
        assert!(out.contains("Enable it:\n\n```hcl\nresource"), "{out}");
        assert!(out.contains("```\n\nThen apply."), "{out}");
    }
}
