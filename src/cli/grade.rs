//! `labgrade grade`: build, run, grade and clean up every submission in a folder.

use std::path::PathBuf;
use std::time::Duration;

use labgrade::batch::{BatchOptions, Shard, submission::Limits};
use labgrade::exit::Exit;
use labgrade::observe::ObserveOptions;

use super::{Error, duration, interrupted, with_daemon};

#[derive(clap::Args)]
pub(super) struct GradeArgs {
    /// The lab spec every submission is graded against
    #[arg(long)]
    spec: PathBuf,
    /// Folder with one subfolder per student (each holding a Dockerfile and its sources)
    submissions: PathBuf,
    /// Output folder: index.html (the class report), gradebook.csv, gradebook.json,
    /// reports/, results/, logs/
    #[arg(long, default_value = "labgrade-grades")]
    out: PathBuf,
    /// CSV of `id,name` mapping submission folders to students' names
    #[arg(long)]
    roster: Option<PathBuf>,
    /// Submissions graded at once [default: the number of CPUs]
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Finish an interrupted run: grade only what is not in --out yet
    #[arg(long)]
    resume: bool,
    /// Grade only this share of the class, K of N (for a CI matrix), e.g. 2/4
    #[arg(long, value_parser = |s: &str| s.parse::<Shard>())]
    shard: Option<Shard>,
    /// Time allowed to build one image
    #[arg(long, default_value = "300s", value_parser = duration)]
    build_timeout: Duration,
    /// Time allowed to run and grade one submission after its build
    #[arg(long, default_value = "60s", value_parser = duration)]
    run_timeout: Duration,
    /// Memory limit per container, in MiB
    #[arg(long, default_value_t = 256)]
    memory: i64,
    /// How long a submission's container gets to begin answering
    #[arg(long, value_parser = duration)]
    wait: Option<Duration>,
}

/// Grades the class; `Passed` once every submission has a grade (a failed lab is a
/// grade too), `NotGraded` when some could not be graded.
pub(super) fn run(a: GradeArgs) -> Result<Exit, Error> {
    with_daemon(|daemon| async move {
        let jobs = a
            .jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let opts = BatchOptions {
            spec_path: a.spec,
            submissions: a.submissions,
            out: a.out.clone(),
            roster: a.roster,
            jobs,
            resume: a.resume,
            shard: a.shard,
            limits: Limits {
                build_timeout: a.build_timeout,
                run_timeout: a.run_timeout,
                memory_bytes: a.memory.max(16) * 1024 * 1024,
                ..Default::default()
            },
            observe: ObserveOptions {
                wait: a.wait,
                ..Default::default()
            },
        };
        let run = labgrade::batch::run(&daemon, &opts);
        let s = tokio::select! {
            r = run => r?,
            signal = interrupted() => {
                let run = labgrade::batch::last_run(&a.out).map(|r| r.run_id);
                labgrade::batch::clean_settled(&daemon, run.as_deref()).await;
                labgrade::batch::journal::Journal::sweep(&daemon, &a.out).await;
                return Err(Error::Interrupted(signal, "what was graded is kept: rerun with --resume to finish"));
            }
        };
        for w in &s.warnings {
            eprintln!("warning: {w}");
        }
        for (entry, why) in &s.skipped {
            eprintln!("skipped {}: {why}", labgrade::report::printable(entry));
        }
        if s.no_submission > 0 {
            eprintln!(
                "{} roster student(s) have no submission folder (status no_submission in the gradebook)",
                s.no_submission
            );
        }
        println!(
            "graded {} ({} passed), {} did not build, {} not graded, {} already done — {}, {}",
            s.graded,
            s.passed,
            s.build_failed,
            s.not_graded,
            s.skipped_done,
            a.out.join("gradebook.csv").display(),
            a.out.join("index.html").display()
        );
        if s.not_graded > 0 {
            return Err(Error::NotGraded {
                count: s.not_graded,
            });
        }
        Ok(Exit::Passed)
    })
}
