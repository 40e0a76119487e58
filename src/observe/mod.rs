//! Observation: the only place that does IO against the daemon and the network.
//! It turns a plan into facts; it never decides whether a check passed.

pub mod build;
pub mod containers;
mod docker;
mod files;
mod oneshot;
mod probe;
mod registry;
mod sockets;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

pub use docker::{Daemon, DaemonError};
pub use oneshot::LABEL as RUN_LABEL;

use crate::facts::{ContainerFacts, Facts, ProbeFacts, ProbeOutcome, TransportError};
use crate::plan::{
    CheckKind, ContainerImage, HttpCheck, ImageSettingCheck, Need, Plan, PortPublished, RunCheck,
};
use crate::spec::{ContainerName, Target};

/// Finds the container of each compose service the spec names, by the labels docker
/// compose puts on it (a running one first). Services with no container stay unresolved.
pub async fn resolve_services(
    daemon: &Daemon,
    spec: &crate::spec::Spec,
) -> Result<crate::instance::Rename, DaemonError> {
    let mut rename = crate::instance::Rename::default();
    for c in spec.containers() {
        // Only entries still named after their service; a container the grader already
        // named (batch grading) is not swapped for whatever carries the label.
        let Some(service) = c.service.as_ref().filter(|s| **s == c.name.0) else {
            continue;
        };
        let found = daemon
            .compose_container(c.project.as_deref(), service)
            .await?;
        if let Some(name) = found {
            rename.containers.insert(c.name.0.clone(), name);
        }
    }
    Ok(rename)
}

/// Largest project file read (a Dockerfile, a .dockerignore).
const FILE_CAP: u64 = 1024 * 1024;

/// Reads the project files the plan's checks need, relative to `dir`.
pub fn read_files(plan: &Plan, dir: &std::path::Path, facts: &mut Facts) {
    let mut out = BTreeMap::new();
    facts.project_dir = Some(
        std::fs::canonicalize(dir)
            .unwrap_or_else(|_| dir.to_path_buf())
            .display()
            .to_string(),
    );
    let needs: Vec<Need> = plan.checks.iter().flat_map(|c| c.kind.needs()).collect();
    let lists = needs.contains(&Need::DependencyLists);
    let mut wanted: std::collections::BTreeSet<String> = needs
        .into_iter()
        .filter_map(|n| match n {
            Need::ProjectFile(rel) => Some(rel),
            _ => None,
        })
        .collect();
    if lists
        && !wanted
            .iter()
            .any(|w| w.rsplit('/').next() == Some("Dockerfile"))
    {
        wanted.insert("Dockerfile".into());
    }
    for rel in wanted {
        let text = read_project_file(dir, &rel);
        if text.is_none() && rel.rsplit('/').next() == Some("Dockerfile") {
            facts.dockerfiles_nearby = nearby_dockerfiles(dir);
        }
        out.insert(rel, text);
    }
    // Where `docker build .` would find no Dockerfile, the fixes that build say where
    // the lab's is (one folder down) and from which folder it builds.
    let at_top = DOCKERFILE_NAMES.iter().any(|f| dir.join(f).is_file());
    facts.dockerfile_at_top = Some(at_top);
    if !at_top {
        if facts.dockerfiles_nearby.is_empty() {
            facts.dockerfiles_nearby = nearby_dockerfiles(dir);
        }
        facts.nearby_contexts = facts
            .dockerfiles_nearby
            .iter()
            .map(|rel| (rel.clone(), nearby_context(dir, rel)))
            .collect();
    }
    // The requirements files, where the Dockerfile says they come from.
    let dockerfile = out
        .iter()
        .find(|(rel, _)| rel.rsplit('/').next() == Some("Dockerfile"))
        .and_then(|(_, text)| text.clone());
    if lists && let Some(text) = dockerfile {
        let d = labgrade_core::dockerfile::Dockerfile::parse(&text);
        for list in labgrade_core::dockerfile::pip::copied_lists(&d) {
            let rel = list.source;
            if !out.contains_key(&rel) && !rel.split('/').any(|p| p == "..") {
                let text = read_project_file(dir, &rel);
                out.insert(rel, text);
            }
        }
    }
    facts.files = out;
}

/// One project file's text: only a regular file of the project, not a link out of it,
/// and not huge (a larger one is a line saying so). `docker build` takes a lowercase
/// `dockerfile` for `Dockerfile` too.
fn read_project_file(dir: &std::path::Path, rel: &str) -> Option<String> {
    let mut path = dir.join(rel);
    if rel == "Dockerfile" && !path.exists() && dir.join("dockerfile").is_file() {
        path = dir.join("dockerfile");
    }
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() && m.len() <= FILE_CAP => std::fs::read(&path)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned()),
        Ok(m) if m.is_file() => Some(format!(
            "# labgrade: {rel} is larger than {} KiB and was not read",
            FILE_CAP >> 10
        )),
        _ => None,
    }
}

