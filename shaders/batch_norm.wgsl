// batch_norm.wgsl — batch norm in training mode, fused: the per-channel
// statistics, the normalisation, and the two passes of the gradient.
// Version 6: no affine parameters (AFFINE, bit 2, unset): weight 1 and bias
// 0 without tensors of ones and zeros filled for every call (instance norm
// runs here with none, two fill dispatches per call saved).
// Version 5: the bias and weight gradients written to two buffers, not one
// [2, C] the host then cut in two (two copy dispatches per backward pass).
// Version 4: runs kept inside one channel where S is a multiple of 4
// (WITHIN_CHANNEL, see 3. below). Version 3: runs of vec4s in the
// elementwise passes.
// Version 2. Version 1 gave each channel one workgroup of 256 threads, which
// split every index into (sample, position) with two integer divisions and
// added its partial sums in a tree of barriers: 4-5% of the copy peak on
// lavapipe. Version 0 was a composition of ~11 reduce/elementwise dispatches
// forward and ~23 backward (see benches/kernels.rs).
//
// The input is viewed as [N, C, S] (S = H*W, or 1 for [N, C]): channel c's
// M = N*S values lie in N rows of S, row (n, c) starting at (n*C + c)*S. With
// mean m_c, population variance v_c and r_c = 1/sqrt(v_c + eps), the
// normalised value is x̂ = (x - m_c) r_c.
//
// Each direction takes three dispatches:
//  1. `chunk_moments` / `chunk_grad_sums`: rows are cut into chunks of at most
//     64 values (p.chunks chunks of p.chunk_len per row, the last one shorter),
//     and one invocation sums one chunk: contiguous values, no division inside
//     the loop, no barrier. Chunk e is chunk e % chunks of row e / chunks.
//  2. `channel_moments` / `channel_grad_sums`: one invocation per channel adds
//     that channel's N * chunks chunk results in a fixed order (so every run
//     gives the same bits) and writes one record of four per-channel
//     coefficients [m, A, B, D] (below).
//  3. `normalize` / `input_grad`: one invocation computes a run of p.run
//     vec4s (many on a CPU adapter, one on a GPU: ops::strided_run), four
//     consecutive elements each: out = A dy + B (x - m) + D with the
//     coefficients of each element's channel (the four may straddle channels
//     when S is not a multiple of 4, so each looks up its own). Along the run
//     the channels are carried forward, and the coefficients read again only
//     where one changes. On lavapipe "only where" is every vec4: it runs a
//     branch's body (and its 4 loads) whether taken or not. So where S is a
//     multiple of 4, the host makes p.run divide S / 4, which keeps every
//     run inside one row, and sets bit 1 of OP (WITHIN_CHANNEL): the
//     coefficients are read once per run. dcgan28's 14 x 14 batch norm,
//     forward and backward: 4.7-4.8 -> 3.6-3.7 ms. A length not divisible
//     by 4 is safe as in unary.wgsl: buffers are allocated in 64-byte
//     multiples, and the padding's channel (index / S) % C is still a real
//     one.
//
// The statistics are two-pass ones at both levels, which stays accurate when
// |mean| >> stddev, unlike E[x^2] - E[x]^2: a chunk's mean, then the sum of
// squared deviations from it (M2); a channel's mean is the count-weighted
// mean of its chunk means, and its M2 the sum of the chunks' M2 plus
// count * (chunk mean - channel mean)^2 for each chunk (the law of total
// variance). Both means are sums of differences from the first value (of the
// chunk, or the first chunk's mean), so a large common offset is not rounded
// into the sum: the mean of 49 values near 1000 summed as they are is off by
// ~1e-4, which is ~1e-4 of a unit spread.
//
// Forward:  y  = x̂ weight + bias,                     so [m, 0, weight r, bias].
// Backward: dx = weight r (dy - (sum dy + x̂ sum dy x̂) / M), the closed form of
// batch norm's input gradient (the mean and variance depend on x too, which is
// where the two sums come from), so with s1 = sum dy and s2 = sum dy x̂:
//           [m, weight r, -weight r^2 s2 / M, -weight r s1 / M].
// channel_grad_sums also writes the bias gradient s1 and the weight gradient s2.
//
// An activation fused after the affine: a leaky ReLU of negative slope
// p.slope (0 is ReLU, 1 none), written max(v, 0) + slope min(v, 0) so that
// it gives the bits of unary.wgsl's relu and leaky_relu. Backward, dy is
// first multiplied by the activation's slope at each value, read off the
// forward's output y (y > 0 exactly where v > 0, for a slope >= 0); the
// pipeline constant's bit 0 (ACTIVATED) is set where an activation is
// fused, and without one the backward kernels never read y.
//
// Bindings (0 is the parameter struct in all six; each entry point uses
// 1..k with no gaps, as the host binds them in order, so one binding number
// names different variables in different entry points):
//   chunk_moments:     1 x, 2 chunk_out [2, E] (write)
//   channel_moments:   1 chunk_in, 2 coefficients [C, 4] (write), 3 weight, 4 mean (write), 5 var (write), 6 bias
//   normalize:         1 x4, 2 coefficients, 3 out4 = y (write)
//   chunk_grad_sums:   1 x, 2 chunk_out (write), 3 dy, 4 mean, 5 y
//   channel_grad_sums: 1 chunk_in, 2 coefficients (write), 3 weight, 4 mean, 5 var, 6 bias_grad [C] (write),
//                      7 weight_grad [C] (write)
//   input_grad:        1 x4, 2 coefficients, 3 out4 = dx (write), 4 dy4, 5 y4
// where E = N * C * chunks is the number of chunks.

