//! A small builder of [`Facts`], the struct the observer records from a real daemon, so
//! that judgement tests say only what matters to the case. What a case does not set
//! keeps a value a real run records (see tests/fixtures/*/facts.json at the repo root):
//! a local daemon, an image with a PATH, a running container with no ports.

#![allow(dead_code)]

use std::collections::BTreeMap;

use labgrade_core::cause::CauseId;
use labgrade_core::facts::{
    BaseFacts, ContainerBrief, ContainerFacts, DaemonFacts, Facts, FileFacts, HealthFacts,
    ImageFacts, Listener, MountFact, ProbeFacts, ProbeOutcome, PublishedPort, RegistryFacts,
    RunFacts, Suspect, TransportError, TreeFacts,
};
use labgrade_core::plan::Plan;
use labgrade_core::verdict::{Finding, Outcome, Verdict, judge};

/// The PATH every Debian-based image sets.
pub const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A stable, realistic `sha256:` id made from a name (the same name, the same id).
pub fn sha(name: &str) -> String {
    let mut out = String::from("sha256:");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0u64..4 {
        for b in name.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
    }
    out
}

/// `repository:tag` as the facts key images, from a name as typed (`nautilus/python-app`).
pub fn full(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}

#[derive(Debug, Clone)]
pub struct FactsBuilder {
    facts: Facts,
}

impl Default for FactsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl FactsBuilder {
    /// A local daemon and nothing on it.
    pub fn new() -> Self {
        FactsBuilder {
            facts: Facts {
                daemon: DaemonFacts {
                    host: "unix:///var/run/docker.sock".into(),
                    api_version: "1.43".into(),
                    server_version: "24.0.7".into(),
                    probe_host: "127.0.0.1".into(),
                    arch: None,
                },
                ..Default::default()
            },
        }
    }

    /// An image the spec names, keyed `repository:tag`.
    pub fn image(mut self, tag: &str, f: impl FnOnce(ImageB) -> ImageB) -> Self {
        let tag = full(tag);
        let i = f(ImageB::new(&tag)).0;
        self.facts.images.insert(tag, Some(i));
        self
    }

    /// An image the spec names that does not exist.
    pub fn no_image(mut self, tag: &str) -> Self {
        self.facts.images.insert(full(tag), None);
        self
    }

    /// Another `repository:tag` on the daemon (read when a spec image is missing).
    pub fn other_image(mut self, tag: &str) -> Self {
        self.facts.other_images.push(tag.into());
        self
    }

    /// A container the spec names, found on the daemon.
    pub fn container(mut self, name: &str, f: impl FnOnce(ContainerB) -> ContainerB) -> Self {
        let c = f(ContainerB::new(name)).0;
        self.facts.containers.insert(name.into(), Some(c));
        self
    }

    /// A container the spec names, graded under `key` (a compose service's container is
    /// keyed by the spec's name for it, but has its own name).
    pub fn container_as(
        mut self,
        key: &str,
        name: &str,
        f: impl FnOnce(ContainerB) -> ContainerB,
    ) -> Self {
        let c = f(ContainerB::new(name)).0;
        self.facts.containers.insert(key.into(), Some(c));
        self
    }

    /// What the daemon's events say happened to a container that is gone.
    pub fn events(mut self, name: &str, events: Vec<labgrade_core::facts::EventFact>) -> Self {
        self.facts.events.insert(name.into(), events);
        self
    }

    /// A container the spec names that does not exist.
    pub fn no_container(mut self, name: &str) -> Self {
        self.facts.containers.insert(name.into(), None);
        self
    }

    /// Another container on the daemon, for the near-miss hints.
    pub fn other(mut self, name: &str, image: &str, status: &str) -> Self {
        self.facts.others.push(ContainerBrief {
            name: name.into(),
            image: image.into(),
            status: status.into(),
            host_ports: Vec::new(),
        });
        self
    }

    /// Another container on the daemon that publishes these host ports.
    pub fn other_publishing(mut self, name: &str, image: &str, ports: &[u16]) -> Self {
        self.facts.others.push(ContainerBrief {
            name: name.into(),
            image: image.into(),
            status: "running".into(),
            host_ports: ports.to_vec(),
        });
        self
    }

