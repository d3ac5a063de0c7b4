//! pix2pix (Isola, Zhu, Zhou and Efros 2017): image-to-image translation
//! with a conditional GAN. The generator, a U-Net (`nets/unet.rs`; or with
//! `--generator resnet` the ResNet-block net of `nets/resnet.rs`), maps an
//! input picture A to an output G(A); the discriminator, a PatchGAN
//! (`nets/patchgan.rs`), judges the pair (A, B) or (A, G(A)), joined along
//! the channels, patch by patch.
//!
//! Losses (the paper's equation 4): D minimises the logistic loss of real
//! pairs against generated ones, halved (the paper's "divide the objective
//! by 2 while optimizing D", which slows D down next to G); G minimises the
//! non-saturating GAN loss plus lambda * mean |B - G(A)| (lambda = 100,
//! `--l1-weight`). Both use Adam(2e-4, 0.5, 0.999), one D update then one G
//! update per step, on the same batch and the same G(A).
//!
//! Pictures: pix2pix has no latent, so the trainer's grid of samples at
//! fixed latents cannot show it. It shows what it does instead: 16
//! held-out pairs spread evenly over the split (whose files are sorted by
//! name, so neighbours tend to be alike), as rows input | output | target,
//! two pairs a row; the same inputs at every step, so the pictures show
//! progress. The scores are
//! the L1 distance of G(A) to B over the held-out split and the FID of G(A)
//! to B with the emoji feature net, beside its floors (`metrics/translation.rs`). Both use the
//! generator in evaluation mode (batch norm's running statistics; the
//! paper uses the test batch's own) with its test-time dropout masks.

use crate::checkpoint::Parts;
use crate::data::dataset::{Dataset, InMemory};
use crate::data::pairs;
use crate::gan::config::TrainConfig;
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{duel_parts, Family, Losses, Player, Sampler, StepContext};
use crate::gan::losses::Objective;
use crate::gan::nets::patchgan::PatchGan;
use crate::gan::nets::resnet::ResnetGenerator;
use crate::gan::nets::unet::UNet;
use crate::gan::nets::Translator;
use crate::gan::trainer::sample_eval;
use crate::metrics::translation::{fid_scores, in_chunks, pair_targets, Translation};
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// Held-out pairs in the picture: 8 rows of two (input | output | target) each.
const PICTURE_PAIRS: usize = 16;
const PICTURE_COLUMNS: usize = 6;
/// Pairs translated at once when scoring.
const SCORE_CHUNK: usize = 64;

pub struct Pix2pix {
    generator: Box<dyn Translator>,
    discriminator: PatchGan,
    opt_g: Box<dyn Optimizer>,
    opt_d: Box<dyn Optimizer>,
    batch: usize,
    l1_weight: f32,
    /// The pairs pictures and scores use, and the name of their split.
    held_out: InMemory,
    split: &'static str,
    /// The data's folder (the FID's floor reads its training targets).
    dir: PathBuf,
}

/// The input and target halves [N, C, H, W] of pairs [N, 2C, H, W].
pub fn halves(pairs: &Tensor) -> (Tensor, Tensor) {
    let channels = pairs.shape()[1] / 2;
    (pairs.narrow(1, 0, channels), pairs.narrow(1, channels, 2 * channels))
}

/// Pictures [N, C, H, W] of several columns interleaved example by example,
/// [N * columns, C, H, W]: in a grid with a multiple of `columns` a row,
/// each example's pictures sit side by side.
pub fn side_by_side(columns: &[&Tensor]) -> Tensor {
    let [n, c, h, w] = columns[0].shape()[..] else {
        panic!("side_by_side: pictures must be [N, C, H, W], got {:?}", columns[0].shape())
    };
    Tensor::concat(columns, 1).reshape(&[n * columns.len(), c, h, w])
}

/// The picture shape [C, H, W] of one half of the data's pairs.
fn half_shape(shape: &DataShape) -> Result<[usize; 3], String> {
    match shape.item_shape[..] {
        [channels, height, width] if channels % 2 == 0 => Ok([channels / 2, height, width]),
        _ => Err(format!(
            "pix2pix translates pictures: its data are pairs [2C, H, W]; these examples have shape {:?} \
             (use --dataset pairs:<dir>)",
            shape.item_shape
        )),
    }
}

impl Pix2pix {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<Pix2pix, String> {
        let Some(dir) = config.dataset.strip_prefix("pairs:") else {
            return Err(format!(
                "pix2pix learns from paired pictures: use --dataset pairs:<dir> (A|B pictures in <dir>/train/), not {}",
                config.dataset
            ));
        };
        let generator = Pix2pix::build_generator(config, shape)?;
        let [channels, height, _] = half_shape(shape)?;
        let rng = &mut StdRng::seed_from_u64(config.seed ^ 0xD15C);
        let discriminator = PatchGan::new(2 * channels, config.patch, config.features, rng)?;
        if discriminator.output_side(height).is_none() {
            return Err(format!(
                "--patch {}: that PatchGAN's layers need pictures larger than {height}x{height}; use --patch 16 or 1",
                config.patch
            ));
        }
        let (path, split) = pairs::held_out_split(Path::new(dir));
        let held_out = pairs::load_pairs(&path, config.seed).map_err(|e| e.to_string())?;
        if held_out.item_shape() != shape.item_shape {
            return Err(format!(
                "the {split} pairs in {} have shape {:?}, the training pairs {:?}: both must have one size",
                path.display(),
                held_out.item_shape(),
                shape.item_shape
            ));
        }
        Ok(Pix2pix {
            opt_g: optimizer(config, generator.generator().parameters(), config.lr_g),
            opt_d: optimizer(config, discriminator.parameters(), config.lr_d),
            generator,
            discriminator,
            batch: config.batch,
            l1_weight: config.l1_weight,
            held_out,
            split,
            dir: PathBuf::from(dir),
        })
    }

