//! `labgrade check`: grade one lab on this machine's daemon and write its reports.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use labgrade::exit::Exit;
use labgrade::observe::ObserveOptions;
use labgrade::report::{Format, TtyOptions};

use super::{ColorChoice, Error, duration, tty_options, with_daemon};

#[derive(clap::Args)]
pub(super) struct CheckArgs {
    /// The lab spec (YAML), e.g. specs/nautilus-python-app.yaml
    spec: PathBuf,
    /// Report format: tty, json, junit, markdown, github, gradescope, tap, classroom,
    /// prairielearn, autolab, html.
    /// Repeat it for several; FORMAT=FILE (or a following --output FILE) writes that one
    /// to a file. With every format going to files, the table still shows on the
    /// terminal. classroom goes to $GITHUB_OUTPUT (as result=BASE64) when that is set
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

/// Checks the report targets and the spec, then grades: `Passed` or `Failed` by the
/// lab's pass mark.
pub(super) fn run(mut args: CheckArgs, matches: Option<&clap::ArgMatches>) -> Result<Exit, Error> {
    if let Some(sub) = matches {
        pair_outputs(sub, &mut args)?;
    }
    check_targets(&args.format)?;
    let graded = grade_lab(&args);
    if let Err(e) = &graded {
        ungradable(&args, e);
    }
    graded
}

/// PrairieLearn is told when the grader itself could not grade (`gradable: false`), so
/// the student loses no attempt; every other format is written only for a graded lab.
fn ungradable(args: &CheckArgs, e: &Error) {
    for (format, file) in &args.format {
        if *format != Format::Prairielearn {
            continue;
        }
        let mut buf = Vec::new();
        let _ = labgrade::report::write_prairielearn_ungradable(&e.to_string(), &mut buf);
        let written = match file {
            Some(path) => std::fs::write(path, &buf),
            None => std::io::stdout().lock().write_all(&buf),
        };
        if let Err(source) = written {
            let to = file
                .as_ref()
                .map_or("standard output".to_string(), |p| p.display().to_string());
            Error::Write {
                target: format!("the prairielearn result to {to}"),
                source,
            }
            .print();
        }
    }
}

/// Reads the spec and grades the lab against the daemon, writing every report.
fn grade_lab(args: &CheckArgs) -> Result<Exit, Error> {
    let spec = labgrade::plan::load(&args.spec)?;
    if !args.dir.is_dir() {
        return Err(Error::Usage(format!(
            "--dir {}: no such folder; give the project folder that holds the Dockerfile",
            args.dir.display()
        )));
    }
    with_daemon(|daemon| async move {
        let opts = ObserveOptions {
            wait: args.wait,
            probe_timeout: args.timeout,
        };
        let shown = args.spec.display().to_string();
        let (report, facts) =
            labgrade::grade::grade(&daemon, &spec, &shown, &args.dir, &opts).await?;
        if let Some(path) = &args.save_facts {
            let json = serde_json::to_string_pretty(&facts).unwrap_or_default();
            std::fs::write(path, json).map_err(|source| Error::Write {
                target: format!("facts to {}", path.display()),
                source,
            })?;
        }
        write_reports(args, &report);
        Ok(if report.passed {
            Exit::Passed
        } else {
            Exit::Failed
        })
    })
}

/// Writes every report target (the terminal table too when all formats go to files).
/// One target that cannot be written does not cost the others, nor the grade.
fn write_reports(args: &CheckArgs, report: &labgrade::report::Report) {
    let tty = tty_options(args.color);
    // A file gets colour only when asked for outright.
    let file_tty = TtyOptions {
        color: args.color == ColorChoice::Always,
        ..tty
    };
    let mut targets = args.format.clone();
    // In a GitHub Actions step, Classroom's result is a step output, not printed text.
    let github_output = std::env::var_os("GITHUB_OUTPUT")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from);
    let mut to_step_output = false;
    if github_output.is_some() {
        targets.retain(|(f, file)| {
            let step = *f == Format::Classroom && file.is_none();
            to_step_output |= step;
            !step
        });
    }
    if let (true, Some(path)) = (to_step_output, &github_output)
        && let Err(source) = step_output(report, tty, args.show_hidden, path)
    {
        Error::Write {
            target: format!("the classroom result to {}", path.display()),
            source,
        }
        .print();
    }
    if !targets.iter().any(|(_, f)| f.is_none()) {
        targets.push((Format::Tty, None));
    }
    for (format, file) in targets {
        let written = match &file {
            None => {
                let mut out = std::io::stdout().lock();
                format
                    .write(report, tty, args.show_hidden, &mut out)
                    .and_then(|_| out.flush())
            }
            Some(path) => {
                let mut buf = Vec::new();
                format
                    .write(report, file_tty, args.show_hidden, &mut buf)
                    .and_then(|_| std::fs::write(path, buf))
            }
        };
        if let Err(source) = written
            && source.kind() != std::io::ErrorKind::BrokenPipe
        {
            let to = file.map_or("standard output".to_string(), |p| p.display().to_string());
            Error::Write {
                target: format!("the {} report to {to}", format.name()),
                source,
            }
            .print();
        }
    }
}

/// Appends `result=<base64 of the Classroom JSON>` to a GitHub Actions step output file.
fn step_output(
    report: &labgrade::report::Report,
    tty: TtyOptions,
    show_hidden: bool,
    path: &Path,
) -> std::io::Result<()> {
    use base64::Engine as _;
    let mut json = Vec::new();
    Format::Classroom.write(report, tty, show_hidden, &mut json)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(json.trim_ascii_end());
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(f, "result={encoded}")
}

/// The clap value parser of `--format FORMAT[=FILE]`.
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
fn check_targets(targets: &[(Format, Option<PathBuf>)]) -> Result<(), Error> {
    if targets.iter().filter(|(_, f)| f.is_none()).count() > 1 {
        return Err(Error::Usage("only one format can go to standard output; give the others a file, e.g. -f junit=report.xml".into()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (format, file) in targets {
        let Some(file) = file else { continue };
        if !seen.insert(file) {
            return Err(Error::Usage(format!(
                "{} is named for two formats; give each its own file",
                file.display()
            )));
        }
        let dir = file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.is_dir() {
            return Err(Error::NoFolder {
                target: format!("the {} report to {}", format.name(), file.display()),
                dir: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Pairs each `--output FILE` with the `--format` written just before it.
fn pair_outputs(matches: &clap::ArgMatches, args: &mut CheckArgs) -> Result<(), Error> {
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
            return Err(Error::Usage(format!(
                "--output {} must follow the --format it is for",
                file.display()
            )));
        };
        if args.format[k].1.is_some() {
            return Err(Error::Usage(format!(
                "--format {} already has a file",
                args.format[k].0.name()
            )));
        }
        args.format[k].1 = Some(file.clone());
    }
    Ok(())
}
