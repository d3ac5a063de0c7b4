//! Reductions against f64 references, over every axis subset that matters.
mod common;
use common::*;
use ganforge::Tensor;

/// Reference reduction of `x` (shape `shape`) over `axes` with `f` folding from `init`.
fn reference(x: &[f32], shape: &[usize], axes: &[usize], init: f64, f: fn(f64, f64) -> f64) -> Vec<f64> {
    let out_shape: Vec<usize> = shape.iter().enumerate().map(|(d, &s)| if axes.contains(&d) { 1 } else { s }).collect();
    let out_strides = strides(&out_shape);
    let mut out = vec![init; out_shape.iter().product()];
    for (i, &v) in x.iter().enumerate() {
        let index = unravel(i, shape);
        let o: usize =
            index.iter().zip(&out_strides).zip(&out_shape).map(|((&ix, &s), &n)| if n == 1 { 0 } else { ix * s }).sum();
        out[o] = f(out[o], f64::from(v));
    }
    out
}

const CASES: &[(&[usize], &[usize])] = &[
    (&[17], &[0]),
    (&[33, 65], &[0]),
    (&[33, 65], &[1]),
    (&[3, 5, 7], &[1]),
    (&[3, 5, 7], &[0, 2]),
    (&[4, 3, 9, 11], &[0, 2, 3]), // batch-norm statistics
    (&[2, 3, 5, 7], &[1, 2, 3]),
    (&[5000, 3], &[0]), // two passes: 5000 -> 79 partials -> 1
    (&[129, 65], &[0, 1]),
    (&[9000], &[0]),
    (&[20000], &[0]),                // three passes: 20000 -> 313 -> 5 -> 1
    (&[5000, 3], &[1]),              // many outputs, little to reduce
    (&[3, 1, 4], &[1]),              // nothing left to reduce once size-1 dims merge
    (&[2, 3, 4, 5, 6], &[0, 2, 4]),  // three reduced dims: the kernel's general walk
    (&[3, 2, 4, 5, 60], &[0, 2, 4]), // the same, in chunks
];

#[test]
fn sum_and_max_match_reference() {
    for (k, &(shape, axes)) in CASES.iter().enumerate() {
        let x = tensor(shape, -2.0, 2.0, k as u64);
        let values = x.to_vec();
        let signed: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
        let sum = x.sum(&signed, true);
        let want = reference(&values, shape, axes, 0.0, |a, b| a + b);
        if let Err(e) = check_close(&sum.to_vec(), &want, 1e-4, 1e-5) {
            panic!("sum of {shape:?} over {axes:?}: {e}");
        }
        let max = x.max(&signed, true);
        let want = reference(&values, shape, axes, f64::NEG_INFINITY, f64::max);
        if let Err(e) = check_close(&max.to_vec(), &want, 0.0, 0.0) {
            panic!("max of {shape:?} over {axes:?}: {e}");
        }
    }
}

#[test]
fn keepdim_and_negative_axes_shape_the_result() {
    let x = tensor(&[2, 3, 4], -1.0, 1.0, 1);
    assert_eq!(x.sum(&[1], true).shape(), &[2, 1, 4]);
    assert_eq!(x.sum(&[1], false).shape(), &[2, 4]);
    assert_eq!(x.sum(&[-1], false).shape(), &[2, 3]);
    assert_eq!(x.sum(&[0, -1], false).to_vec(), x.sum(&[2, 0], false).to_vec());
    assert_eq!(x.sum_all().shape(), &[] as &[usize]);
}

#[test]
fn mean_var_and_logsumexp_match_reference() {
    let shape = [6, 7, 5];
    let x = tensor(&shape, -3.0, 3.0, 3);
    let v: Vec<f64> = x.to_vec().into_iter().map(f64::from).collect();
    // Over axis 1: rows of 7 at stride 5.
    let rows = |o: usize| -> Vec<f64> { (0..7).map(|j| v[(o / 5) * 35 + j * 5 + o % 5]).collect() };
    let mut mean = vec![];
    let mut var = vec![];
    let mut lse = vec![];
    for o in 0..30 {
        let r = rows(o);
        let m = r.iter().sum::<f64>() / 7.0;
        mean.push(m);
        var.push(r.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / 7.0);
        lse.push(r.iter().map(|a| a.exp()).sum::<f64>().ln());
    }
    assert_close(&x.mean(&[1], false).to_vec(), &mean, 1e-5, 1e-5);
    assert_close(&x.var(&[1], false).to_vec(), &var, 1e-5, 1e-5);
    assert_close(&x.logsumexp(&[1], false).to_vec(), &lse, 1e-5, 1e-5);
    assert_eq!(x.logsumexp(&[1], true).shape(), &[6, 1, 5]);
}

#[test]
fn logsumexp_survives_large_inputs() {
    let x = Tensor::from_vec(vec![1000.0, 1000.0, -1000.0], &[3]);
    let got = x.logsumexp(&[0], false).item();
    assert!((got - (1000.0 + std::f32::consts::LN_2)).abs() < 1e-3, "got {got}");
}

#[test]
fn bce_with_logits_matches_the_definition() {
    let logits = Tensor::from_vec(vec![-3.0, -0.5, 0.0, 2.0, 15.0], &[5]);
    let targets = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0, 1.0], &[5]);
    let s = |x: f64| 1.0 / (1.0 + (-x).exp());
    let want: f64 = [(-3.0, 0.0), (-0.5, 1.0), (0.0, 1.0), (2.0, 0.0), (15.0, 1.0)]
        .iter()
        .map(|&(x, y): &(f64, f64)| -(y * s(x).ln() + (1.0 - y) * (1.0 - s(x)).ln()))
        .sum::<f64>()
        / 5.0;
    assert!((f64::from(logits.bce_with_logits(&targets).item()) - want).abs() < 1e-5);
}

#[test]
fn reductions_are_deterministic() {
    let x = tensor(&[100_000], -1.0, 1.0, 9);
    let first = x.sum_all().item();
    for _ in 0..3 {
        assert_eq!(x.sum_all().item().to_bits(), first.to_bits());
    }
}
