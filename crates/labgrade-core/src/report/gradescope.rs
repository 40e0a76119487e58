//! Gradescope autograder `results.json` (`--format gradescope`): score, max_score and one
//! test per check. Visibility follows the spec: the result's `visibility:` at the top
//! (and for every test that sets none), each check's own `visibility:` on its test, and
//! `hidden: true` as `hidden`.

use std::io::Write;

use serde::Serialize;

use super::{Report, failure_text};
use crate::spec::Visibility;
use crate::verdict::Outcome;

#[derive(Serialize)]
struct Results<'a> {
    score: u32,
    max_score: u32,
    output: String,
    visibility: &'static str,
    stdout_visibility: &'static str,
    tests: Vec<Test<'a>>,
}

#[derive(Serialize)]
struct Test<'a> {
    name: &'a str,
    number: String,
    score: u32,
    max_score: u32,
    status: &'static str,
    output: String,
    visibility: &'static str,
    tags: Vec<&'a str>,
}

/// Writes Gradescope's results.json.
pub fn write_gradescope(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let tests = report
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| Test {
            name: &f.title,
            number: (i + 1).to_string(),
            score: f.points,
            max_score: f.max_points,
            status: if matches!(f.outcome, Outcome::Pass | Outcome::Given) {
                "passed"
            } else {
                "failed"
            },
            output: if matches!(f.outcome, Outcome::Pass | Outcome::Given) {
                f.found.clone()
            } else {
                failure_text(report, f)
            },
            // Written on every test: the same as Gradescope's inheritance from the top.
            visibility: f
                .visibility
                .or(f.hidden.then_some(Visibility::Hidden))
                .or(report.visibility)
                .unwrap_or(Visibility::Visible)
                .as_str(),
            tags: vec![&f.id],
        })
        .collect();
    let results = Results {
        score: report.score,
        max_score: report.max_score,
        output: format!(
            "{} (pass mark {})",
            report.points_line(),
            report.pass_points
        ),
        visibility: report.visibility.unwrap_or(Visibility::Visible).as_str(),
        stdout_visibility: "hidden",
        tests,
    };
    serde_json::to_writer_pretty(&mut *out, &results)?;
    writeln!(out)
}
