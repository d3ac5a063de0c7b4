//! The tile table `ganforge bench --tune` measured, kept in the user's cache
//! folder: one small text file per adapter, named by a hash of the adapter's
//! name, backend and driver (a driver update can change which tile is
//! fastest, so it gets a fresh file), and holding that key in full:
//!
//! ```text
//! # GEMM blockings measured on this adapter by `ganforge bench --tune`.
//! adapter: llvmpipe (LLVM 15.0.6, 256 bits) | Vulkan | Mesa 22.3.6
//! thin: 16x1 inv, 1x4 blk
//! both-short: 8x8 inv, 2x2 blk
//! ...
//! ```
//!
//! A blocking is read back only if it is one of `bench::sweep_blockings`:
//! those the tune times and the correctness tests cover on every adapter.
//!
//! The folder: `GANFORGE_CACHE_DIR` if set, else the platform's cache folder
//! (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
//! `%LOCALAPPDATA%` on Windows) with `ganforge/` inside.

use super::tiles::{ShapeClass, TileTable};
use crate::bench::{blocking_label, sweep_blockings};
use std::path::{Path, PathBuf};

/// The folder the tile files live in, or None where no home is known.
pub fn folder() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("GANFORGE_CACHE_DIR") {
        return Some(dir);
    }
    let base = if cfg!(target_os = "windows") {
        var("LOCALAPPDATA")
    } else if cfg!(target_os = "macos") {
        var("HOME").map(|home| home.join("Library/Caches"))
    } else {
        var("XDG_CACHE_HOME").or_else(|| var("HOME").map(|home| home.join(".cache")))
    };
    base.map(|dir| dir.join("ganforge"))
}

/// What identifies an adapter for tiling: name, backend and driver.
pub fn adapter_key(info: &wgpu::AdapterInfo) -> String {
    // Trimmed as the file's lines are when read back: SwiftShader's driver
    // info is empty, and a key ending in a space never matched its own file.
    format!("{} | {:?} | {}", info.name, info.backend, info.driver_info).trim().to_string()
}

/// The file for the adapter with `key` in `folder`: `tiles-<FNV-1a hash>.txt`.
pub fn file_in(folder: &Path, key: &str) -> PathBuf {
    let hash = key.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    folder.join(format!("tiles-{hash:016x}.txt"))
}

/// The cached table of this adapter and its file; None when there is none.
/// A file that cannot be used is an error saying why and what to do.
pub fn read(info: &wgpu::AdapterInfo) -> Result<Option<(TileTable, PathBuf)>, String> {
    let Some(folder) = folder() else { return Ok(None) };
    let key = adapter_key(info);
    let path = file_in(&folder, &key);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the tile cache {}: {e}", path.display())),
    };
    let table = parse(&text, &key, TileTable::built_in(info)).map_err(|why| {
        format!("tile cache {}: {why}; delete it or run `ganforge bench --tune` again", path.display())
    })?;
    Ok(Some((table, path)))
}

/// The table in a cache file's text, for the adapter with `key`; classes the
/// file leaves out keep `base`'s blocking.
pub fn parse(text: &str, key: &str, base: TileTable) -> Result<TileTable, String> {
    let candidates = sweep_blockings();
    let mut table = base;
    let mut adapter = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let Some((name, value)) = line.split_once(':').map(|(n, v)| (n.trim(), v.trim())) else {
            return Err(format!("line {line:?} is not `name: value`"));
        };
        if name == "adapter" {
            adapter = Some(value);
            continue;
        }
        let class = ShapeClass::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| format!("unknown shape class {name:?}"))?;
        let blocking = candidates
            .iter()
            .find(|&&b| blocking_label(b) == value)
            .ok_or_else(|| format!("{value:?} is not a blocking this adapter can run"))?;
        table = table.with(class, *blocking);
    }
    match adapter {
        Some(found) if found == key => Ok(table),
        Some(found) => Err(format!("it was measured on {found:?}, not on {key:?}")),
        None => Err("it names no adapter".into()),
    }
}

/// The text of a cache file holding `table` for the adapter with `key`.
pub fn format(table: &TileTable, key: &str) -> String {
    let mut text = String::from("# GEMM blockings measured on this adapter by `ganforge bench --tune`.\n");
    text += &format!("adapter: {key}\n");
    for class in ShapeClass::ALL {
        text += &format!("{}: {}\n", class.name(), blocking_label(table.for_class(class)));
    }
    text
}

/// Writes `table` as this adapter's cache file (atomically); returns its path.
pub fn write(info: &wgpu::AdapterInfo, table: &TileTable) -> Result<PathBuf, String> {
    let folder = folder().ok_or("no cache folder: set GANFORGE_CACHE_DIR (or HOME)")?;
    std::fs::create_dir_all(&folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    let key = adapter_key(info);
    let path = file_in(&folder, &key);
    let partial = path.with_extension("partial");
    std::fs::write(&partial, format(table, &key))
        .and_then(|()| std::fs::rename(&partial, &path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
