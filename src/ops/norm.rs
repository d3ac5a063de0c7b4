//! Normalisation: batch norm (training and eval, with running statistics),
//! instance norm, layer norm, AdaIN and pixel norm.
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
//! themselves differentiable: WGAN-GP differentiates through layer norm, R1
//! through instance norm. (A fused kernel would save dispatches; see the
//! batch-norm benchmark in `benches/kernels.rs` before writing one.)

use crate::autograd::no_grad;
use crate::tensor::Tensor;

/// ProGAN's pixel-norm epsilon, inside the square root.
pub const PIXEL_NORM_EPS: f32 = 1e-8;

/// (x - mean) / sqrt(var + eps) over `axes`, with the mean and the population
/// variance (both keepdim, so they broadcast against x).
fn standardize(x: &Tensor, axes: &[isize], eps: f32) -> (Tensor, Tensor, Tensor) {
    let mean = x.mean(axes, true);
    let centered = x.sub(&mean);
    let var = centered.mul(&centered).mean(axes, true);
    let normalized = centered.mul(&var.add_scalar(eps).powf(-0.5));
    (normalized, mean, var)
}

/// `y * weight + bias` with weight and bias of shape [C] applied along axis 1
/// of y ([N, C, ...]); either may be absent.
fn channel_affine(y: Tensor, weight: Option<&Tensor>, bias: Option<&Tensor>, op: &str) -> Tensor {
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

/// Every axis of `x` except the channel axis 1: what batch norm reduces over.
fn all_but_channels(x: &Tensor, op: &str) -> Vec<isize> {
    assert!(x.rank() >= 2, "{op}: input must be [N, C] or [N, C, ...], got shape {:?}", x.shape());
    (0..x.rank() as isize).filter(|&d| d != 1).collect()
}

/// Per-channel statistics of one training batch, detached from the graph:
/// what the running averages are updated with.
#[derive(Clone, Debug)]
pub struct BatchStats {
    /// [C]: the batch mean.
    pub mean: Tensor,
    /// [C]: the population variance (divided by `count`), the one the batch
    /// was normalised with.
    pub var: Tensor,
    /// Values per channel: N for [N, C], N*H*W for [N, C, H, W].
    pub count: usize,
}

impl BatchStats {
    /// The unbiased variance var * count / (count - 1): what PyTorch averages
    /// into `running_var` (while normalising the batch with the biased one).
    pub fn unbiased_var(&self) -> Tensor {
        no_grad(|| self.var.mul_scalar(self.count as f32 / (self.count - 1) as f32))
    }
}

/// Running averages of the batch statistics, which eval mode normalises with.
#[derive(Clone, Debug)]
pub struct RunningStats {
    /// [C]
    pub mean: Tensor,
    /// [C]
    pub var: Tensor,
}

impl RunningStats {
    /// PyTorch's initial state: mean 0, variance 1 for each of `channels`.
    pub fn new(channels: usize) -> RunningStats {
        RunningStats { mean: Tensor::zeros(&[channels]), var: Tensor::ones(&[channels]) }
    }

    /// running = (1 - momentum) * running + momentum * batch, for the mean and
    /// for the unbiased variance (PyTorch's rule; momentum 0.1 is its default).
    /// No graph is recorded; the result replaces `self`.
    pub fn update(&self, batch: &BatchStats, momentum: f32) -> RunningStats {
        assert_eq!(
            self.mean.shape(),
            batch.mean.shape(),
            "RunningStats::update: running statistics of shape {:?} cannot average batch statistics of shape {:?}",
            self.mean.shape(),
            batch.mean.shape()
        );
        let blend =
            |running: &Tensor, current: &Tensor| running.mul_scalar(1.0 - momentum).add(&current.mul_scalar(momentum));
        no_grad(|| RunningStats { mean: blend(&self.mean, &batch.mean), var: blend(&self.var, &batch.unbiased_var()) })
    }
}

impl Tensor {
    /// Batch norm in training mode on [N, C] (BatchNorm1d) or [N, C, H, W]
    /// (BatchNorm2d; any [N, C, ...] works): each channel is normalised with
    /// the mean and population variance of its N (* H * W) values, then
    /// scaled by `weight` [C] and shifted by `bias` [C] when given. Also
    /// returns those statistics, for `RunningStats::update`.
    ///
    /// Panics when a channel has a single value (a batch of one for [N, C]):
    /// its variance is undefined, as in PyTorch.
    pub fn batch_norm_train(&self, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f32) -> (Tensor, BatchStats) {
        let axes = all_but_channels(self, "batch_norm_train");
        let channels = self.shape()[1];
        let count = self.numel() / channels.max(1);
        assert!(
            count > 1,
            "batch_norm_train: input shape {:?} has {count} value per channel, and the variance of one value is \
             undefined (use a batch larger than 1, or eval mode)",
            self.shape()
        );
        let (normalized, mean, var) = standardize(self, &axes, eps);
        let stats =
            BatchStats { mean: mean.detach().reshape(&[channels]), var: var.detach().reshape(&[channels]), count };
        (channel_affine(normalized, weight, bias, "batch_norm_train"), stats)
    }

    /// Batch norm in eval mode: (x - running mean) / sqrt(running var + eps),
    /// then the optional affine, on [N, C] or [N, C, ...]. Folded into one
    /// per-channel scale and shift, so the full-size work is one multiply and
    /// one add.
    pub fn batch_norm_eval(
        &self,
        running: &RunningStats,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
    ) -> Tensor {
        all_but_channels(self, "batch_norm_eval");
        let channels = self.shape()[1];
        assert!(
            running.mean.shape() == [channels] && running.var.shape() == [channels],
            "batch_norm_eval: running statistics of shapes {:?} and {:?} do not match the {channels} channels of \
             input shape {:?}",
            running.mean.shape(),
            running.var.shape(),
            self.shape()
        );
        let inv_std = running.var.add_scalar(eps).powf(-0.5); // [C]
        let scale = match weight {
            Some(w) => {
                assert_eq!(w.shape(), [channels], "batch_norm_eval: weight must have shape [{channels}]");
                inv_std.mul(w)
            }
            None => inv_std,
        };
        let shift = running.mean.mul(&scale).neg(); // [C]
        let shift = match bias {
            Some(b) => {
                assert_eq!(b.shape(), [channels], "batch_norm_eval: bias must have shape [{channels}]");
                shift.add(b)
            }
            None => shift,
        };
        channel_affine(self.clone(), Some(&scale), Some(&shift), "batch_norm_eval")
    }

    /// Instance norm on [N, C, H, W]: each (sample, channel) plane is
    /// normalised over its H*W pixels, then the optional per-channel affine
    /// [C]. Panics on a 1x1 plane (its variance is undefined).
    pub fn instance_norm2d(&self, weight: Option<&Tensor>, bias: Option<&Tensor>, eps: f32) -> Tensor {
        assert_eq!(self.rank(), 4, "instance_norm2d: input must be [N, C, H, W], got shape {:?}", self.shape());
        assert!(
            self.shape()[2] * self.shape()[3] > 1,
            "instance_norm2d: input shape {:?} has one pixel per plane, whose variance is undefined",
            self.shape()
        );
        let (normalized, _, _) = standardize(self, &[2, 3], eps);
        channel_affine(normalized, weight, bias, "instance_norm2d")
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
        let normalized = self.instance_norm2d(None, None, eps);
        normalized.mul(&style_scale.reshape(&[n, c, 1, 1])).add(&style_bias.reshape(&[n, c, 1, 1]))
    }

    /// ProGAN's pixel norm on [N, C, ...]: each feature vector across channels
    /// divided by its root mean square, x / sqrt(mean over C of x^2 + 1e-8).
    pub fn pixel_norm(&self) -> Tensor {
        assert!(self.rank() >= 2, "pixel_norm: input must be [N, C, ...], got shape {:?}", self.shape());
        let mean_square = self.mul(self).mean(&[1], true);
        self.mul(&mean_square.add_scalar(PIXEL_NORM_EPS).powf(-0.5))
    }
}
