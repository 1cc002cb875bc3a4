//! Fuzzing the readers of every other input plumb takes: Terraform plans and state, Kubernetes
//! manifests (the YAML reader), Dockerfiles, GitHub workflows, policy files and waiver files.
//! Each target edits a real file (the bundled examples and built-in policies) with random
//! byte flips, deletions, duplications, truncations and insertions of the tokens those formats
//! are made of; no edit may make a reader panic or hang, and what a reader gives back keeps
//! its invariants: resources with an id and object attributes, errors that say something.
//!
//! Each target runs a batch of cases; `PLUMB_FUZZ_SECONDS=N` keeps each running for N seconds.
//! The coverage-guided targets in `fuzz/` (`./scripts/fuzz`) go deeper; these find what random
//! edits of real files find, on every `cargo test`.

use std::path::Path;
use std::time::{Duration, Instant};

use plumb::collect::{dockerfile, kubernetes, terraform, workflow};
use plumb::inventory::Resource;
use plumb::policy::{PolicyFile, load_files};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::common;
use super::hcl_fuzz::fuzz;

/// One edit of a seed file; positions are taken modulo the text's length.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Insert(usize, &'static str),
    Truncate(usize),
}

/// Pieces of JSON, YAML, Dockerfile and policy syntax, and bytes readers trip on.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "\n",
    "- ",
    "  ",
    "\t",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!binary ",
    "!!str ",
    "? ",
    "|\n",
    ">-\n",
    "---\n",
    "...\n",
    "%YAML 1.2\n",
    "#",
    "null",
    "~",
    "true",
    "1e999",
    "-0",
    "0x1F",
    "\"\\u0000\"",
    "\\",
    "\u{feff}",
    "\u{202e}",
    "\u{1b}[2J",
    "\"resource_changes\": ",
    "\"values\": ",
    "\"attributes\": ",
    "\"instances\": [",
    "\"after_unknown\": ",
    "\"sensitive_values\": ",
    "kind: ",
    "apiVersion: v1\n",
    "containers: ",
    "metadata:\n",
    "FROM ",
    "RUN ",
    "USER ",
    "ARG ",
    "${",
    "$(",
    "jobs:\n",
    "steps:\n",
    "uses: ",
    "condition: ",
    "resource.facets.",
    "kinds: [",
    "waivers:\n",
    "expires: ",
    "policy: ",
    "9999-99-99",
    "\u{fffd}",
];

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Flip(at, b)),
        (any::<usize>(), 1usize..64).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 1usize..256).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(at, t)| Edit::Insert(at, t)),
        any::<usize>().prop_map(Edit::Truncate),
    ];
    prop::collection::vec(edit, 1..8)
}

