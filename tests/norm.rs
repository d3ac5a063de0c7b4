//! Normalisation ops (`ops/norm.rs`, `ops/batch_norm.rs`, `ops/pixel_norm.rs`) against plain-Rust f64 references, their
//! gradients, and batch norm's running statistics.
mod common;
use common::*;
use ganforge::ops::batch_norm::RunningStats;
use ganforge::ops::norm::PIXEL_NORM_EPS;
use ganforge::ops::with_strided_run;
use ganforge::{grad, Tensor};

const EPS: f32 = 1e-5;

/// Mean and population variance of each of `groups` groups; element i belongs to group(i).
fn group_stats(x: &[f32], groups: usize, group: &dyn Fn(usize) -> usize) -> (Vec<f64>, Vec<f64>) {
    let (mut sum, mut count) = (vec![0.0; groups], vec![0.0; groups]);
    for (i, &v) in x.iter().enumerate() {
        sum[group(i)] += f64::from(v);
        count[group(i)] += 1.0;
    }
    let mean: Vec<f64> = sum.iter().zip(&count).map(|(s, c)| s / c).collect();
    let mut var = vec![0.0; groups];
    for (i, &v) in x.iter().enumerate() {
        var[group(i)] += (f64::from(v) - mean[group(i)]).powi(2) / count[group(i)];
    }
    (mean, var)
}

/// (x - mean) / sqrt(var + eps) per group, then value * scale(i) + shift(i).
fn reference_norm(
    x: &[f32],
    groups: usize,
    group: &dyn Fn(usize) -> usize,
    scale: &dyn Fn(usize) -> f64,
    shift: &dyn Fn(usize) -> f64,
) -> Vec<f64> {
    let (mean, var) = group_stats(x, groups, group);
    let eps = f64::from(EPS);
    (0..x.len())
        .map(|i| (f64::from(x[i]) - mean[group(i)]) / (var[group(i)] + eps).sqrt() * scale(i) + shift(i))
        .collect()
}

fn f64s(t: &Tensor) -> Vec<f64> {
    t.to_vec().into_iter().map(f64::from).collect()
}

/// The channel of flat index i in a contiguous [N, C, rest...] tensor with `rest` values per plane.
fn channel_of(i: usize, channels: usize, rest: usize) -> usize {
    (i / rest) % channels
}

