//! Convolutions against a direct f64 reference, their gradients (first and
//! second order), and the adjoint identity that defines conv_transpose2d.
mod common;
use common::*;
use ganforge::gradcheck::{gradcheck, gradgradcheck};
use ganforge::ops::conv::Conv2dOptions;
use ganforge::Tensor;

/// Direct convolution: y[n,o,i,j] = b[o] + sum over c in o's group, kh, kw of
/// w[o, c', kh, kw] x[n, c, i*s - p + kh*d, j*s - p + kw*d] (zero outside).
fn conv2d_reference(x: &Tensor, w: &Tensor, b: Option<&Tensor>, opt: Conv2dOptions) -> (Vec<f64>, Vec<usize>) {
    let (xs, ws) = (x.shape().to_vec(), w.shape().to_vec());
    let (xv, wv) = (x.to_vec(), w.to_vec());
    let bv = b.map(Tensor::to_vec);
    let (n, c, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
    let (o, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
    let og = o / opt.groups;
    let oh = (h + 2 * opt.padding.0 - opt.dilation.0 * (kh - 1) - 1) / opt.stride.0 + 1;
    let ow = (wd + 2 * opt.padding.1 - opt.dilation.1 * (kw - 1) - 1) / opt.stride.1 + 1;
    let mut y = vec![0.0; n * o * oh * ow];
    for ni in 0..n {
        for oi in 0..o {
            let group = oi / og;
            for i in 0..oh {
                for j in 0..ow {
                    let mut sum = bv.as_ref().map_or(0.0, |b| f64::from(b[oi]));
                    for ci in 0..cg {
                        let cin = group * cg + ci;
                        for a in 0..kh {
                            for bb in 0..kw {
                                let ih = (i * opt.stride.0 + a * opt.dilation.0) as isize - opt.padding.0 as isize;
                                let iw = (j * opt.stride.1 + bb * opt.dilation.1) as isize - opt.padding.1 as isize;
                                if ih < 0 || iw < 0 || ih >= h as isize || iw >= wd as isize {
                                    continue;
                                }
                                let xval = xv[((ni * c + cin) * h + ih as usize) * wd + iw as usize];
                                let wval = wv[((oi * cg + ci) * kh + a) * kw + bb];
                                sum += f64::from(xval) * f64::from(wval);
                            }
                        }
                    }
                    y[((ni * o + oi) * oh + i) * ow + j] = sum;
                }
            }
        }
    }
    (y, vec![n, o, oh, ow])
}

fn options(stride: usize, padding: usize, dilation: usize, groups: usize) -> Conv2dOptions {
    Conv2dOptions::default().stride(stride).padding(padding).dilation(dilation).groups(groups)
}

#[test]
fn conv2d_matches_the_direct_sum() {
    // (input shape, weight shape, options): odd sizes, stride 2 on odd inputs,
    // padding 2, dilation 2, groups 2 and 3, non-square kernels.
    let cases: Vec<([usize; 4], [usize; 4], Conv2dOptions)> = vec![
        ([2, 3, 7, 9], [5, 3, 3, 3], options(1, 0, 1, 1)),
        ([2, 3, 7, 9], [5, 3, 3, 3], options(2, 1, 1, 1)),
        ([1, 4, 9, 7], [6, 2, 3, 2], options(2, 2, 1, 2)),
        ([3, 1, 11, 11], [4, 1, 4, 4], options(2, 1, 1, 1)),
        ([1, 6, 8, 9], [3, 2, 3, 3], Conv2dOptions { stride: (1, 2), padding: (2, 1), dilation: (2, 1), groups: 3 }),
    ];
    for (k, (xs, ws, opt)) in cases.into_iter().enumerate() {
        let x = tensor(&xs, -1.0, 1.0, k as u64);
        let w = tensor(&ws, -1.0, 1.0, 100 + k as u64);
        let b = tensor(&[ws[0]], -1.0, 1.0, 200 + k as u64);
        for bias in [None, Some(&b)] {
            let got = x.conv2d(&w, bias, opt);
            let (want, shape) = conv2d_reference(&x, &w, bias, opt);
            assert_eq!(got.shape(), shape.as_slice(), "case {k}");
            if let Err(e) = check_close(&got.to_vec(), &want, 1e-4, 1e-4) {
                panic!("conv2d case {k} ({xs:?} * {ws:?}, {opt:?}): {e}");
            }
        }
    }
}

/// <conv2d(x), y> = <x, conv_transpose2d(y)>: the transposed convolution is
/// the adjoint of the convolution (same weight, same options).
#[test]
fn conv_transpose2d_is_the_adjoint_of_conv2d() {
    let cases = [
        ([2, 4, 9, 7], [6, 2, 3, 3], options(2, 1, 1, 2)),
        ([1, 3, 8, 8], [2, 3, 4, 4], options(2, 1, 1, 1)),
        ([2, 2, 7, 6], [3, 2, 3, 2], options(1, 2, 2, 1)),
    ];
    for (k, (xs, ws, opt)) in cases.into_iter().enumerate() {
        let x = tensor(&xs, -1.0, 1.0, k as u64);
        let w = tensor(&ws, -1.0, 1.0, 10 + k as u64);
        let y_shape = x.conv2d(&w, None, opt).shape().to_vec();
        let y = tensor(&y_shape, -1.0, 1.0, 20 + k as u64);
        // Output padding recovers input sizes that the stride rounded away.
        let back = y.conv_transpose2d(&w, None, opt, (0, 0));
        let extra = (xs[2] - back.shape()[2], xs[3] - back.shape()[3]);
        let back = y.conv_transpose2d(&w, None, opt, extra);
        assert_eq!(back.shape(), x.shape(), "case {k}");
        let lhs: f64 =
            x.conv2d(&w, None, opt).to_vec().iter().zip(y.to_vec()).map(|(&a, b)| f64::from(a) * f64::from(b)).sum();
        let rhs: f64 = x.to_vec().iter().zip(back.to_vec()).map(|(&a, b)| f64::from(a) * f64::from(b)).sum();
        assert!((lhs - rhs).abs() < 1e-3 * (1.0 + lhs.abs()), "case {k}: {lhs} vs {rhs}");
    }
}

#[test]
fn conv_transpose2d_upsamples_as_in_dcgan() {
    // ConvTranspose2d(k4, s2, p1) doubles 7x7 to 14x14.
    let x = tensor(&[2, 3, 7, 7], -1.0, 1.0, 1);
    let w = tensor(&[3, 2, 4, 4], -1.0, 1.0, 2);
    assert_eq!(x.conv_transpose2d(&w, None, options(2, 1, 1, 1), (0, 0)).shape(), &[2, 2, 14, 14]);
}

#[test]
fn conv_gradients() {
    let opt = options(2, 1, 1, 1);
    let x = tensor(&[2, 2, 5, 5], -1.0, 1.0, 1);
    let w = tensor(&[3, 2, 3, 3], -1.0, 1.0, 2);
    let b = tensor(&[3], -1.0, 1.0, 3);
    gradcheck(|t| t[0].conv2d(&t[1], Some(&t[2]), opt), &[x.clone(), w.clone(), b.clone()])
        .unwrap_or_else(|e| panic!("conv2d: {e}"));
    let grouped = options(1, 1, 2, 2);
    gradcheck(
        |t| t[0].conv2d(&t[1], None, grouped),
        &[tensor(&[1, 4, 5, 5], -1.0, 1.0, 4), tensor(&[2, 2, 2, 2], -1.0, 1.0, 5)],
    )
    .unwrap_or_else(|e| panic!("grouped dilated conv2d: {e}"));
    let wt = tensor(&[2, 3, 3, 3], -1.0, 1.0, 6);
    gradcheck(
        |t| t[0].conv_transpose2d(&t[1], Some(&t[2]), opt, (1, 1)),
        &[tensor(&[1, 2, 3, 3], -1.0, 1.0, 7), wt, b.clone()],
    )
    .unwrap_or_else(|e| panic!("conv_transpose2d: {e}"));
    let g = tensor(&[2, 3, 3, 3], -1.0, 1.0, 8);
    gradcheck(|t| t[0].conv2d_weight(&t[1], &[3, 2, 3, 3], opt), &[x, g])
        .unwrap_or_else(|e| panic!("conv2d_weight: {e}"));
}

#[test]
fn conv2d_weight_is_the_weight_gradient() {
    let opt = options(2, 1, 1, 1);
    let x = tensor(&[2, 2, 6, 5], -1.0, 1.0, 1);
    let w = tensor(&[3, 2, 3, 3], -1.0, 1.0, 2).requires_grad_();
    let y = x.conv2d(&w, None, opt);
    let g = tensor(y.shape(), -1.0, 1.0, 3);
    y.mul(&g).sum_all().backward();
    assert_close(
        &x.conv2d_weight(&g, &[3, 2, 3, 3], opt).to_vec(),
        &w.grad().unwrap().to_vec().iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
        1e-5,
        1e-5,
    );
}

#[test]
fn conv_second_derivatives() {
    let opt = options(2, 1, 1, 1);
    let x = tensor(&[1, 2, 4, 4], -1.0, 1.0, 1);
    let w = tensor(&[2, 2, 3, 3], -1.0, 1.0, 2);
    // Squared so that the second derivative in x alone is not zero.
    gradgradcheck(|t| t[0].conv2d(&t[1], None, opt).powf(2.0), &[x.clone(), w.clone()])
        .unwrap_or_else(|e| panic!("conv2d: {e}"));
    let wt = tensor(&[2, 2, 3, 3], -1.0, 1.0, 3);
    gradgradcheck(
        |t| t[0].conv_transpose2d(&t[1], None, opt, (0, 0)).powf(2.0),
        &[tensor(&[1, 2, 2, 2], -1.0, 1.0, 4), wt],
    )
    .unwrap_or_else(|e| panic!("conv_transpose2d: {e}"));
}

#[test]
fn conv_shape_errors_name_the_shapes() {
    let message = std::panic::catch_unwind(|| {
        let x = Tensor::zeros(&[1, 3, 5, 5]);
        let w = Tensor::zeros(&[2, 4, 3, 3]);
        drop(x.conv2d(&w, None, Conv2dOptions::default()))
    })
    .err()
    .and_then(|e| e.downcast_ref::<String>().cloned())
    .unwrap_or_default();
    assert!(message.contains("[1, 3, 5, 5]") && message.contains("[2, 4, 3, 3]"), "{message}");
}
