//! Generated documentation stays in sync with the code that it documents.
//! `PLUMB_UPDATE_DOCS=1 cargo test --test it docs::` rewrites it.

use crate::common;

fn check(path: &str, generated: String) {
    let file = common::root().join(path);
    if std::env::var_os("PLUMB_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        current == generated,
        "{path} is out of date: run PLUMB_UPDATE_DOCS=1 cargo test --test it docs::"
    );
}

#[test]
fn facet_catalogue_is_current() {
    check("docs/facets.md", plumb::normalize::facets::markdown());
}

/// The function table of docs/terraform-hcl.md, between its markers, is generated.
#[test]
fn terraform_function_table_is_current() {
    const START: &str =
        "<!-- functions: generated from the registry in src/collect/terraform/hcl/funcs/ -->\n";
    const END: &str = "<!-- end of functions -->";
    let path = common::root().join("docs/terraform-hcl.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = text
        .split_once(START)
        .expect("docs/terraform-hcl.md has the start marker");
    let (_, tail) = rest
        .split_once(END)
        .expect("docs/terraform-hcl.md has the end marker");
    let generated = format!(
        "{head}{START}{}{END}{tail}",
        plumb::collect::terraform::hcl::funcs::markdown()
    );
    check("docs/terraform-hcl.md", generated);
}

/// The pre-commit hook definition is valid and its command runs.
#[test]
fn pre_commit_hook_runs() {
    let text = std::fs::read_to_string(common::root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: serde_json::Value = plumb::yaml::from_str(&text).unwrap();
    let hook = &hooks[0];
    for key in ["id", "name", "entry", "language"] {
        assert!(hook[key].is_string(), "the hook lacks {key}");
    }
    assert_eq!(
        hook["language"], "rust",
        "pre-commit builds it with cargo install"
    );
    assert_eq!(hook["pass_filenames"], false);
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "plumb");
    // The entry with a user's args, as pre-commit runs it.
    let mut args: Vec<&str> = entry[1..].to_vec();
    args.extend(["fixtures/demo/kubernetes", "--fail-on", "never"]);
    let out = common::plumb(&args);
    assert_eq!(common::code(&out), 0, "{}", common::stderr(&out));
    assert!(
        common::plumb(&[&entry[1..], &["--help"][..]].concat())
            .status
            .success()
    );
}

/// The GitHub Actions job in the README is valid YAML, uploads SARIF, posts the Markdown
/// summary, and only uses formats and flags plumb has (the action passes them to
/// `plumb scan`; tests/it/deploy.rs checks the job against action.yml).
#[test]
fn readme_github_actions_job_is_consistent() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let start = readme
        .find("# .github/workflows/plumb.yml")
        .expect("the job");
    let end = start + readme[start..].find("```").unwrap();
    let job = &readme[start..end];
    let parsed: serde_json::Value = plumb::yaml::from_str(job).expect("valid YAML");
    let steps = parsed["jobs"]["compliance"]["steps"].as_array().unwrap();
    assert!(steps.iter().any(|s| {
        s["uses"]
            .as_str()
            .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif"))
    }));
    assert!(job.contains("gh pr comment"));
    let scan = &steps.iter().find(|s| s["id"] == "scan").unwrap()["with"];
    let formats: Vec<&str> = scan["formats"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(|f| f.split('=').next().unwrap())
        .collect();
    assert_eq!(formats, ["markdown", "junit", "html"]);
    let help = common::stdout(&common::plumb(&["scan", "--help"]));
    for format in formats.iter().chain(&["sarif", "console"]) {
        assert!(help.contains(format), "plumb scan has no format {format}");
    }
    for flag in scan["args"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .filter(|a| a.starts_with("--"))
        .chain(["--fail-on", "--format"])
    {
        assert!(help.contains(flag), "plumb scan has no {flag}");
    }
}

/// The volatile-field table of docs/drift.md, between its markers, is generated.
#[test]
fn volatile_fields_table_is_current() {
    const START: &str = "<!-- volatile:start -->\n";
    const END: &str = "<!-- volatile:end -->";
    let path = common::root().join("docs/drift.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = text
        .split_once(START)
        .expect("docs/drift.md has the start marker");
    let (_, tail) = rest
        .split_once(END)
        .expect("docs/drift.md has the end marker");
    let generated = format!(
        "{head}{START}{}{END}{tail}",
        plumb::drift::volatile::markdown()
    );
    check("docs/drift.md", generated);
}

#[test]
fn readme_carries_the_read_only_aws_policy() {
    let policy =
        std::fs::read_to_string(common::root().join("docs/aws-readonly-policy.json")).unwrap();
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("```json\n{policy}```")),
        "README.md must show docs/aws-readonly-policy.json verbatim"
    );
    let doc: serde_json::Value = serde_json::from_str(&policy).unwrap();
    let actions: Vec<&str> = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    let read_only = [
        "Describe",
        "Get",
        "List",
        "BatchGet",
        "Select",
        "Lookup",
        "GenerateCredentialReport",
    ];
    for action in actions {
        let verb = action.split(':').nth(1).unwrap();
        assert!(
            read_only.iter().any(|p| verb.starts_with(p)),
            "{action} is not a read-only action"
        );
    }
}

fn builtin() -> plumb::policy::PolicySet {
    use plumb::config::Settings;
    use plumb::policy::{PolicySet, builtin_files, load_files};
    PolicySet::new(
        load_files(&builtin_files(), &Settings::default().to_json())
            .expect("built-in policies load"),
    )
}

/// Pages of `docs/policies` that are written, not generated: the comparison with Checkov and
/// Trivy, and its list of gaps.
const WRITTEN_BY_HAND: &[&str] = &["peers.md", "peers-gaps.md"];

/// The comparison with the peers names only policies that exist, and every row says how it
/// matches.
#[test]
fn the_peer_comparison_names_real_policies() {
    let ids: std::collections::BTreeSet<String> =
        builtin().iter().map(|p| p.doc.id.clone()).collect();
    for page in WRITTEN_BY_HAND {
        let text =
            std::fs::read_to_string(common::root().join("docs/policies").join(page)).unwrap();
        for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
            if word.starts_with("PLB-") && word.len() > 4 {
                assert!(
                    ids.contains(word),
                    "{page} names {word}, which is no built-in policy"
                );
            }
        }
    }
    let text = std::fs::read_to_string(common::root().join("docs/policies/peers.md")).unwrap();
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("| CKV") || l.starts_with("| AVD-"))
        .collect();
    assert!(rows.len() > 800, "{} rows", rows.len());
    for row in rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert!(
            cells.len() >= 6 && ["same", "stricter", "looser", "none"].contains(&cells[4]),
            "{row}"
        );
    }
}

