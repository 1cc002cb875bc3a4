//! The facet catalogue: every facet name, its type, the kinds that have it, and its meaning.
//!
//! Facets are a public API for policy authors (`resource.facets.<name>` in CEL), so this table
//! is the single place they are defined. `plumb policies lint` and policy loading reject a
//! condition that reads a facet its kinds do not have. A facet whose value cannot be known
//! (an unresolved variable, a value known only after apply, an API field that could not be
//! read) is `null`, and a policy reading it yields `unknown`.
//!
//! Conventions: booleans say whether a property holds; `*_days` / `*_minutes` are numbers
//! where `0` means "none" unless the facet says otherwise; strings are empty when unset.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde_json::Value;

/// Facet values of one resource, by name.
pub type FacetMap = BTreeMap<String, Value>;

/// One facet: name, value type, the kinds that carry it, and what it means.
#[derive(Debug)]
pub struct FacetDef {
    pub name: &'static str,
    /// `bool`, `int`, `string`, `list<string>`, `list<port_range>`, `list<container>`, ...
    pub ty: &'static str,
    pub kinds: &'static [&'static str],
    pub doc: &'static str,
}

const S3: &str = "aws_s3_bucket";
const SG: &str = "aws_security_group";
const DB: &str = "aws_db_instance";
const CLUSTER: &str = "aws_rds_cluster";
const EBS: &str = "aws_ebs_volume";
const DDB: &str = "aws_dynamodb_table";
const LOGS: &str = "aws_cloudwatch_log_group";
const KMS: &str = "aws_kms_key";
const BACKEND: &str = "terraform_backend";

/// Kubernetes kinds whose objects carry a pod template.
pub const WORKLOADS: &[&str] = &[
    "k8s/Pod",
    "k8s/Deployment",
    "k8s/StatefulSet",
    "k8s/DaemonSet",
    "k8s/ReplicaSet",
    "k8s/Job",
    "k8s/CronJob",
];
const RBAC_ROLES: &[&str] = &["k8s/Role", "k8s/ClusterRole"];
const RBAC_BINDINGS: &[&str] = &["k8s/RoleBinding", "k8s/ClusterRoleBinding"];

