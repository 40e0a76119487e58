//! Talks to the Docker daemon through bollard and converts what it says into our facts.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{ListContainersOptionsBuilder, LogsOptionsBuilder};
use futures_util::StreamExt;

use crate::facts::{
    BaseEvidence, ContainerBrief, ContainerFacts, DaemonFacts, EventFact, HealthFacts, ImageBrief,
    ImageFacts, MountFact, PublishedPort,
};

/// Lines of container log kept as evidence.
pub(crate) const LOG_LINES: usize = 20;
/// Longest log line kept; the rest is cut.
const LOG_LINE_CAP: usize = 400;
/// Most log bytes read, whatever the number of lines.
const LOG_BYTES_CAP: usize = 64 * 1024;

/// The daemon could not be used; each variant's text says how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(
        "cannot reach the Docker daemon: the socket {path} does not exist.\n  Start the engine: `sudo systemctl start docker` (or `sudo dockerd &`),\n  or point DOCKER_HOST at a running daemon, such as DOCKER_HOST=unix:///run/user/1000/docker.sock"
    )]
    SocketMissing { path: String },
    #[error(
        "permission denied on the Docker socket {path}.\n  Add yourself to the docker group: `sudo usermod -aG docker $USER`, then log out and in again\n  (or run labgrade with sudo)"
    )]
    PermissionDenied { path: String },
    #[error(
        "the Docker daemon at {host} does not answer: {detail}.\n  Start it with `sudo systemctl start docker` (or `sudo dockerd &`), or point DOCKER_HOST at a running daemon"
    )]
    NotAnswering { host: String, detail: String },
    #[error("unsupported DOCKER_HOST `{host}`: use unix:///path/to/docker.sock or tcp://HOST:PORT")]
    BadHost { host: String },
    #[error("the Docker daemon at {host} failed: {detail}")]
    Failed { host: String, detail: String },
}

/// A connected daemon whose API version has been agreed.
#[derive(Clone)]
pub struct Daemon {
    pub(crate) docker: Docker,
    pub(crate) facts: DaemonFacts,
    /// True when the daemon runs on this machine, so its containers' PIDs are ours to read.
    pub(crate) local: bool,
    /// True when the engine is Podman (its `/_ping` names libpod): its log tails lose
    /// the start of a line written in pieces (see [`Daemon::log_tail_since`]).
    pub(crate) podman: bool,
    /// By container id, which of the socket-table readers run inside it works (`None`:
    /// none does), learnt on the first try: the readiness wait asks again and again.
    pub(crate) table_readers: std::sync::Arc<std::sync::Mutex<HashMap<String, Option<usize>>>>,
}

impl Daemon {
    /// Connects the way the `docker` CLI does: DOCKER_HOST, else the default unix socket.
    pub async fn connect() -> Result<Daemon, DaemonError> {
        let host = std::env::var("DOCKER_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string());
        Daemon::connect_to(&host).await
    }

    /// Connects to an explicit host such as `unix:///var/run/docker.sock` or `tcp://10.0.0.2:2375`.
    pub async fn connect_to(host: &str) -> Result<Daemon, DaemonError> {
        // Agree on the API version first, so an older engine (20.10 speaks 1.41) never sees
        // a request it calls "client version is too new". `/_ping` answers with the version
        // in a header and is far cheaper than `/version`, which asks containerd too.
        let not_answering = |detail: String| DaemonError::NotAnswering {
            host: host.into(),
            detail,
        };
        let (server, local, probe_host) = if let Some(path) = host.strip_prefix("unix://") {
            check_socket(path)?;
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| not_answering(e.to_string()))?;
            (
                ping(stream).await.map_err(not_answering)?,
                true,
                "127.0.0.1".to_string(),
            )
        } else if let Some(rest) = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
        {
            let authority = rest.split('/').next().unwrap_or(rest);
            let hostname = authority
                .rsplit_once(':')
                .map_or(authority, |(h, _)| h)
                .trim_matches(['[', ']'])
                .to_string();
            let stream = tokio::time::timeout(
                Duration::from_secs(5),
                tokio::net::TcpStream::connect(authority),
            )
            .await
            .map_err(|_| not_answering("no answer within 5s".into()))?
            .map_err(|e| not_answering(e.to_string()))?;
            let local = matches!(hostname.as_str(), "localhost" | "127.0.0.1" | "::1");
            (ping(stream).await.map_err(not_answering)?, local, hostname)
        } else {
            return Err(DaemonError::BadHost { host: host.into() });
        };
        let Pong {
            version: server,
            podman,
        } = server;
        let ours = bollard::API_DEFAULT_VERSION;
        let version = if (server.major_version, server.minor_version)
            < (ours.major_version, ours.minor_version)
        {
            server
        } else {
            *ours
        };
        let docker = if local && host.starts_with("unix://") {
            Docker::connect_with_unix(host, 60, &version)
        } else {
            let url = format!("http://{}", host.split_once("://").map_or(host, |(_, r)| r));
            Docker::connect_with_http(&url, 60, &version)
        }
        .map_err(|e| not_answering(e.to_string()))?;
        let v = docker.client_version();
        Ok(Daemon {
            facts: DaemonFacts {
                host: host.to_string(),
                api_version: format!("{}.{}", v.major_version, v.minor_version),
                server_version: String::new(),
                probe_host,
                arch: None,
            },
            docker,
            local,
            podman,
            table_readers: Default::default(),
        })
    }

