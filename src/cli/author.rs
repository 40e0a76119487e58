//! `labgrade init` and `labgrade record`: write a spec from flags or from a running
//! reference solution.

use std::path::{Path, PathBuf};

use labgrade::author::{Draft, DraftHttp};
use labgrade::exit::Exit;
use labgrade::spec::{ContainerName, ImageRef, PortMapping};

use super::{Error, with_daemon};

#[derive(clap::Args)]
pub(super) struct InitArgs {
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
pub(super) struct RecordArgs {
    /// Name of the running reference container
    #[arg(long)]
    container: String,
    /// A path whose answer to record (repeatable; default /), e.g. --get /latency --get /ping
    #[arg(long)]
    get: Vec<String>,
    /// Write the spec to this file instead of standard output
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub(super) fn init(a: InitArgs) -> Result<Exit, Error> {
    let draft = Draft {
        name: a.name,
        image: a.image,
        container: a.container,
        ports: a.ports,
        http: a
            .get
            .iter()
            .map(|p| DraftHttp {
                path: p.clone(),
                status: a.status,
                body_contains: a.body_contains.clone(),
                json: Vec::new(),
            })
            .collect(),
        ..Draft::default()
    };
    emit(draft.render(), a.output.as_deref())
}

pub(super) fn record(a: RecordArgs) -> Result<Exit, Error> {
    with_daemon(|daemon| async move {
        if let Some(p) = a.get.iter().find(|p| !p.starts_with('/')) {
            return Err(Error::InvalidDraft(format!(
                "--get {p}: give a path that starts with /, such as /{p}"
            )));
        }
        let draft = labgrade::author::record(&daemon, &a.container, &a.get).await?;
        for h in draft
            .http
            .iter()
            .filter(|h| h.status.is_some_and(|s| s >= 400))
        {
            eprintln!(
                "warning: the reference answers GET {} with {}; the spec now expects that — check it is what you want",
                h.path,
                h.status.unwrap_or_default()
            );
        }
        emit(draft.render(), a.output.as_deref())
    })
}

/// Prints a written spec, or saves it to a file that does not exist yet.
fn emit(spec: Result<String, String>, output: Option<&Path>) -> Result<Exit, Error> {
    let text = spec.map_err(Error::InvalidDraft)?;
    match output {
        None => print!("{text}"),
        Some(p) if p.exists() => return Err(Error::OutputExists(p.to_path_buf())),
        Some(p) => {
            std::fs::write(p, text).map_err(|source| Error::Write {
                target: p.display().to_string(),
                source,
            })?;
            eprintln!(
                "wrote {}; check it with: labgrade validate {0}",
                p.display()
            );
        }
    }
    Ok(Exit::Passed)
}
