//! Expands a spec into the flat list of checks to run, each with a stable id, a title a
//! beginner understands, its points and the checks it depends on.
//!
//! The expansion itself belongs to the check kinds: each kind's module in `checks` says
//! which checks the spec asks of it, and [`Plan::new`] takes them all in the order the
//! registration list in `checks/mod.rs` gives, then keeps their ids unique.

use serde::Serialize;

use crate::spec::{RANDOM, SpecError};

use crate::spec::{ContainerName, ImageRef, PassMark, Spec};

/// What a check looks at: one variant per check kind, holding its module's type.
pub use crate::checks::CheckKind;
pub use crate::checks::types::*;
pub use crate::checks::{ContainerSetting, ImageSetting};

/// Something the grader must observe for a check: observe gathers the union of what
/// the plan's checks need, each thing once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    /// The image, inspected.
    Image(ImageRef),
    /// The container, inspected (with its log tail and sockets).
    Container(ContainerName),
    /// One path of an image's filesystem: its kind, size and mode, and with `read` its
    /// owner and first bytes too (a slower request).
    ImageFile {
        image: ImageRef,
        path: String,
        read: bool,
    },
    /// The files under a folder of an image whose names look like secrets; `None` for
    /// the image's WORKDIR (or `/`).
    ImageTree {
        image: ImageRef,
        root: Option<String>,
    },
    /// A file of the project folder (the Dockerfile, .dockerignore), by relative path.
    ProjectFile(String),
    /// The Dockerfile and the requirements files it copies from the project
    /// ([`crate::dockerfile::pip::copied_lists`]), read under their project paths.
    DependencyLists,
}

/// One check of the lab.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    pub points: u32,
    /// Ids of checks that must pass before this one means anything.
    pub requires: Vec<String>,
    /// Instructor-only: students see that it exists, not what it tests.
    pub hidden: bool,
    #[serde(flatten)]
    pub kind: CheckKind,
}

impl Check {
    /// When Gradescope shows this check, where the spec says (only HTTP checks say).
    pub fn visibility(&self) -> Option<crate::spec::Visibility> {
        match &self.kind {
            CheckKind::Http(HttpCheck { expect, .. }) => expect.visibility,
            _ => None,
        }
    }
}

/// Everything needed to grade one lab.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: Option<String>,
    pub pass_mark: PassMark,
    pub checks: Vec<Check>,
    /// Readiness wait from the spec, if it sets one.
    pub wait: Option<std::time::Duration>,
    /// Containers whose app is ready once their log shows a text (`ready_when: {log}`).
    pub ready_logs: Vec<(ContainerName, String)>,
    /// Gradescope: when students see the result, where the spec says.
    pub visibility: Option<crate::spec::Visibility>,
}

/// Reads a spec file and checks it whole: [`Spec::parse`]'s rules and the plan's own.
pub fn load(path: &std::path::Path) -> Result<Spec, SpecError> {
    parse(&Spec::read(path)?, &path.display().to_string())
}

/// Parses spec text (`path` is only used in messages) and checks what only the checks it
/// expands into show: a pass mark more than the lab is worth, which no one could reach.
pub fn parse(text: &str, path: &str) -> Result<Spec, SpecError> {
    let spec = Spec::parse(text, path)?;
    if let crate::spec::PassMark::Points(mark) = spec.pass_mark {
        let max = Plan::new(&spec).max_points();
        if mark > max {
            let message = format!(
                "pass_mark {mark} is more than the {max} points the lab's checks are worth, so no one could pass"
            );
            return Err(SpecError::at_key(text, path, "pass_mark", message));
        }
    }
    Ok(spec)
}

/// A fresh per-run value for [`RANDOM`]: 16 hex digits from the process's random hasher
/// keys, the clock and the process id.
pub fn fresh_token() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

impl Plan {
    /// Puts `token` wherever the spec wrote [`RANDOM`] (requests and expectations alike);
    /// check ids keep the placeholder, so they stay the same from run to run.
    pub fn randomise(&mut self, token: &str) {
        for c in &mut self.checks {
            if let CheckKind::Http(HttpCheck { expect, .. }) = &mut c.kind {
                expect.randomise(RANDOM, token);
            }
        }
    }

