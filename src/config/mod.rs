//! Resolving guard's inputs once, up front: the command line's global options, the
//! environment and the config layers become one [`Invocation`] — the settings, the
//! context (who is asking), the approval tokens given, and the layers from which the
//! rules for a command are built. Everything below reads the Invocation, never the
//! environment or the files again.
//!
//! Layers, in order: the built-in packs; `/etc/guard/config.toml` (system);
//! `$XDG_CONFIG_HOME/guard/config.toml` (user); the nearest `.guard.toml` walking up from
//! the working directory (project); `--config FILE` or `GUARD_CONFIG` (explicit). What
//! each layer may say is decided in [`build`] (rules) and [`sections`] (settings).

pub mod build;
pub mod examples;
pub mod layers;
mod sections;

use crate::approval::Token;
use crate::context::Context;
use crate::error::Error;
use crate::matcher::RuleSet;
use crate::settings::Settings;
use layers::{Layer, LoadOptions};
use std::path::PathBuf;

/// The global options, as given on the command line (the `cli` layer fills this in).
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// `--config FILE` (else `GUARD_CONFIG`).
    pub config: Option<PathBuf>,
    pub non_interactive: bool,
    pub quiet: bool,
    /// `--approval TOKEN`, repeatable.
    pub approvals: Vec<String>,
    pub approval_file: Option<PathBuf>,
    pub break_glass: Option<String>,
    /// Reading a plan may take at most this long (seconds): only ever shortens.
    pub plan_timeout_cap: Option<u64>,
    /// `--wait`: how long to wait for an approval (seconds).
    pub wait: Option<u64>,
}

/// Everything one run of guard decides from, resolved once.
#[derive(Debug)]
pub struct Invocation {
    pub layers: Vec<Layer>,
    pub settings: Settings,
    pub context: Context,
    pub quiet: bool,
    pub break_glass: Option<String>,
    /// `--wait`: how long to wait for an approval (seconds).
    pub wait: Option<u64>,
    /// `--approval`, `--approval-file` and `GUARD_APPROVAL`, as given.
    token_texts: Vec<String>,
    approval_file: Option<PathBuf>,
}

/// Reads the config layers, resolves the settings and detects the context. A layer that
/// does not parse or validate is an error: nothing runs.
pub fn resolve(args: &Args) -> Result<Invocation, Error> {
    let layers = layers::read_layers(&LoadOptions::standard(args.config.clone()))?;
    let (mut settings, warnings) = settings(&layers)?;
    print_warnings(&warnings);
    if let Some(cap) = args.plan_timeout_cap {
        settings.plans.timeout = settings.plans.timeout.min(cap.max(1));
    }
    let mut token_texts = args.approvals.clone();
    if let Ok(v) = std::env::var("GUARD_APPROVAL") {
        token_texts.push(v);
    }
    Ok(Invocation {
        layers,
        settings,
        context: Context::detect(args.non_interactive),
        quiet: args.quiet,
        break_glass: args.break_glass.clone(),
        wait: args.wait,
        token_texts,
        approval_file: args.approval_file.clone(),
    })
}

/// The settings the layers resolve to, with what resolving them had to say.
pub fn settings(layers: &[Layer]) -> Result<(Settings, layers::Warnings), Error> {
    let mut warnings = Vec::new();
    let protected = protected();
    // The account database is read only where its answer is used: a protected install
    // maps the account to its principal. (It costs a tenth of an unprotected `check`.)
    let user = if protected {
        crate::identity::user()
    } else {
        String::new()
    };
    let settings = sections::resolve(layers, protected, &user, &mut warnings)?;
    Ok((settings, warnings))
}

/// Whether guard runs protected: with its own group (installed setgid by `guard setup`)
/// and a system config. Then state paths and identities come only from the system
/// config and fixed defaults, never from the environment or the user's files.
pub fn protected() -> bool {
    crate::privilege::elevated() && std::path::Path::new(crate::settings::SYSTEM_CONFIG).is_file()
}

fn print_warnings(warnings: &[String]) {
    for w in warnings {
        eprintln!("guard: warning: {}", crate::sanitize::sanitize(w));
    }
}

impl Invocation {
    /// The rules for `programs` (every pack when `None`), printing the layers' warnings.
    pub fn rules(&self, programs: Option<&[String]>) -> Result<RuleSet, Error> {
        let (set, warnings) = build::build(&self.layers, programs)?;
        print_warnings(&warnings);
        Ok(set)
    }

    /// The rules for one check: the packs of `programs`, without the rules that need a
    /// first word the commands' lowercased `text` does not hold.
    pub fn rules_for(&self, programs: Option<&[String]>, text: &str) -> Result<RuleSet, Error> {
        let (set, warnings) = build::build_for(&self.layers, programs, text)?;
        print_warnings(&warnings);
        Ok(set)
    }

    /// The approval tokens given, decoded; a damaged one is refused.
    pub fn tokens(&self) -> Result<Vec<Token>, Error> {
        let mut texts = self.token_texts.clone();
        if let Some(f) = &self.approval_file {
            let body = std::fs::read_to_string(f).map_err(|e| Error::Io {
                what: format!("cannot read the approval file {}", f.display()),
                source: e,
            })?;
            texts.push(body);
        }
        texts
            .iter()
            .flat_map(|t| t.split_whitespace())
            .map(|t| Token::decode(t).map_err(|e| Error::Refused(format!("approval refused: {e}"))))
            .collect()
    }

    /// Whether any approval token was given at all.
    pub fn has_tokens(&self) -> bool {
        self.approval_file.is_some() || self.token_texts.iter().any(|t| !t.trim().is_empty())
    }
}
