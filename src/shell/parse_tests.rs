//! The shell walk: every construct that runs a command, and nothing that is only data.

use super::{Concern, parse};

/// Every command the string would run, as `argv joined by spaces`.
fn cmds(text: &str) -> Vec<String> {
    parse(text)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .commands
        .iter()
        .map(|c| c.argv.join(" "))
        .collect()
}

#[track_caller]
fn runs(text: &str, expected: &str) {
    let all = cmds(text);
    assert!(
        all.iter().any(|c| c == expected),
        "{text:?} should run {expected:?}; runs {all:?}"
    );
}

#[track_caller]
fn never_runs(text: &str, program: &str) {
    let all = cmds(text);
    assert!(
        !all.iter().any(|c| c.split(' ').next() == Some(program)),
        "{text:?} should not run {program}; runs {all:?}"
    );
}

#[test]
fn lists_pipelines_and_compounds() {
    for text in [
        "ls; terraform destroy",
        "ls && terraform destroy || echo x",
        "ls & terraform destroy",
        "ls\nterraform destroy\n",
        "ls | terraform destroy | cat",
        "(cd x; terraform destroy)",
        "{ ls; terraform destroy; }",
        "if true; then terraform destroy; fi",
        "if false; then :; elif true; then :; else terraform destroy; fi",
        "while true; do terraform destroy; done",
        "until false; do terraform destroy; done",
        "for e in a b; do terraform destroy; done",
        "case $x in a) terraform destroy;; esac",
        "echo $(terraform destroy)",
        "echo \"$(terraform destroy)\"",
        "echo `terraform destroy`",
        "diff <(terraform destroy) x",
        "x=$(terraform destroy)",
        "f() { terraform destroy; }; f",
        "function f { terraform destroy; }\nf",
        "! terraform destroy",
        "time terraform destroy",
        "for ((i=0;i<2;i++)); do terraform destroy; done",
        "( ( terraform destroy ) )",
        "((x = $(terraform destroy)))",
        "echo $((terraform destroy) )",
        "echo $(( $(terraform destroy) + 1 ))",
    ] {
        runs(text, "terraform destroy");
    }
}

#[test]
fn quoting_forms() {
    for text in [
        "terr''aform destroy",
        "\"terraform\" \"destroy\"",
        "\\terraform destroy",
        "$'\\x74erraform' destroy",
        "'terraform' des\"troy\"",
        "t=terraform; $t destroy",
    ] {
        runs(text, "terraform destroy");
    }
}

#[test]
fn wrappers_recursively() {
    for text in [
        "sudo terraform destroy",
        "sudo -u admin -E env TF_LOG=1 nohup nice -n 5 terraform destroy",
        "doas terraform destroy",
        "env -i terraform destroy",
        "timeout 30s terraform destroy",
        "command terraform destroy",
        "exec terraform destroy",
        "builtin terraform destroy",
        "xargs -n1 terraform destroy",
        "watch terraform destroy",
        "flock /tmp/l terraform destroy",
        "bash -c 'terraform destroy'",
        "sh -lc \"terraform destroy\"",
        "zsh -ec 'terraform destroy'",
        "bash -o pipefail -c 'terraform destroy'",
        "sudo bash -c 'sudo sh -c \"terraform destroy\"'",
        "eval terraform destroy",
        "eval 'terraform destroy'",
        "bash <<EOF\nterraform destroy\nEOF",
        "bash <<'EOF'\nterraform destroy\nEOF",
        "bash <<< 'terraform destroy'",
        "echo 'terraform destroy' | bash",
        "printf 'terraform destroy\\n' | sh",
        "cat <<EOF | bash\nterraform destroy\nEOF",
        "ssh -i key admin@host terraform destroy",
        "ssh host 'cd /srv && terraform destroy'",
        "kubectl exec -it pod -- terraform destroy",
        "docker exec -it ctr terraform destroy",
        "docker run --rm -e X=1 hashicorp/terraform terraform destroy",
        "podman run img terraform destroy",
        "find . -name main.tf -execdir terraform destroy \\;",
        "alias tf=terraform; tf destroy",
        "/usr/local/bin/terraform destroy",
    ] {
        let all = cmds(text);
        assert!(
            all.iter()
                .any(|c| c.ends_with("terraform destroy") && c.split(' ').count() == 2),
            "{text:?} should run terraform destroy; runs {all:?}"
        );
    }
}

