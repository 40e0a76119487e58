//! What an image and a container must be set up with, beyond existing and running: the
//! image's EXPOSE, CMD, WORKDIR, ENV, USER, size and layer order; the container's
//! environment, mounts, restart policy, labels and networks.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::port::Proto;
use super::values::{ImagePattern, ImageRef, Pattern, Registry, text_value};

/// A port an image EXPOSEs: `8088`, `8088/tcp`, `53/udp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExposedPort {
    pub port: u16,
    pub proto: Proto,
}

impl std::str::FromStr for ExposedPort {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (port, proto) = match s.trim().split_once('/') {
            Some((p, "tcp")) => (p, Proto::Tcp),
            Some((p, "udp")) => (p, Proto::Udp),
            Some((p, "sctp")) => (p, Proto::Sctp),
            Some((_, other)) => {
                return Err(format!(
                    "unknown protocol `{other}` in `{s}`: expected tcp, udp or sctp"
                ));
            }
            None => (s.trim(), Proto::Tcp),
        };
        match port.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(ExposedPort {
                port: n as u16,
                proto,
            }),
            _ => Err(format!(
                "invalid exposed port `{s}`: expected a number from 1 to 65535, such as 8088 or 53/udp"
            )),
        }
    }
}

impl fmt::Display for ExposedPort {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.proto)
    }
}

/// An image size: `200MB`, `1.5GB`, `800MiB`, or a number of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size(pub u64);

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" => 1e3,
            "mb" => 1e6,
            "gb" => 1e9,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            _ => {
                return Err(format!(
                    "invalid size `{s}`: expected a number with B, KB, MB, GB (or KiB, MiB, GiB), such as 200MB"
                ));
            }
        };
        let n: f64 = num
            .parse()
            .map_err(|_| format!("invalid size `{s}`: expected a number such as 200MB"))?;
        Ok(Size((n * scale) as u64))
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:.1} MB", self.0 as f64 / 1e6)
    }
}

text_value!(ExposedPort, "a port such as 8088 or 53/udp");
text_value!(Size, "a size such as 200MB");

/// What an image must hold. Written as a name alone (`hello:v1`) or as a map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// The image, `repository[:tag]`.
    pub name: ImageRef,
    /// Ports the image must EXPOSE.
    #[serde(default)]
    pub expose: Vec<ExposedPort>,
    /// The exact CMD, exec form: ["python", "app.py"].
    pub cmd: Option<Vec<String>>,
    /// Text the CMD (and ENTRYPOINT) must contain, such as server.py.
    pub cmd_contains: Option<String>,
    /// The exact ENTRYPOINT, exec form.
    pub entrypoint: Option<Vec<String>>,
    /// CMD and ENTRYPOINT written in exec (JSON) form, not shell form.
    #[serde(default)]
    pub exec_form: bool,
    /// The WORKDIR.
    pub workdir: Option<String>,
    /// ENV variables and their values.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The USER the container runs as.
    pub user: Option<String>,
    /// The largest size the image may have, such as 200MB.
    pub max_size: Option<Size>,
    /// Dependencies copied and installed before the rest of the code is copied (layer caching).
    #[serde(default)]
    pub deps_before_code: bool,
    /// What an install step runs (regex); default: pip, npm, yarn, poetry, pipenv, bundle, composer, go mod.
    pub install_command: Option<Pattern>,
    /// The image it is built FROM, such as python:3.10-slim (`*` for any text), told from
    /// the layers it shares with the images on the machine.
    pub base: Option<ImagePattern>,
    /// Another tag the image must carry, such as */flask-echo-headers-server (`*` for any
    /// user): the `docker tag` before a push.
    pub tagged_as: Option<ImagePattern>,
    /// A registry that must hold the image under one of its tags: docker.io,
    /// localhost:5000 or a URL (Registry HTTP API v2, read anonymously).
    pub pushed_to: Option<Registry>,
    /// Paths the image must hold (or not hold), read from the image without running it:
    /// `[{path: /app/requirements.txt}, {path: /app/.git, absent: true}]`.
    #[serde(default)]
    pub files: Vec<FileSpec>,
    /// The image declares a HEALTHCHECK.
    #[serde(default)]
    pub healthcheck: bool,
    /// The image runs as a USER other than root.
    #[serde(default)]
    pub user_not_root: bool,
    /// No file under the image's WORKDIR (or `/`, system folders aside) looks like a
    /// secret: `.env`, `id_rsa`, a private key in a `.pem` or `.key`.
    #[serde(default)]
    pub no_secrets: bool,
    /// Paths `no_secrets` accepts (`*` for any text), such as /app/tests/fixture.pem.
    #[serde(default)]
    pub allow_secrets: Vec<String>,
}

