// resample.wgsl — spatial resampling of [N, C, H, W] tensors, in adjoint pairs:
// window sums (average pooling) and window spreads (nearest upsampling, and
// pooling's gradient); reflection padding and its fold (padding's gradient).
// Version 3: StyleGAN2's [1, 3, 3, 1] filter in one pass each way (fir,
// fir_t); version 2: the window's size and step as
// pipeline constants (see window_sum); version 1: both read from the
// parameters.
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
// Window geometry (the pair below): a `kernel` x `kernel` window moved by
// `stride` over the fine map, which is zero-padded by `pad_top` rows and
// `pad_left` columns. Coarse pixel (i, j) covers fine rows
// i*stride - pad_top .. i*stride - pad_top + kernel - 1, and likewise columns.
//
// `window_sum` (x fine, y coarse): y[i, j] = scale * (sum of the window's
//   pixels that lie inside x; padding counts as zero, so with scale 1/kernel^2
//   this is average pooling with count_include_pad).
// `window_spread` (x coarse, y fine): y[r, c] = scale * (sum of x[i, j] over
//   the windows (i, j) that contain (r, c)). This is the transpose of
//   window_sum as a linear map, so each is the other's gradient. A row r lies
//   in window i when i*stride - pad_top <= r <= i*stride - pad_top + kernel - 1,
//   that is ceil((r + pad_top - kernel + 1) / stride) <= i <= floor((r + pad_top) / stride),
//   clipped to the coarse map. With kernel = stride = f, pad 0 and scale 1 each
//   fine pixel lies in exactly one window: nearest upsampling by f.
//
// StyleGAN2's filter (the second pair), TAPS = [1, 3, 3, 1] along each axis
// over x zero-padded by pad_top rows and pad_left columns, moved by STRIDE
// (the same pipeline constant as the windows'), times `scale`:
// `fir` (x fine, y coarse): along an axis, output i = sum over a of TAPS[a]
//   x[STRIDE i + a - pad];
// `fir_t` (x coarse, y fine): the transpose, each fine pixel summing the
//   outputs that read it, through the taps they read it with. With STRIDE 2
//   and pad 1 that is smoothed 2x upsampling: output 2i = x[i - 1] + 3 x[i],
//   output 2i + 1 = 3 x[i] + x[i + 1].
// Each replaces three window passes (ops/resample.rs).
//
// Reflection (the third pair; x and y as before, out = padded):
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
// << 16, set by ops/resample.rs; the reflection kernels ignore them): the
// loops over a window then have a fixed trip count, the same in every lane,
// and the divisions by the stride are by a constant. With both read from
// the parameters (version 1), each lane clipped its window to the map and
// looped to its own bounds, and lavapipe ran these kernels at 9-12% of its
// copy peak in the ProGAN and StyleGAN2 steps.
override OP: u32 = 0u;
override KERNEL: u32 = OP & 0xffffu;
override STRIDE: u32 = max(OP >> 16u, 1u);
// How many windows along an axis contain a pixel, at most.
override COVER: u32 = (KERNEL + STRIDE - 1u) / STRIDE;

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
        for (var b = 0u; b < KERNEL; b++) {
            let c = left + b;
            let inside = (r < p.in_h) & (c < p.in_w);
            acc += select(0.0, x[select(0u, plane + r * p.in_w + c, inside)], inside);
        }
    }
    y[i] = acc * p.scale;
}

// Candidate t (0..COVER) of the windows containing padded position `padded`
// along an axis of `coarse` windows, in increasing order: window
// padded / STRIDE + t - (COVER - 1), and whether it exists and reaches
// `padded` (its first position, window * STRIDE, is within KERNEL - 1).
fn covering_window(padded: u32, t: u32, coarse: u32) -> vec2<u32> {
    let window = padded / STRIDE + t - (COVER - 1u);
    let covers = (window < coarse) & (padded - window * STRIDE < KERNEL);
    return vec2<u32>(window, u32(covers));
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
        for (var b = 0u; b < COVER; b++) {
            let col = covering_window(at.z + p.pad_left, b, p.in_w);
            let inside = (row.y & col.y) == 1u;
            acc += select(0.0, x[select(0u, plane + row.x * p.in_w + col.x, inside)], inside);
        }
    }
    y[i] = acc * p.scale;
}

// The filter's taps.
const TAPS = array<f32, 4>(1.0, 3.0, 3.0, 1.0);

// fir: y[i, j] = scale * sum over a, b in 0..4 of TAPS[a] TAPS[b] x[STRIDE i
// + a - pad_top, STRIDE j + b - pad_left] (x zero outside; wrapping u32, so
// "outside" is one compare).
@compute @workgroup_size(256)
fn fir(
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
    let top = at.y * STRIDE - p.pad_top;
    let left = at.z * STRIDE - p.pad_left;
    let plane = at.x * p.in_h * p.in_w;
    var acc = 0.0;
    for (var a = 0u; a < 4u; a++) {
        let r = top + a;
        var row = 0.0;
        for (var b = 0u; b < 4u; b++) {
            let c = left + b;
            let inside = (r < p.in_h) & (c < p.in_w);
            row += TAPS[b] * select(0.0, x[select(0u, plane + r * p.in_w + c, inside)], inside);
        }
        acc += TAPS[a] * row;
    }
    y[i] = acc * p.scale;
}

// Along an axis, the taps of fir that read fine index r (padded by `pad`):
// candidate t (0..FIR_COVER) is tap a = (r + pad) % STRIDE + STRIDE t, the
// one coarse index (r + pad - a) / STRIDE reads through. `used` where a is
// one of the 4 taps and that index lies inside the `coarse` outputs.
override FIR_COVER: u32 = (4u + STRIDE - 1u) / STRIDE;

struct FirTap {
    index: u32,
    weight: f32,
    used: bool,
}

fn fir_tap(r: u32, pad: u32, t: u32, coarse: u32) -> FirTap {
    let padded = r + pad;
    let a = padded % STRIDE + STRIDE * t;
    let index = (padded - a) / STRIDE;
    return FirTap(index, TAPS[min(a, 3u)], (a < 4u) & (index < coarse));
}

// fir_t, the transpose of fir (x coarse, y fine): y[r, c] = scale * the sum
// of TAPS[a] TAPS[b] x[i, j] over the outputs (i, j) of fir that read (r, c)
// through taps (a, b).
@compute @workgroup_size(256)
fn fir_t(
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
    for (var a = 0u; a < FIR_COVER; a++) {
        let row = fir_tap(at.y, p.pad_top, a, p.in_h);
        var sum = 0.0;
        for (var b = 0u; b < FIR_COVER; b++) {
            let col = fir_tap(at.z, p.pad_left, b, p.in_w);
            let used = row.used & col.used;
            let value = select(0.0, x[select(0u, plane + row.index * p.in_w + col.index, used)], used);
            sum += col.weight * value;
        }
        acc += row.weight * sum;
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
