//! The class report in a real browser: a class of submissions graded for real (mixed
//! results, failed builds, hostile names, bodies and logs), then `index.html` and student
//! pages opened in headless Chromium (Debian's `chromium`, which scripts/test-tools
//! installs), screenshotted, and their DOM — as the browser built it, after the page's
//! script ran — checked: the histogram's bars, a row per check, the causes with their
//! students, links that lead to files, and nothing fetched from the network.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{GRADE_TIME, Lab, Within, labgrade, text};
use scraper::{Html, Selector};

/// One headless Chromium load of a page (a fresh profile, so runs never share state).
const BROWSER_TIME: Duration = Duration::from_secs(120);

const SPEC: &str = r#"name: "Lab <one> & 'two'"
image: nautilus/python-app
container: pythonapp_nautilus
ports: ["8097:8088"]
allowed_bases: ["labgrade-test/*"]
http:
  - get: /
    status: 200
    body_contains: Hello
  - get: /
    body_contains: sample app
    hidden: true
    title: The answer names the sample app
"#;

/// Student text that would run or load something if it reached the page as markup.
const IMG: &str = "\"><img src=x onerror=document.title='pwned'>";
const SCRIPT: &str = "<script>document.title='pwned'</script>";

/// One submission: its folder name, the rest of its Dockerfile after `FROM <the test
/// image>`, and its files.
type Submission = (String, String, Vec<(&'static str, &'static str)>);

/// The class. Folder names cannot hold `/`; the roster's names can hold anything.
fn class() -> Vec<Submission> {
    let cmd = |args: &[&str]| {
        let quoted: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        format!("CMD [{}]\n", quoted.join(", "))
    };
    vec![
        ("alice".into(), String::new(), vec![]),
        ("ivan".into(), String::new(), vec![("note.txt", "hi")]),
        ("judy".into(), String::new(), vec![]),
        (IMG.into(), String::new(), vec![]),
        ("bob".into(), cmd(&["--listen", "127.0.0.1:8088"]), vec![]),
        (
            "a#b?c%d e".into(),
            cmd(&["--listen", "127.0.0.1:8088"]),
            vec![],
        ),
        (
            "carol".into(),
            "COPY requirements.txt /app/\n".into(),
            vec![("src/requirements.txt", "flask\n")],
        ),
        (
            "grace".into(),
            format!("RUN echo \"{SCRIPT}\" && echo '{IMG}' && exit 3\n"),
            vec![],
        ),
        ("dave".into(), cmd(&["--route", "/other"]), vec![]),
        ("erin".into(), cmd(&["--status", "500"]), vec![]),
        (
            "Zoë-ünï".into(),
            cmd(&["--body", &format!("Hello {SCRIPT}{IMG}")]),
            vec![],
        ),
        ("frank".into(), cmd(&["--body", SCRIPT]), vec![]),
        (
            "heidi".into(),
            cmd(&["--crash", &format!("Traceback {SCRIPT}")]),
            vec![],
        ),
    ]
}

const ROSTER: &str = "id,name\nalice,\"<script>document.title='pwned'</script>\"\nbob,../../etc/passwd\njudy,\"Judy \u{202e}gnp.exe\"\nmallory,Mallory <b>M</b>\n";

/// Runs headless Chromium on a page with networking made impossible (every host name
/// resolves to nothing); returns its output, with the console's messages on stderr.
fn chromium(page: &Path, extra: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output_within_group(BROWSER_TIME);
    assert!(
        out.status.success(),
        "chromium {}: {}",
        page.display(),
        text(&out.stderr)
    );
    out
}

/// A page as Chromium loaded it: its DOM after its script ran, the console's messages,
/// and the URLs of the requests the page made (from Chromium's net log, whose requests
/// for a `file://` page carry `file://` as their isolation key; the browser's own
/// background requests carry another).
struct Load {
    dom: Html,
    console: Vec<String>,
    requests: Vec<String>,
}

fn load(page: &Path) -> Load {
    let dir = tempfile::tempdir().unwrap();
    let netlog = dir.path().join("net.json");
    let out = chromium(
        page,
        &["--dump-dom", &format!("--log-net-log={}", netlog.display())],
    );
    let log: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&netlog).unwrap())
        .unwrap_or_else(|e| panic!("chromium's net log is not JSON: {e}"));
    let mut requests: Vec<String> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["params"])
        .filter(|p| {
            p["network_isolation_key"]
                .as_str()
                .is_some_and(|k| k.starts_with("file://"))
        })
        .filter_map(|p| p["url"].as_str().map(str::to_owned))
        .collect();
    requests.dedup();
    Load {
        dom: Html::parse_document(&text(&out.stdout)),
        console: text(&out.stderr)
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_owned)
            .collect(),
        requests,
    }
}

