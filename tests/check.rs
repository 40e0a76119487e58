//! `labgrade check` against a real Docker daemon with real containers built locally.

mod common;

use common::process::TOOL_TIME;
use common::{CHECK_TIME, Lab, Within, finding, free_port, labgrade, text};

/// The five-line spec of the issue, pointed at this test's image, container and port.
fn short_spec(image: &str, container: &str, host_port: u16, extra_http: &str) -> String {
    format!(
        "image: {image}\ncontainer: {container}\nports: [\"{host_port}:8088\"]\nhttp:\n  - get: /\n    status: 200\n    body_contains: \"Hello\"\n{extra_http}"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn correct_lab_passes_with_full_score() {
    let mut lab = Lab::new("pass").await;
    let port = free_port();
    let name = lab.run("app", &[], &[(port, 8088)]).await;
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, port, ""));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["passed"], true);
    assert_eq!(report["score"], report["max_score"]);
    assert_eq!(report["max_score"], 11);
    assert_eq!(report["schema_version"], 1);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["outcome"] == "pass"),
        "{report:#}"
    );

    let out = lab.check_tty(&spec);
    assert_eq!(out.status.code(), Some(0));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("Score 11/11 — PASSED (pass mark 11)"),
        "{shown}"
    );
    assert!(
        !shown.contains('\u{1b}'),
        "NO_COLOR output has no escapes: {shown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn stopped_container_is_diagnosed_with_its_log() {
    let mut lab = Lab::new("stopped").await;
    let port = free_port();
    let name = lab
        .run(
            "app",
            &["--crash", "ModuleNotFoundError: No module named 'flask'"],
            &[(port, 8088)],
        )
        .await;
    lab.wait_stopped(&name).await;
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, port, ""));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1, "{report:#}");
    let running = finding(&report, &format!("running:{name}"));
    assert_eq!(running["outcome"], "fail");
    assert_eq!(running["found"], "exited with code 1");
    assert!(
        running["cause"]
            .as_str()
            .unwrap()
            .contains("No module named 'flask'"),
        "{running:#}"
    );
    assert!(
        running["fix"]
            .as_str()
            .unwrap()
            .contains(&format!("docker logs {name}"))
    );
    // The port was asked for at `docker run`, so it still counts while stopped.
    assert_eq!(
        finding(&report, &format!("port:{name}:{port}:8088"))["outcome"],
        "pass"
    );
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(http["outcome"], "skipped");
    assert_eq!(http["because_of"], format!("running:{name}"));
    assert_eq!(report["score"], 2 + 1 + 1 + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn created_but_never_started() {
    let mut lab = Lab::new("created").await;
    let port = free_port();
    let name = lab.run_with("app", &[], &[(port, 8088)], true).await;
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, port, ""));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let running = finding(&report, &format!("running:{name}"));
    assert_eq!(running["found"], "created, never started");
    assert_eq!(running["fix"], format!("docker start {name}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_image_and_container() {
    let lab = Lab::new("missing").await;
    let port = free_port();
    let image = format!("labgrade-test/absent-{}", lab.id);
    let container = format!("absent-{}", lab.id);
    let spec = lab.spec("lab.yaml", &short_spec(&image, &container, port, ""));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let img = finding(&report, &format!("image:{image}"));
    assert_eq!(img["outcome"], "fail");
    // Checked from a folder with no Dockerfile (the crate's): built in the lab's.
    assert_eq!(
        img["fix"],
        format!(
            "in the lab's folder (the one with its Dockerfile; or run labgrade there, or give --dir FOLDER): docker build -t {image} ."
        )
    );
    // From the lab's folder: built there.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(project.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let dir = project.path().display().to_string();
    let (_, in_lab) = lab.check_json(&spec, &["--dir", &dir]);
    let img = finding(&in_lab, &format!("image:{image}"));
    assert_eq!(img["fix"], format!("docker build -t {image} ."));
    let c = finding(&report, &format!("container:{container}"));
    assert_eq!(c["outcome"], "fail");
    assert_eq!(
        c["fix"],
        format!("docker run -d --name {container} -p {port}:8088 {image}")
    );
    for dependent in [
        format!("running:{container}"),
        format!("http:{container}:GET /"),
    ] {
        assert_eq!(finding(&report, &dependent)["outcome"], "skipped");
    }
    assert_eq!(report["score"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_host_port_is_named_with_the_fix() {
    let mut lab = Lab::new("wrongport").await;
    let (wanted, actual) = (free_port(), free_port());
    let name = lab.run("app", &[], &[(actual, 8088)]).await;
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, wanted, ""));
    let (code, report) = lab.check_json(&spec, &["--wait", "0s"]);
    assert_eq!(code, 1);
    let port = finding(&report, &format!("port:{name}:{wanted}:8088"));
    assert_eq!(port["outcome"], "fail");
    assert_eq!(port["found"], format!("{actual}->8088/tcp"));
    assert_eq!(
        port["cause"],
        format!("port 8088 is published on host port {actual}, not {wanted}")
    );
    assert!(
        port["fix"]
            .as_str()
            .unwrap()
            .ends_with(&format!("-p {wanted}:8088 {}", lab.image)),
        "{port:#}"
    );
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(http["outcome"], "fail");
    assert_eq!(http["because_of"], format!("port:{name}:{wanted}:8088"));
    assert!(
        http["found"]
            .as_str()
            .unwrap()
            .starts_with("connection refused"),
        "{http:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_body_and_missing_route() {
    let mut lab = Lab::new("body").await;
    let port = free_port();
    let name = lab
        .run(
            "app",
            &[
                "--listen",
                "0.0.0.0:8088",
                "--body",
                "Goodbye",
                "--route",
                "/",
                "--route",
                "/ping",
            ],
            &[(port, 8088)],
        )
        .await;
    let extra = "  - get: /latency\n  - get: /ping\n    body_equals: Goodbye\n";
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, port, extra));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let root = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(root["outcome"], "fail");
    // What the app answered is shown, and what to change.
    assert_eq!(
        root["found"],
        "200; body lacks \"Hello\"; it answered \"Goodbye\""
    );
    assert_eq!(root["cause_id"], "wrong-answer");
    assert!(root["fix"].as_str().unwrap().contains("body has \"Hello\""));
    let latency = finding(&report, &format!("http:{name}:GET /latency"));
    assert_eq!(latency["found"], "status 404");
    assert_eq!(
        latency["cause"],
        "/latency is 404 but / answers 200, /ping answers 200: the app has no route /latency"
    );
    assert_eq!(
        finding(&report, &format!("http:{name}:GET /ping"))["outcome"],
        "pass"
    );
    assert_eq!(report["score"], report["max_score"].as_u64().unwrap() - 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn loopback_binding_is_diagnosed() {
    let mut lab = Lab::new("loopback").await;
    let port = free_port();
    let name = lab
        .run("app", &["--listen", "127.0.0.1:8088"], &[(port, 8088)])
        .await;
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, port, ""));
    // A long readiness wait: the grader must see the certain cause and not wait it out.
    let started = std::time::Instant::now();
    let (code, report) = lab.check_json(&spec, &["--wait", "60s"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(code, 1);
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(http["outcome"], "fail");
    let cause = http["cause"].as_str().unwrap();
    assert!(
        cause.contains("listens on 127.0.0.1:8088 inside the container"),
        "{http:#}"
    );
    // The words after the image name asked for it (fix_replay types the fix).
    assert!(cause.contains("(`--listen 127.0.0.1:8088`) replace the image's CMD"));
    assert!(
        http["fix"].as_str().unwrap().starts_with(&format!(
            "docker rm -f {name} && docker run -d --name {name} -p {port}:8088 {}",
            lab.image
        )),
        "{http:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_container_port_is_diagnosed() {
    let mut lab = Lab::new("innerport").await;
    let port = free_port();
    // The app listens on 8080, the student published 8088.
    let name = lab
        .run("app", &["--listen", "0.0.0.0:8080"], &[(port, 8088)])
        .await;
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, port, ""));
    // The readiness wait covers the app's start; once it listens (elsewhere) the cause is certain.
    let (code, report) = lab.check_json(&spec, &["--wait", "60s"]);
    assert_eq!(code, 1);
    let http = finding(&report, &format!("http:{name}:GET /"));
    assert_eq!(
        http["cause"],
        "nothing listens on 8088 inside the container; the app listens on 8080"
    );
    // The spec wants the app on 8088: the app must move, not the mapping.
    assert!(
        http["fix"]
            .as_str()
            .unwrap()
            .starts_with("make the app listen on port 8088"),
        "{http:#}"
    );

    // Seed 000's mistake: the lab asks for 8000:8080 (the app's port), the student ran
    // -p 8000:8000. Now the mapping is what must change, exactly as the spec says.
    let other = free_port();
    let seed0 = lab
        .run("seed0", &["--listen", "0.0.0.0:8080"], &[(other, 8000)])
        .await;
    let text = format!(
        "container: {seed0}\nimage: {}\nports: [\"{other}:8080\"]\nhttp:\n  - get: /\n",
        lab.image
    );
    let spec = lab.spec("seed0.yaml", &text);
    let (code, report) = lab.check_json(&spec, &["--wait", "60s"]);
    assert_eq!(code, 1);
    let port_check = finding(&report, &format!("port:{seed0}:{other}:8080"));
    assert_eq!(
        port_check["cause"],
        format!(
            "host port {other} goes to port 8000 inside the container, not 8080: the number on the right of -p must be the port the app listens on"
        )
    );
    let http = finding(&report, &format!("http:{seed0}:GET /"));
    assert_eq!(
        http["cause"],
        "nothing listens on 8000 inside the container; the app listens on 8080"
    );
    assert_eq!(
        http["fix"],
        format!(
            "docker rm -f {seed0} && docker run -d --name {seed0} -p {other}:8080 {}",
            lab.image
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn container_from_another_image() {
    let mut lab = Lab::new("otherimage").await;
    let port = free_port();
    let name = lab.run("app", &[], &[(port, 8088)]).await;
    // Another tag of the same build still counts: the image id is what matters.
    let other = lab.tag("v2").await;
    let spec = lab.spec("lab.yaml", &short_spec(&other, &name, port, ""));
    let (_, report) = lab.check_json(&spec, &[]);
    assert_eq!(
        finding(&report, &format!("from-image:{name}"))["outcome"],
        "pass"
    );
}

#[test]
fn unreachable_daemon_exits_3_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("lab.yaml");
    std::fs::write(&spec, "image: a\n").unwrap();
    let out = labgrade()
        .arg("check")
        .arg(&spec)
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(3));
    let err = text(&out.stderr);
    assert!(
        err.contains("/nonexistent/docker.sock does not exist"),
        "{err}"
    );
    assert!(err.contains("systemctl start docker"), "{err}");
}

#[test]
fn report_files_that_cannot_be_written_exit_3_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("lab.yaml");
    std::fs::write(&spec, "image: labgrade-test-absent/none:x\n").unwrap();
    let missing = dir.path().join("no-such-folder");
    // A report target is refused before grading; the facts file is written after it.
    let report = missing.join("report.json");
    let facts = missing.join("facts.json");
    let cases = [
        (
            vec!["-f".to_string(), format!("json={}", report.display())],
            &report,
        ),
        (
            vec!["--save-facts".to_string(), facts.display().to_string()],
            &facts,
        ),
    ];
    for (args, file) in cases {
        let out = labgrade()
            .arg("check")
            .arg(&spec)
            .args(&args)
            .output_within(CHECK_TIME);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {err}");
        assert!(
            err.contains("cannot write ") && err.contains(&file.display().to_string()),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn bad_specs_exit_2_with_position() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "ports.yaml",
            "image: a\ncontainer: b\nports: [\"80a:80\"]\n",
            "ports.yaml:3:9: ",
            "invalid port `80a` in `80a:80`",
        ),
        ("empty.yaml", "", "empty.yaml: the spec is empty", ""),
        (
            "unknown.yaml",
            "image: a\ncontianer: b\n",
            "unknown.yaml:2:1: ",
            "unknown key `contianer`: did you mean `container`?",
        ),
        (
            "type.yaml",
            "image: a\ncontainer: b\nports: 8097\n",
            "type.yaml:3:8: ",
            "invalid type",
        ),
        ("yaml.yaml", "image: [a\n", "yaml.yaml:", ""),
    ];
    for (file, body, prefix, detail) in cases {
        let p = dir.path().join(file);
        std::fs::write(&p, body).unwrap();
        let out = labgrade().arg("check").arg(&p).output_within(CHECK_TIME);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = text(&out.stderr);
        assert!(
            err.contains(prefix) && err.contains(detail),
            "{file}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = labgrade()
        .arg("check")
        .arg(dir.path())
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(2));
    // A folder: the specs in it are named.
    let err = text(&out.stderr);
    assert!(
        err.contains("is a folder, not a spec; give one of the specs in it: ")
            && err.contains("/empty.yaml, ")
            && err.contains("/unknown.yaml"),
        "{err}"
    );
    let out = labgrade()
        .arg("check")
        .arg(dir.path().join("nope.yaml"))
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the spec"));
    // A typo of a spec that is there: it is named.
    let out = labgrade()
        .arg("check")
        .arg(dir.path().join("unknwon.yaml"))
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!(
            "; did you mean {}?",
            dir.path().join("unknown.yaml").display()
        )),
        "{err}"
    );
    // A folder of the path that is not there, from where it was typed.
    let out = labgrade()
        .arg("check")
        .arg("specs/lab.yaml")
        .current_dir(dir.path())
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("; there is no folder specs here ("),
        "{}",
        text(&out.stderr)
    );
    let out = labgrade().args(["check"]).output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn near_miss_names_get_the_command_that_fixes_them() {
    let mut lab = Lab::new("nearmiss").await;
    let port = free_port();
    let name = lab.run("app", &[], &[(port, 8088)]).await;
    // The spec wants tag v2 (the image is v1) and another container name.
    let wanted_image = lab.image.replace(":v1", ":v2");
    let wanted_name = format!("other-{}", lab.id);
    let spec = lab.spec(
        "lab.yaml",
        &short_spec(&wanted_image, &wanted_name, port, ""),
    );
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let image = finding(&report, &format!("image:{wanted_image}"));
    assert_eq!(image["cause"], "the image is tagged v1 instead of v2");
    assert_eq!(
        image["fix"],
        format!("docker tag {} {wanted_image}", lab.image)
    );

    // The right image runs under another name.
    let spec = lab.spec("lab2.yaml", &short_spec(&lab.image, &wanted_name, port, ""));
    let (_, report) = lab.check_json(&spec, &[]);
    let c = finding(&report, &format!("container:{wanted_name}"));
    assert_eq!(
        c["cause"],
        format!(
            "a container of the right image exists, but it is named {name} instead of {wanted_name}"
        )
    );
    assert_eq!(c["fix"], format!("docker rename {name} {wanted_name}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn host_port_already_allocated() {
    let mut lab = Lab::new("allocated").await;
    let port = free_port();
    let first = lab.run("first", &[], &[(port, 8088)]).await;
    let second = lab.run_with("second", &[], &[(port, 8088)], true).await;
    let err = lab
        .daemon
        .client()
        .start_container(&second, None)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already allocated"), "{err}");
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &second, port, ""));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let running = finding(&report, &format!("running:{second}"));
    assert_eq!(running["cause_id"], "host-port-taken");
    // The container that holds the port is named, and freeing it is the fix.
    assert_eq!(
        running["cause"],
        format!(
            "host port {port} is already published by container {first} (running), so Docker could not publish it for {second}"
        )
    );
    assert_eq!(
        running["fix"],
        format!("docker stop {first} && docker start {second}")
    );
}

#[test]
fn permission_denied_on_the_socket_exits_3_with_the_fix() {
    // Only root can become another user here; elsewhere there is nothing to set up.
    let is_root = common::process::run_for(std::process::Command::new("id").arg("-u"), TOOL_TIME)
        .map(|o| text(&o.stdout).trim() == "0")
        .unwrap_or(false);
    if !is_root || !std::path::Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to run as an unprivileged user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("lab.yaml");
    std::fs::write(&spec, "image: a\n").unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(&spec, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = std::process::Command::new("/usr/bin/setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env!("CARGO_BIN_EXE_labgrade"),
            "check",
        ])
        .arg(&spec)
        .env("DOCKER_HOST", "unix:///var/run/docker.sock")
        .output_within(CHECK_TIME);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("permission denied on the Docker socket /var/run/docker.sock"),
        "{err}"
    );
    assert!(err.contains("sudo usermod -aG docker $USER"), "{err}");
}

