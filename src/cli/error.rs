//! The one error type of the command line, and the one place that maps an error to an
//! exit code. A lab that was graded and failed is not an error: commands return
//! `Ok(Exit::Failed)` for it.

use std::path::PathBuf;

use labgrade::author::RecordError;
use labgrade::batch::BatchError;
use labgrade::exit::Exit;
use labgrade::observe::DaemonError;
use labgrade::sample::image::ImageError;
use labgrade::spec::SpecError;

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The flags could not be parsed (or `--help`/`--version` was asked for).
    #[error(transparent)]
    Clap(#[from] clap::Error),
    /// Flags that parse but do not fit together.
    #[error("{0}")]
    Usage(String),
    /// A spec that cannot be read or is not valid.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// `validate` found this many invalid specs (each already printed).
    #[error("{count} of the specs are not valid")]
    InvalidSpecs { count: usize },
    /// `init` or `record` would write a spec that does not validate.
    #[error("the spec would not be valid: {0}")]
    InvalidDraft(String),
    /// `init` or `record` would overwrite a file.
    #[error("{} already exists; choose another file or remove it", .0.display())]
    OutputExists(PathBuf),
    /// `record` was pointed at the wrong container (daemon failures are `Daemon`).
    #[error(transparent)]
    Record(RecordError),
    /// The Docker daemon could not be reached or used; the text says how to fix it.
    #[error(transparent)]
    Daemon(#[from] DaemonError),
    /// A batch (`grade`, `merge`) that could not run.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// `grade` left this many submissions not graded (the summary line says so).
    #[error("{count} submissions were not graded")]
    NotGraded { count: usize },
    /// The sample image could not be built.
    #[error(transparent)]
    SampleImage(#[from] ImageError),
    /// A report, spec or facts file that could not be written; `target` names it, such
    /// as "the json report to out/report.json".
    #[error("cannot write {target}: {source}")]
    Write {
        target: String,
        source: std::io::Error,
    },
    /// A file that cannot be written because its folder does not exist.
    #[error("cannot write {target}: the folder {} does not exist", .dir.display())]
    NoFolder { target: String, dir: PathBuf },
    /// Standard output could not be written.
    #[error("{0}")]
    Stdout(std::io::Error),
    /// The sample app could not listen.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    /// The running program could not be found (the demo image is built from it).
    #[error("cannot find the labgrade program: {0}")]
    NoProgram(std::io::Error),
    /// Ctrl-C or SIGTERM; the text says what was kept.
    #[error("interrupted; {1}")]
    Interrupted(Exit, &'static str),
    /// The demo could not run.
    #[error("the demo failed: {0:#}")]
    Demo(anyhow::Error),
    /// The demo ran, but did not pass the correct lab and fail the broken one.
    #[error("the demo did not grade as expected (see the reports above)")]
    DemoMisgraded,
}

impl Error {
    /// The exit code for this error; nothing else picks one for an error.
    pub fn code(&self) -> Exit {
        match self {
            Error::Clap(e) if !e.use_stderr() => Exit::Passed,
            Error::Clap(_)
            | Error::Usage(_)
            | Error::Spec(_)
            | Error::InvalidSpecs { .. }
            | Error::InvalidDraft(_)
            | Error::OutputExists(_)
            | Error::Record(_)
            | Error::Batch(BatchError::Usage(_)) => Exit::Usage,
            Error::Daemon(_)
            | Error::Batch(BatchError::Io(_))
            | Error::NotGraded { .. }
            | Error::SampleImage(_)
            | Error::Write { .. }
            | Error::NoFolder { .. }
            | Error::Stdout(_)
            | Error::Listen { .. }
            | Error::NoProgram(_)
            | Error::Demo(_) => Exit::Environment,
            Error::Interrupted(signal, _) => *signal,
            Error::DemoMisgraded => Exit::Failed,
        }
    }

    /// Prints the error to standard error as `error: …` (clap prints its own, help and
    /// version to standard output); errors already told as they happened print nothing.
    pub fn print(&self) {
        match self {
            Error::Clap(e) => {
                let _ = e.print();
            }
            Error::InvalidSpecs { .. } | Error::NotGraded { .. } => {}
            e => eprintln!("error: {e}"),
        }
    }
}

impl From<RecordError> for Error {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::Daemon(d) => Error::Daemon(d),
            other => Error::Record(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_failures_are_the_environment_not_usage() {
        let e = Error::Write {
            target: "the json report to out/r.json".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        };
        assert_eq!(e.code(), Exit::Environment);
        assert!(
            e.to_string()
                .starts_with("cannot write the json report to out/r.json: ")
        );
        assert_eq!(
            Error::Batch(BatchError::Io("out: full".into())).code(),
            Exit::Environment
        );
        assert_eq!(
            Error::Batch(BatchError::Usage("add --resume".into())).code(),
            Exit::Usage
        );
    }

    #[test]
    fn a_daemon_error_from_record_is_the_environment() {
        let e = Error::from(RecordError::Daemon(DaemonError::BadHost {
            host: "x".into(),
        }));
        assert_eq!(e.code(), Exit::Environment);
        assert_eq!(
            Error::from(RecordError::NotRunning("web".into())).code(),
            Exit::Usage
        );
    }
}
