//! Text from inputs and policies made safe to show: control characters and escape sequences
//! are written visibly (`\x1b`, `\r`, `\u{9b}`), so a resource or file name cannot retitle a
//! terminal or clear the screen, and bidirectional overrides and isolates (U+202A–U+202E,
//! U+2066–U+2069) are written as `\u{202e}` so they cannot reorder what a reader sees in a
//! terminal, an HTML page or rendered Markdown. Newlines and tabs are kept.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Whether `c` is written escaped.
fn hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character (except newline and tab) and bidi override written
/// visibly: `\x1b` for C0 and DEL, `\u{9b}` for C1 and the bidi controls.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !hidden(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

/// Applies [`visible`] to every string (and object key) under `value`; whether any changed.
fn visible_json(value: &mut Value) -> bool {
    match value {
        Value::String(s) => match visible(s) {
            Cow::Owned(v) => {
                *s = v;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |c, v| visible_json(v) | c),
        Value::Object(map) => {
            if map.keys().any(|k| k.chars().any(hidden)) {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    visible_json(&mut v);
                    map.insert(visible(&k).into_owned(), v);
                }
                true
            } else {
                map.values_mut().fold(false, |c, v| visible_json(v) | c)
            }
        }
        _ => false,
    }
}

/// Watches the compact JSON of a value go by and notes whether any string in it (object keys
/// included) holds a character [`visible`] would escape, without keeping the text.
///
/// serde_json writes every C0 control as an escape (`\n`, `\t`, `\r`, `\b`, `\f` or
/// `\u00XX`) and everything else raw, so a hidden character is one of: an escape other than
/// `\n`, `\t`, `\"` and `\\`; a raw DEL; a C1 control (UTF-8 `C2 80`–`C2 9F`); a bidi override
/// (`E2 80 AA`–`E2 80 AE`) or isolate (`E2 81 A6`–`E2 81 A9`). The state carries across writes,
/// which may split an escape or a character anywhere.
#[derive(Default)]
struct HiddenScan {
    found: bool,
    /// The bytes of an escape or multi-byte character seen so far (at most two).
    pending: [u8; 2],
    pending_len: usize,
}

impl HiddenScan {
    fn byte(&mut self, b: u8) {
        match (self.pending_len, self.pending[0], self.pending[1]) {
            (0, ..) => match b {
                b'\\' | 0xC2 | 0xE2 => {
                    self.pending[0] = b;
                    self.pending_len = 1;
                }
                0x7F => self.found = true,
                _ => {}
            },
            (1, b'\\', _) => {
                self.pending_len = 0;
                if !matches!(b, b'n' | b't' | b'"' | b'\\') {
                    self.found = true;
                }
            }
            (1, 0xC2, _) => {
                self.pending_len = 0;
                if (0x80..=0x9F).contains(&b) {
                    self.found = true;
                }
            }
            (1, 0xE2, _) => {
                if b == 0x80 || b == 0x81 {
                    self.pending[1] = b;
                    self.pending_len = 2;
                } else {
                    self.pending_len = 0;
                }
            }
            (_, _, second) => {
                self.pending_len = 0;
                if (second == 0x80 && (0xAA..=0xAE).contains(&b))
                    || (second == 0x81 && (0xA6..=0xA9).contains(&b))
                {
                    self.found = true;
                }
            }
        }
    }
}

impl std::io::Write for HiddenScan {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.found {
            for &b in buf {
                self.byte(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether any text of `value` holds a character [`visible`] escapes. `None` when it cannot be
/// serialised.
fn any_hidden<T: Serialize>(value: &T) -> Option<bool> {
    let mut scan = HiddenScan::default();
    serde_json::to_writer(&mut scan, value).ok()?;
    Some(scan.found)
}

/// A copy of a report with every text made [`visible`], or the report itself when nothing
/// needed it.
///
/// The report is first only watched as JSON ([`HiddenScan`]): building its JSON tree, the
/// way to rewrite every string, costs seconds and gigabytes on a large estate, and is needed
/// only when some text has a character to escape.
pub(crate) fn sanitised<T: Serialize + DeserializeOwned + Clone>(report: &T) -> Cow<'_, T> {
    if any_hidden(report) != Some(true) {
        return Cow::Borrowed(report);
    }
    let Ok(mut value) = serde_json::to_value(report) else {
        return Cow::Borrowed(report);
    };
    if !visible_json(&mut value) {
        return Cow::Borrowed(report);
    }
    match serde_json::from_value(value) {
        Ok(clean) => Cow::Owned(clean),
        Err(_) => Cow::Borrowed(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_keeps_the_rest() {
        assert_eq!(visible("api\u{1b}]0;owned\u{7}"), "api\\x1b]0;owned\\x07");
        assert_eq!(visible("a\rb\u{9b}c"), "a\\x0db\\u{9b}c");
        assert_eq!(visible("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(visible("\u{2066}y\u{2069}"), "\\u{2066}y\\u{2069}");
        assert!(matches!(visible("plain · ünïcode\n\tok"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_json_scan_finds_exactly_what_visible_escapes() {
        // Every character of the first planes that matters, alone, between text, and as a
        // key: the scan agrees with `visible` on each.
        let specials = (0u32..0x100)
            .chain(0x2020..0x2070)
            .chain([0xfeff, 0x1f600])
            .filter_map(char::from_u32);
        for c in specials {
            for text in [c.to_string(), format!("a\\{c}\"b"), format!("é{c}€")] {
                let escapes = matches!(visible(&text), Cow::Owned(_));
                let as_key: serde_json::Map<String, Value> =
                    [(text.clone(), Value::from(1))].into_iter().collect();
                assert_eq!(any_hidden(&as_key), Some(escapes), "{text:?}");
                let as_value = serde_json::json!({"k": [text]});
                assert_eq!(any_hidden(&as_value), Some(escapes), "{text:?}");
            }
        }
        // Escapes and characters split across writes.
        let mut scan = HiddenScan::default();
        for chunk in [&b"\"a\\"[..], b"r\""] {
            std::io::Write::write_all(&mut scan, chunk).unwrap();
        }
        assert!(scan.found);
        let mut scan = HiddenScan::default();
        for chunk in [&[b'"', 0xE2][..], &[0x80], &[0xAE, b'"']] {
            std::io::Write::write_all(&mut scan, chunk).unwrap();
        }
        assert!(scan.found);
        let mut scan = HiddenScan::default();
        for chunk in [&[b'"', 0xE2][..], &[0x80], &[0xA6, b'"']] {
            std::io::Write::write_all(&mut scan, chunk).unwrap();
        }
        assert!(!scan.found, "U+2026 is shown as it is");
    }

    #[test]
    fn sanitises_nested_values_and_keys() {
        let v = serde_json::json!({"a\u{1b}": ["b\u{202e}"], "c": 1});
        let clean = sanitised(&v);
        assert_eq!(
            *clean,
            serde_json::json!({"a\\x1b": ["b\\u{202e}"], "c": 1})
        );
    }
}
