//! `docker build` through the API: a folder (or a ready tar) sent as the build context,
//! the daemon's output streamed into a capped log, and a failed build explained.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use bollard::query_parameters::BuildImageOptionsBuilder;
use futures_util::StreamExt;

use crate::observe::Daemon;

/// Largest build context sent to the daemon.
const CONTEXT_CAP: u64 = 256 * 1024 * 1024;
/// Build log bytes kept (the newest).
const LOG_CAP: usize = 256 * 1024;

/// Build errors that come from the machine the daemon runs on, not from the Dockerfile.
const MACHINE_FAULTS: [&str; 3] = [
    "no space left on device",
    "input/output error",
    "read-only file system",
];

/// A build that did not produce an image: why (with the fix), and the log so far.
#[derive(Debug, Clone)]
pub struct BuildFailure {
    pub problem: String,
    pub log: String,
    /// The daemon could not be reached or failed, so the submission was not judged.
    pub daemon_fault: bool,
    /// The recognised cause, when the failure is the submission's.
    pub cause_id: Option<crate::cause::CauseId>,
}

impl BuildFailure {
    fn new(problem: impl Into<String>) -> BuildFailure {
        BuildFailure {
            problem: problem.into(),
            log: String::new(),
            daemon_fault: false,
            cause_id: None,
        }
    }
}

/// A build context on its way to the daemon: small ones held in memory, a submission's
/// in an unnamed temporary file, streamed from disk — a 200 MB submission costs the
/// grader no more memory than a small one.
pub enum Context {
    Bytes(Vec<u8>),
    File(std::fs::File),
}

impl From<Vec<u8>> for Context {
    fn from(b: Vec<u8>) -> Context {
        Context::Bytes(b)
    }
}

impl Context {
    fn len(&self) -> std::io::Result<u64> {
        match self {
            Context::Bytes(b) => Ok(b.len() as u64),
            Context::File(f) => f.metadata().map(|m| m.len()),
        }
    }

    /// The tar, in chunks of at most 64 KiB from a file.
    fn into_stream(
        self,
    ) -> futures_util::stream::BoxStream<'static, Result<bytes::Bytes, std::io::Error>> {
        match self {
            Context::Bytes(b) => futures_util::stream::once(async move { Ok(b.into()) }).boxed(),
            Context::File(f) => {
                tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(f), 64 * 1024)
                    .boxed()
            }
        }
    }
}

/// The build context of a folder as a tar in a temporary file, honouring its
/// `.dockerignore`, and the relative paths it holds (for explaining "file not found").
pub fn context_tar(dir: &Path) -> Result<(Context, crate::hints::Listing), BuildFailure> {
    use std::io::Seek;
    let files = crate::dockerignore::context_files(dir)
        .map_err(|e| BuildFailure::new(format!("cannot read the submission: {e}")))?;
    let spool = tempfile::tempfile().map_err(|e| {
        BuildFailure::new(format!(
            "cannot write the build context to {}: {e}",
            std::env::temp_dir().display()
        ))
    })?;
    let mut tar = tar::Builder::new(spool);
    // A symlink goes in as a link, as Docker sends it: following it could pull in files
    // from outside the folder.
    tar.follow_symlinks(false);
    let sizes: Vec<u64> = files
        .iter()
        .map(|(abs, _)| std::fs::symlink_metadata(abs).map(|m| m.len()).unwrap_or(0))
        .collect();
    if sizes.iter().sum::<u64>() > CONTEXT_CAP {
        return Err(too_large(&files, &sizes));
    }
    let mut listing = crate::hints::Listing::default();
    for (abs, rel) in &files {
        if let Ok(to) = std::fs::read_link(abs) {
            listing.links.insert(rel.clone(), to.display().to_string());
        }
        tar.append_path_with_name(abs, rel)
            .map_err(|e| BuildFailure::new(format!("cannot read {rel}: {e}")))?;
    }
    let mut spool = tar
        .into_inner()
        .map_err(|e| BuildFailure::new(e.to_string()))?;
    spool
        .rewind()
        .map_err(|e| BuildFailure::new(e.to_string()))?;
    listing.files = files.into_iter().map(|(_, r)| r).collect();
    Ok((Context::File(spool), listing))
}

