//! The fixes several checks build: the full `docker run` the spec asks for, and the compose snippet for a compose service.

use super::*;

/// The compose service a container of the spec is, if it is one.
pub(crate) fn compose_service_of<'a>(plan: &'a Plan, name: &ContainerName) -> Option<&'a String> {
    plan.checks.iter().find_map(|c| match &c.kind {
        CheckKind::ContainerExists(ContainerExists {
            container,
            compose: Some((_, service)),
        }) if container == name => Some(service),
        _ => None,
    })
}

/// What recreates the container as the spec describes: for a compose service, editing
/// docker-compose.yml and `docker compose up`; otherwise `docker rm -f` and `docker run`.
pub(crate) fn recreate(plan: &Plan, name: &ContainerName) -> String {
    let service = compose_service_of(plan, name);
    match service {
        Some(s) => format!(
            "in docker-compose.yml, give services.{s} {}; then: docker compose up -d {s} (docker-compose up -d {s} with Compose v1)",
            compose_service(plan, name)
        ),
        None => format!("docker rm -f {name} && {}", run_command(plan, name)),
    }
}

/// What the spec asks of a compose service, in docker-compose.yml's own keys:
/// `ports: ["5000:5000"], environment: {FLASK_ENV: development}, volumes: [".:/app"]`.
pub(crate) fn compose_service(plan: &Plan, name: &ContainerName) -> String {
    use super::ContainerSetting as S;
    let (mut ports, mut env, mut volumes, mut labels, mut networks) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut restart = None;
    for c in &plan.checks {
        match &c.kind {
            CheckKind::PortPublished(PortPublished { container, mapping }) if container == name => {
                ports.push(format!("\"{}\"", mapping.flag()));
            }
            CheckKind::ContainerSetting(ContainerSettingCheck { container, setting })
                if container == name =>
            {
                match setting {
                    S::Env(k, v) => env.push(format!("{k}: {v}")),
                    S::Mount(m) => volumes.push(match &m.source {
                        Some(s) => format!("\"{s}:{}\"", m.destination),
                        None => format!("\"{}\"", m.destination),
                    }),
                    S::Restart(r) => restart = Some(r.as_str()),
                    S::Label(k, v) => labels.push(format!("{k}: {v}")),
                    S::Network(n) => networks.push(n.clone()),
                }
            }
            _ => {}
        }
    }
    let mut keys = Vec::new();
    let list = |xs: &[String]| format!("[{}]", xs.join(", "));
    let map = |xs: &[String]| format!("{{{}}}", xs.join(", "));
    if !ports.is_empty() {
        keys.push(format!("ports: {}", list(&ports)));
    }
    if !env.is_empty() {
        keys.push(format!("environment: {}", map(&env)));
    }
    if !volumes.is_empty() {
        keys.push(format!("volumes: {}", list(&volumes)));
    }
    if let Some(r) = restart {
        keys.push(format!("restart: {r}"));
    }
    if !labels.is_empty() {
        keys.push(format!("labels: {}", map(&labels)));
    }
    if !networks.is_empty() {
        keys.push(format!("networks: {}", list(&networks)));
    }
    if keys.is_empty() {
        "what the lab asks".into()
    } else {
        keys.join(", ")
    }
}

/// The `docker run` line that creates the container the spec describes: its name, ports,
/// environment, mounts, restart policy, labels, networks and image.
pub(crate) fn run_command(plan: &Plan, name: &ContainerName) -> String {
    run_command_or(plan, name, None)
}

/// [`run_command`], with the image the container was seen running when the spec names
/// none (never a placeholder where a name is known).
pub(crate) fn run_command_or(plan: &Plan, name: &ContainerName, seen: Option<&str>) -> String {
    let mut cmd = format!("docker run -d --name {name}");
    for c in &plan.checks {
        match &c.kind {
            CheckKind::PortPublished(PortPublished { container, mapping }) if container == name => {
                cmd.push_str(&format!(" -p {}", mapping.flag()));
            }
            CheckKind::ContainerSetting(ContainerSettingCheck { container, setting })
                if container == name =>
            {
                cmd.push(' ');
                cmd.push_str(&container_settings::expected(setting));
            }
            _ => {}
        }
    }
    let image = spec_image(plan, name).map(ImageRef::to_string);
    cmd.push(' ');
    cmd.push_str(image.as_deref().or(seen).unwrap_or("IMAGE"));
    cmd
}

/// The first container the spec runs from `image`, if any.
pub(crate) fn run_from<'a>(plan: &'a Plan, image: &ImageRef) -> Option<&'a ContainerName> {
    plan.checks.iter().find_map(|c| match &c.kind {
        CheckKind::ContainerImage(ContainerImage {
            container,
            image: i,
        }) if i == image => Some(container),
        _ => None,
    })
}

