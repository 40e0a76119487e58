//! Autolab's autograder output (`--format autolab`): what students read, then two JSON
//! lines. The last line of standard output is Autolab's *autoresult*, `{"scores":
//! {...}}`, one score per check id (name the lab's Autolab problems after the check ids
//! the gradebook's columns show); the line before it is the formatted-feedback line,
//! `{"_presentation": "semantic", "stages": [...], ...}`, which turns the output into a
//! table of passed and failed checks with the fix as each failure's hint.

use std::io::Write;

use serde_json::{Map, Value, json};

use super::{Report, failure_lines, printable};
use crate::verdict::Outcome;

/// The one stage of the semantic feedback.
const STAGE: &str = "Checks";

/// Writes the Autolab output: text, the semantic-feedback line, the autoresult line.
pub fn write_autolab(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let graded: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.outcome != Outcome::Given)
        .collect();
    for f in &graded {
        let word = match f.outcome {
            Outcome::Pass | Outcome::Given => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skipped => "SKIP",
            Outcome::Error => "ERROR",
        };
        writeln!(
            out,
            "{word}  {} ({}/{})",
            printable(&f.title),
            f.points,
            f.max_points
        )?;
        if f.outcome != Outcome::Pass {
            for line in failure_lines(report, f).iter().chain(&f.evidence) {
                writeln!(out, "      {}", printable(line))?;
            }
        }
    }
    writeln!(out, "{}", report.points_line())?;
    // Each test row is keyed by its title, numbered so that two alike stay apart.
    let mut rows = Map::new();
    let mut scores = Map::new();
    for (i, f) in graded.iter().enumerate() {
        let mut row = Map::new();
        row.insert("passed".into(), json!(f.outcome == Outcome::Pass));
        if f.outcome != Outcome::Pass {
            let hint = f.fix.as_ref().or(f.cause.as_ref()).unwrap_or(&f.found);
            row.insert("hint".into(), json!(hint));
        }
        rows.insert(format!("{}. {}", i + 1, f.title), Value::Object(row));
        scores.insert(f.id.clone(), json!(f.points));
    }
    let semantic = json!({"_presentation": "semantic", "stages": [STAGE], STAGE: rows});
    // serde_json escapes every control character, so neither line can be split.
    writeln!(out, "{semantic}")?;
    writeln!(out, "{}", json!({ "scores": scores }))
}