    /// What the HTTP check `check_id` got, sent to `url`.
    pub fn probe(mut self, check_id: &str, url: &str, outcome: ProbeOutcome) -> Self {
        self.facts.probes.insert(
            check_id.into(),
            ProbeFacts {
                url: url.into(),
                method: check_id
                    .rsplit(':')
                    .next()
                    .and_then(|r| r.split_whitespace().next())
                    .filter(|m| m.chars().all(|c| c.is_ascii_uppercase()))
                    .unwrap_or("GET")
                    .into(),
                attempts: 1,
                elapsed_ms: 12,
                outcome,
                alternatives: Vec::new(),
            },
        );
        self
    }

    /// A probe with the other paths tried after a 404.
    pub fn probe_with_alternatives(
        self,
        check_id: &str,
        url: &str,
        outcome: ProbeOutcome,
        alternatives: &[(&str, u16)],
    ) -> Self {
        let mut b = self.probe(check_id, url, outcome);
        b.facts.probes.get_mut(check_id).unwrap().alternatives = alternatives
            .iter()
            .map(|(p, s)| (p.to_string(), *s))
            .collect();
        b
    }

    /// How the one-shot run `check_id` went.
    pub fn run(mut self, check_id: &str, run: RunFacts) -> Self {
        self.facts.runs.insert(check_id.into(), run);
        self
    }

    /// A project file and its text.
    pub fn file(mut self, path: &str, text: &str) -> Self {
        self.facts.files.insert(path.into(), Some(text.into()));
        self
    }

    /// A project file the checks read that is not there.
    pub fn no_file(mut self, path: &str) -> Self {
        self.facts.files.insert(path.into(), None);
        self
    }

    /// The CPU architecture the engine runs programs for.
    pub fn engine_arch(mut self, arch: &str) -> Self {
        self.facts.daemon.arch = Some(arch.into());
        self
    }

    /// The value `{{random}}` stood for in this run.
    pub fn random(mut self, token: &str) -> Self {
        self.facts.random = Some(token.into());
        self
    }

    pub fn build(self) -> Facts {
        self.facts
    }
}

/// An image as `docker image inspect` describes it.
#[derive(Debug, Clone)]
pub struct ImageB(pub ImageFacts);