/// Every facet plumb derives. Kept sorted by area, then name.
pub const FACETS: &[FacetDef] = &[
    // --- encryption
    FacetDef {
        name: "encrypted_at_rest",
        ty: "bool",
        kinds: &[S3, DB, CLUSTER, EBS, DDB, LOGS],
        doc: "Data is encrypted at rest. S3 (SSE-S3 by default since January 2023), DynamoDB and \
              CloudWatch Logs always encrypt; RDS and EBS only when storage encryption is on.",
    },
    FacetDef {
        name: "kms_key",
        ty: "string",
        kinds: &[S3, DB, CLUSTER, EBS, DDB, LOGS],
        doc: "The customer-managed KMS key (id, ARN or alias) encrypting the data; empty when an \
              AWS-owned or AWS-managed key is used.",
    },
    FacetDef {
        name: "sse_algorithm",
        ty: "string",
        kinds: &[S3],
        doc: "Default server-side encryption of new objects: `AES256` (SSE-S3), `aws:kms` \
              (SSE-KMS) or `aws:kms:dsse`.",
    },
    FacetDef {
        name: "encrypted_in_transit",
        ty: "bool",
        kinds: &[S3],
        doc: "Plain-HTTP access is refused: the bucket policy denies requests where \
              `aws:SecureTransport` is false.",
    },
    FacetDef {
        name: "key_rotation",
        ty: "bool",
        kinds: &[KMS],
        doc: "Automatic yearly rotation of the key material is on. Always false for asymmetric \
              and HMAC keys, which cannot rotate.",
    },
    FacetDef {
        name: "key_spec",
        ty: "string",
        kinds: &[KMS],
        doc: "The key spec, `SYMMETRIC_DEFAULT` unless an asymmetric or HMAC spec is chosen.",
    },
    FacetDef {
        name: "deletion_window_days",
        ty: "int",
        kinds: &[KMS],
        doc: "Waiting period before a scheduled key deletion completes (7 to 30; AWS default 30).",
    },
    // --- network
    FacetDef {
        name: "publicly_accessible",
        ty: "bool",
        kinds: &[S3, DB],
        doc: "Reachable from the internet. S3: the bucket's public access block is not fully on \
              (new buckets block public access by default since April 2023), or its ACL grants \
              public access. RDS: the instance has a public address.",
    },
    FacetDef {
        name: "public_access_block",
        ty: "bool",
        kinds: &[S3],
        doc: "All four S3 Block Public Access settings are on for the bucket.",
    },
    FacetDef {
        name: "open_ingress",
        ty: "list<port_range>",
        kinds: &[SG],
        doc: "Ingress rules open to the whole internet (0.0.0.0/0 or ::/0), each \
              `{protocol, from_port, to_port, cidr}`; protocol `-1` (all) spans ports 0-65535.",
    },
    FacetDef {
        name: "unrestricted_egress",
        ty: "bool",
        kinds: &[SG],
        doc: "An egress rule allows all protocols to 0.0.0.0/0 or ::/0.",
    },
    FacetDef {
        name: "rule_count",
        ty: "int",
        kinds: &[SG],
        doc: "Number of ingress and egress rules, inline and from separate rule resources.",
    },
    // --- retention
    FacetDef {
        name: "versioning",
        ty: "bool",
        kinds: &[S3],
        doc: "Object versioning is enabled (not suspended, not never enabled).",
    },
    FacetDef {
        name: "mfa_delete",
        ty: "bool",
        kinds: &[S3],
        doc: "Versioning requires MFA to delete versions or change the versioning state.",
    },
    FacetDef {
        name: "object_lock",
        ty: "bool",
        kinds: &[S3],
        doc: "S3 Object Lock is enabled on the bucket.",
    },
    FacetDef {
        name: "lifecycle_rules",
        ty: "int",
        kinds: &[S3],
        doc: "Number of enabled lifecycle rules.",
    },
    FacetDef {
        name: "lifecycle_archive_days",
        ty: "int",
        kinds: &[S3],
        doc: "Fewest days after which an enabled lifecycle rule moves current objects to an \
              archive class (GLACIER, GLACIER_IR, DEEP_ARCHIVE); 0 when no rule archives.",
    },
    FacetDef {
        name: "log_retention_days",
        ty: "int",
        kinds: &[LOGS],
        doc: "Days log events are kept; 0 means they never expire (CloudWatch's own convention).",
    },
    // --- backup and continuity
    FacetDef {
        name: "backup_retention_days",
        ty: "int",
        kinds: &[DB, CLUSTER],
        doc: "Days automated backups are kept; 0 means automated backups are off.",
    },
    FacetDef {
        name: "point_in_time_recovery",
        ty: "bool",
        kinds: &[DB, CLUSTER, DDB],
        doc: "The data can be restored to any second within the retention window (RDS: automated \
              backups on; DynamoDB: continuous backups on).",
    },
    FacetDef {
        name: "multi_az",
        ty: "bool",
        kinds: &[DB, CLUSTER],
        doc: "A standby or reader in another availability zone can take over (RDS Multi-AZ; an \
              Aurora cluster with at least two instances).",
    },
    FacetDef {
        name: "cross_region_copy",
        ty: "bool",
        kinds: &[S3, DB, CLUSTER, DDB],
        doc: "A copy is kept in another region: S3 replication, RDS cross-region automated \
              backups or read replica, Aurora global database, DynamoDB global table replica.",
    },
    FacetDef {
        name: "deletion_protection",
        ty: "bool",
        kinds: &[DB, CLUSTER, DDB],
        doc: "The resource cannot be deleted until deletion protection is turned off.",
    },
    FacetDef {
        name: "engine",
        ty: "string",
        kinds: &[DB, CLUSTER],
        doc: "Database engine (`postgres`, `aurora-postgresql`, `mysql`, ...).",
    },
    FacetDef {
        name: "iam_auth",
        ty: "bool",
        kinds: &[DB, CLUSTER],
        doc: "IAM database authentication is enabled.",
    },
    FacetDef {
        name: "log_exports",
        ty: "list<string>",
        kinds: &[DB, CLUSTER],
        doc: "Database logs exported to CloudWatch Logs (`postgresql`, `audit`, ...).",
    },
    FacetDef {
        name: "volume_type",
        ty: "string",
        kinds: &[EBS],
        doc: "EBS volume type (`gp3`, `io2`, ...).",
    },
    // --- audit
    FacetDef {
        name: "access_logging",
        ty: "bool",
        kinds: &[S3],
        doc: "Server access logging is delivered to a target bucket.",
    },
    // --- kubernetes workloads
    FacetDef {
        name: "containers",
        ty: "list<container>",
        kinds: WORKLOADS,
        doc: "Every container of the pod template, init containers included, each: `name`, \
              `init` (bool), `image`, `image_tag` (empty when none), `image_digest` (empty when \
              not pinned), `privileged`, `allow_privilege_escalation` (true unless set false), \
              `run_as_non_root` (effective, from the container or the pod), `read_only_root_fs`, \
              `capabilities_added` (list), `drops_all_capabilities`, `limits` and `requests` \
              (maps with `cpu` / `memory`, empty when unset), `liveness_probe`, \
              `readiness_probe` (bool).",
    },
    FacetDef {
        name: "host_network",
        ty: "bool",
        kinds: WORKLOADS,
        doc: "The pod shares the node's network namespace.",
    },
    FacetDef {
        name: "host_pid",
        ty: "bool",
        kinds: WORKLOADS,
        doc: "The pod shares the node's process namespace.",
    },
    FacetDef {
        name: "host_ipc",
        ty: "bool",
        kinds: WORKLOADS,
        doc: "The pod shares the node's IPC namespace.",
    },
    FacetDef {
        name: "host_path_volumes",
        ty: "list<string>",
        kinds: WORKLOADS,
        doc: "Paths on the node mounted through `hostPath` volumes.",
    },
    FacetDef {
        name: "replicas",
        ty: "int",
        kinds: &["k8s/Deployment", "k8s/StatefulSet", "k8s/ReplicaSet"],
        doc: "Desired replicas (Kubernetes defaults an omitted count to 1).",
    },
    FacetDef {
        name: "namespace",
        ty: "string",
        kinds: &[
            "k8s/Pod",
            "k8s/Deployment",
            "k8s/StatefulSet",
            "k8s/DaemonSet",
            "k8s/ReplicaSet",
            "k8s/Job",
            "k8s/CronJob",
            "k8s/Role",
            "k8s/RoleBinding",
            "k8s/NetworkPolicy",
            "k8s/Service",
        ],
        doc: "The object's namespace (`default` when a manifest names none).",
    },
    FacetDef {
        name: "service_account",
        ty: "string",
        kinds: WORKLOADS,
        doc: "Service account the pods run as (`default` when unset).",
    },
    FacetDef {
        name: "automount_service_account_token",
        ty: "bool",
        kinds: WORKLOADS,
        doc: "The service account token is mounted into the pods (Kubernetes' default is yes).",
    },
    // --- kubernetes namespaces
    FacetDef {
        name: "has_network_policy",
        ty: "bool",
        kinds: &["k8s/Namespace"],
        doc: "At least one NetworkPolicy applies in the namespace. Null when the namespace's \
              NetworkPolicies could not be read.",
    },
    FacetDef {
        name: "has_default_deny",
        ty: "bool",
        kinds: &["k8s/Namespace"],
        doc: "A NetworkPolicy selects every pod of the namespace for ingress with no rule \
              allowing traffic (default deny).",
    },
    FacetDef {
        name: "has_resource_quota",
        ty: "bool",
        kinds: &["k8s/Namespace"],
        doc: "A ResourceQuota is defined in the namespace. Null when its ResourceQuotas could \
              not be read.",
    },
    FacetDef {
        name: "has_limit_range",
        ty: "bool",
        kinds: &["k8s/Namespace"],
        doc: "A LimitRange is defined in the namespace. Null when its LimitRanges could not \
              be read.",
    },
    // --- kubernetes RBAC
    FacetDef {
        name: "wildcard_verbs",
        ty: "bool",
        kinds: RBAC_ROLES,
        doc: "A rule grants verb `*`.",
    },
    FacetDef {
        name: "wildcard_resources",
        ty: "bool",
        kinds: RBAC_ROLES,
        doc: "A rule grants resource `*` or API group `*`.",
    },
    FacetDef {
        name: "reads_secrets",
        ty: "bool",
        kinds: RBAC_ROLES,
        doc: "A rule grants get, list or watch on secrets (directly or through a wildcard).",
    },
    FacetDef {
        name: "can_escalate",
        ty: "bool",
        kinds: RBAC_ROLES,
        doc: "A rule grants `bind`, `escalate` or `impersonate`, or creates pods in any \
              namespace it covers through a wildcard.",
    },
    FacetDef {
        name: "role_ref",
        ty: "string",
        kinds: RBAC_BINDINGS,
        doc: "The bound role, as `Kind/name` (`ClusterRole/cluster-admin`).",
    },
    FacetDef {
        name: "subjects",
        ty: "list<string>",
        kinds: RBAC_BINDINGS,
        doc: "Bound subjects as `Kind:namespace/name` (namespace empty for users and groups).",
    },
    // --- kubernetes network
    FacetDef {
        name: "selects_all_pods",
        ty: "bool",
        kinds: &["k8s/NetworkPolicy"],
        doc: "The pod selector is empty: the policy applies to every pod of its namespace.",
    },
    FacetDef {
        name: "default_deny_ingress",
        ty: "bool",
        kinds: &["k8s/NetworkPolicy"],
        doc: "Selects all pods for ingress and allows nothing.",
    },
    FacetDef {
        name: "allows_all_ingress",
        ty: "bool",
        kinds: &["k8s/NetworkPolicy"],
        doc: "Has an ingress rule without `from` (any source).",
    },
    FacetDef {
        name: "service_type",
        ty: "string",
        kinds: &["k8s/Service"],
        doc: "`ClusterIP` (the default), `NodePort`, `LoadBalancer` or `ExternalName`.",
    },
    FacetDef {
        name: "internal_load_balancer",
        ty: "bool",
        kinds: &["k8s/Service"],
        doc: "A LoadBalancer service annotated to get an internal (VPC-only) load balancer.",
    },
    // --- terraform
    FacetDef {
        name: "remote_state",
        ty: "bool",
        kinds: &[BACKEND],
        doc: "The root module keeps its state in a remote backend the team shares (`s3`, `gcs`, \
              `azurerm`, HCP Terraform, ...), not in a local file (no backend block means \
              `local`).",
    },
    FacetDef {
        name: "state_encrypted",
        ty: "bool",
        kinds: &[BACKEND],
        doc: "The backend encrypts the state at rest by its configuration: `s3` and `oss` with \
              `encrypt = true` or a KMS or customer key; `gcs`, `azurerm` and HCP Terraform \
              always; `local` and `consul` never. Unknown for `pg`, `http` and `kubernetes` \
              (it depends on the server), and for a partial configuration that leaves the \
              setting to `terraform init -backend-config`.",
    },
    FacetDef {
        name: "state_locking",
        ty: "bool",
        kinds: &[BACKEND],
        doc: "Concurrent runs are stopped by a state lock: `s3` with `use_lockfile = true` (S3 \
              native locking) or a `dynamodb_table`; `gcs`, `azurerm`, HCP Terraform, `pg` \
              and `kubernetes` always; `consul` unless `lock = false`; `http` with a \
              `lock_address`; `oss` with a `tablestore_table`. False for `local` state, whose \
              lock holds on one machine only.",
    },
];

