//! Policies: YAML documents with a CEL condition, compiled once and shared by every thread.
//!
//! A policy file holds one policy or a list. Fields (unknown fields are rejected):
//!
//! ```yaml
//! id: PLB-S3-001                 # stable; never reused for another meaning
//! title: S3 buckets encrypt data at rest with a KMS key
//! severity: high                 # critical | high | medium | low | info
//! category: encryption           # encryption | network | retention | tagging | backup | audit | iam | kubernetes | container | cicd
//! kinds: [aws_s3_bucket]
//! when: resource.facets.x != ""  # optional CEL: the policy applies only where this is true
//! condition: resource.facets.sse_algorithm.startsWith("aws:kms")   # CEL; true = compliant
//! message: "bucket {{ resource.cloud_id }} uses {{ resource.facets.sse_algorithm }}"
//! rationale: Why the requirement exists.
//! remediation: What to do, imperatively.
//! references: [https://docs.aws.amazon.com/...]
//! controls:
//!   baseline: ["Security & Compliance Infrastructure/Data Protection/Encryption"]
//!   nist-800-53: [SC-28]
//! ```
//!
//! CEL sees `resource` (`id`, `kind`, `name`, `cloud_id`, `tags`, `attrs`, `facets`) and `config`
//! (the settings of `plumb.yaml`).

pub mod baseline;
pub mod docs;
pub(crate) mod expr;
mod load;
pub mod select;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use expr::{Path, PathRoot, Template, json_val, map_val, str_val};
pub use load::{LoadError, PolicyFile, builtin_files, load_dir, load_files};

/// How bad a failure is. Ordered from `Info` (least) to `Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    /// Case-insensitive: `high`, `HIGH` and `High` are one severity (peers print them upper
    /// case, and users type what they read).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown severity {s:?} (critical, high, medium, low, info)"))
    }
}

/// What a policy is about. Exactly these names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Encryption,
    Network,
    Retention,
    Tagging,
    Backup,
    Audit,
    Iam,
    Kubernetes,
    /// Container images: how Dockerfiles build them.
    Container,
    /// CI/CD pipelines: how workflows build and deploy.
    Cicd,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Encryption,
        Category::Network,
        Category::Retention,
        Category::Tagging,
        Category::Backup,
        Category::Audit,
        Category::Iam,
        Category::Kubernetes,
        Category::Container,
        Category::Cicd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Encryption => "encryption",
            Category::Network => "network",
            Category::Retention => "retention",
            Category::Tagging => "tagging",
            Category::Backup => "backup",
            Category::Audit => "audit",
            Category::Iam => "iam",
            Category::Kubernetes => "kubernetes",
            Category::Container => "container",
            Category::Cicd => "cicd",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The documentation fields of a policy: what `plumb policies show`, SARIF rules and reports
/// print. Serialisable on its own so reports can carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDoc {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    pub kinds: Vec<String>,
    #[serde(default)]
    pub rationale: String,
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    /// Framework -> control ids (`baseline`, `cis-aws-3.0`, `nist-800-53`, ...).
    #[serde(default)]
    pub controls: BTreeMap<String, Vec<String>>,
    /// Where the policy was defined: `file:line` (`builtin:` prefix for embedded ones).
    pub origin: String,
}

/// Longest [`PolicyDoc::remediation_line`], in characters.
const REMEDIATION_LINE: usize = 200;

impl PolicyDoc {
    /// The remediation in one line, for lists: its first paragraph (later ones are usually a
    /// configuration snippet), whitespace collapsed, cut to [`REMEDIATION_LINE`] characters.
    /// Empty when the policy has none.
    pub fn remediation_line(&self) -> String {
        // A configuration snippet is not a line of prose: the first paragraph that is prose,
        // and a pointer to the full text where it introduces a snippet.
        let show = format!("plumb policies show {}", self.id);
        let prose = self.remediation.trim().split("\n\n").find(|para| {
            !para
                .lines()
                .any(|l| l.starts_with(' ') || l.trim_end().ends_with('{') || l.trim() == "}")
        });
        let Some(prose) = prose else {
            return if self.remediation.trim().is_empty() {
                String::new()
            } else {
                format!("see `{show}`")
            };
        };
        let words: Vec<&str> = prose.split_whitespace().collect();
        let mut line = words.join(" ");
        if line.ends_with(':') {
            line.pop();
            line.push_str(&format!(" (as `{show}` shows)"));
        }
        if line.chars().count() > REMEDIATION_LINE {
            let cut: String = line.chars().take(REMEDIATION_LINE - 1).collect();
            format!("{}…", cut.trim_end())
        } else {
            line
        }
    }

    /// Where to read more: the first reference, else the command that prints the policy's
    /// documentation.
    pub fn docs_link(&self) -> String {
        self.references
            .first()
            .cloned()
            .unwrap_or_else(|| format!("plumb policies show {}", self.id))
    }
}

