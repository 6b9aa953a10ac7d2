//! The circuit breaker through the real binary: counting refusals in a sliding window
//! (moved with the debug-only `GUARD_NOW` clock, never with sleeps), opening, what an open
//! breaker lets through, parallel guards counting under the lock, a corrupt state, and
//! who may reset it.

use crate::util::{GUARD, Sandbox};

const T0: u64 = 1_800_000_000;

fn sandbox(limits: &str) -> Sandbox {
    let s = Sandbox::new();
    s.user_config(&format!("[breaker]\n{limits}"));
    s
}

/// An agent's `guard -- ARGV` at time `now`.
fn agent(s: &Sandbox, now: u64, argv: &[&str]) -> crate::util::Out {
    s.guard()
        .env("GUARD_AGENT", "test")
        .env("GUARD_NOW", now.to_string())
        .args(["--"])
        .args(argv)
        .run()
}

fn status(s: &Sandbox, now: u64) -> serde_json::Value {
    s.guard()
        .env("GUARD_NOW", now.to_string())
        .args(["breaker", "status", "--json"])
        .run()
        .expect_code(0)
        .json()
}

fn refusals(v: &serde_json::Value, key: &str) -> u64 {
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == key)
        .map_or(0, |k| k["refusals"].as_u64().unwrap())
}

const DESTROY: &[&str] = &["terraform", "destroy"];

#[test]
fn refusals_up_to_the_limit_keep_it_closed_and_one_more_opens_it() {
    let s = sandbox("max_refusals = 3\n");
    for i in 0..3 {
        let out = agent(&s, T0 + i, DESTROY).expect_code(77);
        assert!(
            !out.stderr().contains("circuit breaker"),
            "{}",
            out.stderr()
        );
    }
    let v = status(&s, T0 + 3);
    assert_eq!(v["open"], false);
    assert_eq!(refusals(&v, "agent:test"), 3);
    agent(&s, T0 + 4, DESTROY).expect_code(77).stderr_has(
        "the circuit breaker opened for agent:test: 4 refused commands within 15m (the limit is 3)",
    );
    let v = status(&s, T0 + 5);
    assert_eq!(v["open"], true);
    assert_eq!(v["opened_at"], guard::time::rfc3339(T0 + 4));
    assert_eq!(v["window"], "15m");
    // Open: read-only commands run, anything above allow is refused outright.
    let out = agent(&s, T0 + 6, &["ls"]).expect_code(0);
    assert_eq!(out.stderr(), "");
    agent(&s, T0 + 7, &["git", "push", "-f"])
        .expect_code(77)
        .stderr_has("the circuit breaker is open for agent:test since");
    assert_eq!(refusals(&status(&s, T0 + 8), "agent:test"), 5);
    // The agent acts with the person's identity: the principal's breaker opened too.
    s.guard()
        .env("GUARD_NOW", (T0 + 9).to_string())
        .args(["--non-interactive", "--", "terraform", "destroy"])
        .run()
        .expect_code(77)
        .stderr_has("the circuit breaker is open for");
}

/// A new session name for every attempt does not dodge the count: the principal's
/// breaker counts them all.
#[test]
fn changing_the_session_does_not_dodge_the_breaker() {
    let s = sandbox("max_refusals = 3\n");
    for i in 0..3 {
        s.guard()
            .env("GUARD_AGENT", format!("agent{i}"))
            .env("GUARD_AGENT_SESSION", format!("s{i}"))
            .args(["--", "terraform", "destroy"])
            .run()
            .expect_code(77);
    }
    s.guard()
        .env("GUARD_AGENT", "agent9")
        .env("GUARD_AGENT_SESSION", "s9")
        .args(["--", "terraform", "destroy"])
        .run()
        .expect_code(77)
        .stderr_has("4 refused commands within 15m");
    // Opening is on the audit record.
    let log = std::fs::read_to_string(s.path("home/.local/state/guard/audit.jsonl")).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("\"kind\":\"breaker\"") && l.contains("\"gate\":\"open\"")),
        "{log}"
    );
}

