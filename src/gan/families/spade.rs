//! SPADE (Park, Liu, Wang and Zhu 2019): pictures synthesised from label
//! maps. The generator (`nets/spade_generator.rs`) grows a picture from a
//! latent z through residual blocks whose every normalisation is modulated,
//! pixel by pixel, by the label map (`nn/spade.rs`); the discriminator
//! (`nets/multiscale.rs`) is two PatchGANs, on the label map and the picture
//! joined along the channels, at full and at half size.
//!
//! Data: pairs label map | picture in pix2pix's layout (`--dataset
//! pairs:<dir>`), the label map a palette picture of the avatar classes
//! (`data/avatars.rs`), turned into one channel per class for both nets.
//!
//! Losses (the paper's, from its code): hinge. D minimises, averaged over
//! its scales, mean relu(1 - D(m, x)) + mean relu(1 + D(m, G(z, m))). G
//! minimises, averaged over the scales, -mean D(m, G(z, m)), plus 10
//! (`--fm-weight`) times the feature-matching loss of pix2pixHD: the mean
//! absolute difference of D's hidden layers on the generated and on the real
//! picture of the same label map, summed over layers and averaged over
//! scales. Adam with the two time-scale rates of the paper, 1e-4 for G and
//! 4e-4 for D, betas (0, 0.999); one D update, then one G update, per step.
//!
//! Feature matching pulls G(z, m) towards the one real picture of m, while
//! z should choose among many; the paper pairs it with an encoder that gives
//! z from that very picture, which this family leaves out. How much z still
//! changes the output is one of the held-out scores below.
//!
//! Pictures: 8 held-out label maps as rows label map | output | real, two a
//! row, then one label map with 5 latents: label map | 5 outputs.
//! Scores on the held-out split (test/): see `held_out_scores`.

use crate::checkpoint::Parts;
use crate::data::avatars::{nearest_class, one_hot, CLASSES, PARTS};
use crate::data::dataset::{Dataset, InMemory};
use crate::data::pairs;
use crate::gan::config::TrainConfig;
use crate::gan::families::pix2pix::{halves, side_by_side};
use crate::gan::families::{minimise, optimizer, DataShape};
use crate::gan::family::{duel_parts, Family, Losses, Player, Sampler, StepContext};
use crate::gan::losses::Objective;
use crate::gan::nets::multiscale::MultiscaleDiscriminator;
use crate::gan::nets::spade_generator::{SpadeGenerator, LATENT};
use crate::metrics::translation::{fid_scores, in_chunks, pair_targets, Translation};
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::{no_grad, Tensor};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::path::{Path, PathBuf};

/// Held-out label maps in the picture: 4 rows of two (label | output | real).
const PICTURE_PAIRS: usize = 8;
const PICTURE_COLUMNS: usize = 6;
/// Latents shown for one label map in the picture's last row.
const PICTURE_LATENTS: usize = PICTURE_COLUMNS - 1;
/// The discriminator's scales: the picture and its half-size copy.
const SCALES: usize = 2;
/// Held-out pairs scored, spread evenly over the split (a generator pass
/// over a few hundred takes minutes on a CPU adapter).
const SCORED_PAIRS: usize = 64;
/// A background pixel counts as kept white when every channel is above this
/// (in [-1, 1]; 0.8 is 230 of 255).
const WHITE: f32 = 0.8;

pub struct Spade {
    generator: SpadeGenerator,
    discriminator: MultiscaleDiscriminator,
    opt_g: Box<dyn Optimizer>,
    opt_d: Box<dyn Optimizer>,
    batch: usize,
    fm_weight: f32,
    held_out: InMemory,
    split: &'static str,
    /// The data's folder (the FID's floor reads its training avatars).
    dir: PathBuf,
}

