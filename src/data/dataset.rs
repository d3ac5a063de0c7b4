//! `Dataset`: the examples a GAN learns from, handed out as batches on the GPU.
//!
//! Image datasets are small enough here to live in memory as f32 in [-1, 1]
//! (the range of a tanh generator); each step gathers one shuffled batch on the
//! CPU and uploads it in one copy. The 2D mixtures are sampled afresh each
//! step.

use super::batches::BatchSampler;
use super::mixtures::Mixture;
use super::{folder, idx, DataError};
use crate::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

/// The embedded default dataset: 5,000 MNIST digits (see data/README.md).
const MNIST5K_IMAGES: &[u8] = include_bytes!("../../data/mnist5k-images-idx3-ubyte.gz");
const MNIST5K_LABELS: &[u8] = include_bytes!("../../data/mnist5k-labels-idx1-ubyte.gz");

/// One batch: the examples [N, ...item_shape] and their class labels, if any.
pub struct Batch {
    pub x: Tensor,
    pub labels: Option<Vec<usize>>,
}

pub trait Dataset {
    /// A short description for logs.
    fn describe(&self) -> String;
    /// The shape of one example: [C, H, W] for images, [2] for points.
    fn item_shape(&self) -> &[usize];
    /// Number of classes when examples are labelled.
    fn classes(&self) -> Option<usize>;
    /// The number of examples, or None for data sampled afresh each batch.
    fn example_count(&self) -> Option<usize>;
    /// The next batch of `size` examples.
    fn next_batch(&mut self, size: usize) -> Batch;
    /// Draws the next batch and throws it away: a resumed run replays the
    /// batches its first part drew, so its shuffles and flips continue exactly.
    fn skip_batch(&mut self, size: usize) {
        self.next_batch(size);
    }
    /// The known distribution the examples come from, for the 2D mixtures
    /// (their samples are scored against its modes); None for real data.
    fn mixture(&self) -> Option<&Mixture> {
        None
    }
}

/// Examples held in memory, served in shuffled batches.
pub struct InMemory {
    name: String,
    values: Vec<f32>,
    labels: Option<Vec<usize>>,
    item_shape: Vec<usize>,
    classes: Option<usize>,
    sampler: Option<BatchSampler>,
    seed: u64,
    /// Mirror each image left-right with probability 1/2.
    flip: Option<StdRng>,
}

impl InMemory {
    pub fn new(name: String, values: Vec<f32>, labels: Option<Vec<usize>>, item_shape: Vec<usize>, seed: u64) -> Self {
        let classes = labels.as_ref().map(|l| l.iter().max().map_or(0, |&m| m + 1));
        InMemory { name, values, labels, item_shape, classes, sampler: None, seed, flip: None }
    }

    /// Turns on random horizontal flips (for image folders).
    pub fn with_random_flips(mut self) -> Self {
        self.flip = Some(StdRng::seed_from_u64(self.seed ^ 0xF11F));
        self
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.item_shape.iter().product::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every example's values, one after another (row-major, [len, ...item_shape]).
    pub fn values(&self) -> &[f32] {
        &self.values
    }

    /// The images [C, H, W] framed by `border` pixels on every side with the
    /// value -1 (MNIST's black background in [-1, 1]): MNIST's 28x28 digits
    /// padded to 32x32 for nets that need a power-of-two size (ProGAN).
    pub fn padded(self, border: usize) -> InMemory {
        let &[channels, height, width] = self.item_shape.as_slice() else {
            panic!("padded: images must be [C, H, W], got {:?}", self.item_shape)
        };
        let (tall, wide) = (height + 2 * border, width + 2 * border);
        let mut values = vec![-1.0; self.len() * channels * tall * wide];
        for (plane, source) in self.values.chunks(height * width).enumerate() {
            for (row, pixels) in source.chunks(width).enumerate() {
                let start = plane * tall * wide + (row + border) * wide + border;
                values[start..start + width].copy_from_slice(pixels);
            }
        }
        let name = format!("{}-{tall}", self.name);
        InMemory { name, values, item_shape: vec![channels, tall, wide], sampler: None, ..self }
    }

    /// Every example's class label, when the dataset has labels.
    pub fn labels(&self) -> Option<&[usize]> {
        self.labels.as_deref()
    }

    /// The random choices of one batch: which examples, and which to mirror.
    fn draw(&mut self, size: usize) -> (Vec<usize>, Vec<bool>) {
        let len = self.len();
        let sampler = self.sampler.get_or_insert_with(|| BatchSampler::new(len, size, self.seed));
        let indices = sampler.next_batch().to_vec();
        let flips = match self.flip.as_mut() {
            Some(rng) => indices.iter().map(|_| rng.random_bool(0.5)).collect(),
            None => vec![false; indices.len()],
        };
        (indices, flips)
    }
}

impl Dataset for InMemory {
    fn describe(&self) -> String {
        format!("{} ({} examples of shape {:?})", self.name, self.len(), self.item_shape)
    }

