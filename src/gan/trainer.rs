//! The training loop: Goodfellow et al.'s Algorithm 1 (k discriminator steps,
//! then one generator step), generalised with the literature's knobs: TTUR
//! learning rates, WGAN's clipping, WGAN-GP and R1 penalties, label smoothing,
//! instance noise, an EMA of the generator. Around it: a CSV log, sample
//! pictures, loss plots, atomic checkpoints, resume, and a divergence guard.
//!
//! Only losses are read back from the GPU, and only at logging steps: reading
//! a value waits for all queued work, which would stall the pipeline every step.

use super::config::TrainConfig;
use super::losses::Objective;
use super::models::{self, GanModel};
use super::penalties::{annealed_sigma, gradient_penalty, instance_noise, r1_penalty};
use crate::checkpoint::{CheckpointError, Loader, Saver, Stateful};
use crate::data::dataset::{self, Dataset};
use crate::data::mixtures::Mixture;
use crate::data::DataError;
use crate::metrics::modes::{evaluate_modes, ModeReport};
use crate::nn::Module;
use crate::optim::{clip_weights, Adam, Ema, Optimizer, RmsProp, Sgd};
use crate::viz::{grid, plot};
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Samples in a picture grid (8 x 8), and points in a 2D evaluation (VEEGAN's protocol).
const GRID_SAMPLES: usize = 64;
const EVAL_POINTS: usize = 2500;

#[derive(Debug)]
pub enum TrainError {
    Config(String),
    Data(DataError),
    Checkpoint(CheckpointError),
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// A loss became NaN or infinite.
    Diverged {
        step: usize,
        d_loss: f32,
        g_loss: f32,
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
            TrainError::Diverged { step, d_loss, g_loss, last_checkpoint } => {
                write!(f, "training diverged at step {step}: D loss {d_loss}, G loss {g_loss}. ")?;
                match last_checkpoint {
                    Some(path) => write!(
                        f,
                        "The last good checkpoint is {} (resume from it with a lower learning rate).",
                        path.display()
                    ),
                    None => write!(f, "No checkpoint was written yet; try a lower learning rate."),
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

/// One logged step: the losses read back, and for 2D data the mode report.
#[derive(Clone, Debug)]
pub struct LogRow {
    pub step: usize,
    pub d_loss: f32,
    pub g_loss: f32,
    pub modes: Option<ModeReport>,
}

pub struct Trainer {
    pub config: TrainConfig,
    objective: Objective,
    model: Box<dyn GanModel>,
    /// The generator's moving average and a second model to sample it with.
    ema: Option<(Ema, Box<dyn GanModel>)>,
    data: Box<dyn Dataset>,
    opt_d: Box<dyn Optimizer>,
    opt_g: Box<dyn Optimizer>,
    rng: StdRng,
    /// Steps completed (one step: `d_steps` D updates and one G update).
    pub step: usize,
    pub history: Vec<LogRow>,
    /// The same latent vectors (and labels) for every sample grid, so the grids show progress.
    fixed_z: Tensor,
    fixed_labels: Option<Vec<usize>>,
    last_checkpoint: Option<PathBuf>,
}

fn optimizer(config: &TrainConfig, parameters: Vec<Tensor>, lr: f32) -> Result<Box<dyn Optimizer>, TrainError> {
    Ok(match config.optimizer.as_str() {
        "adam" => Box::new(Adam::new(parameters, lr).betas(config.beta1, config.beta2)),
        "rmsprop" => Box::new(RmsProp::new(parameters, lr)),
        "sgd" => Box::new(Sgd::new(parameters, lr).momentum(config.beta1)),
        other => return Err(TrainError::Config(format!("unknown optimizer {other:?}: use adam, rmsprop or sgd"))),
    })
}

impl Trainer {
    /// Opens the dataset, builds the model and optimisers, and creates the run
    /// folder with its config.txt.
    pub fn new(config: TrainConfig) -> Result<Trainer, TrainError> {
        let trainer = Trainer::build(config)?;
        trainer.prepare_run_folder()?;
        Ok(trainer)
    }

    /// Creates the run folder and writes its config.txt.
    fn prepare_run_folder(&self) -> Result<(), TrainError> {
        let out = &self.config.out;
        std::fs::create_dir_all(out.join("samples")).map_err(|error| TrainError::Io { path: out.clone(), error })?;
        self.write_file("config.txt", self.config.to_text().as_bytes())
    }

    /// Everything `new` does except touching the run folder.
    fn build(config: TrainConfig) -> Result<Trainer, TrainError> {
        let objective = config.objective().map_err(TrainError::Config)?;
        if config.batch == 0 || config.d_steps == 0 || config.log_every == 0 {
            return Err(TrainError::Config("batch, d_steps and log_every must be at least 1".into()));
        }
        let (size, channels) = models::folder_image_size(&config.model);
        let data = dataset::open(&config.dataset, size, channels, config.seed)?;
        let build =
            || models::build(&config.model, data.item_shape(), data.classes(), config.seed).map_err(TrainError::Config);
        let model = build()?;
        let ema = if config.ema > 0.0 {
            let average = build()?;
            Some((Ema::new(model.generator(), config.ema), average))
        } else {
            None
        };
        let opt_d = optimizer(&config, model.discriminator().parameters(), config.lr_d)?;
        let opt_g = optimizer(&config, model.generator().parameters(), config.lr_g)?;
        let mut rng = StdRng::seed_from_u64(config.seed);
        let fixed_z = Tensor::randn_from(&[GRID_SAMPLES, model.latent_dim()], &mut rng);
        let fixed_labels = model.classes().map(|classes| (0..GRID_SAMPLES).map(|i| (i / 8) % classes).collect());
        Ok(Trainer {
            objective,
            model,
            ema,
            data,
            opt_d,
            opt_g,
            rng,
            step: 0,
            history: Vec::new(),
            fixed_z,
            fixed_labels,
            last_checkpoint: None,
            config,
        })
    }

    /// A trainer continuing from a checkpoint written by `save_checkpoint`:
    /// same config (with `steps` overridable), weights, optimiser state and
    /// step; the log continues where the checkpoint was taken.
    pub fn resume(checkpoint: &Path, steps: Option<usize>) -> Result<Trainer, TrainError> {
        let mut trainer = Trainer::load(checkpoint, steps)?;
        trainer.prepare_run_folder()?;
        trainer.history = truncate_log(&trainer.config.out.join("log.csv"), trainer.step)?;
        Ok(trainer)
    }

    /// The trainer a checkpoint holds, without touching its run folder (for
    /// sampling from it while its run goes on).
    pub fn load(checkpoint: &Path, steps: Option<usize>) -> Result<Trainer, TrainError> {
        let metadata = Loader::new().load(checkpoint)?;
        let text = metadata.get("config").ok_or_else(|| {
            TrainError::Config(format!(
                "{} has no training config: was it written by `ganforge train`?",
                checkpoint.display()
            ))
        })?;
        let mut config = TrainConfig::from_text(text).map_err(TrainError::Config)?;
        if let Some(steps) = steps {
            config.steps = steps;
        }
        let mut trainer = Trainer::build(config)?;
        trainer.load_checkpoint(checkpoint)?;
        trainer.rng = StdRng::seed_from_u64(trainer.config.seed ^ (trainer.step as u64).wrapping_mul(0x9E37_79B9));
        Ok(trainer)
    }

    pub fn model(&self) -> &dyn GanModel {
        self.model.as_ref()
    }

    /// The model to sample from: the EMA generator when there is one.
    pub fn sampling_model(&self) -> &dyn GanModel {
        match &self.ema {
            Some((_, average)) => average.as_ref(),
            None => self.model.as_ref(),
        }
    }

    fn latent(&mut self, n: usize) -> Tensor {
        Tensor::randn_from(&[n, self.model.latent_dim()], &mut self.rng)
    }

    fn random_labels(&mut self, n: usize) -> Option<Vec<usize>> {
        let classes = self.model.classes()?;
        Some((0..n).map(|_| self.rng.random_range(0..classes)).collect())
    }

    /// One discriminator update; returns its loss (on the GPU).
    fn discriminator_step(&mut self) -> Tensor {
        let config = &self.config;
        let batch = self.data.next_batch(config.batch);
        let labels = batch.labels.as_deref();
        let z = Tensor::randn_from(&[config.batch, self.model.latent_dim()], &mut self.rng);
        // The generator's output is a constant here: no gradient flows into G.
        // A conditional G draws the real batch's labels, so both halves of D's
        // batch (and a gradient penalty's interpolates) share one set of labels.
        let fake = no_grad(|| self.model.generate(&z, labels));
        let sigma = annealed_sigma(config.instance_noise, self.step, config.steps);
        let real = instance_noise(&batch.x, sigma, &mut self.rng);
        let fake = instance_noise(&fake, sigma, &mut self.rng);
        let d_real = self.model.discriminate(&real, labels);
        let d_fake = self.model.discriminate(&fake, labels);
        let mut loss = self.objective.d_loss_with_real_label(&d_real, &d_fake, config.real_label);
        let critic = |x: &Tensor| self.model.discriminate(x, labels);
        if self.objective == Objective::WassersteinGp {
            loss = loss.add(&gradient_penalty(critic, &real, &fake, &mut self.rng).mul_scalar(config.gp_lambda));
        }
        if config.r1_gamma > 0.0 {
            loss = loss.add(&r1_penalty(critic, &real).mul_scalar(config.r1_gamma / 2.0));
        }
        let parameters = self.opt_d.parameters();
        self.opt_d.zero_grad();
        loss.backward_for(&parameters.iter().collect::<Vec<_>>());
        self.opt_d.step();
        if self.objective == Objective::Wasserstein {
            clip_weights(&parameters, config.clip);
        }
        loss
    }

    /// One generator update; returns its loss (on the GPU).
    fn generator_step(&mut self) -> Tensor {
        let z = self.latent(self.config.batch);
        let labels = self.random_labels(self.config.batch);
        let fake = self.model.generate(&z, labels.as_deref());
        let loss = self.objective.g_loss(&self.model.discriminate(&fake, labels.as_deref()));
        let parameters = self.opt_g.parameters();
        self.opt_g.zero_grad();
        // Only G's parameters: D's weight gradients are never computed.
        loss.backward_for(&parameters.iter().collect::<Vec<_>>());
        self.opt_g.step();
        if let Some((ema, _)) = &self.ema {
            ema.update(self.model.generator());
        }
        loss
    }

    /// One training step: `d_steps` D updates, one G update. Returns the
    /// last D loss and the G loss, still on the GPU.
    pub fn step(&mut self) -> (Tensor, Tensor) {
        let mut d_loss = self.discriminator_step();
        for _ in 1..self.config.d_steps {
            d_loss = self.discriminator_step();
        }
        let g_loss = self.generator_step();
        self.step += 1;
        (d_loss, g_loss)
    }

    /// Trains until `config.steps`, calling `on_log` after every logged step.
    /// Writes samples, plots and checkpoints on the way and at the end.
    pub fn run(&mut self, mut on_log: impl FnMut(&LogRow)) -> Result<(), TrainError> {
        while self.step < self.config.steps {
            let (d_loss, g_loss) = self.step();
            let last = self.step == self.config.steps;
            let checkpoint_due = self.step.is_multiple_of(self.config.checkpoint_every.max(1)) || last;
            let sample_due = self.step.is_multiple_of(self.config.sample_every.max(1)) || last;
            if self.step.is_multiple_of(self.config.log_every) || checkpoint_due || sample_due {
                // One readback for both losses.
                let losses = Tensor::concat(&[&d_loss.reshape(&[1]), &g_loss.reshape(&[1])], 0).to_vec();
                let mut row = LogRow { step: self.step, d_loss: losses[0], g_loss: losses[1], modes: None };
                // A checkpoint must hold good weights: the losses were computed
                // before this step's updates, so check the updated weights too.
                let weights_ok = !checkpoint_due || self.parameters_finite();
                if !(row.d_loss.is_finite() && row.g_loss.is_finite() && weights_ok) {
                    return Err(TrainError::Diverged {
                        step: self.step,
                        d_loss: row.d_loss,
                        g_loss: row.g_loss,
                        last_checkpoint: self.last_checkpoint.clone(),
                    });
                }
                if sample_due {
                    row.modes = self.write_samples()?;
                }
                self.append_log(&row)?;
                on_log(&row);
                self.history.push(row);
            }
            if checkpoint_due {
                let path = self.config.out.join("checkpoint.safetensors");
                self.save_checkpoint(&path)?;
                self.last_checkpoint = Some(path);
            }
        }
        self.write_plots()
    }

    /// Whether every weight of G and D is finite: NaN and infinity survive a
    /// sum, so one reduction per tensor and one readback answer it.
    fn parameters_finite(&self) -> bool {
        let mut parameters = self.model.generator().parameters();
        parameters.extend(self.model.discriminator().parameters());
        let sums: Vec<Tensor> = no_grad(|| parameters.iter().map(|p| p.sum_all().reshape(&[1])).collect());
        Tensor::concat(&sums.iter().collect::<Vec<_>>(), 0).to_vec().iter().all(|v| v.is_finite())
    }

    /// Changes both players' learning rates for the following steps (schedules).
    pub fn set_learning_rates(&mut self, lr_d: f32, lr_g: f32) {
        self.opt_d.set_learning_rate(lr_d);
        self.opt_g.set_learning_rate(lr_g);
    }

    fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), TrainError> {
        let path = self.config.out.join(name);
        std::fs::write(&path, bytes).map_err(|error| TrainError::Io { path, error })
    }

    fn append_log(&self, row: &LogRow) -> Result<(), TrainError> {
        let path = self.config.out.join("log.csv");
        let io = |error| TrainError::Io { path: path.clone(), error };
        let new = !path.exists();
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(io)?;
        if new {
            writeln!(file, "step,d_loss,g_loss,modes,high_quality").map_err(io)?;
        }
        let (modes, quality) = match &row.modes {
            Some(report) => (report.modes_covered.to_string(), report.high_quality_fraction.to_string()),
            None => (String::new(), String::new()),
        };
        writeln!(file, "{},{},{},{modes},{quality}", row.step, row.d_loss, row.g_loss).map_err(io)
    }

    /// Samples of the (EMA) generator at the fixed latents: a picture grid for
    /// images; for 2D data a scatter over D's output, and the mode report.
    fn write_samples(&mut self) -> Result<Option<ModeReport>, TrainError> {
        if let Some((ema, average)) = &self.ema {
            ema.copy_to(average.generator());
        }
        let path = self.config.out.join(format!("samples/step_{:06}.png", self.step));
        if let Some(mixture) = self.data.mixture().cloned() {
            let z = self.latent(EVAL_POINTS);
            let report = self.plot_points(&mixture, &z, &path)?;
            return Ok(Some(report));
        }
        let model = self.sampling_model();
        let images = sample_eval(model, &self.fixed_z, self.fixed_labels.as_deref());
        save_images(&images, 8, &path)?;
        Ok(None)
    }

    /// Scatter of real and generated points over D's output (Goodfellow et
    /// al.'s Figure 1), and the VEEGAN/PacGAN mode report of the generated points.
    fn plot_points(&mut self, mixture: &Mixture, z: &Tensor, path: &Path) -> Result<ModeReport, TrainError> {
        let model = self.sampling_model();
        let fake: Vec<[f32; 2]> = sample_eval(model, z, None).to_vec().chunks(2).map(|p| [p[0], p[1]]).collect();
        let real = mixture.sample(EVAL_POINTS, &mut self.rng);
        let report = evaluate_modes(&fake, mixture);
        let half_width = mixture.means.iter().map(|m| m[0].abs().max(m[1].abs())).fold(0.0, f32::max) * 1.5;
        let bounds = plot::Bounds::square(half_width);
        let field = discriminator_field(self.model.as_ref(), bounds);
        plot::save_scatter_with_contour(&real, &fake, Some(&|x, y| field.at(x, y)), bounds, path)?;
        Ok(report)
    }

    fn write_plots(&self) -> Result<(), TrainError> {
        let d: Vec<f32> = self.history.iter().map(|r| r.d_loss).collect();
        let g: Vec<f32> = self.history.iter().map(|r| r.g_loss).collect();
        plot::save_loss_curves(&[("D loss", &d), ("G loss", &g)], self.config.out.join("losses.png"))?;
        if self.data.mixture().is_none() {
            let strip = latent_interpolation(self.sampling_model(), &self.fixed_z, self.fixed_labels.as_deref());
            save_images(&strip, 10, &self.config.out.join("interpolation.png"))?;
        }
        Ok(())
    }

    /// Writes G, D, the EMA, both optimisers, the step and the config, atomically.
    pub fn save_checkpoint(&self, path: &Path) -> Result<(), TrainError> {
        let (generator, discriminator) = (ModuleState(self.model.generator()), ModuleState(self.model.discriminator()));
        let mut saver = Saver::new()
            .part("generator", &generator)
            .part("discriminator", &discriminator)
            .part("opt_g", self.opt_g.as_ref())
            .part("opt_d", self.opt_d.as_ref())
            .meta("step", self.step)
            .meta("config", self.config.to_text());
        if let Some((ema, _)) = &self.ema {
            saver = saver.part("ema", ema);
        }
        Ok(saver.save(path)?)
    }

    fn load_checkpoint(&mut self, path: &Path) -> Result<(), TrainError> {
        let (mut generator, mut discriminator) =
            (ModuleState(self.model.generator()), ModuleState(self.model.discriminator()));
        let mut loader = Loader::new()
            .part("generator", &mut generator)
            .part("discriminator", &mut discriminator)
            .part("opt_g", self.opt_g.as_mut())
            .part("opt_d", self.opt_d.as_mut());
        if let Some((ema, _)) = &mut self.ema {
            loader = loader.part("ema", ema);
        }
        let metadata = loader.load(path)?;
        self.step = metadata.get("step").and_then(|s| s.parse().ok()).unwrap_or(0);
        self.last_checkpoint = Some(path.to_path_buf());
        Ok(())
    }
}

/// A module seen through a shared reference, for the loader: loading writes
/// parameter values in place, so no `&mut` to the module is needed.
struct ModuleState<'a>(&'a dyn Module);

impl Stateful for ModuleState<'_> {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        self.0.state_tensors()
    }
}

/// G's samples in eval mode (batch norm with running statistics), without a graph.
pub fn sample_eval(model: &dyn GanModel, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
    model.generator().eval();
    let samples = no_grad(|| model.generate(z, labels));
    model.generator().train();
    samples
}

/// Ten images along the straight line between the first two fixed latents.
fn latent_interpolation(model: &dyn GanModel, z: &Tensor, labels: Option<&[usize]>) -> Tensor {
    let (a, b) = (z.narrow(0, 0, 1), z.narrow(0, 1, 2));
    let weights = Tensor::from_vec((0..10).map(|i| i as f32 / 9.0).collect(), &[10, 1]);
    let line = a.add(&weights.mul(&b.sub(&a))); // [10, latent]
    let labels: Option<Vec<usize>> = labels.map(|l| vec![l[0]; 10]);
    sample_eval(model, &line, labels.as_deref())
}

/// Saves images [N, C, H, W] in [-1, 1] as a grid with `per_row` images a row.
pub fn save_images(images: &Tensor, per_row: usize, path: &Path) -> Result<(), TrainError> {
    let [n, c, h, w] = images.shape() else {
        return Err(TrainError::Config(format!("pictures need [N, C, H, W], got {:?}", images.shape())));
    };
    Ok(grid::save_grid(&images.to_vec(), *n, *c, *h, *w, per_row, path)?)
}

/// D's output, squashed to (0, 1) with a sigmoid, on a 128 x 128 lattice over
/// `bounds`, computed in one batch; looked up per pixel by the scatter plot.
struct Field {
    values: Vec<f32>,
    bounds: plot::Bounds,
}

const LATTICE: usize = 128;

fn discriminator_field(model: &dyn GanModel, bounds: plot::Bounds) -> Field {
    let mut points = Vec::with_capacity(LATTICE * LATTICE * 2);
    for row in 0..LATTICE {
        for col in 0..LATTICE {
            let x = bounds.x_min + (bounds.x_max - bounds.x_min) * col as f32 / (LATTICE - 1) as f32;
            let y = bounds.y_min + (bounds.y_max - bounds.y_min) * row as f32 / (LATTICE - 1) as f32;
            points.extend([x, y]);
        }
    }
    let grid = Tensor::from_vec(points, &[LATTICE * LATTICE, 2]);
    model.discriminator().eval();
    let values = no_grad(|| model.discriminate(&grid, None).sigmoid()).to_vec();
    model.discriminator().train();
    Field { values, bounds }
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
    let mut kept = String::new();
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        match parse_log_row(line) {
            Some(row) if row.step <= step => rows.push(row),
            _ if index == 0 => {} // the header
            _ => continue,
        }
        kept.push_str(line);
        kept.push('\n');
    }
    std::fs::write(path, kept).map_err(|error| TrainError::Io { path: path.to_path_buf(), error })?;
    Ok(rows)
}

/// One data row of log.csv: step, D loss, G loss (the mode columns are not needed).
fn parse_log_row(line: &str) -> Option<LogRow> {
    let mut fields = line.split(',');
    let step = fields.next()?.parse().ok()?;
    Some(LogRow { step, d_loss: fields.next()?.parse().ok()?, g_loss: fields.next()?.parse().ok()?, modes: None })
}
