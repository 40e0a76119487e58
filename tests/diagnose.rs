//! The usual lab failures, created for real in containers, and what the grader says.

mod common;

use std::time::{Duration, Instant};

use common::{CHECK_TIME, Lab, Within, finding, free_port};

fn spec_text(image: &str, container: &str, host_port: u16) -> String {
    format!(
        "image: {image}\ncontainer: {container}\nports: [\"{host_port}:8088\"]\nhttp:\n  - get: /\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn expose_alone_publishes_nothing() {
    let mut lab = Lab::new("expose").await;
    let port = free_port();
    // The image EXPOSEs 8088, but the container was started without -p.
    let name = lab.run("app", &[], &[]).await;
    let spec = lab.spec("lab.yaml", &spec_text(&lab.image, &name, port));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let p = finding(&report, &format!("port:{name}:{port}:8088"));
    assert_eq!(p["found"], "no ports published");
    assert_eq!(
        p["cause"],
        format!(
            "the image EXPOSEs 8088, but EXPOSE only documents a port: nothing is published until you run with -p {port}:8088"
        )
    );
    assert_eq!(
        p["fix"],
        format!(
            "docker rm -f {name} && docker run -d --name {name} -p {port}:8088 {}",
            lab.image
        )
    );
    assert_eq!(report["root_cause"], format!("port:{name}:{port}:8088"));
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(http["because_of"], format!("port:{name}:{port}:8088"));
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_shows_the_traceback() {
    let mut lab = Lab::new("fivexx").await;
    let port = free_port();
    let name = lab.run("app", &["--status", "500"], &[(port, 8088)]).await;
    let spec = lab.spec("lab.yaml", &spec_text(&lab.image, &name, port));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(http["found"], "status 500");
    assert_eq!(
        http["cause"],
        "the app failed while answering; its log says \"ZeroDivisionError: division by zero\""
    );
    assert_eq!(http["fix"], format!("docker logs {name}"));
    let evidence: Vec<&str> = http["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence.contains(&"log: Traceback (most recent call last):"),
        "{evidence:?}"
    );
    assert!(
        evidence.contains(&"listening inside the container: 0.0.0.0:8088"),
        "{evidence:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paused_container() {
    let mut lab = Lab::new("paused").await;
    let port = free_port();
    let name = lab.run("app", &[], &[(port, 8088)]).await;
    lab.daemon.client().pause_container(&name).await.unwrap();
    let spec = lab.spec("lab.yaml", &spec_text(&lab.image, &name, port));
    let started = Instant::now();
    let (code, report) = lab.check_json(&spec, &["--timeout", "30s"]);
    // A paused container is not probed, so the long timeout is never waited out.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    let running = finding(&report, &format!("running:{name}"));
    assert_eq!(running["found"], "paused");
    assert_eq!(running["fix"], format!("docker unpause {name}"));
    assert_eq!(
        finding(&report, &format!("http:{name}:GET /"))["outcome"],
        "skipped"
    );
    lab.daemon.client().unpause_container(&name).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn crash_loop_under_restart_always() {
    let mut lab = Lab::new("loop").await;
    let name = lab
        .run_restarting(
            "app",
            &[
                "--crash",
                "python: can't open file '/app/server.py': [Errno 2] No such file or directory",
            ],
        )
        .await;
    // Let Docker's restart back-off grow, so the container spends its time restarting.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let c = lab.daemon.container(&name).await.unwrap().unwrap();
        if c.restart_count >= 3 && c.restarting {
            break;
        }
        assert!(Instant::now() < deadline, "no crash loop: {c:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let spec = lab.spec("lab.yaml", &format!("container: {name}\n"));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let running = finding(&report, &format!("running:{name}"));
    let found = running["found"].as_str().unwrap();
    assert!(found.starts_with("restarting (restarted "), "{running:#}");
    // The grader read the image: no /app/server.py anywhere, and no Dockerfile here to
    // name a COPY of, so the COPY to add is the fix.
    assert_eq!(running["cause_id"], "file-not-in-image", "{running:#}");
    assert!(
        running["cause"]
            .as_str()
            .unwrap()
            .starts_with("the image has no /app/server.py"),
        "{running:#}"
    );
    assert!(
        running["fix"]
            .as_str()
            .unwrap()
            .starts_with("add `COPY server.py /app/server.py` to the Dockerfile"),
        "{running:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_memory() {
    let mut lab = Lab::new("oom").await;
    let name = lab.run("app", &["--hog"], &[]).await;
    lab.wait_stopped(&name).await;
    let spec = lab.spec("lab.yaml", &format!("container: {name}\n"));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let running = finding(&report, &format!("running:{name}"));
    assert_eq!(running["found"], "exited (killed: out of memory)");
    assert_eq!(
        running["cause"],
        "the container ran out of memory and was killed: it may use at most 64 MiB (--memory)"
    );
    // Its own run again, with twice the memory and its own command words.
    assert_eq!(
        running["fix"],
        format!(
            "docker rm -f {name} && docker run -d --name {name} --memory 128m {} --hog   (twice the memory; if it is killed again, the app keeps growing: docker logs {name} shows what it did last)",
            lab.image
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_waits_for_a_slow_start() {
    let mut lab = Lab::new("slowstart").await;
    let port = free_port();
    let name = lab.run("app", &["--delay", "1.5"], &[(port, 8088)]).await;
    let spec = lab.spec("lab.yaml", &spec_text(&lab.image, &name, port));
    let (code, report) = lab.check_json(&spec, &["--wait", "20s"]);
    assert_eq!(code, 0, "the app answered once it was up: {report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn container_removed_while_waiting() {
    let mut lab = Lab::new("vanish").await;
    let port = free_port();
    let name = lab.run("app", &["--delay", "600"], &[(port, 8088)]).await;
    let spec = lab.spec("lab.yaml", &spec_text(&lab.image, &name, port));
    let child = common::labgrade()
        .arg("check")
        .arg(&spec)
        .args(["--format", "json", "--wait", "60s"])
        .spawn_within(CHECK_TIME);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let started = Instant::now();
    labgrade::sample::remove(&lab.daemon, &name).await;
    let out = child.wait();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no hang after the container went away"
    );
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Gone while the probe waited (fail), or already gone when the grader looked (skipped,
    // on a loaded machine): either way a finding, promptly, never a pass or a hang.
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert!(
        ["fail", "skipped"].contains(&http["outcome"].as_str().unwrap()),
        "{http:#}"
    );
}

/// A plain `docker stop` is no crash: the daemon's events say who stopped it, and the
/// fix is to start it again (not to read a log that explains nothing).
#[tokio::test(flavor = "multi_thread")]
async fn stopped_by_docker_stop_is_no_crash() {
    let mut lab = Lab::new("stopped").await;
    let port = free_port();
    let name = lab.run("app", &[], &[(port, 8088)]).await;
    let opts = bollard::query_parameters::StopContainerOptionsBuilder::default()
        .t(1)
        .build();
    lab.daemon
        .client()
        .stop_container(&name, Some(opts))
        .await
        .unwrap();
    lab.wait_stopped(&name).await;
    let spec = lab.spec("lab.yaml", &spec_text(&lab.image, &name, port));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let running = finding(&report, &format!("running:{name}"));
    assert_eq!(running["cause_id"], "stopped-by-request", "{running:#}");
    assert_eq!(running["fix"], format!("docker start {name}"));
}

/// Removes containers by name when the test ends, however it ends.
struct Gone(Vec<String>);

impl Drop for Gone {
    fn drop(&mut self) {
        for n in &self.0 {
            common::docker::docker_quiet(&["rm", "-f", n]);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_that_is_gone_is_told_from_the_daemons_events() {
    let mut lab = Lab::new("gone").await;
    let label = format!("{}=1", labgrade::sample::image::LABEL);
    // `docker run --rm` of an app that crashes: it is removed as it stops, its log too.
    let crashed = format!("crashed-{}", lab.id);
    let _left = Gone(vec![crashed.clone(), format!("moved-{}", lab.id)]);
    common::docker::docker(&[
        "run", "-d", "--rm", "--name", &crashed, "--label", &label, &lab.image, "--crash", "boom",
    ]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while lab.daemon.container(&crashed).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "{crashed} was not removed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And one removed by hand after it ran.
    let removed = lab.run("removed", &[], &[]).await;
    common::docker::docker(&["rm", "-f", &removed]);
    let spec = lab.spec(
        "gone.yaml",
        &format!("containers:\n  - name: {crashed}\n  - name: {removed}\n"),
    );
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let f = finding(&report, &format!("container:{crashed}"));
    assert_eq!(f["cause_id"], "container-removed", "{f:#}");
    let cause = f["cause"].as_str().unwrap();
    assert!(
        cause.starts_with(&format!(
            "{crashed} existed in the last hour: it was created at "
        )),
        "{cause}"
    );
    assert!(cause.contains(", exited with code 1 at "), "{cause}");
    assert!(
        cause.contains(" moments after it stopped (most likely `docker run --rm`, which does that); its log went with it: run it without --rm"),
        "{cause}"
    );
    let f = finding(&report, &format!("container:{removed}"));
    assert_eq!(f["cause_id"], "container-removed", "{f:#}");
    let cause = f["cause"].as_str().unwrap();
    assert!(cause.contains(", stopped at "), "{cause}");
    assert!(cause.ends_with(" (docker rm)"), "{cause}");
    // The image is the one it ran, from the daemon's create event.
    assert_eq!(
        f["fix"],
        format!("docker run -d --name {removed} {}", lab.image)
    );

    // Renamed: the fix names the new name, and typing it brings the container back.
    let moved = lab.run("renamed", &[], &[]).await;
    let new = format!("moved-{}", lab.id);
    common::docker::docker(&["rename", &moved, &new]);
    let spec = lab.spec("moved.yaml", &format!("container: {moved}\n"));
    let (_, report) = lab.check_json(&spec, &[]);
    let f = finding(&report, &format!("container:{moved}"));
    assert_eq!(f["cause_id"], "container-renamed", "{f:#}");
    assert_eq!(f["fix"], format!("docker rename {new} {moved}"));
    common::fixes::run_printed(f["fix"].as_str().unwrap(), lab.dir.path()).unwrap();
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "after the fix: {report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_engine_without_events_still_says_the_container_is_missing() {
    // An engine that answers everything a missing container needs but refuses
    // `/events` (as a proxy or an engine without an event log may): the finding is the
    // plain one, and the check is no error of the grader's.
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("engine.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = asked.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
                match s.read(&mut byte) {
                    Ok(1) => head.push(byte[0]),
                    _ => break,
                }
            }
            let line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            log.lock().unwrap().push(path.clone());
            let (status, body) = if path.starts_with("/_ping") {
                ("200 OK", "OK".to_string())
            } else if path.contains("/events") {
                (
                    "500 Internal Server Error",
                    r#"{"message":"no event log here"}"#.into(),
                )
            } else if path.contains("/containers/json") {
                ("200 OK", "[]".into())
            } else {
                ("404 Not Found", r#"{"message":"No such container"}"#.into())
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let spec = dir.path().join("lab.yaml");
    std::fs::write(&spec, "container: nowhere-to-be-found\n").unwrap();
    let out = common::labgrade()
        .args(["check", spec.to_str().unwrap(), "--format", "json"])
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .output_within(CHECK_TIME);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::text(&out.stderr)));
    assert_eq!(out.status.code(), Some(1), "{report:#}");
    let f = finding(&report, "container:nowhere-to-be-found");
    assert_eq!(f["cause_id"], "container-missing", "{f:#}");
    assert!(
        asked.lock().unwrap().iter().any(|p| p.contains("/events")),
        "the events were asked for: {:?}",
        asked.lock().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_container_made_again_is_told_by_the_daemons_events() {
    use common::docker::docker;
    let lab = Lab::new("recreated").await;
    let port = free_port();
    let id = format!("{}-{}", std::process::id(), port);
    let (name, other) = (
        format!("recreated-{id}"),
        format!("labgrade-test/recreated-{id}:test"),
    );
    let label = format!("{}=1", labgrade::sample::image::LABEL);
    let _left = common::lab::Leftovers(vec![name.clone()], vec![other.clone()]);
    let spec = lab.spec("lab.yaml", &spec_text(&lab.image, &name, port));
    let hp = format!("{port}:8088");
    // Run as the lab says, removed, and run again by hand without the -p.
    docker(&[
        "run", "-d", "--name", &name, "--label", &label, "-p", &hp, &lab.image,
    ]);
    docker(&["rm", "-f", &name]);
    docker(&["run", "-d", "--name", &name, "--label", &label, &lab.image]);
    let (_, report) = lab.check_json(&spec, &[]);
    let p = finding(&report, &format!("port:{name}:{port}:8088"));
    assert_eq!(p["cause_id"], "container-recreated", "{p:#}");
    let cause = p["cause"].as_str().unwrap();
    assert!(
        cause.starts_with(&format!("{name} was created again at ")),
        "{cause}"
    );
    assert!(
        cause.contains(&format!(" UTC, replacing a {name} removed at ")),
        "{cause}"
    );
    assert!(
        cause.ends_with(&format!(
            "UTC (the daemon's events), and the docker run that made the new one has no -p {hp}"
        )),
        "{cause}"
    );
    // The fix as printed: the lab passes.
    common::fixes::run_printed(p["fix"].as_str().unwrap(), lab.dir.path()).unwrap();
    let (_, report) = lab.check_json(&spec, &[]);
    assert_eq!(
        common::outcome(&report, &format!("port:{name}:{port}:8088")),
        "pass",
        "{report:#}"
    );

    // Removed, and run again from another image: the new docker run names it.
    let build = format!(
        "printf 'FROM {}\\nLABEL io.labgrade.test=other\\n' | docker build -q -t {other} -",
        lab.image
    );
    common::fixes::run_printed(&build, lab.dir.path()).unwrap();
    docker(&["rm", "-f", &name]);
    docker(&[
        "run", "-d", "--name", &name, "--label", &label, "-p", &hp, &other,
    ]);
    let (_, report) = lab.check_json(&spec, &[]);
    let f = finding(&report, &format!("from-image:{name}"));
    assert_eq!(f["cause_id"], "container-recreated", "{f:#}");
    let cause = f["cause"].as_str().unwrap();
    assert!(
        cause.starts_with(&format!("{name} was created again at ")),
        "{cause}"
    );
    assert!(
        cause.ends_with(&format!(
            "that ran {} (the daemon's events): the docker run that made the new one names {other}",
            lab.image
        )),
        "{cause}"
    );
    common::fixes::run_printed(f["fix"].as_str().unwrap(), lab.dir.path()).unwrap();
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "{report:#}");
}
