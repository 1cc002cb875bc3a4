//! Redaction of source text shown to people (console excerpts): every value assigned to a
//! secret-named key is masked by its byte span, wherever on a line the assignment sits
//! (`master = { password = "…" }`), and however many lines the value spans (a heredoc body,
//! a YAML block scalar, a PEM block). Lines are kept: a value over several lines becomes one
//! marker per line, so line numbers still point where they did.

use super::{is_secret_name, marker, token_shapes};

/// `text` with every secret value masked; the number of lines is unchanged.
pub(crate) fn redact_source(text: &str) -> String {
    let mut spans = assignments(text);
    spans.extend(token_shapes().find_iter(text).map(|m| (m.start(), m.end())));
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        // Overlapping spans: mask only the part not yet masked.
        if end <= at {
            continue;
        }
        let start = start.max(at);
        out.push_str(&text[at..start]);
        let secret = &text[start..end];
        let pieces: Vec<String> = secret
            .split('\n')
            .map(|piece| {
                if piece.trim().is_empty() {
                    piece.to_string()
                } else {
                    marker(piece)
                }
            })
            .collect();
        out.push_str(&pieces.join("\n"));
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Byte spans of the values assigned to secret-named keys.
fn assignments(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    // A `name = "DB_PASSWORD"` seen: the next `value` key is a secret.
    let mut named_secret = false;
    while i < b.len() {
        let Some((key, after_key)) = key_at(text, i) else {
            i += 1;
            continue;
        };
        let Some(value_at) = assignment_value(b, after_key) else {
            i = after_key.max(i + 1);
            continue;
        };
        // Only the values that matter are measured: the rest of the text is crossed once.
        if key == "name" {
            let (vs, ve) = value_span(text, value_at, i);
            named_secret = is_secret_name(text[vs..ve].trim_matches(['"', '\'']));
        } else if is_secret_name(key) || (named_secret && key == "value") {
            let (vs, ve) = value_span(text, value_at, i);
            named_secret = false;
            if vs < ve {
                spans.push((vs, ve));
            }
            i = ve.max(after_key);
            continue;
        }
        i = after_key;
    }
    spans
}

/// A key starting at `i` in key position (after a line start, `{`, `,`, `- ` or
/// whitespace): a bare identifier or a quoted one. Returns the key and the offset after it.
fn key_at(text: &str, i: usize) -> Option<(&str, usize)> {
    let b = text.as_bytes();
    if i > 0 && !matches!(b[i - 1], b' ' | b'\t' | b'\n' | b'{' | b',' | b'(' | b'[') {
        return None;
    }
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.';
    match b[i] {
        q @ (b'"' | b'\'') => {
            let end = i + 1 + b[i + 1..].iter().position(|&c| c == q || c == b'\n')?;
            (b.get(end) == Some(&q)).then(|| (&text[i + 1..end], end + 1))
        }
        c if c.is_ascii_alphabetic() || c == b'_' => {
            let end = i + b[i..]
                .iter()
                .position(|&c| !ident(c))
                .unwrap_or(b.len() - i);
            Some((&text[i..end], end))
        }
        _ => None,
    }
}

/// After a key: optional blanks, `=` (not `==` / `=>`) or `:` followed by a blank or line
/// end; returns where the value starts (blanks skipped).
fn assignment_value(b: &[u8], mut j: usize) -> Option<usize> {
    while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
        j += 1;
    }
    match b.get(j)? {
        b'=' if !matches!(b.get(j + 1), Some(b'=' | b'>' | b'~')) => j += 1,
        b':' if matches!(
            b.get(j + 1),
            None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'"')
        ) =>
        {
            j += 1;
        }
        _ => return None,
    }
    while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
        j += 1;
    }
    Some(j)
}

