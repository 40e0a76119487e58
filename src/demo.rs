//! `labgrade demo`: builds the sample lab locally (no registry), runs one correct and one
//! broken container, grades both with the same spec, shows both reports and removes
//! everything it created.

use std::io::Write;
use std::path::Path;

use crate::grade::grade;
use crate::observe::{Daemon, ObserveOptions};
use crate::report::{TtyOptions, write_tty};
use crate::sample::{self, RunSpec};

/// Names and tag the demo uses, unique per process so parallel demos never collide.
struct Names {
    image: String,
    good: String,
    broken: String,
}

impl Names {
    fn for_this_process() -> Names {
        let id = std::process::id();
        Names {
            image: format!("labgrade-demo/app:{id}"),
            good: format!("labgrade-demo-good-{id}"),
            broken: format!("labgrade-demo-broken-{id}"),
        }
    }
}

/// Runs the demo; returns true when the correct lab passed and the broken one failed.
pub async fn run(
    daemon: &Daemon,
    exe: &Path,
    keep: bool,
    tty: TtyOptions,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    let names = Names::for_this_process();
    let result = steps(daemon, exe, &names, tty, out).await;
    if keep {
        writeln!(
            out,
            "\nKept {}, {} and image {} (--keep).",
            names.good, names.broken, names.image
        )?;
    } else {
        cleanup(daemon).await;
        writeln!(out, "\nRemoved the demo containers and image.")?;
    }
    result
}

/// Removes what this process's demo created (also after an interrupted run).
pub async fn cleanup(daemon: &Daemon) {
    let names = Names::for_this_process();
    sample::remove(daemon, &names.good).await;
    sample::remove(daemon, &names.broken).await;
    sample::remove_image(daemon, &names.image).await;
}

async fn steps(
    daemon: &Daemon,
    exe: &Path,
    n: &Names,
    tty: TtyOptions,
    out: &mut dyn Write,
) -> anyhow::Result<bool> {
    writeln!(
        out,
        "Building the sample lab image {} (FROM scratch, no registry needed)…",
        n.image
    )?;
    sample::image::build(daemon, exe, &n.image).await?;
    let (good_port, broken_port) = (sample::free_port()?, sample::free_port()?);
    sample::run(
        daemon,
        &RunSpec {
            name: &n.good,
            image: &n.image,
            ports: vec![(good_port, 8088)],
            ..Default::default()
        },
    )
    .await?;
    // The classic mistake: the app listens on 127.0.0.1 inside the container.
    sample::run(
        daemon,
        &RunSpec {
            name: &n.broken,
            image: &n.image,
            args: vec!["--listen".into(), "127.0.0.1:8088".into()],
            ports: vec![(broken_port, 8088)],
            ..Default::default()
        },
    )
    .await?;
    let spec_for = |name: &str, port: u16| {
        format!(
            "name: Sample lab ({name})\nimage: {}\ncontainer: {name}\nports: [\"{port}:8088\"]\nhttp:\n  - get: /\n    status: 200\n    body_contains: \"Hello\"\n",
            n.image
        )
    };
    let opts = ObserveOptions::default();
    let mut outcomes = Vec::new();
    for (label, name, port) in [
        ("correct", &n.good, good_port),
        ("broken", &n.broken, broken_port),
    ] {
        let text = spec_for(name, port);
        writeln!(
            out,
            "\n── The {label} lab, graded with this spec:\n{}",
            indent(&text)
        )?;
        let spec = crate::plan::parse(&text, &format!("demo-{label}.yaml"))?;
        let (report, _) = grade(
            daemon,
            &spec,
            &format!("demo-{label}.yaml"),
            std::path::Path::new("."),
            &opts,
        )
        .await?;
        write_tty(&report, tty, out)?;
        outcomes.push(report.passed);
    }
    Ok(outcomes == [true, false])
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}
