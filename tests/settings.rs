//! Image and container settings checked for real: EXPOSE, CMD, WORKDIR, ENV, USER, size
//! and layer order of built images; environment, mounts, restart policy, labels and
//! networks of running containers.

mod common;

use common::docker::docker_cmd;
use common::process::DOCKER_TIME;
use common::{CHECK_TIME, Lab, Within, finding, free_port, outcome};

#[tokio::test(flavor = "multi_thread")]
async fn image_settings_and_layer_order() {
    let mut lab = Lab::new("imageset").await;
    let good = lab
        .build(
            "good",
            "FROM BASE\nWORKDIR /app\nCOPY requirements.txt .\nRUN [\"/labgrade\", \"--version\"]\nCOPY . .\nENV APP_ENV=production\nEXPOSE 8088\nUSER 65534\nCMD [\"--listen\", \"0.0.0.0:8088\"]\n",
            &[("requirements.txt", "flask\n"), ("app.py", "print('hi')\n")],
        )
        .await;
    let bad = lab
        .build(
            "bad",
            "FROM BASE\nWORKDIR /srv\nCOPY . .\nRUN [\"/labgrade\", \"--version\"]\nENV APP_ENV=development\nCMD labgrade serve --listen 0.0.0.0:8088\n",
            &[("requirements.txt", "flask\n")],
        )
        .await;
    let spec_for = |image: &str| {
        format!(
            "images:\n  - name: {image}\n    expose: [8088, 9999/udp]\n    cmd: [\"--listen\", \"0.0.0.0:8088\"]\n    workdir: /app\n    env: {{APP_ENV: production}}\n    user: \"65534\"\n    max_size: 500MB\n    deps_before_code: true\n    install_command: labgrade\n    exec_form: true\n"
        )
    };
    let spec = lab.spec("good.yaml", &spec_for(&good));
    let (_, report) = lab.check_json(&spec, &[]);
    for id in [
        "expose:{i}:8088/tcp",
        "cmd:{i}",
        "workdir:{i}",
        "image-env:{i}:APP_ENV",
        "user:{i}",
        "size:{i}",
        "layer-order:{i}",
        "exec-form:{i}",
    ] {
        assert_eq!(
            outcome(&report, &id.replace("{i}", &good)),
            "pass",
            "{id}: {report:#}"
        );
    }
    assert_eq!(outcome(&report, &format!("expose:{good}:9999/udp")), "fail");
    assert_eq!(
        finding(&report, &format!("expose:{good}:9999/udp"))["fix"],
        format!("add `EXPOSE 9999` to the Dockerfile, then: docker build -t {good} .")
    );

    let spec = lab.spec("bad.yaml", &spec_for(&bad));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let f = |id: &str| finding(&report, &id.replace("{i}", &bad)).clone();
    // The base image's own COPY is not counted: only the steps of this Dockerfile.
    assert_eq!(f("layer-order:{i}")["found"], "COPY → RUN install");
    assert_eq!(
        f("layer-order:{i}")["cause"],
        "the code is copied before the dependencies are installed, so every code change reinstalls them all"
    );
    assert_eq!(
        f("cmd:{i}")["cause"],
        "CMD is written in shell form, so it runs under /bin/sh and signals do not reach the app"
    );
    assert_eq!(
        f("workdir:{i}")["cause"],
        "the image works in /srv, not /app"
    );
    assert_eq!(
        f("exec-form:{i}")["fix"],
        format!(
            "write `CMD [\"labgrade\", \"serve\", \"--listen\", \"0.0.0.0:8088\"]` in the Dockerfile, then: docker build -t {bad} ."
        )
    );
    assert_eq!(f("image-env:{i}:APP_ENV")["found"], "APP_ENV=development");
    assert_eq!(
        f("user:{i}")["cause"],
        "the image runs as root (no USER), not 65534"
    );
    assert_eq!(f("expose:{i}:9999/udp")["found"], "EXPOSE 8088/tcp"); // inherited from the base
}

