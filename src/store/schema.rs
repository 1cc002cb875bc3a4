//! The store's tables, and the migrations between schema versions.
//!
//! `PRAGMA application_id` marks the file as a plumb store (so `--store` pointed at another
//! SQLite database is refused, not altered); `PRAGMA user_version` is the schema version.

use rusqlite::Transaction;

/// "plmb".
pub const APPLICATION_ID: i32 = 0x706c_6d62;

/// The schema this build writes. A store with a newer one is refused.
pub const VERSION: i32 = 1;

/// Version 1. Blobs are zstd-compressed JSON; `sources` and `summary` are plain JSON so that
/// `plumb history` lists snapshots without decompressing anything.
const V1: &str = "
CREATE TABLE IF NOT EXISTS snapshots (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
    taken_at        TEXT    NOT NULL,  -- when stored, RFC 3339 UTC
    collected_at    TEXT    NOT NULL,  -- when the inventory was collected
    command         TEXT    NOT NULL,  -- scan | check | collect
    tool_version    TEXT    NOT NULL,
    policy_pack     TEXT,              -- e.g. builtin 0.1.0 (39 policies)
    policy_hash     TEXT,              -- policies + settings the findings were judged by
    inventory_hash  TEXT    NOT NULL,  -- SHA-256 of the resources
    sources         TEXT    NOT NULL,  -- JSON: collector runs
    resources       INTEGER NOT NULL,
    errors          INTEGER NOT NULL,  -- parts of the scope not read
    summary         TEXT,              -- JSON: findings counts
    inventory_bytes INTEGER NOT NULL,  -- inventory JSON size, uncompressed
    inventory       BLOB    NOT NULL,  -- zstd(inventory JSON)
    report          BLOB,              -- zstd(scan report JSON)
    failures        BLOB               -- zstd(JSON of the failing findings, without evidence)
);
";

/// Brings a store at any older version up to [`VERSION`], inside the caller's transaction.
pub fn migrate(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let version: i32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version < 1 {
        tx.execute_batch(V1)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", VERSION)?;
    Ok(())
}
