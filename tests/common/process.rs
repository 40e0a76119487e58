//! Every program a test runs (labgrade, docker, scripts) runs through here, with a
//! deadline: past it the program is killed and the test fails saying which command hung,
//! with the output it gave so far. A test never hangs on a program.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// `labgrade check`, `record`, `init` and the other quick subcommands: seconds each, even
/// on a loaded 2-core machine; generous so that only a hang trips it.
pub const CHECK_TIME: Duration = Duration::from_secs(120);
/// `labgrade grade` and `merge`: a whole class built, run and graded (seconds here, but
/// every submission is a `docker build`).
pub const GRADE_TIME: Duration = Duration::from_secs(300);
/// One docker CLI command (inspect, run, rm, tag, push to a loopback registry, ...).
pub const DOCKER_TIME: Duration = Duration::from_secs(60);
/// One `docker build` of a lab folder.
pub const BUILD_TIME: Duration = Duration::from_secs(300);
/// A short helper program (`id`, `kill`, `hadolint`, ...).
pub const TOOL_TIME: Duration = Duration::from_secs(30);

/// After a kill, how long to wait for what the program wrote before it (a grandchild that
/// kept the pipe open must not hang the test either).
const GRACE: Duration = Duration::from_secs(2);

/// `Command::output` and `Command::spawn` with a deadline.
pub trait Within {
    /// Runs to the end and returns the output like `Command::output` (stdin empty, stdout
    /// and stderr captured); after `limit` kills it and panics, naming the command.
    fn output_within(&mut self, limit: Duration) -> Output;
    /// Like `output_within`, but in a process group of its own, all of which is killed
    /// at the deadline: for a program that runs the one that matters as its child.
    fn output_within_group(&mut self, limit: Duration) -> Output;
    /// Starts it in the background (stdin empty, stdout and stderr captured); `wait`
    /// returns its output, or kills it and panics once `limit` from now has passed. It
    /// is killed when dropped, so a failing test leaves no program running.
    fn spawn_within(&mut self, limit: Duration) -> Spawned;
}

impl Within for Command {
    fn output_within(&mut self, limit: Duration) -> Output {
        run_for(self, limit).unwrap_or_else(|e| panic!("{e}"))
    }

    fn output_within_group(&mut self, limit: Duration) -> Output {
        use std::os::unix::process::CommandExt;
        self.process_group(0);
        let mut child = Spawned::start(self, limit, true).unwrap_or_else(|e| panic!("{e}"));
        child.wait_for_end().unwrap_or_else(|e| panic!("{e}"))
    }

    fn spawn_within(&mut self, limit: Duration) -> Spawned {
        Spawned::start(self, limit, false).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Runs a command to its end, or kills it after `limit`: never hangs. The error says
/// which command, and what it wrote before it was killed.
pub fn run_for(cmd: &mut Command, limit: Duration) -> Result<Output, RunError> {
    Spawned::start(cmd, limit, false)?.wait_for_end()
}

/// Why `run_for` gave no output.
#[derive(Debug)]
pub enum RunError {
    /// The program could not be started (not installed, ...).
    NotStarted(String),
    /// It ran past its deadline and was killed.
    TimedOut(String),
    /// Waiting for it failed.
    Lost(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::NotStarted(e) | RunError::TimedOut(e) | RunError::Lost(e) => f.write_str(e),
        }
    }
}

/// A program started by `Within::spawn_within`.
pub struct Spawned {
    child: Child,
    shown: String,
    limit: Duration,
    deadline: Instant,
    /// Started in its own process group: kill the whole group.
    group: bool,
    out: Receiver<Vec<u8>>,
    err: Receiver<Vec<u8>>,
    /// Reaped (by `wait`, `try_wait` or `kill`): nothing to kill on drop.
    done: bool,
}

impl Spawned {
    fn start(cmd: &mut Command, limit: Duration, group: bool) -> Result<Spawned, RunError> {
        let shown = format!("{cmd:?}");
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| RunError::NotStarted(format!("{shown}: {e}")))?;
        let out = drain(child.stdout.take().unwrap());
        let err = drain(child.stderr.take().unwrap());
        Ok(Spawned {
            child,
            shown,
            limit,
            deadline: Instant::now() + limit,
            group,
            out,
            err,
            done: false,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status if it has ended, without waiting.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        let status = self
            .child
            .try_wait()
            .unwrap_or_else(|e| panic!("{}: {e}", self.shown));
        self.done |= status.is_some();
        status
    }

    /// Kills it (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        self.kill_now();
    }

    /// Waits for the end and returns its output; past the deadline, kills it and panics.
    pub fn wait(mut self) -> Output {
        self.wait_for_end().unwrap_or_else(|e| panic!("{e}"))
    }

    fn wait_for_end(&mut self) -> Result<Output, RunError> {
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if Instant::now() < self.deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    self.kill_now();
                    let until = Instant::now() + GRACE;
                    let (out, err) = (collect(&self.out, until), collect(&self.err, until));
                    return Err(RunError::TimedOut(format!(
                        "{} did not finish within {:?}: killed. Its stdout so far: {}\nIts \
                         stderr so far: {}",
                        self.shown,
                        self.limit,
                        super::text(&out),
                        super::text(&err)
                    )));
                }
                Err(e) => return Err(RunError::Lost(format!("{}: {e}", self.shown))),
            }
        };
        self.done = true;
        // The program has ended; its pipes close unless a child of its still holds them.
        let until = self.deadline.max(Instant::now()) + GRACE;
        Ok(Output {
            status,
            stdout: collect(&self.out, until),
            stderr: collect(&self.err, until),
        })
    }

    fn kill_now(&mut self) {
        if self.done {
            return;
        }
        if self.group {
            // The group's id is the leader's pid; `kill -- -PGID` signals all of it.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.done = true;
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// Reads a pipe to its end on a thread of its own; what it reads arrives on the receiver
/// as it comes, so that what a killed program wrote is there too.
fn drain(mut r: impl Read + Send + 'static) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut b = [0u8; 8192];
        loop {
            match r.read(&mut b) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(b[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

/// What a pipe gave up to its end, waiting for the end until `deadline` at most: a
/// program that left a child of its own holding the pipe does not hang the test.
fn collect(rx: &Receiver<Vec<u8>>, deadline: Instant) -> Vec<u8> {
    let mut all = Vec::new();
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(b) => all.extend(b),
            Err(RecvTimeoutError::Disconnected) => return all,
            Err(RecvTimeoutError::Timeout) => {
                all.extend(b"\n(the pipe stayed open: read no further)");
                return all;
            }
        }
    }
}
