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
    /// JSON fields of the answer and their values (`$.status: "ok"`).
    pub json: Vec<(String, serde_json::Value)>,
}

/// What a recorded image holds, for the spec's `images:` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftImage {
    pub expose: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub env: Vec<(String, String)>,
    pub healthcheck: bool,
}

/// How a recorded container was set up beyond its image and ports.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftSetup {
    /// Set on `docker run -e` (not by the image).
    pub env: Vec<(String, String)>,
    /// `(destination, source, type)`.
    pub mounts: Vec<(String, String, String)>,
    pub restart: Option<String>,
    pub networks: Vec<String>,
    pub healthy: bool,
    /// A compose service: `(project, service)`.
    pub service: Option<(String, String)>,
}

/// What a spec will say, before it is YAML.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    pub name: Option<String>,
    pub image: Option<ImageRef>,
    pub container: Option<ContainerName>,
    pub ports: Vec<PortMapping>,
    pub http: Vec<DraftHttp>,
    /// Recorded: the container's settings.
    pub setup: DraftSetup,
    /// Recorded: what the image holds.
    pub image_settings: Option<DraftImage>,
}

/// A YAML flow map of quoted keys and values: `{"APP_ENV": "production"}`.
fn map(pairs: &[(String, String)]) -> String {
    let kv: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", q(k), q(v)))
        .collect();
    format!("{{{}}}", kv.join(", "))
}

/// A YAML flow list of quoted strings.
fn list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|i| q(i)).collect();
    format!("[{}]", q.join(", "))
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
        if let (Some(i), None) = (&self.image, &self.setup.service) {
            let _ = writeln!(y, "image: {}", q(&i.to_string()));
        }
        // A compose service is a `containers:` entry found by its labels; a plain
        // container is the short form.
        let indent = match (&self.setup.service, &self.container) {
            (Some((project, service)), _) => {
                let _ = writeln!(
                    y,
                    "containers:\n  - service: {}\n    project: {}",
                    q(service),
                    q(project)
                );
                if let Some(i) = &self.image {
                    let _ = writeln!(y, "    image: {}", q(&i.to_string()));
                }
                "    "
            }
            (None, Some(c)) => {
                let _ = writeln!(y, "container: {}", q(&c.0));
                ""
            }
            (None, None) => "",
        };
        if !self.ports.is_empty() {
            let ports: Vec<String> = self.ports.iter().map(|p| p.flag()).collect();
            let _ = writeln!(y, "{indent}ports: {}", list(&ports));
        }
        self.setup.render(&mut y, indent);
        if !self.http.is_empty() {
            let _ = writeln!(y, "{indent}http:");
            for h in &self.http {
                let _ = writeln!(y, "{indent}  - get: {}", q(&h.path));
                if let Some(s) = h.status {
                    let _ = writeln!(y, "{indent}    status: {s}");
                }
                if let Some(b) = &h.body_contains {
                    let _ = writeln!(y, "{indent}    body_contains: {}", q(b));
                }
                if !h.json.is_empty() {
                    let _ = writeln!(y, "{indent}    json:");
                    for (path, v) in &h.json {
                        let _ = writeln!(y, "{indent}      {}: {v}", q(path));
                    }
                }
            }
        }
        if let (Some(i), Some(settings)) = (&self.image, &self.image_settings) {
            settings.render(&mut y, i);
        }
        crate::plan::parse(&y, "the new spec").map_err(|e| in_flags(&e))?;
        Ok(y)
    }
}

impl DraftSetup {
    fn render(&self, y: &mut String, indent: &str) {
        let any = !self.env.is_empty()
            || !self.mounts.is_empty()
            || self.restart.is_some()
            || !self.networks.is_empty()
            || self.healthy;
        if !any {
            return;
        }
        let _ = writeln!(
            y,
            "{indent}# How the reference container was set up; prune what the lab does not ask for."
        );
        if !self.env.is_empty() {
            let _ = writeln!(y, "{indent}env: {}", map(&self.env));
        }
        if !self.mounts.is_empty() {
            let _ = writeln!(y, "{indent}mounts:");
            for (dest, source, kind) in &self.mounts {
                let _ = writeln!(
                    y,
                    "{indent}  - {{destination: {}, source: {}, type: {kind}}}",
                    q(dest),
                    q(source)
                );
            }
        }
        if let Some(r) = &self.restart {
            let _ = writeln!(y, "{indent}restart: {r}");
        }
        if !self.networks.is_empty() {
            let _ = writeln!(y, "{indent}networks: {}", list(&self.networks));
        }
        if self.healthy {
            let _ = writeln!(y, "{indent}healthy: true");
        }
    }
}

impl DraftImage {
    fn render(&self, y: &mut String, image: &ImageRef) {
        let _ = writeln!(y, "images:\n  - name: {}", q(&image.to_string()));
        let _ = writeln!(
            y,
            "    # What the reference image holds; prune what the lab does not ask for."
        );
        if !self.expose.is_empty() {
            let _ = writeln!(y, "    expose: {}", list(&self.expose));
        }
        if let Some(c) = &self.entrypoint {
            let _ = writeln!(y, "    entrypoint: {}", list(c));
        }
        if let Some(c) = &self.cmd {
            let _ = writeln!(y, "    cmd: {}", list(c));
        }
        if let Some(w) = &self.workdir {
            let _ = writeln!(y, "    workdir: {}", q(w));
        }
        if let Some(u) = &self.user {
            let _ = writeln!(y, "    user: {}", q(u));
        }
        if !self.env.is_empty() {
            let _ = writeln!(y, "    env: {}", map(&self.env));
        }
        if self.healthcheck {
            let _ = writeln!(y, "    healthcheck: true");
        }
    }
}