/// Facets that are one attribute of the resource itself, as written in Terraform: (kind,
/// facet, JSON pointer of the attribute). A finding that rests on such a facet points at the
/// attribute's line when the source recorded it.
const FACET_ATTRIBUTES: &[(&str, &str, &str)] = &[
    (DB, "encrypted_at_rest", "/storage_encrypted"),
    (DB, "kms_key", "/kms_key_id"),
    (DB, "publicly_accessible", "/publicly_accessible"),
    (DB, "multi_az", "/multi_az"),
    (DB, "backup_retention_days", "/backup_retention_period"),
    (DB, "point_in_time_recovery", "/backup_retention_period"),
    (DB, "deletion_protection", "/deletion_protection"),
    (DB, "iam_auth", "/iam_database_authentication_enabled"),
    (DB, "log_exports", "/enabled_cloudwatch_logs_exports"),
    (CLUSTER, "encrypted_at_rest", "/storage_encrypted"),
    (CLUSTER, "kms_key", "/kms_key_id"),
    (CLUSTER, "backup_retention_days", "/backup_retention_period"),
    (
        CLUSTER,
        "point_in_time_recovery",
        "/backup_retention_period",
    ),
    (CLUSTER, "deletion_protection", "/deletion_protection"),
    (CLUSTER, "iam_auth", "/iam_database_authentication_enabled"),
    (CLUSTER, "log_exports", "/enabled_cloudwatch_logs_exports"),
    (EBS, "encrypted_at_rest", "/encrypted"),
    (EBS, "kms_key", "/kms_key_id"),
    (EBS, "volume_type", "/type"),
    (DDB, "point_in_time_recovery", "/point_in_time_recovery"),
    (DDB, "deletion_protection", "/deletion_protection_enabled"),
    (DDB, "kms_key", "/server_side_encryption"),
    (LOGS, "log_retention_days", "/retention_in_days"),
    (LOGS, "kms_key", "/kms_key_id"),
    (KMS, "key_rotation", "/enable_key_rotation"),
    (KMS, "key_spec", "/customer_master_key_spec"),
    (KMS, "deletion_window_days", "/deletion_window_in_days"),
    (BACKEND, "state_encrypted", "/encrypt"),
];