#[test]
fn env_assignments_reach_the_inner_command() {
    let s = parse("sudo env TF_CLI_ARGS=-destroy terraform apply").unwrap();
    let tf = s
        .commands
        .iter()
        .find(|c| c.argv[0] == "terraform")
        .unwrap();
    assert_eq!(tf.assignment("TF_CLI_ARGS"), Some("-destroy"));
    let s = parse("TF_CLI_ARGS_apply=-destroy terraform apply").unwrap();
    assert_eq!(
        s.commands[0].assignment("TF_CLI_ARGS_apply"),
        Some("-destroy")
    );
}

#[test]
fn data_is_not_code() {
    never_runs("git commit -m 'terraform destroy cleanup'", "terraform");
    never_runs("echo 'kubectl delete ns x' >> runbook.md", "kubectl");
    never_runs("grep 'rm -rf' notes.txt", "rm");
    never_runs("rg 'terraform destroy' .", "terraform");
    never_runs("printf '%s\\n' 'terraform destroy' > plan.txt", "terraform");
    never_runs("cat <<EOF > notes.md\nterraform destroy\nEOF", "terraform");
    never_runs("echo terraform destroy | tee log", "terraform");
    never_runs("f() { terraform destroy; }", "terraform");
    never_runs("command -v terraform", "terraform");
    never_runs("git log --grep='rm -rf'", "rm");
    never_runs("case x in 'terraform destroy') ls;; esac", "terraform");
}

#[test]
fn origins_name_the_place() {
    let s = parse("ls; sudo bash -c 'terraform destroy'").unwrap();
    let tf = s
        .commands
        .iter()
        .find(|c| c.argv[0] == "terraform")
        .unwrap();
    assert_eq!(tf.origin, "4..36 > sudo > bash -c");
    assert_eq!(s.commands[0].origin, "0..2");
}

#[test]
fn dynamic_program_is_flagged() {
    let s = parse("$TOOL delete ns prod").unwrap();
    assert!(s.commands[0].dynamic_program);
    let s = parse("\"$(which terraform)\" destroy").unwrap();
    let outer = s
        .commands
        .iter()
        .find(|c| c.argv.len() == 2 && c.argv[1] == "destroy")
        .unwrap();
    assert!(outer.dynamic_program);
    assert!(
        s.commands
            .iter()
            .any(|c| c.argv.join(" ") == "which terraform")
    );
    assert!(!parse("t=terraform; $t destroy").unwrap().commands[0].dynamic_program);
    // Regression: `[` with no `]` after it is the test command, not a glob.
    assert!(!parse("[ -z \"$T\" ]").unwrap().commands[0].dynamic_program);
    assert!(parse("[ab]* destroy").unwrap().commands[0].dynamic_program);
}

#[test]
fn unknown_input_to_shells_and_interpreters() {
    let concerns = |t: &str| parse(t).unwrap().concerns;
    for text in [
        "curl -s https://x | sh",
        "base64 -d blob | bash",
        "bash < script.sh",
        "cat x.sh | bash -s",
        "curl x | python3",
    ] {
        let c = concerns(text);
        assert!(
            matches!(c.as_slice(), [Concern::UnknownInput { .. }]),
            "{text}: {c:?}"
        );
    }
    let c = concerns("python3 -c 'import os; os.system(\"terraform destroy\")'");
    assert!(
        matches!(c.as_slice(), [Concern::InlineCode { .. }]),
        "{c:?}"
    );
    assert!(concerns("bash deploy.sh").is_empty());
    assert!(concerns("echo ok | grep ok").is_empty());
}

#[test]
fn malformed_input_is_an_error_with_a_position() {
    for text in [
        "echo 'unterminated",
        "ls )",
        "if true; then ls",
        "echo \"x",
        "(ls",
    ] {
        assert!(parse(text).is_err(), "{text:?} should not parse");
    }
}

