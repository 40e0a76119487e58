//! One submission's copy of the lab spec: the same checks, pointed at the uniquely named
//! image and containers this grading run created, and at the host ports Docker gave them,
//! so that parallel gradings never collide.

use std::collections::BTreeMap;

use crate::plan::{CheckKind, ContainerExists, ContainerImage, Plan, PortPublished};
use crate::report::Report;
use crate::spec::{ContainerName, ContainerSpec, ImageEntry, ImageRef, ImageSpec, Spec};
use crate::verdict::Outcome;

/// The names and ports one submission's grading uses instead of the spec's.
#[derive(Debug, Clone, Default)]
pub struct Rename {
    /// The spec's image → this submission's image tag.
    pub image: Option<(ImageRef, ImageRef)>,
    /// The spec's container name → this submission's container name.
    pub containers: BTreeMap<String, String>,
    /// (container, spec host port) → the host port Docker assigned.
    pub ports: BTreeMap<(String, u16), u16>,
}

impl Rename {
    fn image(&self, i: &ImageRef) -> ImageRef {
        match &self.image {
            Some((from, to)) if from == i => to.clone(),
            _ => i.clone(),
        }
    }

    /// Puts the spec's own names back into a text written about the instance, so a
    /// student's report speaks of `pythonapp_nautilus` and host port 8097, not the
    /// grader's unique name and the port Docker picked. (A port is a number, so it is
    /// put back wherever that whole number stands: the ports Docker picks are high and
    /// rare in other text.)
    pub fn restore(&self, text: &str) -> String {
        let mut t = text.to_string();
        for (orig, inst) in &self.containers {
            t = t.replace(inst, orig);
        }
        for ((_, spec_port), inst_port) in &self.ports {
            if spec_port != inst_port {
                t = replace_number(&t, &inst_port.to_string(), &spec_port.to_string());
            }
        }
        if let Some((from, to)) = &self.image {
            t = t
                .replace(&to.full(), &from.full())
                .replace(&to.to_string(), &from.to_string());
        }
        t
    }
}

impl Rename {
    /// The report with the spec's own names in place of the instance's.
    pub fn restore_report(&self, mut report: crate::report::Report) -> crate::report::Report {
        for f in &mut report.findings {
            for s in [&mut f.id, &mut f.title, &mut f.expected, &mut f.found] {
                *s = self.restore(s);
            }
            for s in f
                .cause
                .iter_mut()
                .chain(f.fix.iter_mut())
                .chain(f.because_of.iter_mut())
                .chain(f.evidence.iter_mut())
            {
                *s = self.restore(s);
            }
        }
        if let Some(rc) = &mut report.root_cause {
            *rc = self.restore(rc);
        }
        report
    }
}

