//! `labgrade sample-image` (hidden): build the sample lab image from this program.

use std::path::PathBuf;

use labgrade::exit::Exit;

use super::{Error, with_daemon};

#[derive(clap::Args)]
pub(super) struct SampleImageArgs {
    /// Tag for the image, e.g. nautilus/python-app
    tag: String,
}

pub(super) fn run(a: SampleImageArgs) -> Result<Exit, Error> {
    with_daemon(|daemon| async move {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
        labgrade::sample::image::build(&daemon, &exe, &a.tag).await?;
        Ok(Exit::Passed)
    })
}
