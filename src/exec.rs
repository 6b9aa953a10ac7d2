//! Runs the child: finds it on PATH, starts it with guard's stdin, stdout, stderr and
//! terminal, forwards signals, and turns its end into guard's exit status.
//!
//! Signals the way `just` handles them: while the child runs, a Ctrl-C or Ctrl-\ at the
//! terminal already reaches the whole foreground process group, so guard catches SIGINT
//! and SIGQUIT only to outlive the child; SIGTERM and SIGHUP sent to guard alone are
//! forwarded to the child. Catching (not ignoring) means the child starts with the
//! default dispositions. A child killed by signal N makes guard exit 128+N.

use crate::error::Error;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, kill, sigaction};
use nix::unistd::Pid;
use std::ffi::{OsStr, OsString, c_int};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering};

/// The running child's pid, for the signal handler; 0 before it starts.
static CHILD: AtomicI32 = AtomicI32::new(0);
/// A forwardable signal that arrived before the child started.
static PENDING: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(sig: c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        if let Ok(signal) = Signal::try_from(sig) {
            // kill(2) is async-signal-safe; nothing here allocates.
            let _ = kill(Pid::from_raw(pid), signal);
        }
    } else {
        PENDING.store(sig, Ordering::SeqCst);
    }
}

extern "C" fn outlive(_sig: c_int) {}

/// Set by a Ctrl-C while guard waits for something (an approval).
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn note_interrupt(_sig: c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on a Ctrl-C (SIGINT) does not end guard: it is noted, for [`interrupted`].
pub fn catch_interrupt() {
    install(Signal::SIGINT, note_interrupt);
}

/// As [`catch_interrupt`], but a Ctrl-C also interrupts a read in progress (a person
/// answering a prompt), instead of the read going on.
pub fn catch_interrupt_now() {
    let action = SigAction::new(
        SigHandler::Handler(note_interrupt),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: as in `install`: the handler only touches atomics and calls kill(2).
    #[allow(unsafe_code)]
    let _ = unsafe { sigaction(Signal::SIGINT, &action) };
}

/// Whether a Ctrl-C came since [`catch_interrupt`].
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn install(signal: Signal, handler: extern "C" fn(c_int)) {
    let action = SigAction::new(
        SigHandler::Handler(handler),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: both handlers only touch atomics and call kill(2), which are
    // async-signal-safe; they are plain functions that live for the whole program.
    #[allow(unsafe_code)]
    let _ = unsafe { sigaction(signal, &action) };
}

/// A child process of `program`: every child guard starts is made here, so every one
/// gives up guard's group before it runs (see `privilege`).
pub fn command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    // SAFETY: between fork and exec the child only calls setresgid(2) and setrlimit(2),
    // which are async-signal-safe, and touches no memory shared with the parent.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(crate::privilege::drop_in_child);
    }
    cmd
}

/// Finds `program` the way a shell does: a name with a `/` is a path, anything else is
/// searched for in `PATH` (an empty entry is the current directory).
pub fn resolve(program: &OsStr, path_var: Option<&OsStr>) -> Result<PathBuf, Error> {
    let shown = program.to_string_lossy().into_owned();
    if program.as_bytes().contains(&b'/') {
        let p = PathBuf::from(program);
        return if p.exists() {
            Ok(p)
        } else {
            Err(Error::NotFound { program: shown })
        };
    }
    let mut found_not_executable = None;
    let skip_guard = !crate::binary::is_guard_name(program);
    for (candidate, m) in on_path(program, path_var) {
        // A shim (a link to guard itself) is never the program: the real one is further
        // along PATH, however often the shim directory is listed.
        if skip_guard && crate::binary::is_guard_binary(&m) {
            continue;
        }
        if is_executable(&m) {
            return Ok(candidate);
        }
        if m.is_file() {
            found_not_executable = Some(candidate);
        }
    }
    match found_not_executable {
        Some(p) => Err(Error::CannotExecute {
            program: p.display().to_string(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        }),
        None => Err(Error::NotFound { program: shown }),
    }
}

/// A child's standard input holding `bytes`: an unlinked temporary file rather than a
/// pipe, so a child that exits without reading it cannot end guard with SIGPIPE (which
/// guard keeps at its default, to end quietly on a closed stdout).
pub fn input_file(bytes: &[u8]) -> std::io::Result<std::fs::File> {
    use std::io::{Seek, Write};
    let path = std::env::temp_dir().join(format!(
        "guard-input-{}-{}",
        std::process::id(),
        crate::hex::random_id().unwrap_or_default()
    ));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    file.write_all(bytes)?;
    file.rewind()?;
    Ok(file)
}

/// Every file named `program` in the `PATH` entries, in order, with its metadata (an
/// empty entry is the current directory).
pub fn on_path<'a>(
    program: &'a OsStr,
    path_var: Option<&'a OsStr>,
) -> impl Iterator<Item = (PathBuf, std::fs::Metadata)> + 'a {
    std::env::split_paths(path_var.unwrap_or_default()).filter_map(move |dir| {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let candidate = dir.join(program);
        let m = candidate.metadata().ok()?;
        Some((candidate, m))
    })
}

