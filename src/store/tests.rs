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

fn try_put(store: &mut Store, inv: &Inventory, retention: Retention) -> Result<Stored, StoreError> {
    store.put(
        &NewSnapshot {
            command: "collect",
            inventory: inv,
            report: None,
            policies: None,
        },
        &retention,
    )
}

fn put(store: &mut Store, inv: &Inventory, retention: Retention) -> Stored {
    try_put(store, inv, retention).unwrap()
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

#[test]
fn a_version_1_store_is_migrated_and_its_snapshots_get_scopes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.db");
    let inv = inventory(&["logs"]);
    {
        // A store as plumb wrote it before scopes: schema 1, one snapshot.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(schema::V1).unwrap();
        conn.pragma_update(None, "application_id", schema::APPLICATION_ID)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let (blob, size) = compress(&inv).unwrap();
        conn.execute(
            "INSERT INTO snapshots (taken_at, collected_at, command, tool_version,
                 inventory_hash, sources, resources, errors, inventory_bytes, inventory)
             VALUES ('2026-11-27T01:00:00Z', '2026-11-27T01:00:00Z', 'collect', '0.1.0',
                 ?1, ?2, 1, 0, ?3, ?4)",
            rusqlite::params![
                inv.content_hash(),
                serde_json::to_string(&inv.metadata.collectors).unwrap(),
                size as i64,
                blob
            ],
        )
        .unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let version: i32 = store
        .conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
    assert_eq!(store.info(1).unwrap().scope, "aws:123456789012/eu-west-1");
    assert_eq!(store.inventory(1).unwrap(), inv);
    // The old snapshot and a new one of the same estate share a scope, so retention sees both.
    let stored = store
        .put(
            &NewSnapshot {
                command: "collect",
                inventory: &inv,
                report: None,
                policies: None,
            },
            &Retention {
                keep: Some(1),
                keep_days: None,
            },
        )
        .unwrap();
    assert_eq!((stored.id, stored.pruned), (2, vec![1]));
}

#[test]
fn scopes_name_what_was_read_in_a_stable_order() {
    let run = |collector: &str, scope: &str| CollectorRun {
        collector: collector.into(),
        scope: scope.into(),
        resources: 0,
        kinds: Default::default(),
    };
    assert_eq!(scope_of(&[]), "(no sources)");
    assert_eq!(
        scope_of(&[
            run("aws", "1/us-east-1"),
            run("aws", "1/eu-west-1"),
            run("aws", "1/us-east-1")
        ]),
        "aws:1/eu-west-1 + aws:1/us-east-1"
    );
}

#[test]
fn a_store_that_cannot_be_written_is_read_as_it_stands() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plumb.db");
    let a = inventory(&["logs", "data"]);
    let mut store = Store::open(&path).unwrap();
    put(&mut store, &a, Retention::default());
    drop(store);
    let engine = sqlite::Sqlite::open_read_only(&path, "plumb.db").unwrap();
    let mut store = Store {
        engine: Box::new(engine),
        path: "plumb.db".into(),
        conn: rusqlite::Connection::open_in_memory().unwrap(),
    };
    assert_eq!(store.list().unwrap().len(), 1);
    assert_eq!(store.inventory(1).unwrap(), a);
    assert!(store.verify().unwrap().is_empty());
    // Nothing is made beside the file, and a write is refused, not lost.
    let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(beside.len(), 1);
    let err = try_put(&mut store, &a, Retention::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("readonly") || err.contains("read-only"),
        "{err}"
    );
    // A file that is not a store is refused as such.
    std::fs::write(dir.path().join("other.db"), b"").unwrap();
    assert!(sqlite::Sqlite::open_read_only(&dir.path().join("other.db"), "other.db").is_err());
}

#[test]
fn a_damaged_store_is_not_written_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plumb.db");
    let names: Vec<String> = (0..3000u64)
        .map(|i| format!("b{:x}", i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let a = inventory(&names);
    let mut store = Store::open(&path).unwrap();
    for _ in 0..3 {
        put(&mut store, &a, Retention::default());
    }
    drop(store);
    // Scribble over the page headers of the second half of the file.
    let mut bytes = std::fs::read(&path).unwrap();
    let pages = bytes.len() / 4096;
    assert!(pages > 8, "{pages} pages");
    for page in pages / 2..pages {
        bytes[page * 4096..page * 4096 + 16].fill(0xff);
    }
    std::fs::write(&path, &bytes).unwrap();
    let mut store = Store::open(&path).unwrap();
    let err = try_put(&mut store, &a, Retention::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("damaged") || err.contains("malformed"),
        "{err}"
    );
}
