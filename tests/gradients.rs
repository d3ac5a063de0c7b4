//! Every op's gradient against central finite differences (`gradcheck`), and
//! the second derivatives of the ops a gradient penalty passes through
//! (`gradgradcheck`).
mod common;
use common::*;
use ganforge::Tensor;

/// Inputs kept at least 0.1 from zero, where relu/abs/leaky_relu have kinks.
fn off_kink(shape: &[usize], seed: u64) -> Tensor {
    Tensor::from_vec(values_away_from_zero(shape.iter().product(), -1.5, 1.5, 0.1, seed), shape)
}

type Unary = fn(&Tensor) -> Tensor;

/// (name, op, input low, input high): each range keeps the op smooth and well conditioned.
const UNARY: &[(&str, Unary, f32, f32)] = &[
    ("neg", Tensor::neg, -1.0, 1.0),
    ("exp", Tensor::exp, -1.0, 1.0),
    ("log", Tensor::log, 0.5, 2.0),
    ("sqrt", Tensor::sqrt, 0.5, 2.0),
    ("sigmoid", Tensor::sigmoid, -2.0, 2.0),
    ("tanh", Tensor::tanh, -1.5, 1.5),
    ("softplus", Tensor::softplus, -2.0, 2.0),
    ("powf 3", |x| x.powf(3.0), -1.5, 1.5),
    ("powf 1.5", |x| x.powf(1.5), 0.5, 2.0),
    ("affine", |x| x.affine(-1.5, 0.3), -1.0, 1.0),
];

/// Ops with kinks, checked on inputs away from them.
const PIECEWISE: &[(&str, Unary)] =
    &[("abs", Tensor::abs), ("relu", Tensor::relu), ("leaky_relu", |x| x.leaky_relu(0.2))];

/// Inputs on both sides of clamp(-0.5, 0.5)'s kinks, none within a step of them.
fn clamp_inputs() -> Tensor {
    Tensor::from_vec(vec![-1.2, -0.7, -0.3, 0.0, 0.2, 0.45, 0.8, 1.1], &[8])
}

#[test]
fn unary_gradients() {
    for (k, &(name, op, lo, hi)) in UNARY.iter().enumerate() {
        check(name, |x| op(&x[0]), &[tensor(&[3, 5], lo, hi, k as u64)]);
    }
    for (k, &(name, op)) in PIECEWISE.iter().enumerate() {
        check(name, |x| op(&x[0]), &[off_kink(&[17], k as u64)]);
    }
    check("clamp inside and out", |x| x[0].clamp(-0.5, 0.5), &[clamp_inputs()]);
}

/// The gradient through relu and leaky_relu, one kernel that multiplies the
/// upstream gradient by the slope read off x's sign: exactly r where x > 0
/// and r times the slope elsewhere (x = 0 included), for a shape that is not
/// a multiple of the kernel's 4 values, and for slopes 0 (a ReLU), a leaky
/// one, a negative one and 1 (no activation).
#[test]
fn relu_gradients_are_the_slope_times_the_upstream_gradient() {
    let mut xs = values(105, -1.0, 1.0, 40);
    xs[3] = 0.0;
    xs[50] = 0.0;
    let r = tensor(&[3, 5, 7], -1.0, 1.0, 41);
    for slope in [0.0f32, 0.2, -0.5, 1.0] {
        let x = Tensor::from_vec(xs.clone(), &[3, 5, 7]).requires_grad_();
        let y = if slope == 0.0 { x.relu() } else { x.leaky_relu(slope) };
        let dx = ganforge::grad(&[&y.mul(&r).sum_all()], &[&x], false).remove(0);
        let want: Vec<f32> = xs.iter().zip(r.to_vec()).map(|(&v, g)| if v > 0.0 { g } else { g * slope }).collect();
        assert_eq!(dx.to_vec(), want, "slope {slope}");
    }
}

/// Second derivatives of op(x)^2: 2 op'(x)^2 + 2 op(x) op''(x). Squaring matters
/// for the ops linear in x (neg, affine, and abs/relu/leaky_relu off their
/// kinks): their own second derivative is 0, which is also what a gradient that
/// carries no graph gives, so only through the square does a backward rule that
/// is not recorded under create_graph show.
#[test]
fn unary_second_derivatives() {
    for (k, &(name, op, lo, hi)) in UNARY.iter().enumerate() {
        check2(name, |x| op(&x[0]).powf(2.0), &[tensor(&[7], lo, hi, k as u64)]);
    }
    for (k, &(name, op)) in PIECEWISE.iter().enumerate() {
        check2(name, |x| op(&x[0]).powf(2.0), &[off_kink(&[7], k as u64)]);
    }
}

#[test]
fn binary_gradients_with_broadcasting() {
    let a = tensor(&[3, 1, 5], -1.0, 1.0, 1);
    let b = tensor(&[4, 1], 0.5, 1.5, 2);
    check("add", |x| x[0].add(&x[1]), &[a.clone(), b.clone()]);
    check("sub", |x| x[0].sub(&x[1]), &[a.clone(), b.clone()]);
    check("mul", |x| x[0].mul(&x[1]), &[a.clone(), b.clone()]);
    check("div", |x| x[0].div(&x[1]), &[a.clone(), b.clone()]);
    // maximum/minimum away from ties: d differs from c by at least 0.05 either way.
    let c = tensor(&[3, 4, 5], -1.0, 1.0, 3);
    let d = off_kink(&[3, 4, 5], 4).mul_scalar(0.5).add(&c);
    check("maximum", |x| x[0].maximum(&x[1]), &[c.clone(), d.clone()]);
    check("minimum", |x| x[0].minimum(&x[1]), &[c.clone(), d.clone()]);
    let cond = Tensor::from_vec(vec![1.0, 0.0, 1.0], &[3, 1, 1]);
    check("where", |x| cond.where_(&x[0], &x[1]), &[a.clone(), tensor(&[4, 5], -1.0, 1.0, 5)]);
}

