//! Recovery estimates for data stores: `rpo_minutes` and `rto_minutes`, each with a `*_basis`
//! sentence saying what it rests on.
//!
//! **RPO** is how much recent data (in minutes of writes) can be lost: the distance to the
//! most recent recovery point the store keeps for a deleted, overwritten or corrupted copy.
//! Recovery points come from point-in-time recovery, versioning, replication to a separate
//! copy, and scheduled snapshots (the store's own, AWS Backup plans and Data Lifecycle Manager
//! policies covering it). A synchronous standby (RDS Multi-AZ) is not a recovery point: a
//! deletion or a corruption reaches it at once.
//!
//! **RTO** is how long the store is unavailable when the infrastructure under its primary
//! copy fails (an instance, a volume, an Availability Zone): a failover where a standby or
//! replica exists, otherwise a restore from the best recovery point.
//!
//! `-1` means there is nothing to recover from: no recovery point at all (RPO) or no way to
//! bring the store back (RTO). A `null` estimate means a setting it depends on is unknown.
//!
//! The AWS facts behind each figure:
//!
//! * RDS automated backups upload transaction logs to S3 every five minutes; the latest
//!   restorable time is typically within the last five minutes. Aurora's continuous backups
//!   and DynamoDB point-in-time recovery give the same bound (DynamoDB's latest restorable
//!   time is typically five minutes before now). [`PITR_RPO`]
//! * An RDS Multi-AZ instance fails over to its synchronous standby, typically in 60-120
//!   seconds; a Multi-AZ DB cluster and an Aurora cluster with a replica fail over in under a
//!   minute. Aurora without a replica recreates the writer, typically in under ten minutes.
//! * Restoring RDS from a backup creates a new instance (tens of minutes) and loads the
//!   data from S3, so the time grows with size: plumb assumes 20 minutes plus one minute per
//!   10 GiB of allocated storage. [`rds_restore_minutes`]
//! * DynamoDB, S3 (Standard classes) and regional EFS keep every object in at least three
//!   Availability Zones: losing one needs no recovery.
//! * S3 versioning keeps every overwritten or deleted version, so no write is lost.
//! * EBS volumes are replicated only within their Availability Zone. A volume created from a
//!   snapshot is usable within minutes (blocks load lazily); plumb assumes 15 minutes.
//! * EFS replication is designed for an RPO of 15 minutes for most file systems. EFS
//!   automatic backups run daily. An EFS One Zone file system lost with its zone must be
//!   restored from a backup, copying every file: plumb assumes two hours.
//! * ElastiCache (Redis OSS, Valkey) replicates asynchronously: on failover, writes not yet
//!   replicated (normally well under a minute) are lost. A Multi-AZ replication group
//!   promotes a replica automatically, within minutes (plumb assumes 5); without automatic
//!   failover a node is replaced and a snapshot reloaded (plumb assumes 30).
//! * Snapshots taken on a schedule lose up to one interval of writes (daily: 1440 minutes).

use serde_json::Value;

use super::facets::Setter;

/// Minutes of writes point-in-time recovery can lose (RDS, Aurora, DynamoDB).
pub(super) const PITR_RPO: i64 = 5;
/// Nothing to recover from.
pub(super) const NONE: i64 = -1;
/// Minutes between daily snapshots.
pub(super) const DAILY: i64 = 1440;

/// One estimate and the sentence it rests on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Estimate {
    pub minutes: i64,
    pub basis: String,
}

fn est(minutes: i64, basis: impl Into<String>) -> Estimate {
    Estimate {
        minutes,
        basis: basis.into(),
    }
}

/// What AWS Backup plans (and, for EBS, Data Lifecycle Manager policies) covering a store
/// promise it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Scheduled {
    /// Names of the covering plans and policies.
    pub plans: Vec<String>,
    /// Longest gap between two scheduled backups of the most frequent rule, minutes.
    pub interval: Option<i64>,
    /// A covering rule takes continuous backups (point-in-time restore through AWS Backup).
    pub continuous: bool,
    /// A covering rule copies backups to another region; `None` when a copy's destination
    /// region cannot be known.
    pub cross_region: Option<bool>,
    /// A covering plan's rules cannot be read (the plan is outside the inventory, or its
    /// rules are known only after apply): it may offer a recovery point as good as
    /// point-in-time recovery.
    pub unknown_rules: bool,
}

impl Scheduled {
    fn describe(&self) -> String {
        format!("backup plan {}", self.plans.join(", "))
    }
}

