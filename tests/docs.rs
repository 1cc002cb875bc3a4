//! Generated documentation stays in sync with the code that it documents.
//! `PLUMB_UPDATE_DOCS=1 cargo test --test docs` rewrites it.

mod common;

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
        "{path} is out of date: run PLUMB_UPDATE_DOCS=1 cargo test --test docs"
    );
}

#[test]
fn facet_catalogue_is_current() {
    check("docs/facets.md", plumb::normalize::facets::markdown());
}

fn builtin() -> plumb::policy::PolicySet {
    use plumb::config::Settings;
    use plumb::policy::{PolicySet, builtin_files, load_files};
    PolicySet::new(
        load_files(&builtin_files(), &Settings::default().to_json())
            .expect("built-in policies load"),
    )
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
            if name.ends_with(".md") && !expected.contains(&name) {
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
        .filter(|n| !expected.contains(n))
        .collect();
    assert!(
        stale.is_empty(),
        "docs/policies has pages of no policy: {stale:?}; run PLUMB_UPDATE_DOCS=1 cargo test --test docs"
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
