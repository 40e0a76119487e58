//! The class report (`grades/index.html`): the class at a glance, the score histogram with
//! the pass mark, each check's pass rate in the lab's order, the most common causes (by
//! cause id, with the students behind each), and a sortable table of students linking to
//! their pages. The numbers are a pure function of the members' results and reports.

use std::collections::BTreeMap;
use std::io::Write;

use maud::{Markup, PreEscaped, html};

use super::super::Report;
use super::charts::{self, Bin};
use super::{clean, href_segment, page, write_markup};
use crate::cause::CauseId;
use crate::verdict::{Finding, Outcome};

/// How a student's submission ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Passed,
    /// Graded, under the pass mark.
    Failed,
    /// The image did not build: graded 0.
    BuildFailed,
    /// The grader could not finish; no grade.
    NotGraded,
    /// On the roster, with no submission folder.
    NoSubmission,
}

impl Standing {
    /// The words the report shows.
    fn word(self) -> &'static str {
        match self {
            Standing::Passed => "passed",
            Standing::Failed => "failed",
            Standing::BuildFailed => "did not build",
            Standing::NotGraded => "not graded",
            Standing::NoSubmission => "no submission",
        }
    }

    /// Its style class (the gradebook's status words).
    fn key(self) -> &'static str {
        match self {
            Standing::Passed => "passed",
            Standing::Failed => "failed",
            Standing::BuildFailed => "build_failed",
            Standing::NotGraded => "not_graded",
            Standing::NoSubmission => "no_submission",
        }
    }

    /// Whether it is a grade (a build that failed scores 0, and counts).
    fn has_grade(self) -> bool {
        matches!(
            self,
            Standing::Passed | Standing::Failed | Standing::BuildFailed
        )
    }
}

/// One student of the class.
#[derive(Debug, Clone)]
pub struct Member {
    /// The submission's folder name (their page is `reports/<student>.html`).
    pub student: String,
    /// The roster's name for them.
    pub name: Option<String>,
    pub standing: Standing,
    pub score: u32,
    /// Why there is no grade, or what stopped the build.
    pub problem: Option<String>,
    /// Their report as the instructor sees it (hidden checks shown). A member with a
    /// report has a page: the class report links to it.
    pub report: Option<Report>,
}

/// A graded class: what the report is drawn from.
#[derive(Debug, Clone)]
pub struct Class {
    /// The lab's title, or its spec's name.
    pub lab: String,
    pub spec: String,
    pub max_score: u32,
    pub pass_points: u32,
    /// The scored checks' ids, in the lab's order.
    pub checks: Vec<String>,
    pub members: Vec<Member>,
}

/// One check's pass rate among the students with a grade.
struct Rate<'a> {
    id: &'a str,
    title: String,
    hidden: bool,
    passed: usize,
}

/// One cause: the students whose failures it explains, in which checks, one fix.
struct CauseRow<'a> {
    id: CauseId,
    members: Vec<&'a Member>,
    checks: Vec<&'a str>,
    fix: Option<&'a str>,
}

fn is_problem(f: &Finding) -> bool {
    matches!(f.outcome, Outcome::Fail | Outcome::Error)
}

/// A member's finding of one check.
fn finding_of<'m>(m: &'m Member, id: &str) -> Option<&'m Finding> {
    m.report
        .as_ref()
        .and_then(|r| r.findings.iter().find(|f| f.id == id))
}

/// The failure a student should fix first: the root cause, else the first failure.
fn first_failure(r: &Report) -> Option<&Finding> {
    r.root_finding()
        .or_else(|| r.findings.iter().find(|f| is_problem(f)))
}

impl Class {
    fn graded(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.standing.has_grade())
    }

    fn count(&self, s: Standing) -> usize {
        self.members.iter().filter(|m| m.standing == s).count()
    }

    fn rates(&self) -> Vec<Rate<'_>> {
        self.checks
            .iter()
            .map(|id| {
                let shown = self.members.iter().find_map(|m| finding_of(m, id));
                Rate {
                    id,
                    title: shown.map_or(id.clone(), |f| f.title.clone()),
                    hidden: shown.is_some_and(|f| f.hidden),
                    passed: self
                        .graded()
                        .filter(|m| finding_of(m, id).is_some_and(|f| f.outcome == Outcome::Pass))
                        .count(),
                }
            })
            .collect()
    }

    /// The causes of the failures that are not a consequence of another, most students
    /// first.
    fn causes(&self) -> Vec<CauseRow<'_>> {
        let mut by_id: BTreeMap<&str, CauseRow<'_>> = BTreeMap::new();
        for m in self.graded() {
            let Some(r) = &m.report else { continue };
            for f in r
                .findings
                .iter()
                .filter(|f| is_problem(f) && f.because_of.is_none())
            {
                let Some(id) = f.cause_id.filter(|c| *c != CauseId::PrerequisiteFailed) else {
                    continue;
                };
                let row = by_id.entry(id.as_str()).or_insert_with(|| CauseRow {
                    id,
                    members: Vec::new(),
                    checks: Vec::new(),
                    fix: None,
                });
                if !row.members.iter().any(|x| std::ptr::eq(*x, m)) {
                    row.members.push(m);
                }
                if !row.checks.contains(&f.title.as_str()) {
                    row.checks.push(&f.title);
                }
                if row.fix.is_none() {
                    row.fix = f.fix.as_deref();
                }
            }
        }
        let mut rows: Vec<CauseRow<'_>> = by_id.into_values().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.members.len()));
        rows
    }
}

