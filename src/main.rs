//! The `labgrade` command line: parses flags, runs the pipeline, picks the exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use labgrade::exit::Exit;
use labgrade::observe::{Daemon, ObserveOptions};
use labgrade::report::{Format, TtyOptions};
use labgrade::sample::server::ServeArgs;
use labgrade::spec::{ContainerName, ImageRef, PortMapping, Spec, parse_duration};

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
    /// Grade every submission in a folder: build, run, grade and clean up each, in parallel
    Grade(GradeArgs),
    /// Remove the containers and images that an interrupted `grade` left behind
    Clean,
    /// Join the output folders of several `grade --shard` runs into one gradebook
    Merge {
        /// The lab spec the shards were graded with
        #[arg(long)]
        spec: PathBuf,
        /// Output folder for the joined gradebook
        #[arg(long)]
        out: PathBuf,
        /// The shards' output folders
        #[arg(required = true)]
        shards: Vec<PathBuf>,
    },
    /// Build a sample lab locally, run a correct and a broken container, grade both, clean up
    Demo {
        /// Leave the demo containers and image in place afterwards
        #[arg(long)]
        keep: bool,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Print a JSON Schema: of the spec format (for editors), or of the JSON report
    Schema {
        #[arg(value_enum, default_value_t = SchemaOf::Spec)]
        of: SchemaOf,
    },
    /// Write a new spec from flags, e.g. --image nautilus/python-app --container web -p 8097:8088 --get /
    Init(InitArgs),
    /// Write a spec from a running reference solution (its image, ports and answer to GET /)
    Record {
        /// Name of the running reference container
        #[arg(long)]
        container: String,
        /// Write the spec to this file instead of standard output
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. labgrade man > labgrade.1
    Man,
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
struct GradeArgs {
    /// The lab spec every submission is graded against
    #[arg(long)]
    spec: PathBuf,
    /// Folder with one subfolder per student (each holding a Dockerfile and its sources)
    submissions: PathBuf,
    /// Output folder: gradebook.csv, gradebook.json, reports/, results/, logs/
    #[arg(long, default_value = "labgrade-grades")]
    out: PathBuf,
    /// CSV of `id,name` mapping submission folders to students' names
    #[arg(long)]
    roster: Option<PathBuf>,
    /// Submissions graded at once [default: the number of CPUs]
    #[arg(long, short = 'j')]
    jobs: Option<usize>,
    /// Finish an interrupted run: grade only what is not in --out yet
    #[arg(long)]
    resume: bool,
    /// Grade only this share of the class, K of N (for a CI matrix), e.g. 2/4
    #[arg(long, value_parser = |s: &str| s.parse::<labgrade::batch::Shard>())]
    shard: Option<labgrade::batch::Shard>,
    /// Time allowed to build one image
    #[arg(long, default_value = "300s", value_parser = duration)]
    build_timeout: Duration,
    /// Time allowed to run and grade one submission after its build
    #[arg(long, default_value = "60s", value_parser = duration)]
    run_timeout: Duration,
    /// Memory limit per container, in MiB
    #[arg(long, default_value_t = 256)]
    memory: i64,
    /// How long a submission's container gets to begin answering
    #[arg(long, value_parser = duration)]
    wait: Option<Duration>,
}

#[derive(clap::Args)]
struct InitArgs {
    /// Lab title
    #[arg(long)]
    name: Option<String>,
    /// Image the lab builds, e.g. nautilus/python-app
    #[arg(long, value_parser = |s: &str| s.parse::<ImageRef>())]
    image: Option<ImageRef>,
    /// Container the lab runs
    #[arg(long, value_parser = |s: &str| s.parse::<ContainerName>())]
    container: Option<ContainerName>,
    /// Port mapping as docker run -p takes it (repeatable)
    #[arg(long = "publish", short = 'p', value_parser = |s: &str| s.parse::<PortMapping>())]
    ports: Vec<PortMapping>,
    /// A path that must answer GET (repeatable)
    #[arg(long)]
    get: Vec<String>,
    /// Status those paths must answer
    #[arg(long)]
    status: Option<u16>,
    /// Text their answers must contain
    #[arg(long)]
    body_contains: Option<String>,
    /// Write the spec to this file instead of standard output
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The lab spec (YAML), e.g. specs/nautilus-python-app.yaml
    spec: PathBuf,
    /// Report format: tty, json, junit, markdown, github, gradescope, tap. Repeat it for
    /// several; FORMAT=FILE (or a following --output FILE) writes that one to a file. With
    /// every format going to files, the table still shows on the terminal
    #[arg(long, short, value_name = "FORMAT[=FILE]", value_parser = format_target)]
    format: Vec<(Format, Option<PathBuf>)>,
    /// File for the --format just before it
    #[arg(long, short, value_name = "FILE")]
    output: Vec<PathBuf>,
    /// Show what hidden (instructor-only) checks test
    #[arg(long)]
    show_hidden: bool,
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
    /// Project folder the spec's files (the Dockerfile) are read from
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// Also write the observed facts as JSON to this file (replayable test fixtures)
    #[arg(long, value_name = "FILE")]
    save_facts: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SchemaOf {
    /// The lab spec (YAML)
    Spec,
    /// The JSON report of `check --format json`
    Report,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn format_target(s: &str) -> Result<(Format, Option<PathBuf>), String> {
    let (name, file) = match s.split_once('=') {
        Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
        Some(_) => return Err(format!("`{s}` names no file after `=`")),
        None => (s, None),
    };
    let format: Format = name.parse()?;
    Ok((format, file))
}

/// Refuses report targets that cannot all be written, before any grading happens.
fn check_targets(targets: &[(Format, Option<PathBuf>)]) -> Result<(), String> {
    if targets.iter().filter(|(_, f)| f.is_none()).count() > 1 {
        return Err("only one format can go to standard output; give the others a file, e.g. -f junit=report.xml".into());
    }
    let mut seen = std::collections::BTreeSet::new();
    for (format, file) in targets {
        let Some(file) = file else { continue };
        if !seen.insert(file) {
            return Err(format!(
                "{} is named for two formats; give each its own file",
                file.display()
            ));
        }
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        if !dir.is_dir() {
            return Err(format!(
                "cannot write the {} report to {}: the folder {} does not exist",
                format.name(),
                file.display(),
                dir.display()
            ));
        }
    }
    Ok(())
}

/// Pairs each `--output FILE` with the `--format` written just before it.
fn pair_outputs(matches: &clap::ArgMatches, args: &mut CheckArgs) -> Result<(), String> {
    let formats: Vec<usize> = matches
        .indices_of("format")
        .map(Iterator::collect)
        .unwrap_or_default();
    let outputs: Vec<usize> = matches
        .indices_of("output")
        .map(Iterator::collect)
        .unwrap_or_default();
    for (file, at) in args.output.iter().zip(outputs) {
        let Some(k) = formats.iter().rposition(|f| *f < at) else {
            return Err(format!(
                "--output {} must follow the --format it is for",
                file.display()
            ));
        };
        if args.format[k].1.is_some() {
            return Err(format!(
                "--format {} already has a file",
                args.format[k].0.name()
            ));
        }
        args.format[k].1 = Some(file.clone());
    }
    Ok(())
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
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Serve(args) => match labgrade::sample::server::serve(&args) {
            Ok(()) => Exit::Passed.into(),
            Err(e) => fail(
                Exit::Environment,
                format_args!("cannot listen on {}: {e}", args.listen),
            ),
        },
        Command::Init(a) => {
            let draft = labgrade::author::Draft {
                name: a.name,
                image: a.image,
                container: a.container,
                ports: a.ports,
                http: a
                    .get
                    .iter()
                    .map(|p| labgrade::author::DraftHttp {
                        path: p.clone(),
                        status: a.status,
                        body_contains: a.body_contains.clone(),
                    })
                    .collect(),
            };
            emit(draft.render(), a.output.as_deref())
        }
        Command::Record { container, output } => runtime().block_on(async {
            let daemon = match Daemon::connect().await {
                Ok(d) => d,
                Err(e) => return fail(Exit::Environment, e),
            };
            match labgrade::author::record(&daemon, &container).await {
                Ok(draft) => {
                    for h in draft.http.iter().filter(|h| h.status.is_some_and(|s| s >= 400)) {
                        eprintln!(
                            "warning: the reference answers GET {} with {}; the spec now expects that — check it is what you want",
                            h.path,
                            h.status.unwrap_or_default()
                        );
                    }
                    emit(draft.render(), output.as_deref())
                }
                Err(labgrade::author::RecordError::Daemon(e)) => fail(Exit::Environment, e),
                Err(e) => fail(Exit::Usage, e),
            }
        }),
        Command::Grade(a) => runtime().block_on(grade_batch(a)),
        Command::Clean => runtime().block_on(async {
            let daemon = match Daemon::connect().await {
                Ok(d) => d,
                Err(e) => return fail(Exit::Environment, e),
            };
            match labgrade::batch::clean(&daemon, None).await {
                Ok((c, i)) => {
                    println!("removed {c} containers and {i} images left by grading runs");
                    Exit::Passed.into()
                }
                Err(e) => fail(Exit::Environment, e),
            }
        }),
        Command::Merge { spec, out, shards } => {
            match labgrade::batch::merge(&out, &shards, &spec) {
                Ok(n) => {
                    println!("{} students in {}", n, out.join("gradebook.csv").display());
                    Exit::Passed.into()
                }
                Err(e) => fail(Exit::Usage, e),
            }
        }
        Command::Schema { of } => {
            match of {
                SchemaOf::Spec => print!("{}", Spec::json_schema()),
                SchemaOf::Report => print!("{}", labgrade::report::Report::json_schema()),
            }
            Exit::Passed.into()
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "labgrade",
                &mut std::io::stdout(),
            );
            Exit::Passed.into()
        }
        Command::Man => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => Exit::Passed.into(),
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Passed.into(),
                Err(e) => fail(Exit::Environment, e),
            }
        }
        Command::Validate { specs } => {
            let mut bad = 0;
            for p in &specs {
                match labgrade::plan::load(p) {
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
        Command::Check(mut args) => {
            if let Some(sub) = matches.subcommand_matches("check")
                && let Err(e) = pair_outputs(sub, &mut args)
            {
                return fail(Exit::Usage, e);
            }
            if let Err(e) = check_targets(&args.format) {
                return fail(Exit::Usage, e);
            }
            let spec = match labgrade::plan::load(&args.spec) {
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

/// Prints a written spec, or saves it, or explains why it could not be written.
fn emit(spec: Result<String, String>, output: Option<&std::path::Path>) -> ExitCode {
    let text = match spec {
        Ok(t) => t,
        Err(e) => {
            return fail(
                Exit::Usage,
                format_args!("the spec would not be valid: {e}"),
            );
        }
    };
    match output {
        None => {
            print!("{text}");
            Exit::Passed.into()
        }
        Some(p) if p.exists() => fail(
            Exit::Usage,
            format_args!(
                "{} already exists; choose another file or remove it",
                p.display()
            ),
        ),
        Some(p) => match std::fs::write(p, text) {
            Ok(()) => {
                eprintln!(
                    "wrote {}; check it with: labgrade validate {0}",
                    p.display()
                );
                Exit::Passed.into()
            }
            Err(e) => fail(
                Exit::Usage,
                format_args!("cannot write {}: {e}", p.display()),
            ),
        },
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
    let (report, facts) =
        match labgrade::grade::grade(&daemon, &spec, &shown, &args.dir, &opts).await {
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
    let tty = tty_options(args.color);
    // A file gets colour only when asked for outright.
    let file_tty = TtyOptions {
        color: args.color == ColorChoice::Always,
        ..tty
    };
    let mut targets = args.format.clone();
    if !targets.iter().any(|(_, f)| f.is_none()) {
        targets.push((Format::Tty, None));
    }
    for (format, file) in targets {
        let written = match &file {
            None => {
                let mut out = std::io::stdout().lock();
                format
                    .write(&report, tty, args.show_hidden, &mut out)
                    .and_then(|_| out.flush())
            }
            Some(path) => {
                let mut buf = Vec::new();
                format
                    .write(&report, file_tty, args.show_hidden, &mut buf)
                    .and_then(|_| std::fs::write(path, buf))
            }
        };
        // One target that cannot be written does not cost the others, nor the grade.
        if let Err(e) = written
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            let target = file.map_or("standard output".to_string(), |p| p.display().to_string());
            eprintln!(
                "error: cannot write the {} report to {target}: {e}",
                format.name()
            );
        }
    }
    if report.passed {
        Exit::Passed.into()
    } else {
        Exit::Failed.into()
    }
}

async fn grade_batch(a: GradeArgs) -> ExitCode {
    let daemon = match Daemon::connect().await {
        Ok(d) => d,
        Err(e) => return fail(Exit::Environment, e),
    };
    let jobs = a
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let opts = labgrade::batch::BatchOptions {
        spec_path: a.spec,
        submissions: a.submissions,
        out: a.out.clone(),
        roster: a.roster,
        jobs,
        resume: a.resume,
        shard: a.shard,
        limits: labgrade::batch::submission::Limits {
            build_timeout: a.build_timeout,
            run_timeout: a.run_timeout,
            memory_bytes: a.memory.max(16) * 1024 * 1024,
            ..Default::default()
        },
        observe: ObserveOptions {
            wait: a.wait,
            ..Default::default()
        },
    };
    let run = labgrade::batch::run(&daemon, &opts);
    let result = tokio::select! {
        r = run => r,
        _ = interrupted() => {
            let run = labgrade::batch::last_run(&a.out).map(|r| r.run_id);
            labgrade::batch::clean_settled(&daemon, run.as_deref()).await;
            return fail(Exit::Environment, "interrupted; what was graded is kept: rerun with --resume to finish");
        }
    };
    match result {
        Ok(s) => {
            println!(
                "graded {} ({} passed), {} did not build, {} not graded, {} already done — {}",
                s.graded,
                s.passed,
                s.build_failed,
                s.not_graded,
                s.skipped_done,
                a.out.join("gradebook.csv").display()
            );
            if s.not_graded > 0 {
                Exit::Environment.into()
            } else {
                Exit::Passed.into()
            }
        }
        Err(labgrade::batch::BatchError::Usage(e)) => fail(Exit::Usage, e),
        Err(e) => fail(Exit::Environment, e),
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
        _ = interrupted() => {
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

/// Resolves when the user presses Ctrl-C (SIGINT) or a CI runner cancels the job (SIGTERM).
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
