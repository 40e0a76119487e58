//! Grades one submission: build its image, run its containers (isolated, on ports Docker
//! picks), grade them like `labgrade check`, and remove everything it created.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::gradebook::{Status, StudentResult};
use crate::instance::{Rename, instance};
use crate::observe::{Daemon, ObserveOptions};
use crate::plan::Plan;
use crate::report::Report;
use crate::spec::{ImageRef, Spec};

/// Label on everything a grading run creates; its value is the run id.
pub const LABEL: &str = "io.labgrade.grade";

/// Resource limits for untrusted student code.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub build_timeout: Duration,
    /// Time for running and grading one submission, after its build.
    pub run_timeout: Duration,
    pub memory_bytes: i64,
    pub nano_cpus: i64,
    pub pids: i64,
    /// Processes one build may run at once, all its RUN steps together.
    pub build_pids: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            build_timeout: Duration::from_secs(300),
            run_timeout: Duration::from_secs(60),
            memory_bytes: 256 * 1024 * 1024,
            nano_cpus: 1_000_000_000,
            pids: 128,
            build_pids: 256,
        }
    }
}

/// Everything one grading needs.
pub struct Job<'a> {
    pub daemon: &'a Daemon,
    pub spec: &'a Spec,
    pub spec_name: &'a str,
    pub run_id: &'a str,
    /// Labels on everything it creates: the run's id and its owner process.
    pub labels: &'a [(String, String)],
    pub student: &'a str,
    pub dir: PathBuf,
    pub limits: Limits,
    pub observe: ObserveOptions,
    /// Where the run writes down the images its builds commit.
    pub journal: &'a super::journal::Journal,
    /// The images this submission's build committed, oldest first: removed by id with it.
    pub created: std::sync::Mutex<Vec<String>>,
    /// Builds run in a cgroup of their own with a process limit (the run found it can).
    pub build_cgroups: bool,
    /// The run's networks: the submission's build and containers are on one, alone.
    pub networks: &'a super::networks::Networks<'a>,
}

/// What grading one submission produced.
pub struct Graded {
    pub result: StudentResult,
    pub report: Option<Report>,
    pub build_log: String,
    /// Why it could not be graded, as a cause id, when that is known.
    pub cause_id: Option<crate::cause::CauseId>,
}

/// A name part Docker accepts (lowercase letters, digits, `-`, `_`, `.`), with a short hash
/// of the original so that `Alice Smith` and `alice-smith` never share a container name.
pub fn slug(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        out.insert(0, 's');
    }
    format!("{out}-{:06x}", stable_hash(s) & 0xff_ffff)
}

/// FNV-1a of a text: stable across runs and machines, unlike std's hasher, so names built
/// from it are the same in every run.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

impl<'a> Job<'a> {
    fn image_tag(&self) -> String {
        format!(
            "labgrade-grade/{}-{}:latest",
            self.run_id,
            slug(self.student)
        )
    }

    fn container_name(&self, i: usize) -> String {
        format!("lg-{}-{}-{i}", self.run_id, slug(self.student))
    }

    /// Runs the whole grading, and returns with it what removes everything the grading
    /// made (which the caller must run): the next submission's build need not wait for
    /// this one's removals.
    pub async fn run(&self) -> (Graded, Cleanup<'a>) {
        let started = Instant::now();
        let plan = Plan::new(self.spec);
        let ids = super::scored_ids(self.spec, &plan);
        let (mut graded, network) = match self.networks.take(self.daemon).await {
            Ok(network) => (self.steps(&plan, &network.name).await, Some(network)),
            Err(e) => (
                self.failed(
                    &plan,
                    Status::NotGraded,
                    format!("cannot create a network for the submission: {e}"),
                    String::new(),
                ),
                None,
            ),
        };
        graded.result.duration_ms = started.elapsed().as_millis() as u64;
        if graded.result.checks.is_empty() {
            graded.result.checks = ids.into_iter().map(|id| (id, 0)).collect();
        }
        let cleanup = Cleanup {
            daemon: self.daemon,
            networks: self.networks,
            containers: (0..self.spec.containers().len())
                .map(|i| self.container_name(i))
                .collect(),
            tag: self.image_tag(),
            created: self
                .created
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            network,
        };
        (graded, cleanup)
    }

    fn failed(&self, plan: &Plan, status: Status, problem: String, build_log: String) -> Graded {
        Graded {
            result: StudentResult {
                student: self.student.to_string(),
                name: None,
                status,
                score: 0,
                max_score: crate::instance::batch_points(self.spec, plan).0,
                passed: false,
                checks: Vec::new(),
                problem: Some(problem),
                fix_first: None,
                duration_ms: 0,
                lms: Default::default(),
            },
            report: None,
            build_log,
            cause_id: None,
        }
    }

