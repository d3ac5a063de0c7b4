//! conv_transpose2d into a single output channel with stride 2, a 4 x 4
//! kernel and padding 1, by a direct kernel (`shaders/upsample_one_channel.wgsl`,
//! whose header says why): DCGAN's last layer, and the input gradient of its
//! first conv2d. Every other transposed convolution runs as implicit GEMMs
//! (`conv.rs`).

use super::conv::Conv2dOptions;
use crate::gpu::{device, Params, Storage, Work, UPSAMPLE_ONE_CHANNEL};
use crate::tensor::Tensor;

/// Whether a conv_transpose2d with weight shape `ws` ([C, O / groups, KH, KW])
/// and `options` is the product the direct kernel computes.
pub(super) fn handles(ws: [usize; 4], options: &Conv2dOptions) -> bool {
    let one = (1, 1);
    ws[1] == 1
        && (ws[2], ws[3]) == (4, 4)
        && options.groups == 1
        && options.stride == (2, 2)
        && options.padding == one
        && options.dilation == one
}

/// Writes conv_transpose2d(x, w) + bias, of shape `out` ([batch, 1, OH, OW]),
/// into `result`; x has shape `xs`.
pub(super) fn run(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, xs: [usize; 4], out: [usize; 4], result: &Storage) {
    let (blocks_y, blocks_x) = (out[2].div_ceil(8), out[3].div_ceil(8));
    let blocks = out[0] * blocks_y * blocks_x;
    let sizes = [xs[0], xs[1], xs[2], xs[3], out[2], out[3], blocks_y, blocks_x];
    let params =
        sizes.into_iter().fold(Params::new(), Params::size).u32(u32::from(bias.is_some())).u32(0).u32(0).u32(0);
    // Every output takes 4 taps of every input channel (fewer at the border).
    let flops = 2.0 * (out[0] * out[2] * out[3] * xs[1] * 4) as f64;
    let work = Work::flops(flops, format!("{xs:?} -> {out:?}"));
    let buffers = [x.buffer(), w.buffer(), result.buffer(), bias.unwrap_or(w).buffer()];
    let gpu = device();
    gpu.dispatch_with_work(UPSAMPLE_ONE_CHANNEL.kernel("main"), &params, &buffers, gpu.grid(blocks, 64), Some(work));
}
