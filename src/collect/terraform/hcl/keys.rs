//! Repeated object keys: the mark the reader gives each repeat of a key, so the parser accepts
//! the text, and the key as written, for evaluation.

/// Marks a repeated object key so that the parser accepts it (see `load::parse_with_repeats`).
pub(super) const REPEAT_MARK: &str = "__plumb_repeat_";

/// The key as written, from a key `load::parse_with_repeats` marked.
pub(super) fn original_key(key: &str) -> &str {
    match key.find(REPEAT_MARK) {
        Some(at) => &key[..at],
        None => key,
    }
}
