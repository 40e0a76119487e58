//! Judging image and container settings (EXPOSE, CMD, WORKDIR, ENV, USER, size, layer
//! order; environment, mounts, restart policy, labels, networks): pure functions of the
//! facts, each failure with the Dockerfile line or `docker` command that fixes it.

use crate::dockerfile::exec_form;
use crate::facts::{BaseFacts, ContainerFacts, ImageFacts, RegistryFacts, RunFacts};
use crate::plan::{ContainerSetting, ImageSetting};
use crate::spec::{DockerfileSpec, ImagePattern, ImageRef, MountKind, Pattern, RunSpec};

/// The outcome of one setting check: passed, what was found, cause and fix when not.
pub(crate) struct Judged {
    pub pass: bool,
    pub found: String,
    pub cause: Option<String>,
    pub fix: Option<String>,
}

fn pass(found: impl Into<String>) -> Judged {
    Judged {
        pass: true,
        found: found.into(),
        cause: None,
        fix: None,
    }
}

fn fail(found: impl Into<String>, cause: impl Into<String>, fix: impl Into<String>) -> Judged {
    Judged {
        pass: false,
        found: found.into(),
        cause: Some(cause.into()),
        fix: Some(fix.into()),
    }
}

/// What the check expects, in words.
pub(crate) fn expected_image(s: &ImageSetting) -> String {
    match s {
        ImageSetting::Expose(p) => format!("EXPOSE {p}"),
        ImageSetting::Cmd(c) => format!("CMD {}", exec_form(c)),
        ImageSetting::CmdContains(t) => format!("CMD running {t}"),
        ImageSetting::Entrypoint(e) => format!("ENTRYPOINT {}", exec_form(e)),
        ImageSetting::Workdir(w) => format!("WORKDIR {w}"),
        ImageSetting::Env(k, v) => format!("ENV {k}={v}"),
        ImageSetting::User(u) => format!("USER {u}"),
        ImageSetting::MaxSize(m) => format!("at most {m}"),
        ImageSetting::DepsBeforeCode(_) => "COPY manifest → RUN install → COPY code".into(),
        ImageSetting::ExecForm => "CMD and ENTRYPOINT in exec form".into(),
        ImageSetting::Base(p) => format!("FROM {p}"),
        ImageSetting::TaggedAs(p) => format!("a tag like {p}"),
        ImageSetting::PushedTo(r, _) => format!("in registry {r}"),
    }
}

/// What the check expects, in words.
pub(crate) fn expected_container(s: &ContainerSetting) -> String {
    match s {
        ContainerSetting::Env(k, v) => format!("-e {}", shell_word(&format!("{k}={v}"))),
        ContainerSetting::Mount(m) => format!(
            "-v {}{}",
            m.source
                .as_deref()
                .map_or(String::new(), |s| format!("{s}:")),
            m.destination
        ),
        ContainerSetting::Restart(r) => format!("--restart {}", r.as_str()),
        ContainerSetting::Label(k, v) => format!("--label {}", shell_word(&format!("{k}={v}"))),
        ContainerSetting::Network(n) => format!("--network {n}"),
    }
}

/// `["/bin/sh", "-c", "..."]`: how the image records a shell-form CMD or ENTRYPOINT.
fn shell_form(cmd: &[String]) -> bool {
    cmd.len() == 3 && cmd[0] == "/bin/sh" && cmd[1] == "-c"
}

/// A word as a shell reads it back unchanged: as is when plain, else in single quotes.
pub(crate) fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

