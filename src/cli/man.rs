//! `labgrade man`: print the manual page (roff).

use clap::CommandFactory;

use labgrade::exit::Exit;

use super::{Cli, Error};

pub(super) fn run() -> Result<Exit, Error> {
    match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
        Ok(()) => Ok(Exit::Passed),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(Exit::Passed),
        Err(e) => Err(Error::Stdout(e)),
    }
}
