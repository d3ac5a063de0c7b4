//! The training loop, the same for every family (see `family.rs`): it calls
//! the family's step, and around it keeps a CSV log with a column per named
//! loss, sample pictures, loss plots, an EMA of the generator, atomic
//! checkpoints, exact resume, and a divergence guard.
//!
//! Only losses are read back from the GPU, and only at logging steps: reading
//! a value waits for all queued work, which would stall the pipeline every step.
//!
//! Exact resume: every random choice of training comes from three places, and
//! a checkpoint saves each one's position: the run's stream (`rng`, a ChaCha
//! generator whose word position is saved), the data's shuffles and flips
//! (replayed from the record of drawn batches), and the random layers' seed
//! streams (saved with their modules). Pictures and evaluation draw from
//! their own stream, seeded by the step, so logging never changes training.

use super::config::TrainConfig;
use super::families::{self, DataShape};
use super::family::{DataStream, Family, Player, Sampler, StepContext};
use super::prior::Prior;
use crate::checkpoint::{CheckpointError, Loader, Saver};
use crate::data::dataset;
use crate::data::mixtures::Mixture;
use crate::data::DataError;
use crate::metrics::classifier::weights_path;
use crate::metrics::modes::{evaluate_modes, ModeReport};
use crate::metrics::report::{scoring_dataset, Evaluator};
use crate::nn::Module;
use crate::optim::{Ema, LrSchedule};
use crate::viz::{grid, plot};
use crate::{no_grad, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Samples in a picture grid (8 x 8), points in a 2D evaluation (VEEGAN's
/// protocol), and images in a periodic evaluation on digits.
const GRID_SAMPLES: usize = 64;
const EVAL_POINTS: usize = 2500;
const EVAL_IMAGES: usize = 1000;
/// The log's columns of a periodic evaluation on digits.
const SCORE_COLUMNS: [&str; 5] = ["fid", "inception_score", "precision", "recall", "classes_covered"];
/// A loss this large has left any sensible range: the run is diverging even
/// if it has not reached infinity yet.
const DIVERGED_LOSS: f32 = 1e6;
/// What a picture or evaluation draws at a step, each from its own stream
/// (seeded by run seed, step and this salt), never from the run's stream.
#[derive(Clone, Copy)]
enum PictureDraw {
    /// The latents of a 2D evaluation.
    Latents = 0x5049_4354,
    /// The real points drawn beside them.
    RealPoints,
    /// The latents of a periodic evaluation on digits.
    EvalImages,
}
const CHECKPOINT: &str = "checkpoint.safetensors";
const LOG: &str = "log.csv";

#[derive(Debug)]
pub enum TrainError {
    Config(String),
    Data(DataError),
    Checkpoint(CheckpointError),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A loss became NaN, infinite or larger than `DIVERGED_LOSS`, or a weight non-finite.
    Diverged {
        step: usize,
        losses: Vec<(String, f32)>,
        last_checkpoint: Option<PathBuf>,
    },
}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrainError::Config(message) => write!(f, "{message}"),
            TrainError::Data(e) => write!(f, "{e}"),
            TrainError::Checkpoint(e) => write!(f, "{e}"),
            TrainError::Io { path, error } => write!(f, "could not write {}: {error}", path.display()),
            TrainError::Diverged { step, losses, last_checkpoint } => {
                let values: Vec<String> = losses.iter().map(|(name, v)| format!("{name} {v}")).collect();
                write!(f, "training diverged at step {step}: {}. ", values.join(", "))?;
                match last_checkpoint {
                    Some(path) => write!(
                        f,
                        "The last good checkpoint is {}: resume from it with a lower learning rate \
                         (ganforge train --resume {} --lr <smaller>).",
                        path.display(),
                        path.display()
                    ),
                    None => write!(f, "No checkpoint was written yet; start again with a lower learning rate."),
                }
            }
        }
    }
}

impl std::error::Error for TrainError {}

impl From<DataError> for TrainError {
    fn from(e: DataError) -> Self {
        TrainError::Data(e)
    }
}

