//! Spatial resampling of [N, C, H, W] maps (`shaders/resample.wgsl`): average
//! pooling, nearest upsampling (and StyleGAN2's smoothed up- and
//! downsampling built from the two) and reflection padding.
//!
//! The kernels come in adjoint pairs. A linear map A and its transpose A^T are
//! each other's gradients: if y = A x then dx = A^T dy, and the gradient of
//! that (a linear function of dy) is A again. So:
//!
//! - `window_sum` (sum each pooling window) and `window_spread` (add each
//!   coarse value to every pixel of its window) are transposes. Average
//!   pooling is window_sum scaled by 1/k^2; nearest upsampling by f is
//!   window_spread with windows of f x f and stride f. Hence upsampling's
//!   gradient is a sum-pool of the gradient (an average pool times f^2), and
//!   pooling's gradient spreads the gradient back over the windows. Weighted
//!   by StyleGAN2's [1, 3, 3, 1] filter on each axis (`Window::filter`), the
//!   same pair is that model's smoothed down- and upsampling.
//! - `reflect_pad` and `reflect_fold` are transposes: the fold adds each
//!   mirrored gradient back onto the pixel it was copied from.
//!
//! Each op's backward calls its partner through the differentiable wrappers
//! below, so every op here is differentiable to any order.

use crate::gpu::{device, Kernel, Params, Storage, RESAMPLE, WORKGROUP};
use crate::tensor::{numel, Tensor};

/// Where a pooling window sits: `kernel` x `kernel` pixels, moved by `stride`,
/// over a map zero-padded by `padding` on every side; with `filter` (and a
/// kernel of 4) its pixels weighted by [1, 3, 3, 1] on each axis, else all 1.
#[derive(Clone, Copy, Debug)]
struct Window {
    kernel: usize,
    stride: usize,
    padding: usize,
    filter: bool,
}

impl Window {
    /// StyleGAN2's [1, 3, 3, 1] filter as a window: 4 x 4, weighted.
    fn filter(stride: usize, padding: usize) -> Window {
        Window { kernel: 4, stride, padding, filter: true }
    }

    /// Windows along an axis of `fine` pixels.
    fn coarse(&self, fine: usize) -> usize {
        (fine + 2 * self.padding - self.kernel) / self.stride + 1
    }

    /// The window kernel `entry` for this window: its size, step and
    /// weighting are the shader's pipeline constants (OP = kernel | stride <<
    /// 16 | filter << 31).
    fn kernel(&self, entry: &'static str) -> Kernel {
        assert!(
            self.kernel < 1 << 16 && self.stride < 1 << 15,
            "pooling window {} moved by {}: the window must be below 65536 and the step below 32768",
            self.kernel,
            self.stride
        );
        RESAMPLE.kernel_for(entry, (self.kernel | self.stride << 16 | usize::from(self.filter) << 31) as u32)
    }

    /// The kernels' geometry for this window and `scale`.
    fn geometry(&self, scale: f32) -> Geometry {
        Geometry { pad_top: self.padding, pad_left: self.padding, scale }
    }
}

/// Kernel arguments besides the sizes: padding before the rows and the
/// columns, and a scale.
struct Geometry {
    pad_top: usize,
    pad_left: usize,
    scale: f32,
}

/// Runs `kernel` from x [N, C, h, w] to new storage of shape [N, C, out_hw.0, out_hw.1].
fn launch(kernel: Kernel, x: &Tensor, out_hw: (usize, usize), g: Geometry) -> (Storage, Vec<usize>) {
    let (n, c, h, w) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let shape = vec![n, c, out_hw.0, out_hw.1];
    let out = Storage::new(numel(&shape));
    let params = Params::new()
        .size(out.len())
        .size(h)
        .size(w)
        .size(out_hw.0)
        .size(out_hw.1)
        .size(g.pad_top)
        .size(g.pad_left)
        .f32(g.scale);
    let gpu = device();
    gpu.dispatch(kernel, &params, &[x.buffer(), out.buffer()], gpu.grid(out.len(), WORKGROUP));
    (out, shape)
}

