//! Where an image came from and where it went, for real: the base image told from the
//! layers it shares with the images on the machine, the `<user>/name` tag before a push,
//! and a real registry (Debian's docker-registry, on loopback) holding this very build.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::docker::{docker, docker_cmd, docker_quiet};
use common::process::{DOCKER_TIME, Spawned};
use common::{Lab, Within, finding, free_port, outcome};

/// How long installing the registry may take (apt-get update, then the package).
const INSTALL_TIME: Duration = Duration::from_secs(600);
/// The registry serves for the whole test; it is killed when the test ends.
const SERVE_TIME: Duration = Duration::from_secs(600);

/// A registry of our own on 127.0.0.1, killed (and its storage removed) at the end.
struct Registry {
    /// Killed when dropped.
    _child: Spawned,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let bin = "/usr/bin/docker-registry";
        if !std::path::Path::new(bin).exists() {
            let ok = Command::new("sh")
                .args(["-c", "apt-get install -y -qq docker-registry >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-registry >/dev/null)"])
                .output_within(INSTALL_TIME)
                .status
                .success();
            assert!(
                ok,
                "this test needs Debian's docker-registry: apt-get install docker-registry"
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("127.0.0.1:{}", free_port());
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new(bin)
            .arg("serve")
            .arg(&config)
            .spawn_within(SERVE_TIME);
        let registry = Registry {
            _child: child,
            addr,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&registry.addr).is_err() {
            assert!(Instant::now() < deadline, "the registry did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        registry
    }
}

/// Removes images by id at the end, newest first (a child before its parent): once pushed,
/// an image is also referenced by its digest, and removing its tags (as `Lab` does) would
/// leave it behind.
struct RemoveById(Vec<String>);

impl Drop for RemoveById {
    fn drop(&mut self) {
        for id in self.0.iter().rev() {
            docker_quiet(&["rmi", "-f", id]);
        }
    }
}

fn image_id(reference: &str) -> String {
    let out = docker_cmd(&["image", "inspect", "--format", "{{.Id}}", reference])
        .output_within(DOCKER_TIME);
    common::text(&out.stdout).trim().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn tagged_and_pushed_to_a_real_registry() {
    let registry = Registry::start();
    let mut lab = Lab::new("push").await;
    let image = lab.image.clone();
    let mut by_id = RemoveById(vec![image_id(&image)]);
    let name = format!("app-{}", lab.id);
    let spec = lab.spec(
        "push.yaml",
        &format!(
            "images:\n  - name: {image}\n    tagged_as: \"{0}/*/{name}\"\n    pushed_to: {0}\n",
            registry.addr
        ),
    );
    let (tagged, pushed) = (format!("tagged:{image}"), format!("pushed:{image}"));

    // Not tagged for the registry yet: the fix is the docker tag, and the push waits on it.
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        finding(&report, &tagged)["fix"],
        format!(
            "docker tag {image} {}/your-dockerhub-name/{name}   (write your Docker Hub user name for your-dockerhub-name)",
            registry.addr
        )
    );
    assert_eq!(outcome(&report, &pushed), "skipped", "{report:#}");

    // Tagged but never pushed: the registry is asked, and says no.
    let remote = format!("{}/student/{name}:latest", registry.addr);
    lab.tag_as(&image, &remote).await;
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    assert_eq!(outcome(&report, &tagged), "pass", "{report:#}");
    let f = finding(&report, &pushed);
    assert_eq!(f["found"], format!("{remote} is not in {}", registry.addr));
    assert_eq!(f["fix"], format!("docker push {remote}"));

    // Pushed: the registry holds this very build.
    docker(&["push", &remote]);
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        finding(&report, &pushed)["found"],
        format!("{remote} is in {}", registry.addr)
    );

    // Rebuilt and tagged again, not pushed: the registry holds the older build.
    let rebuilt = lab
        .build("rebuilt", "FROM BASE\nLABEL rebuilt=yes\n", &[])
        .await;
    by_id.0.push(image_id(&rebuilt));
    lab.tag_as(&rebuilt, &remote).await;
    let spec = lab.spec(
        "rebuilt.yaml",
        &format!(
            "images:\n  - name: {rebuilt}\n    pushed_to: http://{}\n",
            registry.addr
        ),
    );
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let f = finding(&report, &format!("pushed:{rebuilt}"));
    assert!(
        f["found"].as_str().unwrap().starts_with(&format!(
            "{remote} in http://{} is another build (",
            registry.addr
        )),
        "{f:#}"
    );
    assert_eq!(f["fix"], format!("docker push {remote}"));
    drop(registry);

    // The registry gone: a finding that says so, in bounded time.
    let started = Instant::now();
    let (code, report) = lab.check_json(&spec, &["--timeout", "2s"]);
    assert_eq!(code, 1);
    assert!(started.elapsed() < Duration::from_secs(10));
    let f = finding(&report, &format!("pushed:{rebuilt}"));
    assert!(
        f["found"].as_str().unwrap().starts_with("could not ask "),
        "{f:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn base_image_told_from_the_layers() {
    let mut lab = Lab::new("base").await;
    let base = lab.image.clone();
    // One image adds a layer; one only changes settings (it shares all its base's layers).
    let layered = lab
        .build(
            "layered",
            "FROM BASE\nCOPY note.txt /note.txt\n",
            &[("note.txt", "hi\n")],
        )
        .await;
    let settings_only = lab
        .build("settings", "FROM BASE\nENV MODE=prod\n", &[])
        .await;
    let spec_for =
        |image: &str, want: &str| format!("images:\n  - name: {image}\n    base: \"{want}\"\n");
    for image in [&layered, &settings_only] {
        let spec = lab.spec("ok.yaml", &spec_for(image, &base));
        let (code, report) = lab.check_json(&spec, &[]);
        assert_eq!(code, 0, "{image}: {report:#}");
        // Other tests' sample images have the very same layers: any of them may be named.
        let found = finding(&report, &format!("base:{image}"))["found"].clone();
        assert!(found.as_str().unwrap().contains(&base), "{found}");
    }
    // Built again with one more step: the earlier build (now untagged) is not the base.
    let _earlier = RemoveById(vec![image_id(&layered)]);
    let rebuilt = lab
        .build(
            "layered",
            "FROM BASE\nCOPY note.txt /note.txt\nCOPY note.txt /again.txt\n",
            &[("note.txt", "hi\n")],
        )
        .await;
    let spec = lab.spec("rebuilt.yaml", &spec_for(&rebuilt, &base));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        finding(&report, &format!("base:{rebuilt}"))["found"],
        format!("FROM {base}")
    );
    let spec = lab.spec("slim.yaml", &spec_for(&layered, "python:3.*-slim"));
    let (code, report) = lab.check_json(&spec, &[]);
    assert_eq!(code, 1);
    let f = finding(&report, &format!("base:{layered}"));
    let cause = f["cause"].as_str().unwrap();
    assert!(
        cause.starts_with("the image is built FROM ")
            && cause.ends_with(", not FROM python:3.*-slim"),
        "{f:#}"
    );
    assert!(
        f["fix"].as_str().unwrap().starts_with(
            "make the last FROM line of the Dockerfile `FROM python:3.<version>-slim`"
        ),
        "{f:#}"
    );
    // An image FROM scratch (with layers no other image has): no base to be told.
    let unique = format!("{}\n", lab.id);
    let scratch = lab
        .build(
            "scratch",
            "FROM scratch\nCOPY id.txt /\n",
            &[("id.txt", &unique)],
        )
        .await;
    let spec = lab.spec("scratch.yaml", &spec_for(&scratch, "debian:*"));
    let (_, report) = lab.check_json(&spec, &[]);
    assert_eq!(
        finding(&report, &format!("base:{scratch}"))["found"],
        "not known"
    );
}
