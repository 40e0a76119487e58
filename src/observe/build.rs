//! `docker build` through the API: a folder (or a ready tar) sent as the build context,
//! the daemon's output streamed into a capped log, and a failed build explained.

use std::collections::HashMap;
use std::path::Path;

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
}

impl BuildFailure {
    fn new(problem: impl Into<String>) -> BuildFailure {
        BuildFailure {
            problem: problem.into(),
            log: String::new(),
            daemon_fault: false,
        }
    }
}

/// The build context of a folder as a tar, honouring its `.dockerignore`, and the
/// relative paths it holds (for explaining "file not found").
pub fn context_tar(dir: &Path) -> Result<(Vec<u8>, Vec<String>), BuildFailure> {
    let files = crate::dockerignore::context_files(dir)
        .map_err(|e| BuildFailure::new(format!("cannot read the submission: {e}")))?;
    let mut tar = tar::Builder::new(Vec::new());
    // A symlink goes in as a link, as Docker sends it: following it could pull in files
    // from outside the folder.
    tar.follow_symlinks(false);
    let mut total = 0u64;
    for (abs, rel) in &files {
        total += std::fs::metadata(abs).map(|m| m.len()).unwrap_or(0);
        if total > CONTEXT_CAP {
            return Err(BuildFailure::new(format!(
                "the submission is larger than {} MiB",
                CONTEXT_CAP >> 20
            )));
        }
        tar.append_path_with_name(abs, rel)
            .map_err(|e| BuildFailure::new(format!("cannot read {rel}: {e}")))?;
    }
    let body = tar
        .into_inner()
        .map_err(|e| BuildFailure::new(e.to_string()))?;
    Ok((body, files.into_iter().map(|(_, r)| r).collect()))
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
    /// Told the id of every image the build commits (not the FROM bases), as it commits
    /// it: a build that fails or is cut short leaves these behind, unlabelled.
    pub on_image: Option<&'a (dyn Fn(&str) + Send + Sync)>,
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
}

impl Steps {
    /// Feeds streamed output; returns the ids of the images committed in it.
    fn feed(&mut self, chunk: &str) -> Vec<String> {
        self.partial.push_str(chunk);
        let mut ids = Vec::new();
        while let Some(end) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=end).collect();
            let line = line.trim();
            if let Some((_, instr)) = line
                .strip_prefix("Step ")
                .and_then(|rest| rest.split_once(" : "))
            {
                self.after_from = instr
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| w.eq_ignore_ascii_case("FROM"));
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
        return Err(BuildFailure::new(
            "there is no Dockerfile in the submission's top folder",
        ));
    }
    let (body, files) = context_tar(dir)?;
    build_tar_with(daemon, body, tag, labels, settings, &files).await
}

/// Sends a tar build context and follows the build to its end.
pub async fn build_tar(
    daemon: &Daemon,
    body: Vec<u8>,
    tag: &str,
    labels: &HashMap<&str, &str>,
    memory: Option<i64>,
    files: &[String],
) -> Result<String, BuildFailure> {
    let settings = BuildSettings {
        memory,
        ..BuildSettings::default()
    };
    build_tar_with(daemon, body, tag, labels, &settings, files).await
}

/// Sends a tar build context, builds it as `settings` say and follows it to its end.
pub async fn build_tar_with(
    daemon: &Daemon,
    body: Vec<u8>,
    tag: &str,
    labels: &HashMap<&str, &str>,
    settings: &BuildSettings<'_>,
    files: &[String],
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
    let mut steps = Steps::default();
    let mut log = String::new();
    let mut stream =
        daemon
            .client()
            .build_image(opts.build(), None, Some(bollard::body_full(body.into())));
    while let Some(item) = stream.next().await {
        // The daemon answering with an error is the build's; losing the daemon is ours.
        if let Err(e) = &item
            && is_transport(e)
        {
            return Err(BuildFailure {
                problem: format!("the Docker daemon failed during the build: {e}"),
                log,
                daemon_fault: true,
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
            Err(e) => Some(e.to_string()),
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
                });
            }
            let h = crate::hints::build_hint(&msg, files);
            return Err(BuildFailure {
                problem: format!("{} — {}", h.cause, h.fix),
                log,
                daemon_fault: false,
            });
        }
    }
    Ok(log)
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