/// The image the spec says a container runs, if it says.
pub(crate) fn spec_image<'a>(plan: &'a Plan, name: &ContainerName) -> Option<&'a ImageRef> {
    plan.checks.iter().find_map(|c| match &c.kind {
        CheckKind::ContainerImage(ContainerImage { container, image }) if container == name => {
            Some(image)
        }
        _ => None,
    })
}

/// The image as a container was run from it (`docker run NAME`), when that is a name
/// and not an id: what a fix names when the spec names no image.
pub(crate) fn seen_image(c: &ContainerFacts) -> Option<&str> {
    Some(c.image_name.as_str()).filter(|i| !i.is_empty() && !i.starts_with("sha256:"))
}

/// What rebuilds the image and runs the container again from it, for a failure whose
/// fix changes the code or the Dockerfile: `docker start` would restart the old build.
pub(crate) fn rebuild_and_rerun(plan: &Plan, name: &ContainerName, seen: Option<&str>) -> String {
    let service = compose_service_of(plan, name);
    if let Some(s) = service {
        return format!("docker compose up -d --build {s}");
    }
    let run = run_command_or(plan, name, seen);
    match spec_image(plan, name)
        .map(ImageRef::to_string)
        .or(seen.map(str::to_string))
    {
        Some(i) => format!("docker build -t {i} . && docker rm -f {name} && {run}"),
        None => format!("rebuild the image, then: docker rm -f {name} && {run}"),
    }
}

/// What rebuilds an image after an edit of the Dockerfile, and runs the container the
/// lab makes of it again (the first container the spec runs from it), typed:
/// `docker build -t IMAGE .`, then `docker rm -f` and the `docker run` the spec asks for.
pub(crate) fn rebuild_image(plan: &Plan, image: &ImageRef) -> String {
    match run_from(plan, image) {
        Some(name) => rebuild_and_rerun(plan, name, None),
        None => format!("docker build -t {image} ."),
    }
}

/// What makes an app that listens on loopback listen on every address, read from the
/// command the container runs: a framework CLI gets its own flag in the CMD (`flask run`
/// binds 127.0.0.1 unless told `--host=0.0.0.0`, so `app.run(host=...)` would change
/// nothing), code that calls `app.run` gets the call with the port it really uses.
pub(crate) fn listen_everywhere(cmd: Option<&[String]>, port: u16) -> String {
    cli_listen_everywhere(cmd, port).unwrap_or_else(|| format!(
        "make the app listen on 0.0.0.0, not 127.0.0.1 (for Flask code: app.run(host='0.0.0.0', port={port})), {AFTER}"
    ))
}

const AFTER: &str = "then rebuild the image and run the container again";

/// How a fix in words ends when the image must be rebuilt and the container run again.
pub(crate) const REBUILD_ENDINGS: [&str; 3] = [
    ", then rebuild the image and run the container again",
    ", then rebuild the image",
    ", then rebuild",
];

/// A fix that ends by saying "rebuild the image and run the container again", with the
/// commands that do it for this container instead (its image and `docker run` as the
/// spec, or what was observed, says). Compose services and fixes that end otherwise
/// are kept as they are.
pub(crate) fn typed_rebuild(plan: &Plan, c: &ContainerFacts, fix: String) -> String {
    match REBUILD_ENDINGS.iter().find_map(|end| fix.strip_suffix(end)) {
        Some(edit) => format!(
            "{edit}, then: {}",
            rebuild_and_rerun(plan, &ContainerName(c.name.clone()), seen_image(c))
        ),
        None => fix,
    }
}

/// [`listen_everywhere`] for a command whose own flags say where the server listens
/// (`flask run`, uvicorn, gunicorn, http.server): the CMD with the address changed.
/// `None` when the command does not say, and the address is in the app's code.
pub(crate) fn cli_listen_everywhere(cmd: Option<&[String]>, port: u16) -> Option<String> {
    edit_cmd(cmd, "listen on 0.0.0.0", |w| bind_all(w, port))
}

/// For a command whose own flags decide the port (`flask run` listens on 5000 unless
/// told `--port`, uvicorn on 8000, http.server on 8000): the CMD set to listen on
/// `port` — and on every address too when `everywhere`, for an app that listens on
/// loopback at the wrong port. `None` when the command does not decide the port.
pub(crate) fn cli_listen_port(
    cmd: Option<&[String]>,
    port: u16,
    everywhere: bool,
) -> Option<String> {
    let note = if everywhere {
        format!("listen on 0.0.0.0, port {port}")
    } else {
        format!("listen on port {port}")
    };
    edit_cmd(cmd, &note, |w| {
        let out = with_port(w, port)?;
        if everywhere {
            bind_all(&out, port)
        } else {
            Some(out)
        }
    })
}

