//! CycleGAN (Zhu, Park, Isola and Efros 2017): image-to-image translation
//! learned from two unpaired sets, A and B. Two ResNet-block generators
//! (`nets/resnet.rs`: reflection padding, instance norm), G: A -> B and
//! F: B -> A, and two PatchGAN discriminators (`nets/patchgan.rs`, on one
//! picture each, not a pair): D_B tells real B from G(a), D_A real A from F(b).
//!
//! Losses, as in the paper and its reference code:
//! - adversarial, LSGAN (Mao et al.): G minimises the mean of (D_B(G(a)) - 1)^2,
//!   F the same against D_A; each D minimises half the mean of
//!   (D(real) - 1)^2 + D(fake)^2 (`d_a`, `d_b`; `g_gan` is G's and F's terms summed);
//! - cycle consistency, lambda (10, `--cycle-weight`) times
//!   |F(G(a)) - a| + |G(F(b)) - b| (`cycle`): a translation must keep
//!   enough of its input to be translated back;
//! - identity, 0.5 lambda (5, `--identity-weight`) times
//!   |G(b) - b| + |F(a) - a| (`identity`): a picture already in the target
//!   domain should pass unchanged, which keeps colours from drifting.
//!
//! The logged `cycle` and `identity` are the unweighted sums of their two
//! mean absolute errors. One step updates G and F together (one Adam over
//! both), then D_A and D_B together on real pictures against generated ones
//! drawn through each side's history pool (`image_pool.rs`).
//!
//! Pictures: 8 held-out A pictures as rows a | G(a) | F(G(a)), then 8 B
//! pictures as b | F(b) | G(F(b)), two a row. Scores, on the held-out sets
//! (`testA/`, `testB/`; the training sets where there are none): both cycle
//! errors, and, where the two sets hold the same file names (the same emoji
//! drawn in two styles), the L1 distance of G(a) to the true b and of F(b)
//! to the true a, beside the distance of a to b itself (translating nothing).

use crate::checkpoint::{Loader, Saver};
use crate::data::{folder, pairs};
use crate::gan::config::TrainConfig;
use crate::gan::families::pix2pix::{halves, side_by_side};
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{Family, Losses, Player, Sampler, StepContext};
use crate::gan::image_pool::{ImagePool, POOL_SIZE};
use crate::gan::losses::Objective;
use crate::gan::nets::patchgan::PatchGan;
use crate::gan::nets::resnet::ResnetGenerator;
use crate::gan::nets::Translator;
use crate::gan::trainer::sample_eval;
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::Path;

/// Held-out pictures of each set in the picture.
const PICTURE_ROWS: usize = 8;
/// Two examples of three pictures a row.
const PICTURE_COLUMNS: usize = 6;
/// Pictures translated at once when scoring.
const SCORE_CHUNK: usize = 64;

pub struct CycleGan {
    /// G: A -> B.
    g: ResnetGenerator,
    /// F: B -> A.
    f: ResnetGenerator,
    /// Judges A pictures (real a against F(b)).
    d_a: PatchGan,
    /// Judges B pictures (real b against G(a)).
    d_b: PatchGan,
    /// One Adam over G and F, one over D_A and D_B, as the reference code.
    opt_g: Box<dyn Optimizer>,
    opt_d: Box<dyn Optimizer>,
    /// Earlier F(b) shown to D_A, and earlier G(a) shown to D_B.
    pool_a: ImagePool,
    pool_b: ImagePool,
    batch: usize,
    cycle_weight: f32,
    identity_weight: f32,
    held_out: HeldOut,
}

/// The held-out pictures [N, C, H, W] of both sets, in file-name order.
struct HeldOut {
    a: Tensor,
    b: Tensor,
    /// "test", or "train" where the layout has no test sets.
    split: &'static str,
    /// Whether a's and b's files have the same names, one for one: then b[i] is a[i]'s true counterpart.
    matched: bool,
}

