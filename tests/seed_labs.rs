//! End to end: every spec in `specs/` graded against reference solutions of the course's
//! seed labs (`tests/labs/<lab>/`) built on a real Python image (`scripts/python-base`:
//! Debian's Python, Flask and pip, FROM scratch), and against broken variants
//! (`tests/labs/<lab>-<mistake>/`), each making one mistake students make. The reference
//! must get full marks; each broken variant must fail on the finding the spec is there
//! for, with a cause that names the mistake, and pass everything else.
//!
//! One test per seed lab. The specs use fixed names and host ports (8097, 8000, 6000,
//! 5000), so the labs take turns (`common::seed::Turn`, a file lock): one runs at a time on
//! the machine, whatever `--test-threads` says and however many test runs there are. They
//! share the base image: the first lab to need it builds it, the last one to finish
//! removes it. Each lab refuses to touch a container or image of those
//! names that it did not create. Every container, image, network and folder a lab creates
//! is removed when it ends, pass or fail (`Guard`); everything built on the base image
//! carries the label `io.labgrade.python-base=<base tag>`, so even dangling layers of a
//! failed build are found. With `--nocapture` each lab prints what every check gave.
//!
//! The compose variant runs Debian's `docker-compose` (v1) when it is installed and works;
//! otherwise (or with `LABGRADE_SEED_COMPOSE=cli`) it creates the same network and
//! container, with compose's labels, through the docker CLI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use common::docker::{docker, docker_cmd, docker_quiet, lines};
use common::process::{BUILD_TIME, CHECK_TIME, DOCKER_TIME, run_for};
use common::seed::{BASE_LABEL, BaseUse, Turn, lab_dir, remove_built_on, root};
use common::{Within, copy_dir, text};

/// The label every test object carries (`.ci/run` looks for leftovers with it).
const SAMPLE_LABEL: &str = "io.labgrade.sample";

/// The base image as these labs use it: no extra tags.
const BASE_USE: BaseUse = BaseUse {
    kind: "seed",
    tags: &[],
    images: &[],
};

fn spec(file: &str) -> PathBuf {
    root().join("specs").join(file)
}

fn compose_works() -> bool {
    if std::env::var("LABGRADE_SEED_COMPOSE").as_deref() == Ok("cli") {
        return false;
    }
    matches!(
        run_for(Command::new("docker-compose").arg("version"), DOCKER_TIME),
        Ok(o) if o.status.success()
    )
}

/// Everything a lab created, removed on drop (pass or fail); the base image stays for the
/// next lab (`User` removes it).
struct Guard {
    base: String,
    /// The ids of the base image and its parents: the images labelled with the base that
    /// are not the lab's.
    base_ids: Vec<String>,
    containers: Vec<String>,
    tags: Vec<String>,
    networks: Vec<String>,
    /// Compose projects: name, folder, whether docker-compose made it.
    projects: Vec<(String, PathBuf, bool)>,
    dirs: Vec<tempfile::TempDir>,
}