/// Whether the registry holds this build under one of the image's tags that name it.
fn pushed(image: &ImageRef, i: &ImageFacts, r: &str, p: Option<&ImagePattern>) -> Judged {
    let login = if crate::spec::registry_host(r).is_none() {
        "docker login && "
    } else {
        ""
    };
    if i.registry.is_empty() {
        let name = image.repository.rsplit('/').next().unwrap_or_default();
        let example = p.map_or(format!("<your-user>/{name}"), |p| p.example("<your-user>"));
        let target = match crate::spec::registry_host(r) {
            Some(h) => format!("{h}/{example}"),
            None => example,
        };
        return fail(
            format!("no tag of the image names {r}"),
            format!(
                "docker push sends an image to the registry its tag names ({}), and no tag of this image does",
                if let Some(h) = crate::spec::registry_host(r) {
                    format!("{h}/user/name")
                } else {
                    "for Docker Hub: user/name".into()
                }
            ),
            format!("docker tag {image} {target} && {login}docker push {target}"),
        );
    }
    // This very build: pushed from here under that digest, or a manifest naming this
    // image id. Another build: a manifest naming another id, or a digest other than the
    // ones this image was pushed under.
    let build = |t: &String, digest: &Option<String>, config: &Option<String>| {
        let known = i.pushed_digests(t);
        if digest.as_ref().is_some_and(|d| known.contains(d)) || config.as_ref() == Some(&i.id) {
            Some(true)
        } else if config.is_some() || !known.is_empty() {
            Some(false)
        } else {
            None
        }
    };
    let present: Vec<(&String, Option<bool>, &Option<String>)> = i
        .registry
        .iter()
        .filter_map(|(t, f)| match f {
            RegistryFacts::Present { digest, config } => {
                Some((t, build(t, digest, config), config))
            }
            _ => None,
        })
        .collect();
    if let Some((t, _, _)) = present.iter().find(|(_, same, _)| *same == Some(true)) {
        return pass(format!("{t} is in {r}"));
    }
    if let Some((t, _, _)) = present.iter().find(|(_, same, _)| same.is_none()) {
        return pass(format!(
            "{t} is in {r} (which build, the registry does not say)"
        ));
    }
    if let Some((t, _, config)) = present.first() {
        let theirs = config
            .as_deref()
            .map_or(String::new(), |c| format!(" ({})", short_id(c)));
        return fail(
            format!("{t} in {r} is another build{theirs}"),
            format!(
                "the registry holds an older push; the image was rebuilt since ({} here)",
                short_id(&i.id)
            ),
            format!("{login}docker push {t}"),
        );
    }
    let (t, f) = i.registry.iter().next().expect("not empty");
    match f {
        RegistryFacts::Absent => fail(
            format!("{t} is not in {r}"),
            "the image is tagged for the registry but was never pushed there",
            format!("{login}docker push {t}"),
        ),
        RegistryFacts::Refused { status: 429 } => fail(
            format!("{r} would not answer now (status 429, too many requests)"),
            "the registry limits how often it may be asked without logging in",
            "check again in a few minutes",
        ),
        RegistryFacts::Refused { status } => fail(
            format!("{r} refused to show {t} (status {status})"),
            "the grader reads the registry without logging in, and the repository is private (or the push went elsewhere)",
            "make the repository public (on Docker Hub: the repository's Settings), then check again",
        ),
        RegistryFacts::Unreachable { error } => fail(
            format!("could not ask {r}: {error}"),
            format!("the registry {r} did not answer the grader"),
            format!(
                "check that {r} is the registry you pushed to and that it runs, then check again"
            ),
        ),
        RegistryFacts::Present { .. } => pass(format!("{t} is in {r}")),
    }
}

