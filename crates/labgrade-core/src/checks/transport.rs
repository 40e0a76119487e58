//! The HTTP check's transport failures (refused, reset, timed out, closed, TLS, DNS, ...): what each means for this container and what to type.

use super::*;

pub(crate) fn judge(
    plan: &Plan,
    error: TransportError,
    message: &str,
    p: &ProbeFacts,
    c: Option<&ContainerFacts>,
    host_port: Option<u16>,
) -> Judgement {
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
            CheckKind::PortPublished { container, mapping }
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
        (Some(w), _) => format!(
            "make the app listen on port {w}, the port the lab asks for (e.g. app.run(host='0.0.0.0', port={w})), then rebuild the image and run the container again"
        ),
        (None, Some(hp)) => format!(
            "docker rm -f {0} && docker run -d --name {0} -p {hp}:{actual} {1}",
            c.name, c.image_name
        ),
        (None, None) => format!("publish the port the app listens on, {actual}"),
    };
    match error {
        TransportError::Reset | TransportError::EmptyReply | TransportError::Refused
            if inner.is_some() =>
        {
            let (c, inner) = (c.expect("inner implies container"), inner.expect("checked"));
            if let Some(listening) = &c.listening {
                let on_port: Vec<_> = listening
                    .iter()
                    .filter(|l| l.port == inner.container_port)
                    .collect();
                if !on_port.is_empty() && on_port.iter().all(|l| l.is_loopback()) {
                    return fail(
                        CauseId::LoopbackBind,
                        found,
                        format!(
                            "the app listens on {}:{} inside the container, so the published port cannot reach it; bind it to 0.0.0.0",
                            on_port[0].ip, inner.container_port
                        ),
                        Some("make the app listen on 0.0.0.0, e.g. app.run(host='0.0.0.0'), then rebuild the image and run the container again".into()),
                    );
                }
                if on_port.is_empty() {
                    let others: Vec<_> = listening.iter().filter(|l| !l.is_loopback()).collect();
                    return match others.first() {
                        Some(o) => fail(
                            CauseId::AppWrongPort,
                            found,
                            format!(
                                "nothing listens on {} inside the container; the app listens on {}",
                                inner.container_port, o.port
                            ),
                            Some(port_fix(c, o.port)),
                        ),
                        None if !listening.is_empty() => fail(
                            CauseId::LoopbackBind,
                            found,
                            format!(
                                "the app listens only on {}:{} inside the container, which the published port cannot reach; bind it to 0.0.0.0:{}",
                                listening[0].ip, listening[0].port, inner.container_port
                            ),
                            Some("make the app listen on 0.0.0.0, e.g. app.run(host='0.0.0.0', port=...)".into()),
                        ),
                        None => fail(
                            CauseId::NotListening,
                            found,
                            format!("nothing listens inside the container on any port, so port {} cannot answer", inner.container_port),
                            Some(format!("docker logs {}", c.name)),
                        ),
                    };
                }
            }
            let log_hint = c.log_tail.iter().rev().find(|l| {
                l.contains("Running on http://127.0.0.1")
                    || l.contains("Running on http://localhost")
            });
            let (id, cause) = match log_hint {
                Some(l) => (
                    CauseId::LoopbackBind,
                    format!(
                        "the app only listens inside the container on loopback (its log says {}); bind it to 0.0.0.0",
                        quote(l, 80)
                    ),
                ),
                None => (
                    CauseId::NothingAnswers,
                    format!(
                        "port {} is published, but nothing answers on port {} inside the container: the app listens on another port, or on 127.0.0.1 instead of 0.0.0.0",
                        inner.host_port, inner.container_port
                    ),
                ),
            };
            fail(id, found, cause, Some(format!("docker logs {}", c.name)))
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
