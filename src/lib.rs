//! labgrade: a grader for Docker labs.
//!
//! The pipeline: a YAML [`spec`] is expanded into a [`plan`] of checks; [`observe`]
//! gathers [`facts`] from the daemon and the network; [`verdict`] judges them (a pure
//! function); a [`report`] is written in the format asked for.

pub mod author;
pub mod batch;
pub mod build;
pub mod demo;
pub mod dockerfile;
pub mod dockerignore;
pub mod exit;
pub mod facts;
pub mod grade;
pub mod hints;
pub mod observe;
pub mod plan;
pub mod report;
pub mod sample;
mod settings_verdict;
pub mod spec;
pub mod verdict;
