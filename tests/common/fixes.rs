//! Fix replay: a finding's `fix` taken as a student would take it. A fix is split into the
//! edit it names (a Dockerfile line, a code change, a file to write) and the command it
//! prints; the edit is applied to a lab folder by `apply_edit`, which knows the forms the
//! product prints and nothing else, and the command is run with `sh -c` as printed
//! (`run_printed`). Whatever cannot be applied mechanically is an `Err` saying why.

use std::path::Path;
use std::process::Command;

use super::process::{BUILD_TIME, run_for};
use super::text;

/// A fix, split: the edit it names and the command it prints (either may be absent).
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub edit: Option<String>,
    pub command: Option<String>,
    /// The edit ends "then rebuild ... run the container again" with no command: the lab's
    /// own build and run commands do that.
    pub rebuild: bool,
}

/// Splits a fix into edit and command. A command starts the fix (`docker ...`) or follows
/// "then: " / "; then "; a trailing remark (`   # ...`, `   (...)`, ` (... with Compose
/// v1)`) is not part of it.
pub fn split(fix: &str) -> Split {
    let fix = fix.trim();
    if fix.starts_with("docker ") {
        return Split {
            edit: None,
            command: Some(fix.to_string()),
            rebuild: false,
        };
    }
    for sep in ["; then: ", "then: ", "; then "] {
        if let Some((edit, rest)) = fix.split_once(sep)
            && rest.trim_start().starts_with("docker ")
        {
            let edit = edit.trim().trim_end_matches([',', ';']).trim();
            return Split {
                edit: (!edit.is_empty()).then(|| edit.to_string()),
                command: Some(rest.trim().to_string()),
                rebuild: false,
            };
        }
    }
    let rebuild = fix.contains("rebuild");
    Split {
        edit: Some(fix.to_string()),
        command: None,
        rebuild,
    }
}

/// The command part of a printed command: without its trailing remark, and refused when it
/// holds a placeholder nobody can type (IMAGE, `<your-user>`, `...`).
pub fn command_text(printed: &str) -> Result<String, String> {
    let mut cmd = printed.trim().to_string();
    for remark in ["   #", "   (", " # "] {
        if let Some(at) = cmd.find(remark) {
            cmd.truncate(at);
        }
    }
    // A closing parenthetical: `docker compose up -d web (docker-compose up -d web with
    // Compose v1)`.
    if cmd.ends_with(')')
        && let Some(at) = cmd.rfind(" (")
    {
        cmd.truncate(at);
    }
    let cmd = cmd.trim().to_string();
    // `docker logs x; make the app use less memory, ...`: prose after a `;` is no command.
    if let Some(prose) = cmd
        .split("; ")
        .skip(1)
        .find(|seg| !seg.trim_start().starts_with("docker "))
    {
        return Err(format!("after `;` comes prose, not a command: {prose:?}"));
    }
    if cmd.is_empty() {
        return Err("no command in it".into());
    }
    let words: Vec<&str> = cmd.split_whitespace().collect();
    if words.contains(&"IMAGE") || cmd.contains('<') || cmd.contains("...") || cmd.contains('…') {
        return Err(format!("the command holds a placeholder: {cmd}"));
    }
    Ok(cmd)
}

/// The Compose v1 spelling a fix names for `docker compose ...`, if it names one:
/// `docker compose up -d web (docker-compose up -d web with Compose v1)`.
pub fn compose_v1_alternative(printed: &str) -> Option<String> {
    let at = printed.find("(docker-compose ")?;
    let inner = &printed[at + 1..];
    let end = inner.find(" with Compose v1").or_else(|| inner.find(')'))?;
    Some(inner[..end].trim().to_string())
}

/// Whether `docker compose` (the v2 plugin) works here.
pub fn compose_v2_works() -> bool {
    matches!(
        run_for(
            Command::new("docker").args(["compose", "version"]),
            super::process::DOCKER_TIME
        ),
        Ok(o) if o.status.success()
    )
}

