//! Builds labgrade's images locally, with no registry: a `FROM scratch` image holding a
//! labgrade binary and, when it is linked dynamically, the ELF interpreter and the shared
//! libraries it runs with, read from `/proc/self/maps` (a static binary needs neither).
//! The sample lab image's entrypoint is `labgrade serve`; labgrade's own image
//! (`labgrade image`) runs `labgrade` itself, for CI and schedulers. The sample image
//! also links `python`, `flask`, `uvicorn` and `node` to labgrade, which stands in for
//! them ([`super::frameworks`]); its `labgrade serve flask run ...` does the same for a
//! CMD written as a student writes it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::observe::Daemon;

/// Label put on everything labgrade's demo and tests create, for cleanup.
pub use crate::observe::containers::SAMPLE_LABEL as LABEL;

/// Why the sample image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0} is not a 64-bit ELF program labgrade can package")]
    NotElf(String),
    #[error("the Docker build of {tag} failed: {detail}")]
    Build { tag: String, detail: String },
}

/// Which image is built from the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The sample lab app (`labgrade serve` on 0.0.0.0:8088).
    Sample,
    /// labgrade itself: `docker run IMAGE check SPEC`.
    Grader,
}

/// The files a program needs: itself and, when it is linked dynamically, its
/// interpreter and its libraries.
fn runtime_files(exe: &Path) -> Result<Vec<(PathBuf, PathBuf)>, ImageError> {
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| ImageError::Read {
            path: p.display().to_string(),
            source,
        })
    };
    let elf = read(exe)?;
    let mut files = vec![(exe.to_path_buf(), PathBuf::from("labgrade"))];
    let Some(interp) =
        elf_interpreter(&elf).ok_or_else(|| ImageError::NotElf(exe.display().to_string()))?
    else {
        // A static binary (scripts/static-build) is all it needs.
        return Ok(files);
    };
    files.push((
        PathBuf::from(&interp),
        PathBuf::from(interp.trim_start_matches('/')),
    ));
    // The libraries this process runs with are the ones labgrade needs (same toolchain, same links).
    let maps = std::fs::read_to_string("/proc/self/maps").map_err(|source| ImageError::Read {
        path: "/proc/self/maps".into(),
        source,
    })?;
    let mut libs: Vec<&str> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.starts_with('/') && p.contains(".so"))
        .collect();
    libs.sort();
    libs.dedup();
    for lib in libs {
        files.push((
            PathBuf::from(lib),
            PathBuf::from(lib.trim_start_matches('/')),
        ));
    }
    Ok(files)
}

/// The PT_INTERP path of a 64-bit little-endian ELF file; `Some(None)` for a static one.
fn elf_interpreter(elf: &[u8]) -> Option<Option<String>> {
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 || elf[5] != 1 {
        return None;
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    let phoff = u64_at(0x20)? as usize;
    let phentsize = u16_at(0x36)? as usize;
    let phnum = u16_at(0x38)? as usize;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let kind = u32::from_le_bytes(elf.get(ph..ph + 4)?.try_into().ok()?);
        if kind == 3 {
            let off = u64_at(ph + 8)? as usize;
            let size = u64_at(ph + 32)? as usize;
            let raw = elf.get(off..off + size)?;
            let text = String::from_utf8_lossy(raw)
                .trim_end_matches('\0')
                .to_string();
            return Some(Some(text));
        }
    }
    Some(None)
}

/// Builds the tar build context: a Dockerfile and a root filesystem.
fn context(exe: &Path, tag: &str, kind: Kind) -> Result<Vec<u8>, ImageError> {
    let files = runtime_files(exe)?;
    let mut dirs: Vec<String> = files
        .iter()
        .skip(1)
        .filter_map(|(_, inside)| inside.parent().map(|p| format!("/{}", p.display())))
        .collect();
    dirs.sort();
    dirs.dedup();
    // The tag goes in first, so every image has a layer chain of its own: removing one
    // image (a test's cleanup) never deletes layers another build is reusing from cache.
    let libs = if dirs.is_empty() {
        String::new()
    } else {
        format!("ENV LD_LIBRARY_PATH={}\n", dirs.join(":"))
    };
    let run = match kind {
        Kind::Sample => {
            "EXPOSE 8088\nENTRYPOINT [\"/labgrade\", \"serve\"]\nCMD [\"--listen\", \"0.0.0.0:8088\"]\n"
        }
        Kind::Grader => "ENTRYPOINT [\"/labgrade\"]\nCMD [\"--help\"]\n",
    };
    let label = match kind {
        Kind::Sample => format!("{LABEL}.tag=\"{tag}\""),
        Kind::Grader => format!(
            "io.labgrade.image.tag=\"{tag}\" org.opencontainers.image.title=\"labgrade\" org.opencontainers.image.version=\"{}\"",
            env!("CARGO_PKG_VERSION")
        ),
    };
    let dockerfile = format!("FROM scratch\nLABEL {label}\nCOPY rootfs/ /\n{libs}{run}");
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8], mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_cksum();
        tar.append_data(&mut h, name, data)
    };
    let io = |e: std::io::Error| ImageError::Read {
        path: "build context".into(),
        source: e,
    };
    add("Dockerfile", dockerfile.as_bytes(), 0o644).map_err(io)?;
    for (host, inside) in &files {
        let data = std::fs::read(host).map_err(|source| ImageError::Read {
            path: host.display().to_string(),
            source,
        })?;
        add(&format!("rootfs/{}", inside.display()), &data, 0o755).map_err(io)?;
    }
    if kind == Kind::Sample {
        // `python`, `flask`, `uvicorn`, `node` on the PATH Docker gives an image without
        // one: labgrade started under those names stands in for them (`--entrypoint flask`).
        for name in crate::sample::frameworks::PROGRAMS {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            h.set_mode(0o777);
            tar.append_link(&mut h, format!("rootfs/usr/local/bin/{name}"), "/labgrade")
                .map_err(io)?;
        }
    }
    tar.into_inner().map_err(io)
}

/// Builds the sample image from the labgrade program at `exe` and tags it `tag`.
pub async fn build(daemon: &Daemon, exe: &Path, tag: &str) -> Result<(), ImageError> {
    build_kind(
        daemon,
        exe,
        tag,
        Kind::Sample,
        &HashMap::from([(LABEL, "1")]),
    )
    .await
}

/// Builds an image of `kind` from the labgrade program at `exe`, tagged `tag` and
/// carrying `labels`.
pub async fn build_kind(
    daemon: &Daemon,
    exe: &Path,
    tag: &str,
    kind: Kind,
    labels: &HashMap<&str, &str>,
) -> Result<(), ImageError> {
    let body = context(exe, tag, kind)?;
    // Built afresh every time: two builds of the same sample (tests in parallel) would
    // otherwise stand on one cached intermediate image, which removing either's image
    // prunes from under the other ("unable to find image sha256:...").
    let settings = crate::observe::build::BuildSettings {
        nocache: true,
        ..Default::default()
    };
    crate::observe::build::build_tar_with(daemon, body, tag, labels, &settings, &Default::default())
        .await
        .map(|_| ())
        .map_err(|f| ImageError::Build {
            tag: tag.into(),
            detail: f.problem,
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_our_interpreter() {
        let exe = std::fs::read("/proc/self/exe").unwrap();
        let interp = super::elf_interpreter(&exe).unwrap();
        if let Some(i) = interp {
            assert!(std::path::Path::new(&i).exists(), "{i}");
        }
        assert_eq!(super::elf_interpreter(b"not an elf"), None);
    }
}
