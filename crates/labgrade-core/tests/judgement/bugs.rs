//! Judgements that look wrong: each test states what the judgement should say for
//! realistic facts, and is ignored until the judging is fixed (run them with
//! `cargo test -p labgrade-core -- --ignored`).

use labgrade_core::cause::CauseId;
use labgrade_core::verdict::Outcome;

use crate::common::*;

#[test]
fn compose_network_names_carry_the_project_prefix() {
    let spec = "containers:\n  - service: web\n    project: product-api\n    networks: [backend]\n";
    let facts = FactsBuilder::new()
        .container_as("web", "product-api-web-1", |c| {
            c.image("product-api-web")
                .compose("product-api", "web")
                .networks(["product-api_backend"])
        })
        .build();
    let v = verdict(spec, &facts);
    assert_eq!(finding(&v, "network:web:backend").outcome, Outcome::Pass);
}

#[test]
fn compose_volume_names_carry_the_project_prefix() {
    let spec = "containers:\n  - service: db\n    project: product-api\n    mounts:\n      - {source: db-data, destination: /var/lib/postgresql/data, type: volume}\n";
    let facts = FactsBuilder::new()
        .container_as("db", "product-api-db-1", |c| {
            c.image("postgres:16").compose("product-api", "db").mount(
                "volume",
                "product-api_db-data",
                "/var/lib/postgresql/data",
            )
        })
        .build();
    let v = verdict(spec, &facts);
    assert_eq!(
        finding(&v, "mount:db:/var/lib/postgresql/data").outcome,
        Outcome::Pass
    );
}

#[test]
#[ignore = "bug: layer order passes when the whole code is copied before the install, as long as any COPY comes after it"]
fn code_copied_before_the_install_fails_even_with_a_later_copy() {
    let spec = "images:\n  - name: hello:v2\n    deps_before_code: true\n";
    let facts = FactsBuilder::new()
        .image("hello:v2", |i| {
            i.history([
                "WORKDIR /app",
                "COPY . . # buildkit",
                "RUN /bin/sh -c pip install -r requirements.txt # buildkit",
                "COPY entrypoint.sh /usr/local/bin/ # buildkit",
                "CMD [\"python\" \"app.py\"]",
            ])
        })
        .build();
    let v = verdict(spec, &facts);
    let f = finding(&v, "layer-order:hello:v2");
    assert_eq!(f.cause_id, Some(CauseId::CodeBeforeDeps), "{f:?}");
}

#[test]
fn a_restarting_container_keeps_the_ports_it_was_run_with() {
    let spec = "image: nautilus/python-app\ncontainer: web\nports: [\"8097:8088\"]\n";
    let facts = FactsBuilder::new()
        .image("nautilus/python-app", |i| i.exposed(8088))
        .container("web", |c| {
            c.image("nautilus/python-app")
                .published(8097, 8088)
                .restarting(4)
                .log(["ModuleNotFoundError: No module named 'flask'"])
        })
        .build();
    // The builder models Docker: Running and Restarting, nothing in NetworkSettings.Ports.
    assert!(
        facts.containers["web"]
            .as_ref()
            .unwrap()
            .published
            .is_empty()
    );
    let v = verdict(spec, &facts);
    let p = finding(&v, "port:web:8097:8088");
    assert_eq!(p.outcome, Outcome::Pass, "{p:?}");
}

#[test]
fn loopback_on_another_port_fix_names_the_port() {
    let spec =
        "container: web\nimage: nautilus/python-app\nports: [\"8097:8088\"]\nhttp:\n  - get: /\n";
    let facts = FactsBuilder::new()
        .image("nautilus/python-app", |i| i)
        .container("web", |c| {
            c.image("nautilus/python-app")
                .published(8097, 8088)
                .listening("127.0.0.1", 5000)
        })
        .probe(
            "http:web:GET /",
            "http://127.0.0.1:8097/",
            failed(labgrade_core::facts::TransportError::EmptyReply),
        )
        .build();
    let v = verdict(spec, &facts);
    let fix = finding(&v, "http:web:GET /").fix.clone().unwrap();
    assert!(!fix.contains("port=..."), "{fix}");
    assert!(fix.contains("port=8088"), "{fix}");
}