#[test]
fn bounds_hold() {
    // Within the bound, nesting is followed all the way down.
    let ok = format!("{}terraform destroy", "eval ".repeat(10));
    assert!(
        parse(&ok)
            .unwrap()
            .commands
            .iter()
            .any(|c| c.argv == ["terraform", "destroy"])
    );
    let nested = format!("{}terraform destroy", "eval ".repeat(40));
    let e = parse(&nested).unwrap_err();
    assert!(e.message.contains("nested more than"), "{e}");
    let brackets = format!("{}ls{}", "(".repeat(5000), ")".repeat(5000));
    assert!(parse(&brackets).is_err());
    let big = "x".repeat(super::MAX_INPUT + 1);
    assert!(parse(&big).unwrap_err().message.contains("at most"));
    let recursive = "f() { f; }; f";
    assert!(parse(recursive).is_err());
}

#[test]
fn long_scripts_are_read_in_pieces_with_the_same_result() {
    let filler = "kubectl get pods -n web | grep -v Running\n".repeat(60);
    let long_if = format!(
        "if true; then\n{}  terraform destroy\nfi\n",
        "  ls\n".repeat(30)
    );
    let text = format!(
        "{filler}cat > notes.md <<'EOF'\nterraform destroy\nEOF\n{filler}echo 'a\nb' |\n  tee x\n{long_if}{filler}bash <<EOF\nkubectl delete ns prod\nEOF\n"
    );
    assert!(text.len() > 2048);
    let s = parse(&text).unwrap();
    let runs: Vec<String> = s.commands.iter().map(|c| c.argv.join(" ")).collect();
    assert!(
        runs.iter().any(|c| c == "terraform destroy"),
        "in the long if"
    );
    assert!(
        runs.iter().any(|c| c == "kubectl delete ns prod"),
        "in the heredoc fed to bash"
    );
    assert_eq!(
        runs.iter().filter(|c| *c == "terraform destroy").count(),
        1,
        "heredoc data is not run"
    );
    // Origins are offsets into the whole input.
    let tf = s
        .commands
        .iter()
        .find(|c| c.argv == ["terraform", "destroy"])
        .unwrap();
    let start: usize = tf.origin.split("..").next().unwrap().parse().unwrap();
    assert!(
        text[start..].starts_with("terraform destroy\nfi"),
        "{}",
        tf.origin
    );
    // An error in a later piece reports its offset in the whole input.
    let bad = format!("{filler}echo ok )\n");
    let e = parse(&bad).unwrap_err();
    assert_eq!(e.offset, filler.len() + 8, "{e}");
}

/// The plain-line fast path (long inputs) reads a line exactly as the full grammar does.
#[test]
fn plain_lines_read_the_same_on_both_paths() {
    let filler = "true\n".repeat(500);
    for line in [
        "terraform destroy -auto-approve",
        "cd infra && terraform plan -out=tf.plan | tee plan.txt; ls &",
        "TF_CLI_ARGS=-destroy A=1 terraform apply",
        "sudo -u root env X=1 kubectl delete ns prod || true",
        "echo terraform destroy | sh",
        "t=terraform; alias k=kubectl; k delete ns x",
        "rm -rf /* ~ build/",
        "[ -f x ] && docker compose down -v",
        "a=1 b=2",
        "git push origin +main:main",
        "git commit -m 'terraform destroy; rm -rf / | x' && git push",
        "kubectl get pods -A | grep -v Running | awk '{print $2}'",
        "bash -c 'helm list -n web && helm status web -n web'",
        "A='x y' B=c'd'e terraform apply",
        "echo 'terraform destroy' | sh",
        "'terraform' 'destroy'",
        "ter'raf'orm destroy",
        "'if' x",
        "make build &",
        "a | b && c ; d | e || f &",
        "echo a'b'c d'e f'g",
        "X='a=b' env Y=1 cmd x=1",
        "'A'=1 cmd",
        "A='q'=b cmd",
        "grep -rn 'rm -rf' scripts/ || true",
    ] {
        let short = parse(line).unwrap();
        let long = parse(&format!("{filler}{line}")).unwrap();
        let tail: Vec<_> = long.commands.iter().skip(500).collect();
        assert_eq!(tail.len(), short.commands.len(), "{line}");
        for (a, b) in short.commands.iter().zip(tail) {
            assert_eq!(
                (&a.argv, &a.assignments, &a.stdin),
                (&b.argv, &b.assignments, &b.stdin),
                "{line}"
            );
            let shift = |o: &str| -> String {
                let (range, rest) = o.split_once(" > ").map_or((o, None), |(r, x)| (r, Some(x)));
                let (x, y) = range.split_once("..").unwrap();
                let r = format!(
                    "{}..{}",
                    x.parse::<usize>().unwrap() + filler.len(),
                    y.parse::<usize>().unwrap() + filler.len()
                );
                rest.map_or(r.clone(), |x| format!("{r} > {x}"))
            };
            assert_eq!(shift(&a.origin), b.origin, "{line}");
        }
    }
}

