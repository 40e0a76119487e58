//! The app's own source, read as text and never run: which file a container's command
//! starts ([`locate`]), and what that file declares ([`read`]) — the address and port
//! it binds (`app.run(host=..., port=...)`, `uvicorn.run(...)`, `HTTPServer((host,
//! port), ...)`, Express's `app.listen(port, host)`), the routes it answers
//! (`@app.route('/x')`, `@app.get`, `app.get('/x', ...)`, `self.path == '/x'`) and the
//! environment variables it reads (`os.environ['X']`, `os.getenv`, `process.env.X`).
//! Each reader is small and line-based: a declaration it does not recognise is left out,
//! so a cause built on it says only what the text shows.

/// What a source file declares, with the line of each declaration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Source {
    /// The file's path in the image.
    pub path: String,
    pub binds: Vec<Bind>,
    pub routes: Vec<Route>,
    pub env: Vec<EnvRead>,
    /// Routes are mounted under a prefix the reader does not follow (a Flask blueprint's
    /// `url_prefix`, FastAPI's `include_router`, Express's `app.use('/api', ...)`), so the
    /// declared paths are not the whole story.
    pub prefixed: bool,
    pub framework: Framework,
}

/// The framework a source is written for, as far as its text shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Framework {
    Flask,
    FastApi,
    Express,
    HttpServer,
    #[default]
    Other,
}

/// Where a source starts listening: the call, its line, and the address it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// 1-based line of the call.
    pub line: usize,
    /// The call as written (one line; a call over several lines is cut at its first).
    pub call: String,
    /// Whether the call is on one line, so that it can be replaced as written.
    pub whole: bool,
    /// The call's first line as written (trimmed): where a call over several lines is
    /// edited, when its host or port is on it.
    pub first_line: String,
    /// The host it names (resolved through a module-level constant or an env default),
    /// `None` when it names none.
    pub host: Option<String>,
    pub port: Option<u16>,
    /// The line that sets the port when the call names it through a constant (`const
    /// PORT = process.env.PORT || 3000;`): its number and text, where a port is changed.
    pub port_line: Option<(usize, String)>,
    /// What the framework binds when the call names no host / port.
    pub default_host: &'static str,
    pub default_port: Option<u16>,
    kind: BindKind,
    quote: char,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BindKind {
    /// `app.run(host, port)`: Flask.
    FlaskRun,
    /// `uvicorn.run(app, host, port)`.
    Uvicorn,
    /// `HTTPServer((host, port), Handler)`, `make_server(host, port, app)`.
    PyServer { tuple: bool },
    /// `app.listen(port, host)`: Node.
    Listen,
}

/// A route the source declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub path: String,
    pub line: usize,
    /// The declaration as written (trimmed).
    pub text: String,
}

/// An environment variable the source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRead {
    pub name: String,
    pub line: usize,
    /// Read without a default (`os.environ['X']`): the app fails when it is unset.
    pub required: bool,
    /// The expression as written.
    pub text: String,
}

impl Bind {
    /// The host the app listens on: the one named, or the framework's default.
    pub fn host(&self) -> &str {
        self.host.as_deref().unwrap_or(self.default_host)
    }

    /// The port the app listens on, when the text shows it.
    pub fn port(&self) -> Option<u16> {
        self.port.or(self.default_port)
    }

    /// Whether it listens only inside the container (127.0.0.1, localhost).
    pub fn loopback(&self) -> bool {
        is_loopback(self.host())
    }

    /// The call rewritten to listen on `host` and `port` (each kept when `None`), for a
    /// call on one line; the port is written out when the call relied on a default, so
    /// a fix never moves the app to another port by accident.
    pub fn with(&self, host: Option<&str>, port: Option<u16>) -> Option<String> {
        if !self.whole {
            return None;
        }
        let open = self.call.find('(')?;
        let (head, inner) = (&self.call[..open], inner_args(&self.call[open..])?);
        let mut args = split_args(inner);
        let q = self.quote;
        let host_text = host.map(|h| format!("{q}{h}{q}"));
        let port = port.map(|p| p.to_string());
        match self.kind {
            BindKind::FlaskRun | BindKind::Uvicorn => {
                // Positional host and port come after the app for uvicorn.
                let skip = usize::from(self.kind == BindKind::Uvicorn);
                let default = arg(&args, "port", skip + 1)
                    .is_none()
                    .then(|| self.port().map(|p| p.to_string()))
                    .flatten();
                set_arg(&mut args, "host", skip, host_text);
                set_arg(&mut args, "port", skip + 1, port.or(default));
            }
            BindKind::PyServer { tuple: true } => {
                let first = args.first_mut()?;
                let t = inner_args(first.trim())?;
                let mut pair = split_args(t);
                if pair.len() != 2 {
                    return None;
                }
                if let Some(h) = host_text {
                    pair[0] = h;
                }
                if let Some(p) = port {
                    pair[1] = p;
                }
                *first = format!("({})", pair.join(", "));
            }
            BindKind::PyServer { tuple: false } => {
                set_arg(&mut args, "host", 0, host_text);
                set_arg(&mut args, "port", 1, port);
            }
            BindKind::Listen => {
                if let Some(p) = port {
                    match args.first_mut() {
                        Some(a) => *a = p,
                        None => args.push(p),
                    }
                }
                if let Some(h) = host_text {
                    let at = 1.min(args.len());
                    match args.get(1) {
                        Some(a) if literal(a).is_some() => args[1] = h,
                        _ => args.insert(at, h),
                    }
                }
            }
        }
        Some(format!("{head}({})", args.join(", ")))
    }
}