impl ImageB {
    fn new(tag: &str) -> Self {
        ImageB(ImageFacts {
            id: sha(tag),
            repo_tags: vec![tag.into()],
            created: Some("2026-11-22T22:11:37.011937632Z".into()),
            size: Some(152_430_112),
            env: vec![PATH.into(), "LANG=C.UTF-8".into()],
            layers: vec![sha("layer:base"), sha(&format!("layer:{tag}"))],
            ..Default::default()
        })
    }
    pub fn id(mut self, id: &str) -> Self {
        self.0.id = id.into();
        self
    }
    /// `EXPOSE port` (tcp).
    pub fn exposed(mut self, port: u16) -> Self {
        self.0.exposed_ports.push(format!("{port}/tcp"));
        self
    }
    pub fn cmd<const N: usize>(mut self, cmd: [&str; N]) -> Self {
        self.0.cmd = Some(cmd.iter().map(|s| s.to_string()).collect());
        self
    }
    /// CMD in shell form, as the image records it.
    pub fn shell_cmd(mut self, line: &str) -> Self {
        self.0.cmd = Some(vec!["/bin/sh".into(), "-c".into(), line.into()]);
        self
    }
    pub fn entrypoint<const N: usize>(mut self, e: [&str; N]) -> Self {
        self.0.entrypoint = Some(e.iter().map(|s| s.to_string()).collect());
        self
    }
    pub fn shell_entrypoint(mut self, line: &str) -> Self {
        self.0.entrypoint = Some(vec!["/bin/sh".into(), "-c".into(), line.into()]);
        self
    }
    pub fn workdir(mut self, w: &str) -> Self {
        self.0.workdir = Some(w.into());
        self
    }
    pub fn env(mut self, kv: &str) -> Self {
        self.0.env.push(kv.into());
        self
    }
    pub fn user(mut self, u: &str) -> Self {
        self.0.user = Some(u.into());
        self
    }
    pub fn size(mut self, bytes: i64) -> Self {
        self.0.size = Some(bytes);
        self
    }
    pub fn no_size(mut self) -> Self {
        self.0.size = None;
        self
    }
    /// `docker history` steps, oldest first.
    pub fn history<const N: usize>(mut self, steps: [&str; N]) -> Self {
        self.0.history = steps.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn tag(mut self, tag: &str) -> Self {
        self.0.repo_tags.push(tag.into());
        self
    }
    /// Built FROM the local image with these tags.
    pub fn base<const N: usize>(mut self, tags: [&str; N]) -> Self {
        self.0.base = Some(BaseFacts::Found {
            id: sha(tags.first().copied().unwrap_or("untagged base")),
            tags: tags.iter().map(|s| s.to_string()).collect(),
        });
        self
    }
    pub fn base_unknown(mut self) -> Self {
        self.0.base = Some(BaseFacts::Unknown);
        self
    }
    /// Another image's tag like the one `tagged_as` wants (an older build).
    pub fn lookalike(mut self, tag: &str) -> Self {
        self.0.lookalikes.push(tag.into());
        self
    }
    /// Pushed (or pulled) under `repository@digest`.
    pub fn digest(mut self, repo_digest: &str) -> Self {
        self.0.repo_digests.push(repo_digest.into());
        self
    }
    /// What the registry said about one of the image's tags.
    pub fn registry(mut self, tag: &str, answer: RegistryFacts) -> Self {
        self.0.registry.insert(tag.into(), answer);
        self
    }
    /// A text file in the image, owned by root, mode 0644.
    pub fn text_file(mut self, path: &str, text: &str) -> Self {
        self.0.files.insert(
            path.into(),
            Some(FileFacts {
                kind: "file".into(),
                size: text.len() as u64,
                mode: 0o644,
                text: Some(text.into()),
                ..Default::default()
            }),
        );
        self
    }
    /// A path in the image of another kind (`dir`, `symlink`) or with its own mode/owner.
    pub fn entry(mut self, path: &str, f: FileFacts) -> Self {
        self.0.files.insert(path.into(), Some(f));
        self
    }
    /// A path the checks asked about that the image does not hold.
    pub fn no_path(mut self, path: &str) -> Self {
        self.0.files.insert(path.into(), None);
        self
    }
    /// The image's system paths as a Debian-based Python image has them.
    pub fn debian_python(self) -> Self {
        self.text_file("/bin/sh", "")
            .text_file("/usr/sbin/useradd", "")
            .no_path("/sbin/apk")
            .text_file("/usr/local/bin/python3", "")
            .no_path("/usr/bin/curl")
    }
    /// The platform it was built for: `("arm64", "linux")`.
    pub fn platform(mut self, arch: &str, os: &str) -> Self {
        self.0.architecture = Some(arch.into());
        self.0.os = Some(os.into());
        self
    }
    /// The HEALTHCHECK test it declares.
    pub fn healthcheck<const N: usize>(mut self, test: [&str; N]) -> Self {
        self.0.healthcheck = Some(test.iter().map(|s| s.to_string()).collect());
        self
    }
    /// A folder walked for secrets, with the suspects found (`(path, private key)`).
    pub fn tree(mut self, root: &str, entries: u64, suspects: &[(&str, bool)]) -> Self {
        self.0.trees.insert(
            root.into(),
            TreeFacts {
                entries,
                suspects: suspects
                    .iter()
                    .map(|(p, k)| Suspect {
                        path: p.to_string(),
                        private_key: *k,
                    })
                    .collect(),
                truncated: false,
            },
        );
        self
    }
    /// The engine would not give the image's files.
    pub fn files_error(mut self, e: &str) -> Self {
        self.0.files_error = Some(e.into());
        self
    }
}

/// A container as `docker inspect` describes it; running unless told otherwise.
#[derive(Debug, Clone)]
pub struct ContainerB(pub ContainerFacts);

impl ContainerB {
    fn new(name: &str) -> Self {
        ContainerB(ContainerFacts {
            id: sha(&format!("container:{name}"))
                .trim_start_matches("sha256:")
                .into(),
            name: name.into(),
            image_name: "IMAGE-NOT-SET".into(),
            image_id: sha("IMAGE-NOT-SET"),
            status: "running".into(),
            running: true,
            exit_code: Some(0),
            started_at: Some("2026-11-22T22:11:39.059716198Z".into()),
            finished_at: None,
            running_for_secs: Some(95.0),
            pid: Some(874),
            env: vec![PATH.into(), "LANG=C.UTF-8".into()],
            listening: Some(Vec::new()),
            restart_policy: Some("no".into()),
            networks: vec!["bridge".into()],
            ..Default::default()
        })
    }
    /// Created from this image (as typed at `docker run`), whose id the builder's image
    /// of that name has.
    pub fn image(mut self, name: &str) -> Self {
        self.0.image_name = name.into();
        self.0.image_id = sha(&full(name));
        self
    }
    pub fn image_id(mut self, id: &str) -> Self {
        self.0.image_id = id.into();
        self
    }
    /// Its health: status, failing streak and the last probe's exit code and output.
    pub fn health(mut self, status: &str, streak: i64, last: Option<(i64, &str)>) -> Self {
        self.0.health = Some(HealthFacts {
            status: status.into(),
            failing_streak: streak,
            last_exit_code: last.map(|l| l.0),
            last_output: last.map(|l| l.1.to_string()),
        });
        self
    }
    pub fn running(self) -> Self {
        self
    }
    fn stopped(mut self, status: &str) -> Self {
        self.0.status = status.into();
        self.0.running = false;
        self.0.pid = None;
        self.0.running_for_secs = None;
        self.0.published.clear();
        self.0.listening = None;
        self
    }
    pub fn exited(mut self, code: i64) -> Self {
        self = self.stopped("exited");
        self.0.exit_code = Some(code);
        self.0.finished_at = Some("2026-11-22T22:11:40.118209913Z".into());
        self
    }
    pub fn created(mut self) -> Self {
        self = self.stopped("created");
        self.0.exit_code = Some(0);
        self.0.started_at = None;
        self
    }
    pub fn paused(mut self) -> Self {
        self.0.status = "paused".into();
        self.0.paused = true;
        self
    }
    /// In a restart loop: Docker restarted it `count` times so far.
    pub fn restarting(mut self, count: i64) -> Self {
        self = self.stopped("restarting");
        self.0.restarting = true;
        self.0.running = true;
        self.0.exit_code = Some(1);
        self.0.restart_count = count;
        self.0.restart_policy = Some("always".into());
        self
    }
    pub fn oom_killed(mut self) -> Self {
        self = self.exited(137);
        self.0.oom_killed = true;
        self
    }
    /// The daemon's start error (`State.Error`).
    pub fn error(mut self, e: &str) -> Self {
        self.0.error = Some(e.into());
        self
    }
    pub fn restarts_during_check(mut self, n: i64) -> Self {
        self.0.restarts_during_check = n;
        self.0.restart_count = n;
        self
    }
    /// `-p host:container`: published while it runs, requested either way.
    pub fn published(self, host: u16, container: u16) -> Self {
        self.published_on("", host, container)
    }
    pub fn published_on(mut self, ip: &str, host: u16, container: u16) -> Self {
        let p = PublishedPort {
            container_port: container,
            proto: "tcp".into(),
            host_ip: ip.into(),
            host_port: host,
        };
        if self.0.running {
            self.0.published.push(p.clone());
        }
        self.0.requested.push(p);
        if !self.0.exposed_ports.contains(&format!("{container}/tcp")) {
            self.0.exposed_ports.push(format!("{container}/tcp"));
        }
        self
    }
    /// EXPOSEd by its image (without publishing).
    pub fn exposed(mut self, port: u16) -> Self {
        self.0.exposed_ports.push(format!("{port}/tcp"));
        self
    }
    /// A TCP socket listening inside the container.
    pub fn listening(mut self, ip: &str, port: u16) -> Self {
        self.0
            .listening
            .get_or_insert_with(Vec::new)
            .push(Listener {
                ip: ip.into(),
                port,
            });
        self
    }
    /// The socket table could not be read (Docker Desktop: no /proc of the VM).
    pub fn no_socket_table(mut self) -> Self {
        self.0.listening = None;
        self
    }
    /// The command it runs (its CMD, as `docker inspect` shows it).
    pub fn cmd<const N: usize>(mut self, cmd: [&str; N]) -> Self {
        self.0.cmd = Some(cmd.iter().map(|s| s.to_string()).collect());
        self
    }
    pub fn log<const N: usize>(mut self, lines: [&str; N]) -> Self {
        self.0.log_tail = lines.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn env(mut self, kv: &str) -> Self {
        self.0.env.push(kv.into());
        self
    }
    /// The command the container runs (`docker run IMAGE WORDS...`).
    pub fn command<const N: usize>(mut self, words: [&str; N]) -> Self {
        self.0.cmd = Some(words.iter().map(|s| s.to_string()).collect());
        self
    }
    pub fn mount(mut self, kind: &str, source: &str, destination: &str) -> Self {
        self.0.mounts.push(MountFact {
            kind: kind.into(),
            source: source.into(),
            destination: destination.into(),
        });
        self
    }
    /// Removed (`docker rm -f`) while it was being checked: gone when its evidence was read.
    pub fn removed_during_check(mut self) -> Self {
        self.0.removed_during_check = true;
        self.0.running = false;
        self.0.published.clear();
        self
    }
    /// `docker run --memory BYTES`.
    pub fn memory(mut self, bytes: i64) -> Self {
        self.0.memory_limit = Some(bytes);
        self
    }
    pub fn restart(mut self, policy: &str) -> Self {
        self.0.restart_policy = Some(policy.into());
        self
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0.labels.insert(k.into(), v.into());
        self
    }
    /// A container docker compose made for `service` of `project`.
    pub fn compose(self, project: &str, service: &str) -> Self {
        self.label("com.docker.compose.project", project)
            .label("com.docker.compose.service", service)
            .label("com.docker.compose.oneoff", "False")
            .networks([&format!("{project}_default")])
    }
    pub fn networks<const N: usize>(mut self, nets: [&str; N]) -> Self {
        self.0.networks = nets.iter().map(|s| s.to_string()).collect();
        self
    }
}

/// A response as the probe records it.
pub fn response(status: u16, content_type: &str, body: &str) -> ProbeOutcome {
    ProbeOutcome::Response {
        status,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("content-length".into(), body.len().to_string()),
            ("server".into(), "Werkzeug/3.0.1 Python/3.11.6".into()),
        ],
        body: body.into(),
        truncated: false,
    }
}

/// A response with extra headers.
pub fn response_with(status: u16, headers: &[(&str, &str)], body: &str) -> ProbeOutcome {
    ProbeOutcome::Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.into(),
        truncated: false,
    }
}

