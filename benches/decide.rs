//! In-process cost of guard's work per command: building the rule set for one program
//! (what each run does at start-up), and deciding on typical commands with every
//! built-in pack loaded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use guard::config::build::build;
use guard::policy::decide;
use guard::shell::split_words;
use std::hint::black_box;

const COMMANDS: &[(&str, &str)] = &[
    ("ls", "ls -la"),
    ("git_commit", "git commit -m 'terraform destroy cleanup'"),
    ("git_push_force", "git -C repo push --force origin main"),
    (
        "terraform_destroy",
        "terraform -chdir=envs/prod destroy -auto-approve",
    ),
    (
        "aws_s3_rb",
        "aws --profile prod --region eu-west-1 --output json s3 rb s3://logs --force",
    ),
    (
        "kubectl_delete_ns",
        "kubectl --context prod -n kube-system delete ns payments",
    ),
    ("rm_rf", "rm -rf /"),
];

fn decide_all_packs(c: &mut Criterion) {
    let (set, _) = build(&[], None).unwrap();
    let no_env = |_: &str| None;
    let mut group = c.benchmark_group("decide");
    for (name, line) in COMMANDS {
        let cmd = split_words(line).unwrap();
        group.bench_function(*name, |b| {
            b.iter(|| decide(&set.check(black_box(&cmd), &no_env)))
        });
    }
    group.finish();
}

fn load_for_one_program(c: &mut Criterion) {
    let mut group = c.benchmark_group("load");
    for program in ["ls", "git", "terraform", "aws", "kubectl"] {
        let programs = [program.to_string()];
        group.bench_function(program, |b| {
            b.iter(|| build(&[], Some(black_box(&programs))).unwrap())
        });
    }
    group.bench_function("all_packs", |b| b.iter(|| build(&[], None).unwrap()));
    group.finish();
}

/// A 1,000-line script mixing the constructs agents send: pipelines, wrappers, nesting,
/// substitutions, heredocs and plain data.
fn script_1000_lines() -> String {
    let lines = [
        "cd infra && terraform plan -out=tf.plan",
        "kubectl get pods -A | grep -v Running | awk '{print $2}'",
        "sudo -u deploy env TF_LOG=info terraform apply tf.plan",
        "git add -A && git commit -m 'terraform destroy cleanup' && git push origin main",
        "for ns in a b c; do kubectl -n \"$ns\" get deploy; done",
        "aws --profile dev s3 ls s3://bucket/prefix/ --recursive | wc -l",
        "echo \"$(date) deploy\" >> deploy.log",
        "bash -c 'helm list -n web && helm status web -n web'",
        "grep -rn 'rm -rf' scripts/ || true",
        "if [ -f x ]; then docker compose up -d; else echo missing; fi",
    ];
    (0..1000)
        .map(|i| lines[i % lines.len()])
        .collect::<Vec<_>>()
        .join("\n")
}

fn shell_strings(c: &mut Criterion) {
    let (set, _) = build(&[], None).unwrap();
    let no_env = |_: &str| None;
    let decide_text = |text: &str| {
        let script = guard::shell::parse(text).unwrap();
        decide(&guard::analysis::findings(&script, &set, &no_env))
    };
    let mut group = c.benchmark_group("shell");
    let one_liner = "cd infra && sudo bash -c 'terraform plan -out=x' | tee plan.log";
    group.bench_function("one_liner", |b| {
        b.iter(|| decide_text(black_box(one_liner)))
    });
    let script = script_1000_lines();
    group.sample_size(20);
    group.bench_function("script_1000_lines", |b| {
        b.iter(|| decide_text(black_box(&script)))
    });
    group.finish();
}

criterion_group!(
    benches,
    decide_all_packs,
    load_for_one_program,
    shell_strings
);
criterion_main!(benches);
