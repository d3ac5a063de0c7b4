//! The Stacked MNIST mode count (Metz et al. 2017, "Unrolled GANs"; the
//! protocol of VEEGAN and PacGAN): each 3-channel image stacks three digits,
//! one per channel, so the data has 10^3 = 1,000 modes. Draw 26,000 samples,
//! classify each channel with the digit classifier, read the three digits as
//! a number c0 c1 c2 in 0..1000, and report how many of the 1,000 modes got
//! at least one sample and the KL divergence of the mode histogram to uniform.

use super::class_coverage::ClassCoverage;
use super::classifier::Classifier;
use super::EvalError;
use crate::Tensor;

/// Samples the papers draw.
pub const SAMPLES: usize = 26_000;
/// Modes of the data: three digits of ten classes each.
pub const MODES: usize = 1000;

/// The mode coverage of stacked images, given as batches [B, 3, 28, 28] in
/// [-1, 1] (26,000 images at once would pass a GPU's 128 MiB buffer limit, so
/// a generator's samples come a batch at a time).
pub fn stacked_mnist_modes(
    classifier: &Classifier,
    batches: impl IntoIterator<Item = Tensor>,
) -> Result<ClassCoverage, EvalError> {
    let mut modes = Vec::new();
    for images in batches {
        modes.extend(batch_modes(classifier, &images)?);
    }
    if modes.is_empty() {
        return Err(EvalError::InvalidInput("Stacked MNIST mode count: no images were given".into()));
    }
    Ok(ClassCoverage::of(&modes, MODES))
}

/// The mode (100 c0 + 10 c1 + c2) of each image of one batch.
fn batch_modes(classifier: &Classifier, images: &Tensor) -> Result<Vec<usize>, EvalError> {
    if !matches!(images.shape(), &[_, 3, 28, 28]) {
        return Err(EvalError::InvalidInput(format!(
            "Stacked MNIST images must be [N, 3, 28, 28], got shape {:?}",
            images.shape()
        )));
    }
    let mut modes = vec![0usize; images.shape()[0]];
    for channel in 0..3 {
        let digits = classifier.embed(&images.narrow(1, channel, channel + 1))?.predicted_classes();
        for (mode, digit) in modes.iter_mut().zip(digits) {
            *mode = *mode * 10 + digit;
        }
    }
    Ok(modes)
}
