//! One module per check kind, each holding what the spec expands into, what the check
//! expects in words and how it is judged from the facts, each failure with its cause
//! and the fix to type. This file holds the one list that registers the kinds, the
//! draft result they share and the helpers several kinds use.
//!
//! Every kind is a type implementing [`kinds::Kind`] in its own module, registered by
//! one line of the list below; the list generates [`CheckKind`] (one variant per kind)
//! and [`expand`], which `Plan::new` calls. A new kind is one new file plus one line.

mod code;
mod deps;
mod fixes;
mod program;
mod registry;
mod transport;
mod words;
#[macro_use]
mod kinds;

// The registered kinds: `module: Variant(Type), ...;` — a new kind is its module and a line
// here. The order is the plan's within each part (see `kinds::Place`): per image, its
// settings, files, user, secrets, healthcheck; per container, exists, running, image,
// ports, settings, health, requests.
kinds! {
    image: ImagePresent(ImagePresent);
    image_settings: ImageSetting(ImageSettingCheck);
    files: File(FileCheck);
    user: UserNotRoot(UserNotRoot);
    secrets: NoSecrets(NoSecrets);
    dockerfile: DockerfilePresent(DockerfilePresent), DockerfileRule(DockerfileRule);
    run: Run(RunCheck);
    container: ContainerExists(ContainerExists), ContainerRunning(ContainerRunning),
        ContainerImage(ContainerImage);
    port: PortPublished(PortPublished);
    container_settings: ContainerSetting(ContainerSettingCheck);
    health: Healthcheck(Healthcheck), Healthy(Healthy);
    http: Http(HttpCheck);
}

pub use container_settings::ContainerSetting;
pub use files::in_image;
pub(crate) use fixes::*;
pub use image_settings::ImageSetting;
pub use transport::{Heard, log_addresses};
pub(crate) use types::*;
pub(crate) use words::*;

pub(crate) use crate::cause::CauseId;
pub(crate) use crate::dockerfile::exec_form;
pub(crate) use crate::facts::{
    BaseFacts, ContainerFacts, Facts, ImageFacts, ProbeFacts, ProbeOutcome, PublishedPort,
    RegistryFacts, RunFacts, TransportError,
};
pub(crate) use crate::plan::{Check, Plan};
pub(crate) use crate::spec::{
    ContainerName, DockerfileSpec, HttpExpect, ImagePattern, ImageRef, MountKind, Pattern,
    PortMapping, Proto, RunSpec,
};
pub(crate) use crate::verdict::{Finding, Outcome};

/// Draft result of one check before points and prerequisites are applied.
pub(crate) struct Judgement {
    pub pass: bool,
    pub found: String,
    pub cause: Option<String>,
    /// The cause's stable id, with every failure.
    pub cause_id: Option<CauseId>,
    pub fix: Option<String>,
    pub because_of: Option<String>,
    pub error: bool,
}

/// A fix as a check writes it: a text, or none where there is nothing to type.
pub(crate) trait IntoFix {
    fn into_fix(self) -> Option<String>;
}

impl IntoFix for Option<String> {
    fn into_fix(self) -> Option<String> {
        self
    }
}

impl IntoFix for String {
    fn into_fix(self) -> Option<String> {
        Some(self)
    }
}

impl IntoFix for &String {
    fn into_fix(self) -> Option<String> {
        Some(self.clone())
    }
}

impl IntoFix for &str {
    fn into_fix(self) -> Option<String> {
        Some(self.to_string())
    }
}

/// The image a container was created from, when the grader observed it.
pub(crate) fn image_of<'a>(facts: &'a Facts, c: &ContainerFacts) -> Option<&'a ImageFacts> {
    facts.images.values().flatten().find(|i| i.id == c.image_id)
}

/// The project's Dockerfile, when the grader read one.
pub(crate) fn dockerfile_text(facts: &Facts) -> Option<&str> {
    facts
        .files
        .iter()
        .find(|(path, _)| path.rsplit('/').next() == Some("Dockerfile"))
        .and_then(|(_, text)| text.as_deref())
}

