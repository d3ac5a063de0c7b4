//! The pictures of StyleGAN's paper (Karras, Laine and Aila, 2019), drawn
//! from a trained style generator:
//!
//! - style mixing (their Figure 3): each row takes its styles from source A
//!   except in one band of layers, where they come from the column's source
//!   B: the coarse band (4x4 and 8x8), the middle band (16x16), the fine
//!   band (the rest, 32x32 for our images);
//! - the truncation trick: each row one latent, psi from -1 to 1 across;
//! - noise: one w drawn with several noise images, and the per-pixel
//!   standard deviation over many draws (their Figure 4), which lights up
//!   where noise changes the picture;
//! - interpolation in Z beside interpolation in W between the same two
//!   latents (the straight line in W passes through the mapped latents).
//!
//! Every picture but the noise one holds the noise fixed (the same images
//! for every sample), so what changes across a picture is the styles alone.

use crate::gan::family::Sampler;
use crate::gan::nets::style::{repeated, StyleGenerator, Synthesis};
use crate::gan::nets::synthesis::SynthesisNetwork;
use crate::nn::Module;
use crate::viz::grid::grid_to_rgb;
use crate::viz::montage::labelled_rows;
use crate::{no_grad, Tensor};
use image::{imageops, RgbImage};
use std::path::{Path, PathBuf};

/// Sources of the mixing figure (rows A and columns B), latents of the
/// truncation and noise pictures, and pairs of the interpolation.
const MIXING_ROWS: usize = 3;
const MIXING_COLUMNS: usize = 6;
const STRIP_LATENTS: usize = 4;
const TRUNCATIONS: [f32; 9] = [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0];
const NOISE_SHOWN: usize = 6;
/// Noise draws the standard-deviation map averages over.
const NOISE_DRAWS: usize = 32;
const INTERPOLATION_STEPS: usize = 10;
const INTERPOLATION_PAIRS: usize = 3;

/// The four pictures written, and what the noise picture measured.
pub struct StylePictures {
    pub files: Vec<PathBuf>,
    /// The per-pixel standard deviation over noise draws, averaged over
    /// pixels and the noise picture's latents (pixels in [-1, 1]).
    pub mean_noise_std: f32,
}

