//! Date and time functions over RFC 3339 timestamps. `timestamp()` and `plantimestamp()`
//! are unknown: a scan runs before any plan or apply.

use chrono::{DateTime, Datelike, Duration, FixedOffset, Timelike};

use super::super::error::{EvalError, Result};
use super::super::value::Value;
use super::Context;
use super::{Category::DateTime as C, Func, Known, err, text, unknown};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("formatdate", C, 2, 2, formatdate),
    Func::new("plantimestamp", C, 0, 0, unknown).known(Known::AtPlan),
    Func::new("timeadd", C, 2, 2, timeadd),
    Func::new("timecmp", C, 2, 2, timecmp),
    Func::new("timestamp", C, 0, 0, unknown).known(Known::AtApply),
];

/// An RFC 3339 timestamp, as strictly as Terraform reads one (`T` and `Z` in capitals).
fn timestamp(v: &Value) -> Result<DateTime<FixedOffset>> {
    let t = text(v)?;
    if t.as_bytes().get(10) != Some(&b'T') || t.ends_with('z') {
        return err(format!(
            "{t:?} is not a valid RFC 3339 timestamp: the time introducer 'T' is missing"
        ));
    }
    DateTime::parse_from_rfc3339(&t)
        .map_err(|e| EvalError::new(format!("{t:?} is not a valid RFC 3339 timestamp: {e}")))
}

/// The timestamp as Go's `time.RFC3339` writes it: whole seconds, `Z` for a zero offset.
fn rfc3339(t: &DateTime<FixedOffset>) -> String {
    let offset = t.offset().local_minus_utc();
    let zone = if offset == 0 {
        "Z".to_string()
    } else {
        zone_offset(offset, true)
    };
    format!("{}{zone}", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// `-08:00` (with `colon`) or `-0800`.
fn zone_offset(seconds: i32, colon: bool) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let m = seconds.unsigned_abs() / 60;
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", m / 60, m % 60)
}

fn timecmp(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let (x, y) = (timestamp(&a[0])?, timestamp(&a[1])?);
    Ok(Value::Number(match x.cmp(&y) {
        std::cmp::Ordering::Less => -1.0,
        std::cmp::Ordering::Equal => 0.0,
        std::cmp::Ordering::Greater => 1.0,
    }))
}

fn timeadd(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let t = timestamp(&a[0])?;
    let d = duration(&text(&a[1])?)?;
    let sum = t
        .checked_add_signed(d)
        .ok_or_else(|| EvalError::new("the result is out of range"))?;
    Ok(Value::string(rfc3339(&sum)))
}

/// A Go duration (`1h30m`, `-1.5h`, `300ms`).
fn duration(s: &str) -> Result<Duration> {
    let bad = || EvalError::new(format!("invalid duration {s:?}"));
    let (negative, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Ok(Duration::zero());
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| EvalError::new(format!("missing unit in duration {s:?}")))?;
        let n: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            unit => return err(format!("unknown unit {unit:?} in duration {s:?}")),
        };
        nanos += n * scale;
        rest = &rest[unit_len..];
    }
    if nanos > i64::MAX as f64 {
        return Err(bad());
    }
    let d = Duration::nanoseconds(nanos.round() as i64);
    Ok(if negative { -d } else { d })
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `formatdate(spec, timestamp)`, Terraform's own date format language.
fn formatdate(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let spec: Vec<char> = text(&a[0])?.chars().collect();
    let t = timestamp(&a[1])?;
    let mut out = String::new();
    let mut i = 0;
    while i < spec.len() {
        let c = spec[i];
        if c == '\'' {
            // 'literal text', with '' for a quote.
            if spec.get(i + 1) == Some(&'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            let mut j = i + 1;
            loop {
                match spec.get(j) {
                    None => return err("unterminated literal '"),
                    Some('\'') if spec.get(j + 1) == Some(&'\'') => {
                        out.push('\'');
                        j += 2;
                    }
                    Some('\'') => break,
                    Some(ch) => {
                        out.push(*ch);
                        j += 1;
                    }
                }
            }
            i = j + 1;
            continue;
        }
        if !c.is_alphabetic() {
            out.push(c);
            i += 1;
            continue;
        }
        let run = spec[i..].iter().take_while(|&&x| x == c).count();
        let verb: String = spec[i..i + run].iter().collect();
        i += run;
        let hour12 = match t.hour() % 12 {
            0 => 12,
            h => h,
        };
        let offset = t.offset().local_minus_utc();
        let piece = match (c, run) {
            ('Y', 4) => format!("{:04}", t.year()),
            ('Y', 2) => format!("{:02}", t.year().rem_euclid(100)),
            ('Y', _) => {
                return err(format!(
                    "invalid date format verb {verb:?}: year must either be \"YY\" or \"YYYY\""
                ));
            }
            ('M', 4) => MONTHS[t.month0() as usize].to_string(),
            ('M', 3) => MONTHS[t.month0() as usize][..3].to_string(),
            ('M', 2) => format!("{:02}", t.month()),
            ('M', 1) => t.month().to_string(),
            ('D', 2) => format!("{:02}", t.day()),
            ('D', 1) => t.day().to_string(),
            ('E', 4) => WEEKDAYS[t.weekday().num_days_from_monday() as usize].to_string(),
            ('E', 3) => WEEKDAYS[t.weekday().num_days_from_monday() as usize][..3].to_string(),
            ('h', 2) => format!("{:02}", t.hour()),
            ('h', 1) => t.hour().to_string(),
            ('H', 2) => format!("{hour12:02}"),
            ('H', 1) => hour12.to_string(),
            ('A', 2) => if t.hour() < 12 { "AM" } else { "PM" }.to_string(),
            ('a', 2) => if t.hour() < 12 { "am" } else { "pm" }.to_string(),
            ('m', 2) => format!("{:02}", t.minute()),
            ('m', 1) => t.minute().to_string(),
            ('s', 2) => format!("{:02}", t.second()),
            ('s', 1) => t.second().to_string(),
            ('Z', 5) => zone_offset(offset, true),
            ('Z', 4) => zone_offset(offset, false),
            ('Z', 3) if offset == 0 => "UTC".to_string(),
            ('Z', 3) => zone_offset(offset, false),
            ('Z', 1) if offset == 0 => "Z".to_string(),
            ('Z', 1) => zone_offset(offset, true),
            _ => return err(format!("invalid date format verb {verb:?}")),
        };
        out.push_str(&piece);
    }
    Ok(Value::string(out))
}
