//! Plain, owned, serialisable facts observed from the daemon and the network.
//!
//! Nothing here knows about bollard or reqwest: the observe module converts their types
//! into these at the boundary, so facts saved as JSON can be replayed in tests.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The most of a response body observe keeps (and judging says was cut at).
pub const BODY_CAP: usize = 1024 * 1024;

/// Everything observed for one run of the grader.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    pub daemon: DaemonFacts,
    /// Keyed by `repository:tag` as the spec names it; `None` when the image does not exist.
    pub images: BTreeMap<String, Option<ImageFacts>>,
    /// Keyed by container name; `None` when no container has that name.
    pub containers: BTreeMap<String, Option<ContainerFacts>>,
    /// Keyed by check id.
    pub probes: BTreeMap<String, ProbeFacts>,
    /// Containers that exist on the daemon (name, image), for near-miss hints.
    #[serde(default)]
    pub others: Vec<ContainerBrief>,
    /// Project files the checks read (the Dockerfile, .dockerignore), by path as the spec
    /// names them; `None` when missing. Capped at 1 MiB each.
    #[serde(default)]
    pub files: BTreeMap<String, Option<String>>,
    /// One-shot runs, keyed by check id.
    #[serde(default)]
    pub runs: BTreeMap<String, RunFacts>,
    /// Every `repository:tag` on the daemon, read when a spec image is missing.
    #[serde(default)]
    pub other_images: Vec<String>,
    /// The project folder the files were read from (`--dir`, made absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_dir: Option<String>,
    /// Dockerfiles one folder down, read when the spec's is missing (`src/Dockerfile`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dockerfiles_nearby: Vec<String>,
    /// Whether the project folder has a `Dockerfile` that `docker build .` would use;
    /// `None` when the folder was not looked at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dockerfile_at_top: Option<bool>,
    /// Without one, the folder each of `dockerfiles_nearby` builds from: `.` when the
    /// paths its COPY lines name are in the project folder, else its own folder.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nearby_contexts: BTreeMap<String, String>,
    /// The daemon's events of the last hour for containers the spec names that are not
    /// there (what happened to them: removed, renamed), keyed by the name; read only
    /// then, and empty where the engine would not tell.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub events: BTreeMap<String, Vec<EventFact>>,
    /// The value `{{random}}` stood for in this run, so that a replay judges with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random: Option<String>,
}

/// The daemon the grader talked to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DaemonFacts {
    pub host: String,
    pub api_version: String,
    pub server_version: String,
    /// Address the probes go to for published ports (127.0.0.1 for a local daemon).
    pub probe_host: String,
    /// The CPU architecture the engine runs programs for (`amd64`, `arm64`), read only
    /// when a program failed with `exec format error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
}

/// An image as the daemon describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageFacts {
    pub id: String,
    /// The CPU architecture and OS it was built for (`arm64`, `linux`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    pub repo_tags: Vec<String>,
    pub created: Option<String>,
    pub size: Option<i64>,
    pub exposed_ports: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub workdir: Option<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    /// The build steps, oldest first (`created_by` of `docker history`), read only when a
    /// check needs them.
    #[serde(default)]
    pub history: Vec<String>,
    /// `repository@sha256:...` digests the image was pushed or pulled under.
    #[serde(default)]
    pub repo_digests: Vec<String>,
    /// Its filesystem layers, oldest first.
    #[serde(default)]
    pub layers: Vec<String>,
    /// The image it was built FROM, when a check asks: concluded from `base_evidence` by
    /// [`crate::base::base_of`]. (Facts saved before the evidence was recorded carry only
    /// this.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseFacts>,
    /// What the daemon said about the image's ancestry, when a check asks for its base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_evidence: Option<BaseEvidence>,
    /// Other images' tags like the one a `tagged_as` check wants (an older build).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lookalikes: Vec<String>,
    /// What registries said about the image's tags, keyed by tag.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub registry: BTreeMap<String, RegistryFacts>,
    /// The HEALTHCHECK test it declares (`["CMD", "curl", ...]`; `["NONE"]` turns one off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Vec<String>>,
    /// Paths of its filesystem that checks asked about, read from the image through the
    /// engine's API (never by running it); `None` when the path does not exist.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, Option<FileFacts>>,
    /// Files under a folder of the image whose names look like secrets, when a check
    /// asks; keyed by the folder.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub trees: BTreeMap<String, TreeFacts>,
    /// Where files of these names are in the image (under its WORKDIR, or `/`), looked
    /// for when a failed start names a file that is not where it says.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub named: BTreeMap<String, Vec<String>>,
    /// Files whose names are a typo away from one looked for in `named` (`server.py` for
    /// `sever.py`: at most two edits, never the name itself), found in the same walk.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub similar: BTreeMap<String, Vec<String>>,
    /// Why the image's files could not be read, when they could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_error: Option<String>,
}

