//! `pggraft completions SHELL` and `pggraft man`: shell completions and man
//! pages generated from the clap definitions (as ripgrep ships them), so
//! they always list the flags the binary has.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use clap_complete::Shell;

use crate::{Outcome, output};

#[derive(Clone, Copy, ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: ShellArg,
}

#[derive(Args)]
pub struct ManArgs {
    /// Write pggraft.1 and one page per subcommand (pggraft-clone.1, …) into DIR instead of
    /// printing pggraft.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints the completion script for `shell` on stdout.
pub fn completions(a: &CompletionsArgs, mut cmd: clap::Command) -> Result<Outcome> {
    let shell = match a.shell {
        ShellArg::Bash => Shell::Bash,
        ShellArg::Zsh => Shell::Zsh,
        ShellArg::Fish => Shell::Fish,
        ShellArg::Elvish => Shell::Elvish,
        ShellArg::Powershell => Shell::PowerShell,
    };
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "pggraft", &mut script);
    output::write_out(None, &String::from_utf8(script)?)?;
    Ok(Outcome::Ok)
}

/// Prints `pggraft.1`, or writes every page into `--dir`.
pub fn man(a: &ManArgs, cmd: clap::Command) -> Result<Outcome> {
    match &a.dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut page)?;
            output::write_out(None, &String::from_utf8(page)?)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("writing man pages into {}", dir.display()))?;
        }
    }
    Ok(Outcome::Ok)
}