impl Guard {
    /// Removes every container and network the lab made (in the middle of a lab too: the
    /// next step reuses the ports).
    fn remove_containers(&mut self) {
        for (project, dir, by_compose) in std::mem::take(&mut self.projects) {
            if by_compose {
                let _ = run_for(
                    Command::new("docker-compose")
                        .args(["-p", &project, "down", "-v", "--remove-orphans"])
                        .current_dir(&dir),
                    DOCKER_TIME,
                );
            }
            let filter = format!("label=com.docker.compose.project={project}");
            self.containers
                .extend(lines(&docker_quiet(&["ps", "-aq", "--filter", &filter])));
            self.networks.push(format!("{project}_default"));
        }
        // Containers made from anything built on the base, failed build steps included.
        let filter = format!("label={BASE_LABEL}={}", self.base);
        self.containers
            .extend(lines(&docker_quiet(&["ps", "-aq", "--filter", &filter])));
        let names = std::mem::take(&mut self.containers);
        if !names.is_empty() {
            let mut args = vec!["rm", "-f", "-v"];
            args.extend(names.iter().map(String::as_str));
            docker_quiet(&args);
        }
        // Then the networks they were on.
        for n in std::mem::take(&mut self.networks) {
            docker_quiet(&["network", "rm", &n]);
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.remove_containers();
        for t in std::mem::take(&mut self.tags).iter().rev() {
            docker_quiet(&["rmi", "-f", t]);
        }
        // Everything built on the base (untagged and intermediate images too), but not
        // the base.
        remove_built_on(&self.base, &self.base_ids);
        let filter = format!("label={BASE_LABEL}={}", self.base);
        let images = lines(&docker_quiet(&[
            "images",
            "-aq",
            "--no-trunc",
            "--filter",
            &filter,
        ]));
        let mut left: Vec<String> = images
            .into_iter()
            .filter(|i| !self.base_ids.contains(i))
            .collect();
        left.extend(lines(&docker_quiet(&["ps", "-aq", "--filter", &filter])));
        if !left.is_empty() {
            eprintln!("seed_labs: could not remove: {}", left.join(" "));
        }
        self.dirs.clear();
    }
}

/// A graded report.
struct Report {
    what: String,
    code: i32,
    json: Value,
}

impl Report {
    fn finding(&self, id: &str) -> &Value {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("{}: no finding {id} in {:#}", self.what, self.json))
    }

    fn not_passed(&self) -> Vec<&Value> {
        self.json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["outcome"] != "pass")
            .collect()
    }

    fn score(&self) -> String {
        format!("{}/{}", self.json["score"], self.json["max_score"])
    }

    /// Exit code 0, full score, every finding passed.
    fn expect_full_score(&self) {
        let failed: Vec<String> = self
            .not_passed()
            .iter()
            .map(|f| {
                format!(
                    "{} ({}): {} / {}",
                    f["id"], f["outcome"], f["found"], f["cause"]
                )
            })
            .collect();
        assert!(
            failed.is_empty(),
            "{}: the reference solution should pass every check, these did not:\n  {}",
            self.what,
            failed.join("\n  ")
        );
        assert_eq!(self.code, 0, "{}: exit code", self.what);
        assert_eq!(
            self.json["score"], self.json["max_score"],
            "{}: full score",
            self.what
        );
        assert_eq!(self.json["passed"], true, "{}", self.what);
    }

    /// The findings `failing` fail, every other one passes except those in `maybe` (which
    /// may do either), the exit code agrees with the verdict, and the score lost is exactly
    /// the failed findings' points.
    fn expect_failures(&self, failing: &[&str], maybe: &[&str]) {
        for id in failing {
            let f = self.finding(id);
            assert_eq!(
                f["outcome"], "fail",
                "{}: {id} should fail: {f:#}",
                self.what
            );
            assert!(
                f["cause"].as_str().is_some_and(|c| !c.is_empty()),
                "{}: {id} fails without a cause: {f:#}",
                self.what
            );
        }
        for f in self.not_passed() {
            let id = f["id"].as_str().unwrap();
            assert!(
                failing.contains(&id) || maybe.contains(&id),
                "{}: {id} should pass, it is {}: found {}, cause {}",
                self.what,
                f["outcome"],
                f["found"],
                f["cause"]
            );
        }
        let lost: i64 = self
            .not_passed()
            .iter()
            .map(|f| f["max_points"].as_i64().unwrap() - f["points"].as_i64().unwrap())
            .sum();
        assert_eq!(
            self.json["max_score"].as_i64().unwrap() - self.json["score"].as_i64().unwrap(),
            lost,
            "{}: score",
            self.what
        );
        let passed = self.json["passed"].as_bool().unwrap();
        assert_eq!(self.code, if passed { 0 } else { 1 }, "{}", self.what);
        if self.json["pass_mark"] == "100%" {
            assert!(!passed, "{}: a broken lab must not pass", self.what);
        }
    }

    /// The finding's `field` (cause, fix, found) contains each of `parts`.
    fn expect_says(&self, id: &str, field: &str, parts: &[&str]) {
        let f = self.finding(id);
        let said = f[field].as_str().unwrap_or_default();
        for p in parts {
            assert!(
                said.contains(p),
                "{}: {id}'s {field} should mention {p:?}: {said:?}",
                self.what
            );
        }
    }

    /// One line for the summary: score, verdict, and each failure's found and cause.
    fn summary(&self) -> String {
        let mut s = format!(
            "{}: {} {}",
            self.what,
            self.score(),
            if self.json["passed"] == true {
                "PASSED"
            } else {
                "FAILED"
            }
        );
        for f in self.not_passed() {
            s.push_str(&format!(
                "\n      {} {}: found {}; cause {}",
                f["outcome"].as_str().unwrap_or_default(),
                f["id"].as_str().unwrap_or_default(),
                f["found"],
                f["cause"]
            ));
        }
        s
    }
}

