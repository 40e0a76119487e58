//! Which share of the class this machine grades: `--shard K/N` as written, or `--shard
//! auto` from the variables a scheduler sets for each task of an array (Kubernetes
//! Indexed Job, GitLab `parallel:`, a GitHub Actions matrix, AWS Batch and Slurm arrays),
//! or, where the scheduler gives no trustworthy index (Docker Swarm), from the first
//! shard folder still free in the shared output folder. Every way ends in the same
//! [`Shard`], so the assignment of submissions to shards is the same.

use std::path::{Path, PathBuf};

/// A `--shard K/N` choice: this machine grades every N-th submission, starting at K.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("invalid shard `{s}`: write K/N with 1 <= K <= N, such as 2/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (usize, usize) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl Shard {
    /// Whether the `i`-th submission (0-based, in name order) is this shard's.
    pub fn owns(self, i: usize) -> bool {
        i % self.n == self.k - 1
    }

    /// The output folder of this shard under a shared `--out` folder (`--shard auto`).
    pub fn folder(self, out: &Path) -> PathBuf {
        out.join(format!("shard-{}-of-{}", self.k, self.n))
    }
}

/// The total of shards when the scheduler does not give it itself.
pub const TOTAL_VAR: &str = "LABGRADE_SHARD_TOTAL";

/// A 0-based index set by hand (a GitHub Actions matrix's `strategy.job-index`).
pub const INDEX_VAR: &str = "LABGRADE_SHARD_INDEX";

/// What `--shard auto` found in the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auto {
    /// The scheduler's index and total: `from` names the variables.
    Index { shard: Shard, from: &'static str },
    /// Only a total: claim the first shard folder still free (Docker Swarm, whose
    /// `{{.Task.Slot}}` is not a dependable number in a replicated job).
    Claim { n: usize },
}

/// A scheduler's array variables: the index, whether it counts from 1, and the total
/// (`None`: the total comes from [`TOTAL_VAR`]).
struct Scheduler {
    name: &'static str,
    index: &'static str,
    one_based: bool,
    total: Option<&'static str>,
}

/// In the order they are tried: a hand-set index first, then the schedulers.
const SCHEDULERS: [Scheduler; 4] = [
    Scheduler {
        name: "LABGRADE_SHARD_INDEX/LABGRADE_SHARD_TOTAL",
        index: INDEX_VAR,
        one_based: false,
        total: None,
    },
    Scheduler {
        name: "Kubernetes JOB_COMPLETION_INDEX/LABGRADE_SHARD_TOTAL",
        index: "JOB_COMPLETION_INDEX",
        one_based: false,
        total: None,
    },
    Scheduler {
        name: "GitLab CI_NODE_INDEX/CI_NODE_TOTAL",
        index: "CI_NODE_INDEX",
        one_based: true,
        total: Some("CI_NODE_TOTAL"),
    },
    Scheduler {
        name: "AWS Batch AWS_BATCH_JOB_ARRAY_INDEX/AWS_BATCH_JOB_ARRAY_SIZE",
        index: "AWS_BATCH_JOB_ARRAY_INDEX",
        one_based: false,
        total: Some("AWS_BATCH_JOB_ARRAY_SIZE"),
    },
];

