//! Installing plumb: what `--version` says, shell completions, manual pages, and the release
//! profile that keeps a clean build within minutes.

use std::path::Path;
use std::process::Command;

use crate::common::*;

// build.rs's own functions, run here on trees of our making.
#[path = "../../build/version.rs"]
mod version;

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let out = plumb(&["--version"]);
    assert_eq!(code(&out), 0);
    let line = stdout(&out);
    let shape = regex::Regex::new(
        r"^plumb (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12}|unknown), built (\d{4}-\d{2}-\d{2})\)\n$",
    )
    .unwrap();
    let caps = shape.captures(&line).unwrap_or_else(|| panic!("{line:?}"));
    assert_eq!(&caps[1], env!("CARGO_PKG_VERSION"));
    // Built from this checkout: the commit is its HEAD (build.rs reruns when HEAD moves).
    if git_available()
        && root().join(".git").exists()
        && std::env::var_os("PLUMB_GIT_COMMIT").is_none()
    {
        let head = git(&root(), &["rev-parse", "HEAD"]);
        assert_eq!(&caps[2], &head[..12], "{line}");
    }
    // `-V` says the same.
    assert_eq!(stdout(&plumb(&["-V"])), line);
}

#[test]
fn a_tree_without_git_history_says_unknown_unless_the_commit_is_given() {
    let tarball = tempfile::tempdir().unwrap();
    std::fs::write(tarball.path().join("Cargo.toml"), "[package]\n").unwrap();
    assert_eq!(version::git_commit(tarball.path(), None), version::UNKNOWN);
    assert_eq!(
        version::git_commit(tarball.path(), Some("  ")),
        version::UNKNOWN
    );
    assert!(version::git_watch(tarball.path()).is_empty());
    // A container build passes the commit in (the build context has no .git).
    assert_eq!(
        version::git_commit(
            tarball.path(),
            Some("0123456789abcdef0123456789abcdef01234567")
        ),
        "0123456789ab"
    );
}

