//! What an image holds and how its container is doing, checked for real: files read
//! from built images without running them (present, absent, text, mode), secrets,
//! USER, HEALTHCHECK and a container's health — and each printed fix applied as
//! written, the image rebuilt with the printed command and graded again.

mod common;

use common::docker::docker_cmd;
use common::fixes::apply_edit;
use common::lab::{Leftovers, Start, start_lab};
use common::process::DOCKER_TIME;
use common::{Lab, Within, finding, outcome};

const DOCKERFILE: &str = "FROM BASE\nWORKDIR /app\nCOPY . .\n";

fn spec(image: &str) -> String {
    format!(
        "images:\n  - name: {image}\n    files:\n      - path: /app/requirements.txt\n      - path: /app/.git\n        absent: true\n      - path: /app/__pycache__\n        absent: true\n      - path: /app/server.py\n        contains: \"0.0.0.0\"\n      - path: /labgrade\n        mode: executable\n      - path: /app/server.py\n        regex: 'port=80\\d\\d'\n    user_not_root: true\n    no_secrets: true\n    healthcheck: true\n"
    )
}

/// The project of a submission: its code, a .git folder, byte-code, a .env and keys.
fn project(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut files = vec![
        ("requirements.txt", "flask\n"),
        ("server.py", "app.run(host='0.0.0.0', port=8088)\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
        ("__pycache__/server.cpython-312.pyc", "\u{0}\u{0}bytes"),
        (".env", "SECRET_KEY=hunter2\n"),
        ("certs/ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n"),
        ("certs/server.pem", "-----BEGIN PRIVATE KEY-----\nMIIE\n"),
    ];
    files.extend_from_slice(extra);
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn files_user_secrets_and_healthcheck_of_a_good_image() {
    let mut lab = Lab::new("imgfiles-good").await;
    let dockerfile = format!(
        "{DOCKERFILE}USER 65534\nHEALTHCHECK --interval=1s CMD [\"/labgrade\", \"--version\"]\n"
    );
    let image = lab
        .build(
            "good",
            &dockerfile,
            &project(&[(
                ".dockerignore",
                ".git\n__pycache__\n.env\ncerts/server.pem\n",
            )]),
        )
        .await;
    let spec = lab.spec("good.yaml", &spec(&image));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "{report:#}");
    let f = finding(&report, &format!("file:{image}:/app/requirements.txt"));
    assert_eq!(f["found"], "/app/requirements.txt, 6 bytes", "{f:#}");
    assert_eq!(
        finding(&report, &format!("file:{image}:/app/.git"))["found"],
        "no /app/.git in the image"
    );
    assert_eq!(
        finding(&report, &format!("healthcheck:{image}"))["found"],
        "HEALTHCHECK CMD [\"/labgrade\", \"--version\"]"
    );
    assert_eq!(
        finding(&report, &format!("user-not-root:{image}"))["found"],
        "USER 65534"
    );
    // The CA certificate is not a secret: only the private key would be.
    let s = finding(&report, &format!("no-secrets:{image}"));
    assert!(
        s["found"].as_str().unwrap().ends_with("none a secret"),
        "{s:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_careless_image_gets_fixes_that_work_when_typed() {
    let mut lab = Lab::new("imgfiles-bad").await;
    let image = lab
        .build(
            "bad",
            DOCKERFILE,
            &project(&[("server.py", "app.run(port=5000)\n")]),
        )
        .await;
    let dir = lab.dir.path().join("build-bad");
    let spec = lab.spec("bad.yaml", &spec(&image));
    let at = ["--dir", dir.to_str().unwrap()];
    let (code, report) = lab.check_json(&spec, &at);
    assert_eq!(code, 1, "{report:#}");
    let cause = |id: &str| {
        finding(&report, id)["cause_id"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let git = finding(&report, &format!("file:{image}:/app/.git"));
    assert_eq!(
        cause(&format!("file:{image}:/app/.git")),
        "file-not-ignored"
    );
    assert_eq!(
        git["cause"],
        "`COPY . .` (Dockerfile line 3) copied .git from the project: there is no .dockerignore to leave it out"
    );
    assert_eq!(
        git["fix"],
        format!(
            "add the line `.git` to .dockerignore (beside the Dockerfile; create it if there is none), then rebuild: docker build -t {image} ."
        )
    );
    let text = finding(&report, &format!("file:{image}:/app/server.py"));
    assert_eq!(text["cause_id"], "file-content");
    assert_eq!(text["found"], "/app/server.py has no \"0.0.0.0\"");
    assert_eq!(
        text["fix"],
        format!(
            "edit server.py in the project: make it contain \"0.0.0.0\", then rebuild: docker build -t {image} ."
        )
    );
    assert_eq!(cause(&format!("user-not-root:{image}")), "runs-as-root");
    // The sample image has no shell (FROM scratch underneath): a numeric USER is the
    // line that works, not useradd.
    assert_eq!(
        finding(&report, &format!("user-not-root:{image}"))["fix"],
        format!(
            "add `USER 65534` to the Dockerfile before CMD (after the COPY and RUN steps that need root), then rebuild: docker build -t {image} ."
        )
    );
    let secrets = finding(&report, &format!("no-secrets:{image}"));
    assert_eq!(secrets["cause_id"], "secret-in-image");
    assert_eq!(
        secrets["found"], "in the image: /app/.env, /app/certs/server.pem",
        "{secrets:#}"
    );
    assert_eq!(cause(&format!("healthcheck:{image}")), "no-healthcheck");

    // Type the fixes: each .dockerignore line as printed, the image rebuilt with the
    // printed command, graded again until the file and secret checks pass.
    let rebuild = format!("docker build -t {image} .");
    let mut rounds = 0;
    loop {
        let (_, report) = lab.check_json(&spec, &at);
        let open: Vec<serde_json::Value> = [
            format!("file:{image}:/app/.git"),
            format!("file:{image}:/app/__pycache__"),
            format!("no-secrets:{image}"),
        ]
        .iter()
        .map(|id| finding(&report, id).clone())
        .filter(|f| f["outcome"] == "fail")
        .collect();
        if open.is_empty() {
            break;
        }
        rounds += 1;
        assert!(rounds <= 4, "fixes do not converge: {open:#?}");
        for f in &open {
            let fix = f["fix"].as_str().unwrap();
            let (edit, command) = fix.split_once(", then rebuild: ").expect(fix);
            assert_eq!(command, rebuild);
            apply_edit(edit, &dir).unwrap_or_else(|e| panic!("{e}: {fix}"));
        }
        let before = common::docker::docker(&["image", "inspect", "-f", "{{.Id}}", &image]);
        let out = docker_cmd(&["build", "-q", "-t", &image, "."])
            .current_dir(&dir)
            .output_within(DOCKER_TIME);
        assert!(out.status.success(), "{}", common::text(&out.stderr));
        // The build it replaced carries the test label: remove it, leave nothing behind.
        let _ = docker_cmd(&["rmi", before.trim()]).output_within(DOCKER_TIME);
    }
    let ignore = std::fs::read_to_string(dir.join(".dockerignore")).unwrap();
    assert_eq!(ignore, ".git\n__pycache__\n.env\ncerts/server.pem\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_and_unwanted_files_name_the_copy_and_the_ignore_line() {
    let mut lab = Lab::new("imgfiles-copy").await;
    let image = lab
        .build(
            "copy",
            "FROM BASE\nWORKDIR /srv\nCOPY server.py ./\nCOPY static/ /srv/static/\n",
            &[
                ("server.py", "print(1)\n"),
                ("static/index.html", "<h1>hi</h1>\n"),
                ("static/app.css", "h1 {}\n"),
                ("requirements.txt", "flask\n"),
                (".dockerignore", "static/index.html\n"),
            ],
        )
        .await;
    let spec = lab.spec(
        "copy.yaml",
        &format!(
            "images:\n  - name: {image}\n    files:\n      - path: /srv/requirements.txt\n      - path: /srv/static/index.html\n      - path: /srv/server.py\n        mode: \"0644\"\n        owner: root\n"
        ),
    );
    let dir = lab.dir.path().join("build-copy");
    let (_, report) = lab.check_json(&spec, &["--dir", dir.to_str().unwrap()]);
    let req = finding(&report, &format!("file:{image}:/srv/requirements.txt"));
    assert_eq!(req["cause_id"], "file-missing");
    assert_eq!(
        req["fix"],
        format!(
            "add `COPY requirements.txt /srv/requirements.txt` to the Dockerfile (after FROM, before CMD), then rebuild: docker build -t {image} ."
        )
    );
    let html = finding(&report, &format!("file:{image}:/srv/static/index.html"));
    assert_eq!(
        html["cause"],
        "`COPY static/ /srv/static/` (Dockerfile line 4) should bring static/index.html from the project, but .dockerignore leaves it out of the build"
    );
    assert_eq!(
        outcome(&report, &format!("file:{image}:/srv/server.py")),
        "pass",
        "{report:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paths_under_a_linked_folder_are_followed() {
    // Paths that share a folder are read from one archive of it; when the folder is a
    // link, what it holds is where the link leads, which the engine resolves.
    let mut lab = Lab::new("imgfiles-link").await;
    let image = lab
        .build_files(
            "link",
            "FROM BASE\nCOPY . /\n",
            &[
                ("srv/app/server.py", b"app.run(host='0.0.0.0')\n", 0o644),
                ("app", b"srv/app", common::SYMLINK),
            ],
        )
        .await;
    let spec = lab.spec(
        "link.yaml",
        &format!(
            "images:\n  - name: {image}\n    files:\n      - path: /app/server.py\n        contains: \"0.0.0.0\"\n      - path: /app/notes.txt\n        absent: true\n      - path: /app/requirements.txt\n"
        ),
    );
    let (_, report) = lab.check_json(&spec, &[]);
    assert_eq!(
        outcome(&report, &format!("file:{image}:/app/server.py")),
        "pass",
        "{report:#}"
    );
    assert_eq!(
        outcome(&report, &format!("file:{image}:/app/notes.txt")),
        "pass"
    );
    let req = finding(&report, &format!("file:{image}:/app/requirements.txt"));
    assert_eq!(req["cause_id"], "file-missing", "{report:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_waited_for_and_its_failure_explained() {
    let mut lab = Lab::new("health").await;
    let good = lab
        .build(
            "healthy",
            "FROM BASE\nHEALTHCHECK --interval=1s --timeout=2s CMD [\"/labgrade\", \"--version\"]\n",
            &[],
        )
        .await;
    let bad = lab
        .build(
            "sick",
            "FROM BASE\nHEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD [\"/labgrade\", \"no-such-command\"]\n",
            &[],
        )
        .await;
    let plain = lab.image.clone();
    let ok = lab.run_image("ok", &good).await;
    let sick = lab.run_image("sick", &bad).await;
    let none = lab.run_image("none", &plain).await;
    let spec = lab.spec(
        "health.yaml",
        &format!(
            "containers:\n  - name: {ok}\n    healthy: true\n  - name: {sick}\n    image: {bad}\n    healthy: true\n  - name: {none}\n    healthy: true\n"
        ),
    );
    // Fresh containers are `starting`: the grader waits for their health to settle.
    let (_, report) = lab.check_json(&spec, &["--wait", "15s"]);
    assert_eq!(
        outcome(&report, &format!("healthy:{ok}")),
        "pass",
        "{report:#}"
    );
    let f = finding(&report, &format!("healthy:{sick}"));
    assert_eq!(f["cause_id"], "unhealthy", "{f:#}");
    assert!(
        f["cause"]
            .as_str()
            .unwrap()
            .starts_with("the container's HEALTHCHECK fails: the last probe exited "),
        "{f:#}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains(&format!(
            "(try it: docker exec {sick} /labgrade no-such-command)"
        )),
        "{f:#}"
    );
    assert_eq!(
        finding(&report, &format!("healthy:{none}"))["cause_id"],
        "no-health-status"
    );
}

/// A tiny ELF executable header for the CPU that is not this engine's: enough for the
/// kernel to refuse it with the real `exec format error`.
fn foreign_elf(engine_arch: &str) -> (Vec<u8>, &'static str) {
    // e_machine: 183 is AArch64, 62 is x86-64.
    let (machine, platform): (u16, &str) = if engine_arch == "arm64" {
        (62, "linux/amd64")
    } else {
        (183, "linux/arm64")
    };
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend([0u8; 8]);
    elf.extend(2u16.to_le_bytes()); // ET_EXEC
    elf.extend(machine.to_le_bytes());
    elf.extend(1u32.to_le_bytes());
    elf.extend(0x400078u64.to_le_bytes()); // entry
    elf.extend(64u64.to_le_bytes()); // program headers at 64
    elf.extend(0u64.to_le_bytes());
    elf.extend(0u32.to_le_bytes());
    for v in [64u16, 56, 1, 0, 0, 0] {
        elf.extend(v.to_le_bytes());
    }
    elf.extend(1u32.to_le_bytes()); // PT_LOAD
    elf.extend(5u32.to_le_bytes());
    for v in [0u64, 0x400000, 0x400000, 0x80, 0x80, 0x1000] {
        elf.extend(v.to_le_bytes());
    }
    elf.extend([0u8; 8]);
    (elf, platform)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_built_for_another_cpu_is_told_apart() {
    let engine = common::docker::docker(&["version", "-f", "{{.Server.Arch}}"]);
    let (elf, platform) = foreign_elf(engine.trim());
    // With a CPU emulator registered (qemu-user's binfmt), the foreign program would run:
    // this machine then cannot show the error, and the recorded-facts cases test it.
    let emulated = std::fs::read_dir("/proc/sys/fs/binfmt_misc").is_ok_and(|d| {
        d.flatten().any(|e| {
            let n = e.file_name().to_string_lossy().to_lowercase();
            n.contains("aarch64")
                || n.contains("arm64")
                || n.contains("x86_64")
                || n.contains("x86-64")
        })
    });
    if emulated {
        eprintln!("skipped: a binfmt emulator for the other CPU is registered here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("server"), elf).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.path().join("server"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        "FROM scratch\nCOPY server /server\nCMD [\"/server\"]\n",
    )
    .unwrap();
    let id = std::process::id();
    let image = format!("labgrade-test/platform-{id}:v1");
    let name = format!("platform-{id}");
    let _left = Leftovers(vec![name.clone()], vec![image.clone()]);
    let label = format!("{}=1", labgrade::sample::image::LABEL);
    let out = docker_cmd(&[
        "build",
        "-q",
        "--platform",
        platform,
        "--label",
        &label,
        "-t",
        &image,
        ".",
    ])
    .current_dir(dir.path())
    .output_within(DOCKER_TIME);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    // Started as a student would; it exits at once with the kernel's refusal.
    let out = docker_cmd(&["run", "-d", "--name", &name, "--label", &label, &image])
        .output_within(DOCKER_TIME);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let spec = dir.path().join("lab.yaml");
    std::fs::write(
        &spec,
        format!("image: {image}\ncontainer: {name}\nruns:\n  - image: {image}\n"),
    )
    .unwrap();
    let mut report = serde_json::Value::Null;
    for _ in 0..50 {
        let out = common::labgrade()
            .args(["check", spec.to_str().unwrap(), "--format", "json"])
            .output_within(common::CHECK_TIME);
        report = serde_json::from_slice(&out.stdout).unwrap();
        if finding(&report, &format!("running:{name}"))["found"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let f = finding(&report, &format!("running:{name}"));
    assert_eq!(f["cause_id"], "wrong-platform", "{f:#}");
    let built = platform.trim_start_matches("linux/");
    assert!(
        f["cause"].as_str().unwrap().starts_with(&format!(
            "the image was built for linux/{built}, and this Docker engine runs linux/{} programs",
            engine.trim()
        )),
        "{f:#}"
    );
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with(&format!("docker build --platform linux/{} -t {image} . && docker rm -f {name} && docker run -d --name {name} {image}", engine.trim())),
        "{f:#}"
    );
    let r = finding(&report, &format!("run:{image}"));
    assert_eq!(r["cause_id"], "wrong-platform", "{r:#}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_app_is_waited_for_until_its_ready_line() {
    let mut lab = Lab::new("ready").await;
    let port = common::free_port();
    let slow = lab.run("slow", &["--delay", "7"], &[(port, 8088)]).await;
    let crash = lab.run("crash", &["--crash", "boom"], &[]).await;
    let spec_for = |ready: &str| {
        format!(
            "containers:\n  - name: {slow}\n    ports: [\"{port}:8088\"]\n{ready}    http:\n      - get: /\n  - name: {crash}\n{ready}"
        )
    };
    // Without the ready line the 5 s default window is over before the app listens.
    let plain = lab.spec("plain.yaml", &spec_for(""));
    let (_, report) = lab.check_json(&plain, &[]);
    assert_eq!(
        outcome(&report, &format!("http:{slow}:GET /")),
        "fail",
        "{report:#}"
    );
    lab.daemon
        .client()
        .restart_container(
            &slow,
            None::<bollard::query_parameters::RestartContainerOptions>,
        )
        .await
        .unwrap();
    let ready = lab.spec(
        "ready.yaml",
        &spec_for("    ready_when: {log: \"Running on\"}\n"),
    );
    let started = std::time::Instant::now();
    let (_, report) = lab.check_json(&ready, &[]);
    let took = started.elapsed();
    assert_eq!(
        outcome(&report, &format!("http:{slow}:GET /")),
        "pass",
        "{report:#}"
    );
    // It waited for the line, not for the whole 60 s, and not for the crashed one.
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    assert_eq!(outcome(&report, &format!("running:{crash}")), "fail");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_script_is_read_to_name_the_real_cause() {
    let lab = Lab::new("start").await;
    let entry = "FROM BASE\nWORKDIR /app\nCOPY . .\nENTRYPOINT [\"/app/start.sh\"]\n";
    let script = "#!/labgrade serve\n";

    // Windows line endings: the #! line names `/labgrade\r`, which does not exist (as
    // `#!/bin/sh\r` does not). Once converted the script runs, and what it runs is the
    // next, real finding: `/labgrade /app/start.sh` is no server.
    let crlf = start_lab(
        &lab,
        "crlf",
        entry,
        &[("start.sh", "#!/labgrade\r\n", 0o755)],
    )
    .await;
    let f = crlf.running(&lab);
    assert_eq!(f["cause_id"], "crlf-script", "{f:#}");
    assert!(
        f["cause"]
            .as_str()
            .unwrap()
            .starts_with("/app/start.sh has Windows line endings (CRLF): its first line `#!/labgrade` ends in an invisible \\r"),
        "{f:#}"
    );
    crlf.apply(f["fix"].as_str().unwrap());
    let after = crlf.running(&lab);
    assert_ne!(after["cause_id"], "crlf-script", "{after:#}");
    assert!(
        after["cause"]
            .as_str()
            .unwrap()
            .contains("unrecognized subcommand '/app/start.sh'"),
        "{after:#}"
    );

    // The script is in bin/: the ENTRYPOINT names the path it is not at.
    let moved = start_lab(&lab, "moved", entry, &[("bin/start.sh", script, 0o755)]).await;
    let f = moved.running(&lab);
    assert_eq!(f["cause_id"], "file-not-in-image", "{f:#}");
    assert!(
        f["fix"]
            .as_str()
            .unwrap()
            .starts_with("write `ENTRYPOINT [\"/app/bin/start.sh\"]` in the Dockerfile, then: "),
        "{f:#}"
    );
    moved.apply(f["fix"].as_str().unwrap());
    assert_eq!(moved.running(&lab)["outcome"], "pass", "after the fix");

    // Not executable: no shell in the image, so chmod on the host.
    let mode = start_lab(&lab, "mode", entry, &[("start.sh", script, 0o644)]).await;
    let f = mode.running(&lab);
    assert_eq!(f["cause_id"], "not-executable", "{f:#}");
    let fix = f["fix"].as_str().unwrap();
    let (edit, _) = fix.split_once(", then: ").unwrap();
    let chmod = edit.split_once(": ").unwrap().1;
    assert_eq!(chmod, "chmod +x start.sh");
    common::fixes::run_printed(chmod, mode.dir.path()).unwrap();
    let (_, commands) = fix.split_once(", then: ").unwrap();
    let before = common::docker::docker_quiet(&["image", "inspect", "-f", "{{.Id}}", &mode.image]);
    common::fixes::run_printed(commands, mode.dir.path()).unwrap();
    let _ = docker_cmd(&["rmi", before.trim()]).output_within(DOCKER_TIME);
    assert_eq!(mode.running(&lab)["outcome"], "pass", "after the fix");

    // #!/bin/bash where the image has no bash (nor any shell).
    let bash = start_lab(
        &lab,
        "bash",
        entry,
        &[("start.sh", "#!/bin/bash\necho hi\n", 0o755)],
    )
    .await;
    let f = bash.running(&lab);
    assert_eq!(f["cause_id"], "interpreter-missing", "{f:#}");
    assert!(
        f["cause"]
            .as_str()
            .unwrap()
            .starts_with("/app/start.sh starts with `#!/bin/bash`, and the image has no /bin/bash"),
        "{f:#}"
    );
}

/// A Flask app's source, as the student wrote it: `run` is its last line.
fn flask_app(routes: &[&str], env: &str, run: &str) -> String {
    let mut app = format!("import os\nfrom flask import Flask\n\napp = Flask(__name__)\n{env}\n");
    for (i, r) in routes.iter().enumerate() {
        app.push_str(&format!(
            "\n@app.route('{r}')\ndef view{i}():\n    return 'Hello from the labgrade sample app!'\n\n"
        ));
    }
    app.push_str(&format!("\nif __name__ == '__main__':\n    {run}\n"));
    app
}

/// The line of `text` that holds `what` (1-based).
fn line_of(text: &str, what: &str) -> usize {
    text.lines().position(|l| l.contains(what)).unwrap() + 1
}

#[tokio::test(flavor = "multi_thread")]
async fn the_apps_source_is_read_to_name_the_line() {
    // The sample image cannot run Python: `CMD ["app.py"]` after its ENTRYPOINT makes
    // `labgrade serve app.py` stand in for `python app.py`, listening where app.run
    // says and answering the routes the code declares. The grader reads app.py from
    // the image as text, as it would a real Flask app's.
    let lab = Lab::new("source").await;
    let dockerfile = "FROM BASE\nWORKDIR /app\nCOPY . .\nCMD [\"app.py\"]\n";
    // The fix typed as printed, the lab graded again: the check passes.
    let typed = |s: &Start, paths: &[&str], check: &str, fix: &serde_json::Value| {
        s.apply(fix.as_str().unwrap());
        let report = s.graded(&lab, &s.spec_for(paths));
        let id = format!("http:{}:GET {check}", s.name);
        assert_eq!(outcome(&report, &id), "pass", "after the fix: {report:#}");
    };
    let rerun = |s: &Start| {
        format!(
            "docker build -t {0} . && docker rm -f {1} && docker run -d --name {1} -p {2}:8088 {0}",
            s.image, s.name, s.port
        )
    };

    // Bound to 127.0.0.1 by the code: the line and its edit, the port kept.
    let code = flask_app(&["/"], "", "app.run(host='127.0.0.1', port=8088)");
    let n = line_of(&code, "app.run(");
    let lo = start_lab(&lab, "loopback", dockerfile, &[("app.py", &code, 0o644)]).await;
    let report = lo.graded(&lab, &lo.spec_for(&["/"]));
    let f = finding(&report, &format!("http:{}:GET /", lo.name));
    assert_eq!(f["cause_id"], "loopback-in-code", "{f:#}");
    assert_eq!(
        f["cause"],
        format!(
            "the app listens on 127.0.0.1:8088 inside the container, so the published port cannot reach it: app.py, line {n}, says `app.run(host='127.0.0.1', port=8088)`"
        )
    );
    assert_eq!(
        f["fix"],
        format!(
            "in app.py, line {n}, change `app.run(host='127.0.0.1', port=8088)` to `app.run(host='0.0.0.0', port=8088)`, then: {}",
            rerun(&lo)
        )
    );
    typed(&lo, &["/"], "/", &f["fix"]);

    // Listening on Flask's 5000 where the lab wants 8088 inside the container.
    let code = flask_app(&["/"], "", "app.run(host=\"0.0.0.0\", port=5000)");
    let n = line_of(&code, "app.run(");
    let port = start_lab(&lab, "port", dockerfile, &[("app.py", &code, 0o644)]).await;
    let report = port.graded(&lab, &port.spec_for(&["/"]));
    let f = finding(&report, &format!("http:{}:GET /", port.name));
    assert_eq!(f["cause_id"], "port-in-code", "{f:#}");
    assert!(
        f["cause"].as_str().unwrap().starts_with(&format!(
            "nothing listens on 8088 inside the container; the app listens on 5000: app.py, line {n}, says `app.run(host=\"0.0.0.0\", port=5000)`; publishing -p {}:5000 would reach it too",
            port.port
        )),
        "{f:#}"
    );
    typed(&port, &["/"], "/", &f["fix"]);

    // A route one letter away from the one the lab asks for.
    let run = "app.run(host='0.0.0.0', port=8088)";
    let code = flask_app(&["/", "/helth"], "", run);
    let n = line_of(&code, "/helth");
    let typo = start_lab(&lab, "typo", dockerfile, &[("app.py", &code, 0o644)]).await;
    let paths = ["/", "/health"];
    let report = typo.graded(&lab, &typo.spec_for(&paths));
    let f = finding(&report, &format!("http:{}:GET /health", typo.name));
    assert_eq!(f["cause_id"], "route-near-miss", "{f:#}");
    assert_eq!(
        f["cause"],
        format!(
            "/health is 404: app.py declares /helth (line {n}), which is not the path the lab asks for"
        )
    );
    typed(&typo, &paths, "/health", &f["fix"]);

    // A route the code does not have at all: the routes it has are listed, and a view
    // answering what the lab asks (here only a 2xx) is written out above the line that
    // starts the server.
    let code = flask_app(&["/", "/health"], "", run);
    let none = start_lab(&lab, "noroute", dockerfile, &[("app.py", &code, 0o644)]).await;
    let report = none.graded(&lab, &none.spec_for(&["/api/products"]));
    let f = finding(&report, &format!("http:{}:GET /api/products", none.name));
    assert_eq!(f["cause_id"], "route-not-in-code", "{f:#}");
    assert_eq!(
        f["cause"],
        "/api/products is 404: app.py declares /, /health — not /api/products"
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.contains(
            "add the lines `@app.route('/api/products')` and `def api_products(): return 'ok'`"
        ),
        "{f:#}"
    );
    typed(&none, &["/api/products"], "/api/products", &f["fix"]);

    // A variable read with os.environ[...] that `docker run` did not pass.
    let code = flask_app(&["/"], "DB_URL = os.environ['DB_URL']", run);
    let n = line_of(&code, "DB_URL =");
    let env = start_lab(&lab, "env", dockerfile, &[("app.py", &code, 0o644)]).await;
    let f = env.running(&lab);
    assert_eq!(f["cause_id"], "app-env-missing", "{f:#}");
    assert_eq!(
        f["cause"],
        format!(
            "the app reads DB_URL from its environment (app.py, line {n}: `os.environ['DB_URL']`), and the container was started without it, so the app stopped; its log says \"KeyError: 'DB_URL'\""
        )
    );
    let fix = f["fix"].as_str().unwrap();
    assert!(
        fix.starts_with(&format!(
            "docker rm -f {0} && docker run -d --name {0} -p {1}:8088 -e DB_URL=\"$DB_URL\" {2}   # with DB_URL set in your shell",
            env.name, env.port, env.image
        )),
        "{fix}"
    );
    // Typed as the remark says: with the variable set in the shell first.
    let typed = common::fixes::command_text(fix).unwrap();
    common::fixes::run_printed(
        &format!("export DB_URL=sqlite:///app.db && {typed}"),
        env.dir.path(),
    )
    .unwrap();
    let report = env.graded(&lab, &env.spec_for(&["/"]));
    assert_eq!(
        outcome(&report, &format!("http:{}:GET /", env.name)),
        "pass",
        "after the fix: {report:#}"
    );
}
