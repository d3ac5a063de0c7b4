//! Resampling ops (`ops/resample.rs`): nearest and smoothed upsampling, smoothed
//! downsampling, average pooling and
//! reflection padding against plain-Rust references, and their gradients.
mod common;
use common::*;
use ganforge::{grad, Tensor};

/// out[b, y, x] = value(b, y, x) for every plane b of an [N, C, H, W] output.
fn planes(shape: [usize; 4], value: impl Fn(usize, usize, usize) -> f64) -> Vec<f64> {
    let mut out = Vec::new();
    for b in 0..shape[0] * shape[1] {
        for y in 0..shape[2] {
            for x in 0..shape[3] {
                out.push(value(b, y, x));
            }
        }
    }
    out
}

#[test]
fn upsample_repeats_each_pixel_in_a_block() {
    for (shape, factor) in [([2usize, 3, 3, 5], 2usize), ([1, 2, 1, 3], 3), ([1, 1, 2, 2], 1)] {
        let x = tensor(&shape, -1.0, 1.0, 1);
        let xv = x.to_vec();
        let (h, w) = (shape[2], shape[3]);
        let out_shape = [shape[0], shape[1], h * factor, w * factor];
        let want = planes(out_shape, |b, y, c| f64::from(xv[(b * h + y / factor) * w + c / factor]));
        let y = x.upsample_nearest2d(factor);
        assert_eq!(y.shape(), out_shape);
        assert_close(&y.to_vec(), &want, 0.0, 0.0);
    }
}

#[test]
fn avg_pool_averages_each_window_counting_padding() {
    // (shape, kernel, stride, padding): non-overlapping with a dropped last
    // row/column, overlapping with padding, stride 1, and a padded 3x3 stride 3.
    let cases = [
        ([2usize, 3, 5, 7], 2usize, 2usize, 0usize),
        ([1, 2, 7, 5], 3, 2, 1),
        ([1, 1, 5, 3], 3, 1, 0),
        ([1, 1, 4, 5], 3, 3, 1),
    ];
    for (k, &(shape, kernel, stride, padding)) in cases.iter().enumerate() {
        let x = tensor(&shape, -1.0, 1.0, k as u64);
        let xv = x.to_vec();
        let (h, w) = (shape[2] as isize, shape[3] as isize);
        let out_h = (shape[2] + 2 * padding - kernel) / stride + 1;
        let out_w = (shape[3] + 2 * padding - kernel) / stride + 1;
        let want = planes([shape[0], shape[1], out_h, out_w], |b, i, j| {
            let mut sum = 0.0;
            for r in 0..kernel as isize {
                for c in 0..kernel as isize {
                    let (y, x) =
                        ((i * stride) as isize - padding as isize + r, (j * stride) as isize - padding as isize + c);
                    if (0..h).contains(&y) && (0..w).contains(&x) {
                        sum += f64::from(xv[((b as isize * h + y) * w + x) as usize]);
                    }
                }
            }
            sum / (kernel * kernel) as f64
        });
        let y = x.avg_pool2d(kernel, stride, padding);
        assert_eq!(y.shape(), [shape[0], shape[1], out_h, out_w], "case {k}");
        assert_close(&y.to_vec(), &want, 1e-6, 1e-5);
    }
}

/// PyTorch's reflection: -k below 0, 2(n - 1) - k past the end.
fn reflect(k: isize, n: usize) -> usize {
    let last = n as isize - 1;
    (if k < 0 {
        -k
    } else if k > last {
        2 * last - k
    } else {
        k
    }) as usize
}

#[test]
fn reflection_pad_mirrors_without_repeating_the_edge() {
    // Uneven paddings, and padding n - 1 on both sides of a side of 2 (each
    // source row is then read by up to three padded rows).
    let cases = [([2usize, 3, 5, 4], [(1usize, 2usize), (3, 0)]), ([1, 1, 2, 3], [(1, 1), (2, 2)])];
    for (shape, padding) in cases {
        let x = tensor(&shape, -1.0, 1.0, 9);
        let xv = x.to_vec();
        let (h, w) = (shape[2], shape[3]);
        let out_shape = [shape[0], shape[1], padding[0].0 + h + padding[0].1, padding[1].0 + w + padding[1].1];
        let want = planes(out_shape, |b, y, c| {
            let (r, s) =
                (reflect(y as isize - padding[0].0 as isize, h), reflect(c as isize - padding[1].0 as isize, w));
            f64::from(xv[(b * h + r) * w + s])
        });
        let y = x.reflection_pad2d(padding);
        assert_eq!(y.shape(), out_shape);
        assert_close(&y.to_vec(), &want, 0.0, 0.0);
    }
    // A known row: [1, 2, 3] padded by 2 on each side is [3, 2, 1, 2, 3, 2, 1].
    let row = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[1, 1, 1, 3]).reflection_pad2d([(0, 0), (2, 2)]);
    assert_eq!(row.to_vec(), [3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]);
}

