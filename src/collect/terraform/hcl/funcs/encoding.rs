//! Encoding functions: base64, JSON, YAML (with an emitter that writes what Terraform's
//! `yamlencode` writes), CSV, URL and text encodings.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::super::error::{EvalError, Result};
use super::super::value::{Attrs, Value, format_number};
use super::Context;
use super::{Category::Encoding as C, Func, err, text, unknown};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("base64decode", C, 1, 1, base64decode),
    Func::new("base64encode", C, 1, 1, base64encode),
    Func::new("base64gzip", C, 1, 1, unknown)
        .note("unknown: the bytes of Go's gzip writer are not reproduced"),
    Func::new("csvdecode", C, 1, 1, csvdecode),
    Func::new("jsondecode", C, 1, 1, jsondecode),
    Func::new("jsonencode", C, 1, 1, jsonencode)
        .nulls_from(0)
        .own_unknowns()
        .note("object keys sorted and `<`, `>`, `&` escaped, as Terraform writes them; unknown if any part is unknown, the structure kept for the inventory"),
    Func::new("textdecodebase64", C, 2, 2, textdecodebase64)
        .note("UTF-8, UTF-16LE, UTF-16BE and ISO-8859-1; other encodings give unknown"),
    Func::new("textencodebase64", C, 2, 2, textencodebase64)
        .note("UTF-8, UTF-16LE, UTF-16BE and ISO-8859-1; other encodings give unknown"),
    Func::new("urlencode", C, 1, 1, urlencode),
    Func::new("yamldecode", C, 1, 1, yamldecode),
    Func::new("yamlencode", C, 1, 1, yamlencode)
        .nulls_from(0)
        .note("unknown if any part is unknown; keys over 128 characters are written as plain keys"),
];

fn base64decode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let bytes = BASE64
        .decode(text(&a[0])?.as_bytes())
        .map_err(|e| EvalError::new(format!("invalid base64: {e}")))?;
    Ok(Value::string(String::from_utf8(bytes).map_err(|_| {
        EvalError::new("the decoded bytes are not UTF-8")
    })?))
}

fn base64encode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::string(BASE64.encode(text(&a[0])?)))
}

fn jsondecode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let j: serde_json::Value = serde_json::from_str(&text(&a[0])?)
        .map_err(|e| EvalError::new(format!("invalid JSON: {e}")))?;
    Ok(Value::from_json(&j))
}

fn jsonencode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    match &a[0] {
        // Unknown as a whole: nothing is known of the text.
        v @ (Value::Unknown(_) | Value::Resource(_)) => return Ok(Value::unknown_of([v])),
        v if !v.is_wholly_known() => return Ok(Value::encoded(v.clone())),
        _ => {}
    }
    let mut out = String::new();
    json_text(&a[0], &mut out);
    Ok(Value::string(out))
}

/// JSON as Terraform's `jsonencode` writes it: no spaces, keys sorted, numbers in decimal
/// without an exponent, and `<`, `>`, `&`, U+2028, U+2029 escaped (Go's HTML-safe encoder).
fn json_text(v: &Value, out: &mut String) {
    match v {
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) if *n == 0.0 && n.is_sign_negative() => out.push_str("-0"),
        Value::Number(n) => out.push_str(&format_number(*n)),
        Value::String(s) => json_string(s, out),
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_text(item, out);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(k, out);
                out.push(':');
                json_text(item, out);
            }
            out.push('}');
        }
        // Unknown parts never get here (the function is unknown then).
        _ => out.push_str("null"),
    }
}

fn json_string(s: &str, out: &mut String) {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    for c in quoted.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

fn urlencode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    const QUERY: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    Ok(Value::string(
        utf8_percent_encode(&text(&a[0])?, QUERY)
            .to_string()
            .replace("%20", "+"),
    ))
}

fn yamldecode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let t = text(&a[0])?;
    let j: serde_json::Value = crate::yaml::from_str(&t)
        .map_err(|e| EvalError::new(format!("invalid YAML: {}", e.message)))?;
    Ok(Value::from_json(&j))
}

/// `csvdecode`: RFC 4180 text with a header line, to a list of maps of strings.
fn csvdecode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let t = text(&a[0])?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(t.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return err(format!("invalid CSV: {e}")),
        None => return err("missing header line"),
    };
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    let mut out = Vec::new();
    for (row, record) in records.enumerate() {
        let record = record.map_err(|e| EvalError::new(format!("invalid CSV: {e}")))?;
        if record.len() != names.len() {
            return err(format!(
                "line {}: {} fields, the header has {}",
                row + 2,
                record.len(),
                names.len()
            ));
        }
        out.push(Value::map(
            names
                .iter()
                .zip(record.iter())
                .map(|(k, v)| (k.clone(), Value::string(v)))
                .collect(),
        ));
    }
    Ok(Value::list(out))
}

