//! The plan stage against the fixtures in `tests/fixtures/plans` (the tools' documented
//! JSON), with a runner that answers from them and records what it was asked to run.

use super::*;
use crate::analysis::Input;
use std::cell::RefCell;

fn fixture(rel: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/plans/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Answers every command with one output; records the commands.
struct Fake {
    answer: Result<Vec<u8>, Unreadable>,
    file: Vec<u8>,
    ran: RefCell<Vec<String>>,
}

impl Fake {
    fn new(answer: Result<Vec<u8>, Unreadable>) -> Fake {
        Fake {
            answer,
            file: b"plan file bytes".to_vec(),
            ran: RefCell::new(Vec::new()),
        }
    }
}

impl Runner for Fake {
    fn capture(&self, argv: &[OsString], _: &[(String, String)]) -> Result<Vec<u8>, Unreadable> {
        self.ran.borrow_mut().push(shown_argv(argv));
        if argv.iter().any(|a| a == "plan") {
            return Ok(b"Plan: 1 to add\n".to_vec());
        }
        self.answer.clone()
    }
    fn read(&self, _: &std::path::Path) -> Result<Vec<u8>, Unreadable> {
        Ok(self.file.clone())
    }
    fn plan_path(&self) -> Result<PathBuf, Unreadable> {
        Ok(PathBuf::from("/state/plans/p1.tfplan"))
    }
    fn hold(&self, _: &[u8], name: &str) -> Result<PathBuf, Unreadable> {
        self.ran.borrow_mut().push(format!("hold {name}"));
        Ok(PathBuf::from("/dev/fd/9"))
    }
    fn save(&self, _: &[u8], name: &str) -> Result<PathBuf, Unreadable> {
        self.ran.borrow_mut().push(format!("save {name}"));
        Ok(PathBuf::from("/state/plans").join(name))
    }
}

fn rules() -> RuleSet {
    crate::config::build::build(&[], None)
        .expect("built-in rules")
        .0
}

fn run(line: &str, fake: &Fake, set: &RuleSet, mode: Mode) -> Refined {
    let words = crate::shell::split_words(line).expect("words").argv;
    let argv: Vec<OsString> = words.into_iter().map(OsString::from).collect();
    let script = Input::Argv(argv.clone()).read().expect("script");
    let env = |_: &str| None;
    let findings = crate::analysis::findings(&script, set, &env);
    refine(&script, findings, set, mode, Some(&argv), &env, fake)
}

fn ids(r: &Refined) -> Vec<(&str, Decision)> {
    r.findings
        .iter()
        .map(|f| (f.rule.as_str(), f.severity))
        .collect()
}

#[track_caller]
fn actions(changes: &[Change]) -> Vec<(&str, Action)> {
    changes
        .iter()
        .map(|c| (c.address.as_str(), c.action))
        .collect()
}

#[test]
fn terraform_plans_read_every_documented_action() {
    use Action::*;
    let read = |f: &str| terraform::changes(&fixture(&format!("terraform/{f}.json")));
    assert_eq!(
        actions(&read("create").unwrap()),
        [("aws_iam_role.app", Create), ("aws_s3_bucket.logs", Create)]
    );
    assert_eq!(
        actions(&read("update").unwrap()),
        [("aws_instance.web", Update), ("aws_s3_bucket.logs", NoOp)]
    );
    assert!(actions(&read("delete").unwrap()).contains(&("aws_db_instance.main", Delete)));
    assert!(
        actions(&read("replace-delete-create").unwrap())
            .contains(&("aws_db_instance.main", Replace))
    );
    assert_eq!(
        actions(&read("replace-create-delete").unwrap()),
        [("module.net.aws_lb.front", Replace)]
    );
    assert!(actions(&read("read").unwrap()).contains(&("data.aws_ami.ubuntu", Read)));
    assert!(read("noop").unwrap().iter().all(|c| c.action == NoOp));
    assert!(actions(&read("forget").unwrap()).contains(&("aws_s3_bucket.old", Forget)));
    assert!(
        read("malformed")
            .unwrap_err()
            .to_string()
            .contains("not the JSON plan format")
    );
    assert!(
        read("unknown-format")
            .unwrap_err()
            .to_string()
            .contains("format_version `2.0`")
    );
}

#[test]
fn pulumi_previews_collapse_steps_per_resource() {
    use Action::*;
    let read = |f: &str| pulumi::changes(&fixture(&format!("pulumi/{f}.json")));
    let replace = read("replace").unwrap();
    let cluster = replace
        .iter()
        .find(|c| c.address.ends_with("aws:eks/cluster:Cluster::main"))
        .unwrap();
    assert_eq!(cluster.action, Replace);
    assert_eq!(
        replace
            .iter()
            .filter(|c| c.address == cluster.address)
            .count(),
        1
    );
    assert!(
        read("delete")
            .unwrap()
            .iter()
            .any(|c| c.action == Delete && c.address.ends_with("rds/instance:Instance::main"))
    );
    for quiet in ["create", "update", "read", "noop"] {
        assert!(
            read(quiet).unwrap().iter().all(|c| c.action <= Update),
            "{quiet}"
        );
    }
    assert!(read("malformed").is_err());
}

#[test]
fn a_destroying_plan_is_two_person_and_names_what_goes() {
    let set = rules();
    let fake = Fake::new(Ok(fixture("terraform/replace-delete-create.json")));
    let r = run(
        "terraform apply -auto-approve tf.plan",
        &fake,
        &set,
        Mode::Check,
    );
    // The plan's finding replaces "applies without showing the plan".
    assert_eq!(ids(&r), [(ids::DESTROYS, Decision::TwoPerson)]);
    assert!(
        r.findings[0]
            .reason
            .contains("destroys 0 and recreates 1 resource(s), their data with them: aws_db_instance.main (replace)"),
        "{}",
        r.findings[0].reason
    );
    assert_eq!(*fake.ran.borrow(), ["terraform show -json tf.plan"]);
    assert_eq!(
        r.digest.as_deref(),
        Some(sha256(b"plan file bytes").as_str())
    );
}

#[test]
fn a_plan_that_only_creates_or_updates_passes() {
    let set = rules();
    for f in ["create", "update", "read", "noop"] {
        let fake = Fake::new(Ok(fixture(&format!("terraform/{f}.json"))));
        let r = run(
            "terraform apply -auto-approve tf.plan",
            &fake,
            &set,
            Mode::Run { plan_first: false },
        );
        assert_eq!(ids(&r), [], "{f}");
        assert!(r.digest.is_some());
    }
    // A run reads the plan once into a sealed copy, and shows and applies that copy.
    let fake = Fake::new(Ok(fixture("terraform/forget.json")));
    let r = run(
        "tofu apply tf.plan",
        &fake,
        &set,
        Mode::Run { plan_first: false },
    );
    assert_eq!(ids(&r), [(ids::FORGETS, Decision::Confirm)]);
    let copy = "/dev/fd/9";
    assert_eq!(
        *fake.ran.borrow(),
        [
            format!("hold {}.tfplan", sha256(b"plan file bytes")),
            format!("tofu show -json {copy}")
        ]
    );
    let exec: Vec<String> = r
        .exec
        .iter()
        .flatten()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(exec, ["tofu", "apply", copy]);
    assert_eq!(r.saved, [PathBuf::from(copy)]);
}

#[test]
fn a_plan_is_trusted_only_when_its_apply_is_the_whole_input() {
    let set = rules();
    for line in [
        "terraform plan -destroy -out=p && terraform apply -auto-approve p",
        "cd sub && terraform apply -auto-approve p",
    ] {
        let fake = Fake::new(Ok(fixture("terraform/create.json")));
        let script = crate::shell::parse(line).expect("parses");
        let env = |_: &str| None;
        let findings = crate::analysis::findings(&script, &set, &env);
        let r = refine(&script, findings, &set, Mode::Check, None, &env, &fake);
        assert!(fake.ran.borrow().is_empty(), "{line}: nothing is run");
        assert!(
            ids(&r).contains(&(ids::UNREADABLE, Decision::Confirm))
                && ids(&r).contains(&("terraform.auto-approve", Decision::Confirm)),
            "{line}: {:?}",
            ids(&r)
        );
    }
    // A tool named by a path the input chose is never run.
    let fake = Fake::new(Ok(fixture("terraform/create.json")));
    let r = run("./x/terraform apply p", &fake, &set, Mode::Check);
    assert!(fake.ran.borrow().is_empty());
    assert!(
        r.findings[0].reason.contains("only by name"),
        "{:?}",
        r.findings
    );
    // Repeated -chdir: which directory is unclear.
    let fake = Fake::new(Ok(fixture("terraform/create.json")));
    let r = run(
        "terraform -chdir=a -chdir=b apply p",
        &fake,
        &set,
        Mode::Check,
    );
    assert!(fake.ran.borrow().is_empty());
    assert!(
        r.findings[0]
            .reason
            .contains("-chdir is given more than once")
    );
    // plan_first only rewrites the whole argv, never a wrapped one.
    let set = rules();
    let plan_first = true;
    let fake = Fake::new(Ok(fixture("terraform/create.json")));
    let r = run(
        "env TF_WORKSPACE=prod terraform apply",
        &fake,
        &set,
        Mode::Run { plan_first },
    );
    assert!(r.exec.is_none());
    assert!(fake.ran.borrow().is_empty());
}

#[test]
fn an_unreadable_plan_keeps_the_argument_rules_and_is_at_least_confirm() {
    let set = rules();
    for answer in [
        Err(Unreadable::Tool("timed out after 120s".to_string())),
        Ok(fixture("terraform/malformed.json")),
        Ok(fixture("terraform/unknown-format.json")),
    ] {
        let fake = Fake::new(answer);
        let r = run(
            "terraform apply -auto-approve tf.plan",
            &fake,
            &set,
            Mode::Check,
        );
        assert_eq!(
            ids(&r),
            [
                ("terraform.auto-approve", Decision::Confirm),
                (ids::UNREADABLE, Decision::Confirm)
            ]
        );
        assert!(
            r.findings[1]
                .reason
                .contains("terraform show -json tf.plan")
        );
        assert_eq!(r.digest, None);
    }
}

#[test]
fn the_show_command_keeps_the_global_options_and_the_directory() {
    let set = rules();
    let fake = Fake::new(Ok(fixture("terraform/create.json")));
    run(
        "terraform -chdir=envs/prod apply -lock-timeout 5s -auto-approve prod.tfplan",
        &fake,
        &set,
        Mode::Check,
    );
    assert_eq!(
        *fake.ran.borrow(),
        ["terraform -chdir=envs/prod show -json prod.tfplan"]
    );
    // No plan file and no plan_first: nothing to read, the argument rules stand.
    let fake = Fake::new(Ok(fixture("terraform/create.json")));
    let r = run(
        "terraform apply -auto-approve",
        &fake,
        &set,
        Mode::Run { plan_first: false },
    );
    assert!(fake.ran.borrow().is_empty());
    assert_eq!(ids(&r), [("terraform.auto-approve", Decision::Confirm)]);
    // Not an apply: nothing to read.
    let fake = Fake::new(Ok(fixture("terraform/create.json")));
    run(
        "terraform plan -out=tf.plan",
        &fake,
        &set,
        Mode::Run { plan_first: false },
    );
    run(
        "terraform apply -destroy",
        &fake,
        &set,
        Mode::Run { plan_first: false },
    );
    assert!(fake.ran.borrow().is_empty());
}

#[test]
fn plan_first_plans_then_applies_exactly_the_saved_plan() {
    let set = rules();
    let plan_first = true;
    let fake = Fake::new(Ok(fixture("terraform/delete.json")));
    let r = run(
        "terraform -chdir=envs/prod apply -var region=eu-west-1 -lock=false -auto-approve",
        &fake,
        &set,
        Mode::Run { plan_first },
    );
    assert_eq!(
        *fake.ran.borrow(),
        [
            "terraform -chdir=envs/prod plan -out=/state/plans/p1.tfplan -var region=eu-west-1 -lock=false",
            &format!("hold {}.tfplan", sha256(b"plan file bytes")),
            "terraform -chdir=envs/prod show -json /dev/fd/9",
        ]
    );
    let exec: Vec<String> = r
        .exec
        .as_ref()
        .unwrap()
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // What runs is the held copy of what the plan wrote; what an approval binds is the
    // apply of the saved file, which the person runs once approved.
    assert_eq!(
        exec,
        [
            "terraform",
            "-chdir=envs/prod",
            "apply",
            "-lock=false",
            "/dev/fd/9"
        ]
    );
    let subject: Vec<String> = r
        .subject
        .iter()
        .flatten()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        subject,
        [
            "terraform",
            "-chdir=envs/prod",
            "apply",
            "-lock=false",
            "/state/plans/p1.tfplan"
        ]
    );
    assert_eq!(ids(&r), [(ids::DESTROYS, Decision::TwoPerson)]);
    assert_eq!(r.plan_text, b"Plan: 1 to add\n");
    // A check never makes a plan.
    let fake = Fake::new(Ok(fixture("terraform/delete.json")));
    let r = run("terraform apply", &fake, &set, Mode::Check);
    assert!(fake.ran.borrow().is_empty());
    assert!(r.exec.is_none());
}

#[test]
fn pulumi_up_is_read_with_preview_and_the_same_stack() {
    let set = rules();
    let fake = Fake::new(Ok(fixture("pulumi/delete.json")));
    let r = run(
        "pulumi -C infra up --yes -s prod --target urn:x",
        &fake,
        &set,
        Mode::Check,
    );
    assert_eq!(
        *fake.ran.borrow(),
        ["pulumi -C infra preview -s prod --target urn:x --json"]
    );
    assert_eq!(ids(&r), [(ids::DESTROYS, Decision::TwoPerson)]);
    let fake = Fake::new(Ok(fixture("pulumi/update.json")));
    let r = run("pulumi up -fy", &fake, &set, Mode::Check);
    assert_eq!(*fake.ran.borrow(), ["pulumi preview --json"]);
    assert_eq!(
        ids(&r),
        [],
        "pulumi.up-unreviewed is superseded by the preview"
    );
}
