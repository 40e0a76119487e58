//! `labgrade merge`: join the output folders of `grade --shard` runs into one gradebook.

use std::path::PathBuf;

use labgrade::exit::Exit;

use super::Error;

#[derive(clap::Args)]
pub(super) struct MergeArgs {
    /// The lab spec the shards were graded with
    #[arg(long)]
    spec: PathBuf,
    /// Output folder for the joined gradebook
    #[arg(long)]
    out: PathBuf,
    /// The shards' output folders
    #[arg(required = true)]
    shards: Vec<PathBuf>,
}

pub(super) fn run(a: MergeArgs) -> Result<Exit, Error> {
    let n = labgrade::batch::merge(&a.out, &a.shards, &a.spec)?;
    println!(
        "{} students in {}, {}",
        n,
        a.out.join("gradebook.csv").display(),
        a.out.join("index.html").display()
    );
    Ok(Exit::Passed)
}