fn env_value<'a>(env: &'a [String], key: &str) -> Option<&'a str> {
    env.iter()
        .filter_map(|e| e.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Known dependency installers, for the layer-order check.
const INSTALLERS: &str = r"pip3? install|python3? -m pip install|npm (ci|install)|yarn(\s+install)?\s*($|&&|;|\|)|pnpm install|poetry install|pipenv install|bundle install|composer install|go mod download|cargo fetch|mvn .*dependency";

/// Judges one image setting.
pub(crate) fn image(image: &ImageRef, setting: &ImageSetting, i: &ImageFacts) -> Judged {
    let rebuild = "then rebuild the image (docker build) and run the container again";
    match setting {
        ImageSetting::Expose(p) => {
            let want = p.to_string();
            let found = if i.exposed_ports.is_empty() {
                "no EXPOSE".to_string()
            } else {
                format!("EXPOSE {}", i.exposed_ports.join(" "))
            };
            if i.exposed_ports.iter().any(|e| e == &want) {
                pass(found)
            } else {
                fail(
                    found,
                    format!("the image does not EXPOSE {}", p.port),
                    format!("add `EXPOSE {}` to the Dockerfile, {rebuild}", p.port),
                )
            }
        }
        ImageSetting::Cmd(want) => {
            let got = i.cmd.clone().unwrap_or_default();
            let found = if got.is_empty() {
                "no CMD".to_string()
            } else {
                format!("CMD {}", exec_form(&got))
            };
            if &got == want {
                return pass(found);
            }
            let cause = if shell_form(&got) {
                "CMD is written in shell form, so it runs under /bin/sh and signals do not reach the app".to_string()
            } else {
                "the image starts a different command".to_string()
            };
            fail(
                found,
                cause,
                format!(
                    "write `CMD {}` (exec form) in the Dockerfile, {rebuild}",
                    exec_form(want)
                ),
            )
        }
        ImageSetting::CmdContains(t) => {
            let all: Vec<String> = i
                .entrypoint
                .iter()
                .flatten()
                .chain(i.cmd.iter().flatten())
                .cloned()
                .collect();
            let found = if all.is_empty() {
                "no CMD".to_string()
            } else {
                all.join(" ")
            };
            if all.iter().any(|a| a.contains(t.as_str())) {
                pass(found)
            } else {
                fail(
                    found,
                    format!("the image's command does not run {t}"),
                    format!("make CMD run {t}, such as CMD [\"python\", \"{t}\"], {rebuild}"),
                )
            }
        }
        ImageSetting::Entrypoint(want) => {
            let got = i.entrypoint.clone().unwrap_or_default();
            let found = if got.is_empty() {
                "no ENTRYPOINT".to_string()
            } else {
                format!("ENTRYPOINT {}", exec_form(&got))
            };
            if &got == want {
                pass(found)
            } else {
                fail(
                    found,
                    "the image's ENTRYPOINT differs",
                    format!(
                        "write `ENTRYPOINT {}` in the Dockerfile, {rebuild}",
                        exec_form(want)
                    ),
                )
            }
        }
        ImageSetting::Workdir(w) => {
            let got = i.workdir.clone().unwrap_or_else(|| "/".into());
            if got.trim_end_matches('/') == w.trim_end_matches('/') {
                pass(format!("WORKDIR {got}"))
            } else {
                fail(
                    format!("WORKDIR {got}"),
                    format!("the image works in {got}, not {w}"),
                    format!("add `WORKDIR {w}` before the COPY lines, {rebuild}"),
                )
            }
        }
        ImageSetting::Env(k, v) => match env_value(&i.env, k) {
            Some(got) if got == v => pass(format!("{k}={got}")),
            Some(got) => fail(
                format!("{k}={got}"),
                format!("ENV {k} is {got}, not {v}"),
                format!("write `ENV {k}={v}` in the Dockerfile, {rebuild}"),
            ),
            None => fail(
                format!("no {k}"),
                format!("the image does not set {k}"),
                format!("add `ENV {k}={v}` to the Dockerfile, {rebuild}"),
            ),
        },
        ImageSetting::User(u) => {
            let got = i.user.clone().unwrap_or_else(|| "root (no USER)".into());
            if i.user.as_deref() == Some(u.as_str()) {
                pass(format!("USER {got}"))
            } else {
                fail(
                    format!("USER {got}"),
                    format!("the image runs as {got}, not {u}"),
                    format!(
                        "add `USER {u}` after installing (create it with RUN useradd {u}), {rebuild}"
                    ),
                )
            }
        }
        ImageSetting::MaxSize(m) => {
            let Some(size) = i.size.map(|s| s.max(0) as u64) else {
                return fail(
                    "size unknown",
                    "the daemon did not report the image's size",
                    "docker image ls shows it; check again",
                );
            };
            let found = crate::spec::Size(size).to_string();
            if size <= m.0 {
                pass(found)
            } else {
                fail(
                    found.clone(),
                    format!("the image is {found}, over the {m} budget"),
                    "start from a slim base image (python:3.11-slim), use pip install --no-cache-dir, and keep tests and .git out with a .dockerignore",
                )
            }
        }
        ImageSetting::DepsBeforeCode(pattern) => layer_order(image, &i.history, pattern.as_ref()),
        ImageSetting::ExecForm => {
            let shell: Vec<(&str, &Vec<String>)> = [("ENTRYPOINT", &i.entrypoint), ("CMD", &i.cmd)]
                .into_iter()
                .filter_map(|(k, v)| v.as_ref().filter(|v| shell_form(v)).map(|v| (k, v)))
                .collect();
            match shell.first() {
                None => pass(match (&i.entrypoint, &i.cmd) {
                    (Some(e), _) if !e.is_empty() => format!("ENTRYPOINT {}", exec_form(e)),
                    (_, Some(c)) if !c.is_empty() => format!("CMD {}", exec_form(c)),
                    _ => "no CMD".into(),
                }),
                Some((k, v)) => {
                    let line = v.get(2).cloned().unwrap_or_default();
                    let words = crate::dockerfile::exec_words(&line);
                    fail(
                        format!("{k} {line} (shell form)"),
                        format!(
                            "{k} is written in shell form, so /bin/sh runs it and the app gets no signals (docker stop waits 10 s, then kills it)"
                        ),
                        format!(
                            "write `{k} {}` in the Dockerfile, {rebuild}",
                            exec_form(&words)
                        ),
                    )
                }
            }
        }
        ImageSetting::Base(p) => match &i.base {
            Some(BaseFacts::Found { id, tags }) => {
                let found = match tags.first() {
                    Some(_) => format!("FROM {}", tags.join(", ")),
                    None => format!("FROM an untagged image ({})", short_id(id)),
                };
                if tags.iter().any(|t| p.matches(t)) {
                    pass(found)
                } else {
                    fail(
                        found.clone(),
                        format!("the image is built {found}, not FROM {p}"),
                        format!(
                            "make the last FROM line of the Dockerfile `FROM {}`, {rebuild}",
                            p.example("<version>")
                        ),
                    )
                }
            }
            _ => fail(
                "not known",
                "no image on this machine has the layers this one starts with, so what it was built FROM cannot be told (the base image was removed, or the image was pulled)",
                format!("keep the base image ({p}) on the machine, then check again"),
            ),
        },
        ImageSetting::TaggedAs(p) => {
            let found = format!("tags: {}", i.repo_tags.join(", "));
            match (
                i.repo_tags.iter().find(|t| p.matches(t)),
                i.lookalikes.first(),
            ) {
                (Some(t), _) => pass(format!("tagged {t}")),
                (None, Some(old)) => fail(
                    found,
                    format!(
                        "{old} is on another build, not on this image: a tag stays on the image it was given to, and the image was rebuilt since"
                    ),
                    format!("docker tag {image} {old}"),
                ),
                (None, None) => fail(
                    found,
                    format!("no tag of the image looks like {p}"),
                    format!("docker tag {image} {}", p.example("<your-user>")),
                ),
            }
        }
        ImageSetting::PushedTo(r, p) => pushed(image, i, r, p.as_ref()),
    }
}

/// The kind of a history step: a copy of files, a RUN, or metadata (ENV, CMD, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Copy,
    Run,
    Meta,
}

