//! Codex runs a user's hook only once it is trusted, and skips an untrusted one without
//! a word. Trust is recorded the way Codex's own /hooks panel records it, through its
//! app server (`codex app-server`, JSON-RPC on stdio): `hooks/list` gives each hook's
//! trust status and current hash, `config/batchWrite` saves the hash as trusted. When
//! that cannot be done, install says so and does not report success.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::time::Duration;

/// Records trust for guard's hook; returns install's exit status.
pub fn trust(hooks_file: &std::path::Path) -> i32 {
    let cwd = std::env::current_dir().unwrap_or_default();
    match record(&cwd) {
        Ok(()) => {
            eprintln!("guard: Codex trusts the hook (recorded as its /hooks panel does)");
            0
        }
        Err(why) => {
            eprintln!(
                "guard: the hook is in {}, but Codex runs a user hook only once it is trusted, and guard could not record that ({why}). Until then Codex skips it: open Codex, trust guard's hook in /hooks, and check with `guard doctor`; or install it managed with `sudo guard install codex --system`",
                hooks_file.display()
            );
            1
        }
    }
}

/// Whether guard's hook is trusted, as Codex sees it (for `guard doctor`).
pub fn status(cwd: &std::path::Path) -> Result<Vec<(String, String)>, String> {
    let mut s = Server::start(cwd)?;
    s.initialize()?;
    Ok(
        guard_hooks(&s.call("hooks/list", json!({ "cwds": [cwd] }))?)
            .into_iter()
            .map(|h| (h.key, h.status))
            .collect(),
    )
}

fn record(cwd: &std::path::Path) -> Result<(), String> {
    let mut s = Server::start(cwd)?;
    s.initialize()?;
    let list = s.call("hooks/list", json!({ "cwds": [cwd] }))?;
    let hooks = guard_hooks(&list);
    if hooks.is_empty() {
        return Err("Codex does not list guard's hook".into());
    }
    let state: serde_json::Map<String, Value> = hooks
        .iter()
        .filter(|h| h.status != "trusted" && h.status != "managed")
        .map(|h| (h.key.clone(), json!({ "trusted_hash": h.hash })))
        .collect();
    if !state.is_empty() {
        s.call(
            "config/batchWrite",
            json!({ "edits": [{ "keyPath": "hooks.state", "mergeStrategy": "upsert", "value": state }],
                    "reloadUserConfig": false }),
        )?;
    }
    let after = guard_hooks(&s.call("hooks/list", json!({ "cwds": [cwd] }))?);
    match after
        .iter()
        .find(|h| h.status != "trusted" && h.status != "managed")
    {
        Some(h) => Err(format!("Codex still lists it as {}", h.status)),
        None => Ok(()),
    }
}

struct Listed {
    key: String,
    status: String,
    hash: String,
}

/// guard's hooks in a `hooks/list` answer.
fn guard_hooks(list: &Value) -> Vec<Listed> {
    list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|entry| entry["hooks"].as_array().cloned().unwrap_or_default())
        .filter(|h| {
            h["command"]
                .as_str()
                .is_some_and(|c| c.contains("hook codex"))
        })
        .map(|h| Listed {
            key: h["key"].as_str().unwrap_or_default().to_string(),
            status: h["trustStatus"].as_str().unwrap_or_default().to_string(),
            hash: h["currentHash"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// A running `codex app-server`, answering on its stdout.
struct Server {
    child: std::process::Child,
    input: std::process::ChildStdin,
    answers: std::sync::mpsc::Receiver<String>,
    next: u64,
}

impl Server {
    fn start(cwd: &std::path::Path) -> Result<Server, String> {
        use std::process::Stdio;
        let mut child = crate::exec::command("codex")
            .arg("app-server")
            .current_dir(cwd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run `codex app-server`: {e}"))?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("no pipes to codex app-server".into());
        };
        let (tx, answers) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Server {
            child,
            input,
            answers,
            next: 0,
        })
    }

    fn initialize(&mut self) -> Result<(), String> {
        self.call(
            "initialize",
            json!({ "clientInfo": { "name": "guard", "version": env!("CARGO_PKG_VERSION") } }),
        )?;
        self.send(&json!({ "method": "initialized" }))
    }

    fn send(&mut self, v: &Value) -> Result<(), String> {
        writeln!(self.input, "{v}")
            .and_then(|()| self.input.flush())
            .map_err(|e| format!("codex app-server stopped reading: {e}"))
    }

    fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.next += 1;
        let id = self.next;
        self.send(&json!({ "id": id, "method": method, "params": params }))?;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let line = self
                .answers
                .recv_timeout(left)
                .map_err(|_| format!("codex app-server did not answer {method}"))?;
            let Ok(m) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            if m["id"] == json!(id) {
                if let Some(e) = m.get("error") {
                    return Err(format!("{method} failed: {e}"));
                }
                return Ok(m["result"].clone());
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
