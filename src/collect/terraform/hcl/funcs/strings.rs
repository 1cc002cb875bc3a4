//! String functions, with `format`'s implementation of Go's `fmt` verbs.

use super::super::error::{EvalError, Result, string_fits};
use super::super::value::{Value, format_number};
use super::Context;
use super::{
    Category::String as C, Func, VARIADIC, boolean, entries, err, hex, int, items, num,
    string_list, text,
};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("chomp", C, 1, 1, chomp),
    Func::new("endswith", C, 2, 2, endswith),
    Func::new("format", C, 1, VARIADIC, format_fn)
        .nulls_from(1)
        .note("verbs %v %s %q %d %f %e %g %t %x %X %o %b, flags, width, precision, %[n]; a null argument gives unknown, as in Terraform"),
    Func::new("formatlist", C, 1, VARIADIC, formatlist).shallow().nulls_from(1),
    Func::new("indent", C, 2, 2, indent),
    Func::new("join", C, 2, VARIADIC, join),
    Func::new("lower", C, 1, 1, lower),
    Func::new("regex", C, 2, 2, regex_fn)
        .note("Rust `regex` syntax, which matches RE2's for ordinary patterns"),
    Func::new("regexall", C, 2, 2, regexall),
    Func::new("replace", C, 3, 3, replace).note("`/pattern/` substrings as regex"),
    Func::new("split", C, 2, 2, split),
    Func::new("startswith", C, 2, 2, startswith),
    Func::new("strcontains", C, 2, 2, strcontains),
    Func::new("strrev", C, 1, 1, strrev),
    Func::new("substr", C, 3, 3, substr)
        .note("counts Unicode scalar values, not grapheme clusters"),
    Func::new("templatestring", C, 2, 2, templatestring)
        .shallow()
        .note("any string is a template (Terraform wants a direct reference to one)"),
    Func::new("title", C, 1, 1, title),
    Func::new("trim", C, 2, 2, trim),
    Func::new("trimprefix", C, 2, 2, trimprefix),
    Func::new("trimspace", C, 1, 1, trimspace),
    Func::new("trimsuffix", C, 2, 2, trimsuffix),
    Func::new("upper", C, 1, 1, upper),
];

fn s(v: impl Into<std::sync::Arc<str>>) -> Result<Value> {
    Ok(Value::String(v.into()))
}

fn chomp(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    s(text(&a[0])?.trim_end_matches(['\n', '\r']))
}

fn startswith(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::Bool(text(&a[0])?.starts_with(&text(&a[1])?)))
}

fn endswith(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::Bool(text(&a[0])?.ends_with(&text(&a[1])?)))
}

fn strcontains(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::Bool(text(&a[0])?.contains(&text(&a[1])?)))
}

fn format_fn(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    // Terraform formats a null argument as unknown rather than failing.
    if a[1..].iter().any(Value::is_null) {
        return Ok(Value::unknown());
    }
    s(format(&text(&a[0])?, &a[1..])?)
}

fn formatlist(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    if a[1..].iter().any(Value::is_null) {
        return Ok(Value::unknown());
    }
    let fmt = text(&a[0])?;
    let mut len = None;
    for v in &a[1..] {
        if let Some(l) = v.as_list() {
            match len {
                Some(n) if n != l.len() => {
                    return err("all list arguments must have the same length");
                }
                _ => len = Some(l.len()),
            }
        }
    }
    let len = len.unwrap_or(1);
    let mut out = Vec::with_capacity(len);
    for i in 0..len {
        let row: Vec<Value> = a[1..]
            .iter()
            .map(|v| match v.as_list() {
                Some(l) => l[i].clone(),
                None => v.clone(),
            })
            .collect();
        // An unknown element makes its own line unknown, not the list.
        if row.iter().any(|v| !v.is_wholly_known()) {
            out.push(Value::unknown_of(&row));
        } else {
            out.push(Value::string(format(&fmt, &row)?));
        }
    }
    Ok(Value::list(out))
}

