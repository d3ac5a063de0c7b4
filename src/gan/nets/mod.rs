//! Networks shared by families. The joint families (BiGAN/ALI, VEEGAN) pair
//! a generator z -> x with a network going back, x -> z, and judge (x, z)
//! pairs with one discriminator; all three are multilayer perceptrons here,
//! over flattened pixels for images. ProGAN's growing nets and StyleGAN's
//! mapping and synthesis networks, and StyleGAN2's modulated convolution,
//! skip synthesis network and residual discriminator (`skip.rs`,
//! `residual.rs`) live here too, as do pix2pix's U-Net generator and PatchGAN discriminator
//! (`unet.rs`, `patchgan.rs`) and the ResNet-block generator it can use
//! instead (`resnet.rs`), and SPADE's generator of residual blocks with
//! spatially-adaptive normalisation and its multi-scale discriminator
//! (`spade_generator.rs`, `multiscale.rs`).

pub mod encoder;
pub mod generator;
pub mod joint;
pub mod mapping;
pub mod modulated;
pub mod multiscale;
pub mod patchgan;
pub mod progressive;
pub mod residual;
pub mod resnet;
pub mod skip;
pub mod spade_generator;
pub mod style;
pub mod synthesis;
pub mod unet;

use crate::gan::family::Sampler;
use crate::nn::{LeakyRelu, Linear, Sequential};
use crate::Tensor;
use rand::Rng;

/// A generator from pictures to pictures (pix2pix's U-Net, the ResNet-block
/// generator): as a `Sampler` it translates with its test-time noise.
pub trait Translator: Sampler {
    /// Training's forward, pictures [N, C, H, W] to [N, C, H, W], with fresh
    /// noise where the net has any.
    fn forward(&self, x: &Tensor) -> Tensor;
}

/// Linear layers through `widths` (input, hidden..., output) with leaky ReLU
/// (slope 0.2) between them and nothing after the last: the body of every net here.
pub fn perceptron(widths: &[usize], rng: &mut impl Rng) -> Sequential {
    assert!(widths.len() >= 2, "a perceptron needs an input and an output width, got {widths:?}");
    let mut net = Sequential::new();
    for (i, pair) in widths.windows(2).enumerate() {
        if i > 0 {
            net = net.push(LeakyRelu(0.2));
        }
        net = net.push(Linear::new(pair[0], pair[1], rng));
    }
    net
}

/// Hidden width of the joint families' nets: 128 units for 2D points (the
/// VEEGAN and ALI toy experiments), 512 for images (as the `mlp` model).
pub fn hidden_width(item_shape: &[usize]) -> usize {
    if item_shape == [2] {
        128
    } else {
        512
    }
}
