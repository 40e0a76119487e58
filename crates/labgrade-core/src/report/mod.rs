//! The report is data; each output format is a reporter that writes it to an injected
//! writer and never decides a verdict itself.

mod autolab;
mod classroom;
mod github;
mod gradescope;
mod html;
mod json;
mod junit;
mod markdown;
mod prairielearn;
mod tap;
mod tty;

use serde::{Deserialize, Serialize};

use crate::verdict::{Finding, Verdict};

pub use autolab::write_autolab;
pub use classroom::{ClassroomResult, ClassroomTest, classroom_result, write_classroom};
pub use github::write_github;
pub use gradescope::write_gradescope;
pub use html::{Class, InClass, Member, Standing, write_class, write_html, write_student};
pub use json::write_json;
pub use junit::write_junit;
pub use markdown::write_markdown;
pub use prairielearn::{write_prairielearn, write_prairielearn_ungradable};
pub use tap::write_tap;
pub use tty::{TtyOptions, write_tty};

use crate::verdict::Outcome;

/// Version of the JSON report layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Minor version of the layout: bumped when fields or values are added (1:
/// `findings[].cause_id`; 2: the outcome `given`, in batch reports; 3: `visibility`,
/// top-level and per finding, where the spec sets it).
pub const SCHEMA_MINOR: u32 = 3;

/// Everything a reporter shows about one graded lab.
// It reads back from its JSON too: the class report is drawn from the reports a batch saved.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(title = "labgrade report, schema version 1")]
pub struct Report {
    /// Always `labgrade-report`; with `schema_version` it identifies the layout.
    pub schema: String,
    pub schema_version: u32,
    /// Bumped when fields or values are added within `schema_version` (1:
    /// `findings[].cause_id`; 2: the outcome `given`; 3: `visibility`).
    pub schema_minor: u32,
    pub labgrade_version: String,
    /// The spec file graded against.
    pub spec: String,
    /// The lab's title, if the spec names one.
    pub lab: Option<String>,
    pub passed: bool,
    pub score: u32,
    pub max_score: u32,
    /// The pass mark as written (`16` or `80%`).
    pub pass_mark: String,
    /// Points the pass mark amounts to.
    pub pass_points: u32,
    pub duration_ms: u64,
    /// Id of the first failure that is not a consequence of another: fix this first.
    pub root_cause: Option<String>,
    pub findings: Vec<Finding>,
    /// When Gradescope shows the result to students, where the spec says (`visibility:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<crate::spec::Visibility>,
}

impl Report {
    /// Wraps a verdict with what the reporters show around it.
    pub fn new(
        spec: &str,
        lab: Option<String>,
        pass_mark: String,
        verdict: Verdict,
        duration_ms: u64,
    ) -> Report {
        Report {
            schema: "labgrade-report".into(),
            schema_version: SCHEMA_VERSION,
            schema_minor: SCHEMA_MINOR,
            labgrade_version: env!("CARGO_PKG_VERSION").into(),
            spec: spec.to_string(),
            lab,
            passed: verdict.passed,
            score: verdict.score,
            max_score: verdict.max_score,
            pass_mark,
            pass_points: verdict.pass_points,
            duration_ms,
            root_cause: verdict.root_cause,
            findings: verdict.findings,
            visibility: None,
        }
    }

    /// The report with the spec's result-wide Gradescope visibility.
    pub fn with_visibility(mut self, visibility: Option<crate::spec::Visibility>) -> Report {
        self.visibility = visibility;
        self
    }
}

