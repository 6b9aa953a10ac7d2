//! The interactive confirmation: shown on and read from the controlling terminal
//! (`/dev/tty`), never stdin — `echo yes | guard -- ...` confirms nothing.

use crate::finding::Finding;
use crate::report;
use std::fs::OpenOptions;
use std::io::{self, BufRead, BufReader, Write};

/// Shows the command and its findings, asks for `expected`, and says whether the person
/// typed it. Any failure to ask (no terminal, end of input) is a "no".
pub fn ask(command: &str, findings: &[Finding], expected: &str) -> io::Result<bool> {
    let mut text = String::from("guard: this command needs your confirmation\n");
    text.push_str(&report::explain(command, findings));
    text.push_str(&format!(
        "Type `{expected}` to run it, anything else to cancel: "
    ));
    ask_text(&text, expected)
}

/// Shows `prompt` on the terminal and says whether the person typed `expected`.
pub fn ask_text(prompt: &str, expected: &str) -> io::Result<bool> {
    let tty = OpenOptions::new().read(true).write(true).open("/dev/tty")?;
    let mut out = tty.try_clone()?;
    out.write_all(prompt.as_bytes())?;
    out.flush()?;
    let mut line = String::new();
    let n = BufReader::new(tty).read_line(&mut line)?;
    if n == 0 {
        out.write_all(b"\n")?;
    }
    Ok(line.trim_end_matches(['\n', '\r']).trim() == expected)
}
