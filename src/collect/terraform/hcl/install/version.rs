//! Module versions and version constraints, as Terraform reads a module call's `version`.
//!
//! Versions are `MAJOR[.MINOR[.PATCH]][-PRERELEASE][+METADATA]`, with an optional leading `v`
//! (registries answer both). Constraints are comma-separated terms, each `OP VERSION` with OP one
//! of `=`, `!=`, `>`, `>=`, `<`, `<=`, `~>` (none means `=`). `~>` allows only the rightmost
//! written segment to grow: `~> 1.2` is `>= 1.2, < 2.0`, `~> 1.2.3` is `>= 1.2.3, < 1.3.0`.
//! A pre-release is chosen only when a term names it exactly (`= 1.3.0-beta1`): Terraform never
//! picks one for a range.

use std::cmp::Ordering;
use std::fmt;

/// A parsed version. Build metadata is kept for display only: it takes no part in ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Version {
    pub numbers: [u64; 3],
    /// Pre-release identifiers (`beta.1` -> `["beta", "1"]`); empty for a release.
    pub pre: Vec<String>,
    text: String,
}

impl Version {
    /// Parses `1`, `1.2`, `v1.2.3`, `1.2.3-rc.1+build5`.
    pub(super) fn parse(text: &str) -> Option<Version> {
        Self::parse_counted(text).map(|(v, _)| v)
    }

    /// The version and how many numeric segments were written (for `~>`).
    fn parse_counted(text: &str) -> Option<(Version, usize)> {
        let t = text.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let (t, _meta) = t.split_once('+').unwrap_or((t, ""));
        let (core, pre) = match t.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (t, None),
        };
        let mut numbers = [0u64; 3];
        let mut count = 0;
        for part in core.split('.') {
            if count == 3 || part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            numbers[count] = part.parse().ok()?;
            count += 1;
        }
        let pre: Vec<String> = match pre {
            Some(p) => {
                let ids: Vec<String> = p.split('.').map(str::to_string).collect();
                if ids.iter().any(|i| {
                    i.is_empty() || !i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    return None;
                }
                ids
            }
            None => Vec::new(),
        };
        Some((
            Version {
                numbers,
                pre,
                text: text.trim().to_string(),
            },
            count,
        ))
    }

    pub(super) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release sorts after its pre-releases.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_pre(&self.pre, &other.pre),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Semantic versioning's order of pre-release identifiers: numbers numerically and before
/// words, words in ASCII order, a shorter list first when one is a prefix of the other.
fn compare_pre(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Pessimistic,
}

#[derive(Debug, Clone)]
struct Term {
    op: Op,
    version: Version,
    /// Numeric segments written, for `~>`.
    segments: usize,
}

/// A parsed `version` argument. The empty constraint allows every release.
#[derive(Debug, Clone, Default)]
pub(super) struct Constraint {
    terms: Vec<Term>,
}

impl Constraint {
    /// Parses `~> 1.2`, `>= 1.2, < 2.0`, `1.2.3`; the error names the term that is wrong.
    pub(super) fn parse(text: &str) -> Result<Constraint, String> {
        let mut terms = Vec::new();
        if text.trim().is_empty() {
            return Ok(Constraint { terms });
        }
        for raw in text.split(',') {
            let t = raw.trim();
            let (op, rest) = [
                ("~>", Op::Pessimistic),
                (">=", Op::Ge),
                ("<=", Op::Le),
                ("!=", Op::Ne),
                (">", Op::Gt),
                ("<", Op::Lt),
                ("=", Op::Eq),
            ]
            .iter()
            .find_map(|(s, op)| t.strip_prefix(s).map(|r| (*op, r)))
            .unwrap_or((Op::Eq, t));
            let (version, segments) = Version::parse_counted(rest)
                .ok_or_else(|| format!("invalid version constraint {:?}", raw.trim()))?;
            terms.push(Term {
                op,
                version,
                segments,
            });
        }
        Ok(Constraint { terms })
    }

    /// Whether `v` meets every term. A pre-release meets the constraint only when a `=` term
    /// names exactly it.
    pub(super) fn allows(&self, v: &Version) -> bool {
        if v.is_prerelease()
            && !self
                .terms
                .iter()
                .any(|t| t.op == Op::Eq && t.version.cmp(v) == Ordering::Equal)
        {
            return false;
        }
        self.terms.iter().all(|t| t.allows(v))
    }

