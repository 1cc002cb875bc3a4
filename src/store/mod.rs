//! The store: snapshots (inventory and findings) kept over time in one SQLite file.
//!
//! No server to run: the store is a file (`.plumb/plumb.db` by default) that nightly jobs,
//! CI runs and people share. Each snapshot is one row: what was read (inventory, compressed),
//! what the policies said (the scan report, compressed), and enough metadata to list and
//! choose snapshots without decompressing anything (times, tool and policy-pack versions, the
//! inventory's content hash, sources, counts).
//!
//! Guarantees:
//!
//! * **Atomic.** A snapshot is written in one transaction, retention included: a process
//!   killed at any point leaves the store as it was, or with the whole snapshot.
//! * **Concurrent writers.** WAL journal and a busy timeout: two jobs writing at once both
//!   succeed, one after the other; readers never block writers.
//! * **Durable.** `synchronous = FULL`: a committed snapshot survives a power cut.
//! * **Ids are never reused**, even after retention deletes snapshots, so a snapshot id in a
//!   ticket keeps meaning the same snapshot.

mod schema;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::findings::{Finding, ScanReport, Status, Summary};
use crate::inventory::{CollectorRun, Inventory};
use crate::policy::PolicySet;

/// Where the store lives unless `--store PATH` or `store.path` in `plumb.yaml` says otherwise.
pub const DEFAULT_PATH: &str = ".plumb/plumb.db";

/// zstd level for inventories and reports. Level 3 (zstd's default) compresses a
/// 100,000-resource inventory about 25-fold at some 300 MB/s; higher levels gain a few
/// percent for several times the time (`cargo bench --bench drift` measures it).
const ZSTD_LEVEL: i32 = 3;

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The store could not be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{path}: {context}: {source}")]
    Io {
        path: String,
        context: String,
        source: io::Error,
    },
    #[error("{path}: no snapshot {selector}{hint}")]
    NotFound {
        path: String,
        selector: String,
        hint: String,
    },
}

/// Which snapshot: an id, or counting back from the newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    Id(i64),
    /// `latest` is 0, `previous` is 1, `latest~N` is N.
    Back(usize),
}

impl FromStr for Selector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let back = |n: &str| {
            n.parse::<usize>()
                .map(Selector::Back)
                .map_err(|_| format!("{s:?}: expected latest~N with N a number"))
        };
        match s {
            "latest" => Ok(Selector::Back(0)),
            "previous" => Ok(Selector::Back(1)),
            _ if s.starts_with("latest~") => back(&s["latest~".len()..]),
            _ => s
                .parse::<i64>()
                .map(Selector::Id)
                .map_err(|_| format!("{s:?} is not a snapshot id, latest, previous or latest~N")),
        }
    }
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Selector::Id(id) => write!(f, "{id}"),
            Selector::Back(0) => f.write_str("latest"),
            Selector::Back(1) => f.write_str("previous"),
            Selector::Back(n) => write!(f, "latest~{n}"),
        }
    }
}

/// How many snapshots to keep. A snapshot is kept when any rule keeps it, and the newest is
/// always kept: with `keep: 30, keep_days: 90` a store holds the last 90 days, and at least
/// the last 30 snapshots however old.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Keep the newest N snapshots.
    pub keep: Option<usize>,
    /// Keep snapshots taken in the last D days.
    pub keep_days: Option<u32>,
}

impl Retention {
    pub fn is_unlimited(&self) -> bool {
        self.keep.is_none() && self.keep_days.is_none()
    }
}

/// The policies a snapshot's findings were judged by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPack {
    /// `builtin 0.1.0 (39 policies)`, `builtin 0.1.0 + 3 custom (42 policies)`.
    pub version: String,
    /// SHA-256 over every policy's id, severity, kinds and conditions, and the settings: the
    /// same hash means the same verdicts for the same inventory.
    pub hash: String,
}

