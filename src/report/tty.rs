//! The terminal report: a table of checks, then the score line.

use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::{Report, printable};
use crate::verdict::Outcome;

/// How the terminal report is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TtyOptions {
    /// Use colours (only on a terminal, and never when NO_COLOR is set).
    pub color: bool,
    /// Table width in columns.
    pub width: u16,
}

/// Longest piece of text a cell shows; the rest is in the JSON report.
const CELL_CAP: usize = 300;

fn cell_text(s: &str) -> String {
    let s = printable(s);
    if s.chars().count() > CELL_CAP { format!("{}…", s.chars().take(CELL_CAP).collect::<String>()) } else { s }
}

/// Writes the table and the closing score line.
pub fn write_tty(report: &Report, opts: TtyOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let title = match &report.lab {
        Some(l) => format!("{} ({})", printable(l), report.spec),
        None => report.spec.clone(),
    };
    writeln!(out, "labgrade: {title}")?;
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(opts.width)
        .set_header(vec!["Check", "Result", "Points", "Details"]);
    if opts.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    for f in &report.findings {
        let (word, color) = match f.outcome {
            Outcome::Pass => ("PASS", Color::Green),
            Outcome::Fail => ("FAIL", Color::Red),
            Outcome::Skipped => ("SKIP", Color::Yellow),
            Outcome::Error => ("ERROR", Color::Magenta),
        };
        let mut result = Cell::new(word);
        if opts.color {
            result = result.fg(color);
        }
        let mut details = vec![cell_text(&f.found)];
        if f.outcome != Outcome::Pass {
            details[0] = format!("found: {}", details[0]);
            details.insert(0, format!("want:  {}", cell_text(&f.expected)));
            if let Some(c) = &f.cause {
                details.push(format!("why:   {}", cell_text(c)));
            }
            if let Some(x) = &f.fix {
                details.push(format!("fix:   {}", cell_text(x)));
            }
            if let Some(b) = f.because_of.as_ref().filter(|_| f.outcome == Outcome::Fail) {
                details.push(format!("(a consequence of {b})"));
            }
        }
        if f.outcome == Outcome::Skipped {
            details = vec![cell_text(f.cause.as_deref().unwrap_or("skipped"))];
        }
        table.add_row(vec![
            Cell::new(cell_text(&f.title)),
            result,
            Cell::new(format!("{}/{}", f.points, f.max_points)),
            Cell::new(details.join("\n")),
        ]);
    }
    writeln!(out, "{table}")?;
    let verdict = if report.passed { "PASSED" } else { "FAILED" };
    let verdict = match (opts.color, report.passed) {
        (true, true) => format!("\x1b[1;32m{verdict}\x1b[0m"),
        (true, false) => format!("\x1b[1;31m{verdict}\x1b[0m"),
        _ => verdict.to_string(),
    };
    writeln!(
        out,
        "Score {}/{} — {verdict} (pass mark {})",
        report.score, report.max_score, report.pass_points
    )
}
