//! Small validated value types used by the spec: each one checks its own text while
//! serde_yaml is deserialising it, so a bad value is reported at its line and column.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// Accepts a YAML string or a number and hands its text to `parse`.
struct TextVisitor<F> {
    expecting: &'static str,
    parse: F,
}

impl<'de, T, F> Visitor<'de> for TextVisitor<F>
where
    F: FnOnce(&str) -> Result<T, String>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.parse)(v).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        (self.parse)(&v.to_string()).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.parse)(&v.to_string()).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        (self.parse)(&v.to_string()).map_err(E::custom)
    }
}

/// Deserialises a value from its text form with `parse`, keeping serde's location.
pub(crate) fn from_text<'de, D, T>(
    d: D,
    expecting: &'static str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    d.deserialize_any(TextVisitor { expecting, parse })
}

/// A JSON Schema for a value written as text (or a number), described by `$expecting`.
macro_rules! text_schema {
    ($ty:ty, $expecting:literal) => {
        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": ["string", "number"], "description": $expecting })
            }
        }
    };
}
pub(crate) use text_schema;

/// Serde and schema impls for a type written as text: parsed with `FromStr` (keeping the
/// position of the value for errors), written with `Display`.
macro_rules! text_value {
    ($ty:ty, $expecting:literal) => {
        $crate::spec::values::text_schema!($ty, $expecting);
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::spec::values::from_text(d, $expecting, |s| s.parse())
            }
        }
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}
pub(crate) use text_value;

/// A time span written as `5s`, `500ms`, `1m` or a plain number of seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl std::str::FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_duration(s).map(Span)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}ms", self.0.as_millis())
    }
}
text_value!(Span, "a duration such as 5s, 500ms or 1m");

/// Parses `5s`, `500ms`, `1m`, `2.5` (seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let bad = || {
        format!("invalid duration `{s}`: expected a number with ms, s or m, such as 5s or 500ms")
    };
    let v: f64 = num.trim().parse().map_err(|_| bad())?;
    if !v.is_finite() || v < 0.0 {
        return Err(bad());
    }
    let secs = v * scale;
    if secs > 3600.0 {
        return Err(format!("duration `{s}` is longer than the 1 hour limit"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The score a lab needs to pass: points (`16`) or a percentage (`80%`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PassMark {
    Points(u32),
    Percent(f64),
}

impl Default for PassMark {
    fn default() -> Self {
        PassMark::Percent(100.0)
    }
}

impl PassMark {
    /// The number of points needed out of `max`.
    pub fn threshold(&self, max: u32) -> u32 {
        match *self {
            PassMark::Points(p) => p,
            // In hundredths of a percent, so 55% of 100 is exactly 55 (floats say 56).
            PassMark::Percent(pct) => {
                let hundredths = (pct * 100.0).round() as u64;
                (hundredths * u64::from(max)).div_ceil(10_000) as u32
            }
        }
    }
}

impl std::str::FromStr for PassMark {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            let v: f64 = p.trim().parse().map_err(|_| {
                format!("invalid pass_mark `{s}`: expected points such as 16 or a percentage such as 80%")
            })?;
            if !(0.0..=100.0).contains(&v) {
                return Err(format!("pass_mark `{s}` must be between 0% and 100%"));
            }
            Ok(PassMark::Percent(v))
        } else {
            t.parse().map(PassMark::Points).map_err(|_| {
                format!("invalid pass_mark `{s}`: expected points such as 16 or a percentage such as 80%")
            })
        }
    }
}

impl fmt::Display for PassMark {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            PassMark::Points(p) => write!(f, "{p}"),
            PassMark::Percent(p) => write!(f, "{p}%"),
        }
    }
}
text_value!(PassMark, "points such as 16 or a percentage such as 80%");

/// An HTTP method the probes can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
    Options,
}

impl Method {
    pub const ALL: [(&'static str, Method); 7] = [
        ("GET", Method::Get),
        ("HEAD", Method::Head),
        ("POST", Method::Post),
        ("PUT", Method::Put),
        ("PATCH", Method::Patch),
        ("DELETE", Method::Delete),
        ("OPTIONS", Method::Options),
    ];

    pub fn as_str(&self) -> &'static str {
        Method::ALL
            .iter()
            .find(|(_, m)| m == self)
            .map(|(n, _)| *n)
            .unwrap_or("GET")
    }
}