/// Every output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people
    Tty,
    /// The versioned JSON report (docs/report-json.md)
    Json,
    /// JUnit XML for CI test panels (GitLab, Jenkins, ...)
    Junit,
    /// Markdown, for $GITHUB_STEP_SUMMARY
    Markdown,
    /// GitHub Actions annotations (::error) and the Classroom "Points X/Y" line
    Github,
    /// Gradescope autograder results.json
    Gradescope,
    /// TAP version 14
    Tap,
    /// GitHub Classroom's autograding result (base64 into $GITHUB_OUTPUT's `result`)
    Classroom,
    /// PrairieLearn external grading results.json
    Prairielearn,
    /// Autolab autograder output (feedback, then the `{"scores": ...}` line)
    Autolab,
    /// A self-contained HTML page (the page `grade` writes for each student)
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;

    /// Reads a format's name as written on the command line (any case).
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown format `{s}`: expected tty, json, junit, markdown, github, gradescope, tap, classroom, prairielearn, autolab or html")
            })
    }
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 11] = [
        Format::Tty,
        Format::Json,
        Format::Junit,
        Format::Markdown,
        Format::Github,
        Format::Gradescope,
        Format::Tap,
        Format::Classroom,
        Format::Prairielearn,
        Format::Autolab,
        Format::Html,
    ];

    /// The format's name as written on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Tty => "tty",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Github => "github",
            Format::Gradescope => "gradescope",
            Format::Tap => "tap",
            Format::Classroom => "classroom",
            Format::Prairielearn => "prairielearn",
            Format::Autolab => "autolab",
            Format::Html => "html",
        }
    }

    /// Writes the report in this format. Hidden checks are shown only when `show_hidden`
    /// is set, except to Gradescope, which hides them from students itself.
    pub fn write(
        self,
        report: &Report,
        tty: TtyOptions,
        show_hidden: bool,
        out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        // Gradescope hides the hidden tests from students itself, but not the logs that
        // other tests carry.
        let shown = match (show_hidden, self) {
            (true, _) => report.clone(),
            (false, Format::Gradescope) => report.clone().without_shared_logs(),
            (false, _) => report.clone().for_students(),
        };
        let report = &shown;
        match self {
            Format::Tty => write_tty(report, tty, out),
            Format::Json => write_json(report, out),
            Format::Junit => write_junit(report, out),
            Format::Markdown => write_markdown(report, out),
            Format::Github => write_github(report, out),
            Format::Gradescope => write_gradescope(report, out),
            Format::Tap => write_tap(report, out),
            Format::Classroom => write_classroom(report, out),
            Format::Prairielearn => write_prairielearn(report, out),
            Format::Autolab => write_autolab(report, out),
            Format::Html => write_html(report, out),
        }
    }
}

impl Report {
    /// The JSON report's JSON Schema (docs/report.schema.json).
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Report);
        serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
    }

    /// The report as a student may see it: hidden checks keep their place, outcome and
    /// points, but not what they test (title, id, expectation, finding, cause, fix).
    pub fn for_students(self) -> Report {
        let mut report = self.without_shared_logs();
        let mut n = 0;
        let mut renamed = std::collections::BTreeMap::new();
        for f in report.findings.iter_mut().filter(|f| f.hidden) {
            n += 1;
            // `#` cannot appear in a spec's own ids, so these never collide with one.
            let id = format!("hidden#{n}");
            renamed.insert(std::mem::replace(&mut f.id, id.clone()), id);
            f.title = format!("Hidden check {n}");
            f.expected = String::new();
            f.found = "hidden: what this check tests is for instructors only".into();
            f.cause = None;
            f.fix = None;
            f.evidence.clear();
        }
        let rename = |id: &mut Option<String>| {
            if let Some(new) = id.as_ref().and_then(|old| renamed.get(old)) {
                *id = Some(new.clone());
            }
        };
        for f in report.findings.iter_mut() {
            rename(&mut f.because_of);
        }
        rename(&mut report.root_cause);
        report
    }

    /// When a lab has hidden checks, the container's log shows their requests too; so
    /// the log lines are withheld from every finding (the student can read `docker logs`).
    pub fn without_shared_logs(mut self) -> Report {
        if self.findings.iter().any(|f| f.hidden) {
            for f in self.findings.iter_mut() {
                let before = f.evidence.len();
                f.evidence.retain(|e| !e.starts_with("log: "));
                if f.evidence.len() != before {
                    f.evidence.push(
                        "log lines withheld: this lab has hidden checks (docker logs shows them)"
                            .into(),
                    );
                }
            }
        }
        self
    }

    /// The failure to fix first (the root cause), as every format names it.
    pub fn root_finding(&self) -> Option<&Finding> {
        let id = self.root_cause.as_ref()?;
        self.findings.iter().find(|f| &f.id == id)
    }

    /// The GitHub Classroom line: `Points X/Y`.
    pub fn points_line(&self) -> String {
        format!("Points {}/{}", self.score, self.max_score)
    }
}

