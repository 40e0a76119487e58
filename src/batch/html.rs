//! The class report of an output folder: `index.html` and a page per student in
//! `reports/`, drawn from the files a grading run saved (the results, the instructor's
//! JSON reports, the build logs). `grade` writes it at the end of every run, `merge` for
//! the joined folder, and `labgrade report` for any output folder.

use std::path::{Component, Path, PathBuf};

use super::gradebook::{Gradebook, Status, StudentResult};
use crate::report::{Class, InClass, Member, Report, Standing, write_class, write_student};

/// What was written.
#[derive(Debug)]
pub struct Written {
    /// `index.html`.
    pub index: PathBuf,
    pub students: usize,
    pub pages: usize,
}

/// Why no class report could be written.
#[derive(Debug, thiserror::Error)]
pub enum HtmlError {
    #[error("{0} holds no results/ folder: give the --out folder of a `labgrade grade` run")]
    NotGrades(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> HtmlError + '_ {
    move |source| HtmlError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes a page so that a browser sees the old or the new one, never half of it. Not
/// synced to disk like the results: a page lost in a crash is drawn again from them, and
/// a sync per page would make a class of 500 take seconds.
fn replace(path: &Path, data: &[u8]) -> Result<(), HtmlError> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, data)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(io(path))
}

/// Whether a student's id can name a file in `reports/`: one plain path component (the
/// batch grades only such folder names, but a results file can be edited).
fn file_safe(student: &str) -> bool {
    let mut parts = Path::new(student).components();
    matches!(parts.next(), Some(Component::Normal(p)) if p == student)
        && parts.next().is_none()
        && !student.starts_with('.')
        && !student.chars().any(char::is_control)
}

/// The student's report: the instructor's copy, else (a folder of an older labgrade)
/// the student's own, whose hidden checks are hidden.
fn saved_report(book: &Gradebook, student: &str) -> Option<Report> {
    [
        book.instructor_report(student),
        book.dir.join("reports").join(format!("{student}.json")),
    ]
    .iter()
    .find_map(|p| serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok())
}

fn standing(r: &StudentResult) -> Standing {
    match r.status {
        Status::Graded if r.passed => Standing::Passed,
        Status::Graded => Standing::Failed,
        Status::BuildFailed => Standing::BuildFailed,
        Status::NotGraded => Standing::NotGraded,
        Status::NoSubmission => Standing::NoSubmission,
    }
}

/// The check ids of the gradebook, in the lab's order.
fn check_ids(book: &Gradebook, results: &[StudentResult]) -> Vec<String> {
    let saved: Option<Vec<String>> = std::fs::read_to_string(book.dir.join("gradebook.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| serde_json::from_value(v["checks"].clone()).ok());
    saved.unwrap_or_else(|| {
        let mut ids: Vec<String> = Vec::new();
        for (id, _) in results.iter().flat_map(|r| &r.checks) {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        ids
    })
}

/// Writes `index.html` and every student's page (`reports/<student>.html`) of the output
/// folder `dir`.
pub fn write(dir: &Path) -> Result<Written, HtmlError> {
    if !dir.join("results").is_dir() {
        return Err(HtmlError::NotGrades(dir.to_path_buf()));
    }
    let book = Gradebook {
        dir: dir.to_path_buf(),
    };
    let results = book.results().map_err(io(dir))?;
    let checks = check_ids(&book, &results);
    let mut members = Vec::with_capacity(results.len());
    let mut pages = 0;
    for r in results {
        let report = file_safe(&r.student)
            .then(|| saved_report(&book, &r.student))
            .flatten();
        if let Some(report) = &report {
            let at = InClass {
                student: &r.student,
                name: r.name.as_deref(),
                build_log: dir
                    .join("logs")
                    .join(format!("{}.build.log", r.student))
                    .is_file(),
            };
            let mut page = Vec::new();
            write_student(report, Some(at), &mut page).map_err(io(dir))?;
            let path = dir.join("reports").join(format!("{}.html", r.student));
            replace(&path, &page)?;
            pages += 1;
        }
        members.push(Member {
            standing: standing(&r),
            score: r.score,
            problem: r.problem,
            report,
            name: r.name,
            student: r.student,
        });
    }
    let first = members.iter().find_map(|m| m.report.as_ref());
    let class = Class {
        lab: first
            .and_then(|r| r.lab.clone().or_else(|| Some(r.spec.clone())))
            .unwrap_or_else(|| "the lab".into()),
        spec: first.map(|r| r.spec.clone()).unwrap_or_default(),
        max_score: first.map_or_else(
            || members.iter().map(|m| m.score).max().unwrap_or(0),
            |r| r.max_score,
        ),
        pass_points: first.map_or(0, |r| r.pass_points),
        checks,
        members,
    };
    let mut index = Vec::new();
    write_class(&class, &mut index).map_err(io(dir))?;
    let path = dir.join("index.html");
    replace(&path, &index)?;
    Ok(Written {
        index: path,
        students: class.members.len(),
        pages,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_names_make_files() {
        for ok in ["alice", "a b", "\"><img src=x>", "Zoë", "a..b"] {
            assert!(super::file_safe(ok), "{ok}");
        }
        for bad in [
            "../x",
            "..",
            ".",
            "a/b",
            "/etc/passwd",
            ".hidden",
            "a\0b",
            "",
        ] {
            assert!(!super::file_safe(bad), "{bad}");
        }
    }
}
