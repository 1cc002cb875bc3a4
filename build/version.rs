//! What `plumb --version` says besides the package version: the git commit the binary was
//! built from and the date of the build. Used by build.rs, and by tests/it/install.rs, which runs
//! the same functions on a tree without `.git` (a release tarball) to check the fallback.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What `--version` says when the commit cannot be known (a tarball, no `git` installed).
pub const UNKNOWN: &str = "unknown";

/// The commit `dir` is checked out at, abbreviated to 12 hex digits: `PLUMB_GIT_COMMIT` when
/// set and not empty (a container build, whose context leaves `.git` out, passes it as a build
/// argument), else what `git rev-parse` says about `dir` when `dir` is the top of a work tree,
/// else [`UNKNOWN`]. A tarball unpacked inside some other repository is not that repository's
/// commit.
pub fn git_commit(dir: &Path, env_commit: Option<&str>) -> String {
    if let Some(commit) = env_commit.map(str::trim).filter(|c| !c.is_empty()) {
        return abbreviate(commit);
    }
    if !is_work_tree_top(dir) {
        return UNKNOWN.to_string();
    }
    git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"])
        .filter(|c| c.len() >= 7 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|c| abbreviate(&c))
        .unwrap_or_else(|| UNKNOWN.to_string())
}

fn is_work_tree_top(dir: &Path) -> bool {
    let top = git(dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    match (top.and_then(|t| t.canonicalize().ok()), dir.canonicalize()) {
        (Some(top), Ok(dir)) => top == dir,
        _ => false,
    }
}

fn abbreviate(commit: &str) -> String {
    commit.chars().take(12).collect()
}

/// The files whose change means a new commit is checked out in `dir`: HEAD, the branch it
/// points to and packed-refs (those that exist: cargo reruns a build script every time for a
/// path that does not).
pub fn git_watch(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    if !is_work_tree_top(dir) {
        return files;
    }
    let (Some(git_dir), Some(common)) = (
        git(dir, &["rev-parse", "--absolute-git-dir"]),
        git(
            dir,
            &["rev-parse", "--path-format=absolute", "--git-common-dir"],
        ),
    ) else {
        return files;
    };
    let (git_dir, common) = (PathBuf::from(git_dir), PathBuf::from(common));
    files.push(git_dir.join("HEAD"));
    if let Some(branch) = git(dir, &["symbolic-ref", "--quiet", "HEAD"]) {
        files.push(common.join(branch));
    }
    files.push(common.join("packed-refs"));
    files.retain(|f| f.is_file());
    files
}

/// The build date, `YYYY-MM-DD` in UTC: from `SOURCE_DATE_EPOCH` when set (reproducible
/// builds), else from `now` (seconds since the Unix epoch).
pub fn build_date(source_date_epoch: Option<&str>, now: u64) -> String {
    let secs = source_date_epoch
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(now);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `git ARGS` in `dir`, its trimmed output when it succeeded.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_string())
}
