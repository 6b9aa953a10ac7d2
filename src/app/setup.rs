//! `guard setup` (as root): the protected install, the way mail and cron spools have long
//! kept what their users must not touch (Postfix's setgid `postdrop`, `crontab` setgid to
//! its spool group). A `guard` group owns guard's state; the installed binary is setgid
//! to that group; the users guard runs for are not in it.
//!
//! | path | owner | mode |
//! |---|---|---|
//! | `BIN/guard` (default `/usr/local/bin`) | root:guard | 2755 |
//! | `/etc/guard/` | root:root | 0755 |
//! | `/etc/guard/config.toml`, `/etc/guard/allowed_signers` | root:root | 0644 |
//! | `/var/lib/guard/` (ledger, breaker, audit trail, plans) | root:guard | 2770 |
//!
//! Setup is idempotent: it creates what is missing, fixes what is wrong, and leaves a
//! config or approvers file that exists as it is. `--check` changes nothing and lists
//! every mode and owner that is wrong, with the command that fixes it.

use crate::cli::SetupArgs;
use crate::error::Error;
use crate::settings::{PROTECTED_STATE, SYSTEM_CONFIG};
use nix::unistd::{Gid, Group, Uid};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// guard's group.
pub const GROUP: &str = "guard";
/// Where the system config and the approvers file live.
const ETC: &str = "/etc/guard";
const SIGNERS: &str = "/etc/guard/allowed_signers";

/// One path of the install as it should be.
#[derive(Debug, Clone)]
pub struct Want {
    pub path: PathBuf,
    pub dir: bool,
    /// `None`: root's own group.
    pub group: Option<Gid>,
    pub mode: u32,
}

/// What is wrong with one path, and the command that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub what: String,
    pub fix: String,
}

/// The protected install's paths, as they should be.
pub fn wanted(bin_dir: &Path, gid: Gid) -> Vec<Want> {
    let want = |path: &str, dir, group, mode| Want {
        path: PathBuf::from(path),
        dir,
        group,
        mode,
    };
    vec![
        Want {
            path: bin_dir.join("guard"),
            dir: false,
            group: Some(gid),
            mode: 0o2755,
        },
        want(ETC, true, None, 0o755),
        want(SYSTEM_CONFIG, false, None, 0o644),
        want(SIGNERS, false, None, 0o644),
        want(PROTECTED_STATE, true, Some(gid), 0o2770),
    ]
}

/// Every way the paths differ from what they should be.
pub fn inspect(wants: &[Want]) -> Vec<Problem> {
    let mut out = Vec::new();
    for w in wants {
        let shown = w.path.display();
        let group = w.group.map_or(0, Gid::as_raw);
        let group_name = if w.group.is_some() { GROUP } else { "root" };
        let m = match std::fs::symlink_metadata(&w.path) {
            Ok(m) => m,
            Err(_) => {
                out.push(Problem {
                    what: format!("{shown} is missing"),
                    fix: "sudo guard setup".into(),
                });
                continue;
            }
        };
        if m.is_dir() != w.dir || m.file_type().is_symlink() {
            let kind = if w.dir {
                "a directory"
            } else {
                "a regular file"
            };
            out.push(Problem {
                what: format!("{shown} is not {kind}"),
                fix: "remove it, then: sudo guard setup".into(),
            });
            continue;
        }
        if m.uid() != 0 || m.gid() != group {
            out.push(Problem {
                what: format!(
                    "{shown} is owned by {}:{}, not root:{group_name}",
                    m.uid(),
                    m.gid()
                ),
                fix: format!("sudo chown root:{group_name} {shown}"),
            });
        }
        let mode = m.permissions().mode() & 0o7777;
        if mode != w.mode {
            out.push(Problem {
                what: format!("{shown} has mode {mode:04o}, not {:04o}", w.mode),
                fix: format!("sudo chmod {:04o} {shown}", w.mode),
            });
        }
    }
    out
}

/// guard's group, if it exists.
pub fn group() -> Option<Gid> {
    Group::from_name(GROUP).ok().flatten().map(|g| g.gid)
}