/// The layers of each band of the mixing figure: coarse (4x4, 8x8), middle
/// (16x16), fine (32x32 and up), for a generator of `layers` style layers.
pub fn bands(layers: usize) -> [(&'static str, std::ops::Range<usize>); 3] {
    let first_at = |side: usize| (0..layers).find(|&i| SynthesisNetwork::layer_resolution(i) >= side).unwrap_or(layers);
    let (middle, fine) = (first_at(16), first_at(32));
    [("coarse", 0..middle), ("middle", middle..fine), ("fine", fine..layers)]
}

/// One noise image per layer, the same for all `n` samples (from `seed`).
pub fn fixed_noise<S: Synthesis>(generator: &StyleGenerator<S>, n: usize, seed: u64) -> Vec<Tensor> {
    (0..generator.layer_count())
        .map(|i| {
            let side = SynthesisNetwork::layer_resolution(i);
            Tensor::randn(&[1, 1, side, side], seed.wrapping_add(i as u64)).expand(&[n, 1, side, side])
        })
        .collect()
}

/// Writes style_mixing.png, truncation.png, noise.png and
/// interpolation_z_w.png into `folder`; latents from `seed`, w truncated by
/// `psi` (1: not at all) in every picture but the truncation strip.
pub fn write_style_pictures<S: Synthesis>(
    generator: &StyleGenerator<S>,
    psi: f32,
    seed: u64,
    folder: &Path,
) -> Result<StylePictures, String> {
    std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    generator.eval();
    let pictures = no_grad(|| {
        let latents = |n: usize, salt: u64| Tensor::randn(&[n, generator.latent_dim()], seed ^ salt);
        let mapped = |z: &Tensor| generator.truncate(&generator.map(z), psi);
        let mixing =
            mixing_figure(generator, &mapped(&latents(MIXING_ROWS, 1)), &mapped(&latents(MIXING_COLUMNS, 2)), seed);
        let truncation = truncation_strip(generator, &latents(STRIP_LATENTS, 3), seed);
        let (noise, mean_noise_std) = noise_picture(generator, &mapped(&latents(STRIP_LATENTS, 4)));
        let pairs = (latents(INTERPOLATION_PAIRS, 5), latents(INTERPOLATION_PAIRS, 6));
        let interpolation = interpolation_rows(generator, &pairs.0, &pairs.1, psi, seed);
        ([mixing, truncation, noise, interpolation], mean_noise_std)
    });
    generator.train();
    let (images, mean_noise_std) = pictures;
    let names = ["style_mixing.png", "truncation.png", "noise.png", "interpolation_z_w.png"];
    let mut files = Vec::new();
    for (name, picture) in names.iter().zip(images) {
        let path = folder.join(name);
        crate::viz::save_picture(&picture?, &path).map_err(|e| e.to_string())?;
        files.push(path);
    }
    Ok(StylePictures { files, mean_noise_std })
}

/// Images [N, C, S, S] side by side as one strip, each pixel drawn 2x2.
fn strip(images: &Tensor) -> Result<RgbImage, String> {
    let &[n, c, h, w] = images.shape() else {
        return Err(format!("pictures need [N, C, H, W], got {:?}", images.shape()));
    };
    let strip = grid_to_rgb(&images.to_vec(), n, c, h, w, n).map_err(|e| e.to_string())?;
    Ok(imageops::resize(&strip, strip.width() * 2, strip.height() * 2, imageops::FilterType::Nearest))
}

/// The style-mixing figure: a row of the column sources B, then per band
/// a row per source A: A itself, then A with that band's styles from each B.
fn mixing_figure<S: Synthesis>(
    generator: &StyleGenerator<S>,
    rows: &Tensor,
    columns: &Tensor,
    seed: u64,
) -> Result<RgbImage, String> {
    let layers = generator.layer_count();
    let (r, c) = (rows.shape()[0], columns.shape()[0]);
    let sources_b = generator.synthesize(&repeated(columns, layers), Some(&fixed_noise(generator, c, seed)));
    let sources_a = generator.synthesize(&repeated(rows, layers), Some(&fixed_noise(generator, r, seed)));
    let noise = fixed_noise(generator, c, seed);
    let blank = Tensor::full(&[1, sources_b.shape()[1], sources_b.shape()[2], sources_b.shape()[3]], 1.0);
    let mut figure = vec![("B".to_string(), vec![strip(&Tensor::concat(&[&blank, &sources_b], 0))?])];
    for (band, range) in bands(layers) {
        for row in 0..r {
            let a = rows.narrow(0, row, row + 1).expand(&[c, rows.shape()[1]]);
            let ws: Vec<Tensor> =
                (0..layers).map(|i| if range.contains(&i) { columns.clone() } else { a.clone() }).collect();
            let mixes = generator.synthesize(&ws, Some(&noise));
            let own = sources_a.narrow(0, row, row + 1);
            figure.push((format!("A{} {band} from B", row + 1), vec![strip(&Tensor::concat(&[&own, &mixes], 0))?]));
        }
    }
    Ok(labelled_rows(&figure))
}

/// Each row a latent, psi from -1 to 1 across.
fn truncation_strip<S: Synthesis>(generator: &StyleGenerator<S>, z: &Tensor, seed: u64) -> Result<RgbImage, String> {
    let w = generator.map(z);
    let noise = fixed_noise(generator, TRUNCATIONS.len(), seed);
    let rows = (0..z.shape()[0])
        .map(|i| {
            let one = w.narrow(0, i, i + 1);
            let truncated: Vec<Tensor> = TRUNCATIONS.iter().map(|&psi| generator.truncate(&one, psi)).collect();
            let ws = Tensor::concat(&truncated.iter().collect::<Vec<_>>(), 0);
            Ok((
                format!("z{}", i + 1),
                vec![strip(&generator.synthesize(&repeated(&ws, generator.layer_count()), Some(&noise)))?],
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(labelled_rows(&rows))
}

/// Each row one w: several noise draws, then the per-pixel standard
/// deviation over `NOISE_DRAWS` draws (scaled so the row's largest is white).
fn noise_picture<S: Synthesis>(generator: &StyleGenerator<S>, w: &Tensor) -> (Result<RgbImage, String>, f32) {
    let mut rows = Vec::new();
    let mut std_sum = 0.0;
    for i in 0..w.shape()[0] {
        let one = w.narrow(0, i, i + 1).expand(&[NOISE_DRAWS, w.shape()[1]]);
        let draws = generator.synthesize(&repeated(&one, generator.layer_count()), None); // fresh noise per sample
        let std = draws.var(&[0], false).sqrt(); // [C, S, S]
        let values = std.to_vec();
        let (mean, max) =
            (values.iter().sum::<f32>() / values.len() as f32, values.iter().cloned().fold(1e-6, f32::max));
        std_sum += mean;
        let shape = std.shape().to_vec();
        let map = std.mul_scalar(2.0 / max).sub_scalar(1.0).reshape(&[1, shape[0], shape[1], shape[2]]);
        let shown = draws.narrow(0, 0, NOISE_SHOWN);
        rows.push(strip(&Tensor::concat(&[&shown, &map], 0)).map(|s| (format!("w{}", i + 1), vec![s])));
    }
    let rows: Result<Vec<_>, String> = rows.into_iter().collect();
    (rows.map(|rows| labelled_rows(&rows)), std_sum / w.shape()[0] as f32)
}

/// Per pair of latents a row along the straight line in Z and a row along
/// the straight line in W between their w's.
fn interpolation_rows<S: Synthesis>(
    generator: &StyleGenerator<S>,
    a: &Tensor,
    b: &Tensor,
    psi: f32,
    seed: u64,
) -> Result<RgbImage, String> {
    let steps = Tensor::from_vec(
        (0..INTERPOLATION_STEPS).map(|i| i as f32 / (INTERPOLATION_STEPS - 1) as f32).collect(),
        &[INTERPOLATION_STEPS, 1],
    );
    let line = |from: &Tensor, to: &Tensor| from.add(&steps.mul(&to.sub(from)));
    let noise = fixed_noise(generator, INTERPOLATION_STEPS, seed);
    let draw = |w: &Tensor| {
        strip(&generator.synthesize(&repeated(&generator.truncate(w, psi), generator.layer_count()), Some(&noise)))
    };
    let mut rows = Vec::new();
    for i in 0..a.shape()[0] {
        let (za, zb) = (a.narrow(0, i, i + 1), b.narrow(0, i, i + 1));
        rows.push((format!("Z {}", i + 1), vec![draw(&generator.map(&line(&za, &zb)))?]));
        rows.push((format!("W {}", i + 1), vec![draw(&line(&generator.map(&za), &generator.map(&zb)))?]));
    }
    Ok(labelled_rows(&rows))
}
