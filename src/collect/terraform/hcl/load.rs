//! Reading one module directory: its `.tf` and `.tf.json` files, parsed into a small
//! configuration model that keeps the file and byte span of every block and attribute, with
//! override files merged in and inline suppressions collected.
//!
//! Both syntaxes end up as the same [`Body`] of attributes (holding `hcl-edit` expressions) and
//! nested blocks. The JSON syntax is parsed by the same parser, as an object expression: JSON is
//! almost a subset of HCL's expression syntax, and its strings are templates in Terraform too.

use std::ops::Range;
use std::path::{Path, PathBuf};

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{BlockLabel, Structure};

use super::COLLECTOR;
use super::keys::REPEAT_MARK;
use super::types::Type;
use crate::inventory::{CollectError, Suppression};

/// One configuration file.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as reported (relative to where plumb runs when the scan path was relative).
    pub path: String,
    line_starts: Vec<usize>,
    /// Added to every span offset: the JSON syntax is parsed without its leading whitespace.
    base: usize,
    /// Lines holding only a comment (1-based index into the file's lines).
    comment_only: Vec<bool>,
    /// `plumb:ignore` comments, by line.
    pub suppressions: Vec<(u32, Suppression)>,
}

impl SourceFile {
    fn new(path: String, text: &str, json: bool) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut comment_only = vec![false];
        let mut suppressions = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i as u32 + 1;
            let t = line.trim_start();
            comment_only.push(if json {
                t.starts_with("\"//\"")
            } else {
                t.starts_with('#')
                    || t.starts_with("//")
                    || t.starts_with("/*")
                    || t.starts_with('*')
            });
            for s in ignore_comments(line, json) {
                suppressions.push((
                    n,
                    Suppression {
                        at: Some(format!("{path}:{n}")),
                        ..s
                    },
                ));
            }
        }
        SourceFile {
            path,
            line_starts,
            base: 0,
            comment_only,
            suppressions,
        }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = offset + self.base;
        let i = self.line_starts.partition_point(|&s| s <= offset).max(1) - 1;
        (i as u32 + 1, (offset - self.line_starts[i]) as u32 + 1)
    }

    pub fn line(&self, offset: usize) -> u32 {
        self.line_col(offset).0
    }

    /// The inclusive line span of a byte range.
    pub fn lines(&self, span: &Range<usize>) -> (u32, u32) {
        let start = self.line(span.start);
        let end = self.line(span.end.saturating_sub(1).max(span.start));
        (start, end.max(start))
    }

    /// Suppressions written on the lines of `span`, or on the comment lines directly above it.
    pub fn suppressions_for(&self, span: &Range<usize>) -> Vec<Suppression> {
        let (start, end) = self.lines(span);
        let mut first = start;
        while first > 1 && self.comment_only.get(first as usize - 1) == Some(&true) {
            first -= 1;
        }
        self.suppressions
            .iter()
            .filter(|(line, _)| (first..=end).contains(line))
            .map(|(_, s)| s.clone())
            .collect()
    }
}

/// `plumb:ignore POLICY-ID[,POLICY-ID] reason` in a comment on this line.
fn ignore_comments(line: &str, json: bool) -> Vec<Suppression> {
    const MARK: &str = "plumb:ignore";
    let Some(at) = line.find(MARK) else {
        return Vec::new();
    };
    let before = &line[..at];
    let in_comment = if json {
        before.contains("\"//\"")
    } else {
        comment_start(before).is_some()
    };
    if !in_comment {
        return Vec::new();
    }
    let mut rest = line[at + MARK.len()..].trim();
    if json {
        rest = rest.trim_end_matches(',').trim_end().trim_end_matches('"');
    }
    rest = rest.trim_end_matches("*/").trim();
    let (ids, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    ids.split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| Suppression {
            policy_id: id.trim_end_matches(':').to_string(),
            reason: reason.trim().to_string(),
            at: None,
        })
        .collect()
}

/// Where a comment starts in a line prefix (`#`, `//` or `/*` outside a string literal).
fn comment_start(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'#' if !in_string => return Some(i),
            b'/' if !in_string && matches!(bytes.get(i + 1), Some(b'/' | b'*')) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    // A line inside a /* */ comment block.
    text.trim_start().starts_with('*').then_some(0)
}

