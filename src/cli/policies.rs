//! `plumb policies ...`: list, show, test and lint policies; print the facet catalogue.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Subcommand, ValueEnum};
use serde_json::json;

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, PolicyArgs};
use crate::normalize::FACETS;
use crate::normalize::facets::kinds_of_facet;
use crate::pipeline::cases::run_cases;
use crate::policy::{Category, Policy};

#[derive(Debug, Subcommand)]
pub(crate) enum PoliciesCommand {
    /// List policies (id, severity, category, title).
    List {
        /// Only policies mapped to this framework (`baseline`, `nist-800-53`, `cis-aws-3.0`, ...).
        #[arg(long)]
        framework: Option<String>,
        /// Only policies of this category.
        #[arg(long)]
        category: Option<String>,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Print one policy's documentation and condition.
    Show {
        id: String,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Run every policy's pass / fail / unknown cases.
    Test {
        /// Folder of cases: <DIR>/<POLICY-ID>/{pass,fail,unknown}/<case>.
        #[arg(long, default_value = "fixtures/policies")]
        fixtures: PathBuf,
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Load and compile policies, reporting every problem with file and line.
    Lint {
        #[command(flatten)]
        policies: PolicyArgs,
    },
    /// Print the facet catalogue: every facet, its type, kinds and meaning.
    Facets,
    /// Write the policy reference (Markdown): a page per policy, an index by category and by
    /// framework, and the baseline requirement by requirement.
    Docs {
        /// Folder to write into (created if missing; pages already there are replaced).
        #[arg(long, default_value = "docs/policies")]
        out: PathBuf,
        #[command(flatten)]
        policies: PolicyArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum ListFormat {
    Table,
    Json,
}

pub(crate) fn run(cmd: PoliciesCommand) -> Result<u8> {
    let mut out = anstream::stdout();
    match cmd {
        PoliciesCommand::List {
            framework,
            category,
            format,
            policies,
        } => {
            let config = policies.config()?;
            let set = policies.load(&config)?;
            if let Some(c) = &category
                && !Category::ALL.iter().any(|k| k.as_str() == c)
            {
                anyhow::bail!("--category: unknown category {c:?}");
            }
            let selected: Vec<&Policy> = set
                .iter()
                .map(AsRef::as_ref)
                .filter(|p| {
                    framework
                        .as_ref()
                        .is_none_or(|f| p.doc.controls.contains_key(f))
                })
                .filter(|p| {
                    category
                        .as_ref()
                        .is_none_or(|c| p.doc.category.as_str() == c)
                })
                .collect();
            match format {
                ListFormat::Json => {
                    let list: Vec<_> = selected
                        .iter()
                        .map(|p| {
                            json!({
                                "id": p.doc.id, "title": p.doc.title, "severity": p.doc.severity,
                                "category": p.doc.category, "kinds": p.doc.kinds,
                                "controls": p.doc.controls,
                            })
                        })
                        .collect();
                    serde_json::to_writer_pretty(&mut out, &list)?;
                    writeln!(out)?;
                }
                ListFormat::Table => {
                    // Columns as wide as their widest value (custom ids may be long).
                    let width = selected.iter().map(|p| p.doc.id.len()).max().unwrap_or(0);
                    for p in &selected {
                        writeln!(
                            out,
                            "{:<width$}  {:<8}  {:<10}  {}",
                            p.doc.id,
                            p.doc.severity.as_str(),
                            p.doc.category.as_str(),
                            p.doc.title
                        )?;
                    }
                    writeln!(out, "{} policies", selected.len())?;
                }
            }
            Ok(EXIT_OK)
        }
        PoliciesCommand::Show { id, policies } => {
            let config = policies.config()?;
            let set = policies.load(&config)?;
            let Some(p) = set.get(&id) else {
                anyhow::bail!("no policy {id} (see `plumb policies list`)");
            };
            let d = &p.doc;
            writeln!(out, "{}  {}\n", d.id, d.title)?;
            writeln!(out, "severity   {}", d.severity)?;
            writeln!(out, "category   {}", d.category)?;
            writeln!(out, "kinds      {}", d.kinds.join(", "))?;
            writeln!(out, "defined at {}", d.origin)?;
            if let Some(when) = &p.when_source {
                writeln!(out, "applies    {when}")?;
            }
            writeln!(out, "condition  {}", p.condition_source)?;
            if !d.rationale.is_empty() {
                writeln!(out, "\nWhy\n  {}", d.rationale.replace('\n', "\n  "))?;
            }
            if !d.remediation.is_empty() {
                writeln!(
                    out,
                    "\nRemediation\n  {}",
                    d.remediation.replace('\n', "\n  ")
                )?;
            }
            if !d.controls.is_empty() {
                writeln!(out, "\nControls")?;
                for (framework, ids) in &d.controls {
                    writeln!(out, "  {framework:<14} {}", ids.join(", "))?;
                }
            }
            if !d.references.is_empty() {
                writeln!(out, "\nReferences")?;
                for r in &d.references {
                    writeln!(out, "  {r}")?;
                }
            }
            Ok(EXIT_OK)
        }
        PoliciesCommand::Test { fixtures, policies } => {
            let config = policies.config()?;
            let set = policies.load(&config)?;
            let run = run_cases(&set, &config.settings, &fixtures);
            let failed: Vec<_> = run.results.iter().filter(|r| !r.passed()).collect();
            for r in &failed {
                writeln!(
                    out,
                    "FAIL {} {} ({}): {}",
                    r.policy_id, r.file, r.expected, r.problem
                )?;
            }
            for id in &run.missing {
                writeln!(
                    out,
                    "MISSING {id}: needs at least one pass and one fail case under {}/{id}/",
                    fixtures.display()
                )?;
            }
            for p in &run.problems {
                writeln!(out, "PROBLEM {p}")?;
            }
            writeln!(
                out,
                "{} cases, {} passed, {} failed; {} policies without cases",
                run.results.len(),
                run.results.len() - failed.len(),
                failed.len(),
                run.missing.len()
            )?;
            Ok(
                if failed.is_empty() && run.missing.is_empty() && run.problems.is_empty() {
                    EXIT_OK
                } else {
                    EXIT_FINDINGS
                },
            )
        }
        PoliciesCommand::Lint { policies } => {
            let config = policies.config()?;
            match policies.load(&config) {
                Ok(set) => {
                    writeln!(out, "{} policies load and compile", set.len())?;
                    Ok(EXIT_OK)
                }
                Err(e) => {
                    writeln!(anstream::stderr(), "{e:#}")?;
                    Ok(EXIT_ERROR)
                }
            }
        }
        PoliciesCommand::Docs { out: dir, policies } => {
            let config = policies.config()?;
            let set = policies.load(&config)?;
            let pages = crate::policy::docs::reference(&set);
            std::fs::create_dir_all(&dir)
                .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
            for page in &pages {
                let path = dir.join(&page.path);
                std::fs::write(&path, &page.text)
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            }
            writeln!(out, "{} pages written to {}", pages.len(), dir.display())?;
            Ok(EXIT_OK)
        }
        PoliciesCommand::Facets => {
            for f in FACETS {
                writeln!(
                    out,
                    "{}  ({})\n  kinds: {}\n  {}\n",
                    f.name,
                    f.ty,
                    kinds_of_facet(f.name).join(", "),
                    f.doc.split_whitespace().collect::<Vec<_>>().join(" ")
                )?;
            }
            Ok(EXIT_OK)
        }
    }
}
