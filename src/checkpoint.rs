//! Checkpoints: a training run's state in one safetensors file.
//!
//! A checkpoint is a list of named parts (a generator, its optimiser, an EMA,
//! ...), each [`Stateful`]: it names its tensors (stored as f32, keyed
//! "{part}.{name}", e.g. "generator.0.weight") and its counters (stored as u64
//! scalars, e.g. "opt_g.0.step"). Free-form text such as the step or the RNG
//! seed goes in the file's metadata.
//!
//! **Saving is atomic**: the file is written under a temporary name in the same
//! directory, flushed to disk, then renamed over the target, so a crash leaves
//! either the old checkpoint or the new one, never a torn file.
//!
//! **Loading is all or nothing**: every expected tensor is looked up and its
//! type, shape and checksum checked before any value is written. A missing
//! tensor, a wrong shape or damaged bytes is an error that names the tensor and
//! the file, and the model keeps its values. safetensors itself has no
//! checksums, so each tensor's FNV-1a hash is saved in the metadata; that is
//! what catches a flipped bit in the data. Loading writes into the existing
//! tensors in place, so optimisers keep pointing at the parameters.

use crate::nn::Module;
use crate::tensor::Tensor;
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Something a checkpoint can save and restore.
pub trait Stateful {
    /// The tensors that make up the state, by name. Loading writes into these
    /// same tensors, in place.
    fn state_tensors(&self) -> Vec<(String, Tensor)>;

    /// Counters that make up the state (an optimiser's step counts).
    fn state_counters(&self) -> Vec<(String, u64)> {
        Vec::new()
    }

    /// Restores the counters, given in the order `state_counters` names them.
    fn restore_counters(&mut self, values: &[u64]) {
        assert!(values.is_empty(), "this object keeps no counters, but {} were restored", values.len());
    }
}

/// A module's state: its parameters, then its buffers; its counters are the
/// positions of its random layers' seed streams (dropout, noise injection), so
/// a resumed run draws the masks and noise it would have drawn.
impl<M: Module + ?Sized> Stateful for M {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        module_tensors(self)
    }

    fn state_counters(&self) -> Vec<(String, u64)> {
        module_counters(self)
    }

    fn restore_counters(&mut self, values: &[u64]) {
        restore_module_counters(self, values);
    }
}

fn module_tensors(module: &(impl Module + ?Sized)) -> Vec<(String, Tensor)> {
    let mut all = module.named_parameters();
    all.extend(module.named_buffers());
    all
}

fn module_counters(module: &(impl Module + ?Sized)) -> Vec<(String, u64)> {
    module.named_seed_streams().into_iter().map(|(name, stream)| (format!("{name}.drawn"), stream.drawn())).collect()
}

/// Seed streams advance through `&self`, so a module shared by reference can be restored.
fn restore_module_counters(module: &(impl Module + ?Sized), values: &[u64]) {
    for ((_, stream), &value) in module.named_seed_streams().into_iter().zip(values) {
        stream.set_drawn(value);
    }
}

/// One named part of a checkpoint: an object saved and restored through its
/// [`Stateful`] impl (`&mut`, since restoring its counters changes it), or a
/// module, whose tensors and seed streams are restored in place through `&`
/// (so a model handed out as `&dyn Module` can be loaded).
pub enum Part<'a> {
    State(&'a mut dyn Stateful),
    Module(&'a dyn Module),
}

/// Everything an object checkpoints, each part under its name: one list that
/// both saving and loading walk, so the two cannot disagree.
pub type Parts<'a> = Vec<(&'a str, Part<'a>)>;

impl Part<'_> {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        match self {
            Part::State(state) => state.state_tensors(),
            Part::Module(module) => module_tensors(*module),
        }
    }

    fn state_counters(&self) -> Vec<(String, u64)> {
        match self {
            Part::State(state) => state.state_counters(),
            Part::Module(module) => module_counters(*module),
        }
    }

    fn restore_counters(self, values: &[u64]) {
        match self {
            Part::State(state) => state.restore_counters(values),
            Part::Module(module) => restore_module_counters(module, values),
        }
    }
}