/// What the first `name` on PATH is: a guard shim, another program, or nothing.
pub enum FirstOnPath {
    Shim(PathBuf),
    Program(PathBuf),
    Missing,
}

pub fn first_on_path(name: &str) -> FirstOnPath {
    let path = std::env::var_os("PATH");
    for (candidate, m) in on_path(OsStr::new(name), path.as_deref()) {
        if crate::binary::is_guard_binary(&m) {
            return FirstOnPath::Shim(candidate);
        }
        if is_executable(&m) {
            return FirstOnPath::Program(candidate);
        }
    }
    FirstOnPath::Missing
}

/// A regular file someone may execute.
pub fn is_executable(m: &std::fs::Metadata) -> bool {
    m.is_file() && m.permissions().mode() & 0o111 != 0
}

/// Runs `argv` (found with [`resolve`], never a shim) with stdin closed and captures its
/// standard output, for reading a plan. A child that runs longer than `timeout` is
/// killed; a non-zero exit is an error carrying the first line of its stderr.
pub fn capture(
    argv: &[OsString],
    env: &[(String, String)],
    timeout: std::time::Duration,
) -> Result<Vec<u8>, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("nothing to run".into());
    };
    let path = resolve(program, std::env::var_os("PATH").as_deref()).map_err(|e| e.to_string())?;
    let mut cmd = command(&path);
    cmd.arg0(program)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)));
    let (status, stdout, stderr) = bounded(&mut cmd, timeout)?;
    if !status.success() {
        let first = String::from_utf8_lossy(&stderr)
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .trim()
            .to_string();
        return Err(format!(
            "exited with status {}: {first}",
            exit_status(status)
        ));
    }
    Ok(stdout)
}

/// [`bounded`], with `input` on the child's standard input.
pub fn bounded_with_input(
    cmd: &mut Command,
    input: std::fs::File,
    timeout: std::time::Duration,
) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), String> {
    run_bounded(cmd, std::process::Stdio::from(input), timeout)
}

/// Runs `cmd` with stdin closed, in a process group of its own, and collects its output.
/// Both pipes are drained on threads, so a large output cannot fill a pipe and stall;
/// past `timeout` the whole group is killed (helpers it started too) and it is an error.
pub fn bounded(
    cmd: &mut Command,
    timeout: std::time::Duration,
) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), String> {
    run_bounded(cmd, std::process::Stdio::null(), timeout)
}

fn run_bounded(
    cmd: &mut Command,
    stdin: std::process::Stdio,
    timeout: std::time::Duration,
) -> Result<(std::process::ExitStatus, Vec<u8>, Vec<u8>), String> {
    use std::io::Read;
    use std::process::Stdio;
    fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    }
    let mut child = cmd
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", cmd.get_program().to_string_lossy()))?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > timeout => {
                if let Ok(pid) = i32::try_from(child.id()) {
                    let _ = kill(Pid::from_raw(-pid), Signal::SIGKILL);
                }
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {}s", timeout.as_secs()));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(2)),
            Err(e) => return Err(format!("failed: {e}")),
        }
    };
    Ok((
        status,
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    ))
}

