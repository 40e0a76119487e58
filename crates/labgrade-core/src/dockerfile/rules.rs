//! The teaching rules. Where a rule is also a hadolint rule it carries hadolint's id and
//! agrees with hadolint on the same Dockerfile (tests/dockerfile_rules.rs runs both);
//! labgrade's own rules are LG-numbered.

use super::pip::pip_commands;
use super::{Dockerfile, Instruction};

/// A rule: its id and what it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
}

/// Every rule, in the order reports list them.
pub const RULES: &[Rule] = &[
    Rule {
        id: "DL3006",
        title: "The base image is tagged with a version",
    },
    Rule {
        id: "DL3007",
        title: "The base image is not tagged latest",
    },
    Rule {
        id: "LG001",
        title: "A slim base image",
    },
    Rule {
        id: "DL3000",
        title: "WORKDIR is an absolute path",
    },
    Rule {
        id: "DL3020",
        title: "COPY, not ADD, for local files",
    },
    Rule {
        id: "LG002",
        title: "Dependencies are installed before the code is copied",
    },
    Rule {
        id: "DL3042",
        title: "pip install uses --no-cache-dir",
    },
    Rule {
        id: "DL3025",
        title: "CMD and ENTRYPOINT use the exec (JSON) form",
    },
    Rule {
        id: "DL4003",
        title: "A single CMD",
    },
    Rule {
        id: "LG003",
        title: "EXPOSE names the port the app listens on",
    },
    Rule {
        id: "LG004",
        title: ".dockerignore leaves out what the image does not need",
    },
];

/// A shell-form command as exec-form words: split on spaces, or, when it uses shell syntax
/// (`&&`, `$VAR`, quotes, ...), kept whole under an explicit `sh -c`.
pub fn exec_words(command: &str) -> Vec<String> {
    let command = command.trim();
    if command.contains(['&', '|', ';', '>', '<', '$', '*', '`', '"', '\'', '\\']) {
        vec!["sh".into(), "-c".into(), command.to_string()]
    } else {
        command.split_whitespace().map(str::to_owned).collect()
    }
}

/// The sources then the destination of a COPY or ADD, in the exec (JSON) form or the
/// shell form, without its flags.
pub(super) fn copy_words(ins: &Instruction) -> Vec<String> {
    let mut rest = ins.args.trim();
    while rest.starts_with("--") {
        rest = rest
            .split_once(char::is_whitespace)
            .map_or("", |(_, r)| r.trim_start());
    }
    match serde_json::from_str::<Vec<String>>(rest) {
        Ok(w) if rest.starts_with('[') => w,
        _ => rest.split_whitespace().map(str::to_owned).collect(),
    }
}

/// A file that lists dependencies (copied on its own before the install step), by name;
/// a wildcard source (`package*.json`, `go.*`) counts when it can name one.
fn is_manifest(source: &str) -> bool {
    const MANIFESTS: [&str; 17] = [
        "package.json",
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "Pipfile",
        "Pipfile.lock",
        "pyproject.toml",
        "poetry.lock",
        "setup.cfg",
        "Gemfile",
        "Gemfile.lock",
        "composer.json",
        "composer.lock",
        "go.mod",
        "go.sum",
        ".npmrc",
    ];
    let name = source
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(source);
    if let Some(at) = name.find(['*', '?', '[']) {
        let prefix = &name[..at];
        return !prefix.is_empty()
            && (MANIFESTS.iter().any(|m| m.starts_with(prefix))
                || "requirements".starts_with(prefix)
                || prefix.starts_with("requirements"));
    }
    (name.starts_with("requirements") && !source.ends_with('/'))
        || name.starts_with("constraints")
        || MANIFESTS.contains(&name)
        || name.ends_with(".lock")
}

/// What the rules need to know beyond the Dockerfile.
#[derive(Debug, Clone, Default)]
pub struct LintOptions<'a> {
    /// LG003: the port the app listens on.
    pub expose: Option<u16>,
    /// LG004: the `.dockerignore` text (`Some(None)` when the file is missing) and the
    /// patterns it must exclude.
    pub dockerignore: Option<(Option<&'a str>, &'a [String])>,
}

