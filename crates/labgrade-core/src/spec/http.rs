//! HTTP expectations: which request to send and what the answer must look like.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::values::{Method, Pattern, Span, StatusSpec, Visibility};

/// Where a probe goes: a path on the lab's published port, or a full URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Path(String),
    Url(String),
}

/// A step in a JSON path such as `$.headers.Host` or `items[0].name`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum JsonStep {
    Key(String),
    Index(usize),
}

/// A parsed JSON path, kept with its source text for messages.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JsonPath {
    pub text: String,
    pub steps: Vec<JsonStep>,
}

impl JsonPath {
    /// Looks the path up in a JSON document.
    pub fn lookup<'a>(&self, mut v: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        for step in &self.steps {
            v = match step {
                JsonStep::Key(k) => v.as_object()?.get(k)?,
                JsonStep::Index(i) => v.as_array()?.get(*i)?,
            };
        }
        Some(v)
    }
}

impl std::str::FromStr for JsonPath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "invalid JSON path `{s}`: {why}; write it like status or $.headers.Host or items[0].id"
            )
        };
        let body = s.trim();
        let body = body
            .strip_prefix('$')
            .map(|b| b.strip_prefix('.').unwrap_or(b))
            .unwrap_or(body);
        let mut steps = Vec::new();
        let mut chars = body.chars().peekable();
        let mut key = String::new();
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    if key.is_empty() && !matches!(steps.last(), Some(JsonStep::Index(_))) {
                        return Err(bad("empty key"));
                    }
                    if !key.is_empty() {
                        steps.push(JsonStep::Key(std::mem::take(&mut key)));
                    }
                }
                '[' => {
                    if !key.is_empty() {
                        steps.push(JsonStep::Key(std::mem::take(&mut key)));
                    }
                    let mut inner = String::new();
                    let mut closed = false;
                    let mut quote: Option<char> = None;
                    for c in chars.by_ref() {
                        match (c, quote) {
                            ('\'' | '"', None) if inner.is_empty() => quote = Some(c),
                            (c, Some(q)) if c == q => quote = None,
                            (']', None) => {
                                closed = true;
                                break;
                            }
                            _ => {}
                        }
                        inner.push(c);
                    }
                    if !closed {
                        return Err(bad("a `[` has no closing `]`"));
                    }
                    let quoted = inner
                        .strip_prefix('\'')
                        .and_then(|i| i.strip_suffix('\''))
                        .or_else(|| inner.strip_prefix('"').and_then(|i| i.strip_suffix('"')));
                    match quoted {
                        Some(k) => steps.push(JsonStep::Key(k.to_string())),
                        None => steps.push(JsonStep::Index(
                            inner
                                .trim()
                                .parse()
                                .map_err(|_| bad("an index must be a number"))?,
                        )),
                    }
                }
                ']' => return Err(bad("a `]` has no opening `[`")),
                c => key.push(c),
            }
        }
        if !key.is_empty() {
            steps.push(JsonStep::Key(key));
        }
        if steps.is_empty() {
            return Err(bad("it names no field"));
        }
        Ok(JsonPath {
            text: s.to_string(),
            steps,
        })
    }
}

impl<'de> Deserialize<'de> for JsonPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::values::from_text(d, "a JSON path such as $.status", |s| s.parse())
    }
}

super::values::text_schema!(
    JsonPath,
    "a JSON path such as status, $.headers.Host or items[0].id"
);

impl Serialize for JsonPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// Reads a host port, 1 to 65535, with the same message as a port mapping.
fn host_port<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    super::values::from_text(d, "a port number such as 8097", |s| {
        match s.trim().parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(Some(n as u16)),
            Ok(n) => Err(format!(
                "port {n} is out of range: ports go from 1 to 65535"
            )),
            Err(_) => Err(format!(
                "invalid port `{s}`: expected a number from 1 to 65535"
            )),
        }
    })
}

/// The schema of `port:`, which takes a number or its text, like a port mapping does.
fn port_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "Host port for a path (default: the container's first tcp mapping).",
        "type": ["integer", "string", "null"],
        "minimum": 1,
        "maximum": 65535
    })
}

/// Reads one string or a list of strings.
pub(super) fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_string()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V)
}