    async fn steps(&self, plan: &Plan, network: &str) -> Graded {
        if let Some(r) = self.refused_base().await {
            let mut g = self.failed(
                plan,
                Status::BuildFailed,
                format!("{REFUSED_BASE}{}\nfix: {}", r.why, r.fix),
                String::new(),
            );
            g.cause_id = Some(crate::cause::CauseId::BaseRefused);
            return g;
        }
        // The build stops itself at its time limit, naming the step it was at.
        let log = match self.build(network).await {
            Ok(log) => log,
            Err(f) => {
                let status = if f.daemon_fault {
                    Status::NotGraded
                } else {
                    Status::BuildFailed
                };
                let mut g = self.failed(plan, status, f.problem, f.log);
                g.cause_id = f.cause_id;
                return g;
            }
        };
        match tokio::time::timeout(self.limits.run_timeout, self.run_and_grade(network)).await {
            Ok(Ok((report, rename))) => {
                let report = crate::instance::batch_report(report, self.spec, &rename);
                // The report has the spec's ids now; the gradebook's columns are those
                // that score the student.
                let checks = super::scored_ids(self.spec, plan)
                    .into_iter()
                    .map(|id| {
                        let points = report
                            .findings
                            .iter()
                            .find(|f| f.id == id)
                            .map_or(0, |f| f.points);
                        (id, points)
                    })
                    .collect();
                Graded {
                    result: StudentResult {
                        student: self.student.to_string(),
                        name: None,
                        status: Status::Graded,
                        score: report.score,
                        max_score: report.max_score,
                        passed: report.passed,
                        checks,
                        problem: None,
                        fix_first: fix_first(&report),
                        duration_ms: 0,
                        lms: Default::default(),
                    },
                    report: Some(report),
                    build_log: log,
                    cause_id: None,
                }
            }
            Ok(Err(problem)) => self.failed(plan, Status::NotGraded, problem, log),
            Err(_) => self.failed(
                plan,
                Status::NotGraded,
                format!(
                    "running and grading took longer than {}s",
                    self.limits.run_timeout.as_secs()
                ),
                log,
            ),
        }
    }

    /// The first base of the submission's Dockerfile that the spec's `allowed_bases` (or
    /// their default) refuse, if any.
    async fn refused_base(&self) -> Option<crate::bases::Refusal> {
        let text = std::fs::read_to_string(self.dir.join("Dockerfile")).ok()?;
        let lab: Vec<String> = self.spec.images().iter().map(|i| i.full()).collect();
        for base in crate::bases::bases_of(&text) {
            let facts = crate::observe::build::base_facts(self.daemon, &base, &lab, LABEL).await;
            if let Some(r) = crate::bases::judge(&self.spec.allowed_bases, &facts) {
                return Some(r);
            }
        }
        None
    }

    /// Builds the submission's image; on failure, the diagnosis and the log.
    async fn build(&self, network: &str) -> Result<String, crate::observe::build::BuildFailure> {
        // The image carries the run's id alone: the classic builder turns every label
        // into a step of its own (a container made and committed, some 60 ms each), and
        // six of them were half the build. `labgrade clean` reads the run's owner and
        // output folder from its networks and containers, which carry them all; a
        // run's build always stands on one of its networks.
        let labels: HashMap<&str, &str> = self
            .labels
            .iter()
            .filter(|(k, _)| k == super::LABEL)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let tell = |id: &str| {
            self.journal.record(id);
            self.created
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(id.to_string());
        };
        let cgroup = if self.build_cgroups {
            crate::observe::build::BuildCgroup::new(
                self.daemon,
                &format!("{}-{}", self.run_id, slug(self.student)),
                self.limits.build_pids,
            )
            .await
            .ok()
        } else {
            None
        };
        let settings = crate::observe::build::BuildSettings {
            memory: Some(self.limits.memory_bytes * 2),
            // As much CPU time as the submission's container gets: a busy RUN step slows
            // its own build, not the others'.
            cpu: Some((
                100_000,
                i32::try_from(self.limits.nano_cpus / 10_000).unwrap_or(100_000),
            )),
            cgroup_parent: cgroup.as_ref().map(|c| c.parent.as_str()),
            // Without the cache no build stands on an image another build committed, so
            // removing one submission's images never pulls a layer from under another's
            // build in flight, in this run or in another one on the same daemon.
            nocache: true,
            // RUN steps can download packages, but reach no other submission and no
            // service of the grading host.
            network: Some(network),
            on_image: Some(&tell),
            timeout: Some(self.limits.build_timeout),
        };
        crate::observe::build::build_dir_with(
            self.daemon,
            &self.dir,
            &self.image_tag(),
            &labels,
            &settings,
        )
        .await
    }

