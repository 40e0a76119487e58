//! `labgrade grade`: build, run, grade and clean up every submission in a folder.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use labgrade::batch::shard::{self, Auto, Shard};
use labgrade::batch::{BatchOptions, submission::Limits};
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
    /// canvas.csv and moodle.csv (LMS imports, docs/lms.md), reports/ (each student's
    /// .txt, .json and .html), results/, logs/ (build logs), and run.json and
    /// images.journal (what --resume and `labgrade clean` read)
    #[arg(long, default_value = "labgrade-grades")]
    out: PathBuf,
    /// CSV of `id,name` mapping submission folders to students' names
    #[arg(long)]
    roster: Option<PathBuf>,
    /// Submissions graded at once, 1 to 256 [default: the number of CPUs]
    #[arg(long, short = 'j', value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=256))]
    jobs: Option<usize>,
    /// Finish an interrupted run: grade only what is not in --out yet
    #[arg(long)]
    resume: bool,
    /// Grade only this share of the class, K of N (for a CI matrix), e.g. 2/4; `auto`
    /// takes it from the scheduler's variables (docs/scale.md) and grades into
    /// OUT/shard-K-of-N, resuming what that folder already holds
    #[arg(long, value_name = "K/N|auto", value_parser = shard_arg)]
    shard: Option<ShardArg>,
    /// Time allowed to build one image
    #[arg(long, default_value = "300s", value_parser = duration)]
    build_timeout: Duration,
    /// Time allowed to run and grade one submission after its build
    #[arg(long, default_value = "60s", value_parser = duration)]
    run_timeout: Duration,
    /// Memory limit per container, in MiB (a number: 256, or with its unit, 256MiB or
    /// 1GiB)
    #[arg(long, default_value = "256", value_parser = mebibytes)]
    memory: i64,
    /// How long a submission's container gets to begin answering [default: the spec's
    /// `wait:`, else 5s]
    #[arg(long, value_parser = duration)]
    wait: Option<Duration>,
}

/// `--memory`: MiB, as a number or with a unit (`256`, `256M`, `256MiB`, `1G`, `1GiB`).
fn mebibytes(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let n: i64 = number.parse().map_err(|_| {
        format!("`{s}` is not a size: give MiB as a number, such as 256 (or 256MiB, 1GiB)")
    })?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "m" | "mb" | "mib" => 1,
        "g" | "gb" | "gib" => 1024,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}`: give MiB as a number, such as 256 (or 256MiB, 1GiB)"
            ));
        }
    };
    // At most 1 TiB: the limits in bytes (and twice that for a build) stay in an i64.
    match n.checked_mul(factor) {
        Some(m) if (16..=1 << 20).contains(&m) => Ok(m),
        Some(m) if m < 16 => Err(format!(
            "{s} is too little: a container needs at least 16 MiB"
        )),
        _ => Err(format!("{s} is too large: at most 1TiB (1048576 MiB)")),
    }
}

/// `--shard`: K/N as written, or `auto`.
#[derive(Debug, Clone, Copy)]
enum ShardArg {
    Fixed(Shard),
    Auto,
}

fn shard_arg(s: &str) -> Result<ShardArg, String> {
    if s.eq_ignore_ascii_case("auto") {
        Ok(ShardArg::Auto)
    } else {
        s.parse().map(ShardArg::Fixed)
    }
}

/// The shard to grade and the folder to grade it into: `--shard auto` reads the
/// scheduler's variables (or claims a free shard folder) and grades into its own folder
/// under --out, resuming it, since a scheduler's retry reruns the same command line.
fn resolve_shard(a: &GradeArgs) -> Result<(Option<Shard>, PathBuf, bool), Error> {
    match a.shard {
        None => Ok((None, a.out.clone(), a.resume)),
        Some(ShardArg::Fixed(s)) => Ok((Some(s), a.out.clone(), a.resume)),
        Some(ShardArg::Auto) => {
            let (s, how) = match shard::from_env(&|v| std::env::var(v).ok())
                .map_err(Error::Usage)?
            {
                Auto::Index { shard, from } => (shard, from.to_string()),
                Auto::Claim { n } => {
                    let claimed = shard::claim(&a.out, n).map_err(|source| Error::Write {
                        target: format!("a shard folder under {}", a.out.display()),
                        source,
                    })?;
                    let s = claimed.ok_or_else(|| {
                        Error::Usage(format!(
                            "--shard auto: all {n} shard folders under {} are claimed already; rerun one with --shard K/{n} --resume --out {}",
                            a.out.display(),
                            Shard { k: 1, n }.folder(&a.out).display()
                        ))
                    })?;
                    (s, "the first free shard folder".to_string())
                }
            };
            let dir = s.folder(&a.out);
            labgrade::say!("shard {}/{} (from {how}), into {}", s.k, s.n, dir.display());
            Ok((Some(s), dir, true))
        }
    }
}

/// Grades the class; `Passed` once every submission has a grade (a failed lab is a
/// grade too), `NotGraded` when some could not be graded.
pub(super) fn run(a: GradeArgs) -> Result<Exit, Error> {
    let (shard, out, resume) = resolve_shard(&a)?;
    let a = GradeArgs { out, resume, ..a };
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
            shard,
            limits: Limits {
                build_timeout: a.build_timeout,
                run_timeout: a.run_timeout,
                memory_bytes: a.memory * 1024 * 1024,
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
            labgrade::say!("warning: {w}");
        }
        for (entry, why) in &s.skipped {
            labgrade::say!("skipped {}: {why}", labgrade::report::printable(entry));
        }
        if s.no_submission > 0 {
            labgrade::say!(
                "{} roster student(s) have no submission folder (status no_submission in the gradebook)",
                s.no_submission
            );
        }
        // Never a panic at the end of a run whose output went to a closed pipe.
        let _ = writeln!(
            std::io::stdout(),
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

#[cfg(test)]
mod tests {
    #[test]
    fn memory_takes_mib_with_or_without_a_unit() {
        for (given, mib) in [("256", 256), ("256MiB", 256), ("512m", 512), ("1GiB", 1024)] {
            assert_eq!(super::mebibytes(given), Ok(mib), "{given}");
        }
        for bad in ["256KB", "lots", "8", "99999999999999GiB", "2000000"] {
            assert!(super::mebibytes(bad).is_err(), "{bad}");
        }
    }
}