#[test]
fn batch_norm_train_1d_and_2d_match_the_reference() {
    // [N, C] with N = 5 (BatchNorm1d) and [N, C, H, W] with odd sizes
    // (BatchNorm2d); values offset from zero so a missing mean subtraction shows.
    // - The kernels cut each row of S = H*W values into chunks of at most 64:
    //   one chunk for S = 1, 9, 20, 21, 49 and 55, and uneven ones for S = 99
    //   (50 + 49) and S = 289 (4 x 58 + 57), so a wrong length for a row's last
    //   chunk shows.
    // - The elementwise kernels take four values at a time, which straddle
    //   channels wherever S is not a multiple of 4 (every shape here but the
    //   last), and reach past the end of every length but 600, 720 and 120.
    //   Each invocation walks a run of them, carrying the channels forward:
    //   runs of 1 (a GPU's), 3 and 16 (a CPU driver's) all run.
    // - [2, 3, 7, 7] and [40, 2, 3, 3] (40 chunks per channel) sit far from
    //   zero (mean ~1000, spread 3): there E[x^2] - E[x]^2 in f32 would lose
    //   the variance, and even the mean loses digits unless each sum is taken
    //   relative to a value near it.
    // - The channel of a value is found by division in f32, whose estimate of
    //   55 / 55 is 0: S = 55 checks the correction.
    let shapes = [
        (vec![5usize, 3], 1u64, 1.0f32),
        (vec![3, 5, 3, 7], 2, 1.0),
        (vec![300, 2], 3, 1.0),
        (vec![3, 5, 9, 11], 4, 1.0),
        (vec![2, 3, 17, 17], 5, 1.0),
        (vec![2, 3, 7, 7], 6, 1000.0),
        (vec![40, 2, 3, 3], 8, 1000.0),
        (vec![3, 2, 5, 11], 7, 1.0),
        (vec![2, 3, 4, 5], 9, 1.0),
    ];
    for (shape, seed, low) in shapes {
        let (channels, rest) = (shape[1], shape[2..].iter().product::<usize>());
        let x = tensor(&shape, low, low + 3.0, seed);
        let weight = tensor(&[channels], 0.5, 1.5, seed + 10);
        let bias = tensor(&[channels], -1.0, 1.0, seed + 20);
        let (y, stats) = x.batch_norm_train(Some(&weight), Some(&bias), EPS);
        let (xv, wv, bv) = (x.to_vec(), f64s(&weight), f64s(&bias));
        let group = |i: usize| channel_of(i, channels, rest);
        let want = reference_norm(&xv, channels, &group, &|i| wv[group(i)], &|i| bv[group(i)]);
        assert_eq!(y.shape(), shape.as_slice());
        assert_close(&y.to_vec(), &want, 1e-4, 1e-4);
        for run in [1, 3] {
            let (y, _) = with_strided_run(run, || x.batch_norm_train(Some(&weight), Some(&bias), EPS));
            assert_close(&y.to_vec(), &want, 1e-4, 1e-4);
        }
        let (mean, var) = group_stats(&xv, channels, &group);
        assert_close(&stats.mean.to_vec(), &mean, 1e-5, 1e-5);
        assert_close(&stats.var.to_vec(), &var, 1e-5, 1e-4);
        assert_eq!(stats.count, shape[0] * rest);
        let unbiased: Vec<f64> = var.iter().map(|v| v * stats.count as f64 / (stats.count - 1) as f64).collect();
        assert_close(&stats.unbiased_var().to_vec(), &unbiased, 1e-5, 1e-4);
    }
}

#[test]
fn batch_norm_without_affine_has_zero_mean_unit_variance() {
    let x = tensor(&[7, 2, 1, 3], -3.0, 5.0, 3);
    let (y, _) = x.batch_norm_train(None, None, EPS);
    let (mean, var) = group_stats(&y.to_vec(), 2, &|i| channel_of(i, 2, 3));
    for c in 0..2 {
        assert!(mean[c].abs() < 1e-5, "channel {c} mean {}", mean[c]);
        assert!((var[c] - 1.0).abs() < 1e-3, "channel {c} variance {}", var[c]);
    }
}

/// Three training steps from PyTorch's initial state, by hand in f64:
/// running_mean <- (1 - m) running_mean + m mean,
/// running_var <- (1 - m) running_var + m var * n / (n - 1).
/// Then eval mode must normalise with exactly those averages.
#[test]
fn running_statistics_follow_the_momentum_rule_and_drive_eval_mode() {
    let (shape, channels, rest, momentum) = ([4usize, 3, 1, 5], 3usize, 5usize, 0.1f32);
    let count = shape[0] * rest;
    let m = f64::from(momentum);
    let running = RunningStats::new(channels);
    let (mut want_mean, mut want_var) = (vec![0.0f64; channels], vec![1.0f64; channels]);
    let group = |i: usize| channel_of(i, channels, rest);
    for step in 0..3u64 {
        let x = tensor(&shape, -1.0 + step as f32, 2.0 + 2.0 * step as f32, 30 + step);
        let (_, stats) = x.batch_norm_train(None, None, EPS);
        running.update(&stats, momentum);
        let (mean, var) = group_stats(&x.to_vec(), channels, &group);
        for c in 0..channels {
            want_mean[c] = (1.0 - m) * want_mean[c] + m * mean[c];
            want_var[c] = (1.0 - m) * want_var[c] + m * var[c] * count as f64 / (count - 1) as f64;
        }
    }
    assert_close(&running.mean.to_vec(), &want_mean, 1e-5, 1e-4);
    assert_close(&running.var.to_vec(), &want_var, 1e-5, 1e-4);
    assert!(!running.mean.tracks_grad() && !running.var.tracks_grad(), "running statistics must carry no graph");

    let x = tensor(&[2, 3, 1, 5], -2.0, 2.0, 40);
    let weight = tensor(&[channels], 0.5, 1.5, 41);
    let bias = tensor(&[channels], -1.0, 1.0, 42);
    let y = x.batch_norm_eval(&running, Some(&weight), Some(&bias), EPS);
    let (wv, bv) = (f64s(&weight), f64s(&bias));
    let want: Vec<f64> = x
        .to_vec()
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = group(i);
            (f64::from(v) - want_mean[c]) / (want_var[c] + f64::from(EPS)).sqrt() * wv[c] + bv[c]
        })
        .collect();
    assert_close(&y.to_vec(), &want, 1e-4, 1e-4);
}

