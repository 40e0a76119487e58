//! The sample lab app: a tiny HTTP server that `labgrade serve` runs inside the demo and
//! test containers. Its flags reproduce the mistakes students make (loopback binding,
//! wrong port, missing route, crash at start) so the grader can be shown them for real.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use super::frameworks::Line;

/// How the sample app behaves (`labgrade serve`'s flags, parsed by the command line).
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on; 127.0.0.1:PORT reproduces the loopback-binding mistake.
    pub listen: String,
    /// Body of the answer to the route.
    pub body: String,
    /// Content-Type of the answer.
    pub content_type: String,
    /// Paths that answer; any other path is 404.
    pub routes: Vec<String>,
    /// Status code of the answer.
    pub status: u16,
    /// Print this to stderr and exit with code 1 at start (a crashing app). The line is
    /// written in two pieces, the newline a moment after the text, as an app that
    /// flushes before its newline does: an engine must put the pieces back together.
    pub crash: Option<String>,
    /// Answer with JSON echoing the request's headers, `{"headers": {...}}`, the way
    /// seed 001's Flask app does (`jsonify({"headers": dict(request.headers)})`).
    pub echo_headers: bool,
    /// Answer every request with a 302 to this URL.
    pub redirect: Option<String>,
    /// Seconds to wait before listening (a slow-starting app).
    pub delay: f64,
    /// Print this (with {date} replaced by today's date) and exit 0: a one-shot program.
    pub say: Option<String>,
    /// Allocate memory at start until the container's limit kills it.
    pub hog: bool,
    /// Hold this many MiB from the start, then serve: an app that needs a known amount.
    pub hold_mib: Option<u64>,
    /// Start threads at start until the pids limit stops them.
    pub bomb: bool,
    /// Misbehave the way broken or hostile servers do.
    pub behave: Behaviour,
    /// The lines printed once listening, instead of ` * Running on http://ADDR` (set by
    /// a framework's stand-in, [`stand_in`]).
    pub banner: Option<Vec<Line>>,
}

/// Ways a server can go wrong, for the grader's hardening tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
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

