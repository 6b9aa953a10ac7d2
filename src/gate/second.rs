//! The gate for a command that needs a second person: verified approval tokens whose
//! nonce was never spent, the person here confirming where there is one, or break-glass
//! where the system config allows it. Without an approval, the refusal carries the
//! request a person can act on.

use super::{Case, Confirmation, Deps, Frontend, How, Pass, Refusal, refusal_text};
use crate::approval::request::{self, how_to_approve};
use crate::approval::{Request, Token, signers, verify};
use crate::sanitize::sanitize;
use crate::store::StoreError;

/// Passes with an approval, or refuses with the request.
pub fn pass(
    case: &Case,
    fe: &mut dyn Frontend,
    deps: &Deps,
    confirm: Option<String>,
    stands_in: bool,
) -> Result<Pass, Refusal> {
    if let Some(reason) = deps.break_glass {
        return break_glass(reason, case, deps);
    }
    let tokens = deps
        .tokens
        .clone()
        .map_err(|why| Refusal::plain(why, case.decision))?;
    let why = if stands_in {
        "needs a person's confirmation, and nobody here can give it: a signed approval stands in for it"
    } else {
        "needs a signed approval from a second person"
    };
    // None given: an approval its approvers left in the inbox for this very command.
    let tokens = if tokens.is_empty() {
        super::inbox::approvals_for(case, deps)
    } else {
        tokens
    };
    if tokens.is_empty() {
        return Err(with_request_of(case, deps, why, super::Refused::Policy)?);
    }
    let verified = match check(case, &tokens, deps) {
        Ok(v) => v,
        Err(why) => {
            return Err(with_request(
                case,
                deps,
                &format!("approval refused: {why}"),
            )?);
        }
    };
    // Spent before? Say so now, before anyone is asked to confirm.
    if let Ok(Some((used_at, command))) = deps.store.spent(&verified.request.nonce) {
        let e = StoreError::Spent { used_at, command };
        return Err(Refusal::plain(
            refusal_text(case, &format!("approval refused: {e}"), None),
            case.decision,
        ));
    }
    if !deps.quiet {
        fe.tell(&format!(
            "guard: approved by {} for {}\n",
            verified.approvers.join(", "),
            sanitize(case.shown)
        ));
    }
    // The person here confirms too, where there is one; with no person here the
    // approver's own confirmation in `guard approve` stands.
    let detail = match confirm {
        Some(expected) => match fe.confirm(case.shown, case.findings, &expected) {
            Confirmation::Yes { by } => by,
            // The agent's own prompt asks the person; the approval is there.
            Confirmation::Handed => String::new(),
            Confirmation::No => return Err(super::not_confirmed(case)),
        },
        None => String::new(),
    };
    Ok(Pass {
        how: How::Approved,
        detail,
        approvers: verified.approvers,
        nonce: verified.request.nonce,
    })
}

/// A fresh request for the case.
pub fn request(case: &Case, deps: &Deps) -> Result<Request, Refusal> {
    let mut r = request::new(
        case.subject.clone(),
        case.findings,
        super::origin(deps.settings, deps.context),
        &deps.settings.approvals,
        case.plan,
    )
    .map_err(|e| {
        Refusal::plain(
            format!("no randomness for the approval request's nonce: {e}"),
            case.decision,
        )
    })?;
    r.resources.clone_from(&case.resources);
    r.reason.clone_from(&case.reason);
    Ok(r)
}

/// The refusal for `why`, carrying a fresh request and how to get it approved.
fn with_request(case: &Case, deps: &Deps, why: &str) -> Result<Refusal, Refusal> {
    with_request_of(case, deps, why, super::Refused::Other)
}

fn with_request_of(
    case: &Case,
    deps: &Deps,
    why: &str,
    kind: super::Refused,
) -> Result<Refusal, Refusal> {
    let (req, posted) = super::inbox::request_for(case, deps)?;
    let mut how = how_to_approve(&req, posted);
    if case.saved_plan {
        how.push_str(&format!(
            "\nguard saved the plan it decided on; once approved, apply exactly that plan:\n  guard --approval TOKEN -- {}",
            verify::show(&case.subject)
        ));
    }
    Ok(Refusal {
        message: refusal_text(case, why, Some(how)),
        decision: case.decision,
        kind,
        request: Some(Box::new(req)),
    })
}

