//! `image:` — the image exists under the wanted name and tag.

use labgrade_core::cause::CauseId;
use labgrade_core::verdict::Outcome;

use crate::common::*;

const SPEC: &str = "image: nautilus/python-app\n";
const CHECK: &str = "image:nautilus/python-app";

#[test]
fn table() {
    let b = FactsBuilder::new;
    let cases = [
        Case::passes(
            "present",
            SPEC,
            CHECK,
            b().image("nautilus/python-app", |i| i.exposed(8088)),
        ),
        Case::fails(
            "missing, nothing like it",
            SPEC,
            CHECK,
            CauseId::ImageMissing,
            b().no_image("nautilus/python-app")
                .other_image("python:3.11-slim")
                .other_image("hello-world:latest"),
        ),
        Case::fails(
            "missing, another tag of it",
            SPEC,
            CHECK,
            CauseId::ImageWrongTag,
            b().no_image("nautilus/python-app")
                .other_image("nautilus/python-app:v1"),
        ),
        Case::fails(
            "wanted tag v2, only v1 built",
            "image: hello:v2\n",
            "image:hello:v2",
            CauseId::ImageWrongTag,
            b().no_image("hello:v2")
                .other_image("hello:v1")
                .other_image("python:3.11-slim"),
        ),
        Case::fails(
            "missing, a near name (underscore for dash)",
            SPEC,
            CHECK,
            CauseId::ImageWrongTag,
            b().no_image("nautilus/python-app")
                .other_image("nautilus/python_app:latest"),
        ),
        Case::fails("not observed", SPEC, CHECK, CauseId::NotObserved, b())
            .no_fix()
            .outcome(Outcome::Error),
    ];
    insta::assert_snapshot!("image", run_table(&cases));
}

#[test]
fn wrong_tag_fix_names_the_found_image_first() {
    let facts = FactsBuilder::new()
        .no_image("nautilus/python-app")
        .other_image("nautilus/python-app:v1")
        .build();
    let v = verdict(SPEC, &facts);
    let f = finding(&v, CHECK);
    // `docker tag SOURCE TARGET`: what exists, then what the lab wants.
    assert_eq!(
        f.fix.as_deref(),
        Some("docker tag nautilus/python-app:v1 nautilus/python-app")
    );
}

/// The build that makes a missing image, from where the project's Dockerfile is.
#[test]
fn a_missing_image_is_built_from_where_its_dockerfile_is() {
    let fix = |at_top: Option<bool>, nearby: &[&str], context: Option<&str>| {
        let mut facts = FactsBuilder::new().no_image("nautilus/python-app").build();
        facts.project_dir = Some("/home/s/lab".into());
        facts.dockerfile_at_top = at_top;
        facts.dockerfiles_nearby = nearby.iter().map(|s| s.to_string()).collect();
        if let (Some(c), Some(first)) = (context, nearby.first()) {
            facts
                .nearby_contexts
                .insert(first.to_string(), c.to_string());
        }
        let v = verdict(SPEC, &facts);
        let f = finding(&v, CHECK);
        assert_eq!(f.cause_id, Some(CauseId::ImageMissing));
        (f.cause.clone().unwrap(), f.fix.clone().unwrap())
    };
    // Beside it, or not looked at: `docker build .`.
    for at_top in [Some(true), None] {
        assert_eq!(
            fix(at_top, &[], None).1,
            "docker build -t nautilus/python-app ."
        );
    }
    // Moved to src/ with its COPY paths still from the top.
    let (cause, f) = fix(Some(false), &["src/Dockerfile"], Some("."));
    assert!(
        cause.contains("finds no Dockerfile in /home/s/lab: the lab's is src/Dockerfile"),
        "{cause}"
    );
    assert_eq!(f, "docker build -t nautilus/python-app -f src/Dockerfile .");
    // In src/ with paths from there.
    let (_, f) = fix(Some(false), &["src/Dockerfile"], Some("src"));
    assert_eq!(f, "docker build -t nautilus/python-app src");
    let (_, f) = fix(Some(false), &["src/dockerfile"], Some("src"));
    assert_eq!(
        f,
        "docker build -t nautilus/python-app -f src/dockerfile src"
    );
    // Several: the one named like the image, else none is guessed.
    let (_, f) = fix(
        Some(false),
        &["api/Dockerfile", "python-app/Dockerfile"],
        None,
    );
    assert_eq!(f, "docker build -t nautilus/python-app python-app");
    let (cause, f) = fix(
        Some(false),
        &["backend/Dockerfile", "frontend/Dockerfile"],
        None,
    );
    assert!(
        cause.ends_with("one folder down there are backend/Dockerfile, frontend/Dockerfile"),
        "{cause}"
    );
    assert!(
        f.ends_with(": docker build -t nautilus/python-app ."),
        "{f}"
    );
    // None near: the wrong folder.
    let (cause, f) = fix(Some(false), &[], None);
    assert!(
        cause.contains("no Dockerfile in /home/s/lab to build it from"),
        "{cause}"
    );
    assert!(
        f.ends_with(": docker build -t nautilus/python-app ."),
        "{f}"
    );
}
