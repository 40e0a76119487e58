//! HTTP probes: one request, bounded in time and size, with its failure classified the way
//! curl users know it (refused, reset, empty reply, timeout, not HTTP).

use std::time::{Duration, Instant};

use reqwest::redirect::Policy;

use crate::facts::{ProbeOutcome, TransportError};
use crate::spec::HttpExpect;

/// Largest response body read; the rest is never buffered.
pub const BODY_CAP: usize = 1024 * 1024;
/// Most response headers kept, and the longest header value.
const HEADER_COUNT_CAP: usize = 100;
const HEADER_VALUE_CAP: usize = 2048;
/// Redirects followed on the same host before giving up.
const MAX_REDIRECTS: usize = 5;

/// Builds the client every probe shares: no proxy, no cookies, no decompression,
/// redirects followed only on the same host. The system's root certificates are loaded
/// only when some probe uses https (loading them costs more than a whole plain check).
pub(crate) fn client(connect_timeout: Duration, https: bool) -> reqwest::Client {
    let policy = Policy::custom(|attempt| {
        let first_host = attempt
            .previous()
            .first()
            .and_then(|u| u.host_str().map(str::to_owned));
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if first_host.as_deref() != attempt.url().host_str() {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
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
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Sends one request and reads its answer, all within `timeout`.
pub(crate) async fn send(
    client: &reqwest::Client,
    url: &str,
    h: &HttpExpect,
    timeout: Duration,
) -> ProbeOutcome {
    let method =
        reqwest::Method::from_bytes(h.method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = client.request(method, url);
    for (k, v) in &h.headers {
        req = req.header(k, v);
    }
    if let Some(body) = &h.body {
        req = req.body(body.clone());
    }
    let started = Instant::now();
    let work = async {
        let mut resp = req.send().await?;
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
        }
        Ok::<_, reqwest::Error>(ProbeOutcome::Response {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            truncated,
        })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) => ProbeOutcome::Failed {
            error: classify(&e),
            message: innermost(&e),
        },
        Err(_) => ProbeOutcome::Failed {
            error: TransportError::Timeout,
            message: format!(
                "no complete answer within {} ms",
                started.elapsed().as_millis()
            ),
        },
    }
}

/// The status a plain GET gets within `timeout`, or 0 when there is no answer.
pub(crate) async fn status_of(client: &reqwest::Client, url: &str, timeout: Duration) -> u16 {
    match tokio::time::timeout(timeout, client.get(url).send()).await {
        Ok(Ok(r)) => r.status().as_u16(),
        _ => 0,
    }
}

/// Maps a reqwest error onto the failures curl users know.
fn classify(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        return TransportError::Timeout;
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
                TimedOut => TransportError::Timeout,
                _ if io.to_string().contains("failed to lookup address") => TransportError::Dns,
                _ => TransportError::Other,
            });
            break;
        }
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            if h.is_parse() || h.is_parse_too_large() || h.is_parse_status() {
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
fn innermost(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}
