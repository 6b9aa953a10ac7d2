//! What program an exec really is. By its resolved executable, not the name it was
//! called by: a link to terraform is terraform; a `#!` script is the script, by its own
//! name (`aws`, `gcloud` are scripts); a multi-call binary (busybox) is the applet it
//! was called as; and a copy of a guarded program under another name is recognised by
//! its content, against the guarded programs found on PATH when supervision started
//! (compared by size first, hashed only on a size match, and cached by device, inode,
//! size and modification time).

use crate::matcher::RuleSet;
use crate::supervise::Exec;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A file's identity for the digest cache.
type Identity = (u64, u64, u64, i64);

pub struct Programs {
    /// The names worth a decision: programs the rules know, and the carriers out of the
    /// tree. Shells and interpreters are not among them: what they run is an exec too.
    names: HashSet<String>,
    /// The carriers out of the tree among them.
    carriers: &'static [&'static str],
    /// The guarded programs on PATH, by device and inode.
    by_inode: HashMap<(u64, u64), String>,
    /// ... and by size, for copies.
    by_size: HashMap<u64, Vec<(String, PathBuf)>>,
    /// Content digests computed so far, and what each file turned out to be.
    seen: RefCell<HashMap<Identity, Option<String>>>,
    digests: RefCell<HashMap<PathBuf, Option<[u8; 32]>>>,
}

impl Programs {
    pub fn new(set: &RuleSet, carriers: &'static [&'static str]) -> Programs {
        let mut names: HashSet<String> = set
            .programs()
            .filter(|p| !crate::shell::is_interpreter(p))
            .map(str::to_string)
            .collect();
        names.extend(carriers.iter().map(|s| s.to_string()));
        let mut by_inode = HashMap::new();
        let mut by_size: HashMap<u64, Vec<(String, PathBuf)>> = HashMap::new();
        let path = std::env::var_os("PATH").unwrap_or_default();
        for name in &names {
            for dir in std::env::split_paths(&path) {
                let candidate = dir.join(name);
                let Ok(m) = std::fs::metadata(&candidate) else {
                    continue;
                };
                if !m.is_file() || m.len() == 0 {
                    continue;
                }
                by_inode
                    .entry((m.dev(), m.ino()))
                    .or_insert_with(|| name.clone());
                by_size
                    .entry(m.len())
                    .or_default()
                    .push((name.clone(), candidate));
            }
        }
        Programs {
            names,
            carriers,
            by_inode,
            by_size,
            seen: RefCell::new(HashMap::new()),
            digests: RefCell::new(HashMap::new()),
        }
    }

    /// Whether guard has rules for a program (carriers aside).
    pub fn is_guarded(&self, name: &str) -> bool {
        self.names.contains(name) && !self.carriers.contains(&name)
    }

    /// Whether the exec is guard itself (its own binary, or a shim to it).
    pub fn is_guard(&self, e: &Exec) -> bool {
        std::fs::metadata(format!("/proc/{}/exe", e.pid))
            .or_else(|_| std::fs::metadata(&e.exe))
            .is_ok_and(|m| crate::binary::is_guard_binary(&m))
            || base(&e.exe) == "guard"
    }

    /// The argv to decide, with the program named as what it is; `None` when it is no
    /// program guard has rules for.
    pub fn argv_of(&self, e: &Exec) -> Option<Vec<String>> {
        let args: Vec<String> = e
            .argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        if self.is_guard(e) {
            // A shim is guard under a program's name: what it runs is an exec of its own.
            let called = args.first().map(|a| base(Path::new(a)));
            return (called.as_deref() == Some("guard") || called.is_none()).then(|| {
                std::iter::once("guard".to_string())
                    .chain(args.into_iter().skip(1))
                    .collect()
            });
        }
        let exe = base(&e.exe);
        let script = base(&e.path) != exe && e.is_script();
        let (name, rest) = if script {
            let given = e.path.to_string_lossy();
            let at = args
                .iter()
                .skip(1)
                .position(|a| *a == given)
                .map_or(1, |i| i + 2);
            (
                base(e.resolved_path()),
                args.get(at..).unwrap_or_default().to_vec(),
            )
        } else if matches!(exe.as_str(), "busybox" | "toybox") {
            let applet = args.first().map(|a| base(Path::new(a)))?;
            (applet, args.get(1..).unwrap_or_default().to_vec())
        } else {
            (exe, args.get(1..).unwrap_or_default().to_vec())
        };
        let name = if self.names.contains(&name) {
            name
        } else if script {
            self.identify(e.resolved_path())?
        } else {
            self.identify(Path::new(&format!("/proc/{}/exe", e.pid)))?
        };
        Some(std::iter::once(name).chain(rest).collect())
    }

    /// A renamed guarded program: the same file, or a copy with the same content.
    fn identify(&self, exe: &Path) -> Option<String> {
        let m = std::fs::metadata(exe).ok()?;
        if let Some(name) = self.by_inode.get(&(m.dev(), m.ino())) {
            return Some(name.clone());
        }
        let candidates = self.by_size.get(&m.len())?;
        let id = (m.dev(), m.ino(), m.len(), m.mtime());
        if let Some(known) = self.seen.borrow().get(&id) {
            return known.clone();
        }
        let mine = digest(exe);
        let found = mine.and_then(|d| {
            candidates
                .iter()
                .find(|(_, p)| self.digest_of(p) == Some(d))
                .map(|(n, _)| n.clone())
        });
        self.seen.borrow_mut().insert(id, found.clone());
        found
    }

    fn digest_of(&self, p: &Path) -> Option<[u8; 32]> {
        *self
            .digests
            .borrow_mut()
            .entry(p.to_path_buf())
            .or_insert_with(|| digest(p))
    }
}

fn base(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn digest(p: &Path) -> Option<[u8; 32]> {
    use std::io::Read;
    let mut f = std::fs::File::open(p).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(h.finalize().into())
}
