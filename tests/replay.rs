//! The verdict replayed on facts recorded from real containers (`labgrade check
//! --save-facts`): each folder under tests/fixtures holds the spec and the facts of one
//! situation a student gets into. No daemon is needed.

use std::path::Path;

use labgrade::facts::Facts;
use labgrade::plan::Plan;
use labgrade::spec::Spec;
use labgrade::verdict::{Finding, Outcome, Verdict, judge};

fn replay(name: &str) -> Verdict {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let spec = labgrade::plan::load(&dir.join("spec.yaml")).unwrap();
    let facts: Facts =
        serde_json::from_str(&std::fs::read_to_string(dir.join("facts.json")).unwrap()).unwrap();
    judge(&Plan::for_facts(&spec, &facts), &facts)
}

fn get<'a>(v: &'a Verdict, prefix: &str) -> &'a Finding {
    v.findings
        .iter()
        .find(|f| f.id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in {v:#?}"))
}

#[test]
fn passing_lab() {
    let v = replay("passing");
    assert!(v.passed);
    assert_eq!((v.score, v.max_score, v.pass_points), (11, 11, 11));
    assert!(
        v.findings
            .iter()
            .all(|f| f.outcome == Outcome::Pass && f.cause.is_none())
    );
}

#[test]
fn loopback_binding() {
    let v = replay("loopback");
    assert!(!v.passed);
    assert_eq!(v.score, 8);
    let h = get(&v, "http:");
    assert_eq!(h.outcome, Outcome::Fail);
    assert_eq!(h.found, "connection reset");
    // Recorded from the sample run with `--listen 127.0.0.1:8088` after the image name:
    // those words, not the image's CMD, asked for loopback.
    assert_eq!(
        h.cause.as_deref(),
        Some(
            "the app listens on 127.0.0.1:8088 inside the container, so the published port cannot reach it: the words after the image name on `docker run` (`--listen 127.0.0.1:8088`) replace the image's CMD [\"--listen\", \"0.0.0.0:8088\"] and ask for loopback"
        )
    );
    assert!(
        h.fix
            .as_deref()
            .unwrap()
            .starts_with("docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 "),
        "{:?}",
        h.fix
    );
}

#[test]
fn app_on_another_port_inside() {
    let v = replay("inner-port");
    let h = get(&v, "http:");
    assert_eq!(
        h.cause.as_deref(),
        Some("nothing listens on 8088 inside the container; the app listens on 8080")
    );
    assert_eq!(
        h.fix.as_deref(),
        Some(
            "make the app listen on port 8088, the port the lab asks for (e.g. app.run(host='0.0.0.0', port=8088)), then: docker build -t nautilus/python-app . && docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app"
        )
    );
}

#[test]
fn exited_with_missing_module() {
    let v = replay("exited");
    let r = get(&v, "running:");
    assert_eq!(r.outcome, Outcome::Fail);
    assert_eq!(r.found, "exited with code 1");
    assert!(
        r.cause
            .as_deref()
            .unwrap()
            .contains("ModuleNotFoundError: No module named 'flask'")
    );
    let h = get(&v, "http:");
    assert_eq!(h.outcome, Outcome::Skipped);
    assert_eq!(h.because_of.as_deref(), Some("running:pythonapp_nautilus"));
    assert_eq!(h.points, 0);
}

#[test]
fn published_on_the_wrong_host_port() {
    let v = replay("host-port");
    let p = get(&v, "port:");
    assert_eq!(p.found, "8098->8088/tcp");
    assert_eq!(
        p.cause.as_deref(),
        Some("port 8088 is published on host port 8098, not 8097")
    );
    assert_eq!(
        p.fix.as_deref(),
        Some(
            "docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app"
        )
    );
    let h = get(&v, "http:");
    assert_eq!(h.found, "connection refused");
    assert_eq!(
        h.because_of.as_deref(),
        Some("port:pythonapp_nautilus:8097:8088")
    );
}

#[test]
fn container_name_near_miss() {
    let v = replay("near-miss-name");
    let c = get(&v, "container:");
    assert_eq!(
        c.cause.as_deref(),
        Some("the container is named pythonapp-nautilus instead of pythonapp_nautilus")
    );
    assert_eq!(
        c.fix.as_deref(),
        Some("docker rename pythonapp-nautilus pythonapp_nautilus")
    );
    for prefix in ["running:", "from-image:", "port:", "http:"] {
        assert_eq!(get(&v, prefix).outcome, Outcome::Skipped, "{prefix}");
    }
    assert_eq!(v.score, 2);
}

#[test]
fn missing_route() {
    let v = replay("route-404");
    let h = get(&v, "http:");
    assert_eq!(h.found, "status 404");
    assert_eq!(
        h.cause.as_deref(),
        Some("/ is 404 but /ping answers 200: the app has no route /")
    );
    assert_eq!(
        h.fix.as_deref(),
        Some("add the route / to the app (for Flask: @app.route(\"/\"))")
    );
}

#[test]
fn server_error() {
    let v = replay("server-error");
    let h = get(&v, "http:");
    assert_eq!(h.found, "status 500");
    assert_eq!(
        h.cause.as_deref(),
        Some(
            "the app failed while answering; its log says \"ZeroDivisionError: division by zero\""
        )
    );
    assert!(
        h.evidence
            .iter()
            .any(|e| e == "log: Traceback (most recent call last):"),
        "{:?}",
        h.evidence
    );
    assert_eq!(v.root_cause.as_deref(), Some(h.id.as_str()));
}

#[test]
fn expose_is_not_publish() {
    let v = replay("expose-only");
    let p = get(&v, "port:");
    assert_eq!(
        p.cause.as_deref(),
        Some(
            "the image EXPOSEs 8088, but EXPOSE only documents a port: nothing is published until you run with -p 8097:8088"
        )
    );
    assert_eq!(get(&v, "http:").because_of.as_deref(), Some(p.id.as_str()));
    assert_eq!(v.root_cause.as_deref(), Some(p.id.as_str()));
}

#[test]
fn image_under_another_tag() {
    let v = replay("wrong-tag");
    let i = get(&v, "image:");
    assert_eq!(
        i.cause.as_deref(),
        Some("the image is tagged v1 instead of latest")
    );
    assert_eq!(
        i.fix.as_deref(),
        Some("docker tag nautilus/python-app:v1 nautilus/python-app")
    );
    // The container runs the v1 image, which is the same build: only the tag is missing.
    assert_eq!(get(&v, "from-image:").outcome, Outcome::Fail);
}

#[test]
fn host_port_taken_by_another_container() {
    let v = replay("port-taken");
    let r = get(&v, "running:");
    assert_eq!(r.found, "created, never started");
    assert_eq!(
        r.cause.as_deref(),
        Some(
            "the host port is already taken by another container or program, so Docker could not publish it"
        )
    );
    assert!(
        r.fix
            .as_deref()
            .unwrap()
            .ends_with("then docker start pythonapp_nautilus")
    );
}

#[test]
fn pass_mark_in_percent_lets_a_partial_lab_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/loopback");
    let mut spec = labgrade::plan::load(&dir.join("spec.yaml")).unwrap();
    spec.pass_mark = "70%".parse().unwrap();
    let facts: Facts =
        serde_json::from_str(&std::fs::read_to_string(dir.join("facts.json")).unwrap()).unwrap();
    let v = judge(&Plan::new(&spec), &facts);
    assert_eq!((v.score, v.pass_points, v.passed), (8, 8, true));
}

