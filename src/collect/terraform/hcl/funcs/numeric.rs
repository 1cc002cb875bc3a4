//! Numeric functions: `abs`, `ceil`, `floor`, `log`, `max`, `min`, `parseint`, `pow`,
//! `signum`, `sum`.

use super::super::eval::{Eval, EvalError, Result};
use super::super::value::Value;
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

fn abs(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    one(a, f64::abs)
}

fn ceil(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    one(a, f64::ceil)
}

fn floor(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    one(a, f64::floor)
}

fn log(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    Ok(Value::Number(num(&a[0])?.log(num(&a[1])?)))
}

fn pow(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    Ok(Value::Number(num(&a[0])?.powf(num(&a[1])?)))
}

fn signum(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
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

fn max(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    pick(a, f64::max)
}

fn min(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    pick(a, f64::min)
}

fn sum(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    let list = items(&a[0])?;
    if list.is_empty() {
        return err("cannot sum an empty list");
    }
    Ok(Value::Number(list.iter().map(num).sum::<Result<f64>>()?))
}

fn parseint(a: &[Value], _: &mut Eval<'_>) -> Result<Value> {
    let base = int(&a[1])?;
    if !(2..=62).contains(&base) {
        return err(format!("base {base} is not between 2 and 62"));
    }
    let t = text(&a[0])?;
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(&t)),
    };
    let v = if base <= 36 {
        i64::from_str_radix(digits, base as u32).ok()
    } else {
        // Go's big.Int digits beyond 36: 0-9, a-z, A-Z.
        digits.chars().try_fold(0i64, |acc, c| {
            let d = match c {
                '0'..='9' => c as i64 - '0' as i64,
                'a'..='z' => c as i64 - 'a' as i64 + 10,
                'A'..='Z' => c as i64 - 'A' as i64 + 36,
                _ => return None,
            };
            (d < base && !digits.is_empty())
                .then_some(())
                .and_then(|_| acc.checked_mul(base)?.checked_add(d))
        })
    }
    .filter(|_| !digits.is_empty())
    .ok_or_else(|| EvalError::new(format!("{t:?} is not a base {base} integer")))?;
    Ok(Value::Number(if neg { -v } else { v } as f64))
}
