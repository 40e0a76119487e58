//! The verdict: a pure function of the plan and the facts. No IO happens here, so every
//! diagnosis can be tested on recorded facts.

use serde::{Deserialize, Serialize};

use crate::facts::{
    ContainerFacts, Facts, ImageFacts, ProbeFacts, ProbeOutcome, PublishedPort, TransportError,
};
use crate::plan::{Check, CheckKind, Plan};
use crate::spec::{ContainerName, HttpExpect, ImageRef, PortMapping, Proto};

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not checked because a check it depends on failed.
    Skipped,
    /// Could not be checked (the grader lacked a fact it needed).
    Error,
}

/// The result of one check, with what was expected, what was found, why and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub id: String,
    pub title: String,
    pub outcome: Outcome,
    pub points: u32,
    pub max_points: u32,
    pub expected: String,
    pub found: String,
    /// The cause in one sentence.
    pub cause: Option<String>,
    /// What to type or change.
    pub fix: Option<String>,
    /// The failed check this one skipped for, or is a consequence of.
    pub because_of: Option<String>,
    /// Evidence behind a failure: what listens inside the container, its last log lines.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Instructor-only check (see `Report::for_students`).
    #[serde(default)]
    pub hidden: bool,
}

/// All findings of a lab with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    pub score: u32,
    pub max_score: u32,
    /// Points needed to pass.
    pub pass_points: u32,
    pub passed: bool,
    /// The first failure that is not a consequence of another: fix this first.
    pub root_cause: Option<String>,
}

/// Draft result of one check before points and prerequisites are applied.
struct Judgement {
    pass: bool,
    found: String,
    cause: Option<String>,
    fix: Option<String>,
    because_of: Option<String>,
    error: bool,
}

impl Judgement {
    fn pass(found: impl Into<String>) -> Self {
        Judgement {
            pass: true,
            found: found.into(),
            cause: None,
            fix: None,
            because_of: None,
            error: false,
        }
    }
    fn fail(found: impl Into<String>, cause: impl Into<String>, fix: Option<String>) -> Self {
        Judgement {
            pass: false,
            found: found.into(),
            cause: Some(cause.into()),
            fix,
            because_of: None,
            error: false,
        }
    }
}

impl From<crate::settings_verdict::Judged> for Judgement {
    fn from(j: crate::settings_verdict::Judged) -> Judgement {
        Judgement {
            pass: j.pass,
            found: j.found,
            cause: j.cause,
            fix: j.fix,
            because_of: None,
            error: false,
        }
    }
}

/// Judges every check of the plan against the facts.
pub fn judge(plan: &Plan, facts: &Facts) -> Verdict {
    let mut findings: Vec<Finding> = Vec::new();
    for check in &plan.checks {
        let failed_prereq = check
            .requires
            .iter()
            .find(|r| {
                findings
                    .iter()
                    .any(|f| &f.id == *r && f.outcome != Outcome::Pass)
            })
            .cloned();
        let expected = expected_text(check);
        let finding = if let Some(pre) = failed_prereq {
            Finding {
                id: check.id.clone(),
                title: check.title.clone(),
                outcome: Outcome::Skipped,
                points: 0,
                max_points: check.points,
                expected,
                found: "not checked".into(),
                cause: Some(format!("skipped because `{pre}` did not pass")),
                fix: None,
                because_of: Some(pre),
                evidence: Vec::new(),
                hidden: check.hidden,
            }
        } else {
            let j = judge_one(plan, check, facts, &findings);
            let evidence = if j.pass {
                Vec::new()
            } else {
                evidence(check, facts)
            };
            Finding {
                id: check.id.clone(),
                title: check.title.clone(),
                outcome: if j.error {
                    Outcome::Error
                } else if j.pass {
                    Outcome::Pass
                } else {
                    Outcome::Fail
                },
                points: if j.pass { check.points } else { 0 },
                max_points: check.points,
                expected,
                found: j.found,
                cause: j.cause,
                fix: j.fix,
                because_of: j.because_of,
                evidence,
                hidden: check.hidden,
            }
        };
        findings.push(finding);
    }
    let score = findings.iter().map(|f| f.points).sum();
    let max_score = plan.max_points();
    let pass_points = plan.pass_mark.threshold(max_score);
    let root_cause = findings
        .iter()
        .find(|f| f.outcome == Outcome::Fail && f.because_of.is_none())
        .map(|f| f.id.clone());
    Verdict {
        findings,
        score,
        max_score,
        pass_points,
        passed: score >= pass_points,
        root_cause,
    }
}

