//! Bad specs: a folder of invalid files whose messages (with line:column) are snapshotted,
//! and fuzzing with arbitrary text and bytes, which must never panic.

use std::path::Path;

use labgrade::spec::Spec;
use proptest::prelude::*;

#[test]
fn invalid_specs_give_located_messages() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/invalid_specs");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut all = String::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let err = labgrade::plan::load(&f).expect_err(&name).to_string();
        // Paths differ between machines; the file name is what matters.
        let err = err.replace(&dir.display().to_string(), "invalid_specs");
        assert!(err.starts_with(&format!("invalid_specs/{name}")), "{err}");
        all.push_str(&format!("── {name}\n{err}\n\n"));
    }
    insta::assert_snapshot!("invalid_specs", all);
}

/// Spec-shaped YAML from the real vocabulary with random values, to reach deep paths.
fn yamlish() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "image",
        "container",
        "ports",
        "http",
        "containers",
        "images",
        "pass_mark",
        "points",
        "wait",
        "name",
        "version",
        "get",
        "post",
        "status",
        "body_contains",
        "json",
        "port",
        "timeout",
        "hidden",
        "headers",
        "method",
        "path",
        "url",
    ]);
    let value = prop::sample::select(vec![
        "a",
        "\"8097:8088\"",
        "[\"1:1\"]",
        "[]",
        "{}",
        "~",
        "70000",
        "-1",
        "2xx",
        "/",
        "\"a(\"",
        "[a, {b: c}]",
        "80%",
        "\"x\\u0000y\"",
        "{get: /}",
        "[{get: /, status: 999}]",
        "1e309",
        "'[0'",
        "!!binary aGk=",
        "&a [*a]",
    ]);
    prop::collection::vec((0usize..4, key, value), 0..12).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(indent, k, v)| format!("{}{k}: {v}\n", "  ".repeat(indent)))
            .collect()
    })
}

/// Cases per fuzz test: `FUZZ_CASES`, or 2000.
fn fuzz_cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    // 2000 cases each in the test run; scripts/full-suite sets FUZZ_CASES much higher.
    #![proptest_config(ProptestConfig { cases: fuzz_cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = Spec::parse(&text, "fuzz.yaml");
    }

    #[test]
    fn spec_shaped_yaml_never_panics(text in yamlish()) {
        if let Ok(spec) = Spec::parse(&text, "fuzz.yaml") {
            // Whatever parses also plans and judges without a daemon.
            let plan = labgrade::plan::Plan::new(&spec);
            let _ = labgrade::verdict::judge(&plan, &labgrade::facts::Facts::default());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let dir = std::env::temp_dir().join(format!("labgrade-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(format!("{}.yaml", bytes.len()));
        std::fs::write(&file, &bytes).unwrap();
        let _ = labgrade::plan::load(&file);
        let _ = std::fs::remove_file(&file);
    }
}
