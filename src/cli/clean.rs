//! `labgrade clean`: remove what interrupted `grade` runs left behind.

use labgrade::exit::Exit;

use super::{Error, with_daemon};

pub(super) fn run() -> Result<Exit, Error> {
    with_daemon(|daemon| async move {
        let (c, n, i) = labgrade::batch::clean(&daemon, None).await?;
        println!("removed {c} containers, {n} networks and {i} images left by grading runs");
        Ok(Exit::Passed)
    })
}