#[test]
fn shipped_specs_and_documented_examples_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut count = 0;
    for entry in std::fs::read_dir(root.join("specs")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "yaml") {
            labgrade::plan::load(&p).unwrap_or_else(|e| panic!("{e}"));
            count += 1;
        }
    }
    assert!(count > 0);
    for doc in ["README.md", "docs/spec.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for block in text.split("```yaml\n").skip(1) {
            let yaml = block.split("```").next().unwrap();
            let yaml = if yaml.starts_with("http:") {
                format!("container: web\nports: [\"9000:9000\"]\n{yaml}")
            } else {
                yaml.to_string()
            };
            Spec::parse(&yaml, doc).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn checked_in_json_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/spec.schema.json");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        on_disk == Spec::json_schema(),
        "docs/spec.schema.json is stale: run `cargo run -- schema > docs/spec.schema.json`"
    );
}

#[test]
fn killed_for_memory() {
    let v = replay("oom");
    let r = get(&v, "running:");
    assert_eq!(r.found, "exited (killed: out of memory)");
    assert_eq!(
        r.cause.as_deref(),
        Some("the container ran out of memory and was killed")
    );
}

#[test]
fn crash_loop() {
    let v = replay("crash-loop");
    let r = get(&v, "running:");
    assert!(r.found.starts_with("restarting (restarted "), "{}", r.found);
    assert!(
        r.cause.as_deref().unwrap().starts_with(
            "the CMD runs /app/server.py, which is not in the image at that path; the app keeps crashing"
        ),
        "{:?}",
        r.cause
    );
    assert!(r.evidence.iter().any(|e| e.contains("can't open file")));
}

