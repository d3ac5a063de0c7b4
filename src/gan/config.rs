//! Everything that defines a training run, with the defaults of the
//! literature, and its round trip through a plain `key = value` text (the
//! run folder's `config.txt`, and the checkpoint's metadata, so a resumed run
//! knows what it was).

use super::fgan::Divergence;
use super::losses::Objective;
use super::nets::encoder::EncoderKind;
use super::prior::Prior;
use crate::optim::LrSchedule;
use std::collections::BTreeMap;
use std::fmt::{Display, Write};
use std::path::PathBuf;
use std::str::FromStr;

/// One config value, or an error naming the key and the bad value.
fn parse<T: FromStr>(key: &str, value: &str) -> Result<T, String>
where
    T::Err: Display,
{
    value.parse().map_err(|e| format!("config value {key} = {value:?}: {e}"))
}

#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// The family and its networks: `mlp`, `dcgan`, `cgan`, `bigan`, `veegan`, `progan`, `stylegan`, `stylegan2`, `pix2pix`, `cyclegan`, `alignflow` or `spade` (see `families::NAMES`).
    pub model: String,
    /// The `--loss` name (see `Objective::parse`).
    pub loss: String,
    /// The `--dataset` spec (see `data::dataset::open`).
    pub dataset: String,
    /// Side in pixels that an image folder's pictures are resized to (0: the
    /// model's own, see `families::folder_image_size`).
    pub image_size: u32,
    pub steps: usize,
    pub batch: usize,
    /// Learning rates of D and G (different ones: TTUR, Heusel et al.).
    pub lr_d: f32,
    pub lr_g: f32,
    /// Adam's betas (DCGAN: 0.5, 0.999).
    pub beta1: f32,
    pub beta2: f32,
    /// `adam`, `rmsprop` or `sgd` (with momentum `beta1`).
    pub optimizer: String,
    /// Discriminator steps per generator step (Goodfellow et al.'s k).
    pub d_steps: usize,
    /// Samples the discriminator judges at once (PacGAN's m; 1: one sample).
    pub pack: usize,
    /// Weight clipping bound of WGAN's critic.
    pub clip: f32,
    /// Gradient-penalty weight of WGAN-GP.
    pub gp_lambda: f32,
    /// R1 penalty weight gamma (0: off); the penalty added is gamma/2 E||dD/dx||^2.
    pub r1_gamma: f32,
    /// One-sided label smoothing: the real target (1: off).
    pub real_label: f32,
    /// Instance noise std at step 0, annealed to 0 (0: off).
    pub instance_noise: f32,
    /// Decay of the generator's exponential moving average (0: off).
    pub ema: f32,
    /// The latent prior: `normal` (z ~ N(0, I)) or `uniform` (z ~ U(-1, 1), as in
    /// Goodfellow et al. and DCGAN).
    pub prior: String,
    /// Salimans et al.'s feature matching as the generator's objective, in place
    /// of the loss's own generator term.
    pub feature_matching: bool,
    /// Unrolled GAN (Metz et al.): G's loss is taken against D after this many
    /// differentiable look-ahead updates (0: off; the paper uses 5 and 10).
    pub unroll: usize,
    /// BiGAN's encoder: `deterministic` (BiGAN) or `stochastic` (ALI's
    /// reparameterised Gaussian); other families have no choice to make.
    pub encoder: String,
    /// ProGAN: real images shown in each fade-in and each stabilising phase.
    pub phase_images: usize,
    /// ProGAN: the batch at each resolution from 4x4 up, comma-separated
    /// ("64,64,32,16"); empty: `batch` at every resolution.
    pub level_batches: String,
    /// ProGAN and StyleGAN: feature maps of both nets at 4x4 and 8x8 (halved per doubling
    /// after); pix2pix: maps of the U-Net's outermost level and of the
    /// PatchGAN's first layer (doubled per level, at most 8 times).
    pub features: usize,
    /// pix2pix: the weight lambda of the L1 distance to the target in G's loss.
    pub l1_weight: f32,
    /// pix2pix and CycleGAN: the side of the patch each logit of the PatchGAN sees (1, 16, 34 or 70).
    pub patch: usize,
    /// pix2pix: the generator, `unet` (the paper's) or `resnet` (CycleGAN's ResNet-block net).
    pub generator: String,
    /// StyleGAN: dense layers of the mapping network z -> w (the paper: 8).
    pub mapping_layers: usize,
    /// StyleGAN: values of z and w, and width of the mapping layers (the paper: 512).
    pub mapping_width: usize,
    /// StyleGAN: the fraction of batches drawn with two w's and a crossover layer (the paper: 0.9).
    pub style_mixing: f32,
    /// StyleGAN2: the weight of the path-length penalty (the paper: 2; 0: off).
    pub path_length_weight: f32,
    /// CycleGAN: the weight lambda of the cycle-consistency L1 terms.
    pub cycle_weight: f32,
    /// CycleGAN: the weight of the identity L1 terms (the paper's 0.5 lambda).
    pub identity_weight: f32,
    /// AlignFlow: the weight lambda_mle of the negative log-likelihood (nats per picture) of both domains.
    pub mle_weight: f32,
    /// AlignFlow: start both flows from the same weights, so that the
    /// translations start as the identity (up to actnorm's per-domain start);
    /// the reference code starts them independently.
    pub shared_start: bool,
    /// SPADE: the weight of the feature-matching loss on D's hidden layers in G's loss (the paper: 10).
    pub fm_weight: f32,
    /// The learning-rate schedule (see `optim::LrSchedule`): `constant` or `linear-decay[:START]`.
    pub lr_schedule: String,
    pub seed: u64,
    /// Every how many steps to read the losses back and log them.
    pub log_every: usize,
    pub sample_every: usize,
    pub checkpoint_every: usize,
    /// Every how many steps to score the generator on digits with the shipped
    /// classifier (FID, IS, precision/recall, classes; 0: off).
    pub eval_every: usize,
    pub out: PathBuf,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            model: "dcgan".into(),
            loss: "ns".into(),
            dataset: "mnist5k".into(),
            image_size: 0,
            steps: 600,
            batch: 64,
            lr_d: 2e-4,
            lr_g: 2e-4,
            beta1: 0.5,
            beta2: 0.999,
            optimizer: "adam".into(),
            d_steps: 1,
            pack: 1,
            clip: 0.01,
            gp_lambda: 10.0,
            r1_gamma: 0.0,
            real_label: 1.0,
            instance_noise: 0.0,
            ema: 0.0,
            prior: "normal".into(),
            feature_matching: false,
            unroll: 0,
            encoder: "deterministic".into(),
            phase_images: 6000,
            level_batches: String::new(),
            features: 64,
            l1_weight: 100.0,
            patch: 70,
            generator: "unet".into(),
            mapping_layers: 8,
            mapping_width: 128,
            style_mixing: 0.9,
            path_length_weight: 0.0,
            cycle_weight: 10.0,
            identity_weight: 5.0,
            mle_weight: 1e-4,
            shared_start: false,
            fm_weight: 10.0,
            lr_schedule: "constant".into(),
            seed: 0,
            log_every: 10,
            sample_every: 100,
            checkpoint_every: 200,
            eval_every: 0,
            out: PathBuf::from("runs/dcgan-mnist5k"),
        }
    }
}

