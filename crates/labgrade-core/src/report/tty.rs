//! The terminal report: a summary table of checks, a block for each failure (wrapped
//! at word boundaries, commands whole), "Fix this first" and the score line.

use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

use super::{Report, failure_parts, printable, truncate};
use crate::verdict::Outcome;

/// How the terminal report is drawn.
#[derive(Debug, Clone, Copy)]
pub struct TtyOptions {
    /// Use colours (only on a terminal, and never when NO_COLOR is set).
    pub color: bool,
    /// Table width in columns.
    pub width: u16,
}

/// Lines of evidence (log tail) a failure shows.
const EVIDENCE_LINES: usize = 5;

/// Longest piece of text shown in a table cell or a title; the rest is in the JSON report.
const CELL_CAP: usize = 300;

/// Longest why or fix a failure's block shows. A fix is written whole (its commands are
/// copied: a cut one fails when pasted); the cap only bounds what an app's own words
/// quoted in it make long. What was found and the evidence keep [`CELL_CAP`].
const BLOCK_CAP: usize = 4000;

/// How much of a block's text is shown, by its label.
fn block_cap(label: &str) -> usize {
    match label.trim() {
        "why:" | "fix:" => BLOCK_CAP,
        _ => CELL_CAP,
    }
}

/// Longest `found` a table row shows; the failure's block below has it whole.
const ROW_FOUND: usize = 60;

fn cell_text(s: &str) -> String {
    truncate(&printable(s), CELL_CAP)
}

