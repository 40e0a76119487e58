//! `labgrade init`, `record`, `schema`, `completions` and `man`, run as a user would.

mod common;

use common::{CHECK_TIME, Lab, Within, free_port, labgrade, text};

#[tokio::test(flavor = "multi_thread")]
async fn record_writes_a_spec_the_reference_solution_passes() {
    let mut lab = Lab::new("record").await;
    let port = free_port();
    let name = lab
        .run_set("ref", &[(port, 8088)], |r| {
            r.env = vec!["APP_ENV=production".into()];
            r.restart_always = true;
        })
        .await;
    let spec = lab.dir.path().join("recorded.yaml");
    let out = labgrade()
        .args(["record", "--container", &name, "-o"])
        .arg(&spec)
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&spec).unwrap();
    assert!(
        written.contains(&format!("ports: [\"{port}:8088\"]")),
        "{written}"
    );
    assert!(
        written.contains("body_contains: \"Hello from the labgrade sample app!\""),
        "{written}"
    );
    // How the reference was run, and what its image holds, for the instructor to prune.
    for line in [
        "env: {\"APP_ENV\": \"production\"}",
        "restart: always",
        "images:",
        "    expose: [\"8088\"]",
        "    entrypoint: [\"/labgrade\", \"serve\"]",
        "    cmd: [\"--listen\", \"0.0.0.0:8088\"]",
    ] {
        assert!(written.contains(line), "{line} in {written}");
    }
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["score"], report["max_score"]);
    // It refuses to overwrite, and says so.
    let again = labgrade()
        .args(["record", "--container", &name, "-o"])
        .arg(&spec)
        .output_within(CHECK_TIME);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("already exists"));
}

#[test]
fn init_writes_what_the_flags_say() {
    let out = labgrade()
        .args([
            "init",
            "--image",
            "nautilus/python-app",
            "--container",
            "pythonapp_nautilus",
            "-p",
            "8097:8088",
            "--get",
            "/",
            "--status",
            "200",
        ])
        .output_within(CHECK_TIME);
    assert_eq!(out.status.code(), Some(0));
    let yaml = text(&out.stdout);
    let spec = labgrade::spec::Spec::parse(&yaml, "init").unwrap();
    assert_eq!(spec.containers[0].ports[0].flag(), "8097:8088");
    assert_eq!(labgrade::plan::Plan::new(&spec).checks.len(), 6);
    let bad = labgrade()
        .args(["init", "--image", "Bad Name"])
        .output_within(CHECK_TIME);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("invalid image name `Bad Name`"));
}

#[test]
fn schema_completions_and_man_page() {
    let schema = labgrade().arg("schema").output_within(CHECK_TIME);
    let v: serde_json::Value = serde_json::from_slice(&schema.stdout).unwrap();
    assert_eq!(v["additionalProperties"], false);
    assert!(v["$defs"]["HttpExpect"]["properties"]["body_contains"].is_object());
    let bash = labgrade()
        .args(["completions", "bash"])
        .output_within(CHECK_TIME);
    assert!(text(&bash.stdout).contains("_labgrade()"));
    let man = labgrade().arg("man").output_within(CHECK_TIME);
    assert!(text(&man.stdout).contains(".TH labgrade 1"));
    let help = labgrade().arg("--help").output_within(CHECK_TIME);
    let help = text(&help.stdout);
    for cmd in [
        "check", "demo", "validate", "init", "record", "schema", "image", "report",
    ] {
        assert!(help.contains(cmd), "--help lists {cmd}: {help}");
    }
    assert!(help.contains(
        "Exit codes: 0 lab passed (grade: every submission graded), 1 lab failed, 2 bad usage or spec (fatal: do not retry), 3 Docker daemon unreachable or submissions not graded (retry)"
    ));
}