impl Bind {
    /// For a call over several lines, its first line with the literal `old` (a quoted
    /// host, or a port number) replaced by `new` (quoted as `old` is): `None` when the
    /// literal is not on that line, or is there more than once.
    pub fn first_line_with(&self, old: &str, new: &str) -> Option<String> {
        let q = self.quote;
        let (old, new) = if old.parse::<u16>().is_ok() {
            (old.to_string(), new.to_string())
        } else {
            (format!("{q}{old}{q}"), format!("{q}{new}{q}"))
        };
        let at = self.first_line.find(&old)?;
        if self.first_line.matches(&old).count() != 1 {
            return None;
        }
        let before = &self.first_line[..at];
        let after = &self.first_line[at + old.len()..];
        // A number must stand alone (8088 in `8088,`, not in `18088`).
        let digit = |c: Option<char>| c.is_some_and(|c| c.is_ascii_digit());
        if digit(before.chars().last()) || digit(after.chars().next()) {
            return None;
        }
        Some(format!("{before}{new}{after}"))
    }
}

/// Sets a call's argument given by keyword, or at `index` when written positionally;
/// adds it as a keyword when absent. `None` leaves it as it is.
fn set_arg(args: &mut Vec<String>, key: &str, index: usize, value: Option<String>) {
    let Some(value) = value else { return };
    let keyword = |a: &String| {
        a.split_once('=')
            .is_some_and(|(k, v)| k.trim() == key && !v.starts_with('='))
    };
    if let Some(a) = args.iter_mut().find(|a| keyword(a)) {
        *a = format!("{key}={value}");
        return;
    }
    let positional = args.iter().take_while(|a| !is_keyword(a)).count();
    if index < positional {
        args[index] = value;
    } else {
        args.push(format!("{key}={value}"));
    }
}

/// Whether an address is loopback (`127.x`, `::1`, `localhost`).
fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// The path of the source file a command starts, in the image: `python app.py`,
/// `node server.js`, `flask --app x run` (or `FLASK_APP`), `uvicorn main:app`,
/// `gunicorn app:app`, `python -m module`; relative paths are under `workdir`. `words`
/// are the ENTRYPOINT followed by the CMD; `env` the container's `KEY=value` list.
pub fn locate(words: &[String], workdir: Option<&str>, env: &[String]) -> Option<String> {
    // Shell form: the command is inside `sh -c "..."`.
    let inner: Vec<String>;
    let words = match words {
        [sh, c, cmd] if sh.ends_with("sh") && c == "-c" => {
            inner = cmd.split_whitespace().map(str::to_string).collect();
            &inner[..]
        }
        w => w,
    };
    let program = |w: &str| w.rsplit('/').next().unwrap_or(w).to_string();
    let module_file = |m: &str| {
        let m = m.split(':').next().unwrap_or(m);
        let m = m.trim_end_matches(".py");
        format!("{}.py", m.replace('.', "/"))
    };
    let env_of = |k: &str| {
        env.iter()
            .find_map(|e| e.strip_prefix(&format!("{k}=")))
            .filter(|v| !v.is_empty())
    };
    let flag_value = |flags: &[&str]| {
        words.iter().enumerate().find_map(|(i, w)| {
            flags.iter().find_map(|f| {
                if w == f {
                    words.get(i + 1).cloned()
                } else {
                    w.strip_prefix(&format!("{f}=")).map(str::to_string)
                }
            })
        })
    };
    let flask = words.iter().any(|w| program(w) == "flask");
    let module_run = words
        .windows(2)
        .find(|w| w[0] == "-m")
        .map(|w| w[1].clone());
    let rel = if flask || module_run.as_deref() == Some("flask") {
        let app = flag_value(&["--app", "-A"])
            .or_else(|| env_of("FLASK_APP").map(str::to_string))
            .unwrap_or_else(|| "app".into());
        module_file(&app)
    } else if let Some(i) = words
        .iter()
        .position(|w| ["uvicorn", "gunicorn", "hypercorn"].contains(&program(w).as_str()))
    {
        let target = words[i + 1..]
            .iter()
            .find(|w| !w.starts_with('-') && w.contains(':'))?;
        module_file(target)
    } else if let Some(file) = words.iter().find(|w| {
        [".py", ".js", ".mjs", ".cjs", ".ts"]
            .iter()
            .any(|e| w.ends_with(e))
    }) {
        file.clone()
    } else if let Some(m) = module_run.filter(|m| !m.starts_with("http.server") && m != "pip") {
        module_file(&m)
    } else {
        return None;
    };
    Some(if rel.starts_with('/') {
        rel
    } else {
        format!(
            "{}/{}",
            workdir.unwrap_or("").trim_end_matches('/'),
            rel.trim_start_matches("./")
        )
    })
}

