//! `pushed_to:` — the registry holds this very build under a tag of the image.

use labgrade_core::cause::CauseId;
use labgrade_core::facts::RegistryFacts;

use crate::common::*;

const IMAGE: &str = "flask-echo-headers-server";
const HUB: &str = "images:\n  - name: flask-echo-headers-server\n    pushed_to: docker.io\n";
const LOCAL: &str = "images:\n  - name: flask-echo-headers-server\n    pushed_to: localhost:5000\n";
const CHECK: &str = "pushed:flask-echo-headers-server";
const TAG: &str = "alice/flask-echo-headers-server:latest";

fn image(f: impl FnOnce(ImageB) -> ImageB) -> FactsBuilder {
    FactsBuilder::new().image(IMAGE, f)
}

fn present(digest: Option<&str>, config: Option<&str>) -> RegistryFacts {
    RegistryFacts::Present {
        digest: digest.map(str::to_string),
        config: config.map(str::to_string),
    }
}

#[test]
fn table() {
    let d1 = "sha256:5f1c0a3e0d9b8c7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a";
    let d0 = "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";
    let cases = [
        Case::passes(
            "this build, by the digest it was pushed under",
            HUB,
            CHECK,
            image(|i| {
                i.tag(TAG)
                    .digest(&format!("alice/flask-echo-headers-server@{d1}"))
                    .registry(TAG, present(Some(d1), None))
            }),
        ),
        Case::passes(
            "this build, by the image id the manifest names",
            HUB,
            CHECK,
            image(|i| {
                i.tag(TAG)
                    .registry(TAG, present(Some(d1), Some(&sha(&full(IMAGE)))))
            }),
        ),
        Case::passes(
            "present, which build not told",
            HUB,
            CHECK,
            image(|i| i.tag(TAG).registry(TAG, present(Some(d1), None))),
        ),
        Case::fails(
            "no tag names the registry (Docker Hub)",
            HUB,
            CHECK,
            CauseId::NotTaggedForRegistry,
            image(|i| i),
        ),
        Case::fails(
            "no tag names the registry (local registry)",
            LOCAL,
            CHECK,
            CauseId::NotTaggedForRegistry,
            image(|i| i.tag("alice/flask-echo-headers-server:latest")),
        ),
        Case::fails(
            "tagged, never pushed",
            HUB,
            CHECK,
            CauseId::NotPushed,
            image(|i| i.tag(TAG).registry(TAG, RegistryFacts::Absent)),
        ),
        Case::fails(
            "tagged, never pushed (local registry)",
            LOCAL,
            CHECK,
            CauseId::NotPushed,
            image(|i| {
                i.tag("localhost:5000/flask-echo-headers-server:latest")
                    .registry(
                        "localhost:5000/flask-echo-headers-server:latest",
                        RegistryFacts::Absent,
                    )
            }),
        ),
        Case::fails(
            "another build pushed (manifest names another image id)",
            HUB,
            CHECK,
            CauseId::OtherBuildPushed,
            image(|i| {
                i.tag(TAG)
                    .registry(TAG, present(Some(d0), Some(&sha("an older build"))))
            }),
        ),
        Case::fails(
            "another build pushed (a digest this image was not pushed under)",
            HUB,
            CHECK,
            CauseId::OtherBuildPushed,
            image(|i| {
                i.tag(TAG)
                    .digest(&format!("alice/flask-echo-headers-server@{d1}"))
                    .registry(TAG, present(Some(d0), None))
            }),
        ),
        Case::fails(
            "rate limited (429)",
            HUB,
            CHECK,
            CauseId::RegistryRateLimited,
            image(|i| {
                i.tag(TAG)
                    .registry(TAG, RegistryFacts::Refused { status: 429 })
            }),
        ),
        Case::fails(
            "refused (401, private repository)",
            HUB,
            CHECK,
            CauseId::RegistryRefused,
            image(|i| {
                i.tag(TAG)
                    .registry(TAG, RegistryFacts::Refused { status: 401 })
            }),
        ),
        Case::fails(
            "unreachable",
            LOCAL,
            CHECK,
            CauseId::RegistryUnreachable,
            image(|i| {
                i.tag("localhost:5000/flask-echo-headers-server:latest")
                    .registry(
                        "localhost:5000/flask-echo-headers-server:latest",
                        RegistryFacts::Unreachable {
                            error: "error sending request for url (http://localhost:5000/v2/): tcp connect error: Connection refused (os error 111)".into(),
                        },
                    )
            }),
        ),
    ];
    insta::assert_snapshot!("registry", run_table(&cases));
}

#[test]
fn with_tagged_as_the_push_waits_for_the_tag() {
    let spec = "images:\n  - name: flask-echo-headers-server\n    tagged_as: \"*/flask-echo-headers-server\"\n    pushed_to: docker.io\n";
    let v = verdict(spec, &image(|i| i).build());
    assert_eq!(
        finding(&v, "tagged:flask-echo-headers-server").cause_id,
        Some(CauseId::TagMissing)
    );
    let p = finding(&v, CHECK);
    assert_eq!(p.cause_id, Some(CauseId::PrerequisiteFailed));
    assert_eq!(
        p.because_of.as_deref(),
        Some("tagged:flask-echo-headers-server")
    );
}
