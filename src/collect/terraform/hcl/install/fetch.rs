//! Fetching into the module cache: the module registry protocol (service discovery,
//! `versions`, `download`), HTTP(S) archives, and git repositories through the `git` program,
//! as Terraform does.
//!
//! Plain HTTP is used only for loopback hosts (127.0.0.0/8, `localhost`, `[::1]`): a registry
//! or archive anywhere else must be HTTPS, redirects included. Each package is fetched into a
//! staging folder in the cache and renamed into place when whole, so an interrupted download
//! never looks installed.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::archive;
use super::source::{Format, Package};
use super::version::{Constraint, Version};
use super::{Download, digest};

/// Largest registry answer (discovery, version lists) read.
const MAX_API_BODY: u64 = 4 << 20;
const MAX_REDIRECTS: usize = 5;

pub(super) struct Fetcher<'d> {
    download: &'d Download,
    agent: ureq::Agent,
}

/// An HTTP answer: status, `X-Terraform-Get`, `Location`, body (when read).
struct Answer {
    status: u16,
    terraform_get: Option<String>,
    body: Vec<u8>,
}

impl<'d> Fetcher<'d> {
    pub(super) fn new(download: &'d Download) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(download.connect_timeout))
            .timeout_global(Some(download.request_timeout))
            .http_status_as_error(false)
            // Redirects are followed here, so that each hop's scheme is checked.
            .max_redirects(0)
            .user_agent(concat!("plumb/", env!("CARGO_PKG_VERSION")))
            .build();
        Fetcher {
            download,
            agent: config.into(),
        }
    }

    fn progress(&self, line: &str) {
        if let Some(p) = &self.download.progress {
            p(line);
        }
    }