struct Params {
    channels: u32,
    inner: u32,
    per_channel: u32,
    total: u32,
    batch: u32,
    chunks: u32,
    chunk_len: u32,
    chunk_count: u32,
    eps: f32,
    run: u32, // vec4s per invocation in normalize and input_grad
    slope: f32, // the fused activation's negative slope (1: none)
}

override OP: u32 = 0u;
override ACTIVATED: bool = (OP & 1u) == 1u;
override WITHIN_CHANNEL: bool = (OP & 2u) == 2u;
// Bit 2, set only for the channel kernels: the affine weight and bias are
// bound. Unset, the host binds x in their place and the kernels use 1 and 0.
override AFFINE: bool = (OP & 4u) == 4u;

@group(0) @binding(0) var<storage, read> p: Params;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> x4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> chunk_in: array<f32>;

@group(0) @binding(2) var<storage, read_write> chunk_out: array<f32>;
@group(0) @binding(2) var<storage, read_write> coefficients: array<vec4<f32>>;

@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out4: array<vec4<f32>>;

@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read> dy4: array<vec4<f32>>;

@group(0) @binding(5) var<storage, read_write> variance: array<f32>;
@group(0) @binding(5) var<storage, read> y: array<f32>;
@group(0) @binding(5) var<storage, read> y4: array<vec4<f32>>;

@group(0) @binding(6) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> bias_grad: array<f32>;

@group(0) @binding(7) var<storage, read_write> weight_grad: array<f32>;

// Channel c's affine weight: 1 without one (the host then binds x, which has
// at least C values, so the read stays inside it).
fn weight_of(c: u32) -> f32 {
    return select(1.0, weight[c], AFFINE);
}

// Chunk k's length: chunk_len, except the last chunk of a row, which holds the rest.
fn chunk_length(k: u32) -> u32 {
    return min(p.chunk_len, p.inner - k * p.chunk_len);
}

// Offset in x of chunk e's first value.
fn chunk_start(e: u32) -> u32 {
    return (e / p.chunks) * p.inner + (e % p.chunks) * p.chunk_len;
}

// Index of chunk k of row (n, c) among all chunks.
fn chunk_index(n: u32, c: u32, k: u32) -> u32 {
    return (n * p.channels + c) * p.chunks + k;
}

// Where the four elements of a vec4 lie: their channels and their positions
// within their rows of S, for `normalize` and `input_grad`, which walk a run
// of vec4s: the next vec4's are found by adding 4, not by dividing its index
// (on a CPU driver that division, and the parameter reads it needs, cost more
// than the vec4's own loads).
struct Elements {
    channel: vec4<u32>,
    position: vec4<u32>,
}

// (index / S) % C and index % S of the four elements of vec4 i.
fn elements_of(i: u32, inner: u32, channels: u32) -> Elements {
    let index = vec4<u32>(4u * i) + vec4<u32>(0u, 1u, 2u, 3u);
    let rows = divide4(index, inner);
    return Elements(rows - divide4(rows, channels) * channels, index - rows * inner);
}

// The elements 4 further on: each moves into the next row (and channel) as
// often as its position passes S, more than once when S < 4.
fn next_elements(e: Elements, inner: u32, channels: u32) -> Elements {
    let position = e.position + vec4<u32>(4u);
    let rows = divide4(position, inner);
    let channel = e.channel + rows;
    return Elements(channel - divide4(channel, channels) * channels, position - rows * inner);
}

// The fused activation of v (see the header).
fn activate(v: vec4<f32>, slope: f32) -> vec4<f32> {
    return max(v, vec4<f32>(0.0)) + slope * min(v, vec4<f32>(0.0));
}

// Its slope at the values whose activations are `out`: 1 where positive.
fn activation_slope(out: vec4<f32>, slope: f32) -> vec4<f32> {
    return select(vec4<f32>(slope), vec4<f32>(1.0), out > vec4<f32>(0.0));
}

// The coefficients of the channels of four elements, transposed: [m, A, B, D]
// of the four elements, each a vec4 over the elements.
fn coefficients_of(c: vec4<u32>) -> mat4x4<f32> {
    return transpose(mat4x4<f32>(coefficients[c.x], coefficients[c.y], coefficients[c.z], coefficients[c.w]));
}

// An invocation's run of vec4s in `normalize` and `input_grad`: vec4s first
// up to end (none past the last), where the current vec4's elements lie, and
// their coefficients.
struct Run {
    first: u32,
    end: u32,
    inner: u32,
    channels: u32,
    elements: Elements,
    k: mat4x4<f32>,
}