impl std::str::FromStr for Method {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Method::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(_, m)| *m)
            .ok_or_else(|| {
                format!("unknown HTTP method `{s}`: expected one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
            })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
text_value!(Method, "an HTTP method such as GET");

/// The expected HTTP status: an exact code (`200`) or a class (`2xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusSpec {
    Exact(u16),
    Class(u16),
}

impl Default for StatusSpec {
    fn default() -> Self {
        StatusSpec::Class(2)
    }
}

impl StatusSpec {
    pub fn matches(&self, code: u16) -> bool {
        match *self {
            StatusSpec::Exact(c) => c == code,
            StatusSpec::Class(c) => code / 100 == c,
        }
    }
}

impl std::str::FromStr for StatusSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bad = || {
            format!(
                "invalid status `{s}`: expected a code from 100 to 599 such as 200, or a class such as 2xx"
            )
        };
        if let Some(c) = t.strip_suffix("xx").or_else(|| t.strip_suffix("XX")) {
            let c: u16 = c.parse().map_err(|_| bad())?;
            return if (1..=5).contains(&c) {
                Ok(StatusSpec::Class(c))
            } else {
                Err(bad())
            };
        }
        let c: u16 = t.parse().map_err(|_| bad())?;
        if (100..=599).contains(&c) {
            Ok(StatusSpec::Exact(c))
        } else {
            Err(bad())
        }
    }
}

impl fmt::Display for StatusSpec {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            StatusSpec::Exact(c) => write!(f, "{c}"),
            StatusSpec::Class(c) => write!(f, "{c}xx"),
        }
    }
}
text_value!(StatusSpec, "an HTTP status such as 200 or 2xx");

/// A compiled regular expression that remembers its source text.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl std::str::FromStr for Pattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // `{{random}}` stands for the per-run value: kept as literal text until a run
        // puts the value there (a bare `{` would not compile).
        let placeholder = RANDOM;
        let text = s.replace(placeholder, &regex::escape(placeholder));
        regex::RegexBuilder::new(&text)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
            .map_err(|e| {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or("").trim().to_string();
                format!("invalid regex `{s}`: {last}")
            })
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}
text_value!(Pattern, "a regular expression");

/// An image reference such as `nautilus/python-app` or `hello:v1`; the tag defaults to `latest`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageRef {
    /// Repository part, e.g. `nautilus/python-app`.
    pub repository: String,
    /// Tag, `latest` when none was written.
    pub tag: String,
}

impl ImageRef {
    /// `repository:tag`, the form the daemon lists in RepoTags.
    pub fn full(&self) -> String {
        format!("{}:{}", self.repository, self.tag)
    }
}

impl std::str::FromStr for ImageRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() {
            return Err(
                "empty image name: expected a name such as nautilus/python-app or hello:v1".into(),
            );
        }
        if t.contains('@') {
            return Err(format!(
                "image `{s}`: digests (@sha256:...) are not supported, name the image by tag"
            ));
        }
        let valid = |c: char| c.is_ascii_alphanumeric() || "._-/:".contains(c);
        if let Some(c) = t.chars().find(|c| !valid(*c)) {
            return Err(format!(
                "invalid image name `{s}`: the character `{}` is not allowed",
                c.escape_default()
            ));
        }
        // A colon after the last slash separates the tag; one before it is a registry port.
        let (repo, tag) = match t.rfind(':') {
            Some(i) if !t[i..].contains('/') => (&t[..i], &t[i + 1..]),
            _ => (t, "latest"),
        };
        // A colon in the repository is only a registry's port, before the first slash.
        let after_registry = repo.split_once('/').map_or(repo, |(_, rest)| rest);
        if after_registry.contains(':') || (!repo.contains('/') && repo.contains(':')) {
            return Err(format!(
                "invalid image name `{s}`: expected repository[:tag] with one tag"
            ));
        }
        if repo.is_empty() || tag.is_empty() {
            return Err(format!(
                "invalid image name `{s}`: expected repository[:tag]"
            ));
        }
        if repo.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!(
                "invalid image name `{s}`: repository names must be lowercase"
            ));
        }
        Ok(ImageRef {
            repository: repo.to_string(),
            tag: tag.to_string(),
        })
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.tag == "latest" {
            f.write_str(&self.repository)
        } else {
            write!(f, "{}:{}", self.repository, self.tag)
        }
    }
}
text_value!(ImageRef, "an image name such as nautilus/python-app");