/// Whether a file name is a typo away from another: at most two edits, the same
/// extension, and both long enough that two edits do not make any name another
/// (`sever.py` and `server.py`; not `a.py` and `b.py`, nor `app.js` and `app.ts`).
pub fn similar_name(wanted: &str, found: &str) -> bool {
    let extension = |n: &str| n.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    wanted != found
        && extension(wanted) == extension(found)
        && wanted.chars().count().min(found.chars().count()) >= 5
        && strsim::damerau_levenshtein(wanted, found) <= 2
}

/// The most of a file in an image that is read for a `contains` check.
pub const FILE_CAP: usize = 256 * 1024;

/// One path in an image, as its archive header and first bytes show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    /// `file`, `dir`, `symlink` or `other`.
    pub kind: String,
    pub size: u64,
    /// Permission bits (`0o755`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// The owner's name, when the archive names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Where a symbolic link points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The file's text, up to [`FILE_CAP`] bytes, when it is text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The file holds bytes that are not text.
    #[serde(default)]
    pub binary: bool,
    /// Only the first [`FILE_CAP`] bytes were read.
    #[serde(default)]
    pub truncated: bool,
}

/// A folder of an image walked for files that look like secrets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TreeFacts {
    /// How many entries the folder holds (all of them, not only those kept).
    pub entries: u64,
    /// Files whose names look like secrets (see `crate::secrets`), full paths, with
    /// whether their first bytes hold a private key.
    pub suspects: Vec<Suspect>,
    /// The walk stopped early (too many entries or a time limit).
    #[serde(default)]
    pub truncated: bool,
}

/// A file that may be a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Suspect {
    pub path: String,
    /// Its first bytes show `PRIVATE KEY`.
    #[serde(default)]
    pub private_key: bool,
}

/// The image another was built FROM.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum BaseFacts {
    /// The local image whose layers the image starts with (the most of them).
    Found { id: String, tags: Vec<String> },
    /// No image on the machine is its base (removed since, or the image was pulled).
    Unknown,
}

/// The raw facts an image's base is concluded from (see [`crate::base::base_of`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BaseEvidence {
    /// The image's parent chain as `docker images --all` lists it, its parent first, up to
    /// the first image with no parent (or one the list does not hold). The classic
    /// builder records a parent for each step it runs here; BuildKit and pulled images
    /// have none.
    #[serde(default)]
    pub parents: Vec<ImageBrief>,
    /// The other tagged images on the machine (`docker images`) with their creation time
    /// and layers. Read only when no parent has a tag.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<ImageBrief>,
}

/// An image as a listing names it: id and tags (`<none>:<none>` left out), and, for the
/// images inspected, when it was created and its layers, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageBrief {
    pub id: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

/// What a registry answered for `GET /v2/<name>/manifests/<tag>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "answer")]
pub enum RegistryFacts {
    /// It holds the tag; `config` is the image id the manifest names, when it names one.
    Present {
        digest: Option<String>,
        config: Option<String>,
    },
    /// It does not hold the tag (404).
    Absent,
    /// It refused to answer (401, 403, ...) even with an anonymous token.
    Refused { status: u16 },
    /// It could not be reached, or answered something else.
    Unreachable { error: String },
}

/// One published port as the daemon reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedPort {
    pub container_port: u16,
    pub proto: String,
    /// Empty or `0.0.0.0` / `::` for any address.
    pub host_ip: String,
    pub host_port: u16,
}

