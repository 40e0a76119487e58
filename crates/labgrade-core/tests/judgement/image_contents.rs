//! What an image holds and how its container is doing — files, USER, secrets,
//! HEALTHCHECK and health — judged from the image's files as the engine's archive gives
//! them, the project's Dockerfile and .dockerignore, and the container's health state.

use labgrade_core::cause::CauseId;
use labgrade_core::facts::FileFacts;

use crate::common::*;

const IMAGE: &str = "hello:v1";
const DOCKERFILE: &str = "FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD [\"python\", \"server.py\"]\n";

fn spec(keys: &str) -> String {
    format!("images:\n  - name: {IMAGE}\n    {keys}\n")
}

fn image(f: impl FnOnce(ImageB) -> ImageB) -> FactsBuilder {
    FactsBuilder::new()
        .image(IMAGE, |i| f(i.workdir("/app").exposed(8088)))
        .file("Dockerfile", DOCKERFILE)
}

fn dir(mode: u32) -> FileFacts {
    FileFacts {
        kind: "dir".into(),
        mode,
        ..Default::default()
    }
}

#[test]
fn table() {
    let present = spec("files: [{path: /app/requirements.txt}]");
    let absent = spec("files: [{path: /app/.git, absent: true}]");
    let relative = spec("files: [{path: __pycache__, absent: true}]");
    let contains = spec("files: [{path: /app/server.py, contains: \"0.0.0.0\"}]");
    let regex = spec("files: [{path: /app/server.py, regex: 'port=\\d+'}]");
    let mode = spec("files: [{path: /app/entrypoint.sh, mode: executable}]");
    let octal = spec("files: [{path: /app/entrypoint.sh, mode: 755}]");
    let owner = spec("files: [{path: /app/data, owner: app}]");
    let elsewhere = spec("files: [{path: /srv/app.py}]");
    let user = spec("user_not_root: true");
    let secrets = spec("no_secrets: true");
    let allowed = spec("no_secrets: true\n    allow_secrets: [/app/tests/*.pem]");
    let health = spec("healthcheck: true");
    let healthy = "container: web\nimage: hello:v1\nhealthy: true\n";
    let web = |f: fn(ContainerB) -> ContainerB| {
        FactsBuilder::new()
            .image(IMAGE, |i| {
                i.debian_python().exposed(8088).healthcheck([
                    "CMD-SHELL",
                    "curl -f http://localhost:8088/health || exit 1",
                ])
            })
            .container("web", |c| f(c.image(IMAGE)))
            .file("Dockerfile", DOCKERFILE)
    };
    let exec = FileFacts {
        kind: "file".into(),
        mode: 0o755,
        ..Default::default()
    };
    let plain = FileFacts {
        kind: "file".into(),
        mode: 0o644,
        ..Default::default()
    };
    let cases = [
        // files: present
        Case::passes(
            "file: present",
            &present,
            "file:hello:v1:/app/requirements.txt",
            image(|i| i.text_file("/app/requirements.txt", "flask\n")),
        ),
        Case::fails(
            "file: missing, COPY . . brings the folder",
            &present,
            "file:hello:v1:/app/requirements.txt",
            CauseId::FileMissing,
            image(|i| i.no_path("/app/requirements.txt")),
        ),
        Case::fails(
            "file: missing, .dockerignore leaves it out",
            &present,
            "file:hello:v1:/app/requirements.txt",
            CauseId::FileMissing,
            image(|i| i.no_path("/app/requirements.txt")).file(".dockerignore", "*.txt\n"),
        ),
        Case::fails(
            "file: missing, no COPY reaches the folder",
            &elsewhere,
            "file:hello:v1:/srv/app.py",
            CauseId::FileMissing,
            image(|i| i.no_path("/srv/app.py")),
        ),
        Case::fails(
            "file: no Dockerfile to read",
            &present,
            "file:hello:v1:/app/requirements.txt",
            CauseId::FileMissing,
            FactsBuilder::new()
                .image(IMAGE, |i| i.no_path("/app/requirements.txt"))
                .no_file("Dockerfile"),
        ),
        // files: absent
        Case::passes(
            "absent: left out",
            &absent,
            "file:hello:v1:/app/.git",
            image(|i| i.no_path("/app/.git")),
        ),
        Case::fails(
            "absent: copied, no .dockerignore",
            &absent,
            "file:hello:v1:/app/.git",
            CauseId::FileNotIgnored,
            image(|i| i.entry("/app/.git", dir(0o755))),
        ),
        Case::fails(
            "absent: copied, .dockerignore misses it",
            &absent,
            "file:hello:v1:/app/.git",
            CauseId::FileNotIgnored,
            image(|i| i.entry("/app/.git", dir(0o755))).file(".dockerignore", "__pycache__\n"),
        ),
        Case::fails(
            "absent: a path under the WORKDIR",
            &relative,
            "file:hello:v1:__pycache__",
            CauseId::FileNotIgnored,
            image(|i| i.entry("__pycache__", dir(0o755))).file(".dockerignore", ".git\n"),
        ),
        Case::fails(
            "absent: ignored now, image built before",
            &absent,
            "file:hello:v1:/app/.git",
            CauseId::FileNotIgnored,
            image(|i| i.entry("/app/.git", dir(0o755))).file(".dockerignore", ".git\n"),
        ),
        // files: text
        Case::passes(
            "contains: found",
            &contains,
            "file:hello:v1:/app/server.py",
            image(|i| i.text_file("/app/server.py", "app.run(host='0.0.0.0')\n")),
        ),
        Case::fails(
            "contains: another version of the file",
            &contains,
            "file:hello:v1:/app/server.py",
            CauseId::FileContent,
            image(|i| i.text_file("/app/server.py", "app.run()\n")),
        ),
        Case::fails(
            "contains: binary",
            &contains,
            "file:hello:v1:/app/server.py",
            CauseId::FileContent,
            image(|i| {
                i.entry(
                    "/app/server.py",
                    FileFacts {
                        kind: "file".into(),
                        size: 912,
                        binary: true,
                        ..Default::default()
                    },
                )
            }),
        ),
        Case::fails(
            "contains: a folder",
            &contains,
            "file:hello:v1:/app/server.py",
            CauseId::FileWrongKind,
            image(|i| i.entry("/app/server.py", dir(0o755))),
        ),
        Case::fails(
            "regex: no match",
            &regex,
            "file:hello:v1:/app/server.py",
            CauseId::FileContent,
            image(|i| i.text_file("/app/server.py", "app.run()\n")),
        ),
        // files: mode and owner
        Case::passes(
            "mode: executable",
            &mode,
            "file:hello:v1:/app/entrypoint.sh",
            image(|i| i.entry("/app/entrypoint.sh", exec.clone())),
        ),
        Case::fails(
            "mode: not executable",
            &mode,
            "file:hello:v1:/app/entrypoint.sh",
            CauseId::FileMode,
            image(|i| i.entry("/app/entrypoint.sh", plain.clone())),
        ),
        Case::fails(
            "mode: other bits",
            &octal,
            "file:hello:v1:/app/entrypoint.sh",
            CauseId::FileMode,
            image(|i| i.entry("/app/entrypoint.sh", plain.clone())),
        ),
        Case::fails(
            "owner: root, not app",
            &owner,
            "file:hello:v1:/app/data",
            CauseId::FileOwner,
            image(|i| {
                i.entry("/app/data", dir(0o755)).text_file(
                    "/etc/passwd",
                    "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
                )
            }),
        ),
        Case::passes(
            "owner: app by name",
            &owner,
            "file:hello:v1:/app/data",
            image(|i| {
                i.entry(
                    "/app/data",
                    FileFacts {
                        uid: 1000,
                        ..dir(0o755)
                    },
                )
                .text_file("/etc/passwd", "app:x:1000:1000::/home/app:/bin/sh\n")
            }),
        ),
        Case {
            name: "files: the engine would not give them".into(),
            spec: present.clone(),
            facts: image(|i| i.files_error("cannot read the image's files: HTTP 500: boom"))
                .build(),
            check: "file:hello:v1:/app/requirements.txt".into(),
            outcome: labgrade_core::verdict::Outcome::Error,
            cause_id: Some(CauseId::FilesUnreadable),
            fix: false,
        },
        // USER
        Case::passes(
            "user: app",
            &user,
            "user-not-root:hello:v1",
            image(|i| i.user("app").debian_python()),
        ),
        Case::fails(
            "user: none, Debian",
            &user,
            "user-not-root:hello:v1",
            CauseId::RunsAsRoot,
            image(|i| i.debian_python()),
        ),
        Case::fails(
            "user: root, Alpine",
            &user,
            "user-not-root:hello:v1",
            CauseId::RunsAsRoot,
            image(|i| {
                i.user("root")
                    .text_file("/bin/sh", "")
                    .text_file("/sbin/apk", "")
            }),
        ),
        Case::fails(
            "user: 0:0, no shell (FROM scratch)",
            &user,
            "user-not-root:hello:v1",
            CauseId::RunsAsRoot,
            image(|i| i.user("0:0").no_path("/bin/sh")),
        ),
        // secrets
        Case::passes(
            "secrets: a CA bundle is not one",
            &secrets,
            "no-secrets:hello:v1",
            image(|i| i.tree("/app", 40, &[("/app/certs/ca.pem", false)])),
        ),
        Case::fails(
            "secrets: .env copied",
            &secrets,
            "no-secrets:hello:v1",
            CauseId::SecretInImage,
            image(|i| i.tree("/app", 40, &[("/app/.env", false)])),
        ),
        Case::fails(
            "secrets: a private key and a .env",
            &secrets,
            "no-secrets:hello:v1",
            CauseId::SecretInImage,
            image(|i| {
                i.tree(
                    "/app",
                    40,
                    &[("/app/keys/server.pem", true), ("/app/.env.local", false)],
                )
            })
            .file(".dockerignore", ".git\n"),
        ),
        Case::passes(
            "secrets: allowed by the spec",
            &allowed,
            "no-secrets:hello:v1",
            image(|i| i.tree("/app", 40, &[("/app/tests/fixture.pem", true)])),
        ),
        // HEALTHCHECK
        Case::passes(
            "healthcheck: declared",
            &health,
            "healthcheck:hello:v1",
            image(|i| i.healthcheck(["CMD-SHELL", "curl -f http://localhost:8088/ || exit 1"])),
        ),
        Case::fails(
            "healthcheck: none, Python image",
            &health,
            "healthcheck:hello:v1",
            CauseId::NoHealthcheck,
            image(|i| i.debian_python()),
        ),
        Case::fails(
            "healthcheck: NONE, nothing to probe with",
            &health,
            "healthcheck:hello:v1",
            CauseId::NoHealthcheck,
            image(|i| i.healthcheck(["NONE"]).no_path("/bin/sh")),
        ),
        // health
        Case::passes(
            "healthy",
            healthy,
            "healthy:web",
            web(|c| c.health("healthy", 0, Some((0, "ok")))),
        ),
        Case::fails(
            "unhealthy: the image has no curl",
            healthy,
            "healthy:web",
            CauseId::Unhealthy,
            web(|c| c.health("unhealthy", 3, Some((127, "/bin/sh: 1: curl: not found\n")))),
        ),
        Case::fails(
            "unhealthy: the app answers 500",
            healthy,
            "healthy:web",
            CauseId::Unhealthy,
            web(|c| {
                c.health(
                    "unhealthy",
                    5,
                    Some((22, "curl: (22) The requested URL returned error: 500\n")),
                )
            }),
        ),
        Case::fails(
            "starting",
            healthy,
            "healthy:web",
            CauseId::HealthStarting,
            web(|c| c.health("starting", 0, None)),
        ),
        Case::fails(
            "no health status: started with --no-healthcheck",
            healthy,
            "healthy:web",
            CauseId::NoHealthStatus,
            web(|c| c),
        ),
        Case::fails(
            "no health status: no HEALTHCHECK anywhere",
            healthy,
            "healthy:web",
            CauseId::NoHealthStatus,
            FactsBuilder::new()
                .image(IMAGE, |i| i.debian_python().exposed(8088))
                .container("web", |c| c.image(IMAGE))
                .file("Dockerfile", DOCKERFILE),
        ),
    ];
    insta::assert_snapshot!("image_contents", run_table(&cases));
}