/// The side of the data's square pictures: pairs [6, side, side].
fn picture_side(config: &TrainConfig, shape: &DataShape) -> Result<usize, String> {
    match shape.item_shape[..] {
        [6, height, width] if height == width && config.dataset.starts_with("pairs:") => Ok(height),
        _ => Err(format!(
            "spade learns from label maps beside their pictures: use --dataset pairs:<dir> with square label|picture \
             pairs (make them with `ganforge data dicebear`), not {} (examples of shape {:?})",
            config.dataset, shape.item_shape
        )),
    }
}

/// Refuses pairs whose left halves are not label maps in the avatar palette.
fn check_label_maps(pairs: &InMemory, dir: &Path) -> Result<(), String> {
    let item: usize = pairs.item_shape().iter().product();
    let plane = item / 6;
    let to_byte = |v: f32| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8;
    let (mut off_palette, mut total) = (0usize, 0usize);
    for example in pairs.values().chunks(item) {
        for p in 0..plane {
            let rgb = [0, 1, 2].map(|c| to_byte(example[c * plane + p]));
            let class = nearest_class(rgb);
            let distance: u32 = PARTS[class].1.iter().zip(rgb).map(|(&a, b)| a.abs_diff(b) as u32).sum();
            off_palette += usize::from(distance > 8);
            total += 1;
        }
    }
    if off_palette * 100 > total {
        return Err(format!(
            "{}: {off_palette} of {total} pixels of the left halves are not colours of the avatar label palette \
             (src/data/avatars.rs): spade needs label maps made by `ganforge data dicebear`",
            dir.display()
        ));
    }
    Ok(())
}

impl Spade {
    pub fn new(config: &TrainConfig, shape: &DataShape) -> Result<Spade, String> {
        let generator = Spade::build_generator(config, shape)?;
        let rng = &mut StdRng::seed_from_u64(config.seed ^ 0xD15C);
        let discriminator = MultiscaleDiscriminator::new(CLASSES + 3, SCALES, config.features, rng);
        let dir = Path::new(config.dataset.trim_start_matches("pairs:"));
        let (path, split) = pairs::held_out_split(dir);
        let held_out = pairs::load_pairs(&path, config.seed).map_err(|e| e.to_string())?;
        if held_out.item_shape() != shape.item_shape {
            return Err(format!(
                "the {split} pairs in {} have shape {:?}, the training pairs {:?}: both must have one size",
                path.display(),
                held_out.item_shape(),
                shape.item_shape
            ));
        }
        check_label_maps(&held_out, &path)?;
        Ok(Spade {
            opt_g: optimizer(config, generator.parameters(), config.lr_g),
            opt_d: optimizer(config, discriminator.parameters(), config.lr_d),
            generator,
            discriminator,
            batch: config.batch,
            fm_weight: config.fm_weight,
            held_out,
            split,
            dir: dir.to_path_buf(),
        })
    }

    /// The generator alone.
    pub fn model(config: &TrainConfig, shape: &DataShape) -> Result<Box<dyn Sampler>, String> {
        Ok(Box::new(Spade::build_generator(config, shape)?))
    }

    fn build_generator(config: &TrainConfig, shape: &DataShape) -> Result<SpadeGenerator, String> {
        SpadeGenerator::new(picture_side(config, shape)?, config.features, &mut StdRng::seed_from_u64(config.seed))
    }

    /// The discriminator's layer outputs, per scale, for label maps (one-hot) and pictures.
    fn judge(&self, labels: &Tensor, pictures: &Tensor) -> Vec<Vec<Tensor>> {
        self.discriminator.forward(&Tensor::concat(&[labels, pictures], 1))
    }

    /// The held-out pairs of `indices`, [indices.len(), 6, H, W].
    fn held_out_pairs(&self, indices: impl Iterator<Item = usize>) -> Tensor {
        let item: usize = self.held_out.item_shape().iter().product();
        let values: Vec<f32> =
            indices.flat_map(|i| &self.held_out.values()[i * item..(i + 1) * item]).copied().collect();
        let mut shape = vec![values.len() / item];
        shape.extend_from_slice(self.held_out.item_shape());
        Tensor::from_vec(values, &shape)
    }