#[tokio::test(flavor = "multi_thread")]
async fn container_settings() {
    let mut lab = Lab::new("contset").await;
    let port = free_port();
    let host_dir = lab.dir.path().join("project");
    std::fs::create_dir_all(&host_dir).unwrap();
    let volume = format!("labgrade-test-vol-{}", lab.id);
    let bind = format!("{}:/app", host_dir.display());
    let vol = format!("{volume}:/data");
    let name = lab
        .run_set("app", &[(port, 8088)], |r| {
            r.env = vec!["APP_ENV=production".into()];
            r.binds = vec![bind.clone(), vol.clone()];
            r.labels = vec![("course".into(), "devops".into())];
            r.restart_always = true;
        })
        .await;
    let spec = lab.spec(
        "lab.yaml",
        &format!(
            "container: {name}\nports: [\"{port}:8088\"]\nenv: {{APP_ENV: production, DEBUG: \"0\"}}\nmounts:\n  - {{source: project, destination: /app, type: bind}}\n  - {{source: {volume}, destination: /data, type: volume}}\n  - {{destination: /cache}}\nrestart: unless-stopped\nlabels: {{course: devops}}\nnetworks: [bridge, labnet]\n"
        ),
    );
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let f = |id: &str| finding(&report, id).clone();
    assert_eq!(f(&format!("env:{name}:APP_ENV"))["outcome"], "pass");
    assert_eq!(
        f(&format!("env:{name}:DEBUG"))["cause"],
        "the container was started without DEBUG"
    );
    let fix = f(&format!("env:{name}:DEBUG"))["fix"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.starts_with(&format!("docker rm -f {name} && docker run -d --name {name} -p {port}:8088 -e APP_ENV=production -e DEBUG=0 -v project:/app")),
        "{fix}"
    );
    assert_eq!(f(&format!("mount:{name}:/app"))["outcome"], "pass");
    assert_eq!(f(&format!("mount:{name}:/data"))["outcome"], "pass");
    assert_eq!(
        f(&format!("mount:{name}:/cache"))["cause"],
        "nothing is mounted at /cache"
    );
    assert_eq!(
        f(&format!("restart:{name}"))["fix"],
        format!("docker update --restart unless-stopped {name}")
    );
    assert_eq!(f(&format!("label:{name}:course"))["outcome"], "pass");
    assert_eq!(f(&format!("network:{name}:bridge"))["outcome"], "pass");
    assert_eq!(
        f(&format!("network:{name}:labnet"))["fix"],
        format!("docker network connect labnet {name}")
    );
    labgrade::sample::remove(&lab.daemon, &name).await;
    let _ = lab
        .daemon
        .client()
        .remove_volume(
            &volume,
            None::<bollard::query_parameters::RemoveVolumeOptions>,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_shot_runs() {
    let mut lab = Lab::new("oneshot").await;
    let hello = lab
        .build(
            "hello",
            "FROM BASE\nCMD [\"--say\", \"Hello from Docker! Today is {date}\"]\n",
            &[],
        )
        .await;
    let spec = lab.spec(
        "lab.yaml",
        &format!(
            "runs:\n  - image: {hello}\n    stdout_contains: Hello\n    stdout_regex: '\\d{{4}}-\\d{{2}}-\\d{{2}}'\n  - image: {hello}\n    args: [\"--crash\", \"ModuleNotFoundError: No module named 'requests'\"]\n  - image: {base}\n    timeout: 1s\n",
            base = lab.image
        ),
    );
    let started = std::time::Instant::now();
    let (code, report) = lab.check_json(&spec, &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    assert_eq!(code, 1);
    let ok = finding(&report, &format!("run:{hello}"));
    assert_eq!(ok["outcome"], "pass", "{ok:#}");
    assert!(
        ok["found"]
            .as_str()
            .unwrap()
            .contains("Hello from Docker! Today is 20"),
        "{ok:#}"
    );
    let crash = finding(&report, &format!("run:{hello}#2"));
    assert_eq!(crash["found"], "exit code 1");
    assert_eq!(
        crash["cause"],
        "the program failed with exit code 1: \"ModuleNotFoundError: No module named 'requests'\""
    );
    let server = finding(&report, &format!("run:{}", lab.image));
    assert!(
        server["found"]
            .as_str()
            .unwrap()
            .starts_with("still running after"),
        "{server:#}"
    );
    let left =
        docker_cmd(&["ps", "-aq", "--filter", "label=io.labgrade.run"]).output_within(DOCKER_TIME);
    assert!(left.stdout.is_empty(), "one-shot containers are removed");
}

#[test]
fn dockerfile_rules_on_a_project_folder() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    // Seed 001's Dockerfile, as the lab wrote it.
    std::fs::write(
        project.join("Dockerfile"),
        "FROM python:3.10-slim\n\nWORKDIR /app\n\nCOPY . .\n\nRUN pip install -r requirements.txt\n\nEXPOSE 6000\n\nCMD [\"python\", \"app.py\"]\n",
    )
    .unwrap();
    let spec = dir.path().join("lab.yaml");
    std::fs::write(
        &spec,
        "dockerfile:\n  expose: 6000\n  dockerignore: [.git, __pycache__]\n  skip: [LG001]\n",
    )
    .unwrap();
    let out = common::labgrade()
        .arg("check")
        .arg(&spec)
        .arg("--dir")
        .arg(&project)
        .args(["-f", "json"])
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome(&report, "dockerfile"), "pass");
    for id in [
        "DL3006", "DL3007", "DL3000", "DL3020", "DL3025", "DL4003", "LG003",
    ] {
        assert_eq!(
            outcome(&report, &format!("dockerfile:{id}")),
            "pass",
            "{id}"
        );
    }
    let order = finding(&report, "dockerfile:LG002");
    assert_eq!(order["found"], "Dockerfile:5: \"COPY . .\"");
    assert_eq!(
        order["cause"],
        "the code is copied (line 5) before the dependencies are installed (line 7), so any code change reinstalls them"
    );
    // In this Dockerfile's own lines.
    assert_eq!(
        order["fix"],
        "copy only the dependency list before the install, and the code after it: COPY requirements.txt . (before line 7), then move `COPY . .` (line 5) below `RUN pip install -r requirements.txt`; then rebuild"
    );
    assert_eq!(
        finding(&report, "dockerfile:DL3042")["found"],
        "Dockerfile:7: \"RUN pip install -r requirements.txt\""
    );
    assert_eq!(
        finding(&report, "dockerfile:LG004")["cause"],
        "there is no .dockerignore, so everything is sent to the build"
    );
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "dockerfile:LG001"),
        "skipped rules are not checked"
    );

    // Without the file, the rules are skipped and the fix says where labgrade looked.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = common::labgrade()
        .arg("check")
        .arg(&spec)
        .arg("--dir")
        .arg(&empty)
        .args(["-f", "json"])
        .output_within(CHECK_TIME);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The folder looked in is named, as the student gave it (made absolute).
    let canonical = std::fs::canonicalize(&empty).unwrap();
    assert_eq!(
        finding(&report, "dockerfile")["cause"],
        format!("there is no Dockerfile in {}", canonical.display())
    );
    assert_eq!(finding(&report, "dockerfile:DL3006")["outcome"], "skipped");
}

