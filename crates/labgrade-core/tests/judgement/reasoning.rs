//! Mistakes that no pattern table names, judged by the general rules of
//! docs/diagnoses.md ("How a cause is chosen"): a log line nothing matches, a container
//! with no socket table and no log, a 404, a container that is gone. Each must get a
//! cause more specific than "the app stopped; its log says …" or "nothing answers",
//! from the evidence consulted after the patterns: the app's own source read from the
//! image, and the daemon's events.

use labgrade_core::cause::CauseId;
use labgrade_core::facts::EventFact;

use crate::common::*;

const IMAGE: &str = "shop/api:v1";

fn spec(port: &str, http: &str) -> String {
    format!("container: web\nimage: {IMAGE}\nports: [\"{port}\"]\n{http}")
}

/// An image whose CMD is `cmd` in WORKDIR /app, holding `file`.
fn app(i: ImageB, cmd: &[&str], file: &str, text: &str) -> ImageB {
    let mut i = i.workdir("/app").text_file(file, text);
    i.0.cmd = Some(cmd.iter().map(|s| s.to_string()).collect());
    i
}

fn event(time_ms: i64, action: &str, name: &str) -> EventFact {
    EventFact {
        time_ms,
        action: action.into(),
        id: "c0ffee".into(),
        name: name.into(),
        image: Some(IMAGE.into()),
        ..Default::default()
    }
}

/// `web` made from `old`, removed, and made again from `new`: the second one is the
/// container the builder's `container("web", ...)` has (its id).
fn recreated(old: &str, new: &str) -> Vec<EventFact> {
    let was = |t: i64, action: &str| EventFact {
        image: Some(old.into()),
        ..event(t, action, "web")
    };
    let id = crate::common::sha("container:web")
        .trim_start_matches("sha256:")
        .to_string();
    let now = |t: i64, action: &str| EventFact {
        id: id.clone(),
        image: Some(new.into()),
        ..event(t, action, "web")
    };
    vec![
        was(1_795_000_000_000, "create"),
        was(1_795_000_000_300, "start"),
        was(1_795_000_060_000, "kill"),
        EventFact {
            exit_code: Some(137),
            ..was(1_795_000_060_100, "die")
        },
        was(1_795_000_060_200, "destroy"),
        now(1_795_000_065_000, "create"),
        now(1_795_000_065_300, "start"),
    ]
}

/// Causes that only say what was seen, with no reason: what the rules must go beyond.
const VAGUE: [CauseId; 6] = [
    CauseId::Exited,
    CauseId::RestartLoop,
    CauseId::NothingAnswers,
    CauseId::NotListening,
    CauseId::ContainerMissing,
    CauseId::AppError,
];

