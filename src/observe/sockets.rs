//! Reads the TCP sockets listening inside a container, from the host, through the
//! container's PID: `/proc/PID/net/tcp` shows the network namespace that process lives
//! in. This works for any image, scratch images without a shell included, as long as the
//! daemon is on this machine and we may read that process's `/proc` entry.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::facts::Listener;

/// Where Docker's embedded DNS server listens inside containers on user-defined networks.
const DOCKER_DNS: &str = "127.0.0.11";

/// TCP state number of LISTEN in `/proc/net/tcp`.
const LISTEN: &str = "0A";

/// Listening sockets of the process `pid`'s network namespace, or `None` if unreadable.
pub(crate) fn listening(pid: i64) -> Option<Vec<Listener>> {
    let v4 = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")).ok()?;
    let v6 = std::fs::read_to_string(format!("/proc/{pid}/net/tcp6")).unwrap_or_default();
    Some(tables(&v4, &v6))
}

/// How the socket tables are read inside a container when its PID is not visible here
/// (Docker Desktop's VM, rootless Docker, a remote engine, Podman machine): programs
/// most images have, tried in turn. An image with none of them (`FROM scratch`) leaves
/// the log as the only evidence.
const READERS: [&[&str]; 3] = [
    &["cat", "/proc/net/tcp", "/proc/net/tcp6"],
    &[
        "python3",
        "-c",
        "import sys\nfor f in ('/proc/net/tcp', '/proc/net/tcp6'):\n    try: sys.stdout.write(open(f).read())\n    except OSError: pass",
    ],
    &["busybox", "cat", "/proc/net/tcp", "/proc/net/tcp6"],
];

/// Listening sockets read inside the running container through the engine's API
/// (`docker exec cat /proc/net/tcp`), and the command that read them. The reader that
/// worked is tried first next time; a container where none did is not asked again unless
/// `again` (the final read for the report, after the readiness wait's quick ones).
pub(crate) async fn listening_via_exec(
    daemon: &super::Daemon,
    container: &str,
    again: bool,
) -> Option<(Vec<Listener>, String)> {
    let known = daemon
        .table_readers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(container)
        .copied();
    // The reader that worked before, or none when none did; else each in turn.
    let order: Vec<usize> = match known {
        Some(Some(i)) => vec![i],
        Some(None) if !again => return None,
        _ => (0..READERS.len()).collect(),
    };
    let mut worked = None;
    let mut found = None;
    for i in order {
        let cmd = READERS[i];
        if let Some(text) = daemon
            .exec_output(
                container,
                cmd,
                std::time::Duration::from_secs(2),
                512 * 1024,
            )
            .await
        {
            // Both tables arrive as one text; the second's header line parses as no socket.
            worked = Some(i);
            found = Some((
                tables(&text, ""),
                format!("docker exec {container} {}", cmd[0]),
            ));
            break;
        }
    }
    daemon
        .table_readers
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(container.to_string(), worked);
    found
}

/// The listening sockets of a v4 and a v6 table, without Docker's DNS server.
fn tables(v4: &str, v6: &str) -> Vec<Listener> {
    let mut out = parse_proc_net_tcp(v4);
    out.extend(parse_proc_net_tcp(v6));
    // Docker's embedded DNS server listens on 127.0.0.11 in every container on a
    // user-defined network (compose's included): it is not the app.
    out.retain(|l| l.ip != DOCKER_DNS);
    out.sort_by(|a, b| (a.port, &a.ip).cmp(&(b.port, &b.ip)));
    out.dedup();
    out
}

/// Parses the text of `/proc/net/tcp` or `/proc/net/tcp6` into its listening sockets.
pub(crate) fn parse_proc_net_tcp(text: &str) -> Vec<Listener> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split_whitespace();
            let local = cols.nth(1)?;
            let state = cols.nth(1)?;
            if state != LISTEN {
                return None;
            }
            let (addr, port) = local.split_once(':')?;
            let port = u16::from_str_radix(port, 16).ok()?;
            let ip = match addr.len() {
                8 => Ipv4Addr::from(u32::from_str_radix(addr, 16).ok()?.swap_bytes()).to_string(),
                32 => {
                    // Four 32-bit words, each in the kernel's (little-endian) byte order.
                    let mut bytes = [0u8; 16];
                    for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                        let word = u32::from_str_radix(&addr[i * 8..i * 8 + 8], 16).ok()?;
                        chunk.copy_from_slice(&word.swap_bytes().to_be_bytes());
                    }
                    let v6 = Ipv6Addr::from(bytes);
                    match v6.to_ipv4_mapped() {
                        Some(v4) => v4.to_string(),
                        None => v6.to_string(),
                    }
                }
                _ => return None,
            };
            Some(Listener { ip, port })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Recorded from a container running `busybox httpd -p 127.0.0.1:8088` and a Flask app on 0.0.0.0:8080.
    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F98 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40951 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 40952 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F98 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 40953 1 0000000000000000 100 0 0 10 0
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn reads_listeners() {
        let l = parse_proc_net_tcp(TCP);
        assert_eq!(
            l,
            vec![
                Listener {
                    ip: "127.0.0.1".into(),
                    port: 8088
                },
                Listener {
                    ip: "0.0.0.0".into(),
                    port: 8080
                }
            ]
        );
        assert!(l[0].is_loopback() && !l[1].is_loopback());
        let l6 = parse_proc_net_tcp(TCP6);
        assert_eq!(
            l6,
            vec![
                Listener {
                    ip: "::1".into(),
                    port: 8000
                },
                Listener {
                    ip: "::".into(),
                    port: 80
                }
            ]
        );
        assert!(l6[0].is_loopback());
    }

    #[test]
    fn reads_our_own_namespace() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let all = listening(std::process::id() as i64).unwrap();
        assert!(
            all.contains(&Listener {
                ip: "127.0.0.1".into(),
                port
            }),
            "{all:?}"
        );
    }
}
