//! Port mappings written the way `docker run -p` takes them: `8097:8088`,
//! `127.0.0.1:8097:8088`, `8097:8088/udp`.

use std::fmt;
use std::net::IpAddr;

use serde::Deserialize;

/// Transport protocol of a published port.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Sctp => "sctp",
        })
    }
}

/// One `-p` mapping the lab asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    /// Host address the port must be bound to; `None` means any address.
    pub host_ip: Option<IpAddr>,
    pub host_port: u16,
    pub container_port: u16,
    pub proto: Proto,
}

impl PortMapping {
    /// The text of the `-p` flag that creates this mapping.
    pub fn flag(&self) -> String {
        let proto = if self.proto == Proto::Tcp {
            String::new()
        } else {
            format!("/{}", self.proto)
        };
        match self.host_ip {
            Some(ip) => format!("{ip}:{}:{}{proto}", self.host_port, self.container_port),
            None => format!("{}:{}{proto}", self.host_port, self.container_port),
        }
    }
}

fn port_number(part: &str, whole: &str) -> Result<u16, String> {
    if part.contains('-') {
        return Err(format!(
            "port range `{part}` in `{whole}` is not supported: list each port"
        ));
    }
    match part.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => Err(format!(
            "port {n} in `{whole}` is out of range: ports go from 1 to 65535"
        )),
        Err(_) => Err(format!(
            "invalid port `{part}` in `{whole}`: expected a number from 1 to 65535"
        )),
    }
}

/// Why a mapping without a `:` is wrong, with a suggestion that parses: two numbers with
/// something else between them (`8097-8088`, `8097 8088`, `8097->8088`) were meant as
/// HOST:CONTAINER; one number as the same port on both sides.
fn one_part(s: &str, body: &str) -> String {
    let numbers: Vec<&str> = body
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .collect();
    let valid = |n: &str| n.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
    match numbers.as_slice() {
        [one] if valid(one) && *one == body => format!(
            "port mapping `{s}` names only one port: write HOST:CONTAINER, such as {one}:{one}"
        ),
        [host, inner] if valid(host) && valid(inner) => format!(
            "port mapping `{s}` has no `:` between its ports: write HOST:CONTAINER, such as {host}:{inner}"
        ),
        _ => format!("invalid port mapping `{s}`: expected HOST:CONTAINER such as 8097:8088"),
    }
}

impl std::str::FromStr for PortMapping {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let (body, proto) = match t.rsplit_once('/') {
            Some((b, "tcp")) => (b, Proto::Tcp),
            Some((b, "udp")) => (b, Proto::Udp),
            Some((b, "sctp")) => (b, Proto::Sctp),
            Some((_, p)) => {
                return Err(format!(
                    "unknown protocol `{p}` in `{s}`: expected tcp, udp or sctp"
                ));
            }
            None => (t, Proto::Tcp),
        };
        // `[::1]:8097:8088` or `127.0.0.1:8097:8088` or `8097:8088`.
        let (ip, rest) = if let Some(r) = body.strip_prefix('[') {
            let (ip, rest) = r.split_once("]:").ok_or_else(|| {
                format!("invalid port mapping `{s}`: expected [IPv6]:HOST:CONTAINER")
            })?;
            (Some(ip), rest)
        } else {
            match body.matches(':').count() {
                2 => {
                    let (ip, rest) = body.split_once(':').unwrap_or_default();
                    (Some(ip), rest)
                }
                1 => (None, body),
                0 => return Err(one_part(s, body)),
                _ => {
                    return Err(format!(
                        "invalid port mapping `{s}`: expected HOST:CONTAINER such as 8097:8088"
                    ));
                }
            }
        };
        let host_ip = match ip {
            Some(ip) => Some(ip.parse::<IpAddr>().map_err(|_| {
                format!("invalid host address `{ip}` in `{s}`: expected an IP such as 127.0.0.1")
            })?),
            None => None,
        };
        let (h, c) = rest.split_once(':').unwrap_or((rest, ""));
        Ok(PortMapping {
            host_ip,
            host_port: port_number(h, s)?,
            container_port: port_number(c, s)?,
            proto,
        })
    }
}

impl fmt::Display for PortMapping {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.flag())
    }
}

impl<'de> Deserialize<'de> for PortMapping {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::values::from_text(d, "a port mapping such as \"8097:8088\"", |s| s.parse())
    }
}

super::values::text_schema!(
    PortMapping,
    "a port mapping as docker run -p takes it: \"8097:8088\", \"127.0.0.1:8097:8088\", \"53:53/udp\""
);

impl serde::Serialize for PortMapping {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_docker_forms() {
        let p: PortMapping = "8097:8088".parse().unwrap();
        assert_eq!(
            (p.host_port, p.container_port, p.proto, p.host_ip),
            (8097, 8088, Proto::Tcp, None)
        );
        let p: PortMapping = "127.0.0.1:8097:8088".parse().unwrap();
        assert_eq!(p.host_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(p.flag(), "127.0.0.1:8097:8088");
        let p: PortMapping = "53:53/udp".parse().unwrap();
        assert_eq!(p.proto, Proto::Udp);
        assert_eq!(p.to_string(), "53:53/udp");
        let p: PortMapping = "[::1]:80:8080".parse().unwrap();
        assert_eq!(p.host_ip, Some("::1".parse().unwrap()));
    }

    #[test]
    fn rejects_with_the_value() {
        assert_eq!(
            "80a:80".parse::<PortMapping>().unwrap_err(),
            "invalid port `80a` in `80a:80`: expected a number from 1 to 65535"
        );
        assert!(
            "70000:80"
                .parse::<PortMapping>()
                .unwrap_err()
                .contains("port 70000")
        );
        assert!(
            "8080"
                .parse::<PortMapping>()
                .unwrap_err()
                .contains("8080:8080")
        );
        assert!("1:2:3:4".parse::<PortMapping>().is_err());
        assert!(
            "80:80/icmp"
                .parse::<PortMapping>()
                .unwrap_err()
                .contains("`icmp`")
        );
        assert!("0:80".parse::<PortMapping>().is_err());
        assert!(
            "8000-8010:8000-8010"
                .parse::<PortMapping>()
                .unwrap_err()
                .contains("range")
        );
        assert!(
            "localhost:80:80"
                .parse::<PortMapping>()
                .unwrap_err()
                .contains("`localhost`")
        );
    }

    #[test]
    fn a_mapping_without_a_colon_gets_a_suggestion_that_parses() {
        for (written, suggested) in [
            ("8097-8088", "8097:8088"),
            ("8097 8088", "8097:8088"),
            ("8097->8088", "8097:8088"),
            ("8097=8088", "8097:8088"),
            ("8080", "8080:8080"),
        ] {
            let e = written.parse::<PortMapping>().unwrap_err();
            assert!(
                e.ends_with(&format!("such as {suggested}")),
                "{written}: {e}"
            );
            assert!(suggested.parse::<PortMapping>().is_ok());
        }
        let e = "web".parse::<PortMapping>().unwrap_err();
        assert!(e.contains("such as 8097:8088"), "{e}");
    }
}