/// The source file a container starts, in its image: [`locate`] on the image's
/// ENTRYPOINT and the container's command (its CMD, or the image's), the image's
/// WORKDIR and the container's environment.
pub fn path_for(
    c: &crate::facts::ContainerFacts,
    image: &crate::facts::ImageFacts,
) -> Option<String> {
    let mut words = image.entrypoint.clone().unwrap_or_default();
    words.extend(
        c.cmd
            .clone()
            .or_else(|| image.cmd.clone())
            .unwrap_or_default(),
    );
    locate(&words, image.workdir.as_deref(), &c.env)
}

/// Reads what a source file declares; the language is told by its extension.
pub fn read(path: &str, text: &str) -> Source {
    let js = [".js", ".mjs", ".cjs", ".ts"]
        .iter()
        .any(|e| path.ends_with(e));
    let mut s = Source {
        path: path.to_string(),
        ..Source::default()
    };
    let consts = constants(text);
    let lines: Vec<&str> = text.lines().collect();
    for (i, raw) in lines.iter().enumerate() {
        let line = strip_comment(raw, js);
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        if js {
            read_js_line(&mut s, line, n, &lines[i..], &consts);
        } else {
            read_py_line(&mut s, line, n, &lines[i..], &consts);
        }
        read_env(&mut s, line, n, js);
    }
    s.framework = if js {
        Framework::Express
    } else if text.contains("FastAPI(") {
        Framework::FastApi
    } else if text.contains("Flask(") {
        Framework::Flask
    } else if text.contains("HTTPServer") || text.contains("BaseHTTPRequestHandler") {
        Framework::HttpServer
    } else {
        Framework::Other
    };
    s
}

fn read_py_line(s: &mut Source, line: &str, n: usize, rest: &[&str], consts: &Consts) {
    let t = line.trim();
    if t.starts_with('@') {
        if let Some(p) = decorator_route(t) {
            s.routes.push(Route {
                path: p,
                line: n,
                text: t.to_string(),
            });
        }
        return;
    }
    if t.contains("register_blueprint(") && t.contains("url_prefix")
        || t.contains("include_router(") && t.contains("prefix")
    {
        s.prefixed = true;
    }
    if let Some(p) = call_first_literal(t, ".add_url_rule(") {
        s.routes.push(Route {
            path: p,
            line: n,
            text: t.to_string(),
        });
    }
    // http.server handlers: `if self.path == '/health':`, `elif path in ('/a', '/b'):`.
    for op in ["path == ", "path.startswith("] {
        if let Some(at) = t.find(op)
            && let Some((lit, _)) = literal_at(&t[at + op.len()..])
            && lit.starts_with('/')
        {
            s.routes.push(Route {
                path: lit,
                line: n,
                text: t.to_string(),
            });
        }
    }
    if let Some(at) = t.find("path in (").or_else(|| t.find("path in ["))
        && let Some(list) = inner_args(&t[at + 8..])
    {
        for a in split_args(list) {
            if let Some(lit) = literal(&a).filter(|l| l.starts_with('/')) {
                s.routes.push(Route {
                    path: lit,
                    line: n,
                    text: t.to_string(),
                });
            }
        }
    }
    // Where it listens.
    let found = [
        ("uvicorn.run(", BindKind::Uvicorn),
        ("HTTPServer(", BindKind::PyServer { tuple: true }),
        ("TCPServer(", BindKind::PyServer { tuple: true }),
        ("make_server(", BindKind::PyServer { tuple: false }),
    ]
    .into_iter()
    .find_map(|(p, k)| t.find(p).map(|at| (at, p.len(), k)))
    .or_else(|| {
        // `<name>.run(` on a Flask app: `app.run(`, or any name assigned `Flask(...)`.
        let at = t.find(".run(")?;
        let recv = t[..at]
            .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
            .next()?;
        (recv == "app" || consts.flask_apps.iter().any(|a| a == recv)).then_some((
            at - recv.len(),
            recv.len() + 5,
            BindKind::FlaskRun,
        ))
    });
    let Some((at, len, kind)) = found else {
        return;
    };
    let Some((call, whole)) = call_text(t, at, len, rest) else {
        return;
    };
    let Some(args) = inner_args(&call[len - 1..]).map(split_args) else {
        return;
    };
    let quote = call
        .chars()
        .find(|c| *c == '\'' || *c == '"')
        .unwrap_or('\'');
    let (host, port, default_host, default_port) = match kind {
        BindKind::FlaskRun => (
            arg(&args, "host", 0).and_then(|a| consts.string(&a)),
            arg(&args, "port", 1).and_then(|a| consts.port(&a)),
            "127.0.0.1",
            Some(5000),
        ),
        BindKind::Uvicorn => (
            arg(&args, "host", 1).and_then(|a| consts.string(&a)),
            arg(&args, "port", 2).and_then(|a| consts.port(&a)),
            "127.0.0.1",
            Some(8000),
        ),
        BindKind::PyServer { tuple: true } => {
            let pair = args
                .first()
                .and_then(|a| inner_args(a.trim()))
                .map(split_args)
                .unwrap_or_default();
            (
                pair.first().and_then(|a| consts.string(a)),
                pair.get(1).and_then(|a| consts.port(a)),
                "",
                None,
            )
        }
        BindKind::PyServer { tuple: false } | BindKind::Listen => (
            arg(&args, "host", 0).and_then(|a| consts.string(&a)),
            arg(&args, "port", 1).and_then(|a| consts.port(&a)),
            "",
            None,
        ),
    };
    let port_arg = match kind {
        BindKind::FlaskRun => arg(&args, "port", 1),
        BindKind::Uvicorn => arg(&args, "port", 2),
        BindKind::PyServer { tuple: true } => args
            .first()
            .and_then(|a| inner_args(a.trim()))
            .map(split_args)
            .and_then(|p| p.get(1).cloned()),
        _ => arg(&args, "port", 1),
    };
    let port_line = port_arg.and_then(|a| consts.line_of(&a, port));
    s.binds.push(Bind {
        line: n,
        call,
        whole,
        first_line: t.to_string(),
        port_line,
        // An empty host ('' in a server tuple) is every address.
        host: host.map(|h| if h.is_empty() { "0.0.0.0".into() } else { h }),
        port,
        default_host,
        default_port,
        kind,
        quote,
    });
}

