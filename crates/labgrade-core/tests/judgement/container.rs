//! `container:`, `running:` and `from-image:` — a container of that name exists, runs, and
//! was created from the wanted image; and when not, why (exited, crashed, restarting, ...).

use labgrade_core::cause::CauseId;

use crate::common::*;

const SPEC: &str =
    "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\n";
const NAME: &str = "pythonapp_nautilus";
const EXISTS: &str = "container:pythonapp_nautilus";
const RUNNING: &str = "running:pythonapp_nautilus";
const FROM_IMAGE: &str = "from-image:pythonapp_nautilus";

/// The image is built; the container is whatever `f` makes of a healthy one.
fn lab(f: impl FnOnce(ContainerB) -> ContainerB) -> FactsBuilder {
    FactsBuilder::new()
        .image("nautilus/python-app", |i| {
            i.exposed(8088).cmd(["python", "server.py"])
        })
        .container(NAME, |c| {
            f(c.image("nautilus/python-app")
                .published(8097, 8088)
                .listening("0.0.0.0", 8088))
        })
}

/// Seed 003's Dockerfile: the code and its requirements in src/.
const SEED_003: &str = "FROM python:3.9-slim\nWORKDIR /app\nCOPY src/requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY src/ .\nEXPOSE 8088\nCMD [\"python\", \"server.py\"]\n";

const TRACEBACK: [&str; 4] = [
    "Traceback (most recent call last):",
    "  File \"/app/server.py\", line 1, in <module>",
    "    from flask import Flask",
    "ModuleNotFoundError: No module named 'flask'",
];

#[test]
fn exists() {
    let b = FactsBuilder::new;
    let compose = "containers:\n  - service: web\n    ports: [\"5000:5000\"]\n";
    let compose_project =
        "containers:\n  - service: web\n    project: product-api\n    ports: [\"5000:5000\"]\n";
    let cases = [
        Case::passes("exists", SPEC, EXISTS, lab(|c| c)),
        Case::fails(
            "missing, nothing like it",
            SPEC,
            EXISTS,
            CauseId::ContainerMissing,
            b().image("nautilus/python-app", |i| i)
                .no_container(NAME)
                .other("registry", "registry:2", "running"),
        ),
        Case::fails(
            "misnamed: dash for underscore",
            SPEC,
            EXISTS,
            CauseId::ContainerMisnamed,
            b().image("nautilus/python-app", |i| i)
                .no_container(NAME)
                .other("pythonapp-nautilus", "nautilus/python-app", "running"),
        ),
        Case::fails(
            "misnamed: run without --name",
            SPEC,
            EXISTS,
            CauseId::ContainerMisnamed,
            b().image("nautilus/python-app", |i| i)
                .no_container(NAME)
                .other("elegant_hopper", "nautilus/python-app", "running"),
        ),
        Case::fails(
            "compose service has no container",
            compose,
            "container:web",
            CauseId::ServiceMissing,
            b().no_container("web"),
        ),
        Case::fails(
            "compose service of a project has no container",
            compose_project,
            "container:web",
            CauseId::ServiceMissing,
            b().no_container("web")
                .other("shop-web-1", "shop-web", "running"),
        ),
    ];
    insta::assert_snapshot!("container_exists", run_table(&cases));
}