#[test]
#[should_panic(expected = "the variance of one value is undefined")]
fn batch_norm_train_refuses_a_batch_of_one() {
    drop(Tensor::ones(&[1, 4]).batch_norm_train(None, None, EPS));
}

#[test]
#[should_panic(expected = "[1, 2, 1, 1] has 1 value per channel")]
fn batch_norm_train_refuses_one_value_per_channel_in_2d() {
    drop(Tensor::ones(&[1, 2, 1, 1]).batch_norm_train(None, None, EPS));
}

#[test]
fn batch_norm_eval_accepts_a_batch_of_one() {
    let running = RunningStats { mean: Tensor::from_vec(vec![1.0, -1.0], &[2]), var: Tensor::full(&[2], 4.0) };
    let y = Tensor::from_vec(vec![3.0, 3.0], &[1, 2]).batch_norm_eval(&running, None, None, 0.0);
    assert_close(&y.to_vec(), &[1.0, 2.0], 1e-6, 0.0); // (3 - 1) / 2, (3 + 1) / 2
}

#[test]
fn instance_norm_normalises_each_plane() {
    let shape = [2usize, 3, 5, 3];
    let x = tensor(&shape, -1.0, 3.0, 5);
    let weight = tensor(&[3], 0.5, 1.5, 6);
    let bias = tensor(&[3], -1.0, 1.0, 7);
    let y = x.instance_norm2d(Some(&weight), Some(&bias), EPS);
    let (wv, bv) = (f64s(&weight), f64s(&bias));
    let want =
        reference_norm(&x.to_vec(), 6, &|i| i / 15, &|i| wv[channel_of(i, 3, 15)], &|i| bv[channel_of(i, 3, 15)]);
    assert_close(&y.to_vec(), &want, 1e-4, 1e-4);
}

#[test]
#[should_panic(expected = "one pixel per plane")]
fn instance_norm_refuses_one_pixel_planes() {
    drop(Tensor::ones(&[2, 3, 1, 1]).instance_norm2d(None, None, EPS));
}

#[test]
#[should_panic(expected = "instance_norm2d_activated: negative_slope must be >= 0 (0 for a ReLU), got -0.5")]
fn instance_norm_refuses_a_negative_activation_slope() {
    drop(tensor(&[2, 3, 4, 4], -1.0, 1.0, 1).instance_norm2d_activated(EPS, -0.5));
}

#[test]
fn layer_norm_over_the_last_one_and_two_dims() {
    // Last dim of [3, 7]: 3 groups of 7; last two of [2, 3, 5]: 2 groups of 15,
    // with an elementwise affine shaped like the normalised block.
    let x = tensor(&[3, 7], -2.0, 4.0, 8);
    let y = x.layer_norm(1, None, None, EPS);
    assert_close(&y.to_vec(), &reference_norm(&x.to_vec(), 3, &|i| i / 7, &|_| 1.0, &|_| 0.0), 1e-4, 1e-4);

    let x = tensor(&[2, 3, 5], -2.0, 4.0, 9);
    let weight = tensor(&[3, 5], 0.5, 1.5, 10);
    let bias = tensor(&[3, 5], -1.0, 1.0, 11);
    let y = x.layer_norm(2, Some(&weight), Some(&bias), EPS);
    let (wv, bv) = (f64s(&weight), f64s(&bias));
    let want = reference_norm(&x.to_vec(), 2, &|i| i / 15, &|i| wv[i % 15], &|i| bv[i % 15]);
    assert_close(&y.to_vec(), &want, 1e-4, 1e-4);
}

