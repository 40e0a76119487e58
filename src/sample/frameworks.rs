//! Stand-ins for the programs the course's labs start their apps with — `python app.py`,
//! `python -m flask run`, `flask run`, `uvicorn main:app`, `node server.js`, `python -m
//! http.server` — since the sample image holds no Python or Node. Each reads its
//! arguments and environment the way the real program does (its defaults, `--host` and
//! `--port`, `FLASK_APP`, `FLASK_RUN_HOST`, `FLASK_RUN_PORT`, `module:app`), reads the
//! app's source as text with the grader's own reader, and prints the startup lines the
//! real one prints, so that a lab built from the sample image fails and is fixed the way
//! a student's real one is. [`launch`] is pure; the server itself is [`super::server`].

/// The programs stood in for, by the name they are started with.
pub const PROGRAMS: &[&str] = &["python", "python3", "flask", "uvicorn", "node", "nodejs"];

/// Whether `word` (a command's first word, a path or a bare name) is one of [`PROGRAMS`].
pub fn is_program(word: &str) -> bool {
    let name = word.rsplit('/').next().unwrap_or(word);
    PROGRAMS.contains(&name) || name.starts_with("python3.")
}

/// A line the program prints at start, and on which stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Out(String),
    Err(String),
}

/// What the program would do, told from its arguments and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// It serves: the source to read for routes (and, when `code_decides`, for where it
    /// listens), the address the command line decides, and its startup lines (given the
    /// address it ends up on).
    Serve {
        source: Option<String>,
        listen: Option<(String, u16)>,
        code_decides: bool,
        kind: Kind,
    },
    /// It stops at once with this message (and exit code), as the real one does.
    Fail { message: String, code: i32 },
}

/// Whose startup lines are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Werkzeug's development server (`flask run`, `app.run`).
    Flask,
    Uvicorn,
    /// `python -m http.server`.
    HttpServer,
    /// What the script prints itself (Node's `console.log`, a plain Python script).
    Script,
}

fn fail(message: impl Into<String>, code: i32) -> Launch {
    Launch::Fail {
        message: message.into(),
        code,
    }
}

/// `FLAG VALUE`, `FLAG=VALUE` (and for one-letter flags `-pVALUE`) among `args`.
fn flag(args: &[String], flags: &[&str]) -> Option<String> {
    for (i, a) in args.iter().enumerate() {
        for f in flags {
            if a == f {
                return args.get(i + 1).cloned();
            }
            if let Some(v) = a.strip_prefix(&format!("{f}=")) {
                return Some(v.to_string());
            }
        }
    }
    None
}

/// The arguments that are not options, skipping the values of the options in `valued`.
fn positional<'a>(args: &'a [String], valued: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
        } else if a.starts_with('-') {
            skip = valued.contains(&a.as_str());
        } else {
            out.push(a.as_str());
        }
    }
    out
}

/// `module:app` or `pkg.module` or `app.py` as the file it names.
fn module_file(target: &str) -> String {
    let m = target.split(':').next().unwrap_or(target);
    if m.ends_with(".py") {
        return m.to_string();
    }
    format!("{}.py", m.replace('.', "/"))
}

fn port_of(text: &str, program: &str) -> Result<u16, Launch> {
    text.parse().map_err(|_| {
        fail(
            format!("Error: Invalid value for '--port' / '-p': '{text}' is not a valid integer."),
            2,
        )
        .with_usage(program)
    })
}

impl Launch {
    fn with_usage(self, program: &str) -> Launch {
        match self {
            Launch::Fail { message, code } => fail(
                format!(
                    "Usage: {program} [OPTIONS]\nTry '{program} --help' for help.\n\n{message}"
                ),
                code,
            ),
            other => other,
        }
    }
}