/// An image name where `*` stands for any text within one part of the name (no `/`):
/// `*/flask-echo-headers-server` (any Docker Hub user), `python:3.*-slim`. Without a
/// tag, any tag matches. A pattern without a registry host matches a tag of any registry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImagePattern {
    pub text: String,
    pub repository: String,
    /// `None` when no tag was written: any tag matches.
    pub tag: Option<String>,
}

/// Splits a daemon tag (`localhost:5000/ann/app:v1`) into registry host (`None` for
/// Docker Hub), repository path without `library/`, and tag (`latest` when none).
pub fn split_tag(full: &str) -> (Option<&str>, &str, &str) {
    let (repo, tag) = match full.rfind(':') {
        Some(i) if !full[i..].contains('/') => (&full[..i], &full[i + 1..]),
        _ => (full, "latest"),
    };
    let (registry, path) = match repo.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => {
            (Some(host), rest)
        }
        _ => (None, repo),
    };
    let registry = registry.filter(|h| !DOCKER_HUB.contains(h));
    // Docker Hub's official images live under library/; other registries keep it.
    let path = match registry {
        None => path.strip_prefix("library/").unwrap_or(path),
        Some(_) => path,
    };
    (registry, path, tag)
}

/// The names Docker Hub goes by in image tags.
/// What a spec writes where the grader must put a value of its own, new on every run: an
/// app that echoes it back cannot have hard-coded the answer.
pub const RANDOM: &str = "{{random}}";

pub const DOCKER_HUB: [&str; 3] = ["docker.io", "index.docker.io", "registry-1.docker.io"];

/// The host a spec's `pushed_to` names (`docker.io`, `localhost:5000`, a URL), as image
/// tags write it; `None` for Docker Hub.
pub fn registry_host(registry: &str) -> Option<String> {
    let r = registry.trim().trim_end_matches('/');
    let r = r
        .strip_prefix("https://")
        .or_else(|| r.strip_prefix("http://"))
        .unwrap_or(r);
    (!DOCKER_HUB.contains(&r)).then(|| r.to_string())
}

/// `*` matches any run of characters other than `/`: the parts between slashes match
/// one for one.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), text.split('/').collect());
    p.len() == t.len() && p.iter().zip(&t).all(|(p, t)| glob_part(p, t))
}

/// Wildcard matching without backtracking blow-up: on a mismatch, the last `*` takes one
/// more character (linear in practice, at worst pattern × text).
fn glob_part(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            star = Some((sp, st + 1));
            pi = sp + 1;
            ti = st + 1;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

impl ImagePattern {
    /// Whether a tag the daemon lists (`repository:tag`) is one this pattern names.
    pub fn matches(&self, full: &str) -> bool {
        let (registry, path, tag) = split_tag(full);
        let (want_registry, want_path, _) = split_tag(&self.repository);
        let registry_ok = match want_registry {
            Some(w) => registry.is_some_and(|r| glob(w, r)),
            None => {
                let hub = DOCKER_HUB
                    .iter()
                    .any(|h| self.repository.starts_with(&format!("{h}/")));
                !hub || registry.is_none()
            }
        };
        registry_ok && glob(want_path, path) && self.tag.as_deref().is_none_or(|t| glob(t, tag))
    }

    /// The pattern with `*` written as `<what>`, for a command a student can type.
    pub fn example(&self, what: &str) -> String {
        let tag = self.tag.as_ref().map_or(String::new(), |t| format!(":{t}"));
        format!("{}{tag}", self.repository).replace('*', what)
    }
}

impl std::str::FromStr for ImagePattern {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // An image name with `*` in it: check the shape with the stars as letters (and
        // quote the name as written in any error).
        let starred = s.replace('*', "x");
        let r: ImageRef = starred
            .parse()
            .map_err(|e: String| e.replace(&starred, s))?;
        let t = s.trim();
        let tagged = r.tag != "latest" || t.ends_with(":latest");
        let repository = if tagged {
            t[..t.len() - r.tag.len() - 1].to_string()
        } else {
            t.to_string()
        };
        Ok(ImagePattern {
            text: t.to_string(),
            tag: tagged.then(|| t[repository.len() + 1..].to_string()),
            repository,
        })
    }
}