/// One lab's run: its turn (with its claim on the base), what it made, what it found.
struct Ctx {
    g: Guard,
    project: String,
    summary: Vec<String>,
    // Dropped after `g` (fields drop in order): the turn passes on once the lab has
    // cleaned up, and the base goes, if no lab wants it any more, after that.
    turn: Turn,
}

impl Ctx {
    /// Waits for the lab's turn, checks that the fixed names and ports are free (or the
    /// test's own leftovers), and builds the base image if no lab has yet.
    fn new(what: &str) -> Ctx {
        let turn = Turn::take(&BASE_USE);
        let base = turn.base.clone();
        let mut summary = vec![format!("{what}:")];
        if let Some(t) = turn.built_in {
            summary.push(format!("  (the base image {base} built in {t:.0?})"));
        }
        Ctx {
            g: Guard {
                base,
                base_ids: turn.base_ids.clone(),
                containers: Vec::new(),
                tags: Vec::new(),
                networks: Vec::new(),
                projects: Vec::new(),
                dirs: Vec::new(),
            },
            project: format!("labgradeseed{}", std::process::id()),
            summary,
            turn,
        }
    }

    /// `docker build --build-arg BASE=<base>` of a folder, tagged with `tags`.
    fn build_in(&mut self, dir: &Path, tags: &[&str]) {
        self.g.tags.extend(tags.iter().map(|t| t.to_string()));
        let mut args = vec![
            "build".to_string(),
            "--force-rm".into(),
            "--build-arg".into(),
            format!("BASE={}", self.g.base),
            "--label".into(),
            format!("{SAMPLE_LABEL}=1"),
        ];
        for t in tags {
            args.extend(["-t".to_string(), t.to_string()]);
        }
        args.push(dir.display().to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = docker_cmd(&args).output_within(BUILD_TIME);
        assert!(
            out.status.success(),
            "docker build of {} failed:\n{}{}",
            dir.display(),
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    fn build(&mut self, lab: &str, tags: &[&str]) {
        self.build_in(&lab_dir(lab), tags);
    }

    /// `docker run -d --name NAME ARGS IMAGE`, as the lab tells students.
    fn run(&mut self, name: &str, args: &[&str], image: &str) {
        self.g.containers.push(name.to_string());
        let label = format!("{SAMPLE_LABEL}=1");
        let mut all = vec!["run", "-d", "--name", name, "--label", &label];
        all.extend(args);
        all.push(image);
        docker(&all);
    }

    fn rm(&mut self, name: &str) {
        docker(&["rm", "-f", "-v", name]);
        self.g.containers.retain(|c| c != name);
    }

    /// `labgrade check SPEC --format json [--dir DIR]`.
    fn check(&mut self, spec_file: &str, dir: Option<&Path>, what: &str) -> Report {
        let mut cmd = common::labgrade();
        cmd.arg("check")
            .arg(spec(spec_file))
            .args(["--format", "json"]);
        if let Some(d) = dir {
            cmd.arg("--dir").arg(d);
        }
        let out = cmd.output_within(CHECK_TIME);
        let what = format!("{spec_file} on {what}");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{what}: the report is not JSON ({e}); stdout: {} stderr: {}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
        let r = Report {
            what,
            code: out.status.code().unwrap_or(-1),
            json,
        };
        self.summary.push(format!("  {}", r.summary()));
        r
    }

    /// `labgrade record` of the running reference `container` (with `--get` for each
    /// path), then the recorded spec checked against that reference: it must pass whole.
    fn record_passes(&mut self, container: &str, gets: &[&str], dir: Option<&Path>) {
        let tmp = tempfile::tempdir().unwrap();
        let spec = tmp.path().join("recorded.yaml");
        let mut cmd = common::labgrade();
        cmd.args(["record", "--container", container, "-o"])
            .arg(&spec);
        for g in gets {
            cmd.args(["--get", g]);
        }
        let out = cmd.output_within(CHECK_TIME);
        assert!(
            out.status.success(),
            "record {container}: {}",
            text(&out.stderr)
        );
        let written = std::fs::read_to_string(&spec).unwrap();
        let mut check = common::labgrade();
        check.arg("check").arg(&spec).args(["--format", "json"]);
        if let Some(d) = dir {
            check.arg("--dir").arg(d);
        }
        let out = check.output_within(CHECK_TIME);
        let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "recorded spec's report is not JSON ({e}): {}",
                text(&out.stderr)
            )
        });
        let r = Report {
            what: format!("the spec recorded from {container}:\n{written}"),
            code: out.status.code().unwrap_or(-1),
            json,
        };
        self.summary.push(format!("  recorded: {}", r.summary()));
        r.expect_full_score();
    }

