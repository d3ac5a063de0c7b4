//! A 2D GAN trained step by step under someone else's control (the browser
//! playground's page, or a test), its state read back without blocking.
//!
//! It is the library's own 2D training, not a copy: the mixtures of
//! `data::mixtures` as the data stream, the perceptrons of `models::mlp` (of
//! any width and depth), Goodfellow et al.'s step of `families::pair` with any
//! objective of `losses.rs`, and the mode report of `metrics::modes`. What it
//! adds is the split a page needs: `step` only records GPU work and returns
//! (`live_run.rs`), and everything the page draws is gathered by `view` into
//! one tensor and read back by awaiting [`PendingView::read`], while training
//! goes on.

use crate::data::dataset::MixtureData;
use crate::data::mixtures::Mixture;
use crate::gan::config::TrainConfig;
use crate::gan::families::pair::Pair;
use crate::gan::family::{DataStream, Family};
use crate::gan::live_run::{loss_rows, LiveRun};
use crate::gan::models::mlp::{Mlp, MlpSize};
use crate::gan::prior::Prior;
use crate::metrics::modes::{evaluate_modes, ModeReport};
use crate::{no_grad, Tensor};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

/// Standard deviation of the Gaussian put around each point a user draws.
pub const DRAWN_POINT_STD: f32 = 0.03;

/// The data a session imitates.
#[derive(Clone, Debug, PartialEq)]
pub enum Points {
    /// 8 Gaussians on the unit circle (`Mixture::ring`).
    Ring,
    /// 25 Gaussians on a 5 x 5 lattice (`Mixture::grid`).
    Grid,
    /// A Gaussian of std [`DRAWN_POINT_STD`] around each point a user drew.
    Drawn(Vec<[f32; 2]>),
}

impl Points {
    fn mixture(&self) -> Result<(&'static str, Mixture), String> {
        match self {
            Points::Ring => Ok(("ring", Mixture::ring())),
            Points::Grid => Ok(("grid", Mixture::grid())),
            Points::Drawn(points) if points.is_empty() => {
                Err("no points drawn: click on the data view to draw some, or choose ring or grid".into())
            }
            Points::Drawn(points) => Ok(("drawn", Mixture { means: points.clone(), std: DRAWN_POINT_STD })),
        }
    }
}

/// Everything that defines a session.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub points: Points,
    /// The objective's `--loss` name (`minimax`, `ns`, `wgan-gp`, `lsgan`, `hinge`, ...).
    pub loss: String,
    pub size: MlpSize,
    pub lr_g: f32,
    pub lr_d: f32,
    /// Discriminator updates per generator update (Goodfellow et al.'s k).
    pub d_steps: usize,
    pub batch: usize,
    pub seed: u64,
}

impl Settings {
    /// The library's defaults for `loss` on the ring (those `ganforge train
    /// --model mlp --dataset ring --loss <loss>` uses).
    pub fn defaults(loss: &str) -> Settings {
        let config = TrainConfig::for_model("mlp", loss, "ring");
        Settings {
            points: Points::Ring,
            loss: loss.into(),
            size: MlpSize::standard(&[2]),
            lr_g: config.lr_g,
            lr_d: config.lr_d,
            d_steps: config.d_steps,
            batch: config.batch,
            seed: config.seed,
        }
    }

    /// The run's config: `for_model`'s for the objective, with these settings.
    fn config(&self) -> TrainConfig {
        TrainConfig {
            lr_g: self.lr_g,
            lr_d: self.lr_d,
            d_steps: self.d_steps,
            batch: self.batch,
            seed: self.seed,
            ..TrainConfig::for_model("mlp", &self.loss, "ring")
        }
    }
}

/// What a view shows, and at what resolution.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ViewRequest {
    /// Generated points (each with its arrow): how many (1 to `Session::VIEW_POINTS`).
    pub generated: usize,
    /// D's output on a `critic_side` x `critic_side` grid over the view
    /// (1 to `Session::MAX_GRID_SIDE`, as is the next).
    pub critic_side: usize,
    /// G's image of a `manifold_side` x `manifold_side` grid of z in [-2, 2]².
    pub manifold_side: usize,
}

/// A 2D GAN in training.
pub struct Session {
    run: LiveRun,
    mixture: Mixture,
    /// The same latents for every view, so the points move as G learns.
    view_z: Tensor,
    /// Real points to draw, sampled once.
    real: Vec<[f32; 2]>,
}

impl Session {
    /// Points shown of the real data, and most generated points a view shows.
    pub const VIEW_POINTS: usize = 512;
    /// The finest grid a view computes D or G on: this many points a side.
    pub const MAX_GRID_SIDE: usize = 256;

