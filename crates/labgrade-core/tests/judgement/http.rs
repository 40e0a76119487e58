//! `http:` — the answer's status, body, JSON and headers, and why a request that got an
//! answer was wrong (route missing, method, server error, redirect, hard-coded answer).

use labgrade_core::cause::CauseId;
use labgrade_core::facts::ProbeOutcome;
use labgrade_core::verdict::Outcome;

use crate::common::*;

const URL: &str = "http://127.0.0.1:8097/";
const CHECK: &str = "http:web:GET /";

/// A container `web` published 8097 → 8088, with `http:` entries `http`.
fn spec(http: &str) -> String {
    format!("container: web\nimage: nautilus/python-app\nports: [\"8097:8088\"]\nhttp:\n{http}")
}

/// The app runs and the probe `check` got `outcome`.
fn answered(check: &str, url: &str, outcome: ProbeOutcome) -> FactsBuilder {
    answered_with_log(check, url, outcome, &[])
}

fn answered_with_log(check: &str, url: &str, outcome: ProbeOutcome, log: &[&str]) -> FactsBuilder {
    FactsBuilder::new()
        .image("nautilus/python-app", |i| i.exposed(8088))
        .container("web", |mut c| {
            c = c
                .image("nautilus/python-app")
                .published(8097, 8088)
                .listening("0.0.0.0", 8088);
            c.0.log_tail = log.iter().map(|s| s.to_string()).collect();
            c
        })
        .probe(check, url, outcome)
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

#[test]
fn table() {
    let get = spec("  - get: /\n    status: 200\n");
    let body_equals = spec("  - get: /\n    body_equals: Hello from Docker\n");
    let body_contains = spec("  - get: /\n    body_contains: [Hello, Docker]\n");
    let body_regex = spec("  - get: /\n    body_regex: '\"latency_ms\":\\s*[0-9.]+'\n");
    let json = spec("  - get: /\n    json: {\"$.unit\": ms, \"$.latency\": 12}\n");
    let header = spec("  - get: /\n    response_headers: {Content-Type: application/json}\n");
    let hello = spec("  - get: /\n    body_contains: Hello\n");
    let stream = spec("  - get: /\n    body_contains: Hello\n    stream: true\n");
    let endless = |c: &str| {
        answered(
            c,
            URL,
            ProbeOutcome::Response {
                status: 200,
                headers: vec![("content-type".into(), "text/event-stream".into())],
                body: format!("Hello\n{}", "data: tick\n".repeat(8)),
                truncated: true,
            },
        )
    };
    let random = spec(
        "  - get: /\n    headers: {X-Labgrade-Probe: \"{{random}}\"}\n    json: {\"$.headers.X-Labgrade-Probe\": \"{{random}}\"}\n",
    );
    let post = spec("  - post: /products\n    body: '{\"name\": \"pen\"}'\n    status: 201\n");
    let standalone = "http:\n  - get: http://localhost:9000/health\n    status: 200\n";
    let token = "9f86d081884c7d65";
    let typo = "from flask import Flask, jsonify\napp = Flask(__name__)\n\n\n@app.route(\"/\")\ndef index():\n    return jsonfy({\"ok\": True})\n";
    let traceback = |line: &str, error: &str| -> Vec<String> {
        vec![
            "[2026-12-01 20:00:00,000] ERROR in app: Exception on / [GET]".into(),
            "Traceback (most recent call last):".into(),
            "  File \"/usr/lib/python3/dist-packages/flask/app.py\", line 1473, in wsgi_app".into(),
            "    response = self.full_dispatch_request()".into(),
            "  File \"/app/app.py\", line 7, in index".into(),
            format!("    {line}"),
            error.into(),
            "172.17.0.1 - - [01/Dec/2026 20:00:00] \"GET / HTTP/1.1\" 500 -".into(),
        ]
    };
    let with_code = |code: &str, log: Vec<String>| {
        let code = code.to_string();
        FactsBuilder::new()
            .image("nautilus/python-app", move |i| {
                let mut i = i
                    .exposed(8088)
                    .workdir("/app")
                    .text_file("/app/app.py", &code);
                i.0.cmd = Some(vec!["python".into(), "app.py".into()]);
                i
            })
            .container("web", move |mut c| {
                c = c
                    .image("nautilus/python-app")
                    .published(8097, 8088)
                    .listening("0.0.0.0", 8088);
                c.0.log_tail = log;
                c
            })
            .probe(CHECK, URL, response(500, HTML, "Internal Server Error"))
    };
    let hard_coded = "from flask import Flask, jsonify\napp = Flask(__name__)\n\n\n@app.route(\"/\", methods=[\"GET\"])\ndef echo():\n    return jsonify({\"headers\": {\n        \"X-Labgrade-Probe\": \"echo-me-7f3a\",\n    }})\n\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=8088)\n";
    let echo = format!(
        "{{\"headers\": {{\"Host\": \"127.0.0.1:8097\", \"X-Labgrade-Probe\": \"{token}\"}}}}"
    );
    let cases = [
        Case::passes(
            "200",
            &get,
            CHECK,
            answered(CHECK, URL, response(200, HTML, "Hello from Docker")),
        ),
        Case::fails(
            "404, nothing else answers",
            &get,
            CHECK,
            CauseId::RouteMissing,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| i)
                .container("web", |c| {
                    c.image("nautilus/python-app")
                        .published(8097, 8088)
                        .listening("0.0.0.0", 8088)
                })
                .probe_with_alternatives(
                    CHECK,
                    URL,
                    response(404, HTML, "<!doctype html><title>404 Not Found</title>"),
                    &[("/ping", 404), ("/health", 404), ("/latency", 404)],
                ),
        ),
        Case::fails(
            "404, other routes answer",
            &get,
            CHECK,
            CauseId::RouteMissing,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| i)
                .container("web", |c| {
                    c.image("nautilus/python-app")
                        .published(8097, 8088)
                        .listening("0.0.0.0", 8088)
                })
                .probe_with_alternatives(
                    CHECK,
                    URL,
                    response(404, HTML, "<!doctype html><title>404 Not Found</title>"),
                    &[("/ping", 200), ("/health", 404), ("/latency", 0)],
                ),
        ),
        Case::fails(
            "405 on POST",
            &post,
            "http:web:POST /products",
            CauseId::MethodNotAllowed,
            answered(
                "http:web:POST /products",
                "http://127.0.0.1:8097/products",
                response(
                    405,
                    HTML,
                    "<!doctype html><title>405 Method Not Allowed</title>",
                ),
            ),
        ),
        Case::fails(
            "500 with a traceback in the log",
            &get,
            CHECK,
            CauseId::AppErrorOnRequest,
            answered_with_log(
                CHECK,
                URL,
                response(
                    500,
                    HTML,
                    "<!doctype html><title>500 Internal Server Error</title>",
                ),
                &[
                    "[2026-11-22 22:11:41,012] ERROR in app: Exception on / [GET]",
                    "Traceback (most recent call last):",
                    "  File \"/app/server.py\", line 12, in index",
                    "KeyError: 'name'",
                    "172.17.0.1 - - [22/Nov/2026 22:11:41] \"GET / HTTP/1.1\" 500 -",
                ],
            ),
        ),
        Case::fails(
            "502 from a standalone URL (no container to read)",
            standalone,
            "http:GET http://localhost:9000/health",
            CauseId::AppErrorOnRequest,
            FactsBuilder::new().probe(
                "http:GET http://localhost:9000/health",
                "http://localhost:9000/health",
                response(
                    502,
                    HTML,
                    "<html><body><h1>502 Bad Gateway</h1></body></html>",
                ),
            ),
        )
        .no_fix(),
        Case::fails(
            "302 to another host (the port dropped)",
            &get,
            CHECK,
            CauseId::Redirects,
            answered(
                CHECK,
                URL,
                response_with(
                    302,
                    &[
                        ("location", "http://localhost/login?next=%2F"),
                        ("content-type", HTML),
                    ],
                    "",
                ),
            ),
        )
        .no_fix(),
        Case::fails(
            "201 where 200 is asked",
            &get,
            CHECK,
            CauseId::WrongStatus,
            answered(CHECK, URL, response(201, HTML, "created")),
        )
        .no_fix(),
        Case::fails(
            "body_equals: another text",
            &body_equals,
            CHECK,
            CauseId::WrongAnswer,
            answered(CHECK, URL, response(200, HTML, "Hello, World!")),
        ),
        Case::passes(
            "body_equals: with a trailing newline",
            &body_equals,
            CHECK,
            answered(CHECK, URL, response(200, HTML, "Hello from Docker\n")),
        ),
        Case::fails(
            "body_contains: one text missing",
            &body_contains,
            CHECK,
            CauseId::WrongAnswer,
            answered(CHECK, URL, response(200, HTML, "Hello, World!")),
        ),
        Case::fails(
            "body_regex: no match",
            &body_regex,
            CHECK,
            CauseId::WrongAnswer,
            answered(CHECK, URL, response(200, JSON, "{\"latency\": \"fast\"}")),
        ),
        Case::passes(
            "json: fields match (12 == 12.0)",
            &json,
            CHECK,
            answered(
                CHECK,
                URL,
                response(200, JSON, "{\"unit\": \"ms\", \"latency\": 12.0}"),
            ),
        ),
        Case::fails(
            "json: a field differs, one is missing",
            &json,
            CHECK,
            CauseId::WrongAnswer,
            answered(CHECK, URL, response(200, JSON, "{\"unit\": \"s\"}")),
        ),
        Case::fails(
            "json: the body is not JSON",
            &json,
            CHECK,
            CauseId::WrongAnswer,
            answered(CHECK, URL, response(200, HTML, "<p>latency: 12 ms</p>")),
        ),
        Case::fails(
            "response header: another value",
            &header,
            CHECK,
            CauseId::WrongAnswer,
            answered(CHECK, URL, response(200, HTML, "{\"latency\": 12}")),
        ),
        Case::fails(
            "response header: missing",
            &header,
            CHECK,
            CauseId::WrongAnswer,
            answered(CHECK, URL, response_with(200, &[], "{\"latency\": 12}")),
        ),
        Case::fails(
            "body cut at the cap",
            &body_contains,
            CHECK,
            CauseId::WrongAnswer,
            answered(
                CHECK,
                URL,
                ProbeOutcome::Response {
                    status: 200,
                    headers: vec![("content-type".into(), HTML.into())],
                    body: "x".repeat(64),
                    truncated: true,
                },
            ),
        ),
        Case::fails(
            "an answer that never ends, the text in its first MiB",
            &hello,
            CHECK,
            CauseId::EndlessBody,
            endless(CHECK),
        ),
        Case::passes(
            "an endless answer where the lab asks for a stream",
            &stream,
            CHECK,
            endless(CHECK),
        ),
        Case::passes(
            "{{random}} echoed back",
            &random,
            "http:web:GET /",
            answered(CHECK, URL, response(200, JSON, &echo)).random(token),
        ),
        Case::fails(
            "{{random}} not echoed: hard-coded answer",
            &random,
            CHECK,
            CauseId::HardCodedAnswer,
            answered(
                CHECK,
                URL,
                response(
                    200,
                    JSON,
                    "{\"headers\": {\"Host\": \"127.0.0.1:8097\", \"X-Labgrade-Probe\": \"1234\"}}",
                ),
            )
            .random(token),
        ),
        // With the app's code in the image, the fixed answer's lines are named and
        // replaced by one built from the request's headers (request imported).
        Case::fails(
            "{{random}} not echoed: the code's return is replaced",
            &random,
            CHECK,
            CauseId::HardCodedAnswer,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| {
                    let mut i = i
                        .exposed(8088)
                        .workdir("/app")
                        .text_file("/app/app.py", hard_coded);
                    i.0.cmd = Some(vec!["python".into(), "app.py".into()]);
                    i
                })
                .container("web", |c| {
                    c.image("nautilus/python-app")
                        .published(8097, 8088)
                        .listening("0.0.0.0", 8088)
                })
                .probe(
                    CHECK,
                    URL,
                    response(
                        200,
                        JSON,
                        "{\"headers\": {\"X-Labgrade-Probe\": \"echo-me-7f3a\"}}",
                    ),
                )
                .random(token),
        ),
        // A traceback through the app's own file: a misspelt name is fixed on its line;
        // another error is named with its line.
        Case::fails(
            "500: NameError for a misspelt name, the code read",
            &get,
            CHECK,
            CauseId::AppErrorOnRequest,
            with_code(
                typo,
                traceback(
                    "return jsonfy({\"ok\": True})",
                    "NameError: name 'jsonfy' is not defined",
                ),
            ),
        ),
        Case::fails(
            "500: ZeroDivisionError, the code read",
            &get,
            CHECK,
            CauseId::AppErrorOnRequest,
            with_code(
                &typo.replace("jsonfy({\"ok\": True})", "1 / 0"),
                traceback("return 1 / 0", "ZeroDivisionError: division by zero"),
            ),
        ),
        Case::fails(
            "not sent",
            &get,
            CHECK,
            CauseId::NotSent,
            answered(
                CHECK,
                URL,
                ProbeOutcome::NotSent {
                    reason: "the spec's URL names no host port the container publishes".into(),
                },
            ),
        )
        .no_fix()
        .outcome(Outcome::Error),
    ];
    insta::assert_snapshot!("http", run_table(&cases));
}

/// A named pattern is said in words, in what is wanted and in why it failed; the
/// expression itself is not shown to the student.
#[test]
fn a_named_pattern_is_said_in_words() {
    let spec = spec(
        "  - get: /\n    status: 200\n    body_regex: '\"[a-z_]*latency[a-z_]*\"\\s*:\\s*[0-9.]+'\n    body_regex_means: a numeric latency\n",
    );
    let facts = answered(
        CHECK,
        URL,
        response(200, JSON, "{\"latency\": \"0.025 ms\", \"status\": \"ok\"}"),
    )
    .build();
    let v = verdict(&spec, &facts);
    let f = finding(&v, CHECK);
    assert_eq!(f.outcome, Outcome::Fail);
    let said = format!(
        "{} | {} | {} | {}",
        f.title,
        f.expected,
        f.cause.as_deref().unwrap_or(""),
        f.fix.as_deref().unwrap_or("")
    );
    assert!(said.contains("body shows a numeric latency"), "{said}");
    assert!(said.contains("does not show a numeric latency"), "{said}");
    assert!(!said.contains("[a-z_]"), "no regex for the student: {said}");
}
