//! `guard rules list | show | test | lint`.

use crate::util::Sandbox;

#[test]
fn every_builtin_example_passes() {
    let s = Sandbox::new();
    let out = s.guard().args(["rules", "test"]).run();
    let out = out.expect_code(0);
    let last = out.stdout().lines().last().unwrap_or_default().to_string();
    assert!(last.ends_with(" 0 failed"), "{}", out.stdout());
    // Every built-in pack contributes rules and examples.
    let n: usize = last.split(' ').next().unwrap().parse().unwrap();
    assert!(n >= 9, "{last}");
}

#[test]
fn rules_test_reports_each_failing_example_with_its_place() {
    let s = Sandbox::new();
    let f = s.write(
        "pack.toml",
        r#"[[rules]]
id = "p.one"
tools = ["foo"]
command = "delete"
severity = "confirm"
reason = "r"
match = ["foo delete x", "foo remove x"]
not_match = ["foo list", "foo delete"]
"#,
    );
    let out = s
        .guard()
        .args(["rules", "test"])
        .arg(&f)
        .run()
        .expect_code(1);
    let text = out.stdout();
    assert!(
        text.contains(":7:26: rule `p.one` does not match its example `foo remove x`"),
        "{text}"
    );
    assert!(
        text.contains(":8:26: rule `p.one` matches its not_match example `foo delete`"),
        "{text}"
    );
    assert!(
        text.contains("1 rules, 4 examples: 2 passed, 2 failed"),
        "{text}"
    );
}

#[test]
fn rules_lint_names_line_and_column() {
    let s = Sandbox::new();
    let f = s.write("bad.toml", "[[rules]]\nid = \"a\"\ntools = [\"x\"]\nseverity = \"confirm\"\nreason = \"r\"\nbogus = 1\n");
    s.guard()
        .args(["rules", "lint"])
        .arg(&f)
        .run()
        .expect_code(78)
        .stderr_has(":6:1: unknown field `bogus`");
    let ok = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/custom-pack.toml");
    s.guard()
        .args(["rules", "lint", ok])
        .run()
        .expect_code(0)
        .stdout_has("ok (2 rules, 0 warnings)");
}

#[test]
fn rules_list_and_show() {
    let s = Sandbox::new();
    s.user_config("[severity]\n\"git.push-force\" = \"two-person\"\n");
    let out = s
        .guard()
        .args(["rules", "list", "--json"])
        .run()
        .expect_code(0);
    let list = out.json();
    let rule = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "git.push-force")
        .unwrap();
    assert_eq!(rule["severity"], "two-person");
    assert_eq!(rule["rule_severity"], "confirm");
    assert_eq!(rule["source"], "rules/git.toml");
    s.guard()
        .args(["rules", "show", "terraform.destroy"])
        .run()
        .expect_code(0)
        .stdout_has("severity:   two-person")
        .stdout_has("matches:    terraform destroy");
    s.guard()
        .args(["rules", "show", "nope"])
        .run()
        .expect_code(64)
        .stderr_has("no rule `nope`");
}

/// Every program has one grammar: two built-in packs that both define a tool (or an
/// alias) would leave one of them silently unused.
#[test]
fn no_two_builtin_packs_define_the_same_program() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    let mut twice = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    for f in files {
        let table: toml::Table = std::fs::read_to_string(&f).unwrap().parse().unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        for (tool, spec) in table
            .get("tools")
            .and_then(|t| t.as_table())
            .into_iter()
            .flatten()
        {
            let aliases = spec.get("aliases").and_then(|a| a.as_array());
            let names = std::iter::once(tool.clone()).chain(
                aliases
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(String::from)),
            );
            for n in names {
                if let Some(before) = seen.insert(n.clone(), name.clone()) {
                    twice.push(format!("{n}: {before} and {name}"));
                }
            }
        }
    }
    assert!(twice.is_empty(), "defined twice: {twice:?}");
}
