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
        "the container ran out of memory and was killed"
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
