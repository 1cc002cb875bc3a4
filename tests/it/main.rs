//! The integration tests, one binary: each module tests one area through the real `plumb`
//! binary or the library, with the helpers of `common` shared by all.

// Tests and benchmarks stop at the first broken expectation: unwrapping is how they say so.
#![allow(clippy::unwrap_used)]

#[cfg(feature = "kubernetes")]
mod apiserver;
mod common;

mod aws_bench;
mod aws_collect;
mod aws_config;
mod aws_drift;
mod aws_events;
mod aws_faults;
mod aws_model;
mod baseline;
mod browser;
mod cli;
mod collectors;
mod deploy;
mod docs;
mod drift;
mod drift_properties;
mod flags;
mod formats;
mod hcl;
mod hcl_fuzz;
mod hostile;
mod inputs;
mod install;
mod kustomize;
mod live_kubernetes;
mod modules;
mod org;
mod org_bench;
mod oss;
mod policies;
mod readers_fuzz;
mod reports;
mod robustness;
mod secrets;
mod store;
mod store_postgres;
mod structure;
mod waivers;
