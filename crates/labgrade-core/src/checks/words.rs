//! Shared wording: quoting and truncating what a student's app said, short image ids, plain counts and shell words for the fixes.

/// Up to `max` characters of `s` in quotes, with an ellipsis when cut.
pub(crate) fn quote(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    if one_line.chars().count() > max {
        format!("\"{}…\"", one_line.chars().take(max).collect::<String>())
    } else {
        format!("\"{one_line}\"")
    }
}

pub(crate) use crate::report::truncate;

pub(crate) fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

/// "1 time", "3 times".
pub(crate) fn times(n: i64) -> String {
    if n == 1 {
        "1 time".into()
    } else {
        format!("{n} times")
    }
}

/// Names compared loosely: case, `-`, `_` and `.` do not count.
pub(crate) fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !"-_.".contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The log line that explains a failure: the last one naming an error (frameworks log
/// the request line, and a restarted app its start banner, after it), else the last one.
pub(crate) fn telling_line(log: &[String]) -> Option<&String> {
    const ERRORS: [&str; 5] = ["Error", "Exception", "error:", "Fatal", "panicked"];
    log.iter()
        .rev()
        .find(|l| {
            let t = l.trim_start();
            !t.starts_with("File ") && ERRORS.iter().any(|e| t.contains(e))
        })
        .or_else(|| log.iter().rev().find(|l| !l.trim().is_empty()))
}

/// `["/bin/sh", "-c", "..."]`: how the image records a shell-form CMD or ENTRYPOINT.
pub(crate) fn shell_form(cmd: &[String]) -> bool {
    cmd.len() == 3 && cmd[0] == "/bin/sh" && cmd[1] == "-c"
}

/// A word as a shell reads it back unchanged: as is when plain, else in single quotes.
/// (Not shell-words' `quote`: it quotes `-e 'KEY=value'` needlessly, and leaves `{a,b}`
/// and `a!b` bare, which bash turns into two words or a history lookup.)
pub(crate) fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

pub(crate) fn env_value<'a>(env: &'a [String], key: &str) -> Option<&'a str> {
    env.iter()
        .filter_map(|e| e.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words() {
        assert_eq!(shell_word("APP_ENV=production"), "APP_ENV=production");
        assert_eq!(shell_word("hello world"), "'hello world'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("$HOME"), "'$HOME'");
        assert_eq!(shell_word("{a,b}"), "'{a,b}'");
        assert_eq!(shell_word("a!b"), "'a!b'");
        assert_eq!(shell_word("~/x"), "'~/x'");
    }
}