#[test]
fn running() {
    let cases = [
        Case::passes("running", SPEC, RUNNING, lab(|c| c)),
        Case::fails(
            "paused",
            SPEC,
            RUNNING,
            CauseId::Paused,
            lab(|c| c.paused()),
        ),
        Case::fails(
            "crashed during the check and was restarted",
            SPEC,
            RUNNING,
            CauseId::CrashedDuringCheck,
            lab(|c| {
                c.restart("always").restarts_during_check(2).log([
                    " * Running on http://0.0.0.0:8088",
                    "Traceback (most recent call last):",
                    "  File \"/app/server.py\", line 9, in index",
                    "ZeroDivisionError: division by zero",
                    " * Running on http://0.0.0.0:8088",
                ])
            }),
        ),
        Case::fails(
            "restart loop, unrecognised error",
            SPEC,
            RUNNING,
            CauseId::RestartLoop,
            lab(|c| {
                c.restarting(7).log([
                    "Starting server on 0.0.0.0:8088",
                    "panic: open /data/config.yaml: no such file or directory",
                ])
            }),
        ),
        Case::fails(
            "restart loop, missing module",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| c.restarting(7).log(TRACEBACK)),
        ),
        Case::fails(
            "created, never started",
            SPEC,
            RUNNING,
            CauseId::NeverStarted,
            lab(|c| c.created()),
        ),
        Case::fails(
            "created, host port taken",
            SPEC,
            RUNNING,
            CauseId::HostPortTaken,
            lab(|c| {
                c.created().error("driver failed programming external connectivity on endpoint pythonapp_nautilus (3f1e...): Bind for 0.0.0.0:8097 failed: port is already allocated")
            }),
        ),
        Case::fails(
            "created, program missing",
            SPEC,
            RUNNING,
            CauseId::ProgramMissing,
            lab(|c| {
                c.created().error("failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"python\": executable file not found in $PATH: unknown")
            }),
        ),
        Case::fails(
            "created, unrecognised start error",
            SPEC,
            RUNNING,
            CauseId::NeverStarted,
            lab(|c| {
                c.created().error("error mounting \"/home/alice/config\" to rootfs at \"/etc/app\": not a directory")
            }),
        ),
        Case::fails(
            "killed: out of memory",
            SPEC,
            RUNNING,
            CauseId::OomKilled,
            lab(|c| c.oom_killed().log(["Loading model..."])),
        ),
        // Under a limit: the fix is the student's own run with twice the memory.
        Case::fails(
            "killed: out of memory under --memory 64m, its own command",
            SPEC,
            RUNNING,
            CauseId::OomKilled,
            lab(|c| {
                c.oom_killed()
                    .memory(64 << 20)
                    .command(["python", "train.py", "--epochs", "3"])
            }),
        ),
        Case::fails(
            "exited 0: CMD finished",
            SPEC,
            RUNNING,
            CauseId::ExitedCleanly,
            lab(|c| c.exited(0).log(["Hello from Docker!"])),
        ),
        Case::fails(
            "exited 0, no log",
            SPEC,
            RUNNING,
            CauseId::ExitedCleanly,
            lab(|c| c.exited(0)),
        ),
        Case::fails(
            "exited with an error",
            SPEC,
            RUNNING,
            CauseId::Exited,
            lab(|c| {
                c.exited(1).log([
                    "Traceback (most recent call last):",
                    "  File \"/app/server.py\", line 4, in <module>",
                    "KeyError: 'DATABASE_URL'",
                ])
            }),
        ),
        Case::fails(
            "exited 137 (docker kill), no log",
            SPEC,
            RUNNING,
            CauseId::Killed,
            lab(|c| c.exited(137)),
        ),
        // `docker rm -f` while labgrade waited for the app: Docker shows it `removing`,
        // Podman has no such state and the container is simply gone; either way there is
        // nothing to `docker start`, and the fix is the whole `docker run`.
        Case::fails(
            "removed while it was being checked",
            SPEC,
            RUNNING,
            CauseId::ContainerRemoved,
            lab(|c| c.published(8097, 8088).removed_during_check()),
        ),
        // Podman on cgroup v1 records no out-of-memory kill: a SIGKILL under a memory
        // limit, with the command overridden too, is still told as a kill, and the limit
        // is named (the command may well have been running fine).
        Case::fails(
            "exited 137 under a memory limit, no OOM record, command overridden",
            SPEC,
            RUNNING,
            CauseId::Killed,
            lab(|c| c.exited(137).memory(64 << 20).command(["--hog"])),
        ),
        Case::fails(
            "exited: ModuleNotFoundError",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| c.exited(1).log(TRACEBACK)),
        ),
        Case::fails(
            "exited: no module, src/requirements.txt lacks it (seed 003's Dockerfile)",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| c.exited(1).log(TRACEBACK))
                .file("Dockerfile", SEED_003)
                .file("src/requirements.txt", "# nothing yet\n"),
        ),
        Case::fails(
            "exited: no module, the Dockerfile installs nothing",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| c.exited(1).log(TRACEBACK))
                .file(
                    "Dockerfile",
                    &SEED_003.replace("RUN pip install --no-cache-dir -r requirements.txt\n", ""),
                )
                .file("src/requirements.txt", "flask\n"),
        ),
        Case::fails(
            "exited: no module, requirements.txt lists it (image built before)",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| c.exited(1).log(TRACEBACK))
                .file("Dockerfile", SEED_003)
                .file("src/requirements.txt", "Flask>=2\n"),
        ),
        Case::fails(
            "exited: no module, another project's Dockerfile (not read)",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| c.exited(1).log(TRACEBACK))
                .file("Dockerfile", &SEED_003.replace("server.py", "app.py"))
                .file("src/requirements.txt", "\n"),
        ),
        Case::fails(
            "created: exec-form gunicorn not on PATH, requirements.txt lacks it",
            SPEC,
            RUNNING,
            CauseId::ProgramMissing,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| {
                    i.exposed(8088).cmd(["gunicorn", "-b", "0.0.0.0:8088", "server:app"])
                })
                .container(NAME, |c| {
                    c.image("nautilus/python-app").published(8097, 8088).created().error("failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"gunicorn\": executable file not found in $PATH: unknown")
                })
                .file(
                    "Dockerfile",
                    &SEED_003.replace(
                        "CMD [\"python\", \"server.py\"]",
                        "CMD [\"gunicorn\", \"-b\", \"0.0.0.0:8088\", \"server:app\"]",
                    ),
                )
                .file("src/requirements.txt", "flask\n"),
        ),
        Case::fails(
            "exited: ImportError (Python 2)",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| c.exited(1).log(["ImportError: No module named flask"])),
        ),
        Case::fails(
            "exited: can't open file",
            SPEC,
            RUNNING,
            CauseId::FileNotInImage,
            lab(|c| {
                c.exited(2).log([
                    "python: can't open file '/app/server.py': [Errno 2] No such file or directory",
                ])
            }),
        ),
        Case::fails(
            "exited: address in use inside",
            SPEC,
            RUNNING,
            CauseId::PortInUseInside,
            lab(|c| {
                c.exited(1).log([
                    " * Serving Flask app 'server'",
                    "Address already in use",
                    "Port 8088 is in use by another program. Either identify and stop that program, or start the server with a different port.",
                ])
            }),
        ),
        Case::fails(
            "exited: host port already allocated",
            SPEC,
            RUNNING,
            CauseId::HostPortTaken,
            lab(|c| {
                c.exited(128).error("driver failed programming external connectivity on endpoint pythonapp_nautilus: Bind for 0.0.0.0:8097 failed: port is already allocated")
            }),
        ),
        Case::fails(
            "created: host port held by another container",
            SPEC,
            RUNNING,
            CauseId::HostPortTaken,
            lab(|c| {
                c.created().error("driver failed programming external connectivity on endpoint pythonapp_nautilus: Bind for 0.0.0.0:8097 failed: port is already allocated")
            })
            .other_publishing("old_attempt", "nautilus/python-app", &[8097]),
        ),
        Case::fails(
            "exited: exec format error",
            SPEC,
            RUNNING,
            CauseId::ExecFormat,
            lab(|c| c.exited(255).log(["exec /app/start.sh: exec format error"])),
        ),
        Case::fails(
            "exited: exec format error, same CPU (a script without #!)",
            SPEC,
            RUNNING,
            CauseId::ExecFormat,
            lab(|c| c.exited(255).log(["exec /app/start.sh: exec format error"]))
                .image("nautilus/python-app", |i| {
                    i.exposed(8088).platform("amd64", "linux")
                })
                .engine_arch("amd64"),
        ),
        Case::fails(
            "exited: exec format error, an arm64 image on an amd64 engine",
            SPEC,
            RUNNING,
            CauseId::WrongPlatform,
            lab(|c| {
                c.exited(1)
                    .log(["exec /usr/local/bin/python: exec format error"])
            })
            .image("nautilus/python-app", |i| {
                i.exposed(8088)
                    .cmd(["python", "server.py"])
                    .platform("arm64", "linux")
            })
            .engine_arch("amd64"),
        ),
        Case::fails(
            "restarting: exec format error, an amd64 image on an arm64 engine",
            SPEC,
            RUNNING,
            CauseId::WrongPlatform,
            lab(|c| c.restarting(4).log(["exec /app/server: exec format error"]))
                .image("nautilus/python-app", |i| i.platform("amd64", "linux"))
                .engine_arch("arm64"),
        ),
        Case::fails(
            "running, restarted during the check: a recognised crash keeps its cause",
            SPEC,
            RUNNING,
            CauseId::ModuleNotFound,
            lab(|c| {
                c.running()
                    .restarts_during_check(2)
                    .log(["ModuleNotFoundError: No module named 'flask'"])
            }),
        ),
        Case::fails(
            "exited: docker run options after the image name",
            SPEC,
            RUNNING,
            CauseId::OptionsAfterImage,
            lab(|c| {
                c.exited(2)
                    .command(["-p", "8097:8088", "--name", "web"])
                    .log(["error: unexpected argument '-p' found"])
            }),
        ),
        Case::fails(
            "exited 127, shell-form CMD: the program is not installed",
            SPEC,
            RUNNING,
            CauseId::CommandNotFound,
            lab(|c| c.exited(127).log(["/bin/sh: 1: flask: not found"])),
        ),
        Case::fails(
            "exited 127, no log",
            SPEC,
            RUNNING,
            CauseId::CommandNotFound,
            lab(|c| c.exited(127)),
        ),
        Case::fails(
            "exited 139: segmentation fault",
            SPEC,
            RUNNING,
            CauseId::Exited,
            lab(|c| c.exited(139)),
        ),
        Case::fails(
            "exited: a CRLF script run by sh (no #! line read)",
            SPEC,
            RUNNING,
            CauseId::CrlfScript,
            lab(|c| {
                c.exited(2)
                    .log(["/app/start.sh: 2: set: Illegal option -\r"])
            }),
        ),
        Case::fails(
            "exited: a CRLF script run by bash",
            SPEC,
            RUNNING,
            CauseId::CrlfScript,
            lab(|c| {
                c.exited(127)
                    .log(["start.sh: line 2: $'\\r': command not found"])
            }),
        ),
        Case::fails(
            "exited: SyntaxError",
            SPEC,
            RUNNING,
            CauseId::SyntaxError,
            lab(|c| {
                c.exited(1).log([
                    "  File \"/app/server.py\", line 7",
                    "    def index()",
                    "               ^",
                    "SyntaxError: expected ':'",
                ])
            }),
        ),
        Case::fails(
            "exited: IndentationError",
            SPEC,
            RUNNING,
            CauseId::SyntaxError,
            lab(|c| {
                c.exited(1).log([
                    "  File \"/app/server.py\", line 8",
                    "IndentationError: expected an indented block after function definition on line 7",
                ])
            }),
        ),
    ];
    insta::assert_snapshot!("container_running", run_table(&cases));
}