/// scale * (sum of each window of `fine` [N, C, H, W]) -> [N, C, OH, OW].
fn window_sum(fine: &Tensor, window: Window, scale: f32) -> Tensor {
    let (h, w) = (fine.shape()[2], fine.shape()[3]);
    let out_hw = (window.coarse(h), window.coarse(w));
    let (out, shape) = launch(window.kernel("window_sum"), fine, out_hw, window.geometry(scale));
    Tensor::from_op(out, shape, "window_sum", &[fine], move |_, _, g| {
        vec![Some(window_spread(g, window, scale, (h, w)))]
    })
}

/// The transpose of `window_sum`: coarse [N, C, OH, OW] -> [N, C, H, W] =
/// `fine_hw`, each pixel getting scale * the sum of the windows containing
/// it, each weighted as that pixel is in it.
fn window_spread(coarse: &Tensor, window: Window, scale: f32, fine_hw: (usize, usize)) -> Tensor {
    let (out, shape) = launch(window.kernel("window_spread"), coarse, fine_hw, window.geometry(scale));
    Tensor::from_op(out, shape, "window_spread", &[coarse], move |_, _, g| vec![Some(window_sum(g, window, scale))])
}

/// Padding as `[(top, bottom), (left, right)]`.
type Padding2d = [(usize, usize); 2];

fn reflection_geometry(padding: Padding2d) -> Geometry {
    Geometry { pad_top: padding[0].0, pad_left: padding[1].0, scale: 1.0 }
}

/// x [N, C, H, W] -> [N, C, top + H + bottom, left + W + right], mirrored.
fn reflect_pad(x: &Tensor, padding: Padding2d) -> Tensor {
    let (h, w) = (x.shape()[2], x.shape()[3]);
    let out_hw = (padding[0].0 + h + padding[0].1, padding[1].0 + w + padding[1].1);
    let (out, shape) = launch(RESAMPLE.kernel("reflect_pad"), x, out_hw, reflection_geometry(padding));
    Tensor::from_op(out, shape, "reflect_pad", &[x], move |_, _, g| vec![Some(reflect_fold(g, padding, (h, w)))])
}

/// The transpose of `reflect_pad`: a padded gradient folded back onto the
/// `source_hw` map it was padded from.
fn reflect_fold(padded: &Tensor, padding: Padding2d, source_hw: (usize, usize)) -> Tensor {
    let (out, shape) = launch(RESAMPLE.kernel("reflect_fold"), padded, source_hw, reflection_geometry(padding));
    Tensor::from_op(out, shape, "reflect_fold", &[padded], move |_, _, g| vec![Some(reflect_pad(g, padding))])
}

fn check_maps(x: &Tensor, op: &str) {
    assert_eq!(x.rank(), 4, "{op}: input must be [N, C, H, W], got shape {:?}", x.shape());
}

impl Tensor {
    /// Nearest-neighbour upsampling of [N, C, H, W] by an integer `factor`:
    /// every pixel becomes a factor x factor block, giving [N, C, H*f, W*f].
    /// Its gradient sums each block (a sum-pool).
    pub fn upsample_nearest2d(&self, factor: usize) -> Tensor {
        check_maps(self, "upsample_nearest2d");
        assert!(factor >= 1, "upsample_nearest2d: factor must be at least 1, got {factor}");
        let window = Window { kernel: factor, stride: factor, padding: 0, filter: false };
        window_spread(self, window, 1.0, (self.shape()[2] * factor, self.shape()[3] * factor))
    }

    /// 2x upsampling of [N, C, H, W] through StyleGAN2's low-pass filter
    /// [1, 3, 3, 1] / 4 on each axis (the official `upfirdn2d` with up = 2,
    /// zero outside the map): along an axis, output 2i is (x[i-1] + 3 x[i]) / 4
    /// and output 2i+1 is (3 x[i] + x[i+1]) / 4, so pictures upsampled and
    /// summed show no nearest neighbour's blocks. That is the transpose of
    /// `downsample_smooth2d` times 4 (x[i] reaches outputs 2i - 1..2i + 2
    /// with weights 1, 3, 3, 1), one pass of the filtered `window_spread`, differentiable
    /// to any order. (Nearest upsampling then two 2x2 box averages, the
    /// first zero-padded by one, compute the same in three passes.)
    pub fn upsample_smooth2d(&self) -> Tensor {
        check_maps(self, "upsample_smooth2d");
        let (h, w) = (self.shape()[2], self.shape()[3]);
        window_spread(self, Window::filter(2, 1), 1.0 / 16.0, (2 * h, 2 * w))
    }