#[tokio::test(flavor = "multi_thread")]
async fn compose_services_found_by_label() {
    let mut lab = Lab::new("compose").await;
    let port = free_port();
    let project = format!("lab{}", lab.id.replace(['-', '_'], ""));
    // What `docker compose up` creates: containers named PROJECT-SERVICE-1 with its labels.
    let web = lab
        .run_set("web", &[(port, 8088)], |r| {
            r.labels = vec![
                ("com.docker.compose.project".into(), project.clone()),
                ("com.docker.compose.service".into(), "web".into()),
                ("com.docker.compose.oneoff".into(), "False".into()),
            ];
            r.env = vec!["FLASK_ENV=development".into()];
        })
        .await;
    let spec = lab.spec(
        "lab.yaml",
        &format!(
            "containers:\n  - service: web\n    project: {project}\n    ports: [\"{port}:8088\"]\n    env: {{FLASK_ENV: development}}\n    restart: always\n    http:\n      - get: /\n        body_contains: Hello\n  - service: db\n    project: {project}\n"
        ),
    );
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    for id in [
        "container:web",
        "running:web",
        "port:web:{port}:8088",
        "env:web:FLASK_ENV",
        "http:web:GET /",
    ] {
        let id = id.replace("{port}", &port.to_string());
        assert_eq!(finding(&report, &id)["outcome"], "pass", "{id}: {report:#}");
    }
    assert_eq!(
        finding(&report, "container:web")["title"],
        "Compose service web has a container"
    );
    let db = finding(&report, "container:db");
    assert_eq!(
        db["cause"],
        format!(
            "no container belongs to compose service db in project {project} (docker compose ps lists none)"
        )
    );
    assert_eq!(
        db["fix"],
        "docker compose up -d   # in the folder of docker-compose.yml"
    );
    // A live `docker update` would not survive the next `docker compose up`.
    assert_eq!(
        finding(&report, "restart:web")["fix"],
        format!(
            "in docker-compose.yml, give services.web ports: [\"{port}:8088\"], environment: {{FLASK_ENV: development}}, restart: always; then: docker compose up -d web (docker-compose up -d web with Compose v1)"
        )
    );
    assert!(!web.is_empty());
}

