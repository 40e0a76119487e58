//! The fixes several checks build: the full `docker run` the spec asks for, and the compose snippet for a compose service.

use super::*;

/// What recreates the container as the spec describes: for a compose service, editing
/// docker-compose.yml and `docker compose up`; otherwise `docker rm -f` and `docker run`.
pub(crate) fn recreate(plan: &Plan, name: &ContainerName) -> String {
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
pub(crate) fn compose_service(plan: &Plan, name: &ContainerName) -> String {
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
pub(crate) fn run_command(plan: &Plan, name: &ContainerName) -> String {
    let mut cmd = format!("docker run -d --name {name}");
    let mut image = None;
    for c in &plan.checks {
        match &c.kind {
            CheckKind::PortPublished { container, mapping } if container == name => {
                cmd.push_str(&format!(" -p {}", mapping.flag()));
            }
            CheckKind::ContainerSetting { container, setting } if container == name => {
                cmd.push(' ');
                cmd.push_str(&container_settings::expected(setting));
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
