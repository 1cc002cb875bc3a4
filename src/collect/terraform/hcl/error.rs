//! Evaluation errors, and the size limit a collection built by an expression is held to.

use hcl_edit::Span;

/// An evaluation error, at a byte offset of the file the expression came from.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub offset: Option<usize>,
    pub message: String,
}

impl EvalError {
    pub fn new(message: impl Into<String>) -> Self {
        EvalError {
            offset: None,
            message: message.into(),
        }
    }

    pub(super) fn at(mut self, expr: &impl Span) -> Self {
        if self.offset.is_none() {
            self.offset = expr.span().map(|s| s.start);
        }
        self
    }
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub(super) type Result<T> = std::result::Result<T, EvalError>;

/// Most elements a collection built by an expression may have (`range`, `for`, `count`).
pub(super) const MAX_ELEMENTS: usize = 1 << 20;

/// Longest string an expression may build (16 MiB): string locals that double each other, a
/// template looping over a large range, a `replace` or `join` that multiplies its input.
pub(super) const MAX_STRING_BYTES: usize = 16 << 20;

/// An error when a string of `len` bytes would be longer than [`MAX_STRING_BYTES`]; checked
/// before the string is built wherever its length is known in advance.
pub(super) fn string_fits(len: usize) -> Result<()> {
    if len > MAX_STRING_BYTES {
        return Err(EvalError::new(format!(
            "this string would be {len} bytes, more than the {} MiB plumb builds",
            MAX_STRING_BYTES >> 20
        )));
    }
    Ok(())
}