impl From<CheckpointError> for TrainError {
    fn from(e: CheckpointError) -> Self {
        TrainError::Checkpoint(e)
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |error| TrainError::Io { path: path.to_path_buf(), error }
}

/// One logged step: the losses read back, for 2D data the mode report, and
/// at evaluation steps the scores (named as `SCORE_COLUMNS`).
#[derive(Clone, Debug, PartialEq)]
pub struct LogRow {
    pub step: usize,
    pub losses: Vec<(String, f32)>,
    pub modes: Option<ModeReport>,
    pub scores: Option<Vec<f64>>,
}

impl LogRow {
    /// The loss logged under `name`.
    pub fn loss(&self, name: &str) -> Option<f32> {
        self.losses.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }
}

/// What a resumed run may change: the rest of the config defines the run.
/// None keeps the checkpoint's value.
#[derive(Clone, Debug, Default)]
pub struct ResumeChanges {
    pub steps: Option<usize>,
    pub lr_d: Option<f32>,
    pub lr_g: Option<f32>,
    /// The run folder; by default the checkpoint's own folder.
    pub out: Option<PathBuf>,
    pub dataset: Option<String>,
}

pub struct Trainer {
    pub config: TrainConfig,
    family: Box<dyn Family>,
    /// The generator's moving average and a second generator to sample it with.
    ema: Option<(Ema, Box<dyn Sampler>)>,
    data: DataStream,
    shape: DataShape,
    /// The run's random stream: every step's latents, labels and noise.
    rng: ChaCha12Rng,
    /// The latent prior the pictures and evaluations sample.
    prior: Prior,
    /// The learning-rate schedule applied to every optimiser before each step.
    schedule: LrSchedule,
    /// Each optimiser's rate as its family set it (in `optimizers()` order):
    /// what the schedule scales, so a family's own correction (StyleGAN2's
    /// lazy regularisation) survives it.
    starting_rates: Vec<f32>,
    /// Steps completed.
    pub step: usize,
    pub history: Vec<LogRow>,
    /// The same latent vectors (and labels) for every sample grid, so the grids show progress.
    fixed_z: Tensor,
    fixed_labels: Option<Vec<usize>>,
    last_checkpoint: Option<PathBuf>,
    /// The shipped classifier and the real digits' features, when `eval_every` > 0.
    evaluator: Option<Evaluator>,
}

impl Trainer {
    /// A fresh run. Refuses a run folder that already holds a run: use
    /// `resume` to continue it or `overwrite` to start it again.
    pub fn new(config: TrainConfig) -> Result<Trainer, TrainError> {
        let trainer = Trainer::build(config)?;
        let out = &trainer.config.out;
        if let Some(existing) = [CHECKPOINT, LOG].iter().map(|f| out.join(f)).find(|p| p.exists()) {
            return Err(TrainError::Config(format!(
                "{} already holds a run ({} exists): continue it with --resume {}, start it again with \
                 --overwrite, or choose another --out",
                out.display(),
                existing.display(),
                out.join(CHECKPOINT).display()
            )));
        }
        trainer.prepare_run_folder()?;
        Ok(trainer)
    }

    /// A fresh run that replaces whatever run the folder holds (its log,
    /// checkpoint and sample pictures).
    pub fn overwrite(config: TrainConfig) -> Result<Trainer, TrainError> {
        let trainer = Trainer::build(config)?;
        let out = &trainer.config.out;
        for file in [CHECKPOINT, LOG, "losses.png", "interpolation.png"] {
            remove_if_present(&out.join(file))?;
        }
        let samples = out.join("samples");
        if samples.exists() {
            std::fs::remove_dir_all(&samples).map_err(io_error(&samples))?;
        }
        trainer.prepare_run_folder()?;
        Ok(trainer)
    }

    /// Creates the run folder, writes its config.txt, and removes temporary
    /// files left by a checkpoint write that was killed.
    fn prepare_run_folder(&self) -> Result<(), TrainError> {
        let out = &self.config.out;
        std::fs::create_dir_all(out.join("samples")).map_err(io_error(out))?;
        for entry in std::fs::read_dir(out).map_err(io_error(out))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(&format!(".{CHECKPOINT}.")) && name.ends_with(".tmp") {
                remove_if_present(&entry.path())?;
            }
        }
        self.write_file("config.txt", self.config.to_text().as_bytes())
    }