/// The relative link to a member's page, when they have one.
fn page_link(m: &Member) -> Option<String> {
    m.report
        .as_ref()
        .map(|_| format!("reports/{}.html", href_segment(&m.student)))
}

fn student_link(m: &Member) -> Markup {
    html! {
        @match page_link(m) {
            Some(href) => a href=(href) { bdi { (clean(&m.student)) } },
            None => bdi { (clean(&m.student)) },
        }
    }
}

/// Writes the class report.
pub fn write_class(class: &Class, out: &mut dyn Write) -> std::io::Result<()> {
    let graded: Vec<&Member> = class.graded().collect();
    let mut scores: Vec<u32> = graded
        .iter()
        .map(|m| m.score.min(class.max_score))
        .collect();
    scores.sort_unstable();
    let bins = charts::bins(&scores, class.max_score);
    let histogram = charts::histogram(&bins, class.max_score, class.pass_points)?;
    let rates = class.rates();
    let bars = rates
        .iter()
        .map(|r| charts::rate_bar(r.passed, graded.len()))
        .collect::<std::io::Result<Vec<String>>>()?;
    let lab = clean(&class.lab);
    let body = html! {
        header {
            h1 { "Class report: " (lab) }
            p.sub {
                "spec " code { (clean(&class.spec)) } " · "
                (class.max_score) " points, pass mark " (class.pass_points)
            }
        }
        section #glance {
            h2 { "The class at a glance" }
            (glance(class, &scores))
        }
        section #scores {
            h2 { "Scores" }
            (score_figure(class, &bins, &histogram, graded.len()))
        }
        section #checks {
            h2 { "Checks passed" }
            p.sub { "In the lab's order: how many of the " (graded.len()) " students with a grade passed each check." }
            table #check-rates {
                thead { tr { th.num { "#" } th { "Check" } th { "Pass rate" } th.num { "Passed" } } }
                tbody {
                    @for (i, (r, bar)) in rates.iter().zip(&bars).enumerate() {
                        tr.check data-check=(clean(r.id)) {
                            td.num { (i + 1) }
                            td {
                                (clean(&r.title))
                                @if r.hidden { span.tag.hidden title="instructor-only check" { "hidden" } }
                                br; code.sub { (clean(r.id)) }
                            }
                            td.bar.chart { (PreEscaped(bar)) }
                            td.num { (r.passed) " / " (graded.len()) " · " (percent(r.passed, graded.len())) }
                        }
                    }
                }
            }
        }
        section #causes {
            h2 { "Most common causes" }
            (causes(class))
        }
        section #students {
            h2 { "Students" }
            p.sub { "Click a column's heading to sort by it." }
            (student_table(class))
        }
        footer {
            p { "Written by labgrade " (env!("CARGO_PKG_VERSION")) ". Each student's page shows hidden checks as the instructor sees them: hand students their "
                code { "reports/<student>.txt" } " instead." }
        }
    };
    write_markup(page(&format!("Class report — {lab}"), body, true), out)
}

fn percent(n: usize, of: usize) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{:.0}%", n as f64 * 100.0 / of as f64)
    }
}

fn glance(class: &Class, scores: &[u32]) -> Markup {
    let tiles = [
        ("students", "students", class.members.len()),
        ("passed", "passed", class.count(Standing::Passed)),
        ("failed", "failed", class.count(Standing::Failed)),
        (
            "build_failed",
            "did not build",
            class.count(Standing::BuildFailed),
        ),
        ("not_graded", "not graded", class.count(Standing::NotGraded)),
        (
            "no_submission",
            "no submission",
            class.count(Standing::NoSubmission),
        ),
    ];
    let median = (!scores.is_empty()).then(|| scores[scores.len() / 2]);
    html! {
        ul.tiles {
            @for (key, word, n) in tiles {
                @if n > 0 || !matches!(key, "no_submission") {
                    li.(key) data-count=(n) { span.n { (n) } (word) }
                }
            }
        }
        @if let Some(m) = median {
            p { "Median score " b { (m) } " of " (class.max_score) "." }
        }
    }
}

