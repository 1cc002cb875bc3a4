//! Embeds every built-in policy file (`policies/**/*.yaml`) in the binary, and sets what
//! `plumb --version` says: `PLUMB_GIT_COMMIT` and `PLUMB_BUILD_DATE` (build/version.rs).

// A build script reports a broken build by panicking: that is what cargo shows the user.
#![allow(clippy::unwrap_used)]

use std::fmt::Write;
use std::path::{Path, PathBuf};

#[path = "build/version.rs"]
mod version;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    set_version(&root);
    let policies = root.join("policies");
    println!("cargo:rerun-if-changed=policies");
    let mut files = Vec::new();
    collect(&policies, &mut files);
    files.sort();
    let mut code = String::from(
        "/// (path relative to the repository, contents) of every built-in policy file.\n",
    );
    code.push_str("static BUILTIN_POLICIES: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file.strip_prefix(&root).expect("under the manifest dir");
        let rel = rel.to_string_lossy().replace('\\', "/");
        writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            file.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    std::fs::write(out.join("builtin_policies.rs"), code).expect("OUT_DIR is writable");
}

fn set_version(root: &Path) {
    println!("cargo:rerun-if-changed=build/version.rs");
    println!("cargo:rerun-if-env-changed=PLUMB_GIT_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    for file in version::git_watch(root) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let env_commit = std::env::var("PLUMB_GIT_COMMIT").ok();
    let commit = version::git_commit(root, env_commit.as_deref());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = version::build_date(std::env::var("SOURCE_DATE_EPOCH").ok().as_deref(), now);
    println!("cargo:rustc-env=PLUMB_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=PLUMB_BUILD_DATE={date}");
}
