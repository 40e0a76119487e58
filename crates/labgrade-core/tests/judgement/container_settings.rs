//! Container settings — environment, mounts, restart policy, labels, networks — for a
//! plain container (fix: the full `docker run`) and a compose service (fix: the
//! docker-compose.yml keys and `docker compose up`).

use labgrade_core::cause::CauseId;

use crate::common::*;

const SPEC: &str = r#"container: web
image: product-api
ports: ["5000:5000"]
env: {APP_ENV: production}
mounts:
  - {source: ., destination: /app, type: bind}
  - {source: db-data, destination: /var/lib/data, type: volume}
restart: unless-stopped
labels: {course: devops}
networks: [labnet]
"#;

const COMPOSE: &str = r#"containers:
  - service: web
    project: product-api
    ports: ["5000:5000"]
    env: {FLASK_ENV: development}
    mounts:
      - {source: ., destination: /app, type: bind}
    restart: always
    networks: [backend]
"#;

/// A container set up as SPEC asks, changed by `f`.
fn web(f: impl FnOnce(ContainerB) -> ContainerB) -> FactsBuilder {
    FactsBuilder::new()
        .image("product-api", |i| i.exposed(5000))
        .container("web", |c| {
            f(c.image("product-api")
                .published(5000, 5000)
                .env("APP_ENV=production")
                .mount("bind", "/home/alice/product-api", "/app")
                .mount("volume", "db-data", "/var/lib/data")
                .restart("unless-stopped")
                .label("course", "devops")
                .networks(["labnet"]))
        })
}

/// The container compose made for COMPOSE's service, changed by `f`.
fn service(f: impl FnOnce(ContainerB) -> ContainerB) -> FactsBuilder {
    FactsBuilder::new().container_as("web", "product-api-web-1", |c| {
        f(c.image("product-api-web")
            .compose("product-api", "web")
            .published(5000, 5000)
            .env("FLASK_ENV=development")
            .mount("bind", "/home/alice/product-api", "/app")
            .restart("always"))
    })
}

#[test]
fn table() {
    let cases = [
        Case::passes("env: set", SPEC, "env:web:APP_ENV", web(|c| c)),
        Case::fails(
            "env: another value",
            SPEC,
            "env:web:APP_ENV",
            CauseId::WrongEnvValue,
            web(|mut c| {
                c.0.env.retain(|e| !e.starts_with("APP_ENV="));
                c.env("APP_ENV=development")
            }),
        ),
        Case::fails(
            "env: not set",
            SPEC,
            "env:web:APP_ENV",
            CauseId::MissingEnvVar,
            web(|mut c| {
                c.0.env.retain(|e| !e.starts_with("APP_ENV="));
                c
            }),
        ),
        Case::passes(
            "mount: bind of the project",
            SPEC,
            "mount:web:/app",
            web(|c| c),
        ),
        Case::fails(
            "mount: nothing at the path",
            SPEC,
            "mount:web:/app",
            CauseId::MountMissing,
            web(|mut c| {
                c.0.mounts.retain(|m| m.destination != "/app");
                c
            }),
        ),
        Case::fails(
            "mount: a volume where a bind is asked",
            SPEC,
            "mount:web:/app",
            CauseId::WrongMountKind,
            web(|mut c| {
                c.0.mounts.retain(|m| m.destination != "/app");
                c.mount("volume", "app", "/app")
            }),
        ),
        Case::fails(
            "mount: a volume of another name",
            SPEC,
            "mount:web:/var/lib/data",
            CauseId::WrongMountSource,
            web(|mut c| {
                c.0.mounts.retain(|m| m.destination != "/var/lib/data");
                c.mount(
                    "volume",
                    "3f9c1e0b7a6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a2918f7e6d5c4b3a",
                    "/var/lib/data",
                )
            }),
        ),
        Case::fails(
            "restart: none",
            SPEC,
            "restart:web",
            CauseId::WrongRestart,
            web(|c| c.restart("no")),
        ),
        Case::passes("restart: set", SPEC, "restart:web", web(|c| c)),
        Case::passes("label: set", SPEC, "label:web:course", web(|c| c)),
        Case::fails(
            "label: another value",
            SPEC,
            "label:web:course",
            CauseId::WrongLabel,
            web(|c| c.label("course", "DevOps")),
        ),
        Case::fails(
            "label: not set",
            SPEC,
            "label:web:course",
            CauseId::MissingLabel,
            web(|mut c| {
                c.0.labels.clear();
                c
            }),
        ),
        Case::passes("network: on it", SPEC, "network:web:labnet", web(|c| c)),
        Case::fails(
            "network: on the default bridge",
            SPEC,
            "network:web:labnet",
            CauseId::WrongNetwork,
            web(|c| c.networks(["bridge"])),
        ),
        // The same, for a compose service.
        Case::passes(
            "compose: all set",
            COMPOSE,
            "env:web:FLASK_ENV",
            service(|c| c.networks(["product-api_backend"])),
        ),
        Case::fails(
            "compose: env not set",
            COMPOSE,
            "env:web:FLASK_ENV",
            CauseId::MissingEnvVar,
            service(|mut c| {
                c.0.env.retain(|e| !e.starts_with("FLASK_ENV="));
                c
            }),
        ),
        // `source: .` is the project folder, which may be anywhere on the host.
        Case::passes(
            "compose: `.` matches any folder",
            COMPOSE,
            "mount:web:/app",
            service(|mut c| {
                c.0.mounts.clear();
                c.mount("bind", "/srv/grading/submission-17", "/app")
            }),
        ),
        Case::fails(
            "compose: a named volume where the bind is asked",
            COMPOSE,
            "mount:web:/app",
            CauseId::WrongMountKind,
            service(|mut c| {
                c.0.mounts.clear();
                c.mount("volume", "product-api_app", "/app")
            }),
        ),
        Case::fails(
            "compose: restart policy",
            COMPOSE,
            "restart:web",
            CauseId::WrongRestart,
            service(|c| c.restart("no")),
        ),
        Case::fails(
            "compose: network",
            COMPOSE,
            "network:web:backend",
            CauseId::WrongNetwork,
            service(|c| c),
        ),
    ];
    insta::assert_snapshot!("container_settings", run_table(&cases));
}

#[test]
fn fixes_are_live_for_a_container_and_compose_edits_for_a_service() {
    let v = verdict(SPEC, &web(|c| c.restart("no").networks(["bridge"])).build());
    assert_eq!(
        finding(&v, "restart:web").fix.as_deref(),
        Some("docker update --restart unless-stopped web")
    );
    assert_eq!(
        finding(&v, "network:web:labnet").fix.as_deref(),
        Some("docker network connect labnet web")
    );
    let v = verdict(COMPOSE, &service(|c| c.restart("no")).build());
    let fix = finding(&v, "restart:web").fix.clone().unwrap();
    assert!(
        fix.starts_with("in docker-compose.yml, give services.web "),
        "{fix}"
    );
    assert!(fix.contains("restart: always"), "{fix}");
}
