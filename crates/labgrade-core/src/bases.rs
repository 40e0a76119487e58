//! What a batch submission may be built FROM: the spec's `allowed_bases` patterns, or
//! without them a default that accepts images pulled from a registry (or pulled during the
//! build) and refuses one built on the grading machine — the instructor's reference
//! solution, another submission's image — which would pass the lab with a one-line
//! Dockerfile. Pure: the IO side records [`BaseFacts`] for each base.

use serde::{Deserialize, Serialize};

use crate::dockerfile::Dockerfile;

/// What the grading daemon knows of one base a Dockerfile names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseFacts {
    /// As the Dockerfile writes it (global ARG defaults substituted).
    pub reference: String,
    /// The daemon has an image by that name.
    pub present: bool,
    /// Its registry digests (`RepoDigests`): set when it was pulled, empty when it was
    /// built, committed, imported or loaded on this machine.
    pub digests: Vec<String>,
    /// It carries a grading run's label: a submission's image.
    pub graded_build: bool,
    /// It is the lab's own image (by name, or the same image id).
    pub lab_image: bool,
}

/// Why a base is refused, and what the student should write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub base: String,
    pub why: String,
    pub fix: String,
}

/// Every image a Dockerfile builds on: each FROM that is not `scratch` nor an earlier
/// stage, and each `COPY --from=` that names an image rather than a stage.
pub fn bases_of(dockerfile: &str) -> Vec<String> {
    let df = Dockerfile::parse(dockerfile);
    let stage = |r: &str| {
        df.stage_names
            .iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(r))
            || r.parse::<usize>().is_ok()
    };
    let mut out: Vec<String> = Vec::new();
    for (_, image) in df.from_images() {
        if !image.is_empty() && !image.eq_ignore_ascii_case("scratch") && !stage(&image) {
            out.push(image);
        }
    }
    for ins in df.instructions.iter().filter(|i| i.keyword == "COPY") {
        for w in ins.args.split_whitespace() {
            if let Some(r) = w.strip_prefix("--from=")
                && !stage(r)
            {
                out.push(r.to_string());
            }
        }
    }
    out.dedup();
    out
}

/// `name:tag` as patterns are matched against: Docker Hub's `docker.io/library/` prefix
/// dropped and the tag `latest` made explicit (a digest reference is kept as written).
pub fn normalise(reference: &str) -> String {
    let r = reference
        .strip_prefix("docker.io/")
        .or_else(|| reference.strip_prefix("index.docker.io/"))
        .unwrap_or(reference);
    let r = r.strip_prefix("library/").unwrap_or(r);
    let last = r.rsplit('/').next().unwrap_or(r);
    if r.contains('@') || last.contains(':') {
        r.to_string()
    } else {
        format!("{r}:latest")
    }
}

/// A glob with `*` for any run of characters (`python:3.*-slim`), matched whole against
/// a [`normalise`]d name. A pattern without `*` and without a tag means `:latest`; one
/// with `*` is taken as written (`labgrade-test/*` matches any tag).
pub fn matches(pattern: &str, text: &str) -> bool {
    let pattern = if pattern.contains('*') {
        let p = pattern.strip_prefix("docker.io/").unwrap_or(pattern);
        p.strip_prefix("library/").unwrap_or(p).to_string()
    } else {
        normalise(pattern)
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, rest) = (parts[0], &parts[1..]);
    let Some(mut at) = text.strip_prefix(first) else {
        return false;
    };
    for (i, part) in rest.iter().enumerate() {
        if i == rest.len() - 1 {
            return at.ends_with(part);
        }
        match at.find(part) {
            Some(p) => at = &at[p + part.len()..],
            None => return false,
        }
    }
    at.is_empty()
}

