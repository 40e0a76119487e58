//! The networks submissions are graded on: one for each submission graded at once, made
//! when first needed and handed from one submission to the next once the previous one's
//! containers are gone. Two submissions graded at the same time never share one; making
//! and removing a network (and Docker rewriting its firewall chains) for every student
//! cost more than the rest of the grader's own work.

use std::sync::Mutex;

use crate::observe::Daemon;
use crate::observe::containers;

/// The run's networks, free and in use.
pub struct Networks<'a> {
    run_id: &'a str,
    labels: &'a [(String, String)],
    /// Networks made and not in use, by number.
    free: Mutex<Vec<usize>>,
    /// How many were made (the next one's number).
    made: Mutex<usize>,
}

/// A network a submission holds until it gives it back.
pub struct Held {
    number: usize,
    pub name: String,
}

impl<'a> Networks<'a> {
    pub fn new(run_id: &'a str, labels: &'a [(String, String)]) -> Networks<'a> {
        Networks {
            run_id,
            labels,
            free: Mutex::new(Vec::new()),
            made: Mutex::new(0),
        }
    }

    fn name(&self, number: usize) -> String {
        format!("lg-{}-net{number}", self.run_id)
    }

    /// Its Linux bridge: the prefix the host's firewall rules match, and a hash of the run
    /// and the number, 15 bytes in all (the kernel's longest name).
    fn bridge(&self, number: usize) -> String {
        let hash = super::submission::stable_hash(&format!("{}/{number}", self.run_id));
        format!(
            "{}{:012x}",
            containers::BRIDGE_PREFIX,
            hash & 0xffff_ffff_ffff
        )
    }

    /// A free network, made now when none is.
    pub async fn take(&self, daemon: &Daemon) -> Result<Held, String> {
        let free = self.free.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let number = match free {
            Some(n) => {
                return Ok(Held {
                    number: n,
                    name: self.name(n),
                });
            }
            None => {
                let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
                *made += 1;
                *made
            }
        };
        let name = self.name(number);
        containers::create_network(daemon, &name, &self.bridge(number), self.labels).await?;
        Ok(Held { number, name })
    }

    /// Gives a network back once its submission's containers are removed. One that still
    /// has a container attached (a removal failed) is removed, never handed on: the next
    /// student would share it with a classmate's container.
    pub async fn give_back(&self, daemon: &Daemon, held: Held) {
        let empty = matches!(
            daemon.client().inspect_network(&held.name, None::<bollard::query_parameters::InspectNetworkOptions>).await,
            Ok(n) if n.containers.as_ref().is_none_or(|c| c.is_empty())
        );
        if empty {
            self.free
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(held.number);
        } else {
            containers::remove_network(daemon, &held.name).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bridges_are_short_and_distinct() {
        let nets = super::Networks::new("r1", &[]);
        let (a, b) = (nets.bridge(1), nets.bridge(2));
        assert!(a.len() <= 15 && a.starts_with("lgb"), "{a}");
        assert_ne!(a, b);
    }
}