impl fmt::Display for ImagePattern {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.text)
    }
}
text_value!(
    ImagePattern,
    "an image name such as python:3.10-slim, where * stands for any text: */flask-echo-headers-server"
);

/// A registry as `pushed_to` names it: `docker.io`, `localhost:5000`,
/// `registry.example.edu`, or a URL such as `http://10.0.0.5:5000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry(pub String);

impl std::str::FromStr for Registry {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let host = t
            .strip_prefix("https://")
            .or_else(|| t.strip_prefix("http://"))
            .unwrap_or(t)
            .trim_end_matches('/');
        let expected = "expected docker.io, a host and port such as localhost:5000, a domain such as registry.example.edu, or a URL";
        if host.is_empty() {
            return Err(format!("empty registry: {expected}"));
        }
        if host.contains('/') {
            return Err(format!(
                "registry `{s}`: name the registry only (host[:port]); the repository comes from the image's tag"
            ));
        }
        if ["hub.docker.com", "registry.hub.docker.com"].contains(&host) {
            return Err(format!(
                "`{s}` is Docker Hub's website; its registry is written docker.io"
            ));
        }
        let (name, port) = match host.rsplit_once(':') {
            Some((n, p)) if !n.ends_with(':') && !host.ends_with(']') => (n, Some(p)),
            _ => (host, None),
        };
        let name_ok = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-[]:".contains(c));
        let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|p| p > 0));
        let looks_like_host =
            name == "localhost" || name.contains('.') || name.starts_with('[') || port.is_some();
        if !name_ok || !port_ok || !looks_like_host {
            return Err(format!("invalid registry `{s}`: {expected}"));
        }
        Ok(Registry(t.to_string()))
    }
}

impl fmt::Display for Registry {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}
text_value!(
    Registry,
    "a registry such as docker.io, localhost:5000 or http://10.0.0.5:5000"
);

/// A container name as `docker run --name` accepts it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerName(pub String);

impl std::str::FromStr for ContainerName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().trim_start_matches('/');
        if t.is_empty() {
            return Err("empty container name: expected a name such as pythonapp_nautilus".into());
        }
        let ok_first = t.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        let ok_rest = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !ok_first || !ok_rest {
            return Err(format!(
                "invalid container name `{s}`: docker allows letters, digits, `_`, `.` and `-`, starting with a letter or digit"
            ));
        }
        Ok(ContainerName(t.to_string()))
    }
}