impl PolicyPack {
    pub fn of(policies: &PolicySet, settings: &Settings) -> Self {
        let builtin = policies
            .iter()
            .filter(|p| p.doc.origin.starts_with("builtin:"))
            .count();
        let custom = policies.len() - builtin;
        let version = match (builtin, custom) {
            (0, n) => format!("custom ({n} policies)"),
            (b, 0) => format!("builtin {} ({b} policies)", env!("CARGO_PKG_VERSION")),
            (b, n) => format!(
                "builtin {} + {n} custom ({} policies)",
                env!("CARGO_PKG_VERSION"),
                b + n
            ),
        };
        let mut h = Sha256::new();
        h.update(settings.to_json().to_string().as_bytes());
        for p in policies.iter() {
            for part in [
                p.doc.id.as_str(),
                p.doc.severity.as_str(),
                &p.doc.kinds.join(","),
                p.when_source.as_deref().unwrap_or(""),
                &p.condition_source,
            ] {
                h.update(part.as_bytes());
                h.update([0]);
            }
        }
        PolicyPack {
            version,
            hash: hex(&h.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What to store.
pub struct NewSnapshot<'a> {
    /// The command that took it: `scan`, `check`, `collect`.
    pub command: &'a str,
    pub inventory: &'a Inventory,
    /// The findings, when the command evaluated policies.
    pub report: Option<&'a ScanReport>,
    pub policies: Option<PolicyPack>,
}

/// A stored snapshot, without its inventory and report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SnapshotInfo {
    pub id: i64,
    /// When it was stored (RFC 3339, UTC).
    pub taken_at: String,
    /// When its inventory was collected.
    pub collected_at: String,
    pub command: String,
    pub tool_version: String,
    pub policy_pack: Option<String>,
    pub policy_hash: Option<String>,
    /// [`Inventory::content_hash`].
    pub inventory_hash: String,
    pub sources: Vec<CollectorRun>,
    pub resources: usize,
    /// Parts of the scope that could not be read.
    pub errors: usize,
    /// Findings counts, when policies were evaluated.
    pub summary: Option<Summary>,
    /// Size of the inventory document, uncompressed, in bytes.
    pub inventory_bytes: u64,
    /// Size on disk of the compressed inventory and report.
    pub stored_bytes: u64,
}

/// A snapshot's compressed inventory, read from the store.
pub struct StoredInventory {
    path: String,
    id: i64,
    blob: Vec<u8>,
    size: u64,
}

impl StoredInventory {
    /// Decompresses and parses the inventory.
    pub fn decode(&self) -> Result<Inventory, StoreError> {
        let (path, id) = (&self.path, self.id);
        let invalid = |message: String| StoreError::Invalid {
            path: path.clone(),
            message,
        };
        let json = decompress(&self.blob, self.size).map_err(|source| StoreError::Io {
            path: path.clone(),
            context: format!("snapshot {id}: decompressing the inventory"),
            source,
        })?;
        let text = std::str::from_utf8(&json)
            .map_err(|_| invalid(format!("snapshot {id}: the inventory is not UTF-8")))?;
        Inventory::from_json(&format!("{path}#{id}"), text).map_err(|e| invalid(e.to_string()))
    }
}

/// What [`Store::put`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub id: i64,
    /// Snapshots that retention deleted.
    pub pruned: Vec<i64>,
}

/// An open store.
pub struct Store {
    conn: Connection,
    path: String,
}

/// Counts bytes written through it.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// JSON of `value`, zstd-compressed, and its uncompressed size.
fn compress(value: &impl Serialize) -> io::Result<(Vec<u8>, u64)> {
    let encoder = zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL)?;
    let mut out = Counting {
        inner: io::BufWriter::with_capacity(1 << 16, encoder),
        bytes: 0,
    };
    serde_json::to_writer(&mut out, value)?;
    let encoder = out.inner.into_inner().map_err(|e| e.into_error())?;
    Ok((encoder.finish()?, out.bytes))
}

fn decompress(blob: &[u8], size_hint: u64) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(usize::try_from(size_hint).unwrap_or(0));
    zstd::stream::read::Decoder::new(blob)?.read_to_end(&mut out)?;
    Ok(out)
}

