//! `guard completions SHELL` and `guard man`: generated from the CLI definition, so they
//! cannot say what the parser does not do. Copies are kept in `contrib/` for packagers;
//! a test fails when those drift from what the binary generates.

use crate::cli::Cli;
use crate::error::Error;
use clap::CommandFactory;
use std::io::Write;

/// The shell completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "guard", &mut out);
    out
}

/// The man page, guard(1), in roff.
pub fn man() -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .map_err(|e| Error::Usage(format!("cannot render the man page: {e}")))?;
    // The subcommands have no pages of their own: name them as they are run, and say
    // where their options are.
    let text = String::from_utf8_lossy(&out).into_owned();
    let mut page = String::with_capacity(text.len() + 128);
    for line in text.lines() {
        match line
            .strip_prefix("guard\\-")
            .and_then(|l| l.strip_suffix("(1)"))
        {
            Some(sub) => page.push_str(&format!("guard {}", sub.replace("\\-", "-"))),
            None => page.push_str(line),
        }
        page.push('\n');
        if line == ".SH SUBCOMMANDS" {
            page.push_str(
                "Each subcommand's options and examples: \\fBguard SUBCOMMAND \\-\\-help\\fR.\n",
            );
        }
    }
    Ok(page.into_bytes())
}

pub fn print(bytes: &[u8]) -> Result<i32, Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::Usage(format!("cannot write: {e}")))?;
    Ok(0)
}