/// A container's state and configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContainerFacts {
    pub id: String,
    pub name: String,
    /// The image as it was named at `docker run` time.
    pub image_name: String,
    /// The image id (`sha256:...`) the container was created from.
    pub image_id: String,
    /// created, running, paused, restarting, removing, exited or dead.
    pub status: String,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    pub oom_killed: bool,
    pub exit_code: Option<i64>,
    pub error: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Seconds the container had been running when observed, if it is running.
    pub running_for_secs: Option<f64>,
    pub restart_count: i64,
    pub pid: Option<i64>,
    /// Ports actually published (empty when none, or when the container is not running).
    pub published: Vec<PublishedPort>,
    /// Ports requested at `docker run -p` time (kept even when the container stopped).
    pub requested: Vec<PublishedPort>,
    pub exposed_ports: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub env: Vec<String>,
    /// The last lines of the container's log, already capped in size.
    pub log_tail: Vec<String>,
    /// TCP sockets listening inside the container, when they could be read.
    pub listening: Option<Vec<Listener>>,
    #[serde(default)]
    pub mounts: Vec<MountFact>,
    /// `docker run --restart` policy name (`no`, `always`, ...).
    #[serde(default)]
    pub restart_policy: Option<String>,
    /// `docker run --memory` in bytes, when the container has a memory limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<i64>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub networks: Vec<String>,
    /// How many times Docker restarted the container while it was being checked (the
    /// app crashed under the probes), or whether it stopped then.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub restarts_during_check: i64,
    /// It was there when the check began and gone (or being removed) when its evidence
    /// was read: someone ran `docker rm` while it was being checked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub removed_during_check: bool,
    /// Someone stopped it (`docker stop`, `docker kill`: the daemon's events say so), so
    /// its exit is no crash.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stop_requested: bool,
    /// Its HEALTHCHECK state, when the image or `docker run --health-cmd` declares one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthFacts>,
    /// How `listening` was read when not from this machine's /proc: the `docker exec`
    /// that read the tables inside the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listening_via: Option<String>,
    /// The wait for the log line that says the app is ready (`ready_when: {log}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<ReadyFacts>,
}

/// How the wait for a container's ready line went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadyFacts {
    /// The text waited for.
    pub text: String,
    /// Its log showed it.
    pub seen: bool,
    /// How long the grader waited, in milliseconds.
    pub waited_ms: u64,
}

/// A container's health, as `docker inspect` shows it under State.Health.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthFacts {
    /// `starting`, `healthy` or `unhealthy`.
    pub status: String,
    pub failing_streak: i64,
    /// The last probe's exit code and output (capped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_output: Option<String>,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// One event the daemon logged for a container (`docker events`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventFact {
    /// Unix time, in milliseconds.
    pub time_ms: i64,
    /// `create`, `start`, `die`, `oom`, `kill`, `stop`, `restart`, `rename`, `destroy`, ...
    pub action: String,
    /// The container's id.
    pub id: String,
    /// Its name at that moment (for a `rename`, the new one).
    pub name: String,
    /// For a `die`: the exit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    /// For a `rename`: the name before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_name: Option<String>,
    /// The image it was created from, as `docker run` named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// How a one-shot run went.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunFacts {
    /// `None` when it did not finish (timed out) or could not start.
    pub exit_code: Option<i64>,
    /// Standard output and error, capped in size.
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Why it could not run at all.
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

/// A mount of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountFact {
    /// bind, volume, tmpfs, ...
    pub kind: String,
    /// Host path (bind) or volume name (volume).
    pub source: String,
    pub destination: String,
}

/// A TCP socket in LISTEN state inside a container's network namespace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listener {
    pub ip: String,
    pub port: u16,
}

impl ImageFacts {
    /// The digests the image was pushed (or pulled) under in the repository of `tag`.
    pub fn pushed_digests(&self, tag: &str) -> Vec<String> {
        let (registry, path, _) = crate::spec::split_tag(tag);
        self.repo_digests
            .iter()
            .filter_map(|d| d.split_once('@'))
            .filter(|(repo, _)| {
                let (r, p, _) = crate::spec::split_tag(repo);
                (r, p) == (registry, path)
            })
            .map(|(_, digest)| digest.to_string())
            .collect()
    }
}

