//! The HTML reports: a student's page (`--format html`, and `grades/reports/<student>.html`)
//! and the class report (`grades/index.html`). Each is one self-contained file: the style
//! sheet and the table-sorting script are inline, the charts are inline SVG, nothing is
//! fetched when it is viewed, and it reads whole without JavaScript (the script only sorts
//! the student table). A Content-Security-Policy admits only that style and that script
//! (by hash) and forbids every fetch, so even text that got past the escaping could
//! neither run nor load anything.
//!
//! Templates are [maud]'s `html!`: the markup is Rust, checked when the crate compiles
//! (an unclosed element or a misspelt field is a compile error, not a broken page), and
//! every interpolated value is HTML-escaped unless wrapped in `PreEscaped`, which is used
//! only for our own static style, script and plotters' SVG. Askama would check as much
//! but keeps templates in separate files with their own syntax; minijinja checks only at
//! run time. maud adds one small proc-macro crate and no run-time dependency.
//!
//! Charts are drawn by plotters' SVG backend (see [`charts`]), without its font features:
//! no font-kit, fontconfig or font file is needed to build or to run.

mod charts;
mod class;
mod student;

use std::io::Write;

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::Report;

pub use class::{Class, Member, Standing, write_class};
pub use student::{InClass, write_student};

/// The style sheet every page carries inline.
const STYLE: &str = include_str!("style.css");
/// The class report's table sorting, inline.
const SCRIPT: &str = include_str!("sort.js");
/// Base64 SHA-256 of [`STYLE`] and [`SCRIPT`] for the Content-Security-Policy (a test
/// recomputes them).
const STYLE_SHA256: &str = "sha256-nReOrRpMcYpg38+ta14eSVxpwKbbL36uFAhJGpbosr8=";
const SCRIPT_SHA256: &str = "sha256-6pUedDfBZCXpDss0I/a0bDk+h/A3vxW3ZDFPKOuI47Y=";

/// Writes the report as a student's page (`--format html`).
pub fn write_html(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    write_student(report, None, out)
}

/// Text a student controls, made fit for a page: control characters dropped, and the
/// bidirectional overrides that would show a name reversed (`gnp.exe` as `exe.png`)
/// written as visible escapes, as the gradebook's CSV does. maud escapes the markup.
fn clean(s: &str) -> String {
    super::without_controls(s)
        .chars()
        .map(|c| match c {
            '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {
                c.escape_unicode().to_string()
            }
            c => c.to_string(),
        })
        .collect()
}

/// Percent-encodes a file name for a relative link (`#`, `?`, `%`, spaces and quotes
/// cannot end or bend the path).
fn href_segment(name: &str) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');
    utf8_percent_encode(name, KEEP).to_string()
}

/// A whole page: the head with the inline style and the policy, then `body`; `script`
/// adds the sorting script at the end.
fn page(title: &str, body: Markup, script: bool) -> Markup {
    let policy = format!(
        "default-src 'none'; style-src '{STYLE_SHA256}'; script-src '{SCRIPT_SHA256}'; base-uri 'none'; form-action 'none'"
    );
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(policy);
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                meta name="generator" content=(concat!("labgrade ", env!("CARGO_PKG_VERSION")));
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                (body)
                @if script {
                    script { (PreEscaped(SCRIPT)) }
                }
            }
        }
    }
}

/// Writes a page as it was built.
fn write_markup(markup: Markup, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(markup.into_string().as_bytes())?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use sha2::Digest as _;

    fn sha(text: &str) -> String {
        let digest = sha2::Sha256::digest(text.as_bytes());
        format!(
            "sha256-{}",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    }

    #[test]
    fn the_policy_admits_exactly_the_inline_style_and_script() {
        assert_eq!(
            super::STYLE_SHA256,
            sha(super::STYLE),
            "style.css changed: update STYLE_SHA256"
        );
        assert_eq!(
            super::SCRIPT_SHA256,
            sha(super::SCRIPT),
            "sort.js changed: update SCRIPT_SHA256"
        );
    }

    #[test]
    fn links_are_encoded_as_one_segment() {
        assert_eq!(super::href_segment("alice"), "alice");
        assert_eq!(super::href_segment("a b#c?d%"), "a%20b%23c%3Fd%25");
        assert_eq!(super::href_segment("../x"), "..%2Fx");
        assert_eq!(super::href_segment("\"><"), "%22%3E%3C");
    }
}
