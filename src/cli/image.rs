//! `labgrade image TAG`: build labgrade's own container image (`FROM scratch`) from this
//! program, for CI and schedulers: `docker run -v /var/run/docker.sock:/var/run/docker.sock
//! TAG check SPEC`. Built from the static binary of `scripts/static-build`, it is that one
//! file; from a dynamically linked build, its interpreter and libraries come along.

use std::collections::HashMap;
use std::path::PathBuf;

use labgrade::exit::Exit;
use labgrade::sample::image::Kind;

use super::{Error, with_daemon};

#[derive(clap::Args)]
pub(super) struct ImageArgs {
    /// Tag for the image, e.g. labgrade:0.1.0
    tag: String,
    /// A label to put on the image, KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE", value_parser = label)]
    label: Vec<(String, String)>,
}

fn label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("`{s}`: write a label as KEY=VALUE")),
    }
}

pub(super) fn run(a: ImageArgs) -> Result<Exit, Error> {
    with_daemon(|daemon| async move {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
        let labels: HashMap<&str, &str> = a
            .label
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        labgrade::sample::image::build_kind(&daemon, &exe, &a.tag, Kind::Grader, &labels).await?;
        println!("built {}", a.tag);
        Ok(Exit::Passed)
    })
}
