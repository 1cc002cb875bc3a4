//! Volatile fields: attributes that change without anyone changing the resource (timestamps,
//! status counters, server-set metadata). Drift ignores them, kind by kind, so a nightly report
//! lists what people changed, not what the clock did.
//!
//! A rule names the kinds it applies to (exactly, or a prefix ending in `*`) and the fields:
//! a JSON pointer into `attrs` (`/metadata/resourceVersion`, where `*` stands for any one
//! segment) ignores that value and everything under it; a bare name (`last_modified`) ignores
//! a key of that name at any depth. `docs/drift.md` lists this table (generated from it).

/// One row of the table.
pub struct VolatileRule {
    /// Kinds: exact names, or prefixes ending in `*` (`k8s/*`, `*`).
    pub kinds: &'static [&'static str],
    /// Pointers into `attrs` (starting with `/`), or key names matched at any depth.
    pub fields: &'static [&'static str],
    /// Why these fields change on their own.
    pub why: &'static str,
}

/// Every volatile field plumb ignores.
pub const VOLATILE: &[VolatileRule] = &[
    VolatileRule {
        kinds: &["*"],
        fields: &[
            "last_modified",
            "last_modified_date",
            "last_modified_time",
            "last_updated",
            "last_updated_time",
            "last_used_date",
            "last_accessed_date",
            "latest_restorable_time",
            "earliest_restorable_date_time",
            "latest_restorable_date_time",
        ],
        why: "Timestamps the provider moves on its own: last modification, last use, the \
              newest restorable point of a continuously backed-up store.",
    },
    VolatileRule {
        kinds: &["k8s/*"],
        fields: &[
            "/metadata/resourceVersion",
            "/metadata/generation",
            "/metadata/managedFields",
            "/metadata/uid",
            "/metadata/creationTimestamp",
            "/metadata/selfLink",
            "/metadata/annotations/deployment.kubernetes.io~1revision",
            "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
            "/status",
        ],
        why: "Server-set metadata (bumped on every write by anyone, controllers included) and \
              the status the cluster reports, which is observed state, not configuration.",
    },
    VolatileRule {
        kinds: &["k8s/Service"],
        fields: &[
            "/spec/clusterIP",
            "/spec/clusterIPs",
            "/spec/healthCheckNodePort",
        ],
        why: "Addresses the cluster assigns.",
    },
    VolatileRule {
        kinds: &["aws_iam_user"],
        fields: &[
            "password_last_used",
            "/access_keys/*/last_used_service",
            "/access_keys/*/last_used_region",
        ],
        why: "Sign-in and key-use records, updated by use.",
    },
    VolatileRule {
        kinds: &["aws_iam_role"],
        fields: &["/role_last_used"],
        why: "Updated whenever the role is assumed.",
    },
    VolatileRule {
        kinds: &["aws_account"],
        fields: &["root_password_last_used"],
        why: "Updated by use of the root user.",
    },
    VolatileRule {
        kinds: &[
            "aws_db_instance",
            "aws_rds_cluster",
            "aws_rds_cluster_instance",
        ],
        fields: &[
            "/status",
            "/pending_modified_values",
            "/latest_restorable_time",
        ],
        why: "Instance state and the point-in-time-recovery window, which move every few \
              minutes.",
    },
    VolatileRule {
        kinds: &["aws_dynamodb_table"],
        fields: &["/item_count", "/table_size_bytes", "/table_status"],
        why: "Usage counters DynamoDB refreshes about every six hours.",
    },
    VolatileRule {
        kinds: &["aws_cloudwatch_log_group"],
        fields: &["/stored_bytes", "/metric_filter_count"],
        why: "Usage counters.",
    },
    VolatileRule {
        kinds: &["aws_ebs_volume"],
        fields: &["/state", "/attachments"],
        why: "Attachment state follows the instances using the volume.",
    },
    VolatileRule {
        kinds: &["aws_instance"],
        fields: &["/instance_state", "/public_ip", "/public_dns"],
        why: "Run state, and the public address an instance gets anew on every start.",
    },
    VolatileRule {
        kinds: &["aws_autoscaling_group"],
        fields: &["/desired_capacity", "/instances", "/status"],
        why: "Set by scaling policies and the group's own activity, not by people.",
    },
    VolatileRule {
        kinds: &["aws_lambda_function"],
        fields: &["/state", "/last_update_status", "/state_reason"],
        why: "Deployment state reported by Lambda.",
    },
    VolatileRule {
        kinds: &["aws_secretsmanager_secret"],
        fields: &[
            "last_rotated_date",
            "last_changed_date",
            "next_rotation_date",
        ],
        why: "Rotation moves these on schedule.",
    },
    VolatileRule {
        kinds: &["aws_cloudtrail"],
        fields: &[
            "/latest_delivery_time",
            "/latest_digest_delivery_time",
            "/latest_notification_time",
        ],
        why: "Delivery timestamps (whether the trail logs at all, `is_logging`, is compared).",
    },
];

