//! Registry lookups (Registry HTTP API v2): does a registry hold `name:tag`, and which
//! image is it? Read anonymously, with the bearer-token handshake Docker Hub and most
//! registries ask for, bounded in time and size.

use std::time::Duration;

use super::probe::innermost;
use crate::facts::RegistryFacts;
use crate::spec::registry_host as host;

/// The manifest kinds a registry may hold for a tag.
const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json";
/// Largest manifest or token answer read.
const CAP: usize = 256 * 1024;

/// The API's base URL: Docker Hub's, the URL as written, plain http for a registry on
/// loopback (as Docker itself allows), https otherwise.
fn base_url(registry: &str) -> String {
    let r = registry.trim().trim_end_matches('/');
    match host(r) {
        None => "https://registry-1.docker.io".into(),
        Some(_) if r.starts_with("http://") || r.starts_with("https://") => r.into(),
        Some(h) => {
            let name = h.rsplit_once(':').map_or(h.as_str(), |(n, _)| n);
            let loopback = name == "localhost"
                || name == "[::1]"
                || name
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|ip| ip.is_loopback());
            format!("{}://{h}", if loopback { "http" } else { "https" })
        }
    }
}

/// Asks `registry` for the manifest of `path:tag` (`path` as in the image's tag, without
/// the registry host). A HEAD request gives its digest (and costs no pull on Docker Hub's
/// rate limit); only when that digest is not one the local image was pushed under is the
/// manifest itself read, for the image id (config digest) it names.
pub async fn lookup(
    registry: &str,
    path: &str,
    tag: &str,
    known: &[String],
    timeout: Duration,
) -> RegistryFacts {
    let path = if host(registry).is_none() && !path.contains('/') {
        format!("library/{path}")
    } else {
        path.to_string()
    };
    let url = format!("{}/v2/{path}/manifests/{tag}", base_url(registry));
    match tokio::time::timeout(timeout, fetch(&url, known, timeout)).await {
        Ok(Ok(facts)) => facts,
        Ok(Err(e)) => RegistryFacts::Unreachable { error: e },
        Err(_) => RegistryFacts::Unreachable {
            error: format!("no answer within {} ms", timeout.as_millis()),
        },
    }
}

async fn fetch(url: &str, known: &[String], timeout: Duration) -> Result<RegistryFacts, String> {
    let client = reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::limited(3))
        .user_agent(concat!("labgrade/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())?;
    let send = |method: reqwest::Method, token: Option<&str>| {
        let mut r = client.request(method, url).header("Accept", ACCEPT);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let mut token = None;
    let mut answer = send(reqwest::Method::HEAD, None)
        .await
        .map_err(|e| innermost(&e))?;
    if answer.status() == reqwest::StatusCode::UNAUTHORIZED
        && let Some(challenge) = answer
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_challenge)
    {
        match anonymous_token(&client, &challenge).await? {
            Ok(t) => token = Some(t),
            Err(status) => return Ok(RegistryFacts::Refused { status }),
        }
        answer = send(reqwest::Method::HEAD, token.as_deref())
            .await
            .map_err(|e| innermost(&e))?;
    }
    let status = answer.status().as_u16();
    match status {
        200 => {
            let digest = answer
                .headers()
                .get("docker-content-digest")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if digest.as_ref().is_some_and(|d| known.contains(d)) {
                return Ok(RegistryFacts::Present {
                    digest,
                    config: None,
                });
            }
            let manifest = send(reqwest::Method::GET, token.as_deref())
                .await
                .map_err(|e| innermost(&e))?;
            let body = capped(manifest).await?;
            let config = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|m| m["config"]["digest"].as_str().map(str::to_owned));
            Ok(RegistryFacts::Present { digest, config })
        }
        404 => Ok(RegistryFacts::Absent),
        401 | 403 | 429 => Ok(RegistryFacts::Refused { status }),
        _ => Err(format!("the registry answered status {status}")),
    }
}

/// `realm?service=...&scope=...` from `Bearer realm="...",service="...",scope="..."`.
fn bearer_challenge(header: &str) -> Option<String> {
    let params = header.strip_prefix("Bearer ")?;
    let mut realm = None;
    let mut query = Vec::new();
    for part in params.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            continue;
        };
        let v = v.trim_matches('"');
        match k {
            "realm" => realm = Some(v.to_string()),
            "service" | "scope" => query.push(format!(
                "{k}={}",
                v.replace('%', "%25")
                    .replace('&', "%26")
                    .replace(' ', "%20")
            )),
            _ => {}
        }
    }
    Some(format!("{}?{}", realm?, query.join("&")))
}

/// A token for anonymous reads; `Ok(Err(status))` when the token service refuses one.
async fn anonymous_token(
    client: &reqwest::Client,
    url: &str,
) -> Result<Result<String, u16>, String> {
    let answer = client.get(url).send().await.map_err(|e| innermost(&e))?;
    if !answer.status().is_success() {
        return Ok(Err(answer.status().as_u16()));
    }
    let body = capped(answer).await?;
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| "the token service did not answer JSON")?;
    v["token"]
        .as_str()
        .or_else(|| v["access_token"].as_str())
        .map(|t| Ok(t.to_owned()))
        .ok_or_else(|| "the token service gave no token".into())
}

async fn capped(mut answer: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = answer.chunk().await.map_err(|e| innermost(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > CAP {
            return Err(format!("the answer is larger than {CAP} bytes"));
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_addresses() {
        assert_eq!(base_url("docker.io"), "https://registry-1.docker.io");
        assert_eq!(base_url("localhost:5000"), "http://localhost:5000");
        assert_eq!(base_url("127.0.0.1:5000/"), "http://127.0.0.1:5000");
        assert_eq!(
            base_url("registry.example.edu"),
            "https://registry.example.edu"
        );
        assert_eq!(base_url("http://10.0.0.5:5000"), "http://10.0.0.5:5000");
        assert_eq!(host("https://index.docker.io/"), None);
        assert_eq!(host("http://localhost:5000"), Some("localhost:5000".into()));
    }

    #[test]
    fn bearer_challenges() {
        assert_eq!(
            bearer_challenge(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:ann/app:pull""#
            )
            .as_deref(),
            Some(
                "https://auth.docker.io/token?service=registry.docker.io&scope=repository:ann/app:pull"
            )
        );
        assert_eq!(bearer_challenge("Basic realm=\"x\""), None);
    }
}
