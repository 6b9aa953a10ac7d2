//! PATH shims: links named after each guarded program (`terraform`, `kubectl`, ...) that
//! point at the guard binary. Run under another name, guard takes the name as the
//! program and the arguments as its arguments, and does what `guard -- NAME ARGS` does.
//!
//! The real program is the first one on PATH that is not guard itself: any PATH entry
//! whose file is the guard binary (the same device and inode) is skipped, so a shim
//! directory listed twice, or a shim reached through another shim, never calls itself.
//!
//! A command guard has already passed at confirm level or above (the person confirmed,
//! or a token was spent on it) is not asked about again when a shell guard started runs
//! it through a shim: guard hands the child `GUARD_PASSED`, digests of exactly those
//! argvs, and a shim whose argv is one of them runs the real program straight away. Any
//! other command, however deep, is checked again.

use crate::cli::{GlobalArgs, ShimCmd};
use crate::error::Error;
use crate::exec;
use crate::sanitize::sanitize;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

/// The program a shim stands for, when guard was started under another name.
pub fn invoked_as(arg0: &OsStr) -> Option<OsString> {
    if arg0.is_empty() || crate::binary::is_guard_name(arg0) {
        return None;
    }
    Path::new(arg0).file_name().map(OsStr::to_os_string)
}

/// Runs as the shim for `argv[0]`: the whole guarded flow, unless a parent guard has
/// already passed exactly this command.
pub fn run(argv: Vec<OsString>) -> Result<i32, Error> {
    if let Some(parent) = super::passed::by_parent(&argv) {
        super::passed::record(&argv, parent);
        return exec::run(&argv, &[]);
    }
    let inv = super::wiring::resolve(&GlobalArgs::default())?;
    super::guarded::run_as(
        &inv,
        &crate::analysis::Input::Argv(argv),
        super::guarded::Entry::Shim,
    )
}

/// The default shim directory: `$XDG_DATA_HOME/guard/shims`, else
/// `~/.local/share/guard/shims`.
pub fn default_dir() -> Result<PathBuf, Error> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("guard/shims"));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| Error::Usage("HOME is not set".into()))?;
    Ok(PathBuf::from(home).join(".local/share/guard/shims"))
}

/// Whether `path` is a guard shim (a file that is the guard binary).
pub fn is_shim(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| crate::binary::is_guard_binary(&m))
}

/// The real program a shim named `name` runs.
pub fn real_program(name: &str) -> Option<PathBuf> {
    exec::resolve(OsStr::new(name), std::env::var_os("PATH").as_deref()).ok()
}

pub fn command(global: &GlobalArgs, cmd: ShimCmd) -> Result<i32, Error> {
    match cmd {
        ShimCmd::Install { dir, programs } => install(global, dir, programs, None),
        ShimCmd::List { dir } => list(dir),
        ShimCmd::Remove { dir, programs } => remove(dir, programs),
    }
}

fn dir_or_default(dir: Option<PathBuf>) -> Result<PathBuf, Error> {
    dir.map_or_else(default_dir, Ok)
}