    fn item_shape(&self) -> &[usize] {
        &self.item_shape
    }

    fn classes(&self) -> Option<usize> {
        self.classes
    }

    fn example_count(&self) -> Option<usize> {
        Some(self.len())
    }

    fn next_batch(&mut self, size: usize) -> Batch {
        let (indices, flips) = self.draw(size);
        let item: usize = self.item_shape.iter().product();
        let mut x = Vec::with_capacity(size * item);
        for (&i, &flip) in indices.iter().zip(&flips) {
            let start = x.len();
            x.extend_from_slice(&self.values[i * item..(i + 1) * item]);
            if flip {
                folder::flip_horizontal(&mut x[start..], *self.item_shape.last().unwrap());
            }
        }
        let mut shape = vec![size];
        shape.extend_from_slice(&self.item_shape);
        let labels = self.labels.as_ref().map(|l| indices.iter().map(|&i| l[i]).collect());
        Batch { x: Tensor::from_vec(x, &shape), labels }
    }

    fn skip_batch(&mut self, size: usize) {
        self.draw(size);
    }
}

/// Points from a 2D Gaussian mixture, freshly sampled for every batch.
pub struct MixtureData {
    mixture: Mixture,
    name: &'static str,
    rng: StdRng,
}

impl MixtureData {
    /// Points of `mixture` (called `name`), drawn from a generator seeded with `seed`.
    pub fn new(name: &'static str, mixture: Mixture, seed: u64) -> MixtureData {
        MixtureData { mixture, name, rng: StdRng::seed_from_u64(seed) }
    }
}

impl Dataset for MixtureData {
    fn describe(&self) -> String {
        format!("{} ({} Gaussians, std {})", self.name, self.mixture.means.len(), self.mixture.std)
    }

    fn item_shape(&self) -> &[usize] {
        &[2]
    }

    fn classes(&self) -> Option<usize> {
        None
    }

    fn mixture(&self) -> Option<&Mixture> {
        Some(&self.mixture)
    }

    fn example_count(&self) -> Option<usize> {
        None
    }

    fn next_batch(&mut self, size: usize) -> Batch {
        let points = self.mixture.sample(size, &mut self.rng);
        Batch { x: Tensor::from_vec(points.concat(), &[size, 2]), labels: None }
    }