/// Writes the summary table, a block for each failure (found, why, fix and evidence,
/// wrapped at word boundaries, with commands kept whole on a line of their own so they
/// can be copied), "Fix this first" and the score line.
pub fn write_tty(report: &Report, opts: TtyOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let width = usize::from(opts.width.max(40));
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
        .set_header(vec!["Check", "Result", "Points", "Found"]);
    if opts.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    let paint = |word: &str, outcome: Outcome| -> Cell {
        let color = match outcome {
            Outcome::Pass => Color::Green,
            Outcome::Fail => Color::Red,
            Outcome::Skipped => Color::Yellow,
            Outcome::Error => Color::Magenta,
            Outcome::Given => Color::Blue,
        };
        let cell = Cell::new(word);
        if opts.color { cell.fg(color) } else { cell }
    };
    let mut failed = Vec::new();
    for f in &report.findings {
        let word = match f.outcome {
            Outcome::Pass => "PASS",
            Outcome::Fail => "FAIL",
            Outcome::Skipped => "SKIP",
            Outcome::Error => "ERROR",
            Outcome::Given => "GIVEN",
        };
        let found = match f.outcome {
            Outcome::Skipped => "not checked".to_string(),
            Outcome::Fail | Outcome::Error => {
                failed.push(f);
                format!(
                    "{} ({})",
                    truncate(&printable(&f.found), ROW_FOUND),
                    failed.len()
                )
            }
            Outcome::Pass | Outcome::Given => truncate(&printable(&f.found), ROW_FOUND),
        };
        table.add_row(vec![
            Cell::new(cell_text(&f.title)),
            paint(word, f.outcome),
            Cell::new(if f.outcome == Outcome::Given {
                "-".to_string()
            } else {
                format!("{}/{}", f.points, f.max_points)
            }),
            Cell::new(found),
        ]);
    }
    writeln!(out, "{table}")?;
    for (n, f) in failed.iter().enumerate() {
        writeln!(out)?;
        let heading = format!(
            "({}) {} — {}/{}",
            n + 1,
            cell_text(&f.title),
            f.points,
            f.max_points
        );
        for (i, line) in wrap(&heading, width.saturating_sub(4)).iter().enumerate() {
            writeln!(out, "{}{line}", if i == 0 { "" } else { "    " })?;
        }
        // The last few lines of evidence; the JSON report has them all.
        let skip = f.evidence.len().saturating_sub(EVIDENCE_LINES);
        let evidence = f
            .evidence
            .iter()
            .skip(skip)
            .map(|l| ("seen:  ", l.as_str()));
        for (label, text) in failure_parts(report, f) {
            block(out, &format!("  {label}"), &text, width)?;
        }
        for (label, text) in evidence {
            block(out, &format!("  {label}"), text, width)?;
        }
    }
    if let Some(root) = report.root_finding() {
        writeln!(out)?;
        let heading = format!("Fix this first: {}", cell_text(&root.title));
        for (i, line) in wrap(&heading, width.saturating_sub(2)).iter().enumerate() {
            writeln!(out, "{}{line}", if i == 0 { "" } else { "  " })?;
        }
        if let Some(c) = &root.cause {
            block(out, "  why: ", c, width)?;
        }
        if let Some(x) = &root.fix {
            block(out, "  fix: ", x, width)?;
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

/// Writes `text` after `label`, wrapped at word boundaries to `width` with the
/// continuation lines indented under the text; a command in it (from `docker`,
/// `docker-compose` or `labgrade` to the end, or to a `   #`/`   (` remark) goes on a
/// line of its own, whole, so it can be copied and pasted.
fn block(out: &mut dyn Write, label: &str, text: &str, width: usize) -> std::io::Result<()> {
    let indent = " ".repeat(label.chars().count());
    let text = truncate(&printable(text), block_cap(label));
    let mut lines = Vec::new();
    for (command, part) in split_commands(&text) {
        if command {
            lines.push(part);
        } else {
            let room = width.saturating_sub(indent.chars().count()).max(20);
            lines.extend(wrap(&part, room));
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    for (i, line) in lines.iter().enumerate() {
        let lead = if i == 0 { label } else { indent.as_str() };
        writeln!(out, "{}", format!("{lead}{line}").trim_end())?;
    }
    Ok(())
}

/// Splits a text into prose and the commands in it, in order.
fn split_commands(text: &str) -> Vec<(bool, String)> {
    let starts = ["docker ", "docker-compose ", "labgrade "];
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        // A command starts a text, or follows ": " or "; ".
        let at = starts
            .iter()
            .filter_map(|s| {
                let mut from = 0;
                while let Some(i) = rest[from..].find(s) {
                    let i = from + i;
                    if i == 0 || rest[..i].ends_with(": ") || rest[..i].ends_with("; ") {
                        return Some(i);
                    }
                    from = i + 1;
                }
                None
            })
            .min();
        let Some(at) = at else {
            out.push((false, rest.trim().to_string()));
            break;
        };
        if at > 0 {
            out.push((false, rest[..at].trim().to_string()));
        }
        let cmd = &rest[at..];
        // It ends at a remark, or where the prose goes on after it (`...; then edit`).
        let end = ["   #", "   (", "; then "]
            .iter()
            .filter_map(|m| cmd.find(m))
            .min()
            .unwrap_or(cmd.len());
        out.push((true, cmd[..end].trim().to_string()));
        rest = cmd[end..].trim_start_matches(';').trim_start();
    }
    out.retain(|(_, t)| !t.is_empty());
    out
}

/// Wraps text at word boundaries into lines of at most `width` characters (a word
/// longer than that gets a line of its own). A `code span` in backticks is kept whole
/// on one line when it fits in one: a student copies it, and a break inside it reads as
/// two lines of code.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in units(text, width) {
        let word = word.as_str();
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The words of `text`, with the words of each backticked span that fits in `width`
/// joined into one.
fn units(text: &str, width: usize) -> Vec<String> {
    let opens = |w: &str| w.matches('`').count() % 2 == 1;
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if opens(words[i])
            && let Some(end) = (i + 1..words.len()).find(|&j| opens(words[j]))
        {
            let span = words[i..=end].join(" ");
            if span.chars().count() <= width {
                out.push(span);
                i = end + 1;
                continue;
            }
        }
        out.push(words[i].to_string());
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Finding, Verdict};

    #[test]
    fn code_spans_are_not_broken_where_they_fit() {
        let text = "in app.py, line 3, change `from flask import Flask, jsonify` to `from flask import Flask, jsonify, request`";
        let lines = wrap(text, 50);
        for line in &lines {
            assert!(line.matches('`').count() % 2 == 0, "{lines:?}");
        }
        assert!(
            lines
                .iter()
                .any(|l| l == "`from flask import Flask, jsonify, request`")
        );
        // One longer than a line is wrapped at its words, as before.
        let long = format!("say `{}`", "word ".repeat(20).trim());
        let lines = wrap(&long, 30);
        assert!(
            lines.len() > 3 && lines.iter().all(|l| l.chars().count() <= 30),
            "{lines:?}"
        );
    }

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
            visibility: None,
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
    }

    #[test]
    fn failures_wrap_at_words_and_keep_commands_whole_at_80_columns() {
        let mut r = report("connection reset");
        r.findings[0].cause = Some(
            "the app listens on 127.0.0.1:8088 inside the container, so the published port cannot reach it; bind it to 0.0.0.0".into(),
        );
        r.findings[0].fix = Some(
            "fix line 6 of /app/server.py, then: docker build -t nautilus/python-app . && docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app   (docker logs pythonapp_nautilus shows the whole error)".into(),
        );
        let mut out = Vec::new();
        write_tty(
            &r,
            TtyOptions {
                color: false,
                width: 80,
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let command = "docker build -t nautilus/python-app . && docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app";
        assert!(
            text.lines().any(|l| l.trim() == command),
            "the command is one line of its own:\n{text}"
        );
        for line in text.lines().filter(|l| !l.contains(command)) {
            assert!(
                line.chars().count() <= 80,
                "{line:?} is wider than 80:\n{text}"
            );
        }
        // Words are never cut: every word of the cause is whole on some line.
        for word in ["127.0.0.1:8088", "published", "0.0.0.0"] {
            assert!(
                text.split_whitespace()
                    .any(|w| w.trim_matches(|c: char| c == ';' || c == ',') == word),
                "{word}:\n{text}"
            );
        }
        assert!(
            text.contains("  why:   the app listens on 127.0.0.1:8088"),
            "{text}"
        );
        assert!(text.contains("log: \\u{1b}[31mTraceback"), "{text}");
        assert!(text.ends_with("Score 0/3 — FAILED (pass mark 3)\n"));
    }

    #[test]
    fn a_long_fix_is_written_whole_with_each_command_on_its_own_line() {
        // A batch report's fix: how the grader ran the lab, then the edit and the rebuild.
        let run = "docker build -t nautilus/python-app . && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app";
        let rerun = "docker build -t nautilus/python-app . && docker rm -f pythonapp_nautilus && docker run -d --name pythonapp_nautilus -p 8097:8088 nautilus/python-app";
        let mut r = report("exited with code 1");
        r.findings[0].fix = Some(format!(
            "on your own machine, run it as the grader did: {run}; then in src/requirements.txt, add the line `flask`, then: {rerun}"
        ));
        assert!(r.findings[0].fix.as_ref().unwrap().len() > CELL_CAP);
        let mut out = Vec::new();
        let opts = TtyOptions {
            color: false,
            width: 80,
        };
        write_tty(&r, opts, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for command in [run, rerun] {
            assert!(
                text.lines().any(|l| l.trim() == command),
                "{command:?} is whole on a line of its own:\n{text}"
            );
        }
        assert!(
            text.contains("then in src/requirements.txt, add the line `flask`, then:"),
            "{text}"
        );
        assert!(!text.contains('…'), "{text}");
    }

    #[test]
    fn a_consequence_line_stands_alone_under_its_failure() {
        let mut r = report("connection refused");
        let mut port = r.findings[0].clone();
        port.id = "port:web:8097:8088".into();
        port.title = "Host port 8097 is published".into();
        r.findings[0].because_of = Some(port.id.clone());
        r.findings.insert(0, port);
        let mut out = Vec::new();
        write_tty(
            &r,
            TtyOptions {
                color: false,
                width: 80,
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains("\n  (a consequence of \"Host port 8097 is published\" failing)\n"),
            "{text}"
        );
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
