//! Forward results of the elementwise ops against f64 references.
mod common;
use common::*;
use ganforge::ops::with_strided_run;
use ganforge::Tensor;

/// Shapes that are not multiples of any workgroup size.
const AWKWARD: &[&[usize]] = &[&[1], &[3], &[17], &[33, 65], &[129, 3], &[5, 7, 11]];

fn sigmoid(v: f64) -> f64 {
    1.0 / (1.0 + (-v).exp())
}

fn check_unary(name: &str, op: impl Fn(&Tensor) -> Tensor, reference: impl Fn(f64) -> f64, lo: f32, hi: f32) {
    for (k, shape) in AWKWARD.iter().enumerate() {
        let x = tensor(shape, lo, hi, k as u64);
        let want: Vec<f64> = x.to_vec().into_iter().map(|v| reference(f64::from(v))).collect();
        let got = op(&x);
        assert_eq!(got.shape(), *shape, "{name}: shape");
        if let Err(e) = check_close(&got.to_vec(), &want, 1e-5, 1e-5) {
            panic!("{name} differs from its reference at shape {shape:?}: {e}");
        }
    }
}

#[test]
fn unary_ops_match_reference() {
    check_unary("neg", Tensor::neg, |v| -v, -3.0, 3.0);
    check_unary("exp", Tensor::exp, f64::exp, -3.0, 3.0);
    check_unary("log", Tensor::log, f64::ln, 0.1, 5.0);
    check_unary("sqrt", Tensor::sqrt, f64::sqrt, 0.0, 5.0);
    check_unary("abs", Tensor::abs, f64::abs, -3.0, 3.0);
    check_unary("relu", Tensor::relu, |v| v.max(0.0), -3.0, 3.0);
    check_unary("leaky_relu", |x| x.leaky_relu(0.2), |v| if v > 0.0 { v } else { 0.2 * v }, -3.0, 3.0);
    check_unary("sigmoid", Tensor::sigmoid, sigmoid, -30.0, 30.0);
    check_unary("tanh", Tensor::tanh, f64::tanh, -30.0, 30.0);
    check_unary("softplus", Tensor::softplus, |v| v.max(0.0) + (-v.abs()).exp().ln_1p(), -30.0, 30.0);
    check_unary("powf 2 (negative base)", |x| x.powf(2.0), |v| v * v, -3.0, 3.0);
    check_unary("powf 3 (negative base)", |x| x.powf(3.0), |v| v * v * v, -2.0, 2.0);
    check_unary("powf 0.5", |x| x.powf(0.5), f64::sqrt, 0.0, 4.0);
    check_unary("affine", |x| x.affine(-1.5, 0.25), |v| -1.5 * v + 0.25, -3.0, 3.0);
    check_unary("clamp", |x| x.clamp(-0.5, 1.0), |v| v.clamp(-0.5, 1.0), -3.0, 3.0);
    check_unary("sign", Tensor::sign, |v| if v == 0.0 { 0.0 } else { v.signum() }, -3.0, 3.0);
}

#[test]
fn stable_functions_do_not_overflow() {
    let x = Tensor::from_vec(vec![-200.0, -90.0, 0.0, 90.0, 200.0], &[5]);
    assert_close(&x.sigmoid().to_vec(), &[0.0, 0.0, 0.5, 1.0, 1.0], 1e-7, 0.0);
    assert_close(&x.tanh().to_vec(), &[-1.0, -1.0, 0.0, 1.0, 1.0], 1e-7, 0.0);
    assert_close(&x.softplus().to_vec(), &[0.0, 0.0, std::f64::consts::LN_2, 90.0, 200.0], 1e-6, 1e-7);
}

