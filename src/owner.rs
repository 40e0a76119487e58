//! Which process made a container, network or image, and whether that process still
//! lives: a grading run (and a one-shot run of `check`) writes its host, pid and process
//! identity into the labels of everything it creates and into its output folder's
//! `run.json`, so that `labgrade clean` and `--resume` remove only what a run that ended
//! left, and never what a run in progress is using.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// Label: the host name of the machine the owning labgrade runs on.
pub const HOST: &str = "io.labgrade.owner.host";
/// Label: the owning labgrade's process id (on that host, in its PID namespace).
pub const PID: &str = "io.labgrade.owner.pid";
/// Label: which process that pid was: `<boot id>/<pid namespace>/<start time in ticks>`,
/// so a pid reused after a reboot or by another program does not pass for the owner.
pub const PROCESS: &str = "io.labgrade.owner.process";
/// Label: when the owner started, in seconds since the Unix epoch (for people reading it).
pub const STARTED: &str = "io.labgrade.owner.started";

/// The process that owns what a run created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub host: String,
    pub pid: u32,
    /// `<boot id>/<pid namespace>/<start ticks>` (see [`PROCESS`]).
    pub process: String,
    /// Seconds since the Unix epoch.
    pub started: u64,
}

/// Whether an owner still runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    Alive,
    /// It has ended; the text says how that is known.
    Dead(String),
    /// It cannot be told from here; the text says why.
    Unknown(String),
}

/// What this machine and process are, as [`Owner`] records them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Here {
    pub host: String,
    pub boot: String,
    pub pid_ns: String,
}

fn read_trimmed(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

impl Here {
    /// This machine and PID namespace.
    pub fn now() -> Here {
        Here {
            host: read_trimmed("/proc/sys/kernel/hostname"),
            boot: read_trimmed("/proc/sys/kernel/random/boot_id"),
            pid_ns: std::fs::read_link("/proc/self/ns/pid")
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
        }
    }
}

/// The start time (clock ticks after boot) of a process, from `/proc/PID/stat`.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after its end.
    let rest = &stat[stat.rfind(')')? + 1..];
    // Field 22 of the line is the start time; `rest` begins with field 3.
    rest.split_whitespace().nth(19)?.parse().ok()
}

impl Owner {
    /// This process.
    pub fn me() -> Owner {
        let here = Here::now();
        let pid = std::process::id();
        let started = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Owner {
            process: format!(
                "{}/{}/{}",
                here.boot,
                here.pid_ns,
                start_ticks(pid).unwrap_or(0)
            ),
            host: here.host,
            pid,
            started,
        }
    }

    /// The labels that record it.
    pub fn labels(&self) -> Vec<(String, String)> {
        vec![
            (HOST.into(), self.host.clone()),
            (PID.into(), self.pid.to_string()),
            (PROCESS.into(), self.process.clone()),
            (STARTED.into(), self.started.to_string()),
        ]
    }

    /// The owner recorded in an object's labels, if they record one.
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Owner> {
        Some(Owner {
            host: labels.get(HOST)?.clone(),
            pid: labels.get(PID)?.parse().ok()?,
            process: labels.get(PROCESS)?.clone(),
            started: labels
                .get(STARTED)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        })
    }

    /// Whether it still runs, looked up in this machine's process table.
    pub fn liveness(&self) -> Liveness {
        let ticks = start_ticks(self.pid);
        self.judge(&Here::now(), ticks)
    }

    /// Whether it still runs, given this machine and the start time (ticks) of the
    /// process that now has its pid here, if any.
    pub fn judge(&self, here: &Here, ticks_now: Option<u64>) -> Liveness {
        let mut parts = self.process.splitn(3, '/');
        let (boot, ns, ticks) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
        );
        if self.host != here.host || here.host.is_empty() {
            return Liveness::Unknown(format!(
                "it belongs to labgrade pid {} on host {}, whose processes this machine cannot see",
                self.pid, self.host
            ));
        }
        if !boot.is_empty() && boot != here.boot {
            return Liveness::Dead(format!(
                "host {} has restarted since its labgrade (pid {}) began",
                self.host, self.pid
            ));
        }
        if ns != here.pid_ns || ns.is_empty() {
            return Liveness::Unknown(format!(
                "it belongs to labgrade pid {} in another PID namespace (a container or sandbox) on this host",
                self.pid
            ));
        }
        match ticks_now {
            None => Liveness::Dead(format!("its labgrade (pid {}) has ended", self.pid)),
            Some(t) if t.to_string() != ticks => Liveness::Dead(format!(
                "its labgrade (pid {}) has ended; another program has that pid now",
                self.pid
            )),
            Some(_) => Liveness::Alive,
        }
    }

    /// "pid N on host H, started T" for messages.
    pub fn describe(&self) -> String {
        format!(
            "labgrade pid {} on host {}, started {}",
            self.pid,
            self.host,
            utc(self.started)
        )
    }
}

/// A Unix time as `YYYY-MM-DD HH:MM:SS UTC`.
fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let s = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner {
        Owner {
            host: "grader".into(),
            pid: 4242,
            process: "boot-1/pid:[4026531836]/1234".into(),
            started: 1_764_600_000,
        }
    }

    fn here() -> Here {
        Here {
            host: "grader".into(),
            boot: "boot-1".into(),
            pid_ns: "pid:[4026531836]".into(),
        }
    }

    #[test]
    fn a_run_is_alive_only_while_its_very_process_runs() {
        let o = owner();
        assert_eq!(o.judge(&here(), Some(1234)), Liveness::Alive);
        assert!(matches!(o.judge(&here(), None), Liveness::Dead(_)));
        // The pid was reused by another program.
        assert!(
            matches!(o.judge(&here(), Some(99)), Liveness::Dead(w) if w.contains("another program"))
        );
        // The machine restarted: every pid is new.
        let rebooted = Here {
            boot: "boot-2".into(),
            ..here()
        };
        assert!(matches!(o.judge(&rebooted, Some(1234)), Liveness::Dead(_)));
        // Another machine, or another PID namespace: cannot be told, so never "dead".
        let elsewhere = Here {
            host: "laptop".into(),
            ..here()
        };
        assert!(matches!(o.judge(&elsewhere, None), Liveness::Unknown(_)));
        let sandbox = Here {
            pid_ns: "pid:[4026532999]".into(),
            ..here()
        };
        assert!(matches!(o.judge(&sandbox, None), Liveness::Unknown(_)));
    }

    #[test]
    fn owners_round_trip_through_labels_and_this_process_is_alive() {
        let me = Owner::me();
        let labels: HashMap<String, String> = me.labels().into_iter().collect();
        assert_eq!(Owner::from_labels(&labels), Some(me.clone()));
        assert_eq!(me.liveness(), Liveness::Alive);
        assert_eq!(Owner::from_labels(&HashMap::new()), None);
        assert_eq!(utc(1_764_600_000), "2025-12-01 14:40:00 UTC");
    }
}