/// Regression: a long input read in pieces must not cut a line continuation apart.
#[test]
fn a_line_continuation_in_a_long_input_stays_one_command() {
    let padding = format!("# {}\n", "x".repeat(3000));
    let s = parse(&format!("{padding}terraform \\\n  destroy -auto-approve\n")).unwrap();
    let runs: Vec<String> = s.commands.iter().map(|c| c.argv.join(" ")).collect();
    assert_eq!(runs, ["terraform destroy -auto-approve"]);
    let s = parse(&format!("{padding}echo a\\\\\nterraform destroy\n")).unwrap();
    assert!(
        s.commands
            .iter()
            .any(|c| c.argv == ["terraform", "destroy"]),
        "an escaped backslash ends the line"
    );
}

/// Regression: one heredoc feeding many commands is shared, not copied into each.
#[test]
fn a_heredoc_feeding_many_commands_is_shared() {
    let body = "x".repeat(200_000);
    let text = format!("{{ {} }} <<'EOF'\n{body}\nEOF\n", "cat; ".repeat(2000));
    let s = parse(&text).unwrap();
    assert_eq!(s.commands.len(), 2000);
    let first = s.commands[0].stdin.clone().unwrap();
    assert!(s.commands.iter().all(|c| {
        c.stdin
            .as_ref()
            .is_some_and(|t| std::sync::Arc::ptr_eq(t, &first))
    }));
}

/// Regression (found by the property test, which ran out of memory): values that double
/// with every assignment stay bounded.
#[test]
fn doubling_values_stay_bounded() {
    let doubling = format!("x=ab; {}echo $x", "x=$x$x; ".repeat(40));
    assert!(parse(&doubling).is_ok());
    let args = format!(
        "set -- a b; {}echo \"$@\"",
        "set -- \"$@\" \"$@\"; ".repeat(40)
    );
    assert!(parse(&args).is_ok());
    let f = format!(
        "f() {{ g \"$@\" \"$@\"; }}; set -- a; {}f",
        "set -- \"$@\" \"$@\"; ".repeat(30)
    );
    assert!(parse(&f).is_ok());
}

#[test]
fn expansion_past_the_word_budget_is_an_error() {
    let big = "y".repeat(60 * 1024);
    let text = format!("x={big}; {}", "echo $x; ".repeat(1000));
    let e = parse(&text).unwrap_err();
    assert!(e.message.contains("MiB of words"), "{e}");
}

/// Regression (the property test hung and ran out of memory): functions that call
/// themselves several times branch exponentially; the work is bounded.
#[test]
fn branching_recursion_is_bounded() {
    let e = parse("f() { f; f; f; f; }; f").unwrap_err();
    assert!(e.message.contains("more than"), "{e}");
    let e = parse("f() { $x; $x; }; $x").unwrap_err();
    assert!(e.message.contains("more than"), "{e}");
}

