//! Benchmark: policy evaluation throughput and whole-scan time on generated estates.
//!
//! Run with `cargo bench --bench scan` (release build). The corpus is generated from a fixed
//! recipe, so numbers are comparable between runs on one machine. Reports:
//!
//! * evaluation throughput over inventories of 10,000 and 100,000 resources, in
//!   resource x policy evaluations per second, on one thread (per CPU-second) and on all;
//! * `plumb scan plan.json` end to end (read, parse, link, derive facets, evaluate, write the
//!   report) for plans of the same sizes and each output format, timed as a child process.
//!
//! `PLUMB_BENCH_SIZES=1000,5000` overrides the sizes; `PLUMB_BENCH_KEEP=DIR` keeps the plans.

// Tests and benchmarks stop at the first broken expectation: unwrapping is how they say so.
#![allow(clippy::unwrap_used)]

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::time::{Duration, Instant};

use plumb::config::Settings;
use plumb::engine::evaluate;
use plumb::inventory::{Inventory, Metadata, Resource, Source};
use plumb::policy::{PolicySet, builtin_files, load_files};
use serde_json::{Value, json};

const RETENTION: [i64; 4] = [0, 30, 90, 365];
const TAGS: &[(&str, &str)] = &[
    ("Owner", "team"),
    ("Environment", "prod"),
    ("CostCenter", "cc-1"),
];

/// One resource of the mix: (kind, attributes), `i` varies the values.
fn recipe(i: usize) -> Vec<(String, String, Value)> {
    let tags: serde_json::Map<String, Value> = TAGS
        .iter()
        .take(if i.is_multiple_of(7) { 2 } else { 3 })
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let name = format!("r{i}");
    match i % 10 {
        0 | 1 => vec![
            (
                "aws_s3_bucket".into(),
                name.clone(),
                json!({"bucket": format!("bucket-{i}"), "tags": tags}),
            ),
            (
                "aws_s3_bucket_versioning".into(),
                name.clone(),
                json!({"bucket": format!("bucket-{i}"), "versioning_configuration": [{"status": if i.is_multiple_of(3) {"Suspended"} else {"Enabled"}}]}),
            ),
        ],
        2 => vec![(
            "aws_security_group".into(),
            name,
            json!({"name": format!("sg-{i}"), "tags": tags, "ingress": [
                {"from_port": if i.is_multiple_of(4) { 22 } else { 443 }, "to_port": if i.is_multiple_of(4) { 22 } else { 443 }, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}],
                "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": []}]}),
        )],
        3 => vec![(
            "aws_db_instance".into(),
            name,
            json!({"identifier": format!("db-{i}"), "engine": "postgres", "storage_encrypted": i.is_multiple_of(2), "multi_az": !i.is_multiple_of(3),
                   "backup_retention_period": 7 + (i % 30), "deletion_protection": true, "publicly_accessible": false,
                   "enabled_cloudwatch_logs_exports": ["postgresql"], "password": "x", "tags": tags}),
        )],
        4 => vec![(
            "aws_ebs_volume".into(),
            name,
            json!({"size": 100, "type": "gp3", "encrypted": !i.is_multiple_of(5), "tags": tags}),
        )],
        5 => vec![(
            "aws_cloudwatch_log_group".into(),
            name,
            json!({"name": format!("/app/{i}"), "retention_in_days": RETENTION[i % 4], "tags": tags}),
        )],
        6 => vec![(
            "aws_dynamodb_table".into(),
            name,
            json!({"name": format!("t{i}"), "point_in_time_recovery": [{"enabled": i.is_multiple_of(2)}], "tags": tags}),
        )],
        7 => vec![(
            "aws_kms_key".into(),
            name,
            json!({"enable_key_rotation": !i.is_multiple_of(3), "tags": tags}),
        )],
        _ => vec![(
            "aws_iam_role".into(),
            name,
            json!({"name": format!("role-{i}"), "assume_role_policy": "{}", "tags": tags}),
        )],
    }
}

