//! Which policies a run judges: `--check`, `--skip-check`, `--severity` and `disable:` in
//! `plumb.yaml`, in the vocabulary of other scanners.
//!
//! A selector names policies by id (`PLB-S3-001`), by id glob (`PLB-S3-*`, any case), by
//! category (`encryption`) or by framework (`cis-aws-3.0`: every policy with a control in it).
//! A selector that names no policy of the set is not an error (a pack may drop a policy, a
//! list may be shared between repositories) but it is reported, since a typo would otherwise
//! silently judge everything.

use globset::{GlobBuilder, GlobMatcher};

use super::{Policy, PolicySet, Severity};

/// One `--check` / `--skip-check` / `disable:` entry.
#[derive(Debug, Clone)]
pub struct Selector {
    /// As written, for warnings.
    pub text: String,
    glob: Option<GlobMatcher>,
}

impl Selector {
    /// Parses a selector; only a malformed glob (`PLB-[`) is an error.
    pub fn new(text: &str) -> Result<Selector, String> {
        let text = text.trim();
        let glob = if text.contains(['*', '?', '[']) {
            Some(
                GlobBuilder::new(text)
                    .case_insensitive(true)
                    .build()
                    .map_err(|e| format!("{text:?} is not a valid pattern: {e}"))?
                    .compile_matcher(),
            )
        } else {
            None
        };
        Ok(Selector {
            text: text.to_string(),
            glob,
        })
    }

    /// Whether the selector names `policy`: its id, a glob over its id, its category, or a
    /// framework it has controls in.
    pub fn matches(&self, policy: &Policy) -> bool {
        let doc = &policy.doc;
        match &self.glob {
            Some(glob) => glob.is_match(&doc.id),
            None => {
                doc.id.eq_ignore_ascii_case(&self.text)
                    || doc.category.as_str().eq_ignore_ascii_case(&self.text)
                    || doc
                        .controls
                        .keys()
                        .any(|f| f.eq_ignore_ascii_case(&self.text))
            }
        }
    }
}

/// What a run judges, out of the policies loaded.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only policies some of these name; all when empty (`--check`).
    pub check: Vec<Selector>,
    /// Not the policies any of these name (`--skip-check`, `disable:`), each with where it
    /// came from for warnings (`--skip-check`, `plumb.yaml: disable`).
    pub skip: Vec<(Selector, String)>,
    /// Only policies of these severities; all when empty (`--severity`).
    pub severities: Vec<Severity>,
}

impl Selection {
    /// Parses selectors, naming the flag or setting in errors.
    pub fn selectors(from: &str, texts: &[String]) -> Result<Vec<Selector>, String> {
        texts
            .iter()
            .flat_map(|t| t.split(','))
            .filter(|t| !t.trim().is_empty())
            .map(|t| Selector::new(t).map_err(|e| format!("{from}: {e}")))
            .collect()
    }

    /// The policies of `set` this selection keeps, and a warning for every selector that
    /// names no policy of `set`.
    pub fn apply(&self, set: PolicySet) -> (PolicySet, Vec<String>) {
        let mut warnings = Vec::new();
        for s in &self.check {
            if !set.iter().any(|p| s.matches(p)) {
                warnings.push(format!(
                    "--check {}: matches no policy (not an id, id pattern, category or framework)",
                    s.text
                ));
            }
        }
        for (s, from) in &self.skip {
            if !set.iter().any(|p| s.matches(p)) {
                warnings.push(format!(
                    "{from} {}: matches no policy (not an id, id pattern, category or framework)",
                    s.text
                ));
            }
        }
        let kept = set.retain(|p| {
            (self.check.is_empty() || self.check.iter().any(|s| s.matches(p)))
                && !self.skip.iter().any(|(s, _)| s.matches(p))
                && (self.severities.is_empty() || self.severities.contains(&p.doc.severity))
        });
        (kept, warnings)
    }
}