    /// Runs a command in a running container (`docker exec`) and returns its standard
    /// output, capped at `cap` bytes, when it exits 0 within `timeout`.
    pub async fn exec_output(
        &self,
        container: &str,
        cmd: &[&str],
        timeout: Duration,
        cap: usize,
    ) -> Option<String> {
        use bollard::exec::{StartExecOptions, StartExecResults};
        let config = bollard::models::ExecConfig {
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            attach_stdout: Some(true),
            attach_stderr: Some(false),
            ..Default::default()
        };
        let run = async {
            let exec = self.docker.create_exec(container, config).await.ok()?;
            let StartExecResults::Attached { mut output, .. } = self
                .docker
                .start_exec(&exec.id, None::<StartExecOptions>)
                .await
                .ok()?
            else {
                return None;
            };
            let mut out = Vec::new();
            while let Some(Ok(chunk)) = output.next().await {
                if let bollard::container::LogOutput::StdOut { message } = chunk {
                    out.extend_from_slice(&message);
                    if out.len() > cap {
                        out.truncate(cap);
                        break;
                    }
                }
            }
            let done = self.docker.inspect_exec(&exec.id).await.ok()?;
            (done.exit_code == Some(0)).then(|| String::from_utf8_lossy(&out).into_owned())
        };
        tokio::time::timeout(timeout, run).await.ok().flatten()
    }

    /// The CPU architecture the engine runs programs for (`GET /version`'s Arch).
    pub async fn arch(&self) -> Option<String> {
        self.docker
            .version()
            .await
            .ok()
            .and_then(|v| v.arch)
            .filter(|a| !a.is_empty())
    }

    /// The bollard client, for callers that create containers (demo, tests).
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// What was learned about the daemon while connecting.
    pub fn facts(&self) -> &DaemonFacts {
        &self.facts
    }