/// Writes the four facets of a pair of estimates.
pub(super) fn set(f: &mut Setter<'_>, rpo: Option<Estimate>, rto: Option<Estimate>) {
    let (rpo_minutes, rpo_basis) = split(rpo);
    let (rto_minutes, rto_basis) = split(rto);
    f.set("rpo_minutes", rpo_minutes);
    f.set("rpo_basis", rpo_basis);
    f.set("rto_minutes", rto_minutes);
    f.set("rto_basis", rto_basis);
}

fn split(e: Option<Estimate>) -> (Option<Value>, Option<Value>) {
    match e {
        Some(e) => (Some(e.minutes.into()), Some(e.basis.into())),
        None => (None, None),
    }
}

/// The best recovery point among scheduled backups, if any.
fn scheduled_rpo(s: &Scheduled) -> Option<Estimate> {
    let interval = s.interval?;
    Some(est(
        interval,
        format!(
            "{} every {}",
            s.describe(),
            if interval == DAILY {
                "day".to_string()
            } else {
                format!("{interval} min")
            }
        ),
    ))
}

fn best(candidates: impl IntoIterator<Item = Estimate>, none: &str) -> Estimate {
    candidates
        .into_iter()
        .min_by_key(|e| e.minutes)
        .unwrap_or_else(|| est(NONE, none))
}

/// The best recovery point, unless a covering plan whose rules are unknown could offer a
/// better one than the known candidates: then `None`.
fn best_known(
    candidates: impl IntoIterator<Item = Estimate>,
    none: &str,
    s: &Scheduled,
) -> Option<Estimate> {
    let e = best(candidates, none);
    (!s.unknown_rules || (e.minutes != NONE && e.minutes <= PITR_RPO)).then_some(e)
}

/// Time to restore an RDS instance from a backup, by allocated storage.
pub(super) fn rds_restore_minutes(storage_gib: i64) -> i64 {
    20 + (storage_gib.max(0) + 9) / 10
}

/// An RDS DB instance.
pub(super) fn rds_instance(
    backup_days: Option<i64>,
    multi_az: Option<bool>,
    storage_gib: Option<i64>,
    scheduled: &Scheduled,
) -> (Option<Estimate>, Option<Estimate>) {
    let rpo = backup_days.and_then(|days| {
        let mut options = Vec::new();
        if days > 0 {
            options.push(est(
                PITR_RPO,
                format!("point-in-time recovery from automated backups kept {days} days"),
            ));
        }
        if scheduled.continuous {
            options.push(est(
                PITR_RPO,
                format!("continuous backups in {}", scheduled.describe()),
            ));
        }
        options.extend(scheduled_rpo(scheduled));
        best_known(
            options,
            "no automated backups (backup_retention_period = 0) and no backup plan: a deleted or corrupted database cannot be restored",
            scheduled,
        )
    });
    let recoverable = match &rpo {
        Some(e) => Some(e.minutes != NONE),
        // A plan whose rules are unknown still keeps recovery points.
        None if scheduled.unknown_rules && backup_days.is_some() => Some(true),
        None => None,
    };
    let rto = match (multi_az, recoverable) {
        (Some(true), _) => Some(est(
            2,
            "Multi-AZ: automatic failover to the synchronous standby, typically 1-2 min",
        )),
        (Some(false), Some(false)) => Some(est(
            NONE,
            "single-AZ with no backup to restore from: a failed instance cannot be brought back",
        )),
        (Some(false), Some(true)) => storage_gib.map(|gib| {
            est(
                rds_restore_minutes(gib),
                format!(
                    "single-AZ: restore from backup to a new instance, about 20 min plus 1 min per 10 GiB ({gib} GiB allocated)"
                ),
            )
        }),
        _ => None,
    };
    (rpo, rto)
}

/// An Aurora cluster (or a Multi-AZ DB cluster).
pub(super) fn rds_cluster(
    backup_days: Option<i64>,
    instances: Option<usize>,
    multi_az_cluster: Option<bool>,
) -> (Option<Estimate>, Option<Estimate>) {
    // Aurora always keeps at least one day of continuous backups.
    let rpo = backup_days.map(|days| {
        est(
            PITR_RPO,
            format!(
                "continuous backups with point-in-time recovery, kept {} days",
                days.max(1)
            ),
        )
    });
    let rto = match (multi_az_cluster, instances) {
        (Some(true), _) => Some(est(
            1,
            "Multi-AZ DB cluster: automatic failover to a reader, typically under 35 s",
        )),
        (_, Some(n)) if n >= 2 => Some(est(
            1,
            format!("{n} instances: failover to an Aurora replica, typically under a minute"),
        )),
        (Some(false), Some(_)) => Some(est(
            10,
            "no Aurora replica: the writer is recreated on the shared storage, typically under 10 min",
        )),
        _ => None,
    };
    (rpo, rto)
}