/// A path an image must hold, or must not hold, and what it must be like.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FileSpec {
    /// Path in the image, such as /app/requirements.txt; a relative path (.git) is under
    /// the image's WORKDIR (or `/` when it sets none).
    pub path: String,
    /// The path must not exist (for example, kept out of the build by .dockerignore).
    #[serde(default)]
    pub absent: bool,
    /// Text (or texts) the file must contain.
    #[serde(default, deserialize_with = "super::http::one_or_many")]
    #[schemars(with = "Option<super::http::StringOrList>")]
    pub contains: Vec<String>,
    /// A regular expression the file's text must match.
    pub regex: Option<Pattern>,
    /// `executable`, or permission bits in octal such as 755 or "0644".
    pub mode: Option<FileMode>,
    /// The owner: a uid (1000) or a user name the image's /etc/passwd knows (app).
    pub owner: Option<String>,
    /// Points for this check (default: the `setting` points).
    #[schemars(range(max = 10000))]
    pub points: Option<u32>,
}

/// A file mode a check wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// Some execute bit is set.
    Executable,
    /// These permission bits exactly.
    Bits(u32),
}

impl std::str::FromStr for FileMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("executable") {
            return Ok(FileMode::Executable);
        }
        let digits = t.strip_prefix("0o").unwrap_or(t);
        match u32::from_str_radix(digits, 8) {
            Ok(bits) if bits <= 0o7777 => Ok(FileMode::Bits(bits)),
            _ => Err(format!(
                "invalid mode `{s}`: expected `executable` or octal permission bits such as 755 or \"0644\""
            )),
        }
    }
}

impl fmt::Display for FileMode {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            FileMode::Executable => f.write_str("executable"),
            FileMode::Bits(b) => write!(f, "{b:04o}"),
        }
    }
}

text_value!(
    FileMode,
    "`executable` or octal permission bits such as 755"
);

impl ImageSpec {
    /// Just the name: the image must exist.
    pub fn named(name: ImageRef) -> ImageSpec {
        ImageSpec {
            name,
            expose: Vec::new(),
            cmd: None,
            cmd_contains: None,
            entrypoint: None,
            exec_form: false,
            workdir: None,
            env: BTreeMap::new(),
            user: None,
            max_size: None,
            deps_before_code: false,
            install_command: None,
            base: None,
            tagged_as: None,
            pushed_to: None,
            files: Vec::new(),
            healthcheck: false,
            user_not_root: false,
            no_secrets: false,
            allow_secrets: Vec::new(),
        }
    }
}

/// An `images:` entry: `hello:v1` or `{name: hello:v1, expose: [8088], ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct ImageEntry(pub ImageSpec);

impl<'de> Deserialize<'de> for ImageEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ImageEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an image name such as hello:v1, or a map with `name:` and what the image must hold")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ImageEntry, E> {
                v.parse()
                    .map(|n| ImageEntry(ImageSpec::named(n)))
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ImageEntry, A::Error> {
                ImageSpec::deserialize(de::value::MapAccessDeserializer::new(map)).map(ImageEntry)
            }
        }
        d.deserialize_any(V)
    }
}

