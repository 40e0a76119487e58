//! Why the program a container starts would not run, read from the image's own files:
//! a file the CMD names that the build put elsewhere, a script with Windows line endings
//! or a `#!` interpreter the image lacks, a program without its execute bit. The observer
//! reads the files a failed start names (only then); this turns them into the cause and
//! the edit to make.

use super::files::Build;
use super::*;
use crate::facts::FileFacts;

/// A failed start explained from the image's files.
pub(crate) struct Explained {
    pub id: CauseId,
    pub cause: String,
    /// The edit to make before rebuilding.
    pub edit: String,
}

/// The cause of a failed start, when the image's files show it.
pub(crate) fn explain(facts: &Facts, c: &ContainerFacts, image: &ImageFacts) -> Option<Explained> {
    let paths =
        crate::hints::named_paths(&c.log_tail, c.error.as_deref(), image.workdir.as_deref());
    let tag: ImageRef = c
        .image_name
        .parse()
        .unwrap_or_else(|_| "image".parse().expect("a valid name"));
    let build = Build::read(facts, &tag);
    // How the start named it: run as a program by exec (the kernel reads its #! line
    // and execute bit), or opened as a file by an interpreter (python, node).
    let execd = |p: &str| {
        c.log_tail
            .iter()
            .map(String::as_str)
            .chain(c.error.as_deref())
            .any(|l| l.contains(&format!("exec {p}:")) || l.contains(&format!("exec: \"{p}\"")))
    };
    paths.iter().find_map(|p| match image.files.get(p)? {
        None => Some(moved(image, &build, p)),
        Some(_) if !execd(p) => hidden_by_mount(c, p),
        Some(f) => script(image, &build, p, f),
    })
}

/// A file the image has that the running app could not open: a mount over its folder
/// hides the image's files (`-v "$PWD":/app` from a folder without them).
fn hidden_by_mount(c: &ContainerFacts, path: &str) -> Option<Explained> {
    let m = c
        .mounts
        .iter()
        .filter(|m| path.starts_with(&format!("{}/", m.destination.trim_end_matches('/'))))
        .max_by_key(|m| m.destination.len())?;
    Some(Explained {
        id: CauseId::MountHidesFiles,
        cause: format!(
            "the image has {path}, but the container mounts {} over {}, which hides the image's files there; the mounted folder has no {}",
            m.source,
            m.destination,
            path.strip_prefix(&format!("{}/", m.destination.trim_end_matches('/')))
                .unwrap_or(path)
        ),
        edit: format!(
            "run the container without the mount at {} (or mount the folder that holds the project's files)",
            m.destination
        ),
    })
}

/// A file the start names that is not at that path.
fn moved(image: &ImageFacts, build: &Build, path: &str) -> Explained {
    let name = path.rsplit('/').next().unwrap_or(path);
    let elsewhere = image.named.get(name).map(Vec::as_slice).unwrap_or(&[]);
    let Some(found) = elsewhere.first() else {
        // A typo, when the build would have copied the file had the project had it: the
        // CMD is what to correct. Where no COPY brings it (or .dockerignore leaves it
        // out), the project may have it: the build's own cause stands, and the file a
        // typo away is named as the other reading.
        let typo = misspelt(image, path);
        if build.project_lacked(path)
            && let Some(typo) = typo
        {
            return typo.explained;
        }
        // Nowhere in the image: the build never copied it.
        let j = build.missing(path);
        let mut cause = j.cause.unwrap_or_default();
        if let Some(t) = typo {
            cause.push_str(&format!(
                "; or the command means {}: then {}",
                t.found, t.explained.edit
            ));
        }
        return Explained {
            id: CauseId::FileNotInImage,
            cause,
            edit: before_rebuild(&j.fix.unwrap_or_default()),
        };
    };
    let also = if elsewhere.len() > 1 {
        format!(" (and {})", elsewhere[1..].join(", "))
    } else {
        String::new()
    };
    let (edit, what) = match rewritten(image, path, found) {
        Some((keyword, words)) => (
            format!("write `{keyword} {}` in the Dockerfile", exec_form(&words)),
            keyword,
        ),
        None => (format!("make the CMD run {found}"), "CMD"),
    };
    Explained {
        id: CauseId::FileNotInImage,
        cause: format!(
            "the image has no {path}, but it has {found}{also}: the {what} names the path the file would have, not the one the build gave it"
        ),
        edit,
    }
}