/// What `words` (the program's name, then its arguments) would do, with `env` the
/// environment and `exists` telling whether a file (relative to the working
/// directory) is there.
pub fn launch(
    words: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&str) -> bool,
) -> Launch {
    let Some((program, args)) = words.split_first() else {
        return fail("no program", 2);
    };
    let name = program.rsplit('/').next().unwrap_or(program);
    match name {
        "flask" => flask(args, env, exists),
        "uvicorn" => uvicorn(args, env, exists),
        "node" | "nodejs" => match args.iter().find(|a| !a.starts_with('-')) {
            Some(file) if exists(file) => Launch::Serve {
                source: Some(file.clone()),
                listen: None,
                code_decides: true,
                kind: Kind::Script,
            },
            Some(file) => fail(
                format!("Error: Cannot find module '{file}'\n  code: 'MODULE_NOT_FOUND'"),
                1,
            ),
            None => fail("Welcome to Node.js: no script given, no REPL here", 1),
        },
        _ => python(name, args, env, exists),
    }
}

/// `python [-u ...] script.py`, `python -m flask|uvicorn|http.server ...`.
fn python(
    name: &str,
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&str) -> bool,
) -> Launch {
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-m" {
            let Some(module) = args.get(i + 1) else {
                return fail("Argument expected for the -m option", 2);
            };
            let rest = &args[i + 2..];
            return match module.as_str() {
                "flask" => flask(rest, env, exists),
                "uvicorn" => uvicorn(rest, env, exists),
                "http.server" => http_server(rest),
                m => fail(format!("{name}: No module named {m}"), 1),
            };
        }
        if !a.starts_with('-') {
            if !exists(a) {
                return fail(
                    format!("{name}: can't open file '{a}': [Errno 2] No such file or directory"),
                    2,
                );
            }
            return Launch::Serve {
                source: Some(a.clone()),
                listen: None,
                code_decides: true,
                kind: Kind::Script,
            };
        }
        i += 1;
    }
    fail(format!("{name}: no script given, no REPL here"), 1)
}

/// `flask [--app X] run [--host H] [--port P]`: 127.0.0.1:5000 unless told otherwise
/// (flags first, then `FLASK_RUN_HOST` / `FLASK_RUN_PORT`); the app from `--app`, then
/// `FLASK_APP`, then `wsgi.py` or `app.py`. `app.run(...)` in the code is not obeyed:
/// under `flask run` it returns at once.
fn flask(
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&str) -> bool,
) -> Launch {
    let usage = "flask";
    let run_at = args.iter().position(|a| a == "run");
    let Some(run_at) = run_at else {
        let what = positional(args, &["--app", "-A", "--env-file", "-e"]);
        return match what.first() {
            Some(c) => fail(format!("Error: No such command '{c}'."), 2).with_usage(usage),
            None => fail("Error: Missing command.", 2).with_usage(usage),
        };
    };
    let (global, run) = (&args[..run_at], &args[run_at + 1..]);
    let app = flag(global, &["--app", "-A"]).or_else(|| env("FLASK_APP"));
    let file = match app {
        Some(a) => module_file(&a),
        None => match ["wsgi.py", "app.py"].into_iter().find(|f| exists(f)) {
            Some(f) => f.to_string(),
            None => {
                return fail(
                    "Error: Could not locate a Flask application. Use the 'flask --app' option, 'FLASK_APP' environment variable, or a 'wsgi.py' or 'app.py' file in the current directory.",
                    2,
                )
                .with_usage(usage);
            }
        },
    };
    if !exists(&file) {
        return fail(
            format!(
                "Error: Could not import '{}'.",
                file.trim_end_matches(".py").replace('/', ".")
            ),
            2,
        )
        .with_usage(usage);
    }
    let host = flag(run, &["--host", "-h"])
        .or_else(|| env("FLASK_RUN_HOST"))
        .unwrap_or_else(|| "127.0.0.1".into());
    let port = match flag(run, &["--port", "-p"]).or_else(|| env("FLASK_RUN_PORT")) {
        Some(p) => match port_of(&p, "flask run") {
            Ok(p) => p,
            Err(f) => return f,
        },
        None => 5000,
    };
    Launch::Serve {
        source: Some(file),
        listen: Some((host, port)),
        code_decides: false,
        kind: Kind::Flask,
    }
}

