// conv.wgsl — 2-D convolutions as implicit GEMMs on the tiled core of gemm.wgsl
// (compiled after it; read that file first).
//
// Bindings: 0 params, 1 a (read: the A operand), 2 image (read), 3 result
// (write), 4 bias (read: one value per output channel, added as each output
// is stored, when with_bias is 1; without a bias the host binds a again),
// 5 packed_a (read: A packed by pack_a for a direct blocking; a again for the
// others). The entry point pack_a (gemm.wgsl's) binds 0 params, 1 a, 2 packing
// (write).
// Tensors are NCHW. "image" is the tensor read through the im2col pattern,
// [batch, channels, height, width]; the "output space" is the tensor on whose
// pixels the kernel is swept, [batch, out_channels, out_height, out_width].
// Problem z of the grid is group z: it sees group_channels image channels and
// group_out_channels output-space channels.
//
// The im2col matrix has one row per tap (c, th, tw) — image channel and kernel
// element — and one column per position (b, jh, jw) — output pixel. Its entry
// is the image value the tap reads at that position:
//   image[b, group * group_channels + c, ih, iw],  0 where (ih, iw) is outside,
//   ih = jh * in_from_pos.y + th * in_from_tap.y + in_offset.y   (iw alike)
// with u32 arithmetic that wraps, so "outside" is just ih >= height. The gather
// reads that entry while filling the B tile; the matrix is never stored.
//
// GATHER (OP & 15) picks the product:
//   0 conv2d:      y[o, pos] = sum_tap w[o, tap] im2col[tap, pos]
//                  A = weights [O, C/g * KH * KW], taps (c, kh, kw), positions
//                  the output pixels; ih = oh * stride - pad + kh * dilation.
//   1 conv2d_weight: dw[o, tap] = sum_pos dy[o, pos] im2col[tap, pos]
//                  A = the output gradient read at (o, pos); B = im2col^T.
//   2 conv_transpose2d, one output phase: the outputs with
//                  oh = pos_origin.y + stride * jh (and alike for ow). Output
//                  pixel oh receives input row ih = (oh + pad - kh * dilation) /
//                  stride only from the kernel rows where that division is
//                  exact; within a phase those rows are kh = tap_origin.y +
//                  tap_step.y * th, and ih = jh - th * (tap_step.y * dilation /
//                  stride) + ih of the first tap: again the formula above.
//                  The products with the zeros that the "dilated input" view
//                  puts between input pixels (3 in 4 at stride 2) are never
//                  formed. A = weights [C, O/g, KH, KW] read at (c, o, kh, kw).
// Workgroup (x, y, z) computes tile (x, y) of group z's product.
// Split K: a weight gradient sums over every output position (K = batch x
// OH x OW, 16,384 for an 8-map 32x32 layer at batch 16) into a few hundred
// weights (M x N): one or two tiles, so one or two workgroups would walk all
// of K while the rest of the device idled. conv.rs then splits K into chunks
// of k_chunk columns: workgroup z = chunk * groups + group sums one chunk of
// one group, and writes its partial tile to slice z of a [chunks, groups, M,
// N] result, which conv.rs sums over the chunks. Unsplit, k_chunk = K and
// z = group.
// Splitting a flat row or column index into (b, jh, jw) divides by the grid
// sizes; the prelude's divide_small() does that in f32 (the quotients,
// batch index, row and channel, are small).
// Version 8: results stored as vec4s where the output's layout allows (the
// core's C_IN_VEC4); version 7: the bias read once per row of C (`RowPart`);
// version 6: the activation after the bias (where p.negative_slope is not
// 1); version 5: pack_a, A packed for direct blockings; version 4: B read
// through `columns` and `gather_b4` (see there), the bias added as outputs
// are stored, and version 2's `one_row` removed (the core's direct thin
// blocking ran dcgan28's 1-channel layers as fast or up to 20% faster on
// lavapipe, in noisy A/B runs); version 3: split K for weight gradients;
// version 2: `one_row`, a separate kernel for M = 1; version 1: implicit
// GEMMs only.

struct Params {
    m: u32,
    n: u32,
    k: u32,
    k_chunk: u32, // columns of A per workgroup along z (see Split K)
    channels: u32,
    height: u32,
    width: u32,
    group_channels: u32,
    out_channels: u32,
    out_height: u32,
    out_width: u32,
    group_out_channels: u32,
    kernel: vec2<u32>, // (kw, kh): the weight tensor's last two dimensions
    pos_grid: vec2<u32>, // (jw, jh) range of a position
    pos_origin: vec2<u32>, // output pixel of position (0, 0)
    pos_step: vec2<u32>, // output pixels between positions
    tap_grid: vec2<u32>, // (tw, th) range of a tap
    tap_origin: vec2<u32>, // kernel element of tap (0, 0)
    tap_step: vec2<u32>,
    with_bias: u32, // 1: add bias[channel] to every output (conv2d, conv_transpose2d)
    negative_slope: f32, // a leaky ReLU's slope below 0 after the bias (0: a ReLU; 1: none, see store_c)
    in_from_pos: vec2<u32>, // image pixels per position step
    in_from_tap: vec2<u32>, // image pixels per tap step (wrapping: may be negative)
    in_offset: vec2<u32>, // image pixel of position 0 and tap 0 (wrapping)
}