/// The CMD rewritten by `edit` as a Dockerfile line, with `note` saying what it does;
/// a shell-form command (`/bin/sh -c "flask run"`) is edited inside, written back as
/// shell form.
fn edit_cmd(
    cmd: Option<&[String]>,
    note: &str,
    edit: impl Fn(&[String]) -> Option<Vec<String>>,
) -> Option<String> {
    let words: Vec<String> = cmd.map(<[String]>::to_vec).unwrap_or_default();
    let shell = words.len() == 3 && words[1] == "-c" && words[0].ends_with("sh");
    let inner: Vec<String> = if shell {
        words[2].split_whitespace().map(str::to_string).collect()
    } else {
        words.clone()
    };
    let edited = edit(&inner)?;
    let cmd = if shell {
        format!("CMD {}", edited.join(" "))
    } else {
        format!("CMD {}", crate::dockerfile::exec_form(&edited))
    };
    Some(format!("in the Dockerfile, write {cmd} ({note}), {AFTER}"))
}

/// The command with its port set to `port`, for the servers whose command line decides
/// the port; `None` when it does not.
fn with_port(words: &[String], port: u16) -> Option<Vec<String>> {
    let has = |w: &str| {
        words
            .iter()
            .any(|x| x == w || x.ends_with(&format!("/{w}")))
    };
    let p = port.to_string();
    let mut out = words.to_vec();
    // Sets `FLAG VALUE` or `FLAG=VALUE` to `value(old)`; true when the flag was there.
    let mut set = |flags: &[&str], value: &dyn Fn(&str) -> String| -> bool {
        for i in 0..out.len() {
            for f in flags {
                if out[i] == *f && i + 1 < out.len() {
                    out[i + 1] = value(&out[i + 1]);
                    return true;
                }
                if let Some(rest) = out[i].strip_prefix(&format!("{f}="))
                    && !rest.is_empty()
                {
                    out[i] = format!("{f}={}", value(rest));
                    return true;
                }
            }
        }
        false
    };
    if has("flask") && words.iter().any(|w| w == "run") {
        if !set(&["--port", "-p"], &|_| p.clone()) {
            out.push(format!("--port={p}"));
        }
        return Some(out);
    }
    if has("uvicorn") || has("hypercorn") {
        if !set(&["--port"], &|_| p.clone()) {
            out.extend(["--port".to_string(), p]);
        }
        return Some(out);
    }
    if has("gunicorn") {
        let keep_host = |old: &str| {
            let host = old.rsplit_once(':').map_or("0.0.0.0", |(h, _)| h);
            format!("{host}:{p}")
        };
        if !set(&["--bind", "-b"], &keep_host) {
            out.extend(["--bind".to_string(), format!("0.0.0.0:{p}")]);
        }
        return Some(out);
    }
    let at = out.iter().position(|w| w == "http.server")?;
    match out.get(at + 1) {
        Some(w) if w.parse::<u16>().is_ok() => out[at + 1] = p,
        _ => out.insert(at + 1, p),
    }
    Some(out)
}

