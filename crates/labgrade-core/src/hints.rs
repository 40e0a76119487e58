//! Recognises the classic reasons a lab's app dies, from its last log lines and the
//! daemon's start error, and names the cause and the fix the way a teaching assistant
//! would. Pure text matching on recorded evidence.

use crate::cause::CauseId;

/// A recognised failure: what went wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    /// The cause's stable id.
    pub id: CauseId,
    pub cause: String,
    pub fix: String,
}

/// The first recognised failure in the log (newest line first) or the start error.
pub fn recognise(log: &[String], start_error: Option<&str>) -> Option<Hint> {
    let hint = start_error
        .into_iter()
        .chain(log.iter().rev().map(String::as_str))
        .find_map(line_hint)?;
    if hint.id != CauseId::SyntaxError {
        return Some(hint);
    }
    // Python's traceback names the file and line just above the error.
    let Some((file, line)) = log.iter().rev().find_map(|l| traceback_spot(l)) else {
        return Some(hint);
    };
    Some(Hint {
        cause: format!(
            "the Python code has a syntax error in {file}, line {line}, so the app never started"
        ),
        fix: format!(
            "fix line {line} of {file} (docker logs shows the line with a ^ under the spot), then rebuild the image and run the container again"
        ),
        ..hint
    })
}

/// The files in the image a failed start names as missing or unrunnable, made absolute
/// against the WORKDIR: the script Python could not open, the program `exec` could not
/// run, the module Node could not find. The grader reads these (and looks for files of
/// their names) to tell a file copied elsewhere from one with Windows line endings or a
/// missing interpreter.
pub fn named_paths(
    log: &[String],
    start_error: Option<&str>,
    workdir: Option<&str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in start_error
        .into_iter()
        .chain(log.iter().map(String::as_str))
    {
        let found = [
            ("can't open file '", "'"),
            ("exec: \"", "\""),
            ("Cannot find module '", "'"),
        ]
        .iter()
        .find_map(|(open, close)| {
            let rest = &line[line.find(open)? + open.len()..];
            Some(rest[..rest.find(close)?].to_string())
        })
        .or_else(|| {
            // runc: `exec /app/start.sh: no such file or directory` (or permission denied).
            let rest = line.strip_prefix("exec ")?;
            let (path, why) = rest.split_once(": ")?;
            (why.contains("no such file") || why.contains("permission denied"))
                .then(|| path.to_string())
        });
        let Some(path) = found.filter(|p| !p.is_empty() && !p.contains(char::is_whitespace)) else {
            continue;
        };
        // A bare program name (`flask`) is looked up in PATH, not a file to read here.
        let path = if path.starts_with('/') {
            path
        } else if path.contains('/') || path.contains('.') {
            format!("{}/{path}", workdir.unwrap_or("").trim_end_matches('/'))
        } else {
            continue;
        };
        if !out.contains(&path) {
            out.push(path);
        }
    }
    out.truncate(3);
    out
}

/// `File "/app/server.py", line 6` in a Python traceback: the file and the line.
fn traceback_spot(l: &str) -> Option<(String, u32)> {
    let rest = l.trim_start().strip_prefix("File \"")?;
    let (file, rest) = rest.split_once('"')?;
    let n = rest
        .trim_start_matches(", line ")
        .split(|c: char| !c.is_ascii_digit())
        .next()?;
    Some((file.to_string(), n.parse().ok()?))
}

/// The Python module a log line says cannot be imported (`ModuleNotFoundError: No module
/// named 'flask'`).
fn missing_module(line: &str) -> Option<String> {
    if !line.contains("ModuleNotFoundError") && !line.contains("ImportError: No module named") {
        return None;
    }
    quoted_after(line, "No module named ")
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
}

/// The word after `after` on the line, without the quotes around it (`can't open file
/// '/app/app.py'` gives `/app/app.py`).
fn quoted_after(line: &str, after: &str) -> Option<String> {
    let rest = &line[line.find(after)? + after.len()..];
    let rest = rest.trim_start_matches(['\'', '"']);
    let end = rest.find(['\'', '"']).unwrap_or(rest.len());
    Some(rest[..end].to_string())
}