/// One string or a list of strings (for the schema only).
#[allow(dead_code)]
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
pub(super) enum StringOrList {
    One(String),
    Many(Vec<String>),
}

/// An HTTP expectation as written: one request and what its answer must hold.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HttpExpect")]
struct RawHttp {
    /// Stable id of this check (default `http:CONTAINER:METHOD PATH`).
    id: Option<String>,
    /// Title shown in reports.
    title: Option<String>,
    /// GET this path (`/x`) or full URL.
    get: Option<String>,
    /// HEAD this path or URL.
    head: Option<String>,
    /// POST to this path or URL.
    post: Option<String>,
    /// PUT to this path or URL.
    put: Option<String>,
    /// PATCH this path or URL.
    patch: Option<String>,
    /// DELETE this path or URL.
    delete: Option<String>,
    /// OPTIONS on this path or URL.
    options: Option<String>,
    /// Method, with `path:` or `url:`.
    method: Option<Method>,
    /// Path on the container's published port.
    path: Option<String>,
    /// Full http:// or https:// URL.
    url: Option<String>,
    /// Host port for a path (default: the container's first tcp mapping).
    #[serde(default, deserialize_with = "host_port")]
    #[schemars(schema_with = "port_schema")]
    port: Option<u16>,
    /// Request headers.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Request body.
    body: Option<String>,
    /// Expected status: a code such as 200 or a class such as 2xx (default 2xx).
    #[serde(default)]
    status: StatusSpec,
    /// The whole body (trailing whitespace ignored).
    body_equals: Option<String>,
    /// Text (or texts) the body must contain.
    #[serde(default, deserialize_with = "one_or_many")]
    #[schemars(with = "Option<StringOrList>")]
    body_contains: Vec<String>,
    /// A regular expression the body must match.
    body_regex: Option<Pattern>,
    /// What `body_regex` stands for, in words (such as `a numeric latency`): reports say
    /// "body does not show a numeric latency" instead of quoting the expression to a
    /// student.
    body_regex_means: Option<String>,
    /// JSON path to expected value.
    #[serde(default)]
    json: BTreeMap<JsonPath, serde_json::Value>,
    /// Header name to a value it must contain (case-insensitive).
    #[serde(default)]
    response_headers: BTreeMap<String, String>,
    /// Time for this request, body included, such as 2s.
    timeout: Option<Span>,
    /// Points for this check.
    #[schemars(range(max = 10000))]
    points: Option<u32>,
    /// Instructor-only: students see that the check exists, not what it tests.
    #[serde(default)]
    hidden: bool,
    /// Gradescope: when students see this check (`visible`, `hidden`, `after_due_date`,
    /// `after_published`); anything but `visible` makes it instructor-only elsewhere.
    visibility: Option<Visibility>,
    /// The answer is a stream that may never end (server-sent events, a log tail): judge
    /// its first MiB. Without it, an answer that does not end there fails, as `curl`
    /// would never return.
    #[serde(default)]
    stream: bool,
}

impl schemars::JsonSchema for HttpExpect {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        RawHttp::schema_name()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        RawHttp::json_schema(generator)
    }
}

/// What one HTTP request must get back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpExpect {
    pub id: Option<String>,
    pub title: Option<String>,
    pub method: Method,
    pub target: Target,
    /// Host port to send the request to when the target is a path.
    pub port: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub status: StatusSpec,
    pub body_equals: Option<String>,
    pub body_contains: Vec<String>,
    pub body_regex: Option<Pattern>,
    /// What `body_regex` stands for, in words.
    pub body_regex_means: Option<String>,
    pub json: Vec<(JsonPath, serde_json::Value)>,
    pub response_headers: Vec<(String, String)>,
    #[serde(with = "opt_millis")]
    pub timeout: Option<Duration>,
    pub points: Option<u32>,
    /// Instructor-only: students see that the check exists, not what it tests.
    pub hidden: bool,
    /// Gradescope: when students see this check, if the spec says.
    pub visibility: Option<Visibility>,
    /// An answer that never ends is allowed (its first MiB is judged).
    pub stream: bool,
    /// The per-run value put where the spec wrote `{{random}}`, once it is.
    pub random: Option<String>,
}

mod opt_millis {
    pub fn serialize<S: serde::Serializer>(
        d: &Option<std::time::Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_u128(d.as_millis()),
            None => s.serialize_none(),
        }
    }
}

