// pixel_norm.wgsl — ProGAN's pixel norm, fused: y = x r with
// r = (mean over the channels of x^2 + eps)^(-1/2), one r per (sample, pixel).
//
// x is viewed as [N, C, S] (S = H*W, or 1 for [N, C]): value (n, c, s) lies at
// (n*C + c)*S + s. Invocation i = n*S + s owns the feature vector of sample n
// at pixel s: its C values, S apart. Neighbouring invocations are neighbouring
// pixels, so at every step of the walk the lanes read neighbouring addresses.
// As a composition (square, mean over C, add eps, power, multiply) this took
// six dispatches forward and about ten backward; here one each.
//
//   forward:  out = x r, and r kept for the backward pass.
//   backward: dx = r (dy - y mean_c(dy y)), the whole gradient: y_j = x_j r
//             and dr/dx_j = -r^3 x_j / C, so dx_j = r dy_j - r^3 x_j sum_c(dy_c x_c) / C,
//             and r^3 x_j x_c = r y_j y_c.
//
// Bindings (0 is the parameter struct):
//   forward:  1 x, 2 out (write), 3 r [N*S] (write)
//   backward: 1 y (the forward's output), 2 out = dx (write), 3 r, 4 dy

struct Params {
    channels: u32,
    inner: u32, // S
    vectors: u32, // N*S: feature vectors, one invocation each
    eps: f32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> r_out: array<f32>;
@group(0) @binding(3) var<storage, read> r_in: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;

// Index of channel 0 of feature vector i = n*S + s: (n*C)*S + s.
fn first_of(i: u32) -> u32 {
    let n = i / p.inner;
    return n * p.channels * p.inner + (i - n * p.inner);
}

@compute @workgroup_size(256)
fn forward(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.vectors) {
        return;
    }
    let first = first_of(i);
    var squares = 0.0;
    for (var c = 0u; c < p.channels; c++) {
        let v = x[first + c * p.inner];
        squares += v * v;
    }
    let r = inverseSqrt(squares / f32(p.channels) + p.eps);
    for (var c = 0u; c < p.channels; c++) {
        let at = first + c * p.inner;
        out[at] = x[at] * r;
    }
    r_out[i] = r;
}

@compute @workgroup_size(256)
fn backward(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.vectors) {
        return;
    }
    let first = first_of(i);
    var dot = 0.0;
    for (var c = 0u; c < p.channels; c++) {
        let at = first + c * p.inner;
        dot += dy[at] * y[at];
    }
    let r = r_in[i];
    let mean = dot / f32(p.channels);
    for (var c = 0u; c < p.channels; c++) {
        let at = first + c * p.inner;
        out[at] = r * (dy[at] - y[at] * mean);
    }
}