/// A build context over [`CONTEXT_CAP`], told with what makes it large: its largest
/// top-level entries (a folder such as `node_modules/` counted whole), and the
/// `.dockerignore` lines that leave them out of the build.
fn too_large(files: &[(std::path::PathBuf, String)], sizes: &[u64]) -> BuildFailure {
    // Per top-level entry: its size, and its largest file.
    let mut by_entry: std::collections::BTreeMap<String, (u64, u64, &str)> = Default::default();
    for (n, (_, rel)) in sizes.iter().zip(files) {
        let entry = match rel.split_once('/') {
            Some((top, _)) => format!("{top}/"),
            None => rel.clone(),
        };
        let e = by_entry.entry(entry).or_default();
        e.0 += n;
        if *n > e.1 {
            (e.1, e.2) = (*n, rel.as_str());
        }
    }
    // A folder whose size is mostly one file is named by that file: leaving out `src/`
    // for the data file in it would leave out the app too.
    let mut largest: Vec<(u64, String)> = by_entry
        .into_iter()
        .map(|(e, (n, big, file))| {
            if e.ends_with('/') && big * 5 >= n * 4 {
                (big, file.to_string())
            } else {
                (n, e)
            }
        })
        .collect();
    largest.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    largest.truncate(3);
    // Only entries of a MiB or more are worth naming, when there are such.
    if largest.iter().any(|(n, _)| *n >= 1 << 20) {
        largest.retain(|(n, _)| *n >= 1 << 20);
    }
    let size = |n: u64| match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n => format!("{:.1} KiB", n as f64 / 1024.0),
    };
    let total: u64 = sizes.iter().sum();
    let named: Vec<String> = largest
        .iter()
        .map(|(n, e)| format!("{e} ({})", size(*n)))
        .collect();
    let lines: Vec<&str> = largest
        .iter()
        .filter(|(n, _)| *n >= 1 << 20)
        .map(|(_, e)| e.as_str())
        .collect();
    let left = total - largest.iter().map(|(n, _)| n).sum::<u64>();
    let fix = match lines.as_slice() {
        [] => "leave what the image does not need out of the build: name it in .dockerignore"
            .to_string(),
        [one] => format!(
            "leave it out of the build: add the line `{one}` to .dockerignore (or remove it from the submission)"
        ),
        many => format!(
            "leave them out of the build: add the lines {} to .dockerignore (or remove them from the submission)",
            many.iter()
                .map(|l| format!("`{l}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    // Said plainly when that alone does not bring it under the cap.
    let still = if !lines.is_empty() && left > CONTEXT_CAP {
        format!(
            "; without them it is still {}: leave out more of what the image does not need",
            size(left)
        )
    } else {
        String::new()
    };
    BuildFailure {
        problem: format!(
            "the submission is {}, more than the {} MiB a build is sent; the largest: {} — {fix}{still}",
            size(total),
            CONTEXT_CAP >> 20,
            named.join(", ")
        ),
        log: String::new(),
        daemon_fault: false,
        cause_id: Some(crate::cause::CauseId::ContextTooLarge),
    }
}

/// Errors that mean the daemon could not be talked to, as opposed to its answers.
fn is_transport(e: &bollard::errors::Error) -> bool {
    use bollard::errors::Error::*;
    matches!(
        e,
        IOError { .. }
            | HyperResponseError { .. }
            | HyperLegacyError { .. }
            | RequestTimeoutError
            | SocketNotFoundError(_)
    )
}

/// What a build asks of the daemon beyond its tag and labels (`Default`: what `docker build`
/// does, with the cache).
#[derive(Default)]
pub struct BuildSettings<'a> {
    /// Memory limit of each RUN step's container, in bytes.
    pub memory: Option<i64>,
    /// Build every step afresh: no build then stands on another's intermediate images, so
    /// removing one build's images can never pull a layer from under another.
    pub nocache: bool,
    /// The network RUN steps are on (`none`, or a network's name).
    pub network: Option<&'a str>,
    /// CPU time of each RUN step, as `(period, quota)` in microseconds.
    pub cpu: Option<(i32, i32)>,
    /// The cgroup every RUN step's container is put under (`--cgroup-parent`), such as
    /// one [`BuildCgroup`] made: its process limit bounds the whole build. Sent only to a
    /// daemon on a unix socket (bollard's build options have no such field).
    pub cgroup_parent: Option<&'a str>,
    /// Told the id of every image the build commits (not the FROM bases), as it commits
    /// it: a build that fails or is cut short leaves these behind, unlabelled.
    pub on_image: Option<&'a (dyn Fn(&str) + Send + Sync)>,
    /// The longest the build may take. At that time it is stopped, and the failure names
    /// the step it was at, with the log so far.
    pub timeout: Option<Duration>,
}

/// Build errors that are the daemon's or the network's, not the Dockerfile's: a parent
/// image removed under the build (another build's clean-up), a lost registry or connection.
const DAEMON_FAULTS: [&str; 14] = [
    "unknown parent image id",
    "failed to set parent",
    "failed to get digest",
    "no such image: sha256:",
    "layer does not exist",
    "failed to register layer",
    "connection refused",
    "connection reset by peer",
    "i/o timeout",
    "tls handshake timeout",
    "temporary failure in name resolution",
    "no such host",
    "network is unreachable",
    "unexpected eof",
];

/// Whether a build's error message is the machine's or the daemon's fault (the
/// submission is then "not graded", and `--resume` builds it again), not the student's.
pub fn is_daemon_fault(message: &str) -> bool {
    let lower = message.to_lowercase();
    MACHINE_FAULTS
        .iter()
        .chain(DAEMON_FAULTS.iter())
        .any(|m| lower.contains(m))
}

/// Follows the builder's `Step N/M : ...` and ` ---> ID` lines to tell which images the
/// build committed: the id after a FROM step is the base's, every other one is new.
#[derive(Default)]
struct Steps {
    partial: String,
    after_from: bool,
    /// The step the build is at: its number (`6/10`) and instruction.
    last: Option<(String, String)>,
}

/// A builder's step line: `Step 6/10 : RUN ...` (Docker's classic builder) or
/// `STEP 6/10: RUN ...` (Buildah, under Podman), as its number and instruction.
fn step_line(line: &str) -> Option<(String, String)> {
    let rest = line
        .strip_prefix("Step ")
        .or_else(|| line.strip_prefix("STEP "))?;
    let (n, instr) = rest.split_once(':')?;
    let n = n.trim();
    (n.contains('/') && n.bytes().all(|b| b.is_ascii_digit() || b == b'/'))
        .then(|| (n.to_string(), instr.trim().to_string()))
}

impl Steps {
    /// Feeds streamed output; returns the ids of the images committed in it.
    fn feed(&mut self, chunk: &str) -> Vec<String> {
        self.partial.push_str(chunk);
        let mut ids = Vec::new();
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            let line = line.trim();
            if let Some((n, instr)) = step_line(line) {
                self.after_from = instr
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("FROM"));
                self.last = Some((n, instr));
            } else if let Some(id) = line.strip_prefix("---> ")
                && id.len() >= 12
                && id.bytes().all(|b| b.is_ascii_hexdigit())
                && !std::mem::take(&mut self.after_from)
            {
                ids.push(id.to_string());
            }
        }
        if self.partial.len() > 4096 {
            self.partial.clear();
        }
        ids
    }
}

