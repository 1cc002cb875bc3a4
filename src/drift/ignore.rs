//! `.plumbignore`: known drift that reports should not show.
//!
//! One rule per line; `#` starts a comment, whose text is the rule's reason:
//!
//! ```text
//! # KIND        RESOURCE          [PATH]
//! aws_s3_bucket analytics-*                           # buckets the data team's tooling makes
//! aws_autoscaling_group *         /attrs/desired_capacity
//! k8s/Deployment prod/api         /attrs/spec/replicas   # scaled by its autoscaler
//! *             *                 /attrs/tags/LastScanned
//! ```
//!
//! * `KIND`: a resource kind, or a glob over kinds (`aws_iam_*`, `*`).
//! * `RESOURCE`: a glob matched against the resource's id, name, cloud id (ARN) and Terraform
//!   address; `*` matches any text, `/` and `:` included.
//! * `PATH` (optional): a JSON pointer into the resource as drift reports it (`/attrs/...`,
//!   `/facets/...`), where `*` stands for one segment; it hides that value and everything
//!   under it. Without a path the whole resource is left out of the report (added, removed,
//!   changed, unmanaged or missing).

use std::path::Path;

use globset::{Glob, GlobBuilder, GlobMatcher};

use crate::inventory::Resource;

/// A `.plumbignore` that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: crate::read::ReadError,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: String,
        line: usize,
        message: String,
    },
}

/// One rule.
#[derive(Debug, Clone)]
pub struct IgnoreRule {
    /// `file:line`, for reports.
    pub at: String,
    pub reason: String,
    /// The rule as written (without its comment).
    pub text: String,
    kind: GlobMatcher,
    resource: GlobMatcher,
    /// Unescaped pointer segments; `*` matches one.
    path: Option<Vec<String>>,
}

/// The rules of one file.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    pub rules: Vec<IgnoreRule>,
}

fn glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .backslash_escape(true)
        .build()
        .map(|g: Glob| g.compile_matcher())
}

fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

impl IgnoreRules {
    /// The default file name, looked for in the working directory.
    pub const FILE: &'static str = ".plumbignore";

    pub fn read(path: &Path) -> Result<IgnoreRules, IgnoreError> {
        let display = path.display().to_string();
        let text = crate::read::text(path, crate::read::Limit::Source).map_err(|source| {
            IgnoreError::Io {
                path: display.clone(),
                source,
            }
        })?;
        Self::parse(&display, &text)
    }

    /// Parses the text of an ignore file; `origin` names it in errors and in `at`.
    pub fn parse(origin: &str, text: &str) -> Result<IgnoreRules, IgnoreError> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let error = |message: String| IgnoreError::Syntax {
                path: origin.to_string(),
                line: line_no,
                message,
            };
            let (rule, reason) = match line.split_once('#') {
                Some((rule, reason)) => (rule, reason.trim()),
                None => (line, ""),
            };
            let fields: Vec<&str> = rule.split_whitespace().collect();
            let (kind, resource, path) = match fields[..] {
                [] => continue,
                [kind, resource] => (kind, resource, None),
                [kind, resource, path] => (kind, resource, Some(path)),
                _ => {
                    return Err(error(format!(
                        "expected KIND RESOURCE [PATH], found {} fields: {}",
                        fields.len(),
                        rule.trim()
                    )));
                }
            };
            if let Some(p) = path
                && !p.starts_with('/')
            {
                return Err(error(format!(
                    "PATH must be a JSON pointer starting with / (like /attrs/tags/Owner), found {p:?}"
                )));
            }
            let kind_glob =
                glob(kind).map_err(|e| error(format!("KIND {kind:?} is not a valid glob: {e}")))?;
            let resource_glob = glob(resource)
                .map_err(|e| error(format!("RESOURCE {resource:?} is not a valid glob: {e}")))?;
            rules.push(IgnoreRule {
                at: format!("{origin}:{line_no}"),
                reason: reason.to_string(),
                text: fields.join(" "),
                kind: kind_glob,
                resource: resource_glob,
                path: path.map(segments),
            });
        }
        Ok(IgnoreRules { rules })
    }

    /// Indexes of the rules that apply to `r` (whole-resource rules and path rules alike).
    fn applying<'a>(
        &'a self,
        r: &'a Resource,
    ) -> impl Iterator<Item = (usize, &'a IgnoreRule)> + 'a {
        self.rules.iter().enumerate().filter(move |(_, rule)| {
            rule.kind.is_match(&r.kind) && names(r).any(|name| rule.resource.is_match(name))
        })
    }

    /// The rule that leaves the whole resource out, if any.
    pub fn ignores_resource(&self, r: &Resource) -> Option<usize> {
        self.applying(r)
            .find(|(_, rule)| rule.path.is_none())
            .map(|(i, _)| i)
    }

    /// The rule that hides the change at `pointer` of `r`, if any.
    pub fn ignores_change(&self, r: &Resource, pointer: &str) -> Option<usize> {
        let path = segments(pointer);
        self.applying(r)
            .find(|(_, rule)| match &rule.path {
                None => true,
                Some(p) => {
                    path.len() >= p.len()
                        && p.iter()
                            .zip(&path)
                            .all(|(want, got)| want == "*" || want == got)
                }
            })
            .map(|(i, _)| i)
    }
}

/// Every name a rule's RESOURCE may match.
fn names(r: &Resource) -> impl Iterator<Item = &str> {
    let address = r.id.strip_prefix("tf:");
    [
        Some(r.id.as_str()),
        Some(r.name.as_str()),
        r.cloud_id.as_deref(),
        address,
    ]
    .into_iter()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Source;

    fn bucket(name: &str) -> Resource {
        let mut r = Resource::new(
            format!("aws:1:eu-west-1:aws_s3_bucket:{name}"),
            "aws_s3_bucket",
            Source::Aws {
                account: "1".into(),
                region: "eu-west-1".into(),
            },
        );
        r.name = name.into();
        r.cloud_id = Some(format!("arn:aws:s3:::{name}"));
        r
    }

    #[test]
    fn rules_match_kind_name_arn_and_paths() {
        let rules = IgnoreRules::parse(
            ".plumbignore",
            "# known drift\n\naws_s3_bucket analytics-*   # data team\n* arn:aws:s3:::logs /attrs/tags/*\n",
        )
        .unwrap();
        assert_eq!(rules.rules.len(), 2);
        assert_eq!(rules.rules[0].reason, "data team");
        assert_eq!(rules.rules[0].at, ".plumbignore:3");
        assert_eq!(rules.ignores_resource(&bucket("analytics-raw")), Some(0));
        assert_eq!(rules.ignores_resource(&bucket("logs")), None);
        assert_eq!(
            rules.ignores_change(&bucket("logs"), "/attrs/tags/Owner"),
            Some(1)
        );
        assert_eq!(
            rules.ignores_change(&bucket("logs"), "/attrs/versioning/0"),
            None
        );
        assert_eq!(
            rules.ignores_change(&bucket("analytics-x"), "/attrs/versioning/0"),
            Some(0)
        );
    }

    #[test]
    fn bad_lines_name_file_and_line() {
        let err = IgnoreRules::parse("ig", "aws_s3_bucket\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("ig:1: expected KIND RESOURCE [PATH]"),
            "{err}"
        );
        let err = IgnoreRules::parse("ig", "\n* * attrs/x\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("ig:2: PATH must be a JSON pointer"),
            "{err}"
        );
        let err = IgnoreRules::parse("ig", "a [z-a\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("ig:1: RESOURCE"), "{err}");
    }
}
