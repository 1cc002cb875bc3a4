//! The requirements baseline as data: every requirement line of the organisation's baseline,
//! the id policies name it by (`controls.baseline`), and, for the ones configuration cannot
//! show, why not (`src/policy/baseline.yaml`).

use std::sync::OnceLock;

use serde::Deserialize;

/// One requirement line of the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// `Subsection/Requirement`, as policies name it in `controls.baseline`.
    pub id: String,
    /// `Section › Subsection › Group` of the baseline document.
    pub section: String,
    /// Why configuration cannot show whether it is met; `None` when policies check it.
    #[serde(default)]
    pub reason: Option<String>,
}

impl Requirement {
    /// Whether policies can check it.
    pub fn checkable(&self) -> bool {
        self.reason.is_none()
    }

    /// The requirement's own words (the part of the id after the subsection).
    pub fn text(&self) -> &str {
        self.id.split_once('/').map_or(&self.id, |(_, t)| t)
    }
}

const CATALOGUE: &str = include_str!("baseline.yaml");

/// Every requirement of the baseline, in document order.
pub fn requirements() -> &'static [Requirement] {
    static PARSED: OnceLock<Vec<Requirement>> = OnceLock::new();
    PARSED.get_or_init(|| {
        crate::yaml::from_str(CATALOGUE)
            .expect("src/policy/baseline.yaml is part of the build and parses (tested)")
    })
}

/// A requirement by id.
pub fn requirement(id: &str) -> Option<&'static Requirement> {
    requirements().iter().find(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_parses_with_unique_ids() {
        let all = requirements();
        assert!(all.len() > 200, "{}", all.len());
        let mut ids: Vec<&str> = all.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "duplicate requirement ids");
        let rpo = requirement("Disaster Recovery/Recovery Point Objective (RPO): 15 minutes")
            .expect("the RPO requirement");
        assert!(rpo.checkable());
        assert_eq!(rpo.text(), "Recovery Point Objective (RPO): 15 minutes");
        assert!(requirements().iter().any(|r| !r.checkable()));
    }
}
