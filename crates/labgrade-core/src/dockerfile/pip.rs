//! What a Dockerfile's final stage installs with pip, read as the builder runs it: each
//! `pip install` with its line, the requirements files it reads (as image paths, against
//! the WORKDIR it runs in) and the packages it names; which project files those
//! requirements files come from; and whether a requirements file lists a package.

use super::{Dockerfile, Instruction, join_path};

/// One `pip install` of a RUN line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipInstall {
    /// The RUN line's 1-based line.
    pub line: usize,
    /// `-r FILE`: the files, as paths in the image.
    pub requirements: Vec<String>,
    /// The packages named on the command line, as written (`flask==3.0`).
    pub packages: Vec<String>,
}

/// The options of `pip install` that take a value (the value is no package).
const WITH_VALUE: &[&str] = &[
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--src",
    "--upgrade-strategy",
    "--progress-bar",
    "--cache-dir",
    "--log",
    "--timeout",
    "--retries",
    "--trusted-host",
    "--only-binary",
    "--no-binary",
    "-e",
    "--editable",
];

/// The pip commands of a shell line that install packages (`pip`, `pip3`, `pip3.11`,
/// `python -m pip`), each from its program word on.
pub(crate) fn pip_commands(cmd: &str) -> Vec<Vec<&str>> {
    cmd.split(['&', ';', '|'])
        .filter_map(|c| {
            let words: Vec<&str> = c.split_whitespace().collect();
            // `python -m pip` names the module by the same word.
            let at = words.iter().position(|w| {
                let base = w.rsplit('/').next().unwrap_or(w);
                base == "pip" || base == "pip3" || base.starts_with("pip3.")
            })?;
            (words.get(at + 1) == Some(&"install")).then(|| words[at..].to_vec())
        })
        .collect()
}

/// Every `pip install` of the final stage, with the WORKDIR each runs in.
pub fn installs(d: &Dockerfile) -> Vec<PipInstall> {
    let mut out = Vec::new();
    for (i, workdir) in d.last_stage_in_workdirs() {
        if i.keyword == "RUN" {
            for words in pip_commands(&run_text(i)) {
                out.push(parse(&words[2..], &workdir, i.line));
            }
        }
    }
    out
}

/// A RUN line's command: exec form joined, as the shell would see it.
fn run_text(i: &Instruction) -> String {
    i.exec_form()
        .map_or_else(|| i.args.clone(), |w| w.join(" "))
}

fn parse(words: &[&str], workdir: &str, line: usize) -> PipInstall {
    let mut install = PipInstall {
        line,
        requirements: Vec::new(),
        packages: Vec::new(),
    };
    let mut it = words.iter();
    while let Some(w) = it.next() {
        let w = w.trim_matches(['"', '\'']);
        let file = if w == "-r" || w == "--requirement" {
            it.next().map(|f| f.trim_matches(['"', '\'']).to_string())
        } else {
            w.strip_prefix("--requirement=")
                .or_else(|| w.strip_prefix("-r").filter(|f| !f.is_empty()))
                .map(str::to_string)
        };
        if let Some(f) = file {
            install.requirements.push(join_path(workdir, &f));
        } else if WITH_VALUE.contains(&w) {
            it.next();
        } else if !w.starts_with('-') && !w.is_empty() && w != "." {
            install.packages.push(w.to_string());
        }
    }
    install
}

/// A package name as pip compares them (PEP 503): lower case, runs of `-`, `_` and `.`
/// as one `-`, without a version, extras or marker (`Flask[async]>=2` is `flask`).
pub fn normalize(requirement: &str) -> String {
    let name = requirement
        .split(['=', '<', '>', '!', '~', '[', ';', '@', ' '])
        .next()
        .unwrap_or_default();
    let mut out = String::new();
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Whether a requirements file's text lists `package` (comments, options and blank lines
/// aside).
pub fn lists(text: &str, package: &str) -> bool {
    let want = normalize(package);
    text.lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty() && !l.starts_with('-'))
        .any(|l| normalize(l) == want)
}

/// A requirements file the final stage may copy from the project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedList {
    /// The COPY's 1-based line.
    pub line: usize,
    /// Its path in the project (the build context).
    pub source: String,
    /// Where it lands in the image.
    pub at: String,
    /// The WORKDIR at that line.
    pub workdir: String,
}

impl CopiedList {
    /// Its path as a RUN after the COPY names it: from the WORKDIR when it is under it.
    pub fn from_workdir(&self) -> String {
        self.at
            .strip_prefix(&format!("{}/", self.workdir.trim_end_matches('/')))
            .map_or_else(|| self.at.clone(), str::to_string)
    }
}

