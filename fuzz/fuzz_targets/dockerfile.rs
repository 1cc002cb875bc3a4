//! Dockerfiles: directives, continuations, heredocs and the escape character.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumb::collect::dockerfile;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    plumb_fuzz::holds(dockerfile::collect("Dockerfile", &text).map(|r| vec![r]));
});