/// Writes shims in `dir` for `programs` (every guarded program on PATH when empty),
/// linking to `target` (default: this binary).
pub fn install(
    global: &GlobalArgs,
    dir: Option<PathBuf>,
    programs: Vec<String>,
    target: Option<PathBuf>,
) -> Result<i32, Error> {
    let dir = dir_or_default(dir)?;
    let explicit = !programs.is_empty();
    let names: Vec<String> = if explicit {
        programs
    } else {
        let set = super::wiring::resolve(global)?.rules(None)?;
        set.tools()
            .into_iter()
            .filter(|t| real_program(t).is_some())
            .map(str::to_string)
            .collect()
    };
    for n in &names {
        if n.is_empty()
            || n.contains('/')
            || n.starts_with('.')
            || crate::binary::is_guard_name(OsStr::new(n))
        {
            return Err(Error::Usage(format!(
                "`{n}` cannot be a shim: give a program name, not a path (and not guard itself)"
            )));
        }
    }
    if names.is_empty() {
        eprintln!("guard: none of the programs the rules name is on PATH; no shims written");
        return Ok(0);
    }
    let exe = target
        .map(Ok)
        .unwrap_or_else(|| std::fs::canonicalize("/proc/self/exe"))
        .or_else(|_| std::env::current_exe())
        .map_err(|e| Error::Io {
            what: "cannot find guard's own binary".into(),
            source: e,
        })?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::Io {
        what: format!("cannot create {}", dir.display()),
        source: e,
    })?;
    let (mut added, mut kept) = (Vec::new(), Vec::new());
    let mut failed = false;
    // A link to this binary, or to the target it is asked to link to, is a shim already.
    let same = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => (x.dev(), x.ino()) == (y.dev(), y.ino()),
            _ => false,
        }
    };
    for name in &names {
        let link = dir.join(name);
        if is_shim(&link) || same(&link, &exe) {
            kept.push(name.as_str());
            continue;
        }
        if std::fs::symlink_metadata(&link).is_ok() {
            eprintln!(
                "guard: {} exists and is not a guard shim; left alone",
                link.display()
            );
            failed = true;
            continue;
        }
        if let Err(e) = std::os::unix::fs::symlink(&exe, &link) {
            eprintln!("guard: cannot write {}: {e}", link.display());
            failed = true;
            continue;
        }
        if explicit && real_program(name).is_none() {
            eprintln!("guard: warning: `{name}` is not on PATH; its shim will report it missing");
        }
        added.push(name.as_str());
    }
    println!("shims in {}:", dir.display());
    if !added.is_empty() {
        println!("  added: {}", added.join(" "));
    }
    if !kept.is_empty() {
        println!("  already there: {}", kept.join(" "));
    }
    path_advice(&dir);
    Ok(if failed { 1 } else { 0 })
}

/// Says how to put the shim directory first on PATH, when it is not.
fn path_advice(dir: &Path) {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let first = std::env::split_paths(&path).next();
    if first.as_deref() != Some(dir) {
        println!(
            "put the shim directory first on PATH (see the README for agents and CI):\n  export PATH={}:\"$PATH\"",
            crate::shell::quote(&dir.display().to_string())
        );
    }
}

fn shims_in(dir: &Path) -> Result<Vec<String>, Error> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Error::Io {
                what: format!("cannot read {}", dir.display()),
                source: e,
            });
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| is_shim(&e.path()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .collect();
    names.sort_unstable();
    Ok(names)
}

fn list(dir: Option<PathBuf>) -> Result<i32, Error> {
    let dir = dir_or_default(dir)?;
    let names = shims_in(&dir)?;
    if names.is_empty() {
        println!("no shims in {}", dir.display());
        return Ok(0);
    }
    println!("shims in {}:", dir.display());
    for name in &names {
        let real = real_program(name).map_or("(not on PATH)".into(), |p| p.display().to_string());
        let first = match exec::first_on_path(name) {
            exec::FirstOnPath::Shim(_) => "guarded".to_string(),
            exec::FirstOnPath::Program(p) => {
                format!("NOT guarded: {} comes first on PATH", p.display())
            }
            exec::FirstOnPath::Missing => "NOT guarded: not on PATH".to_string(),
        };
        println!(
            "  {:<12} -> {}  ({})",
            sanitize(name),
            sanitize(&real),
            sanitize(&first)
        );
    }
    path_advice(&dir);
    Ok(0)
}

fn remove(dir: Option<PathBuf>, programs: Vec<String>) -> Result<i32, Error> {
    let dir = dir_or_default(dir)?;
    let present = shims_in(&dir)?;
    let names = if programs.is_empty() {
        present.clone()
    } else {
        programs
    };
    let mut removed = Vec::new();
    let mut failed = false;
    for name in &names {
        if !present.contains(name) {
            eprintln!(
                "guard: {} is not a guard shim; left alone",
                dir.join(name).display()
            );
            failed = true;
            continue;
        }
        match std::fs::remove_file(dir.join(name)) {
            Ok(()) => removed.push(name.as_str()),
            Err(e) => {
                eprintln!("guard: cannot remove {}: {e}", dir.join(name).display());
                failed = true;
            }
        }
    }
    if removed.is_empty() {
        println!("no shims removed from {}", dir.display());
    } else {
        println!("removed from {}: {}", dir.display(), removed.join(" "));
    }
    Ok(if failed { 1 } else { 0 })
}
