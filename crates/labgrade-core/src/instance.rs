//! One submission's copy of the lab spec: the same checks, pointed at the uniquely named
//! image and containers this grading run created, and at the host ports Docker gave them,
//! so that parallel gradings never collide.

use std::collections::BTreeMap;

use crate::spec::{ContainerName, ContainerSpec, ImageEntry, ImageRef, ImageSpec, Spec};

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
    /// student's report speaks of `pythonapp_nautilus`, not the grader's unique name.
    pub fn restore(&self, text: &str) -> String {
        let mut t = text.to_string();
        for (orig, inst) in &self.containers {
            t = t.replace(inst, orig);
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
    use crate::plan::Plan;

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
}