/// Environment variables base images set (Python, Node, Debian): not what a lab asks.
fn base_variable(key: &str) -> bool {
    const KEYS: [&str; 8] = [
        "PATH",
        "LANG",
        "LC_ALL",
        "GPG_KEY",
        "HOME",
        "HOSTNAME",
        "TERM",
        "LD_LIBRARY_PATH",
    ];
    const PREFIXES: [&str; 4] = ["PYTHON_", "NODE_", "YARN_", "GOLANG_"];
    KEYS.contains(&key) || PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Top-level JSON fields of an answer worth checking: text without digits, booleans
/// (numbers and timestamps change from run to run). At most five.
pub fn stable_fields(body: &str) -> Vec<(String, serde_json::Value)> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    map.into_iter()
        .filter(|(k, v)| {
            let plain_key = !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            plain_key
                && match v {
                    serde_json::Value::String(s) => {
                        !s.is_empty() && s.len() <= 60 && !s.chars().any(|c| c.is_ascii_digit())
                    }
                    serde_json::Value::Bool(_) => true,
                    _ => false,
                }
        })
        .take(5)
        .map(|(k, v)| (format!("$.{k}"), v))
        .collect()
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

/// Records a draft from a running reference container: its image and what the image
/// holds, its published tcp ports, how it was set up (`docker run -e`, mounts, restart
/// policy, networks, health), and what each of `paths` (default `/`) answers on the first
/// port, with stable JSON fields where the answer is JSON.
pub async fn record(daemon: &Daemon, name: &str, paths: &[String]) -> Result<Draft, RecordError> {
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
    let image = daemon.image(&c.image_id).await?;
    let image_env: Vec<String> = image.as_ref().map(|i| i.env.clone()).unwrap_or_default();
    let split = |kv: &String| {
        kv.split_once('=')
            .map(|(k, v)| (k.to_string(), v.to_string()))
    };
    let service = match (
        c.labels.get("com.docker.compose.project"),
        c.labels.get("com.docker.compose.service"),
    ) {
        (Some(p), Some(s)) => Some((p.clone(), s.clone())),
        _ => None,
    };
    // Compose puts its services on the project's network; that is compose's doing.
    let compose_net = service.as_ref().map(|(p, _)| format!("{p}_default"));
    let setup = DraftSetup {
        env: c
            .env
            .iter()
            .filter(|kv| !image_env.contains(kv))
            .filter_map(split)
            .filter(|(k, _)| !base_variable(k))
            .collect(),
        mounts: c
            .mounts
            .iter()
            .filter(|m| m.kind == "bind" || m.kind == "volume")
            .map(|m| (m.destination.clone(), m.source.clone(), m.kind.clone()))
            .collect(),
        restart: c.restart_policy.clone().filter(|r| r != "no"),
        networks: c
            .networks
            .iter()
            .filter(|n| *n != "bridge" && Some(*n) != compose_net.as_ref())
            .cloned()
            .collect(),
        healthy: c.health.as_ref().is_some_and(|h| h.status == "healthy"),
        service,
    };
    let image_settings = image.as_ref().map(|i| DraftImage {
        expose: i
            .exposed_ports
            .iter()
            .map(|p| p.trim_end_matches("/tcp").to_string())
            .collect(),
        cmd: i.cmd.clone(),
        entrypoint: i.entrypoint.clone(),
        workdir: i.workdir.clone(),
        user: i.user.clone(),
        env: i
            .env
            .iter()
            .filter_map(split)
            .filter(|(k, _)| !base_variable(k))
            .collect(),
        healthcheck: i
            .healthcheck
            .as_ref()
            .is_some_and(|t| t.first().is_some_and(|k| k != "NONE")),
    });
    // The image as typed on `docker run`, when that names it; else its tag.
    let image_ref = c
        .image_name
        .parse()
        .ok()
        .filter(|_| !c.image_name.starts_with("sha256:"))
        .or_else(|| image.as_ref()?.repo_tags.first()?.parse().ok());
    let mut draft = Draft {
        name: Some(format!("Recorded from {name}")),
        image: image_ref,
        container: Some(ContainerName(c.name.clone())),
        ports,
        http: Vec::new(),
        setup,
        image_settings,
    };
    if let Some(first) = draft.ports.first() {
        let host = match first.host_ip {
            Some(ip) if !ip.is_unspecified() => ip.to_string(),
            _ => daemon.facts().probe_host.clone(),
        };
        let defaults = ["/".to_string()];
        let paths = if paths.is_empty() {
            &defaults[..]
        } else {
            paths
        };
        for path in paths {
            let probe = crate::spec::HttpExpect::get(path);
            let url = format!("http://{host}:{}{path}", first.host_port);
            if let ProbeOutcome::Response { status, body, .. } =
                crate::observe::probe_once(&url, &probe).await
            {
                let json = stable_fields(&body);
                draft.http.push(DraftHttp {
                    path: path.clone(),
                    status: Some(status),
                    body_contains: if json.is_empty() {
                        stable_part(&body)
                    } else {
                        None
                    },
                    json,
                });
            }
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
                json: Vec::new(),
            }],
            ..Draft::default()
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
