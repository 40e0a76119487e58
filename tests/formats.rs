//! Every report format, snapshotted on facts recorded from a real container, plus a
//! finding full of hostile text: each format must stay well-formed and escaped.

use std::path::Path;

use labgrade::facts::Facts;
use labgrade::plan::Plan;
use labgrade::report::{Format, Report, TtyOptions};
use labgrade::verdict::{Finding, Outcome, judge};

/// Everything a student server can put in a report that a format must survive.
const HOSTILE: &str = "</failure>]]><x>&amp; | `code` **bold** [link](x) \u{1b}[31mred\u{1b}[0m \u{0}nul\r\n::error::pwned %0A # SKIP";

fn report(show_hidden_fixture: bool) -> Report {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/loopback");
    let spec = labgrade::plan::load(&dir.join("spec.yaml")).unwrap();
    let facts: Facts =
        serde_json::from_str(&std::fs::read_to_string(dir.join("facts.json")).unwrap()).unwrap();
    let mut verdict = judge(&Plan::new(&spec), &facts);
    verdict.findings.push(Finding {
        id: "http:hostile".into(),
        title: format!("Hostile {HOSTILE}"),
        outcome: Outcome::Fail,
        points: 0,
        max_points: 1,
        expected: "status 200".into(),
        found: format!("200; body {HOSTILE}{}", "A".repeat(2000)),
        cause: Some(HOSTILE.into()),
        cause_id: Some(labgrade::cause::CauseId::WrongAnswer),
        fix: Some(HOSTILE.into()),
        because_of: None,
        evidence: vec![format!("log: {HOSTILE}")],
        hidden: show_hidden_fixture,
        visibility: None,
    });
    verdict.max_score += 1;
    // Durations vary run to run; fix it so snapshots are stable.
    Report::new(
        "specs/nautilus-python-app.yaml",
        Some("Nautilus | <lab>".into()),
        "100%".into(),
        verdict,
        42,
    )
}

fn render(format: Format, report: &Report, show_hidden: bool) -> String {
    let mut out = Vec::new();
    format
        .write(
            report,
            TtyOptions {
                color: false,
                width: 120,
            },
            show_hidden,
            &mut out,
        )
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn snapshots_of_every_format() {
    let r = report(false);
    for format in Format::ALL {
        let text = render(format, &r, false);
        let text = text.replace(env!("CARGO_PKG_VERSION"), "[version]");
        let text = if format == Format::Html {
            readable_html(&text)
        } else {
            text
        };
        insta::assert_snapshot!(format!("{format:?}").to_lowercase(), text);
    }
}

/// A page as reviewable lines: a line per block element, the inline style sheet (its
/// own file, whose hash the core's tests check) left out.
fn readable_html(page: &str) -> String {
    let (head, rest) = page.split_once("<style>").unwrap();
    let (_, rest) = rest.split_once("</style>").unwrap();
    let page = format!("{head}<style>[style.css]</style>{rest}");
    let mut out = String::new();
    for (i, piece) in page.split('<').enumerate() {
        let block = [
            "tr", "section", "article", "h1", "h2", "h3", "p", "dt", "pre", "header", "footer",
            "nav", "head", "body",
        ]
        .iter()
        .any(|t| piece.starts_with(t) && piece[t.len()..].starts_with([' ', '>']));
        if i > 0 {
            if block {
                out.push('\n');
            }
            out.push('<');
        }
        out.push_str(piece);
    }
    out
}

#[test]
fn html_is_text_where_students_wrote_and_hides_hidden_checks() {
    let page = render(Format::Html, &report(false), false);
    let doc = scraper::Html::parse_document(&page);
    let all = |css: &str| doc.select(&scraper::Selector::parse(css).unwrap()).count();
    assert_eq!(all("x"), 0, "no element from student text");
    assert_eq!(all("script"), 0, "a student's page runs no script");
    assert_eq!(all("tr.finding-row"), 7);
    assert_eq!(all("article.finding"), 2, "one block per failure");
    let text: String = doc.root_element().text().collect();
    assert!(text.contains("</failure>]]><x>&amp; | `code`"), "{text}");
    assert!(!page.contains('\u{0}') && !page.contains('\u{1b}'));
    let student = render(Format::Html, &report(true), false);
    assert!(!student.contains("Hostile") && student.contains("Hidden check 1"));
    let instructor = render(Format::Html, &report(true), true);
    assert!(instructor.contains("Hostile") && instructor.contains(">hidden<"));
}

#[test]
fn junit_is_valid_xml_with_the_right_counts() {
    let text = render(Format::Junit, &report(false), false);
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("tests"), Some("7"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 2);
    let hostile = failures[1].attribute("message").unwrap();
    assert!(
        hostile.contains("</failure>]]><x>&amp;"),
        "text survives escaping: {hostile}"
    );
    assert!(!text.contains('\u{0}') && !text.contains('\u{1b}'));
    let loopback = failures[0].attribute("message").unwrap();
    assert!(
        loopback.contains("listens on 127.0.0.1:8088")
            && loopback.contains("fix: docker rm -f pythonapp_nautilus && docker run"),
        "{loopback}"
    );
}

#[test]
fn markdown_rows_keep_their_shape() {
    let text = render(Format::Markdown, &report(false), false);
    for row in text.lines().filter(|l| l.starts_with('|')) {
        let unescaped = row
            .match_indices('|')
            .filter(|(i, _)| !row[..*i].ends_with('\\'))
            .count();
        assert_eq!(unescaped, 5, "row has four cells: {row}");
    }
    assert!(!text.contains("<x>") && !text.contains("**bold**"));
}

#[test]
fn github_annotations_cannot_inject_commands() {
    let text = render(Format::Github, &report(false), false);
    for line in text.lines() {
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::notice ")
                || line.starts_with("Points "),
            "{line}"
        );
    }
    // Two failures, the score notice and the Points line: student text added no line,
    // so it cannot start a command of its own.
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.ends_with("Points 8/12\n"));
}

