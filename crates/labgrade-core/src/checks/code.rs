//! What the app's own source says, for the failures it explains: the line that binds
//! 127.0.0.1 or another port, the routes it declares beside the one that is 404, the
//! environment variable it reads that the container lacks. Observe reads the file the
//! container's command starts from its image, only when a check of that container
//! failed ([`crate::source::path_for`]); this reads it with [`crate::source::read`] and
//! names the line and the edit. When the source is not there, nothing here is said.

use super::*;
use crate::source::{self, Bind, Framework, Source};

/// A cause told from the source: its id, the sentence and the fix.
pub(crate) struct Told {
    pub id: CauseId,
    pub cause: String,
    pub fix: String,
}

/// The source a container starts, with its name in the project (where the student edits
/// it: `src/server.py` for an image's `/app/server.py` copied by `COPY src/ .`).
fn read(facts: &Facts, c: &ContainerFacts) -> Option<(Source, String)> {
    let image = image_of(facts, c)?;
    let path = source::path_for(c, image)?;
    let text = image.files.get(&path)?.as_ref()?.text.as_deref()?;
    let tag: ImageRef = c
        .image_name
        .parse()
        .unwrap_or_else(|_| "image".parse().expect("a valid name"));
    let file = super::files::Build::read(facts, &tag)
        .source_of(&path)
        .map_or_else(
            || path.rsplit('/').next().unwrap_or(&path).to_string(),
            |(_, s)| s,
        );
    Some((source::read(&path, text), file))
}

/// "in app.py, line 25, change `OLD` to `NEW`": an edit of one line, as written.
fn change(file: &str, line: usize, old: &str, new: &str) -> String {
    format!("in {file}, line {line}, change `{old}` to `{new}`")
}

/// An edit of the code, then the rebuild and the container run again from it.
fn then_rebuild(plan: &Plan, c: &ContainerFacts, edit: &str) -> String {
    format!(
        "{edit}, then: {}",
        rebuild_and_rerun(plan, &ContainerName(c.name.clone()), seen_image(c))
    )
}

/// A call as the cause quotes it: whole, or for a call over several lines its first
/// line (the one the student finds at that line number) when its arguments start
/// there; a first line that only opens the call (`app.run(`) is shown joined.
fn shown(b: &Bind) -> &str {
    if b.whole || b.first_line.ends_with('(') {
        &b.call
    } else {
        &b.first_line
    }
}

/// What a call binds when it names no host, in words.
fn default_note(b: &Bind) -> String {
    if b.host.is_some() {
        String::new()
    } else {
        format!(
            " (naming no host, it listens on {})",
            match b.host() {
                "" | "::" => "every address",
                h => h,
            }
        )
    }
}

/// An app that listens only on loopback, `cause` saying how that was seen. A command
/// whose own flags set the address (`flask run`, uvicorn, gunicorn) is fixed in the CMD;
/// otherwise the line of the code that binds 127.0.0.1 is named with its edit (the port
/// kept). When the code asks for every address, both explanations are given.
/// `advice` ends the cause when the code does not name the line.
pub(crate) fn loopback(
    plan: &Plan,
    facts: &Facts,
    c: &ContainerFacts,
    port: u16,
    cause: String,
    advice: &str,
) -> Told {
    let generic = |cause: &str| Told {
        id: CauseId::LoopbackBind,
        cause: format!("{cause}; {advice}"),
        fix: listen_everywhere(c.cmd.as_deref(), port),
    };
    if cli_listen_everywhere(c.cmd.as_deref(), port).is_some() {
        return generic(&cause);
    }
    let Some((s, file)) = read(facts, c) else {
        return generic(&cause);
    };
    if let Some(b) = s.binds.iter().find(|b| b.loopback()) {
        let first = b
            .host
            .as_deref()
            .and_then(|h| b.first_line_with(h, "0.0.0.0"))
            .map(|new| change(&file, b.line, &b.first_line, &new));
        let edit = match b.with(Some("0.0.0.0"), None) {
            Some(new) => change(&file, b.line, &b.call, &new),
            None if let Some(edit) = first => edit,
            None => format!(
                "in {file}, line {}, make the call listen on '0.0.0.0' (keeping its port)",
                b.line
            ),
        };
        return Told {
            id: CauseId::LoopbackInCode,
            cause: format!(
                "{cause}: {file}, line {}, says `{}`{}",
                b.line,
                shown(b),
                default_note(b)
            ),
            fix: then_rebuild(plan, c, &edit),
        };
    }
    match s.binds.first() {
        Some(b) => Told {
            id: CauseId::LoopbackBind,
            cause: format!(
                "{cause}; yet {file}, line {}, says `{}`, which listens on every address: either the container runs a build older than that code, or its command starts the app another way",
                b.line,
                shown(b)
            ),
            fix: rebuild_and_rerun(plan, &ContainerName(c.name.clone()), seen_image(c)),
        },
        None => generic(&cause),
    }
}

