// upsample_one_channel.wgsl — conv_transpose2d into a single output channel
// with stride 2, a 4 x 4 kernel and padding 1, computed directly: DCGAN's
// last layer (64 maps up to the 1-channel image) and the input gradient of
// its first conv2d (the 1-channel image down to 64 maps) are this product.
//
// Bindings: 0 params, 1 x (read) [batch, channels, height, width], 2 w (read)
// [channels, 1, 4, 4] as vec4s (kernel row kh of channel c is w[4 c + kh]),
// 3 y (write) [batch, 1, out_height, out_width], 4 bias (read: bias[0] is
// added to every output when with_bias is 1; without a bias the host binds w
// again).
//
// Why a kernel of its own: as an implicit GEMM (conv.wgsl) this product has
// one row, so each value of the im2col matrix is loaded for one multiply-add,
// and lavapipe's loads cost 16 cycles a value (gemm.wgsl's header): 2.5% of
// the FMA peak. Here each loaded input value serves up to 16 outputs: at the
// dcgan28 shape ([64, 64, 14, 14] to [64, 1, 28, 28]) 1.6-1.7 ms against
// 8.8 ms for the four GEMMs, 14-16% of the FMA peak on lavapipe. The loads
// are still most of it: with them replaced by arithmetic (a throwaway
// build) the kernel took 0.68 ms. 28 is not a multiple of 8, so a quarter
// of the blocks' outputs fall outside the image and are computed for nothing.
//
// Each invocation computes an 8 x 8 block of one image's output, rows
// 2a..2a + 7 and columns 2b..2b + 7 (a and b multiples of 4). Output row oh
// receives input row ih through kernel row kh = oh + 1 - 2 ih (0 <= kh < 4),
// so the block reads input rows a - 1..a + 4 only: per channel a 6 x 6 window
// (rows w0..w5, w_r being input row a - 1 + r), 36 loads, then 8 x 8 x 4 =
// 256 multiply-adds. Block row 2e takes window rows e and e + 1 through
// kernel rows 3 and 1; block row 2e + 1 takes rows e + 1 and e + 2 through
// kernel rows 2 and 0. Columns alike (`taps`). Window positions outside the
// input read as 0 (the u32 sums wrap, so a - 1 at a = 0 is outside too),
// which is the zero padding.
// Window rows and output rows are mat2x4 values (8 columns, the window's
// last two unused), not arrays: lavapipe keeps private arrays in memory, and
// a first version with arrays took 3x the time.

struct Params {
    batch: u32,
    channels: u32,
    height: u32,
    width: u32,
    out_height: u32,
    out_width: u32,
    blocks_y: u32, // ceil(out_height / 8)
    blocks_x: u32, // ceil(out_width / 8)
    with_bias: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<storage, read> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// Window row `r` of the channel plane starting at `plane`, columns
// b - 1..b + 4 (0 outside the input).
fn window_row(plane: u32, ih: u32, b: u32) -> mat2x4<f32> {
    var row: mat2x4<f32>;
    for (var s = 0u; s < 6u; s++) {
        let iw = b + s - 1u;
        let inside = (ih < params.height) & (iw < params.width);
        row[s / 4u][s % 4u] = select(0.0, x[select(0u, (plane + ih) * params.width + iw, inside)], inside);
    }
    return row;
}

// Adds to `acc`, 8 columns of one output row, what window row w contributes
// through kernel row k (its columns kw = 0..3): column 2e takes
// w[e] k[3] + w[e + 1] k[1], column 2e + 1 takes w[e + 1] k[2] + w[e + 2] k[0].
fn taps(acc: mat2x4<f32>, w: mat2x4<f32>, k: vec4<f32>) -> mat2x4<f32> {
    let even = k.wzwz;
    let odd = k.yxyx;
    let low = fma(vec4<f32>(w[0].x, w[0].y, w[0].y, w[0].z), even, acc[0]);
    let high = fma(vec4<f32>(w[0].z, w[0].w, w[0].w, w[1].x), even, acc[1]);
    return mat2x4<f32>(
        fma(vec4<f32>(w[0].y, w[0].z, w[0].z, w[0].w), odd, low),
        fma(vec4<f32>(w[0].w, w[1].x, w[1].x, w[1].y), odd, high),
    );
}

// Stores output row oh of the block (columns ow0..ow0 + 7) where inside.
fn store_row(image: u32, oh: u32, ow0: u32, row: mat2x4<f32>, shift: f32) {
    for (var q = 0u; q < 8u; q++) {
        let ow = ow0 + q;
        if ((oh < params.out_height) & (ow < params.out_width)) {
            y[(image * params.out_height + oh) * params.out_width + ow] = row[q / 4u][q % 4u] + shift;
        }
    }
}

@compute @workgroup_size(64)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let block = flat_group(wid, nwg) * 64u + lid;
    let blocks = params.blocks_y * params.blocks_x;
    let image = block / blocks;
    if (image >= params.batch) {
        return;
    }
    let block_row = (block - image * blocks) / params.blocks_x;
    let a = 4u * block_row;
    let b = 4u * (block - image * blocks - block_row * params.blocks_x);

    var o0: mat2x4<f32>;
    var o1: mat2x4<f32>;
    var o2: mat2x4<f32>;
    var o3: mat2x4<f32>;
    var o4: mat2x4<f32>;
    var o5: mat2x4<f32>;
    var o6: mat2x4<f32>;
    var o7: mat2x4<f32>;
    let channels = params.channels;
    for (var c = 0u; c < channels; c++) {
        let plane = (image * channels + c) * params.height;
        let w0 = window_row(plane, a - 1u, b);
        let w1 = window_row(plane, a, b);
        let w2 = window_row(plane, a + 1u, b);
        let w3 = window_row(plane, a + 2u, b);
        let w4 = window_row(plane, a + 3u, b);
        let w5 = window_row(plane, a + 4u, b);
        let k0 = w[4u * c];
        let k1 = w[4u * c + 1u];
        let k2 = w[4u * c + 2u];
        let k3 = w[4u * c + 3u];
        o0 = taps(taps(o0, w0, k3), w1, k1);
        o1 = taps(taps(o1, w1, k2), w2, k0);
        o2 = taps(taps(o2, w1, k3), w2, k1);
        o3 = taps(taps(o3, w2, k2), w3, k0);
        o4 = taps(taps(o4, w2, k3), w3, k1);
        o5 = taps(taps(o5, w3, k2), w4, k0);
        o6 = taps(taps(o6, w3, k3), w4, k1);
        o7 = taps(taps(o7, w4, k2), w5, k0);
    }

    let shift = select(0.0, bias[0], params.with_bias == 1u);
    let oh = 2u * a;
    let ow = 2u * b;
    store_row(image, oh, ow, o0, shift);
    store_row(image, oh + 1u, ow, o1, shift);
    store_row(image, oh + 2u, ow, o2, shift);
    store_row(image, oh + 3u, ow, o3, shift);
    store_row(image, oh + 4u, ow, o4, shift);
    store_row(image, oh + 5u, ow, o5, shift);
    store_row(image, oh + 6u, ow, o6, shift);
    store_row(image, oh + 7u, ow, o7, shift);
}
