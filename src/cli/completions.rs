//! `qtriage completions SHELL` and `qtriage manpage`: shell completions and the roff man page,
//! generated from the clap definitions so they always match the commands.

use std::io::Write;

use clap::CommandFactory;

use super::{exit::ExitCode, Args};

/// The shells completions are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    /// bash (bash-completion).
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// Arguments of `completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// Write the completion script for `args.shell` to `out`.
pub fn completions(args: &CompletionsArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let shell = match args.shell {
        CompletionShell::Bash => clap_complete::Shell::Bash,
        CompletionShell::Zsh => clap_complete::Shell::Zsh,
        CompletionShell::Fish => clap_complete::Shell::Fish,
    };
    let mut cmd = Args::command();
    // clap_complete panics when a write fails (`completions bash | head -1` closes the pipe
    // early: exit 101). Generated into memory, the script goes out through `out`, whose
    // BrokenPipe error `main` turns into exit 0 as for every other command.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "qtriage", &mut script);
    out.write_all(&script)?;
    Ok(ExitCode::Success)
}

/// Arguments of `manpage`.
#[derive(Debug, clap::Args)]
pub struct ManpageArgs {
    /// Write qtriage.1 and one page per subcommand (qtriage-yank.1, ...) into DIR instead.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}

/// Write the man page, qtriage(1) in roff, to `out`; with `--dir`, every page into that
/// directory (the main page names the subcommands' pages).
pub fn manpage(args: &ManpageArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match &args.dir {
        Some(dir) => {
            // As `install -d` would: the man1 directory of a fresh prefix may not exist yet.
            std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
            clap_mangen::generate_to(Args::command(), dir)
                .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        }
        None => clap_mangen::Man::new(Args::command()).render(out)?,
    }
    Ok(ExitCode::Success)
}