/// The text encodings plumb converts, by Terraform's (IANA) names.
#[derive(Clone, Copy)]
enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    Latin1,
}

fn text_encoding(name: &str) -> Option<TextEncoding> {
    match name.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" | "CSUTF8" => Some(TextEncoding::Utf8),
        "UTF-16LE" | "CSUTF16LE" => Some(TextEncoding::Utf16Le),
        "UTF-16BE" | "CSUTF16BE" => Some(TextEncoding::Utf16Be),
        "ISO-8859-1" | "ISO_8859-1" | "LATIN1" | "L1" | "ISO-IR-100" | "CSISOLATIN1" => {
            Some(TextEncoding::Latin1)
        }
        _ => None,
    }
}

fn textencodebase64(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (t, name) = (text(&a[0])?, text(&a[1])?);
    let Some(encoding) = text_encoding(&name) else {
        return Ok(Value::unknown());
    };
    let bytes: Vec<u8> = match encoding {
        TextEncoding::Utf8 => t.into_bytes(),
        TextEncoding::Utf16Le => t.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEncoding::Utf16Be => t.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEncoding::Latin1 => t
            .chars()
            .map(|c| {
                u8::try_from(u32::from(c))
                    .map_err(|_| EvalError::new(format!("{c:?} cannot be encoded in {name}")))
            })
            .collect::<Result<Vec<u8>>>()?,
    };
    Ok(Value::string(BASE64.encode(bytes)))
}

fn textdecodebase64(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (t, name) = (text(&a[0])?, text(&a[1])?);
    let Some(encoding) = text_encoding(&name) else {
        return Ok(Value::unknown());
    };
    let bytes = BASE64
        .decode(t.as_bytes())
        .map_err(|e| EvalError::new(format!("invalid base64: {e}")))?;
    let units = |be: bool| -> Result<String> {
        if bytes.len() % 2 != 0 {
            return err(format!("an odd number of bytes is not {name}"));
        }
        let units = bytes.chunks(2).map(|p| {
            if be {
                u16::from_be_bytes([p[0], p[1]])
            } else {
                u16::from_le_bytes([p[0], p[1]])
            }
        });
        Ok(char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect())
    };
    let decoded = match encoding {
        TextEncoding::Utf8 => String::from_utf8(bytes)
            .map_err(|_| EvalError::new("the decoded bytes are not UTF-8"))?,
        TextEncoding::Utf16Le => units(false)?,
        TextEncoding::Utf16Be => units(true)?,
        TextEncoding::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
    };
    Ok(Value::string(decoded))
}

// ---------------------------------------------------------------- yamlencode

fn yamlencode(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::string(yaml_document(&a[0])))
}

/// Column beyond which a double-quoted string is folded at its next space (go-yaml's
/// `best_width`).
const YAML_WIDTH: usize = 80;

/// A value as one YAML document, as Terraform's `yamlencode` writes it: block style, keys
/// and strings double-quoted, multi-line strings as literal blocks.
pub(super) fn yaml_document(v: &Value) -> String {
    let mut out = Yaml::default();
    match v {
        Value::List(l) if !l.items.is_empty() => out.seq(&l.items, 0, false),
        Value::Map(m) if !m.entries.is_empty() => out.map(&m.entries, 0, false),
        _ => {
            let plain = out.scalar(v, 2);
            out.push('\n');
            // A plain scalar at the root is open-ended: YAML marks the document's end.
            if plain {
                out.text.push_str("...\n");
            }
        }
    }
    out.text
}

#[derive(Default)]
struct Yaml {
    text: String,
    column: usize,
}

impl Yaml {
    fn push(&mut self, c: char) {
        self.text.push(c);
        self.column = if c == '\n' { 0 } else { self.column + 1 };
    }

    fn push_str(&mut self, s: &str) {
        s.chars().for_each(|c| self.push(c));
    }

    fn indent(&mut self, n: usize) {
        (0..n).for_each(|_| self.push(' '));
    }

