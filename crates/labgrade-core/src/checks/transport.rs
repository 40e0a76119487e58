//! The HTTP check's transport failures (refused, reset, timed out, closed, TLS, DNS, ...): what each means for this container and what to type.

use super::*;

pub(crate) fn judge(
    plan: &Plan,
    facts: &Facts,
    error: TransportError,
    message: &str,
    p: &ProbeFacts,
    c: Option<&ContainerFacts>,
    host_port: Option<u16>,
) -> Judgement {
    let image = c.and_then(|c| image_of(facts, c));
    let found = transport_found(error, message);
    let logs = c.map(|c| format!("docker logs {}", c.name));
    // Which container port the host port leads to, per the container's real mapping.
    let inner = c.zip(host_port).and_then(|(c, hp)| {
        c.published
            .iter()
            .find(|x| x.host_port == hp && x.proto == "tcp")
    });
    // The container port the spec wants behind this host port.
    let wanted_inner = c.and_then(|c| {
        plan.checks.iter().find_map(|k| match &k.kind {
            CheckKind::PortPublished(PortPublished { container, mapping })
                if container.0 == c.name
                    && Some(mapping.host_port) == host_port
                    && mapping.proto == Proto::Tcp =>
            {
                Some(mapping.container_port)
            }
            _ => None,
        })
    });
    // The app listens on `actual`: either the mapping is wrong (the spec agrees with the
    // app) or the app is (the spec wants another port); say which, never contradict the spec.
    let port_fix = |c: &ContainerFacts, actual: u16| match (wanted_inner, host_port) {
        (Some(w), _) if w == actual => recreate(plan, &ContainerName(c.name.clone())),
        // A framework CLI decides the port: its CMD is where it is fixed.
        (Some(w), _) if let Some(fix) = cli_listen_port(c.cmd.as_deref(), w, false) => fix,
        (Some(w), _) => format!(
            "make the app listen on port {w}, the port the lab asks for (e.g. app.run(host='0.0.0.0', port={w})), then rebuild the image and run the container again"
        ),
        (None, Some(hp)) => format!(
            "docker rm -f {0} && docker run -d --name {0} -p {hp}:{actual} {1}",
            c.name, c.image_name
        ),
        (None, None) => format!("publish the port the app listens on, {actual}"),
    };
    // The app listens on `actual` where the lab wants another port inside the container:
    // the line of its code that says so, when observe read it.
    let in_code = |actual: u16, cause: &str| {
        let c = c?;
        let w = wanted_inner.filter(|w| *w != actual)?;
        super::code::wrong_port(plan, facts, c, actual, w, cause)
    };
    match error {
        TransportError::Reset | TransportError::EmptyReply | TransportError::Refused
            if inner.is_some() =>
        {
            let (c, inner) = (c.expect("inner implies container"), inner.expect("checked"));
            // A command typed after the image name, replacing the server the image starts:
            // named where nothing else explains the silence.
            let overridden = overridden_command(c, image);
            let rerun = || Some(recreate(plan, &ContainerName(c.name.clone())));
            if let Some(listening) = &c.listening {
                let on_port: Vec<_> = listening
                    .iter()
                    .filter(|l| l.port == inner.container_port)
                    .collect();
                if !on_port.is_empty() && on_port.iter().all(|l| l.is_loopback()) {
                    let t = super::code::loopback(
                        plan,
                        facts,
                        c,
                        inner.container_port,
                        format!(
                            "the app listens on {}:{} inside the container, so the published port cannot reach it",
                            on_port[0].ip, inner.container_port
                        ),
                        "bind it to 0.0.0.0",
                    );
                    return fail(t.id, found, t.cause, t.fix);
                }
                if on_port.is_empty() {
                    let others: Vec<_> = listening.iter().filter(|l| !l.is_loopback()).collect();
                    return match others.first() {
                        Some(o) => {
                            let cause = format!(
                                "nothing listens on {} inside the container; the app listens on {}",
                                inner.container_port, o.port
                            );
                            match in_code(o.port, &cause) {
                                Some(t) => fail(t.id, found, t.cause, t.fix),
                                None => fail(
                                    CauseId::AppWrongPort,
                                    found,
                                    cause,
                                    Some(port_fix(c, o.port)),
                                ),
                            }
                        }
                        None if !listening.is_empty() => {
                            let cause = format!(
                                "the app listens only on {}:{} inside the container, which the published port cannot reach",
                                listening[0].ip, listening[0].port
                            );
                            // A framework CLI's defaults (`flask run`: 127.0.0.1:5000):
                            // both set in its CMD.
                            if let Some(w) = wanted_inner
                                && w != listening[0].port
                                && let Some(fix) = cli_listen_port(c.cmd.as_deref(), w, true)
                            {
                                return fail(
                                    CauseId::LoopbackBind,
                                    found,
                                    format!("{cause}; bind it to 0.0.0.0:{w}"),
                                    Some(fix),
                                );
                            }
                            let t = in_code(listening[0].port, &cause).unwrap_or_else(|| {
                                super::code::loopback(
                                    plan,
                                    facts,
                                    c,
                                    inner.container_port,
                                    cause,
                                    &format!("bind it to 0.0.0.0:{}", inner.container_port),
                                )
                            });
                            fail(t.id, found, t.cause, t.fix)
                        }
                        None if overridden.is_some() => fail(
                            CauseId::CommandOverridden,
                            found,
                            overridden.unwrap_or_default(),
                            rerun(),
                        ),
                        None => match still_starting(c) {
                            Some(young) => fail(
                                CauseId::StillStarting,
                                found,
                                format!("nothing listens inside the container yet: {young}"),
                                Some(format!(
                                    "docker logs {}   # has the app finished starting?",
                                    c.name
                                )),
                            ),
                            None => fail(
                                CauseId::NotListening,
                                found,
                                format!(
                                    "nothing listens inside the container on any port, so port {} cannot answer",
                                    inner.container_port
                                ),
                                Some(format!("docker logs {}", c.name)),
                            ),
                        },
                    };
                }
                // The table says the port can reach the app, the probe says the app did
                // not answer: say what each shows rather than pick one.
                if let Some(l) = on_port.iter().find(|l| !l.is_loopback()) {
                    let log_says = log_addresses(&c.log_tail)
                        .into_iter()
                        .find(|a| a.loopback)
                        .map_or(String::new(), |a| {
                            format!(
                                " (its log says {}, but the socket table is what the kernel holds)",
                                quote(&a.line, 80)
                            )
                        });
                    return fail(
                        CauseId::ListeningButClosed,
                        found,
                        format!(
                            "the evidence disagrees: the container's socket table shows the app listening on {}:{}{log_says}, which the published port reaches, yet the request got {}: the app accepts connections and closes them without an answer (it may fail on every request, or expect HTTPS)",
                            l.ip,
                            inner.container_port,
                            error.describe()
                        ),
                        logs.clone(),
                    );
                }
            }
            // No socket table (Docker Desktop, a remote engine): the addresses the app's
            // own log says it listens on are the next best evidence.
            let heard = log_addresses(&c.log_tail);
            let everywhere = heard.iter().find(|a| !a.loopback);
            let on_loopback = heard.iter().find(|a| a.loopback);
            // The same order as with a socket table: a port the app says it listens on
            // first, then a command that replaced the image's.
            let wrong_port =
                everywhere.is_some_and(|a| a.port.is_some_and(|p| p != inner.container_port));
            if let Some(cause) = overridden.filter(|_| on_loopback.is_none() && !wrong_port) {
                return fail(CauseId::CommandOverridden, found, cause, rerun());
            }
            match (everywhere, on_loopback) {
                (Some(a), _) if a.port.is_some_and(|p| p != inner.container_port) => {
                    let port = a.port.unwrap_or_default();
                    let cause = format!(
                        "nothing answers on port {} inside the container; the app's log says it listens on port {port} ({})",
                        inner.container_port,
                        quote(&a.line, 80)
                    );
                    match in_code(port, &cause) {
                        Some(t) => fail(t.id, found, t.cause, t.fix),
                        None => fail(CauseId::AppWrongPort, found, cause, Some(port_fix(c, port))),
                    }
                }
                (None, Some(a)) => {
                    let t = super::code::loopback(
                        plan,
                        facts,
                        c,
                        inner.container_port,
                        format!(
                            "the app only listens inside the container on loopback (its log says {})",
                            quote(&a.line, 80)
                        ),
                        "bind it to 0.0.0.0",
                    );
                    fail(t.id, found, t.cause, t.fix)
                }
                _ if let Some(t) =
                    super::code::unheard(plan, facts, c, inner.container_port, wanted_inner) =>
                {
                    fail(t.id, found, t.cause, t.fix)
                }
                _ => fail(
                    CauseId::NothingAnswers,
                    found,
                    format!(
                        "port {} is published, but nothing answers on port {} inside the container: the app listens on another port, or on 127.0.0.1 instead of 0.0.0.0{}",
                        inner.host_port,
                        inner.container_port,
                        still_starting(c).map_or(String::new(), |y| format!("; or {y}"))
                    ),
                    Some(format!("docker logs {}", c.name)),
                ),
            }
        }
        TransportError::Refused => fail(
            CauseId::ConnectionRefused,
            found,
            format!(
                "nothing accepts connections at {}: the port is not published or the app is not running",
                p.url
            ),
            None,
        ),
        TransportError::ConnectTimeout => fail(
            CauseId::ConnectTimeout,
            found,
            format!(
                "nothing at {} answered the connection in time: the address is wrong or a firewall drops it",
                p.url
            ),
            None,
        ),
        TransportError::Timeout => fail(
            CauseId::Timeout,
            found,
            "the app accepted the connection but sent no answer in time: it may be stuck, or waiting for more of the request",
            logs,
        ),
        TransportError::SlowBody => fail(
            CauseId::SlowBody,
            found,
            "the app sent its headers but its body never finished: an endless or very slow answer",
            logs,
        ),
        TransportError::CutShort => fail(
            CauseId::CutShort,
            found,
            "the connection ended in the middle of the app's answer: the app may have crashed while answering",
            logs,
        ),
        TransportError::NotHttp => fail(
            CauseId::NotHttp,
            found,
            "what came back is not HTTP: the app may speak HTTPS/TLS or another protocol on this port",
            None,
        ),
        TransportError::HeadersTooLarge => fail(
            CauseId::HeadersTooLarge,
            found,
            "the app's answer has headers far larger than any HTTP client accepts",
            logs,
        ),
        TransportError::RedirectLoop => fail(
            CauseId::TooManyRedirects,
            found,
            "the app keeps redirecting, more than 5 times on the same server",
            None,
        ),
        _ => fail(
            CauseId::TransportOther,
            found,
            format!("the request to {} failed: {}", p.url, error.describe()),
            None,
        ),
    }
}

