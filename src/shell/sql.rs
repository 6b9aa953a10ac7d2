//! What a database client's SQL text runs besides SQL: psql's `\!` and `\o |CMD`, mysql's
//! `system`/`\!`, sqlite3's `.shell`/`.system` and `.once|.output |CMD` run a shell
//! command on this machine; PostgreSQL's `COPY … TO|FROM PROGRAM 'CMD'` runs one on the
//! server. Each is read as the command it runs. And a statement whose keywords are split
//! by comments (`DROP/**/DATABASE x`) is read again with the comments taken out, so the
//! rules about SQL see the statement the server sees.

use super::unwrap::{Inner, argv, script};

/// The SQL clients whose text is read here.
pub(super) fn is_sql_client(program: &str) -> bool {
    matches!(program, "psql" | "mysql" | "mariadb" | "sqlite3")
}

/// What `program ARGS...` runs through its SQL text (any argument may be SQL: `-c`,
/// `--command=`, `-e`, `-cmd`, sqlite3's positional).
pub(super) fn sql_client(program: &str, args: &[String]) -> Vec<Inner> {
    let mut out = Vec::new();
    for text in args {
        for command in shell_commands(text) {
            out.extend(script(&format!("{program} SQL"), &[command]));
        }
    }
    if args.iter().any(|a| a.contains("/*")) {
        let stripped: Vec<String> = args.iter().map(|a| without_comments(a)).collect();
        if stripped != args {
            let mut words = vec![program.to_string()];
            words.extend(stripped);
            out.extend(argv(&format!("{program} SQL"), &words));
        }
    }
    out
}

/// The shell commands an SQL text hands to a shell.
fn shell_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        // sqlite3's dot-commands and mysql's `system` start a line.
        for prefix in [".shell ", ".system ", "system "] {
            if let Some(rest) = trimmed.strip_prefix(prefix) {
                out.push(rest.trim().to_string());
            }
        }
        for prefix in [".once ", ".output "] {
            if let Some(rest) = trimmed.strip_prefix(prefix) {
                if let Some(cmd) = rest.trim_start().strip_prefix('|') {
                    out.push(cmd.trim().to_string());
                }
            }
        }
        // psql's and mysql's `\!` anywhere on the line, to the line's end; psql's
        // `\o |CMD`.
        if let Some(at) = line.find("\\!") {
            out.push(line[at + 2..].trim().to_string());
        }
        if let Some(at) = line.find("\\o") {
            if let Some(cmd) = line[at + 2..].trim_start().strip_prefix('|') {
                out.push(cmd.trim().to_string());
            }
        }
    }
    out.extend(copy_programs(text));
    out.retain(|c| !c.is_empty());
    out
}

/// `COPY … TO PROGRAM 'CMD'` and `FROM PROGRAM 'CMD'` (SQL quoting: `''` is a quote).
fn copy_programs(text: &str) -> Vec<String> {
    let upper = text.to_ascii_uppercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = upper[from..].find("PROGRAM") {
        let start = from + at + "PROGRAM".len();
        from = start;
        let before = upper[..from - "PROGRAM".len()].trim_end();
        if !(before.ends_with(" TO") || before.ends_with(" FROM")) {
            continue;
        }
        let rest = text[start..].trim_start();
        let Some(body) = rest.strip_prefix('\'') else {
            continue;
        };
        let mut command = String::new();
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    break;
                }
            }
            command.push(c);
        }
        out.push(command);
    }
    out
}

/// An SQL text with its `/* … */` comments replaced by a space.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("/*") {
        out.push_str(&rest[..at]);
        out.push(' ');
        rest = match rest[at + 2..].find("*/") {
            Some(end) => &rest[at + 2 + end + 2..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_escapes_in_sql_are_found() {
        assert_eq!(shell_commands(r"\! rm -rf /srv"), ["rm -rf /srv"]);
        assert_eq!(shell_commands(r"SELECT 1; \! dropdb app"), ["dropdb app"]);
        assert_eq!(shell_commands(".shell rm -rf /"), ["rm -rf /"]);
        assert_eq!(shell_commands(".tables\n.system dropdb x"), ["dropdb x"]);
        assert_eq!(shell_commands(".once |rm -rf data"), ["rm -rf data"]);
        assert_eq!(shell_commands(r"\o | sh"), ["sh"]);
        assert_eq!(
            shell_commands("COPY t TO PROGRAM 'rm -rf /srv'"),
            ["rm -rf /srv"]
        );
        assert_eq!(
            shell_commands("copy t from program 'echo ''x'' > /etc/hosts'"),
            ["echo 'x' > /etc/hosts"]
        );
        assert!(shell_commands("SELECT 'system rm'").is_empty());
        assert!(shell_commands("SELECT program FROM t").is_empty());
    }

    #[test]
    fn comments_between_keywords_are_taken_out() {
        assert_eq!(without_comments("DROP/**/DATABASE x"), "DROP DATABASE x");
        assert_eq!(
            without_comments("DROP /* a */ TABLE/*b*/t"),
            "DROP   TABLE t"
        );
        assert_eq!(without_comments("SELECT 1"), "SELECT 1");
    }
}