/// An app that listens on `actual` where the lab wants `wanted` inside the container:
/// the line of the code that binds `actual`, with its edit. `None` when the code does
/// not show the port.
pub(crate) fn wrong_port(
    plan: &Plan,
    facts: &Facts,
    c: &ContainerFacts,
    actual: u16,
    wanted: u16,
    cause: &str,
) -> Option<Told> {
    let (s, file) = read(facts, c)?;
    let b = s.binds.iter().find(|b| b.port() == Some(actual))?;
    // A call that binds loopback too gets both fixed in one edit.
    let host = b.loopback().then_some("0.0.0.0");
    // A port set by a constant (`const PORT = process.env.PORT || 3000;`) is changed
    // where it is set, keeping the environment's say, unless the host must change too.
    let at_constant = b
        .port_line
        .as_ref()
        .filter(|_| host.is_none())
        .and_then(|(n, text)| {
            let old = b.port()?.to_string();
            let at = text.rfind(&old)?;
            let new = format!("{}{wanted}{}", &text[..at], &text[at + old.len()..]);
            Some(change(&file, *n, text, &new))
        });
    // A call over several lines: its first line, when the port is written there.
    let first = || {
        let port = b.port.filter(|_| host.is_none() && !b.whole)?.to_string();
        let new = b.first_line_with(&port, &wanted.to_string())?;
        Some(change(&file, b.line, &b.first_line, &new))
    };
    let edit = match at_constant.or_else(first).or_else(|| {
        b.with(host, Some(wanted))
            .map(|new| change(&file, b.line, &b.call, &new))
    }) {
        Some(edit) => edit,
        None => format!(
            "in {file}, line {}, make the call listen on port {wanted}",
            b.line
        ),
    };
    let published = c
        .published
        .iter()
        .find(|p| p.container_port == wanted && p.proto == "tcp")
        .map_or(String::new(), |p| {
            format!(
                "; publishing -p {}:{actual} would reach it too, but the lab asks for port {wanted}",
                p.host_port
            )
        });
    Some(Told {
        id: CauseId::PortInCode,
        cause: format!(
            "{cause}: {file}, line {}, says `{}`{}{published}",
            b.line,
            shown(b),
            if b.port.is_none() {
                format!(" (naming no port, it listens on {actual})")
            } else {
                String::new()
            }
        ),
        fix: then_rebuild(plan, c, &edit),
    })
}

/// Nothing answers on `inner` and neither the sockets nor the log say where the app
/// listens: the code's own call is the evidence left.
pub(crate) fn unheard(
    plan: &Plan,
    facts: &Facts,
    c: &ContainerFacts,
    inner: u16,
    wanted: Option<u16>,
) -> Option<Told> {
    let (s, _) = read(facts, c)?;
    let b = s.binds.first()?;
    let port = b.port().unwrap_or(inner);
    if b.loopback() {
        return Some(loopback(
            plan,
            facts,
            c,
            port,
            format!(
                "nothing answers on port {inner} inside the container, and the app's code binds {}:{port}, which only the container itself can reach (its sockets could not be read, so this is read from the code)",
                b.host()
            ),
            "bind it to 0.0.0.0",
        ));
    }
    (port != inner).then_some(())?;
    wrong_port(
        plan,
        facts,
        c,
        port,
        wanted.unwrap_or(inner),
        &format!(
            "nothing answers on port {inner} inside the container, and the app's code listens on port {port} (its sockets could not be read, so this is read from the code)"
        ),
    )
}

