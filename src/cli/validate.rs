//! `labgrade validate`: check specs for mistakes without talking to Docker.

use std::path::PathBuf;

use labgrade::exit::Exit;

use super::Error;

#[derive(clap::Args)]
pub(super) struct ValidateArgs {
    /// Spec files to check
    #[arg(required = true)]
    specs: Vec<PathBuf>,
}

/// Prints each spec's verdict as it goes; `InvalidSpecs` when any was not valid.
pub(super) fn run(a: ValidateArgs) -> Result<Exit, Error> {
    let mut bad = 0;
    for p in &a.specs {
        match labgrade::plan::load(p) {
            Ok(s) => println!(
                "{}: ok ({} checks)",
                p.display(),
                labgrade::plan::Plan::new(&s).checks.len()
            ),
            Err(e) => {
                bad += 1;
                Error::from(e).print();
            }
        }
    }
    if bad > 0 {
        return Err(Error::InvalidSpecs { count: bad });
    }
    Ok(Exit::Passed)
}
