//! Creating, starting, listing and removing labelled containers, images and networks
//! through the API: the sample lab's containers, a batch's sandboxed submissions on
//! networks of their own, one-shot runs' leftovers and a batch's clean-up all use these;
//! and the host firewall rule that keeps those networks from the grading host's services.

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, ListImagesOptionsBuilder,
    RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};

use super::{Daemon, DaemonError};

/// Label put on everything labgrade's demo and tests create, for cleanup.
pub const SAMPLE_LABEL: &str = "io.labgrade.sample";

/// How to run one sample container.
#[derive(Debug, Clone, Default)]
pub struct RunSpec<'a> {
    pub name: &'a str,
    pub image: &'a str,
    /// Arguments after `labgrade serve`, e.g. `["--listen", "127.0.0.1:8088"]`.
    pub args: Vec<String>,
    /// `(host_port, container_port)` pairs, published on all host addresses.
    pub ports: Vec<(u16, u16)>,
    /// Create the container but do not start it.
    pub no_start: bool,
    /// Restart it whenever it stops (`--restart always`).
    pub restart_always: bool,
    /// `KEY=value` environment entries (`-e`).
    pub env: Vec<String>,
    /// Mounts as `docker run -v` writes them: `/host/path:/dest` or `volume:/dest`.
    pub binds: Vec<String>,
    /// Extra labels (`--label`).
    pub labels: Vec<(String, String)>,
}