/// A full-page screenshot as PNG; kept in $LABGRADE_SCREENSHOTS too, when set (that is
/// how docs/class-report.png and docs/student-report.png are made).
fn screenshot(page: &Path, png: &Path, size: &str) {
    let shot = format!("--screenshot={}", png.display());
    chromium(
        page,
        &[&shot, &format!("--window-size={size}"), "--hide-scrollbars"],
    );
    let bytes = std::fs::read(png).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is a PNG",
        png.display()
    );
    assert!(
        bytes.len() > 20_000,
        "a page, not a blank: {} bytes",
        bytes.len()
    );
    if let Some(dir) = std::env::var_os("LABGRADE_SCREENSHOTS") {
        std::fs::copy(png, Path::new(&dir).join(png.file_name().unwrap())).unwrap();
    }
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn text_of(e: &scraper::ElementRef) -> String {
    e.text().collect::<String>()
}

/// Nothing on the page is, or points at, something to fetch: no external script, style,
/// image or frame, no http(s) link; the browser made no request for it and its console
/// is silent (a blocked load, a refused script or a script error would speak there).
fn assert_self_contained(load: &Load, page: &Path) {
    let doc = &load.dom;
    assert!(
        load.requests.is_empty(),
        "{} fetched {:?}",
        page.display(),
        load.requests
    );
    assert!(
        load.console.is_empty(),
        "{}: the console said {:?}",
        page.display(),
        load.console
    );
    let fetching = select(
        doc,
        "[src], link, iframe, object, embed, img, video, audio, source",
    );
    assert!(
        fetching.is_empty(),
        "{}: {} fetches something",
        page.display(),
        fetching
            .iter()
            .map(|e| e.html())
            .collect::<Vec<_>>()
            .join(" ")
    );
    for e in select(doc, "script") {
        assert!(e.value().attr("src").is_none(), "{}", e.html());
    }
    for e in select(doc, "[href], [action], [style]") {
        let html = e.html();
        for attr in ["href", "action"] {
            if let Some(v) = e.value().attr(attr) {
                assert!(
                    !v.contains("://") && !v.starts_with("//") && !v.starts_with("javascript:"),
                    "{}: {html}",
                    page.display()
                );
            }
        }
        assert!(!html.contains("url("), "{html}");
    }
    // What the hostile text would do if it ran.
    let title = select(doc, "title")
        .first()
        .map(text_of)
        .unwrap_or_default();
    assert!(!title.contains("pwned"), "{title}");
}