/// A request path that is 404, read against the routes the code declares: one a typo
/// away is named with its edit; otherwise the declared routes are listed. A route the
/// code does declare means the running build or a prefix differs: both are said.
pub(crate) fn route(plan: &Plan, facts: &Facts, c: &ContainerFacts, path: &str) -> Option<Told> {
    let (s, file) = read(facts, c)?;
    if s.routes.is_empty() || s.prefixed {
        return None;
    }
    if let Some(r) = s
        .routes
        .iter()
        .find(|r| source::route_matches(&r.path, path))
    {
        return Some(Told {
            id: CauseId::RouteMissing,
            cause: format!(
                "{path} is 404, yet {file} declares {} (line {}): either the container runs a build older than that code, or the route is registered under a prefix",
                r.path, r.line
            ),
            fix: rebuild_and_rerun(plan, &ContainerName(c.name.clone()), seen_image(c)),
        });
    }
    if let Some(r) = source::near_miss(&s.routes, path) {
        let edit = ['\'', '"', '`']
            .iter()
            .map(|q| format!("{q}{}{q}", r.path))
            .find(|quoted| r.text.contains(quoted.as_str()))
            .map(|quoted| {
                let q = &quoted[..1];
                change(
                    &file,
                    r.line,
                    &r.text,
                    &r.text.replacen(&quoted, &format!("{q}{path}{q}"), 1),
                )
            })?;
        return Some(Told {
            id: CauseId::RouteNearMiss,
            cause: format!(
                "{path} is 404: {file} declares {} (line {}), which is not the path the lab asks for",
                r.path, r.line
            ),
            fix: then_rebuild(plan, c, &edit),
        });
    }
    let mut declared: Vec<&str> = Vec::new();
    for r in &s.routes {
        if !declared.contains(&r.path.as_str()) {
            declared.push(&r.path);
        }
    }
    let shown = if declared.len() > 8 {
        format!("{}, …", declared[..8].join(", "))
    } else {
        declared.join(", ")
    };
    let example = match s.framework {
        Framework::Flask => format!("`@app.route('{path}')` above a view function"),
        Framework::FastApi => format!("`@app.get('{path}')` above a path function"),
        Framework::Express => format!("`app.get('{path}', (req, res) => ...)`"),
        Framework::HttpServer => format!("a branch for `self.path == '{path}'` in do_GET"),
        Framework::Other => format!("a route {path}"),
    };
    Some(Told {
        id: CauseId::RouteNotInCode,
        cause: format!("{path} is 404: {file} declares {shown} — not {path}"),
        fix: then_rebuild(
            plan,
            c,
            &format!(
                "add {example} to {file} (its routes are at line {}), with the answer the lab asks for",
                s.routes
                    .iter()
                    .map(|r| r.line.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    })
}

/// An app that stopped because a variable its code reads with no default
/// (`os.environ['DB_URL']`) is not in the container's environment, as its log shows.
pub(crate) fn env_missing(plan: &Plan, facts: &Facts, c: &ContainerFacts) -> Option<Told> {
    let (s, file) = read(facts, c)?;
    let set = |k: &str| c.env.iter().any(|e| e.split('=').next() == Some(k));
    let (e, said) = s
        .env
        .iter()
        .filter(|e| e.required && !set(&e.name))
        .find_map(|e| {
            let said = c.log_tail.iter().rev().find(|l| {
                l.contains(&format!("KeyError: '{}'", e.name))
                    || l.contains(&format!("KeyError: \"{}\"", e.name))
            })?;
            Some((e, said))
        })?;
    let name = ContainerName(c.name.clone());
    // The value the spec gives it, when it gives one, is in the full `docker run`.
    let in_spec = plan.checks.iter().any(|k| {
        matches!(&k.kind, CheckKind::ContainerSetting(ContainerSettingCheck { container, setting: ContainerSetting::Env(key, _) }) if *container == name && *key == e.name)
    });
    let fix = if in_spec {
        recreate(plan, &name)
    } else {
        let run = run_command_or(plan, &name, seen_image(c));
        let (head, image) = run.rsplit_once(' ').unwrap_or((&run, ""));
        format!(
            "docker rm -f {name} && {head} -e {0}=\"${0}\" {image}   # with {0} set in your shell to the value the app needs (or give it one in the Dockerfile: ENV {0}=...)",
            e.name
        )
    };
    Some(Told {
        id: CauseId::AppEnvMissing,
        cause: format!(
            "the app reads {} from its environment ({file}, line {}: `{}`), and the container was started without it, so the app stopped; its log says {}",
            e.name,
            e.line,
            e.text,
            quote(said, 80)
        ),
        fix,
    })
}
