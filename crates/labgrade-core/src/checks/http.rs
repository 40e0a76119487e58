//! The HTTP check: status, body, JSON and headers of the answer, and why a request that did answer was wrong (route missing, wrong port, hard-coded answer).

use std::net::IpAddr;

use serde::Serialize;

use super::kinds::{Ctx, Kind, Place};
use super::*;
use crate::plan::Need;
use crate::spec::{ContainerSpec, Points, Spec, Target};

/// One request and the answer it must get.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpCheck {
    pub container: Option<ContainerName>,
    pub expect: Box<HttpExpect>,
    /// Host port the request goes to when the target is a path.
    pub port: Option<u16>,
    /// Host address the mapping is bound to, when the spec names one.
    pub host_ip: Option<IpAddr>,
}

impl Kind for HttpCheck {
    /// The requests to no container come after every container's checks.
    fn place() -> Place {
        Place::Last
    }

    fn for_spec(spec: &Spec, points: &Points) -> Vec<Check> {
        spec.http
            .iter()
            .map(|h| check(points, h, None, h.port, None, vec![]))
            .collect()
    }

    /// A container's requests go to the host port its first TCP mapping publishes (or
    /// the one they name), once it runs.
    fn for_container(c: &ContainerSpec, points: &Points) -> Vec<Check> {
        let first_tcp = c.ports.iter().find(|p| p.proto == Proto::Tcp);
        c.http
            .iter()
            .map(|h| {
                let mapping = h.port.map_or(first_tcp, |port| {
                    c.ports
                        .iter()
                        .find(|p| p.host_port == port && p.proto == Proto::Tcp)
                });
                let port = h.port.or(first_tcp.map(|p| p.host_port));
                check(
                    points,
                    h,
                    Some(&c.name),
                    port,
                    mapping.and_then(|m| m.host_ip),
                    vec![format!("running:{}", c.name)],
                )
            })
            .collect()
    }

    fn expected(&self) -> String {
        expected(&self.expect)
    }

    /// Nothing to inspect: observe sends every request of the plan and records the
    /// answer under the check's id.
    fn needs(&self) -> Vec<Need> {
        Vec::new()
    }

    fn judge(&self, cx: &Ctx) -> Judgement {
        let (plan, facts) = (cx.plan, cx.facts);
        let Some(p) = facts.probes.get(cx.id) else {
            return missing_fact();
        };
        let c = self
            .container
            .as_ref()
            .and_then(|n| container_facts(facts, n));
        let mut j = judge(plan, facts, &self.expect, p, c, self.port);
        // "…, then rebuild the image and run the container again": the commands, typed.
        if let Some(c) = c {
            j.fix = j.fix.map(|f| typed_rebuild(plan, c, f));
        }
        if !j.pass {
            // A request through a port that is not published fails because of that.
            let port_check = plan.checks.iter().find(|k| {
                matches!(&k.kind, CheckKind::PortPublished(PortPublished { container: n, mapping })
                    if Some(n) == self.container.as_ref() && Some(mapping.host_port) == self.port)
            });
            j.because_of = port_check
                .filter(|k| {
                    cx.done
                        .iter()
                        .any(|f| f.id == k.id && f.outcome == Outcome::Fail)
                })
                .filter(|_| matches!(p.outcome, ProbeOutcome::Failed { .. }))
                .map(|k| k.id.clone());
        }
        j
    }

    /// The container's listening sockets and last log lines.
    fn evidence(&self, facts: &Facts) -> Vec<String> {
        match &self.container {
            Some(name) => container_evidence(facts, name, true),
            None => Vec::new(),
        }
    }
}