/// Reads the files a failed start names (and their `#!` interpreters, and where files of
/// their names are when they are missing) into the image's facts, with the app's
/// `source` file (read in the same archive request).
async fn explain_files(
    daemon: &Daemon,
    image: &mut crate::facts::ImageFacts,
    paths: &[String],
    source: Option<String>,
) {
    let mut first = files::Wanted::default();
    for p in paths.iter().chain(&source) {
        first.paths.insert(p.clone(), true);
    }
    if first.paths.is_empty() {
        return;
    }
    let mut read = match files::read(daemon, image, &first).await {
        Ok(r) => r,
        // Only the source was wanted: without it, nothing is said from the code.
        Err(_) if paths.is_empty() => return,
        Err(e) => {
            image.files_error = Some(e);
            return;
        }
    };
    if let Some(s) = source.filter(|s| !paths.contains(s)) {
        image.files.extend(read.files.remove_entry(&s));
    }
    if paths.is_empty() {
        return;
    }
    let mut then = files::Wanted::default();
    // Whether the image has a shell tells which fix works (a RUN step needs one).
    then.paths.insert("/bin/sh".into(), false);
    for (p, f) in &read.files {
        match f {
            None => {
                then.names
                    .insert(p.rsplit('/').next().unwrap_or(p).to_string());
            }
            Some(f) => {
                if let Some(interpreter) = f
                    .text
                    .as_deref()
                    .and_then(|t| t.strip_prefix("#!"))
                    .and_then(|t| t.lines().next())
                    .and_then(|l| l.split_whitespace().next())
                    .map(|w| w.trim_end_matches('\r'))
                    .filter(|w| w.starts_with('/'))
                {
                    then.paths.insert(interpreter.to_string(), false);
                }
            }
        }
    }
    image.files.extend(read.files);
    match files::read(daemon, image, &then).await {
        Ok(r) => {
            image.files.extend(r.files);
            image.named.extend(r.named);
            image.similar.extend(r.similar);
        }
        Err(e) => image.files_error = Some(e),
    }
}

/// The folder a Dockerfile one folder down (`src/Dockerfile`) is built from: `.` when
/// every path its COPY lines take is in `dir` and not all are beside it, else its own
/// folder (`src`), where a Dockerfile's paths most often start.
fn nearby_context(dir: &std::path::Path, rel: &str) -> String {
    let own = rel.rsplit_once('/').map_or(".", |(f, _)| f).to_string();
    let Some(text) = read_project_file(dir, rel) else {
        return own;
    };
    let sources = labgrade_core::dockerfile::Dockerfile::parse(&text).context_sources();
    // A glob or a variable is not looked up: only plain paths tell.
    let plain: Vec<&String> = sources
        .iter()
        .filter(|s| !s.contains(['*', '?', '[', '$']))
        .collect();
    let all_in = |base: &std::path::Path| {
        plain
            .iter()
            .all(|s| !s.split('/').any(|p| p == "..") && base.join(s).exists())
    };
    if !plain.is_empty() && all_in(dir) && !all_in(&dir.join(&own)) {
        ".".into()
    } else {
        own
    }
}

/// The names `docker build` takes for a folder's Dockerfile (the classic builder and
/// BuildKit both take a lowercase `dockerfile` too).
const DOCKERFILE_NAMES: [&str; 2] = ["Dockerfile", "dockerfile"];

/// Dockerfiles in the folders just below `dir` (`src/Dockerfile`), by relative path.
fn nearby_dockerfiles(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .flatten()
        .take(1000)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            DOCKERFILE_NAMES
                .iter()
                .find(|f| e.path().join(f).is_file())
                .map(|f| format!("{name}/{f}"))
        })
        .collect();
    found.sort();
    found.truncate(5);
    found
}

/// Paths tried on a server that answered 404, besides the spec's own paths.
const COMMON_PATHS: [&str; 4] = ["/", "/ping", "/health", "/latency"];

/// Probes sent to one server at a time (see `probe_all`).
const PROBES_PER_SERVER: usize = 6;

/// Readiness wait when neither the command line nor the spec sets one.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);
/// How long a `ready_when` log line is waited for when the spec sets no `wait`.
pub const READY_WAIT: Duration = Duration::from_secs(60);

/// Limits for one observation.
#[derive(Debug, Clone, Copy)]
pub struct ObserveOptions {
    /// How long a container that has just started gets to begin answering; `None` means
    /// the spec's `wait:`, else [`DEFAULT_WAIT`].
    pub wait: Option<Duration>,
    /// Time allowed for one HTTP request, body included, unless the spec sets its own.
    pub probe_timeout: Duration,
}

impl Default for ObserveOptions {
    fn default() -> Self {
        ObserveOptions {
            wait: None,
            probe_timeout: Duration::from_secs(5),
        }
    }
}