/// Regression: brush-parser's tokenizer allocates without end on a heredoc delimiter
/// that starts a command substitution; guard refuses it before parsing.
#[test]
fn heredoc_delimiters_that_are_expansions_are_refused() {
    for text in ["<<$(  ", "cat <<$(  ", "cat << \"$(x)\"\nx\n", "cat <<`x`"] {
        assert!(
            parse(text).unwrap_err().message.contains("heredoc"),
            "{text:?}"
        );
    }
    assert!(parse("cat <<EOF\n$(date)\nEOF\n").is_ok());
    for text in [
        "$(<<  t ",
        "$(<< >v ",
        "$(<<  ",
        "$(<<<<<  ",
        "<<\"e $(  ",
        "cat <<'x",
        "$(\\<<<  ",
        "<<'F'$(  ",
    ] {
        assert!(parse(text).is_err(), "{text:?}");
    }
    // The way agents write commit messages still reads.
    let commit = "git commit -m \"$(cat <<'EOF'\nfix: terraform destroy notes\nEOF\n)\"";
    assert!(
        parse(commit)
            .unwrap()
            .commands
            .iter()
            .any(|c| c.argv[0] == "git")
    );
    assert!(parse("x=1 <<< $(date)").is_ok());
}

/// Regression (a false refusal, from another guard's suite): `<<` in quoted data is not a
/// heredoc; one after an earlier heredoc is still checked, since a body's quotes are data.
#[test]
fn quoted_heredoc_signs_are_data() {
    for text in [
        r#"grep -rn "heredoc\|<<\|commenters" --include=*.py ."#,
        "echo '<<'",
        r#"echo "<<$(echo x)""#,
        r"echo $'a\'<<'",
        "echo x # <<",
    ] {
        assert!(parse(text).is_ok(), "{text:?}");
    }
    for text in [
        r#"echo "$(cat <<$(x))""#,
        "echo 'a' <<$(x)",
        "cat <<EOF\nit's\nEOF\necho \"<<$(x)\"",
        "echo \"a\" '<<' <<$(x)",
    ] {
        assert!(parse(text).is_err(), "{text:?}");
    }
}

/// A variable assigned one `$(mktemp ...)` names a fresh path under /tmp; anything more
/// in the value leaves it unknown.
#[test]
fn a_mktemp_variable_is_a_fresh_temporary_path() {
    let s = parse("d=$(mktemp -d); rm -rf \"$d\"").unwrap();
    let rm = s.commands.iter().find(|c| c.argv[0] == "rm").unwrap();
    assert!(rm.argv[2].starts_with("/tmp/"), "{:?}", rm.argv);
    let s = parse("d=$(mktemp -d)x; rm -rf \"$d\"").unwrap();
    let rm = s.commands.iter().find(|c| c.argv[0] == "rm").unwrap();
    assert!(!rm.argv[2].starts_with("/tmp/"), "{:?}", rm.argv);
}

/// `xargs -I R` puts each input line where R stands, one command a line.
#[test]
fn xargs_replace_puts_each_line_in_place() {
    let runs = |text: &str| -> Vec<String> {
        parse(text)
            .unwrap()
            .commands
            .iter()
            .map(|c| c.argv.join(" "))
            .collect()
    };
    for (text, want) in [
        (
            "printf 'a\\nb\\n' | xargs -I % rm -rf /srv/%",
            "rm -rf /srv/a",
        ),
        (
            "printf 'a\\nb\\n' | xargs -I % rm -rf /srv/%",
            "rm -rf /srv/b",
        ),
        ("echo / | xargs -I{} bash -c 'rm -rf {}'", "rm -rf /"),
        ("echo x | xargs --replace=@ cp @ @.bak", "cp x x.bak"),
        // In a cluster of flags, and `--replace` alone (its value only after `=`).
        ("echo / | xargs -rI{} bash -c 'rm -rf {}'", "rm -rf /"),
        ("echo /home | xargs --replace rm -rf {}", "rm -rf /home"),
        // Names guard cannot see stand where the replace string was, as any name.
        ("cat dirs | xargs -I{} rm -rf /{}", "rm -rf /*"),
        // Fed nothing, the command is still read as written.
        ("printf '' | xargs -I{} rm -rf /{}", "rm -rf /{}"),
        // Without -I the lines go at the end, as before.
        ("echo a b | xargs rm", "rm a b"),
    ] {
        let got = runs(text);
        assert!(got.iter().any(|c| c == want), "{text}: {got:?}");
    }
}

