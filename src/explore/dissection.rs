//! GAN dissection (Bau et al., "GAN Dissection: Visualizing and
//! Understanding Generative Adversarial Networks", ICLR 2019): which units
//! of a generator's layer draw which concept, and what the pictures do when
//! those units are switched off or forced on.
//!
//! The generator is cut after one layer, G = tail . head, with head(z) the
//! layer's maps [N, C, h, w]. A unit (a channel) is *dissected* by matching
//! where it fires against where a concept is (see [`super::concepts`]): its
//! map is upsampled to the image (bilinear, sampling at pixel centres), it
//! "fires" where it exceeds its threshold t_u, the `quantile` of all its
//! upsampled values over every sample and pixel, and its agreement with a
//! concept is the intersection over union of the two regions summed over
//! the samples. The paper's cousin, Network Dissection, keeps the top 0.5%
//! of a unit; GAN Dissection picks for each unit and concept the threshold
//! that best fits. One quantile per unit is simpler, but it fixes the size
//! of the firing region at 1 - q of the pixels, so IoU with a concept
//! covering a share s of them is at most min(1 - q, s) / max(1 - q, s): ink
//! covers about 19% of an MNIST digit, holes and one class's ink about 2%.
//!
//! Then the causal test: *ablation* sets a concept's top units to zero in
//! the head's output, *insertion* forces them to their typical firing value
//! everywhere, and the tail draws the edited maps. If the units cause the
//! concept, its area (or the classifier's probability of the class) moves
//! more than when as many random units are switched off, the paper's control.

use super::concepts::{Concept, ConceptKind, PIXELS, SIDE};
use crate::gan::family::Sampler;
use crate::metrics::classifier::Classifier;
use crate::nn::Sequential;
use crate::Tensor;
use std::ops::Range;

/// Samples run through a half of the generator at a time (the transposed
/// convolutions' buffers stay well below the adapter's binding limit).
const CHUNK: usize = 250;

/// One layer of a generator's chain with the shape of its output for one sample.
pub struct LayerInfo {
    pub index: usize,
    pub name: &'static str,
    pub shape: Vec<usize>,
}

impl LayerInfo {
    /// "3 Relu [128, 7, 7]".
    pub fn describe(&self) -> String {
        format!("{} {} {:?}", self.index, self.name, self.shape)
    }

    /// Whether its output is a stack of maps [C, h, w] a unit can be read from.
    fn has_maps(&self) -> bool {
        self.shape.len() == 3
    }
}

/// The layers of `sampler`'s chain with their output shapes, found by
/// running one z = 0 through in eval mode; None when the generator is not a
/// chain of layers (see [`Sampler::chain`]).
pub fn layers(sampler: &dyn Sampler) -> Option<Vec<LayerInfo>> {
    let chain = sampler.chain()?;
    let mut h = Tensor::zeros(&[1, sampler.latent_dim()]);
    sampler.generator().eval();
    let infos = crate::no_grad(|| {
        (chain.layers().iter().enumerate())
            .map(|(index, layer)| {
                h = layer.forward(&h);
                LayerInfo { index, name: layer.type_name(), shape: h.shape()[1..].to_vec() }
            })
            .collect()
    });
    sampler.generator().train();
    Some(infos)
}

/// The layers a generator can be cut after: every layer but the last whose
/// output is maps [C, h, w].
pub fn cuttable(layers: &[LayerInfo]) -> Vec<&LayerInfo> {
    let last = layers.len().saturating_sub(1);
    layers.iter().filter(|layer| layer.has_maps() && layer.index < last).collect()
}

/// A generator cut after one layer: G(z) = tail(head(z)), head(z) that
/// layer's output [N, C, h, w]. Both halves run in eval mode (batch norm with
/// its running statistics, as when sampling) with gradients off.
pub struct Cut<'a> {
    sampler: &'a dyn Sampler,
    chain: &'a Sequential,
    after: usize,
}