impl Store {
    /// Opens the store at `path`, creating it (and its folder) when missing.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let display = path.display().to_string();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
                path: display.clone(),
                context: format!("cannot create {}", parent.display()),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: display.clone(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: display,
        };
        store.prepare()?;
        Ok(store)
    }

    /// Opens an existing store; a missing one is an error, not an empty history.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Invalid {
                path: path.display().to_string(),
                message: "no store here (`plumb scan --store` creates one)".into(),
            });
        }
        Self::open(path)
    }

    /// The path, as given.
    pub fn path(&self) -> &str {
        &self.path
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
        let header = |conn: &Connection| -> rusqlite::Result<(i32, i32, i64)> {
            let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
            let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
            let tables: i64 =
                conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
            Ok((app, version, tables))
        };
        let (app, version, tables) = header(&self.conn).map_err(|e| match e {
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
            return Err(self.invalid(format!(
                "written by a newer plumb (store schema {version}; this build reads up to {})",
                schema::VERSION
            )));
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
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|source| StoreError::Sqlite {
                    path: self.path.clone(),
                    source,
                })?;
            schema::migrate(&tx).map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
            tx.commit().map_err(|source| StoreError::Sqlite {
                path: self.path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Stores a snapshot and applies `retention`, in one transaction.
    pub fn put(
        &mut self,
        snapshot: &NewSnapshot<'_>,
        retention: &Retention,
    ) -> Result<Stored, StoreError> {
        let io_error = |context: &str| {
            let path = self.path.clone();
            let context = context.to_string();
            move |source| StoreError::Io {
                path,
                context,
                source,
            }
        };
        // Serialise and compress before taking the write lock: other writers wait only for
        // the insert itself.
        let inv = snapshot.inventory;
        let (inventory_blob, inventory_bytes) =
            compress(inv).map_err(io_error("compressing the inventory"))?;
        let report_blob = match snapshot.report {
            Some(r) => Some(compress(r).map_err(io_error("compressing the report"))?.0),
            None => None,
        };
        // The failing findings alone, without evidence: what drift needs to list the failures
        // that did not change, without judging every resource again.
        let failures_blob = match snapshot.report {
            Some(r) => {
                let failing: Vec<Finding> = r
                    .findings
                    .iter()
                    .filter(|f| f.status == Status::Fail)
                    .map(|f| Finding {
                        evidence: Default::default(),
                        ..f.clone()
                    })
                    .collect();
                Some(
                    compress(&failing)
                        .map_err(io_error("compressing the failures"))?
                        .0,
                )
            }
            None => None,
        };
        let summary = snapshot
            .report
            .map(|r| serde_json::to_string(&r.summary).expect("a summary always serialises"));
        let sources = serde_json::to_string(&inv.metadata.collectors)
            .expect("collector runs always serialise");
        let errors = inv
            .metadata
            .errors
            .iter()
            .filter(|e| !e.is_suppression())
            .count();
        let taken_at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let hash = inv.content_hash();

        let path = self.path.clone();
        let sqlite = move |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sqlite)?;
        tx.execute(
            "INSERT INTO snapshots (taken_at, collected_at, command, tool_version, policy_pack,
                 policy_hash, inventory_hash, sources, resources, errors, summary,
                 inventory_bytes, inventory, report, failures)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
            params![
                taken_at,
                inv.metadata.collected_at,
                snapshot.command,
                inv.metadata.tool.version,
                snapshot.policies.as_ref().map(|p| p.version.as_str()),
                snapshot.policies.as_ref().map(|p| p.hash.as_str()),
                hash,
                sources,
                inv.resources.len() as i64,
                errors as i64,
                summary,
                inventory_bytes as i64,
                inventory_blob,
                report_blob,
                failures_blob,
            ],
        )
        .map_err(&sqlite)?;
        let id = tx.last_insert_rowid();
        let pruned = prune_in(&tx, retention, Utc::now()).map_err(&sqlite)?;
        tx.commit().map_err(&sqlite)?;
        if !pruned.is_empty() {
            self.reclaim();
        }
        Ok(Stored { id, pruned })
    }

    /// Applies `retention` now; returns the deleted snapshot ids.
    pub fn prune(&mut self, retention: &Retention) -> Result<Vec<i64>, StoreError> {
        self.prune_at(retention, Utc::now())
    }

    /// [`Store::prune`] as if it were `now`.
    pub fn prune_at(
        &mut self,
        retention: &Retention,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        let path = self.path.clone();
        let sqlite = move |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(&sqlite)?;
        let pruned = prune_in(&tx, retention, now).map_err(&sqlite)?;
        tx.commit().map_err(&sqlite)?;
        if !pruned.is_empty() {
            self.reclaim();
        }
        Ok(pruned)
    }

    /// Gives the pages of deleted snapshots back to the file system. Best effort: a store
    /// that keeps its free pages is still correct.
    fn reclaim(&self) {
        let _ = self.conn.execute_batch("PRAGMA incremental_vacuum;");
    }

    /// Every snapshot, oldest first.
    pub fn list(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!("{INFO_COLUMNS} ORDER BY id"))
            .map_err(self.sqlite())?;
        let rows = stmt
            .query_map([], info_row)
            .map_err(self.sqlite())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sqlite())?;
        rows.into_iter().map(|r| self.info_from(r)).collect()
    }

    /// The id a selector names.
    pub fn resolve(&self, selector: Selector) -> Result<i64, StoreError> {
        let found: Option<i64> = match selector {
            Selector::Id(id) => self
                .conn
                .query_row("SELECT id FROM snapshots WHERE id = ?1", [id], |r| r.get(0))
                .optional(),
            Selector::Back(n) => self
                .conn
                .query_row(
                    "SELECT id FROM snapshots ORDER BY id DESC LIMIT 1 OFFSET ?1",
                    [n as i64],
                    |r| r.get(0),
                )
                .optional(),
        }
        .map_err(self.sqlite())?;
        found.ok_or_else(|| {
            let count: i64 = self
                .conn
                .query_row("SELECT count(*) FROM snapshots", [], |r| r.get(0))
                .unwrap_or(0);
            StoreError::NotFound {
                path: self.path.clone(),
                selector: selector.to_string(),
                hint: match (selector, count) {
                    (_, 0) => " (the store is empty)".into(),
                    (Selector::Back(_), n) => format!(
                        " (the store holds {n} snapshot{})",
                        if n == 1 { "" } else { "s" }
                    ),
                    (Selector::Id(_), _) => " (`plumb history` lists them)".into(),
                },
            }
        })
    }

    /// One snapshot's metadata.
    pub fn info(&self, id: i64) -> Result<SnapshotInfo, StoreError> {
        let row = self
            .conn
            .query_row(&format!("{INFO_COLUMNS} WHERE id = ?1"), [id], info_row)
            .optional()
            .map_err(self.sqlite())?;
        match row {
            Some(r) => self.info_from(r),
            None => Err(StoreError::NotFound {
                path: self.path.clone(),
                selector: id.to_string(),
                hint: " (`plumb history` lists them)".into(),
            }),
        }
    }

    fn blob(&self, id: i64, column: &str) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {column}, inventory_bytes FROM snapshots WHERE id = ?1"),
                [id],
                |r| Ok((r.get::<_, Option<Vec<u8>>>(0)?, r.get::<_, i64>(1)?)),
            )
            .optional()
            .map_err(self.sqlite())?
            .ok_or_else(|| StoreError::NotFound {
                path: self.path.clone(),
                selector: id.to_string(),
                hint: String::new(),
            })
            .map(|(blob, size)| blob.map(|b| (b, size as u64)))
    }

    /// The inventory document of a snapshot, as stored (JSON).
    pub fn inventory_json(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        let (blob, size) = self
            .blob(id, "inventory")?
            .ok_or_else(|| self.invalid(format!("snapshot {id} has no inventory")))?;
        decompress(&blob, size).map_err(|source| StoreError::Io {
            path: self.path.clone(),
            context: format!("snapshot {id}: decompressing the inventory"),
            source,
        })
    }

    /// The inventory of a snapshot.
    pub fn inventory(&self, id: i64) -> Result<Inventory, StoreError> {
        self.inventory_blob(id)?.decode()
    }

    /// A snapshot's inventory as stored, to decode later (on another thread: decoding a large
    /// inventory takes most of the time of reading it).
    pub fn inventory_blob(&self, id: i64) -> Result<StoredInventory, StoreError> {
        let (blob, size) = self
            .blob(id, "inventory")?
            .ok_or_else(|| self.invalid(format!("snapshot {id} has no inventory")))?;
        Ok(StoredInventory {
            path: self.path.clone(),
            id,
            blob,
            size,
        })
    }

    /// The scan report stored with a snapshot, when policies were evaluated.
    pub fn report(&self, id: i64) -> Result<Option<ScanReport>, StoreError> {
        let Some((blob, _)) = self.blob(id, "report")? else {
            return Ok(None);
        };
        let json = decompress(&blob, 0).map_err(|source| StoreError::Io {
            path: self.path.clone(),
            context: format!("snapshot {id}: decompressing the report"),
            source,
        })?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| self.invalid(format!("snapshot {id}: unreadable report: {e}")))
    }

    /// The failing findings stored with a snapshot (without evidence), when policies were
    /// evaluated: valid for drift only when this plumb, with the same policies and settings
    /// ([`PolicyPack::hash`]), took the snapshot.
    pub fn failures(&self, id: i64) -> Result<Option<Vec<Finding>>, StoreError> {
        let Some((blob, _)) = self.blob(id, "failures")? else {
            return Ok(None);
        };
        let json = decompress(&blob, 0).map_err(|source| StoreError::Io {
            path: self.path.clone(),
            context: format!("snapshot {id}: decompressing the failures"),
            source,
        })?;
        serde_json::from_slice(&json)
            .map(Some)
            .map_err(|e| self.invalid(format!("snapshot {id}: unreadable failures: {e}")))
    }

    /// Checks the database and every snapshot: the SQLite integrity check, then each inventory
    /// read back and hashed. Returns the problems found (none for a healthy store).
    pub fn verify(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(self.sqlite())?;
        let lines = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(self.sqlite())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.sqlite())?;
        problems.extend(lines.into_iter().filter(|l| l != "ok"));
        for info in self.list()? {
            match self.inventory(info.id) {
                Ok(inv) if inv.content_hash() != info.inventory_hash => problems.push(format!(
                    "snapshot {}: the inventory does not match its hash",
                    info.id
                )),
                Ok(_) => {}
                Err(e) => problems.push(format!("snapshot {}: {e}", info.id)),
            }
            if info.summary.is_some() {
                if let Err(e) = self.report(info.id) {
                    problems.push(format!("snapshot {}: {e}", info.id));
                }
                if let Err(e) = self.failures(info.id) {
                    problems.push(format!("snapshot {}: {e}", info.id));
                }
            }
        }
        Ok(problems)
    }

    fn info_from(&self, row: InfoRow) -> Result<SnapshotInfo, StoreError> {
        let id = row.id;
        let bad = |what: &str, e: serde_json::Error| {
            self.invalid(format!("snapshot {id}: unreadable {what}: {e}"))
        };
        Ok(SnapshotInfo {
            id,
            taken_at: row.taken_at,
            collected_at: row.collected_at,
            command: row.command,
            tool_version: row.tool_version,
            policy_pack: row.policy_pack,
            policy_hash: row.policy_hash,
            inventory_hash: row.inventory_hash,
            sources: serde_json::from_str(&row.sources).map_err(|e| bad("sources", e))?,
            resources: row.resources as usize,
            errors: row.errors as usize,
            summary: row
                .summary
                .map(|s| serde_json::from_str(&s))
                .transpose()
                .map_err(|e| bad("summary", e))?,
            inventory_bytes: row.inventory_bytes as u64,
            stored_bytes: row.stored_bytes as u64,
        })
    }
}

