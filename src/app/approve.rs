//! `guard request`, `guard approve --list` and `guard approve ID|CODE`. A request is
//! posted to the inbox; an approver lists what waits for them, reviews one by its id (or
//! its whole code, for machines that share no state) and signs it with their own key;
//! the token goes back into the inbox for the requester's next run, and to stdout.

use super::wiring::evaluate;
use crate::analysis::{Evaluation, Input};
use crate::approval::request::{self, describe, how_to_approve};
use crate::approval::{Request, Token};
use crate::cli::{ApproveArgs, RequestArgs};
use crate::config::Invocation;
use crate::decision::Decision;
use crate::error::Error;
use crate::sanitize::sanitize;
use crate::store::Store;
use crate::time::format_time;
use std::io::{BufRead, Read, Write};

/// `guard request`.
pub fn request(inv: &Invocation, args: &RequestArgs) -> Result<i32, Error> {
    let input = match &args.shell {
        Some(s) => Input::Shell(s.clone()),
        None => Input::Argv(args.argv.clone()),
    };
    // A request is a question: only the read-only plan commands run.
    let Evaluation {
        findings,
        decision,
        plan,
        resources,
        ..
    } = evaluate(inv, &input, crate::plan::Mode::Check)?;
    let mut req = request::new(
        input.subject(),
        &findings,
        crate::gate::origin(&inv.settings, &inv.context),
        &inv.settings.approvals,
        plan.as_deref(),
    )
    .map_err(|e| Error::Usage(format!("no randomness for the request's nonce: {e}")))?;
    req.resources = resources;
    // Posted to the inbox, where approvers find it by its id.
    let posted = decision >= Decision::Confirm
        && match super::wiring::store(inv).post(&req.id(), &req.to_json(), req.expires) {
            Ok(_) => {
                super::notify::send(&inv.settings.notify, &crate::gate::Notice::Request(&req));
                true
            }
            Err(e) => {
                eprintln!(
                    "guard: warning: the request is not in the inbox ({e}); hand its code to an approver"
                );
                false
            }
        };
    if args.json {
        let v = serde_json::json!({ "id": req.id(), "code": req.code(), "decision": decision, "posted": posted, "request": req });
        println!("{v}");
    } else {
        if decision < Decision::Confirm {
            eprintln!("guard: note: this command is `{decision}`: it needs no approval to run");
        }
        println!("{}", how_to_approve(&req, posted));
    }
    Ok(0)
}

/// `guard approve`.
pub fn approve(inv: &Invocation, args: &ApproveArgs) -> Result<i32, Error> {
    if args.list {
        return list(inv, args.json);
    }
    let code = match (&args.code, &args.file) {
        (Some(c), _) => c.clone(),
        (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| Error::Io {
            what: format!("cannot read {}", f.display()),
            source: e,
        })?,
        (None, None) => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::Usage(format!("reading the request from stdin: {e}")))?;
            s
        }
    };
    if let Some(agent) = inv.context.clone().with_tree().agent {
        return Err(Error::Refused(format!(
            "an agent ({agent}) cannot approve: approving is a person's decision, at their own terminal"
        )));
    }
    let files = super::wiring::store(inv);
    let (req, json, in_inbox) = read_request(&*files, code.trim())?;
    let now = crate::time::now();
    eprintln!("guard: approval request\n{}", describe(&req));
    if now > req.expires {
        return Err(Error::Refused(format!(
            "this request expired at {}; ask for a new one",
            format_time(req.expires)
        )));
    }
    // One's own confirm-level request, with no key named to sign it with: a confirmation.
    if args.key.is_none() && own_confirmable(inv, &req) {
        return confirm_own(&*files, &req, in_inbox, args.yes);
    }
    let approvals = &inv.settings.approvals;
    let key = args
        .key
        .clone()
        .or(approvals.key.clone())
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(|h| super::sign::default_key(std::path::Path::new(&h)))
        })
        .ok_or_else(|| {
            Error::Usage("no signing key: pass --key FILE or set [approvals] key".into())
        })?;
    check_approver(inv, &key, &req)?;
    if !args.yes
        && !ask_at_terminal(
            "Type `approve` to sign this request with your key, anything else to cancel: ",
            "approve",
        )?
    {
        return Err(Error::Refused("not approved: nothing was signed".into()));
    }
    let signature = super::sign::sign(&key, &json).map_err(Error::Usage)?;
    let token = Token {
        request: json,
        signature,
    }
    .encode();
    println!("{token}");
    let left = in_inbox.then(|| files.add_token(&req.id(), &token));
    match left {
        Some(Ok(_)) => eprintln!(
            "guard: approved; the approval is in the inbox, and {}'s next run of the same command picks it up (the token above works too)",
            sanitize(&req.requester)
        ),
        Some(Err(e)) => eprintln!(
            "guard: approved, but the inbox could not take the approval ({e}): give the token above to {}",
            sanitize(&req.requester)
        ),
        None => eprintln!(
            "guard: approved; give the token above to {}",
            sanitize(&req.requester)
        ),
    }
    Ok(0)
}

