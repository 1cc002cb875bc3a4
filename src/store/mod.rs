//! The store: snapshots (inventory and findings) kept over time, in one SQLite file or in a
//! PostgreSQL database that many jobs share.
//!
//! SQLite needs no server: the store is a file (`.plumb/plumb.db` by default) that nightly
//! jobs, CI runs and people share. `--store postgres://…` keeps the same snapshots in
//! PostgreSQL, for jobs on many machines (the `postgres` module has the details). Each snapshot is one
//! row: what was read (inventory, compressed), what the policies said (the scan report,
//! compressed), and enough metadata to list and choose snapshots without decompressing
//! anything (times, tool and policy-pack versions, the inventory's content hash, scope,
//! sources, counts). Both backends sit behind one `Engine` trait; compression, hashing and the
//! retention rules are shared, so they behave the same.
//!
//! Guarantees:
//!
//! * **Atomic.** A snapshot is written in one transaction, retention included: a process
//!   killed at any point leaves the store as it was, or with the whole snapshot.
//! * **Concurrent writers.** SQLite: WAL journal and a busy timeout, two jobs writing at once
//!   both succeed, one after the other. PostgreSQL: writers of one scope queue on a lock;
//!   writers of different scopes do not wait for each other. Readers never block writers.
//! * **Durable.** SQLite `synchronous = FULL`; PostgreSQL's commit: a committed snapshot
//!   survives a power cut.
//! * **Ids are never reused**, even after retention deletes snapshots, so a snapshot id in a
//!   ticket keeps meaning the same snapshot.
//! * **Scoped.** Each snapshot names its scope (a nightly job: an account, a cluster);
//!   retention keeps the newest snapshots of each scope, so one store holds many histories.

mod postgres;
mod schema;
mod sqlite;

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
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
    /// A PostgreSQL error, its causes spelled out (the client's own message is only "db
    /// error"). `path` is the URL without its password.
    #[error("{path}: {message}")]
    Postgres { path: String, message: String },
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
    /// The job or estate it belongs to: `--scope`, else what its collectors read
    /// ([`scope_of`]). Retention and the organisation views work per scope.
    pub scope: String,
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
    engine: Box<dyn Engine>,
    /// The file path, or the server URL with its password replaced: safe to print.
    path: String,
    /// A second connection to an SQLite store's file (an empty in-memory database for a
    /// server): lets unit tests edit what is stored beneath the store.
    #[cfg(test)]
    conn: rusqlite::Connection,
}