/// Runs a command with `sh -c` in `dir`, as printed (the classic builder, as the whole
/// harness uses). Returns its output, or why it failed.
pub fn run_printed(cmd: &str, dir: &Path) -> Result<String, String> {
    let out = run_for(
        Command::new("sh")
            .args(["-c", cmd])
            .current_dir(dir)
            .env("DOCKER_BUILDKIT", "0"),
        BUILD_TIME,
    )
    .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(text(&out.stdout))
    } else {
        Err(format!(
            "`{cmd}` failed ({}): {}{}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        ))
    }
}

/// The names a command gives containers (`--name X`, `docker rename A X`), to clean up.
pub fn container_names(cmd: &str) -> Vec<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if *w == "--name"
            && let Some(n) = words.get(i + 1)
        {
            out.push(n.to_string());
        }
        if let Some(n) = w.strip_prefix("--name=") {
            out.push(n.to_string());
        }
        if *w == "rename"
            && let Some(n) = words.get(i + 2)
        {
            out.push(n.to_string());
        }
    }
    out
}

/// The images a command tags (`docker tag A X`, `docker build -t X`), to clean up.
pub fn image_names(cmd: &str) -> Vec<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if (*w == "-t" || *w == "--tag")
            && let Some(n) = words.get(i + 1)
        {
            out.push(n.to_string());
        }
        if *w == "tag"
            && i > 0
            && words[i - 1] == "docker"
            && let Some(n) = words.get(i + 2)
        {
            out.push(n.to_string());
        }
    }
    out
}

/// Applies the edit a fix names to the lab folder `dir`; says what it changed, or why it
/// cannot: only the forms the product prints are known, each applied literally.
pub fn apply_edit(edit: &str, dir: &Path) -> Result<String, String> {
    // `in the Dockerfile, write CMD [...] (listen on 0.0.0.0), then rebuild ...` and
    // `write `CMD [...]` in the Dockerfile, then rebuild ...`.
    if let Some(line) = dockerfile_line(edit) {
        return write_dockerfile_line(dir, &line);
    }
    // `copy only the dependency list before the install, and the code after it: COPY
    // src/requirements.txt . (before line 4), then move `COPY src/ .` (line 3) below
    // `RUN pip install ...`; then rebuild`.
    if let Some(rest) = edit.split_once("and the code after it: ").map(|(_, r)| r) {
        return deps_first(dir, rest);
    }
    // `COPY requirements.txt . → RUN pip install ... → COPY . . (then rebuild)`.
    if edit.contains(" → ") {
        return reorder(dir, edit);
    }
    // `create .dockerignore with: a, b` / `add these lines to .dockerignore: a, b`.
    if let Some(rest) = edit.strip_prefix("add the line `")
        && let Some((line, after)) = rest.split_once('`')
        && after.starts_with(" to .dockerignore")
    {
        return add_lines(
            &dir.join(".dockerignore"),
            &[line.to_string()],
            ".dockerignore",
        );
    }
    for intro in [
        "create .dockerignore with these lines: ",
        "add these lines to .dockerignore, one per line: ",
    ] {
        if let Some(at) = edit.find(intro) {
            let names = list_after(&edit[at + intro.len()..]);
            return add_lines(&dir.join(".dockerignore"), &names, ".dockerignore");
        }
    }
    // `add PyYAML to requirements.txt, ...`.
    if let Some(rest) = edit.strip_prefix("add ")
        && let Some((pkg, _)) = rest.split_once(" to requirements.txt")
        && !pkg.contains(' ')
    {
        let file = find_file(dir, "requirements.txt")?;
        return add_lines(&file, &[pkg.to_string()], "requirements.txt");
    }
    // `add `EXPOSE 9999` before CMD` / `add `EXPOSE 9999` to the Dockerfile`.
    if let Some(rest) = edit.strip_prefix("add `EXPOSE ")
        && let Some((port, _)) = rest.split_once('`')
    {
        return insert_before_cmd(dir, &format!("EXPOSE {port}"));
    }
    // `in docker-compose.yml, give services.web ports: [...], volumes: [...]`.
    if let Some(rest) = edit.strip_prefix("in docker-compose.yml, give services.") {
        return compose_keys(dir, rest);
    }
    // Edits of several files or lines, one after another: `in a.py, line 3, change ...;
    // in a.py, replace lines 9 to 14 ...`.
    if edit.starts_with("in ") && edit.contains("; in ") {
        let mut done = Vec::new();
        for part in edit.split("; in ") {
            let part = if part.starts_with("in ") {
                part.to_string()
            } else {
                format!("in {part}")
            };
            done.push(apply_edit(&part, dir)?);
        }
        return Ok(done.join("; "));
    }
    // `in app.py, replace lines 9 to 14 (...) with `NEW`, indented as line 9 is`.
    if let Some(rest) = edit.strip_prefix("in ")
        && let Some((file, rest)) = rest.split_once(", replace line")
    {
        return replace_lines(dir, file, rest);
    }
    // `in app.py, above line 18 (`if __name__ ...:`), add the lines `A` and `B`, ...`:
    // those lines, each whole, inserted before that line of that file.
    for (side, below) in [(", above line ", false), (", below line ", true)] {
        if let Some(rest) = edit.strip_prefix("in ")
            && let Some((file, rest)) = rest.split_once(side)
        {
            return insert_lines(dir, file, rest, below);
        }
    }
    // `in src/requirements.txt, add the line `flask``: that line, at the end of the file.
    if let Some(rest) = edit.strip_prefix("in ")
        && let Some((file, rest)) = rest.split_once(", add the line `")
        && let Some((line, _)) = rest.split_once('`')
    {
        let (path, _) = file_lines(dir, file)?;
        return add_lines(&path, &[line.to_string()], file);
    }
    // `in app.py, line 25, change `OLD` to `NEW``: that line of that file, edited.
    if let Some(rest) = edit.strip_prefix("in ")
        && let Some((file, rest)) = rest.split_once(", line ")
        && let Some((line, rest)) = rest.split_once(", change `")
    {
        return change_line(dir, file, line, rest);
    }
    // `... app.run(host='0.0.0.0', port=8088) ...`: the app's own app.run call, replaced.
    if let Some(call) = app_run_call(edit) {
        return replace_app_run(dir, &call);
    }
    Err(format!(
        "not an edit the applier can make: it names no line, file or call to write ({edit:?})"
    ))
}