    /// A fresh session; a bad setting is an error naming it.
    pub fn new(settings: &Settings) -> Result<Session, String> {
        let config = settings.config();
        config.validate()?;
        let MlpSize { latent, g_width, g_layers, d_width, d_layers } = settings.size;
        for (name, value) in [
            ("latent size", latent),
            ("G width", g_width),
            ("G layers", g_layers),
            ("D width", d_width),
            ("D layers", d_layers),
        ] {
            if !(1..=1024).contains(&value) {
                return Err(format!("{name} = {value}: choose a number from 1 to 1024"));
            }
        }
        let (name, mixture) = settings.points.mixture()?;
        let rng = &mut rand::rngs::StdRng::seed_from_u64(settings.seed);
        let model = Mlp::sized(&[2], settings.size, 1, rng);
        let family = Pair::with_model(&config, Box::new(model))?;
        let data = DataStream::new(Box::new(MixtureData::new(name, mixture.clone(), settings.seed)));
        // The view's draws come from their own streams, so viewing never changes training.
        let view_rng = &mut ChaCha12Rng::seed_from_u64(settings.seed ^ 0x5EED_71E7);
        let view_z = Prior::parse(&config.prior)?.sample(Session::VIEW_POINTS, latent, view_rng);
        let real = mixture.sample(Session::VIEW_POINTS, view_rng);
        let run = LiveRun::new(family, data, ChaCha12Rng::seed_from_u64(settings.seed));
        Ok(Session { run, mixture, view_z, real })
    }

    /// Records `n` training steps on the GPU and returns without waiting for them.
    pub fn step(&mut self, n: usize) {
        self.run.step(n);
    }

    /// Steps completed.
    pub fn steps(&self) -> usize {
        self.run.steps()
    }

    /// The mixture imitated.
    pub fn mixture(&self) -> &Mixture {
        &self.mixture
    }

    /// Real points to draw.
    pub fn real_points(&self) -> &[[f32; 2]] {
        &self.real
    }

    /// The square view [-h, h]² every view is drawn in: this h.
    pub fn half_width(&self) -> f32 {
        self.mixture.view_half_width().max(1.0)
    }

    /// Records the computation of everything a view shows, and the losses of
    /// the steps since the last view, as one tensor; await its `read`.
    pub fn view(&mut self, request: ViewRequest) -> PendingView {
        let request = ViewRequest {
            generated: request.generated.clamp(1, Session::VIEW_POINTS),
            critic_side: request.critic_side.clamp(1, Session::MAX_GRID_SIDE),
            manifold_side: request.manifold_side.clamp(1, Session::MAX_GRID_SIDE),
        };
        let generated_count = request.generated;
        let z = self.view_z.narrow(0, 0, generated_count);
        let family = self.run.family();
        let generator = family.sampler();
        let generated = no_grad(|| generator.generate(&z, None));
        let push = family.generator_push(&generated);
        let h = self.half_width();
        let critic_points = Tensor::from_vec(square_grid(request.critic_side, h), &[request.critic_side.pow(2), 2]);
        let critic = no_grad(|| family.critic_on(&critic_points)).expect("an unpacked critic scores points");
        let manifold_z = Tensor::from_vec(square_grid(request.manifold_side, 2.0), &[request.manifold_side.pow(2), 2]);
        let manifold = no_grad(|| generator.generate(&manifold_z, None));
        let (first_step, losses) = self.run.take_losses();
        let mut parts = vec![generated.flatten(0), push.flatten(0), critic.flatten(0), manifold.flatten(0)];
        parts.extend(losses.iter().cloned());
        let all = Tensor::concat(&parts.iter().collect::<Vec<_>>(), 0);
        PendingView {
            all,
            first_step,
            generated: generated_count,
            critic_side: request.critic_side,
            manifold_side: request.manifold_side,
            mixture: self.mixture.clone(),
        }
    }
}

/// The `side` x `side` points of a regular grid over [-h, h]², row by row
/// from the top (y = h) down, flattened as x, y pairs.
pub fn square_grid(side: usize, h: f32) -> Vec<f32> {
    let at = |i: usize| if side == 1 { 0.0 } else { -h + 2.0 * h * i as f32 / (side - 1) as f32 };
    (0..side).flat_map(|row| (0..side).flat_map(move |column| [at(column), -at(row)])).collect()
}

/// A view computed on the GPU, not yet read.
pub struct PendingView {
    all: Tensor,
    first_step: usize,
    generated: usize,
    critic_side: usize,
    manifold_side: usize,
    mixture: Mixture,
}

/// What the page draws, on the CPU.
#[derive(Clone, Debug)]
pub struct View {
    /// G(z) at the view's latents, x, y pairs.
    pub generated: Vec<f32>,
    /// Minus the gradient of G's loss at each generated point, x, y pairs.
    pub push: Vec<f32>,
    /// D's output in [0, 1] on the grid of `square_grid(critic_side, half_width)`.
    pub critic: Vec<f32>,
    /// G's image of `square_grid(manifold_side, 2)`, x, y pairs.
    pub manifold: Vec<f32>,
    /// (step, D loss, G loss) of every step since the previous view.
    pub losses: Vec<(usize, f32, f32)>,
    /// The mode report of the generated points.
    pub modes: ModeReport,
}

impl PendingView {
    /// Reads the view back without blocking (one readback for all of it).
    pub async fn read(self) -> View {
        let values = self.all.to_vec_async().await;
        let (generated, rest) = values.split_at(2 * self.generated);
        let (push, rest) = rest.split_at(2 * self.generated);
        let (critic, rest) = rest.split_at(self.critic_side.pow(2));
        let (manifold, rest) = rest.split_at(2 * self.manifold_side.pow(2));
        let losses = loss_rows(self.first_step, rest);
        let points: Vec<[f32; 2]> = generated.chunks(2).map(|p| [p[0], p[1]]).collect();
        View {
            modes: evaluate_modes(&points, &self.mixture),
            generated: generated.to_vec(),
            push: push.to_vec(),
            critic: critic.to_vec(),
            manifold: manifold.to_vec(),
            losses,
        }
    }
}