/// Reads `--shard auto` from an environment (`get` returns a variable's value): a pure
/// function, so each scheduler's variables are tested without setting any.
pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Result<Auto, String> {
    let var = |name: &str| {
        get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let number = |name: &str| -> Result<Option<usize>, String> {
        var(name)
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| format!("--shard auto: {name}={v} is not a whole number"))
            })
            .transpose()
    };
    let shard = |k0: usize, n: usize, from: &'static str| -> Result<Auto, String> {
        if n == 0 || k0 >= n {
            return Err(format!(
                "--shard auto: {from} give shard {} of {n}, which does not exist",
                k0 + 1
            ));
        }
        Ok(Auto::Index {
            shard: Shard { k: k0 + 1, n },
            from,
        })
    };
    let total = number(TOTAL_VAR)?;
    for s in &SCHEDULERS {
        let Some(index) = number(s.index)? else {
            continue;
        };
        // A scheduler's own total; AWS Batch sets none, so ours stands in for it.
        let n = match s.total {
            Some(t) => number(t)?.or(total),
            None => total,
        };
        let Some(n) = n else {
            return Err(format!(
                "--shard auto: {} is set but not how many shards there are: set {TOTAL_VAR} to the number of tasks",
                s.index
            ));
        };
        let k0 = if s.one_based {
            index
                .checked_sub(1)
                .ok_or_else(|| format!("--shard auto: {}=0, but it counts from 1", s.index))?
        } else {
            index
        };
        return shard(k0, n, s.name);
    }
    // Slurm numbers an array's tasks from its first id, in steps.
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        let from = "Slurm SLURM_ARRAY_TASK_ID/_MIN/_STEP/_COUNT";
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        let Some(n) = number("SLURM_ARRAY_TASK_COUNT")?.or(total) else {
            return Err(format!(
                "--shard auto: SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT (Slurm 19 and older): set {TOTAL_VAR}"
            ));
        };
        let offset = id.checked_sub(min).filter(|o| o % step == 0).ok_or_else(|| {
            format!(
                "--shard auto: Slurm task {id} is not on the array's range (from {min} in steps of {step}); give the array as a range such as --array=0-{}",
                n.saturating_sub(1)
            )
        })?;
        return shard(offset / step, n, from);
    }
    match total {
        Some(0) => Err(format!(
            "--shard auto: {TOTAL_VAR}=0; give the number of tasks"
        )),
        Some(n) => Ok(Auto::Claim { n }),
        None => Err(format!(
            "--shard auto found no scheduler's variables: set {INDEX_VAR} (from 0) and {TOTAL_VAR}, or run it as a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with {TOTAL_VAR}), a GitLab parallel job (CI_NODE_INDEX/CI_NODE_TOTAL), an AWS Batch array (AWS_BATCH_JOB_ARRAY_INDEX, with {TOTAL_VAR}) or a Slurm array (SLURM_ARRAY_TASK_ID); with {TOTAL_VAR} alone each task claims the first free shard folder under --out"
        )),
    }
}

