//! Direct kernels for the convolutions with stride 2, a 4 x 4 kernel and
//! padding 1 that have a single channel on their image side
//! (`shaders/one_channel_conv.wgsl`, whose header says why): DCGAN's
//! image-facing layers. `conv.rs` sends them here when no GEMM blocking was
//! asked for; every other convolution runs as implicit GEMMs.

use super::conv::Conv2dOptions;
use crate::gpu::{device, Params, Storage, Work, ONE_CHANNEL_CONV};
use crate::tensor::Tensor;

/// Whether `options` and a kernel of `kernel` with `image_channels` channels
/// on the image side are what the direct kernels compute.
pub(super) fn handles(image_channels: usize, kernel: (usize, usize), options: &Conv2dOptions) -> bool {
    let one = (1, 1);
    image_channels == 1
        && kernel == (4, 4)
        && options.groups == 1
        && options.stride == (2, 2)
        && options.padding == one
        && options.dilation == one
}

/// The kernels' parameters for maps of shape `maps` and an image of shape `image`.
fn params(maps: [usize; 4], image: [usize; 4], with_bias: bool) -> Params {
    let sizes = [maps[0], maps[1], maps[2], maps[3], image[2], image[3], image[2].div_ceil(8), image[3].div_ceil(16)];
    let params = sizes.into_iter().fold(Params::new(), Params::size);
    params.u32(u32::from(with_bias)).u32(0).u32(0).u32(0)
}

/// Multiply-adds of a stride-2 4 x 4 convolution between `maps` and `image`:
/// every image pixel meets 4 taps of every map (fewer at the border).
fn flops(maps: [usize; 4], image: [usize; 4]) -> f64 {
    2.0 * (image[0] * image[2] * image[3] * maps[1] * 4) as f64
}

/// Writes conv_transpose2d(x, w) + bias into `result`: x holds `maps`
/// ([batch, C, H, W]), w is [C, 1, 4, 4], `image` ([batch, 1, OH, OW]) the
/// output's shape.
pub(super) fn upsample(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    maps: [usize; 4],
    image: [usize; 4],
    result: &Storage,
) {
    let blocks = image[0] * image[2].div_ceil(8) * image[3].div_ceil(16);
    let work = Work::flops(flops(maps, image), format!("{maps:?} -> {image:?}"));
    let buffers = [x.buffer(), w.buffer(), result.buffer(), bias.unwrap_or(w).buffer()];
    let gpu = device();
    let kernel = ONE_CHANNEL_CONV.kernel("upsample");
    gpu.dispatch_with_work(kernel, &params(maps, image, bias.is_some()), &buffers, gpu.grid(blocks, 64), Some(work));
}

/// conv2d_weight(x, grad_out) for x of shape `image` ([batch, 1, H, W]) and
/// grad_out of shape `maps` ([batch, O, OH, OW]): one partial sum per image,
/// then their sum, [O * 16] values.
pub(super) fn weight_grad(x: &Tensor, grad_out: &Tensor, image: [usize; 4], maps: [usize; 4]) -> Tensor {
    let batch = image[0];
    let partial = Storage::new(batch * maps[1] * 16);
    // Workgroups of 8 invocations, 8 maps each, all of one image.
    let workgroups = batch * maps[1].div_ceil(64);
    let work = Work::flops(flops(maps, image), format!("{image:?} x {maps:?}"));
    let gpu = device();
    // The shader's SHARED_WINDOW, where one subgroup holds a whole workgroup,
    // and EVEN_MAPS, where a block's map pixels in a row are one aligned pair.
    let shared_window = gpu.subgroups_hold(8);
    let even_maps = maps[3].is_multiple_of(2);
    let kernel = ONE_CHANNEL_CONV.kernel_for("weight_grad", u32::from(shared_window) | u32::from(even_maps) << 1);
    let buffers = [x.buffer(), grad_out.buffer(), partial.buffer()];
    gpu.dispatch_with_work(kernel, &params(maps, image, false), &buffers, gpu.grid(workgroups, 1), Some(work));
    Tensor::from_storage(partial, vec![batch, maps[1] * 16]).sum(&[0], false)
}
