//! A fast hash for the matcher's small maps (tools, grammars, option names, rule ids),
//! looked up several times for every command: the standard library's SipHash was a fifth
//! of deciding a long script. Keys come from packs and configs, and a command's words are
//! only looked up, never inserted, so hash flooding is no concern here. (The multiply-
//! rotate hash rustc itself uses.)

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            self.add(u64::from_le_bytes(b));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_find_what_they_hold_and_tell_near_keys_apart() {
        let mut m: FastMap<String, usize> = FastMap::default();
        let keys = [
            "git",
            "gi",
            "git ",
            "terraform",
            "terraform-ls",
            "",
            "kubectl",
            "kubectl.",
        ];
        for (i, k) in keys.iter().enumerate() {
            m.insert((*k).to_string(), i);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(m.get(*k), Some(&i));
        }
        assert_eq!(m.get("gitx"), None);
        assert_eq!(m.len(), keys.len());
    }
}