impl HeldOut {
    /// The held-out sets of `dir`, which must hold pictures of the training shape `picture`.
    fn open(dir: &Path, picture: [usize; 3]) -> Result<HeldOut, String> {
        let split = if dir.join("testA").is_dir() && dir.join("testB").is_dir() { "test" } else { "train" };
        let (dir_a, dir_b) = (dir.join(format!("{split}A")), dir.join(format!("{split}B")));
        let names = |d: &Path| -> Result<Vec<_>, String> {
            let files = folder::list_images(d).map_err(|e| e.to_string())?;
            Ok(files.iter().map(|f| f.file_name().map(|n| n.to_os_string())).collect())
        };
        let matched = names(&dir_a)? == names(&dir_b)?;
        let a = pairs::load_pictures(&dir_a).map_err(|e| e.to_string())?;
        let b = pairs::load_pictures(&dir_b).map_err(|e| e.to_string())?;
        for (set, pictures) in [(&dir_a, &a), (&dir_b, &b)] {
            if pictures.shape()[1..] != picture {
                return Err(format!(
                    "the pictures in {} have shape {:?}, the training pictures {picture:?}: both must have one size",
                    set.display(),
                    &pictures.shape()[1..]
                ));
            }
        }
        Ok(HeldOut { a, b, split, matched })
    }
}

/// The translations the picture and the scores need, without gradients.
struct Translations {
    g_a: Tensor,
    f_g_a: Tensor,
    f_b: Tensor,
    g_f_b: Tensor,
}

/// Sum of |x - y| over every value, [1].
fn l1_sum(x: &Tensor, y: &Tensor) -> Tensor {
    x.sub(y).abs().sum_all().reshape(&[1])
}

/// The picture shape [C, H, W] of one set of the unpaired batches [2C, H, W].
fn picture_shape(config: &TrainConfig, shape: &DataShape) -> Result<[usize; 3], String> {
    match shape.item_shape[..] {
        [channels, height, width] if channels % 2 == 0 && config.dataset.starts_with("unpaired:") => {
            Ok([channels / 2, height, width])
        }
        _ => Err(format!(
            "cyclegan learns from two unpaired sets of pictures: use --dataset unpaired:<dir> (with <dir>/trainA/ \
             and <dir>/trainB/), not {}",
            config.dataset
        )),
    }
}

impl CycleGan {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<CycleGan, String> {
        let picture = picture_shape(config, shape)?;
        let [channels, height, _] = picture;
        let (g, f) = CycleGan::generators(config, picture)?;
        let rng = &mut StdRng::seed_from_u64(config.seed ^ 0xD15C);
        let d_a = PatchGan::new(channels, config.patch, config.features, rng)?;
        let d_b = PatchGan::new(channels, config.patch, config.features, rng)?;
        if d_a.output_side(height).is_none() {
            return Err(format!(
                "--patch {}: that PatchGAN's layers need pictures larger than {height}x{height}; use --patch 16 or 1",
                config.patch
            ));
        }
        let dir = config.dataset.trim_start_matches("unpaired:");
        let held_out = HeldOut::open(Path::new(dir), picture)?;
        let both = |x: &dyn Module, y: &dyn Module| [x.parameters(), y.parameters()].concat();
        Ok(CycleGan {
            opt_g: optimizer(config, both(&g, &f), config.lr_g),
            opt_d: optimizer(config, both(&d_a, &d_b), config.lr_d),
            g,
            f,
            d_a,
            d_b,
            pool_a: ImagePool::new(POOL_SIZE, picture),
            pool_b: ImagePool::new(POOL_SIZE, picture),
            batch: config.batch,
            cycle_weight: config.cycle_weight,
            identity_weight: config.identity_weight,
            held_out,
        })
    }

