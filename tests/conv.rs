//! Convolutions against plain f64 references on awkward shapes (odd sizes,
//! strides with odd inputs, large padding, dilation, groups, kernels smaller
//! than the stride), the adjoint identities that tie the three ops together,
//! and finite-difference checks of their first and second derivatives.
mod common;
use common::*;
use ganforge::bench::{blocking_label, sweep_blockings};
use ganforge::gradcheck::{gradcheck, gradgradcheck};
use ganforge::ops::conv::{conv2d, conv2d_activated, conv2d_weight, conv_transpose2d, Conv2dOptions};
use ganforge::ops::conv::{conv2d_blocked, conv2d_weight_blocked, conv_transpose2d_blocked};
use ganforge::Tensor;

/// Input row of output row `o` and kernel row `k`, if inside the input.
fn input_index(o: usize, k: usize, stride: usize, pad: usize, dilation: usize, size: usize) -> Option<usize> {
    (o * stride + k * dilation).checked_sub(pad).filter(|&i| i < size)
}

/// Calls `f(b, c, ih, iw, o, kh, kw, oh, ow)` for every term of a convolution
/// of an input [n, c, h, w] by a [kh, kw] kernel into an output [n, o, oh, ow]
/// (`o` channels): the terms x[b, c, ih, iw] w[o, c - group start, kh, kw] y[b, o, oh, ow].
fn for_each_term(
    input: [usize; 4],
    out_channels: usize,
    out_size: (usize, usize),
    kernel: (usize, usize),
    o: Conv2dOptions,
    mut f: impl FnMut([usize; 4], [usize; 4], [usize; 4]),
) {
    let [n, c, h, w] = input;
    let (cg, og) = (c / o.groups, out_channels / o.groups);
    for b in 0..n {
        for oc in 0..out_channels {
            let g = oc / og;
            for ci in 0..cg {
                for kh in 0..kernel.0 {
                    for kw in 0..kernel.1 {
                        for oh in 0..out_size.0 {
                            let Some(ih) = input_index(oh, kh, o.stride.0, o.padding.0, o.dilation.0, h) else {
                                continue;
                            };
                            for ow in 0..out_size.1 {
                                let Some(iw) = input_index(ow, kw, o.stride.1, o.padding.1, o.dilation.1, w) else {
                                    continue;
                                };
                                f([b, g * cg + ci, ih, iw], [oc, ci, kh, kw], [b, oc, oh, ow]);
                            }
                        }
                    }
                }
            }
        }
    }
}

fn flat(shape: [usize; 4], i: [usize; 4]) -> usize {
    ((i[0] * shape[1] + i[1]) * shape[2] + i[2]) * shape[3] + i[3]
}

