//! The built-in rule packs, embedded at build time, with an index (written by `build.rs`)
//! of the programs each pack covers and the rules it holds — so guard parses only the
//! packs a command needs.

use crate::decision::Decision;

/// One embedded pack.
#[derive(Debug)]
pub struct PackIndex {
    /// The file stem: `rules/terraform.toml` is `terraform`.
    pub name: &'static str,
    /// The TOML text.
    pub source: &'static str,
    /// The same without the rules' examples: what a run parses.
    pub runtime: &'static str,
    /// Programs (tools and aliases) the pack has rules or grammar for.
    pub programs: &'static [&'static str],
    /// `(id, severity)` of each rule.
    pub rules: &'static [(&'static str, &'static str)],
}

/// The general reading's built-in words (`rules/words/generic.toml`), each list sorted.
#[derive(Debug)]
pub struct GenericWords {
    pub verbs: &'static [&'static str],
    pub strong_verbs: &'static [&'static str],
    pub objects: &'static [&'static str],
    pub not_programs: &'static [&'static str],
    /// Command prefixes, words separated by blanks.
    pub exceptions: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/packs.rs"));

/// The packs that cover any of `programs`, or all of them.
pub fn packs_for<'a>(
    programs: Option<&'a [String]>,
) -> impl Iterator<Item = &'static PackIndex> + 'a {
    PACKS.iter().filter(move |p| match programs {
        None => true,
        // The general reading's pack (`*`) only when a command reads that way (see
        // `analysis::programs`).
        Some(progs) => p.programs.iter().any(|x| progs.iter().any(|y| y == x)),
    })
}

/// Whether a built-in pack describes this program.
pub fn is_builtin_program(program: &str) -> bool {
    PACKS.iter().any(|p| p.programs.contains(&program))
}

/// The severity a built-in rule is written with.
pub fn builtin_severity(id: &str) -> Option<Decision> {
    PACKS
        .iter()
        .flat_map(|p| p.rules.iter())
        .find(|(rid, _)| *rid == id)
        .and_then(|(_, sev)| Decision::parse(sev))
}

/// The built-in pack by name.
pub fn pack(name: &str) -> Option<&'static PackIndex> {
    PACKS.iter().find(|p| p.name == name)
}

/// Every program some loaded or built-in rule applies to.
pub fn builtin_programs() -> Vec<&'static str> {
    let mut v: Vec<&str> = PACKS
        .iter()
        .flat_map(|p| p.programs.iter().copied())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}