/// Where an item was written: a file of the module and a byte span in it.
#[derive(Debug, Clone)]
pub struct At {
    pub file: usize,
    pub span: Range<usize>,
}

/// Attributes and nested blocks, as written.
#[derive(Debug, Default, Clone)]
pub struct Body {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub struct Attr {
    pub name: String,
    pub expr: Expression,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
    pub span: Range<usize>,
}

impl Body {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn blocks<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }

    /// Override semantics: attributes replace attributes of the same name; a nested block type
    /// present in `other` replaces every block of that type.
    fn merge(&mut self, other: Body) {
        for attr in other.attrs {
            match self.attrs.iter_mut().find(|a| a.name == attr.name) {
                Some(a) => *a = attr,
                None => self.attrs.push(attr),
            }
        }
        let kinds: Vec<String> = other.blocks.iter().map(|b| b.kind.clone()).collect();
        self.blocks.retain(|b| !kinds.contains(&b.kind));
        self.blocks.extend(other.blocks);
    }
}

/// A top-level block of a file.
#[derive(Debug, Clone)]
struct TopBlock {
    kind: String,
    labels: Vec<String>,
    body: Body,
    at: At,
}

#[derive(Debug)]
pub struct Variable {
    pub name: String,
    pub ty: Option<Type>,
    pub default: Option<Expression>,
    pub sensitive: bool,
    pub nullable: bool,
    pub at: At,
}

#[derive(Debug)]
pub struct Local {
    pub name: String,
    pub expr: Expression,
    pub at: At,
}

#[derive(Debug)]
pub struct ResourceConfig {
    pub kind: String,
    pub name: String,
    pub body: Body,
    pub at: At,
}

#[derive(Debug)]
pub struct DataConfig {
    pub kind: String,
    pub name: String,
    pub body: Body,
    pub at: At,
}

#[derive(Debug)]
pub struct ModuleCall {
    pub name: String,
    pub source: String,
    pub body: Body,
    pub at: At,
}

#[derive(Debug)]
pub struct Output {
    pub name: String,
    pub expr: Option<Expression>,
    pub sensitive: bool,
    pub at: At,
}

#[derive(Debug)]
pub struct ProviderConfig {
    pub name: String,
    pub alias: Option<String>,
    pub body: Body,
    pub at: At,
}

#[derive(Debug)]
pub struct Backend {
    /// `s3`, `gcs`, ..., or `cloud` for a `cloud` block.
    pub kind: String,
    pub body: Body,
    pub at: At,
}

/// One module directory, read and parsed.
#[derive(Debug, Default)]
pub struct Module {
    pub dir: PathBuf,
    pub files: Vec<SourceFile>,
    pub variables: Vec<Variable>,
    pub locals: Vec<Local>,
    pub resources: Vec<ResourceConfig>,
    pub data: Vec<DataConfig>,
    pub calls: Vec<ModuleCall>,
    pub outputs: Vec<Output>,
    pub providers: Vec<ProviderConfig>,
    pub backend: Option<Backend>,
    /// The first `terraform` block, where an implicit local backend is reported.
    pub terraform_block: Option<At>,
    /// Files that could not be read or parsed, and structural mistakes.
    pub errors: Vec<CollectError>,
}

impl Module {
    pub fn error(&self, at: &At, offset: usize, message: impl Into<String>) -> CollectError {
        let file = &self.files[at.file];
        let (line, column) = file.line_col(offset);
        CollectError {
            collector: COLLECTOR.into(),
            scope: file.path.clone(),
            line: Some(line),
            column: Some(column),
            kinds: Vec::new(),
            message: message.into(),
            warning: false,
        }
    }
}

/// Whether a file name is Terraform configuration (`.tf`, `.tf.json`), ignoring the editor
/// backups and hidden files Terraform ignores too.
pub fn is_config_file(name: &str) -> bool {
    (name.ends_with(".tf") || name.ends_with(".tf.json"))
        && !name.starts_with('.')
        && !name.starts_with('#')
        && !name.ends_with('~')
}