    /// A block sequence at `indent`; `inline` when its first item follows a `- ` already.
    fn seq(&mut self, items: &[Value], indent: usize, inline: bool) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.push_str("- ");
            self.node(item, indent + 2, true);
        }
    }

    /// A block mapping at `indent`.
    fn map(&mut self, entries: &Attrs, indent: usize, inline: bool) {
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 || !inline {
                self.indent(indent);
            }
            self.double_quoted(k, 0, false);
            self.push(':');
            match v {
                Value::List(l) if !l.items.is_empty() => {
                    self.push('\n');
                    // A sequence in a mapping is not indented further (go-yaml's style).
                    self.seq(&l.items, indent, false);
                }
                Value::Map(m) if !m.entries.is_empty() => {
                    self.push('\n');
                    self.map(&m.entries, indent + 2, false);
                }
                _ => {
                    self.push(' ');
                    self.scalar(v, indent + 2);
                    self.push('\n');
                }
            }
        }
    }

    /// An item of a sequence, after its `- `.
    fn node(&mut self, v: &Value, indent: usize, inline: bool) {
        match v {
            Value::List(l) if !l.items.is_empty() => self.seq(&l.items, indent, inline),
            Value::Map(m) if !m.entries.is_empty() => self.map(&m.entries, indent, inline),
            _ => {
                self.scalar(v, indent);
                self.push('\n');
            }
        }
    }

    /// A scalar or empty collection; `indent` is where continuation lines start. Returns
    /// whether it was written plain.
    fn scalar(&mut self, v: &Value, indent: usize) -> bool {
        match v {
            Value::String(s) if literal_allowed(s) => {
                self.literal(s, indent);
                false
            }
            Value::String(s) => {
                self.double_quoted(s, indent, true);
                false
            }
            Value::List(_) => {
                self.push_str("[]");
                false
            }
            Value::Map(_) => {
                self.push_str("{}");
                false
            }
            Value::Bool(b) => {
                self.push_str(if *b { "true" } else { "false" });
                true
            }
            Value::Number(n) => {
                self.push_str(&format_number(*n));
                true
            }
            _ => {
                self.push_str("null");
                true
            }
        }
    }

    fn literal(&mut self, s: &str, indent: usize) {
        self.push('|');
        if s.starts_with([' ', '\n']) {
            self.push('2');
        }
        if !s.ends_with('\n') {
            self.push('-');
        } else if s.ends_with("\n\n") {
            self.push('+');
        }
        let body = s.strip_suffix('\n').unwrap_or(s);
        for line in body.split('\n') {
            self.push('\n');
            if !line.is_empty() {
                self.indent(indent);
                self.push_str(line);
            }
        }
    }

    fn double_quoted(&mut self, s: &str, indent: usize, allow_breaks: bool) {
        self.push('"');
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        for (i, &c) in chars.iter().enumerate() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > YAML_WIDTH
                    && i != 0
                    && i + 1 != chars.len()
                {
                    self.push('\n');
                    self.indent(indent);
                    if chars.get(i + 1) == Some(&' ') {
                        self.push('\\');
                    }
                } else {
                    self.push(' ');
                }
                spaces = true;
                continue;
            }
            spaces = false;
            if yaml_printable(c) && c != '\n' && c != '"' && c != '\\' {
                self.push(c);
                continue;
            }
            let escape = match c {
                '\0' => "\\0".to_string(),
                '\x07' => "\\a".to_string(),
                '\x08' => "\\b".to_string(),
                '\t' => "\\t".to_string(),
                '\n' => "\\n".to_string(),
                '\x0b' => "\\v".to_string(),
                '\x0c' => "\\f".to_string(),
                '\r' => "\\r".to_string(),
                '\x1b' => "\\e".to_string(),
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                '\u{85}' => "\\N".to_string(),
                '\u{2028}' => "\\L".to_string(),
                '\u{2029}' => "\\P".to_string(),
                c if u32::from(c) <= 0xff => format!("\\x{:02X}", u32::from(c)),
                c if u32::from(c) <= 0xffff => format!("\\u{:04X}", u32::from(c)),
                c => format!("\\U{:08X}", u32::from(c)),
            };
            self.push_str(&escape);
        }
        self.push('"');
    }
}

/// go-yaml's printable characters (it leaves out everything beyond the Basic Multilingual
/// Plane, which it escapes).
fn yaml_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{a0}'..='\u{d7ff}')
        || (('\u{e000}'..='\u{fffd}').contains(&c) && c != '\u{feff}')
}

/// Whether a string goes in a literal block: it has a line break, and nothing a block
/// cannot hold (a space before a break or at the end, characters that must be escaped).
fn literal_allowed(s: &str) -> bool {
    s.contains('\n') && !s.ends_with(' ') && !s.contains(" \n") && s.chars().all(yaml_printable)
}
