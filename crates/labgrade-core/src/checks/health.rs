//! Health: `healthcheck: true` on an image (it declares a HEALTHCHECK, shown as the
//! Dockerfile writes it) and `healthy: true` on a container (its health status is
//! `healthy`; otherwise the last probe's exit code and output are the evidence).

use serde::Serialize;

use super::files::{Build, System, system_needs};
use super::kinds::{Ctx, Kind};
use super::*;
use crate::plan::Need;
use crate::spec::{ContainerSpec, ImageSpec, Points};

/// The image declares a HEALTHCHECK.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Healthcheck {
    pub image: ImageRef,
}

/// The container's health status is `healthy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Healthy {
    pub container: ContainerName,
    /// The image the spec says it runs, whose files tell how to add a HEALTHCHECK.
    pub image: Option<ImageRef>,
}

impl Kind for Healthcheck {
    fn for_image(i: &ImageSpec, points: &Points) -> Vec<Check> {
        if !i.healthcheck {
            return Vec::new();
        }
        vec![setting_check(
            format!("healthcheck:{}", i.name),
            format!("Image {} declares a HEALTHCHECK", i.name),
            points,
            format!("image:{}", i.name),
            CheckKind::Healthcheck(Healthcheck {
                image: i.name.clone(),
            }),
        )]
    }

    fn expected(&self) -> String {
        "a HEALTHCHECK".into()
    }

    fn needs(&self) -> Vec<Need> {
        system_needs(&self.image)
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let facts = cx.facts;
        let Some(image) = image_facts(facts, &self.image) else {
            return missing_fact();
        };
        if let Some(shown) = image.healthcheck.as_deref().and_then(instruction) {
            return pass(shown);
        }
        let build = Build::read(facts, &self.image);
        let off = image.healthcheck.is_some();
        fail(
            CauseId::NoHealthcheck,
            if off { "HEALTHCHECK NONE" } else { "no HEALTHCHECK" },
            if off {
                "the Dockerfile (or its base) turns the health check off with HEALTHCHECK NONE"
            } else {
                "the Dockerfile has no HEALTHCHECK line, so Docker cannot tell a working app from a stuck one"
            },
            build.rebuild_after(&add_line(image)),
        )
    }
}

impl Kind for Healthy {
    fn for_container(c: &ContainerSpec, points: &Points) -> Vec<Check> {
        if !c.healthy {
            return Vec::new();
        }
        vec![setting_check(
            format!("healthy:{}", c.name),
            format!("Container {} is healthy", c.name),
            points,
            format!("running:{}", c.name),
            CheckKind::Healthy(Healthy {
                container: c.name.clone(),
                image: c.image.clone(),
            }),
        )]
    }

    fn expected(&self) -> String {
        "health status healthy".into()
    }

