//! Container checks: a container of the wanted name exists, is running (and why not: exited, crashed, restarting, OOM-killed), and was created from the wanted image.

use serde::Serialize;

use super::kinds::{Ctx, Kind};
use super::*;
use crate::plan::Need;
use crate::spec::{ContainerSpec, Points};

/// A container of the wanted name exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerExists {
    pub container: ContainerName,
    /// Set when the container is a docker compose service: (project, service).
    pub compose: Option<(Option<String>, String)>,
}

/// The container is running.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerRunning {
    pub container: ContainerName,
}

/// The container was created from the wanted image (its current build).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerImage {
    pub container: ContainerName,
    pub image: ImageRef,
}

impl Kind for ContainerExists {
    fn for_container(c: &ContainerSpec, points: &Points) -> Vec<Check> {
        let name = &c.name;
        let compose = c.service.clone().map(|s| (c.project.clone(), s));
        vec![Check {
            id: format!("container:{name}"),
            title: match &compose {
                Some((_, service)) => format!("Compose service {service} has a container"),
                None => format!("Container {name} exists"),
            },
            points: points.container,
            requires: vec![],
            hidden: false,
            kind: CheckKind::ContainerExists(ContainerExists {
                container: name.clone(),
                compose,
            }),
        }]
    }

    fn expected(&self) -> String {
        format!("a container named {}", self.container)
    }

    fn needs(&self) -> Vec<Need> {
        vec![Need::Container(self.container.clone())]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        match &self.compose {
            Some((project, service))
                if matches!(cx.facts.containers.get(&self.container.0), Some(None)) =>
            {
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
            _ => container_exists(cx.plan, &self.container, cx.facts),
        }
    }
}

impl Kind for ContainerRunning {
    fn for_container(c: &ContainerSpec, points: &Points) -> Vec<Check> {
        let name = &c.name;
        vec![Check {
            id: format!("running:{name}"),
            title: format!("Container {name} is running"),
            points: points.running,
            requires: vec![format!("container:{name}")],
            hidden: false,
            kind: CheckKind::ContainerRunning(ContainerRunning {
                container: name.clone(),
            }),
        }]
    }

    fn expected(&self) -> String {
        "status running".into()
    }

    /// The Dockerfile and its requirements files, for the install a missing package needs.
    fn needs(&self) -> Vec<Need> {
        vec![
            Need::Container(self.container.clone()),
            Need::DependencyLists,
        ]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        match container_facts(cx.facts, &self.container) {
            Some(c) => container_running(cx.plan, c, image_of(cx.facts, c), cx.facts),
            None => missing_fact(),
        }
    }

    /// The container's last log lines.
    fn evidence(&self, facts: &Facts) -> Vec<String> {
        container_evidence(facts, &self.container, false)
    }
}

impl Kind for ContainerImage {
    fn for_container(c: &ContainerSpec, points: &Points) -> Vec<Check> {
        let name = &c.name;
        let Some(image) = &c.image else {
            return Vec::new();
        };
        vec![Check {
            id: format!("from-image:{name}"),
            title: format!("{name} runs image {image}"),
            points: points.from_image,
            requires: vec![format!("container:{name}")],
            hidden: false,
            kind: CheckKind::ContainerImage(ContainerImage {
                container: name.clone(),
                image: image.clone(),
            }),
        }]
    }

    fn expected(&self) -> String {
        format!("created from {}", self.image.full())
    }

