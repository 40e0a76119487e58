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
    /// Paths, each with whether its owner and first bytes are wanted (a GET of its
    /// archive) or only its kind, size and mode (a HEAD, several times faster).
    pub paths: BTreeMap<String, bool>,
    /// Folders to walk for secrets; `None` for the image's WORKDIR (or `/`).
    pub trees: BTreeSet<Option<String>>,
    /// File names to look for under the WORKDIR (or `/`).
    pub names: BTreeSet<String>,
}

/// Most entries a walk looks at before it stops.
const TREE_CAP: u64 = 200_000;
/// Longest one image's reads may take.
const TIME_CAP: Duration = Duration::from_secs(30);
/// Folders of the base system a walk of `/` skips: what is there is not the student's.
const SYSTEM: [&str; 9] = [
    "proc/", "sys/", "dev/", "usr/", "lib/", "lib64/", "etc/", "var/lib/", "bin/",
];

/// What was read from an image: paths, walked folders, and where files of the names
/// asked for are.
#[derive(Debug, Default)]
pub struct Read_ {
    pub files: BTreeMap<String, Option<FileFacts>>,
    pub trees: BTreeMap<String, TreeFacts>,
    pub named: BTreeMap<String, Vec<String>>,
    pub similar: BTreeMap<String, Vec<String>>,
}

/// What was read from one image before, kept on disk by image id: an image's content
/// never changes under its id, so a second check of the same build reads nothing.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Cached {
    /// Path → (read with its first bytes, what was found).
    files: BTreeMap<String, (bool, Option<FileFacts>)>,
    trees: BTreeMap<String, TreeFacts>,
    #[serde(default)]
    named: BTreeMap<String, Vec<String>>,
    /// Absent in a cache written before it was looked for: then the walk is done again.
    #[serde(default)]
    similar: BTreeMap<String, Vec<String>>,
}

/// `$LABGRADE_CACHE_DIR`, else `$XDG_CACHE_HOME/labgrade`, else `~/.cache/labgrade`.
fn cache_file(image_id: &str) -> Option<std::path::PathBuf> {
    let id = image_id.trim_start_matches("sha256:");
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    let dir = env("LABGRADE_CACHE_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| env("XDG_CACHE_HOME").map(|d| std::path::PathBuf::from(d).join("labgrade")))
        .or_else(|| env("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/labgrade")))?;
    Some(dir.join("image-files").join(format!("{id}.json")))
}

/// Reads what `wanted` names from the image (from the cache where it can); an error says
/// why nothing could be read.
pub async fn read(daemon: &Daemon, image: &ImageFacts, wanted: &Wanted) -> Result<Read_, String> {
    let cache = cache_file(&image.id);
    let mut cached: Cached = cache
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let roots: BTreeSet<String> = wanted
        .trees
        .iter()
        .map(|r| {
            r.clone()
                .or_else(|| image.workdir.clone())
                .unwrap_or_else(|| "/".into())
        })
        .collect();
    // Relative paths are under the WORKDIR; the cache and the engine see absolute ones.
    let resolved: BTreeMap<&String, String> = wanted
        .paths
        .keys()
        .map(|p| (p, labgrade_core::in_image(image, p)))
        .collect();
    let mut paths: BTreeMap<String, bool> = BTreeMap::new();
    for (p, read) in &wanted.paths {
        let at = &resolved[p];
        if !matches!(cached.files.get(at), Some((had, _)) if *had || !*read) {
            *paths.entry(at.clone()).or_default() |= *read;
        }
    }
    let trees: BTreeSet<String> = roots
        .iter()
        .filter(|r| !cached.trees.contains_key(*r))
        .cloned()
        .collect();
    let names: BTreeSet<String> = wanted
        .names
        .iter()
        .filter(|n| !cached.named.contains_key(*n) || !cached.similar.contains_key(*n))
        .cloned()
        .collect();
    if !paths.is_empty() || !trees.is_empty() || !names.is_empty() {
        let root = image.workdir.clone().unwrap_or_else(|| "/".into());
        let got = from_engine(daemon, image, &paths, &trees, &names, &root).await?;
        for (p, f) in got.files {
            cached.files.insert(p.clone(), (paths[&p], f));
        }
        cached.trees.extend(got.trees);
        cached.named.extend(got.named);
        cached.similar.extend(got.similar);
        if let Some(path) = &cache {
            save(path, &cached);
        }
    }
    let files = wanted
        .paths
        .keys()
        .filter_map(|p| Some((p.clone(), cached.files.get(&resolved[p])?.1.clone())))
        .collect();
    let trees = roots
        .iter()
        .filter_map(|r| Some((r.clone(), cached.trees.get(r)?.clone())))
        .collect();
    let pick = |from: &BTreeMap<String, Vec<String>>| {
        wanted
            .names
            .iter()
            .filter_map(|n| Some((n.clone(), from.get(n)?.clone())))
            .collect()
    };
    Ok(Read_ {
        files,
        trees,
        named: pick(&cached.named),
        similar: pick(&cached.similar),
    })
}

