//! No input makes a collector panic or hang: random text, random JSON in plan and state
//! shapes, and pathological nesting all end as data or as a located error.

use plumb::collect::json_lines::element_lines;
use plumb::collect::{kubernetes, terraform};
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        "[a-z_/*0-9.:-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("address".to_string()),
                    Just("type".to_string()),
                    Just("mode".to_string()),
                    Just("change".to_string()),
                    Just("after".to_string()),
                    Just("after_unknown".to_string()),
                    Just("after_sensitive".to_string()),
                    Just("actions".to_string()),
                    Just("instances".to_string()),
                    Just("attributes".to_string()),
                    Just("sensitive_attributes".to_string()),
                    Just("index_key".to_string()),
                    Just("expressions".to_string()),
                    Just("references".to_string()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn manifests_never_panic(text in "\\PC{0,300}") {
        if let Ok(docs) = kubernetes::parse("m.yaml", &text) {
            let _ = kubernetes::collect("m.yaml", &docs);
        }
    }

    #[test]
    fn plans_never_panic(changes in prop::collection::vec(json_value(), 0..6), config in json_value()) {
        let doc = json!({"format_version": "1.2", "resource_changes": changes,
                         "configuration": {"root_module": config}});
        let text = serde_json::to_string_pretty(&doc).unwrap();
        if let Ok(mut resources) = terraform::plan::collect("plan.json", &text) {
            plumb::normalize::normalize(&mut resources);
        }
    }

    #[test]
    fn states_never_panic(resources in prop::collection::vec(json_value(), 0..6)) {
        let doc = json!({"version": 4, "lineage": "l", "resources": resources});
        let text = serde_json::to_string(&doc).unwrap();
        if let Ok(mut resources) = terraform::state::collect("s.json", &text) {
            plumb::normalize::normalize(&mut resources);
        }
    }

    #[test]
    fn json_line_scanner_never_panics(text in "[\\[\\]{}\",:a-z\\\\\\n ]{0,200}") {
        let _ = element_lines(&text, "resources");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep_json = format!(
        "{{\"format_version\": \"1.2\", \"resource_changes\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(terraform::plan::collect("plan.json", &deep_json).is_err());
    let deep_yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {}\n",
        "[".repeat(100_000)
    );
    let err = kubernetes::parse("m.yaml", &deep_yaml).unwrap_err();
    assert_eq!(err.scope, "m.yaml");
}

#[test]
fn wrongly_typed_plans_are_located_errors() {
    let err = terraform::plan::collect(
        "plan.json",
        "{\n\"format_version\": \"1.2\",\n\"resource_changes\": {\"a\": 1}\n}",
    )
    .unwrap_err();
    assert_eq!(err.line, Some(3), "{err}");
    let err =
        terraform::state::collect("s.json", "{\"version\": 3, \"resources\": []}").unwrap_err();
    assert!(err.message.contains("version 3"), "{err}");
}