    /// G(z, m) in evaluation mode for palette label pictures m.
    fn synthesise(&self, z: &Tensor, label_pictures: &Tensor) -> Tensor {
        self.generator.eval();
        let output = no_grad(|| self.generator.forward(z, &one_hot(label_pictures)));
        self.generator.train();
        output
    }

    /// The FID of G(z, m) over every held-out label map m (at the fixed
    /// latents of `SpadeGenerator::sample_latents`) to the real avatars, with
    /// its floors (`metrics/translation.rs`; the label maps are the inputs).
    fn held_out_fid(&self) -> Vec<(String, f32)> {
        let count = self.held_out.len();
        let (label_pictures, real) = halves(&self.held_out_pairs(0..count));
        let z = SpadeGenerator::sample_latents(count);
        let outputs = in_chunks(&label_pictures, SCORED_PAIRS, |start, maps| {
            self.synthesise(&z.narrow(0, start, start + maps.shape()[0]), maps)
        });
        let translation = pair_targets(&pairs::training_split(&self.dir)).map(|training_targets| {
            let name = format!("G(z, m) to the {} avatars", self.split);
            vec![Translation { name, inputs: label_pictures, outputs, held_out_targets: real, training_targets }]
        });
        fid_scores("avatars", translation)
    }
}

/// The sum of scalar tensors.
fn sum(terms: &[Tensor]) -> Tensor {
    terms.iter().skip(1).fold(terms[0].clone(), |sum, t| sum.add(t))
}

/// The mean of scalar tensors (one term per discriminator scale).
fn mean(terms: &[Tensor]) -> Tensor {
    sum(terms).div_scalar(terms.len() as f32)
}

/// The logits: the last layer's output.
fn logits(layers: &[Tensor]) -> &Tensor {
    layers.last().expect("a PatchGAN has layers")
}

/// pix2pixHD's feature matching at one scale: the mean |fake - real| of
/// every hidden layer (all but the logits), summed over the layers.
fn feature_distance(fake: &[Tensor], real: &[Tensor]) -> Tensor {
    let hidden = fake.len() - 1;
    sum(&(0..hidden).map(|l| fake[l].sub(&real[l]).abs().mean_all()).collect::<Vec<_>>())
}

impl Family for Spade {
    // ANCHOR: spade_step
    /// One D update on real (m, x) against generated (m, G(z, m)), then one
    /// G update against the updated D, with feature matching.
    fn step(&mut self, ctx: &mut StepContext) -> Losses {
        let hinge = Objective::Hinge;
        let pairs = ctx.data.next_batch(self.batch).x; // [N, 6, H, W]: label map, then picture
        let (label_pictures, real) = halves(&pairs);
        let labels = one_hot(&label_pictures); // [N, CLASSES, H, W]
        let z = Tensor::randn_from(&[real.shape()[0], LATENT], ctx.rng);
        let fake = self.generator.forward(&z, &labels);

        let (on_real, on_fake) = (self.judge(&labels, &real), self.judge(&labels, &fake.detach()));
        let d_terms: Vec<Tensor> =
            on_real.iter().zip(&on_fake).map(|(r, f)| hinge.d_loss(logits(r), logits(f))).collect();
        let d_loss = mean(&d_terms);
        minimise(self.opt_d.as_mut(), &d_loss);

        let on_fake = self.judge(&labels, &fake);
        let on_real = no_grad(|| self.judge(&labels, &real)); // targets for feature matching
        let g_hinge = mean(&on_fake.iter().map(|layers| hinge.g_loss(logits(layers))).collect::<Vec<_>>());
        let distances: Vec<Tensor> = on_fake.iter().zip(&on_real).map(|(f, r)| feature_distance(f, r)).collect();
        let feature_matching = mean(&distances);
        minimise(self.opt_g.as_mut(), &g_hinge.add(&feature_matching.mul_scalar(self.fm_weight)));
        vec![("d_loss", d_loss), ("g_hinge", g_hinge), ("feature_matching", feature_matching)]
    }
    // ANCHOR_END: spade_step