    /// StyleGAN2's low-pass filter [1, 3, 3, 1] / 8 on each axis over
    /// [N, C, H, W] zero-padded by `padding` (at most 3) on every side, moved
    /// by `stride` (the official `upfirdn2d` with down = `stride`):
    /// [N, C, (H + 2p - 4) / s + 1, (W + 2p - 4) / s + 1], each output the
    /// filter's 4x4 window starting at padded pixel (s i, s j). One kernel
    /// pass (the filtered `window_sum`), differentiable to any order.
    /// ([1, 3, 3, 1] = [1, 1] * [1, 1] * [1, 1], so three 2x2 box averages
    /// compute the same, the padding on the first ones and the stride on the
    /// last; that was this function's first form, three passes.)
    pub fn smooth2d(&self, padding: usize, stride: usize) -> Tensor {
        check_maps(self, "smooth2d");
        assert!(padding <= 3, "smooth2d: padding must be at most 3 (the filter's width - 1), got {padding}");
        let (h, w) = (self.shape()[2], self.shape()[3]);
        assert!(
            stride >= 1 && h + 2 * padding >= 4 && w + 2 * padding >= 4,
            "smooth2d: padding {padding} and stride {stride} do not fit input shape {:?} (need stride >= 1 and the \
             padded map at least 4 x 4)",
            self.shape()
        );
        window_sum(self, Window::filter(stride, padding), 1.0 / 64.0)
    }

    /// 2x downsampling of [N, C, H, W] (H, W even) through the [1, 3, 3, 1]
    /// filter, the adjoint of `upsample_smooth2d` up to a factor 4: along an
    /// axis, output i is (x[2i-1] + 3 x[2i] + 3 x[2i+1] + x[2i+2]) / 8, zero
    /// outside the map, giving [N, C, H / 2, W / 2]. A 2x2 average pool
    /// would fold high frequencies into low ones (aliasing); the filter
    /// removes most of them first.
    pub fn downsample_smooth2d(&self) -> Tensor {
        self.smooth2d(1, 2)
    }

    /// Average pooling of [N, C, H, W] with a `kernel` x `kernel` window moved
    /// by `stride`, over the map zero-padded by `padding` on every side:
    /// [N, C, (H + 2p - k) / s + 1, (W + 2p - k) / s + 1]. Every window is
    /// divided by k^2, padding included (PyTorch's count_include_pad=True).
    pub fn avg_pool2d(&self, kernel: usize, stride: usize, padding: usize) -> Tensor {
        check_maps(self, "avg_pool2d");
        let (h, w) = (self.shape()[2], self.shape()[3]);
        assert!(
            kernel >= 1
                && stride >= 1
                && 2 * padding <= kernel
                && kernel <= h + 2 * padding
                && kernel <= w + 2 * padding,
            "avg_pool2d: kernel {kernel}, stride {stride}, padding {padding} do not fit input shape {:?} (need \
             kernel, stride >= 1, padding <= kernel / 2 and kernel <= the padded size)",
            self.shape()
        );
        window_sum(self, Window { kernel, stride, padding, filter: false }, 1.0 / (kernel * kernel) as f32)
    }

    /// Reflection padding of [N, C, H, W] by `[(top, bottom), (left, right)]`
    /// (the per-dimension (before, after) convention of `Tensor::pad`): the
    /// border mirrors the interior without repeating the edge pixel, as
    /// PyTorch's ReflectionPad2d. Each padding must be smaller than its side.
    /// The gradient folds the mirrored parts back onto their sources.
    pub fn reflection_pad2d(&self, padding: [(usize, usize); 2]) -> Tensor {
        check_maps(self, "reflection_pad2d");
        let (h, w) = (self.shape()[2], self.shape()[3]);
        let fits = padding[0].0 < h && padding[0].1 < h && padding[1].0 < w && padding[1].1 < w;
        assert!(
            fits,
            "reflection_pad2d: padding {padding:?} must be smaller than the sides of input shape {:?}",
            self.shape()
        );
        reflect_pad(self, padding)
    }
}
