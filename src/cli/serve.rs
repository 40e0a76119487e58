//! `labgrade serve` (hidden): run the sample lab app, with flags that reproduce students'
//! mistakes. The flags become the library's plain [`ServeOptions`].

use labgrade::exit::Exit;
use labgrade::sample::server::{Behaviour, ServeOptions};

use super::Error;

/// How the sample app behaves.
#[derive(Debug, Clone, clap::Args)]
pub(super) struct ServeArgs {
    /// Address to listen on; 127.0.0.1:PORT reproduces the loopback-binding mistake.
    #[arg(long, default_value = labgrade::sample::server::DEFAULT_LISTEN)]
    listen: String,
    /// Body of the answer to the route.
    #[arg(long, default_value = "Hello from the labgrade sample app!")]
    body: String,
    /// Content-Type of the answer.
    #[arg(long, default_value = "text/plain; charset=utf-8")]
    content_type: String,
    /// Paths that answer; any other path is 404.
    #[arg(long = "route", default_values_t = vec!["/".to_string()])]
    routes: Vec<String>,
    /// Status code of the answer.
    #[arg(long, default_value_t = 200)]
    status: u16,
    /// Print this to stderr and exit with code 1 at start (a crashing app).
    #[arg(long)]
    crash: Option<String>,
    /// Answer with JSON echoing the request's headers, `{"headers": {...}}`, the way
    /// seed 001's Flask app does (`jsonify({"headers": dict(request.headers)})`).
    #[arg(long)]
    echo_headers: bool,
    /// Answer every request with a 302 to this URL.
    #[arg(long)]
    redirect: Option<String>,
    /// Seconds to wait before listening (a slow-starting app).
    #[arg(long, default_value_t = 0.0)]
    delay: f64,
    /// Print this (with {date} replaced by today's date) and exit 0: a one-shot program.
    #[arg(long)]
    say: Option<String>,
    /// Allocate memory at start until the container's limit kills it.
    #[arg(long)]
    hog: bool,
    /// Hold this many MiB from the start, then serve (an app that needs that much).
    #[arg(long, value_name = "MIB")]
    hold: Option<u64>,
    /// Start threads at start until the pids limit stops them.
    #[arg(long)]
    bomb: bool,
    /// Misbehave the way broken or hostile servers do.
    #[arg(long, value_enum, default_value_t = Behave::Normal)]
    behave: Behave,
    /// Try once to connect to this address (repeatable), print `reached ADDR` or
    /// `unreachable ADDR: why` and exit: a submission probing its neighbours.
    #[arg(long)]
    connect: Vec<String>,
    /// Start this many threads, then exit: 1 as soon as one is refused (a bounded fork bomb).
    #[arg(long)]
    threads: Option<u32>,
    /// The script a `#!/labgrade serve` line (or `CMD ["app.py"]`) passes: a Python or
    /// Node source stands for the app's code (see `sample::server::from_script`). Or a
    /// program and its arguments, as a Dockerfile's CMD writes them (`flask run --port
    /// 8088`, `python app.py`, `uvicorn main:app`): the sample image stands in for it
    /// (`sample::frameworks`).
    #[arg(hide = true, trailing_var_arg = true)]
    script: Vec<String>,
}

/// Ways a server can go wrong, for the grader's hardening tests (see [`Behaviour`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Behave {
    /// Answer properly.
    Normal,
    /// Accept the connection and never answer.
    Hang,
    /// Send the headers, then body bytes forever.
    Endless,
    /// Send the headers one byte per second (slowloris).
    SlowHeaders,
    /// Send a 10 MB header line.
    HugeHeader,
    /// Send bytes that are not HTTP.
    Garbage,
    /// Close the connection without a byte of answer.
    Close,
    /// Promise a 1000-byte body, send 10 bytes, close.
    Cut,
    /// Claim gzip and send 5 MB (a client that decompresses could blow up).
    GzipBomb,
    /// Redirect every request to itself.
    RedirectLoop,
    /// Fill the log with escape sequences, NUL bytes and a 1 MB line, then answer 500.
    Noisy,
    /// Crash on the first request, as an app that dies while answering.
    Die,
    /// Send the status line and headers, then reset the connection (RST) mid-answer.
    Reset,
}

impl From<Behave> for Behaviour {
    fn from(b: Behave) -> Self {
        match b {
            Behave::Normal => Behaviour::Normal,
            Behave::Hang => Behaviour::Hang,
            Behave::Endless => Behaviour::Endless,
            Behave::SlowHeaders => Behaviour::SlowHeaders,
            Behave::HugeHeader => Behaviour::HugeHeader,
            Behave::Garbage => Behaviour::Garbage,
            Behave::Close => Behaviour::Close,
            Behave::Cut => Behaviour::Cut,
            Behave::GzipBomb => Behaviour::GzipBomb,
            Behave::RedirectLoop => Behaviour::RedirectLoop,
            Behave::Noisy => Behaviour::Noisy,
            Behave::Die => Behaviour::Die,
            Behave::Reset => Behaviour::Reset,
        }
    }
}

impl From<ServeArgs> for ServeOptions {
    fn from(a: ServeArgs) -> Self {
        ServeOptions {
            listen: a.listen,
            body: a.body,
            content_type: a.content_type,
            routes: a.routes,
            status: a.status,
            crash: a.crash,
            echo_headers: a.echo_headers,
            redirect: a.redirect,
            delay: a.delay,
            say: a.say,
            hog: a.hog,
            hold_mib: a.hold,
            bomb: a.bomb,
            behave: a.behave.into(),
            banner: None,
        }
    }
}

/// Serves until killed; `Listen` when the address cannot be bound.
pub(super) fn run(a: ServeArgs) -> Result<Exit, Error> {
    if !a.connect.is_empty() {
        print!("{}", labgrade::sample::server::reach(&a.connect));
        return Ok(Exit::Passed);
    }
    if let Some(n) = a.threads {
        labgrade::sample::server::bounded_bomb(n);
    }
    let script = a.script.clone();
    let mut opts = ServeOptions::from(a);
    match script.first() {
        Some(program) if labgrade::sample::frameworks::is_program(program) => {
            if let Err((message, code)) = labgrade::sample::server::stand_in(&mut opts, &script) {
                eprintln!("{message}");
                std::process::exit(code);
            }
        }
        // `python app.py` with no app.py: Python's own message and exit code.
        Some(path) if !std::path::Path::new(path).exists() => {
            let shown = std::env::current_dir().map_or(path.into(), |d| d.join(path));
            eprintln!(
                "python: can't open file '{}': [Errno 2] No such file or directory",
                shown.display()
            );
            std::process::exit(2);
        }
        Some(path) => {
            if let Ok(text) = std::fs::read_to_string(path) {
                labgrade::sample::server::from_script(&mut opts, path, &text);
            }
        }
        None => {}
    }
    labgrade::sample::server::serve(&opts).map_err(|source| Error::Listen {
        addr: opts.listen.clone(),
        source,
    })?;
    Ok(Exit::Passed)
}