    fn sampler(&self) -> &dyn Sampler {
        &self.generator
    }

    fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    fn parts(&mut self) -> Parts<'_> {
        duel_parts(&self.generator, &self.discriminator, self.opt_g.as_mut(), self.opt_d.as_mut())
    }

    /// Held-out label maps as rows label | output | real, then one label map
    /// with several latents.
    fn picture(&self) -> Option<(Tensor, usize)> {
        let count = self.held_out.len();
        let shown = PICTURE_PAIRS.min(count);
        let (label_pictures, real) = halves(&self.held_out_pairs((0..shown).map(|i| i * count / shown)));
        let output = self.synthesise(&SpadeGenerator::sample_latents(shown), &label_pictures);
        let one_map = label_pictures.narrow(0, 0, 1);
        let repeated = Tensor::concat(&[&one_map; PICTURE_LATENTS], 0);
        let several = self.synthesise(&Tensor::randn(&[PICTURE_LATENTS, LATENT], 0x5EED), &repeated);
        let last_row = Tensor::concat(&[&one_map, &several], 0);
        Some((Tensor::concat(&[&side_by_side(&[&label_pictures, &output, &real]), &last_row], 0), PICTURE_COLUMNS))
    }

    /// Over up to 64 held-out pairs spread over the split, each synthesised at the fixed latents of
    /// `SpadeGenerator::sample_latents`, in 0..255 units per channel:
    /// - how much of the background G leaves white (real: all of it), which
    ///   says whether it follows the label map's outline;
    /// - the part colour gap: per class, the mean colour of its pixels in
    ///   the outputs against that in the real pictures (L1 over R, G, B,
    ///   divided by 3), averaged over classes weighted by their pixels;
    /// - the spread of each part's colour across avatars (the standard
    ///   deviation over pictures of the part's mean colour, averaged over
    ///   channels and classes), for the outputs and the real pictures: one
    ///   label map has many colourings, and a generator that paints every
    ///   face one colour scores near 0 here;
    /// - how much redrawing z changes the output: the mean |G(z1, m) - G(z2, m)|;
    ///
    /// then, over every held-out pair, the FID of G(z, m) to the real avatars
    /// with its floors (avatars feature net; `held_out_fid`).
    fn held_out_scores(&self) -> Vec<(String, f32)> {
        let (all, count) = (self.held_out.len(), SCORED_PAIRS.min(self.held_out.len()));
        let (label_pictures, real) = halves(&self.held_out_pairs((0..count).map(|i| i * all / count)));
        let output = self.synthesise(&SpadeGenerator::sample_latents(count), &label_pictures);
        let other = self.synthesise(&Tensor::randn(&[count, LATENT], 0x07E2), &label_pictures);
        let z_change = no_grad(|| output.sub(&other).abs().mean_all()).item() * 127.5;
        let plane = real.shape()[2] * real.shape()[3];
        let classes = class_maps(&label_pictures.to_vec(), plane);
        let (fake, real) =
            (PartColours::of(&output.to_vec(), &classes, plane), PartColours::of(&real.to_vec(), &classes, plane));
        let what = format!("the {count} {} pairs", self.split);
        let mut scores = vec![
            (
                format!("background kept white, % ({what}; real: {:.1})", real.white_background()),
                fake.white_background(),
            ),
            (format!("part colour gap to the real pictures, 0..255 ({what})"), fake.gap_to(&real)),
            (
                format!("spread of part colours across avatars, 0..255 ({what}; real: {:.1})", real.spread()),
                fake.spread(),
            ),
            (format!("change when z is redrawn, mean |G(z1, m) - G(z2, m)| in 0..255 ({what})"), z_change),
        ];
        scores.extend(self.held_out_fid());
        scores
    }
}

