//! The PostgreSQL store against a real server (started by the tests on 127.0.0.1): the same
//! behaviour as the SQLite store, checked on both; concurrent writers; writers killed
//! mid-write; TLS; credentials never printed.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::pg_server::{PASSWORD, Server};
use common::*;
use plumb::inventory::{CollectorRun, Inventory, Metadata, Resource, Source};
use plumb::store::{NewSnapshot, Retention, Selector, Store};
use serde_json::json;

/// An inventory of `buckets` in one account's scope.
fn inventory(scope: &str, buckets: &[&str]) -> Inventory {
    let resources = buckets
        .iter()
        .map(|b| {
            let mut r = Resource::new(
                format!("aws:{scope}:aws_s3_bucket:{b}"),
                "aws_s3_bucket",
                Source::Aws {
                    account: scope.into(),
                    region: "eu-west-1".into(),
                },
            );
            r.attrs = json!({"bucket": b});
            r
        })
        .collect();
    let metadata = Metadata {
        collected_at: "2026-11-27T01:00:00Z".into(),
        collectors: vec![CollectorRun {
            collector: "aws".into(),
            scope: format!("{scope}/eu-west-1"),
            resources: buckets.len(),
            kinds: [("aws_s3_bucket".to_string(), true)].into(),
        }],
        ..Metadata::default()
    };
    Inventory::new(metadata, resources)
}

fn put(store: &mut Store, inv: &Inventory, retention: Retention) -> i64 {
    store
        .put(
            &NewSnapshot {
                command: "collect",
                inventory: inv,
                report: None,
                policies: None,
            },
            &retention,
        )
        .unwrap()
        .id
}

/// One backend under test: where its store is, and how to mark it as written by a newer
/// plumb (each backend keeps its schema version its own way).
struct Backend {
    name: &'static str,
    location: PathBuf,
    set_schema_version: Box<dyn Fn(i32)>,
    /// A location holding no store.
    missing: PathBuf,
}

/// The behaviour checks every backend passes.
fn behaves_as_a_store(b: &Backend) {
    let name = b.name;
    let err = Store::open_existing(&b.missing).err().unwrap().to_string();
    assert!(err.contains("no store here"), "{name}: {err}");

    let mut store = Store::open(&b.location).unwrap();
    assert!(store.list().unwrap().is_empty(), "{name}");
    let (a1, a2) = (
        inventory("111", &["logs", "data"]),
        inventory("111", &["logs"]),
    );
    let b1 = inventory("222", &["x"]);
    assert_eq!(put(&mut store, &a1, Retention::default()), 1, "{name}");
    assert_eq!(put(&mut store, &b1, Retention::default()), 2, "{name}");
    assert_eq!(put(&mut store, &a2, Retention::default()), 3, "{name}");
    assert_eq!(store.inventory(1).unwrap(), a1, "{name}");
    assert_eq!(store.inventory(3).unwrap(), a2, "{name}");
    let list = store.list().unwrap();
    assert_eq!(
        list.iter()
            .map(|s| (s.id, s.scope.as_str()))
            .collect::<Vec<_>>(),
        [
            (1, "aws:111/eu-west-1"),
            (2, "aws:222/eu-west-1"),
            (3, "aws:111/eu-west-1")
        ],
        "{name}"
    );
    assert!(list.iter().all(|s| s.stored_bytes > 0), "{name}");
    assert_eq!(list[0].inventory_hash, a1.content_hash(), "{name}");

    // Selectors count back in the whole store, or in one scope.
    assert_eq!(store.resolve(Selector::Back(0)).unwrap(), 3, "{name}");
    assert_eq!(store.resolve(Selector::Back(1)).unwrap(), 2, "{name}");
    let a = Some("aws:111/eu-west-1");
    assert_eq!(store.resolve_in(Selector::Back(1), a).unwrap(), 1, "{name}");
    let err = store
        .resolve_in(Selector::Back(2), a)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("holds 2 snapshots"), "{name}: {err}");
    let err = store.resolve(Selector::Id(99)).err().unwrap().to_string();
    assert!(err.contains("no snapshot 99"), "{name}: {err}");

    let scopes = store.scopes().unwrap();
    assert_eq!(scopes.len(), 2, "{name}");
    assert_eq!(
        (
            scopes[0].snapshots,
            scopes[0].latest.id,
            scopes[0].previous.as_ref().map(|p| p.id)
        ),
        (2, 3, Some(1)),
        "{name}"
    );

    // Retention works per scope: keeping one snapshot of 111 leaves 222's alone.
    let keep_one = Retention {
        keep: Some(1),
        keep_days: None,
    };
    let stored = store
        .put(
            &NewSnapshot {
                command: "collect",
                inventory: &a2,
                report: None,
                policies: None,
            },
            &keep_one,
        )
        .unwrap();
    assert_eq!((stored.id, stored.pruned), (4, vec![1, 3]), "{name}");
    assert_eq!(store.prune(&keep_one).unwrap(), Vec::<i64>::new(), "{name}");
    let ids: Vec<i64> = store.list().unwrap().iter().map(|s| s.id).collect();
    assert_eq!(ids, [2, 4], "{name}");
    // Ids are never reused, and a named scope is kept as given.
    let id = store
        .put_in_scope(
            &NewSnapshot {
                command: "collect",
                inventory: &b1,
                report: None,
                policies: None,
            },
            Some("prod"),
            &Retention::default(),
        )
        .unwrap()
        .id;
    assert_eq!(id, 5, "{name}");
    assert_eq!(store.info(5).unwrap().scope, "prod", "{name}");
    assert!(store.verify().unwrap().is_empty(), "{name}");
    drop(store);

    // A store written by a newer plumb is refused, with the versions named.
    (b.set_schema_version)(99);
    let err = Store::open(&b.location).err().unwrap().to_string();
    assert!(
        err.contains("newer plumb (store schema 99; this build reads up to 2)"),
        "{name}: {err}"
    );
}

