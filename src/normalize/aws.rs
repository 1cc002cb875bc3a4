//! Facet derivers for AWS kinds, reading the Terraform AWS provider's attribute shape (which the
//! live collector also produces). Where a setting is left out, the value is the one AWS applies
//! by default; each such default is named where it is used.

use serde_json::{Value, json};

use super::facets::Setter;
use super::value::{
    all, as_bool, as_int, bool_at, has_block, int_at, list_at, str_at, str_or_ref, strings_at,
};
use super::{Derive, Deriver};
use crate::inventory::Resource;

pub(super) fn deriver(kind: &str) -> Option<Deriver> {
    Some(match kind {
        "aws_s3_bucket" => s3_bucket,
        "aws_security_group" | "aws_default_security_group" => security_group,
        "aws_db_instance" => db_instance,
        "aws_rds_cluster" => rds_cluster,
        "aws_ebs_volume" => ebs_volume,
        "aws_dynamodb_table" => dynamodb_table,
        "aws_cloudwatch_log_group" => log_group,
        "aws_kms_key" => kms_key,
        _ => return None,
    })
}

/// An empty KMS key id, or an AWS-managed alias (`alias/aws/s3`), means no customer key.
fn customer_key(key: Option<String>) -> Option<String> {
    key.map(|k| {
        if k.starts_with("alias/aws/") || k.contains(":alias/aws/") {
            String::new()
        } else {
            k
        }
    })
}

// ---------------------------------------------------------------- S3

const SSE: &str = "aws_s3_bucket_server_side_encryption_configuration";
const SSE_DEFAULT: &str = "/rule/0/apply_server_side_encryption_by_default/0";

