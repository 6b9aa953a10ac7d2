//! Windows' deleting commands, read as the `rm` that does the same, so that one policy
//! decides them: PowerShell's `Remove-Item` (and its aliases `ri`, `del`, `erase`, `rd`,
//! `rmdir`) with `-Recurse`, cmd.exe's `rd /s` and `del /s`; and what `powershell
//! -Command` or `-EncodedCommand` runs. A path keeps its directories and loses its drive
//! (`C:\Windows` is `/Windows`, `C:\` is `/`); `$env:USERPROFILE` is `$HOME`.

use super::unwrap::{Inner, argv, script};
use base64::Engine as _;

/// A Windows path written unquoted (`rd /s /q C:\Users\bob`, `Remove-Item C:\ -Recurse`)
/// means its backslashes as separators, but a POSIX shell reads each as an escape
/// (`C:Usersbob`, and `C:\ -Recurse` as one word). Where a word starts with a drive
/// (`C:\`) outside quotes, its backslashes are written as `/`, which is the same length,
/// so offsets into the text stay right. `None` when there is no such word.
pub fn drive_paths(text: &str) -> Option<String> {
    if !text.contains(":\\") {
        return None;
    }
    super::syntax::rewrite_unquoted(text, |b, i, out| {
        let word_start = i == 0
            || matches!(
                b[i - 1],
                b' ' | b'\t' | b'\n' | b'=' | b':' | b';' | b'|' | b'&' | b'(' | b'<' | b'>' | b','
            );
        if !(b[i].is_ascii_alphabetic()
            && word_start
            && b.get(i + 1) == Some(&b':')
            && b.get(i + 2) == Some(&b'\\'))
        {
            return 0;
        }
        let mut j = i + 2;
        while j < b.len() && !b" \t\n;|&<>()'\"".contains(&b[j]) {
            if b[j] == b'\\' {
                out[j] = b'/';
            }
            j += 1;
        }
        j - i
    })
}

/// `powershell|pwsh [-NoProfile ...] -Command TEXT...` or `-EncodedCommand BASE64`
/// (UTF-16LE, as PowerShell encodes it): the command text. PowerShell takes any prefix
/// of a parameter's name, in any case (`-c`, `-com`, `-enc`, `-e`, `-ec`).
pub(super) fn powershell(via: &str, args: &[String]) -> Vec<Inner> {
    for (i, a) in args.iter().enumerate() {
        let Some(name) = parameter(a).or(a.strip_prefix('/')) else {
            // Windows PowerShell (5.1) reads a first word that is no parameter as the
            // command; pwsh (7) as a script file.
            if i == 0 && via.starts_with("powershell") {
                return powershell_text(via, args.join(" "));
            }
            continue;
        };
        let name = name.to_ascii_lowercase();
        let rest = &args[i + 1..];
        if !name.is_empty()
            && ("command".starts_with(&name)
                || "commandwithargs".starts_with(&name)
                || name == "cwa")
        {
            return powershell_text(via, rest.join(" "));
        }
        if name == "ec" || (!name.is_empty() && "encodedcommand".starts_with(&name)) {
            return rest
                .first()
                .and_then(|b64| decode_utf16(b64))
                .map_or_else(Vec::new, |text| powershell_text(via, text));
        }
        if name == "f" || (name.len() >= 2 && "file".starts_with(&name)) {
            return Vec::new();
        }
    }
    Vec::new()
}

/// PowerShell's text is not POSIX shell: `if (Test-Path x) { … }` does not parse as it.
/// Read where it parses, line by line where not; never refused for its syntax.
fn powershell_text(via: &str, text: String) -> Vec<Inner> {
    if text.trim().is_empty() {
        return Vec::new();
    }
    vec![Inner::Recipe {
        via: via.to_string(),
        recipe: super::recipes::Recipe::Text(text),
    }]
}

/// A parameter's name after its dash: `-`, or the en dash, em dash or horizontal bar,
/// which PowerShell takes as one too.
fn parameter(word: &str) -> Option<&str> {
    ['-', '\u{2013}', '\u{2014}', '\u{2015}']
        .iter()
        .find_map(|d| word.strip_prefix(*d))
}

fn decode_utf16(b64: &str) -> Option<String> {
    // .NET's decoder skips white space inside the text.
    let b64: String = b64.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    String::from_utf16(&units).ok()
}

/// `cmd [/q] [/d] /c|/k COMMAND...`: the rest of the line is the command.
pub(super) fn cmd(via: &str, args: &[String]) -> Vec<Inner> {
    args.iter()
        .position(|a| a.eq_ignore_ascii_case("/c") || a.eq_ignore_ascii_case("/k"))
        .map_or_else(Vec::new, |at| script(via, &args[at + 1..]))
}

