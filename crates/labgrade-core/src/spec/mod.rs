//! The lab spec: what a finished lab looks like, read from YAML.
//!
//! Validation happens while serde_yaml deserialises, so every error carries the file,
//! line and column of the value at fault; the few rules that span several keys are
//! checked afterwards and located by the key they concern.

mod http;
mod port;
mod settings;
mod values;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use http::{HttpExpect, JsonPath, JsonStep, Target};
pub use port::{PortMapping, Proto};
pub use settings::{
    DockerfileSpec, ExposedPort, FileMode, FileSpec, ImageEntry, ImageSpec, MountKind, MountSpec,
    RestartPolicy, RunSpec, Size,
};
pub(crate) use values::glob;
pub use values::{
    ContainerName, DOCKER_HUB, ImagePattern, ImageRef, Method, PassMark, Pattern, RANDOM, Span,
    StatusSpec, Visibility, parse_duration, registry_host, split_tag,
};

/// Points each kind of implicit check is worth unless the spec says otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Points {
    /// The image exists with the right name and tag.
    #[schemars(range(max = 10000))]
    pub image: u32,
    /// A container with the right name exists.
    #[schemars(range(max = 10000))]
    pub container: u32,
    /// That container is running.
    #[schemars(range(max = 10000))]
    pub running: u32,
    /// That container was created from the spec's image.
    #[schemars(range(max = 10000))]
    pub from_image: u32,
    /// Each port mapping is published.
    #[schemars(range(max = 10000))]
    pub port: u32,
    /// Each HTTP expectation holds.
    #[schemars(range(max = 10000))]
    pub http: u32,
    /// Each image or container setting holds (EXPOSE, CMD, ENV, mounts, ...).
    #[schemars(range(max = 10000))]
    pub setting: u32,
    /// Each one-shot run gives the expected output.
    #[schemars(range(max = 10000))]
    pub run: u32,
}

impl Default for Points {
    fn default() -> Self {
        Points {
            image: 2,
            container: 1,
            running: 2,
            from_image: 1,
            port: 2,
            http: 3,
            setting: 1,
            run: 3,
        }
    }
}

/// One container the lab must have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    /// The `--name` it must have (or give `service:` for a compose service).
    #[serde(default = "unnamed")]
    pub name: ContainerName,
    /// A docker compose service, found by its `com.docker.compose.service` label.
    pub service: Option<String>,
    /// The compose project the service belongs to (any project when not given).
    pub project: Option<String>,
    /// The image it must be created from.
    pub image: Option<ImageRef>,
    /// The `-p` mappings it must publish.
    #[serde(default)]
    pub ports: Vec<PortMapping>,
    /// Requests sent through its published ports.
    #[serde(default)]
    pub http: Vec<HttpExpect>,
    /// Environment variables it must have (`docker run -e KEY=value`).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Mounts it must have (`docker run -v`).
    #[serde(default)]
    pub mounts: Vec<MountSpec>,
    /// Its restart policy (`docker run --restart`).
    pub restart: Option<RestartPolicy>,
    /// Labels it must carry (`docker run --label`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Networks it must be attached to (`docker run --network`).
    #[serde(default)]
    pub networks: Vec<String>,
    /// Its HEALTHCHECK reports `healthy` (the readiness wait follows the health status).
    #[serde(default)]
    pub healthy: bool,
    /// When the app is ready for requests: `{log: "Running on"}` waits (up to `wait`,
    /// 60 s by default) until its log shows the text, or it stops.
    pub ready_when: Option<ReadyWhen>,
}

/// A sign that a container's app is ready for requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadyWhen {
    /// Text a line of its log contains once it is ready, such as "Running on".
    pub log: String,
}

