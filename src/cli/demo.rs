//! `labgrade demo`: build the sample lab, grade a correct and a broken container, clean up.

use std::io::Write;

use labgrade::exit::Exit;

use super::{ColorChoice, Error, interrupted, tty_options, with_daemon};

#[derive(clap::Args)]
pub(super) struct DemoArgs {
    /// Leave the demo containers and image in place afterwards
    #[arg(long)]
    keep: bool,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

pub(super) fn run(a: DemoArgs) -> Result<Exit, Error> {
    with_daemon(|daemon| async move {
        let exe = std::env::current_exe().map_err(Error::NoProgram)?;
        let mut out = std::io::stdout().lock();
        let run = labgrade::demo::run(&daemon, &exe, a.keep, tty_options(a.color), &mut out);
        let result = tokio::select! {
            r = run => r,
            signal = interrupted() => {
                labgrade::demo::cleanup(&daemon).await;
                return Err(Error::Interrupted(signal, "the demo containers and image were removed"));
            }
        };
        if !result.map_err(Error::Demo)? {
            return Err(Error::DemoMisgraded);
        }
        let _ = writeln!(
            out,
            "Demo finished: the correct lab passed and the broken one was caught."
        );
        Ok(Exit::Passed)
    })
}
