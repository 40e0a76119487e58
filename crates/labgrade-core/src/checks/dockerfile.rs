//! Dockerfile checks: the file is there, and each teaching rule (hadolint's ids where they overlap) is followed, with the line and the fix.

use serde::Serialize;

use super::kinds::{Ctx, Kind, Place};
use super::*;
use crate::plan::Need;
use crate::spec::{Points, Spec};

/// The Dockerfile exists.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DockerfilePresent {
    pub dockerfile: DockerfileSpec,
}

/// The Dockerfile follows one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DockerfileRule {
    pub dockerfile: DockerfileSpec,
    pub rule: &'static str,
}

impl Kind for DockerfilePresent {
    fn place() -> Place {
        Place::BeforeContainers
    }

    fn for_spec(spec: &Spec, points: &Points) -> Vec<Check> {
        let Some(d) = &spec.dockerfile else {
            return Vec::new();
        };
        vec![Check {
            id: "dockerfile".into(),
            title: format!("{} exists", d.path),
            points: points.setting,
            requires: vec![],
            hidden: false,
            kind: CheckKind::DockerfilePresent(DockerfilePresent {
                dockerfile: d.clone(),
            }),
        }]
    }

    fn expected(&self) -> String {
        format!("a file {}", self.dockerfile.path)
    }

    fn needs(&self) -> Vec<Need> {
        vec![
            Need::ProjectFile(self.dockerfile.path.clone()),
            Need::ProjectFile(self.dockerfile.dockerignore_path()),
        ]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        dockerfile_present(&self.dockerfile, cx.facts)
    }
}

impl Kind for DockerfileRule {
    fn place() -> Place {
        Place::BeforeContainers
    }

    /// One check per teaching rule, less those the spec skips (and those about the
    /// EXPOSE and the .dockerignore when it asks for none).
    fn for_spec(spec: &Spec, points: &Points) -> Vec<Check> {
        let Some(d) = &spec.dockerfile else {
            return Vec::new();
        };
        let wanted = |id: &str| match id {
            "LG003" => d.expose.is_some(),
            "LG004" => d.dockerignore.is_some(),
            _ => true,
        };
        crate::dockerfile::RULES
            .iter()
            .filter(|r| wanted(r.id) && !d.skip.iter().any(|s| s.eq_ignore_ascii_case(r.id)))
            .map(|rule| Check {
                id: format!("dockerfile:{}", rule.id),
                title: format!("{} ({})", rule.title, rule.id),
                points: points.setting,
                requires: vec!["dockerfile".into()],
                hidden: false,
                kind: CheckKind::DockerfileRule(DockerfileRule {
                    dockerfile: d.clone(),
                    rule: rule.id,
                }),
            })
            .collect()
    }

    fn expected(&self) -> String {
        format!("rule {} followed", self.rule)
    }

    /// Nothing of its own: the Dockerfile check before it reads the files.
    fn needs(&self) -> Vec<Need> {
        Vec::new()
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        dockerfile_rule(&self.dockerfile, self.rule, &cx.facts.files)
    }
}

/// The file a Dockerfile check reads, as observed.
fn file<'a>(
    files: &'a std::collections::BTreeMap<String, Option<String>>,
    path: &str,
) -> Option<&'a str> {
    files.get(path).and_then(|t| t.as_deref())
}

