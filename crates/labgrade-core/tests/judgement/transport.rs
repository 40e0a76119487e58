//! `http:` transport failures — every [`TransportError`], each with the container's socket
//! table showing the app on loopback, on another port, or nothing, and with no socket
//! table at all (Docker Desktop, where the VM's /proc is not visible).

use labgrade_core::cause::CauseId;
use labgrade_core::facts::TransportError as E;

use crate::common::*;

const SPEC: &str = "container: web\nimage: nautilus/python-app\nports: [\"8097:8088\"]\nhttp:\n  - get: /\n    status: 200\n";
const CHECK: &str = "http:web:GET /";
const URL: &str = "http://127.0.0.1:8097/";

const ALL: [E; 12] = [
    E::Refused,
    E::Reset,
    E::EmptyReply,
    E::ConnectTimeout,
    E::Timeout,
    E::SlowBody,
    E::CutShort,
    E::NotHttp,
    E::HeadersTooLarge,
    E::RedirectLoop,
    E::Dns,
    E::Other,
];

/// What the container's socket table shows.
#[derive(Clone, Copy, Debug)]
enum Sockets {
    /// The app on 127.0.0.1:8088 (Flask's default host).
    Loopback,
    /// The app on 0.0.0.0:8080, not the published 8088.
    OtherPort,
    /// Nothing listens.
    Nothing,
    /// The table could not be read.
    Unknown,
    /// The app on 0.0.0.0:8088, where the port reaches it, while its log names loopback:
    /// the evidence disagrees with itself and with the probe.
    Right,
}

const SOCKETS: [Sockets; 5] = [
    Sockets::Loopback,
    Sockets::OtherPort,
    Sockets::Nothing,
    Sockets::Unknown,
    Sockets::Right,
];

fn facts(error: E, sockets: Sockets) -> FactsBuilder {
    FactsBuilder::new()
        .image("nautilus/python-app", |i| i.exposed(8088))
        .container("web", |c| {
            let c = c.image("nautilus/python-app").published(8097, 8088);
            match sockets {
                Sockets::Loopback => c
                    .listening("127.0.0.1", 8088)
                    .log([" * Running on http://127.0.0.1:8088"]),
                Sockets::OtherPort => c.listening("0.0.0.0", 8080).log([
                    " * Running on all addresses (0.0.0.0)",
                    " * Running on http://172.17.0.2:8080",
                ]),
                Sockets::Nothing => c.log(["worker started, waiting for jobs"]),
                Sockets::Unknown => c
                    .no_socket_table()
                    .log(["Listening at: http://0.0.0.0:8080"]),
                Sockets::Right => c
                    .listening("0.0.0.0", 8088)
                    .log([" * Running on http://127.0.0.1:8088"]),
            }
        })
        .probe(CHECK, URL, failed(error))
}

/// The cause the judgement must name for a failure and a socket table.
fn want(error: E, sockets: Sockets) -> CauseId {
    match error {
        // The connection reached the published port, and the socket table says why
        // nothing answered behind it.
        E::Refused | E::Reset | E::EmptyReply => match sockets {
            Sockets::Loopback => CauseId::LoopbackBind,
            Sockets::OtherPort => CauseId::AppWrongPort,
            Sockets::Nothing => CauseId::NotListening,
            // The log says where the app listens: 0.0.0.0:8080, not the 8088 published.
            Sockets::Unknown => CauseId::AppWrongPort,
            Sockets::Right => CauseId::ListeningButClosed,
        },
        E::ConnectTimeout => CauseId::ConnectTimeout,
        E::Timeout => CauseId::Timeout,
        E::SlowBody => CauseId::SlowBody,
        E::CutShort => CauseId::CutShort,
        E::NotHttp => CauseId::NotHttp,
        E::HeadersTooLarge => CauseId::HeadersTooLarge,
        E::RedirectLoop => CauseId::TooManyRedirects,
        E::Dns | E::Other => CauseId::TransportOther,
    }
}

/// Whether the judgement gives a fix to type for the failure.
fn has_fix(error: E) -> bool {
    !matches!(
        error,
        E::ConnectTimeout | E::NotHttp | E::RedirectLoop | E::Dns | E::Other
    )
}

#[test]
fn every_error_with_every_socket_table() {
    let mut cases = Vec::new();
    for error in ALL {
        for sockets in SOCKETS {
            let mut case = Case::fails(
                format!("{error:?}, sockets {sockets:?}"),
                SPEC,
                CHECK,
                want(error, sockets),
                facts(error, sockets),
            );
            case.fix = has_fix(error);
            cases.push(case);
        }
    }
    assert_eq!(cases.len(), 60);
    insta::assert_snapshot!("transport", run_table(&cases));
}

