//! Properties of drift's parsers and comparison on random input: `.plumbignore` never panics
//! and locates every error; a resource never drifts from itself; drift is found in both
//! directions or in neither.

use plumb::drift::IgnoreRules;
use plumb::drift::diff::{Mode, resource_changes};
use plumb::inventory::{Resource, Source};
use proptest::prelude::*;
use serde_json::{Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..300).prop_map(|i| json!(i)),
        "[a-z0-9/~.:*-]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z/~]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn resource(attrs: Value) -> Resource {
    let mut r = Resource::new(
        "aws:1:eu-west-1:aws_x:a",
        "aws_x",
        Source::Aws {
            account: "1".into(),
            region: "eu-west-1".into(),
        },
    );
    r.attrs = attrs;
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn ignore_files_parse_or_fail_with_a_line(text in "([a-z_*/\\[\\]!{}# ]{0,30}\n){0,6}") {
        match IgnoreRules::parse(".plumbignore", &text) {
            Ok(rules) => prop_assert!(rules.rules.len() <= text.lines().count()),
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.starts_with(".plumbignore:"), "{}", message);
                let line: usize = message[".plumbignore:".len()..].split(':').next().unwrap().parse().unwrap();
                prop_assert!(line >= 1 && line <= text.lines().count());
            }
        }
    }

    #[test]
    fn a_resource_never_drifts_from_itself(attrs in json_value()) {
        let r = resource(attrs);
        prop_assert!(resource_changes(&r, &r, Mode::Full).is_empty());
        prop_assert!(resource_changes(&r, &r, Mode::Stated).is_empty());
    }

    #[test]
    fn drift_is_found_both_ways_or_neither(a in json_value(), b in json_value()) {
        let (x, y) = (resource(a), resource(b));
        let forth = resource_changes(&x, &y, Mode::Full);
        let back = resource_changes(&y, &x, Mode::Full);
        prop_assert_eq!(forth.is_empty(), back.is_empty());
        for c in forth.iter().chain(&back) {
            prop_assert!(c.path.starts_with("/attrs") || c.path.starts_with("/cloud_id"), "{}", c.path);
            prop_assert!(c.before != c.after, "{:?}", c);
        }
        // Whatever live adds to what IaC states, IaC-only comparison stays within IaC's keys.
        for c in resource_changes(&x, &y, Mode::Stated) {
            prop_assert!(c.path.starts_with("/attrs"), "{}", c.path);
        }
    }
}
