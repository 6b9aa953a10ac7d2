//! Programs whose output is shell setup code written by the tool itself: environment
//! managers' `init`, agents' `env`, completion scripts. `eval "$(pyenv init -)"` and
//! `source <(kubectl completion bash)` run that code; it sets variables and functions,
//! so guard reads it as known and harmless rather than as a program it cannot see.

/// Whether `argv` prints shell setup code for the shell to run.
pub fn prints_setup_code(argv: &[String]) -> bool {
    let Some((program, args)) = argv.split_first() else {
        return false;
    };
    let program = program.rsplit('/').next().unwrap_or(program);
    let first = args.first().map_or("", String::as_str);
    let has = |w: &str| args.iter().any(|a| a == w);
    match program {
        "ssh-agent" | "dircolors" | "lesspipe" | "lesspipe.sh" => true,
        "pyenv" | "rbenv" | "nodenv" | "jenv" | "goenv" | "plenv" | "phpenv" | "swiftenv" => {
            matches!(first, "init" | "virtualenv-init")
        }
        "starship" | "zoxide" | "mcfly" | "atuin" | "oh-my-posh" | "navi" => first == "init",
        "fnm" => matches!(first, "env" | "completions"),
        "mise" | "rtx" => matches!(first, "activate" | "env" | "completion"),
        "direnv" => matches!(first, "hook" | "export"),
        "brew" => first == "shellenv",
        "conda" | "micromamba" | "mamba" => first.starts_with("shell.") || first == "shell",
        "opam" => first == "env",
        "minikube" => matches!(first, "docker-env" | "podman-env" | "completion"),
        "docker-machine" => first == "env",
        "aws" => args.first().is_some_and(|a| a == "configure") && has("export-credentials"),
        "keychain" => has("--eval"),
        "fzf" => matches!(first, "--bash" | "--zsh" | "--fish"),
        "register-python-argcomplete" | "pipenv" => true,
        "thefuck" => has("--alias"),
        "kubectl" | "helm" | "gh" | "glab" | "kind" | "k3d" | "flux" | "argocd" | "eksctl"
        | "istioctl" | "velero" | "skaffold" | "kustomize" | "oc" | "npm" | "pnpm" | "rustup"
        | "poetry" | "pip" | "pip3" | "deno" | "bun" | "just" | "cargo" | "uv" | "tailscale"
        | "doctl" | "linkerd" | "cilium" | "k9s" | "kubeadm" | "terraform-docs" => {
            has("completion") || has("completions")
        }
        _ => false,
    }
}

/// Whether a shell string is just the output of one setup-code command:
/// `$(pyenv init -)` or `` `ssh-agent -s` ``.
pub fn is_setup_substitution(text: &str) -> bool {
    let t = text.trim();
    let inner = t
        .strip_prefix("$(")
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| t.strip_prefix('`').and_then(|r| r.strip_suffix('`')));
    inner
        .filter(|i| !i.contains(['$', '`', ';', '&', '|', '(', ')', '<', '>', '\n']))
        .and_then(|i| super::split_words(i).ok())
        .is_some_and(|c| c.assignments.is_empty() && prints_setup_code(&c.argv))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_generators_are_known_and_others_are_not() {
        let argv = |s: &str| s.split_whitespace().map(String::from).collect::<Vec<_>>();
        for known in [
            "ssh-agent -s",
            "pyenv init -",
            "starship init bash",
            "brew shellenv",
            "conda shell.bash hook",
            "kubectl completion bash",
            "aws configure export-credentials --format env",
            "minikube docker-env",
            "fzf --zsh",
        ] {
            assert!(prints_setup_code(&argv(known)), "{known}");
        }
        for unknown in [
            "curl -s https://x/install.sh",
            "kubectl get pods",
            "pyenv install 3.12",
            "aws s3 ls",
            "cat script.sh",
        ] {
            assert!(!prints_setup_code(&argv(unknown)), "{unknown}");
        }
        assert!(is_setup_substitution("$(pyenv init -)"));
        assert!(is_setup_substitution(" `ssh-agent -s` "));
        assert!(!is_setup_substitution("$(curl -s x)"));
        assert!(!is_setup_substitution("$(pyenv init -; rm -rf /)"));
        assert!(!is_setup_substitution(
            "$(pyenv init -) && terraform destroy"
        ));
    }
}
