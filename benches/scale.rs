//! Benchmark: how `plumb` scales with the number of resources, for every input kind.
//!
//! Run with `cargo bench --bench scale` (release build). For each input kind and size it
//! generates a corpus from a fixed recipe (`benches/corpus`), runs the real `plumb` binary on
//! it as a child process and measures wall time, CPU time (user + system) and peak resident
//! memory (`wait4`'s rusage):
//!
//! * `plan`: `plumb scan plan.json` of a plan in the full `terraform show -json` shape;
//! * `state`: `plumb scan terraform.tfstate`;
//! * `hcl`: `plumb scan DIR` of a Terraform source tree;
//! * `manifests`: `plumb scan DIR` of Kubernetes manifests;
//! * `check`: `plumb check inventory.json` of a live-shaped AWS inventory;
//! * `drift`: `plumb drift --from a.json --to b.json` between two such inventories.
//!
//! Each scan writes the JSON report (every evaluation). The table ends with the growth per
//! ×10 resources of CPU time and peak memory: 10 for linear.
//!
//! Sizes are 1,000, 10,000 and 100,000 resources; `PLUMB_SCALE_1M=1` adds 1,000,000, and
//! `PLUMB_SCALE_SIZES=1000,50000` chooses others. `PLUMB_SCALE_INPUTS=plan,drift` runs only
//! some input kinds. The corpus is generated under the target directory and deleted after each
//! size, unless `PLUMB_SCALE_KEEP=DIR` keeps it there.

// Tests and benchmarks stop at the first broken expectation: unwrapping is how they say so.
#![allow(clippy::unwrap_used)]

mod corpus;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const INPUTS: &[&str] = &["plan", "state", "hcl", "manifests", "check", "drift"];

/// What one run of `plumb` cost.
#[derive(Clone, Copy)]
struct Cost {
    wall: f64,
    cpu: f64,
    /// Peak resident memory, bytes.
    rss: f64,
}

/// Runs `cmd` and measures it with `wait4`.
fn measure(cmd: &mut Command) -> (Cost, i32) {
    let start = Instant::now();
    // Reaped below with wait4, which also returns its resource usage.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("plumb starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes only into the status and rusage we pass; the child is ours and not
    // waited for anywhere else.
    #[allow(unsafe_code)]
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let r = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(r, pid, "wait4");
        usage
    };
    let wall = start.elapsed().as_secs_f64();
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cost = Cost {
        wall,
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        rss: usage.ru_maxrss as f64 * 1024.0,
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (cost, code)
}

/// Generates the corpus of `input` at `n` resources in `dir`; returns the command that judges
/// it and the number of resources.
fn prepare(input: &str, n: usize, dir: &Path) -> (Command, usize) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plumb"));
    cmd.current_dir(dir);
    let report = format!("json={}", dir.join("report.json").display());
    let count = match input {
        "plan" => {
            let path = dir.join("plan.json");
            let c = corpus::plan(n, &path).unwrap();
            cmd.arg("scan").arg(&path);
            c
        }
        "state" => {
            let path = dir.join("terraform.tfstate");
            let c = corpus::state(n, &path).unwrap();
            cmd.arg("scan").arg(&path);
            c
        }
        "hcl" => {
            let path = dir.join("tree");
            let c = corpus::hcl(n, &path).unwrap();
            cmd.arg("scan").arg(&path);
            c
        }
        "manifests" => {
            let path = dir.join("manifests");
            let c = corpus::manifests(n, &path).unwrap();
            cmd.arg("scan").arg(&path);
            c
        }
        "check" => {
            let path = dir.join("inventory.json");
            let c = corpus::inventory(n, false, &path).unwrap();
            cmd.arg("check").arg(&path);
            c
        }
        "drift" => {
            let (a, b) = (dir.join("before.json"), dir.join("after.json"));
            let c = corpus::inventory(n, false, &a).unwrap();
            corpus::inventory(n, true, &b).unwrap();
            cmd.args(["drift", "--no-ignore", "--from"])
                .arg(&a)
                .arg("--to")
                .arg(&b)
                .args(["--format", &report, "--fail-on", "never"]);
            return (cmd, c);
        }
        other => panic!("unknown input {other}"),
    };
    cmd.args(["--format", &report, "--fail-on", "never"]);
    (cmd, count)
}

