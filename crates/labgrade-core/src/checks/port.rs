//! The port check: is the container's port published on the wanted host port, and if not, where it went.

use serde::Serialize;

use super::kinds::{Ctx, Kind};
use super::*;
use crate::plan::Need;
use crate::spec::{ContainerSpec, Points};

/// A host port is published to a port of the container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PortPublished {
    pub container: ContainerName,
    pub mapping: PortMapping,
}

impl Kind for PortPublished {
    fn for_container(c: &ContainerSpec, points: &Points) -> Vec<Check> {
        let name = &c.name;
        c.ports
            .iter()
            .map(|m| Check {
                id: format!("port:{name}:{m}"),
                title: format!(
                    "Host port {} is published to {}/{} in {name}",
                    m.host_port, m.container_port, m.proto
                ),
                points: points.port,
                requires: vec![format!("container:{name}")],
                hidden: false,
                kind: CheckKind::PortPublished(PortPublished {
                    container: name.clone(),
                    mapping: m.clone(),
                }),
            })
            .collect()
    }

    fn expected(&self) -> String {
        format!("-p {}", self.mapping.flag())
    }

    fn needs(&self) -> Vec<Need> {
        vec![Need::Container(self.container.clone())]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        match container_facts(cx.facts, &self.container) {
            Some(c) => judge(cx.plan, c, &self.mapping, cx.facts),
            None => missing_fact(),
        }
    }
}

pub(crate) fn any_ip(ip: &str) -> bool {
    ip.is_empty() || ip == "0.0.0.0" || ip == "::"
}

fn judge(plan: &Plan, c: &ContainerFacts, m: &PortMapping, facts: &Facts) -> Judgement {
    let proto = m.proto.to_string();
    // A stopped container publishes nothing; what was asked at `docker run` still counts.
    // A restarting one publishes nothing between its runs either.
    let ports: &[PublishedPort] = if c.running && !c.restarting {
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
    let swapped = ports.iter().find(|p| {
        p.proto == proto && p.host_port == m.container_port && p.container_port == m.host_port
    });
    let other_proto = ports.iter().find(|p| {
        p.proto != proto && p.host_port == m.host_port && p.container_port == m.container_port
    });
    let (id, cause) = if c.networks.iter().any(|n| n == "host") {
        (
            CauseId::HostNetwork,
            "the container runs with --network host, which shares the host's network and ignores -p: run it without --network host and with -p".to_string(),
        )
    } else if let Some(p) = swapped.filter(|_| m.host_port != m.container_port) {
        (
            CauseId::PortsSwapped,
            format!(
                "the two numbers of -p are swapped: -p {}:{} sends host port {} to port {} inside the container; the host port comes first, the app's port second: -p {}",
                p.host_port,
                p.container_port,
                p.host_port,
                p.container_port,
                m.flag()
            ),
        )
    } else if let Some(p) = other_proto {
        (
            CauseId::WrongProtocol,
            format!(
                "port {} is published as {}, but the lab needs {proto}: write -p {} (no /{})",
                m.host_port,
                p.proto,
                m.flag(),
                p.proto
            ),
        )
    } else if let Some(p) = same_inside.filter(|p| p.host_port == m.host_port) {
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
    } else if let Some(options) = options_after_image(c).filter(|_| ports.is_empty()) {
        (
            CauseId::OptionsAfterImage,
            options_after_image_cause(&options),
        )
    } else if let Some(r) = super::container::replaced(facts, c) {
        // Re-created by a `docker run` typed again, which did not repeat the -p.
        (
            CauseId::ContainerRecreated,
            format!(
                "{0} was created again at {1}, replacing a {0} removed at {2} (the daemon's events), and the docker run that made the new one has no -p {3}",
                c.name,
                r.created,
                r.removed,
                m.flag()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lab() -> Plan {
        let spec = crate::plan::parse(
            "image: nautilus/python-app\ncontainer: web\nports: [\"8097:8088\"]\n",
            "lab.yaml",
        )
        .unwrap();
        Plan::new(&spec)
    }

    fn published(host: u16, inside: u16, proto: &str) -> PublishedPort {
        PublishedPort {
            container_port: inside,
            proto: proto.into(),
            host_ip: "0.0.0.0".into(),
            host_port: host,
        }
    }

    fn web(ports: Vec<PublishedPort>) -> ContainerFacts {
        ContainerFacts {
            name: "web".into(),
            running: true,
            status: "running".into(),
            published: ports.clone(),
            requested: ports,
            ..Default::default()
        }
    }

    fn cause_of(c: &ContainerFacts) -> (Option<CauseId>, String, Option<String>) {
        let m: PortMapping = "8097:8088".parse().unwrap();
        let j = judge(&lab(), c, &m, &Facts::default());
        assert!(!j.pass);
        (j.cause_id, j.cause.unwrap_or_default(), j.fix)
    }

    #[test]
    fn each_way_of_missing_the_mapping_has_its_cause() {
        let (id, cause, fix) = cause_of(&web(vec![published(8088, 8097, "tcp")]));
        assert_eq!(id, Some(CauseId::PortsSwapped), "{cause}");
        assert!(cause.contains("-p 8097:8088"), "{cause}");
        assert!(fix.unwrap().contains("-p 8097:8088"));
        let (id, cause, _) = cause_of(&web(vec![published(8097, 8088, "udp")]));
        assert_eq!(id, Some(CauseId::WrongProtocol), "{cause}");
        let mut host = web(Vec::new());
        host.networks = vec!["host".into()];
        assert_eq!(cause_of(&host).0, Some(CauseId::HostNetwork));
        // Restarting: nothing published between runs, but -p was given.
        let mut looping = web(vec![published(8097, 8088, "tcp")]);
        looping.published.clear();
        looping.restarting = true;
        let m: PortMapping = "8097:8088".parse().unwrap();
        assert!(judge(&lab(), &looping, &m, &Facts::default()).pass, "-p was given");
        assert_eq!(
            cause_of(&web(vec![published(8097, 8000, "tcp")])).0,
            Some(CauseId::WrongContainerPort)
        );
        assert_eq!(
            cause_of(&web(Vec::new())).0,
            Some(CauseId::NoPortsPublished)
        );
    }
}