fn corpus(n: usize) -> Vec<Resource> {
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while out.len() < n {
        for (kind, name, attrs) in recipe(i) {
            let mut r = Resource::new(
                format!("tf:{kind}.{name}"),
                kind,
                Source::File {
                    path: "plan.json".into(),
                    start_line: 1,
                    end_line: 1,
                    module_calls: vec![],
                },
            );
            r.tags = attrs["tags"]
                .as_object()
                .map(|t| {
                    t.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        .collect()
                })
                .unwrap_or_default();
            r.attrs = attrs;
            out.push(r);
        }
        i += 1;
    }
    out.truncate(n);
    out
}

fn plan(n: usize) -> Value {
    let changes: Vec<Value> = corpus(n)
        .into_iter()
        .map(|r| {
            let (kind, name) = r.id[3..].split_once('.').unwrap();
            json!({"address": &r.id[3..], "mode": "managed", "type": kind, "name": name,
                   "provider_name": "registry.terraform.io/hashicorp/aws",
                   "change": {"actions": ["create"], "before": null, "after": r.attrs,
                              "after_unknown": {"arn": true, "id": true}, "after_sensitive": {"password": true}}})
        })
        .collect();
    json!({"format_version": "1.2", "terraform_version": "1.9.8", "resource_changes": changes,
           "planned_values": {"root_module": {}}, "configuration": {"root_module": {}}})
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

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then, so the
    // benchmark is known to work without slowing the test suite.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let default_sizes = if benchmarking {
        vec![10_000, 100_000]
    } else {
        vec![300]
    };
    let sizes: Vec<usize> = std::env::var("PLUMB_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or(default_sizes);
    let settings = Settings::default();
    let policies = PolicySet::new(
        load_files(&builtin_files(), &settings.to_json()).expect("built-in policies load"),
    );
    let threads = rayon::current_num_threads();
    println!(
        "plumb scan benchmark: {} built-in policies, {threads} threads",
        policies.len()
    );
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a pool");

    for &n in &sizes {
        let mut inv = Inventory::new(Metadata::default(), corpus(n));
        let (t_norm, ()) = best_of(3, || plumb::normalize::normalize(&mut inv.resources));
        let (t1, evals) = best_of(3, || {
            single.install(|| evaluate(&policies, &settings, &inv.resources).0.len())
        });
        let (tn, _) = best_of(3, || evaluate(&policies, &settings, &inv.resources).0.len());
        println!(
            "inventory {n:>7} resources: normalise {:>7.1} ms | {evals} evaluations: 1 thread {:>7.1} ms = {:>9.0} evals/CPU-s | {threads} threads {:>7.1} ms = {:>9.0} evals/s",
            t_norm.as_secs_f64() * 1e3,
            t1.as_secs_f64() * 1e3,
            evals as f64 / t1.as_secs_f64(),
            tn.as_secs_f64() * 1e3,
            evals as f64 / tn.as_secs_f64(),
        );
    }

    // PLUMB_BENCH_KEEP=DIR keeps the generated plans there (for profiling the binary).
    let keep = std::env::var_os("PLUMB_BENCH_KEEP").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("plumb-bench-{}", std::process::id()))
    });
    std::fs::create_dir_all(&dir).expect("temp dir");
    for &n in &sizes {
        let path = dir.join(format!("plan-{n}.json"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("plan file"));
        serde_json::to_writer(&mut f, &plan(n)).expect("write plan");
        f.flush().expect("flush");
        drop(f);
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        for format in [
            "sarif", "json", "console", "junit", "csv", "markdown", "html",
        ] {
            let report = dir.join(format!("report.{format}"));
            let (t, status) = best_of(3, || {
                std::process::Command::new(env!("CARGO_BIN_EXE_plumb"))
                    .args([
                        "scan",
                        path.to_str().unwrap(),
                        "--no-builtin",
                        "--fail-on",
                        "never",
                    ])
                    .arg("--policies")
                    .arg(env!("CARGO_MANIFEST_DIR").to_string() + "/policies")
                    .arg("--format")
                    .arg(format!("{format}={}", report.display()))
                    .status()
                    .expect("plumb runs")
            });
            assert!(status.success(), "scan failed");
            let out = std::fs::metadata(&report).map(|m| m.len()).unwrap_or(0);
            println!(
                "plumb scan plan {n:>7} resources ({:>3.0} MB) --format {format:<7}: {:>6.0} ms wall ({:.0} MB report)",
                size as f64 / 1e6,
                t.as_secs_f64() * 1e3,
                out as f64 / 1e6
            );
        }
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