#[test]
fn gradescope_and_hidden_checks() {
    let student = render(Format::Json, &report(true), false);
    assert!(
        !student.contains("Hostile") && student.contains("Hidden check 1"),
        "students do not see hidden checks"
    );
    // The container log shows hidden requests too, so no finding carries log lines.
    assert!(
        !student.contains("Running on") && student.contains("log lines withheld"),
        "{student}"
    );
    let instructor = render(Format::Json, &report(true), true);
    assert!(instructor.contains("Running on"));
    assert!(instructor.contains("Hostile"));
    let gs: serde_json::Value =
        serde_json::from_str(&render(Format::Gradescope, &report(true), false)).unwrap();
    assert_eq!(gs["score"], 8);
    assert_eq!(gs["max_score"], 12);
    let tests = gs["tests"].as_array().unwrap();
    assert_eq!(tests.len(), 7);
    assert_eq!(tests[6]["visibility"], "hidden");
    assert_eq!(tests[5]["visibility"], "visible");
    assert_eq!(tests[5]["status"], "failed");
}

#[test]
fn classroom_scores_add_up_and_agree_with_status() {
    let r = report(false);
    let result = labgrade::report::classroom_result(&r);
    assert_eq!(result.version, 1);
    assert_eq!(result.max_score, r.max_score);
    assert_eq!(result.status, if r.passed { "pass" } else { "fail" });
    let sum: u32 = result.tests.iter().map(|t| t.score).sum();
    assert_eq!(sum, r.score);
    assert_eq!(result.tests.len(), r.findings.len());
    for t in &result.tests {
        assert_eq!(
            t.status == "pass",
            t.score > 0 || t.name.contains("0/0"),
            "{t:?}"
        );
        assert!(!t.test_code.is_empty());
    }
}

#[test]
fn tap_stream_is_parseable() {
    let text = render(Format::Tap, &report(false), false);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("TAP version 14"));
    assert_eq!(lines.next(), Some("1..7"));
    let points: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("ok ") || l.starts_with("not ok "))
        .collect();
    assert_eq!(points.len(), 7);
    assert!(
        points
            .iter()
            .all(|p| !p.contains(" # SKIP") || p.starts_with("ok")),
        "no injected directive"
    );
    assert!(points[6].starts_with("not ok 7 - Hostile"));
    assert!(!points[6].contains(" # SKIP"), "{}", points[6]);
}

/// PrairieLearn's published results.json fields (docs/externalGrading.md, "Grading
/// results"): `gradable`, `score` in [0, 1], `message`, `output`, and per test `name`,
/// `description`, `points`, `max_points`, `message`, `output`.
#[test]
fn prairielearn_results_have_its_fields_and_a_score_from_0_to_1() {
    let r = report(false);
    let pl: serde_json::Value =
        serde_json::from_str(&render(Format::Prairielearn, &r, false)).unwrap();
    let keys: Vec<&str> = pl.as_object().unwrap().keys().map(String::as_str).collect();
    // (serde_json's maps list keys sorted.)
    assert_eq!(keys, ["gradable", "message", "output", "score", "tests"]);
    assert_eq!(pl["gradable"], true);
    let score = pl["score"].as_f64().unwrap();
    assert!((score - 8.0 / 12.0).abs() < 1e-9, "{score}");
    assert!(
        pl["message"]
            .as_str()
            .unwrap()
            .starts_with("Points 8/12 — failed")
    );
    let tests = pl["tests"].as_array().unwrap();
    assert_eq!(tests.len(), r.findings.len());
    for t in tests {
        let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "description",
                "max_points",
                "message",
                "name",
                "output",
                "points"
            ]
        );
        assert!(t["points"].as_u64() <= t["max_points"].as_u64());
    }
    let points: u64 = tests.iter().map(|t| t["points"].as_u64().unwrap()).sum();
    assert_eq!(points, 8);
    let hostile = &tests[6];
    assert!(
        hostile["message"]
            .as_str()
            .unwrap()
            .contains("fix:   </failure>")
    );
    assert!(!render(Format::Prairielearn, &r, false).contains('\u{1b}'));
}