/// The servers pip installs that a shell-form CMD runs by name (`flask: not found`).
const PIP_SERVERS: [&str; 5] = [
    "flask",
    "gunicorn",
    "uvicorn",
    "waitress-serve",
    "hypercorn",
];

/// The package pip must install for the failure the log shows, newest line first: the
/// module Python could not import, or the server program the shell could not find.
pub fn missing_package(log: &[String], start_error: Option<&str>) -> Option<String> {
    start_error
        .into_iter()
        .chain(log.iter().rev().map(String::as_str))
        .find_map(|line| {
            missing_module(line).or_else(|| {
                shell_not_found(line)
                    .or_else(|| exec_not_found(line))
                    .filter(|c| PIP_SERVERS.contains(&c.as_str()))
            })
        })
        .map(|m| pip_package(&m))
}

/// The program an exec-form CMD names that is not on the PATH: `exec: "gunicorn":
/// executable file not found in $PATH`.
fn exec_not_found(line: &str) -> Option<String> {
    let rest = &line[line.find("exec: \"")? + "exec: \"".len()..];
    let (program, after) = rest.split_once('"')?;
    after
        .contains("executable file not found")
        .then(|| program.to_string())
}

/// The package pip installs for an import name: mostly the same, but not for these
/// well-known ones (`import yaml` comes from PyYAML).
pub fn pip_package(module: &str) -> String {
    const DIFFERENT: &[(&str, &str)] = &[
        ("yaml", "PyYAML"),
        ("cv2", "opencv-python-headless"),
        ("PIL", "Pillow"),
        ("sklearn", "scikit-learn"),
        ("skimage", "scikit-image"),
        ("bs4", "beautifulsoup4"),
        ("dotenv", "python-dotenv"),
        ("jwt", "PyJWT"),
        ("jose", "python-jose"),
        ("MySQLdb", "mysqlclient"),
        ("psycopg2", "psycopg2-binary"),
        ("dateutil", "python-dateutil"),
        ("serial", "pyserial"),
        ("Crypto", "pycryptodome"),
        ("magic", "python-magic"),
        ("attr", "attrs"),
        ("google.protobuf", "protobuf"),
        ("multipart", "python-multipart"),
        ("OpenSSL", "pyOpenSSL"),
        ("zmq", "pyzmq"),
        ("docx", "python-docx"),
        ("pptx", "python-pptx"),
        ("fitz", "PyMuPDF"),
        ("telegram", "python-telegram-bot"),
        ("socketio", "python-socketio"),
        ("engineio", "python-engineio"),
        ("Levenshtein", "python-Levenshtein"),
        ("win32api", "pywin32"),
        // A program pip installs, by its own name.
        ("waitress-serve", "waitress"),
    ];
    let top = module.split('.').next().unwrap_or(module);
    DIFFERENT
        .iter()
        .find(|(m, _)| *m == module || *m == top)
        .map_or(top.to_string(), |(_, p)| p.to_string())
}

/// What a build context holds: its files (relative, `/`-separated) and, for each
/// symbolic link among them, where it points.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    pub files: Vec<String>,
    pub links: std::collections::BTreeMap<String, String>,
}