/// Builds the folder's Dockerfile into `tag`.
pub async fn build_dir(
    daemon: &Daemon,
    dir: &Path,
    tag: &str,
    labels: &HashMap<&str, &str>,
    memory: Option<i64>,
) -> Result<String, BuildFailure> {
    let settings = BuildSettings {
        memory,
        ..BuildSettings::default()
    };
    build_dir_with(daemon, dir, tag, labels, &settings).await
}

/// Builds the folder's Dockerfile into `tag`, as `settings` say.
pub async fn build_dir_with(
    daemon: &Daemon,
    dir: &Path,
    tag: &str,
    labels: &HashMap<&str, &str>,
    settings: &BuildSettings<'_>,
) -> Result<String, BuildFailure> {
    if !dir.join("Dockerfile").is_file() {
        // Said exactly: a `dockerfile`, or a Dockerfile in a subfolder, is a common slip.
        let files: Vec<String> = crate::dockerignore::context_files(dir)
            .map(|f| f.into_iter().map(|(_, rel)| rel).collect())
            .unwrap_or_default();
        let h = crate::hints::no_dockerfile(&files);
        return Err(BuildFailure {
            problem: format!("{} — {}", h.cause, h.fix),
            log: String::new(),
            daemon_fault: false,
            cause_id: Some(h.id),
        });
    }
    let (body, files) = context_tar(dir)?;
    build_tar_with(daemon, body, tag, labels, settings, &files).await
}