impl TrainConfig {
    /// The objective named by `loss`, or an error listing the choices.
    pub fn objective(&self) -> Result<Objective, String> {
        Objective::parse(&self.loss).ok_or_else(|| {
            format!(
                "unknown loss {:?}: use minimax, ns, wgan, wgan-gp, lsgan, hinge, or f:<divergence> with divergence one of \
                 tv, kl, reverse-kl, pearson, neyman, hellinger, jeffrey, js, gan, alpha=<a>, js-weighted=<pi>",
                self.loss
            )
        })
    }

    /// The defaults for `loss` on `dataset`, from the loss's paper: WGAN's
    /// RMSprop at 5e-5 with k = 5 critic steps; WGAN-GP's Adam(1e-4, 0, 0.9)
    /// with k = 5 and lambda = 10 (Gulrajani et al., Algorithm 1); Adam(2e-4,
    /// 0.5, 0.999) with k = 1 (DCGAN's settings) for the rest.
    ///
    /// One exception, from measurement: WGAN-GP on the 2D mixtures uses lambda
    /// = 0.1 and betas (0.5, 0.9). The critic's Wasserstein term scales with the
    /// data, its penalty does not, and on our radius-1 ring lambda = 10 makes
    /// the penalty's gradient cancel the critic's (cosine -0.95): the critic
    /// stays a plane and G's points move as one cluster (0 of 8 modes, two
    /// seeds), while lambda = 0.1 covers 8 of 8 on three seeds
    /// (`examples/wgan_gp_ring.rs` logs the measurements). Gulrajani et al.'s
    /// own toy-data code uses 0.1 too.
    pub fn for_loss(loss: &str, dataset: &str) -> TrainConfig {
        let base = TrainConfig { loss: loss.into(), dataset: dataset.into(), ..TrainConfig::default() };
        let mixture = ["ring", "grid"].contains(&dataset);
        match loss {
            "wgan" => TrainConfig { optimizer: "rmsprop".into(), lr_d: 5e-5, lr_g: 5e-5, d_steps: 5, ..base },
            "wgan-gp" if mixture => {
                TrainConfig { lr_d: 1e-4, lr_g: 1e-4, beta1: 0.5, beta2: 0.9, d_steps: 5, gp_lambda: 0.1, ..base }
            }
            "wgan-gp" => TrainConfig { lr_d: 1e-4, lr_g: 1e-4, beta1: 0.0, beta2: 0.9, d_steps: 5, ..base },
            _ => base,
        }
    }

