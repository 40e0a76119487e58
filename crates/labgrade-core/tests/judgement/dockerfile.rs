//! `dockerfile:` — the file exists and follows each teaching rule the core knows
//! (labgrade_core::dockerfile::RULES), each failure with its line and its fix.

use labgrade_core::cause::CauseId;
use labgrade_core::verdict::Outcome;

use crate::common::*;

const SPEC: &str = "dockerfile:\n  expose: 8088\n  dockerignore: [.git, __pycache__]\n";

const GOOD: &str = "FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
EXPOSE 8088
CMD [\"python\", \"server.py\"]
";

const IGNORE: &str = ".git\n__pycache__/\n*.pyc\n.venv\n";

fn project(dockerfile: &str) -> FactsBuilder {
    FactsBuilder::new()
        .file("Dockerfile", dockerfile)
        .file(".dockerignore", IGNORE)
}

/// GOOD with one line changed.
fn good_but(line: &str, with: &str) -> String {
    assert!(GOOD.contains(line), "{line}");
    GOOD.replacen(line, with, 1)
}

#[test]
fn present() {
    let cases = [
        Case::passes("present", SPEC, "dockerfile", project(GOOD)),
        Case::fails(
            "missing",
            SPEC,
            "dockerfile",
            CauseId::DockerfileMissing,
            FactsBuilder::new()
                .no_file("Dockerfile")
                .no_file(".dockerignore"),
        ),
        Case::fails(
            "too large to read",
            SPEC,
            "dockerfile",
            CauseId::DockerfileTooLarge,
            project("# labgrade: Dockerfile is larger than 1024 KiB and was not read"),
        ),
        Case::fails(
            "no FROM line",
            SPEC,
            "dockerfile",
            CauseId::DockerfileNoFrom,
            project("WORKDIR /app\nCOPY . .\nCMD [\"python\", \"server.py\"]\n"),
        ),
        Case::fails(
            "a rule check when the Dockerfile is missing",
            SPEC,
            "dockerfile:DL3006",
            CauseId::PrerequisiteFailed,
            FactsBuilder::new()
                .no_file("Dockerfile")
                .no_file(".dockerignore"),
        )
        .no_fix()
        .outcome(Outcome::Skipped),
    ];
    insta::assert_snapshot!("dockerfile_present", run_table(&cases));
}

#[test]
fn rules() {
    let rule = CauseId::DockerfileRule;
    let cases = [
        Case::fails(
            "DL3006: untagged base",
            SPEC,
            "dockerfile:DL3006",
            rule,
            project(&good_but("FROM python:3.11-slim", "FROM python")),
        ),
        Case::fails(
            "DL3007: latest",
            SPEC,
            "dockerfile:DL3007",
            rule,
            project(&good_but("FROM python:3.11-slim", "FROM python:latest")),
        ),
        Case::fails(
            "LG001: full python image",
            SPEC,
            "dockerfile:LG001",
            rule,
            project(&good_but("FROM python:3.11-slim", "FROM python:3.11")),
        ),
        Case::fails(
            "DL3000: relative WORKDIR",
            SPEC,
            "dockerfile:DL3000",
            rule,
            project(&good_but("WORKDIR /app", "WORKDIR app")),
        ),
        Case::fails(
            "DL3020: ADD for local files",
            SPEC,
            "dockerfile:DL3020",
            rule,
            project(&good_but("COPY . .", "ADD . .")),
        ),
        Case::fails(
            "LG002: code copied before the install",
            SPEC,
            "dockerfile:LG002",
            rule,
            project(&good_but("COPY requirements.txt .", "COPY . .")),
        ),
        Case::fails(
            "DL3042: pip cache kept",
            SPEC,
            "dockerfile:DL3042",
            rule,
            project(&good_but(
                "RUN pip install --no-cache-dir -r requirements.txt",
                "RUN pip install -r requirements.txt",
            )),
        ),
        Case::fails(
            "DL3025: shell-form CMD",
            SPEC,
            "dockerfile:DL3025",
            rule,
            project(&good_but(
                "CMD [\"python\", \"server.py\"]",
                "CMD python server.py",
            )),
        ),
        Case::fails(
            "DL3025: CMD in single quotes (not JSON)",
            SPEC,
            "dockerfile:DL3025",
            rule,
            project(&good_but(
                "CMD [\"python\", \"server.py\"]",
                "CMD ['python', 'server.py']",
            )),
        ),
        Case::fails(
            "DL4003: two CMDs",
            SPEC,
            "dockerfile:DL4003",
            rule,
            project(&good_but(
                "EXPOSE 8088\n",
                "EXPOSE 8088\nCMD [\"flask\", \"run\"]\n",
            )),
        ),
        Case::fails(
            "LG003: EXPOSE another port",
            SPEC,
            "dockerfile:LG003",
            rule,
            project(&good_but("EXPOSE 8088", "EXPOSE 5000")),
        ),
        Case::fails(
            "LG003: no EXPOSE",
            SPEC,
            "dockerfile:LG003",
            rule,
            project(&good_but("EXPOSE 8088\n", "")),
        ),
        Case::fails(
            "LG004: no .dockerignore",
            SPEC,
            "dockerfile:LG004",
            rule,
            FactsBuilder::new()
                .file("Dockerfile", GOOD)
                .no_file(".dockerignore"),
        ),
        Case::fails(
            "LG004: .dockerignore leaves __pycache__ in",
            SPEC,
            "dockerfile:LG004",
            rule,
            FactsBuilder::new()
                .file("Dockerfile", GOOD)
                .file(".dockerignore", ".git\n"),
        ),
    ];
    // Every rule the core knows has a failing case here.
    for r in labgrade_core::dockerfile::RULES {
        assert!(
            cases
                .iter()
                .any(|c| c.check == format!("dockerfile:{}", r.id)),
            "no case for {}",
            r.id
        );
    }
    insta::assert_snapshot!("dockerfile_rules", run_table(&cases));
}

#[test]
fn the_good_dockerfile_passes_every_rule() {
    let v = verdict(SPEC, &project(GOOD).build());
    let ids: Vec<&str> = v.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        1 + labgrade_core::dockerfile::RULES.len(),
        "{ids:?}"
    );
    for f in &v.findings {
        assert_eq!(f.outcome, Outcome::Pass, "{f:?}");
    }
}

#[test]
fn skipped_and_optional_rules_are_not_checked() {
    let v = verdict(
        "dockerfile:\n  skip: [LG001, dl3042]\n",
        &project(GOOD).build(),
    );
    let ids: Vec<&str> = v.findings.iter().map(|f| f.id.as_str()).collect();
    for absent in [
        "dockerfile:LG001",
        "dockerfile:DL3042",
        "dockerfile:LG003",
        "dockerfile:LG004",
    ] {
        assert!(!ids.contains(&absent), "{absent} in {ids:?}");
    }
    assert!(ids.contains(&"dockerfile:DL3006"));
}

#[test]
fn a_dockerfile_in_a_subfolder_reads_its_own_dockerignore() {
    let spec = "dockerfile:\n  path: app/Dockerfile\n  dockerignore: [.git]\n";
    let facts = FactsBuilder::new()
        .file("app/Dockerfile", GOOD)
        .file("app/.dockerignore", ".git\n")
        .build();
    let v = verdict(spec, &facts);
    assert_eq!(finding(&v, "dockerfile:LG004").outcome, Outcome::Pass);
}
