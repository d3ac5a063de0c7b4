//! GAN steering (Jahanian, Chai and Isola, 2020, "On the steerability of
//! generative adversarial networks"): a direction w in latent space along
//! which the generator's images undergo a chosen edit.
//!
//! An image edit (shift, zoom, brightness, stroke thickness) is applied to
//! G(z) by plain image processing; that is what is *asked*. The walk is
//! linear: w is learned so that G(z + alpha w) looks like edit(G(z), alpha),
//!
//!   min_w  E_{z, alpha} || G(z + alpha w) - edit(G(z), alpha) ||^2,
//!
//! with z drawn from the prior, alpha uniform over the edit's range, and G
//! fixed (in eval mode); only w is trained, by Adam. Pixels an edit shifts in
//! from outside the picture take the background value -1 (the paper masks
//! them out of the loss; for digits on a black background the background
//! *is* what belongs there).
//!
//! What the walk *achieves* is measured on each image with a statistic of
//! its ink, (x + 1) / 2, chosen so that the edit itself moves the statistic
//! by the asked amount: the centre of ink mass for a shift, the ink's RMS
//! radius for a zoom, the ink-weighted ink level for brightness, and a
//! stroke width estimate for thickness. Comparing asked with achieved, alpha
//! by alpha, shows how far the generator can follow the edit: the paper
//! finds a linear walk reaches only part of the range, where the training
//! data's own variation runs out.

use crate::gan::family::Sampler;
use crate::gan::prior::Prior;
use crate::optim::{Adam, Optimizer};
use crate::Tensor;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha12Rng;

/// The value of the background (no ink) in a picture in [-1, 1].
const BACKGROUND: f32 = -1.0;

/// An image edit, with alpha = 0 the identity, as the walk's z + 0 w is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Edit {
    /// Moves the picture alpha pixels to the right (left when negative),
    /// interpolating linearly between whole-pixel shifts.
    Shift,
    /// Scales the picture about its centre by 2^alpha (alpha = 1: twice
    /// as large), sampling bilinearly: alpha is the log2 of the scale, so that
    /// zooming in and out are symmetric about 0.
    Zoom,
    /// Multiplies the ink (x + 1) by 2^alpha, clipped to the picture's
    /// range [-1, 1]: alpha is the log2 of the ink's scale.
    Brightness,
    /// Grows strokes by alpha pixels on every side (a grayscale dilation by a
    /// disc of radius alpha, the maximum over it), or thins them for negative
    /// alpha (an erosion, the minimum); a fractional radius blends the two
    /// whole radii around it. On the pixel grid the disc of radius 1 is the
    /// 4-neighbour cross, so slanted strokes grow a little less than alpha.
    Thickness,
}

impl Edit {
    /// Every edit, in the order the CLI lists them.
    pub const ALL: [Edit; 4] = [Edit::Shift, Edit::Zoom, Edit::Brightness, Edit::Thickness];

    /// The edit named `name`; an unknown name is an error naming the valid ones.
    pub fn parse(name: &str) -> Result<Edit, String> {
        Edit::ALL.into_iter().find(|edit| edit.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Edit::ALL.iter().map(|edit| edit.name()).collect();
            format!("unknown edit {name:?}: use {}", names.join(", "))
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Edit::Shift => "shift",
            Edit::Zoom => "zoom",
            Edit::Brightness => "brightness",
            Edit::Thickness => "thickness",
        }
    }

    /// The range alpha is drawn from, (low, high), holding 0: a quarter of a
    /// 28-pixel picture either way, half to twice the size, half to twice the
    /// ink, and one pixel thinner to one pixel thicker on every side.
    pub fn range(&self) -> (f32, f32) {
        match self {
            Edit::Shift => (-6.0, 6.0),
            Edit::Zoom | Edit::Brightness | Edit::Thickness => (-1.0, 1.0),
        }
    }

    /// What alpha asks for, in the units the measurement reports: pixels for
    /// a shift and for thickness, a factor (2^alpha) for zoom and brightness.
    pub fn asked(&self, alpha: f32) -> f32 {
        match self {
            Edit::Shift | Edit::Thickness => alpha,
            Edit::Zoom | Edit::Brightness => alpha.exp2(),
        }
    }