pub fn run(args: &SetupArgs) -> Result<i32, Error> {
    if let Some(url) = &args.store {
        return store(url, args);
    }
    let bin_dir = args
        .bin_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin"));
    if args.check {
        return check(&bin_dir);
    }
    if !Uid::effective().is_root() {
        return Err(Error::Usage(
            "guard setup changes root's files: run it as root (`sudo guard setup`); `guard setup --check` only looks".into(),
        ));
    }
    let gid = ensure_group()?;
    install_binary(&bin_dir, gid)?;
    ensure_dir(Path::new(ETC), None, 0o755)?;
    ensure_file(Path::new(SYSTEM_CONFIG), TEMPLATE)?;
    ensure_file(Path::new(SIGNERS), SIGNERS_TEMPLATE)?;
    ensure_dir(Path::new(PROTECTED_STATE), Some(gid), 0o2770)?;
    for w in wanted(&bin_dir, gid) {
        fix(&w)?;
    }
    if args.shims {
        install_shims(&bin_dir)?;
    }
    let left = inspect(&wanted(&bin_dir, gid));
    for p in &left {
        eprintln!("guard: setup: still wrong: {}: {}", p.what, p.fix);
    }
    if !left.is_empty() {
        return Ok(1);
    }
    println!(
        "guard is installed protected: {} (setgid {GROUP}), {ETC}/, {PROTECTED_STATE}/\nnext: map each user to their principal under [principals] in {SYSTEM_CONFIG}, list the approvers' keys in {SIGNERS}, and keep the users guard runs for out of the `{GROUP}` group; `guard setup --check` and `guard doctor` show what is wrong",
        bin_dir.join("guard").display()
    );
    Ok(0)
}

/// `--store`: the team's database, its tables and the requester role, created or
/// upgraded as the administrator.
fn store(url: &str, args: &SetupArgs) -> Result<i32, Error> {
    let password = match &args.admin_password_file {
        Some(f) => Some(
            std::fs::read_to_string(f)
                .map_err(|e| Error::Io {
                    what: format!(
                        "cannot read the administrator's password file {}",
                        f.display()
                    ),
                    source: e,
                })?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        ),
        None => std::env::var("PGPASSWORD").ok(),
    };
    let did = crate::store::postgres::install(url, password, &args.role)?;
    println!("{did}");
    println!(
        "next: give {role} a password (ALTER ROLE {role} PASSWORD '...'), put it in a file only root and group {GROUP} read (install -m 0640 -g {GROUP} /dev/stdin /etc/guard/store.password), and name the database in {SYSTEM_CONFIG}:\n  [store]\n  url = \"postgresql://{role}@HOST:5432/DATABASE\"\n  password_file = \"/etc/guard/store.password\"",
        role = args.role
    );
    Ok(0)
}

/// Where `--shims` puts them, and the login-shell snippet that puts them first on PATH.
pub const SHIMS: &str = crate::settings::SYSTEM_SHIMS;
const PROFILE: &str = "/etc/profile.d/guard-shims.sh";

/// Root-owned shims to the installed guard, first on every login shell's PATH: a login
/// shell (Codex runs `bash -lc`) rebuilds PATH from /etc/profile, which reads
/// /etc/profile.d, so shims put on PATH before the agent started would be gone.
fn install_shims(bin_dir: &Path) -> Result<(), Error> {
    ensure_dir(Path::new(SHIMS), None, 0o755)?;
    let code = super::shim::install(
        &crate::cli::GlobalArgs::default(),
        Some(PathBuf::from(SHIMS)),
        Vec::new(),
        Some(bin_dir.join("guard")),
    )?;
    if code != 0 {
        return Err(Error::Usage(format!(
            "the shims in {SHIMS} are not all written"
        )));
    }
    let snippet = format!(
        "# guard's shims first on PATH (guard setup --shims)\ncase \":$PATH:\" in\n  *\":{SHIMS}:\"*) ;;\n  *) PATH=\"{SHIMS}:$PATH\"; export PATH ;;\nesac\n"
    );
    std::fs::write(PROFILE, snippet).map_err(|e| Error::Io {
        what: format!("cannot write {PROFILE}"),
        source: e,
    })?;
    set(Path::new(PROFILE), None, 0o644)
}