#[test]
fn both_backends_behave_the_same() {
    let Some(server) = Server::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plumb.db");
    let url = server.database("same");
    let (f, port) = (file.clone(), server.port);
    let backends = [
        Backend {
            name: "sqlite",
            location: file,
            set_schema_version: Box::new(move |v| {
                rusqlite::Connection::open(&f)
                    .unwrap()
                    .pragma_update(None, "user_version", v)
                    .unwrap();
            }),
            missing: dir.path().join("missing.db"),
        },
        Backend {
            name: "postgres",
            location: PathBuf::from(&url),
            set_schema_version: Box::new(move |v| {
                postgres::Config::new()
                    .host("127.0.0.1")
                    .port(port)
                    .user(common::pg_server::USER)
                    .password(PASSWORD)
                    .dbname("same")
                    .connect(postgres::NoTls)
                    .unwrap()
                    .execute("UPDATE plumb_schema SET version = $1", &[&v])
                    .unwrap();
            }),
            missing: PathBuf::from(server.database("empty")),
        },
    ];
    for backend in &backends {
        behaves_as_a_store(backend);
    }
}

/// A Terraform plan of `n` resources, some of them failing policies.
fn plan(dir: &Path, name: &str, n: usize) -> PathBuf {
    let changes: Vec<_> = (0..n)
        .map(|i| {
            let (kind, after) = if i % 2 == 0 {
                (
                    "aws_s3_bucket",
                    json!({"bucket": format!("{name}-{i}"), "tags": {"Owner": "team"}}),
                )
            } else {
                (
                    "aws_ebs_volume",
                    json!({"size": 10, "type": "gp3", "encrypted": i % 3 != 0, "tags": {"Owner": "team"}}),
                )
            };
            json!({"address": format!("{kind}.r{i}"), "mode": "managed", "type": kind, "name": format!("r{i}"),
                   "change": {"actions": ["create"], "before": null, "after": after, "after_unknown": {}}})
        })
        .collect();
    let plan = json!({"format_version": "1.2", "terraform_version": "1.9.8",
                      "resource_changes": changes, "configuration": {"root_module": {}}});
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec(&plan).unwrap()).unwrap();
    path
}

