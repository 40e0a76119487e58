//! The typed fix for a Python package the app lacks (`ModuleNotFoundError: No module
//! named 'flask'`, or `flask: not found` for a server pip installs), built from the
//! project's Dockerfile and the requirements file it copies: it names the file and line
//! the student edits — `src/requirements.txt` for `COPY src/requirements.txt .`, or the
//! Dockerfile's own line below which the install goes. Only a Dockerfile the image was
//! built from (its CMD is the image's) is read; otherwise nothing is said here and the
//! cause keeps its fix in words.

use super::*;
use crate::dockerfile::Dockerfile;
use crate::dockerfile::pip;

/// What makes the next build install the package.
#[derive(Debug, PartialEq)]
pub(crate) struct Install {
    /// The edit of the named file(s), the rebuild to follow; `None` when the Dockerfile
    /// and its files install it already (the image is older than they are).
    pub edit: Option<String>,
    /// Why the image lacks the package, in words.
    pub why: String,
}

/// How the project installs `package` in the image a container runs (facts `image`), or
/// `None` when the project's Dockerfile is not known or is not the one the image was
/// built from.
pub(crate) fn install(facts: &Facts, image: &ImageFacts, package: &str) -> Option<Install> {
    let text = dockerfile_text(facts)?;
    let d = Dockerfile::parse(text);
    if !built_from(&d, image) {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let shown = |n: usize| lines.get(n.wrapping_sub(1)).map_or("", |l| l.trim());
    let wanted = pip::normalize(package);
    let installs = pip::installs(&d);
    if let Some(i) = installs
        .iter()
        .find(|i| i.packages.iter().any(|p| pip::normalize(p) == wanted))
    {
        return Some(Install {
            edit: None,
            why: format!(
                "the Dockerfile's line {} (`{}`) installs {package}: the image was built before that line was written",
                i.line,
                shown(i.line)
            ),
        });
    }
    // Installed from a requirements file: that file, where the project has it.
    // The image's name only words a rebuild, which is not said here.
    let build = files::Build::read(facts, &"image".parse().expect("a valid name"));
    for i in &installs {
        for r in &i.requirements {
            let Some((_, src)) = build.source_before(r, i.line) else {
                continue;
            };
            return Some(match facts.files.get(&src).and_then(Option::as_deref) {
                Some(t) if pip::lists(t, package) => Install {
                    edit: None,
                    why: format!(
                        "{src} lists {package} and the Dockerfile installs it (line {}): the image was built before {package} was added",
                        i.line
                    ),
                },
                _ => Install {
                    edit: Some(format!("in {src}, add the line `{package}`")),
                    why: format!(
                        "the Dockerfile installs {src} (line {}), which does not list {package}",
                        i.line
                    ),
                },
            });
        }
    }
    // Nothing installs the requirements file: install it after the line that copies it
    // (and list the package in it), or else install the package before the CMD.
    if let Some((list, listed)) = copied_requirements(&d, facts, package)
        && !shown(list.line).ends_with('\\')
    {
        let (line, src) = (list.line, &list.source);
        let from_workdir = list.from_workdir();
        let run = format!(
            "in the Dockerfile, below line {line} (`{}`), add the line `RUN pip install --no-cache-dir -r {from_workdir}`",
            shown(line)
        );
        let unlisted = if listed {
            String::new()
        } else {
            format!(", and it does not list {package}")
        };
        return Some(Install {
            edit: Some(if listed {
                run
            } else {
                format!("in {src}, add the line `{package}`; {run}")
            }),
            why: format!(
                "the Dockerfile copies {src} (line {line}) but never runs pip install{unlisted}"
            ),
        });
    }
    let cmd = d
        .last_stage()
        .filter(|i| i.keyword == "CMD" || i.keyword == "ENTRYPOINT")
        .map(|i| i.line)
        .next()?;
    Some(Install {
        edit: Some(format!(
            "in the Dockerfile, above line {cmd} (`{}`), add the line `RUN pip install --no-cache-dir {package}`",
            shown(cmd)
        )),
        why: "the Dockerfile installs nothing with pip".into(),
    })
}

/// Whether the image was built from this Dockerfile, as far as its CMD tells: the final
/// stage's last CMD, in the form the builder stores, is the image's (a Dockerfile with no
/// CMD of its own cannot tell, and is taken).
fn built_from(d: &Dockerfile, image: &ImageFacts) -> bool {
    let Some(cmd) = d.last_stage().filter(|i| i.keyword == "CMD").last() else {
        return true;
    };
    let words = cmd
        .exec_form()
        .unwrap_or_else(|| vec!["/bin/sh".to_string(), "-c".to_string(), cmd.args.clone()]);
    image.cmd.as_ref() == Some(&words)
}

/// The first requirements file of the project that the final stage copies, and whether
/// it lists `package`. Only files the project has (read).
fn copied_requirements(
    d: &Dockerfile,
    facts: &Facts,
    package: &str,
) -> Option<(pip::CopiedList, bool)> {
    pip::copied_lists(d).into_iter().find_map(|l| {
        let listed = pip::lists(facts.files.get(&l.source)?.as_deref()?, package);
        Some((l, listed))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Facts of a project (its files) and an image built with `cmd`.
    fn project(files: &[(&str, &str)], cmd: &[&str]) -> (Facts, ImageFacts) {
        let facts = Facts {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), Some(t.to_string())))
                .collect::<BTreeMap<_, _>>(),
            ..Facts::default()
        };
        let image = ImageFacts {
            cmd: Some(cmd.iter().map(|w| w.to_string()).collect()),
            ..ImageFacts::default()
        };
        (facts, image)
    }

    /// The edit, or `rebuild: WHY` when there is none.
    fn fix(files: &[(&str, &str)], cmd: &[&str], package: &str) -> Option<String> {
        let (facts, image) = project(files, cmd);
        install(&facts, &image, package).map(|i| match i.edit {
            Some(e) => e,
            None => format!("rebuild: {}", i.why),
        })
    }

    const SEED_003: &str = "FROM python:3.9-slim\nWORKDIR /app\nCOPY src/requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY src/ .\nCMD [\"python\", \"server.py\"]\n";
    const CMD: &[&str] = &["python", "server.py"];

    #[test]
    fn a_requirements_file_without_the_package_gets_the_line() {
        assert_eq!(
            fix(
                &[("Dockerfile", SEED_003), ("src/requirements.txt", "\n")],
                CMD,
                "flask"
            ),
            Some("in src/requirements.txt, add the line `flask`".into())
        );
        // Listed already: the image is older than the file.
        let f = fix(
            &[
                ("Dockerfile", SEED_003),
                ("src/requirements.txt", "Flask==2.2\n"),
            ],
            CMD,
            "flask",
        );
        assert!(
            f.as_deref()
                .is_some_and(|f| f.starts_with("rebuild: src/requirements.txt lists flask")),
            "{f:?}"
        );
        // `COPY . .` then `pip install -r requirements.txt`: the top folder's file.
        let d = "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"server.py\"]\n";
        assert_eq!(
            fix(
                &[("Dockerfile", d), ("requirements.txt", "requests\n")],
                CMD,
                "PyYAML"
            ),
            Some("in requirements.txt, add the line `PyYAML`".into())
        );
    }

    #[test]
    fn a_dockerfile_that_installs_nothing_gets_the_install_line() {
        let d = "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nCOPY . .\nCMD [\"python\", \"server.py\"]\n";
        assert_eq!(
            fix(&[("Dockerfile", d), ("requirements.txt", "flask\n")], CMD, "flask"),
            Some(
                "in the Dockerfile, below line 3 (`COPY requirements.txt .`), add the line `RUN pip install --no-cache-dir -r requirements.txt`".into()
            )
        );
        // Not listed either: both edits.
        assert_eq!(
            fix(&[("Dockerfile", d), ("requirements.txt", "")], CMD, "flask"),
            Some(
                "in requirements.txt, add the line `flask`; in the Dockerfile, below line 3 (`COPY requirements.txt .`), add the line `RUN pip install --no-cache-dir -r requirements.txt`".into()
            )
        );
        // No requirements file in the project: the package itself, before the CMD.
        let d = "FROM python:3.11-slim\nWORKDIR /app\nCOPY server.py .\nCMD [\"python\", \"server.py\"]\n";
        assert_eq!(
            fix(&[("Dockerfile", d)], CMD, "flask"),
            Some(
                "in the Dockerfile, above line 4 (`CMD [\"python\", \"server.py\"]`), add the line `RUN pip install --no-cache-dir flask`".into()
            )
        );
        // Named on a pip line: the image is older than the Dockerfile.
        let d = "FROM python:3.11-slim\nRUN pip install flask\nCMD [\"python\", \"server.py\"]\n";
        assert!(
            fix(&[("Dockerfile", d)], CMD, "Flask")
                .is_some_and(|f| f.starts_with("rebuild: the Dockerfile's line 2"))
        );
    }

    #[test]
    fn another_projects_dockerfile_is_not_read() {
        // The folder's Dockerfile runs app.py; the image runs server.py.
        let d = "FROM python:3.11-slim\nCOPY . .\nCMD [\"python\", \"app.py\"]\n";
        assert_eq!(
            fix(&[("Dockerfile", d), ("requirements.txt", "")], CMD, "flask"),
            None
        );
        assert_eq!(fix(&[], CMD, "flask"), None);
    }
}
