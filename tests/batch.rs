//! `labgrade grade`: a class of submissions built, run, graded and cleaned up for real.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::docker::{docker, docker_cmd, docker_quiet};
use common::process::{DOCKER_TIME, TOOL_TIME};
use common::{GRADE_TIME, Lab, Within, labgrade, text};

const SPEC: &str = "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\nallowed_bases: [\"labgrade-test/*\"]\nhttp:\n  - get: /\n    status: 200\n    body_contains: Hello\n";

/// Writes one student's submission: a Dockerfile on top of the test's sample image.
fn submission(
    root: &Path,
    student: &str,
    base: &str,
    dockerfile_rest: &str,
    files: &[(&str, &str)],
) {
    let dir = root.join(student);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("Dockerfile"),
        format!("FROM {base}\n{dockerfile_rest}"),
    )
    .unwrap();
    for (name, content) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

fn class(lab: &Lab, students: &[&str]) -> (PathBuf, PathBuf) {
    let subs = lab.dir.path().join("submissions");
    let base = &lab.image;
    for s in students {
        match *s {
            "alice" => submission(&subs, s, base, "", &[("README.md", "all good")]),
            "bob" => submission(
                &subs,
                s,
                base,
                "CMD [\"--listen\", \"127.0.0.1:8088\"]\n",
                &[],
            ),
            "carol" => submission(
                &subs,
                s,
                base,
                "COPY requirements.txt /app/\n",
                &[("src/requirements.txt", "flask\n")],
            ),
            "dave" => submission(&subs, s, base, "CMD [\"--hog\"]\n", &[]),
            "erin" => submission(&subs, s, base, "CMD [\"--bomb\"]\n", &[]),
            "frank" => submission(
                &subs,
                s,
                base,
                "COPY secret.txt /\n",
                &[("secret.txt", "x"), (".dockerignore", "secret.txt\n")],
            ),
            other => panic!("no such student {other}"),
        }
    }
    let spec = lab.spec("lab.yaml", SPEC);
    (subs, spec)
}

/// `labgrade grade --spec SPEC SUBMISSIONS --out OUT`, ready for more arguments.
fn grade(spec: &Path, subs: &Path, out: &Path) -> std::process::Command {
    let mut c = labgrade();
    c.arg("grade")
        .arg("--spec")
        .arg(spec)
        .arg(subs)
        .arg("--out")
        .arg(out);
    c
}

fn csv_rows(out: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

/// Containers and images one grading run (its id from `out/run.json`) left behind.
fn leftovers(out: &Path) -> String {
    let run = labgrade::batch::last_run(out).expect("run.json").run_id;
    run_leftovers(&run)
}

fn run_leftovers(run: &str) -> String {
    let label = format!("label=io.labgrade.grade={run}");
    let out = docker_cmd(&["ps", "-a", "--filter", &label, "--format", "{{.Names}}"])
        .output_within(DOCKER_TIME);
    let images = docker_cmd(&["images", "--filter", &label, "--format", "{{.Repository}}"])
        .output_within(DOCKER_TIME);
    let networks = docker_cmd(&["network", "ls", "--filter", &label, "--format", "{{.Name}}"])
        .output_within(DOCKER_TIME);
    format!(
        "{}{}{}",
        text(&out.stdout),
        text(&images.stdout),
        text(&networks.stdout)
    )
    .trim()
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_class_is_graded_isolated_and_cleaned_up() {
    let lab = Lab::new("batch").await;
    let (subs, spec) = class(&lab, &["alice", "bob", "carol", "dave", "erin", "frank"]);
    let out = lab.dir.path().join("grades");
    let roster = lab.spec(
        "roster.csv",
        "id,name\nalice,\"Alice, A.\"\nbob,=cmd|' /C calc'!A0\n",
    );
    let run = grade(&spec, &subs, &out)
        .arg("--roster")
        .arg(&roster)
        .args(["-j", "3", "--memory", "64"])
        .output_within(GRADE_TIME);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    let rows = csv_rows(&out);
    let row = |s: &str| {
        rows.iter()
            .find(|r| r[0] == s)
            .unwrap_or_else(|| panic!("no row for {s}: {rows:?}"))
            .clone()
    };
    assert_eq!(rows.len(), 6);
    // alice: the right answer, 11/11, even with a memory hog and a fork bomb beside her.
    assert_eq!(&row("alice")[1..6], ["\"Alice", " A.\"", "7", "7", "true"]);
    assert_eq!(row("bob")[2..6], ["4", "7", "false", "graded"]);
    assert!(
        row("bob")[1].starts_with("'="),
        "formula defused: {:?}",
        row("bob")
    );
    assert_eq!(row("carol")[2..6], ["0", "7", "false", "build_failed"]);
    assert_eq!(row("frank")[5], "build_failed");
    for s in ["dave", "erin"] {
        let r = row(s);
        assert_eq!(r[5], "graded", "{s}: {r:?}");
        assert_eq!(r[4], "false", "{s} must fail its own grade: {r:?}");
    }
    let carol: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results/carol.json")).unwrap())
            .unwrap();
    assert!(
        carol["problem"]
            .as_str()
            .unwrap()
            .contains("it is in src/ — write COPY src/requirements.txt"),
        "{carol:#}"
    );
    let frank: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results/frank.json")).unwrap())
            .unwrap();
    assert!(
        frank["problem"].as_str().unwrap().contains(".dockerignore"),
        "{frank:#}"
    );
    let dave = std::fs::read_to_string(out.join("reports/dave.txt")).unwrap();
    assert!(dave.contains("killed: out of memory"), "{dave}");
    // Reports speak of the spec's names, not the grader's unique ones.
    let bob = std::fs::read_to_string(out.join("reports/bob.txt")).unwrap();
    assert!(
        bob.contains("Container pythonapp_nautilus is running") && bob.contains("127.0.0.1:8088"),
        "{bob}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("gradebook.json")).unwrap())
            .unwrap();
    assert_eq!(json["students"].as_array().unwrap().len(), 6);
    assert_eq!(leftovers(&out), "", "nothing left behind");

    // The same folder again without --resume is refused, and says what to do.
    let again = grade(&spec, &subs, &out).output_within(GRADE_TIME);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("add --resume"));
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_run_resumes_and_grades_each_once() {
    let lab = Lab::new("resume").await;
    let students = ["alice", "bob", "carol", "dave"];
    let (subs, spec) = class(&lab, &students);
    let out = lab.dir.path().join("grades");
    let mut child = grade(&spec, &subs, &out)
        .args(["-j", "1", "--memory", "64"])
        .spawn_within(GRADE_TIME);
    let deadline = Instant::now() + Duration::from_secs(60);
    let results = out.join("results");
    let count = || {
        std::fs::read_dir(&results)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                    .count()
            })
            .unwrap_or(0)
    };
    while count() < 1 {
        assert!(Instant::now() < deadline, "no result within 60s");
        if child.try_wait().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill(); // SIGKILL: no chance to clean up
    let killed = labgrade::batch::last_run(&out).expect("run.json");
    assert!(!killed.finished);
    let first: Vec<(PathBuf, String)> = std::fs::read_dir(&results)
        .unwrap()
        .flatten()
        .map(|e| (e.path(), std::fs::read_to_string(e.path()).unwrap()))
        .collect();
    assert!(
        !first.is_empty() && first.len() < students.len(),
        "killed mid-run: {}",
        first.len()
    );

    let resumed = grade(&spec, &subs, &out)
        .args(["--resume", "-j", "2", "--memory", "64"])
        .output_within(GRADE_TIME);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert!(
        text(&resumed.stdout).contains(&format!("{} already done", first.len())),
        "{}",
        text(&resumed.stdout)
    );
    assert_eq!(csv_rows(&out).len(), students.len());
    for (path, content) in first {
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            content,
            "{} graded once",
            path.display()
        );
    }
    assert_eq!(count(), students.len());
    assert_eq!(
        run_leftovers(&killed.run_id),
        "",
        "the killed run's containers and images were cleaned up"
    );
    assert_eq!(leftovers(&out), "");
    assert!(labgrade::batch::last_run(&out).unwrap().finished);
}

/// Ctrl-C (SIGINT) or a CI runner's cancel (SIGTERM) mid-run: labgrade removes what the
/// run created at once, keeps what it graded, and says how to finish.
#[tokio::test(flavor = "multi_thread")]
async fn interrupted_run_cleans_up_at_once() {
    let lab = Lab::new("interrupt").await;
    let students = ["alice", "bob", "carol", "dave"];
    let (subs, spec) = class(&lab, &students);
    for (signal, dir) in [("INT", "grades-int"), ("TERM", "grades-term")] {
        let out = lab.dir.path().join(dir);
        let child = grade(&spec, &subs, &out)
            .args(["-j", "1", "--memory", "64"])
            .spawn_within(GRADE_TIME);
        // Interrupt once the run has an image or a container of its own to clean up.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let run = labgrade::batch::last_run(&out).map(|r| r.run_id);
            if run.is_some_and(|r| !run_leftovers(&r).is_empty()) {
                break;
            }
            assert!(Instant::now() < deadline, "the run created nothing");
            std::thread::sleep(Duration::from_millis(20));
        }
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .output_within(TOOL_TIME);
        assert!(sent.status.success());
        let started = Instant::now();
        let done = child.wait();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "SIG{signal}: slow to stop"
        );
        // As shells report a signal: 128 + its number.
        let code = if signal == "INT" { 130 } else { 143 };
        assert_eq!(
            done.status.code(),
            Some(code),
            "SIG{signal}: {}",
            text(&done.stderr)
        );
        assert!(
            text(&done.stderr)
                .contains("interrupted; what was graded is kept: rerun with --resume to finish"),
            "SIG{signal}: {}",
            text(&done.stderr)
        );
        let run = labgrade::batch::last_run(&out).unwrap();
        assert!(!run.finished);
        assert_eq!(
            run_leftovers(&run.run_id),
            "",
            "SIG{signal}: nothing left behind"
        );
    }
}