    /// The newest of `versions` that the constraint allows.
    pub(super) fn newest<'v>(
        &self,
        versions: impl IntoIterator<Item = &'v Version>,
    ) -> Option<&'v Version> {
        versions.into_iter().filter(|v| self.allows(v)).max()
    }
}

impl Term {
    fn allows(&self, v: &Version) -> bool {
        let o = v.cmp(&self.version);
        match self.op {
            Op::Eq => o == Ordering::Equal,
            Op::Ne => o != Ordering::Equal,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Pessimistic => {
                if o == Ordering::Less {
                    return false;
                }
                // The segments left of the last written one stay as written (`~> 1` keeps
                // the major version, like `~> 1.0`).
                let fixed = self.segments.saturating_sub(1).max(1);
                v.numbers[..fixed] == self.version.numbers[..fixed]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn constraints_pick_like_terraform() {
        let all: Vec<Version> = [
            "0.9.0",
            "1.0.0",
            "1.1.0",
            "1.2.3",
            "1.3.0-beta1",
            "2.0.0",
            "v2.1.0",
            "20.0.0",
            "20.8.1",
            "21.0.0",
        ]
        .iter()
        .map(|s| v(s))
        .collect();
        let cases = [
            ("~> 1.1", Some("1.2.3")),
            ("~> 1.1.0", Some("1.1.0")),
            ("~> 1", Some("1.2.3")),
            ("~> 20.0", Some("20.8.1")),
            (">= 1.2, < 2.0", Some("1.2.3")),
            ("1.1.0", Some("1.1.0")),
            ("= 1.0.0", Some("1.0.0")),
            ("!= 21.0.0", Some("20.8.1")),
            ("> 20.8.1", Some("21.0.0")),
            ("<= 1.2.3", Some("1.2.3")),
            ("< 1.0.0", Some("0.9.0")),
            ("", Some("21.0.0")),
            ("~> 3.0", None),
            ("> 21.0.0", None),
            // Pre-releases only when named exactly.
            (">= 1.3.0-beta1, < 2.0.0", None),
            ("= 1.3.0-beta1", Some("1.3.0-beta1")),
            ("1.3.0-beta1", Some("1.3.0-beta1")),
            ("2.1", Some("v2.1.0")),
        ];
        for (text, want) in cases {
            let c = Constraint::parse(text).unwrap();
            let got = c.newest(&all).map(ToString::to_string);
            assert_eq!(got.as_deref(), want, "constraint {text:?}");
        }
    }

    proptest::proptest! {
        /// Any text parses or is refused, never panics.
        #[test]
        fn any_constraint_text_is_read_or_refused(c in "[~<>=!, v0-9.a-z+-]{0,30}") {
            let _ = Constraint::parse(&c);
        }

        /// `~> X.Y` is `>= X.Y, < (X+1).0` and `~> X.Y.Z` is `>= X.Y.Z, < X.(Y+1).0`, for
        /// releases; no pre-release meets either.
        #[test]
        fn pessimistic_is_a_range(x in 0u64..4, y in 0u64..4, z in 0u64..4,
                                  a in 0u64..5, b in 0u64..5, c in 0u64..5, pre: bool) {
            let text = format!("{a}.{b}.{c}{}", if pre { "-rc1" } else { "" });
            let v = Version::parse(&text).unwrap();
            let two = Constraint::parse(&format!("~> {x}.{y}")).unwrap();
            let three = Constraint::parse(&format!("~> {x}.{y}.{z}")).unwrap();
            let n = [a, b, c];
            proptest::prop_assert_eq!(two.allows(&v), !pre && n >= [x, y, 0] && a == x);
            proptest::prop_assert_eq!(three.allows(&v), !pre && n >= [x, y, z] && a == x && b == y);
        }
    }

    #[test]
    fn order_and_parse_errors() {
        assert!(v("1.0.0-alpha") < v("1.0.0-alpha.1"));
        assert!(v("1.0.0-alpha.1") < v("1.0.0-beta"));
        assert!(v("1.0.0-2") < v("1.0.0-10"));
        assert!(v("1.0.0-rc.1") < v("1.0.0"));
        assert_eq!(v("1.0.0+a").cmp(&v("1.0.0+b")), Ordering::Equal);
        for bad in ["", "x", "1.2.3.4", "1..2", "1.2-", "~> ", ">= 1.0, banana"] {
            assert!(
                Version::parse(bad).is_none() || Constraint::parse(bad).is_err(),
                "{bad:?} should not parse"
            );
        }
        let e = Constraint::parse(">= 1.0, banana").unwrap_err();
        assert!(e.contains("\"banana\""), "{e}");
    }
}
