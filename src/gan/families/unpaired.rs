//! What the unpaired translation families (CycleGAN, AlignFlow) share: the
//! picture shape of one set of the `unpaired:DIR` batches, the two critics
//! and their training, the held-out pictures of both sets, and how a pair of
//! translations A -> B and B -> A is shown and scored on them.
//!
//! Picture: 8 held-out A pictures as rows a | G(a) | F(G(a)), then 8 B
//! pictures as b | F(b) | G(F(b)), two a row. Scores, on the held-out sets
//! (`testA/`, `testB/`; the training sets where there are none): both cycle
//! errors, and, where the two sets hold the same file names (the same emoji
//! drawn in two styles), the L1 distance of G(a) to the true b and of F(b)
//! to the true a, beside the distance of a to b itself (translating nothing);
//! and the FID of G(a) to the B pictures and of F(b) to the A pictures with
//! the emoji feature net, each beside its floors (`metrics/translation.rs`).

use crate::checkpoint::{Part, Parts};
use crate::data::{folder, pairs};
use crate::gan::config::TrainConfig;
use crate::gan::families::pix2pix::side_by_side;
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::image_pool::{ImagePool, POOL_SIZE};
use crate::gan::losses::Objective;
use crate::gan::nets::patchgan::PatchGan;
use crate::metrics::translation::{fid_scores, Translation};
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

/// Held-out pictures of each set in the picture.
const PICTURE_ROWS: usize = 8;
/// Two examples of three pictures a row.
pub const PICTURE_COLUMNS: usize = 6;
/// Pictures translated at once when scoring.
const SCORE_CHUNK: usize = 64;
/// The feature net of the FIDs: the emoji sets' (`metrics/colour_sets.rs`).
const FEATURE_NET: &str = "emoji";

/// The translations the picture and the scores need, without gradients:
/// G: A -> B and F: B -> A.
pub struct Translations {
    pub g_a: Tensor,
    pub f_g_a: Tensor,
    pub f_b: Tensor,
    pub g_f_b: Tensor,
}

/// The held-out pictures [N, C, H, W] of both sets, in file-name order.
pub struct HeldOut {
    pub a: Tensor,
    pub b: Tensor,
    /// "test", or "train" where the layout has no test sets.
    pub split: &'static str,
    /// Whether a's and b's files have the same names, one for one: then b[i] is a[i]'s true counterpart.
    pub matched: bool,
    /// The data's folder (the FIDs' floors read `trainA/` and `trainB/`).
    dir: PathBuf,
}

/// The picture shape [C, H, W] of one set of the unpaired batches [2C, H, W].
pub fn picture_shape(config: &TrainConfig, shape: &DataShape) -> Result<[usize; 3], String> {
    match shape.item_shape[..] {
        [channels, height, width] if channels % 2 == 0 && config.dataset.starts_with("unpaired:") => {
            Ok([channels / 2, height, width])
        }
        _ => Err(format!(
            "{} learns from two unpaired sets of pictures: use --dataset unpaired:<dir> (with <dir>/trainA/ \
             and <dir>/trainB/), not {}",
            config.model, config.dataset
        )),
    }
}

/// The adversarial half of an unpaired translation: D_A judges A pictures
/// (real a against translations into A) and D_B judges B pictures, both
/// PatchGANs trained by one Adam, as in the reference code, on real pictures
/// against earlier translations drawn through each side's history pool
/// (`image_pool.rs`). The objective is LSGAN's (Mao et al.), as CycleGAN's.
pub struct Critics {
    d_a: PatchGan,
    d_b: PatchGan,
    opt: Box<dyn Optimizer>,
    /// Earlier translations into A shown to D_A, and into B shown to D_B.
    pool_a: ImagePool,
    pool_b: ImagePool,
}

impl Critics {
    /// Critics on pictures of shape `picture` (`--patch`, `--features`),
    /// initialised from the config's seed.
    pub fn new(config: &TrainConfig, picture: [usize; 3]) -> Result<Critics, String> {
        let [channels, height, _] = picture;
        let rng = &mut StdRng::seed_from_u64(config.seed ^ 0xD15C);
        let d_a = PatchGan::new(channels, config.patch, config.features, rng)?;
        let d_b = PatchGan::new(channels, config.patch, config.features, rng)?;
        if d_a.output_side(height).is_none() {
            return Err(format!(
                "--patch {}: that PatchGAN's layers need pictures larger than {height}x{height}; use --patch 16 or 1",
                config.patch
            ));
        }
        Ok(Critics {
            opt: optimizer(config, [d_a.parameters(), d_b.parameters()].concat(), config.lr_d),
            d_a,
            d_b,
            pool_a: ImagePool::new(POOL_SIZE, picture),
            pool_b: ImagePool::new(POOL_SIZE, picture),
        })
    }

    // ANCHOR: critics_losses
    /// The translators' adversarial loss: the mean squared error to 1 of each
    /// critic on the translations into its set, summed. As in the reference
    /// code, that is twice LSGAN's `g_loss`, which halves it as the paper does.
    pub fn g_loss(&self, a_to_b: &Tensor, b_to_a: &Tensor) -> Tensor {
        let lsgan = Objective::LeastSquares;
        lsgan.g_loss(&self.d_b.forward(a_to_b)).add(&lsgan.g_loss(&self.d_a.forward(b_to_a))).mul_scalar(2.0)
    }