/// What the grader saw that explains a failed check about a container: its listening
/// sockets (for requests) and its last log lines.
fn evidence(check: &Check, facts: &Facts) -> Vec<String> {
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
        out.push(if shown.is_empty() {
            "listening inside the container: nothing".to_string()
        } else {
            format!("listening inside the container: {}", shown.join(", "))
        });
    }
    out.extend(c.log_tail.iter().map(|l| format!("log: {l}")));
    out
}

fn expected_text(check: &Check) -> String {
    match &check.kind {
        CheckKind::ImagePresent { image } => format!("image {}", image.full()),
        CheckKind::ImageSetting { setting, .. } => crate::settings_verdict::expected_image(setting),
        CheckKind::ContainerSetting { setting, .. } => {
            crate::settings_verdict::expected_container(setting)
        }
        CheckKind::Run { run } => crate::settings_verdict::expected_run(run),
        CheckKind::DockerfilePresent { dockerfile } => format!("a file {}", dockerfile.path),
        CheckKind::DockerfileRule { rule, .. } => format!("rule {rule} followed"),
        CheckKind::ContainerExists { container, .. } => format!("a container named {container}"),
        CheckKind::ContainerRunning { .. } => "status running".into(),
        CheckKind::ContainerImage { image, .. } => format!("created from {}", image.full()),
        CheckKind::PortPublished { mapping, .. } => format!("-p {}", mapping.flag()),
        CheckKind::Http { expect, .. } => expect_summary(expect),
    }
}

fn expect_summary(h: &HttpExpect) -> String {
    let mut parts = vec![format!("status {}", h.status)];
    if let Some(b) = &h.body_equals {
        parts.push(format!("body = {}", quote(b, 40)));
    }
    for c in &h.body_contains {
        parts.push(format!("body has {}", quote(c, 40)));
    }
    if let Some(r) = &h.body_regex {
        parts.push(format!("body matches /{}/", r.0.as_str()));
    }
    for (p, v) in &h.json {
        parts.push(format!("{} = {}", p.text, v));
    }
    for (k, v) in &h.response_headers {
        parts.push(format!("header {k}: {v}"));
    }
    parts.join(", ")
}