fn indent(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let pad = " ".repeat(int(&a[0])?.clamp(0, 1024) as usize);
    let t = text(&a[1])?;
    let mut out = String::new();
    for (i, line) in t.split('\n').enumerate() {
        // Every line after the first, even an empty one, as Terraform pads them.
        if i > 0 {
            out.push('\n');
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    s(out)
}

fn join(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let sep = text(&a[0])?;
    let mut parts = Vec::new();
    for list in &a[1..] {
        for v in items(list)? {
            if v.is_null() {
                return err("cannot join a null element");
            }
            parts.push(text(v)?);
        }
    }
    let joined =
        parts.iter().map(String::len).sum::<usize>() + sep.len() * parts.len().saturating_sub(1);
    string_fits(joined)?;
    s(parts.join(&sep))
}

fn lower(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    s(text(&a[0])?.to_lowercase())
}

fn upper(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    s(text(&a[0])?.to_uppercase())
}

fn title(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let mut out = String::new();
    let mut start = true;
    for c in text(&a[0])?.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    s(out)
}

pub(super) fn regex(pattern: &str) -> Result<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| EvalError::new(format!("invalid regular expression {pattern:?}: {e}")))
}

/// One match as Terraform returns it: the string, a map of named groups, or a list of groups.
fn capture(re: &regex::Regex, caps: regex::Captures<'_>) -> Value {
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    let group = |m: Option<regex::Match<'_>>| m.map_or(Value::Null, |m| Value::string(m.as_str()));
    if names.is_empty() {
        Value::string(caps.get(0).map_or("", |m| m.as_str()))
    } else if names.iter().all(Option::is_some) {
        Value::map(
            names
                .iter()
                .flatten()
                .map(|n| (n.to_string(), group(caps.name(n))))
                .collect(),
        )
    } else {
        Value::list((1..caps.len()).map(|i| group(caps.get(i))).collect())
    }
}

fn regex_fn(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let re = regex(&text(&a[0])?)?;
    let subject = text(&a[1])?;
    match re.captures(&subject) {
        Some(c) => Ok(capture(&re, c)),
        None => err(format!("pattern did not match {subject:?}")),
    }
}

fn regexall(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let re = regex(&text(&a[0])?)?;
    let subject = text(&a[1])?;
    Ok(Value::list(
        re.captures_iter(&subject)
            .map(|c| capture(&re, c))
            .collect(),
    ))
}

fn replace(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (subject, search, with) = (text(&a[0])?, text(&a[1])?, text(&a[2])?);
    if search.len() > 1 && search.starts_with('/') && search.ends_with('/') {
        let re = regex(&search[1..search.len() - 1])?;
        // Matches do not overlap, so each `$n` the replacement names brings back at most the
        // subject's length over all matches together.
        let matches = re.find_iter(&subject).count();
        let groups = with.matches('$').count();
        string_fits(
            subject.len()
                + matches.saturating_mul(with.len())
                + groups.saturating_mul(subject.len()),
        )?;
        s(re.replace_all(&subject, with.as_str()).into_owned())
    } else if search.is_empty() {
        s(subject)
    } else {
        let matches = subject.matches(search.as_str()).count();
        string_fits(subject.len() + matches.saturating_mul(with.len()))?;
        s(subject.replace(&search, &with))
    }
}

fn split(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (sep, t) = (text(&a[0])?, text(&a[1])?);
    Ok(if sep.is_empty() {
        string_list(t.chars().map(String::from))
    } else {
        string_list(t.split(sep.as_str()).map(str::to_string))
    })
}

fn strrev(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    s(text(&a[0])?.chars().rev().collect::<String>())
}

fn substr(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let chars: Vec<char> = text(&a[0])?.chars().collect();
    let len = chars.len() as i64;
    let mut offset = int(&a[1])?;
    let length = int(&a[2])?;
    if offset < 0 {
        offset += len;
    }
    if offset < 0 || offset > len {
        return err("offset out of range");
    }
    let end = if length < 0 {
        len
    } else {
        offset.saturating_add(length).min(len)
    };
    s(chars[offset as usize..end as usize]
        .iter()
        .collect::<String>())
}

fn templatestring(a: &[Value], ev: &mut dyn Context) -> Result<Value> {
    let vars = entries(&a[1])?.clone();
    ev.template_file(&text(&a[0])?, &vars)
}

fn trim(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let cut: Vec<char> = text(&a[1])?.chars().collect();
    s(text(&a[0])?.trim_matches(|c| cut.contains(&c)))
}

fn trimprefix(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (t, p) = (text(&a[0])?, text(&a[1])?);
    s(t.strip_prefix(p.as_str()).unwrap_or(&t))
}

fn trimsuffix(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (t, p) = (text(&a[0])?, text(&a[1])?);
    s(t.strip_suffix(p.as_str()).unwrap_or(&t))
}

fn trimspace(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    s(text(&a[0])?.trim())
}

// ---------------------------------------------------------------- format

/// Widest padding and longest precision `format` honours.
const MAX_WIDTH: usize = 4096;

