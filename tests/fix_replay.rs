//! Fix replay (issue 12, item 1): for every broken lab of the suite (the seed labs' broken
//! variants in `tests/labs/` and the sample-image mistakes of the diagnosis tests), grade
//! it, take the root cause's `fix`, apply it as a student would (a command run with `sh -c`
//! as printed, in the lab's folder; an edit applied by `common::fixes::apply_edit`, then
//! the command the fix prints, or the lab's own build-and-run when it only says "rebuild"),
//! and grade again: the check that failed must pass, or the new root cause must be another,
//! real failure. One test per lab; a fix that cannot be applied mechanically fails its
//! test, naming the lab, the fix and why (those are `#[ignore]`d with the reason until the
//! product's wording changes).
//!
//! 32 fixes are replayed (19 seed-lab variants, 13 sample-image mistakes, two of them
//! labs with code built `FROM` the sample image, whose `labgrade serve` reads the app's
//! source as text); all 32 work when typed. A package the app lacks is replayed on the
//! seed labs, whose base (like python:3.x-slim) has no Flask until a Dockerfile's `pip
//! install` puts it there: the sample image has no Python to import it.
//!
//! The seed labs run under the specs' own names and ports, so they take the same
//! machine-wide turn as `tests/seed_labs.rs` (the file lock `labgrade-seed-labs.lock`). Their
//! Dockerfiles say `FROM ${BASE}` with `ARG BASE=python:3.x-slim`; so that `docker build -t
//! IMAGE .` works as printed, the local base image (`scripts/python-base`, built once) is
//! tagged `python:3.9-slim`, `python:3.10-slim` and `python:3.11-slim` while the labs run,
//! and untagged with it at the end. Everything built on it carries
//! `io.labgrade.python-base=<tag>` and is removed by that label, pass or fail.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::fixes::{self, Split};
use common::process::{DOCKER_TIME, run_for};
use common::seed::{BaseUse, Turn, lab_dir, remove_built_on, root};
use common::{CHECK_TIME, Lab, Within, free_port, text};

/// The base image as these labs use it: tagged as the bases the labs' Dockerfiles name,
/// and `productapi_web` (what compose builds for the compose lab) claimed too.
const BASE_USE: BaseUse = BaseUse {
    kind: "fix",
    tags: &["python:3.9-slim", "python:3.10-slim", "python:3.11-slim"],
    images: &["productapi_web"],
};

// ---------------------------------------------------------------------------------------
// The replay itself, for both kinds of lab.

/// The report's root cause: its id and its finding.
fn root_finding(report: &Value) -> Option<(String, Value)> {
    let id = report["root_cause"].as_str()?.to_string();
    let f = report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["id"] == id.as_str())?
        .clone();
    Some((id, f))
}

fn finding_of<'a>(report: &'a Value, id: &str) -> Option<&'a Value> {
    report["findings"]
        .as_array()?
        .iter()
        .find(|f| f["id"] == id)
}

/// What a lab gives the replay: how to grade it, where its files are, how it is rebuilt
/// and run again by its own commands, and what to own of what a command creates.
trait Subject {
    fn grade(&mut self) -> Value;
    fn dir(&self) -> Option<PathBuf>;
    /// The lab's own build and run, for an edit whose fix says only "rebuild".
    fn rerun(&mut self) -> Result<(), String>;
    fn own(&mut self, cmd: &str);
}