// The run of invocation g.
fn run_of(g: u32) -> Run {
    let first = g * p.run;
    let elements = elements_of(first, p.inner, p.channels);
    let end = min(first + p.run, (p.total + 3u) / 4u);
    return Run(first, end, p.inner, p.channels, elements, coefficients_of(elements.channel));
}

// Moves the run on to its next vec4, reading coefficients only where a
// channel changes (never, WITHIN_CHANNEL).
fn run_step(run: ptr<function, Run>) {
    if (WITHIN_CHANNEL) {
        return;
    }
    let next = next_elements((*run).elements, (*run).inner, (*run).channels);
    if (any(next.channel != (*run).elements.channel)) {
        (*run).k = coefficients_of(next.channel);
    }
    (*run).elements = next;
}

@compute @workgroup_size(256)
fn chunk_moments(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let e = flat_group(wid, nwg) * 256u + lid;
    if (e >= p.chunk_count) {
        return;
    }
    let start = chunk_start(e);
    let len = chunk_length(e % p.chunks);
    let shift = x[start];
    var sum = 0.0;
    for (var j = 0u; j < len; j++) {
        sum += x[start + j] - shift;
    }
    let m = shift + sum / f32(len);
    var squares = 0.0;
    for (var j = 0u; j < len; j++) {
        let d = x[start + j] - m;
        squares += d * d;
    }
    chunk_out[e] = m;
    chunk_out[p.chunk_count + e] = squares;
}

@compute @workgroup_size(256)
fn channel_moments(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = flat_group(wid, nwg) * 256u + lid;
    if (c >= p.channels) {
        return;
    }
    let shift = chunk_in[chunk_index(0u, c, 0u)];
    var sum = 0.0;
    for (var n = 0u; n < p.batch; n++) {
        for (var k = 0u; k < p.chunks; k++) {
            sum += f32(chunk_length(k)) * (chunk_in[chunk_index(n, c, k)] - shift);
        }
    }
    let m = shift + sum / f32(p.per_channel);
    var squares = 0.0;
    for (var n = 0u; n < p.batch; n++) {
        for (var k = 0u; k < p.chunks; k++) {
            let e = chunk_index(n, c, k);
            let d = chunk_in[e] - m;
            squares += chunk_in[p.chunk_count + e] + f32(chunk_length(k)) * d * d;
        }
    }
    let v = squares / f32(p.per_channel);
    mean[c] = m;
    variance[c] = v;
    coefficients[c] = vec4<f32>(m, 0.0, weight_of(c) * inverseSqrt(v + p.eps), select(0.0, bias[c], AFFINE));
}

@compute @workgroup_size(256)
fn normalize(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    var run = run_of(flat_group(wid, nwg) * 256u + lid);
    let slope = p.slope;
    for (var i = run.first; i < run.end; i++) {
        out4[i] = activate(run.k[2] * (x4[i] - run.k[0]) + run.k[3], slope);
        run_step(&run);
    }
}

@compute @workgroup_size(256)
fn chunk_grad_sums(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let e = flat_group(wid, nwg) * 256u + lid;
    if (e >= p.chunk_count) {
        return;
    }
    let start = chunk_start(e);
    let m = mean[(e / p.chunks) % p.channels];
    let len = chunk_length(e % p.chunks);
    let slope = p.slope;
    var sum_dy = 0.0;
    var sum_dy_centred = 0.0;
    for (var j = 0u; j < len; j++) {
        var g = dy[start + j];
        if (ACTIVATED) {
            g *= activation_slope(vec4<f32>(y[start + j]), slope).x;
        }
        sum_dy += g;
        sum_dy_centred += g * (x[start + j] - m);
    }
    chunk_out[e] = sum_dy;
    chunk_out[p.chunk_count + e] = sum_dy_centred;
}

@compute @workgroup_size(256)
fn channel_grad_sums(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = flat_group(wid, nwg) * 256u + lid;
    if (c >= p.channels) {
        return;
    }
    var s1 = 0.0;
    var sum_dy_centred = 0.0;
    for (var n = 0u; n < p.batch; n++) {
        for (var k = 0u; k < p.chunks; k++) {
            let e = chunk_index(n, c, k);
            s1 += chunk_in[e];
            sum_dy_centred += chunk_in[p.chunk_count + e];
        }
    }
    let r = inverseSqrt(variance[c] + p.eps);
    let s2 = sum_dy_centred * r;
    bias_grad[c] = s1;
    weight_grad[c] = s2;
    let scale = weight_of(c) * r;
    let count = f32(p.per_channel);
    coefficients[c] = vec4<f32>(mean[c], scale, -scale * r * s2 / count, -scale * s1 / count);
}

@compute @workgroup_size(256)
fn input_grad(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    var run = run_of(flat_group(wid, nwg) * 256u + lid);
    let slope = p.slope;
    for (var i = run.first; i < run.end; i++) {
        var g = dy4[i];
        if (ACTIVATED) {
            g *= activation_slope(y4[i], slope);
        }
        out4[i] = run.k[1] * g + run.k[2] * (x4[i] - run.k[0]) + run.k[3];
        run_step(&run);
    }
}