impl<'a> Cut<'a> {
    /// Cuts after layer `layer`; a generator that is not a chain, or a layer
    /// without maps or out of range, is refused with a one-line error that
    /// lists the layers that can be cut.
    pub fn new(sampler: &'a dyn Sampler, layer: usize) -> Result<Cut<'a>, String> {
        let (Some(chain), Some(listing)) = (sampler.chain(), layers(sampler)) else {
            return Err("this generator is not one chain of layers, so it cannot be cut (dcgan's is)".into());
        };
        let choices = cuttable(&listing);
        if !choices.iter().any(|choice| choice.index == layer) {
            let valid: Vec<String> = choices.iter().map(|choice| choice.describe()).collect();
            return Err(format!(
                "layer {layer} cannot be cut: choose one of {} (layer, type, output per sample)",
                valid.join(", ")
            ));
        }
        Ok(Cut { sampler, chain, after: layer })
    }

    /// The layer's maps [N, C, h, w] for latents [N, latent].
    pub fn head(&self, z: &Tensor) -> Tensor {
        self.run(z, 0..self.after + 1)
    }

    /// The images [N, ...] that (edited) maps [N, C, h, w] become.
    pub fn tail(&self, maps: &Tensor) -> Tensor {
        self.run(maps, self.after + 1..self.chain.layers().len())
    }

    fn run(&self, x: &Tensor, layers: Range<usize>) -> Tensor {
        let n = x.shape()[0];
        self.sampler.generator().eval();
        let chunks: Vec<Tensor> = crate::no_grad(|| {
            (0..n)
                .step_by(CHUNK)
                .map(|start| self.chain.forward_range(&x.narrow(0, start, (start + CHUNK).min(n)), layers.clone()))
                .collect()
        });
        self.sampler.generator().train();
        Tensor::concat(&chunks.iter().collect::<Vec<_>>(), 0)
    }
}

/// Bilinear upsampling of one map [h, w] to the image's [SIDE, SIDE],
/// sampling at pixel centres (PyTorch's `align_corners=False`): output row y
/// reads the map at y' = (y + 0.5) h / SIDE - 0.5, clamped to the edge, and
/// likewise for columns.
pub fn upsample(map: &[f32], h: usize, w: usize) -> Vec<f32> {
    let source = |i: usize, size: usize| {
        let at = ((i as f32 + 0.5) * size as f32 / SIDE as f32 - 0.5).clamp(0.0, (size - 1) as f32);
        let low = at.floor() as usize;
        (low, (low + 1).min(size - 1), at - low as f32)
    };
    let mut out = Vec::with_capacity(PIXELS);
    for y in 0..SIDE {
        let (top, bottom, dy) = source(y, h);
        for x in 0..SIDE {
            let (left, right, dx) = source(x, w);
            let row = |r: usize| map[r * w + left] * (1.0 - dx) + map[r * w + right] * dx;
            out.push(row(top) * (1.0 - dy) + row(bottom) * dy);
        }
    }
    out
}

/// The value below which a share `level` of `values` lie.
fn quantile(values: &[f32], level: f32) -> f32 {
    let mut sorted = values.to_vec();
    let at = ((sorted.len() - 1) as f32 * level).round() as usize;
    *sorted.select_nth_unstable_by(at, f32::total_cmp).1
}

/// Unit `unit`'s map in sample `sample` of maps [N, C, h, w], upsampled to 784 pixels.
fn unit_map(maps: &[f32], [_, units, h, w]: [usize; 4], unit: usize, sample: usize) -> Vec<f32> {
    upsample(&maps[(sample * units + unit) * h * w..][..h * w], h, w)
}

// ANCHOR: iou
/// Intersection over union of two masks of equal length: 1 for equal masks,
/// 0 for disjoint ones (and for two empty ones).
pub fn iou(a: &[bool], b: &[bool]) -> f32 {
    assert_eq!(a.len(), b.len(), "IoU of masks of different sizes");
    let both = a.iter().zip(b).filter(|(&x, &y)| x && y).count();
    let either = a.iter().zip(b).filter(|(&x, &y)| x || y).count();
    if either == 0 {
        0.0
    } else {
        both as f32 / either as f32
    }
}

/// Each unit against each concept.
pub struct Dissection {
    /// t_u: each unit's `quantile` of its upsampled activations.
    pub thresholds: Vec<f32>,
    /// Each unit's mean activation where it exceeds t_u: what insertion forces it to.
    pub firing_values: Vec<f32>,
    /// iou[u][c]: IoU of where unit u fires with concept c, over all samples.
    pub iou: Vec<Vec<f32>>,
}

/// Dissects maps [N, C, h, w] (`maps` read back, `shape` their shape)
/// against concepts whose masks cover the same N images.
pub fn dissect(maps: &[f32], shape: [usize; 4], concepts: &[Concept], quantile_level: f32) -> Dissection {
    let [n, units, _, _] = shape;
    let mut dissection = Dissection { thresholds: vec![], firing_values: vec![], iou: vec![] };
    for unit in 0..units {
        // The unit's map in every sample, upsampled: [N * 784].
        let upsampled: Vec<f32> = (0..n).flat_map(|i| unit_map(maps, shape, unit, i)).collect();
        let threshold = quantile(&upsampled, quantile_level);
        let fires: Vec<bool> = upsampled.iter().map(|&a| a > threshold).collect();
        let firing: Vec<f32> = upsampled.iter().copied().filter(|&a| a > threshold).collect();
        dissection.thresholds.push(threshold);
        dissection.firing_values.push(firing.iter().sum::<f32>() / firing.len().max(1) as f32);
        dissection.iou.push(concepts.iter().map(|concept| iou(&fires, &concept.mask)).collect());
    }
    dissection
}
// ANCHOR_END: iou

impl Dissection {
    /// The units from the best match of concept `concept` to the worst.
    pub fn ranked(&self, concept: usize) -> Vec<usize> {
        let mut units: Vec<usize> = (0..self.iou.len()).collect();
        units.sort_by(|&a, &b| self.iou[b][concept].total_cmp(&self.iou[a][concept]));
        units
    }

