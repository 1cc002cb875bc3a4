//! Benchmark: drift between two large snapshots, and the store that keeps them.
//!
//! Run with `cargo bench --bench drift` (release build). Two live-shaped inventories of
//! 100,000 resources are generated from a fixed recipe; the later one differs in about 2% of
//! its resources (attributes changed, resources removed and added) and in a volatile field of
//! every database. Reports:
//!
//! * `drift::snapshots` (attribute diff, both sides' verdicts, breaks, findings) in-process;
//! * the store: writing each snapshot with its findings, as `plumb scan --store` does
//!   (serialise, hash, compress, insert), reading one back, sizes raw and stored, and what other
//!   zstd levels would give;
//! * `plumb drift --store DB` end to end (read both snapshots, compare, write the report), timed
//!   as a child process: resources that did not change keep the verdicts stored with the
//!   snapshot, as in the nightly job.
//!
//! `PLUMB_BENCH_SIZES=1000,5000` overrides the sizes; `PLUMB_BENCH_KEEP=DIR` keeps the stores
//! there (for profiling `plumb drift`).

// Tests and benchmarks stop at the first broken expectation: unwrapping is how they say so.
#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::{Duration, Instant};

use plumb::config::Settings;
use plumb::drift::{Input, Options, snapshots};
use plumb::findings::{ScanReport, Scanned};
use plumb::inventory::{CollectorRun, Inventory, Metadata, Resource, Source};
use plumb::policy::{PolicySet, builtin_files, load_files};
use plumb::store::{NewSnapshot, PolicyPack, Retention, Store};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";

fn live(kind: &str, name: &str, attrs: Value) -> Resource {
    let mut r = Resource::new(
        format!("aws:{ACCOUNT}:{REGION}:{kind}:{name}"),
        kind,
        Source::Aws {
            account: ACCOUNT.into(),
            region: REGION.into(),
        },
    );
    r.name = name.to_string();
    r.cloud_id = attrs.get("arn").and_then(Value::as_str).map(str::to_string);
    if let Some(tags) = attrs.get("tags").and_then(Value::as_object) {
        r.tags = tags
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
            .collect();
    }
    r.attrs = attrs;
    r
}

/// The resources of recipe item `i`; `later` gives the version of the second snapshot.
fn recipe(i: usize, later: bool) -> Vec<Resource> {
    let tags =
        json!({"Owner": "team", "Environment": "prod", "CostCenter": format!("cc-{}", i % 50)});
    // About 1% of items change between the snapshots.
    let changed = later && i.is_multiple_of(97);
    match i % 8 {
        0 => {
            let b = format!("bucket-{i}");
            vec![
                live(
                    "aws_s3_bucket",
                    &b,
                    json!({"bucket": b, "arn": format!("arn:aws:s3:::{b}"), "tags": tags}),
                ),
                live(
                    "aws_s3_bucket_versioning",
                    &b,
                    json!({"bucket": b, "versioning_configuration": [{"status": if changed {"Suspended"} else {"Enabled"}}]}),
                ),
            ]
        }
        1 => {
            let id = format!("sg-{i:017x}");
            let mut ingress = vec![
                json!({"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"], "ipv6_cidr_blocks": []}),
            ];
            if changed {
                ingress.push(json!({"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}));
            }
            vec![live(
                "aws_security_group",
                &id,
                json!({"id": id, "name": format!("sg{i}"), "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{id}"),
                       "ingress": ingress, "egress": [], "tags": tags}),
            )]
        }
        2 => {
            let name = format!("db-{i}");
            vec![live(
                "aws_db_instance",
                &name,
                json!({"identifier": name, "arn": format!("arn:aws:rds:{REGION}:{ACCOUNT}:db:{name}"), "engine": "postgres",
                       "storage_encrypted": true, "multi_az": !changed, "backup_retention_period": 30,
                       "deletion_protection": true, "publicly_accessible": false,
                       "latest_restorable_time": if later {"2026-11-27T00:55:00Z"} else {"2026-11-26T00:55:00Z"},
                       "tags": tags}),
            )]
        }
        3 => {
            let id = format!("vol-{i:017x}");
            vec![live(
                "aws_ebs_volume",
                &id,
                json!({"id": id, "arn": format!("arn:aws:ec2:{REGION}:{ACCOUNT}:volume/{id}"), "size": 100,
                       "type": "gp3", "encrypted": !changed, "tags": tags}),
            )]
        }
        4 => {
            let name = format!("/app/{i}");
            vec![live(
                "aws_cloudwatch_log_group",
                &name,
                json!({"name": name, "arn": format!("arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*"),
                       "retention_in_days": if changed {7} else {90}, "tags": tags}),
            )]
        }
        5 => {
            let name = format!("table-{i}");
            vec![live(
                "aws_dynamodb_table",
                &name,
                json!({"name": name, "arn": format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"),
                       "point_in_time_recovery": [{"enabled": true}], "deletion_protection_enabled": true, "tags": tags}),
            )]
        }
        6 => {
            let id = format!("{i:08x}-0000-4000-8000-000000000000");
            vec![live(
                "aws_kms_key",
                &id,
                json!({"key_id": id, "arn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{id}"),
                       "enable_key_rotation": true, "tags": tags}),
            )]
        }
        _ => {
            let name = format!("role-{i}");
            vec![live(
                "aws_iam_role",
                &name,
                json!({"name": name, "arn": format!("arn:aws:iam::{ACCOUNT}:role/{name}"),
                       "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}", "tags": tags}),
            )]
        }
    }
}

