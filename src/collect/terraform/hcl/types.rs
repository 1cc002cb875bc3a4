//! Type constraints of input variables (`type = object({ name = string, size = optional(number, 20) })`)
//! and Terraform's conversion of a value to them: numbers from strings, maps from objects,
//! `optional` attributes filled with their defaults, sets sorted and de-duplicated.

use hcl_edit::expr::{Expression, ObjectKey};

use super::eval::constant;
use super::value::{Attrs, Value};

#[derive(Debug, Clone)]
pub enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(Vec<ObjectAttr>),
}

#[derive(Debug, Clone)]
pub struct ObjectAttr {
    pub name: String,
    pub ty: Type,
    pub optional: bool,
    pub default: Option<Value>,
}

impl PartialEq for Type {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Type::Any, Type::Any)
            | (Type::String, Type::String)
            | (Type::Number, Type::Number)
            | (Type::Bool, Type::Bool) => true,
            (Type::List(a), Type::List(b))
            | (Type::Set(a), Type::Set(b))
            | (Type::Map(a), Type::Map(b)) => a == b,
            (Type::Tuple(a), Type::Tuple(b)) => a == b,
            (Type::Object(a), Type::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| x.name == y.name && x.ty == y.ty && x.optional == y.optional)
            }
            _ => false,
        }
    }
}

impl Type {
    /// Parses a type constraint expression.
    pub fn parse(expr: &Expression) -> Result<Type, String> {
        Self::parse_in(expr, false).map(|(t, _, _)| t)
    }

    fn parse_in(expr: &Expression, in_object: bool) -> Result<(Type, bool, Option<Value>), String> {
        let plain = |t: Type| Ok((t, false, None));
        match expr {
            Expression::Variable(v) => match v.as_str() {
                "string" => plain(Type::String),
                "number" => plain(Type::Number),
                "bool" => plain(Type::Bool),
                "any" => plain(Type::Any),
                // Terraform 0.11 spellings.
                "list" => plain(Type::List(Box::new(Type::Any))),
                "map" => plain(Type::Map(Box::new(Type::Any))),
                other => Err(format!(
                    "unknown type `{other}` (expected string, number, bool, any, list(...), set(...), map(...), tuple([...]) or object({{...}}))"
                )),
            },
            // The JSON syntax and Terraform 0.11 write types as strings.
            Expression::String(s) => {
                let inner = hcl_edit::parser::parse_expr(s.value())
                    .map_err(|e| format!("invalid type {:?}: {}", s.value(), e.message()))?;
                Self::parse_in(&inner, in_object)
            }
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let args: Vec<&Expression> = call.args.iter().collect();
                let one = || -> Result<&Expression, String> {
                    match args.as_slice() {
                        [a] => Ok(a),
                        _ => Err(format!("{name}(...) takes one type")),
                    }
                };
                match name {
                    "list" => plain(Type::List(Box::new(Self::parse_in(one()?, false)?.0))),
                    "set" => plain(Type::Set(Box::new(Self::parse_in(one()?, false)?.0))),
                    "map" => plain(Type::Map(Box::new(Self::parse_in(one()?, false)?.0))),
                    "tuple" => match one()? {
                        Expression::Array(items) => plain(Type::Tuple(
                            items
                                .iter()
                                .map(|i| Self::parse_in(i, false).map(|t| t.0))
                                .collect::<Result<_, _>>()?,
                        )),
                        _ => Err("tuple(...) takes a list of types".into()),
                    },
                    "object" => match one()? {
                        Expression::Object(obj) => {
                            let mut attrs = Vec::new();
                            for (key, value) in obj.iter() {
                                let name = match key {
                                    ObjectKey::Ident(i) => i.as_str().to_string(),
                                    ObjectKey::Expression(Expression::String(s)) => {
                                        s.value().to_string()
                                    }
                                    ObjectKey::Expression(e) => e.to_string().trim().to_string(),
                                };
                                let (ty, optional, default) = Self::parse_in(value.expr(), true)?;
                                attrs.push(ObjectAttr {
                                    name,
                                    ty,
                                    optional,
                                    default,
                                });
                            }
                            attrs.sort_by(|a, b| a.name.cmp(&b.name));
                            plain(Type::Object(attrs))
                        }
                        _ => Err("object(...) takes an object of attribute types".into()),
                    },
                    "optional" if in_object => {
                        let (ty, default) = match args.as_slice() {
                            [t] => (Self::parse_in(t, false)?.0, None),
                            [t, d] => (
                                Self::parse_in(t, false)?.0,
                                Some(constant(d).map_err(|e| {
                                    format!("the default of optional(...) must be a constant: {e}")
                                })?),
                            ),
                            _ => return Err("optional(...) takes a type and a default".into()),
                        };
                        let default = match default {
                            Some(d) => Some(convert(&d, &ty)?),
                            None => None,
                        };
                        Ok((ty, true, default))
                    }
                    "optional" => Err("optional(...) is only allowed for object attributes".into()),
                    other => Err(format!("unknown type constructor `{other}(...)`")),
                }
            }
            Expression::Parenthesis(p) => Self::parse_in(p.inner(), in_object),
            other => Err(format!(
                "invalid type constraint `{}`",
                other.to_string().trim()
            )),
        }
    }
}