impl HttpExpect {
    /// A plain `GET path` that expects any 2xx answer.
    pub fn get(path: &str) -> HttpExpect {
        HttpExpect {
            id: None,
            title: None,
            method: Method::Get,
            target: Target::Path(path.to_string()),
            port: None,
            headers: Vec::new(),
            body: None,
            status: StatusSpec::default(),
            body_equals: None,
            body_contains: Vec::new(),
            body_regex: None,
            body_regex_means: None,
            json: Vec::new(),
            response_headers: Vec::new(),
            timeout: None,
            points: None,
            hidden: false,
            visibility: None,
            stream: false,
            random: None,
        }
    }

    /// Puts the per-run value where the spec wrote `placeholder`, in the request and the
    /// expectations alike, and remembers it when it was written anywhere.
    pub fn randomise(&mut self, placeholder: &str, value: &str) {
        let before = self.clone();
        self.substitute(placeholder, value);
        if *self != before {
            self.random = Some(value.to_string());
        }
    }

    /// Whether what the answer must hold mentions `text`.
    pub fn expects(&self, text: &str) -> bool {
        self.body_equals
            .iter()
            .chain(&self.body_contains)
            .any(|s| s.contains(text))
            || self
                .body_regex
                .as_ref()
                .is_some_and(|p| p.0.as_str().contains(text))
            || self.json.iter().any(|(_, v)| v.to_string().contains(text))
    }

    /// Replaces `from` with `to` in everything the request sends and the answer must hold:
    /// how a per-run value (`{{random}}`) reaches the probe and the verdict alike.
    fn substitute(&mut self, from: &str, to: &str) {
        fn json(v: &mut serde_json::Value, from: &str, to: &str) {
            match v {
                serde_json::Value::String(s) => *s = s.replace(from, to),
                serde_json::Value::Array(a) => a.iter_mut().for_each(|v| json(v, from, to)),
                serde_json::Value::Object(o) => o.values_mut().for_each(|v| json(v, from, to)),
                _ => {}
            }
        }
        let texts = [
            match &mut self.target {
                Target::Path(p) | Target::Url(p) => Some(p),
            },
            self.body.as_mut(),
            self.body_equals.as_mut(),
        ];
        texts
            .into_iter()
            .flatten()
            .chain(&mut self.body_contains)
            .chain(self.headers.iter_mut().map(|(_, v)| v))
            .chain(self.response_headers.iter_mut().map(|(_, v)| v))
            .for_each(|s| *s = s.replace(from, to));
        self.json.iter_mut().for_each(|(_, v)| json(v, from, to));
        if let Some(p) = &mut self.body_regex
            && p.0.as_str().contains(&regex::escape(from))
            && let Ok(r) = regex::Regex::new(
                &p.0.as_str()
                    .replace(&regex::escape(from), &regex::escape(to)),
            )
        {
            p.0 = r;
        }
    }

    /// `GET /` or `GET http://host/x`, for titles and messages.
    pub fn request_line(&self) -> String {
        match &self.target {
            Target::Path(p) | Target::Url(p) => format!("{} {p}", self.method),
        }
    }
}

