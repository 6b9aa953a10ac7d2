//! Verifying approvals before a command runs. Each check has its own refusal
//! ([`Rejected`]), which says what is wrong and what to do. Pure: the caller supplies
//! the approvers, the clock and the requester's own keys.
//!
//! Who signed is decided by the approvers file alone: a key stands for every principal
//! it is listed under (in guard's namespace). A signature by a key listed under the
//! requester's principal — wherever that key is kept — is the requester's own, and so is
//! one by a key from the requester's `~/.ssh` or SSH agent. Approvers are counted as
//! distinct people *and* distinct keys: `required = 2` needs two keys that stand for two
//! different principals (the largest matching of keys to principals).

use super::signers::{self, Signer};
use super::{CiBinding, NAMESPACE, Request, Subject, Token};
use crate::time::{ago, format_time};
use ssh_key::SshSig;
use ssh_key::public::KeyData;

/// What the approvals must match.
#[derive(Debug)]
pub struct Expect<'a> {
    pub command: &'a Subject,
    pub cwd: &'a str,
    pub host: &'a str,
    pub requester: &'a str,
    /// The CI run this is, if it is one.
    pub ci: Option<&'a CiBinding>,
    pub now: u64,
    /// Longest lifetime a request may have been given.
    pub max_lifetime: u64,
    /// How many distinct approvers must sign.
    pub required: usize,
    /// The requester's own public keys (from their `~/.ssh` and SSH agent): never an
    /// approver, whatever the approvers file says of them.
    pub own_keys: &'a [KeyData],
    /// The approvers file's path, for messages.
    pub signers_path: &'a str,
    /// The digest of the plan read for this run, if one was.
    pub plan: Option<&'a str>,
}

/// Approvals that passed every check.
#[derive(Debug, Clone)]
pub struct Verified {
    pub request: Request,
    /// One principal for each distinct approver counted.
    pub approvers: Vec<String>,
}

/// Why approvals do not let the command run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejected {
    #[error("no approval token was given")]
    NoToken,
    #[error("the approval tokens are for different requests: give tokens for this one request")]
    DifferentRequests,
    #[error("the approval's signature is damaged: {0}")]
    DamagedSignature(String),
    #[error("the approval was signed for `{0}`, not for guard (`{NAMESPACE}`)")]
    WrongNamespace(String),
    #[error(
        "the approval is signed by a key that is not an approver's: it is not in the approvers file {0} (for guard's namespace)"
    )]
    NotAnApprover(String),
    #[error(
        "the approval's signature does not verify: the token was altered, or signed over another request"
    )]
    BadSignature,
    #[error(
        "self-approval refused: the approval is signed by {signer} — the requester ({requester}) — and a two-person command needs a different person"
    )]
    SelfApproval { signer: String, requester: String },
    #[error("the approved request is damaged: {0}")]
    DamagedRequest(String),
    #[error("the approval is for something else ({0}); request a new one for this command")]
    SomethingElse(String),
    #[error(
        "the plan changed since it was approved (approved plan {approved}, this plan {now}): a new plan needs a new approval"
    )]
    PlanChanged { approved: String, now: String },
    #[error("the request claims to be made at {0}, after now: it was not made by guard here")]
    FromTheFuture(String),
    #[error("the approval expired at {at} ({ago} ago); request a new one")]
    Expired { at: String, ago: String },
    #[error("the request asked for a lifetime of {asked}, longer than the {allowed} allowed")]
    TooLong { asked: String, allowed: String },
    #[error(
        "{got} of {required} required approvals: signed by {by}; ask {more} more approver{s} (a different person, with a key of their own) to run `guard approve` on the same request",
        s = if *more == 1 { "" } else { "s" }
    )]
    TooFew {
        got: usize,
        required: usize,
        by: String,
        more: usize,
    },
}

/// One good signature: its key and every principal the approvers file lists it under.
struct Signed<'a> {
    key: &'a KeyData,
    principals: Vec<&'a str>,
}

/// Checks the tokens (one per approver) for the command about to run.
pub fn verify(tokens: &[Token], signers: &[Signer], expect: &Expect) -> Result<Verified, Rejected> {
    let Some(first) = tokens.first() else {
        return Err(Rejected::NoToken);
    };
    let mut signed: Vec<Signed> = Vec::new();
    for token in tokens {
        if token.request != first.request {
            return Err(Rejected::DifferentRequests);
        }
        let s = check_signature(token, signers, expect)?;
        if !signed.iter().any(|o| o.key == s.key) {
            signed.push(s);
        }
    }
    let request: Request = serde_json::from_str(&first.request)
        .map_err(|e| Rejected::DamagedRequest(e.to_string()))?;
    check_binding(&request, expect)?;
    let approvers = distinct(&signed);
    if approvers.len() < expect.required {
        let mut by: Vec<&str> = signed.iter().flat_map(|s| s.principals.clone()).collect();
        by.dedup();
        return Err(Rejected::TooFew {
            got: approvers.len(),
            required: expect.required,
            by: by.join(", "),
            more: expect.required - approvers.len(),
        });
    }
    Ok(Verified { request, approvers })
}