#[test]
fn adain_scales_and_shifts_each_plane_by_its_style() {
    let x = tensor(&[2, 3, 3, 5], -1.0, 2.0, 12);
    let scale = tensor(&[2, 3], 0.5, 2.0, 13);
    let shift = tensor(&[2, 3], -1.0, 1.0, 14);
    let y = x.adain(&scale, &shift, EPS);
    let (sv, bv) = (f64s(&scale), f64s(&shift));
    let want = reference_norm(&x.to_vec(), 6, &|i| i / 15, &|i| sv[i / 15], &|i| bv[i / 15]);
    assert_close(&y.to_vec(), &want, 1e-4, 1e-4);
}

#[test]
fn pixel_norm_divides_by_the_rms_over_channels() {
    for shape in [vec![4usize, 7], vec![3, 5, 2, 3]] {
        let (channels, rest) = (shape[1], shape[2..].iter().product::<usize>());
        let x = tensor(&shape, -2.0, 2.0, 15);
        let xv = x.to_vec();
        let want: Vec<f64> = (0..xv.len())
            .map(|i| {
                let (n, pixel) = (i / (channels * rest), i % rest);
                let mean_square =
                    (0..channels).map(|c| f64::from(xv[(n * channels + c) * rest + pixel]).powi(2)).sum::<f64>()
                        / channels as f64;
                f64::from(xv[i]) / (mean_square + f64::from(PIXEL_NORM_EPS)).sqrt()
            })
            .collect();
        assert_close(&x.pixel_norm().to_vec(), &want, 1e-5, 1e-4);
    }
}

#[test]
fn batch_norm_gradients() {
    let w = tensor(&[3], 0.5, 1.5, 21);
    let b = tensor(&[3], -1.0, 1.0, 22);
    let train = |x: &[Tensor]| x[0].batch_norm_train(Some(&x[1]), Some(&x[2]), EPS).0;
    check("batch_norm_train 1d", train, &[tensor(&[5, 3], -1.0, 1.0, 20), w.clone(), b.clone()]);
    check("batch_norm_train 2d", train, &[tensor(&[2, 3, 1, 3], -1.0, 1.0, 23), w.clone(), b.clone()]);
    check2("batch_norm_train 1d", train, &[tensor(&[4, 3], -1.0, 1.0, 24), w.clone(), b.clone()]);
    let running = RunningStats { mean: tensor(&[3], -0.5, 0.5, 25), var: tensor(&[3], 0.5, 2.0, 26) };
    let eval = |x: &[Tensor]| x[0].batch_norm_eval(&running, Some(&x[1]), Some(&x[2]), EPS);
    check("batch_norm_eval", eval, &[tensor(&[2, 3, 1, 3], -1.0, 1.0, 27), w, b]);
}