// Only `Spec::parse` sees this shape (the short form: one container's `image:`,
// `container:`, `ports:`, `http:`, `env:` … at the top): it is validated and normalised
// into `Spec` once, so nothing downstream copies the short form field by field. The doc
// line below is the schema's description, for spec authors.
/// A whole lab spec, as written (short form and long form side by side).
#[derive(Debug, Clone, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "labgrade lab spec, version 1")]
struct RawSpec {
    /// Spec format version; only 1 exists.
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Lab title shown above the report.
    pub name: Option<String>,
    /// Score needed to pass, in points or percent; all points by default.
    #[serde(default)]
    pub pass_mark: PassMark,
    /// Default points per kind of check.
    #[serde(default)]
    pub points: Points,
    /// How long to wait for a container that just started to answer.
    pub wait: Option<Span>,
    /// Short form: the image the lab builds.
    pub image: Option<ImageRef>,
    /// Short form: the container the lab runs.
    pub container: Option<ContainerName>,
    /// Short form: that container's port mappings.
    #[serde(default)]
    pub ports: Vec<PortMapping>,
    /// Short form: requests sent to that container.
    #[serde(default)]
    pub http: Vec<HttpExpect>,
    /// Long form: several containers.
    #[serde(default)]
    pub containers: Vec<ContainerSpec>,
    /// Short form: environment variables the container must have.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Short form: mounts the container must have.
    #[serde(default)]
    pub mounts: Vec<MountSpec>,
    /// Short form: the container's restart policy.
    pub restart: Option<RestartPolicy>,
    /// Short form: labels the container must carry.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Short form: networks the container must be attached to.
    #[serde(default)]
    pub networks: Vec<String>,
    /// Short form: the container's HEALTHCHECK reports `healthy`.
    #[serde(default)]
    pub healthy: bool,
    /// Short form: when the app is ready for requests, such as `{log: "Running on"}`.
    pub ready_when: Option<ReadyWhen>,
    /// More images that must exist (`hello:v1`), or what an image must hold
    /// (`{name: hello:v1, expose: [8088], cmd: [python, app.py], deps_before_code: true}`).
    #[serde(default)]
    pub images: Vec<ImageEntry>,
    /// One-shot runs (`docker run --rm IMAGE`) and the output they must give.
    #[serde(default)]
    pub runs: Vec<RunSpec>,
    /// The Dockerfile and the rules it must follow.
    pub dockerfile: Option<DockerfileSpec>,
    /// Batch grading: the images a submission may be built FROM (and `COPY --from`),
    /// as patterns with `*` for any run of characters, such as `python:3.*-slim`; a name
    /// without `*` nor a tag means `:latest`. Without it, bases pulled from a registry are allowed
    /// and images made on the grading machine (no registry digest) are refused.
    #[serde(default)]
    pub allowed_bases: Vec<String>,
    /// Gradescope: when students see the result (`visible`, `hidden`, `after_due_date`,
    /// `after_published`); each check can set its own `visibility` too.
    pub visibility: Option<Visibility>,
}

/// A lab spec, validated and normalised: every container in `containers` (the short
/// form's first), every request that belongs to no container in `http`.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    /// Spec format version; only 1 exists.
    pub version: u32,
    /// Lab title shown above the report.
    pub name: Option<String>,
    /// Score needed to pass, in points or percent.
    pub pass_mark: PassMark,
    /// Default points per kind of check.
    pub points: Points,
    /// How long to wait for a container that just started to answer.
    pub wait: Option<Span>,
    /// The image the lab builds (the short form's `image:`), if it names one.
    pub image: Option<ImageRef>,
    /// Every container the lab needs, the short form's first; a compose service goes by
    /// its service name until the daemon says which container it is.
    pub containers: Vec<ContainerSpec>,
    /// Requests that belong to no container (full URLs or explicit ports).
    pub http: Vec<HttpExpect>,
    /// More images that must exist, or what an image must hold.
    pub images: Vec<ImageEntry>,
    /// One-shot runs and the output they must give.
    pub runs: Vec<RunSpec>,
    /// The Dockerfile and the rules it must follow.
    pub dockerfile: Option<DockerfileSpec>,
    /// Batch grading: the patterns a submission's bases must match (empty: the default).
    pub allowed_bases: Vec<String>,
    /// Gradescope: when students see the result.
    pub visibility: Option<Visibility>,
}

