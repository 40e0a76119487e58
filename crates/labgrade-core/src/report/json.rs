//! The JSON report (`--format json`): the `Report` type serialised as is.
//! Layout documented in docs/report-json.md; `schema_version` changes on any break.

use std::io::Write;

use super::Report;

/// Writes the report as pretty JSON followed by a newline.
pub fn write_json(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}