/// The class of every pixel of palette label pictures [N, 3, H, W] (values
/// in [-1, 1]), per picture.
fn class_maps(label_values: &[f32], plane: usize) -> Vec<Vec<usize>> {
    let to_byte = |v: f32| ((v + 1.0) * 127.5).round().clamp(0.0, 255.0) as u8;
    label_values
        .chunks(3 * plane)
        .map(|picture| (0..plane).map(|p| nearest_class([0, 1, 2].map(|c| to_byte(picture[c * plane + p])))).collect())
        .collect()
}

/// Per picture and class: the sum of each channel over the class's pixels
/// and their count; and per picture, the background pixels kept white.
struct PartColours {
    /// [picture][class] -> (sums of R, G, B in [-1, 1], pixels).
    sums: Vec<Vec<([f32; 3], usize)>>,
    white: usize,
    background: usize,
}

impl PartColours {
    fn of(pictures: &[f32], classes: &[Vec<usize>], plane: usize) -> PartColours {
        let mut colours = PartColours { sums: Vec::new(), white: 0, background: 0 };
        for (picture, classes) in pictures.chunks(3 * plane).zip(classes) {
            let mut sums = vec![([0.0f32; 3], 0usize); CLASSES];
            for (p, &class) in classes.iter().enumerate() {
                let rgb = [0, 1, 2].map(|c| picture[c * plane + p]);
                for (sum, value) in sums[class].0.iter_mut().zip(rgb) {
                    *sum += value;
                }
                sums[class].1 += 1;
                if class == 0 {
                    colours.background += 1;
                    colours.white += usize::from(rgb.iter().all(|&v| v > WHITE));
                }
            }
            colours.sums.push(sums);
        }
        colours
    }

    fn white_background(&self) -> f32 {
        100.0 * self.white as f32 / self.background.max(1) as f32
    }

    /// Per class: the mean colour over all its pixels, and its pixel count.
    fn class_means(&self) -> Vec<([f32; 3], usize)> {
        (0..CLASSES)
            .map(|class| {
                let (mut sum, mut pixels) = ([0.0f32; 3], 0);
                for picture in &self.sums {
                    let (s, n) = picture[class];
                    (0..3).for_each(|c| sum[c] += s[c]);
                    pixels += n;
                }
                (sum.map(|s| s / pixels.max(1) as f32), pixels)
            })
            .collect()
    }

    /// The pixel-weighted mean over classes of |own mean colour - other's| / 3, in 0..255.
    fn gap_to(&self, other: &PartColours) -> f32 {
        let (own, theirs) = (self.class_means(), other.class_means());
        let (mut gap, mut pixels) = (0.0, 0);
        for ((mine, n), (real, _)) in own.iter().zip(&theirs) {
            let l1: f32 = (0..3).map(|c| (mine[c] - real[c]).abs()).sum();
            gap += l1 / 3.0 * *n as f32;
            pixels += n;
        }
        gap / pixels.max(1) as f32 * 127.5
    }

    /// The mean over classes (in two pictures or more) of the standard
    /// deviation over pictures of the class's mean colour, in 0..255.
    fn spread(&self) -> f32 {
        let spreads: Vec<f32> = (1..CLASSES)
            .filter_map(|class| {
                let means: Vec<[f32; 3]> = (self.sums.iter())
                    .filter(|picture| picture[class].1 > 0)
                    .map(|picture| picture[class].0.map(|s| s / picture[class].1 as f32))
                    .collect();
                (means.len() >= 2).then(|| {
                    let channel_std = |c: usize| {
                        let mean = means.iter().map(|m| m[c]).sum::<f32>() / means.len() as f32;
                        (means.iter().map(|m| (m[c] - mean).powi(2)).sum::<f32>() / means.len() as f32).sqrt()
                    };
                    (0..3).map(channel_std).sum::<f32>() / 3.0
                })
            })
            .collect();
        spreads.iter().sum::<f32>() / spreads.len().max(1) as f32 * 127.5
    }
}
