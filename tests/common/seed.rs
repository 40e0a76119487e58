//! The seed labs' shared machinery (`tests/seed_labs.rs`, `tests/fix_replay.rs`): the
//! specs fix container names, image names and host ports (8097, 8000, 6000, 5000), so the
//! labs take turns on the machine (`Turn`, a file lock shared by both test programs), and
//! they share the local Python base image (`scripts/python-base`): the first lab of a
//! test process that needs it builds it, the last one to finish removes it, with
//! everything built on it (found by the label `io.labgrade.python-base=<base tag>`).
//!
//! Only the seed-lab tests use it (`common`'s `#![allow(dead_code)]` covers the others).

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::docker::{docker, docker_quiet, label_of, lines};
use super::process::run_for;
use super::text;

/// The label `scripts/python-base` puts on the base image (value: its tag); images built on
/// it and containers made from those inherit it.
pub const BASE_LABEL: &str = "io.labgrade.python-base";

/// `scripts/python-base`, apt-get installs included.
pub const BASE_TIME: Duration = Duration::from_secs(240);

/// Container names the specs fix: a lab must own them while it runs.
pub const CONTAINERS: &[&str] = &[
    "pythonapp_nautilus",
    "latency",
    "flask-echo",
    "hello-web",
    "product-api",
];
/// Image names the specs fix.
pub const IMAGES: &[&str] = &[
    "nautilus/python-app",
    "latency-service",
    "flask-echo-headers-server",
    "student/flask-echo-headers-server",
    "hello:v1",
    "hello:v2",
    "hello:v3",
    "product-api",
];
/// Host ports the specs fix.
pub const PORTS: &[u16] = &[8097, 8000, 6000, 5000];