/// A DynamoDB table.
pub(super) fn dynamodb(
    pitr: Option<bool>,
    scheduled: &Scheduled,
) -> (Option<Estimate>, Option<Estimate>) {
    let rpo = pitr.and_then(|on| {
        let mut options = Vec::new();
        if on {
            options.push(est(PITR_RPO, "point-in-time recovery (continuous backups)"));
        }
        options.extend(scheduled_rpo(scheduled));
        best_known(
            options,
            "no point-in-time recovery and no backup plan: deleted or overwritten items cannot be restored",
            scheduled,
        )
    });
    let rto = Some(est(
        0,
        "DynamoDB keeps every table in three Availability Zones: losing one needs no recovery",
    ));
    (rpo, rto)
}

/// An S3 bucket.
pub(super) fn s3(
    versioning: Option<bool>,
    scheduled: &Scheduled,
) -> (Option<Estimate>, Option<Estimate>) {
    let rpo = versioning.and_then(|on| {
        let mut options = Vec::new();
        if on {
            options.push(est(
                0,
                "versioning keeps every overwritten or deleted object version",
            ));
        }
        if scheduled.continuous {
            options.push(est(
                60,
                format!("continuous backups in {}", scheduled.describe()),
            ));
        }
        options.extend(scheduled_rpo(scheduled));
        best_known(
            options,
            "no versioning and no backup plan: an overwritten or deleted object is gone",
            scheduled,
        )
    });
    let rto = Some(est(
        0,
        "S3 keeps objects in at least three Availability Zones: losing one needs no recovery",
    ));
    (rpo, rto)
}

/// An EBS volume.
pub(super) fn ebs(scheduled: &Scheduled) -> (Option<Estimate>, Option<Estimate>) {
    let rpo = best_known(
        scheduled_rpo(scheduled),
        "no backup plan or snapshot policy covers the volume: its data cannot be restored",
        scheduled,
    );
    // A covering plan whose rules are unknown still takes snapshots to restore from.
    let recoverable = rpo.as_ref().is_none_or(|e| e.minutes != NONE);
    let rto = if recoverable {
        est(
            15,
            "replicated only within one Availability Zone: a new volume from the latest snapshot, usable within minutes",
        )
    } else {
        est(
            NONE,
            "replicated only within one Availability Zone, and no snapshot to restore from",
        )
    };
    (rpo, Some(rto))
}

/// An EFS file system.
pub(super) fn efs(
    one_zone: Option<bool>,
    automatic_backups: Option<bool>,
    replicated: Option<bool>,
    scheduled: &Scheduled,
) -> (Option<Estimate>, Option<Estimate>) {
    let rpo = match (automatic_backups, replicated) {
        (Some(auto), Some(rep)) => {
            let mut options = Vec::new();
            if rep {
                options.push(est(
                    15,
                    "replication to another file system, designed for a 15 min RPO",
                ));
            }
            if auto {
                options.push(est(DAILY, "automatic daily backups"));
            }
            options.extend(scheduled_rpo(scheduled));
            best_known(
                options,
                "no backups and no replication: deleted or corrupted files cannot be restored",
                scheduled,
            )
        }
        _ => None,
    };
    let rto = match (one_zone, &rpo) {
        (Some(false), _) => Some(est(
            0,
            "regional file system stored in several Availability Zones: losing one needs no recovery",
        )),
        (Some(true), Some(r)) if r.minutes == NONE => Some(est(
            NONE,
            "One Zone file system with nothing to restore from",
        )),
        (Some(true), Some(r)) if r.minutes <= 15 => Some(est(
            15,
            "One Zone file system: fail over to the replica file system",
        )),
        (Some(true), Some(_)) => Some(est(
            120,
            "One Zone file system: a full restore from backup copies every file (plumb assumes 2 h)",
        )),
        _ => None,
    };
    (rpo, rto)
}