@group(0) @binding(0) var<storage, read> params: Params;
// A private copy, made once at entry (see gemm.wgsl's header).
var<private> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> image: array<f32>;
// The result as vec4s, for the core's C_IN_VEC4; one value is a component.
@group(0) @binding(3) var<storage, read_write> result: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read> packed_a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> packing: array<vec4<f32>>;


const CONV2D: u32 = 0u;
const CONV2D_WEIGHT: u32 = 1u;
const CONV_TRANSPOSE2D: u32 = 2u;

// (i / (w * h), (i / w) % h, i % w) with grid = (w, h): an index split into
// (outer, row, column) of a row-major [outer, h, w] layout.
fn split(i: u32, grid: vec2<u32>) -> vec3<u32> {
    let outer = divide_small(i, grid.x * grid.y);
    let rest = i - outer * grid.x * grid.y;
    let row = divide_small(rest, grid.x);
    return vec3<u32>(outer, row, rest - row * grid.x);
}

// An entry of the im2col matrix is a sum of a part from its tap and a part
// from its position: (image channel, image row, image column) =
//   (b * channels, jh * in_from_pos.y + in_offset.y, jw * in_from_pos.x + in_offset.x)
// + (g * group_channels + c, th * in_from_tap.y, tw * in_from_tap.x).
// One of the two is the product's column, the same for a whole walk along
// K, so the GEMM core splits it once per invocation (`columns`) and per step
// of k adds the part of the other (`gather_b4`), which is the same for every
// invocation. Splitting both for every value read cost a fifth of the big
// convolutions' time on lavapipe, in the direct blockings, where every
// invocation gathers its own values of B.

// The part of position pos = (b, jh, jw).
fn position_part(pos: u32) -> vec3<u32> {
    let q = split(pos, p.pos_grid);
    return vec3<u32>(q.x * p.channels, q.y * p.in_from_pos.y + p.in_offset.y, q.z * p.in_from_pos.x + p.in_offset.x);
}

// The part of tap = (c, th, tw) of group g.
fn tap_part(g: u32, tap: u32) -> vec3<u32> {
    let t = split(tap, p.tap_grid);
    return vec3<u32>(g * p.group_channels + t.x, t.y * p.in_from_tap.y, t.z * p.in_from_tap.x);
}

// Four columns of B: their parts (channel, row, column of the image), and
// whether each is inside B at all.
struct Columns {
    channel: vec4<u32>,
    row: vec4<u32>,
    col: vec4<u32>,
    inside: vec4<bool>,
}

// The part of column col of group z's B: a position, or a tap for a weight
// gradient (B = im2col^T).
fn column_part(z: u32, col: u32) -> vec3<u32> {
    if (GATHER == CONV2D_WEIGHT) {
        return tap_part(z, col);
    }
    return position_part(col);
}

// Columns col..col+3 of group z's B.
fn columns(z: u32, col: u32) -> Columns {
    let c0 = column_part(z, col);
    let c1 = column_part(z, col + 1u);
    let c2 = column_part(z, col + 2u);
    let c3 = column_part(z, col + 3u);
    return Columns(
        vec4<u32>(c0.x, c1.x, c2.x, c3.x),
        vec4<u32>(c0.y, c1.y, c2.y, c3.y),
        vec4<u32>(c0.z, c1.z, c2.z, c3.z),
        vec4<u32>(col) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.n),
    );
}

// B[k, columns]: the image values of the columns' parts plus row k's part,
// 0 outside the image (the u32 sums wrap, so "outside" is >= height or width).
// ANCHOR: im2col
fn gather_b4(z: u32, k: u32, columns: Columns) -> vec4<f32> {
    var other: vec3<u32>;
    if (GATHER == CONV2D_WEIGHT) {
        other = position_part(k);
    } else {
        other = tap_part(z, k);
    }
    let ih = columns.row + other.y;
    let iw = columns.col + other.z;
    let hit = columns.inside & vec4<bool>(k < p.k) & (ih < vec4<u32>(p.height)) & (iw < vec4<u32>(p.width));
    let index = select(vec4<u32>(0u), ((columns.channel + other.x) * p.height + ih) * p.width + iw, hit);
    let values = vec4<f32>(image[index.x], image[index.y], image[index.z], image[index.w]);
    return select(vec4<f32>(0.0), values, hit);
}
// ANCHOR_END: im2col

// An output-space index ((b, channel, oh, ow) in [N, O, OH, OW]) is a part
// from the channel plus a part from the position: channel OH OW +
// (b O OH + oh) OW + ow.
// The part of group g's channel o.
fn channel_part(g: u32, o: u32) -> u32 {
    return (g * p.group_out_channels + o) * p.out_height * p.out_width;
}