/// Judges whether the Dockerfile exists.
fn dockerfile_present(d: &DockerfileSpec, facts: &Facts) -> Judgement {
    let (files, project_dir, nearby) = (
        &facts.files,
        facts.project_dir.as_deref(),
        &facts.dockerfiles_nearby,
    );
    match file(files, &d.path) {
        Some(text) if text.starts_with("# labgrade: ") => fail(
            CauseId::DockerfileTooLarge,
            "too large",
            format!("{} is larger than 1 MiB, which no Dockerfile needs", d.path),
            "keep the Dockerfile to its instructions",
        ),
        Some(text) => {
            let parsed = crate::dockerfile::Dockerfile::parse(text);
            if parsed.instructions.iter().any(|i| i.keyword == "FROM") {
                pass(format!("{} instructions", parsed.instructions.len()))
            } else {
                fail(
                    CauseId::DockerfileNoFrom,
                    "no FROM line",
                    format!("{} has no FROM line, so Docker cannot build it", d.path),
                    "start it with the base image, such as FROM python:3.11-slim",
                )
            }
        }
        None => {
            let folder = project_dir.map_or("the project folder".to_string(), |p| p.to_string());
            match nearby.first() {
                Some(there) => fail(
                    CauseId::DockerfileMissing,
                    format!("no {}; found {there}", d.path),
                    format!("there is no {} in {folder}, but there is {there}", d.path),
                    format!(
                        "move {there} to the project folder, or give labgrade the folder it is in: --dir {}",
                        there.rsplit_once('/').map_or(".", |(f, _)| f)
                    ),
                ),
                None => fail(
                    CauseId::DockerfileMissing,
                    format!("no {}", d.path),
                    format!("there is no {} in {folder}", d.path),
                    format!(
                        "create {}, or run labgrade in the project folder (or give --dir FOLDER)",
                        d.path
                    ),
                ),
            }
        }
    }
}

/// Judges one rule.
fn dockerfile_rule(
    d: &DockerfileSpec,
    rule: &str,
    files: &std::collections::BTreeMap<String, Option<String>>,
) -> Judgement {
    let Some(text) = file(files, &d.path) else {
        return fail(
            CauseId::DockerfileMissing,
            "no Dockerfile",
            "there is no Dockerfile to read",
            format!("create {}", d.path),
        );
    };
    let ignore_path = d.dockerignore_path();
    let wanted = d.dockerignore.clone().unwrap_or_default();
    let opts = crate::dockerfile::LintOptions {
        expose: d.expose,
        dockerignore: d
            .dockerignore
            .as_ref()
            .map(|_| (file(files, &ignore_path), wanted.as_slice())),
    };
    let parsed = crate::dockerfile::Dockerfile::parse(text);
    let found: Vec<crate::dockerfile::Violation> = crate::dockerfile::lint(&parsed, &opts)
        .into_iter()
        .filter(|v| v.rule == rule)
        .collect();
    match found.first() {
        None => pass("ok"),
        Some(first) => {
            // Where it is and the line as written; what is wrong with it is the cause.
            let shown: Vec<String> = found
                .iter()
                .map(|v| {
                    match parsed
                        .instructions
                        .iter()
                        .find(|i| i.line == v.line && v.line > 0)
                    {
                        Some(i) => {
                            let line = format!("{} {}", i.keyword, i.args);
                            format!("{}:{}: {}", d.path, v.line, quote(&line, 80))
                        }
                        None => v.found.clone().unwrap_or_else(|| v.message.clone()),
                    }
                })
                .collect();
            fail(
                CauseId::DockerfileRule,
                shown.join("; "),
                first.message.clone(),
                first.fix.clone(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_dockerfile_names_the_folder_and_one_found_below_it() {
        let spec = crate::plan::parse("dockerfile: {}\n", "lab.yaml").unwrap();
        let d = spec.dockerfile.unwrap();
        let mut facts = Facts {
            project_dir: Some("/home/s/lab".into()),
            ..Default::default()
        };
        facts.files.insert("Dockerfile".into(), None);
        let j = dockerfile_present(&d, &facts);
        assert_eq!(
            j.cause.as_deref(),
            Some("there is no Dockerfile in /home/s/lab")
        );
        facts.dockerfiles_nearby = vec!["src/Dockerfile".into()];
        let j = dockerfile_present(&d, &facts);
        assert_eq!(j.cause_id, Some(CauseId::DockerfileMissing));
        assert!(j.fix.unwrap().ends_with("--dir src"));
    }
}