    /// The defaults for `model` trained with `loss` on `dataset`: those of
    /// `for_loss`, except ProGAN's own (Karras et al.): Adam(1e-3, 0, 0.99),
    /// one critic step per generator step, and an EMA of G at 0.999; and
    /// pix2pix's: Isola et al.'s Adam(2e-4, 0.5, 0.999) and lambda = 100
    /// (`for_loss`'s defaults), with 16 maps at the outermost level where
    /// the paper has 64, since a step with 64 is 16 times the work and too
    /// slow on a CPU adapter (`--features 64` gives the paper's nets); and
    /// CycleGAN's (Zhu et al.): the LSGAN objective, Adam(2e-4, 0.5, 0.999),
    /// the rate constant for the first half of the run and decaying linearly
    /// to 0 over the second, and 16 maps for the same reason as pix2pix; and
    /// AlignFlow's (the reference code's Flow2Flow run): CycleGAN's, with 32
    /// maps in the coupling nets and the PatchGANs' first layer; and
    /// StyleGAN's (its official FFHQ config at low resolution): ProGAN's Adam
    /// and EMA with R1 at gamma = 10; and StyleGAN2's: StyleGAN's with the
    /// official learning rate 2e-3 and the path-length penalty at weight 2; and SPADE's (Park et al.): the hinge
    /// loss with the two time-scale rates 1e-4 for G and 4e-4 for D, Adam's
    /// betas (0, 0.999), and 16 maps for the same reason as pix2pix.
    pub fn for_model(model: &str, loss: &str, dataset: &str) -> TrainConfig {
        let base = TrainConfig { model: model.into(), ..TrainConfig::for_loss(loss, dataset) };
        match model {
            "progan" => TrainConfig { lr_d: 1e-3, lr_g: 1e-3, beta1: 0.0, beta2: 0.99, d_steps: 1, ema: 0.999, ..base },
            "pix2pix" => TrainConfig { features: 16, ..base },
            "stylegan" => TrainConfig {
                lr_d: 1e-3,
                lr_g: 1e-3,
                beta1: 0.0,
                beta2: 0.99,
                d_steps: 1,
                ema: 0.999,
                r1_gamma: 10.0,
                ..base
            },
            "stylegan2" => TrainConfig {
                model: model.into(),
                lr_d: 2e-3,
                lr_g: 2e-3,
                path_length_weight: 2.0,
                ..TrainConfig::for_model("stylegan", loss, dataset)
            },
            "cyclegan" => TrainConfig { features: 16, lr_schedule: "linear-decay".into(), ..base },
            "alignflow" => TrainConfig { features: 32, lr_schedule: "linear-decay".into(), ..base },
            "spade" => TrainConfig { lr_d: 4e-4, lr_g: 1e-4, beta1: 0.0, beta2: 0.999, features: 16, ..base },
            _ => base,
        }
    }

