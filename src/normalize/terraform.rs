//! Facet derivers for Terraform's own configuration: the state backend of a root module.
//!
//! What each backend type guarantees by itself, and what it leaves to its settings, comes from
//! the Terraform backend documentation (developer.hashicorp.com/terraform/language/backend):
//! `s3` encrypts the state object only with `encrypt = true` (or a KMS or customer key) and
//! locks only with `use_lockfile = true` (S3 native locking, Terraform 1.10+) or a
//! `dynamodb_table`; `gcs` and `azurerm` encrypt at rest and lock natively; HCP Terraform
//! (`cloud`, `remote`) does both; `consul`, `pg` and `kubernetes` lock, `http` locks when a
//! `lock_address` is set, `oss` locks with a `tablestore_table`.

use super::Derive;
use super::facets::Setter;
use super::kinds::Kind;
use super::value::{bool_at, str_at};
use crate::inventory::{Attr, Resource};

/// Terraform's own kinds with facets.
pub(super) const KINDS: &[Kind] = &[Kind::terraform("terraform_backend", backend)
    .facets(&[&["remote_state", "state_encrypted", "state_locking"]])
    .attributes(&[("state_encrypted", "/encrypt")])];

/// Whether an attribute was written (known and not empty), `None` when unknown.
fn written(r: &Resource, pointer: &str) -> Option<bool> {
    match r.attr(pointer) {
        Attr::Known(v) => Some(!matches!(v, serde_json::Value::String(s) if s.is_empty())),
        Attr::Absent => Some(false),
        Attr::Unknown => None,
    }
}

/// A setting turned on by a true flag or by writing one of `values`: true if so; false if a
/// flag is written false, or if nothing was written in a complete configuration; unknown if
/// a value is unknown, or if nothing was written in a partial configuration.
fn setting(r: &Resource, flags: &[&str], values: &[&str], partial: Option<bool>) -> Option<bool> {
    let on: Vec<Option<bool>> = flags
        .iter()
        .map(|p| bool_at(r, p, false))
        .chain(values.iter().map(|p| written(r, p)))
        .collect();
    if on.contains(&Some(true)) {
        return Some(true);
    }
    if on.contains(&None) {
        return None;
    }
    let flag_written = flags.iter().any(|p| written(r, p) == Some(true));
    match partial {
        Some(false) => Some(false),
        _ if flag_written => Some(false),
        _ => None,
    }
}

fn backend(d: &Derive<'_>, f: &mut Setter<'_>) {
    let r = d.r;
    let kind = str_at(r, "/type").unwrap_or_default();
    f.set("remote_state", Some(kind != "local"));
    // A backend block missing its required settings is a partial configuration: the rest is
    // given to `terraform init -backend-config=...`, so what is not written is not known.
    let partial = |required: &[&str]| -> Option<bool> {
        let mut any_missing = false;
        for key in required {
            any_missing |= !written(r, &format!("/{key}"))?;
        }
        Some(any_missing)
    };
    let (encrypted, locking) = match kind.as_str() {
        "local" => (Some(false), Some(false)),
        "s3" | "oss" => {
            let partial = partial(&["bucket", "key"]);
            let encrypted = setting(
                r,
                &["/encrypt"],
                &["/kms_key_id", "/sse_customer_key"],
                partial,
            );
            let locking = if kind == "s3" {
                setting(r, &["/use_lockfile"], &["/dynamodb_table"], partial)
            } else {
                setting(r, &[], &["/tablestore_table"], partial)
            };
            (encrypted, locking)
        }
        "gcs" | "azurerm" | "remote" | "cloud" => (Some(true), Some(true)),
        "consul" => (Some(false), bool_at(r, "/lock", true)),
        "pg" | "kubernetes" => (None, Some(true)),
        "http" => (None, written(r, "/lock_address")),
        _ => (None, None),
    };
    f.set("state_encrypted", encrypted);
    f.set("state_locking", locking);
}