/// Explains a failed `docker build` from the daemon's error message and what the
/// submission holds, so "file not found" can say where the file is.
pub fn build_hint(message: &str, context: &Listing) -> Hint {
    let files = &context.files;
    let missing = message
        .split("stat ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .or_else(|| {
            message
                .split('"')
                .nth(1)
                .filter(|_| message.contains("not found"))
        })
        .map(|f| f.trim().trim_start_matches('/').to_string());
    if let Some(file) = missing.filter(|f| {
        !f.is_empty()
            && (message.contains("COPY")
                || message.contains("ADD")
                || message.contains("not found"))
    }) {
        // A link whose file is outside the folder (or nowhere) is sent as a link, and the
        // daemon finds no file behind it.
        if let Some((link, to)) = context
            .links
            .iter()
            .find(|(l, _)| file == **l || file.starts_with(&format!("{l}/")))
        {
            let real = link_target(link, to);
            let outside = real.starts_with('/') || real.starts_with("..");
            return Hint {
                id: CauseId::CopySymlink,
                cause: if outside {
                    format!(
                        "COPY failed: {link} in the submission is a symbolic link to {to}, which is outside the submission's folder; Docker sends the link, not the file it points to"
                    )
                } else {
                    format!(
                        "COPY failed: {link} in the submission is a symbolic link to {real}, which the build context does not hold (missing, or left out by .dockerignore)"
                    )
                },
                fix: if outside {
                    format!(
                        "put the real file in its place, in the submission's folder: rm {link} && cp -R {real} {link}"
                    )
                } else {
                    format!(
                        "add {real} to the submission, and keep .dockerignore from leaving it out"
                    )
                },
            };
        }
        let base = file.rsplit('/').next().unwrap_or(&file);
        let found: Vec<&String> = files
            .iter()
            .filter(|f| f.rsplit('/').next() == Some(base))
            .collect();
        return match found.first() {
            Some(at) => {
                let folder = at.rsplit_once('/').map_or(".", |(d, _)| d);
                Hint {
                    id: CauseId::CopyWrongPath,
                    cause: format!(
                        "COPY failed: {file} is not where the Dockerfile looks (the build context's top folder); it is in {folder}/"
                    ),
                    fix: format!(
                        "write COPY {at} . (paths in COPY are relative to the build context)"
                    ),
                }
            }
            None => Hint {
                id: CauseId::CopyMissingFile,
                cause: format!(
                    "COPY failed: {file} is not in the submission (or .dockerignore leaves it out)"
                ),
                fix: format!(
                    "add {file} to the submission, or fix the COPY line and .dockerignore"
                ),
            },
        };
    }
    if [
        "pull access denied",
        "no such host",
        "manifest unknown",
        "failed to resolve",
        "dial tcp",
        "connection refused",
    ]
    .iter()
    .any(|p| message.contains(p))
    {
        return Hint {
            id: CauseId::BaseImageUnavailable,
            cause: "the Dockerfile's base image is not on this machine, and no registry can be reached to pull it".into(),
            fix: "use a base image the grading machine has (ask the instructor which), or build it locally first".into(),
        };
    }
    if message.contains("returned a non-zero code: 137") {
        return Hint {
            id: CauseId::BuildOutOfMemory,
            cause: "a RUN step was killed for using more memory than the build may (code 137: out of memory)".into(),
            fix: "make that step use less memory: install fewer or smaller packages at once (pip install --no-cache-dir), build nothing large in the image; or ask whoever grades for a larger memory limit".into(),
        };
    }
    if let Some(h) = line_hint(message).filter(|h| h.id == CauseId::ProcessLimit) {
        return h;
    }
    if message.contains("returned a non-zero code") {
        return Hint {
            id: CauseId::RunStepFailed,
            cause: format!("a RUN step of the Dockerfile failed: {message}"),
            fix: "run that command by hand in the base image to see why; the build log holds its output".into(),
        };
    }
    Hint {
        id: CauseId::BuildFailed,
        cause: format!("the image did not build: {message}"),
        fix: "see the build log".into(),
    }
}

/// The command a shell could not find, from its complaint.
fn shell_not_found(line: &str) -> Option<String> {
    let line = line.trim();
    let rest = ["/bin/sh: ", "sh: ", "/bin/bash: ", "bash: "]
        .iter()
        .find_map(|p| line.strip_prefix(p))?;
    let rest = rest
        .split_once(": ")
        .filter(|(n, _)| n.bytes().all(|b| b.is_ascii_digit()))
        .map_or(rest, |(_, r)| r);
    let command = rest
        .strip_suffix(": not found")
        .or_else(|| rest.strip_suffix(": command not found"))?;
    (!command.is_empty() && !command.contains(' ')).then(|| command.to_string())
}

/// Where a link of the build context leads, as a path from the context's top folder (or
/// absolute): `src/app.py -> ../../lib/app.py` leads to `../lib/app.py`.
fn link_target(link: &str, to: &str) -> String {
    if to.starts_with('/') {
        return to.to_string();
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    let mut up = 0;
    for p in to.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    up += 1;
                }
            }
            p => parts.push(p),
        }
    }
    let mut out: Vec<&str> = std::iter::repeat_n("..", up).collect();
    out.extend(parts);
    out.join("/")
}