/// Every relative link of a page leads to a file that exists (anchors to an element on
/// it); returns the files.
fn assert_links_resolve(doc: &Html, page: &Path) -> BTreeSet<PathBuf> {
    let ids: BTreeSet<&str> = select(doc, "[id]")
        .iter()
        .filter_map(|e| e.value().attr("id"))
        .collect();
    let mut files = BTreeSet::new();
    for a in select(doc, "a[href]") {
        let href = a.value().attr("href").unwrap();
        if let Some(anchor) = href.strip_prefix('#') {
            assert!(ids.contains(anchor), "{}: no #{anchor}", page.display());
            continue;
        }
        let decoded = percent_decode(href);
        let file = page.parent().unwrap().join(&decoded);
        assert!(
            file.is_file(),
            "{}: {href} leads to {}, which is not a file",
            page.display(),
            file.display()
        );
        let canonical = file.canonicalize().unwrap();
        files.insert(canonical);
    }
    files
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        if let (b'%', Some(Ok(n))) = (b[i], hex.map(|h| u8::from_str_radix(h, 16))) {
            out.push(n);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_class_report_opens_in_a_browser() {
    let lab = Lab::new("html").await;
    let subs = lab.dir.path().join("submissions");
    let students = class();
    for (name, rest, files) in &students {
        let dir = subs.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("Dockerfile"),
            format!("FROM {}\n{rest}", lab.image),
        )
        .unwrap();
        for (f, content) in files {
            let p = dir.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, content).unwrap();
        }
    }
    let spec = lab.spec("lab.yaml", SPEC);
    let roster = lab.spec("roster.csv", ROSTER);
    let out = lab.dir.path().join("grades");
    let run = labgrade()
        .arg("grade")
        .arg("--spec")
        .arg(&spec)
        .arg(&subs)
        .arg("--out")
        .arg(&out)
        .arg("--roster")
        .arg(&roster)
        .args(["-j", "2", "--memory", "64", "--wait", "3s"])
        .output_within(GRADE_TIME);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}\n{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    assert!(
        text(&run.stdout).contains("index.html"),
        "{}",
        text(&run.stdout)
    );
    let index = out.join("index.html");
    let written = std::fs::read_to_string(&index).unwrap();

    // `labgrade report` draws the same report from the same folder.
    std::fs::remove_file(&index).unwrap();
    let again = labgrade()
        .arg("report")
        .arg(&out)
        .output_within(common::CHECK_TIME);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(
        text(&again.stdout).starts_with(&format!(
            "{} students, {} pages",
            students.len() + 1,
            students.len()
        )),
        "{}",
        text(&again.stdout)
    );
    assert_eq!(std::fs::read_to_string(&index).unwrap(), written);

    let gradebook: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("gradebook.json")).unwrap())
            .unwrap();
    let checks = gradebook["checks"].as_array().unwrap().len();
    let max = gradebook["students"][0]["max_score"].as_u64().unwrap() as usize;

    let loaded = load(&index);
    assert_self_contained(&loaded, &index);
    let doc = loaded.dom;
    // The histogram: a bar per score 0..=max, as many as the numbers' table has rows.
    let bars: Vec<_> = select(&doc, "#histogram svg rect")
        .into_iter()
        .filter(|r| matches!(r.value().attr("fill"), Some("#2E7D32" | "#C62828")))
        .collect();
    assert_eq!(
        bars.len(),
        max + 1,
        "{}",
        select(&doc, "#histogram")[0].html()
    );
    assert_eq!(select(&doc, "tr.bin").len(), max + 1);
    assert!(text_of(&select(&doc, "#histogram svg")[0]).contains("pass mark"));
    // A row per scored check, in the lab's order, with the instructor's view of the
    // hidden one.
    let rows = select(&doc, "tr.check");
    assert_eq!(rows.len(), checks, "{checks} checks");
    for (row, id) in rows.iter().zip(gradebook["checks"].as_array().unwrap()) {
        assert_eq!(row.value().attr("data-check"), id.as_str());
        assert_eq!(select_in(row, "svg").len(), 1, "{}", row.html());
    }
    assert!(
        rows.iter()
            .any(|r| text_of(r).contains("The answer names the sample app")
                && text_of(r).contains("hidden")),
        "the hidden check as the instructor sees it"
    );
    // The causes, each with its students.
    let cause = |id: &str| -> Vec<String> {
        let li = select(&doc, &format!("li.cause[data-cause=\"{id}\"]"));
        assert_eq!(
            li.len(),
            1,
            "cause {id} listed once: {}",
            select(&doc, "#causes")[0].html()
        );
        select_in(&li[0], "ul.who a").iter().map(text_of).collect()
    };
    assert_eq!(cause("loopback-bind"), ["a#b?c%d e", "bob"]);
    assert_eq!(cause("copy-wrong-path"), ["carol"]);
    assert_eq!(cause("build-failed"), ["grace"]);
    assert_eq!(cause("route-missing"), ["dave"]);
    assert!(select(&doc, "li.cause").len() >= 5);
    // The glance: every student once, the roster's missing one too.
    let tile = |k: &str| {
        select(&doc, &format!(".tiles li.{k}"))[0]
            .value()
            .attr("data-count")
            .unwrap()
            .to_string()
    };
    assert_eq!(tile("students"), (students.len() + 1).to_string());
    assert_eq!(tile("passed"), "4");
    assert_eq!(tile("build_failed"), "2");
    assert_eq!(tile("no_submission"), "1");
    // The student table: a row each, a link to each page; sorting buttons mean the
    // script ran under the page's policy.
    assert_eq!(
        select(&doc, "#student-table tbody tr").len(),
        students.len() + 1
    );
    assert_eq!(select(&doc, "#student-table th button").len(), 6);
    let linked = assert_links_resolve(&doc, &index);
    for (name, _, _) in &students {
        let page = out
            .join("reports")
            .join(format!("{name}.html"))
            .canonicalize()
            .unwrap();
        assert!(linked.contains(&page), "{name}'s page is linked");
    }
    // Hostile text is text: it shows as written, and made no element.
    let body = text_of(&select(&doc, "body")[0]);
    for s in [
        IMG,
        SCRIPT,
        "../../etc/passwd",
        "Mallory <b>M</b>",
        "Zoë-ünï",
    ] {
        assert!(body.contains(s), "{s} shown as text");
    }
    assert!(select(&doc, "b").iter().all(|b| !text_of(b).contains('M')));

    // Student pages: a failed run with evidence, a failed build with its log's lines.
    let bob = out.join("reports/bob.html");
    let loaded = load(&bob);
    assert_self_contained(&loaded, &bob);
    let page = loaded.dom;
    assert_links_resolve(&page, &bob);
    let problems = select(&page, "article.finding");
    assert!(
        problems
            .iter()
            .any(|a| text_of(a).contains("loopback-bind") && text_of(a).contains("0.0.0.0")),
        "{}",
        page.html()
    );
    assert!(text_of(&select(&page, "body")[0]).contains("The answer names the sample app"));
    let grace = out.join("reports/grace.html");
    let loaded = load(&grace);
    assert_self_contained(&loaded, &grace);
    let page = loaded.dom;
    let files = assert_links_resolve(&page, &grace);
    assert!(
        files.iter().any(|f| f.ends_with("logs/grace.build.log")),
        "{files:?}"
    );
    let evidence = text_of(&select(&page, "article.finding pre.evidence")[0]);
    assert!(
        evidence.contains(SCRIPT) && evidence.contains("img src=x"),
        "{evidence}"
    );
    let zoe = out.join("reports/Zoë-ünï.html");
    let loaded = load(&zoe);
    assert_self_contained(&loaded, &zoe);
    let page = loaded.dom;
    assert!(text_of(&select(&page, "body")[0]).contains(SCRIPT));

    let shots = lab.dir.path().join("shots");
    std::fs::create_dir_all(&shots).unwrap();
    screenshot(&index, &shots.join("class-report.png"), "1280,2600");
    screenshot(&bob, &shots.join("student-report.png"), "1100,1500");
}