/// A Windows path as guard's `rm` rules read paths.
fn unix_path(p: &str) -> String {
    let p = p.replace('\\', "/");
    let lower = p.to_ascii_lowercase();
    for (var, to) in [
        ("$env:userprofile", "$HOME"),
        ("${env:userprofile}", "$HOME"),
        ("$env:systemroot", "/Windows"),
        ("$env:windir", "/Windows"),
        ("%systemroot%", "/Windows"),
        ("%windir%", "/Windows"),
        ("$env:programdata", "/ProgramData"),
        ("%programdata%", "/ProgramData"),
        ("%userprofile%", "$HOME"),
        ("$home", "$HOME"),
        ("$env:temp", "$TMPDIR"),
        ("$env:tmp", "$TMPDIR"),
        ("%temp%", "$TMPDIR"),
        ("%tmp%", "$TMPDIR"),
    ] {
        if lower.starts_with(var) {
            return format!("{to}{}", &p[var.len()..]);
        }
    }
    // cmd's `%NAME%` is the variable `$NAME`.
    if let Some(rest) = p.strip_prefix('%') {
        if let Some((name, tail)) = rest.split_once('%') {
            if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return format!("${name}{tail}");
            }
        }
    }
    let b = p.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        let rest = p[2..].trim_start_matches('/');
        return format!("/{rest}");
    }
    p
}

/// `Remove-Item [-Path] PATH[,PATH...] [-Recurse] [-Force] ...` as `rm [-rf] PATH...`.
pub(super) fn remove_item(via: &str, args: &[String]) -> Vec<Inner> {
    const VALUED: &[&str] = &[
        "path",
        "literalpath",
        "lp",
        "pspath",
        "include",
        "exclude",
        "filter",
        "credential",
        "stream",
        "erroraction",
        "ea",
        "warningaction",
        "wa",
        "informationaction",
        "infa",
        "errorvariable",
        "ev",
        "warningvariable",
        "wv",
        "outvariable",
        "ov",
        "outbuffer",
        "ob",
        "pipelinevariable",
        "pv",
        "informationvariable",
        "iv",
    ];
    let (mut recurse, mut paths) = (false, Vec::new());
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        // `-WhatIf` only says what it would remove.
        if a.eq_ignore_ascii_case("-whatif") {
            return Vec::new();
        }
        match parameter(a).map(str::to_ascii_lowercase) {
            Some(name) if !name.is_empty() => {
                // `-Recurse:$true`, `-LiteralPath:C:\x`: the value after the colon.
                let (name, inline) = match name.split_once(':') {
                    Some((n, v)) => (n.to_string(), Some(v.to_string())),
                    None => (name, None),
                };
                let name = name.as_str();
                if let Some(v) = inline.filter(|_| !"recurse".starts_with(name)) {
                    if ["path", "literalpath", "lp", "pspath"].contains(&name) {
                        paths.push(a[a.find(':').map_or(0, |c| c + 1)..].to_string());
                        let _ = v;
                    }
                    i += 1;
                    continue;
                }
                if "recurse".starts_with(name) {
                    recurse = true;
                } else if let Some(full) = VALUED.iter().find(|v| v.starts_with(name)) {
                    if matches!(*full, "path" | "literalpath" | "lp" | "pspath") {
                        paths.extend(args.get(i + 1).cloned());
                    }
                    i += 1;
                }
            }
            _ => paths.push(a.clone()),
        }
        i += 1;
    }
    // No path, but PowerShell's own parameters (`-Force`, `-Recurse`): it deletes what
    // the pipeline gives it (`Get-ChildItem -Recurse | Remove-Item -Force`), each item with
    // what is under it; names known only when it runs. (`ri -i` alone is Ruby's.)
    let powershell_like = args
        .iter()
        .any(|a| parameter(a).is_some_and(|n| n.len() > 2 && !n.starts_with('-')));
    if paths.is_empty() {
        return if powershell_like {
            rm(via, true, &["$input".to_string()])
        } else {
            Vec::new()
        };
    }
    rm(via, recurse, &paths)
}