/// What a backend does; everything else (compression, hashing, retention rules, errors)
/// is shared, so both backends behave the same.
trait Engine {
    /// Inserts a snapshot and deletes, in the same transaction, the snapshots of its scope
    /// that `retention` does not keep. Returns the new id and the deleted ones.
    fn insert(
        &mut self,
        row: &Row<'_>,
        retention: &Retention,
        now: DateTime<Utc>,
    ) -> Result<(i64, Vec<i64>), StoreError>;
    /// Applies `retention` to every scope, in one transaction.
    fn prune(&mut self, retention: &Retention, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError>;
    /// Metadata of the snapshots `filter` selects, oldest first.
    fn infos(&self, filter: Filter<'_>) -> Result<Vec<InfoRow>, StoreError>;
    /// The id `n` snapshots back from the newest (of `scope`, when given).
    fn nth_back(&self, n: usize, scope: Option<&str>) -> Result<Option<i64>, StoreError>;
    /// How many snapshots (of `scope`, when given).
    fn count(&self, scope: Option<&str>) -> Result<i64, StoreError>;
    /// A blob column and the inventory's uncompressed size; `None` when no such snapshot.
    fn blob(&self, id: i64, column: Column) -> Result<Option<Blob>, StoreError>;
    /// The database's own consistency check; problems found.
    fn integrity(&self) -> Result<Vec<String>, StoreError>;
}

/// A blob column (absent for a snapshot without findings) and the inventory's uncompressed
/// size.
type Blob = (Option<Vec<u8>>, u64);

/// Which snapshots [`Engine::infos`] reads.
#[derive(Clone, Copy)]
enum Filter<'a> {
    All,
    Id(i64),
    Scope(&'a str),
}

/// The compressed columns.
#[derive(Clone, Copy)]
enum Column {
    Inventory,
    Report,
    Failures,
}

impl Column {
    fn name(self) -> &'static str {
        match self {
            Column::Inventory => "inventory",
            Column::Report => "report",
            Column::Failures => "failures",
        }
    }
}

/// A snapshot ready to insert: metadata computed, blobs compressed.
struct Row<'a> {
    taken_at: String,
    collected_at: &'a str,
    command: &'a str,
    tool_version: &'a str,
    policy_pack: Option<&'a str>,
    policy_hash: Option<&'a str>,
    inventory_hash: String,
    scope: String,
    sources: String,
    resources: i64,
    errors: i64,
    summary: Option<String>,
    inventory_bytes: i64,
    inventory: Vec<u8>,
    report: Option<Vec<u8>>,
    failures: Option<Vec<u8>>,
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

/// Largest document a blob whose size the store does not record (a report, the failures)
/// may decompress to.
const UNRECORDED_MAX_BYTES: u64 = 1 << 30;

/// Decompresses a blob, reading no more than its recorded size (`0`: not recorded, then at
/// most [`UNRECORDED_MAX_BYTES`]): a damaged or crafted blob that expands further (a
/// "zstd bomb") is an error, not a process out of memory.
fn decompress(blob: &[u8], recorded: u64) -> io::Result<Vec<u8>> {
    let cap = if recorded == 0 {
        UNRECORDED_MAX_BYTES
    } else {
        recorded
    };
    let mut out = Vec::with_capacity(usize::try_from(recorded).unwrap_or(0));
    zstd::stream::read::Decoder::new(blob)?
        .take(cap + 1)
        .read_to_end(&mut out)?;
    if out.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            if recorded == 0 {
                format!("the blob decompresses to more than {} MiB", cap >> 20)
            } else {
                format!("the blob decompresses to more than its recorded {cap} bytes")
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod decompress_tests {
    use super::*;

    #[test]
    fn a_blob_is_read_no_further_than_its_recorded_size() {
        let json = vec![b' '; 1 << 20];
        let blob = zstd::stream::encode_all(&json[..], 3).unwrap();
        assert!(blob.len() < 1 << 12, "compresses well: {}", blob.len());
        assert_eq!(decompress(&blob, 1 << 20).unwrap().len(), 1 << 20);
        let e = decompress(&blob, 1000).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "the blob decompresses to more than its recorded 1000 bytes"
        );
        // Unrecorded: bounded by the general cap only.
        assert_eq!(decompress(&blob, 0).unwrap().len(), 1 << 20);
    }
}

/// The scope a snapshot belongs to when none is given: what its collectors read
/// (`aws:123456789012/eu-west-1`, `terraform-plan:plan.json`), sorted, joined by ` + `.
/// Snapshots of one nightly job share it; retention and the organisation views work per scope.
pub fn scope_of(runs: &[CollectorRun]) -> String {
    let mut parts: Vec<String> = runs
        .iter()
        .map(|r| format!("{}:{}", r.collector, r.scope))
        .collect();
    parts.sort();
    parts.dedup();
    if parts.is_empty() {
        "(no sources)".into()
    } else {
        parts.join(" + ")
    }
}

/// Whether `path` names a PostgreSQL server rather than a file.
pub fn is_url(path: &Path) -> bool {
    crate::config::StoreConfig::is_server(path)
}

/// Whether a store exists at `path` (a server is assumed to: opening it says otherwise).
pub fn exists(path: &Path) -> bool {
    is_url(path) || path.exists()
}

impl Store {
    /// Opens the store at `path`, creating it (and its folder, or its tables on a server)
    /// when missing. A `postgres://` or `postgresql://` URL opens a PostgreSQL store.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if is_url(path) {
            let (engine, shown) = postgres::Pg::open(&path.to_string_lossy(), true)?;
            return Ok(Store {
                engine: Box::new(engine),
                path: shown,
                #[cfg(test)]
                conn: rusqlite::Connection::open_in_memory().expect("an in-memory database"),
            });
        }
        let display = path.display().to_string();
        let engine = sqlite::Sqlite::open(path, &display)?;
        Ok(Store {
            engine: Box::new(engine),
            path: display,
            #[cfg(test)]
            conn: rusqlite::Connection::open(path).expect("the store's file opens twice"),
        })
    }