/// The Dockerfile instruction a fix says to write, if it says one.
fn dockerfile_line(edit: &str) -> Option<String> {
    if let Some(rest) = edit.strip_prefix("in the Dockerfile, write ") {
        let end = [" (", ", then", "; then"]
            .iter()
            .filter_map(|s| rest.find(s))
            .min()
            .unwrap_or(rest.len());
        return Some(rest[..end].trim().to_string());
    }
    if let Some(rest) = edit.strip_prefix("write `")
        && let Some((line, after)) = rest.split_once('`')
        && after.trim_start().starts_with("in the Dockerfile")
    {
        return Some(line.to_string());
    }
    if let Some(rest) = edit.strip_prefix("write ")
        && let Some(kw) = rest.split_whitespace().next()
        && ["COPY", "CMD", "RUN", "WORKDIR", "EXPOSE", "ENV", "USER"].contains(&kw)
    {
        let end = [" (", ", then", "; then"]
            .iter()
            .filter_map(|s| rest.find(s))
            .min()
            .unwrap_or(rest.len());
        return Some(rest[..end].trim().to_string());
    }
    None
}

fn read(p: &Path) -> Result<String, String> {
    std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))
}

fn write(p: &Path, s: &str) -> Result<(), String> {
    std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()))
}

/// An instruction's keyword (upper-cased), for a line of a Dockerfile.
fn keyword(line: &str) -> Option<String> {
    let l = line.trim();
    if l.is_empty() || l.starts_with('#') {
        return None;
    }
    l.split_whitespace().next().map(str::to_ascii_uppercase)
}

/// Writes the instruction `line` into the Dockerfile: it replaces the instruction of its
/// kind that the fix means (for COPY, the one copying the same file name; for CMD, the
/// CMD), or is added before the CMD when there is none.
fn write_dockerfile_line(dir: &Path, line: &str) -> Result<String, String> {
    let path = dir.join("Dockerfile");
    let text = read(&path)?;
    let kw = keyword(line).ok_or_else(|| format!("{line:?} is no instruction"))?;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let target = match kw.as_str() {
        "COPY" => {
            // The COPY of the same file (`COPY requirements.txt .` for `COPY
            // src/requirements.txt .`).
            let file = line
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.rsplit('/').next())
                .unwrap_or_default()
                .to_string();
            lines.iter().position(|l| {
                keyword(l).as_deref() == Some("COPY")
                    && l.split_whitespace()
                        .nth(1)
                        .is_some_and(|s| s.rsplit('/').next() == Some(file.as_str()))
            })
        }
        _ => lines
            .iter()
            .rposition(|l| keyword(l).as_deref() == Some(&kw)),
    };
    match target {
        Some(i) => {
            let old = std::mem::replace(&mut lines[i], line.to_string());
            write(&path, &(lines.join("\n") + "\n"))?;
            Ok(format!("Dockerfile: {old:?} -> {line:?}"))
        }
        None => insert_before_cmd(dir, line),
    }
}

