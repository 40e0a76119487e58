//! The docker CLI, for what a test does as a student would (`docker build`, `run`, `tag`,
//! `push`) and for looking around afterwards; every call has a deadline.

use std::process::Command;

use super::process::{DOCKER_TIME, run_for};
use super::text;

/// `docker ARGS`, not run yet. The classic builder: no buildx plugin needed, and the
/// same history the API gives.
pub fn docker_cmd(args: &[&str]) -> Command {
    let mut c = Command::new("docker");
    c.args(args).env("DOCKER_BUILDKIT", "0");
    c
}

/// `docker ARGS`; panics with its stderr when it fails.
pub fn docker(args: &[&str]) -> String {
    let out = run_for(&mut docker_cmd(args), DOCKER_TIME).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "docker {} failed: {}",
        args.join(" "),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `docker ARGS` for cleaning up and looking: errors are ignored (the object may be gone
/// already), and so is a hang (after the deadline). Never panics, so Drop can use it.
pub fn docker_quiet(args: &[&str]) -> String {
    run_for(&mut docker_cmd(args), DOCKER_TIME)
        .map(|o| text(&o.stdout))
        .unwrap_or_default()
}

/// The non-empty lines of a command's output, trimmed.
pub fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// A label of a container or image (`kind`), `None` when the object does not exist.
pub fn label_of(kind: &str, name: &str, label: &str) -> Option<String> {
    let out = run_for(
        &mut docker_cmd(&[
            kind,
            "inspect",
            "--format",
            &format!("{{{{index .Config.Labels \"{label}\"}}}}"),
            name,
        ]),
        DOCKER_TIME,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    out.status
        .success()
        .then(|| text(&out.stdout).trim().replace("<no value>", ""))
}