/// Verifies the tokens for this case against the approvers file.
pub fn check(case: &Case, tokens: &[Token], deps: &Deps) -> Result<verify::Verified, String> {
    verify_for(&case.subject, case.plan, tokens, deps)
}

/// Verifies tokens for `subject` (and `plan`) against the approvers file.
pub fn verify_for(
    subject: &crate::approval::Subject,
    plan: Option<&str>,
    tokens: &[Token],
    deps: &Deps,
) -> Result<verify::Verified, String> {
    let a = &deps.settings.approvals;
    if let Some(user) = &a.unmapped {
        return Err(format!(
            "your account ({user}) has no principal under [principals] in {}, so guard cannot tell your own signature from an approver's: ask an administrator to add `{user} = \"you@example.com\"` there, as your principal in the approvers file",
            crate::settings::SYSTEM_CONFIG
        ));
    }
    let Some(path) = &a.allowed_signers else {
        return Err("no approvers file is configured: set `allowed_signers` under [approvals] in ~/.config/guard/config.toml or /etc/guard/config.toml".into());
    };
    let shown_path = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the approvers file {shown_path}: {e}"))?;
    let signers = signers::parse(&text)
        .map_err(|e| format!("the approvers file {shown_path} is wrong at {e}"))?;
    warn_if_writable(path);
    let origin = super::origin(deps.settings, deps.context);
    let own_keys = own_keys();
    let expect = verify::Expect {
        command: subject,
        cwd: &origin.cwd,
        host: &origin.host,
        requester: &origin.requester,
        ci: origin.ci.as_ref(),
        now: origin.now,
        max_lifetime: a.max_lifetime,
        required: a.required,
        own_keys: &own_keys,
        signers_path: &shown_path,
        plan,
    };
    verify::verify(tokens, &signers, &expect).map_err(|e| e.to_string())
}

/// The requester's own public keys: those in `~/.ssh`, and those their SSH agent holds.
fn own_keys() -> Vec<ssh_key::public::KeyData> {
    let mut keys = crate::identity::own_key_files();
    if std::env::var_os("SSH_AUTH_SOCK").is_some() {
        let listed = crate::exec::command("ssh-add")
            .arg("-L")
            .stderr(std::process::Stdio::null())
            .output();
        if let Ok(out) = listed {
            keys.extend(
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .filter_map(|l| ssh_key::PublicKey::from_openssh(l.trim()).ok())
                    .map(|k| k.key_data().clone()),
            );
        }
    }
    keys
}

/// An approvers file the requester can write makes the second person theatre.
fn warn_if_writable(path: &std::path::Path) {
    use nix::unistd::{AccessFlags, access};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    for p in [path, dir] {
        if access(p, AccessFlags::W_OK).is_ok() {
            eprintln!(
                "guard: warning: {} is writable by you, so you could add your own key as an approver; make the approvers file and its directory owned by root (or another account) and not writable by you",
                p.display()
            );
            return;
        }
    }
}

fn break_glass(reason: &str, case: &Case, deps: &Deps) -> Result<Pass, Refusal> {
    let refuse = |m: String| Refusal::plain(m, case.decision);
    if !deps.settings.approvals.break_glass {
        return Err(refuse("--break-glass is not enabled: only the system config (/etc/guard/config.toml, [approvals] break_glass = true) can enable it".into()));
    }
    if let Some(agent) = &deps.context.agent {
        return Err(refuse(format!(
            "--break-glass is never available to an agent ({agent})"
        )));
    }
    if reason.trim().is_empty() {
        return Err(refuse("--break-glass needs a reason".into()));
    }
    eprintln!(
        "guard: BREAK-GLASS by {} on {}: running `{}` without a second person's approval. Reason: {}",
        super::requester(deps.settings),
        crate::identity::host(),
        sanitize(case.shown),
        sanitize(reason)
    );
    Ok(Pass::plain(
        How::BreakGlass,
        format!("BREAK-GLASS: {reason}"),
    ))
}
