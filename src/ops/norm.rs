//! Normalisation: instance norm, layer norm and AdaIN, and the computation
//! they share with batch norm (`ops/batch_norm.rs`) and pixel norm
//! (`ops/pixel_norm.rs`).
//!
//! They are all one computation, `standardize`: subtract the mean over some
//! axes and divide by the standard deviation over the same axes, then
//! optionally scale and shift. Only the axes differ:
//!
//! | op            | input         | statistics over        | one pair per    |
//! |---------------|---------------|------------------------|-----------------|
//! | batch norm    | [N, C, ...]   | N and the spatial dims | channel         |
//! | instance norm | [N, C, H, W]  | H, W                   | sample, channel |
//! | layer norm    | [..., D1..Dk] | the last k dims        | leading index   |
//! | pixel norm    | [N, C, ...]   | C (no mean removed)    | sample, pixel   |
//!
//! The variance is the population variance (divided by the count) computed in
//! two passes (mean first, then the mean of squared deviations), which keeps
//! f32 accurate when the mean is large. Everything is a composition of reduce
//! and elementwise ops, so autograd supplies the gradients and they are
//! themselves differentiable: WGAN-GP differentiates through layer norm.
//! Batch norm runs as fused kernels at first order (it sits in every DCGAN
//! layer and its composition was 6-8x slower; see `benches/kernels.rs`) and
//! uses these compositions for higher orders; instance norm is batch norm
//! over a batch of one whose channels are the planes, so it runs on the same
//! kernels (and R1 differentiates through it by the same compositions).
//! Pixel norm has fused kernels of its own for the same reason.

use crate::tensor::Tensor;

/// ProGAN's pixel-norm epsilon, inside the square root (`ops/pixel_norm.rs`).
pub const PIXEL_NORM_EPS: f32 = 1e-8;

// ANCHOR: standardize
/// (x - mean) / sqrt(var + eps) over `axes`, with the mean and the population
/// variance (both keepdim, so they broadcast against x).
pub(super) fn standardize(x: &Tensor, axes: &[isize], eps: f32) -> (Tensor, Tensor, Tensor) {
    let mean = x.mean(axes, true);
    let centered = x.sub(&mean);
    let var = centered.mul(&centered).mean(axes, true);
    let normalized = centered.mul(&var.add_scalar(eps).powf(-0.5));
    (normalized, mean, var)
}
// ANCHOR_END: standardize

/// Each (sample, channel) plane of x [N, C, H, W] normalised over its pixels,
/// then scaled and shifted by `per_plane` (two [N*C]) when given. That is
/// batch norm over a batch of one whose channels are the planes, [1, N*C,
/// H*W], so it runs on batch norm's fused kernels: three dispatches each way,
/// where `standardize`, the affine and their gradients took about 30
/// (CycleGAN's step ran over 5,000 dispatches at batch 1). A leaky ReLU of
/// `negative_slope` (1: none) follows in the same kernels.
fn normalize_planes(
    x: &Tensor,
    per_plane: Option<(&Tensor, &Tensor)>,
    eps: f32,
    negative_slope: f32,
    op: &str,
) -> Tensor {
    assert_eq!(x.rank(), 4, "{op}: input must be [N, C, H, W], got shape {:?}", x.shape());
    let [n, c, h, w] = [0, 1, 2, 3].map(|d| x.shape()[d]);
    assert!(h * w > 1, "{op}: input shape {:?} has one pixel per plane, whose variance is undefined", x.shape());
    let (scale, shift) = per_plane.unzip();
    let (planes, _) = x.reshape(&[1, n * c, h * w]).batch_norm_train_activated(scale, shift, eps, negative_slope);
    planes.reshape(x.shape())
}

