//! The `guard` binary: parse the command line, run, map the outcome to an exit code.
//!
//! guard runs before every command an agent issues, so it starts without Rust's runtime
//! set-up (`no_main`): that set-up finds the main thread's stack guard by reading and
//! scanning `/proc/self/maps`, a tenth of what `guard check` costs. Arguments still come
//! from `std::env` (glibc hands them to the standard library before `main`), output is
//! flushed by `process::exit`, SIGPIPE is set below, and a stack overflow still ends
//! guard at the kernel's guard page, with SIGSEGV instead of a message.
#![no_main]

use clap::Parser;
use guard::error::Error;
use guard::exit_code::ExitCode;

/// The C entry point; `argc` and `argv` are read through `std::env::args_os`.
// SAFETY: the one symbol named `main` in the binary, with the signature the C runtime
// calls; it never unwinds (guard's panic hook exits, and release builds abort).
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    run()
}

fn run() -> ! {
    // Before anything else: whether guard runs with its own group, and no core dumps if so.
    guard::privilege::init();
    restore_sigpipe();
    // Started through a shim (a link named after the program): NAME ARGS is the command.
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_default();
    let result = if let Some(name) = guard::app::shim::invoked_as(&arg0) {
        guard::app::shim::run(std::iter::once(name).chain(args).collect())
    } else {
        let raw: Vec<std::ffi::OsString> = args.collect();
        match guard::cli::quick::parse(&raw) {
            Some(cli) => guard::app::run(cli),
            None => parse_with_clap(&raw),
        }
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            let kind = if matches!(e, Error::Refused(_)) {
                "refused"
            } else {
                "error"
            };
            // Messages quote argv, config text and token fields: every line is
            // sanitised here, at the edge, so nothing can paint the terminal.
            let text = e.to_string();
            let lines: Vec<_> = text.lines().map(guard::sanitize::sanitize).collect();
            let ctx = guard::context::Context::detect(false);
            if ctx.ci && kind == "refused" {
                // A CI log gets one line, and GitHub Actions an error annotation.
                let line = guard::report::one_line(&lines.join("\n"));
                eprintln!("guard: refused: {line}");
                if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
                    println!(
                        "{}",
                        guard::report::github_error("guard refused a command", &line)
                    );
                }
            } else {
                eprintln!("guard: {kind}: {}", lines.join("\n"));
            }
            e.exit_code().code()
        }
    };
    std::process::exit(code);
}

/// Every command line but the few `cli::quick` reads: the help for `guard` alone, a
/// did-you-mean for a mistyped subcommand, else clap's reading and clap's errors.
fn parse_with_clap(raw: &[std::ffi::OsString]) -> Result<i32, Error> {
    let words: Vec<String> = raw
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // `guard` alone: the help, not an error.
    if words.is_empty() {
        let _ = <guard::cli::Cli as clap::CommandFactory>::command().print_help();
        std::process::exit(0);
    }
    if let Some(hint) = guard::shell::own::did_you_mean(&words) {
        eprintln!("guard: error: {}", guard::sanitize::sanitize(&hint));
        std::process::exit(ExitCode::Usage.code());
    }
    match guard::cli::Cli::try_parse() {
        Ok(cli) => guard::app::run(cli),
        Err(e) => {
            let _ = e.print();
            let code = if e.use_stderr() {
                ExitCode::Usage.code()
            } else {
                0
            };
            std::process::exit(code);
        }
    }
}

/// Rust ignores SIGPIPE, so `guard rules list | head` would panic on a closed pipe;
/// like other command-line tools, guard is ended by it quietly instead. The child gets
/// the default disposition either way.
fn restore_sigpipe() {
    use nix::sys::signal::{SigHandler, Signal, signal};
    // SAFETY: setting a signal to its default disposition at start-up, before any other
    // thread exists, installs no handler code.
    #[allow(unsafe_code)]
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}