#[test]
#[should_panic(expected = "must be smaller than the sides of input shape [1, 1, 2, 3]")]
fn reflection_pad_refuses_padding_as_large_as_the_side() {
    drop(Tensor::zeros(&[1, 1, 2, 3]).reflection_pad2d([(2, 0), (0, 0)]));
}

/// Upsampling and sum-pooling are adjoint: the gradient of sum(r * upsample(x, f))
/// at x[b, i, j] is the sum of r over the f x f block that pixel was copied to,
/// r[b, f i + u, f j + v] for u, v < f.
#[test]
fn upsample_gradient_sums_each_block() {
    let (shape, factor) = ([2usize, 3, 3, 2], 3usize);
    let x = tensor(&shape, -1.0, 1.0, 10).requires_grad_();
    let r = tensor(&[2, 3, 9, 6], -1.0, 1.0, 11);
    let loss = x.upsample_nearest2d(factor).mul(&r).sum_all();
    let dx = grad(&[&loss], &[&x], false).remove(0);
    let rv = r.to_vec();
    let out_w = shape[3] * factor;
    let want = planes(shape, |b, i, j| {
        let block_row = |u: usize| (b * shape[2] * factor + i * factor + u) * out_w + j * factor;
        (0..factor).flat_map(|u| (0..factor).map(move |v| block_row(u) + v)).map(|k| f64::from(rv[k])).sum()
    });
    assert_close(&dx.to_vec(), &want, 1e-5, 1e-5);
}

/// Second derivatives through a square: these ops are linear in x, so their own
/// second derivative is 0, which a gradient without a graph would also give;
/// the gradient of op(x)^2 is op's backward applied to 2 op(x), and its
/// derivative reaches x only if that backward was recorded under create_graph.
fn check_to_second_order(name: &str, op: impl Fn(&Tensor) -> Tensor, input: Tensor) {
    let input = [input];
    check(name, |x| op(&x[0]), &input);
    check2(name, |x| op(&x[0]).powf(2.0), &input);
}

#[test]
fn smooth_upsampling_is_the_1_3_3_1_filter_on_each_axis() {
    for shape in [[2usize, 3, 3, 5], [1, 1, 1, 1], [1, 2, 4, 2]] {
        let x = tensor(&shape, -1.0, 1.0, 2);
        let xv = x.to_vec();
        let (h, w) = (shape[2], shape[3]);
        // Along an axis of n values: output 2i weighs x[i-1] by 1/4 and x[i] by 3/4,
        // output 2i+1 x[i] by 3/4 and x[i+1] by 1/4; x is zero outside [0, n).
        let taps = |out: usize, n: usize| -> Vec<(usize, f64)> {
            let (i, neighbour) =
                (out / 2, if out.is_multiple_of(2) { (out / 2).checked_sub(1) } else { Some(out / 2 + 1) });
            let mut taps = vec![(i, 0.75)];
            taps.extend(neighbour.filter(|&j| j < n).map(|j| (j, 0.25)));
            taps
        };
        let out_shape = [shape[0], shape[1], 2 * h, 2 * w];
        let want = planes(out_shape, |b, y, c| {
            let mut sum = 0.0;
            for (row, wy) in taps(y, h) {
                for (col, wx) in taps(c, w) {
                    sum += wy * wx * f64::from(xv[(b * h + row) * w + col]);
                }
            }
            sum
        });
        let y = x.upsample_smooth2d();
        assert_eq!(y.shape(), out_shape);
        assert_close(&y.to_vec(), &want, 1e-6, 1e-6);
    }
}