/// `--dir` naming no folder is a usage error, before any daemon is asked.
#[test]
fn a_missing_project_folder_is_a_usage_error() {
    let out = labgrade()
        .args([
            "check",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/specs/nautilus-python-app-full.yaml"
            ),
            "--dir",
            "/nonexistent-labgrade-folder",
        ])
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("--dir /nonexistent-labgrade-folder: no such folder"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn classroom_result_goes_to_the_step_output() {
    use base64::Engine as _;
    let mut lab = Lab::new("classroom").await;
    let port = free_port();
    // The app bound to 127.0.0.1: the request check fails, the others pass.
    let name = lab
        .run("app", &["--listen", "127.0.0.1:8088"], &[(port, 8088)])
        .await;
    let spec = lab.spec("lab.yaml", &short_spec(&lab.image, &name, port, ""));
    let output = lab.dir.path().join("github_output");
    std::fs::write(&output, "earlier=1\n").unwrap();
    let out = labgrade()
        .arg("check")
        .arg(&spec)
        .args(["--format", "classroom"])
        .env("GITHUB_OUTPUT", &output)
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(1));
    // The step output gets the result; the terminal still gets the table.
    assert!(
        text(&out.stdout).contains("Score 8/11"),
        "{}",
        text(&out.stdout)
    );
    let written = std::fs::read_to_string(&output).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("earlier=1"), "appended, not overwritten");
    let encoded = lines.next().unwrap().strip_prefix("result=").unwrap();
    let json: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["version"], 1);
    assert_eq!(json["status"], "fail");
    assert_eq!(json["max_score"], 11);
    let tests = json["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 6);
    let sum: u64 = tests.iter().map(|t| t["score"].as_u64().unwrap()).sum();
    assert_eq!(sum, 8, "the reporter's grade is the sum of the scores");
    for t in tests {
        for key in [
            "name",
            "status",
            "score",
            "message",
            "test_code",
            "filename",
            "line_no",
            "duration",
        ] {
            assert!(t.get(key).is_some(), "{key} in {t}");
        }
        // A test's status agrees with its points.
        assert_eq!(
            t["status"] == "pass",
            t["score"].as_u64().unwrap() > 0,
            "{t}"
        );
        assert_eq!(t["filename"], spec.display().to_string());
    }
    let http = tests
        .iter()
        .find(|t| t["test_code"] == format!("http:{name}:GET /"))
        .unwrap();
    assert_eq!(http["status"], "fail");
    assert!(
        http["message"]
            .as_str()
            .unwrap()
            .contains("listens on 127.0.0.1:8088 inside the container"),
        "{http}"
    );
}

/// PrairieLearn must hear when the grader itself failed (`gradable: false`), so the
/// student keeps the attempt: an invalid spec (exit 2) and an unreachable daemon (exit 3).
#[test]
fn prairielearn_is_told_when_the_grader_could_not_grade() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "image: a\ncontianer: b\n").unwrap();
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, "image: nautilus/python-app\n").unwrap();
    let results = dir.path().join("results.json");
    let read = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&results).unwrap()).unwrap()
    };
    let out = labgrade()
        .arg("check")
        .arg(&bad)
        .arg("-f")
        .arg(format!("prairielearn={}", results.display()))
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let pl = read();
    assert_eq!(pl["gradable"], false);
    assert!(
        pl["message"].as_str().unwrap().contains("contianer"),
        "{pl}"
    );
    let out = labgrade()
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .arg("check")
        .arg(&good)
        .arg("-f")
        .arg(format!("prairielearn={}", results.display()))
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(read()["gradable"], false);
}
