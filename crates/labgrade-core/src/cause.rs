//! Typed causes: every failed check carries a stable id for what went wrong, beside the
//! sentence and the fix written for the student. Tests assert ids, reports carry them
//! (`cause_id` in the JSON report) and class statistics count them. docs/causes.md lists
//! them; the ids are kebab-case and never renamed once released.

use serde::{Deserialize, Serialize};

macro_rules! causes {
    ($($variant:ident = $id:literal: $about:literal,)*) => {
        /// The stable id of a failure's cause.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            schemars::JsonSchema,
        )]
        pub enum CauseId {
            $(
                #[doc = $about]
                #[serde(rename = $id)]
                $variant,
            )*
        }

        impl CauseId {
            /// Every cause, in the order docs/causes.md lists them.
            pub const ALL: &[CauseId] = &[$(CauseId::$variant),*];

            /// The id as reports write it, e.g. `loopback-bind`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CauseId::$variant => $id,)*
                }
            }

            /// What the cause means, in one line (for docs and dashboards).
            pub fn about(self) -> &'static str {
                match self {
                    $(CauseId::$variant => $about,)*
                }
            }
        }
    };
}

causes! {
    // The grader's own state.
    PrerequisiteFailed = "prerequisite-failed": "not checked: a check this one depends on did not pass",
    NotObserved = "not-observed": "the grader has no observation for this check",
    // Images.
    ImageMissing = "image-missing": "no image has the wanted name and tag",
    ImageWrongTag = "image-wrong-tag": "the image exists under another tag or a similar name",
    // Containers.
    ContainerMissing = "container-missing": "no container has the wanted name",
    ContainerMisnamed = "container-misnamed": "a container of the right image exists under another name",
    ServiceMissing = "service-missing": "no container belongs to the compose service",
    ContainerRemoved = "container-removed": "the container existed, but was removed (the daemon's events say when, and how it ended)",
    ContainerRenamed = "container-renamed": "the container was renamed (the daemon's events say to what)",
    ContainerRecreated = "container-recreated": "the container was removed and created again lately (the daemon's events say when), and the new one lacks what the lab asks for: its -p, its image",
    Paused = "paused": "the container is paused",
    CrashedDuringCheck = "crashed-during-check": "the app crashed while it was checked and was restarted",
    RestartLoop = "restart-loop": "the app keeps crashing and Docker keeps restarting it",
    NeverStarted = "never-started": "the container was created but never started",
    OomKilled = "oom-killed": "the container ran out of memory and was killed",
    StoppedByRequest = "stopped-by-request": "someone stopped the container (docker stop, docker kill): no crash",
    ExitedCleanly = "exited-cleanly": "the main process finished with code 0: CMD does not keep a server in the foreground",
    Exited = "exited": "the app stopped with an error exit code",
    StaleContainer = "stale-container": "the image was rebuilt after the container was created: it runs the old build",
    ImageRetagged = "image-retagged": "the container's image no longer has the tag it was run with",
    WrongImage = "wrong-image": "the container runs another image",
    // Recognised from the log or the start error (hints).
    ModuleNotFound = "module-not-found": "Python cannot import a module: the package is not installed in the image",
    FileNotInImage = "file-not-in-image": "the CMD runs a file that is not in the image at that path",
    PortInUseInside = "port-in-use-inside": "the app could not listen: its port is taken inside the container",
    HostPortTaken = "host-port-taken": "the host port is taken, so Docker could not publish it",
    ProgramMissing = "program-missing": "the program named in CMD/ENTRYPOINT does not exist in the image",
    ListeningButClosed = "listening-but-closed": "the socket table shows the app listening where the port reaches it, yet the connection closed without an answer",
    CommandNotFound = "command-not-found": "the shell could not find a command the CMD runs (exit code 127)",
    Killed = "killed": "the container's process was killed (SIGKILL, exit code 137), not for the container's memory limit",
    CrlfScript = "crlf-script": "the script the container starts has Windows line endings (CRLF), so its #! line names a program that does not exist",
    InterpreterMissing = "interpreter-missing": "the script's #! line names an interpreter the image does not have (#!/bin/bash on Alpine)",
    MountHidesFiles = "mount-hides-files": "a mount over a folder of the image hides the files the app needs there",
    NotExecutable = "not-executable": "the program the container starts is not executable (no chmod +x)",
    WrongPlatform = "wrong-platform": "the image was built for another CPU architecture than the engine's (arm64 on amd64, or the reverse)",
    ExecFormat = "exec-format": "the program was built for another CPU, or a script lacks its #! line",
    SyntaxError = "syntax-error": "the code has a syntax error, so the app never started",
    AppError = "app-error": "another error the app's log names",
    AppEnvMissing = "app-env-missing": "the app's code reads an environment variable the container was started without, and it stopped",
    // Builds.
    CopyWrongPath = "copy-wrong-path": "COPY names a file that is elsewhere in the build context",
    CopyMissingFile = "copy-missing-file": "COPY names a file the submission does not have (or .dockerignore leaves out)",
    CopySymlink = "copy-symlink": "COPY names a symbolic link whose file is outside the submission (or missing): Docker sends the link, not the file",
    BaseImageUnavailable = "base-image-unavailable": "the base image is not on the machine and cannot be pulled",
    RunStepFailed = "run-step-failed": "a RUN step of the Dockerfile failed",
    BuildFailed = "build-failed": "the image did not build",
    DockerfileMisnamed = "dockerfile-misnamed": "the Dockerfile is named otherwise (`dockerfile`, `Dockerfile.txt`): Docker looks for `Dockerfile`",
    DockerfileNotAtTop = "dockerfile-not-at-top": "the Dockerfile is in a subfolder, not at the top of the submission",
    BuildOutOfMemory = "build-out-of-memory": "a RUN step was killed for using more memory than the build may (code 137)",
    ContextTooLarge = "context-too-large": "the submission is larger than the most a build is sent (256 MiB): a large file the image does not need",
    BuildTimedOut = "build-timed-out": "the build was still running at its time limit (a RUN step that waits, serves or loops)",
    ProcessLimit = "process-limit": "the program could not start another thread or process: it hit the process limit",
    BaseRefused = "base-refused": "the Dockerfile builds on an image the lab does not allow (batch grading)",
    // Ports.
    HostIpMismatch = "host-ip-mismatch": "the port is published on another host address than the lab asks",
    WrongContainerPort = "wrong-container-port": "the host port goes to another port inside the container",
    WrongHostPort = "wrong-host-port": "the container port is published on another host port",
    ExposeNotPublish = "expose-not-publish": "the image EXPOSEs the port but the container was run without -p",
    NoPortsPublished = "no-ports-published": "the container was started without -p",
    PortNotPublished = "port-not-published": "nothing is published on the wanted host port",
    PortsSwapped = "ports-swapped": "the two numbers of -p are swapped (container port first)",
    WrongProtocol = "wrong-protocol": "the port is published as UDP (or TCP) instead of the other",
    HostNetwork = "host-network": "the container runs with --network host, which ignores -p",
    // HTTP answers.
    NotSent = "not-sent": "the request could not be sent (the spec or the container made it impossible)",
    RouteMissing = "route-missing": "the route answers 404 (another route answers)",
    RouteNotInCode = "route-not-in-code": "the route answers 404, and the app's code declares no such route (its routes are listed)",
    RouteNearMiss = "route-near-miss": "the route answers 404, and the app's code declares one a letter or a path segment away",
    MethodNotAllowed = "method-not-allowed": "the route exists but does not accept the method",
    Redirects = "redirects": "the app redirects, which the grader does not follow",
    WrongStatus = "wrong-status": "the answer's status is not the one the lab asks for",
    AppErrorOnRequest = "app-error-on-request": "the app raised an error on the request (5xx)",
    HardCodedAnswer = "hard-coded-answer": "the answer does not echo the per-run random value: it is hard-coded",
    EndlessBody = "endless-body": "the answer does not end within 1 MiB (curl would never return)",
    WrongAnswer = "wrong-answer": "the answer's body, JSON or headers differ from what the lab asks",
    // HTTP transport.
    LoopbackBind = "loopback-bind": "the app listens on 127.0.0.1 inside the container, so the published port cannot reach it",
    AppWrongPort = "app-wrong-port": "the app listens on another port than the published one",
    LoopbackInCode = "loopback-in-code": "a line of the app's code binds 127.0.0.1 (the line is named), so the published port cannot reach it",
    PortInCode = "port-in-code": "a line of the app's code listens on another port than the lab asks for (the line is named)",
    NotListening = "not-listening": "nothing listens inside the container on any port",
    NothingAnswers = "nothing-answers": "nothing answers behind the published port (the socket table could not be read)",
    StillStarting = "still-starting": "nothing listens yet in a container that started seconds ago",
    CommandOverridden = "command-overridden": "a command after the image name on docker run replaced the image's CMD",
    OptionsAfterImage = "options-after-image": "docker run options (-p, --name, -e) were written after the image name, so the container got them as its command",
    ConnectionRefused = "connection-refused": "the connection was refused",
    ConnectTimeout = "connect-timeout": "the connection could not be made in time",
    Timeout = "timeout": "the app accepted the request but did not answer in time",
    SlowBody = "slow-body": "the answer's body came too slowly",
    CutShort = "cut-short": "the connection was cut in the middle of the answer",
    NotHttp = "not-http": "what came back is not HTTP (TLS or another protocol)",
    HeadersTooLarge = "headers-too-large": "the answer's headers are larger than any client accepts",
    TooManyRedirects = "too-many-redirects": "the answer redirects too often",
    TransportOther = "transport-other": "another failure before an answer",
    // Image settings.
    WrongExpose = "wrong-expose": "the image does not EXPOSE the port",
    NotRebuilt = "not-rebuilt": "the Dockerfile has the line, but the image was built before it",
    WrongCmd = "wrong-cmd": "the image's CMD is not the one the lab asks for",
    WrongEntrypoint = "wrong-entrypoint": "the image's ENTRYPOINT is not the one the lab asks for",
    WrongWorkdir = "wrong-workdir": "the image's WORKDIR is another",
    WrongEnv = "wrong-env": "an environment variable has another value",
    MissingEnv = "missing-env": "an environment variable is not set",
    WrongUser = "wrong-user": "the image runs as another user",
    SizeUnknown = "size-unknown": "the daemon did not report the image's size",
    ImageTooLarge = "image-too-large": "the image is larger than the lab's budget",
    ShellForm = "shell-form": "CMD or ENTRYPOINT is in shell form",
    WrongBase = "wrong-base": "the image is built FROM another base",
    BaseUnknown = "base-unknown": "what the image was built FROM cannot be told",
    TagOutdated = "tag-outdated": "the wanted tag names an older build",
    TagMissing = "tag-missing": "no tag of the image looks like the wanted one",
    NoInstallStep = "no-install-step": "no step of the image installs dependencies",
    CodeBeforeDeps = "code-before-deps": "the code is copied before the dependencies are installed",
    // Registry.
    NotTaggedForRegistry = "not-tagged-for-registry": "no tag of the image names the registry",
    NotPushed = "not-pushed": "the registry does not have the image",
    OtherBuildPushed = "other-build-pushed": "the registry holds another build under the tag",
    RegistryRateLimited = "registry-rate-limited": "the registry answered 429: too many requests",
    RegistryRefused = "registry-refused": "the registry refused the question",
    RegistryUnreachable = "registry-unreachable": "the registry could not be reached",
    // Container settings.
    WrongEnvValue = "wrong-env-value": "the container's environment variable has another value",
    MissingEnvVar = "missing-env-var": "the container's environment variable is not set",
    MountMissing = "mount-missing": "nothing is mounted at the wanted path",
    WrongMountKind = "wrong-mount-kind": "a mount of another kind (bind/volume/tmpfs) is at the path",
    WrongMountSource = "wrong-mount-source": "the mount comes from another source, or is read-only when it should not be",
    WrongRestart = "wrong-restart": "the container has another restart policy",
    WrongLabel = "wrong-label": "a label has another value",
    MissingLabel = "missing-label": "a label is not set",
    WrongNetwork = "wrong-network": "the container is not on the wanted network",
    // One-shot runs.
    RunFailedToStart = "run-failed-to-start": "the image could not run the command",
    RunTimedOut = "run-timed-out": "the command was still running at its time limit",
    RunOutputWrong = "run-output-wrong": "the command's exit code or output differ from what the lab asks",
    // Dockerfile.
    DockerfileTooLarge = "dockerfile-too-large": "the Dockerfile is larger than any Dockerfile needs",
    DockerfileNoFrom = "dockerfile-no-from": "the Dockerfile has no FROM line",
    DockerfileMissing = "dockerfile-missing": "there is no Dockerfile in the project folder",
    DockerfileRule = "dockerfile-rule": "a Dockerfile line breaks a teaching rule (the finding names the rule)",
    // The image's files.
    FilesUnreadable = "files-unreadable": "the engine would not give the image's files to read",
    FileMissing = "file-missing": "a file the lab asks for is not in the image",
    FileNotIgnored = "file-not-ignored": "a file that should have been kept out of the image is in it",
    FileWrongKind = "file-wrong-kind": "the path is a folder or a link where the lab wants a file, or the reverse",
    FileContent = "file-content": "a file in the image does not hold the text the lab asks for",
    FileMode = "file-mode": "a file in the image lacks the permissions the lab asks for (not executable)",
    FileOwner = "file-owner": "a file in the image belongs to another user",
    RunsAsRoot = "runs-as-root": "the image runs its app as root: it sets no USER, or USER root",
    SecretInImage = "secret-in-image": "a secret (.env, a private key) was copied into the image",
    // Health.
    NoHealthcheck = "no-healthcheck": "the image declares no HEALTHCHECK",
    Unhealthy = "unhealthy": "the container's HEALTHCHECK fails",
    HealthStarting = "health-starting": "the container's HEALTHCHECK has not passed yet",
    NoHealthStatus = "no-health-status": "the container has no HEALTHCHECK, so it has no health status",
}

impl std::fmt::Display for CauseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// docs/causes.md: every cause id with what it means.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Cause ids\n\nEvery failed or skipped check in a report carries `cause_id`, a stable id for what\nwent wrong, beside the sentence and the fix written for the student (JSON report:\n`findings[].cause_id`). Count ids, not sentences: the wording may improve, the ids\nare never renamed. Generated from `labgrade_core::cause` (a test keeps it current).\n\n| id | meaning |\n| --- | --- |\n",
    );
    for c in CauseId::ALL {
        out.push_str(&format!("| `{}` | {} |\n", c.as_str(), c.about()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_list_every_cause() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/causes.md");
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, markdown()).unwrap();
        }
        let doc = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            doc,
            markdown(),
            "docs/causes.md is stale: rerun with UPDATE_DOCS=1"
        );
    }

    #[test]
    fn ids_are_unique_kebab_case_and_round_trip() {
        let mut seen = std::collections::BTreeSet::new();
        for &c in CauseId::ALL {
            let id = c.as_str();
            assert!(seen.insert(id), "{id} twice");
            assert!(
                id.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
                "{id}"
            );
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{id}\""));
            assert_eq!(serde_json::from_str::<CauseId>(&json).unwrap(), c);
        }
    }
}