/// An inventory of `n` resources; the later one lacks every 200th item and has new ones.
fn inventory(n: usize, later: bool) -> Inventory {
    let mut resources = Vec::with_capacity(n + 16);
    let mut i = 0;
    while resources.len() < n {
        let removed = later && i % 200 == 7;
        if !removed {
            resources.extend(recipe(i, later));
        }
        if later && i % 200 == 9 {
            resources.extend(recipe(i + 10_000_000, later));
        }
        i += 1;
    }
    resources.truncate(n);
    plumb::normalize::normalize(&mut resources);
    let metadata = Metadata {
        collected_at: if later {
            "2026-11-27T01:00:00Z"
        } else {
            "2026-11-26T01:00:00Z"
        }
        .into(),
        collectors: vec![CollectorRun {
            collector: "aws".into(),
            scope: format!("{ACCOUNT}/{REGION}"),
            resources: n,
            kinds: Default::default(),
        }],
        ..Metadata::default()
    };
    Inventory::new(metadata, resources)
}

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let v = f();
        best = best.min(t.elapsed());
        last = Some(v);
    }
    (best, last.expect("at least one run"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    plumb::keep_freed_memory();
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let default_sizes = if benchmarking {
        vec![100_000]
    } else {
        vec![300]
    };
    let sizes: Vec<usize> = std::env::var("PLUMB_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or(default_sizes);
    let runs = if benchmarking { 3 } else { 1 };
    let settings = Settings::default();
    let policies = PolicySet::new(
        load_files(&builtin_files(), &settings.to_json()).expect("built-in policies load"),
    );
    println!(
        "plumb drift benchmark: {} built-in policies, {} threads",
        policies.len(),
        rayon::current_num_threads()
    );
    let keep = std::env::var_os("PLUMB_BENCH_KEEP").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("plumb-drift-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).expect("temp dir");

    for &n in &sizes {
        let before = inventory(n, false);
        let after = inventory(n, true);
        let options = Options {
            policies: &policies,
            settings: &settings,
            ignore: None,
        };
        let (t, report) = best_of(runs, || {
            snapshots(
                &Input {
                    inventory: &before,
                    label: "before".into(),
                    snapshot: None,
                    hash: None,
                    failures: None,
                },
                &Input {
                    inventory: &after,
                    label: "after".into(),
                    snapshot: None,
                    hash: None,
                    failures: None,
                },
                &options,
            )
        });
        let s = &report.summary;
        assert!(
            s.changed > 0 && s.added > 0 && s.removed > 0,
            "the recipe drifts"
        );
        println!(
            "drift {n:>7} vs {n:>7} resources (in process): {:>7.1} ms | {} changed ({} break a control), {} added, {} removed, {} new findings",
            ms(t),
            s.changed,
            s.breaking,
            s.added,
            s.removed,
            s.findings_new
        );

        // The store.
        let db = dir.join(format!("store-{n}.db"));
        let _ = std::fs::remove_file(&db);
        let mut store = Store::open(&db).expect("store opens");
        for (label, inv) in [("earlier", &before), ("later", &after)] {
            // As `plumb scan --store` does: the findings are stored with the inventory.
            let (findings, errors) = plumb::engine::evaluate(&policies, &settings, &inv.resources);
            let report = ScanReport::new(
                Scanned::default(),
                inv.resources.len(),
                policies.iter().map(|p| p.doc.clone()).collect(),
                findings,
                errors,
            );
            let t = Instant::now();
            let stored = store
                .put(
                    &NewSnapshot {
                        command: "scan",
                        inventory: inv,
                        report: Some(&report),
                        policies: Some(PolicyPack::of(&policies, &settings)),
                    },
                    &Retention::default(),
                )
                .expect("stored");
            let write = t.elapsed();
            let info = store.info(stored.id).expect("info");
            println!(
                "store write {label:<7} {n:>7} resources: {:>7.1} ms | inventory {:.1} MB JSON; inventory, report and failures stored in {:.2} MB",
                ms(write),
                info.inventory_bytes as f64 / 1e6,
                info.stored_bytes as f64 / 1e6,
            );
        }
        let (t, read) = best_of(runs, || store.inventory(2).expect("read back"));
        assert_eq!(read.resources.len(), after.resources.len());
        println!(
            "store read            {n:>7} resources: {:>7.1} ms (decompress + parse)",
            ms(t)
        );
        let on_disk: u64 = ["", "-wal"]
            .iter()
            .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", db.display())).ok())
            .map(|m| m.len())
            .sum();
        println!(
            "store file (with its write-ahead log): {:.2} MB for 2 snapshots",
            on_disk as f64 / 1e6
        );

        // What other zstd levels would give on the same document.
        let json = serde_json::to_vec(&after).expect("serialises");
        // Level 19 takes minutes on such a document: not a candidate.
        for level in [1, 3, 9] {
            if !benchmarking && level > 3 {
                break;
            }
            let (t, packed) = best_of(1, || zstd::bulk::compress(&json, level).expect("zstd"));
            let t_read = best_of(1, || {
                zstd::bulk::decompress(&packed, json.len()).expect("unzstd")
            })
            .0;
            println!(
                "zstd level {level:>2}: {:.2} MB ({:.1}x) in {:>7.1} ms, decompressed in {:>6.1} ms",
                packed.len() as f64 / 1e6,
                json.len() as f64 / packed.len() as f64,
                ms(t),
                ms(t_read)
            );
        }

        // End to end, as the nightly job runs it.
        drop(store);
        let (t, status) = best_of(runs, || {
            std::process::Command::new(env!("CARGO_BIN_EXE_plumb"))
                .args(["drift", "--store"])
                .arg(&db)
                .args([
                    "--fail-on",
                    "never",
                    "--format",
                    "json=/dev/null",
                    "--no-ignore",
                ])
                .status()
                .expect("plumb runs")
        });
        assert!(status.success(), "plumb drift failed");
        println!(
            "plumb drift --store (previous -> latest, {n} resources each, JSON report): {:>7.0} ms wall",
            ms(t)
        );
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