fn s3_bucket(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;

    // Encryption: the satellite wins over the (deprecated) inline block. Without either, S3
    // applies SSE-S3 (AES256) to every new object, for every bucket, since 5 January 2023.
    let (algorithm, key) = match d.one(SSE) {
        Some(sse) => (
            str_at(sse, &format!("{SSE_DEFAULT}/sse_algorithm")),
            str_or_ref(sse, &format!("{SSE_DEFAULT}/kms_master_key_id")),
        ),
        None if has_block(r, "/server_side_encryption_configuration") == Some(true) => {
            let base = format!("/server_side_encryption_configuration/0{SSE_DEFAULT}");
            (
                str_at(r, &format!("{base}/sse_algorithm")),
                str_or_ref(r, &format!("{base}/kms_master_key_id")),
            )
        }
        None => (Some("AES256".into()), Some(String::new())),
    };
    let algorithm = algorithm.map(|a| if a.is_empty() { "AES256".into() } else { a });
    f.set("encrypted_at_rest", Some(true));
    f.set("sse_algorithm", algorithm.clone());
    f.set(
        "kms_key",
        match algorithm.as_deref() {
            Some("AES256") => Some(String::new()),
            _ => customer_key(key),
        },
    );

    // Versioning.
    let (versioning, mfa_delete) = match d.one("aws_s3_bucket_versioning") {
        Some(v) => (
            str_at(v, "/versioning_configuration/0/status").map(|s| s == "Enabled"),
            str_at(v, "/versioning_configuration/0/mfa_delete").map(|s| s == "Enabled"),
        ),
        None => (
            bool_at(r, "/versioning/0/enabled", false),
            bool_at(r, "/versioning/0/mfa_delete", false),
        ),
    };
    f.set("versioning", versioning);
    f.set("mfa_delete", mfa_delete);

    // Access logging: a logging satellite, or an inline logging block.
    let logging = match d.one("aws_s3_bucket_logging") {
        Some(_) => Some(true),
        None => has_block(r, "/logging"),
    };
    f.set("access_logging", logging);

    // Public access. Each of the four settings of aws_s3_bucket_public_access_block defaults
    // to false; only an explicit block counts here (live reads report the bucket's own block).
    let pab = d.one("aws_s3_bucket_public_access_block");
    let flag = |name: &str| match pab {
        Some(p) => bool_at(p, &format!("/{name}"), false),
        None => Some(false),
    };
    let (block_acls, ignore_acls, block_policy, restrict) = (
        flag("block_public_acls"),
        flag("ignore_public_acls"),
        flag("block_public_policy"),
        flag("restrict_public_buckets"),
    );
    f.set(
        "public_access_block",
        all([block_acls, ignore_acls, block_policy, restrict]).map(|v| v.iter().all(|b| *b)),
    );
    // A canned ACL, or explicit grants (`access_control_policy`, which is also all a live
    // read sees) to everyone or to every AWS account.
    let canned_public = |a: String| matches!(a.as_str(), "public-read" | "public-read-write");
    let public_acl = match d.one("aws_s3_bucket_acl") {
        Some(a) => match (str_at(a, "/acl"), grants_to_everyone(a)) {
            (Some(canned), Some(grants)) => Some(canned_public(canned) || grants),
            _ => None,
        },
        None => str_at(r, "/acl").map(canned_public),
    };
    let policy = bucket_policy(d);
    let public_policy = policy
        .as_ref()
        .map(|p| p.as_ref().is_some_and(allows_anonymous));
    let exposed_by_acl = match (public_acl, block_acls, ignore_acls) {
        (Some(false), _, _) | (_, Some(true), _) | (_, _, Some(true)) => Some(false),
        (Some(true), Some(false), Some(false)) => Some(true),
        _ => None,
    };
    let exposed_by_policy = match (public_policy, block_policy, restrict) {
        (Some(false), _, _) | (_, _, Some(true)) => Some(false),
        (Some(true), _, Some(false)) => Some(true),
        _ => None,
    };
    f.set(
        "publicly_accessible",
        match (exposed_by_acl, exposed_by_policy) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
    );
    f.set(
        "encrypted_in_transit",
        policy.map(|p| p.as_ref().is_some_and(denies_insecure_transport)),
    );

    // Object lock.
    let lock = if d.one("aws_s3_bucket_object_lock_configuration").is_some() {
        Some(true)
    } else {
        match (
            bool_at(r, "/object_lock_enabled", false),
            str_at(r, "/object_lock_configuration/0/object_lock_enabled"),
        ) {
            (Some(true), _) => Some(true),
            (_, Some(s)) if s == "Enabled" => Some(true),
            (Some(false), Some(_)) => Some(false),
            _ => None,
        }
    };
    f.set("object_lock", lock);

    // Lifecycle: enabled rules and the earliest transition to an archive class.
    let rules: Option<Vec<LifecycleRule>> = match d.one("aws_s3_bucket_lifecycle_configuration") {
        Some(l) => list_at(l, "/rule").map(|rules| {
            rules
                .iter()
                .map(|rule| {
                    let enabled = rule.get("status").and_then(Value::as_str) == Some("Enabled");
                    (enabled, transitions(rule.get("transition")))
                })
                .collect()
        }),
        None => list_at(r, "/lifecycle_rule").map(|rules| {
            rules
                .iter()
                .map(|rule| {
                    let enabled = rule.get("enabled").and_then(as_bool).unwrap_or(false);
                    (enabled, transitions(rule.get("transition")))
                })
                .collect()
        }),
    };
    f.set(
        "lifecycle_rules",
        rules
            .as_ref()
            .map(|rules| rules.iter().filter(|(on, _)| *on).count() as i64),
    );
    f.set(
        "lifecycle_archive_days",
        rules.map(|rules| {
            rules
                .iter()
                .filter(|(on, _)| *on)
                .flat_map(|(_, t)| t.iter())
                .filter(|(_, class)| {
                    matches!(class.as_str(), "GLACIER" | "GLACIER_IR" | "DEEP_ARCHIVE")
                })
                .map(|(days, _)| *days)
                .min()
                .unwrap_or(0)
        }),
    );

    // Replication to another bucket (usually another region).
    let replication = match d.one("aws_s3_bucket_replication_configuration") {
        Some(rep) => list_at(rep, "/rule").map(|rules| {
            rules
                .iter()
                .any(|rule| rule.get("status").and_then(Value::as_str) == Some("Enabled"))
        }),
        None => has_block(r, "/replication_configuration"),
    };
    f.set("cross_region_copy", replication);
}

