//! `port:` — the container's port is published on the wanted host port (and address).

use labgrade_core::cause::CauseId;

use crate::common::*;

const SPEC: &str = "container: web\nimage: nautilus/python-app\nports: [\"8097:8088\"]\n";
const CHECK: &str = "port:web:8097:8088";
const LOOPBACK_SPEC: &str =
    "container: web\nimage: nautilus/python-app\nports: [\"127.0.0.1:8097:8088\"]\n";

/// A running container of the image, published as `f` says.
fn web(f: impl FnOnce(ContainerB) -> ContainerB) -> FactsBuilder {
    FactsBuilder::new()
        .image("nautilus/python-app", |i| i.exposed(8088))
        .container("web", |c| {
            f(c.image("nautilus/python-app").listening("0.0.0.0", 8088))
        })
}

#[test]
fn table() {
    let loopback_check = {
        // The id of the mapping bound to an address, as the plan names it.
        let v = verdict(LOOPBACK_SPEC, &web(|c| c).build());
        v.findings
            .iter()
            .find(|f| f.id.starts_with("port:"))
            .unwrap()
            .id
            .clone()
    };
    assert_eq!(loopback_check, "port:web:127.0.0.1:8097:8088");
    let cases = [
        Case::passes("published", SPEC, CHECK, web(|c| c.published(8097, 8088))),
        Case::passes(
            "published on loopback, no address asked",
            SPEC,
            CHECK,
            web(|c| c.published_on("127.0.0.1", 8097, 8088)),
        ),
        Case::passes(
            "stopped: what docker run asked counts",
            SPEC,
            CHECK,
            web(|c| c.published(8097, 8088).exited(1)),
        ),
        Case::fails(
            "host address: all addresses, loopback asked",
            LOOPBACK_SPEC,
            "port:web:127.0.0.1:8097:8088",
            CauseId::HostIpMismatch,
            web(|c| c.published(8097, 8088)),
        ),
        Case::fails(
            "host address: another interface",
            SPEC,
            CHECK,
            CauseId::HostIpMismatch,
            web(|c| c.published_on("192.168.1.20", 8097, 8088)),
        ),
        Case::fails(
            "docker run options after the image name: nothing published",
            SPEC,
            CHECK,
            CauseId::OptionsAfterImage,
            web(|c| c.command(["-p", "8097:8088"])),
        ),
        Case::fails(
            "wrong container port (-p 8097:8080)",
            SPEC,
            CHECK,
            CauseId::WrongContainerPort,
            web(|c| c.published(8097, 8080)),
        ),
        Case::fails(
            "wrong host port (-p 8098:8088)",
            SPEC,
            CHECK,
            CauseId::WrongHostPort,
            web(|c| c.published(8098, 8088)),
        ),
        Case::fails(
            "EXPOSE but no -p",
            SPEC,
            CHECK,
            CauseId::ExposeNotPublish,
            web(|c| c.exposed(8088)),
        ),
        Case::fails(
            "no -p at all",
            SPEC,
            CHECK,
            CauseId::NoPortsPublished,
            web(|c| c),
        ),
        Case::fails(
            "another mapping only",
            SPEC,
            CHECK,
            CauseId::PortNotPublished,
            web(|c| c.published(9000, 9000)),
        ),
    ];
    insta::assert_snapshot!("port", run_table(&cases));
}
