//! Batch grading for instructors: every submission in a folder built, run, graded and
//! cleaned up, in parallel and isolated, into a gradebook that survives a crash
//! (`--resume`), splits across machines (`--shard K/N`) and joins again (`merge`).

pub mod gradebook;

pub mod html;

pub mod journal;

pub mod lms;

pub mod networks;

pub mod shard;

pub mod submission;

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use futures_util::stream;

use crate::observe::{Daemon, ObserveOptions};
use crate::plan::Plan;
use crate::report::{Format, TtyOptions};
use gradebook::{Class, Gradebook, Status, StudentResult};
pub use shard::Shard;
use submission::{Job, LABEL, Limits};

/// How a batch runs.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub spec_path: PathBuf,
    pub submissions: PathBuf,
    pub out: PathBuf,
    pub roster: Option<PathBuf>,
    pub jobs: usize,
    pub resume: bool,
    pub shard: Option<Shard>,
    pub limits: Limits,
    pub observe: ObserveOptions,
}

/// Why a batch could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
}

/// Longest submission folder name graded: its result, report and log files must fit the
/// file system's 255-byte names with their extensions.
const NAME_MAX: usize = 200;

/// The submissions of a folder: the subfolders graded (sorted, this shard's share) and
/// the entries not graded, each with why.
#[derive(Debug, Default)]
pub struct Found {
    pub names: Vec<String>,
    pub skipped: Vec<(String, String)>,
}

/// Whether a folder name can be graded, and if not, why.
fn unfit_name(name: &str) -> Option<String> {
    if name.starts_with('.') {
        Some("a hidden folder".into())
    } else if name.len() > NAME_MAX {
        Some(format!(
            "its name is {} bytes long, more than the {NAME_MAX} a result file can carry: rename it",
            name.len()
        ))
    } else if name.chars().any(|c| c.is_control()) {
        Some("its name holds control characters: rename it".into())
    } else {
        None
    }
}

/// The submissions (subfolder names) in a folder, sorted, and this shard's share of them;
/// what is not graded (links, files, hidden folders, unusable names) is listed with why.
pub fn submissions(dir: &Path, shard: Option<Shard>) -> Result<Found, BatchError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        BatchError::Usage(format!(
            "cannot read the submissions folder {}: {e}",
            dir.display()
        ))
    })?;
    let mut names: Vec<String> = Vec::new();
    let mut skipped = Vec::new();
    for e in entries.flatten() {
        let shown = e.file_name().to_string_lossy().into_owned();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_symlink() {
            // A link can lead out of the submissions, or to a classmate's folder.
            skipped.push((
                shown,
                "a symbolic link: submissions must be folders of their own".into(),
            ));
            continue;
        }
        if !kind.is_dir() {
            continue;
        }
        let Some(name) = e.file_name().to_str().map(str::to_owned) else {
            skipped.push((shown, "its name is not UTF-8: rename it".into()));
            continue;
        };
        match unfit_name(&name) {
            Some(why) => skipped.push((name, why)),
            None => names.push(name),
        }
    }
    names.sort();
    skipped.sort();
    if names.is_empty() {
        return Err(BatchError::Usage(format!(
            "{} holds no submission folders: put each student's work in its own subfolder",
            dir.display()
        )));
    }
    let names = match shard {
        Some(s) => names
            .into_iter()
            .enumerate()
            .filter(|(i, _)| s.owns(*i))
            .map(|(_, n)| n)
            .collect(),
        None => names,
    };
    Ok(Found { names, skipped })
}

/// A roster student: the name, and the ids an LMS import needs (when the roster has them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Student {
    pub name: String,
    pub lms: lms::LmsIds,
}