    /// A short description of what `asked` and `achieved` measure.
    pub fn measure_description(&self) -> &'static str {
        match self {
            Edit::Shift => "pixels the centre of ink mass moved to the right",
            Edit::Zoom => "factor by which the ink's RMS radius grew",
            Edit::Brightness => "factor by which the ink-weighted ink level grew",
            Edit::Thickness => "pixels each side of a stroke grew (half the change of 2 area / perimeter)",
        }
    }

    /// The edit of every picture of `images` [N, C, H, W] in [-1, 1], picture i
    /// by `alphas[i]`; each channel is edited alike. No graph is recorded.
    pub fn apply(&self, images: &Tensor, alphas: &[f32]) -> Tensor {
        let [n, channels, height, width] = images.shape()[..] else {
            panic!("an edit takes pictures [N, C, H, W], got {:?}", images.shape());
        };
        assert_eq!(alphas.len(), n, "one alpha per picture");
        let values = images.to_vec();
        let plane_size = height * width;
        let mut edited = Vec::with_capacity(values.len());
        for (index, plane) in values.chunks_exact(plane_size).enumerate() {
            edited.extend(self.apply_plane(plane, height, width, alphas[index / channels]));
        }
        Tensor::from_vec(edited, &[n, channels, height, width])
    }

    /// The edit of one plane of pixels (row-major, `height` x `width`).
    pub fn apply_plane(&self, plane: &[f32], height: usize, width: usize, alpha: f32) -> Vec<f32> {
        let picture = Plane { values: plane, height, width };
        let (cy, cx) = ((height as f32 - 1.0) / 2.0, (width as f32 - 1.0) / 2.0);
        let scale = alpha.exp2();
        let mut out = Vec::with_capacity(plane.len());
        for y in 0..height {
            for x in 0..width {
                let (yf, xf) = (y as f32, x as f32);
                out.push(match self {
                    // The pixel that lands at (y, x) came from alpha to its left.
                    Edit::Shift => picture.bilinear(yf, xf - alpha),
                    // ... or from 1 / scale of the way out from the centre.
                    Edit::Zoom => picture.bilinear(cy + (yf - cy) / scale, cx + (xf - cx) / scale),
                    Edit::Brightness => ((picture.at(y as isize, x as isize) + 1.0) * scale).clamp(0.0, 2.0) - 1.0,
                    Edit::Thickness => picture.morphology(y, x, alpha),
                });
            }
        }
        out
    }

    /// How much of the edit `edited` shows against `original` (each one
    /// picture, C x H x W values), in the units of [`Edit::asked`]; NaN when
    /// either picture has no ink to measure.
    pub fn achieved(&self, original: &[f32], edited: &[f32], height: usize, width: usize) -> f32 {
        let (before, after) = (Ink::of(original, height, width), Ink::of(edited, height, width));
        match self {
            Edit::Shift => after.centre().1 - before.centre().1,
            Edit::Zoom => after.rms_radius() / before.rms_radius(),
            Edit::Brightness => after.level() / before.level(),
            Edit::Thickness => (after.stroke_width() - before.stroke_width()) / 2.0,
        }
    }
}

/// One plane of pixels, read with the background outside it.
struct Plane<'a> {
    values: &'a [f32],
    height: usize,
    width: usize,
}

