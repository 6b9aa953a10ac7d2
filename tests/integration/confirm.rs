//! The confirmation prompt, through a real pseudo-terminal: the answer is read from the
//! controlling terminal, never from stdin.

use crate::util::{GUARD, Sandbox};
use rexpect::session::{PtySession, spawn_command};

const RULE: &str = r#"
[[rules]]
id = "test.touch"
tools = ["touch"]
severity = "confirm"
reason = "creates a file"
suggestion = "ls first"
target = ["arg:1"]
"#;

/// guard under a pty, as a person at a terminal would run it.
pub fn spawn(s: &Sandbox, shell_line: &str) -> PtySession {
    // Run through sh so a test can pipe into guard's stdin while /dev/tty is the pty.
    let mut sh = s.command("sh");
    // `GUARD ` (the word) stands for the binary; `GUARD_...` variables are left alone.
    sh.arg("-c")
        .arg(shell_line.replace("GUARD ", &format!("{GUARD} ")));
    spawn_command(sh, Some(10_000)).unwrap()
}

#[test]
fn typing_the_target_runs_the_command() {
    let s = Sandbox::new();
    s.user_config(RULE);
    let mut p = spawn(&s, "GUARD -- touch target-file; echo \"exit=$?\"");
    p.exp_string("needs your confirmation").unwrap();
    p.exp_string("rule:    test.touch (confirm): creates a file")
        .unwrap();
    p.exp_string("safer: ls first").unwrap();
    p.exp_string("Type `target-file` to run it").unwrap();
    p.send_line("target-file").unwrap();
    p.exp_string("exit=0").unwrap();
    assert!(s.work().join("target-file").exists());
}

#[test]
fn a_wrong_answer_refuses_and_nothing_runs() {
    let s = Sandbox::new();
    s.user_config(RULE);
    let mut p = spawn(&s, "GUARD -- touch target-file; echo \"exit=$?\"");
    p.exp_string("Type `target-file`").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("not confirmed").unwrap();
    p.exp_string("exit=77").unwrap();
    assert!(!s.work().join("target-file").exists());
}

#[test]
fn piped_stdin_does_not_confirm() {
    let s = Sandbox::new();
    s.user_config(RULE);
    // stdin says the right answer; the prompt still waits on the terminal.
    let mut p = spawn(
        &s,
        "echo target-file | GUARD -- touch target-file; echo \"exit=$?\"",
    );
    p.exp_string("Type `target-file`").unwrap();
    p.send_line("no").unwrap();
    p.exp_string("exit=77").unwrap();
    assert!(!s.work().join("target-file").exists());
}

#[test]
fn yes_is_asked_when_the_rule_names_no_target() {
    let s = Sandbox::new();
    let mut p = spawn(&s, "GUARD -- git push --force; echo \"exit=$?\"");
    // `git push --force` names no branch to type, so the answer is `yes`.
    p.exp_string("Type `yes` to run it").unwrap();
    p.send_line("yes").unwrap();
    // It ran: git itself complains that this is not a repository.
    p.exp_string("exit=128").unwrap();
}

#[test]
fn an_agent_at_a_terminal_is_still_refused() {
    let s = Sandbox::new();
    s.user_config(RULE);
    let mut p = spawn(
        &s,
        "CLAUDECODE=1 GUARD -- touch target-file; echo \"exit=$?\"",
    );
    p.exp_string("an agent (claude-code) cannot confirm for a person")
        .unwrap();
    p.exp_string("exit=77").unwrap();
    assert!(!s.work().join("target-file").exists());
}

/// The pty trick: an agent runs guard inside `script` (a terminal it holds) with its own
/// variable unset and types the answer. guard sees the agent's executable above it in
/// the process tree and asks nobody.
#[test]
fn a_terminal_inside_an_agents_process_tree_confirms_nothing() {
    let s = Sandbox::new();
    s.user_config(RULE);
    // `claude` here is bash under the agent's name (exec -a), as Claude Code would be.
    let line = format!(
        "exec -a claude bash -c \"printf 'target-file\\n' | env -u CLAUDECODE script -qec '{GUARD} -- touch target-file' /dev/null; echo exit=\\$?\""
    );
    let out = s.command("bash").args(["-c", &line]).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("an agent (claude-code) cannot confirm"),
        "{text}"
    );
    assert!(text.contains("exit=77"), "{text}");
    assert!(!s.work().join("target-file").exists(), "nothing ran");
    // The same without the agent above it: the person's answer runs it.
    let line = format!(
        "printf 'target-file\\n' | script -qec '{GUARD} -- touch target-file' /dev/null; echo exit=$?"
    );
    let out = s.command("bash").args(["-c", &line]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("exit=0"), "{text}");
    assert!(s.work().join("target-file").exists());
}

/// On a terminal that names its type, the prompt is coloured: what is asked, each rule,
/// the word to type. NO_COLOR turns it off (the other tests run with it).
#[test]
fn the_prompt_is_coloured_on_a_terminal() {
    let s = Sandbox::new();
    s.user_config(RULE);
    let mut p = spawn(
        &s,
        "unset NO_COLOR; TERM=xterm GUARD -- touch target-file; echo \"exit=$?\"",
    );
    p.exp_string("\x1b[33mguard: this command needs your confirmation")
        .unwrap();
    p.exp_string("Type `\x1b[1mtarget-file\x1b[0m`").unwrap();
    p.send_line("no").unwrap();
    p.exp_string("exit=77").unwrap();
}

/// Ctrl-C at the prompt cancels the command, on the record, and ends guard as a Ctrl-C
/// does (130).
#[test]
fn ctrl_c_at_the_prompt_is_on_the_record() {
    let s = Sandbox::new();
    s.user_config(RULE);
    // The shell around guard ignores the Ctrl-C, so it can report how guard ended.
    let mut p = spawn(
        &s,
        "trap '' INT; GUARD -- touch target-file; echo \"exit=$?\"",
    );
    p.exp_string("Type `target-file`").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("exit=130").unwrap();
    assert!(!s.work().join("target-file").exists());
    let log = s.guard().args(["log", "--json"]).run().stdout();
    assert!(log.contains("\"gate\":\"refused\""), "{log}");
}

/// A person who cancels prompts at their own terminal is not an agent pushing: their
/// cancels do not count towards the circuit breaker.
#[test]
fn a_persons_own_cancels_do_not_open_the_breaker() {
    let s = Sandbox::new();
    s.user_config(&format!("{RULE}\n[breaker]\nmax_refusals = 1\n"));
    for _ in 0..3 {
        let mut p = spawn(&s, "GUARD -- touch target-file; echo \"exit=$?\"");
        p.exp_string("Type `target-file`").unwrap();
        p.send_line("no").unwrap();
        p.exp_string("exit=77").unwrap();
    }
    let v = s.guard().args(["breaker", "status", "--json"]).run().json();
    assert_eq!(v["open"], false, "{v}");
    // The same refusals from an agent open it.
    for _ in 0..2 {
        s.guard()
            .env("CLAUDECODE", "1")
            .args(["--", "touch", "target-file"])
            .run()
            .expect_code(77);
    }
    let v = s.guard().args(["breaker", "status", "--json"]).run().json();
    assert_eq!(v["open"], true, "{v}");
}
