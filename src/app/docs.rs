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
    Ok(out)
}

pub fn print(bytes: &[u8]) -> Result<i32, Error> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::Usage(format!("cannot write: {e}")))?;
    Ok(0)
}
