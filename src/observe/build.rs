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

/// Builds the folder's Dockerfile into `tag`.
pub async fn build_dir(
    daemon: &Daemon,
    dir: &Path,
    tag: &str,
    labels: &HashMap<&str, &str>,
    memory: Option<i64>,
) -> Result<String, BuildFailure> {
    if !dir.join("Dockerfile").is_file() {
        return Err(BuildFailure::new(
            "there is no Dockerfile in the submission's top folder",
        ));
    }
    let (body, files) = context_tar(dir)?;
    build_tar(daemon, body, tag, labels, memory, &files).await
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
    let mut opts = BuildImageOptionsBuilder::default()
        .dockerfile("Dockerfile")
        .t(tag)
        .rm(true)
        .forcerm(true)
        .labels(labels);
    if let Some(m) = memory {
        opts = opts.memory(i32::try_from(m).unwrap_or(i32::MAX));
    }
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
            // A full disk or a failing one is the machine's fault, not the submission's:
            // such a submission is "not graded" (and --resume grades it again).
            let lower = msg.to_lowercase();
            if MACHINE_FAULTS.iter().any(|m| lower.contains(m)) {
                return Err(BuildFailure {
                    problem: format!(
                        "the build failed because of the machine, not the submission: {}",
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