/// A file the start names that is not in the image, where the image has one of a name a
/// typo away in the same folder (`sever.py`, and `/app/server.py` is there): the command
/// is what to correct, not the project.
fn misspelt(image: &ImageFacts, path: &str) -> Option<Typo> {
    let (folder, name) = path.rsplit_once('/')?;
    let near = image.similar.get(name)?;
    let found = near
        .iter()
        .find(|p| p.rsplit_once('/').is_some_and(|(f, _)| f == folder))?;
    let (keyword, words) = rewritten(image, path, found)?;
    let right = found.rsplit('/').next().unwrap_or(found);
    Some(Typo {
        explained: Explained {
            id: CauseId::FileNotInImage,
            cause: format!(
                "the {keyword} names {name}, but the image has no {path}; it has {found}: {name} is a misspelling of {right}"
            ),
            edit: format!("write `{keyword} {}` in the Dockerfile", exec_form(&words)),
        },
        found: found.clone(),
    })
}

/// A start that names a file a typo away from one the image has.
struct Typo {
    explained: Explained,
    /// The file it has.
    found: String,
}

/// The image's ENTRYPOINT or CMD with the word that names `path` pointing at `found`
/// instead (relative to the WORKDIR when it was written relative).
fn rewritten(image: &ImageFacts, path: &str, found: &str) -> Option<(&'static str, Vec<String>)> {
    let workdir = image
        .workdir
        .as_deref()
        .unwrap_or("/")
        .trim_end_matches('/');
    for (keyword, words) in [("ENTRYPOINT", &image.entrypoint), ("CMD", &image.cmd)] {
        let Some(words) = words else { continue };
        if let Some(at) = words
            .iter()
            .position(|w| w == path || super::files::in_image(image, w) == path)
        {
            let mut new = words.clone();
            new[at] = if words[at].starts_with('/') {
                found.to_string()
            } else {
                found
                    .strip_prefix(&format!("{workdir}/"))
                    .unwrap_or(found)
                    .to_string()
            };
            return Some((keyword, new));
        }
    }
    None
}

/// A script or program that is there but cannot be started.
fn script(image: &ImageFacts, build: &Build, path: &str, f: &FileFacts) -> Option<Explained> {
    if f.kind != "file" {
        return None;
    }
    let src = build.source_of(path).map_or_else(
        || path.rsplit('/').next().unwrap_or(path).to_string(),
        |(_, s)| s,
    );
    if let Some(first) = f
        .text
        .as_deref()
        .filter(|t| t.starts_with("#!"))
        .and_then(|t| t.split('\n').next())
    {
        let line = first.trim_end_matches('\r');
        if first.ends_with('\r') {
            return Some(Explained {
                id: CauseId::CrlfScript,
                cause: format!(
                    "{path} has Windows line endings (CRLF): its first line `{line}` ends in an invisible \\r, so Linux looks for a program named `{}\\r`, which does not exist",
                    line.trim_start_matches("#!")
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                ),
                edit: format!(
                    "save {src} with LF line endings (VS Code: click CRLF in the status bar and pick LF; or run: perl -pi -e 's/\\r$//' {src})"
                ),
            });
        }
        let interpreter = line.trim_start_matches("#!").split_whitespace().next()?;
        if matches!(image.files.get(interpreter), Some(None)) {
            let sh = matches!(image.files.get("/bin/sh"), Some(Some(_)));
            let edit = if sh && interpreter != "/bin/sh" {
                format!(
                    "write the first line of {src} as `#!/bin/sh` (or install {} in the image)",
                    interpreter.rsplit('/').next().unwrap_or(interpreter)
                )
            } else {
                format!(
                    "install {} in the image (a RUN step before the CMD), or start {src} with an interpreter the image has",
                    interpreter.rsplit('/').next().unwrap_or(interpreter)
                )
            };
            return Some(Explained {
                id: CauseId::InterpreterMissing,
                cause: format!("{path} starts with `{line}`, and the image has no {interpreter}"),
                edit,
            });
        }
    }
    if f.mode & 0o111 == 0 {
        // A RUN chmod needs a shell in the image; without one the host's mode is copied.
        let edit = if matches!(image.files.get("/bin/sh"), Some(None)) {
            format!("make {src} executable in the project: chmod +x {src}")
        } else {
            before_rebuild(&build.chmod_fix(path, "+x"))
        };
        return Some(Explained {
            id: CauseId::NotExecutable,
            cause: format!(
                "{path} is not executable (mode {:04o}), so it cannot be started as a program",
                f.mode
            ),
            edit,
        });
    }
    None
}

/// A files fix without its closing rebuild command (the container's own follows).
fn before_rebuild(fix: &str) -> String {
    fix.split(", then rebuild: ")
        .next()
        .unwrap_or(fix)
        .split(" && docker build")
        .next()
        .unwrap_or(fix)
        .to_string()
}
