//! Terraform's built-in functions, as far as a scan can compute them.
//!
//! Every function has one registration line, in the file of its category, saying how many
//! arguments it takes, whether Terraform knows its result before apply, how it treats unknown
//! and null arguments, and what differs from Terraform. Dispatch, the "no such function" and
//! arity errors and the table in `docs/terraform-hcl.md` all come from those lines.
//!
//! Unknown and null arguments follow Terraform (cty): a function whose argument is null fails,
//! unless that parameter accepts null (`coalesce`, `merge`, `tostring`, `lookup`'s default,
//! ...). A function whose argument is unknown returns unknown ([`Unknowns::Deep`]); the
//! functions that only move values around (`merge`, `concat`, `lookup`, `length`, ...) keep
//! unknown elements in place instead ([`Unknowns::Shallow`]): `merge(var.tags, { Name = "x" })`
//! with `var.tags = { Owner = var.owner }` knows `Name`. Never an error where Terraform gives
//! unknown: `element(unknown_list, 0)`, `cidrsubnet(var.unset, 8, 1)` are unknown.
//!
//! `try` and `can` evaluate their arguments lazily, so the evaluator implements them
//! (`eval.rs`); they are registered here for their arity and their documentation.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::error::{EvalError, Result};
use super::files::Files;
use super::value::{Attrs, Value};

mod collections;
mod conversion;
mod crypto;
mod encoding;
mod filesystem;
mod network;
mod numeric;
mod strings;
#[cfg(test)]
mod tests;
mod time;

/// What a function may ask of the evaluation that calls it.
pub trait Context {
    /// Spends evaluation budget on `n` elements built; an error once it is spent.
    fn charge(&mut self, n: u64) -> Result<()>;
    /// Where the file functions may read.
    fn files(&self) -> &Files;
    /// Marks the value being computed sensitive (`sensitive()`).
    fn mark_sensitive(&mut self);
    /// Whether what was evaluated since the last call read something sensitive.
    fn take_sensitive(&mut self) -> bool;
    /// Renders a template's text with only `vars` in scope (`templatefile`).
    fn template_file(&mut self, text: &str, vars: &Attrs) -> Result<Value>;
}

/// A function's implementation: its (checked) arguments and the evaluator.
pub type Imp = fn(&[Value], &mut dyn Context) -> Result<Value>;

/// Any number of arguments from the minimum on.
pub const VARIADIC: usize = usize::MAX;

/// The sections of Terraform's function reference, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Numeric,
    String,
    Collection,
    Encoding,
    Filesystem,
    DateTime,
    Crypto,
    Network,
    Conversion,
    /// Functions Terraform removed or offers only in `terraform console`: errors, as there.
    Unavailable,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::Numeric => "numeric",
            Category::String => "string",
            Category::Collection => "collection",
            Category::Encoding => "encoding",
            Category::Filesystem => "filesystem",
            Category::DateTime => "date and time",
            Category::Crypto => "hash and crypto",
            Category::Network => "IP network",
            Category::Conversion => "type conversion",
            Category::Unavailable => "not available in configurations",
        }
    }
}

/// When Terraform knows a function's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    /// From its arguments, before apply (a scan computes it, unless its note says otherwise).
    Yes,
    /// During plan (`plantimestamp`): a scan has no plan, so it is unknown.
    AtPlan,
    /// Only during apply (`timestamp`, `uuid`, `bcrypt`): unknown.
    AtApply,
}

/// How a function treats unknown arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknowns {
    /// Any argument with an unknown part makes the result unknown.
    Deep,
    /// An argument that is unknown as a whole makes the result unknown; unknown elements
    /// inside known collections reach the function, which keeps them in place.
    Shallow,
    /// The function sees every argument as it is and decides (`coalesce`, `sensitive`).
    Own,
}

/// Which parameters accept null.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// None: a null argument is an error, as in Terraform.
    Never,
    /// The parameters from this (0-based) position on.
    From(usize),
}

