//! plumb: a policy-as-code compliance scanner.
//!
//! The pipeline, one stage per module:
//!
//! ```text
//! sources --collect--> Inventory --normalize--> Inventory(facets) --engine(policies)--> ScanReport --report--> formats
//! ```
//!
//! * [`collect`] turns Terraform plans and state, and Kubernetes manifests, into
//!   [`inventory::Resource`]s.
//! * [`normalize`] links satellite resources to their parents and derives facets.
//! * [`policy`] loads and compiles YAML policies with CEL conditions.
//! * [`engine`] evaluates them in parallel into [`findings::Finding`]s.
//! * [`report`] renders a [`findings::ScanReport`] as console text, JSON or SARIF, and a
//!   [`drift::DriftReport`] as console text, JSON, Markdown or HTML.
//! * [`store`] keeps snapshots (inventory and findings) over time, in SQLite.
//! * [`drift`] compares two inventories: snapshot against snapshot, IaC against live.

pub mod baseline;
pub mod cli;
pub mod collect;
pub mod config;
pub mod drift;
pub mod engine;
pub mod findings;
pub mod inventory;
pub mod normalize;
pub mod policy;
pub mod redact;
pub mod report;
pub mod store;
pub mod waivers;
pub mod yaml;