/// "connection reset", plus the low-level message when it says more than that.
pub(crate) fn transport_found(error: TransportError, message: &str) -> String {
    let detail = match message.find(" (os error") {
        Some(i) => &message[..i],
        None => message,
    };
    let said = error.describe();
    let same = detail.to_lowercase().contains(said) || detail.is_empty();
    if same {
        said.to_string()
    } else {
        format!("{said} ({})", truncate(detail, 120))
    }
}

/// An address an app's log says it listens on.
#[derive(Debug, PartialEq)]
pub struct Heard {
    pub loopback: bool,
    pub port: Option<u16>,
    pub line: String,
}

/// The addresses a log says the app listens on, the way Flask/Werkzeug ("Running on
/// http://127.0.0.1:8080", "Running on all addresses (0.0.0.0)"), uvicorn, gunicorn
/// ("Listening at: http://…"), http.server ("Serving HTTP on 0.0.0.0 port 8000") and
/// Node apps print them. A "Running on http://127.0.0.1" line beside "all addresses" is
/// one of the addresses of an app that listens everywhere, not a loopback bind.
pub fn log_addresses(log: &[String]) -> Vec<Heard> {
    let mut out = Vec::new();
    let all = log
        .iter()
        .any(|l| l.contains("Running on all addresses") || l.contains("all interfaces"));
    for l in log {
        let parsed = if let Some(i) = l.find("http://") {
            let rest = &l[i + 7..];
            let end = rest.find(['/', ' ', ')', '"']).unwrap_or(rest.len());
            let host_port = &rest[..end];
            let (host, port) = match host_port.rsplit_once(':') {
                Some((h, p)) => (h, p.parse::<u16>().ok()),
                None => (host_port, Some(80)),
            };
            Some((host.trim_matches(['[', ']']).to_string(), port))
        } else if let Some(i) = l.find("Serving HTTP on ") {
            let mut w = l[i + 16..].split_whitespace();
            let host = w.next().unwrap_or_default().to_string();
            let port = (w.next() == Some("port"))
                .then(|| w.next().and_then(|p| p.parse::<u16>().ok()))
                .flatten();
            Some((host, port))
        } else {
            None
        };
        let Some((host, port)) = parsed else { continue };
        let loopback = host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|a| a.is_loopback());
        let listens_everywhere = host == "0.0.0.0" || host == "::" || all;
        out.push(Heard {
            loopback: loopback && !listens_everywhere,
            port,
            line: l.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flask_on_all_addresses_is_not_loopback() {
        let h = log_addresses(&log(&[
            " * Running on all addresses (0.0.0.0)",
            " * Running on http://127.0.0.1:8080",
            " * Running on http://172.17.0.2:8080",
        ]));
        assert!(h.iter().all(|a| !a.loopback), "{h:?}");
        assert!(h.iter().all(|a| a.port == Some(8080)));
    }

    #[test]
    fn loopback_binds_are_heard() {
        for line in [
            " * Running on http://127.0.0.1:5000",
            "INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)",
            "[INFO] Listening at: http://127.0.0.1:8000 (1)",
            "Serving HTTP on 127.0.0.1 port 8088 (http://127.0.0.1:8088/) ...",
            "Server listening on http://localhost:3000",
        ] {
            let h = log_addresses(&log(&[line]));
            assert!(h.first().is_some_and(|a| a.loopback), "{line}: {h:?}");
        }
        let h = log_addresses(&log(&[
            "Serving HTTP on 0.0.0.0 port 8000 (http://0.0.0.0:8000/) ...",
        ]));
        assert!(
            h.iter().all(|a| !a.loopback && a.port == Some(8000)),
            "{h:?}"
        );
        assert!(log_addresses(&log(&["GET / HTTP/1.1 200"])).is_empty());
    }
}