    /// GETs `url` (following redirects), reading the body into memory up to `limit` bytes,
    /// or into `file` when given.
    fn get(
        &self,
        url: &str,
        token: Option<&str>,
        limit: u64,
        file: Option<&Path>,
    ) -> Result<Answer, String> {
        let mut url = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            check_scheme(&url)?;
            let mut req = self.agent.get(&url);
            if let Some(t) = token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            let mut resp = req.call().map_err(|e| format!("GET {url}: {e}"))?;
            let status = resp.status().as_u16();
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if (300..400).contains(&status)
                && let Some(next) = header("location")
            {
                url = join_url(&url, &next);
                continue;
            }
            let terraform_get = header("x-terraform-get");
            let mut body = Vec::new();
            if (200..300).contains(&status) {
                let reader = resp.body_mut().with_config().limit(limit + 1).reader();
                match file {
                    Some(path) => {
                        let mut out = std::fs::File::create(path)
                            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                        let n = std::io::copy(&mut reader.take(limit + 1), &mut out)
                            .map_err(|e| format!("GET {url}: {e}"))?;
                        if n > limit {
                            return Err(format!(
                                "GET {url}: the download is larger than {} MiB",
                                limit >> 20
                            ));
                        }
                    }
                    None => {
                        reader
                            .take(limit + 1)
                            .read_to_end(&mut body)
                            .map_err(|e| format!("GET {url}: {e}"))?;
                        if body.len() as u64 > limit {
                            return Err(format!(
                                "GET {url}: the answer is larger than {} KiB",
                                limit >> 10
                            ));
                        }
                    }
                }
            }
            return Ok(Answer {
                status,
                terraform_get,
                body,
            });
        }
        Err(format!("GET {url}: more than {MAX_REDIRECTS} redirects"))
    }

    /// A registry module's newest version meeting `constraint`, and its download address
    /// (a source address). A cached version that meets the constraint is used offline.
    pub(super) fn registry(
        &self,
        address: &str,
        host: &str,
        parts: &[&String; 3],
        constraint: &Constraint,
        constraint_text: &str,
        call: &str,
    ) -> Result<(String, String), String> {
        let cached = self
            .download
            .cache
            .join("registry")
            .join(safe_name(host))
            .join(parts[0].as_str())
            .join(parts[1].as_str())
            .join(parts[2].as_str());
        let mut known: Vec<(Version, PathBuf)> = std::fs::read_dir(&cached)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let v = Version::parse(name.strip_suffix(".location")?)?;
                Some((v, e.path()))
            })
            .collect();
        known.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some((v, path)) = known.iter().rev().find(|(v, _)| constraint.allows(v))
            && let Ok(location) = std::fs::read_to_string(path)
        {
            return Ok((v.to_string(), location.trim().to_string()));
        }

        let base = self.discover(host)?;
        let token = token_for(host);
        let module_url = format!("{base}{}/{}/{}", parts[0], parts[1], parts[2]);
        let versions_url = format!("{module_url}/versions");
        let answer = self.get(&versions_url, token.as_deref(), MAX_API_BODY, None)?;
        if answer.status == 404 {
            return Err(format!(
                "the registry has no module {address} (GET {versions_url}: 404)"
            ));
        }
        if answer.status != 200 {
            return Err(format!("GET {versions_url}: HTTP {}", answer.status));
        }
        let doc: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("GET {versions_url}: not a version list: {e}"))?;
        let mut versions: Vec<Version> = doc
            .get("modules")
            .and_then(|m| m.as_array())
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("versions").and_then(|v| v.as_array()))
            .flatten()
            .filter_map(|v| v.get("version").and_then(|v| v.as_str()))
            .filter_map(Version::parse)
            .collect();
        versions.sort();
        let Some(chosen) = constraint.newest(&versions) else {
            let listed: Vec<String> = versions.iter().map(ToString::to_string).collect();
            return Err(format!(
                "no version of {address} matches {constraint_text:?} (the registry has {})",
                if listed.is_empty() {
                    "none".to_string()
                } else {
                    listed.join(", ")
                }
            ));
        };
        let chosen = chosen.to_string();
        self.progress(&format!(
            "module {call}: {address} {chosen} (version {constraint_text:?})"
        ));
        let download_url = format!("{module_url}/{chosen}/download");
        let answer = self.get(&download_url, token.as_deref(), MAX_API_BODY, None)?;
        if !(200..300).contains(&answer.status) {
            return Err(format!("GET {download_url}: HTTP {}", answer.status));
        }
        let location = match answer.terraform_get {
            Some(l) => l,
            None => serde_json::from_slice::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|d| d.get("location")?.as_str().map(str::to_string))
                .ok_or_else(|| {
                    format!(
                        "GET {download_url}: the answer has neither an X-Terraform-Get header nor a location"
                    )
                })?,
        };
        let location = join_url(&download_url, &location);
        std::fs::create_dir_all(&cached)
            .and_then(|()| std::fs::write(cached.join(format!("{chosen}.location")), &location))
            .map_err(|e| format!("cannot write the module cache {}: {e}", cached.display()))?;
        Ok((chosen, location))
    }

    /// The `modules.v1` base URL of a registry host, from its service discovery document.
    fn discover(&self, host: &str) -> Result<String, String> {
        let scheme = if is_loopback(host) { "http" } else { "https" };
        let url = format!("{scheme}://{host}/.well-known/terraform.json");
        let answer = self.get(&url, None, MAX_API_BODY, None)?;
        if answer.status != 200 {
            return Err(format!(
                "{host} is not a module registry (GET {url}: HTTP {})",
                answer.status
            ));
        }
        let doc: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("GET {url}: not a service discovery document: {e}"))?;
        let base = doc
            .get("modules.v1")
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{host} offers no module registry (no modules.v1 in {url})"))?;
        let mut base = join_url(&url, base);
        if !base.ends_with('/') {
            base.push('/');
        }
        Ok(base)
    }

    /// The address an HTTP URL names through `X-Terraform-Get` (remembered in the cache).
    pub(super) fn terraform_get(&self, url: &str, call: &str) -> Result<String, String> {
        let remembered = self
            .download
            .cache
            .join("http")
            .join(format!("{}.location", digest(url)));
        if let Ok(l) = std::fs::read_to_string(&remembered) {
            return Ok(l.trim().to_string());
        }
        self.progress(&format!("module {call}: {url}"));
        let sep = if url.contains('?') { '&' } else { '?' };
        let asked = format!("{url}{sep}terraform-get=1");
        let answer = self.get(&asked, None, MAX_API_BODY, None)?;
        if !(200..300).contains(&answer.status) {
            return Err(format!("GET {url}: HTTP {}", answer.status));
        }
        let location = answer.terraform_get.ok_or_else(|| {
            format!("{url} is neither an archive (zip, tar.gz) nor answers with X-Terraform-Get")
        })?;
        let location = join_url(url, &location);
        if let Some(dir) = remembered.parent() {
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&remembered, &location))
                .map_err(|e| format!("cannot write the module cache {}: {e}", dir.display()))?;
        }
        Ok(location)
    }

    /// The cached folder of a git repository or archive, fetched when missing.
    pub(super) fn package(&self, package: &Package, call: &str) -> Result<PathBuf, String> {
        let (kind, id, label) = match package {
            Package::Git {
                url,
                reference,
                depth,
            } => (
                "git",
                format!("{url}\n{reference:?}\n{depth:?}"),
                last_segment(url),
            ),
            Package::Archive { url, format } => {
                ("archive", format!("{url}\n{format:?}"), last_segment(url))
            }
            Package::Registry { .. } | Package::Http { .. } => {
                return Err("a registry or HTTP address is not a package".into());
            }
        };
        let cache = &self.download.cache;
        let target = cache
            .join(kind)
            .join(format!("{}-{}", safe_name(&label), digest(&id)));
        if target.is_dir() {
            return Ok(target);
        }
        let staging = stage(cache)?;
        let result = self.fetch_into(package, &staging, call);
        let result = result.and_then(|()| {
            let parent = target.parent().unwrap_or(cache);
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
            match std::fs::rename(staging.join("pkg"), &target) {
                Ok(()) => Ok(()),
                // Another scan finished the same package first: use that one.
                Err(_) if target.is_dir() => Ok(()),
                Err(e) => Err(format!("cannot move into {}: {e}", target.display())),
            }
        });
        let _ = std::fs::remove_dir_all(&staging);
        result.map(|()| target)
    }

    fn fetch_into(&self, package: &Package, staging: &Path, call: &str) -> Result<(), String> {
        let pkg = staging.join("pkg");
        match package {
            Package::Git {
                url,
                reference,
                depth,
            } => {
                self.progress(&format!(
                    "module {call}: git {url}{}",
                    reference
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                ));
                self.clone(url, reference.as_deref(), *depth, &pkg)?;
                archive::check_links(&pkg)
            }
            Package::Archive { url, format } => {
                self.progress(&format!("module {call}: {url}"));
                let file = staging.join(match format {
                    Format::Zip => "download.zip",
                    Format::TarGz => "download.tar.gz",
                    Format::Tar => "download.tar",
                });
                let answer = self.get(url, None, self.download.max_download, Some(&file))?;
                if answer.status == 404 {
                    return Err(format!("GET {url}: 404 Not Found"));
                }
                if !(200..300).contains(&answer.status) {
                    return Err(format!("GET {url}: HTTP {}", answer.status));
                }
                std::fs::create_dir(&pkg)
                    .map_err(|e| format!("cannot create {}: {e}", pkg.display()))?;
                archive::unpack(&file, *format, &pkg, self.download.caps)
                    .map_err(|e| format!("{url}: {e}"))
            }
            Package::Registry { .. } | Package::Http { .. } => {
                Err("a registry or HTTP address is not a package".into())
            }
        }
    }

    /// `git clone` (then `git checkout REF`), never prompting, within the request timeout.
    fn clone(
        &self,
        url: &str,
        reference: Option<&str>,
        depth: Option<u32>,
        into: &Path,
    ) -> Result<(), String> {
        let mut args: Vec<String> = vec!["clone".into(), "--quiet".into()];
        if let Some(d) = depth {
            args.push(format!("--depth={d}"));
            if let Some(r) = reference {
                // A shallow clone can only name a branch or tag, as with Terraform.
                args.push(format!("--branch={r}"));
            }
        }
        args.push("--".into());
        args.push(url.to_string());
        args.push(into.display().to_string());
        self.git(&args, None)?;
        if let (Some(r), None) = (reference, depth) {
            self.git(
                &["checkout".into(), "--quiet".into(), r.to_string()],
                Some(into),
            )
            .map_err(|e| format!("git checkout {r}: {e}"))?;
        }
        // The history is not needed to scan, and not keeping it halves the cache.
        let _ = std::fs::remove_dir_all(into.join(".git"));
        Ok(())
    }

    fn git(&self, args: &[String], dir: Option<&Path>) -> Result<(), String> {
        let mut cmd = Command::new("git");
        if let Some(d) = dir {
            cmd.current_dir(d);
        }
        cmd.args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if std::env::var_os("GIT_SSH_COMMAND").is_none() {
            cmd.env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes");
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run git (is it installed?): {e}"))?;
        // Read stderr on the side so a chatty git never blocks on a full pipe.
        let stderr = child.stderr.take();
        let reader = std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut s) = stderr {
                let _ = s.by_ref().take(64 << 10).read_to_string(&mut text);
            }
            text
        });
        let deadline = Instant::now() + self.download.request_timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "git {} took longer than {} s",
                        args[0],
                        self.download.request_timeout.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(e) => return Err(format!("git {}: {e}", args[0])),
            }
        };
        let text = reader.join().unwrap_or_default();
        if status.success() {
            return Ok(());
        }
        let reason = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        Err(format!("git {} failed: {reason}", args[0]))
    }
}

