//! HTTP probes: one request, bounded in time and size, with its failure classified the way
//! curl users know it (refused, reset, empty reply, timeout, not HTTP).

use std::cell::Cell;
use std::time::{Duration, Instant};

use reqwest::redirect::Policy;

use crate::facts::{ProbeOutcome, TransportError};
use crate::spec::{HttpExpect, StatusSpec};

/// Largest response body read; the rest is never buffered.
pub use crate::facts::BODY_CAP;
/// Most response headers kept, and the longest header value.
const HEADER_COUNT_CAP: usize = 100;
const HEADER_VALUE_CAP: usize = 2048;
/// Redirects followed within the same origin before giving up.
const MAX_REDIRECTS: usize = 5;

/// The two clients the probes share: one follows redirects within the same origin
/// (scheme, host and port), one never follows, for checks that expect a 3xx answer.
pub(crate) struct Clients {
    follow: reqwest::Client,
    manual: reqwest::Client,
}

/// Builds the clients: no proxy, no cookies, no decompression. The system's root
/// certificates are loaded only when some probe uses https (loading them costs more than
/// a whole plain check).
pub(crate) fn clients(connect_timeout: Duration, https: bool) -> Result<Clients, String> {
    let same_origin = Policy::custom(|attempt| {
        let origin = |u: &reqwest::Url| {
            (
                u.scheme().to_string(),
                u.host_str().map(str::to_owned),
                u.port_or_known_default(),
            )
        };
        let first = attempt.previous().first().map(origin);
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if first != Some(origin(attempt.url())) {
            // Another origin: stop and let the check show where it pointed.
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let build = |policy: Policy| {
        let mut builder = reqwest::Client::builder();
        if !https {
            builder = builder.tls_certs_only([]);
        }
        builder
            .no_proxy()
            .redirect(policy)
            .connect_timeout(connect_timeout)
            .pool_max_idle_per_host(0)
            .user_agent(concat!("labgrade/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))
    };
    Ok(Clients {
        follow: build(same_origin)?,
        manual: build(Policy::none())?,
    })
}

impl Clients {
    /// The client for an expectation: a check that expects a redirect sees it as is.
    fn for_expect(&self, h: &HttpExpect) -> &reqwest::Client {
        let wants_redirect = match h.status {
            StatusSpec::Exact(c) => (300..400).contains(&c),
            StatusSpec::Class(c) => c == 3,
        };
        if wants_redirect {
            &self.manual
        } else {
            &self.follow
        }
    }
}

/// Sends one request and reads its answer, all within `timeout`.
pub(crate) async fn send(
    clients: &Clients,
    url: &str,
    h: &HttpExpect,
    timeout: Duration,
) -> ProbeOutcome {
    let method =
        reqwest::Method::from_bytes(h.method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = clients.for_expect(h).request(method, url);
    for (k, v) in &h.headers {
        req = req.header(k, v);
    }
    if let Some(body) = &h.body {
        req = req.body(body.clone());
    }
    let started = Instant::now();
    // Set once the status line and headers are in, to tell a slow or cut-short body
    // apart from a server that never answered.
    let headers_in: Cell<Option<usize>> = Cell::new(None);
    let work = async {
        let mut resp = req.send().await?;
        headers_in.set(Some(0));
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .take(HEADER_COUNT_CAP)
            .map(|(k, v)| {
                let v = String::from_utf8_lossy(v.as_bytes());
                (
                    k.as_str().to_string(),
                    v.chars().take(HEADER_VALUE_CAP).collect(),
                )
            })
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = resp.chunk().await? {
            let room = BODY_CAP - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
            headers_in.set(Some(body.len()));
        }
        Ok::<_, reqwest::Error>(ProbeOutcome::Response {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            truncated,
        })
    };
    let result = tokio::time::timeout(timeout, work).await;
    let ms = started.elapsed().as_millis();
    match (result, headers_in.get()) {
        (Ok(Ok(outcome)), _) => outcome,
        (Ok(Err(e)), Some(bytes)) if e.is_timeout() => slow_body(bytes, ms),
        (Ok(Err(e)), Some(bytes)) => ProbeOutcome::Failed {
            error: TransportError::CutShort,
            message: format!(
                "the connection {} after the headers and {bytes} bytes of body",
                if classify(&e) == TransportError::Reset {
                    "was reset"
                } else {
                    "closed"
                }
            ),
        },
        (Ok(Err(e)), None) => ProbeOutcome::Failed {
            error: classify(&e),
            message: innermost(&e),
        },
        (Err(_), Some(bytes)) => slow_body(bytes, ms),
        (Err(_), None) => ProbeOutcome::Failed {
            error: TransportError::Timeout,
            message: format!("no answer within {ms} ms"),
        },
    }
}

fn slow_body(bytes: usize, ms: u128) -> ProbeOutcome {
    ProbeOutcome::Failed {
        error: TransportError::SlowBody,
        message: format!("the headers came, but only {bytes} bytes of body in {ms} ms"),
    }
}

/// The status a plain GET gets within `timeout`, or 0 when there is no answer.
pub(crate) async fn status_of(clients: &Clients, url: &str, timeout: Duration) -> u16 {
    match tokio::time::timeout(timeout, clients.follow.get(url).send()).await {
        Ok(Ok(r)) => r.status().as_u16(),
        _ => 0,
    }
}

/// Maps a reqwest error (before any answer came) onto the failures curl users know.
fn classify(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        return if e.is_connect() {
            TransportError::ConnectTimeout
        } else {
            TransportError::Timeout
        };
    }
    if e.is_redirect() {
        return TransportError::RedirectLoop;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut verdict = None;
    while let Some(err) = source {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            verdict = Some(match io.kind() {
                ConnectionRefused => TransportError::Refused,
                ConnectionReset | ConnectionAborted | BrokenPipe => TransportError::Reset,
                UnexpectedEof => TransportError::EmptyReply,
                TimedOut => TransportError::ConnectTimeout,
                _ if io.to_string().contains("failed to lookup address") => TransportError::Dns,
                _ => TransportError::Other,
            });
            break;
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_parse_too_large() {
                verdict = Some(TransportError::HeadersTooLarge);
            } else if h.is_parse() || h.is_parse_status() {
                verdict = Some(TransportError::NotHttp);
            } else if h.is_incomplete_message() {
                verdict = Some(TransportError::EmptyReply);
            }
        }
        source = err.source();
    }
    verdict.unwrap_or(if e.is_connect() {
        TransportError::Refused
    } else {
        TransportError::Other
    })
}

/// The innermost cause of an error: the part that says what actually happened
/// ("Connection reset by peer (os error 104)"), not the layers that wrapped it.
pub(crate) fn innermost(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}