/// The request an approver names: by its id (or a unique prefix) in the inbox, or by its
/// whole code. Returns it, its JSON as signed, and whether it is in the inbox.
fn read_request(store: &dyn Store, text: &str) -> Result<(Request, String, bool), Error> {
    let looks_like_id =
        !text.is_empty() && text.len() <= 32 && text.chars().all(|c| c.is_ascii_hexdigit());
    if !looks_like_id {
        let (req, json) = Request::from_code(text).map_err(|e| Error::Usage(e.0))?;
        let in_inbox = matches!(store.find(&req.id()), Ok(Some(_)));
        return Ok((req, json, in_inbox));
    }
    let pending = store.find(text)?.ok_or_else(|| {
        Error::Usage(format!(
            "no request `{text}` is waiting in the inbox ({}): check the id with `guard approve --list`, or approve with the whole request code",
            store.location()
        ))
    })?;
    let req = crate::gate::inbox::read(&pending)
        .ok_or_else(|| Error::Usage(format!("request `{text}` in the inbox is damaged")))?;
    Ok((req, pending.request, true))
}

/// `guard approve --list`: the requests waiting for an approver, not the viewer's own,
/// not yet spent, oldest first.
fn list(inv: &Invocation, json: bool) -> Result<i32, Error> {
    let files = super::wiring::store(inv);
    let me = crate::gate::requester(&inv.settings);
    let now = crate::time::now();
    let rows: Vec<(Request, usize)> = files
        .waiting(now)?
        .iter()
        .filter_map(|p| crate::gate::inbox::read(p).map(|r| (r, p.tokens.len())))
        // Not one's own, but for the confirmations one's own agent waits for.
        .filter(|(r, _)| r.requester != me || own_confirmable(inv, r))
        .filter(|(r, _)| !matches!(files.spent(&r.nonce), Ok(Some(_))))
        .collect();
    if json {
        let items: Vec<serde_json::Value> = rows
            .iter()
            .map(|(r, tokens)| {
                serde_json::json!({
                    "id": r.id(),
                    "requester": r.requester,
                    "command": crate::approval::verify::show(&r.command),
                    "cwd": r.cwd,
                    "host": r.host,
                    "rules": r.rules,
                    "resources": r.resources,
                    "reason": r.reason,
                    "ci": r.ci,
                    "age_seconds": now.saturating_sub(r.created),
                    "expires": crate::time::rfc3339(r.expires),
                    "approvals": tokens,
                    "yours_to_confirm": own_confirmable(inv, r),
                    "required": inv.settings.approvals.required,
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(items));
        return Ok(0);
    }
    if rows.is_empty() {
        println!("nothing is waiting for an approver ({})", files.location());
        return Ok(0);
    }
    for (r, tokens) in &rows {
        println!(
            "{}  {} ago  {}  {}",
            r.id(),
            crate::time::ago(now.saturating_sub(r.created)),
            sanitize(&r.requester),
            sanitize(&crate::approval::verify::show(&r.command))
        );
        println!("    in {} on {}", sanitize(&r.cwd), sanitize(&r.host));
        if own_confirmable(inv, r) {
            println!(
                "    yours: confirm it from this terminal with guard approve {}",
                r.id()
            );
        }
        for rule in &r.rules {
            println!(
                "    rule: {} ({}): {}",
                sanitize(&rule.id),
                rule.severity,
                sanitize(&rule.reason)
            );
        }
        for d in &r.resources {
            println!("    destroys: {}", sanitize(d));
        }
        if let Some(reason) = &r.reason {
            println!("    reason: {} (the agent's own words)", sanitize(reason));
        }
        println!(
            "    approvals: {tokens} of {}; expires {}",
            inv.settings.approvals.required,
            format_time(r.expires)
        );
    }
    println!("review and sign one with: guard approve ID");
    Ok(0)
}

/// Whether the request is the viewer's own and asks only for a confirmation: a person
/// confirms their own agent's command, which is not a second person's approval.
fn own_confirmable(inv: &Invocation, req: &Request) -> bool {
    req.requester == crate::gate::requester(&inv.settings)
        && !req.rules.is_empty()
        && req
            .rules
            .iter()
            .all(|r| r.severity == Decision::Confirm.to_string())
}

/// `guard approve ID` on one's own confirm-level request: typed at one's own terminal (no
/// agent anywhere above it), left in the inbox as a confirmation for one run.
fn confirm_own(files: &dyn Store, req: &Request, in_inbox: bool, yes: bool) -> Result<i32, Error> {
    if yes {
        return Err(Error::Refused(
            "not confirmed: a confirmation is typed at your own terminal; --yes cannot give it"
                .into(),
        ));
    }
    if !in_inbox {
        return Err(Error::Refused(format!(
            "not confirmed: request {} is not in the inbox ({}), and a confirmation goes there",
            req.id(),
            files.location()
        )));
    }
    let tty = nix::unistd::ttyname(std::io::stdin())
        .ok()
        .filter(|_| std::io::IsTerminal::is_terminal(&std::io::stdin()))
        .ok_or_else(|| {
            Error::Refused("not confirmed: a confirmation is typed at your own terminal, and standard input is not one".into())
        })?;
    if !ask_at_terminal(
        "Type `confirm` to let it run once, anything else to cancel: ",
        "confirm",
    )? {
        return Err(Error::Refused("not confirmed: nothing runs".into()));
    }
    let c = crate::approval::Confirmation {
        nonce: req.nonce.clone(),
        by: format!(
            "{} ({} on {})",
            req.requester,
            crate::identity::user(),
            tty.display()
        ),
        at: crate::time::now(),
    };
    files.add_token(&req.id(), &c.encode())?;
    eprintln!(
        "guard: confirmed; the next run of exactly that command runs it, once (a confirmation, not a second person's approval)"
    );
    Ok(0)
}

/// Refuses, before anything is signed, a key that is not an approver's and a request that
/// is the approver's own (by any principal the key is listed under, or, in a protected
/// install, by the account's own principal).
fn check_approver(inv: &Invocation, key: &std::path::Path, req: &Request) -> Result<(), Error> {
    use crate::approval::{NAMESPACE, signers};
    let refuse = |why: String| Err(Error::Refused(format!("not signed: {why}")));
    let Some(path) = &inv.settings.approvals.allowed_signers else {
        return refuse("no approvers file is configured ([approvals] allowed_signers), so guard cannot tell whether this key is an approver's".into());
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        what: format!("cannot read the approvers file {}", path.display()),
        source: e,
    })?;
    let list = signers::parse(&text).map_err(|e| Error::Config {
        path: path.display().to_string(),
        message: e,
    })?;
    let public = super::sign::public_key(key).map_err(Error::Usage)?;
    let entries: Vec<&signers::Signer> = signers::by_key(&list, public.key_data())
        .filter(|s| s.allows_namespace(NAMESPACE))
        .collect();
    if entries.is_empty() {
        return refuse(format!(
            "{} is not an approver's key: it is not in {} (for guard's namespace)",
            key.display(),
            path.display()
        ));
    }
    if let Some(own) = entries.iter().find(|s| s.names(&req.requester)) {
        return refuse(format!(
            "this is your own request: the key is listed for {}, the requester; a second person must approve it",
            own.principal()
        ));
    }
    if inv.settings.protected && crate::gate::requester(&inv.settings) == req.requester {
        return refuse("this is your own request (your account's principal is the requester's): a second person must approve it".into());
    }
    Ok(())
}

/// Asks the person at the terminal to type `expected`.
fn ask_at_terminal(prompt: &str, expected: &str) -> Result<bool, Error> {
    let tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").map_err(|_| {
        Error::Refused("no terminal to confirm the approval at; review the request and pass --yes to sign without asking".into())
    })?;
    let mut out = tty.try_clone().map_err(|e| Error::Usage(e.to_string()))?;
    let _ = out.write_all(prompt.as_bytes());
    let _ = out.flush();
    let mut line = String::new();
    let _ = std::io::BufReader::new(tty).read_line(&mut line);
    Ok(line.trim() == expected)
}