fn select_in<'a>(e: &scraper::ElementRef<'a>, css: &str) -> Vec<scraper::ElementRef<'a>> {
    e.select(&Selector::parse(css).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn check_writes_the_same_page_for_one_lab() {
    let mut lab = Lab::new("html-check").await;
    let port = common::free_port();
    let name = lab
        .run("web", &["--listen", "127.0.0.1:8088"], &[(port, 8088)])
        .await;
    let spec = lab.spec(
        "lab.yaml",
        &format!(
            "container: {name}\nports: [\"{port}:8088\"]\nhttp:\n  - get: /\n    body_contains: Hello\n  - get: /\n    hidden: true\n    title: Secret route\n"
        ),
    );
    let page = lab.dir.path().join("report.html");
    let run = labgrade()
        .arg("check")
        .arg(&spec)
        .arg("--format")
        .arg(format!("html={}", page.display()))
        .output_within(common::CHECK_TIME);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run.stderr));
    assert!(text(&run.stdout).contains("FAIL"), "the table still shows");
    let loaded = load(&page);
    assert_self_contained(&loaded, &page);
    let doc = loaded.dom;
    assert_links_resolve(&doc, &page);
    let body = text_of(&select(&doc, "body")[0]);
    assert!(
        body.contains("loopback-bind") && body.contains("FAILED"),
        "{body}"
    );
    assert!(select(&doc, "nav").is_empty(), "no class to go back to");
    // A student sees that a hidden check exists, not what it tests.
    assert!(
        body.contains("Hidden check 1") && !body.contains("Secret route"),
        "{body}"
    );
}

/// The browser checks above can fail: a page that loads an image from a host and runs a
/// script that logs and throws is caught by each of them.
#[test]
fn the_browser_checks_catch_a_page_that_fetches_or_runs() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("bad.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><title>t</title><img src=\"http://labgrade-test.invalid/x.png\"><script>console.log('ran'); document.title = 'pwned'; nope();</script>",
    )
    .unwrap();
    let loaded = load(&page);
    assert_eq!(loaded.requests, ["http://labgrade-test.invalid/x.png"]);
    assert_eq!(loaded.console.len(), 2, "{:?}", loaded.console);
    let said = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert_self_contained(&loaded, &page)
    }))
    .expect_err("the page is not self-contained");
    let said = said.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(said.contains("fetched"), "{said}");
}