    /// One update of both critics: real pictures a and b against the pooled
    /// translations into their sets. Returns D_A's and D_B's losses.
    pub fn step(
        &mut self,
        a: &Tensor,
        b: &Tensor,
        a_to_b: &Tensor,
        b_to_a: &Tensor,
        rng: &mut impl Rng,
    ) -> [Tensor; 2] {
        let lsgan = Objective::LeastSquares;
        let pooled_b_to_a = self.pool_a.query(b_to_a, rng);
        let pooled_a_to_b = self.pool_b.query(a_to_b, rng);
        let d_a = lsgan.d_loss(&self.d_a.forward(a), &self.d_a.forward(&pooled_b_to_a));
        let d_b = lsgan.d_loss(&self.d_b.forward(b), &self.d_b.forward(&pooled_a_to_b));
        minimise(self.opt.as_mut(), &d_a.add(&d_b));
        [d_a, d_b]
    }
    // ANCHOR_END: critics_losses

    /// The optimiser of both critics.
    pub fn optimizer(&mut self) -> &mut dyn Optimizer {
        self.opt.as_mut()
    }

    /// D_A, D_B, their optimiser and their pools, as checkpoint parts.
    pub fn parts(&mut self) -> Parts<'_> {
        vec![
            ("discriminator_a", Part::Module(&self.d_a)),
            ("discriminator_b", Part::Module(&self.d_b)),
            ("opt_d", Part::State(self.opt.as_mut())),
            ("pool_a", Part::State(&mut self.pool_a)),
            ("pool_b", Part::State(&mut self.pool_b)),
        ]
    }
}

/// Sum of |x - y| over every value, [1].
fn l1_sum(x: &Tensor, y: &Tensor) -> Tensor {
    x.sub(y).abs().sum_all().reshape(&[1])
}

impl HeldOut {
    /// The held-out sets of `dir`, which must hold pictures of the training shape `picture`.
    pub fn open(dir: &Path, picture: [usize; 3]) -> Result<HeldOut, String> {
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
        Ok(HeldOut { a, b, split, matched, dir: dir.to_path_buf() })
    }

    /// Rows a | G(a) | F(G(a)) of 8 held-out A pictures spread over the set,
    /// then b | F(b) | G(F(b)) of 8 B pictures, [96, C, H, W] (`PICTURE_COLUMNS` a row).
    pub fn picture(&self, translate: impl Fn(&Tensor, &Tensor) -> Translations) -> Tensor {
        let spread = |set: &Tensor| {
            let count = set.shape()[0];
            let shown = PICTURE_ROWS.min(count);
            let rows: Vec<Tensor> = (0..shown).map(|i| i * count / shown).map(|i| set.narrow(0, i, i + 1)).collect();
            Tensor::concat(&rows.iter().collect::<Vec<_>>(), 0)
        };
        let (a, b) = (spread(&self.a), spread(&self.b));
        let t = translate(&a, &b);
        let rows = [side_by_side(&[&a, &t.g_a, &t.f_g_a]), side_by_side(&[&b, &t.f_b, &t.g_f_b])];
        Tensor::concat(&[&rows[0], &rows[1]], 0)
    }

    /// Mean absolute errors per value (pixels in [-1, 1]) over the held-out
    /// sets, then the FIDs of both translations with their floors.
    pub fn scores(&self, translate: impl Fn(&Tensor, &Tensor) -> Translations) -> Vec<(String, f32)> {
        let HeldOut { a: set_a, b: set_b, split, matched, dir } = self;
        let (mut all_g_a, mut all_f_b) = (Vec::new(), Vec::new());
        let (count_a, count_b) = (set_a.shape()[0], set_b.shape()[0]);
        // Per chunk: cycle A, cycle B, and where matched |G(a) - b|, |F(b) - a|, |a - b|.
        let sums: Vec<Tensor> = (0..count_a.max(count_b))
            .step_by(SCORE_CHUNK)
            .map(|start| {
                let a = set_a.narrow(0, start.min(count_a), (start + SCORE_CHUNK).min(count_a));
                let b = set_b.narrow(0, start.min(count_b), (start + SCORE_CHUNK).min(count_b));
                let t = translate(&a, &b);
                all_g_a.push(t.g_a.clone());
                all_f_b.push(t.f_b.clone());
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
        // Chunks past the end of the smaller set are empty.
        let joined =
            |parts: &[Tensor]| Tensor::concat(&parts.iter().filter(|t| t.shape()[0] > 0).collect::<Vec<_>>(), 0);
        let training = |set: &str| pairs::load_pictures(&dir.join(set)).map_err(|e| e.to_string());
        let translations = training("trainB").and_then(|train_b| {
            Ok(vec![
                Translation {
                    name: format!("G(a) to {split}B"),
                    inputs: set_a.clone(),
                    outputs: joined(&all_g_a),
                    held_out_targets: set_b.clone(),
                    training_targets: train_b,
                },
                Translation {
                    name: format!("F(b) to {split}A"),
                    inputs: set_b.clone(),
                    outputs: joined(&all_f_b),
                    held_out_targets: set_a.clone(),
                    training_targets: training("trainA")?,
                },
            ])
        });
        scores.extend(fid_scores(FEATURE_NET, translations));
        scores
    }
}