impl TryFrom<RawSpec> for Spec {
    /// The key to point at and the message.
    type Error = (&'static str, String);

    fn try_from(raw: RawSpec) -> Result<Spec, Self::Error> {
        raw.validate()?;
        let containers = raw.containers();
        let http = if raw.container.is_none() {
            raw.http
        } else {
            Vec::new()
        };
        Ok(Spec {
            version: raw.version,
            name: raw.name,
            pass_mark: raw.pass_mark,
            points: raw.points,
            wait: raw.wait,
            image: raw.image,
            containers,
            http,
            images: raw.images,
            runs: raw.runs,
            dockerfile: raw.dockerfile,
            allowed_bases: raw.allowed_bases,
            visibility: raw.visibility,
        })
    }
}

/// Most points one check may be worth (keeps totals far from overflow).
const MAX_POINTS: u32 = 10_000;

/// An empty name: the entry names a compose `service:` instead.
fn unnamed() -> ContainerName {
    ContainerName(String::new())
}

fn one() -> u32 {
    1
}

/// Why a spec could not be used. The text names the file and, where known, the spot.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{path}: cannot read the spec: {source}{hint}")]
    Read {
        path: String,
        source: std::io::Error,
        /// What is there instead (`; did you mean ...?`), or nothing.
        hint: String,
    },
    #[error("{path}: is a folder, not a spec; {hint}")]
    IsDir { path: String, hint: String },
    #[error(
        "{path}: the spec is empty; a minimal spec is:\n  image: nautilus/python-app\n  container: pythonapp_nautilus\n  ports: [\"8097:8088\"]"
    )]
    Empty { path: String },
    #[error("{path}:{line}:{column}: {message}{snippet}")]
    Invalid {
        path: String,
        line: usize,
        column: usize,
        message: String,
        snippet: String,
    },
    #[error("{path}: {message}")]
    Unlocated { path: String, message: String },
}

impl SpecError {
    /// The error for `message` about the spec's `key`, at the key's line and column in
    /// `text` when it can be found there.
    pub fn at_key(text: &str, path: &str, key: &str, message: String) -> SpecError {
        match locate_key(text, key) {
            Some((line, column)) => SpecError::Invalid {
                path: path.to_string(),
                line,
                column,
                message,
                snippet: snippet(text, line, column),
            },
            None => SpecError::Unlocated {
                path: path.to_string(),
                message,
            },
        }
    }
}

/// The `.yaml` and `.yml` files in a folder, sorted, at most eight.
fn yaml_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<String> = entries
        .flatten()
        .take(1000)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
        .collect();
    found.sort();
    found.truncate(8);
    found
}

/// What is there instead of a spec path that does not exist: a spec whose name is a typo
/// away in the same folder, or the folder itself missing.
fn missing_hint(path: &Path) -> String {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        let cwd = std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| ".".into());
        return format!(
            "; there is no folder {} here ({cwd}): give the spec's path from this folder, or an absolute one",
            parent.display()
        );
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let near = yaml_files(parent)
        .into_iter()
        .map(|f| (strsim::damerau_levenshtein(&name, &f), f))
        .filter(|(d, _)| *d <= 3)
        .min();
    match near {
        Some((_, f)) => {
            let shown = if parent == Path::new(".") {
                f
            } else {
                format!("{}/{f}", parent.display())
            };
            format!("; did you mean {shown}?")
        }
        None => String::new(),
    }
}