fn insert_before_cmd(dir: &Path, line: &str) -> Result<String, String> {
    let path = dir.join("Dockerfile");
    let text = read(&path)?;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = lines
        .iter()
        .rposition(|l| keyword(l).as_deref() == Some("CMD"))
        .unwrap_or(lines.len());
    lines.insert(at, line.to_string());
    write(&path, &(lines.join("\n") + "\n"))?;
    Ok(format!("Dockerfile: added {line:?}"))
}

/// The layer-order fix in the Dockerfile's own lines: `COPY LIST DEST (before line N),
/// then move `CODE` (line M) below `RUN ...``, applied literally by line numbers.
fn deps_first(dir: &Path, rest: &str) -> Result<String, String> {
    let bad = || format!("cannot read the layer-order fix {rest:?}");
    let (copy, rest) = rest.split_once(" (before line ").ok_or_else(bad)?;
    let (n, rest) = rest.split_once(')').ok_or_else(bad)?;
    let install: usize = n.trim().parse().map_err(|_| bad())?;
    let (_, rest) = rest.split_once("then move `").ok_or_else(bad)?;
    let (code, rest) = rest.split_once("` (line ").ok_or_else(bad)?;
    let (m, _) = rest.split_once(')').ok_or_else(bad)?;
    let code_line: usize = m.trim().parse().map_err(|_| bad())?;
    let path = dir.join("Dockerfile");
    let text = read(&path)?;
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let at = |n: usize| n.checked_sub(1).filter(|i| *i < lines.len());
    let (Some(ci), Some(ii)) = (at(code_line), at(install)) else {
        return Err(format!(
            "lines {code_line} and {install} are not in the Dockerfile"
        ));
    };
    if lines[ci].trim() != code.trim() || ci >= ii {
        return Err(format!(
            "line {code_line} is {:?}, not {code:?} before the install",
            lines[ci]
        ));
    }
    let moved = lines.remove(ci);
    // The install is one line up now; the list goes right before it, the code after it.
    let ii = ii - 1;
    lines.insert(ii + 1, moved);
    lines.insert(ii, copy.trim().to_string());
    write(&path, &(lines.join("\n") + "\n"))?;
    Ok(format!(
        "Dockerfile: {copy} before the install, {code} after it"
    ))
}

/// The layer-order fix, `COPY a . → RUN pip install ... → COPY . .`: the Dockerfile's COPY
/// instructions and its install RUN are replaced by these, in this order, where the first
/// of them was.
fn reorder(dir: &Path, edit: &str) -> Result<String, String> {
    let edit = edit.split(" (then").next().unwrap_or(edit);
    let wanted: Vec<String> = edit.split(" → ").map(|s| s.trim().to_string()).collect();
    for w in &wanted {
        if !matches!(keyword(w).as_deref(), Some("COPY" | "RUN")) {
            return Err(format!("{w:?} in the sequence is no COPY or RUN"));
        }
    }
    let path = dir.join("Dockerfile");
    let text = read(&path)?;
    let lines: Vec<String> = text.lines().map(String::from).collect();
    let replaced = |l: &str| match keyword(l).as_deref() {
        Some("COPY") => true,
        Some("RUN") => l.contains("install"),
        _ => false,
    };
    let first = lines
        .iter()
        .position(|l| replaced(l))
        .ok_or("the Dockerfile has no COPY or install RUN to reorder")?;
    let mut out: Vec<String> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        if i == first {
            out.extend(wanted.iter().cloned());
        }
        if !replaced(l) {
            out.push(l.clone());
        }
    }
    write(&path, &(out.join("\n") + "\n"))?;
    Ok(format!(
        "Dockerfile: COPY/RUN steps now {}",
        wanted.join("; ")
    ))
}