/// The span of the value starting at `j`; `key_start` gives the key line's indentation for
/// YAML block scalars. An object or list opener is not a value (its own keys are looked at).
fn value_span(text: &str, j: usize, key_start: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let line_end = |from: usize| {
        b[from..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(b.len(), |p| from + p)
    };
    match b.get(j) {
        None | Some(b'\n' | b'\r' | b'{' | b'[') => (j, j),
        Some(b'"') => (j, quoted_end(b, j)),
        Some(b'\'') => {
            let end = b[j + 1..]
                .iter()
                .position(|&c| c == b'\'' || c == b'\n')
                .map_or(line_end(j), |p| j + 2 + p);
            (j, end.min(b.len()))
        }
        Some(b'<') if b.get(j + 1) == Some(&b'<') => heredoc(text, j),
        Some(b'|' | b'>') => block_scalar(text, j, key_start),
        Some(_) => {
            // A bare value: to the end of the line, or of the flow item on a `{ ... }` line.
            let end = line_end(j);
            let line_start = text[..j].rfind('\n').map_or(0, |p| p + 1);
            let in_flow = text[line_start..j].contains('{');
            let stop = if in_flow {
                b[j..end]
                    .iter()
                    .position(|&c| matches!(c, b',' | b'}' | b']'))
                    .map_or(end, |p| j + p)
            } else {
                end
            };
            let value = text[j..stop].trim_end();
            (j, j + value.len())
        }
    }
}

/// The end of a double-quoted string starting at `j` (after its closing quote), honouring
/// backslash escapes and HCL `${ ... }` interpolations; at most to the line end.
fn quoted_end(b: &[u8], j: usize) -> usize {
    let mut k = j + 1;
    let mut depth = 0usize;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 1,
            b'$' if b.get(k + 1) == Some(&b'{') => {
                depth += 1;
                k += 1;
            }
            b'}' if depth > 0 => depth -= 1,
            b'"' if depth == 0 => return k + 1,
            b'\n' if depth == 0 => return k,
            _ => {}
        }
        k += 1;
    }
    b.len()
}

/// `<<EOT` / `<<-EOT`: the body, from the line after the opener to before the terminator.
fn heredoc(text: &str, j: usize) -> (usize, usize) {
    let rest = &text[j + 2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let Some(nl) = text[j..].find('\n') else {
        return (j, j);
    };
    let body = j + nl + 1;
    if word.is_empty() {
        return (body, body);
    }
    let mut at = body;
    for line in text[body..].split_inclusive('\n') {
        if line.trim() == word {
            // Up to the newline before the terminator line.
            return (body, at.saturating_sub(1).max(body));
        }
        at += line.len();
    }
    (body, text.len())
}

/// A YAML `|` / `>` block scalar: the following lines indented deeper than the key's line.
fn block_scalar(text: &str, j: usize, key_start: usize) -> (usize, usize) {
    let line_start = text[..key_start].rfind('\n').map_or(0, |p| p + 1);
    let indent = text[line_start..]
        .bytes()
        .take_while(|&c| c == b' ')
        .count();
    let Some(nl) = text[j..].find('\n') else {
        return (j, j);
    };
    let body = j + nl + 1;
    let mut end = body;
    for line in text[body..].split_inclusive('\n') {
        let deeper = line.bytes().take_while(|&c| c == b' ').count() > indent;
        if !(deeper || line.trim().is_empty()) {
            break;
        }
        end += line.len();
    }
    // Up to the last line's newline, or the end of a text without one.
    let end = if text[..end].ends_with('\n') {
        end - 1
    } else {
        end
    };
    (body, end.max(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_span_wherever_the_value_is() {
        let hcl = "resource \"x\" \"y\" {\n  master = { password = \"canary-1\", user = \"admin\" }\n  password = <<EOT\ncanary-2\ncanary-3\nEOT\n  name = \"ok\"\n}\n";
        let out = redact_source(hcl);
        assert!(!out.contains("canary"), "{out}");
        assert!(out.contains("user = \"admin\""), "{out}");
        assert!(out.contains("name = \"ok\""), "{out}");
        assert_eq!(out.lines().count(), hcl.lines().count());
        assert!(out.contains("EOT\n  name"), "{out}");
    }

    #[test]
    fn masks_yaml_json_and_named_values() {
        let yaml = "env:\n  - name: AWS_SECRET_ACCESS_KEY\n    value: canary-4\n  - name: MODE\n    value: prod\nprivate_key: |\n  canary-5\n  canary-6\nnext: 1\n";
        let out = redact_source(yaml);
        assert!(!out.contains("canary"), "{out}");
        assert!(
            out.contains("value: prod") && out.contains("next: 1"),
            "{out}"
        );
        let json = r#"{"a": 1, "db_password": "canary-7", "b": "keep"}"#;
        let out = redact_source(json);
        assert!(!out.contains("canary") && out.contains("\"keep\""), "{out}");
        let long = format!("{}_password = \"canary-8\"", "x".repeat(80));
        assert!(!redact_source(&long).contains("canary"));
        // A block scalar that ends the text, with no newline after it: its last byte too.
        let out = redact_source("private_key: |\n  canary-9");
        assert!(!out.contains("canary") && !out.ends_with('9'), "{out}");
    }

    #[test]
    fn keeps_comparisons_and_structure() {
        let src = "  count = var.password == \"\" ? 0 : 1\n  password = {\n    inner = 1\n  }\n";
        let out = redact_source(src);
        assert!(out.contains("inner = 1"), "{out}");
        assert!(out.contains("password = {"), "{out}");
    }
}
