//! Benchmark: `plumb scan` of a generated Terraform source tree.
//!
//! Run with `cargo bench --bench hcl` (release build). The corpus is generated from a fixed
//! recipe: 50 root modules (one per team) of 20 files each, calling a shared local module
//! with `for_each`, with variables, tfvars, locals, `count`, `dynamic` blocks, provider default
//! tags and references between resources; 1,003 `.tf` files and about 10,000 resources in
//! all. It reports the wall time and peak memory of the whole scan (read, parse, evaluate,
//! link, derive facets, evaluate the built-in policies, write the report), timed as a child
//! process, best of three.
//!
//! `PLUMB_BENCH_ROOTS=N` changes the number of root modules; `PLUMB_BENCH_KEEP=DIR` keeps the
//! corpus there (to profile, or to measure with `/usr/bin/time -v plumb scan DIR`).

// Tests and benchmarks stop at the first broken expectation: unwrapping is how they say so.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const SERVICES: usize = 17;

const BUCKET_MODULE: &str = r#"resource "aws_s3_bucket" "this" {
  bucket = var.name
  tags   = { Service = var.service }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = var.versioned ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = var.versioned
}
"#;

const BUCKET_VARIABLES: &str = r#"variable "name" {
  type = string
}

variable "service" {
  type = string
}

variable "kms_key" {
  type = string
}

variable "versioned" {
  type    = bool
  default = true
}
"#;

const BUCKET_OUTPUTS: &str = r#"output "bucket_id" {
  value = aws_s3_bucket.this.id
}

output "arn" {
  value = "arn:aws:s3:::${var.name}"
}
"#;

fn root_files(team: usize) -> Vec<(String, String)> {
    let mut files = vec![
        (
            "backend.tf".to_string(),
            format!(
                r#"terraform {{
  backend "s3" {{
    bucket       = "acme-terraform-state"
    key          = "team-{team:02}/terraform.tfstate"
    region       = "eu-west-1"
    encrypt      = true
    use_lockfile = {}
  }}
}}

provider "aws" {{
  region = var.region
  default_tags {{
    tags = local.tags
  }}
}}
"#,
                !team.is_multiple_of(5)
            ),
        ),
        (
            "variables.tf".to_string(),
            r#"variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "team" {
  type = string
}

variable "environment" {
  type = string
}

variable "buckets_per_service" {
  type    = number
  default = 2
}

variable "admin_cidrs" {
  type    = list(string)
  default = ["10.0.0.0/8", "192.168.0.0/16"]
}

variable "retention" {
  type    = map(number)
  default = { prod = 90, dev = 7 }
}
"#
            .to_string(),
        ),
        (
            "locals.tf".to_string(),
            r#"locals {
  prefix      = "${var.team}-${var.environment}"
  bucket_keys = toset([for i in range(var.buckets_per_service) : format("b%02d", i)])
  tags = {
    Owner       = var.team
    Environment = var.environment
    CostCenter  = "cc-${var.team}"
  }
}

resource "aws_kms_key" "data" {
  description         = "${local.prefix} data"
  enable_key_rotation = true
}
"#
            .to_string(),
        ),
    ];
    for s in 0..SERVICES {
        let mut text = String::new();
        write!(
            text,
            r#"module "svc_{s:02}_store" {{
  source    = "../../modules/bucket"
  for_each  = local.bucket_keys
  name      = "${{local.prefix}}-svc-{s:02}-${{each.key}}"
  service   = "svc-{s:02}"
  kms_key   = aws_kms_key.data.arn
  versioned = each.key != "b01"
}}

resource "aws_ebs_volume" "svc_{s:02}" {{
  count             = 2
  availability_zone = "${{var.region}}${{count.index == 0 ? "a" : "b"}}"
  size              = 20 * (count.index + 1)
  encrypted         = count.index == 0
  kms_key_id        = count.index == 0 ? aws_kms_key.data.arn : null
}}

resource "aws_cloudwatch_log_group" "svc_{s:02}" {{
  name              = "/${{local.prefix}}/svc-{s:02}"
  retention_in_days = lookup(var.retention, var.environment, 30)
  tags              = {{ Bucket = module.svc_{s:02}_store["b00"].arn }}
}}

