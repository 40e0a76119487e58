//! One-shot runs (`docker run --rm IMAGE ARGS`): started with resource limits and no
//! network, waited for with a deadline, their output captured (capped) and the container
//! removed whatever happened.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::models::{ContainerCreateBody, HostConfig, HostConfigLogConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, LogsOptionsBuilder};
use futures_util::StreamExt;

use super::Daemon;
use crate::facts::RunFacts;
use crate::spec::RunSpec;

/// Label on one-shot containers, so `labgrade clean` and tests can find leftovers.
pub const LABEL: &str = "io.labgrade.run";
/// Output bytes kept per stream.
const OUTPUT_CAP: usize = 64 * 1024;
/// Default time a run may take.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Removes the container when dropped, so a run cut short (a timeout, Ctrl-C) leaves
/// nothing behind.
struct Removal {
    daemon: Daemon,
    name: String,
}

impl Drop for Removal {
    fn drop(&mut self) {
        let (daemon, name) = (self.daemon.clone(), std::mem::take(&mut self.name));
        if name.is_empty() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move { crate::observe::containers::remove(&daemon, &name).await });
        }
    }
}

/// A container name no other run of this process uses, even in parallel batch jobs.
pub(super) fn unique_name() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("labgrade-run-{}-{n}", std::process::id())
}

/// Runs the image once and reports what it did.
pub(crate) async fn run(daemon: &Daemon, spec: &RunSpec) -> RunFacts {
    let name = unique_name();
    let started = Instant::now();
    let mut guard = Removal {
        daemon: daemon.clone(),
        name: name.clone(),
    };
    let mut facts = match steps(daemon, spec, &name).await {
        Ok(f) => f,
        Err(e) => RunFacts {
            error: Some(e),
            ..RunFacts::default()
        },
    };
    // Removed here while we wait; the guard only covers a run that never got this far.
    crate::observe::containers::remove(daemon, &name).await;
    guard.name.clear();
    facts.elapsed_ms = started.elapsed().as_millis() as u64;
    facts
}

async fn steps(daemon: &Daemon, spec: &RunSpec, name: &str) -> Result<RunFacts, String> {
    let client = daemon.client();
    let body = ContainerCreateBody {
        image: Some(spec.image.full()),
        cmd: (!spec.args.is_empty()).then(|| spec.args.clone()),
        // Its owner, so that `labgrade clean` leaves a check in progress alone.
        labels: Some(
            std::iter::once((LABEL.to_string(), "1".to_string()))
                .chain(crate::owner::Owner::me().labels())
                .collect::<HashMap<_, _>>(),
        ),
        host_config: Some(HostConfig {
            memory: Some(256 * 1024 * 1024),
            memory_swap: Some(256 * 1024 * 1024),
            nano_cpus: Some(1_000_000_000),
            // A program that floods its output fills no disk: the daemon keeps 1 MB.
            log_config: Some(HostConfigLogConfig {
                typ: Some("json-file".into()),
                config: Some(HashMap::from([("max-size".to_string(), "1m".to_string())])),
            }),
            pids_limit: Some(128),
            network_mode: Some("none".into()),
            cap_drop: Some(vec!["ALL".into()]),
            security_opt: Some(vec!["no-new-privileges".into()]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::default().name(name).build();
    client
        .create_container(Some(opts), body)
        .await
        .map_err(|e| format!("cannot create the container: {e}"))?;
    client
        .start_container(name, None)
        .await
        .map_err(|e| format!("the container could not start: {e}"))?;
    let timeout = spec.timeout.map_or(DEFAULT_TIMEOUT, |t| t.0);
    let mut wait = client.wait_container(
        name,
        None::<bollard::query_parameters::WaitContainerOptions>,
    );
    let waited = tokio::time::timeout(timeout, wait.next()).await;
    let mut facts = RunFacts::default();
    match waited {
        Err(_) => {
            facts.timed_out = true;
            let _ = client
                .kill_container(
                    name,
                    None::<bollard::query_parameters::KillContainerOptions>,
                )
                .await;
        }
        Ok(Some(Ok(r))) => facts.exit_code = Some(r.status_code),
        // A non-zero exit arrives as an error carrying the code.
        Ok(Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. }))) => {
            facts.exit_code = Some(code)
        }
        Ok(Some(Err(e))) => return Err(format!("waiting for the container failed: {e}")),
        Ok(None) => {}
    }
    let logs = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .build();
    let mut stream = client.logs(name, Some(logs));
    let read = async {
        while let Some(Ok(chunk)) = stream.next().await {
            let (buf, bytes) = match chunk {
                LogOutput::StdErr { message } => (&mut facts.stderr, message),
                LogOutput::StdOut { message } | LogOutput::Console { message } => {
                    (&mut facts.stdout, message)
                }
                LogOutput::StdIn { .. } => continue,
            };
            if buf.len() < OUTPUT_CAP {
                let room = OUTPUT_CAP - buf.len();
                buf.push_str(&String::from_utf8_lossy(&bytes[..bytes.len().min(room)]));
            }
            if facts.stdout.len() >= OUTPUT_CAP && facts.stderr.len() >= OUTPUT_CAP {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(3), read).await;
    Ok(facts)
}