fn step(created_by: &str) -> Step {
    let c = created_by.trim();
    let body = c.strip_prefix("/bin/sh -c ").unwrap_or(c);
    let body = body
        .strip_prefix("#(nop) ")
        .map(str::trim_start)
        .unwrap_or(body);
    if body.starts_with("COPY ") || body.starts_with("ADD ") {
        Step::Copy
    } else if c.contains("#(nop)")
        || [
            "ENV ",
            "CMD ",
            "ENTRYPOINT ",
            "EXPOSE ",
            "WORKDIR ",
            "LABEL ",
            "USER ",
            "ARG ",
            "VOLUME ",
        ]
        .iter()
        .any(|p| body.starts_with(p))
    {
        Step::Meta
    } else {
        Step::Run
    }
}

/// Dependencies installed before the code is copied: a COPY, then an install RUN, then
/// the last COPY after it. Read from `docker history` (oldest first).
fn layer_order(image: &ImageRef, history: &[String], pattern: Option<&Pattern>) -> Judged {
    let default = regex::Regex::new(INSTALLERS).expect("installers pattern");
    let installs = |s: &str| pattern.map_or_else(|| default.is_match(s), |p| p.0.is_match(s));
    let steps: Vec<Step> = history.iter().map(|h| step(h)).collect();
    let install = history
        .iter()
        .enumerate()
        .rposition(|(i, h)| steps[i] == Step::Run && installs(h));
    let last_copy = steps.iter().rposition(|s| *s == Step::Copy);
    let order: Vec<&str> = steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match s {
            Step::Copy => Some("COPY"),
            Step::Run if Some(i) == install => Some("RUN install"),
            _ => None,
        })
        .collect();
    let found = if order.is_empty() {
        "no COPY or install step".to_string()
    } else {
        order.join(" → ")
    };
    let fix = "COPY requirements.txt . → RUN pip install --no-cache-dir -r requirements.txt → COPY . . (then rebuild)";
    match (install, last_copy) {
        (None, _) => fail(
            found,
            format!("no step of {image} installs dependencies (pip install, npm ci, ...)"),
            fix,
        ),
        (Some(i), Some(c)) if c > i => pass(found),
        _ => fail(
            found,
            "the code is copied before the dependencies are installed, so every code change reinstalls them all",
            fix,
        ),
    }
}