resource "aws_security_group" "svc_{s:02}" {{
  name = "${{local.prefix}}-svc-{s:02}"

  dynamic "ingress" {{
    for_each = var.admin_cidrs
    content {{
      from_port   = 443
      to_port     = 443
      protocol    = "tcp"
      cidr_blocks = [ingress.value]
    }}
  }}
}}
"#
        )
        .expect("writing to a string");
        files.push((format!("svc-{s:02}.tf"), text));
    }
    files
}

/// Writes the corpus; returns the number of `.tf` files.
fn generate(dir: &Path, roots: usize) -> usize {
    let mut count = 0;
    let module = dir.join("modules/bucket");
    std::fs::create_dir_all(&module).expect("module dir");
    for (name, text) in [
        ("main.tf", BUCKET_MODULE),
        ("variables.tf", BUCKET_VARIABLES),
        ("outputs.tf", BUCKET_OUTPUTS),
    ] {
        std::fs::write(module.join(name), text).expect("module file");
        count += 1;
    }
    for team in 0..roots {
        let root = dir.join(format!("envs/team-{team:02}"));
        std::fs::create_dir_all(&root).expect("root dir");
        for (name, text) in root_files(team) {
            std::fs::write(root.join(name), text).expect("root file");
            count += 1;
        }
        std::fs::write(
            root.join("terraform.tfvars"),
            format!(
                "team        = \"team-{team:02}\"\nenvironment = \"{}\"\n",
                if team.is_multiple_of(3) {
                    "dev"
                } else {
                    "prod"
                }
            ),
        )
        .expect("tfvars");
    }
    count
}

/// Peak resident memory of the largest child process waited for, in MB.
#[cfg(unix)]
#[allow(unsafe_code)]
fn children_max_rss_mb() -> f64 {
    // SAFETY: getrusage only writes into the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    if ok != 0 {
        return f64::NAN;
    }
    // Linux reports kilobytes.
    usage.ru_maxrss as f64 / 1024.0
}

#[cfg(not(unix))]
#[allow(unsafe_code)]
fn children_max_rss_mb() -> f64 {
    f64::NAN
}

fn main() {
    // `cargo test --all-targets` runs this without `--bench`: a small smoke run then.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let roots: usize = std::env::var("PLUMB_BENCH_ROOTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if benchmarking { 50 } else { 2 });
    let keep = std::env::var_os("PLUMB_BENCH_KEEP").map(std::path::PathBuf::from);
    let dir = keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("plumb-bench-hcl-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    let files = generate(&dir, roots);
    let runs = if benchmarking { 3 } else { 1 };
    for format in ["sarif", "json"] {
        let report = dir.join(format!("report.{format}"));
        let mut best = Duration::MAX;
        for _ in 0..runs {
            let t = Instant::now();
            let status = std::process::Command::new(env!("CARGO_BIN_EXE_plumb"))
                .arg("scan")
                .arg(dir.join("envs"))
                .args(["--fail-on", "never", "--format"])
                .arg(format!("{format}={}", report.display()))
                .status()
                .expect("plumb runs");
            best = best.min(t.elapsed());
            assert!(status.success(), "scan failed");
        }
        println!(
            "plumb scan of {roots} root modules, {files} .tf files --format {format:<5}: {:>6.0} ms wall, {:>5.0} MB peak RSS",
            best.as_secs_f64() * 1e3,
            children_max_rss_mb()
        );
    }
    // What was scanned (an untimed run that also writes the inventory).
    let inventory = dir.join("inventory.json");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_plumb"))
        .arg("scan")
        .arg(dir.join("envs"))
        .args([
            "--fail-on",
            "never",
            "--format",
            "json=/dev/null",
            "--save-inventory",
        ])
        .arg(&inventory)
        .status()
        .expect("plumb runs");
    assert!(status.success(), "scan failed");
    let inv: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&inventory).expect("inventory"))
            .expect("inventory JSON");
    assert!(
        inv["metadata"]["errors"]
            .as_array()
            .is_none_or(Vec::is_empty),
        "the corpus scans without errors: {}",
        inv["metadata"]["errors"]
    );
    let resources = inv["resources"].as_array().map_or(0, Vec::len);
    println!("corpus: {roots} root modules, {files} .tf files, {resources} resources");
    if keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
