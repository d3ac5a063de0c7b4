//! Reading SVG files (and a data file) straight out of an npm package tarball.
//!
//! `npm pack NAME@VERSION` downloads a package as one `.tgz`: a gzip-compressed
//! tar archive whose paths all start with `package/`. The emoji sets are read
//! from it directly, with no unpacking to disk and no npm at render time.
//! A file that is not such a tarball, or one of another package, is refused
//! with a message naming the package expected and the command that gets it.

use super::idx::GZIP_MAGIC;
use super::DataError;
use flate2::read::GzDecoder;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// An npm package that a renderer reads, as `npm pack` names it.
#[derive(Debug, Clone, Copy)]
pub struct Package {
    /// `name@version`, e.g. `openmoji@17.0.0`.
    pub spec: &'static str,
}

/// OpenMoji 17: line art in `package/black/svg/`, colour in `package/color/svg/`.
pub const OPENMOJI: Package = Package { spec: "openmoji@17.0.0" };

/// Twemoji 15 as SVG: the colour emoji directly in `package/`.
pub const TWEMOJI: Package = Package { spec: "@twemoji/svg@15.0.0" };

/// SVG sources by file name without `.svg` (for emoji: the code points).
pub type Svgs = BTreeMap<String, Vec<u8>>;

/// Reads the `.svg` files that lie directly in each of `folders` (paths inside
/// the archive, e.g. `package/black/svg`) of the tarball at `path`, one map
/// per folder. Fails if the file is missing, is not a gzip-compressed tar
/// archive, or holds no SVG in one of the folders.
pub fn read_svg_folders(path: &Path, package: Package, folders: &[&str]) -> Result<Vec<Svgs>, DataError> {
    let folder_of =
        |entry: &Path| entry.parent().and_then(|parent| folders.iter().position(|f| Path::new(f) == parent));
    let is_svg = |entry: &Path| entry.extension().is_some_and(|e| e == "svg");
    let mut found = vec![Svgs::new(); folders.len()];
    for (entry, svg) in read_entries(path, package, |entry| is_svg(entry) && folder_of(entry).is_some())? {
        let (Some(folder), Some(name)) = (folder_of(&entry), entry.file_stem().and_then(|n| n.to_str())) else {
            continue;
        };
        found[folder].insert(name.to_string(), svg);
    }
    if let Some((folder, _)) = folders.iter().zip(&found).find(|(_, svgs)| svgs.is_empty()) {
        return Err(not_package(path, package, format!("holds no .svg files in {folder}/")));
    }
    Ok(found)
}

/// The one file at `inside` (e.g. `package/data/openmoji.csv`) of the tarball at `path`.
pub fn read_file(path: &Path, package: Package, inside: &str) -> Result<Vec<u8>, DataError> {
    let mut entries = read_entries(path, package, |entry| entry == Path::new(inside))?;
    entries.pop().map(|(_, bytes)| bytes).ok_or_else(|| not_package(path, package, format!("holds no {inside}")))
}

/// Every file of the tarball at `path` whose path inside it `keep` accepts,
/// with its bytes, in archive order.
fn read_entries(
    path: &Path,
    package: Package,
    keep: impl Fn(&Path) -> bool,
) -> Result<Vec<(PathBuf, Vec<u8>)>, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Read { path: path.to_path_buf(), source })?;
    if !bytes.starts_with(&GZIP_MAGIC) {
        return Err(not_package(path, package, "not a gzip file".into()));
    }
    let corrupt = |error: std::io::Error| not_package(path, package, format!("corrupt gzip or tar data ({error})"));
    let mut kept = Vec::new();
    let mut archive = tar::Archive::new(GzDecoder::new(bytes.as_slice()));
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let entry_path = entry.path().map_err(corrupt)?.into_owned();
        if keep(&entry_path) {
            let mut contents = Vec::new();
            entry.read_to_end(&mut contents).map_err(corrupt)?;
            kept.push((entry_path, contents));
        }
    }
    Ok(kept)
}

fn not_package(path: &Path, package: Package, problem: String) -> DataError {
    DataError::NotPackage { path: path.to_path_buf(), problem, package: package.spec }
}