/// Reads a roster CSV: `id,name` per record, a name with a comma in double quotes. A first
/// record whose first field is `id` is a header and skipped; so are blank lines and a BOM.
/// A header can name more columns, the LMS ids of [`lms::COLUMNS`] (`id,name,sis_user_id,
/// email`), in any order after `id`; without one, a third column is an error.
pub fn roster(path: &Path) -> Result<BTreeMap<String, Student>, BatchError> {
    /// The line number and text of the record the reader reports at `byte`. (csv's own
    /// line count skips blank lines and miscounts CRLF; its byte offset is right, but may
    /// point at the line breaks before the record.)
    fn line_at(text: &str, byte: u64) -> (usize, &str) {
        let rest = text.get(byte as usize..).unwrap_or_default();
        let record = rest.trim_start_matches(['\r', '\n']);
        let before = &text[..text.len() - record.len()];
        let breaks = before.matches(['\r', '\n']).count() - before.matches("\r\n").count();
        (
            breaks + 1,
            record.split(['\r', '\n']).next().unwrap_or_default(),
        )
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        BatchError::Usage(format!("cannot read the roster {}: {e}", path.display()))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = BTreeMap::new();
    let mut first = true;
    // The columns after `id`, from the header; `name` alone without one.
    let mut columns: Vec<String> = vec!["name".into()];
    for record in reader.records() {
        let byte = |p: Option<&csv::Position>| p.map_or(0, csv::Position::byte);
        let record = record.map_err(|e| {
            let (line, _) = line_at(text, byte(e.position()));
            BatchError::Usage(format!("{}:{line}: cannot read it: {e}", path.display()))
        })?;
        let (line, raw) = line_at(text, byte(record.position()));
        let bad = |what: &str| {
            BatchError::Usage(format!(
                "{}:{line}: {what}, found `{}`",
                path.display(),
                raw.trim()
            ))
        };
        // Spreadsheets pad rows with empty cells; only a filled one is a third column.
        let fields: Vec<&str> = record.iter().collect();
        let used = fields
            .iter()
            .rposition(|f| !f.is_empty())
            .map_or(0, |i| i + 1);
        if used == 0 {
            continue;
        }
        if std::mem::take(&mut first) && fields[0].eq_ignore_ascii_case("id") {
            columns = fields[1..used].iter().map(|c| c.to_lowercase()).collect();
            let known = |c: &str| c == "name" || lms::COLUMNS.contains(&c);
            if let Some(c) = columns.iter().find(|c| !known(c)) {
                return Err(bad(&format!(
                    "unknown roster column `{c}`: the columns are id, name, {}",
                    lms::COLUMNS.join(", ")
                )));
            }
            if !columns.iter().any(|c| c == "name") {
                return Err(bad("the header names no `name` column"));
            }
            continue;
        }
        if fields[..used].iter().any(|f| f.contains(['\n', '\r'])) {
            return Err(bad("a double quote opened here is never closed"));
        }
        let expected = format!("expected `id,{}`", columns.join(","));
        if used == 1 {
            return Err(bad(&expected));
        }
        if used > columns.len() + 1 {
            return Err(bad(&if columns.len() == 1 {
                format!(
                    "{expected} (a name with a comma goes in double quotes, right after the comma)"
                )
            } else {
                format!("{expected}: this row has {used} columns")
            }));
        }
        let mut student = Student::default();
        for (column, value) in columns.iter().zip(&fields[1..used]) {
            match column.as_str() {
                "name" => student.name = value.to_string(),
                other => student.lms.set(other, value),
            }
        }
        out.insert(fields[0].to_string(), student);
    }
    Ok(out)
}

/// Label on everything a grading run creates: its output folder (where its journal of
/// committed images is), so that `clean` can remove all that a killed run left.
pub const OUT_LABEL: &str = "io.labgrade.grade.out";

/// A short id for this run's labels and names.
fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:x}",
        (nanos as u64 ^ u64::from(std::process::id())) & 0xffff_ffff
    )
}