#[test]
fn paused() {
    let v = replay("paused");
    let r = get(&v, "running:");
    assert_eq!(r.found, "paused");
    assert_eq!(r.fix.as_deref(), Some("docker unpause pythonapp_nautilus"));
    assert_eq!(get(&v, "http:").outcome, Outcome::Skipped);
}

#[test]
fn published_on_another_address_only() {
    let v = replay("other-address");
    let p = get(&v, "port:");
    assert_eq!(p.found, "172.17.0.1:8097->8088/tcp");
    assert_eq!(
        p.cause.as_deref(),
        Some(
            "port 8097 is published on host address 172.17.0.1, but the lab asks for all addresses"
        )
    );
}

#[test]
fn right_image_under_another_name() {
    let v = replay("other-name");
    let c = get(&v, "container:");
    assert_eq!(
        c.cause.as_deref(),
        Some(
            "a container of the right image exists, but it is named web instead of pythonapp_nautilus"
        )
    );
    assert_eq!(
        c.fix.as_deref(),
        Some("docker rename web pythonapp_nautilus")
    );
}

#[test]
fn right_name_another_image() {
    let v = replay("other-image");
    let f = get(&v, "from-image:");
    assert_eq!(f.outcome, Outcome::Fail);
    assert_eq!(
        f.cause.as_deref(),
        Some("the container runs other/app instead of nautilus/python-app")
    );
    assert_eq!(
        f.fix.as_deref(),
        Some(
            "docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app"
        )
    );
}

#[test]
fn checked_in_report_schema_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/report.schema.json");
    assert!(
        std::fs::read_to_string(&path).unwrap() == labgrade::report::Report::json_schema(),
        "docs/report.schema.json is stale: run `cargo run -- schema report > docs/report.schema.json`"
    );
}

/// Every recorded failure is diagnosed with the cause id it is there for: the ids are
/// what dashboards count, so a wording change must not move them.
#[test]
fn every_fixture_names_its_cause_id() {
    use labgrade::cause::CauseId::*;
    let cases = [
        ("loopback", "http:", LoopbackBind),
        ("inner-port", "http:", AppWrongPort),
        ("exited", "running:", ModuleNotFound),
        ("host-port", "port:", WrongHostPort),
        ("near-miss-name", "container:", ContainerMisnamed),
        ("route-404", "http:", RouteMissing),
        ("server-error", "http:", AppErrorOnRequest),
        ("expose-only", "port:", ExposeNotPublish),
        ("wrong-tag", "image:", ImageWrongTag),
        ("port-taken", "running:", HostPortTaken),
        ("oom", "running:", OomKilled),
        ("crash-loop", "running:", FileNotInImage),
        ("paused", "running:", Paused),
        ("other-address", "port:", HostIpMismatch),
        ("other-name", "container:", ContainerMisnamed),
        ("other-image", "from-image:", WrongImage),
    ];
    let mut wrong = Vec::new();
    for (fixture, prefix, want) in cases {
        let v = replay(fixture);
        let f = get(&v, prefix);
        if f.cause_id != Some(want) {
            wrong.push(format!(
                "{fixture}: {} has {:?}, want {want:?} ({:?})",
                f.id, f.cause_id, f.cause
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    let passing = replay("passing");
    assert!(passing.findings.iter().all(|f| f.cause_id.is_none()));
}
