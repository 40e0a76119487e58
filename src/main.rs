//! The `labgrade` command line: parse the flags, run the command, exit with its code.
//! The commands and the error-to-exit-code mapping live in `cli/`.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    match cli::Cli::parse_args().and_then(|(cli, matches)| cli.dispatch(&matches)) {
        Ok(exit) => exit.into(),
        Err(e) => {
            e.print();
            e.code().into()
        }
    }
}