fn is_override(name: &str) -> bool {
    let stem = name
        .strip_suffix(".tf.json")
        .or_else(|| name.strip_suffix(".tf"))
        .unwrap_or(name);
    stem == "override" || stem.ends_with("_override")
}

fn io_error(path: &str, message: String) -> CollectError {
    CollectError {
        collector: COLLECTOR.into(),
        scope: path.to_string(),
        line: None,
        column: None,
        kinds: Vec::new(),
        message,
        warning: false,
    }
}

/// Reads the configuration files of a module directory (or just `only`, a single file).
pub(super) fn read_module(dir: &Path, only: Option<&Path>) -> Module {
    let mut module = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    let mut names: Vec<PathBuf> = match only {
        Some(file) => vec![file.to_path_buf()],
        None => match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .flatten()
                .filter(|e| e.file_type().map(|t| !t.is_dir()).unwrap_or(false))
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(is_config_file)
                })
                .collect(),
            Err(e) => {
                module.errors.push(io_error(
                    &dir.display().to_string(),
                    format!("cannot read module directory: {e}"),
                ));
                Vec::new()
            }
        },
    };
    names.sort();
    let mut primary = Vec::new();
    let mut overrides = Vec::new();
    for path in names {
        let name = path.display().to_string();
        let text = match crate::read::text(&path, crate::read::Limit::Source) {
            Ok(text) => text,
            Err(e) => {
                module.errors.push(io_error(&name, e.to_string()));
                continue;
            }
        };
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let blocks = add_file(&mut module, name, file_name, &text);
        if is_override(file_name) {
            overrides.extend(blocks);
        } else {
            primary.extend(blocks);
        }
    }
    merge_overrides(&mut primary, overrides);
    build(&mut module, primary);
    module
}

/// A module of one configuration file given as text (`name` decides the syntax).
pub(super) fn module_from_text(dir: &Path, name: &str, text: &str) -> Module {
    let mut module = Module {
        dir: dir.to_path_buf(),
        ..Module::default()
    };
    let blocks = add_file(&mut module, name.to_string(), name, text);
    build(&mut module, blocks);
    module
}

/// Parses one file into the module's file list; returns its top-level blocks (none when it
/// does not parse, with the error recorded).
fn add_file(module: &mut Module, path: String, file_name: &str, text: &str) -> Vec<TopBlock> {
    let json = file_name.ends_with(".json");
    let index = module.files.len();
    module.files.push(SourceFile::new(path, text, json));
    let parsed = if json {
        let lead = text.len()
            - text
                .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
                .len();
        module.files[index].base = lead;
        parse_json(text, lead, index)
    } else {
        // A byte order mark is not HCL; offsets of the rest stay relative to the file.
        let body = text.strip_prefix('\u{feff}').unwrap_or(text);
        let bom = text.len() - body.len();
        module.files[index].base = bom;
        parse_native(body, index).map(|(blocks, marked)| {
            // Offsets now refer to the text with repeated keys marked (same lines, longer).
            if let Some(marked) = marked {
                let path = module.files[index].path.clone();
                let mut file = SourceFile::new(path, &format!("{}{marked}", &text[..bom]), false);
                file.base = bom;
                module.files[index] = file;
            }
            blocks
        })
    };
    match parsed {
        Ok(blocks) => blocks,
        Err((offset, message)) => {
            let at = At {
                file: index,
                span: offset..offset,
            };
            let e = module.error(&at, offset, message);
            module.errors.push(e);
            Vec::new()
        }
    }
}

/// Most repeated object keys one file may have before it counts as broken.
const MAX_REPEATS: usize = 256;

