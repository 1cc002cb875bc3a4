//! Collection benchmark: moto seeded with 1,200 resources over two regions (log groups,
//! security groups, volumes, DynamoDB tables, buckets), collected by `plumb collect aws`;
//! reports wall time, the collector's peak memory and the requests it sent. Ignored by
//! default, run with:
//!
//! ```sh
//! cargo test --release --test it -- --ignored --nocapture aws_bench::
//! ```
//!
//! `PLUMB_BENCH_AWS_RESOURCES` changes the count. The figures include moto's own time to
//! answer, which dominates: they bound plumb's cost from above.

#![cfg(feature = "aws")]

use crate::common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::aws::{Moto, Proxy, moto_gaps, test_credentials};

/// Peak resident memory of a running process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
#[ignore = "benchmark: cargo test --release --test it -- --ignored --nocapture aws_bench::"]
fn collect_a_thousand_resources_over_two_regions() {
    let count: usize = std::env::var("PLUMB_BENCH_AWS_RESOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1200);
    let moto = Moto::start();
    let seeding = Instant::now();
    let seeded = moto.seed("bench", &[&count.to_string()]);
    eprintln!(
        "seeded {} resources in {:.1} s",
        seeded["resources"],
        seeding.elapsed().as_secs_f64()
    );

    // Through the proxy that mends moto's faulty and missing answers, as the collection tests
    // do; it adds a loopback hop to every call.
    let proxy = Proxy::start(moto.port, moto_gaps());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args([
            "collect",
            "aws",
            "--regions",
            "eu-west-1,us-east-1",
            "-q",
            "-o",
            path.to_str().unwrap(),
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .envs(test_credentials())
        .env("AWS_ENDPOINT_URL", proxy.endpoint())
        .stdout(Stdio::null())
        .spawn()
        .expect("plumb runs");
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    assert!(status.success(), "collection incomplete: {status}");

    let inv: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let resources = inv["resources"].as_array().unwrap();
    let seeded_kinds = [
        "aws_cloudwatch_log_group",
        "aws_security_group",
        "aws_ebs_volume",
        "aws_dynamodb_table",
        "aws_s3_bucket",
    ];
    let read = resources
        .iter()
        .filter(|r| seeded_kinds.contains(&r["kind"].as_str().unwrap()))
        .count();
    assert!(
        read >= count * 95 / 100,
        "read {read} of {count} seeded resources"
    );
    println!(
        "collected {} resources ({read} of {count} seeded, the ground truth) over 2 regions in {:.2} s; peak memory {:.1} MiB; {} requests sent",
        resources.len(),
        took.as_secs_f64(),
        peak as f64 / 1024.0,
        proxy.seen.lock().unwrap().len()
    );
}