/// Cleans up after an interrupted run: a build cut short can still commit an image a
/// moment later, so this cleans again until a whole second passes with nothing to remove
/// (five seconds at most).
pub async fn clean_settled(daemon: &Daemon, run: Option<&str>) {
    let Some(run) = run else { return };
    let started = std::time::Instant::now();
    let mut quiet_since = started;
    while started.elapsed() < std::time::Duration::from_secs(5) {
        match clean_run(daemon, run).await {
            Ok((0, 0, 0)) if quiet_since.elapsed() >= std::time::Duration::from_secs(1) => break,
            Ok((0, 0, 0)) => {}
            Ok(_) => quiet_since = std::time::Instant::now(),
            Err(_) => break,
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Removes every container, network and image labelled with one grading run, whatever
/// that run is doing: for the run's own clean-up, its interrupt, and the `--resume` of a
/// run known to have ended. Returns how many of each it found.
pub async fn clean_run(
    daemon: &Daemon,
    run: &str,
) -> Result<(usize, usize, usize), crate::observe::DaemonError> {
    let [containers, networks, images] =
        crate::observe::containers::labelled_all(daemon, &format!("{LABEL}={run}")).await?;
    remove_all(daemon, &containers, &networks, &images).await?;
    Ok((containers.len(), networks.len(), images.len()))
}

async fn remove_all(
    daemon: &Daemon,
    containers: &[crate::observe::containers::Labelled],
    networks: &[crate::observe::containers::Labelled],
    images: &[crate::observe::containers::Labelled],
) -> Result<(), crate::observe::DaemonError> {
    use crate::observe::containers::{self, Labelled};
    for c in containers {
        containers::remove(daemon, &c.id).await;
    }
    // A network goes once its containers are gone (and a build on it has ended).
    for n in networks {
        containers::remove_network(daemon, &n.id).await;
    }
    // By id, never pruning parents: another run's build in flight may stand on them (the
    // images a build committed are removed by id from the run's journal). Parents are
    // given first, so that each goes after its children (removal runs newest first).
    let depth = |i: &Labelled| {
        let mut d = 0;
        let mut at = i.parent.as_str();
        while let Some(p) = images.iter().find(|x| x.id == at) {
            d += 1;
            at = p.parent.as_str();
            if d > images.len() {
                break;
            }
        }
        d
    };
    let mut ordered: Vec<(usize, &Labelled)> = images.iter().map(|i| (depth(i), i)).collect();
    ordered.sort_by_key(|(d, _)| *d);
    let ids: Vec<String> = ordered.into_iter().map(|(_, i)| i.id.clone()).collect();
    containers::remove_images_by_id(daemon, &ids).await?;
    Ok(())
}

/// What `labgrade clean` removed and what it left alone.
#[derive(Debug, Default)]
pub struct Cleaned {
    pub containers: usize,
    pub networks: usize,
    pub images: usize,
    /// Runs whose leftovers were removed, with how they are known to have ended.
    pub removed: Vec<(String, String)>,
    /// Runs left alone, with why (one still running, or one that cannot be told).
    pub kept: Vec<(String, String)>,
    /// A run that is still in progress, among `kept`.
    pub alive: Vec<String>,
}

/// `labgrade clean`: removes what grading runs that have ended left behind — only run
/// `only` when given — and never anything of a run still in progress. Each run's owner
/// (host, pid, process identity: [`crate::owner`]) is read from its labels; a run whose
/// owner cannot be told (another host, another PID namespace, no owner recorded) is kept
/// unless it is named with `only`. One-shot containers of `check` are removed likewise
/// (when `only` is not given).
pub async fn clean(
    daemon: &Daemon,
    only: Option<&str>,
) -> Result<Cleaned, crate::observe::DaemonError> {
    use crate::observe::containers::{self, Labelled};
    use crate::owner::{Liveness, Owner};
    let filter = match only {
        Some(r) => format!("{LABEL}={r}"),
        None => LABEL.to_string(),
    };
    let [cs, ns, is] = containers::labelled_all(daemon, &filter).await?;
    // Everything of one run together, with the owner any of it records.
    let mut runs: BTreeMap<String, [Vec<Labelled>; 3]> = BTreeMap::new();
    for (kind, list) in [cs, ns, is].into_iter().enumerate() {
        for o in list {
            let run = o.labels.get(LABEL).cloned().unwrap_or_default();
            runs.entry(run).or_default()[kind].push(o);
        }
    }
    let mut done = Cleaned::default();
    for (run, [cs, ns, is]) in &runs {
        let owner = cs
            .iter()
            .chain(ns)
            .chain(is)
            .find_map(|o| Owner::from_labels(&o.labels));
        let liveness = owner.as_ref().map_or_else(
            || Liveness::Unknown("it records no owner process (made by an older labgrade)".into()),
            Owner::liveness,
        );
        let why = match liveness {
            Liveness::Alive => {
                let o = owner.as_ref().map(Owner::describe).unwrap_or_default();
                done.kept
                    .push((run.clone(), format!("still in progress ({o}): not touched")));
                done.alive.push(run.clone());
                continue;
            }
            Liveness::Unknown(why) if only.is_none() => {
                done.kept.push((
                    run.clone(),
                    format!(
                        "{why}; once you know it has stopped, `labgrade clean --run {run}` removes it"
                    ),
                ));
                continue;
            }
            Liveness::Unknown(why) => format!("named with --run ({why})"),
            Liveness::Dead(why) => why,
        };
        remove_all(daemon, cs, ns, is).await?;
        // The images its builds committed before their labels (a build's own steps) are
        // named in its output folder's journal, while that folder is still this run's.
        if let Some(out) = cs
            .iter()
            .chain(ns)
            .chain(is)
            .find_map(|o| o.labels.get(OUT_LABEL))
            .map(PathBuf::from)
            .filter(|out| last_run(out).is_some_and(|r| &r.run_id == run))
        {
            journal::Journal::sweep(daemon, &out).await;
        }
        done.containers += cs.len();
        done.networks += ns.len();
        done.images += is.len();
        done.removed.push((run.clone(), why));
    }
    if only.is_none() {
        // One-shot runs are removed as they end; a killed check can leave one behind.
        let [oneshots, _, _] = containers::labelled_all(daemon, crate::observe::RUN_LABEL).await?;
        for c in oneshots {
            let ended = match Owner::from_labels(&c.labels) {
                Some(o) => matches!(o.liveness(), Liveness::Dead(_)),
                // Named `labgrade-run-<pid>-<n>`: kept while a process has that pid here.
                None => c
                    .name
                    .strip_prefix("labgrade-run-")
                    .and_then(|r| r.split('-').next())
                    .is_none_or(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()),
            };
            if ended {
                containers::remove(daemon, &c.id).await;
                done.containers += 1;
            }
        }
    }
    Ok(done)
}

/// One line per finished submission, or a progress bar on a terminal.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} graded, {elapsed} {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        Progress {
            bar,
            total,
            done: 0,
        }
    }

    fn finished(&mut self, r: &StudentResult) {
        self.done += 1;
        let what = match r.status {
            Status::Graded => format!(
                "{}/{} {}",
                r.score,
                r.max_score,
                if r.passed { "passed" } else { "failed" }
            ),
            Status::BuildFailed => "build failed".into(),
            Status::NotGraded => "not graded".into(),
            Status::NoSubmission => "no submission".into(),
        };
        let line = format!(
            "[{}/{}] {}: {what} ({:.1}s)",
            self.done,
            self.total,
            crate::report::printable(&r.student),
            r.duration_ms as f64 / 1000.0
        );
        match &self.bar {
            Some(b) => {
                b.println(line);
                b.inc(1);
            }
            None => crate::say!("{line}"),
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Summary of a batch run.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub graded: usize,
    /// Roster students with no folder.
    pub no_submission: usize,
    /// Entries of the submissions folder not graded, with why.
    pub skipped: Vec<(String, String)>,
    pub skipped_done: usize,
    pub build_failed: usize,
    pub not_graded: usize,
    pub passed: usize,
    /// What the run could not do as it should (printed on stderr).
    pub warnings: Vec<String>,
}

/// Grades every submission of the folder (this shard's share) into the output folder.
pub async fn run(daemon: &Daemon, opts: &BatchOptions) -> Result<Summary, BatchError> {
    let spec = crate::plan::load(&opts.spec_path).map_err(|e| BatchError::Usage(e.to_string()))?;
    let spec_name = opts.spec_path.display().to_string();
    let plan = Plan::new(&spec);
    let layout = class(&spec, &plan, &opts.spec_path);
    let (batch_max, _) = crate::instance::batch_points(&spec, &plan);
    let names = opts
        .roster
        .as_deref()
        .map(roster)
        .transpose()?
        .unwrap_or_default();
    let found = submissions(&opts.submissions, opts.shard)?;
    let all = found.names;
    let io = |e: std::io::Error| BatchError::Io(format!("{}: {e}", opts.out.display()));
    let book = Gradebook::open(&opts.out).map_err(io)?;
    let done = book.done().map_err(io)?;
    if !done.is_empty() && !opts.resume {
        return Err(BatchError::Usage(format!(
            "{} already holds {} graded submissions: add --resume to finish that run, or choose another --out",
            opts.out.display(),
            done.len()
        )));
    }
    // What a previous, interrupted run of this folder left behind goes first.
    let interrupted = last_run(&opts.out).filter(|r| !r.finished);
    if let Some(old) = &interrupted {
        // Never pull a live run's containers from under it: two runs into one folder
        // would also write over each other's results.
        if let Some(o) = old
            .owner
            .as_ref()
            .filter(|o| o.liveness() == crate::owner::Liveness::Alive)
        {
            return Err(BatchError::Usage(format!(
                "{} is being graded right now by run {} ({}): wait for it to finish, or stop it first",
                opts.out.display(),
                old.run_id,
                o.describe()
            )));
        }
        let _ = clean_run(daemon, &old.run_id).await;
    }
    journal::Journal::sweep(daemon, &opts.out).await;
    let journal = journal::Journal::new(&opts.out);
    let run = run_id();
    let owner = crate::owner::Owner::me();
    // Everything the run creates carries its id and its owner process, so that `clean`
    // can tell whether the run is still in progress.
    let out_dir = std::fs::canonicalize(&opts.out).unwrap_or_else(|_| opts.out.clone());
    let labels: Vec<(String, String)> = [
        (LABEL.to_string(), run.clone()),
        (OUT_LABEL.to_string(), out_dir.display().to_string()),
    ]
    .into_iter()
    .chain(owner.labels())
    .collect();
    save_run(
        &opts.out,
        &RunState {
            run_id: run.clone(),
            finished: false,
            owner: Some(owner.clone()),
        },
    )
    .map_err(io)?;
    let todo: Vec<String> = all
        .iter()
        // A "no submission" row is graded again once the folder is there.
        .filter(|s| {
            done.get(*s)
                .is_none_or(|r| r.status == Status::NoSubmission)
        })
        .cloned()
        .collect();
    let mut summary = Summary {
        skipped_done: all.len() - todo.len(),
        skipped: found.skipped,
        ..Summary::default()
    };
    // One cgroup made and removed at once tells whether builds can have a process limit.
    let build_cgroups = match crate::observe::build::BuildCgroup::new(
        daemon,
        &format!("{run}-check"),
        1,
    )
    .await
    {
        Ok(_) => true,
        Err(why) => {
            summary.warnings.push(format!(
                    "builds run without a process limit (a fork bomb in a RUN step is bounded only by the build timeout): {why}"
                ));
            false
        }
    };
    if let Err(why) = crate::observe::containers::shield_host(daemon).await {
        summary.warnings.push(format!(
            "services of the Docker host that listen on all its addresses can be reached from the submissions' networks (no firewall rule: {why}); run as root on the Docker host to shield them"
        ));
    }
    // Roster students with no folder get a row that says so (once: in the first shard).
    if opts.shard.is_none_or(|s| s.k == 1) {
        for (id, student) in &names {
            let has_folder = opts.submissions.join(id).is_dir();
            if has_folder || unfit_name(id).is_some() {
                continue;
            }
            let r = StudentResult {
                student: id.clone(),
                name: Some(student.name.clone()),
                status: Status::NoSubmission,
                score: 0,
                max_score: batch_max,
                passed: false,
                checks: Vec::new(),
                problem: Some(format!(
                    "no submission: {} has no folder {id}",
                    opts.submissions.display()
                )),
                fix_first: None,
                duration_ms: 0,
                lms: student.lms.clone(),
            };
            book.record(&r, &layout).map_err(io)?;
            summary.no_submission += 1;
        }
    }
    let mut progress = Progress::new(todo.len());
    let networks = networks::Networks::new(&run, &labels);
    let jobs = stream::iter(todo.iter().map(|student| {
        let (spec, spec_name, run, book, layout, names, journal, labels, networks) = (
            &spec, &spec_name, &run, &book, &layout, &names, &journal, &labels, &networks,
        );
        async move {
            let dir = opts.submissions.join(student);
            let job = Job {
                daemon,
                spec,
                spec_name,
                run_id: run,
                labels,
                student,
                dir,
                limits: opts.limits,
                observe: opts.observe,
                journal,
                created: Default::default(),
                build_cgroups,
                networks,
            };
            let (mut graded, cleanup) = job.run().await;
            if let Some(s) = names.get(student) {
                graded.result.name = Some(s.name.clone());
                graded.result.lms = s.lms.clone();
            }
            // Every submission gets a report, a build that failed too.
            if graded.report.is_none() {
                let status = serde_json::to_value(graded.result.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                graded.report = Some(crate::instance::unbuilt_report(
                    spec,
                    spec_name,
                    &status,
                    graded.result.problem.as_deref().unwrap_or_default(),
                    graded.cause_id,
                    &graded.build_log,
                ));
            }
            let saved = (|| {
                if let Some(report) = &graded.report {
                    let mut tty = Vec::new();
                    let mut json = Vec::new();
                    let mut full = Vec::new();
                    let plain = TtyOptions {
                        color: false,
                        width: 120,
                    };
                    let _ = Format::Tty.write(report, plain, false, &mut tty);
                    let _ = Format::Json.write(report, plain, false, &mut json);
                    let _ = Format::Json.write(report, plain, true, &mut full);
                    book.save_report(student, &tty, &json, &full)?;
                }
                if !graded.build_log.is_empty() {
                    book.save_log(student, &graded.build_log)?;
                }
                book.record(&graded.result, layout)
            })();
            (saved.map(|()| graded.result).map_err(io), cleanup)
        }
    }))
    .buffer_unordered(opts.jobs.max(1));
    futures_util::pin_mut!(jobs);
    // Each submission's removals run beside the next submissions' builds, outside the
    // -j slots: at -j 1 they cost no waiting at all. All have ended before the run's own
    // clean-up below.
    let mut cleanups = futures_util::stream::FuturesUnordered::new();
    // Submissions refused for their base, with the first one's reason: a whole class
    // refused alike is the spec's mistake more likely than forty students'.
    let (mut refused, mut refusal) = (0usize, None::<String>);
    loop {
        let (r, cleanup) = tokio::select! {
            Some(done) = jobs.next() => done,
            Some(()) = cleanups.next(), if !cleanups.is_empty() => continue,
            else => break,
        };
        cleanups.push(cleanup.run());
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                // Stopping on a file error: what was made is removed all the same.
                while cleanups.next().await.is_some() {}
                return Err(e);
            }
        };
        progress.finished(&r);
        if let Some(why) = r
            .problem
            .as_deref()
            .and_then(|p| p.strip_prefix(submission::REFUSED_BASE))
        {
            refused += 1;
            refusal.get_or_insert_with(|| why.lines().next().unwrap_or(why).to_string());
        }
        match r.status {
            Status::Graded => summary.graded += 1,
            Status::BuildFailed => summary.build_failed += 1,
            Status::NotGraded => summary.not_graded += 1,
            Status::NoSubmission => summary.no_submission += 1,
        }
        if r.passed {
            summary.passed += 1;
        }
    }
    progress.finish();
    // Of those this run built (graded, or failed to build).
    if refused >= 2 && refused == summary.graded + summary.build_failed {
        summary.warnings.push(format!(
            "every submission ({refused}) was refused for the image it builds on, the first because {}: if that is the lab's own base on this machine, list it in the spec's allowed_bases (docs/spec.md) and grade again",
            refusal.unwrap_or_default()
        ));
    }
    book.rebuild(&layout).map_err(io)?;
    // The class report is drawn from what was saved, so a resumed run's is whole too.
    if let Err(e) = html::write(&opts.out) {
        summary
            .warnings
            .push(format!("the class report was not written: {e}"));
    }
    // A run counts as finished only once its leftovers are gone; otherwise the next
    // --resume removes them first.
    let mut cleaned = clean_run(daemon, &run).await.is_ok();
    // A killed run's last requests (a network or an image being created) can still
    // complete on the daemon after the clean-up above: its id is cleaned once more.
    if let Some(old) = &interrupted {
        cleaned &= clean_run(daemon, &old.run_id).await.is_ok();
    }
    journal::Journal::sweep(daemon, &opts.out).await;
    save_run(
        &opts.out,
        &RunState {
            run_id: run.clone(),
            finished: cleaned,
            owner: Some(owner),
        },
    )
    .map_err(io)?;
    Ok(summary)
}

/// How the class files of a spec are laid out: its scored checks, and the lab as an LMS
/// gradebook column (its `name:`, else the spec file's name) worth the batch's maximum.
pub fn class(spec: &crate::spec::Spec, plan: &Plan, spec_path: &Path) -> Class {
    let name = spec.name.clone().unwrap_or_else(|| {
        spec_path
            .file_stem()
            .map_or("lab".into(), |s| s.to_string_lossy().into_owned())
    });
    Class {
        check_ids: scored_ids(spec, plan),
        assignment: lms::Assignment {
            name,
            points_possible: crate::instance::batch_points(spec, plan).0,
        },
    }
}

/// The ids of the checks that score a submission in a batch, in spec order: the
/// gradebook's columns. The checks the grader's own actions satisfy are left out.
pub fn scored_ids(spec: &crate::spec::Spec, plan: &Plan) -> Vec<String> {
    let given = crate::instance::given_checks(spec, plan);
    plan.checks
        .iter()
        .map(|c| c.id.clone())
        .filter(|id| !given.contains(id))
        .collect()
}

/// `run.json` in the output folder: which run wrote it last, and whether it finished.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunState {
    /// The label value on everything that run created.
    pub run_id: String,
    pub finished: bool,
    /// The labgrade process that ran it (absent in folders of older versions).
    #[serde(default)]
    pub owner: Option<crate::owner::Owner>,
}