fn writer(plan: &Path, url: &str, scope: &str, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["scan", plan.to_str().unwrap(), "--fail-on", "never"])
        .arg(format!("--store={url}"))
        .args(["--scope", scope])
        .args(extra)
        .args(["--format", "json=/dev/null"])
        .env_remove("PGPASSWORD")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("plumb starts")
}

#[test]
fn fifty_jobs_and_same_scope_writers_at_once_lose_nothing() {
    let Some(server) = Server::start() else {
        return;
    };
    let url = server.database("fleet");
    let dir = tempfile::tempdir().unwrap();
    // 50 accounts, and 10 more writers of account 0: 60 writers racing on an empty database
    // (which they also migrate at once).
    let plans: Vec<PathBuf> = (0..50)
        .map(|i| plan(dir.path(), &format!("acct{i}"), 20 + i))
        .collect();
    let mut jobs: Vec<(String, Child)> = (0..50)
        .map(|i| {
            let scope = format!("acct{i}");
            let child = writer(&plans[i], &url, &scope, &[]);
            (scope, child)
        })
        .collect();
    for _ in 0..10 {
        jobs.push(("acct0".into(), writer(&plans[0], &url, "acct0", &[])));
    }
    for (scope, child) in jobs {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{scope}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains(PASSWORD), "the password was printed: {err}");
        assert!(err.contains("plumb:***@127.0.0.1"), "{err}");
    }
    let store = Store::open_existing(Path::new(&url)).unwrap();
    assert!(store.verify().unwrap().is_empty());
    let list = store.list().unwrap();
    assert_eq!(list.len(), 60, "every writer's snapshot is there");
    let ids: std::collections::BTreeSet<i64> = list.iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), 60, "ids are unique");
    for s in &list {
        let n: usize = s.scope["acct".len()..].parse().unwrap();
        // Never interleaved: each snapshot holds exactly its own plan's resources.
        assert_eq!(s.resources, 20 + n, "{}", s.scope);
        assert_eq!(s.sources[0].scope, plans[n].display().to_string());
    }
    assert_eq!(
        list.iter().filter(|s| s.scope == "acct0").count(),
        11,
        "same-scope writers all stored"
    );
    assert_eq!(store.scopes().unwrap().len(), 50);
}

/// Writers of this test's store that are connected right now.
fn writers(probe: &mut postgres::Client) -> i64 {
    probe
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'plumb'",
            &[],
        )
        .unwrap()
        .get(0)
}

