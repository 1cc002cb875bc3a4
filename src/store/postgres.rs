//! The PostgreSQL backend: one database shared by many jobs on many machines.
//!
//! The URL is libpq's (`postgres://user@host:5432/db?sslmode=verify-full&sslrootcert=ca.pem`);
//! the password comes from the URL, else `PGPASSWORD`, else the password file (`PGPASSFILE`,
//! default `~/.pgpass`), and is never printed: every message names the store by its URL with
//! the password replaced.
//!
//! Concurrency: a snapshot is one transaction. Writers of one scope take a transaction-level
//! advisory lock on it, so they queue as SQLite's writers do and retention sees every earlier
//! snapshot; writers of different scopes do not wait for each other. A writer that dies
//! mid-write leaves nothing: the server rolls its transaction back when the connection drops.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;
use postgres::config::{Host, SslMode};
use postgres::tls::{ChannelBinding, MakeTlsConnect, TlsConnect, TlsStream};
use postgres::{Client, Socket};
use tokio_rustls::rustls;
use tokio_rustls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::{
    Blob, Column, Engine, Filter, INFO_COLUMNS, InfoRow, Retention, Row, StoreError, doomed,
    doomed_by_scope, schema,
};

/// How long to wait for the server to answer a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a writer waits for a lock (another writer of its scope, a migration).
const LOCK_TIMEOUT: Duration = Duration::from_secs(60);

/// Advisory lock classes (the first key of `pg_advisory_xact_lock(int, int)`): one for the
/// schema's migrations, one for the writers of each scope.
const LOCK_MIGRATE: i32 = schema::APPLICATION_ID;
const LOCK_SCOPE: i32 = schema::APPLICATION_ID + 1;

/// `sslmode`, as libpq spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsMode {
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    Prefer,
    /// TLS always; the certificate is checked only when a CA file is given (as libpq does).
    Require,
    /// TLS, the certificate signed by the CA file; any host name.
    VerifyCa,
    /// TLS, the certificate signed by the CA file and naming the host.
    VerifyFull,
}