/// The signature's key and principals, when the signature is good and none of them is
/// the requester.
fn check_signature<'a>(
    token: &Token,
    signers: &'a [Signer],
    expect: &Expect,
) -> Result<Signed<'a>, Rejected> {
    let sig = SshSig::from_pem(token.signature.trim())
        .map_err(|e| Rejected::DamagedSignature(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(Rejected::WrongNamespace(sig.namespace().to_string()));
    }
    let entries: Vec<&Signer> = signers::by_key(signers, sig.public_key())
        .filter(|s| s.allows_namespace(NAMESPACE))
        .collect();
    let Some(first) = entries.first() else {
        return Err(Rejected::NotAnApprover(expect.signers_path.to_string()));
    };
    first
        .key
        .verify(NAMESPACE, token.request.as_bytes(), &sig)
        .map_err(|_| Rejected::BadSignature)?;
    let principals: Vec<&str> = entries
        .iter()
        .flat_map(|s| s.principals.iter().map(String::as_str))
        .collect();
    // The key stands for every principal it is listed under: any of them the requester,
    // or a key the requester holds, is the requester signing.
    let own_entry = entries.iter().find(|s| s.names(expect.requester));
    let own_key = expect.own_keys.iter().any(|k| k == sig.public_key());
    if own_entry.is_some() || own_key {
        return Err(Rejected::SelfApproval {
            signer: own_entry.map_or_else(|| principals.join(", "), |s| s.principal().to_string()),
            requester: expect.requester.to_string(),
        });
    }
    Ok(Signed {
        key: first.key.key_data(),
        principals,
    })
}