/// Whether an ACL resource's explicit grants give anything to all users or to all
/// authenticated AWS users; `None` when the grants are unknown.
fn grants_to_everyone(acl: &Resource) -> Option<bool> {
    let grants = list_at(acl, "/access_control_policy/0/grant")?;
    Some(grants.iter().any(|g| {
        one_or_many(g.get("grantee"))
            .iter()
            .filter_map(|grantee| grantee.get("uri").and_then(Value::as_str))
            .any(|uri| {
                uri.ends_with("/global/AllUsers") || uri.ends_with("/global/AuthenticatedUsers")
            })
    }))
}

/// A lifecycle rule: whether it is enabled, and its (days, storage class) transitions.
type LifecycleRule = (bool, Vec<(i64, String)>);

fn transitions(v: Option<&Value>) -> Vec<(i64, String)> {
    v.and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter_map(|t| {
                    let class = t.get("storage_class")?.as_str()?.to_string();
                    let days = t.get("days").and_then(as_int).unwrap_or(0);
                    Some((days, class))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The bucket policy document: `Some(None)` when there is none, `None` when unknown.
fn bucket_policy(d: &Derive<'_>) -> Option<Option<Value>> {
    let text = match d.one("aws_s3_bucket_policy") {
        Some(p) => str_at(p, "/policy")?,
        None => str_at(d.r, "/policy")?,
    };
    if text.trim().is_empty() {
        return Some(None);
    }
    Some(serde_json::from_str(&text).ok())
}

fn statements(policy: &Value) -> Vec<&Value> {
    match policy.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => vec![],
    }
}

fn one_or_many(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
        None => vec![],
    }
}

/// A statement allowing `Principal: "*"` (or `{"AWS": "*"}`) with no condition.
fn allows_anonymous(policy: &Value) -> bool {
    statements(policy).into_iter().any(|s| {
        let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
        let principal = s.get("Principal");
        let anyone = principal == Some(&json!("*"))
            || one_or_many(principal.and_then(|p| p.get("AWS")))
                .iter()
                .any(|p| p.as_str() == Some("*"));
        allow && anyone && s.get("Condition").is_none()
    })
}

/// A statement denying requests where `aws:SecureTransport` is false.
fn denies_insecure_transport(policy: &Value) -> bool {
    statements(policy).into_iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Deny")
            && s.get("Condition")
                .and_then(|c| c.get("Bool"))
                .and_then(|b| b.get("aws:SecureTransport"))
                .is_some_and(|v| {
                    one_or_many(Some(v))
                        .iter()
                        .any(|x| as_bool(x) == Some(false))
                })
    })
}

// ---------------------------------------------------------------- EC2 security groups

/// One rule, as the facets present it.
struct Rule {
    ingress: bool,
    protocol: String,
    from_port: i64,
    to_port: i64,
    cidrs: Vec<String>,
}

fn security_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let rules = sg_rules(d);
    let world = |c: &str| c == "0.0.0.0/0" || c == "::/0";
    f.set(
        "open_ingress",
        rules.as_ref().map(|rules| {
            let mut open: Vec<Value> = rules
                .iter()
                .filter(|r| r.ingress)
                .flat_map(|r| {
                    r.cidrs.iter().filter(|c| world(c)).map(move |c| {
                        json!({"protocol": r.protocol, "from_port": r.from_port,
                               "to_port": r.to_port, "cidr": c})
                    })
                })
                .collect();
            open.sort_by_key(|v| v.to_string());
            open.dedup();
            Value::Array(open)
        }),
    );
    f.set(
        "unrestricted_egress",
        rules.as_ref().map(|rules| {
            rules
                .iter()
                .any(|r| !r.ingress && r.protocol == "-1" && r.cidrs.iter().any(|c| world(c)))
        }),
    );
    f.set("rule_count", rules.map(|r| r.len() as i64));
}

