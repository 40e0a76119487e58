//! Markdown (`--format markdown`), for `$GITHUB_STEP_SUMMARY` and merge-request comments.

use std::io::Write;

use super::{Report, failure_lines, without_controls};
use crate::verdict::Outcome;

/// Escapes text for one Markdown table cell: no pipes, backticks, HTML or line breaks
/// can change the table's shape or inject markup.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let clean = without_controls(s);
    for c in clean.chars().take(500) {
        match c {
            '|' => out.push_str("\\|"),
            '`' => out.push_str("\\`"),
            '*' | '_' | '[' | ']' | '#' | '~' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    if clean.chars().count() > 500 {
        out.push('…');
    }
    out
}

/// Writes the report as a Markdown section with a table of checks.
pub fn write_markdown(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let verdict = if report.passed {
        "✅ PASSED"
    } else {
        "❌ FAILED"
    };
    writeln!(
        out,
        "## labgrade: {}",
        cell(report.lab.as_deref().unwrap_or(&report.spec))
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "**{verdict}** — score **{}/{}** (pass mark {})",
        report.score, report.max_score, report.pass_points
    )?;
    writeln!(out)?;
    writeln!(out, "| Check | Result | Points | Details |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for f in &report.findings {
        let result = match f.outcome {
            Outcome::Pass => "✅ pass",
            Outcome::Fail => "❌ fail",
            Outcome::Skipped => "⏭️ skipped",
            Outcome::Error => "⚠️ error",
            Outcome::Given => "➖ given",
        };
        let details = if matches!(f.outcome, Outcome::Pass | Outcome::Given) {
            cell(&f.found)
        } else {
            // The evidence too (its last lines), as the terminal shows it.
            let skip = f.evidence.len().saturating_sub(5);
            let parts: Vec<String> = failure_lines(report, f)
                .iter()
                .chain(f.evidence.iter().skip(skip))
                .map(|l| cell(l))
                .collect();
            parts.join("<br>")
        };
        writeln!(
            out,
            "| {} | {result} | {}/{} | {details} |",
            cell(&f.title),
            f.points,
            f.max_points
        )?;
    }
    writeln!(out)?;
    if let Some(root) = report.root_finding() {
        writeln!(out, "**Fix this first:** {}", cell(&root.title))?;
        writeln!(out)?;
        if let Some(c) = &root.cause {
            writeln!(out, "- why: {}", cell(c))?;
        }
        if let Some(x) = &root.fix {
            // A code span keeps the command copyable; backticks inside are doubled out.
            writeln!(
                out,
                "- fix: `` {} ``",
                without_controls(x).replace('`', "'")
            )?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", report.points_line())
}
