//! `runs:` — a one-shot `docker run --rm` must exit as asked and print what is asked.

use labgrade_core::cause::CauseId;
use labgrade_core::facts::RunFacts;
use labgrade_core::verdict::Outcome;

use crate::common::*;

const HELLO: &str = "runs:\n  - image: hello:v1\n    stdout_regex: '(?i)hello'\n";
const DATE: &str = "runs:\n  - image: hello:v1\n    stdout_regex: '\\d{4}-\\d{2}-\\d{2}'\n    stdout_regex_means: a date\n";
const FULL: &str = "runs:\n  - image: hello:v1\n    args: [python, greet.py, \"--name=Ada Lovelace\"]\n    exit_code: 3\n    stdout_contains: [Hello, Ada]\n    stderr_contains: warning\n";
const CHECK: &str = "run:hello:v1";

fn hello(run: RunFacts) -> FactsBuilder {
    FactsBuilder::new()
        .image("hello:v1", |i| i.cmd(["python", "hello.py"]))
        .run(CHECK, run)
}

#[test]
fn table() {
    let cases = [
        Case::passes(
            "prints hello and exits 0",
            HELLO,
            CHECK,
            hello(ran(0, "Hello from Docker!\nToday is 2026-11-22\n", "")),
        ),
        Case::passes(
            "exit code 3 asked and given",
            FULL,
            CHECK,
            hello(ran(3, "Hello, Ada Lovelace\n", "warning: no config, using defaults\n")),
        ),
        Case::fails(
            "could not start",
            HELLO,
            CHECK,
            CauseId::RunFailedToStart,
            hello(RunFacts {
                exit_code: None,
                error: Some("OCI runtime create failed: runc create failed: unable to start container process: exec: \"python\": executable file not found in $PATH: unknown".into()),
                elapsed_ms: 210,
                ..Default::default()
            }),
        ),
        Case::fails(
            "timed out (a server, not a one-shot program)",
            HELLO,
            CHECK,
            CauseId::RunTimedOut,
            hello(RunFacts {
                exit_code: None,
                stdout: " * Serving Flask app 'hello'\n * Running on http://127.0.0.1:5000\n".into(),
                timed_out: true,
                elapsed_ms: 10_004,
                ..Default::default()
            }),
        ),
        Case::fails(
            "wrong output",
            HELLO,
            CHECK,
            CauseId::RunOutputWrong,
            hello(ran(0, "Bonjour!\n", "")),
        ),
        Case::fails(
            "output does not show a date",
            DATE,
            CHECK,
            CauseId::RunOutputWrong,
            hello(ran(0, "Hello from Docker!\n", "")),
        ),
        // With the script in the image, the lines that print a date are written out
        // below its last line (the first of the known prints the spec's pattern accepts).
        Case::fails(
            "output does not show a date: the script's code is read",
            DATE,
            CHECK,
            CauseId::RunOutputWrong,
            FactsBuilder::new()
                .image("hello:v1", |i| {
                    i.cmd(["python", "hello.py"])
                        .workdir("/app")
                        .text_file("/app/hello.py", "# greets\nprint(\"Hello from Docker!\")\n\n")
                })
                .run(CHECK, ran(0, "Hello from Docker!\n", "")),
        ),
        // A script that ends by exiting gets the lines above its exit.
        Case::fails(
            "output does not show a date: the script ends with sys.exit",
            DATE,
            CHECK,
            CauseId::RunOutputWrong,
            FactsBuilder::new()
                .image("hello:v1", |i| {
                    i.cmd(["python", "hello.py"])
                        .workdir("/app")
                        .text_file("/app/hello.py", "import sys\nprint(\"Hello\")\nsys.exit(0)\n")
                })
                .run(CHECK, ran(0, "Hello\n", "")),
        ),
        // A text the command line gives the program is not printed as fixed text: the
        // fix says what is missing.
        Case::fails(
            "output lacks a text from its arguments: not written out",
            FULL,
            CHECK,
            CauseId::RunOutputWrong,
            FactsBuilder::new()
                .image("hello:v1", |i| {
                    i.cmd(["python", "hello.py"])
                        .workdir("/app")
                        .text_file("/app/greet.py", "import sys\nprint(\"Hello,\", sys.argv[1])\nsys.exit(3)\n")
                })
                .run(CHECK, ran(3, "Hello, World\n", "warning: x\n")),
        ),
        Case::fails(
            "crashed: exit code 1 with a traceback",
            HELLO,
            CHECK,
            CauseId::RunOutputWrong,
            hello(ran(
                1,
                "",
                "Traceback (most recent call last):\n  File \"/app/hello.py\", line 2, in <module>\n    import requests\nModuleNotFoundError: No module named 'requests'\n",
            )),
        ),
        Case::fails(
            "exit code, stdout and stderr all wrong",
            FULL,
            CHECK,
            CauseId::RunOutputWrong,
            hello(ran(0, "Hello, World\n", "")),
        ),
        Case::fails("no run recorded", HELLO, CHECK, CauseId::NotObserved, FactsBuilder::new().image("hello:v1", |i| i))
            .no_fix()
            .outcome(Outcome::Error),
    ];
    insta::assert_snapshot!("run", run_table(&cases));
}

#[test]
fn the_command_to_try_quotes_arguments_as_a_shell_reads_them() {
    let v = verdict(FULL, &hello(ran(0, "", "")).build());
    assert_eq!(
        finding(&v, CHECK)
            .fix
            .as_deref()
            .map(|f| f
                .ends_with(" && docker run --rm hello:v1 python greet.py '--name=Ada Lovelace'")),
        Some(true),
        "{:?}",
        finding(&v, CHECK).fix
    );
}