/// What went wrong with a finding (want / found / why / fix / consequence), as the lines
/// every format shows for a failure.
pub(crate) fn failure_lines(r: &Report, f: &Finding) -> Vec<String> {
    failure_parts(r, f)
        .into_iter()
        .map(|(label, text)| format!("{label}{text}"))
        .collect()
}

/// [`failure_lines`] as (label, text) pairs, the label padded (`"why:   "`), or empty for
/// the consequence line: for formats that lay the label out themselves.
pub(crate) fn failure_parts(r: &Report, f: &Finding) -> Vec<(&'static str, String)> {
    let mut parts = Vec::new();
    if !f.expected.is_empty() {
        parts.push(("want:  ", f.expected.clone()));
    }
    parts.push(("found: ", f.found.clone()));
    if let Some(c) = &f.cause {
        parts.push(("why:   ", c.clone()));
    }
    if let Some(x) = &f.fix {
        parts.push(("fix:   ", x.clone()));
    }
    if let Some(b) = f.because_of.as_ref().filter(|_| f.outcome == Outcome::Fail) {
        // Students read titles, not check ids.
        let title = r
            .findings
            .iter()
            .find(|x| &x.id == b)
            .map_or(b.as_str(), |x| x.title.as_str());
        parts.push(("", format!("(a consequence of \"{title}\" failing)")));
    }
    parts
}

/// The failure lines and all the evidence, as one text.
pub(crate) fn failure_text(r: &Report, f: &Finding) -> String {
    let mut lines = failure_lines(r, f);
    lines.extend(f.evidence.iter().cloned());
    lines.join("\n")
}

/// Drops characters no text format should carry (NUL and other C0/C1 controls except
/// tab and newline), so XML stays well-formed and terminals stay sane.
pub(crate) fn without_controls(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// Up to `max` characters of `s`, with an ellipsis when it was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        format!("{}…", s.chars().take(max).collect::<String>())
    } else {
        s.to_string()
    }
}

/// A line without the terminal's colour, cursor and title sequences an app or a build
/// step printed (pip writes `ESC[91m` before its errors): `ESC [ ... letter`, and `ESC ]
/// ...` ended by BEL or `ESC \\`. Formatting, not content: any other control character
/// stays (NUL, tab, a lone ESC), for the reports to show escaped.
pub fn without_escapes(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    // A control sequence's parameters, up to its final letter.
    fn csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
        for c in chars.by_ref() {
            if ('@'..='~').contains(&c) {
                break;
            }
        }
    }
    while let Some(c) = chars.next() {
        match c {
            // The 8-bit CSI.
            '\u{9b}' => csi(&mut chars),
            '\u{1b}' => match chars.peek().copied() {
                Some('[') => {
                    chars.next();
                    csi(&mut chars);
                }
                Some(']') => {
                    // Ended by BEL or by ESC \ (the string terminator).
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                // A character set chosen (`ESC ( B`): the intermediate and its final.
                Some('(' | ')' | '*' | '+' | '-' | '.' | '/') => {
                    chars.next();
                    chars.next();
                }
                // Two-character sequences: `ESC 7`, `ESC 8`, `ESC M`, `ESC =`, ...
                Some(n) if matches!(n, '0'..='~') && n != '\\' => {
                    chars.next();
                }
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    out
}

/// Makes student-controlled text safe for a terminal: control characters (escape
/// sequences, NUL, carriage returns) become visible escapes instead of acting.
pub fn printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn printable_neutralises_escapes() {
        assert_eq!(
            super::printable("a\u{1b}[31mb\u{0}c\r"),
            "a\\u{1b}[31mb\\u{0}c\\r"
        );
        assert_eq!(super::printable("héllo"), "héllo");
    }
}