impl TryFrom<RawHttp> for HttpExpect {
    type Error = String;
    fn try_from(r: RawHttp) -> Result<Self, String> {
        let shorthands = [
            (Method::Get, r.get),
            (Method::Head, r.head),
            (Method::Post, r.post),
            (Method::Put, r.put),
            (Method::Patch, r.patch),
            (Method::Delete, r.delete),
            (Method::Options, r.options),
        ];
        let mut given: Vec<(Method, String)> = shorthands
            .into_iter()
            .filter_map(|(m, v)| v.map(|v| (m, v)))
            .collect();
        if given.len() > 1 {
            return Err(format!(
                "an http check has both `{}` and `{}`: write one request per check",
                given[0].0.as_str().to_lowercase(),
                given[1].0.as_str().to_lowercase()
            ));
        }
        let (method, where_) = match (given.pop(), r.path, r.url) {
            (Some((m, w)), None, None) => {
                if let Some(explicit) = r.method {
                    return Err(format!(
                        "an http check has both `method: {explicit}` and `{}:`: use one",
                        m.as_str().to_lowercase()
                    ));
                }
                (m, w)
            }
            (None, Some(p), None) => (r.method.unwrap_or(Method::Get), p),
            (None, None, Some(u)) => (r.method.unwrap_or(Method::Get), u),
            (None, None, None) => {
                return Err(
                    "an http check needs a request: write `get: /path` (or `path:` or `url:`)"
                        .into(),
                );
            }
            _ => return Err(
                "an http check names its request twice: use only one of get/post/..., path or url"
                    .into(),
            ),
        };
        let target = if where_.starts_with("http://") || where_.starts_with("https://") {
            let parsed =
                url::Url::parse(&where_).map_err(|e| format!("invalid url `{where_}`: {e}"))?;
            if parsed.host_str().is_none() {
                return Err(format!("invalid url `{where_}`: it names no host"));
            }
            Target::Url(where_)
        } else if where_.starts_with('/') {
            if where_
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '#')
            {
                return Err(format!(
                    "invalid path `{where_}`: paths cannot contain spaces; write %20"
                ));
            }
            Target::Path(where_)
        } else if where_.contains("://") {
            return Err(format!(
                "unsupported url `{where_}`: only http:// and https:// can be probed"
            ));
        } else {
            return Err(format!(
                "invalid path `{where_}`: a path starts with `/`, such as /{where_}"
            ));
        };
        if r.timeout.is_some_and(|t| t.0 < Duration::from_millis(10)) {
            return Err("a probe `timeout` must be at least 10ms".into());
        }
        if r.hidden && r.visibility == Some(Visibility::Visible) {
            return Err(
                "`hidden: true` and `visibility: visible` contradict each other: keep one".into(),
            );
        }
        if let Some(id) = &r.id
            && (id.trim().is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(format!(
                "invalid check id `{id}`: use letters, digits, `-`, `_`, `.` or `/` without spaces"
            ));
        }
        for name in r.headers.keys().chain(r.response_headers.keys()) {
            if http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(format!("invalid header name `{name}`"));
            }
        }
        for (name, value) in &r.headers {
            if http::HeaderValue::from_str(value).is_err() {
                return Err(format!(
                    "invalid value for header `{name}`: `{value}` has characters a header cannot carry"
                ));
            }
        }
        Ok(HttpExpect {
            id: r.id,
            title: r.title,
            method,
            target,
            port: r.port,
            headers: r.headers.into_iter().collect(),
            body: r.body,
            status: r.status,
            body_equals: r.body_equals,
            body_contains: r.body_contains,
            body_regex: r.body_regex,
            body_regex_means: r.body_regex_means,
            json: r.json.into_iter().collect(),
            response_headers: r.response_headers.into_iter().collect(),
            timeout: r.timeout.map(|s| s.0),
            points: r.points,
            hidden: r.hidden || r.visibility.is_some_and(|v| v != Visibility::Visible),
            visibility: r.visibility.or(r.hidden.then_some(Visibility::Hidden)),
            stream: r.stream,
            random: None,
        })
    }
}

impl<'de> Deserialize<'de> for HttpExpect {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawHttp::deserialize(d)?;
        HttpExpect::try_from(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths() {
        assert!("a[0".parse::<JsonPath>().is_err());
        assert!("b]c".parse::<JsonPath>().is_err());
        let p: JsonPath = "h['a]b']".parse().unwrap();
        assert_eq!(p.steps[1], JsonStep::Key("a]b".into()));
        let doc: serde_json::Value =
            serde_json::json!({"headers": {"Host": "x", "User-Agent": "u"}, "items": [{"id": 7}]});
        let p: JsonPath = "$.headers.Host".parse().unwrap();
        assert_eq!(p.lookup(&doc), Some(&serde_json::json!("x")));
        let p: JsonPath = "headers['User-Agent']".parse().unwrap();
        assert_eq!(p.lookup(&doc), Some(&serde_json::json!("u")));
        let p: JsonPath = "items[0].id".parse().unwrap();
        assert_eq!(p.lookup(&doc), Some(&serde_json::json!(7)));
        let p: JsonPath = "items[3]".parse().unwrap();
        assert_eq!(p.lookup(&doc), None);
        assert!("$".parse::<JsonPath>().is_err());
        assert!("a..b".parse::<JsonPath>().is_err());
        assert!("a[x]".parse::<JsonPath>().is_err());
    }
}
