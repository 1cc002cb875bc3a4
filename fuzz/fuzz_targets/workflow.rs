//! GitHub Actions workflows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumb::collect::workflow;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    plumb_fuzz::holds(workflow::collect(".github/workflows/ci.yml", &text).map(|r| vec![r]));
});
