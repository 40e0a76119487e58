//! JUnit XML (`--format junit`), as GitLab, Jenkins and most CI test panels read it: one
//! testsuite per lab, one testcase per check, the failure message carrying cause and fix.
//!
//! quick-junit builds and escapes the document; this module decides what goes in it.

use std::io::Write;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use super::{Report, failure_text, without_controls};
use crate::verdict::Outcome;

/// Text for an element's content: no control characters but newline (XML 1.0 cannot hold
/// them, and quick-junit would drop the tab, running words together), no noncharacters.
fn text(s: &str) -> String {
    without_controls(s)
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// Text for an attribute: as [`text`], on one line. quick-xml writes a newline in an
/// attribute as it is, which every XML parser reads back as a space; say so here.
fn attr(s: &str) -> String {
    text(s).replace('\n', " ")
}

/// Writes the report as a JUnit XML document.
pub fn write_junit(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let time = Duration::from_millis(report.duration_ms);
    let mut suite = TestSuite::new(attr(report.lab.as_deref().unwrap_or(&report.spec)));
    suite.set_time(time);
    suite.add_properties([
        Property::new("score", report.score.to_string()),
        Property::new("max_score", report.max_score.to_string()),
        Property::new("passed", report.passed.to_string()),
    ]);
    for f in &report.findings {
        let status = match f.outcome {
            Outcome::Pass => TestCaseStatus::success(),
            Outcome::Skipped | Outcome::Given => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(attr(f.cause.as_deref().unwrap_or("skipped")));
                s
            }
            Outcome::Fail | Outcome::Error => {
                let kind = if f.outcome == Outcome::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let message = match (&f.cause, &f.fix) {
                    (Some(c), Some(x)) => format!("{c} — fix: {x}"),
                    (Some(c), None) => c.clone(),
                    _ => f.found.clone(),
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(attr(&message))
                    .set_type(attr(&f.id))
                    .set_description(text(&failure_text(report, f)));
                s
            }
        };
        // The title alone names the test, so CI can follow it from run to run.
        let mut case = TestCase::new(attr(&f.title), status);
        case.set_classname(attr(&f.id))
            .set_time(Duration::ZERO)
            .set_system_out(format!("points: {}/{}", f.points, f.max_points));
        suite.add_test_case(case);
    }
    let mut junit = quick_junit::Report::new("labgrade");
    junit.set_time(time).add_test_suite(suite);
    junit.serialize(out).map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Finding;
    use proptest::prelude::*;

    fn report(title: &str, cause: &str, evidence: &str) -> Report {
        let finding = Finding {
            id: format!("id:{title}"),
            title: title.into(),
            outcome: Outcome::Fail,
            points: 0,
            max_points: 1,
            expected: "want".into(),
            found: "found".into(),
            cause: Some(cause.into()),
            cause_id: None,
            fix: None,
            because_of: None,
            evidence: vec![evidence.into()],
            hidden: false,
            visibility: None,
        };
        let verdict = crate::verdict::Verdict {
            findings: vec![finding],
            score: 0,
            max_score: 1,
            pass_points: 1,
            passed: false,
            root_cause: None,
        };
        Report::new("s.yaml", Some(title.into()), "1".into(), verdict, 1500)
    }

    #[test]
    fn controls_go_tabs_become_spaces_newlines_stay_in_text() {
        let s = "a\tb\u{1b}[31mc\u{0}\u{9b}d\r\ne\u{fffe}";
        assert_eq!(text(s), "a b[31mcd\ne\u{fffd}");
        assert_eq!(attr(s), "a b[31mcd e\u{fffd}");
    }

    proptest! {
        /// Whatever a student's app answers, the document is well-formed and every text
        /// comes back as sent, less the characters XML 1.0 cannot carry.
        #[test]
        fn any_text_survives_as_well_formed_xml(
            title in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f\\u{1b}\\[\\];<>&\"'\\t\\n\\r\\u{fffe}\\u{ffff}a-z]{0,40}",
            cause in any::<String>(),
            evidence in any::<String>(),
        ) {
            let mut out = Vec::new();
            write_junit(&report(&title, &cause, &evidence), &mut out).unwrap();
            let xml = String::from_utf8(out).unwrap();
            let doc = roxmltree::Document::parse(&xml).expect("well-formed");
            let case = doc.descendants().find(|n| n.has_tag_name("testcase")).unwrap();
            prop_assert_eq!(case.attribute("name").unwrap(), attr(&title));
            let failure = case.children().find(|n| n.has_tag_name("failure")).unwrap();
            prop_assert_eq!(failure.attribute("message").unwrap(), attr(&cause));
            let body = failure.text().unwrap_or_default();
            prop_assert!(body.ends_with(&text(&evidence)), "{:?} in {:?}", text(&evidence), body);
        }
    }
}