/// `uvicorn [OPTIONS] module:app`: 127.0.0.1:8000 unless `--host` / `--port` (or
/// `UVICORN_HOST` / `UVICORN_PORT`) say otherwise.
fn uvicorn(
    args: &[String],
    env: &dyn Fn(&str) -> Option<String>,
    exists: &dyn Fn(&str) -> bool,
) -> Launch {
    let usage = "uvicorn";
    let valued = [
        "--host",
        "--port",
        "--workers",
        "--app-dir",
        "--log-level",
        "--root-path",
        "--uds",
        "--fd",
        "--env-file",
        "--reload-dir",
    ];
    let Some(target) = positional(args, &valued).first().map(|t| t.to_string()) else {
        return fail("Error: Missing argument 'APP'.", 2).with_usage(usage);
    };
    if !target.contains(':') {
        return fail(
            format!(
                "Error loading ASGI app. Import string \"{target}\" must be in format \"<module>:<attribute>\"."
            ),
            1,
        );
    }
    let file = module_file(&target);
    if !exists(&file) {
        let module = target.split(':').next().unwrap_or(&target);
        return fail(
            format!("ERROR:    Error loading ASGI app. Could not import module \"{module}\"."),
            1,
        );
    }
    let host = flag(args, &["--host"])
        .or_else(|| env("UVICORN_HOST"))
        .unwrap_or_else(|| "127.0.0.1".into());
    let port = match flag(args, &["--port"]).or_else(|| env("UVICORN_PORT")) {
        Some(p) => match port_of(&p, "uvicorn") {
            Ok(p) => p,
            Err(f) => return f,
        },
        None => 8000,
    };
    Launch::Serve {
        source: Some(file),
        listen: Some((host, port)),
        code_decides: false,
        kind: Kind::Uvicorn,
    }
}

/// `python -m http.server [PORT] [--bind ADDR] [--directory DIR]`: every address, port 8000.
fn http_server(args: &[String]) -> Launch {
    let valued = ["--bind", "-b", "--directory", "-d", "--protocol", "-p"];
    let host = flag(args, &["--bind", "-b"]).unwrap_or_else(|| "0.0.0.0".into());
    let port = match positional(args, &valued).first() {
        Some(p) => match p.parse() {
            Ok(p) => p,
            Err(_) => {
                return fail(
                    format!(
                        "usage: server.py [-h] [--cgi] [-b ADDRESS] [-d DIRECTORY] [-p VERSION] [port]\nserver.py: error: argument port: invalid int value: '{p}'"
                    ),
                    2,
                );
            }
        },
        None => 8000,
    };
    Launch::Serve {
        source: None,
        listen: Some((host, port)),
        code_decides: false,
        kind: Kind::HttpServer,
    }
}

/// The lines the program prints once it listens on `host:port`; for a script, `text`
/// (its source) gives what it prints: the first `console.log(...)` or `print(...)`,
/// with each expression in it shown as the port (a stand-in's guess, said here).
pub fn banner(kind: Kind, host: &str, port: u16, app: &str, text: &str) -> Vec<Line> {
    match kind {
        Kind::Flask => {
            let mut v = vec![
                Line::Err(format!(" * Serving Flask app '{app}'")),
                Line::Err(" * Debug mode: off".into()),
                Line::Err("WARNING: This is a development server. Do not use it in a production deployment. Use a production WSGI server instead.".into()),
            ];
            if host == "0.0.0.0" {
                v.push(Line::Err(" * Running on all addresses (0.0.0.0)".into()));
                v.push(Line::Err(format!(" * Running on http://127.0.0.1:{port}")));
            } else {
                v.push(Line::Err(format!(" * Running on http://{host}:{port}")));
            }
            v.push(Line::Err("Press CTRL+C to quit".into()));
            v
        }
        Kind::Uvicorn => vec![
            Line::Err("INFO:     Started server process [1]".into()),
            Line::Err("INFO:     Waiting for application startup.".into()),
            Line::Err("INFO:     Application startup complete.".into()),
            Line::Err(format!(
                "INFO:     Uvicorn running on http://{host}:{port} (Press CTRL+C to quit)"
            )),
        ],
        Kind::HttpServer => vec![Line::Out(format!(
            "Serving HTTP on {host} port {port} (http://{host}:{port}/) ..."
        ))],
        Kind::Script => printed(text, port).into_iter().map(Line::Out).collect(),
    }
}