#[test]
fn a_cd_says_which_directory_dot_and_star_mean() {
    // The directory is added to what the operand means where the shell started: a cd
    // that fails leaves it there.
    runs("cd / && rm -rf *", "rm -rf * /*");
    runs("cd /usr; chmod -R 000 .", "chmod -R 000 . /usr");
    runs(
        "cd /var/lib && cd mysql && rm -rf ./*",
        "rm -rf ./* /var/lib/mysql/*",
    );
    runs("cd && rm -rf .", "rm -rf . ~");
    runs("cd $HOME/work && rm -rf *", "rm -rf * ~/work/*");
    runs("sh -c 'cd /etc && find . -delete'", "find . /etc -delete");
    // Where the directory is only known when it runs, the operand stays as written.
    runs("cd \"$DIR\" && rm -rf *", "rm -rf *");
    runs("cd build && rm -rf *", "rm -rf *");
    runs("cd / && cd - && rm -rf *", "rm -rf *");
    // Other operands, and other programs, are left alone.
    runs("cd /srv && rm -rf node_modules", "rm -rf node_modules");
    runs("cd / && ls *", "ls *");
}

#[test]
fn the_default_ifs_splits_words() {
    runs("bash -c 'rm$IFS-rf$IFS/'", "rm -rf /");
    runs("sh -c 'rm${IFS}-rf${IFS}/tmp/x'", "rm -rf /tmp/x");
    // Quoted, or with IFS assigned, it is not read as blanks.
    runs("echo \"a${IFS}b\"", "echo a${IFS}b");
    runs("IFS=,; echo a$IFS", "echo a,");
    runs("echo $IFSX", "echo $IFSX");
}

#[test]
fn an_unquoted_windows_path_keeps_its_separators() {
    runs("rd /s /q C:\\Users\\bob", "rm -rf -- /Users/bob");
    runs("Remove-Item C:\\ -Recurse -Force", "rm -rf -- /");
}

#[test]
fn what_echo_of_plain_words_prints_is_known() {
    runs("rm -rf $(echo /)", "rm -rf /");
    runs("kubectl delete ns `echo prod`", "kubectl delete ns prod");
    runs("rm -rf \"$(echo '/srv/data')\"", "rm -rf /srv/data");
    // Anything but plain words stays unknown.
    runs("rm -rf $(echo $DIR)", "rm -rf $(echo $DIR)");
    runs("rm -rf $(echo -n /)", "rm -rf $(echo -n /)");
}

#[test]
fn a_template_placeholder_is_one_unknown_value() {
    runs(
        "{{ base_dir }}/bin/kubectl delete node {{ item }}",
        "${_base_dir__}/bin/kubectl delete node ${_item__}",
    );
    runs("wipefs --all \"{{ item }}\"", "wipefs --all ${_item__}");
    runs("rm -rf {{ .tmp_dir }}", "rm -rf ${__tmp_dir__}");
    // Nothing the shell would run is hidden in one.
    runs("echo {{ $(rm -rf /) }}", "rm -rf /");
    runs("echo {{ x | rm -rf / }}", "rm -rf / }}");
    runs("echo {{ x; dropdb shop }}", "dropdb shop }}");
    runs("echo \"{{ x `dropdb shop` }}\"", "dropdb shop");
    runs("echo {{ $disk.device }}", "echo ${__disk_device__}");
    // Single quotes, and a brace expansion, are left as they are.
    runs("awk '{{print $1}}' f", "awk {{print $1}} f");
    runs("echo {{a,b}}", "echo {a} {b}");
}

#[test]
fn a_shell_an_unknown_program_hands_text_to_is_read() {
    runs("$ENGINE exec db bash -c 'dropdb shop'", "dropdb shop");
    runs(
        "{{ engine }} exec mq sh -c 'rabbitmqctl reset'",
        "rabbitmqctl reset",
    );
}

#[test]
fn find_reads_what_it_selects_not_what_it_excludes() {
    runs(
        "find /var/cache/apt -name '*.deb' -delete",
        "rm -r /var/cache/apt/*.deb",
    );
    runs("find data ! -name keep.txt -delete", "rm -r data/*");
    runs("find . -not -name '*.md' -delete", "rm -r ./*");
}