/// Starts threads until the system refuses (a fork bomb, bounded by the pids limit).
fn thread_bomb() -> ! {
    let mut n = 0u64;
    loop {
        match std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| std::thread::sleep(Duration::from_secs(3600)))
        {
            Ok(_) => n += 1,
            Err(e) => {
                eprintln!("thread {n} failed: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// Tries once to open a TCP connection to each address (2 s each) and says what happened,
/// one line per address: `reached ADDR`, or `unreachable ADDR: why`. What a hostile
/// submission does to its neighbours (bounded: one attempt per address).
pub fn reach(addrs: &[String]) -> String {
    let mut out = String::new();
    for a in addrs {
        let line = match a.parse::<std::net::SocketAddr>() {
            Ok(sa) => match TcpStream::connect_timeout(&sa, Duration::from_secs(2)) {
                Ok(_) => format!("reached {a}"),
                Err(e) => format!("unreachable {a}: {e}"),
            },
            Err(e) => format!("unreachable {a}: {e}"),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Starts `n` threads that sleep (each is a process to the pids limit), then exits: 0 when
/// all of them started, 1 as soon as one is refused. A fork bomb with a bound, so that a
/// test of the limit cannot take the machine down when the limit is missing.
pub fn bounded_bomb(n: u32) -> ! {
    for i in 0..n {
        if let Err(e) = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(|| std::thread::sleep(Duration::from_secs(30)))
        {
            println!("thread {i} of {n} refused: {e}");
            std::process::exit(1);
        }
    }
    println!("started all {n} threads");
    std::process::exit(0);
}

/// Today's date (UTC) as YYYY-MM-DD, without a date library.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Stands in for the interpreter of a script the sample image is started with (`CMD
/// ["app.py"]` after its `ENTRYPOINT ["/labgrade", "serve"]`), since the image cannot
/// run Python or Node: the app listens where the source's call says, answers the routes
/// it declares, and fails the way Python does at start when a variable it reads with
/// `os.environ['X']` is unset. Read with the grader's own source readers; the flags
/// still decide everything else, and a flag given away from its default wins.
pub fn from_script(opts: &mut ServeOptions, script: &str, text: &str) {
    from_source(opts, script, text, true);
}

/// [`from_script`], with `binds` false when the command line, not the code, decides
/// where the app listens (`flask run`, uvicorn); the framework the text is written for.
fn from_source(
    opts: &mut ServeOptions,
    script: &str,
    text: &str,
    binds: bool,
) -> crate::source::Framework {
    let s = crate::source::read(script, text);
    let framework = s.framework;
    if let Some(e) = s
        .env
        .iter()
        .find(|e| e.required && std::env::var_os(&e.name).is_none())
    {
        let line = text.lines().nth(e.line - 1).unwrap_or("").trim();
        let shown = std::path::Path::new(script);
        let shown = std::env::current_dir().map_or(shown.to_path_buf(), |d| d.join(shown));
        opts.crash = Some(format!(
            "Traceback (most recent call last):\n  File \"{}\", line {}, in <module>\n    {line}\nKeyError: '{}'",
            shown.display(),
            e.line,
            e.name
        ));
        return framework;
    }
    if binds
        && let Some(b) = s.binds.first()
        && opts.listen == DEFAULT_LISTEN
        && let Some(port) = b.port()
    {
        let host = match b.host() {
            "" | "::" | "0.0.0.0" => "0.0.0.0",
            "localhost" => "127.0.0.1",
            h => h,
        };
        opts.listen = format!("{host}:{port}");
    }
    if !s.routes.is_empty() && opts.routes == ["/"] {
        opts.routes = s.routes.into_iter().map(|r| r.path).collect();
    }
    framework
}

/// Stands in for the program `words` start (`flask run`, `uvicorn main:app`, `python
/// app.py`, `node server.js`, `python -m http.server`; see [`super::frameworks`]), in
/// the working directory and environment of this process: sets where the app listens,
/// the routes it answers and the lines it prints. `Err((message, exit code))` when the
/// real program would stop at once.
pub fn stand_in(opts: &mut ServeOptions, words: &[String]) -> Result<(), (String, i32)> {
    use super::frameworks::{Kind, Launch, banner, launch};
    use crate::source::Framework;
    let told = launch(words, &|k| std::env::var(k).ok(), &|f| {
        std::path::Path::new(f).is_file()
    });
    let (source, listen, code_decides, kind) = match told {
        Launch::Serve {
            source,
            listen,
            code_decides,
            kind,
        } => (source, listen, code_decides, kind),
        Launch::Fail { message, code } => return Err((message, code)),
    };
    let text = source
        .as_deref()
        .and_then(|s| std::fs::read_to_string(s).ok())
        .unwrap_or_default();
    let framework = match &source {
        Some(path) => from_source(opts, path, &text, code_decides),
        None => Framework::Other,
    };
    if let Some((host, port)) = &listen
        && opts.listen == DEFAULT_LISTEN
    {
        let host = if host == "localhost" {
            "127.0.0.1"
        } else {
            host
        };
        opts.listen = format!("{host}:{port}");
    }
    if kind == Kind::HttpServer && opts.routes == ["/"] {
        // The files of the directory it serves, each at its own path.
        if let Ok(dir) = std::fs::read_dir(".") {
            for e in dir.flatten() {
                if e.path().is_file() {
                    opts.routes
                        .push(format!("/{}", e.file_name().to_string_lossy()));
                }
            }
        }
    }
    let (host, port) = opts
        .listen
        .rsplit_once(':')
        .map_or(("0.0.0.0", 0), |(h, p)| (h, p.parse().unwrap_or(0)));
    // A script prints what its framework's server prints when it starts one.
    let kind = match (kind, framework) {
        (Kind::Script, Framework::Flask) => Kind::Flask,
        (Kind::Script, Framework::FastApi) => Kind::Uvicorn,
        (k, _) => k,
    };
    let app = source
        .as_deref()
        .map(|s| s.rsplit('/').next().unwrap_or(s).trim_end_matches(".py"))
        .unwrap_or("");
    opts.banner = Some(banner(kind, host, port, app, &text));
    Ok(())
}

/// Where the sample app listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:8088";

/// Runs the server until the process is killed.
pub fn serve(opts: &ServeOptions) -> std::io::Result<()> {
    if let Some(msg) = &opts.crash {
        let mut err = std::io::stderr();
        let _ = err.write_all(msg.as_bytes());
        std::thread::sleep(Duration::from_millis(50));
        let _ = err.write_all(b"\n");
        std::process::exit(1);
    }
    if let Some(text) = &opts.say {
        println!("{}", text.replace("{date}", &today()));
        std::process::exit(0);
    }
    if opts.bomb {
        thread_bomb();
    }
    if opts.hog {
        let mut held: Vec<Vec<u8>> = Vec::new();
        loop {
            held.push(vec![1u8; 16 * 1024 * 1024]);
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    // Written to, so the pages are really the app's.
    let _held: Vec<u8> = opts
        .hold_mib
        .map(|m| vec![1u8; (m.min(4096) as usize) << 20])
        .unwrap_or_default();
    if opts.delay > 0.0 {
        println!("starting up...");
        std::thread::sleep(Duration::from_secs_f64(opts.delay.min(3600.0)));
    }
    let listener = TcpListener::bind(&opts.listen)?;
    match &opts.banner {
        None => println!(" * Running on http://{}", opts.listen),
        Some(lines) => {
            for l in lines {
                match l {
                    Line::Out(t) => println!("{t}"),
                    Line::Err(t) => eprintln!("{t}"),
                }
            }
        }
    }
    for stream in listener.incoming().flatten() {
        let opts = opts.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &opts);
        });
    }
    Ok(())
}

/// Does what a broken server does; true when the connection is done with.
fn misbehave(stream: &mut TcpStream, how: Behaviour) -> std::io::Result<bool> {
    match how {
        Behaviour::Normal => return Ok(false),
        Behaviour::Reset => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")?;
            stream.flush()?;
            std::thread::sleep(Duration::from_millis(100));
            // Linger 0: closing sends a reset (RST), not a clean close (FIN).
            socket2::SockRef::from(&*stream).set_linger(Some(Duration::ZERO))?;
        }
        Behaviour::Hang => std::thread::sleep(Duration::from_secs(3600)),
        Behaviour::Endless => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "y".repeat(64 * 1024));
            loop {
                stream.write_all(chunk.as_bytes())?;
            }
        }
        Behaviour::SlowHeaders => {
            for b in b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                .iter()
                .chain(std::iter::repeat(&b'x'))
            {
                stream.write_all(&[*b])?;
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Behaviour::HugeHeader => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nX-Huge: ")?;
            let block = vec![b'h'; 1024 * 1024];
            for _ in 0..10 {
                stream.write_all(&block)?;
            }
            stream.write_all(b"\r\nContent-Length: 0\r\n\r\n")?;
        }
        Behaviour::Garbage => stream.write_all(b"\x16\x03\x01\x00\xa5garbage, not HTTP\r\n\r\n")?,
        Behaviour::Close => {}
        Behaviour::Cut => {
            stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHello, cut")?
        }
        Behaviour::GzipBomb => {
            let size = 5 * 1024 * 1024;
            stream.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {size}\r\n\r\n"
                )
                .as_bytes(),
            )?;
            let block = vec![0u8; 64 * 1024];
            for _ in 0..size / block.len() {
                stream.write_all(&block)?;
            }
        }
        Behaviour::RedirectLoop => {
            stream.write_all(b"HTTP/1.1 302 Found\r\nLocation: /\r\nContent-Length: 0\r\n\r\n")?
        }
        Behaviour::Die => {
            eprintln!("Fatal Python error: Segmentation fault");
            std::process::exit(139);
        }
        Behaviour::Noisy => {
            // All on stdout, so the order in `docker logs` is the order written.
            println!("{}", "x".repeat(1024 * 1024));
            println!("\x1b[2J\x1b[31mred alert\x1b]0;pwned\x07 NUL:\0: end");
            println!("\x1b[1mTraceback\x1b[0m ValueError: \0 bad");
            stream.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!",
            )?;
        }
    }
    Ok(true)
}

/// `{"headers": {...}}` with the request's header names title-cased, as WSGI apps see them.
fn echo_headers(head: &str) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = head
        .lines()
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| {
            let name = name
                .trim()
                .split('-')
                .map(|w| {
                    let mut c = w.chars();
                    c.next().map_or(String::new(), |f| {
                        f.to_uppercase()
                            .chain(c.flat_map(char::to_lowercase))
                            .collect()
                    })
                })
                .collect::<Vec<_>>()
                .join("-");
            (name, serde_json::Value::from(value.trim()))
        })
        .collect();
    serde_json::json!({ "headers": headers }).to_string()
}

fn answer(mut stream: TcpStream, opts: &ServeOptions) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut buf = [0u8; 8192];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") && got.len() < buf.len() {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&got);
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let (method, path) = (parts.next().unwrap_or("GET"), parts.next().unwrap_or("/"));
    let path = path.split('?').next().unwrap_or("/");
    if misbehave(&mut stream, opts.behave)? {
        return Ok(());
    }
    if let Some(to) = &opts.redirect {
        println!("{method} {path} 302");
        let response = format!(
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        return stream.write_all(response.as_bytes());
    }
    let (status, body) = if opts.routes.iter().any(|r| r == path) {
        let body = if opts.echo_headers {
            echo_headers(&head)
        } else {
            opts.body.clone()
        };
        (opts.status, body)
    } else {
        (404, "Not Found".to_string())
    };
    println!("{method} {path} {status}");
    if status >= 500 {
        // What a crashing Flask view leaves in the log.
        eprintln!(
            "Traceback (most recent call last):\n  File \"/app/app.py\", line 9, in index\nZeroDivisionError: division by zero"
        );
    }
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        opts.content_type,
        body.len(),
        if method == "HEAD" { "" } else { body.as_str() }
    );
    stream.write_all(response.as_bytes())
}
