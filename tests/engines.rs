//! The diagnosis where the evidence is poorer: the grader in its own PID namespace
//! (`unshare --pid --fork --mount-proc`), which hides the containers' processes exactly
//! as Docker Desktop's VM, rootless Docker or a remote engine does. The same labs are
//! graded on the local daemon and there, with an image that has `cat` (the socket tables
//! are then read inside the container through `docker exec`) and one that has no program
//! at all (`FROM scratch`: the log is the only evidence left), and every failing check
//! must carry the same cause id in each.

mod common;

use std::process::Command;

use common::{CHECK_TIME, Lab, Within, free_port, text};

/// Whether this machine lets us make a PID namespace (root, util-linux's unshare).
fn pid_namespaces() -> bool {
    Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Cause ids of the failed checks, by check id.
fn causes(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["outcome"] != "pass")
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["cause_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// `labgrade check SPEC --format json`, here or in a PID namespace of its own.
fn grade(spec: &std::path::Path, hidden_pids: bool) -> serde_json::Value {
    let exe = env!("CARGO_BIN_EXE_labgrade");
    let mut cmd = if hidden_pids {
        let mut c = Command::new("unshare");
        c.args(["--pid", "--fork", "--mount-proc", exe]);
        c
    } else {
        Command::new(exe)
    };
    cmd.arg("check").arg(spec).args(["--format", "json"]);
    let out = cmd.output_within(CHECK_TIME);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} {}",
            text(&out.stdout),
            text(&out.stderr)
        )
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_causes_without_the_containers_processes() {
    if !pid_namespaces() {
        // CI runs as root; say plainly when this machine cannot.
        eprintln!("skipped: unshare --pid is not allowed here (needs root)");
        return;
    }
    let mut lab = Lab::new("engines").await;
    let cat = std::fs::read("/bin/cat").expect("the host's /bin/cat");
    let with_cat = lab
        .build_bin("cat", "FROM BASE\nCOPY cat /bin/cat\n", &[("cat", cat)])
        .await;
    let scratch = lab.image.clone();
    // Each lab: what the student ran (sample-app arguments) and the port it published.
    let labs: [(&str, &[&str], Option<u16>); 6] = [
        ("loopback", &["--listen", "127.0.0.1:8088"], Some(8088)),
        ("other-port", &["--listen", "0.0.0.0:8080"], Some(8088)),
        ("route", &["--route", "/ping"], Some(8088)),
        (
            "crash",
            &["--crash", "ModuleNotFoundError: No module named 'flask'"],
            Some(8088),
        ),
        ("unpublished", &[], None),
        ("passing", &[], Some(8088)),
    ];
    let mut compared = 0;
    for (kind, image) in [("cat", &with_cat), ("scratch", &scratch)] {
        for (what, args, inner) in labs {
            let port = free_port();
            let name = lab
                .run_image_with(
                    &format!("{what}-{kind}"),
                    image,
                    args,
                    &inner.map(|i| vec![(port, i)]).unwrap_or_default(),
                )
                .await;
            if what == "crash" {
                lab.wait_stopped(&name).await;
            }
            let spec = lab.spec(
                &format!("{name}.yaml"),
                &format!(
                    "image: {image}\ncontainer: {name}\nports: [\"{port}:8088\"]\nhttp:\n  - get: /\n"
                ),
            );
            let here = grade(&spec, false);
            let hidden = grade(&spec, true);
            assert_eq!(
                causes(&here),
                causes(&hidden),
                "{what} ({kind}): local daemon vs hidden PIDs\nhere: {here:#}\nhidden: {hidden:#}"
            );
            if what != "passing" {
                assert!(!causes(&here).is_empty(), "{what} ({kind}) should fail");
            }
            // With cat in the image the tables were read inside the container.
            if kind == "cat" && what == "loopback" {
                let f = common::finding(&hidden, &format!("http:{name}:GET /"));
                let evidence = f["evidence"].to_string();
                assert!(
                    evidence.contains("listening inside the container: 127.0.0.1:8088"),
                    "{f:#}"
                );
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 12);
}