/// Judges one container setting.
pub(crate) fn container(setting: &ContainerSetting, c: &ContainerFacts, recreate: &str) -> Judged {
    // A live change (docker update, docker network connect) would not survive the next
    // `docker compose up`: a compose service is fixed in docker-compose.yml.
    let compose = c.labels.contains_key("com.docker.compose.service");
    let live = |cmd: String| if compose { recreate.to_string() } else { cmd };
    match setting {
        ContainerSetting::Env(k, v) => match env_value(&c.env, k) {
            Some(got) if got == v => pass(format!("{k}={got}")),
            Some(got) => fail(
                format!("{k}={got}"),
                format!("{k} is {got}, not {v}"),
                recreate.to_string(),
            ),
            None => fail(
                format!("no {k}"),
                format!("the container was started without {k}"),
                recreate.to_string(),
            ),
        },
        ContainerSetting::Mount(m) => {
            let shown: Vec<String> = c
                .mounts
                .iter()
                .map(|x| format!("{} {}:{}", x.kind, x.source, x.destination))
                .collect();
            let found = if shown.is_empty() {
                "no mounts".to_string()
            } else {
                shown.join(", ")
            };
            let at = c.mounts.iter().find(|x| {
                x.destination.trim_end_matches('/') == m.destination.trim_end_matches('/')
            });
            match at {
                None => fail(
                    found,
                    format!("nothing is mounted at {}", m.destination),
                    recreate.to_string(),
                ),
                Some(x) if m.kind.is_some_and(|k| k.to_string() != x.kind) => fail(
                    found,
                    format!(
                        "{} is a {} mount, not a {} (a path before the colon makes a bind mount, a name a volume)",
                        m.destination,
                        x.kind,
                        m.kind.unwrap_or(MountKind::Bind)
                    ),
                    recreate.to_string(),
                ),
                Some(x)
                    if m.source
                        .as_ref()
                        .is_some_and(|s| !source_matches(&x.source, s)) =>
                {
                    fail(
                        found,
                        format!(
                            "{} comes from {}, not {}",
                            m.destination,
                            x.source,
                            m.source.as_deref().unwrap_or("")
                        ),
                        recreate.to_string(),
                    )
                }
                Some(_) => pass(found),
            }
        }
        ContainerSetting::Restart(r) => {
            let got = c.restart_policy.clone().unwrap_or_else(|| "no".into());
            if got == r.as_str() {
                pass(format!("--restart {got}"))
            } else {
                fail(
                    format!("--restart {got}"),
                    format!("the restart policy is {got}"),
                    live(format!("docker update --restart {} {}", r.as_str(), c.name)),
                )
            }
        }
        ContainerSetting::Label(k, v) => match c.labels.get(k) {
            Some(got) if got == v => pass(format!("{k}={got}")),
            Some(got) => fail(
                format!("{k}={got}"),
                format!("label {k} is {got}, not {v}"),
                recreate.to_string(),
            ),
            None => fail(
                "no such label",
                format!("the container has no label {k}"),
                recreate.to_string(),
            ),
        },
        ContainerSetting::Network(n) => {
            let found = if c.networks.is_empty() {
                "no networks".to_string()
            } else {
                c.networks.join(", ")
            };
            if c.networks.iter().any(|x| x == n) {
                pass(found)
            } else {
                fail(
                    found,
                    format!("the container is not on network {n}"),
                    live(format!("docker network connect {n} {}", c.name)),
                )
            }
        }
    }
}

