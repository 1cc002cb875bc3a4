//! The SQLite backend: one file, no server. WAL journal and a busy timeout let several
//! processes write one after the other; `synchronous = FULL` makes a commit durable.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::{
    Blob, Column, Engine, Filter, INFO_COLUMNS, InfoRow, Retention, Row, StoreError, doomed,
    doomed_by_scope, schema,
};

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

pub(super) struct Sqlite {
    conn: Connection,
    path: String,
}

impl Sqlite {
    /// Opens (creating when missing) the file, and brings its schema up to date.
    pub(super) fn open(path: &Path, display: &str) -> Result<Sqlite, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: display.to_string(),
                context: format!("cannot create {}", parent.display()),
                source,
            })?;
        }
        let opened = Connection::open(path)
            .map_err(|source| StoreError::Sqlite {
                path: display.to_string(),
                source,
            })
            .and_then(|conn| {
                let mut store = Sqlite {
                    conn,
                    path: display.to_string(),
                };
                store.prepare()?;
                Ok(store)
            });
        match opened {
            // A store in a folder this user cannot write to (a shared, read-only mount) cannot
            // keep its write-ahead log there; it is still read, as it stands on disk.
            Err(e) if path.is_file() && cannot_write(&e) => Self::open_read_only(path, display),
            other => other,
        }
    }

    /// Opens an existing store for reading only, as an immutable file: no write-ahead log or
    /// shared-memory file is made beside it, and any write is refused by SQLite.
    pub(super) fn open_read_only(path: &Path, display: &str) -> Result<Sqlite, StoreError> {
        let mut uri = String::from("file:");
        for c in path.to_string_lossy().chars() {
            match c {
                '%' => uri.push_str("%25"),
                '?' => uri.push_str("%3f"),
                '#' => uri.push_str("%23"),
                c => uri.push(c),
            }
        }
        uri.push_str("?immutable=1");
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(&uri, flags).map_err(|source| StoreError::Sqlite {
                path: display.to_string(),
                source,
            })?;
        let store = Sqlite {
            conn,
            path: display.to_string(),
        };
        let pragma = |name: &str| -> Result<i32, StoreError> {
            store
                .conn
                .pragma_query_value(None, name, |r| r.get(0))
                .map_err(store.sqlite())
        };
        let (app, version) = (pragma("application_id")?, pragma("user_version")?);
        if app != schema::APPLICATION_ID {
            return Err(store.invalid("not a plumb store"));
        }
        if version != schema::VERSION {
            return Err(store.invalid(format!(
                "this store is at schema version {version} and this build reads {}; it can be brought up to date only where it can be written",
                schema::VERSION
            )));
        }
        Ok(store)
    }

    fn sqlite(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn invalid(&self, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Checks the file is a plumb store this build reads, creating the schema in an empty one.
    fn prepare(&mut self) -> Result<(), StoreError> {
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(self.sqlite())?;
        // The header is read in one read transaction: read piecemeal, another process creating
        // the schema in between shows tables without the plumb mark.
        let header = |conn: &mut Connection| -> rusqlite::Result<(i32, i32, i64)> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let app: i32 = tx.pragma_query_value(None, "application_id", |r| r.get(0))?;
            let version: i32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let tables: i64 =
                tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            tx.commit()?;
            Ok((app, version, tables))
        };
        let (app, version, tables) = header(&mut self.conn).map_err(|e| match e {
            rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                self.invalid("not a plumb store (not an SQLite database)")
            }
            e => self.sqlite()(e),
        })?;
        if app != schema::APPLICATION_ID && !(app == 0 && tables == 0) {
            return Err(self.invalid(
                "an SQLite database that is not a plumb store; give --store another path",
            ));
        }
        if version > schema::VERSION {
            return Err(self.invalid(schema::too_new(version)));
        }
        if app == 0 {
            // Settings that only take effect before the first table exists, or that persist
            // in the file; harmless when another process got here first.
            self.conn
                .pragma_update(None, "auto_vacuum", "INCREMENTAL")
                .map_err(self.sqlite())?;
            let mode: String = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .map_err(self.sqlite())?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(self.invalid(format!(
                    "cannot use a write-ahead log here (journal mode stays {mode}); is the store on a network file system?"
                )));
            }
        }
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(self.sqlite())?;
        if version < schema::VERSION {
            let path = self.path.clone();
            let sqlite = move |source| StoreError::Sqlite {
                path: path.clone(),
                source,
            };
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(&sqlite)?;
            schema::migrate(&tx).map_err(&sqlite)?;
            tx.commit().map_err(&sqlite)?;
        }
        Ok(())
    }

    /// Gives the pages of deleted snapshots back to the file system. Best effort: a store
    /// that keeps its free pages is still correct.
    fn reclaim(&self) {
        let _ = self.conn.execute_batch("PRAGMA incremental_vacuum;");
    }
}

/// Whether opening failed because the store's folder or file cannot be written.
fn cannot_write(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sqlite {
            source: rusqlite::Error::SqliteFailure(f, _),
            ..
        } if matches!(
            f.code,
            rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen
        )
    )
}

/// Deletes `ids`.
fn delete(conn: &Connection, ids: &[i64]) -> rusqlite::Result<()> {
    for id in ids {
        conn.execute("DELETE FROM snapshots WHERE id = ?1", [id])?;
    }
    Ok(())
}

fn info_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<InfoRow> {
    Ok(InfoRow {
        id: r.get(0)?,
        taken_at: r.get(1)?,
        collected_at: r.get(2)?,
        command: r.get(3)?,
        tool_version: r.get(4)?,
        policy_pack: r.get(5)?,
        policy_hash: r.get(6)?,
        inventory_hash: r.get(7)?,
        scope: r.get(8)?,
        sources: r.get(9)?,
        resources: r.get(10)?,
        errors: r.get(11)?,
        summary: r.get(12)?,
        inventory_bytes: r.get(13)?,
        stored_bytes: r.get(14)?,
    })
}