/// Gathers every fact the plan's checks need.
pub async fn observe(
    daemon: &Daemon,
    plan: &Plan,
    opts: &ObserveOptions,
) -> Result<Facts, DaemonError> {
    let mut image_refs = Vec::new();
    let mut container_names = Vec::new();
    let mut image_files: BTreeMap<String, files::Wanted> = BTreeMap::new();
    for need in plan.checks.iter().flat_map(|c| c.kind.needs()) {
        match need {
            Need::Image(i) => image_refs.push(i.full()),
            Need::Container(c) => container_names.push(c.0),
            Need::ImageFile { image, path, read } => {
                let wanted = image_files.entry(image.full()).or_default();
                *wanted.paths.entry(path).or_default() |= read;
            }
            Need::ImageTree { image, root } => {
                image_files
                    .entry(image.full())
                    .or_default()
                    .trees
                    .insert(root);
            }
            Need::ProjectFile(_) | Need::DependencyLists => {}
        }
    }
    // Each image and container is looked at once, however many checks name it.
    let mut seen = std::collections::BTreeSet::new();
    image_refs.retain(|r| seen.insert(r.clone()));
    let mut seen = std::collections::BTreeSet::new();
    container_names.retain(|n| seen.insert(n.clone()));

    let images = join_all(image_refs.iter().map(|r| daemon.image(r)));
    let containers = join_all(container_names.iter().map(|n| daemon.container(n)));
    let (images, containers) = futures_util::join!(images, containers);
    let mut facts = Facts {
        daemon: daemon.facts.clone(),
        ..Facts::default()
    };
    for (r, i) in image_refs.iter().zip(images) {
        facts.images.insert(r.clone(), i?);
    }
    image_provenance(daemon, plan, &mut facts, opts.probe_timeout).await?;
    // Files of the images that exist, read without running them.
    let reads = image_files
        .iter()
        .filter_map(|(r, wanted)| match facts.images.get(r) {
            Some(Some(i)) => Some(async move { (r.clone(), files::read(daemon, i, wanted).await) }),
            _ => None,
        });
    for (r, read) in join_all(reads).await {
        if let Some(Some(i)) = facts.images.get_mut(&r) {
            match read {
                Ok(r) => {
                    i.files = r.files;
                    i.trees = r.trees;
                }
                Err(e) => i.files_error = Some(e),
            }
        }
    }
    // Build history only for the images whose layer order is checked.
    for c in &plan.checks {
        if let CheckKind::ImageSetting(ImageSettingCheck {
            image,
            setting: crate::plan::ImageSetting::DepsBeforeCode(_),
        }) = &c.kind
            && let Some(Some(facts)) = facts.images.get_mut(&image.full())
            && facts.history.is_empty()
        {
            facts.history = daemon.history(&image.full()).await?;
            // The base image's own steps are not the student's: drop them when the base
            // is on the machine and its history is where the image's starts.
            if facts.base.is_none() {
                record_base(daemon, facts).await?;
            }
            if let Some(crate::facts::BaseFacts::Found { id, .. }) = &facts.base {
                let base = daemon.history(id).await?;
                if facts.history.starts_with(&base) {
                    facts.history.drain(..base.len());
                }
            }
        }
    }
    for (n, c) in container_names.iter().zip(containers) {
        facts.containers.insert(n.clone(), c?);
    }
    // A container whose HEALTHCHECK is still `starting` is not ready: the readiness wait
    // follows its health status (until it settles, it stops, or the wait is over).
    let window = opts.wait.or(plan.wait).unwrap_or(DEFAULT_WAIT);
    let settled = join_all(facts.containers.iter().filter_map(|(n, c)| {
        let c = c.as_ref()?;
        let starting = c.running && c.health.as_ref().is_some_and(|h| h.status == "starting");
        let left = window.as_secs_f64() - c.running_for_secs.unwrap_or(0.0);
        (starting && left > 0.0).then_some(async move {
            let deadline = Instant::now() + Duration::from_secs_f64(left);
            loop {
                tokio::time::sleep(Duration::from_millis(200)).await;
                let now = daemon.container(n).await;
                let done = match &now {
                    Ok(Some(c)) => {
                        !c.running || c.health.as_ref().is_none_or(|h| h.status != "starting")
                    }
                    _ => true,
                };
                if done || Instant::now() >= deadline {
                    return (n.clone(), now);
                }
            }
        })
    }))
    .await;
    for (n, c) in settled {
        facts.containers.insert(n, c?);
    }
    // `ready_when: {log}`: the app is ready once its log shows the text; wait for it
    // (within `wait`, 60 s by default) unless the container stops first.
    let ready_window = opts.wait.or(plan.wait).unwrap_or(READY_WAIT);
    let ready = join_all(plan.ready_logs.iter().filter_map(|(name, text)| {
        let c = facts.containers.get(&name.0)?.as_ref()?;
        let left = ready_window.as_secs_f64() - c.running_for_secs.unwrap_or(0.0);
        let running = c.running;
        let since = c.started_at.clone();
        Some(async move {
            let started = Instant::now();
            let deadline = started + Duration::from_secs_f64(left.max(0.0));
            let mut seen = false;
            loop {
                // Only this run's lines: a restarted app's earlier "ready" does not count.
                if daemon
                    .log_tail_since(&name.0, 500, since.as_deref())
                    .await
                    .iter()
                    .any(|l| l.contains(text.as_str()))
                {
                    seen = true;
                    break;
                }
                if !running || Instant::now() >= deadline {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                if !matches!(daemon.container(&name.0).await, Ok(Some(c)) if c.running) {
                    break;
                }
            }
            let waited = started.elapsed();
            (name, text, seen, waited, daemon.container(&name.0).await)
        })
    }))
    .await;
    for (name, text, seen, waited, now) in ready {
        if let Some(mut c) = now? {
            c.ready = Some(crate::facts::ReadyFacts {
                text: text.clone(),
                seen,
                waited_ms: waited.as_millis() as u64,
            });
            facts.containers.insert(name.0.clone(), Some(c));
        }
    }

    // One-shot runs of images that exist, alongside the probes.
    let runs = plan.checks.iter().filter_map(|c| match &c.kind {
        CheckKind::Run(RunCheck { run })
            if matches!(facts.images.get(&run.image.full()), Some(Some(_))) =>
        {
            Some((c.id.clone(), run))
        }
        _ => None,
    });
    let runs = join_all(runs.map(|(id, run)| async move { (id, oneshot::run(daemon, run).await) }));
    let (probes, runs) = futures_util::join!(probe_all(daemon, plan, &facts, opts), runs);
    facts.probes = probes;
    facts.runs = runs.into_iter().collect();
    // A program that ran and printed the wrong thing: its source, read from the image, shows
    // where the lines that print what is missing go.
    for c in &plan.checks {
        let CheckKind::Run(RunCheck { run }) = &c.kind else {
            continue;
        };
        let Some(f) = facts.runs.get(&c.id) else {
            continue;
        };
        let wrong = f.exit_code == Some(run.exit_code)
            && (run
                .stdout_contains
                .iter()
                .any(|t| !f.stdout.contains(t.as_str()))
                || run
                    .stdout_regex
                    .as_ref()
                    .is_some_and(|p| !p.0.is_match(&f.stdout)));
        if !wrong {
            continue;
        }
        let Some(Some(image)) = facts.images.get_mut(&run.image.full()) else {
            continue;
        };
        let mut words = image.entrypoint.clone().unwrap_or_default();
        words.extend(if run.args.is_empty() {
            image.cmd.clone().unwrap_or_default()
        } else {
            run.args.clone()
        });
        let source = crate::source::locate(&words, image.workdir.as_deref(), &[]);
        if source
            .as_ref()
            .is_some_and(|s| !image.files.contains_key(s))
        {
            explain_files(daemon, image, &[], source).await;
        }
    }

    // Evidence for whatever went wrong: logs and sockets of containers that are not
    // running or did not answer, read after the probes so they show the final state.
    let failing: Vec<String> = container_names
        .iter()
        .filter(|n| match facts.containers.get(*n) {
            Some(Some(c)) => {
                !c.running || c.restarting || c.paused || probes_failed(plan, &facts, n)
            }
            _ => false,
        })
        .cloned()
        .collect();
    let refreshed = join_all(failing.iter().map(|n| evidence(daemon, n))).await;
    for (n, c) in failing.iter().zip(refreshed) {
        match c? {
            Some(mut c) => {
                if let Some(Some(before)) = facts.containers.get(n) {
                    c.restarts_during_check = (c.restart_count - before.restart_count).max(0);
                }
                c.removed_during_check = c.status == "removing";
                facts.containers.insert(n.clone(), Some(c));
            }
            // Gone since the check began: what it was is kept, and that it went.
            None => {
                if let Some(Some(c)) = facts.containers.get_mut(n) {
                    c.removed_during_check = true;
                    c.running = false;
                    c.published.clear();
                }
            }
        }
    }
    // A start that names a file (the script python could not open, the program exec
    // could not run): read it from the image, then its #! interpreter and, when it is
    // not there, where files of its name are. And the app's own source, the file its
    // command starts, for the line that binds, routes or reads the environment.
    for n in &failing {
        let Some(Some(c)) = facts.containers.get(n) else {
            continue;
        };
        let c = c.clone();
        let stopped = !c.running || c.restarting;
        let (log, error, image_id) = (&c.log_tail, c.error.as_deref(), c.image_id.clone());
        let key = match facts
            .images
            .iter()
            .find(|(_, i)| i.as_ref().is_some_and(|i| i.id == image_id))
        {
            Some((k, _)) => k.clone(),
            None => match daemon.image(&image_id).await? {
                Some(i) => {
                    facts.images.insert(image_id.clone(), Some(i));
                    image_id.clone()
                }
                None => continue,
            },
        };
        let Some(Some(image)) = facts.images.get_mut(&key) else {
            continue;
        };
        let paths = if stopped {
            crate::hints::named_paths(log, error, image.workdir.as_deref())
        } else {
            Vec::new()
        };
        let source = crate::source::path_for(&c, image);
        explain_files(daemon, image, &paths, source).await;
    }
    // A program the engine could not run: which CPU the engine runs programs for tells
    // an image built for another one from a script with a bad first line.
    let exec_format = |s: &str| s.contains("exec format error");
    if facts.containers.values().flatten().any(|c| {
        c.log_tail.iter().any(|l| exec_format(l)) || c.error.as_deref().is_some_and(exec_format)
    }) || facts
        .runs
        .values()
        .any(|r| exec_format(&r.stderr) || r.error.as_deref().is_some_and(exec_format))
    {
        facts.daemon.arch = daemon.arch().await;
    }
    // A host port Docker could not publish: the list of containers says which holds it.
    let port_taken = facts.containers.values().flatten().any(|c| {
        c.error
            .as_deref()
            .is_some_and(|e| e.contains("port is already allocated"))
    });
    let missing = port_taken
        || facts.containers.values().any(Option::is_none)
        || facts.images.values().any(Option::is_none)
        || facts.containers.values().flatten().any(|c| {
            plan.checks.iter().any(|k| matches!(&k.kind, CheckKind::ContainerImage(ContainerImage { container, image }) if container.0 == c.name && !image_matches(&facts, c, &image.full())))
        });
    if missing {
        facts.others = daemon.all_containers().await?;
    }
    // A container the spec names that is not there: what the daemon's recent events say
    // happened to it (removed, renamed).
    // Or one there whose image or -p is not the lab's: whether a `docker run` typed
    // again replaced an earlier one of its name (removed, then created anew).
    let unlike = |c: &ContainerFacts| {
        plan.checks.iter().any(|k| match &k.kind {
            CheckKind::ContainerImage(ContainerImage { container, image }) => {
                container.0 == c.name && !image_matches(&facts, c, &image.full())
            }
            CheckKind::PortPublished(PortPublished { container, mapping }) => {
                container.0 == c.name
                    && !c.published.iter().chain(&c.requested).any(|p| {
                        p.host_port == mapping.host_port
                            && p.container_port == mapping.container_port
                    })
            }
            _ => false,
        })
    };
    let gone: Vec<&String> = facts
        .containers
        .iter()
        .filter(|(_, c)| c.as_ref().is_none_or(unlike))
        .map(|(n, _)| n)
        .collect();
    let histories = join_all(gone.iter().map(|n| daemon.container_history(n))).await;
    let histories: Vec<(String, Vec<crate::facts::EventFact>)> = gone
        .into_iter()
        .cloned()
        .zip(histories)
        .filter(|(_, h)| !h.is_empty())
        .collect();
    facts.events.extend(histories);
    if facts.images.values().any(Option::is_none) {
        facts.other_images = daemon.all_image_tags().await?;
    }
    Ok(facts)
}

fn image_matches(facts: &Facts, c: &ContainerFacts, image: &str) -> bool {
    matches!(facts.images.get(image), Some(Some(i)) if i.id == c.image_id)
}

/// Sends one request outside any plan (used by `labgrade record`), with the same limits
/// as every probe.
pub async fn probe_once(url: &str, expect: &crate::spec::HttpExpect) -> ProbeOutcome {
    match probe::clients(Duration::from_secs(2), url.starts_with("https:")) {
        Ok(clients) => probe::send(&clients, url, expect, Duration::from_secs(5)).await,
        Err(reason) => ProbeOutcome::NotSent { reason },
    }
}

/// Whether a probe through this container got no answer, or not the status it wanted
/// (a 5xx especially: the traceback is in the log).
fn probes_failed(plan: &Plan, facts: &Facts, name: &str) -> bool {
    plan.checks.iter().any(|c| match &c.kind {
        CheckKind::Http(HttpCheck {
            container: Some(n),
            expect,
            ..
        }) if n.0 == name => match facts.probes.get(&c.id) {
            Some(p) => match &p.outcome {
                // An answer without the per-run value is a hard-coded one: the code
                // names the line that holds it.
                ProbeOutcome::Response { status, body, .. } => {
                    !expect.status.matches(*status)
                        || expect.random.as_deref().is_some_and(|t| !body.contains(t))
                }
                _ => true,
            },
            None => false,
        },
        _ => false,
    })
}

/// A fresh look at a container together with its log tail and listening sockets.
async fn evidence(daemon: &Daemon, name: &str) -> Result<Option<ContainerFacts>, DaemonError> {
    let (c, logs) = futures_util::join!(daemon.container(name), settled_log_tail(daemon, name));
    let Some(mut c) = c? else { return Ok(None) };
    c.log_tail = logs;
    if just_crashed_silently(&c) {
        c.log_tail = first_log_lines(daemon, name).await;
    }
    if daemon.local {
        c.listening = c.pid.and_then(sockets::listening);
    }
    // The PID is not visible here (Docker Desktop's VM, rootless, remote, Podman): read
    // the tables inside the container through the engine, where it has a program to.
    if c.listening.is_none()
        && c.running
        && !c.restarting
        && let Some((l, via)) = sockets::listening_via_exec(daemon, &c.id, true).await
    {
        c.listening = Some(l);
        c.listening_via = Some(via);
    }
    // Stopped by a signal (or cleanly): the events tell an OOM kill whose flag lost a
    // race, and a `docker stop`/`docker kill`, from a crash.
    if !c.running && matches!(c.exit_code, Some(0 | 130 | 137 | 143)) {
        let events = daemon.stop_events(&c.id, c.started_at.as_deref()).await;
        c.oom_killed |= events.iter().any(|e| e == "oom");
        c.stop_requested =
            !c.oom_killed && events.iter().any(|e| e == "stop" || e.starts_with("kill"));
    }
    if removed_after_kill(daemon, name, &c).await {
        return Ok(None);
    }
    Ok(Some(c))
}

/// Whether a container SIGKILLed a moment ago, with no request to stop or kill it and no
/// out-of-memory kill on record, was being removed: Podman's `rm -f` logs no kill event,
/// and on a busy machine its removal lands well after the SIGKILL is recorded. Looked at
/// again every 100 ms for 1.5 s at most; `true` when it went.
async fn removed_after_kill(daemon: &Daemon, name: &str, c: &ContainerFacts) -> bool {
    let recent = c
        .finished_at
        .as_deref()
        .and_then(docker::seconds_since)
        .is_some_and(|s| s < 3.0);
    if c.running || c.exit_code != Some(137) || c.oom_killed || c.stop_requested || !recent {
        return false;
    }
    let deadline = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        match daemon.container(name).await {
            Ok(None) => return true,
            Ok(Some(now)) if now.status == "removing" => return true,
            Ok(Some(_)) => {}
            Err(_) => return false,
        }
    }
    false
}