/// Why a submission has no `Dockerfile` at its top folder, from the paths it holds
/// (relative, `/`-separated): one named otherwise, one in a subfolder, or none at all.
pub fn no_dockerfile(files: &[String]) -> Hint {
    let named = |f: &str| {
        let l = f.to_ascii_lowercase();
        l == "dockerfile" || l.starts_with("dockerfile.") || l.ends_with(".dockerfile")
    };
    if let Some(f) = files.iter().find(|f| !f.contains('/') && named(f)) {
        return Hint {
            id: CauseId::DockerfileMisnamed,
            cause: format!(
                "the submission has {f} but no Dockerfile: Docker looks for a file named exactly Dockerfile (capital D, no extension)"
            ),
            fix: format!("rename it: git mv {f} Dockerfile (or mv {f} Dockerfile)"),
        };
    }
    let mut nested: Vec<&String> = files
        .iter()
        .filter(|f| f.contains('/') && named(f.rsplit('/').next().unwrap_or(f)))
        .collect();
    nested.sort_by_key(|f| f.matches('/').count());
    if let Some(f) = nested.first() {
        let dir = f.rsplit_once('/').map_or("", |(d, _)| d);
        return Hint {
            id: CauseId::DockerfileNotAtTop,
            cause: format!(
                "the Dockerfile is in {dir}/, but the submission is built from its top folder, where there is none"
            ),
            fix: format!(
                "move {dir}/'s contents to the top of the submission (the Dockerfile's COPY paths are relative to the folder it is built from), or test with: docker build -t IMAGE {dir}"
            ),
        };
    }
    if files.is_empty() {
        return Hint {
            id: CauseId::DockerfileMissing,
            cause: "the submission is empty: its folder holds no files".into(),
            fix: "hand in the lab's folder: its Dockerfile and the files the Dockerfile copies"
                .into(),
        };
    }
    Hint {
        id: CauseId::DockerfileMissing,
        cause: "there is no Dockerfile in the submission".into(),
        fix: "add a file named Dockerfile at the top of the submission".into(),
    }
}