/// When the container runs another command than its image's CMD (words typed after the
/// image name on `docker run`, which replace the CMD): the cause, in words.
pub(crate) fn overridden_command(c: &ContainerFacts, image: Option<&ImageFacts>) -> Option<String> {
    let (got, want) = (c.cmd.as_ref()?, image?.cmd.as_ref()?);
    (got != want && !got.is_empty()).then(|| {
        format!(
            "the container runs `{}` instead of the image's CMD {}: words after the image name on `docker run` replace the CMD",
            quote(&got.join(" "), 80).trim_matches('"'),
            exec_form(want)
        )
    })
}

/// `docker run IMAGE -p 8097:8088 --name web`: docker run options written after the image
/// name, which Docker hands to the container as its command (or as its ENTRYPOINT's
/// arguments). The words that are such options, when there is a `-p` with a port mapping
/// or a `--name` among them (a lone `-d` may well be the app's own flag).
pub(crate) fn options_after_image(c: &ContainerFacts) -> Option<String> {
    let words = c.cmd.as_ref()?;
    let mapping = |v: &str| {
        let v = v.split('/').next().unwrap_or(v);
        let parts: Vec<&str> = v.rsplitn(3, ':').collect();
        parts.len() >= 2
            && parts[..2]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let (mut found, mut telling) = (Vec::new(), false);
    let mut i = 0;
    while i < words.len() {
        let (w, next) = (words[i].as_str(), words.get(i + 1).map(String::as_str));
        match (w, next) {
            ("-p" | "--publish", Some(v)) if mapping(v) => {
                found.push(format!("{w} {v}"));
                telling = true;
                i += 1;
            }
            ("--name", Some(v)) => {
                found.push(format!("{w} {v}"));
                telling = true;
                i += 1;
            }
            ("-e" | "--env", Some(v)) if v.contains('=') => {
                found.push(format!("{w} {v}"));
                i += 1;
            }
            ("-d" | "--detach" | "--rm" | "-it" | "-ti", _) => found.push(w.to_string()),
            _ if w.strip_prefix("-p").is_some_and(mapping)
                || w.strip_prefix("--publish=").is_some_and(mapping)
                || w.starts_with("--name=") =>
            {
                found.push(w.to_string());
                telling = true;
            }
            _ => {}
        }
        i += 1;
    }
    telling.then(|| found.join(" "))
}

/// The cause of [`options_after_image`]'s finding, in words.
pub(crate) fn options_after_image_cause(options: &str) -> String {
    format!(
        "`{options}` came after the image name on docker run, so Docker gave it to the container as its command instead of reading it as options: options go before the image name"
    )
}

/// When a program failed with `exec format error` because its image was built for
/// another CPU than the engine runs: the cause in words and the platform to build for.
pub(crate) fn wrong_platform(
    image: Option<&ImageFacts>,
    daemon: &crate::facts::DaemonFacts,
) -> Option<(String, String)> {
    let image = image?;
    let (built, engine) = (image.architecture.as_deref()?, daemon.arch.as_deref()?);
    let os = image.os.as_deref().unwrap_or("linux");
    (built != engine).then(|| {
        let mac = if built == "arm64" {
            " (an image built on an Apple Silicon Mac is arm64)"
        } else {
            ""
        };
        (
            format!(
                "the image was built for {os}/{built}, and this Docker engine runs {os}/{engine} programs{mac}"
            ),
            format!("{os}/{engine}"),
        )
    })
}

/// "the container started 3 s ago", for a container young enough to be still starting.
pub(crate) fn still_starting(c: &ContainerFacts) -> Option<String> {
    let age = c.running_for_secs.filter(|s| *s < 20.0)?;
    Some(format!(
        "the container started only {age:.0} s ago, and the app may still be starting: give it more time (`wait: 30s` in the spec, or --wait 30s on labgrade check, or on labgrade grade for a class)"
    ))
}

/// A check worth the spec's `setting` points that needs `requires` first: what most
/// keys of an image or container entry expand into.
pub(crate) fn setting_check(
    id: String,
    title: String,
    points: &crate::spec::Points,
    requires: String,
    kind: CheckKind,
) -> Check {
    Check {
        id,
        title,
        points: points.setting,
        requires: vec![requires],
        hidden: false,
        kind,
    }
}

/// The engine would not give the image's files: an error of the grader's, not a fail.
pub(crate) fn files_unreadable(e: &str) -> Judgement {
    let mut j = fail(CauseId::FilesUnreadable, "not read", e, None);
    j.error = true;
    j
}

/// A passed check and what was found.
pub(crate) fn pass(found: impl Into<String>) -> Judgement {
    Judgement {
        pass: true,
        found: found.into(),
        cause: None,
        cause_id: None,
        fix: None,
        because_of: None,
        error: false,
    }
}

/// A failed check: the cause's id, what was found, the cause in one sentence and the fix.
pub(crate) fn fail(
    id: CauseId,
    found: impl Into<String>,
    cause: impl Into<String>,
    fix: impl IntoFix,
) -> Judgement {
    Judgement {
        pass: false,
        found: found.into(),
        cause: Some(cause.into()),
        cause_id: Some(id),
        fix: fix.into_fix(),
        because_of: None,
        error: false,
    }
}

pub(crate) fn missing_fact() -> Judgement {
    Judgement {
        pass: false,
        found: "not observed".into(),
        cause: Some("the grader has no observation for this check".into()),
        cause_id: Some(CauseId::NotObserved),
        fix: None,
        because_of: None,
        error: true,
    }
}

/// The image the spec names, when the grader found it.
pub(crate) fn image_facts<'a>(facts: &'a Facts, image: &ImageRef) -> Option<&'a ImageFacts> {
    facts.images.get(&image.full()).and_then(Option::as_ref)
}

