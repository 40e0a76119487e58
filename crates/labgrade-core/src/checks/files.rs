//! File checks (`images: [{name, files: [...]}]`): a path an image must hold — with the
//! text, mode and owner the lab asks for — or must not hold, read from the image through
//! the engine without running it. Fixes use the Dockerfile's own COPY lines and the
//! project's `.dockerignore`.

use serde::Serialize;

use super::kinds::{Ctx, Kind};
use super::*;
use crate::dockerfile::{Dockerfile, join_path as join};
use crate::dockerignore::DockerIgnore;
use crate::facts::{FILE_CAP, FileFacts};
use crate::plan::Need;
use crate::spec::{FileMode, FileSpec, ImageSpec, Points};

/// One `files:` entry of one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileCheck {
    pub image: ImageRef,
    pub file: FileSpec,
}

impl Kind for FileCheck {
    fn for_image(i: &ImageSpec, points: &Points) -> Vec<Check> {
        i.files
            .iter()
            .map(|f| Check {
                id: format!("file:{}:{}", i.name, f.path),
                title: format!("Image {} {}", i.name, wanted(f)),
                points: f.points.unwrap_or(points.setting),
                requires: vec![format!("image:{}", i.name)],
                hidden: false,
                kind: CheckKind::File(FileCheck {
                    image: i.name.clone(),
                    file: f.clone(),
                }),
            })
            .collect()
    }

    fn expected(&self) -> String {
        wanted(&self.file)
    }

    fn needs(&self) -> Vec<Need> {
        let mut needs = vec![
            Need::Image(self.image.clone()),
            Need::ImageFile {
                image: self.image.clone(),
                path: self.file.path.clone(),
                read: !self.file.contains.is_empty()
                    || self.file.regex.is_some()
                    || self.file.owner.is_some(),
            },
            Need::ProjectFile("Dockerfile".into()),
            Need::ProjectFile(".dockerignore".into()),
        ];
        if self
            .file
            .owner
            .as_deref()
            .is_some_and(|o| o != "root" && o.parse::<u64>().is_err())
        {
            needs.push(Need::ImageFile {
                image: self.image.clone(),
                path: "/etc/passwd".into(),
                read: true,
            });
        }
        needs
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let facts = cx.facts;
        let Some(image) = image_facts(facts, &self.image) else {
            return missing_fact();
        };
        if let Some(e) = &image.files_error {
            return files_unreadable(e);
        }
        let Some(found) = image.files.get(&self.file.path) else {
            return missing_fact();
        };
        let build = Build::read(facts, &self.image);
        // A relative path is under the image's WORKDIR: say where it is.
        let at = in_image(image, &self.file.path);
        match (found, self.file.absent) {
            (None, true) => pass(format!("no {at} in the image")),
            (Some(f), true) => build.unwanted(&at, f),
            (None, false) => build.missing(&at),
            (Some(f), false) => judge_present(&self.file, &at, f, image, &build),
        }
    }
}

/// What the check wants, in words: "holds /app/app.py", "leaves out /app/.git".
fn wanted(f: &FileSpec) -> String {
    let path = if f.path.starts_with('/') {
        f.path.clone()
    } else {
        format!("{} (under its WORKDIR)", f.path)
    };
    if f.absent {
        return format!("leaves out {path}");
    }
    let mut parts = Vec::new();
    if let Some(t) = f.contains.first() {
        parts.push(format!("containing {}", quote(t, 40)));
    }
    if let Some(r) = &f.regex {
        parts.push(format!("matching /{}/", r.0.as_str()));
    }
    match f.mode {
        Some(FileMode::Executable) => parts.push("executable".into()),
        Some(m @ FileMode::Bits(_)) => parts.push(format!("with mode {m}")),
        None => {}
    }
    if let Some(o) = &f.owner {
        parts.push(format!("owned by {o}"));
    }
    if parts.is_empty() {
        format!("holds {path}")
    } else {
        format!("holds {path} {}", parts.join(", "))
    }
}