    /// Everything `new` does except touching the run folder: checks the
    /// config, the GPU and the data, then builds the family.
    fn build(config: TrainConfig) -> Result<Trainer, TrainError> {
        config.validate().map_err(TrainError::Config)?;
        let gpu = crate::gpu::try_device().map_err(|e| TrainError::Config(e.to_string()))?;
        let (size, channels) = families::folder_image_size(&config);
        let data = dataset::open(&config.dataset, size, channels, config.seed)?;
        match data.example_count() {
            Some(0) => return Err(TrainError::Config(format!("the dataset {} holds no examples", data.describe()))),
            Some(len) if len < config.batch => {
                return Err(TrainError::Config(format!(
                    "batch {} is larger than the dataset ({len} examples): use --batch {len} or less",
                    config.batch
                )))
            }
            _ => {}
        }
        let shape = DataShape { item_shape: data.item_shape().to_vec(), classes: data.classes() };
        let batch_values = config.batch * shape.item_shape.iter().product::<usize>();
        gpu.check_fits(batch_values).map_err(|e| TrainError::Config(e.to_string()))?;
        let mut family = families::build(&config, &shape).map_err(TrainError::Config)?;
        let starting_rates = family.optimizers().iter().map(|(_, optimizer)| optimizer.learning_rate()).collect();
        let ema = if config.ema > 0.0 {
            let average = families::sampler(&config, &shape).map_err(TrainError::Config)?;
            Some((Ema::new(family.sampler().generator(), config.ema), average))
        } else {
            None
        };
        let evaluator = match (config.eval_every, scoring_dataset(&config.dataset)) {
            (0, _) => None,
            (_, None) => {
                return Err(TrainError::Config(format!(
                    "--eval-every scores MNIST or Fashion-MNIST images with their classifier; no classifier \
                     knows --dataset {}: leave it at 0",
                    config.dataset
                )))
            }
            (_, Some(scoring)) => {
                Some(Evaluator::new(scoring, &weights_path(scoring)).map_err(|e| TrainError::Config(e.to_string()))?)
            }
        };
        // The fixed latents are the first draws of the run's stream.
        let mut rng = ChaCha12Rng::seed_from_u64(config.seed);
        let prior = Prior::parse(&config.prior).map_err(TrainError::Config)?;
        let schedule = LrSchedule::parse(&config.lr_schedule).map_err(TrainError::Config)?;
        let fixed_z = prior.sample(GRID_SAMPLES, family.sampler().latent_dim(), &mut rng);
        let fixed_labels =
            family.sampler().classes().map(|classes| (0..GRID_SAMPLES).map(|i| (i / 8) % classes).collect());
        Ok(Trainer {
            family,
            ema,
            data: DataStream::new(data),
            shape,
            rng,
            prior,
            schedule,
            starting_rates,
            step: 0,
            history: Vec::new(),
            fixed_z,
            fixed_labels,
            last_checkpoint: None,
            evaluator,
            config,
        })
    }

    /// The config a checkpoint was trained with.
    pub fn checkpoint_config(checkpoint: &Path) -> Result<TrainConfig, TrainError> {
        let metadata = Loader::new().load(checkpoint)?;
        config_from(&metadata, checkpoint)
    }