fn read_js_line(s: &mut Source, line: &str, n: usize, rest: &[&str], consts: &Consts) {
    let t = line.trim();
    for m in [".get(", ".post(", ".put(", ".delete(", ".patch(", ".all("] {
        if let Some(p) = call_first_literal(t, m).filter(|p| p.starts_with('/')) {
            s.routes.push(Route {
                path: p,
                line: n,
                text: t.to_string(),
            });
        }
    }
    if call_first_literal(t, ".use(").is_some_and(|p| p.starts_with('/')) {
        s.prefixed = true;
    }
    let Some(at) = t.find(".listen(") else {
        return;
    };
    let recv = t[..at]
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .next()
        .unwrap_or("");
    let start = at - recv.len();
    let Some((call, whole)) = call_text(t, start, recv.len() + 8, rest) else {
        return;
    };
    let args = inner_args(&call[recv.len() + 7..])
        .map(split_args)
        .unwrap_or_default();
    let quote = call
        .chars()
        .find(|c| *c == '\'' || *c == '"')
        .unwrap_or('\'');
    let port = args.first().and_then(|a| consts.port(a));
    s.binds.push(Bind {
        line: n,
        whole,
        first_line: t.to_string(),
        host: args.get(1).and_then(|a| literal(a)),
        port,
        port_line: args.first().and_then(|a| consts.line_of(a, port)),
        call,
        // Node listens on every address when given none.
        default_host: "::",
        default_port: None,
        kind: BindKind::Listen,
        quote,
    });
}

fn read_env(s: &mut Source, line: &str, n: usize, js: bool) {
    let pats: &[(&str, bool)] = if js {
        &[("process.env.", false), ("process.env[", false)]
    } else {
        &[
            ("os.environ[", true),
            ("environ[", true),
            ("os.environ.get(", false),
            ("os.getenv(", false),
            ("environ.get(", false),
            ("getenv(", false),
        ]
    };
    let mut from = 0;
    while from < line.len() {
        let Some((at, pat, required)) = pats
            .iter()
            .filter_map(|(p, r)| line[from..].find(p).map(|i| (from + i, *p, *r)))
            .min_by_key(|(i, _, _)| *i)
        else {
            break;
        };
        let after = &line[at + pat.len()..];
        let name = if pat == "process.env." {
            let end = after
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            Some(after[..end].to_string()).filter(|n| !n.is_empty())
        } else {
            literal_at(after).map(|(l, _)| l)
        };
        if let Some(name) = name
            && !s.env.iter().any(|e| e.name == name && e.line == n)
        {
            let end = (at + pat.len() + name.len() + 2).min(line.len());
            let text = line[at..end].to_string();
            let text = match pat {
                "os.environ[" | "environ[" | "process.env[" => line[at..]
                    .split_once(']')
                    .map_or(text, |(a, _)| format!("{a}]")),
                _ => line[at..]
                    .find(')')
                    .map_or(text, |e| line[at..at + e + 1].to_string()),
            };
            let text = if pat == "process.env." {
                format!("process.env.{name}")
            } else {
                text
            };
            s.env.push(EnvRead {
                name,
                line: n,
                required,
                text,
            });
        }
        // Skip over `os.environ[` so that `environ[` does not find it again.
        from = at + pat.len();
    }
}