/// `{{random}}` puts a value of the grader's own, new on every run, into the request and
/// the expectation: an app that echoes the request passes, a hard-coded answer fails.
#[tokio::test(flavor = "multi_thread")]
async fn random_value_echoed_back() {
    let mut lab = Lab::new("echo").await;
    let (p1, p2) = (free_port(), free_port());
    let echo = lab
        .run(
            "echo",
            &["--echo-headers", "--content-type", "application/json"],
            &[(p1, 8088)],
        )
        .await;
    let canned = r#"{"headers": {"X-Labgrade-Probe": "0123456789abcdef"}}"#;
    let fake = lab
        .run(
            "fake",
            &["--body", canned, "--content-type", "application/json"],
            &[(p2, 8088)],
        )
        .await;
    let spec_for = |name: &str, port: u16| {
        format!(
            "container: {name}\nports: [\"{port}:8088\"]\nhttp:\n  - get: /\n    headers: {{X-Labgrade-Probe: \"{{{{random}}}}\"}}\n    json: {{\"$.headers.X-Labgrade-Probe\": \"{{{{random}}}}\"}}\n"
        )
    };
    let id = |name: &str| format!("http:{name}:GET /");
    let spec = lab.spec("echo.yaml", &spec_for(&echo, p1));
    let (code, first) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "{first:#}");
    let (_, second) = lab.check_json(&spec, &[]);
    let expected = |r: &serde_json::Value| finding(r, &id(&echo))["expected"].clone();
    assert_ne!(expected(&first), expected(&second), "a new value each run");
    assert!(
        !expected(&first).as_str().unwrap().contains("{{random}}"),
        "{first:#}"
    );

    let spec = lab.spec("fake.yaml", &spec_for(&fake, p2));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1, "{report:#}");
    let f = finding(&report, &id(&fake));
    assert_eq!(f["outcome"], "fail", "{f:#}");
    assert!(
        f["found"].as_str().unwrap().contains("0123456789abcdef"),
        "{f:#}"
    );
    let cause = f["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("the request carried ")
            && cause.ends_with("the app answers with fixed text, not from the request it gets"),
        "{f:#}"
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with("build the answer from the request")
    );
}