/// One broken rule, where, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    pub line: usize,
    /// What is wrong, and why it matters.
    pub message: String,
    pub fix: String,
    /// What was found, for a violation no line shows (`line` 0).
    pub found: Option<String>,
}

fn v(
    rule: &'static str,
    ins: &Instruction,
    message: impl Into<String>,
    fix: impl Into<String>,
) -> Violation {
    Violation {
        rule,
        line: ins.line,
        message: message.into(),
        fix: fix.into(),
        found: None,
    }
}

/// The order to write when nothing better is known.
pub const GENERIC_DEPS_FIRST: &str =
    "COPY requirements.txt . → RUN pip install --no-cache-dir -r requirements.txt → COPY . .";

/// In the final stage, the first line copying code (not only dependency manifests)
/// before the install step, and that step.
fn code_before_install(d: &Dockerfile) -> Option<(&Instruction, &Instruction)> {
    let last: Vec<&Instruction> = d.last_stage().collect();
    let at = last.iter().position(|i| {
        i.keyword == "RUN"
            && (!pip_commands(&i.args).is_empty()
                || [
                    "npm ci",
                    "npm install",
                    "yarn install",
                    "poetry install",
                    "bundle install",
                ]
                .iter()
                .any(|p| i.args.contains(p)))
    })?;
    // Copying anything but dependency manifests (`.`, `src/`, `app.py`) before the
    // install step: `COPY --from=stage` copies a build result, not the context.
    let early = last[..at].iter().find(|i| {
        (i.keyword == "COPY" || i.keyword == "ADD") && !i.args.contains("--from") && {
            let words = copy_words(i);
            words.len() >= 2 && words[..words.len() - 1].iter().any(|s| !is_manifest(s))
        }
    })?;
    Some((early, last[at]))
}

/// The fix for dependencies installed after the code is copied, in this Dockerfile's own
/// lines and paths: the dependency list copied from where the code comes from (`COPY
/// src/requirements.txt .` when the code is `COPY src/ .`), then the install as written,
/// then the code line moved below it. `None` when the Dockerfile has no such mistake.
pub fn deps_first_fix(d: &Dockerfile) -> Option<String> {
    code_before_install(d).map(|(early, install)| deps_first(early, install))
}

/// [`deps_first_fix`] for the code line and the install step already found.
fn deps_first(early: &Instruction, install: &Instruction) -> String {
    let words = copy_words(early);
    let (sources, dest) = words.split_at(words.len() - 1);
    let dest = &dest[0];
    let manifest = if install.args.contains("npm ") {
        "package*.json".to_string()
    } else if install.args.contains("yarn") {
        "package.json yarn.lock".to_string()
    } else if install.args.contains("poetry") {
        "pyproject.toml poetry.lock".to_string()
    } else if install.args.contains("bundle") {
        "Gemfile Gemfile.lock".to_string()
    } else {
        // pip: the file after -r, by its name (its path is the image's, not the context's).
        let w: Vec<&str> = install.args.split_whitespace().collect();
        w.iter()
            .position(|x| *x == "-r" || *x == "--requirement")
            .and_then(|i| w.get(i + 1))
            .map_or("requirements.txt", |f| f.rsplit('/').next().unwrap_or(f))
            .to_string()
    };
    // Where the code comes from in the context: one folder (`src/`, `.`) holds the list too.
    let prefix = match sources {
        [one] if one == "." || one == "./" => String::new(),
        [one] if one.ends_with('/') || !one.contains('.') => {
            format!("{}/", one.trim_start_matches("./").trim_end_matches('/'))
        }
        _ => String::new(),
    };
    let listed: Vec<String> = manifest
        .split(' ')
        .map(|m| format!("{prefix}{m}"))
        .collect();
    let code = format!("{} {}", early.keyword, early.args);
    format!(
        "copy only the dependency list before the install, and the code after it: COPY {} {dest} (before line {}), then move `{code}` (line {}) below `RUN {}`; then rebuild",
        listed.join(" "),
        install.line,
        early.line,
        install.args
    )
}