#[test]
fn a_writer_killed_mid_write_leaves_no_partial_snapshot() {
    let Some(server) = Server::start() else {
        return;
    };
    let url = server.database("killed");
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path(), "big", 3_000);
    let first = writer(&plan, &url, "big", &[]).wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let mut probe = server.client("killed");
    let ids = |probe: &mut postgres::Client| -> Vec<i64> {
        probe
            .query("SELECT id FROM plumb_snapshots ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    };
    assert_eq!(ids(&mut probe), [1]);

    // Caught inside its transaction, its snapshot inserted: the test holds a lock on the old
    // snapshot, which the writer's retention (--keep 1) must delete before it can commit.
    let mut blocker = server.client("killed");
    let mut hold = blocker.transaction().unwrap();
    hold.query(
        "SELECT id FROM plumb_snapshots WHERE id = 1 FOR UPDATE",
        &[],
    )
    .unwrap();
    let mut child = writer(&plan, &url, "big", &["--keep", "1"]);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let waiting: i64 = probe
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'plumb'
                   AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL",
                &[],
            )
            .unwrap()
            .get(0);
        if waiting == 1 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the writer finished past the lock"
        );
        assert!(
            Instant::now() < deadline,
            "the writer never reached its delete"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: the writer cannot commit, roll back or say goodbye
    child.wait().unwrap();
    hold.commit().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while writers(&mut probe) > 0 {
        assert!(
            Instant::now() < deadline,
            "the killed writer's session lingers"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        ids(&mut probe),
        [1],
        "nothing of the killed writer's snapshot remains"
    );

    // Killed at times spread over whole runs (reading, evaluating, compressing, writing):
    // all or nothing each time.
    for run in 1..=6u64 {
        let before = ids(&mut probe);
        let mut child = writer(&plan, &url, "big", &[]);
        std::thread::sleep(Duration::from_millis(150 * run));
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            child.kill().unwrap();
        }
        child.wait().unwrap();
        while writers(&mut probe) > 0 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let after = ids(&mut probe);
        assert!(
            after == before
                || (after.len() == before.len() + 1 && after[..before.len()] == before[..]),
            "run {run}: before {before:?}, after {after:?}"
        );
    }
    let store = Store::open_existing(Path::new(&url)).unwrap();
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn history_and_drift_work_on_a_server_and_never_print_the_password() {
    let Some(server) = Server::start() else {
        return;
    };
    let url = server.database("cli");
    let dir = tempfile::tempdir().unwrap();
    let a = plan(dir.path(), "a", 10);
    let b = plan(dir.path(), "b", 12);
    for (plan, scope) in [(&a, "team-a"), (&b, "team-b"), (&a, "team-a")] {
        let out = writer(plan, &url, scope, &[]).wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let all = |out: &std::process::Output| format!("{}{}", stdout(out), stderr(out));
    let out = plumb(&["history", "--store", &url]);
    assert_eq!(code(&out), 0, "{}", all(&out));
    assert!(stdout(&out).contains("3 snapshots"), "{}", all(&out));
    assert!(!all(&out).contains(PASSWORD));

    let out = plumb(&["history", "--store", &url, "verify"]);
    assert_eq!(code(&out), 0, "{}", all(&out));
    assert!(
        stdout(&out).contains("plumb:***@127.0.0.1") && stdout(&out).contains("all intact"),
        "{}",
        all(&out)
    );
    assert!(!all(&out).contains(PASSWORD));

    let out = plumb(&["history", "--store", &url, "show", "latest"]);
    assert_eq!(code(&out), 0, "{}", all(&out));
    assert!(stdout(&out).starts_with("snapshot 3\n"), "{}", all(&out));

    // Drift between two snapshots of one scope, the store named by PLUMB_STORE.
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["drift", "--from", "1", "--to", "3", "--format", "json"])
        .env("PLUMB_STORE", &url)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", all(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["drift"], false, "same plan, no drift");

    // A wrong password: refused by the server, and not echoed.
    let wrong = url.replace(PASSWORD, "not-the-password");
    let out = plumb(&["history", "--store", &wrong]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("password authentication failed"),
        "{}",
        all(&out)
    );
    assert!(!all(&out).contains("not-the-password"), "{}", all(&out));

    // The password from PGPASSWORD, then from a password file.
    let bare = url.replace(&format!(":{PASSWORD}@"), "@");
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["history", "--store", &bare])
        .env("PGPASSWORD", PASSWORD)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", all(&out));
    let pgpass = dir.path().join("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{}:cli:plumb:{PASSWORD}\n", server.port),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plumb"))
        .args(["history", "--store", &bare])
        .env_remove("PGPASSWORD")
        .env("PGPASSFILE", &pgpass)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", all(&out));

    // The URL can come from plumb.yaml, which does not take it for a relative path.
    let cfg = dir.path().join("plumb.yaml");
    std::fs::write(&cfg, format!("store: {url}\n")).unwrap();
    let out = plumb(&["history", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", all(&out));
    assert!(stdout(&out).contains("3 snapshots"), "{}", all(&out));

    // A database without plumb's tables is not an empty history.
    let empty = server.database("nothing");
    let out = plumb(&["history", "--store", &empty]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no store here"), "{}", all(&out));
    assert!(
        !Path::new("postgres:").exists(),
        "no SQLite file under a folder named postgres:"
    );
}

/// A CA and a server certificate for 127.0.0.1 signed by it, as PEM: (ca, cert, key).
fn certificates() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "plumb test CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[test]
fn tls_is_used_and_checked_as_sslmode_says() {
    let (ca, cert, key) = certificates();
    let Some(server) = Server::start_with_files(
        &[
            "ssl = on",
            "ssl_cert_file = 'server.crt'",
            "ssl_key_file = 'server.key'",
        ],
        &[
            ("server.crt", cert.as_bytes(), 0o644),
            ("server.key", key.as_bytes(), 0o600),
        ],
    ) else {
        return;
    };
    server.database("tls");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let (other_ca, _, _) = certificates();
    let other_file = dir.path().join("other.pem");
    std::fs::write(&other_file, &other_ca).unwrap();
    for (query, ok) in [
        (
            format!("sslmode=verify-full&sslrootcert={}", ca_file.display()),
            true,
        ),
        (
            format!("sslmode=verify-ca&sslrootcert={}", ca_file.display()),
            true,
        ),
        ("sslmode=require".to_string(), true),
        (
            format!("sslmode=verify-full&sslrootcert={}", other_file.display()),
            false,
        ),
        (
            format!("sslmode=require&sslrootcert={}", other_file.display()),
            false,
        ),
    ] {
        let url = server.url("tls", &query);
        let result = Store::open(Path::new(&url));
        match (result, ok) {
            (Ok(store), true) => assert!(store.list().unwrap().is_empty(), "{query}"),
            (Err(e), false) => {
                let e = e.to_string();
                assert!(e.contains("cannot connect"), "{query}: {e}");
                assert!(!e.contains(PASSWORD), "{e}");
            }
            (Ok(_), false) => panic!("{query}: connected with the wrong CA"),
            (Err(e), true) => panic!("{query}: {e}"),
        }
    }
    // The connection really is encrypted: the server says so.
    let url = server.url(
        "tls",
        &format!("sslmode=verify-full&sslrootcert={}", ca_file.display()),
    );
    let store = Store::open(Path::new(&url)).unwrap();
    let encrypted: i64 = server
        .client("postgres")
        .query_one(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
              WHERE s.ssl AND a.application_name = 'plumb'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(encrypted, 1);
    drop(store);
}

/// The database grants the README documents for a fleet: an owner that runs the migrations,
/// writers that add snapshots and apply retention, a reader for the organisation report.
#[test]
fn the_documented_database_grants_suffice() {
    let Some(server) = Server::start() else {
        return;
    };
    server.database("fleet");
    let mut admin = server.client("fleet");
    admin
        .batch_execute(
            "CREATE ROLE plumb_owner LOGIN PASSWORD 'owner-pw';
             CREATE ROLE plumb_writer LOGIN PASSWORD 'writer-pw';
             CREATE ROLE plumb_reader LOGIN PASSWORD 'reader-pw';
             GRANT CREATE ON SCHEMA public TO plumb_owner;",
        )
        .unwrap();
    let url = |user: &str, pw: &str| {
        format!(
            "postgres://{user}:{pw}@127.0.0.1:{}/fleet?sslmode=disable",
            server.port
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let p = plan(dir.path(), "acct", 10);
    // Before the tables exist a writer cannot create them, and says why.
    let out = writer(&p, &url("plumb_writer", "writer-pw"), "acct", &[])
        .wait_with_output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("permission denied"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = writer(&p, &url("plumb_owner", "owner-pw"), "acct", &[])
        .wait_with_output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut owner = postgres::Config::new()
        .host("127.0.0.1")
        .port(server.port)
        .user("plumb_owner")
        .password("owner-pw")
        .dbname("fleet")
        .connect(postgres::NoTls)
        .unwrap();
    owner
        .batch_execute(
            "GRANT SELECT, INSERT, DELETE ON plumb_snapshots TO plumb_writer;
             GRANT SELECT ON plumb_schema TO plumb_writer, plumb_reader;
             GRANT SELECT ON plumb_snapshots TO plumb_reader;",
        )
        .unwrap();
    let out = writer(
        &p,
        &url("plumb_writer", "writer-pw"),
        "acct",
        &["--keep", "1"],
    )
    .wait_with_output()
    .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("retention removed 1 older snapshot"), "{err}");
    let reader = url("plumb_reader", "reader-pw");
    let out = plumb(&["report", "--org", "--store", &reader, "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["totals"]["scopes"],
        1
    );
    // The reader cannot delete, and is told so.
    let out = plumb(&["history", "--store", &reader, "prune", "--keep", "1"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("permission denied for table plumb_snapshots"),
        "{}",
        stderr(&out)
    );
}