/// The route of a decorator: `@app.route('/x')`, `@app.get("/x")`, `@bp.post('/x')`.
fn decorator_route(t: &str) -> Option<String> {
    [
        ".route(",
        ".get(",
        ".post(",
        ".put(",
        ".delete(",
        ".patch(",
        ".api_route(",
    ]
    .iter()
    .find_map(|m| call_first_literal(t, m))
    .filter(|p| p.starts_with('/'))
}

/// The first argument of the call after `marker`, when it is a string literal.
fn call_first_literal(t: &str, marker: &str) -> Option<String> {
    let at = t.find(marker)?;
    literal_at(&t[at + marker.len()..]).map(|(l, _)| l)
}

/// The text of a call starting at `at` on line `t` (its marker `len` bytes long): the
/// whole call when its parentheses close on this line, else the first line of it.
fn call_text(t: &str, at: usize, len: usize, rest: &[&str]) -> Option<(String, bool)> {
    let from = &t[at..];
    match close_paren(&from[len - 1..]) {
        Some(end) => Some((from[..len - 1 + end + 1].to_string(), true)),
        None => {
            // Joined with the next lines (up to 10) to read its arguments.
            let mut joined = from.to_string();
            for l in rest.iter().skip(1).take(10) {
                joined.push(' ');
                joined.push_str(l.trim());
                if let Some(end) = close_paren(&joined[len - 1..]) {
                    return Some((joined[..len - 1 + end + 1].to_string(), false));
                }
            }
            None
        }
    }
}

/// The byte offset of the parenthesis closing the one `s` starts with.
fn close_paren(s: &str) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// What is between the brackets `s` starts with.
fn inner_args(s: &str) -> Option<&str> {
    let end = close_paren(s)?;
    Some(&s[1..end])
}