/// A fresh staging folder under the cache.
fn stage(cache: &Path) -> Result<PathBuf, String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = cache.join("tmp").join(format!(
        "{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("cannot create the module cache {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Refuses plain HTTP to anything but a loopback host.
fn check_scheme(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    if let Some(rest) = url.strip_prefix("http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        if is_loopback(host) {
            return Ok(());
        }
        return Err(format!(
            "{url}: plain http is allowed only for loopback hosts; use https"
        ));
    }
    Err(format!("{url}: not an http(s) URL"))
}

/// Whether `host` (with an optional port) is this machine: 127.0.0.0/8, localhost or [::1].
pub(super) fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    if name.eq_ignore_ascii_case("localhost") {
        return true;
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// `TF_TOKEN_<host>` (dots as `_`, dashes as `__`), Terraform's way to give a registry token.
fn token_for(host: &str) -> Option<String> {
    let name: String = host
        .chars()
        .map(|c| match c {
            '.' => "_".to_string(),
            '-' => "__".to_string(),
            c => c.to_string(),
        })
        .collect();
    std::env::var(format!("TF_TOKEN_{name}"))
        .ok()
        .filter(|t| !t.is_empty())
}

/// `reference` resolved against the URL `base`: absolute addresses as they are, `/path` on
/// the same host, anything else beside the base's last segment.
pub(super) fn join_url(base: &str, reference: &str) -> String {
    let reference = reference.trim();
    let forced = reference
        .split_once("::")
        .is_some_and(|(g, _)| !g.is_empty() && g.bytes().all(|b| b.is_ascii_alphanumeric()));
    if reference.contains("://") || forced {
        return reference.to_string();
    }
    let Some(scheme_end) = base.find("://") else {
        return reference.to_string();
    };
    if let Some(rest) = reference.strip_prefix("//") {
        return format!("{}://{rest}", &base[..scheme_end]);
    }
    let after = scheme_end + 3;
    let path_start = base[after..]
        .find(['/', '?', '#'])
        .map_or(base.len(), |i| after + i);
    let origin = &base[..path_start];
    if reference.starts_with('/') {
        return format!("{origin}{reference}");
    }
    let path = base[path_start..].split(['?', '#']).next().unwrap_or("");
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    let (ref_path, ref_query) = match reference.find(['?', '#']) {
        Some(i) => (&reference[..i], &reference[i..]),
        None => (reference, ""),
    };
    let mut segments: Vec<&str> = Vec::new();
    let joined = format!("{dir}{ref_path}");
    for seg in joined.split('/').skip(1) {
        match seg {
            "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    if ref_path.ends_with("/.") || ref_path.ends_with("/..") || ref_path == "." || ref_path == ".."
    {
        segments.push("");
    }
    format!("{origin}/{}{ref_query}", segments.join("/"))
}

/// A name safe as one path component.
fn safe_name(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("_{s}")
    } else {
        s
    }
}

/// The last path segment of a URL, for readable cache names.
fn last_segment(url: &str) -> String {
    url.split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/')
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_like_a_browser() {
        let base = "http://127.0.0.1:8080/v1/modules/ns/n/aws/1.2.3/download";
        let cases = [
            ("/archives/x.tgz", "http://127.0.0.1:8080/archives/x.tgz"),
            (
                "x.tgz",
                "http://127.0.0.1:8080/v1/modules/ns/n/aws/1.2.3/x.tgz",
            ),
            (
                "./x.tgz?archive=tar.gz",
                "http://127.0.0.1:8080/v1/modules/ns/n/aws/1.2.3/x.tgz?archive=tar.gz",
            ),
            ("../../x.zip", "http://127.0.0.1:8080/v1/modules/ns/n/x.zip"),
            ("//other.example/x.zip", "http://other.example/x.zip"),
            (
                "git::https://example.com/r.git?ref=v1",
                "git::https://example.com/r.git?ref=v1",
            ),
            ("https://example.com/a.zip", "https://example.com/a.zip"),
        ];
        for (r, want) in cases {
            assert_eq!(join_url(base, r), want, "{r}");
        }
        assert_eq!(
            join_url(
                "https://h.example/.well-known/terraform.json",
                "/v1/modules/"
            ),
            "https://h.example/v1/modules/"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://example.com/x",
            "http://127.0.0.1:9/x",
            "http://127.5.0.1/x",
            "http://localhost:80/x",
            "http://[::1]:8080/x",
            "http://user@127.0.0.1/x",
        ] {
            assert_eq!(check_scheme(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.com/x",
            "http://10.0.0.1/x",
            "http://127.0.0.1.example.com/x",
            "ftp://127.0.0.1/x",
        ] {
            assert!(check_scheme(bad).is_err(), "{bad}");
        }
    }
}