/// The check of one request.
fn check(
    points: &Points,
    h: &HttpExpect,
    container: Option<&ContainerName>,
    port: Option<u16>,
    host_ip: Option<IpAddr>,
    requires: Vec<String>,
) -> Check {
    let shown = match (&h.target, port) {
        (Target::Url(u), _) => u.clone(),
        (Target::Path(p), Some(port)) => format!("localhost:{port}{p}"),
        (Target::Path(p), None) => p.clone(),
    };
    let mut expected = match h.status {
        crate::spec::StatusSpec::Exact(c) => format!("answers {c}"),
        crate::spec::StatusSpec::Class(c) => format!("answers {c}xx"),
    };
    // The title names what the check looks for in the answer, not only the status.
    let short = |t: &str| {
        let t: String = t.chars().take(40).collect();
        format!("\"{t}\"")
    };
    let body = h
        .body_equals
        .as_deref()
        .or(h.body_contains.first().map(String::as_str));
    if let Some(b) = body {
        expected.push_str(&format!(" with {}", short(b)));
    } else if let Some((path, v)) = h.json.first() {
        expected.push_str(&format!(" with {} = {v}", path.text));
    }
    let id = match (&h.id, container) {
        (Some(id), _) => id.clone(),
        (None, Some(c)) => format!("http:{c}:{}", h.request_line()),
        (None, None) => format!("http:{}", h.request_line()),
    };
    Check {
        id,
        title: h
            .title
            .clone()
            .unwrap_or_else(|| format!("{} {shown} {expected}", h.method)),
        points: h.points.unwrap_or(points.http),
        requires,
        hidden: h.hidden,
        kind: CheckKind::Http(HttpCheck {
            container: container.cloned(),
            expect: Box::new(h.clone()),
            port,
            host_ip,
        }),
    }
}

fn expected(h: &HttpExpect) -> String {
    let mut parts = vec![format!("status {}", h.status)];
    if let Some(b) = &h.body_equals {
        parts.push(format!("body = {}", quote(b, 40)));
    }
    for c in &h.body_contains {
        parts.push(format!("body has {}", quote(c, 40)));
    }
    if let Some(r) = &h.body_regex {
        parts.push(regex_wanted(h, r));
    }
    for (p, v) in &h.json {
        parts.push(format!("{} = {}", p.text, v));
    }
    for (k, v) in &h.response_headers {
        parts.push(format!("header {k}: {v}"));
    }
    parts.join(", ")
}

/// What the body's pattern asks, in words when the spec names it.
fn regex_wanted(h: &HttpExpect, r: &crate::spec::Pattern) -> String {
    match &h.body_regex_means {
        Some(m) => format!("body shows {m}"),
        None => format!("body matches /{}/", r.0.as_str()),
    }
}