/// softplus(x) = log(1 + e^x) is e^x (1 - e^x / 2 ...) for very negative x:
/// relative accuracy there is what f-GAN's conjugates divide by, so 0 is wrong.
#[test]
fn softplus_keeps_its_relative_accuracy_far_below_zero() {
    let inputs = [-5.0f32, -10.0, -20.0, -50.0, -80.0];
    let got = Tensor::from_vec(inputs.to_vec(), &[inputs.len()]).softplus().to_vec();
    for (&x, &y) in inputs.iter().zip(&got) {
        let want = f64::from(x).exp().ln_1p();
        assert!((f64::from(y) - want).abs() <= 1e-5 * want, "softplus({x}) = {y}, want {want}");
    }
}

type Binary = fn(&Tensor, &Tensor) -> Tensor;
type Reference = fn(f64, f64) -> f64;

const BINARY: &[(&str, Binary, Reference)] = &[
    ("add", Tensor::add, |a, b| a + b),
    ("sub", Tensor::sub, |a, b| a - b),
    ("mul", Tensor::mul, |a, b| a * b),
    ("div", Tensor::div, |a, b| a / b),
    ("maximum", Tensor::maximum, f64::max),
    ("minimum", Tensor::minimum, f64::min),
    ("gt", Tensor::gt, |a, b| f64::from(a > b)),
    ("ge", Tensor::ge, |a, b| f64::from(a >= b)),
    ("lt", Tensor::lt, |a, b| f64::from(a < b)),
    ("le", Tensor::le, |a, b| f64::from(a <= b)),
    ("eq", Tensor::eq_elementwise, |a, b| f64::from(a == b)),
    ("ne", Tensor::ne_elementwise, |a, b| f64::from(a != b)),
];

/// The broadcast reference: out[idx] = f(a[idx mod a's shape], b[...]).
fn broadcast_reference(a: &Tensor, b: &Tensor, out_shape: &[usize], f: fn(f64, f64) -> f64) -> Vec<f64> {
    let (av, bv) = (a.to_vec(), b.to_vec());
    let read = |values: &[f32], shape: &[usize], index: &[usize]| {
        let offset = index.len() - shape.len();
        let s = strides(shape);
        let flat: usize = (0..shape.len()).map(|d| if shape[d] == 1 { 0 } else { index[d + offset] * s[d] }).sum();
        f64::from(values[flat])
    };
    (0..out_shape.iter().product())
        .map(|i| {
            let index = unravel(i, out_shape);
            f(read(&av, a.shape(), &index), read(&bv, b.shape(), &index))
        })
        .collect()
}

/// Seeded values in [lo, hi) rounded to the nearest multiple of 0.5.
fn halves(shape: &[usize], lo: f32, hi: f32, seed: u64) -> Tensor {
    let rounded = values(shape.iter().product(), lo, hi, seed).iter().map(|v| (2.0 * v).round() / 2.0).collect();
    Tensor::from_vec(rounded, shape)
}

