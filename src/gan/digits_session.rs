//! DCGAN on the embedded digits, trained step by step under someone else's
//! control (the browser playground's MNIST mode, or a test), its state read
//! back without blocking.
//!
//! It is `ganforge train --model dcgan --dataset mnist5k`, not a copy: the
//! reference network dcgan28 (`models/dcgan.rs`), the step of
//! `families/pair.rs`, the digits embedded in the crate (`data::dataset::mnist5k`),
//! and the trainer's grid of samples at fixed latents, drawn first from the
//! run's random stream as the trainer draws them, so the same settings give
//! the trainer's losses step by step. What it adds is the split a page needs:
//! `step` only records GPU work (`live_run.rs`), and `view` gathers the grid
//! and the losses into one tensor that [`PendingDigitsView::read`] awaits.

use crate::data::dataset::{mnist5k, Dataset};
use crate::gan::config::TrainConfig;
use crate::gan::families::pair::Pair;
use crate::gan::families::DataShape;
use crate::gan::family::{DataStream, Family};
use crate::gan::live_run::{loss_rows, LiveRun};
use crate::gan::prior::Prior;
use crate::gan::trainer::sample_eval;
use crate::viz::grid::grid_to_rgb;
use crate::Tensor;
use image::RgbImage;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

/// What a digits session lets one choose; the rest is dcgan28's reference
/// setting (the non-saturating loss, Adam with betas 0.5 and 0.999).
#[derive(Clone, Debug, PartialEq)]
pub struct DigitsSettings {
    pub lr_g: f32,
    pub lr_d: f32,
    pub batch: usize,
    pub seed: u64,
}

impl DigitsSettings {
    /// `ganforge train --model dcgan --dataset mnist5k`'s settings.
    pub fn defaults() -> DigitsSettings {
        let config = reference_config();
        DigitsSettings { lr_g: config.lr_g, lr_d: config.lr_d, batch: config.batch, seed: config.seed }
    }

    /// The run's config: the reference one with these settings.
    fn config(&self) -> TrainConfig {
        TrainConfig { lr_g: self.lr_g, lr_d: self.lr_d, batch: self.batch, seed: self.seed, ..reference_config() }
    }
}

fn reference_config() -> TrainConfig {
    TrainConfig::for_model("dcgan", "ns", "mnist5k")
}

/// DCGAN learning the digits.
pub struct DigitsSession {
    run: LiveRun,
    /// The latents of every view's grid, so the grid shows G's progress.
    fixed_z: Tensor,
}

impl DigitsSession {
    /// Samples in a view's grid.
    pub const GRID_SAMPLES: usize = 64;
    /// Samples in each row of the grid.
    pub const GRID_ROW: usize = 8;
    /// The largest batch a session takes: the activations of larger ones
    /// approach what a browser lets one GPU buffer hold (128 MiB by default).
    pub const MAX_BATCH: usize = 512;

    /// A fresh session; a bad setting is an error naming it.
    pub fn new(settings: &DigitsSettings) -> Result<DigitsSession, String> {
        let config = settings.config();
        config.validate()?;
        if config.batch > DigitsSession::MAX_BATCH {
            return Err(format!("batch = {}: choose at most {}", config.batch, DigitsSession::MAX_BATCH));
        }
        let data = mnist5k(config.seed).map_err(|e| e.to_string())?;
        let shape = DataShape { item_shape: data.item_shape().to_vec(), classes: data.classes() };
        let family = Pair::new(&config, &shape)?;
        // As in the trainer: the grid's latents are the first draws of the run's stream.
        let mut rng = ChaCha12Rng::seed_from_u64(config.seed);
        let latent = family.sampler().latent_dim();
        let fixed_z = Prior::parse(&config.prior)?.sample(DigitsSession::GRID_SAMPLES, latent, &mut rng);
        Ok(DigitsSession { run: LiveRun::new(family, DataStream::new(Box::new(data)), rng), fixed_z })
    }

    /// Records `n` training steps on the GPU and returns without waiting for them.
    pub fn step(&mut self, n: usize) {
        self.run.step(n);
    }

    /// Steps completed.
    pub fn steps(&self) -> usize {
        self.run.steps()
    }

    /// Records G's samples at the fixed latents (in eval mode, as the
    /// trainer's pictures), and the losses of the steps since the last view,
    /// as one tensor; await its `read`.
    pub fn view(&mut self) -> PendingDigitsView {
        let samples = sample_eval(self.run.family().sampler(), &self.fixed_z, None);
        let (first_step, losses) = self.run.take_losses();
        let mut parts = vec![samples.flatten(0)];
        parts.extend(losses);
        PendingDigitsView { all: Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0), first_step }
    }
}

/// A view computed on the GPU, not yet read.
pub struct PendingDigitsView {
    all: Tensor,
    first_step: usize,
}

/// What the page draws, on the CPU.
#[derive(Clone, Debug)]
pub struct DigitsView {
    /// The grid's samples [GRID_SAMPLES, 1, 28, 28] in [-1, 1], flattened.
    pub samples: Vec<f32>,
    /// (step, D loss, G loss) of every step since the previous view.
    pub losses: Vec<(usize, f32, f32)>,
}

impl PendingDigitsView {
    /// Reads the view back without blocking (one readback for all of it).
    pub async fn read(self) -> DigitsView {
        let values = self.all.to_vec_async().await;
        let (samples, losses) = values.split_at(DigitsSession::GRID_SAMPLES * 28 * 28);
        DigitsView { samples: samples.to_vec(), losses: loss_rows(self.first_step, losses) }
    }
}

impl DigitsView {
    /// The samples as the trainer's picture grid: `GRID_ROW` a row, black padding.
    pub fn grid(&self) -> RgbImage {
        let n = DigitsSession::GRID_SAMPLES;
        grid_to_rgb(&self.samples, n, 1, 28, 28, DigitsSession::GRID_ROW).expect("the grid's layout is fixed and valid")
    }

    /// The mean and standard deviation of the grid's pixel values (a page
    /// and its test see the grid change with them).
    pub fn mean_and_std(&self) -> (f32, f32) {
        let n = self.samples.len() as f64;
        let mean = self.samples.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
        let variance = self.samples.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
        (mean as f32, variance.sqrt() as f32)
    }
}
