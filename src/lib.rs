//! labgrade: a grader for Docker labs.
//!
//! The pipeline: a YAML [`spec`] is expanded into a [`plan`] of checks; [`observe`]
//! gathers [`facts`] from the daemon and the network; [`verdict`] judges them (a pure
//! function); a [`report`] is written in the format asked for. The model and the judging
//! live in the `labgrade-core` crate (re-exported here), which has no IO: this crate adds
//! the IO, the batch, the demo and the command line.

pub use labgrade_core::{
    base, bases, cause, dockerfile, dockerignore, facts, hints, instance, plan, report, source,
    spec, verdict,
};

/// `eprintln!` that never panics: with stderr closed (`labgrade grade ... 2>&1 | head`)
/// a run goes on to grade and clean up what it made, where `eprintln!` would panic
/// and leave containers behind. Progress and warnings are written with it.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod author;
pub mod batch;

pub mod demo;
pub mod exit;
pub mod grade;
pub mod observe;
pub mod owner;
pub mod sample;