/// A transport failure with the message hyper/reqwest gives for it.
pub fn failed(error: TransportError) -> ProbeOutcome {
    let message = match error {
        TransportError::Refused => "tcp connect error: Connection refused (os error 111)",
        TransportError::Reset => "connection error: Connection reset by peer (os error 104)",
        TransportError::EmptyReply => "connection closed before message completed",
        TransportError::ConnectTimeout => "tcp connect error: deadline has elapsed",
        TransportError::Timeout => "operation timed out",
        TransportError::SlowBody => "error reading a body from connection: operation timed out",
        TransportError::CutShort => "error reading a body from connection: unexpected end of file",
        TransportError::NotHttp => "invalid HTTP version parsed",
        TransportError::HeadersTooLarge => "message head is too large",
        TransportError::RedirectLoop => "too many redirects",
        TransportError::Dns => {
            "dns error: failed to lookup address information: Name or service not known"
        }
        TransportError::Other => "builder error: relative URL without a base",
    };
    ProbeOutcome::Failed {
        error,
        message: message.into(),
    }
}

/// A run that finished.
pub fn ran(exit_code: i64, stdout: &str, stderr: &str) -> RunFacts {
    RunFacts {
        exit_code: Some(exit_code),
        stdout: stdout.into(),
        stderr: stderr.into(),
        timed_out: false,
        error: None,
        elapsed_ms: 640,
    }
}