impl TlsMode {
    fn parse(s: &str) -> Result<TlsMode, String> {
        Ok(match s {
            "disable" => TlsMode::Disable,
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            _ => {
                return Err(format!(
                    "sslmode={s:?}: expected disable, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }
}

/// A parsed store URL: how to connect, and how to name it in messages.
pub(crate) struct Target {
    pub(crate) config: postgres::Config,
    pub(crate) tls: TlsMode,
    pub(crate) ca: Option<PathBuf>,
    /// The URL with the password replaced by `***`.
    pub(crate) shown: String,
}

/// `url` with the password (in the user part or a `password=` parameter) replaced.
pub(crate) fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let authority = match authority.rsplit_once('@') {
                Some((userinfo, host)) => match userinfo.split_once(':') {
                    Some((user, _)) => format!("{user}:***@{host}"),
                    None => authority.to_string(),
                },
                None => authority.to_string(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => base.to_string(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some(("password", _)) => "password=***".to_string(),
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

/// Reads a store URL and the environment: user, password and TLS settings.
pub(crate) fn target(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, String> {
    let shown = redact(url);
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut tls = None;
    let mut ca = None;
    let mut rest = Vec::new();
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
        match key {
            "sslmode" => tls = Some(TlsMode::parse(&value)?),
            "sslrootcert" => ca = Some(PathBuf::from(value)),
            "sslcert" | "sslkey" => {
                return Err(format!(
                    "{key}: client certificates are not supported; authenticate with a password"
                ));
            }
            _ => rest.push(param),
        }
    }
    let plain = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let mut config: postgres::Config = plain
        .parse()
        .map_err(|e: postgres::Error| format!("not a PostgreSQL URL: {e}"))?;
    let tls = match tls {
        Some(t) => t,
        None => match env("PGSSLMODE") {
            Some(s) => TlsMode::parse(&s)?,
            None => TlsMode::Prefer,
        },
    };
    let ca = ca
        .or_else(|| env("PGSSLROOTCERT").map(PathBuf::from))
        .or_else(|| {
            // libpq's default CA file, when it exists.
            env("HOME")
                .map(|h| Path::new(&h).join(".postgresql/root.crt"))
                .filter(|p| p.is_file())
        });
    if config.get_hosts().is_empty() {
        config.host(env("PGHOST").as_deref().unwrap_or("localhost"));
    }
    if config.get_ports().is_empty()
        && let Some(port) = env("PGPORT")
    {
        config.port(
            port.parse()
                .map_err(|_| format!("PGPORT={port:?} is not a port"))?,
        );
    }
    if config.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .ok_or("no user: put one in the URL (postgres://USER@host/db) or set PGUSER")?;
        config.user(&user);
    }
    if config.get_dbname().is_none()
        && let Some(db) = env("PGDATABASE")
    {
        config.dbname(&db);
    }
    if config.get_password().is_none() {
        let password = env("PGPASSWORD").or_else(|| {
            let file = env("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pgpass")))?;
            pgpass(&file, &config)
        });
        if let Some(p) = password {
            config.password(p);
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    config.application_name("plumb");
    config.ssl_mode(match tls {
        TlsMode::Disable => SslMode::Disable,
        TlsMode::Prefer => SslMode::Prefer,
        _ => SslMode::Require,
    });
    if matches!(tls, TlsMode::VerifyCa | TlsMode::VerifyFull) && ca.is_none() {
        return Err(format!(
            "sslmode={}: give the server's CA certificate with sslrootcert=FILE (or PGSSLROOTCERT, or ~/.postgresql/root.crt)",
            if tls == TlsMode::VerifyCa {
                "verify-ca"
            } else {
                "verify-full"
            }
        ));
    }
    Ok(Target {
        config,
        tls,
        ca,
        shown,
    })
}

/// The password for `config`'s first host, port, database and user in a password file
/// (`host:port:database:user:password`, `*` matching anything, `\` escaping `:` and `\`).
/// A file others can read is ignored, as libpq does.
fn pgpass(file: &Path, config: &postgres::Config) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return None;
        }
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        // A socket directory matches `localhost`, as in libpq.
        _ => "localhost".to_string(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    let wanted = [host.as_str(), port.as_str(), db, user];
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = pgpass_fields(line);
            let [h, p, d, u, password] = fields.as_slice() else {
                return None;
            };
            let matches = [h, p, d, u]
                .iter()
                .zip(wanted)
                .all(|(field, want)| field.as_str() == "*" || field.as_str() == want);
            matches.then(|| password.clone())
        })
}

fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(field) = fields.last_mut()
                {
                    field.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(field) = fields.last_mut() {
                    field.push(c);
                }
            }
        }
    }
    fields
}

/// The TLS client: rustls with ring, checking the server as `sslmode` says.
#[derive(Clone)]
struct Tls {
    config: Arc<rustls::ClientConfig>,
}

impl Tls {
    fn new(mode: TlsMode, ca: Option<&Path>) -> Result<Tls, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = match (mode, ca) {
            (TlsMode::Prefer | TlsMode::Require, None) | (TlsMode::Prefer, Some(_)) => {
                Arc::new(Unchecked { provider })
            }
            (_, Some(ca)) => {
                let mut roots = rustls::RootCertStore::empty();
                let certs = CertificateDer::pem_file_iter(ca).map_err(|e| {
                    format!("{}: cannot read the CA certificate: {e}", ca.display())
                })?;
                for cert in certs {
                    let cert = cert.map_err(|e| {
                        format!("{}: cannot read the CA certificate: {e}", ca.display())
                    })?;
                    roots.add(cert).map_err(|e| {
                        format!("{}: not a usable CA certificate: {e}", ca.display())
                    })?;
                }
                if roots.is_empty() {
                    return Err(format!("{}: no certificate in this file", ca.display()));
                }
                let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| format!("TLS: {e}"))?;
                if mode == TlsMode::VerifyFull {
                    webpki
                } else {
                    Arc::new(AnyName(webpki))
                }
            }
            (_, None) => {
                return Err("sslmode=verify-ca and verify-full need a CA certificate".into());
            }
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Tls {
            config: Arc::new(config),
        })
    }
}