fn line_hint(line: &str) -> Option<Hint> {
    let quoted = |after: &str| quoted_after(line, after);
    if let Some(module) = missing_module(line) {
        let package = pip_package(&module);
        return Some(Hint {
            id: CauseId::ModuleNotFound,
            cause: format!(
                "Python cannot import {module}: the package is not installed in the image"
            ),
            fix: format!(
                "add {package} to requirements.txt, make sure the Dockerfile runs `pip install -r requirements.txt` after copying it, then rebuild the image"
            ),
        });
    }
    if line.contains("can't open file") {
        let file = quoted("can't open file ").unwrap_or_else(|| "the file".into());
        return Some(Hint {
            id: CauseId::FileNotInImage,
            cause: format!("the CMD runs {file}, which is not in the image at that path"),
            fix: "check the Dockerfile: COPY the file into the WORKDIR the CMD expects (e.g. WORKDIR /app, COPY . ., CMD [\"python\", \"app.py\"]), then rebuild".into(),
        });
    }
    if line.contains("can't start new thread")
        || line.contains("unable to create native thread")
        || line.contains("unable to create new native thread")
        || line.contains("fork: retry")
        || line.contains("fork: Resource temporarily unavailable")
        || line.contains("pthread_create failed")
        || (line.contains("Resource temporarily unavailable")
            && (line.contains("thread") || line.contains("fork") || line.contains("process")))
    {
        return Some(Hint {
            id: CauseId::ProcessLimit,
            cause: "the program could not start another thread or process: it hit the limit on processes (the grader caps them, as a fork bomb guard), so it is not the port".into(),
            fix: "start fewer threads or worker processes (for gunicorn: --workers 2 --threads 4; no thread per request), then rebuild the image".into(),
        });
    }
    if line.contains("Address already in use") || line.contains("address already in use") {
        return Some(Hint {
            id: CauseId::PortInUseInside,
            cause:
                "the app could not listen: something else in the container already uses its port"
                    .into(),
            fix: "start only one server per container, or give the app a free port".into(),
        });
    }
    if line.contains("port is already allocated") {
        return Some(Hint {
            id: CauseId::HostPortTaken,
            cause: "the host port is already taken by another container or program, so Docker could not publish it".into(),
            fix: "stop the container that holds it (docker ps shows which), or publish another host port with -p".into(),
        });
    }
    // A script saved on Windows, run through the shell: every line ends in an invisible
    // `\r` (`$'\r': command not found`; dash's `set -e\r` is `set: Illegal option -`).
    if line.contains("$'\\r'")
        || line.contains("\r: not found")
        || (line.contains("set: Illegal option -") && line.trim_end().ends_with('-'))
    {
        let script = line
            .split(": ")
            .next()
            .filter(|s| !s.contains(' '))
            .unwrap_or("the script")
            .rsplit('/')
            .next()
            .unwrap_or("the script")
            .to_string();
        return Some(Hint {
            id: CauseId::CrlfScript,
            cause: format!(
                "{script} has Windows line endings (CRLF): the shell reads an invisible \\r at the end of every line"
            ),
            fix: format!(
                "save {script} with LF line endings (VS Code: click CRLF in the status bar and pick LF; or run: perl -pi -e 's/\\r$//' {script}), then rebuild"
            ),
        });
    }
    // `/bin/sh: 1: flask: not found` (dash), `sh: flask: not found` (busybox),
    // `/bin/sh: flask: command not found` (bash): a shell-form CMD's program is missing.
    if let Some(command) = shell_not_found(line) {
        let fix = match command.as_str() {
            "python" => {
                "the image may have only python3: write python3 in CMD, then rebuild".into()
            }
            c if PIP_SERVERS.contains(&c) => format!(
                "add {} to requirements.txt, make sure the Dockerfile runs `pip install -r requirements.txt` after copying it, then rebuild",
                pip_package(&command)
            ),
            c => format!(
                "install {c} in the image (a RUN line), or write its full path in CMD, then rebuild"
            ),
        };
        return Some(Hint {
            id: CauseId::CommandNotFound,
            cause: format!(
                "the shell could not find {command}, which the CMD runs (exit code 127: command not found): it is not installed in the image, or not on its PATH"
            ),
            fix,
        });
    }
    if line.contains("executable file not found")
        || (line.contains("exec:") && line.contains("no such file or directory"))
    {
        return Some(Hint {
            id: CauseId::ProgramMissing,
            cause: "the program named in CMD/ENTRYPOINT does not exist in the image".into(),
            fix: "check CMD/ENTRYPOINT in the Dockerfile (exec form: CMD [\"python\", \"app.py\"]) and that the base image has that program".into(),
        });
    }
    if line.contains("exec format error") {
        return Some(Hint {
            id: CauseId::ExecFormat,
            cause: "the image's program was built for another CPU architecture, or a script lacks its #! line".into(),
            fix: "rebuild the image on this machine (or with --platform), and start scripts with #!/bin/sh".into(),
        });
    }
    if line.contains("SyntaxError") || line.contains("IndentationError") {
        return Some(Hint {
            id: CauseId::SyntaxError,
            cause: "the Python code has a syntax error, so the app never started".into(),
            fix: "run the app locally (python app.py) to see the line, fix it, rebuild the image"
                .into(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn import_names_map_to_their_packages() {
        for (module, package) in [
            ("yaml", "PyYAML"),
            ("cv2", "opencv-python-headless"),
            ("PIL.Image", "Pillow"),
            ("sklearn.linear_model", "scikit-learn"),
            ("bs4", "beautifulsoup4"),
            ("dotenv", "python-dotenv"),
            ("google.protobuf", "protobuf"),
            ("flask", "flask"),
            ("requests.adapters", "requests"),
        ] {
            assert_eq!(pip_package(module), package, "{module}");
        }
        let h = recognise(&log(&["ModuleNotFoundError: No module named 'yaml'"]), None).unwrap();
        assert!(
            h.fix.contains("add PyYAML to requirements.txt"),
            "{}",
            h.fix
        );
    }

    #[test]
    fn the_missing_package_is_read_from_the_log() {
        let got = |lines: &[&str], err: Option<&str>| missing_package(&log(lines), err);
        assert_eq!(
            got(
                &[
                    "Traceback ...",
                    "ModuleNotFoundError: No module named 'yaml'"
                ],
                None
            )
            .as_deref(),
            Some("PyYAML")
        );
        assert_eq!(
            got(&["ImportError: No module named flask.cli"], None).as_deref(),
            Some("flask")
        );
        assert_eq!(
            got(&["/bin/sh: 1: waitress-serve: not found"], None).as_deref(),
            Some("waitress")
        );
        assert_eq!(
            got(&[], Some("OCI runtime create failed: runc create failed: unable to start container process: exec: \"gunicorn\": executable file not found in $PATH: unknown")).as_deref(),
            Some("gunicorn")
        );
        // A program pip does not install, or no such line: nothing to install.
        assert_eq!(got(&["/bin/sh: 1: curl: not found"], None), None);
        assert_eq!(got(&["Listening on 0.0.0.0:8088"], None), None);
    }

    #[test]
    fn syntax_errors_name_the_file_and_line() {
        let h = recognise(
            &log(&[
                "Traceback (most recent call last):",
                "  File \"/app/server.py\", line 6",
                "    def index(",
                "             ^",
                "SyntaxError: '(' was never closed",
            ]),
            None,
        )
        .unwrap();
        assert_eq!(h.id, CauseId::SyntaxError);
        assert!(h.cause.contains("/app/server.py, line 6"), "{}", h.cause);
        assert!(h.fix.contains("line 6 of /app/server.py"), "{}", h.fix);
    }

    #[test]
    fn paths_a_failed_start_names() {
        assert_eq!(
            named_paths(
                &log(&[
                    "python: can't open file '/app/server.py': [Errno 2] No such file or directory"
                ]),
                None,
                None
            ),
            ["/app/server.py"]
        );
        assert_eq!(
            named_paths(
                &log(&["exec /app/start.sh: no such file or directory"]),
                None,
                None
            ),
            ["/app/start.sh"]
        );
        assert_eq!(
            named_paths(
                &[],
                Some(
                    "failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"/app/missing.sh\": stat /app/missing.sh: no such file or directory: unknown"
                ),
                None
            ),
            ["/app/missing.sh"]
        );
        assert_eq!(
            named_paths(
                &log(&[
                    "python: can't open file 'src/app.py': [Errno 2] No such file or directory"
                ]),
                None,
                Some("/srv")
            ),
            ["/srv/src/app.py"]
        );
        // A program looked up in PATH is not a file to read.
        assert!(
            named_paths(
                &[],
                Some("exec: \"flask\": executable file not found in $PATH"),
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn recognises_the_classics() {
        let h = recognise(
            &log(&[
                "Traceback (most recent call last):",
                "  File \"/app/app.py\", line 1",
                "ModuleNotFoundError: No module named 'flask'",
            ]),
            None,
        )
        .unwrap();
        assert!(h.cause.contains("cannot import flask"));
        assert!(h.fix.starts_with("add flask to requirements.txt"));

        let h = recognise(
            &log(&[
                "python: can't open file '/app/server.py': [Errno 2] No such file or directory",
            ]),
            None,
        )
        .unwrap();
        assert!(h.cause.contains("/app/server.py"), "{h:?}");

        let h = recognise(&[], Some("driver failed programming external connectivity: Bind for 0.0.0.0:8097 failed: port is already allocated")).unwrap();
        assert!(h.cause.contains("already taken"));

        let h = recognise(
            &[],
            Some("OCI runtime create failed: exec: \"python\": executable file not found in $PATH"),
        )
        .unwrap();
        assert!(h.cause.contains("does not exist in the image"));

        assert_eq!(recognise(&log(&["all good", "serving"]), None), None);
    }

    #[test]
    fn build_failures() {
        let files = Listing {
            files: vec![
                "Dockerfile".to_string(),
                "src/requirements.txt".to_string(),
                "src/server.py".to_string(),
            ],
            ..Listing::default()
        };
        let h = build_hint(
            "COPY failed: file not found in build context or excluded by .dockerignore: stat requirements.txt: file does not exist",
            &files,
        );
        assert_eq!(
            h.cause,
            "COPY failed: requirements.txt is not where the Dockerfile looks (the build context's top folder); it is in src/"
        );
        assert_eq!(
            h.fix,
            "write COPY src/requirements.txt . (paths in COPY are relative to the build context)"
        );
        let h = build_hint(
            "failed to compute cache key: \"/app.py\" not found: not found",
            &files,
        );
        assert!(h.cause.contains("app.py is not in the submission"), "{h:?}");
        let h = build_hint(
            "pull access denied for python, repository does not exist",
            &files,
        );
        assert!(h.cause.contains("base image"));
        let h = build_hint(
            "The command '/bin/sh -c pip install -r requirements.txt' returned a non-zero code: 1",
            &files,
        );
        assert!(h.cause.starts_with("a RUN step"));
    }

    #[test]
    fn a_copied_link_to_a_file_outside_is_named_with_the_file() {
        let context = Listing {
            files: vec!["Dockerfile".into(), "app.py".into(), "src/conf".into()],
            links: [
                ("app.py".to_string(), "../shared/app.py".to_string()),
                ("src/conf".to_string(), "../../etc/conf".to_string()),
            ]
            .into(),
        };
        let h = build_hint(
            "COPY failed: file not found in build context or excluded by .dockerignore: stat app.py: file does not exist",
            &context,
        );
        assert_eq!(h.id, CauseId::CopySymlink);
        assert!(
            h.cause.contains("symbolic link to ../shared/app.py"),
            "{h:?}"
        );
        assert_eq!(
            h.fix,
            "put the real file in its place, in the submission's folder: rm app.py && cp -R ../shared/app.py app.py"
        );
        // A file under a linked folder; the link's target is from the link's own folder.
        let h = build_hint(
            "COPY failed: file not found in build context or excluded by .dockerignore: stat src/conf/app.ini: file does not exist",
            &context,
        );
        assert!(
            h.fix.ends_with("rm src/conf && cp -R ../etc/conf src/conf"),
            "{h:?}"
        );
        assert_eq!(link_target("a/b/c", "../../d"), "d");
        assert_eq!(link_target("a", "/etc"), "/etc");
        assert_eq!(link_target("a", "./b/../c"), "c");
    }

    #[test]
    fn odd_text_does_not_panic() {
        for line in [
            "No module named",
            "ModuleNotFoundError: No module named 'é",
            "can't open file",
            "ü can't open file 'ß",
        ] {
            let _ = recognise(&log(&[line]), None);
        }
    }

    #[test]
    fn a_missing_dockerfile_is_told_apart() {
        let files = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let h = no_dockerfile(&files(&["app.py", "dockerfile"]));
        assert_eq!(h.id, CauseId::DockerfileMisnamed);
        assert!(h.fix.contains("git mv dockerfile Dockerfile"), "{h:?}");
        assert_eq!(
            no_dockerfile(&files(&["Dockerfile.txt"])).id,
            CauseId::DockerfileMisnamed
        );
        let h = no_dockerfile(&files(&[
            "README.md",
            "lab/app/Dockerfile",
            "app/Dockerfile",
        ]));
        assert_eq!(h.id, CauseId::DockerfileNotAtTop);
        assert!(h.cause.contains("in app/"), "{h:?}");
        assert_eq!(
            no_dockerfile(&files(&["app.py"])).id,
            CauseId::DockerfileMissing
        );
        let empty = no_dockerfile(&[]);
        assert_eq!(empty.id, CauseId::DockerfileMissing);
        assert!(empty.cause.contains("empty"), "{}", empty.cause);
    }

    #[test]
    fn out_of_memory_builds_and_process_limits_are_named() {
        let h = build_hint(
            "The command '/bin/sh -c pip install torch' returned a non-zero code: 137",
            &Listing::default(),
        );
        assert_eq!(h.id, CauseId::BuildOutOfMemory);
        let log = vec![
            " * Running on http://0.0.0.0:8088".to_string(),
            "RuntimeError: can't start new thread".to_string(),
        ];
        let h = recognise(&log, None).unwrap();
        assert_eq!(h.id, CauseId::ProcessLimit);
        assert!(h.cause.contains("not the port"), "{h:?}");
        let h = recognise(
            &["thread 120 of 1000 refused: Resource temporarily unavailable (os error 11)".into()],
            None,
        )
        .unwrap();
        assert_eq!(h.id, CauseId::ProcessLimit);
    }
}