/// Parses a spec as `labgrade check` does, plans it and judges the facts.
pub fn verdict(spec: &str, facts: &Facts) -> Verdict {
    let spec = labgrade_core::plan::parse(spec, "lab.yaml").unwrap_or_else(|e| panic!("{e}"));
    judge(&Plan::for_facts(&spec, facts), facts)
}

pub fn finding<'a>(v: &'a Verdict, id: &str) -> &'a Finding {
    v.findings.iter().find(|f| f.id == id).unwrap_or_else(|| {
        let ids: Vec<&str> = v.findings.iter().map(|f| f.id.as_str()).collect();
        panic!("no finding {id}; the plan has {ids:?}")
    })
}

/// One row of a table test: a situation and what the judgement of one check must say.
pub struct Case {
    pub name: String,
    pub spec: String,
    pub facts: Facts,
    pub check: String,
    pub outcome: Outcome,
    pub cause_id: Option<CauseId>,
    /// Whether the finding gives a fix to type.
    pub fix: bool,
}

impl Case {
    /// A case whose check must fail with `cause_id` and a fix.
    pub fn fails(
        name: impl Into<String>,
        spec: &str,
        check: &str,
        cause_id: CauseId,
        facts: FactsBuilder,
    ) -> Case {
        Case {
            name: name.into(),
            spec: spec.into(),
            facts: facts.build(),
            check: check.into(),
            outcome: Outcome::Fail,
            cause_id: Some(cause_id),
            fix: true,
        }
    }
    /// A case whose check must pass.
    pub fn passes(name: impl Into<String>, spec: &str, check: &str, facts: FactsBuilder) -> Case {
        Case {
            name: name.into(),
            spec: spec.into(),
            facts: facts.build(),
            check: check.into(),
            outcome: Outcome::Pass,
            cause_id: None,
            fix: false,
        }
    }
    /// The finding gives no fix.
    pub fn no_fix(mut self) -> Case {
        self.fix = false;
        self
    }
    pub fn outcome(mut self, o: Outcome) -> Case {
        self.outcome = o;
        self
    }
}

