//! Writing specs: `labgrade init` from flags, `labgrade record` from a running reference
//! solution. Both fill a draft and render it with one function, and the result is parsed
//! back before it is handed out, so what they write always validates.

use std::fmt::Write as _;

use crate::facts::ProbeOutcome;
use crate::observe::Daemon;
use crate::spec::{ContainerName, ImageRef, PortMapping};

/// One HTTP expectation of a draft.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftHttp {
    pub path: String,
    pub status: Option<u16>,
    pub body_contains: Option<String>,
}

/// What a spec will say, before it is YAML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub name: Option<String>,
    pub image: Option<ImageRef>,
    pub container: Option<ContainerName>,
    pub ports: Vec<PortMapping>,
    pub http: Vec<DraftHttp>,
}

/// A YAML scalar in double quotes (JSON strings are valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

impl Draft {
    /// Renders the draft as a spec file and checks that it parses.
    pub fn render(&self) -> Result<String, String> {
        if self.image.is_none() && self.container.is_none() && self.http.is_empty() {
            return Err("say what the lab must have: give --image, --container or --get, for example `labgrade init --image nautilus/python-app --container pythonapp_nautilus -p 8097:8088 --get /`".into());
        }
        let mut y = String::new();
        let _ = writeln!(
            y,
            "# Written by labgrade {}; docs/spec.md lists every key.",
            env!("CARGO_PKG_VERSION")
        );
        y.push_str(
            "# Editor completion: `labgrade schema > spec.schema.json`, then add the line\n",
        );
        y.push_str(
            "# `# yaml-language-server: $schema=spec.schema.json` at the top of this file.\n",
        );
        if let Some(n) = &self.name {
            let _ = writeln!(y, "name: {}", q(n));
        }
        if let Some(i) = &self.image {
            let _ = writeln!(y, "image: {}", q(&i.to_string()));
        }
        if let Some(c) = &self.container {
            let _ = writeln!(y, "container: {}", q(&c.0));
        }
        if !self.ports.is_empty() {
            let ports: Vec<String> = self.ports.iter().map(|p| q(&p.flag())).collect();
            let _ = writeln!(y, "ports: [{}]", ports.join(", "));
        }
        if !self.http.is_empty() {
            y.push_str("http:\n");
            for h in &self.http {
                let _ = writeln!(y, "  - get: {}", q(&h.path));
                if let Some(s) = h.status {
                    let _ = writeln!(y, "    status: {s}");
                }
                if let Some(b) = &h.body_contains {
                    let _ = writeln!(y, "    body_contains: {}", q(b));
                }
            }
        }
        crate::plan::parse(&y, "the new spec").map_err(|e| in_flags(&e))?;
        Ok(y)
    }
}

/// A spec error about a draft, said in the flags the user typed: they never saw the
/// YAML, so no file, line or column.
fn in_flags(e: &crate::spec::SpecError) -> String {
    use crate::spec::SpecError::*;
    let message = match e {
        Invalid { message, .. } | Unlocated { message, .. } => message.clone(),
        other => other.to_string(),
    };
    [
        ("`container: NAME`", "--container NAME"),
        ("`container:`", "--container"),
        ("`ports:`", "-p"),
        ("`ports`", "-p"),
        ("`http:`", "--get"),
        ("`image:`", "--image"),
    ]
    .iter()
    .fold(message, |m, (key, flag)| {
        m.replace(key, &format!("`{flag}`"))
    })
}

/// A part of a body that should stay the same from run to run: its first non-empty line,
/// cut at 40 characters, unless it holds digits (times, ids, counters change).
pub fn stable_part(body: &str) -> Option<String> {
    let line = body.lines().map(str::trim).find(|l| !l.is_empty())?;
    let cut: String = line.chars().take(40).collect();
    let cut = cut.trim().to_string();
    (!cut.is_empty() && !cut.chars().any(|c| c.is_ascii_digit() || c.is_control())).then_some(cut)
}

/// Why a spec could not be recorded.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Daemon(#[from] crate::observe::DaemonError),
    #[error(
        "no container is named {0}: start the reference solution first (docker ps -a lists the names)"
    )]
    NoContainer(String),
    #[error(
        "container {0} is not running: start it (docker start {0}) so its answers can be recorded"
    )]
    NotRunning(String),
    #[error("{0}")]
    Invalid(String),
}

/// Records a draft from a running reference container: its image, its published tcp
/// ports, and what `GET /` answers on the first of them.
pub async fn record(daemon: &Daemon, name: &str) -> Result<Draft, RecordError> {
    let c = daemon
        .container(name)
        .await?
        .ok_or_else(|| RecordError::NoContainer(name.into()))?;
    if !c.running {
        return Err(RecordError::NotRunning(name.into()));
    }
    let mut ports: Vec<PortMapping> = Vec::new();
    for p in c.published.iter().filter(|p| p.proto == "tcp") {
        let host_ip = if p.host_ip.is_empty() {
            None
        } else {
            p.host_ip.parse().ok()
        };
        let m = PortMapping {
            host_ip,
            host_port: p.host_port,
            container_port: p.container_port,
            proto: crate::spec::Proto::Tcp,
        };
        if !ports.contains(&m) {
            ports.push(m);
        }
    }
    let mut draft = Draft {
        name: Some(format!("Recorded from {name}")),
        image: c.image_name.parse().ok(),
        container: Some(ContainerName(c.name.clone())),
        ports,
        http: Vec::new(),
    };
    if let Some(first) = draft.ports.first() {
        let probe = crate::spec::HttpExpect::get("/");
        let host = match first.host_ip {
            Some(ip) if !ip.is_unspecified() => ip.to_string(),
            _ => daemon.facts().probe_host.clone(),
        };
        let url = format!("http://{host}:{}/", first.host_port);
        if let ProbeOutcome::Response { status, body, .. } =
            crate::observe::probe_once(&url, &probe).await
        {
            draft.http.push(DraftHttp {
                path: "/".into(),
                status: Some(status),
                body_contains: stable_part(&body),
            });
        }
    }
    draft.render().map_err(RecordError::Invalid)?;
    Ok(draft)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_valid_spec() {
        let d = Draft {
            name: Some("Lab \"one\"".into()),
            image: Some("nautilus/python-app".parse().unwrap()),
            container: Some("pythonapp_nautilus".parse().unwrap()),
            ports: vec![
                "8097:8088".parse().unwrap(),
                "127.0.0.1:9000:9000".parse().unwrap(),
            ],
            http: vec![DraftHttp {
                path: "/".into(),
                status: Some(200),
                body_contains: Some("Hello: \"x\" # y".into()),
            }],
        };
        let y = d.render().unwrap();
        let spec = crate::plan::parse(&y, "t").unwrap();
        assert_eq!(spec.containers[0].ports[1].flag(), "127.0.0.1:9000:9000");
        assert_eq!(
            spec.containers[0].http[0].body_contains,
            vec!["Hello: \"x\" # y".to_string()]
        );
        assert_eq!(spec.name.as_deref(), Some("Lab \"one\""));
    }

    #[test]
    fn stable_parts() {
        assert_eq!(
            stable_part("\n  Hello from Docker!\nmore"),
            Some("Hello from Docker!".into())
        );
        assert_eq!(stable_part("{\"latency_ms\": 12}"), None);
        assert_eq!(stable_part(""), None);
    }
}