fn judge_present(
    want: &FileSpec,
    path: &str,
    f: &FileFacts,
    image: &ImageFacts,
    build: &Build,
) -> Judgement {
    let wants_text = !want.contains.is_empty() || want.regex.is_some();
    if wants_text && f.kind != "file" {
        let what = match (f.kind.as_str(), &f.link) {
            ("symlink", Some(to)) => format!("a link to {to}"),
            ("dir", _) => "a folder".into(),
            (k, _) => format!("a {k}"),
        };
        return fail(
            CauseId::FileWrongKind,
            format!("{path} is {what}"),
            format!("the lab wants a file at {path}, and the image has {what} there"),
            build.rebuild_after(&format!("make {path} a file in the project, COPY it there")),
        );
    }
    if wants_text {
        let Some(text) = &f.text else {
            return fail(
                CauseId::FileContent,
                format!("{path} is binary ({} bytes)", f.size),
                format!("{path} holds binary data, not text the lab could read"),
                build.edit_fix(path, "save it as text"),
            );
        };
        let cut = if f.truncated {
            format!(" (the first {} KiB were read)", FILE_CAP >> 10)
        } else {
            String::new()
        };
        if let Some(missing) = want.contains.iter().find(|t| !text.contains(t.as_str())) {
            return fail(
                CauseId::FileContent,
                format!("{path} has no {}{cut}", quote(missing, 60)),
                format!(
                    "{path} in the image does not contain {}: the image holds another version of the file than the lab wants",
                    quote(missing, 60)
                ),
                build.edit_fix(path, &format!("make it contain {}", quote(missing, 60))),
            );
        }
        if let Some(r) = &want.regex
            && !r.0.is_match(text)
        {
            return fail(
                CauseId::FileContent,
                format!("{path} does not match /{}/{cut}", r.0.as_str()),
                format!("no line of {path} in the image matches /{}/", r.0.as_str()),
                build.edit_fix(path, &format!("make it match /{}/", r.0.as_str())),
            );
        }
    }
    match want.mode {
        Some(FileMode::Executable) if f.mode & 0o111 == 0 => {
            return fail(
                CauseId::FileMode,
                format!("{path} has mode {:04o}", f.mode),
                format!("{path} is not executable (mode {:04o}), so it cannot be run as a program", f.mode),
                build.chmod_fix(path, "+x"),
            );
        }
        Some(FileMode::Bits(b)) if f.mode != b => {
            return fail(
                CauseId::FileMode,
                format!("{path} has mode {:04o}", f.mode),
                format!("{path} has mode {:04o}; the lab wants {b:04o}", f.mode),
                build.chmod_fix(path, &format!("{b:o}")),
            );
        }
        _ => {}
    }
    if let Some(owner) = &want.owner {
        let passwd = image
            .files
            .get("/etc/passwd")
            .and_then(Option::as_ref)
            .and_then(|p| p.text.as_deref());
        // root is uid 0 on every system, /etc/passwd or not (FROM scratch has none).
        let uid = owner
            .parse::<u64>()
            .ok()
            .or_else(|| (owner == "root").then_some(0))
            .or_else(|| uid_of(passwd?, owner));
        let shown = f
            .user
            .clone()
            .or_else(|| passwd.and_then(|p| name_of(p, f.uid)))
            .map_or(format!("uid {}", f.uid), |u| format!("{u} (uid {})", f.uid));
        let owned = uid == Some(f.uid) || f.user.as_deref() == Some(owner.as_str());
        if !owned {
            let unknown = if uid.is_none() {
                format!("; the image's /etc/passwd has no user {owner}")
            } else {
                String::new()
            };
            return fail(
                CauseId::FileOwner,
                format!("{path} belongs to {shown}"),
                format!("{path} belongs to {shown}, not {owner}{unknown}"),
                build.chown_fix(path, owner),
            );
        }
    }
    let mut found = match f.kind.as_str() {
        "dir" => format!("folder {path}"),
        "symlink" => format!("{path} -> {}", f.link.as_deref().unwrap_or("?")),
        _ => format!("{path}, {} bytes", f.size),
    };
    if want.mode.is_some() {
        found.push_str(&format!(", mode {:04o}", f.mode));
    }
    pass(found)
}

/// A user's uid in /etc/passwd text.
fn uid_of(passwd: &str, name: &str) -> Option<u64> {
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next() == Some(name))
            .then(|| f.nth(1).and_then(|u| u.parse().ok()))
            .flatten()
    })
}

/// The user a uid belongs to in /etc/passwd text.
fn name_of(passwd: &str, uid: u64) -> Option<String> {
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 2 && f[2].parse() == Ok(uid)).then(|| f[0].to_string())
    })
}

