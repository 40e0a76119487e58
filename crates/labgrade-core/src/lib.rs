//! labgrade-core: the model and the judgement of labgrade, with no IO to the daemon or
//! the network.
//!
//! The pipeline's pure half: a YAML [`spec`] is expanded into a [`plan`] of checks; the
//! binary observes [`facts`] for it; [`verdict`] judges them (a pure function); a
//! [`report`] is written in the format asked for. Because nothing here talks to Docker,
//! every judgement is testable on recorded facts (`cargo test -p labgrade-core`).

pub mod base;
pub mod bases;
pub mod cause;
mod checks;

/// Where a spec's file path is in an image (relative paths are under its WORKDIR).
pub use checks::in_image;
/// The addresses an app's log says it listens on (Flask, uvicorn, gunicorn, http.server, Node).
pub use checks::{Heard, log_addresses};
pub mod dockerfile;
pub mod dockerignore;
pub mod facts;
pub mod hints;
pub mod instance;
pub mod plan;
pub mod report;
pub mod source;
pub mod spec;
pub mod verdict;
