//! Recognises the classic reasons a lab's app dies, from its last log lines and the
//! daemon's start error, and names the cause and the fix the way a teaching assistant
//! would. Pure text matching on recorded evidence.

/// A recognised failure: what went wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub cause: String,
    pub fix: String,
}

/// The first recognised failure in the log (newest line first) or the start error.
pub fn recognise(log: &[String], start_error: Option<&str>) -> Option<Hint> {
    start_error
        .into_iter()
        .chain(log.iter().rev().map(String::as_str))
        .find_map(line_hint)
}

fn line_hint(line: &str) -> Option<Hint> {
    let quoted = |after: &str| -> Option<String> {
        let rest = &line[line.find(after)? + after.len()..];
        let rest = rest.trim_start_matches(['\'', '"']);
        let end = rest.find(['\'', '"']).unwrap_or(rest.len());
        Some(rest[..end].to_string())
    };
    if line.contains("ModuleNotFoundError") || line.contains("ImportError: No module named") {
        let module = quoted("No module named ").unwrap_or_else(|| "the module".into());
        let package = module.split('.').next().unwrap_or(&module).to_string();
        return Some(Hint {
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
            cause: format!("the CMD runs {file}, which is not in the image at that path"),
            fix: "check the Dockerfile: COPY the file into the WORKDIR the CMD expects (e.g. WORKDIR /app, COPY . ., CMD [\"python\", \"app.py\"]), then rebuild".into(),
        });
    }
    if line.contains("Address already in use") || line.contains("address already in use") {
        return Some(Hint {
            cause:
                "the app could not listen: something else in the container already uses its port"
                    .into(),
            fix: "start only one server per container, or give the app a free port".into(),
        });
    }
    if line.contains("port is already allocated") {
        return Some(Hint {
            cause: "the host port is already taken by another container or program, so Docker could not publish it".into(),
            fix: "stop the container that holds it (docker ps shows which), or publish another host port with -p".into(),
        });
    }
    if line.contains("executable file not found")
        || (line.contains("exec:") && line.contains("no such file or directory"))
    {
        return Some(Hint {
            cause: "the program named in CMD/ENTRYPOINT does not exist in the image".into(),
            fix: "check CMD/ENTRYPOINT in the Dockerfile (exec form: CMD [\"python\", \"app.py\"]) and that the base image has that program".into(),
        });
    }
    if line.contains("exec format error") {
        return Some(Hint {
            cause: "the image's program was built for another CPU architecture, or a script lacks its #! line".into(),
            fix: "rebuild the image on this machine (or with --platform), and start scripts with #!/bin/sh".into(),
        });
    }
    if line.contains("SyntaxError") || line.contains("IndentationError") {
        return Some(Hint {
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
}
