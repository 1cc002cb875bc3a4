//! YAML reading shared by policies, `plumb.yaml` and Kubernetes manifests.
//!
//! serde-saphyr does the parsing: it is bounded against alias bombs and deep nesting, and its
//! errors carry a line and column. [`Node`] keeps the line of every value, so a manifest's
//! objects (and their fields) can be located.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::{Budget, Options, Spanned};

/// A YAML parse or shape error at a position in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{l}:{c}: {}", self.message),
            (Some(l), None) => write!(f, "{l}: {}", self.message),
            _ => write!(f, "{}", self.message),
        }
    }
}

impl From<serde_saphyr::Error> for YamlError {
    fn from(e: serde_saphyr::Error) -> Self {
        let location = e.location();
        // The plain message, without the snippet the crate renders around it.
        let message = e.without_snippet().to_string();
        let message = strip_location_suffix(&message);
        YamlError {
            line: location.map(|l| l.line() as u32).filter(|l| *l > 0),
            column: location.map(|l| l.column() as u32).filter(|c| *c > 0),
            message,
        }
    }
}

/// serde-saphyr appends " at line L column C"; the location is reported separately.
fn strip_location_suffix(message: &str) -> String {
    let first = message.lines().next().unwrap_or(message);
    match first.rfind(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

fn options() -> Options {
    // Rendered Helm charts and `kubectl get -o yaml` dumps can be large; stay bounded anyway.
    let mut budget = Budget::default();
    budget.max_documents = 100_000;
    budget.max_nodes = 20_000_000;
    let mut options = Options::default();
    options.budget = Some(budget);
    options
}

/// Deserializes one YAML document into `T`.
pub fn from_str<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options(text, options()).map_err(Into::into)
}

/// Parses every document of a multi-document YAML stream, keeping lines.
pub fn documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let docs: Vec<Spanned<Node>> = serde_saphyr::from_multiple_with_options(text, options())?;
    Ok(docs
        .into_iter()
        .map(|s| {
            let mut node = s.value;
            node.line = s.referenced.line() as u32;
            node
        })
        .collect())
}

/// A YAML value with the 1-based line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: u32,
    pub value: NodeValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value as JSON (lines dropped).
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Number(n) => Value::Number(n.clone()),
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    map.insert(k.clone(), v.to_json());
                }
                Value::Object(map)
            }
        }
    }

    /// The last line any part of this value is on.
    pub fn last_line(&self) -> u32 {
        let inner = match &self.value {
            NodeValue::Seq(items) => items.iter().map(Node::last_line).max(),
            NodeValue::Map(entries) => entries.iter().map(|(_, v)| v.last_line()).max(),
            _ => None,
        };
        inner.unwrap_or(self.line).max(self.line)
    }

    /// The entry `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(NodeVisitor)?;
        Ok(Node { line: 0, value })
    }
}

/// A node inside a collection carries its own span.
fn spanned(s: Spanned<Node>) -> Node {
    let mut node = s.value;
    node.line = s.referenced.line() as u32;
    node
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_none<E>(self) -> Result<NodeValue, E> {
        Ok(NodeValue::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeValue, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_bool<E>(self, v: bool) -> Result<NodeValue, E> {
        Ok(NodeValue::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<NodeValue, E> {
        Ok(NodeValue::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NodeValue, E> {
        // YAML's .nan and .inf have no JSON form; keep their text.
        Ok(Number::from_f64(v).map_or_else(|| NodeValue::String(v.to_string()), NodeValue::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<NodeValue, E> {
        Ok(NodeValue::String(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<NodeValue, E> {
        Ok(NodeValue::String(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(spanned(item));
        }
        Ok(NodeValue::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeValue, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        while let Some(key) = map.next_key::<Key>()? {
            let value = spanned(map.next_value::<Spanned<Node>>()?);
            // A repeated key: the last one wins, as in most YAML loaders (and kubectl).
            entries.retain(|(k, _)| *k != key.0);
            entries.push((key.0, value));
        }
        Ok(NodeValue::Map(entries))
    }
}

/// A mapping key: any scalar, as text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a scalar mapping key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Key, E> {
                Ok(Key(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Key, E> {
                Ok(Key("null".into()))
            }
        }
        d.deserialize_any(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lines_of_documents_and_fields() {
        let text = "a: 1\n---\nkind: List\nitems:\n  - name: x\n    v: [1, 2]\n  - name: y\n";
        let docs = documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].line, 3);
        let items = docs[1].get("items").unwrap();
        let NodeValue::Seq(items) = &items.value else {
            panic!("not a sequence")
        };
        assert_eq!(items[0].line, 5);
        assert_eq!(items[1].line, 7);
        assert_eq!(docs[1].last_line(), 7);
        assert_eq!(
            items[0].to_json(),
            serde_json::json!({"name": "x", "v": [1, 2]})
        );
    }

    #[test]
    fn errors_carry_line_and_column() {
        let err = documents("a: 1\nb: [unclosed\n").unwrap_err();
        assert!(err.line.is_some(), "{err:?}");
        assert!(!err.message.is_empty());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        assert!(documents(&text).is_err());
    }
}
