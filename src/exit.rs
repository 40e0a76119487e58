//! Exit codes, decided in one place and documented in README.md.

/// The process exit status of every labgrade command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The lab passed (or the command did its job).
    Passed = 0,
    /// The lab was graded and did not reach its pass mark.
    Failed = 1,
    /// Bad usage or an invalid spec.
    Usage = 2,
    /// The Docker daemon or the environment could not be used.
    Environment = 3,
    /// Stopped by Ctrl-C (SIGINT), as shells report it (128 + 2).
    Interrupted = 130,
    /// Stopped by SIGTERM, a CI runner's cancel (128 + 15).
    Terminated = 143,
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}
