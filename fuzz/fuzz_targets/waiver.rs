//! Waiver files, read from disk as `plumb` reads them. A refusal has a line.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tempfile::TempDir;

fuzz_target!(|data: &[u8]| {
    static DIR: OnceLock<TempDir> = OnceLock::new();
    let path = DIR
        .get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
        .path()
        .join("waivers.yaml");
    std::fs::write(&path, data).expect("the waiver file is written");
    if let Err(errors) = plumb::waivers::read_file(&path) {
        assert!(!errors.is_empty());
        for e in errors {
            assert!(!e.message.is_empty() && e.line >= 1, "{e:?}");
        }
    }
});