fn judge_one(plan: &Plan, check: &Check, facts: &Facts, done: &[Finding]) -> Judgement {
    match &check.kind {
        CheckKind::ImagePresent { image } => image_present(image, facts),
        CheckKind::ImageSetting { image, setting } => {
            match facts.images.get(&image.full()).and_then(Option::as_ref) {
                Some(i) => crate::settings_verdict::image(image, setting, i).into(),
                None => missing_fact(),
            }
        }
        CheckKind::Run { run } => match facts.runs.get(&check.id) {
            Some(f) => crate::settings_verdict::run(run, f).into(),
            None => missing_fact(),
        },
        CheckKind::DockerfilePresent { dockerfile } => {
            crate::settings_verdict::dockerfile_present(dockerfile, &facts.files).into()
        }
        CheckKind::DockerfileRule { dockerfile, rule } => {
            crate::settings_verdict::dockerfile_rule(dockerfile, rule, &facts.files).into()
        }
        CheckKind::ContainerSetting { container, setting } => {
            match container_facts(facts, container) {
                Some(c) => {
                    let recreate = recreate(plan, container);
                    crate::settings_verdict::container(setting, c, &recreate).into()
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
            Judgement::fail(
                "no such service container",
                format!(
                    "no container belongs to compose service {service}{within} (docker compose ps lists none)"
                ),
                Some("docker compose up -d   # in the folder of docker-compose.yml".into()),
            )
        }
        CheckKind::ContainerExists { container, .. } => container_exists(plan, container, facts),
        CheckKind::ContainerRunning { container } => match container_facts(facts, container) {
            Some(c) => container_running(c),
            None => missing_fact(),
        },
        CheckKind::ContainerImage { container, image } => match container_facts(facts, container) {
            Some(c) => container_image(
                plan,
                c,
                image,
                facts.images.get(&image.full()).and_then(Option::as_ref),
            ),
            None => missing_fact(),
        },
        CheckKind::PortPublished { container, mapping } => {
            match container_facts(facts, container) {
                Some(c) => port_published(plan, c, mapping),
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
                let mut j = http(plan, expect, p, c, *port);
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

/// The log line that explains a failure: the last one naming an error (frameworks log
/// the request line, and a restarted app its start banner, after it), else the last one.
fn telling_line(log: &[String]) -> Option<&String> {
    const ERRORS: [&str; 5] = ["Error", "Exception", "error:", "Fatal", "panicked"];
    log.iter()
        .rev()
        .find(|l| {
            let t = l.trim_start();
            !t.starts_with("File ") && ERRORS.iter().any(|e| t.contains(e))
        })
        .or_else(|| log.iter().rev().find(|l| !l.trim().is_empty()))
}

/// "1 time", "3 times".
fn times(n: i64) -> String {
    if n == 1 {
        "1 time".into()
    } else {
        format!("{n} times")
    }
}

fn missing_fact() -> Judgement {
    Judgement {
        pass: false,
        found: "not observed".into(),
        cause: Some("the grader has no observation for this check".into()),
        fix: None,
        because_of: None,
        error: true,
    }
}

fn container_facts<'a>(facts: &'a Facts, name: &ContainerName) -> Option<&'a ContainerFacts> {
    facts.containers.get(&name.0).and_then(Option::as_ref)
}

fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    id.get(..12).unwrap_or(id)
}

fn image_present(image: &ImageRef, facts: &Facts) -> Judgement {
    match facts.images.get(&image.full()) {
        Some(Some(i)) => Judgement::pass(format!("{} ({})", image.full(), short_id(&i.id))),
        Some(None) => {
            let wanted = normalise(&image.repository);
            let near = facts.other_images.iter().find_map(|t| {
                let r = t.parse::<ImageRef>().ok()?;
                (normalise(&r.repository) == wanted).then_some(r)
            });
            match near {
                Some(r) => Judgement::fail(
                    format!("no {}; found {r}", image.full()),
                    if r.repository == image.repository {
                        format!("the image is tagged {} instead of {}", r.tag, image.tag)
                    } else {
                        format!(
                            "the image is named {} instead of {}",
                            r.repository, image.repository
                        )
                    },
                    Some(format!("docker tag {r} {image}")),
                ),
                None => Judgement::fail(
                    "no such image",
                    format!("no image is tagged {}", image.full()),
                    Some(format!("docker build -t {image} .")),
                ),
            }
        }
        None => missing_fact(),
    }
}

/// What recreates the container as the spec describes: for a compose service, editing
/// docker-compose.yml and `docker compose up`; otherwise `docker rm -f` and `docker run`.
fn recreate(plan: &Plan, name: &ContainerName) -> String {
    let service = plan.checks.iter().find_map(|c| match &c.kind {
        CheckKind::ContainerExists {
            container,
            compose: Some((_, service)),
        } if container == name => Some(service),
        _ => None,
    });
    match service {
        Some(s) => format!(
            "in docker-compose.yml, give services.{s} {}; then: docker compose up -d {s} (docker-compose up -d {s} with Compose v1)",
            compose_service(plan, name)
        ),
        None => format!("docker rm -f {name} && {}", run_command(plan, name)),
    }
}

/// What the spec asks of a compose service, in docker-compose.yml's own keys:
/// `ports: ["5000:5000"], environment: {FLASK_ENV: development}, volumes: [".:/app"]`.
fn compose_service(plan: &Plan, name: &ContainerName) -> String {
    use crate::plan::ContainerSetting as S;
    let (mut ports, mut env, mut volumes, mut labels, mut networks) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut restart = None;
    for c in &plan.checks {
        match &c.kind {
            CheckKind::PortPublished { container, mapping } if container == name => {
                ports.push(format!("\"{}\"", mapping.flag()));
            }
            CheckKind::ContainerSetting { container, setting } if container == name => {
                match setting {
                    S::Env(k, v) => env.push(format!("{k}: {v}")),
                    S::Mount(m) => volumes.push(match &m.source {
                        Some(s) => format!("\"{s}:{}\"", m.destination),
                        None => format!("\"{}\"", m.destination),
                    }),
                    S::Restart(r) => restart = Some(r.as_str()),
                    S::Label(k, v) => labels.push(format!("{k}: {v}")),
                    S::Network(n) => networks.push(n.clone()),
                }
            }
            _ => {}
        }
    }
    let mut keys = Vec::new();
    let list = |xs: &[String]| format!("[{}]", xs.join(", "));
    let map = |xs: &[String]| format!("{{{}}}", xs.join(", "));
    if !ports.is_empty() {
        keys.push(format!("ports: {}", list(&ports)));
    }
    if !env.is_empty() {
        keys.push(format!("environment: {}", map(&env)));
    }
    if !volumes.is_empty() {
        keys.push(format!("volumes: {}", list(&volumes)));
    }
    if let Some(r) = restart {
        keys.push(format!("restart: {r}"));
    }
    if !labels.is_empty() {
        keys.push(format!("labels: {}", map(&labels)));
    }
    if !networks.is_empty() {
        keys.push(format!("networks: {}", list(&networks)));
    }
    if keys.is_empty() {
        "what the lab asks".into()
    } else {
        keys.join(", ")
    }
}

/// The `docker run` line that creates the container the spec describes: its name, ports,
/// environment, mounts, restart policy, labels, networks and image.
fn run_command(plan: &Plan, name: &ContainerName) -> String {
    let mut cmd = format!("docker run -d --name {name}");
    let mut image = None;
    for c in &plan.checks {
        match &c.kind {
            CheckKind::PortPublished { container, mapping } if container == name => {
                cmd.push_str(&format!(" -p {}", mapping.flag()));
            }
            CheckKind::ContainerSetting { container, setting } if container == name => {
                cmd.push(' ');
                cmd.push_str(&crate::settings_verdict::expected_container(setting));
            }
            CheckKind::ContainerImage {
                container,
                image: i,
            } if container == name => image = Some(i.to_string()),
            _ => {}
        }
    }
    cmd.push(' ');
    cmd.push_str(image.as_deref().unwrap_or("IMAGE"));
    cmd
}

fn container_exists(plan: &Plan, name: &ContainerName, facts: &Facts) -> Judgement {
    match facts.containers.get(&name.0) {
        Some(Some(c)) => Judgement::pass(format!("{} ({})", c.name, short_id(&c.id))),
        Some(None) => {
            let wanted = normalise(&name.0);
            if let Some(other) = facts.others.iter().find(|o| normalise(&o.name) == wanted) {
                return Judgement::fail(
                    format!("no container {name}; found {}", other.name),
                    format!("the container is named {} instead of {name}", other.name),
                    Some(format!("docker rename {} {name}", other.name)),
                );
            }
            let image = plan.checks.iter().find_map(|k| match &k.kind {
                CheckKind::ContainerImage { container, image } if container == name => Some(image),
                _ => None,
            });
            let same_image = facts.others.iter().find(|o| {
                image.is_some_and(|i| o.image.parse::<ImageRef>().ok().as_ref() == Some(i))
            });
            if let Some(other) = same_image {
                return Judgement::fail(
                    format!("no container {name}; {} runs {}", other.name, other.image),
                    format!(
                        "a container of the right image exists, but it is named {} instead of {name}",
                        other.name
                    ),
                    Some(format!("docker rename {} {name}", other.name)),
                );
            }
            Judgement::fail(
                "no such container",
                format!("no container is named {name} (docker ps -a lists none)"),
                Some(run_command(plan, name)),
            )
        }
        None => missing_fact(),
    }
}

/// Names compared loosely: case, `-`, `_` and `.` do not count.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !"-_.".contains(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn container_running(c: &ContainerFacts) -> Judgement {
    let name = &c.name;
    let last_log = telling_line(&c.log_tail);
    let with_log = |s: String| match last_log {
        Some(l) => format!("{s}; its log says {}", quote(l, 160)),
        None => s,
    };
    if c.running && !c.paused && !c.restarting {
        if c.restarts_during_check > 0 {
            return Judgement::fail(
                format!(
                    "running, but restarted {} during the check",
                    times(c.restarts_during_check)
                ),
                with_log(
                    "the app crashed while it was being checked and Docker restarted it".into(),
                ),
                Some(format!(
                    "docker logs {name}   # the error before each restart"
                )),
            );
        }
        return Judgement::pass("running");
    }
    if c.paused {
        return Judgement::fail(
            "paused",
            "the container is paused",
            Some(format!("docker unpause {name}")),
        );
    }
    let hint = crate::hints::recognise(&c.log_tail, c.error.as_deref());
    if c.restarting {
        let (cause, fix) = match &hint {
            Some(h) => (
                format!(
                    "{}; the app keeps crashing and Docker keeps restarting it",
                    h.cause
                ),
                format!("{}   (docker logs {name} shows the whole error)", h.fix),
            ),
            None => (
                with_log("the app keeps crashing and Docker keeps restarting it".into()),
                format!("docker logs {name}"),
            ),
        };
        return Judgement::fail(
            format!("restarting (restarted {})", times(c.restart_count)),
            cause,
            Some(fix),
        );
    }
    let logs = format!("docker logs {name}");
    match c.status.as_str() {
        "created" => {
            let cause = match (&hint, &c.error) {
                (Some(h), _) => h.cause.clone(),
                (None, Some(e)) => format!("the container could not start: {e}"),
                (None, None) => "the container was created but never started".into(),
            };
            let fix = hint.map_or(format!("docker start {name}"), |h| {
                format!("{}; then docker start {name}", h.fix)
            });
            Judgement::fail("created, never started", cause, Some(fix))
        }
        _ => {
            let code = c.exit_code.unwrap_or(-1);
            let found = if c.oom_killed {
                format!("{} (killed: out of memory)", c.status)
            } else if c.exit_code.is_none() {
                c.status.clone()
            } else {
                format!("{} with code {code}", c.status)
            };
            let (cause, fix) = if c.oom_killed {
                (
                    "the container ran out of memory and was killed".to_string(),
                    format!(
                        "{logs}; make the app use less memory, or run it with a higher --memory limit"
                    ),
                )
            } else if let Some(h) = hint {
                (
                    with_log(h.cause),
                    format!("{}   ({logs} shows the whole error)", h.fix),
                )
            } else if code == 0 {
                (
                    with_log("the main process finished, so the container stopped (or someone ran docker stop): the CMD must keep running a server in the foreground".into()),
                    format!("{logs}; make CMD start the server in the foreground, rebuild, run again"),
                )
            } else {
                (
                    with_log(format!("the app stopped with exit code {code}")),
                    format!("{logs}   # then fix it and: docker start {name}"),
                )
            };
            Judgement::fail(found, cause, Some(fix))
        }
    }
}

fn container_image(
    plan: &Plan,
    c: &ContainerFacts,
    image: &ImageRef,
    current: Option<&ImageFacts>,
) -> Judgement {
    let named = c.image_name.parse::<ImageRef>().ok();
    let fix = Some(recreate(plan, &ContainerName(c.name.clone())));
    match current {
        Some(i) if i.id == c.image_id => {
            Judgement::pass(format!("{} ({})", c.image_name, short_id(&c.image_id)))
        }
        Some(_) if named.as_ref() == Some(image) => Judgement::fail(
            format!("an older build of {image} ({})", short_id(&c.image_id)),
            format!(
                "{image} was rebuilt after the container was created, so it still runs the old build"
            ),
            fix,
        ),
        None if named.as_ref() == Some(image) => Judgement::fail(
            format!(
                "{} ({}), which no longer has that tag",
                c.image_name,
                short_id(&c.image_id)
            ),
            format!("the container was created from {image}, but that image is gone or retagged"),
            Some(format!(
                "docker build -t {image} . && {}",
                recreate(plan, &ContainerName(c.name.clone()))
            )),
        ),
        _ => Judgement::fail(
            c.image_name.clone(),
            format!("the container runs {} instead of {image}", c.image_name),
            fix,
        ),
    }
}

fn any_ip(ip: &str) -> bool {
    ip.is_empty() || ip == "0.0.0.0" || ip == "::"
}

fn port_published(plan: &Plan, c: &ContainerFacts, m: &PortMapping) -> Judgement {
    let proto = m.proto.to_string();
    // A stopped container publishes nothing; what was asked at `docker run` still counts.
    let ports: &[PublishedPort] = if c.running {
        &c.published
    } else {
        &c.requested
    };
    let ip_ok = |p: &PublishedPort| match m.host_ip {
        Some(ip) => p.host_ip.parse::<std::net::IpAddr>().is_ok_and(|a| a == ip),
        None => {
            any_ip(&p.host_ip)
                || p.host_ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|a| a.is_loopback())
        }
    };
    let shown = |p: &PublishedPort| {
        let ip = if any_ip(&p.host_ip) {
            String::new()
        } else {
            format!("{}:", p.host_ip)
        };
        format!("{ip}{}->{}/{}", p.host_port, p.container_port, p.proto)
    };
    let all: Vec<String> = ports.iter().map(shown).collect();
    let found = if all.is_empty() {
        "no ports published".to_string()
    } else {
        all.join(", ")
    };
    if ports.iter().any(|p| {
        p.proto == proto
            && p.container_port == m.container_port
            && p.host_port == m.host_port
            && ip_ok(p)
    }) {
        return Judgement::pass(found);
    }
    let fix = Some(recreate(plan, &ContainerName(c.name.clone())));
    let same_inside = ports
        .iter()
        .find(|p| p.proto == proto && p.container_port == m.container_port);
    let same_host = ports
        .iter()
        .find(|p| p.proto == proto && p.host_port == m.host_port);
    let cause = if let Some(p) = same_inside.filter(|p| p.host_port == m.host_port) {
        let bound = if any_ip(&p.host_ip) {
            "all addresses (0.0.0.0)".to_string()
        } else {
            format!("address {}", p.host_ip)
        };
        let wanted = m
            .host_ip
            .map_or("all addresses".to_string(), |ip| format!("address {ip}"));
        format!(
            "port {} is published on host {bound}, but the lab asks for {wanted}",
            m.host_port
        )
    } else if let Some(p) = same_host {
        format!(
            "host port {} goes to port {} inside the container, not {}: the number on the right of -p must be the port the app listens on",
            m.host_port, p.container_port, m.container_port
        )
    } else if let Some(p) = same_inside {
        format!(
            "port {} is published on host port {}, not {}",
            m.container_port, p.host_port, m.host_port
        )
    } else if c
        .exposed_ports
        .iter()
        .any(|e| e == &format!("{}/{}", m.container_port, proto))
        && ports.is_empty()
    {
        format!(
            "the image EXPOSEs {}, but EXPOSE only documents a port: nothing is published until you run with -p {}",
            m.container_port,
            m.flag()
        )
    } else if ports.is_empty() {
        "the container was started without -p, so no port is published".to_string()
    } else {
        format!("nothing is published on host port {}", m.host_port)
    };
    Judgement::fail(found, cause, fix)
}

/// Up to `max` characters of `s` in quotes, with an ellipsis when cut.
pub fn quote(s: &str, max: usize) -> String {
    let one_line: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    if one_line.chars().count() > max {
        format!("\"{}…\"", one_line.chars().take(max).collect::<String>())
    } else {
        format!("\"{one_line}\"")
    }
}

fn http(
    plan: &Plan,
    h: &HttpExpect,
    p: &ProbeFacts,
    c: Option<&ContainerFacts>,
    host_port: Option<u16>,
) -> Judgement {
    match &p.outcome {
        ProbeOutcome::NotSent { reason } => Judgement {
            pass: false,
            found: "not sent".into(),
            cause: Some(reason.clone()),
            fix: None,
            because_of: None,
            error: true,
        },
        ProbeOutcome::Failed { error, message } => {
            transport_failure(plan, *error, message, p, c, host_port)
        }
        ProbeOutcome::Response {
            status,
            headers,
            body,
            truncated,
        } => {
            let mut problems: Vec<String> = Vec::new();
            let mut cause = None;
            let mut fix = None;
            if !h.status.matches(*status) {
                problems.push(format!("status {status}"));
                let path = url::Url::parse(&p.url)
                    .map(|u| u.path().to_string())
                    .unwrap_or_default();
                match status {
                    404 => {
                        let answering: Vec<String> = p
                            .alternatives
                            .iter()
                            .filter(|(_, st)| (200..400).contains(st))
                            .map(|(alt, st)| format!("{alt} answers {st}"))
                            .collect();
                        cause = Some(if answering.is_empty() {
                            format!("the app has no route for {} {path}", h.method)
                        } else {
                            format!(
                                "{path} is 404 but {}: the app has no route {path}",
                                answering.join(", ")
                            )
                        });
                        fix = Some(format!(
                            "add the route {path} to the app (for Flask: @app.route(\"{path}\"))"
                        ));
                    }
                    405 => {
                        cause = Some(format!(
                            "the route {path} exists but does not accept {}",
                            h.method
                        ));
                        fix = Some(format!(
                            "allow it: @app.route(\"{path}\", methods=[\"{}\"])",
                            h.method
                        ));
                    }
                    500..=599 => {
                        // Frameworks log the request line after the traceback: the error
                        // line is the one that explains, not the last one.
                        let tail = c.map_or(&[][..], |c| c.log_tail.as_slice());
                        cause = Some(match telling_line(tail) {
                            Some(l) => format!(
                                "the app failed while answering; its log says {}",
                                quote(l, 160)
                            ),
                            None => "the app failed while answering".into(),
                        });
                        fix = c.map(|c| format!("docker logs {}", c.name));
                    }
                    300..=399 => {
                        let loc = header(headers, "location").unwrap_or("?");
                        cause = Some(format!(
                            "the app redirects to {}, which the grader does not follow",
                            quote(loc, 80)
                        ));
                    }
                    _ => {}
                }
            }
            if let Some(want) = &h.body_equals
                && body.trim_end() != want.trim_end()
            {
                problems.push(format!("body {}", quote(body, 60)));
            }
            for want in &h.body_contains {
                if !body.contains(want.as_str()) {
                    problems.push(format!("body lacks {}", quote(want, 40)));
                }
            }
            if let Some(re) = &h.body_regex
                && !re.0.is_match(body)
            {
                problems.push(format!("body does not match /{}/", re.0.as_str()));
            }
            if !h.json.is_empty() {
                match serde_json::from_str::<serde_json::Value>(body) {
                    Err(_) => problems.push(format!("body is not JSON: {}", quote(body, 60))),
                    Ok(doc) => {
                        for (path, want) in &h.json {
                            match path.lookup(&doc) {
                                None => problems.push(format!("JSON has no {}", path.text)),
                                Some(got) if !json_equal(got, want) => {
                                    problems.push(format!("{} = {got}", path.text))
                                }
                                Some(_) => {}
                            }
                        }
                    }
                }
            }
            for (name, want) in &h.response_headers {
                match header(headers, name) {
                    None => problems.push(format!("no {name} header")),
                    Some(v) if !v.to_lowercase().contains(&want.to_lowercase()) => {
                        problems.push(format!("{name}: {}", quote(v, 60)))
                    }
                    Some(_) => {}
                }
            }
            if problems.is_empty() {
                return Judgement::pass(format!("{status}, {}", quote(body, 60)));
            }
            if *truncated {
                problems.push(format!(
                    "body longer than {} bytes, cut",
                    crate::facts::BODY_CAP
                ));
            }
            let found = if problems.iter().any(|p| p.starts_with("status ")) {
                problems.join("; ")
            } else {
                format!("{status}; {}", problems.join("; "))
            };
            // The request carried this run's random value and the answer should give it
            // back: an answer that does not is fixed text, not built from the request.
            let not_echoed = h
                .random
                .as_deref()
                .filter(|t| !body.contains(t) && h.expects(t));
            let (cause, fix) = match (cause, not_echoed) {
                (Some(c), _) => (c, fix),
                (None, Some(t)) => (
                    format!("the request carried {t}, a value the grader makes up afresh on every run, and the answer does not give it back: the app answers with fixed text, not from the request it gets"),
                    Some("build the answer from the request the app receives (its headers, query or body), then rebuild the image and run the container again".into()),
                ),
                (None, None) => ("the answer differs from what the lab asks for".into(), fix),
            };
            Judgement::fail(found, cause, fix)
        }
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// JSON equality where 1 and 1.0 are the same number and objects may hold extra keys.
fn json_equal(got: &serde_json::Value, want: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (got, want) {
        (Number(a), Number(b)) => a.as_f64() == b.as_f64(),
        (Object(a), Object(b)) => b
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|g| json_equal(g, v))),
        (Array(a), Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_equal(x, y))
        }
        _ => got == want,
    }
}