/// Judges one base: refused, with why and the fix, or accepted (`None`).
pub fn judge(allowed: &[String], base: &BaseFacts) -> Option<Refusal> {
    let name = normalise(&base.reference);
    let refuse = |why: String, fix: String| {
        Some(Refusal {
            base: base.reference.clone(),
            why,
            fix,
        })
    };
    if !allowed.is_empty() {
        if allowed.iter().any(|p| matches(p, &name)) {
            return None;
        }
        return refuse(
            format!(
                "the Dockerfile builds on {}, which is not one of the bases this lab allows ({})",
                base.reference,
                allowed.join(", ")
            ),
            format!(
                "start the Dockerfile FROM one of: {} (the tags your course names)",
                allowed.join(", ")
            ),
        );
    }
    let public = "start FROM the public base image the lab names (such as python:3.11-slim) and build the app yourself".to_string();
    if base.graded_build {
        return refuse(
            format!(
                "the Dockerfile builds on {}, an image the grader built from a submission",
                base.reference
            ),
            public,
        );
    }
    if base.lab_image {
        return refuse(
            format!(
                "the Dockerfile builds on {}, the image this lab asks you to build",
                base.reference
            ),
            public,
        );
    }
    if base.present && base.digests.is_empty() {
        return refuse(
            format!(
                "the Dockerfile builds on {}, an image made on the grading machine (it has no registry digest, so it was not pulled from a registry: a reference solution or another build)",
                base.reference
            ),
            public,
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bases_are_froms_and_copy_froms_but_not_stages_or_scratch() {
        let df = "ARG V=3.11\nFROM python:${V}-slim AS build\nRUN x\nFROM scratch\nCOPY --from=build /a /a\nCOPY --from=nautilus/python-app /app /app\nCOPY --from=0 /b /b\n";
        assert_eq!(bases_of(df), ["python:3.11-slim", "nautilus/python-app"]);
    }

    #[test]
    fn patterns_match_whole_normalised_names() {
        assert!(matches("python:3.*-slim", "python:3.11-slim"));
        assert!(!matches("python:3.*-slim", "python:3.11"));
        assert!(!matches("python:3.*-slim", "evil/python:3.11-slim"));
        assert!(matches("python", &normalise("docker.io/library/python")));
        assert!(!matches("python", "python:3.11"));
        assert!(matches("python:*", "python:3.11"));
        assert!(matches("labgrade-test/*", "labgrade-test/x:v1"));
        assert!(matches(
            "registry.example:5000/x/*",
            "registry.example:5000/x/y:1"
        ));
        assert_eq!(normalise("localhost:5000/app"), "localhost:5000/app:latest");
    }

    #[test]
    fn the_default_refuses_local_builds_and_accepts_pulled_bases() {
        let pulled = BaseFacts {
            reference: "python:3.11-slim".into(),
            present: true,
            digests: vec!["python@sha256:abc".into()],
            ..BaseFacts::default()
        };
        assert_eq!(judge(&[], &pulled), None);
        // Not on the daemon: the build pulls it from a registry.
        let absent = BaseFacts {
            reference: "python:3.12-slim".into(),
            ..BaseFacts::default()
        };
        assert_eq!(judge(&[], &absent), None);
        let local = BaseFacts {
            reference: "nautilus/reference".into(),
            present: true,
            ..BaseFacts::default()
        };
        assert!(
            judge(&[], &local)
                .unwrap()
                .why
                .contains("no registry digest")
        );
        let lab = BaseFacts {
            lab_image: true,
            digests: vec!["x".into()],
            ..local.clone()
        };
        assert!(judge(&[], &lab).unwrap().why.contains("asks you to build"));
        let graded = BaseFacts {
            graded_build: true,
            ..local.clone()
        };
        assert!(
            judge(&[], &graded)
                .unwrap()
                .why
                .contains("from a submission")
        );
        // With patterns, the patterns decide.
        let allowed = vec!["python:3.*-slim".to_string()];
        assert_eq!(judge(&allowed, &pulled), None);
        let r = judge(&allowed, &local).unwrap();
        assert!(
            r.why
                .contains("not one of the bases this lab allows (python:3.*-slim)"),
            "{r:?}"
        );
    }
}
