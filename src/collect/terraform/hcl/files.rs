//! The files a configuration may read through `file()` and its kin.

use std::path::PathBuf;
use std::sync::Arc;

/// Where `file()` and friends may read: paths resolve against the root module's directory
/// (Terraform's working directory) and must stay inside the scanned directories, so a
/// configuration cannot make a scan read, and report, files elsewhere on the machine.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub base: PathBuf,
    pub allowed: Arc<Vec<PathBuf>>,
}

impl Files {
    /// The bytes of `path` (at most [`crate::read::Limit::Function`]: 4 MiB).
    pub fn read(&self, path: &str) -> std::result::Result<Vec<u8>, String> {
        let full = self.resolve(path)?;
        crate::read::bytes(&full, crate::read::Limit::Function).map_err(|e| format!("{path}: {e}"))
    }

    pub fn exists(&self, path: &str) -> std::result::Result<bool, String> {
        match self.resolve(path) {
            Ok(p) => Ok(p.is_file()),
            Err(e) if e.contains("no such file") => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn resolve(&self, path: &str) -> std::result::Result<PathBuf, String> {
        let joined = self.base.join(path);
        let canonical = joined.canonicalize().map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("no such file {path}")
            } else {
                format!("cannot read {path}: {e}")
            }
        })?;
        if self.allowed.iter().any(|dir| canonical.starts_with(dir)) {
            Ok(canonical)
        } else {
            Err(format!(
                "{path} is outside the scanned directories; plumb does not read it"
            ))
        }
    }
}
