// one_channel_conv.wgsl — direct kernels for the convolutions with stride 2,
// a 4 x 4 kernel and padding 1 that have a single channel on their image
// side: DCGAN's image-facing layers. The "image" is the 1-channel tensor
// [batch, 1, image_height, image_width]; the "maps" the many-channel one,
// [batch, maps, map_height, map_width], about half the size each way.
//   upsample:    conv_transpose2d from the maps into the image (dcgan28's
//                last layer, and the input gradient of its first conv2d);
//   weight_grad: conv2d_weight of a conv2d from the image into the maps
//                (both of those layers' weight gradients).
// Map pixel (mh, mw) and kernel element (kh, kw) meet image pixel
// (2 mh - 1 + kh, 2 mw - 1 + kw); image positions outside read as 0 (the
// u32 sums wrap, so -1 is outside too), which is the zero padding.
//
// Why kernels of their own: as implicit GEMMs (conv.wgsl) these products
// have one row (upsample: M = 1) or 16 columns and a K of every pixel of the
// batch (weight_grad), so each loaded value feeds one to a few multiply-adds
// and they ran at 2.5-4% of the FMA peak on lavapipe, where loads cost 16
// cycles a value (gemm.wgsl's header). The kernels here load a window once
// for a block of outputs (weight_grad: 6 x 6 image pixels for a 2 x 2 block
// of map pixels; upsample: 6 x 10 map pixels for an 8 x 16 block of image
// pixels) and use each value up to 16 times.
// The third direction, conv2d from the image into the maps (K = 16), stays a
// GEMM: a direct kernel like weight_grad's, holding 8 maps' kernels and
// storing their 2 x 2 blocks, took 1.5-2.7x the GEMM's time; its stores,
// one per 16 multiply-adds, cost as much as the GEMM's.
// Window rows are matrices (mat2x4 for weight_grad's 6 values, mat3x4 for
// upsample's 10; the last places unused), and so are the accumulators, not
// arrays: lavapipe keeps private arrays in memory, and a first upsample with
// arrays took 3x the time.
// OP (the pipeline constant): bit 0 SHARED_WINDOW and bit 1 EVEN_MAPS,
// see weight_grad.

override OP: u32 = 0u;
override SHARED_WINDOW: bool = (OP & 1u) == 1u;
override EVEN_MAPS: bool = (OP & 2u) == 2u;