fn conv_size(input: usize, kernel: usize, stride: usize, pad: usize, dilation: usize) -> usize {
    (input + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1
}

fn dims(t: &Tensor) -> [usize; 4] {
    t.shape().try_into().unwrap()
}

/// conv2d in f64, straight from the definition.
fn conv2d_reference(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, o: Conv2dOptions) -> (Vec<f64>, [usize; 4]) {
    let (xs, ws) = (dims(x), dims(w));
    let out_size = (
        conv_size(xs[2], ws[2], o.stride.0, o.padding.0, o.dilation.0),
        conv_size(xs[3], ws[3], o.stride.1, o.padding.1, o.dilation.1),
    );
    let ys = [xs[0], ws[0], out_size.0, out_size.1];
    let (xv, wv) = (x.to_vec(), w.to_vec());
    let mut y = vec![0.0; ys.iter().product()];
    if let Some(bias) = bias {
        let bv = bias.to_vec();
        for (i, v) in y.iter_mut().enumerate() {
            *v = f64::from(bv[unravel(i, &ys)[1]]);
        }
    }
    for_each_term(xs, ws[0], out_size, (ws[2], ws[3]), o, |xi, wi, yi| {
        y[flat(ys, yi)] += f64::from(xv[flat(xs, xi)]) * f64::from(wv[flat(ws, wi)]);
    });
    (y, ys)
}

/// conv_transpose2d in f64 as a scatter: input pixel (ih, iw) adds w[c, o, kh, kw]
/// times itself to output pixel (ih stride - pad + kh dilation, ...).
fn conv_transpose2d_reference(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    o: Conv2dOptions,
    output_padding: (usize, usize),
) -> (Vec<f64>, [usize; 4]) {
    let (xs, ws) = (dims(x), dims(w));
    let size = |i: usize, k: usize, s: usize, p: usize, d: usize, e: usize| (i - 1) * s + d * (k - 1) + e + 1 - 2 * p;
    let ys = [
        xs[0],
        ws[1] * o.groups,
        size(xs[2], ws[2], o.stride.0, o.padding.0, o.dilation.0, output_padding.0),
        size(xs[3], ws[3], o.stride.1, o.padding.1, o.dilation.1, output_padding.1),
    ];
    let (xv, wv) = (x.to_vec(), w.to_vec());
    let mut y = vec![0.0; ys.iter().product()];
    if let Some(bias) = bias {
        let bv = bias.to_vec();
        for (i, v) in y.iter_mut().enumerate() {
            *v = f64::from(bv[unravel(i, &ys)[1]]);
        }
    }
    let (cg, og) = (xs[1] / o.groups, ys[1] / o.groups);
    for (i, &xv) in xv.iter().enumerate() {
        let [b, c, ih, iw] = unravel(i, &xs).try_into().unwrap();
        let g = c / cg;
        for oc in 0..og {
            for kh in 0..ws[2] {
                for kw in 0..ws[3] {
                    let oh = (ih * o.stride.0 + kh * o.dilation.0).checked_sub(o.padding.0).filter(|&v| v < ys[2]);
                    let ow = (iw * o.stride.1 + kw * o.dilation.1).checked_sub(o.padding.1).filter(|&v| v < ys[3]);
                    if let (Some(oh), Some(ow)) = (oh, ow) {
                        y[flat(ys, [b, g * og + oc, oh, ow])] +=
                            f64::from(xv) * f64::from(wv[flat(ws, [c, oc, kh, kw])]);
                    }
                }
            }
        }
    }
    (y, ys)
}

/// conv2d_weight in f64: dw[o, c, kh, kw] = sum x[b, c.., ih, iw] dy[b, o, oh, ow].
fn conv2d_weight_reference(
    x: &Tensor,
    dy: &Tensor,
    kernel: (usize, usize),
    o: Conv2dOptions,
) -> (Vec<f64>, [usize; 4]) {
    let (xs, ys) = (dims(x), dims(dy));
    let ws = [ys[1], xs[1] / o.groups, kernel.0, kernel.1];
    let (xv, yv) = (x.to_vec(), dy.to_vec());
    let mut dw = vec![0.0; ws.iter().product()];
    for_each_term(xs, ys[1], (ys[2], ys[3]), kernel, o, |xi, wi, yi| {
        dw[flat(ws, wi)] += f64::from(xv[flat(xs, xi)]) * f64::from(yv[flat(ys, yi)]);
    });
    (dw, ws)
}

fn options(stride: usize, padding: (usize, usize), dilation: usize, groups: usize) -> Conv2dOptions {
    Conv2dOptions { stride: (stride, stride), padding, dilation: (dilation, dilation), groups }
}

/// (input [N, C, H, W], out channels, kernel, options, with bias).
type Case = ([usize; 4], usize, (usize, usize), Conv2dOptions, bool);

fn cases() -> Vec<Case> {
    vec![
        ([2, 3, 7, 9], 5, (3, 3), Conv2dOptions::default(), true),
        // stride 2 over odd sizes, unequal padding
        ([3, 4, 9, 7], 6, (3, 2), options(2, (1, 2), 1, 2), false),
        // padding larger than 1 with dilation 2
        ([1, 2, 11, 10], 3, (3, 3), Conv2dOptions { stride: (2, 1), ..options(1, (3, 2), 2, 1) }, true),
        // three groups of 1x1 kernels
        ([2, 6, 5, 5], 9, (1, 1), options(1, (0, 0), 1, 3), true),
        // the dcgan28 discriminator's first layer at batch 2 (its weight
        // gradient in one_channel_conv.wgsl)
        ([2, 1, 28, 28], 64, (4, 4), options(2, (1, 1), 1, 1), true),
        // the same weight gradient kernel: a 3 x 3 map (its 2 x 2 blocks end
        // past it), 5 maps (a group of 8 with 3 missing), an odd image
        ([3, 1, 7, 6], 5, (4, 4), options(2, (1, 1), 1, 1), false),
        // and 70 maps: two of its 8-invocation workgroups per image, the
        // second with one group of 6 maps and 7 idle invocations
        ([2, 1, 5, 8], 70, (4, 4), options(2, (1, 1), 1, 1), true),
        // more than one 128-wide tile each way
        ([2, 8, 12, 12], 130, (3, 3), options(1, (1, 1), 1, 1), false),
        // one output channel (the thin blockings), 75 positions: not a multiple of 4
        ([3, 5, 9, 11], 1, (3, 2), options(2, (1, 2), 1, 1), true),
        // depthwise and dilated: one output channel per group
        ([2, 3, 7, 6], 3, (3, 3), options(1, (1, 1), 2, 3), false),
        // a long weight gradient: 2 x 27 x 25 = 1,350 positions summed into one
        // 5 x 27 tile run as 5 chunks of K (272 each, the last 262)
        ([2, 3, 27, 25], 5, (3, 3), options(1, (1, 1), 1, 1), false),
    ]
}

#[test]
fn conv2d_matches_reference() {
    for (i, &(xs, out_channels, kernel, o, with_bias)) in cases().iter().enumerate() {
        let seed = 10 * i as u64;
        let x = tensor(&xs, -1.0, 1.0, seed);
        let w = tensor(&[out_channels, xs[1] / o.groups, kernel.0, kernel.1], -1.0, 1.0, seed + 1);
        let b = tensor(&[out_channels], -1.0, 1.0, seed + 2);
        let bias = with_bias.then_some(&b);
        let got = conv2d(&x, &w, bias, o);
        let (want, shape) = conv2d_reference(&x, &w, bias, o);
        assert_eq!(got.shape(), shape, "case {i}");
        if let Err(e) = check_close(&got.to_vec(), &want, 1e-4, 1e-4) {
            panic!("conv2d case {i} ({xs:?}, {kernel:?}, {o:?}): {e}");
        }
    }
}

#[test]
fn conv2d_weight_matches_reference() {
    for (i, &(xs, out_channels, kernel, o, _)) in cases().iter().enumerate() {
        let seed = 10 * i as u64 + 3;
        let x = tensor(&xs, -1.0, 1.0, seed);
        let out_size = (
            conv_size(xs[2], kernel.0, o.stride.0, o.padding.0, o.dilation.0),
            conv_size(xs[3], kernel.1, o.stride.1, o.padding.1, o.dilation.1),
        );
        let dy = tensor(&[xs[0], out_channels, out_size.0, out_size.1], -1.0, 1.0, seed + 1);
        let got = conv2d_weight(&x, &dy, kernel, o);
        let (want, shape) = conv2d_weight_reference(&x, &dy, kernel, o);
        assert_eq!(got.shape(), shape, "case {i}");
        if let Err(e) = check_close(&got.to_vec(), &want, 1e-4, 1e-4) {
            panic!("conv2d_weight case {i} ({xs:?}, {kernel:?}, {o:?}): {e}");
        }
    }
}

/// (input, out channels, kernel, options, output_padding, with bias).
type TransposedCase = ([usize; 4], usize, (usize, usize), Conv2dOptions, (usize, usize), bool);

fn transposed_cases() -> Vec<TransposedCase> {
    vec![
        ([2, 3, 5, 7], 4, (3, 3), Conv2dOptions::default(), (0, 0), true),
        // stride 2 with output padding on one axis, odd input
        ([2, 4, 5, 3], 6, (4, 3), options(2, (1, 2), 1, 2), (1, 0), false),
        // stride 3 and dilation 2: every phase has its own taps
        ([1, 2, 4, 5], 3, (3, 4), Conv2dOptions { stride: (3, 2), ..options(1, (2, 1), 2, 1) }, (2, 1), true),
        // kernel smaller than the stride: some output phases get no tap at all
        ([2, 3, 4, 4], 2, (1, 2), options(3, (0, 0), 1, 1), (1, 2), true),
        // the dcgan28 generator's last layer at batch 2 (one_channel_conv.wgsl)
        ([2, 64, 14, 14], 1, (4, 4), options(2, (1, 1), 1, 1), (0, 0), true),
        // the same kernel: outputs 11 x 13, so its 8 x 8 blocks end inside and
        // past the image, and a 1 x 1 input (every window position but one outside)
        ([3, 5, 5, 6], 1, (4, 4), options(2, (1, 1), 1, 1), (1, 1), false),
        ([2, 2, 1, 1], 1, (4, 4), options(2, (1, 1), 1, 1), (1, 0), true),
        // one output channel, stride 3 and dilation 2: phases of 0, 1 and 2 taps in the GEMM
        ([1, 5, 4, 5], 1, (3, 4), Conv2dOptions { stride: (3, 2), ..options(1, (2, 1), 2, 1) }, (2, 1), false),
        // one output channel per group of two
        ([2, 4, 3, 5], 2, (3, 3), options(2, (1, 1), 1, 2), (1, 1), true),
    ]
}

#[test]
fn conv_transpose2d_matches_reference() {
    for (i, &(xs, out_channels, kernel, o, extra, with_bias)) in transposed_cases().iter().enumerate() {
        let seed = 10 * i as u64 + 5;
        let x = tensor(&xs, -1.0, 1.0, seed);
        let w = tensor(&[xs[1], out_channels / o.groups, kernel.0, kernel.1], -1.0, 1.0, seed + 1);
        let b = tensor(&[out_channels], -1.0, 1.0, seed + 2);
        let bias = with_bias.then_some(&b);
        let got = conv_transpose2d(&x, &w, bias, o, extra);
        let (want, shape) = conv_transpose2d_reference(&x, &w, bias, o, extra);
        assert_eq!(got.shape(), shape, "case {i}");
        if let Err(e) = check_close(&got.to_vec(), &want, 1e-4, 1e-4) {
            panic!("conv_transpose2d case {i} ({xs:?}, {kernel:?}, {o:?}, {extra:?}): {e}");
        }
    }
}

/// Every blocking the GEMM sweep times (`ganforge bench --sweep gemm`) gives
/// the same three convolutions, on products that leave partial tiles for all
/// of them (M 6 or 3, N 50 or 18, K 18 or 50; two groups for the transposed
/// one), with the bias the kernel adds as it stores (each output channel's
/// its own, so a wrong channel index shows).
#[test]
fn every_sweep_blocking_gives_the_same_convolutions() {
    let o = options(2, (1, 2), 1, 1);
    let x = tensor(&[2, 3, 9, 7], -1.0, 1.0, 91);
    let w = tensor(&[6, 3, 3, 2], -1.0, 1.0, 92);
    let bias = tensor(&[6], -1.0, 1.0, 96);
    let (conv_want, out_shape) = conv2d_reference(&x, &w, Some(&bias), o);
    let dy = tensor(&out_shape, -1.0, 1.0, 93);
    let (weight_want, _) = conv2d_weight_reference(&x, &dy, (3, 2), o);
    let (t, t_options, extra) = (tensor(&[2, 4, 5, 3], -1.0, 1.0, 94), options(2, (1, 2), 1, 2), (1, 0));
    let t_weight = tensor(&[4, 3, 4, 3], -1.0, 1.0, 95);
    let (transposed_want, _) = conv_transpose2d_reference(&t, &t_weight, Some(&bias), t_options, extra);
    for blocking in sweep_blockings() {
        let label = blocking_label(blocking);
        let got = conv2d_blocked(&x, &w, Some(&bias), o, Some(blocking)).to_vec();
        check(&format!("conv2d with {label}"), check_close(&got, &conv_want, 1e-4, 1e-4));
        let got = conv2d_weight_blocked(&x, &dy, (3, 2), o, Some(blocking)).to_vec();
        check(&format!("conv2d_weight with {label}"), check_close(&got, &weight_want, 1e-4, 1e-4));
        let got = conv_transpose2d_blocked(&t, &t_weight, Some(&bias), t_options, extra, Some(blocking)).to_vec();
        check(&format!("conv_transpose2d with {label}"), check_close(&got, &transposed_want, 1e-4, 1e-4));
    }
}

fn dot(a: &Tensor, b: &Tensor) -> f64 {
    a.to_vec().iter().zip(b.to_vec()).map(|(&u, v)| f64::from(u) * f64::from(v)).sum()
}

/// <conv2d(x, w), y> = <x, conv_transpose2d(y, w)> = <w, conv2d_weight(x, y)>:
/// the three ops contract the same trilinear form (see ops/conv.rs).
#[test]
fn the_three_ops_are_adjoint() {
    for (i, &(xs, out_channels, kernel, o, _)) in cases().iter().enumerate() {
        let seed = 10 * i as u64 + 7;
        let x = tensor(&xs, -1.0, 1.0, seed);
        let w = tensor(&[out_channels, xs[1] / o.groups, kernel.0, kernel.1], -1.0, 1.0, seed + 1);
        let y_shape = conv2d(&x, &w, None, o).shape().to_vec();
        let y = tensor(&y_shape, -1.0, 1.0, seed + 2);
        // The output_padding that maps y's size back onto x's.
        let extra =
            |a: usize, out: usize, k: usize, s: usize, p: usize, d: usize| a + 2 * p - (out - 1) * s - d * (k - 1) - 1;
        let output_padding = (
            extra(xs[2], y_shape[2], kernel.0, o.stride.0, o.padding.0, o.dilation.0),
            extra(xs[3], y_shape[3], kernel.1, o.stride.1, o.padding.1, o.dilation.1),
        );
        let forward = dot(&conv2d(&x, &w, None, o), &y);
        let transposed = dot(&x, &conv_transpose2d(&y, &w, None, o, output_padding));
        let weight = dot(&w, &conv2d_weight(&x, &y, kernel, o));
        let tolerance = 1e-4 * (1.0 + forward.abs());
        assert!(
            (forward - transposed).abs() < tolerance && (forward - weight).abs() < tolerance,
            "case {i}: <conv2d(x, w), y> = {forward}, <x, conv_transpose2d(y, w)> = {transposed}, <w, conv2d_weight(x, y)> = {weight}"
        );
    }
}

fn check(name: &str, result: Result<(), String>) {
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
}

#[test]
fn conv2d_gradients() {
    let o = options(2, (1, 1), 1, 2);
    let x = tensor(&[1, 4, 5, 4], -1.0, 1.0, 1);
    let w = tensor(&[2, 2, 3, 2], -1.0, 1.0, 2);
    let b = tensor(&[2], -1.0, 1.0, 3);
    check("conv2d", gradcheck(|t| conv2d(&t[0], &t[1], Some(&t[2]), o), &[x, w, b]));
    let dilated = options(1, (2, 1), 2, 1);
    let x = tensor(&[2, 1, 4, 5], -1.0, 1.0, 4);
    let w = tensor(&[2, 1, 2, 3], -1.0, 1.0, 5);
    check("dilated conv2d", gradcheck(|t| conv2d(&t[0], &t[1], None, dilated), &[x, w]));
}

#[test]
fn conv_transpose2d_gradients() {
    let o = options(2, (1, 0), 1, 2);
    let x = tensor(&[2, 2, 3, 2], -1.0, 1.0, 6);
    let w = tensor(&[2, 1, 3, 2], -1.0, 1.0, 7);
    let b = tensor(&[2], -1.0, 1.0, 8);
    check("conv_transpose2d", gradcheck(|t| conv_transpose2d(&t[0], &t[1], Some(&t[2]), o, (1, 0)), &[x, w, b]));
}

/// The convolutions with a 1-channel image side that one_channel_conv.wgsl
/// computes directly (stride 2, 4 x 4, padding 1): a transposed one into the
/// image, whose weight gradient is the kernel's too, and a conv2d from the
/// image, whose input and weight gradients are, and which a gradient penalty
/// differentiates again: first and second derivatives.
#[test]
fn one_channel_conv_gradients() {
    let o = options(2, (1, 1), 1, 1);
    let x = tensor(&[2, 2, 3, 2], -1.0, 1.0, 17);
    let w = tensor(&[2, 1, 4, 4], -1.0, 1.0, 18);
    let b = tensor(&[1], -1.0, 1.0, 19);
    check("conv_transpose2d", gradcheck(|t| conv_transpose2d(&t[0], &t[1], Some(&t[2]), o, (1, 0)), &[x, w, b]));
    let image = tensor(&[2, 1, 5, 4], -1.0, 1.0, 20);
    let w = tensor(&[2, 1, 4, 4], -1.0, 1.0, 21);
    check("conv2d", gradgradcheck(|t| conv2d(&t[0], &t[1], None, o).powf(2.0), &[image, w]));
}

/// conv2d with a ReLU or leaky ReLU applied as it stores (conv.wgsl's
/// store_c, for a slope other than 1) gives the bits of conv2d then the
/// activation, forward and backward at first order and with create_graph,
/// with and without a bias; its gradients pass the finite-difference checks
/// to second order (a gradient penalty differentiates DCGAN's first layer,
/// which is one).
#[test]
fn conv2d_with_a_fused_activation_matches_the_two_ops() {
    let o = options(2, (1, 1), 1, 1);
    for (i, slope) in [0.2f32, 0.0].into_iter().enumerate() {
        let seed = 30 + 5 * i as u64;
        let x = tensor(&[3, 2, 9, 7], -1.0, 1.0, seed).requires_grad_();
        let w = tensor(&[5, 2, 4, 3], -1.0, 1.0, seed + 1).requires_grad_();
        let b = tensor(&[5], -1.0, 1.0, seed + 2).requires_grad_();
        let bias = (i == 0).then_some(&b);
        let fused = conv2d_activated(&x, &w, bias, o, slope);
        let apart = conv2d(&x, &w, bias, o).leaky_relu(slope);
        assert_eq!(fused.to_vec(), apart.to_vec(), "slope {slope}: forward");
        let r = tensor(fused.shape(), -1.0, 1.0, seed + 3);
        let inputs: Vec<&Tensor> = [&x, &w].into_iter().chain(bias).collect();
        for create_graph in [false, true] {
            let fused_grads = ganforge::grad(&[&fused.mul(&r).sum_all()], &inputs, create_graph);
            let apart_grads = ganforge::grad(&[&apart.mul(&r).sum_all()], &inputs, create_graph);
            for (f, a) in fused_grads.iter().zip(&apart_grads) {
                assert_eq!(f.to_vec(), a.to_vec(), "slope {slope}, create_graph {create_graph}");
            }
        }
        let x = tensor(&[2, 2, 4, 3], -1.0, 1.0, seed + 4);
        let w = tensor(&[2, 2, 2, 2], -1.0, 1.0, seed + 5);
        let b = tensor(&[2], -1.0, 1.0, seed + 6);
        let activated = move |t: &[Tensor]| conv2d_activated(&t[0], &t[1], Some(&t[2]), o, slope);
        check("conv2d_activated", gradcheck(activated, &[x.clone(), w.clone(), b.clone()]));
        check("conv2d_activated", gradgradcheck(move |t| activated(t).powf(2.0), &[x, w, b]));
    }
}

#[test]
#[should_panic(expected = "conv2d_activated: negative_slope must be >= 0 (0 for a ReLU), got -0.5")]
fn a_negative_activation_slope_is_refused() {
    let x = tensor(&[1, 1, 3, 3], -1.0, 1.0, 1);
    let w = tensor(&[1, 1, 2, 2], -1.0, 1.0, 2);
    conv2d_activated(&x, &w, None, Conv2dOptions::default(), -0.5);
}

#[test]
fn conv2d_weight_gradients() {
    let o = options(2, (1, 1), 1, 1);
    let x = tensor(&[2, 2, 5, 4], -1.0, 1.0, 9);
    let dy = tensor(&[2, 2, 3, 2], -1.0, 1.0, 10);
    check("conv2d_weight", gradcheck(|t| conv2d_weight(&t[0], &t[1], (3, 3), o), &[x, dy]));
}

#[test]
fn conv_second_derivatives() {
    // Squared outputs make the second derivatives depend on both arguments.
    // Batch 2 here and in the two tests above: the weight gradient sums over
    // the batch, and with one sample a missing sum would not show.
    // With the bias the kernel adds: its gradient must itself differentiate.
    let o = options(2, (1, 1), 1, 1);
    let x = tensor(&[2, 2, 4, 3], -1.0, 1.0, 11);
    let w = tensor(&[2, 2, 2, 2], -1.0, 1.0, 12);
    let b = tensor(&[2], -1.0, 1.0, 15);
    check("conv2d", gradgradcheck(|t| conv2d(&t[0], &t[1], Some(&t[2]), o).powf(2.0), &[x, w, b]));
    let x = tensor(&[2, 2, 2, 3], -1.0, 1.0, 13);
    let w = tensor(&[2, 1, 3, 2], -1.0, 1.0, 14);
    let b = tensor(&[1], -1.0, 1.0, 16);
    check(
        "conv_transpose2d",
        gradgradcheck(|t| conv_transpose2d(&t[0], &t[1], Some(&t[2]), o, (1, 0)).powf(2.0), &[x, w, b]),
    );
}

#[test]
#[should_panic(expected = "conv2d: input [1, 3, 5, 5] and weight [4, 2, 3, 3] do not fit 1 groups")]
fn mismatched_channels_are_refused_with_both_shapes() {
    conv2d(&Tensor::zeros(&[1, 3, 5, 5]), &Tensor::zeros(&[4, 2, 3, 3]), None, Conv2dOptions::default());
}