    /// The compose lab in a copy of `lab` (compose bind-mounts the project folder, which
    /// must not be the repository's): `docker-compose up -d`, or the same through the CLI.
    fn compose_up(&mut self, lab: &str) -> PathBuf {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("product-api");
        copy_dir(&lab_dir(lab), &dir);
        self.g.dirs.push(tmp);
        let p = self.project.clone();
        // The image compose would build for service web (`<project>_web`), built here with
        // the local base, so `up` finds it and builds nothing.
        let image = format!("{p}_web");
        self.build_in(&dir, &[&image]);
        let by_compose = compose_works();
        self.g.projects.push((p.clone(), dir.clone(), by_compose));
        if by_compose {
            let out = Command::new("docker-compose")
                .args(["-p", &p, "up", "-d", "--no-build"])
                .current_dir(&dir)
                .output_within(DOCKER_TIME);
            assert!(
                out.status.success(),
                "docker-compose up failed: {}",
                text(&out.stderr)
            );
        } else {
            // What compose v1 does: a project network, and a container with its labels.
            let compose = std::fs::read_to_string(dir.join("docker-compose.yml")).unwrap();
            let net = format!("{p}_default");
            self.g.networks.push(net.clone());
            docker(&[
                "network",
                "create",
                "--label",
                &format!("{SAMPLE_LABEL}=1"),
                &net,
            ]);
            let mount = format!("{}:/app", dir.display());
            let labels = [
                format!("com.docker.compose.project={p}"),
                "com.docker.compose.service=web".into(),
                "com.docker.compose.oneoff=False".into(),
                "com.docker.compose.container-number=1".into(),
                format!("com.docker.compose.project.working_dir={}", dir.display()),
            ];
            let mut args: Vec<&str> = vec!["--network", &net, "-p", "5000:5000"];
            args.extend(["-e", "FLASK_ENV=development"]);
            if compose.contains(".:/app") {
                args.extend(["-v", &mount]);
            }
            for l in &labels {
                args.extend(["--label", l]);
            }
            self.run(&format!("{p}_web_1"), &args, &image);
        }
        self.summary.push(format!(
            "  (the compose lab run by {})",
            if by_compose {
                "docker-compose"
            } else {
                "the docker CLI with compose's labels"
            }
        ));
        // No wait here: labgrade waits for a starting app itself, and does not take
        // Docker's embedded DNS (127.0.0.11, on every compose network) for the app.
        dir
    }
}

