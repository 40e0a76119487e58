//! Broken and hostile student servers, for real, in containers: each yields a clear
//! finding within the probe timeout plus a small slack, never a hang or a crash.

mod common;

use std::time::{Duration, Instant};

use common::{Lab, finding, free_port};

#[tokio::test(flavor = "multi_thread")]
async fn hostile_servers_give_findings_in_bounded_time() {
    let mut lab = Lab::new("hostile").await;
    // (server arguments, what the finding must say)
    let cases: [(&[&str], &str); 11] = [
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
                    let out = common::labgrade()
                        .arg("check")
                        .arg(&spec)
                        .args(["--format", "json", "--timeout", "2s", "--wait", "2s"])
                        .output()
                        .unwrap();
                    (out, started.elapsed())
                }
            });
            (name, want, args, out)
        })
        .collect();
    for (name, want, args, handle) in handles {
        let (out, elapsed) = handle.join().unwrap();
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
        .output()
        .unwrap();
    let shown = common::text(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{0}') && !shown.contains('\u{7}'),
        "{shown}"
    );
    assert!(shown.contains("ValueError"), "{shown}");
    assert!(shown.len() < 64 * 1024, "{} bytes", shown.len());
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