/// A mount the container must have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MountSpec {
    /// Path inside the container, such as /app.
    pub destination: String,
    /// Named volume, or the end of the host path of a bind mount (such as db-data or /project).
    pub source: Option<String>,
    /// bind, volume or tmpfs.
    #[serde(rename = "type")]
    pub kind: Option<MountKind>,
}

/// Kinds of mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
}

impl fmt::Display for MountKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            MountKind::Bind => "bind",
            MountKind::Volume => "volume",
            MountKind::Tmpfs => "tmpfs",
        })
    }
}

/// Restart policies, as `docker run --restart` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    No,
    Always,
    UnlessStopped,
    OnFailure,
}

impl RestartPolicy {
    pub fn as_str(&self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
            RestartPolicy::OnFailure => "on-failure",
        }
    }
}

/// The Dockerfile to check with labgrade's rules (docs/spec.md lists them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DockerfileSpec {
    /// Path of the Dockerfile, relative to the project folder (`--dir`, default: here).
    #[serde(default = "default_dockerfile")]
    pub path: String,
    /// LG003: the port the app listens on, which the Dockerfile must EXPOSE.
    pub expose: Option<u16>,
    /// LG004: patterns `.dockerignore` must leave out, such as `[.git, __pycache__]`.
    pub dockerignore: Option<Vec<String>>,
    /// Rule ids not to check, such as `[LG001]` (a YAML list).
    #[serde(default)]
    pub skip: Vec<String>,
}

impl DockerfileSpec {
    /// The `.dockerignore` beside the Dockerfile (the build context's root).
    pub fn dockerignore_path(&self) -> String {
        std::path::Path::new(&self.path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or(".dockerignore".into(), |p| {
                p.join(".dockerignore").display().to_string()
            })
    }
}

fn default_dockerfile() -> String {
    "Dockerfile".into()
}

/// A one-shot `docker run --rm IMAGE [ARGS]` whose output is checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// The image to run.
    pub image: ImageRef,
    /// Arguments after the image (they replace its CMD).
    #[serde(default)]
    pub args: Vec<String>,
    /// The exit code it must end with (default 0).
    #[serde(default)]
    pub exit_code: i64,
    /// Text (or texts) standard output must contain.
    #[serde(default, deserialize_with = "super::http::one_or_many")]
    #[schemars(with = "Option<super::http::StringOrList>")]
    pub stdout_contains: Vec<String>,
    /// A regular expression standard output must match, such as \d{4}-\d{2}-\d{2} for a date.
    pub stdout_regex: Option<Pattern>,
    /// What `stdout_regex` stands for, in words (such as "today's date"): reports say
    /// "output does not show today's date" instead of quoting the expression.
    pub stdout_regex_means: Option<String>,
    /// Text (or texts) standard error must contain.
    #[serde(default, deserialize_with = "super::http::one_or_many")]
    #[schemars(with = "Option<super::http::StringOrList>")]
    pub stderr_contains: Vec<String>,
    /// How long the run may take (default 10s).
    pub timeout: Option<super::values::Span>,
    /// Points for this check.
    #[schemars(range(max = 10000))]
    pub points: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(
            "8088".parse::<ExposedPort>().unwrap().to_string(),
            "8088/tcp"
        );
        assert_eq!("53/udp".parse::<ExposedPort>().unwrap().proto, Proto::Udp);
        assert!("x".parse::<ExposedPort>().is_err());
        assert_eq!("200MB".parse::<Size>().unwrap().0, 200_000_000);
        assert_eq!("1.5GB".parse::<Size>().unwrap().0, 1_500_000_000);
        assert_eq!("2MiB".parse::<Size>().unwrap().0, 2 * 1024 * 1024);
        assert!(
            "12 apples"
                .parse::<Size>()
                .unwrap_err()
                .contains("`12 apples`")
        );
    }
}