const INFO_COLUMNS: &str = "SELECT id, taken_at, collected_at, command, tool_version, policy_pack,
    policy_hash, inventory_hash, sources, resources, errors, summary, inventory_bytes,
    length(inventory) + coalesce(length(report), 0) FROM snapshots";

struct InfoRow {
    id: i64,
    taken_at: String,
    collected_at: String,
    command: String,
    tool_version: String,
    policy_pack: Option<String>,
    policy_hash: Option<String>,
    inventory_hash: String,
    sources: String,
    resources: i64,
    errors: i64,
    summary: Option<String>,
    inventory_bytes: i64,
    stored_bytes: i64,
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
        sources: r.get(8)?,
        resources: r.get(9)?,
        errors: r.get(10)?,
        summary: r.get(11)?,
        inventory_bytes: r.get(12)?,
        stored_bytes: r.get(13)?,
    })
}

/// Deletes the snapshots `retention` does not keep; the newest is always kept.
fn prune_in(
    conn: &Connection,
    retention: &Retention,
    now: DateTime<Utc>,
) -> rusqlite::Result<Vec<i64>> {
    if retention.is_unlimited() {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT id, taken_at FROM snapshots ORDER BY id DESC")?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
        .collect::<Result<Vec<_>, _>>()?;
    let mut doomed = Vec::new();
    for (rank, (id, taken_at)) in rows.into_iter().enumerate() {
        let by_count = retention.keep.is_some_and(|k| rank < k);
        let by_age = retention.keep_days.is_some_and(|d| {
            DateTime::parse_from_rfc3339(&taken_at)
                // An unreadable time is kept: retention never deletes what it cannot judge.
                .map_or(true, |t| {
                    now.signed_duration_since(t).num_seconds() <= i64::from(d) * 86_400
                })
        });
        if rank > 0 && !by_count && !by_age {
            doomed.push(id);
        }
    }
    for id in &doomed {
        conn.execute("DELETE FROM snapshots WHERE id = ?1", [id])?;
    }
    doomed.sort();
    Ok(doomed)
}

/// The store path to use: the flag, else `store.path` in `plumb.yaml`, else the default.
pub fn resolve_path(flag: Option<&Path>, configured: Option<&Path>) -> PathBuf {
    flag.or(configured)
        .map_or_else(|| PathBuf::from(DEFAULT_PATH), Path::to_path_buf)
}

#[cfg(test)]
mod tests;
