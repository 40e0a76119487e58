//! Container settings (environment, mounts, restart policy, labels, networks): what each expects in words and how it is judged from the container's inspect facts.

use serde::Serialize;

use super::kinds::{Ctx, Kind};
use super::*;
use crate::plan::Need;
use crate::spec::{ContainerSpec, MountSpec, Points, RestartPolicy};

/// Something a container must be set up with.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerSetting {
    Env(String, String),
    Mount(MountSpec),
    Restart(RestartPolicy),
    Label(String, String),
    Network(String),
}

/// One setting of one container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerSettingCheck {
    pub container: ContainerName,
    pub setting: ContainerSetting,
}

impl Kind for ContainerSettingCheck {
    fn for_container(c: &ContainerSpec, points: &Points) -> Vec<Check> {
        let name = &c.name;
        let mut settings: Vec<(String, String, ContainerSetting)> = Vec::new();
        for (k, v) in &c.env {
            settings.push((
                format!("env:{name}:{k}"),
                format!("{name} has {k}={v} in its environment"),
                ContainerSetting::Env(k.clone(), v.clone()),
            ));
        }
        for m in &c.mounts {
            let what = m
                .source
                .as_deref()
                .map_or(String::new(), |s| format!("{s} "));
            settings.push((
                format!("mount:{name}:{}", m.destination),
                format!("{name} mounts {what}at {}", m.destination),
                ContainerSetting::Mount(m.clone()),
            ));
        }
        if let Some(r) = c.restart {
            settings.push((
                format!("restart:{name}"),
                format!("{name} has restart policy {}", r.as_str()),
                ContainerSetting::Restart(r),
            ));
        }
        for (k, v) in &c.labels {
            settings.push((
                format!("label:{name}:{k}"),
                format!("{name} has label {k}={v}"),
                ContainerSetting::Label(k.clone(), v.clone()),
            ));
        }
        for n in &c.networks {
            settings.push((
                format!("network:{name}:{n}"),
                format!("{name} is on network {n}"),
                ContainerSetting::Network(n.clone()),
            ));
        }
        settings
            .into_iter()
            .map(|(id, title, setting)| Check {
                id,
                title,
                points: points.setting,
                requires: vec![format!("container:{name}")],
                hidden: false,
                kind: CheckKind::ContainerSetting(ContainerSettingCheck {
                    container: name.clone(),
                    setting,
                }),
            })
            .collect()
    }

    fn expected(&self) -> String {
        expected(&self.setting)
    }

    fn needs(&self) -> Vec<Need> {
        vec![Need::Container(self.container.clone())]
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        match container_facts(cx.facts, &self.container) {
            Some(c) => judge(&self.setting, c, &recreate(cx.plan, &self.container)),
            None => missing_fact(),
        }
    }
}

/// What the check expects, in words.
pub(crate) fn expected(s: &ContainerSetting) -> String {
    match s {
        ContainerSetting::Env(k, v) => format!("-e {}", shell_word(&format!("{k}={v}"))),
        ContainerSetting::Mount(m) => format!(
            "-v {}{}",
            m.source
                .as_deref()
                .map_or(String::new(), |s| format!("{s}:")),
            m.destination
        ),
        ContainerSetting::Restart(r) => format!("--restart {}", r.as_str()),
        ContainerSetting::Label(k, v) => format!("--label {}", shell_word(&format!("{k}={v}"))),
        ContainerSetting::Network(n) => format!("--network {n}"),
    }
}