    /// A trainer continuing the run a checkpoint holds, exactly where it
    /// stopped: weights, optimiser state, EMA, step and every random stream.
    /// The log is cut back to the checkpoint's step. Changes (learning rates,
    /// steps, folder, dataset path) are appended to the folder's resumes.txt
    /// and returned as text.
    pub fn resume(checkpoint: &Path, changes: &ResumeChanges) -> Result<(Trainer, Vec<String>), TrainError> {
        let original = Trainer::checkpoint_config(checkpoint)?;
        let mut config = original.clone();
        config.steps = changes.steps.unwrap_or(config.steps);
        config.lr_d = changes.lr_d.unwrap_or(config.lr_d);
        config.lr_g = changes.lr_g.unwrap_or(config.lr_g);
        config.dataset = changes.dataset.clone().unwrap_or(config.dataset);
        // The checkpoint's own folder, wherever the run was started from.
        let folder = checkpoint.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        config.out = changes.out.clone().unwrap_or_else(|| folder.to_path_buf());
        let mut trainer = Trainer::build(config)?;
        trainer.load_checkpoint(checkpoint)?;
        if trainer.step > trainer.config.steps {
            return Err(TrainError::Config(format!(
                "the checkpoint is at step {}, past --steps {}: give more steps",
                trainer.step, trainer.config.steps
            )));
        }
        let noted: Vec<String> = original
            .differences(&trainer.config)
            .into_iter()
            .map(|(key, was, now)| format!("{key}: {was} -> {now}"))
            .collect();
        trainer.prepare_run_folder()?;
        if !noted.is_empty() {
            let path = trainer.config.out.join("resumes.txt");
            let mut file =
                std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io_error(&path))?;
            writeln!(file, "resumed at step {}: {}", trainer.step, noted.join("; ")).map_err(io_error(&path))?;
        }
        let log = trainer.config.out.join(LOG);
        trainer.history = truncate_log(&log, trainer.step)?;
        Ok((trainer, noted))
    }

    /// The generator to sample from: the EMA generator when there is one,
    /// with the average copied into it first (a few copy kernels, and only
    /// when pictures or scores are made, never per step).
    pub fn sampling_model(&self) -> &dyn Sampler {
        match &self.ema {
            Some((ema, average)) => {
                ema.copy_to(average.generator());
                average.as_ref()
            }
            None => self.family.sampler(),
        }
    }

    /// The family being trained.
    pub fn family(&self) -> &dyn Family {
        self.family.as_ref()
    }

    /// The data being trained on.
    pub fn dataset(&self) -> &dyn dataset::Dataset {
        self.data.dataset()
    }

    /// One training step of the family; returns its named losses, still on the GPU.
    pub fn step(&mut self) -> Vec<(&'static str, Tensor)> {
        // A constant schedule leaves the rates alone (and so any set by `set_learning_rates`).
        if self.schedule != LrSchedule::Constant {
            let factor = self.schedule.factor(self.step, self.config.steps);
            for ((_, optimizer), start) in self.family.optimizers().into_iter().zip(&self.starting_rates) {
                optimizer.set_learning_rate(start * factor);
            }
        }
        let mut ctx =
            StepContext { step: self.step, total_steps: self.config.steps, data: &mut self.data, rng: &mut self.rng };
        let losses = self.family.step(&mut ctx);
        if let Some((ema, _)) = &self.ema {
            ema.update(self.family.sampler().generator(), self.step);
        }
        self.step += 1;
        losses
    }

    /// Trains until `config.steps`, calling `on_log` after every logged step.
    /// Writes samples, plots and checkpoints on the way and at the end.
    pub fn run(&mut self, mut on_log: impl FnMut(&LogRow)) -> Result<(), TrainError> {
        while self.step < self.config.steps {
            let losses = self.step();
            let last = self.step == self.config.steps;
            let checkpoint_due = self.step.is_multiple_of(self.config.checkpoint_every) || last;
            let sample_due = self.step.is_multiple_of(self.config.sample_every) || last;
            let eval_due = self.evaluator.is_some() && (self.step.is_multiple_of(self.config.eval_every) || last);
            if self.step.is_multiple_of(self.config.log_every) || checkpoint_due || sample_due || eval_due {
                // One readback for every loss.
                let scalars: Vec<Tensor> = losses.iter().map(|(_, t)| t.reshape(&[1])).collect();
                let values = Tensor::concat(&scalars.iter().collect::<Vec<_>>(), 0).to_vec();
                let losses: Vec<(String, f32)> =
                    losses.iter().zip(values).map(|((name, _), v)| (name.to_string(), v)).collect();
                let mut row = LogRow { step: self.step, losses, modes: None, scores: None };
                // A checkpoint must hold good weights: the losses were computed
                // before this step's updates, so check the updated weights too.
                let losses_ok = row.losses.iter().all(|(_, v)| v.is_finite() && v.abs() <= DIVERGED_LOSS);
                if !(losses_ok && (!checkpoint_due || self.parameters_finite())) {
                    return Err(TrainError::Diverged {
                        step: self.step,
                        losses: row.losses,
                        last_checkpoint: self.last_checkpoint.clone(),
                    });
                }
                if sample_due {
                    row.modes = self.write_samples()?;
                }
                if eval_due {
                    row.scores = Some(self.scores()?);
                }
                self.append_log(&row)?;
                on_log(&row);
                self.history.push(row);
            }
            if checkpoint_due {
                let path = self.config.out.join(CHECKPOINT);
                self.save_checkpoint(&path)?;
                self.last_checkpoint = Some(path);
            }
        }
        self.write_plots()
    }

    /// Whether every trained weight is finite: NaN and infinity survive a
    /// sum, so one reduction per tensor and one readback answer it.
    fn parameters_finite(&mut self) -> bool {
        let parameters: Vec<Tensor> =
            self.family.optimizers().into_iter().flat_map(|(_, optimizer)| optimizer.parameters()).collect();
        let sums: Vec<Tensor> = no_grad(|| parameters.iter().map(|p| p.sum_all().reshape(&[1])).collect());
        Tensor::concat(&sums.iter().collect::<Vec<_>>(), 0).to_vec().iter().all(|v| v.is_finite())
    }

    /// Every optimiser's side and current learning rate.
    pub fn learning_rates(&mut self) -> Vec<(Player, f32)> {
        self.family.optimizers().into_iter().map(|(player, optimizer)| (player, optimizer.learning_rate())).collect()
    }

    /// Changes the players' learning rates for the following steps.
    pub fn set_learning_rates(&mut self, lr_d: f32, lr_g: f32) {
        for (player, optimizer) in self.family.optimizers() {
            optimizer.set_learning_rate(if player == Player::Discriminator { lr_d } else { lr_g });
        }
    }

    fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), TrainError> {
        let path = self.config.out.join(name);
        std::fs::write(&path, bytes).map_err(io_error(&path))
    }

    /// Appends a row to log.csv, writing the header (step, each loss's name,
    /// and the mode columns for 2D data) when the file is new.
    fn append_log(&self, row: &LogRow) -> Result<(), TrainError> {
        let path = self.config.out.join(LOG);
        let new = !path.exists();
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io_error(&path))?;
        let mixture = self.data.dataset().mixture().is_some();
        let mut line = String::new();
        if new {
            line.push_str("step");
            for (name, _) in &row.losses {
                line.push(',');
                line.push_str(name);
            }
            if mixture {
                line.push_str(",modes,high_quality");
            }
            if self.evaluator.is_some() {
                line.push_str(&format!(",{}", SCORE_COLUMNS.join(",")));
            }
            line.push('\n');
        }
        line.push_str(&row.step.to_string());
        for (_, value) in &row.losses {
            line.push_str(&format!(",{value}"));
        }
        if mixture {
            match &row.modes {
                Some(report) => line.push_str(&format!(",{},{}", report.modes_covered, report.high_quality_fraction)),
                None => line.push_str(",,"),
            }
        }
        if self.evaluator.is_some() {
            match &row.scores {
                Some(scores) => scores.iter().for_each(|v| line.push_str(&format!(",{v}"))),
                None => line.push_str(&",".repeat(SCORE_COLUMNS.len())),
            }
        }
        writeln!(file, "{line}").map_err(io_error(&path))
    }

    /// The (EMA) generator's scores at this step on `EVAL_IMAGES` samples,
    /// in the order of `SCORE_COLUMNS`.
    fn scores(&self) -> Result<Vec<f64>, TrainError> {
        let Some(evaluator) = &self.evaluator else { return Ok(Vec::new()) };
        let mut rng = self.picture_rng(self.step, PictureDraw::EvalImages);
        let (images, labels) = sample_many(self.sampling_model(), self.prior, EVAL_IMAGES, &mut rng);
        let report = evaluator.evaluate(&images, labels.as_deref()).map_err(|e| TrainError::Config(e.to_string()))?;
        let pr = report.precision_recall;
        Ok(vec![report.fid, report.inception_score.mean, pr.precision, pr.recall, report.coverage.covered as f64])
    }

    /// The random stream of one kind of picture draw at a step.
    fn picture_rng(&self, step: usize, draw: PictureDraw) -> ChaCha12Rng {
        let salt = draw as u64;
        ChaCha12Rng::seed_from_u64(self.config.seed ^ salt ^ (step as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The latents a 2D evaluation at `step` samples (so a test can recompute it).
    pub fn evaluation_latents(&self, step: usize) -> Tensor {
        let dim = self.family.sampler().latent_dim();
        self.prior.sample(EVAL_POINTS, dim, &mut self.picture_rng(step, PictureDraw::Latents))
    }

    /// Samples of the (EMA) generator at the fixed latents: a picture grid for
    /// images; for 2D data a scatter over D's output, and the mode report; or
    /// the family's own picture when it has one.
    fn write_samples(&mut self) -> Result<Option<ModeReport>, TrainError> {
        let path = self.config.out.join(format!("samples/step_{:06}.png", self.step));
        if let Some((picture, per_row)) = self.family.picture() {
            save_images(&picture, per_row, &path)?;
            return Ok(None);
        }
        if let Some(mixture) = self.data.dataset().mixture().cloned() {
            let report = self.plot_points(&mixture, &path)?;
            return Ok(Some(report));
        }
        let images = sample_eval(self.sampling_model(), &self.fixed_z, self.fixed_labels.as_deref());
        save_images(&images, 8, &path)?;
        Ok(None)
    }

    /// Scatter of real and generated points over D's output (Goodfellow et
    /// al.'s Figure 1), and the VEEGAN/PacGAN mode report of the generated points.
    fn plot_points(&self, mixture: &Mixture, path: &Path) -> Result<ModeReport, TrainError> {
        let z = self.evaluation_latents(self.step);
        let fake: Vec<[f32; 2]> =
            sample_eval(self.sampling_model(), &z, None).to_vec().chunks(2).map(|p| [p[0], p[1]]).collect();
        let real = mixture.sample(EVAL_POINTS, &mut self.picture_rng(self.step, PictureDraw::RealPoints));
        let report = evaluate_modes(&fake, mixture);
        let bounds = plot::Bounds::square(mixture.view_half_width());
        let field = self.critic_field(bounds);
        let at = |x: f32, y: f32| field.as_ref().map_or(0.5, |f| f.at(x, y));
        let contour = field.as_ref().map(|_| &at as &dyn Fn(f32, f32) -> f32);
        plot::save_scatter_with_contour(&real, &fake, contour, bounds, path)?;
        Ok(report)
    }

    fn write_plots(&self) -> Result<(), TrainError> {
        let Some(first) = self.history.first() else { return Ok(()) };
        let series: Vec<(String, Vec<f32>)> = first
            .losses
            .iter()
            .map(|(name, _)| (name.clone(), self.history.iter().filter_map(|r| r.loss(name)).collect()))
            .collect();
        let curves: Vec<(&str, &[f32])> = series.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
        plot::save_loss_curves(&curves, self.config.out.join("losses.png"))?;
        let fid: Vec<f32> = self.history.iter().filter_map(|r| Some(r.scores.as_ref()?[0] as f32)).collect();
        if !fid.is_empty() {
            plot::save_loss_curves(&[("FID", &fid)], self.config.out.join("fid.png"))?;
        }
        let latent_images = self.data.dataset().mixture().is_none() && self.family.sampler().image_input().is_none();
        if latent_images {
            let strip = latent_interpolation(self.sampling_model(), &self.fixed_z, self.fixed_labels.as_deref());
            save_images(&strip, 10, &self.config.out.join("interpolation.png"))?;
        }
        self.write_page()
    }

    /// The run folder's index.html: latest scores, plots, sample grids, config.
    fn write_page(&self) -> Result<(), TrainError> {
        let out = &self.config.out;
        let mut pictures: Vec<String> = ["losses.png", "fid.png", "interpolation.png"]
            .into_iter()
            .filter(|name| out.join(name).exists())
            .map(String::from)
            .collect();
        let samples = out.join("samples");
        let mut grids: Vec<String> = std::fs::read_dir(&samples)
            .map_err(io_error(&samples))?
            .flatten()
            .map(|entry| format!("samples/{}", entry.file_name().to_string_lossy()))
            .filter(|name| name.ends_with(".png"))
            .collect();
        grids.sort();
        pictures.extend(grids);
        let mut scores: Vec<(String, String)> = Vec::new();
        if let Some(row) = self.history.iter().rev().find(|r| r.scores.is_some() || r.modes.is_some()) {
            scores.push(("step".into(), row.step.to_string()));
            if let Some(values) = &row.scores {
                scores.extend(SCORE_COLUMNS.iter().zip(values).map(|(n, v)| (n.to_string(), format!("{v:.4}"))));
            }
            if let Some(modes) = &row.modes {
                scores.push(("modes covered".into(), modes.modes_covered.to_string()));
                scores.push(("high quality".into(), format!("{:.1}%", 100.0 * modes.high_quality_fraction)));
            }
        }
        let title = format!("{} on {}, {} steps", self.config.model, self.config.dataset, self.step);
        let page = crate::viz::run_page::RunPage {
            title: &title,
            config: &self.config.to_text(),
            scores: &scores,
            pictures: &pictures,
        };
        self.write_file("index.html", page.to_html().as_bytes())
    }

    /// Writes the family's parts, the EMA, the step, the run's random streams
    /// and the config, atomically.
    pub fn save_checkpoint(&mut self, path: &Path) -> Result<(), TrainError> {
        let mut saver = Saver::new()
            .parts(self.family.parts())
            .meta("step", self.step)
            .meta("config", self.config.to_text())
            .meta("rng_word_pos", self.rng.get_word_pos())
            .meta("batches_drawn", self.data.history())
            .meta("item_shape", format!("{:?}", self.shape.item_shape))
            .meta("classes", self.shape.classes.map_or(String::new(), |c| c.to_string()));
        if let Some((ema, _)) = &self.ema {
            saver = saver.part("ema", ema);
        }
        Ok(saver.save(path)?)
    }

    fn load_checkpoint(&mut self, path: &Path) -> Result<(), TrainError> {
        let mut loader = Loader::new().parts(self.family.parts());
        if let Some((ema, _)) = &mut self.ema {
            loader = loader.part("ema", ema);
        }
        let metadata = loader.load(path)?;
        let damaged =
            |key: &str| TrainError::Config(format!("{}: its {key} entry is missing or damaged", path.display()));
        self.step = metadata.get("step").and_then(|s| s.parse().ok()).ok_or_else(|| damaged("step"))?;
        let word_pos: u128 =
            metadata.get("rng_word_pos").and_then(|s| s.parse().ok()).ok_or_else(|| damaged("rng_word_pos"))?;
        self.rng.set_word_pos(word_pos);
        let drawn = metadata.get("batches_drawn").ok_or_else(|| damaged("batches_drawn"))?;
        self.data.replay(drawn).map_err(TrainError::Config)?;
        self.last_checkpoint = Some(path.to_path_buf());
        Ok(())
    }
}

/// The config in a checkpoint's metadata.
fn config_from(metadata: &std::collections::BTreeMap<String, String>, path: &Path) -> Result<TrainConfig, TrainError> {
    let text = metadata.get("config").ok_or_else(|| {
        TrainError::Config(format!("{} has no training config: was it written by `ganforge train`?", path.display()))
    })?;
    TrainConfig::from_text(text).map_err(TrainError::Config)
}

/// Which of a checkpoint's generators to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GeneratorWeights {
    /// The moving average when the run kept one (`--ema`), else the trained weights.
    Averaged,
    /// The weights the optimiser trained, even when an average was kept.
    Trained,
}

/// The generator a checkpoint holds, built from the checkpoint's config
/// alone: the training data need not exist.
pub fn load_sampler(
    checkpoint: &Path,
    weights: GeneratorWeights,
) -> Result<(Box<dyn Sampler>, TrainConfig), TrainError> {
    let (config, shape) = checkpoint_shape(checkpoint)?;
    let sampler = families::sampler(&config, &shape).map_err(TrainError::Config)?;
    load_generator_weights(checkpoint, &config, sampler.generator(), weights)?;
    Ok((sampler, config))
}

/// Loads a checkpoint's generator weights into `generator`, a fresh
/// generator built from the checkpoint's `config`.
pub fn load_generator_weights(
    checkpoint: &Path,
    config: &TrainConfig,
    generator: &dyn Module,
    weights: GeneratorWeights,
) -> Result<(), TrainError> {
    if config.ema > 0.0 && weights == GeneratorWeights::Averaged {
        // The averaged weights are saved under the generator's own names.
        let mut average = Ema::new(generator, config.ema);
        Loader::new().part("ema", &mut average).load(checkpoint)?;
        average.copy_to(generator);
    } else {
        Loader::new().module("generator", generator).load(checkpoint)?;
    }
    Ok(())
}

/// Every network and optimiser of the family a checkpoint holds, built from
/// its config alone (what needs more than the generator: inversion from an
/// encoder).
pub fn load_family(checkpoint: &Path) -> Result<(Box<dyn Family>, TrainConfig), TrainError> {
    let (mut family, config) = initial_family(checkpoint)?;
    Loader::new().parts(family.parts()).load(checkpoint)?;
    Ok((family, config))
}

/// The family of a checkpoint's run as it was before its first step: the
/// same config and seed, so the same initial weights (the untrained
/// baseline a trained network is compared with).
pub fn initial_family(checkpoint: &Path) -> Result<(Box<dyn Family>, TrainConfig), TrainError> {
    let (config, shape) = checkpoint_shape(checkpoint)?;
    let family = families::build(&config, &shape).map_err(TrainError::Config)?;
    Ok((family, config))
}

/// The config and data shape a checkpoint was trained with; also checks that
/// there is a GPU adapter to build networks on.
pub fn checkpoint_shape(checkpoint: &Path) -> Result<(TrainConfig, DataShape), TrainError> {
    let metadata = Loader::new().load(checkpoint)?;
    let config = config_from(&metadata, checkpoint)?;
    let damaged =
        || TrainError::Config(format!("{}: its item_shape entry is missing or damaged", checkpoint.display()));
    let item_shape = metadata
        .get("item_shape")
        .and_then(|s| s.trim_matches(['[', ']']).split(',').map(|d| d.trim().parse().ok()).collect())
        .ok_or_else(damaged)?;
    let classes = metadata.get("classes").and_then(|c| c.parse().ok());
    crate::gpu::try_device().map_err(|e| TrainError::Config(e.to_string()))?;
    Ok((config, DataShape { item_shape, classes }))
}

fn remove_if_present(path: &Path) -> Result<(), TrainError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(TrainError::Io { path: path.into(), error }),
        _ => Ok(()),
    }
}

