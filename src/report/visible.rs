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

/// A copy of a report with every text made [`visible`], or the report itself when nothing
/// needed it.
pub(crate) fn sanitised<T: Serialize + DeserializeOwned + Clone>(report: &T) -> Cow<'_, T> {
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
    fn sanitises_nested_values_and_keys() {
        let v = serde_json::json!({"a\u{1b}": ["b\u{202e}"], "c": 1});
        let clean = sanitised(&v);
        assert_eq!(
            *clean,
            serde_json::json!({"a\\x1b": ["b\\u{202e}"], "c": 1})
        );
    }
}
