//! StyleGAN2's droplet check (Karras et al., 2020, Section 2): StyleGAN's
//! AdaIN normalises each feature map by its own statistics, and the
//! generator learned to sneak information past it by one strong, localised
//! spike that dominates a map's mean and variance (seen as a "droplet" blob
//! in the images). Demodulation normalises by the weights' expected effect
//! instead, leaving no statistic to game.
//!
//! The measurement: the same trained weights, the same latents and noise,
//! run with and without demodulation; per style layer, how peaked the
//! feature maps are: for each (sample, channel) map its largest |value|
//! over its mean |value|, averaged over the maps (and the worst map). A
//! droplet is a map whose peak is many times its mean.

use super::style::fixed_noise;
use crate::gan::family::Sampler;
use crate::gan::nets::skip::SkipSynthesis;
use crate::gan::nets::style::{repeated, StyleGenerator};
use crate::gan::nets::synthesis::SynthesisNetwork;
use crate::nn::Module;
use crate::{no_grad, Tensor};

/// Latents the statistics average over.
pub const SAMPLES: usize = 16;

/// How peaked one layer's feature maps are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Peakedness {
    /// Mean |activation| over the batch.
    pub mean_abs: f32,
    /// Per map max |a| / mean |a|, averaged over the maps.
    pub peak_to_mean: f32,
    /// The largest of those ratios.
    pub worst: f32,
}

/// One style layer's statistics with and without demodulation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerMagnitudes {
    pub layer: usize,
    pub side: usize,
    pub demodulated: Peakedness,
    pub plain: Peakedness,
}

/// The statistics of feature maps [N, C, H, W].
pub fn peakedness(features: &Tensor) -> Peakedness {
    let plane: usize = features.shape()[2..].iter().product();
    let values = features.to_vec();
    let ratios: Vec<f32> = values
        .chunks(plane)
        .map(|map| {
            let mean = map.iter().map(|v| v.abs()).sum::<f32>() / plane as f32;
            map.iter().fold(0.0f32, |m, v| m.max(v.abs())) / mean.max(f32::MIN_POSITIVE)
        })
        .collect();
    Peakedness {
        mean_abs: values.iter().map(|v| v.abs()).sum::<f32>() / values.len() as f32,
        peak_to_mean: ratios.iter().sum::<f32>() / ratios.len() as f32,
        worst: ratios.iter().cloned().fold(0.0, f32::max),
    }
}

/// Each style layer's statistics over `SAMPLES` latents from `seed`, with
/// and without demodulation, at the same weights, w's and noise images.
pub fn feature_magnitudes(generator: &StyleGenerator<SkipSynthesis>, seed: u64) -> Vec<LayerMagnitudes> {
    generator.eval();
    let rows = no_grad(|| {
        let w = generator.map(&Tensor::randn(&[SAMPLES, generator.latent_dim()], seed));
        let ws = repeated(&w, generator.layer_count());
        let noise = fixed_noise(generator, SAMPLES, seed);
        let demodulated = generator.synthesis().draw(&ws, Some(&noise), true).features;
        let plain = generator.synthesis().draw(&ws, Some(&noise), false).features;
        demodulated
            .iter()
            .zip(&plain)
            .enumerate()
            .map(|(layer, (on, off))| LayerMagnitudes {
                layer,
                side: SynthesisNetwork::layer_resolution(layer),
                demodulated: peakedness(on),
                plain: peakedness(off),
            })
            .collect()
    });
    generator.train();
    rows
}

/// The rows as an aligned text table and as CSV.
pub fn magnitude_table(rows: &[LayerMagnitudes]) -> (String, String) {
    let mut text = String::from(
        "feature maps, per layer: mean |a|, and max |a| / mean |a| per map (mean over maps, worst map)\n\
         layer  side | demodulated: mean|a|  peak/mean  worst | without: mean|a|  peak/mean  worst\n",
    );
    let mut csv = String::from(
        "layer,side,demod_mean_abs,demod_peak_to_mean,demod_worst,plain_mean_abs,plain_peak_to_mean,plain_worst\n",
    );
    for r in rows {
        let (d, p) = (r.demodulated, r.plain);
        text += &format!(
            "{:>5}  {:>4} | {:>20.3} {:>10.2} {:>6.2} | {:>16.3e} {:>10.2} {:>6.2}\n",
            r.layer, r.side, d.mean_abs, d.peak_to_mean, d.worst, p.mean_abs, p.peak_to_mean, p.worst
        );
        csv += &format!(
            "{},{},{},{},{},{},{},{}\n",
            r.layer, r.side, d.mean_abs, d.peak_to_mean, d.worst, p.mean_abs, p.peak_to_mean, p.worst
        );
    }
    (text, csv)
}
