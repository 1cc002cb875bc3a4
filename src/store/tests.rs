use super::*;
use crate::inventory::{Metadata, Resource, Source};
use serde_json::json;

fn inventory(buckets: &[&str]) -> Inventory {
    let resources = buckets
        .iter()
        .map(|b| {
            let mut r = Resource::new(
                format!("aws:1:eu-west-1:aws_s3_bucket:{b}"),
                "aws_s3_bucket",
                Source::Aws {
                    account: "123456789012".into(),
                    region: "eu-west-1".into(),
                },
            );
            r.attrs = json!({"bucket": b});
            r
        })
        .collect();
    let metadata = Metadata {
        collected_at: "2026-11-27T01:00:00Z".into(),
        collectors: vec![CollectorRun {
            collector: "aws".into(),
            scope: "123456789012/eu-west-1".into(),
            resources: buckets.len(),
            kinds: [("aws_s3_bucket".to_string(), true)].into(),
        }],
        ..Metadata::default()
    };
    Inventory::new(metadata, resources)
}

fn put(store: &mut Store, inv: &Inventory, retention: Retention) -> Stored {
    store
        .put(
            &NewSnapshot {
                command: "collect",
                inventory: inv,
                report: None,
                policies: None,
            },
            &retention,
        )
        .unwrap()
}

#[test]
fn stores_and_reads_back_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/plumb.db");
    let mut store = Store::open(&path).unwrap();
    let a = inventory(&["logs", "data"]);
    let b = inventory(&["logs"]);
    assert_eq!(put(&mut store, &a, Retention::default()).id, 1);
    assert_eq!(put(&mut store, &b, Retention::default()).id, 2);
    assert_eq!(store.inventory(1).unwrap(), a);
    let list = store.list().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1].resources, 1);
    assert_eq!(list[0].inventory_hash, a.content_hash());
    assert_eq!(list[0].sources, a.metadata.collectors);
    assert!(list[0].stored_bytes > 0 && list[0].inventory_bytes > list[0].stored_bytes / 2);
    assert_eq!(store.resolve(Selector::Back(0)).unwrap(), 2);
    assert_eq!(store.resolve(Selector::Back(1)).unwrap(), 1);
    let err = store.resolve(Selector::Back(2)).unwrap_err().to_string();
    assert!(
        err.contains("no snapshot latest~2 (the store holds 2 snapshots)"),
        "{err}"
    );
    assert!(store.verify().unwrap().is_empty());
    // Reopening finds the same store.
    drop(store);
    let store = Store::open_existing(&path).unwrap();
    assert_eq!(store.list().unwrap().len(), 2);
}

#[test]
fn retention_keeps_either_rule_and_always_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("s.db")).unwrap();
    for _ in 0..5 {
        put(&mut store, &inventory(&["a"]), Retention::default());
    }
    // Age the first three by 10 days.
    store
        .conn
        .execute(
            "UPDATE snapshots SET taken_at = '2020-01-01T00:00:00Z' WHERE id <= 3",
            [],
        )
        .unwrap();
    let now = Utc::now();
    let both = Retention {
        keep: Some(4),
        keep_days: Some(7),
    };
    assert_eq!(store.prune_at(&both, now).unwrap(), [1]);
    let count = Retention {
        keep: Some(2),
        keep_days: None,
    };
    assert_eq!(store.prune_at(&count, now).unwrap(), [2, 3]);
    let days = Retention {
        keep: None,
        keep_days: Some(0),
    };
    // Only the newest survives a zero-day window... unless it is within the same second.
    let pruned = store
        .prune_at(&days, now + chrono::Duration::days(1))
        .unwrap();
    assert_eq!(pruned, [4]);
    let ids: Vec<i64> = store.list().unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, [5]);
    // Ids are never reused.
    assert_eq!(
        put(&mut store, &inventory(&["a"]), Retention::default()).id,
        6
    );
}

#[test]
fn refuses_files_that_are_not_plumb_stores() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("plan.json");
    std::fs::write(&text, "{\"format_version\": \"1.2\"}").unwrap();
    let err = Store::open(&text).err().unwrap().to_string();
    assert!(err.contains("not a plumb store"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "{\"format_version\": \"1.2\"}"
    );

    let other = dir.path().join("other.db");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x);")
        .unwrap();
    let err = Store::open(&other).err().unwrap().to_string();
    assert!(err.contains("not a plumb store"), "{err}");

    let missing = dir.path().join("missing.db");
    let err = Store::open_existing(&missing).err().unwrap().to_string();
    assert!(err.contains("no store here"), "{err}");
    assert!(!missing.exists());
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    Store::open(&path).unwrap();
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).err().unwrap().to_string();
    assert!(err.contains("newer plumb (store schema 99"), "{err}");
}

#[test]
fn selectors_parse() {
    assert_eq!("latest".parse(), Ok(Selector::Back(0)));
    assert_eq!("previous".parse(), Ok(Selector::Back(1)));
    assert_eq!("latest~3".parse(), Ok(Selector::Back(3)));
    assert_eq!("42".parse(), Ok(Selector::Id(42)));
    assert!("latest~x".parse::<Selector>().is_err());
    assert!("inv.json".parse::<Selector>().is_err());
}
