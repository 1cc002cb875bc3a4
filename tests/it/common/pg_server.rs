//! A throwaway PostgreSQL server for the store tests: `initdb` into a temporary folder, then
//! `postgres` listening on 127.0.0.1 on a free port, stopped when the guard drops.
//!
//! Debian's `postgresql` package provides the binaries (`scripts/test` installs it). Without
//! them a test skips with a loud message, unless `CI` is set: under CI a missing server is a
//! failure. initdb refuses to run as root, so as root the server runs as the `postgres` user.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The superuser the tests connect as, and its password (SCRAM over TCP).
pub const USER: &str = "plumb";
pub const PASSWORD: &str = "s3cret-pw";

/// A running server.
pub struct Server {
    child: Child,
    pub port: u16,
    /// The data folder and the socket folder live here.
    pub dir: tempfile::TempDir,
}

/// The folder of `initdb` and `postgres`, newest version first.
fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").is_file() && bin.join("postgres").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// The uid and gid to run the server as: ours, or `postgres`'s when we are root.
#[allow(unsafe_code)]
fn identity() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let id = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .expect("id runs");
        assert!(
            out.status.success(),
            "running as root and there is no `postgres` user to run the test server as"
        );
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("id prints a number")
    };
    Some((id("-u"), id("-g")))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}

fn as_server_user(cmd: &mut Command, who: Option<(u32, u32)>) -> &mut Command {
    if let Some((uid, gid)) = who {
        cmd.uid(uid).gid(gid);
    }
    cmd
}

impl Server {
    /// Starts a server, or returns `None` (after saying so loudly) when PostgreSQL is not
    /// installed and `CI` is unset.
    pub fn start() -> Option<Server> {
        Self::start_with(&[])
    }

    /// [`Server::start`] with extra `postgresql.conf` lines, and files to write into the data
    /// folder first (`(name, contents, mode)`: TLS keys and certificates).
    pub fn start_with_files(conf: &[&str], files: &[(&str, &[u8], u32)]) -> Option<Server> {
        let Some(bin) = bin_dir() else {
            let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false");
            assert!(
                !ci,
                "CI is set and PostgreSQL is not installed (/usr/lib/postgresql/*/bin): install the Debian package postgresql"
            );
            eprintln!(
                "\n\n*** SKIPPED: PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres); \
                 install the Debian package `postgresql` (scripts/test does) to run this test ***\n"
            );
            return None;
        };
        let who = identity();
        let dir = tempfile::Builder::new()
            .prefix("plumb-pg-")
            .tempdir()
            .expect("a temporary folder");
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        if let Some((uid, gid)) = who {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).unwrap();
            std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).unwrap();
        }
        let out = as_server_user(&mut Command::new(bin.join("initdb")), who)
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["-E", "UTF8", "--no-sync"])
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for (name, contents, mode) in files {
            let path = data.join(name);
            std::fs::write(&path, contents).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
            if let Some((uid, gid)) = who {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).unwrap();
            }
        }
        if !conf.is_empty() {
            let path = data.join("postgresql.conf");
            let mut text = std::fs::read_to_string(&path).unwrap();
            for line in conf {
                text.push_str(line);
                text.push('\n');
            }
            std::fs::write(&path, text).unwrap();
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        if let Some((uid, gid)) = who {
            std::os::unix::fs::chown(dir.path().join("server.log"), Some(uid), Some(gid)).unwrap();
        }
        let child = as_server_user(&mut Command::new(bin.join("postgres")), who)
            .arg("-D")
            .arg(&data)
            .arg("-k")
            .arg(dir.path())
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            // Throwaway data: no need to wait for the disk; enough connections for 60 writers.
            .args(["-c", "fsync=off", "-c", "max_connections=120"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        let server = Server { child, port, dir };
        server.wait_ready();
        Some(server)
    }

    fn start_with(conf: &[&str]) -> Option<Server> {
        Self::start_with_files(conf, &[])
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = postgres::Config::new()
                .host("127.0.0.1")
                .port(self.port)
                .user(USER)
                .password(PASSWORD)
                .dbname("postgres")
                .connect(postgres::NoTls)
                .is_ok();
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the test server did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// A superuser connection to `db`.
    pub fn client(&self, db: &str) -> postgres::Client {
        postgres::Config::new()
            .host("127.0.0.1")
            .port(self.port)
            .user(USER)
            .password(PASSWORD)
            .dbname(db)
            .connect(postgres::NoTls)
            .expect("the test server accepts connections")
    }

    /// Creates an empty database and returns its URL (password included, TLS off).
    pub fn database(&self, name: &str) -> String {
        self.client("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("CREATE DATABASE");
        self.url(name, "sslmode=disable")
    }

    /// The URL of `db`, with the password, and `query` parameters.
    pub fn url(&self, db: &str, query: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{db}?{query}",
            self.port
        )
    }

    /// The socket folder (`-k`), for tests that must not see the TCP password.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Server {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown (roll back, close connections, exit).
        // SAFETY: kill only signals the server process this guard started.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
