//! Broken and hostile student servers, for real, in containers: each yields a clear
//! finding within the probe timeout plus a small slack, never a hang or a crash.

mod common;

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{CHECK_TIME, Lab, Within, finding, free_port};

#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers_give_findings_in_bounded_time() {
    let mut lab = Lab::new("hostile").await;
    // (server arguments, what the finding must say)
    let cases: [(&[&str], &str); 12] = [
        (&["--behave", "hang"], "no answer before the timeout"),
        (
            &["--behave", "slow-headers"],
            "no answer before the timeout",
        ),
        (
            &["--behave", "endless"],
            "body longer than 1048576 bytes, cut",
        ),
        (
            &["--behave", "huge-header"],
            "the answer's headers are too large",
        ),
        (&["--behave", "garbage"], "the answer is not HTTP"),
        (&["--behave", "close"], ""),
        (&["--behave", "cut"], "the answer was cut short"),
        (
            &["--behave", "gzip-bomb"],
            "body longer than 1048576 bytes, cut",
        ),
        (&["--behave", "redirect-loop"], "too many redirects"),
        (&["--behave", "noisy"], "status 500"),
        (
            &["--redirect", "http://elsewhere.invalid/away"],
            "status 302",
        ),
        (
            // Docker's userland proxy turns the app's reset into a close.
            &["--behave", "reset"],
            "after the headers and 0 bytes of body",
        ),
    ];
    let mut runs = Vec::new();
    for (i, (args, want)) in cases.iter().enumerate() {
        let port = free_port();
        let name = lab.run(&format!("h{i}"), args, &[(port, 8088)]).await;
        let spec = lab.spec(
            &format!("h{i}.yaml"),
            &format!(
                "container: {name}\nports: [\"{port}:8088\"]\nhttp:\n  - get: /\n    body_contains: Hello\n"
            ),
        );
        runs.push((name, spec, *want, args.join(" ")));
    }
    // Grade them all at once: a hostile server must not hold up the others either.
    let timeout = Duration::from_secs(2);
    let handles: Vec<_> = runs
        .into_iter()
        .map(|(name, spec, want, args)| {
            let out = std::thread::spawn({
                let spec = spec.clone();
                move || {
                    let started = Instant::now();
                    let mut check = common::labgrade();
                    check.arg("check").arg(&spec).args([
                        "--format",
                        "json",
                        "--timeout",
                        "2s",
                        "--wait",
                        "2s",
                    ]);
                    let (out, peak_kib) = output_with_peak_rss(check);
                    (out, started.elapsed(), peak_kib)
                }
            });
            (name, want, args, out)
        })
        .collect();
    for (name, want, args, handle) in handles {
        let (out, elapsed, peak_kib) = handle.join().unwrap();
        eprintln!("{args}: graded in {elapsed:?}, grader peak RSS {peak_kib} KiB");
        assert!(
            peak_kib < 50 * 1024,
            "{args}: the grader peaked at {peak_kib} KiB (limit 50 MiB)"
        );
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args}: {}",
            common::text(&out.stderr)
        );
        assert!(
            elapsed < timeout + Duration::from_secs(8),
            "{args}: took {elapsed:?}"
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let http = finding(&report, &format!("http:{name}:GET /"));
        assert_eq!(http["outcome"], "fail", "{args}: {http:#}");
        let found = http["found"].as_str().unwrap();
        if want.is_empty() {
            assert!(
                found.starts_with("empty reply from server")
                    || found.starts_with("connection reset"),
                "{args}: {found}"
            );
            // The socket table shows it listening where the port reaches it, the probe got
            // nothing: the report says both.
            assert_eq!(http["cause_id"], "listening-but-closed", "{args}: {http:#}");
        } else {
            assert!(found.contains(want), "{args}: {found}");
        }
        assert!(
            http["cause"].as_str().is_some_and(|c| !c.is_empty()),
            "{args}: {http:#}"
        );
        assert!(
            out.stdout.len() < 64 * 1024,
            "{args}: the report stays small"
        );
    }
    let redirect = finding_for(&lab, "h10");
    assert!(redirect.contains("elsewhere.invalid"), "{redirect}");

    // A hostile log reaches the terminal escaped and cut, and the table stays small.
    let out = common::labgrade()
        .arg("check")
        .arg(lab.dir.path().join("h9.yaml"))
        .output_within(CHECK_TIME);
    let shown = common::text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{0}') && !shown.contains('\u{7}'),
        "{shown}"
    );
    assert!(shown.contains("ValueError"), "{shown}");
    assert!(shown.len() < 64 * 1024, "{} bytes", shown.len());
}