impl Listener {
    /// True when the socket only accepts connections from inside the container.
    pub fn is_loopback(&self) -> bool {
        self.ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    }
}

/// Name and image of a container on the daemon, for "did you mean" hints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerBrief {
    pub name: String,
    pub image: String,
    pub status: String,
    /// The host ports it publishes (tcp), for "which container holds port 8097".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host_ports: Vec<u16>,
}

/// How an HTTP probe went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeFacts {
    pub url: String,
    pub method: String,
    pub attempts: u32,
    pub elapsed_ms: u64,
    pub outcome: ProbeOutcome,
    /// When the path was 404: other paths tried on the same server and their status
    /// (0 when they did not answer).
    #[serde(default)]
    pub alternatives: Vec<(String, u16)>,
}

/// The answer, or why there was none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeOutcome {
    Response {
        status: u16,
        headers: Vec<(String, String)>,
        /// Body as text (lossy UTF-8), at most the body cap.
        body: String,
        /// True when the body was longer than the cap and reading stopped there.
        truncated: bool,
    },
    Failed {
        error: TransportError,
        message: String,
    },
    /// Not sent, because a prerequisite (a running container, a port) was missing.
    NotSent { reason: String },
}

/// Transport failures, in the words curl users know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportError {
    /// Nothing accepted the connection (curl: "Connection refused").
    Refused,
    /// The connection was reset (curl: "Connection reset by peer").
    Reset,
    /// Closed without a byte of answer (curl: "Empty reply from server").
    EmptyReply,
    /// The connection could not even be opened in time.
    ConnectTimeout,
    /// Connected, but no answer came within the probe timeout.
    Timeout,
    /// The headers came, but the body did not finish within the probe timeout.
    SlowBody,
    /// The connection closed in the middle of the answer.
    CutShort,
    /// The bytes that came back are not HTTP (perhaps TLS on a plain port).
    NotHttp,
    /// The answer's headers are larger than any sane server sends.
    HeadersTooLarge,
    /// Too many redirects.
    RedirectLoop,
    /// The host name could not be resolved.
    Dns,
    /// Anything else.
    Other,
}

impl TransportError {
    /// How curl would have put it.
    pub fn describe(&self) -> &'static str {
        match self {
            TransportError::Refused => "connection refused",
            TransportError::Reset => "connection reset",
            TransportError::EmptyReply => "empty reply from server",
            TransportError::ConnectTimeout => "could not connect before the timeout",
            TransportError::Timeout => "no answer before the timeout",
            TransportError::SlowBody => "the body did not finish before the timeout",
            TransportError::CutShort => "the answer was cut short",
            TransportError::NotHttp => "the answer is not HTTP",
            TransportError::HeadersTooLarge => "the answer's headers are too large",
            TransportError::RedirectLoop => "too many redirects",
            TransportError::Dns => "host name not found",
            TransportError::Other => "request failed",
        }
    }
}

/// Whether a file's name looks like a secret that does not belong in an image: `.env`
/// files (not `.env.example`), SSH private keys, key and certificate stores. A `.pem` or
/// `.key` counts as a secret only when it holds a private key (judged from its first
/// bytes), so a CA bundle is not one.
pub fn secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let env = lower == ".env"
        || (lower.starts_with(".env.")
            && !["example", "sample", "template", "dist", "defaults"]
                .iter()
                .any(|s| lower.ends_with(s)));
    let ssh = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"].contains(&lower.as_str());
    let store = [".pem", ".key", ".p12", ".pfx"]
        .iter()
        .any(|e| lower.ends_with(e));
    env || ssh || store || lower == ".git-credentials" || lower == ".netrc"
}

#[cfg(test)]
mod tests {
    #[test]
    fn similar_names_are_a_typo_away() {
        use super::similar_name;
        assert!(similar_name("sever.py", "server.py"));
        assert!(similar_name("sevrer.py", "server.py"));
        assert!(similar_name("Server.py", "server.py"));
        assert!(!similar_name("app.js", "app.ts"));
        assert!(!similar_name("server.py", "server.py"));
        assert!(!similar_name("a.py", "b.py"));
        assert!(!similar_name("main.py", "server.py"));
    }
}
