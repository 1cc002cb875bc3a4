//! Module source addresses, read by Terraform's rules ("Module Sources"): local paths are
//! handled by the evaluator; this reads the remote ones into what to fetch and which
//! subdirectory (`//sub/dir`) of the fetched package holds the module.
//!
//! Order, as Terraform's: a forced getter (`git::`, `s3::`, ...); a registry address
//! (`[HOST/]NAMESPACE/NAME/PROVIDER`); the `github.com/ORG/REPO` and `git@HOST:PATH`
//! shorthands; then URLs (`.git` repositories, archives by extension or `archive=`, and other
//! HTTP URLs that answer with `X-Terraform-Get`).

/// What a remote source names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Package {
    /// A module registry address. `host` is `None` for the default registry.
    Registry {
        host: Option<String>,
        namespace: String,
        name: String,
        provider: String,
    },
    /// A git repository: the URL as `git clone` takes it, and `?ref=` / `?depth=`.
    Git {
        url: String,
        reference: Option<String>,
        depth: Option<u32>,
    },
    /// An archive over HTTP(S), with its format.
    Archive { url: String, format: Format },
    /// An HTTP URL that is not an archive: it answers with the real address in
    /// `X-Terraform-Get`.
    Http { url: String },
}

/// Archive formats plumb unpacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Zip,
    TarGz,
    Tar,
}

/// A remote source: the package and the module's folder inside it (`""` for its root).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Remote {
    pub package: Package,
    pub subdir: String,
}

/// Reads a remote source address; the error says why plumb cannot fetch it.
pub(super) fn parse(source: &str) -> Result<Remote, String> {
    let (rest, subdir) = split_subdir(source);
    if subdir.split('/').any(|c| c == "..") {
        return Err(format!(
            "the subdirectory {subdir:?} leaves the package (`..` is not allowed there)"
        ));
    }
    let package = package(&rest)?;
    Ok(Remote { package, subdir })
}

/// Splits `ADDRESS//sub/dir?query` into `ADDRESS?query` and `sub/dir`, skipping the `//` of a
/// URL scheme.
pub(super) fn split_subdir(source: &str) -> (String, String) {
    let body_start = source.find("::").map_or(0, |i| i + 2);
    let search_from = source[body_start..]
        .find("://")
        .map_or(body_start, |i| body_start + i + 3);
    let Some(rel) = source[search_from..].find("//") else {
        return (source.to_string(), String::new());
    };
    let at = search_from + rel;
    let after = &source[at + 2..];
    let (subdir, query) = match after.find('?') {
        Some(q) => (&after[..q], &after[q..]),
        None => (after, ""),
    };
    (
        format!("{}{query}", &source[..at]),
        subdir.trim_matches('/').to_string(),
    )
}

fn package(source: &str) -> Result<Package, String> {
    if let Some((getter, rest)) = forced_getter(source) {
        return match getter {
            "git" => git(rest),
            "hg" => Err("Mercurial (hg::) sources are not supported by plumb".into()),
            "s3" => Err("S3 (s3::) sources are not supported by plumb".into()),
            "gcs" => Err("Google Cloud Storage (gcs::) sources are not supported by plumb".into()),
            "http" | "https" => http_url(rest),
            other => Err(format!("the {other}:: getter is not supported by plumb")),
        };
    }
    if let Some(p) = registry(source) {
        return Ok(p);
    }
    if let Some(rest) = source.strip_prefix("github.com/") {
        return github(rest);
    }
    if source.starts_with("bitbucket.org/") {
        return Err(
            "Bitbucket shorthand sources are not supported by plumb; write git::https://bitbucket.org/ORG/REPO.git"
                .into(),
        );
    }
    if let Some(rest) = source.strip_prefix("git@") {
        // scp-like `git@HOST:PATH`: git over SSH.
        if rest.contains(':') && !rest.contains("://") {
            return git(source);
        }
    }
    if source.contains(".s3.amazonaws.com/")
        || source.contains(".s3-")
        || source.starts_with("s3.amazonaws.com/")
    {
        return Err("S3 bucket sources are not supported by plumb".into());
    }
    if source.starts_with("www.googleapis.com/storage/") {
        return Err("Google Cloud Storage sources are not supported by plumb".into());
    }
    if source.starts_with("https://") || source.starts_with("http://") {
        return http_url(source);
    }
    Err("not a module source address plumb can fetch (a registry address, git::, github.com/, or an http(s) URL)".into())
}