struct Params {
    batch: u32,
    maps: u32,
    map_height: u32,
    map_width: u32,
    image_height: u32,
    image_width: u32,
    blocks_y: u32, // upsample: ceil(image_height / 8)
    blocks_x: u32, // upsample: ceil(image_width / 16)
    with_bias: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

@group(0) @binding(0) var<storage, read> params: Params;
// 1 (read): the tensor read through windows: the image for weight_grad, and
// for upsample the maps, as pairs of values (`window_row`).
@group(0) @binding(1) var<storage, read> windowed: array<f32>;
@group(0) @binding(1) var<storage, read> pairs: array<vec2<f32>>;
// 3 (write): the result, the image for upsample, partial sums for
// weight_grad.
@group(0) @binding(3) var<storage, read_write> result: array<f32>;
// upsample: 2 weights (read) [maps, 1, 4, 4] as vec4s (kernel row kh of map
// c is weights[4 c + kh]), 4 bias (read: bias[0] is added to every output
// when with_bias is 1; without a bias the host binds the weights again).
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
// weight_grad: 2 the maps' gradients (read), as pairs of values
// (`channel_taps`).
@group(0) @binding(2) var<storage, read> map_grads: array<vec2<f32>>;

// Row ih of a window of `pairs`, columns b - 1..b + 8 of the [height,
// width] plane that starts at row `plane` (0 outside the plane), in the
// first 10 of 12 places. The row is read as 6 pairs, from the pair that
// holds its first value s = (plane + ih) width + b - 1. On lavapipe each
// load is a loop over the lanes, and a vec2 costs about 1.5 single values
// (measured), so the 6 pairs cost about what 9 single values would: a small
// saving, which is what upsample's note measured.
// Where s is odd the pairs start one value early, and the row is shifted
// by one. t = s + 2 does not wrap; for s = -1 the first pair's index wraps
// to a pair outside the buffer, whose values the column test zeroes.
fn window_row(plane: u32, ih: u32, b: u32, height: u32, width: u32) -> mat3x4<f32> {
    let t = (plane + ih) * width + b + 1u;
    let first = t / 2u - 1u;
    let p0 = pairs[first];
    let p1 = pairs[first + 1u];
    let p2 = pairs[first + 2u];
    let p3 = pairs[first + 3u];
    let p4 = pairs[first + 4u];
    let p5 = pairs[first + 5u];
    let odd = vec4<bool>((t & 1u) == 1u);
    let row = mat3x4<f32>(
        select(vec4<f32>(p0, p1), vec4<f32>(p0.y, p1, p2.x), odd),
        select(vec4<f32>(p2, p3), vec4<f32>(p2.y, p3, p4.x), odd),
        select(vec4<f32>(p4, p5), vec4<f32>(p4.y, p5, 0.0), odd),
    );
    // Column b - 1 + e of place e; -1 wraps, so it fails the test too.
    let column = vec4<u32>(b - 1u) + vec4<u32>(0u, 1u, 2u, 3u);
    let inside = vec4<bool>(ih < height);
    let limit = vec4<u32>(width);
    return mat3x4<f32>(
        select(vec4<f32>(0.0), row[0], inside & (column < limit)),
        select(vec4<f32>(0.0), row[1], inside & (column + vec4<u32>(4u) < limit)),
        select(vec4<f32>(0.0), row[2], inside & (column + vec4<u32>(8u) < limit)),
    );
}

// Value i of window row w.
fn at(w: mat3x4<f32>, i: u32) -> f32 {
    return w[i / 4u][i % 4u];
}

// Columns 4 v..4 v + 3 of `taps`: e = 2 v and 2 v + 1.
fn taps4(acc: vec4<f32>, w: mat3x4<f32>, v: u32, k: vec4<f32>) -> vec4<f32> {
    let e = 2u * v;
    let even = vec4<f32>(at(w, e), at(w, e + 1u), at(w, e + 1u), at(w, e + 2u));
    let odd = vec4<f32>(at(w, e + 1u), at(w, e + 2u), at(w, e + 2u), at(w, e + 3u));
    return fma(odd, k.yxyx, fma(even, k.wzwz, acc));
}

// Adds to `acc`, 16 columns of one output row, what window row w contributes
// through kernel row k (its columns kw = 0..3): column 2e takes
// w[e] k[3] + w[e + 1] k[1], column 2e + 1 takes w[e + 1] k[2] + w[e + 2] k[0].
fn taps(acc: mat4x4<f32>, w: mat3x4<f32>, k: vec4<f32>) -> mat4x4<f32> {
    return mat4x4<f32>(
        taps4(acc[0], w, 0u, k),
        taps4(acc[1], w, 1u, k),
        taps4(acc[2], w, 2u, k),
        taps4(acc[3], w, 3u, k),
    );
}

// Stores image row oh of the block (columns ow0..ow0 + 15) where inside.
fn store_row(image_index: u32, oh: u32, ow0: u32, row: mat4x4<f32>, shift: f32) {
    for (var q = 0u; q < 16u; q++) {
        let ow = ow0 + q;
        if ((oh < params.image_height) & (ow < params.image_width)) {
            result[(image_index * params.image_height + oh) * params.image_width + ow] = row[q / 4u][q % 4u] + shift;
        }
    }
}

// upsample: each invocation computes an 8 x 16 block of one image, rows
// 2a..2a + 7 and columns 2b..2b + 15 (a a multiple of 4, b of 8). Image row
// oh receives map row mh through kernel row kh = oh + 1 - 2 mh (0 <= kh <
// 4), so the block reads map rows a - 1..a + 4 only (and columns b - 1..b +
// 8): per map a 6 x 10 window (rows w0..w5, w_r being map row a - 1 + r),
// 60 values (read as 36 pairs), then 8 x 16 x 4 = 512 multiply-adds.
// Block row 2e takes window rows e and e + 1 through kernel rows 3 and 1;
// block row 2e + 1 takes rows e + 1 and e + 2 through kernel rows 2 and 0.
// Columns alike (`taps`).
// At the dcgan28 shape ([64, 64, 14, 14] to [64, 1, 28, 28]) 1.2-1.3 ms,
// 17.5-19% of the FMA peak on lavapipe, against 8.8 ms for the four GEMMs
// and 1.5-1.9 ms for 8 x 8 blocks (a 6 x 6 window, 36 loads per 256
// multiply-adds). The loads are still most of it: with them replaced by
// arithmetic (a throwaway build of the 8 x 8 kernel) it took 0.68 ms. Tried
// and dropped: the 4 lanes of a subgroup loading one kernel row each and
// passing them on, which did not measurably help; 16 x 16 blocks (a 10 x 10
// window, 100 loads per 1,024 multiply-adds), 1.5x slower. And 28 is not a
// multiple of 8 or 16, so a quarter of the blocks' outputs fall outside the
// image, computed for nothing. Reading each window row as 6 pairs of
// values instead of 10 single ones (`window_row`) took it from 2.03-2.16 to
// 1.95-1.97 ms on a slower machine (FMA peak 88-93 GFLOP/s); with no loads
// at all it ran in 0.79 ms there.
@compute @workgroup_size(64)
fn upsample(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let block = flat_group(wid, nwg) * 64u + lid;
    let blocks = params.blocks_y * params.blocks_x;
    let image_index = block / blocks;
    if (image_index >= params.batch) {
        return;
    }
    let block_row = (block - image_index * blocks) / params.blocks_x;
    let a = 4u * block_row;
    let b = 8u * (block - image_index * blocks - block_row * params.blocks_x);

    var o0: mat4x4<f32>;
    var o1: mat4x4<f32>;
    var o2: mat4x4<f32>;
    var o3: mat4x4<f32>;
    var o4: mat4x4<f32>;
    var o5: mat4x4<f32>;
    var o6: mat4x4<f32>;
    var o7: mat4x4<f32>;
    let height = params.map_height;
    let width = params.map_width;
    for (var c = 0u; c < params.maps; c++) {
        let plane = (image_index * params.maps + c) * height;
        let w0 = window_row(plane, a - 1u, b, height, width);
        let w1 = window_row(plane, a, b, height, width);
        let w2 = window_row(plane, a + 1u, b, height, width);
        let w3 = window_row(plane, a + 2u, b, height, width);
        let w4 = window_row(plane, a + 3u, b, height, width);
        let w5 = window_row(plane, a + 4u, b, height, width);
        let k0 = weights[4u * c];
        let k1 = weights[4u * c + 1u];
        let k2 = weights[4u * c + 2u];
        let k3 = weights[4u * c + 3u];
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
    store_row(image_index, oh, ow, o0, shift);
    store_row(image_index, oh + 1u, ow, o1, shift);
    store_row(image_index, oh + 2u, ow, o2, shift);
    store_row(image_index, oh + 3u, ow, o3, shift);
    store_row(image_index, oh + 4u, ow, o4, shift);
    store_row(image_index, oh + 5u, ow, o5, shift);
    store_row(image_index, oh + 6u, ow, o6, shift);
    store_row(image_index, oh + 7u, ow, o7, shift);
}

// The image side: weight_grad walks the maps of one image in 2 x 2 blocks
// of map pixels. Map pixel (mh, mw) meets image rows
// 2 mh - 1..2 mh + 2, so a block from (mh, mw) (both even) meets a 6 x 6
// window of the image, rows w_r = 2 mh - 1 + r and columns 2 mw - 1 + s:
// map pixel (mh + dy, mw + dx) meets window rows 2 dy..2 dy + 3 and columns
// 2 dx..2 dx + 3.

// The 4 x 4 image pixels the kernel meets at each of a block's map pixels:
// at_dy dx, a matrix whose column kh holds kernel row kh's pixels (kw = 0..3).
struct BlockPixels {
    at00: mat4x4<f32>,
    at01: mat4x4<f32>,
    at10: mat4x4<f32>,
    at11: mat4x4<f32>,
}

// Window columns 2 dx..2 dx + 3 (dx = 0 or 1) of window row w.
fn window_cols(w: mat2x4<f32>, dx: u32) -> vec4<f32> {
    if (dx == 0u) {
        return w[0];
    }
    return vec4<f32>(w[0].z, w[0].w, w[1].x, w[1].y);
}

// Kernel rows 0..3 over window rows w0..w3, at window columns from 2 dx.
fn pixels_met(w0: mat2x4<f32>, w1: mat2x4<f32>, w2: mat2x4<f32>, w3: mat2x4<f32>, dx: u32) -> mat4x4<f32> {
    return mat4x4<f32>(window_cols(w0, dx), window_cols(w1, dx), window_cols(w2, dx), window_cols(w3, dx));
}

// Window values 4 q..4 q + 3 of the block from map pixel (mh, mw) in the
// image plane that starts at row `plane`, value j being window row j / 6,
// column j % 6 (0 outside the window and the image).
fn window_quad(plane: u32, mh: u32, mw: u32, q: u32) -> vec4<f32> {
    var quad: vec4<f32>;
    for (var e = 0u; e < 4u; e++) {
        let j = 4u * q + e;
        let ih = 2u * mh - 1u + j / 6u;
        let iw = 2u * mw - 1u + j % 6u;
        let inside = (j < 36u) & (ih < params.image_height) & (iw < params.image_width);
        quad[e] = select(0.0, windowed[select(0u, (plane + ih) * params.image_width + iw, inside)], inside);
    }
    return quad;
}

// Window quad q (0..8) of the block: loaded by this invocation itself, or,
// with SHARED_WINDOW, by lane q % 8 of its subgroup as its own quad `low`
// (q < 8) or `high` (q = 8), and passed on (lanes.wgsl).
fn quad(q: u32, low: vec4<f32>, high: vec4<f32>, plane: u32, mh: u32, mw: u32) -> vec4<f32> {
    if (SHARED_WINDOW) {
        return from_lane(select(low, high, q >= 8u), q % 8u);
    }
    return window_quad(plane, mh, mw, q);
}

// The window of the block from map pixel (mh, mw) in the image plane that
// starts at row `plane`, as 9 quads of 4 values: window rows 2 i and 2 i + 1
// are quads 3 i..3 i + 2. `lane` is the invocation's lane in its subgroup.
fn block_pixels(plane: u32, mh: u32, mw: u32, lane: u32) -> BlockPixels {
    var low: vec4<f32>;
    var high: vec4<f32>;
    if (SHARED_WINDOW) {
        low = window_quad(plane, mh, mw, lane);
        high = window_quad(plane, mh, mw, lane + 8u);
    }
    let q0 = quad(0u, low, high, plane, mh, mw);
    let q1 = quad(1u, low, high, plane, mh, mw);
    let q2 = quad(2u, low, high, plane, mh, mw);
    let q3 = quad(3u, low, high, plane, mh, mw);
    let q4 = quad(4u, low, high, plane, mh, mw);
    let q5 = quad(5u, low, high, plane, mh, mw);
    let q6 = quad(6u, low, high, plane, mh, mw);
    let q7 = quad(7u, low, high, plane, mh, mw);
    let q8 = quad(8u, low, high, plane, mh, mw);
    let w0 = mat2x4<f32>(q0, vec4<f32>(q1.xy, 0.0, 0.0));
    let w1 = mat2x4<f32>(vec4<f32>(q1.zw, q2.xy), vec4<f32>(q2.zw, 0.0, 0.0));
    let w2 = mat2x4<f32>(q3, vec4<f32>(q4.xy, 0.0, 0.0));
    let w3 = mat2x4<f32>(vec4<f32>(q4.zw, q5.xy), vec4<f32>(q5.zw, 0.0, 0.0));
    let w4 = mat2x4<f32>(q6, vec4<f32>(q7.xy, 0.0, 0.0));
    let w5 = mat2x4<f32>(vec4<f32>(q7.zw, q8.xy), vec4<f32>(q8.zw, 0.0, 0.0));
    return BlockPixels(
        pixels_met(w0, w1, w2, w3, 0u),
        pixels_met(w0, w1, w2, w3, 1u),
        pixels_met(w2, w3, w4, w5, 0u),
        pixels_met(w2, w3, w4, w5, 1u),
    );
}

// The block's 4 map pixels from (mh, mw), in the order (mh, mw), (mh, mw +
// 1), (mh + 1, mw), (mh + 1, mw + 1): where each sits in a map plane, and
// whether it exists. Found once per block for all 8 maps.
struct BlockSpots {
    offset: vec4<u32>,
    inside: vec4<bool>,
}

fn block_spots(mh: u32, mw: u32) -> BlockSpots {
    let width = params.map_width;
    let rows = vec4<u32>(mh, mh, mh + 1u, mh + 1u);
    let cols = vec4<u32>(mw, mw + 1u, mw, mw + 1u);
    let inside = (rows < vec4<u32>(params.map_height)) & (cols < vec4<u32>(width));
    return BlockSpots(rows * width + cols, inside);
}

// Value i of the maps' gradients.
fn map_grad(i: u32) -> f32 {
    let pair = map_grads[i / 2u];
    return select(pair.x, pair.y, (i & 1u) == 1u);
}

// acc + g m, column by column.
fn add_scaled(acc: mat4x4<f32>, g: f32, m: mat4x4<f32>) -> mat4x4<f32> {
    let s = vec4<f32>(g);
    return mat4x4<f32>(fma(s, m[0], acc[0]), fma(s, m[1], acc[1]), fma(s, m[2], acc[2]), fma(s, m[3], acc[3]));
}

// Map c's kernel gradient gains its gradients at the block's pixels
// (`spots`, of image `image_index`; 0 where outside) times the pixels the
// kernel meets there.
fn channel_taps(acc: mat4x4<f32>, image_index: u32, c: u32, spots: BlockSpots, block: BlockPixels) -> mat4x4<f32> {
    let plane = (image_index * params.maps + c) * params.map_height * params.map_width;
    let inside = spots.inside & vec4<bool>(c < params.maps);
    let index = select(vec4<u32>(0u), vec4<u32>(plane) + spots.offset, inside);
    var loaded: vec4<f32>;
    if (EVEN_MAPS) {
        let upper = map_grads[index.x / 2u];
        let lower = map_grads[index.z / 2u];
        loaded = vec4<f32>(upper, lower);
    } else {
        loaded = vec4<f32>(map_grad(index.x), map_grad(index.y), map_grad(index.z), map_grad(index.w));
    }
    let g = select(vec4<f32>(0.0), loaded, inside);
    var sum = add_scaled(acc, g.x, block.at00);
    sum = add_scaled(sum, g.y, block.at01);
    sum = add_scaled(sum, g.z, block.at10);
    return add_scaled(sum, g.w, block.at11);
}

// Writes map c's kernel gradient summed over image image_index.
fn store_kernel(image_index: u32, c: u32, acc: mat4x4<f32>) {
    if (c < params.maps) {
        for (var kh = 0u; kh < 4u; kh++) {
            for (var kw = 0u; kw < 4u; kw++) {
                result[((image_index * params.maps + c) * 4u + kh) * 4u + kw] = acc[kh][kw];
            }
        }
    }
}

// weight_grad: dw[c, 0, kh, kw] = sum over images and map pixels (mh, mw) of
// map_grads[b, c, mh, mw] image[b, 0, 2 mh - 1 + kh, 2 mw - 1 + kw].
// Invocation (b, g) sums image b for maps 8 g..8 g + 7 and writes their
// kernels' partial sums to result[b] ([batch, maps, 4, 4]; the host sums
// over the batch). A workgroup is 8 invocations of one image: 8 groups of
// maps (64 maps, dcgan28's), or fewer where the maps end, the rest idle.
// Per 2 x 2 block: the window (36 loads, shared by the 8 maps) and 4 loads
// per map, for 8 x 4 x 16 = 512 multiply-adds. At the dcgan28 shape (a
// [64, 1, 28, 28] image, [64, 64, 14, 14] maps) 1.3-1.4 ms against 6.5-7.4
// ms as a GEMM with split K, 16-18% of the FMA peak on lavapipe; the 68
// loads a block were most of it.
// SHARED_WINDOW (ops/one_channel_conv.rs sets it where a subgroup holds the
// whole workgroup): the 8 invocations need the same window, so each loads
// 2 of its 9 quads (lane l quads l and l + 8, of which only lane 0's second
// is in the window) and reads the others from the lanes that loaded them:
// 8 loads a block instead of 36. With that, and the gradients' indices
// found once per block (`block_spots`) instead of per map and pixel, the
// dcgan28 shape took 0.90-1.2 ms (19-25% of the peak) against 1.25-1.5 ms.
// EVEN_MAPS (set where the maps' width is even, so that a block's first
// pixel has an even index): a block row's 2 gradients are one aligned pair,
// 2 loads a map instead of 4; 1.29-1.59 -> 1.14-1.26 ms on the slower
// machine of upsample's note.
@compute @workgroup_size(8)
fn weight_grad(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let lane = own_lane();
    let workgroups_per_image = (params.maps + 63u) / 64u;
    let w = flat_group(wid, nwg);
    let image_index = w / workgroups_per_image;
    let c0 = 64u * (w - image_index * workgroups_per_image) + 8u * lid;
    if (image_index >= params.batch) {
        return;
    }
    var d0: mat4x4<f32>;
    var d1: mat4x4<f32>;
    var d2: mat4x4<f32>;
    var d3: mat4x4<f32>;
    var d4: mat4x4<f32>;
    var d5: mat4x4<f32>;
    var d6: mat4x4<f32>;
    var d7: mat4x4<f32>;
    let plane = image_index * params.image_height;
    for (var mh = 0u; mh < params.map_height; mh += 2u) {
        for (var mw = 0u; mw < params.map_width; mw += 2u) {
            let block = block_pixels(plane, mh, mw, lane);
            let spots = block_spots(mh, mw);
            d0 = channel_taps(d0, image_index, c0, spots, block);
            d1 = channel_taps(d1, image_index, c0 + 1u, spots, block);
            d2 = channel_taps(d2, image_index, c0 + 2u, spots, block);
            d3 = channel_taps(d3, image_index, c0 + 3u, spots, block);
            d4 = channel_taps(d4, image_index, c0 + 4u, spots, block);
            d5 = channel_taps(d5, image_index, c0 + 5u, spots, block);
            d6 = channel_taps(d6, image_index, c0 + 6u, spots, block);
            d7 = channel_taps(d7, image_index, c0 + 7u, spots, block);
        }
    }
    store_kernel(image_index, c0, d0);
    store_kernel(image_index, c0 + 1u, d1);
    store_kernel(image_index, c0 + 2u, d2);
    store_kernel(image_index, c0 + 3u, d3);
    store_kernel(image_index, c0 + 4u, d4);
    store_kernel(image_index, c0 + 5u, d5);
    store_kernel(image_index, c0 + 6u, d6);
    store_kernel(image_index, c0 + 7u, d7);
}