/// cmd.exe's `rd|rmdir /s [/q] DIR...` and `del|erase [/s] [/q] [/f] FILES...`.
pub(super) fn cmd_delete(via: &str, program: &str, args: &[String]) -> Vec<Inner> {
    // Switches may be joined (`/s/q`) and in any case.
    let is_switch = |a: &str| {
        a.starts_with('/')
            && a[1..].split('/').all(|p| {
                !p.is_empty()
                    && p.len() <= 2
                    && p.chars().all(|c| c.is_ascii_alphabetic() || c == ':')
            })
    };
    let switch = |s: &str| {
        args.iter()
            .filter(|a| is_switch(a))
            .any(|a| a[1..].split('/').any(|p| p.eq_ignore_ascii_case(&s[1..])))
    };
    let paths: Vec<String> = args.iter().filter(|a| !is_switch(a)).cloned().collect();
    let dir = matches!(program, "rd" | "rmdir");
    if dir && !switch("/s") {
        // `rd DIR` removes an empty directory only.
        return Vec::new();
    }
    rm(via, dir || switch("/s"), &paths)
}

fn rm(via: &str, recurse: bool, paths: &[String]) -> Vec<Inner> {
    // PowerShell's drives that hold no files: `Alias:*`, `Function:x`, `Variable:x`, `Env:X`.
    let not_files = |p: &&str| {
        let lower = p.to_ascii_lowercase();
        ["alias:", "function:", "variable:", "env:"]
            .iter()
            .any(|d| lower.starts_with(d))
    };
    let paths: Vec<String> = paths
        .iter()
        .flat_map(|p| p.split(','))
        .filter(|p| !p.is_empty())
        .filter(|p| !not_files(p))
        .map(unix_path)
        .collect();
    if paths.is_empty() {
        return Vec::new();
    }
    let mut words = vec![
        "rm".to_string(),
        if recurse { "-rf" } else { "-f" }.to_string(),
    ];
    words.push("--".to_string());
    words.extend(paths);
    argv(via, &words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn argv_of(found: Vec<Inner>) -> Vec<String> {
        match found.as_slice() {
            [Inner::Argv { argv, .. }] => argv.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unquoted_drive_paths_keep_their_separators() {
        let cases = [
            (r"rd /s /q C:\Users\bob", Some("rd /s /q C:/Users/bob")),
            (
                r"Remove-Item C:\ -Recurse",
                Some("Remove-Item C:/ -Recurse"),
            ),
            (r"rd /s /q C:\", Some("rd /s /q C:/")),
            (
                r"del /q x;rd /s D:\data\*",
                Some("del /q x;rd /s D:/data/*"),
            ),
            (r#"rd /s "C:\Program Files\x""#, None),
            (r"echo 'C:\x' a\:\b", None),
            (r"printf '%s\n' x", None),
            (r"cipher /w:C:\", Some("cipher /w:C:/")),
        ];
        for (text, want) in cases {
            assert_eq!(drive_paths(text).as_deref(), want, "{text}");
            if let Some(w) = want {
                assert_eq!(w.len(), text.len());
            }
        }
    }

    #[test]
    fn remove_item_is_rm() {
        assert_eq!(
            argv_of(remove_item(
                "Remove-Item",
                &words("-Recurse -Force C:/Windows")
            )),
            words("rm -rf -- /Windows")
        );
        assert_eq!(
            argv_of(remove_item("ri", &words("-r -fo node_modules,dist"))),
            words("rm -rf -- node_modules dist")
        );
        assert_eq!(
            argv_of(remove_item(
                "Remove-Item",
                &words("-Path $env:USERPROFILE -Recurse")
            )),
            words("rm -rf -- $HOME")
        );
        assert_eq!(
            argv_of(remove_item("del", &words("notes.txt"))),
            words("rm -f -- notes.txt")
        );
    }

    #[test]
    fn cmd_rd_and_del() {
        assert_eq!(
            argv_of(cmd_delete("rd", "rd", &words("/s /q C:data"))),
            words("rm -rf -- /data")
        );
        assert!(cmd_delete("rd", "rd", &words("emptydir")).is_empty());
        assert_eq!(
            argv_of(cmd_delete("del", "del", &words("/f /s /q C:/logs/*"))),
            words("rm -rf -- /logs/*")
        );
    }

    #[test]
    fn powershell_command_and_encoded_command() {
        let text = |found: Vec<Inner>| match found.as_slice() {
            [
                Inner::Recipe {
                    recipe: super::super::recipes::Recipe::Text(text),
                    ..
                },
            ] => text.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            text(powershell(
                "pwsh",
                &words("-NoProfile -c Remove-Item -r data")
            )),
            "Remove-Item -r data"
        );
        // "rm -r x" in UTF-16LE, base64.
        let enc = base64::engine::general_purpose::STANDARD.encode(
            "rm -r x"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>(),
        );
        assert_eq!(
            text(powershell("powershell", &["-enc".into(), enc])),
            "rm -r x"
        );
        assert!(powershell("pwsh", &words("-File build.ps1")).is_empty());
    }
}