#[test]
fn a_checkout_gives_its_commit_and_a_folder_inside_another_repository_does_not() {
    if !git_available() {
        eprintln!("skipped: no git");
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    git(repo.path(), &["init", "-q", "-b", "main"]);
    std::fs::write(repo.path().join("a"), "a").unwrap();
    git(repo.path(), &["add", "a"]);
    git(repo.path(), &["commit", "-q", "-m", "a"]);
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(version::git_commit(repo.path(), None), head[..12]);
    // What build.rs watches: HEAD and the branch it points to, files that exist.
    let watched = version::git_watch(repo.path());
    assert!(
        watched.iter().any(|f| f.ends_with(".git/HEAD")),
        "{watched:?}"
    );
    assert!(
        watched.iter().any(|f| f.ends_with("refs/heads/main")),
        "{watched:?}"
    );
    assert!(watched.iter().all(|f| f.is_file()));
    // A source tarball unpacked inside some other repository is not that repository's commit.
    let unpacked = repo.path().join("vendor/plumb-0.1.0");
    std::fs::create_dir_all(&unpacked).unwrap();
    assert_eq!(version::git_commit(&unpacked, None), version::UNKNOWN);
    assert!(version::git_watch(&unpacked).is_empty());
}

#[test]
fn the_build_date_is_a_utc_calendar_date_and_honours_source_date_epoch() {
    for (epoch, date) in [
        ("0", "1970-01-01"),
        ("951782400", "2000-02-29"),
        ("1709164799", "2024-02-28"),
        ("1709164800", "2024-02-29"),
        ("4102444800", "2100-01-01"),
    ] {
        assert_eq!(version::build_date(Some(epoch), 0), date, "{epoch}");
    }
    assert_eq!(version::build_date(None, 951_782_400), "2000-02-29");
    // Not a number: the clock's date.
    assert_eq!(version::build_date(Some("yesterday"), 0), "1970-01-01");
}

#[test]
fn bash_completion_completes_subcommands_and_flags() {
    let out = plumb(&["completions", "bash"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let script = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(script.path(), &out.stdout).unwrap();
    // Load the script into a real bash and ask it what follows `plumb sc` and `plumb scan --fail`.
    let complete = |words: &str, cword: usize| -> String {
        let run = format!(
            "source {}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{words}'; \
             COMP_POINT=${{#COMP_LINE}}; _plumb plumb; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.path().display()
        );
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", &run])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let subcommands = complete("plumb sc", 1);
    assert!(subcommands.lines().any(|l| l == "scan"), "{subcommands}");
    let flags = complete("plumb scan --fail", 2);
    assert!(flags.lines().any(|l| l == "--fail-on"), "{flags}");
    let all = complete("plumb ", 1);
    for sub in ["completions", "man", "drift", "history", "policies"] {
        assert!(all.lines().any(|l| l == sub), "{sub}: {all}");
    }
}

#[test]
fn every_shell_gets_a_completion_script_naming_the_commands() {
    for (shell, marker) in [
        ("bash", "complete -F _plumb"),
        ("zsh", "#compdef plumb"),
        ("fish", "complete -c plumb"),
        ("elvish", "edit:completion:arg-completer[plumb]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = plumb(&["completions", shell]);
        assert_eq!(code(&out), 0, "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(marker), "{shell}: no {marker}");
        // fish names long flags without their dashes (`-l fail-on`).
        for word in ["scan", "drift", "fail-on"] {
            assert!(text.contains(word), "{shell}: no {word}");
        }
    }
    let out = plumb(&["completions", "tcsh"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("tcsh"), "{}", stderr(&out));
}

#[test]
fn the_manual_page_is_roff_with_every_command() {
    let out = plumb(&["man"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = stdout(&out);
    let date = stdout(&plumb(&["--version"]))
        .split("built ")
        .nth(1)
        .unwrap()
        .trim_end_matches([')', '\n'])
        .to_string();
    // roff preamble lines (`.ie`, `.el`) come before the title.
    let title = page
        .lines()
        .find(|l| l.starts_with(".TH "))
        .unwrap_or_else(|| panic!("no title: {}", &page[..page.len().min(200)]));
    assert!(title.starts_with(".TH plumb 1 "), "{title}");
    assert!(title.contains(&date), "the page is dated: {title}");
    assert!(title.contains(env!("CARGO_PKG_VERSION")), "{title}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section}");
    }
    for sub in ["plumb\\-scan", "plumb\\-drift", "plumb\\-completions"] {
        assert!(page.contains(sub), "{sub}");
    }

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = plumb(&["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for name in [
        "plumb.1",
        "plumb-scan.1",
        "plumb-policies-list.1",
        "plumb-history-show.1",
        "plumb-completions.1",
    ] {
        let text =
            std::fs::read_to_string(pages.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.lines().any(|l| l.starts_with(".TH ")), "{name}");
    }
    // No page for clap's `help` pseudo-command.
    assert!(!pages.join("plumb-help.1").exists());
    let written = std::fs::read_dir(&pages).unwrap().count();
    assert!(
        stderr(&out).contains(&format!("wrote {written} manual pages")),
        "{}",
        stderr(&out)
    );
}

#[test]
fn release_builds_the_sdk_crates_at_a_low_opt_level_and_without_debug_info() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    // Every generated SDK crate in the build, direct or not (aws-config brings sso and ssooidc).
    let sdk: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| n.starts_with("aws-sdk-") || *n == "k8s-openapi")
        .collect();
    assert!(sdk.len() >= 20, "{sdk:?}");
    for name in sdk {
        let level = if name == "k8s-openapi" { 1 } else { 0 };
        let section = format!("[profile.release.package.{name}]\nopt-level = {level}\n");
        assert!(manifest.contains(&section), "no {section}");
    }
    let release = manifest
        .split("[profile.release]\n")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    assert!(release.contains("debug = false"), "{release}");
    assert!(release.contains("strip = \"symbols\""), "{release}");
}
