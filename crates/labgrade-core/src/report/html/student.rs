//! One lab's report as a page: the verdict, what to fix first, every check with its
//! outcome and points, and for each failure what was wanted and found, why, the fix and
//! the evidence (for a failed build: the build log's explaining lines). The same page
//! is `check --format html` and, inside a class report, `reports/<student>.html`.

use std::io::Write;

use maud::{Markup, html};

use super::super::{Report, failure_parts};
use super::{clean, href_segment, page, write_markup};
use crate::verdict::{Finding, Outcome};

/// Where a student's page sits in a class report (`grades/reports/`).
#[derive(Debug, Clone, Copy)]
pub struct InClass<'a> {
    /// The submission's folder name.
    pub student: &'a str,
    /// The roster's name for them.
    pub name: Option<&'a str>,
    /// Whether `grades/logs/<student>.build.log` exists, to link to.
    pub build_log: bool,
}

/// The word and style class of an outcome, as the terminal report words it.
pub(super) fn outcome_word(o: Outcome) -> (&'static str, &'static str) {
    match o {
        Outcome::Pass => ("PASS", "pass"),
        Outcome::Fail => ("FAIL", "fail"),
        Outcome::Skipped => ("SKIP", "skipped"),
        Outcome::Error => ("ERROR", "error"),
        Outcome::Given => ("GIVEN", "given"),
    }
}

/// Longest `found` a table row shows; the failure's block below has it whole.
const ROW_FOUND: usize = 200;

fn short(s: &str) -> String {
    crate::report::truncate(&clean(s), ROW_FOUND)
}

fn is_problem(f: &Finding) -> bool {
    matches!(f.outcome, Outcome::Fail | Outcome::Error)
}

/// Writes the page of one report; `class` places it in a class report.
pub fn write_student(
    report: &Report,
    class: Option<InClass<'_>>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let lab = clean(report.lab.as_deref().unwrap_or(&report.spec));
    let title = match class {
        Some(c) => format!("{} — {lab}", clean(c.student)),
        None => format!("labgrade: {lab}"),
    };
    write_markup(page(&title, body(report, class, &lab), false), out)
}

fn body(report: &Report, class: Option<InClass<'_>>, lab: &str) -> Markup {
    let problems: Vec<&Finding> = report.findings.iter().filter(|f| is_problem(f)).collect();
    let number = |f: &Finding| problems.iter().position(|p| p.id == f.id).map(|i| i + 1);
    html! {
        @if class.is_some() {
            nav { a href="../index.html" { "← Class report" } }
        }
        header {
            h1 { (lab) }
            p.sub {
                @if let Some(c) = class {
                    bdi.student { (clean(c.student)) }
                    @if let Some(n) = c.name {
                        " — " bdi.name { (clean(n)) }
                    }
                    " · "
                }
                "spec " code { (clean(&report.spec)) }
            }
        }
        section.verdict.passed[report.passed].failed[!report.passed] {
            strong { @if report.passed { "PASSED" } @else { "FAILED" } }
            " — score " b.score { (report.score) " / " (report.max_score) }
            " (pass mark " (report.pass_points) ")"
        }
        @if let Some(root) = report.root_finding() {
            section.first {
                h2 { "Fix this first: " (clean(&root.title)) }
                @if let Some(c) = &root.cause { p { (clean(c)) } }
                @if let Some(x) = &root.fix { pre.fix { code { (clean(x)) } } }
            }
        }
        section #checks {
            h2 { "Checks" }
            table.findings {
                thead { tr { th { "Check" } th { "Result" } th.num { "Points" } th { "Found" } } }
                tbody {
                    @for f in &report.findings {
                        @let (word, style) = outcome_word(f.outcome);
                        tr.finding-row data-outcome=(style) {
                            td {
                                (clean(&f.title))
                                @if f.hidden { span.tag.hidden title="instructor-only check" { "hidden" } }
                            }
                            td { span.outcome.(style) { (word) } }
                            td.num {
                                @if f.outcome == Outcome::Given { "–" }
                                @else { (f.points) "/" (f.max_points) }
                            }
                            td {
                                @match number(f) {
                                    Some(n) => { a href={ "#problem-" (n) } { "(" (n) ") " } (short(&f.found)) },
                                    None => { (short(&f.found)) },
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !problems.is_empty() {
            section #problems {
                h2 { "What went wrong" }
                @for (i, f) in problems.iter().enumerate() {
                    (problem(report, f, i + 1, class))
                }
            }
        }
        footer {
            p { (report.points_line()) " · graded by labgrade " (report.labgrade_version) " in " (report.duration_ms) " ms" }
        }
    }
}

/// One failure: its parts, its evidence and, for a build, the link to the whole log.
fn problem(report: &Report, f: &Finding, n: usize, class: Option<InClass<'_>>) -> Markup {
    let (word, style) = outcome_word(f.outcome);
    let parts = failure_parts(report, f);
    html! {
        article.finding id={ "problem-" (n) } data-check=(clean(&f.id)) {
            h3 {
                "(" (n) ") " (clean(&f.title)) " "
                span.outcome.(style) { (word) }
                @if f.hidden { span.tag.hidden { "hidden" } }
                " " span.sub { (f.points) "/" (f.max_points) }
            }
            dl.parts {
                @for (label, text) in &parts {
                    @match label.trim().trim_end_matches(':') {
                        "" => { dt {} dd.consequence { (clean(text)) } },
                        "fix" => { dt { "fix" } dd { pre.fix { code { (clean(text)) } } } },
                        l => { dt { (l) } dd { (clean(text)) } },
                    }
                }
                @if let Some(c) = f.cause_id {
                    dt { "cause id" } dd { code { (c.as_str()) } }
                }
            }
            @if !f.evidence.is_empty() {
                p.sub { @if f.id == "build" { "What the build log says:" } @else { "Evidence:" } }
                pre.evidence { @for line in &f.evidence { (clean(line)) "\n" } }
            }
            @if let Some(c) = class.filter(|c| c.build_log && f.id == "build") {
                p { a href={ "../logs/" (href_segment(c.student)) ".build.log" } { "The whole build log" } }
            }
        }
    }
}
