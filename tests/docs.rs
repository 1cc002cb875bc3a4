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