/// Sends a tar build context, builds it as `settings` say and follows it to its end.
pub async fn build_tar_with(
    daemon: &Daemon,
    body: impl Into<Context>,
    tag: &str,
    labels: &HashMap<&str, &str>,
    settings: &BuildSettings<'_>,
    files: &crate::hints::Listing,
) -> Result<String, BuildFailure> {
    let mut opts = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .nocache(settings.nocache)
        .labels(labels);
    if let Some(m) = settings.memory {
        let m = i32::try_from(m).unwrap_or(i32::MAX);
        // Swap as large as the memory: a build step cannot swap its way past the limit.
        opts = opts.memory(m).memswap(m);
    }
    if let Some(network) = settings.network {
        opts = opts.networkmode(network);
    }
    if let Some((period, quota)) = settings.cpu {
        opts = opts.cpuperiod(period).cpuquota(quota);
    }
    let body = body.into();
    let mut steps = Steps::default();
    let mut log = String::new();
    // The time limit starts before the context is sent: a daemon that never answers is
    // stopped at it too.
    let deadline = settings.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut stream = match (settings.cgroup_parent, unix_socket(daemon)) {
        (Some(parent), Some(socket)) => {
            let query = raw_query(tag, labels, settings, parent);
            let path = format!("/v{}/build?{query}", daemon.facts().api_version);
            match before(deadline, raw_build(socket.to_string(), path, body)).await {
                Some(sent) => sent?.boxed(),
                None => return Err(timed_out(settings.timeout, None, log)),
            }
        }
        _ => daemon
            .client()
            .build_image(
                opts.build(),
                None,
                Some(bollard::body_try_stream(body.into_stream())),
            )
            .map(|item| {
                item.map_err(|e| Fault {
                    transport: is_transport(&e),
                    message: e.to_string(),
                })
            })
            .boxed(),
    };
    loop {
        let Some(next) = before(deadline, stream.next()).await else {
            return Err(timed_out(settings.timeout, steps.last.take(), log));
        };
        let Some(item) = next else { break };
        // The daemon answering with an error is the build's; losing the daemon is ours.
        if let Err(e) = &item
            && e.transport
        {
            return Err(BuildFailure {
                problem: format!("the Docker daemon failed during the build: {}", e.message),
                log,
                daemon_fault: true,
                cause_id: None,
            });
        }
        let message = match item {
            Ok(info) => {
                if let Some(s) = info.stream {
                    for id in steps.feed(&s) {
                        if let Some(tell) = settings.on_image {
                            tell(&id);
                        }
                    }
                    log.push_str(&s);
                    if log.len() > LOG_CAP {
                        let cut = (log.len() - LOG_CAP..log.len())
                            .find(|i| log.is_char_boundary(*i))
                            .unwrap_or(log.len());
                        log.drain(..cut);
                    }
                }
                info.error_detail.and_then(|d| d.message)
            }
            Err(e) => Some(e.message),
        };
        if let Some(msg) = message {
            log.push_str(&msg);
            // A full disk, a parent image removed under the build, a lost registry: the
            // machine's fault, not the submission's. Such a submission is "not graded"
            // (and --resume grades it again).
            if is_daemon_fault(&msg) {
                return Err(BuildFailure {
                    problem: format!(
                        "the build failed because of the machine or the Docker daemon, not the submission: {}",
                        msg.trim()
                    ),
                    log,
                    daemon_fault: true,
                    cause_id: None,
                });
            }
            let h = crate::hints::build_hint(&msg, files);
            return Err(BuildFailure {
                problem: format!("{} — {}", h.cause, h.fix),
                log,
                daemon_fault: false,
                cause_id: Some(h.id),
            });
        }
    }
    Ok(log)
}

/// `fut`'s output, or `None` once `deadline` (if any) has passed.
async fn before<T>(
    deadline: Option<tokio::time::Instant>,
    fut: impl std::future::Future<Output = T>,
) -> Option<T> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// A build stopped at its time limit, told with the step it was at (the builder's last
/// `Step N/M : ...` line, or Buildah's `STEP N/M: ...`) and what makes such a step end.
fn timed_out(limit: Option<Duration>, step: Option<(String, String)>, log: String) -> BuildFailure {
    let secs = limit.unwrap_or_default().as_secs();
    let quicker = "make the build quicker (docker build shows each step's time)";
    let problem = match step {
        Some((n, instr)) => {
            let shown = labgrade_core::report::truncate(&instr, 120);
            let run = instr
                .split_whitespace()
                .next()
                .is_some_and(|k| k.eq_ignore_ascii_case("RUN"));
            let fix = if run {
                "a RUN step runs once while the image is built and must end: start the app with CMD, not RUN, and do not wait or loop in RUN; try it with docker build"
            } else {
                quicker
            };
            format!(
                "the build was still running after {secs}s, at step {n} (`{shown}`), and was stopped — {fix}"
            )
        }
        None => format!("the build was still running after {secs}s and was stopped — {quicker}"),
    };
    BuildFailure {
        problem,
        log,
        daemon_fault: false,
        cause_id: Some(labgrade_core::cause::CauseId::BuildTimedOut),
    }
}