impl fmt::Display for ContainerName {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}
text_value!(ContainerName, "a container name such as pythonapp_nautilus");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Duration::from_secs(5));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("soon").unwrap_err().contains("`soon`"));
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn pass_marks() {
        assert_eq!("80%".parse::<PassMark>().unwrap().threshold(20), 16);
        assert_eq!("16".parse::<PassMark>().unwrap().threshold(20), 16);
        assert_eq!(PassMark::default().threshold(7), 7);
        assert_eq!("55%".parse::<PassMark>().unwrap().threshold(100), 55);
        assert_eq!("56%".parse::<PassMark>().unwrap().threshold(25), 14);
        assert_eq!("7%".parse::<PassMark>().unwrap().threshold(100), 7);
        assert_eq!("50%".parse::<PassMark>().unwrap().threshold(11), 6);
        assert!("120%".parse::<PassMark>().is_err());
    }

    #[test]
    fn image_refs() {
        assert!("a:b:c".parse::<ImageRef>().is_err());
        assert!("localhost:5000/a:b:c".parse::<ImageRef>().is_err());
        let r: ImageRef = "nautilus/python-app".parse().unwrap();
        assert_eq!(r.full(), "nautilus/python-app:latest");
        let r: ImageRef = "localhost:5000/hello:v1".parse().unwrap();
        assert_eq!(
            (r.repository.as_str(), r.tag.as_str()),
            ("localhost:5000/hello", "v1")
        );
        let r: ImageRef = "localhost:5000/hello".parse().unwrap();
        assert_eq!(r.tag, "latest");
        assert!(
            "".parse::<ImageRef>()
                .unwrap_err()
                .contains("empty image name")
        );
        assert!(
            "Hello"
                .parse::<ImageRef>()
                .unwrap_err()
                .contains("lowercase")
        );
    }

    #[test]
    fn statuses_and_methods() {
        assert!("2xx".parse::<StatusSpec>().unwrap().matches(204));
        assert!(!"200".parse::<StatusSpec>().unwrap().matches(404));
        assert!("700".parse::<StatusSpec>().is_err());
        assert_eq!("post".parse::<Method>().unwrap(), Method::Post);
        assert!("FETCH".parse::<Method>().unwrap_err().contains("`FETCH`"));
        assert!(
            "a(".parse::<Pattern>()
                .unwrap_err()
                .contains("invalid regex `a(`")
        );
        assert!("bad name".parse::<ContainerName>().is_err());
    }

    #[test]
    fn image_patterns() {
        let p: ImagePattern = "*/flask-echo-headers-server".parse().unwrap();
        assert_eq!(p.tag, None);
        assert!(p.matches("kinjal2209/flask-echo-headers-server:latest"));
        assert!(p.matches("localhost:5000/ann/flask-echo-headers-server:v2"));
        assert!(!p.matches("flask-echo-headers-server:latest"));
        assert!(!p.matches("a/b/flask-echo-headers-server:latest"));
        assert_eq!(
            p.example("<your-user>"),
            "<your-user>/flask-echo-headers-server"
        );

        let p: ImagePattern = "python:3.*-slim".parse().unwrap();
        assert_eq!(
            (p.repository.as_str(), p.tag.as_deref()),
            ("python", Some("3.*-slim"))
        );
        assert!(p.matches("python:3.10-slim"));
        assert!(p.matches("docker.io/library/python:3.12-slim"));
        assert!(!p.matches("python:3.12"));
        assert!(!p.matches("python:latest"));

        let p: ImagePattern = "localhost:5000/*/app".parse().unwrap();
        assert!(p.matches("localhost:5000/ann/app:latest"));
        assert!(!p.matches("ann/app:latest"));
        let p: ImagePattern = "docker.io/*/app:latest".parse().unwrap();
        assert!(p.matches("ann/app"));
        assert!(!p.matches("localhost:5000/ann/app:latest"));

        assert_eq!(split_tag("python"), (None, "python", "latest"));
        assert_eq!(
            split_tag("localhost:5000/ann/app:v1"),
            (Some("localhost:5000"), "ann/app", "v1")
        );
        assert!("Python:3".parse::<ImagePattern>().is_err());
        assert_eq!(
            "*@sha256:x".parse::<ImagePattern>().unwrap_err(),
            "image `*@sha256:x`: digests (@sha256:...) are not supported, name the image by tag"
        );
        assert!(
            "index.docker.io/*/app"
                .parse::<ImagePattern>()
                .unwrap()
                .matches("ann/app")
        );
        assert!(
            !"index.docker.io/*/app"
                .parse::<ImagePattern>()
                .unwrap()
                .matches("localhost:5000/ann/app")
        );
        assert_eq!(
            split_tag("localhost:5000/library/app:v1"),
            (Some("localhost:5000"), "library/app", "v1")
        );
        for ok in [
            "docker.io",
            "localhost:5000",
            "registry.example.edu",
            "http://10.0.0.5:5000/",
            "[::1]:5000",
        ] {
            assert!(ok.parse::<Registry>().is_ok(), "{ok}");
        }
        for bad in [
            "docker hub",
            "hub.docker.com",
            "localhost:5000/ann/app",
            "myregistry",
            "localhost:0",
            "",
        ] {
            assert!(bad.parse::<Registry>().is_err(), "{bad}");
        }
        // Many stars against a long name: no backtracking blow-up.
        let p: ImagePattern = "x:*a*a*a*a*a*a*b".parse().unwrap();
        assert!(!p.matches(&format!("x:{}", "a".repeat(100_000))));
        assert!(p.matches(&format!("x:{}b", "a".repeat(1000))));
    }
}

/// When Gradescope shows a test, or the whole result, to students (its `visibility`).
/// A check that is not `visible` is an instructor-only check in every other format too.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Always shown.
    Visible,
    /// Never shown to students.
    Hidden,
    /// Shown once the assignment's due date has passed.
    AfterDueDate,
    /// Shown once the instructor publishes the grades.
    AfterPublished,
}

impl Visibility {
    /// The value as Gradescope writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Visible => "visible",
            Visibility::Hidden => "hidden",
            Visibility::AfterDueDate => "after_due_date",
            Visibility::AfterPublished => "after_published",
        }
    }
}