/// `sslmode=require` without a CA: encrypted, but any certificate is accepted (the handshake
/// signatures are still checked).
#[derive(Debug)]
struct Unchecked {
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `verify-ca`: the chain is checked, the host name is not.
#[derive(Debug)]
struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

impl MakeTlsConnect<Socket> for Tls {
    type Stream = TlsSocket;
    type TlsConnect = TlsConnector;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<TlsConnector, Self::Error> {
        Ok(TlsConnector {
            config: self.config.clone(),
            name: ServerName::try_from(domain.to_string())?,
        })
    }
}

struct TlsConnector {
    config: Arc<rustls::ClientConfig>,
    name: ServerName<'static>,
}

impl TlsConnect<Socket> for TlsConnector {
    type Stream = TlsSocket;
    type Error = std::io::Error;
    type Future =
        Pin<Box<dyn std::future::Future<Output = Result<TlsSocket, std::io::Error>> + Send>>;

    fn connect(self, socket: Socket) -> Self::Future {
        let connector = tokio_rustls::TlsConnector::from(self.config);
        Box::pin(async move {
            let stream = connector.connect(self.name, socket).await?;
            Ok(TlsSocket(Box::new(stream)))
        })
    }
}

/// An encrypted connection to the server.
struct TlsSocket(Box<tokio_rustls::client::TlsStream<Socket>>);

impl tokio::io::AsyncRead for TlsSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for TlsSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut *self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut *self.0).poll_shutdown(cx)
    }
}

impl TlsStream for TlsSocket {
    fn channel_binding(&self) -> ChannelBinding {
        // SCRAM without channel binding: the server's certificate is what `sslmode` checks.
        ChannelBinding::none()
    }
}

/// A connection to a plumb store on a PostgreSQL server.
pub(super) struct Pg {
    client: RefCell<Client>,
    path: String,
}

/// The message of a client error with its causes (the error alone says only "db error").
fn message(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A 32-bit key for a scope's advisory lock.
fn scope_key(scope: &str) -> i32 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(scope.as_bytes());
    i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn info_row(r: &postgres::Row) -> Result<InfoRow, postgres::Error> {
    Ok(InfoRow {
        id: r.try_get(0)?,
        taken_at: r.try_get(1)?,
        collected_at: r.try_get(2)?,
        command: r.try_get(3)?,
        tool_version: r.try_get(4)?,
        policy_pack: r.try_get(5)?,
        policy_hash: r.try_get(6)?,
        inventory_hash: r.try_get(7)?,
        scope: r.try_get(8)?,
        sources: r.try_get(9)?,
        resources: r.try_get(10)?,
        errors: r.try_get(11)?,
        summary: r.try_get(12)?,
        inventory_bytes: r.try_get(13)?,
        stored_bytes: r.try_get(14)?,
    })
}

impl Pg {
    /// Connects and checks (with `create`, creates or migrates) the schema. Returns the
    /// connection and the URL to show.
    pub(super) fn open(url: &str, create: bool) -> Result<(Pg, String), StoreError> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let target = target(url, &env).map_err(|message| StoreError::Invalid {
            path: redact(url),
            message,
        })?;
        let shown = target.shown.clone();
        let failed = |e: postgres::Error| StoreError::Postgres {
            path: shown.clone(),
            message: format!("cannot connect: {}", message(&e)),
        };
        let client = match target.tls {
            TlsMode::Disable => target.config.connect(postgres::NoTls).map_err(failed)?,
            mode => {
                let tls = Tls::new(mode, target.ca.as_deref()).map_err(|message| {
                    StoreError::Invalid {
                        path: shown.clone(),
                        message,
                    }
                })?;
                target.config.connect(tls).map_err(failed)?
            }
        };
        let pg = Pg {
            client: RefCell::new(client),
            path: shown.clone(),
        };
        // As SQLite's busy timeout: a writer waits a minute for another of its scope, then
        // gives up with a message rather than hanging the job.
        pg.client
            .borrow_mut()
            .batch_execute(&format!("SET lock_timeout = '{}s'", LOCK_TIMEOUT.as_secs()))
            .map_err(pg.pg())?;
        pg.prepare(create)?;
        Ok((pg, shown))
    }

    fn pg(&self) -> impl Fn(postgres::Error) -> StoreError + '_ {
        |e| StoreError::Postgres {
            path: self.path.clone(),
            message: message(&e),
        }
    }

    fn invalid(&self, message: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// The schema version, `None` when the database holds no plumb store.
    fn version(client: &mut impl postgres::GenericClient) -> Result<Option<i32>, postgres::Error> {
        let exists: bool = client
            .query_one("SELECT to_regclass('plumb_schema') IS NOT NULL", &[])?
            .try_get(0)?;
        if !exists {
            return Ok(None);
        }
        let row = client.query_one("SELECT coalesce(max(version), 0) FROM plumb_schema", &[])?;
        Ok(Some(row.try_get(0)?))
    }

    /// Checks the database holds a store this build reads, creating or migrating it (under
    /// a lock: fifty jobs starting at once migrate it once).
    fn prepare(&self, create: bool) -> Result<(), StoreError> {
        let mut client = self.client.borrow_mut();
        let version = Self::version(&mut *client).map_err(self.pg())?;
        match version {
            Some(v) if v > schema::VERSION => return Err(self.invalid(schema::too_new(v))),
            Some(v) if v == schema::VERSION => return Ok(()),
            None if !create => {
                return Err(self.invalid(
                    "no store here: the database has no plumb tables (`plumb scan --store` creates them)",
                ));
            }
            _ => {}
        }
        let mut tx = client.transaction().map_err(self.pg())?;
        tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&LOCK_MIGRATE])
            .map_err(self.pg())?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS plumb_schema (version INTEGER NOT NULL)")
            .map_err(self.pg())?;
        let current = Self::version(&mut tx).map_err(self.pg())?.unwrap_or(0);
        if current > schema::VERSION {
            return Err(self.invalid(schema::too_new(current)));
        }
        for (version, statements) in schema::POSTGRES {
            if *version > current {
                tx.batch_execute(statements).map_err(self.pg())?;
            }
        }
        tx.execute("DELETE FROM plumb_schema", &[])
            .map_err(self.pg())?;
        tx.execute(
            "INSERT INTO plumb_schema (version) VALUES ($1)",
            &[&schema::VERSION],
        )
        .map_err(self.pg())?;
        tx.commit().map_err(self.pg())
    }
}