/// Parses a body, accepting objects that repeat a key. Terraform takes the last value of a
/// repeated key in an object constructor (`{ port = 80, port = 443 }` is `{ port = 443 }`),
/// while `hcl-edit` refuses the file. Each repeated key is marked where the parser stops (the
/// mark goes on the later occurrence, on the same line, so every line number holds) and the
/// evaluator reads it back as the original key, the later occurrence overwriting the earlier.
/// Returns the marked text too when it marked a key: the body's offsets are offsets into it.
#[allow(clippy::type_complexity)]
fn parse_with_repeats(
    text: &str,
) -> Result<(hcl_edit::structure::Body, Option<String>), hcl_edit::parser::Error> {
    let mut owned: Option<String> = None;
    for n in 0..=MAX_REPEATS {
        let current = owned.as_deref().unwrap_or(text);
        match hcl_edit::parser::parse_body(current) {
            Ok(body) => return Ok((body, owned)),
            Err(e) if n < MAX_REPEATS && e.message().contains("redefined object key") => {
                let loc = e.location();
                let at = offset_of(current, loc.line(), loc.column());
                let Some(end) = key_end(current, at) else {
                    return Err(e);
                };
                let mut next = String::with_capacity(current.len() + 24);
                next.push_str(&current[..end]);
                next.push_str(&format!("{REPEAT_MARK}{n}"));
                next.push_str(&current[end..]);
                owned = Some(next);
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop returns on its last round")
}

/// Where the object key starting at `at` ends (inside the quotes of a quoted key).
fn key_end(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at..)?;
    if let Some(quoted) = rest.strip_prefix('"') {
        return quoted.find('"').map(|i| at + 1 + i);
    }
    let len = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(rest.len());
    (len > 0).then_some(at + len)
}

/// Parses native syntax. Errors carry a byte offset and a message. With the blocks comes the
/// text their offsets refer to, when repeated keys were marked in it.
#[allow(clippy::type_complexity)]
fn parse_native(
    text: &str,
    file: usize,
) -> Result<(Vec<TopBlock>, Option<String>), (usize, String)> {
    let (body, marked) = parse_with_repeats(text).map_err(|e| {
        let loc = e.location();
        (
            offset_of(text, loc.line(), loc.column()),
            e.message().to_string(),
        )
    })?;
    let mut out = Vec::new();
    for structure in body {
        match structure {
            Structure::Block(block) => {
                let span = block.span().unwrap_or(0..0);
                let kind = block.ident.as_str().to_string();
                let labels = block.labels.iter().map(label_text).collect();
                out.push(TopBlock {
                    kind,
                    labels,
                    body: native_body(block.body),
                    at: At { file, span },
                });
            }
            Structure::Attribute(attr) => {
                let span = attr.span().unwrap_or(0..0);
                return Err((
                    span.start,
                    format!(
                        "unexpected attribute `{}` at the top level: a configuration file holds blocks (resource, variable, module, ...)",
                        attr.key.as_str()
                    ),
                ));
            }
        }
    }
    Ok((out, marked))
}

fn label_text(label: &BlockLabel) -> String {
    match label {
        BlockLabel::Ident(i) => i.as_str().to_string(),
        BlockLabel::String(s) => s.value().to_string(),
    }
}

fn native_body(body: hcl_edit::structure::Body) -> Body {
    let mut out = Body::default();
    for structure in body {
        match structure {
            Structure::Attribute(attr) => {
                let span = attr.span().unwrap_or(0..0);
                out.attrs.push(Attr {
                    name: attr.key.as_str().to_string(),
                    expr: attr.value,
                    span,
                });
            }
            Structure::Block(block) => {
                let span = block.span().unwrap_or(0..0);
                out.blocks.push(Block {
                    kind: block.ident.as_str().to_string(),
                    labels: block.labels.iter().map(label_text).collect(),
                    body: native_body(block.body),
                    span,
                });
            }
        }
    }
    out
}

/// Byte offset of a 1-based line and column.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

// ---------------------------------------------------------------- JSON syntax

/// Keys whose object values are maps (attributes), not nested blocks, in the JSON syntax.
/// Without the provider's schema the two look alike; these are the map-typed arguments that
/// policies and tags depend on.
const MAP_ATTRIBUTES: &[&str] = &[
    "tags",
    "tags_all",
    "labels",
    "annotations",
    "variables",
    "parameters",
    "triggers",
    "environment_variables",
    "default",
    "value",
];

/// Block kinds whose JSON form carries one label level (`"dynamic": {"ingress": {...}}`).
const LABELLED: &[&str] = &["dynamic", "provisioner", "backend"];

/// Parses the JSON syntax. `lead` is the length of the leading whitespace, which the
/// expression parser does not accept; offsets in the result are relative to the text after it.
fn parse_json(text: &str, lead: usize, file: usize) -> Result<Vec<TopBlock>, (usize, String)> {
    // Validate as JSON first: the expression parser is more lenient than JSON.
    if let Err(e) =
        serde_json::from_str::<serde::de::IgnoredAny>(text.trim_start_matches('\u{feff}'))
    {
        let offset = offset_of(text, e.line(), e.column()).saturating_sub(lead);
        return Err((offset, format!("invalid JSON: {e}")));
    }
    let body = json_escapes(text[lead..].trim_end());
    let expr = hcl_edit::parser::parse_expr(&body).map_err(|e| {
        let loc = e.location();
        (
            offset_of(&body, loc.line(), loc.column()),
            e.message().to_string(),
        )
    })?;
    let Expression::Object(root) = expr else {
        return Err((0, "a .tf.json file must hold one JSON object".into()));
    };
    let mut out = Vec::new();
    for (key, value) in root {
        let kind = key_text(&key);
        let value = value.into_expr();
        let labels_wanted = match kind.as_str() {
            "resource" | "data" => 2,
            "module" | "variable" | "output" | "provider" => 1,
            "locals" | "terraform" => 0,
            _ => continue,
        };
        json_blocks(&kind, value, labels_wanted, Vec::new(), file, &mut out)?;
    }
    Ok(out)
}

/// JSON escapes HCL strings lack (`\/`, `\b`, `\f`), rewritten as HCL writes them. Lines
/// stay where they are.
fn json_escapes(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("\\/") && !text.contains("\\b") && !text.contains("\\f") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_string = !in_string;
                out.push(c);
            }
            '\\' if in_string => match chars.next() {
                Some('/') => out.push('/'),
                Some('b') => out.push_str("\\u0008"),
                Some('f') => out.push_str("\\u000c"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            _ => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

fn key_text(key: &ObjectKey) -> String {
    match key {
        ObjectKey::Ident(i) => i.as_str().to_string(),
        ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
        ObjectKey::Expression(e) => e.to_string(),
    }
}

fn json_blocks(
    kind: &str,
    value: Expression,
    labels_left: usize,
    labels: Vec<String>,
    file: usize,
    out: &mut Vec<TopBlock>,
) -> Result<(), (usize, String)> {
    let span = value.span().unwrap_or(0..0);
    match value {
        Expression::Object(obj) if labels_left > 0 => {
            for (key, v) in obj {
                let mut l = labels.clone();
                l.push(key_text(&key));
                json_blocks(kind, v.into_expr(), labels_left - 1, l, file, out)?;
            }
            Ok(())
        }
        Expression::Object(obj) => {
            out.push(TopBlock {
                kind: kind.to_string(),
                labels,
                body: json_body(kind, obj),
                at: At { file, span },
            });
            Ok(())
        }
        Expression::Array(items) => {
            for item in items {
                json_blocks(kind, item, labels_left, labels.clone(), file, out)?;
            }
            Ok(())
        }
        _ => Err((
            span.start,
            format!("expected a JSON object for the {kind} block"),
        )),
    }
}

fn json_body(kind: &str, obj: hcl_edit::expr::Object) -> Body {
    let mut body = Body::default();
    // Module inputs, locals and outputs are all attributes, whatever their shape.
    let all_attributes = matches!(kind, "module" | "locals" | "output" | "variable");
    for (key, value) in obj {
        let name = key_text(&key);
        if name == "//" {
            continue;
        }
        let expr = value.into_expr();
        let span = expr.span().unwrap_or(0..0);
        let is_block = !all_attributes
            && !MAP_ATTRIBUTES.contains(&name.as_str())
            && match &expr {
                Expression::Object(_) => true,
                Expression::Array(items) => {
                    !items.is_empty() && items.iter().all(|i| matches!(i, Expression::Object(_)))
                }
                _ => false,
            };
        if !is_block {
            body.attrs.push(Attr { name, expr, span });
            continue;
        }
        let objects: Vec<Expression> = match expr {
            Expression::Array(items) => items.into_iter().collect(),
            other => vec![other],
        };
        for object in objects {
            let Expression::Object(inner) = object else {
                continue;
            };
            if LABELLED.contains(&name.as_str()) {
                for (label, v) in inner {
                    let v = v.into_expr();
                    let span = v.span().unwrap_or(0..0);
                    if let Expression::Object(o) = v {
                        body.blocks.push(Block {
                            kind: name.clone(),
                            labels: vec![key_text(&label)],
                            body: json_body(&name, o),
                            span,
                        });
                    }
                }
            } else {
                body.blocks.push(Block {
                    kind: name.clone(),
                    labels: Vec::new(),
                    body: json_body(&name, inner),
                    span: span.clone(),
                });
            }
        }
    }
    body
}

// ---------------------------------------------------------------- the model

fn merge_overrides(primary: &mut Vec<TopBlock>, overrides: Vec<TopBlock>) {
    for o in overrides {
        if o.kind == "locals" {
            for attr in o.body.attrs {
                let target = primary
                    .iter_mut()
                    .filter(|b| b.kind == "locals")
                    .find(|b| b.body.attrs.iter().any(|a| a.name == attr.name));
                match target {
                    Some(b) => b.body.merge(Body {
                        attrs: vec![attr],
                        blocks: Vec::new(),
                    }),
                    None => primary.push(TopBlock {
                        kind: "locals".into(),
                        labels: Vec::new(),
                        body: Body {
                            attrs: vec![attr],
                            blocks: Vec::new(),
                        },
                        at: o.at.clone(),
                    }),
                }
            }
            continue;
        }
        let same = |b: &&mut TopBlock| {
            b.kind == o.kind
                && if o.kind == "provider" {
                    b.labels == o.labels
                        && b.body.attr("alias").map(|a| a.expr.to_string())
                            == o.body.attr("alias").map(|a| a.expr.to_string())
                } else {
                    b.labels == o.labels
                }
        };
        match primary.iter_mut().find(same) {
            Some(b) => b.body.merge(o.body),
            None => primary.push(o),
        }
    }
}

fn build(module: &mut Module, blocks: Vec<TopBlock>) {
    for b in blocks {
        let want = match b.kind.as_str() {
            "resource" | "data" => 2,
            "module" | "variable" | "output" | "provider" => 1,
            _ => 0,
        };
        if b.labels.len() != want {
            let e = module.error(
                &b.at,
                b.at.span.start,
                format!(
                    "a {} block takes {want} label{}, found {}",
                    b.kind,
                    if want == 1 { "" } else { "s" },
                    b.labels.len()
                ),
            );
            module.errors.push(e);
            continue;
        }
        let mut labels = b.labels.into_iter();
        let mut label = || labels.next().unwrap_or_default();
        match b.kind.as_str() {
            "resource" => module.resources.push(ResourceConfig {
                kind: label(),
                name: label(),
                body: b.body,
                at: b.at,
            }),
            "data" => module.data.push(DataConfig {
                kind: label(),
                name: label(),
                body: b.body,
                at: b.at,
            }),
            "module" => {
                let name = label();
                let source = b
                    .body
                    .attr("source")
                    .and_then(|a| literal_string(&a.expr))
                    .unwrap_or_default();
                if source.is_empty() {
                    let e = module.error(
                        &b.at,
                        b.at.span.start,
                        format!("module \"{name}\" has no source string"),
                    );
                    module.errors.push(e);
                    continue;
                }
                module.calls.push(ModuleCall {
                    name,
                    source,
                    body: b.body,
                    at: b.at,
                });
            }
            "variable" => {
                let name = label();
                let ty = match b.body.attr("type") {
                    Some(attr) => match Type::parse(&attr.expr) {
                        Ok(t) => Some(t),
                        Err(message) => {
                            let e = module.error(&b.at, attr.span.start, message);
                            module.errors.push(e);
                            None
                        }
                    },
                    None => None,
                };
                let flag = |key: &str, default: bool| {
                    b.body
                        .attr(key)
                        .and_then(|a| a.expr.as_bool())
                        .unwrap_or(default)
                };
                module.variables.push(Variable {
                    name,
                    ty,
                    default: b.body.attr("default").map(|a| a.expr.clone()),
                    sensitive: flag("sensitive", false),
                    nullable: flag("nullable", true),
                    at: b.at,
                });
            }
            "locals" => {
                for attr in b.body.attrs {
                    module.locals.push(Local {
                        name: attr.name,
                        expr: attr.expr,
                        at: At {
                            file: b.at.file,
                            span: attr.span,
                        },
                    });
                }
            }
            "output" => module.outputs.push(Output {
                name: label(),
                expr: b.body.attr("value").map(|a| a.expr.clone()),
                sensitive: b
                    .body
                    .attr("sensitive")
                    .and_then(|a| a.expr.as_bool())
                    .unwrap_or(false),
                at: b.at,
            }),
            "provider" => {
                let alias = b.body.attr("alias").and_then(|a| literal_string(&a.expr));
                module.providers.push(ProviderConfig {
                    name: label(),
                    alias,
                    body: b.body,
                    at: b.at,
                });
            }
            "terraform" => {
                if module.terraform_block.is_none() {
                    module.terraform_block = Some(b.at.clone());
                }
                for inner in b.body.blocks {
                    let kind = match (inner.kind.as_str(), inner.labels.first()) {
                        ("backend", Some(kind)) => kind.clone(),
                        ("cloud", _) => "cloud".to_string(),
                        _ => continue,
                    };
                    let at = At {
                        file: b.at.file,
                        span: inner.span.clone(),
                    };
                    if module.backend.is_some() {
                        let e = module.error(
                            &at,
                            at.span.start,
                            "a second backend or cloud block: a root module has at most one",
                        );
                        module.errors.push(e);
                        continue;
                    }
                    module.backend = Some(Backend {
                        kind,
                        body: inner.body,
                        at,
                    });
                }
            }
            // moved, import, removed, check: no resources of their own.
            _ => {}
        }
    }
}

/// A string literal (or a template without interpolations).
pub(super) fn literal_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.value().to_string()),
        Expression::StringTemplate(t) => {
            let mut out = String::new();
            for element in t.iter() {
                out.push_str(element.as_literal()?.as_str());
            }
            Some(out)
        }
        _ => None,
    }
}

/// The provider configuration key a resource uses: its `provider` meta-argument
/// (`aws.west`), else the default configuration of its type's provider (`aws`).
pub(super) fn provider_key(body: &Body, kind: &str) -> String {
    match body.attr("provider").map(|a| &a.expr) {
        Some(expr) => reference_text(expr),
        None => kind.split('_').next().unwrap_or(kind).to_string(),
    }
}

/// `aws.west` from a provider reference expression.
fn reference_text(expr: &Expression) -> String {
    match expr {
        Expression::Variable(v) => v.as_str().to_string(),
        Expression::Traversal(t) => {
            let mut s = match &t.expr {
                Expression::Variable(v) => v.as_str().to_string(),
                other => other.to_string().trim().to_string(),
            };
            for op in t.operators.iter() {
                if let TraversalOperator::GetAttr(a) = op.value() {
                    s.push('.');
                    s.push_str(a.as_str());
                }
            }
            s
        }
        Expression::String(s) => s.value().to_string(),
        other => other.to_string().trim().to_string(),
    }
}

/// The `providers = { aws = aws.west }` of a module call: (name in the child, configuration
/// in the caller).
pub(super) fn passed_providers(call: &ModuleCall) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(Expression::Object(obj)) = call.body.attr("providers").map(|a| &a.expr) {
        for (key, value) in obj.iter() {
            let k = match key {
                ObjectKey::Ident(i) => i.as_str().to_string(),
                ObjectKey::Expression(e) => reference_text(e),
            };
            out.push((k, reference_text(value.expr())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn module_from(files: &[(&str, &str)]) -> Module {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let m = read_module(dir.path(), None);
        drop(dir);
        m
    }

    #[test]
    fn reads_native_and_json_syntax_with_lines() {
        let m = module_from(&[
            (
                "main.tf",
                "variable \"n\" {\n  type = number\n}\n\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n  versioning {\n    enabled = true\n  }\n}\n",
            ),
            (
                "extra.tf.json",
                "{\n  \"resource\": {\n    \"aws_ebs_volume\": {\n      \"v\": {\n        \"size\": 10,\n        \"tags\": {\"Name\": \"v\"},\n        \"ebs_block\": {\"x\": 1}\n      }\n    }\n  }\n}\n",
            ),
        ]);
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert_eq!(m.variables[0].ty, Some(Type::Number));
        let b = m
            .resources
            .iter()
            .find(|r| r.kind == "aws_s3_bucket")
            .unwrap();
        let file = &m.files[b.at.file];
        assert_eq!(file.lines(&b.at.span), (5, 10));
        assert_eq!(file.line(b.body.attr("bucket").unwrap().span.start), 6);
        let v = m
            .resources
            .iter()
            .find(|r| r.kind == "aws_ebs_volume")
            .unwrap();
        assert_eq!(m.files[v.at.file].line(v.at.span.start), 4);
        assert!(v.body.attr("tags").is_some(), "tags is a map attribute");
        assert_eq!(v.body.blocks("ebs_block").count(), 1);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let m = module_from(&[
            (
                "a.tf",
                "\u{feff}resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n}\n",
            ),
            (
                "b.tf.json",
                "\u{feff}{\"resource\": {\"aws_s3_bucket\": {\"c\": {\"bucket\": \"y\"}}}}",
            ),
        ]);
        assert!(m.errors.is_empty(), "{:?}", m.errors);
        assert_eq!(m.resources.len(), 2);
        let a = &m.resources.iter().find(|r| r.name == "b").unwrap();
        assert_eq!(
            m.files[a.at.file].line(a.body.attr("bucket").unwrap().span.start),
            2
        );
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let m = module_from(&[(
            "bad.tf",
            "resource \"a_b\" \"c\" {\n  x = [1,\n  y = 2\n}\n",
        )]);
        let e = &m.errors[0];
        assert_eq!((e.line, e.column), (Some(3), Some(5)), "{e}");
        assert!(e.scope.ends_with("bad.tf"));
    }

    #[test]
    fn override_files_replace_attributes_and_block_types() {
        let m = module_from(&[
            (
                "main.tf",
                "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x\"\n  acl = \"private\"\n  versioning {\n    enabled = false\n  }\n}\nlocals {\n  a = 1\n  b = 2\n}\n",
            ),
            (
                "main_override.tf",
                "resource \"aws_s3_bucket\" \"b\" {\n  acl = \"public-read\"\n  versioning {\n    enabled = true\n  }\n}\nlocals {\n  b = 3\n}\n",
            ),
        ]);
        let b = &m.resources[0];
        assert_eq!(
            b.body.attr("bucket").unwrap().expr.to_string().trim(),
            "\"x\""
        );
        assert_eq!(
            b.body.attr("acl").unwrap().expr.to_string().trim(),
            "\"public-read\""
        );
        assert_eq!(b.body.blocks("versioning").count(), 1);
        let b_local = m.locals.iter().find(|l| l.name == "b").unwrap();
        assert_eq!(b_local.expr.to_string().trim(), "3");
    }

    #[test]
    fn finds_ignore_comments_outside_strings() {
        let s = ignore_comments(
            r#"  acl = "public-read" # plumb:ignore PLB-S3-003 website"#,
            false,
        );
        assert_eq!(s[0].policy_id, "PLB-S3-003");
        assert_eq!(s[0].reason, "website");
        assert!(ignore_comments(r##"  x = "# plumb:ignore PLB-1 no""##, false).is_empty());
        let s = ignore_comments("// plumb:ignore PLB-A,PLB-B shared reason", false);
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].reason, "shared reason");
        let s = ignore_comments(r#"  "//": "plumb:ignore PLB-X why","#, true);
        assert_eq!(
            (s[0].policy_id.as_str(), s[0].reason.as_str()),
            ("PLB-X", "why")
        );
    }
}
