//! The interactive confirmation: shown on and read from the controlling terminal
//! (`/dev/tty`), never stdin — `echo yes | guard -- ...` confirms nothing.

use crate::finding::Finding;
use crate::report;
use std::fs::OpenOptions;
use std::io::{self, Write};

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
    out.write_all(crate::style::prompt(prompt, crate::style::tty_colour(&out)).as_bytes())?;
    out.flush()?;
    // A Ctrl-C ends the question, not guard: the answer is no, and it is on the record.
    crate::exec::catch_interrupt_now();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(&tty, &mut byte) {
            Ok(0) => {
                out.write_all(b"\n")?;
                break;
            }
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(nix::errno::Errno::EINTR) if crate::exec::interrupted() => {
                out.write_all(b"\n")?;
                return Err(io::ErrorKind::Interrupted.into());
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let line = String::from_utf8_lossy(&line);
    Ok(line.trim_end_matches(['\n', '\r']).trim() == expected)
}