/// A compiled field pattern.
#[derive(Debug, Clone)]
enum Field {
    /// Pointer segments, unescaped; `*` matches any one segment.
    Path(Vec<String>),
    /// A key name anywhere.
    Key(&'static str),
}

/// The volatile fields of one kind, ready to test paths against.
#[derive(Debug, Clone, Default)]
pub struct VolatileFields {
    fields: Vec<Field>,
}

fn kind_matches(pattern: &str, kind: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => pattern == kind,
    }
}

impl VolatileFields {
    /// The rules that apply to `kind`.
    pub fn for_kind(kind: &str) -> Self {
        let mut fields = Vec::new();
        for rule in VOLATILE
            .iter()
            .filter(|r| r.kinds.iter().any(|k| kind_matches(k, kind)))
        {
            for f in rule.fields {
                fields.push(match f.strip_prefix('/') {
                    Some(pointer) => Field::Path(
                        pointer
                            .split('/')
                            .map(|s| s.replace("~1", "/").replace("~0", "~"))
                            .collect(),
                    ),
                    None => Field::Key(f),
                });
            }
        }
        VolatileFields { fields }
    }

    /// Whether the attribute at `path` (unescaped segments under `attrs`) is volatile.
    pub fn covers(&self, path: &[&str]) -> bool {
        self.fields.iter().any(|f| match f {
            Field::Path(segments) => {
                path.len() >= segments.len()
                    && segments
                        .iter()
                        .zip(path)
                        .all(|(pattern, seg)| pattern == "*" || pattern == seg)
            }
            Field::Key(name) => path.last().is_some_and(|last| last == name),
        })
    }
}

/// The table as Markdown, for `docs/drift.md`.
pub fn markdown() -> String {
    let mut out = String::from("| kinds | ignored fields | why |\n| --- | --- | --- |\n");
    for rule in VOLATILE {
        let kinds: Vec<String> = rule.kinds.iter().map(|k| format!("`{k}`")).collect();
        let fields: Vec<String> = rule.fields.iter().map(|f| format!("`{f}`")).collect();
        let why = rule.why.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            kinds.join(", "),
            fields.join(", "),
            why.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_metadata_and_status_are_volatile() {
        let v = VolatileFields::for_kind("k8s/Deployment");
        assert!(v.covers(&["metadata", "resourceVersion"]));
        assert!(v.covers(&["status", "replicas"]));
        assert!(v.covers(&["metadata", "managedFields", "0", "manager"]));
        assert!(v.covers(&[
            "metadata",
            "annotations",
            "deployment.kubernetes.io/revision"
        ]));
        assert!(!v.covers(&["spec", "replicas"]));
        assert!(!v.covers(&["metadata", "labels", "app"]));
    }

    #[test]
    fn key_names_match_at_any_depth_and_wildcards_one_segment() {
        let v = VolatileFields::for_kind("aws_iam_user");
        assert!(v.covers(&["access_keys", "0", "last_used_date"]));
        assert!(v.covers(&["access_keys", "3", "last_used_service"]));
        assert!(!v.covers(&["access_keys", "0", "status"]));
        assert!(v.covers(&["password_last_used"]));
        let s3 = VolatileFields::for_kind("aws_s3_bucket");
        assert!(!s3.covers(&["versioning", "0", "enabled"]));
        assert!(s3.covers(&["last_modified"]));
    }
}
