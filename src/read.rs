//! Reading input files: every file plumb reads as input (Terraform source and variables,
//! plans, state, manifests, Dockerfiles, workflows, policies, `plumb.yaml`, waivers, saved
//! inventories and reports) goes through [`text`] or [`bytes`], so every read has the same
//! bounds and the same way of saying why a file was not read:
//!
//! * only regular files are opened: the path's metadata is read first (following symlinks),
//!   and a FIFO, socket, device or directory is refused without being opened, since opening a
//!   FIFO waits for a writer and a device never ends;
//! * every read is capped ([`Limit`]), and the cap is enforced on the bytes actually read
//!   (`take(cap + 1)`), not only on the size the file system reports, so a file that grows
//!   while read, or reports a size of 0 (`/proc`), still ends;
//! * text is decoded, never guessed at: a UTF-8 byte order mark is dropped, UTF-16 with a
//!   byte order mark (little or big endian) is decoded, and anything else that is not UTF-8 is
//!   an error naming the byte offset and line of the first bad byte.
//!
//! A [`ReadError`] says what was wrong without the path; callers put the path in front
//! (`path: not a regular file (a FIFO); not read`) and record it as input not read.

use std::io::Read;
use std::path::Path;

/// How much of a file is read, by what the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    /// Source written by people: Terraform configuration and variables, manifests,
    /// Dockerfiles, workflows, policies, `plumb.yaml`, waivers, ignore rules.
    Source,
    /// JSON that tools write: Terraform plans and state (and JSON manifests, which are not
    /// told from them before they are read). A plan of 100,000 resources in the full
    /// `terraform show -json` shape is some 140 MB; the cap admits some 700,000.
    Generated,
    /// plumb's own documents: inventories, JSON reports, baselines.
    Document,
    /// A file a Terraform configuration reads through `file()` and its kin.
    Function,
}

impl Limit {
    /// The cap in bytes.
    pub(crate) const fn bytes(self) -> u64 {
        match self {
            Limit::Source => 64 << 20,
            Limit::Generated => 1 << 30,
            Limit::Document => 1 << 30,
            Limit::Function => 4 << 20,
        }
    }
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A FIFO, socket, device or directory: never opened.
    #[error("not a regular file ({0}); not read")]
    NotRegular(&'static str),
    #[error("larger than {} MiB; not read", .cap >> 20)]
    TooLarge { cap: u64 },
    /// Not UTF-8 (nor UTF-16 with a byte order mark): where the first bad byte is.
    #[error("not UTF-8 text (invalid byte at offset {offset}, line {line}); not read")]
    NotText { offset: usize, line: usize },
    /// UTF-16 with a byte order mark whose code units do not decode.
    #[error("not valid UTF-16 text (unpaired surrogate at offset {offset}); not read")]
    BadUtf16 { offset: usize },
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
}

/// What a file that is not regular is, for messages; `None` for a regular file.
pub(crate) fn not_regular(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_file() {
        return None;
    }
    if file_type.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return Some("a FIFO");
        }
        if file_type.is_socket() {
            return Some("a socket");
        }
        if file_type.is_char_device() {
            return Some("a character device");
        }
        if file_type.is_block_device() {
            return Some("a block device");
        }
    }
    Some("not a file")
}

/// The regular file at `path` opened for reading at most one byte past `limit`'s cap (so
/// that a reader can tell a file over the cap), and the size the file system reports.
fn open(path: &Path, limit: Limit) -> Result<(std::io::Take<std::fs::File>, u64), ReadError> {
    let cap = limit.bytes();
    let meta = std::fs::metadata(path)?;
    if let Some(what) = not_regular(meta.file_type()) {
        return Err(ReadError::NotRegular(what));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge { cap });
    }
    let file = std::fs::File::open(path)?;
    // The path may have been replaced between the two looks; what was opened is what counts.
    if let Some(what) = not_regular(file.metadata()?.file_type()) {
        return Err(ReadError::NotRegular(what));
    }
    Ok((file.take(cap + 1), meta.len()))
}

/// The bytes of the regular file at `path`, at most `limit`'s cap.
pub(crate) fn bytes(path: &Path, limit: Limit) -> Result<Vec<u8>, ReadError> {
    let (mut file, len) = open(path, limit)?;
    let mut out = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.read_to_end(&mut out)?;
    if out.len() as u64 > limit.bytes() {
        return Err(ReadError::TooLarge { cap: limit.bytes() });
    }
    Ok(out)
}

