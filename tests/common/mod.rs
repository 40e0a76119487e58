//! The one test harness of the integration tests (each `tests/*.rs` that needs it has
//! `mod common;`):
//!
//! - `process`: every program a test runs (labgrade, docker, scripts) runs with a deadline,
//!   through `Within::output_within` / `spawn_within` or `run_for`; past it, the program is
//!   killed and the test fails naming it.
//! - `docker`: the docker CLI (`docker`, `docker_quiet`, `label_of`, ...), for the tests
//!   that do what a student does.
//! - here: `Lab`, for real-daemon tests: a uniquely named sample image and containers,
//!   labelled, and removed when the test ends, pass or fail; and small helpers.

#![allow(dead_code)]

pub mod docker;
pub mod fixes;
pub mod lab;
pub mod process;
pub mod seed;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use labgrade::observe::Daemon;
use labgrade::sample::{self, RunSpec};

// Not every test file uses each of them.
#[allow(unused_imports)]
pub use process::{CHECK_TIME, GRADE_TIME, Within};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The labgrade program under test, not run yet: run it with `output_within(CHECK_TIME)`
/// (or `GRADE_TIME` for `grade`) or `spawn_within`.
/// The mode that makes [`Lab::build_files`] write a symbolic link (the file type bits of
/// one, `S_IFLNK`).
pub const SYMLINK: u32 = 0o120000;

pub fn labgrade() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_labgrade"));
    c.env("NO_COLOR", "1").env("COLUMNS", "160");
    c
}

/// One test's lab: its own image, its containers and a folder for specs.
pub struct Lab {
    pub daemon: Daemon,
    pub id: String,
    pub image: String,
    containers: Vec<String>,
    /// Extra tags of the image, removed with it.
    tags: Vec<String>,
    pub dir: tempfile::TempDir,
}

impl Lab {
    /// Connects to the daemon and builds a fresh sample image for this test.
    pub async fn new(test: &str) -> Lab {
        let daemon = Daemon::connect()
            .await
            .expect("a running Docker daemon (see .ci/run)");
        let id = format!(
            "{test}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let image = format!("labgrade-test/{id}:v1");
        sample::image::build(&daemon, Path::new(env!("CARGO_BIN_EXE_labgrade")), &image)
            .await
            .expect("sample image builds");
        Lab {
            daemon,
            id,
            image,
            containers: Vec::new(),
            tags: Vec::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Starts a sample container named `<suffix>-<id>`; returns its name.
    pub async fn run(&mut self, suffix: &str, args: &[&str], ports: &[(u16, u16)]) -> String {
        self.run_with(suffix, args, ports, false).await
    }

    /// Like `run`, optionally creating without starting.
    pub async fn run_with(
        &mut self,
        suffix: &str,
        args: &[&str],
        ports: &[(u16, u16)],
        no_start: bool,
    ) -> String {
        self.run_custom(suffix, args, ports, |r| r.no_start = no_start)
            .await
    }

    /// Starts a container with `--restart always`.
    pub async fn run_restarting(&mut self, suffix: &str, args: &[&str]) -> String {
        self.run_custom(suffix, args, &[], |r| r.restart_always = true)
            .await
    }

    /// Starts a container with extra settings (env, mounts, labels, ...).
    pub async fn run_set(
        &mut self,
        suffix: &str,
        ports: &[(u16, u16)],
        adjust: impl FnOnce(&mut RunSpec),
    ) -> String {
        self.run_custom(suffix, &[], ports, adjust).await
    }

    /// Builds a Dockerfile (its text, plus files) into a tag of this test's, removed at the end.
    pub async fn build(&mut self, tag: &str, dockerfile: &str, files: &[(&str, &str)]) -> String {
        let files: Vec<(&str, &[u8], u32)> = files
            .iter()
            .map(|(n, t)| (*n, t.as_bytes(), 0o644))
            .collect();
        self.build_files(tag, dockerfile, &files).await
    }

    /// Builds a Dockerfile with binary files (written executable) into a tag of this
    /// test's: programs copied from the host, such as /bin/cat.
    pub async fn build_bin(
        &mut self,
        tag: &str,
        dockerfile: &str,
        files: &[(&str, Vec<u8>)],
    ) -> String {
        let files: Vec<(&str, &[u8], u32)> = files
            .iter()
            .map(|(n, b)| (*n, b.as_slice(), 0o755))
            .collect();
        self.build_files(tag, dockerfile, &files).await
    }

    /// Writes the Dockerfile (`BASE` standing for this test's image) and the files with
    /// their modes into a folder (a mode of [`SYMLINK`]: a link to the text given), and
    /// builds it into a tag of this test's.
    pub async fn build_files(
        &mut self,
        tag: &str,
        dockerfile: &str,
        files: &[(&str, &[u8], u32)],
    ) -> String {
        use std::os::unix::fs::PermissionsExt;
        let dir = self.dir.path().join(format!("build-{tag}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            dockerfile.replace("BASE", &self.image),
        )
        .unwrap();
        for (name, bytes, mode) in files {
            let path = dir.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            if *mode == SYMLINK {
                std::os::unix::fs::symlink(std::str::from_utf8(bytes).unwrap(), &path).unwrap();
                continue;
            }
            std::fs::write(&path, bytes).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode)).unwrap();
        }
        let full = self.own_tag(tag);
        self.tags.push(full.clone());
        let labels = std::collections::HashMap::from([(sample::image::LABEL, "1")]);
        labgrade::observe::build::build_dir(&self.daemon, &dir, &full, &labels, None)
            .await
            .unwrap_or_else(|f| panic!("build {full}: {} {}", f.problem, f.log));
        full
    }

    /// A container the test made itself (with the docker CLI): removed with the lab.
    pub fn own(&mut self, name: &str) {
        self.containers.push(name.to_string());
    }

    /// Starts a container from `image` named `<suffix>-<id>`, with sample-app arguments.
    pub async fn run_image_with(
        &mut self,
        suffix: &str,
        image: &str,
        args: &[&str],
        ports: &[(u16, u16)],
    ) -> String {
        let name = format!("{suffix}-{}", self.id);
        self.containers.push(name.clone());
        let spec = RunSpec {
            name: &name,
            image,
            args: args.iter().map(|s| s.to_string()).collect(),
            ports: ports.to_vec(),
            ..Default::default()
        };
        sample::run(&self.daemon, &spec)
            .await
            .expect("container starts");
        name
    }

    pub async fn run_custom(
        &mut self,
        suffix: &str,
        args: &[&str],
        ports: &[(u16, u16)],
        adjust: impl FnOnce(&mut RunSpec),
    ) -> String {
        let name = format!("{suffix}-{}", self.id);
        self.containers.push(name.clone());
        let image = self.image.clone();
        let mut spec = RunSpec {
            name: &name,
            image: &image,
            args: args.iter().map(|s| s.to_string()).collect(),
            ports: ports.to_vec(),
            ..Default::default()
        };
        adjust(&mut spec);
        sample::run(&self.daemon, &spec)
            .await
            .expect("sample container starts");
        name
    }

    /// Starts a container named `<suffix>-<id>` from another image (one of `build`'s).
    pub async fn run_image(&mut self, suffix: &str, image: &str) -> String {
        let name = format!("{suffix}-{}", self.id);
        self.containers.push(name.clone());
        let spec = RunSpec {
            name: &name,
            image,
            ..Default::default()
        };
        sample::run(&self.daemon, &spec)
            .await
            .expect("container starts");
        name
    }

    /// Waits (bounded) until a container has stopped, so a test sees the state it set up.
    pub async fn wait_stopped(&self, name: &str) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if matches!(self.daemon.container(name).await, Ok(Some(c)) if !c.running) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("{name} did not stop within 10s");
    }

    /// Tags the test's image with another tag (same image id); returns `repository:tag`.
    pub async fn tag(&mut self, tag: &str) -> String {
        let full = self.own_tag(tag);
        self.tag_as(&self.image.clone(), &full).await;
        full
    }

    /// `repository:tag` in this test's own repository.
    fn own_tag(&self, tag: &str) -> String {
        let repo = self
            .image
            .rsplit_once(':')
            .map_or(self.image.as_str(), |(r, _)| r);
        format!("{repo}:{tag}")
    }

    /// `docker tag SOURCE FULL` (`repository:tag`); the tag is removed at the end.
    pub async fn tag_as(&mut self, source: &str, full: &str) {
        let (repo, tag) = full.rsplit_once(':').expect("repository:tag");
        let opts = bollard::query_parameters::TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag)
            .build();
        self.daemon
            .client()
            .tag_image(source, Some(opts))
            .await
            .expect("docker tag");
        self.tags.push(full.to_string());
    }

