//! Prerequisites: a check whose prerequisite did not pass is skipped, with 0 points,
//! cause id `prerequisite-failed` and `because_of` naming it; the root cause is the
//! first failure that is not a consequence of another.

use labgrade_core::cause::CauseId;
use labgrade_core::verdict::Outcome;

use crate::common::*;

const FULL: &str = r#"name: everything depends on something
image: nautilus/python-app
container: pythonapp_nautilus
ports: ["8097:8088"]
env: {APP_ENV: production}
http:
  - get: /
images:
  - name: nautilus/python-app
    expose: [8088]
    cmd_contains: server.py
runs:
  - image: nautilus/python-app
    args: [python, --version]
    stdout_contains: Python 3
"#;

fn skipped(name: &str, check: &str, facts: FactsBuilder) -> Case {
    Case::fails(
        name.to_string(),
        FULL,
        check,
        CauseId::PrerequisiteFailed,
        facts,
    )
    .no_fix()
    .outcome(Outcome::Skipped)
}

fn no_image() -> FactsBuilder {
    FactsBuilder::new()
        .no_image("nautilus/python-app")
        .no_container("pythonapp_nautilus")
}

fn exited() -> FactsBuilder {
    FactsBuilder::new()
        .image("nautilus/python-app", |i| {
            i.exposed(8088).cmd(["python", "server.py"])
        })
        .container("pythonapp_nautilus", |c| {
            c.image("nautilus/python-app")
                .published(8097, 8088)
                .env("APP_ENV=production")
                .exited(1)
                .log(["ModuleNotFoundError: No module named 'flask'"])
        })
}

#[test]
fn table() {
    let cases = [
        skipped(
            "image missing: EXPOSE",
            "expose:nautilus/python-app:8088/tcp",
            no_image(),
        ),
        skipped(
            "image missing: CMD",
            "cmd-contains:nautilus/python-app",
            no_image(),
        ),
        skipped("image missing: run", "run:nautilus/python-app", no_image()),
        skipped(
            "container missing: running",
            "running:pythonapp_nautilus",
            no_image(),
        ),
        skipped(
            "container missing: image",
            "from-image:pythonapp_nautilus",
            no_image(),
        ),
        skipped(
            "container missing: port",
            "port:pythonapp_nautilus:8097:8088",
            no_image(),
        ),
        skipped(
            "container missing: env",
            "env:pythonapp_nautilus:APP_ENV",
            no_image(),
        ),
        skipped(
            "container exited: http",
            "http:pythonapp_nautilus:GET /",
            exited(),
        ),
    ];
    insta::assert_snapshot!("prerequisites", run_table(&cases));
}

#[test]
fn because_of_names_the_failed_prerequisite_and_the_root_cause_is_first() {
    let v = verdict(FULL, &no_image().build());
    let expect = [
        (
            "expose:nautilus/python-app:8088/tcp",
            "image:nautilus/python-app",
        ),
        ("run:nautilus/python-app", "image:nautilus/python-app"),
        ("running:pythonapp_nautilus", "container:pythonapp_nautilus"),
        (
            "http:pythonapp_nautilus:GET /",
            "running:pythonapp_nautilus",
        ),
    ];
    for (id, pre) in expect {
        let f = finding(&v, id);
        assert_eq!(f.because_of.as_deref(), Some(pre), "{id}");
        assert_eq!(f.found, "not checked", "{id}");
        assert_eq!(f.points, 0, "{id}");
    }
    assert_eq!(v.root_cause.as_deref(), Some("image:nautilus/python-app"));
    assert_eq!(v.score, 0);
    assert!(!v.passed);

    let v = verdict(FULL, &exited().build());
    assert_eq!(v.root_cause.as_deref(), Some("running:pythonapp_nautilus"));
    // What the exited container still tells is judged: its settings and ports.
    assert_eq!(
        finding(&v, "port:pythonapp_nautilus:8097:8088").outcome,
        Outcome::Pass
    );
    assert_eq!(
        finding(&v, "env:pythonapp_nautilus:APP_ENV").outcome,
        Outcome::Pass
    );
}

#[test]
fn a_missing_image_the_lab_runs_from_is_fixed_first() {
    // Seed 000 built as `latency` (not latency-service) and run with -p swapped: the
    // port's fix runs latency-service, which fails until the image is built, so the
    // image comes first although the port blocks more points.
    let spec = r#"image: latency-service
container: latency
ports: ["8000:8080"]
http:
  - get: /ping
"#;
    let facts = FactsBuilder::new()
        .no_image("latency-service")
        .other_image("latency:latest")
        .container("latency", |c| c.image("latency").published(8080, 8000))
        .probe(
            "http:latency:GET /ping",
            "http://127.0.0.1:8000/ping",
            failed(labgrade_core::facts::TransportError::Refused),
        )
        .build();
    let v = verdict(spec, &facts);
    assert_eq!(finding(&v, "port:latency:8000:8080").outcome, Outcome::Fail);
    assert_eq!(v.root_cause.as_deref(), Some("image:latency-service"));
    // Where no container runs from the image, the most points still come first.
    let spec = "images:\n  - name: latency-service\ncontainer: latency\nports: [\"8000:8080\"]\nhttp:\n  - get: /ping\n";
    let v = verdict(spec, &facts);
    assert_eq!(v.root_cause.as_deref(), Some("port:latency:8000:8080"));
}
