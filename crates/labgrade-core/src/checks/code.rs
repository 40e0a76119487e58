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
    read_text(facts, c).map(|(s, file, _)| (s, file))
}

/// [`read`], with the file's text.
fn read_text<'a>(facts: &'a Facts, c: &ContainerFacts) -> Option<(Source, String, &'a str)> {
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
    Some((source::read(&path, text), file, text))
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
    if let Some(t) = loopback_on_the_run_line(plan, facts, c, port, &cause) {
        return t;
    }
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

/// Loopback asked for by words typed after the image name on `docker run` (`docker run
/// ... IMAGE --listen 127.0.0.1:8088`), which replace the image's CMD where that CMD names
/// no loopback address (and is no framework CLI that binds loopback by default): the fix
/// is the `docker run` without them, no rebuild. `None` otherwise, and for a compose
/// service (its `command:` is in docker-compose.yml).
fn loopback_on_the_run_line(
    plan: &Plan,
    facts: &Facts,
    c: &ContainerFacts,
    port: u16,
    cause: &str,
) -> Option<Told> {
    let name = ContainerName(c.name.clone());
    if compose_service_of(plan, &name).is_some() {
        return None;
    }
    let (got, want) = (c.cmd.as_ref()?, image_of(facts, c)?.cmd.as_ref()?);
    let loopback = |w: &[String]| {
        w.iter()
            .any(|x| x.contains("127.0.0.1") || x.contains("localhost"))
    };
    let cli_default = bind_all(want, port).is_some_and(|all| all != *want);
    if got == want || !loopback(got) || loopback(want) || cli_default {
        return None;
    }
    Some(Told {
        id: CauseId::LoopbackBind,
        cause: format!(
            "{cause}: the words after the image name on `docker run` (`{}`) replace the image's CMD {} and ask for loopback",
            got.join(" "),
            exec_form(want)
        ),
        fix: format!(
            "docker rm -f {name} && {}   (the same docker run without the words after the image name, so the image's own CMD runs)",
            run_command_or(plan, &name, seen_image(c))
        ),
    })
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
pub(crate) fn route(
    plan: &Plan,
    facts: &Facts,
    c: &ContainerFacts,
    h: &HttpExpect,
    path: &str,
    answering: &[&str],
) -> Option<Told> {
    let (s, file, text) = read_text(facts, c)?;
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
    let cause = format!("{path} is 404: {file} declares {shown} — not {path}");
    let lines: Vec<&str> = text.lines().collect();
    // A handler written from what the lab asks of the answer, in the file's own
    // framework; when the answer cannot be written out (a pattern, a per-run value), the
    // function of a route that does answer is given the path too, as an alias.
    let edit = new_handler(&s, &file, &lines, h, path)
        .or_else(|| alias(&s, &file, &lines, path, answering))
        .unwrap_or_else(|| {
            let example = match s.framework {
                Framework::Flask => format!("`@app.route('{path}')` above a view function"),
                Framework::FastApi => format!("`@app.get('{path}')` above a path function"),
                Framework::Express => format!("`app.get('{path}', (req, res) => ...)`"),
                Framework::HttpServer => format!("a branch for `self.path == '{path}'` in do_GET"),
                Framework::Other => format!("a route {path}"),
            };
            format!(
                "add {example} to {file} (its routes are at line {}), with the answer the lab asks for",
                s.routes
                    .iter()
                    .map(|r| r.line.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
    Some(Told {
        id: CauseId::RouteNotInCode,
        cause,
        fix: then_rebuild(plan, c, &edit),
    })
}

/// "in app.py, above line 18 (`if ...:`), add the lines `A` and `B`": lines inserted
/// before a named line, each written out whole.
fn insert_above(file: &str, line: usize, anchor: &str, new: &[String]) -> String {
    insert_at(file, "above", line, anchor, new)
}

/// [`insert_above`], or `below` the named line.
fn insert_at(file: &str, side: &str, line: usize, anchor: &str, new: &[String]) -> String {
    let quoted: Vec<String> = new.iter().map(|l| format!("`{l}`")).collect();
    let what = match quoted.as_slice() {
        [one] => format!("the line {one}"),
        [init @ .., last] => format!("the lines {} and {last}", init.join(", ")),
        [] => String::new(),
    };
    format!(
        "in {file}, {side} line {line} (`{}`), add {what}",
        anchor.trim()
    )
}

/// The quote the file's routes are written with.
fn quote_of(s: &Source) -> char {
    if s.routes.iter().any(|r| r.text.contains('\''))
        && !s.routes.iter().any(|r| r.text.contains('"'))
    {
        '\''
    } else {
        '"'
    }
}

/// A JSON value as a Python literal (`true` → `True`), `None` for one it cannot write.
fn py_literal(v: &serde_json::Value) -> String {
    use serde_json::Value::*;
    match v {
        Null => "None".into(),
        Bool(true) => "True".into(),
        Bool(false) => "False".into(),
        Array(a) => format!(
            "[{}]",
            a.iter().map(py_literal).collect::<Vec<_>>().join(", ")
        ),
        Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    serde_json::Value::String(k.clone()),
                    py_literal(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// The answer the lab asks for, as a JSON document or a text, when it can be written out:
/// `json:` paths of keys only, an exact body, texts the body must contain, or only a
/// status (then `{"status": "ok"}` or `ok`).
fn wanted_answer(h: &HttpExpect) -> Option<Result<serde_json::Value, String>> {
    if h.random.is_some() || h.body_regex.is_some() {
        return None;
    }
    let wants_json = h.response_headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type") && v.to_ascii_lowercase().contains("json")
    });
    if !h.json.is_empty() {
        let mut doc = serde_json::Value::Object(Default::default());
        for (path, want) in &h.json {
            let mut at = &mut doc;
            for (i, step) in path.steps.iter().enumerate() {
                let crate::spec::JsonStep::Key(k) = step else {
                    return None;
                };
                let map = at.as_object_mut()?;
                let last = i + 1 == path.steps.len();
                at = map.entry(k.clone()).or_insert_with(|| {
                    if last {
                        serde_json::Value::Null
                    } else {
                        serde_json::Value::Object(Default::default())
                    }
                });
                if last {
                    *at = want.clone();
                }
            }
        }
        return Some(Ok(doc));
    }
    if let Some(b) = &h.body_equals {
        return Some(Err(b.clone()));
    }
    if !h.body_contains.is_empty() {
        return (!wants_json).then(|| Err(h.body_contains.join(" ")));
    }
    Some(if wants_json {
        Ok(serde_json::json!({"status": "ok"}))
    } else {
        Err("ok".into())
    })
}

/// A function name for a path: `/api/health` → `api_health`, `/` → `index`, one the
/// file does not define yet.
fn handler_name(path: &str, lines: &[&str]) -> String {
    let mut name: String = path
        .trim_matches('/')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim_matches('_').to_string();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("index{name}");
    }
    let taken = |n: &str| {
        lines.iter().any(|l| {
            let l = l.trim_start();
            l.starts_with(&format!("def {n}(")) || l.starts_with(&format!("async def {n}("))
        })
    };
    while taken(&name) {
        name.push_str("_route");
    }
    name
}

/// A GET handler for `path` answering what the lab asks, in the file's framework, and
/// where it goes: above `if __name__ == "__main__":` (or the line that starts the
/// server) for Python, above `app.listen(` for Express.
fn new_handler(
    s: &Source,
    file: &str,
    lines: &[&str],
    h: &HttpExpect,
    path: &str,
) -> Option<String> {
    if h.method != crate::spec::Method::Get {
        return None;
    }
    let answer = wanted_answer(h)?;
    let status = match h.status {
        crate::spec::StatusSpec::Exact(200) | crate::spec::StatusSpec::Class(2) => None,
        crate::spec::StatusSpec::Exact(n) => Some(n),
        crate::spec::StatusSpec::Class(_) => return None,
    };
    let q = quote_of(s);
    let text_lit = |t: &str| -> Option<String> {
        (!t.contains(['\\', '\n', q])).then(|| format!("{q}{t}{q}"))
    };
    let first_bind = s.binds.first().map(|b| b.line);
    let main_line = lines
        .iter()
        .position(|l| l.starts_with("if __name__"))
        .map(|i| i + 1);
    let (new, at) = match s.framework {
        Framework::Flask => {
            let body = match &answer {
                Ok(doc) if lines.iter().any(|l| l.contains("jsonify")) => {
                    format!("jsonify({})", py_literal(doc))
                }
                Ok(doc) => py_literal(doc),
                Err(t) => text_lit(t)?,
            };
            let ret = match status {
                Some(n) => format!("return {body}, {n}"),
                None => format!("return {body}"),
            };
            (
                vec![
                    format!("@app.route({q}{path}{q})"),
                    format!("def {}(): {ret}", handler_name(path, lines)),
                ],
                main_line.or(first_bind.filter(|l| !lines[l - 1].starts_with(' ')))?,
            )
        }
        Framework::FastApi if status.is_none() => {
            let body = match &answer {
                Ok(doc) => py_literal(doc),
                Err(_) => return None,
            };
            (
                vec![
                    format!("@app.get({q}{path}{q})"),
                    format!("def {}(): return {body}", handler_name(path, lines)),
                ],
                main_line.or(first_bind.filter(|l| !lines[l - 1].starts_with(' ')))?,
            )
        }
        Framework::Express => {
            let send = match &answer {
                Ok(doc) => format!("json({doc})"),
                Err(t) => format!("send({})", text_lit(t)?),
            };
            let send = match status {
                Some(n) => format!("status({n}).{send}"),
                None => send,
            };
            (
                vec![format!("app.get({q}{path}{q}, (req, res) => res.{send});")],
                first_bind?,
            )
        }
        _ => return None,
    };
    let anchor = lines.get(at.checked_sub(1)?)?;
    Some(insert_above(file, at, anchor, &new))
}

/// The path given to the function of a declared route that does answer (`answering`, as
/// the grader's own requests found): one more decorator above that route's. Flask and
/// FastAPI only, where decorators stack.
fn alias(s: &Source, file: &str, lines: &[&str], path: &str, answering: &[&str]) -> Option<String> {
    if !matches!(s.framework, Framework::Flask | Framework::FastApi) {
        return None;
    }
    let r = s
        .routes
        .iter()
        .find(|r| answering.contains(&r.path.as_str()) && r.text.starts_with('@'))?;
    let quoted = ['\'', '"']
        .iter()
        .map(|q| format!("{q}{}{q}", r.path))
        .find(|quoted| r.text.contains(quoted.as_str()))?;
    let q = &quoted[..1];
    // The decorator alone, without the methods or other arguments of the original.
    let head = &r.text[..r.text.find(quoted.as_str())?];
    let anchor = lines.get(r.line.checked_sub(1)?)?;
    Some(format!(
        "{}, so the function that answers {} answers {path} too",
        insert_above(file, r.line, anchor, &[format!("{head}{q}{path}{q})")]),
        r.path
    ))
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

/// The lines of the `return` statement of the function a route's decorator at `decl`
/// (1-based) sits on: from its `return` to where its brackets close, 1-based inclusive.
fn return_of(lines: &[&str], decl: usize) -> Option<(usize, usize)> {
    let start = lines
        .iter()
        .enumerate()
        .skip(decl)
        .take_while(|(_, l)| !l.starts_with('@'))
        .find(|(_, l)| l.trim_start().starts_with("return ") && l.starts_with([' ', '\t']))
        .map(|(i, _)| i)?;
    let mut depth = 0i32;
    for (i, l) in lines.iter().enumerate().skip(start) {
        for ch in l.chars() {
            match ch {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        if depth <= 0 {
            return Some((start + 1, i + 1));
        }
    }
    None
}

/// Where the per-run value went in the request, as the Flask expression that reads it:
/// a header (`request.headers`) or a query parameter (`request.args`). `whole` is the
/// dictionary of them all, `one` the single value.
struct FromRequest {
    name: String,
    whole: &'static str,
    one: String,
}

fn from_request(h: &HttpExpect, token: &str) -> Option<FromRequest> {
    if let Some((k, _)) = h.headers.iter().find(|(_, v)| v == token) {
        return Some(FromRequest {
            name: k.clone(),
            whole: "dict(request.headers)",
            one: format!("request.headers.get(\"{k}\")"),
        });
    }
    let path = match &h.target {
        crate::spec::Target::Path(p) | crate::spec::Target::Url(p) => p,
    };
    let query = path.split_once('?')?.1;
    let (k, _) = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(_, v)| *v == token)?;
    Some(FromRequest {
        name: k.to_string(),
        whole: "request.args.to_dict()",
        one: format!("request.args.get(\"{k}\")"),
    })
}

/// A hard-coded answer in Flask code, rewritten to be built from the request: the
/// `return` of the route's function replaced by one that gives back where the per-run
/// value came from (the request's headers or query) at the place the lab's `json:` asks
/// for it, and `request` imported when it is not. `None` when the code or the spec asks
/// for more than that (then the caller says what to look for).
pub(crate) fn hard_coded(
    plan: &Plan,
    facts: &Facts,
    c: &ContainerFacts,
    h: &HttpExpect,
    token: &str,
) -> Option<String> {
    let (s, file, text) = read_text(facts, c)?;
    if s.framework != Framework::Flask || s.prefixed {
        return None;
    }
    let path = match &h.target {
        crate::spec::Target::Path(p) => p.split('?').next().unwrap_or(p).to_string(),
        crate::spec::Target::Url(u) => url::Url::parse(u).ok()?.path().to_string(),
    };
    let r = s
        .routes
        .iter()
        .find(|r| source::route_matches(&r.path, &path))?;
    let lines: Vec<&str> = text.lines().collect();
    let (from, to) = return_of(&lines, r.line)?;
    let src = from_request(h, token)?;
    // Only the per-run value is asked for: the whole answer is known.
    let [(jpath, want)] = h.json.as_slice() else {
        return None;
    };
    if want.as_str() != Some(token) {
        return None;
    }
    let mut keys = Vec::new();
    for step in &jpath.steps {
        let crate::spec::JsonStep::Key(k) = step else {
            return None;
        };
        keys.push(k.as_str());
    }
    let mut expr = match keys.last() {
        Some(k) if k.eq_ignore_ascii_case(&src.name) => {
            keys.pop();
            src.whole.to_string()
        }
        _ => src.one.clone(),
    };
    for k in keys.iter().rev() {
        expr = format!("{{{}: {expr}}}", serde_json::Value::String(k.to_string()));
    }
    let old: String = lines[from - 1..to].join("\n");
    let ret = if old.contains("jsonify(") {
        format!("return jsonify({expr})")
    } else {
        format!("return {expr}")
    };
    let mut edits = Vec::new();
    let imported = lines.iter().any(|l| {
        l.starts_with("from flask import")
            && l["from flask import".len()..]
                .split(',')
                .any(|w| w.trim() == "request")
    });
    if !imported {
        let (i, l) = lines
            .iter()
            .enumerate()
            .find(|(_, l)| l.starts_with("from flask import ") && !l.contains(['(', '\\']))?;
        edits.push(change(
            &file,
            i + 1,
            l.trim_end(),
            &format!("{}, request", l.trim_end()),
        ));
    }
    let span = if from == to {
        format!("line {from}")
    } else {
        format!("lines {from} to {to}")
    };
    edits.push(format!(
        "in {file}, replace {span} (the `return` that answers fixed text) with `{ret}`, indented as line {from} is"
    ));
    Some(then_rebuild(plan, c, &edits.join("; ")))
}

/// Lines a one-shot Python program can print, with what they print, for output a lab asks
/// for by a pattern: the first whose output the spec's own pattern accepts is offered.
/// (Any date `date.today()` prints has the shape of the one shown.)
const PRINTS: [(&[&str], &str); 2] = [
    (
        &[
            "from datetime import date",
            "print(\"Today is\", date.today())",
        ],
        "Today is 2026-12-01",
    ),
    (&["print(\"Hello from Docker!\")"], "Hello from Docker!"),
];

/// A one-shot program whose output lacks what the lab asks for: the Python lines that
/// print it, added below the script's last line (above it when it exits), when the script is the image's CMD, is
/// Python, ends at the top level, and what is missing can be written out (a text the
/// output must contain that its command line does not give it, or a pattern one of
/// [`PRINTS`] matches). `None` otherwise.
pub(crate) fn missing_output(
    facts: &Facts,
    image: &ImageFacts,
    tag: &ImageRef,
    r: &crate::spec::RunSpec,
    stdout: &str,
) -> Option<String> {
    let mut words = image.entrypoint.clone().unwrap_or_default();
    words.extend(if r.args.is_empty() {
        image.cmd.clone().unwrap_or_default()
    } else {
        r.args.clone()
    });
    let path = source::locate(&words, image.workdir.as_deref(), &[])?;
    if !path.ends_with(".py") {
        return None;
    }
    let text = image.files.get(&path)?.as_ref()?.text.as_deref()?;
    let file = super::files::Build::read(facts, tag)
        .source_of(&path)
        .map_or_else(
            || path.rsplit('/').next().unwrap_or(&path).to_string(),
            |(_, s)| s,
        );
    let lines: Vec<&str> = text.lines().collect();
    let (at, last) = lines
        .iter()
        .enumerate()
        .rev()
        .find(|(_, l)| !l.trim().is_empty())?;
    if last.starts_with([' ', '\t']) || last.trim_end().ends_with(['\\', ':', '(', '[', '{', ',']) {
        return None;
    }
    // A script that ends by exiting gets the lines above that exit.
    let exits = ["sys.exit(", "exit(", "quit(", "raise "]
        .iter()
        .any(|e| last.starts_with(e));
    let mut new: Vec<String> = Vec::new();
    for t in &r.stdout_contains {
        if !stdout.contains(t.as_str()) {
            // A text the command line gives the program is to be printed from there.
            if t.contains(['"', '\\', '\n']) || r.args.iter().any(|a| a.contains(t.as_str())) {
                return None;
            }
            new.push(format!("print(\"{t}\")"));
        }
    }
    if let Some(p) = &r.stdout_regex
        && !p.0.is_match(stdout)
    {
        let (code, _) = PRINTS.iter().find(|(_, shows)| p.0.is_match(shows))?;
        new.extend(code.iter().map(|l| l.to_string()));
    }
    let side = if exits { "above" } else { "below" };
    (!new.is_empty()).then(|| insert_at(&file, side, at + 1, last, &new))
}

/// A request the app failed with a Python traceback: the deepest frame in the app's own
/// file names the line. A `NameError` for a name one or two letters from one the file
/// defines or imports (`jsonfy` for `jsonify`) is fixed on that line; otherwise the fix
/// names the line and the error to look for there.
pub(crate) fn server_error(plan: &Plan, facts: &Facts, c: &ContainerFacts) -> Option<Told> {
    let (s, file, text) = read_text(facts, c)?;
    let frame = format!("File \"{}\", line ", s.path);
    let (at, n) = c.log_tail.iter().enumerate().rev().find_map(|(i, l)| {
        let rest = &l[l.find(&frame)? + frame.len()..];
        let n: usize = rest.split(',').next()?.trim().parse().ok()?;
        Some((i, n))
    })?;
    // The exception: the first line after the frame that is not indented.
    let error = c.log_tail[at + 1..]
        .iter()
        .find(|l| !l.starts_with([' ', '\t']) && l.contains(':'))?
        .trim();
    let line = text.lines().nth(n.checked_sub(1)?)?.trim();
    let typo = error
        .strip_prefix("NameError: name '")
        .and_then(|r| r.split_once('\'').map(|(name, _)| name));
    let fixed = typo.and_then(|name| {
        let mut best: Option<(usize, &str)> = None;
        let mut tie = false;
        for w in identifiers(text) {
            if w == name || w.len() < 3 {
                continue;
            }
            let d = strsim::damerau_levenshtein(name, w);
            if d > 2 || d * 3 > name.len() {
                continue;
            }
            match best {
                Some((bd, bw)) if d == bd && bw != w => tie = true,
                Some((bd, _)) if d >= bd => {}
                _ => {
                    best = Some((d, w));
                    tie = false;
                }
            }
        }
        let (_, w) = best.filter(|_| !tie)?;
        Some((name, w))
    });
    let (cause, edit) = match fixed {
        Some((name, w)) if word_at(line, name).is_some() => {
            let at = word_at(line, name)?;
            let new = format!("{}{w}{}", &line[..at], &line[at + name.len()..]);
            (
                format!(
                    "the app failed while answering: {file}, line {n}, says `{line}`, and {}: {name} is a letter or two from {w}, which {file} names",
                    quote(error, 120)
                ),
                change(&file, n, line, &new),
            )
        }
        _ => (
            format!(
                "the app failed while answering: {file}, line {n}, `{line}`, raised {}",
                quote(error, 120)
            ),
            format!(
                "in {file}, line {n} (`{line}`), fix what raises {}",
                quote(error, 120)
            ),
        ),
    };
    Some(Told {
        id: CauseId::AppErrorOnRequest,
        cause,
        fix: then_rebuild(plan, c, &edit),
    })
}

/// The identifiers a Python text names (each once, in order).
fn identifiers(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start = None;
    for (i, ch) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        let part = ch.is_ascii_alphanumeric() || ch == '_';
        match (start, part) {
            (None, true) => start = Some(i),
            (Some(s), false) => {
                let w = &text[s..i];
                if !w.starts_with(|c: char| c.is_ascii_digit()) && !out.contains(&w) {
                    out.push(w);
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Where `name` stands as a whole word in `line`.
fn word_at(line: &str, name: &str) -> Option<usize> {
    let is_id = |c: char| c.is_ascii_alphanumeric() || c == '_';
    line.match_indices(name)
        .map(|(i, _)| i)
        .find(|&i| !line[..i].ends_with(is_id) && !line[i + name.len()..].starts_with(is_id))
}
