//! Docker's `.dockerignore` rules, so the build context labgrade sends for a student's
//! submission holds the files `docker build` would have sent from the student's machine.
//!
//! The rules are Docker's (moby/patternmatcher), not gitignore's: patterns are anchored
//! at the context root, `**` spans directories, a pattern that matches a directory covers
//! everything beneath it, `!` lines re-include, and the last matching line wins.

use std::borrow::Cow;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Most files [`context_files`] will send: a submission bigger than this is a mistake
/// (a vendored `node_modules`, a virtualenv) and would only make a slow, huge build.
pub(crate) const MAX_FILES: usize = 20_000;

/// Deepest directory nesting [`context_files`] will descend into.
pub(crate) const MAX_DEPTH: usize = 64;

/// Root files Docker sends whatever `.dockerignore` says: the builder needs both of them.
const ALWAYS_SENT: [&str; 2] = [".dockerignore", "Dockerfile"];

/// A parsed `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// A `!` line: a match re-includes instead of excluding.
    exception: bool,
    tokens: Vec<Token>,
}

/// One element of a compiled pattern.
#[derive(Debug, Clone)]
enum Token {
    Char(char),
    /// `?`
    AnyChar,
    /// `*`
    Star,
    /// `[...]`
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// `**` inside a pattern: nothing, or any text ending in `/` (zero or more directories).
    Dirs,
    /// Any text at all, `/` included.
    Anything,
}

impl DockerIgnore {
    /// Parses the text of a `.dockerignore` file. Never fails: a malformed pattern (an
    /// unterminated `[`, a lone `!`) matches nothing, where Docker would refuse to build.
    pub fn parse(text: &str) -> DockerIgnore {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rules = Vec::new();
        for line in text.lines() {
            // Docker only honours `#` in the first column; an indented `#` is a pattern.
            if line.starts_with('#') {
                continue;
            }
            let line = line.trim();
            let (exception, pattern) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            let pattern = normalize(pattern);
            // Empty also covers `/` and `.`, which can never match a path inside the context.
            if pattern.is_empty() {
                continue;
            }
            if let Some(tokens) = compile(&pattern) {
                rules.push(Rule { exception, tokens });
            }
        }
        DockerIgnore { rules }
    }

    /// Whether `rel_path` (relative to the context root, `/`-separated) is left out of
    /// the build context. `is_dir` matters only for the root `.dockerignore` and
    /// `Dockerfile`, which are never excluded as files.
    pub fn is_excluded(&self, rel_path: &str, is_dir: bool) -> bool {
        let path = normalize(rel_path);
        if path.is_empty() {
            return false;
        }
        if !is_dir && ALWAYS_SENT.contains(&path.as_str()) {
            return false;
        }
        let mut excluded = false;
        for rule in &self.rules {
            // A rule that agrees with the verdict so far cannot change it.
            if rule.exception != excluded {
                continue;
            }
            if matches_self_or_ancestor(&rule.tokens, &path) {
                excluded = !rule.exception;
            }
        }
        excluded
    }

    /// Whether some `!` rule could match a path strictly inside `rel_dir`. When none can,
    /// an excluded directory can be skipped without changing what is sent: every rule that
    /// matches beneath it only excludes more.
    pub(crate) fn may_reinclude_below(&self, rel_dir: &str) -> bool {
        let dir = normalize(rel_dir);
        self.rules.iter().filter(|rule| rule.exception).any(|rule| {
            let mut run = Run::new(&rule.tokens);
            dir.chars().chain(['/']).all(|c| {
                run.feed(c);
                run.alive()
            })
        })
    }
}

/// Go's `filepath.Clean` on a `/`-separated path, minus a leading `/`, with `.` as "".
fn normalize(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            // `..` above the root is the root; Docker patterns are relative to it anyway.
            ".." if rooted => {}
            _ => parts.push(part),
        }
    }
    parts.join("/")
}

