//! Real labs for each framework the course uses, as students write them: a Dockerfile
//! `FROM` the sample image with the app's source and a CMD (`flask run`, `uvicorn
//! main:app`, `node server.js`, `python3 server.py`, `python3 -m http.server`), which
//! the sample image stands in for (`sample::frameworks`) the way the real program
//! behaves with those arguments. Each mistake is graded, its cause id, cause and fix
//! asserted, and the fix typed as printed: the edit applied, the image rebuilt, the
//! container run again, the lab graded again — and the check must pass.

mod common;

use common::lab::{Start, start_lab};
use common::process::{DOCKER_TIME, Within};
use common::{Lab, finding, outcome};

/// The report once the app printed its first line (or gave up after 5 s).
fn graded(lab: &Lab, s: &Start, paths: &[&str]) -> serde_json::Value {
    for _ in 0..50 {
        let out = common::docker::docker_cmd(&["logs", &s.name]).output_within(DOCKER_TIME);
        if !out.stdout.is_empty() || !out.stderr.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let file = lab.spec(&format!("{}.yaml", s.name), &s.spec_for(paths));
    lab.check_json(&file, &["--dir", s.dir.path().to_str().unwrap()])
        .1
}

/// The command that rebuilds the image and runs the container again, as printed.
fn rerun(s: &Start) -> String {
    format!(
        "docker build -t {0} . && docker rm -f {1} && docker run -d --name {1} -p {2}:8088 {0}",
        s.image, s.name, s.port
    )
}

/// Types the fix as printed (the edit, then the commands after "then: ") and grades
/// again: `GET path` must pass.
fn typed(lab: &Lab, s: &Start, fix: &serde_json::Value, paths: &[&str], path: &str) {
    let fix = fix.as_str().expect("a fix");
    assert!(fix.contains(", then: "), "not typed: {fix}");
    s.apply(fix);
    let report = graded(lab, s, paths);
    let id = format!("http:{}:GET {path}", s.name);
    assert_eq!(outcome(&report, &id), "pass", "after `{fix}`: {report:#}");
}

/// The finding of `GET path`, its cause id asserted.
fn failed(report: &serde_json::Value, s: &Start, path: &str, cause_id: &str) -> serde_json::Value {
    let f = finding(report, &format!("http:{}:GET {path}", s.name)).clone();
    assert_eq!(f["cause_id"], cause_id, "{f:#}");
    f
}

fn dockerfile(cmd: &str) -> String {
    format!("FROM BASE\nWORKDIR /app\nCOPY . .\n{cmd}\n")
}

/// The line of `text` that holds `what` (1-based).
fn line_of(text: &str, what: &str) -> usize {
    text.lines().position(|l| l.contains(what)).unwrap() + 1
}

const FLASK: &str = "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.route('/')\ndef index():\n    return 'Hello from the labgrade sample app!'\n\n\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=8088)\n";

#[tokio::test(flavor = "multi_thread")]
async fn flask_run_is_fixed_in_its_cmd() {
    let lab = Lab::new("fw-flask").await;
    let files = [("app.py", FLASK, 0o644)];

    // `flask run` binds 127.0.0.1 whatever app.run says (it does not run under the CLI):
    // the fix is --host in the CMD, the port kept.
    let cmd = "CMD [\"flask\", \"run\", \"--port\", \"8088\"]";
    let s = start_lab(&lab, "flask-nohost", &dockerfile(cmd), &files).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-bind");
    assert_eq!(
        f["cause"],
        "the app listens on 127.0.0.1:8088 inside the container, so the published port cannot reach it; bind it to 0.0.0.0"
    );
    assert_eq!(
        f["fix"],
        format!(
            "in the Dockerfile, write CMD [\"flask\", \"run\", \"--host=0.0.0.0\", \"--port\", \"8088\"] (listen on 0.0.0.0), then: {}",
            rerun(&s)
        )
    );
    assert!(!f["fix"].as_str().unwrap().contains("app.run"), "{f:#}");
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // `python -m flask run` with no flags: 127.0.0.1:5000, both set in the CMD.
    let cmd = "CMD [\"python\", \"-m\", \"flask\", \"run\"]";
    let s = start_lab(&lab, "flask-defaults", &dockerfile(cmd), &files).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-bind");
    assert_eq!(
        f["cause"],
        "the app listens only on 127.0.0.1:5000 inside the container, which the published port cannot reach; bind it to 0.0.0.0:8088"
    );
    assert_eq!(
        f["fix"],
        format!(
            "in the Dockerfile, write CMD [\"python\", \"-m\", \"flask\", \"run\", \"--host=0.0.0.0\", \"--port=8088\"] (listen on 0.0.0.0, port 8088), then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // On every address but Flask's 5000: the port goes in the CMD, not in app.run.
    let cmd = "CMD [\"flask\", \"run\", \"--host=0.0.0.0\"]";
    let s = start_lab(&lab, "flask-port", &dockerfile(cmd), &files).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "app-wrong-port");
    assert_eq!(
        f["cause"],
        "nothing listens on 8088 inside the container; the app listens on 5000"
    );
    assert_eq!(
        f["fix"],
        format!(
            "in the Dockerfile, write CMD [\"flask\", \"run\", \"--host=0.0.0.0\", \"--port=8088\"] (listen on port 8088), then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");
}

fn fastapi(routes: &[&str], tail: &str) -> String {
    let mut app = "from fastapi import FastAPI\n\napp = FastAPI()\n".to_string();
    for (i, r) in routes.iter().enumerate() {
        app.push_str(&format!(
            "\n\n@app.get('{r}')\ndef view{i}():\n    return 'Hello from the labgrade sample app!'\n"
        ));
    }
    app.push_str(tail);
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn fastapi_under_uvicorn() {
    let lab = Lab::new("fw-fastapi").await;
    let code = fastapi(&["/", "/items"], "");
    let files = [("main.py", code.as_str(), 0o644)];

    // uvicorn binds 127.0.0.1 unless told --host.
    let cmd = "CMD [\"uvicorn\", \"main:app\", \"--port\", \"8088\"]";
    let s = start_lab(&lab, "uv-nohost", &dockerfile(cmd), &files).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-bind");
    assert_eq!(
        f["fix"],
        format!(
            "in the Dockerfile, write CMD [\"uvicorn\", \"main:app\", \"--port\", \"8088\", \"--host\", \"0.0.0.0\"] (listen on 0.0.0.0), then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // uvicorn's own 8000.
    let cmd = "CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\"]";
    let s = start_lab(&lab, "uv-port", &dockerfile(cmd), &files).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "app-wrong-port");
    assert_eq!(
        f["cause"],
        "nothing listens on 8088 inside the container; the app listens on 8000"
    );
    assert_eq!(
        f["fix"],
        format!(
            "in the Dockerfile, write CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8088\"] (listen on port 8088), then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // `python main.py` with uvicorn.run in the code: the code decides, its line is named.
    let tail = "\n\nif __name__ == '__main__':\n    import uvicorn\n    uvicorn.run(app, host='127.0.0.1', port=8088)\n";
    let code = fastapi(&["/"], tail);
    let n = line_of(&code, "uvicorn.run(");
    let cmd = "CMD [\"python\", \"main.py\"]";
    let s = start_lab(
        &lab,
        "uv-code",
        &dockerfile(cmd),
        &[("main.py", &code, 0o644)],
    )
    .await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-in-code");
    assert_eq!(
        f["cause"],
        format!(
            "the app listens on 127.0.0.1:8088 inside the container, so the published port cannot reach it: main.py, line {n}, says `uvicorn.run(app, host='127.0.0.1', port=8088)`"
        )
    );
    assert_eq!(
        f["fix"],
        format!(
            "in main.py, line {n}, change `uvicorn.run(app, host='127.0.0.1', port=8088)` to `uvicorn.run(app, host='0.0.0.0', port=8088)`, then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // A route the code does not declare: the ones it does, with their lines.
    let code = fastapi(&["/", "/items"], "");
    let first = line_of(&code, "'/'");
    let cmd = "CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8088\"]";
    let s = start_lab(
        &lab,
        "uv-route",
        &dockerfile(cmd),
        &[("main.py", &code, 0o644)],
    )
    .await;
    let report = graded(&lab, &s, &["/api/products"]);
    let f = failed(&report, &s, "/api/products", "route-not-in-code");
    assert_eq!(
        f["cause"],
        "/api/products is 404: main.py declares /, /items — not /api/products"
    );
    // The lab asks only for a 2xx, which / gives: the same function answers both.
    assert_eq!(
        f["fix"],
        format!(
            "in main.py, above line {first} (`@app.get('/')`), add the line `@app.get('/api/products')`, so the function that answers / answers /api/products too, then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/api/products"], "/api/products");
}

fn express(port_line: &str, listen: &str) -> String {
    format!(
        "const express = require('express');\nconst app = express();\n{port_line}\napp.get('/', (req, res) => res.send('Hello from the labgrade sample app!'));\napp.get('/api/users', (req, res) => res.json([]));\n\n{listen}\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn express_under_node() {
    let lab = Lab::new("fw-express").await;
    let cmd = dockerfile("CMD [\"node\", \"server.js\"]");

    // Bound to 127.0.0.1 in the code.
    let listen =
        "app.listen(8088, '127.0.0.1', () => console.log('Server listening on port 8088'));";
    let code = express("", listen);
    let n = line_of(&code, "app.listen(");
    let s = start_lab(&lab, "ex-lo", &cmd, &[("server.js", &code, 0o644)]).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-in-code");
    let call = listen.trim_end_matches(';');
    assert_eq!(
        f["cause"],
        format!(
            "the app listens on 127.0.0.1:8088 inside the container, so the published port cannot reach it: server.js, line {n}, says `{call}`"
        )
    );
    assert_eq!(
        f["fix"],
        format!(
            "in server.js, line {n}, change `{call}` to `{}`, then: {}",
            call.replace("'127.0.0.1'", "'0.0.0.0'"),
            rerun(&s)
        )
    );
    // The app prints what its console.log says.
    let logs = common::docker::docker(&["logs", &s.name]);
    assert_eq!(logs.trim(), "Server listening on port 8088");
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // The same call over three lines, as it is mostly written: its first line is edited.
    let listen = "app.listen(8088, '127.0.0.1', () => {\n  console.log('Server listening on port 8088');\n});";
    let code = express("", listen);
    let n = line_of(&code, "app.listen(");
    let s = start_lab(&lab, "ex-lo3", &cmd, &[("server.js", &code, 0o644)]).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-in-code");
    // The cause quotes the line the number names, as the student sees it.
    assert_eq!(
        f["cause"],
        format!(
            "the app listens on 127.0.0.1:8088 inside the container, so the published port cannot reach it: server.js, line {n}, says `app.listen(8088, '127.0.0.1', () => {{`"
        )
    );
    assert_eq!(
        f["fix"],
        format!(
            "in server.js, line {n}, change `app.listen(8088, '127.0.0.1', () => {{` to `app.listen(8088, '0.0.0.0', () => {{`, then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // Express's usual `process.env.PORT || 3000`, where the lab wants 8088.
    let listen = "app.listen(PORT, () => console.log(`Server listening on port ${PORT}`));";
    let code = express("const PORT = process.env.PORT || 3000;\n", listen);
    let n = line_of(&code, "app.listen(");
    let s = start_lab(&lab, "ex-port", &cmd, &[("server.js", &code, 0o644)]).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "port-in-code");
    let cause = f["cause"].as_str().unwrap();
    assert!(
        cause.starts_with(&format!(
            "nothing listens on 8088 inside the container; the app listens on 3000: server.js, line {n}, says `"
        )),
        "{cause}"
    );
    // Changed where PORT is set, so that the environment still has its say.
    let k = line_of(&code, "const PORT");
    assert_eq!(
        f["fix"],
        format!(
            "in server.js, line {k}, change `const PORT = process.env.PORT || 3000;` to `const PORT = process.env.PORT || 8088;`, then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");
    let logs = common::docker::docker(&["logs", &s.name]);
    assert_eq!(logs.lines().next(), Some("Server listening on port 8088"));

    // A route it does not declare.
    let code = express("", "app.listen(8088, () => console.log('up'));");
    let listen = line_of(&code, "app.listen(");
    let s = start_lab(&lab, "ex-route", &cmd, &[("server.js", &code, 0o644)]).await;
    let report = graded(&lab, &s, &["/api/products"]);
    let f = failed(&report, &s, "/api/products", "route-not-in-code");
    assert_eq!(
        f["cause"],
        "/api/products is 404: server.js declares /, /api/users — not /api/products"
    );
    assert_eq!(
        f["fix"],
        format!(
            "in server.js, above line {listen} (`app.listen(8088, () => console.log('up'));`), add the line `app.get('/api/products', (req, res) => res.send('ok'));`, then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/api/products"], "/api/products");
}

fn http_server(bind: &str) -> String {
    format!(
        "from http.server import HTTPServer, BaseHTTPRequestHandler\n\n\nclass Handler(BaseHTTPRequestHandler):\n    def do_GET(self):\n        if self.path == '/':\n            self.send_response(200)\n            self.end_headers()\n            self.wfile.write(b'hi')\n        else:\n            self.send_response(404)\n            self.end_headers()\n\n\n{bind}.serve_forever()\n"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn http_server_scripts_and_module() {
    let lab = Lab::new("fw-http").await;
    let cmd = dockerfile("CMD [\"python3\", \"server.py\"]");

    let code = http_server("HTTPServer(('127.0.0.1', 8088), Handler)");
    let n = line_of(&code, "HTTPServer((");
    let s = start_lab(&lab, "hs-lo", &cmd, &[("server.py", &code, 0o644)]).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-in-code");
    assert_eq!(
        f["fix"],
        format!(
            "in server.py, line {n}, change `HTTPServer(('127.0.0.1', 8088), Handler)` to `HTTPServer(('0.0.0.0', 8088), Handler)`, then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // '' is every address; the port is the mistake.
    let code = http_server("HTTPServer(('', 8000), Handler)");
    let n = line_of(&code, "HTTPServer((");
    let s = start_lab(&lab, "hs-port", &cmd, &[("server.py", &code, 0o644)]).await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "port-in-code");
    assert!(
        f["cause"].as_str().unwrap().starts_with(&format!(
            "nothing listens on 8088 inside the container; the app listens on 8000: server.py, line {n}, says `HTTPServer(('', 8000), Handler)`"
        )),
        "{f:#}"
    );
    assert_eq!(
        f["fix"],
        format!(
            "in server.py, line {n}, change `HTTPServer(('', 8000), Handler)` to `HTTPServer(('', 8088), Handler)`, then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");

    // `python3 -m http.server` serves the folder on 8000, as its log says.
    let cmd = dockerfile("CMD [\"python3\", \"-m\", \"http.server\"]");
    let s = start_lab(
        &lab,
        "hs-module",
        &cmd,
        &[("index.html", "<h1>hi</h1>\n", 0o644)],
    )
    .await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "app-wrong-port");
    let logs = common::docker::docker(&["logs", &s.name]);
    assert_eq!(
        logs.trim(),
        "Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ..."
    );
    assert_eq!(
        f["fix"],
        format!(
            "in the Dockerfile, write CMD [\"python3\", \"-m\", \"http.server\", \"8088\"] (listen on port 8088), then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/", "/index.html"], "/index.html");

    // Bound to loopback with --bind: the flag is dropped, the port kept.
    let cmd = dockerfile(
        "CMD [\"python3\", \"-m\", \"http.server\", \"8088\", \"--bind\", \"127.0.0.1\"]",
    );
    let s = start_lab(
        &lab,
        "hs-bind",
        &cmd,
        &[("index.html", "<h1>hi</h1>\n", 0o644)],
    )
    .await;
    let report = graded(&lab, &s, &["/"]);
    let f = failed(&report, &s, "/", "loopback-bind");
    assert_eq!(
        f["fix"],
        format!(
            "in the Dockerfile, write CMD [\"python3\", \"-m\", \"http.server\", \"8088\"] (listen on 0.0.0.0), then: {}",
            rerun(&s)
        )
    );
    typed(&lab, &s, &f["fix"], &["/"], "/");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_images_program_names_stand_in_for_the_real_ones() {
    // `python`, `flask`, `uvicorn` and `node` are on the image's PATH, linked to labgrade,
    // which started under those names behaves as the real program: here as it fails.
    let lab = Lab::new("fw-names").await;
    let run = |entry: &str, args: &[&str]| {
        let mut a = vec![
            "run",
            "--rm",
            "--label",
            "io.labgrade.sample=1",
            "--entrypoint",
            entry,
        ];
        a.push(&lab.image);
        a.extend_from_slice(args);
        let out = common::docker::docker_cmd(&a).output_within(DOCKER_TIME);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = run("python3", &["app.py"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("python3: can't open file 'app.py': [Errno 2] No such file or directory"),
        "{err}"
    );
    let (code, err) = run("flask", &["run"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("Error: Could not locate a Flask application."),
        "{err}"
    );
    let (code, err) = run("uvicorn", &["main:app"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("Error loading ASGI app. Could not import module \"main\"."),
        "{err}"
    );
    let (code, err) = run("node", &["server.js"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("Error: Cannot find module 'server.js'"),
        "{err}"
    );
}