/// Top-level comma-separated arguments, trimmed.
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                out.push(s[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    let last = s[start..].trim();
    if !last.is_empty() {
        out.push(last.to_string());
    }
    out
}

/// A call's argument by keyword, else at position `index` (before any keyword).
fn arg(args: &[String], key: &str, index: usize) -> Option<String> {
    args.iter()
        .find_map(|a| {
            let (k, v) = a.split_once('=')?;
            (k.trim() == key && !v.starts_with('=')).then(|| v.trim().to_string())
        })
        .or_else(|| {
            args.iter()
                .take_while(|a| !is_keyword(a))
                .nth(index)
                .cloned()
        })
}

fn is_keyword(a: &str) -> bool {
    a.split_once('=').is_some_and(|(k, v)| {
        !v.starts_with('=') && k.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// A string literal that is the whole of `a` (`'x'`, `"x"`, `r'x'`, `` `x` ``).
fn literal(a: &str) -> Option<String> {
    let (l, rest) = literal_at(a.trim())?;
    rest.trim().is_empty().then_some(l)
}

/// The string literal `s` starts with (after spaces) and what follows it.
fn literal_at(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let s = s.strip_prefix(['r', 'f', 'b', 'u']).unwrap_or(s);
    let q = s.chars().next().filter(|c| ['\'', '"', '`'].contains(c))?;
    let body = &s[1..];
    let end = body.find(q)?;
    Some((body[..end].to_string(), &body[end + 1..]))
}

/// A line without its comment (`#` in Python, `//` in JavaScript), outside strings.
fn strip_comment(line: &str, js: bool) -> &str {
    let mut quote = None::<char>;
    let b = line.as_bytes();
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '#') if !js => return &line[..i],
            (None, '/') if js && b.get(i + 1) == Some(&b'/') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// Module-level constants (`PORT = 8088`, `const HOST = '0.0.0.0'`) and the names
/// assigned a Flask app, for resolving a call's arguments.
#[derive(Default)]
struct Consts {
    values: Vec<(String, String)>,
    /// Each constant's line number and text, by name.
    lines: Vec<(String, usize, String)>,
    flask_apps: Vec<String>,
}

fn constants(text: &str) -> Consts {
    let mut c = Consts::default();
    for (i, l) in text.lines().enumerate() {
        let raw = l.trim();
        // Only top-level assignments: a name at the start of the line.
        if l.starts_with(char::is_whitespace) {
            continue;
        }
        let l = l
            .trim()
            .trim_start_matches("export ")
            .trim_start_matches("const ")
            .trim_start_matches("let ")
            .trim_start_matches("var ");
        let Some((name, value)) = l.split_once('=') else {
            continue;
        };
        let name = name.trim().split(':').next().unwrap_or("").trim();
        if value.starts_with('=')
            || name.is_empty()
            || !name.chars().all(|ch| ch.is_alphanumeric() || ch == '_')
        {
            continue;
        }
        let value = value.trim().trim_end_matches(';').to_string();
        if value.starts_with("Flask(") {
            c.flask_apps.push(name.to_string());
        }
        c.lines.push((name.to_string(), i + 1, raw.to_string()));
        c.values.push((name.to_string(), value));
    }
    c
}

impl Consts {
    /// The line of the constant `a` names, when it is a bare name (or `int(NAME)`) whose
    /// own line holds the `port` it resolves to.
    fn line_of(&self, a: &str, port: Option<u16>) -> Option<(usize, String)> {
        let port = port?.to_string();
        let name = a.trim().trim_start_matches("int(").trim_end_matches(')');
        let (_, n, text) = self.lines.iter().find(|(k, _, _)| k == name)?;
        text.contains(&port).then(|| (*n, text.clone()))
    }

    /// An argument resolved to text: a literal, a constant, or the default of an
    /// environment lookup (`os.getenv('HOST', '0.0.0.0')`).
    fn string(&self, a: &str) -> Option<String> {
        self.resolve(a, 3, &|v| {
            literal(v).or_else(|| {
                // The default of a lookup: its last string literal.
                let args = inner_args(&v[v.find('(')?..]).map(split_args)?;
                (args.len() > 1).then(|| literal(args.last()?)).flatten()
            })
        })
    }

    /// An argument resolved to a port number.
    fn port(&self, a: &str) -> Option<u16> {
        self.resolve(a, 3, &|v| {
            let digits = |s: &str| s.trim().trim_matches(['\'', '"']).parse::<u16>().ok();
            digits(v).or_else(|| {
                // `int(os.environ.get('PORT', 8088))`, `process.env.PORT || 3000`.
                v.split(|c: char| !c.is_ascii_digit())
                    .rfind(|w| !w.is_empty())
                    .and_then(digits)
                    .filter(|_| v.contains("env") || v.contains("||") || v.contains("??"))
            })
        })
    }

    fn resolve<T>(&self, a: &str, depth: u8, f: &dyn Fn(&str) -> Option<T>) -> Option<T> {
        let a = a.trim();
        if let Some(v) = f(a) {
            return Some(v);
        }
        let name = a.trim_start_matches("int(").trim_end_matches(')');
        if depth == 0 || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let value = self.values.iter().find(|(n, _)| n == name)?.1.clone();
        self.resolve(&value, depth - 1, f)
    }
}

/// Whether a declared route answers a request path: segments compared one by one, a
/// Flask `<id>`, FastAPI `{id}` or Express `:id` segment matching any.
pub fn route_matches(route: &str, path: &str) -> bool {
    let clean = |p: &str| {
        p.split('?')
            .next()
            .unwrap_or(p)
            .trim_end_matches('/')
            .to_string()
    };
    let (r, p) = (clean(route), clean(path));
    let rs: Vec<&str> = r.split('/').collect();
    let ps: Vec<&str> = p.split('/').collect();
    if rs.last().is_some_and(|s| s.starts_with("<path:")) {
        return ps.len() >= rs.len() && rs[..rs.len() - 1] == ps[..rs.len() - 1];
    }
    rs.len() == ps.len()
        && rs
            .iter()
            .zip(&ps)
            .all(|(a, b)| a == b || a.starts_with('<') || a.starts_with('{') || a.starts_with(':'))
}

/// A declared route that looks like the wanted one mistyped: a letter or two apart, a
/// different case, a missing or extra first segment (`/products` for `/api/products`).
pub fn near_miss<'a>(routes: &'a [Route], wanted: &str) -> Option<&'a Route> {
    let w = wanted.split('?').next().unwrap_or(wanted);
    let strip = |p: &str| p.trim_end_matches('/').to_ascii_lowercase();
    let tail = |p: &str| p.splitn(3, '/').nth(2).map(|t| format!("/{t}"));
    routes
        .iter()
        .filter(|r| !route_matches(&r.path, w))
        .map(|r| {
            let d = strsim::levenshtein(&strip(&r.path), &strip(w));
            let prefix = tail(&r.path).as_deref() == Some(w) || tail(w).as_deref() == Some(&r.path);
            (r, if prefix { 1 } else { d })
        })
        .filter(|(_, d)| *d <= 2 && w.len() > 3)
        .min_by_key(|(_, d)| *d)
        .map(|(r, _)| r)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLASK: &str = r#"import os
from flask import Flask, jsonify

app = Flask(__name__)
DB_URL = os.environ['DB_URL']
DEBUG = os.getenv("DEBUG", "0")  # optional


@app.route('/')
def index():
    return 'Hello from Docker'


@app.route("/health", methods=["GET"])
def health():
    return jsonify(status="ok")


@app.get('/items/<int:item_id>')
def item(item_id):
    return jsonify(id=item_id)


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=8088)  # app.run(host='0.0.0.0')
"#;

    #[test]
    fn a_flask_app_is_read() {
        let s = read("/app/app.py", FLASK);
        assert_eq!(s.framework, Framework::Flask);
        let routes: Vec<(&str, usize)> =
            s.routes.iter().map(|r| (r.path.as_str(), r.line)).collect();
        assert_eq!(
            routes,
            [("/", 9), ("/health", 14), ("/items/<int:item_id>", 19)]
        );
        assert_eq!(s.binds.len(), 1, "the commented call is not read");
        let b = &s.binds[0];
        assert_eq!(b.line, 25);
        assert_eq!(b.call, "app.run(host='127.0.0.1', port=8088)");
        assert!(b.loopback());
        assert_eq!(b.port(), Some(8088));
        assert_eq!(
            b.with(Some("0.0.0.0"), None).as_deref(),
            Some("app.run(host='0.0.0.0', port=8088)")
        );
        assert_eq!(
            b.with(None, Some(8097)).as_deref(),
            Some("app.run(host='127.0.0.1', port=8097)")
        );
        let env: Vec<(&str, bool, &str)> = s
            .env
            .iter()
            .map(|e| (e.name.as_str(), e.required, e.text.as_str()))
            .collect();
        assert_eq!(
            env,
            [
                ("DB_URL", true, "os.environ['DB_URL']"),
                ("DEBUG", false, "os.getenv(\"DEBUG\", \"0\")"),
            ]
        );
        assert!(route_matches("/items/<int:item_id>", "/items/7"));
        assert!(!route_matches("/items/<int:item_id>", "/items"));
    }

    #[test]
    fn flask_defaults_and_constants() {
        let s = read(
            "/app/app.py",
            "from flask import Flask\nserver = Flask(__name__)\nPORT = int(os.environ.get('PORT', 8088))\nif __name__ == \"__main__\":\n    server.run(debug=True)\n",
        );
        let b = &s.binds[0];
        assert_eq!((b.host(), b.port()), ("127.0.0.1", Some(5000)));
        assert_eq!(
            b.with(Some("0.0.0.0"), None).as_deref(),
            Some("server.run(debug=True, host='0.0.0.0', port=5000)")
        );
        let s = read(
            "/app/app.py",
            "PORT = int(os.environ.get('PORT', 8088))\nHOST = \"0.0.0.0\"\napp.run(HOST, PORT)\n",
        );
        let b = &s.binds[0];
        assert_eq!((b.host(), b.port()), ("0.0.0.0", Some(8088)));
        // Positional arguments are edited in place.
        assert_eq!(
            b.with(None, Some(9000)).as_deref(),
            Some("app.run(HOST, 9000)")
        );
        // A call over several lines is read, but not offered as a one-line edit.
        let s = read(
            "/app/app.py",
            "app.run(\n    host=\"127.0.0.1\",\n    port=8088,\n)\n",
        );
        let b = &s.binds[0];
        assert!(b.loopback() && !b.whole && b.with(Some("0.0.0.0"), None).is_none());
        assert_eq!(b.port(), Some(8088));
    }

    #[test]
    fn fastapi_uvicorn_and_http_server() {
        let s = read(
            "/srv/main.py",
            "import uvicorn\nfrom fastapi import FastAPI\napp = FastAPI()\n\n@app.get(\"/api/products\")\nasync def products():\n    return []\n\nif __name__ == \"__main__\":\n    uvicorn.run(app, host=\"127.0.0.1\", port=8000)\n",
        );
        assert_eq!(s.framework, Framework::FastApi);
        assert_eq!(s.routes[0].path, "/api/products");
        let b = &s.binds[0];
        assert_eq!((b.host(), b.port(), b.line), ("127.0.0.1", Some(8000), 10));
        assert_eq!(
            b.with(Some("0.0.0.0"), None).as_deref(),
            Some("uvicorn.run(app, host=\"0.0.0.0\", port=8000)")
        );
        let s = read(
            "/app/server.py",
            "from http.server import HTTPServer, BaseHTTPRequestHandler\n\nclass H(BaseHTTPRequestHandler):\n    def do_GET(self):\n        if self.path == '/health':\n            self.send_response(200)\n        elif self.path in ('/', '/index.html'):\n            self.send_response(200)\n\nHTTPServer(('127.0.0.1', 8000), H).serve_forever()\n",
        );
        assert_eq!(s.framework, Framework::HttpServer);
        let paths: Vec<&str> = s.routes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/health", "/", "/index.html"]);
        let b = &s.binds[0];
        assert_eq!((b.host(), b.port()), ("127.0.0.1", Some(8000)));
        assert_eq!(
            b.with(Some("0.0.0.0"), None).as_deref(),
            Some("HTTPServer(('0.0.0.0', 8000), H)")
        );
        let s = read("/app/s.py", "srv = HTTPServer((\"\", 8088), H)\n");
        assert!(!s.binds[0].loopback());
    }

    #[test]
    fn an_express_app_is_read() {
        let s = read(
            "/usr/src/app/server.js",
            "const express = require('express');\nconst app = express();\nconst PORT = process.env.PORT || 3000;\nconst db = process.env.DATABASE_URL; // where\n\napp.get('/', (req, res) => res.send('hi'));\napp.post(\"/api/users\", create);\n// app.get('/old', x);\n\napp.listen(PORT, 'localhost', () => console.log(`listening on ${PORT}`));\n",
        );
        assert_eq!(s.framework, Framework::Express);
        let paths: Vec<&str> = s.routes.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(paths, ["/", "/api/users"]);
        let b = &s.binds[0];
        assert_eq!((b.host(), b.port(), b.line), ("localhost", Some(3000), 10));
        assert!(b.loopback());
        assert_eq!(
            b.with(Some("0.0.0.0"), None).as_deref(),
            Some("app.listen(PORT, '0.0.0.0', () => console.log(`listening on ${PORT}`))")
        );
        let env: Vec<&str> = s.env.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(env, ["process.env.PORT", "process.env.DATABASE_URL"]);
        assert_eq!(
            b.with(None, Some(8088)).as_deref(),
            Some("app.listen(8088, 'localhost', () => console.log(`listening on ${PORT}`))")
        );
        // The port's own line, where it is changed.
        assert_eq!(
            b.port_line,
            Some((3, "const PORT = process.env.PORT || 3000;".to_string()))
        );
        let py = read(
            "/app/app.py",
            "import os\nPORT = int(os.environ.get('PORT', 5000))\napp.run(host='0.0.0.0', port=PORT)\n",
        );
        assert_eq!(
            py.binds[0].port_line,
            Some((2, "PORT = int(os.environ.get('PORT', 5000))".to_string()))
        );
        // Over several lines: its first line is edited where the literal is.
        let s = read(
            "/app/server.js",
            "app.listen(8088, '127.0.0.1', () => {\n  console.log('up on 8088');\n});\n",
        );
        let b = &s.binds[0];
        assert!(!b.whole);
        assert_eq!(b.first_line, "app.listen(8088, '127.0.0.1', () => {");
        assert_eq!(
            b.first_line_with("127.0.0.1", "0.0.0.0").as_deref(),
            Some("app.listen(8088, '0.0.0.0', () => {")
        );
        assert_eq!(
            b.first_line_with("8088", "3000").as_deref(),
            Some("app.listen(3000, '127.0.0.1', () => {")
        );
        assert_eq!(b.first_line_with("808", "3000"), None);
        let s = read("/app/index.js", "app.listen(8080)\n");
        assert_eq!(s.binds[0].port_line, None);
        assert!(!s.binds[0].loopback());
        assert_eq!(
            s.binds[0].with(Some("0.0.0.0"), None).as_deref(),
            Some("app.listen(8080, '0.0.0.0')")
        );
    }

    #[test]
    fn the_source_a_command_starts() {
        let w = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            locate(&w(&["python", "app.py"]), Some("/app"), &[]).as_deref(),
            Some("/app/app.py")
        );
        assert_eq!(
            locate(&w(&["python3", "-u", "src/server.py"]), Some("/app/"), &[]).as_deref(),
            Some("/app/src/server.py")
        );
        assert_eq!(
            locate(&w(&["node", "server.js"]), Some("/usr/src/app"), &[]).as_deref(),
            Some("/usr/src/app/server.js")
        );
        assert_eq!(
            locate(
                &w(&["flask", "--app", "web.main", "run"]),
                Some("/app"),
                &[]
            )
            .as_deref(),
            Some("/app/web/main.py")
        );
        assert_eq!(
            locate(
                &w(&["python", "-m", "flask", "run", "--host=0.0.0.0"]),
                Some("/app"),
                &["FLASK_APP=hello.py".into()]
            )
            .as_deref(),
            Some("/app/hello.py")
        );
        assert_eq!(
            locate(&w(&["flask", "run"]), None, &[]).as_deref(),
            Some("/app.py")
        );
        assert_eq!(
            locate(
                &w(&["uvicorn", "main:app", "--host", "0.0.0.0"]),
                Some("/code"),
                &[]
            )
            .as_deref(),
            Some("/code/main.py")
        );
        assert_eq!(
            locate(&w(&["/bin/sh", "-c", "python /srv/app.py"]), None, &[]).as_deref(),
            Some("/srv/app.py")
        );
        assert_eq!(
            locate(&w(&["/labgrade", "serve", "app.py"]), Some("/app"), &[]).as_deref(),
            Some("/app/app.py")
        );
        assert_eq!(
            locate(&w(&["python", "-m", "http.server"]), None, &[]),
            None
        );
        assert_eq!(locate(&w(&["nginx", "-g", "daemon off;"]), None, &[]), None);
    }

    #[test]
    fn near_misses_of_a_route() {
        let s = read(
            "/app/app.py",
            "@app.route('/api/product')\ndef p(): pass\n@app.route('/health')\ndef h(): pass\n@app.route('/products')\ndef q(): pass\n",
        );
        assert_eq!(
            near_miss(&s.routes, "/api/products").map(|r| r.line),
            Some(1)
        );
        assert_eq!(near_miss(&s.routes, "/v1/health").map(|r| r.line), Some(3));
        assert_eq!(near_miss(&s.routes, "/latency"), None);
        // A route that is declared is no near miss of itself.
        assert_eq!(near_miss(&s.routes, "/health"), None);
    }

    #[test]
    fn odd_text_does_not_panic() {
        for t in [
            "app.run(",
            "app.run(host='",
            "HTTPServer((",
            "os.environ[",
            "process.env.",
            "@app.route(",
            "x = ",
            "é.run(é='é')",
            "app.listen(",
        ] {
            let _ = read("/a.py", t);
            let _ = read("/a.js", t);
        }
    }
}
