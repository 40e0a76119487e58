//! The port check: is the container's port published on the wanted host port, and if not, where it went.

use super::*;

pub(crate) fn any_ip(ip: &str) -> bool {
    ip.is_empty() || ip == "0.0.0.0" || ip == "::"
}

pub(crate) fn judge(plan: &Plan, c: &ContainerFacts, m: &PortMapping) -> Judgement {
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
        return pass(found);
    }
    let fix = Some(recreate(plan, &ContainerName(c.name.clone())));
    let same_inside = ports
        .iter()
        .find(|p| p.proto == proto && p.container_port == m.container_port);
    let same_host = ports
        .iter()
        .find(|p| p.proto == proto && p.host_port == m.host_port);
    let (id, cause) = if let Some(p) = same_inside.filter(|p| p.host_port == m.host_port) {
        let bound = if any_ip(&p.host_ip) {
            "all addresses (0.0.0.0)".to_string()
        } else {
            format!("address {}", p.host_ip)
        };
        let wanted = m
            .host_ip
            .map_or("all addresses".to_string(), |ip| format!("address {ip}"));
        (
            CauseId::HostIpMismatch,
            format!(
                "port {} is published on host {bound}, but the lab asks for {wanted}",
                m.host_port
            ),
        )
    } else if let Some(p) = same_host {
        (
            CauseId::WrongContainerPort,
            format!(
                "host port {} goes to port {} inside the container, not {}: the number on the right of -p must be the port the app listens on",
                m.host_port, p.container_port, m.container_port
            ),
        )
    } else if let Some(p) = same_inside {
        (
            CauseId::WrongHostPort,
            format!(
                "port {} is published on host port {}, not {}",
                m.container_port, p.host_port, m.host_port
            ),
        )
    } else if c
        .exposed_ports
        .iter()
        .any(|e| e == &format!("{}/{}", m.container_port, proto))
        && ports.is_empty()
    {
        (
            CauseId::ExposeNotPublish,
            format!(
                "the image EXPOSEs {}, but EXPOSE only documents a port: nothing is published until you run with -p {}",
                m.container_port,
                m.flag()
            ),
        )
    } else if ports.is_empty() {
        (
            CauseId::NoPortsPublished,
            "the container was started without -p, so no port is published".to_string(),
        )
    } else {
        (
            CauseId::PortNotPublished,
            format!("nothing is published on host port {}", m.host_port),
        )
    };
    fail(id, found, cause, fix)
}
