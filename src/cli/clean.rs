//! `labgrade clean`: remove what `grade` runs that have ended left behind, never what a
//! run in progress uses.

use labgrade::exit::Exit;

use super::{Error, with_daemon};

#[derive(clap::Args)]
pub(super) struct CleanArgs {
    /// Remove only what this run left (its id: `run_id` in the output folder's run.json,
    /// or the value of the io.labgrade.grade label); a run still in progress is refused
    #[arg(long)]
    run: Option<String>,
}

pub(super) fn run(a: CleanArgs) -> Result<Exit, Error> {
    with_daemon(|daemon| async move {
        let done = labgrade::batch::clean(&daemon, a.run.as_deref()).await?;
        for (run, why) in &done.removed {
            println!("run {run}: removed, {why}");
        }
        for (run, why) in &done.kept {
            eprintln!("run {run}: kept, {why}");
        }
        println!(
            "removed {} containers, {} networks and {} images left by grading runs",
            done.containers, done.networks, done.images
        );
        match a.run {
            Some(r) if done.alive.contains(&r) => Err(Error::Usage(format!(
                "run {r} is still in progress, so nothing of it was removed: it removes its own containers when it ends (Ctrl-C too)"
            ))),
            Some(r) if done.removed.is_empty() => Err(Error::Usage(format!(
                "no container, network or image is labelled with run {r} (io.labgrade.grade={r})"
            ))),
            _ => Ok(Exit::Passed),
        }
    })
}
