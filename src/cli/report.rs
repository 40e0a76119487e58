//! `labgrade report`: (re)write the class report of a `grade` output folder.

use std::path::PathBuf;

use labgrade::batch::html::HtmlError;
use labgrade::exit::Exit;

use super::Error;

#[derive(clap::Args)]
pub(super) struct ReportArgs {
    /// The output folder of `labgrade grade` (or `merge`): index.html and
    /// reports/<student>.html are written into it
    #[arg(value_name = "GRADES_DIR")]
    grades: PathBuf,
}

pub(super) fn run(a: ReportArgs) -> Result<Exit, Error> {
    let written = labgrade::batch::html::write(&a.grades).map_err(|e| match e {
        HtmlError::NotGrades(_) => Error::Usage(e.to_string()),
        HtmlError::Io { path, source } => Error::Write {
            target: format!("the class report to {}", path.display()),
            source,
        },
    })?;
    println!(
        "{} students, {} pages — {}",
        written.students,
        written.pages,
        written.index.display()
    );
    Ok(Exit::Passed)
}