#[test]
fn smoothing_is_the_1_3_3_1_filter_over_the_padded_map() {
    // out[i, j] = sum over a, b in 0..4 of f[a] f[b] x[s i + a - p, s j + b - p] with
    // f = [1, 3, 3, 1] / 8 and x zero outside the map: the 4x4 filter written out.
    let filter = [0.125, 0.375, 0.375, 0.125];
    let cases = [([2usize, 3, 5, 7], 1usize, 2usize), ([1, 2, 6, 4], 2, 1), ([1, 1, 4, 9], 0, 1), ([2, 1, 3, 5], 3, 2)];
    for (shape, padding, stride) in cases {
        let x = tensor(&shape, -1.0, 1.0, 3);
        let xv = x.to_vec();
        let (h, w) = (shape[2], shape[3]);
        let side = |n: usize| (n + 2 * padding - 4) / stride + 1;
        let out_shape = [shape[0], shape[1], side(h), side(w)];
        let pixel = |b: usize, row: usize, col: usize| -> f64 {
            let (row, col) = (row.checked_sub(padding), col.checked_sub(padding));
            match (row, col) {
                (Some(row), Some(col)) if row < h && col < w => f64::from(xv[(b * h + row) * w + col]),
                _ => 0.0,
            }
        };
        let want = planes(out_shape, |b, y, c| {
            let mut sum = 0.0;
            for (a, fa) in filter.iter().enumerate() {
                for (d, fd) in filter.iter().enumerate() {
                    sum += fa * fd * pixel(b, stride * y + a, stride * c + d);
                }
            }
            sum
        });
        let y = x.smooth2d(padding, stride);
        assert_eq!(y.shape(), out_shape, "padding {padding}, stride {stride}");
        assert_close(&y.to_vec(), &want, 1e-6, 1e-6);
    }
}

#[test]
fn smooth_downsampling_halves_through_the_filter() {
    let x = tensor(&[1, 2, 6, 4], -1.0, 1.0, 4);
    let y = x.downsample_smooth2d();
    assert_eq!(y.shape(), [1, 2, 3, 2]);
    let want: Vec<f64> = x.smooth2d(1, 2).to_vec().iter().map(|&v| f64::from(v)).collect();
    assert_close(&y.to_vec(), &want, 0.0, 0.0);
    // The filter sums to one: output (1, 1) of an all-ones 6x6 map reads rows and
    // columns 1 to 4, all inside the map, so it is exactly 1.
    let ones = Tensor::ones(&[1, 1, 6, 6]).downsample_smooth2d().to_vec();
    assert!((ones[4] - 1.0).abs() < 1e-6, "the filter does not sum to one: {}", ones[4]);
}

#[test]
fn upsample_and_avg_pool_gradients_to_second_order() {
    check_to_second_order("upsample_smooth2d", |x| x.upsample_smooth2d(), tensor(&[1, 2, 3, 2], -1.0, 1.0, 23));
    check_to_second_order("smooth2d", |x| x.smooth2d(2, 1), tensor(&[1, 2, 3, 4], -1.0, 1.0, 24));
    check_to_second_order("downsample_smooth2d", |x| x.downsample_smooth2d(), tensor(&[1, 2, 4, 6], -1.0, 1.0, 25));
    // Stride 3: two taps of four reach a pixel, or one.
    check_to_second_order("smooth2d, stride 3", |x| x.smooth2d(1, 3), tensor(&[1, 1, 7, 8], -1.0, 1.0, 27));
    // An odd map: the gradient reaches every row and column, the last included.
    check_to_second_order(
        "downsample_smooth2d, odd",
        |x| x.downsample_smooth2d(),
        tensor(&[1, 1, 5, 3], -1.0, 1.0, 26),
    );
    check_to_second_order("upsample_nearest2d", |x| x.upsample_nearest2d(2), tensor(&[1, 2, 2, 3], -1.0, 1.0, 20));
    check_to_second_order("avg_pool2d", |x| x.avg_pool2d(3, 2, 1), tensor(&[1, 2, 5, 4], -1.0, 1.0, 21));
    check("avg_pool2d non-overlapping", |x| x[0].avg_pool2d(2, 2, 0), &[tensor(&[1, 1, 5, 3], -1.0, 1.0, 22)]);
}

#[test]
fn reflection_pad_gradient_folds_the_mirrors_back() {
    let pad = |x: &Tensor| x.reflection_pad2d([(2, 1), (1, 2)]);
    check_to_second_order("reflection_pad2d", pad, tensor(&[1, 2, 3, 3], -1.0, 1.0, 30));
}
