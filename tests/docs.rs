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

/// The function table of docs/terraform-hcl.md, between its markers, is generated.
#[test]
fn terraform_function_table_is_current() {
    const START: &str = "<!-- functions: generated from src/collect/terraform/hcl/funcs.rs -->\n";
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
