// im2col.wgsl — the data movement that turns a convolution into a matrix
// product, and its adjoint.
//
// Geometry (the convolution's): input [N, C, H, W], kernel KH x KW, stride,
// padding, dilation, output [N, C_out, OH, OW]. Input pixel (ih, iw) meets
// kernel tap (kh, kw) at output position (oh, ow) when
//   ih = oh * stride_h - pad_h + kh * dil_h   (and the same for w).
//
// `im2col`: bindings 0 params, 1 x [N, C, H, W] (read), 2 cols (write),
// cols [C * KH * KW, N * OH * OW]: row (c, kh, kw), column (n, oh, ow). One
// invocation fills one element of cols: it splits its flat index into those
// six coordinates and reads the input pixel they meet, or 0 in the padding.
// A convolution is then W [C_out, C*KH*KW] x cols.
//
// `col2im`: bindings 0 params, 1 cols (read), 2 x-shaped output (write). The
// adjoint: each input pixel receives the sum of the cols entries that read it.
// Rather than scattering (which would need atomic float adds), one invocation
// per input pixel gathers: for each tap (kh, kw) it solves the equation above
// for (oh, ow), and adds cols[(c, kh, kw), (n, oh, ow)] when the division is
// exact and (oh, ow) is inside the output. The sum order is fixed, so the
// result is deterministic.
//
// Workgroups of 256 invocations over a flat index (see prelude's flat_group).

struct Geometry {
    n: u32, c: u32, h: u32, w: u32,
    kh: u32, kw: u32, oh: u32, ow: u32,
    stride_h: u32, stride_w: u32, pad_h: u32, pad_w: u32,
    dil_h: u32, dil_w: u32, count: u32, pad0: u32,
}

@group(0) @binding(0) var<uniform> g: Geometry;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn im2col(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= g.count) {
        return;
    }
    let columns = g.n * g.oh * g.ow;
    let row = i / columns;
    let column = i % columns;
    let ow = column % g.ow;
    let oh = (column / g.ow) % g.oh;
    let n = column / (g.ow * g.oh);
    let kw = row % g.kw;
    let kh = (row / g.kw) % g.kh;
    let c = row / (g.kw * g.kh);
    // i32: the padding makes positions left of or above the image negative.
    let ih = i32(oh * g.stride_h + kh * g.dil_h) - i32(g.pad_h);
    let iw = i32(ow * g.stride_w + kw * g.dil_w) - i32(g.pad_w);
    var value = 0.0;
    if (ih >= 0 && ih < i32(g.h) && iw >= 0 && iw < i32(g.w)) {
        value = src[((n * g.c + c) * g.h + u32(ih)) * g.w + u32(iw)];
    }
    dst[i] = value;
}

@compute @workgroup_size(256)
fn col2im(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= g.count) {
        return;
    }
    let iw = i % g.w;
    let ih = (i / g.w) % g.h;
    let c = (i / (g.w * g.h)) % g.c;
    let n = i / (g.w * g.h * g.c);
    let columns = g.n * g.oh * g.ow;
    var sum = 0.0;
    for (var kh = 0u; kh < g.kh; kh++) {
        // oh * stride = ih + pad - kh * dil must be a non-negative multiple of the stride.
        let y = i32(ih + g.pad_h) - i32(kh * g.dil_h);
        if (y < 0 || y % i32(g.stride_h) != 0) {
            continue;
        }
        let oh = u32(y) / g.stride_h;
        if (oh >= g.oh) {
            continue;
        }
        for (var kw = 0u; kw < g.kw; kw++) {
            let x = i32(iw + g.pad_w) - i32(kw * g.dil_w);
            if (x < 0 || x % i32(g.stride_w) != 0) {
                continue;
            }
            let ow = u32(x) / g.stride_w;
            if (ow >= g.ow) {
                continue;
            }
            let row = (c * g.kh + kh) * g.kw + kw;
            sum += src[row * columns + (n * g.oh + oh) * g.ow + ow];
        }
    }
    dst[i] = sum;
}