    /// G: A -> B alone (what sampling from a checkpoint loads).
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Box::new(CycleGan::generators(config, picture_shape(config, shape)?)?.0))
    }

    /// G and F, initialised from the config's seed.
    fn generators(config: &TrainConfig, picture: [usize; 3]) -> Result<(ResnetGenerator, ResnetGenerator), String> {
        let rng = &mut StdRng::seed_from_u64(config.seed);
        Ok((ResnetGenerator::new(picture, config.features, rng)?, ResnetGenerator::new(picture, config.features, rng)?))
    }

    /// F: B -> A.
    pub fn inverse(&self) -> &ResnetGenerator {
        &self.f
    }

    // ANCHOR: cycle_losses
    /// The cycle-consistency loss |F(G(a)) - a| + |G(F(b)) - b| (means over
    /// every value) of pictures and their round trips.
    pub fn cycle_loss(a: &Tensor, f_g_a: &Tensor, b: &Tensor, g_f_b: &Tensor) -> Tensor {
        f_g_a.sub(a).abs().mean_all().add(&g_f_b.sub(b).abs().mean_all())
    }

    /// The identity loss |G(b) - b| + |F(a) - a|: each generator should leave
    /// pictures of its own target domain alone.
    pub fn identity_loss(a: &Tensor, f_a: &Tensor, b: &Tensor, g_b: &Tensor) -> Tensor {
        CycleGan::cycle_loss(a, f_a, b, g_b)
    }
    // ANCHOR_END: cycle_losses

    /// G and F on held-out pictures a and b, in evaluation mode.
    fn translate(&self, a: &Tensor, b: &Tensor) -> Translations {
        let g_a = sample_eval(&self.g, a, None);
        let f_b = sample_eval(&self.f, b, None);
        Translations { f_g_a: sample_eval(&self.f, &g_a, None), g_f_b: sample_eval(&self.g, &f_b, None), g_a, f_b }
    }
}

impl Family for CycleGan {
    // ANCHOR: cyclegan_step
    /// One update of G and F (adversarial + cycle + identity), then one of
    /// D_A and D_B on real pictures against pooled generated ones.
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let lsgan = Objective::LeastSquares;
        let (a, b) = halves(&ctx.data.next_batch(self.batch).x); // unpaired: A's draw, then B's
        let (g_a, f_b) = (self.g.forward(&a), self.f.forward(&b));
        let cycle = CycleGan::cycle_loss(&a, &self.f.forward(&g_a), &b, &self.g.forward(&f_b));
        let identity = CycleGan::identity_loss(&a, &self.f.forward(&a), &b, &self.g.forward(&b));
        // The reference code's mean squared error to 1, twice `g_loss` (which halves it as LSGAN's paper).
        let g_gan = lsgan.g_loss(&self.d_b.forward(&g_a)).add(&lsgan.g_loss(&self.d_a.forward(&f_b))).mul_scalar(2.0);
        let g_total = g_gan.add(&cycle.mul_scalar(self.cycle_weight)).add(&identity.mul_scalar(self.identity_weight));
        minimise(self.opt_g.as_mut(), &g_total);