fn check(bin_dir: &Path) -> Result<i32, Error> {
    let Some(gid) = group() else {
        println!("FAIL  the `{GROUP}` group does not exist: sudo guard setup");
        return Ok(1);
    };
    let problems = inspect(&wanted(bin_dir, gid));
    for p in &problems {
        println!("FAIL  {}: {}", p.what, p.fix);
    }
    if problems.is_empty() {
        println!("OK    the protected install is as it should be");
        return Ok(0);
    }
    Ok(1)
}

/// The `guard` group, made if it is missing.
fn ensure_group() -> Result<Gid, Error> {
    if let Some(gid) = group() {
        return Ok(gid);
    }
    let made = crate::exec::command("groupadd")
        .args(["--system", GROUP])
        .status()
        .map_err(|e| Error::Io {
            what: "cannot run groupadd to make the `guard` group".into(),
            source: e,
        })?;
    match group() {
        Some(gid) if made.success() => Ok(gid),
        _ => Err(Error::Usage(format!(
            "groupadd --system {GROUP} failed ({made}): make the group yourself, then run guard setup again"
        ))),
    }
}

/// Copies the running binary to `bin_dir/guard` (unless it is that file), setgid to the
/// group, replacing any older one in one rename.
fn install_binary(bin_dir: &Path, gid: Gid) -> Result<(), Error> {
    let io = |what: String| move |e| Error::Io { what, source: e };
    let target = bin_dir.join("guard");
    let me = std::fs::canonicalize("/proc/self/exe")
        .map_err(io("cannot find guard's own binary".into()))?;
    std::fs::create_dir_all(bin_dir).map_err(io(format!("cannot create {}", bin_dir.display())))?;
    let same = std::fs::canonicalize(&target).is_ok_and(|t| t == me);
    if !same {
        let tmp = bin_dir.join(".guard.new");
        std::fs::copy(&me, &tmp).map_err(io(format!("cannot copy guard to {}", tmp.display())))?;
        set(&tmp, Some(gid), 0o2755)?;
        std::fs::rename(&tmp, &target)
            .map_err(io(format!("cannot install {}", target.display())))?;
    }
    Ok(())
}

fn ensure_dir(path: &Path, group: Option<Gid>, mode: u32) -> Result<(), Error> {
    std::fs::create_dir_all(path).map_err(|e| Error::Io {
        what: format!("cannot create {}", path.display()),
        source: e,
    })?;
    set(path, group, mode)
}

/// Writes `text` to a file that does not exist yet; an existing one is left as it is.
fn ensure_file(path: &Path, text: &str) -> Result<(), Error> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| Error::Io {
        what: format!("cannot write {}", path.display()),
        source: e,
    })?;
    set(path, None, 0o644)
}

/// Owner, group and mode as they should be (never following a link).
fn fix(w: &Want) -> Result<(), Error> {
    match std::fs::symlink_metadata(&w.path) {
        Ok(m) if !m.file_type().is_symlink() && m.is_dir() == w.dir => {
            set(&w.path, w.group, w.mode)
        }
        _ => Ok(()),
    }
}

fn set(path: &Path, group: Option<Gid>, mode: u32) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Io {
        what: format!("cannot set the owner and mode of {}", path.display()),
        source: e,
    };
    let gid = group.map_or(0, Gid::as_raw);
    std::os::unix::fs::lchown(path, Some(0), Some(gid)).map_err(io)?;
    // chown clears the set-group-ID bit: the mode comes after it.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io)
}

const TEMPLATE: &str = r#"# guard's system config (root's). In a protected install, where guard keeps its state
# and who each user is come only from here; with `lock = true` the users' own files may
# only make guard stricter.
lock = true

[approvals]
allowed_signers = "/etc/guard/allowed_signers"
# required = 1

# Each Unix user guard runs for, and their principal as written in allowed_signers:
# a signature by any key listed under that principal never approves their own request.
[principals]
# alice = "alice@example.com"
"#;

const SIGNERS_TEMPLATE: &str = "# The approvers: OpenSSH allowed_signers format, one key a line.\n# alice@example.com namespaces=\"guard-approval\" ssh-ed25519 AAAA...\n";