    fn needs(&self) -> Vec<Need> {
        vec![
            Need::Container(self.container.clone()),
            Need::Image(self.image.clone()),
        ]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let facts = cx.facts;
        match container_facts(facts, &self.container) {
            Some(c) => container_image(
                cx.plan,
                c,
                &self.image,
                image_facts(facts, &self.image),
                facts,
            ),
            None => missing_fact(),
        }
    }
}

fn container_exists(plan: &Plan, name: &ContainerName, facts: &Facts) -> Judgement {
    match facts.containers.get(&name.0) {
        Some(Some(c)) => pass(format!("{} ({})", c.name, short_id(&c.id))),
        Some(None) if let Some(j) = facts.events.get(&name.0).and_then(|e| gone(plan, name, e, facts)) => j,
        Some(None) => {
            let wanted = normalise(&name.0);
            if let Some(other) = facts.others.iter().find(|o| normalise(&o.name) == wanted) {
                return fail(
                    CauseId::ContainerMisnamed,
                    format!("no container {name}; found {}", other.name),
                    format!("the container is named {} instead of {name}", other.name),
                    Some(format!("docker rename {} {name}", other.name)),
                );
            }
            let image = spec_image(plan, name);
            let same_image = facts.others.iter().find(|o| {
                image.is_some_and(|i| o.image.parse::<ImageRef>().ok().as_ref() == Some(i))
            });
            if let Some(other) = same_image {
                return fail(
                    CauseId::ContainerMisnamed,
                    format!("no container {name}; {} runs {}", other.name, other.image),
                    format!(
                        "a container of the right image exists, but it is named {} instead of {name}",
                        other.name
                    ),
                    Some(format!("docker rename {} {name}", other.name)),
                );
            }
            fail(
                CauseId::ContainerMissing,
                "no such container",
                format!("no container is named {name} (docker ps -a lists none)"),
                Some(run_command(plan, name)),
            )
        }
        None => missing_fact(),
    }
}

/// A container that replaced an earlier one of its name, as the daemon's events of the
/// last hour show: the earlier one destroyed (`docker rm`), then this one created.
/// The events name the image each was created from, not their `-p` or command.
pub(crate) struct Replaced<'a> {
    pub removed: String,
    pub created: String,
    /// The image the earlier one was created from, as `docker run` named it.
    pub old_image: Option<&'a str>,
}

/// `HH:MM:SS UTC` of an event's time.
fn clock(ms: i64) -> String {
    let t = ms / 1000;
    format!("{:02}:{:02}:{:02} UTC", t / 3600 % 24, t / 60 % 60, t % 60)
}

/// Whether `c` replaced an earlier container of its name (see [`Replaced`]).
pub(crate) fn replaced<'a>(facts: &'a Facts, c: &ContainerFacts) -> Option<Replaced<'a>> {
    let events = facts.events.get(&c.name)?;
    let created = events
        .iter()
        .find(|e| e.id == c.id && e.action == "create")?;
    let removed = events.iter().rev().find(|e| {
        e.id != c.id && e.name == c.name && e.action == "destroy" && e.time_ms <= created.time_ms
    })?;
    let old_image = events
        .iter()
        .filter(|e| e.id == removed.id)
        .find_map(|e| e.image.as_deref());
    Some(Replaced {
        removed: clock(removed.time_ms),
        created: clock(created.time_ms),
        old_image,
    })
}

