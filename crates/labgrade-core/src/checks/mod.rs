//! One module per check kind: what each expects in words and how it is judged from the
//! facts, each failure with its cause and the fix to type. This file holds the draft
//! result they share and the one place that sends a check to its module.
//!
//! The newer kinds are each one module with a [`kinds::Kind`] type, registered by one
//! line of the list below; the older ones are [`CheckKind`] variants sent to their
//! modules by [`judge_one`].

mod container;
mod container_settings;
mod dockerfile;
mod fixes;
mod http;
mod image;
mod image_settings;
mod port;
mod program;
mod registry;
mod run;
mod transport;
mod words;
#[macro_use]
mod kinds;

// The registered kinds: `module: Variant(Type);` — a new kind is its module and a line here.
kinds! {
    files: File(FileCheck);
    user: UserNotRoot(UserNotRoot);
    secrets: NoSecrets(NoSecrets);
    health: Healthcheck(Healthcheck), Healthy(Healthy);
}

pub use files::in_image;
pub(crate) use fixes::*;
pub use transport::{Heard, log_addresses};
pub(crate) use words::*;

pub(crate) use crate::cause::CauseId;
pub(crate) use crate::dockerfile::exec_form;
pub(crate) use crate::facts::{
    BaseFacts, ContainerFacts, Facts, ImageFacts, ProbeFacts, ProbeOutcome, PublishedPort,
    RegistryFacts, RunFacts, TransportError,
};
pub(crate) use crate::plan::{Check, CheckKind, ContainerSetting, ImageSetting, Plan};
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
        "the container started only {age:.0} s ago, and the app may still be starting: give it time with labgrade check --wait 30s (or `wait: 30s` in the spec)"
    ))
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

pub(crate) fn container_facts<'a>(
    facts: &'a Facts,
    name: &ContainerName,
) -> Option<&'a ContainerFacts> {
    facts.containers.get(&name.0).and_then(Option::as_ref)
}

/// What the grader saw that explains a failed check about a container: its listening
/// sockets (for requests) and its last log lines.
pub(crate) fn evidence(check: &Check, facts: &Facts) -> Vec<String> {
    let (name, with_sockets) = match &check.kind {
        CheckKind::ContainerRunning { container } => (container, false),
        CheckKind::Http {
            container: Some(container),
            ..
        } => (container, true),
        _ => return Vec::new(),
    };
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

pub(crate) fn expected_text(check: &Check) -> String {
    match &check.kind {
        CheckKind::ImagePresent { image } => format!("image {}", image.full()),
        CheckKind::ImageSetting { setting, .. } => image_settings::expected(setting),
        CheckKind::ContainerSetting { setting, .. } => container_settings::expected(setting),
        CheckKind::Run { run } => run::expected(run),
        CheckKind::DockerfilePresent { dockerfile } => format!("a file {}", dockerfile.path),
        CheckKind::DockerfileRule { rule, .. } => format!("rule {rule} followed"),
        CheckKind::ContainerExists { container, .. } => format!("a container named {container}"),
        CheckKind::ContainerRunning { .. } => "status running".into(),
        CheckKind::ContainerImage { image, .. } => format!("created from {}", image.full()),
        CheckKind::PortPublished { mapping, .. } => format!("-p {}", mapping.flag()),
        CheckKind::Http { expect, .. } => http::expected(expect),
        CheckKind::Registered(k) => k.expected(),
    }
}

pub(crate) fn judge_one(plan: &Plan, check: &Check, facts: &Facts, done: &[Finding]) -> Judgement {
    match &check.kind {
        CheckKind::Registered(k) => k.judge(plan, facts),
        CheckKind::ImagePresent { image } => image::judge(image, facts),
        CheckKind::ImageSetting { image, setting } => {
            match facts.images.get(&image.full()).and_then(Option::as_ref) {
                Some(i) => image_settings::judge(image, setting, i, dockerfile_text(facts)),
                None => missing_fact(),
            }
        }
        CheckKind::Run { run } => match facts.runs.get(&check.id) {
            Some(f) => run::judge(
                run,
                f,
                facts.images.get(&run.image.full()).and_then(Option::as_ref),
                &facts.daemon,
            ),
            None => missing_fact(),
        },
        CheckKind::DockerfilePresent { dockerfile } => {
            dockerfile::dockerfile_present(dockerfile, facts)
        }
        CheckKind::DockerfileRule { dockerfile, rule } => {
            dockerfile::dockerfile_rule(dockerfile, rule, &facts.files)
        }
        CheckKind::ContainerSetting { container, setting } => {
            match container_facts(facts, container) {
                Some(c) => {
                    let recreate = recreate(plan, container);
                    container_settings::judge(setting, c, &recreate)
                }
                None => missing_fact(),
            }
        }
        CheckKind::ContainerExists {
            container,
            compose: Some((project, service)),
        } if matches!(facts.containers.get(&container.0), Some(None)) => {
            let within = project
                .as_ref()
                .map_or(String::new(), |p| format!(" in project {p}"));
            fail(
                CauseId::ServiceMissing,
                "no such service container",
                format!(
                    "no container belongs to compose service {service}{within} (docker compose ps lists none)"
                ),
                Some("docker compose up -d   # in the folder of docker-compose.yml".into()),
            )
        }
        CheckKind::ContainerExists { container, .. } => {
            container::container_exists(plan, container, facts)
        }
        CheckKind::ContainerRunning { container } => match container_facts(facts, container) {
            Some(c) => container::container_running(plan, c, image_of(facts, c), facts),
            None => missing_fact(),
        },
        CheckKind::ContainerImage { container, image } => match container_facts(facts, container) {
            Some(c) => container::container_image(
                plan,
                c,
                image,
                facts.images.get(&image.full()).and_then(Option::as_ref),
            ),
            None => missing_fact(),
        },
        CheckKind::PortPublished { container, mapping } => {
            match container_facts(facts, container) {
                Some(c) => port::judge(plan, c, mapping),
                None => missing_fact(),
            }
        }
        CheckKind::Http {
            container,
            expect,
            port,
            ..
        } => match facts.probes.get(&check.id) {
            Some(p) => {
                let c = container.as_ref().and_then(|n| container_facts(facts, n));
                let image = c.and_then(|c| image_of(facts, c));
                let mut j = http::judge(plan, expect, p, c, image, *port);
                if !j.pass {
                    // A request through a port that is not published fails because of that.
                    let port_check = plan.checks.iter().find(|k| {
                        matches!(&k.kind, CheckKind::PortPublished { container: n, mapping }
                            if Some(n) == container.as_ref() && Some(mapping.host_port) == *port)
                    });
                    j.because_of = port_check
                        .filter(|k| {
                            done.iter()
                                .any(|f| f.id == k.id && f.outcome == Outcome::Fail)
                        })
                        .filter(|_| matches!(p.outcome, ProbeOutcome::Failed { .. }))
                        .map(|k| k.id.clone());
                }
                j
            }
            None => missing_fact(),
        },
    }
}