/// Inline rules plus rule resources. `None` if any rule's protocol, ports or CIDRs are unknown.
fn sg_rules(d: &Derive<'_>) -> Option<Vec<Rule>> {
    let mut rules = Vec::new();
    for (direction, ingress) in [("ingress", true), ("egress", false)] {
        let pointer = format!("/{direction}");
        for (i, _) in list_at(d.r, &pointer)?.iter().enumerate() {
            let base = format!("{pointer}/{i}");
            let mut cidrs = strings_at(d.r, &format!("{base}/cidr_blocks"))?;
            cidrs.extend(strings_at(d.r, &format!("{base}/ipv6_cidr_blocks"))?);
            rules.push(rule(d.r, &base, "protocol", ingress, cidrs)?);
        }
    }
    for s in d.linked("aws_security_group_rule") {
        let ingress = str_at(s, "/type")? == "ingress";
        let mut cidrs = strings_at(s, "/cidr_blocks")?;
        cidrs.extend(strings_at(s, "/ipv6_cidr_blocks")?);
        rules.push(rule(s, "", "protocol", ingress, cidrs)?);
    }
    for (kind, ingress) in [
        ("aws_vpc_security_group_ingress_rule", true),
        ("aws_vpc_security_group_egress_rule", false),
    ] {
        for s in d.linked(kind) {
            let cidrs: Vec<String> = [str_at(s, "/cidr_ipv4")?, str_at(s, "/cidr_ipv6")?]
                .into_iter()
                .filter(|c| !c.is_empty())
                .collect();
            rules.push(rule(s, "", "ip_protocol", ingress, cidrs)?);
        }
    }
    Some(rules)
}