/// Creates (and unless asked otherwise starts) a labelled sample container.
pub async fn run(daemon: &Daemon, spec: &RunSpec<'_>) -> Result<(), bollard::errors::Error> {
    let bindings = spec
        .ports
        .iter()
        .map(|(h, c)| {
            (
                format!("{c}/tcp"),
                Some(vec![PortBinding {
                    host_ip: None,
                    host_port: Some(h.to_string()),
                }]),
            )
        })
        .collect::<HashMap<_, _>>();
    // Like `docker run -p`, expose what is published (the API publishes nothing else).
    let exposed = spec.ports.iter().map(|(_, c)| format!("{c}/tcp")).collect();
    let body = ContainerCreateBody {
        image: Some(spec.image.to_string()),
        exposed_ports: Some(exposed),
        cmd: (!spec.args.is_empty()).then(|| spec.args.clone()),
        labels: Some(
            std::iter::once((SAMPLE_LABEL.to_string(), "1".to_string()))
                .chain(spec.labels.iter().cloned())
                .collect(),
        ),
        env: (!spec.env.is_empty()).then(|| spec.env.clone()),
        host_config: Some(HostConfig {
            port_bindings: Some(bindings),
            binds: (!spec.binds.is_empty()).then(|| spec.binds.clone()),
            memory: Some(64 * 1024 * 1024),
            pids_limit: Some(64),
            restart_policy: spec.restart_always.then_some(RestartPolicy {
                name: Some(RestartPolicyNameEnum::ALWAYS),
                maximum_retry_count: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::default()
        .name(spec.name)
        .build();
    daemon.client().create_container(Some(opts), body).await?;
    if !spec.no_start {
        daemon.client().start_container(spec.name, None).await?;
    }
    Ok(())
}

/// Removes a container by name, running or not; a missing one is fine.
pub async fn remove(daemon: &Daemon, name: &str) {
    let opts = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    let _ = daemon.client().remove_container(name, Some(opts)).await;
}

/// Removes an image by tag; a missing one is fine.
pub async fn remove_image(daemon: &Daemon, tag: &str) {
    let opts = RemoveImageOptionsBuilder::default().force(true).build();
    let _ = daemon.client().remove_image(tag, Some(opts), None).await;
}

/// Removes images by exact id (full, or the 12-digit ids a build prints), the newest
/// (the last given) first, with their untagged descendants before them (an image a build
/// committed after its client went away). Parents are never pruned, since a build in
/// flight may stand on them, and an image a container still uses or that has other
/// children is kept (the daemon refuses it): only what these ids name goes. Returns how
/// many were removed.
pub async fn remove_images_by_id(daemon: &Daemon, ids: &[String]) -> Result<usize, DaemonError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let opts = ListImagesOptionsBuilder::default().all(true).build();
    let all = daemon
        .client()
        .list_images(Some(opts))
        .await
        .map_err(|e| failed(daemon, e))?;
    let hex = |id: &str| id.trim_start_matches("sha256:").to_string();
    // An id, never a name: `abc123def456` alone could also be a repository's tag.
    let mut order: Vec<String> = ids
        .iter()
        .filter_map(|short| {
            let short = hex(short);
            all.iter()
                .map(|i| hex(&i.id))
                .find(|id| !short.is_empty() && id.starts_with(&short))
        })
        .collect();
    let mut grew = true;
    while grew {
        grew = false;
        for i in &all {
            let (id, parent) = (hex(&i.id), hex(&i.parent_id));
            let untagged = i.repo_tags.iter().all(|t| t == "<none>:<none>");
            if untagged && order.contains(&parent) && !order.contains(&id) {
                order.push(id);
                grew = true;
            }
        }
    }
    let mut removed = 0;
    for id in order.iter().rev() {
        let opts = RemoveImageOptionsBuilder::default()
            .force(false)
            .noprune(true)
            .build();
        let full = format!("sha256:{id}");
        if daemon
            .client()
            .remove_image(&full, Some(opts), None)
            .await
            .is_ok()
        {
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes one name of an image (`repository:tag`), never pruning the untagged parents
/// it leaves (a build in flight may stand on them); the image itself goes with its last
/// name. A missing one is fine.
pub async fn untag_image(daemon: &Daemon, tag: &str) {
    let opts = RemoveImageOptionsBuilder::default()
        .force(true)
        .noprune(true)
        .build();
    let _ = daemon.client().remove_image(tag, Some(opts), None).await;
}

/// A container for untrusted code (a batch's submission): capped, with no capabilities,
/// its ports published on host ports Docker picks.
#[derive(Debug, Clone, Default)]
pub struct SandboxSpec<'a> {
    pub name: &'a str,
    pub image: &'a str,
    pub labels: Vec<(String, String)>,
    /// `(container_port, proto)` pairs, such as `(8080, "tcp")`.
    pub ports: Vec<(u16, String)>,
    /// The host address the ports are published on.
    pub host_ip: &'a str,
    /// The network it is on (by name); `None`, Docker's default bridge.
    pub network: Option<&'a str>,
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
}

/// Creates a sandboxed container (not started); the error is the daemon's reason.
pub async fn create_sandboxed(daemon: &Daemon, spec: &SandboxSpec<'_>) -> Result<(), String> {
    let bindings: HashMap<String, Option<Vec<PortBinding>>> = spec
        .ports
        .iter()
        .map(|(port, proto)| {
            let binding = PortBinding {
                host_ip: Some(spec.host_ip.into()),
                host_port: Some(String::new()),
            };
            (format!("{port}/{proto}"), Some(vec![binding]))
        })
        .collect();
    let body = ContainerCreateBody {
        image: Some(spec.image.to_string()),
        labels: Some(spec.labels.iter().cloned().collect()),
        exposed_ports: Some(bindings.keys().cloned().collect()),
        host_config: Some(HostConfig {
            port_bindings: Some(bindings),
            memory: Some(spec.memory_bytes),
            memory_swap: Some(spec.memory_bytes),
            nano_cpus: Some(spec.nano_cpus),
            pids_limit: Some(spec.pids),
            network_mode: spec.network.map(String::from),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            privileged: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::default()
        .name(spec.name)
        .build();
    daemon
        .client()
        .create_container(Some(opts), body)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Starts a created container; the error is the daemon's reason.
pub async fn start(daemon: &Daemon, name: &str) -> Result<(), String> {
    daemon
        .client()
        .start_container(name, None)
        .await
        .map_err(|e| e.to_string())
}

/// The ids of every container, running or not, with a label: `key` or `key=value`.
pub async fn labelled_containers(daemon: &Daemon, label: &str) -> Result<Vec<String>, DaemonError> {
    let filters = HashMap::from([("label", vec![label])]);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let list = daemon
        .client()
        .list_containers(Some(opts))
        .await
        .map_err(|e| failed(daemon, e))?;
    Ok(list.into_iter().filter_map(|c| c.id).collect())
}

/// What a listing of labelled objects says of one: its id, name and labels.
#[derive(Debug, Clone, Default)]
pub struct Labelled {
    pub id: String,
    /// A container's or network's name (without the leading `/`); empty for an image.
    pub name: String,
    pub labels: HashMap<String, String>,
    /// An image's parent image id; empty otherwise.
    pub parent: String,
}

/// Every container, network and image (in that order) with a label (`key` or
/// `key=value`), with their labels.
pub async fn labelled_all(daemon: &Daemon, label: &str) -> Result<[Vec<Labelled>; 3], DaemonError> {
    let filters = HashMap::from([("label", vec![label])]);
    let client = daemon.client();
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let containers = client
        .list_containers(Some(opts))
        .await
        .map_err(|e| failed(daemon, e))?
        .into_iter()
        .map(|c| Labelled {
            id: c.id.unwrap_or_default(),
            name: c
                .names
                .and_then(|n| n.into_iter().next())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            labels: c.labels.unwrap_or_default(),
            parent: String::new(),
        })
        .collect();
    let opts = bollard::query_parameters::ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let networks = client
        .list_networks(Some(opts))
        .await
        .map_err(|e| failed(daemon, e))?
        .into_iter()
        .map(|n| Labelled {
            id: n.id.unwrap_or_default(),
            name: n.name.unwrap_or_default(),
            labels: n.labels.unwrap_or_default(),
            parent: String::new(),
        })
        .collect();
    // Intermediate images too: a build's labels are steps of their own, so the images
    // between its last step and its result carry some of them.
    let opts = ListImagesOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let images = client
        .list_images(Some(opts))
        .await
        .map_err(|e| failed(daemon, e))?
        .into_iter()
        .map(|i| Labelled {
            id: i.id,
            name: String::new(),
            labels: i.labels,
            parent: i.parent_id,
        })
        .collect();
    Ok([containers, networks, images])
}

/// The ids of every image with a label: `key` or `key=value`.
pub async fn labelled_images(daemon: &Daemon, label: &str) -> Result<Vec<String>, DaemonError> {
    let filters = HashMap::from([("label", vec![label])]);
    let opts = ListImagesOptionsBuilder::default()
        .filters(&filters)
        .build();
    let list = daemon
        .client()
        .list_images(Some(opts))
        .await
        .map_err(|e| failed(daemon, e))?;
    Ok(list.into_iter().map(|i| i.id).collect())
}

/// Creates a bridge network for one submission at a time: its containers (and its
/// build's RUN steps) talk to each other on it, but Docker keeps every bridge from every
/// other (no route to another submission, nor to a container on the default bridge), and
/// [`shield_host`] keeps it from the host's own services. It is not `internal`, so the
/// ports Docker publishes on the host reach it, and a build can still download packages.
/// `bridge` is the Linux interface's name (at most 15 bytes, starting [`BRIDGE_PREFIX`]).
pub async fn create_network(
    daemon: &Daemon,
    name: &str,
    bridge: &str,
    labels: &[(String, String)],
) -> Result<(), String> {
    let options = HashMap::from([
        (
            "com.docker.network.bridge.name".to_string(),
            bridge.to_string(),
        ),
        (
            "com.docker.network.bridge.enable_icc".to_string(),
            "true".to_string(),
        ),
    ]);
    let body = bollard::models::NetworkCreateRequest {
        name: name.to_string(),
        driver: Some("bridge".into()),
        internal: Some(false),
        options: Some(options),
        labels: Some(labels.iter().cloned().collect()),
        ..Default::default()
    };
    daemon
        .client()
        .create_network(body)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The ids of the containers on a network, stopped ones too (none when it cannot be
/// asked).
pub async fn on_network(daemon: &Daemon, network: &str) -> Vec<String> {
    let filters = HashMap::from([("network", vec![network])]);
    let opts = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    match daemon.client().list_containers(Some(opts)).await {
        Ok(list) => list.into_iter().filter_map(|c| c.id).collect(),
        Err(_) => Vec::new(),
    }
}

/// Removes a network by name or id; a missing one is fine.
pub async fn remove_network(daemon: &Daemon, name: &str) {
    let _ = daemon.client().remove_network(name).await;
}

/// The ids of every network with a label: `key` or `key=value`.
pub async fn labelled_networks(daemon: &Daemon, label: &str) -> Result<Vec<String>, DaemonError> {
    let filters = HashMap::from([("label", vec![label])]);
    let opts = bollard::query_parameters::ListNetworksOptionsBuilder::default()
        .filters(&filters)
        .build();
    let list = daemon
        .client()
        .list_networks(Some(opts))
        .await
        .map_err(|e| failed(daemon, e))?;
    Ok(list.into_iter().filter_map(|n| n.id).collect())
}

/// How the Linux bridges of submissions' networks are named: the host rule matches them.
pub const BRIDGE_PREFIX: &str = "lgb";

/// The host firewall rule (iptables, INPUT) that refuses new connections from the
/// submissions' bridges to the host itself: without it, a service listening on all the
/// host's addresses answers a submission at its network's gateway. Answers to the
/// grader's own connections (the published ports) are not new, so they pass.
const SHIELD_RULE: [&str; 12] = [
    "-i",
    "lgb+",
    "-m",
    "conntrack",
    "--ctstate",
    "NEW",
    "-m",
    "comment",
    "--comment",
    "labgrade: graded submissions do not reach this host",
    "-j",
    "REJECT",
];

/// Makes sure the host refuses new connections from submissions' networks, and that
/// nothing is forwarded between them and Docker's other bridges (iptables rules, added
/// once, matching only labgrade's bridges, so they are left in place: another run may
/// rely on them). Works where the grader runs as root on the daemon's own
/// machine; elsewhere the error says why the host is not shielded.
pub async fn shield_host(daemon: &Daemon) -> Result<(), String> {
    if !daemon.local {
        return Err(
            "the Docker daemon is on another machine, whose firewall labgrade does not manage"
                .into(),
        );
    }
    let iptables = |op: &str, chain: &str, rule: &[&str]| {
        let mut c = tokio::process::Command::new("iptables");
        c.args(["-w", "5", op, chain])
            .args(rule)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        c
    };
    let run = |mut c: tokio::process::Command| async move {
        match tokio::time::timeout(std::time::Duration::from_secs(10), c.output()).await {
            Ok(Ok(o)) if o.status.success() => Ok(()),
            Ok(Ok(o)) => Err(String::from_utf8_lossy(&o.stderr).trim().to_string()),
            Ok(Err(e)) => Err(format!("cannot run iptables: {e}")),
            Err(_) => Err("iptables did not answer within 10s".into()),
        }
    };
    let host: Vec<&str> = SHIELD_RULE
        .iter()
        .copied()
        .chain(["--reject-with", "icmp-admin-prohibited"])
        .collect();
    // Docker keeps bridges apart with its DOCKER-ISOLATION chains, but rewrites them
    // whenever a network is created or removed (a batch does that all the time), and in
    // that window a build step reached a container on the default bridge. DOCKER-USER
    // is evaluated first and Docker never rewrites it: forwarding between labgrade's
    // bridges and Docker's other bridges is refused there too.
    const FENCE: &str = "labgrade: graded submissions reach no other network";
    let fences: [[&str; 8]; 4] = [
        [
            "-i",
            "lgb+",
            "-o",
            "docker0",
            "-m",
            "comment",
            "--comment",
            FENCE,
        ],
        [
            "-i",
            "lgb+",
            "-o",
            "br-+",
            "-m",
            "comment",
            "--comment",
            FENCE,
        ],
        [
            "-i",
            "docker0",
            "-o",
            "lgb+",
            "-m",
            "comment",
            "--comment",
            FENCE,
        ],
        [
            "-i",
            "br-+",
            "-o",
            "lgb+",
            "-m",
            "comment",
            "--comment",
            FENCE,
        ],
    ];
    let mut rules: Vec<(&str, Vec<&str>)> = vec![("INPUT", host)];
    for f in &fences {
        rules.push((
            "DOCKER-USER",
            f.iter().copied().chain(["-j", "DROP"]).collect(),
        ));
    }
    // Nor between two submissions' networks (a classmate graded at the same time): routed
    // from one labgrade bridge to another. Traffic within one bridge (a compose lab's web
    // and db) is bridged, not routed, and passes.
    rules.push((
        "DOCKER-USER",
        vec![
            "-i",
            "lgb+",
            "-o",
            "lgb+",
            "-m",
            "physdev",
            "!",
            "--physdev-is-bridged",
            "-m",
            "comment",
            "--comment",
            FENCE,
            "-j",
            "DROP",
        ],
    ));
    // One grader at a time checks and adds them, so two runs starting together do not
    // both add each rule.
    let _lock = shield_lock().await;
    for (chain, rule) in &rules {
        if run(iptables("-C", chain, rule)).await.is_err() {
            run(iptables("-I", chain, rule)).await?;
        }
    }
    Ok(())
}

/// An exclusive lock on a file in the temp folder, held while the firewall rules are
/// checked and added (released when dropped, or when the process ends). `None` when the
/// file cannot be opened: the rules are then added without it.
async fn shield_lock() -> Option<std::fs::File> {
    tokio::task::spawn_blocking(|| {
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(std::env::temp_dir().join("labgrade-shield.lock"))
            .ok()?;
        file.lock().ok()?;
        Some(file)
    })
    .await
    .ok()
    .flatten()
}

fn failed(daemon: &Daemon, e: bollard::errors::Error) -> DaemonError {
    DaemonError::Failed {
        host: daemon.facts().host.clone(),
        detail: e.to_string(),
    }
}
