//! Gradebook files that learning management systems import, written next to
//! gradebook.csv from the same per-student results: `canvas.csv` (Canvas's gradebook
//! import: `Student`, `ID`, `SIS User ID`, `SIS Login ID`, `Section`, then one column
//! for the lab, under a `Points Possible` row, laid out as Canvas's own export) and
//! `moodle.csv` (Moodle's CSV grade import: columns to map a user from — `ID number`,
//! `Email address`, `Username` — then the grade and its feedback). The ids come from
//! the roster's optional columns; a submission that has no grade (not graded, no
//! submission) leaves its cell empty, so an import does not overwrite a grade with 0.

use serde::{Deserialize, Serialize};

use super::gradebook::{Status, StudentResult, csv_line};

/// A student's ids in the learning management systems, from the roster's columns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LmsIds {
    /// Canvas's own user id (the gradebook export's `ID`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub canvas_id: String,
    /// The student information system's id: Canvas's `SIS User ID`, Moodle's `ID number`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sis_user_id: String,
    /// Canvas's `SIS Login ID`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sis_login_id: String,
    /// Canvas's `Section`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub section: String,
    /// Moodle's `Email address`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Moodle's `Username`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub username: String,
}

/// The roster's columns beyond `id` and `name`, as its header names them.
pub const COLUMNS: [&str; 6] = [
    "canvas_id",
    "sis_user_id",
    "sis_login_id",
    "section",
    "email",
    "username",
];

impl LmsIds {
    /// Whether no id is known (results of rosters without these columns stay as before).
    pub fn is_empty(&self) -> bool {
        *self == LmsIds::default()
    }

    /// Sets the id of roster column `column` (one of [`COLUMNS`]).
    pub fn set(&mut self, column: &str, value: &str) {
        let field = match column {
            "canvas_id" => &mut self.canvas_id,
            "sis_user_id" => &mut self.sis_user_id,
            "sis_login_id" => &mut self.sis_login_id,
            "section" => &mut self.section,
            "email" => &mut self.email,
            "username" => &mut self.username,
            _ => return,
        };
        *field = value.to_string();
    }
}

/// The lab as one gradebook column: its name and what it is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    pub points_possible: u32,
}

/// The grade an import should set: the score when the submission has one.
fn grade(r: &StudentResult) -> String {
    match r.status {
        Status::Graded | Status::BuildFailed => r.score.to_string(),
        Status::NotGraded | Status::NoSubmission => String::new(),
    }
}

/// Canvas's gradebook import.
pub fn canvas_csv(results: &[StudentResult], a: &Assignment) -> String {
    let mut out = csv_line(&[
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        &a.name,
    ]);
    let points = a.points_possible.to_string();
    out.push_str(&csv_line(&["    Points Possible", "", "", "", "", &points]));
    for r in results {
        let name = r.name.as_deref().unwrap_or(&r.student);
        out.push_str(&csv_line(&[
            name,
            &r.lms.canvas_id,
            &r.lms.sis_user_id,
            &r.lms.sis_login_id,
            &r.lms.section,
            &grade(r),
        ]));
    }
    out
}

/// Moodle's CSV grade import: map users from `ID number`, `Email address` or `Username`.
pub fn moodle_csv(results: &[StudentResult], a: &Assignment) -> String {
    let feedback = format!("{} feedback", a.name);
    let mut out = csv_line(&[
        "Full name",
        "ID number",
        "Email address",
        "Username",
        &a.name,
        &feedback,
    ]);
    for r in results {
        // The same shape for everyone: the points, then why (a build that failed, the
        // failure to fix first).
        let points = format!(
            "{}/{} points, {}",
            r.score,
            r.max_score,
            if r.passed { "passed" } else { "failed" }
        );
        let note = match r.reason() {
            // No grade is given (no submission, or the grader could not finish), so no
            // points are said.
            Some(why) if grade(r).is_empty() => why,
            Some(why) => format!("{points} — {why}"),
            None => points,
        };
        out.push_str(&csv_line(&[
            r.name.as_deref().unwrap_or(&r.student),
            &r.lms.sis_user_id,
            &r.lms.email,
            &r.lms.username,
            &grade(r),
            &note,
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(student: &str, status: Status, score: u32, lms: LmsIds) -> StudentResult {
        StudentResult {
            student: student.into(),
            name: Some(format!("Doe, {student}")),
            status,
            score,
            max_score: 7,
            passed: score == 7,
            checks: Vec::new(),
            problem: (status != Status::Graded).then(|| format!("{status:?}\nmore")),
            fix_first: (status == Status::Graded && score < 7)
                .then(|| "fix first: GET / answers 200 — the app listens on 127.0.0.1".into()),
            duration_ms: 1,
            lms,
        }
    }

    fn class() -> Vec<StudentResult> {
        let ids = LmsIds {
            canvas_id: "1001".into(),
            sis_user_id: "S1".into(),
            sis_login_id: "ann".into(),
            section: "Lab A".into(),
            email: "ann@uni.example".into(),
            username: "ann".into(),
        };
        vec![
            result("ann", Status::Graded, 7, ids),
            result("al", Status::Graded, 4, LmsIds::default()),
            result("bob", Status::BuildFailed, 0, LmsIds::default()),
            result("cy", Status::NoSubmission, 0, LmsIds::default()),
            result("di", Status::NotGraded, 0, LmsIds::default()),
        ]
    }

    fn lab() -> Assignment {
        Assignment {
            name: "Lab 3: =python app".into(),
            points_possible: 7,
        }
    }

    #[test]
    fn canvas_has_its_columns_points_possible_and_one_grade_each() {
        assert_eq!(
            canvas_csv(&class(), &lab()),
            "Student,ID,SIS User ID,SIS Login ID,Section,Lab 3: =python app\n\
             \"    Points Possible\",,,,,7\n\
             \"Doe, ann\",1001,S1,ann,Lab A,7\n\
             \"Doe, al\",,,,,4\n\
             \"Doe, bob\",,,,,0\n\
             \"Doe, cy\",,,,,\n\
             \"Doe, di\",,,,,\n"
        );
    }

    #[test]
    fn moodle_has_user_fields_to_map_from_a_grade_and_feedback() {
        assert_eq!(
            moodle_csv(&class(), &lab()),
            "Full name,ID number,Email address,Username,Lab 3: =python app,Lab 3: =python app feedback\n\
             \"Doe, ann\",S1,ann@uni.example,ann,7,\"7/7 points, passed\"\n\
             \"Doe, al\",,,,4,\"4/7 points, failed — fix first: GET / answers 200 — the app listens on 127.0.0.1\"\n\
             \"Doe, bob\",,,,0,\"0/7 points, failed — BuildFailed\"\n\
             \"Doe, cy\",,,,,NoSubmission\n\
             \"Doe, di\",,,,,NotGraded\n"
        );
    }
}