/// One registered function.
pub struct Func {
    pub name: &'static str,
    pub category: Category,
    pub min: usize,
    /// [`VARIADIC`] for any number.
    pub max: usize,
    pub known: Known,
    pub unknowns: Unknowns,
    pub nulls: Nulls,
    imp: Imp,
    /// What differs from Terraform, if anything.
    pub note: &'static str,
}

impl Func {
    /// A function known before apply, taking `min..=max` arguments, none of them null, and
    /// unknown when any argument has an unknown part.
    pub const fn new(
        name: &'static str,
        category: Category,
        min: usize,
        max: usize,
        imp: Imp,
    ) -> Func {
        Func {
            name,
            category,
            min,
            max,
            known: Known::Yes,
            unknowns: Unknowns::Deep,
            nulls: Nulls::Never,
            imp,
            note: "",
        }
    }

    pub const fn shallow(self) -> Func {
        Func {
            unknowns: Unknowns::Shallow,
            ..self
        }
    }

    pub const fn own_unknowns(self) -> Func {
        Func {
            unknowns: Unknowns::Own,
            ..self
        }
    }

    /// Parameters from `from` on accept null.
    pub const fn nulls_from(self, from: usize) -> Func {
        Func {
            nulls: Nulls::From(from),
            ..self
        }
    }

    pub const fn known(self, known: Known) -> Func {
        Func { known, ..self }
    }

    pub const fn note(self, note: &'static str) -> Func {
        Func { note, ..self }
    }

    /// The arity error, if `n` arguments do not fit.
    pub fn check_arity(&self, n: usize) -> Result<()> {
        if (self.min..=self.max).contains(&n) {
            return Ok(());
        }
        Err(EvalError::new(format!(
            "function \"{}\" takes {}, got {n}",
            self.name,
            self.arguments()
        )))
    }

    /// The arity in words: `1 argument`, `2 or 3 arguments`, `at least 1 argument`.
    pub fn arguments(&self) -> String {
        let noun = if self.max == 1 || (self.max == VARIADIC && self.min == 1) {
            "argument"
        } else {
            "arguments"
        };
        format!("{} {noun}", self.arity())
    }

    /// The arity alone: `1`, `2 or 3`, `at least 1`, `any number of`.
    fn arity(&self) -> String {
        match (self.min, self.max) {
            (0, VARIADIC) => "any number of".to_string(),
            (min, VARIADIC) => format!("at least {min}"),
            (min, max) if min == max => format!("{min}"),
            (min, max) if max == min + 1 => format!("{min} or {max}"),
            (min, max) => format!("{min} to {max}"),
        }
    }

    fn allows_null(&self, position: usize) -> bool {
        match self.nulls {
            Nulls::Never => false,
            Nulls::From(from) => position >= from,
        }
    }
}

/// The registration tables, one per category file.
const TABLES: &[&[Func]] = &[
    numeric::FUNCTIONS,
    strings::FUNCTIONS,
    collections::FUNCTIONS,
    encoding::FUNCTIONS,
    filesystem::FUNCTIONS,
    time::FUNCTIONS,
    crypto::FUNCTIONS,
    network::FUNCTIONS,
    conversion::FUNCTIONS,
];

/// Every function plumb knows, by category and then name.
pub static FUNCTIONS: LazyLock<Vec<&'static Func>> = LazyLock::new(|| {
    let mut all: Vec<&'static Func> = TABLES.iter().flat_map(|t| t.iter()).collect();
    all.sort_by_key(|f| (f.category, f.name));
    all
});

static BY_NAME: LazyLock<HashMap<&'static str, &'static Func>> =
    LazyLock::new(|| FUNCTIONS.iter().map(|f| (f.name, *f)).collect());

/// The registered function of this name.
pub fn lookup(name: &str) -> Option<&'static Func> {
    BY_NAME.get(name).copied()
}

/// The registered function of this name, or the error for a name Terraform does not have.
pub fn resolve(name: &str) -> Result<&'static Func> {
    lookup(name).ok_or_else(|| {
        EvalError::new(format!(
            "function \"{name}\" is not supported by plumb: Terraform has no function of that name (see docs/terraform-hcl.md)"
        ))
    })
}

