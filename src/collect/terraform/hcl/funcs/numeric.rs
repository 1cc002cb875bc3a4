//! Numeric functions: `abs`, `ceil`, `floor`, `log`, `max`, `min`, `parseint`, `pow`,
//! `signum`, `sum`.

use super::super::error::{EvalError, Result};
use super::super::value::Value;
use super::Context;
use super::{Category::Numeric as C, Func, VARIADIC, err, int, items, num, text};

pub(super) const FUNCTIONS: &[Func] = &[
    Func::new("abs", C, 1, 1, abs),
    Func::new("ceil", C, 1, 1, ceil),
    Func::new("floor", C, 1, 1, floor),
    Func::new("log", C, 2, 2, log),
    Func::new("max", C, 1, VARIADIC, max),
    Func::new("min", C, 1, VARIADIC, min),
    Func::new("parseint", C, 2, 2, parseint),
    Func::new("pow", C, 2, 2, pow),
    Func::new("signum", C, 1, 1, signum),
    Func::new("sum", C, 1, 1, sum),
];

fn one(a: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    Ok(Value::Number(f(num(&a[0])?)))
}

fn abs(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    one(a, f64::abs)
}

fn ceil(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    one(a, f64::ceil)
}

fn floor(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    one(a, f64::floor)
}

fn log(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::Number(num(&a[0])?.log(num(&a[1])?)))
}

fn pow(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::Number(num(&a[0])?.powf(num(&a[1])?)))
}

fn signum(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let x = num(&a[0])?;
    Ok(Value::Number(if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        0.0
    }))
}

fn pick(a: &[Value], f: fn(f64, f64) -> f64) -> Result<Value> {
    let nums = a.iter().map(num).collect::<Result<Vec<f64>>>()?;
    Ok(Value::Number(nums.into_iter().reduce(f).unwrap_or(0.0)))
}

fn max(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    pick(a, f64::max)
}

fn min(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    pick(a, f64::min)
}

fn sum(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let list = items(&a[0])?;
    if list.is_empty() {
        return err("cannot sum an empty list");
    }
    let nums = list.iter().map(num).collect::<Result<Vec<f64>>>()?;
    Ok(Value::Number(
        decimal_sum(&nums).unwrap_or_else(|| nums.iter().sum()),
    ))
}

/// The sum of numbers as the decimals they print as, so that `sum([0.1, 0.2])` is 0.3 as in
/// Terraform (whose numbers are arbitrary-precision decimals), not 0.30000000000000004.
/// `None` when a number does not fit a 128-bit fixed point.
fn decimal_sum(nums: &[f64]) -> Option<f64> {
    let parts: Vec<(bool, String, String)> = nums
        .iter()
        .map(|n| {
            let text = format!("{}", n.abs());
            let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
            (n.is_sign_negative(), int.to_string(), frac.to_string())
        })
        .collect();
    let scale = parts.iter().map(|(_, _, f)| f.len()).max()?;
    if scale > 30 {
        return None;
    }
    let mut total: i128 = 0;
    for (negative, int, frac) in &parts {
        let digits = format!("{int}{frac:0<scale$}");
        let v: i128 = digits.parse().ok()?;
        total = if *negative {
            total.checked_sub(v)?
        } else {
            total.checked_add(v)?
        };
    }
    let digits = total.unsigned_abs().to_string();
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = digits.split_at(digits.len() - scale);
    let sign = if total < 0 { "-" } else { "" };
    format!("{sign}{int}.{frac}0").parse().ok()
}

fn parseint(a: &[Value], _: &mut dyn Context) -> Result<Value> {
    let base = int(&a[1])?;
    if !(2..=62).contains(&base) {
        return err(format!("base {base} is not between 2 and 62"));
    }
    let t = text(&a[0])?;
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let v = if digits.is_empty() || digits.starts_with(['+', '-']) {
        None
    } else if base <= 36 {
        i64::from_str_radix(digits, base as u32).ok()
    } else {
        // Go's big.Int digits beyond base 36: 0-9, then a-z, then A-Z.
        digits.chars().try_fold(0i64, |acc, c| {
            let d = match c {
                '0'..='9' => c as i64 - '0' as i64,
                'a'..='z' => c as i64 - 'a' as i64 + 10,
                'A'..='Z' => c as i64 - 'A' as i64 + 36,
                _ => return None,
            };
            if d >= base {
                return None;
            }
            acc.checked_mul(base)?.checked_add(d)
        })
    }
    .ok_or_else(|| EvalError::new(format!("{t:?} is not a base {base} integer")))?;
    Ok(Value::Number(if neg { -v } else { v } as f64))
}
