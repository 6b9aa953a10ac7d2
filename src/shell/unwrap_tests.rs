//! What each wrapper runs, read with its own options.
use super::runners::is_interpreter;
use super::unwrap::*;

/// The line's words with shell quoting removed.
fn run_quoted(line: &str) -> Vec<Inner> {
    inner(&crate::shell::split_words(line).unwrap().argv)
}

fn run(line: &str) -> Vec<Inner> {
    inner(
        &line
            .split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>(),
    )
}

fn first_argv(line: &str) -> String {
    match run(line).into_iter().next() {
        Some(Inner::Argv { argv, .. }) => argv.join(" "),
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn wrappers_with_options_that_take_values() {
    assert_eq!(
        first_argv("sudo -u root -E terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("sudo -Eu root terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("timeout -s KILL 30s terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(first_argv("nice -n 10 rm -rf /"), "rm -rf /");
    assert_eq!(first_argv("nice -5 rm -rf /"), "rm -rf /");
    assert_eq!(first_argv("ionice -c 3 rm -rf /"), "rm -rf /");
    assert_eq!(
        first_argv("ionice -c3 ssh -p 22 host x"),
        "ssh -p 22 host x"
    );
    assert_eq!(first_argv("ionice -c 3 sudo -u root x"), "sudo -u root x");
    assert!(run("ionice -c 3 -p 1234").is_empty());
    assert_eq!(
        first_argv("stdbuf -oL -e 0 terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("xargs -I {} -n 1 kubectl delete ns {}"),
        "kubectl delete ns {}"
    );
    assert_eq!(
        first_argv("time -f %e terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("flock -w 5 /tmp/l terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("exec -a name terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("watch -x -n 5 kubectl delete pod x"),
        "kubectl delete pod x"
    );
    assert_eq!(first_argv("chroot /mnt rm -rf /"), "rm -rf /");
}

#[test]
fn env_collects_assignments() {
    let r = run("env -i -u HOME TF_CLI_ARGS=-destroy terraform apply");
    assert_eq!(
        r,
        [Inner::Argv {
            via: "env".into(),
            argv: vec!["terraform".into(), "apply".into()],
            assignments: vec![("TF_CLI_ARGS".into(), "-destroy".into())],
            replace: None,
        }]
    );
    assert!(run("env").is_empty());
    assert!(run("command -v terraform").is_empty());
}

#[test]
fn shells_and_scripts() {
    let text = |r: Vec<Inner>| match r.into_iter().next() {
        Some(Inner::Script { text, .. }) => text,
        other => panic!("{other:?}"),
    };
    let mut v: Vec<String> = ["bash", "-lc", "terraform destroy"]
        .map(String::from)
        .to_vec();
    assert_eq!(text(inner(&v)), "terraform destroy");
    v = ["sh", "-e", "-o", "pipefail", "-c", "x y"]
        .map(String::from)
        .to_vec();
    assert_eq!(text(inner(&v)), "x y");
    assert_eq!(text(run("eval terraform destroy")), "terraform destroy");
    assert_eq!(
        text(run("ssh -p 22 -i key host kubectl delete ns x")),
        "kubectl delete ns x"
    );
    assert_eq!(text(run("watch -n 5 kubectl get pods")), "kubectl get pods");
    assert_eq!(run("bash"), [Inner::ShellStdin { via: "bash".into() }]);
    assert_eq!(
        run("bash -s arg"),
        [Inner::ShellStdin { via: "bash".into() }]
    );
    // A script file is read from its file, by the walker.
    assert_eq!(
        run("bash deploy.sh"),
        [Inner::Recipe {
            via: "bash deploy.sh".into(),
            recipe: super::recipes::Recipe::ShellFile("deploy.sh".into()),
        }]
    );
    // With no remote command, the remote shell reads standard input.
    assert_eq!(run("ssh host"), [Inner::ShellStdin { via: "ssh".into() }]);
    assert_eq!(
        text(run("ssh host -- terraform destroy")),
        "terraform destroy"
    );
    assert!(run("ssh").is_empty());
    assert_eq!(
        run("bash /dev/stdin"),
        [Inner::ShellStdin { via: "bash".into() }]
    );
}

#[test]
fn more_runners() {
    assert_eq!(
        first_argv("nohup -- terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(first_argv("pkexec --user root rm -rf /"), "rm -rf /");
    assert_eq!(first_argv("runuser -u app -- rm -rf /"), "rm -rf /");
    assert_eq!(
        first_argv("taskset -c 0 terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("strace -f -o log terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("nsenter -t 1 -m -u kubectl delete ns prod"),
        "kubectl delete ns prod"
    );
    assert_eq!(
        first_argv("systemd-run --scope -p x=y terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("screen -dmS x terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(
        first_argv("docker run --rm --entrypoint terraform hashicorp/terraform:1.7 destroy"),
        "terraform destroy"
    );
    let script_text = |line: &str| match run(line).into_iter().next() {
        Some(Inner::Script { text, .. }) => text,
        other => panic!("{line}: {other:?}"),
    };
    assert_eq!(
        script_text("tmux new-session -d -s x terraform destroy"),
        "terraform destroy"
    );
    assert_eq!(script_text("script -qc x /dev/null"), "x");
    assert_eq!(
        script_text("parallel kubectl delete ns ::: a b"),
        "kubectl delete ns a b"
    );
    assert_eq!(run("at now"), [Inner::ShellStdin { via: "at".into() }]);
    let su: Vec<String> = ["su", "-", "root", "-c", "rm -rf /"]
        .map(String::from)
        .to_vec();
    assert!(matches!(inner(&su).as_slice(), [Inner::Script { text, .. }] if text == "rm -rf /"));
    let awk: Vec<String> = ["awk", "-F,", "BEGIN{system(\"x\")}"]
        .map(String::from)
        .to_vec();
    assert!(matches!(inner(&awk).as_slice(), [Inner::Code { .. }]));
}

#[test]
fn find_exec_and_containers() {
    let r = run("find / -name x -exec rm -rf {} ; -execdir shred {} +");
    assert_eq!(r.len(), 2);
    // `{}` is what find selects: the name it matches, else what is under where it starts.
    assert_eq!(first_argv("find . -exec rm -rf {} +"), "rm -rf ./*");
    assert_eq!(first_argv("find / -exec rm -rf {} +"), "rm -rf /");
    assert_eq!(first_argv("find /tmp/ -delete"), "rm -r /tmp/*");
    assert_eq!(
        first_argv("find . -type d -name __pycache__ -exec rm -rf {} +"),
        "rm -rf __pycache__"
    );
    assert_eq!(
        first_argv("find /srv/up -mtime +30 -delete"),
        "rm -r /srv/up/*"
    );
    assert_eq!(
        first_argv("kubectl exec -n prod pod -c app -- rm -rf /data"),
        "rm -rf /data"
    );
    assert!(run("kubectl get pods -- x").is_empty());
    assert_eq!(
        first_argv("docker exec -it -u root db psql -c x"),
        "psql -c x"
    );
    assert_eq!(
        first_argv("docker run --rm -v /:/host -e A=1 alpine rm -rf /host"),
        "rm -rf /host"
    );
    assert_eq!(
        first_argv("docker compose -f c.yml exec -T db dropdb x"),
        "dropdb x"
    );
    assert!(run("docker ps").is_empty());
    assert_eq!(
        first_argv("lxc exec first -- rm /usr/bin/bash"),
        "rm /usr/bin/bash"
    );
    assert_eq!(
        first_argv("incus --project web exec --env A=1 --cwd /srv c1 -- rm -rf /srv"),
        "rm -rf /srv"
    );
    assert_eq!(first_argv("lxc exec c1 dropdb app"), "dropdb app");
    assert_eq!(
        first_argv("lxc-attach -n web -- rm -rf /var/www"),
        "rm -rf /var/www"
    );
    assert!(run("lxc list").is_empty());
    assert!(run("lxc exec c1").is_empty());
    assert!(matches!(
        run_quoted("ansible webservers -m ansible.builtin.file -a 'dest=/srv/c state=absent'").first(),
        Some(Inner::Argv { argv, .. }) if argv.join(" ") == "rm -rf /srv/c"
    ));
    for (line, want) in [
        (
            "ansible all -i hosts -b -a 'systemctl stop postgresql'",
            "systemctl stop postgresql",
        ),
        (
            "ansible db -m shell -a 'dropdb app && echo done'",
            "dropdb app && echo done",
        ),
        (
            "ansible db --module-name=raw --args='rm -rf /data'",
            "rm -rf /data",
        ),
    ] {
        assert!(
            matches!(run_quoted(line).first(), Some(Inner::Script { text, .. }) if text == want),
            "{line}"
        );
    }
    assert!(run("ansible all -m ping").is_empty());
    assert_eq!(
        first_argv("atmos terraform destroy vpc -s prod"),
        "terraform destroy vpc -s prod"
    );
    assert_eq!(
        first_argv("atmos auth exec --identity admin -- aws s3 rb s3://x --force"),
        "aws s3 rb s3://x --force"
    );
    assert!(run("atmos describe stacks").is_empty());
    assert_eq!(
        first_argv("limactl shell --workdir / k8s-1 sudo kubeadm reset --force"),
        "sudo kubeadm reset --force"
    );
    // Lima keeps each word whole: the quoted script is one word, as given.
    assert!(matches!(
        run_quoted("lima FOO=1 bash -c 'rm -rf /srv'").first(),
        Some(Inner::Argv { argv, assignments, .. })
            if argv.join("|") == "bash|-c|rm -rf /srv" && assignments.len() == 1
    ));
    // LXD takes the instance's options after its name too.
    assert_eq!(
        first_argv("lxc exec c1 --env FOO=bar -- rm -rf /srv"),
        "rm -rf /srv"
    );
    assert_eq!(
        first_argv("incus exec c1 -T --user 0 rm -rf /srv"),
        "rm -rf /srv"
    );
    // An application jar is not a tool; check mode runs nothing; atmos deploy applies.
    assert!(run("java -jar target/reset-service-0.0.1-SNAPSHOT.jar").is_empty());
    assert!(run_quoted("ansible all -m shell -a 'rm -rf /srv' --check").is_empty());
    assert_eq!(
        first_argv("atmos terraform deploy vpc -s prod"),
        "terraform apply -auto-approve vpc -s prod"
    );
    assert!(run("atmos terraform destroy vpc -s dev --dry-run").is_empty());
    assert_eq!(
        first_argv("java -Xmx2g -jar /opt/bfg-1.14.0.jar --delete-files id_rsa repo.git"),
        "bfg --delete-files id_rsa repo.git"
    );
    assert!(run_quoted("ansible all -m file -a 'path=/srv/c state=directory'").is_empty());
}

#[test]
fn interpreters() {
    let v: Vec<String> = ["python3", "-c", "import os"].map(String::from).to_vec();
    assert_eq!(
        inner(&v),
        [Inner::Code {
            via: "python3".into(),
            code: "import os".into()
        }]
    );
    assert_eq!(
        run("python3"),
        [Inner::InterpreterStdin {
            via: "python3".into()
        }]
    );
    assert!(run("python3 script.py").is_empty());
    assert!(run("python3 -m http.server").is_empty());
    assert!(is_interpreter("python3.11"));
    assert!(!is_interpreter("pythonic"));
}

/// Every wrapper survives any option as its last word (an option that takes a value with
/// no value after it), and `--` or nothing at all.
#[test]
fn truncated_wrapper_options_never_panic() {
    let programs = [
        "sudo",
        "doas",
        "env",
        "nohup",
        "pkexec",
        "su",
        "runuser",
        "script",
        "taskset",
        "strace",
        "nsenter",
        "systemd-run",
        "at",
        "parallel",
        "tmux",
        "screen",
        "setsid",
        "exec",
        "command",
        "time",
        "timeout",
        "nice",
        "ionice",
        "stdbuf",
        "chroot",
        "fakeroot",
        "prlimit",
        "chrt",
        "numactl",
        "firejail",
        "xvfb-run",
        "proxychains4",
        "chpst",
        "sg",
        "fish",
        "git",
        "flock",
        "xargs",
        "watch",
        "eval",
        "ssh",
        "find",
        "kubectl",
        "docker",
        "podman",
        "bash",
        "sh",
        "python3",
        "node",
        "awk",
        "$SHELL",
    ];
    let options = [
        "-u",
        "-n",
        "-c",
        "-S",
        "-t",
        "-j",
        "-F",
        "-e",
        "-s",
        "-k",
        "-w",
        "-C",
        "-a",
        "-o",
        "-p",
        "-i",
        "-l",
        "-f",
        "-v",
        "-x",
        "-E",
        "--user",
        "--",
        "-",
        ":::",
        "exec",
        "run",
        "compose",
        "new-session",
        "send-keys",
        "--entrypoint",
        "-exec",
        "--command",
    ];
    for p in programs {
        let _ = inner(&[p.to_string()]);
        for o in options {
            for tail in [&[][..], &["x"][..], &["--"][..]] {
                let mut argv = vec![p.to_string(), o.to_string()];
                argv.extend(tail.iter().map(|t| t.to_string()));
                let _ = inner(&argv);
                let mut argv = vec![p.to_string(), "x".to_string(), o.to_string()];
                argv.extend(tail.iter().map(|t| t.to_string()));
                let _ = inner(&argv);
            }
        }
    }
}

#[test]
fn launchers_run_what_follows_their_options() {
    for (line, inner) in [
        (
            "fakeroot -l lib.so -- kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        (
            "prlimit --nofile=1024 kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        (
            "chrt -T 10 1 kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        (
            "numactl -N 0 --membind 0 kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        (
            "firejail --noprofile kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        (
            "xvfb-run -a -s x kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        (
            "proxychains4 -q -f p.conf kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        (
            "chpst -u deploy kubectl delete ns prod",
            "kubectl delete ns prod",
        ),
        ("sg docker kubectl delete ns prod", "kubectl delete ns prod"),
    ] {
        assert_eq!(first_argv(line), inner, "{line}");
    }
    assert!(matches!(
        run("sg docker -c kubectl").first(),
        Some(Inner::Script { text, .. }) if text == "kubectl"
    ));
    assert!(matches!(
        run("fish -c kubectl").first(),
        Some(Inner::Script { text, .. }) if text == "kubectl"
    ));
}