/// Calls a built-in function on evaluated arguments.
pub fn call(name: &str, args: Vec<Value>, ev: &mut dyn Context) -> Result<Value> {
    let func = resolve(name)?;
    func.check_arity(args.len())?;
    if func.known != Known::Yes {
        return Ok(Value::unknown());
    }
    if let Some(i) = (0..args.len()).find(|&i| args[i].is_null() && !func.allows_null(i)) {
        return Err(EvalError::new(format!(
            "function \"{name}\": argument {} must not be null",
            i + 1
        )));
    }
    let unknown = match func.unknowns {
        Unknowns::Deep => args.iter().any(|a| !a.is_wholly_known()),
        Unknowns::Shallow => args
            .iter()
            .any(|a| matches!(a, Value::Unknown(_) | Value::Resource(_))),
        Unknowns::Own => false,
    };
    if unknown {
        return Ok(Value::unknown_of(&args));
    }
    let result =
        (func.imp)(&args, ev).map_err(|e| EvalError::new(format!("{name}(): {}", e.message)))?;
    // Functions can build large collections from small arguments (range, setproduct).
    let size = match &result {
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.entries.len(),
        Value::String(s) => s.len() / 64,
        _ => 0,
    };
    ev.charge(size as u64)?;
    Ok(result)
}

/// The registered functions as a Markdown table (`docs/terraform-hcl.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "| function | category | arguments | known before apply | unknown arguments | null arguments | notes |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for f in FUNCTIONS.iter() {
        if f.category == Category::Unavailable {
            out.push_str(&format!(
                "| `{}` | {} | {} | - | - | - | {} |\n",
                f.name,
                f.category.title(),
                f.arity().replace("any number of", "any"),
                f.note
            ));
            continue;
        }
        let known = match f.known {
            Known::Yes => "yes",
            Known::AtPlan => "at plan: unknown to a scan",
            Known::AtApply => "no: unknown",
        };
        let unknowns = match f.unknowns {
            Unknowns::Deep => "unknown result",
            Unknowns::Shallow => "unknown elements kept",
            Unknowns::Own => "decided by the function",
        };
        let nulls = match f.nulls {
            Nulls::Never => "error".to_string(),
            Nulls::From(0) => "accepted".to_string(),
            Nulls::From(i) => format!("accepted from argument {}", i + 1),
        };
        let arguments = f.arity().replace("any number of", "any");
        out.push_str(&format!(
            "| `{}` | {} | {arguments} | {known} | {unknowns} | {nulls} | {} |\n",
            f.name,
            f.category.title(),
            f.note.replace('|', "\\|")
        ));
    }
    out
}

// ---------------------------------------------------------------- argument helpers

fn err<T>(message: impl Into<String>) -> Result<T> {
    Err(EvalError::new(message))
}

fn text(v: &Value) -> Result<String> {
    v.to_text()
        .ok_or_else(|| EvalError::new(format!("a string is required, not {}", v.type_name())))
}

fn num(v: &Value) -> Result<f64> {
    v.to_number()
        .ok_or_else(|| EvalError::new(format!("a number is required, not {}", v.type_name())))
}

fn int(v: &Value) -> Result<i64> {
    let n = num(v)?;
    if n.fract() != 0.0 {
        return err(format!("a whole number is required, not {n}"));
    }
    Ok(n as i64)
}

fn boolean(v: &Value) -> Result<bool> {
    v.to_bool()
        .ok_or_else(|| EvalError::new(format!("a bool is required, not {}", v.type_name())))
}

fn items(v: &Value) -> Result<&[Value]> {
    v.as_list()
        .ok_or_else(|| EvalError::new(format!("a list is required, not {}", v.type_name())))
}

fn entries(v: &Value) -> Result<&Attrs> {
    match v {
        Value::Map(m) => Ok(&m.entries),
        other => err(format!("a map is required, not {}", other.type_name())),
    }
}

fn strings(v: &Value) -> Result<Vec<String>> {
    items(v)?.iter().map(text).collect()
}

fn string_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::list(items.into_iter().map(Value::string).collect())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The result of a function that plumb registers but cannot compute (see its note).
fn unknown(_: &[Value], _: &mut dyn Context) -> Result<Value> {
    Ok(Value::unknown())
}