/// One COPY or ADD of the final stage, with its destination made absolute.
pub(super) struct Copy {
    line: usize,
    text: String,
    sources: Vec<String>,
    dest: String,
    /// Flags written on it, such as --chown=app.
    flags: Vec<String>,
}

/// What the build did, as far as the Dockerfile and .dockerignore tell.
pub(super) struct Build {
    image: String,
    copies: Vec<Copy>,
    ignore: Option<DockerIgnore>,
    /// The .dockerignore's text, for naming the line that leaves a path out.
    ignore_text: Option<String>,
    has_dockerfile: bool,
    /// The final stage is FROM scratch (no shell for a RUN).
    scratch: bool,
    /// The final stage's FROM image, as written.
    pub(super) base: Option<String>,
}

impl Build {
    pub(super) fn read(facts: &Facts, image: &ImageRef) -> Build {
        let text = dockerfile_text(facts);
        let d = text.map(Dockerfile::parse).unwrap_or_default();
        let base = d.from_images().last().map(|(_, i)| i.to_ascii_lowercase());
        let scratch = base.as_deref() == Some("scratch");
        let mut copies = Vec::new();
        for (i, workdir) in d.last_stage_in_workdirs() {
            if !matches!(i.keyword.as_str(), "COPY" | "ADD") {
                continue;
            }
            let words = i
                .exec_form()
                .unwrap_or_else(|| crate::dockerfile::exec_words(&i.args));
            let (flags, rest): (Vec<String>, Vec<String>) =
                words.into_iter().partition(|w| w.starts_with("--"));
            if flags.iter().any(|f| f.starts_with("--from")) || rest.len() < 2 {
                continue;
            }
            let (dest, sources) = rest.split_last().expect("two words");
            let abs = join(&workdir, dest);
            let dest = if dest.ends_with('/') || dest == "." {
                format!("{}/", abs.trim_end_matches('/'))
            } else {
                abs
            };
            copies.push(Copy {
                line: i.line,
                text: format!("{} {}", i.keyword, i.args),
                sources: sources.to_vec(),
                dest,
                flags,
            });
        }
        let ignore_text = facts
            .files
            .get(".dockerignore")
            .and_then(Option::clone);
        let ignore = ignore_text.as_deref().map(DockerIgnore::parse);
        Build {
            image: image.to_string(),
            copies,
            ignore,
            ignore_text,
            has_dockerfile: text.is_some(),
            scratch,
            base,
        }
    }

    fn rebuild(&self) -> String {
        format!("docker build -t {} .", self.image)
    }

    pub(super) fn rebuild_after(&self, what: &str) -> String {
        format!("{what}, then rebuild: {}", self.rebuild())
    }

    /// The COPY that brought `path` into the image and the project path it came from.
    pub(super) fn source_of(&self, path: &str) -> Option<(&Copy, String)> {
        self.source_before(path, usize::MAX)
    }

    /// [`Build::source_of`] as the image was before Dockerfile line `line`: what a RUN on
    /// that line finds at `path`.
    pub(super) fn source_before(&self, path: &str, line: usize) -> Option<(&Copy, String)> {
        self.copies.iter().rev().filter(|c| c.line < line).find_map(|c| {
            c.sources.iter().find_map(|s| {
                let whole = s == "." || s == "./";
                let contents = whole || s.ends_with('/');
                let dir = c.dest.trim_end_matches('/');
                if contents {
                    let rel = path.strip_prefix(dir)?.strip_prefix('/')?;
                    let base = s.trim_end_matches('/').trim_start_matches("./");
                    let src = if whole || base.is_empty() {
                        rel.to_string()
                    } else {
                        format!("{base}/{rel}")
                    };
                    return Some((c, src));
                }
                let name = s.rsplit('/').next().unwrap_or(s);
                let into = if c.dest.ends_with('/') {
                    format!("{}/{name}", dir)
                } else {
                    c.dest.clone()
                };
                if into == path {
                    return Some((c, s.trim_start_matches("./").to_string()));
                }
                // A folder copied by name: `COPY static /app/static`.
                let rel = path.strip_prefix(&into)?.strip_prefix('/')?;
                Some((c, format!("{}/{rel}", s.trim_end_matches('/'))))
            })
        })
    }

    /// The last .dockerignore line that leaves `src` out, as written.
    fn ignore_line(&self, src: &str) -> Option<String> {
        self.ignore_text.as_deref()?.lines().rev().find_map(|l| {
            let t = l.trim();
            (!t.is_empty() && !l.starts_with('#') && !t.starts_with('!'))
                .then(|| DockerIgnore::parse(t).is_excluded(src, false))
                .filter(|hit| *hit)
                .map(|_| t.to_string())
        })
    }