/// Runs every rule (LG003 and LG004 only when their options are given).
pub fn lint(d: &Dockerfile, opts: &LintOptions) -> Vec<Violation> {
    let mut out = Vec::new();
    let stage_names: Vec<String> = d
        .stage_names
        .iter()
        .flatten()
        .map(|s| s.to_lowercase())
        .collect();
    let froms = d.from_images();
    // Only the last stage ships: a full image in a build stage costs nothing at run time.
    let last = froms.len().saturating_sub(1);
    for (n, (ins, image)) in froms.into_iter().enumerate() {
        let image_lc = image.to_lowercase();
        // An image named only by a build argument with no default cannot be judged.
        if image.is_empty()
            || image_lc == "scratch"
            || stage_names.contains(&image_lc)
            || image.contains('@')
        {
            continue;
        }
        let name_part = image.rsplit('/').next().unwrap_or(&image);
        // `python` and `python:latest` are the full image too.
        let full_python = n == last
            && matches!(name_part.split_once(':'), None | Some(("python", "latest")))
            && name_part.split(':').next() == Some("python");
        if full_python {
            out.push(v(
                "LG001",
                ins,
                format!("FROM {image} is the full Python image (~1 GB)"),
                "use a slim tag, such as FROM python:3.11-slim, unless you compile C extensions",
            ));
        }
        match name_part.split_once(':') {
            None => out.push(v(
                "DL3006",
                ins,
                format!("FROM {image} has no tag, so it takes whatever `latest` is today"),
                format!("pin a version: FROM {image}:<version>, such as python:3.11-slim"),
            )),
            Some((_, "latest")) => out.push(v(
                "DL3007",
                ins,
                format!("FROM {image} uses latest, which changes under you"),
                "pin a version, such as python:3.11-slim",
            )),
            Some((name, tag))
                if n == last
                    && name == "python"
                    && !["slim", "alpine"].iter().any(|s| tag.contains(s)) =>
            {
                out.push(v(
                    "LG001",
                    ins,
                    format!("FROM {image} is the full image (~1 GB)"),
                    format!("use {name}:{tag}-slim unless you compile C extensions"),
                ))
            }
            _ => {}
        }
    }
    let mut pip_no_cache = false;
    for ins in &d.instructions {
        match ins.keyword.as_str() {
            "WORKDIR" => {
                let w = ins.args.trim().trim_matches('"');
                let windows = w.len() > 1 && w.as_bytes()[1] == b':';
                if !w.starts_with('/') && !w.starts_with('$') && !windows {
                    out.push(v(
                        "DL3000",
                        ins,
                        format!("WORKDIR {w} is relative"),
                        format!("write WORKDIR /{}", w.trim_start_matches("./")),
                    ));
                }
            }
            "ADD" => {
                let words = copy_words(ins);
                let sources = &words[..words.len().saturating_sub(1)];
                let remote_or_archive = |s: &str| {
                    s.contains("://")
                        || [
                            ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
                            ".gz", ".bz2", ".xz", ".zip",
                        ]
                        .iter()
                        .any(|e| s.ends_with(e))
                };
                if !sources.is_empty() && sources.iter().all(|s| !remote_or_archive(s)) {
                    out.push(v("DL3020", ins, "ADD copies local files here; it also unpacks archives and fetches URLs, which hides surprises", format!("write COPY {}", ins.args)));
                }
            }
            "ENV" if ins.args.contains("PIP_NO_CACHE_DIR") => pip_no_cache = true,
            "RUN"
                if !pip_no_cache
                    && pip_commands(&ins.args)
                        .iter()
                        .any(|c| !c.iter().any(|w| w.contains("--no-cache-dir"))) =>
            {
                out.push(v(
                    "DL3042",
                    ins,
                    "pip keeps its download cache in the image layer",
                    "pip install --no-cache-dir -r requirements.txt",
                ));
            }
            "CMD" | "ENTRYPOINT" if ins.exec_form().is_none() => {
                let args = ins.args.trim();
                let (message, fix) = if args.starts_with('[') {
                    (
                        format!(
                            "{} looks like exec form but is not valid JSON, so Docker runs it as a shell command",
                            ins.keyword
                        ),
                        format!(
                            "write it with double quotes: {} {}",
                            ins.keyword,
                            args.replace('\'', "\"")
                        ),
                    )
                } else {
                    (
                        format!(
                            "{} is in shell form, so it runs under /bin/sh -c and the app does not get signals such as docker stop",
                            ins.keyword
                        ),
                        format!("{} {}", ins.keyword, super::exec_form(&exec_words(args))),
                    )
                };
                out.push(v("DL3025", ins, message, fix));
            }
            _ => {}
        }
    }
    // DL4003: only the last CMD of a stage counts.
    let mut cmds_per_stage = std::collections::BTreeMap::<usize, Vec<&Instruction>>::new();
    for ins in d.instructions.iter().filter(|i| i.keyword == "CMD") {
        cmds_per_stage.entry(ins.stage).or_default().push(ins);
    }
    for cmds in cmds_per_stage.values().filter(|c| c.len() > 1) {
        for ins in &cmds[1..] {
            out.push(v(
                "DL4003",
                ins,
                format!(
                    "CMD also on line {}: only the last CMD takes effect",
                    cmds[0].line
                ),
                "keep one CMD, the last line of the Dockerfile",
            ));
        }
    }
    // LG002: in the final stage, the whole context copied before the install step.
    if let Some((early, install)) = code_before_install(d) {
        out.push(v(
            "LG002",
            early,
            format!("the code is copied (line {}) before the dependencies are installed (line {}), so any code change reinstalls them", early.line, install.line),
            deps_first(early, install),
        ));
    }
    if let Some(port) = opts.expose {
        // `EXPOSE $PORT` counts with the ARG or ENV value it has there.
        let exposes = d
            .instructions
            .iter()
            .enumerate()
            .filter(|(_, i)| i.keyword == "EXPOSE")
            .flat_map(|(at, i)| {
                super::substitute(&i.args, &d.vars_at(at))
                    .split_whitespace()
                    .map(|p| p.split('/').next().unwrap_or(p).to_string())
                    .collect::<Vec<_>>()
            })
            .any(|p| p == port.to_string());
        if !exposes {
            let line = d
                .instructions
                .iter()
                .rfind(|i| i.keyword == "EXPOSE")
                .map_or(0, |i| i.line);
            out.push(Violation {
                rule: "LG003",
                line,
                message: format!("no EXPOSE {port}: the app listens on {port}"),
                fix: format!("add `EXPOSE {port}` before CMD"),
                found: Some(format!("no EXPOSE {port}")),
            });
        }
    }
    if let Some((text, wanted)) = opts.dockerignore {
        match text {
            None => out.push(Violation {
                rule: "LG004",
                line: 0,
                message: "there is no .dockerignore, so everything is sent to the build".into(),
                fix: format!(
                    "create .dockerignore with these lines: {}",
                    one_per_line(wanted)
                ),
                found: Some("no .dockerignore".into()),
            }),
            Some(t) => {
                let ignore = crate::dockerignore::DockerIgnore::parse(t);
                let missing: Vec<&String> = wanted
                    .iter()
                    .filter(|p| !ignore.is_excluded(p.trim_end_matches('/'), true))
                    .collect();
                if !missing.is_empty() {
                    let names: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
                    out.push(Violation {
                        rule: "LG004",
                        line: 0,
                        message: format!(
                            "{} would be sent to the build and copied into the image",
                            names.join(", ")
                        ),
                        fix: format!(
                            "add these lines to .dockerignore, one per line: {}",
                            one_per_line(&names)
                        ),
                        found: Some(format!(
                            ".dockerignore does not leave out {}",
                            names.join(", ")
                        )),
                    });
                }
            }
        }
    }
    out.sort_by_key(|x| (x.line, x.rule));
    out
}

