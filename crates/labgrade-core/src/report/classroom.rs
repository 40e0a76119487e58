//! GitHub Classroom's autograding result (`--format classroom`): the JSON object a runner
//! action hands to `classroom-resources/autograding-grading-reporter` (base64 in its
//! step output `result`): `{"version": 1, "status", "max_score", "tests": [...]}`. The
//! reporter sums `tests[].score` for the grade, and its console table counts passed
//! tests against the total, so every check is one test with whole points and a status
//! that agrees with them; checks the grader itself satisfied (batch `given`) are left out.

use std::io::Write;

use serde::Serialize;

use super::{Report, failure_text};
use crate::verdict::Outcome;

/// The runner's result, as the reporter reads it.
#[derive(Debug, Serialize, PartialEq)]
pub struct ClassroomResult {
    pub version: u32,
    /// `pass`, `fail` or `error` (the grader could not check something).
    pub status: &'static str,
    pub max_score: u32,
    pub tests: Vec<ClassroomTest>,
}

/// One check, as one of the runner's tests.
#[derive(Debug, Serialize, PartialEq)]
pub struct ClassroomTest {
    pub name: String,
    pub status: &'static str,
    pub score: u32,
    pub message: String,
    /// The check's id: what the test ran.
    pub test_code: String,
    /// The spec the check comes from.
    pub filename: String,
    pub line_no: u32,
    /// Milliseconds (the report times the whole check, not each test).
    pub duration: u64,
}

/// The Classroom result of a report.
pub fn classroom_result(report: &Report) -> ClassroomResult {
    let tests: Vec<ClassroomTest> = report
        .findings
        .iter()
        .filter(|f| f.outcome != Outcome::Given)
        .map(|f| {
            let status = match f.outcome {
                Outcome::Pass | Outcome::Given => "pass",
                Outcome::Error => "error",
                Outcome::Fail | Outcome::Skipped => "fail",
            };
            ClassroomTest {
                name: f.title.clone(),
                status,
                // A test that did not pass scores nothing, so the sum and the count agree.
                score: if status == "pass" { f.points } else { 0 },
                message: if status == "pass" {
                    f.found.clone()
                } else {
                    failure_text(report, f)
                },
                test_code: f.id.clone(),
                filename: report.spec.clone(),
                line_no: 0,
                duration: 0,
            }
        })
        .collect();
    let status = if report.passed {
        "pass"
    } else if tests.iter().any(|t| t.status == "error") {
        "error"
    } else {
        "fail"
    };
    ClassroomResult {
        version: 1,
        status,
        max_score: report.max_score,
        tests,
    }
}

/// Writes the Classroom result as JSON.
pub fn write_classroom(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &classroom_result(report))?;
    writeln!(out)
}
