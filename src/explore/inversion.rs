//! GAN inversion: for each target picture x, the latent z whose image G(z)
//! is closest to it, found by gradient descent on z with G's weights fixed.
//!
//! A GAN has no encoder, so the only way to ask "can the generator draw
//! this?" is to search its latent space. The distance is pixel L2 plus,
//! optionally, L2 between features of a fixed network (the evaluation
//! classifier's), since pixel distance alone prefers a blurry average over a
//! sharp digit shifted by one pixel. What stays far after the search is what
//! the generator cannot generate: the worst-reconstructed real pictures show
//! the modes it dropped.
//!
//! Each image's loss is summed, not averaged, over the batch, so every z
//! gets the gradient of its own image's loss whatever the batch size, and
//! the images are inverted independently in one batch. G runs in eval mode
//! (batch norm with its running statistics), as when it samples.

use crate::gan::family::Sampler;
use crate::optim::{Adam, Optimizer};
use crate::Tensor;

/// How the search runs.
#[derive(Clone, Debug)]
pub struct InversionSettings {
    /// Adam steps on z.
    pub steps: usize,
    /// Adam's learning rate.
    pub lr: f32,
    /// Weight of the feature distance beside the pixel distance (0: pixels only).
    pub feature_weight: f32,
}

impl Default for InversionSettings {
    fn default() -> Self {
        InversionSettings { steps: 300, lr: 0.05, feature_weight: 1.0 }
    }
}

/// What the search found.
pub struct Inversion {
    /// The latents [N, latent].
    pub latents: Tensor,
    /// G of those latents [N, ...], in eval mode.
    pub reconstructions: Tensor,
    /// Mean squared pixel error of each image.
    pub pixel_errors: Vec<f32>,
}

/// Inverts `targets` [N, ...] through `generator` starting from `start`
/// [N, latent] (zeros, or an encoder's guess). `features` maps images to the
/// feature vectors compared by the feature term; it must be differentiable.
pub fn invert(
    generator: &dyn Sampler,
    targets: &Tensor,
    start: &Tensor,
    features: Option<&dyn Fn(&Tensor) -> Tensor>,
    settings: &InversionSettings,
) -> Inversion {
    // A copy: Adam writes z in place, and `start` is the caller's.
    let z = start.detach().copy().requires_grad_();
    let mut adam = Adam::new(vec![z.clone()], settings.lr);
    let target_features = features.map(|f| crate::no_grad(|| f(targets)));
    generator.generator().eval();
    // ANCHOR: inversion_loop
    for _ in 0..settings.steps {
        let images = generator.generate(&z, None);
        let mut loss = per_image_mean_square(&images, targets).sum_all();
        if let (Some(f), Some(want)) = (features, &target_features) {
            let feature_loss = per_image_mean_square(&f(&images), want).sum_all();
            loss = loss.add(&feature_loss.mul_scalar(settings.feature_weight));
        }
        adam.zero_grad();
        loss.backward_for(&[&z]);
        adam.step();
    }
    // ANCHOR_END: inversion_loop
    let reconstructions = crate::no_grad(|| generator.generate(&z, None));
    generator.generator().train();
    let pixel_errors = per_image_mean_square(&reconstructions, targets).to_vec();
    Inversion { latents: z.detach(), reconstructions, pixel_errors }
}

/// Mean over each row's values of (a - b)^2: [N, ...] to [N].
fn per_image_mean_square(a: &Tensor, b: &Tensor) -> Tensor {
    let difference = a.sub(b).flatten(1);
    difference.mul(&difference).mean(&[1], false)
}