#[test]
fn binary_second_derivatives() {
    let a = tensor(&[2, 3], -1.0, 1.0, 1);
    let b = tensor(&[3], 0.5, 1.5, 2);
    check2("mul", |x| x[0].mul(&x[1]), &[a.clone(), b.clone()]);
    check2("div", |x| x[0].div(&x[1]), &[a, b]);
}

#[test]
fn reduction_gradients() {
    let x = tensor(&[3, 4, 5], -1.0, 1.0, 6);
    check("sum", |x| x[0].sum(&[0, 2], false), std::slice::from_ref(&x));
    check("sum_all", |x| x[0].sum_all(), std::slice::from_ref(&x));
    check("mean", |x| x[0].mean(&[1], true), std::slice::from_ref(&x));
    check("var", |x| x[0].var(&[0, 2], false), std::slice::from_ref(&x));
    check("max", |x| x[0].max(&[1], false), std::slice::from_ref(&x));
    check("logsumexp", |x| x[0].logsumexp(&[2], false), std::slice::from_ref(&x));
    let targets = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0, 0.3], &[5]);
    check("bce_with_logits", |x| x[0].bce_with_logits(&targets), &[tensor(&[5], -2.0, 2.0, 7)]);
    check("mse", |x| x[0].mse(&targets), &[tensor(&[5], -2.0, 2.0, 8)]);
}

#[test]
fn reduction_second_derivatives() {
    let x = tensor(&[3, 4], -1.0, 1.0, 9);
    check2("sum of squares", |x| x[0].mul(&x[0]).sum(&[1], false), std::slice::from_ref(&x));
    check2("mean", |x| x[0].mean(&[0], false).powf(2.0), std::slice::from_ref(&x));
    check2("var", |x| x[0].var(&[1], false), std::slice::from_ref(&x));
    check2("max", |x| x[0].max(&[1], false).powf(2.0), std::slice::from_ref(&x));
    check2("logsumexp", |x| x[0].logsumexp(&[1], false), std::slice::from_ref(&x));
}

#[test]
fn matmul_gradients() {
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
        let a = tensor(if ta { &[5, 3] } else { &[3, 5] }, -1.0, 1.0, 10);
        let b = tensor(if tb { &[4, 5] } else { &[5, 4] }, -1.0, 1.0, 11);
        check("matmul_t", |x| x[0].matmul_t(&x[1], ta, tb), &[a.clone(), b.clone()]);
        check2("matmul_t", |x| x[0].matmul_t(&x[1], ta, tb).powf(2.0), &[a, b]);
    }
    // Batched, with the right operand shared across the batch.
    check(
        "batched matmul",
        |x| x[0].matmul(&x[1]),
        &[tensor(&[2, 3, 4], -1.0, 1.0, 12), tensor(&[4, 2], -1.0, 1.0, 13)],
    );
}

#[test]
fn shape_gradients() {
    let x = tensor(&[2, 3, 4], -1.0, 1.0, 14);
    check("reshape", |x| x[0].reshape(&[6, 4]).mul(&x[0].reshape(&[6, 4])), std::slice::from_ref(&x));
    check("permute", |x| x[0].permute(&[2, 0, 1]), std::slice::from_ref(&x));
    check("slice", |x| x[0].slice(&[(1, 2), (0, 2), (1, 4)]), std::slice::from_ref(&x));
    check("pad", |x| x[0].pad(&[(1, 0), (0, 2), (1, 1)], 0.5), std::slice::from_ref(&x));
    check("expand", |x| x[0].expand(&[5, 2, 3, 4]), &[tensor(&[2, 1, 4], -1.0, 1.0, 15)]);
    check("concat", |x| Tensor::concat(&[&x[0], &x[1]], 1), &[x.clone(), tensor(&[2, 2, 4], -1.0, 1.0, 16)]);
    check("copy", |x| x[0].copy(), std::slice::from_ref(&x));
}

#[test]
fn gradcheck_rejects_a_wrong_gradient() {
    // x * detach(x) has the value x^2 but a recorded gradient of x instead of
    // 2x: gradcheck must notice the missing term.
    let wrong = |x: &[Tensor]| x[0].mul(&x[0].detach());
    assert!(ganforge::gradcheck::gradcheck(wrong, &[tensor(&[4], 0.5, 1.0, 17)]).is_err());
}

#[test]
fn gradcheck_rejects_a_nan_gradient() {
    // sqrt(x * x) = |x| has the value 0 at x = 0 and finite differences give
    // (h - h) / 2h = 0 there, but the chain rule computes 2x / (2 sqrt(x^2)) = 0 / 0.
    let norm = |x: &[Tensor]| x[0].mul(&x[0]).sqrt();
    let inputs = [Tensor::from_vec(vec![0.7, 0.0, -0.4], &[3])];
    assert!(ganforge::gradcheck::gradcheck(norm, &inputs).is_err());
}