    /// Starts the lab's containers from the built image and grades them.
    async fn run_and_grade(&self, network: &str) -> Result<(Report, Rename), String> {
        let primary = self.spec.images().first().cloned();
        let ours = crate::instance::batch_containers(self.spec);
        let tag: ImageRef = self.image_tag().parse().map_err(|e: String| e)?;
        let mut rename = Rename {
            image: primary.clone().map(|p| (p, tag.clone())),
            ..Rename::default()
        };
        for (i, c) in self
            .spec
            .containers()
            .iter()
            .enumerate()
            .filter(|(_, c)| ours.contains(c))
        {
            let name = self.container_name(i);
            rename.containers.insert(c.name.0.clone(), name.clone());
            // Loopback keeps student apps off the network; a remote daemon's ports must be
            // reachable from here, so there all addresses.
            let sandbox = crate::observe::containers::SandboxSpec {
                name: &name,
                image: &tag.full(),
                labels: self.labels.to_vec(),
                ports: c
                    .ports
                    .iter()
                    .map(|p| (p.container_port, p.proto.to_string()))
                    .collect(),
                host_ip: if self.daemon.local {
                    "127.0.0.1"
                } else {
                    "0.0.0.0"
                },
                network: Some(network),
                memory_bytes: self.limits.memory_bytes,
                nano_cpus: self.limits.nano_cpus,
                pids: self.limits.pids,
            };
            crate::observe::containers::create_sandboxed(self.daemon, &sandbox)
                .await
                .map_err(|e| format!("cannot create the container: {e}"))?;
            // A start failure (a port, a bad CMD) is the student's to see in the report.
            let _ = crate::observe::containers::start(self.daemon, &name).await;
            if let Ok(Some(facts)) = self.daemon.container(&name).await {
                for p in &c.ports {
                    if let Some(b) = facts.published.iter().find(|b| {
                        b.container_port == p.container_port && b.proto == p.proto.to_string()
                    }) {
                        rename
                            .ports
                            .insert((c.name.0.clone(), p.host_port), b.host_port);
                    }
                }
            }
        }
        let inst = instance(self.spec, &rename);
        let (report, _) =
            crate::grade::grade(self.daemon, &inst, self.spec_name, &self.dir, &self.observe)
                .await
                .map_err(|e| e.to_string())?;
        Ok((report, rename))
    }
}

/// How the problem of a submission refused for its base begins (the run tells a whole
/// class refused alike by it).
pub(super) const REFUSED_BASE: &str = "refused base: ";

/// What a graded report that failed says to fix first, in one line for a gradebook:
/// `fix first: TITLE — WHY` (cut at 300 characters), WHY being what its cause id means.
/// The report's own cause sentence says more, in words that depend on the evidence the
/// grader had (a grader in a container sees no socket tables), and a class's files read
/// the same wherever it was graded. Never an instructor-only check.
fn fix_first(report: &crate::report::Report) -> Option<String> {
    let f = report
        .root_finding()
        .filter(|f| !f.hidden && !report.passed)?;
    let line = match f.cause_id {
        Some(id) => format!("fix first: {} — {}", f.title, id.about()),
        None => format!("fix first: {}", f.title),
    };
    Some(crate::report::truncate(
        &crate::report::printable(&line).replace('\n', " "),
        300,
    ))
}

/// What one submission's grading made, to be removed: its containers, its image's tag and
/// every image its build committed (by id, without pruning parents: another build may
/// stand on them), and then its network handed back.
#[must_use = "a submission's containers and images stay until its clean-up runs"]
pub struct Cleanup<'a> {
    daemon: &'a Daemon,
    networks: &'a super::networks::Networks<'a>,
    containers: Vec<String>,
    tag: String,
    created: Vec<String>,
    network: Option<super::networks::Held>,
}

impl Cleanup<'_> {
    pub async fn run(self) {
        use crate::observe::containers;
        for c in &self.containers {
            containers::remove(self.daemon, c).await;
        }
        // A build stopped at its time limit can leave its RUN step's container on the
        // submission's network for a moment, holding the network and the image it runs
        // on: whatever is on that network is this submission's, and goes first.
        if let Some(n) = &self.network {
            for c in containers::on_network(self.daemon, &n.name).await {
                containers::remove(self.daemon, &c).await;
            }
        }
        containers::untag_image(self.daemon, &self.tag).await;
        let _ = containers::remove_images_by_id(self.daemon, &self.created).await;
        if let Some(n) = self.network {
            self.networks.give_back(self.daemon, n).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_docker_names() {
        let a = super::slug("Alice Smith");
        assert!(
            a.starts_with("alice-smith-") && a.len() == "alice-smith-".len() + 6,
            "{a}"
        );
        assert_ne!(a, super::slug("alice-smith"));
        assert!(super::slug("-x").starts_with("s-x-"));
        assert!(super::slug("ÄÖ").starts_with("s--"));
    }
}