    /// The plan a run with these facts graded: `{{random}}` stood for the value they
    /// recorded (for replaying saved facts).
    pub fn for_facts(spec: &Spec, facts: &crate::facts::Facts) -> Plan {
        let mut plan = Plan::new(spec);
        if let Some(token) = &facts.random {
            plan.randomise(token);
        }
        plan
    }

    /// Builds the checks for a spec.
    pub fn new(spec: &Spec) -> Plan {
        let mut checks = crate::checks::expand(spec);
        dedup_ids(&mut checks);
        Plan {
            name: spec.name.clone(),
            pass_mark: spec.pass_mark,
            checks,
            wait: spec.wait.map(|w| w.0),
            ready_logs: spec
                .containers()
                .iter()
                .filter_map(|c| Some((c.name.clone(), c.ready_when.as_ref()?.log.clone())))
                .collect(),
            visibility: spec.visibility,
        }
    }

    /// Total points on offer.
    pub fn max_points(&self) -> u32 {
        self.checks.iter().map(|c| c.points).sum()
    }
}

/// Keeps ids unique when the same request is checked twice: the second becomes `id#2`.
fn dedup_ids(checks: &mut [Check]) {
    let mut seen = std::collections::BTreeSet::<String>::new();
    for c in checks.iter_mut() {
        let mut n = 1;
        let base = c.id.clone();
        while !seen.insert(c.id.clone()) {
            n += 1;
            c.id = format!("{base}#{n}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Target;

    #[test]
    fn short_form_checks_and_points() {
        let spec = Spec::parse(
            "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\nhttp:\n  - get: /\n    status: 200\n  - get: /\n    points: 5\n",
            "t.yaml",
        )
        .unwrap();
        let plan = Plan::new(&spec);
        let ids: Vec<&str> = plan.checks.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "image:nautilus/python-app",
                "container:pythonapp_nautilus",
                "running:pythonapp_nautilus",
                "from-image:pythonapp_nautilus",
                "port:pythonapp_nautilus:8097:8088",
                "http:pythonapp_nautilus:GET /",
                "http:pythonapp_nautilus:GET /#2",
            ]
        );
        assert_eq!(plan.max_points(), 2 + 1 + 2 + 1 + 2 + 3 + 5);
        assert_eq!(plan.checks[5].title, "GET localhost:8097/ answers 200");
        assert_eq!(plan.checks[5].requires, ["running:pythonapp_nautilus"]);
    }

    #[test]
    fn random_value_reaches_request_and_expectations_but_not_ids() {
        let spec = Spec::parse(
            "container: echo\nports: [\"6000:6000\"]\nhttp:\n  - get: /echo?v={{random}}\n    headers: {X-Probe: \"id-{{random}}\"}\n    body_contains: [\"{{random}}\"]\n    body_regex: 'v={{random}}$'\n    json: {\"$.headers.X-Probe\": [\"id-{{random}}\"]}\n",
            "t.yaml",
        )
        .unwrap();
        let mut plan = Plan::new(&spec);
        plan.randomise("c0ffee");
        let http = plan.checks.last().unwrap();
        assert_eq!(http.id, "http:echo:GET /echo?v={{random}}");
        let CheckKind::Http(HttpCheck { expect, .. }) = &http.kind else {
            panic!("{http:?}")
        };
        assert_eq!(expect.target, Target::Path("/echo?v=c0ffee".into()));
        assert_eq!(
            expect.headers,
            [("X-Probe".to_string(), "id-c0ffee".to_string())]
        );
        assert_eq!(expect.body_contains, ["c0ffee"]);
        assert_eq!(expect.body_regex.as_ref().unwrap().0.as_str(), "v=c0ffee$");
        assert_eq!(expect.json[0].1, serde_json::json!(["id-c0ffee"]));
        assert_ne!(fresh_token(), fresh_token());
        // Saved facts carry the value, so a replay judges with it.
        let facts = crate::facts::Facts {
            random: Some("c0ffee".into()),
            ..Default::default()
        };
        assert_eq!(Plan::for_facts(&spec, &facts), plan);
    }
}