/// Seed 003: nautilus-python-app.yaml and nautilus-python-app-full.yaml.
fn nautilus(cx: &mut Ctx) {
    let (image, name) = ("nautilus/python-app", "pythonapp_nautilus");
    let start = |cx: &mut Ctx, lab: &str| {
        cx.build(lab, &[image]);
        cx.run(name, &["-p", "8097:8088"], image);
    };
    let reference = lab_dir("nautilus-python-app");
    start(cx, "nautilus-python-app");
    cx.check("nautilus-python-app.yaml", None, "the reference")
        .expect_full_score();
    cx.record_passes(name, &["/"], None);
    cx.check(
        "nautilus-python-app-full.yaml",
        Some(&reference),
        "the reference",
    )
    .expect_full_score();
    cx.rm(name);

    // The app bound to 127.0.0.1: the published port cannot reach it.
    start(cx, "nautilus-python-app-loopback");
    // Both specs fail it: the full one's 80% pass mark cannot be reached without the
    // answer through 8097, which is worth most.
    let http = "http:pythonapp_nautilus:GET /";
    for s in ["nautilus-python-app.yaml", "nautilus-python-app-full.yaml"] {
        let r = cx.check(
            s,
            Some(&lab_dir("nautilus-python-app-loopback")),
            "app bound to 127.0.0.1",
        );
        r.expect_failures(&[http], &[]);
        assert_eq!(
            r.json["passed"], false,
            "{s}: an app nobody can reach fails"
        );
        // The line of the seed's own code that binds loopback, read from the image.
        r.expect_says(http, "cause", &["127.0.0.1:8088", "server.py, line "]);
        r.expect_says(http, "fix", &["host=\"0.0.0.0\", port=8088"]);
    }
    cx.rm(name);

    // The pitfall seed 003 warns about: `COPY src/ .` before `RUN pip install`.
    let lab = "nautilus-python-app-copy-before-install";
    start(cx, lab);
    let r = cx.check(
        "nautilus-python-app-full.yaml",
        Some(&lab_dir(lab)),
        "COPY src/ . before pip install",
    );
    let order = "layer-order:nautilus/python-app";
    r.expect_failures(&[order, "dockerfile:LG002"], &[]);
    r.expect_says(
        order,
        "cause",
        &["copied before the dependencies are installed"],
    );
    r.expect_says(order, "fix", &["requirements.txt"]);
    cx.rm(name);

    // The seed's own folder has no .dockerignore, which the full task asks for.
    let lab = "nautilus-python-app-no-dockerignore";
    start(cx, lab);
    let r = cx.check(
        "nautilus-python-app-full.yaml",
        Some(&lab_dir(lab)),
        "no .dockerignore",
    );
    r.expect_failures(&["dockerfile:LG004"], &[]);
    r.expect_says("dockerfile:LG004", "cause", &[".dockerignore"]);
    r.expect_says("dockerfile:LG004", "fix", &[".git", "__pycache__"]);
    cx.rm(name);
}

/// Seed 000: latency-service.yaml.
fn latency(cx: &mut Ctx) {
    let (image, name, spec) = ("latency-service", "latency", "latency-service.yaml");
    let (get_latency, get_ping) = ("http:latency:GET /latency", "http:latency:GET /ping");
    cx.build("latency-service", &[image]);
    cx.run(name, &["-p", "8000:8080"], image);
    cx.check(spec, None, "the reference").expect_full_score();
    cx.record_passes(name, &["/latency", "/ping"], None);
    cx.rm(name);

    // The seed's first run: the host port forwarded to 8000 while the app listens on 8080.
    cx.run(name, &["-p", "8000:8000"], image);
    let r = cx.check(spec, None, "-p 8000:8000");
    let port = "port:latency:8000:8080";
    r.expect_failures(&[port, get_latency, get_ping], &[]);
    r.expect_says(port, "cause", &["not 8080"]);
    r.expect_says(port, "fix", &["-p 8000:8080"]);
    assert_eq!(r.finding(get_latency)["because_of"], port, "{}", r.what);
    cx.rm(name);

    // The app listening on 8000 inside (the host port) instead of the lab's 8080.
    cx.build("latency-service-listens-on-8000", &[image]);
    cx.run(name, &["-p", "8000:8080"], image);
    let r = cx.check(spec, None, "app listening on 8000");
    r.expect_failures(&[get_latency, get_ping], &[]);
    r.expect_says(get_latency, "cause", &["nothing listens on 8080", "8000"]);
    r.expect_says(get_latency, "fix", &["port=8080"]);
    cx.rm(name);

    // The seed's 404: only the original /ping route.
    cx.build("latency-service-ping-only", &[image]);
    cx.run(name, &["-p", "8000:8080"], image);
    let r = cx.check(spec, None, "only /ping");
    r.expect_failures(&[get_latency], &[]);
    r.expect_says(
        get_latency,
        "cause",
        &["app.py declares /ping — not /latency"],
    );
    r.expect_says(
        get_latency,
        "fix",
        &["in app.py, above line 16 (`@app.route(\"/ping\")`), add the line `@app.route(\"/latency\")`, so the function that answers /ping answers /latency too"],
    );
    cx.rm(name);
}