    /// A path in the image that should not be there.
    pub(super) fn unwanted(&self, path: &str, f: &FileFacts) -> Judgement {
        let what = if f.kind == "dir" { "folder" } else { "file" };
        let found = format!("{path} is in the image ({what})");
        match self.source_of(path) {
            Some((c, src)) => {
                // The line to add: the project path, from the context's root.
                let line = &src;
                let ignored = self
                    .ignore
                    .as_ref()
                    .is_some_and(|i| i.is_excluded(&src, f.kind == "dir"));
                let cause = if ignored {
                    format!(
                        "`{}` (Dockerfile line {}) copied {src} from the project although .dockerignore leaves it out: the image was built before that line was added",
                        c.text, c.line
                    )
                } else if self.ignore.is_none() {
                    format!(
                        "`{}` (Dockerfile line {}) copied {src} from the project: there is no .dockerignore to leave it out",
                        c.text, c.line
                    )
                } else {
                    format!(
                        "`{}` (Dockerfile line {}) copied {src} from the project: .dockerignore does not leave it out",
                        c.text, c.line
                    )
                };
                let fix = if ignored {
                    format!("rebuild the image: {}", self.rebuild())
                } else {
                    format!(
                        "add the line `{line}` to .dockerignore (beside the Dockerfile; create it if there is none), then rebuild: {}",
                        self.rebuild()
                    )
                };
                fail(CauseId::FileNotIgnored, found, cause, fix)
            }
            None => fail(
                CauseId::FileNotIgnored,
                found,
                format!(
                    "the build put {path} into the image, and no COPY of the Dockerfile explains it: a RUN step or the base image made it"
                ),
                if self.scratch {
                    format!("find the step that creates {path} and remove it, then rebuild: {}", self.rebuild())
                } else {
                    format!(
                        "delete it in the RUN step that creates it (append `&& rm -rf {path}` to that RUN line), then rebuild: {}",
                        self.rebuild()
                    )
                },
            ),
        }
    }

    /// Whether the build could only have missed `path` because the project had no such
    /// file: a COPY of its folder would have brought it, and .dockerignore does not
    /// leave it out (or there is no Dockerfile to say otherwise).
    pub(super) fn project_lacked(&self, path: &str) -> bool {
        if !self.has_dockerfile {
            return true;
        }
        self.source_of(path).is_some_and(|(_, src)| {
            !self.ignore.as_ref().is_some_and(|i| i.is_excluded(&src, false))
        })
    }