fn judge(
    plan: &Plan,
    facts: &Facts,
    h: &HttpExpect,
    p: &ProbeFacts,
    c: Option<&ContainerFacts>,
    host_port: Option<u16>,
) -> Judgement {
    match &p.outcome {
        ProbeOutcome::NotSent { reason } => Judgement {
            pass: false,
            found: "not sent".into(),
            cause: Some(reason.clone()),
            cause_id: Some(CauseId::NotSent),
            fix: None,
            because_of: None,
            error: true,
        },
        ProbeOutcome::Failed { error, message } => {
            super::transport::judge(plan, facts, *error, message, p, c, host_port)
        }
        ProbeOutcome::Response {
            status,
            headers,
            body,
            truncated,
        } => {
            let mut problems: Vec<String> = Vec::new();
            let mut cause = None;
            let mut fix = None;
            if !h.status.matches(*status) {
                problems.push(format!("status {status}"));
                let path = url::Url::parse(&p.url)
                    .map(|u| u.path().to_string())
                    .unwrap_or_default();
                match status {
                    404 => {
                        let answering: Vec<String> = p
                            .alternatives
                            .iter()
                            .filter(|(_, st)| (200..400).contains(st))
                            .map(|(alt, st)| format!("{alt} answers {st}"))
                            .collect();
                        let answered: Vec<&str> = p
                            .alternatives
                            .iter()
                            .filter(|(_, st)| (200..300).contains(st))
                            .map(|(alt, _)| alt.as_str())
                            .collect();
                        let told = c.and_then(|c| {
                            super::code::route(plan, facts, c, h, &path, &answered)
                        });
                        if let Some(t) = told {
                            cause = Some((t.id, t.cause));
                            fix = Some(t.fix);
                        } else {
                            cause = Some((
                                CauseId::RouteMissing,
                                if answering.is_empty() {
                                    format!("the app has no route for {} {path}", h.method)
                                } else {
                                    format!(
                                        "{path} is 404 but {}: the app has no route {path}",
                                        answering.join(", ")
                                    )
                                },
                            ));
                            fix = Some(format!(
                                "add the route {path} to the app (for Flask: @app.route(\"{path}\"))"
                            ));
                        }
                    }
                    405 => {
                        cause = Some((
                            CauseId::MethodNotAllowed,
                            format!("the route {path} exists but does not accept {}", h.method),
                        ));
                        fix = Some(format!(
                            "allow it: @app.route(\"{path}\", methods=[\"{}\"])",
                            h.method
                        ));
                    }
                    500..=599 => {
                        // Frameworks log the request line after the traceback: the error
                        // line is the one that explains, not the last one.
                        let tail = c.map_or(&[][..], |c| c.log_tail.as_slice());
                        // A traceback through the app's own file names the line.
                        if let Some(t) = c.and_then(|c| super::code::server_error(plan, facts, c)) {
                            cause = Some((t.id, t.cause));
                            fix = Some(t.fix);
                        } else {
                            cause = Some((
                                CauseId::AppErrorOnRequest,
                                match telling_line(tail) {
                                    Some(l) => format!(
                                        "the app failed while answering; its log says {}",
                                        quote(l, 160)
                                    ),
                                    None => "the app failed while answering".into(),
                                },
                            ));
                            fix = c.map(|c| format!("docker logs {}", c.name));
                        }
                    }
                    300..=399 => {
                        let loc = header(headers, "location").unwrap_or("?");
                        cause = Some((
                            CauseId::Redirects,
                            format!(
                                "the app redirects to {}, which the grader does not follow",
                                quote(loc, 80)
                            ),
                        ));
                    }
                    _ => {}
                }
            }
            let mut body_wrong = false;
            // What of the lab's answer it lacks, said as `expected` says it: the fix
            // names only that, not what already passed.
            let mut lacks: Vec<String> = Vec::new();
            if let Some(want) = &h.body_equals
                && body.trim_end() != want.trim_end()
            {
                problems.push(format!("body {}", quote(body, 200)));
                lacks.push(format!("body = {}", quote(want, 40)));
            }
            for want in &h.body_contains {
                if !body.contains(want.as_str()) {
                    problems.push(format!("body lacks {}", quote(want, 40)));
                    lacks.push(format!("body has {}", quote(want, 40)));
                    body_wrong = true;
                }
            }
            if let Some(re) = &h.body_regex
                && !re.0.is_match(body)
            {
                problems.push(match &h.body_regex_means {
                    Some(m) => format!("body does not show {m}"),
                    None => "body is not what the lab asks for".to_string(),
                });
                lacks.push(regex_wanted(h, re));
                body_wrong = true;
            }
            if !h.json.is_empty() {
                match serde_json::from_str::<serde_json::Value>(body) {
                    Err(_) => {
                        let kind = header(headers, "content-type")
                            .map_or(String::new(), |t| format!(" ({})", quote(t, 40)));
                        problems.push(format!("body is not JSON{kind}: {}", quote(body, 200)));
                        lacks.extend(h.json.iter().map(|(p, v)| format!("{} = {v}", p.text)));
                    }
                    Ok(doc) => {
                        for (path, want) in &h.json {
                            match path.lookup(&doc) {
                                None => {
                                    let keys = match &doc {
                                        serde_json::Value::Object(m) if !m.is_empty() => format!(
                                            " (its keys: {})",
                                            m.keys()
                                                .take(12)
                                                .cloned()
                                                .collect::<Vec<_>>()
                                                .join(", ")
                                        ),
                                        _ => String::new(),
                                    };
                                    problems.push(format!("JSON has no {}{keys}", path.text));
                                    lacks.push(format!("{} = {want}", path.text));
                                }
                                Some(got) if !json_equal(got, want) => {
                                    problems.push(format!("{} = {got}", path.text));
                                    lacks.push(format!("{} = {want}", path.text));
                                }
                                Some(_) => {}
                            }
                        }
                    }
                }
            }
            for (name, want) in &h.response_headers {
                match header(headers, name) {
                    None => problems.push(format!("no {name} header")),
                    Some(v) if !v.to_lowercase().contains(&want.to_lowercase()) => {
                        problems.push(format!("{name}: {}", quote(v, 60)))
                    }
                    Some(_) => continue,
                }
                lacks.push(format!("header {name}: {want}"));
            }
            // An answer that does not end within the cap: a student's `curl` would never
            // return, unless the lab asks for a stream.
            let endless = *truncated && !h.stream;
            if problems.is_empty() && !endless {
                return pass(format!("{status}, {}", quote(body, 60)));
            }
            if problems.is_empty() {
                return fail(
                    CauseId::EndlessBody,
                    format!(
                        "{status}; the body goes on past {} MiB",
                        crate::facts::BODY_CAP >> 20
                    ),
                    "the answer does not end: it is larger than any page this lab needs, or the app keeps writing and never finishes it, so curl would never return",
                    "make the route return its answer and finish (return a string or jsonify(...) in Flask, not a generator that never stops), then rebuild the image and run the container again",
                );
            }
            if body_wrong {
                // Show what the app did answer, so the student sees the difference.
                problems.push(format!("it answered {}", quote(body, 200)));
            }
            if *truncated {
                problems.push(format!(
                    "body longer than {} bytes, cut",
                    crate::facts::BODY_CAP
                ));
            }
            let found = if problems.iter().any(|p| p.starts_with("status ")) {
                problems.join("; ")
            } else {
                format!("{status}; {}", problems.join("; "))
            };
            // The request carried this run's random value and the answer should give it
            // back: an answer that does not is fixed text, not built from the request.
            let not_echoed = h
                .random
                .as_deref()
                .filter(|t| !body.contains(t) && h.expects(t));
            let status_wrong = problems.iter().any(|p| p.starts_with("status "));
            let ((id, cause), fix) = match (cause, not_echoed) {
                (Some(c), _) => (c, fix),
                (None, Some(t)) => ((CauseId::HardCodedAnswer,
                    format!("the request carried {t}, a value the grader makes up afresh on every run, and the answer does not give it back: the app answers with fixed text, not from the request it gets")),
                    c.and_then(|c| super::code::hard_coded(plan, facts, c, h, t)).or_else(|| Some("build the answer from the request the app receives (its headers, query or body), then rebuild the image and run the container again".into())),
                ),
                (None, None) if status_wrong => (
                    (
                        CauseId::WrongStatus,
                        "the answer's status differs from what the lab asks for".into(),
                    ),
                    fix,
                ),
                (None, None) => (
                    (
                        CauseId::WrongAnswer,
                        match problems.iter().find(|p| p.starts_with("body does not show ")) {
                            // A named pattern says what was missing in words.
                            Some(p) => format!("the answer differs from what the lab asks for: its {p}"),
                            None => "the answer differs from what the lab asks for".into(),
                        },
                    ),
                    fix.or_else(|| {
                        Some(format!(
                            "change what {} {} returns (wanted: {}), then rebuild the image and run the container again",
                            h.method,
                            url::Url::parse(&p.url).map_or(p.url.clone(), |u| u.path().to_string()),
                            if lacks.is_empty() { expected(h) } else { lacks.join(", ") }
                        ))
                    }),
                ),
            };
            fail(id, found, cause, fix)
        }
    }
}

pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// JSON equality where 1 and 1.0 are the same number and objects may hold extra keys.
pub(crate) fn json_equal(got: &serde_json::Value, want: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (got, want) {
        (Number(a), Number(b)) => a.as_f64() == b.as_f64(),
        (Object(a), Object(b)) => b
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|g| json_equal(g, v))),
        (Array(a), Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| json_equal(x, y))
        }
        _ => got == want,
    }
}
