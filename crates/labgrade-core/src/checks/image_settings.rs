//! Image settings (EXPOSE, CMD, ENTRYPOINT, WORKDIR, ENV, USER, size, base image, layer order): what each expects in words and how it is judged from the image's config and history.

use serde::Serialize;

use super::kinds::{Ctx, Kind};
use super::*;
use crate::plan::Need;
use crate::spec::{ExposedPort, ImageSpec, Points, Size};

/// Something an image must hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageSetting {
    Expose(ExposedPort),
    Cmd(Vec<String>),
    CmdContains(String),
    Entrypoint(Vec<String>),
    Workdir(String),
    Env(String, String),
    User(String),
    MaxSize(Size),
    /// Dependencies installed (by a step matching the pattern, or a known installer)
    /// before the rest of the code is copied.
    DepsBeforeCode(Option<Pattern>),
    /// CMD and ENTRYPOINT written in exec (JSON) form.
    ExecForm,
    /// Built FROM an image that matches.
    Base(ImagePattern),
    /// Also carries a tag that matches.
    TaggedAs(ImagePattern),
    /// The registry holds this build under a tag of the image that names the registry
    /// (and matches the pattern, when `tagged_as` gives one).
    PushedTo(String, Option<ImagePattern>),
}

/// One setting of one `images:` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageSettingCheck {
    pub image: ImageRef,
    pub setting: ImageSetting,
}

impl Kind for ImageSettingCheck {
    fn for_image(i: &ImageSpec, points: &Points) -> Vec<Check> {
        let image = &i.name;
        let mut settings: Vec<(String, String, ImageSetting)> = Vec::new();
        for p in &i.expose {
            settings.push((
                format!("expose:{image}:{p}"),
                format!("Image {image} EXPOSEs {p}"),
                ImageSetting::Expose(*p),
            ));
        }
        if let Some(c) = &i.cmd {
            settings.push((
                format!("cmd:{image}"),
                format!("Image {image} has CMD {}", exec_form(c)),
                ImageSetting::Cmd(c.clone()),
            ));
        }
        if let Some(c) = &i.cmd_contains {
            settings.push((
                format!("cmd-contains:{image}"),
                format!("Image {image} runs {c}"),
                ImageSetting::CmdContains(c.clone()),
            ));
        }
        if i.exec_form {
            settings.push((
                format!("exec-form:{image}"),
                format!("Image {image} has CMD and ENTRYPOINT in exec form"),
                ImageSetting::ExecForm,
            ));
        }
        if let Some(e) = &i.entrypoint {
            settings.push((
                format!("entrypoint:{image}"),
                format!("Image {image} has ENTRYPOINT {}", exec_form(e)),
                ImageSetting::Entrypoint(e.clone()),
            ));
        }
        if let Some(w) = &i.workdir {
            settings.push((
                format!("workdir:{image}"),
                format!("Image {image} has WORKDIR {w}"),
                ImageSetting::Workdir(w.clone()),
            ));
        }
        for (k, v) in &i.env {
            settings.push((
                format!("image-env:{image}:{k}"),
                format!("Image {image} sets ENV {k}={v}"),
                ImageSetting::Env(k.clone(), v.clone()),
            ));
        }
        if let Some(u) = &i.user {
            settings.push((
                format!("user:{image}"),
                format!("Image {image} runs as USER {u}"),
                ImageSetting::User(u.clone()),
            ));
        }
        if let Some(m) = i.max_size {
            settings.push((
                format!("size:{image}"),
                format!("Image {image} is at most {m}"),
                ImageSetting::MaxSize(m),
            ));
        }
        if i.deps_before_code {
            settings.push((
                format!("layer-order:{image}"),
                format!("Image {image} installs dependencies before copying the code"),
                ImageSetting::DepsBeforeCode(i.install_command.clone()),
            ));
        }
        if let Some(b) = &i.base {
            settings.push((
                format!("base:{image}"),
                format!("Image {image} is built FROM {b}"),
                ImageSetting::Base(b.clone()),
            ));
        }
        if let Some(t) = &i.tagged_as {
            settings.push((
                format!("tagged:{image}"),
                format!("Image {image} is also tagged {t}"),
                ImageSetting::TaggedAs(t.clone()),
            ));
        }
        if let Some(r) = &i.pushed_to {
            settings.push((
                format!("pushed:{image}"),
                format!("Image {image} is pushed to {r}"),
                ImageSetting::PushedTo(r.to_string(), i.tagged_as.clone()),
            ));
        }
        settings
            .into_iter()
            .map(|(id, title, setting)| {
                let mut requires = vec![format!("image:{image}")];
                if matches!(setting, ImageSetting::PushedTo(_, Some(_))) {
                    requires.push(format!("tagged:{image}"));
                }
                Check {
                    id,
                    title,
                    points: points.setting,
                    requires,
                    hidden: false,
                    kind: CheckKind::ImageSetting(ImageSettingCheck {
                        image: image.clone(),
                        setting,
                    }),
                }
            })
            .collect()
    }

