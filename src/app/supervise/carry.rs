//! Ways out of the tree: programs whose commands run where the supervisor cannot see
//! them start (another machine, a container, a terminal server or scheduler that runs
//! outside the tree). What they carry is decided here, at their own exec: a guarded
//! command is at least confirm, and one guard cannot read (from a file, from stdin, from
//! a variable) is confirm.

use crate::decision::Decision;
use crate::finding::Finding;
use crate::shell::{Command, Script};

/// Programs that carry a command out of the tree.
pub const OUT_OF_TREE: &[&str] = &[
    "ssh",
    "docker",
    "podman",
    "nerdctl",
    "lxc",
    "incus",
    "lxd.lxc",
    "lxc-attach",
    "limactl",
    "lima",
    "kubectl",
    "oc",
    "systemd-run",
    "at",
    "batch",
    "crontab",
    "tmux",
    "screen",
    "machinectl",
];

/// The carriers a command was reached through, by program name: `0..9 > sudo > ssh`
/// is `[sudo, ssh]`.
pub fn carriers(origin: &str) -> Vec<&str> {
    // A shell string's origin starts with the byte range (`0..9`); an argv's does not.
    let is_span = |p: &str| {
        p.split("..")
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    origin
        .split(" > ")
        .filter(|p| !p.is_empty() && !is_span(p))
        .filter_map(|c| c.split_whitespace().next())
        .collect()
}

/// What the script carries out of the tree that needs a person: guarded commands, and
/// commands guard cannot read. `guarded` says whether guard has rules for a program.
pub fn findings(script: &Script, guarded: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for cmd in &script.commands {
        let through: Vec<&str> = carriers(&cmd.origin);
        if let Some(carrier) = through.iter().rev().find(|c| OUT_OF_TREE.contains(c)) {
            for inner in expand(cmd) {
                let program = inner.program().unwrap_or_default().to_string();
                if inner.dynamic_program || guarded(&program) {
                    out.push(finding(
                        &inner,
                        carrier,
                        format!(
                            "runs `{}` outside the supervised tree (through {carrier}), where guard cannot see what it starts",
                            inner
                        ),
                    ));
                }
            }
            continue;
        }
        if through.is_empty() {
            if let Some(why) = reads_its_commands(cmd, script, guarded) {
                let carrier = cmd.program().unwrap_or_default().to_string();
                out.push(finding(cmd, &carrier, why));
            }
        }
    }
    out
}

/// A carried word that is a whole command line (`screen -X stuff 'terraform destroy\n'`)
/// is read as one.
fn expand(cmd: &Command) -> Vec<Command> {
    match cmd.argv.as_slice() {
        [one] if one.contains(char::is_whitespace) => crate::shell::parse(one.trim())
            .map(|s| s.commands)
            .unwrap_or_else(|_| vec![cmd.clone()]),
        _ => vec![cmd.clone()],
    }
}

/// Why a carrier with nothing carried on its command line still needs a person: it
/// reads the commands it runs from its input or a file, or runs an image guard knows.
fn reads_its_commands(
    cmd: &Command,
    script: &Script,
    guarded: &dyn Fn(&str) -> bool,
) -> Option<String> {
    let program = cmd.program()?;
    let args: Vec<&str> = cmd.argv.iter().skip(1).map(String::as_str).collect();
    let carries_something = script
        .commands
        .iter()
        .any(|c| c.origin.starts_with(&cmd.origin) && c.origin != cmd.origin);
    let flag = |fs: &[&str]| args.iter().any(|a| fs.contains(a));
    match program {
        "ssh" if !carries_something && !flag(&["-V", "-G", "-O", "-Q"]) => Some(
            "opens a shell on another machine (or this one, outside the supervised tree) whose commands guard cannot read".into(),
        ),
        "at" | "batch" if !flag(&["-l", "-r", "-d", "-c"]) => Some(
            "schedules commands read from its input or a file, to run outside the supervised tree".into(),
        ),
        "crontab" if !flag(&["-l"]) => Some(
            "installs a crontab whose commands run outside the supervised tree".into(),
        ),
        "docker" | "podman" | "nerdctl"
            if matches!(args.first(), Some(&("run" | "create")))
                && !script.commands.iter().any(|c| {
                    c.origin.starts_with(&cmd.origin)
                        && c.origin != cmd.origin
                        && c.program().is_some_and(guarded)
                }) =>
        {
            // The image's own entrypoint runs when no command is given.
            args.iter()
                .filter(|a| !a.starts_with('-'))
                .skip(1)
                .flat_map(|a| a.rsplit(['/', ':']))
                .find(|part| guarded(part))
                .map(|p| format!("runs the `{p}` image outside the supervised tree"))
        }
        _ => None,
    }
}

fn finding(cmd: &Command, carrier: &str, reason: String) -> Finding {
    Finding {
        rule: "supervise.out-of-tree".into(),
        severity: Decision::Confirm,
        rule_severity: Decision::Confirm,
        reason,
        suggestion: Some(format!(
            "run it here, not through {carrier}, so guard decides what it starts"
        )),
        command: cmd.to_string(),
        origin: cmd.origin.clone(),
        target: None,
        protected_environment: None,
        via_env: None,
        argv: cmd.argv.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(line: &str) -> Vec<String> {
        let script = crate::shell::parse(line).unwrap();
        let guarded = |p: &str| matches!(p, "terraform" | "kubectl");
        findings(&script, &guarded)
            .into_iter()
            .map(|f| f.command)
            .collect()
    }

    #[test]
    fn carriers_by_name() {
        assert_eq!(carriers("0..9 > sudo > bash -c"), ["sudo", "bash"]);
        assert_eq!(carriers("ssh"), ["ssh"]);
        assert_eq!(carriers("0..9"), Vec::<&str>::new());
        assert_eq!(carriers(""), Vec::<&str>::new());
    }

    #[test]
    fn guarded_and_unreadable_carried_commands_need_a_person() {
        assert_eq!(decide("ssh host terraform plan"), ["terraform plan"]);
        assert_eq!(
            decide("tmux send-keys -t x 'terraform plan' Enter"),
            ["terraform plan"]
        );
        assert_eq!(
            decide("screen -X stuff 'terraform destroy\n'"),
            ["terraform destroy"]
        );
        assert_eq!(
            decide("docker exec c terraform destroy"),
            ["terraform destroy"]
        );
        assert_eq!(
            decide("docker run --rm hashicorp/terraform destroy").len(),
            1
        );
        // Into a container or a VM.
        assert_eq!(decide("lxc exec c1 -- terraform plan"), ["terraform plan"]);
        assert_eq!(
            decide("limactl shell vm1 terraform plan"),
            ["terraform plan"]
        );
        assert!(decide("lxc exec c1 -- uptime").is_empty());
        assert_eq!(decide("ssh host"), ["ssh host"]);
        assert_eq!(decide("at now"), ["at now"]);
        assert_eq!(decide("crontab f"), ["crontab f"]);
        // Nothing guarded, nothing unreadable: nothing.
        assert!(decide("ssh host uptime").is_empty());
        assert!(decide("docker run --rm node:20 node -v").is_empty());
        assert!(decide("crontab -l").is_empty());
        assert!(decide("ssh -V").is_empty());
        assert!(decide("git status").is_empty());
    }
}