/// Why a checkpoint could not be saved or loaded. Every variant names the file;
/// those about one tensor name it too.
#[derive(Debug)]
pub enum CheckpointError {
    /// Reading or writing the file failed.
    Io { path: PathBuf, source: io::Error },
    /// The file is not a readable safetensors file (truncated, or a damaged header).
    Unreadable { path: PathBuf, reason: String },
    /// A tensor's bytes differ from the checksum saved with them.
    Corrupt { path: PathBuf, tensor: String },
    /// The model has a tensor the file lacks.
    Missing { path: PathBuf, tensor: String },
    /// The file has a tensor, under a part being loaded, that the model lacks.
    Unexpected { path: PathBuf, tensor: String },
    /// A tensor's shape in the file differs from the model's.
    ShapeMismatch { path: PathBuf, tensor: String, expected: Vec<usize>, found: Vec<usize> },
    /// A tensor's element type in the file is not the one expected.
    DtypeMismatch { path: PathBuf, tensor: String, expected: Dtype, found: Dtype },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use CheckpointError::*;
        match self {
            Io { path, source } => write!(f, "checkpoint {}: {source}", path.display()),
            Unreadable { path, reason } => {
                write!(
                    f,
                    "checkpoint {} is not a readable safetensors file (truncated or damaged?): {reason}",
                    path.display()
                )
            }
            Corrupt { path, tensor } => write!(
                f,
                "checkpoint {}: tensor `{tensor}` is corrupt (its bytes do not match the checksum saved with them)",
                path.display()
            ),
            Missing { path, tensor } => {
                write!(f, "checkpoint {} has no tensor `{tensor}` (saved from a different model?)", path.display())
            }
            Unexpected { path, tensor } => {
                write!(
                    f,
                    "checkpoint {} has a tensor `{tensor}` that the model lacks (saved from a different model?)",
                    path.display()
                )
            }
            ShapeMismatch { path, tensor, expected, found } => write!(
                f,
                "checkpoint {}: tensor `{tensor}` has shape {found:?}, but the model's has shape {expected:?}",
                path.display()
            ),
            DtypeMismatch { path, tensor, expected, found } => {
                write!(f, "checkpoint {}: tensor `{tensor}` holds {found:?}, expected {expected:?}", path.display())
            }
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Metadata keys starting with this are the checkpoint's own (checksums).
const RESERVED: &str = "ganforge.";

fn checksum_key(tensor: &str) -> String {
    format!("{RESERVED}fnv1a64.{tensor}")
}

/// The 64-bit FNV-1a hash: xor in each byte, multiply by the FNV prime. Not
/// cryptographic, but any flipped bit changes it.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// One entry of the file about to be written.
struct Entry {
    name: String,
    dtype: Dtype,
    shape: Vec<usize>,
    bytes: Vec<u8>,
}

/// Collects parts and metadata, then writes them: `Saver::new().part("generator",
/// &g).part("opt_g", &opt).meta("step", 1000).save(path)`.
/// A part's state as it will be written: tensor handles (read back at `save`)
/// and counter values.
type PartState = (String, Vec<(String, Tensor)>, Vec<(String, u64)>);

#[derive(Default)]
pub struct Saver {
    parts: Vec<PartState>,
    metadata: BTreeMap<String, String>,
}

impl Saver {
    pub fn new() -> Saver {
        Saver::default()
    }

    /// Adds an object's state under `name` (its entries become "{name}.{entry}").
    pub fn part(mut self, name: &str, state: &dyn Stateful) -> Saver {
        self.parts.push((name.to_string(), state.state_tensors(), state.state_counters()));
        self
    }

    /// Adds a module's state (parameters, buffers, seed streams) under `name`.
    pub fn module(mut self, name: &str, module: &dyn Module) -> Saver {
        self.parts.push((name.to_string(), module_tensors(module), module_counters(module)));
        self
    }

    /// Adds every part of a list (a family's networks and optimisers).
    pub fn parts(mut self, parts: Parts) -> Saver {
        for (name, part) in parts {
            self.parts.push((name.to_string(), part.state_tensors(), part.state_counters()));
        }
        self
    }

    /// Adds a metadata entry (text; numbers are written in decimal).
    pub fn meta(mut self, key: &str, value: impl ToString) -> Saver {
        assert!(!key.starts_with(RESERVED), "metadata keys starting with `{RESERVED}` are reserved");
        self.metadata.insert(key.to_string(), value.to_string());
        self
    }

    /// Reads every tensor back from the GPU and writes the file atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        let mut entries = Vec::new();
        for (part, tensors, counters) in &self.parts {
            for (name, t) in tensors {
                let bytes = bytemuck::cast_slice(&t.to_vec()).to_vec();
                entries.push(Entry {
                    name: format!("{part}.{name}"),
                    dtype: Dtype::F32,
                    shape: t.shape().to_vec(),
                    bytes,
                });
            }
            for (name, value) in counters {
                let bytes = value.to_le_bytes().to_vec();
                entries.push(Entry { name: format!("{part}.{name}"), dtype: Dtype::U64, shape: vec![], bytes });
            }
        }
        let mut seen = HashSet::new();
        for entry in &entries {
            assert!(seen.insert(&entry.name), "checkpoint {}: two entries are named `{}`", path.display(), entry.name);
        }

        let mut metadata: HashMap<String, String> = self.metadata.clone().into_iter().collect();
        for entry in &entries {
            metadata.insert(checksum_key(&entry.name), format!("{:016x}", fnv1a64(&entry.bytes)));
        }
        let views = entries.iter().map(|e| {
            let view = TensorView::new(e.dtype, e.shape.clone(), &e.bytes).expect("entry bytes match their shape");
            (e.name.as_str(), view)
        });
        let io_error = |source| CheckpointError::Io { path: path.to_path_buf(), source };
        let bytes = safetensors::serialize(views, Some(metadata)).map_err(|e| io_error(io::Error::other(e)))?;
        write_atomically(path, &bytes).map_err(io_error)
    }
}

/// Writes `bytes` to a temporary file beside `path`, flushes it to disk, and
/// renames it over `path` (then flushes the directory, so the rename persists).
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file_name =
        path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let temporary = dir.join(format!(".{}.{}.tmp", file_name.to_string_lossy(), std::process::id()));
    let written = (|| {
        let mut file = File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        sync_directory(dir)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(unix)]
fn sync_directory(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_directory(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// Restores parts from a file: `Loader::new().part("generator", &mut g)
/// .part("opt_g", &mut opt).load(path)` returns the metadata. Parts of the
/// file not named here are ignored (load only a generator to sample from it).
#[derive(Default)]
pub struct Loader<'a> {
    parts: Vec<(String, Part<'a>)>,
}

impl<'a> Loader<'a> {
    pub fn new() -> Loader<'a> {
        Loader::default()
    }

    /// Restores an object's state from the entries "{name}.*".
    pub fn part(mut self, name: &str, state: &'a mut dyn Stateful) -> Loader<'a> {
        self.parts.push((name.to_string(), Part::State(state)));
        self
    }

    /// Restores a module's state (see `Saver::module`) in place.
    pub fn module(mut self, name: &str, module: &'a dyn Module) -> Loader<'a> {
        self.parts.push((name.to_string(), Part::Module(module)));
        self
    }

    /// Restores every part of a list (a family's networks and optimisers).
    pub fn parts(mut self, parts: Parts<'a>) -> Loader<'a> {
        self.parts.extend(parts.into_iter().map(|(name, part)| (name.to_string(), part)));
        self
    }

    /// Validates every part against the file, then writes all values. Returns
    /// the metadata saved with `Saver::meta`.
    pub fn load(self, path: impl AsRef<Path>) -> Result<BTreeMap<String, String>, CheckpointError> {
        let path = path.as_ref();
        let bytes = fs::read(path).map_err(|source| CheckpointError::Io { path: path.to_path_buf(), source })?;
        let unreadable = |e: safetensors::SafeTensorError| CheckpointError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let file = SafeTensors::deserialize(&bytes).map_err(unreadable)?;
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(unreadable)?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let reader = Reader { path, file: &file, metadata: &metadata };

        // Validate everything first...
        let mut tensor_writes = Vec::new();
        let mut counter_values = Vec::new();
        for (part, state) in &self.parts {
            let mut expected = HashSet::new();
            for (name, t) in state.state_tensors() {
                let key = format!("{part}.{name}");
                let data = reader.entry(&key, Dtype::F32, t.shape())?;
                tensor_writes.push((t, bytemuck::pod_collect_to_vec::<u8, f32>(data)));
                expected.insert(key);
            }
            let mut values = Vec::new();
            for (name, _) in state.state_counters() {
                let key = format!("{part}.{name}");
                let data = reader.entry(&key, Dtype::U64, &[])?;
                values.push(u64::from_le_bytes(data.try_into().expect("a u64 scalar is 8 bytes")));
                expected.insert(key);
            }
            counter_values.push(values);
            let prefix = format!("{part}.");
            if let Some(extra) = file.names().into_iter().find(|n| n.starts_with(&prefix) && !expected.contains(*n)) {
                return Err(CheckpointError::Unexpected { path: path.to_path_buf(), tensor: extra.to_string() });
            }
        }
        // ...then write: nothing below can fail.
        for (t, values) in tensor_writes {
            t.write_(&values);
        }
        for ((_, state), values) in self.parts.into_iter().zip(counter_values) {
            state.restore_counters(&values);
        }
        Ok(metadata.into_iter().filter(|(key, _)| !key.starts_with(RESERVED)).collect())
    }
}

/// Looks entries up in a parsed file, checking each one.
struct Reader<'a> {
    path: &'a Path,
    file: &'a SafeTensors<'a>,
    metadata: &'a HashMap<String, String>,
}

impl<'a> Reader<'a> {
    /// The bytes of entry `key`, after checking its type, shape and checksum.
    fn entry(&self, key: &str, dtype: Dtype, shape: &[usize]) -> Result<&'a [u8], CheckpointError> {
        let path = self.path.to_path_buf();
        let tensor = key.to_string();
        let Ok(view) = self.file.tensor(key) else { return Err(CheckpointError::Missing { path, tensor }) };
        if view.dtype() != dtype {
            return Err(CheckpointError::DtypeMismatch { path, tensor, expected: dtype, found: view.dtype() });
        }
        if view.shape() != shape {
            let found = view.shape().to_vec();
            return Err(CheckpointError::ShapeMismatch { path, tensor, expected: shape.to_vec(), found });
        }
        // A file written by another program may have no checksums; ours always do.
        if let Some(saved) = self.metadata.get(&checksum_key(key)) {
            if *saved != format!("{:016x}", fnv1a64(view.data())) {
                return Err(CheckpointError::Corrupt { path, tensor });
            }
        }
        Ok(view.data())
    }
}
