//! S3 buckets: encryption, public access, versioning, logging, lifecycle, replication and
//! recovery estimates. Settings come from the bucket's satellites
//! (`aws_s3_bucket_server_side_encryption_configuration`, `aws_s3_bucket_versioning`, ...)
//! when present, else from the provider's deprecated inline blocks.

use serde_json::Value;

use super::customer_key;
use crate::inventory::{Attr, Resource};
use crate::normalize::facets::Setter;
use crate::normalize::policy_document::{
    Document, action_matches, allows_anonymous, denies_insecure_transport, one_or_many, read,
    statements,
};
use crate::normalize::value::{
    At, all, as_bool, as_int, bool_at, has_block, list_at, region_of, str_at, str_or_ref,
};
use crate::normalize::{Derive, backup, continuity};

/// Whether an ACL resource's explicit grants give anything to a grantee group whose URI ends
/// with one of `groups`; `None` when the grants are unknown.
fn grants_to(acl: &Resource, groups: &[&str]) -> Option<bool> {
    let grants = list_at(acl, "/access_control_policy/0/grant")?;
    Some(grants.iter().any(|g| {
        one_or_many(g.get("grantee"))
            .iter()
            .filter_map(|grantee| grantee.get("uri").and_then(Value::as_str))
            .any(|uri| groups.iter().any(|group| uri.ends_with(group)))
    }))
}

/// Everyone, and every authenticated AWS account.
const PUBLIC_GROUPS: &[&str] = &["/global/AllUsers", "/global/AuthenticatedUsers"];
/// The S3 log delivery group (what the canned `log-delivery-write` ACL grants to).
const LOG_DELIVERY_GROUP: &[&str] = &["/s3/LogDelivery"];

const SSE: &str = "aws_s3_bucket_server_side_encryption_configuration";
const SSE_DEFAULT: &str = "/rule/0/apply_server_side_encryption_by_default/0";

/// Whether all four Block Public Access settings of a block resource are on; each defaults to
/// off when left out.
fn blocks_all(block: &Resource) -> Option<bool> {
    let flag = |name: &str| bool_at(block, &format!("/{name}"), false);
    all([
        flag("block_public_acls"),
        flag("ignore_public_acls"),
        flag("block_public_policy"),
        flag("restrict_public_buckets"),
    ])
    .map(|v| v.iter().all(|b| *b))
}

/// `aws_s3_account_public_access_block`: the settings S3 applies to every bucket of the
/// account, on top of each bucket's own.
pub(super) fn account_block(d: &Derive<'_>, f: &mut Setter<'_>) {
    f.set("public_access_block", blocks_all(d.r));
}

