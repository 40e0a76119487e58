//! The gradebook: one result file per student (written atomically, the source of truth
//! for `--resume` and `merge`), and the class-wide CSV and JSON rebuilt from them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::lms::{Assignment, LmsIds, canvas_csv, moodle_csv};

/// The folder of the JSON reports as the instructor sees them (hidden checks shown): a
/// folder of its own, so no student's folder name can make one of its file names.
pub const INSTRUCTOR_REPORTS: &str = "reports/instructor";

/// How one submission's grading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Built, run and graded.
    Graded,
    /// The image did not build; no check could pass.
    BuildFailed,
    /// The grader could not finish (daemon trouble, timeout); grade it again with --resume.
    NotGraded,
    /// A roster student with no submission folder.
    NoSubmission,
}

/// One student's result, as stored in `results/<student>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudentResult {
    pub student: String,
    /// Name from the roster, when one was given.
    pub name: Option<String>,
    pub status: Status,
    pub score: u32,
    pub max_score: u32,
    pub passed: bool,
    /// Points per check id of the spec, in spec order.
    pub checks: Vec<(String, u32)>,
    /// Why the submission could not be graded, and what to do.
    pub problem: Option<String>,
    /// A graded submission that failed: the failure its report says to fix first, in
    /// one line (`fix first: TITLE — WHY`), for the gradebook's reason and the
    /// LMS feedback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_first: Option<String>,
    pub duration_ms: u64,
    /// The student's learning-management-system ids, from the roster's columns.
    #[serde(default, skip_serializing_if = "LmsIds::is_empty")]
    pub lms: LmsIds,
}

impl StudentResult {
    /// Why it got no grade (the first line of its problem), or what a graded one that
    /// failed should fix first.
    pub fn reason(&self) -> Option<String> {
        self.problem
            .as_deref()
            .and_then(|p| p.lines().next())
            .map(str::to_string)
            .or_else(|| self.fix_first.clone())
    }
}

/// What every class file is laid out by: the checks (one gradebook column each) and the
/// lab as one column of an LMS gradebook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub check_ids: Vec<String>,
    pub assignment: Assignment,
}

/// The files of one grading run's output folder.
#[derive(Debug, Clone)]
pub struct Gradebook {
    pub dir: PathBuf,
}