impl Engine for Sqlite {
    fn insert(
        &mut self,
        row: &Row<'_>,
        retention: &Retention,
        now: DateTime<Utc>,
    ) -> Result<(i64, Vec<i64>), StoreError> {
        let path = self.path.clone();
        let sqlite = move |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sqlite)?;
        // A damaged file is not written to: a write would succeed while older snapshots are
        // unreadable, and the damage would be found only when someone needs them. The check
        // runs inside the write's transaction, so no other writer comes between.
        let check: String = tx
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(&sqlite)?;
        if check != "ok" {
            return Err(StoreError::Invalid {
                path: self.path.clone(),
                message: format!(
                    "the store is damaged ({check}); nothing was written. `plumb history verify` lists what is wrong; restore the file from a backup"
                ),
            });
        }
        tx.execute(
            "INSERT INTO snapshots (taken_at, collected_at, command, tool_version, policy_pack,
                 policy_hash, inventory_hash, scope, sources, resources, errors, summary,
                 inventory_bytes, inventory, report, failures)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                row.taken_at,
                row.collected_at,
                row.command,
                row.tool_version,
                row.policy_pack,
                row.policy_hash,
                row.inventory_hash,
                row.scope,
                row.sources,
                row.resources,
                row.errors,
                row.summary,
                row.inventory_bytes,
                row.inventory,
                row.report,
                row.failures,
            ],
        )
        .map_err(&sqlite)?;
        let id = tx.last_insert_rowid();
        let pruned = if retention.is_unlimited() {
            Vec::new()
        } else {
            let rows = {
                let mut stmt = tx
                    .prepare("SELECT id, taken_at FROM snapshots WHERE scope = ?1 ORDER BY id DESC")
                    .map_err(&sqlite)?;
                stmt.query_map([&row.scope], |r| Ok((r.get(0)?, r.get(1)?)))
                    .map_err(&sqlite)?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(&sqlite)?
            };
            let pruned = doomed(&rows, retention, now);
            delete(&tx, &pruned).map_err(&sqlite)?;
            pruned
        };
        tx.commit().map_err(&sqlite)?;
        if !pruned.is_empty() {
            self.reclaim();
        }
        Ok((id, pruned))
    }

    fn prune(&mut self, retention: &Retention, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let path = self.path.clone();
        let sqlite = move |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sqlite)?;
        let rows = {
            let mut stmt = tx
                .prepare("SELECT id, taken_at, scope FROM snapshots ORDER BY id DESC")
                .map_err(&sqlite)?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(&sqlite)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(&sqlite)?
        };
        let pruned = doomed_by_scope(rows, retention, now);
        delete(&tx, &pruned).map_err(&sqlite)?;
        tx.commit().map_err(&sqlite)?;
        if !pruned.is_empty() {
            self.reclaim();
        }
        Ok(pruned)
    }

    fn infos(&self, filter: Filter<'_>) -> Result<Vec<InfoRow>, StoreError> {
        let select = format!(
            "SELECT {INFO_COLUMNS}, length(inventory) + coalesce(length(report), 0) FROM snapshots"
        );
        let run = |sql: String, param: Option<rusqlite::types::Value>| {
            let mut stmt = self.conn.prepare(&sql)?;
            match param {
                Some(p) => stmt
                    .query_map([p], info_row)?
                    .collect::<Result<Vec<_>, _>>(),
                None => stmt.query_map([], info_row)?.collect::<Result<Vec<_>, _>>(),
            }
        };
        match filter {
            Filter::All => run(format!("{select} ORDER BY id"), None),
            Filter::Id(id) => run(format!("{select} WHERE id = ?1"), Some(id.into())),
            Filter::Scope(s) => run(
                format!("{select} WHERE scope = ?1 ORDER BY id"),
                Some(s.to_string().into()),
            ),
        }
        .map_err(self.sqlite())
    }

    fn nth_back(&self, n: usize, scope: Option<&str>) -> Result<Option<i64>, StoreError> {
        match scope {
            Some(s) => self.conn.query_row(
                "SELECT id FROM snapshots WHERE scope = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
                params![s, n as i64],
                |r| r.get(0),
            ),
            None => self.conn.query_row(
                "SELECT id FROM snapshots ORDER BY id DESC LIMIT 1 OFFSET ?1",
                [n as i64],
                |r| r.get(0),
            ),
        }
        .optional()
        .map_err(self.sqlite())
    }

    fn count(&self, scope: Option<&str>) -> Result<i64, StoreError> {
        match scope {
            Some(s) => self.conn.query_row(
                "SELECT count(*) FROM snapshots WHERE scope = ?1",
                [s],
                |r| r.get(0),
            ),
            None => self
                .conn
                .query_row("SELECT count(*) FROM snapshots", [], |r| r.get(0)),
        }
        .map_err(self.sqlite())
    }

    fn blob(&self, id: i64, column: Column) -> Result<Option<Blob>, StoreError> {
        self.conn
            .query_row(
                &format!(
                    "SELECT {}, inventory_bytes FROM snapshots WHERE id = ?1",
                    column.name()
                ),
                [id],
                |r| Ok((r.get::<_, Option<Vec<u8>>>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(self.sqlite())
            .map(|found| found.map(|(blob, size)| (blob, size as u64)))
    }

    fn integrity(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(self.sqlite())?;
        let lines = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(self.sqlite())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sqlite())?;
        Ok(lines.into_iter().filter(|l| l != "ok").collect())
    }
}
