//! Real-world samples (fixtures/oss): the built-in policies report exactly the reviewed
//! findings on them, so a policy change that adds a false positive shows up here.

use crate::common;

const EXPECTED: &str = "fixtures/oss/findings.txt";

fn actual() -> Vec<String> {
    let mut lines = Vec::new();
    for dir in ["fixtures/oss/terraform", "fixtures/oss/kubernetes"] {
        let (code, report) = common::scan_json(&[dir]);
        assert!(code == 0 || code == 1, "scan of {dir} exited {code}");
        assert_eq!(report["errors"], serde_json::json!([]), "{dir}");
        for f in report["findings"].as_array().expect("findings") {
            let status = f["status"].as_str().expect("status");
            if status != "pass" {
                lines.push(format!(
                    "{status} {} {}",
                    f["policy_id"].as_str().expect("policy_id"),
                    f["resource"]["id"].as_str().expect("resource id"),
                ));
            }
        }
    }
    lines.sort();
    lines
}

#[test]
fn builtin_policies_report_exactly_the_reviewed_findings_on_real_world_samples() {
    let path = common::root().join(EXPECTED);
    let text = std::fs::read_to_string(&path).expect("expected findings");
    let header: String = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    let expected: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    let actual = actual();
    if std::env::var_os("PLUMB_UPDATE_DOCS").is_some() {
        std::fs::write(&path, header + &actual.join("\n") + "\n").expect("write");
        return;
    }
    let added: Vec<&String> = actual
        .iter()
        .filter(|l| !expected.contains(&l.as_str()))
        .collect();
    let gone: Vec<&&str> = expected
        .iter()
        .filter(|l| !actual.iter().any(|a| a == **l))
        .collect();
    assert!(
        added.is_empty() && gone.is_empty(),
        "findings on fixtures/oss changed; review them, then update {EXPECTED}\n\
         new: {added:#?}\nno longer reported: {gone:#?}"
    );
}