/// Writes a file so that readers see the old or the new content, never half of it.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Makes a CSV field safe: quoted when needed, never read as a spreadsheet formula
/// (whatever a spreadsheet takes for one: `= + - @`, a tab or a carriage return first),
/// and with no bidirectional override that would show a name reversed; those are
/// written as visible escapes, so nothing is lost.
fn csv_field(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .map(|c| match c {
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                c.escape_unicode().to_string()
            }
            c => c.to_string(),
        })
        .collect();
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// One CSV record of `fields`, each made safe by [`csv_field`], with its line break.
pub(crate) fn csv_line(fields: &[&str]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

impl Gradebook {
    /// Opens (creating) an output folder.
    pub fn open(dir: &Path) -> std::io::Result<Gradebook> {
        for sub in ["results", "reports", INSTRUCTOR_REPORTS, "logs"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Gradebook {
            dir: dir.to_path_buf(),
        })
    }

    fn result_path(&self, student: &str) -> PathBuf {
        self.dir.join("results").join(format!("{student}.json"))
    }

    /// Students already graded here (a finished result file exists, not "not graded").
    pub fn done(&self) -> std::io::Result<BTreeMap<String, StudentResult>> {
        let mut out = BTreeMap::new();
        for r in self.results()? {
            if r.status != Status::NotGraded {
                out.insert(r.student.clone(), r);
            }
        }
        Ok(out)
    }

    /// Every stored result.
    pub fn results(&self) -> std::io::Result<Vec<StudentResult>> {
        let mut out = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(self.dir.join("results"))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            let text = std::fs::read_to_string(&p)?;
            let r: StudentResult = serde_json::from_str(&text).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {e}", p.display()),
                )
            })?;
            out.push(r);
        }
        Ok(out)
    }

    /// Stores one result, then rebuilds the class files.
    pub fn record(&self, result: &StudentResult, class: &Class) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(result).map_err(std::io::Error::other)?;
        write_atomic(&self.result_path(&result.student), &json)?;
        self.rebuild(class)
    }

    /// Stores the student's own report files (text and JSON, hidden checks hidden) and
    /// the JSON report as the instructor sees it, which the class report is drawn from.
    pub fn save_report(
        &self,
        student: &str,
        tty: &[u8],
        json: &[u8],
        full: &[u8],
    ) -> std::io::Result<()> {
        write_atomic(
            &self.dir.join("reports").join(format!("{student}.txt")),
            tty,
        )?;
        write_atomic(
            &self.dir.join("reports").join(format!("{student}.json")),
            json,
        )?;
        write_atomic(&self.instructor_report(student), full)
    }

    /// `reports/instructor/<student>.json`: the report with its hidden checks shown.
    pub fn instructor_report(&self, student: &str) -> PathBuf {
        self.dir
            .join(INSTRUCTOR_REPORTS)
            .join(format!("{student}.json"))
    }

    /// Stores a build log.
    pub fn save_log(&self, student: &str, log: &str) -> std::io::Result<()> {
        write_atomic(
            &self.dir.join("logs").join(format!("{student}.build.log")),
            log.as_bytes(),
        )
    }

    /// Rewrites gradebook.csv, gradebook.json and the LMS imports (canvas.csv,
    /// moodle.csv) from the result files.
    pub fn rebuild(&self, class: &Class) -> std::io::Result<()> {
        let check_ids = &class.check_ids;
        let results = self.results()?;
        // A byte-order mark, so Excel on Windows reads the names as UTF-8.
        let mut csv = String::from("\u{feff}student,name,score,max_score,passed,status,reason");
        for id in check_ids {
            csv.push(',');
            csv.push_str(&csv_field(id));
        }
        csv.push('\n');
        for r in &results {
            let status = serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let mut row = vec![
                csv_field(&r.student),
                csv_field(r.name.as_deref().unwrap_or("")),
                r.score.to_string(),
                r.max_score.to_string(),
                r.passed.to_string(),
                status,
                // Why a submission got no grade (its build failed, the grader could not
                // finish), or what a graded one should fix first: one line.
                csv_field(&r.reason().unwrap_or_default()),
            ];
            for id in check_ids {
                row.push(
                    r.checks
                        .iter()
                        .find(|(c, _)| c == id)
                        .map_or(String::new(), |(_, p)| p.to_string()),
                );
            }
            csv.push_str(&row.join(","));
            csv.push('\n');
        }
        write_atomic(&self.dir.join("gradebook.csv"), csv.as_bytes())?;
        write_atomic(
            &self.dir.join("canvas.csv"),
            canvas_csv(&results, &class.assignment).as_bytes(),
        )?;
        write_atomic(
            &self.dir.join("moodle.csv"),
            moodle_csv(&results, &class.assignment).as_bytes(),
        )?;
        let json = serde_json::to_vec_pretty(&serde_json::json!({
            "schema": "labgrade-gradebook",
            "schema_version": 1,
            "checks": check_ids,
            "students": results,
        }))
        .map_err(std::io::Error::other)?;
        write_atomic(&self.dir.join("gradebook.json"), &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_escaped_and_defused() {
        assert_eq!(csv_field("alice"), "alice");
        assert_eq!(csv_field("Smith, Jo"), "\"Smith, Jo\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("a\u{0}b\nc"), "abc");
        assert_eq!(csv_field("\t=1+1"), "'\t=1+1");
        assert_eq!(csv_field("\r=1+1"), "'=1+1");
        assert_eq!(csv_field("-2"), "'-2");
        assert_eq!(csv_field("evil\u{202e}gnp.exe"), "evil\\u{202e}gnp.exe");
    }

    #[test]
    fn results_round_trip_and_rebuild() {
        let dir = std::env::temp_dir().join(format!("labgrade-gb-{}", std::process::id()));
        let gb = Gradebook::open(&dir).unwrap();
        let ids = vec!["image:x".to_string(), "running:y".to_string()];
        let class = Class {
            check_ids: ids.clone(),
            assignment: Assignment {
                name: "lab".into(),
                points_possible: 4,
            },
        };
        let r = StudentResult {
            student: "bob".into(),
            name: Some("Bob, Jr.".into()),
            status: Status::Graded,
            score: 2,
            max_score: 4,
            passed: false,
            checks: vec![("image:x".into(), 2), ("running:y".into(), 0)],
            problem: None,
            fix_first: Some("fix first: Container y is running — it exited".into()),
            duration_ms: 5,
            lms: LmsIds::default(),
        };
        gb.record(&r, &class).unwrap();
        assert_eq!(gb.done().unwrap()["bob"], r);
        let csv = std::fs::read_to_string(dir.join("gradebook.csv")).unwrap();
        assert_eq!(
            csv,
            "\u{feff}student,name,score,max_score,passed,status,reason,image:x,running:y\nbob,\"Bob, Jr.\",2,4,false,graded,fix first: Container y is running — it exited,2,0\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
