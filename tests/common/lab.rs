//! A lab as a student builds it: a Dockerfile `FROM` the sample image with the app's
//! files, built and run with the docker CLI, graded, and each printed fix applied as
//! written ([`Start::apply`]).

use super::docker::docker_cmd;
use super::fixes::apply_edit;
use super::process::{DOCKER_TIME, Within};
use super::{Lab, finding};

/// Removes the containers and images a test made, however it ends.
pub struct Leftovers(pub Vec<String>, pub Vec<String>);

impl Drop for Leftovers {
    fn drop(&mut self) {
        for c in &self.0 {
            let _ = docker_cmd(&["rm", "-f", c]).output_within(DOCKER_TIME);
        }
        for i in &self.1 {
            let _ = docker_cmd(&["rmi", "-f", i]).output_within(DOCKER_TIME);
        }
    }
}

/// One broken start script, built FROM the sample image, run as a student would.
pub struct Start {
    pub dir: tempfile::TempDir,
    pub image: String,
    pub name: String,
    pub port: u16,
    _left: Leftovers,
}

pub async fn start_lab(
    lab: &Lab,
    case: &str,
    dockerfile: &str,
    files: &[(&str, &str, u32)],
) -> Start {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        dockerfile.replace("BASE", &lab.image),
    )
    .unwrap();
    for (path, text, mode) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    let id = std::process::id();
    let image = format!("labgrade-test/start-{case}-{id}:v1");
    let name = format!("start-{case}-{id}");
    let port = super::free_port();
    let left = Leftovers(vec![name.clone()], vec![image.clone()]);
    super::fixes::run_printed(&format!("docker build -q -t {image} ."), dir.path()).unwrap();
    // `docker run` itself fails when the program cannot even be found: that is the lab.
    let _ = super::fixes::run_printed(
        &format!("docker run -d --name {name} -p {port}:8088 {image}"),
        dir.path(),
    );
    Start {
        dir,
        image,
        name,
        port,
        _left: left,
    }
}

impl Start {
    /// The lab: this image, this container, `-p PORT:8088`, a GET of `/`.
    pub fn spec(&self) -> String {
        self.spec_for(&["/"])
    }

    /// [`Start::spec`] with a GET of each of `paths`.
    pub fn spec_for(&self, paths: &[&str]) -> String {
        let mut spec = format!(
            "image: {}\ncontainer: {}\nports: [\"{}:8088\"]\nhttp:\n",
            self.image, self.name, self.port
        );
        for p in paths {
            spec.push_str(&format!("  - get: {p}\n"));
        }
        spec
    }

    /// Grades the lab (waiting out a container still on its way down).
    pub fn running(&self, lab: &Lab) -> serde_json::Value {
        let report = self.graded(lab, &self.spec());
        finding(&report, &format!("running:{}", self.name)).clone()
    }

    /// The report on the lab graded with `spec`, once its container has settled.
    pub fn graded(&self, lab: &Lab, spec: &str) -> serde_json::Value {
        let spec = lab.spec(&format!("{}.yaml", self.name), spec);
        let at = ["--dir", self.dir.path().to_str().unwrap()];
        let mut report = serde_json::Value::Null;
        for _ in 0..30 {
            report = lab.check_json(&spec, &at).1;
            if finding(&report, &format!("running:{}", self.name))["found"] != "running" {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        report
    }

    /// Applies a fix as printed: `edit, then: commands`; the edit through the applier or,
    /// for "or run: CMD", that command.
    pub fn apply(&self, fix: &str) {
        let (edit, commands) = fix.split_once(", then: ").expect(fix);
        match edit.split_once("or run: ") {
            Some((_, cmd)) => {
                super::fixes::run_printed(cmd.trim_end_matches(')'), self.dir.path()).unwrap();
            }
            None => {
                apply_edit(edit, self.dir.path()).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let before =
            super::docker::docker_quiet(&["image", "inspect", "-f", "{{.Id}}", &self.image]);
        super::fixes::run_printed(commands, self.dir.path()).unwrap();
        let _ = docker_cmd(&["rmi", before.trim()]).output_within(DOCKER_TIME);
    }
}