    /// Inspects an image by `repository:tag`; `Ok(None)` when it does not exist.
    pub async fn image(&self, reference: &str) -> Result<Option<ImageFacts>, DaemonError> {
        match self.docker.inspect_image(reference).await {
            Ok(i) => {
                let cfg = i.config.unwrap_or_default();
                Ok(Some(ImageFacts {
                    id: i.id.unwrap_or_default(),
                    architecture: i.architecture.filter(|a| !a.is_empty()),
                    os: i.os.filter(|o| !o.is_empty()),
                    repo_tags: i.repo_tags.unwrap_or_default(),
                    created: i.created.map(|c| c.to_string()),
                    size: i.size,
                    exposed_ports: cfg.exposed_ports.unwrap_or_default(),
                    cmd: cfg.cmd,
                    entrypoint: cfg.entrypoint,
                    workdir: cfg.working_dir.filter(|w| !w.is_empty()),
                    env: cfg.env.unwrap_or_default(),
                    user: cfg.user.filter(|u| !u.is_empty()),
                    history: Vec::new(),
                    repo_digests: i.repo_digests.unwrap_or_default(),
                    layers: i.root_fs.and_then(|r| r.layers).unwrap_or_default(),
                    base: None,
                    base_evidence: None,
                    lookalikes: Vec::new(),
                    registry: BTreeMap::new(),
                    healthcheck: cfg.healthcheck.and_then(|h| h.test),
                    files: BTreeMap::new(),
                    trees: BTreeMap::new(),
                    named: BTreeMap::new(),
                    similar: BTreeMap::new(),
                    files_error: None,
                }))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(self.failed(&e)),
        }
    }

    /// Inspects a container by name; `Ok(None)` when it does not exist.
    pub async fn container(&self, name: &str) -> Result<Option<ContainerFacts>, DaemonError> {
        let c = match self.docker.inspect_container(name, None).await {
            Ok(c) => c,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => match lenient(&e) {
                Some(c) => c,
                None => return Err(self.failed(&e)),
            },
        };
        // Docker matches a unique id prefix too; only an exact name counts.
        let found_name = c
            .name
            .clone()
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_string();
        if found_name != name {
            return Ok(None);
        }
        let state = c.state.unwrap_or_default();
        let config = c.config.unwrap_or_default();
        let mounts = c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountFact {
                kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                source: m
                    .name
                    .filter(|n| !n.is_empty())
                    .or(m.source)
                    .unwrap_or_default(),
                destination: m.destination.unwrap_or_default(),
            })
            .collect();
        let restart_policy = c
            .host_config
            .as_ref()
            .and_then(|h| h.restart_policy.as_ref())
            .and_then(|r| r.name.map(|n| n.to_string()))
            .filter(|n| !n.is_empty());
        let memory_limit = c
            .host_config
            .as_ref()
            .and_then(|h| h.memory)
            .filter(|m| *m > 0);
        let networks = c
            .network_settings
            .as_ref()
            .and_then(|n| n.networks.as_ref())
            .map(|n| n.keys().cloned().collect())
            .unwrap_or_default();
        let published = c
            .network_settings
            .and_then(|n| n.ports)
            .map(convert_port_map)
            .unwrap_or_default();
        let requested = c
            .host_config
            .and_then(|h| h.port_bindings)
            .map(convert_port_map)
            .unwrap_or_default();
        let health = state.health.as_ref().and_then(|h| {
            let status = h
                .status
                .map(|s| s.to_string())
                .filter(|s| s != "none" && !s.is_empty())?;
            let last = h.log.as_ref().and_then(|l| l.last());
            Some(HealthFacts {
                status,
                failing_streak: h.failing_streak.unwrap_or(0),
                last_exit_code: last.and_then(|l| l.exit_code),
                last_output: last
                    .and_then(|l| l.output.clone())
                    .map(|o| o.chars().take(2000).collect()),
            })
        });
        let running = state.running.unwrap_or(false);
        let started_at = state.started_at.filter(|s| !s.starts_with("0001-"));
        let running_for_secs = if running {
            started_at.as_deref().and_then(seconds_since)
        } else {
            None
        };
        Ok(Some(ContainerFacts {
            id: c.id.unwrap_or_default(),
            name: found_name,
            image_name: config.image.unwrap_or_default(),
            image_id: c.image.unwrap_or_default(),
            status: state.status.map(|s| s.to_string()).unwrap_or_default(),
            running,
            paused: state.paused.unwrap_or(false),
            restarting: state.restarting.unwrap_or(false),
            oom_killed: state.oom_killed.unwrap_or(false),
            exit_code: state.exit_code,
            error: state.error.filter(|e| !e.is_empty()),
            started_at,
            finished_at: state.finished_at.filter(|s| !s.starts_with("0001-")),
            running_for_secs,
            restart_count: c.restart_count.unwrap_or(0),
            pid: state.pid.filter(|p| *p > 0),
            published,
            requested,
            exposed_ports: config.exposed_ports.unwrap_or_default(),
            cmd: config.cmd,
            env: config.env.unwrap_or_default(),
            log_tail: Vec::new(),
            listening: None,
            mounts,
            restart_policy,
            memory_limit,
            labels: config.labels.unwrap_or_default().into_iter().collect(),
            networks,
            restarts_during_check: 0,
            removed_during_check: false,
            stop_requested: false,
            health,
            listening_via: None,
            ready: None,
        }))
    }

    /// The last lines of a container's output (stdout and stderr), capped in size.
    pub async fn log_tail(&self, name: &str, lines: usize) -> Vec<String> {
        self.log_tail_since(name, lines, None).await
    }