#[test]
fn check_is_a_question_and_never_counts() {
    let s = sandbox("max_refusals = 1\n");
    for _ in 0..5 {
        s.guard()
            .env("GUARD_AGENT", "test")
            .args(["check", "--", "terraform", "destroy"])
            .run()
            .expect_code(3);
    }
    let v = status(&s, T0);
    assert_eq!(v["open"], false);
    assert_eq!(refusals(&v, "agent:test"), 0);
}

#[test]
fn the_window_slides() {
    let s = sandbox("max_refusals = 2\nwindow = \"15m\"\n");
    agent(&s, T0, DESTROY);
    agent(&s, T0 + 10, DESTROY);
    assert_eq!(refusals(&status(&s, T0 + 11), "agent:test"), 2);
    // 15 minutes on, the first no longer counts.
    assert_eq!(refusals(&status(&s, T0 + 905), "agent:test"), 1);
    agent(&s, T0 + 905, DESTROY);
    assert_eq!(status(&s, T0 + 905)["open"], false);
    agent(&s, T0 + 906, DESTROY).stderr_has("circuit breaker opened");
}

#[test]
fn parallel_guards_count_exactly() {
    let s = sandbox("max_refusals = 100\n");
    let children: Vec<_> = (0..8)
        .map(|_| {
            let mut c = s.command(GUARD);
            c.env("GUARD_AGENT", "test")
                .args(["--", "terraform", "destroy"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            c.spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(77));
    }
    let v = s.guard().args(["breaker", "status", "--json"]).run().json();
    assert_eq!(refusals(&v, "agent:test"), 8, "{v}");
}

#[test]
fn a_corrupt_state_is_rebuilt_from_the_log_or_fails_closed() {
    let s = sandbox("max_refusals = 5\n");
    agent(&s, T0, DESTROY);
    agent(&s, T0 + 1, DESTROY);
    let state = s.path("home/.local/state/guard/breaker.json");
    std::fs::write(&state, "{\"version\": 1, \"keys\": {\"agent:test\"").unwrap();
    // The audit log remembers the two refusals.
    let v = status(&s, T0 + 2);
    assert_eq!(
        (v["open"].clone(), refusals(&v, "agent:test")),
        (false.into(), 2)
    );
    // A corrupt state and a log that has been tampered with: open for everyone.
    std::fs::write(&state, "garbage").unwrap();
    let log = s.path("home/.local/state/guard/audit.jsonl");
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::write(
        &log,
        text.replacen("terraform destroy", "terraform plan", 1),
    )
    .unwrap();
    let v = status(&s, T0 + 3);
    assert_eq!(v["open"], true, "{v}");
    let why = v["why"].as_str().unwrap();
    assert!(
        why.contains("is corrupt") && why.contains("hash chain breaks at line 1"),
        "{why}"
    );
    s.guard()
        .args(["--non-interactive", "--", "git", "push", "-f"])
        .run()
        .expect_code(77)
        .stderr_has("the circuit breaker is open for");
    s.guard().args(["--", "true"]).run().expect_code(0);
}

#[test]
fn only_a_person_resets_it() {
    let s = sandbox("max_refusals = 1\n");
    agent(&s, T0, DESTROY);
    agent(&s, T0 + 1, DESTROY).stderr_has("opened");
    // Not an agent, not CI, not without a terminal: each gets the request instead.
    for (var, value, why) in [
        ("GUARD_AGENT", "test", "by an agent (test)"),
        ("CI", "true", "none can be asked here"),
    ] {
        let out = s
            .guard()
            .env(var, value)
            .args(["breaker", "reset"])
            .run()
            .expect_code(77);
        assert!(out.stderr().contains(why), "{}", out.stderr());
        assert!(out.stderr().contains("guard approve guard-request-v1."));
        if var != "CI" {
            assert!(
                out.stderr()
                    .contains("guard --approval TOKEN breaker reset")
            );
        }
    }
    s.guard()
        .args(["--non-interactive", "breaker", "reset"])
        .run()
        .expect_code(77);
    assert_eq!(status(&s, T0 + 2)["open"], true);
    // A person at a terminal types `reset`.
    let mut p = crate::confirm::spawn(&s, "GUARD breaker reset; echo \"exit=$?\"");
    p.exp_string("open for agent:test since").unwrap();
    p.exp_string("Type `reset` to close it").unwrap();
    p.send_line("reset").unwrap();
    p.exp_string("closed again for agent:test").unwrap();
    p.exp_string("exit=0").unwrap();
    let v = status(&s, T0 + 3);
    assert_eq!(v["open"], false);
    assert_eq!(refusals(&v, "agent:test"), 0, "the counts start again");
    let log = std::fs::read_to_string(s.path("home/.local/state/guard/audit.jsonl")).unwrap();
    let reset = log
        .lines()
        .find(|l| l.contains("\"kind\":\"breaker\"") && l.contains("\"gate\":\"reset\""))
        .unwrap_or_else(|| panic!("no reset record: {log}"));
    assert!(reset.contains("confirmed by"), "{reset}");
    // A wrong answer leaves it as it was.
    agent(&s, T0 + 4, DESTROY);
    agent(&s, T0 + 5, DESTROY);
    let mut p = crate::confirm::spawn(&s, "GUARD breaker reset; echo \"exit=$?\"");
    p.exp_string("Type `reset`").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("exit=77").unwrap();
    assert_eq!(status(&s, T0 + 6)["open"], true);
}

/// The agent hooks count their denials per session and deny everything above allow
/// once that session's breaker is open.
#[test]
fn agent_hook_sessions_have_their_own_breaker() {
    let s = sandbox("max_refusals = 1\n");
    let call = |session: &str, command: &str| {
        let payload = serde_json::json!({
            "session_id": session,
            "hook_event_name": "PreToolUse",
            "tool_name": "Bash",
            "tool_input": { "command": command }
        });
        let out = s
            .guard()
            .args(["hook", "claude-code"])
            .run_with_input(payload.to_string().as_bytes());
        if out.stdout().is_empty() {
            return ("allow".to_string(), String::new());
        }
        crate::util::pretooluse_answer(&out.stdout())
    };
    assert_eq!(call("s1", "rm -rf /").0, "deny");
    assert_eq!(call("s1", "rm -rf /").0, "deny");
    let (d, reason) = call("s1", "git push -f");
    assert_eq!(d, "deny", "an open breaker denies even what would be asked");
    assert!(
        reason.contains("circuit breaker is open for agent:claude-code/s1"),
        "{reason}"
    );
    assert_eq!(call("s1", "ls").0, "allow");
    // Every session of the same person is stopped too: the principal's breaker opened
    // with the same count.
    let (d, reason) = call("s2", "git push -f");
    assert_eq!(d, "deny");
    assert!(reason.contains("circuit breaker is open for"), "{reason}");
    let v = s.guard().args(["breaker", "status", "--json"]).run().json();
    let open: Vec<&str> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["open"] == true)
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    assert!(open.contains(&"agent:claude-code/s1"), "{v}");
    assert_eq!(open.len(), 2, "the session and the principal: {v}");
}

/// `guard log` shows the breaker opening and being reset among the decisions.
#[test]
fn the_log_shows_the_breaker() {
    let s = sandbox("max_refusals = 1\n");
    agent(&s, T0, DESTROY);
    agent(&s, T0 + 1, DESTROY);
    let out = s
        .guard()
        .args(["log", "--decision", "breaker"])
        .run()
        .expect_code(0);
    let text = out.stdout();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(
        rows.len(),
        2,
        "the agent's key and the principal's: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.contains(" breaker ") && r.contains(" open "))
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("agent:test: 2 refused commands"))
    );
}
