//! Kubernetes manifests: the YAML reader, then the objects in it. A refusal names its line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumb::collect::kubernetes;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let docs = match kubernetes::parse("manifest.yaml", &text) {
        Ok(docs) => docs,
        Err(e) => {
            assert!(!e.message.is_empty() && e.line.is_some(), "{e:?}");
            return;
        }
    };
    plumb_fuzz::holds(kubernetes::collect("manifest.yaml", &docs));
});