/// `a, b, c` (up to the end or a `;`), each name without backticks.
fn list_after(s: &str) -> Vec<String> {
    let s = s.split(';').next().unwrap_or(s);
    let s = s.split(" (").next().unwrap_or(s);
    s.split(',')
        .map(|n| n.trim().trim_matches('`').trim_end_matches('.').to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

fn add_lines(path: &Path, names: &[String], what: &str) -> Result<String, String> {
    if names.is_empty() {
        return Err(format!("no lines named for {what}"));
    }
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for n in names {
        text.push_str(n);
        text.push('\n');
    }
    write(path, &text)?;
    Ok(format!("{what}: added {}", names.join(", ")))
}

/// The one file of that name in the folder (its top, or one folder down).
fn find_file(dir: &Path, name: &str) -> Result<std::path::PathBuf, String> {
    let top = dir.join(name);
    if top.exists() {
        return Ok(top);
    }
    for e in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let p = e.map_err(|e| e.to_string())?.path().join(name);
        if p.exists() {
            return Ok(p);
        }
    }
    Err(format!("no {name} in the lab folder"))
}

/// Replaces `OLD` with `NEW` on line `line` of `file` (as the project names it, or the
/// one file of its name); `rest` is "OLD` to `NEW`". The old text must be on that line.
fn change_line(dir: &Path, file: &str, line: &str, rest: &str) -> Result<String, String> {
    let n: usize = line
        .parse()
        .map_err(|_| format!("line {line:?} is no number"))?;
    let rest = rest
        .strip_suffix('`')
        .ok_or_else(|| format!("{rest:?} does not end in a backtick"))?;
    let (old, new) = rest
        .rsplit_once("` to `")
        .ok_or_else(|| format!("no \"` to `\" in {rest:?}"))?;
    let (path, mut lines) = file_lines(dir, file)?;
    let at = lines
        .get_mut(n.wrapping_sub(1))
        .ok_or_else(|| format!("{file} has no line {n}"))?;
    if !at.contains(old) {
        return Err(format!(
            "line {n} of {file} is {at:?}, which has no {old:?}"
        ));
    }
    *at = at.replacen(old, new, 1);
    write(&path, &lines.join("\n"))?;
    Ok(format!("{file}:{n}: {old} -> {new}"))
}

/// Inserts the lines of `N (`ANCHOR`), add the line `A`` / `add the lines `A`, `B` and
/// `C``, ... above (or `below`) line N of `file`, which must be ANCHOR.
fn insert_lines(dir: &Path, file: &str, rest: &str, below: bool) -> Result<String, String> {
    let bad = || format!("cannot read the insertion {rest:?}");
    let (n, rest) = rest.split_once(" (`").ok_or_else(bad)?;
    let n: usize = n.parse().map_err(|_| bad())?;
    let (anchor, rest) = rest.split_once("`), add the line").ok_or_else(bad)?;
    // The lines are the backticked items up to the end of the list (a `, so ...` remark
    // may follow; the items are separated by ", " and " and ").
    let mut new = Vec::new();
    let mut tail = rest.trim_start_matches('s').trim_start();
    while let Some(after) = tail.strip_prefix('`') {
        let (item, after) = after.split_once('`').ok_or_else(bad)?;
        new.push(item.to_string());
        match after.strip_prefix(", ").or(after.strip_prefix(" and ")) {
            Some(t) if t.starts_with('`') => tail = t,
            _ => break,
        }
    }
    if new.is_empty() {
        return Err(bad());
    }
    let (path, mut lines) = file_lines(dir, file)?;
    let at = n
        .checked_sub(1)
        .filter(|i| *i < lines.len())
        .ok_or_else(|| format!("{file} has no line {n}"))?;
    if lines[at].trim() != anchor.trim() {
        return Err(format!(
            "line {n} of {file} is {:?}, not {anchor:?}",
            lines[at]
        ));
    }
    let at = at + usize::from(below);
    for (i, l) in new.iter().enumerate() {
        lines.insert(at + i, l.clone());
    }
    write(&path, &lines.join("\n"))?;
    let side = if below { "below" } else { "above" };
    Ok(format!(
        "{file}: {side} line {n}, added {}",
        new.join(" / ")
    ))
}

/// The file an edit names (in the lab's folder, or found by its name below it) and its
/// lines.
fn file_lines(dir: &Path, file: &str) -> Result<(std::path::PathBuf, Vec<String>), String> {
    let file = file.strip_prefix("the ").unwrap_or(file);
    let path = match dir.join(file) {
        p if p.is_file() => p,
        _ => find_file(dir, file.rsplit('/').next().unwrap_or(file))?,
    };
    let text = read(&path)?;
    let lines = text.split('\n').map(String::from).collect();
    Ok((path, lines))
}

/// Replaces lines A to B (`s A to B (...) with `NEW`, indented as line A is`, or `
/// A (...) with ...`) of `file` with the one line NEW, at line A's indentation.
fn replace_lines(dir: &Path, file: &str, rest: &str) -> Result<String, String> {
    let bad = || format!("cannot read the replacement {rest:?}");
    let rest = rest.strip_prefix('s').unwrap_or(rest).trim_start();
    let (span, rest) = rest.split_once(" (").ok_or_else(bad)?;
    let (a, b) = span.split_once(" to ").unwrap_or((span, span));
    let (a, b): (usize, usize) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    let (_, rest) = rest.split_once(") with `").ok_or_else(bad)?;
    let (new, rest) = rest.split_once('`').ok_or_else(bad)?;
    if rest.trim() != format!(", indented as line {a} is") {
        return Err(bad());
    }
    let (path, mut lines) = file_lines(dir, file)?;
    if a == 0 || a > b || b > lines.len() {
        return Err(format!("{file} has no lines {a} to {b}"));
    }
    let indent: String = lines[a - 1]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    let old: Vec<String> = lines.splice(a - 1..b, [format!("{indent}{new}")]).collect();
    write(&path, &lines.join("\n"))?;
    Ok(format!("{file}:{a}-{b}: {:?} -> {new}", old.join(" ")))
}

/// `app.run(...)` as the fix writes it, balanced parentheses.
fn app_run_call(edit: &str) -> Option<String> {
    let at = edit.find("app.run(")?;
    let mut depth = 0;
    for (i, ch) in edit[at..].char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(edit[at..at + i + 1].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// Replaces the app's `app.run(...)` call (in whichever .py file of the folder has one)
/// with `call`.
fn replace_app_run(dir: &Path, call: &str) -> Result<String, String> {
    let mut files = Vec::new();
    python_files(dir, &mut files);
    for f in files {
        let text = read(&f)?;
        let Some(at) = text.find("app.run(") else {
            continue;
        };
        let old = app_run_call(&text[at..]).ok_or("an app.run( call without its end")?;
        write(&f, &text.replacen(&old, call, 1))?;
        let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        return Ok(format!("{name}: {old} -> {call}"));
    }
    Err(format!(
        "no app.run( call in the lab's code to replace with {call}"
    ))
}

fn python_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            python_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "py") {
            out.push(p);
        }
    }
}

