//! Policy files: YAML, then every condition compiled as CEL. A refusal names the file and says
//! why.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plumb::policy::{PolicyFile, load_files};

fuzz_target!(|data: &[u8]| {
    let files = [PolicyFile {
        name: "policy.yaml".to_string(),
        text: String::from_utf8_lossy(data).into_owned(),
    }];
    if let Err(errors) = load_files(&files, &serde_json::json!({})) {
        assert!(!errors.is_empty(), "refused without a reason");
        for e in errors {
            assert!(!e.message.is_empty() && e.file == "policy.yaml", "{e:?}");
        }
    }
});