/// What the daemon's events say happened to a container that is not there: renamed
/// (to a container that still exists), or removed, with how its last run ended.
fn gone(plan: &Plan, name: &ContainerName, events: &[crate::facts::EventFact], facts: &Facts) -> Option<Judgement> {
    // The last container that had the name, and what happened to it.
    let id = &events.iter().rev().find(|e| e.name == name.0 || e.old_name.as_deref() == Some(&name.0))?.id;
    let life: Vec<_> = events.iter().filter(|e| &e.id == id).collect();
    if let Some(r) = life.iter().find(|e| e.action == "rename" && e.old_name.as_deref() == Some(&name.0))
        && facts.others.iter().any(|o| o.name == r.name)
    {
        return Some(fail(
            CauseId::ContainerRenamed,
            format!("no container {name}; renamed to {}", r.name),
            format!("{name} was renamed to {} at {} (docker rename), so no container has the name now", r.name, clock(r.time_ms)),
            format!("docker rename {} {name}", r.name),
        ));
    }
    let destroyed = life.iter().rev().find(|e| e.action == "destroy")?;
    let mut story = Vec::new();
    if let Some(c) = life.iter().find(|e| e.action == "create") {
        story.push(format!("created at {}", clock(c.time_ms)));
    }
    let starts = life.iter().filter(|e| e.action == "start").count();
    if starts > 1 {
        story.push(format!("restarted {}", times(starts as i64 - 1)));
    }
    let died = life.iter().rev().find(|e| e.action == "die");
    let oom = life.iter().any(|e| e.action == "oom");
    let asked = life.iter().any(|e| e.action == "stop" || e.action == "kill");
    if oom {
        story.push("killed for using too much memory (oom)".to_string());
    }
    if let Some(d) = died.filter(|_| !oom) {
        story.push(match (d.exit_code, asked) {
            (_, true) => format!("stopped at {}", clock(d.time_ms)),
            (Some(code), false) => format!("exited with code {code} at {}", clock(d.time_ms)),
            (None, false) => format!("exited at {}", clock(d.time_ms)),
        });
    }
    // Removed the moment it stopped (within two seconds, no one asking): what `docker
    // run --rm` does, a busy daemon included; a person who notices a crash and types
    // `docker rm` takes longer. `docker rm -f` of a running one kills it: Docker logs
    // the kill, Podman only the SIGKILL's exit code (137; 143 after a SIGTERM).
    let signalled = !oom && died.is_some_and(|d| matches!(d.exit_code, Some(137 | 143)));
    let rm = died.is_some_and(|d| destroyed.time_ms - d.time_ms <= 2000 && !asked && !signalled);
    let crashed = died.and_then(|d| d.exit_code).is_some_and(|c| c != 0) && !asked;
    story.push(format!(
        "removed at {}{}",
        clock(destroyed.time_ms),
        if rm {
            " moments after it stopped (most likely `docker run --rm`, which does that)"
        } else {
            " (docker rm)"
        }
    ));
    let (last, rest) = story.split_last().expect("removed is there");
    let said = if rest.is_empty() {
        last.clone()
    } else {
        format!("{}, and {last}", rest.join(", "))
    };
    let why = if crashed && rm {
        format!("; its log went with it: run it without --rm to keep it (docker logs {name})")
    } else {
        String::new()
    };
    Some(fail(
        CauseId::ContainerRemoved,
        format!("no such container (removed at {})", clock(destroyed.time_ms)),
        format!("{name} existed in the last hour: it was {said}{why}"),
        // The image it ran, when the spec names none.
        run_command_or(
            plan,
            name,
            life.iter().find_map(|e| e.image.as_deref()),
        ),
    ))
}

