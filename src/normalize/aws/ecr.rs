//! ECR repositories.

use crate::normalize::Derive;
use crate::normalize::facets::Setter;
use crate::normalize::policy_document::{allows_anonymous, read};
use crate::normalize::value::{bool_at, has_block, str_at, str_or_ref};

pub(super) fn repository(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    f.set(
        "scan_on_push",
        bool_at(r, "/image_scanning_configuration/0/scan_on_push", false),
    );
    // MUTABLE is the default; the `*_WITH_EXCLUSION` variants keep most tags as declared.
    f.set(
        "immutable_tags",
        str_at(r, "/image_tag_mutability").map(|m| m.starts_with("IMMUTABLE")),
    );
    // A lifecycle policy is a satellite; live reads may carry it as `lifecycle_policy`.
    f.set(
        "lifecycle_policy",
        match d.one("aws_ecr_lifecycle_policy") {
            Some(_) => Some(true),
            None => has_block(r, "/lifecycle_policy"),
        },
    );
    let policy = match d.one("aws_ecr_repository_policy") {
        Some(p) => read(p, "/policy"),
        None => read(r, "/policy"),
    };
    f.set("public_policy", policy.judge(false, allows_anonymous));
    // AES256 (S3-managed keys) is the default encryption.
    let kms =
        str_at(r, "/encryption_configuration/0/encryption_type").map(|t| t.starts_with("KMS"));
    f.set(
        "kms_key",
        match kms {
            // KMS without a key: the AWS-managed key aws/ecr.
            Some(true) => super::customer_key(str_or_ref(r, "/encryption_configuration/0/kms_key")),
            Some(false) => Some(String::new()),
            None => None,
        },
    );
}
