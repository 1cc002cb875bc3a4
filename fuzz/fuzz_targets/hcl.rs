//! The HCL front end and evaluator: one `.tf` file evaluated as `plumb scan` does, under the
//! evaluation budgets. What it produces keeps the inventory's invariants.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plumb::collect::terraform::hcl::{Vars, evaluate_text};
use tempfile::TempDir;

fuzz_target!(|data: &[u8]| {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"));
    let text = String::from_utf8_lossy(data);
    let collected = evaluate_text(dir.path(), "main.tf", &text, &Vars::default());
    for r in &collected.resources {
        assert!(r.id.starts_with("tf:"), "{}", r.id);
        assert!(r.attrs.is_object(), "{}: {}", r.id, r.attrs);
    }
    for e in &collected.errors {
        assert!(!e.message.is_empty() && !e.scope.is_empty(), "{e:?}");
    }
});