/// Streams the regular file at `path`, at most `limit`'s cap, through `chunk` (a hasher's
/// update) in pieces of 64 KiB: the file is never held whole.
pub(crate) fn each_chunk(
    path: &Path,
    limit: Limit,
    mut chunk: impl FnMut(&[u8]),
) -> Result<(), ReadError> {
    let (mut file, _) = open(path, limit)?;
    let mut buf = vec![0; 64 << 10];
    let mut total = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        total += n as u64;
        if total > limit.bytes() {
            return Err(ReadError::TooLarge { cap: limit.bytes() });
        }
        chunk(&buf[..n]);
    }
    Ok(())
}

/// The text of the regular file at `path`, at most `limit`'s cap, decoded ([`decode`]).
pub(crate) fn text(path: &Path, limit: Limit) -> Result<String, ReadError> {
    decode(bytes(path, limit)?)
}

/// Decodes a file's bytes: UTF-8 (a leading byte order mark dropped), or UTF-16 little or big
/// endian when the text opens with that byte order mark. Anything else is an error naming
/// the first byte that is not UTF-8.
pub(crate) fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    match bytes.as_slice() {
        [0xEF, 0xBB, 0xBF, ..] => utf8(bytes, 3),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => utf8(bytes, 0),
    }
}

fn utf8(mut bytes: Vec<u8>, bom: usize) -> Result<String, ReadError> {
    bytes.drain(..bom);
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        ReadError::NotText {
            offset: offset + bom,
            line,
        }
    })
}

fn utf16(rest: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, ReadError> {
    let pairs = rest.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(ReadError::BadUtf16 {
            offset: rest.len() + 1,
        });
    }
    let units = pairs.map(|p| unit([p[0], p[1]]));
    let mut out = String::with_capacity(rest.len() / 2);
    let mut at = 2;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => {
                at += 2 * c.len_utf16();
                out.push(c);
            }
            Err(_) => return Err(ReadError::BadUtf16 { offset: at }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn utf8_is_read_and_its_byte_order_mark_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let plain = write(dir.path(), "a.yaml", b"kind: Pod\n");
        assert_eq!(text(&plain, Limit::Source).unwrap(), "kind: Pod\n");
        let bom = write(dir.path(), "b.yaml", b"\xEF\xBB\xBFkind: Pod\n");
        assert_eq!(text(&bom, Limit::Source).unwrap(), "kind: Pod\n");
    }

    #[test]
    fn utf16_with_a_byte_order_mark_is_decoded() {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("kind: Pod é\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(le).unwrap(), "kind: Pod é\n");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("a: 😀".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(be).unwrap(), "a: 😀");
        // A lone high surrogate, after "a" (offset 2 + 2).
        let bad = vec![0xFF, 0xFE, b'a', 0, 0x00, 0xD8];
        assert!(matches!(
            decode(bad),
            Err(ReadError::BadUtf16 { offset: 4 })
        ));
        assert!(matches!(
            decode(vec![0xFF, 0xFE, b'a']),
            Err(ReadError::BadUtf16 { .. })
        ));
    }

    #[test]
    fn other_bytes_are_an_error_at_their_offset_and_line() {
        let e = decode(b"a: 1\nb: \xFF\n".to_vec()).unwrap_err();
        assert!(
            matches!(e, ReadError::NotText { offset: 8, line: 2 }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "not UTF-8 text (invalid byte at offset 8, line 2); not read"
        );
        let e = decode(b"\xEF\xBB\xBF\xC3".to_vec()).unwrap_err();
        assert!(
            matches!(e, ReadError::NotText { offset: 3, line: 1 }),
            "{e:?}"
        );
    }

    #[test]
    fn directories_and_devices_are_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let e = bytes(dir.path(), Limit::Source).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory); not read");
        #[cfg(unix)]
        {
            let e = bytes(Path::new("/dev/zero"), Limit::Source).unwrap_err();
            assert_eq!(
                e.to_string(),
                "not a regular file (a character device); not read"
            );
            let link = dir.path().join("zero.tf");
            std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
            assert!(matches!(
                bytes(&link, Limit::Source),
                Err(ReadError::NotRegular("a character device"))
            ));
        }
    }

    #[test]
    fn a_file_over_its_cap_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.tf");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(Limit::Source.bytes() + 1).unwrap();
        let e = bytes(&big, Limit::Source).unwrap_err();
        assert_eq!(e.to_string(), "larger than 64 MiB; not read");
        // Under the larger cap it is read.
        assert_eq!(
            bytes(&big, Limit::Generated).unwrap().len() as u64,
            Limit::Source.bytes() + 1
        );
    }

    #[test]
    fn a_missing_file_says_so() {
        let e = bytes(Path::new("/nonexistent/plumb"), Limit::Source).unwrap_err();
        assert!(e.to_string().starts_with("cannot read: "), "{e}");
    }
}