    fn needs(&self) -> Vec<Need> {
        let mut needs = vec![Need::Container(self.container.clone())];
        match &self.image {
            Some(i) => needs.extend(system_needs(i)),
            None => needs.push(Need::ProjectFile("Dockerfile".into())),
        }
        needs
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let (plan, facts) = (cx.plan, cx.facts);
        let Some(c) = container_facts(facts, &self.container) else {
            return missing_fact();
        };
        let name = &self.container;
        let Some(h) = &c.health else {
            let image = image_of(facts, c);
            let fix = match image {
                Some(img) if !img.files.is_empty() => format!(
                    "{}, then: {}",
                    add_line(img),
                    rebuild_and_rerun(plan, name, Some(&c.image_name))
                ),
                _ => format!(
                    "add a HEALTHCHECK line to the Dockerfile, then: {}",
                    rebuild_and_rerun(plan, name, Some(&c.image_name))
                ),
            };
            if let Some(shown) = image.and_then(|i| i.healthcheck.as_deref()).and_then(instruction) {
                return fail(
                    CauseId::NoHealthStatus,
                    "no health status",
                    format!(
                        "the image declares `{shown}`, but the container was started without it (docker run --no-healthcheck, or a compose `healthcheck: disable`)"
                    ),
                    recreate(plan, name),
                );
            }
            return fail(
                CauseId::NoHealthStatus,
                "no health status",
                "neither the image nor `docker run` declares a HEALTHCHECK, so the container has no health status",
                fix,
            );
        };
        let last = match (&h.last_exit_code, &h.last_output) {
            (Some(code), Some(out)) if !out.trim().is_empty() => format!(
                "the last probe exited {code}: {}",
                quote(out.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(""), 120)
            ),
            (Some(code), _) => format!("the last probe exited {code} and printed nothing"),
            _ => "no probe has finished yet".into(),
        };
        match h.status.as_str() {
            "healthy" => pass("healthy"),
            "starting" => fail(
                CauseId::HealthStarting,
                "starting",
                format!("the HEALTHCHECK has not passed yet ({last})"),
                "give the app time to start, then check again: labgrade check --wait 60s (or `wait: 60s` in the spec; labgrade grade --wait 60s for a class)",
            ),
            status => {
                let output = h.last_output.as_deref().unwrap_or("");
                let tool = ["curl", "wget"]
                    .into_iter()
                    .find(|t| output.contains(&format!("{t}: not found")) || (output.contains("executable file not found") && output.contains(t)));
                let fix = match tool {
                    Some(t) => format!(
                        "the image has no {t}: install it in the Dockerfile (or probe with a program the image has), then: {}",
                        rebuild_and_rerun(plan, name, Some(&c.image_name))
                    ),
                    None => {
                        let probe = image_of(facts, c)
                            .and_then(|i| i.healthcheck.as_deref())
                            .and_then(|t| exec_command(name, t));
                        let try_it = probe.map_or(String::new(), |p| format!(" (try it: {p})"));
                        format!(
                            "make the HEALTHCHECK's command succeed inside the container{try_it}, then: {}",
                            rebuild_and_rerun(plan, name, Some(&c.image_name))
                        )
                    }
                };
                let streak = if h.failing_streak > 0 {
                    format!(", {} failed probes in a row", h.failing_streak)
                } else {
                    String::new()
                };
                fail(
                    CauseId::Unhealthy,
                    format!("{status}{streak}"),
                    format!("the container's HEALTHCHECK fails: {last}"),
                    fix,
                )
            }
        }
    }
}

/// The `docker exec` that runs a HEALTHCHECK test by hand in the container.
fn exec_command(name: &ContainerName, test: &[String]) -> Option<String> {
    match test.split_first() {
        Some((kind, rest)) if kind == "CMD-SHELL" => Some(format!(
            "docker exec {name} sh -c {}",
            shell_word(&rest.join(" "))
        )),
        Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => Some(format!(
            "docker exec {name} {}",
            rest.iter().map(|w| shell_word(w)).collect::<Vec<_>>().join(" ")
        )),
        _ => None,
    }
}

/// A HEALTHCHECK test as the Dockerfile writes it: `HEALTHCHECK CMD curl -f ...`;
/// `None` for none or `NONE`.
fn instruction(test: &[String]) -> Option<String> {
    match test.split_first() {
        Some((kind, rest)) if kind == "CMD-SHELL" => {
            Some(format!("HEALTHCHECK CMD {}", rest.join(" ")))
        }
        Some((kind, rest)) if kind == "CMD" => {
            Some(format!("HEALTHCHECK CMD {}", exec_form(rest)))
        }
        _ => None,
    }
}

/// A HEALTHCHECK line that works with what the image has: Python's urllib, Node's
/// fetch, curl or wget; the labgrade-free `CMD ["/app/healthcheck"]` shape otherwise.
fn example(image: &ImageFacts) -> Option<String> {
    let port = image
        .exposed_ports
        .first()
        .and_then(|p| p.split('/').next())
        .unwrap_or("8080");
    let url = format!("http://localhost:{port}/");
    let system = System::of(image);
    let line = if system.python {
        format!(
            "HEALTHCHECK CMD python3 -c \"import urllib.request; urllib.request.urlopen('{url}')\""
        )
    } else if system.node {
        format!("HEALTHCHECK CMD node -e \"fetch('{url}').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))\"")
    } else if system.curl && system.shell {
        format!("HEALTHCHECK CMD curl -f {url} || exit 1")
    } else if system.wget && system.shell {
        format!("HEALTHCHECK CMD wget -q -O /dev/null {url} || exit 1")
    } else {
        // Nothing in the image could make the request: say what is missing, not a line
        // that would fail.
        return None;
    };
    Some(line)
}

/// The fix's first step: the line to add, or what the image lacks for one.
fn add_line(image: &ImageFacts) -> String {
    match example(image) {
        Some(line) => format!("add `{line}` to the Dockerfile"),
        None => "the image has no python3, node, curl or wget to probe the app with: install one in the Dockerfile (or build a small health-check program into the image) and add a `HEALTHCHECK CMD ...` line that calls it".into(),
    }
}
