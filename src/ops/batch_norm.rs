//! Batch norm (`shaders/batch_norm.wgsl`): training mode normalises each
//! channel with its batch statistics and hands them back for the running
//! averages; eval mode normalises with those averages.
//!
//! Training mode sits in every DCGAN layer, so it runs as fused kernels: three
//! dispatches forward (chunk sums, channel statistics, normalise) and three
//! backward (chunk sums, the two sums per channel, dx), where the composition
//! of reduce and elementwise ops took about 34 (`benches/kernels.rs`). The
//! kernels compute numbers, not graphs, so the backward rule has two forms
//! (StyleGAN2's `has_2nd_grad` idea, kept exact): when gradients are being
//! recorded (`grad(.., create_graph: true)`, as a gradient penalty does) it
//! evaluates the same closed form with differentiable ops, so batch norm can
//! be differentiated to any order; otherwise it runs the kernels.
//!
//! Eval mode is already cheap as a composition: the statistics fold into one
//! per-channel scale and shift.

use super::norm::{channel_affine, standardize};
use super::{run_within, strided_run};
use crate::autograd::{is_grad_enabled, no_grad};
use crate::gpu::{device, Params, Storage, BATCH_NORM, WORKGROUP};
use crate::tensor::Tensor;

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
    /// for the unbiased variance (PyTorch's rule; momentum 0.1 is its default),
    /// in place: `lerp_` toward the batch's values, one dispatch each, and one
    /// to unbias the variance (a new tensor per term and copies back cost nine
    /// per batch norm, a fifth of a dcgan28 step's dispatches). Never recorded
    /// in a graph.
    pub fn update(&self, batch: &BatchStats, momentum: f32) {
        assert_eq!(
            self.mean.shape(),
            batch.mean.shape(),
            "RunningStats::update: running statistics of shape {:?} cannot average batch statistics of shape {:?}",
            self.mean.shape(),
            batch.mean.shape()
        );
        no_grad(|| {
            self.mean.lerp_(&batch.mean, momentum);
            self.var.lerp_(&batch.unbiased_var(), momentum);
        })
    }
}

/// The sizes the kernels see: x as [N, C, S], each row of S values cut into
/// chunks of at most `MAX_CHUNK` (see `shaders/batch_norm.wgsl`).
#[derive(Clone, Copy)]
struct Layout {
    channels: usize,
    /// S: values per (sample, channel), H*W for 2d, 1 for 1d.
    inner: usize,
    /// N
    batch: usize,
    /// The length of every chunk of a row but the last (which holds the rest).
    chunk_len: usize,
}

/// The longest chunk one invocation sums: long enough that a chunk's loop
/// outweighs its invocation, short enough that a row of a large image still
/// gives many invocations.
const MAX_CHUNK: usize = 64;

impl Layout {
    fn of(x: &Tensor, op: &str) -> Layout {
        assert!(x.rank() >= 2, "{op}: input must be [N, C] or [N, C, ...], got shape {:?}", x.shape());
        let (batch, channels) = (x.shape()[0], x.shape()[1]);
        let inner: usize = x.shape()[2..].iter().product();
        // Equal chunks as far as possible: 196 = 4 x 49, not 3 x 64 + 4.
        let chunk_len = inner.div_ceil(inner.div_ceil(MAX_CHUNK).max(1)).max(1);
        Layout { channels, inner, batch, chunk_len }
    }

    /// Chunks per row.
    fn chunks(&self) -> usize {
        self.inner.div_ceil(self.chunk_len)
    }

    /// N*C*S: values in all.
    fn total(&self) -> usize {
        self.per_channel() * self.channels
    }

    /// M = N*S: values per channel.
    fn per_channel(&self) -> usize {
        self.batch * self.inner
    }

    /// E: chunks in all.
    fn chunk_count(&self) -> usize {
        self.batch * self.channels * self.chunks()
    }

    /// The kernels' parameters; `slope` is the fused activation's negative
    /// slope (1: none), `run` the vec4s per invocation of the elementwise pass.
    fn params(&self, eps: f32, slope: f32, run: usize) -> Params {
        Params::new()
            .size(self.channels)
            .size(self.inner)
            .size(self.per_channel())
            .size(self.total())
            .size(self.batch)
            .size(self.chunks())
            .size(self.chunk_len)
            .size(self.chunk_count())
            .f32(eps)
            .size(run)
            .f32(slope)
    }

