//! Table tests of every check kind, judged from facts built by hand (no Docker): for each
//! way a check can fail, the facts that cause it, the cause id, the outcome and whether
//! a fix is given; the wording of every finding is kept as an insta snapshot per kind,
//! so a change of wording shows up in review.

#[path = "../common/mod.rs"]
mod common;

mod bugs;
mod container;
mod container_settings;
mod dockerfile;
mod http;
mod image;
mod image_contents;
mod image_settings;
mod port;
mod prerequisites;
mod reasoning;
mod registry;
mod run;
mod transport;
