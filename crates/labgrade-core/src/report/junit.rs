//! JUnit XML (`--format junit`), as GitLab, Jenkins and most CI test panels read it: one
//! testsuite per lab, one testcase per check, the failure message carrying cause and fix.

use std::io::Write;

use super::{Report, counts, failure_text, seconds, without_controls};
use crate::verdict::Outcome;

/// Escapes text for XML attributes and content, dropping characters XML 1.0 cannot hold.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in without_controls(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes the report as a JUnit XML document.
pub fn write_junit(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let (failures, errors, skipped) = counts(report);
    let suite = xml(report.lab.as_deref().unwrap_or(&report.spec));
    let tests = report.findings.len();
    let time = seconds(report);
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="labgrade" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}" time="{time}">"#
    )?;
    writeln!(
        out,
        r#"  <testsuite name="{suite}" tests="{tests}" failures="{failures}" errors="{errors}" skipped="{skipped}" time="{time}">"#
    )?;
    writeln!(out, r#"    <properties>"#)?;
    writeln!(
        out,
        r#"      <property name="score" value="{}"/>"#,
        report.score
    )?;
    writeln!(
        out,
        r#"      <property name="max_score" value="{}"/>"#,
        report.max_score
    )?;
    writeln!(
        out,
        r#"      <property name="passed" value="{}"/>"#,
        report.passed
    )?;
    writeln!(out, r#"    </properties>"#)?;
    for f in &report.findings {
        // The title alone names the test, so CI can follow it from run to run.
        let name = xml(&f.title);
        let points = format!(
            "      <system-out>points: {}/{}</system-out>",
            f.points, f.max_points
        );
        let open = format!(
            r#"    <testcase classname="{}" name="{name}" time="0""#,
            xml(&f.id)
        );
        match f.outcome {
            Outcome::Pass => {
                writeln!(out, "{open}>")?;
                writeln!(out, "{points}")?;
                writeln!(out, "    </testcase>")?;
            }
            Outcome::Skipped => {
                writeln!(out, "{open}>")?;
                writeln!(
                    out,
                    r#"      <skipped message="{}"/>"#,
                    xml(f.cause.as_deref().unwrap_or("skipped"))
                )?;
                writeln!(out, "{points}")?;
                writeln!(out, "    </testcase>")?;
            }
            Outcome::Fail | Outcome::Error => {
                let tag = if f.outcome == Outcome::Fail {
                    "failure"
                } else {
                    "error"
                };
                let message = match (&f.cause, &f.fix) {
                    (Some(c), Some(x)) => format!("{c} — fix: {x}"),
                    (Some(c), None) => c.clone(),
                    _ => f.found.clone(),
                };
                writeln!(out, "{open}>")?;
                writeln!(
                    out,
                    r#"      <{tag} message="{}" type="{}">{}</{tag}>"#,
                    xml(&message),
                    xml(&f.id),
                    xml(&failure_text(f))
                )?;
                writeln!(out, "{points}")?;
                writeln!(out, "    </testcase>")?;
            }
        }
    }
    writeln!(out, "  </testsuite>")?;
    writeln!(out, "</testsuites>")
}