fn apply(seed: &[u8], edits: &[Edit]) -> String {
    let mut bytes = seed.to_vec();
    for edit in edits {
        let len = bytes.len().max(1);
        match *edit {
            Edit::Flip(at, b) if !bytes.is_empty() => bytes[at % len] = b,
            Edit::Delete(at, n) if !bytes.is_empty() => {
                let start = at % len;
                bytes.drain(start..(start + n).min(bytes.len()));
            }
            Edit::Duplicate(at, n) if !bytes.is_empty() => {
                let start = at % len;
                let piece = bytes[start..(start + n).min(bytes.len())].to_vec();
                bytes.splice(start..start, piece);
            }
            Edit::Insert(at, token) => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, token.bytes());
            }
            Edit::Truncate(at) => bytes.truncate(at % len),
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn seed(path: &str) -> Vec<u8> {
    std::fs::read(common::root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Runs one reader on edited versions of `seeds`, checking what it returns with `check`.
fn target(seeds: &[&str], check: impl Fn(&str, &str) -> Result<(), TestCaseError>) {
    let seeds: Vec<(String, Vec<u8>)> = seeds.iter().map(|p| (p.to_string(), seed(p))).collect();
    let strategy = (0..seeds.len(), edits());
    fuzz(strategy, |(which, edits)| {
        let (name, bytes) = &seeds[which];
        let text = apply(bytes, &edits);
        let start = Instant::now();
        let result = check(name, &text);
        // Nothing a reader does with a few hundred kilobytes takes seconds.
        prop_assert!(
            start.elapsed() < Duration::from_secs(10),
            "{name}: took {:?}",
            start.elapsed()
        );
        result
    });
}

fn resources_hold(name: &str, resources: &[Resource]) -> Result<(), TestCaseError> {
    for r in resources {
        prop_assert!(!r.id.is_empty() && !r.kind.is_empty(), "{name}: {r:?}");
        prop_assert!(r.attrs.is_object(), "{name}: {}: {}", r.id, r.attrs);
    }
    Ok(())
}

#[test]
fn plans() {
    target(
        &[
            "fixtures/demo/terraform/plan.json",
            "fixtures/oss/terraform/terraform-aws-s3-bucket-complete.plan.json",
        ],
        |name, text| match terraform::plan::collect(name, text) {
            Ok(resources) => resources_hold(name, &resources),
            Err(e) => {
                prop_assert!(!e.message.is_empty(), "{name}: an empty error");
                Ok(())
            }
        },
    );
}

#[test]
fn state() {
    target(
        &[
            "fixtures/demo/terraform/legacy.tfstate",
            "fixtures/drift/estate.tfstate",
        ],
        |name, text| match terraform::state::collect(name, text) {
            Ok(resources) => resources_hold(name, &resources),
            Err(e) => {
                prop_assert!(!e.message.is_empty(), "{name}: an empty error");
                Ok(())
            }
        },
    );
}

#[test]
fn manifests() {
    target(
        &[
            "fixtures/demo/kubernetes/api.yaml",
            "fixtures/demo/kubernetes/platform.yaml",
            "fixtures/oss/kubernetes/microservices-demo.yaml",
        ],
        |name, text| {
            let docs = match kubernetes::parse(name, text) {
                Ok(docs) => docs,
                Err(e) => {
                    prop_assert!(!e.message.is_empty() && e.line.is_some(), "{name}: {e:?}");
                    return Ok(());
                }
            };
            match kubernetes::collect(name, &docs) {
                Ok(resources) => resources_hold(name, &resources),
                Err(e) => {
                    prop_assert!(!e.message.is_empty(), "{name}: an empty error");
                    Ok(())
                }
            }
        },
    );
}

#[test]
fn dockerfiles_and_workflows() {
    target(
        &[
            "fixtures/inputs/repo/services/api/Dockerfile",
            "fixtures/inputs/repo/.github/workflows/ci.yml",
        ],
        |name, text| {
            let read = if name.ends_with("Dockerfile") {
                dockerfile::collect(name, text)
            } else {
                workflow::collect(name, text)
            };
            match read {
                Ok(r) => resources_hold(name, std::slice::from_ref(&r)),
                Err(e) => {
                    prop_assert!(!e.message.is_empty(), "{name}: an empty error");
                    Ok(())
                }
            }
        },
    );
}

#[test]
fn policies() {
    target(
        &[
            "policies/aws/s3/PLB-S3-011.yaml",
            "policies/aws/monitoring/PLB-MON-001.yaml",
            "policies/kubernetes/PLB-K8S-001.yaml",
        ],
        |name, text| {
            let files = [PolicyFile {
                name: name.to_string(),
                text: text.to_string(),
            }];
            if let Err(errors) = load_files(&files, &serde_json::json!({})) {
                prop_assert!(!errors.is_empty(), "{name}: refused without a reason");
                for e in errors {
                    prop_assert!(!e.message.is_empty() && e.file == name, "{e:?}");
                }
            }
            Ok(())
        },
    );
}

#[test]
fn waivers() {
    let dir = tempfile::tempdir().unwrap();
    let seed_path = dir.path().join("seed.yaml");
    std::fs::write(
        &seed_path,
        "waivers:\n  - policy: PLB-S3-00*\n    resource: aws_s3_bucket.logs\n    reason: the \
         access-log bucket cannot log to itself\n    approved_by: security@example.com\n    \
         expires: 2027-06-30\n  - policy: PLB-K8S-001\n    resource: \"k8s/Deployment/apps/*\"\n    \
         reason: legacy agent\n    approved_by: platform\n    expires: 2027-01-31\n",
    )
    .unwrap();
    let seed = std::fs::read(&seed_path).unwrap();
    let path = dir.path().join("waivers.yaml");
    fuzz(edits(), |edits| {
        std::fs::write(&path, apply(&seed, &edits)).unwrap();
        if let Err(errors) = plumb::waivers::read_file(Path::new(&path)) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(!e.message.is_empty() && e.line >= 1, "{e:?}");
            }
        }
        Ok(())
    });
}