/// Claims the first shard of `n` whose folder under `out` does not exist yet, by making
/// it: creating a folder is atomic, so two tasks never claim the same shard, on one
/// machine's disk or a shared one. `None` when all are taken.
pub fn claim(out: &Path, n: usize) -> std::io::Result<Option<Shard>> {
    std::fs::create_dir_all(out)?;
    for k in 1..=n {
        let shard = Shard { k, n };
        match std::fs::create_dir(shard.folder(out)) {
            Ok(()) => return Ok(Some(shard)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auto(vars: &[(&str, &str)]) -> Result<Auto, String> {
        let map: std::collections::BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        from_env(&|name| map.get(name).cloned())
    }

    fn shard(vars: &[(&str, &str)]) -> Shard {
        match auto(vars) {
            Ok(Auto::Index { shard, .. }) => shard,
            other => panic!("{vars:?}: {other:?}"),
        }
    }

    #[test]
    fn shards_parse() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard { k: 2, n: 4 });
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().unwrap_err().contains("`5/4`"));
    }

    #[test]
    fn kubernetes_indexed_job_counts_from_zero() {
        let s = shard(&[("JOB_COMPLETION_INDEX", "0"), (TOTAL_VAR, "3")]);
        assert_eq!(s, Shard { k: 1, n: 3 });
        let s = shard(&[("JOB_COMPLETION_INDEX", "2"), (TOTAL_VAR, "3")]);
        assert_eq!(s, Shard { k: 3, n: 3 });
        let e = auto(&[("JOB_COMPLETION_INDEX", "3"), (TOTAL_VAR, "3")]).unwrap_err();
        assert!(e.contains("shard 4 of 3"), "{e}");
        let e = auto(&[("JOB_COMPLETION_INDEX", "1")]).unwrap_err();
        assert!(e.contains("set LABGRADE_SHARD_TOTAL"), "{e}");
    }

    #[test]
    fn gitlab_parallel_counts_from_one() {
        let s = shard(&[("CI_NODE_INDEX", "1"), ("CI_NODE_TOTAL", "4")]);
        assert_eq!(s, Shard { k: 1, n: 4 });
        let s = shard(&[("CI_NODE_INDEX", "4"), ("CI_NODE_TOTAL", "4")]);
        assert_eq!(s, Shard { k: 4, n: 4 });
        let e = auto(&[("CI_NODE_INDEX", "0"), ("CI_NODE_TOTAL", "4")]).unwrap_err();
        assert!(e.contains("counts from 1"), "{e}");
    }

    #[test]
    fn github_matrix_passes_job_index_and_total() {
        // env: LABGRADE_SHARD_INDEX: ${{ strategy.job-index }}, ..._TOTAL: job-total
        let s = shard(&[(INDEX_VAR, "1"), (TOTAL_VAR, "2")]);
        assert_eq!(s, Shard { k: 2, n: 2 });
        let e = auto(&[(INDEX_VAR, "x"), (TOTAL_VAR, "2")]).unwrap_err();
        assert!(
            e.contains("LABGRADE_SHARD_INDEX=x is not a whole number"),
            "{e}"
        );
    }

    #[test]
    fn aws_batch_array_takes_its_size_or_ours() {
        let s = shard(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "4"),
            ("AWS_BATCH_JOB_ARRAY_SIZE", "5"),
        ]);
        assert_eq!(s, Shard { k: 5, n: 5 });
        let s = shard(&[("AWS_BATCH_JOB_ARRAY_INDEX", "0"), (TOTAL_VAR, "5")]);
        assert_eq!(s, Shard { k: 1, n: 5 });
    }

    #[test]
    fn slurm_arrays_count_from_their_minimum_in_steps() {
        let slurm = |id: &str, min: &str, step: &str, count: &str| {
            auto(&[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_MIN", min),
                ("SLURM_ARRAY_TASK_STEP", step),
                ("SLURM_ARRAY_TASK_COUNT", count),
            ])
        };
        let k = |r: Result<Auto, String>| match r {
            Ok(Auto::Index { shard, .. }) => shard,
            other => panic!("{other:?}"),
        };
        // --array=1-4
        assert_eq!(k(slurm("1", "1", "1", "4")), Shard { k: 1, n: 4 });
        assert_eq!(k(slurm("4", "1", "1", "4")), Shard { k: 4, n: 4 });
        // --array=0-15:5 gives 0, 5, 10, 15
        assert_eq!(k(slurm("10", "0", "5", "4")), Shard { k: 3, n: 4 });
        let e = slurm("7", "0", "5", "4").unwrap_err();
        assert!(e.contains("not on the array's range"), "{e}");
        // --array=3,7 (a list): count 2, but 7 is not the second of a range from 3.
        assert!(slurm("7", "3", "1", "2").is_err());
    }

    #[test]
    fn a_total_alone_claims_and_nothing_is_an_error_naming_every_way() {
        assert_eq!(auto(&[(TOTAL_VAR, "2")]), Ok(Auto::Claim { n: 2 }));
        let e = auto(&[("HOSTNAME", "x")]).unwrap_err();
        for v in [
            "JOB_COMPLETION_INDEX",
            "CI_NODE_INDEX",
            "SLURM_ARRAY_TASK_ID",
            INDEX_VAR,
        ] {
            assert!(e.contains(v), "{e}");
        }
        // An empty variable (a template that rendered nothing) is no index.
        assert_eq!(
            auto(&[(INDEX_VAR, " "), (TOTAL_VAR, "2")]),
            Ok(Auto::Claim { n: 2 })
        );
    }

    #[test]
    fn claims_are_taken_once_each() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("grades");
        assert_eq!(claim(&out, 2).unwrap(), Some(Shard { k: 1, n: 2 }));
        assert_eq!(claim(&out, 2).unwrap(), Some(Shard { k: 2, n: 2 }));
        assert_eq!(claim(&out, 2).unwrap(), None);
        assert!(out.join("shard-1-of-2").is_dir() && out.join("shard-2-of-2").is_dir());
    }

    #[test]
    fn every_way_assigns_like_k_of_n() {
        let fixed: Shard = "2/3".parse().unwrap();
        let from_k8s = shard(&[("JOB_COMPLETION_INDEX", "1"), (TOTAL_VAR, "3")]);
        let from_gitlab = shard(&[("CI_NODE_INDEX", "2"), ("CI_NODE_TOTAL", "3")]);
        assert_eq!(fixed, from_k8s);
        assert_eq!(fixed, from_gitlab);
        let owned: Vec<usize> = (0..7).filter(|&i| fixed.owns(i)).collect();
        assert_eq!(owned, [1, 4]);
    }
}