/// G's samples in eval mode (batch norm with running statistics), without a graph.
pub fn sample_eval(model: &dyn Sampler, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
    model.generator().eval();
    let samples = no_grad(|| model.generate(z, labels));
    model.generator().train();
    samples
}

/// `n` samples of a generator [n, ...] with latents from `prior`, drawn 500
/// at a time in eval mode; a conditional one cycles through its classes
/// (sample i is asked for class i mod classes), and those labels come back too.
pub fn sample_many(model: &dyn Sampler, prior: Prior, n: usize, rng: &mut impl Rng) -> (Tensor, Option<Vec<usize>>) {
    const CHUNK: usize = 500;
    let labels: Option<Vec<usize>> = model.classes().map(|classes| (0..n).map(|i| i % classes).collect());
    let chunks: Vec<Tensor> = (0..n.div_ceil(CHUNK))
        .map(|chunk| {
            let range = chunk * CHUNK..n.min((chunk + 1) * CHUNK);
            let z = prior.sample(range.len(), model.latent_dim(), rng);
            sample_eval(model, &z, labels.as_ref().map(|labels| &labels[range]))
        })
        .collect();
    (Tensor::concat(&chunks.iter().collect::<Vec<_>>(), 0), labels)
}

/// Ten images along the straight line between the first two fixed latents.
fn latent_interpolation(model: &dyn Sampler, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
    let (a, b) = (z.narrow(0, 0, 1), z.narrow(0, 1, 2));
    let weights = Tensor::from_vec((0..10).map(|i| i as f32 / 9.0).collect(), &[10, 1]);
    let line = a.add(&weights.mul(&b.sub(&a))); // [10, latent]
    let labels: Option<Vec<usize>> = labels.map(|l| vec![l[0]; 10]);
    sample_eval(model, &line, labels.as_deref())
}