impl Engine for Pg {
    fn insert(
        &mut self,
        row: &Row<'_>,
        retention: &Retention,
        now: DateTime<Utc>,
    ) -> Result<(i64, Vec<i64>), StoreError> {
        let pg = |e: postgres::Error| StoreError::Postgres {
            path: self.path.clone(),
            message: message(&e),
        };
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(pg)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[&LOCK_SCOPE, &scope_key(&row.scope)],
        )
        .map_err(pg)?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO plumb_snapshots (taken_at, collected_at, command, tool_version,
                     policy_pack, policy_hash, inventory_hash, scope, sources, resources, errors,
                     summary, inventory_bytes, inventory, report, failures)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 RETURNING id",
                &[
                    &row.taken_at,
                    &row.collected_at,
                    &row.command,
                    &row.tool_version,
                    &row.policy_pack,
                    &row.policy_hash,
                    &row.inventory_hash,
                    &row.scope,
                    &row.sources,
                    &row.resources,
                    &row.errors,
                    &row.summary,
                    &row.inventory_bytes,
                    &row.inventory,
                    &row.report,
                    &row.failures,
                ],
            )
            .and_then(|r| r.try_get(0))
            .map_err(pg)?;
        let pruned = if retention.is_unlimited() {
            Vec::new()
        } else {
            let rows = tx
                .query(
                    "SELECT id, taken_at FROM plumb_snapshots WHERE scope = $1 ORDER BY id DESC",
                    &[&row.scope],
                )
                .map_err(pg)?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, postgres::Error>>()
                .map_err(pg)?;
            let pruned = doomed(&rows, retention, now);
            tx.execute("DELETE FROM plumb_snapshots WHERE id = ANY($1)", &[&pruned])
                .map_err(pg)?;
            pruned
        };
        tx.commit().map_err(pg)?;
        Ok((id, pruned))
    }

    fn prune(&mut self, retention: &Retention, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let pg = |e: postgres::Error| StoreError::Postgres {
            path: self.path.clone(),
            message: message(&e),
        };
        let mut client = self.client.borrow_mut();
        let mut tx = client.transaction().map_err(pg)?;
        let rows = tx
            .query(
                "SELECT id, taken_at, scope FROM plumb_snapshots ORDER BY id DESC",
                &[],
            )
            .map_err(pg)?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<Vec<_>, postgres::Error>>()
            .map_err(pg)?;
        let pruned = doomed_by_scope(rows, retention, now);
        tx.execute("DELETE FROM plumb_snapshots WHERE id = ANY($1)", &[&pruned])
            .map_err(pg)?;
        tx.commit().map_err(pg)?;
        Ok(pruned)
    }

    fn infos(&self, filter: Filter<'_>) -> Result<Vec<InfoRow>, StoreError> {
        let select = format!(
            "SELECT {INFO_COLUMNS},
                 (octet_length(inventory) + coalesce(octet_length(report), 0))::bigint
             FROM plumb_snapshots"
        );
        let mut client = self.client.borrow_mut();
        let rows = match filter {
            Filter::All => client.query(&format!("{select} ORDER BY id"), &[]),
            Filter::Id(id) => client.query(&format!("{select} WHERE id = $1"), &[&id]),
            Filter::Scope(s) => {
                client.query(&format!("{select} WHERE scope = $1 ORDER BY id"), &[&s])
            }
        }
        .map_err(self.pg())?;
        rows.iter()
            .map(info_row)
            .collect::<Result<Vec<_>, postgres::Error>>()
            .map_err(self.pg())
    }

    fn nth_back(&self, n: usize, scope: Option<&str>) -> Result<Option<i64>, StoreError> {
        let mut client = self.client.borrow_mut();
        let offset = n as i64;
        let row = match scope {
            Some(s) => client.query_opt(
                "SELECT id FROM plumb_snapshots WHERE scope = $1 ORDER BY id DESC LIMIT 1 OFFSET $2",
                &[&s, &offset],
            ),
            None => client.query_opt(
                "SELECT id FROM plumb_snapshots ORDER BY id DESC LIMIT 1 OFFSET $1",
                &[&offset],
            ),
        }
        .map_err(self.pg())?;
        row.map(|r| r.try_get(0)).transpose().map_err(self.pg())
    }

    fn count(&self, scope: Option<&str>) -> Result<i64, StoreError> {
        let mut client = self.client.borrow_mut();
        match scope {
            Some(s) => client.query_one(
                "SELECT count(*) FROM plumb_snapshots WHERE scope = $1",
                &[&s],
            ),
            None => client.query_one("SELECT count(*) FROM plumb_snapshots", &[]),
        }
        .and_then(|r| r.try_get(0))
        .map_err(self.pg())
    }

    fn blob(&self, id: i64, column: Column) -> Result<Option<Blob>, StoreError> {
        let mut client = self.client.borrow_mut();
        let row = client
            .query_opt(
                &format!(
                    "SELECT {}, inventory_bytes FROM plumb_snapshots WHERE id = $1",
                    column.name()
                ),
                &[&id],
            )
            .map_err(self.pg())?;
        row.map(|r| {
            Ok((
                r.try_get::<_, Option<Vec<u8>>>(0)?,
                r.try_get::<_, i64>(1)? as u64,
            ))
        })
        .transpose()
        .map_err(self.pg())
    }

    fn integrity(&self) -> Result<Vec<String>, StoreError> {
        let mut client = self.client.borrow_mut();
        let versions: i64 = client
            .query_one("SELECT count(*) FROM plumb_schema", &[])
            .and_then(|r| r.try_get(0))
            .map_err(self.pg())?;
        Ok(if versions == 1 {
            Vec::new()
        } else {
            vec![format!(
                "plumb_schema holds {versions} versions; expected one"
            )]
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn passwords_are_redacted_wherever_they_are() {
        for (url, shown) in [
            (
                "postgres://plumb:s3cret@db.internal:5432/plumb",
                "postgres://plumb:***@db.internal:5432/plumb",
            ),
            (
                "postgresql://plumb@db/plumb?sslmode=require",
                "postgresql://plumb@db/plumb?sslmode=require",
            ),
            (
                "postgres://db/plumb?user=u&password=s3cret&sslmode=disable",
                "postgres://db/plumb?user=u&password=***&sslmode=disable",
            ),
            ("postgres://u:p@a:b@host", "postgres://u:***@host"),
        ] {
            assert_eq!(redact(url), shown, "{url}");
            assert!(!redact(url).contains("s3cret"));
        }
    }

    #[test]
    fn credentials_come_from_the_url_then_the_environment_then_pgpass() {
        let dir = tempfile::tempdir().unwrap();
        let pgpass = dir.path().join("pgpass");
        std::fs::write(
            &pgpass,
            "# comment\nother:5432:*:plumb:wrong\ndb.internal:5432:plumb:plumb:from\\:file\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let file = pgpass.to_str().unwrap();
        let password = |url: &str, vars: &[(&str, &str)]| {
            let t = target(url, &env(vars)).unwrap();
            t.config
                .get_password()
                .map(|p| String::from_utf8(p.to_vec()).unwrap())
        };
        let url = "postgres://plumb@db.internal/plumb";
        assert_eq!(
            password(
                "postgres://plumb:inurl@db.internal/plumb",
                &[("PGPASSWORD", "env")]
            ),
            Some("inurl".into())
        );
        assert_eq!(
            password(url, &[("PGPASSWORD", "env"), ("PGPASSFILE", file)]),
            Some("env".into())
        );
        assert_eq!(
            password(url, &[("PGPASSFILE", file)]),
            Some("from:file".into())
        );
        assert_eq!(
            password(
                "postgres://plumb@db.internal/other",
                &[("PGPASSFILE", file)]
            ),
            None
        );
        // A password file others can read is ignored, as libpq ignores it.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(password(url, &[("PGPASSFILE", file)]), None);
        }
    }

    #[test]
    fn tls_settings_follow_libpq() {
        let dir = tempfile::tempdir().unwrap();
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "").unwrap();
        let ca_param = format!("sslrootcert={}", ca.display());
        let cases: &[(&str, Result<TlsMode, &str>)] = &[
            ("", Ok(TlsMode::Prefer)),
            ("?sslmode=disable", Ok(TlsMode::Disable)),
            ("?sslmode=require", Ok(TlsMode::Require)),
            (
                "?sslmode=verify-full",
                Err("give the server's CA certificate"),
            ),
            ("?sslmode=bogus", Err("expected disable, prefer")),
            (
                "?sslcert=c.pem",
                Err("client certificates are not supported"),
            ),
        ];
        for (query, want) in cases {
            let url = format!("postgres://u@h/db{query}");
            match (target(&url, &env(&[])), want) {
                (Ok(t), Ok(mode)) => assert_eq!(t.tls, *mode, "{url}"),
                (Err(e), Err(text)) => assert!(e.contains(text), "{url}: {e}"),
                (Ok(t), Err(_)) => panic!("{url}: accepted as {:?}", t.tls),
                (Err(e), Ok(_)) => panic!("{url}: {e}"),
            }
        }
        let t = target(
            &format!("postgres://u@h/db?sslmode=verify-full&{ca_param}"),
            &env(&[]),
        )
        .unwrap();
        assert_eq!(
            (t.tls, t.ca.as_deref()),
            (TlsMode::VerifyFull, Some(ca.as_path()))
        );
        let t = target("postgres://u@h/db", &env(&[("PGSSLMODE", "require")])).unwrap();
        assert_eq!(t.tls, TlsMode::Require);
        // An empty CA file is refused before connecting.
        let err = Tls::new(TlsMode::VerifyFull, Some(&ca)).err().unwrap();
        assert!(err.contains("no certificate"), "{err}");
    }

    #[test]
    fn a_malformed_url_is_refused_without_echoing_its_password() {
        for url in [
            "postgres://u:s3cret@h:notaport/db",
            "postgres://u:s3cret@h/db?connect_timeout=soon",
        ] {
            let err = target(url, &env(&[])).err().unwrap();
            assert!(err.contains("not a PostgreSQL URL"), "{url}: {err}");
            assert!(!err.contains("s3cret"), "{err}");
        }
        let err = Store::open(Path::new("postgres://u:s3cret@h:notaport/db"))
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("postgres://u:***@h:notaport/db: "), "{err}");
    }

    #[test]
    fn the_user_defaults_to_pguser_and_a_missing_one_is_explained() {
        let t = target("postgres://h/db", &env(&[("PGUSER", "job")])).unwrap();
        assert_eq!(t.config.get_user(), Some("job"));
        let err = target("postgres://h/db", &env(&[])).err().unwrap();
        assert!(err.contains("no user"), "{err}");
    }
}