/// Output into a pipe nobody reads (`labgrade grade ... 2>&1 | head -1` once head has
/// its line): the run grades everyone and cleans up. A write to the closed pipe used to
/// panic (exit 101) and leave the submission being graded running.
#[tokio::test(flavor = "multi_thread")]
async fn a_closed_output_pipe_stops_nothing() {
    let lab = Lab::new("pipe").await;
    let (subs, spec) = class(&lab, &["alice", "bob"]);
    let out = lab.dir.path().join("grades");
    let exe = env!("CARGO_BIN_EXE_labgrade");
    let done = std::process::Command::new("bash")
        .arg("-c")
        // `true` reads nothing and exits at once: every write after that fails.
        .arg(r#"set -o pipefail; "$0" grade --spec "$1" "$2" --out "$3" -j 1 2>&1 | true"#)
        .arg(exe)
        .arg(&spec)
        .arg(&subs)
        .arg(&out)
        .output_within(GRADE_TIME);
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let run = labgrade::batch::last_run(&out).expect("run.json");
    assert!(run.finished, "the run did not finish");
    assert_eq!(csv_rows(&out).len(), 2);
    assert_eq!(run_leftovers(&run.run_id), "", "nothing left behind");
}

/// A build still running at `--build-timeout` (a RUN step that serves) is stopped: the
/// student is told the step, its log is kept, and nothing of it is left behind. Its RUN
/// container used to hold the network and the layers already committed for a moment,
/// so both stayed.
#[tokio::test(flavor = "multi_thread")]
async fn a_build_stopped_at_its_time_limit_names_the_step_and_leaves_nothing() {
    let lab = Lab::new("build-timeout").await;
    let subs = lab.dir.path().join("submissions");
    submission(
        &subs,
        "server-in-run",
        &lab.image,
        "WORKDIR /srv\nCOPY notes.txt .\nRUN [\"/labgrade\", \"serve\"]\n",
        &[("notes.txt", "x")],
    );
    let spec = lab.spec("lab.yaml", SPEC);
    let out = lab.dir.path().join("grades");
    let run = grade(&spec, &subs, &out)
        .args(["-j", "1", "--build-timeout", "5s"])
        .output_within(GRADE_TIME);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let rows = csv_rows(&out);
    assert_eq!(rows[0][5], "build_failed", "{rows:?}");
    let json = std::fs::read_to_string(out.join("reports/server-in-run.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let f = &report["findings"][0];
    assert_eq!(f["cause_id"], "build-timed-out", "{report:#}");
    let cause = f["cause"].as_str().unwrap();
    assert!(
        cause.contains("after 5s, at step 4/5 (`RUN [\"/labgrade\", \"serve\"]`)"),
        "{cause}"
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .contains("start the app with CMD, not RUN")
    );
    let log = std::fs::read_to_string(out.join("logs/server-in-run.build.log")).unwrap();
    assert!(log.contains("Step 4/5"), "{log}");
    assert_eq!(leftovers(&out), "");
    assert_eq!(descendants(&lab, &lab.image).await, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn shards_merge_into_one_gradebook() {
    let lab = Lab::new("shards").await;
    let (subs, spec) = class(&lab, &["alice", "bob", "carol"]);
    let mut outs = Vec::new();
    for k in 1..=2 {
        let out = lab.dir.path().join(format!("shard{k}"));
        let r = grade(&spec, &subs, &out)
            .args(["--shard", &format!("{k}/2")])
            .output_within(GRADE_TIME);
        assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
        outs.push(out);
    }
    assert_eq!(csv_rows(&outs[0]).len(), 2); // alice, carol
    assert_eq!(csv_rows(&outs[1]).len(), 1); // bob
    let merged = lab.dir.path().join("merged");
    let m = labgrade()
        .arg("merge")
        .arg("--spec")
        .arg(&spec)
        .arg("--out")
        .arg(&merged)
        .args(&outs)
        .output_within(GRADE_TIME);
    assert_eq!(m.status.code(), Some(0), "{}", text(&m.stderr));
    let names: Vec<String> = csv_rows(&merged)
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);
    assert!(merged.join("reports/bob.txt").exists());

    // Shards graded with another spec do not merge: their scores mean something else.
    let other = lab.dir.path().join("other.yaml");
    let text_of = std::fs::read_to_string(&spec).unwrap();
    std::fs::write(
        &other,
        format!("{text_of}\nruns:\n  - image: {}\n", lab.image),
    )
    .unwrap();
    let refused = labgrade()
        .arg("merge")
        .arg("--spec")
        .arg(&other)
        .arg("--out")
        .arg(lab.dir.path().join("merged-other"))
        .args(&outs)
        .output_within(GRADE_TIME);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("was graded with another spec"),
        "{}",
        text(&refused.stderr)
    );
}

/// A unix socket forwarding to the real daemon until stopped: a daemon that goes away in
/// the middle of a run, without stopping the machine's real one.
struct Proxy {
    path: PathBuf,
    tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    fn start(dir: &Path) -> Proxy {
        let path = dir.join("docker-proxy.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let tasks: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>> =
            Default::default();
        let registry = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let conn = tokio::spawn(async move {
                    if let Ok(mut daemon) =
                        tokio::net::UnixStream::connect("/var/run/docker.sock").await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut daemon).await;
                    }
                });
                registry.lock().unwrap().push(conn.abort_handle());
            }
        });
        tasks.lock().unwrap().push(accept.abort_handle());
        Proxy { path, tasks }
    }

    /// The daemon "stops": every connection is cut and the socket disappears.
    fn stop(&self) {
        for t in self.tasks.lock().unwrap().drain(..) {
            t.abort();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn daemon_lost_mid_batch_then_resumed() {
    let lab = Lab::new("daemonlost").await;
    let students = ["alice", "bob", "carol", "dave"];
    let (subs, spec) = class(&lab, &students);
    let out = lab.dir.path().join("grades");
    let proxy = Proxy::start(lab.dir.path());
    let child = grade(&spec, &subs, &out)
        .args(["-j", "1", "--memory", "64"])
        .env("DOCKER_HOST", format!("unix://{}", proxy.path.display()))
        .spawn_within(GRADE_TIME);
    let results = out.join("results");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(&results).map(|d| d.count()).unwrap_or(0) < 1 {
        assert!(Instant::now() < deadline, "no result within 60s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    proxy.stop();
    let lost = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap();
    assert_eq!(lost.status.code(), Some(3), "{}", text(&lost.stderr));
    assert!(
        text(&lost.stdout).contains("not graded"),
        "{}",
        text(&lost.stdout)
    );
    let rows = csv_rows(&out);
    assert_eq!(
        rows.len(),
        students.len(),
        "every submission has a row: {rows:?}"
    );
    assert!(rows.iter().any(|r| r[5] == "not_graded"), "{rows:?}");
    let killed = labgrade::batch::last_run(&out).unwrap();
    assert!(
        !killed.finished,
        "leftovers could not be removed, so the run is not finished"
    );

    let resumed = grade(&spec, &subs, &out)
        .args(["--resume", "--memory", "64"])
        .output_within(GRADE_TIME);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    let rows = csv_rows(&out);
    assert!(rows.iter().all(|r| r[5] != "not_graded"), "{rows:?}");
    assert_eq!(run_leftovers(&killed.run_id), "");
    assert_eq!(leftovers(&out), "");
}

/// Folders the batch cannot or must not grade are listed with why, and the class goes
/// on: a link (to a classmate's folder), a name too long for a result file, a hidden
/// folder; a roster student with no folder gets a "no submission" row.
#[tokio::test(flavor = "multi_thread")]
async fn odd_folders_are_skipped_with_a_reason_and_the_class_goes_on() {
    let lab = Lab::new("odd-folders").await;
    let (subs, spec) = class(&lab, &["alice"]);
    std::os::unix::fs::symlink(subs.join("alice"), subs.join("mallory")).unwrap();
    let long = "x".repeat(250);
    submission(&subs, &long, &lab.image, "", &[]);
    submission(&subs, ".cache", &lab.image, "", &[]);
    let roster = lab.dir.path().join("roster.csv");
    std::fs::write(&roster, "id,name\nalice,Alice\nzed,Zed Zero\n").unwrap();
    let out = lab.dir.path().join("grades");
    let r = grade(&spec, &subs, &out)
        .arg("--roster")
        .arg(&roster)
        .output_within(GRADE_TIME);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(0), "{err}");
    assert!(err.contains("skipped mallory: a symbolic link"), "{err}");
    assert!(
        err.contains(&format!("skipped {long}: its name is 250 bytes long")),
        "{err}"
    );
    assert!(err.contains("skipped .cache: a hidden folder"), "{err}");
    let rows = csv_rows(&out);
    let status = |s: &str| {
        rows.iter()
            .find(|r| r[0] == s)
            .map(|r| r[5].clone())
            .unwrap_or_else(|| panic!("no row for {s}: {rows:?}"))
    };
    assert_eq!(status("alice"), "graded");
    assert_eq!(status("zed"), "no_submission");
    assert!(!rows.iter().any(|r| r[0] == "mallory"), "{rows:?}");
    assert_eq!(leftovers(&out), "");
}

/// Every image on the daemon that descends from `base` (the test's own sample image, so
/// only this test's builds can have made them), as `id (tags)`.
async fn descendants(lab: &Lab, base: &str) -> Vec<String> {
    let client = lab.daemon.client();
    let base_id = client.inspect_image(base).await.unwrap().id.unwrap();
    let opts = bollard::query_parameters::ListImagesOptionsBuilder::default()
        .all(true)
        .build();
    let all = client.list_images(Some(opts)).await.unwrap();
    let parent: std::collections::HashMap<&str, &str> = all
        .iter()
        .map(|i| (i.id.as_str(), i.parent_id.as_str()))
        .collect();
    all.iter()
        .filter(|i| {
            let mut at = i.parent_id.as_str();
            // Bounded: a parent chain is as long as a Dockerfile.
            for _ in 0..1000 {
                if at == base_id {
                    return true;
                }
                match parent.get(at) {
                    Some(p) if !p.is_empty() => at = p,
                    _ => return false,
                }
            }
            false
        })
        .map(|i| format!("{} {:?}", i.id, i.repo_tags))
        .collect()
}

/// Many submissions whose Dockerfiles share their first steps, graded by two runs at once
/// (-j 3 each), so that one submission's images are removed while other builds run. With
/// the build cache they shared intermediate images, and removing one pulled a parent from
/// under another ("failed to set parent ...: unknown parent image ID", graded
/// build_failed: seen with this test on the old code, 1 run in 3). Every verdict
/// must be the submission's own, the same in both runs, and no image is left behind,
/// not even the unlabelled intermediate images of a build that failed.
#[tokio::test(flavor = "multi_thread")]
async fn builds_and_removals_never_race() {
    let lab = Lab::new("race").await;
    let subs = lab.dir.path().join("submissions");
    let shared =
        "COPY shared.txt /shared.txt\nRUN [\"/labgrade\", \"serve\", \"--say\", \"shared step\"]\n";
    let students: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    for (i, s) in students.iter().enumerate() {
        let own =
            format!("COPY own.txt /own.txt\nRUN [\"/labgrade\", \"serve\", \"--say\", \"{s}\"]\n");
        let rest = match i {
            // Fails after committing four images of its own.
            3 => format!("{shared}{own}COPY missing.txt /\n"),
            5 => format!("{shared}{own}CMD [\"--listen\", \"127.0.0.1:8088\"]\n"),
            _ => format!("{shared}{own}"),
        };
        submission(
            &subs,
            s,
            &lab.image,
            &rest,
            // A large file of its own makes a wide window between a build's cache hit on
            // the shared steps and its next commit (how the race was hit on old code).
            &[
                ("shared.txt", "the same in every submission"),
                ("own.txt", &s.repeat(1 << 19)),
            ],
        );
    }
    let spec = lab.spec("lab.yaml", SPEC);
    let outs = [lab.dir.path().join("run1"), lab.dir.path().join("run2")];
    let runs: Vec<_> = outs
        .iter()
        .map(|out| {
            grade(&spec, &subs, out)
                .args(["-j", "3", "--memory", "64"])
                .spawn_within(GRADE_TIME)
        })
        .collect();
    let mut verdicts = Vec::new();
    for (run, out) in runs.into_iter().zip(&outs) {
        let done = tokio::task::spawn_blocking(move || run.wait())
            .await
            .unwrap();
        assert_eq!(
            done.status.code(),
            Some(0),
            "{}\n{}",
            text(&done.stdout),
            text(&done.stderr)
        );
        let rows: Vec<Vec<String>> = csv_rows(out).into_iter().map(|r| r[..7].to_vec()).collect();
        for r in &rows {
            let want = match r[0].as_str() {
                "s3" => ["0", "7", "false", "build_failed"],
                "s5" => ["4", "7", "false", "graded"],
                _ => ["7", "7", "true", "graded"],
            };
            assert_eq!(r[2..6], want, "{}: {r:?}", out.display());
        }
        assert_eq!(rows.len(), students.len());
        let s3: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results/s3.json")).unwrap())
                .unwrap();
        assert!(
            s3["problem"].as_str().unwrap().contains("missing.txt"),
            "{s3:#}"
        );
        assert_eq!(leftovers(out), "", "{}", out.display());
        assert!(!out.join("images.journal").exists());
        verdicts.push(rows);
    }
    assert_eq!(verdicts[0], verdicts[1], "both runs agree");
    assert_eq!(
        descendants(&lab, &lab.image).await,
        Vec::<String>::new(),
        "no image built on the lab's base is left, labelled or not"
    );
}

/// `docker inspect` of a container, through the API.
async fn inspect(lab: &Lab, name: &str) -> bollard::models::ContainerInspectResponse {
    lab.daemon
        .client()
        .inspect_container(name, None)
        .await
        .unwrap()
}

/// The (address, gateway) of a container on its one network.
async fn address(lab: &Lab, name: &str) -> (String, String) {
    let c = inspect(lab, name).await;
    let nets = c.network_settings.unwrap().networks.unwrap();
    let (_, n) = nets.into_iter().next().unwrap();
    (n.ip_address.unwrap(), n.gateway.unwrap())
}

/// What `labgrade serve --connect ADDR...` says run inside a container (`docker exec`:
/// the container's own network namespace, as its app would be).
fn reach_from(container: &str, addrs: &[&str]) -> String {
    let mut args = vec!["exec", container, "/labgrade", "serve"];
    for a in addrs {
        args.extend(["--connect", a]);
    }
    docker(&args)
}

/// Docker networks made and removed, one after another, until stopped (or dropped, when
/// a test fails): each time Docker rewrites its isolation chains.
struct Churn {
    going: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Churn {
    fn start() -> Churn {
        use std::sync::atomic::Ordering;
        let going = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = going.clone();
        let thread = std::thread::spawn(move || {
            let mut made = 0;
            while flag.load(Ordering::Relaxed) {
                let net = format!("lgtest-churn-{}-{made}", std::process::id());
                docker_quiet(&["network", "create", "--label", "io.labgrade.sample=1", &net]);
                docker_quiet(&["network", "rm", &net]);
                made += 1;
            }
            made
        });
        Churn {
            going,
            thread: Some(thread),
        }
    }

    /// Stops after the network in hand is removed; says how many were made.
    fn stop(mut self) -> usize {
        self.going
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().map_or(0, |t| t.join().unwrap_or(0))
    }
}

impl Drop for Churn {
    fn drop(&mut self) {
        self.going
            .store(false, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A hostile submission tries, from its build's RUN step and from its running container,
/// the app of a classmate graded at the same time (at its bridge address), a container on
/// Docker's default bridge, and a service listening on all of the grading host's
/// addresses: it reaches none of them, while the same attempts from the default bridge
/// reach them (so the test can fail) and the grader still grades through the published
/// port. Traffic goes only to this test's own listener and containers: one connection
/// attempt per address and try. The tries run while other networks are made and removed
/// (as other runs do): Docker's isolation chains are rewritten each time, and without
/// labgrade's own fence between its bridges mallory reached alice's app then.
#[tokio::test(flavor = "multi_thread")]
async fn a_submission_reaches_no_classmate_and_no_host_service() {
    let mut lab = Lab::new("isolation").await;
    let host = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = host.local_addr().unwrap().port();
    let bystander = lab.run("bystander", &[], &[]).await;
    let (by_ip, by_gw) = address(&lab, &bystander).await;
    let (by_app, host_svc) = (format!("{by_ip}:8088"), format!("{by_gw}:{port}"));
    // From the default bridge both answer: the listener and the tool work.
    let control = reach_from(&bystander, &[&by_app, &host_svc]);
    assert_eq!(
        control,
        format!("reached {by_app}\nreached {host_svc}\n"),
        "{control}"
    );

    let subs = lab.dir.path().join("submissions");
    // Both hang on the grader's request, so both are running while the test looks.
    let hang = "CMD [\"--behave\", \"hang\"]\n";
    submission(&subs, "alice", &lab.image, hang, &[]);
    let probe = format!(
        "RUN [\"/labgrade\", \"serve\", \"--connect\", \"{by_app}\", \"--connect\", \"{host_svc}\"]\n{hang}"
    );
    submission(&subs, "mallory", &lab.image, &probe, &[]);
    let spec = lab.spec(
        "lab.yaml",
        &SPEC.replace(
            "body_contains: Hello\n",
            "body_contains: Hello\n    timeout: 25s\n",
        ),
    );
    let out = lab.dir.path().join("grades");
    let child = grade(&spec, &subs, &out)
        .args(["-j", "2", "--memory", "64"])
        .spawn_within(GRADE_TIME);

    // Both submissions' containers, once both run.
    let deadline = Instant::now() + Duration::from_secs(120);
    let (alice, mallory) = loop {
        assert!(
            Instant::now() < deadline,
            "the two containers never ran together"
        );
        if let Some(run) = labgrade::batch::last_run(&out) {
            let label = format!("label=io.labgrade.grade={}", run.run_id);
            let names = docker_cmd(&["ps", "--filter", &label, "--format", "{{.Names}}"])
                .output_within(DOCKER_TIME);
            let names = text(&names.stdout);
            let find = |s: &str| names.lines().find(|n| n.contains(s)).map(String::from);
            if let (Some(a), Some(m)) = (find("-alice-"), find("-mallory-")) {
                break (a, m);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (alice_ip, _) = address(&lab, &alice).await;
    let (_, mallory_gw) = address(&lab, &mallory).await;
    let alice_app = format!("{alice_ip}:8088");
    assert_eq!(
        reach_from(&alice, &[&alice_app]),
        format!("reached {alice_app}\n"),
        "alice's app answers on her own network"
    );
    let gw_svc = format!("{mallory_gw}:{port}");
    // Docker rewrites its isolation chains whenever a network is made or removed, as
    // other runs (and tests) do all the time: mallory tries while networks come and go.
    let churn = Churn::start();
    // Three tries (about 4 s each) while both still hang on the grader's request.
    for _ in 0..3 {
        let seen = reach_from(&mallory, &[&alice_app, &by_app, &gw_svc, &host_svc]);
        for addr in [&alice_app, &by_app, &gw_svc, &host_svc] {
            assert!(
                seen.contains(&format!("unreachable {addr}:")),
                "mallory's container reached {addr}:\n{seen}"
            );
        }
    }
    assert!(churn.stop() > 0, "no network was made while mallory tried");
    let done = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap();
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    assert!(
        !text(&done.stderr).contains("warning"),
        "the host is shielded: {}",
        text(&done.stderr)
    );
    let build = std::fs::read_to_string(out.join("logs/mallory.build.log")).unwrap();
    for addr in [&by_app, &host_svc] {
        assert!(
            build.contains(&format!("unreachable {addr}:")),
            "mallory's build reached {addr}:\n{build}"
        );
    }
    // Graded through the published port: the request got there (and hung, as written).
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("reports/alice.json")).unwrap())
            .unwrap();
    let http = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"].as_str().unwrap().starts_with("http"))
        .unwrap();
    assert!(
        http.to_string().contains("timed out") || http.to_string().contains("timeout"),
        "{http:#}"
    );
    assert_eq!(leftovers(&out), "");
    let run = labgrade::batch::last_run(&out).unwrap().run_id;
    let nets = docker(&[
        "network",
        "ls",
        "--filter",
        &format!("label=io.labgrade.grade={run}"),
        "-q",
    ]);
    assert_eq!(nets.trim(), "", "the submissions' networks are removed");
    drop(host);
}

/// A RUN step that starts 1,000 processes (threads, each a task to the kernel) fails that
/// student's build at the build's process limit, as one that eats memory does at the
/// memory limit; a classmate's ordinary build beside them is graded as usual. The bomb
/// is bounded (1,000 threads that end with it), so a missing limit fails the test
/// instead of the machine.
#[tokio::test(flavor = "multi_thread")]
async fn a_fork_bomb_or_memory_hog_in_a_build_fails_only_that_build() {
    let lab = Lab::new("build-limits").await;
    let subs = lab.dir.path().join("submissions");
    submission(&subs, "alice", &lab.image, "", &[]);
    submission(
        &subs,
        "bomber",
        &lab.image,
        "RUN [\"/labgrade\", \"serve\", \"--threads\", \"1000\"]\n",
        &[],
    );
    submission(
        &subs,
        "hog",
        &lab.image,
        "RUN [\"/labgrade\", \"serve\", \"--hog\"]\n",
        &[],
    );
    let spec = lab.spec("lab.yaml", SPEC);
    let out = lab.dir.path().join("grades");
    let run = grade(&spec, &subs, &out)
        .args(["-j", "3", "--memory", "64"])
        .output_within(GRADE_TIME);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(0), "{err}");
    assert!(!err.contains("without a process limit"), "{err}");
    let rows = csv_rows(&out);
    let row = |s: &str| rows.iter().find(|r| r[0] == s).unwrap().clone();
    assert_eq!(row("alice")[2..6], ["7", "7", "true", "graded"]);
    for s in ["bomber", "hog"] {
        assert_eq!(row(s)[5], "build_failed", "{s}: {:?}", row(s));
    }
    let log = std::fs::read_to_string(out.join("logs/bomber.build.log")).unwrap();
    let refused: u32 = log
        .split("thread ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no thread was refused:\n{log}"));
    assert!(
        refused < 256,
        "at most the build's 256 processes run: {refused}\n{log}"
    );
    let log = std::fs::read_to_string(out.join("logs/hog.build.log")).unwrap();
    assert!(
        log.contains("non-zero code: 137"),
        "killed at its memory limit: {log}"
    );
    assert_eq!(leftovers(&out), "");
    assert_eq!(descendants(&lab, &lab.image).await, Vec::<String>::new());
}

/// The names of a run's containers (running or not).
fn run_containers(run: &str) -> Vec<String> {
    let label = format!("label=io.labgrade.grade={run}");
    let out = docker_cmd(&["ps", "-a", "--filter", &label, "--format", "{{.Names}}"])
        .output_within(DOCKER_TIME);
    text(&out.stdout).lines().map(String::from).collect()
}

/// Waits (bounded) until the run writing into `out` has a container of `student`'s,
/// and returns the run's id with the container's name.
fn container_of(out: &Path, student: &str) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        assert!(Instant::now() < deadline, "{}: no container", out.display());
        if let Some(run) = labgrade::batch::last_run(out) {
            let own = format!("-{student}-");
            if let Some(c) = run_containers(&run.run_id)
                .into_iter()
                .find(|c| c.contains(&own))
            {
                return (run.run_id, c);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `labgrade clean` while a class is being graded: the live run's containers are left
/// alone (and its verdicts are the submissions' own), while what a run killed with -9
/// left is removed, and a run whose owner this machine cannot see (another host's) is
/// kept unless named with `--run`. `clean --run` of the live run is refused. On the old
/// `clean`, which removed every run's containers, the hanging submission's container
/// went and its check said so instead of "timed out".
#[tokio::test(flavor = "multi_thread")]
async fn clean_leaves_a_run_in_progress_alone() {
    let lab = Lab::new("clean-scoped").await;
    let subs = lab.dir.path().join("submissions");
    let hang = "CMD [\"--behave\", \"hang\"]\n";
    submission(&subs, "alice", &lab.image, "", &[]);
    submission(&subs, "hanger", &lab.image, hang, &[]);
    let spec = lab.spec(
        "lab.yaml",
        &SPEC.replace(
            "body_contains: Hello\n",
            "body_contains: Hello\n    timeout: 20s\n",
        ),
    );
    let live_out = lab.dir.path().join("live");
    let live = grade(&spec, &subs, &live_out)
        .args(["-j", "2", "--memory", "64"])
        .spawn_within(GRADE_TIME);
    let (live_run, hanging) = container_of(&live_out, "hanger");
    // A second run, killed with -9 once it has a container: its leftovers are dead.
    let dead_subs = lab.dir.path().join("dead-subs");
    submission(&dead_subs, "bob", &lab.image, hang, &[]);
    let dead_out = lab.dir.path().join("dead");
    let mut dead = grade(&spec, &dead_subs, &dead_out)
        .args(["--memory", "64"])
        .spawn_within(GRADE_TIME);
    let (dead_run, _) = container_of(&dead_out, "bob");
    dead.kill();
    // A run on another grading host sharing this daemon: its owner cannot be seen here.
    let far_run = format!("far-{}", lab.id);
    let far_net = format!("lg-far-{}", lab.id);
    docker(&[
        "network",
        "create",
        "--label",
        &format!("io.labgrade.grade={far_run}"),
        "--label",
        "io.labgrade.owner.host=another-grader.invalid",
        "--label",
        "io.labgrade.owner.pid=1",
        "--label",
        "io.labgrade.owner.process=x/y/1",
        &far_net,
    ]);
    let cleaned = labgrade().arg("clean").output_within(GRADE_TIME);
    let (said, err) = (text(&cleaned.stdout), text(&cleaned.stderr));
    assert_eq!(cleaned.status.code(), Some(0), "{said}{err}");
    assert!(
        said.contains(&format!("run {dead_run}: removed, its labgrade (pid")),
        "{said}{err}"
    );
    assert!(
        err.contains(&format!(
            "run {live_run}: kept, still in progress (labgrade pid {}",
            live.id()
        )),
        "{said}{err}"
    );
    assert!(
        err.contains(&format!(
            "run {far_run}: kept, it belongs to labgrade pid 1 on host another-grader.invalid"
        )),
        "{said}{err}"
    );
    assert_eq!(
        run_leftovers(&dead_run),
        "",
        "the killed run's leftovers went"
    );
    assert!(
        run_containers(&live_run).contains(&hanging),
        "the live run's container stays"
    );
    let refused = labgrade()
        .args(["clean", "--run", &live_run])
        .output_within(GRADE_TIME);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused.stderr));
    assert!(
        text(&refused.stderr).contains("is still in progress"),
        "{}",
        text(&refused.stderr)
    );
    assert!(run_containers(&live_run).contains(&hanging));
    // --resume into the folder of a run in progress is refused too.
    let twice = grade(&spec, &subs, &live_out)
        .arg("--resume")
        .output_within(GRADE_TIME);
    assert_eq!(twice.status.code(), Some(2), "{}", text(&twice.stderr));
    assert!(
        text(&twice.stderr).contains("is being graded right now"),
        "{}",
        text(&twice.stderr)
    );
    let far = labgrade()
        .args(["clean", "--run", &far_run])
        .output_within(GRADE_TIME);
    assert_eq!(far.status.code(), Some(0), "{}", text(&far.stderr));
    assert_eq!(run_leftovers(&far_run), "");

    let done = tokio::task::spawn_blocking(move || live.wait())
        .await
        .unwrap();
    assert_eq!(done.status.code(), Some(0), "{}", text(&done.stderr));
    let rows = csv_rows(&live_out);
    let row = |s: &str| rows.iter().find(|r| r[0] == s).unwrap().clone();
    assert_eq!(row("alice")[5], "graded");
    assert_eq!(row("alice")[4], "true", "{:?}", row("alice"));
    let report = std::fs::read_to_string(live_out.join("reports/hanger.txt")).unwrap();
    assert!(
        report.contains("Container pythonapp_nautilus is running")
            && report.contains("no answer before the timeout"),
        "the hanging app was graded on its own behaviour, its container untouched:\n{report}"
    );
    assert_eq!(leftovers(&live_out), "");
    assert_eq!(
        descendants(&lab, &lab.image).await,
        Vec::<String>::new(),
        "no image of either run is left, not even the killed one's intermediate images"
    );
}

/// The header of the gradebook CSV.
fn csv_header(out: &Path) -> String {
    let text = std::fs::read_to_string(out.join("gradebook.csv")).unwrap();
    text.lines().next().unwrap().to_string()
}

/// In a batch the grader creates the container itself, from the student's image, with
/// the lab's ports: "container exists", "runs image" and "port published" are given
/// (shown, no points, not in the maximum, no gradebook column), a container that exits
/// loses only what it did, and reports speak of host port 8097 and the spec's names,
/// never the port Docker picked. A submission built FROM the lab's own image, or FROM
/// any image made on the grading machine, is refused unless the spec allows that base.
#[tokio::test(flavor = "multi_thread")]
async fn batch_scores_measure_the_student() {
    let mut lab = Lab::new("scores").await;
    let subs = lab.dir.path().join("submissions");
    submission(&subs, "alice", &lab.image, "", &[]);
    submission(
        &subs,
        "bob",
        &lab.image,
        "CMD [\"--listen\", \"127.0.0.1:8088\"]\n",
        &[],
    );
    submission(
        &subs,
        "quitter",
        &lab.image,
        "CMD [\"--crash\", \"boom\"]\n",
        &[],
    );
    let spec = lab.spec("lab.yaml", SPEC);
    let out = lab.dir.path().join("grades");
    let run = grade(&spec, &subs, &out)
        .args(["--memory", "64"])
        .output_within(GRADE_TIME);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let header = csv_header(&out);
    assert!(
        !header.contains("container:")
            && !header.contains("port:")
            && !header.contains("from-image"),
        "given checks have no column: {header}"
    );
    let rows = csv_rows(&out);
    let row = |s: &str| rows.iter().find(|r| r[0] == s).unwrap().clone();
    assert_eq!(row("alice")[2..6], ["7", "7", "true", "graded"]);
    assert_eq!(row("bob")[2..6], ["4", "7", "false", "graded"]);
    let report = |s: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(out.join(format!("reports/{s}.json"))).unwrap(),
        )
        .unwrap()
    };
    for s in ["alice", "bob", "quitter"] {
        let r = report(s);
        assert_eq!(r["max_score"], 7, "{s}: {r:#}");
        let findings = r["findings"].as_array().unwrap();
        let given: Vec<&serde_json::Value> = findings
            .iter()
            .filter(|f| f["outcome"] == "given")
            .collect();
        assert_eq!(given.len(), 3, "{s}: {r:#}");
        for f in given {
            assert_eq!(
                (f["points"].as_u64(), f["max_points"].as_u64()),
                (Some(0), Some(0))
            );
        }
        // Every host port named is the lab's.
        let all = r.to_string();
        for (i, _) in all.match_indices("localhost:") {
            assert!(
                all[i..].starts_with("localhost:8097"),
                "{s}: {}",
                &all[i..i + 40]
            );
        }
        assert!(!all.contains("lg-"), "{s}: the grader's names: {all}");
        let txt = std::fs::read_to_string(out.join(format!("reports/{s}.txt"))).unwrap();
        assert!(
            txt.contains("GIVEN") && txt.contains("Host port 8097 is published"),
            "{s}:\n{txt}"
        );
    }
    let quitter = std::fs::read_to_string(out.join("reports/quitter.txt")).unwrap();
    assert!(!quitter.contains("host port 0"), "{quitter}");
    // A fix that looks into the container says how to get one on the student's machine.
    let running = report("quitter")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"].as_str().unwrap().starts_with("running"))
        .unwrap()
        .clone();
    assert!(
        running["fix"].as_str().unwrap().starts_with(
            "on your own machine, run it as the grader did: docker build -t nautilus/python-app . && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app; then docker logs pythonapp_nautilus"
        ),
        "{running:#}"
    );

    // Without allowed_bases: the lab's own image (the instructor's reference, here a
    // tag of the test's image) and any image built here (no registry digest) are refused.
    let reference = lab.tag("reference").await;
    let subs2 = lab.dir.path().join("submissions2");
    submission(&subs2, "cheat", &reference, "", &[]);
    // Another image built here (not the lab's): an instructor's or a classmate's build.
    let other = lab.build("other", "FROM BASE\nLABEL other=1\n", &[]).await;
    submission(&subs2, "local", &other, "", &[]);
    let spec2 = lab.spec(
        "lab2.yaml",
        &SPEC
            .replace("nautilus/python-app", &reference)
            .replace("allowed_bases: [\"labgrade-test/*\"]\n", ""),
    );
    let out2 = lab.dir.path().join("grades2");
    let run = grade(&spec2, &subs2, &out2)
        .args(["--memory", "64"])
        .output_within(GRADE_TIME);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    // A whole class refused alike: the instructor is told, once.
    assert!(
        text(&run.stderr).contains(
            "warning: every submission (2) was refused for the image it builds on, the first because"
        ) && text(&run.stderr).contains("list it in the spec's allowed_bases"),
        "{}",
        text(&run.stderr)
    );
    let rows = csv_rows(&out2);
    let reason = |s: &str| {
        let r = rows.iter().find(|r| r[0] == s).unwrap();
        assert_eq!(r[5], "build_failed", "{r:?}");
        let json: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out2.join(format!("results/{s}.json"))).unwrap(),
        )
        .unwrap();
        json["problem"].as_str().unwrap().to_string()
    };
    assert!(
        reason("cheat").contains("refused base: the Dockerfile builds on")
            && reason("cheat").contains("the image this lab asks you to build"),
        "{rows:?}"
    );
    assert!(reason("local").contains("no registry digest"), "{rows:?}");
    assert_eq!(leftovers(&out), "");
    assert_eq!(leftovers(&out2), "");
}

/// A COPY of a file the student linked in from outside their folder: Docker sends the
/// link, the build fails with "file not found", and the report names the link and where
/// it leads. The fix, typed in the submission's folder as printed, makes it build.
#[tokio::test(flavor = "multi_thread")]
async fn a_copied_link_to_a_file_outside_is_named_and_fixed() {
    let lab = Lab::new("linked").await;
    let subs = lab.dir.path().join("submissions");
    submission(
        &subs,
        "linked",
        &lab.image,
        "COPY notes.txt /notes.txt\n",
        &[],
    );
    let shared = lab.dir.path().join("shared");
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(shared.join("notes.txt"), "mine\n").unwrap();
    std::os::unix::fs::symlink("../../shared/notes.txt", subs.join("linked/notes.txt")).unwrap();
    let spec = lab.spec("lab.yaml", SPEC);
    let graded = |out: &str| {
        let out = lab.dir.path().join(out);
        let run = grade(&spec, &subs, &out).output_within(GRADE_TIME);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
        assert_eq!(leftovers(&out), "");
        let json = std::fs::read_to_string(out.join("reports/linked.json")).unwrap();
        serde_json::from_str::<serde_json::Value>(&json).unwrap()
    };
    let report = graded("grades");
    let first = &report["findings"][0];
    assert_eq!(first["cause_id"], "copy-symlink", "{report:#}");
    assert!(
        first["cause"]
            .as_str()
            .unwrap()
            .contains("notes.txt in the submission is a symbolic link to ../../shared/notes.txt"),
        "{first:#}"
    );
    let fix = first["fix"].as_str().unwrap();
    let typed = fix.rsplit_once(": ").unwrap().1;
    assert_eq!(
        typed,
        "rm notes.txt && cp -R ../../shared/notes.txt notes.txt"
    );
    let done = std::process::Command::new("sh")
        .args(["-c", typed])
        .current_dir(subs.join("linked"))
        .output_within(DOCKER_TIME);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let report = graded("grades-again");
    assert_eq!(report["passed"], true, "{report:#}");
}

/// Every submission gets a report, the ones that did not build too, each with the cause
/// in words and as an id, the fix and the build log's explaining lines: a lowercase
/// `dockerfile`, a Dockerfile in a subfolder, a RUN step killed at the memory limit, and
/// an app that hits the process limit at run time (named as such, not as a port problem),
/// and an app still starting when the grader stops waiting (told how to wait longer).
#[tokio::test(flavor = "multi_thread")]
async fn every_submission_gets_feedback() {
    let lab = Lab::new("feedback").await;
    let subs = lab.dir.path().join("submissions");
    submission(&subs, "lower", &lab.image, "", &[]);
    std::fs::rename(subs.join("lower/Dockerfile"), subs.join("lower/dockerfile")).unwrap();
    submission(&subs, "nested", &lab.image, "", &[]);
    std::fs::create_dir_all(subs.join("nested/app")).unwrap();
    std::fs::rename(
        subs.join("nested/Dockerfile"),
        subs.join("nested/app/Dockerfile"),
    )
    .unwrap();
    submission(
        &subs,
        "hog",
        &lab.image,
        "RUN [\"/labgrade\", \"serve\", \"--hog\"]\n",
        &[],
    );
    submission(
        &subs,
        "threads",
        &lab.image,
        "CMD [\"--threads\", \"1000\"]\n",
        &[],
    );
    submission(
        &subs,
        "slow",
        &lab.image,
        "CMD [\"--delay\", \"60\"]\n",
        &[],
    );
    let spec = lab.spec("lab.yaml", SPEC);
    let out = lab.dir.path().join("grades");
    let run = grade(&spec, &subs, &out)
        .args(["-j", "2", "--memory", "64"])
        .output_within(GRADE_TIME);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    let report = |s: &str| -> (serde_json::Value, String) {
        let json = std::fs::read_to_string(out.join(format!("reports/{s}.json")))
            .unwrap_or_else(|e| panic!("{s} has no report: {e}"));
        let txt = std::fs::read_to_string(out.join(format!("reports/{s}.txt"))).unwrap();
        (serde_json::from_str(&json).unwrap(), txt)
    };
    let first = |r: &serde_json::Value| r["findings"][0].clone();
    let (lower, txt) = report("lower");
    assert_eq!(
        first(&lower)["cause_id"],
        "dockerfile-misnamed",
        "{lower:#}"
    );
    assert!(txt.contains("git mv dockerfile Dockerfile"), "{txt}");
    assert_eq!(lower["max_score"], 7);
    let (nested, _) = report("nested");
    assert_eq!(
        first(&nested)["cause_id"],
        "dockerfile-not-at-top",
        "{nested:#}"
    );
    assert!(
        first(&nested)["cause"]
            .as_str()
            .unwrap()
            .contains("in app/")
    );
    let (hog, txt) = report("hog");
    assert_eq!(first(&hog)["cause_id"], "build-out-of-memory", "{hog:#}");
    assert!(txt.contains("out of memory"), "{txt}");
    let evidence = first(&hog)["evidence"].to_string();
    assert!(
        evidence.contains("log: Step") && evidence.contains("137"),
        "{evidence}"
    );
    // Every scored check is there, skipped because of the build.
    assert!(
        hog["findings"].as_array().unwrap()[1..]
            .iter()
            .all(|f| f["outcome"] == "skipped" && f["because_of"] == "build"),
        "{hog:#}"
    );
    let (threads, _) = report("threads");
    let running = threads["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"].as_str().unwrap().starts_with("running"))
        .unwrap()
        .clone();
    assert_eq!(running["cause_id"], "process-limit", "{threads:#}");
    // An app still starting when the grader stopped waiting: the words say how to wait.
    let (slow, _) = report("slow");
    let http = slow["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"].as_str().unwrap().starts_with("http"))
        .unwrap()
        .clone();
    assert!(
        http["cause"]
            .as_str()
            .unwrap()
            .contains("may still be starting: give it more time (`wait: 30s` in the spec, or --wait 30s on labgrade check, or on labgrade grade for a class)"),
        "{slow:#}"
    );
    let rows = csv_rows(&out);
    let status = |s: &str| rows.iter().find(|r| r[0] == s).unwrap()[5].clone();
    for s in ["lower", "nested", "hog"] {
        assert_eq!(status(s), "build_failed");
    }
    assert_eq!(status("threads"), "graded");
    assert_eq!(leftovers(&out), "");
}
