//! The specs shipped in specs/ judge real students' output the way the course means:
//! each pattern is tried on the texts a correct (and a wrong) solution prints.

use labgrade_core::plan::{CheckKind, Plan, RunCheck, load};

fn spec_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../specs")
        .join(name)
}

/// Seed 002 part B prints "today's date": every way Python prints one by default or with
/// a common format is a date, and a greeting without one is not.
#[test]
fn hello_docker_accepts_the_dates_python_prints() {
    let spec = load(&spec_path("hello-docker.yaml")).unwrap();
    let plan = Plan::new(&spec);
    let date = plan
        .checks
        .iter()
        .find_map(|c| match &c.kind {
            CheckKind::Run(RunCheck { run })
                if run.stdout_regex_means.as_deref() == Some("a date") =>
            {
                run.stdout_regex.clone()
            }
            _ => None,
        })
        .expect("hello-docker.yaml has a run that wants a date");
    let re = &date.0;
    for out in [
        "Hello from Docker! Today is 2026-12-01",
        "Hello! 2026-12-01 12:44:43.123456",
        "Hello, today is 01/12/2026",
        "Hello 12/1/26",
        "Hello, 1.12.2026",
        "Hello 2026/12/01",
        "Hello! Today is Tuesday, 01 December 2026",
        "Hello! Today is December 1, 2026",
        "Hello! Today is Dec 01, 2026",
        "Hello! Tue Dec  1 12:44:43 2026",
        "Hello, it is 1st December 2026",
        "hello - 01 Dec 2026",
    ] {
        assert!(re.is_match(out), "a date in {out:?}");
    }
    for out in ["Hello from Docker!", "Hello, version 3.11", "Hello 12"] {
        assert!(!re.is_match(out), "no date in {out:?}");
    }
}
