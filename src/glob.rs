//! Globs with `*` (any run of characters) and `?` (one character); nothing else is
//! special. Used for rule words, protected-environment names and approver principals. A leaf.

/// Matches `text` against a glob with `*` and `?`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return pattern == text;
    }
    // Bytes stand for characters when both are ASCII (nearly always): no copy is made.
    if pattern.is_ascii() && text.is_ascii() {
        return glob_units(pattern.as_bytes(), text.as_bytes(), b'*', b'?');
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    glob_units(&p, &t, '*', '?')
}

/// Iterative matcher with single-star backtracking: linear in practice, no recursion.
fn glob_units<T: PartialEq + Copy>(p: &[T], t: &[T], any: T, one: T) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == one || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == any {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == any)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("delete-*", "delete-stack"));
        assert!(!glob_match("delete-*", "describe-stacks"));
        assert!(glob_match("prod*", "prod"));
        assert!(glob_match("*prod*", "eu-production-1"));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "ac"));
        assert!(glob_match("/*", "/*"));
        assert!(glob_match("*", ""));
        assert!(!glob_match("", "x"));
        assert!(glob_match("*a*b*c", "xxaxxbxxbxc"));
        // Outside ASCII `?` is one character, not one byte.
        assert!(glob_match("caf?", "café"));
        assert!(glob_match("*é", "café"));
        assert!(!glob_match("caf??", "café"));
    }
}