/// The last run recorded in an output folder.
pub fn last_run(out: &Path) -> Option<RunState> {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).ok()?).ok()
}

fn save_run(out: &Path, state: &RunState) -> std::io::Result<()> {
    let json = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    gradebook::write_atomic(&out.join("run.json"), &json)
}

/// Joins the results of several output folders (shards) into one gradebook.
pub fn merge(out: &Path, inputs: &[PathBuf], spec_path: &Path) -> Result<usize, BatchError> {
    let spec = crate::plan::load(spec_path).map_err(|e| BatchError::Usage(e.to_string()))?;
    let plan = Plan::new(&spec);
    let class = class(&spec, &plan, spec_path);
    let ids = &class.check_ids;
    let (max, _) = crate::instance::batch_points(&spec, &plan);
    let io = |p: &Path, e: std::io::Error| BatchError::Io(format!("{}: {e}", p.display()));
    let book = Gradebook::open(out).map_err(|e| io(out, e))?;
    let mut seen = BTreeMap::new();
    for input in inputs {
        let from = Gradebook { dir: input.clone() };
        let results = from.results().map_err(|e| io(input, e))?;
        // A shard graded with another spec has other checks or another total: its
        // scores would not mean the same, so nothing is merged.
        if let Some(r) = results.iter().find(|r| {
            r.max_score != max
                || (!r.checks.is_empty() && !r.checks.iter().map(|(id, _)| id).eq(ids.iter()))
        }) {
            return Err(BatchError::Usage(format!(
                "{} was graded with another spec than {} (student {}: {} checks worth {} points, this spec has {} worth {max}); merge shards graded with the same spec",
                input.display(),
                spec_path.display(),
                r.student,
                r.checks.len(),
                r.max_score,
                ids.len()
            )));
        }
        for r in results {
            if let Some(other) = seen.insert(r.student.clone(), input.clone()) {
                return Err(BatchError::Usage(format!(
                    "student {} is graded in both {} and {}",
                    r.student,
                    other.display(),
                    input.display()
                )));
            }
            let json =
                serde_json::to_vec_pretty(&r).map_err(|e| io(input, std::io::Error::other(e)))?;
            gradebook::write_atomic(
                &out.join("results").join(format!("{}.json", r.student)),
                &json,
            )
            .map_err(|e| io(out, e))?;
            let s = &r.student;
            for file in [
                format!("reports/{s}.txt"),
                format!("reports/{s}.json"),
                format!("{}/{s}.json", gradebook::INSTRUCTOR_REPORTS),
                format!("logs/{s}.build.log"),
            ] {
                let src = input.join(&file);
                if src.exists() {
                    std::fs::copy(&src, out.join(&file)).map_err(|e| io(&src, e))?;
                }
            }
        }
    }
    book.rebuild(&class).map_err(|e| io(out, e))?;
    html::write(out).map_err(|e| BatchError::Io(e.to_string()))?;
    Ok(seen.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster_of(text: &str) -> Result<BTreeMap<String, Student>, BatchError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roster.csv");
        std::fs::write(&path, text).unwrap();
        roster(&path)
    }

    fn pairs(text: &str) -> Vec<(String, String)> {
        roster_of(text)
            .unwrap()
            .into_iter()
            .map(|(id, s)| (id, s.name))
            .collect()
    }

    fn err(text: &str) -> String {
        roster_of(text).unwrap_err().to_string()
    }

    #[test]
    fn roster_reads_quoted_names_with_commas() {
        assert_eq!(
            pairs(
                "alice,\"Alice, A.\"\nbob , Bob \"the\" Builder\ncarol,\"Carol \"\"CJ\"\" Jones\"\n"
            ),
            [
                ("alice".into(), "Alice, A.".into()),
                ("bob".into(), "Bob \"the\" Builder".into()),
                ("carol".into(), "Carol \"CJ\" Jones".into()),
            ]
        );
    }

    #[test]
    fn roster_skips_a_header_a_bom_blank_lines_and_padding() {
        let want: Vec<(String, String)> = vec![
            ("alice".into(), "Alice".into()),
            ("bob".into(), "Bob".into()),
        ];
        assert_eq!(
            pairs("\u{feff}ID,Name\r\nalice,Alice\r\n\r\n  \r\nbob,Bob\r\n"),
            want
        );
        assert_eq!(pairs("\n\nid,name,,\nalice,Alice,\nbob,Bob,,"), want);
        assert_eq!(pairs("\u{feff}alice,Alice\rbob,Bob"), want);
        // Only the first record can be a header.
        assert_eq!(pairs("alice,Alice\nid,Ida")[1], ("id".into(), "Ida".into()));
        assert!(pairs("").is_empty() && pairs("\u{feff}id,name\r\n").is_empty());
    }

    #[test]
    fn roster_header_can_name_lms_ids_in_any_order() {
        let r = roster_of(
            "id,email,name,sis_user_id,Section\nann,ann@uni.example,\"Doe, Ann\",S1,A\nbo,,Bo\n",
        )
        .unwrap();
        assert_eq!(r["ann"].name, "Doe, Ann");
        assert_eq!(r["ann"].lms.email, "ann@uni.example");
        assert_eq!(r["ann"].lms.sis_user_id, "S1");
        assert_eq!(r["ann"].lms.section, "A");
        assert_eq!(r["bo"].name, "Bo");
        assert!(r["bo"].lms.is_empty());
        let e = err("id,name,emial\nann,Ann,a@x\n");
        assert!(
            e.ends_with("roster.csv:1: unknown roster column `emial`: the columns are id, name, canvas_id, sis_user_id, sis_login_id, section, email, username, found `id,name,emial`"),
            "{e}"
        );
        let e = err("id,name,email\nann,Ann,a@x,extra\n");
        assert!(
            e.ends_with("roster.csv:2: expected `id,name,email`: this row has 4 columns, found `ann,Ann,a@x,extra`"),
            "{e}"
        );
        assert!(err("id,email\nann,a@x\n").contains("names no `name` column"));
    }

    #[test]
    fn roster_errors_name_the_file_and_line() {
        let e = err("id,name\r\nalice,Alice\r\n\r\nbob\r\n");
        assert!(
            e.ends_with("roster.csv:4: expected `id,name`, found `bob`"),
            "{e}"
        );
        let e = err("alice,Doe, Jane\n");
        assert!(
            e.ends_with("roster.csv:1: expected `id,name` (a name with a comma goes in double quotes, right after the comma), found `alice,Doe, Jane`"),
            "{e}"
        );
        let e = err("alice, \"Doe, Jane\"\n");
        assert!(
            e.contains("roster.csv:1: expected `id,name` (a name"),
            "{e}"
        );
        let e = err("alice,Alice\nbob,\"Bob\ncarol,Carol\n");
        assert!(
            e.ends_with(
                "roster.csv:2: a double quote opened here is never closed, found `bob,\"Bob`"
            ),
            "{e}"
        );
    }
}
