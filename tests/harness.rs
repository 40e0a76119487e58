//! The test harness itself (`tests/common/`): a program that hangs is killed at its
//! deadline and the test fails naming it, and no test runs a program without one.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::Within;
use common::process::{RunError, run_for};

/// Whether a process is gone: no such process, or a zombie nobody reaped yet.
fn gone(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(true)
}

/// What a panic said.
fn panic_text(f: impl FnOnce()) -> String {
    let e = catch_unwind(AssertUnwindSafe(f)).expect_err("it should panic");
    e.downcast_ref::<String>()
        .cloned()
        .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_hang_is_killed_at_the_deadline() {
    let started = Instant::now();
    let r = run_for(
        Command::new("sh").args(["-c", "printf 'out:%s\\n' here; exec sleep 30"]),
        Duration::from_millis(500),
    );
    assert!(started.elapsed() < Duration::from_secs(10), "no hang");
    match r {
        Err(RunError::TimedOut(e)) => {
            assert!(e.contains("exec sleep 30"), "names the command: {e}");
            assert!(e.contains("did not finish within 500ms"), "{e}");
            assert!(e.contains("out:here"), "shows its output so far: {e}");
        }
        other => panic!("should time out: {other:?}"),
    }
    let said = panic_text(|| {
        Command::new("sleep")
            .arg("30")
            .output_within(Duration::from_millis(200));
    });
    assert!(
        said.contains("\"sleep\" \"30\" did not finish within 200ms: killed"),
        "{said}"
    );
}

#[test]
fn a_program_that_ends_gives_its_output() {
    let out = Command::new("sh")
        .args(["-c", "echo out; echo err >&2; exit 3"])
        .output_within(Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(common::text(&out.stdout), "out\n");
    assert_eq!(common::text(&out.stderr), "err\n");
    // A child of its own keeps the pipe open after it ended: what it wrote comes back,
    // without waiting for that child.
    let started = Instant::now();
    let out = Command::new("sh")
        .args(["-c", "sleep 6 & echo hi"])
        .output_within(Duration::from_millis(500));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "no wait for the pipe"
    );
    assert!(common::text(&out.stdout).starts_with("hi\n"), "{out:?}");
    match run_for(
        &mut Command::new("/nonexistent/program"),
        Duration::from_secs(30),
    ) {
        Err(RunError::NotStarted(e)) => assert!(e.contains("/nonexistent/program"), "{e}"),
        other => panic!("should not start: {other:?}"),
    }
}

#[test]
fn a_process_group_is_killed_whole() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
    let said = panic_text(|| {
        Command::new("sh")
            .args(["-c", &script])
            .output_within_group(Duration::from_millis(500));
    });
    assert!(said.contains("did not finish within 500ms"), "{said}");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !gone(pid) {
        assert!(Instant::now() < deadline, "the grandchild {pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_spawned_program_is_killed_when_dropped_or_late() {
    let mut child = Command::new("sleep")
        .arg("30")
        .spawn_within(Duration::from_secs(60));
    let pid = child.id();
    assert!(child.try_wait().is_none());
    drop(child);
    assert!(gone(pid), "{pid} was killed when dropped");

    let child = Command::new("sleep")
        .arg("30")
        .spawn_within(Duration::from_millis(300));
    let pid = child.id();
    let started = Instant::now();
    let said = panic_text(move || {
        child.wait();
    });
    assert!(started.elapsed() < Duration::from_secs(10), "no hang");
    assert!(said.contains("did not finish within 300ms"), "{said}");
    assert!(gone(pid), "{pid} was killed at its deadline");
}

/// Every test runs its programs through `tests/common/process.rs`: no bare `output()`,
/// `status()`, `spawn()` or `wait_with_output()` of `std::process::Command` elsewhere.
#[test]
fn no_test_runs_a_program_without_a_deadline() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let this = Path::new(file!()).file_name().unwrap();
    let bare = [".output()", ".status()", ".spawn()", ".wait_with_output()"];
    let mut found = Vec::new();
    for dir in [tests.clone(), tests.join("common")] {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            let name = path.file_name().unwrap();
            if path.extension().is_none_or(|x| x != "rs") || name == this {
                continue;
            }
            if path.ends_with("common/process.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if bare.iter().any(|b| line.contains(b)) {
                    found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "run programs with common::Within (output_within, spawn_within) or \
         common::process::run_for, which kill them at a deadline:\n{}",
        found.join("\n")
    );
}
