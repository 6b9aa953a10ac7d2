//! Signing, on the approver's machine: `ssh-keygen -Y sign` with the approver's own key,
//! so a key file, a key held by the SSH agent (give the `.pub` file) or a hardware key
//! all work exactly as they do for signing git commits.

use std::path::Path;
use std::process::Stdio;

/// Signs `message` in guard's namespace with the key at `key`; returns the armored
/// signature.
pub fn sign(key: &Path, message: &str) -> Result<String, String> {
    let input = crate::exec::input_file(message.as_bytes())
        .map_err(|e| format!("cannot give ssh-keygen the request: {e}"))?;
    let out = crate::exec::command("ssh-keygen")
        .args(["-q", "-Y", "sign", "-n", crate::approval::NAMESPACE, "-f"])
        .arg(key)
        .stdin(Stdio::from(input))
        .output()
        .map_err(|e| {
            format!("cannot run ssh-keygen to sign (is openssh-client installed?): {e}")
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "ssh-keygen could not sign with {}: {}",
            key.display(),
            err.trim()
        ));
    }
    String::from_utf8(out.stdout)
        .map_err(|_| "ssh-keygen printed a signature that is not text".to_string())
}

/// The approver's key when none is named: the first of the usual key files.
pub fn default_key(home: &Path) -> Option<std::path::PathBuf> {
    ["id_ed25519", "id_ecdsa", "id_ed25519_sk", "id_ecdsa_sk"]
        .iter()
        .map(|n| home.join(".ssh").join(n))
        .find(|p| p.exists())
}

/// The public half of a signing key: the key itself when it is a `.pub`, else the `.pub`
/// beside it, else what `ssh-keygen -y` derives (which may ask for the passphrase).
pub fn public_key(key: &Path) -> Result<ssh_key::PublicKey, String> {
    let is_pub = key.extension().is_some_and(|e| e == "pub");
    let beside = std::path::PathBuf::from(format!("{}.pub", key.display()));
    let text = if is_pub {
        std::fs::read_to_string(key).map_err(|e| format!("cannot read {}: {e}", key.display()))?
    } else if beside.is_file() {
        std::fs::read_to_string(&beside)
            .map_err(|e| format!("cannot read {}: {e}", beside.display()))?
    } else {
        let out = crate::exec::command("ssh-keygen")
            .args(["-y", "-f"])
            .arg(key)
            .output()
            .map_err(|e| format!("cannot run ssh-keygen -y: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cannot read the public key of {} (give its .pub with --key)",
                key.display()
            ));
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    ssh_key::PublicKey::from_openssh(text.trim())
        .map_err(|e| format!("{} does not hold an SSH public key: {e}", key.display()))
}
