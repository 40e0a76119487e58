//! `images:` settings — EXPOSE, CMD, ENTRYPOINT, WORKDIR, ENV, USER, size, exec form,
//! base image, extra tag and layer order, judged from the image's config and history.

use labgrade_core::cause::CauseId;

use crate::common::*;

const IMAGE: &str = "nautilus/python-app";

/// A spec asking one thing of the image.
fn spec(setting: &str) -> String {
    format!("images:\n  - name: {IMAGE}\n    {setting}\n")
}

fn image(f: impl FnOnce(ImageB) -> ImageB) -> FactsBuilder {
    FactsBuilder::new().image(IMAGE, f)
}

/// `docker history` of a good build with the legacy builder, oldest first.
const GOOD_HISTORY: [&str; 7] = [
    "/bin/sh -c #(nop) ADD file:8b1e79f91081eb527b455431af2fa9ea50b8a7e0b3cb9b8b7cf1b1dbd9e8d2ac in / ",
    "/bin/sh -c #(nop)  CMD [\"bash\"]",
    "/bin/sh -c #(nop) WORKDIR /app",
    "/bin/sh -c #(nop) COPY file:3b1c5e0d1ab0f6c7e0a38f1f4a3c52c52c3e8b3b0c4b1e6a9f1f0c0d9a8b7c6d in . ",
    "/bin/sh -c pip install --no-cache-dir -r requirements.txt",
    "/bin/sh -c #(nop) COPY dir:9c0f6e1d3c1b5a4e2f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6 in . ",
    "/bin/sh -c #(nop)  CMD [\"python\" \"server.py\"]",
];