    /// The same draws, left on the CPU.
    fn skip_batch(&mut self, size: usize) {
        self.mixture.sample(size, &mut self.rng);
    }
}

/// The embedded MNIST subset as [1, 28, 28] images with labels.
pub fn mnist5k(seed: u64) -> Result<InMemory, DataError> {
    let images = idx::read_idx_images_from_bytes(MNIST5K_IMAGES, "embedded mnist5k images")?;
    let labels = idx::read_idx_labels_from_bytes(MNIST5K_LABELS, "embedded mnist5k labels")?;
    Ok(mnist_dataset("mnist5k".into(), images, Some(labels), seed))
}

/// MNIST-format IDX files: the images file, with labels read from the
/// matching `*labels-idx1-ubyte*` file beside it when there is one.
pub fn mnist_files(images_path: &Path, seed: u64) -> Result<InMemory, DataError> {
    let images = idx::read_idx_images(images_path)?;
    let labels_path = labels_file_for(images_path);
    let labels = match labels_path.filter(|p| p.exists()) {
        Some(path) => Some(idx::read_idx_labels(path)?),
        None => None,
    };
    if let Some(l) = &labels {
        if l.len() != images.count {
            return Err(DataError::InvalidArgument(format!(
                "{} holds {} images but its labels file holds {} labels",
                images_path.display(),
                images.count,
                l.len()
            )));
        }
    }
    Ok(mnist_dataset(images_path.display().to_string(), images, labels, seed))
}

fn labels_file_for(images_path: &Path) -> Option<PathBuf> {
    let name = images_path.file_name()?.to_str()?;
    name.contains("images-idx3").then(|| images_path.with_file_name(name.replace("images-idx3", "labels-idx1")))
}

fn mnist_dataset(name: String, images: idx::Images, labels: Option<Vec<u8>>, seed: u64) -> InMemory {
    let shape = vec![1, images.rows, images.cols];
    let labels = labels.map(|l| l.into_iter().map(usize::from).collect());
    InMemory::new(name, images.to_signed_unit_f32(), labels, shape, seed)
}

/// Every PNG/JPEG in a folder, resized and centre-cropped to size x size.
pub fn image_folder(dir: &Path, size: u32, channels: usize, seed: u64) -> Result<InMemory, DataError> {
    let files = folder::list_images(dir)?;
    let mut values = Vec::new();
    for file in &files {
        values.extend(folder::load(file, size, channels)?);
    }
    let shape = vec![channels, size as usize, size as usize];
    Ok(InMemory::new(dir.display().to_string(), values, None, shape, seed).with_random_flips())
}

/// Where Debian's `dataset-fashion-mnist` package installs Fashion-MNIST
/// (Xiao, Rasul and Vollgraf 2017: 60,000 + 10,000 28x28 images of clothing,
/// ten classes, in MNIST's IDX format).
pub const FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Fashion-MNIST's training images (with labels) from `dir`, or a message
/// that says how to install them.
pub fn fashion_mnist(dir: &Path, part: &str, seed: u64) -> Result<InMemory, DataError> {
    let path = ["", ".gz"].iter().map(|ext| dir.join(format!("{part}-images-idx3-ubyte{ext}"))).find(|p| p.exists());
    let Some(path) = path else {
        return Err(DataError::InvalidArgument(format!(
            "Fashion-MNIST not found: {} has no {part}-images-idx3-ubyte[.gz]; install it with \
             `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or put the four IDX files there",
            dir.display()
        )));
    };
    mnist_files(&path, seed)
}

/// The dataset named on the command line: `mnist5k`, `fashion`, `stacked-mnist`,
/// `mnist:<images file>`, `folder:<dir>`, `pairs:<dir>` (pix2pix's A|B
/// pictures), `unpaired:<dir>` (CycleGAN's trainA/ and trainB/), `ring` or `grid`; `mnist5k-32` and
/// `fashion-32` are the first two padded to 32x32 with background. Image folders are loaded at
/// `image_size` with `channels` channels.
pub fn open(spec: &str, image_size: u32, channels: usize, seed: u64) -> Result<Box<dyn Dataset>, DataError> {
    let mixture = |name, mixture| Box::new(MixtureData::new(name, mixture, seed));
    Ok(match spec {
        "mnist5k" => Box::new(mnist5k(seed)?),
        "mnist5k-32" => Box::new(mnist5k(seed)?.padded(2)),
        "fashion" => Box::new(fashion_mnist(Path::new(FASHION_DIR), "train", seed)?),
        "fashion-32" => Box::new(fashion_mnist(Path::new(FASHION_DIR), "train", seed)?.padded(2)),
        "stacked-mnist" => Box::new(super::stacked_mnist::StackedMnist::new(seed)?),
        "ring" => mixture("ring", Mixture::ring()),
        "grid" => mixture("grid", Mixture::grid()),
        _ => match spec.split_once(':') {
            Some(("mnist", path)) => Box::new(mnist_files(Path::new(path), seed)?),
            Some(("folder", path)) => Box::new(image_folder(Path::new(path), image_size, channels, seed)?),
            Some(("pairs", path)) => Box::new(super::pairs::paired(Path::new(path), seed)?),
            Some(("unpaired", path)) => Box::new(super::pairs::Unpaired::open(Path::new(path), "train", seed)?),
            _ => {
                return Err(DataError::InvalidArgument(format!(
                    "unknown dataset {spec:?}: use mnist5k, mnist5k-32, fashion, fashion-32, stacked-mnist, mnist:<path to images idx file>, folder:<dir>, pairs:<dir> (A|B pictures), unpaired:<dir> (trainA/, trainB/), ring or grid"
                )))
            }
        },
    })
}