/// What a one-shot run must give, in words.
pub(crate) fn expected_run(r: &RunSpec) -> String {
    let mut parts = vec![format!("exit code {}", r.exit_code)];
    parts.extend(
        r.stdout_contains
            .iter()
            .map(|t| format!("output has {}", crate::verdict::quote(t, 40))),
    );
    if let Some(p) = &r.stdout_regex {
        parts.push(match &r.stdout_regex_means {
            Some(m) => format!("output shows {m}"),
            None => format!("output matches /{}/", p.0.as_str()),
        });
    }
    parts.extend(
        r.stderr_contains
            .iter()
            .map(|t| format!("errors have {}", crate::verdict::quote(t, 40))),
    );
    parts.join(", ")
}

/// Judges a one-shot run.
pub(crate) fn run(r: &RunSpec, f: &RunFacts) -> Judged {
    let command = std::iter::once(format!("docker run --rm {}", r.image))
        .chain(r.args.iter().map(|a| shell_word(a)))
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(e) = &f.error {
        return fail(
            "did not run",
            format!("the image could not run: {e}"),
            format!("{command}   # to see it yourself"),
        );
    }
    let out = crate::verdict::quote(f.stdout.trim(), 80);
    if f.timed_out {
        return fail(
            format!(
                "still running after {:.0}s; output so far {out}",
                f.elapsed_ms as f64 / 1000.0
            ),
            "the program did not finish: a one-shot program must print and exit (not start a server or wait for input)",
            format!("{command}   # should return by itself"),
        );
    }
    let mut problems = Vec::new();
    if f.exit_code != Some(r.exit_code) {
        problems.push(format!(
            "exit code {}",
            f.exit_code.map_or("?".into(), |c| c.to_string())
        ));
    }
    for t in &r.stdout_contains {
        if !f.stdout.contains(t.as_str()) {
            problems.push(format!("output lacks {}", crate::verdict::quote(t, 40)));
        }
    }
    if let Some(p) = &r.stdout_regex
        && !p.0.is_match(&f.stdout)
    {
        problems.push(match &r.stdout_regex_means {
            Some(m) => format!("output does not show {m}"),
            None => format!("output does not match /{}/", p.0.as_str()),
        });
    }
    for t in &r.stderr_contains {
        if !f.stderr.contains(t.as_str()) {
            problems.push(format!("errors lack {}", crate::verdict::quote(t, 40)));
        }
    }
    if problems.is_empty() {
        return pass(format!("exit code {}, output {out}", r.exit_code));
    }
    let err = f.stderr.lines().rev().find(|l| !l.trim().is_empty());
    let cause = match (f.exit_code, err) {
        (Some(c), Some(e)) if c != r.exit_code => format!(
            "the program failed with exit code {c}: {}",
            crate::verdict::quote(e, 120)
        ),
        _ => format!("the program printed {out}, not what the lab asks for"),
    };
    fail(
        problems.join("; "),
        cause,
        format!("{command}   # compare its output with the lab's"),
    )
}

/// The file a Dockerfile check reads, as observed.
fn file<'a>(
    files: &'a std::collections::BTreeMap<String, Option<String>>,
    path: &str,
) -> Option<&'a str> {
    files.get(path).and_then(|t| t.as_deref())
}

/// The Dockerfile exists.
pub(crate) fn dockerfile_present(
    d: &DockerfileSpec,
    files: &std::collections::BTreeMap<String, Option<String>>,
) -> Judged {
    match file(files, &d.path) {
        Some(text) if text.starts_with("# labgrade: ") => fail(
            "too large",
            format!("{} is larger than 1 MiB, which no Dockerfile needs", d.path),
            "keep the Dockerfile to its instructions",
        ),
        Some(text) => {
            let parsed = crate::dockerfile::Dockerfile::parse(text);
            if parsed.instructions.iter().any(|i| i.keyword == "FROM") {
                pass(format!("{} instructions", parsed.instructions.len()))
            } else {
                fail(
                    "no FROM line",
                    format!("{} has no FROM line, so Docker cannot build it", d.path),
                    "start it with the base image, such as FROM python:3.11-slim",
                )
            }
        }
        None => fail(
            format!("no {}", d.path),
            format!("there is no {} in the project folder", d.path),
            format!(
                "create {}, or run labgrade in the project folder (or give --dir)",
                d.path
            ),
        ),
    }
}