/// Compiles a cleaned pattern the way moby/patternmatcher does. `None` when Go's
/// `filepath.Match` would call it malformed, which is when Docker refuses to build.
fn compile(pattern: &str) -> Option<Vec<Token>> {
    let mut chars = pattern.chars().peekable();
    let mut tokens = Vec::new();
    while let Some(c) = chars.next() {
        let token = match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                let slash = chars.peek() == Some(&'/');
                if slash {
                    chars.next();
                }
                let rest: String = chars.clone().collect();
                if rest.is_empty() {
                    Token::Anything
                } else if tokens.is_empty() && !slash && !rest.contains(['*', '?', '[', ']', '\\'])
                {
                    // Docker matches a leading `**` followed by plain text as a suffix test,
                    // so `**.pyc` means any path ending in `.pyc`, directories or not.
                    Token::Anything
                } else {
                    Token::Dirs
                }
            }
            '*' => Token::Star,
            '?' => Token::AnyChar,
            '[' => parse_class(&mut chars)?,
            '\\' => Token::Char(chars.next()?),
            c => Token::Char(c),
        };
        tokens.push(token);
    }
    Some(tokens)
}

/// Parses a character class after its `[`, as strictly as Go does.
fn parse_class(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<Token> {
    // Only `^` negates: Docker hands classes to Go's regexp, so the shell's `[!a]` is the
    // set of `!` and `a` there, and students' builds behave that way.
    let negated = chars.peek() == Some(&'^');
    if negated {
        chars.next();
    }
    let mut ranges = Vec::new();
    loop {
        if !ranges.is_empty() && chars.peek() == Some(&']') {
            chars.next();
            break;
        }
        let lo = class_member(chars)?;
        let hi = if chars.peek() == Some(&'-') {
            chars.next();
            class_member(chars)?
        } else {
            lo
        };
        ranges.push((lo, hi));
    }
    Some(Token::Class { negated, ranges })
}

/// One end of a class range; Go wants `-` and `]` escaped there.
fn class_member(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<char> {
    match chars.next()? {
        '-' | ']' => None,
        '\\' => chars.next(),
        c => Some(c),
    }
}

fn class_matches(negated: bool, ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negated
}

/// Whether the pattern matches `path` or one of its parent directories, in one pass: the
/// parents are exactly the prefixes that end before a `/`.
fn matches_self_or_ancestor(tokens: &[Token], path: &str) -> bool {
    let mut run = Run::new(tokens);
    for c in path.chars() {
        if c == '/' && run.accepts() {
            return true;
        }
        run.feed(c);
        if !run.alive() {
            return false;
        }
    }
    run.accepts()
}

/// A pattern run as a set of states over a path, one character at a time: linear in the
/// path however many stars the pattern has, where backtracking can blow up.
struct Run<'a> {
    tokens: &'a [Token],
    /// `at[i]`: the text read so far can be followed by a match of `tokens[i..]`.
    at: Vec<bool>,
    /// `in_dirs[i]`: inside the text of the `Dirs` token `i`, before its closing `/`.
    in_dirs: Vec<bool>,
}

impl<'a> Run<'a> {
    fn new(tokens: &'a [Token]) -> Run<'a> {
        let mut at = vec![false; tokens.len() + 1];
        at[0] = true;
        let mut run = Run {
            tokens,
            at,
            in_dirs: vec![false; tokens.len()],
        };
        run.skip_empty();
        run
    }

    /// Tokens that may match nothing let the run move past them without reading.
    fn skip_empty(&mut self) {
        for (i, token) in self.tokens.iter().enumerate() {
            if self.at[i] && matches!(token, Token::Star | Token::Dirs | Token::Anything) {
                self.at[i + 1] = true;
            }
        }
    }

    fn feed(&mut self, c: char) {
        let mut at = vec![false; self.tokens.len() + 1];
        let mut in_dirs = vec![false; self.tokens.len()];
        for (i, token) in self.tokens.iter().enumerate() {
            let here = self.at[i];
            match token {
                Token::Dirs => {
                    if here || self.in_dirs[i] {
                        in_dirs[i] = true;
                        at[i + 1] |= c == '/';
                    }
                }
                _ if !here => {}
                Token::Char(x) => at[i + 1] |= c == *x,
                Token::AnyChar => at[i + 1] |= c != '/',
                Token::Class { negated, ranges } => {
                    at[i + 1] |= class_matches(*negated, ranges, c);
                }
                Token::Star => at[i] |= c != '/',
                Token::Anything => at[i] = true,
            }
        }
        self.at = at;
        self.in_dirs = in_dirs;
        self.skip_empty();
    }

    fn accepts(&self) -> bool {
        self.at[self.tokens.len()]
    }

    fn alive(&self) -> bool {
        self.at.iter().chain(&self.in_dirs).any(|&b| b)
    }
}

#[derive(Debug, Clone, Copy)]
struct Limits {
    files: usize,
    depth: usize,
}

/// The files of the build context under `root`: each as its absolute path and its path
/// relative to `root` (`/`-separated), in a deterministic order (depth first, names
/// sorted bytewise within a directory), with `root/.dockerignore` applied.
///
/// Regular files and symlinks (to files, to directories, dangling) are listed; sockets,
/// FIFOs and devices are not, and empty directories do not appear. A symlink may point
/// outside `root`: write it into the tar as a link, as Docker does, rather than following
/// it (a link to a directory is not walked into). Fails on a tree over 20 000 sent files or 64 levels deep,
/// and on a sent file whose name is not UTF-8.
pub fn context_files(root: &Path) -> io::Result<Vec<(PathBuf, String)>> {
    context_files_within(
        root,
        Limits {
            files: MAX_FILES,
            depth: MAX_DEPTH,
        },
    )
}

fn context_files_within(root: &Path, limits: Limits) -> io::Result<Vec<(PathBuf, String)>> {
    let root = std::path::absolute(root)?;
    let ignore_path = root.join(".dockerignore");
    let ignore = match fs::read(&ignore_path) {
        // Docker does not insist on UTF-8 either.
        Ok(bytes) => DockerIgnore::parse(&String::from_utf8_lossy(&bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => DockerIgnore::default(),
        Err(e) => return Err(at_path(e, &ignore_path)),
    };
    let mut walk = Walk {
        ignore: &ignore,
        limits,
        files: Vec::new(),
    };
    walk.dir(&root, "", false, 0)?;
    Ok(walk.files)
}

struct Walk<'a> {
    ignore: &'a DockerIgnore,
    limits: Limits,
    files: Vec<(PathBuf, String)>,
}

impl Walk<'_> {
    /// `lossy`: some name on the way down was not UTF-8, so `rel` is only good for matching.
    fn dir(&mut self, abs: &Path, rel: &str, lossy: bool, depth: usize) -> io::Result<()> {
        let mut entries = fs::read_dir(abs)
            .and_then(Iterator::collect::<io::Result<Vec<_>>>)
            .map_err(|e| at_path(e, abs))?;
        entries.sort_by_key(fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name();
            let (name, name_lossy) = match name.to_str() {
                Some(s) => (Cow::Borrowed(s), false),
                None => (name.to_string_lossy(), true),
            };
            let child_rel = if rel.is_empty() {
                name.into_owned()
            } else {
                format!("{rel}/{name}")
            };
            let child_lossy = lossy || name_lossy;
            let path = entry.path();
            let file_type = entry.file_type().map_err(|e| at_path(e, &path))?;
            if file_type.is_dir() {
                if self.ignore.is_excluded(&child_rel, true)
                    && !self.ignore.may_reinclude_below(&child_rel)
                {
                    continue;
                }
                if depth + 1 > self.limits.depth {
                    return Err(io::Error::other(format!(
                        "the submission has directories nested more than {} deep",
                        self.limits.depth
                    )));
                }
                self.dir(&path, &child_rel, child_lossy, depth + 1)?;
                continue;
            }
            let sent = file_type.is_symlink() || file_type.is_file();
            if !sent || self.ignore.is_excluded(&child_rel, false) {
                continue;
            }
            if child_lossy {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: the file name is not valid UTF-8", path.display()),
                ));
            }
            if self.files.len() == self.limits.files {
                return Err(io::Error::other(format!(
                    "the submission has more than {} files",
                    self.limits.files
                )));
            }
            self.files.push((path, child_rel));
        }
        Ok(())
    }
}