    /// The generator alone.
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Pix2pix::build_generator(config, shape)?)
    }

    /// The generator `config.generator` names: the U-Net, or the ResNet-block one.
    fn build_generator(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Translator>, String> {
        match config.generator.as_str() {
            "resnet" => Ok(Box::new(Pix2pix::resnet(config, shape)?)),
            _ => Ok(Box::new(Pix2pix::unet(config, shape)?)),
        }
    }

    fn unet(config: &TrainConfig, shape: &DataShape) -> Result<UNet, String> {
        let rng = &mut StdRng::seed_from_u64(config.seed);
        UNet::new(half_shape(shape)?, config.features, config.seed ^ 0xD40F, rng)
    }

    fn resnet(config: &TrainConfig, shape: &DataShape) -> Result<ResnetGenerator, String> {
        ResnetGenerator::new(half_shape(shape)?, config.features, &mut StdRng::seed_from_u64(config.seed))
    }

    pub fn discriminator(&self) -> &PatchGan {
        &self.discriminator
    }

    /// The held-out pairs of `indices`, [indices.len(), 2C, H, W].
    fn held_out_pairs(&self, indices: impl Iterator<Item = usize>) -> Tensor {
        let item: usize = self.held_out.item_shape().iter().product();
        let values: Vec<f32> =
            indices.flat_map(|i| &self.held_out.values()[i * item..(i + 1) * item]).copied().collect();
        let mut shape = vec![values.len() / item];
        shape.extend_from_slice(self.held_out.item_shape());
        Tensor::from_vec(values, &shape)
    }
}

impl Family for Pix2pix {
    // ANCHOR: pix2pix_step
    /// One D update on real pairs (A, B) against generated pairs (A, G(A)),
    /// then one G update against the updated D, with the L1 term.
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let bce = Objective::NonSaturating;
        let pairs = ctx.data.next_batch(self.batch).x; // [N, 2C, H, W]: A's channels, then B's
        let (input, target) = halves(&pairs);
        let output = self.generator.forward(&input);
        let real = self.discriminator.forward(&pairs);
        let fake = self.discriminator.forward(&Tensor::concat(&[&input, &output.detach()], 1));
        let d_loss = bce.d_loss(&real, &fake).mul_scalar(0.5);
        minimise(self.opt_d.as_mut(), &d_loss);

        let g_gan = bce.g_loss(&self.discriminator.forward(&Tensor::concat(&[&input, &output], 1)));
        let l1 = output.sub(&target).abs().mean_all();
        minimise(self.opt_g.as_mut(), &g_gan.add(&l1.mul_scalar(self.l1_weight)));
        vec![("d_loss", d_loss), ("g_gan", g_gan), ("l1", l1)]
    }
    // ANCHOR_END: pix2pix_step

    fn sampler(&self) -> &dyn Sampler {
        self.generator.as_ref()
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn parts(&mut self) -> Parts<'_> {
        duel_parts(self.generator.generator(), &self.discriminator, self.opt_g.as_mut(), self.opt_d.as_mut())
    }

    /// Held-out pairs spread over the split, as rows input | output | target.
    fn picture(&self) -> Option<(Tensor, usize)> {
        let count = self.held_out.len();
        let shown = PICTURE_PAIRS.min(count);
        let (input, target) = halves(&self.held_out_pairs((0..shown).map(|i| i * count / shown)));
        let output = sample_eval(self.sampler(), &input, None);
        Some((side_by_side(&[&input, &output, &target]), PICTURE_COLUMNS))
    }

    /// Mean |G(A) - B| over every value of the held-out pairs (pixels in
    /// [-1, 1]), and the FID of G(A) to B with its floors (emoji feature net).
    fn held_out_scores(&self) -> Vec<(String, f32)> {
        let count = self.held_out.len();
        let (inputs, targets) = halves(&self.held_out_pairs(0..count));
        let outputs = in_chunks(&inputs, SCORE_CHUNK, |_, input| sample_eval(self.sampler(), input, None));
        let l1 = no_grad(|| outputs.sub(&targets).abs().mean_all()).item();
        let mut scores = vec![(format!("L1 on the {count} {} pairs", self.split), l1)];
        let translation = pair_targets(&pairs::training_split(&self.dir)).map(|training_targets| {
            let name = format!("G(A) to the {} targets B", self.split);
            vec![Translation { name, inputs, outputs, held_out_targets: targets, training_targets }]
        });
        scores.extend(fid_scores("emoji", translation));
        scores
    }
}
