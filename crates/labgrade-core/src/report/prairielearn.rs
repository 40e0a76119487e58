//! PrairieLearn external grading `results.json` (`--format prairielearn`): `score` from 0
//! to 1, a `message` and an `output` for the whole submission, and one test per check
//! with `name`, `description`, `points`, `max_points`, `message` and `output`, as the
//! `<pl-external-grader-results>` element shows them. PrairieLearn takes at most 1 MB,
//! so free text is cut until the file fits. When the grader itself could not grade (no
//! daemon, an invalid spec) the file says `"gradable": false`: no points are given or
//! taken and the student keeps the attempt.

use std::io::Write;

use serde::Serialize;

use super::{Report, failure_lines, without_controls};
use crate::verdict::Outcome;

/// PrairieLearn's limit on results.json; a little is kept back for the line break.
pub const LIMIT: usize = 1_000_000;

#[derive(Serialize)]
struct Results {
    gradable: bool,
    score: f64,
    message: String,
    output: String,
    tests: Vec<Test>,
}

#[derive(Serialize, Clone)]
struct Test {
    name: String,
    description: String,
    points: u32,
    max_points: u32,
    message: String,
    output: String,
}

/// `s` cut to at most `max` bytes (at a character boundary), saying how much was cut.
fn cut(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{} [... {} bytes cut]", &s[..end], s.len() - end)
}

fn results(report: &Report) -> Results {
    let tests: Vec<Test> = report
        .findings
        .iter()
        .filter(|f| f.outcome != Outcome::Given)
        .map(|f| {
            let passed = f.outcome == Outcome::Pass;
            Test {
                name: without_controls(&f.title),
                description: without_controls(&f.expected),
                points: f.points,
                max_points: f.max_points,
                message: without_controls(&if passed {
                    f.found.clone()
                } else {
                    failure_lines(report, f).join("\n")
                }),
                output: without_controls(&f.evidence.join("\n")),
            }
        })
        .collect();
    let output = report
        .findings
        .iter()
        .filter(|f| f.outcome != Outcome::Given)
        .map(|f| {
            let word = match f.outcome {
                Outcome::Pass | Outcome::Given => "PASS",
                Outcome::Fail => "FAIL",
                Outcome::Skipped => "SKIP",
                Outcome::Error => "ERROR",
            };
            format!("{word}  {} ({}/{})", f.title, f.points, f.max_points)
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut message = format!(
        "{} — {} (pass mark {})",
        report.points_line(),
        if report.passed { "passed" } else { "failed" },
        report.pass_points
    );
    if let Some(root) = report.root_finding() {
        message.push_str(&format!("\nFix this first: {}", root.title));
        if let Some(fix) = &root.fix {
            message.push_str(&format!("\nfix: {fix}"));
        }
    }
    Results {
        gradable: true,
        score: if report.max_score == 0 {
            if report.passed { 1.0 } else { 0.0 }
        } else {
            (f64::from(report.score) / f64::from(report.max_score)).clamp(0.0, 1.0)
        },
        message: without_controls(&message),
        output: without_controls(&output),
        tests,
    }
}

/// Serialises `r`, cutting every free-text field shorter until the whole fits [`LIMIT`]
/// (and dropping the tests if even their names do not fit).
fn fitted(r: Results) -> Vec<u8> {
    let whole = serde_json::to_vec_pretty(&r).unwrap_or_default();
    if whole.len() < LIMIT {
        return whole;
    }
    let mut max = LIMIT / 4;
    loop {
        let short = |s: &String| cut(s, max);
        let trimmed = Results {
            gradable: r.gradable,
            score: r.score,
            message: short(&r.message),
            output: short(&r.output),
            tests: if max == 0 {
                Vec::new()
            } else {
                r.tests
                    .iter()
                    .map(|t| Test {
                        name: short(&t.name),
                        description: short(&t.description),
                        message: short(&t.message),
                        output: short(&t.output),
                        ..t.clone()
                    })
                    .collect()
            },
        };
        let json = serde_json::to_vec(&trimmed).unwrap_or_default();
        if json.len() < LIMIT || max == 0 {
            return json;
        }
        max /= 2;
    }
}

/// Writes PrairieLearn's results.json for a graded lab.
pub fn write_prairielearn(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(&fitted(results(report)))?;
    writeln!(out)
}

/// Writes the results.json of a submission the grader could not grade: `gradable` false,
/// with why in `message`.
pub fn write_prairielearn_ungradable(why: &str, out: &mut dyn Write) -> std::io::Result<()> {
    let r = Results {
        gradable: false,
        score: 0.0,
        message: without_controls(&format!(
            "the grader could not grade this submission: {why}"
        )),
        output: String::new(),
        tests: Vec::new(),
    };
    out.write_all(&fitted(r))?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cut_keeps_characters_whole_and_says_so() {
        assert_eq!(super::cut("héllo", 2), "h [... 5 bytes cut]");
        assert_eq!(super::cut("abc", 3), "abc");
    }
}