/// Saves images [N, C, H, W] in [-1, 1] as a grid with `per_row` images a
/// row, as PNG or JPEG by the file's extension.
pub fn save_images(images: &Tensor, per_row: usize, path: &Path) -> Result<(), TrainError> {
    let [n, c, h, w] = images.shape() else {
        return Err(TrainError::Config(format!("pictures need [N, C, H, W], got {:?}", images.shape())));
    };
    Ok(grid::save_grid(&images.to_vec(), *n, *c, *h, *w, per_row, path)?)
}

/// D's output, mapped to [0, 1] by the family, on a 128 x 128 lattice over
/// `bounds`, computed in one batch; looked up per pixel by the scatter plot.
struct Field {
    values: Vec<f32>,
    bounds: plot::Bounds,
}

const LATTICE: usize = 128;

impl Trainer {
    /// The family's critic over the plot, or None when it has no single critic.
    fn critic_field(&self, bounds: plot::Bounds) -> Option<Field> {
        let mut points = Vec::with_capacity(LATTICE * LATTICE * 2);
        for row in 0..LATTICE {
            for col in 0..LATTICE {
                let x = bounds.x_min + (bounds.x_max - bounds.x_min) * col as f32 / (LATTICE - 1) as f32;
                let y = bounds.y_min + (bounds.y_max - bounds.y_min) * row as f32 / (LATTICE - 1) as f32;
                points.extend([x, y]);
            }
        }
        let grid = Tensor::from_vec(points, &[LATTICE * LATTICE, 2]);
        let values = no_grad(|| self.family.critic_on(&grid))?.to_vec();
        Some(Field { values, bounds })
    }
}