    /// The value of one setting as config.txt writes it, or None for an unknown key.
    pub fn value_of(&self, key: &str) -> Option<String> {
        self.entries().into_iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Checks every setting before anything is built or written, so a bad
    /// value is one clear error naming the setting, never a panic later or a
    /// silently odd run.
    pub fn validate(&self) -> Result<(), String> {
        let objective = self.objective()?;
        if let Objective::FGan(Divergence::Alpha(alpha)) = objective {
            if !alpha.is_finite() || alpha == 0.0 || alpha == 1.0 {
                return Err(format!("f:alpha={alpha}: alpha must be a finite number other than 0 and 1"));
            }
        }
        for (name, value) in [("lr_d", self.lr_d), ("lr_g", self.lr_g), ("clip", self.clip)] {
            if !(value.is_finite() && value > 0.0) {
                return Err(format!("{name} = {value}: it must be a finite number above 0"));
            }
        }
        for (name, value) in [("beta1", self.beta1), ("beta2", self.beta2), ("ema", self.ema)] {
            if !(0.0..1.0).contains(&value) {
                return Err(format!("{name} = {value}: it must lie in [0, 1)"));
            }
        }
        let weights = [
            ("gp_lambda", self.gp_lambda),
            ("r1", self.r1_gamma),
            ("instance_noise", self.instance_noise),
            ("l1_weight", self.l1_weight),
            ("cycle_weight", self.cycle_weight),
            ("identity_weight", self.identity_weight),
            ("mle_weight", self.mle_weight),
            ("fm_weight", self.fm_weight),
        ];
        for (name, value) in weights {
            if !(value.is_finite() && value >= 0.0) {
                return Err(format!("{name} = {value}: it must be a finite number, 0 or above"));
            }
        }
        if !(self.real_label > 0.0 && self.real_label <= 1.0) {
            return Err(format!(
                "real_label = {}: the real target lies in (0, 1] (0.9 is one-sided label smoothing)",
                self.real_label
            ));
        }
        let counts = [
            ("steps", self.steps),
            ("batch", self.batch),
            ("k (d_steps)", self.d_steps),
            ("pack", self.pack),
            ("log_every", self.log_every),
            ("sample_every", self.sample_every),
            ("checkpoint_every", self.checkpoint_every),
            ("phase_images", self.phase_images),
            ("features", self.features),
            ("mapping_layers", self.mapping_layers),
            ("mapping_width", self.mapping_width),
        ];
        for (name, value) in counts {
            if value == 0 {
                return Err(format!("{name} = 0: it must be at least 1"));
            }
        }
        if !["adam", "rmsprop", "sgd"].contains(&self.optimizer.as_str()) {
            return Err(format!("unknown optimizer {:?}: use adam, rmsprop or sgd", self.optimizer));
        }
        if !(self.path_length_weight.is_finite() && self.path_length_weight >= 0.0) {
            return Err(format!("path_length_weight = {}: give a weight of 0 or more", self.path_length_weight));
        }
        if !(0.0..=1.0).contains(&self.style_mixing) {
            return Err(format!("style_mixing = {}: it is a fraction of batches, in [0, 1]", self.style_mixing));
        }
        if self.image_size != 0 && !self.dataset.starts_with("folder:") {
            return Err(format!(
                "image_size = {}: it sizes the pictures of an image folder; use it with --dataset folder:<dir>",
                self.image_size
            ));
        }
        Prior::parse(&self.prior)?;
        LrSchedule::parse(&self.lr_schedule)?;
        EncoderKind::parse(&self.encoder)?;
        if self.encoder != "deterministic" && self.model != "bigan" {
            return Err(format!("--encoder {} is a BiGAN option: use it with --model bigan", self.encoder));
        }
        self.validate_family_options()?;
        self.validate_pix2pix_options()?;
        self.validate_unroll(objective)
    }

    /// BiGAN, VEEGAN, ProGAN and StyleGAN train with their own objectives
    /// and one D step per step (ProGAN, StyleGAN: k of them): the
    /// one-G-one-D family's knobs would be silently ignored there, as would
    /// StyleGAN's own knobs anywhere else.
    fn validate_family_options(&self) -> Result<(), String> {
        let defaults = TrainConfig::default();
        let style_knobs = [
            ("--mapping-layers", self.mapping_layers != defaults.mapping_layers),
            ("--mapping-width", self.mapping_width != defaults.mapping_width),
            ("--style-mixing", self.style_mixing != defaults.style_mixing),
        ];
        let style_model = ["stylegan", "stylegan2"].contains(&self.model.as_str());
        if let Some((flag, _)) = style_knobs.iter().find(|(_, given)| *given && !style_model) {
            return Err(format!("{flag} is an option of the stylegan model and of stylegan2"));
        }
        if self.path_length_weight != defaults.path_length_weight && self.model != "stylegan2" {
            return Err("--path-length-weight is an option of the stylegan2 model".into());
        }
        let own_loss = match self.model.as_str() {
            "bigan" | "veegan" | "stylegan" | "stylegan2" => "ns",
            "progan" => "wgan-gp",
            "pix2pix" => "ns",
            "cyclegan" | "alignflow" => "lsgan",
            "spade" => "hinge",
            _ => return Ok(()),
        };
        let own_critic_steps = ["progan", "stylegan", "stylegan2"].contains(&self.model.as_str());
        let set = [
            ("--loss", self.loss != own_loss),
            ("--k", self.d_steps != 1 && !own_critic_steps),
            ("--pack", self.pack != 1),
            ("--unroll", self.unroll != 0),
            ("--feature-matching", self.feature_matching),
            ("--r1", self.r1_gamma != 0.0 && !style_model),
            ("--real-label", self.real_label != 1.0),
            ("--instance-noise", self.instance_noise != 0.0),
        ];
        match set.iter().find(|(_, given)| *given) {
            Some((flag, _)) => Err(format!(
                "{flag} is an option of the mlp, dcgan and cgan models; {} trains with its own objective",
                self.model
            )),
            None => Ok(()),
        }
    }

    /// pix2pix's own settings are refused elsewhere, and pix2pix refuses an
    /// EMA: its pictures and its L1 score show the trained generator.
    fn validate_pix2pix_options(&self) -> Result<(), String> {
        let pix2pix = self.model == "pix2pix";
        let cyclegan = self.model == "cyclegan";
        let alignflow = self.model == "alignflow";
        if !pix2pix && (self.l1_weight != 100.0 || self.generator != "unet") {
            return Err("--l1-weight and --generator are pix2pix options: use them with --model pix2pix".into());
        }
        if !(pix2pix || cyclegan || alignflow) && self.patch != 70 {
            return Err("--patch is a pix2pix, cyclegan and alignflow option: use it with one of those models".into());
        }
        if self.model != "spade" && self.fm_weight != 10.0 {
            return Err("--fm-weight is a spade option: use it with --model spade".into());
        }
        if !cyclegan && (self.cycle_weight != 10.0 || self.identity_weight != 5.0) {
            return Err(
                "--cycle-weight and --identity-weight are cyclegan options: use them with --model cyclegan".into()
            );
        }
        if !alignflow && (self.mle_weight != 1e-4 || self.shared_start) {
            return Err("--mle-weight and --shared-start are alignflow options: use them with --model alignflow".into());
        }
        if !["unet", "resnet"].contains(&self.generator.as_str()) {
            return Err(format!("unknown generator {:?}: use unet (the paper's) or resnet", self.generator));
        }
        if (pix2pix || cyclegan || alignflow) && !super::nets::patchgan::RECEPTIVE_FIELDS.contains(&self.patch) {
            return Err(format!("patch = {}: the PatchGAN sees 1, 16, 34 or 70 pixels (70: the paper's)", self.patch));
        }
        if (pix2pix || cyclegan || alignflow) && self.ema != 0.0 {
            return Err(format!(
                "ema = {}: {} shows and scores its trained generators (the paper keeps no average); leave --ema out",
                self.ema, self.model
            ));
        }
        Ok(())
    }

    /// ProGAN's batch at each of `levels` resolutions from 4x4 up: the
    /// `level_batches` list, or `batch` everywhere when it is empty.
    pub fn level_batches(&self, levels: usize) -> Result<Vec<usize>, String> {
        if self.level_batches.trim().is_empty() {
            return Ok(vec![self.batch; levels]);
        }
        let batches: Vec<usize> = self
            .level_batches
            .split(',')
            .map(|b| b.trim().parse().ok().filter(|&b: &usize| b > 0))
            .collect::<Option<_>>()
            .ok_or_else(|| {
                format!("level_batches = {:?}: give batches above 0, comma-separated", self.level_batches)
            })?;
        if batches.len() != levels {
            return Err(format!(
                "level_batches = {:?}: give one batch per resolution from 4x4 to the data's size ({levels} of them)",
                self.level_batches
            ));
        }
        Ok(batches)
    }

    /// The look-ahead replays D's loss and its optimiser's rule; it has no
    /// gradient penalties (they would need third derivatives) and unrolls the
    /// loss's own G term, not feature matching.
    fn validate_unroll(&self, objective: Objective) -> Result<(), String> {
        let unroll = self.unroll;
        if unroll > 100 {
            return Err(format!(
                "unroll = {unroll}: at most 100 look-ahead steps (each keeps its graph in memory until G's backward \
                 pass; the paper uses 5 and 10)"
            ));
        }
        if unroll > 0 && (objective == Objective::WassersteinGp || self.r1_gamma > 0.0) {
            return Err(format!(
                "unroll = {unroll}: the look-ahead has no gradient penalty; use it without wgan-gp and r1"
            ));
        }
        if unroll > 0 && self.feature_matching {
            return Err(format!("unroll = {unroll}: the look-ahead unrolls the loss's G term, not feature matching"));
        }
        Ok(())
    }

    /// Names and values of the settings that differ between two configs.
    pub fn differences(&self, other: &TrainConfig) -> Vec<(&'static str, String, String)> {
        self.entries()
            .into_iter()
            .zip(other.entries())
            .filter(|((_, a), (_, b))| a != b)
            .map(|((key, a), (_, b))| (key, a, b))
            .collect()
    }

    /// The settings as `key = value` lines.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for (key, value) in self.entries() {
            let _ = writeln!(text, "{key} = {value}");
        }
        text
    }

    fn entries(&self) -> Vec<(&'static str, String)> {
        vec![
            ("model", self.model.clone()),
            ("loss", self.loss.clone()),
            ("dataset", self.dataset.clone()),
            ("image_size", self.image_size.to_string()),
            ("steps", self.steps.to_string()),
            ("batch", self.batch.to_string()),
            ("lr_d", self.lr_d.to_string()),
            ("lr_g", self.lr_g.to_string()),
            ("beta1", self.beta1.to_string()),
            ("beta2", self.beta2.to_string()),
            ("optimizer", self.optimizer.clone()),
            ("d_steps", self.d_steps.to_string()),
            ("pack", self.pack.to_string()),
            ("clip", self.clip.to_string()),
            ("gp_lambda", self.gp_lambda.to_string()),
            ("r1_gamma", self.r1_gamma.to_string()),
            ("real_label", self.real_label.to_string()),
            ("instance_noise", self.instance_noise.to_string()),
            ("ema", self.ema.to_string()),
            ("prior", self.prior.clone()),
            ("feature_matching", self.feature_matching.to_string()),
            ("unroll", self.unroll.to_string()),
            ("encoder", self.encoder.clone()),
            ("phase_images", self.phase_images.to_string()),
            ("level_batches", self.level_batches.clone()),
            ("features", self.features.to_string()),
            ("l1_weight", self.l1_weight.to_string()),
            ("patch", self.patch.to_string()),
            ("generator", self.generator.clone()),
            ("mapping_layers", self.mapping_layers.to_string()),
            ("mapping_width", self.mapping_width.to_string()),
            ("style_mixing", self.style_mixing.to_string()),
            ("path_length_weight", self.path_length_weight.to_string()),
            ("cycle_weight", self.cycle_weight.to_string()),
            ("identity_weight", self.identity_weight.to_string()),
            ("mle_weight", self.mle_weight.to_string()),
            ("shared_start", self.shared_start.to_string()),
            ("fm_weight", self.fm_weight.to_string()),
            ("lr_schedule", self.lr_schedule.clone()),
            ("seed", self.seed.to_string()),
            ("log_every", self.log_every.to_string()),
            ("sample_every", self.sample_every.to_string()),
            ("checkpoint_every", self.checkpoint_every.to_string()),
            ("eval_every", self.eval_every.to_string()),
            ("out", self.out.display().to_string()),
        ]
    }

    /// Reads `key = value` lines back; unknown keys and bad values are errors.
    pub fn from_text(text: &str) -> Result<TrainConfig, String> {
        let mut values: BTreeMap<&str, &str> = BTreeMap::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (key, value) =
                line.split_once('=').ok_or_else(|| format!("config line {line:?} is not `key = value`"))?;
            values.insert(key.trim(), value.trim());
        }
        let mut config = TrainConfig::default();
        for (key, value) in values {
            match key {
                "model" => config.model = value.into(),
                "loss" => config.loss = value.into(),
                "dataset" => config.dataset = value.into(),
                "optimizer" => config.optimizer = value.into(),
                "out" => config.out = value.into(),
                "image_size" => config.image_size = parse(key, value)?,
                "steps" => config.steps = parse(key, value)?,
                "batch" => config.batch = parse(key, value)?,
                "d_steps" => config.d_steps = parse(key, value)?,
                "pack" => config.pack = parse(key, value)?,
                "seed" => config.seed = parse(key, value)?,
                "log_every" => config.log_every = parse(key, value)?,
                "sample_every" => config.sample_every = parse(key, value)?,
                "checkpoint_every" => config.checkpoint_every = parse(key, value)?,
                "eval_every" => config.eval_every = parse(key, value)?,
                "lr_d" => config.lr_d = parse(key, value)?,
                "lr_g" => config.lr_g = parse(key, value)?,
                "beta1" => config.beta1 = parse(key, value)?,
                "beta2" => config.beta2 = parse(key, value)?,
                "clip" => config.clip = parse(key, value)?,
                "gp_lambda" => config.gp_lambda = parse(key, value)?,
                "r1_gamma" => config.r1_gamma = parse(key, value)?,
                "real_label" => config.real_label = parse(key, value)?,
                "instance_noise" => config.instance_noise = parse(key, value)?,
                "ema" => config.ema = parse(key, value)?,
                "prior" => config.prior = value.into(),
                "feature_matching" => config.feature_matching = parse(key, value)?,
                "unroll" => config.unroll = parse(key, value)?,
                "encoder" => config.encoder = value.into(),
                "phase_images" => config.phase_images = parse(key, value)?,
                "level_batches" => config.level_batches = value.into(),
                "features" => config.features = parse(key, value)?,
                "l1_weight" => config.l1_weight = parse(key, value)?,
                "patch" => config.patch = parse(key, value)?,
                "generator" => config.generator = value.into(),
                "mapping_layers" => config.mapping_layers = parse(key, value)?,
                "mapping_width" => config.mapping_width = parse(key, value)?,
                "style_mixing" => config.style_mixing = parse(key, value)?,
                "path_length_weight" => config.path_length_weight = parse(key, value)?,
                "cycle_weight" => config.cycle_weight = parse(key, value)?,
                "identity_weight" => config.identity_weight = parse(key, value)?,
                "mle_weight" => config.mle_weight = parse(key, value)?,
                "shared_start" => config.shared_start = parse(key, value)?,
                "fm_weight" => config.fm_weight = parse(key, value)?,
                "lr_schedule" => config.lr_schedule = value.into(),
                _ => return Err(format!("unknown config key {key:?}")),
            }
        }
        Ok(config)
    }
}