/// An ElastiCache (Redis OSS / Valkey) replication group.
pub(super) fn elasticache(
    replicas: Option<i64>,
    automatic_failover: Option<bool>,
    snapshot_days: Option<i64>,
) -> (Option<Estimate>, Option<Estimate>) {
    let rpo = match (replicas, snapshot_days) {
        (Some(n), Some(days)) => {
            let mut options = Vec::new();
            if n > 0 {
                options.push(est(
                    1,
                    format!("{n} asynchronous replica(s): writes not yet replicated are lost"),
                ));
            }
            if days > 0 {
                options.push(est(DAILY, format!("daily snapshots kept {days} days")));
            }
            Some(best(
                options,
                "no replica and no snapshots: the cached data is lost with its node",
            ))
        }
        _ => None,
    };
    let rto = match (automatic_failover, replicas) {
        (Some(true), Some(n)) if n > 0 => Some(est(
            5,
            "automatic failover promotes a replica, within minutes",
        )),
        (Some(_), Some(_)) => Some(est(
            30,
            "no automatic failover: the node is replaced and data reloaded (plumb assumes 30 min)",
        )),
        _ => None,
    };
    (rpo, rto)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(interval: i64) -> Scheduled {
        Scheduled {
            plans: vec!["daily".into()],
            interval: Some(interval),
            ..Scheduled::default()
        }
    }

    #[test]
    fn rds_instances_rest_on_backups_and_standby() {
        let none = Scheduled::default();
        let (rpo, rto) = rds_instance(Some(7), Some(true), Some(100), &none);
        assert_eq!(rpo.unwrap().minutes, PITR_RPO);
        assert_eq!(rto.unwrap().minutes, 2);

        let (rpo, rto) = rds_instance(Some(0), Some(false), Some(100), &none);
        assert_eq!(rpo.unwrap().minutes, NONE);
        assert_eq!(rto.unwrap().minutes, NONE);

        let (rpo, rto) = rds_instance(Some(0), Some(false), Some(1000), &plan(DAILY));
        let rpo = rpo.unwrap();
        assert_eq!(rpo.minutes, DAILY);
        assert!(rpo.basis.contains("backup plan daily"), "{}", rpo.basis);
        assert_eq!(rto.unwrap().minutes, 120);

        // Unknown settings give no estimate, not a guess.
        assert_eq!(rds_instance(None, Some(true), None, &none).0, None);
        assert_eq!(rds_instance(Some(7), Some(false), None, &none).1, None);
    }

    #[test]
    fn restore_time_grows_with_size() {
        assert_eq!(rds_restore_minutes(0), 20);
        assert_eq!(rds_restore_minutes(95), 30);
        assert!(rds_restore_minutes(2000) > 60);
    }

    #[test]
    fn stores_without_recovery_points_say_so() {
        let none = Scheduled::default();
        assert_eq!(ebs(&none).0.unwrap().minutes, NONE);
        assert_eq!(ebs(&plan(60)).0.unwrap().minutes, 60);
        assert_eq!(s3(Some(false), &none).0.unwrap().minutes, NONE);
        assert_eq!(s3(Some(true), &none).0.unwrap().minutes, 0);
        assert_eq!(
            dynamodb(Some(false), &plan(DAILY)).0.unwrap().minutes,
            DAILY
        );
        let (rpo, rto) = efs(Some(true), Some(true), Some(false), &none);
        assert_eq!((rpo.unwrap().minutes, rto.unwrap().minutes), (DAILY, 120));
        let (rpo, rto) = elasticache(Some(1), Some(true), Some(0));
        assert_eq!((rpo.unwrap().minutes, rto.unwrap().minutes), (1, 5));
    }

    #[test]
    fn a_plan_of_unknown_rules_leaves_estimates_unknown_unless_already_best() {
        let elsewhere = Scheduled {
            plans: vec!["plan-from-elsewhere".into()],
            unknown_rules: true,
            ..Scheduled::default()
        };
        // Nothing known to recover from, but a plan covers the volume: how often it runs is
        // unknown, that a snapshot exists to restore from is not.
        let (rpo, rto) = ebs(&elsewhere);
        assert_eq!(rpo, None);
        assert_eq!(rto.map(|e| e.minutes), Some(15));
        assert_eq!(s3(Some(false), &elsewhere).0, None);
        // A known recovery point no plan can beat decides.
        assert_eq!(s3(Some(true), &elsewhere).0.map(|e| e.minutes), Some(0));
        assert_eq!(
            dynamodb(Some(true), &elsewhere).0.map(|e| e.minutes),
            Some(PITR_RPO)
        );
        let (rpo, rto) = rds_instance(Some(0), Some(false), Some(100), &elsewhere);
        assert_eq!(rpo, None);
        assert_eq!(rto.map(|e| e.minutes), Some(rds_restore_minutes(100)));
    }
}