/// `y * weight + bias` with weight and bias of shape [C] applied along axis 1
/// of y ([N, C, ...]); either may be absent.
pub(super) fn channel_affine(y: Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>, op: &str) -> Tensor {
    let shape = y.shape().to_vec();
    let channels = shape[1];
    let mut per_channel = vec![1; shape.len()];
    per_channel[1] = channels;
    let as_channels = |t: &Tensor, name: &str| {
        assert_eq!(t.shape(), [channels], "{op}: {name} must have shape [{channels}] for input shape {shape:?}");
        t.reshape(&per_channel)
    };
    let scaled = match weight {
        Some(w) => y.mul(&as_channels(w, "weight")),
        None => y,
    };
    match bias {
        Some(b) => scaled.add(&as_channels(b, "bias")),
        None => scaled,
    }
}

impl Tensor {
    /// Instance norm on [N, C, H, W]: each (sample, channel) plane is
    /// normalised over its H*W pixels, then the optional per-channel affine
    /// [C]. Panics on a 1x1 plane (its variance is undefined).
    pub fn instance_norm2d(&self, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f32) -> Tensor {
        channel_affine(normalize_planes(self, None, eps, 1.0, "instance_norm2d"), weight, bias, "instance_norm2d")
    }

    /// `instance_norm2d` without an affine, followed by a leaky ReLU of
    /// `negative_slope` (0: a ReLU) in the same kernels (batch norm's fused
    /// ones): CycleGAN's norm-then-ReLU in 3 dispatches each way instead of
    /// 4. The same numbers as the two ops apart. Panics on a negative slope,
    /// which the backward pass could not tell from the output's signs.
    pub fn instance_norm2d_activated(&self, eps: f32, negative_slope: f32) -> Tensor {
        assert!(
            negative_slope >= 0.0,
            "instance_norm2d_activated: negative_slope must be >= 0 (0 for a ReLU), got {negative_slope}"
        );
        normalize_planes(self, None, eps, negative_slope, "instance_norm2d_activated")
    }

    /// Layer norm over the last `dims` dimensions: each leading index is
    /// normalised over the trailing block, then multiplied elementwise by
    /// `weight` and shifted by `bias`, both shaped like that block.
    pub fn layer_norm(&self, dims: usize, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f32) -> Tensor {
        assert!(
            (1..=self.rank()).contains(&dims),
            "layer_norm: cannot normalise over the last {dims} dimensions of shape {:?}",
            self.shape()
        );
        let block = &self.shape()[self.rank() - dims..];
        for (name, t) in [("weight", weight), ("bias", bias)] {
            if let Some(t) = t {
                assert_eq!(
                    t.shape(),
                    block,
                    "layer_norm: {name} of shape {:?} must match the normalised dims {block:?} of input shape {:?}",
                    t.shape(),
                    self.shape()
                );
            }
        }
        let axes: Vec<isize> = (1..=dims as isize).map(|d| -d).collect();
        let (normalized, _, _) = standardize(self, &axes, eps);
        let scaled = match weight {
            Some(w) => normalized.mul(w),
            None => normalized,
        };
        match bias {
            Some(b) => scaled.add(b),
            None => scaled,
        }
    }

    /// Adaptive instance norm (Huang & Belongie; StyleGAN): instance-normalise
    /// the content [N, C, H, W], then scale and shift each (sample, channel)
    /// plane by `style_scale` [N, C] and `style_bias` [N, C]. All three get
    /// gradients.
    pub fn adain(&self, style_scale: &Tensor, style_bias: &Tensor, eps: f32) -> Tensor {
        assert_eq!(self.rank(), 4, "adain: content must be [N, C, H, W], got shape {:?}", self.shape());
        let (n, c) = (self.shape()[0], self.shape()[1]);
        assert!(
            style_scale.shape() == [n, c] && style_bias.shape() == [n, c],
            "adain: style scale {:?} and bias {:?} must both be [{n}, {c}] for content shape {:?}",
            style_scale.shape(),
            style_bias.shape(),
            self.shape()
        );
        // A scale and a shift per plane are batch norm's affine parameters
        // when the planes are its channels.
        let per_plane = (&style_scale.reshape(&[n * c]), &style_bias.reshape(&[n * c]));
        normalize_planes(self, Some(per_plane), eps, 1.0, "adain")
    }
}