/// Grades, applies the root cause's fix, grades again. `Ok` says what happened; `Err`
/// says why the fix does not work when typed.
fn replay(s: &mut dyn Subject) -> Result<String, String> {
    let before = s.grade();
    let (id, f) = root_finding(&before)
        .ok_or_else(|| format!("the lab is not broken: no root cause in {before:#}"))?;
    let fix = f["fix"]
        .as_str()
        .ok_or_else(|| format!("{id} fails with no fix: {f:#}"))?
        .to_string();
    let mut log = vec![format!("root cause {id}: {}", f["cause"])];
    log.push(format!("fix: {fix}"));
    let Split {
        edit,
        command,
        rebuild,
    } = fixes::split(&fix);
    if let Some(edit) = &edit {
        let dir = s
            .dir()
            .ok_or_else(|| format!("the fix is an edit ({edit:?}) and the lab has no files"))?;
        let done = fixes::apply_edit(edit, &dir)?;
        log.push(format!("edited: {done}"));
    }
    match &command {
        Some(printed) => {
            let mut cmd = fixes::command_text(printed)?;
            if cmd.starts_with("docker compose ") && !fixes::compose_v2_works() {
                cmd = fixes::compose_v1_alternative(printed).ok_or_else(|| {
                    format!("`{cmd}` needs Compose v2, not installed here, and names no other")
                })?;
            }
            s.own(&cmd);
            let dir = s.dir().unwrap_or_else(std::env::temp_dir);
            fixes::run_printed(&cmd, &dir)?;
            log.push(format!("ran: {cmd}"));
        }
        None if rebuild => {
            s.rerun()?;
            log.push("rebuilt and ran again with the lab's own commands".into());
        }
        None => {}
    }
    let after = s.grade();
    let now = finding_of(&after, &id)
        .ok_or_else(|| format!("after the fix there is no finding {id} any more"))?;
    let outcome = now["outcome"].as_str().unwrap_or_default();
    if outcome == "pass" {
        log.push(format!(
            "{id} passes now; score {}/{}",
            after["score"], after["max_score"]
        ));
        return Ok(log.join("\n  "));
    }
    match root_finding(&after) {
        Some((next, nf)) if next != id && outcome != "fail" && nf["outcome"] == "fail" => {
            log.push(format!(
                "{id} is {outcome} now; the next root cause is another one, {next}: {}",
                nf["cause"]
            ));
            Ok(log.join("\n  "))
        }
        _ => Err(format!(
            "after the fix, {id} still {outcome}s: found {}, cause {}\n  {}",
            now["found"],
            now["cause"],
            log.join("\n  ")
        )),
    }
}

/// Panics, naming the lab, the fix and why, when the fix does not work.
fn expect_fix_works(what: &str, s: &mut dyn Subject) {
    match replay(s) {
        Ok(log) => println!("REPLAYED {what}: PASS\n  {log}"),
        Err(why) => panic!("REPLAYED {what}: the fix does not work when typed: {why}"),
    }
}

// ---------------------------------------------------------------------------------------
// The seed labs: the specs' fixed names and ports, one lab at a time on the machine.

/// One seed lab, copied to a folder of its own and run as its instructions say.
struct Seed {
    spec: PathBuf,
    /// Grade with `--dir` (the spec reads the folder's files).
    with_dir: bool,
    dir: PathBuf,
    /// The lab's own build-and-run, in its folder.
    rerun: &'static str,
    compose: bool,
    _tmp: tempfile::TempDir,
    // Dropped last: the turn passes on once the lab has cleaned up.
    turn: Turn,
}

impl Seed {
    /// `lab`'s folder copied to `<tmp>/<folder>`, then `setup` run there (`$LABS` is
    /// tests/labs, for a lab that builds other folders too).
    fn start(
        lab: &str,
        folder: &str,
        spec: &str,
        with_dir: bool,
        setup: &str,
        rerun: &'static str,
    ) -> Seed {
        let turn = Turn::take(&BASE_USE);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(folder);
        common::copy_dir(&lab_dir(lab), &dir);
        let seed = Seed {
            spec: root().join("specs").join(spec),
            with_dir,
            dir,
            rerun,
            compose: setup.contains("docker-compose"),
            _tmp: tmp,
            turn,
        };
        let out = Command::new("sh")
            .args(["-c", setup])
            .current_dir(&seed.dir)
            .env("DOCKER_BUILDKIT", "0")
            .env("LABS", root().join("tests/labs"))
            .output_within(common::process::BUILD_TIME);
        assert!(
            out.status.success(),
            "{lab}: the setup `{setup}` failed: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        seed
    }
}

impl Subject for Seed {
    fn grade(&mut self) -> Value {
        let mut cmd = common::labgrade();
        cmd.arg("check").arg(&self.spec).args(["--format", "json"]);
        if self.with_dir {
            cmd.arg("--dir").arg(&self.dir);
        }
        let out = cmd.output_within(CHECK_TIME);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "the report is not JSON ({e}): {}{}",
                text(&out.stdout),
                text(&out.stderr)
            )
        })
    }

    fn dir(&self) -> Option<PathBuf> {
        Some(self.dir.clone())
    }

    fn rerun(&mut self) -> Result<(), String> {
        fixes::run_printed(self.rerun, &self.dir).map(drop)
    }

    /// Everything a command makes is built on the base, and removed by its label.
    fn own(&mut self, _cmd: &str) {}
}