/// A build stream's error: whether the daemon was lost (rather than answering), and why.
#[derive(Debug)]
struct Fault {
    transport: bool,
    message: String,
}

/// The socket path of a daemon reached through a unix socket.
fn unix_socket(daemon: &Daemon) -> Option<&str> {
    daemon.facts().host.strip_prefix("unix://")
}

/// A query string value, percent-encoded.
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `/build` query that `settings` ask for, with the cgroup parent bollard cannot send.
fn raw_query(
    tag: &str,
    labels: &HashMap<&str, &str>,
    settings: &BuildSettings<'_>,
    parent: &str,
) -> String {
    let labels = serde_json::to_string(labels).unwrap_or_else(|_| "{}".into());
    let mut q = vec![
        ("dockerfile", "Dockerfile".to_string()),
        ("t", tag.to_string()),
        ("rm", "1".into()),
        ("forcerm", "1".into()),
        ("nocache", if settings.nocache { "1" } else { "0" }.into()),
        ("labels", labels),
        ("cgroupparent", parent.to_string()),
    ];
    if let Some(m) = settings.memory {
        q.push(("memory", m.to_string()));
        q.push(("memswap", m.to_string()));
    }
    if let Some(n) = settings.network {
        q.push(("networkmode", n.to_string()));
    }
    if let Some((period, quota)) = settings.cpu {
        q.push(("cpuperiod", period.to_string()));
        q.push(("cpuquota", quota.to_string()));
    }
    q.iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `POST /build` by hand over the daemon's unix socket (HTTP/1.0: the daemon streams
/// its JSON messages, one per line, and closes), for the query bollard cannot send.
async fn raw_build(
    socket: String,
    path: String,
    body: Context,
) -> Result<impl futures_util::Stream<Item = Result<bollard::models::BuildInfo, Fault>>, BuildFailure>
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let lost = |e: std::io::Error| BuildFailure {
        problem: format!("the Docker daemon failed during the build: {e}"),
        log: String::new(),
        daemon_fault: true,
        cause_id: None,
    };
    let mut conn = tokio::net::UnixStream::connect(&socket)
        .await
        .map_err(lost)?;
    let head = format!(
        "POST {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: {}\r\n\r\n",
        body.len().map_err(lost)?
    );
    conn.write_all(head.as_bytes()).await.map_err(lost)?;
    let mut body = body.into_stream();
    while let Some(chunk) = body.next().await {
        conn.write_all(&chunk.map_err(lost)?).await.map_err(lost)?;
    }
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 16 * 1024];
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Err(lost(std::io::Error::other("headers too long")));
        }
        let n = conn.read(&mut chunk).await.map_err(lost)?;
        if n == 0 {
            return Err(lost(std::io::Error::other("closed before answering")));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let status = String::from_utf8_lossy(&buf[..end])
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    buf.drain(..end);
    if status != "200" {
        // An error answer is one JSON message, `{"message": ...}`; read a capped amount.
        while buf.len() < 64 * 1024 {
            match conn.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let text = String::from_utf8_lossy(&buf).to_string();
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or(text);
        let problem = format!(
            "the daemon refused the build ({status}): {}",
            message.trim()
        );
        return Err(BuildFailure {
            daemon_fault: is_daemon_fault(&message) || status.starts_with('5'),
            cause_id: None,
            problem,
            log: String::new(),
        });
    }
    Ok(futures_util::stream::unfold(
        (conn, buf, chunk, false),
        |(mut conn, mut buf, mut chunk, done)| async move {
            loop {
                if let Some(i) = buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    let line = String::from_utf8_lossy(&line);
                    if line.trim().is_empty() {
                        continue;
                    }
                    let item = serde_json::from_str(line.trim()).map_err(|e| Fault {
                        transport: false,
                        message: format!("unreadable build output: {e}"),
                    });
                    return Some((item, (conn, buf, chunk, done)));
                }
                if done {
                    return None;
                }
                match conn.read(&mut chunk).await {
                    Ok(0) => {
                        // The last message may come without its line break.
                        buf.push(b'\n');
                        return Some((
                            Ok(bollard::models::BuildInfo::default()),
                            (conn, buf, chunk, true),
                        ));
                    }
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    Err(e) => {
                        let fault = Fault {
                            transport: true,
                            message: e.to_string(),
                        };
                        return Some((Err(fault), (conn, buf, chunk, true)));
                    }
                }
            }
        },
    ))
}

