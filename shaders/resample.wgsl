// resample.wgsl — spatial resampling of [N, C, H, W] tensors, in adjoint pairs:
// window sums (average pooling, StyleGAN2's [1, 3, 3, 1] filter) and window
// spreads (nearest upsampling, the filter's smoothed upsampling, and the
// gradients of the sums); reflection padding and its fold (padding's
// gradient).
// Version 3: windows weighted by the [1, 3, 3, 1] filter (FILTER), StyleGAN2's
// resampling in one pass each way instead of three; version 2: the window's
// size and step as pipeline constants (see below); version 1: both read from
// the parameters.
//
// Bindings: 0 params, 1 x (read, [planes, in_h, in_w]), 2 y (write, [planes,
// out_h, out_w]). The N*C planes are independent, so every kernel sees the
// tensor as `planes` images. One invocation computes one output element: its
// flat index i is (plane * out_h + row) * out_w + col, and it reads only from
// plane `plane` of x. Workgroups are 256 invocations along that flat index
// (consecutive invocations write consecutive columns, so the writes coalesce
// and neighbouring reads share cache lines), and `i < count` guards the tail.
// Every output is a fixed-order sum computed by one invocation: deterministic,
// and no two invocations ever write the same element (no atomics).
//
// Window geometry (the pair below): a KERNEL x KERNEL window moved by STRIDE
// over the fine map, which is zero-padded by `pad_top` rows and `pad_left`
// columns. Coarse pixel (i, j) covers fine rows
// i*STRIDE - pad_top .. i*STRIDE - pad_top + KERNEL - 1, and likewise columns.
// Its pixel at (a, b) within the window weighs 1, or with FILTER (KERNEL 4)
// TAPS[a] TAPS[b], TAPS = [1, 3, 3, 1].
//
// `window_sum` (x fine, y coarse): y[i, j] = scale * (weighted sum of the
//   window's pixels that lie inside x; padding counts as zero, so with
//   scale 1/KERNEL^2 this is average pooling with count_include_pad, and with
//   FILTER, scale 1/64 and pad 1 at stride 2, StyleGAN2's downsampling).
// `window_spread` (x coarse, y fine): y[r, c] = scale * (sum of x[i, j] over
//   the windows (i, j) that contain (r, c), each weighted as (r, c) is in
//   it). This is the transpose of window_sum as a linear map, so each is the
//   other's gradient. A row r lies in window i when
//   i*STRIDE - pad_top <= r <= i*STRIDE - pad_top + KERNEL - 1, that is
//   ceil((r + pad_top - KERNEL + 1) / STRIDE) <= i <= floor((r + pad_top) / STRIDE),
//   clipped to the coarse map. With KERNEL = STRIDE = f, pad 0 and scale 1
//   each fine pixel lies in exactly one window: nearest upsampling by f. With
//   FILTER, pad 1 and stride 2, fine row 2i gets x[i - 1] + 3 x[i] and row
//   2i + 1 gets 3 x[i] + x[i + 1]: StyleGAN2's smoothed upsampling (scale 1/16).
//
// Reflection (the second pair; x and y as before, out = padded):
// `reflect_pad` (x [in_h, in_w], y padded): y[r, c] = x[reflect(r - pad_top), reflect(c - pad_left)]
//   with reflect(k) = -k below 0 and 2(n - 1) - k above n - 1: the mirror
//   excludes the edge pixel, as PyTorch's ReflectionPad2d. Padding < n on each
//   side (checked by the host), so one reflection always lands inside.
// `reflect_fold` (x a padded gradient, y [out_h, out_w] the unpadded map): the
//   transpose: y[r, c] = sum of x over every padded position that reads (r, c).
//   Along one axis a source row r is read by padded row r + before, by the top
//   mirror before - r (when 1 <= r <= before) and by the bottom mirror
//   before + 2(n - 1) - r (when r <= n - 2 and that row exists), so at most
//   3 x 3 terms.

struct Params {
    count: u32,
    in_h: u32,
    in_w: u32,
    out_h: u32,
    out_w: u32,
    pad_top: u32,
    pad_left: u32,
    scale: f32,
}

@group(0) @binding(0) var<storage, read> params: Params;
// A private copy, made once at entry by every entry point.
var<private> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// The output element of invocation `i`: (plane, row, col).
fn output_position(i: u32) -> vec3<u32> {
    let rest = divide(i, p.out_w);
    let plane = divide(rest, p.out_h);
    return vec3<u32>(plane, rest - plane * p.out_h, i - rest * p.out_w);
}

// The window's size and step are pipeline constants (OP = kernel | stride
// << 16 | filter << 31, set by ops/resample.rs; the reflection kernels ignore
// them): the loops over a window then have a fixed trip count, the same in
// every lane, and the divisions by the stride are by a constant. With both
// read from the parameters (version 1), each lane clipped its window to the
// map and looped to its own bounds, and lavapipe ran these kernels at 9-12%
// of its copy peak in the ProGAN and StyleGAN2 steps.
override OP: u32 = 0u;
override KERNEL: u32 = OP & 0xffffu;
override STRIDE: u32 = max((OP >> 16u) & 0x7fffu, 1u);
override FILTER: bool = (OP >> 31u) == 1u;
// How many windows along an axis contain a pixel, at most.
override COVER: u32 = (KERNEL + STRIDE - 1u) / STRIDE;