    /// The last lines of a container's output written since a time (RFC 3339, such as
    /// its `started_at`): a restarted container's earlier runs left out.
    pub async fn log_tail_since(
        &self,
        name: &str,
        lines: usize,
        since: Option<&str>,
    ) -> Vec<String> {
        let tail = self.log_lines(name, &lines.to_string(), since).await;
        // Podman 4.3's tail drops the pieces of a line that was written in more than one
        // write (conmon's `P` records) when no whole line comes before them
        // (containers/podman#19545): `eprintln!("{msg}")` read in two chunks leaves an
        // empty line where the crash message was. A tail shorter than asked for is the
        // whole log, so reading the whole log costs no more lines and loses nothing.
        if self.podman && tail.len() < lines {
            let mut all = self.log_lines(name, "all", since).await;
            all.drain(..all.len().saturating_sub(lines));
            return all;
        }
        tail
    }

    /// The last `tail` lines (a number, or `all`) of a container's output since a time,
    /// the newest [`LOG_BYTES_CAP`] bytes of them at most, within three seconds.
    async fn log_lines(&self, name: &str, tail: &str, since: Option<&str>) -> Vec<String> {
        let mut opts = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(tail);
        if let Some(t) = since.and_then(parse_rfc3339) {
            opts = opts.since(t.floor() as i32);
        }
        let opts = opts.build();
        let mut stream = self.docker.logs(name, Some(opts));
        let mut bytes = Vec::new();
        // Keep the newest bytes: the crash message is at the end.
        let read = async {
            while let Some(Ok(chunk)) = stream.next().await {
                bytes.extend_from_slice(&chunk.into_bytes());
                if bytes.len() > 2 * LOG_BYTES_CAP {
                    bytes.drain(..bytes.len() - LOG_BYTES_CAP);
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(3), read).await;
        if bytes.len() > LOG_BYTES_CAP {
            bytes.drain(..bytes.len() - LOG_BYTES_CAP);
        }
        tail_lines(&bytes, tail.parse().unwrap_or(usize::MAX))
    }

    /// The `oom`, `kill` and `stop` events the daemon logged for the container since it
    /// started: the state's OOMKilled flag can lose a race with the exit under load, and
    /// only the events tell a `docker stop` from a crash. Bounded: the query ends at now,
    /// and gives up after two seconds.
    pub async fn stop_events(&self, id: &str, started_at: Option<&str>) -> Vec<String> {
        let since = started_at.and_then(parse_rfc3339).map_or(0, |t| t as i64);
        let filters = [
            ("container", vec![id.to_string()]),
            ("event", vec!["oom".into(), "kill".into(), "stop".into()]),
        ];
        self.events(&filters, since, 20)
            .await
            .into_iter()
            .map(|e| e.action)
            .collect()
    }

    /// What happened in the last hour to the containers that were named `name`: their
    /// events, oldest first, found by the name and then by their ids (a `rename` is
    /// logged under the new name). Only exact names count (the daemon's filter also
    /// takes a name's prefix).
    pub async fn container_history(&self, name: &str) -> Vec<EventFact> {
        let since = unix_now() - 3600;
        let kind = ("type", vec!["container".to_string()]);
        let named = self
            .events(
                &[kind.clone(), ("container", vec![name.to_string()])],
                since,
                200,
            )
            .await;
        let mut ids: Vec<String> = named
            .iter()
            .filter(|e| e.name == name)
            .map(|e| e.id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids.truncate(5);
        if ids.is_empty() {
            return Vec::new();
        }
        let mut all = self.events(&[kind, ("container", ids)], since, 200).await;
        all.sort_by_key(|e| e.time_ms);
        all
    }

    /// The daemon's events matching `filters` from `since` until now (the query ends
    /// then, so the stream ends too), at most `cap` of them and two seconds. An engine
    /// that refuses (Podman without events, a proxy) gives none: this is evidence for
    /// a cause, never a reason to fail a check.
    async fn events(
        &self,
        filters: &[(&str, Vec<String>)],
        since: i64,
        cap: usize,
    ) -> Vec<EventFact> {
        let seen = self.events_until(filters, since, cap, true).await;
        if !seen.is_empty() {
            return seen;
        }
        // Podman 4.3 answers a query that ends now (or in the past) with no events at
        // all, the past ones included: ask once more with no end, and take what comes
        // before the stream falls quiet.
        self.events_until(filters, since, cap, false).await
    }

    /// [`Self::events`] with the query ending now (`until`), or else read until the
    /// stream has been quiet for 150 ms.
    async fn events_until(
        &self,
        filters: &[(&str, Vec<String>)],
        since: i64,
        cap: usize,
        until: bool,
    ) -> Vec<EventFact> {
        let filters = filters
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        // Until this very moment, to the nanosecond: the daemon sends what it logged
        // up to then and ends the stream at once (a whole second ahead, it would hold
        // the stream open for the rest of that second).
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let opts = bollard::query_parameters::EventsOptions {
            since: Some(since.to_string()),
            until: until.then(|| format!("{}.{:09}", now.as_secs(), now.subsec_nanos())),
            filters: Some(filters),
        };
        let mut events = self.docker.events(Some(opts));
        let mut seen = Vec::new();
        let quiet = if until {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(150)
        };
        let read = async {
            while let Ok(Some(Ok(e))) = tokio::time::timeout(quiet, events.next()).await {
                let actor = e.actor.unwrap_or_default();
                let attrs = actor.attributes.unwrap_or_default();
                let Some(action) = e.action else { continue };
                seen.push(EventFact {
                    time_ms: e
                        .time_nano
                        .map(|n| n / 1_000_000)
                        .or(e.time.map(|t| t * 1000))
                        .unwrap_or_default(),
                    action: event_action(&action).to_string(),
                    id: actor.id.unwrap_or_default(),
                    name: attrs.get("name").cloned().unwrap_or_default(),
                    // Podman says `containerExitCode`.
                    exit_code: attrs
                        .get("exitCode")
                        .or_else(|| attrs.get("containerExitCode"))
                        .and_then(|c| c.parse().ok()),
                    old_name: attrs
                        .get("oldName")
                        .map(|n| n.trim_start_matches('/').to_string()),
                    image: attrs.get("image").cloned(),
                });
                if seen.len() >= cap {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_secs(2), read).await;
        seen
    }

    /// Every container on the daemon, briefly, for near-miss hints.
    pub async fn all_containers(&self) -> Result<Vec<ContainerBrief>, DaemonError> {
        let opts = ListContainersOptionsBuilder::default().all(true).build();
        let list: Vec<bollard::models::ContainerSummary> =
            match self.docker.list_containers(Some(opts)).await {
                Ok(l) => l,
                Err(e) => lenient(&e).ok_or_else(|| self.failed(&e))?,
            };
        Ok(list
            .into_iter()
            .map(|c| ContainerBrief {
                name: c
                    .names
                    .unwrap_or_default()
                    .first()
                    .cloned()
                    .unwrap_or_default()
                    .trim_start_matches('/')
                    .to_string(),
                image: c.image.unwrap_or_default(),
                status: c.state.map(|s| s.to_string()).unwrap_or_default(),
                host_ports: {
                    let mut p: Vec<u16> = c
                        .ports
                        .unwrap_or_default()
                        .iter()
                        .filter(|p| p.typ.as_ref().is_none_or(|t| t.to_string() == "tcp"))
                        .filter_map(|p| p.public_port)
                        .collect();
                    p.sort_unstable();
                    p.dedup();
                    p
                },
            })
            .collect())
    }

    /// The container of a compose service (running ones first), by compose's labels.
    pub async fn compose_container(
        &self,
        project: Option<&str>,
        service: &str,
    ) -> Result<Option<String>, DaemonError> {
        let service_label = format!("com.docker.compose.service={service}");
        let project_label = project.map(|p| format!("com.docker.compose.project={p}"));
        let labels: Vec<&str> = std::iter::once(service_label.as_str())
            .chain(project_label.as_deref())
            .collect();
        let filters = std::collections::HashMap::from([("label", labels)]);
        let opts = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let mut list = self
            .docker
            .list_containers(Some(opts))
            .await
            .map_err(|e| self.failed(&e))?;
        list.sort_by_key(|c| c.state.as_ref().map(|s| s.to_string()) != Some("running".into()));
        Ok(list.into_iter().find_map(|c| {
            c.names?
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
        }))
    }

    /// The image's build steps, oldest first.
    pub async fn history(&self, reference: &str) -> Result<Vec<String>, DaemonError> {
        let items = self
            .docker
            .image_history(reference)
            .await
            .map_err(|e| self.failed(&e))?;
        Ok(items.into_iter().rev().map(|i| i.created_by).collect())
    }

    /// Every `repository:tag` on the daemon, for near-miss hints.
    pub async fn all_image_tags(&self) -> Result<Vec<String>, DaemonError> {
        let mut tags: Vec<String> = self
            .all_images()
            .await?
            .into_iter()
            .flat_map(|(_, tags)| tags)
            .collect();
        tags.sort();
        Ok(tags)
    }

    /// Every image on the daemon (the top-level ones `docker images` lists): id and tags.
    pub async fn all_images(&self) -> Result<Vec<(String, Vec<String>)>, DaemonError> {
        let list = self
            .docker
            .list_images(None::<bollard::query_parameters::ListImagesOptions>)
            .await
            .map_err(|e| self.failed(&e))?;
        Ok(list
            .into_iter()
            .map(|i| {
                let tags = i
                    .repo_tags
                    .into_iter()
                    .filter(|t| t != "<none>:<none>")
                    .collect();
                (i.id, tags)
            })
            .collect())
    }

    /// What the daemon says about `image`'s ancestry, for [`crate::base::base_of`]: its
    /// parent chain as `docker images --all` lists it, and, when no parent has a tag,
    /// every other tagged image with its creation time and layers.
    pub async fn base_evidence(&self, image: &ImageFacts) -> Result<BaseEvidence, DaemonError> {
        let everything = self
            .docker
            .list_images(Some(
                bollard::query_parameters::ListImagesOptionsBuilder::default()
                    .all(true)
                    .build(),
            ))
            .await
            .map_err(|e| self.failed(&e))?;
        let listed = |id: &str| everything.iter().find(|i| i.id == id);
        let mut parents: Vec<ImageBrief> = Vec::new();
        let mut child = image.id.clone();
        // At most one step per image listed, whatever loop a confused daemon reports.
        for _ in 0..everything.len() {
            let Some(parent) = listed(&child)
                .map(|i| i.parent_id.clone())
                .filter(|p| !p.is_empty())
            else {
                break;
            };
            let tags = listed(&parent)
                .map(|i| i.repo_tags.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|t| t != "<none>:<none>")
                .collect();
            parents.push(ImageBrief {
                id: parent.clone(),
                tags,
                ..ImageBrief::default()
            });
            child = parent;
        }
        let mut others = Vec::new();
        if crate::base::needs_others(&parents) {
            let tagged: Vec<(String, Vec<String>)> = self
                .all_images()
                .await?
                .into_iter()
                .filter(|(id, tags)| *id != image.id && !tags.is_empty())
                .collect();
            let inspected =
                futures_util::future::join_all(tagged.iter().map(|(id, _)| self.image(id))).await;
            // An image removed between the listing and its inspection is left out.
            others = tagged
                .into_iter()
                .zip(inspected)
                .filter_map(|((id, tags), i)| {
                    let i = i.ok().flatten()?;
                    Some(ImageBrief {
                        id,
                        tags,
                        created: i.created,
                        layers: i.layers,
                    })
                })
                .collect();
        }
        Ok(BaseEvidence { parents, others })
    }

    fn failed(&self, e: &BollardError) -> DaemonError {
        DaemonError::Failed {
            host: self.facts.host.clone(),
            detail: short_error(e),
        }
    }
}

/// What an engine's `/_ping` tells: the API version it speaks, and whether it is Podman.
struct Pong {
    version: bollard::ClientVersion,
    podman: bool,
}

/// Sends `GET /_ping` on a fresh connection and reads the daemon's API version header
/// (and Podman's `Libpod-Api-Version`).
async fn ping<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
) -> Result<Pong, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let exchange = async {
        stream
            .write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            .await?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        // The answer is a few headers and "OK"; never read more than 16 KiB.
        while buf.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Ok::<_, std::io::Error>(buf)
    };
    let buf = tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .map_err(|_| "no answer within 10s".to_string())?
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&buf);
    if !text.starts_with("HTTP/") {
        return Err("the answer is not the Docker API".into());
    }
    let header = |name: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let podman = header("libpod-api-version").is_some();
    let version = header("api-version")
        .ok_or_else(|| "the answer to /_ping has no API-Version header".to_string())?;
    let (major, minor) = version
        .split_once('.')
        .ok_or_else(|| format!("unreadable API version `{version}`"))?;
    match (major.parse(), minor.parse()) {
        (Ok(major_version), Ok(minor_version)) => Ok(Pong {
            version: bollard::ClientVersion {
                major_version,
                minor_version,
            },
            podman,
        }),
        _ => Err(format!("unreadable API version `{version}`")),
    }
}

/// Classifies a unix socket problem before bollard gives a vaguer error.
fn check_socket(path: &str) -> Result<(), DaemonError> {
    match std::os::unix::net::UnixStream::connect(path) {
        Ok(_) => Ok(()),
        Err(e) => match e.kind() {
            std::io::ErrorKind::NotFound => Err(DaemonError::SocketMissing { path: path.into() }),
            std::io::ErrorKind::PermissionDenied => {
                Err(DaemonError::PermissionDenied { path: path.into() })
            }
            _ => Err(DaemonError::NotAnswering {
                host: format!("unix://{path}"),
                detail: e.to_string().to_lowercase(),
            }),
        },
    }
}

/// An answer bollard could not read because the engine named a container state Docker
/// does not have (Podman's `stopped`, `configured`, `initialized`), read again with the
/// nearest Docker state in its place.
fn lenient<T: serde::de::DeserializeOwned>(e: &BollardError) -> Option<T> {
    let BollardError::JsonDataError { contents, .. } = e else {
        return None;
    };
    let fixed = contents
        .replace("\"stopped\"", "\"exited\"")
        .replace("\"configured\"", "\"created\"")
        .replace("\"initialized\"", "\"created\"");
    serde_json::from_str(&fixed).ok()
}

/// An event's action as Docker names it. `exec_start: sh -c ...` and `health_status:
/// healthy` carry their detail after a colon: the action is the word. Podman logs a
/// container's removal as `remove`, where Docker says `destroy`.
fn event_action(action: &str) -> &str {
    match action.split(':').next().unwrap_or(action) {
        "remove" => "destroy",
        word => word,
    }
}

/// Whether the engine said the object does not exist. Podman answers a request about a
/// container it is removing at that moment with a 500 that says so ("container … does not
/// exist in database: no such container"): that is a container gone, not a failed engine.
pub(super) fn is_not_found(e: &BollardError) -> bool {
    match e {
        BollardError::DockerResponseServerError {
            status_code: 404, ..
        } => true,
        BollardError::DockerResponseServerError {
            status_code: 500,
            message,
        } => {
            message.ends_with("no such container") || message.contains("does not exist in database")
        }
        _ => false,
    }
}

pub(super) fn short_error(e: &BollardError) -> String {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => format!("HTTP {status_code}: {message}"),
        other => other.to_string(),
    }
}

fn convert_port_map(map: bollard::models::PortMap) -> Vec<PublishedPort> {
    let mut out = Vec::new();
    for (key, bindings) in map {
        let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let Ok(container_port) = port.parse::<u16>() else {
            continue;
        };
        for b in bindings.unwrap_or_default() {
            // Docker lists a binding on all addresses twice (0.0.0.0 and ::); keep one.
            let host_ip = b
                .host_ip
                .filter(|ip| !matches!(ip.as_str(), "0.0.0.0" | "::"))
                .unwrap_or_default();
            out.push(PublishedPort {
                container_port,
                proto: proto.to_string(),
                host_ip,
                host_port: b.host_port.and_then(|p| p.parse().ok()).unwrap_or(0),
            });
        }
    }
    out.sort_by(|a, b| {
        (a.container_port, &a.proto, a.host_port, &a.host_ip).cmp(&(
            b.container_port,
            &b.proto,
            b.host_port,
            &b.host_ip,
        ))
    });
    out.dedup();
    out
}

/// Splits log bytes into at most `n` last lines, each capped and made printable later.
pub(crate) fn tail_lines(bytes: &[u8], n: usize) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| {
            // Colours and cursor moves are formatting, not content.
            let l = labgrade_core::report::without_escapes(l.trim_end_matches('\r'));
            labgrade_core::report::truncate(&l, LOG_LINE_CAP)
        })
        .collect()
}

