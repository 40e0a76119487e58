//! The terminal report: a table of checks, then the score line.

use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::{Report, failure_lines, printable};
use crate::verdict::Outcome;

/// How the terminal report is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TtyOptions {
    /// Use colours (only on a terminal, and never when NO_COLOR is set).
    pub color: bool,
    /// Table width in columns.
    pub width: u16,
}

/// Lines of evidence (log tail) a cell shows.
const EVIDENCE_LINES: usize = 5;

/// Longest piece of text a cell shows; the rest is in the JSON report.
const CELL_CAP: usize = 300;

fn cell_text(s: &str) -> String {
    let s = printable(s);
    if s.chars().count() > CELL_CAP {
        format!("{}…", s.chars().take(CELL_CAP).collect::<String>())
    } else {
        s
    }
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
        let details: Vec<String> = match f.outcome {
            Outcome::Pass => vec![cell_text(&f.found)],
            Outcome::Skipped => vec![cell_text(f.cause.as_deref().unwrap_or("skipped"))],
            Outcome::Fail | Outcome::Error => {
                // The last few lines of evidence; the JSON report has them all.
                let skip = f.evidence.len().saturating_sub(EVIDENCE_LINES);
                failure_lines(report, f)
                    .iter()
                    .chain(f.evidence.iter().skip(skip))
                    .map(|l| cell_text(l))
                    .collect()
            }
        };
        table.add_row(vec![
            Cell::new(cell_text(&f.title)),
            result,
            Cell::new(format!("{}/{}", f.points, f.max_points)),
            Cell::new(details.join("\n")),
        ]);
    }
    writeln!(out, "{table}")?;
    if let Some(root) = report
        .root_cause
        .as_ref()
        .and_then(|id| report.findings.iter().find(|f| &f.id == id))
    {
        writeln!(out, "Fix this first: {}", cell_text(&root.title))?;
        if let Some(c) = &root.cause {
            writeln!(out, "  why: {}", cell_text(c))?;
        }
        if let Some(x) = &root.fix {
            writeln!(out, "  fix: {}", cell_text(x))?;
        }
    }
    let verdict = if report.passed { "PASSED" } else { "FAILED" };
    let verdict = match (opts.color, report.passed) {
        (true, true) => format!("\x1b[1;32m{verdict}\x1b[0m"),
        (true, false) => format!("\x1b[1;31m{verdict}\x1b[0m"),
        _ => verdict.to_string(),
    };
    // (GitHub Classroom's `Points X/Y` line comes with `-f github`, not here.)
    writeln!(
        out,
        "Score {}/{} — {verdict} (pass mark {})",
        report.score, report.max_score, report.pass_points
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Finding, Verdict};

    fn report(found: &str) -> Report {
        let finding = Finding {
            id: "http:web:GET /".into(),
            title: "GET localhost:8097/ answers 200".into(),
            outcome: Outcome::Fail,
            points: 0,
            max_points: 3,
            expected: "status 200".into(),
            found: found.into(),
            cause: Some("the answer differs from what the lab asks for".into()),
            cause_id: Some(crate::cause::CauseId::WrongAnswer),
            fix: None,
            because_of: None,
            evidence: vec!["log: \u{1b}[31mTraceback".into()],
            hidden: false,
        };
        let verdict = Verdict {
            findings: vec![finding],
            score: 0,
            max_score: 3,
            pass_points: 3,
            passed: false,
            root_cause: Some("http:web:GET /".into()),
        };
        Report::new(
            "lab.yaml",
            Some("Lab \u{1b}]0;pwned\u{7}".into()),
            "100%".into(),
            verdict,
            1,
        )
    }

    #[test]
    fn hostile_text_cannot_drive_the_terminal_or_flood_it() {
        let hostile = format!("\u{1b}[2J\u{1b}[31mred\u{0}|`</x>{}", "A".repeat(1 << 20));
        let mut out = Vec::new();
        write_tty(
            &report(&hostile),
            TtyOptions {
                color: false,
                width: 100,
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{0}') && !text.contains('\u{7}'),
            "{text}"
        );
        assert!(text.contains("\\u{1b}[2J"));
        assert!(
            text.len() < 10_000,
            "table stays small: {} bytes",
            text.len()
        );
        assert!(
            text.contains(
                "Fix this first: GET localhost:8097/ answers 200\n  why: the answer differs"
            ),
            "{text}"
        );
        assert!(text.contains("log: \\u{1b}[31mTraceback"), "{text}");
        assert!(text.ends_with("Score 0/3 — FAILED (pass mark 3)\n"));
    }

    #[test]
    fn colour_only_when_asked() {
        let mut plain = Vec::new();
        write_tty(
            &report("x"),
            TtyOptions {
                color: false,
                width: 100,
            },
            &mut plain,
        )
        .unwrap();
        assert!(!String::from_utf8(plain).unwrap().contains('\u{1b}'));
        let mut coloured = Vec::new();
        write_tty(
            &report("x"),
            TtyOptions {
                color: true,
                width: 100,
            },
            &mut coloured,
        )
        .unwrap();
        assert!(
            String::from_utf8(coloured)
                .unwrap()
                .contains("\u{1b}[1;31mFAILED")
        );
    }
}