#[test]
fn policy_reference_is_current() {
    let pages = plumb::policy::docs::reference(&builtin());
    let dir = common::root().join("docs/policies");
    let expected: std::collections::BTreeSet<String> =
        pages.iter().map(|p| p.path.clone()).collect();
    if std::env::var_os("PLUMB_UPDATE_DOCS").is_some() {
        // Pages of policies that no longer exist go too.
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".md")
                && !expected.contains(&name)
                && !WRITTEN_BY_HAND.contains(&name.as_str())
            {
                std::fs::remove_file(entry.path()).unwrap();
            }
        }
    }
    for page in pages {
        check(&format!("docs/policies/{}", page.path), page.text);
    }
    let stale: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| !expected.contains(n) && !WRITTEN_BY_HAND.contains(&n.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/policies has pages of no policy: {stale:?}; run PLUMB_UPDATE_DOCS=1 cargo test --test it docs::"
    );
}

/// Every requirement the built-in policies name is a line of the baseline, and every line
/// that can be checked from configuration is checked by at least one policy.
#[test]
fn the_pack_covers_every_checkable_baseline_requirement() {
    use plumb::policy::baseline::{requirement, requirements};
    let set = builtin();
    let mut named = std::collections::BTreeSet::new();
    for p in set.iter() {
        for id in p.doc.controls.get("baseline").into_iter().flatten() {
            assert!(
                requirement(id).is_some(),
                "{} names {id:?}, which is not a requirement of src/policy/baseline.yaml",
                p.doc.id
            );
            named.insert(id.clone());
        }
    }
    let uncovered: Vec<&str> = requirements()
        .iter()
        .filter(|r| r.checkable() && !named.contains(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        uncovered.is_empty(),
        "checkable requirements no policy checks: {uncovered:#?}"
    );
    let checked_unreasonably: Vec<&str> = requirements()
        .iter()
        .filter(|r| !r.checkable() && named.contains(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    assert!(
        checked_unreasonably.is_empty(),
        "requirements marked uncheckable that policies check: {checked_unreasonably:?}"
    );
}
