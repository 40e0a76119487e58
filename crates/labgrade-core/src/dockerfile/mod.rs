//! A Dockerfile parser (line continuations, comments, the escape directive, JSON and shell
//! forms, ARG/ENV substitution, stages) and the teaching rules labgrade checks a
//! submission's Dockerfile with. Pure: it reads text, never the disk or the daemon.

pub mod pip;
mod rules;

/// `["python", "app.py"]`, as a Dockerfile writes exec form.
pub(crate) fn exec_form(args: &[String]) -> String {
    serde_json::to_string(args)
        .unwrap_or_default()
        .replace("\",\"", "\", \"")
}

pub use rules::{
    GENERIC_DEPS_FIRST, LintOptions, RULES, Rule, Violation, deps_first_fix, exec_words, lint,
};

/// `dir` joined with `p` as a container path, as WORKDIR and COPY resolve it: an absolute
/// `p` wins, `.` and `..` are followed.
pub fn join_path(dir: &str, p: &str) -> String {
    let p = p.trim_matches('"');
    let joined = if p.starts_with('/') {
        p.to_string()
    } else {
        format!("{}/{}", dir.trim_end_matches('/'), p)
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// One instruction, with the line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword: FROM, RUN, COPY, ...
    pub keyword: String,
    /// Everything after the keyword, continuations joined, trimmed.
    pub args: String,
    /// 1-based line of the keyword.
    pub line: usize,
    /// Index of the build stage (each FROM starts one).
    pub stage: usize,
}

impl Instruction {
    /// The arguments of the exec (JSON) form, if that is how it is written.
    pub fn exec_form(&self) -> Option<Vec<String>> {
        let t = self.args.trim();
        if !t.starts_with('[') {
            return None;
        }
        serde_json::from_str::<Vec<String>>(t).ok()
    }
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dockerfile {
    pub instructions: Vec<Instruction>,
    /// Stage names from `FROM ... AS name`, by stage index.
    pub stage_names: Vec<Option<String>>,
}

/// Substitutes `$VAR`, `${VAR}`, `${VAR:-default}` from `vars`; unknown ones become empty.
pub fn substitute(text: &str, vars: &[(String, String)]) -> String {
    let lookup = |name: &str| {
        vars.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'{') {
            chars.next();
            let inner: String = chars.by_ref().take_while(|c| *c != '}').collect();
            let (name, default) = match inner.split_once(":-") {
                Some((n, d)) => (n, Some(d)),
                None => (inner.as_str(), None),
            };
            out.push_str(
                &lookup(name)
                    .filter(|v| !v.is_empty())
                    .or(default.map(str::to_owned))
                    .unwrap_or_default(),
            );
        } else {
            let mut name = String::new();
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphanumeric() || n == '_' {
                    name.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            if name.is_empty() {
                out.push('$');
            } else {
                out.push_str(&lookup(&name).unwrap_or_default());
            }
        }
    }
    out
}

/// The terminator of a heredoc that starts in these arguments (`<<EOF`, `<<-"EOF"`).
fn heredoc_word(args: &str) -> Option<String> {
    let at = args.find("<<")?;
    let rest = args[at + 2..].trim_start_matches('-');
    let word: String = rest
        .trim_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!word.is_empty()).then_some(word)
}

impl Dockerfile {
    /// Parses Dockerfile text. Never fails: what cannot be read is left out.
    pub fn parse(text: &str) -> Dockerfile {
        // Windows editors start files with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut escape = '\\';
        let mut lines = text.lines().enumerate().peekable();
        // Parser directives come first, as `# escape=` comments.
        while let Some((_, l)) = lines.peek() {
            let t = l.trim();
            match t
                .strip_prefix('#')
                .map(str::trim)
                .and_then(|d| d.split_once('='))
            {
                Some((k, v)) if k.trim().eq_ignore_ascii_case("escape") => {
                    escape = v.trim().chars().next().unwrap_or('\\');
                    lines.next();
                }
                Some((k, _))
                    if k.trim().eq_ignore_ascii_case("syntax")
                        || k.trim().eq_ignore_ascii_case("check") =>
                {
                    lines.next();
                }
                _ => break,
            }
        }
        let mut out = Dockerfile::default();
        let mut stage = 0usize;
        let mut seen_from = false;
        while let Some((i, line)) = lines.next() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut full = String::new();
            let mut current = line.trim_end().to_string();
            // Continuation lines; comment lines inside them are dropped, as Docker does.
            while current.ends_with(escape) {
                current.pop();
                full.push_str(&current);
                full.push(' ');
                current = loop {
                    match lines.next() {
                        // Comment and blank lines inside a continuation are skipped.
                        Some((_, l)) if l.trim_start().starts_with('#') || l.trim().is_empty() => {
                            continue;
                        }
                        Some((_, l)) => break l.trim_end().to_string(),
                        None => break String::new(),
                    }
                };
            }
            full.push_str(&current);
            let full = full.trim();
            let (keyword, args) = full.split_once(char::is_whitespace).unwrap_or((full, ""));
            let keyword = keyword.to_ascii_uppercase();
            if keyword == "FROM" {
                if seen_from {
                    stage += 1;
                }
                seen_from = true;
                let words: Vec<&str> = args.split_whitespace().collect();
                let name = match words.as_slice() {
                    [.., as_, name] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                    _ => None,
                };
                out.stage_names.push(name);
            }
            // A heredoc (`RUN <<EOF` ... `EOF`) is the instruction's body, not instructions.
            if let Some(word) = heredoc_word(args) {
                for (_, l) in lines.by_ref() {
                    if l.trim() == word {
                        break;
                    }
                }
            }
            out.instructions.push(Instruction {
                keyword,
                args: args.trim().to_string(),
                line: i + 1,
                stage,
            });
        }
        out
    }

    /// The base image of each FROM, with global ARG defaults substituted.
    pub fn from_images(&self) -> Vec<(&Instruction, String)> {
        let mut args: Vec<(String, String)> = Vec::new();
        let mut out = Vec::new();
        let mut before_first_from = true;
        for ins in &self.instructions {
            match ins.keyword.as_str() {
                "ARG" if before_first_from => {
                    let (k, v) = ins.args.split_once('=').unwrap_or((ins.args.as_str(), ""));
                    args.push((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
                }
                "FROM" => {
                    before_first_from = false;
                    let image = ins
                        .args
                        .split_whitespace()
                        .find(|w| !w.starts_with("--"))
                        .unwrap_or("")
                        .to_string();
                    out.push((ins, substitute(&image, &args)));
                }
                _ => {}
            }
        }
        out
    }

    /// ARG defaults and ENV values in effect at instruction `at`: the global ARGs, then
    /// those of its stage before it, each substituted in turn, as the builder does.
    pub fn vars_at(&self, at: usize) -> Vec<(String, String)> {
        let stage = self.instructions.get(at).map_or(0, |i| i.stage);
        let mut vars: Vec<(String, String)> = Vec::new();
        let mut global = true;
        for ins in self.instructions.iter().take(at) {
            if ins.keyword == "FROM" {
                global = false;
            }
            if !global && ins.stage != stage {
                continue;
            }
            let pairs: Vec<(String, String)> = match ins.keyword.as_str() {
                // `ARG P` in a stage brings in the global P's default.
                "ARG" => match ins.args.split_once('=') {
                    Some((k, v)) => {
                        vec![(k.trim().to_string(), v.trim().trim_matches('"').to_string())]
                    }
                    None if vars.iter().any(|(k, _)| k == ins.args.trim()) => continue,
                    None => vec![(ins.args.trim().to_string(), String::new())],
                },
                "ENV" if ins.args.contains('=') => ins
                    .args
                    .split_whitespace()
                    .filter_map(|w| w.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                    .collect(),
                "ENV" => ins
                    .args
                    .split_once(char::is_whitespace)
                    .map(|(k, v)| (k.to_string(), v.trim().to_string()))
                    .into_iter()
                    .collect(),
                _ => continue,
            };
            for (k, v) in pairs {
                let v = substitute(&v, &vars);
                vars.push((k, v));
            }
        }
        vars
    }

    /// Instructions of the final stage.
    pub fn last_stage(&self) -> impl Iterator<Item = &Instruction> {
        let last = self.instructions.iter().map(|i| i.stage).max().unwrap_or(0);
        self.instructions.iter().filter(move |i| i.stage == last)
    }

    /// Instructions of the final stage other than WORKDIR, each with the WORKDIR it runs
    /// in (`/` until one is set; a relative one is joined to the one before).
    pub fn last_stage_in_workdirs(&self) -> Vec<(&Instruction, String)> {
        let mut workdir = String::from("/");
        let mut out = Vec::new();
        for i in self.last_stage() {
            if i.keyword == "WORKDIR" {
                workdir = join_path(&workdir, i.args.trim());
            } else {
                out.push((i, workdir.clone()));
            }
        }
        out
    }

    /// The paths its COPY and ADD lines take from the build context (not from another
    /// stage, not URLs), as written: what tells which folder it is built from.
    pub fn context_sources(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in &self.instructions {
            if !matches!(i.keyword.as_str(), "COPY" | "ADD") || i.args.contains("--from") {
                continue;
            }
            let words = rules::copy_words(i);
            if let Some((_, sources)) = words.split_last() {
                out.extend(sources.iter().filter(|s| !s.contains("://")).cloned());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_sources_are_what_copy_takes_from_the_context() {
        let d = Dockerfile::parse(
            "FROM a AS b\nCOPY --chown=1 src/requirements.txt ./\nFROM c\nCOPY --from=b /w /w\nADD https://x.org/f /f\nCOPY [\"src/\", \"app.py\", \"/app/\"]\n",
        );
        assert_eq!(
            d.context_sources(),
            ["src/requirements.txt", "src/", "app.py"]
        );
    }

    #[test]
    fn parses_continuations_comments_and_forms() {
        let d = Dockerfile::parse(
            "# syntax=docker/dockerfile:1\nARG PY=3.11\nFROM python:${PY}-slim AS base\n# a comment\nRUN apt-get update && \\\n    # inside\n    apt-get install -y curl\nCMD [\"python\", \"app.py\"]\nfrom base\nentrypoint python app.py\n",
        );
        let kw: Vec<&str> = d.instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(kw, ["ARG", "FROM", "RUN", "CMD", "FROM", "ENTRYPOINT"]);
        assert_eq!(
            d.instructions[2].args,
            "apt-get update &&      apt-get install -y curl"
        );
        assert_eq!(d.instructions[2].line, 5);
        assert_eq!(
            d.instructions[3].exec_form(),
            Some(vec!["python".to_string(), "app.py".to_string()])
        );
        assert_eq!(d.instructions[5].exec_form(), None);
        assert_eq!(d.instructions[5].stage, 1);
        assert_eq!(d.stage_names, [Some("base".to_string()), None]);
        let froms: Vec<String> = d.from_images().into_iter().map(|(_, i)| i).collect();
        assert_eq!(froms, ["python:3.11-slim", "base"]);
    }

    #[test]
    fn bom_heredoc_and_blank_continuation_lines() {
        let d = Dockerfile::parse(
            "\u{feff}FROM python\nRUN <<EOF\nFROM inside\nCMD no\nEOF\nRUN echo a && \\\n\n    echo done\n",
        );
        let kw: Vec<&str> = d.instructions.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(kw, ["FROM", "RUN", "RUN"]);
        assert_eq!(d.instructions[2].args, "echo a &&      echo done");
    }

    #[test]
    fn escape_directive_and_substitution() {
        let d = Dockerfile::parse("# escape=`\nFROM windows\nRUN dir `\n  c:\\\n");
        assert_eq!(d.instructions[1].args, "dir    c:\\");
        assert_eq!(
            substitute("${A:-x}-$B-${C}", &[("B".into(), "b".into())]),
            "x-b-"
        );
    }
}