/// Writes the cache entry whole (a temporary file renamed), or not at all.
fn save(path: &std::path::Path, cached: &Cached) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let ok = serde_json::to_vec(cached)
        .ok()
        .is_some_and(|b| std::fs::write(&tmp, b).is_ok());
    if !ok || std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Reads paths (each with whether its first bytes are wanted) and walks folders, through
/// a container created from the image and never started.
async fn from_engine(
    daemon: &Daemon,
    image: &ImageFacts,
    paths: &BTreeMap<String, bool>,
    roots: &BTreeSet<String>,
    names: &BTreeSet<String>,
    names_root: &str,
) -> Result<Read_, String> {
    let name = super::oneshot::unique_name();
    let body = ContainerCreateBody {
        image: Some(image.id.clone()),
        // Never started: an entrypoint that is never run keeps create from refusing an
        // image with no CMD.
        entrypoint: Some(vec!["/labgrade-never-started".into()]),
        cmd: Some(Vec::new()),
        // Its owner, so that `labgrade clean` leaves a check in progress alone.
        labels: Some(
            std::iter::once((super::RUN_LABEL.to_string(), "1".to_string()))
                .chain(crate::owner::Owner::me().labels())
                .collect::<HashMap<_, _>>(),
        ),
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
        // The engine mounts the container's file system for each request, one request at
        // a time: paths that share a folder are read from one archive of it.
        let (mut files, rest) = together(daemon, &name, paths).await?;
        for (path, read) in rest {
            let f = if read {
                one_file(daemon, &name, path).await?
            } else {
                stat(daemon, &name, path).await?
            };
            files.insert(path.to_string(), f);
        }
        let mut trees = BTreeMap::new();
        for root in roots {
            trees.insert(root.clone(), secrets(daemon, &name, root).await?);
        }
        let (named, similar) = if names.is_empty() {
            Default::default()
        } else {
            named(daemon, &name, names_root, names).await?
        };
        Ok(Read_ {
            files,
            trees,
            named,
            similar,
        })
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

/// Kind, size and mode of one path, from the engine's stat of it (`HEAD .../archive`).
async fn stat(daemon: &Daemon, container: &str, path: &str) -> Result<Option<FileFacts>, String> {
    let opts = bollard::query_parameters::ContainerArchiveInfoOptions {
        path: path.to_string(),
    };
    match daemon
        .client()
        .get_container_archive_info(container, Some(opts))
        .await
    {
        Ok(s) => Ok(Some(go_mode_facts(s.file_mode, s.size, &s.link_target))),
        Err(e) if super::docker::is_not_found(&e) => Ok(None),
        Err(e) => Err(format!(
            "cannot read {path} from the image: {}",
            super::docker::short_error(&e)
        )),
    }
}

/// File facts from a Go `os.FileMode` (the engine's stat): type bits high, permissions
/// low.
fn go_mode_facts(mode: u32, size: i64, link: &str) -> FileFacts {
    const DIR: u32 = 1 << 31;
    const SYMLINK: u32 = 1 << 27;
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const STICKY: u32 = 1 << 20;
    const OTHER: u32 = (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);
    let kind = if mode & DIR != 0 {
        "dir"
    } else if mode & SYMLINK != 0 {
        "symlink"
    } else if mode & OTHER != 0 {
        "other"
    } else {
        "file"
    };
    let mut bits = mode & 0o777;
    for (go, unix) in [(SETUID, 0o4000), (SETGID, 0o2000), (STICKY, 0o1000)] {
        if mode & go != 0 {
            bits |= unix;
        }
    }
    FileFacts {
        kind: kind.into(),
        size: size.max(0) as u64,
        mode: bits,
        link: (!link.is_empty()).then(|| link.to_string()),
        ..FileFacts::default()
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
        Some(entry_facts(&mut entry))
    })
    .await?;
    Ok(facts.flatten())
}

/// An archive entry's facts, with the first bytes of a regular file.
fn entry_facts<R: Read>(entry: &mut tar::Entry<'_, R>) -> FileFacts {
    let mut f = header_facts(entry.header());
    if f.kind == "file" {
        let mut bytes = Vec::new();
        let _ = entry.take(FILE_CAP as u64 + 1).read_to_end(&mut bytes);
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
    f
}

/// Most entries of a shared folder looked at before its paths are read one by one.
const FOLDER_CAP: usize = 2_000;

/// The folder every path lies in, deeper than `/`: `/app` for `/app/a` and `/app/b/c`.
fn shared_folder<'a>(paths: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut shared: Option<Vec<&str>> = None;
    for p in paths {
        let mut parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        parts.pop();
        shared = Some(match shared {
            None => parts,
            Some(s) => s
                .into_iter()
                .zip(parts)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    shared
        .filter(|s| !s.is_empty())
        .map(|s| format!("/{}", s.join("/")))
}

/// Reads the paths that share a folder from one archive of it; returns what it found and
/// the paths still to read one by one (all of them when they share no folder, when the
/// folder is large, and those under a symbolic link, which the engine resolves).
async fn together<'a>(
    daemon: &Daemon,
    container: &str,
    paths: &'a BTreeMap<String, bool>,
) -> Result<(BTreeMap<String, Option<FileFacts>>, Vec<(&'a str, bool)>), String> {
    let all = || paths.iter().map(|(p, r)| (p.as_str(), *r)).collect();
    let folder = match shared_folder(paths.keys().map(String::as_str)) {
        Some(f) if paths.len() > 1 => f,
        _ => return Ok((BTreeMap::new(), all())),
    };
    #[derive(Default)]
    struct Seen {
        found: BTreeMap<String, FileFacts>,
        links: Vec<String>,
        entries: usize,
        capped: bool,
    }
    let want: BTreeSet<String> = paths.keys().cloned().collect();
    let (seen, _, _) = walk(
        daemon,
        container,
        &folder,
        move |seen: &mut Seen, path, entry| {
            seen.entries += 1;
            if seen.entries > FOLDER_CAP {
                seen.capped = true;
                return false;
            }
            let path = path.trim_end_matches('/');
            if entry.header().entry_type().is_symlink() {
                seen.links.push(path.to_string());
            }
            if want.contains(path) {
                seen.found.insert(path.to_string(), entry_facts(entry));
            }
            seen.found.len() < want.len()
        },
    )
    .await?;
    if seen.capped {
        return Ok((BTreeMap::new(), all()));
    }
    let mut files = BTreeMap::new();
    let mut rest = Vec::new();
    for (path, read) in paths {
        match seen.found.get(path) {
            Some(f) => {
                files.insert(path.clone(), Some(f.clone()));
            }
            // Under a link (or the folder itself one): the engine knows where it leads.
            None if seen
                .links
                .iter()
                .any(|l| path.starts_with(&format!("{l}/"))) =>
            {
                rest.push((path.as_str(), *read))
            }
            None => {
                files.insert(path.clone(), None);
            }
        }
    }
    Ok((files, rest))
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

/// Walks a folder of the image (the system folders skipped when it is `/`), calling
/// `visit` with each entry's full path and the entry (its header, and the first bytes of
/// a file); `visit` returns false to stop. Returns what it gathered, the entries seen and whether
/// it stopped early.
async fn walk<T, V>(
    daemon: &Daemon,
    container: &str,
    root: &str,
    mut visit: V,
) -> Result<(T, u64, bool), String>
where
    T: Default + Send + 'static,
    V: FnMut(&mut T, &str, &mut tar::Entry<'_, &mut dyn Read>) -> bool + Send + 'static,
{
    // The archive names entries from the folder's own name (`app/...`; `./...` for /).
    let parent = match root.trim_end_matches('/').rsplit_once('/') {
        Some((p, _)) => format!("{p}/"),
        None => "/".into(),
    };
    let from_root = root.trim_end_matches('/').is_empty();
    let walked = archive(daemon, container, root, move |r| {
        let mut out = T::default();
        let (mut seen, mut cut) = (0u64, false);
        let mut ar = tar::Archive::new(r);
        let Ok(entries) = ar.entries() else {
            return (out, seen, cut);
        };
        for entry in entries {
            let Ok(mut entry) = entry else { break };
            seen += 1;
            if seen > TREE_CAP {
                cut = true;
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
            let full = if from_root {
                format!("/{rel}")
            } else {
                format!("{parent}{rel}")
            };
            if !visit(&mut out, &full, &mut entry) {
                cut = true;
                break;
            }
        }
        (out, seen, cut)
    })
    .await?;
    Ok(walked.unwrap_or_default())
}

/// The file name at the end of a path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Walks a folder for files whose names look like secrets.
async fn secrets(daemon: &Daemon, container: &str, root: &str) -> Result<TreeFacts, String> {
    let (suspects, entries, truncated) = walk(
        daemon,
        container,
        root,
        |found: &mut Vec<Suspect>, path, entry| {
            if entry.header().entry_type().is_file() && secret_name(file_name(path)) {
                let mut head = Vec::new();
                let _ = entry.take(4096).read_to_end(&mut head);
                found.push(Suspect {
                    path: path.to_string(),
                    private_key: String::from_utf8_lossy(&head).contains("PRIVATE KEY"),
                });
            }
            found.len() < 100
        },
    )
    .await?;
    Ok(TreeFacts {
        entries,
        suspects,
        truncated,
    })
}

/// Walks a folder for files with these names: where a file a CMD names really is.
async fn named(
    daemon: &Daemon,
    container: &str,
    root: &str,
    names: &BTreeSet<String>,
) -> Result<(BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>), String> {
    let asked = names.clone();
    let names = names.clone();
    // Per name asked for: where files of that name are, and of a name a typo away.
    type Found = (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>);
    let ((mut found, mut similar), _, _) = walk(
        daemon,
        container,
        root,
        move |(found, similar): &mut Found, path, entry| {
            if !entry.header().entry_type().is_file() {
                return true;
            }
            let name = file_name(path);
            for n in &names {
                // More of the similar names are kept: a virtualenv under the WORKDIR can
                // hold several before the app's own folder comes in the walk.
                let (at, cap) = if n == name {
                    (found.entry(n.clone()).or_default(), 5)
                } else if labgrade_core::facts::similar_name(n, name) {
                    (similar.entry(n.clone()).or_default(), 50)
                } else {
                    continue;
                };
                if at.len() < cap {
                    at.push(path.to_string());
                }
            }
            true
        },
    )
    .await?;
    // Every name asked for is answered, an empty list for none found.
    for n in asked {
        found.entry(n.clone()).or_default();
        similar.entry(n).or_default();
    }
    Ok((found, similar))
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_share_the_deepest_folder_below_the_root() {
        let shared = |p: &[&str]| super::shared_folder(p.iter().copied());
        assert_eq!(
            shared(&["/app/a", "/app/.git", "/app/b/c"]).as_deref(),
            Some("/app")
        );
        assert_eq!(
            shared(&["/srv/app/x", "/srv/app/y/z"]).as_deref(),
            Some("/srv/app")
        );
        assert_eq!(shared(&["/app/a", "/etc/passwd"]), None);
        assert_eq!(shared(&["/labgrade", "/app/a"]), None);
    }

    #[test]
    fn go_modes() {
        let f = super::go_mode_facts((1 << 31) | 0o755, 4096, "");
        assert_eq!((f.kind.as_str(), f.mode), ("dir", 0o755));
        let f = super::go_mode_facts((1 << 27) | 0o777, 7, "busybox");
        assert_eq!(
            (f.kind.as_str(), f.link.as_deref()),
            ("symlink", Some("busybox"))
        );
        let f = super::go_mode_facts((1 << 23) | 0o755, 10, "");
        assert_eq!((f.kind.as_str(), f.mode), ("file", 0o4755));
    }
}