/// A cgroup made for one build, whose process limit bounds every RUN step of it together
/// (a fork bomb in a RUN step fails that build and nothing else). Made where the daemon
/// runs on this machine with the `cgroupfs` driver and the grader may write the cgroup
/// tree (root); removed, in every controller Docker put under it, when dropped.
pub struct BuildCgroup {
    /// The parent to give the daemon (`/labgrade-build/NAME`).
    pub parent: String,
    name: String,
}

/// Where cgroups are mounted.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";
/// labgrade's own folder of build cgroups.
const CGROUP_DIR: &str = "labgrade-build";

impl BuildCgroup {
    /// Makes the cgroup `name` with at most `pids` processes, or says why it cannot.
    pub async fn new(daemon: &Daemon, name: &str, pids: i64) -> Result<BuildCgroup, String> {
        if unix_socket(daemon).is_none() {
            return Err("the Docker daemon is not on this machine's unix socket".into());
        }
        let info = daemon
            .client()
            .info()
            .await
            .map_err(|e| format!("cannot ask the daemon: {e}"))?;
        let driver = info
            .cgroup_driver
            .map(|d| format!("{d:?}"))
            .unwrap_or_default();
        if !driver.to_lowercase().contains("cgroupfs") {
            return Err(format!(
                "the daemon's cgroup driver is {driver}, not cgroupfs"
            ));
        }
        let root = Path::new(CGROUP_ROOT);
        let pids_dir = if root.join("pids").is_dir() {
            root.join("pids").join(CGROUP_DIR).join(name)
        } else {
            // cgroup v2: one tree; the pids controller must be handed down to ours.
            let ours = root.join(CGROUP_DIR);
            std::fs::create_dir_all(&ours).map_err(|e| format!("{}: {e}", ours.display()))?;
            for dir in [root, ours.as_path()] {
                let _ = std::fs::write(dir.join("cgroup.subtree_control"), "+pids");
            }
            ours.join(name)
        };
        std::fs::create_dir_all(&pids_dir).map_err(|e| format!("{}: {e}", pids_dir.display()))?;
        let cgroup = BuildCgroup {
            parent: format!("/{CGROUP_DIR}/{name}"),
            name: name.to_string(),
        };
        std::fs::write(pids_dir.join("pids.max"), pids.to_string())
            .map_err(|e| format!("{}: {e}", pids_dir.join("pids.max").display()))?;
        Ok(cgroup)
    }
}