/// Runs a command to the end like `Command::output`, and also returns its peak resident
/// memory (KiB). A process's peak counts the memory of the process it was exec'd from, so
/// a small Python parent forks and execs it and reads the peak when it reaps it (the
/// test process itself is far bigger than the grader). Both run in a process group of
/// their own, killed whole if the grader outlives `CHECK_TIME`.
fn output_with_peak_rss(cmd: Command) -> (Output, u64) {
    const REAPER: &str = "import os,sys\n\
pid = os.fork()\n\
if pid == 0:\n    os.execv(sys.argv[1], sys.argv[1:])\n\
_, status, usage = os.wait4(pid, 0)\n\
sys.stderr.write('\\npeak-rss-kib=%d\\n' % usage.ru_maxrss)\n\
sys.exit(os.waitstatus_to_exitcode(status))\n";
    let mut out = Command::new("python3")
        .arg("-c")
        .arg(REAPER)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .output_within_group(CHECK_TIME);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let (rest, peak) = stderr
        .rsplit_once("\npeak-rss-kib=")
        .expect("the peak is reported");
    let peak = peak.trim().parse().unwrap();
    out.stderr = rest.as_bytes().to_vec();
    (out, peak)
}

/// An app that crashes on each request, under `--restart always`: the probe races the
/// restarts, and the report says the app crashed while answering, in bounded time.
#[tokio::test(flavor = "multi_thread")]
async fn app_restarting_during_probing() {
    let mut lab = Lab::new("dies").await;
    let port = free_port();
    let name = lab
        .run_custom("app", &["--behave", "die"], &[(port, 8088)], |r| {
            r.restart_always = true
        })
        .await;
    let spec = lab.spec(
        "lab.yaml",
        &format!(
            "container: {name}\nports: [\"{port}:8088\"]\nhttp:\n  - get: /\n    body_contains: Hello\n"
        ),
    );
    let started = Instant::now();
    let (code, report) = lab.check_json(&spec, &["--timeout", "2s", "--wait", "3s"]);
    let elapsed = started.elapsed();
    assert_eq!(code, 1, "{report:#}");
    assert!(elapsed < Duration::from_secs(3 + 8), "took {elapsed:?}");
    // The crash is the finding; the request that caused it is its consequence.
    let running = finding(&report, &format!("running:{name}"));
    assert_eq!(running["outcome"], "fail", "{running:#}");
    let found = running["found"].as_str().unwrap();
    assert!(
        found.starts_with("running, but restarted ") || found.starts_with("restarting ("),
        "{running:#}"
    );
    assert!(
        running["cause"]
            .as_str()
            .unwrap()
            .contains("Segmentation fault"),
        "{running:#}"
    );
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(http["because_of"], format!("running:{name}"), "{http:#}");
}

/// The cause of the http finding for case `suffix`, graded again.
fn finding_for(lab: &Lab, suffix: &str) -> String {
    let (_, report) = lab.check_json(
        &lab.dir.path().join(format!("{suffix}.yaml")),
        &["--timeout", "2s"],
    );
    let f = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"].as_str().unwrap().starts_with("http:"))
        .unwrap()
        .clone();
    f["cause"].as_str().unwrap().to_string()
}
