//! The command line: the flags (clap), the dispatch to one module per command, and the
//! helpers the commands share. Every command returns `Result<Exit, Error>`.

use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use labgrade::exit::Exit;
use labgrade::observe::Daemon;
use labgrade::report::TtyOptions;

mod author;
mod check;
mod clean;
mod completions;
mod demo;
mod error;
mod grade;
mod image;
mod man;
mod merge;
mod report;
mod sample_image;
mod schema;
mod serve;
mod validate;

pub use error::Error;

#[derive(Parser)]
#[command(
    name = "labgrade",
    version,
    about = "Grade Docker labs: images, containers, published ports and HTTP answers, checked against a YAML spec",
    after_help = "Exit codes: 0 lab passed (grade: every submission graded), 1 lab failed, 2 bad usage or spec (fatal: do not retry), 3 Docker daemon unreachable or submissions not graded (retry).\n\nStart with `labgrade demo`, then `labgrade check specs/nautilus-python-app.yaml`."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Grade a lab on this machine's Docker daemon against a spec
    Check(check::CheckArgs),
    /// Grade every submission in a folder: build, run, grade and clean up each, in parallel
    Grade(grade::GradeArgs),
    /// Remove what `grade` runs that have ended left behind (never a run in progress's)
    Clean(clean::CleanArgs),
    /// Join the output folders of several `grade --shard` runs into one gradebook
    Merge(merge::MergeArgs),
    /// Write the class report (index.html, a page per student) of a `grade` output folder
    #[command(
        after_help = "`grade` and `merge` write it themselves; this writes it again, e.g. for a folder an older labgrade graded.\nOpen GRADES_DIR/index.html in a browser: one self-contained file, nothing fetched. The students' pages show hidden checks: hand students reports/<student>.txt, or let them run `labgrade check --format html=FILE`."
    )]
    Report(report::ReportArgs),
    /// Build a sample lab locally, run a correct and a broken container, grade both, clean up
    Demo(demo::DemoArgs),
    /// Print a JSON Schema: of the spec format (for editors), or of the JSON report
    Schema(schema::SchemaArgs),
    /// Write a new spec from flags, e.g. --image nautilus/python-app --container web -p 8097:8088 --get /
    Init(author::InitArgs),
    /// Write a spec from a running reference solution: its image and settings, how it was run, its ports and its answers
    Record(author::RecordArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions(completions::CompletionsArgs),
    /// Print the manual page (roff), e.g. labgrade man > labgrade.1
    Man,
    /// Check specs for mistakes without talking to Docker
    Validate(validate::ValidateArgs),
    /// Build labgrade's own container image (FROM scratch) from this program, for CI
    Image(image::ImageArgs),
    /// Run the sample lab app (what the demo image runs)
    #[command(hide = true)]
    Serve(serve::ServeArgs),
    /// Build the sample lab image locally (FROM scratch) under the given tag
    #[command(hide = true)]
    SampleImage(sample_image::SampleImageArgs),
}

impl Cli {
    /// Parses the process's arguments; the matches are kept for what the derived
    /// structs lose (the order of `check`'s `--format` and `--output`).
    pub fn parse_args() -> Result<(Cli, clap::ArgMatches), Error> {
        // Started as `python`, `flask`, `uvicorn` or `node` (the sample image's links to
        // labgrade): the sample app standing in for that program, `labgrade serve NAME ...`.
        let mut argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
        if let Some(name) = argv.first().and_then(|a| a.to_str())
            && labgrade::sample::frameworks::is_program(name)
        {
            let name = name.rsplit('/').next().unwrap_or(name).to_string();
            argv.splice(0..1, ["labgrade".into(), "serve".into(), name.into()]);
        }
        let matches = Cli::command().try_get_matches_from(argv)?;
        let cli = Cli::from_arg_matches(&matches)?;
        Ok((cli, matches))
    }

    /// Runs the command.
    pub fn dispatch(self, matches: &clap::ArgMatches) -> Result<Exit, Error> {
        match self.command {
            Command::Check(args) => check::run(args, matches.subcommand_matches("check")),
            Command::Grade(args) => grade::run(args),
            Command::Clean(args) => clean::run(args),
            Command::Merge(args) => merge::run(args),
            Command::Report(args) => report::run(args),
            Command::Demo(args) => demo::run(args),
            Command::Schema(args) => schema::run(args),
            Command::Init(args) => author::init(args),
            Command::Record(args) => author::record(args),
            Command::Completions(args) => completions::run(args),
            Command::Man => man::run(),
            Command::Validate(args) => validate::run(args),
            Command::Image(args) => image::run(args),
            Command::Serve(args) => serve::run(args),
            Command::SampleImage(args) => sample_image::run(args),
        }
    }
}

/// Colour in the terminal report.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The clap value parser for durations such as `5s` or `500ms`.
fn duration(s: &str) -> Result<Duration, String> {
    labgrade::spec::parse_duration(s)
}

/// Terminal report options: colour as asked (auto: a terminal without `NO_COLOR`) and
/// the width from `COLUMNS` or the terminal.
fn tty_options(choice: ColorChoice) -> TtyOptions {
    let stdout = std::io::stdout();
    let color = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| comfy_table::Table::new().width())
        .unwrap_or(120)
        .clamp(60, 200);
    TtyOptions { color, width }
}

/// Connects to the Docker daemon (or fails with its how-to-fix message), then runs
/// `body` with it on a single-threaded runtime.
fn with_daemon<F, Fut>(body: F) -> Result<Exit, Error>
where
    F: FnOnce(Daemon) -> Fut,
    Fut: Future<Output = Result<Exit, Error>>,
{
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(async {
            let daemon = Daemon::connect().await?;
            body(daemon).await
        })
}

/// Resolves when the user presses Ctrl-C (SIGINT) or a CI runner cancels the job
/// (SIGTERM), with the exit code that says which.
async fn interrupted() -> Exit {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => Exit::Interrupted,
                _ = term.recv() => Exit::Terminated,
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            Exit::Interrupted
        }
    }
}