fn forced_getter(source: &str) -> Option<(&str, &str)> {
    let (getter, rest) = source.split_once("::")?;
    (!getter.is_empty() && getter.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then_some((getter, rest))
}

/// `[HOST/]NAMESPACE/NAME/PROVIDER`, with Terraform's character rules for each part.
fn registry(source: &str) -> Option<Package> {
    if source.contains("://") || source.contains('?') {
        return None;
    }
    let parts: Vec<&str> = source.split('/').collect();
    let (host, rest) = match parts.len() {
        3 => (None, &parts[..]),
        4 => (Some(parts[0]), &parts[1..]),
        _ => return None,
    };
    if let Some(h) = host {
        let hostlike = h.contains('.') || h.contains(':') || h == "localhost";
        let ok_chars = h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        // These hosts are git shorthands, never registries.
        if !hostlike || !ok_chars || h == "github.com" || h == "bitbucket.org" {
            return None;
        }
    }
    let word = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
            && s.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    let provider =
        |s: &str| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric());
    if !word(rest[0]) || !word(rest[1]) || !provider(rest[2]) {
        return None;
    }
    Some(Package::Registry {
        host: host.map(|h| h.to_ascii_lowercase()),
        namespace: rest[0].to_string(),
        name: rest[1].to_string(),
        provider: rest[2].to_ascii_lowercase(),
    })
}

/// `github.com/ORG/REPO[?ref=...]`: git over HTTPS.
fn github(rest: &str) -> Result<Package, String> {
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    if parts.len() != 2 {
        return Err(
            "a github.com source names github.com/ORG/REPO (a folder goes after //)".into(),
        );
    }
    let repo = parts[1].strip_suffix(".git").unwrap_or(parts[1]);
    let url = format!("https://github.com/{}/{repo}.git", parts[0]);
    if query.is_empty() {
        git(&url)
    } else {
        git(&format!("{url}?{query}"))
    }
}

/// A git URL with `ref` and `depth` taken out of its query.
fn git(address: &str) -> Result<Package, String> {
    let (url, query) = address.split_once('?').unwrap_or((address, ""));
    let mut reference = None;
    let mut depth = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned();
        match k {
            "ref" => reference = Some(v).filter(|v| !v.is_empty()),
            "depth" => {
                depth = Some(
                    v.parse::<u32>()
                        .ok()
                        .filter(|d| *d > 0)
                        .ok_or_else(|| format!("depth={v:?} is not a positive number"))?,
                )
            }
            "sshkey" => return Err("git sources with sshkey= are not supported by plumb".into()),
            _ => kept.push(pair),
        }
    }
    if url.is_empty() || url.starts_with('-') {
        return Err("the git URL is empty or starts with `-`".into());
    }
    if reference.as_deref().is_some_and(|r| r.starts_with('-')) {
        return Err("the git ref starts with `-`".into());
    }
    let url = if kept.is_empty() {
        url.to_string()
    } else {
        format!("{url}?{}", kept.join("&"))
    };
    Ok(Package::Git {
        url,
        reference,
        depth,
    })
}

/// An `http(s)://` URL: a git repository when it ends in `.git`, an archive by extension or
/// `archive=`, else a URL that answers with `X-Terraform-Get`.
fn http_url(url: &str) -> Result<Package, String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    if base.ends_with(".git") {
        return git(url);
    }
    let mut forced = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| match p.strip_prefix("archive=") {
            Some(f) => {
                forced = Some(f.to_string());
                false
            }
            None => true,
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let format = match forced.as_deref() {
        Some("false") => return Ok(Package::Http { url }),
        Some(f) => Some(format_named(f)?),
        None => format_of(base)?,
    };
    Ok(match format {
        Some(format) => Package::Archive { url, format },
        None => Package::Http { url },
    })
}

fn format_named(name: &str) -> Result<Format, String> {
    match name {
        "zip" => Ok(Format::Zip),
        "tar.gz" | "tgz" => Ok(Format::TarGz),
        "tar" => Ok(Format::Tar),
        other => Err(format!(
            "{other} archives are not supported by plumb (zip, tar.gz, tgz and tar are)"
        )),
    }
}