/// What the base, tag and push checks read: the image an image was built FROM, tags
/// like the one wanted on other images, and what registries hold under its tags.
async fn image_provenance(
    daemon: &Daemon,
    plan: &Plan,
    facts: &mut Facts,
    timeout: Duration,
) -> Result<(), DaemonError> {
    use crate::plan::ImageSetting;
    for c in &plan.checks {
        let CheckKind::ImageSetting(ImageSettingCheck { image, setting }) = &c.kind else {
            continue;
        };
        let Some(Some(i)) = facts.images.get_mut(&image.full()) else {
            continue;
        };
        match setting {
            ImageSetting::Base(_) if i.base.is_none() => record_base(daemon, i).await?,
            ImageSetting::TaggedAs(p) if !i.repo_tags.iter().any(|t| p.matches(t)) => {
                i.lookalikes = daemon
                    .all_images()
                    .await?
                    .into_iter()
                    .filter(|(id, _)| *id != i.id)
                    .flat_map(|(_, tags)| tags)
                    .filter(|t| p.matches(t))
                    .collect();
            }
            ImageSetting::PushedTo(r, p) => {
                for t in pushed_tags(i, r, p.as_ref()) {
                    let (_, path, tag) = crate::spec::split_tag(&t);
                    let known = i.pushed_digests(&t);
                    let answer = registry::lookup(r, path, tag, &known, timeout).await;
                    i.registry.insert(t, answer);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Records what the daemon says about an image's ancestry, and the base the pure
/// [`crate::base::base_of`] concludes from it (the layer-order check needs its id to
/// read the base's history).
async fn record_base(
    daemon: &Daemon,
    image: &mut crate::facts::ImageFacts,
) -> Result<(), DaemonError> {
    let evidence = daemon.base_evidence(image).await?;
    image.base = Some(crate::base::base_of(image, &evidence));
    image.base_evidence = Some(evidence);
    Ok(())
}

/// The image's tags that name `registry` (for Docker Hub: a `user/name` without a
/// registry host) and match the wanted pattern, if any: the tags a push would have sent.
fn pushed_tags(
    image: &crate::facts::ImageFacts,
    registry: &str,
    pattern: Option<&crate::spec::ImagePattern>,
) -> Vec<String> {
    let want = crate::spec::registry_host(registry);
    image
        .repo_tags
        .iter()
        .filter(|t| {
            let (host, path, _) = crate::spec::split_tag(t);
            host.map(str::to_owned) == want
                && (host.is_some() || path.contains('/'))
                && pattern.is_none_or(|p| p.matches(t))
        })
        .cloned()
        .collect()
}

/// The log tail once it stops growing: the daemon copies a container's output a moment
/// after the app writes it, and the line that explains a 500 is often the last to land.
/// Polls every 50 ms, for half a second at most.
async fn settled_log_tail(daemon: &Daemon, name: &str) -> Vec<String> {
    let tail = daemon.log_tail(name, docker::LOG_LINES).await;
    settled_from(daemon, name, tail).await
}

/// [`settled_log_tail`] from a tail already read.
async fn settled_from(daemon: &Daemon, name: &str, mut tail: Vec<String>) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(50));
        let Ok(again) = tokio::time::timeout(left, daemon.log_tail(name, docker::LOG_LINES)).await
        else {
            break;
        };
        if again == tail {
            break;
        }
        tail = again;
    }
    tail
}

/// Whether a container exited with an error a moment ago and its log is still empty.
/// Some engines (Podman's log files, a remote engine's copy) write an app's last words
/// a moment after its exit is recorded; grading before they land would say "it printed
/// nothing" about an app whose traceback is on its way.
fn just_crashed_silently(c: &ContainerFacts) -> bool {
    !c.running
        && c.log_tail.is_empty()
        && c.exit_code.is_some_and(|code| code != 0)
        && c.finished_at
            .as_deref()
            .and_then(docker::seconds_since)
            .is_none_or(|s| s < 10.0)
}

/// The log once its first lines land, polled every 50 ms for two seconds at most, then
/// settled like any other.
async fn first_log_lines(daemon: &Daemon, name: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let tail = daemon.log_tail(name, docker::LOG_LINES).await;
        if !tail.is_empty() {
            return settled_from(daemon, name, tail).await;
        }
    }
    Vec::new()
}

/// Whether a container that does not answer yet may still start to: not when it has
/// exited, and not when its app already listens, but somewhere the published port cannot
/// reach (127.0.0.1, or another port). Then the cause is certain and waiting is pointless.
async fn worth_waiting(daemon: &Daemon, name: &str, host_port: Option<u16>) -> bool {
    let Ok(Some(c)) = daemon.container(name).await else {
        return false;
    };
    if !c.running {
        return false;
    }
    let inner = host_port.and_then(|hp| {
        c.published
            .iter()
            .find(|p| p.host_port == hp && p.proto == "tcp")
    });
    let listening = match c.pid.filter(|_| daemon.local).and_then(sockets::listening) {
        Some(l) => Some(l),
        // Asked once per try of the wait: an image with no reader is not asked again.
        None => sockets::listening_via_exec(daemon, &c.id, false)
            .await
            .map(|(l, _)| l),
    };
    // No socket table at all (a FROM scratch image where PIDs are hidden): the app's own
    // log saying where it listens is enough to stop waiting for another port.
    if listening.is_none()
        && let Some(inner) = inner
    {
        let heard = labgrade_core::log_addresses(&daemon.log_tail(name, 50).await);
        let elsewhere = heard
            .iter()
            .any(|h| !h.loopback && h.port.is_some_and(|p| p != inner.container_port));
        let loopback_only = !heard.is_empty() && heard.iter().all(|h| h.loopback);
        if elsewhere || loopback_only {
            return false;
        }
    }
    match (inner, listening) {
        // The host port is not published at all: no amount of waiting publishes it.
        (None, _) if host_port.is_some() => false,
        (Some(inner), Some(l)) if !l.is_empty() => l
            .iter()
            .any(|l| l.port == inner.container_port && !l.is_loopback()),
        _ => true,
    }
}

/// For a path that was 404: which of the spec's other paths for the same container, and a
/// few common ones, this server answers (status, or 0 for no answer), so the report can
/// say "/latency is 404 but /ping answers 200".
async fn other_routes(
    clients: &probe::Clients,
    plan: &Plan,
    container: Option<&ContainerName>,
    url: &str,
) -> Vec<(String, u16)> {
    let Ok(base) = reqwest::Url::parse(url) else {
        return Vec::new();
    };
    let own = base.path().to_string();
    let mut paths: Vec<String> = Vec::new();
    let spec_paths = plan.checks.iter().filter_map(|k| match &k.kind {
        CheckKind::Http(HttpCheck {
            container: c,
            expect,
            ..
        }) if c.as_ref() == container => match &expect.target {
            Target::Path(p) => Some(p.split('?').next().unwrap_or(p).to_string()),
            Target::Url(_) => None,
        },
        _ => None,
    });
    for p in spec_paths.chain(COMMON_PATHS.iter().map(|p| p.to_string())) {
        if p != own && !paths.contains(&p) && paths.len() < 8 {
            paths.push(p);
        }
    }
    let tries = paths.into_iter().map(|p| {
        let mut alt = base.clone();
        alt.set_path(&p);
        alt.set_query(None);
        async move {
            (
                p,
                probe::status_of(clients, alt.as_str(), Duration::from_secs(1)).await,
            )
        }
    });
    join_all(tries).await
}

async fn probe_all(
    daemon: &Daemon,
    plan: &Plan,
    facts: &Facts,
    opts: &ObserveOptions,
) -> BTreeMap<String, ProbeFacts> {
    let http: Vec<_> = plan
        .checks
        .iter()
        .filter_map(|c| match &c.kind {
            CheckKind::Http(HttpCheck {
                container,
                expect,
                port,
                host_ip,
            }) => Some((c, container, expect, port, host_ip)),
            _ => None,
        })
        .collect();
    if http.is_empty() {
        return BTreeMap::new();
    }
    let https = http
        .iter()
        .any(|(_, _, e, _, _)| matches!(&e.target, Target::Url(u) if u.starts_with("https:")));
    let clients = probe::clients(opts.probe_timeout.min(Duration::from_secs(2)), https);
    // A handful of probes at a time per server: a small listen backlog (python -m
    // http.server, busybox httpd) drops the SYNs of a burst, and the kernel's 1 s, 2 s, 4 s
    // retransmits then turn right answers into timeouts.
    let servers: std::sync::Mutex<BTreeMap<String, std::sync::Arc<tokio::sync::Semaphore>>> =
        Default::default();
    let servers = &servers;
    let runs = http
        .iter()
        .map(|(check, container, expect, port, host_ip)| {
            let clients = &clients;
            async move {
                let url = match (&expect.target, port) {
                    (Target::Url(u), _) => u.clone(),
                    (Target::Path(p), Some(port)) => {
                        let host = match host_ip {
                            Some(ip) if daemon.local && ip.is_ipv6() => format!("[{ip}]"),
                            Some(ip) if daemon.local && !ip.is_unspecified() => ip.to_string(),
                            _ => daemon.facts.probe_host.clone(),
                        };
                        format!("http://{host}:{port}{p}")
                    }
                    (Target::Path(p), None) => p.clone(),
                };
                let method = expect.method.to_string();
                let not_sent = |reason: String| ProbeFacts {
                    url: url.clone(),
                    method: method.clone(),
                    attempts: 0,
                    elapsed_ms: 0,
                    outcome: ProbeOutcome::NotSent { reason },
                    alternatives: Vec::new(),
                };
                // A probe through a container's port only makes sense while it runs; the
                // readiness window is what is left of `wait` since it started.
                let clients = match clients {
                    Ok(c) => c,
                    Err(e) => return (check.id.clone(), not_sent(e.clone())),
                };
                let deadline = match container {
                    Some(name) => match facts.containers.get(&name.0) {
                        Some(Some(c)) if c.running && !c.paused && !c.restarting => {
                            let left = opts.wait.unwrap_or(DEFAULT_WAIT).as_secs_f64()
                                - c.running_for_secs.unwrap_or(0.0);
                            Instant::now() + Duration::from_secs_f64(left.max(0.0))
                        }
                        Some(Some(c)) => {
                            return (
                                check.id.clone(),
                                not_sent(format!(
                                    "container {name} is {}",
                                    if c.restarting {
                                        "restarting"
                                    } else {
                                        &c.status
                                    }
                                )),
                            );
                        }
                        _ => {
                            return (
                                check.id.clone(),
                                not_sent(format!("container {name} does not exist")),
                            );
                        }
                    },
                    None => Instant::now(),
                };
                let server = reqwest::Url::parse(&url).map_or(url.clone(), |u| {
                    format!("{:?}:{:?}", u.host_str(), u.port_or_known_default())
                });
                let turn = servers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .entry(server)
                    .or_insert_with(|| {
                        std::sync::Arc::new(tokio::sync::Semaphore::new(PROBES_PER_SERVER))
                    })
                    .clone();
                let _turn = turn.acquire_owned().await;
                let started = Instant::now();
                let timeout = expect.timeout.unwrap_or(opts.probe_timeout);
                let mut attempts = 0;
                let mut backoff = Duration::from_millis(50);
                let outcome = loop {
                    attempts += 1;
                    let outcome = probe::send(clients, &url, expect, timeout).await;
                    let retryable = matches!(
                        outcome,
                        ProbeOutcome::Failed {
                            error: TransportError::Refused
                                | TransportError::Reset
                                | TransportError::EmptyReply,
                            ..
                        }
                    );
                    if !retryable || Instant::now() + backoff >= deadline {
                        break outcome;
                    }
                    if let Some(name) = container
                        && !worth_waiting(daemon, &name.0, **port).await
                    {
                        break outcome;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_millis(400));
                };
                let elapsed_ms = started.elapsed().as_millis() as u64;
                let alternatives = match &outcome {
                    ProbeOutcome::Response { status: 404, .. } => {
                        other_routes(clients, plan, container.as_ref(), &url).await
                    }
                    _ => Vec::new(),
                };
                (
                    check.id.clone(),
                    ProbeFacts {
                        url,
                        method,
                        attempts,
                        elapsed_ms,
                        outcome,
                        alternatives,
                    },
                )
            }
        });
    join_all(runs).await.into_iter().collect()
}
