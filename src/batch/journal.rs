//! The images a grading run's builds commit, written down in the output folder as the
//! builder commits them. The daemon puts a build's labels on its last image only, so an
//! intermediate image of a build that failed, timed out or was killed carries no label
//! that `clean` could find; this journal names them by id instead, and the run's own
//! clean-up, an interrupt, or the `--resume` of a killed run removes them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::observe::Daemon;

/// The journal's file in an output folder.
const FILE: &str = "images.journal";

/// An output folder's journal of committed image ids, one per line.
pub struct Journal {
    path: PathBuf,
    file: Mutex<Option<std::fs::File>>,
}

impl Journal {
    /// The journal of the output folder `out` (created at the first id).
    pub fn new(out: &Path) -> Journal {
        Journal {
            path: out.join(FILE),
            file: Mutex::new(None),
        }
    }

    /// Writes down one committed image id. An id that cannot be written is still removed
    /// by the submission's own clean-up; only a killed run would leave it.
    pub fn record(&self, id: &str) {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if file.is_none() {
            *file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .ok();
        }
        if let Some(f) = file.as_mut() {
            // One write per line, appended: what a kill -9 leaves is whole lines.
            let _ = f.write_all(format!("{id}\n").as_bytes());
        }
    }

    /// Removes every image the journal of `out` names that is still there (the newest
    /// first, never pruning parents), then forgets them. Returns how many were removed.
    pub async fn sweep(daemon: &Daemon, out: &Path) -> usize {
        let path = out.join(FILE);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return 0;
        };
        let ids: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_hexdigit()))
            .map(String::from)
            .collect();
        match crate::observe::containers::remove_images_by_id(daemon, &ids).await {
            Ok(n) => {
                let _ = std::fs::remove_file(&path);
                n
            }
            Err(_) => 0,
        }
    }
}
