//! The sample lab used by `labgrade demo` and by the tests: an image built locally from
//! the labgrade program itself, the small server it runs, and helpers that start and
//! remove labelled containers of it.

pub mod image;
pub mod server;

use std::collections::HashMap;

use bollard::models::{
    ContainerCreateBody, HostConfig, PortBinding, RestartPolicy, RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, RemoveImageOptionsBuilder,
};

use crate::observe::Daemon;

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
            std::iter::once((image::LABEL.to_string(), "1".to_string()))
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

/// A TCP port free on this machine right now (the kernel picks it).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