/// Seconds between an RFC 3339 timestamp from the daemon and now.
/// The clock, in seconds since 1970.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn seconds_since(ts: &str) -> Option<f64> {
    let then = parse_rfc3339(ts)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs_f64();
    Some((now - then).max(0.0))
}

/// Parses `2026-11-22T21:06:01.123456789Z` (the daemon always speaks UTC) into Unix seconds.
pub(crate) fn parse_rfc3339(ts: &str) -> Option<f64> {
    let (date, time) = ts.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+']).next()?;
    let mut t = time.split(':');
    let (h, min) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let sec: f64 = t.next()?.parse().ok()?;
    // Days from civil date (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some((days * 86400 + h * 3600 + min * 60) as f64 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/_ping` as the engine answers it, through an in-memory pipe.
    async fn pong(answer: &'static str) -> Result<Pong, String> {
        let (ours, mut theirs) = tokio::io::duplex(4096);
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut request = [0u8; 256];
            let _ = theirs.read(&mut request).await;
            let _ = theirs.write_all(answer.as_bytes()).await;
        });
        ping(ours).await
    }

    #[tokio::test]
    async fn ping_tells_podman_from_docker() {
        // Recorded from Docker 20.10 and Podman 4.3.
        let docker = pong("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nOstype: linux\r\nServer: Docker/20.10.24+dfsg1 (linux)\r\nContent-Length: 2\r\n\r\nOK").await.unwrap();
        assert!(!docker.podman);
        assert_eq!(
            (docker.version.major_version, docker.version.minor_version),
            (1, 41)
        );
        let podman = pong("HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nLibpod-Api-Version: 4.3.1\r\nLibpod-Buildah-Version: 1.28.2\r\nServer: Libpod/4.3.1 (linux)\r\nContent-Length: 2\r\n\r\nOK").await.unwrap();
        assert!(podman.podman);
        assert_eq!(podman.version.minor_version, 41);
        let err = pong("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nOK").await.err();
        assert_eq!(
            err.as_deref(),
            Some("the answer to /_ping has no API-Version header")
        );
    }

    #[test]
    fn log_lines_lose_colours_not_content() {
        let log = "\u{1b}[31m\u{1b}[1mWARNING: This is a development server.\u{1b}[0m\n\u{1b}]0;title\u{7}ready \u{1b}]2;t\u{1b}\\ok\nNUL:\u{0}: lone \u{1b} end\n";
        assert_eq!(
            tail_lines(log.as_bytes(), 10),
            [
                "WARNING: This is a development server.",
                "ready ok",
                "NUL:\u{0}: lone \u{1b} end"
            ]
        );
    }

    #[test]
    fn log_lines_lose_odd_sequences_too() {
        let log = concat!(
            "\u{1b}]0;pwned title\u{7}\u{1b}[38;5;196mred\u{1b}[0m ",
            "\u{1b}[38;2;255;0;0mtrue\u{1b}[m \u{1b}[2J\u{1b}[H\u{1b}[10;20Hmoved\u{1b}[3A\u{1b}[K ",
            "\u{1b}[?25lcursor\u{1b}[?25h \u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\ ",
            "\u{9b}31mc1\u{1b}(B\tend\r\n",
            "\u{1b}]2;a title that never ends\n",
        );
        assert_eq!(
            tail_lines(log.as_bytes(), 10),
            ["red true moved cursor link c1\tend", ""]
        );
    }

    #[test]
    fn podmans_500_for_a_container_being_removed_is_not_found() {
        let gone = BollardError::DockerResponseServerError {
            status_code: 500,
            message: "container 1474dc96051a does not exist in database: no such container".into(),
        };
        assert!(is_not_found(&gone));
        let broken = BollardError::DockerResponseServerError {
            status_code: 500,
            message: "runtime error: invalid memory address".into(),
        };
        assert!(!is_not_found(&broken));
    }

    #[test]
    fn podman_events_are_named_as_dockers() {
        assert_eq!(super::event_action("remove"), "destroy");
        assert_eq!(super::event_action("destroy"), "destroy");
        assert_eq!(super::event_action("exec_start: sh -c cat"), "exec_start");
    }

    #[test]
    fn podman_states_are_read_as_dockers() {
        let e = BollardError::JsonDataError {
            message: "unknown variant `stopped`".into(),
            contents: r#"[{"Id":"abc","Names":["/web"],"State":"stopped","Status":"Exited (0)"}]"#
                .into(),
            column: 40,
        };
        let list: Vec<bollard::models::ContainerSummary> = lenient(&e).unwrap();
        assert_eq!(
            list[0].state.map(|s| s.to_string()).as_deref(),
            Some("exited")
        );
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(parse_rfc3339("2000-03-01T00:00:01.5Z"), Some(951868801.5));
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    #[test]
    fn log_tail_is_capped() {
        let mut log = b"one\ntwo\r\nthree\n".to_vec();
        log.extend(vec![b'x'; 1000]);
        let t = tail_lines(&log, 3);
        assert_eq!(t[0], "two");
        assert_eq!(t[1], "three");
        assert!(t[2].chars().count() == LOG_LINE_CAP + 1);
    }
}
