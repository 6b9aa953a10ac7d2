//! Who and where: the requester's account and principal, the host, the working
//! directory, and the requester's own public keys. Read from the account database and
//! the system, so a changed `$USER` does not change who is asking. A leaf.

use ssh_key::PublicKey;
use ssh_key::public::KeyData;
use std::path::PathBuf;

/// The account's user name (from the account database, not `$USER`).
pub fn user() -> String {
    nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map_or_else(|| format!("uid{}", nix::unistd::getuid()), |u| u.name)
}

pub fn host() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// The requester's principal: the configured one, else `USER@HOST`.
pub fn principal(configured: Option<&str>) -> String {
    configured.map_or_else(|| format!("{}@{}", user(), host()), str::to_string)
}

pub fn cwd() -> String {
    std::env::current_dir()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// The public keys in the requester's `~/.ssh`: a token signed with one of them is a
/// self-approval, whatever principal the approvers file gives the key. (The keys the
/// requester's SSH agent holds are added by the caller, which may run `ssh-add`.)
pub fn own_key_files() -> Vec<KeyData> {
    let account_home = nix::unistd::User::from_uid(nix::unistd::getuid())
        .ok()
        .flatten()
        .map(|u| u.dir);
    let texts: Vec<String> = [home(), account_home]
        .into_iter()
        .flatten()
        .filter_map(|h| std::fs::read_dir(h.join(".ssh")).ok())
        .flat_map(|entries| entries.filter_map(Result::ok).map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pub"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    texts
        .iter()
        .filter_map(|t| PublicKey::from_openssh(t.trim()).ok())
        .map(|k| k.key_data().clone())
        .collect()
}