    /// Opens an existing store; a missing one is an error, not an empty history.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if is_url(path) {
            let (engine, shown) = postgres::Pg::open(&path.to_string_lossy(), false)?;
            return Ok(Store {
                engine: Box::new(engine),
                path: shown,
                #[cfg(test)]
                conn: rusqlite::Connection::open_in_memory().expect("an in-memory database"),
            });
        }
        if !path.is_file() {
            return Err(StoreError::Invalid {
                path: path.display().to_string(),
                message: "no store here (`plumb scan --store` creates one)".into(),
            });
        }
        Self::open(path)
    }

    /// The path, as given; a server URL without its password.
    pub fn path(&self) -> &str {
        &self.path
    }

    fn invalid(&self, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// Stores a snapshot and applies `retention` to its scope, in one transaction.
    pub fn put(
        &mut self,
        snapshot: &NewSnapshot<'_>,
        retention: &Retention,
    ) -> Result<Stored, StoreError> {
        self.put_in_scope(snapshot, None, retention)
    }

    /// [`Store::put`], naming the snapshot's scope (by default [`scope_of`] its sources).
    pub fn put_in_scope(
        &mut self,
        snapshot: &NewSnapshot<'_>,
        scope: Option<&str>,
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
        let now = Utc::now();
        let row = Row {
            taken_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            collected_at: &inv.metadata.collected_at,
            command: snapshot.command,
            tool_version: &inv.metadata.tool.version,
            policy_pack: snapshot.policies.as_ref().map(|p| p.version.as_str()),
            policy_hash: snapshot.policies.as_ref().map(|p| p.hash.as_str()),
            inventory_hash: inv.content_hash(),
            scope: scope.map_or_else(|| scope_of(&inv.metadata.collectors), str::to_string),
            sources,
            resources: inv.resources.len() as i64,
            errors: errors as i64,
            summary,
            inventory_bytes: inventory_bytes as i64,
            inventory: inventory_blob,
            report: report_blob,
            failures: failures_blob,
        };
        let (id, pruned) = self.engine.insert(&row, retention, now)?;
        Ok(Stored { id, pruned })
    }

    /// Applies `retention` now, to every scope; returns the deleted snapshot ids.
    pub fn prune(&mut self, retention: &Retention) -> Result<Vec<i64>, StoreError> {
        self.prune_at(retention, Utc::now())
    }

    /// [`Store::prune`] as if it were `now`.
    pub fn prune_at(
        &mut self,
        retention: &Retention,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, StoreError> {
        if retention.is_unlimited() {
            return Ok(Vec::new());
        }
        self.engine.prune(retention, now)
    }

    /// Every snapshot, oldest first.
    pub fn list(&self) -> Result<Vec<SnapshotInfo>, StoreError> {
        self.list_filtered(Filter::All)
    }

    /// The snapshots of one scope, oldest first.
    pub fn list_scope(&self, scope: &str) -> Result<Vec<SnapshotInfo>, StoreError> {
        self.list_filtered(Filter::Scope(scope))
    }

    fn list_filtered(&self, filter: Filter<'_>) -> Result<Vec<SnapshotInfo>, StoreError> {
        let rows = self.engine.infos(filter)?;
        rows.into_iter().map(|r| self.info_from(r)).collect()
    }

    /// Every scope with its snapshots' count and newest snapshot, by scope name. Reads
    /// metadata only.
    pub fn scopes(&self) -> Result<Vec<ScopeInfo>, StoreError> {
        let mut scopes: std::collections::BTreeMap<String, ScopeInfo> = Default::default();
        for info in self.list()? {
            let entry = scopes
                .entry(info.scope.clone())
                .or_insert_with(|| ScopeInfo {
                    scope: info.scope.clone(),
                    snapshots: 0,
                    latest: info.clone(),
                    previous: None,
                });
            entry.snapshots += 1;
            if info.id >= entry.latest.id {
                if entry.snapshots > 1 {
                    entry.previous = Some(entry.latest.clone());
                }
                entry.latest = info;
            }
        }
        Ok(scopes.into_values().collect())
    }

    /// The id a selector names.
    pub fn resolve(&self, selector: Selector) -> Result<i64, StoreError> {
        self.resolve_in(selector, None)
    }

    /// The id a selector names, counting back among the snapshots of `scope` when given.
    pub fn resolve_in(&self, selector: Selector, scope: Option<&str>) -> Result<i64, StoreError> {
        let found = match selector {
            Selector::Id(id) => self
                .engine
                .infos(Filter::Id(id))?
                .into_iter()
                .find(|r| scope.is_none_or(|s| r.scope == s))
                .map(|r| r.id),
            Selector::Back(n) => self.engine.nth_back(n, scope)?,
        };
        found.ok_or_else(|| {
            let count = self.engine.count(scope).unwrap_or(0);
            let what = match scope {
                Some(s) => format!("scope {s:?}"),
                None => "the store".into(),
            };
            StoreError::NotFound {
                path: self.path.clone(),
                selector: selector.to_string(),
                hint: match (selector, count) {
                    (_, 0) => format!(" ({what} is empty)"),
                    (Selector::Back(_), n) => format!(
                        " ({what} holds {n} snapshot{})",
                        if n == 1 { "" } else { "s" }
                    ),
                    (Selector::Id(_), _) => " (`plumb history` lists them)".into(),
                },
            }
        })
    }

    /// One snapshot's metadata.
    pub fn info(&self, id: i64) -> Result<SnapshotInfo, StoreError> {
        match self.engine.infos(Filter::Id(id))?.into_iter().next() {
            Some(r) => self.info_from(r),
            None => Err(StoreError::NotFound {
                path: self.path.clone(),
                selector: id.to_string(),
                hint: " (`plumb history` lists them)".into(),
            }),
        }
    }

    fn blob(&self, id: i64, column: Column) -> Result<Option<(Vec<u8>, u64)>, StoreError> {
        self.engine
            .blob(id, column)?
            .ok_or_else(|| StoreError::NotFound {
                path: self.path.clone(),
                selector: id.to_string(),
                hint: String::new(),
            })
            .map(|(blob, size)| blob.map(|b| (b, size)))
    }

    /// The inventory document of a snapshot, as stored (JSON).
    pub fn inventory_json(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        let (blob, size) = self
            .blob(id, Column::Inventory)?
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
            .blob(id, Column::Inventory)?
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
        let Some((blob, _)) = self.blob(id, Column::Report)? else {
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
        let Some((blob, _)) = self.blob(id, Column::Failures)? else {
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

    /// Checks the database and every snapshot: the database's own check (SQLite's integrity
    /// check; the schema on a server), then each inventory read back and hashed. Returns the
    /// problems found (none for a healthy store).
    pub fn verify(&self) -> Result<Vec<String>, StoreError> {
        let mut problems = self.engine.integrity()?;
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
            scope: row.scope,
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

/// One scope of the store: how many snapshots it has and its two newest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeInfo {
    pub scope: String,
    pub snapshots: usize,
    pub latest: SnapshotInfo,
    pub previous: Option<SnapshotInfo>,
}

/// The metadata columns, in [`InfoRow`]'s order (both backends read the same list).
const INFO_COLUMNS: &str = "id, taken_at, collected_at, command, tool_version, policy_pack,
    policy_hash, inventory_hash, scope, sources, resources, errors, summary, inventory_bytes";

struct InfoRow {
    id: i64,
    taken_at: String,
    collected_at: String,
    command: String,
    tool_version: String,
    policy_pack: Option<String>,
    policy_hash: Option<String>,
    inventory_hash: String,
    scope: String,
    sources: String,
    resources: i64,
    errors: i64,
    summary: Option<String>,
    inventory_bytes: i64,
    stored_bytes: i64,
}

/// The snapshots of one scope that `retention` does not keep, given newest first as
/// `(id, taken_at)`; the newest is always kept. Sorted.
fn doomed(rows: &[(i64, String)], retention: &Retention, now: DateTime<Utc>) -> Vec<i64> {
    if retention.is_unlimited() {
        return Vec::new();
    }
    let mut doomed = Vec::new();
    for (rank, (id, taken_at)) in rows.iter().enumerate() {
        let by_count = retention.keep.is_some_and(|k| rank < k);
        let by_age = retention.keep_days.is_some_and(|d| {
            DateTime::parse_from_rfc3339(taken_at)
                // An unreadable time is kept: retention never deletes what it cannot judge.
                .map_or(true, |t| {
                    now.signed_duration_since(t).num_seconds() <= i64::from(d) * 86_400
                })
        });
        if rank > 0 && !by_count && !by_age {
            doomed.push(*id);
        }
    }
    doomed.sort();
    doomed
}

/// [`doomed`] over every scope, given `(id, taken_at, scope)` newest first.
fn doomed_by_scope(
    rows: Vec<(i64, String, String)>,
    retention: &Retention,
    now: DateTime<Utc>,
) -> Vec<i64> {
    let mut scopes: std::collections::BTreeMap<String, Vec<(i64, String)>> = Default::default();
    for (id, taken_at, scope) in rows {
        scopes.entry(scope).or_default().push((id, taken_at));
    }
    let mut all: Vec<i64> = scopes
        .values()
        .flat_map(|rows| doomed(rows, retention, now))
        .collect();
    all.sort();
    all
}

/// The store path to use: the flag, else `store.path` in `plumb.yaml`, else the default.
pub fn resolve_path(flag: Option<&Path>, configured: Option<&Path>) -> PathBuf {
    flag.or(configured)
        .map_or_else(|| PathBuf::from(DEFAULT_PATH), Path::to_path_buf)
}

#[cfg(test)]
use rusqlite::Connection;

#[cfg(test)]
mod tests;