/// `text` with every whole number `from` (not part of a longer run of digits) made `to`.
fn replace_number(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(|c| c.is_ascii_digit()) || after.is_some_and(|c| c.is_ascii_digit()) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

/// The spec's containers a batch creates itself, from the submission's image: those of
/// the lab's own image (or naming none). Other containers (a database from a public
/// image) are the student's to set up and are graded as written.
pub fn batch_containers(spec: &Spec) -> Vec<&ContainerSpec> {
    let primary = spec.images().first().cloned();
    spec.containers()
        .iter()
        .filter(|c| c.image.is_none() || c.image == primary)
        .collect()
}

/// The checks a batch's own actions satisfy: for each container it creates, that the
/// container exists, that it runs the lab's image and that its ports are published
/// (the grader creates it from the submission's image with the lab's ports). They earn
/// no points in a batch: whatever builds would get them.
pub fn given_checks(spec: &Spec, plan: &Plan) -> Vec<String> {
    let ours: Vec<&str> = batch_containers(spec)
        .iter()
        .map(|c| c.name.0.as_str())
        .collect();
    plan.checks
        .iter()
        .filter(|c| match &c.kind {
            CheckKind::ContainerExists(ContainerExists { container, .. })
            | CheckKind::ContainerImage(ContainerImage { container, .. })
            | CheckKind::PortPublished(PortPublished { container, .. }) => {
                ours.contains(&container.0.as_str())
            }
            _ => false,
        })
        .map(|c| c.id.clone())
        .collect()
}

/// The most a submission can score in a batch (the given checks left out), and the
/// points it needs to pass: a percentage applies to that maximum; a number of points
/// loses the given checks' points, so a student may still miss as many as the spec allows.
pub fn batch_points(spec: &Spec, plan: &Plan) -> (u32, u32) {
    let given = given_checks(spec, plan);
    let given_points: u32 = plan
        .checks
        .iter()
        .filter(|c| given.contains(&c.id))
        .map(|c| c.points)
        .sum();
    let max = plan.max_points() - given_points;
    let pass = match plan.pass_mark {
        crate::spec::PassMark::Points(p) => p.saturating_sub(given_points).min(max),
        crate::spec::PassMark::Percent(_) => plan.pass_mark.threshold(max),
    };
    (max, pass)
}

/// One submission's report as its student should read it: the spec's check ids and
/// titles (the instance's checks are the spec's, in the same order), its names and host
/// ports instead of the grader's, the checks the grader's own actions satisfy marked
/// [`Outcome::Given`] (no points, not in the maximum), and fixes that inspect the
/// container told how to run it on the student's own machine first.
pub fn batch_report(report: Report, spec: &Spec, rename: &Rename) -> Report {
    let plan = Plan::new(spec);
    let mut report = rename.restore_report(report);
    if plan.checks.len() == report.findings.len() {
        let ids: BTreeMap<String, String> = report
            .findings
            .iter()
            .zip(&plan.checks)
            .map(|(f, c)| (f.id.clone(), c.id.clone()))
            .collect();
        for (f, c) in report.findings.iter_mut().zip(&plan.checks) {
            f.id = c.id.clone();
            f.title = c.title.clone();
            if let Some(b) = &mut f.because_of {
                *b = ids.get(b).cloned().unwrap_or(b.clone());
            }
        }
        if let Some(rc) = &mut report.root_cause {
            *rc = ids.get(rc).cloned().unwrap_or(rc.clone());
        }
    }
    let given = given_checks(spec, &plan);
    let run_it = reproduce(spec);
    // A check skipped because a given one did not pass is skipped for what that one was.
    let redirect: BTreeMap<String, Option<String>> = report
        .findings
        .iter()
        .filter(|f| given.contains(&f.id) && f.outcome != Outcome::Pass)
        .map(|f| (f.id.clone(), f.because_of.clone()))
        .collect();
    let titles: BTreeMap<String, String> = report
        .findings
        .iter()
        .map(|f| (f.id.clone(), f.title.clone()))
        .collect();
    for f in &mut report.findings {
        if given.contains(&f.id) {
            if f.outcome != Outcome::Pass {
                f.found = "set up by the grader".into();
            }
            f.outcome = Outcome::Given;
            f.points = 0;
            f.max_points = 0;
            f.cause = Some(
                "the grader created this container itself, from your image, with the lab's ports published: it earns no points here (`labgrade check` grades it on your own machine)".into(),
            );
            f.cause_id = None;
            f.fix = None;
            f.because_of = None;
            f.evidence.clear();
            continue;
        }
        if let Some(Some(to)) = f.because_of.as_ref().and_then(|b| redirect.get(b)) {
            f.because_of = Some(to.clone());
            if f.outcome == Outcome::Skipped {
                f.cause = Some(format!(
                    "not checked, because \"{}\" did not pass",
                    titles.get(to).map_or(to.as_str(), String::as_str)
                ));
            }
        }
        if let (Some(fix), Some(run_it)) = (&mut f.fix, &run_it)
            && inspects_the_container(fix, spec)
        {
            *fix = format!("on your own machine, run it as the grader did: {run_it}; then {fix}");
        }
    }
    let (max, pass) = batch_points(spec, &plan);
    report.score = report.findings.iter().map(|f| f.points).sum();
    report.max_score = max;
    report.pass_points = pass;
    report.pass_mark = match plan.pass_mark {
        crate::spec::PassMark::Points(_) => pass.to_string(),
        crate::spec::PassMark::Percent(_) => plan.pass_mark.to_string(),
    };
    report.passed = report.score >= pass;
    if report
        .root_cause
        .as_ref()
        .is_some_and(|rc| given.contains(rc))
    {
        report.root_cause = report
            .findings
            .iter()
            .find(|f| f.outcome == Outcome::Fail && f.because_of.is_none())
            .map(|f| f.id.clone());
    }
    report
}

/// The report of a submission that could not be graded (its build failed, its base was
/// refused, the grader could not finish): one finding that says why, with the fix and
/// the build log's explaining lines, and the lab's scored checks skipped because of it,
/// so every student gets a report. `status` is the gradebook's word for it.
pub fn unbuilt_report(
    spec: &Spec,
    spec_name: &str,
    status: &str,
    problem: &str,
    cause_id: Option<crate::cause::CauseId>,
    build_log: &str,
) -> Report {
    let plan = Plan::new(spec);
    let given = given_checks(spec, &plan);
    let (max, pass) = batch_points(spec, &plan);
    let (cause, fix) = match problem.split_once(" — ") {
        Some((c, f)) => (c.to_string(), Some(f.to_string())),
        None => match problem.split_once("\nfix: ") {
            Some((c, f)) => (c.to_string(), Some(f.to_string())),
            None => (problem.to_string(), None),
        },
    };
    let graded = status != "not_graded";
    let first = crate::verdict::Finding {
        id: "build".into(),
        title: "The image builds from the submission's Dockerfile".into(),
        outcome: if graded {
            Outcome::Fail
        } else {
            Outcome::Error
        },
        points: 0,
        max_points: 0,
        expected: "docker build succeeds".into(),
        found: status.replace('_', " "),
        cause: Some(cause),
        cause_id: cause_id.or(Some(crate::cause::CauseId::BuildFailed)),
        fix,
        because_of: None,
        evidence: explaining_lines(build_log),
        hidden: false,
        visibility: None,
    };
    let mut findings = vec![first];
    for c in plan.checks.iter().filter(|c| !given.contains(&c.id)) {
        findings.push(crate::verdict::Finding {
            id: c.id.clone(),
            title: c.title.clone(),
            outcome: Outcome::Skipped,
            points: 0,
            max_points: c.points,
            expected: String::new(),
            found: "not checked".into(),
            cause: Some("not checked, because the image did not build".into()),
            cause_id: Some(crate::cause::CauseId::PrerequisiteFailed),
            fix: None,
            because_of: Some("build".into()),
            evidence: Vec::new(),
            hidden: c.hidden,
            visibility: c.visibility(),
        });
    }
    let verdict = crate::verdict::Verdict {
        findings,
        score: 0,
        max_score: max,
        pass_points: pass,
        passed: false,
        root_cause: graded.then(|| "build".to_string()),
    };
    let pass_mark = match plan.pass_mark {
        crate::spec::PassMark::Points(_) => pass.to_string(),
        crate::spec::PassMark::Percent(_) => plan.pass_mark.to_string(),
    };
    Report::new(spec_name, plan.name.clone(), pass_mark, verdict, 0)
        .with_visibility(plan.visibility)
}

/// The lines of a build log that explain its failure: the last step it ran and what that
/// step printed (at most 12 lines, the last ones), each prefixed `log: `.
pub fn explaining_lines(log: &str) -> Vec<String> {
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    let from = lines
        .iter()
        .rposition(|l| l.starts_with("Step ") || l.starts_with("#"))
        .unwrap_or(0);
    let tail = &lines[from..];
    let skip = tail.len().saturating_sub(12);
    tail.iter()
        .skip(skip)
        .map(|l| format!("log: {}", crate::report::without_escapes(l).trim_end()))
        .collect()
}

/// The commands that build and run the lab as a batch does, on the student's machine:
/// `docker build -t IMAGE . && docker run -d --name NAME -p 8097:8088 IMAGE`.
fn reproduce(spec: &Spec) -> Option<String> {
    let image = spec.images().first()?.to_string();
    let c = batch_containers(spec).into_iter().next()?;
    let ports: String = c.ports.iter().map(|p| format!(" -p {p}")).collect();
    Some(format!(
        "docker build -t {image} . && docker run -d --name {}{ports} {image}",
        c.name.0
    ))
}

/// A fix that looks into the running container (`docker logs NAME`, `docker exec NAME`,
/// ...): on the grader, the student cannot type it.
fn inspects_the_container(fix: &str, spec: &Spec) -> bool {
    batch_containers(spec).iter().any(|c| {
        [
            "logs", "exec", "inspect", "port", "top", "stats", "restart", "start",
        ]
        .iter()
        .any(|cmd| {
            fix.contains(&format!("docker {cmd} {}", c.name.0))
                || fix.contains(&format!("docker {cmd} -it {}", c.name.0))
        })
    })
}

/// The spec with every container and the primary image renamed and every host port remapped.
pub fn instance(spec: &Spec, r: &Rename) -> Spec {
    let containers: Vec<ContainerSpec> = spec
        .containers()
        .iter()
        .map(|c| {
            let orig = c.name.0.clone();
            let name = r.containers.get(&orig).cloned().unwrap_or(orig.clone());
            let port = |hp: u16| r.ports.get(&(orig.clone(), hp)).copied().unwrap_or(hp);
            ContainerSpec {
                name: ContainerName(name),
                image: c.image.as_ref().map(|i| r.image(i)),
                ports: c
                    .ports
                    .iter()
                    .map(|p| {
                        let mut p = p.clone();
                        if let Some(new) = r.ports.get(&(orig.clone(), p.host_port)) {
                            p.host_port = *new;
                            // Grading runs publish where they choose; any address is fine.
                            p.host_ip = None;
                        }
                        p
                    })
                    .collect(),
                http: c
                    .http
                    .iter()
                    .map(|h| {
                        // Paths follow the remapped port; a full URL is graded as written.
                        let mut h = h.clone();
                        h.port = h.port.map(port);
                        h
                    })
                    .collect(),
                ..c.clone()
            }
        })
        .collect();
    let specs = spec.image_specs();
    let images = spec
        .images()
        .iter()
        .map(|i| {
            let mut e = specs
                .iter()
                .find(|s| &s.name == i)
                .cloned()
                .unwrap_or_else(|| ImageSpec::named(i.clone()));
            e.name = r.image(i);
            ImageEntry(e)
        })
        .collect();
    Spec {
        // The primary image is among `images`, renamed.
        image: None,
        http: spec.http.clone(),
        containers,
        images,
        runs: spec
            .runs
            .iter()
            .map(|run| crate::spec::RunSpec {
                image: r.image(&run.image),
                ..run.clone()
            })
            .collect(),
        ..spec.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_log_lines_lose_their_colours() {
        // Recorded from a classic build whose RUN was `pip instal ...`.
        let log = "Step 5/9 : RUN pip instal -r requirements.txt\n ---> Running in 1067203bfcea\n\u{1b}[91mERROR: unknown command \"instal\" - maybe you meant \"install\"\n\u{1b}[0mRemoving intermediate container 1067203bfcea\n\u{1b}]0;title\u{7}done \u{1b}]8;;http://x\u{1b}\\link \u{1b} lone\n";
        assert_eq!(
            explaining_lines(log),
            [
                "log: Step 5/9 : RUN pip instal -r requirements.txt",
                "log:  ---> Running in 1067203bfcea",
                "log: ERROR: unknown command \"instal\" - maybe you meant \"install\"",
                "log: Removing intermediate container 1067203bfcea",
                "log: done link \u{1b} lone",
            ]
        );
    }

    #[test]
    fn renames_keep_the_checks_in_order() {
        let spec = Spec::parse(
            "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\nhttp:\n  - get: /\nruns:\n  - image: nautilus/python-app\n",
            "t",
        )
        .unwrap();
        let r = Rename {
            image: Some((
                "nautilus/python-app".parse().unwrap(),
                "labgrade-grade/r1-alice".parse().unwrap(),
            )),
            containers: BTreeMap::from([("pythonapp_nautilus".into(), "lg-r1-alice".into())]),
            ports: BTreeMap::from([(("pythonapp_nautilus".into(), 8097), 49153)]),
        };
        let inst = instance(&spec, &r);
        let (a, b) = (Plan::new(&spec), Plan::new(&inst));
        assert_eq!(a.checks.len(), b.checks.len());
        assert_eq!(b.checks[0].id, "image:labgrade-grade/r1-alice");
        // Same checks, same order: the gradebook's columns line up.
        for (x, y) in a.checks.iter().zip(&b.checks) {
            assert_eq!(x.id.split(':').next(), y.id.split(':').next());
        }
        assert!(
            b.checks
                .iter()
                .any(|c| c.id == "port:lg-r1-alice:49153:8088")
        );
        assert!(
            b.checks
                .iter()
                .any(|c| c.title == "GET localhost:49153/ answers 2xx")
        );
        assert_eq!(
            r.restore("Container lg-r1-alice runs labgrade-grade/r1-alice"),
            "Container pythonapp_nautilus runs nautilus/python-app"
        );
        assert_eq!(a.max_points(), b.max_points());
        // A one-shot run of the lab's image runs the submission's image.
        assert_eq!(inst.runs[0].image.to_string(), "labgrade-grade/r1-alice");
        assert!(
            b.checks
                .iter()
                .any(|c| c.id == "run:labgrade-grade/r1-alice")
        );
    }

    #[test]
    fn given_checks_are_out_of_the_maximum_and_the_pass_mark() {
        let text = "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\nhttp:\n  - get: /\n";
        let spec = Spec::parse(text, "t").unwrap();
        let plan = Plan::new(&spec);
        let given = given_checks(&spec, &plan);
        assert_eq!(
            given,
            [
                "container:pythonapp_nautilus",
                "from-image:pythonapp_nautilus",
                "port:pythonapp_nautilus:8097:8088"
            ]
        );
        // 11 points with `check`; the grader's own 4 are out: 7, all needed by default.
        assert_eq!(plan.max_points(), 11);
        assert_eq!(batch_points(&spec, &plan), (7, 7));
        // 9 of 11 may miss 2 points: 5 of 7. A percentage applies to the 7.
        let nine = Spec::parse(&format!("pass_mark: 9\n{text}"), "t").unwrap();
        assert_eq!(batch_points(&nine, &Plan::new(&nine)), (7, 5));
        let half = Spec::parse(&format!("pass_mark: 50%\n{text}"), "t").unwrap();
        assert_eq!(batch_points(&half, &Plan::new(&half)), (7, 4));
        assert_eq!(
            replace_number("localhost:32785/ and 132785 and 32785", "32785", "8097"),
            "localhost:8097/ and 132785 and 8097"
        );
    }
}