/// The archive format a URL path's extension names, if any.
fn format_of(path: &str) -> Result<Option<Format>, String> {
    let lower = path.to_ascii_lowercase();
    for (ext, f) in [
        (".tar.gz", Some(Format::TarGz)),
        (".tgz", Some(Format::TarGz)),
        (".zip", Some(Format::Zip)),
        (".tar", Some(Format::Tar)),
        (".tar.bz2", None),
        (".tbz2", None),
        (".tar.xz", None),
        (".txz", None),
    ] {
        if lower.ends_with(ext) {
            return match f {
                Some(f) => Ok(Some(f)),
                None => Err(format!(
                    "{} archives are not supported by plumb (zip, tar.gz, tgz and tar are)",
                    &ext[1..]
                )),
            };
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(url: &str, reference: Option<&str>, depth: Option<u32>, subdir: &str) -> Remote {
        Remote {
            package: Package::Git {
                url: url.into(),
                reference: reference.map(Into::into),
                depth,
            },
            subdir: subdir.into(),
        }
    }

    #[test]
    fn sources_read_as_terraform_reads_them() {
        let reg = |host: Option<&str>, ns: &str, name: &str, p: &str, subdir: &str| Remote {
            package: Package::Registry {
                host: host.map(Into::into),
                namespace: ns.into(),
                name: name.into(),
                provider: p.into(),
            },
            subdir: subdir.into(),
        };
        let archive = |url: &str, format: Format, subdir: &str| Remote {
            package: Package::Archive {
                url: url.into(),
                format,
            },
            subdir: subdir.into(),
        };
        let cases: Vec<(&str, Remote)> = vec![
            (
                "terraform-aws-modules/vpc/aws",
                reg(None, "terraform-aws-modules", "vpc", "aws", ""),
            ),
            (
                "terraform-aws-modules/iam/aws//modules/iam-role",
                reg(
                    None,
                    "terraform-aws-modules",
                    "iam",
                    "aws",
                    "modules/iam-role",
                ),
            ),
            (
                "app.terraform.io/example-corp/k8s-cluster/azurerm",
                reg(
                    Some("app.terraform.io"),
                    "example-corp",
                    "k8s-cluster",
                    "azurerm",
                    "",
                ),
            ),
            (
                "127.0.0.1:8080/ns/name/aws",
                reg(Some("127.0.0.1:8080"), "ns", "name", "aws", ""),
            ),
            (
                "github.com/hashicorp/example",
                git("https://github.com/hashicorp/example.git", None, None, ""),
            ),
            (
                "github.com/hashicorp/example//modules/x?ref=v1.2.0",
                git(
                    "https://github.com/hashicorp/example.git",
                    Some("v1.2.0"),
                    None,
                    "modules/x",
                ),
            ),
            (
                "git::https://example.com/vpc.git?ref=v1.2.0&depth=1",
                git("https://example.com/vpc.git", Some("v1.2.0"), Some(1), ""),
            ),
            (
                "git::ssh://username@example.com/storage.git",
                git("ssh://username@example.com/storage.git", None, None, ""),
            ),
            (
                "git@github.com:hashicorp/example.git",
                git("git@github.com:hashicorp/example.git", None, None, ""),
            ),
            (
                "git::git://127.0.0.1:9418/repo//modules/sub?ref=v1.0.0",
                git(
                    "git://127.0.0.1:9418/repo",
                    Some("v1.0.0"),
                    None,
                    "modules/sub",
                ),
            ),
            (
                "git::file:///tmp/repo//modules/sub",
                git("file:///tmp/repo", None, None, "modules/sub"),
            ),
            (
                "https://example.com/repo.git",
                git("https://example.com/repo.git", None, None, ""),
            ),
            (
                "https://example.com/vpc-module.zip",
                archive("https://example.com/vpc-module.zip", Format::Zip, ""),
            ),
            (
                "https://example.com/vpc.tgz//modules/a",
                archive("https://example.com/vpc.tgz", Format::TarGz, "modules/a"),
            ),
            (
                "https://example.com/vpc-module?archive=zip&token=x",
                archive("https://example.com/vpc-module?token=x", Format::Zip, ""),
            ),
            (
                "https://example.com/x.tar.gz//*?archive=tar.gz",
                archive("https://example.com/x.tar.gz", Format::TarGz, "*"),
            ),
        ];
        for (source, want) in cases {
            assert_eq!(parse(source), Ok(want), "{source}");
        }
        assert_eq!(
            parse("https://example.com/modules/vpc"),
            Ok(Remote {
                package: Package::Http {
                    url: "https://example.com/modules/vpc".into()
                },
                subdir: String::new()
            })
        );
    }

    proptest::proptest! {
        /// Any text is read or refused with a reason, never a panic; a subdirectory that
        /// comes back never climbs out of the package.
        #[test]
        fn any_source_text_is_read_or_refused(s in "(git::|https://|[a-z0-9.:]{0,12}/){0,2}[ -~]{0,60}") {
            if let Ok(r) = parse(&s) {
                proptest::prop_assert!(!r.subdir.split('/').any(|c| c == ".."));
            }
            let _ = split_subdir(&s);
        }
    }

    #[test]
    fn sources_plumb_cannot_fetch_say_why() {
        let cases = [
            (
                "s3::https://s3-eu-west-1.amazonaws.com/bucket/vpc.zip",
                "S3",
            ),
            (
                "gcs::https://www.googleapis.com/storage/v1/modules/foo.zip",
                "Google",
            ),
            ("hg::http://example.com/vpc.hg", "Mercurial"),
            ("bucket.s3-eu-west-1.amazonaws.com/vpc.zip", "S3"),
            ("bitbucket.org/hashicorp/example", "Bitbucket"),
            ("https://example.com/x.tar.bz2", "tar.bz2"),
            ("ns/name/aws//../../etc", "leaves the package"),
            ("git::https://example.com/r.git?depth=zero", "depth"),
            ("example.com/foo", "not a module source"),
        ];
        for (source, want) in cases {
            let e = parse(source).unwrap_err();
            assert!(e.contains(want), "{source}: {e}");
        }
    }
}
