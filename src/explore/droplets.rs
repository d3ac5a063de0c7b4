//! StyleGAN2's droplet check (Karras et al., 2020, Section 2): StyleGAN's
//! AdaIN normalises each feature map by its own statistics, and the
//! generator learned to sneak information past it by one strong, localised
//! spike that dominates a map's mean and variance (seen as a "droplet" blob
//! in the images). Demodulation normalises by the weights' expected effect
//! instead, leaving no statistic to game.
//!
//! The measurement, per style layer: how peaked the feature maps are, for
//! each (sample, channel) map its largest |value| over its mean |value|,
//! averaged over the maps (and the worst map). A droplet is a map whose
//! peak is many times its mean. For StyleGAN2, the same trained weights,
//! latents and noise run with and without demodulation; for StyleGAN, its
//! maps before AdaIN normalises them (where the paper found the droplets),
//! to set beside StyleGAN2's.

use super::style::fixed_noise;
use crate::gan::family::Sampler;
use crate::gan::nets::skip::SkipSynthesis;
use crate::gan::nets::style::{repeated, StyleGenerator, Synthesis};
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

/// One style layer's statistics, a `Peakedness` per column group of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerMagnitudes {
    pub layer: usize,
    pub side: usize,
    pub groups: Vec<Peakedness>,
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
/// and without demodulation (the table's two groups, `STYLEGAN2_GROUPS`),
/// at the same weights, w's and noise images.
pub fn feature_magnitudes(generator: &StyleGenerator<SkipSynthesis>, seed: u64) -> Vec<LayerMagnitudes> {
    measured(generator, seed, |ws, noise| {
        let demodulated = generator.synthesis().draw(ws, Some(noise), true).features;
        let plain = generator.synthesis().draw(ws, Some(noise), false).features;
        demodulated.into_iter().zip(plain).map(|(on, off)| vec![on, off]).collect()
    })
}

/// The groups of `feature_magnitudes`' table.
pub const STYLEGAN2_GROUPS: [&str; 2] = ["demodulated", "without demodulation"];

/// StyleGAN's unnormalised maps (before each AdaIN) per style layer over
/// `SAMPLES` latents from `seed`: one group, `STYLEGAN_GROUPS`.
pub fn adain_feature_magnitudes(generator: &StyleGenerator, seed: u64) -> Vec<LayerMagnitudes> {
    measured(generator, seed, |ws, noise| {
        generator.synthesis().draw(ws, Some(noise)).0.into_iter().map(|maps| vec![maps]).collect()
    })
}

/// The group of `adain_feature_magnitudes`' table.
pub const STYLEGAN_GROUPS: [&str; 1] = ["before AdaIN"];

/// The statistics of the maps `draw` returns per layer (one list per
/// group) for `SAMPLES` latents from `seed`, unmixed, with fixed noise.
fn measured<S: Synthesis>(
    generator: &StyleGenerator<S>,
    seed: u64,
    draw: impl Fn(&[Tensor], &[Tensor]) -> Vec<Vec<Tensor>>,
) -> Vec<LayerMagnitudes> {
    generator.eval();
    let rows = no_grad(|| {
        let w = generator.map(&Tensor::randn(&[SAMPLES, generator.latent_dim()], seed));
        let maps = draw(&repeated(&w, generator.layer_count()), &fixed_noise(generator, SAMPLES, seed));
        maps.iter()
            .enumerate()
            .map(|(layer, groups)| LayerMagnitudes {
                layer,
                side: SynthesisNetwork::layer_resolution(layer),
                groups: groups.iter().map(peakedness).collect(),
            })
            .collect()
    });
    generator.train();
    rows
}

/// The rows as an aligned text table and as CSV, a column group per name in `groups`.
pub fn magnitude_table(groups: &[&str], rows: &[LayerMagnitudes]) -> (String, String) {
    let mut text =
        String::from("feature maps per layer: mean |a|, and max |a| / mean |a| per map (mean over maps, worst map)\n");
    text += "layer  side";
    let mut csv = String::from("layer,side");
    for group in groups {
        text += &format!(" | {group:>22}: mean|a|  peak/mean  worst");
        let key = group.replace(' ', "_");
        csv += &format!(",{key}_mean_abs,{key}_peak_to_mean,{key}_worst");
    }
    text += "\n";
    csv += "\n";
    for row in rows {
        text += &format!("{:>5}  {:>4}", row.layer, row.side);
        csv += &format!("{},{}", row.layer, row.side);
        for p in &row.groups {
            text += &format!(" | {:>31.3e} {:>10.2} {:>6.2}", p.mean_abs, p.peak_to_mean, p.worst);
            csv += &format!(",{},{},{}", p.mean_abs, p.peak_to_mean, p.worst);
        }
        text += "\n";
        csv += "\n";
    }
    (text, csv)
}