impl Field {
    /// The nearest lattice value to (x, y).
    fn at(&self, x: f32, y: f32) -> f32 {
        let b = &self.bounds;
        let index = |v: f32, lo: f32, hi: f32| {
            (((v - lo) / (hi - lo) * (LATTICE - 1) as f32).round().clamp(0.0, (LATTICE - 1) as f32)) as usize
        };
        self.values[index(y, b.y_min, b.y_max) * LATTICE + index(x, b.x_min, b.x_max)]
    }
}

/// Cuts an existing log.csv back to the rows up to `step` (a run that went on
/// past its last checkpoint logged steps that will now be trained again) and
/// returns them, so a resumed run's plot shows the whole curve.
fn truncate_log(path: &Path, step: usize) -> Result<Vec<LogRow>, TrainError> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(Vec::new()) };
    let mut lines = text.lines();
    let Some(header) = lines.next() else { return Ok(Vec::new()) };
    let not_losses = |n: &&str| ["modes", "high_quality"].contains(n) || SCORE_COLUMNS.contains(n);
    let names: Vec<&str> = header.split(',').skip(1).filter(|n| !not_losses(n)).collect();
    let mut kept = format!("{header}\n");
    let mut rows = Vec::new();
    for line in lines {
        let mut fields = line.split(',');
        let Some(row_step) = fields.next().and_then(|s| s.parse::<usize>().ok()) else { continue };
        if row_step > step {
            continue;
        }
        let losses = names.iter().zip(fields).map(|(n, v)| (n.to_string(), v.parse().unwrap_or(f32::NAN))).collect();
        rows.push(LogRow { step: row_step, losses, modes: None, scores: None });
        kept.push_str(line);
        kept.push('\n');
    }
    std::fs::write(path, kept).map_err(io_error(path))?;
    Ok(rows)
}
