//! Versioned documents: the JSON plumb writes and reads back (inventories, scan reports,
//! baselines) carries `"schema": "plumb.dev/<what>/v<N>"`. One reader for all of them: a good
//! document is parsed in one pass (inventories are large); the header is read on its own only
//! to explain a failure, so a document of another schema or version is named as such rather
//! than reported as a JSON error somewhere in its middle.

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A kind of versioned document: the schema this build reads, what it is called in messages,
/// and how to get one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema {
    pub id: &'static str,
    /// `inventory`, `JSON report`, `baseline`.
    pub what: &'static str,
    /// Appended to a schema error: how to write a document this build reads.
    pub hint: &'static str,
}

/// A document type that carries its schema.
pub(crate) trait Versioned: DeserializeOwned {
    const SCHEMA: Schema;
    /// The schema the document declares.
    fn schema(&self) -> &str;
}

/// A versioned document that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: crate::read::ReadError,
    },
    #[error("{path}:{line}:{column}: not a plumb {what}: {message}")]
    Json {
        path: String,
        what: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{path}: {what} schema {found:?} is not supported (this build reads {expected:?}){hint}"
    )]
    Schema {
        path: String,
        what: &'static str,
        found: String,
        expected: &'static str,
        hint: &'static str,
    },
}

/// Reads a document of type `T` from a file.
pub(crate) fn read<T: Versioned>(path: &Path) -> Result<T, DocumentError> {
    let display = path.display().to_string();
    let text = crate::read::text(path, crate::read::Limit::Document).map_err(|source| {
        DocumentError::Io {
            path: display.clone(),
            source,
        }
    })?;
    parse(&display, &text)
}

/// Parses a document of type `T`; `origin` names it in errors.
pub(crate) fn parse<T: Versioned>(origin: &str, text: &str) -> Result<T, DocumentError> {
    let schema = T::SCHEMA;
    let schema_error = |found: Option<&str>| DocumentError::Schema {
        path: origin.to_string(),
        what: schema.what,
        found: found.unwrap_or("(none)").to_string(),
        expected: schema.id,
        hint: schema.hint,
    };
    match serde_json::from_str::<T>(text) {
        Ok(doc) if doc.schema() == schema.id => Ok(doc),
        Ok(doc) => Err(schema_error(Some(doc.schema()))),
        Err(e) => match declared_schema(text) {
            Ok(found) if found.as_deref() != Some(schema.id) => Err(schema_error(found.as_deref())),
            _ => Err(DocumentError::Json {
                path: origin.to_string(),
                what: schema.what,
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            }),
        },
    }
}

/// The schema a JSON document declares (`None` when it declares none), without parsing the
/// rest into values.
pub(crate) fn declared_schema(text: &str) -> Result<Option<String>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Header {
        schema: Option<String>,
    }
    serde_json::from_str::<Header>(text).map(|h| h.schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        schema: String,
        n: u32,
    }

    impl Versioned for Doc {
        const SCHEMA: Schema = Schema {
            id: "plumb.dev/doc/v1",
            what: "doc",
            hint: "; write one with `plumb doc`",
        };
        fn schema(&self) -> &str {
            &self.schema
        }
    }

    #[test]
    fn a_good_document_is_read_and_others_are_named_for_what_they_are() {
        let doc: Doc = parse("d.json", r#"{"schema": "plumb.dev/doc/v1", "n": 3}"#).unwrap();
        assert_eq!(doc.n, 3);

        let other = parse::<Doc>("d.json", r#"{"schema": "plumb.dev/doc/v2", "n": "x"}"#);
        assert_eq!(
            other.unwrap_err().to_string(),
            "d.json: doc schema \"plumb.dev/doc/v2\" is not supported (this build reads \
             \"plumb.dev/doc/v1\"); write one with `plumb doc`"
        );
        let none = parse::<Doc>("d.json", r#"{"n": 3}"#)
            .unwrap_err()
            .to_string();
        assert!(none.contains("schema \"(none)\""), "{none}");

        let broken = parse::<Doc>(
            "d.json",
            "{\"schema\": \"plumb.dev/doc/v1\",\n \"n\": true}",
        );
        let broken = broken.unwrap_err().to_string();
        assert!(broken.starts_with("d.json:2:"), "{broken}");
        assert!(broken.contains("not a plumb doc"), "{broken}");
    }
}