impl Drop for Seed {
    fn drop(&mut self) {
        if self.compose {
            let _ = run_for(
                Command::new("docker-compose")
                    .args(["down", "-v", "--remove-orphans"])
                    .current_dir(&self.dir),
                DOCKER_TIME,
            );
        }
        remove_built_on(&self.turn.base, &self.turn.base_ids);
    }
}

/// Builds and runs one seed lab, then replays its root cause's fix.
fn seed(what: &str, lab: &str, spec: &str, with_dir: bool, setup: &str, rerun: &'static str) {
    let started = Instant::now();
    let reference = reference_folder(lab);
    let mut s = Seed::start(lab, reference, spec, with_dir, setup, rerun);
    expect_fix_works(&format!("{what} ({lab}, {spec})"), &mut s);
    println!("  ({:.0?})", started.elapsed());
}

/// The folder name the lab's reference has (compose names its project after it).
fn reference_folder(lab: &str) -> &'static str {
    for r in [
        "nautilus-python-app",
        "latency-service",
        "flask-echo-headers",
        "hello-v1",
        "hello-v2",
        "product-api",
    ] {
        if lab.starts_with(r) {
            return r;
        }
    }
    "lab"
}

const NAUTILUS: &str = "docker build -t nautilus/python-app . && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app";
const NAUTILUS_RERUN: &str = "docker build -t nautilus/python-app . && docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app";
const LATENCY: &str = "docker build -t latency-service . && docker run -d --name latency -p 8000:8080 latency-service";
const LATENCY_RERUN: &str = "docker build -t latency-service . && docker rm -f latency && docker run -d --name latency -p 8000:8080 latency-service";
const ECHO_RERUN: &str = "docker build -t flask-echo-headers-server . && docker tag flask-echo-headers-server student/flask-echo-headers-server && docker rm -f flask-echo && docker run -d --name flask-echo -p 6000:6000 flask-echo-headers-server";
const PRODUCT: &str = "docker build -t product-api . && docker run -d --name product-api -p 5000:5000 -e FLASK_ENV=production product-api";
const PRODUCT_RERUN: &str = "docker build -t product-api . && docker rm -f product-api && docker run -d --name product-api -p 5000:5000 -e FLASK_ENV=production product-api";

#[test]
fn seed_nautilus_loopback() {
    seed(
        "app bound to 127.0.0.1",
        "nautilus-python-app-loopback",
        "nautilus-python-app.yaml",
        false,
        NAUTILUS,
        NAUTILUS_RERUN,
    );
}

#[test]
fn seed_nautilus_copy_before_install() {
    seed(
        "COPY src/ . before pip install",
        "nautilus-python-app-copy-before-install",
        "nautilus-python-app-full.yaml",
        true,
        NAUTILUS,
        NAUTILUS_RERUN,
    );
}

