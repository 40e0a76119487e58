//! The verdict: a pure function of the plan and the facts. Each check is judged by its
//! module under [`crate::checks`]; here prerequisites are applied, points given and the
//! root cause found. No IO happens here, so every diagnosis can be tested on recorded
//! facts.

use serde::{Deserialize, Serialize};

use crate::cause::CauseId;
use crate::checks::{evidence, expected_text, judge_one};
use crate::facts::Facts;
use crate::plan::Plan;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    /// Not checked because a check it depends on failed.
    Skipped,
    /// Could not be checked (the grader lacked a fact it needed).
    Error,
    /// Satisfied by the grader's own actions, not the student's: a batch creates the
    /// container itself, from the student's image, with the lab's ports published. Shown
    /// with what was found, worth no points and not counted in the maximum.
    Given,
}

/// The result of one check, with what was expected, what was found, why and how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub id: String,
    pub title: String,
    pub outcome: Outcome,
    pub points: u32,
    pub max_points: u32,
    pub expected: String,
    pub found: String,
    /// The cause in one sentence.
    pub cause: Option<String>,
    /// The cause's stable id (docs/causes.md), with every failure and skip.
    #[serde(default)]
    pub cause_id: Option<CauseId>,
    /// What to type or change.
    pub fix: Option<String>,
    /// The failed check this one skipped for, or is a consequence of.
    pub because_of: Option<String>,
    /// Evidence behind a failure: what listens inside the container, its last log lines.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Instructor-only check (see `Report::for_students`).
    #[serde(default)]
    pub hidden: bool,
    /// When Gradescope shows it to students, where the spec says (`visibility:`, or
    /// `hidden` for `hidden: true`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<crate::spec::Visibility>,
}

/// All findings of a lab with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub findings: Vec<Finding>,
    pub score: u32,
    pub max_score: u32,
    /// Points needed to pass.
    pub pass_points: u32,
    pub passed: bool,
    /// The first failure that is not a consequence of another: fix this first.
    pub root_cause: Option<String>,
}

/// Judges every check of the plan against the facts.
pub fn judge(plan: &Plan, facts: &Facts) -> Verdict {
    let mut findings: Vec<Finding> = Vec::new();
    for check in &plan.checks {
        let failed_prereq = check
            .requires
            .iter()
            .find(|r| {
                findings
                    .iter()
                    .any(|f| &f.id == *r && f.outcome != Outcome::Pass)
            })
            .cloned();
        let expected = expected_text(check);
        let finding = if let Some(pre) = failed_prereq {
            Finding {
                id: check.id.clone(),
                title: check.title.clone(),
                outcome: Outcome::Skipped,
                points: 0,
                max_points: check.points,
                expected,
                found: "not checked".into(),
                cause: Some(format!(
                    "not checked, because \"{}\" did not pass",
                    findings
                        .iter()
                        .find(|f| f.id == pre)
                        .map_or(pre.as_str(), |f| f.title.as_str())
                )),
                cause_id: Some(CauseId::PrerequisiteFailed),
                fix: None,
                because_of: Some(pre),
                evidence: Vec::new(),
                hidden: check.hidden,
                visibility: check.visibility(),
            }
        } else {
            let j = judge_one(plan, check, facts, &findings);
            let evidence = if j.pass {
                Vec::new()
            } else {
                evidence(check, facts)
            };
            Finding {
                id: check.id.clone(),
                title: check.title.clone(),
                outcome: if j.error {
                    Outcome::Error
                } else if j.pass {
                    Outcome::Pass
                } else {
                    Outcome::Fail
                },
                points: if j.pass { check.points } else { 0 },
                max_points: check.points,
                expected,
                found: j.found,
                cause: j.cause,
                cause_id: j.cause_id,
                fix: j.fix,
                because_of: j.because_of,
                evidence,
                hidden: check.hidden,
                visibility: check.visibility(),
            }
        };
        findings.push(finding);
    }
    let score = findings.iter().map(|f| f.points).sum();
    let max_score = plan.max_points();
    let pass_points = plan.pass_mark.threshold(max_score);
    // Fix first the failure that is no consequence of another and blocks the most points
    // (its own and those of the checks that failed or were skipped because of it); the
    // earliest such one on a tie, since the lab's order is the order of its steps. A
    // missing image that a container of the lab runs from comes before all of them:
    // every fix that runs that container names the image, and fails until it is there.
    // Then a container that runs an older build than its image: what else it got wrong
    // was seen in that old build, which the student may have fixed already.
    let blocked = |f: &Finding| {
        let own = f.max_points
            + findings
                .iter()
                .filter(|x| x.because_of.as_ref() == Some(&f.id))
                .map(|x| x.max_points)
                .sum::<u32>();
        let rank = if runs_from_image(plan, &f.id) {
            2
        } else if f.cause_id == Some(CauseId::StaleContainer) {
            1
        } else {
            0
        };
        (rank, own)
    };
    let mut root_cause: Option<(&Finding, (u8, u32))> = None;
    for f in findings
        .iter()
        .filter(|f| f.outcome == Outcome::Fail && f.because_of.is_none())
    {
        let b = blocked(f);
        if root_cause.is_none_or(|(_, best)| b > best) {
            root_cause = Some((f, b));
        }
    }
    let root_cause = root_cause.map(|(f, _)| f.id.clone());
    Verdict {
        findings,
        score,
        max_score,
        pass_points,
        passed: score >= pass_points,
        root_cause,
    }
}

/// Whether the check of this id is the image check of an image some container of the
/// lab is to run from.
fn runs_from_image(plan: &Plan, id: &str) -> bool {
    use crate::checks::{CheckKind, ImagePresent};
    plan.checks.iter().any(|c| match &c.kind {
        CheckKind::ImagePresent(ImagePresent { image }) if c.id == id => {
            crate::checks::run_from(plan, image).is_some()
        }
        _ => false,
    })
}