/// A loaded, compiled policy. `Send + Sync`: compiled once, shared by every evaluating thread.
#[derive(Debug)]
pub struct Policy {
    pub doc: PolicyDoc,
    /// `doc.id` and `doc.title`, shared by every finding of the policy.
    pub(crate) id: Arc<str>,
    pub(crate) title: Arc<str>,
    pub condition_source: String,
    pub when_source: Option<String>,
    pub(crate) condition: cel::Program,
    pub(crate) when: Option<cel::Program>,
    pub(crate) message: Template,
    /// Every `resource.*` / `config.*` path the condition and `when` read: the evidence of a
    /// verdict, and what decides whether a failure is really `unknown`.
    pub reads: Vec<Path>,
    /// The paths the condition alone reads (not `when`): what a failure rests on.
    pub(crate) condition_reads: Vec<Path>,
    /// The paths `when` alone reads: what decides whether a `when` that is false is really
    /// unknown.
    pub when_reads: Vec<Path>,
    /// [`Path::evidence_key`] of each of `reads`, shared by every finding.
    pub(crate) evidence_keys: Vec<Arc<str>>,
    /// Whether any expression reads `resource.attrs`; if none does, attributes are not
    /// converted for CEL at all.
    pub reads_attrs: bool,
    /// The facets any expression (message included) reads by name; `None` when one needs
    /// them all. Only these are converted for CEL.
    pub facets_read: Option<Vec<String>>,
    /// What bounds the work of the condition and `when` ([`expr::Work`]): checked against
    /// [`crate::engine::CEL_ITERATION_BUDGET`] before each evaluation.
    pub(crate) work: expr::Work,
}

/// The policies of one run, indexed by kind.
#[derive(Debug, Default)]
pub struct PolicySet {
    policies: Vec<Arc<Policy>>,
    by_kind: HashMap<String, KindIndex>,
}

/// The policies that apply to one kind, and what of a resource of that kind they read.
#[derive(Debug, Default)]
pub(crate) struct KindIndex {
    /// Positions in the set, by id.
    pub policies: Vec<usize>,
    /// Whether any of them reads `resource.attrs`.
    pub reads_attrs: bool,
    /// The facets they read by name, sorted; `None` when one reads them all.
    pub facets: Option<Vec<String>>,
}

impl PolicySet {
    /// A set from loaded policies, sorted by id. Ids must already be unique.
    pub fn new(mut policies: Vec<Policy>) -> Self {
        policies.sort_by(|a, b| a.doc.id.cmp(&b.doc.id));
        let mut by_kind: HashMap<String, KindIndex> = HashMap::new();
        for (i, p) in policies.iter().enumerate() {
            for kind in &p.doc.kinds {
                let index = by_kind.entry(kind.clone()).or_insert_with(|| KindIndex {
                    facets: Some(Vec::new()),
                    ..KindIndex::default()
                });
                index.policies.push(i);
                index.reads_attrs |= p.reads_attrs;
                match (&mut index.facets, &p.facets_read) {
                    (Some(all), Some(read)) => {
                        all.extend(read.iter().cloned());
                        all.sort();
                        all.dedup();
                    }
                    (facets, _) => *facets = None,
                }
            }
        }
        PolicySet {
            policies: policies.into_iter().map(Arc::new).collect(),
            by_kind,
        }
    }

    /// What applies to a kind; `None` when no policy does.
    pub(crate) fn kind_index(&self, kind: &str) -> Option<&KindIndex> {
        self.by_kind.get(kind)
    }

    /// The policy at a position of [`KindIndex::policies`].
    pub(crate) fn at(&self, i: usize) -> &Arc<Policy> {
        &self.policies[i]
    }

    /// All policies, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Policy>> {
        self.policies.iter()
    }

    pub fn len(&self) -> usize {
        self.policies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The policies that apply to a kind, by id.
    pub fn for_kind(&self, kind: &str) -> impl Iterator<Item = &Arc<Policy>> {
        self.by_kind
            .get(kind)
            .into_iter()
            .flat_map(|k| k.policies.iter())
            .map(|&i| &self.policies[i])
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Policy>> {
        self.policies
            .binary_search_by(|p| p.doc.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.policies[i])
    }

    /// The policies `keep` accepts, as a new set.
    pub fn retain(self, keep: impl Fn(&Policy) -> bool) -> Self {
        let kept = self
            .policies
            .into_iter()
            .filter(|p| keep(p))
            .map(|p| Arc::try_unwrap(p).expect("a fresh set owns its policies"))
            .collect();
        PolicySet::new(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_policies_are_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Policy>();
        assert_send_sync::<PolicySet>();
    }

    #[test]
    fn severities_order_from_info_to_critical() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::Low > Severity::Info);
        assert_eq!("medium".parse::<Severity>(), Ok(Severity::Medium));
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert_eq!("Critical".parse::<Severity>(), Ok(Severity::Critical));
        assert!("severe".parse::<Severity>().is_err());
    }
}
