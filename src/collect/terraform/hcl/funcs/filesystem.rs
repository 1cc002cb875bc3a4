//! Filesystem functions. Paths are relative to the root module's directory (Terraform's
//! working directory, which is why modules write `"${path.module}/x"`), and only files inside
//! the scanned directories are read (see [`super::super::files::Files`]).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::super::error::{EvalError, MAX_ELEMENTS, Result};
use super::super::value::Value;
use super::Context;
use super::{Category::Filesystem as C, Func, entries, string_list, text, unknown};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("abspath", C, 1, 1, unknown).note("unknown: depends on the machine"),
    Func::new("basename", C, 1, 1, basename),
    Func::new("dirname", C, 1, 1, dirname),
    Func::new("file", C, 1, 1, file).note(
        "all file functions: paths relative to the root module, files inside the scanned directories only",
    ),
    Func::new("filebase64", C, 1, 1, filebase64),
    Func::new("fileexists", C, 1, 1, fileexists),
    Func::new("fileset", C, 2, 2, fileset).note("patterns `*`, `**`, `?`"),
    Func::new("pathexpand", C, 1, 1, unknown).note("unknown: depends on the machine"),
    Func::new("templatefile", C, 2, 2, templatefile).shallow(),
];

/// The bytes of a file a file function names.
pub(super) fn read(path: &Value, ev: &dyn Context) -> Result<Vec<u8>> {
    ev.files().read(&text(path)?).map_err(EvalError::new)
}

/// Go's `filepath.Base`: the last element, `/` for the root, `.` for nothing.
fn base(t: &str) -> &str {
    if t.is_empty() {
        return ".";
    }
    let trimmed = t.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed)
}

/// Go's `filepath.Dir`: all but the last element, cleaned.
fn dir(t: &str) -> String {
    let head = match t.rfind('/') {
        Some(i) => &t[..=i],
        None => "",
    };
    clean(head)
}

/// Go's `filepath.Clean`: no empty or `.` elements, `..` resolved where it can be.
fn clean(t: &str) -> String {
    let rooted = t.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in t.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if rooted => {}
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn basename(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::string(base(&text(&a[0])?)))
}

fn dirname(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::string(dir(&text(&a[0])?)))
}

fn file(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    let bytes = read(&a[0], ev)?;
    Ok(Value::string(String::from_utf8(bytes).map_err(|_| {
        EvalError::new("the file is not UTF-8 text; use filebase64")
    })?))
}

fn filebase64(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    Ok(Value::string(BASE64.encode(read(&a[0], ev)?)))
}

fn fileexists(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    Ok(Value::Bool(
        ev.files().exists(&text(&a[0])?).map_err(EvalError::new)?,
    ))
}

fn templatefile(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    let path = text(&a[0])?;
    let bytes = read(&a[0], ev)?;
    let t = String::from_utf8(bytes)
        .map_err(|_| EvalError::new(format!("{path} is not UTF-8 text")))?;
    let vars = entries(&a[1])?.clone();
    ev.template_file(&t, &vars)
        .map_err(|e| EvalError::new(format!("{path}: {}", e.message)))
}

/// `fileset(path, pattern)`: files under `path` (relative to the root module) whose path
/// relative to it matches `pattern`.
fn fileset(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    let (path, pattern) = (text(&a[0])?, text(&a[1])?);
    let files = ev.files();
    if !files.exists(&path).unwrap_or(false) && !files.base.join(&path).is_dir() {
        return Ok(Value::list(Vec::new()));
    }
    let dir = files.base.join(&path);
    // Reading a directory listing is as sensitive as reading a file: same boundary.
    files.exists(&path).map_err(EvalError::new)?;
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&dir)
        .sort_by_file_name()
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .take(MAX_ELEMENTS)
    {
        if let Ok(rel) = entry.path().strip_prefix(&dir) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            if glob_match(pattern.as_bytes(), rel.as_bytes()) {
                out.push(rel);
            }
        }
    }
    Ok(string_list(out))
}

/// Glob matching with `*` (within a path segment), `**` (any segments) and `?`.
pub(super) fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        // A final `**` matches whatever is left, at any depth.
        (Some(b'*'), _) if p == b"**" => true,
        (Some(b'*'), _) if p.get(1) == Some(&b'*') => {
            let rest = p[2..].strip_prefix(b"/").unwrap_or(&p[2..]);
            (0..=s.len()).any(|i| (i == 0 || s[i - 1] == b'/') && glob_match(rest, &s[i..]))
                || glob_match(&p[2..], s)
        }
        (Some(b'*'), _) => (0..=s.len())
            .take_while(|&i| i == 0 || s[i - 1] != b'/')
            .any(|i| glob_match(&p[1..], &s[i..])),
        (Some(b'?'), Some(c)) if *c != b'/' => glob_match(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob_match(&p[1..], &s[1..]),
        _ => false,
    }
}