    /// A path the lab wants that the image lacks.
    pub(super) fn missing(&self, path: &str) -> Judgement {
        let found = format!("no {path} in the image");
        if let Some((c, src)) = self.source_of(path) {
            let ignored = self.ignore.as_ref().is_some_and(|i| i.is_excluded(&src, false));
            let (cause, fix) = if ignored {
                (
                    format!(
                        "`{}` (Dockerfile line {}) should bring {src} from the project, but .dockerignore leaves it out of the build",
                        c.text, c.line
                    ),
                    match self.ignore_line(&src) {
                        Some(line) => format!(
                            "remove the line `{line}` from .dockerignore (or add the line `!{src}` below it), then rebuild: {}",
                            self.rebuild()
                        ),
                        None => format!(
                            "remove the line of .dockerignore that matches {src}, then rebuild: {}",
                            self.rebuild()
                        ),
                    },
                )
            } else {
                (
                    format!(
                        "`{}` (Dockerfile line {}) copies {src} from the project to {path}, and the image has none: the project folder had no {src} when the image was built",
                        c.text, c.line
                    ),
                    format!(
                        "put {src} in the project folder (beside the Dockerfile), then rebuild: {}",
                        self.rebuild()
                    ),
                )
            };
            return fail(CauseId::FileMissing, found, cause, fix);
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        let cause = if self.has_dockerfile {
            format!("no COPY of the Dockerfile brings {name} to {path}")
        } else {
            format!("the image has no {path}")
        };
        let fix = format!(
            "add `COPY {name} {path}` to the Dockerfile (after FROM, before CMD), then rebuild: {}",
            self.rebuild()
        );
        fail(CauseId::FileMissing, found, cause, fix)
    }

    /// A fix that edits the file in the project and rebuilds.
    fn edit_fix(&self, path: &str, what: &str) -> String {
        let src = self
            .source_of(path)
            .map_or(path.rsplit('/').next().unwrap_or(path).to_string(), |(_, s)| s);
        self.rebuild_after(&format!("edit {src} in the project: {what}"))
    }

    /// A fix that changes a file's mode.
    pub(super) fn chmod_fix(&self, path: &str, mode: &str) -> String {
        if self.scratch {
            let src = self
                .source_of(path)
                .map_or(path.rsplit('/').next().unwrap_or(path).to_string(), |(_, s)| s);
            return format!("chmod {mode} {src} && {}", self.rebuild());
        }
        let after = self
            .source_of(path)
            .map_or(String::from("after the COPY that brings it"), |(c, _)| {
                format!("after line {} (`{}`)", c.line, c.text)
            });
        self.rebuild_after(&format!(
            "add `RUN chmod {mode} {path}` to the Dockerfile {after}"
        ))
    }

    /// A fix that changes a file's owner.
    fn chown_fix(&self, path: &str, owner: &str) -> String {
        match self.source_of(path) {
            Some((c, _)) if !c.flags.iter().any(|f| f.starts_with("--chown")) => self
                .rebuild_after(&format!(
                    "write Dockerfile line {} as `{} --chown={owner} {}`",
                    c.line,
                    c.text.split_whitespace().next().unwrap_or("COPY"),
                    c.text.split_once(' ').map_or("", |(_, rest)| rest)
                )),
            _ => self.rebuild_after(&format!(
                "add `RUN chown {owner} {path}` to the Dockerfile after the COPY that brings it"
            )),
        }
    }
}

/// Paths whose presence tells what an image's system offers a fix (a shell for RUN, the
/// distribution's way to add a user, an interpreter for a HEALTHCHECK).
const SYSTEM_PATHS: [&str; 8] = [
    "/bin/sh",
    "/sbin/apk",
    "/usr/sbin/useradd",
    "/usr/local/bin/python3",
    "/usr/bin/python3",
    "/usr/local/bin/node",
    "/usr/bin/curl",
    "/usr/bin/wget",
];

/// What the grader must read to write a fix into an image's Dockerfile for what its
/// [`System`] offers: the image, the project's Dockerfile and the system paths.
pub(super) fn system_needs(image: &ImageRef) -> Vec<Need> {
    let system = SYSTEM_PATHS.iter().map(|p| Need::ImageFile {
        image: image.clone(),
        path: p.to_string(),
        read: false,
    });
    [
        Need::Image(image.clone()),
        Need::ProjectFile("Dockerfile".into()),
    ]
    .into_iter()
    .chain(system)
    .collect()
}

/// What an image's system offers the commands a fix names, read from its files.
pub(super) struct System {
    pub shell: bool,
    /// Alpine's package manager is there (busybox's adduser, not useradd).
    pub alpine: bool,
    pub useradd: bool,
    pub python: bool,
    pub node: bool,
    pub curl: bool,
    pub wget: bool,
}

impl System {
    pub(super) fn of(image: &ImageFacts) -> System {
        let has = |p: &str| matches!(image.files.get(p), Some(Some(_)));
        System {
            shell: has("/bin/sh"),
            alpine: has("/sbin/apk"),
            useradd: has("/usr/sbin/useradd"),
            python: has("/usr/local/bin/python3") || has("/usr/bin/python3"),
            node: has("/usr/local/bin/node"),
            curl: has("/usr/bin/curl"),
            // busybox's wget comes with Alpine.
            wget: has("/usr/bin/wget") || has("/sbin/apk"),
        }
    }
}

/// Where a spec's path is in the image: a relative one is under its WORKDIR (or `/`).
pub fn in_image(image: &ImageFacts, path: &str) -> String {
    join(image.workdir.as_deref().unwrap_or("/"), path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_like_workdir() {
        assert_eq!(join("/", "app"), "/app");
        assert_eq!(join("/app", "./src/"), "/app/src");
        assert_eq!(join("/app", "/srv"), "/srv");
        assert_eq!(join("/app/x", ".."), "/app");
    }

    #[test]
    fn passwd_lookups() {
        let p = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n";
        assert_eq!(uid_of(p, "app"), Some(1000));
        assert_eq!(uid_of(p, "nobody"), None);
        assert_eq!(name_of(p, 0).as_deref(), Some("root"));
    }
}
