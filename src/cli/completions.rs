//! `labgrade completions`: print a shell completion script.

use clap::CommandFactory;

use labgrade::exit::Exit;

use super::{Cli, Error};

#[derive(clap::Args)]
pub(super) struct CompletionsArgs {
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub(super) fn run(a: CompletionsArgs) -> Result<Exit, Error> {
    clap_complete::generate(
        a.shell,
        &mut Cli::command(),
        "labgrade",
        &mut std::io::stdout(),
    );
    Ok(Exit::Passed)
}