impl Spec {
    /// The spec format's JSON Schema, for editors (yaml-language-server) and tooling.
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(RawSpec);
        serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
    }

    /// Reads a spec file's text (UTF-8), for [`Spec::parse`].
    pub fn read(path: &Path) -> Result<String, SpecError> {
        let shown = path.display().to_string();
        if path.is_dir() {
            let specs = yaml_files(path);
            let hint = if specs.is_empty() {
                "it holds no .yaml file: give the path of the lab's spec".to_string()
            } else {
                let shown = shown.trim_end_matches('/');
                let list: Vec<String> = specs.iter().map(|f| format!("{shown}/{f}")).collect();
                format!("give one of the specs in it: {}", list.join(", "))
            };
            return Err(SpecError::IsDir { path: shown, hint });
        }
        let bytes = std::fs::read(path).map_err(|source| SpecError::Read {
            hint: if source.kind() == std::io::ErrorKind::NotFound {
                missing_hint(path)
            } else {
                String::new()
            },
            path: shown.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| SpecError::Unlocated {
            path: shown.clone(),
            message: format!(
                "the file is not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        })?;
        Ok(text)
    }

    /// Parses and validates spec text; `path` is only used in messages. The rules that
    /// need the checks the spec expands into (a reachable pass mark) are the plan's:
    /// [`crate::plan::parse`] and [`crate::plan::load`] apply both.
    pub fn parse(text: &str, path: &str) -> Result<Spec, SpecError> {
        if text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            return Err(SpecError::Empty {
                path: path.to_string(),
            });
        }
        let raw: RawSpec = serde_yaml::from_str(text).map_err(|e| yaml_error(&e, text, path))?;
        Spec::try_from(raw).map_err(|(key, message)| SpecError::at_key(text, path, key, message))
    }

    /// Every container the lab needs, the short form's first.
    pub fn containers(&self) -> &[ContainerSpec] {
        &self.containers
    }

    /// Every image the lab needs, without repeats, in the order written.
    pub fn images(&self) -> Vec<ImageRef> {
        let mut out: Vec<ImageRef> = Vec::new();
        let all = self
            .image
            .iter()
            .chain(self.images.iter().map(|e| &e.0.name))
            .chain(self.runs.iter().map(|r| &r.image))
            .chain(self.containers.iter().filter_map(|c| c.image.as_ref()));
        for i in all {
            if !out.contains(i) {
                out.push(i.clone());
            }
        }
        out
    }

    /// What the `images:` entries ask of each image (one entry per image, the first wins).
    pub fn image_specs(&self) -> Vec<ImageSpec> {
        let mut out: Vec<ImageSpec> = Vec::new();
        for e in &self.images {
            if !out.iter().any(|i| i.name == e.0.name) {
                out.push(e.0.clone());
            }
        }
        out
    }
}

impl RawSpec {
    /// The rules that span several keys. Returns the key to point at and the message.
    fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.version != 1 {
            return Err((
                "version",
                format!(
                    "unsupported spec version {}: this labgrade reads version 1",
                    self.version
                ),
            ));
        }
        if let Some(bad) = self
            .allowed_bases
            .iter()
            .find(|b| b.trim().is_empty() || b.contains(char::is_whitespace))
        {
            return Err((
                "allowed_bases",
                format!(
                    "invalid base pattern `{bad}`: write an image name such as python:3.11-slim, with * for any characters (python:3.*-slim)"
                ),
            ));
        }
        let http_points = self
            .http
            .iter()
            .chain(self.containers.iter().flat_map(|c| c.http.iter()))
            .filter_map(|h| h.points);
        let p = &self.points;
        let kinds = [
            p.image,
            p.container,
            p.running,
            p.from_image,
            p.port,
            p.http,
            p.setting,
            p.run,
        ];
        let run_points = self.runs.iter().filter_map(|r| r.points);
        if kinds
            .into_iter()
            .chain(http_points)
            .chain(run_points)
            .any(|n| n > MAX_POINTS)
        {
            return Err((
                "points",
                format!("points must be at most {MAX_POINTS} per check"),
            ));
        }
        if let Some(d) = &self.dockerfile
            && let Some(bad) = d.skip.iter().find(|s| {
                !crate::dockerfile::RULES
                    .iter()
                    .any(|r| r.id.eq_ignore_ascii_case(s))
            })
        {
            let ids: Vec<&str> = crate::dockerfile::RULES.iter().map(|r| r.id).collect();
            return Err((
                "skip",
                format!(
                    "unknown Dockerfile rule `{bad}` in skip: the rules are {}",
                    ids.join(", ")
                ),
            ));
        }
        for i in &self.images {
            for f in &i.0.files {
                if f.path.trim().is_empty() {
                    return Err((
                        "files",
                        "a `files:` entry has an empty path: give one such as /app/requirements.txt (or .git, under the WORKDIR)".into(),
                    ));
                }
                let about_content = !f.contains.is_empty()
                    || f.regex.is_some()
                    || f.mode.is_some()
                    || f.owner.is_some();
                if f.absent && about_content {
                    return Err((
                        "absent",
                        format!(
                            "`{}` is `absent: true` and also says what the file must hold: keep one",
                            f.path
                        ),
                    ));
                }
                if f.points.is_some_and(|p| p > MAX_POINTS) {
                    return Err((
                        "points",
                        format!("points must be at most {MAX_POINTS} per check"),
                    ));
                }
            }
        }
        let short_settings = !self.env.is_empty()
            || !self.mounts.is_empty()
            || self.restart.is_some()
            || !self.labels.is_empty()
            || !self.networks.is_empty()
            || self.healthy
            || self.ready_when.is_some();
        if self.container.is_none() && short_settings {
            let set = [
                ("env", !self.env.is_empty()),
                ("mounts", !self.mounts.is_empty()),
                ("restart", self.restart.is_some()),
                ("labels", !self.labels.is_empty()),
                ("networks", !self.networks.is_empty()),
                ("healthy", self.healthy),
                ("ready_when", self.ready_when.is_some()),
            ];
            return Err((
                set.iter().find(|(_, on)| *on).map_or("env", |(k, _)| *k),
                "`env`, `mounts`, `restart`, `labels`, `networks`, `healthy` and `ready_when` belong to a container: add `container: NAME` beside them".into(),
            ));
        }
        if self.container.is_none() {
            if !self.ports.is_empty() {
                return Err((
                    "ports",
                    "`ports` belongs to a container: add `container: NAME` beside it".into(),
                ));
            }
            if let Some(h) = self
                .http
                .iter()
                .find(|h| matches!(h.target, Target::Path(_)) && h.port.is_none())
            {
                return Err((
                    "http",
                    format!(
                        "`{}` has no port to go to: add `container:` and `ports:`, or give `port:` or a full url",
                        h.request_line()
                    ),
                ));
            }
        }
        let containers = self.containers();
        if containers.is_empty()
            && self.images().is_empty()
            && self.http.is_empty()
            && self.runs.is_empty()
            && self.dockerfile.is_none()
        {
            return Err((
                "",
                "the spec has no checks: add `image:`, `container:` or `http:`".into(),
            ));
        }
        for c in &self.containers {
            match (c.name.0.is_empty(), &c.service) {
                (true, None) => {
                    return Err((
                        "containers",
                        "a `containers:` entry needs `name:` (or `service:` for a compose service)"
                            .into(),
                    ));
                }
                (false, Some(s)) => {
                    return Err((
                        "containers",
                        format!(
                            "container `{}` has both `name:` and `service: {s}`: give one",
                            c.name
                        ),
                    ));
                }
                (_, Some(s)) if s.parse::<ContainerName>().is_err() => {
                    return Err(("service", format!("invalid compose service name `{s}`")));
                }
                _ => {}
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for c in &containers {
            if !names.insert(c.name.0.as_str()) {
                return Err((
                    "containers",
                    format!("container `{}` is listed twice", c.name),
                ));
            }
            if let Some(h) = c.http.iter().find(|h| {
                matches!(h.target, Target::Path(_))
                    && h.port.is_none()
                    && !c.ports.iter().any(|p| p.proto == Proto::Tcp)
            }) {
                return Err((
                    if self.containers.is_empty() {
                        "http"
                    } else {
                        "containers"
                    },
                    format!(
                        "`{}` for container `{}` has no port to go to: add a tcp mapping to its `ports:` or give `port:`",
                        h.request_line(),
                        c.name
                    ),
                ));
            }
            let mut seen = std::collections::BTreeSet::new();
            for p in &c.ports {
                if !seen.insert((p.host_ip, p.host_port, p.proto)) {
                    return Err((
                        "ports",
                        format!(
                            "host port {}/{} is mapped twice for container `{}`",
                            p.host_port, p.proto, c.name
                        ),
                    ));
                }
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for h in self
            .http
            .iter()
            .chain(self.containers.iter().flat_map(|c| c.http.iter()))
        {
            if let Some(id) = &h.id
                && !ids.insert(id.as_str())
            {
                return Err(("id", format!("check id `{id}` is used twice")));
            }
        }
        Ok(())
    }

    /// Every container the lab needs, short form first: the one place the short form
    /// becomes a container entry.
    fn containers(&self) -> Vec<ContainerSpec> {
        let mut out = Vec::new();
        if let Some(name) = &self.container {
            out.push(ContainerSpec {
                name: name.clone(),
                image: self.image.clone(),
                service: None,
                project: None,
                ports: self.ports.clone(),
                http: self.http.clone(),
                env: self.env.clone(),
                mounts: self.mounts.clone(),
                restart: self.restart,
                labels: self.labels.clone(),
                networks: self.networks.clone(),
                healthy: self.healthy,
                ready_when: self.ready_when.clone(),
            });
        }
        out.extend(self.containers.iter().map(|c| {
            let mut c = c.clone();
            // A compose service goes by its service name until the daemon says which
            // container it is.
            if c.name.0.is_empty() {
                c.name = ContainerName(c.service.clone().unwrap_or_default());
            }
            c
        }));
        out
    }

    /// Every image the lab needs, without repeats, in the order written.
    fn images(&self) -> Vec<ImageRef> {
        let mut out: Vec<ImageRef> = Vec::new();
        let all = self
            .image
            .iter()
            .chain(self.images.iter().map(|e| &e.0.name))
            .chain(self.runs.iter().map(|r| &r.image))
            .chain(self.containers.iter().filter_map(|c| c.image.as_ref()));
        for i in all {
            if !out.contains(i) {
                out.push(i.clone());
            }
        }
        out
    }
}

/// Turns serde_yaml's error into ours, with the position and a caret under it.
fn yaml_error(e: &serde_yaml::Error, text: &str, path: &str) -> SpecError {
    let full = e.to_string();
    match e.location() {
        Some(loc) => {
            let suffix = format!(" at line {} column {}", loc.line(), loc.column());
            let mut message = full.replace(&suffix, "");
            // The whole document is of the wrong kind (a list, a bare value, `~`).
            let at = text
                .lines()
                .nth(loc.line().saturating_sub(1))
                .and_then(|l| l.chars().nth(loc.column().saturating_sub(1)));
            if message.contains("expected struct RawSpec") {
                message = "a spec must be a set of keys such as `image:`, `container:`, `ports:` and `http:`".into();
            } else if let Some(better) = suggest_key(&message) {
                message = better;
            } else if message.contains("tab character") {
                message.push_str("; YAML indents with spaces, never tabs");
            } else if at == Some('\t') {
                message =
                    "a tab character: YAML does not allow tabs for indentation; use spaces".into();
            } else if message.ends_with("expected a sequence") {
                message
                    .push_str("; write a list, such as [\"8097:8088\"], or one `- item` per line");
            }
            SpecError::Invalid {
                path: path.to_string(),
                line: loc.line(),
                column: loc.column(),
                message,
                snippet: snippet(text, loc.line(), loc.column()),
            }
        }
        None => SpecError::Unlocated {
            path: path.to_string(),
            message: full,
        },
    }
}

/// "unknown field `contianer`, expected one of `a`, `b`" becomes "unknown key `contianer`:
/// did you mean `container`?" when one of the keys is close, with the full list after.
fn suggest_key(message: &str) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let (typo, list) = rest.split_once('`')?;
    let keys: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    let prefix = &message[..message.find("unknown field").unwrap_or(0)];
    let best = keys
        .iter()
        .map(|k| (strsim::damerau_levenshtein(typo, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min()?
        .1;
    Some(format!(
        "{prefix}unknown key `{typo}`: did you mean `{best}`? (keys here: {})",
        keys.join(", ")
    ))
}

/// The offending line with a caret under the column, like a compiler shows it.
fn snippet(text: &str, line: usize, column: usize) -> String {
    let Some(src) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    let src: String = src
        .chars()
        .take(160)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let gutter = line.to_string().len();
    format!(
        "\n{:gutter$} |\n{line} | {src}\n{:gutter$} | {}^",
        "",
        "",
        " ".repeat(column.saturating_sub(1).min(160))
    )
}

/// Finds a top-level (or, failing that, any) `key:` in the text; `""` means line 1.
fn locate_key(text: &str, key: &str) -> Option<(usize, usize)> {
    if key.is_empty() {
        return Some((1, 1));
    }
    let at = |top: bool| {
        text.lines().enumerate().find_map(|(i, l)| {
            let trimmed = l.trim_start().trim_start_matches("- ");
            let col = l.len() - trimmed.len() + 1;
            (trimmed.starts_with(&format!("{key}:")) && (!top || col == 1)).then_some((i + 1, col))
        })
    };
    at(true).or_else(|| at(false))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Spec::parse(text, "lab.yaml").unwrap_err().to_string()
    }

    #[test]
    fn short_form_expands() {
        let s = Spec::parse(
            "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\nhttp:\n  - get: /\n    status: 200\n    body_contains: \"Hello\"\n",
            "lab.yaml",
        )
        .unwrap();
        let c = s.containers();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].ports[0].host_port, 8097);
        assert_eq!(c[0].http[0].status, StatusSpec::Exact(200));
        assert_eq!(c[0].http[0].body_contains, vec!["Hello".to_string()]);
        assert_eq!(s.images()[0].full(), "nautilus/python-app:latest");
        assert_eq!(s.pass_mark, PassMark::Percent(100.0));
    }

    #[test]
    fn errors_name_line_column_and_value() {
        let e = err("image: a\ncontainer: b\nports: [\"80a:80\"]\n");
        assert!(e.starts_with("lab.yaml:3:9: "), "{e}");
        assert!(e.contains("invalid port `80a` in `80a:80`"), "{e}");
        assert!(e.contains("^"), "{e}");

        let e = err("image: a\ncontainer: b\nports: [\"70000:80\"]\n");
        assert!(e.contains("port 70000"), "{e}");

        let e = err("image: \"\"\n");
        assert!(
            e.starts_with("lab.yaml:1:8: ") && e.contains("empty image name"),
            "{e}"
        );

        let e = err("image: a\nimgae: b\n");
        assert!(
            e.starts_with("lab.yaml:2:1: ")
                && e.contains("unknown key `imgae`: did you mean `image`?"),
            "{e}"
        );

        let e = err("container: b\nports: [\"1:1\"]\nhttp:\n  - get: /\n    body_regex: \"a(\"\n");
        assert!(
            e.contains("lab.yaml:5:17") && e.contains("invalid regex `a(`"),
            "{e}"
        );

        let e = err("container: b\nports: [\"1:1\"]\nhttp:\n  - method: FETCH\n    path: /\n");
        assert!(
            e.contains("lab.yaml:4:13") && e.contains("unknown HTTP method `FETCH`"),
            "{e}"
        );

        let e = err("ports: [\"1:1\"]\n");
        assert!(
            e.starts_with("lab.yaml:1:1: ") && e.contains("add `container: NAME`"),
            "{e}"
        );

        let e = err("image: [1, 2]\n");
        assert!(e.starts_with("lab.yaml:1:8: "), "{e}");

        let e = err("image: a\n  bad: indentation\n: x");
        assert!(e.starts_with("lab.yaml:"), "{e}");
    }

    #[test]
    fn empty_and_checkless_specs_are_errors() {
        assert!(err("# nothing\n\n").contains("the spec is empty"));
        assert!(err("name: x\n").contains("no checks"));
        assert!(err("version: 2\nimage: a\n").contains("unsupported spec version 2"));
    }

    #[test]
    fn long_form_and_duplicates() {
        let s = Spec::parse(
            "containers:\n  - name: web\n    image: web:v1\n    ports: [\"5000:5000\"]\n    http:\n      - get: /health\n  - name: db\nimages: [hello:v1, hello:v2]\n",
            "lab.yaml",
        )
        .unwrap();
        assert_eq!(s.containers().len(), 2);
        assert_eq!(s.images().len(), 3);
        let e = err("containers:\n  - name: web\n  - name: web\n");
        assert!(e.contains("listed twice"), "{e}");
        let e = err("container: web\nhttp:\n  - get: /\n");
        assert!(e.contains("has no port to go to"), "{e}");
    }
}