    fn expected(&self) -> String {
        expected(&self.setting)
    }

    fn needs(&self) -> Vec<Need> {
        vec![Need::Image(self.image.clone())]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        match image_facts(cx.facts, &self.image) {
            Some(i) => judge(
                &self.image,
                &self.setting,
                i,
                dockerfile_text(cx.facts),
                &rebuild_image(cx.plan, &self.image),
            ),
            None => missing_fact(),
        }
    }
}

/// What the check expects, in words.
fn expected(s: &ImageSetting) -> String {
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

/// Known dependency installers, for the layer-order check.
pub(crate) const INSTALLERS: &str = r"pip3? install|python3? -m pip install|npm (ci|install)|yarn(\s+install)?\s*($|&&|;|\|)|pnpm install|poetry install|pipenv install|bundle install|composer install|go mod download|cargo fetch|mvn .*dependency";

/// Judges one image setting.
/// `rebuilt`: what rebuilds the image and runs its container again, typed.
fn judge(
    image: &ImageRef,
    setting: &ImageSetting,
    i: &ImageFacts,
    dockerfile: Option<&str>,
    rebuilt: &str,
) -> Judgement {
    let rebuild = format!("then: {rebuilt}");
    match setting {
        ImageSetting::Expose(p) => {
            let want = p.to_string();
            let found = if i.exposed_ports.is_empty() {
                "no EXPOSE".to_string()
            } else {
                format!("EXPOSE {}", i.exposed_ports.join(" "))
            };
            // The Dockerfile may say it already: then the image is older than the line.
            let in_dockerfile = dockerfile.and_then(|t| {
                crate::dockerfile::Dockerfile::parse(t)
                    .instructions
                    .into_iter()
                    .find(|ins| {
                        ins.keyword == "EXPOSE"
                            && ins
                                .args
                                .split_whitespace()
                                .any(|a| a == p.port.to_string() || a == want)
                    })
            });
            if i.exposed_ports.iter().any(|e| e == &want) {
                pass(found)
            } else if let Some(ins) = in_dockerfile {
                fail(
                    CauseId::NotRebuilt,
                    found,
                    format!(
                        "the Dockerfile says EXPOSE {} (line {}), but the image was built before that line was there",
                        p.port, ins.line
                    ),
                    format!(
                        "docker build -t {image} .   # then run the container again from the new image"
                    ),
                )
            } else {
                fail(
                    CauseId::WrongExpose,
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
                CauseId::WrongCmd,
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
                    CauseId::WrongCmd,
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
                    CauseId::WrongEntrypoint,
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
                    CauseId::WrongWorkdir,
                    format!("WORKDIR {got}"),
                    format!("the image works in {got}, not {w}"),
                    format!("add `WORKDIR {w}` before the COPY lines, {rebuild}"),
                )
            }
        }
        ImageSetting::Env(k, v) => match env_value(&i.env, k) {
            Some(got) if got == v => pass(format!("{k}={got}")),
            Some(got) => fail(
                CauseId::WrongEnv,
                format!("{k}={got}"),
                format!("ENV {k} is {got}, not {v}"),
                format!("write `ENV {k}={v}` in the Dockerfile, {rebuild}"),
            ),
            None => fail(
                CauseId::MissingEnv,
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
                    CauseId::WrongUser,
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
                    CauseId::SizeUnknown,
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
                    CauseId::ImageTooLarge,
                    found.clone(),
                    format!("the image is {found}, over the {m} budget"),
                    "start from a slim base image (python:3.11-slim), use pip install --no-cache-dir, and keep tests and .git out with a .dockerignore",
                )
            }
        }
        ImageSetting::DepsBeforeCode(pattern) => {
            layer_order(image, &i.history, pattern.as_ref(), dockerfile, rebuilt)
        }
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
                        CauseId::ShellForm,
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
        ImageSetting::Base(p) => match &crate::base::conclude(i) {
            Some(BaseFacts::Found { id, tags }) => {
                let found = match tags.first() {
                    Some(_) => format!("FROM {}", tags.join(", ")),
                    None => format!("FROM an untagged image ({})", short_id(id)),
                };
                if tags.iter().any(|t| p.matches(t)) {
                    pass(found)
                } else {
                    fail(
                        CauseId::WrongBase,
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
                CauseId::BaseUnknown,
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
                    CauseId::TagOutdated,
                    found,
                    format!(
                        "{old} is on another build, not on this image: a tag stays on the image it was given to, and the image was rebuilt since"
                    ),
                    format!("docker tag {image} {old}"),
                ),
                (None, None) => fail(
                    CauseId::TagMissing,
                    found,
                    format!("no tag of the image looks like {p}"),
                    format!(
                        "docker tag {image} {}{}",
                        p.example(super::registry::USER),
                        super::registry::USER_NOTE
                    ),
                ),
            }
        }
        ImageSetting::PushedTo(r, p) => super::registry::judge(image, i, r, p.as_ref()),
    }
}

/// The kind of a history step: a copy of files, a RUN, or metadata (ENV, CMD, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Copy,
    Run,
    Meta,
}