/// Judges every case, asserts its outcome, cause id and fix, and returns the wording of
/// every finding for a snapshot (one block per case).
pub fn run_table(cases: &[Case]) -> String {
    let mut names = std::collections::BTreeSet::new();
    let mut out = String::new();
    let mut wrong = Vec::new();
    for c in cases {
        assert!(names.insert(c.name.clone()), "two cases named {}", c.name);
        let v = verdict(&c.spec, &c.facts);
        let f = finding(&v, &c.check);
        if f.outcome != c.outcome || f.cause_id != c.cause_id || f.fix.is_some() != c.fix {
            wrong.push(format!(
                "{}: want {:?} {:?} fix={}, got {:?} {:?} fix={:?}\n  found: {}\n  cause: {:?}",
                c.name,
                c.outcome,
                c.cause_id,
                c.fix,
                f.outcome,
                f.cause_id,
                f.fix,
                f.found,
                f.cause
            ));
        }
        match f.outcome {
            Outcome::Pass => {
                assert!(
                    f.cause.is_none() && f.cause_id.is_none() && f.fix.is_none(),
                    "{}: a pass carries no cause: {f:?}",
                    c.name
                );
                assert_eq!(f.points, f.max_points, "{}", c.name);
            }
            _ => {
                assert!(
                    f.cause.is_some() && f.cause_id.is_some(),
                    "{}: a failure says why: {f:?}",
                    c.name
                );
                assert_eq!(f.points, 0, "{}", c.name);
            }
        }
        out.push_str(&describe(&c.name, f));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    out
}

/// A finding as a reviewer reads it.
pub fn describe(name: &str, f: &Finding) -> String {
    let mut s = format!("## {name}\n");
    s.push_str(&format!("check:    {}\n", f.id));
    s.push_str(&format!(
        "outcome:  {}{}\n",
        serde_json::to_value(f.outcome).unwrap().as_str().unwrap(),
        f.cause_id
            .map_or(String::new(), |c| format!(" ({})", c.as_str()))
    ));
    s.push_str(&format!("expected: {}\n", f.expected));
    s.push_str(&format!("found:    {}\n", f.found));
    if let Some(c) = &f.cause {
        s.push_str(&format!("cause:    {c}\n"));
    }
    if let Some(x) = &f.fix {
        s.push_str(&format!("fix:      {x}\n"));
    }
    if let Some(b) = &f.because_of {
        s.push_str(&format!("because:  {b}\n"));
    }
    for e in &f.evidence {
        s.push_str(&format!("evidence: {e}\n"));
    }
    s.push('\n');
    s
}

/// Keyed maps of facts for the few cases that need them by hand.
pub fn map<V: Clone>(pairs: &[(&str, V)]) -> BTreeMap<String, V> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}