#[test]
fn special_cases() {
    let cases = [
        // No socket table, but the log says where the app listens.
        Case::fails(
            "reset, no socket table, Flask says 127.0.0.1",
            SPEC,
            CHECK,
            CauseId::LoopbackBind,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| i)
                .container("web", |c| {
                    c.image("nautilus/python-app")
                        .published(8097, 8088)
                        .no_socket_table()
                        .log([
                            " * Serving Flask app 'server'",
                            " * Running on http://127.0.0.1:8088",
                            "Press CTRL+C to quit",
                        ])
                })
                .probe(CHECK, URL, failed(E::Reset)),
        ),
        // On loopback, and on another port too.
        Case::fails(
            "empty reply, app on 127.0.0.1:5000 only",
            SPEC,
            CHECK,
            CauseId::LoopbackBind,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| i)
                .container("web", |c| {
                    c.image("nautilus/python-app")
                        .published(8097, 8088)
                        .listening("127.0.0.1", 5000)
                })
                .probe(CHECK, URL, failed(E::EmptyReply)),
        ),
        // `docker run ... IMAGE --listen 127.0.0.1:8088`: the words replaced a CMD that
        // listens everywhere, so the fix is the docker run without them.
        Case::fails(
            "reset, the docker run's words ask for 127.0.0.1",
            SPEC,
            CHECK,
            CauseId::LoopbackBind,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| {
                    i.cmd(["python", "server.py", "--host", "0.0.0.0"])
                })
                .container("web", |c| {
                    c.image("nautilus/python-app")
                        .cmd(["python", "server.py", "--host", "127.0.0.1"])
                        .published(8097, 8088)
                        .listening("127.0.0.1", 8088)
                })
                .probe(CHECK, URL, failed(E::Reset)),
        ),
        // `docker run ... IMAGE flask run --host 127.0.0.1` over `CMD ["flask", "run"]`:
        // the image's CMD binds loopback too, so dropping the words would not do.
        Case::fails(
            "reset, the docker run's words and the image's flask run both on loopback",
            SPEC,
            CHECK,
            CauseId::LoopbackBind,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| i.cmd(["flask", "run"]))
                .container("web", |c| {
                    c.image("nautilus/python-app")
                        .cmd(["flask", "run", "--host", "127.0.0.1", "--port", "8088"])
                        .published(8097, 8088)
                        .listening("127.0.0.1", 8088)
                })
                .probe(CHECK, URL, failed(E::Reset)),
        ),
        // The app listens on 8080 as the spec says, but -p goes to 8088: the fix is the
        // -p, not the app.
        Case::fails(
            "reset, spec and app on 8080, -p 8097:8088",
            &SPEC.replace("8097:8088", "8097:8080"),
            CHECK,
            CauseId::AppWrongPort,
            facts(E::Reset, Sockets::OtherPort),
        ),
        // Nothing published on the host port: refused, because of the port check.
        Case::fails(
            "refused, port not published",
            SPEC,
            CHECK,
            CauseId::ConnectionRefused,
            FactsBuilder::new()
                .image("nautilus/python-app", |i| i)
                .container("web", |c| {
                    c.image("nautilus/python-app").listening("0.0.0.0", 8088)
                })
                .probe(CHECK, URL, failed(E::Refused)),
        )
        .no_fix(),
    ];
    insta::assert_snapshot!("transport_special", run_table(&cases));
}

#[test]
fn a_refused_request_through_an_unpublished_port_names_the_port_check() {
    let facts = FactsBuilder::new()
        .image("nautilus/python-app", |i| i)
        .container("web", |c| {
            c.image("nautilus/python-app").published(8098, 8088)
        })
        .probe(CHECK, URL, failed(E::Refused))
        .build();
    let v = verdict(SPEC, &facts);
    let h = finding(&v, CHECK);
    assert_eq!(h.because_of.as_deref(), Some("port:web:8097:8088"));
    assert_eq!(v.root_cause.as_deref(), Some("port:web:8097:8088"));
}

#[test]
fn evidence_shows_the_socket_table_and_the_log() {
    let v = verdict(SPEC, &facts(E::Reset, Sockets::Loopback).build());
    assert_eq!(
        finding(&v, CHECK).evidence,
        [
            "listening inside the container: 127.0.0.1:8088",
            "log:  * Running on http://127.0.0.1:8088"
        ]
    );
    let v = verdict(SPEC, &facts(E::Reset, Sockets::Nothing).build());
    assert_eq!(
        finding(&v, CHECK).evidence[0],
        "listening inside the container: nothing"
    );
    let v = verdict(SPEC, &facts(E::Reset, Sockets::Unknown).build());
    assert!(
        !finding(&v, CHECK).evidence[0].starts_with("listening"),
        "no socket table, no line about it"
    );
}
