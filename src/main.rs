//! The `labgrade` command line: parses flags, runs the pipeline, picks the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use labgrade::exit::Exit;
use labgrade::observe::{Daemon, ObserveOptions};
use labgrade::report::{TtyOptions, write_json, write_tty};
use labgrade::sample::server::ServeArgs;
use labgrade::spec::{Spec, parse_duration};

#[derive(Parser)]
#[command(
    name = "labgrade",
    version,
    about = "Grade Docker labs: images, containers, published ports and HTTP answers, checked against a YAML spec",
    after_help = "Exit codes: 0 lab passed, 1 lab failed, 2 bad usage or spec, 3 Docker daemon unreachable.\n\nStart with `labgrade demo`, then `labgrade check specs/nautilus-python-app.yaml`."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Grade a lab on this machine's Docker daemon against a spec
    Check(CheckArgs),
    /// Build a sample lab locally, run a correct and a broken container, grade both, clean up
    Demo {
        /// Leave the demo containers and image in place afterwards
        #[arg(long)]
        keep: bool,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Check specs for mistakes without talking to Docker
    Validate {
        /// Spec files to check
        #[arg(required = true)]
        specs: Vec<PathBuf>,
    },
    /// Run the sample lab app (what the demo image runs)
    #[command(hide = true)]
    Serve(ServeArgs),
    /// Build the sample lab image locally (FROM scratch) under the given tag
    #[command(hide = true)]
    SampleImage {
        /// Tag for the image, e.g. nautilus/python-app
        tag: String,
    },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The lab spec (YAML), e.g. specs/nautilus-python-app.yaml
    spec: PathBuf,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Tty)]
    format: Format,
    /// How long a container that has just started gets to begin answering
    /// [default: the spec's `wait:`, else 5s]
    #[arg(long, value_parser = duration)]
    wait: Option<Duration>,
    /// Time allowed for each HTTP request, body included (a spec's `timeout:` wins)
    #[arg(long, default_value = "5s", value_parser = duration)]
    timeout: Duration,
    /// Colour in the terminal report
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Also write the observed facts as JSON to this file (replayable test fixtures)
    #[arg(long, value_name = "FILE")]
    save_facts: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// A table for people
    Tty,
    /// The versioned JSON report (docs/report-json.md)
    Json,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn duration(s: &str) -> Result<Duration, String> {
    parse_duration(s)
}

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

fn fail(exit: Exit, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    exit.into()
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => match labgrade::sample::server::serve(&args) {
            Ok(()) => Exit::Passed.into(),
            Err(e) => fail(
                Exit::Environment,
                format_args!("cannot listen on {}: {e}", args.listen),
            ),
        },
        Command::Validate { specs } => {
            let mut bad = 0;
            for p in &specs {
                match Spec::load(p) {
                    Ok(s) => println!(
                        "{}: ok ({} checks)",
                        p.display(),
                        labgrade::plan::Plan::new(&s).checks.len()
                    ),
                    Err(e) => {
                        bad += 1;
                        eprintln!("error: {e}");
                    }
                }
            }
            if bad > 0 {
                Exit::Usage.into()
            } else {
                Exit::Passed.into()
            }
        }
        Command::Check(args) => {
            let spec = match Spec::load(&args.spec) {
                Ok(s) => s,
                Err(e) => return fail(Exit::Usage, e),
            };
            runtime().block_on(check(args, spec))
        }
        Command::Demo { keep, color } => runtime().block_on(demo(keep, color)),
        Command::SampleImage { tag } => runtime().block_on(async {
            let daemon = match Daemon::connect().await {
                Ok(d) => d,
                Err(e) => return fail(Exit::Environment, e),
            };
            let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("/proc/self/exe"));
            match labgrade::sample::image::build(&daemon, &exe, &tag).await {
                Ok(()) => Exit::Passed.into(),
                Err(e) => fail(Exit::Environment, e),
            }
        }),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

async fn check(args: CheckArgs, spec: Spec) -> ExitCode {
    let daemon = match Daemon::connect().await {
        Ok(d) => d,
        Err(e) => return fail(Exit::Environment, e),
    };
    let opts = ObserveOptions {
        wait: args.wait,
        probe_timeout: args.timeout,
    };
    let shown = args.spec.display().to_string();
    let (report, facts) = match labgrade::grade::grade(&daemon, &spec, &shown, &opts).await {
        Ok(r) => r,
        Err(e) => return fail(Exit::Environment, e),
    };
    if let Some(path) = &args.save_facts {
        let json = serde_json::to_string_pretty(&facts).unwrap_or_default();
        if let Err(e) = std::fs::write(path, json) {
            return fail(
                Exit::Usage,
                format_args!("cannot write facts to {}: {e}", path.display()),
            );
        }
    }
    let mut out = std::io::stdout().lock();
    let written = match args.format {
        Format::Tty => write_tty(&report, tty_options(args.color), &mut out),
        Format::Json => write_json(&report, &mut out),
    };
    let _ = written.and_then(|_| out.flush());
    if report.passed {
        Exit::Passed.into()
    } else {
        Exit::Failed.into()
    }
}

async fn demo(keep: bool, color: ColorChoice) -> ExitCode {
    let daemon = match Daemon::connect().await {
        Ok(d) => d,
        Err(e) => return fail(Exit::Environment, e),
    };
    let exe = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            return fail(
                Exit::Environment,
                format_args!("cannot find the labgrade program: {e}"),
            );
        }
    };
    let mut out = std::io::stdout().lock();
    let run = labgrade::demo::run(&daemon, &exe, keep, tty_options(color), &mut out);
    let result = tokio::select! {
        r = run => r,
        _ = tokio::signal::ctrl_c() => {
            labgrade::demo::cleanup(&daemon).await;
            Err(anyhow::anyhow!("interrupted; the demo containers and image were removed"))
        }
    };
    match result {
        Ok(true) => {
            let _ = writeln!(
                out,
                "Demo finished: the correct lab passed and the broken one was caught."
            );
            Exit::Passed.into()
        }
        Ok(false) => fail(
            Exit::Failed,
            "the demo did not grade as expected (see the reports above)",
        ),
        Err(e) => fail(Exit::Environment, format_args!("the demo failed: {e:#}")),
    }
}
