//! The approvers file, in OpenSSH's `allowed_signers` format (`ssh-keygen -Y verify -f`
//! reads the same file): `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]` per line, where
//! principals are comma-separated (globs allowed) and a `namespaces="..."` option limits
//! what the key may sign. It comes only from the user or system config.

use crate::glob::glob_match;
use ssh_key::PublicKey;
use ssh_key::public::KeyData;

/// One approver entry.
#[derive(Debug, Clone)]
pub struct Signer {
    pub principals: Vec<String>,
    pub namespaces: Option<Vec<String>>,
    pub key: PublicKey,
    pub line: usize,
}

impl Signer {
    /// The first principal that names `wanted`, or the first principal.
    pub fn principal(&self) -> &str {
        self.principals.first().map_or("", String::as_str)
    }

    pub fn allows_namespace(&self, ns: &str) -> bool {
        self.namespaces
            .as_ref()
            .is_none_or(|list| list.iter().any(|n| glob_match(n, ns)))
    }

    pub fn names(&self, principal: &str) -> bool {
        self.principals.iter().any(|p| glob_match(p, principal))
    }
}

/// Splits on blanks, keeping double-quoted runs together.
fn fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn is_key_type(s: &str) -> bool {
    s.starts_with("ssh-") || s.starts_with("ecdsa-") || s.starts_with("sk-")
}

/// Reads an approvers file; errors name the line.
pub fn parse(text: &str) -> Result<Vec<Signer>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f = fields(line);
        let (principals, rest) = f
            .split_first()
            .ok_or_else(|| format!("line {}: empty", n + 1))?;
        let (options, key_fields) = match rest.first() {
            Some(t) if is_key_type(t) => (None, rest),
            Some(opts) => (Some(opts.as_str()), &rest[1..]),
            None => return Err(format!("line {}: no key", n + 1)),
        };
        let mut namespaces = None;
        for opt in options.into_iter().flat_map(|o| o.split(',')) {
            if opt.eq_ignore_ascii_case("cert-authority") {
                return Err(format!(
                    "line {}: certificate authorities are not supported; list each approver's key",
                    n + 1
                ));
            }
            if let Some(v) = opt.strip_prefix("namespaces=") {
                namespaces = Some(v.trim_matches('"').split(',').map(str::to_string).collect());
            }
        }
        let key_text = key_fields
            .iter()
            .take(2)
            .cloned()
            .collect::<Vec<_>>()
            .join(" ");
        let key = PublicKey::from_openssh(&key_text)
            .map_err(|e| format!("line {}: not an SSH public key: {e}", n + 1))?;
        out.push(Signer {
            principals: principals.split(',').map(str::to_string).collect(),
            namespaces,
            key,
            line: n + 1,
        });
    }
    Ok(out)
}

/// The entries whose key made a signature.
pub fn by_key<'a>(signers: &'a [Signer], key: &KeyData) -> impl Iterator<Item = &'a Signer> {
    signers.iter().filter(move |s| s.key.key_data() == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHmoo0E4aJjzvkTwTpHAUUj+bK7y3IhlKEzj4IOLzRyM";

    #[test]
    fn reads_principals_options_and_keys() {
        let text = format!(
            "# approvers\n\nbob@example.com,bob {KEY} bob's laptop\n*@ops namespaces=\"guard-approval,file\" {KEY}\n"
        );
        let s = parse(&text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].principals, ["bob@example.com", "bob"]);
        assert!(s[0].allows_namespace("guard-approval"));
        assert!(s[1].names("carol@ops"));
        assert!(s[1].allows_namespace("guard-approval"));
        assert_eq!(s[1].line, 4);
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(
            parse("bob ssh-ed25519 notbase64")
                .unwrap_err()
                .starts_with("line 1:")
        );
        assert!(
            parse(&format!("x\nca cert-authority {KEY}"))
                .unwrap_err()
                .starts_with("line 1:")
        );
        let ns = parse(&format!("bob namespaces=\"file\" {KEY}")).unwrap();
        assert!(!ns[0].allows_namespace("guard-approval"));
    }
}