impl Plane<'_> {
    /// The pixel at (y, x), or the background outside the picture.
    fn at(&self, y: isize, x: isize) -> f32 {
        if y < 0 || x < 0 || y >= self.height as isize || x >= self.width as isize {
            return BACKGROUND;
        }
        self.values[y as usize * self.width + x as usize]
    }

    /// The picture at a fractional position, interpolated from its four
    /// neighbouring pixels (exact at whole positions).
    fn bilinear(&self, y: f32, x: f32) -> f32 {
        let (y0, x0) = (y.floor(), x.floor());
        let (fy, fx) = (y - y0, x - x0);
        let (y0, x0) = (y0 as isize, x0 as isize);
        let top = self.at(y0, x0) * (1.0 - fx) + self.at(y0, x0 + 1) * fx;
        let bottom = self.at(y0 + 1, x0) * (1.0 - fx) + self.at(y0 + 1, x0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }

    /// Dilation (alpha > 0: the brightest pixel within radius alpha) or
    /// erosion (alpha < 0: the darkest) at (y, x); a fractional radius blends
    /// the results of the whole radii below and above it.
    fn morphology(&self, y: usize, x: usize, alpha: f32) -> f32 {
        let radius = alpha.abs();
        let (inner, blend) = (radius.floor(), radius - radius.floor());
        let at_radius = |r: f32| {
            let reach = r as isize;
            let mut extreme = self.at(y as isize, x as isize);
            for dy in -reach..=reach {
                for dx in -reach..=reach {
                    if (dy * dy + dx * dx) as f32 <= r * r {
                        let value = self.at(y as isize + dy, x as isize + dx);
                        extreme = if alpha > 0.0 { extreme.max(value) } else { extreme.min(value) };
                    }
                }
            }
            extreme
        };
        if blend == 0.0 {
            at_radius(inner)
        } else {
            (1.0 - blend) * at_radius(inner) + blend * at_radius(inner + 1.0)
        }
    }
}

/// A picture's ink, (x + 1) / 2 averaged over its channels: 0 on the
/// background, 1 on a full stroke. The statistics the measurements use.
struct Ink {
    ink: Vec<f32>,
    height: usize,
    width: usize,
}

impl Ink {
    fn of(picture: &[f32], height: usize, width: usize) -> Ink {
        let plane_size = height * width;
        let channels = (picture.len() / plane_size) as f32;
        let mut ink = vec![0.0; plane_size];
        for plane in picture.chunks_exact(plane_size) {
            for (sum, value) in ink.iter_mut().zip(plane) {
                *sum += (value + 1.0) / 2.0 / channels;
            }
        }
        Ink { ink, height, width }
    }

    /// Each pixel's ink with its row and column.
    fn pixels(&self) -> impl Iterator<Item = (f32, f32, f32)> + '_ {
        self.ink.iter().enumerate().map(|(i, &ink)| ((i / self.width) as f32, (i % self.width) as f32, ink))
    }

    fn total(&self) -> f32 {
        self.ink.iter().sum()
    }

    /// The centre of ink mass (row, column).
    fn centre(&self) -> (f32, f32) {
        let total = self.total();
        let (sy, sx) = self.pixels().fold((0.0, 0.0), |(sy, sx), (y, x, ink)| (sy + ink * y, sx + ink * x));
        (sy / total, sx / total)
    }

    /// The ink's spread: the root of the ink-weighted mean squared distance
    /// from the centre of mass. Scaling a picture by s scales it by s.
    fn rms_radius(&self) -> f32 {
        let (cy, cx) = self.centre();
        let spread: f32 = self.pixels().map(|(y, x, ink)| ink * ((y - cy).powi(2) + (x - cx).powi(2))).sum();
        (spread / self.total()).sqrt()
    }

    /// The ink level as the ink sees it: sum ink^2 / sum ink, the mean ink
    /// of a pixel drawn in proportion to its ink. Scaling the ink by c scales
    /// it by c, and unlike the total it does not grow with thicker strokes.
    fn level(&self) -> f32 {
        self.ink.iter().map(|ink| ink * ink).sum::<f32>() / self.total()
    }

    /// A stroke's width from its area and outline: a stroke of length L and
    /// width W has area L W and perimeter about 2 L, so W = 2 area / perimeter.
    /// The area is the total ink; the perimeter the total ink change between
    /// horizontal and vertical neighbours (the background beyond the border
    /// included), times pi / 4, the mean of |cos| + |sin| over an outline's
    /// directions, since steps along the two axes overcount a slanted edge.
    fn stroke_width(&self) -> f32 {
        let ink = |y: isize, x: isize| {
            let inside = y >= 0 && x >= 0 && y < self.height as isize && x < self.width as isize;
            if inside {
                self.ink[y as usize * self.width + x as usize]
            } else {
                0.0
            }
        };
        let mut outline = 0.0;
        for y in -1..self.height as isize {
            for x in -1..self.width as isize {
                outline += (ink(y, x + 1) - ink(y, x)).abs() + (ink(y + 1, x) - ink(y, x)).abs();
            }
        }
        2.0 * self.total() / (outline * std::f32::consts::FRAC_PI_4)
    }
}