// The part of position pos = (b, jh, jw).
fn out_position_part(pos: u32) -> u32 {
    let q = split(pos, p.pos_grid); // (b, jh, jw)
    let oh = p.pos_origin.y + p.pos_step.y * q.y;
    let ow = p.pos_origin.x + p.pos_step.x * q.z;
    return (q.x * p.out_channels * p.out_height + oh) * p.out_width + ow;
}

// Index of output-space element (group g's channel o, position pos).
fn out_index(g: u32, o: u32, pos: u32) -> u32 {
    return channel_part(g, o) + out_position_part(pos);
}

fn gather_a(z: u32, row: u32, k: u32) -> f32 {
    let inside = (row < p.m) & (k < p.k);
    var index: u32;
    if (GATHER == CONV2D) {
        // weights [O, C/g, KH, KW]: row o of group z, column k = (c, kh, kw)
        index = (z * p.m + row) * p.k + k;
    } else if (GATHER == CONV2D_WEIGHT) {
        // the output gradient at (o, position k)
        index = out_index(z, row, k);
    } else {
        // weights [C, O/g, KH, KW] at (c, o, kh, kw), tap k = (c, th, tw)
        let t = split(k, p.tap_grid);
        let kh = p.tap_origin.y + p.tap_step.y * t.y;
        let kw = p.tap_origin.x + p.tap_step.x * t.z;
        index = (((z * p.group_channels + t.x) * p.m + row) * p.kernel.y + kh) * p.kernel.x + kw;
    }
    return select(0.0, a[select(0u, index, inside)], inside);
}

fn product_size() -> vec3<u32> {
    return vec3<u32>(p.m, p.n, p.k);
}

// Every group has its own weights (or output gradient).
fn packed_problem(z: u32) -> u32 {
    return z;
}

// C's index: dw [O, C/g, KH, KW] at row o of group z, column (c, kh, kw)
// for a weight gradient; else the output-space element (channel row of
// group z, position col). What storing a row needs: its part of that index,
// and the bias of output channel o = row of group z (0 without one). The
// bias is read here, once per row: read in store_c, once per value, it cost
// a fifth of a K = 16 convolution's time on lavapipe, which runs a branch's
// body (and its load) whether the branch is taken or not.
struct RowPart {
    index: u32,
    bias: f32,
}

fn out_row(z: u32, row: u32) -> RowPart {
    if (GATHER == CONV2D_WEIGHT) {
        return RowPart((z * p.m + row) * p.n, 0.0);
    }
    let biased = (p.with_bias == 1u) & (row < p.m);
    let bias_index = select(0u, z * p.group_out_channels + row, biased);
    return RowPart(channel_part(z, row), select(0.0, bias[bias_index], biased));
}

fn out_col(z: u32, col: u32) -> u32 {
    if (GATHER == CONV2D_WEIGHT) {
        return col;
    }
    return out_position_part(col);
}

// What is stored for values of a row: as they are for a weight gradient;
// else plus the row's bias and, with a slope other than 1, through a leaky
// ReLU: max(v, 0) + slope min(v, 0), the bits of unary.wgsl's relu and
// leaky_relu. One pass over the output and its storage saved, for every
// conv2d a ReLU-family activation follows without a normalisation between
// (DCGAN's first discriminator layer, every ProGAN convolution). A parameter
// like with_bias, not a pipeline constant: a second variant of this kernel
// is seconds of LLVM compiling on a first run with lavapipe, and the test is
// one compare per store.
fn stored(values: vec4<f32>, row_part: RowPart) -> vec4<f32> {
    if (GATHER == CONV2D_WEIGHT) {
        return values;
    }
    let biased = values + row_part.bias;
    if (p.negative_slope != 1.0) {
        return max(biased, vec4<f32>(0.0)) + p.negative_slope * min(biased, vec4<f32>(0.0));
    }
    return biased;
}

fn store_c(z: u32, row: u32, col: u32, row_part: RowPart, col_part: u32, value: f32) {
    if ((row < p.m) & (col < p.n)) {
        let index = row_part.index + col_part;
        result[index / 4u][index % 4u] = stored(vec4<f32>(value), row_part).x;
    }
}

fn store_c4(z: u32, row: u32, col: u32, row_part: RowPart, col_part: u32, values: vec4<f32>) {
    if ((row < p.m) & (col < p.n)) {
        result[(row_part.index + col_part) / 4u] = stored(values, row_part);
    }
}

@compute @workgroup_size(SIDE_X, SIDE_Y)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(local_invocation_id) local: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    p = params;
    // The loop bound comes from the binding, not the private copy: the loop
    // holds barriers, and WebGPU's compilers (Chrome's Tint) accept a barrier
    // only under a bound every invocation provably shares, which a read-only
    // binding is and a private variable is not.
    let groups = params.out_channels / params.group_out_channels;
    let k_begin = (wid.z / groups) * params.k_chunk;
    accumulate(wid.z % groups, wid.xy, k_begin, min(params.k, k_begin + params.k_chunk), local.xy, lid);
    write_tile(wid.z, wid.xy, local.xy);
}
