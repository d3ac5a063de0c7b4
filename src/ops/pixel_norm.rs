//! ProGAN's pixel norm (`shaders/pixel_norm.wgsl`): every feature vector
//! across the channels divided by its root mean square,
//! x / sqrt(mean over C of x^2 + 1e-8).
//!
//! It follows every convolution of ProGAN's generator and starts StyleGAN's
//! mapping network, and as a composition of reduce and elementwise ops it
//! cost six dispatches forward and about ten backward, where the kernels take
//! one each. Like batch norm's, its backward rule has two forms: when
//! gradients are being recorded (a penalty that differentiates through it) it
//! is the composition's own gradient, so it can be differentiated again;
//! otherwise it runs the kernel.

use super::norm::PIXEL_NORM_EPS;
use crate::autograd::is_grad_enabled;
use crate::gpu::{device, Params, Storage, PIXEL_NORM, WORKGROUP};
use crate::tensor::Tensor;

/// The sizes the kernels see: x as [N, C, S].
struct Layout {
    channels: usize,
    /// S: values per (sample, channel), H*W for [N, C, H, W], 1 for [N, C].
    inner: usize,
    /// N*S: the feature vectors, one invocation each.
    vectors: usize,
}

impl Layout {
    fn of(x: &Tensor) -> Layout {
        assert!(x.rank() >= 2, "pixel_norm: input must be [N, C, ...], got shape {:?}", x.shape());
        let inner: usize = x.shape()[2..].iter().product();
        Layout { channels: x.shape()[1], inner, vectors: x.shape()[0] * inner }
    }

    /// Runs `entry` over every feature vector with `buffers` after the parameters.
    fn dispatch(&self, entry: &'static str, buffers: &[&wgpu::Buffer]) {
        let params = Params::new().size(self.channels).size(self.inner).size(self.vectors).f32(PIXEL_NORM_EPS);
        let gpu = device();
        gpu.dispatch(PIXEL_NORM.kernel(entry), &params, buffers, gpu.grid(self.vectors, WORKGROUP));
    }
}

/// The gradient the backward kernel computes, dx = r (dy - y mean_c(dy y))
/// with r and y recomputed from x, written with differentiable ops so that
/// it can be differentiated again.
fn composed_gradient(x: &Tensor, dy: &Tensor) -> Tensor {
    let r = x.mul(x).mean(&[1], true).add_scalar(PIXEL_NORM_EPS).powf(-0.5);
    let y = x.mul(&r);
    let mean = dy.mul(&y).mean(&[1], true);
    dy.sub(&y.mul(&mean)).mul(&r)
}

impl Tensor {
    /// ProGAN's pixel norm on [N, C, ...]: each feature vector across channels
    /// divided by its root mean square, x / sqrt(mean over C of x^2 + 1e-8).
    pub fn pixel_norm(&self) -> Tensor {
        let layout = Layout::of(self);
        let (out, r) = (Storage::new(self.numel()), Storage::new(layout.vectors));
        if self.numel() > 0 {
            layout.dispatch("forward", &[self.buffer(), out.buffer(), r.buffer()]);
        }
        Tensor::from_op(out, self.shape().to_vec(), "pixel_norm", &[self], move |inputs, y, dy| {
            if is_grad_enabled() {
                return vec![Some(composed_gradient(&inputs[0], dy))];
            }
            let dx = Storage::new(y.numel());
            if y.numel() > 0 {
                layout.dispatch("backward", &[y.buffer(), dx.buffer(), r.buffer(), dy.buffer()]);
            }
            vec![Some(Tensor::from_storage(dx, y.shape().to_vec()))]
        })
    }
}