/// Converts `value` to `ty` as Terraform does for variable values. Unknown parts stay unknown.
pub(super) fn convert(value: &Value, ty: &Type) -> Result<Value, String> {
    if value.is_unknown() || value.is_null() {
        return Ok(value.clone());
    }
    match ty {
        Type::Any => Ok(value.clone()),
        Type::String => value
            .to_text()
            .map(Value::string)
            .ok_or_else(|| format!("a string is required, not {}", value.type_name())),
        Type::Number => value
            .to_number()
            .map(Value::Number)
            .ok_or_else(|| format!("a number is required, not {}", describe(value))),
        Type::Bool => value
            .to_bool()
            .map(Value::Bool)
            .ok_or_else(|| format!("a bool is required, not {}", describe(value))),
        Type::List(elem) | Type::Set(elem) => {
            let items = match value {
                Value::List(l) => &l.items,
                _ => return Err(format!("a list is required, not {}", value.type_name())),
            };
            let mut out = items
                .iter()
                .enumerate()
                .map(|(i, v)| convert(v, elem).map_err(|e| format!("element {i}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            if matches!(ty, Type::Set(_)) {
                if out.iter().any(|v| !v.is_wholly_known()) {
                    return Ok(Value::unknown_of(&out));
                }
                out.sort_by(Value::total_cmp);
                out.dedup_by(|a, b| a.equals(b) == Some(true));
            }
            Ok(Value::list(out))
        }
        Type::Map(elem) => {
            let Some(entries) = value.as_map() else {
                return Err(format!("a map is required, not {}", value.type_name()));
            };
            let out = entries
                .iter()
                .map(|(k, v)| {
                    convert(v, elem)
                        .map(|v| (k.clone(), v))
                        .map_err(|e| format!("element {k:?}: {e}"))
                })
                .collect::<Result<Attrs, _>>()?;
            Ok(Value::map(out))
        }
        Type::Tuple(types) => {
            let Some(items) = value.as_list() else {
                return Err(format!("a tuple is required, not {}", value.type_name()));
            };
            if items.len() != types.len() {
                return Err(format!(
                    "a tuple of {} elements is required, not {}",
                    types.len(),
                    items.len()
                ));
            }
            Ok(Value::list(
                items
                    .iter()
                    .zip(types)
                    .map(|(v, t)| convert(v, t))
                    .collect::<Result<_, _>>()?,
            ))
        }
        Type::Object(attrs) => {
            let Some(entries) = value.as_map() else {
                return Err(format!("an object is required, not {}", value.type_name()));
            };
            let mut out = Attrs::new();
            for a in attrs {
                let v = match entries.get(&a.name) {
                    Some(v) if !v.is_null() => {
                        convert(v, &a.ty).map_err(|e| format!("attribute {:?}: {e}", a.name))?
                    }
                    _ if a.optional => a.default.clone().unwrap_or(Value::Null),
                    Some(v) => v.clone(),
                    None => return Err(format!("attribute {:?} is required", a.name)),
                };
                out.insert(a.name.clone(), v);
            }
            Ok(Value::map(out))
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.type_name().to_string(),
    }
}

/// Whether a CLI or environment value for this type is taken literally (a primitive) rather
/// than parsed as an HCL expression, as Terraform does for `-var` and `TF_VAR_`.
pub(super) fn is_primitive(ty: Option<&Type>) -> bool {
    matches!(ty, None | Some(Type::String | Type::Number | Type::Bool))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(s: &str) -> Type {
        Type::parse(&hcl_edit::parser::parse_expr(s).unwrap()).unwrap()
    }

    fn val(s: &str) -> Value {
        constant(&hcl_edit::parser::parse_expr(s).unwrap()).unwrap()
    }

    fn json(v: &Value) -> serde_json::Value {
        v.to_json(&mut String::new(), &mut Vec::new())
    }

    #[test]
    fn converts_primitives_like_terraform() {
        assert_eq!(json(&convert(&val("\"5\""), &Type::Number).unwrap()), 5);
        assert_eq!(json(&convert(&val("5"), &Type::String).unwrap()), "5");
        assert_eq!(json(&convert(&val("\"true\""), &Type::Bool).unwrap()), true);
        assert!(convert(&val("\"yes\""), &Type::Bool).is_err());
    }

    #[test]
    fn fills_optional_attributes_and_drops_extra_ones() {
        let t = ty(
            "object({ name = string, size = optional(number, 20), tags = optional(map(string)) })",
        );
        let v = convert(&val("{ name = \"a\", extra = 1 }"), &t).unwrap();
        assert_eq!(
            json(&v),
            serde_json::json!({"name": "a", "size": 20, "tags": null})
        );
        assert!(
            convert(&val("{ size = 1 }"), &t)
                .unwrap_err()
                .contains("\"name\" is required")
        );
    }

    #[test]
    fn sets_are_sorted_and_unique() {
        let v = convert(&val("[\"b\", \"a\", \"b\"]"), &ty("set(string)")).unwrap();
        assert_eq!(json(&v), serde_json::json!(["a", "b"]));
        assert_eq!(ty("\"list(string)\""), ty("list(string)"));
    }
}