/// The attribute a facet of a kind is read from, when it is one attribute of the resource.
pub fn facet_attribute(kind: &str, facet: &str) -> Option<&'static str> {
    FACET_ATTRIBUTES
        .iter()
        .find(|(k, f, _)| *k == kind && *f == facet)
        .map(|(_, _, p)| *p)
}

fn by_kind() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static INDEX: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for def in FACETS {
            for kind in def.kinds {
                index.entry(kind).or_default().push(def.name);
            }
        }
        index
    })
}

/// The facet names a kind carries (empty for kinds without a normaliser).
pub fn facets_of_kind(kind: &str) -> &'static [&'static str] {
    by_kind().get(kind).map(Vec::as_slice).unwrap_or(&[])
}

/// Every kind that has facets, sorted.
pub fn normalised_kinds() -> Vec<&'static str> {
    let mut kinds: Vec<_> = by_kind().keys().copied().collect();
    kinds.sort_unstable();
    kinds
}

/// The definition of a facet, by name.
pub fn facet(name: &str) -> Option<&'static FacetDef> {
    FACETS.iter().find(|f| f.name == name)
}

/// The catalogue as Markdown (`docs/facets.md`), grouped by kind.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Facets\n\nThe normalised, source-independent view of a resource that policies read as \
         `resource.facets.<name>`. A facet whose value cannot be known is `null`, and a policy \
         reading it yields `unknown`. Generated from `src/normalize/facets.rs` \
         (`PLUMB_UPDATE_DOCS=1 cargo test --test docs` refreshes it).\n",
    );
    for kind in normalised_kinds() {
        out.push_str(&format!(
            "\n## `{kind}`\n\n| facet | type | meaning |\n| --- | --- | --- |\n"
        ));
        for name in facets_of_kind(kind) {
            let def = facet(name).expect("listed facets are defined");
            let doc = def.doc.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push_str(&format!(
                "| `{name}` | {} | {} |\n",
                def.ty.replace('<', "&lt;").replace('>', "&gt;"),
                doc.replace('|', "\\|")
            ));
        }
    }
    out
}

/// Writes a kind's facets; each name must be declared for the kind in [`FACETS`].
pub struct Setter<'a> {
    kind: &'a str,
    map: &'a mut FacetMap,
}

impl<'a> Setter<'a> {
    pub(crate) fn new(kind: &'a str, map: &'a mut FacetMap) -> Self {
        Setter { kind, map }
    }

    /// Sets a facet; `None` records that it cannot be known.
    pub fn set(&mut self, name: &'static str, value: Option<impl Into<Value>>) {
        debug_assert!(
            self.map.contains_key(name),
            "facet {name} is not declared for {} in FACETS",
            self.kind
        );
        self.map
            .insert(name.to_string(), value.map_or(Value::Null, Into::into));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for def in FACETS {
            assert!(seen.insert(def.name), "facet {} defined twice", def.name);
            assert!(!def.doc.is_empty() && !def.kinds.is_empty(), "{}", def.name);
        }
    }
}