impl Drop for BuildCgroup {
    fn drop(&mut self) {
        // Docker makes the parent in every controller (v1); each is empty once the
        // build's containers are gone. A busy one (a step still ending) stays: harmless.
        let root = Path::new(CGROUP_ROOT);
        let mut dirs = vec![root.join(CGROUP_DIR).join(&self.name)];
        if let Ok(controllers) = std::fs::read_dir(root) {
            for c in controllers.flatten() {
                dirs.push(c.path().join(CGROUP_DIR).join(&self.name));
            }
        }
        for d in dirs {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// What the daemon knows of a base image a submission's Dockerfile names, for the
/// spec's `allowed_bases` (judged by [`crate::bases::judge`]): whether it is here, its
/// registry digests, whether a grading run built it (it carries `grade_label`), and
/// whether it is one of the lab's own images (`lab_images`), by name or by image id.
pub async fn base_facts(
    daemon: &Daemon,
    reference: &str,
    lab_images: &[String],
    grade_label: &str,
) -> crate::bases::BaseFacts {
    use crate::bases::normalise;
    let name = normalise(reference);
    let mut facts = crate::bases::BaseFacts {
        reference: reference.to_string(),
        lab_image: lab_images.iter().any(|l| normalise(l) == name),
        ..Default::default()
    };
    let Ok(image) = daemon.client().inspect_image(reference).await else {
        return facts;
    };
    facts.present = true;
    facts.digests = image.repo_digests.unwrap_or_default();
    facts.graded_build = image
        .config
        .and_then(|c| c.labels)
        .is_some_and(|l| l.contains_key(grade_label));
    if !facts.lab_image {
        for lab in lab_images {
            if let Ok(l) = daemon.client().inspect_image(lab).await
                && l.id.is_some()
                && l.id == image.id
            {
                facts.lab_image = true;
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_tell_committed_images_from_bases() {
        let mut s = Steps::default();
        let out = [
            "Step 1/4 : FROM base:v1\n",
            " ---> 0123456789ab\n",
            "Step 2/4 : COPY . /app\n ---> ",
            "1111111111aa\nStep 3/4 : RUN [\"/x\"]\n ---> Running in 2222222222bb\n",
            "Removing intermediate container 2222222222bb\n ---> 3333333333cc\n",
            "Step 4/4 : from 1111111111aa AS again\n ---> 1111111111aa\n",
            "Successfully built 3333333333cc\n",
        ];
        let ids: Vec<String> = out.iter().flat_map(|c| s.feed(c)).collect();
        assert_eq!(ids, ["1111111111aa", "3333333333cc"]);
        // The step it is at, kept however much that step prints.
        let _ = s.feed("Step 5/6 : RUN python3 app.py\n");
        let _ = s.feed(&" * Serving Flask app\n".repeat(20_000));
        assert_eq!(s.last, Some(("5/6".into(), "RUN python3 app.py".into())));
        // Buildah's spelling (Podman).
        assert_eq!(
            step_line("STEP 3/4: RUN sleep 600"),
            Some(("3/4".into(), "RUN sleep 600".into()))
        );
        assert_eq!(step_line("Step by step: no"), None);
        let f = timed_out(Some(Duration::from_secs(10)), s.last.clone(), String::new());
        assert!(
            f.problem.starts_with(
                "the build was still running after 10s, at step 5/6 (`RUN python3 app.py`), and was stopped — a RUN step"
            ),
            "{}",
            f.problem
        );
    }

    #[test]
    fn a_context_too_large_names_its_largest_entries() {
        let mib = 1u64 << 20;
        let files: Vec<(std::path::PathBuf, String)> = [
            "Dockerfile",
            "node_modules/a/x.js",
            "node_modules/b/y.js",
            "data/dump.bin",
            "app.py",
        ]
        .iter()
        .map(|r| (std::path::PathBuf::from(r), r.to_string()))
        .collect();
        let f = too_large(&files, &[100, 150 * mib, 100 * mib, 20 * mib, 2000]);
        assert_eq!(f.cause_id, Some(crate::cause::CauseId::ContextTooLarge));
        assert_eq!(
            f.problem,
            "the submission is 270.0 MiB, more than the 256 MiB a build is sent; the largest: node_modules/ (250.0 MiB), data/dump.bin (20.0 MiB) — leave them out of the build: add the lines `node_modules/`, `data/dump.bin` to .dockerignore (or remove them from the submission)"
        );
        // Many small files: nothing to name line by line, and said so.
        let many: Vec<(std::path::PathBuf, String)> = (0..3)
            .map(|i| (std::path::PathBuf::from(format!("f{i}")), format!("f{i}")))
            .collect();
        let f = too_large(&many, &[1000, 1000, 1000]);
        assert!(
            f.problem.ends_with("name it in .dockerignore"),
            "{}",
            f.problem
        );
    }

    #[test]
    fn daemon_faults_are_not_the_students() {
        for m in [
            "failed to set parent sha256:abc: unknown parent image ID sha256:abc",
            "failed to get digest sha256:abc: open /var/lib/docker/...: no such file or directory",
            "Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io: Temporary failure in name resolution",
            "write /var/lib/docker/tmp/x: no space left on device",
        ] {
            assert!(is_daemon_fault(m), "{m}");
        }
        for m in [
            "The command '/bin/sh -c pip install flask' returned a non-zero code: 1",
            "COPY failed: file not found in build context or excluded by .dockerignore: stat app.py: file does not exist",
            "pull access denied for pyhton, repository does not exist or may require 'docker login'",
        ] {
            assert!(!is_daemon_fault(m), "{m}");
        }
    }
}