fn rule(
    r: &Resource,
    base: &str,
    protocol: &str,
    ingress: bool,
    cidrs: Vec<String>,
) -> Option<Rule> {
    let protocol = str_at(r, &format!("{base}/{protocol}"))?.to_ascii_lowercase();
    let protocol = match protocol.as_str() {
        "all" | "-1" | "" => "-1".to_string(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        _ => protocol,
    };
    let (from_port, to_port) = if protocol == "-1" {
        (0, 65535)
    } else {
        let from = int_at(r, &format!("{base}/from_port"), 0)?;
        let to = int_at(r, &format!("{base}/to_port"), from)?;
        // The API writes -1 for "all ports" of an ICMP or all-traffic rule.
        if from < 0 || to < 0 {
            (0, 65535)
        } else {
            (from, to)
        }
    };
    Some(Rule {
        ingress,
        protocol,
        from_port,
        to_port,
        cidrs,
    })
}

// ---------------------------------------------------------------- RDS

fn db_instance(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let key = str_or_ref(r, "/kms_key_id");
    // Setting a KMS key implies storage encryption.
    let encrypted = match (bool_at(r, "/storage_encrypted", false), key.as_deref()) {
        (Some(true), _) => Some(true),
        (_, Some(k)) if !k.is_empty() => Some(true),
        (e, _) => e,
    };
    f.set("encrypted_at_rest", encrypted);
    f.set("kms_key", customer_key(key));
    f.set(
        "publicly_accessible",
        bool_at(r, "/publicly_accessible", false),
    );
    f.set("multi_az", bool_at(r, "/multi_az", false));
    // CreateDBInstance keeps automated backups 1 day unless told otherwise.
    let retention = int_at(r, "/backup_retention_period", 1);
    f.set("backup_retention_days", retention);
    f.set("point_in_time_recovery", retention.map(|days| days > 0));
    f.set(
        "cross_region_copy",
        Some(
            d.one("aws_db_instance_automated_backups_replication")
                .is_some(),
        ),
    );
    f.set(
        "deletion_protection",
        bool_at(r, "/deletion_protection", false),
    );
    f.set("engine", str_at(r, "/engine"));
    f.set(
        "iam_auth",
        bool_at(r, "/iam_database_authentication_enabled", false),
    );
    f.set(
        "log_exports",
        strings_at(r, "/enabled_cloudwatch_logs_exports"),
    );
}

fn rds_cluster(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let key = str_or_ref(r, "/kms_key_id");
    let serverless_v1 = str_at(r, "/engine_mode").map(|m| m == "serverless");
    let encrypted = match (
        bool_at(r, "/storage_encrypted", false),
        key.as_deref(),
        serverless_v1,
    ) {
        (Some(true), _, _) | (_, _, Some(true)) => Some(true),
        (_, Some(k), _) if !k.is_empty() => Some(true),
        (e, _, _) => e,
    };
    f.set("encrypted_at_rest", encrypted);
    f.set("kms_key", customer_key(key));
    // Aurora keeps at least one day of continuous backups; point-in-time restore is always on.
    let retention = int_at(r, "/backup_retention_period", 1);
    f.set("backup_retention_days", retention);
    f.set("point_in_time_recovery", retention.map(|days| days > 0));
    // Multi-AZ: a Multi-AZ DB cluster (db_cluster_instance_class) or two or more Aurora
    // instances; live inventories list members in `cluster_members`.
    let instances = d.linked("aws_rds_cluster_instance").count();
    let members = list_at(r, "/cluster_members").map(<[Value]>::len);
    let multi_az = match str_at(r, "/db_cluster_instance_class") {
        Some(class) if !class.is_empty() => Some(true),
        Some(_) => members.map(|m| m.max(instances) >= 2),
        None => None,
    };
    f.set("multi_az", multi_az);
    let global = str_at(r, "/global_cluster_identifier");
    let source = str_at(r, "/replication_source_identifier");
    f.set(
        "cross_region_copy",
        all([global, source]).map(|v| v.iter().any(|s| !s.is_empty())),
    );
    f.set(
        "deletion_protection",
        bool_at(r, "/deletion_protection", false),
    );
    f.set("engine", str_at(r, "/engine"));
    f.set(
        "iam_auth",
        bool_at(r, "/iam_database_authentication_enabled", false),
    );
    f.set(
        "log_exports",
        strings_at(r, "/enabled_cloudwatch_logs_exports"),
    );
}

// ---------------------------------------------------------------- EBS, DynamoDB, Logs, KMS

fn ebs_volume(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let key = str_or_ref(r, "/kms_key_id");
    let encrypted = match (bool_at(r, "/encrypted", false), key.as_deref()) {
        (Some(true), _) => Some(true),
        (_, Some(k)) if !k.is_empty() => Some(true),
        (e, _) => e,
    };
    f.set("encrypted_at_rest", encrypted);
    f.set("kms_key", customer_key(key));
    // gp2 was the API default before gp3; the provider still defaults to gp2.
    f.set(
        "volume_type",
        str_at(r, "/type").map(|t| if t.is_empty() { "gp2".into() } else { t }),
    );
}

fn dynamodb_table(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    // DynamoDB encrypts every table at rest; a customer key only with SSE enabled and a key ARN.
    f.set("encrypted_at_rest", Some(true));
    let key = match bool_at(r, "/server_side_encryption/0/enabled", false) {
        Some(true) => customer_key(str_or_ref(r, "/server_side_encryption/0/kms_key_arn")),
        Some(false) => Some(String::new()),
        None => None,
    };
    f.set("kms_key", key);
    f.set(
        "point_in_time_recovery",
        bool_at(r, "/point_in_time_recovery/0/enabled", false),
    );
    f.set(
        "deletion_protection",
        bool_at(r, "/deletion_protection_enabled", false),
    );
    f.set("cross_region_copy", has_block(r, "/replica"));
}

fn log_group(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set("encrypted_at_rest", Some(true));
    f.set("kms_key", customer_key(str_or_ref(r, "/kms_key_id")));
    f.set("log_retention_days", int_at(r, "/retention_in_days", 0));
}

fn kms_key(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let spec = str_at(r, "/customer_master_key_spec").map(|s| {
        if s.is_empty() {
            "SYMMETRIC_DEFAULT".to_string()
        } else {
            s
        }
    });
    let rotation = match (bool_at(r, "/enable_key_rotation", false), spec.as_deref()) {
        (_, Some(s)) if s != "SYMMETRIC_DEFAULT" => Some(false),
        (rotation, _) => rotation,
    };
    f.set("key_rotation", rotation);
    f.set("key_spec", spec);
    f.set(
        "deletion_window_days",
        int_at(r, "/deletion_window_in_days", 30),
    );
}