/// Batch norm with its activation fused (a ReLU, a leaky ReLU) gives the
/// bits of the two ops one after the other, forward and backward (fused
/// kernels and the create_graph composition alike), and its gradients pass
/// the finite-difference checks to second order.
#[test]
fn batch_norm_with_a_fused_activation_matches_the_two_ops() {
    for (shape, slope) in [([3usize, 4, 9, 11], 0.2f32), ([6, 5, 1, 1], 0.0), ([4, 3, 2, 6], 0.2), ([5, 3, 1, 1], 0.0)]
    {
        let x = tensor(&shape, -2.0, 3.0, 60).requires_grad_();
        let w = tensor(&[shape[1]], 0.5, 1.5, 61).requires_grad_();
        let b = tensor(&[shape[1]], -1.0, 1.0, 62).requires_grad_();
        let r = tensor(&shape, -1.0, 1.0, 63);
        let fused = x.batch_norm_train_activated(Some(&w), Some(&b), EPS, slope).0;
        let apart = x.batch_norm_train(Some(&w), Some(&b), EPS).0.leaky_relu(slope);
        assert_eq!(fused.to_vec(), apart.to_vec(), "{shape:?}, slope {slope}: forward");
        let inputs = [&x, &w, &b];
        for create_graph in [false, true] {
            let fused_grads = grad(&[&fused.mul(&r).sum_all()], &inputs, create_graph);
            let apart_grads = grad(&[&apart.mul(&r).sum_all()], &inputs, create_graph);
            for (f, a) in fused_grads.iter().zip(&apart_grads) {
                assert_eq!(f.to_vec(), a.to_vec(), "{shape:?}, slope {slope}, create_graph {create_graph}");
            }
        }
    }
    let (w, b) = (tensor(&[3], 0.5, 1.5, 64), tensor(&[3], -1.0, 1.0, 65));
    for slope in [0.0f32, 0.2] {
        let train = move |x: &[Tensor]| x[0].batch_norm_train_activated(Some(&x[1]), Some(&x[2]), EPS, slope).0;
        check("batch_norm_train_activated 2d", train, &[tensor(&[2, 3, 1, 3], -1.0, 1.0, 66), w.clone(), b.clone()]);
        check2("batch_norm_train_activated 1d", train, &[tensor(&[4, 3], -1.0, 1.0, 67), w.clone(), b.clone()]);
    }
}

/// The backward rule runs the fused kernels at first order and a composition
/// of differentiable ops when the gradient is recorded (create_graph); both
/// must give the same numbers, also with rows of several uneven chunks
/// (S = 99, 289), with one value per row (S = 1), with rows of a multiple of 4
/// (S = 12, where four values share one channel), and without affine parameters.
#[test]
fn batch_norm_fused_and_composed_gradients_agree() {
    for (shape, affine) in [
        ([3usize, 4, 9, 11], true),
        ([6, 5, 1, 1], false),
        ([2, 3, 17, 17], true),
        ([300, 2, 1, 1], true),
        ([4, 3, 2, 6], true),
    ] {
        let x = tensor(&shape, -2.0, 3.0, 50).requires_grad_();
        let w = tensor(&[shape[1]], 0.5, 1.5, 51).requires_grad_();
        let b = tensor(&[shape[1]], -1.0, 1.0, 52).requires_grad_();
        let r = tensor(&shape, -1.0, 1.0, 53);
        let (weight, bias) = if affine { (Some(&w), Some(&b)) } else { (None, None) };
        let loss = x.batch_norm_train(weight, bias, EPS).0.mul(&r).sum_all();
        let inputs: Vec<&Tensor> = if affine { vec![&x, &w, &b] } else { vec![&x] };
        let composed = grad(&[&loss], &inputs, true);
        assert!(composed[0].tracks_grad(), "the create_graph gradient of x must carry a graph");
        // The fused kernels with runs of 1 (a GPU's), 3 and this adapter's.
        for run in [Some(1), Some(3), None] {
            let fused = match run {
                Some(run) => with_strided_run(run, || grad(&[&loss], &inputs, false)),
                None => grad(&[&loss], &inputs, false),
            };
            for (f, c) in fused.iter().zip(&composed) {
                assert_close(&f.to_vec(), &f64s(c), 1e-5, 1e-4);
            }
        }
    }
}

