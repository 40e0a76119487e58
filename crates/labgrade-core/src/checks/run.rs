//! One-shot runs: a command run in the image must exit as expected and print what the spec asks.

use serde::Serialize;

use super::kinds::{Ctx, Kind, Place};
use super::*;
use crate::plan::Need;
use crate::spec::{Points, Spec};

/// A one-shot `docker run --rm` and the output it must give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunCheck {
    pub run: Box<RunSpec>,
}

impl Kind for RunCheck {
    fn place() -> Place {
        Place::BeforeContainers
    }

    fn for_spec(spec: &Spec, points: &Points) -> Vec<Check> {
        spec.runs
            .iter()
            .map(|r| {
                let shown = std::iter::once(r.image.to_string())
                    .chain(r.args.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" ");
                Check {
                    id: format!("run:{}", r.image),
                    title: format!("docker run --rm {shown} gives the expected output"),
                    points: r.points.unwrap_or(points.run),
                    requires: vec![format!("image:{}", r.image)],
                    hidden: false,
                    kind: CheckKind::Run(RunCheck {
                        run: Box::new(r.clone()),
                    }),
                }
            })
            .collect()
    }

    fn expected(&self) -> String {
        expected(&self.run)
    }

    /// Nothing to inspect: observe runs the command for every run check whose image
    /// exists, and records the result under the check's id.
    fn needs(&self) -> Vec<Need> {
        Vec::new()
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let facts = cx.facts;
        match facts.runs.get(cx.id) {
            Some(f) => judge(
                &self.run,
                f,
                image_facts(facts, &self.run.image),
                facts,
            ),
            None => missing_fact(),
        }
    }
}

/// What a one-shot run must give, in words.
fn expected(r: &RunSpec) -> String {
    let mut parts = vec![format!("exit code {}", r.exit_code)];
    parts.extend(
        r.stdout_contains
            .iter()
            .map(|t| format!("output has {}", quote(t, 40))),
    );
    if let Some(p) = &r.stdout_regex {
        parts.push(match &r.stdout_regex_means {
            Some(m) => format!("output shows {m}"),
            None => format!("output matches /{}/", p.0.as_str()),
        });
    }
    parts.extend(
        r.stderr_contains
            .iter()
            .map(|t| format!("errors have {}", quote(t, 40))),
    );
    parts.join(", ")
}

/// Judges a one-shot run.
fn judge(
    r: &RunSpec,
    f: &RunFacts,
    image: Option<&ImageFacts>,
    facts: &Facts,
) -> Judgement {
    let daemon = &facts.daemon;
    let command = std::iter::once(format!("docker run --rm {}", r.image))
        .chain(r.args.iter().map(|a| shell_word(a)))
        .collect::<Vec<_>>()
        .join(" ");
    let exec_format = f.stderr.contains("exec format error")
        || f.error
            .as_deref()
            .is_some_and(|e| e.contains("exec format error"));
    if let Some((cause, platform)) = exec_format.then(|| wrong_platform(image, daemon)).flatten() {
        return fail(
            CauseId::WrongPlatform,
            f.exit_code
                .map_or("did not run".into(), |c| format!("exit code {c}")),
            cause,
            format!(
                "docker build --platform {platform} -t {} . && {command}",
                r.image
            ),
        );
    }
    if let Some(e) = &f.error {
        return fail(
            CauseId::RunFailedToStart,
            "did not run",
            format!("the image could not run: {e}"),
            format!("{command}   # to see it yourself"),
        );
    }
    let out = quote(f.stdout.trim(), 80);
    if f.timed_out {
        return fail(
            CauseId::RunTimedOut,
            format!(
                "still running after {:.0}s; output so far {out}",
                f.elapsed_ms as f64 / 1000.0
            ),
            "the program did not finish: a one-shot program must print and exit (not start a server or wait for input)",
            format!("{command}   # should return by itself"),
        );
    }
    let mut problems = Vec::new();
    if f.exit_code != Some(r.exit_code) {
        problems.push(format!(
            "exit code {}",
            f.exit_code.map_or("?".into(), |c| c.to_string())
        ));
    }
    for t in &r.stdout_contains {
        if !f.stdout.contains(t.as_str()) {
            problems.push(format!("output lacks {}", quote(t, 40)));
        }
    }
    if let Some(p) = &r.stdout_regex
        && !p.0.is_match(&f.stdout)
    {
        problems.push(match &r.stdout_regex_means {
            Some(m) => format!("output does not show {m}"),
            // No raw pattern in text for students; the expected text has it.
            None => "output does not show what the lab asks for".to_string(),
        });
    }
    for t in &r.stderr_contains {
        if !f.stderr.contains(t.as_str()) {
            problems.push(format!("errors lack {}", quote(t, 40)));
        }
    }
    if problems.is_empty() {
        return pass(format!("exit code {}, output {out}", r.exit_code));
    }
    let err = f.stderr.lines().rev().find(|l| !l.trim().is_empty());
    let cause = match (f.exit_code, err) {
        (Some(c), Some(e)) if c != r.exit_code => {
            format!("the program failed with exit code {c}: {}", quote(e, 120))
        }
        _ => format!("the program printed {out}, not what the lab asks for"),
    };
    // What the program must change, then the commands that rebuild and rerun it.
    let wanted: Vec<String> = problems
        .iter()
        .map(|p| {
            if p.starts_with("exit code ") {
                return format!("exit with code {}", r.exit_code);
            }
            p.replace("output does not show ", "print ")
                .replace("output lacks ", "print ")
                .replace("errors lack ", "write to stderr ")
        })
        .collect();
    // Only the output is wrong, and the program's code shows where it ends: the lines
    // that print what is missing, written out.
    let only_output = f.exit_code == Some(r.exit_code)
        && r.stderr_contains.iter().all(|t| f.stderr.contains(t.as_str()));
    let edit = image
        .filter(|_| only_output)
        .and_then(|i| super::code::missing_output(facts, i, &r.image, r, &f.stdout))
        .unwrap_or_else(|| {
            format!(
                "change the program so that it does what is missing ({})",
                wanted.join("; ")
            )
        });
    fail(
        CauseId::RunOutputWrong,
        problems.join("; "),
        cause,
        format!("{edit}, then: docker build -t {} . && {command}", r.image),
    )
}
