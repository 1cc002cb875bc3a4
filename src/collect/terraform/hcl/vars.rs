//! Values of a root module's input variables, with Terraform's precedence (later wins):
//! defaults, `TF_VAR_name` environment variables, `terraform.tfvars`, `terraform.tfvars.json`,
//! `*.auto.tfvars` and `*.auto.tfvars.json` in name order, then `--var-file` files and
//! `--var` values from the command line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::COLLECTOR;
use super::eval::{Named, constant};
use super::load::{Module, Variable};
use super::types::{convert, is_primitive};
use super::value::Value;
use crate::inventory::CollectError;

/// Variable values given to a scan, beyond the files found next to each root module.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// `--var NAME=VALUE`, in order.
    pub cli: Vec<(String, String)>,
    /// `--var-file FILE`, in order.
    pub files: Vec<PathBuf>,
    /// `TF_VAR_name` values from the environment: (name, value).
    pub env: Vec<(String, String)>,
}

impl Vars {
    /// `TF_VAR_*` variables of this process's environment.
    pub fn from_env() -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = std::env::vars()
            .filter_map(|(k, v)| k.strip_prefix("TF_VAR_").map(|n| (n.to_string(), v)))
            .collect();
        out.sort();
        out
    }
}

/// A value as given, before conversion to the variable's type.
enum Given {
    /// From a tfvars file: an HCL or JSON value. (file, line) for errors.
    Value(Value, String, Option<u32>),
    /// From the command line or the environment: text, parsed by the variable's type.
    Text(String, String),
}

fn error(scope: &str, line: Option<u32>, message: String) -> CollectError {
    CollectError {
        collector: COLLECTOR.into(),
        scope: scope.to_string(),
        line,
        column: None,
        kinds: Vec::new(),
        message,
        warning: false,
    }
}

/// The input values of a root module, converted to their declared types. Variables with no
/// value are unknown.
pub fn root_inputs(
    module: &Module,
    vars: &Vars,
    errors: &mut Vec<CollectError>,
) -> HashMap<String, Named> {
    let mut given: HashMap<String, Given> = HashMap::new();
    for (name, text) in &vars.env {
        given.insert(
            name.clone(),
            Given::Text(text.clone(), format!("TF_VAR_{name}")),
        );
    }
    for file in tfvars_files(&module.dir) {
        read_tfvars(&file, &mut given, errors);
    }
    for file in &vars.files {
        read_tfvars(file, &mut given, errors);
    }
    for (name, text) in &vars.cli {
        given.insert(name.clone(), Given::Text(text.clone(), "--var".into()));
    }

    let mut out = HashMap::new();
    for v in &module.variables {
        let value = match given.remove(&v.name) {
            Some(g) => resolve(v, g, errors),
            None => default_value(module, v, errors),
        };
        let value = if value.is_null() && !v.nullable {
            default_value(module, v, errors)
        } else {
            value
        };
        out.insert(
            v.name.clone(),
            Named {
                value,
                sensitive: v.sensitive,
            },
        );
    }
    out
}

/// A variable's default, converted to its type; unknown when it has none.
pub fn default_value(module: &Module, v: &Variable, errors: &mut Vec<CollectError>) -> Value {
    let Some(expr) = &v.default else {
        return Value::unknown();
    };
    let at_line =
        |offset: Option<usize>| module.error(&v.at, offset.unwrap_or(v.at.span.start), "");
    let value = match constant(expr) {
        Ok(value) => value,
        Err(e) => {
            let mut err = at_line(e.offset);
            err.message = format!("default of variable \"{}\": {}", v.name, e.message);
            errors.push(err);
            return Value::unknown();
        }
    };
    match &v.ty {
        Some(ty) => convert(&value, ty).unwrap_or_else(|e| {
            let mut err = at_line(None);
            err.message = format!(
                "default of variable \"{}\" does not match its type: {e}",
                v.name
            );
            errors.push(err);
            Value::unknown()
        }),
        None => value,
    }
}

fn resolve(v: &Variable, given: Given, errors: &mut Vec<CollectError>) -> Value {
    let (value, scope, line) = match given {
        Given::Value(value, scope, line) => (value, scope, line),
        Given::Text(text, scope) => {
            if is_primitive(v.ty.as_ref()) {
                (Value::string(text), scope, None)
            } else {
                let parsed = hcl_edit::parser::parse_expr(&text)
                    .map_err(|e| e.message().to_string())
                    .and_then(|e| constant(&e).map_err(|e| e.message));
                match parsed {
                    Ok(value) => (value, scope, None),
                    Err(e) => {
                        errors.push(error(
                            &scope,
                            None,
                            format!(
                                "value of variable \"{}\" is not a valid expression: {e}",
                                v.name
                            ),
                        ));
                        return Value::unknown();
                    }
                }
            }
        }
    };
    match &v.ty {
        Some(ty) => convert(&value, ty).unwrap_or_else(|e| {
            errors.push(error(
                &scope,
                line,
                format!(
                    "value of variable \"{}\" does not match its type: {e}",
                    v.name
                ),
            ));
            Value::unknown()
        }),
        None => value,
    }
}

/// The variable files Terraform loads automatically from a root module's directory, in order.
fn tfvars_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for name in ["terraform.tfvars", "terraform.tfvars.json"] {
        let p = dir.join(name);
        if p.is_file() {
            out.push(p);
        }
    }
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                            n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                        })
                })
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    out.extend(auto);
    out
}

fn read_tfvars(path: &Path, given: &mut HashMap<String, Given>, errors: &mut Vec<CollectError>) {
    let name = path.display().to_string();
    let text = match crate::read::text(path, crate::read::Limit::Source) {
        Ok(t) => t,
        Err(e) => {
            errors.push(error(&name, None, format!("variables file: {e}")));
            return;
        }
    };
    if name.ends_with(".json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(map)) => {
                for (k, v) in map {
                    given.insert(k, Given::Value(Value::from_json(&v), name.clone(), None));
                }
            }
            Ok(_) => errors.push(error(
                &name,
                None,
                "a .tfvars.json file holds one object".into(),
            )),
            Err(e) => errors.push(error(
                &name,
                Some(e.line() as u32),
                format!("invalid JSON: {e}"),
            )),
        }
        return;
    }
    let body = match hcl_edit::parser::parse_body(&text) {
        Ok(b) => b,
        Err(e) => {
            let mut err = error(
                &name,
                Some(e.location().line() as u32),
                e.message().to_string(),
            );
            err.column = Some(e.location().column() as u32);
            errors.push(err);
            return;
        }
    };
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() as u32 + 1;
    for structure in body {
        use hcl_edit::Span;
        match structure {
            hcl_edit::structure::Structure::Attribute(attr) => {
                let line = attr.span().map(|s| line_of(s.start));
                match constant(&attr.value) {
                    Ok(v) => {
                        given.insert(
                            attr.key.as_str().to_string(),
                            Given::Value(v, name.clone(), line),
                        );
                    }
                    Err(e) => errors.push(error(
                        &name,
                        line,
                        format!(
                            "value of \"{}\" must be a constant: {}",
                            attr.key.as_str(),
                            e.message
                        ),
                    )),
                }
            }
            hcl_edit::structure::Structure::Block(block) => errors.push(error(
                &name,
                block.span().map(|s| line_of(s.start)),
                "a variables file holds `name = value` lines, not blocks".into(),
            )),
        }
    }
}