/// Names the path in an I/O error, which std leaves out.
fn at_path(e: io::Error, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(ignore: &str, path: &str) -> bool {
        DockerIgnore::parse(ignore).is_excluded(path, false)
    }

    #[test]
    fn dot_git_covers_the_directory_at_the_root_only() {
        let ig = DockerIgnore::parse(".git\n");
        assert!(ig.is_excluded(".git", true));
        assert!(ig.is_excluded(".git/HEAD", false));
        assert!(ig.is_excluded(".git/objects/ab/cdef", false));
        assert!(!ig.is_excluded(".gitignore", false));
        assert!(!ig.is_excluded("vendor/lib/.git/HEAD", false));
    }

    #[test]
    fn pycache_needs_double_star_to_reach_subdirectories() {
        assert!(excluded("__pycache__", "__pycache__/app.cpython-312.pyc"));
        assert!(!excluded(
            "__pycache__",
            "src/__pycache__/app.cpython-312.pyc"
        ));
        assert!(excluded(
            "**/__pycache__",
            "src/__pycache__/app.cpython-312.pyc"
        ));
        assert!(excluded("**/__pycache__", "__pycache__/x.pyc"));
    }

    #[test]
    fn star_stays_in_one_directory() {
        assert!(excluded("*.pyc", "app.pyc"));
        assert!(!excluded("*.pyc", "src/app.pyc"));
        assert!(!excluded("*.pyc", "app.py"));
        assert!(excluded("src/*.pyc", "src/app.pyc"));
        assert!(!excluded("src/*.pyc", "src/deep/app.pyc"));
    }

    #[test]
    fn double_star_spans_any_number_of_directories() {
        for path in ["app.pyc", "src/app.pyc", "a/b/c/app.pyc"] {
            assert!(excluded("**/*.pyc", path), "{path}");
        }
        assert!(!excluded("**/*.pyc", "src/app.py"));
        assert!(excluded("a/**/b", "a/b"));
        assert!(excluded("a/**/b", "a/x/y/b"));
        assert!(!excluded("a/**/b", "a/xb"));
        assert!(excluded("build/**", "build/out/main.o"));
        assert!(!DockerIgnore::parse("build/**").is_excluded("build", true));
        assert!(excluded("**", "anything/at/all"));
        // Docker's suffix shortcut: a leading `**` before plain text is "ends with".
        assert!(excluded("**.pyc", "src/app.pyc"));
        assert!(excluded("**foo", "dir/barfoo"));
    }

    #[test]
    fn trailing_slash_is_dropped() {
        let ig = DockerIgnore::parse("tests/\n");
        assert!(ig.is_excluded("tests", true));
        assert!(ig.is_excluded("tests/test_app.py", false));
        assert!(!ig.is_excluded("tests.py", false));
        assert!(!ig.is_excluded("src/tests/test_app.py", false));
    }

    #[test]
    fn exception_after_a_broader_rule_re_includes() {
        let ig = DockerIgnore::parse("*.md\n!README.md\n");
        assert!(!ig.is_excluded("README.md", false));
        assert!(ig.is_excluded("CHANGES.md", false));
        assert!(!ig.is_excluded("docs/guide.md", false));
    }

    #[test]
    fn the_last_matching_line_wins() {
        let ig = DockerIgnore::parse("!keep.txt\n*.txt\n");
        assert!(ig.is_excluded("keep.txt", false));
        let ig = DockerIgnore::parse("*.txt\n!keep.txt\nkeep*\n");
        assert!(ig.is_excluded("keep.txt", false));
        assert!(ig.is_excluded("other.txt", false));
    }

    #[test]
    fn leading_slash_and_dot_slash_are_cleaned() {
        assert!(excluded("/build", "build/main.o"));
        assert!(excluded("./dist", "dist/app.js"));
        assert!(excluded("./dist/", "dist/app.js"));
        assert!(excluded("a/../b", "b/x"));
        assert!(!excluded("a/../b", "a/b"));
        assert!(excluded("a//b/./c", "a/b/c"));
        assert!(!excluded("/", "anything"));
        assert!(!excluded(".", "anything"));
    }

    #[test]
    fn paths_are_cleaned_too() {
        let ig = DockerIgnore::parse("dist");
        assert!(ig.is_excluded("./dist/app.js", false));
        assert!(ig.is_excluded("dist/", true));
        assert!(!ig.is_excluded("", true));
        assert!(!ig.is_excluded(".", true));
    }

    #[test]
    fn character_classes() {
        assert!(excluded("log[0-9].txt", "log7.txt"));
        assert!(!excluded("log[0-9].txt", "logx.txt"));
        assert!(!excluded("log[0-9].txt", "log10.txt"));
        assert!(excluded("[abc]x", "bx"));
        assert!(!excluded("[abc]x", "dx"));
        assert!(excluded("[^a]x", "bx"));
        assert!(!excluded("[^a]x", "ax"));
        // Not a negation in Docker, whatever the shell says.
        assert!(excluded("[!a]x", "ax"));
        assert!(excluded("[!a]x", "!x"));
        assert!(!excluded("[!a]x", "bx"));
        assert!(excluded("[a-cx-z]", "y"));
        assert!(excluded(r"[\]]", "]"));
        assert!(excluded(r"[\-]", "-"));
        assert!(!excluded(r"[\-]", "\\"));
    }

    #[test]
    fn escapes_make_wildcards_literal() {
        assert!(excluded(r"a\*b", "a*b"));
        assert!(!excluded(r"a\*b", "axb"));
        assert!(excluded(r"what\?", "what?"));
        assert!(!excluded(r"what\?", "whats"));
    }

    #[test]
    fn question_mark_is_one_character_but_not_a_slash() {
        assert!(excluded("?.txt", "a.txt"));
        assert!(!excluded("?.txt", "ab.txt"));
        assert!(!excluded("?.txt", ".txt"));
        assert!(!excluded("a?b", "a/b"));
        assert!(excluded("a?b", "a-b"));
    }

    #[test]
    fn comments_blank_lines_and_whitespace() {
        let ig = DockerIgnore::parse("# build output\n\n   \n  target  \r\n#secret\n");
        assert!(ig.is_excluded("target/debug/app", false));
        assert!(!ig.is_excluded("#secret", false));
        assert!(!ig.is_excluded("# build output", false));
        // Only column one starts a comment, as in Docker.
        assert!(excluded("  #notes", "#notes"));
        assert!(excluded("\u{feff}target", "target"));
        assert!(excluded("! keep\nkeep", "keep"));
    }

    #[test]
    fn malformed_patterns_match_nothing() {
        let ig = DockerIgnore::parse("[abc\n!\n[]]\n[a-]\n[-a]\n[^]\nx\\\n*.log\n");
        for path in ["[abc", "a", "]", "-", "^", "x", "x\\", "!"] {
            assert!(!ig.is_excluded(path, false), "{path}");
        }
        assert!(ig.is_excluded("debug.log", false));
    }

    #[test]
    fn a_directory_pattern_excludes_everything_beneath() {
        let ig = DockerIgnore::parse("node_modules\n");
        assert!(ig.is_excluded("node_modules", true));
        assert!(ig.is_excluded("node_modules/left-pad/index.js", false));
        assert!(ig.is_excluded("node_modules/a/b/c/d/e.js", false));
        assert!(!ig.is_excluded("node_modules_backup/x.js", false));
    }

    #[test]
    fn an_exception_re_includes_a_file_inside_an_excluded_directory() {
        let ig = DockerIgnore::parse("docs\n!docs/keep.md\n");
        assert!(ig.is_excluded("docs", true));
        assert!(!ig.is_excluded("docs/keep.md", false));
        assert!(ig.is_excluded("docs/drop.md", false));
        assert!(ig.may_reinclude_below("docs"));
        assert!(!DockerIgnore::parse("docs\n").may_reinclude_below("docs"));
    }

    #[test]
    fn an_exception_for_a_directory_re_includes_its_files() {
        let ig = DockerIgnore::parse("*\n!src\n");
        assert!(!ig.is_excluded("src/main.py", false));
        assert!(ig.is_excluded("notes.txt", false));
        assert!(!ig.may_reinclude_below("other"));
        // A later exclusion of the parent takes it back out.
        let ig = DockerIgnore::parse("*\n!src\nsrc\n");
        assert!(ig.is_excluded("src/main.py", false));
    }

    #[test]
    fn dockerfile_and_dockerignore_are_never_excluded() {
        let ig = DockerIgnore::parse("*\nDockerfile\n.dockerignore\n");
        assert!(!ig.is_excluded("Dockerfile", false));
        assert!(!ig.is_excluded(".dockerignore", false));
        assert!(ig.is_excluded("sub/Dockerfile", false));
        assert!(ig.is_excluded("Dockerfile", true));
    }

    #[test]
    fn many_stars_stay_fast() {
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let path = "a".repeat(200);
        assert!(!excluded(pattern, &path));
    }

    /// A directory under the system temp dir that is removed when dropped.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let dir = std::env::temp_dir().join(format!(
                "labgrade-dockerignore-{name}-{}-{nanos}",
                std::process::id()
            ));
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn file(&self, rel: &str, text: &str) {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn rel_paths(files: &[(PathBuf, String)]) -> Vec<&str> {
        files.iter().map(|(_, rel)| rel.as_str()).collect()
    }

    #[test]
    fn context_files_applies_dockerignore() {
        let s = Scratch::new("apply");
        s.file(
            ".dockerignore",
            "# not for the image\n.git\n*.log\ndocs\n!docs/keep.md\nnode_modules\n\
             Dockerfile\n.dockerignore\n",
        );
        s.file("Dockerfile", "FROM scratch\n");
        s.file("app.py", "print()\n");
        s.file("debug.log", "");
        s.file(".git/HEAD", "ref: refs/heads/main\n");
        s.file("docs/keep.md", "");
        s.file("docs/drop.md", "");
        s.file("src/b.py", "");
        s.file("src/a.py", "");
        s.file("src/deep/x.log", "");
        s.file("node_modules/left-pad/index.js", "");
        fs::create_dir_all(s.0.join("empty")).unwrap();

        let files = context_files(&s.0).unwrap();
        assert_eq!(
            rel_paths(&files),
            [
                ".dockerignore",
                "Dockerfile",
                "app.py",
                "docs/keep.md",
                "src/a.py",
                "src/b.py",
                "src/deep/x.log",
            ]
        );
        for (abs, rel) in &files {
            assert!(abs.is_absolute(), "{}", abs.display());
            assert_eq!(abs, &s.0.join(rel));
        }
    }

    #[test]
    fn context_files_without_dockerignore_sends_everything() {
        let s = Scratch::new("plain");
        s.file("Dockerfile", "FROM scratch\n");
        s.file(".git/HEAD", "");
        s.file("a.txt", "");
        s.file("a/b.txt", "");
        assert_eq!(
            rel_paths(&context_files(&s.0).unwrap()),
            [".git/HEAD", "Dockerfile", "a/b.txt", "a.txt"]
        );
    }

    #[test]
    fn context_files_finds_exceptions_deep_inside_excluded_directories() {
        let s = Scratch::new("deep-exception");
        s.file(".dockerignore", "vendor\n!**/keep.md\n");
        s.file("vendor/a/b/keep.md", "");
        s.file("vendor/a/b/drop.md", "");
        assert_eq!(
            rel_paths(&context_files(&s.0).unwrap()),
            [".dockerignore", "vendor/a/b/keep.md"]
        );
    }

    #[cfg(unix)]
    #[test]
    fn context_files_sends_symlinks_as_links_without_following_them() {
        let s = Scratch::new("symlinks");
        s.file("real/file.txt", "");
        std::os::unix::fs::symlink("real", s.0.join("dir-link")).unwrap();
        std::os::unix::fs::symlink("real/file.txt", s.0.join("file-link")).unwrap();
        std::os::unix::fs::symlink("missing", s.0.join("dangling")).unwrap();
        assert_eq!(
            rel_paths(&context_files(&s.0).unwrap()),
            ["dangling", "dir-link", "file-link", "real/file.txt"]
        );
    }

    #[test]
    fn context_files_caps_the_number_of_files() {
        let s = Scratch::new("many");
        s.file(".dockerignore", "ignored*\n");
        for i in 0..4 {
            s.file(&format!("f{i}"), "");
            s.file(&format!("ignored{i}"), "");
        }
        let limits = |files| Limits { files, depth: 8 };
        // Excluded files do not count towards the cap.
        assert_eq!(context_files_within(&s.0, limits(5)).unwrap().len(), 5);
        let err = context_files_within(&s.0, limits(4)).unwrap_err();
        assert_eq!(err.to_string(), "the submission has more than 4 files");
    }

    #[test]
    fn context_files_caps_the_depth() {
        let s = Scratch::new("depth");
        s.file("a/a/a/f", "");
        let limits = |depth| Limits { files: 10, depth };
        assert_eq!(context_files_within(&s.0, limits(3)).unwrap().len(), 1);
        let err = context_files_within(&s.0, limits(2)).unwrap_err();
        assert!(err.to_string().contains("nested more than 2 deep"), "{err}");
        // An excluded deep tree is never walked, so it cannot trip the cap.
        s.file(".dockerignore", "a\n");
        assert_eq!(
            rel_paths(&context_files_within(&s.0, limits(2)).unwrap()),
            [".dockerignore"]
        );
    }

    #[test]
    fn context_files_reports_a_missing_root() {
        let s = Scratch::new("missing");
        let err = context_files(&s.0.join("nope")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().contains("nope"), "{err}");
    }
}