/// The largest set of approvers in which no two share a key or a principal: each key
/// matched to a principal it stands for (augmenting paths; a handful of tokens).
fn distinct(signed: &[Signed]) -> Vec<String> {
    fn augment<'a>(
        k: usize,
        signed: &[Signed<'a>],
        owner: &mut Vec<(&'a str, usize)>,
        seen: &mut Vec<&'a str>,
    ) -> bool {
        for &p in &signed[k].principals {
            if seen.contains(&p) {
                continue;
            }
            seen.push(p);
            match owner.iter().position(|(q, _)| *q == p) {
                None => {
                    owner.push((p, k));
                    return true;
                }
                Some(i) => {
                    let other = owner[i].1;
                    if augment(other, signed, owner, seen) {
                        owner[i] = (p, k);
                        return true;
                    }
                }
            }
        }
        false
    }
    let mut owner: Vec<(&str, usize)> = Vec::new();
    for k in 0..signed.len() {
        augment(k, signed, &mut owner, &mut Vec::new());
    }
    owner.sort_by_key(|(_, k)| *k);
    owner.into_iter().map(|(p, _)| p.to_string()).collect()
}

fn check_binding(r: &Request, expect: &Expect) -> Result<(), Rejected> {
    let mut differs = Vec::new();
    if &r.command != expect.command {
        differs.push(format!(
            "command: approved `{}`, running `{}`",
            show(&r.command),
            show(expect.command)
        ));
    }
    if r.cwd != expect.cwd {
        differs.push(format!(
            "directory: approved {}, running in {}",
            r.cwd, expect.cwd
        ));
    }
    if r.host != expect.host {
        differs.push(format!(
            "host: approved {}, running on {}",
            r.host, expect.host
        ));
    }
    if r.ci.as_ref() != expect.ci {
        let run = |c: Option<&CiBinding>| {
            c.map_or("no CI run".to_string(), |c| {
                format!(
                    "{} {} at {}{}",
                    c.platform,
                    c.repository,
                    c.commit,
                    if c.environment.is_empty() {
                        String::new()
                    } else {
                        format!(" for {}", c.environment)
                    }
                )
            })
        };
        differs.push(format!(
            "CI run: approved {}, running in {}",
            run(r.ci.as_ref()),
            run(expect.ci)
        ));
    }
    if r.requester != expect.requester {
        differs.push(format!(
            "requester: approved for {}, run by {}",
            r.requester, expect.requester
        ));
    }
    if !differs.is_empty() {
        return Err(Rejected::SomethingElse(differs.join("; ")));
    }
    if r.plan.as_deref() != expect.plan {
        let short =
            |p: Option<&str>| p.map_or("none".to_string(), |d| d.chars().take(12).collect());
        return Err(Rejected::PlanChanged {
            approved: short(r.plan.as_deref()),
            now: short(expect.plan),
        });
    }
    // A request made "in the future" could carry any expiry within the allowed lifetime.
    if r.created > expect.now + 300 {
        return Err(Rejected::FromTheFuture(format_time(r.created)));
    }
    if expect.now > r.expires {
        return Err(Rejected::Expired {
            at: format_time(r.expires),
            ago: ago(expect.now - r.expires),
        });
    }
    if r.expires.saturating_sub(r.created) > expect.max_lifetime {
        return Err(Rejected::TooLong {
            asked: ago(r.expires - r.created),
            allowed: ago(expect.max_lifetime),
        });
    }
    Ok(())
}

/// How a request's command is shown.
pub fn show(s: &Subject) -> String {
    match s {
        Subject::Argv(argv) => crate::shell::Command::from_argv(argv).to_string(),
        Subject::Shell(text) => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::{Algorithm, LineEnding, PrivateKey};

    fn key() -> PrivateKey {
        PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519).unwrap()
    }

    fn signer(principals: &str, k: &PrivateKey) -> String {
        format!("{principals} {}\n", k.public_key().to_openssh().unwrap())
    }

    fn token(k: &PrivateKey, request: &str) -> Token {
        let sig = k
            .sign(NAMESPACE, ssh_key::HashAlg::Sha512, request.as_bytes())
            .unwrap();
        Token {
            request: request.to_string(),
            signature: sig.to_pem(LineEnding::LF).unwrap(),
        }
    }

    fn request() -> String {
        Request {
            version: 1,
            command: Subject::Argv(vec!["terraform".into(), "destroy".into()]),
            cwd: "/w".into(),
            host: "h".into(),
            requester: "alice@x".into(),
            rules: Vec::new(),
            created: 100,
            expires: 200,
            nonce: "n".into(),
            plan: None,
            resources: Vec::new(),
            reason: None,
            ci: None,
        }
        .to_json()
    }

    fn check(signers: &str, tokens: &[Token], required: usize) -> Result<Verified, Rejected> {
        let subject = Subject::Argv(vec!["terraform".into(), "destroy".into()]);
        let expect = Expect {
            command: &subject,
            cwd: "/w",
            host: "h",
            requester: "alice@x",
            ci: None,
            now: 150,
            max_lifetime: 3600,
            required,
            own_keys: &[],
            signers_path: "allowed_signers",
            plan: None,
        };
        verify(tokens, &signers::parse(signers).unwrap(), &expect)
    }

    #[test]
    fn a_key_under_several_principals_counts_as_all_of_them_for_self_approval() {
        let (alice, bob) = (key(), key());
        let req = request();
        // bob's key is also listed for alice: signing with it is alice signing.
        let file = signer("bob@x", &bob) + &signer("alice@x", &bob) + &signer("alice@x", &alice);
        assert!(matches!(
            check(&file, &[token(&bob, &req)], 1),
            Err(Rejected::SelfApproval { .. })
        ));
        // alice's own key, wherever she keeps it, is hers.
        assert!(matches!(
            check(&file, &[token(&alice, &req)], 1),
            Err(Rejected::SelfApproval { .. })
        ));
        // A glob that covers the requester is the requester too.
        let carol = key();
        let globbed = signer("*@x", &carol);
        assert!(matches!(
            check(&globbed, &[token(&carol, &req)], 1),
            Err(Rejected::SelfApproval { .. })
        ));
    }

    #[test]
    fn approvers_are_distinct_people_and_distinct_keys() {
        let (bob1, bob2, carol, shared) = (key(), key(), key(), key());
        let req = request();
        let file = signer("bob@x", &bob1)
            + &signer("bob@x", &bob2)
            + &signer("carol@x", &carol)
            + &signer("bob@x,carol@x", &shared);
        // One person with two keys is one approver.
        let two_of_bob = check(&file, &[token(&bob1, &req), token(&bob2, &req)], 2);
        assert!(
            matches!(two_of_bob, Err(Rejected::TooFew { got: 1, .. })),
            "{two_of_bob:?}"
        );
        // One key listed for two people is one approver.
        let one_key = check(&file, &[token(&shared, &req)], 2);
        assert!(
            matches!(one_key, Err(Rejected::TooFew { got: 1, .. })),
            "{one_key:?}"
        );
        // Two keys standing for two people: the shared key is matched to carol.
        let v = check(&file, &[token(&bob1, &req), token(&shared, &req)], 2).unwrap();
        assert_eq!(v.approvers, ["bob@x", "carol@x"]);
        let v = check(&file, &[token(&carol, &req), token(&bob2, &req)], 2).unwrap();
        assert_eq!(v.approvers.len(), 2);
    }
}
