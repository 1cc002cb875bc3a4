//! Unpacking downloaded module packages (zip, tar, tar.gz) without trusting them: every entry
//! lands inside the target folder (no absolute paths, no `..`: zip-slip), symbolic links may
//! only point inside the package, and the number of entries and the bytes written are capped,
//! so a hostile or broken archive is an error, never a write elsewhere or a full disk.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use super::source::Format;

/// Caps on what one package may unpack to.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub max_entries: usize,
    pub max_bytes: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            max_entries: 20_000,
            max_bytes: 512 << 20,
        }
    }
}

/// Unpacks `archive` (a file of `format`) into the existing, empty folder `dest`.
pub(super) fn unpack(
    archive: &Path,
    format: Format,
    dest: &Path,
    caps: Caps,
) -> Result<(), String> {
    let file = File::open(archive).map_err(|e| format!("cannot open the download: {e}"))?;
    let mut budget = Budget {
        caps,
        entries: 0,
        bytes: 0,
    };
    match format {
        Format::Zip => unzip(file, dest, &mut budget),
        Format::TarGz => untar(flate2::read::GzDecoder::new(file), dest, &mut budget),
        Format::Tar => untar(file, dest, &mut budget),
    }
}

struct Budget {
    caps: Caps,
    entries: usize,
    bytes: u64,
}

impl Budget {
    fn entry(&mut self) -> Result<(), String> {
        self.entries += 1;
        if self.entries > self.caps.max_entries {
            return Err(format!(
                "the archive has more than {} entries",
                self.caps.max_entries
            ));
        }
        Ok(())
    }

    /// Copies `from` into a new file at `to`, within the byte cap.
    fn write(&mut self, from: &mut dyn Read, to: &Path, name: &str) -> Result<(), String> {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| format!("cannot create {name}: {e}"))?;
        }
        let mut out = File::create(to).map_err(|e| format!("cannot create {name}: {e}"))?;
        let left = self.caps.max_bytes - self.bytes;
        let n = io::copy(&mut from.take(left + 1), &mut out)
            .map_err(|e| format!("cannot unpack {name}: {e}"))?;
        self.bytes += n;
        if self.bytes > self.caps.max_bytes {
            return Err(format!(
                "the archive unpacks to more than {} MiB",
                self.caps.max_bytes >> 20
            ));
        }
        Ok(())
    }
}

/// The entry's path relative to the package root, or why it is refused.
fn inside(name: &Path) -> Result<PathBuf, String> {
    let mut out = PathBuf::new();
    for c in name.components() {
        match c {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "the archive entry {} points outside the package",
                    name.display()
                ));
            }
        }
    }
    Ok(out)
}

/// Whether a link at `link` (relative to the package root) to `target` stays in the package.
pub(super) fn link_stays_inside(link: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: i64 = 0;
    let base = link.parent().unwrap_or(Path::new(""));
    for c in base.components().chain(target.components()) {
        match c {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

fn symlink(target: &Path, at: &Path, name: &Path) -> Result<(), String> {
    if let Some(parent) = at.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", name.display()))?;
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(target, at)
            .map_err(|e| format!("cannot create the link {}: {e}", name.display()))
    }
    #[cfg(not(unix))]
    {
        let _ = (target, at);
        Err(format!(
            "the archive entry {} is a symbolic link, which plumb unpacks only on Unix",
            name.display()
        ))
    }
}

fn untar(reader: impl Read, dest: &Path, budget: &mut Budget) -> Result<(), String> {
    use tar::EntryType;
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("broken tar archive: {e}"))?;
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            EntryType::XGlobalHeader | EntryType::XHeader | EntryType::GNULongName
        ) {
            continue;
        }
        budget.entry()?;
        let name = entry
            .path()
            .map_err(|e| format!("broken tar entry name: {e}"))?
            .into_owned();
        let rel = inside(&name)?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let to = dest.join(&rel);
        match kind {
            EntryType::Directory => {
                fs::create_dir_all(&to)
                    .map_err(|e| format!("cannot create {}: {e}", name.display()))?;
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                budget.write(&mut entry, &to, &name.display().to_string())?;
            }
            EntryType::Symlink | EntryType::Link => {
                let target = entry
                    .link_name()
                    .map_err(|e| format!("broken tar link: {e}"))?
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                if kind == EntryType::Link {
                    // A hard link names another entry by its path from the archive root.
                    let from = dest.join(inside(&target)?);
                    let mut f = File::open(&from).map_err(|e| {
                        format!("the hard link {} names a missing file: {e}", name.display())
                    })?;
                    budget.write(&mut f, &to, &name.display().to_string())?;
                } else {
                    if !link_stays_inside(&rel, &target) {
                        return Err(format!(
                            "the archive's link {} -> {} points outside the package",
                            name.display(),
                            target.display()
                        ));
                    }
                    symlink(&target, &to, &name)?;
                }
            }
            // Devices, fifos and the like have no place in a module.
            _ => {}
        }
    }
    Ok(())
}