    /// Runs one direction's three kernels (see the shader): `chunk` sums the
    /// chunks of `chunk_inputs` into a fresh [2, E], `channel` adds them per
    /// channel with `channel_buffers` after them and writes the coefficients,
    /// and `elementwise` applies those to x (and dy) into a fresh `out`.
    fn run(
        &self,
        eps: f32,
        Extras { affine, slope }: Extras,
        [chunk, channel, elementwise]: [&'static str; 3],
        chunk_inputs: &[&wgpu::Buffer],
        channel_buffers: &[&wgpu::Buffer],
        elementwise_inputs: &[&wgpu::Buffer],
    ) -> Storage {
        let gpu = device();
        // Where a row is whole vec4s, runs that divide it never leave it
        // (the shader's WITHIN_CHANNEL, bit 1 of the elementwise pass's OP).
        let within_channel = self.inner.is_multiple_of(4);
        let run = if within_channel { run_within(self.inner / 4) } else { strided_run() };
        let params = self.params(eps, slope, run);
        // The shader's OP: bit 0 where an activation is fused (see there).
        let op = u32::from(slope != 1.0);
        let partials = Storage::new(2 * self.chunk_count());
        let coefficients = Storage::new(4 * self.channels);
        let out = Storage::new(self.total());
        let chunk_buffers = [&chunk_inputs[..1], &[partials.buffer()], &chunk_inputs[1..]].concat();
        // Bit 2 (AFFINE) only where it is read, so the other kernels keep one pipeline each.
        let channel_op = op | u32::from(affine) << 2;
        gpu.dispatch(
            BATCH_NORM.kernel_for(chunk, op),
            &params,
            &chunk_buffers,
            gpu.grid(self.chunk_count(), WORKGROUP),
        );
        let channel_all = [&[partials.buffer(), coefficients.buffer()], channel_buffers].concat();
        gpu.dispatch(
            BATCH_NORM.kernel_for(channel, channel_op),
            &params,
            &channel_all,
            gpu.grid(self.channels, WORKGROUP),
        );
        let elementwise_all =
            [&elementwise_inputs[..1], &[coefficients.buffer(), out.buffer()], &elementwise_inputs[1..]].concat();
        gpu.dispatch(
            BATCH_NORM.kernel_for(elementwise, op | u32::from(within_channel) << 1),
            &params,
            &elementwise_all,
            gpu.grid(self.total().div_ceil(4).div_ceil(run), WORKGROUP),
        );
        out
    }

    /// The axes the statistics are taken over: all but the channel axis 1.
    fn axes(rank: usize) -> Vec<isize> {
        (0..rank as isize).filter(|&d| d != 1).collect()
    }
}

/// What the kernels apply besides the normalisation: the affine weight and
/// bias when `affine` (else 1 and 0, with no tensors bound for them), and a
/// leaky ReLU of negative slope `slope` (1: none).
#[derive(Clone, Copy)]
struct Extras {
    affine: bool,
    slope: f32,
}

fn check_affine(t: &Tensor, name: &str, x: &Tensor, op: &str) {
    let channels = x.shape()[1];
    assert_eq!(t.shape(), [channels], "{op}: {name} must have shape [{channels}] for input shape {:?}", x.shape());
}

/// The gradients (dx, dweight, dbias) by the fused kernels; `y` is the
/// forward's output, whose signs give the fused activation's slopes.
fn fused_gradients(
    x: &Tensor,
    stats: &BatchStats,
    weight: Option<&Tensor>,
    (y, slope): (&Tensor, f32),
    dy: &Tensor,
    eps: f32,
) -> [Tensor; 3] {
    let layout = Layout::of(x, "batch_norm_train");
    // sum dy and sum dy x̂, each in its own buffer: no copies to cut them apart.
    let (bias_grad, weight_grad) = (Storage::new(layout.channels), Storage::new(layout.channels));
    let (mean, var) = (stats.mean.buffer(), stats.var.buffer());
    let dx = layout.run(
        eps,
        Extras { affine: weight.is_some(), slope },
        ["chunk_grad_sums", "channel_grad_sums", "input_grad"],
        &[x.buffer(), dy.buffer(), mean, y.buffer()],
        &[weight.unwrap_or(x).buffer(), mean, var, bias_grad.buffer(), weight_grad.buffer()],
        &[x.buffer(), dy.buffer(), y.buffer()],
    );
    let per_channel = |sums: Storage| Tensor::from_storage(sums, vec![layout.channels]);
    [Tensor::from_storage(dx, x.shape().to_vec()), per_channel(weight_grad), per_channel(bias_grad)]
}

// ANCHOR: composed_gradients
/// The same gradients in closed form with differentiable ops, for when they
/// will be differentiated again. With x̂ = (x - mean) r, r = (var + eps)^-1/2
/// and M values per channel (sums over the statistics' axes):
/// dbias = sum dy, dweight = sum dy x̂, dx = weight r (dy - (sum dy + x̂ sum dy x̂) / M).
/// x̂ and r are recomputed from x, so their dependence on x is part of the graph.
fn composed_gradients(x: &Tensor, weight: Option<&Tensor>, dy: &Tensor, eps: f32) -> [Tensor; 3] {
    let layout = Layout::of(x, "batch_norm_train");
    let axes = Layout::axes(x.rank());
    let (xhat, _, var) = standardize(x, &axes, eps);
    let mut per_channel = vec![1; x.rank()];
    per_channel[1] = layout.channels;
    let inv_std = var.add_scalar(eps).powf(-0.5); // [1, C, 1, ...]
    let scale = match weight {
        Some(weight) => inv_std.mul(&weight.reshape(&per_channel)),
        None => inv_std,
    };
    let sum_dy = dy.sum(&axes, true);
    let sum_dy_xhat = dy.mul(&xhat).sum(&axes, true);
    let correction = sum_dy.add(&xhat.mul(&sum_dy_xhat)).div_scalar(layout.per_channel() as f32);
    let dx = dy.sub(&correction).mul(&scale);
    [dx, sum_dy_xhat.reshape(&[layout.channels]), sum_dy.reshape(&[layout.channels])]
}
// ANCHOR_END: composed_gradients

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
        self.batch_norm_train_activated(weight, bias, eps, 1.0)
    }

    /// `batch_norm_train` followed by a leaky ReLU of `negative_slope` (0: a
    /// ReLU, 1: none) in the same kernels, forward and backward: the
    /// activation's own pass over the tensor, and the two of its gradient, are
    /// saved. The same numbers as the two ops one after the other.
    ///
    /// Panics on a negative slope, whose activation the backward pass could
    /// not tell from the output's signs.
    pub fn batch_norm_train_activated(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
        negative_slope: f32,
    ) -> (Tensor, BatchStats) {
        assert!(
            negative_slope >= 0.0,
            "batch_norm_train_activated: negative_slope must be >= 0 (0 for a ReLU, 1 for none), got {negative_slope}"
        );
        let slope = negative_slope;
        let layout = Layout::of(self, "batch_norm_train");
        assert!(
            layout.per_channel() > 1,
            "batch_norm_train: input shape {:?} has {} value per channel, and the variance of one value is \
             undefined (use a batch larger than 1, or eval mode)",
            self.shape(),
            layout.per_channel()
        );
        // With one affine parameter the other is its identity; with neither
        // the kernels use 1 and 0 and x is bound in their place (Extras).
        let affine = weight.is_some() || bias.is_some();
        let (weight, bias) = match affine {
            true => (
                Some(weight.cloned().unwrap_or_else(|| Tensor::ones(&[layout.channels]))),
                Some(bias.cloned().unwrap_or_else(|| Tensor::zeros(&[layout.channels]))),
            ),
            false => (None, None),
        };
        for (t, name) in [(&weight, "weight"), (&bias, "bias")] {
            if let Some(t) = t {
                check_affine(t, name, self, "batch_norm_train");
            }
        }

        let (mean, var) = (Storage::new(layout.channels), Storage::new(layout.channels));
        let (weight_bound, bias_bound) = (weight.as_ref().unwrap_or(self), bias.as_ref().unwrap_or(self));
        let y = layout.run(
            eps,
            Extras { affine, slope },
            ["chunk_moments", "channel_moments", "normalize"],
            &[self.buffer()],
            &[weight_bound.buffer(), mean.buffer(), var.buffer(), bias_bound.buffer()],
            &[self.buffer()],
        );
        let stats = BatchStats {
            mean: Tensor::from_storage(mean, vec![layout.channels]),
            var: Tensor::from_storage(var, vec![layout.channels]),
            count: layout.per_channel(),
        };
        let saved = stats.clone();
        let inputs: Vec<&Tensor> = [self].into_iter().chain(&weight).chain(&bias).collect();
        let out = Tensor::from_op(
            y,
            self.shape().to_vec(),
            "batch_norm_train",
            &inputs,
            // ANCHOR: two_forms
            move |inputs, y, dy| {
                let (x, weight) = (&inputs[0], inputs.get(1));
                let grads = if is_grad_enabled() {
                    composed_gradients(x, weight, &dy.through_leaky_relu(y, slope), eps)
                } else {
                    fused_gradients(x, &saved, weight, (y, slope), dy, eps)
                };
                // [dx, dweight, dbias], as many as there are inputs.
                grads.into_iter().take(inputs.len()).map(Some).collect()
            },
            // ANCHOR_END: two_forms
        );
        (out, stats)
    }

    /// Batch norm in eval mode: (x - running mean) / sqrt(running var + eps),
    /// then the optional affine, on [N, C] or [N, C, ...]. Folded into one
    /// per-channel scale and shift, so the full-size work is one multiply and
    /// one add; differentiable to any order as a composition.
    pub fn batch_norm_eval(
        &self,
        running: &RunningStats,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
    ) -> Tensor {
        let layout = Layout::of(self, "batch_norm_eval");
        assert!(
            running.mean.shape() == [layout.channels] && running.var.shape() == [layout.channels],
            "batch_norm_eval: running statistics of shapes {:?} and {:?} do not match the {} channels of input \
             shape {:?}",
            running.mean.shape(),
            running.var.shape(),
            layout.channels,
            self.shape()
        );
        let inv_std = running.var.add_scalar(eps).powf(-0.5); // [C]
        let scale = match weight {
            Some(w) => {
                check_affine(w, "weight", self, "batch_norm_eval");
                inv_std.mul(w)
            }
            None => inv_std,
        };
        let shift = running.mean.mul(&scale).neg(); // [C]
        let shift = match bias {
            Some(b) => {
                check_affine(b, "bias", self, "batch_norm_eval");
                shift.add(b)
            }
            None => shift,
        };
        channel_affine(self.clone(), Some(&scale), Some(&shift), "batch_norm_eval")
    }
}