/// PrairieLearn takes at most 1 MB: a huge log is cut until the whole file fits.
#[test]
fn prairielearn_results_stay_under_one_megabyte_with_a_huge_log() {
    let mut r = report(false);
    for f in &mut r.findings {
        f.evidence = (0..2000)
            .map(|i| format!("log: line {i} {}", "é\u{0}x".repeat(300)))
            .collect();
        f.found = "F".repeat(400_000);
    }
    let text = render(Format::Prairielearn, &r, false);
    assert!(text.len() <= 1_000_000, "{} bytes", text.len());
    let pl: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(pl["tests"].as_array().unwrap().len(), r.findings.len());
    assert!(text.contains("bytes cut]"));
    assert_eq!(pl["score"], serde_json::json!(8.0 / 12.0));
}

#[test]
fn prairielearn_marks_a_grader_failure_not_gradable() {
    let mut out = Vec::new();
    labgrade::report::write_prairielearn_ungradable(
        "the Docker daemon at unix:///var/run/docker.sock does not answer",
        &mut out,
    )
    .unwrap();
    let pl: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(pl["gradable"], false);
    assert!(pl["message"].as_str().unwrap().contains("does not answer"));
    assert_eq!(pl["tests"], serde_json::json!([]));
}

/// Autolab (docs/lab.md, docs/features/formatted-feedback.md): the last line of standard
/// output is the autoresult `{"scores": {problem: points}}`, the line before it the
/// semantic feedback `{"_presentation": "semantic", "stages": [...], stage: {test:
/// {"passed": bool, "hint": ...}}}`.
#[test]
fn autolab_ends_with_the_feedback_line_then_the_scores_line() {
    let r = report(false);
    let text = render(Format::Autolab, &r, false);
    let lines: Vec<&str> = text.lines().collect();
    let scores: serde_json::Value = serde_json::from_str(lines[lines.len() - 1]).unwrap();
    let scores = scores["scores"].as_object().unwrap();
    assert_eq!(scores.len(), r.findings.len());
    let sum: u64 = scores.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(sum, u64::from(r.score));
    assert_eq!(scores["http:hostile"], 0);
    let feedback: serde_json::Value = serde_json::from_str(lines[lines.len() - 2]).unwrap();
    assert_eq!(feedback["_presentation"], "semantic");
    assert_eq!(feedback["stages"], serde_json::json!(["Checks"]));
    let rows = feedback["Checks"].as_object().unwrap();
    assert_eq!(rows.len(), r.findings.len());
    let failed: Vec<_> = rows.values().filter(|v| v["passed"] == false).collect();
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|v| v["hint"].is_string()));
    // Student text cannot add a line after the autoresult, nor drive the terminal.
    assert!(!text.contains('\u{1b}') && text.ends_with("}\n"));
    assert!(lines[..lines.len() - 2].iter().all(|l| !l.starts_with('{')));
}

/// Gradescope's published visibility values (autograder specs, "Controlling Test Case
/// Visibility"): the spec's result-wide `visibility:` at the top and on tests that set
/// none, a check's own on its test.
#[test]
fn gradescope_visibility_comes_from_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.yaml");
    std::fs::write(
        &path,
        "image: nautilus/python-app\ncontainer: pythonapp_nautilus\nports: [\"8097:8088\"]\nvisibility: after_due_date\nhttp:\n  - get: /\n    status: 200\n    visibility: visible\n  - get: /secret\n    visibility: after_published\n  - get: /never\n    hidden: true\n",
    )
    .unwrap();
    let spec = labgrade::plan::load(&path).unwrap();
    let plan = Plan::new(&spec);
    let verdict = judge(&plan, &Facts::default());
    let r =
        Report::new("lab.yaml", None, "100%".into(), verdict, 1).with_visibility(plan.visibility);
    let gs: serde_json::Value =
        serde_json::from_str(&render(Format::Gradescope, &r, false)).unwrap();
    assert_eq!(gs["visibility"], "after_due_date");
    let by_name = |part: &str| {
        gs["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"].as_str().unwrap().contains(part))
            .unwrap_or_else(|| panic!("no test {part}: {gs}"))["visibility"]
            .clone()
    };
    assert_eq!(by_name("8097/ "), "visible");
    assert_eq!(by_name("/secret"), "after_published");
    assert_eq!(by_name("/never"), "hidden");
    assert_eq!(by_name("exists"), "after_due_date");
    // Elsewhere, a check students may not see yet is an instructor-only check.
    let json = render(Format::Json, &r, false);
    assert!(
        !json.contains("/secret") && !json.contains("/never"),
        "{json}"
    );
    assert!(json.contains("\"visibility\": \"after_due_date\""));
    let e = labgrade::plan::parse(
        "image: a\ncontainer: b\nports: [\"1:2\"]\nhttp:\n  - get: /\n    hidden: true\n    visibility: visible\n",
        "x.yaml",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("contradict"), "{e}");
    let e = labgrade::plan::parse("image: a\nvisibility: later\n", "x.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("after_due_date"), "{e}");
}