pub(crate) fn container_facts<'a>(
    facts: &'a Facts,
    name: &ContainerName,
) -> Option<&'a ContainerFacts> {
    facts.containers.get(&name.0).and_then(Option::as_ref)
}

/// What explains a failed check about a container: its listening sockets (for requests,
/// `with_sockets`) and its last log lines.
pub(crate) fn container_evidence(
    facts: &Facts,
    name: &ContainerName,
    with_sockets: bool,
) -> Vec<String> {
    let Some(c) = container_facts(facts, name) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let (true, Some(l)) = (with_sockets, &c.listening) {
        let shown: Vec<String> = l.iter().map(|l| format!("{}:{}", l.ip, l.port)).collect();
        // Which evidence it is: this machine's /proc, or the tables read inside the
        // container through the engine (Docker Desktop, a remote engine, Podman).
        let via = c
            .listening_via
            .as_ref()
            .map_or(String::new(), |v| format!(" (read with {v} /proc/net/tcp)"));
        out.push(if shown.is_empty() {
            format!("listening inside the container: nothing{via}")
        } else {
            format!("listening inside the container: {}{via}", shown.join(", "))
        });
    }
    if let Some(r) = c.ready.as_ref().filter(|r| !r.seen) {
        out.push(format!(
            "waited {:.1} s for the log to show {}: it never did",
            r.waited_ms as f64 / 1000.0,
            quote(&r.text, 60)
        ));
    }
    out.extend(c.log_tail.iter().map(|l| format!("log: {l}")));
    out
}

/// What the check expects, in words.
pub(crate) fn expected_text(check: &Check) -> String {
    check.kind.expected()
}

/// Sends a check to its kind's module: the draft verdict on the facts, given the
/// findings of the checks before it.
pub(crate) fn judge_one(plan: &Plan, check: &Check, facts: &Facts, done: &[Finding]) -> Judgement {
    check.kind.judge(&kinds::Ctx {
        plan,
        facts,
        id: &check.id,
        done,
    })
}

/// What the grader saw that explains a failed check.
pub(crate) fn evidence(check: &Check, facts: &Facts) -> Vec<String> {
    check.kind.evidence(facts)
}