#[test]
fn instance_and_layer_norm_gradients_to_second_order() {
    let w = tensor(&[2], 0.5, 1.5, 31);
    let b = tensor(&[2], -1.0, 1.0, 32);
    let instance = |x: &[Tensor]| x[0].instance_norm2d(Some(&x[1]), Some(&x[2]), EPS);
    // Planes of 2 x 3: a plane of one row would not tell rows from planes.
    let inputs = [tensor(&[2, 2, 2, 3], -1.0, 1.0, 30), w, b];
    check("instance_norm2d", instance, &inputs);
    check2("instance_norm2d", instance, &inputs);

    // Normalising the last two dims of [2, 3, 5] pools 15 values; over the last
    // one alone it would pool 5 (with a middle dim of 1 the two are the same).
    let layer = |x: &[Tensor]| x[0].layer_norm(2, Some(&x[1]), Some(&x[2]), EPS);
    let inputs = [tensor(&[2, 3, 5], -1.0, 1.0, 33), tensor(&[3, 5], 0.5, 1.5, 34), tensor(&[3, 5], -1.0, 1.0, 35)];
    check("layer_norm", layer, &inputs);
    check2("layer_norm", layer, &inputs);
}

/// Pixel norm's backward rule has two forms (ops/pixel_norm.rs): the kernel,
/// and the same formula in differentiable ops when a graph is recorded. The
/// finite-difference checks see each form only against itself at second
/// order, so the two must agree here, on awkward shapes ([N, C] included).
#[test]
fn pixel_norm_kernel_and_composed_gradients_agree() {
    for (seed, shape) in [vec![5usize, 3], vec![2, 7, 3, 5], vec![3, 1, 2, 9]].into_iter().enumerate() {
        let seed = 60 + 2 * seed as u64;
        let x = tensor(&shape, -2.0, 3.0, seed).requires_grad_();
        let weights = tensor(&shape, -1.0, 1.0, seed + 1);
        let loss = x.pixel_norm().mul(&weights).sum_all();
        let composed = grad(&[&loss], &[&x], true).remove(0);
        assert!(composed.tracks_grad(), "the create_graph gradient of x must carry a graph");
        let kernel = grad(&[&loss], &[&x], false).remove(0);
        assert_close(&kernel.to_vec(), &f64s(&composed), 1e-5, 1e-4);
    }
}

/// AdaIN runs on batch norm's kernels, each plane one channel of a batch of
/// one; its first-order gradients must match those of the plain composition
/// (mean, population variance, normalise, scale, shift) to f32 rounding, on
/// a StyleGAN-sized layer and an awkward one.
#[test]
fn adain_gradients_match_the_composition() {
    for (seed, [n, c, h, w]) in [[8usize, 16, 8, 8], [3, 5, 7, 3]].into_iter().enumerate() {
        let seed = 70 + 4 * seed as u64;
        let x = tensor(&[n, c, h, w], -2.0, 3.0, seed).requires_grad_();
        let scale = tensor(&[n, c], 0.5, 1.5, seed + 1).requires_grad_();
        let shift = tensor(&[n, c], -1.0, 1.0, seed + 2).requires_grad_();
        let weights = tensor(&[n, c, h, w], -1.0, 1.0, seed + 3);
        let mean = x.mean(&[2, 3], true);
        let centered = x.sub(&mean);
        let var = centered.mul(&centered).mean(&[2, 3], true);
        let composed = centered
            .mul(&var.add_scalar(EPS).powf(-0.5))
            .mul(&scale.reshape(&[n, c, 1, 1]))
            .add(&shift.reshape(&[n, c, 1, 1]));
        let inputs = [&x, &scale, &shift];
        let want = grad(&[&composed.mul(&weights).sum_all()], &inputs, false);
        let got = grad(&[&x.adain(&scale, &shift, EPS).mul(&weights).sum_all()], &inputs, false);
        for (g, w) in got.iter().zip(&want) {
            assert_close(&g.to_vec(), &f64s(w), 1e-5, 1e-4);
        }
    }
}

#[test]
fn adain_and_pixel_norm_gradients() {
    let adain = |x: &[Tensor]| x[0].adain(&x[1], &x[2], EPS);
    let inputs = [tensor(&[2, 2, 2, 3], -1.0, 1.0, 40), tensor(&[2, 2], 0.5, 1.5, 41), tensor(&[2, 2], -1.0, 1.0, 42)];
    check("adain", adain, &inputs);
    check("pixel_norm", |x| x[0].pixel_norm(), &[tensor(&[2, 3, 1, 3], -1.0, 1.0, 43)]);
}