/// Runs `argv` (argv[0] found with [`resolve`]) and returns the exit status guard should
/// exit with.
/// `env` is added to the child's environment.
pub fn run(argv: &[OsString], env: &[(&str, String)]) -> Result<i32, Error> {
    let Some((program, args)) = argv.split_first() else {
        return Err(Error::Usage("no program to run after `--`".into()));
    };
    let path = resolve(program, std::env::var_os("PATH").as_deref())?;
    run_path(&path, program, args, env)
}

/// Replaces this process with the program (an allowed command a shim passes on, with no
/// record to write after it): no second process, no wait. Returns only on failure.
pub fn replace(argv: &[OsString]) -> Error {
    use std::os::unix::process::CommandExt;
    let Some((program, args)) = argv.split_first() else {
        return Error::Usage("no program to run".into());
    };
    let path = match resolve(program, std::env::var_os("PATH").as_deref()) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let source = command(&path).arg0(program).args(args).exec();
    match source.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            program: path.display().to_string(),
        },
        _ => Error::CannotExecute {
            program: path.display().to_string(),
            source,
        },
    }
}

/// Runs a shell string with `$GUARD_SHELL` (default `/bin/sh`) `-c STRING`.
pub fn run_shell(text: &str, env: &[(&str, String)]) -> Result<i32, Error> {
    let shell = std::env::var_os("GUARD_SHELL")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/bin/sh".into());
    run(&[shell, "-c".into(), text.into()], env)
}

/// Runs the file at `path` with `arg0` and `args`, forwarding signals.
pub fn run_path(
    path: &Path,
    arg0: &OsStr,
    args: &[OsString],
    env: &[(&str, String)],
) -> Result<i32, Error> {
    install(Signal::SIGINT, outlive);
    install(Signal::SIGQUIT, outlive);
    install(Signal::SIGTERM, forward);
    install(Signal::SIGHUP, forward);
    // A SIGTERM or SIGHUP that came before the child exists means: do not start it.
    let early = PENDING.swap(0, Ordering::SeqCst);
    if early != 0 {
        return Ok(128 + early);
    }
    let mut child = command(path)
        .arg0(arg0)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound {
                program: path.display().to_string(),
            },
            _ => Error::CannotExecute {
                program: path.display().to_string(),
                source,
            },
        })?;
    let pid = i32::try_from(child.id()).unwrap_or(0);
    CHILD.store(pid, Ordering::SeqCst);
    let pending = PENDING.swap(0, Ordering::SeqCst);
    if pending != 0 {
        forward(pending);
    }
    let status = child.wait().map_err(|source| Error::CannotExecute {
        program: path.display().to_string(),
        source,
    })?;
    CHILD.store(0, Ordering::SeqCst);
    Ok(exit_status(status))
}

/// The status a shell would report: the exit code, or 128+N for signal N.
pub fn exit_status(status: std::process::ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(sig)) => 128 + sig,
        (None, None) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_like_a_shell() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("tool");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let noexec = dir.path().join("data");
        std::fs::write(&noexec, "").unwrap();
        let path = std::env::join_paths(["/nonexistent", dir.path().to_str().unwrap()]).unwrap();
        assert_eq!(resolve(OsStr::new("tool"), Some(&path)).unwrap(), exe);
        assert!(matches!(
            resolve(OsStr::new("data"), Some(&path)),
            Err(Error::CannotExecute { .. })
        ));
        assert!(matches!(
            resolve(OsStr::new("nope"), Some(&path)),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            resolve(OsStr::new("./nope"), Some(&path)),
            Err(Error::NotFound { .. })
        ));
    }
}