/// Judges one container setting.
fn judge(setting: &ContainerSetting, c: &ContainerFacts, recreate: &str) -> Judgement {
    // A live change (docker update, docker network connect) would not survive the next
    // `docker compose up`: a compose service is fixed in docker-compose.yml.
    let compose = c.labels.contains_key("com.docker.compose.service");
    let live = |cmd: String| if compose { recreate.to_string() } else { cmd };
    // Compose names a project's networks and volumes `<project>_<name>`.
    let project = c.labels.get("com.docker.compose.project");
    let named = |got: &str, want: &str| {
        got == want || project.is_some_and(|p| got == format!("{p}_{want}"))
    };
    match setting {
        ContainerSetting::Env(k, v) => match env_value(&c.env, k) {
            Some(got) if got == v => pass(format!("{k}={got}")),
            Some(got) => fail(
                CauseId::WrongEnvValue,
                format!("{k}={got}"),
                format!("{k} is {got}, not {v}"),
                recreate.to_string(),
            ),
            None => fail(
                CauseId::MissingEnvVar,
                format!("no {k}"),
                format!("the container was started without {k}"),
                recreate.to_string(),
            ),
        },
        ContainerSetting::Mount(m) => {
            let shown: Vec<String> = c
                .mounts
                .iter()
                .map(|x| format!("{} {}:{}", x.kind, x.source, x.destination))
                .collect();
            let found = if shown.is_empty() {
                "no mounts".to_string()
            } else {
                shown.join(", ")
            };
            let at = c.mounts.iter().find(|x| {
                x.destination.trim_end_matches('/') == m.destination.trim_end_matches('/')
            });
            match at {
                None => fail(
                    CauseId::MountMissing,
                    found,
                    format!("nothing is mounted at {}", m.destination),
                    recreate.to_string(),
                ),
                Some(x) if m.kind.is_some_and(|k| k.to_string() != x.kind) => fail(
                    CauseId::WrongMountKind,
                    found,
                    format!(
                        "{} is a {} mount, not a {} (a path before the colon makes a bind mount, a name a volume)",
                        m.destination,
                        x.kind,
                        m.kind.unwrap_or(MountKind::Bind)
                    ),
                    recreate.to_string(),
                ),
                Some(x)
                    if m.source
                        .as_ref()
                        .is_some_and(|s| !source_matches(&x.source, s) && !named(&x.source, s)) =>
                {
                    fail(
                        CauseId::WrongMountSource,
                        found,
                        format!(
                            "{} comes from {}, not {}",
                            m.destination,
                            x.source,
                            m.source.as_deref().unwrap_or("")
                        ),
                        recreate.to_string(),
                    )
                }
                Some(_) => pass(found),
            }
        }
        ContainerSetting::Restart(r) => {
            let got = c.restart_policy.clone().unwrap_or_else(|| "no".into());
            if got == r.as_str() {
                pass(format!("--restart {got}"))
            } else {
                fail(
                    CauseId::WrongRestart,
                    format!("--restart {got}"),
                    format!("the restart policy is {got}"),
                    live(format!("docker update --restart {} {}", r.as_str(), c.name)),
                )
            }
        }
        ContainerSetting::Label(k, v) => match c.labels.get(k) {
            Some(got) if got == v => pass(format!("{k}={got}")),
            Some(got) => fail(
                CauseId::WrongLabel,
                format!("{k}={got}"),
                format!("label {k} is {got}, not {v}"),
                recreate.to_string(),
            ),
            None => fail(
                CauseId::MissingLabel,
                "no such label",
                format!("the container has no label {k}"),
                recreate.to_string(),
            ),
        },
        ContainerSetting::Network(n) => {
            let found = if c.networks.is_empty() {
                "no networks".to_string()
            } else {
                c.networks.join(", ")
            };
            if c.networks.iter().any(|x| named(x, n)) {
                pass(found)
            } else {
                fail(
                    CauseId::WrongNetwork,
                    found,
                    format!("the container is not on network {n}"),
                    live(format!("docker network connect {n} {}", c.name)),
                )
            }
        }
    }
}

/// A bind source matches by its end (`/project/src` matches `src`); `.` matches any path.
pub(crate) fn source_matches(got: &str, want: &str) -> bool {
    let want = want.trim_end_matches('/');
    want == "."
        || want.is_empty()
        || got == want
        || got
            .trim_end_matches('/')
            .ends_with(&format!("/{}", want.trim_start_matches("./")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert!(source_matches("/home/s/project", "project"));
        assert!(source_matches("/home/s/project", "."));
        assert!(source_matches("db-data", "db-data"));
        assert!(!source_matches("/home/s/other", "project"));
    }
}