    /// The concept unit `unit` matches best.
    pub fn best_concept(&self, unit: usize) -> usize {
        let row = &self.iou[unit];
        (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0)
    }

    /// Where unit `unit` fires in sample `sample` of maps [N, C, h, w]: a 784-pixel mask.
    pub fn firing_mask(&self, maps: &[f32], shape: [usize; 4], unit: usize, sample: usize) -> Vec<bool> {
        unit_map(maps, shape, unit, sample).iter().map(|&a| a > self.thresholds[unit]).collect()
    }
}

// ANCHOR: intervention
/// Maps [N, C, h, w] with each of `units` set to its value in `values` at
/// every position (zeros: ablation; firing values: insertion), the other
/// units untouched: maps * keep + put, with keep and put [1, C, 1, 1].
pub fn set_units(maps: &Tensor, units: &[usize], values: &[f32]) -> Tensor {
    let channels = maps.shape()[1];
    let (mut keep, mut put) = (vec![1.0; channels], vec![0.0; channels]);
    for (&unit, &value) in units.iter().zip(values) {
        keep[unit] = 0.0;
        put[unit] = value;
    }
    let keep = Tensor::from_vec(keep, &[1, channels, 1, 1]);
    maps.mul(&keep).add(&Tensor::from_vec(put, &[1, channels, 1, 1]))
}
// ANCHOR_END: intervention

/// Images [N, 1, 28, 28] with what the evaluation classifier says of them.
pub struct Judged {
    /// The pixels, N * 784.
    pub pixels: Vec<f32>,
    /// p(class | image), N rows of the classifier's classes.
    pub probabilities: Vec<Vec<f32>>,
    /// The most probable class of each image.
    pub predicted: Vec<usize>,
}

/// Classifies images [N, 1, 28, 28] in [-1, 1].
pub fn judge(classifier: &Classifier, images: &Tensor) -> Result<Judged, String> {
    let embedding = classifier.embed(images).map_err(|e| e.to_string())?;
    let probabilities = embedding.probabilities.row_iter().map(|row| row.iter().map(|&p| p as f32).collect()).collect();
    Ok(Judged { pixels: images.to_vec(), probabilities, predicted: embedding.predicted_classes() })
}

impl Judged {
    /// A concept's measure on these images: for a region, its mean area in
    /// pixels per image; for class k, the mean probability of k.
    pub fn measure(&self, kind: ConceptKind) -> f32 {
        let n = self.predicted.len().max(1) as f32;
        match kind {
            ConceptKind::Region(region) => {
                let area: usize =
                    self.pixels.chunks(PIXELS).map(|image| region(image).iter().filter(|&&m| m).count()).sum();
                area as f32 / n
            }
            ConceptKind::Class(k) => self.probabilities.iter().map(|p| p[k]).sum::<f32>() / n,
        }
    }

    /// The share of images whose predicted class differs in `other`.
    pub fn changed_share(&self, other: &Judged) -> f32 {
        let changed = self.predicted.iter().zip(&other.predicted).filter(|(a, b)| a != b).count();
        changed as f32 / self.predicted.len().max(1) as f32
    }
}
