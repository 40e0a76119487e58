//! Expands a spec into the flat list of checks to run, each with a stable id, a title a
//! beginner understands, its points and the checks it depends on.

use std::net::IpAddr;

use serde::Serialize;

use crate::spec::{
    ContainerName, HttpExpect, ImageRef, PassMark, PortMapping, Proto, Spec, Target,
};

/// What a check looks at.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CheckKind {
    ImagePresent {
        image: ImageRef,
    },
    ContainerExists {
        container: ContainerName,
    },
    ContainerRunning {
        container: ContainerName,
    },
    ContainerImage {
        container: ContainerName,
        image: ImageRef,
    },
    PortPublished {
        container: ContainerName,
        mapping: PortMapping,
    },
    Http {
        container: Option<ContainerName>,
        expect: Box<HttpExpect>,
        /// Host port the request goes to when the target is a path.
        port: Option<u16>,
        /// Host address the mapping is bound to, when the spec names one.
        host_ip: Option<IpAddr>,
    },
}

/// One check of the lab.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub points: u32,
    /// Ids of checks that must pass before this one means anything.
    pub requires: Vec<String>,
    /// Instructor-only: students see that it exists, not what it tests.
    pub hidden: bool,
    #[serde(flatten)]
    pub kind: CheckKind,
}

/// Everything needed to grade one lab.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: Option<String>,
    pub pass_mark: PassMark,
    pub checks: Vec<Check>,
    /// Readiness wait from the spec, if it sets one.
    pub wait: Option<std::time::Duration>,
}

impl Plan {
    /// Builds the checks for a spec.
    pub fn new(spec: &Spec) -> Plan {
        let pts = &spec.points;
        let mut checks = Vec::new();
        for image in spec.images() {
            checks.push(Check {
                id: format!("image:{image}"),
                title: format!("Image {image} exists"),
                points: pts.image,
                requires: vec![],
                hidden: false,
                kind: CheckKind::ImagePresent { image },
            });
        }
        for c in spec.containers() {
            let name = c.name.clone();
            let exists = format!("container:{name}");
            let running = format!("running:{name}");
            checks.push(Check {
                id: exists.clone(),
                title: format!("Container {name} exists"),
                points: pts.container,
                requires: vec![],
                hidden: false,
                kind: CheckKind::ContainerExists {
                    container: name.clone(),
                },
            });
            checks.push(Check {
                id: running.clone(),
                title: format!("Container {name} is running"),
                points: pts.running,
                requires: vec![exists.clone()],
                hidden: false,
                kind: CheckKind::ContainerRunning {
                    container: name.clone(),
                },
            });
            if let Some(image) = &c.image {
                checks.push(Check {
                    id: format!("from-image:{name}"),
                    title: format!("{name} runs image {image}"),
                    points: pts.from_image,
                    requires: vec![exists.clone()],
                    hidden: false,
                    kind: CheckKind::ContainerImage {
                        container: name.clone(),
                        image: image.clone(),
                    },
                });
            }
            for m in &c.ports {
                checks.push(Check {
                    id: format!("port:{name}:{m}"),
                    title: format!(
                        "Host port {} is published to {}/{} in {name}",
                        m.host_port, m.container_port, m.proto
                    ),
                    points: pts.port,
                    requires: vec![exists.clone()],
                    hidden: false,
                    kind: CheckKind::PortPublished {
                        container: name.clone(),
                        mapping: m.clone(),
                    },
                });
            }
            let first_tcp = c.ports.iter().find(|p| p.proto == Proto::Tcp);
            for h in &c.http {
                let mapping = h.port.map_or(first_tcp, |port| {
                    c.ports
                        .iter()
                        .find(|p| p.host_port == port && p.proto == Proto::Tcp)
                });
                let port = h.port.or(first_tcp.map(|p| p.host_port));
                checks.push(http_check(
                    spec,
                    h,
                    Some(&name),
                    port,
                    mapping.and_then(|m| m.host_ip),
                    vec![running.clone()],
                ));
            }
        }
        for h in spec.standalone_http() {
            checks.push(http_check(spec, h, None, h.port, None, vec![]));
        }
        dedup_ids(&mut checks);
        Plan {
            name: spec.name.clone(),
            pass_mark: spec.pass_mark,
            checks,
            wait: spec.wait.map(|w| w.0),
        }
    }

    /// Total points on offer.
    pub fn max_points(&self) -> u32 {
        self.checks.iter().map(|c| c.points).sum()
    }
}

fn http_check(
    spec: &Spec,
    h: &HttpExpect,
    container: Option<&ContainerName>,
    port: Option<u16>,
    host_ip: Option<IpAddr>,
    requires: Vec<String>,
) -> Check {
    let shown = match (&h.target, port) {
        (Target::Url(u), _) => u.clone(),
        (Target::Path(p), Some(port)) => format!("localhost:{port}{p}"),
        (Target::Path(p), None) => p.clone(),
    };
    let expected = match h.status {
        crate::spec::StatusSpec::Exact(c) => format!("answers {c}"),
        crate::spec::StatusSpec::Class(c) => format!("answers {c}xx"),
    };
    let id = match (&h.id, container) {
        (Some(id), _) => id.clone(),
        (None, Some(c)) => format!("http:{c}:{}", h.request_line()),
        (None, None) => format!("http:{}", h.request_line()),
    };
    Check {
        id,
        title: h
            .title
            .clone()
            .unwrap_or_else(|| format!("{} {shown} {expected}", h.method)),
        points: h.points.unwrap_or(spec.points.http),
        requires,
        hidden: h.hidden,
        kind: CheckKind::Http {
            container: container.cloned(),
            expect: Box::new(h.clone()),
            port,
            host_ip,
        },
    }
}

/// Keeps ids unique when the same request is checked twice: the second becomes `id#2`.
fn dedup_ids(checks: &mut [Check]) {
    let mut seen = std::collections::BTreeSet::<String>::new();
    for c in checks.iter_mut() {
        let mut n = 1;
        let base = c.id.clone();
        while !seen.insert(c.id.clone()) {
            n += 1;
            c.id = format!("{base}#{n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_form_checks_and_points() {
        let spec = Spec::parse(
            "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\nhttp:\n  - get: /\n    status: 200\n  - get: /\n    points: 5\n",
            "t.yaml",
        )
        .unwrap();
        let plan = Plan::new(&spec);
        let ids: Vec<&str> = plan.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "image:nautilus/python-app",
                "container:pythonapp_nautilus",
                "running:pythonapp_nautilus",
                "from-image:pythonapp_nautilus",
                "port:pythonapp_nautilus:8097:8088",
                "http:pythonapp_nautilus:GET /",
                "http:pythonapp_nautilus:GET /#2",
            ]
        );
        assert_eq!(plan.max_points(), 2 + 1 + 2 + 1 + 2 + 3 + 5);
        assert_eq!(plan.checks[5].title, "GET localhost:8097/ answers 200");
        assert_eq!(plan.checks[5].requires, ["running:pythonapp_nautilus"]);
    }
}
