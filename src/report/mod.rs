//! The report is data; each output format is a reporter that writes it to an injected
//! writer and never decides a verdict itself.

mod json;
mod tty;

use serde::Serialize;

use crate::verdict::{Finding, Verdict};

pub use json::write_json;
pub use tty::{TtyOptions, write_tty};

/// Version of the JSON report layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a reporter shows about one graded lab.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always `labgrade-report`; with `schema_version` it identifies the layout.
    pub schema: &'static str,
    pub schema_version: u32,
    pub labgrade_version: &'static str,
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
            schema: "labgrade-report",
            schema_version: SCHEMA_VERSION,
            labgrade_version: env!("CARGO_PKG_VERSION"),
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
        }
    }
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
