//! Finding and reading the config layers.
//!
//! Layers, in order: the built-in packs; `/etc/guard/config.toml` (system);
//! `$XDG_CONFIG_HOME/guard/config.toml` (user); the nearest `.guard.toml` walking up from
//! the working directory (project); `--config FILE` or `GUARD_CONFIG` (explicit).
//! Every layer may add tools, rules and protected environments and raise severities. Only
//! the system and user layers may lower a severity or disable a rule — a project file can
//! be written by anyone who can write the repository, an agent included, and an explicit
//! file can be named by whoever runs guard. A system file with `lock = true` takes that
//! power from the user layer too. A weakening that is not allowed is reported, not obeyed.
//! Any file that does not parse or validate is an error: nothing runs.

use crate::error::Error;
use crate::rules::model::RuleFile;
use std::path::{Path, PathBuf};

/// Which layer a file is, which decides what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    System,
    User,
    Project,
    Explicit,
}

impl LayerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LayerKind::System => "system",
            LayerKind::User => "user",
            LayerKind::Project => "project",
            LayerKind::Explicit => "explicit",
        }
    }
}

/// One config file, read and parsed.
#[derive(Debug)]
pub struct Layer {
    pub kind: LayerKind,
    pub path: String,
    pub text: String,
    pub file: RuleFile,
}

/// Where to look for the layers.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    pub system: Option<PathBuf>,
    pub user: Option<PathBuf>,
    pub cwd: Option<PathBuf>,
    pub explicit: Option<PathBuf>,
}

impl LoadOptions {
    /// The standard locations. `GUARD_SYSTEM_CONFIG` moves the system file, in debug
    /// builds only and never when guard runs with its own group, so tests can exercise
    /// it without touching `/etc`.
    pub fn standard(explicit: Option<PathBuf>) -> Self {
        let moved = cfg!(debug_assertions) && !crate::privilege::elevated();
        let system = match std::env::var_os("GUARD_SYSTEM_CONFIG") {
            Some(p) if moved => PathBuf::from(p),
            _ => PathBuf::from(crate::settings::SYSTEM_CONFIG),
        };
        let config_home = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")));
        LoadOptions {
            system: Some(system),
            user: config_home.map(|d| d.join("guard").join("config.toml")),
            cwd: std::env::current_dir().ok(),
            explicit: explicit.or_else(|| {
                std::env::var_os("GUARD_CONFIG")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            }),
        }
    }
}

/// Reads every layer that exists. A named explicit file must exist.
pub fn read_layers(opts: &LoadOptions) -> Result<Vec<Layer>, Error> {
    let mut layers = Vec::new();
    let optional = [
        (LayerKind::System, opts.system.clone()),
        (LayerKind::User, opts.user.clone()),
    ];
    for (kind, path) in optional {
        if let Some(p) = path.filter(|p| p.exists()) {
            layers.push(read_layer(kind, &p)?);
        }
    }
    if let Some(p) = opts.cwd.as_deref().and_then(find_project_file) {
        layers.push(read_layer(LayerKind::Project, &p)?);
    }
    if let Some(p) = &opts.explicit {
        layers.push(read_layer(LayerKind::Explicit, p)?);
    }
    Ok(layers)
}

/// The nearest `.guard.toml` in `dir` or above it.
pub fn find_project_file(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .map(|d| d.join(".guard.toml"))
        .find(|p| p.is_file())
}

/// Reads and parses one file as a layer.
pub fn read_layer(kind: LayerKind, path: &Path) -> Result<Layer, Error> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
        path: shown.clone(),
        message: format!("cannot read: {e}"),
    })?;
    let file = parse_file(&shown, &text)?;
    Ok(Layer {
        kind,
        path: shown,
        text,
        file,
    })
}

/// Parses a rule or config file; syntax errors and unknown keys point at line and column.
pub fn parse_file(path: &str, text: &str) -> Result<RuleFile, Error> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim().replace('\n', " ");
        match e.span() {
            Some(span) => Error::at(path, text, span.start, message),
            None => Error::Config {
                path: path.to_string(),
                message,
            },
        }
    })
}

/// A built-in pack as a run reads it: the JSON `build.rs` made of its TOML, without the
/// rules' examples (checked when guard was built; an error here is a build's fault). The
/// first line is the pack without its rules, then a line a rule: `KEYS\tJSON`. With
/// `words` (a command's words, lowercased and sorted), a rule with KEYS none of which is
/// among them is left out unparsed: it needs one of them as its command's first word.
pub fn parse_builtin(path: &str, runtime: &str, words: Option<&[&str]>) -> Result<RuleFile, Error> {
    let bad = |e: serde_json::Error| Error::Config {
        path: path.to_string(),
        message: format!("the built-in pack as stored in this build: {e}"),
    };
    let mut lines = runtime.split('\n');
    crate::rules::spanned::without_spans(|| {
        let mut file: RuleFile =
            serde_json::from_str(lines.next().unwrap_or_default()).map_err(bad)?;
        for line in lines {
            let (keys, json) = line.split_once('\t').unwrap_or(("", line));
            let wanted = match words {
                Some(words) if !keys.is_empty() => {
                    keys.split(' ').any(|k| words.binary_search(&k).is_ok())
                }
                _ => true,
            };
            if wanted {
                file.rules.push(serde_json::from_str(json).map_err(bad)?);
            }
        }
        Ok(file)
    })
}

/// What building the rule set had to say that is not an error.
pub type Warnings = Vec<String>;

/// Whether the system config is locked (`lock = true`): then the user layer may not
/// weaken anything either.
pub fn locked(layers: &[Layer]) -> bool {
    layers
        .iter()
        .any(|l| l.kind == LayerKind::System && l.file.lock)
}