// The filter's taps.
const TAPS = array<f32, 4>(1.0, 3.0, 3.0, 1.0);

// The weight of position a (0..KERNEL) of a window along one axis.
fn tap(a: u32) -> f32 {
    if (FILTER) {
        return TAPS[min(a, 3u)];
    }
    return 1.0;
}

// Row and column indices are u32 that wrap: a position above or left of the
// map becomes a huge index, so "inside" is one compare against the size.

@compute @workgroup_size(256)
fn window_sum(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    p = params;
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.count) {
        return;
    }
    let at = output_position(i);
    // The window's first row and column (padding reads as zero).
    let top = at.y * STRIDE - p.pad_top;
    let left = at.z * STRIDE - p.pad_left;
    let plane = at.x * p.in_h * p.in_w;
    var acc = 0.0;
    for (var a = 0u; a < KERNEL; a++) {
        let r = top + a;
        var row = 0.0;
        for (var b = 0u; b < KERNEL; b++) {
            let c = left + b;
            let inside = (r < p.in_h) & (c < p.in_w);
            row += tap(b) * select(0.0, x[select(0u, plane + r * p.in_w + c, inside)], inside);
        }
        acc += tap(a) * row;
    }
    y[i] = acc * p.scale;
}

// Candidate t (0..COVER) of the windows containing padded position `padded`
// along an axis of `coarse` windows, in increasing order: window
// padded / STRIDE + t - (COVER - 1); whether it exists and reaches `padded`
// (which lies `offset` = padded - window * STRIDE into it, within KERNEL).
struct Covering {
    window: u32,
    offset: u32,
    covers: bool,
}

fn covering_window(padded: u32, t: u32, coarse: u32) -> Covering {
    let window = padded / STRIDE + t - (COVER - 1u);
    let offset = padded - window * STRIDE;
    return Covering(window, offset, (window < coarse) & (offset < KERNEL));
}

@compute @workgroup_size(256)
fn window_spread(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    p = params;
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.count) {
        return;
    }
    let at = output_position(i);
    let plane = at.x * p.in_h * p.in_w;
    var acc = 0.0;
    for (var a = 0u; a < COVER; a++) {
        let row = covering_window(at.y + p.pad_top, a, p.in_h);
        var sum = 0.0;
        for (var b = 0u; b < COVER; b++) {
            let col = covering_window(at.z + p.pad_left, b, p.in_w);
            let inside = row.covers & col.covers;
            let value = select(0.0, x[select(0u, plane + row.window * p.in_w + col.window, inside)], inside);
            sum += tap(col.offset) * value;
        }
        acc += tap(row.offset) * sum;
    }
    y[i] = acc * p.scale;
}

// Mirror index k into 0..n (one reflection suffices: the padding is < n).
fn reflect(k: i32, n: u32) -> u32 {
    let last = i32(n) - 1;
    return u32(select(select(k, 2 * last - k, k > last), -k, k < 0));
}

@compute @workgroup_size(256)
fn reflect_pad(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    p = params;
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.count) {
        return;
    }
    let at = output_position(i);
    let r = reflect(i32(at.y) - i32(p.pad_top), p.in_h);
    let c = reflect(i32(at.z) - i32(p.pad_left), p.in_w);
    y[i] = x[(at.x * p.in_h + r) * p.in_w + c];
}

// Padded index number `k` (0: direct, 1: top/left mirror, 2: bottom/right
// mirror) that reads source index `r` of an axis of `n` values padded by
// `before` to `padded`, or -1 when there is no such padded index.
fn padded_reader(k: u32, r: u32, n: u32, before: u32, padded: u32) -> i32 {
    if (k == 0u) {
        return i32(r + before);
    }
    if (k == 1u) {
        return select(-1, i32(before - r), (r >= 1u) & (r <= before));
    }
    let mirrored = before + 2u * (n - 1u) - r;
    return select(-1, i32(mirrored), (r + 2u <= n) & (mirrored < padded));
}

@compute @workgroup_size(256)
fn reflect_fold(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    p = params;
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.count) {
        return;
    }
    let at = output_position(i);
    let plane = at.x * p.in_h * p.in_w;
    var acc = 0.0;
    for (var kr = 0u; kr < 3u; kr++) {
        let pr = padded_reader(kr, at.y, p.out_h, p.pad_top, p.in_h);
        if (pr < 0) {
            continue;
        }
        for (var kc = 0u; kc < 3u; kc++) {
            let pc = padded_reader(kc, at.z, p.out_w, p.pad_left, p.in_w);
            if (pc >= 0) {
                acc += x[plane + u32(pr) * p.in_w + u32(pc)];
            }
        }
    }
    y[i] = acc;
}