fn corpus_size(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|f| f == "report.json") {
            continue;
        }
        match entry.metadata() {
            Ok(m) if m.is_dir() => total += corpus_size(&path),
            Ok(m) => total += m.len(),
            Err(_) => {}
        }
    }
    total
}

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let mut sizes: Vec<usize> = if benchmarking {
        vec![1_000, 10_000, 100_000]
    } else {
        vec![200, 2_000]
    };
    if std::env::var_os("PLUMB_SCALE_1M").is_some() {
        sizes.push(1_000_000);
    }
    if let Ok(s) = std::env::var("PLUMB_SCALE_SIZES") {
        sizes = s.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    }
    let inputs: Vec<String> = std::env::var("PLUMB_SCALE_INPUTS")
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect())
        .unwrap_or_else(|_| INPUTS.iter().map(|s| s.to_string()).collect());
    let keep = std::env::var_os("PLUMB_SCALE_KEEP").map(PathBuf::from);
    let root = keep.clone().unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(format!("scale-corpus-{}", std::process::id()))
    });
    let root = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if keep.is_none() => {
            PathBuf::from(t).join(format!("scale-corpus-{}", std::process::id()))
        }
        _ => root,
    };
    println!(
        "plumb scaling benchmark: {} cores; input, resources, corpus size, wall, CPU, peak memory",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let mut table: Vec<(String, usize, Cost)> = Vec::new();
    for input in &inputs {
        for &n in &sizes {
            let dir = root.join(format!("{input}-{n}"));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            let (mut cmd, count) = prepare(input, n, &dir);
            let bytes = corpus_size(&dir);
            let (cost, code) = measure(&mut cmd);
            assert!(
                code == 0 || code == 1,
                "plumb {input} at {n} resources exited {code}"
            );
            println!(
                "{input:<9} {count:>9} resources ({:>6.0} MB): {:>7.2} s wall, {:>7.2} CPU-s, {:>6.0} MB peak = {:>5.1} KB/resource",
                bytes as f64 / 1e6,
                cost.wall,
                cost.cpu,
                cost.rss / 1e6,
                cost.rss / 1e3 / count as f64
            );
            table.push((input.clone(), count, cost));
            if keep.is_none() {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    }

    println!();
    println!(
        "| input | resources | wall s | CPU s | peak MB | KB/resource | CPU ×/×10 | memory ×/×10 |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut worst: f64 = 0.0;
    for (i, (input, count, cost)) in table.iter().enumerate() {
        let growth = i
            .checked_sub(1)
            .map(|j| &table[j])
            .filter(|(prev, ..)| prev == input)
            .map(|(_, n0, c0)| {
                // Normalised to a ×10 step: (t1 / t0)^(1 / log10(n1 / n0)).
                let steps = (*count as f64 / *n0 as f64).log10();
                let cpu = (cost.cpu.max(0.01) / c0.cpu.max(0.01)).powf(1.0 / steps);
                let mem = (cost.rss / c0.rss).powf(1.0 / steps);
                (cpu, mem)
            });
        if let Some((cpu, _)) = growth
            && *count >= 10_000
        {
            worst = worst.max(cpu);
        }
        let (g_cpu, g_mem) = growth.map_or((String::new(), String::new()), |(c, m)| {
            (format!("{c:.1}"), format!("{m:.1}"))
        });
        println!(
            "| {input} | {count} | {:.2} | {:.2} | {:.0} | {:.1} | {g_cpu} | {g_mem} |",
            cost.wall,
            cost.cpu,
            cost.rss / 1e6,
            cost.rss / 1e3 / *count as f64
        );
    }
    println!();
    println!(
        "worst CPU growth per ×10 from 10,000 resources up: {worst:.1} (linear: 10; target: at most 12)"
    );
}
