//! `plumb.yaml`: the organisation's settings, which reach policies as `config.*`.
//!
//! Built-in policies read their thresholds from here rather than hard-coding them, so an
//! organisation tunes the pack without editing it. Every default follows
//! `requirements-baseline.md`; the README lists them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::waivers::{WaiverError, WaiverList, WaiverRule};
use crate::yaml::{self, YamlError};

/// The contents of `plumb.yaml`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Values policies read as `config.<name>`.
    pub settings: Settings,
    /// Extra policy directories, relative to the config file.
    pub policies: Vec<PathBuf>,
    /// Policies not to evaluate: ids, id patterns (`PLB-S3-*`), categories or frameworks, as
    /// `--skip-check` takes them. An entry that names no policy is reported.
    pub disable: Vec<String>,
    /// Lowest severity that fails the run (`--fail-on` overrides).
    pub fail_on: Option<String>,
    /// Checks that could not be decided fail the run too (`--fail-on-unknown`).
    pub fail_on_unknown: Option<bool>,
    /// Only policies of these severities are judged and reported (`--severity` overrides).
    pub severity: Vec<String>,
    /// Only these policies: ids, id patterns, categories, frameworks (`--check` overrides).
    pub check: Vec<String>,
    /// Not these policies, beside `disable` (`--skip-check` overrides).
    pub skip_check: Vec<String>,
    /// Files and folders a scan does not read: globs over their path (`--skip-path`
    /// overrides).
    pub skip_path: Vec<String>,
    /// No notes on standard error (`--quiet`).
    pub quiet: Option<bool>,
    /// Where the one report format goes (`--output`).
    pub output: Option<PathBuf>,
    /// Console: a line of remediation and the docs link under each failure (default true;
    /// `--no-remediation`).
    pub remediation: Option<bool>,
    /// Accepted failures: policy, resource pattern, reason, approver, expiry
    /// ([`crate::waivers`]).
    #[serde(skip_serializing)]
    pub waivers: WaiverList,
    /// `waivers`, checked, once the file has been read.
    #[serde(skip)]
    pub waiver_rules: Vec<WaiverRule>,
    /// Where snapshots are kept and for how long (`--store`, `--keep`, `--keep-days`
    /// override): `store: path/to/plumb.db`, or a map with `path`, `keep`, `keep_days`.
    pub store: StoreConfig,
}

/// The `store:` setting.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StoreConfig {
    /// The store file, relative to `plumb.yaml`'s folder. Default `.plumb/plumb.db`.
    pub path: Option<PathBuf>,
    /// Keep the newest N snapshots.
    pub keep: Option<usize>,
    /// Keep the snapshots of the last D days.
    pub keep_days: Option<u32>,
}

impl StoreConfig {
    /// Whether a store "path" is a PostgreSQL server URL (`postgres://` or `postgresql://`)
    /// rather than a file.
    pub fn is_server(path: &Path) -> bool {
        let s = path.to_string_lossy();
        s.starts_with("postgres://") || s.starts_with("postgresql://")
    }
}

impl<'de> Deserialize<'de> for StoreConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            path: Option<PathBuf>,
            keep: Option<usize>,
            keep_days: Option<u32>,
        }
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StoreConfig;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a store path, or a map with path, keep and keep_days")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StoreConfig, E> {
                Ok(StoreConfig {
                    path: Some(PathBuf::from(v)),
                    ..StoreConfig::default()
                })
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<StoreConfig, E> {
                Ok(StoreConfig::default())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<StoreConfig, A::Error> {
                let full = Full::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(StoreConfig {
                    path: full.path,
                    keep: full.keep,
                    keep_days: full.keep_days,
                })
            }
        }
        d.deserialize_any(Visitor)
    }
}

/// Organisation settings. Unknown keys are kept and reach CEL too, for custom policies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Tag keys every taggable resource must carry (baseline: "Tagging strategy for cost
    /// allocation"; "Separation of environments").
    pub required_tags: Vec<String>,
    /// Minimum days logs stay searchable (baseline: "90 days hot").
    pub log_retention_days: i64,
    /// Days logs are kept in archive (baseline: "7 years archived").
    pub log_archive_days: i64,
    /// Minimum retention of daily backups (baseline: "30-day retention for daily backups").
    pub backup_retention_days: i64,
    /// Minimum retention of monthly snapshots (baseline: "90-day retention for monthly
    /// snapshots").
    pub monthly_snapshot_retention_days: i64,
    /// Recovery point objective, minutes (baseline: 15).
    pub rpo_minutes: i64,
    /// Recovery time objective, minutes (baseline: 60).
    pub rto_minutes: i64,
    /// Minimum replicas / instances per service (baseline: "Minimum instance count: 2 per
    /// service").
    pub min_replicas: i64,
    /// Lowest TLS version accepted in transit (baseline: "TLS 1.2+").
    pub min_tls_version: String,
    /// Regions resources may live in; empty allows any (baseline: "data sovereignty").
    pub allowed_regions: Vec<String>,
    /// The tag naming a resource's environment (baseline: "Separation of environments").
    pub environment_tag: String,
    /// The values that tag may take (baseline: "dev, staging, prod").
    pub environments: Vec<String>,
    /// Longest time between two rotations of a secret, days (baseline: "Rotation policy for
    /// all secrets").
    pub secret_rotation_days: i64,
    /// Oldest an active IAM access key may be, days (CIS AWS 1.14).
    pub access_key_max_age_days: i64,
    /// Longest an active credential may go unused, days (CIS AWS 1.12).
    pub credential_unused_days: i64,
    /// Shortest IAM password allowed (CIS AWS 1.8).
    pub min_password_length: i64,
    /// Previous IAM passwords that may not be reused (CIS AWS 1.9).
    pub password_reuse_prevention: i64,
    /// Autoscaling CPU target, percent (baseline: "Target CPU utilization: 70%").
    pub target_cpu_utilization: i64,
    /// Autoscaling memory target, percent (baseline: "Target memory utilization: 75%").
    pub target_memory_utilization: i64,
    /// Where container images may come from: a registry host (`ghcr.io`), a domain suffix
    /// starting with a dot (`.dkr.ecr.eu-west-1.amazonaws.com`), or a repository prefix
    /// (`ghcr.io/acme`); empty allows any (baseline: "Amazon ECR for container image
    /// storage", "Base image standardization").
    pub allowed_registries: Vec<String>,
    /// GitHub Actions owners trusted to use by tag (`actions`, `github`, your organisation);
    /// empty requires every action to be pinned to a commit SHA (baseline: "AWS CodeBuild or
    /// GitHub Actions"; GitHub's security hardening guide).
    pub trusted_action_owners: Vec<String>,
    /// Anything else, for custom policies.
    #[serde(flatten)]
    pub custom: BTreeMap<String, Value>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            required_tags: vec!["Owner".into(), "Environment".into(), "CostCenter".into()],
            log_retention_days: 90,
            log_archive_days: 2555,
            backup_retention_days: 30,
            monthly_snapshot_retention_days: 90,
            rpo_minutes: 15,
            rto_minutes: 60,
            min_replicas: 2,
            min_tls_version: "1.2".into(),
            allowed_regions: Vec::new(),
            environment_tag: "Environment".into(),
            environments: vec!["dev".into(), "staging".into(), "prod".into()],
            secret_rotation_days: 90,
            access_key_max_age_days: 90,
            credential_unused_days: 45,
            min_password_length: 14,
            password_reuse_prevention: 24,
            target_cpu_utilization: 70,
            target_memory_utilization: 75,
            allowed_registries: Vec::new(),
            trusted_action_owners: Vec::new(),
            custom: BTreeMap::new(),
        }
    }
}