fn container_running(
    plan: &Plan,
    c: &ContainerFacts,
    image: Option<&ImageFacts>,
    facts: &Facts,
) -> Judgement {
    let daemon = &facts.daemon;
    let name = &c.name;
    // Once the code or the Dockerfile must change, `docker start` would run the old build.
    // The image as the container was run from it, when the spec names none.
    let rebuild = || rebuild_and_rerun(plan, &ContainerName(name.clone()), seen_image(c));
    let last_log = telling_line(&c.log_tail);
    let with_log = |s: String| match last_log {
        Some(l) => format!("{s}; its log says {}", quote(l, 160)),
        None => s,
    };
    // A package the app lacks: its install, typed from the project's own files, for the
    // causes that a missing package explains.
    let install = crate::hints::missing_package(&c.log_tail, c.error.as_deref())
        .zip(image)
        .and_then(|(p, i)| super::deps::install(facts, i, &p));
    let install_for = |h: &crate::hints::Hint| {
        install.as_ref().filter(|_| {
            matches!(
                h.id,
                CauseId::ModuleNotFound | CauseId::CommandNotFound | CauseId::ProgramMissing
            )
        })
    };
    // The cause, with why the image lacks the package.
    let told = |mut h: crate::hints::Hint| {
        if let Some(i) = install_for(&h) {
            h.cause = format!("{}; {}", h.cause, i.why);
        }
        h
    };
    // A recognised cause's fix and what to type after it: the rebuild when the fix changes
    // the image, else `docker start` where the container has to be started again.
    let hint_fix = |h: &crate::hints::Hint, start: bool| {
        if let Some(i) = install_for(h) {
            match &i.edit {
                Some(edit) => format!("{edit}, then: {}", rebuild()),
                None => rebuild(),
            }
        } else if needs_rebuild(h.id) {
            format!("{}; then: {}", without_rebuild(&h.fix), rebuild())
        } else if start {
            format!("{}; then docker start {name}", h.fix)
        } else {
            h.fix.clone()
        }
    };
    if c.removed_during_check {
        return fail(
            CauseId::ContainerRemoved,
            "removed during the check",
            format!("{name} was removed (docker rm) while labgrade was checking it, so there is nothing left to start"),
            run_command_or(plan, &ContainerName(name.clone()), seen_image(c)),
        );
    }
    if c.running && !c.paused && !c.restarting {
        if c.restarts_during_check > 0 {
            // A recognised crash keeps its own cause: Podman restarts a crashing app at
            // once, so a crash loop there is mostly seen running.
            if let Some(h) = crate::hints::recognise(&c.log_tail, c.error.as_deref())
                .map(told)
                .filter(|h| needs_rebuild(h.id))
            {
                return fail(
                    h.id,
                    format!(
                        "running, but restarted {} during the check",
                        times(c.restarts_during_check)
                    ),
                    format!(
                        "{}; the app crashed while it was being checked and was restarted",
                        h.cause
                    ),
                    hint_fix(&h, false),
                );
            }
            return fail(
                CauseId::CrashedDuringCheck,
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
        return pass("running");
    }
    if c.paused {
        return fail(
            CauseId::Paused,
            "paused",
            "the container is paused",
            Some(format!("docker unpause {name}")),
        );
    }
    // `docker run IMAGE -p ...`: whatever the app made of those words, they are the cause.
    if let Some(options) = options_after_image(c) {
        return fail(
            CauseId::OptionsAfterImage,
            stopped_state(c),
            with_log(options_after_image_cause(&options)),
            recreate(plan, &ContainerName(name.clone())),
        );
    }
    let hint = crate::hints::recognise(&c.log_tail, c.error.as_deref()).map(told);
    // A host port another container holds: name it, and free the port for this one.
    if hint
        .as_ref()
        .is_some_and(|h| h.id == CauseId::HostPortTaken)
        && let Some(port) = c.error.as_deref().and_then(allocated_port)
        && let Some(holder) = facts
            .others
            .iter()
            .find(|o| o.name != *name && o.status == "running" && o.host_ports.contains(&port))
    {
        return fail(
            CauseId::HostPortTaken,
            format!("{}, never started", c.status),
            format!(
                "host port {port} is already published by container {} (running), so Docker could not publish it for {name}",
                holder.name
            ),
            format!("docker stop {} && docker start {name}", holder.name),
        );
    }
    // What the image's own files show about the program that would not start.
    if let Some(e) = image.and_then(|i| super::program::explain(facts, c, i)) {
        return fail(
            e.id,
            stopped_state(c),
            with_log(e.cause),
            format!("{}, then: {}", e.edit, rebuild()),
        );
    }
    // `exec format error` from an image built for another CPU: rebuild for this one.
    if let Some((cause, platform)) = hint
        .as_ref()
        .filter(|h| h.id == CauseId::ExecFormat)
        .and_then(|_| wrong_platform(image, daemon))
    {
        let found = match c.exit_code {
            Some(code) if !c.restarting && c.status != "created" => {
                format!("{} with code {code}", c.status)
            }
            _ => c.status.clone(),
        };
        return fail(
            CauseId::WrongPlatform,
            found,
            with_log(cause),
            rebuild().replacen(
                "docker build -t",
                &format!("docker build --platform {platform} -t"),
                1,
            ),
        );
    }
    // A variable the code reads with no default, missing from the container: the log's
    // KeyError names it, the code's line says where it is read.
    if hint.is_none()
        && !c.oom_killed
        && !c.stop_requested
        && let Some(t) = super::code::env_missing(plan, facts, c)
    {
        let found = match c.exit_code {
            _ if c.restarting => format!("restarting (restarted {})", times(c.restart_count)),
            Some(code) => format!("{} with code {code}", c.status),
            None => c.status.clone(),
        };
        return fail(t.id, found, t.cause, t.fix);
    }
    if c.restarting {
        let (id, cause, fix) = match &hint {
            Some(h) => (
                h.id,
                format!(
                    "{}; the app keeps crashing and Docker keeps restarting it",
                    h.cause
                ),
                // Docker restarts it by itself: no `docker start`.
                format!(
                    "{}   (docker logs {name} shows the whole error)",
                    hint_fix(h, false)
                ),
            ),
            None => (
                CauseId::RestartLoop,
                with_log("the app keeps crashing and Docker keeps restarting it".into()),
                format!("docker logs {name}"),
            ),
        };
        return fail(
            id,
            format!("restarting (restarted {})", times(c.restart_count)),
            cause,
            Some(fix),
        );
    }
    let logs = format!("docker logs {name}");
    match c.status.as_str() {
        "created" => {
            let id = hint.as_ref().map_or(CauseId::NeverStarted, |h| h.id);
            let cause = match (&hint, &c.error) {
                (Some(h), _) => h.cause.clone(),
                (None, Some(e)) => format!("the container could not start: {e}"),
                (None, None) => "the container was created but never started".into(),
            };
            let fix = hint
                .as_ref()
                .map_or(format!("docker start {name}"), |h| hint_fix(h, true));
            fail(id, "created, never started", cause, Some(fix))
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
            let (id, cause, fix) = if c.oom_killed {
                (
                    CauseId::OomKilled,
                    match c.memory_limit {
                        Some(limit) => format!(
                            "the container ran out of memory and was killed: it may use at most {} (--memory)",
                            mebibytes(limit)
                        ),
                        None => "the container ran out of memory and was killed".to_string(),
                    },
                    memory_fix(plan, c, image, &logs),
                )
            } else if c.stop_requested {
                (
                    CauseId::StoppedByRequest,
                    format!(
                        "the container was stopped (docker stop or docker kill, exit code {code}); the app did not crash"
                    ),
                    format!("docker start {name}"),
                )
            } else if let Some(h) = &hint {
                (
                    h.id,
                    with_log(h.cause.clone()),
                    format!("{}   ({logs} shows the whole error)", hint_fix(h, true)),
                )
            } else if code == 137 {
                // A SIGKILL explains the exit better than any setting: it goes before
                // an overridden command, which may well have been running fine.
                match c.memory_limit {
                    // Some engines (Podman on cgroup v1) record no out-of-memory kill.
                    Some(limit) => (
                        CauseId::Killed,
                        with_log(format!("the app was killed (exit code 137 = 128 + 9, SIGKILL) and the container may use at most {} (--memory): most likely it needed more, although the engine recorded no out-of-memory kill; otherwise docker kill or docker stop did it", mebibytes(limit))),
                        memory_fix(plan, c, image, &logs),
                    ),
                    None => (
                        CauseId::Killed,
                        with_log("the app was killed (exit code 137 = 128 + 9, SIGKILL), and not for the container's memory limit: docker kill or docker stop did it (docker stop kills an app that ignores SIGTERM after 10 s), or the machine itself ran out of memory".into()),
                        format!("docker start {name}   ({logs} shows what it did last; if it is killed again, make it use less memory)"),
                    ),
                }
            } else if let Some(cause) = overridden_command(c, image) {
                (
                    CauseId::CommandOverridden,
                    with_log(cause),
                    recreate(plan, &ContainerName(name.clone())),
                )
            } else if code == 0 {
                (
                    CauseId::ExitedCleanly,
                    with_log("the main process finished, so the container stopped (or someone ran docker stop): the CMD must keep running a server in the foreground".into()),
                    format!(
                        "{logs}; make CMD start the server in the foreground, then: {}",
                        rebuild()
                    ),
                )
            } else {
                let meaning = exit_meaning(code).map_or(String::new(), |m| format!(" ({m})"));
                let id = if code == 127 {
                    CauseId::CommandNotFound
                } else {
                    CauseId::Exited
                };
                (
                    id,
                    with_log(format!("the app stopped with exit code {code}{meaning}")),
                    format!("{logs}   # then fix what it shows, and: {}", rebuild()),
                )
            };
            fail(id, found, cause, Some(fix))
        }
    }
}

/// What to do about an app its memory limit killed: the same `docker run` with twice
/// the memory (its own command words too, when it was given some), built from the limit
/// observed. Without a limit to raise (the machine ran out), or in compose, say it.
fn memory_fix(plan: &Plan, c: &ContainerFacts, image: Option<&ImageFacts>, logs: &str) -> String {
    let name = ContainerName(c.name.clone());
    let Some(limit) = c.memory_limit.filter(|_| compose_service_of(plan, &name).is_none()) else {
        return format!(
            "make the app use less memory, or run it with a higher --memory limit   ({logs} shows what it did last)"
        );
    };
    let more = (limit.unsigned_abs() * 2).div_ceil(1 << 20);
    let mut run = run_command_or(plan, &name, seen_image(c)).replacen(
        &format!("docker run -d --name {name}"),
        &format!("docker run -d --name {name} --memory {more}m"),
        1,
    );
    if overridden_command(c, image).is_some() {
        for word in c.cmd.iter().flatten() {
            run.push(' ');
            run.push_str(&shell_word(word));
        }
    }
    format!(
        "docker rm -f {name} && {run}   (twice the memory; if it is killed again, the app keeps growing: {logs} shows what it did last)"
    )
}

/// A byte count as `docker run --memory` would say it: `64 MiB`.
fn mebibytes(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

fn container_image(
    plan: &Plan,
    c: &ContainerFacts,
    image: &ImageRef,
    current: Option<&ImageFacts>,
    facts: &Facts,
) -> Judgement {
    let named = c.image_name.parse::<ImageRef>().ok();
    let fix = Some(recreate(plan, &ContainerName(c.name.clone())));
    match current {
        Some(i) if i.id == c.image_id => {
            pass(format!("{} ({})", c.image_name, short_id(&c.image_id)))
        }
        Some(_) if named.as_ref() == Some(image) => fail(
            CauseId::StaleContainer,
            format!("an older build of {image} ({})", short_id(&c.image_id)),
            format!(
                "{image} was rebuilt after the container was created, so it still runs the old build"
            ),
            fix,
        ),
        None if named.as_ref() == Some(image) => fail(
            CauseId::ImageRetagged,
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
        // The one it replaced ran the lab's image: the new `docker run` named another.
        _ if let Some(r) = replaced(facts, c).filter(|r| {
            r.old_image
                .and_then(|i| i.parse::<ImageRef>().ok())
                .is_some_and(|i| &i == image)
        }) =>
        {
            fail(
                CauseId::ContainerRecreated,
                c.image_name.clone(),
                format!(
                    "{0} was created again at {1} from {2}, replacing a {0} removed at {3} that ran {image} (the daemon's events): the docker run that made the new one names {2}",
                    c.name, r.created, c.image_name, r.removed
                ),
                fix,
            )
        }
        _ => fail(
            CauseId::WrongImage,
            c.image_name.clone(),
            format!("the container runs {} instead of {image}", c.image_name),
            fix,
        ),
    }
}

/// Whether fixing a recognised cause changes the image (code, packages, CMD), so the
/// container must be rebuilt and run again rather than started.
/// The host port in Docker's "Bind for 0.0.0.0:8097 failed: port is already allocated".
/// What an exit code says, read as a TA reads it (128 + N: killed by signal N).
fn exit_meaning(code: i64) -> Option<&'static str> {
    Some(match code {
        2 => "the program did not accept its command line: a usage error",
        126 => "a command was found but could not be run: it is not executable",
        127 => "command not found: a program the CMD runs is not in the image, or not on its PATH",
        130 => "128 + 2, SIGINT: stopped with Ctrl-C",
        134 => "128 + 6, SIGABRT: the program aborted",
        139 => "128 + 11, SIGSEGV: the program crashed with a segmentation fault",
        143 => "128 + 15, SIGTERM: it was asked to stop",
        _ => return None,
    })
}

/// How a container that does not run stands: "exited with code 1", "restarting
/// (restarted 3 times)", "created".
fn stopped_state(c: &ContainerFacts) -> String {
    match c.exit_code {
        _ if c.restarting => format!("restarting (restarted {})", times(c.restart_count)),
        Some(code) if c.status != "created" => format!("{} with code {code}", c.status),
        _ => c.status.clone(),
    }
}

fn allocated_port(error: &str) -> Option<u16> {
    let before = &error[..error.find(" failed: port is already allocated")?];
    before.rsplit(':').next()?.parse().ok()
}

fn needs_rebuild(id: CauseId) -> bool {
    !matches!(id, CauseId::PortInUseInside | CauseId::HostPortTaken)
}

/// A hint's fix without its closing "then rebuild …", where the exact commands follow.
fn without_rebuild(fix: &str) -> &str {
    REBUILD_ENDINGS
        .iter()
        .find_map(|end| fix.strip_suffix(end))
        .unwrap_or(fix)
}
