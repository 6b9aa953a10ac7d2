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
    /// The same without the rules' examples, as JSON: what a run parses.
    pub runtime: &'static str,
    /// Programs (tools and aliases) the pack has rules or grammar for.
    pub programs: Words,
    /// `ID SEVERITY` of each rule.
    pub rules: Words,
}

/// A list of words kept as one text and the end of each word in it. Unlike a
/// `&[&str]` it holds no pointers, so starting guard relocates nothing for it: a
/// position-independent binary rewrites every pointer in its data at each start, and the
/// built-in word lists were an eighth of them.
#[derive(Debug)]
pub struct Words {
    pub text: &'static str,
    pub ends: &'static [u32],
}

impl Words {
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        let text = self.text;
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let word = text.get(start..end as usize).unwrap_or_default();
            start = end as usize;
            word
        })
    }

    pub fn contains(&self, word: &str) -> bool {
        self.iter().any(|w| w == word)
    }

    /// `contains` for a sorted list, by binary search.
    pub fn contains_sorted(&self, word: &str) -> bool {
        let at = |i: usize| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
            self.text
                .get(start..self.ends[i] as usize)
                .unwrap_or_default()
        };
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match at(mid).cmp(word) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// The general reading's built-in words (`rules/words/generic.toml`), each list sorted.
#[derive(Debug)]
pub struct GenericWords {
    pub verbs: Words,
    pub strong_verbs: Words,
    pub objects: Words,
    pub not_programs: Words,
    /// Command prefixes, words separated by blanks.
    pub exceptions: Words,
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
    // Asked for every command: one sorted list of every pack's programs, searched.
    PROGRAMS.contains_sorted(program)
}

/// The severity a built-in rule is written with.
pub fn builtin_severity(id: &str) -> Option<Decision> {
    PACKS
        .iter()
        .flat_map(|p| p.rules.iter())
        .filter_map(|r| r.split_once(' '))
        .find(|(rid, _)| *rid == id)
        .and_then(|(_, sev)| Decision::parse(sev))
}

/// The built-in pack by name.
pub fn pack(name: &str) -> Option<&'static PackIndex> {
    PACKS.iter().find(|p| p.name == name)
}

/// Every program some loaded or built-in rule applies to.
pub fn builtin_programs() -> Vec<&'static str> {
    PROGRAMS.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pack_program_is_found_in_the_one_sorted_list() {
        let all: Vec<&str> = PROGRAMS.iter().collect();
        assert!(all.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
        for pack in PACKS {
            for p in pack.programs.iter() {
                assert!(is_builtin_program(p), "{p}");
            }
        }
        assert!(!is_builtin_program("ls") && !is_builtin_program("zzz"));
        assert_eq!(all.len(), builtin_programs().len());
    }
}