/// Lines to write into a file, each in backticks: `` `.git`, `__pycache__` ``.
fn one_per_line<S: AsRef<str>>(lines: &[S]) -> String {
    lines
        .iter()
        .map(|l| format!("`{}`", l.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str) -> Vec<(&'static str, usize)> {
        lint(&Dockerfile::parse(text), &LintOptions::default())
            .into_iter()
            .map(|v| (v.rule, v.line))
            .collect()
    }

    #[test]
    fn exec_form_fixes_are_valid_json() {
        let fix = |text: &str| {
            lint(&Dockerfile::parse(text), &LintOptions::default())
                .into_iter()
                .find(|v| v.rule == "DL3025")
                .unwrap()
                .fix
        };
        assert_eq!(
            fix("FROM a:1\nCMD python app.py\n"),
            r#"CMD ["python", "app.py"]"#
        );
        assert_eq!(
            fix("FROM a:1\nCMD ['python','app.py']\n"),
            r#"write it with double quotes: CMD ["python","app.py"]"#
        );
        assert_eq!(
            fix("FROM a:1\nCMD python app.py --port $PORT\n"),
            r#"CMD ["sh", "-c", "python app.py --port $PORT"]"#
        );
        assert_eq!(
            fix("FROM a:1\nCMD echo \"hi there\"\n"),
            r#"CMD ["sh", "-c", "echo \"hi there\""]"#
        );
        let v = lint(
            &Dockerfile::parse("FROM a:1\nWORKDIR ./app\nARG B\nFROM ${B}\n"),
            &LintOptions::default(),
        );
        assert_eq!(
            v.iter()
                .map(|v| (v.rule, v.fix.as_str()))
                .collect::<Vec<_>>(),
            [("DL3000", "write WORKDIR /app")]
        );
    }

    #[test]
    fn code_copied_before_the_install() {
        let order = |copy: &str| {
            ids(&format!(
                "FROM a:1\nWORKDIR /app\n{copy}\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
            ))
            .contains(&("LG002", 3))
        };
        for code in [
            "COPY . .",
            "COPY src/ .",
            "COPY app.py requirements.txt ./",
            "COPY [\"src\", \".\"]",
        ] {
            assert!(order(code), "{code}");
        }
        for manifests in [
            "COPY package*.json ./",
            "COPY [\"package.json\", \"package-lock.json*\", \"./\"]",
            "COPY go.* ./",
            "COPY Gemfile* ./",
            "COPY requirements*.txt ./",
            "COPY requirements.txt .",
            "COPY src/requirements.txt .",
            "COPY --chown=app [\"requirements.txt\", \"constraints.txt\", \"./\"]",
            "COPY --from=build /wheels /wheels",
        ] {
            assert!(!order(manifests), "{manifests}");
        }
    }

    #[test]
    fn add_archives_and_expose_variables() {
        // Archives and URLs are what ADD is for, in either form, with flags or not.
        for text in [
            "FROM a:1\nADD [\"site.tar.gz\", \"/srv/\"]\n",
            "FROM a:1\nADD --chown=1000 [\"site.tar.gz\", \"/srv/\"]\n",
            "FROM a:1\nADD --chown=1000 https://example.com/x /srv/\n",
        ] {
            assert_eq!(ids(text), [], "{text}");
        }
        assert_eq!(
            ids("FROM a:1\nADD [\"app.py\", \"/app/\"]\n"),
            [("DL3020", 2)]
        );
        let expose = |text: &str| {
            lint(
                &Dockerfile::parse(text),
                &LintOptions {
                    expose: Some(8088),
                    dockerignore: None,
                },
            )
            .into_iter()
            .any(|v| v.rule == "LG003")
        };
        assert!(!expose("FROM a:1\nENV PORT=8088\nEXPOSE $PORT\n"));
        assert!(!expose(
            "ARG P=8088\nFROM a:1\nARG P\nENV PORT ${P}\nEXPOSE ${PORT}/tcp\n"
        ));
        assert!(expose("FROM a:1\nENV PORT=5000\nEXPOSE $PORT\n"));
        assert!(expose(
            "FROM a:1 AS b\nENV PORT=8088\nFROM a:1\nEXPOSE $PORT\n"
        ));
    }

    #[test]
    fn good_dockerfile_passes() {
        let good = "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nEXPOSE 8088\nCMD [\"python\", \"server.py\"]\n";
        assert_eq!(ids(good), []);
        let d = Dockerfile::parse(good);
        let v = lint(
            &d,
            &LintOptions {
                expose: Some(8088),
                dockerignore: Some((
                    Some(".git\n__pycache__\n"),
                    &[".git".into(), "__pycache__".into()],
                )),
            },
        );
        assert_eq!(v, []);
    }

    #[test]
    fn the_deps_first_fix_uses_the_dockerfiles_own_paths() {
        let fix = |t: &str| deps_first_fix(&Dockerfile::parse(t)).unwrap();
        let f = fix(
            "FROM python:3.11-slim\nWORKDIR /app\nCOPY src/ .\nRUN pip install --no-cache-dir -r requirements.txt\nCMD [\"python\", \"server.py\"]\n",
        );
        assert!(
            f.contains("COPY src/requirements.txt . (before line 4)"),
            "{f}"
        );
        assert!(f.contains("move `COPY src/ .` (line 3) below `RUN pip install --no-cache-dir -r requirements.txt`"), "{f}");
        let f = fix("FROM node:20-slim\nCOPY . /app\nRUN npm ci\n");
        assert!(f.contains("COPY package*.json /app"), "{f}");
        assert!(!f.contains("COPY . ."), "{f}");
        assert!(deps_first_fix(&Dockerfile::parse("FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n")).is_none());
    }

    #[test]
    fn every_rule_fires_where_it_should() {
        let bad = "FROM python\nWORKDIR app\nADD . .\nRUN pip install -r requirements.txt\nCMD python app.py\nCMD python other.py\n";
        assert_eq!(
            ids(bad),
            [
                ("DL3006", 1),
                ("LG001", 1),
                ("DL3000", 2),
                ("DL3020", 3),
                ("LG002", 3),
                ("DL3042", 4),
                ("DL3025", 5),
                ("DL3025", 6),
                ("DL4003", 6)
            ]
        );
        assert_eq!(ids("FROM python:latest\n"), [("DL3007", 1), ("LG001", 1)]);
        assert_eq!(ids("FROM python:3.11\n"), [("LG001", 1)]);
        // Untagged or latest: the full image as well (besides the pinning rules).
        assert!(ids("FROM python\n").contains(&("LG001", 1)));
        assert!(ids("FROM python:latest\n").contains(&("LG001", 1)));
        // Only the stage that ships counts.
        assert!(
            !ids("FROM python:3.11 AS build\nRUN pip wheel .\nFROM python:3.11-slim\nCOPY --from=build /w /w\n")
                .iter()
                .any(|(id, _)| *id == "LG001")
        );
        assert_eq!(
            ids("FROM python:3.11-slim AS build\nFROM python:3.11\n"),
            [("LG001", 2)]
        );
        assert_eq!(
            ids("FROM golang:1.22 AS build\nFROM build\nFROM scratch\n"),
            []
        );
        assert_eq!(
            ids("FROM alpine:3.19\nADD https://example.invalid/x.tgz /x\nADD app.tar.gz /\n"),
            []
        );
        assert_eq!(
            ids("FROM alpine:3.19\nENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n"),
            []
        );
        let v = lint(
            &Dockerfile::parse("FROM alpine:3.19\nEXPOSE 5000\n"),
            &LintOptions {
                expose: Some(8088),
                dockerignore: Some((None, &[".git".into()])),
            },
        );
        assert_eq!(
            v.iter().map(|v| v.rule).collect::<Vec<_>>(),
            ["LG004", "LG003"]
        );
        assert_eq!(v[1].fix, "add `EXPOSE 8088` before CMD");
    }
}
