//! Telling people a request is waiting or a breaker opened (`[notify]`): each command is
//! run with the event as JSON on stdin, and each webhook gets it POSTed as JSON with a
//! Slack-compatible `text`. Both are bounded in time; a notifier that fails or hangs is a
//! warning on stderr, never a pass and never a refusal.

use crate::gate::Notice;
use crate::settings::Notify;
use serde_json::{Value, json};
use std::time::Duration;

/// How long one notifier may take.
const BOUND: Duration = Duration::from_secs(5);

/// The event as JSON, with a one-line `text` for a chat.
fn event(n: &Notice) -> Value {
    match n {
        Notice::Request(r) => json!({
            "event": "request",
            "text": format!(
                "guard: {} asks to run `{}` in {} ({}); an approver runs: guard approve {}",
                r.requester,
                crate::approval::verify::show(&r.command),
                r.cwd,
                r.rules.iter().map(|x| x.id.as_str()).collect::<Vec<_>>().join(", "),
                r.id()
            ),
            "id": r.id(),
            "code": r.code(),
            "request": r,
        }),
        Notice::Breaker { key, why } => json!({
            "event": "breaker",
            "text": format!("guard: the circuit breaker opened for {key}: {why}; a person resets it with `guard breaker reset`"),
            "key": key,
            "why": why,
        }),
    }
}

/// Sends the event to every notifier.
pub fn send(config: &Notify, n: &Notice) {
    if config.commands.is_empty() && config.webhooks.is_empty() {
        return;
    }
    let body = event(n).to_string();
    for argv in &config.commands {
        if let Err(why) = run(argv, &body) {
            eprintln!(
                "guard: warning: the notify command `{}` failed: {why}",
                argv.join(" ")
            );
        }
    }
    for url in &config.webhooks {
        if let Err(why) = post(url, &body) {
            eprintln!("guard: warning: the notify webhook {url} failed: {why}");
        }
    }
}

fn run(argv: &[String], body: &str) -> Result<(), String> {
    let Some((program, args)) = argv.split_first() else {
        return Ok(());
    };
    let input = crate::exec::input_file(body.as_bytes()).map_err(|e| e.to_string())?;
    let mut cmd = crate::exec::command(program);
    cmd.args(args);
    let (status, _, stderr) = crate::exec::bounded_with_input(&mut cmd, input, BOUND)?;
    if status.success() {
        Ok(())
    } else {
        let first = String::from_utf8_lossy(&stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        Err(format!("{status}: {first}"))
    }
}

fn post(url: &str, body: &str) -> Result<(), String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(BOUND))
        .build()
        .into();
    agent
        .post(url)
        .header("Content-Type", "application/json")
        .send(body)
        .map(|_| ())
        .map_err(|e| e.to_string())
}