#[test]
fn table() {
    let expose = spec("expose: [8088]");
    let cmd = spec("cmd: [\"python\", \"server.py\"]");
    let cmd_contains = spec("cmd_contains: server.py");
    let entrypoint = spec("entrypoint: [\"python\"]");
    let workdir = spec("workdir: /app");
    let env = spec("env: {PYTHONUNBUFFERED: \"1\"}");
    let user = spec("user: appuser");
    let size = spec("max_size: 200MB");
    let exec_form = spec("exec_form: true");
    let base = spec("base: python:3.*-slim");
    // An image name of its own: nautilus/python-app would itself match */python-app.
    let tagged = "images:\n  - name: flask-echo\n    tagged_as: \"*/flask-echo\"\n";
    let echo = |f: fn(ImageB) -> ImageB| FactsBuilder::new().image("flask-echo", f);
    let layers = spec("deps_before_code: true");
    let layers_npm = spec("deps_before_code: true\n    install_command: npm ci");
    let cases = [
        // EXPOSE
        Case::passes(
            "expose: present",
            &expose,
            "expose:nautilus/python-app:8088/tcp",
            image(|i| i.exposed(8088)),
        ),
        Case::fails(
            "expose: another port",
            &expose,
            "expose:nautilus/python-app:8088/tcp",
            CauseId::WrongExpose,
            image(|i| i.exposed(5000)),
        ),
        Case::fails(
            "expose: none",
            &expose,
            "expose:nautilus/python-app:8088/tcp",
            CauseId::WrongExpose,
            image(|i| i),
        ),
        Case::fails(
            "expose: in the Dockerfile, but the image is older",
            &expose,
            "expose:nautilus/python-app:8088/tcp",
            CauseId::NotRebuilt,
            image(|i| i).file("Dockerfile", "FROM python:3.11-slim\nEXPOSE 8088\n"),
        ),
        // CMD
        Case::passes(
            "cmd: exact",
            &cmd,
            "cmd:nautilus/python-app",
            image(|i| i.cmd(["python", "server.py"])),
        ),
        Case::fails(
            "cmd: another command",
            &cmd,
            "cmd:nautilus/python-app",
            CauseId::WrongCmd,
            image(|i| i.cmd(["python", "app.py"])),
        ),
        Case::fails(
            "cmd: the right command in shell form",
            &cmd,
            "cmd:nautilus/python-app",
            CauseId::WrongCmd,
            image(|i| i.shell_cmd("python server.py")),
        ),
        Case::fails(
            "cmd: none",
            &cmd,
            "cmd:nautilus/python-app",
            CauseId::WrongCmd,
            image(|i| i),
        ),
        // CMD contains
        Case::passes(
            "cmd_contains: in CMD",
            &cmd_contains,
            "cmd-contains:nautilus/python-app",
            image(|i| i.cmd(["python", "/app/server.py"])),
        ),
        Case::passes(
            "cmd_contains: in ENTRYPOINT",
            &cmd_contains,
            "cmd-contains:nautilus/python-app",
            image(|i| {
                i.entrypoint(["python", "server.py"])
                    .cmd(["--port", "8088"])
            }),
        ),
        Case::fails(
            "cmd_contains: runs another file",
            &cmd_contains,
            "cmd-contains:nautilus/python-app",
            CauseId::WrongCmd,
            image(|i| i.cmd(["python", "app.py"])),
        ),
        Case::fails(
            "cmd_contains: no CMD",
            &cmd_contains,
            "cmd-contains:nautilus/python-app",
            CauseId::WrongCmd,
            image(|i| i),
        ),
        // ENTRYPOINT
        Case::passes(
            "entrypoint: exact",
            &entrypoint,
            "entrypoint:nautilus/python-app",
            image(|i| i.entrypoint(["python"]).cmd(["server.py"])),
        ),
        Case::fails(
            "entrypoint: another",
            &entrypoint,
            "entrypoint:nautilus/python-app",
            CauseId::WrongEntrypoint,
            image(|i| i.entrypoint(["python3"])),
        ),
        Case::fails(
            "entrypoint: none",
            &entrypoint,
            "entrypoint:nautilus/python-app",
            CauseId::WrongEntrypoint,
            image(|i| i.cmd(["python", "server.py"])),
        ),
        // WORKDIR
        Case::passes(
            "workdir: same, with a trailing slash",
            &workdir,
            "workdir:nautilus/python-app",
            image(|i| i.workdir("/app/")),
        ),
        Case::fails(
            "workdir: another",
            &workdir,
            "workdir:nautilus/python-app",
            CauseId::WrongWorkdir,
            image(|i| i.workdir("/usr/src/app")),
        ),
        Case::fails(
            "workdir: none (the root)",
            &workdir,
            "workdir:nautilus/python-app",
            CauseId::WrongWorkdir,
            image(|i| i),
        ),
        // ENV
        Case::passes(
            "env: set",
            &env,
            "image-env:nautilus/python-app:PYTHONUNBUFFERED",
            image(|i| i.env("PYTHONUNBUFFERED=1")),
        ),
        Case::fails(
            "env: another value",
            &env,
            "image-env:nautilus/python-app:PYTHONUNBUFFERED",
            CauseId::WrongEnv,
            image(|i| i.env("PYTHONUNBUFFERED=0")),
        ),
        Case::fails(
            "env: not set",
            &env,
            "image-env:nautilus/python-app:PYTHONUNBUFFERED",
            CauseId::MissingEnv,
            image(|i| i.env("PYTHONDONTWRITEBYTECODE=1")),
        ),
        // USER
        Case::passes(
            "user: set",
            &user,
            "user:nautilus/python-app",
            image(|i| i.user("appuser")),
        ),
        Case::fails(
            "user: none (root)",
            &user,
            "user:nautilus/python-app",
            CauseId::WrongUser,
            image(|i| i),
        ),
        Case::fails(
            "user: another",
            &user,
            "user:nautilus/python-app",
            CauseId::WrongUser,
            image(|i| i.user("1000")),
        ),
        // Size
        Case::passes(
            "max_size: under",
            &size,
            "size:nautilus/python-app",
            image(|i| i.size(152_430_112)),
        ),
        Case::fails(
            "max_size: over",
            &size,
            "size:nautilus/python-app",
            CauseId::ImageTooLarge,
            image(|i| i.size(1_017_000_000)),
        ),
        Case::fails(
            "max_size: size unknown",
            &size,
            "size:nautilus/python-app",
            CauseId::SizeUnknown,
            image(|i| i.no_size()),
        ),
        // Exec form
        Case::passes(
            "exec_form: both in exec form",
            &exec_form,
            "exec-form:nautilus/python-app",
            image(|i| i.entrypoint(["python"]).cmd(["server.py"])),
        ),
        Case::fails(
            "exec_form: CMD in shell form",
            &exec_form,
            "exec-form:nautilus/python-app",
            CauseId::ShellForm,
            image(|i| i.shell_cmd("python server.py")),
        ),
        Case::fails(
            "exec_form: CMD in shell form with shell syntax",
            &exec_form,
            "exec-form:nautilus/python-app",
            CauseId::ShellForm,
            image(|i| i.shell_cmd("python server.py --port $PORT")),
        ),
        Case::fails(
            "exec_form: ENTRYPOINT in shell form",
            &exec_form,
            "exec-form:nautilus/python-app",
            CauseId::ShellForm,
            image(|i| i.shell_entrypoint("gunicorn -b 0.0.0.0:8088 app:app")),
        ),
        // Base image
        Case::passes(
            "base: matches",
            &base,
            "base:nautilus/python-app",
            image(|i| i.base(["python:3.11-slim", "python:3.11-slim-bookworm"])),
        ),
        Case::fails(
            "base: the full image",
            &base,
            "base:nautilus/python-app",
            CauseId::WrongBase,
            image(|i| i.base(["python:3.11"])),
        ),
        Case::fails(
            "base: an untagged image",
            &base,
            "base:nautilus/python-app",
            CauseId::WrongBase,
            image(|i| i.base([])),
        ),
        Case::fails(
            "base: cannot be told",
            &base,
            "base:nautilus/python-app",
            CauseId::BaseUnknown,
            image(|i| i.base_unknown()),
        ),
        // Extra tag
        Case::passes(
            "tagged_as: tagged",
            tagged,
            "tagged:flask-echo",
            echo(|i| i.tag("alice/flask-echo:latest")),
        ),
        Case::fails(
            "tagged_as: the tag is on an older build",
            tagged,
            "tagged:flask-echo",
            CauseId::TagOutdated,
            echo(|i| i.lookalike("alice/flask-echo:latest")),
        ),
        Case::fails(
            "tagged_as: no such tag",
            tagged,
            "tagged:flask-echo",
            CauseId::TagMissing,
            echo(|i| i),
        ),
        // Layer order
        Case::passes(
            "deps_before_code: legacy builder, good order",
            &layers,
            "layer-order:nautilus/python-app",
            image(|i| i.history(GOOD_HISTORY)),
        ),
        Case::passes(
            "deps_before_code: BuildKit, npm ci",
            &layers_npm,
            "layer-order:nautilus/python-app",
            image(|i| {
                i.history([
                    "WORKDIR /app",
                    "COPY package.json package-lock.json ./ # buildkit",
                    "RUN /bin/sh -c npm ci # buildkit",
                    "COPY . . # buildkit",
                    "CMD [\"node\" \"server.js\"]",
                ])
            }),
        ),
        Case::fails(
            "deps_before_code: no install step",
            &layers,
            "layer-order:nautilus/python-app",
            CauseId::NoInstallStep,
            image(|i| {
                i.history([
                    "WORKDIR /app",
                    "COPY . . # buildkit",
                    "CMD [\"python\" \"server.py\"]",
                ])
            }),
        ),
        Case::fails(
            "deps_before_code: code copied before the install",
            &layers,
            "layer-order:nautilus/python-app",
            CauseId::CodeBeforeDeps,
            image(|i| {
                i.history([
                    "WORKDIR /app",
                    "COPY . . # buildkit",
                    "RUN /bin/sh -c pip install -r requirements.txt # buildkit",
                    "CMD [\"python\" \"server.py\"]",
                ])
            }),
        ),
        Case::fails(
            "deps_before_code: install_command not matched",
            &layers_npm,
            "layer-order:nautilus/python-app",
            CauseId::NoInstallStep,
            image(|i| i.history(GOOD_HISTORY)),
        ),
    ];
    insta::assert_snapshot!("image_settings", run_table(&cases));
}

#[test]
fn shell_form_fix_is_valid_exec_form() {
    let v = verdict(
        &spec("exec_form: true"),
        &image(|i| i.shell_cmd("python server.py --port $PORT")).build(),
    );
    let f = finding(&v, "exec-form:nautilus/python-app");
    // The fix must be JSON a Dockerfile accepts, keeping the shell for $PORT.
    assert_eq!(
        f.fix.as_deref(),
        Some(
            "write `CMD [\"sh\", \"-c\", \"python server.py --port $PORT\"]` in the Dockerfile, then: docker build -t nautilus/python-app ."
        )
    );
}