/// Seed 001: flask-echo-headers.yaml.
fn echo(cx: &mut Ctx) {
    let (name, spec) = ("flask-echo", "flask-echo-headers.yaml");
    let (image, pushed) = (
        "flask-echo-headers-server",
        "student/flask-echo-headers-server",
    );
    let tagged = "tagged:flask-echo-headers-server";
    // Built as the seed does, and tagged for the registry as its push step does.
    cx.build("flask-echo-headers", &[image, pushed]);
    cx.run(name, &["-p", "6000:6000"], image);
    cx.check(spec, None, "the reference").expect_full_score();
    // The probe's value is fresh on every run: the echo passes again.
    cx.check(spec, None, "the reference, again")
        .expect_full_score();
    cx.record_passes(name, &["/"], None);

    // The push step's `docker tag` never done.
    docker(&["rmi", pushed]);
    let r = cx.check(spec, None, "no <user>/ tag");
    r.expect_failures(&[tagged], &[]);
    r.expect_says(tagged, "fix", &["docker tag flask-echo-headers-server"]);
    cx.rm(name);

    // A hard-coded answer (with the probe value an earlier report showed).
    cx.build("flask-echo-headers-hardcoded", &[image, pushed]);
    cx.run(name, &["-p", "6000:6000"], image);
    let r = cx.check(spec, None, "a hard-coded answer");
    let http = "http:flask-echo:GET /";
    r.expect_failures(&[http], &[]);
    r.expect_says(http, "found", &["X-Labgrade-Probe", "echo-me-7f3a"]);
    r.expect_says(http, "cause", &["fixed text, not from the request"]);
    r.expect_says(
        http,
        "fix",
        &[
            "in app.py, line 3, change `from flask import Flask, jsonify` to `from flask import Flask, jsonify, request`",
            "replace lines 9 to 14 (the `return` that answers fixed text) with `return jsonify({\"headers\": dict(request.headers)})`",
        ],
    );
    cx.rm(name);

    // The app fixed and rebuilt, but not tagged again: the <user>/ tag stays on the old
    // (hard-coded) build.
    cx.build("flask-echo-headers", &[image]);
    cx.run(name, &["-p", "6000:6000"], image);
    let r = cx.check(spec, None, "the <user>/ tag left on an older build");
    r.expect_failures(&[tagged], &[]);
    r.expect_says(tagged, "cause", &[pushed, "another build"]);
    r.expect_says(tagged, "fix", &[&format!("docker tag {image} {pushed}")]);
    cx.rm(name);
}

/// Seed 002, parts B, C, D: hello-docker.yaml.
fn hello(cx: &mut Ctx) {
    let spec = "hello-docker.yaml";
    cx.build("hello-v1", &["hello:v1"]);
    cx.build("hello-v2", &["hello:v2"]);
    cx.build("hello-v3", &["hello:v3"]);
    cx.run("hello-web", &["-p", "5000:5000"], "hello:v3");
    let r = cx.check(spec, None, "the reference");
    r.expect_full_score();
    r.expect_says("run:hello:v1#2", "found", &["Today is 20"]);
    cx.record_passes("hello-web", &["/"], None);

    // Part B: the greeting without today's date.
    cx.build("hello-v1-no-date", &["hello:v1"]);
    let r = cx.check(spec, None, "hello:v1 printing no date");
    r.expect_failures(&["run:hello:v1#2"], &[]);
    r.expect_says("run:hello:v1#2", "cause", &["Hello from Docker!"]);
    cx.build("hello-v1", &["hello:v1"]);

    // Part C: everything copied before the install.
    cx.build("hello-v2-copy-before-install", &["hello:v2"]);
    let r = cx.check(spec, None, "hello:v2 with COPY . . before pip install");
    r.expect_failures(&["layer-order:hello:v2"], &[]);
    r.expect_says(
        "layer-order:hello:v2",
        "cause",
        &["copied before the dependencies are installed"],
    );
    cx.rm("hello-web");
}

