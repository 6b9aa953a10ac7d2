//! The gate's front end at a terminal (`guard -- …`, `guard -c`, a shim, `guard breaker
//! reset`): a person is asked on `/dev/tty`, never stdin, and only when no agent, CI or
//! `--non-interactive` says nobody can be.

use crate::context::{Context, has_terminal};
use crate::finding::Finding;
use crate::gate::{Confirmation, Frontend};

pub struct Terminal<'a> {
    pub context: &'a Context,
    /// A prompt of its own instead of the findings' (the breaker reset).
    pub prompt: Option<String>,
}

impl<'a> Terminal<'a> {
    pub fn new(context: &'a Context) -> Terminal<'a> {
        Terminal {
            context,
            prompt: None,
        }
    }
}

impl Frontend for Terminal<'_> {
    fn can_ask(&self) -> Result<(), String> {
        match crate::policy::cannot_ask(self.context, has_terminal) {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }

    fn confirm(&mut self, shown: &str, findings: &[Finding], expected: &str) -> Confirmation {
        let yes = match &self.prompt {
            Some(prompt) => crate::confirm::ask_text(prompt, expected),
            None => crate::confirm::ask(shown, findings, expected),
        };
        if yes.unwrap_or(false) {
            Confirmation::Yes { by: confirmed_by() }
        } else {
            Confirmation::No
        }
    }

    fn tell(&mut self, text: &str) {
        eprint!("{text}");
    }

    fn at_terminal(&self) -> bool {
        has_terminal()
    }
}

/// Who confirmed, and at which terminal.
pub fn confirmed_by() -> String {
    use std::os::fd::AsFd;
    let tty = [std::io::stderr().as_fd(), std::io::stdin().as_fd()]
        .into_iter()
        .find_map(|fd| nix::unistd::ttyname(fd).ok())
        .map_or_else(|| "/dev/tty".to_string(), |p| p.display().to_string());
    format!("confirmed by {} at {tty}", crate::identity::user())
}