fn score_figure(class: &Class, bins: &[Bin], svg: &str, graded: usize) -> Markup {
    html! {
        figure #histogram.chart {
            (PreEscaped(svg))
            figcaption {
                "Scores of the " (graded) " students with a grade (a build that failed scores 0); red bars are under the pass mark, the blue line is the pass mark ("
                (class.pass_points) " of " (class.max_score) " points)."
            }
        }
        details {
            summary { "The numbers" }
            table.bins {
                thead { tr { th { "Score" } th.num { "Students" } } }
                tbody {
                    @for b in bins {
                        tr.bin { td { (b.label()) } td.num { (b.students) } }
                    }
                }
            }
        }
    }
}

fn causes(class: &Class) -> Markup {
    let rows = class.causes();
    html! {
        @if rows.is_empty() {
            p { "No failures." }
        } @else {
            p.sub { "Each failure that is not a consequence of another carries a cause id (docs/causes.md). Open a cause for its students." }
            ol.causes {
                @for row in &rows {
                    li.cause data-cause=(row.id.as_str()) data-students=(row.members.len()) {
                        details {
                            summary {
                                b { (row.members.len()) " " (if row.members.len() == 1 { "student" } else { "students" }) }
                                " — " code { (row.id.as_str()) } " " (row.id.about())
                            }
                            div.cause-body {
                                p { "In: " (row.checks.iter().map(|c| clean(c)).collect::<Vec<_>>().join("; ")) }
                                @if let Some(fix) = row.fix {
                                    p { "One fix given:" }
                                    pre.fix { code { (clean(fix)) } }
                                }
                                ul.who {
                                    @for m in &row.members {
                                        li { (student_link(m)) @if let Some(n) = &m.name { " (" bdi { (clean(n)) } ")" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn student_table(class: &Class) -> Markup {
    html! {
        table.sortable #student-table {
            thead {
                tr {
                    th { "Student" } th { "Name" } th.num { "Score" } th { "Status" }
                    th { "First failing check" } th { "Its cause" }
                }
            }
            tbody {
                @for m in &class.members {
                    @let first = m.report.as_ref().and_then(first_failure);
                    tr.student {
                        td data-sort=(clean(&m.student)) { (student_link(m)) }
                        td { @if let Some(n) = &m.name { bdi { (clean(n)) } } }
                        @if m.standing.has_grade() {
                            td.num data-sort=(m.score) { (m.score) " / " (class.max_score) }
                        } @else {
                            td.num data-sort="-1" { "–" }
                        }
                        td { span.{ "status-" (m.standing.key()) } { (m.standing.word()) } }
                        td {
                            @match (first, &m.problem) {
                                (Some(f), _) => (clean(&f.title)),
                                (None, Some(p)) => (clean(p.lines().next().unwrap_or_default())),
                                (None, None) => "",
                            }
                        }
                        td { @if let Some(c) = first.and_then(|f| f.cause_id) { code { (c.as_str()) } } }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{InClass, write_student};
    use crate::verdict::Verdict;

    const HOSTILE: [&str; 5] = [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(2)>",
        "../../etc/passwd",
        "Zoë \u{202e}gnp.exe",
        "a&b'c\u{1b}[31m",
    ];

    fn finding(id: &str, outcome: Outcome, cause: Option<CauseId>, text: &str) -> Finding {
        Finding {
            id: id.into(),
            title: format!("Check {id}"),
            outcome,
            points: if outcome == Outcome::Pass { 2 } else { 0 },
            max_points: 2,
            expected: "200".into(),
            found: text.into(),
            cause: cause.map(|c| c.about().to_string()),
            cause_id: cause,
            fix: cause.map(|_| format!("docker run {text}")),
            because_of: None,
            evidence: vec![format!("log: {text}")],
            hidden: id == "secret",
            visibility: None,
        }
    }

    fn report(findings: Vec<Finding>) -> Report {
        let score = findings.iter().map(|f| f.points).sum();
        Report::new(
            "lab.yaml",
            Some("Lab <b>1</b>".into()),
            "5".into(),
            Verdict {
                passed: score >= 5,
                score,
                max_score: 6,
                pass_points: 5,
                root_cause: findings
                    .iter()
                    .find(|f| f.outcome == Outcome::Fail)
                    .map(|f| f.id.clone()),
                findings,
            },
            10,
        )
    }

    fn class() -> Class {
        let mut members = Vec::new();
        for (i, text) in HOSTILE.iter().enumerate() {
            let fail = i % 2 == 0;
            let r = report(vec![
                finding("image", Outcome::Pass, None, "ok"),
                if fail {
                    finding("http", Outcome::Fail, Some(CauseId::LoopbackBind), text)
                } else {
                    finding("http", Outcome::Pass, None, text)
                },
                finding("secret", Outcome::Pass, None, "ok"),
            ]);
            members.push(Member {
                student: format!("s{i}{}", text.replace('/', "")),
                name: Some(text.to_string()),
                standing: if r.passed {
                    Standing::Passed
                } else {
                    Standing::Failed
                },
                score: r.score,
                problem: None,
                report: Some(r),
            });
        }
        members.push(Member {
            student: "nobody".into(),
            name: Some("<i>No</i> One".into()),
            standing: Standing::NoSubmission,
            score: 0,
            problem: Some("no submission: <dir> has no folder".into()),
            report: None,
        });
        Class {
            lab: "Lab <b>1</b>".into(),
            spec: "lab.yaml".into(),
            max_score: 6,
            pass_points: 5,
            checks: vec!["image".into(), "http".into(), "secret".into()],
            members,
        }
    }

    fn page(class: &Class) -> String {
        let mut out = Vec::new();
        write_class(class, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Whether the page holds markup a student wrote: any tag but ours.
    fn assert_inert(html: &str) {
        for bad in [
            "<script>alert",
            "<img",
            "onerror=alert(2)>",
            "<b>1",
            "<i>No",
            "\u{1b}",
        ] {
            assert!(!html.contains(bad), "{bad} got through:\n{html}");
        }
        assert_eq!(
            html.matches("<script>").count(),
            html.matches("</script>").count()
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(
            html.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"),
            "{html}"
        );
    }

    #[test]
    fn hostile_names_and_text_are_escaped_in_the_class_report() {
        let class = class();
        let html = page(&class);
        assert_inert(&html);
        // Our own script is the only one, at the end.
        assert_eq!(html.matches("<script>").count(), 1);
        // Links stay one file name inside reports/.
        assert!(
            html.contains("href=\"reports/s0%3Cscript%3Ealert%281%29%3Cscript%3E.html\""),
            "{html}"
        );
        assert!(
            html.contains("href=\"reports/s2....etcpasswd.html\""),
            "{html}"
        );
        assert!(!html.contains("href=\"http"), "{html}");
        // Names are isolated from the text around them, and cannot reverse themselves.
        assert!(html.contains("<bdi>Zoë \\u{202e}gnp.exe</bdi>"), "{html}");
        for m in &class.members {
            let Some(r) = &m.report else { continue };
            let mut out = Vec::new();
            let at = InClass {
                student: &m.student,
                name: m.name.as_deref(),
                build_log: true,
            };
            write_student(r, Some(at), &mut out).unwrap();
            let page = String::from_utf8(out).unwrap();
            assert!(
                !page.contains("<img") && !page.contains("<script"),
                "{page}"
            );
            assert!(!page.contains("<b>1"), "{page}");
        }
    }

    #[test]
    fn the_numbers_add_up() {
        let class = class();
        let rates = class.rates();
        assert_eq!(
            rates.iter().map(|r| (r.id, r.passed)).collect::<Vec<_>>(),
            [("image", 5), ("http", 2), ("secret", 5)]
        );
        assert!(rates[2].hidden, "the instructor sees hidden checks");
        let causes = class.causes();
        assert_eq!(causes.len(), 1);
        assert_eq!(causes[0].id, CauseId::LoopbackBind);
        assert_eq!(causes[0].members.len(), 3);
        assert_eq!(causes[0].checks, ["Check http"]);
        let html = page(&class);
        assert_eq!(html.matches("<tr class=\"check\"").count(), 3);
        assert_eq!(html.matches("<tr class=\"student\"").count(), 6);
        assert_eq!(html.matches("<li class=\"cause\"").count(), 1);
        // A histogram bar per score 0..=6, in the numbers' table too.
        assert_eq!(html.matches("<tr class=\"bin\"").count(), 7);
        assert!(
            html.contains("data-count=\"2\"><span class=\"n\">2</span>passed"),
            "{html}"
        );
        assert!(html.contains("no_submission"), "{html}");
    }
}
