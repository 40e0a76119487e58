//! Reading an image's files through the engine's API, never by running the image: a
//! container is created from it (not started, no network, labelled for `labgrade
//! clean`), the paths the checks name are read from its archive (`GET
//! /containers/ID/archive`), and it is removed. Works for `FROM scratch` images with no
//! shell. Each file is read only up to [`FILE_CAP`]; a folder walked for secrets keeps
//! only the names [`secret_name`] picks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{CreateContainerOptionsBuilder, DownloadFromContainerOptions};
use bytes::Bytes;
use futures_util::StreamExt;

use super::Daemon;
use crate::facts::{FILE_CAP, FileFacts, ImageFacts, Suspect, TreeFacts, secret_name};

/// What the checks want read from one image.
#[derive(Debug, Default)]
pub struct Wanted {
    pub paths: BTreeSet<String>,
    /// Folders to walk for secrets; `None` for the image's WORKDIR (or `/`).
    pub trees: BTreeSet<Option<String>>,
}

/// Most entries a walk looks at before it stops.
const TREE_CAP: u64 = 200_000;
/// Longest one image's reads may take.
const TIME_CAP: Duration = Duration::from_secs(30);
/// Folders of the base system a walk of `/` skips: what is there is not the student's.
const SYSTEM: [&str; 9] = [
    "proc/", "sys/", "dev/", "usr/", "lib/", "lib64/", "etc/", "var/lib/", "bin/",
];

type Read_ = (
    BTreeMap<String, Option<FileFacts>>,
    BTreeMap<String, TreeFacts>,
);

/// Reads what `wanted` names from the image; an error says why nothing could be read.
pub async fn read(daemon: &Daemon, image: &ImageFacts, wanted: &Wanted) -> Result<Read_, String> {
    let name = super::oneshot::unique_name();
    let body = ContainerCreateBody {
        image: Some(image.id.clone()),
        // Never started: an entrypoint that is never run keeps create from refusing an
        // image with no CMD.
        entrypoint: Some(vec!["/labgrade-never-started".into()]),
        cmd: Some(Vec::new()),
        labels: Some(HashMap::from([(
            super::RUN_LABEL.to_string(),
            "1".to_string(),
        )])),
        network_disabled: Some(true),
        host_config: Some(HostConfig {
            network_mode: Some("none".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let opts = CreateContainerOptionsBuilder::default().name(&name).build();
    daemon
        .client()
        .create_container(Some(opts), body)
        .await
        .map_err(|e| {
            format!(
                "cannot read the image's files: {}",
                super::docker::short_error(&e)
            )
        })?;
    let work = async {
        let mut files = BTreeMap::new();
        for path in &wanted.paths {
            files.insert(path.clone(), one_file(daemon, &name, path).await?);
        }
        let mut trees = BTreeMap::new();
        for root in &wanted.trees {
            let root = root
                .clone()
                .or_else(|| image.workdir.clone())
                .unwrap_or_else(|| "/".into());
            if let std::collections::btree_map::Entry::Vacant(e) = trees.entry(root) {
                let t = walk(daemon, &name, e.key()).await?;
                e.insert(t);
            }
        }
        Ok((files, trees))
    };
    let result = match tokio::time::timeout(TIME_CAP, work).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "reading the image's files took longer than {} s",
            TIME_CAP.as_secs()
        )),
    };
    super::containers::remove(daemon, &name).await;
    result
}

/// The archive of one path, as a reader the `tar` crate can walk in a blocking task;
/// `Ok(None)` when the path does not exist.
async fn archive<T: Send + 'static>(
    daemon: &Daemon,
    container: &str,
    path: &str,
    walk: impl FnOnce(&mut dyn Read) -> T + Send + 'static,
) -> Result<Option<T>, String> {
    let opts = DownloadFromContainerOptions {
        path: path.to_string(),
    };
    let mut stream = daemon
        .client()
        .download_from_container(container, Some(opts));
    let first = match stream.next().await {
        None => Bytes::new(),
        Some(Ok(b)) => b,
        Some(Err(e)) if super::docker::is_not_found(&e) => return Ok(None),
        Some(Err(e)) => {
            return Err(format!(
                "cannot read {path} from the image: {}",
                super::docker::short_error(&e)
            ));
        }
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(8);
    let reader = tokio::task::spawn_blocking(move || {
        let mut r = ChannelReader { rx, buf: first };
        walk(&mut r)
    });
    // Feed the walker until it has what it wants (it drops the channel) or the end.
    while let Some(Ok(chunk)) = stream.next().await {
        if tx.send(chunk).await.is_err() {
            break;
        }
    }
    drop(tx);
    reader
        .await
        .map(Some)
        .map_err(|e| format!("reading {path} failed: {e}"))
}

/// A blocking reader over the chunks the download sends.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    buf: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.buf.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.buf = b,
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        self.buf = self.buf.slice(n..);
        Ok(n)
    }
}

