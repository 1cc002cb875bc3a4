//! `plumb completions SHELL` and `plumb man`: shell completion scripts and manual pages,
//! generated from the command line's own definitions so they list exactly the flags it takes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, EXIT_OK};

/// What `plumb --version` prints after the name: the package version, the commit the binary
/// was built from and the build date (build.rs; `unknown` for a build without git history).
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PLUMB_GIT_COMMIT"),
    ", built ",
    env!("PLUMB_BUILD_DATE"),
    ")"
);

#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell. Install, for example, with
    /// `plumb completions bash > /etc/bash_completion.d/plumb`,
    /// `plumb completions zsh > "${fpath[1]}/_plumb"` or
    /// `plumb completions fish > ~/.config/fish/completions/plumb.fish`.
    #[arg(value_name = "SHELL")]
    shell: Shell,
}

#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write one page per command (plumb.1, plumb-scan.1, plumb-policies-list.1, ...) into
    /// this directory instead of printing plumb.1: `plumb man --dir /usr/local/share/man/man1`.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script for one shell on standard output.
pub(crate) fn completions(args: &CompletionsArgs) -> Result<u8> {
    let mut cmd = Cli::command();
    let mut out = io::stdout().lock();
    clap_complete::generate(args.shell, &mut cmd, "plumb", &mut out);
    out.flush()?;
    Ok(EXIT_OK)
}

/// Prints plumb.1 (roff) on standard output, or writes every command's page into `--dir`.
pub(crate) fn man(args: &ManArgs) -> Result<u8> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    match &args.dir {
        None => {
            let mut out = io::stdout().lock();
            page(cmd).render(&mut out)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the directory", dir.display()))?;
            let mut written = Vec::new();
            write_pages(cmd, dir, &mut written)?;
            eprintln!(
                "plumb: wrote {} manual pages into {}",
                written.len(),
                dir.display()
            );
        }
    }
    Ok(EXIT_OK)
}

fn page(cmd: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(cmd)
        .date(env!("PLUMB_BUILD_DATE"))
        .source(concat!("plumb ", env!("CARGO_PKG_VERSION")))
        .manual("plumb manual")
}

/// One page for `cmd` and, recursively, one for each of its visible subcommands.
fn write_pages(cmd: clap::Command, dir: &Path, written: &mut Vec<PathBuf>) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub.clone(), dir, written)?;
    }
    let path = page(cmd)
        .generate_to(dir)
        .with_context(|| format!("{}: cannot write a manual page", dir.display()))?;
    written.push(path);
    Ok(())
}