/// A container whose program would not start, and the files the grader then read.
fn failed_start(log: &str, f: impl FnOnce(ImageB) -> ImageB) -> FactsBuilder {
    FactsBuilder::new()
        .image(IMAGE, |i| {
            f(i.workdir("/app").exposed(8088).debian_python())
        })
        .container("web", |c| c.image(IMAGE).exited(1).log([log]))
        .file("Dockerfile", DOCKERFILE)
}

#[test]
fn failed_starts_read_from_the_image() {
    let spec = "container: web\nimage: hello:v1\n";
    let script = |text: &str, mode: u32| FileFacts {
        kind: "file".into(),
        size: text.len() as u64,
        mode,
        text: Some(text.into()),
        ..Default::default()
    };
    let cases = [
        Case::fails(
            "CMD names a file the build put in src/",
            spec,
            "running:web",
            CauseId::FileNotInImage,
            failed_start(
                "python: can't open file '/app/server.py': [Errno 2] No such file or directory",
                |i| {
                    let mut i = i.cmd(["python", "server.py"]).no_path("/app/server.py");
                    i.0.named
                        .insert("server.py".into(), vec!["/app/src/server.py".into()]);
                    i
                },
            ),
        ),
        Case::fails(
            "CMD names a file that is nowhere in the image",
            spec,
            "running:web",
            CauseId::FileNotInImage,
            failed_start(
                "python: can't open file '/app/server.py': [Errno 2] No such file or directory",
                |i| {
                    let mut i = i.cmd(["python", "server.py"]).no_path("/app/server.py");
                    i.0.named.insert("server.py".into(), vec![]);
                    i
                },
            ),
        ),
        Case::fails(
            "CMD names a misspelt file; the image has the right one beside it",
            spec,
            "running:web",
            CauseId::FileNotInImage,
            failed_start(
                "python: can't open file '/app/sever.py': [Errno 2] No such file or directory",
                |i| {
                    let mut i = i.cmd(["python", "sever.py"]).no_path("/app/sever.py");
                    i.0.named.insert("sever.py".into(), vec![]);
                    i.0.similar
                        .insert("sever.py".into(), vec!["/app/server.py".into()]);
                    i
                },
            ),
        ),
        Case::fails(
            "CMD names a file no COPY brings; the image has one a typo away",
            spec,
            "running:web",
            CauseId::FileNotInImage,
            failed_start(
                "python: can't open file '/app/api.py': [Errno 2] No such file or directory",
                |i| {
                    let mut i = i.cmd(["python", "api.py"]).no_path("/app/api.py");
                    i.0.named.insert("api.py".into(), vec![]);
                    i.0.similar
                        .insert("api.py".into(), vec!["/app/app.py".into()]);
                    i
                },
            )
            .file(
                "Dockerfile",
                "FROM python:3.11-slim\nWORKDIR /app\nCOPY app.py .\nCMD [\"python\", \"api.py\"]\n",
            ),
        ),
        Case::fails(
            "python cannot open a file a bind mount hides",
            spec,
            "running:web",
            CauseId::MountHidesFiles,
            FactsBuilder::new()
                .image(IMAGE, |i| {
                    i.workdir("/app")
                        .cmd(["python", "server.py"])
                        .debian_python()
                        .entry("/app/server.py", script("app.run()\n", 0o644))
                })
                .container("web", |c| {
                    c.image(IMAGE)
                        .exited(2)
                        .mount("bind", "/home/student/empty", "/app")
                        .log(["python: can't open file '/app/server.py': [Errno 2] No such file or directory"])
                })
                .file("Dockerfile", DOCKERFILE),
        ),
        Case::fails(
            "a start script saved with CRLF",
            spec,
            "running:web",
            CauseId::CrlfScript,
            failed_start("exec /app/start.sh: no such file or directory", |i| {
                i.entrypoint(["/app/start.sh"]).entry(
                    "/app/start.sh",
                    script("#!/bin/sh\r\nexec python server.py\r\n", 0o755),
                )
            }),
        ),
        Case::fails(
            "#!/bin/bash on an image without bash",
            spec,
            "running:web",
            CauseId::InterpreterMissing,
            failed_start("exec /app/start.sh: no such file or directory", |i| {
                i.entrypoint(["/app/start.sh"])
                    .entry(
                        "/app/start.sh",
                        script("#!/bin/bash\nexec python server.py\n", 0o755),
                    )
                    .no_path("/bin/bash")
            }),
        ),
        Case::fails(
            "a start script without its execute bit",
            spec,
            "running:web",
            CauseId::NotExecutable,
            failed_start("exec /app/start.sh: permission denied", |i| {
                i.entrypoint(["/app/start.sh"]).entry(
                    "/app/start.sh",
                    script("#!/bin/sh\nexec python server.py\n", 0o644),
                )
            }),
        ),
    ];
    insta::assert_snapshot!("failed_starts", run_table(&cases));
}
