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
//! * [`store`] keeps snapshots (inventory and findings) over time, in SQLite or PostgreSQL.
//! * `org` reads the newest snapshot of every scope of a shared store: the organisation
//!   report.
//! * [`drift`] compares two inventories: snapshot against snapshot, IaC against live.

mod baseline;
pub mod cli;
pub mod collect;
pub mod config;
mod document;
pub mod drift;
pub mod engine;
pub mod findings;
pub mod inventory;
pub mod normalize;
mod org;
pub mod pipeline;
pub mod policy;
mod read;
mod redact;
pub mod report;
pub mod store;
pub mod waivers;
pub mod yaml;

/// Tells the allocator (mimalloc, installed by the `plumb` binary) to keep freed memory for
/// the life of the process. plumb runs are short batches that build and drop large trees of
/// small allocations; by default mimalloc gives freed pages back to the OS after 10 ms and the
/// next allocation faults them back in, zeroed. On a drift between two 100,000-resource
/// snapshots that was some 40% of the CPU time (`cargo bench --bench drift`). The environment
/// wins: a `MIMALLOC_PURGE_DELAY` set by the user is left alone.
pub fn keep_freed_memory() {
    // `mi_option_purge_delay` in mimalloc.h, whose option numbers are stable (retired options
    // keep their slots). Only the documented default (10 ms) is changed, so a different option
    // at this number, or a value the user chose, is left as it is.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const DEFAULT_MS: std::ffi::c_long = 10;
    // SAFETY: reading and setting an option is sound at any time; mimalloc asks only that it
    // not race with another option call, and this runs once, before any thread is started.
    #[allow(unsafe_code)]
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == DEFAULT_MS {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, -1);
        }
    }
}