/// [`seed`] (graded with `--dir`) for a lab whose root cause must be the check `check`
/// failing with `cause`, its fix starting `fix`.
fn seed_cause(
    what: &str,
    lab: &str,
    spec: &str,
    [setup, rerun]: [&'static str; 2],
    [check, cause, fix]: [&str; 3],
) {
    let started = Instant::now();
    let mut s = Seed::start(lab, reference_folder(lab), spec, true, setup, rerun);
    let before = s.grade();
    let (id, f) =
        root_finding(&before).unwrap_or_else(|| panic!("{lab}: no root cause: {before:#}"));
    assert_eq!(id, check, "{lab}: {f:#}");
    assert_eq!(f["cause_id"], cause, "{lab}: {f:#}");
    let printed = f["fix"].as_str().unwrap_or_default();
    assert!(printed.starts_with(fix), "{lab}: the fix is {printed:?}");
    expect_fix_works(&format!("{what} ({lab}, {spec})"), &mut s);
    println!("  ({:.0?})", started.elapsed());
}

/// The app exits with "No module named 'flask'" (the local base has no Flask, like
/// python:3.x-slim): the line goes into the requirements file the Dockerfile copies.
#[test]
fn seed_nautilus_requirements_without_flask() {
    seed_cause(
        "requirements.txt does not list flask",
        "nautilus-python-app-no-flask",
        "nautilus-python-app.yaml",
        [NAUTILUS, NAUTILUS_RERUN],
        [
            "running:pythonapp_nautilus",
            "module-not-found",
            "in src/requirements.txt, add the line `flask`, then: docker build -t nautilus/python-app . && docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app",
        ],
    );
}

/// The CMD names sever.py; the image has server.py beside where it looked: the CMD is
/// corrected, not the project (which has no sever.py to add).
#[test]
fn seed_nautilus_cmd_typo() {
    seed_cause(
        "a typo in the CMD's file name",
        "nautilus-python-app-cmd-typo",
        "nautilus-python-app.yaml",
        [NAUTILUS, NAUTILUS_RERUN],
        [
            "running:pythonapp_nautilus",
            "file-not-in-image",
            "write `CMD [\"python\", \"server.py\"]` in the Dockerfile, then: docker build -t nautilus/python-app . && docker rm -f pythonapp_nautilus",
        ],
    );
}

/// requirements.txt is copied and never installed: the install goes below its COPY.
#[test]
fn seed_latency_nothing_installs_the_requirements() {
    seed_cause(
        "no RUN pip install",
        "latency-service-no-pip-install",
        "latency-service.yaml",
        [LATENCY, LATENCY_RERUN],
        [
            "running:latency",
            "module-not-found",
            "in the Dockerfile, below line 10 (`COPY requirements.txt .`), add the line `RUN pip install --no-cache-dir -r requirements.txt`, then: docker build -t latency-service .",
        ],
    );
}

#[test]
fn seed_nautilus_no_dockerignore() {
    seed(
        "no .dockerignore",
        "nautilus-python-app-no-dockerignore",
        "nautilus-python-app-full.yaml",
        true,
        NAUTILUS,
        NAUTILUS_RERUN,
    );
}

#[test]
fn seed_latency_published_on_8000() {
    seed(
        "-p 8000:8000",
        "latency-service",
        "latency-service.yaml",
        false,
        "docker build -t latency-service . && docker run -d --name latency -p 8000:8000 latency-service",
        LATENCY_RERUN,
    );
}

#[test]
fn seed_latency_listens_on_8000() {
    seed(
        "app listening on 8000",
        "latency-service-listens-on-8000",
        "latency-service.yaml",
        false,
        LATENCY,
        LATENCY_RERUN,
    );
}

#[test]
fn seed_latency_ping_only() {
    seed(
        "only /ping",
        "latency-service-ping-only",
        "latency-service.yaml",
        false,
        LATENCY,
        LATENCY_RERUN,
    );
}

/// A 500 from the app's code (the sample image's `--status 500` has no code to name): the
/// traceback's line in app.py, with a misspelt name, in the latency lab.
#[test]
fn diagnose_server_error() {
    seed(
        "status 500: jsonfy for jsonify",
        "latency-service-name-error",
        "latency-service.yaml",
        false,
        LATENCY,
        LATENCY_RERUN,
    );
}

#[test]
fn seed_echo_no_user_tag() {
    seed(
        "no <user>/ tag",
        "flask-echo-headers",
        "flask-echo-headers.yaml",
        false,
        "docker build -t flask-echo-headers-server . && docker run -d --name flask-echo -p 6000:6000 flask-echo-headers-server",
        ECHO_RERUN,
    );
}

#[test]
fn seed_echo_hardcoded() {
    seed(
        "a hard-coded answer",
        "flask-echo-headers-hardcoded",
        "flask-echo-headers.yaml",
        false,
        "docker build -t flask-echo-headers-server -t student/flask-echo-headers-server . && docker run -d --name flask-echo -p 6000:6000 flask-echo-headers-server",
        ECHO_RERUN,
    );
}

#[test]
fn seed_echo_tag_on_older_build() {
    seed(
        "the <user>/ tag left on an older build",
        "flask-echo-headers",
        "flask-echo-headers.yaml",
        false,
        "docker build -t student/flask-echo-headers-server \"$LABS/flask-echo-headers-hardcoded\" && docker build -t flask-echo-headers-server . && docker run -d --name flask-echo -p 6000:6000 flask-echo-headers-server",
        ECHO_RERUN,
    );
}

const HELLO_OTHERS: &str = "docker run -d --name hello-web -p 5000:5000 hello:v3";

#[test]
fn seed_hello_v1_no_date() {
    let setup = format!(
        "docker build -t hello:v1 . && docker build -t hello:v2 \"$LABS/hello-v2\" && docker build -t hello:v3 \"$LABS/hello-v3\" && {HELLO_OTHERS}"
    );
    seed(
        "hello:v1 printing no date",
        "hello-v1-no-date",
        "hello-docker.yaml",
        false,
        &setup,
        "docker build -t hello:v1 .",
    );
}

#[test]
fn seed_hello_v2_copy_before_install() {
    let setup = format!(
        "docker build -t hello:v2 . && docker build -t hello:v1 \"$LABS/hello-v1\" && docker build -t hello:v3 \"$LABS/hello-v3\" && {HELLO_OTHERS}"
    );
    seed(
        "hello:v2 with COPY . . before pip install",
        "hello-v2-copy-before-install",
        "hello-docker.yaml",
        false,
        &setup,
        "docker build -t hello:v2 .",
    );
}

#[test]
fn seed_product_api_no_env() {
    seed(
        "no -e FLASK_ENV",
        "product-api",
        "product-api.yaml",
        false,
        "docker build -t product-api . && docker run -d --name product-api -p 5000:5000 product-api",
        PRODUCT_RERUN,
    );
}

#[test]
fn seed_product_api_no_health() {
    seed(
        "no /health route",
        "product-api-no-health",
        "product-api.yaml",
        false,
        PRODUCT,
        PRODUCT_RERUN,
    );
}

#[test]
fn seed_product_api_copy_before_install() {
    seed(
        "COPY . . before pip install",
        "product-api-copy-before-install",
        "product-api.yaml",
        false,
        PRODUCT,
        PRODUCT_RERUN,
    );
}

#[test]
fn seed_product_api_compose_no_volume() {
    seed(
        "compose without volumes:",
        "product-api-compose-no-volume",
        "product-api-compose.yaml",
        true,
        "docker-compose up -d",
        "docker-compose up -d --build",
    );
}

// ---------------------------------------------------------------------------------------
// The diagnosis labs: the sample image (labgrade's own `serve`), its mistakes made at
// `docker run` time, each under its own names and a free port.

struct Sample {
    lab: Lab,
    spec: PathBuf,
    extra: Vec<&'static str>,
    /// A lab with code: its folder (a Dockerfile `FROM` the sample image, whose
    /// `labgrade serve` stands in for `python app.py`, reading the app's source as text)
    /// and its own rebuild-and-run.
    code: Option<(tempfile::TempDir, String)>,
}

impl Subject for Sample {
    fn grade(&mut self) -> Value {
        let extra: Vec<&str> = self.extra.clone();
        self.lab.check_json(&self.spec, &extra).1
    }

    /// A lab without code runs labgrade itself: there are no files of the lab to edit.
    fn dir(&self) -> Option<PathBuf> {
        self.code.as_ref().map(|(d, _)| d.path().to_path_buf())
    }

    fn rerun(&mut self) -> Result<(), String> {
        match &self.code {
            Some((d, rerun)) => fixes::run_printed(rerun, d.path()).map(drop),
            None => Err("the fix says to rebuild, and the sample lab has no build folder".into()),
        }
    }

    fn own(&mut self, cmd: &str) {
        self.lab.own_what(cmd);
    }
}

fn http_spec(image: &str, container: &str, host_port: u16) -> String {
    format!(
        "image: {image}\ncontainer: {container}\nports: [\"{host_port}:8088\"]\nhttp:\n  - get: /\n"
    )
}

fn sample_replay(what: &str, lab: Lab, spec_text: &str, extra: &[&'static str]) {
    let spec = lab.spec("lab.yaml", spec_text);
    let mut s = Sample {
        lab,
        spec,
        extra: extra.to_vec(),
        code: None,
    };
    expect_fix_works(what, &mut s);
}

/// A lab with code, built `FROM` the sample image (`BASE` in `dockerfile`) in a folder of
/// its own and run with `run_flags` as `<case>-<id>`, published on a free port to 8088;
/// then (once a `--restart` container is in its loop) its root cause's fix is replayed. The spec is `spec(image, container, port)`.
async fn code_replay(
    what: &str,
    mut lab: Lab,
    case: &str,
    dockerfile: &str,
    files: &[(&str, &str)],
    run_flags: &str,
    spec: impl Fn(&str, &str, u16) -> String,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        dockerfile.replace("BASE", &lab.image),
    )
    .unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
    }
    let image = format!("labgrade-test/fx-{case}-{}:v1", lab.id);
    let name = format!("{case}-{}", lab.id);
    let port = free_port();
    let build = format!("docker build -q -t {image} .");
    let run = format!("docker run -d --name {name} {run_flags} -p {port}:8088 {image}");
    lab.own_what(&build);
    lab.own_what(&run);
    fixes::run_printed(&build, dir.path()).unwrap();
    fixes::run_printed(&run, dir.path()).unwrap();
    // A container started to restart is graded once it is in its loop.
    if run_flags.contains("--restart") {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let c = lab.daemon.container(&name).await.unwrap().unwrap();
            if c.restart_count >= 2 && c.restarting {
                break;
            }
            assert!(Instant::now() < deadline, "no crash loop: {c:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let rerun = format!("{build} && docker rm -f {name} && {run}");
    let spec = lab.spec("lab.yaml", &spec(&image, &name, port));
    let mut s = Sample {
        lab,
        spec,
        extra: Vec::new(),
        code: Some((dir, rerun)),
    };
    expect_fix_works(what, &mut s);
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnose_expose_alone_publishes_nothing() {
    let mut lab = Lab::new("fx-expose").await;
    let port = free_port();
    let name = lab.run("app", &[], &[]).await;
    let spec = http_spec(&lab.image, &name, port);
    sample_replay("started without -p (diagnose.rs)", lab, &spec, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnose_paused_container() {
    let mut lab = Lab::new("fx-paused").await;
    let port = free_port();
    let name = lab.run("app", &[], &[(port, 8088)]).await;
    lab.daemon.client().pause_container(&name).await.unwrap();
    let spec = http_spec(&lab.image, &name, port);
    sample_replay("paused (diagnose.rs)", lab, &spec, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnose_crash_loop() {
    // The code is in src/, the CMD runs server.py from the WORKDIR: `python server.py`
    // cannot open /app/server.py, and --restart always makes it a loop.
    let lab = Lab::new("fx-loop").await;
    let code = flask_app("app.run(host=\"0.0.0.0\", port=8088)");
    code_replay(
        "crash loop: the CMD's file is not where it runs (diagnose.rs)",
        lab,
        "loop",
        "FROM BASE\nWORKDIR /app\nCOPY . .\nCMD [\"server.py\"]\n",
        &[("src/server.py", &code)],
        "--restart always",
        |_, name, _| format!("container: {name}\n"),
    )
    .await;
}

/// An app that needs 100 MiB in a container that may use 64 MiB: the fix is the same
/// `docker run` (its own command words too) with twice the memory.
#[tokio::test(flavor = "multi_thread")]
async fn diagnose_out_of_memory() {
    let mut lab = Lab::new("fx-oom").await;
    let name = lab.run("app", &["--hold", "100"], &[]).await;
    lab.wait_stopped(&name).await;
    let spec = format!("container: {name}\n");
    sample_replay("out of memory (diagnose.rs)", lab, &spec, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_created_never_started() {
    let mut lab = Lab::new("fx-created").await;
    let port = free_port();
    let name = lab.run_with("app", &[], &[(port, 8088)], true).await;
    let spec = http_spec(&lab.image, &name, port);
    sample_replay("created, never started (check.rs)", lab, &spec, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_wrong_host_port() {
    let mut lab = Lab::new("fx-wrongport").await;
    let (wanted, actual) = (free_port(), free_port());
    let name = lab.run("app", &[], &[(actual, 8088)]).await;
    let spec = http_spec(&lab.image, &name, wanted);
    sample_replay(
        "published on another host port (check.rs)",
        lab,
        &spec,
        &["--wait", "0s"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_published_to_the_wrong_inner_port() {
    let mut lab = Lab::new("fx-seed0").await;
    let port = free_port();
    let name = lab
        .run("app", &["--listen", "0.0.0.0:8080"], &[(port, 8000)])
        .await;
    let spec = format!(
        "container: {name}\nimage: {}\nports: [\"{port}:8080\"]\nhttp:\n  - get: /\n",
        lab.image
    );
    sample_replay("-p HOST:8000 to an app on 8080 (check.rs)", lab, &spec, &[]);
}

/// A Flask app as a student writes it, binding as `run` says.
fn flask_app(run: &str) -> String {
    format!(
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route(\"/\")\ndef index():\n    return \"Hello\"\n\n\nif __name__ == \"__main__\":\n    {run}\n"
    )
}

/// The Dockerfile of a code lab: the sample image's `labgrade serve` runs `app.py` for
/// `python app.py`.
const CODE_DOCKERFILE: &str = "FROM BASE\nWORKDIR /app\nCOPY . .\nCMD [\"app.py\"]\n";

#[tokio::test(flavor = "multi_thread")]
async fn check_loopback_binding() {
    // The mistake in the code, as students make it: app.run(host='127.0.0.1', ...).
    let lab = Lab::new("fx-loopback").await;
    let code = flask_app("app.run(host=\"127.0.0.1\", port=8088)");
    code_replay(
        "listening on 127.0.0.1 (check.rs)",
        lab,
        "loopback",
        CODE_DOCKERFILE,
        &[("app.py", &code)],
        "",
        http_spec,
    )
    .await;
}

/// The demo's broken lab: `docker run ... IMAGE --listen 127.0.0.1:8088`, words that
/// replace the image's CMD: the same `docker run` without them, no rebuild.
#[tokio::test(flavor = "multi_thread")]
async fn check_loopback_asked_for_on_the_run_line() {
    let mut lab = Lab::new("fx-runwords").await;
    let port = free_port();
    let name = lab
        .run("app", &["--listen", "127.0.0.1:8088"], &[(port, 8088)])
        .await;
    let spec = http_spec(&lab.image, &name, port);
    sample_replay(
        "listening on 127.0.0.1 by the docker run's words (check.rs, the demo)",
        lab,
        &spec,
        &[],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_options_after_the_image_name() {
    // `docker run -d --name X IMAGE -p PORT:8088`: the -p reaches the app as its command.
    let mut lab = Lab::new("fx-optsafter").await;
    let port = free_port();
    let mapping = format!("{port}:8088");
    let name = lab.run("app", &["-p", &mapping], &[]).await;
    lab.wait_stopped(&name).await;
    let spec = http_spec(&lab.image, &name, port);
    sample_replay(
        "-p written after the image name (issue 14)",
        lab,
        &spec,
        &[],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn check_wrong_tag() {
    let mut lab = Lab::new("fx-nearmiss").await;
    let port = free_port();
    let name = lab.run("app", &[], &[(port, 8088)]).await;
    let wanted = lab.image.replace(":v1", ":v2");
    let spec = http_spec(&wanted, &name, port);
    sample_replay("tagged v1, not v2 (check.rs)", lab, &spec, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_wrong_container_name() {
    let mut lab = Lab::new("fx-rename").await;
    let port = free_port();
    lab.run("app", &[], &[(port, 8088)]).await;
    let wanted = format!("other-{}", lab.id);
    let spec = http_spec(&lab.image, &wanted, port);
    sample_replay("container under another name (check.rs)", lab, &spec, &[]);
}

#[tokio::test(flavor = "multi_thread")]
async fn check_host_port_already_allocated() {
    let mut lab = Lab::new("fx-allocated").await;
    let port = free_port();
    lab.run("first", &[], &[(port, 8088)]).await;
    let second = lab.run_with("second", &[], &[(port, 8088)], true).await;
    let _ = lab.daemon.client().start_container(&second, None).await;
    let spec = http_spec(&lab.image, &second, port);
    sample_replay("host port taken (check.rs)", lab, &spec, &[]);
}

// ---------------------------------------------------------------------------------------
// The applier's own forms (no daemon).

#[test]
fn applier_splits_the_printed_forms() {
    let s = fixes::split("docker rm -f a && docker run -d --name a -p 1:2 img");
    assert_eq!(
        s.command.as_deref(),
        Some("docker rm -f a && docker run -d --name a -p 1:2 img")
    );
    let s = fixes::split(
        "in docker-compose.yml, give services.web volumes: [\".:/app\"]; then: docker compose up -d web (docker-compose up -d web with Compose v1)",
    );
    assert_eq!(
        s.edit.as_deref(),
        Some("in docker-compose.yml, give services.web volumes: [\".:/app\"]")
    );
    let printed = s.command.unwrap();
    assert_eq!(
        fixes::command_text(&printed).unwrap(),
        "docker compose up -d web"
    );
    assert_eq!(
        fixes::compose_v1_alternative(&printed).as_deref(),
        Some("docker-compose up -d web")
    );
    assert!(fixes::command_text("docker run -d --name a IMAGE").is_err());
    assert_eq!(
        fixes::command_text("docker logs a   # has it started?").unwrap(),
        "docker logs a"
    );
    assert_eq!(fixes::container_names("docker rename a b"), ["b"]);
    assert!(fixes::command_text("docker logs a; make the app use less memory").is_err());
}

#[test]
fn applier_edits_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("Dockerfile"),
        "FROM a\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD python app.py\n",
    )
    .unwrap();
    std::fs::write(d.join("app.py"), "app.run(host='127.0.0.1', port=f(1))\n").unwrap();
    std::fs::write(d.join("requirements.txt"), "flask").unwrap();
    fixes::apply_edit(
        "COPY requirements.txt . → RUN pip install --no-cache-dir -r requirements.txt → COPY . . (then rebuild)",
        d,
    )
    .unwrap();
    fixes::apply_edit(
        "in the Dockerfile, write CMD [\"python\", \"app.py\"] (listen on 0.0.0.0), then rebuild",
        d,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("Dockerfile")).unwrap(),
        "FROM a\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
    );
    fixes::apply_edit(
        "make it listen (e.g. app.run(host='0.0.0.0', port=8080)), then",
        d,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("app.py")).unwrap(),
        "app.run(host='0.0.0.0', port=8080)\n"
    );
    fixes::apply_edit("add PyYAML to requirements.txt, then rebuild", d).unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("requirements.txt")).unwrap(),
        "flask\nPyYAML\n"
    );
    // Two edits: a line at the end of one file, a line below another's line 3.
    fixes::apply_edit(
        "in requirements.txt, add the line `gunicorn`; in the Dockerfile, below line 3 (`COPY requirements.txt .`), add the line `RUN pip install gunicorn`",
        d,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("requirements.txt")).unwrap(),
        "flask\nPyYAML\ngunicorn\n"
    );
    assert_eq!(
        std::fs::read_to_string(d.join("Dockerfile")).unwrap(),
        "FROM a\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install gunicorn\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nCMD [\"python\", \"app.py\"]\n"
    );
    // A line that is not what the fix says is there: refused.
    assert!(
        fixes::apply_edit(
            "in the Dockerfile, below line 2 (`COPY . .`), add the line `RUN true`",
            d
        )
        .is_err()
    );
    fixes::apply_edit(
        "create .dockerignore with these lines: `.git`, `__pycache__`",
        d,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join(".dockerignore")).unwrap(),
        ".git\n__pycache__\n"
    );
    std::fs::write(
        d.join("app.py"),
        "@app.route(\"/ping\")\ndef ping(): return 'x'\n\nif __name__ == \"__main__\":\n    app.run()\n",
    )
    .unwrap();
    fixes::apply_edit(
        "in app.py, above line 4 (`if __name__ == \"__main__\":`), add the lines `@app.route(\"/health\")` and `def health(): return \"ok\"`",
        d,
    )
    .unwrap();
    fixes::apply_edit(
        "in app.py, above line 1 (`@app.route(\"/ping\")`), add the line `@app.route(\"/latency\")`, so the function that answers /ping answers /latency too",
        d,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("app.py")).unwrap(),
        "@app.route(\"/latency\")\n@app.route(\"/ping\")\ndef ping(): return 'x'\n\n@app.route(\"/health\")\ndef health(): return \"ok\"\nif __name__ == \"__main__\":\n    app.run()\n"
    );
    std::fs::write(d.join("hello.py"), "print(\"Hello\")\n").unwrap();
    fixes::apply_edit(
        "in hello.py, below line 1 (`print(\"Hello\")`), add the lines `from datetime import date` and `print(\"Today is\", date.today())`",
        d,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("hello.py")).unwrap(),
        "print(\"Hello\")\nfrom datetime import date\nprint(\"Today is\", date.today())\n"
    );
    // The named line must be the one the fix quotes.
    assert!(
        fixes::apply_edit(
            "in app.py, above line 2 (`if __name__ == \"__main__\":`), add the line `x = 1`",
            d
        )
        .is_err()
    );
    std::fs::write(
        d.join("app.py"),
        "from flask import Flask, jsonify\n\ndef echo():\n    return jsonify({\n        \"a\": 1,\n    })\n",
    )
    .unwrap();
    fixes::apply_edit(
        "in app.py, line 1, change `from flask import Flask, jsonify` to `from flask import Flask, jsonify, request`; in app.py, replace lines 4 to 6 (the `return` that answers fixed text) with `return jsonify(dict(request.headers))`, indented as line 4 is",
        d,
    )
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(d.join("app.py")).unwrap(),
        "from flask import Flask, jsonify, request\n\ndef echo():\n    return jsonify(dict(request.headers))\n"
    );
    assert!(fixes::apply_edit("build the answer from the request", d).is_err());
}