        let pooled_f_b = self.pool_a.query(&f_b, ctx.rng);
        let pooled_g_a = self.pool_b.query(&g_a, ctx.rng);
        let d_a = lsgan.d_loss(&self.d_a.forward(&a), &self.d_a.forward(&pooled_f_b));
        let d_b = lsgan.d_loss(&self.d_b.forward(&b), &self.d_b.forward(&pooled_g_a));
        minimise(self.opt_d.as_mut(), &d_a.add(&d_b));
        vec![("d_a", d_a), ("d_b", d_b), ("g_gan", g_gan), ("cycle", cycle), ("identity", identity)]
    }
    // ANCHOR_END: cyclegan_step

    fn sampler(&self) -> &dyn Sampler {
        &self.g
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn save_parts(&self, saver: Saver) -> Saver {
        saver
            .module("generator", &self.g)
            .module("inverse_generator", &self.f)
            .module("discriminator_a", &self.d_a)
            .module("discriminator_b", &self.d_b)
            .part("opt_g", self.opt_g.as_ref())
            .part("opt_d", self.opt_d.as_ref())
            .part("pool_a", &self.pool_a)
            .part("pool_b", &self.pool_b)
    }

    fn load_parts<'a>(&'a mut self, loader: Loader<'a>) -> Loader<'a> {
        loader
            .module("generator", &self.g)
            .module("inverse_generator", &self.f)
            .module("discriminator_a", &self.d_a)
            .module("discriminator_b", &self.d_b)
            .part("opt_g", self.opt_g.as_mut())
            .part("opt_d", self.opt_d.as_mut())
            .part("pool_a", &mut self.pool_a)
            .part("pool_b", &mut self.pool_b)
    }

    /// Held-out a | G(a) | F(G(a)) rows, then b | F(b) | G(F(b)) rows.
    fn picture(&self) -> Option<(Tensor, usize)> {
        let spread = |set: &Tensor| {
            let count = set.shape()[0];
            let shown = PICTURE_ROWS.min(count);
            let rows: Vec<Tensor> = (0..shown).map(|i| i * count / shown).map(|i| set.narrow(0, i, i + 1)).collect();
            Tensor::concat(&rows.iter().collect::<Vec<_>>(), 0)
        };
        let (a, b) = (spread(&self.held_out.a), spread(&self.held_out.b));
        let t = self.translate(&a, &b);
        let rows = [side_by_side(&[&a, &t.g_a, &t.f_g_a]), side_by_side(&[&b, &t.f_b, &t.g_f_b])];
        Some((Tensor::concat(&[&rows[0], &rows[1]], 0), PICTURE_COLUMNS))
    }

    /// Mean absolute errors per value (pixels in [-1, 1]) over the held-out sets.
    fn held_out_scores(&self) -> Vec<(String, f32)> {
        let HeldOut { a: set_a, b: set_b, split, matched } = &self.held_out;
        let (count_a, count_b) = (set_a.shape()[0], set_b.shape()[0]);
        // Per chunk: cycle A, cycle B, and where matched |G(a) - b|, |F(b) - a|, |a - b|.
        let sums: Vec<Tensor> = (0..count_a.max(count_b))
            .step_by(SCORE_CHUNK)
            .map(|start| {
                let a = set_a.narrow(0, start.min(count_a), (start + SCORE_CHUNK).min(count_a));
                let b = set_b.narrow(0, start.min(count_b), (start + SCORE_CHUNK).min(count_b));
                let t = self.translate(&a, &b);
                no_grad(|| {
                    let mut terms = vec![l1_sum(&t.f_g_a, &a), l1_sum(&t.g_f_b, &b)];
                    if *matched {
                        terms.extend([l1_sum(&t.g_a, &b), l1_sum(&t.f_b, &a), l1_sum(&a, &b)]);
                    }
                    Tensor::concat(&terms.iter().collect::<Vec<_>>(), 0)
                })
            })
            .collect();
        let terms = if *matched { 5 } else { 2 };
        let all = Tensor::concat(&sums.iter().collect::<Vec<_>>(), 0).to_vec(); // one readback
        let totals: Vec<f32> = (0..terms).map(|t| all.iter().skip(t).step_by(terms).sum()).collect();
        let per_picture: usize = set_a.shape()[1..].iter().product();
        let (values_a, values_b) = ((count_a * per_picture) as f32, (count_b * per_picture) as f32);
        let mut scores = vec![
            (format!("cycle L1 |F(G(a)) - a| on the {count_a} {split}A pictures"), totals[0] / values_a),
            (format!("cycle L1 |G(F(b)) - b| on the {count_b} {split}B pictures"), totals[1] / values_b),
        ];
        if *matched {
            scores.extend([
                (format!("L1 |G(a) - b| to the true counterpart ({split}, {count_a} pairs)"), totals[2] / values_a),
                (format!("L1 |F(b) - a| to the true counterpart ({split}, {count_a} pairs)"), totals[3] / values_a),
                (format!("L1 |a - b| (no translation, {split})"), totals[4] / values_a),
            ]);
        }
        scores
    }
}
