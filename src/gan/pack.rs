//! PacGAN's packing (Lin et al., 2018): the discriminator judges m samples
//! at once, all real or all generated, instead of one.
//!
//! Why it fights mode collapse: a generator that covers only some modes
//! produces packs that are too alike (m draws from few modes), and a
//! discriminator that sees m samples together can tell such a pack from m
//! independent real draws, which it cannot do one sample at a time. The
//! paper shows that packing sharpens the discriminator's view of the
//! distributions' difference exactly where mode collapse lies, and m = 2
//! already removes most of it.
//!
//! Packing changes only the critic's input: m samples are concatenated along
//! the first feature axis (2D points: [2] -> [2m]; images: [C, H, W] ->
//! [mC, H, W]), so the critic's first layer takes m times the features.
//! Samples i*m .. i*m + m - 1 of a batch form pack i, which for contiguous
//! row-major storage is a reshape: no data moves.

use crate::Tensor;

// ANCHOR: pack
/// `x` [m*n, d, ...] as n packs of m samples: [n, m*d, ...].
pub fn pack(x: &Tensor, m: usize) -> Tensor {
    let shape = x.shape();
    assert!(
        shape.len() >= 2 && shape[0].is_multiple_of(m),
        "pack: a batch of shape {shape:?} does not split into packs of {m} samples"
    );
    let mut packed = shape.to_vec();
    packed[0] /= m;
    packed[1] *= m;
    x.reshape(&packed)
}
// ANCHOR_END: pack