#[test]
fn unlisted_mistakes_get_a_specific_cause() {
    let get = "http:\n  - get: /\n";
    let fastapi = "import uvicorn\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get(\"/\")\nasync def root():\n    return {\"ok\": True}\n\n\nif __name__ == \"__main__\":\n    uvicorn.run(app, host=\"127.0.0.1\", port=8000)\n";
    let express = "const express = require('express');\nconst app = express();\nconst PORT = process.env.PORT || 3000;\n\napp.get('/products', (req, res) => res.json([]));\napp.get('/health', (req, res) => res.send('ok'));\n\napp.listen(PORT, () => console.log('up'));\n";
    let redis = "import os\nimport redis\nfrom flask import Flask\n\napp = Flask(__name__)\ncache = redis.Redis(host=os.environ[\"REDIS_HOST\"], port=6379)\n";
    let products = "from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n@app.route(\"/products\")\ndef get_products():\n    return jsonify([])\n\n\nif __name__ == \"__main__\":\n    app.run(host=\"0.0.0.0\", port=5000)\n";
    let ping = "from flask import Flask, jsonify\n\napp = Flask(__name__)\n\n\n@app.route(\"/ping\")\ndef latency():\n    return jsonify({\"latency_ms\": 0.1})\n\n\nif __name__ == \"__main__\":\n    app.run(host=\"0.0.0.0\", port=8080)\n";
    let cases = [
        // A crash whose log line no pattern knows (KeyError), read against the code.
        Case::fails(
            "exited: KeyError of a variable the code reads, missing from docker run",
            &spec("8097:8088", ""),
            "running:web",
            CauseId::AppEnvMissing,
            FactsBuilder::new()
                .image(IMAGE, |i| app(i, &["python", "app.py"], "/app/app.py", redis))
                .container("web", |c| {
                    c.image(IMAGE).exited(1).log([
                        "Traceback (most recent call last):",
                        "  File \"/app/app.py\", line 6, in <module>",
                        "    cache = redis.Redis(host=os.environ[\"REDIS_HOST\"], port=6379)",
                        "  File \"/usr/local/lib/python3.12/os.py\", line 685, in __getitem__",
                        "    raise KeyError(key) from None",
                        "KeyError: 'REDIS_HOST'",
                    ])
                }),
        ),
        // Docker Desktop with a silent app: no socket table, no address in the log.
        Case::fails(
            "reset, no sockets, no log: uvicorn.run binds 127.0.0.1 in the code",
            &spec("8097:8000", get),
            "http:web:GET /",
            CauseId::LoopbackInCode,
            FactsBuilder::new()
                .image(IMAGE, |i| app(i, &["python", "main.py"], "/app/main.py", fastapi))
                .container("web", |c| {
                    c.image(IMAGE)
                        .cmd(["python", "main.py"])
                        .published(8097, 8000)
                        .no_socket_table()
                })
                .probe("http:web:GET /", "http://127.0.0.1:8097/", failed(labgrade_core::facts::TransportError::Reset)),
        ),
        Case::fails(
            "reset, no sockets, no log: the Express app listens on its default 3000",
            &spec("8097:8088", get),
            "http:web:GET /",
            CauseId::PortInCode,
            FactsBuilder::new()
                .image(IMAGE, |i| app(i, &["node", "server.js"], "/app/server.js", express))
                .container("web", |c| {
                    c.image(IMAGE)
                        .cmd(["node", "server.js"])
                        .published(8097, 8088)
                        .no_socket_table()
                })
                .probe("http:web:GET /", "http://127.0.0.1:8097/", failed(labgrade_core::facts::TransportError::Reset)),
        ),
        // A 404 with a path prefix the code does not have.
        Case::fails(
            "404: the code declares /products, the lab asks /api/products",
            &spec("8097:8088", "http:\n  - get: /api/products\n"),
            "http:web:GET /api/products",
            CauseId::RouteNearMiss,
            FactsBuilder::new()
                .image(IMAGE, |i| app(i, &["node", "server.js"], "/app/server.js", express))
                .container("web", |c| c.image(IMAGE).cmd(["node", "server.js"]).published(8097, 8088))
                .probe(
                    "http:web:GET /api/products",
                    "http://127.0.0.1:8097/api/products",
                    response(404, "text/html", "Cannot GET /api/products"),
                ),
        ),
        // A 404 for a route the code lacks: the handler, written from what the lab asks
        // of the answer, goes above `if __name__ == "__main__":`.
        Case::fails(
            "404: the Flask code has no /health; the handler is written out",
            &spec("5000:5000", "http:\n  - get: /health\n    status: 200\n"),
            "http:web:GET /health",
            CauseId::RouteNotInCode,
            FactsBuilder::new()
                .image(IMAGE, |i| app(i, &["python", "app.py"], "/app/app.py", products))
                .container("web", |c| c.image(IMAGE).cmd(["python", "app.py"]).published(5000, 5000))
                .probe_with_alternatives(
                    "http:web:GET /health",
                    "http://127.0.0.1:5000/health",
                    response(404, "text/html", "Not Found"),
                    &[("/products", 200)],
                ),
        ),
        // The answer is a pattern nobody can write out, and /ping answers: its function is
        // given /latency too (seed 000's own fix, "kept /ping as an alias").
        Case::fails(
            "404: only /ping, the lab asks /latency by a pattern; /latency is added as an alias",
            &spec(
                "8000:8080",
                "http:\n  - get: /latency\n    body_regex: '\"latency_ms\": [0-9.]+'\n",
            ),
            "http:web:GET /latency",
            CauseId::RouteNotInCode,
            FactsBuilder::new()
                .image(IMAGE, |i| app(i, &["python", "app.py"], "/app/app.py", ping))
                .container("web", |c| c.image(IMAGE).cmd(["python", "app.py"]).published(8000, 8080))
                .probe_with_alternatives(
                    "http:web:GET /latency",
                    "http://127.0.0.1:8000/latency",
                    response(404, "text/html", "Not Found"),
                    &[("/ping", 200), ("/", 404)],
                ),
        ),
        // `flask run` decides the address, whatever app.run says: the CMD is the fix.
        Case::fails(
            "loopback under flask run, the code's app.run says 0.0.0.0",
            &spec("8097:5000", get),
            "http:web:GET /",
            CauseId::LoopbackBind,
            FactsBuilder::new()
                .image(IMAGE, |i| {
                    app(
                        i,
                        &["flask", "run"],
                        "/app/app.py",
                        "from flask import Flask\napp = Flask(__name__)\n\n@app.route('/')\ndef i():\n    return 'hi'\n\nif __name__ == '__main__':\n    app.run(host='0.0.0.0', port=5000)\n",
                    )
                })
                .container("web", |c| {
                    c.image(IMAGE)
                        .cmd(["flask", "run"])
                        .published(8097, 5000)
                        .listening("127.0.0.1", 5000)
                })
                .probe("http:web:GET /", "http://127.0.0.1:8097/", failed(labgrade_core::facts::TransportError::EmptyReply)),
        ),
        // The sockets and the code disagree: both explanations are given.
        Case::fails(
            "loopback in the socket table, 0.0.0.0 in the code",
            &spec("8097:8088", get),
            "http:web:GET /",
            CauseId::LoopbackBind,
            FactsBuilder::new()
                .image(IMAGE, |i| {
                    app(
                        i,
                        &["python", "app.py"],
                        "/app/app.py",
                        "from flask import Flask\napp = Flask(__name__)\napp.run(host='0.0.0.0', port=8088)\n",
                    )
                })
                .container("web", |c| {
                    c.image(IMAGE)
                        .cmd(["python", "app.py"])
                        .published(8097, 8088)
                        .listening("127.0.0.1", 8088)
                })
                .probe("http:web:GET /", "http://127.0.0.1:8097/", failed(labgrade_core::facts::TransportError::Reset)),
        ),
        // Gone: the events tell a `docker run --rm` crash from a container never made.
        Case::fails(
            "no container: it ran with --rm, was OOM-killed and removed with it",
            &spec("8097:8088", ""),
            "container:web",
            CauseId::ContainerRemoved,
            FactsBuilder::new().no_container("web").events(
                "web",
                vec![
                    event(1_795_000_000_000, "create", "web"),
                    event(1_795_000_000_000, "start", "web"),
                    event(1_795_000_004_000, "oom", "web"),
                    EventFact {
                        exit_code: Some(137),
                        ..event(1_795_000_004_000, "die", "web")
                    },
                    event(1_795_000_004_000, "destroy", "web"),
                ],
            ),
        ),
        Case::fails(
            "no container: it crashed and was removed by hand seconds later",
            &spec("8097:8088", ""),
            "container:web",
            CauseId::ContainerRemoved,
            FactsBuilder::new().no_container("web").events(
                "web",
                vec![
                    event(1_795_000_000_000, "create", "web"),
                    event(1_795_000_000_100, "start", "web"),
                    EventFact {
                        exit_code: Some(1),
                        ..event(1_795_000_001_000, "die", "web")
                    },
                    event(1_795_000_000_900, "start", "web"),
                    EventFact {
                        exit_code: Some(1),
                        ..event(1_795_000_002_000, "die", "web")
                    },
                    event(1_795_000_006_500, "destroy", "web"),
                ],
            ),
        ),
        // A busy daemon removes a `--rm` container a second or more after its exit.
        Case::fails(
            "no container: it crashed under --rm, removed 1.4 s later",
            &spec("8097:8088", ""),
            "container:web",
            CauseId::ContainerRemoved,
            FactsBuilder::new().no_container("web").events(
                "web",
                vec![
                    event(1_795_000_000_000, "create", "web"),
                    event(1_795_000_000_100, "start", "web"),
                    EventFact {
                        exit_code: Some(1),
                        ..event(1_795_000_001_000, "die", "web")
                    },
                    event(1_795_000_002_400, "destroy", "web"),
                ],
            ),
        ),
        // `podman rm -f`: Podman logs no kill, only the SIGKILL's exit code, and the
        // removal (its `remove`, read as `destroy`) at once. That is no `--rm`.
        Case::fails(
            "no container: podman rm -f, a SIGKILL with no kill event",
            &spec("8097:8088", ""),
            "container:web",
            CauseId::ContainerRemoved,
            FactsBuilder::new().no_container("web").events(
                "web",
                vec![
                    event(1_795_000_000_000, "create", "web"),
                    event(1_795_000_000_100, "start", "web"),
                    EventFact {
                        exit_code: Some(137),
                        ..event(1_795_000_009_000, "die", "web")
                    },
                    event(1_795_000_009_300, "destroy", "web"),
                ],
            ),
        ),
        Case::fails(
            "no container: it was renamed, and the new name exists",
            &spec("8097:8088", ""),
            "container:web",
            CauseId::ContainerRenamed,
            FactsBuilder::new()
                .no_container("web")
                .other("web-old", IMAGE, "running")
                .events(
                    "web",
                    vec![
                        event(1_795_000_000_000, "create", "web"),
                        EventFact {
                            old_name: Some("web".into()),
                            ..event(1_795_000_090_000, "rename", "web-old")
                        },
                    ],
                ),
        ),
        // There, but made again lately: a `docker rm` and a `docker run` typed again.
        Case::fails(
            "recreated: the docker run typed again has no -p",
            &spec("8097:8088", ""),
            "port:web:8097:8088",
            CauseId::ContainerRecreated,
            FactsBuilder::new()
                .container("web", |c| c.image(IMAGE))
                .events("web", recreated(IMAGE, IMAGE)),
        ),
        Case::fails(
            "recreated: the new one runs another image than the one it replaced",
            &spec("8097:8088", ""),
            "from-image:web",
            CauseId::ContainerRecreated,
            FactsBuilder::new()
                .container("web", |c| c.image("shop/api:test").published(8097, 8088))
                .events("web", recreated(IMAGE, "shop/api:test")),
        ),
        // Made once, never replaced: the plain causes stand.
        Case::fails(
            "not recreated: started once without -p, the plain cause stands",
            &spec("8097:8088", ""),
            "port:web:8097:8088",
            CauseId::ExposeNotPublish,
            FactsBuilder::new()
                .container("web", |c| c.image(IMAGE).exposed(8088))
                .events("web", recreated(IMAGE, IMAGE).split_off(5)),
        ),
        Case::fails(
            "recreated from another image, but the old one was not the lab's either",
            &spec("8097:8088", ""),
            "from-image:web",
            CauseId::WrongImage,
            FactsBuilder::new()
                .container("web", |c| c.image("shop/api:test").published(8097, 8088))
                .events("web", recreated("shop/api:dev", "shop/api:test")),
        ),
    ];
    for c in &cases {
        assert!(
            !c.cause_id.is_some_and(|id| VAGUE.contains(&id)),
            "{}: a vague cause is no answer",
            c.name
        );
    }
    insta::assert_snapshot!("reasoning", run_table(&cases));
}