    /// Writes a spec file into the test's folder.
    pub fn spec(&self, file: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(file);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Runs `labgrade check SPEC --format json` and returns (exit code, report).
    pub fn check_json(&self, spec: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
        let out = labgrade()
            .arg("check")
            .arg(spec)
            .args(["--format", "json"])
            .args(extra)
            .output_within(CHECK_TIME);
        let code = out.status.code().unwrap_or(-1);
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "report is not JSON ({e}); stdout: {} stderr: {}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
        (code, json)
    }

    /// Runs `labgrade check SPEC` (terminal table) and returns its output.
    pub fn check_tty(&self, spec: &Path) -> Output {
        labgrade().arg("check").arg(spec).output_within(CHECK_TIME)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let (containers, image) = (std::mem::take(&mut self.containers), self.image.clone());
        let tags = std::mem::take(&mut self.tags);
        // Drop cannot be async: clean up on a thread with its own runtime.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let daemon = Daemon::connect().await.unwrap();
                for c in &containers {
                    sample::remove(&daemon, c).await;
                }
                for t in tags.iter().chain(std::iter::once(&image)) {
                    sample::remove_image(&daemon, t).await;
                }
                // Images built on this lab's image carry its tag label: one a replayed
                // fix rebuilt is left untagged, and goes too (newest first).
                let label = format!("{}.tag={image}", sample::image::LABEL);
                let opts = bollard::query_parameters::ListImagesOptionsBuilder::default()
                    .all(true)
                    .filters(&std::collections::HashMap::from([(
                        "label".to_string(),
                        vec![label],
                    )]))
                    .build();
                let mut left = daemon
                    .client()
                    .list_images(Some(opts))
                    .await
                    .unwrap_or_default();
                left.sort_by_key(|i| std::cmp::Reverse(i.created));
                for i in left {
                    sample::remove_image(&daemon, &i.id).await;
                }
            });
        })
        .join()
        .unwrap();
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The finding with this id in a JSON report.
pub fn finding<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no finding {id} in {report:#}"))
}

/// A finding's outcome (pass, fail, skipped, ...).
pub fn outcome(report: &serde_json::Value, id: &str) -> String {
    finding(report, id)["outcome"].as_str().unwrap().to_string()
}

/// Copies a folder and everything in it.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    sample::free_port().unwrap()
}