/// The files the final stage copies that may be a requirements file, in order: a file
/// copied by a name like `requirements*.txt`, and `requirements.txt` in each folder
/// copied whole (`COPY . .`, `COPY src/ .`). Whether the project has them is for the
/// reader to see.
pub fn copied_lists(d: &Dockerfile) -> Vec<CopiedList> {
    let mut out = Vec::new();
    for (i, workdir) in d.last_stage_in_workdirs() {
        if !matches!(i.keyword.as_str(), "COPY" | "ADD") || i.args.contains("--from") {
            continue;
        }
        let words = super::rules::copy_words(i);
        let Some((dest, sources)) = words.split_last() else {
            continue;
        };
        let into_dir = dest.ends_with('/') || dest == "." || sources.len() > 1;
        let dest = join_path(&workdir, dest);
        for s in sources {
            let s = s.trim_start_matches("./");
            let name = s.rsplit('/').next().unwrap_or(s);
            let (source, at) = if name.starts_with("requirements") && name.ends_with(".txt") {
                let at = if into_dir {
                    join_path(&dest, name)
                } else {
                    dest.clone()
                };
                (s.to_string(), at)
            } else if s.is_empty() || s == "." || s.ends_with('/') {
                (
                    format!("{}requirements.txt", s.trim_end_matches('.')),
                    join_path(&dest, "requirements.txt"),
                )
            } else {
                continue;
            };
            out.push(CopiedList {
                line: i.line,
                source,
                at,
                workdir: workdir.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Dockerfile {
        Dockerfile::parse(text)
    }

    #[test]
    fn installs_are_read_as_the_builder_runs_them() {
        let d = parsed(
            "FROM python:3.11-slim\nWORKDIR /app\nCOPY src/requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nRUN python -m pip install -i https://x/simple flask==3.0 'gunicorn>=21' && pip3 install -r/etc/extra.txt\nWORKDIR sub\nRUN [\"pip\", \"install\", \"--requirement=../dev.txt\"]\n",
        );
        let i = installs(&d);
        assert_eq!(i.len(), 4);
        assert_eq!(
            i[0],
            PipInstall {
                line: 4,
                requirements: vec!["/app/requirements.txt".into()],
                packages: vec![],
            }
        );
        assert_eq!(i[1].packages, ["flask==3.0", "gunicorn>=21"]);
        assert_eq!(i[2].requirements, ["/etc/extra.txt"]);
        assert_eq!(i[3].requirements, ["/app/dev.txt"]);
        // Only the final stage ships.
        let d = parsed("FROM a AS b\nRUN pip install flask\nFROM c\nCMD [\"x\"]\n");
        assert!(installs(&d).is_empty());
        assert!(installs(&parsed("FROM a\nRUN pip download flask\n")).is_empty());
    }

    #[test]
    fn package_names_compare_as_pip_does() {
        assert_eq!(normalize("Flask[async]>=2.0"), "flask");
        assert_eq!(normalize("python_dotenv==1.0"), "python-dotenv");
        assert_eq!(normalize("zope.interface"), "zope-interface");
        let req = "# the app\nFlask==2.2.2  # web\n-r other.txt\n\nrequests\n";
        assert!(lists(req, "flask"));
        assert!(lists(req, "Requests"));
        assert!(!lists(req, "werkzeug"));
        assert!(!lists("# flask\n", "flask"));
    }

    #[test]
    fn copied_lists_are_the_projects_paths() {
        let d = parsed(
            "FROM a\nWORKDIR /app\nCOPY src/requirements.txt .\nCOPY requirements-dev.txt /etc/dev.txt\nWORKDIR /app/x\nCOPY src/ ../\nCOPY . .\nCOPY app.py .\nCOPY --from=b /w /w\n",
        );
        let lists = copied_lists(&d);
        let got: Vec<(usize, &str, &str, String)> = lists
            .iter()
            .map(|c| (c.line, c.source.as_str(), c.at.as_str(), c.from_workdir()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    3,
                    "src/requirements.txt",
                    "/app/requirements.txt",
                    "requirements.txt".into()
                ),
                (
                    4,
                    "requirements-dev.txt",
                    "/etc/dev.txt",
                    "/etc/dev.txt".into()
                ),
                (
                    6,
                    "src/requirements.txt",
                    "/app/requirements.txt",
                    "/app/requirements.txt".into()
                ),
                (
                    7,
                    "requirements.txt",
                    "/app/x/requirements.txt",
                    "requirements.txt".into()
                ),
            ]
        );
    }
}
