//! `guard request` and `guard approve`, and the request guard prints when it refuses a
//! command that needs a second person.

use super::{Outcome, evaluate};
use crate::analysis::Input;
use crate::approval::{self, Request, RuleRef, Subject, Token, identity, sign, verify};
use crate::cli::{ApproveArgs, GlobalArgs, RequestArgs};
use crate::decision::Decision;
use crate::error::Error;
use crate::matcher::{Approvals, Finding};
use crate::sanitize::sanitize;
use std::io::{BufRead, Read, Write};

/// What the request binds: the argv, or the exact shell string.
pub fn subject(input: &Input) -> Subject {
    match input {
        Input::Argv(argv) => Subject::Argv(
            argv.iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        ),
        Input::Shell(s) => Subject::Shell(s.clone()),
    }
}

/// A fresh request for `input`, which triggered `findings`.
pub fn make_request(
    input: &Input,
    findings: &[Finding],
    a: &Approvals,
    plan: Option<&str>,
) -> Result<Request, Error> {
    let now = identity::now();
    let rules = findings
        .iter()
        .filter(|f| f.severity >= Decision::Confirm)
        .map(|f| RuleRef {
            id: f.rule.clone(),
            severity: f.severity.to_string(),
            reason: f.reason.clone(),
        })
        .collect();
    Ok(Request {
        version: 1,
        command: subject(input),
        cwd: identity::cwd(),
        host: identity::host(),
        requester: identity::principal(a.principal.as_deref()),
        rules,
        created: now,
        expires: now + a.lifetime.min(a.max_lifetime),
        nonce: approval::nonce().map_err(Error::Usage)?,
        plan: plan.map(str::to_string),
    })
}

/// The lines that tell a person how to get the command approved.
pub fn how_to_approve(req: &Request) -> String {
    format!(
        "approval request (valid until {}):\n  {}\nan approver (not you) runs:\n  guard approve {}\nthen run the same command again with --approval TOKEN (or GUARD_APPROVAL=TOKEN)",
        verify::format_time(req.expires),
        describe(req).replace('\n', "\n  "),
        req.code()
    )
}

/// The request in plain words.
pub fn describe(req: &Request) -> String {
    let mut s = format!(
        "command:   {}\ndirectory: {}\nhost:      {}\nrequester: {}\n",
        sanitize(&verify::show(&req.command)),
        sanitize(&req.cwd),
        sanitize(&req.host),
        sanitize(&req.requester)
    );
    for r in &req.rules {
        s.push_str(&format!(
            "rule:      {} ({}): {}\n",
            sanitize(&r.id),
            sanitize(&r.severity),
            sanitize(&r.reason)
        ));
    }
    s.push_str(&format!(
        "requested: {}, expires {}",
        verify::format_time(req.created),
        verify::format_time(req.expires)
    ));
    s
}

/// `guard request`.
pub fn request(global: &GlobalArgs, args: &RequestArgs) -> Result<i32, Error> {
    let input = match &args.shell {
        Some(s) => Input::Shell(s.clone()),
        None => Input::Argv(args.argv.clone()),
    };
    // A request is a question: only the read-only plan commands run.
    let Outcome {
        findings,
        decision,
        approvals,
        plan,
        ..
    } = evaluate(global, &input, crate::plan::Mode::Check)?;
    let req = make_request(&input, &findings, &approvals, plan.as_deref())?;
    if args.json {
        let v = serde_json::json!({ "code": req.code(), "decision": decision, "request": req });
        println!("{v}");
    } else {
        if decision < Decision::Confirm {
            eprintln!("guard: note: this command is `{decision}`: it needs no approval to run");
        }
        println!("{}", how_to_approve(&req));
    }
    Ok(0)
}

/// `guard approve`.
pub fn approve(global: &GlobalArgs, args: &ApproveArgs) -> Result<i32, Error> {
    let code = match (&args.code, &args.file) {
        (Some(c), _) => c.clone(),
        (None, Some(f)) => std::fs::read_to_string(f)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", f.display())))?,
        (None, None) => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| Error::Usage(format!("reading the request from stdin: {e}")))?;
            s
        }
    };
    if let Some(agent) = crate::context::Context::detect(true).agent {
        return Err(Error::Refused(format!(
            "an agent ({agent}) cannot approve: approving is a person's decision, at their own terminal"
        )));
    }
    let (req, json) = Request::from_code(&code).map_err(|e| Error::Usage(e.0))?;
    let approvals = super::load_rules(global, Some(&[]))?.settings.approvals;
    let key = args
        .key
        .clone()
        .or(approvals.key.clone())
        .or_else(|| {
            std::env::var_os("HOME").and_then(|h| sign::default_key(std::path::Path::new(&h)))
        })
        .ok_or_else(|| {
            Error::Usage("no signing key: pass --key FILE or set [approvals] key".into())
        })?;
    let now = identity::now();
    eprintln!("guard: approval request\n{}", describe(&req));
    if now > req.expires {
        return Err(Error::Refused(format!(
            "this request expired at {}; ask for a new one",
            verify::format_time(req.expires)
        )));
    }
    if !args.yes && !confirm_at_terminal()? {
        return Err(Error::Refused("not approved: nothing was signed".into()));
    }
    let signature = sign::sign(&key, &json).map_err(Error::Usage)?;
    println!(
        "{}",
        Token {
            request: json,
            signature
        }
        .encode()
    );
    eprintln!(
        "guard: approved; give the token above to {}",
        sanitize(&req.requester)
    );
    Ok(0)
}

/// Asks the approver, at their terminal, to type `approve`.
fn confirm_at_terminal() -> Result<bool, Error> {
    let tty = std::fs::OpenOptions::new().read(true).write(true).open("/dev/tty").map_err(|_| {
        Error::Refused("no terminal to confirm the approval at; review the request and pass --yes to sign without asking".into())
    })?;
    let mut out = tty.try_clone().map_err(|e| Error::Usage(e.to_string()))?;
    let _ = out
        .write_all(b"Type `approve` to sign this request with your key, anything else to cancel: ");
    let _ = out.flush();
    let mut line = String::new();
    let _ = std::io::BufReader::new(tty).read_line(&mut line);
    Ok(line.trim() == "approve")
}
