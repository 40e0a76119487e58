//! TAP version 14 (`--format tap`): one test point per check, failures with a YAML block.

use std::io::Write;

use super::{Report, without_controls};
use crate::verdict::Outcome;

/// A test point description on one line, without the `#` that starts a directive.
fn description(s: &str) -> String {
    without_controls(s)
        .replace(['\n', '\t'], " ")
        .replace('\\', "\\\\")
        .replace('#', "\\#")
}

/// A YAML double-quoted scalar.
fn yaml(s: &str) -> String {
    serde_json::to_string(&without_controls(s)).unwrap_or_else(|_| "\"\"".into())
}

/// Writes the report as a TAP 14 stream.
pub fn write_tap(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "TAP version 14")?;
    writeln!(out, "1..{}", report.findings.len())?;
    for (i, f) in report.findings.iter().enumerate() {
        let n = i + 1;
        // The title alone names the test, so it stays the same from run to run.
        let title = description(&f.title);
        match f.outcome {
            Outcome::Pass => writeln!(out, "ok {n} - {title}")?,
            Outcome::Given => writeln!(out, "ok {n} - {title} # SKIP given by the grader")?,
            Outcome::Skipped => writeln!(
                out,
                "ok {n} - {title} # SKIP {}",
                description(f.cause.as_deref().unwrap_or("skipped"))
            )?,
            Outcome::Fail | Outcome::Error => {
                writeln!(out, "not ok {n} - {title}")?;
                writeln!(out, "  ---")?;
                writeln!(out, "  id: {}", yaml(&f.id))?;
                writeln!(out, "  points: \"{}/{}\"", f.points, f.max_points)?;
                writeln!(out, "  wanted: {}", yaml(&f.expected))?;
                writeln!(out, "  found: {}", yaml(&f.found))?;
                if let Some(c) = &f.cause {
                    writeln!(out, "  cause: {}", yaml(c))?;
                }
                if let Some(id) = f.cause_id {
                    writeln!(out, "  cause_id: {id}")?;
                }
                if let Some(x) = &f.fix {
                    writeln!(out, "  fix: {}", yaml(x))?;
                }
                let skip = f.evidence.len().saturating_sub(5);
                if f.evidence.len() > skip {
                    writeln!(out, "  evidence:")?;
                    for e in f.evidence.iter().skip(skip) {
                        writeln!(out, "    - {}", yaml(e))?;
                    }
                }
                writeln!(out, "  ...")?;
            }
        }
    }
    if let Some(root) = report.root_finding() {
        writeln!(out, "# Fix this first: {}", description(&root.title))?;
        if let Some(x) = &root.fix {
            writeln!(out, "# fix: {}", description(x))?;
        }
    }
    writeln!(out, "# {}", report.points_line())
}