/// Terraform's `format`, which follows Go's `fmt` verbs.
fn format(fmt: &str, args: &[Value]) -> Result<String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut next = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let (mut minus, mut plus, mut space, mut zero, mut sharp) =
            (false, false, false, false, false);
        while let Some(c) = chars.get(i) {
            match c {
                '-' => minus = true,
                '+' => plus = true,
                ' ' => space = true,
                '0' => zero = true,
                '#' => sharp = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..]
                .iter()
                .position(|c| *c == ']')
                .ok_or_else(|| EvalError::new("unclosed [ in format"))?;
            let index: String = chars[i + 1..i + close].iter().collect();
            next = index
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or_else(|| EvalError::new(format!("invalid argument index [{index}]")))?
                - 1;
            i += close + 1;
        }
        let mut width = String::new();
        while let Some(c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
            width.push(*c);
            i += 1;
        }
        let mut precision: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = String::new();
            while let Some(c) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                p.push(*c);
                i += 1;
            }
            precision = Some(p.parse::<usize>().unwrap_or(0).min(MAX_WIDTH));
        }
        let verb = *chars
            .get(i)
            .ok_or_else(|| EvalError::new("format ends in the middle of a verb"))?;
        i += 1;
        let arg = args.get(next).ok_or_else(|| {
            EvalError::new(format!(
                "not enough arguments for the format (verb %{verb})"
            ))
        })?;
        next += 1;
        let numeric = matches!(
            verb,
            'd' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b'
        ) && !(matches!(verb, 'x' | 'X')
            && arg.as_str().is_some_and(|s| s.parse::<f64>().is_err()));
        let mut body = match verb {
            'v' => match arg {
                Value::List(_) | Value::Map(_) => {
                    serde_json::to_string(&arg.to_plain_json().unwrap_or_default())
                        .unwrap_or_default()
                }
                Value::Null => "null".into(),
                other => text(other)?,
            },
            's' => text(arg)?,
            'q' => serde_json::to_string(&text(arg)?).unwrap_or_default(),
            't' => boolean(arg)?.to_string(),
            'd' => int(arg)?.abs().to_string(),
            'f' | 'F' => format!("{:.*}", precision.unwrap_or(6), num(arg)?.abs()),
            'e' | 'E' => {
                let s = go_exp(num(arg)?.abs(), precision.unwrap_or(6));
                if verb == 'E' { s.to_uppercase() } else { s }
            }
            'g' | 'G' => match precision {
                Some(p) => format!("{:.*}", p, num(arg)?.abs()),
                None => format_number(num(arg)?.abs()),
            },
            'x' | 'X' if !numeric => {
                let h = hex(text(arg)?.as_bytes());
                if verb == 'X' { h.to_uppercase() } else { h }
            }
            'x' => format!("{:x}", int(arg)?.unsigned_abs()),
            'X' => format!("{:X}", int(arg)?.unsigned_abs()),
            'o' => format!("{:o}", int(arg)?.unsigned_abs()),
            'b' => format!("{:b}", int(arg)?.unsigned_abs()),
            other => return err(format!("unsupported format verb %{other}")),
        };
        if numeric {
            let negative = num(arg)? < 0.0;
            if sharp {
                match verb {
                    'x' => body.insert_str(0, "0x"),
                    'X' => body.insert_str(0, "0X"),
                    'o' => body.insert(0, '0'),
                    _ => {}
                }
            }
            let sign = if negative {
                "-"
            } else if plus {
                "+"
            } else if space {
                " "
            } else {
                ""
            };
            let w: usize = width.parse::<usize>().unwrap_or(0).min(MAX_WIDTH);
            if zero && !minus && body.len() + sign.len() < w {
                body = "0".repeat(w - body.len() - sign.len()) + &body;
            }
            body.insert_str(0, sign);
        } else if let Some(p) = precision
            && matches!(verb, 's' | 'v')
        {
            body = body.chars().take(p).collect();
        }
        let w: usize = width.parse::<usize>().unwrap_or(0).min(MAX_WIDTH);
        let len = body.chars().count();
        if len < w {
            let pad = " ".repeat(w - len);
            body = if minus { body + &pad } else { pad + &body };
        }
        out.push_str(&body);
    }
    Ok(out)
}

/// `%e` as Go writes it: `1.500000e+03`.
fn go_exp(x: f64, precision: usize) -> String {
    let s = format!("{:.*e}", precision, x);
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let e: i32 = exp.parse().unwrap_or(0);
            format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
        }
        None => s,
    }
}