/// The command with its listen address set to every address, for the servers whose
/// command line says where they listen; `None` when the command does not say.
pub(crate) fn bind_all(words: &[String], port: u16) -> Option<Vec<String>> {
    let has = |w: &str| {
        words
            .iter()
            .any(|x| x == w || x.ends_with(&format!("/{w}")))
    };
    let mut out = words.to_vec();
    // Replaces `FLAG VALUE` or `FLAG=VALUE` with `value`; true when the flag was there.
    let mut set = |flags: &[&str], value: &str| -> bool {
        for i in 0..out.len() {
            for f in flags {
                if out[i] == *f && i + 1 < out.len() {
                    out[i + 1] = value.to_string();
                    return true;
                }
                if let Some(rest) = out[i].strip_prefix(&format!("{f}="))
                    && !rest.is_empty()
                {
                    out[i] = format!("{f}={value}");
                    return true;
                }
            }
        }
        false
    };
    let flask = has("flask") && words.iter().any(|w| w == "run");
    if flask {
        if !set(&["--host", "-h"], "0.0.0.0") {
            let at = out
                .iter()
                .position(|w| w == "run")
                .map_or(out.len(), |i| i + 1);
            out.insert(at, "--host=0.0.0.0".into());
        }
        return Some(out);
    }
    if has("uvicorn") || has("hypercorn") {
        if !set(&["--host"], "0.0.0.0") {
            out.extend(["--host".to_string(), "0.0.0.0".to_string()]);
        }
        return Some(out);
    }
    if has("gunicorn") {
        if !set(&["--bind", "-b"], &format!("0.0.0.0:{port}")) {
            out.extend(["--bind".to_string(), format!("0.0.0.0:{port}")]);
        }
        return Some(out);
    }
    if words.iter().any(|w| w == "http.server") {
        // http.server listens everywhere unless told --bind.
        let at = out.iter().position(|w| w == "--bind" || w == "-b")?;
        out.drain(at..(at + 2).min(out.len()));
        return Some(out);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn framework_clis_get_their_own_flag() {
        let f = listen_everywhere(Some(&words(&["flask", "run", "--port", "8088"])), 8088);
        assert!(
            f.contains(r#"CMD ["flask", "run", "--host=0.0.0.0", "--port", "8088"]"#),
            "{f}"
        );
        let f = listen_everywhere(
            Some(&words(&[
                "python",
                "-m",
                "flask",
                "run",
                "--host=127.0.0.1",
            ])),
            5000,
        );
        assert!(
            f.contains(r#"CMD ["python", "-m", "flask", "run", "--host=0.0.0.0"]"#),
            "{f}"
        );
        let f = listen_everywhere(Some(&words(&["/bin/sh", "-c", "flask run -p 8088"])), 8088);
        assert!(f.contains("CMD flask run --host=0.0.0.0 -p 8088"), "{f}");
        let f = listen_everywhere(
            Some(&words(&["uvicorn", "main:app", "--host", "127.0.0.1"])),
            8000,
        );
        assert!(
            f.contains(r#"["uvicorn", "main:app", "--host", "0.0.0.0"]"#),
            "{f}"
        );
        let f = listen_everywhere(Some(&words(&["gunicorn", "app:app"])), 8088);
        assert!(f.contains(r#""--bind", "0.0.0.0:8088""#), "{f}");
        let f = listen_everywhere(
            Some(&words(&[
                "python3",
                "-m",
                "http.server",
                "8088",
                "--bind",
                "127.0.0.1",
            ])),
            8088,
        );
        assert!(
            f.contains(r#"CMD ["python3", "-m", "http.server", "8088"]"#),
            "{f}"
        );
    }

    #[test]
    fn framework_clis_get_their_own_port() {
        let port = |w: &[&str], all| cli_listen_port(Some(&words(w)), 8088, all).unwrap();
        assert_eq!(
            port(&["flask", "run", "--host=0.0.0.0"], false),
            r#"in the Dockerfile, write CMD ["flask", "run", "--host=0.0.0.0", "--port=8088"] (listen on port 8088), then rebuild the image and run the container again"#
        );
        assert!(
            port(&["python", "-m", "flask", "run"], true)
                .contains(r#"CMD ["python", "-m", "flask", "run", "--host=0.0.0.0", "--port=8088"] (listen on 0.0.0.0, port 8088)"#)
        );
        assert!(
            port(&["flask", "run", "-p", "5000"], false)
                .contains(r#"CMD ["flask", "run", "-p", "8088"]"#)
        );
        assert!(
            port(&["uvicorn", "main:app", "--host", "0.0.0.0"], false)
                .contains(r#"CMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "8088"]"#)
        );
        assert!(
            port(&["uvicorn", "main:app", "--port=8000"], true)
                .contains(r#"CMD ["uvicorn", "main:app", "--port=8088", "--host", "0.0.0.0"]"#)
        );
        assert!(
            port(&["gunicorn", "-b", "0.0.0.0:5000", "app:app"], false)
                .contains(r#"CMD ["gunicorn", "-b", "0.0.0.0:8088", "app:app"]"#)
        );
        assert!(
            port(&["python3", "-m", "http.server"], false)
                .contains(r#"CMD ["python3", "-m", "http.server", "8088"]"#)
        );
        assert!(
            port(
                &["python3", "-m", "http.server", "8000", "--bind", "0.0.0.0"],
                false
            )
            .contains(r#"CMD ["python3", "-m", "http.server", "8088", "--bind", "0.0.0.0"]"#)
        );
        assert!(
            port(&["/bin/sh", "-c", "flask run --host=0.0.0.0"], false)
                .contains("CMD flask run --host=0.0.0.0 --port=8088")
        );
        assert_eq!(
            cli_listen_port(Some(&words(&["python", "app.py"])), 8088, false),
            None
        );
        assert_eq!(cli_listen_port(None, 8088, false), None);
    }

    #[test]
    fn code_gets_app_run_with_the_real_port() {
        let f = listen_everywhere(Some(&words(&["python", "app.py"])), 8088);
        assert!(f.contains("app.run(host='0.0.0.0', port=8088)"), "{f}");
        assert!(!f.contains("port=..."), "{f}");
        let f = listen_everywhere(None, 5000);
        assert!(f.contains("port=5000"), "{f}");
    }
}
