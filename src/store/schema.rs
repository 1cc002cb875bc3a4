//! The store's tables, and the migrations between schema versions.
//!
//! SQLite: `PRAGMA application_id` marks the file as a plumb store (so `--store` pointed at
//! another SQLite database is refused, not altered); `PRAGMA user_version` is the schema
//! version. PostgreSQL: the tables are named `plumb_*` (the database may hold others) and
//! `plumb_schema` holds the version. Both backends share the version numbers.

use rusqlite::Transaction;

use crate::inventory::CollectorRun;

/// "plmb".
pub(super) const APPLICATION_ID: i32 = 0x706c_6d62;

/// The schema this build writes. A store with a newer one is refused.
pub(super) const VERSION: i32 = 2;

/// The refusal of a store written by a newer plumb.
pub(super) fn too_new(version: i32) -> String {
    format!(
        "written by a newer plumb (store schema {version}; this build reads up to {VERSION}): upgrade plumb to read it"
    )
}

/// Version 1. Blobs are zstd-compressed JSON; `sources` and `summary` are plain JSON so that
/// `plumb history` lists snapshots without decompressing anything.
pub(super) const V1: &str = "
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

/// Version 2: each snapshot names its scope (the job or estate it belongs to), so that one
/// store holds many jobs' histories; retention and `latest` work per scope.
const V2: &str = "
ALTER TABLE snapshots ADD COLUMN scope TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS snapshots_scope ON snapshots (scope, id);
";

/// Brings a store at any older version up to [`VERSION`], inside the caller's transaction.
pub(super) fn migrate(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let version: i32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version < 1 {
        tx.execute_batch(V1)?;
    }
    if version < 2 {
        tx.execute_batch(V2)?;
        // Earlier snapshots get the scope their sources give them.
        let rows: Vec<(i64, String)> = {
            let mut stmt = tx.prepare("SELECT id, sources FROM snapshots")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?
        };
        for (id, sources) in rows {
            let runs: Vec<CollectorRun> = serde_json::from_str(&sources).unwrap_or_default();
            tx.execute(
                "UPDATE snapshots SET scope = ?1 WHERE id = ?2",
                rusqlite::params![super::scope_of(&runs), id],
            )?;
        }
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", VERSION)?;
    Ok(())
}

/// The PostgreSQL migrations: `(version, statements)`, applied in order to a database whose
/// `plumb_schema` says less. Version 1 was SQLite-only; a server store starts at 2.
pub(super) const POSTGRES: &[(i32, &str)] = &[(
    2,
    "
CREATE TABLE IF NOT EXISTS plumb_snapshots (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- a sequence: never reused
    taken_at        TEXT   NOT NULL,
    collected_at    TEXT   NOT NULL,
    command         TEXT   NOT NULL,
    tool_version    TEXT   NOT NULL,
    policy_pack     TEXT,
    policy_hash     TEXT,
    inventory_hash  TEXT   NOT NULL,
    scope           TEXT   NOT NULL,
    sources         TEXT   NOT NULL,
    resources       BIGINT NOT NULL,
    errors          BIGINT NOT NULL,
    summary         TEXT,
    inventory_bytes BIGINT NOT NULL,
    inventory       BYTEA  NOT NULL,
    report          BYTEA,
    failures        BYTEA
);
CREATE INDEX IF NOT EXISTS plumb_snapshots_scope ON plumb_snapshots (scope, id);
-- The blobs are zstd already: TOAST's own compression would only cost time.
ALTER TABLE plumb_snapshots ALTER COLUMN inventory SET STORAGE EXTERNAL;
ALTER TABLE plumb_snapshots ALTER COLUMN report SET STORAGE EXTERNAL;
ALTER TABLE plumb_snapshots ALTER COLUMN failures SET STORAGE EXTERNAL;
",
)];