pub(crate) fn step(created_by: &str) -> Step {
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
pub(crate) fn layer_order(
    image: &ImageRef,
    history: &[String],
    pattern: Option<&Pattern>,
    dockerfile: Option<&str>,
    rebuilt: &str,
) -> Judgement {
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
    // In the Dockerfile's own paths when it was read (the same fix as rule LG002).
    let fix = dockerfile
        .and_then(|t| crate::dockerfile::deps_first_fix(&crate::dockerfile::Dockerfile::parse(t)))
        .unwrap_or_else(|| format!("{} (then rebuild)", crate::dockerfile::GENERIC_DEPS_FIRST));
    // The history only changes with a new build: the commands that make it.
    let fix = match ["; then rebuild", " (then rebuild)"]
        .iter()
        .find_map(|end| fix.strip_suffix(end))
    {
        Some(edit) => format!("{edit}; then: {rebuilt}"),
        None => fix,
    };
    match (install, last_copy) {
        (None, _) => fail(
            CauseId::NoInstallStep,
            found,
            format!("no step of {image} installs dependencies (pip install, npm ci, ...)"),
            fix,
        ),
        (Some(i), Some(c)) if c > i => pass(found),
        _ => fail(
            CauseId::CodeBeforeDeps,
            found,
            "the code is copied before the dependencies are installed, so every code change reinstalls them all",
            fix,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let j = layer_order(&img, &good, None, None, "docker build -t x .");
        assert!(j.pass, "{}", j.found);
        assert_eq!(j.found, "COPY → COPY → RUN install → COPY");
        let bad = hist(&[
            "/bin/sh -c #(nop) WORKDIR /app",
            "/bin/sh -c #(nop) COPY dir:456 in . ",
            "/bin/sh -c pip install -r requirements.txt",
            "/bin/sh -c #(nop)  CMD [\"python\" \"app.py\"]",
        ]);
        let j = layer_order(&img, &bad, None, None, "docker build -t x .");
        assert!(!j.pass);
        assert!(j.cause.unwrap().starts_with("the code is copied before"));
        // BuildKit writes the instruction itself.
        let buildkit = hist(&[
            "COPY requirements.txt . # buildkit",
            "RUN /bin/sh -c npm ci # buildkit",
            "COPY . . # buildkit",
        ]);
        assert!(layer_order(&img, &buildkit, None, None, "docker build -t x .").pass);
        let none = hist(&["COPY . . # buildkit"]);
        assert!(
            layer_order(&img, &none, None, None, "docker build -t x .")
                .cause
                .unwrap()
                .contains("installs dependencies")
        );
    }
}