fn unzip(file: File, dest: &Path, budget: &mut Budget) -> Result<(), String> {
    let mut archive = zip::ZipArchive::new(file).map_err(|e| format!("not a zip archive: {e}"))?;
    if archive.len() > budget.caps.max_entries {
        return Err(format!(
            "the archive has more than {} entries",
            budget.caps.max_entries
        ));
    }
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| format!("broken zip archive: {e}"))?;
        budget.entry()?;
        let raw = entry
            .name()
            .map_err(|e| format!("broken zip entry name: {e}"))?
            .into_owned();
        // Backslashes are separators to zip tools on Windows; refuse rather than guess.
        if raw.contains('\\') {
            return Err(format!(
                "the archive entry {raw} has a backslash in its name"
            ));
        }
        let name = PathBuf::from(&raw);
        let rel = inside(&name)?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let to = dest.join(&rel);
        if entry.is_dir() {
            fs::create_dir_all(&to)
                .map_err(|e| format!("cannot create {}: {e}", name.display()))?;
        } else if entry.is_symlink() {
            let mut target = String::new();
            (&mut entry)
                .take(4096)
                .read_to_string(&mut target)
                .map_err(|e| format!("broken zip link {}: {e}", name.display()))?;
            let target = PathBuf::from(target);
            if !link_stays_inside(&rel, &target) {
                return Err(format!(
                    "the archive's link {} -> {} points outside the package",
                    name.display(),
                    target.display()
                ));
            }
            symlink(&target, &to, &name)?;
        } else {
            budget.write(&mut entry, &to, &name.display().to_string())?;
        }
    }
    Ok(())
}

/// Checks that no symbolic link under `root` (a cloned repository) points outside it.
pub(super) fn check_links(root: &Path) -> Result<(), String> {
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.map_err(|e| format!("cannot read the package: {e}"))?;
        if entry.path_is_symlink() {
            let target = fs::read_link(entry.path())
                .map_err(|e| format!("cannot read the link {}: {e}", entry.path().display()))?;
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if !link_stays_inside(rel, &target) {
                return Err(format!(
                    "the package's link {} -> {} points outside the package",
                    rel.display(),
                    target.display()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_must_stay_inside() {
        let cases = [
            ("a/link", "b", true),
            ("a/link", "../b", true),
            ("a/link", "../../b", false),
            ("link", "/etc/passwd", false),
            ("a/b/link", "./../../c", true),
            ("a/b/link", "../../../c", false),
        ];
        for (link, target, want) in cases {
            assert_eq!(
                link_stays_inside(Path::new(link), Path::new(target)),
                want,
                "{link} -> {target}"
            );
        }
    }

    fn tar_with(entries: &[(&str, &[u8])], link: Option<(&str, &str)>) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; write the raw name as a hostile archive would.
            let raw = &mut h.as_old_mut().name;
            raw[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, *data).unwrap();
        }
        if let Some((name, target)) = link {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, name, target).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn unpack_bytes(bytes: &[u8], caps: Caps) -> (tempfile::TempDir, Result<(), String>) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pkg.tar");
        fs::write(&file, bytes).unwrap();
        let dest = dir.path().join("out");
        fs::create_dir(&dest).unwrap();
        let r = unpack(&file, Format::Tar, &dest, caps);
        (dir, r)
    }

    #[test]
    fn tar_entries_are_confined_and_capped() {
        let (dir, ok) = unpack_bytes(
            &tar_with(&[("m/main.tf", b"# ok\n")], Some(("m/l", "main.tf"))),
            Caps::default(),
        );
        assert_eq!(ok, Ok(()));
        assert!(dir.path().join("out/m/main.tf").is_file());

        let (dir, slip) = unpack_bytes(&tar_with(&[("../evil.tf", b"x")], None), Caps::default());
        assert!(slip.unwrap_err().contains("outside the package"));
        assert!(!dir.path().join("evil.tf").exists());

        let (_d, link) = unpack_bytes(
            &tar_with(&[("a.tf", b"x")], Some(("l", "../../etc/passwd"))),
            Caps::default(),
        );
        assert!(link.unwrap_err().contains("points outside"));

        let caps = Caps {
            max_entries: 1,
            max_bytes: 1 << 20,
        };
        let (_d, many) = unpack_bytes(&tar_with(&[("a.tf", b"x"), ("b.tf", b"y")], None), caps);
        assert!(many.unwrap_err().contains("more than 1 entries"));

        let caps = Caps {
            max_entries: 10,
            max_bytes: 4,
        };
        let (_d, big) = unpack_bytes(&tar_with(&[("a.tf", b"0123456789")], None), caps);
        assert!(big.unwrap_err().contains("unpacks to more than"));
    }
}