/// Seed 004: product-api.yaml.
fn product_api(cx: &mut Ctx) {
    let (image, name, spec) = ("product-api", "product-api", "product-api.yaml");
    let run = ["-p", "5000:5000", "-e", "FLASK_ENV=production"];
    cx.build("product-api", &[image]);
    cx.run(name, &run, image);
    cx.check(spec, None, "the reference").expect_full_score();
    cx.record_passes(name, &["/", "/health"], None);
    cx.rm(name);

    // Started without -e FLASK_ENV=production.
    cx.run(name, &["-p", "5000:5000"], image);
    let r = cx.check(spec, None, "no -e FLASK_ENV");
    let env = "env:product-api:FLASK_ENV";
    r.expect_failures(&[env], &[]);
    r.expect_says(env, "fix", &["-e FLASK_ENV=production"]);
    cx.rm(name);

    // No /health route.
    cx.build("product-api-no-health", &[image]);
    cx.run(name, &run, image);
    let r = cx.check(spec, None, "no /health route");
    let health = "http:product-api:GET /health";
    r.expect_failures(&[health], &[]);
    r.expect_says(
        health,
        "cause",
        &["app.py declares /products — not /health"],
    );
    cx.rm(name);

    // Seed 004's "Bad: Slow Rebuilds".
    cx.build("product-api-copy-before-install", &[image]);
    cx.run(name, &run, image);
    let r = cx.check(spec, None, "COPY . . before pip install");
    r.expect_failures(&["layer-order:product-api"], &[]);
    cx.rm(name);
}

/// Seed 004, the compose variant: product-api-compose.yaml.
fn product_api_compose(cx: &mut Ctx) {
    let spec = "product-api-compose.yaml";
    let dir = cx.compose_up("product-api");
    cx.check(spec, Some(&dir), "the reference")
        .expect_full_score();
    let web = format!("{}_web_1", cx.project);
    cx.record_passes(&web, &["/", "/health"], Some(&dir));
    cx.g.remove_containers();

    // No volumes: the code is not mounted at /app.
    let dir = cx.compose_up("product-api-compose-no-volume");
    let r = cx.check(spec, Some(&dir), "no volumes: entry");
    r.expect_failures(&["mount:web:/app"], &[]);
    r.expect_says("mount:web:/app", "cause", &["/app"]);
}

impl Drop for Ctx {
    /// The lab's summary, pass or fail (shown with `--nocapture`, or under a failure);
    /// printed at once, so labs' summaries never interleave.
    fn drop(&mut self) {
        let verdict = if std::thread::panicking() {
            "FAILED: see the panic"
        } else {
            "ok"
        };
        println!(
            "{}\n({verdict}, {:.0?} for this lab after {:.0?} waiting for its turn)",
            self.summary.join("\n"),
            self.turn.started.elapsed(),
            self.turn.waited
        );
    }
}

#[test]
fn seed_000_latency_service() {
    latency(&mut Ctx::new("seed 000, latency"));
}

#[test]
fn seed_001_flask_echo_headers() {
    echo(&mut Ctx::new("seed 001, flask echo"));
}

#[test]
fn seed_002_hello_docker() {
    hello(&mut Ctx::new("seed 002, hello"));
}

#[test]
fn seed_003_nautilus_python_app() {
    nautilus(&mut Ctx::new("seed 003, nautilus"));
}

#[test]
fn seed_004_product_api() {
    product_api(&mut Ctx::new("seed 004, product api"));
}

#[test]
fn seed_004_product_api_compose() {
    product_api_compose(&mut Ctx::new("seed 004, compose"));
}