pub(super) fn bucket(d: &Derive<'_>, f: &mut Setter<'_>) {
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
    let acl_resource = d.one("aws_s3_bucket_acl");
    let acl = match acl_resource {
        Some(a) => str_at(a, "/acl"),
        None => str_at(r, "/acl"),
    };
    // A canned ACL, or explicit grants (`access_control_policy`, which is also all a live
    // read sees) to everyone or to every AWS account.
    let canned_public = |a: &str| matches!(a, "public-read" | "public-read-write");
    let public_acl = match acl_resource {
        Some(a) => match (acl.as_deref(), grants_to(a, PUBLIC_GROUPS)) {
            (Some(canned), Some(grants)) => Some(canned_public(canned) || grants),
            _ => None,
        },
        None => acl.as_deref().map(canned_public),
    };
    let policy = bucket_policy(d);
    let public_policy = policy.judge(false, allows_anonymous);
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
        policy.judge(false, denies_insecure_transport),
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

    // What logs the bucket receives: from trails naming it, and from the log delivery
    // services its policy (or ACL) lets write to it. Only known evidence counts: an unknown
    // policy adds nothing.
    let mut sources: Vec<&str> = Vec::new();
    if d.linked("aws_cloudtrail").next().is_some() {
        sources.push("cloudtrail");
    }
    if let Some(Some(doc)) = policy.root() {
        sources.extend(log_writers(&doc));
    }
    // The canned ACL, or its grants as a live read sees them.
    if acl.as_deref() == Some("log-delivery-write")
        || acl_resource.and_then(|a| grants_to(a, LOG_DELIVERY_GROUP)) == Some(true)
    {
        sources.push("s3-access-logs");
    }
    sources.sort_unstable();
    sources.dedup();
    f.set("log_sources", Some(sources));

    let region = region_of(r);
    let scheduled = backup::scheduled(d.backup_plans, region.as_deref());
    // A copy elsewhere: replication, or a backup plan copying to another region's vault.
    f.set(
        "cross_region_copy",
        crate::normalize::value::any_of([replication, scheduled.cross_region]),
    );
    f.set("backup_plans", Some(scheduled.plans.clone()));
    f.set("region", region);
    let (rpo, rto) = continuity::s3(versioning, &scheduled);
    continuity::set(f, rpo, rto);
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

/// The Elastic Load Balancing accounts that write Classic and Application Load Balancer access
/// logs, one per region (AWS documents them with the bucket policy access logs need).
const ELB_LOG_ACCOUNTS: &[&str] = &[
    "127311923021",
    "033677994240",
    "027434742980",
    "797873946194",
    "098369216593",
    "754344448648",
    "589379963580",
    "718504428378",
    "383597477331",
    "600734575887",
    "114774131450",
    "783225319266",
    "582318560864",
    "985666609251",
    "054676820928",
    "156460612806",
    "652711504416",
    "635631232127",
    "009996457667",
    "897822967062",
    "076674570225",
    "507241528517",
    "048591011584",
    "190560391635",
];

/// The log sources a bucket policy lets write objects: `elb` (load balancer access logs),
/// `s3-access-logs` (S3 server access logging), `cloudtrail`, `log-delivery` (VPC flow logs,
/// NLB, WAF and other vended logs).
fn log_writers(policy: &At<'_>) -> Vec<&'static str> {
    let mut out = Vec::new();
    for s in statements(policy).unwrap_or_default() {
        let writes = s.text("/Effect").as_deref() == Some("Allow")
            && s.any_text("/Action", |a| action_matches(a, "s3:PutObject")) == Some(true);
        if !writes {
            continue;
        }
        for service in texts(&s, "/Principal/Service") {
            match service {
                "logdelivery.elasticloadbalancing.amazonaws.com" => out.push("elb"),
                "logging.s3.amazonaws.com" => out.push("s3-access-logs"),
                "cloudtrail.amazonaws.com" => out.push("cloudtrail"),
                "delivery.logs.amazonaws.com" => out.push("log-delivery"),
                _ => {}
            }
        }
        for arn in texts(&s, "/Principal/AWS") {
            if ELB_LOG_ACCOUNTS
                .iter()
                .any(|id| arn == *id || arn == format!("arn:aws:iam::{id}:root"))
            {
                out.push("elb");
            }
        }
    }
    out
}

/// The known strings of a string-or-list field: only known evidence counts.
fn texts<'a>(s: &At<'a>, path: &str) -> Vec<&'a str> {
    let one = |at: &At<'a>| match at.attr() {
        Attr::Known(Value::String(v)) => Some(v.as_str()),
        _ => None,
    };
    match s.get(path) {
        Attr::Known(Value::Array(_)) => s
            .list(path)
            .unwrap_or_default()
            .iter()
            .filter_map(one)
            .collect(),
        Attr::Known(Value::String(v)) => vec![v.as_str()],
        _ => Vec::new(),
    }
}

/// The bucket policy document: the satellite's, else the bucket's own attribute.
fn bucket_policy<'a>(d: &Derive<'a>) -> Document<'a> {
    match d.one("aws_s3_bucket_policy") {
        Some(p) => read(p, "/policy"),
        None => read(d.r, "/policy"),
    }
}