#[test]
fn from_image() {
    let b = FactsBuilder::new;
    let cases = [
        Case::passes("same image id", SPEC, FROM_IMAGE, lab(|c| c)),
        Case::fails(
            "stale: the image was rebuilt since",
            SPEC,
            FROM_IMAGE,
            CauseId::StaleContainer,
            lab(|c| c.image_id(&sha("the build before"))),
        ),
        Case::fails(
            "retagged: the image is gone",
            SPEC,
            FROM_IMAGE,
            CauseId::ImageRetagged,
            b().no_image("nautilus/python-app")
                .other_image("nautilus/python-app:v1")
                .container(NAME, |c| {
                    c.image("nautilus/python-app").published(8097, 8088)
                }),
        ),
        Case::fails(
            "wrong image",
            SPEC,
            FROM_IMAGE,
            CauseId::WrongImage,
            lab(|c| c.image("python:3.11-slim")),
        ),
        Case::fails(
            "wrong tag of the image",
            SPEC,
            FROM_IMAGE,
            CauseId::WrongImage,
            lab(|c| c.image("nautilus/python-app:v1")),
        ),
    ];
    insta::assert_snapshot!("container_image", run_table(&cases));
}

#[test]
fn a_container_older_than_its_image_is_fixed_first() {
    // Rebuilt after fixing the bind, not run again: the old build still binds
    // 127.0.0.1, and its HTTP failure (worth more) was seen in that old build.
    let spec = format!("{SPEC}http:\n  - get: /\n");
    let facts = lab(|c| {
        c.image_id(&sha("the build before"))
            .listening("127.0.0.1", 8088)
    })
    .probe(
        "http:pythonapp_nautilus:GET /",
        "http://127.0.0.1:8097/",
        failed(labgrade_core::facts::TransportError::Reset),
    )
    .build();
    let v = verdict(&spec, &facts);
    assert_eq!(
        finding(&v, "http:pythonapp_nautilus:GET /").outcome,
        labgrade_core::verdict::Outcome::Fail
    );
    assert_eq!(v.root_cause.as_deref(), Some(FROM_IMAGE));
}