/// The Dockerfile follows one rule.
pub(crate) fn dockerfile_rule(
    d: &DockerfileSpec,
    rule: &str,
    files: &std::collections::BTreeMap<String, Option<String>>,
) -> Judged {
    let Some(text) = file(files, &d.path) else {
        return fail(
            "no Dockerfile",
            "there is no Dockerfile to read",
            format!("create {}", d.path),
        );
    };
    let ignore_path = d.dockerignore_path();
    let wanted = d.dockerignore.clone().unwrap_or_default();
    let opts = crate::dockerfile::LintOptions {
        expose: d.expose,
        dockerignore: d
            .dockerignore
            .as_ref()
            .map(|_| (file(files, &ignore_path), wanted.as_slice())),
    };
    let parsed = crate::dockerfile::Dockerfile::parse(text);
    let found: Vec<crate::dockerfile::Violation> = crate::dockerfile::lint(&parsed, &opts)
        .into_iter()
        .filter(|v| v.rule == rule)
        .collect();
    match found.first() {
        None => pass("ok"),
        Some(first) => {
            // Where it is and the line as written; what is wrong with it is the cause.
            let shown: Vec<String> = found
                .iter()
                .map(|v| {
                    match parsed
                        .instructions
                        .iter()
                        .find(|i| i.line == v.line && v.line > 0)
                    {
                        Some(i) => {
                            let line = format!("{} {}", i.keyword, i.args);
                            format!(
                                "{}:{}: {}",
                                d.path,
                                v.line,
                                crate::verdict::quote(&line, 80)
                            )
                        }
                        None => v.found.clone().unwrap_or_else(|| v.message.clone()),
                    }
                })
                .collect();
            fail(shown.join("; "), first.message.clone(), first.fix.clone())
        }
    }
}

/// A bind source matches by its end (`/project/src` matches `src`); `.` matches any path.
fn source_matches(got: &str, want: &str) -> bool {
    let want = want.trim_end_matches('/');
    want == "."
        || want.is_empty()
        || got == want
        || got
            .trim_end_matches('/')
            .ends_with(&format!("/{}", want.trim_start_matches("./")))
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
    }

    fn hist(steps: &[&str]) -> Vec<String> {
        steps.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn layer_order_from_history() {
        let img: ImageRef = "hello:v2".parse().unwrap();
        // Legacy builder history, as `docker history --no-trunc` shows it.
        let good = hist(&[
            "/bin/sh -c #(nop) ADD file:abc in / ",
            "/bin/sh -c #(nop) WORKDIR /app",
            "/bin/sh -c #(nop) COPY file:123 in . ",
            "/bin/sh -c pip install --no-cache-dir -r requirements.txt",
            "/bin/sh -c #(nop) COPY dir:456 in . ",
            "/bin/sh -c #(nop)  CMD [\"python\" \"app.py\"]",
        ]);
        let j = layer_order(&img, &good, None);
        assert!(j.pass, "{}", j.found);
        assert_eq!(j.found, "COPY → COPY → RUN install → COPY");
        let bad = hist(&[
            "/bin/sh -c #(nop) WORKDIR /app",
            "/bin/sh -c #(nop) COPY dir:456 in . ",
            "/bin/sh -c pip install -r requirements.txt",
            "/bin/sh -c #(nop)  CMD [\"python\" \"app.py\"]",
        ]);
        let j = layer_order(&img, &bad, None);
        assert!(!j.pass);
        assert!(j.cause.unwrap().starts_with("the code is copied before"));
        // BuildKit writes the instruction itself.
        let buildkit = hist(&[
            "COPY requirements.txt . # buildkit",
            "RUN /bin/sh -c npm ci # buildkit",
            "COPY . . # buildkit",
        ]);
        assert!(layer_order(&img, &buildkit, None).pass);
        let none = hist(&["COPY . . # buildkit"]);
        assert!(
            layer_order(&img, &none, None)
                .cause
                .unwrap()
                .contains("installs dependencies")
        );
    }

    #[test]
    fn sources() {
        assert!(source_matches("/home/s/project", "project"));
        assert!(source_matches("/home/s/project", "."));
        assert!(source_matches("db-data", "db-data"));
        assert!(!source_matches("/home/s/other", "project"));
    }
}