/// The header and first bytes of one path.
async fn one_file(
    daemon: &Daemon,
    container: &str,
    path: &str,
) -> Result<Option<FileFacts>, String> {
    let facts = archive(daemon, container, path, |r| {
        let mut ar = tar::Archive::new(r);
        let mut entries = ar.entries().ok()?;
        let mut entry = entries.next()?.ok()?;
        let mut f = header_facts(entry.header());
        if f.kind == "file" {
            let mut bytes = Vec::new();
            let _ = (&mut entry)
                .take(FILE_CAP as u64 + 1)
                .read_to_end(&mut bytes);
            f.truncated = bytes.len() > FILE_CAP;
            bytes.truncate(FILE_CAP);
            f.binary = bytes.contains(&0);
            if !f.binary {
                match String::from_utf8(bytes) {
                    Ok(t) => f.text = Some(t),
                    // A cut in the middle of a character is still text.
                    Err(e) if f.truncated && e.utf8_error().error_len().is_none() => {
                        let valid = e.utf8_error().valid_up_to();
                        f.text = Some(String::from_utf8_lossy(&e.into_bytes()[..valid]).into());
                    }
                    Err(_) => f.binary = true,
                }
            }
        }
        Some(f)
    })
    .await?;
    Ok(facts.flatten())
}

fn header_facts(h: &tar::Header) -> FileFacts {
    use tar::EntryType;
    let kind = match h.entry_type() {
        EntryType::Regular | EntryType::Continuous => "file",
        EntryType::Directory => "dir",
        EntryType::Symlink => "symlink",
        _ => "other",
    };
    FileFacts {
        kind: kind.into(),
        size: h.size().unwrap_or(0),
        mode: h.mode().unwrap_or(0) & 0o7777,
        uid: h.uid().unwrap_or(0),
        gid: h.gid().unwrap_or(0),
        user: h
            .username()
            .ok()
            .flatten()
            .filter(|u| !u.is_empty())
            .map(str::to_string),
        link: h
            .link_name()
            .ok()
            .flatten()
            .map(|l| l.display().to_string()),
        ..FileFacts::default()
    }
}

/// Walks a folder for files whose names look like secrets.
async fn walk(daemon: &Daemon, container: &str, root: &str) -> Result<TreeFacts, String> {
    // The archive names entries from the folder's own name (`app/...`; `./...` for /).
    let parent = match root.trim_end_matches('/').rsplit_once('/') {
        Some((p, _)) => format!("{p}/"),
        None => "/".into(),
    };
    let from_root = root.trim_end_matches('/').is_empty();
    let tree = archive(daemon, container, root, move |r| {
        let mut t = TreeFacts::default();
        let mut ar = tar::Archive::new(r);
        let Ok(entries) = ar.entries() else {
            return t;
        };
        for entry in entries {
            let Ok(mut entry) = entry else { break };
            t.entries += 1;
            if t.entries > TREE_CAP {
                t.truncated = true;
                break;
            }
            let rel = entry
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let rel = rel.trim_start_matches("./").to_string();
            if from_root && SYSTEM.iter().any(|s| rel.starts_with(s)) {
                continue;
            }
            let file_name = rel.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            if !entry.header().entry_type().is_file() || !secret_name(file_name) {
                continue;
            }
            let mut head = Vec::new();
            let _ = (&mut entry).take(4096).read_to_end(&mut head);
            t.suspects.push(Suspect {
                path: if from_root {
                    format!("/{rel}")
                } else {
                    format!("{parent}{rel}")
                },
                private_key: String::from_utf8_lossy(&head).contains("PRIVATE KEY"),
            });
            if t.suspects.len() >= 100 {
                t.truncated = true;
                break;
            }
        }
        t
    })
    .await?;
    Ok(tree.unwrap_or_default())
}