#[test]
fn binary_ops_broadcast_on_every_axis() {
    // (a, b, result): broadcasting along each axis in turn, leading axes, and both sides at once.
    let cases: &[(&[usize], &[usize], &[usize])] = &[
        (&[17], &[17], &[17]),
        (&[3, 5, 7], &[1, 5, 7], &[3, 5, 7]),
        (&[3, 5, 7], &[3, 1, 7], &[3, 5, 7]),
        (&[3, 5, 7], &[3, 5, 1], &[3, 5, 7]),
        (&[3, 5, 7], &[7], &[3, 5, 7]),
        (&[3, 1, 7], &[1, 5, 1], &[3, 5, 7]),
        (&[2, 1, 3, 1, 5], &[4, 1, 6, 1], &[2, 4, 3, 6, 5]),
        (&[33, 65], &[], &[33, 65]),
        // rows of a multiple of 4 with per-row operands: the vec4 `rows` path
        (&[3, 5, 8], &[3, 5, 1], &[3, 5, 8]),
        (&[1, 3, 1, 1], &[2, 3, 4, 4], &[2, 3, 4, 4]),
        (&[2, 1, 4], &[3, 1], &[2, 3, 4]),
    ];
    for (k, &(sa, sb, so)) in cases.iter().enumerate() {
        // Multiples of 0.5 make exact ties common, so eq, ne, ge and le see
        // equal pairs under every broadcast, not only some unequal ones.
        let a = halves(sa, -2.0, 2.0, 10 + k as u64);
        let b = halves(sb, 0.5, 2.0, 30 + k as u64);
        let ties = broadcast_reference(&a, &b, so, |a, b| f64::from(a == b));
        assert!(ties.contains(&1.0) && ties.contains(&0.0), "{sa:?} with {sb:?}: want equal and unequal pairs");
        for &(name, op, reference) in BINARY {
            let want = broadcast_reference(&a, &b, so, reference);
            // Each invocation walks a run of elements: a GPU's 1, an odd 3,
            // and this adapter's own.
            for run in [Some(1), Some(3), None] {
                let got = match run {
                    Some(run) => with_strided_run(run, || op(&a, &b)),
                    None => op(&a, &b),
                };
                assert_eq!(got.shape(), so, "{name} {sa:?} with {sb:?}");
                if let Err(e) = check_close(&got.to_vec(), &want, 1e-6, 1e-6) {
                    panic!("{name} of {sa:?} and {sb:?}, run {run:?}, differs from its reference: {e}");
                }
            }
        }
    }
}

#[test]
fn where_selects_and_broadcasts() {
    let cond = Tensor::from_vec(vec![1.0, 0.0, 1.0], &[3, 1]);
    let a = tensor(&[3, 4], -1.0, 1.0, 1);
    let b = Tensor::scalar(9.0);
    let got = cond.where_(&a, &b).to_vec();
    let av = a.to_vec();
    let want: Vec<f64> = (0..12).map(|i| if i / 4 == 1 { 9.0 } else { f64::from(av[i]) }).collect();
    assert_close(&got, &want, 0.0, 0.0);
}

#[test]
fn operators_are_the_named_ops() {
    let a = tensor(&[4], -1.0, 1.0, 1);
    let b = tensor(&[4], 1.0, 2.0, 2);
    assert_eq!((&a + &b).to_vec(), a.add(&b).to_vec());
    assert_eq!((&a - &b).to_vec(), a.sub(&b).to_vec());
    assert_eq!((&a * &b).to_vec(), a.mul(&b).to_vec());
    assert_eq!((&a / &b).to_vec(), a.div(&b).to_vec());
    assert_eq!((-&a).to_vec(), a.neg().to_vec());
}

#[test]
fn large_tensors_spill_the_grid_into_y() {
    // 65535 workgroups x 256 threads is the most one grid row covers, with one
    // element per thread as in the broadcasting kernel ([rows, 8] + [8]). A ramp
    // restarting every 2^20 (exact in f32) tells every element apart, so a
    // spilled row that reads or writes the wrong place shows in its tail.
    let (cols, period) = (8, 1 << 20);
    let n = 65535 * 256 + 1000;
    let ramp: Vec<f32> = (0..n).map(|i| (i % period) as f32).collect();
    let row = [0.25, -0.5, 1.0, 2.0, -4.0, 0.75, 3.0, -1.5];
    let x = Tensor::from_slice(&ramp, &[n]);
    let y = x.reshape(&[n / cols, cols]).add(&Tensor::from_slice(&row, &[cols]));
    // The last 1000 elements of the first grid row and every spilled element.
    let start = 65535 * 256 - 1000;
    let tail = y.flatten(0).narrow(0, start, n).to_vec();
    let want: Vec<f64> = (start..n).map(|i| f64::from(ramp[i]) + f64::from(row[i % cols])).collect();
    assert_close(&tail, &want, 0.0, 0.0);
    let sum: f64 = ramp.iter().map(|&v| f64::from(v)).sum();
    assert_close(&[x.sum_all().item()], &[sum], 0.0, 1e-6);
}