/// `web ports: ["5000:5000"], environment: {A: b}, volumes: [".:/app"]`: those keys set on
/// the service in docker-compose.yml (a YAML flow mapping, as printed).
fn compose_keys(dir: &Path, rest: &str) -> Result<String, String> {
    let (service, keys) = rest
        .split_once(' ')
        .ok_or("no keys after the service name")?;
    let keys = keys.trim().trim_end_matches([';', ',']);
    let wanted: serde_yaml::Mapping = serde_yaml::from_str(&format!("{{{keys}}}"))
        .map_err(|e| format!("the keys {keys:?} are not YAML: {e}"))?;
    let path = dir.join("docker-compose.yml");
    let mut doc: serde_yaml::Value =
        serde_yaml::from_str(&read(&path)?).map_err(|e| e.to_string())?;
    let svc = doc
        .get_mut("services")
        .and_then(|s| s.get_mut(service))
        .and_then(|s| s.as_mapping_mut())
        .ok_or_else(|| format!("docker-compose.yml has no service {service}"))?;
    for (k, v) in wanted {
        svc.insert(k, v);
    }
    write(
        &path,
        &serde_yaml::to_string(&doc).map_err(|e| e.to_string())?,
    )?;
    Ok(format!(
        "docker-compose.yml: services.{service} given {keys}"
    ))
}

impl super::Lab {
    /// Takes the containers and image tags a replayed command creates as this lab's, so
    /// they are removed with it.
    pub fn own_what(&mut self, cmd: &str) {
        for c in container_names(cmd) {
            if !self.containers.contains(&c) {
                self.containers.push(c);
            }
        }
        for t in image_names(cmd) {
            if !self.tags.contains(&t) && t != self.image {
                self.tags.push(t);
            }
        }
    }
}