/// How a test program uses the base image.
pub struct BaseUse {
    /// Part of the base's tag (`labgrade-test/python-base:<kind>-<pid>-<n>`).
    pub kind: &'static str,
    /// Extra tags the base carries while in use (the labs' Dockerfiles' `python:3.x-slim`),
    /// untagged with it at the end.
    pub tags: &'static [&'static str],
    /// Images the program's labs create beyond `IMAGES`, claimed like them.
    pub images: &'static [&'static str],
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/labs/<lab>`.
pub fn lab_dir(lab: &str) -> PathBuf {
    root().join("tests/labs").join(lab)
}

/// One lab at a time on this machine: the specs fix the container names and host ports,
/// so the labs of another test run (another checkout's `cargo test`, or the other seed
/// test program) take turns with these too. An exclusive lock on a file in the temp
/// folder, held for a whole lab: other threads and processes wait for it, and it is
/// released when the file is closed, however the lab ended (a panic, or the test process
/// killed).
fn lock_file() -> File {
    let path = std::env::temp_dir().join("labgrade-seed-labs.lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.lock()
        .unwrap_or_else(|e| panic!("locking {}: {e}", path.display()));
    file
}

/// What the labs of a test process share: the base image, built by the first lab that
/// needs it and removed (with everything built on it) when the last lab that wants it is
/// done. A lab is counted from its start, before it waits for its turn, so with two or
/// more test threads the count reaches 0 only at the end and the base is built once; with
/// `--test-threads 1` each lab builds (and removes) its own.
struct Shared {
    /// Labs started and not yet done.
    users: usize,
    /// The base's tag, once a build was started (removed at the end even if it failed).
    base: Option<String>,
    /// The extra tags put on the base, removed with it.
    tags: &'static [&'static str],
    /// Why that build failed: the labs after it fail at once, saying so.
    failed: Option<String>,
    /// Bases built so far in this process (each gets a tag of its own).
    built: u32,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared {
    users: 0,
    base: None,
    tags: &[],
    failed: None,
    built: 0,
});

fn shared() -> MutexGuard<'static, Shared> {
    SHARED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A lab's claim on the base image, from its start; the last one dropped removes the base.
struct User;

impl User {
    fn join() -> User {
        shared().users += 1;
        User
    }

    /// The base image's tag, built now if no lab has built it yet (the caller has its
    /// turn, so no other lab is running). Also says how long the build took, if it ran.
    fn base(&self, how: &BaseUse) -> (String, Option<Duration>) {
        let mut s = shared();
        if let Some(e) = &s.failed {
            let e = e.clone();
            drop(s);
            panic!("scripts/python-base failed for an earlier lab: {e}");
        }
        if let Some(base) = &s.base {
            return (base.clone(), None);
        }
        for t in how.tags {
            match label_of("image", t, BASE_LABEL) {
                None => {}
                // A tag an earlier run of this test left.
                Some(l) if !l.is_empty() => {
                    docker(&["rmi", t]);
                }
                Some(_) => panic!(
                    "an image {t} exists that no test built; the tests tag the local base \
                     with that name: remove it or run elsewhere"
                ),
            }
        }
        s.built += 1;
        let base = format!(
            "labgrade-test/python-base:{}-{}-{}",
            how.kind,
            std::process::id(),
            s.built
        );
        // Recorded before the build, so that the last lab removes whatever it left.
        s.base = Some(base.clone());
        let started = Instant::now();
        let out = run_for(
            Command::new("bash")
                .arg(root().join("scripts/python-base"))
                .arg(&base),
            BASE_TIME,
        );
        let failed = match out {
            Ok(o) if o.status.success() => None,
            Ok(o) => Some(format!("{}{}", text(&o.stdout), text(&o.stderr))),
            Err(e) => Some(e.to_string()),
        };
        if let Some(e) = failed {
            s.failed = Some(e.clone());
            drop(s);
            panic!("scripts/python-base failed: {e}");
        }
        s.tags = how.tags;
        for t in how.tags {
            docker(&["tag", &base, t]);
        }
        (base, Some(started.elapsed()))
    }
}

impl Drop for User {
    fn drop(&mut self) {
        let mut s = shared();
        s.users -= 1;
        if s.users > 0 {
            return;
        }
        s.failed = None;
        let tags = std::mem::take(&mut s.tags);
        if let Some(base) = s.base.take() {
            // Everything built on the base (untagged and intermediate images too), then
            // the base: newest first, so children go before their parents. The lock is
            // held: a lab that starts now waits, then builds a new base.
            remove_built_on(&base, &[]);
            for t in tags {
                if label_of("image", t, BASE_LABEL).as_deref() == Some(base.as_str()) {
                    docker_quiet(&["rmi", t]);
                }
            }
            docker_quiet(&["rmi", "-f", &base]);
            let filter = format!("label={BASE_LABEL}={base}");
            let left = docker_quiet(&["images", "-aq", "--filter", &filter])
                + &docker_quiet(&["ps", "-aq", "--filter", &filter]);
            if !left.trim().is_empty() {
                eprintln!("seed labs: could not remove: {left}");
            }
        }
    }
}

/// Removes the containers made from images built on `base`, then those images (tagged,
/// untagged, intermediate), except the images `keep` (the base and its parents: the steps
/// of its own build after its LABEL carry the label too).
pub fn remove_built_on(base: &str, keep: &[String]) {
    let filter = format!("label={BASE_LABEL}={base}");
    let containers = lines(&docker_quiet(&["ps", "-aq", "--filter", &filter]));
    if !containers.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(containers.iter().map(String::as_str));
        docker_quiet(&args);
    }
    for _ in 0..4 {
        let ids: Vec<String> = lines(&docker_quiet(&[
            "images",
            "-aq",
            "--no-trunc",
            "--filter",
            &filter,
        ]))
        .into_iter()
        .filter(|id| !keep.contains(id))
        .collect();
        if ids.is_empty() {
            break;
        }
        for id in ids {
            docker_quiet(&["rmi", "-f", &id]);
        }
    }
}

/// The names the specs fix are free (or the seed tests' own leftovers, removed now), and
/// so are the host ports. Run by each lab when its turn comes.
fn claim_names_and_ports(extra_images: &[&str]) {
    for name in CONTAINERS {
        match label_of("container", name, BASE_LABEL) {
            None => {}
            Some(l) if !l.is_empty() => {
                docker(&["rm", "-f", "-v", name]);
            }
            Some(_) => panic!(
                "a container named {name} exists and this test did not make it; the seed \
                 specs need that name: remove it (docker rm -f {name}) or run elsewhere"
            ),
        }
    }
    for image in IMAGES.iter().chain(extra_images) {
        match label_of("image", image, BASE_LABEL) {
            None => {}
            Some(l) if !l.is_empty() => {
                docker(&["rmi", "-f", image]);
            }
            Some(_) => panic!(
                "an image {image} exists and this test did not build it; the seed specs \
                 need that name: remove it (docker rmi {image}) or run elsewhere"
            ),
        }
    }
    // Compose `web` services: an earlier run's are removed, anyone else's would be
    // found by specs/product-api-compose.yaml.
    let format = format!("{{{{.Names}}}} {{{{.Label \"{BASE_LABEL}\"}}}}");
    let web = lines(&docker(&[
        "ps",
        "-a",
        "--filter",
        "label=com.docker.compose.service=web",
        "--format",
        &format,
    ]));
    for line in web {
        match line.split_once(' ') {
            Some((name, _)) => {
                docker(&["rm", "-f", "-v", name]);
            }
            None => panic!(
                "a compose service `web` container ({line}) exists; \
                 specs/product-api-compose.yaml would find it: remove it first"
            ),
        }
    }
    for port in PORTS {
        assert!(
            TcpListener::bind(("0.0.0.0", *port)).is_ok(),
            "host port {port} is in use; the seed specs need it"
        );
    }
}

/// A lab's turn: its claim on the base image (from before it waited), the machine-wide
/// lock, and the fixed names and ports, checked free. Hold it for the whole lab, and drop
/// it after the lab's own cleanup: the turn passes on then, and the base goes, if no lab
/// of this process wants it any more, after that.
pub struct Turn {
    /// The base image's tag.
    pub base: String,
    /// The ids of the base image and its parents: the images labelled with the base that
    /// are not the lab's.
    pub base_ids: Vec<String>,
    /// How long the base took to build, if this lab built it.
    pub built_in: Option<Duration>,
    /// How long the lab waited for its turn.
    pub waited: Duration,
    /// When the turn came.
    pub started: Instant,
    // Fields drop in order: the lock is released before the base is given up.
    _lock: File,
    _user: User,
}

impl Turn {
    /// Waits for the turn, claims the names and ports, and builds the base if no lab of
    /// this process has yet.
    pub fn take(how: &BaseUse) -> Turn {
        let waiting = Instant::now();
        let user = User::join();
        let lock = lock_file();
        let waited = waiting.elapsed();
        let started = Instant::now();
        claim_names_and_ports(how.images);
        let (base, built_in) = user.base(how);
        let base_ids = lines(&docker(&["history", "-q", "--no-trunc", &base]))
            .into_iter()
            .filter(|id| id.starts_with("sha256:"))
            .collect();
        Turn {
            base,
            base_ids,
            built_in,
            waited,
            started,
            _lock: lock,
            _user: user,
        }
    }
}
