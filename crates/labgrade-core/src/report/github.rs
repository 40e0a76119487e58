//! GitHub Actions workflow commands (`--format github`): an `::error` annotation per failed
//! check, a `::notice` with the score, and the GitHub Classroom `Points X/Y` line.

use std::io::Write;

use super::{Report, failure_text, without_controls};
use crate::verdict::Outcome;

/// Escapes a command's message as the runner expects (`%`, CR, LF).
fn data(s: &str) -> String {
    without_controls(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command's property value (also `:` and `,`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

/// Writes one annotation per failed check and a closing score notice.
pub fn write_github(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for f in &report.findings {
        let level = match f.outcome {
            Outcome::Fail | Outcome::Error => "error",
            Outcome::Pass | Outcome::Skipped | Outcome::Given => continue,
        };
        // A workflow command only starts a line, and every newline below is escaped.
        let text = failure_text(report, f);
        writeln!(
            out,
            "::{level} file={},title={}::{}",
            property(&report.spec),
            property(&format!(
                "{} ({}/{} points)",
                f.title, f.points, f.max_points
            )),
            data(&text)
        )?;
    }
    let verdict = if report.passed { "passed" } else { "failed" };
    writeln!(
        out,
        "::notice title={}::{}",
        property("labgrade"),
        data(&format!(
            "score {}/{}: lab {verdict} (pass mark {})",
            report.score, report.max_score, report.pass_points
        ))
    )?;
    writeln!(out, "{}", report.points_line())
}