impl Settings {
    /// The settings as one JSON object, the shape CEL sees as `config`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).expect("settings are plain data and always serialise")
    }
}

/// `plumb.yaml` could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: crate::read::ReadError,
    },
    #[error("{path}:{error}")]
    Yaml { path: String, error: YamlError },
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Waivers(Vec<WaiverError>),
}

impl Config {
    /// Reads a config file. Relative policy directories are resolved against its folder.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let display = path.display().to_string();
        let text = crate::read::text(path, crate::read::Limit::Source).map_err(|source| {
            ConfigError::Io {
                path: display.clone(),
                source,
            }
        })?;
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            yaml::from_str(&text).map_err(|error| ConfigError::Yaml {
                path: display.clone(),
                error,
            })?
        };
        config.waiver_rules = config
            .waivers
            .rules(&path.display().to_string())
            .map_err(ConfigError::Waivers)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for dir in config.policies.iter_mut().chain(&mut config.store.path) {
            // A server URL is not a path to resolve.
            if dir.is_relative() && !StoreConfig::is_server(dir) {
                *dir = base.join(&*dir);
            }
        }
        Ok(config)
    }

    /// `plumb.yaml` in the current directory, if there is one.
    pub fn discover() -> Option<PathBuf> {
        let path = PathBuf::from("plumb.yaml");
        path.is_file().then_some(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_baseline() {
        let s = Settings::default();
        assert_eq!((s.rpo_minutes, s.rto_minutes), (15, 60));
        assert_eq!(s.log_retention_days, 90);
        assert_eq!(s.backup_retention_days, 30);
    }

    #[test]
    fn reads_overrides_and_custom_keys() {
        let c: Config = yaml::from_str(
            "settings:\n  log_retention_days: 365\n  team_prefix: pay-\nfail_on: high\n",
        )
        .unwrap();
        assert_eq!(c.settings.log_retention_days, 365);
        assert_eq!(c.settings.rpo_minutes, 15);
        assert_eq!(c.settings.custom["team_prefix"], "pay-");
        assert_eq!(c.settings.to_json()["team_prefix"], "pay-");
    }

    #[test]
    fn store_is_a_path_or_a_map() {
        let c: Config = yaml::from_str("store: /var/lib/plumb.db\n").unwrap();
        assert_eq!(c.store.path, Some(PathBuf::from("/var/lib/plumb.db")));
        let c: Config =
            yaml::from_str("store:\n  path: s.db\n  keep: 30\n  keep_days: 90\n").unwrap();
        assert_eq!((c.store.keep, c.store.keep_days), (Some(30), Some(90)));
        let err = yaml::from_str::<Config>("store:\n  path: s.db\n  keep_for: 3\n").unwrap_err();
        assert!(err.message.contains("keep_for"), "{err}");
    }

    #[test]
    fn reads_the_flags_settings() {
        let c: Config = yaml::from_str(
            "severity: [HIGH, critical]\ncheck: [PLB-S3-*]\nskip_check: [tagging]\nskip_path: [\"**/test/**\"]\nfail_on_unknown: true\nquiet: true\noutput: out.sarif\nremediation: false\n",
        )
        .unwrap();
        assert_eq!(c.severity, ["HIGH", "critical"]);
        assert_eq!(c.check, ["PLB-S3-*"]);
        assert_eq!(c.skip_check, ["tagging"]);
        assert_eq!(c.skip_path, ["**/test/**"]);
        assert_eq!(
            (c.fail_on_unknown, c.quiet, c.remediation),
            (Some(true), Some(true), Some(false))
        );
        assert_eq!(c.output, Some(PathBuf::from("out.sarif")));
    }

    #[test]
    fn rejects_unknown_top_level_keys_with_a_line() {
        let err = yaml::from_str::<Config>("settings: {}\nfail-on: high\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
    }
}
