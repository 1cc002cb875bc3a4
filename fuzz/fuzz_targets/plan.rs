//! Terraform plan JSON (`terraform show -json`): no input may panic or hang the reader, and
//! what it reads keeps the inventory's invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumb::collect::terraform::plan;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    plumb_fuzz::holds(plan::collect("plan.json", &text));
});