/// How the direction is learned.
#[derive(Clone, Debug)]
pub struct SteeringSettings {
    /// Adam steps on w.
    pub steps: usize,
    /// Latents (each with its own alpha) per step.
    pub batch: usize,
    /// Adam's learning rate.
    pub lr: f32,
    /// Seeds w's start and the latents and alphas drawn.
    pub seed: u64,
    /// Alpha is drawn uniformly from (low, high).
    pub range: (f32, f32),
    /// The generator's latent prior.
    pub prior: Prior,
}

impl SteeringSettings {
    /// Defaults for `edit`: 300 steps of 32 latents at learning rate 0.01, over the edit's range.
    pub fn for_edit(edit: Edit) -> SteeringSettings {
        SteeringSettings { steps: 300, batch: 32, lr: 0.01, seed: 0, range: edit.range(), prior: Prior::Normal }
    }
}

/// A learned walk.
pub struct Direction {
    /// The direction w [1, latent].
    pub w: Tensor,
    /// The loss of each training step (mean squared pixel error, pixels in [-1, 1]).
    pub losses: Vec<f32>,
}

/// Learns w so that G(z + alpha w) matches `edit`(G(z), alpha), calling
/// `on_step(step, loss)` after every step. G's weights are not touched.
pub fn learn_direction(
    generator: &dyn Sampler,
    edit: Edit,
    settings: &SteeringSettings,
    mut on_step: impl FnMut(usize, f32),
) -> Direction {
    let mut rng = ChaCha12Rng::seed_from_u64(settings.seed);
    let latent = generator.latent_dim();
    // A small random start: the walk begins close to G(z) at every alpha.
    let w = Tensor::randn_from(&[1, latent], &mut rng).mul_scalar(0.01).requires_grad_();
    let mut adam = Adam::new(vec![w.clone()], settings.lr);
    let (low, high) = settings.range;
    let mut losses = Vec::with_capacity(settings.steps);
    generator.generator().eval();
    // ANCHOR: steering_loop
    for step in 0..settings.steps {
        let z = settings.prior.sample(settings.batch, latent, &mut rng);
        let alphas: Vec<f32> = (0..settings.batch).map(|_| rng.random_range(low..=high)).collect();
        // The target is computed without a graph: only w is learned.
        let targets = edit.apply(&crate::no_grad(|| generator.generate(&z, None)), &alphas);
        let loss = walk(generator, &z, &w, &alphas).mse(&targets);
        adam.zero_grad();
        loss.backward_for(&[&w]);
        adam.step();
        let loss = loss.item();
        losses.push(loss);
        on_step(step, loss);
    }
    // ANCHOR_END: steering_loop
    generator.generator().train();
    Direction { w: w.detach(), losses }
}

/// G(z_i + alpha_i w) for latents z [N, latent], one alpha per latent and w [1, latent].
fn walk(generator: &dyn Sampler, z: &Tensor, w: &Tensor, alphas: &[f32]) -> Tensor {
    let alphas = Tensor::from_vec(alphas.to_vec(), &[alphas.len(), 1]);
    generator.generate(&z.add(&alphas.mul(w)), None)
}

/// A walk taken at fixed alphas from fixed latents, with what was asked.
pub struct Walk {
    pub edit: Edit,
    pub alphas: Vec<f32>,
    /// G(z) [N, C, H, W].
    pub originals: Tensor,
    /// G(z + alpha w) for each alpha.
    pub walked: Vec<Tensor>,
    /// edit(G(z), alpha) for each alpha.
    pub targets: Vec<Tensor>,
}