fn transport_failure(
    plan: &Plan,
    error: TransportError,
    message: &str,
    p: &ProbeFacts,
    c: Option<&ContainerFacts>,
    host_port: Option<u16>,
) -> Judgement {
    let found = transport_found(error, message);
    let logs = c.map(|c| format!("docker logs {}", c.name));
    // Which container port the host port leads to, per the container's real mapping.
    let inner = c.zip(host_port).and_then(|(c, hp)| {
        c.published
            .iter()
            .find(|x| x.host_port == hp && x.proto == "tcp")
    });
    // The container port the spec wants behind this host port.
    let wanted_inner = c.and_then(|c| {
        plan.checks.iter().find_map(|k| match &k.kind {
            CheckKind::PortPublished { container, mapping }
                if container.0 == c.name
                    && Some(mapping.host_port) == host_port
                    && mapping.proto == Proto::Tcp =>
            {
                Some(mapping.container_port)
            }
            _ => None,
        })
    });
    // The app listens on `actual`: either the mapping is wrong (the spec agrees with the
    // app) or the app is (the spec wants another port); say which, never contradict the spec.
    let port_fix = |c: &ContainerFacts, actual: u16| match (wanted_inner, host_port) {
        (Some(w), _) if w == actual => recreate(plan, &ContainerName(c.name.clone())),
        (Some(w), _) => format!(
            "make the app listen on port {w}, the port the lab asks for (e.g. app.run(host='0.0.0.0', port={w})), then rebuild the image and run the container again"
        ),
        (None, Some(hp)) => format!(
            "docker rm -f {0} && docker run -d --name {0} -p {hp}:{actual} {1}",
            c.name, c.image_name
        ),
        (None, None) => format!("publish the port the app listens on, {actual}"),
    };
    match error {
        TransportError::Reset | TransportError::EmptyReply | TransportError::Refused
            if inner.is_some() =>
        {
            let (c, inner) = (c.expect("inner implies container"), inner.expect("checked"));
            if let Some(listening) = &c.listening {
                let on_port: Vec<_> = listening
                    .iter()
                    .filter(|l| l.port == inner.container_port)
                    .collect();
                if !on_port.is_empty() && on_port.iter().all(|l| l.is_loopback()) {
                    return Judgement::fail(
                        found,
                        format!(
                            "the app listens on {}:{} inside the container, so the published port cannot reach it; bind it to 0.0.0.0",
                            on_port[0].ip, inner.container_port
                        ),
                        Some("make the app listen on 0.0.0.0, e.g. app.run(host='0.0.0.0'), then rebuild the image and run the container again".into()),
                    );
                }
                if on_port.is_empty() {
                    let others: Vec<_> = listening.iter().filter(|l| !l.is_loopback()).collect();
                    return match others.first() {
                        Some(o) => Judgement::fail(
                            found,
                            format!(
                                "nothing listens on {} inside the container; the app listens on {}",
                                inner.container_port, o.port
                            ),
                            Some(port_fix(c, o.port)),
                        ),
                        None if !listening.is_empty() => Judgement::fail(
                            found,
                            format!(
                                "the app listens only on {}:{} inside the container, which the published port cannot reach; bind it to 0.0.0.0:{}",
                                listening[0].ip, listening[0].port, inner.container_port
                            ),
                            Some("make the app listen on 0.0.0.0, e.g. app.run(host='0.0.0.0', port=...)".into()),
                        ),
                        None => Judgement::fail(
                            found,
                            format!("nothing listens inside the container on any port, so port {} cannot answer", inner.container_port),
                            Some(format!("docker logs {}", c.name)),
                        ),
                    };
                }
            }
            let log_hint = c.log_tail.iter().rev().find(|l| {
                l.contains("Running on http://127.0.0.1")
                    || l.contains("Running on http://localhost")
            });
            let cause = match log_hint {
                Some(l) => format!(
                    "the app only listens inside the container on loopback (its log says {}); bind it to 0.0.0.0",
                    quote(l, 80)
                ),
                None => format!(
                    "port {} is published, but nothing answers on port {} inside the container: the app listens on another port, or on 127.0.0.1 instead of 0.0.0.0",
                    inner.host_port, inner.container_port
                ),
            };
            Judgement::fail(found, cause, Some(format!("docker logs {}", c.name)))
        }
        TransportError::Refused => Judgement::fail(
            found,
            format!(
                "nothing accepts connections at {}: the port is not published or the app is not running",
                p.url
            ),
            None,
        ),
        TransportError::ConnectTimeout => Judgement::fail(
            found,
            format!(
                "nothing at {} answered the connection in time: the address is wrong or a firewall drops it",
                p.url
            ),
            None,
        ),
        TransportError::Timeout => Judgement::fail(
            found,
            "the app accepted the connection but sent no answer in time: it may be stuck, or waiting for more of the request",
            logs,
        ),
        TransportError::SlowBody => Judgement::fail(
            found,
            "the app sent its headers but its body never finished: an endless or very slow answer",
            logs,
        ),
        TransportError::CutShort => Judgement::fail(
            found,
            "the connection ended in the middle of the app's answer: the app may have crashed while answering",
            logs,
        ),
        TransportError::NotHttp => Judgement::fail(
            found,
            "what came back is not HTTP: the app may speak HTTPS/TLS or another protocol on this port",
            None,
        ),
        TransportError::HeadersTooLarge => Judgement::fail(
            found,
            "the app's answer has headers far larger than any HTTP client accepts",
            logs,
        ),
        TransportError::RedirectLoop => Judgement::fail(
            found,
            "the app keeps redirecting, more than 5 times on the same server",
            None,
        ),
        _ => Judgement::fail(
            found,
            format!("the request to {} failed: {}", p.url, error.describe()),
            None,
        ),
    }
}

/// "connection reset", plus the low-level message when it says more than that.
fn transport_found(error: TransportError, message: &str) -> String {
    let detail = match message.find(" (os error") {
        Some(i) => &message[..i],
        None => message,
    };
    let said = error.describe();
    let same = detail.to_lowercase().contains(said) || detail.is_empty();
    if same {
        said.to_string()
    } else {
        format!("{said} ({})", truncate(detail, 120))
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}