/// What the first `console.log(...)` / `print(...)` of a script prints: its literal
/// text, each expression shown as `port`.
fn printed(text: &str, port: u16) -> Option<String> {
    let at = ["console.log(", "print("]
        .iter()
        .filter_map(|m| text.find(m).map(|i| (i, m.len())))
        .min()?;
    let rest = &text[at.0 + at.1..];
    let end = rest.find('\n').unwrap_or(rest.len());
    let arg = rest[..end].trim_end().trim_end_matches([';', ')', ' ']);
    let arg = arg.strip_prefix('f').unwrap_or(arg);
    let mut out = String::new();
    for part in arg.split('+').map(str::trim) {
        let quoted = part.len() >= 2
            && ['\'', '"', '`']
                .iter()
                .any(|q| part.starts_with(*q) && part.ends_with(*q));
        if quoted {
            let inner = &part[1..part.len() - 1];
            // `${PORT}` in a template literal, `{PORT}` in an f-string.
            let mut s = String::new();
            let mut chars = inner.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' && chars.peek() == Some(&'{') || c == '{' {
                    for d in chars.by_ref() {
                        if d == '}' {
                            break;
                        }
                    }
                    s.push_str(&port.to_string());
                } else {
                    s.push(c);
                }
            }
            out.push_str(&s);
        } else {
            out.push_str(&port.to_string());
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn run(cmd: &str, env: &[(&str, &str)], files: &[&str]) -> Launch {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        launch(
            &w(cmd),
            &|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()),
            &|f| files.iter().any(|x| x == f),
        )
    }

    fn serve(source: Option<&str>, host: &str, port: u16, kind: Kind) -> Launch {
        Launch::Serve {
            source: source.map(str::to_string),
            listen: Some((host.into(), port)),
            code_decides: false,
            kind,
        }
    }

    #[test]
    fn flask_run_defaults_flags_and_env() {
        let app = &["app.py"];
        let k = Kind::Flask;
        assert_eq!(
            run("flask run", &[], app),
            serve(Some("app.py"), "127.0.0.1", 5000, k)
        );
        assert_eq!(
            run("python -m flask run", &[], app),
            serve(Some("app.py"), "127.0.0.1", 5000, k)
        );
        assert_eq!(
            run("flask run --host=0.0.0.0 --port 8088", &[], app),
            serve(Some("app.py"), "0.0.0.0", 8088, k)
        );
        assert_eq!(
            run("flask run -h 0.0.0.0 -p 8088", &[], app),
            serve(Some("app.py"), "0.0.0.0", 8088, k)
        );
        let env = [
            ("FLASK_APP", "web:create"),
            ("FLASK_RUN_HOST", "0.0.0.0"),
            ("FLASK_RUN_PORT", "8080"),
        ];
        assert_eq!(
            run("flask run", &env, &["web.py"]),
            serve(Some("web.py"), "0.0.0.0", 8080, k)
        );
        // A flag wins over the environment.
        assert_eq!(
            run("flask --app web run --port 9000", &env, &["web.py"]),
            serve(Some("web.py"), "0.0.0.0", 9000, k)
        );
        assert_eq!(
            run(
                "python3 -m flask --app pkg.api:app run",
                &[],
                &["pkg/api.py"]
            ),
            serve(Some("pkg/api.py"), "127.0.0.1", 5000, k)
        );
        assert_eq!(
            run("flask run", &[], &["wsgi.py", "app.py"]),
            serve(Some("wsgi.py"), "127.0.0.1", 5000, k)
        );
    }

    #[test]
    fn flask_fails_as_the_real_one() {
        let Launch::Fail { message, code } = run("flask run", &[], &[]) else {
            panic!()
        };
        assert_eq!(code, 2);
        assert!(message.ends_with("or a 'wsgi.py' or 'app.py' file in the current directory."));
        let Launch::Fail { message, .. } = run("flask start", &[], &["app.py"]) else {
            panic!()
        };
        assert!(
            message.ends_with("Error: No such command 'start'."),
            "{message}"
        );
        let Launch::Fail { message, .. } = run("flask run -p x", &[], &["app.py"]) else {
            panic!()
        };
        assert!(message.contains("'x' is not a valid integer"), "{message}");
    }

    #[test]
    fn uvicorn_defaults_and_flags() {
        let k = Kind::Uvicorn;
        let main = &["main.py"];
        assert_eq!(
            run("uvicorn main:app", &[], main),
            serve(Some("main.py"), "127.0.0.1", 8000, k)
        );
        assert_eq!(
            run("uvicorn --host 0.0.0.0 --port 8088 main:app", &[], main),
            serve(Some("main.py"), "0.0.0.0", 8088, k)
        );
        assert_eq!(
            run(
                "python -m uvicorn app.main:api --port=8088 --reload",
                &[],
                &["app/main.py"]
            ),
            serve(Some("app/main.py"), "127.0.0.1", 8088, k)
        );
        assert_eq!(
            run("uvicorn main:app", &[("UVICORN_HOST", "0.0.0.0")], main),
            serve(Some("main.py"), "0.0.0.0", 8000, k)
        );
        let Launch::Fail { message, code } = run("uvicorn main:app", &[], &[]) else {
            panic!()
        };
        assert_eq!(
            (message.as_str(), code),
            (
                "ERROR:    Error loading ASGI app. Could not import module \"main\".",
                1
            )
        );
        assert!(matches!(
            run("uvicorn --port 8088", &[], main),
            Launch::Fail { code: 2, .. }
        ));
    }

    #[test]
    fn scripts_and_http_server() {
        let script = |f: &str| Launch::Serve {
            source: Some(f.into()),
            listen: None,
            code_decides: true,
            kind: Kind::Script,
        };
        assert_eq!(run("python app.py", &[], &["app.py"]), script("app.py"));
        assert_eq!(
            run("python3 -u src/app.py", &[], &["src/app.py"]),
            script("src/app.py")
        );
        assert_eq!(
            run("node server.js", &[], &["server.js"]),
            script("server.js")
        );
        assert!(matches!(
            run("python app.py", &[], &[]),
            Launch::Fail { code: 2, .. }
        ));
        assert!(matches!(
            run("node index.js", &[], &[]),
            Launch::Fail { code: 1, .. }
        ));
        let k = Kind::HttpServer;
        assert_eq!(
            run("python3 -m http.server", &[], &[]),
            serve(None, "0.0.0.0", 8000, k)
        );
        assert_eq!(
            run(
                "python -m http.server 8088 --bind 127.0.0.1 -d /srv",
                &[],
                &[]
            ),
            serve(None, "127.0.0.1", 8088, k)
        );
        assert!(is_program("/usr/local/bin/python3") && is_program("python3.11"));
        assert!(!is_program("app.py"));
    }

    #[test]
    fn startup_lines() {
        let flask = banner(Kind::Flask, "127.0.0.1", 5000, "app", "");
        assert_eq!(
            flask[3],
            Line::Err(" * Running on http://127.0.0.1:5000".into())
        );
        let all = banner(Kind::Flask, "0.0.0.0", 8088, "app", "");
        assert_eq!(
            all[3],
            Line::Err(" * Running on all addresses (0.0.0.0)".into())
        );
        assert_eq!(
            banner(Kind::Uvicorn, "127.0.0.1", 8000, "main", "")[3],
            Line::Err(
                "INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)".into()
            )
        );
        assert_eq!(
            banner(Kind::HttpServer, "0.0.0.0", 8000, "", ""),
            vec![Line::Out(
                "Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...".into()
            )]
        );
        let js =
            "app.listen(PORT, () => {\n  console.log(`Server listening on port ${PORT}`);\n});\n";
        assert_eq!(
            banner(Kind::Script, "0.0.0.0", 3000, "", js),
            vec![Line::Out("Server listening on port 3000".into())]
        );
        let js = "app.listen(PORT, () => console.log('listening on ' + PORT));\n";
        assert_eq!(printed(js, 8088).as_deref(), Some("listening on 8088"));
        assert_eq!(printed("x = 1\n", 1), None);
    }
}