/// Walks every latent of `z` [N, latent] by each of `alphas` along `w`, in eval mode.
pub fn take_walk(generator: &dyn Sampler, edit: Edit, w: &Tensor, z: &Tensor, alphas: &[f32]) -> Walk {
    generator.generator().eval();
    let n = z.shape()[0];
    let (originals, walked) = crate::no_grad(|| {
        let walked: Vec<Tensor> = alphas.iter().map(|&alpha| walk(generator, z, w, &vec![alpha; n])).collect();
        (generator.generate(z, None), walked)
    });
    generator.generator().train();
    let targets = alphas.iter().map(|&alpha| edit.apply(&originals, &vec![alpha; n])).collect();
    Walk { edit, alphas: alphas.to_vec(), originals, walked, targets }
}

/// `columns` alphas spread over `range` (low <= 0 <= high) with 0 in the
/// middle: (columns - 1) / 2 evenly spaced on each side (`columns` odd).
pub fn strip_alphas(range: (f32, f32), columns: usize) -> Vec<f32> {
    let side = columns / 2;
    let fraction = |i: usize| i as f32 / side.max(1) as f32;
    let below = (0..side).map(|i| range.0 * (1.0 - fraction(i)));
    let above = (1..=side).map(|i| range.1 * fraction(i));
    below.chain([0.0]).chain(above).collect()
}

impl Walk {
    /// Mean squared pixel error between the walk and the targets, over every alpha.
    pub fn loss(&self) -> f32 {
        mean_square_to_targets(&self.walked, &self.targets)
    }

    /// The same error with w = 0, i.e. G(z) at every alpha: about where the walk started.
    pub fn loss_without_direction(&self) -> f32 {
        mean_square_to_targets(&vec![self.originals.clone(); self.alphas.len()], &self.targets)
    }

    /// Asked against achieved at each alpha, for the walk and for the target edit.
    pub fn measure(&self) -> Vec<Measurement> {
        let edit = self.edit;
        let [_, _, height, width] = self.originals.shape()[..] else { unreachable!("pictures are [N, C, H, W]") };
        let originals = self.originals.to_vec();
        let size = originals.len() / self.originals.shape()[0];
        let achieved_on = |pictures: &Tensor| -> Vec<f32> {
            let values = pictures.to_vec();
            let pairs = originals.chunks_exact(size).zip(values.chunks_exact(size));
            pairs.map(|(before, after)| edit.achieved(before, after, height, width)).collect()
        };
        (self.alphas.iter().zip(self.walked.iter().zip(&self.targets)))
            .map(|(&alpha, (walked, target))| {
                let (achieved_mean, achieved_std) = mean_and_std(&achieved_on(walked));
                Measurement {
                    alpha,
                    asked: edit.asked(alpha),
                    achieved_mean,
                    achieved_std,
                    target_achieved: mean_and_std(&achieved_on(target)).0,
                }
            })
            .collect()
    }
}

/// The first `rows` latents' pictures in strip order, one row per latent and
/// one column per alpha ([rows * alphas, C, H, W]), from one tensor per alpha
/// (a walk's `walked` or `targets`).
pub fn strip(pictures: &[Tensor], rows: usize) -> Tensor {
    let cells: Vec<Tensor> =
        (0..rows).flat_map(|row| pictures.iter().map(move |p| p.narrow(0, row, row + 1))).collect();
    Tensor::concat(&cells.iter().collect::<Vec<_>>(), 0)
}

fn mean_square_to_targets(pictures: &[Tensor], targets: &[Tensor]) -> f32 {
    let errors: Vec<f32> = pictures.iter().zip(targets).map(|(p, t)| p.mse(t).item()).collect();
    errors.iter().sum::<f32>() / errors.len() as f32
}

/// Asked against achieved at one alpha.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub alpha: f32,
    /// What alpha asks for, in the measurement's units.
    pub asked: f32,
    /// The measurement of G(z + alpha w) against G(z): mean and standard
    /// deviation over the latents (pictures without ink left out).
    pub achieved_mean: f32,
    pub achieved_std: f32,
    /// The mean measurement of edit(G(z), alpha) against G(z): what the
    /// measurement reads on the target itself.
    pub target_achieved: f32,
}

/// Mean and (population) standard deviation of the finite values; NaN when there are none.
fn mean_and_std(values: &[f32]) -> (f32, f32) {
    let finite: Vec<f32> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len() as f32;
    let mean = finite.iter().sum::<f32>() / n;
    let variance = finite.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n;
    (mean, variance.sqrt())
}
