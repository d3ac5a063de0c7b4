// batch_norm.wgsl — batch norm in training mode, fused: the per-channel
// statistics, the normalisation, and the two passes of the gradient.
// Version 1 (version 0 was a composition of ~11 reduce/elementwise dispatches
// forward and ~23 backward; see benches/kernels.rs).
//
// The input is viewed as [N, C, S] (S = H*W, or 1 for [N, C]): channel c's
// M = N*S values sit at (n*C + c)*S + s. With mean m_c, population variance
// v_c and r_c = 1/sqrt(v_c + eps), the normalised value is x̂ = (x - m_c) r_c.
//
// Bindings (0 is the parameter struct in all four):
//   channel_stats:     1 x, 2 mean [C] (write), 3 var [C] (write)
//   normalize:         1 x, 2 mean, 3 var, 4 weight [C], 5 bias [C], 6 y (write)
//   channel_grad_sums: 1 x, 2 mean, 3 var, 4 dy, 5 sums [2, C] (write)
//   input_grad:        1 x, 2 mean, 3 var, 4 dy, 5 sums, 6 weight, 7 dx (write)
// (Different entry points give a binding number different variables; each
// entry point uses bindings 1..k with no gaps, as the host binds them in order.)
//
// `channel_stats` and `channel_grad_sums`: one workgroup of 256 threads per
// channel. Thread t accumulates the channel's values t, t+256, ... (for
// S >= 256 these are contiguous runs, so reads coalesce), then the 256 partial
// sums are added pairwise in workgroup memory (128, 64, ... 1). Fixed
// assignment and a fixed tree: the same sum on every run. The statistics take
// two passes over the channel (mean, then the mean squared deviation from it),
// which stays accurate when |mean| >> stddev, unlike E[x^2] - E[x]^2.
// channel_grad_sums writes sums[c] = sum of dy and sums[C + c] = sum of dy x̂,
// which are also the bias and weight gradients.
//
// `normalize` and `input_grad`: one invocation per element (256 per workgroup
// along the flat index, `i < total` guarding the tail); the channel of flat
// index i is (i / S) % C.
//   y  = x̂ weight_c + bias_c
//   dx = weight_c r_c (dy - (sum dy + x̂ sum dy x̂) / M)
// the closed form of batch norm's input gradient (the mean and variance
// depend on x too, which is where the two sums come from).

struct Params {
    channels: u32,
    inner: u32,
    per_channel: u32,
    total: u32,
    eps: f32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
// Written by channel_stats, read by the other three.
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> variance: array<f32>;

var<workgroup> partial_a: array<f32, 256>;
var<workgroup> partial_b: array<f32, 256>;

// Offset in x of value k (0 <= k < M) of channel c.
fn channel_offset(c: u32, k: u32) -> u32 {
    return ((k / p.inner) * p.channels + c) * p.inner + k % p.inner;
}

// Adds partial_a and partial_b over the workgroup; the totals end up in
// element 0 of each. Call from uniform control flow.
fn sum_partials(lid: u32) {
    workgroupBarrier();
    for (var half = 128u; half > 0u; half /= 2u) {
        if (lid < half) {
            partial_a[lid] += partial_a[lid + half];
            partial_b[lid] += partial_b[lid + half];
        }
        workgroupBarrier();
    }
}

fn inv_std(c: u32) -> f32 {
    return inverseSqrt(variance[c] + p.eps);
}

fn channel_of(i: u32) -> u32 {
    return (i / p.inner) % p.channels;
}

@compute @workgroup_size(256)
fn channel_stats(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = flat_group(wid, nwg);
    // Uniform across the workgroup (it depends only on the workgroup id).
    if (c >= p.channels) {
        return;
    }
    var sum = 0.0;
    for (var k = lid; k < p.per_channel; k += 256u) {
        sum += x[channel_offset(c, k)];
    }
    partial_a[lid] = sum;
    partial_b[lid] = 0.0;
    sum_partials(lid);
    let m = partial_a[0] / f32(p.per_channel);
    // Everyone has read the mean before the partials are overwritten.
    workgroupBarrier();
    var squares = 0.0;
    for (var k = lid; k < p.per_channel; k += 256u) {
        let d = x[channel_offset(c, k)] - m;
        squares += d * d;
    }
    partial_a[lid] = squares;
    sum_partials(lid);
    if (lid == 0u) {
        mean[c] = m;
        variance[c] = partial_a[0] / f32(p.per_channel);
    }
}

@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn normalize(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.total) {
        return;
    }
    let c = channel_of(i);
    y[i] = (x[i] - mean[c]) * inv_std(c) * weight[c] + bias[c];
}

@group(0) @binding(4) var<storage, read> dy: array<f32>;
// Written by channel_grad_sums, read by input_grad.
@group(0) @binding(5) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(256)
fn channel_grad_sums(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let c = flat_group(wid, nwg);
    if (c >= p.channels) {
        return;
    }
    let m = mean[c];
    let r = inv_std(c);
    var sum_dy = 0.0;
    var sum_dy_xhat = 0.0;
    for (var k = lid; k < p.per_channel; k += 256u) {
        let o = channel_offset(c, k);
        sum_dy += dy[o];
        sum_dy_xhat += dy[o] * (x[o] - m) * r;
    }
    partial_a[lid] = sum_dy;
    partial_b[lid] = sum_dy_xhat;
    sum_partials(lid);
    if (lid == 0u) {
        sums[c] = partial_a[0];
        sums[p.channels + c] = partial_b[0];
    }
}

@group(0) @binding(6) var<storage, read> dx_weight: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn input_grad(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.total) {
        return;
    }
    let c = channel_of(i);
    let r = inv_std(c);
    let xhat = (x[i] - mean[c]) * r;
    let correction = (sums[c] + xhat * sums[p.channels + c]) / f32(p.per_channel);
    dx[i] = dx_weight[c] * r * (dy[i] - correction);
}
